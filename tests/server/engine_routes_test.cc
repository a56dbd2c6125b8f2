// The engine endpoints on a real server, engine and store, on a loopback port.
#include "quire/server/engine_routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "openapi_schema.h"
#include "quire/base/clock.h"
#include "quire/server/definition_routes.h"
#include "quire/server/http_server.h"
#include "quire/server/org_routes.h"
#include "quire/server/system_routes.h"
#include "quire/server/task_routes.h"
#include "quire/testing/http_client.h"
#include "quire/testing/result_matchers.h"
#include "quire/testing/temp_dir.h"
#include "test_authenticator.h"

namespace quire::server {
namespace {

using ::quire::testing::Fetch;
using ::quire::testing::HttpReply;
using ::quire::testing::IsOk;
using ::testing::HasSubstr;

const char* kOrder = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="urn:t">
  <message id="m" name="paid"><extensionElements><zeebe:subscription correlationKey="= order"/></extensionElements></message>
  <process id="order" isExecutable="true">
    <startEvent id="s"/><userTask id="check" name="Check order"/>
    <intermediateCatchEvent id="wait"><messageEventDefinition messageRef="m"/></intermediateCatchEvent>
    <exclusiveGateway id="g"/><endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="check"/>
    <sequenceFlow id="f2" sourceRef="check" targetRef="wait"/>
    <sequenceFlow id="f3" sourceRef="wait" targetRef="g"/>
    <sequenceFlow id="f4" sourceRef="g" targetRef="e"><conditionExpression>amount &gt; 0</conditionExpression></sequenceFlow>
  </process>
</definitions>)";

class EngineRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*storage::Store::Open(dir_.path()));
    repository_ = std::make_unique<definitions::DefinitionRepository>(*store_);
    engine_ = std::move(
        *workflow::Engine::Open(*store_, *repository_, SystemClock::Instance(), connectors_));
    Router router;
    AddDefinitionRoutes(
        router, *repository_,
        [this](std::string_view xml, std::string_view name, const audit::Actor& actor,
               std::optional<definitions::Duration> ttl) {
          return engine_->Deploy(xml, name, actor, ttl);
        });
    AddEngineRoutes(router, *engine_);
    AddTaskRoutes(router, *engine_);
    directory_ = std::make_unique<org::Directory>(*store_, nullptr, SystemClock::Instance());
    identity_ = std::make_unique<org::Identity>(*directory_, org::IdentityOptions{});
    AddOrgRoutes(router, *identity_);
    router.SetAuthenticator(EveryPermission());
    HttpServerOptions options;
    options.port = 0;
    server_ = std::make_unique<HttpServer>(std::move(router), options);
    ASSERT_THAT(server_->Start(), IsOk());
    ASSERT_EQ(Call("POST", "/api/deployments", kOrder).status, 201);
    ASSERT_EQ(Call("POST", "/api/users", R"({"id": "anna", "name": "Anna"})", "admin").status, 201);
  }

  void TearDown() override {
    server_.reset();
    engine_.reset();
  }

  HttpReply Call(const std::string& method, const std::string& target, const std::string& body = "",
                 const std::string& user = "") {
    if (user.empty()) {
      auto reply = Fetch(server_->port(), method, target, body);
      EXPECT_TRUE(reply.has_value());
      return reply.value_or(HttpReply{});
    }
    auto connection = quire::testing::HttpConnection::Connect(server_->port());
    EXPECT_TRUE(connection.has_value());
    EXPECT_TRUE(connection->Send(
        quire::testing::MakeRequest(method, target, body, {{"X-Test-User", user}})));
    auto reply = connection->ReadReply();
    EXPECT_TRUE(reply.has_value());
    return reply.value_or(HttpReply{});
  }

  boost::json::value Json(const HttpReply& reply) { return boost::json::parse(reply.body); }

  quire::testing::TempDir dir_;
  workflow::ConnectorRegistry connectors_ = workflow::ConnectorRegistry::WithBuiltins();
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<definitions::DefinitionRepository> repository_;
  std::unique_ptr<workflow::Engine> engine_;
  std::unique_ptr<org::Directory> directory_;
  std::unique_ptr<org::Identity> identity_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(EngineRoutesTest, StartCompleteCorrelateAndReadHistory) {
  const HttpReply started =
      Call("POST", "/api/processes/order/instances",
           R"({"variables": {"order": "A-7", "amount": 5}, "businessKey": "A-7"})");
  ASSERT_EQ(started.status, 201) << started.body;
  const std::string id(Json(started).at("id").as_string());
  ASSERT_EQ(Json(started).at("tasks").as_array().size(), 1u);
  const std::string task(Json(started).at("tasks").at(0).as_string());

  const HttpReply again =
      Call("POST", "/api/processes/order/instances", R"({"businessKey": "A-7"})");
  EXPECT_EQ(again.status, 409);
  EXPECT_THAT(again.body, HasSubstr(id));

  const HttpReply tasks = Call("GET", "/api/tasks?instance=" + id);
  ASSERT_EQ(tasks.status, 200);
  EXPECT_EQ(Json(tasks).at("items").at(0).at("name").as_string(), "Check order");

  EXPECT_EQ(
      Call("POST", "/api/tasks/" + task + "/complete", R"({"variables": {"ok": true}})", "anna")
          .status,
      200);
  const HttpReply waiting = Call("GET", "/api/instances/" + id);
  ASSERT_EQ(waiting.status, 200);
  EXPECT_EQ(Json(waiting).at("active").at(0).at("elementId").as_string(), "wait");

  const HttpReply paid =
      Call("POST", "/api/messages", R"({"name": "paid", "correlationKey": "A-7"})");
  ASSERT_EQ(paid.status, 200) << paid.body;
  EXPECT_EQ(Json(paid).at("correlated").at(0).as_string(), id);
  engine_->WaitIdle();
  const HttpReply done = Call("GET", "/api/instances/" + id);
  EXPECT_EQ(Json(done).at("state").as_string(), "completed");
  EXPECT_EQ(Json(done).at("variables").at("ok").as_bool(), true);

  const HttpReply history = Call("GET", "/api/instances/" + id + "/history");
  ASSERT_EQ(history.status, 200);
  const boost::json::value body = Json(history);
  const auto& events = body.at("items").as_array();
  EXPECT_EQ(events.front().at("kind").as_string(), "instance_started");
  EXPECT_EQ(events.back().at("kind").as_string(), "instance_completed");
}

// Camunda 7 clients send typed variables; they are accepted on start and complete beside
// plain ones, stored as plain JSON, and a value that does not fit its type is refused.
TEST_F(EngineRoutesTest, CamundaTypedVariablesAreAcceptedWhereverVariablesAre) {
  const HttpReply started = Call("POST", "/api/processes/order/instances",
                                 R"({"variables": {
        "order": {"value": "C-1", "type": "String", "valueInfo": {}},
        "amount": {"value": "12", "type": "Integer"},
        "rate": {"value": 0.5, "type": "Double"},
        "meta": {"value": "{\"a\": [1, 2]}", "type": "Json"},
        "note": {"value": null, "type": "Null"},
        "plain": {"x": 1}}})");
  ASSERT_EQ(started.status, 201) << started.body;
  const std::string id(Json(started).at("id").as_string());
  const std::string task(Json(started).at("tasks").at(0).as_string());
  const boost::json::value stored = Json(Call("GET", "/api/instances/" + id)).at("variables");
  EXPECT_EQ(stored.at("order"), "C-1");
  EXPECT_EQ(stored.at("amount"), 12);
  EXPECT_EQ(stored.at("rate"), 0.5);
  EXPECT_EQ(stored.at("meta"), boost::json::parse(R"({"a": [1, 2]})"));
  EXPECT_TRUE(stored.at("note").is_null());
  EXPECT_EQ(stored.at("plain"), boost::json::parse(R"({"x": 1})"));

  for (const auto& [variables, says] :
       {std::pair{R"({"n": {"value": "many", "type": "Integer"}})",
                  "variable 'n' is of Camunda type Integer"},
        std::pair{R"({"n": {"value": 3000000000, "type": "Integer"}})", "use Long"},
        std::pair{R"({"ok": {"value": "yes", "type": "Boolean"}})", "true or false"},
        std::pair{R"({"f": {"value": "AAEC", "type": "Bytes"}})", "POST /api/documents"},
        std::pair{R"({"j": {"value": "{oops", "type": "Json"}})", "JSON text"}}) {
    const HttpReply refused = Call("POST", "/api/tasks/" + task + "/complete",
                                   std::string(R"({"variables": )") + variables + "}", "anna");
    EXPECT_EQ(refused.status, 400) << variables << ": " << refused.body;
    EXPECT_THAT(refused.body, HasSubstr(says)) << variables;
  }
  EXPECT_EQ(Call("GET", "/api/tasks/" + task).status, 200);  // still open

  const HttpReply completed =
      Call("POST", "/api/tasks/" + task + "/complete",
           R"({"variables": {"ok": {"value": "true", "type": "Boolean"}}})", "anna");
  EXPECT_EQ(completed.status, 200) << completed.body;
  EXPECT_EQ(Json(Call("GET", "/api/instances/" + id)).at("variables").at("ok"), true);
}

TEST_F(EngineRoutesTest, IncidentsAreListedAndRetried) {
  const HttpReply started =
      Call("POST", "/api/processes/order/instances", R"({"variables": {"order": "B"}})");
  const std::string id(Json(started).at("id").as_string());
  const std::string task(Json(started).at("tasks").at(0).as_string());
  Call("POST", "/api/tasks/" + task + "/complete", "", "anna");
  Call("POST", "/api/messages", R"({"name": "paid", "correlationKey": "B"})");
  engine_->WaitIdle();
  const HttpReply incidents = Call("GET", "/api/incidents");
  ASSERT_EQ(incidents.status, 200);
  const boost::json::value listed = Json(incidents);
  ASSERT_EQ(listed.at("items").as_array().size(), 1u);
  const auto& incident = listed.at("items").at(0);
  EXPECT_EQ(incident.at("elementId").as_string(), "g");
  EXPECT_THAT(std::string(incident.at("message").as_string()), HasSubstr("amount"));

  EXPECT_EQ(Call("PUT", "/api/instances/" + id + "/variables", R"({"amount": 3})").status, 200);
  EXPECT_EQ(Call("POST", "/api/incidents/" + std::string(incident.at("id").as_string()) + "/retry")
                .status,
            200);
  engine_->WaitIdle();
  EXPECT_EQ(Json(Call("GET", "/api/instances/" + id)).at("state").as_string(), "completed");
}

// Real answers are instances of the schemas the OpenAPI document gives their routes (and so
// follow docs/api.md: every member declared, camelCase, instants with milliseconds).
TEST_F(EngineRoutesTest, AnswersAreWhatTheOpenApiDocumentSays) {
  const boost::json::value doc = boost::json::parse(OpenApiDocument());
  int checked = 0;
  auto documented = [&](const std::string& method, const std::string& pattern,
                        const HttpReply& reply) {
    std::string lower = method;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const boost::json::object* schema = AnswerSchema(doc, lower, pattern, reply.status);
    ASSERT_NE(schema, nullptr) << method << " " << pattern << " " << reply.status
                               << " is not documented: " << reply.body;
    ++checked;
    for (const std::string& problem :
         SchemaProblems(doc, boost::json::parse(reply.body), *schema, method + " " + pattern)) {
      ADD_FAILURE() << problem << "\n" << reply.body;
    }
  };
  const HttpReply started = Call("POST", "/api/processes/order/instances",
                                 R"({"variables": {"order": "C", "total": 12.5}})");
  const std::string id(Json(started).at("id").as_string());
  const std::string task(Json(started).at("tasks").at(0).as_string());
  documented("GET", "/api/processes", Call("GET", "/api/processes"));
  documented("GET", "/api/processes/{id}/versions", Call("GET", "/api/processes/order/versions"));
  documented("GET", "/api/processes/{id}/instances", Call("GET", "/api/processes/order/instances"));
  documented("GET", "/api/tasks", Call("GET", "/api/tasks?instance=" + id));
  documented("POST", "/api/tasks/{id}/claim",
             Call("POST", "/api/tasks/" + task + "/claim", "", "anna"));
  documented("POST", "/api/tasks/{id}/postpone",
             Call("POST", "/api/tasks/" + task + "/postpone",
                  R"({"followUpAt": "2040-01-01T09:00:00Z"})", "anna"));
  documented("POST", "/api/tasks/{id}/due",
             Call("POST", "/api/tasks/" + task + "/due",
                  R"({"dueAt": "2039-12-31T17:00:00+01:00", "reason": "customer asked"})", "anna"));
  documented("POST", "/api/tasks/{id}/comments",
             Call("POST", "/api/tasks/" + task + "/comments", R"({"text": "noted"})", "anna"));
  documented("GET", "/api/tasks/{id}/comments", Call("GET", "/api/tasks/" + task + "/comments"));
  documented("GET", "/api/tasks/{id}", Call("GET", "/api/tasks/" + task, "", "anna"));
  documented("GET", "/api/tasks", Call("GET", "/api/tasks?view=mine", "", "anna"));
  documented("POST", "/api/tasks/{id}/complete",
             Call("POST", "/api/tasks/" + task + "/complete", "{}", "anna"));
  documented("GET", "/api/instances/{id}", Call("GET", "/api/instances/" + id));
  documented("PUT", "/api/instances/{id}/variables",
             Call("PUT", "/api/instances/" + id + "/variables", R"({"amount": 0})"));
  documented("POST", "/api/messages",
             Call("POST", "/api/messages", R"({"name": "paid", "correlationKey": "C"})"));
  engine_->WaitIdle();
  documented("GET", "/api/incidents", Call("GET", "/api/incidents"));
  documented("GET", "/api/jobs", Call("GET", "/api/jobs"));
  documented("GET", "/api/instances/{id}/history",
             Call("GET", "/api/instances/" + id + "/history"));
  documented("GET", "/api/users", Call("GET", "/api/users"));
  documented("GET", "/api/users/{id}", Call("GET", "/api/users/anna"));
  documented("POST", "/api/groups", Call("POST", "/api/groups", R"({"id": "ops"})", "admin"));
  documented("PUT", "/api/groups/{id}/members/{userId}",
             Call("PUT", "/api/groups/ops/members/anna", "", "admin"));
  documented("POST", "/api/users", Call("POST", "/api/users", R"({"id": "ben"})", "admin"));
  documented("POST", "/api/users/{id}/substitutes",
             Call("POST", "/api/users/anna/substitutes",
                  R"({"substitute": "ben", "startsAt": "2040-01-01T00:00:00Z",
                      "endsAt": "2040-01-02T00:00:00Z"})",
                  "admin"));
  documented("GET", "/api/notifications", Call("GET", "/api/notifications", "", "anna"));
  documented("GET", "/api/tasks/counts", Call("GET", "/api/tasks/counts", "", "anna"));
  // And an error.
  documented("GET", "/api/instances/{id}", Call("GET", "/api/instances/999999"));
  EXPECT_GE(checked, 25);
}

TEST_F(EngineRoutesTest, BadRequestsGetClearErrors) {
  EXPECT_EQ(Call("GET", "/api/instances/abc").status, 400);
  EXPECT_EQ(Call("GET", "/api/instances/999999").status, 404);
  EXPECT_EQ(Call("POST", "/api/processes/nope/instances", "{}").status, 404);
  const HttpReply bad_vars =
      Call("POST", "/api/processes/order/instances", R"({"variables": [1, 2]})");
  EXPECT_EQ(bad_vars.status, 400);
  EXPECT_THAT(bad_vars.body, HasSubstr("variables"));
  EXPECT_EQ(Call("POST", "/api/processes/order/instances", "{not json").status, 400);
  const HttpReply unwaited =
      Call("POST", "/api/messages", R"({"name": "paid", "correlationKey": "zz"})");
  EXPECT_EQ(unwaited.status, 404);
  EXPECT_THAT(unwaited.body, HasSubstr("ttl"));
  EXPECT_EQ(Call("POST", "/api/messages", R"({"correlationKey": "zz"})").status, 400);
  EXPECT_EQ(Call("POST", "/api/tasks/12345/complete", "", "anna").status, 404);
  EXPECT_EQ(Call("GET", "/api/history?from=yesterday&to=now").status, 400);
  const HttpReply ttl = Call("POST", "/api/deployments?historyTimeToLive=forever", kOrder);
  EXPECT_EQ(ttl.status, 400);
  EXPECT_THAT(ttl.body, HasSubstr("ISO 8601"));
  EXPECT_EQ(Call("POST", "/api/deployments?historyTimeToLive=P90D", kOrder).status, 200);
}

TEST_F(EngineRoutesTest, UndeployAndCancel) {
  const HttpReply started = Call("POST", "/api/processes/order/instances", "{}");
  const std::string id(Json(started).at("id").as_string());
  EXPECT_EQ(Call("DELETE", "/api/processes/order").status, 409);
  EXPECT_EQ(Call("DELETE", "/api/instances/" + id + "?reason=duplicate").status, 204);
  EXPECT_EQ(Json(Call("GET", "/api/instances/" + id)).at("state").as_string(), "cancelled");
  EXPECT_EQ(Call("DELETE", "/api/instances/" + id).status, 409);
  EXPECT_EQ(Call("DELETE", "/api/processes/order").status, 204);
  EXPECT_EQ(Call("POST", "/api/processes/order/instances", "{}").status, 404);
}

}  // namespace
}  // namespace quire::server

namespace quire::server {
namespace {

const char* kLead = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="urn:t">
  <process id="lead" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="qualify" name="Qualify" camunda:candidateGroups="sales">
      <extensionElements><camunda:formData>
        <camunda:formField id="budget" type="long"><camunda:validation>
          <camunda:constraint name="required"/></camunda:validation></camunda:formField>
      </camunda:formData></extensionElements>
    </userTask>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="qualify"/>
    <sequenceFlow id="f2" sourceRef="qualify" targetRef="e"/>
  </process></definitions>)";

TEST_F(EngineRoutesTest, OrganisationAndTaskOperationsOverHttp) {
  ASSERT_EQ(Call("POST", "/api/deployments", kLead).status, 201);
  EXPECT_EQ(Call("POST", "/api/users", R"({"id": "ben", "supervisor": "anna"})", "admin").status,
            201);
  EXPECT_EQ(Call("POST", "/api/users", R"({"name": "no id"})", "admin").status, 400);
  EXPECT_EQ(Call("POST", "/api/groups", R"({"id": "sales", "name": "Sales"})", "admin").status,
            201);
  for (const char* u : {"anna", "ben"}) {
    EXPECT_EQ(Call("PUT", std::string("/api/groups/sales/members/") + u, "", "admin").status, 200);
  }
  EXPECT_EQ(Call("PUT", "/api/groups/sales/members/nobody", "", "admin").status, 404);
  EXPECT_EQ(Json(Call("GET", "/api/groups/sales")).at("members"),
            boost::json::parse(R"(["anna", "ben"])"));
  EXPECT_EQ(Json(Call("GET", "/api/users/ben")).at("groups"), boost::json::parse(R"(["sales"])"));

  const HttpReply started = Call("POST", "/api/processes/lead/instances", "{}");
  const std::string task(Json(started).at("tasks").at(0).as_string());
  const HttpReply queue = Call("GET", "/api/tasks?view=group", "", "ben");
  ASSERT_EQ(queue.status, 200) << queue.body;
  EXPECT_EQ(Json(queue).at("items").at(0).at("id"), boost::json::value(task));
  EXPECT_EQ(Call("GET", "/api/tasks?view=everything", "", "ben").status, 400);

  // The inbox page carries an ETag: asked again with it, an unchanged page is a 304
  // without a body; once a task leaves the view, the same tag gets the new page.
  const auto etag = queue.header("etag");
  ASSERT_TRUE(etag.has_value());
  EXPECT_EQ(queue.header("cache-control").value_or(""), "private, no-cache");
  auto conditional = [&](const std::string& tag) {
    auto connection = quire::testing::HttpConnection::Connect(server_->port());
    EXPECT_TRUE(connection.has_value());
    EXPECT_TRUE(connection->Send(quire::testing::MakeRequest(
        "GET", "/api/tasks?view=group", "", {{"X-Test-User", "ben"}, {"If-None-Match", tag}})));
    return connection->ReadReply().value_or(HttpReply{});
  };
  const HttpReply unchanged = conditional(*etag);
  EXPECT_EQ(unchanged.status, 304);
  EXPECT_EQ(unchanged.body, "");
  EXPECT_EQ(conditional("\"another\"").status, 200);

  const HttpReply claimed = Call("POST", "/api/tasks/" + task + "/claim", "", "anna");
  ASSERT_EQ(claimed.status, 200) << claimed.body;
  EXPECT_EQ(Json(claimed).at("assignee"), "anna");
  const HttpReply conflict = Call("POST", "/api/tasks/" + task + "/claim", "", "ben");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_THAT(conflict.body, HasSubstr("already claimed by 'anna'"));
  const HttpReply after_claim = conditional(*etag);  // the task left ben's group view
  EXPECT_EQ(after_claim.status, 200);
  EXPECT_NE(after_claim.header("etag"), etag);
  EXPECT_EQ(Call("POST", "/api/tasks/" + task + "/delegate", "{}", "anna").status,
            400);  // to whom?
  EXPECT_EQ(
      Call("POST", "/api/tasks/" + task + "/postpone", R"({"followUpAt": "soon"})", "anna").status,
      400);
  // A field under the name an earlier version used is refused, saying the new name.
  const HttpReply renamed = Call("POST", "/api/tasks/" + task + "/postpone",
                                 R"({"followUp": "2030-01-01T09:00:00Z"})", "anna");
  EXPECT_EQ(renamed.status, 400);
  EXPECT_THAT(renamed.body, HasSubstr("'followUp' is now called 'followUpAt'"));
  EXPECT_EQ(
      Call("POST", "/api/tasks/" + task + "/comments", R"({"text": "called"})", "anna").status,
      201);
  EXPECT_EQ(Json(Call("GET", "/api/tasks/" + task + "/comments")).at("items").at(0).at("text"),
            "called");

  const HttpReply invalid = Call("POST", "/api/tasks/" + task + "/complete", "{}", "anna");
  EXPECT_EQ(invalid.status, 422);
  EXPECT_THAT(invalid.body, HasSubstr(R"("field":"budget")"));
  EXPECT_EQ(
      Call("POST", "/api/tasks/" + task + "/complete", R"({"variables": {"budget": 5}})", "ben")
          .status,
      403);
  EXPECT_EQ(
      Call("POST", "/api/tasks/" + task + "/complete", R"({"variables": {"budget": 5}})", "anna")
          .status,
      200);
  const HttpReply stats =
      Call("GET", "/api/stats/workload?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z");
  ASSERT_EQ(stats.status, 200) << stats.body;
  EXPECT_EQ(Json(stats).at("groups").at(0).at("completed"), 1);
}

const char* kReview = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:quire="urn:quire:bpmn:1.0"
    id="d" targetNamespace="urn:t">
  <process id="review" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="check" name="Check contract" camunda:candidateGroups="sales"
              camunda:formRef="contract-check" camunda:priority="${prio}">
      <documentation>Read the warranty terms</documentation>
      <extensionElements><quire:link kind="customer" id="${customer}"/></extensionElements>
    </userTask>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="check"/>
    <sequenceFlow id="f2" sourceRef="check" targetRef="e"/>
  </process></definitions>)";

const char* kCheckForm = R"({"id": "contract-check", "components": [
    {"type": "checkbox", "key": "signed", "validate": {"required": true}},
    {"type": "textarea", "key": "notes", "validate": {"maxLength": 10}}]})";

TEST_F(EngineRoutesTest, FormsSearchesCountsAndBulkOverHttp) {
  ASSERT_EQ(Call("POST", "/api/users", R"({"id": "ben", "supervisor": "anna"})", "admin").status,
            201);
  ASSERT_EQ(Call("POST", "/api/groups", R"({"id": "sales"})", "admin").status, 201);
  for (const char* u : {"anna", "ben"}) {
    ASSERT_EQ(Call("PUT", std::string("/api/groups/sales/members/") + u, "", "admin").status, 200);
  }
  // Forms: deployed, versioned, read back; bad ones refused with the place named.
  const HttpReply form = Call("POST", "/api/forms?name=check.form", kCheckForm);
  ASSERT_EQ(form.status, 201) << form.body;
  EXPECT_EQ(Json(form).at("version"), 1);
  EXPECT_EQ(Call("POST", "/api/forms?name=check.form", kCheckForm).status, 200);
  const HttpReply bad = Call("POST", "/api/forms", R"({"id": "x", "components": [{"key": "k"}]})");
  EXPECT_EQ(bad.status, 422);
  EXPECT_THAT(bad.body, HasSubstr("components[0]"));
  EXPECT_EQ(Call("POST", "/api/forms", "").status, 400);
  EXPECT_EQ(Json(Call("GET", "/api/forms")).at("items").as_array().size(), 1u);
  EXPECT_EQ(Json(Call("GET", "/api/forms/contract-check")).at("id"), "contract-check");
  EXPECT_EQ(Call("GET", "/api/forms/contract-check?version=7").status, 404);
  EXPECT_EQ(Call("GET", "/api/forms/contract-check/versions").status, 200);

  ASSERT_EQ(Call("POST", "/api/deployments", kReview).status, 201);
  std::vector<std::string> tasks;
  for (int i = 0; i < 3; ++i) {
    const HttpReply started = Call("POST", "/api/processes/review/instances",
                                   R"({"variables": {"prio": )" + std::to_string(10 * (i + 1)) +
                                       R"(, "customer": "c-)" + std::to_string(i % 2) + R"("}})");
    ASSERT_EQ(started.status, 201) << started.body;
    tasks.emplace_back(Json(started).at("tasks").at(0).as_string());
  }
  const HttpReply task_form = Call("GET", "/api/tasks/" + tasks[0] + "/form");
  ASSERT_EQ(task_form.status, 200) << task_form.body;
  EXPECT_EQ(Json(task_form).at("formId"), "contract-check");
  EXPECT_EQ(Json(task_form).at("fields").as_array().size(), 2u);
  EXPECT_EQ(Json(task_form).at("schema").at("id"), "contract-check");

  // Orders, searches and counts.
  auto ids = [&](const std::string& query, const std::string& user) {
    const HttpReply r = Call("GET", "/api/tasks?" + query, "", user);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    std::vector<std::string> out;
    if (r.status == 200) {
      const boost::json::value page = Json(r);
      for (const auto& t : page.at("items").as_array()) {
        out.emplace_back(t.at("id").as_string());
      }
    }
    return out;
  };
  EXPECT_THAT(ids("view=group", "ben"), ::testing::ElementsAre(tasks[2], tasks[1], tasks[0]));
  EXPECT_THAT(ids("view=group&sort=created", "ben"),
              ::testing::ElementsAre(tasks[0], tasks[1], tasks[2]));
  EXPECT_THAT(ids("customer=c-0", "ben"), ::testing::ElementsAre(tasks[0], tasks[2]));
  EXPECT_THAT(ids("link=customer:c-1", "ben"), ::testing::ElementsAre(tasks[1]));
  EXPECT_THAT(ids("q=warranty&process=review", "ben"), ::testing::SizeIs(3));
  EXPECT_THAT(ids("q=contr*", "ben"), ::testing::SizeIs(3));
  EXPECT_EQ(Call("GET", "/api/tasks?view=group&sort=size", "", "ben").status, 400);
  EXPECT_EQ(Call("GET", "/api/tasks?link=customer", "", "ben").status, 400);
  EXPECT_EQ(Call("GET", "/api/tasks?view=all", "", "ben").status, 400);
  EXPECT_EQ(Call("GET", "/api/tasks?view=postponed&sort=due", "", "ben").status, 400);

  // Bulk: anna claims all three; ben's claim of the same is refused task by task.
  const std::string all = R"({"action": "claim", "tasks": [")" + tasks[0] + R"(", ")" + tasks[1] +
                          R"(", ")" + tasks[2] + R"("]})";
  const HttpReply claimed = Call("POST", "/api/tasks/bulk", all, "anna");
  ASSERT_EQ(claimed.status, 200) << claimed.body;
  EXPECT_EQ(Json(claimed).at("done"), 3);
  const HttpReply refused = Call("POST", "/api/tasks/bulk", all, "ben");
  EXPECT_EQ(Json(refused).at("refused"), 3);
  EXPECT_EQ(Json(refused).at("results").at(0).at("error").at("code"), "conflict");
  EXPECT_EQ(
      Call("POST", "/api/tasks/bulk", R"({"action": "claim", "tasks": ["x"]})", "anna").status,
      400);
  EXPECT_EQ(
      Call("POST", "/api/tasks/bulk", R"({"action": "reassign", "tasks": ["1"]})", "anna").status,
      400);  // reassign needs "to"
  EXPECT_EQ(Call("POST", "/api/tasks/bulk", R"({"action": "sing", "tasks": ["1"]})", "anna").status,
            400);
  const HttpReply counts = Call("GET", "/api/tasks/counts", "", "anna");
  ASSERT_EQ(counts.status, 200) << counts.body;
  EXPECT_EQ(Json(counts).at("mine"), 3);
  EXPECT_EQ(Json(counts).at("group"), 0);
  const HttpReply notes = Call("GET", "/api/notifications", "", "anna");
  ASSERT_EQ(notes.status, 200) << notes.body;
  EXPECT_TRUE(Json(notes).at("items").as_array().empty());
  EXPECT_EQ(Call("DELETE", "/api/notifications/77", "", "anna").status, 404);

  // Completion is checked against the deployed form.
  const HttpReply invalid = Call("POST", "/api/tasks/" + tasks[0] + "/complete",
                                 R"({"variables": {"notes": "far too long a note"}})", "anna");
  EXPECT_EQ(invalid.status, 422);
  EXPECT_THAT(invalid.body, HasSubstr(R"("field":"signed")"));
  EXPECT_THAT(invalid.body, HasSubstr(R"("field":"notes")"));
  EXPECT_EQ(Call("POST", "/api/tasks/" + tasks[0] + "/complete",
                 R"({"variables": {"signed": true}})", "anna")
                .status,
            200);
}

}  // namespace
}  // namespace quire::server
