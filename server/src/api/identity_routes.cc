#include "quire/server/identity_routes.h"

#include "quire/definitions/iso8601.h"
#include "quire/server/authentication.h"
#include "route_support.h"

namespace quire::server {
namespace {

using namespace api;  // NOLINT: the shared route helpers

json::array GrantsJson(const std::vector<org::Grant>& grants) {
  json::array out;
  for (const org::Grant& g : grants) {
    out.push_back(json::object{{"permission", org::Name(g.permission)}, {"scope", Name(g.scope)}});
  }
  return out;
}

json::object RoleJson(const org::Role& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"description", r.description},
          {"builtIn", r.built_in},
          {"requireTotp", r.require_totp},
          {"grants", GrantsJson(r.grants)}};
}

json::object SessionJson(const org::SessionInfo& s, const std::string& current) {
  return {{"id", s.id},
          {"user", s.user},
          {"createdAt", Time(s.created)},
          {"lastSeenAt", Time(s.last_seen)},
          {"address", s.address},
          {"userAgent", s.agent},
          {"current", s.id == current}};
}

json::object TokenJson(const org::TokenInfo& t) {
  json::object o{{"id", t.id},
                 {"user", t.user},
                 {"name", t.name},
                 {"createdAt", Time(t.created)},
                 {"createdBy", t.created_by},
                 {"roles", json::array(t.roles.begin(), t.roles.end())}};
  o["expiresAt"] = t.expires ? json::value(Time(*t.expires)) : json::value();
  o["lastUsedAt"] = t.last_used ? json::value(Time(*t.last_used)) : json::value();
  return o;
}

Result<std::vector<std::string>> StringList(const json::object& body, std::string_view name) {
  std::vector<std::string> out;
  const json::value* v = body.if_contains(name);
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_array()) {
    return Error::InvalidArgument("'" + std::string(name) +
                                  "' must be a list of strings, e.g. [\"staff\"]");
  }
  for (const json::value& e : v->get_array()) {
    if (!e.is_string()) {
      return Error::InvalidArgument("'" + std::string(name) + "' must hold strings only");
    }
    out.emplace_back(e.get_string());
  }
  return out;
}

// "expiresAt": an ISO 8601 date-time; or "expiresIn": a duration from now (P90D).
Result<std::optional<Timestamp>> Expiry(const json::object& body, Timestamp now) {
  QUIRE_RETURN_IF_ERROR(Renamed(body, "expires", "expiresAt' (an instant) or 'expiresIn"));
  const json::value* at = body.if_contains("expiresAt");
  const json::value* in = body.if_contains("expiresIn");
  if (at != nullptr && !at->is_null() && in != nullptr && !in->is_null()) {
    return Error::InvalidArgument("say 'expiresAt' or 'expiresIn', not both");
  }
  if (in != nullptr && !in->is_null()) {
    auto d = in->is_string() ? definitions::ParseDuration(in->get_string())
                             : Result<definitions::Duration>(Error::InvalidArgument(""));
    if (!d) return Error::InvalidArgument("'expiresIn' must be an ISO 8601 duration such as P90D");
    return std::optional<Timestamp>(definitions::Add(now, *d));
  }
  if (at == nullptr || at->is_null()) return std::optional<Timestamp>();
  auto t = at->is_string() ? definitions::ParseDateTime(at->get_string())
                           : Result<Timestamp>(Error::InvalidArgument(""));
  if (!t) {
    return Error::InvalidArgument(
        "'expiresAt' must be an ISO 8601 date-time such as 2027-03-01T00:00:00Z");
  }
  return std::optional<Timestamp>(*t);
}

std::string Cookie(const std::string& name, const std::string& value, bool tls,
                   std::chrono::milliseconds max_age) {
  std::string c = name + "=" + value + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                  std::to_string(std::chrono::duration_cast<std::chrono::seconds>(max_age).count());
  if (tls) c += "; Secure";
  return c;
}

// May the caller act on `user`'s tokens and sessions? Themselves always; others with
// org.administer. A refusal reads as "not found", so ids of others' things reveal nothing.
bool MayManage(const org::Principal& caller, const std::string& user) {
  return caller.user == user || caller.Has(Permission::kOrgAdminister);
}

json::object MeJson(org::Identity& identity, const org::Principal& p) {
  json::object o;
  if (auto u = identity.directory().GetUser(p.user)) o["user"] = UserJson(*u);
  o["roles"] = json::array(p.roles.begin(), p.roles.end());
  o["groups"] = json::array(p.groups.begin(), p.groups.end());
  o["permissions"] = GrantsJson(p.permissions.Grants());
  const char* via = "session";
  switch (p.via) {
    case org::Principal::Via::kSession:
      via = "session";
      break;
    case org::Principal::Via::kToken:
      via = "token";
      break;
    case org::Principal::Via::kBasic:
      via = "basic";
      break;
    case org::Principal::Via::kLocal:
      via = "local";
      break;
  }
  o["via"] = via;
  if (p.via == org::Principal::Via::kToken) o["tokenId"] = p.credential;
  if (p.via == org::Principal::Via::kSession) o["sessionId"] = p.credential;
  auto totp = identity.TotpEnabled(p.user);
  o["secondFactor"] = totp && *totp;
  if (p.must_enrol_totp) o["mustEnrolSecondFactor"] = true;
  return o;
}

}  // namespace

void AddIdentityRoutes(Router& router, org::Identity& identity,
                       const IdentityRouteOptions& options) {
  const bool tls = options.tls;
  const std::string cookie = SessionCookieName(tls);

  // ---- signing in and out ----
  router.AddSlow(
      "POST", "/api/auth/login", Access::Public(),
      [&identity, tls, cookie](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
        org::LoginRequest login;
        QUIRE_ASSIGN_OR_RETURN(login.user, StringMember(body, "user", true));
        QUIRE_ASSIGN_OR_RETURN(login.password, StringMember(body, "password", true));
        QUIRE_ASSIGN_OR_RETURN(login.totp, StringMember(body, "totp", false));
        login.address = request.remote;
        login.agent = std::string(request.header("user-agent").value_or(""));
        QUIRE_ASSIGN_OR_RETURN(org::LoginResult result, identity.Login(login));
        json::object answer = MeJson(identity, *result.principal);
        answer["csrfToken"] = result.principal->csrf_token;
        answer["sessionExpiresAt"] =
            Time(result.session.created + identity.options().session_absolute);
        Response response = JsonResponse(200, answer);
        response.headers.push_back({"Set-Cookie", Cookie(cookie, result.session_secret, tls,
                                                         identity.options().session_absolute)});
        response.headers.push_back({"Cache-Control", "no-store"});
        return response;
      });
  router.Add("POST", "/api/auth/logout", Access::SignedIn(),
             [&identity, tls, cookie](const Request& request) -> Result<Response> {
               if (request.principal->via == org::Principal::Via::kSession) {
                 QUIRE_RETURN_IF_ERROR(identity.Logout(CookieValue(request, cookie)));
               }
               Response response = NoContent();
               response.headers.push_back(
                   {"Set-Cookie", Cookie(cookie, "", tls, std::chrono::milliseconds(0))});
               return response;
             });

  // ---- the caller ----
  // A signed-in browser reloading the page learns its CSRF token again here (only pages of
  // this origin can read the answer).
  router.Add("GET", "/api/me", Access::SignedIn(),
             [&identity](const Request& request) -> Result<Response> {
               json::object me = MeJson(identity, *request.principal);
               if (request.principal->via == org::Principal::Via::kSession) {
                 me["csrfToken"] = request.principal->csrf_token;
               }
               Response response = JsonResponse(200, me);
               response.headers.push_back({"Cache-Control", "no-store"});
               return response;
             });
  router.AddSlow(
      "PUT", "/api/me/password", Access::SignedIn(),
      [&identity](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
        QUIRE_ASSIGN_OR_RETURN(std::string current, StringMember(body, "current", true));
        QUIRE_ASSIGN_OR_RETURN(std::string password, StringMember(body, "password", true));
        QUIRE_RETURN_IF_ERROR(identity.ChangeOwnPassword(Actor(request), current, password));
        QUIRE_ASSIGN_OR_RETURN(org::User user, identity.directory().GetUser(UserId(request)));
        return JsonResponse(200, UserJson(user));
      });
  router.Add(
      "GET", "/api/me/sessions", Access::SignedIn(),
      [&identity](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(std::vector<org::SessionInfo> sessions,
                               identity.Sessions(UserId(request)));
        json::array out;
        for (const auto& s : sessions) {
          out.push_back(SessionJson(s, request.principal->via == org::Principal::Via::kSession
                                           ? request.principal->credential
                                           : std::string()));
        }
        return JsonResponse(200, Page(std::move(out)));
      });
  router.Add("DELETE", "/api/me/sessions/{id}", Access::SignedIn(),
             [&identity](const Request& request) -> Result<Response> {
               QUIRE_RETURN_IF_ERROR(identity.EndSession(
                   UserId(request), std::string(*request.path_param("id")), Actor(request)));
               return NoContent();
             });
  router.Add("POST", "/api/me/totp", Access::SignedIn(),
             [&identity](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(org::TotpEnrolment e, identity.BeginTotp(UserId(request)));
               return JsonResponse(200, json::object{{"secret", e.secret_base32}, {"uri", e.uri}});
             });
  router.Add("POST", "/api/me/totp/confirm", Access::SignedIn(),
             [&identity](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(std::string code, StringMember(body, "code", true));
               QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> codes,
                                      identity.ConfirmTotp(Actor(request), code));
               return JsonResponse(
                   200, json::object{{"recoveryCodes", json::array(codes.begin(), codes.end())}});
             });

  // ---- API tokens ----
  router.Add("GET", "/api/tokens", Access::SignedIn(),
             [&identity](const Request& request) -> Result<Response> {
               std::string user = request.query_param("user").value_or("");
               const bool admin = request.principal->Has(Permission::kOrgAdminister);
               if (!admin) {
                 if (!user.empty() && user != UserId(request)) {
                   return Error::Forbidden(
                       "permission org.administer is needed to list other users' tokens");
                 }
                 user = UserId(request);
               }
               QUIRE_ASSIGN_OR_RETURN(std::vector<org::TokenInfo> tokens, identity.Tokens(user));
               json::array out;
               for (const auto& t : tokens) out.push_back(TokenJson(t));
               return JsonResponse(200, Page(std::move(out)));
             });
  router.Add("POST", "/api/tokens", Access::SignedIn(),
             [&identity](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(std::string user, StringMember(body, "user", false));
               if (user.empty()) user = UserId(request);
               if (user != UserId(request) && !request.principal->Has(Permission::kOrgAdminister)) {
                 return Error::Forbidden(
                     "permission org.administer is needed to create a token for another user");
               }
               QUIRE_ASSIGN_OR_RETURN(std::string name, StringMember(body, "name", false));
               QUIRE_ASSIGN_OR_RETURN(std::optional<Timestamp> expires,
                                      Expiry(body, SystemClock::Instance().Now()));
               QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> roles, StringList(body, "roles"));
               QUIRE_ASSIGN_OR_RETURN(org::NewToken t, identity.CreateToken(user, name, expires,
                                                                            roles, Actor(request)));
               json::object o = TokenJson(t.info);
               o["token"] = t.secret;
               Response response = JsonResponse(201, o);
               response.headers.push_back({"Cache-Control", "no-store"});
               return response;
             });
  router.Add("DELETE", "/api/tokens/{id}", Access::SignedIn(),
             [&identity](const Request& request) -> Result<Response> {
               const std::string id(*request.path_param("id"));
               auto token = identity.GetToken(id);
               if (!token || !MayManage(*request.principal, token->user)) {
                 return Error::NotFound("token '" + id + "' does not exist (or was revoked)");
               }
               QUIRE_RETURN_IF_ERROR(identity.RevokeToken(id, Actor(request)));
               return NoContent();
             });

  // ---- administration of others ----
  router.AddSlow("PUT", "/api/users/{id}/password", Permission::kOrgAdminister,
                 [&identity](const Request& request) -> Result<Response> {
                   QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
                   QUIRE_ASSIGN_OR_RETURN(std::string password,
                                          StringMember(body, "password", true));
                   const std::string id(*request.path_param("id"));
                   QUIRE_RETURN_IF_ERROR(identity.SetPassword(id, password, Actor(request)));
                   QUIRE_ASSIGN_OR_RETURN(org::User user, identity.directory().GetUser(id));
                   return JsonResponse(200, UserJson(user));
                 });
  router.Add("PUT", "/api/users/{id}/roles", Permission::kOrgAdminister,
             [&identity](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> roles, StringList(body, "roles"));
               const std::string user(*request.path_param("id"));
               QUIRE_RETURN_IF_ERROR(identity.SetUserRoles(user, roles, Actor(request)));
               return JsonResponse(
                   200,
                   json::object{{"id", user}, {"roles", json::array(roles.begin(), roles.end())}});
             });
  for (const bool active : {false, true}) {
    router.Add("POST", active ? "/api/users/{id}/enable" : "/api/users/{id}/disable",
               Permission::kOrgAdminister,
               [&identity, active](const Request& request) -> Result<Response> {
                 const std::string id(*request.path_param("id"));
                 QUIRE_RETURN_IF_ERROR(identity.SetActive(id, active, Actor(request)));
                 QUIRE_ASSIGN_OR_RETURN(org::User user, identity.directory().GetUser(id));
                 return JsonResponse(200, UserJson(user));
               });
  }
  router.Add("DELETE", "/api/users/{id}/totp", Permission::kOrgAdminister,
             [&identity](const Request& request) -> Result<Response> {
               QUIRE_RETURN_IF_ERROR(
                   identity.DisableTotp(std::string(*request.path_param("id")), Actor(request)));
               return NoContent();
             });
  router.Add("GET", "/api/users/{id}/sessions", Permission::kOrgAdminister,
             [&identity](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::vector<org::SessionInfo> sessions,
                                      identity.Sessions(std::string(*request.path_param("id"))));
               json::array out;
               for (const auto& s : sessions) out.push_back(SessionJson(s, ""));
               return JsonResponse(200, Page(std::move(out)));
             });
  router.Add("DELETE", "/api/users/{id}/sessions/{session}", Permission::kOrgAdminister,
             [&identity](const Request& request) -> Result<Response> {
               QUIRE_RETURN_IF_ERROR(identity.EndSession(
                   std::string(*request.path_param("id")),
                   std::string(*request.path_param("session")), Actor(request)));
               return NoContent();
             });

  // ---- roles ----
  router.Add("GET", "/api/roles", Permission::kOrgRead,
             [&identity](const Request&) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::vector<org::Role> roles, identity.ListRoles());
               json::array out;
               for (const auto& r : roles) out.push_back(RoleJson(r));
               json::array permissions;
               for (const Permission p : org::AllPermissions())
                 permissions.emplace_back(org::Name(p));
               return JsonResponse(200, json::object{{"items", std::move(out)},
                                                     {"next", nullptr},
                                                     {"permissions", std::move(permissions)}});
             });
  router.Add("GET", "/api/roles/{id}", Permission::kOrgRead,
             [&identity](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(org::Role r,
                                      identity.GetRole(std::string(*request.path_param("id"))));
               return JsonResponse(200, RoleJson(r));
             });
  router.Add("PUT", "/api/roles/{id}", Permission::kOrgAdminister,
             [&identity](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               org::Role role;
               role.id = std::string(*request.path_param("id"));
               QUIRE_ASSIGN_OR_RETURN(role.name, StringMember(body, "name", false));
               QUIRE_ASSIGN_OR_RETURN(role.description, StringMember(body, "description", false));
               if (const json::value* t = body.if_contains("requireTotp"); t && !t->is_null()) {
                 if (!t->is_bool())
                   return Error::InvalidArgument("'requireTotp' must be true or false");
                 role.require_totp = t->get_bool();
               }
               const json::value* grants = body.if_contains("grants");
               if (grants == nullptr || !grants->is_array()) {
                 return Error::InvalidArgument(
                     "'grants' is required: a list such as [{\"permission\": \"tasks.work\", "
                     "\"scope\": \"team\"}] or [\"tasks.work\"]");
               }
               std::vector<ErrorDetail> problems;
               for (std::size_t i = 0; i < grants->get_array().size(); ++i) {
                 const json::value& g = grants->get_array()[i];
                 std::string permission;
                 std::string scope = "all";
                 if (g.is_string()) {
                   permission = g.get_string();
                 } else if (g.is_object()) {
                   const json::value* p = g.get_object().if_contains("permission");
                   const json::value* s = g.get_object().if_contains("scope");
                   if (p != nullptr && p->is_string()) permission = p->get_string();
                   if (s != nullptr && s->is_string()) scope = s->get_string();
                 }
                 auto p = org::ParsePermission(permission);
                 auto s = org::ParseScope(scope);
                 if (!p) {
                   problems.push_back({"grants[" + std::to_string(i) + "]", p.error().message()});
                 } else if (!s) {
                   problems.push_back({"grants[" + std::to_string(i) + "]", s.error().message()});
                 } else {
                   role.grants.push_back({*p, *s});
                 }
               }
               if (!problems.empty()) {
                 return Error::ValidationFailed("the role has " + std::to_string(problems.size()) +
                                                    " bad grant(s); nothing was changed",
                                                std::move(problems));
               }
               QUIRE_RETURN_IF_ERROR(identity.PutRole(role, Actor(request)));
               return JsonResponse(200, RoleJson(role));
             });
  router.Add("DELETE", "/api/roles/{id}", Permission::kOrgAdminister,
             [&identity](const Request& request) -> Result<Response> {
               QUIRE_RETURN_IF_ERROR(
                   identity.DeleteRole(std::string(*request.path_param("id")), Actor(request)));
               return NoContent();
             });
  router.Add("PUT", "/api/groups/{id}/roles", Permission::kOrgAdminister,
             [&identity](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> roles, StringList(body, "roles"));
               const std::string group(*request.path_param("id"));
               QUIRE_RETURN_IF_ERROR(identity.SetGroupRoles(group, roles, Actor(request)));
               return JsonResponse(
                   200,
                   json::object{{"id", group}, {"roles", json::array(roles.begin(), roles.end())}});
             });
}

}  // namespace quire::server
