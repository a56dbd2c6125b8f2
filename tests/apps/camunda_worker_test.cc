// Camunda 7 external-task workers on Quire: the real npm package
// camunda-external-task-client-js (installed by scripts/test into tests/external-worker)
// runs against a real `quire serve`, unchanged: it fetches and locks, extends a lock,
// completes with typed variables, fails with retries and a retry timeout, fails for good
// (an incident), and throws a BPMN error that a boundary event catches. It signs in with HTTP
// Basic (a worker's user id and one of their API tokens) as against a secured engine-rest; the
// wire test signs in with a password, and a worker may do nothing but work external tasks.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <regex>
#include <thread>

#include "quire/testing/child_process.h"
#include "quire/testing/http_client.h"
#include "quire/testing/quire_server.h"
#include "quire/testing/temp_dir.h"

namespace quire {
namespace {

using ::quire::testing::ChildProcess;
using ::quire::testing::HttpConnection;
using ::quire::testing::HttpReply;
using ::quire::testing::MakeRequest;
using ::quire::testing::TempDir;
using ::testing::HasSubstr;
using namespace std::chrono_literals;
namespace json = boost::json;

const char* kPayment = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="urn:t">
  <error id="tooExpensive" errorCode="TOO_EXPENSIVE"/>
  <process id="payment" isExecutable="true">
    <startEvent id="s"/>
    <serviceTask id="charge" camunda:type="external" camunda:topic="charge"/>
    <boundaryEvent id="rejected" attachedToRef="charge"><errorEventDefinition errorRef="tooExpensive"/></boundaryEvent>
    <userTask id="handleRejection"/><endEvent id="e"/><endEvent id="e2"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="charge"/>
    <sequenceFlow id="f2" sourceRef="charge" targetRef="e"/>
    <sequenceFlow id="f3" sourceRef="rejected" targetRef="handleRejection"/>
    <sequenceFlow id="f4" sourceRef="handleRejection" targetRef="e2"/>
  </process>
</definitions>)";

std::string Base64(std::string_view in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t bits = 0;
  int n = 0;
  for (const unsigned char c : in) {
    bits = (bits << 8) | c;
    n += 8;
    while (n >= 6) {
      n -= 6;
      out += kAlphabet[(bits >> n) & 63];
    }
  }
  if (n > 0) out += kAlphabet[(bits << (6 - n)) & 63];
  while (out.size() % 4 != 0) out += '=';
  return out;
}

constexpr const char* kWorkerPassword = "charge cards all night";

class CamundaWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens_ =
        quire::testing::ProvisionUsers(QUIRE_BINARY, dir_.Sub("data").string(),
                                       {{"admin", {"administrator"}}, {"worker", {"worker"}}});
    auto c = ChildProcess::Spawn(QUIRE_BINARY,
                                 {"serve", "--data-dir", dir_.Sub("data").string(), "--port", "0"});
    ASSERT_TRUE(c.has_value());
    server_.emplace(std::move(*c));
    const auto line = server_->WaitForLine("listening on", 60s);
    std::smatch m;
    ASSERT_TRUE(line && std::regex_search(*line, m, std::regex(R"(http://[^ ]+:(\d+))")));
    port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
    url_ = "http://127.0.0.1:" + std::to_string(port_);
    auto d = Call("POST", "/api/deployments", kPayment);
    ASSERT_TRUE(d);
    ASSERT_EQ(d->status, 201) << d->body;
    // A second worker account with a password, made by the administrator over HTTP.
    auto u = Call("POST", "/api/users",
                  std::string(R"({"id": "cashier", "name": "Cashier", "roles": ["worker"], )") +
                      R"("password": ")" + kWorkerPassword + R"("})");
    ASSERT_TRUE(u);
    ASSERT_EQ(u->status, 201) << u->body;
  }

  // As the administrator (Bearer), or with `authorization` as given.
  Result<HttpReply> Call(const std::string& method, const std::string& target,
                         const std::string& body = "", std::string authorization = "") {
    if (authorization.empty()) authorization = "Bearer " + tokens_["admin"];
    auto connection = HttpConnection::Connect(port_);
    if (!connection) return connection.error();
    QUIRE_RETURN_IF_ERROR(
        connection->Send(MakeRequest(method, target, body, {{"Authorization", authorization}})));
    return connection->ReadReply(60s);
  }

  void TearDown() override {
    if (worker_) {
      worker_->Signal(SIGTERM);
      worker_->Wait(10s);
    }
    server_->Signal(SIGTERM);
    server_->Wait(30s);
  }

  std::string Start(const std::string& mode, int amount) {
    auto r = Call(
        "POST", "/api/processes/payment/instances",
        R"({"variables": {"mode": ")" + mode + R"(", "amount": )" + std::to_string(amount) + "}}");
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 201) << r->body;
    return std::string(json::parse(r->body).at("id").as_string());
  }

  json::value Get(const std::string& target) {
    auto r = Call("GET", target);
    EXPECT_TRUE(r);
    return json::parse(r->body);
  }

  // As a worker signing in with HTTP Basic and a password.
  json::value Post(const std::string& target, const std::string& body, int expect) {
    auto r =
        Call("POST", target, body, "Basic " + Base64(std::string("cashier:") + kWorkerPassword));
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, expect) << target << ": " << r->body;
    return r->body.empty() ? json::value() : json::parse(r->body);
  }

  TempDir dir_;
  std::optional<ChildProcess> server_;
  std::optional<ChildProcess> worker_;
  std::uint16_t port_ = 0;
  std::string url_;
  std::map<std::string, std::string> tokens_;
};

TEST_F(CamundaWorkerTest, TheNpmClientFetchesCompletesFailsAndThrowsBpmnErrors) {
  const std::filesystem::path dir = QUIRE_WORKER_DIR;
  ASSERT_TRUE(std::filesystem::exists(dir / "node_modules" / "camunda-external-task-client-js"))
      << "the npm client is not installed: scripts/test runs 'npm ci' in " << dir;
  const std::string ok = Start("ok", 21);
  const std::string reject = Start("reject", 5000);
  const std::string flaky = Start("flaky", 3);
  const std::string broken = Start("broken", 4);

  auto w = ChildProcess::Spawn(
      "/usr/bin/env", {"node", (dir / "worker.mjs").string(), url_, "worker", tokens_["worker"]});
  ASSERT_TRUE(w.has_value());
  worker_.emplace(std::move(*w));
  ASSERT_TRUE(worker_->WaitForLine("worker started", 30s).has_value());

  auto settled = [&] {
    return Get("/api/instances/" + ok).at("state") == "completed" &&
           Get("/api/instances/" + flaky).at("state") == "completed" &&
           !Get("/api/instances/" + broken).at("incidents").as_array().empty() &&
           !Get("/api/instances/" + reject).at("active").as_array().empty() &&
           Get("/api/instances/" + reject).at("active").at(0).at("elementId") == "handleRejection";
  };
  for (int i = 0; i < 300 && !settled(); ++i) std::this_thread::sleep_for(100ms);

  const json::value done = Get("/api/instances/" + ok);
  EXPECT_EQ(done.at("state"), "completed");
  EXPECT_EQ(done.at("variables").at("charged"), 42);
  EXPECT_EQ(done.at("variables").at("receipt"), json::parse(R"({"no": 7, "lines": [21, 21]})"));

  const json::value rejected = Get("/api/instances/" + reject);
  ASSERT_FALSE(rejected.at("active").as_array().empty());
  EXPECT_EQ(rejected.at("active").at(0).at("elementId"), "handleRejection");
  EXPECT_EQ(rejected.at("variables").at("reason"), "limit");

  const json::value retried = Get("/api/instances/" + flaky);
  EXPECT_EQ(retried.at("state"), "completed");
  EXPECT_EQ(retried.at("variables").at("attempts"), 2);
  const json::value history = Get("/api/instances/" + flaky + "/history");
  bool failed_once = false;
  for (const json::value& e : history.at("items").as_array()) {
    failed_once = failed_once || e.at("kind") == "job_failed";
  }
  EXPECT_TRUE(failed_once);

  const json::value incident = Get("/api/instances/" + broken);
  ASSERT_EQ(incident.at("incidents").as_array().size(), 1u);
  EXPECT_EQ(incident.at("incidents").at(0).at("kind"), "job_failed");
  EXPECT_THAT(std::string(incident.at("incidents").at(0).at("message").as_string()),
              HasSubstr("card declined"));
}

TEST_F(CamundaWorkerTest, WireFormatAndErrorsMatchCamunda) {
  const std::string id = Start("ok", 5);
  const json::value locked = Post("/engine-rest/external-task/fetchAndLock",
                                  R"({"workerId": "w1", "maxTasks": 5, "topics": [
                                        {"topicName": "charge", "lockDuration": 10000,
                                         "variables": ["amount"]}]})",
                                  200);
  ASSERT_EQ(locked.as_array().size(), 1u);
  const json::value& task = locked.at(0);
  EXPECT_EQ(task.at("processInstanceId"), json::value(id));
  EXPECT_EQ(task.at("topicName"), "charge");
  EXPECT_EQ(task.at("activityId"), "charge");
  EXPECT_EQ(task.at("workerId"), "w1");
  EXPECT_EQ(task.at("processDefinitionKey"), "payment");
  EXPECT_EQ(task.at("variables"),
            json::parse(R"({"amount": {"type": "Integer", "value": 5, "valueInfo": {}}})"));
  const std::string task_id(task.at("id").as_string());

  // Locked: nobody else gets it; another worker may not complete it.
  const json::value none =
      Post("/engine-rest/external-task/fetchAndLock",
           R"({"workerId": "w2", "topics": [{"topicName": "charge", "lockDuration": 1000}]})", 200);
  EXPECT_TRUE(none.as_array().empty());
  const json::value wrong =
      Post("/engine-rest/external-task/" + task_id + "/complete", R"({"workerId": "w2"})", 400);
  EXPECT_THAT(std::string(wrong.at("message").as_string()), HasSubstr("locked by worker 'w1'"));
  EXPECT_EQ(wrong.at("type"), "InvalidRequestException");
  Post("/engine-rest/external-task/999999/complete", R"({"workerId": "w1"})", 404);
  Post("/engine-rest/external-task/fetchAndLock", R"({"topics": []})", 400);  // no workerId

  // Unlocked, it can be fetched again; then completed with typed variables.
  Post("/engine-rest/external-task/" + task_id + "/unlock", "", 204);
  const json::value again =
      Post("/engine-rest/external-task/fetchAndLock",
           R"({"workerId": "w2", "topics": [{"topicName": "charge", "lockDuration": 1000}]})", 200);
  ASSERT_EQ(again.as_array().size(), 1u);
  Post("/engine-rest/external-task/" + task_id + "/complete",
       R"({"workerId": "w2", "variables": {"total": {"value": 9, "type": "Long"},
           "meta": {"value": "{\"a\":[1,2]}", "type": "Json"}}})",
       204);
  const json::value done = Get("/api/instances/" + id);
  EXPECT_EQ(done.at("state"), "completed");
  EXPECT_EQ(done.at("variables").at("total"), 9);
  EXPECT_EQ(done.at("variables").at("meta"), json::parse(R"({"a": [1, 2]})"));
}

TEST_F(CamundaWorkerTest, WorkersSignInAndMayOnlyWorkExternalTasks) {
  const std::string basic = "Basic " + Base64(std::string("cashier:") + kWorkerPassword);
  const std::string token = "Basic " + Base64("worker:" + tokens_["worker"]);
  const std::string fetch =
      R"({"workerId": "w", "topics": [{"topicName": "none", "lockDuration": 1000}]})";
  EXPECT_EQ(Call("POST", "/engine-rest/external-task/fetchAndLock", fetch, basic)->status, 200);
  EXPECT_EQ(Call("POST", "/engine-rest/external-task/fetchAndLock", fetch, token)->status, 200);
  EXPECT_EQ(
      Call("POST", "/engine-rest/external-task/fetchAndLock", fetch, "Bearer " + tokens_["worker"])
          ->status,
      200);
  // Wrong password, another user's token, no credentials at all: 401.
  EXPECT_EQ(Call("POST", "/engine-rest/external-task/fetchAndLock", fetch,
                 "Basic " + Base64("cashier:not the password"))
                ->status,
            401);
  EXPECT_EQ(Call("POST", "/engine-rest/external-task/fetchAndLock", fetch,
                 "Basic " + Base64("cashier:" + tokens_["worker"]))
                ->status,
            401);
  EXPECT_EQ(Call("POST", "/engine-rest/external-task/fetchAndLock", fetch, "Basic")->status, 401);
  // A worker sees nothing else.
  auto instances = Call("GET", "/api/processes/payment/instances", "", basic);
  EXPECT_EQ(instances->status, 403);
  EXPECT_THAT(instances->body, HasSubstr("instances.read"));
  EXPECT_EQ(Call("GET", "/api/audit/export", "", token)->status, 403);
}

}  // namespace
}  // namespace quire
