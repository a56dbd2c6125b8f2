// Access to the whole API, route by route, on a real server over a real data directory:
//   - every route but the public allow-list answers 401 without credentials, with a forged,
//     expired or revoked token, and with only the old X-Quire-User header;
//   - every built-in role gets 403 naming the permission on each route it lacks it for,
//     and never that refusal where it holds it;
//   - a session cookie without the CSRF token (or from another origin) changes nothing;
//   - other users' tasks, notifications, sessions and tokens are refused or filtered out, and
//     so are documents beyond a grant with scope own or team.
// A route added without a declared permission cannot compile (Router::Add takes one), and
// one that is public but not in the allow-list below fails here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "openapi_schema.h"
#include "quire/audit/chain.h"
#include "quire/base/instant.h"
#include "quire/server/api.h"
#include "quire/server/http_server.h"
#include "quire/testing/http_client.h"
#include "quire/testing/result_matchers.h"
#include "quire/testing/temp_dir.h"

namespace quire::server {
namespace {

using ::quire::testing::HttpConnection;
using ::quire::testing::HttpReply;
using ::quire::testing::IsOk;
using ::quire::testing::MakeRequest;
using ::testing::HasSubstr;
using ::testing::Not;
using Headers = std::vector<std::pair<std::string, std::string>>;
namespace json = boost::json;

const std::set<std::pair<std::string, std::string>> kPublic = {
    {"GET", "/health"},
    {"GET", "/version"},
    {"GET", "/api/openapi.json"},
    {"POST", "/api/auth/login"},
    {"GET", "/calendar/{feed}"},                    // the secret in the path is the
                                                    // credential
    {"GET", "/api/public/questionnaires/{token}"},  // so is a questionnaire's token
    {"POST", "/api/public/questionnaires/{token}/answers"},
};

const char* kProcess = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="urn:t">
  <process id="p" isExecutable="true">
    <startEvent id="s"/><userTask id="t" name="Private" camunda:assignee="anna"/><endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="t"/><sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
  </process>
</definitions>)";

constexpr const char* kAdminPassword = "the administrators passphrase";

// A concrete path for a pattern: each {param} becomes "1".
std::string Concrete(const std::string& pattern) {
  return std::regex_replace(pattern, std::regex(R"(\{[^}]+\})"), "1");
}

bool ChangesState(const std::string& method) { return method != "GET" && method != "HEAD"; }

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    services::ServicesOptions options;
    options.search = false;
    options.clock = &clock_;
    options.public_url = "https://crm.firma.example";
    auto opened = services::Services::Open(dir_.path(), options);
    ASSERT_TRUE(opened) << opened.error().message();
    services_ = std::move(*opened);
    org::Identity& identity = services_->identity();
    org::Directory& directory = services_->directory();
    for (const org::Role& role : org::BuiltInRoles()) {
      const std::string user = "as-" + role.id;
      ASSERT_THAT(directory.PutUser({user, user, "", "", true, ""}, "setup"), IsOk());
      ASSERT_THAT(identity.SetUserRoles(user, {role.id}, "setup"), IsOk());
      auto t = identity.CreateToken(user, "", std::nullopt, {}, "setup");
      ASSERT_TRUE(t);
      tokens_[role.id] = t->secret;
    }
    ASSERT_THAT(identity.SetPassword("as-administrator", kAdminPassword, "setup"), IsOk());
    for (const char* user : {"anna", "ben"}) {
      ASSERT_THAT(directory.PutUser({user, user, "", "", true, ""}, "setup"), IsOk());
      ASSERT_THAT(identity.SetUserRoles(user, {"staff"}, "setup"), IsOk());
      ASSERT_THAT(identity.SetPassword(user, std::string(user) + "s long passphrase", "setup"),
                  IsOk());
      auto t = identity.CreateToken(user, "", std::nullopt, {}, "setup");
      ASSERT_TRUE(t);
      tokens_[user] = t->secret;
      token_ids_[user] = t->info.id;
    }
    auto expiring = identity.CreateToken("as-administrator", "",
                                         clock_.Now() + std::chrono::hours(1), {}, "setup");
    expired_ = expiring->secret;
    auto revoked = identity.CreateToken("as-administrator", "", std::nullopt, {}, "setup");
    revoked_ = revoked->secret;
    ASSERT_THAT(identity.RevokeToken(revoked->info.id, "setup"), IsOk());
    clock_.Advance(std::chrono::hours(2));

    AddApiRoutes(router_, *services_, {.version = "test"});
    routes_ = router_.Routes();
    HttpServerOptions http;
    http.port = 0;
    server_ = std::make_unique<HttpServer>(std::move(router_), http);
    ASSERT_THAT(server_->Start(), IsOk());
  }

  void TearDown() override {
    server_.reset();
    services_.reset();
  }

  HttpReply Send(const std::string& method, const std::string& target, const std::string& body,
                 const Headers& headers) {
    auto connection = HttpConnection::Connect(server_->port());
    EXPECT_TRUE(connection.has_value());
    if (!connection) return {};
    Headers all = headers;
    all.emplace_back("Content-Type", "application/json");
    EXPECT_THAT(connection->Send(MakeRequest(method, target, body, all)), IsOk());
    auto reply = connection->ReadReply(std::chrono::seconds(30));
    EXPECT_TRUE(reply.has_value()) << method << " " << target;
    return reply.value_or(HttpReply{});
  }

  HttpReply As(const std::string& who, const std::string& method, const std::string& target,
               const std::string& body = "{}") {
    return Send(method, target, body, {{"Authorization", "Bearer " + tokens_.at(who)}});
  }

  quire::testing::TempDir dir_;
  ManualClock clock_{
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now())};
  std::unique_ptr<services::Services> services_;
  Router router_;
  std::vector<RouteInfo> routes_;
  std::unique_ptr<HttpServer> server_;
  std::map<std::string, std::string> tokens_;
  std::map<std::string, std::string> token_ids_;  // anna's and ben's
  std::string expired_;
  std::string revoked_;
};

TEST_F(AccessTest, EveryRouteButThePublicOnesNeedsValidCredentials) {
  std::size_t checked = 0;
  for (const RouteInfo& r : routes_) {
    const std::string path = Concrete(r.pattern);
    const std::string what = r.method + " " + r.pattern;
    if (r.access.kind == Access::Kind::kPublic) {
      EXPECT_TRUE(kPublic.contains({r.method, r.pattern})) << what
                                                           << " is public but not in the "
                                                              "allow-list";
      continue;
    }
    EXPECT_FALSE(kPublic.contains({r.method, r.pattern})) << what;
    for (const Headers& credentials : std::vector<Headers>{
             {},
             {{"Authorization", "Bearer qt_forgedforgedforgedforgedforgedforgedforged"}},
             {{"Authorization", "Bearer " + expired_}},
             {{"Authorization", "Bearer " + revoked_}},
             {{"X-Quire-User", "as-administrator"}},
             {{"Authorization", "Digest username=\"as-administrator\""}},
             {{"Cookie", "quire_session=forged"}},
         }) {
      const HttpReply reply = Send(r.method, path, "{}", credentials);
      EXPECT_EQ(reply.status, 401)
          << what << " with " << (credentials.empty() ? "nothing" : credentials[0].first);
      EXPECT_THAT(reply.body, HasSubstr("unauthenticated")) << what;
    }
    ++checked;
  }
  EXPECT_GT(checked, 100u);
  // A wrong password over Basic: 401 (and, repeated, throttled like a sign-in).
  const Headers wrong{{"Authorization", "Basic YXMtYWRtaW5pc3RyYXRvcjp3cm9uZw=="}};
  EXPECT_EQ(Send("GET", "/api/me", "", wrong).status, 401);
}

TEST_F(AccessTest, EachRoleIsRefusedExactlyWhereItLacksThePermission) {
  for (const org::Role& role : org::BuiltInRoles()) {
    org::PermissionSet held;
    for (const org::Grant& g : role.grants) held.Add(g);
    for (const RouteInfo& r : routes_) {
      if (r.access.kind != Access::Kind::kPermission) continue;
      // Changes are tried only where refused: nothing is done on the way.
      if (held.Has(r.access.permission) && ChangesState(r.method)) continue;
      const std::string permission(org::Name(r.access.permission));
      const HttpReply reply = As(role.id, r.method, Concrete(r.pattern));
      const std::string what = role.id + ": " + r.method + " " + r.pattern;
      if (held.Has(r.access.permission)) {
        EXPECT_THAT(reply.body, Not(HasSubstr("permission " + permission + " is needed"))) << what;
      } else {
        EXPECT_EQ(reply.status, 403) << what << ": " << reply.body;
        EXPECT_THAT(reply.body, HasSubstr("permission " + permission + " is needed")) << what;
      }
    }
  }
}

TEST_F(AccessTest, MeShowsTheCallerAndTheirEffectivePermissions) {
  const HttpReply me = As("auditor", "GET", "/api/me");
  ASSERT_EQ(me.status, 200) << me.body;
  const json::value v = json::parse(me.body);
  EXPECT_EQ(v.at("user").at("id"), "as-auditor");
  EXPECT_EQ(v.at("roles"), json::parse(R"(["auditor"])"));
  EXPECT_EQ(v.at("via"), "token");
  std::set<std::string> permissions;
  for (const json::value& p : v.at("permissions").as_array()) {
    permissions.insert(std::string(p.at("permission").as_string()));
  }
  EXPECT_TRUE(permissions.contains("audit.export"));
  EXPECT_FALSE(permissions.contains("org.administer"));
}

TEST_F(AccessTest, ASessionCookieWithoutItsCsrfTokenChangesNothing) {
  const HttpReply login = Send(
      "POST", "/api/auth/login",
      std::string(R"({"user": "as-administrator", "password": ")") + kAdminPassword + "\"}", {});
  ASSERT_EQ(login.status, 200) << login.body;
  const auto set_cookie = login.header("set-cookie");
  ASSERT_TRUE(set_cookie.has_value());
  EXPECT_THAT(*set_cookie, HasSubstr("HttpOnly"));
  EXPECT_THAT(*set_cookie, HasSubstr("SameSite=Lax"));
  EXPECT_THAT(*set_cookie, HasSubstr("Path=/"));
  const std::string cookie = set_cookie->substr(0, set_cookie->find(';'));
  const std::string csrf(json::parse(login.body).at("csrfToken").as_string());
  // Reads need no token.
  EXPECT_EQ(Send("GET", "/api/me", "", {{"Cookie", cookie}}).status, 200);
  for (const RouteInfo& r : routes_) {
    if (r.access.kind == Access::Kind::kPublic || !ChangesState(r.method)) continue;
    const std::string what = r.method + " " + r.pattern;
    const HttpReply bare = Send(r.method, Concrete(r.pattern), "{}", {{"Cookie", cookie}});
    EXPECT_EQ(bare.status, 403) << what << ": " << bare.body;
    EXPECT_THAT(bare.body, HasSubstr("X-CSRF-Token")) << what;
    const HttpReply wrong =
        Send(r.method, Concrete(r.pattern), "{}", {{"Cookie", cookie}, {"X-CSRF-Token", "guess"}});
    EXPECT_EQ(wrong.status, 403) << what;
    const HttpReply foreign =
        Send(r.method, Concrete(r.pattern), "{}",
             {{"Cookie", cookie}, {"X-CSRF-Token", csrf}, {"Origin", "https://evil.example"}});
    EXPECT_EQ(foreign.status, 403) << what;
    const HttpReply cross =
        Send(r.method, Concrete(r.pattern), "{}",
             {{"Cookie", cookie}, {"X-CSRF-Token", csrf}, {"Sec-Fetch-Site", "cross-site"}});
    EXPECT_EQ(cross.status, 403) << what;
  }
  // With the token, the same session changes things; a bearer token needs none.
  EXPECT_EQ(Send("POST", "/api/groups", R"({"id": "sales"})",
                 {{"Cookie", cookie}, {"X-CSRF-Token", csrf}})
                .status,
            201);
  EXPECT_EQ(As("administrator", "POST", "/api/groups", R"({"id": "service"})").status, 201);
  // Signing out ends the session.
  EXPECT_EQ(
      Send("POST", "/api/auth/logout", "", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}).status,
      204);
  EXPECT_EQ(Send("GET", "/api/me", "", {{"Cookie", cookie}}).status, 401);
}

TEST_F(AccessTest, OtherUsersTasksAreRefusedOrFilteredOut) {
  ASSERT_EQ(As("administrator", "POST", "/api/deployments", kProcess).status, 201);
  const HttpReply started = As("administrator", "POST", "/api/processes/p/instances", "{}");
  ASSERT_EQ(started.status, 201) << started.body;
  const json::value s = json::parse(started.body);
  const std::string task(s.at("tasks").at(0).as_string());
  const std::string instance(s.at("id").as_string());
  EXPECT_EQ(As("anna", "GET", "/api/tasks/" + task).status, 200);
  // The task's diagram: anna (who may see the task) without instances.read; not ben.
  const HttpReply diagram = As("anna", "GET", "/api/tasks/" + task + "/diagram");
  ASSERT_EQ(diagram.status, 200) << diagram.body;
  const json::value d = json::parse(diagram.body);
  EXPECT_EQ(d.at("processId"), "p");
  EXPECT_THAT(std::string(d.at("xml").as_string()), HasSubstr("<"));
  EXPECT_EQ(d.at("activeElementIds").as_array().size(), 1u);
  for (const std::string& target :
       {"/api/tasks/" + task, "/api/tasks/" + task + "/form", "/api/tasks/" + task + "/comments",
        "/api/tasks/" + task + "/diagram"}) {
    const HttpReply refused = As("ben", "GET", target);
    EXPECT_EQ(refused.status, 403) << target << ": " << refused.body;
  }
  EXPECT_EQ(As("ben", "POST", "/api/tasks/" + task + "/complete", "{}").status, 403);
  EXPECT_EQ(As("ben", "POST", "/api/tasks/" + task + "/comments", R"({"text": "hi"})").status, 403);
  const json::value bens = json::parse(As("ben", "GET", "/api/tasks?instance=" + instance).body);
  EXPECT_TRUE(bens.at("items").as_array().empty());
  const json::value annas = json::parse(As("anna", "GET", "/api/tasks?instance=" + instance).body);
  EXPECT_EQ(annas.at("items").as_array().size(), 1u);
  const json::value searched = json::parse(As("ben", "GET", "/api/tasks?process=p").body);
  EXPECT_TRUE(searched.at("items").as_array().empty());
  // A supervisor's read-all sees it.
  EXPECT_EQ(As("supervisor", "GET", "/api/tasks/" + task).status, 200);
}

TEST_F(AccessTest, OtherUsersSessionsAndTokensAreOutOfReach) {
  const HttpReply login = Send("POST", "/api/auth/login",
                               R"({"user": "anna", "password": "annas long passphrase"})", {});
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string session(json::parse(login.body).at("sessionId").as_string());
  // Ben cannot end or list Anna's session.
  EXPECT_EQ(As("ben", "DELETE", "/api/me/sessions/" + session).status, 404);
  EXPECT_EQ(As("ben", "GET", "/api/users/anna/sessions").status, 403);
  const json::value bens_sessions = json::parse(As("ben", "GET", "/api/me/sessions").body);
  EXPECT_TRUE(bens_sessions.at("items").as_array().empty());
  // Nor see, create or revoke Anna's tokens.
  EXPECT_EQ(As("ben", "GET", "/api/tokens?user=anna").status, 403);
  const json::value bens_tokens = json::parse(As("ben", "GET", "/api/tokens").body);
  for (const json::value& t : bens_tokens.at("items").as_array()) EXPECT_EQ(t.at("user"), "ben");
  EXPECT_EQ(As("ben", "POST", "/api/tokens", R"({"user": "anna"})").status, 403);
  const HttpReply annas =
      As("anna", "POST", "/api/tokens", R"({"name": "mine", "expiresIn": "P1D"})");
  ASSERT_EQ(annas.status, 201) << annas.body;
  const json::value created = json::parse(annas.body);
  EXPECT_TRUE(std::string(created.at("token").as_string()).starts_with("qt_"));
  const std::string id(created.at("id").as_string());
  EXPECT_EQ(As("ben", "DELETE", "/api/tokens/" + id).status, 404);
  // Anna revokes her own; an administrator may revoke anyone's.
  EXPECT_EQ(As("anna", "DELETE", "/api/tokens/" + id).status, 204);
  EXPECT_EQ(As("administrator", "DELETE", "/api/tokens/" + id).status, 404);
  // Notifications are per user: acknowledging someone else's is refused.
  EXPECT_NE(As("ben", "DELETE", "/api/notifications/1").status, 204);
}

// A documents grant with scope own reaches the documents its holder created; with scope
// team, also those of people who share a group with them. Other documents are refused on
// every /api/documents/{id} route, naming the permission and its scope, and left out of lists.
TEST_F(AccessTest, DocumentGrantsWithAScopeReachOnlyTheirOwnersDocuments) {
  org::Identity& identity = services_->identity();
  org::Directory& directory = services_->directory();
  using org::Permission;
  using org::Scope;
  ASSERT_THAT(identity.PutRole({"clerk",
                                "Clerk",
                                "",
                                {{Permission::kDocumentsRead, Scope::kOwn},
                                 {Permission::kDocumentsWrite, Scope::kOwn}},
                                false,
                                false},
                               "setup"),
              IsOk());
  ASSERT_THAT(identity.PutRole({"team-clerk",
                                "Team clerk",
                                "",
                                {{Permission::kDocumentsRead, Scope::kTeam},
                                 {Permission::kDocumentsWrite, Scope::kTeam}},
                                false,
                                false},
                               "setup"),
              IsOk());
  ASSERT_THAT(directory.PutGroup({"north", "North"}, "setup"), IsOk());
  auto type = dms::ParseDocumentType(json::parse(R"({"id": "note"})"));
  ASSERT_TRUE(type);
  ASSERT_THAT(services_->documents().PutType(*type, "setup"), IsOk());
  for (const auto& [user, role, group] :
       {std::tuple{"carl", "clerk", "north"}, std::tuple{"dora", "clerk", ""},
        std::tuple{"erin", "team-clerk", "north"}, std::tuple{"finn", "team-clerk", ""}}) {
    ASSERT_THAT(directory.PutUser({user, user, "", "", true, ""}, "setup"), IsOk());
    ASSERT_THAT(identity.SetUserRoles(user, {role}, "setup"), IsOk());
    if (*group != '\0') {
      ASSERT_THAT(directory.AddMember(group, user, "setup"), IsOk());
    }
    auto t = identity.CreateToken(user, "", std::nullopt, {}, "setup");
    ASSERT_TRUE(t);
    tokens_[user] = t->secret;
  }
  const HttpReply created =
      As("carl", "POST", "/api/documents?title=Offer&type=note&link=customer:7", "carl's offer");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id(json::parse(created.body).at("id").as_string());
  const std::string doc = "/api/documents/" + id;

  // Carl (own), Erin (team: she shares "north" with him) and Anna (staff: scope all) reach it.
  for (const char* who : {"carl", "erin", "anna"}) {
    EXPECT_EQ(As(who, "GET", doc).status, 200) << who;
    EXPECT_EQ(As(who, "GET", doc + "/content").body, "carl's offer") << who;
  }
  // Dora (own) and Finn (team, in no group with Carl) do not, on reads and writes alike.
  for (const char* who : {"dora", "finn"}) {
    for (const auto& [method, target, body] :
         {std::tuple{"GET", doc, ""}, std::tuple{"GET", doc + "/content", ""},
          std::tuple{"GET", doc + "/versions", ""},
          std::tuple{"GET", doc + "/metadata-versions", ""},
          std::tuple{"GET", doc + "/retention", ""},
          std::tuple{"PATCH", doc, R"({"title": "Mine now"})"},
          std::tuple{"POST", doc + "/checkout", ""},
          std::tuple{"POST", doc + "/links", R"({"kind": "customer", "id": "8"})"}}) {
      const HttpReply refused = As(who, method, target, body);
      EXPECT_EQ(refused.status, 403) << who << " " << method << " " << target;
      EXPECT_THAT(refused.body,
                  HasSubstr(std::string(method) == "GET" ? "documents.read" : "documents.write"));
      EXPECT_THAT(refused.body, HasSubstr(std::string(who) == "dora" ? "scope own" : "scope team"));
    }
  }
  // Nothing they tried changed it.
  const json::value after = json::parse(As("carl", "GET", doc).body);
  EXPECT_EQ(after.at("title"), "Offer");
  EXPECT_FALSE(after.as_object().contains("lock"));

  // Lists show each caller only what they reach.
  auto listed = [&](const char* who) {
    const HttpReply r = As(who, "GET", "/api/documents?link=customer:7");
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).at("items").as_array().size();
  };
  EXPECT_EQ(listed("carl"), 1u);
  EXPECT_EQ(listed("erin"), 1u);
  EXPECT_EQ(listed("anna"), 1u);
  EXPECT_EQ(listed("dora"), 0u);
  EXPECT_EQ(listed("finn"), 0u);

  // Dora's own document is hers to read; a document that does not exist is still a 404.
  const HttpReply doras = As("dora", "POST", "/api/documents?title=Note&type=note", "dora's note");
  ASSERT_EQ(doras.status, 201) << doras.body;
  const std::string dora_id(json::parse(doras.body).at("id").as_string());
  EXPECT_EQ(As("dora", "GET", "/api/documents/" + dora_id).status, 200);
  EXPECT_EQ(As("carl", "GET", "/api/documents/" + dora_id).status, 403);
  EXPECT_EQ(As("dora", "GET", "/api/documents/999999").status, 404);
}

// The audit chain's actor is the authenticated user, and details.via the credential they
// came through: the token's id for a bearer, the session's id for a cookie.
TEST_F(AccessTest, TheChainNamesTheUserAndTheTokenOrSessionTheyActedThrough) {
  ASSERT_EQ(As("administrator", "POST", "/api/deployments", kProcess).status, 201);
  const HttpReply started = As("administrator", "POST", "/api/processes/p/instances", "{}");
  ASSERT_EQ(started.status, 201) << started.body;
  const std::string task(json::parse(started.body).at("tasks").at(0).as_string());
  ASSERT_EQ(As("anna", "POST", "/api/tasks/" + task + "/comments", R"({"text": "called"})").status,
            201);
  const HttpReply login = Send("POST", "/api/auth/login",
                               R"({"user": "anna", "password": "annas long passphrase"})", {});
  ASSERT_EQ(login.status, 200) << login.body;
  const json::value in = json::parse(login.body);
  const std::string session(in.at("sessionId").as_string());
  const std::string csrf(in.at("csrfToken").as_string());
  const std::string set_cookie = login.header("set-cookie").value_or("");
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  ASSERT_EQ(Send("POST", "/api/tasks/" + task + "/complete", "{}",
                 {{"Cookie", cookie}, {"X-CSRF-Token", csrf}})
                .status,
            200);

  std::ostringstream exported;
  ASSERT_THAT(services_->audit().Export(1, 0, exported), IsOk());
  std::map<std::string, json::object> last;  // action → its last entry
  auto via = [&](const std::string& action) {
    const json::value* v = last[action].at("details").as_object().if_contains("via");
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string("(none)");
  };
  std::istringstream lines(exported.str());
  for (std::string line; std::getline(lines, line);) {
    const json::object e = json::parse(line).as_object();
    last[std::string(e.at("action").as_string())] = e;
  }
  ASSERT_TRUE(last.contains("task.commented"));
  EXPECT_EQ(last["task.commented"].at("actor"), "anna");
  EXPECT_EQ(via("task.commented"), "token " + token_ids_.at("anna"));
  // The words of a comment are personal data: the chain keeps its length only.
  EXPECT_THAT(json::serialize(last["task.commented"]), Not(HasSubstr("called")));
  ASSERT_TRUE(last.contains("session.started"));
  EXPECT_EQ(via("session.started"), "session " + session);
  ASSERT_TRUE(last.contains("task.completed"));
  EXPECT_EQ(last["task.completed"].at("actor"), "anna");
  EXPECT_EQ(via("task.completed"), "session " + session);
  ASSERT_TRUE(last.contains("instance.started"));
  EXPECT_EQ(last["instance.started"].at("actor"), "as-administrator");
  EXPECT_THAT(via("instance.started"), ::testing::StartsWith("token "));
}

TEST_F(AccessTest, ResponsesCarryTheSecurityHeaders) {
  for (const std::string target : {"/health", "/api/me", "/nope"}) {
    const HttpReply r = Send("GET", target, "", {});
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << target;
    EXPECT_EQ(r.header("referrer-policy"), "no-referrer") << target;
    EXPECT_EQ(r.header("content-security-policy"), "default-src 'none'; frame-ancestors 'none'")
        << target;
  }
}

}  // namespace
}  // namespace quire::server

namespace quire::server {
namespace {

// crm.read and crm.write reach customers by their owner: staff (scope own) their own,
// supervisors (scope team) also those of their groups' members, administrators and auditors
// every one; every read path is filtered and every refusal names the scope.
TEST_F(AccessTest, CustomersAreReachedByTheirOwnersScope) {
  org::Identity& identity = services_->identity();
  org::Directory& directory = services_->directory();
  ASSERT_THAT(directory.PutGroup({"north", "North"}, "setup"), IsOk());
  ASSERT_THAT(directory.PutUser({"sue", "sue", "", "", true, ""}, "setup"), IsOk());
  ASSERT_THAT(identity.SetUserRoles("sue", {"supervisor"}, "setup"), IsOk());
  auto t = identity.CreateToken("sue", "", std::nullopt, {}, "setup");
  ASSERT_TRUE(t);
  tokens_["sue"] = t->secret;
  ASSERT_THAT(directory.AddMember("north", "sue", "setup"), IsOk());
  ASSERT_THAT(directory.AddMember("north", "anna", "setup"), IsOk());

  const HttpReply a = As("anna", "POST", "/api/crm/customers",
                         R"({"name": "Annas customer", "taxId": "526-104-08-28"})");
  ASSERT_EQ(a.status, 201) << a.body;
  const std::string annas(json::parse(a.body).at("id").as_string());
  EXPECT_EQ(json::parse(a.body).at("owner"), "anna");
  EXPECT_EQ(a.header("location").value_or(""), "/api/crm/customers/" + annas);
  const HttpReply b = As("ben", "POST", "/api/crm/customers", R"({"name": "Bens customer"})");
  ASSERT_EQ(b.status, 201) << b.body;
  const std::string bens(json::parse(b.body).at("id").as_string());

  auto listed = [&](const std::string& who) {
    const HttpReply r = As(who, "GET", "/api/crm/customers");
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> names;
    const json::value body = json::parse(r.body);
    for (const json::value& c : body.at("items").as_array()) {
      names.emplace_back(c.at("name").as_string());
    }
    return names;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(listed("anna"), (V{"Annas customer"}));
  EXPECT_EQ(listed("ben"), (V{"Bens customer"}));
  EXPECT_EQ(listed("sue"), (V{"Annas customer"}));  // anna is in sue's group, ben is not
  EXPECT_EQ(listed("administrator"), (V{"Annas customer", "Bens customer"}));
  EXPECT_EQ(listed("auditor"), (V{"Annas customer", "Bens customer"}));

  EXPECT_EQ(As("anna", "GET", "/api/crm/customers/" + annas).status, 200);
  const HttpReply refused = As("anna", "GET", "/api/crm/customers/" + bens);
  EXPECT_EQ(refused.status, 403);
  EXPECT_THAT(refused.body, HasSubstr("crm.read is granted to you with scope own"));
  EXPECT_EQ(As("sue", "GET", "/api/crm/customers/" + annas).status, 200);
  EXPECT_EQ(As("sue", "GET", "/api/crm/customers/" + bens).status, 403);
  EXPECT_EQ(As("auditor", "GET", "/api/crm/customers/" + bens).status, 200);
  EXPECT_EQ(As("auditor", "POST", "/api/crm/customers", R"({"name": "X"})").status, 403);
  const HttpReply worker = As("worker", "GET", "/api/crm/customers");
  EXPECT_EQ(worker.status, 403);
  EXPECT_THAT(worker.body, HasSubstr("permission crm.read is needed"));

  // Writes: within reach only, and a customer cannot be handed out of it.
  EXPECT_EQ(As("anna", "PATCH", "/api/crm/customers/" + bens, R"({"notes": "x"})").status, 403);
  EXPECT_EQ(As("anna", "PATCH", "/api/crm/customers/" + annas, R"({"owner": "ben"})").status, 403);
  EXPECT_EQ(As("anna", "POST", "/api/crm/customers", R"({"name": "Y", "owner": "ben"})").status,
            403);
  const HttpReply moved =
      As("sue", "PATCH", "/api/crm/customers/" + annas, R"({"owner": "sue", "notes": "mine"})");
  EXPECT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(listed("anna"), V{});
  EXPECT_EQ(As("sue", "GET", "/api/crm/customers/" + annas).status, 200);

  // Bad fields: 422, one detail each, nothing created.
  const HttpReply bad =
      As("administrator", "POST", "/api/crm/customers", R"({"name": "Z", "taxId": "5261040827"})");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(json::parse(bad.body).at("error").at("details").at(0).at("field"), "taxId");
  const HttpReply nobody =
      As("administrator", "POST", "/api/crm/customers", R"({"name": "Z", "owner": "nobody"})");
  EXPECT_EQ(nobody.status, 422);
  EXPECT_THAT(nobody.body, HasSubstr("'nobody' is not a user"));
  EXPECT_EQ(listed("administrator").size(), 2u);
  EXPECT_EQ(As("anna", "GET", "/api/crm/customers/999").status, 404);
}

TEST_F(AccessTest, ActivitiesCalendarsTheCardAndCallsKeepToTheCallersReach) {
  const auto at = [&](std::chrono::minutes m) { return FormatInstant(clock_.Now() + m); };
  const std::string start = at(std::chrono::minutes(24 * 60));
  const std::string end = at(std::chrono::minutes(25 * 60));
  const std::string later = at(std::chrono::minutes(24 * 60 + 30));
  const std::string later_end = at(std::chrono::minutes(25 * 60 + 30));
  const std::string range =
      "&from=" + at(std::chrono::minutes(0)) + "&to=" + at(std::chrono::minutes(7 * 24 * 60));

  // Resources are the administrators' (crm.manage), read by everyone in the CRM.
  EXPECT_EQ(As("anna", "POST", "/api/crm/resources", R"({"name": "Room"})").status, 403);
  const HttpReply room = As("administrator", "POST", "/api/crm/resources",
                            R"({"name": "Sala Wisła", "kind": "room", "capacity": 8})");
  ASSERT_EQ(room.status, 201) << room.body;
  const std::string room_id(json::parse(room.body).at("id").as_string());
  EXPECT_EQ(As("ben", "GET", "/api/crm/resources").status, 200);
  EXPECT_EQ(As("administrator", "POST", "/api/crm/resources", R"({"capacity": 0})").status, 422);
  const HttpReply free_slots = As(
      "ben", "GET",
      "/api/crm/free-slots?kind=room&capacity=6&duration=PT1H&from=" + at(std::chrono::minutes(0)) +
          "&to=" + at(std::chrono::minutes(600)));
  ASSERT_EQ(free_slots.status, 200) << free_slots.body;
  EXPECT_EQ(json::parse(free_slots.body).at("items").at(0).at("resource").at("id").as_string(),
            room_id);
  EXPECT_TRUE(
      json::parse(As("ben", "GET",
                     "/api/crm/free-slots?capacity=9&duration=PT1H&from=" +
                         at(std::chrono::minutes(0)) + "&to=" + at(std::chrono::minutes(600)))
                      .body)
          .at("items")
          .as_array()
          .empty());
  EXPECT_EQ(As("ben", "GET",
               "/api/crm/free-slots?duration=P1M&from=" + at(std::chrono::minutes(0)) +
                   "&to=" + at(std::chrono::minutes(600)))
                .status,
            400);

  const HttpReply c =
      As("anna", "POST", "/api/crm/customers",
         R"({"name": "Hurtownia Kowalski", "phones": [{"number": "601 234 567"}]})");
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string customer(json::parse(c.body).at("id").as_string());

  // anna books the room for her customer (the id as a number, as clients send it).
  const HttpReply meeting = As("anna", "POST", "/api/crm/activities",
                               R"({"type": "meeting", "customer": )" + customer +
                                   R"(, "start": ")" + start + R"(", "end": ")" + end +
                                   R"(", "employees": ["anna"], "resources": [)" + room_id + "]}");
  ASSERT_EQ(meeting.status, 201) << meeting.body;
  const std::string meeting_id(json::parse(meeting.body).at("id").as_string());
  EXPECT_EQ(meeting.header("location").value_or(""), "/api/crm/activities/" + meeting_id);
  // ben's booking of the same room half an hour later collides: 409 naming anna's activity.
  const HttpReply clash = As("ben", "POST", "/api/crm/activities",
                             R"({"type": "meeting", "start": ")" + later + R"(", "end": ")" +
                                 later_end + R"(", "resources": [")" + room_id + R"("]})");
  EXPECT_EQ(clash.status, 409) << clash.body;
  EXPECT_THAT(clash.body, HasSubstr("by activity " + meeting_id));
  // ben cannot record activities for anna's customer, nor name people who do not exist.
  EXPECT_EQ(
      As("ben", "POST", "/api/crm/activities",
         R"({"type": "call", "customer": ")" + customer + R"(", "start": ")" + start + R"("})")
          .status,
      403);
  const HttpReply nobody =
      As("anna", "POST", "/api/crm/activities",
         R"({"type": "call", "start": ")" + start + R"(", "employees": ["nobody"]})");
  EXPECT_EQ(nobody.status, 422);
  EXPECT_THAT(nobody.body, HasSubstr("employees[0]"));

  // Reads: anna's own, her supervisor's team, everything for an administrator.
  EXPECT_EQ(As("anna", "GET", "/api/crm/activities/" + meeting_id).status, 200);
  EXPECT_EQ(As("ben", "GET", "/api/crm/activities/" + meeting_id).status, 403);
  EXPECT_EQ(As("ben", "PATCH", "/api/crm/activities/" + meeting_id, R"({"note": "x"})").status,
            403);
  EXPECT_EQ(As("administrator", "GET", "/api/crm/activities/" + meeting_id).status, 200);
  const HttpReply mine = As("anna", "GET", "/api/crm/calendar?user=anna" + range);
  ASSERT_EQ(mine.status, 200) << mine.body;
  const json::array items = json::parse(mine.body).at("items").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].at("id").as_string(), meeting_id);
  EXPECT_EQ(items[0].at("start").as_string(), start);
  const HttpReply others = As("ben", "GET", "/api/crm/calendar?user=anna" + range);
  EXPECT_EQ(others.status, 403);
  EXPECT_THAT(others.body, HasSubstr("scope own"));
  EXPECT_EQ(As("administrator", "GET", "/api/crm/calendar?user=anna" + range).status, 200);
  EXPECT_EQ(As("anna", "GET", "/api/crm/calendar?user=anna").status, 400);  // no range
  // The room's calendar shows ben that it is taken, not by what.
  const HttpReply busy = As("ben", "GET", "/api/crm/calendar?resource=" + room_id + range);
  ASSERT_EQ(busy.status, 200) << busy.body;
  const json::object slot = json::parse(busy.body).at("items").at(0).as_object();
  EXPECT_EQ(slot.at("busy"), true);
  EXPECT_FALSE(slot.contains("customer"));
  EXPECT_FALSE(slot.contains("title"));

  // The card and the timeline: within reach only.
  const HttpReply card = As("anna", "GET", "/api/crm/customers/" + customer + "/card");
  ASSERT_EQ(card.status, 200) << card.body;
  const json::value cv = json::parse(card.body);
  EXPECT_EQ(cv.at("customer").at("name"), "Hurtownia Kowalski");
  ASSERT_EQ(cv.at("nextActivities").as_array().size(), 1u);
  EXPECT_EQ(cv.at("nextActivities").at(0).at("id").as_string(), meeting_id);
  EXPECT_TRUE(cv.at("lastActivities").as_array().empty());
  EXPECT_EQ(As("ben", "GET", "/api/crm/customers/" + customer + "/card").status, 403);
  const HttpReply timeline = As("anna", "GET", "/api/crm/customers/" + customer + "/activities");
  ASSERT_EQ(timeline.status, 200) << timeline.body;
  EXPECT_EQ(json::parse(timeline.body).at("items").as_array().size(), 1u);
  EXPECT_EQ(As("ben", "GET", "/api/crm/customers/" + customer + "/activities").status, 403);

  // The phone system: the caller's card while it rings, a call activity once it ends.
  auto call = [&](const std::string& who, const std::string& body) {
    return As(who, "POST", "/api/cti/calls", body);
  };
  EXPECT_EQ(
      call("anna", R"({"from": "601234567", "to": "anna", "callId": "1", "state": "ringing"})")
          .status,
      403);
  const HttpReply ringing = call("phone-system", R"({"from": "+48 601 234 567", "to": "anna",
                                                     "callId": "c1", "state": "ringing"})");
  ASSERT_EQ(ringing.status, 200) << ringing.body;
  EXPECT_EQ(json::parse(ringing.body).at("customer").at("id").as_string(), customer);
  const HttpReply unknown = call("phone-system", R"({"from": "+48 22 111 22 33", "to": "anna",
                                                     "callId": "c0", "state": "ringing"})");
  ASSERT_EQ(unknown.status, 200);
  EXPECT_TRUE(json::parse(unknown.body).at("customer").is_null());
  EXPECT_EQ(
      call("phone-system", R"({"from": "1", "to": "anna", "callId": "c1", "state": "on hold"})")
          .status,
      400);
  ASSERT_EQ(call("phone-system",
                 R"({"from": "601234567", "to": "anna", "callId": "c1", "state": "answered"})")
                .status,
            200);
  clock_.Advance(std::chrono::seconds(190));
  const HttpReply ended = call("phone-system", R"({"from": "601234567", "to": "anna",
                                                   "callId": "c1", "state": "ended"})");
  ASSERT_EQ(ended.status, 200) << ended.body;
  const json::object logged = json::parse(ended.body).at("activity").as_object();
  EXPECT_EQ(logged.at("type"), "call");
  EXPECT_EQ(logged.at("status"), "done");
  EXPECT_EQ(logged.at("customer").as_string(), customer);
  EXPECT_EQ(logged.at("employees"), json::array{"anna"});
  EXPECT_EQ(
      *ParseInstant(logged.at("end").as_string()) - *ParseInstant(logged.at("start").as_string()),
      std::chrono::seconds(190));
  const HttpReply missed = call("phone-system", R"({"from": "601234567", "to": "anna",
                                                    "callId": "c2", "state": "missed"})");
  ASSERT_EQ(missed.status, 200) << missed.body;
  EXPECT_EQ(json::parse(missed.body).at("activity").at("status"), "planned");
  EXPECT_THAT(std::string(json::parse(missed.body).at("activity").at("title").as_string()),
              HasSubstr("Call back"));
  // Both are on the customer's timeline, which anna reads.
  const HttpReply after = As("anna", "GET", "/api/crm/customers/" + customer + "/activities");
  EXPECT_EQ(json::parse(after.body).at("items").as_array().size(), 3u);
}

TEST_F(AccessTest, ContactPersonsAreReachedThroughTheirOwnerOrTheirCompanies) {
  const HttpReply c = As("anna", "POST", "/api/crm/customers", R"({"name": "Młyn Kowalski"})");
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string customer(json::parse(c.body).at("id").as_string());
  const HttpReply p = As("anna", "POST", "/api/crm/contacts",
                         R"({"firstName": "Zofia", "lastName": "Wójcik", "customers": [")" +
                             customer + R"("], "phones": [{"number": "+48 512 345 678"}]})");
  ASSERT_EQ(p.status, 201) << p.body;
  const std::string person(json::parse(p.body).at("id").as_string());
  EXPECT_EQ(p.header("location").value_or(""), "/api/crm/contacts/" + person);

  EXPECT_EQ(As("anna", "GET", "/api/crm/contacts/" + person).status, 200);
  const HttpReply refused = As("ben", "GET", "/api/crm/contacts/" + person);
  EXPECT_EQ(refused.status, 403);
  EXPECT_THAT(refused.body, HasSubstr("scope own"));
  EXPECT_EQ(As("ben", "PATCH", "/api/crm/contacts/" + person, R"({"title": "x"})").status, 403);
  // ben cannot attach his own contact to anna's customer either.
  EXPECT_EQ(As("ben", "POST", "/api/crm/contacts",
               R"({"lastName": "Nowak", "customers": [")" + customer + R"("]})")
                .status,
            403);
  const HttpReply bens = As("ben", "GET", "/api/crm/contacts");
  ASSERT_EQ(bens.status, 200);
  EXPECT_TRUE(json::parse(bens.body).at("items").as_array().empty());
  const HttpReply annas = As("anna", "GET", "/api/crm/customers/" + customer + "/contacts");
  ASSERT_EQ(annas.status, 200) << annas.body;
  EXPECT_EQ(json::parse(annas.body).at("items").at(0).at("name").as_string(), "Zofia Wójcik");
  EXPECT_EQ(As("ben", "GET", "/api/crm/customers/" + customer + "/contacts").status, 403);
  const HttpReply card = As("anna", "GET", "/api/crm/customers/" + customer + "/card");
  ASSERT_EQ(card.status, 200);
  EXPECT_EQ(json::parse(card.body).at("contacts").as_array().size(), 1u);
  // A call from the person's number pops up their company's card.
  const HttpReply call =
      As("phone-system", "POST", "/api/cti/calls",
         R"({"from": "512345678", "to": "anna", "callId": "k", "state": "ringing"})");
  ASSERT_EQ(call.status, 200) << call.body;
  const json::value answer = json::parse(call.body);
  EXPECT_EQ(answer.at("customer").at("id").as_string(), customer);
  EXPECT_EQ(answer.at("contact").at("name").as_string(), "Zofia Wójcik");
}

TEST_F(AccessTest, ImportsOverHttpWriteOnlyWithinTheCallersReach) {
  const std::string csv = "Nazwa;NIP;Opiekun\nPiekarnia;526-104-08-28;\nMłyn;;ben\n";
  const HttpReply dry = As("anna", "POST", "/api/crm/imports?kind=customers&dryRun=true", csv);
  ASSERT_EQ(dry.status, 200) << dry.body;
  const json::value report = json::parse(dry.body);
  EXPECT_EQ(report.at("created"), 1);
  EXPECT_EQ(report.at("refused"), 1);  // anna (scope own) cannot give a customer to ben
  EXPECT_EQ(report.at("errors").at(0).at("line"), 3);
  EXPECT_THAT(std::string(report.at("errors").at(0).at("message").as_string()),
              HasSubstr("owner 'ben'"));
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/crm/customers").body).at("items").as_array().size(),
            0u);
  const HttpReply skip =
      As("anna", "POST", "/api/crm/imports?kind=customers&skipBadRows=true", csv);
  ASSERT_EQ(skip.status, 200) << skip.body;
  EXPECT_EQ(json::parse(skip.body).at("created"), 1);
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/crm/customers").body).at("items").as_array().size(),
            1u);
  // ben cannot update anna's customer by re-importing its tax id.
  const HttpReply bens =
      As("ben", "POST", "/api/crm/imports?kind=customers", "Nazwa;NIP\nPrzejęta;5261040828\n");
  ASSERT_EQ(bens.status, 200);
  EXPECT_EQ(json::parse(bens.body).at("refused"), 1);
  EXPECT_EQ(json::parse(bens.body).at("written"), false);
  EXPECT_EQ(As("auditor", "POST", "/api/crm/imports?kind=customers", csv).status, 403);
  EXPECT_EQ(As("anna", "POST", "/api/crm/imports?kind=widgets", csv).status, 400);
  EXPECT_EQ(As("anna", "POST", "/api/crm/imports?kind=customers", "").status, 400);
  const HttpReply cut = As("anna", "POST", "/api/crm/imports?kind=customers", "a,b\n1,\"2\n");
  EXPECT_EQ(cut.status, 400);
  EXPECT_THAT(cut.body, HasSubstr("line 2"));
}

TEST_F(AccessTest, TheCalendarFeedIsReachedOnlyThroughItsSecretAndCanBeRevoked) {
  const std::string start = FormatInstant(clock_.Now() + std::chrono::hours(24));
  ASSERT_EQ(As("anna", "POST", "/api/crm/activities",
               R"({"type": "meeting", "title": "Odprawa", "start": ")" + start + R"(", "end": ")" +
                   FormatInstant(clock_.Now() + std::chrono::hours(25)) +
                   R"(", "rrule": "FREQ=WEEKLY;COUNT=4", "timeZone": "Europe/Warsaw"})")
                .status,
            201);
  const HttpReply made = As("anna", "POST", "/api/me/calendar-feed");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string path(json::parse(made.body).at("path").as_string());
  EXPECT_THAT(path, HasSubstr("/calendar/qcal_"));
  const HttpReply feed = Send("GET", path, "", {});
  ASSERT_EQ(feed.status, 200) << feed.body;
  EXPECT_THAT(feed.header("content-type").value_or(""), HasSubstr("text/calendar"));
  EXPECT_THAT(feed.body, HasSubstr("BEGIN:VCALENDAR"));
  EXPECT_THAT(feed.body, HasSubstr("SUMMARY:Odprawa"));
  EXPECT_THAT(feed.body, HasSubstr("RRULE:FREQ=WEEKLY;COUNT=4"));
  EXPECT_THAT(feed.body, HasSubstr("DTSTART;TZID=Europe/Warsaw:"));
  EXPECT_THAT(feed.body, HasSubstr("BEGIN:VTIMEZONE"));
  // A guessed secret, a replaced one and a revoked one are all 404.
  EXPECT_EQ(
      Send("GET", "/calendar/qcal_000000000000000000000000000000000000000000000000.ics", "", {})
          .status,
      404);
  const HttpReply again = As("anna", "POST", "/api/me/calendar-feed");
  ASSERT_EQ(again.status, 201);
  EXPECT_EQ(Send("GET", path, "", {}).status, 404);
  const std::string second(json::parse(again.body).at("path").as_string());
  EXPECT_EQ(Send("GET", second, "", {}).status, 200);
  EXPECT_EQ(As("anna", "DELETE", "/api/me/calendar-feed", "").status, 204);
  EXPECT_EQ(Send("GET", second, "", {}).status, 404);
  EXPECT_EQ(As("anna", "DELETE", "/api/me/calendar-feed", "").status, 404);
  EXPECT_EQ(As("worker", "POST", "/api/me/calendar-feed").status, 403);
}

TEST_F(AccessTest, DuplicatesAndDataQualityShowOnlyWhatTheCallerReaches) {
  const HttpReply first =
      As("anna", "POST", "/api/crm/customers",
         R"({"name": "Piekarnia Zielińska sp. z o.o.", "taxId": "5261040828"})");
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string annas(json::parse(first.body).at("id").as_string());
  EXPECT_TRUE(json::parse(first.body).at("possibleDuplicates").as_array().empty());
  const HttpReply twin =
      As("anna", "POST", "/api/crm/customers", R"({"name": "PIEKARNIA ZIELINSKA"})");
  ASSERT_EQ(twin.status, 201);
  const json::value dup = json::parse(twin.body).at("possibleDuplicates").at(0);
  EXPECT_EQ(dup.at("id").as_string(), annas);
  EXPECT_EQ(dup.at("reasons").at(0).as_string(), "name");
  // ben's record of the same company: anna's stays hidden from him.
  const HttpReply bens = As("ben", "POST", "/api/crm/customers",
                            R"({"name": "Piekarnia Zielinska", "taxId": "PL 526 104 08 28"})");
  ASSERT_EQ(bens.status, 201);
  EXPECT_TRUE(json::parse(bens.body).at("possibleDuplicates").as_array().empty());
  const std::string bens_id(json::parse(bens.body).at("id").as_string());
  const HttpReply admin_view =
      As("administrator", "GET", "/api/crm/customers/" + bens_id + "/duplicates");
  ASSERT_EQ(admin_view.status, 200);
  EXPECT_EQ(json::parse(admin_view.body).at("items").as_array().size(), 2u);
  EXPECT_EQ(As("anna", "GET", "/api/crm/customers/" + bens_id + "/duplicates").status, 403);

  const HttpReply list = As("anna", "GET", "/api/crm/data-quality");
  ASSERT_EQ(list.status, 200) << list.body;
  const json::array items = json::parse(list.body).at("items").as_array();
  ASSERT_EQ(items.size(), 2u);  // anna's two, not ben's
  EXPECT_EQ(items[0].at("customer").at("id").as_string(), annas);
  EXPECT_THAT(json::serialize(items[0].at("problems")), HasSubstr("phones"));
  const HttpReply required = As("anna", "GET", "/api/crm/data-quality?severity=required");
  EXPECT_EQ(json::parse(required.body).at("items").as_array().size(), 2u);
  EXPECT_EQ(As("anna", "GET", "/api/crm/data-quality?severity=urgent").status, 400);
  const HttpReply summary = As("anna", "GET", "/api/crm/data-quality/summary");
  ASSERT_EQ(summary.status, 200);
  EXPECT_EQ(json::parse(summary.body).at("customersChecked"), 2);
  EXPECT_EQ(json::parse(As("administrator", "GET", "/api/crm/data-quality/summary").body)
                .at("customersChecked"),
            3);
  EXPECT_EQ(As("anna", "GET", "/api/crm/customers/" + annas + "/quality").status, 200);
  EXPECT_EQ(As("ben", "GET", "/api/crm/customers/" + annas + "/quality").status, 403);
}

TEST_F(AccessTest, APersonsDataIsExportedAndErasedLeavingNothingBehind) {
  // A PESEL is sensitive: anna (staff) may not set it; the administrator does, for her.
  const HttpReply c = As("administrator", "POST", "/api/crm/customers",
                         R"({"kind": "person", "name": "Zofia Wójcik", "taxId": "44051401359",
                             "owner": "anna", "bankAccounts": ["PL61 1090 1014 0000 0712 1981 2874"],
                             "emails": [{"address": "zofia.tajna@example.pl"}],
                             "phones": [{"number": "601 222 333"}],
                             "addresses": [{"street": "ul. Cicha 7", "postalCode": "00-001",
                                            "city": "Warszawa", "country": "PL"}],
                             "notes": "Prefers calls after 16:00"})");
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string id(json::parse(c.body).at("id").as_string());
  ASSERT_EQ(As("anna", "POST", "/api/crm/activities",
               R"({"type": "call", "status": "done", "customer": ")" + id +
                   R"(", "start": "2026-11-02T10:00:00Z", "title": "Rozmowa z Zofią Wójcik",
                      "note": "Mąż: Tadeusz Wójcik"})")
                .status,
            201);
  const HttpReply person = As("anna", "POST", "/api/crm/contacts",
                              R"({"firstName": "Zofia", "lastName": "Wójcik", "customers": [")" +
                                  id + R"("], "emails": [{"address": "zofia.tajna@example.pl"}]})");
  ASSERT_EQ(person.status, 201) << person.body;
  const std::string contact(json::parse(person.body).at("id").as_string());
  // An offer, accepted and ordered (locked), whose texts name her.
  const HttpReply offer = As("anna", "POST", "/api/crm/offers",
                             R"({"customer": ")" + id + R"(", "notes": "Dla Tadeusza Wójcika",
                                 "lines": [{"name": "Projekt ogrodu Wójcików", "quantity": 1,
                                            "unitPrice": "1500.00"}]})");
  ASSERT_EQ(offer.status, 201) << offer.body;
  const std::string offer_id(json::parse(offer.body).at("id").as_string());
  ASSERT_EQ(As("anna", "POST", "/api/crm/offers/" + offer_id + "/accept").status, 200);
  const HttpReply order = As("anna", "POST", "/api/crm/offers/" + offer_id + "/order",
                             R"({"notes": "Dzwonić do p. Tadeusza"})");
  ASSERT_EQ(order.status, 201) << order.body;
  ASSERT_EQ(As("anna", "POST",
               "/api/crm/orders/" + std::string(json::parse(order.body).at("id").as_string()) +
                   "/payments",
               R"({"amount": "100.00", "reference": "Zofia Wójcik, zaliczka"})")
                .status,
            201);

  const HttpReply exported = As("anna", "GET", "/api/crm/customers/" + id + "/privacy-export");
  ASSERT_EQ(exported.status, 200) << exported.body;
  for (const char* held : {"Zofia Wójcik", "zofia.tajna@example.pl", "+48601222333", "ul. Cicha 7",
                           "Tadeusz", "Projekt ogrodu", "zaliczka"}) {
    EXPECT_THAT(exported.body, HasSubstr(held));
  }
  // Without crm.sensitive the PESEL and the bank account are withheld, and named.
  EXPECT_THAT(exported.body, Not(HasSubstr("44051401359")));
  EXPECT_THAT(exported.body, Not(HasSubstr("PL611090")));
  EXPECT_EQ(json::parse(exported.body).at("customer").at("withheld"),
            json::parse(R"(["bankAccounts", "taxId"])"));
  const HttpReply full = As("administrator", "GET", "/api/crm/customers/" + id + "/privacy-export");
  EXPECT_THAT(full.body, HasSubstr("44051401359"));
  EXPECT_THAT(full.body, HasSubstr("PL61109010140000071219812874"));
  EXPECT_EQ(As("ben", "GET", "/api/crm/customers/" + id + "/privacy-export").status, 403);
  EXPECT_EQ(As("anna", "GET", "/api/crm/contacts/" + contact + "/privacy-export").status, 200);

  EXPECT_EQ(As("anna", "POST", "/api/crm/customers/" + id + "/erase").status, 403);
  const HttpReply erased = As("administrator", "POST", "/api/crm/customers/" + id + "/erase");
  ASSERT_EQ(erased.status, 200) << erased.body;
  EXPECT_EQ(json::parse(erased.body).at("activitiesCleared"), 1);
  EXPECT_EQ(json::parse(erased.body).at("offersAndOrdersCleared"), 2);
  ASSERT_EQ(As("administrator", "POST", "/api/crm/contacts/" + contact + "/erase").status, 200);
  EXPECT_EQ(As("anna", "PATCH", "/api/crm/customers/" + id, R"({"notes": "x"})").status, 409);
  // The history keeps its shape: the activity is there, without what was said.
  const HttpReply timeline = As("anna", "GET", "/api/crm/customers/" + id + "/activities");
  ASSERT_EQ(json::parse(timeline.body).at("items").as_array().size(), 1u);

  // Nothing of the person is left anywhere in the store, and the chain still verifies.
  std::size_t scanned = 0;
  for (const storage::ColumnFamilyInfo& cf : storage::kColumnFamilies) {
    for (auto it = services_->store().ScanPrefix(cf.id, ""); it.Valid(); it.Next()) {
      ++scanned;
      const std::string kv = std::string(it.key()) + " " + std::string(it.value());
      for (const char* held : {"Wójcik", "Zofi", "tajna", "601222333", "Cicha", "Tadeusz",
                               "44051401359", "16:00", "PL61109010140000071219812874"}) {
        EXPECT_EQ(kv.find(held), std::string::npos)
            << "'" << held << "' left in column family " << cf.name << ": " << kv.substr(0, 300);
      }
    }
  }
  EXPECT_GT(scanned, 50u);  // the scan saw the whole store, audit chain included
  // Nor in the store's files: the erasure purged the versions it overwrote (memtables
  // flushed, the write-ahead logs that held them gone, the column family compacted).
  ASSERT_THAT(services_->WaitForPurge(), IsOk());
  auto versions = services_->store().AllVersions(storage::ColumnFamily::kCrm, 1'000'000);
  ASSERT_TRUE(versions.has_value());
  for (const auto& [key, value] : *versions) {
    for (const char* held : {"Wójcik", "tajna", "601222333", "Cicha", "Tadeusz", "44051401359"}) {
      EXPECT_EQ((key + " " + value).find(held), std::string::npos)
          << "an old version still holds '" << held << "': " << value.substr(0, 200);
    }
  }
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (entry.path().extension() != ".log") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("tajna"), std::string::npos) << entry.path();
  }
  std::ostringstream chain;
  ASSERT_THAT(services_->audit().Export(1, 0, chain), IsOk());
  std::istringstream lines(chain.str());
  const audit::VerifyReport report = audit::VerifyExport(lines);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_THAT(chain.str(), HasSubstr("customer.erased"));
  EXPECT_THAT(chain.str(), HasSubstr("customer.exported"));
}

TEST_F(AccessTest, SensitiveCustomerFieldsNeedTheirOwnPermission) {
  // Staff may not set a credit limit, a bank account or a PESEL: 403 naming them.
  const HttpReply refused = As("anna", "POST", "/api/crm/customers",
                               R"({"name": "Stal-Pol", "creditLimit": "50000.00",
                                   "bankAccounts": ["PL61109010140000071219812874"]})");
  ASSERT_EQ(refused.status, 403) << refused.body;
  EXPECT_THAT(refused.body, HasSubstr("crm.sensitive is needed to set creditLimit, bankAccounts"));
  ASSERT_EQ(As("anna", "POST", "/api/crm/customers", R"({"kind": "person", "name": "Jan Kowalski",
                                                      "taxId": "44051401359"})")
                .status,
            403);
  // An administrator may; the owner (anna, staff) then sees the customer without them.
  const HttpReply c = As("administrator", "POST", "/api/crm/customers",
                         R"({"name": "Stal-Pol", "owner": "anna", "industry": "Construction",
                             "creditLimit": "50000.00",
                             "bankAccounts": ["PL61109010140000071219812874"]})");
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string id(json::parse(c.body).at("id").as_string());
  EXPECT_EQ(json::parse(c.body).at("creditLimit"), "50000.00");
  for (const std::string& path : std::vector<std::string>{
           "/api/crm/customers/" + id, "/api/crm/customers/" + id + "/card",
           "/api/crm/customers?industry=construction", "/api/crm/exports/customers"}) {
    const HttpReply seen = As("anna", "GET", path);
    ASSERT_EQ(seen.status, 200) << path << ": " << seen.body;
    EXPECT_THAT(seen.body, HasSubstr("Stal-Pol")) << path;
    EXPECT_THAT(seen.body, Not(HasSubstr("50000"))) << path;
    EXPECT_THAT(seen.body, Not(HasSubstr("PL6110901014"))) << path;
  }
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/crm/customers/" + id).body).at("withheld"),
            json::parse(R"(["creditLimit", "bankAccounts"])"));
  EXPECT_THAT(As("administrator", "GET", "/api/crm/exports/customers").body, HasSubstr("50000.00"));
  // anna may change other fields (the sensitive ones are kept), not the sensitive ones.
  const HttpReply changed =
      As("anna", "PATCH", "/api/crm/customers/" + id, R"({"notes": "called", "satisfaction": 4})");
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(As("anna", "PATCH", "/api/crm/customers/" + id, R"({"creditLimit": null})").status,
            403);
  const HttpReply kept = As("administrator", "GET", "/api/crm/customers/" + id);
  EXPECT_EQ(json::parse(kept.body).at("creditLimit"), "50000.00");
  EXPECT_EQ(json::parse(kept.body).at("satisfaction"), 4);
  // An import with a sensitive column refuses its rows for staff.
  const HttpReply import = As("anna", "POST", "/api/crm/imports?kind=customers&dryRun=true",
                              "Name;Credit limit\nNowa;1000\n");
  ASSERT_EQ(import.status, 200) << import.body;
  EXPECT_EQ(json::parse(import.body).at("refused"), 1);
  EXPECT_THAT(import.body, HasSubstr("crm.sensitive"));
}

TEST_F(AccessTest, DictionariesAndCustomFieldsAreReadByAllAndChangedByManagers) {
  EXPECT_EQ(As("anna", "GET", "/api/crm/dictionaries").status, 200);
  EXPECT_EQ(As("anna", "PUT", "/api/crm/dictionaries/segments", R"({"entries": ["smb"]})").status,
            403);
  EXPECT_EQ(As("anna", "PUT", "/api/crm/custom-fields/customer", R"({"fields": []})").status, 403);
  EXPECT_EQ(As("worker", "GET", "/api/crm/dictionaries").status, 403);
  ASSERT_EQ(As("supervisor", "PUT", "/api/crm/dictionaries/segments",
               R"({"entries": ["smb", "enterprise"]})")
                .status,
            200);
  const HttpReply bad = As("supervisor", "PUT", "/api/crm/custom-fields/customer",
                           R"({"fields": [{"name": "segment", "type": "enum"}]})");
  ASSERT_EQ(bad.status, 422) << bad.body;
  EXPECT_THAT(bad.body, HasSubstr("fields[0].values"));
  ASSERT_EQ(As("supervisor", "PUT", "/api/crm/custom-fields/customer",
               R"({"fields": [{"name": "segment", "type": "enum", "dictionary": "segments"},
                              {"name": "employees", "type": "long", "min": 0}]})")
                .status,
            200);
  EXPECT_EQ(As("anna", "GET", "/api/crm/custom-fields/invoice").status, 404);
  const HttpReply fields = As("anna", "GET", "/api/crm/custom-fields/customer");
  EXPECT_EQ(json::parse(fields.body).at("fields").as_array().size(), 2u);
  EXPECT_EQ(As("supervisor", "DELETE", "/api/crm/dictionaries/segments").status, 409);

  const HttpReply wrong = As("anna", "POST", "/api/crm/customers",
                             R"({"name": "Nowa", "customFields": {"segment": "huge"}})");
  ASSERT_EQ(wrong.status, 422);
  EXPECT_THAT(wrong.body, HasSubstr("customFields.segment"));
  for (const char* body :
       {R"({"name": "Mała", "customFields": {"segment": "smb", "employees": 5}})",
        R"({"name": "Duża", "customFields": {"segment": "enterprise"}})"}) {
    ASSERT_EQ(As("anna", "POST", "/api/crm/customers", body).status, 201);
  }
  ASSERT_EQ(As("ben", "POST", "/api/crm/customers",
               R"({"name": "Bena", "customFields": {"segment": "smb"}})")
                .status,
            201);
  // Lists filter on custom fields, within the caller's reach.
  const HttpReply smb = As("anna", "GET", "/api/crm/customers?field.segment=smb");
  ASSERT_EQ(smb.status, 200) << smb.body;
  const json::array items = json::parse(smb.body).at("items").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].at("name"), "Mała");
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/crm/customers?field.employees=5").body)
                .at("items")
                .as_array()
                .size(),
            1u);
  EXPECT_EQ(As("anna", "GET", "/api/crm/customers?field.colour=red").status, 400);
  EXPECT_EQ(As("anna", "GET", "/api/crm/customers?industry=mining").status, 400);
  EXPECT_EQ(As("anna", "GET", "/api/crm/customers?creditLimit=1").status, 400);
}

TEST_F(AccessTest, ComputedClassesAreReadWithinReachAndTheirThresholdsChangedByManagers) {
  const json::value api = json::parse(As("anna", "GET", "/api/openapi.json").body);
  const auto fits = [&](const std::string& body, const char* schema) {
    const json::object& s = api.at("components").at("schemas").at(schema).as_object();
    EXPECT_THAT(SchemaProblems(api, json::parse(body), s, schema), ::testing::IsEmpty()) << body;
  };
  const HttpReply rules = As("anna", "GET", "/api/crm/classes");
  ASSERT_EQ(rules.status, 200) << rules.body;
  fits(rules.body, "ClassRules");
  EXPECT_THAT(rules.body, HasSubstr("has order (unpaid and dueDate < today)"));
  EXPECT_EQ(As("anna", "PATCH", "/api/crm/classes", R"({"thresholds": {"loyalOrders": 2}})").status,
            403);
  const HttpReply bad =
      As("supervisor", "PATCH", "/api/crm/classes", R"({"thresholds": {"loyalOrders": 0}})");
  EXPECT_EQ(bad.status, 422);
  EXPECT_THAT(bad.body, HasSubstr("loyalOrders"));
  EXPECT_EQ(As("supervisor", "PATCH", "/api/crm/classes", R"({"loyalOrders": 2})").status, 400);
  const HttpReply changed =
      As("supervisor", "PATCH", "/api/crm/classes", R"({"thresholds": {"loyalOrders": 1}})");
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(json::parse(changed.body).at("thresholds").at("loyalOrders"), 1);

  // anna's customer with one order: loyal (from 1) and new; ben may not read its classes.
  const HttpReply c = As("anna", "POST", "/api/crm/customers", R"({"name": "Stały Klient"})");
  const std::string customer(json::parse(c.body).at("id").as_string());
  const HttpReply offer =
      As("anna", "POST", "/api/crm/offers",
         R"({"customer": ")" + customer +
             R"(", "lines": [{"name": "X", "quantity": 1, "unitPrice": "10.00"}]})");
  ASSERT_EQ(offer.status, 201) << offer.body;
  const std::string offer_id(json::parse(offer.body).at("id").as_string());
  ASSERT_EQ(As("anna", "POST", "/api/crm/offers/" + offer_id + "/accept", "{}").status, 200);
  ASSERT_EQ(As("anna", "POST", "/api/crm/offers/" + offer_id + "/order", "{}").status, 201);
  const HttpReply classes = As("anna", "GET", "/api/crm/customers/" + customer + "/classes");
  ASSERT_EQ(classes.status, 200) << classes.body;
  std::set<std::string> names;
  const json::value parsed = json::parse(classes.body);
  for (const json::value& k : parsed.at("items").as_array()) {
    fits(json::serialize(k), "CustomerClass");
    names.insert(std::string(k.at("name").as_string()));
  }
  EXPECT_EQ(names, (std::set<std::string>{"loyal", "new"}));
  const HttpReply card = As("anna", "GET", "/api/crm/customers/" + customer + "/card");
  EXPECT_EQ(json::parse(card.body).at("classes").as_array().size(), 2u);
  EXPECT_EQ(As("ben", "GET", "/api/crm/customers/" + customer + "/classes").status, 403);
  // In segments: anna finds it; ben's answer holds none of anna's customers.
  const std::string query = R"({"text": "class = loyal and class = new"})";
  EXPECT_EQ(json::parse(As("anna", "POST", "/api/crm/segments/query", query).body).at("count"), 1);
  EXPECT_EQ(json::parse(As("ben", "POST", "/api/crm/segments/query", query).body).at("count"), 0);
  const HttpReply vip = As("anna", "POST", "/api/crm/segments/query", R"({"text": "class = vip"})");
  EXPECT_EQ(vip.status, 422);
  EXPECT_THAT(vip.body, HasSubstr("not a class"));
}

TEST_F(AccessTest, QuestionnairesGoOutAsSignedLinksAreAnsweredOnceAndReadWithinReach) {
  const json::value api = json::parse(As("anna", "GET", "/api/openapi.json").body);
  const auto fits = [&](const std::string& body, const char* schema) {
    const json::object& s = api.at("components").at("schemas").at(schema).as_object();
    EXPECT_THAT(SchemaProblems(api, json::parse(body), s, schema), ::testing::IsEmpty()) << body;
  };
  const std::string form = R"json({"id": "satisfaction", "type": "default", "components": [
      {"type": "number", "key": "score", "label": "Ocena (1-5)",
       "validate": {"required": true, "min": 1, "max": 5}},
      {"type": "textarea", "key": "comment", "label": "Co poprawić?"}]})json";
  EXPECT_EQ(
      As("anna", "POST", "/api/questionnaires", R"({"name": "X", "form": )" + form + "}").status,
      403);
  const HttpReply empty = As("supervisor", "POST", "/api/questionnaires",
                             R"({"name": "", "form": {"components": [{"type": "text"}]}})");
  EXPECT_EQ(empty.status, 422);
  EXPECT_THAT(empty.body, HasSubstr("asks nothing"));
  const HttpReply made = As("supervisor", "POST", "/api/questionnaires",
                            R"({"name": "Zadowolenie z serwisu", "form": )" + form + "}");
  ASSERT_EQ(made.status, 201) << made.body;
  fits(made.body, "Questionnaire");
  const std::string q(json::parse(made.body).at("id").as_string());

  const HttpReply c = As("anna", "POST", "/api/crm/customers", R"({"name": "Ankietowany"})");
  const std::string customer(json::parse(c.body).at("id").as_string());
  const HttpReply p = As("anna", "POST", "/api/crm/contacts",
                         R"({"firstName": "Ewa", "lastName": "Lis", "customers": [")" + customer +
                             R"("], "emails": [{"address": "ewa@ankieta.example"}]})");
  ASSERT_EQ(p.status, 201) << p.body;
  const std::string contact(json::parse(p.body).at("id").as_string());
  EXPECT_EQ(As("ben", "POST", "/api/questionnaires/" + q + "/invitations",
               R"({"contact": ")" + contact + R"("})")
                .status,
            403);
  EXPECT_EQ(As("anna", "POST", "/api/questionnaires/" + q + "/invitations",
               R"({"contact": ")" + contact + R"(", "expiresInDays": 0})")
                .status,
            422);
  const HttpReply invited = As("anna", "POST", "/api/questionnaires/" + q + "/invitations",
                               R"({"contact": ")" + contact + R"("})");
  ASSERT_EQ(invited.status, 201) << invited.body;
  const json::value inv = json::parse(invited.body);
  fits(json::serialize(inv.at("invitation")), "QuestionnaireInvitation");
  EXPECT_TRUE(inv.at("mailId").is_string()) << invited.body;  // queued to ewa@ankieta.example
  const std::string url(inv.at("url").as_string());
  EXPECT_TRUE(url.starts_with("https://crm.firma.example/q/")) << url;  // never the Host header
  const std::string token = url.substr(url.find("/q/") + 3);
  auto mail = services_->outbox().Get(std::stoull(std::string(inv.at("mailId").as_string())));
  ASSERT_TRUE(mail.has_value());
  EXPECT_THAT(mail->text, HasSubstr(url));
  EXPECT_EQ(mail->to, std::vector<std::string>{"ewa@ankieta.example"});

  // The respondent: no credentials, the token alone; altered or made up, it is unknown.
  const auto open = [&](const std::string& t) {
    return Send("GET", "/api/public/questionnaires/" + t, "", {});
  };
  const HttpReply seen = open(token);
  ASSERT_EQ(seen.status, 200) << seen.body;
  EXPECT_EQ(json::parse(seen.body).at("name"), "Zadowolenie z serwisu");
  EXPECT_THAT(seen.body, Not(HasSubstr("Ewa")));  // nothing about who they are
  std::string altered = token;
  altered.back() = altered.back() == '0' ? '1' : '0';
  EXPECT_EQ(open(altered).status, 404);
  std::string longer_life = token;  // the expiry pushed a year on: the signature no longer fits
  const std::size_t d1 = token.find('-'), d2 = token.find('-', d1 + 1);
  longer_life.replace(d1 + 1, d2 - d1 - 1,
                      std::to_string(std::stoll(token.substr(d1 + 1, d2 - d1 - 1)) + 31'536'000));
  EXPECT_EQ(open(longer_life).status, 404);
  EXPECT_EQ(open("q1-1-" + std::string(64, 'a')).status, 404);
  const auto answer = [&](const std::string& t, const std::string& body) {
    return Send("POST", "/api/public/questionnaires/" + t + "/answers", body, {});
  };
  const HttpReply wrong = answer(token, R"({"answers": {"score": 9, "colour": "red"}})");
  EXPECT_EQ(wrong.status, 422);
  EXPECT_THAT(wrong.body, HasSubstr("score"));
  EXPECT_THAT(wrong.body, HasSubstr("colour"));
  ASSERT_EQ(
      answer(token, R"json({"answers": {"score": 4, "comment": "=HYPERLINK(\"x\")"}})json").status,
      201);
  EXPECT_EQ(answer(token, R"({"answers": {"score": 5}})").status, 409);  // once
  EXPECT_EQ(open(token).status, 409);

  // An expired link is refused as expired.
  const HttpReply second =
      As("anna", "POST", "/api/questionnaires/" + q + "/invitations",
         R"({"contact": ")" + contact + R"(", "expiresInDays": 1, "send": false})");
  ASSERT_EQ(second.status, 201) << second.body;
  const std::string url2(json::parse(second.body).at("url").as_string());
  clock_.Advance(std::chrono::hours(25));
  const HttpReply expired = open(url2.substr(url2.find("/q/") + 3));
  EXPECT_EQ(expired.status, 403);
  EXPECT_THAT(expired.body, HasSubstr("expired"));

  // Read within reach: anna sees the answer, ben does not; counts and the export.
  const HttpReply mine = As("anna", "GET", "/api/questionnaires/" + q + "/responses");
  ASSERT_EQ(mine.status, 200) << mine.body;
  const json::value mine_json = json::parse(mine.body);
  ASSERT_EQ(mine_json.at("items").as_array().size(), 1u);
  fits(json::serialize(mine_json.at("items").at(0)), "QuestionnaireResponse");
  EXPECT_EQ(mine_json.at("items").at(0).at("answers").at("score"), 4);
  EXPECT_EQ(json::parse(As("ben", "GET", "/api/questionnaires/" + q + "/responses").body)
                .at("items")
                .as_array()
                .size(),
            0u);
  EXPECT_EQ(json::parse(As("ben", "GET", "/api/questionnaires/" + q).body).at("stats").at("sent"),
            0);  // ben reaches none of the people invited
  const HttpReply stats = As("anna", "GET", "/api/questionnaires/" + q);
  fits(stats.body, "Questionnaire");
  const json::value s = json::parse(stats.body).at("stats");
  EXPECT_EQ(s.at("sent"), 2);
  EXPECT_EQ(s.at("answered"), 1);
  EXPECT_EQ(s.at("byEmployee").at("anna").at("answered"), 1);
  const HttpReply csv = As("anna", "GET", "/api/questionnaires/" + q + "/export?delimiter=;");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_THAT(csv.body, HasSubstr("campaign;employee;score;comment"));
  EXPECT_THAT(csv.body, HasSubstr("Ewa Lis;" + customer + ";Ankietowany;;anna;4;\"'=HYPERLINK("));
  EXPECT_THAT(As("ben", "GET", "/api/questionnaires/" + q + "/export").body,
              Not(HasSubstr("Ankietowany")));
  // On the contact person and the customer.
  EXPECT_EQ(json::parse(
                As("anna", "GET", "/api/crm/contacts/" + contact + "/questionnaire-responses").body)
                .at("items")
                .as_array()
                .size(),
            1u);
  EXPECT_EQ(As("ben", "GET", "/api/crm/customers/" + customer + "/questionnaire-responses").status,
            403);
  // The data subject's copy holds the answers; erasure removes them.
  EXPECT_THAT(As("anna", "GET", "/api/crm/contacts/" + contact + "/privacy-export").body,
              HasSubstr("HYPERLINK"));
  const HttpReply erased = As("administrator", "POST", "/api/crm/customers/" + customer + "/erase");
  ASSERT_EQ(erased.status, 200) << erased.body;
  EXPECT_EQ(json::parse(erased.body).at("questionnaireAnswersErased"), 1);
  EXPECT_THAT(As("anna", "GET", "/api/questionnaires/" + q + "/export").body,
              Not(HasSubstr("HYPERLINK")));
}

TEST_F(AccessTest, QuestionnairesGoToASegmentOrACampaignOncePerPersonWithTheirConsent) {
  const json::value api = json::parse(As("anna", "GET", "/api/openapi.json").body);
  auto questionnaire = [&](const std::string& name) {
    const HttpReply made = As("supervisor", "POST", "/api/questionnaires",
                              R"({"name": ")" + name + R"(", "form": {"components": [
                                  {"type": "number", "key": "score", "label": "Ocena"}]}})");
    EXPECT_EQ(made.status, 201) << made.body;
    return std::string(json::parse(made.body).at("id").as_string());
  };
  const std::string q = questionnaire("Ankieta");
  // anna's customer: two people who agreed to marketing, one who did not, one without an
  // address; ben's customer: one who agreed.
  auto customer = [&](const std::string& who) {
    const HttpReply c =
        As(who, "POST", "/api/crm/customers", R"({"name": "Firma", "tags": ["ankieta"]})");
    EXPECT_EQ(c.status, 201) << c.body;
    return std::string(json::parse(c.body).at("id").as_string());
  };
  const std::string agreed_json =
      R"(, "consent": {"email": {"granted": true, "how": "formularz"}})";
  int n = 0;
  auto person = [&](const std::string& who, const std::string& customer_id, bool email,
                    bool agreed) {
    std::string extra;
    if (email)
      extra += R"(, "emails": [{"address": "osoba)" + std::to_string(++n) + R"(@firma.example"}])";
    if (agreed) extra += agreed_json;
    const HttpReply p = As(who, "POST", "/api/crm/contacts",
                           R"({"firstName": "Jan", "lastName": "Nowak", "customers": [")" +
                               customer_id + "\"]" + extra + "}");
    EXPECT_EQ(p.status, 201) << p.body;
    return std::string(json::parse(p.body).at("id").as_string());
  };
  const std::string annas = customer("anna");
  person("anna", annas, true, true);
  person("anna", annas, true, true);
  const std::string not_agreed = person("anna", annas, true, false);
  person("anna", annas, false, false);
  person("ben", customer("ben"), true, true);
  const HttpReply seg =
      As("anna", "POST", "/api/crm/segments", R"({"name": "Ankieta", "text": "tag = ankieta"})");
  ASSERT_EQ(seg.status, 201) << seg.body;
  const std::string segment(json::parse(seg.body).at("id").as_string());
  const std::string bulk = "/api/questionnaires/" + q + "/invitations/bulk";

  // A batch of one, then the rest; ben's customer is beyond anna's crm.write.
  const HttpReply first =
      As("anna", "POST", bulk, R"({"segment": ")" + segment + R"(", "limit": 1})");
  ASSERT_EQ(first.status, 200) << first.body;
  const json::value f = json::parse(first.body);
  EXPECT_THAT(
      SchemaProblems(api, f, api.at("components").at("schemas").at("BulkInvitations").as_object(),
                     "BulkInvitations"),
      ::testing::IsEmpty());
  EXPECT_EQ(f.at("customers"), 1);
  EXPECT_EQ(f.at("invited"), 1);
  EXPECT_EQ(f.at("mailed"), 1);
  EXPECT_EQ(f.at("more"), true);
  const json::value r =
      json::parse(As("anna", "POST", bulk, R"({"segment": ")" + segment + R"("})").body);
  EXPECT_EQ(r.at("invited"), 1);
  EXPECT_EQ(r.at("mailed"), 1);
  EXPECT_EQ(r.at("alreadyInvited"), 1);
  EXPECT_EQ(r.at("withoutEmail"), 1);
  EXPECT_EQ(r.at("withoutConsent"), 1);  // marketing by default: not invited, not mailed
  EXPECT_EQ(r.at("more"), false);
  EXPECT_TRUE(r.at("refused").as_array().empty());
  // Nobody is invited twice; whoever agrees later is invited by the next sending.
  const json::value again =
      json::parse(As("anna", "POST", bulk, R"({"segment": ")" + segment + R"("})").body);
  EXPECT_EQ(again.at("invited"), 0);
  EXPECT_EQ(again.at("alreadyInvited"), 2);
  ASSERT_EQ(
      As("anna", "PATCH", "/api/crm/contacts/" + not_agreed, "{" + agreed_json.substr(2) + "}")
          .status,
      200);
  EXPECT_EQ(json::parse(As("anna", "POST", bulk, R"({"segment": ")" + segment + R"("})").body)
                .at("invited"),
            1);

  // A campaign's members: invitations counted under the campaign.
  const std::string second = questionnaire("Po kampanii");
  const HttpReply camp = As("anna", "POST", "/api/crm/campaigns",
                            R"({"name": "Wiosna", "budget": "100.00", "segment": ")" + segment +
                                R"(", "actions": [{"kind": "call", "name": "Telefon"}]})");
  ASSERT_EQ(camp.status, 201) << camp.body;
  const std::string campaign(json::parse(camp.body).at("id").as_string());
  ASSERT_EQ(As("anna", "POST", "/api/crm/campaigns/" + campaign + "/launch").status, 200);
  const std::string bulk2 = "/api/questionnaires/" + second + "/invitations/bulk";
  EXPECT_EQ(As("ben", "POST", bulk2, R"({"campaign": ")" + campaign + R"("})").status, 403)
      << "anna's campaign is beyond ben's crm.write";
  const HttpReply by_campaign = As("anna", "POST", bulk2, R"({"campaign": ")" + campaign + R"("})");
  ASSERT_EQ(by_campaign.status, 200) << by_campaign.body;
  EXPECT_EQ(json::parse(by_campaign.body).at("invited"), 3);
  const json::value stats =
      json::parse(As("anna", "GET", "/api/questionnaires/" + second).body).at("stats");
  EXPECT_EQ(stats.at("byCampaign").at(campaign).at("sent"), 3) << stats;

  // Transactional (no consent asked) is for crm.manage only.
  const std::string third = questionnaire("Serwis");
  const std::string bulk3 = "/api/questionnaires/" + third + "/invitations/bulk";
  const HttpReply staff_tx =
      As("anna", "POST", bulk3, R"({"segment": ")" + segment + R"(", "kind": "transactional"})");
  EXPECT_EQ(staff_tx.status, 403);
  EXPECT_THAT(staff_tx.body, HasSubstr("crm.manage"));
  const HttpReply managed = As("supervisor", "POST", bulk3,
                               R"({"segment": ")" + segment + R"(", "kind": "transactional"})");
  ASSERT_EQ(managed.status, 200) << managed.body;
  EXPECT_EQ(json::parse(managed.body).at("withoutConsent"), 0);

  // Refusals: nothing is sent.
  EXPECT_EQ(As("anna", "POST", bulk, "{}").status, 400);
  EXPECT_EQ(As("anna", "POST", bulk,
               R"({"segment": ")" + segment + R"(", "campaign": ")" + campaign + "\"}")
                .status,
            400);
  EXPECT_EQ(As("anna", "POST", bulk, R"({"segment": ")" + segment + R"(", "limit": 0})").status,
            422);
  EXPECT_EQ(As("anna", "POST", bulk, R"({"segment": ")" + segment + R"(", "kind": "spam"})").status,
            422);
  EXPECT_EQ(As("anna", "POST", bulk, R"({"segment": "999"})").status, 404);
  EXPECT_EQ(As("anna", "POST", bulk, R"({"segment": ")" + segment + R"(", "to": "x"})").status,
            400);
  EXPECT_EQ(As("auditor", "POST", bulk, R"({"segment": ")" + segment + R"("})").status, 403);
}

TEST_F(AccessTest, EmployeeKpisShowOnlyTheEmployeesTheCallerReaches) {
  const json::value api = json::parse(As("anna", "GET", "/api/openapi.json").body);
  // anna and ben each log a call and make an offer.
  for (const char* who : {"anna", "ben"}) {
    const HttpReply c = As(who, "POST", "/api/crm/customers", R"({"name": "KPI"})");
    const std::string customer(json::parse(c.body).at("id").as_string());
    ASSERT_EQ(As(who, "POST", "/api/crm/activities",
                 R"({"type": "call", "status": "done", "start": ")" + FormatInstant(clock_.Now()) +
                     R"(", "customer": ")" + customer + "\"}")
                  .status,
              201);
    ASSERT_EQ(As(who, "POST", "/api/crm/offers",
                 R"({"customer": ")" + customer +
                     R"(", "lines": [{"name": "X", "quantity": 1, "unitPrice": "10.00"}]})")
                  .status,
              201);
  }
  const auto rows = [&](const std::string& who) {
    const HttpReply r = As(who, "GET", "/api/kpis/employees");
    EXPECT_EQ(r.status, 200) << r.body;
    std::map<std::string, json::value> out;
    const json::value parsed = json::parse(r.body);
    for (const json::value& row : parsed.at("items").as_array()) {
      const json::object& schema =
          api.at("components").at("schemas").at("EmployeeKpis").as_object();
      EXPECT_THAT(SchemaProblems(api, row, schema, "EmployeeKpis"), ::testing::IsEmpty());
      out[std::string(row.at("employee").as_string())] = row;
    }
    return out;
  };
  const auto of_anna = rows("anna");  // crm.read own: herself only
  ASSERT_EQ(of_anna.size(), 1u);
  EXPECT_EQ(of_anna.at("anna").at("activities").at("byType").at("call"), 1);
  EXPECT_EQ(of_anna.at("anna").at("offers"), 1);
  EXPECT_EQ(of_anna.at("anna").at("conversionPercent"), "0.0");
  const auto of_admin = rows("administrator");
  EXPECT_TRUE(of_admin.contains("anna") && of_admin.contains("ben"));
  // Everyone's rows come a page at a time, in name order, the same rows as one page.
  std::vector<std::string> paged;
  std::string after;
  for (int page = 0; page < 20; ++page) {
    const HttpReply r =
        As("administrator", "GET",
           "/api/kpis/employees?limit=1" + (after.empty() ? "" : "&after=" + after));
    ASSERT_EQ(r.status, 200) << r.body;
    const json::value v = json::parse(r.body);
    ASSERT_LE(v.at("items").as_array().size(), 1u);
    for (const json::value& row : v.at("items").as_array()) {
      paged.emplace_back(row.at("employee").as_string());
    }
    if (v.at("next").is_null()) break;
    after = std::string(v.at("next").as_string());
  }
  std::vector<std::string> whole;
  for (const auto& [name, row] : of_admin) whole.push_back(name);
  EXPECT_EQ(paged, whole);
  EXPECT_EQ(As("administrator", "GET", "/api/kpis/employees?limit=0").status, 400);
  // A team: the group's members and their total; anna (scope own) gets only her own row of it.
  org::Directory& directory = services_->directory();
  ASSERT_THAT(directory.PutGroup({"kpi-team", "KPI team"}, "setup"), IsOk());
  ASSERT_THAT(directory.AddMember("kpi-team", "anna", "setup"), IsOk());
  ASSERT_THAT(directory.AddMember("kpi-team", "ben", "setup"), IsOk());
  const HttpReply team = As("administrator", "GET", "/api/kpis/employees?group=kpi-team");
  ASSERT_EQ(team.status, 200) << team.body;
  const json::value t = json::parse(team.body);
  EXPECT_EQ(t.at("items").as_array().size(), 2u);
  EXPECT_EQ(t.at("group"), "kpi-team");
  EXPECT_EQ(t.at("total").at("employee"), "kpi-team");
  EXPECT_EQ(t.at("total").at("offers"), 2);
  EXPECT_EQ(t.at("total").at("activities").at("byType").at("call"), 2);
  const json::value annas_team =
      json::parse(As("anna", "GET", "/api/kpis/employees?group=kpi-team").body);
  ASSERT_EQ(annas_team.at("items").as_array().size(), 1u);
  EXPECT_EQ(annas_team.at("total").at("offers"), 1);  // her own, not ben's
  EXPECT_EQ(As("administrator", "GET", "/api/kpis/employees?group=nobody").status, 404);
  EXPECT_THAT(As("administrator", "GET", "/api/kpis/employees?group=kpi-team&format=csv").body,
              HasSubstr("\nkpi-team,"));
  EXPECT_EQ(As("worker", "GET", "/api/kpis/employees").status, 403);
  EXPECT_EQ(As("anna", "GET", "/api/kpis/employees?from=2027-13").status, 400);
  EXPECT_EQ(As("anna", "GET", "/api/kpis/employees?from=2027-05&to=2027-01").status, 400);
  const HttpReply csv = As("administrator", "GET", "/api/kpis/employees?format=csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_THAT(csv.body, HasSubstr("employee,from,to,activities,offers,orders"));
  EXPECT_THAT(csv.body, HasSubstr("\nben,"));
}

TEST_F(AccessTest, FunnelsAndTaskKpisComeFromTheEnginesCounters) {
  const json::value api = json::parse(As("anna", "GET", "/api/openapi.json").body);
  ASSERT_EQ(As("administrator", "POST", "/api/deployments", kProcess).status, 201);
  std::vector<std::string> instances, tasks;
  for (int i = 0; i < 3; ++i) {
    const HttpReply started = As("administrator", "POST", "/api/processes/p/instances", "{}");
    ASSERT_EQ(started.status, 201) << started.body;
    const json::value v = json::parse(started.body);
    instances.emplace_back(v.at("id").as_string());
    tasks.emplace_back(v.at("tasks").at(0).as_string());
  }
  clock_.Advance(std::chrono::minutes(90));
  ASSERT_EQ(As("anna", "POST", "/api/tasks/" + tasks[0] + "/complete", "{}").status, 200);
  ASSERT_EQ(As("administrator", "DELETE", "/api/instances/" + instances[1] + "?reason=lost").status,
            204);
  const HttpReply funnel = As("administrator", "GET", "/api/kpis/funnels/p");
  ASSERT_EQ(funnel.status, 200) << funnel.body;
  const json::value f = json::parse(funnel.body);
  EXPECT_THAT(
      SchemaProblems(api, f, api.at("components").at("schemas").at("Funnel").as_object(), "Funnel"),
      ::testing::IsEmpty());
  EXPECT_EQ(f.at("instances").at("started"), 3);
  EXPECT_EQ(f.at("instances").at("completed"), 1);
  EXPECT_EQ(f.at("instances").at("cancelled"), 1);
  EXPECT_EQ(f.at("instances").at("running"), 1);
  EXPECT_EQ(f.at("instances").at("averageHours"), "1.5");
  const json::array& steps = f.at("steps").as_array();
  ASSERT_EQ(steps.size(), 3u);  // in the order of the flows
  EXPECT_EQ(steps[0].at("elementId"), "s");
  EXPECT_EQ(steps[1].at("elementId"), "t");
  EXPECT_EQ(steps[1].at("name"), "Private");
  EXPECT_EQ(steps[1].at("reached"), 3);
  EXPECT_EQ(steps[1].at("completed"), 1);
  EXPECT_EQ(steps[1].at("abandoned"), 1);
  EXPECT_EQ(steps[1].at("waiting"), 1);
  EXPECT_EQ(steps[1].at("averageMinutes"), "90.0");
  EXPECT_EQ(steps[2].at("elementId"), "e");
  EXPECT_EQ(steps[2].at("reachedPercent"), "33.3");
  EXPECT_TRUE(steps[2].at("waiting").is_null());  // nobody waits at an end event
  const HttpReply csv = As("administrator", "GET", "/api/kpis/funnels/p?format=csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_THAT(csv.body, HasSubstr("process,from,to,elementId,name,type,reached"));
  EXPECT_THAT(csv.body, HasSubstr(",t,Private,userTask,3,100.0,3,1,0,1,1,90.0"));
  // Counts over instances are for instances.read: not for staff, nor for a later period.
  EXPECT_EQ(As("anna", "GET", "/api/kpis/funnels/p").status, 403);
  EXPECT_EQ(As("administrator", "GET", "/api/kpis/funnels/nothing").status, 404);
  EXPECT_EQ(As("administrator", "GET", "/api/kpis/funnels/p?from=2020-01&to=2020-02").status, 200);
  EXPECT_EQ(
      json::parse(As("administrator", "GET", "/api/kpis/funnels/p?from=2020-01&to=2020-02").body)
          .at("instances")
          .at("started"),
      0);
  EXPECT_EQ(As("administrator", "GET", "/api/kpis/funnels/p?to=May").status, 400);
  // The task anna completed is on her row, which only she (and those reaching her) see.
  const json::value mine = json::parse(As("anna", "GET", "/api/kpis/employees").body);
  ASSERT_EQ(mine.at("items").as_array().size(), 1u);
  const json::value& row = mine.at("items").at(0);
  EXPECT_EQ(row.at("employee"), "anna");
  EXPECT_EQ(row.at("tasks").at("completed"), 1);
  EXPECT_EQ(row.at("tasks").at("averageHours"), "1.5");
  EXPECT_TRUE(row.at("tasks").at("onTimePercent").is_null());  // it had no due date
  const json::value bens = json::parse(As("ben", "GET", "/api/kpis/employees").body);
  for (const json::value& r : bens.at("items").as_array()) EXPECT_NE(r.at("employee"), "anna");
}

TEST_F(AccessTest, ConversionTimeRunsFromTheOffersFirstRevisionToTheOrder) {
  const HttpReply c = As("anna", "POST", "/api/crm/customers", R"({"name": "Konwersja"})");
  const std::string customer(json::parse(c.body).at("id").as_string());
  const HttpReply made =
      As("anna", "POST", "/api/crm/offers",
         R"({"customer": ")" + customer +
             R"(", "lines": [{"name": "X", "quantity": 1, "unitPrice": "10.00"}]})");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string first(json::parse(made.body).at("id").as_string());
  clock_.Advance(std::chrono::hours(24 * 3));
  const HttpReply revised =
      As("anna", "POST", "/api/crm/offers/" + first + "/revisions", R"({"paymentTermsDays": 30})");
  ASSERT_EQ(revised.status, 201) << revised.body;
  const std::string second(json::parse(revised.body).at("id").as_string());
  clock_.Advance(std::chrono::hours(24 * 4));
  ASSERT_EQ(As("anna", "POST", "/api/crm/offers/" + second + "/accept", "{}").status, 200);
  ASSERT_EQ(As("anna", "POST", "/api/crm/offers/" + second + "/order", "{}").status, 201);
  const json::value mine = json::parse(As("anna", "GET", "/api/kpis/employees").body);
  ASSERT_EQ(mine.at("items").as_array().size(), 1u);
  EXPECT_EQ(mine.at("items").at(0).at("orders"), 1);
  EXPECT_EQ(mine.at("items").at(0).at("averageConversionDays"), "7.0");  // not 4.0
}

TEST_F(AccessTest, CustomerMetricsCountOnlyTheCustomersTheCallerReaches) {
  const json::value api = json::parse(As("anna", "GET", "/api/openapi.json").body);
  // anna: two customers who ordered (one in Kraków); ben: one.
  auto customer_with_order = [&](const std::string& who, const std::string& body,
                                 const std::string& price) {
    const HttpReply c = As(who, "POST", "/api/crm/customers", body);
    EXPECT_EQ(c.status, 201) << c.body;
    const std::string customer(json::parse(c.body).at("id").as_string());
    const HttpReply o = As(who, "POST", "/api/crm/offers",
                           R"({"customer": ")" + customer +
                               R"(", "lines": [{"name": "X", "quantity": 1, "unitPrice": ")" +
                               price + R"(", "taxRate": "zw"}]})");
    EXPECT_EQ(o.status, 201) << o.body;
    const std::string offer(json::parse(o.body).at("id").as_string());
    EXPECT_EQ(As(who, "POST", "/api/crm/offers/" + offer + "/accept", "{}").status, 200);
    EXPECT_EQ(As(who, "POST", "/api/crm/offers/" + offer + "/order", "{}").status, 201);
    return customer;
  };
  const std::string krakow = customer_with_order(
      "anna", R"({"name": "Piekarnia", "addresses": [{"city": "Kraków"}]})", "100.00");
  customer_with_order("anna", R"({"name": "Hurtownia"})", "50.00");
  const std::string bens = customer_with_order("ben", R"({"name": "Biuro"})", "1000.00");
  auto metrics = [&](const std::string& who, const std::string& query) {
    const HttpReply r = As(who, "GET", "/api/kpis/customers" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    const json::value v = json::parse(r.body);
    EXPECT_THAT(
        SchemaProblems(api, v, api.at("components").at("schemas").at("CustomerMetrics").as_object(),
                       "CustomerMetrics"),
        ::testing::IsEmpty());
    return v;
  };
  const json::value mine = metrics("anna", "");
  EXPECT_EQ(mine.at("scope"), "own");
  EXPECT_EQ(mine.at("period").at("activeCustomers"), 2);
  EXPECT_EQ(mine.at("period").at("newCustomers"), 2);
  EXPECT_TRUE(mine.at("period").at("retentionPercent").is_null());  // nobody active before
  EXPECT_EQ(mine.at("lifetime").at("customers"), 2);
  EXPECT_EQ(mine.at("lifetime").at("revenue").at(0).at("amount"), "150.00");  // not ben's
  EXPECT_EQ(mine.at("lifetime").at("averageValue").at(0).at("amount"), "75.00");
  EXPECT_EQ(mine.at("months").as_array().size(), 12u);
  EXPECT_EQ(mine.at("months").as_array().back().at("newCustomers"), 2);
  const json::value all = metrics("administrator", "");
  EXPECT_EQ(all.at("period").at("activeCustomers"), 3);
  EXPECT_EQ(all.at("lifetime").at("revenue").at(0).at("amount"), "1150.00");
  // Within a filter, and within a saved segment.
  const json::value in_krakow = metrics("administrator", "?filter=city%20%3D%20%22Krak%C3%B3w%22");
  EXPECT_EQ(in_krakow.at("period").at("activeCustomers"), 1);
  EXPECT_EQ(in_krakow.at("filter"), "city = \"Kraków\"");
  const HttpReply saved =
      As("anna", "POST", "/api/crm/segments", R"({"name": "Kraków", "text": "city = Kraków"})");
  ASSERT_EQ(saved.status, 201) << saved.body;
  const std::string segment(json::parse(saved.body).at("id").as_string());
  EXPECT_EQ(metrics("ben", "?segment=" + segment).at("period").at("activeCustomers"), 0)
      << "ben reaches none of the segment's customers";
  EXPECT_EQ(metrics("anna", "?segment=" + segment).at("segment").at("name"), "Kraków");
  // A period before anything: zeros, the months still listed.
  const json::value empty = metrics("administrator", "?from=2020-01&to=2020-03");
  EXPECT_EQ(empty.at("period").at("activeCustomers"), 0);
  EXPECT_EQ(empty.at("months").as_array().size(), 3u);
  // CSV, one row per month.
  const HttpReply csv = As("administrator", "GET", "/api/kpis/customers?format=csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_THAT(csv.body, HasSubstr("month,orders,revenuePLN,activeCustomers,newCustomers"));
  EXPECT_THAT(csv.body, HasSubstr(",3,1150.00,3,3"));
  // Refusals.
  EXPECT_EQ(As("worker", "GET", "/api/kpis/customers").status, 403);
  EXPECT_EQ(As("anna", "GET", "/api/kpis/customers?from=2027-05&to=2027-01").status, 400);
  const HttpReply too_long = As("anna", "GET", "/api/kpis/customers?from=2010-01&to=2027-01");
  EXPECT_EQ(too_long.status, 400);
  EXPECT_THAT(too_long.body, HasSubstr("at most 120 months"));
  EXPECT_EQ(As("anna", "GET", "/api/kpis/customers?filter=city%20%3F%3F").status, 400);
  EXPECT_EQ(As("anna", "GET", "/api/kpis/customers?segment=" + segment + "&filter=tag%3Dx").status,
            400);
  EXPECT_EQ(As("anna", "GET", "/api/kpis/customers?segment=999").status, 404);
  // One customer's value: for those who reach the customer.
  const HttpReply value = As("anna", "GET", "/api/kpis/customers/" + krakow);
  ASSERT_EQ(value.status, 200) << value.body;
  const json::value v = json::parse(value.body);
  EXPECT_THAT(
      SchemaProblems(api, v, api.at("components").at("schemas").at("CustomerValue").as_object(),
                     "CustomerValue"),
      ::testing::IsEmpty());
  EXPECT_EQ(v.at("orders"), 1);
  EXPECT_EQ(v.at("revenue").at(0).at("amount"), "100.00");
  EXPECT_EQ(v.at("months").as_array().size(), 1u);
  EXPECT_EQ(As("anna", "GET", "/api/kpis/customers/" + bens).status, 403);
  EXPECT_EQ(As("administrator", "GET", "/api/kpis/customers/" + bens).status, 200);
  EXPECT_EQ(As("anna", "GET", "/api/kpis/customers/999999").status, 404);
}

TEST_F(AccessTest, AMergeMovesEveryLinkAndIsUndoneExactly) {
  auto id_of = [](const HttpReply& r) {
    return std::string(json::parse(r.body).at("id").as_string());
  };
  const HttpReply s =
      As("anna", "POST", "/api/crm/customers",
         R"({"name": "Piekarnia Zielińska sp. z o.o.", "phones": [{"number": "601 111 222"}],
                             "industry": "retail"})");
  ASSERT_EQ(s.status, 201) << s.body;
  const HttpReply d = As("anna", "POST", "/api/crm/customers",
                         R"({"name": "PIEKARNIA ZIELINSKA", "phones": [{"number": "602 333 444"}],
                             "taxId": "526-104-08-28", "notes": "pays late", "externalId": "old-7",
                             "industry": "wholesale", "tags": ["bakery"]})");
  ASSERT_EQ(d.status, 201) << d.body;
  const std::string survivor = id_of(s), dup = id_of(d);
  // The duplicate's links: an activity, a contact person, a document, an open task.
  const HttpReply call = As("anna", "POST", "/api/crm/activities",
                            R"({"type": "call", "status": "done", "customer": ")" + dup +
                                R"(", "start": "2026-11-02T10:00:00Z"})");
  ASSERT_EQ(call.status, 201) << call.body;
  const HttpReply person =
      As("anna", "POST", "/api/crm/contacts",
         R"({"firstName": "Ola", "lastName": "Zielińska", "customers": [")" + dup + R"("]})");
  ASSERT_EQ(person.status, 201) << person.body;
  auto type = dms::ParseDocumentType(json::parse(R"({"id": "note"})"));
  ASSERT_THAT(services_->documents().PutType(*type, "setup"), IsOk());
  const HttpReply doc =
      As("anna", "POST", "/api/documents?title=Umowa&type=note&link=customer:" + dup, "umowa");
  ASSERT_EQ(doc.status, 201) << doc.body;
  ASSERT_EQ(As("administrator", "POST", "/api/deployments", R"(<definitions
      xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
      xmlns:quire="urn:quire:bpmn:1.0" id="d" targetNamespace="urn:t">
    <process id="followup" isExecutable="true"><startEvent id="s"/>
      <userTask id="t" name="Call back" camunda:assignee="anna">
        <extensionElements><quire:link kind="customer" id="${customer}"/></extensionElements></userTask>
      <endEvent id="e"/><sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
      <sequenceFlow id="f2" sourceRef="t" targetRef="e"/></process></definitions>)")
                .status,
            201);
  const HttpReply started = As("administrator", "POST", "/api/processes/followup/instances",
                               R"({"variables": {"customer": ")" + dup + R"("}})");
  ASSERT_EQ(started.status, 201) << started.body;
  auto linked_tasks = [&](const std::string& customer) {
    return json::parse(As("anna", "GET", "/api/tasks?link=customer:" + customer).body)
        .at("items")
        .as_array()
        .size();
  };
  ASSERT_EQ(linked_tasks(dup), 1u);

  // ben reaches neither; a customer cannot absorb itself; the duplicate must be named.
  EXPECT_EQ(As("ben", "POST", "/api/crm/customers/" + survivor + "/merge",
               R"({"duplicate": ")" + dup + R"("})")
                .status,
            403);
  EXPECT_EQ(As("anna", "POST", "/api/crm/customers/" + survivor + "/merge",
               R"({"duplicate": ")" + survivor + R"("})")
                .status,
            400);
  EXPECT_EQ(As("anna", "POST", "/api/crm/customers/" + survivor + "/merge", "{}").status, 422);

  const HttpReply merged = As("anna", "POST", "/api/crm/customers/" + survivor + "/merge",
                              R"({"duplicate": ")" + dup + R"("})");
  ASSERT_EQ(merged.status, 200) << merged.body;
  const json::value m = json::parse(merged.body);
  const std::string merge(m.at("merge").at("id").as_string());
  EXPECT_EQ(m.at("merge").at("state"), "done");
  for (const char* kind : {"activities", "contacts", "documents", "tasks"}) {
    EXPECT_EQ(m.at("merge").at("moved").at(kind).as_array().size(), 1u) << kind;
  }
  // The survivor keeps its own and gains what only the duplicate had.
  const json::value& c = m.at("customer");
  EXPECT_EQ(c.at("name"), "Piekarnia Zielińska sp. z o.o.");
  EXPECT_EQ(c.at("industry"), "retail");
  EXPECT_EQ(c.at("phones").as_array().size(), 2u);
  EXPECT_EQ(c.at("taxId"), "5261040828");
  EXPECT_EQ(c.at("externalId"), "old-7");
  EXPECT_EQ(c.at("tags"), json::parse(R"(["bakery"])"));
  // Every link now leads to the survivor; the duplicate is out of lists and lookups.
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/crm/customers/" + dup).body).at("mergedInto"),
            json::value(survivor));
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/crm/customers").body).at("items").as_array().size(),
            1u);
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/crm/customers/" + survivor + "/activities").body)
                .at("items")
                .as_array()
                .size(),
            1u);
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/crm/customers/" + survivor + "/contacts").body)
                .at("items")
                .as_array()
                .size(),
            1u);
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/documents?link=customer:" + survivor).body)
                .at("items")
                .as_array()
                .size(),
            1u);
  EXPECT_EQ(linked_tasks(survivor), 1u);
  EXPECT_EQ(linked_tasks(dup), 0u);
  const HttpReply pop =
      As("phone-system", "POST", "/api/cti/calls",
         R"({"from": "602333444", "to": "100", "callId": "m1", "state": "ringing"})");
  EXPECT_EQ(json::parse(pop.body).at("customer").at("id"), json::value(survivor));
  EXPECT_EQ(As("anna", "PATCH", "/api/crm/customers/" + dup, R"({"notes": "x"})").status, 409);
  EXPECT_EQ(As("anna", "POST", "/api/crm/customers/" + survivor + "/merge",
               R"({"duplicate": ")" + dup + R"("})")
                .status,
            409);
  EXPECT_EQ(As("ben", "GET", "/api/crm/merges/" + merge).status, 403);
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/crm/merges/" + merge).body).at("state"), "done");

  // A change made after the merge survives the undo; everything moved goes back.
  ASSERT_EQ(As("anna", "PATCH", "/api/crm/customers/" + survivor, R"({"satisfaction": 5})").status,
            200);
  EXPECT_EQ(As("ben", "POST", "/api/crm/merges/" + merge + "/undo").status, 403);
  const HttpReply undone = As("anna", "POST", "/api/crm/merges/" + merge + "/undo");
  ASSERT_EQ(undone.status, 200) << undone.body;
  const json::value u = json::parse(undone.body);
  EXPECT_EQ(u.at("merge").at("state"), "undone");
  EXPECT_EQ(u.at("customer").at("phones").as_array().size(), 1u);
  EXPECT_EQ(u.at("customer").at("taxId"), nullptr);
  EXPECT_EQ(u.at("customer").at("externalId"), "");
  EXPECT_EQ(u.at("customer").at("satisfaction"), 5);
  EXPECT_EQ(u.at("duplicate").at("mergedInto"), nullptr);
  EXPECT_EQ(u.at("duplicate").at("externalId"), "old-7");
  EXPECT_EQ(linked_tasks(dup), 1u);
  EXPECT_EQ(linked_tasks(survivor), 0u);
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/crm/customers/" + dup + "/activities").body)
                .at("items")
                .as_array()
                .size(),
            1u);
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/documents?link=customer:" + dup).body)
                .at("items")
                .as_array()
                .size(),
            1u);
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/crm/customers").body).at("items").as_array().size(),
            2u);
  EXPECT_EQ(As("anna", "POST", "/api/crm/merges/" + merge + "/undo").status, 409);

  // Audited with ids only.
  std::ostringstream chain;
  ASSERT_THAT(services_->audit().Export(1, 0, chain), IsOk());
  for (const char* action : {"customer.merged", "customer.merge.completed", "customer.unmerged",
                             "task.relinked", "activity.moved"}) {
    EXPECT_THAT(chain.str(), HasSubstr(action));
  }
  EXPECT_THAT(chain.str(), Not(HasSubstr("PIEKARNIA")));
}

TEST_F(AccessTest, ExportsHoldOnlyWhatTheCallerReaches) {
  ASSERT_EQ(As("anna", "POST", "/api/crm/customers", R"({"name": "Annas Firma"})").status, 201);
  ASSERT_EQ(As("ben", "POST", "/api/crm/customers", R"({"name": "Bens Firma"})").status, 201);
  ASSERT_EQ(As("anna", "POST", "/api/crm/contacts",
               R"({"firstName": "Ola", "lastName": "Nowak", "emails": [{"address": "ola@x.pl"}]})")
                .status,
            201);
  const HttpReply csv = As("anna", "GET", "/api/crm/exports/customers?delimiter=;");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_THAT(csv.header("content-type").value_or(""), HasSubstr("text/csv"));
  EXPECT_THAT(csv.body, HasSubstr("Annas Firma"));
  EXPECT_THAT(csv.body, Not(HasSubstr("Bens Firma")));
  EXPECT_THAT(csv.body, HasSubstr("Quire ID;Kind;Name"));
  const HttpReply all = As("administrator", "GET", "/api/crm/exports/customers");
  EXPECT_THAT(all.body, HasSubstr("Bens Firma"));
  const HttpReply vcf = As("anna", "GET", "/api/crm/exports/contacts?format=vcard");
  ASSERT_EQ(vcf.status, 200);
  EXPECT_THAT(vcf.body, HasSubstr("BEGIN:VCARD\r\nVERSION:4.0\r\n"));
  EXPECT_THAT(vcf.body, HasSubstr("FN:Ola Nowak"));
  EXPECT_THAT(As("ben", "GET", "/api/crm/exports/contacts?format=vcard").body,
              Not(HasSubstr("Ola")));
  EXPECT_EQ(As("anna", "GET", "/api/crm/exports/contacts?format=xml").status, 400);
  EXPECT_EQ(As("worker", "GET", "/api/crm/exports/customers").status, 403);
  // What was exported imports back as updates.
  const HttpReply back =
      As("anna", "POST", "/api/crm/imports?kind=contacts&format=vcard&dryRun=true", vcf.body);
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(json::parse(back.body).at("updated"), 1);
}

TEST_F(AccessTest, MailingGroupsPrintLabelsOfTheContactsTheCallerReaches) {
  const HttpReply c = As("anna", "POST", "/api/crm/customers",
                         R"({"name": "Piekarnia Zielińska", "addresses": [{"street": "ul. Długa 1",
                             "postalCode": "00-950", "city": "Warszawa", "country": "PL"}]})");
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string customer(json::parse(c.body).at("id").as_string());
  const HttpReply p =
      As("anna", "POST", "/api/crm/contacts",
         R"({"firstName": "Zofia", "lastName": "Wójcik", "customers": [")" + customer + R"("]})");
  ASSERT_EQ(p.status, 201);
  const std::string person(json::parse(p.body).at("id").as_string());
  const HttpReply lonely = As("anna", "POST", "/api/crm/contacts", R"({"lastName": "Bezadresu"})");
  const std::string nowhere(json::parse(lonely.body).at("id").as_string());
  // ben cannot put anna's contact person into his group.
  EXPECT_EQ(As("ben", "POST", "/api/crm/mailing-groups",
               R"({"name": "Moja", "contacts": [")" + person + R"("]})")
                .status,
            403);
  const HttpReply g =
      As("anna", "POST", "/api/crm/mailing-groups",
         R"({"name": "Życzenia", "contacts": [")" + person + R"(", ")" + nowhere + R"("]})");
  ASSERT_EQ(g.status, 201) << g.body;
  const std::string group(json::parse(g.body).at("id").as_string());
  const HttpReply labels = As("anna", "GET", "/api/crm/mailing-groups/" + group + "/labels");
  ASSERT_EQ(labels.status, 200) << labels.body;
  EXPECT_EQ(labels.header("content-type").value_or(""), "application/pdf");
  EXPECT_TRUE(labels.body.starts_with("%PDF"));
  EXPECT_EQ(labels.header("x-quire-labels").value_or(""), "1");
  EXPECT_EQ(labels.header("x-quire-labels-without-address").value_or(""), "1");
  // ben sees the group, but none of anna's people on its labels, and cannot change it.
  EXPECT_EQ(As("ben", "GET", "/api/crm/mailing-groups/" + group + "/labels?sheet=3x8")
                .header("x-quire-labels")
                .value_or(""),
            "0");
  EXPECT_EQ(As("ben", "PATCH", "/api/crm/mailing-groups/" + group, R"({"name": "x"})").status, 403);
  EXPECT_EQ(As("anna", "GET", "/api/crm/mailing-groups/" + group + "/labels?sheet=A4").status, 400);
  EXPECT_EQ(As("anna", "PATCH", "/api/crm/mailing-groups/" + group, R"({"contacts": []})").status,
            200);
}

TEST_F(AccessTest, OffersAndOrdersKeepToTheCallersReachAndAcceptanceLimits) {
  const json::value api = json::parse(As("anna", "GET", "/api/openapi.json").body);
  const auto fits = [&](const std::string& body, const char* schema) {
    const json::object& s = api.at("components").at("schemas").at(schema).as_object();
    EXPECT_THAT(SchemaProblems(api, json::parse(body), s, schema), ::testing::IsEmpty()) << body;
  };
  // Products are the managers'; everyone with crm.read sees them.
  EXPECT_EQ(As("anna", "POST", "/api/crm/products", R"({"code": "X", "name": "X"})").status, 403);
  const HttpReply desk = As("administrator", "POST", "/api/crm/products",
                            R"({"code": "BIU-120", "name": "Biurko 120 cm",
                                "prices": [{"currency": "PLN", "unitPrice": "899.00"}]})");
  ASSERT_EQ(desk.status, 201) << desk.body;
  fits(desk.body, "Product");
  const std::string product(json::parse(desk.body).at("id").as_string());
  EXPECT_EQ(As("anna", "GET", "/api/crm/products?search=biurko").status, 200);

  const HttpReply c = As("anna", "POST", "/api/crm/customers", R"({"name": "Sklep Anny"})");
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string customer(json::parse(c.body).at("id").as_string());
  const HttpReply b = As("ben", "POST", "/api/crm/customers", R"({"name": "Sklep Bena"})");
  const std::string bens(json::parse(b.body).at("id").as_string());
  // The suggestion for anna's customer, and none for ben's.
  const HttpReply suggested =
      As("anna", "GET", "/api/crm/price-suggestions?product=" + product + "&customer=" + customer);
  ASSERT_EQ(suggested.status, 200) << suggested.body;
  fits(suggested.body, "PriceSuggestion");
  EXPECT_EQ(json::parse(suggested.body).at("unitPrice"), "899.00");
  EXPECT_EQ(As("anna", "GET", "/api/crm/price-suggestions?product=" + product + "&customer=" + bens)
                .status,
            403);

  // An offer for a customer out of reach is refused; money as JSON numbers is refused.
  const std::string lines = R"("lines": [{"product": ")" + product + R"(", "quantity": 3,
      "discountPercent": "10"}, {"name": "Montaż", "quantity": "1.5", "unitPrice": "120.00",
      "taxRate": "8"}])";
  EXPECT_EQ(As("anna", "POST", "/api/crm/offers", R"({"customer": ")" + bens + "\", " + lines + "}")
                .status,
            403);
  const HttpReply number =
      As("anna", "POST", "/api/crm/offers",
         R"({"customer": ")" + customer +
             R"(", "lines": [{"name": "X", "quantity": 1, "unitPrice": 10}]})");
  EXPECT_EQ(number.status, 422);
  EXPECT_THAT(number.body, HasSubstr("lines[0].unitPrice"));
  const auto card = [&](const char* list) {
    const HttpReply r = As("anna", "GET", "/api/crm/customers/" + customer + "/card");
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).at(list).as_array().size();
  };
  // The form's live totals: the same money as the write, nothing stored; the same refusals.
  EXPECT_EQ(As("anna", "POST", "/api/crm/offers/preview",
               R"({"customer": ")" + bens + "\", " + lines + "}")
                .status,
            403);
  const HttpReply preview = As("anna", "POST", "/api/crm/offers/preview",
                               R"({"customer": ")" + customer + "\", " + lines + "}");
  ASSERT_EQ(preview.status, 200) << preview.body;
  fits(preview.body, "Offer");
  EXPECT_EQ(card("openOffers"), 0u);
  const HttpReply made =
      As("anna", "POST", "/api/crm/offers", R"({"customer": ")" + customer + "\", " + lines + "}");
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(json::parse(preview.body).at("totals"), json::parse(made.body).at("totals"));
  fits(made.body, "Offer");
  const json::value offer = json::parse(made.body);
  const std::string id(offer.at("id").as_string());
  EXPECT_EQ(offer.at("totals"), json::parse(R"({"net": "2607.30", "tax": "572.68",
      "gross": "3179.98", "byRate": [
        {"rate": "23", "net": "2427.30", "tax": "558.28", "gross": "2985.58"},
        {"rate": "8", "net": "180.00", "tax": "14.40", "gross": "194.40"}]})"));
  EXPECT_EQ(card("openOffers"), 1u);
  EXPECT_EQ(As("ben", "GET", "/api/crm/offers/" + id).status, 403);
  // Nor can anna move her offer onto a customer out of her reach, changed or revised.
  EXPECT_EQ(As("anna", "PATCH", "/api/crm/offers/" + id, R"({"customer": ")" + bens + "\"}").status,
            403);
  EXPECT_EQ(
      As("anna", "POST", "/api/crm/offers/" + id + "/revisions", R"({"customer": ")" + bens + "\"}")
          .status,
      403);
  // A price list for one customer is seen by those who reach the customer.
  const HttpReply bens_prices =
      As("administrator", "POST", "/api/crm/price-lists",
         R"({"name": "Ceny Bena", "customer": ")" + bens + R"(", "entries": [{"product": ")" +
             product + R"(", "unitPrice": "700.00"}]})");
  ASSERT_EQ(bens_prices.status, 201) << bens_prices.body;
  const std::string bens_list(json::parse(bens_prices.body).at("id").as_string());
  EXPECT_EQ(As("anna", "GET", "/api/crm/price-lists/" + bens_list).status, 403);
  EXPECT_EQ(As("ben", "GET", "/api/crm/price-lists/" + bens_list).status, 200);
  EXPECT_EQ(
      json::parse(As("anna", "GET", "/api/crm/price-lists").body).at("items").as_array().size(),
      0u);
  EXPECT_EQ(
      json::parse(As("ben", "GET", "/api/crm/price-lists").body).at("items").as_array().size(), 1u);
  EXPECT_EQ(As("ben", "PATCH", "/api/crm/offers/" + id, R"({"notes": "x"})").status, 403);
  EXPECT_EQ(json::parse(As("ben", "GET", "/api/crm/offers").body).at("items").as_array().size(),
            0u);
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/crm/offers?customer=" + customer).body)
                .at("items")
                .as_array()
                .size(),
            1u);
  EXPECT_EQ(As("auditor", "POST", "/api/crm/offers/" + id + "/accept").status, 403);

  // Staff accept their own offers up to their role's limit.
  EXPECT_EQ(As("anna", "PUT", "/api/crm/settings/acceptance-limits",
               R"({"limits": {"staff": {"PLN": "1000.00"}}})")
                .status,
            403);
  const HttpReply limits = As("administrator", "PUT", "/api/crm/settings/acceptance-limits",
                              R"({"limits": {"staff": {"PLN": "1000.00"}}})");
  ASSERT_EQ(limits.status, 200) << limits.body;
  fits(limits.body, "AcceptanceLimits");
  const HttpReply over = As("anna", "POST", "/api/crm/offers/" + id + "/accept");
  EXPECT_EQ(over.status, 403);
  EXPECT_THAT(over.body, HasSubstr("up to 1000.00 PLN"));
  EXPECT_EQ(As("ben", "POST", "/api/crm/offers/" + id + "/accept").status, 403);
  const HttpReply accepted = As("administrator", "POST", "/api/crm/offers/" + id + "/accept");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  // Rendered to PDF, kept in the DMS linked to the offer and the customer; again: version 2.
  EXPECT_EQ(As("ben", "POST", "/api/crm/offers/" + id + "/pdf").status, 403);
  const HttpReply pdf = As("anna", "POST", "/api/crm/offers/" + id + "/pdf");
  ASSERT_EQ(pdf.status, 201) << pdf.body;
  fits(pdf.body, "Document");
  const std::string document(json::parse(pdf.body).at("id").as_string());
  EXPECT_EQ(json::parse(pdf.body).at("type"), "offer");
  const HttpReply again = As("anna", "POST", "/api/crm/offers/" + id + "/pdf");
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(json::parse(again.body).at("id"), json::value(document));
  EXPECT_EQ(json::parse(again.body).at("versions"), 2);
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/crm/offers/" + id).body).at("documents"),
            json::array({json::value(document)}));
  const HttpReply content = As("anna", "GET", "/api/documents/" + document + "/content");
  EXPECT_EQ(content.status, 200);
  EXPECT_TRUE(content.body.starts_with("%PDF")) << content.body.substr(0, 100);
  const HttpReply locked = As("anna", "PATCH", "/api/crm/offers/" + id, R"({"notes": "x"})");
  EXPECT_EQ(locked.status, 409);
  EXPECT_THAT(locked.body, HasSubstr("accepted by as-administrator"));

  // The order, its payment, and the unpaid list.
  const HttpReply order = As("anna", "POST", "/api/crm/offers/" + id + "/order");
  ASSERT_EQ(order.status, 201) << order.body;
  fits(order.body, "Order");
  const std::string order_id(json::parse(order.body).at("id").as_string());
  EXPECT_EQ(card("openOffers"), 0u);  // accepted
  EXPECT_EQ(card("openOrders"), 1u);
  EXPECT_EQ(As("anna", "POST", "/api/crm/offers/" + id + "/order").status, 409);
  EXPECT_EQ(
      As("ben", "POST", "/api/crm/orders/" + order_id + "/payments", R"({"amount": "100.00"})")
          .status,
      403);
  const HttpReply paid = As("anna", "POST", "/api/crm/orders/" + order_id + "/payments",
                            R"({"amount": "3179.98", "reference": "przelew"})");
  ASSERT_EQ(paid.status, 201) << paid.body;
  EXPECT_EQ(json::parse(paid.body).at("outstanding"), "0.00");
  EXPECT_EQ(card("openOrders"), 1u);  // paid in full, but not yet invoiced: still open
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/crm/orders?unpaid=true").body)
                .at("items")
                .as_array()
                .size(),
            0u);
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/crm/orders").body).at("items").as_array().size(),
            1u);
  EXPECT_EQ(json::parse(As("ben", "GET", "/api/crm/orders").body).at("items").as_array().size(),
            0u);
  // A revision of the ordered offer is a new draft anna may change.
  const HttpReply revised =
      As("anna", "POST", "/api/crm/offers/" + id + "/revisions", R"({"notes": "Rabat 15 %"})");
  ASSERT_EQ(revised.status, 201) << revised.body;
  EXPECT_EQ(json::parse(revised.body).at("revision"), 2);
  EXPECT_EQ(json::parse(revised.body).at("previous"), json::value(id));
}

TEST_F(AccessTest, ServiceCasesKeepToTheCallersReachAndShowTheirSla) {
  const HttpReply a = As("anna", "POST", "/api/crm/customers", R"({"name": "Klient Anny"})");
  const std::string annas(json::parse(a.body).at("id").as_string());
  const HttpReply b = As("ben", "POST", "/api/crm/customers", R"({"name": "Klient Bena"})");
  const std::string bens(json::parse(b.body).at("id").as_string());
  EXPECT_EQ(As("anna", "POST", "/api/crm/cases",
               R"({"customer": ")" + bens + R"(", "subject": "Reklamacja"})")
                .status,
            403);
  EXPECT_EQ(As("anna", "POST", "/api/crm/cases",
               R"({"customer": ")" + annas + R"(", "subject": "X", "assignee": "nobody"})")
                .status,
            422);
  const HttpReply made = As(
      "anna", "POST", "/api/crm/cases",
      R"({"customer": ")" + annas + R"(", "subject": "Reklamacja dostawy", "priority": "urgent"})");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string id(json::parse(made.body).at("id").as_string());
  EXPECT_EQ(json::parse(made.body).at("status"), "new");
  EXPECT_EQ(As("ben", "GET", "/api/crm/cases/" + id).status, 403);
  EXPECT_EQ(As("ben", "PATCH", "/api/crm/cases/" + id, R"({"status": "in-progress"})").status, 403);
  EXPECT_EQ(json::parse(As("ben", "GET", "/api/crm/cases").body).at("items").as_array().size(), 0u);
  // Two hours later nobody has answered: the urgent case's response is breached.
  clock_.Advance(std::chrono::hours(2));
  const HttpReply breached = As("anna", "GET", "/api/crm/cases?breached=true");
  ASSERT_EQ(breached.status, 200) << breached.body;
  ASSERT_EQ(json::parse(breached.body).at("items").as_array().size(), 1u);
  EXPECT_EQ(json::parse(breached.body).at("items").at(0).at("responseBreached"), true);
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/crm/customers/" + annas + "/card").body)
                .at("openCases")
                .as_array()
                .size(),
            1u);
  EXPECT_EQ(As("anna", "PATCH", "/api/crm/cases/" + id, R"({"status": "closed"})").status, 409);
  EXPECT_EQ(As("anna", "PATCH", "/api/crm/cases/" + id, R"({"status": "in-progress"})").status,
            200);
  EXPECT_EQ(As("anna", "PUT", "/api/crm/settings/sla",
               R"({"urgent": {"responseHours": 2, "resolutionHours": 6}})")
                .status,
            403);
  EXPECT_EQ(As("administrator", "PUT", "/api/crm/settings/sla",
               R"({"urgent": {"responseHours": 2, "resolutionHours": 6}})")
                .status,
            200);
}

TEST_F(AccessTest, SegmentsCountAndListOnlyWhatTheCallerReaches) {
  std::vector<std::string> annas, bens;
  for (int i = 0; i < 3; ++i) {
    const HttpReply c = As("anna", "POST", "/api/crm/customers",
                           R"({"name": "Piekarnia )" + std::to_string(i) +
                               R"(", "tags": ["vip"], "addresses": [{"city": "Kraków"}]})");
    ASSERT_EQ(c.status, 201) << c.body;
    annas.emplace_back(json::parse(c.body).at("id").as_string());
  }
  for (int i = 0; i < 2; ++i) {
    const HttpReply c =
        As("ben", "POST", "/api/crm/customers", R"({"name": "Hurtownia", "tags": ["vip"]})");
    bens.emplace_back(json::parse(c.body).at("id").as_string());
  }
  auto count = [&](const std::string& who, const std::string& body) {
    const HttpReply r = As(who, "POST", "/api/crm/segments/query", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? json::parse(r.body).at("count").as_int64() : -1;
  };
  EXPECT_EQ(count("anna", R"({"text": "tag = vip"})"), 3);
  EXPECT_EQ(count("ben", R"({"text": "tag = vip"})"), 2);
  EXPECT_EQ(count("administrator", R"({"text": "tag = vip"})"), 5);
  EXPECT_EQ(count("anna", R"({"filter": {"and": [{"field": "tag", "value": "vip"},
                                                 {"field": "city", "value": "Kraków"}]}})"),
            3);
  EXPECT_EQ(count("anna", R"({"of": "offers", "text": "status = draft"})"), 0);
  // The first page and the next.
  const HttpReply page = As("anna", "POST", "/api/crm/segments/query",
                            R"({"text": "tag = vip", "limit": 2, "explain": true})");
  const json::value p = json::parse(page.body);
  ASSERT_EQ(p.at("items").as_array().size(), 2u);
  EXPECT_EQ(p.at("items").at(0).at("id").as_string(), annas[0]);
  EXPECT_EQ(p.at("next").as_string(), annas[1]);
  EXPECT_EQ(p.at("scope"), R"(owner in ("anna"))");
  EXPECT_FALSE(p.at("plan").at("steps").as_array().empty());
  const HttpReply rest = As("anna", "POST", "/api/crm/segments/query",
                            R"({"text": "tag = vip", "limit": 2, "after": ")" + annas[1] + "\"}");
  EXPECT_EQ(json::parse(rest.body).at("items").as_array().size(), 1u);
  EXPECT_TRUE(json::parse(rest.body).at("next").is_null());
  // Bad filters: 422 pointing at the place; nothing else is answered.
  const HttpReply bad = As("anna", "POST", "/api/crm/segments/query", R"({"text": "ctiy = x"})");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(json::parse(bad.body).at("error").at("details").at(0).at("field"), "text:1:1");
  EXPECT_THAT(bad.body, HasSubstr("did you mean 'city'"));
  EXPECT_EQ(As("anna", "POST", "/api/crm/segments/query", "{}").status, 422);
  EXPECT_EQ(
      As("anna", "POST", "/api/crm/segments/query", R"({"text": "tag = a", "limit": 0})").status,
      400);
  EXPECT_EQ(As("designer", "POST", "/api/crm/segments/query", R"({"text": "tag = a"})").status,
            403);
  EXPECT_EQ(
      As("auditor", "POST", "/api/crm/segments", R"({"name": "X", "text": "tag = a"})").status,
      403);

  // A saved segment: its count and members are each caller's own.
  const HttpReply saved =
      As("anna", "POST", "/api/crm/segments", R"({"name": "VIP", "text": "tag = vip"})");
  ASSERT_EQ(saved.status, 201) << saved.body;
  const std::string id(json::parse(saved.body).at("id").as_string());
  EXPECT_EQ(json::parse(As("anna", "GET", "/api/crm/segments/" + id).body).at("count"), 3);
  EXPECT_EQ(json::parse(As("ben", "GET", "/api/crm/segments/" + id).body).at("count"), 2);
  const HttpReply members = As("ben", "GET", "/api/crm/segments/" + id + "/members?limit=10");
  ASSERT_EQ(members.status, 200) << members.body;
  EXPECT_EQ(json::parse(members.body).at("items").at(0).at("id").as_string(), bens[0]);
  EXPECT_EQ(As("ben", "PATCH", "/api/crm/segments/" + id, R"({"name": "Moje"})").status, 403);
  EXPECT_EQ(As("ben", "DELETE", "/api/crm/segments/" + id).status, 403);
  EXPECT_EQ(As("anna", "POST", "/api/crm/segments", R"({"name": "vip", "text": "tag = x"})").status,
            422);
  const HttpReply csv = As("anna", "GET", "/api/crm/segments/" + id + "/export?delimiter=;");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 4);  // header + 3
  EXPECT_THAT(csv.body, HasSubstr("Piekarnia 2"));
  EXPECT_THAT(csv.body, Not(HasSubstr("Hurtownia")));
  const HttpReply contact = As("anna", "POST", "/api/crm/contacts",
                               R"({"firstName": "Ewa", "lastName": "Nowak", "customers": [")" +
                                   annas[0] + R"("], "emails": [{"address": "ewa@example.pl"}]})");
  ASSERT_EQ(contact.status, 201) << contact.body;
  const HttpReply group = As("anna", "POST", "/api/crm/segments/" + id + "/mailing-group", "{}");
  ASSERT_EQ(group.status, 201) << group.body;
  EXPECT_EQ(json::parse(group.body).at("name"), "VIP");
  EXPECT_EQ(json::parse(group.body).at("contacts").as_array().size(), 1u);
  EXPECT_EQ(As("anna", "DELETE", "/api/crm/segments/" + id).status, 204);
  EXPECT_EQ(As("anna", "GET", "/api/crm/segments/" + id).status, 404);
}

TEST_F(AccessTest, CampaignsLaunchAtWhatTheLauncherReachesAndMeasureWhatIsAttributed) {
  for (const char* who : {"anna", "anna", "ben"}) {
    ASSERT_EQ(
        As(who, "POST", "/api/crm/customers", R"({"name": "Klient", "tags": ["vip"]})").status,
        201);
  }
  const HttpReply seg =
      As("anna", "POST", "/api/crm/segments", R"({"name": "VIP", "text": "tag = vip"})");
  const std::string segment(json::parse(seg.body).at("id").as_string());
  const HttpReply made = As("anna", "POST", "/api/crm/campaigns",
                            R"({"name": "Zima", "budget": "1000.00", "segment": ")" + segment +
                                R"(", "actions": [{"kind": "call", "name": "Telefon"}]})");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string id(json::parse(made.body).at("id").as_string());
  EXPECT_EQ(As("anna", "POST", "/api/crm/campaigns", R"({"name": "X", "budget": 1000})").status,
            422);
  EXPECT_EQ(As("ben", "POST", "/api/crm/campaigns/" + id + "/launch").status, 403);
  EXPECT_EQ(As("designer", "GET", "/api/crm/campaigns").status, 403);
  // anna reaches her two customers: they are the members, ben's is not.
  const HttpReply launched = As("anna", "POST", "/api/crm/campaigns/" + id + "/launch");
  ASSERT_EQ(launched.status, 200) << launched.body;
  EXPECT_EQ(json::parse(launched.body).at("members"), 2);
  EXPECT_EQ(As("anna", "POST", "/api/crm/campaigns/" + id + "/launch").status, 409);
  EXPECT_EQ(As("anna", "PATCH", "/api/crm/campaigns/" + id, R"({"actions": []})").status, 409);
  const HttpReply members = As("anna", "GET", "/api/crm/campaigns/" + id + "/members?limit=1");
  ASSERT_EQ(members.status, 200) << members.body;
  EXPECT_EQ(json::parse(members.body).at("items").as_array().size(), 1u);
  const std::string next(json::parse(members.body).at("next").as_string());
  const HttpReply rest =
      As("anna", "GET", "/api/crm/campaigns/" + id + "/members?limit=1&after=" + next);
  EXPECT_EQ(json::parse(rest.body).at("items").as_array().size(), 1u);
  EXPECT_EQ(json::parse(As("ben", "GET", "/api/crm/campaigns/" + id + "/members").body).at("items"),
            json::array());
  // The calls are on anna's calendar, attributed to the campaign's action 1.
  const HttpReply calls = As("anna", "POST", "/api/crm/segments/query",
                             R"({"of": "activities", "text": "campaign = \")" + id + R"(/1\""})");
  EXPECT_EQ(json::parse(calls.body).at("count"), 2) << calls.body;
  const HttpReply measured = As("anna", "GET", "/api/crm/campaigns/" + id + "/effectiveness");
  ASSERT_EQ(measured.status, 200) << measured.body;
  const json::value e = json::parse(measured.body);
  EXPECT_EQ(e.at("campaign").at("members"), 2);
  EXPECT_EQ(e.at("campaign").at("activities"), 2);
  EXPECT_EQ(e.at("campaign").at("orders"), 0);
  EXPECT_TRUE(e.at("campaign").at("costPerOrder").is_null());
  EXPECT_EQ(e.at("actions").at(0).at("name"), "Telefon");
  EXPECT_EQ(
      json::parse(As("anna", "POST", "/api/crm/campaigns/" + id + "/finish").body).at("status"),
      "finished");
}

}  // namespace
}  // namespace quire::server
