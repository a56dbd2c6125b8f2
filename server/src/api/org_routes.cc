#include "quire/server/org_routes.h"

#include "route_support.h"

namespace quire::server {
namespace {

using namespace api;  // NOLINT: the shared route helpers

Result<audit::Actor> User(const Request& request) { return Actor(request); }

// A group with its members.
Result<Response> GroupResponse(org::Directory& directory, const std::string& id) {
  QUIRE_ASSIGN_OR_RETURN(org::Group g, directory.GetGroup(id));
  QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> members, directory.Members(id));
  return JsonResponse(200, json::object{{"id", g.id},
                                        {"name", g.name},
                                        {"members", json::array(members.begin(), members.end())}});
}

}  // namespace

void AddOrgRoutes(Router& router, org::Identity& identity) {
  org::Directory& directory = identity.directory();
  // On the slow pool: with a password, creating a user hashes it.
  router.AddSlow(
      "POST", "/api/users", Permission::kOrgAdminister,
      [&identity](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
        org::User u;
        for (auto [name, field] :
             {std::pair{"id", &u.id}, std::pair{"name", &u.name}, std::pair{"email", &u.email},
              std::pair{"phone", &u.phone}, std::pair{"supervisor", &u.supervisor}}) {
          QUIRE_ASSIGN_OR_RETURN(*field, StringMember(body, name, std::string_view(name) == "id"));
        }
        if (const json::value* a = body.if_contains("active"); a != nullptr && !a->is_null()) {
          if (!a->is_bool()) return Error::InvalidArgument("'active' must be true or false");
          u.active = a->get_bool();
        }
        QUIRE_ASSIGN_OR_RETURN(std::string password, StringMember(body, "password", false));
        std::vector<std::string> roles;
        if (const json::value* r = body.if_contains("roles"); r != nullptr && !r->is_null()) {
          if (!r->is_array()) return Error::InvalidArgument("'roles' must be a list of role ids");
          for (const json::value& e : r->get_array()) {
            if (!e.is_string()) return Error::InvalidArgument("'roles' must hold role ids");
            roles.emplace_back(e.get_string());
          }
        }
        // One write after every check: a refused role or password leaves no user behind.
        QUIRE_RETURN_IF_ERROR(
            identity.PutUser(u, roles.empty() ? std::nullopt : std::optional(roles), password,
                             /*must_be_new=*/false, Actor(request)));
        json::object o = UserJson(u);
        o["roles"] = json::array(roles.begin(), roles.end());
        return JsonResponse(201, o);
      });
  router.Add("GET", "/api/users", Permission::kOrgRead,
             [&directory](const Request&) -> Result<Response> {
               return Answer(directory.ListUsers(), [](const std::vector<org::User>& users) {
                 json::array out;
                 for (const auto& u : users) out.push_back(UserJson(u));
                 return JsonResponse(200, Page(std::move(out)));
               });
             });
  router.Add("GET", "/api/users/{id}", Permission::kOrgRead,
             [&directory, &identity](const Request& request) -> Result<Response> {
               const std::string id(*request.path_param("id"));
               return Answer(directory.GetUser(id), [&](const org::User& u) {
                 json::object o = UserJson(u);
                 if (auto roles = identity.UserRoles(id)) {
                   o["roles"] = json::array(roles->begin(), roles->end());
                 }
                 json::array groups;
                 if (auto g = directory.GroupsOf(id)) {
                   for (const std::string& name : *g) groups.emplace_back(name);
                 }
                 o["groups"] = std::move(groups);
                 return JsonResponse(200, o);
               });
             });
  router.Add("POST", "/api/users/{id}/substitutes", Permission::kOrgAdminister,
             [&directory](const Request& request) -> Result<Response> {
               auto actor = User(request);
               if (!actor) return actor.error();
               auto body = ParseJsonObject(request);
               if (!body) return body.error();
               auto who = StringMember(*body, "substitute", true);
               if (!who) return who.error();
               QUIRE_RETURN_IF_ERROR(Renamed(*body, "from", "startsAt"));
               QUIRE_RETURN_IF_ERROR(Renamed(*body, "to", "endsAt"));
               auto from = TimeMember(*body, "startsAt");
               if (!from) return from.error();
               auto to = TimeMember(*body, "endsAt");
               if (!to) return to.error();
               const std::string user(*request.path_param("id"));
               QUIRE_RETURN_IF_ERROR(directory.AddSubstitution({*who, user, *from, *to}, *actor));
               return JsonResponse(201, json::object{{"user", user},
                                                     {"substitute", *who},
                                                     {"startsAt", Time(*from)},
                                                     {"endsAt", Time(*to)}});
             });
  router.Add("POST", "/api/groups", Permission::kOrgAdminister,
             [&directory](const Request& request) -> Result<Response> {
               auto actor = User(request);
               if (!actor) return actor.error();
               auto body = ParseJsonObject(request);
               if (!body) return body.error();
               auto id = StringMember(*body, "id", true);
               if (!id) return id.error();
               auto name = StringMember(*body, "name", false);
               if (!name) return name.error();
               auto r = directory.PutGroup({*id, *name}, *actor);
               if (!r) return r.error();
               return JsonResponse(201, json::object{{"id", *id}, {"name", *name}});
             });
  router.Add("GET", "/api/groups", Permission::kOrgRead,
             [&directory](const Request&) -> Result<Response> {
               return Answer(directory.ListGroups(), [](const std::vector<org::Group>& groups) {
                 json::array out;
                 for (const auto& g : groups)
                   out.push_back(json::object{{"id", g.id}, {"name", g.name}});
                 return JsonResponse(200, Page(std::move(out)));
               });
             });
  router.Add("GET", "/api/groups/{id}", Permission::kOrgRead,
             [&directory](const Request& request) -> Result<Response> {
               return GroupResponse(directory, std::string(*request.path_param("id")));
             });
  router.Add("PUT", "/api/groups/{id}/members/{userId}", Permission::kOrgAdminister,
             [&directory](const Request& request) -> Result<Response> {
               auto actor = User(request);
               if (!actor) return actor.error();
               const std::string id(*request.path_param("id"));
               QUIRE_RETURN_IF_ERROR(
                   directory.AddMember(id, std::string(*request.path_param("userId")), *actor));
               return GroupResponse(directory, id);
             });
  router.Add("DELETE", "/api/groups/{id}/members/{userId}", Permission::kOrgAdminister,
             [&directory](const Request& request) -> Result<Response> {
               auto actor = User(request);
               if (!actor) return actor.error();
               auto r = directory.RemoveMember(std::string(*request.path_param("id")),
                                               std::string(*request.path_param("userId")), *actor);
               QUIRE_RETURN_IF_ERROR(r);
               return NoContent();
             });
}

}  // namespace quire::server
