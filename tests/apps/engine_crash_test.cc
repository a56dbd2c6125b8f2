// Crash safety of the engine: a real `quire serve` takes concurrent starts and task
// completions over HTTP and is SIGKILLed at random moments, several times. After each
// restart, every acknowledged command's effect is there exactly once and every instance is
// consistent (waiting at its task with exactly one open task, or completed).
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "quire/testing/child_process.h"
#include "quire/testing/http_client.h"
#include "quire/testing/quire_server.h"
#include "quire/testing/temp_dir.h"

namespace quire {
namespace {

using ::quire::testing::ChildProcess;
using ::quire::testing::TempDir;
using namespace std::chrono_literals;
namespace json = boost::json;

const char* kProcess =
    R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="urn:t">
  <process id="order" isExecutable="true">
    <startEvent id="s"/><userTask id="review"/>
    <boundaryEvent id="remind" attachedToRef="review" cancelActivity="false"><timerEventDefinition><timeDuration>P1D</timeDuration></timerEventDefinition></boundaryEvent>
    <endEvent id="e"/><endEvent id="e2"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
    <sequenceFlow id="f2" sourceRef="review" targetRef="e"/>
    <sequenceFlow id="f3" sourceRef="remind" targetRef="e2"/>
  </process>
</definitions>)";

// admin (administrator) starts instances, clerk (staff) completes tasks: provisioned once
// per data directory through the CLI, before the first server opens it.
std::map<std::string, std::string>& Tokens() {
  static std::map<std::string, std::string> tokens;
  return tokens;
}

const std::string& Provisioned(const std::string& data) {
  static std::set<std::string> done;
  if (done.insert(data).second) {
    Tokens() = quire::testing::ProvisionUsers(QUIRE_BINARY, data,
                                              {{"admin", {"administrator"}}, {"clerk", {"staff"}}});
  }
  return data;
}

struct Server : quire::testing::QuireServer {
  explicit Server(const std::string& data) : QuireServer(QUIRE_BINARY, Provisioned(data)) {}
};

// One request as `user`, with their API token.
Result<quire::testing::HttpReply> FetchAs(std::uint16_t port, const std::string& method,
                                          const std::string& target, const std::string& body,
                                          const std::string& user) {
  auto connection = quire::testing::HttpConnection::Connect(port);
  if (!connection) return connection.error();
  QUIRE_RETURN_IF_ERROR(connection->Send(
      quire::testing::MakeRequest(method, target, body, {quire::testing::Bearer(Tokens()[user])})));
  return connection->ReadReply();
}

struct Acknowledged {
  std::mutex mu;
  std::map<std::string, std::string> started;  // business key → instance id
  std::map<std::string, std::string> tasks;    // instance id → task id
  std::set<std::string> completed;             // instance ids
};

void Load(std::uint16_t port, int worker, std::atomic<bool>& stop, Acknowledged& ack, int& next) {
  while (!stop) {
    const std::string key = "w" + std::to_string(worker) + "-" + std::to_string(next);
    auto started = FetchAs(port, "POST", "/api/processes/order/instances",
                           R"({"businessKey": ")" + key + R"(", "variables": {"n": 1}})", "admin");
    if (!started || started->status == 0) return;  // the server is gone
    if (started->status == 409) {
      // A retry after a crash: the first attempt was stored; never a second instance.
      ++next;
      continue;
    }
    if (started->status != 201) return;
    const json::value body = json::parse(started->body);
    const std::string id(body.at("id").as_string());
    const std::string task(body.at("tasks").at(0).as_string());
    {
      std::lock_guard lock(ack.mu);
      ack.started[key] = id;
      ack.tasks[id] = task;
    }
    ++next;
    if (next % 2 == 0) {
      auto done = FetchAs(port, "POST", "/api/tasks/" + task + "/complete", "{}", "clerk");
      if (!done) return;
      if (done->status == 200) {
        std::lock_guard lock(ack.mu);
        ack.completed.insert(id);
      }
    }
  }
}

TEST(EngineCrashTest, AcknowledgedCommandsSurviveSigkillExactlyOnce) {
  TempDir dir;
  const std::string data = dir.Sub("data").string();
  Acknowledged ack;
  std::mt19937 random(20261124);
  int next[4] = {0, 0, 0, 0};
  for (int round = 0; round < 4; ++round) {
    Server server(data);
    ASSERT_NE(server.port, 0) << "round " << round;
    if (round == 0) {
      auto d = FetchAs(server.port, "POST", "/api/deployments", kProcess, "admin");
      ASSERT_TRUE(d);
      ASSERT_EQ(d->status, 201) << d->body;
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> workers;
    for (int w = 0; w < 4; ++w) {
      workers.emplace_back([&, w] { Load(server.port, w, stop, ack, next[w]); });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + random() % 700));
    server.child->Signal(SIGKILL);
    server.child->Wait(30s);
    stop = true;
    for (auto& t : workers) t.join();
  }

  Server server(data);
  ASSERT_NE(server.port, 0);
  std::lock_guard lock(ack.mu);
  ASSERT_GT(ack.started.size(), 20u) << "the load did not get going";
  std::printf("acknowledged: %zu starts, %zu completions\n", ack.started.size(),
              ack.completed.size());

  auto listed =
      FetchAs(server.port, "GET", "/api/processes/order/instances?limit=10000", "", "admin");
  ASSERT_TRUE(listed);
  const json::value all = json::parse(listed->body);
  std::map<std::string, int> keys;
  std::map<std::string, json::object> by_id;
  for (const json::value& i : all.at("items").as_array()) {
    ++keys[std::string(i.at("businessKey").as_string())];
    by_id[std::string(i.at("id").as_string())] = i.as_object();
  }
  for (const auto& [key, n] : keys) EXPECT_EQ(n, 1) << "business key " << key;

  // Open tasks per instance, as the task index has them.
  std::map<std::string, int> open_tasks;
  for (const auto& [id, instance] : by_id) {
    auto tasks = FetchAs(server.port, "GET", "/api/tasks?instance=" + id, "", "admin");
    ASSERT_TRUE(tasks);
    ASSERT_EQ(tasks->status, 200) << tasks->body;
    const json::value task_list = json::parse(tasks->body);
    open_tasks[id] = static_cast<int>(task_list.at("items").as_array().size());
  }
  // ... and as the open-tasks inbox view has them: the same tasks.
  std::size_t in_view = 0;
  std::string after;
  for (;;) {
    auto page = FetchAs(
        server.port, "GET",
        "/api/tasks?view=open&limit=1000" + (after.empty() ? "" : "&after=" + after), "", "clerk");
    ASSERT_TRUE(page);
    ASSERT_EQ(page->status, 200) << page->body;
    const json::value body = json::parse(page->body);
    in_view += body.at("items").as_array().size();
    if (body.at("next").is_null()) break;
    after = std::string(body.at("next").as_string());
  }
  std::size_t total_open = 0;
  for (const auto& [id, n] : open_tasks) total_open += static_cast<std::size_t>(n);
  EXPECT_EQ(in_view, total_open);

  for (const auto& [key, id] : ack.started) {
    ASSERT_TRUE(by_id.contains(id)) << "acknowledged start lost: " << key;
    EXPECT_EQ(by_id[id].at("businessKey").as_string(), key);
  }
  for (const std::string& id : ack.completed) {
    EXPECT_EQ(by_id[id].at("state").as_string(), "completed") << "acknowledged completion lost";
  }
  for (const auto& [id, instance] : by_id) {
    const std::string state(instance.at("state").as_string());
    if (state == "completed") {
      EXPECT_EQ(open_tasks[id], 0) << id;
      EXPECT_TRUE(instance.at("active").as_array().empty()) << id;
      continue;
    }
    ASSERT_EQ(state, "active") << id;
    const json::array& active = instance.at("active").as_array();
    ASSERT_EQ(active.size(), 1u) << id << ": " << json::serialize(active);
    EXPECT_EQ(active[0].at("elementId").as_string(), "review");
    EXPECT_EQ(open_tasks[id], 1) << id;
  }
  // Still works: the acknowledged open tasks complete now.
  int completed_now = 0;
  for (const auto& [id, task] : ack.tasks) {
    if (ack.completed.contains(id) || by_id[id].at("state").as_string() != "active") continue;
    auto done = FetchAs(server.port, "POST", "/api/tasks/" + task + "/complete", "{}", "clerk");
    ASSERT_TRUE(done);
    EXPECT_EQ(done->status, 200) << done->body;
    if (++completed_now == 5) break;
  }
  server.child->Signal(SIGTERM);
  server.child->Wait(30s);
}

}  // namespace
}  // namespace quire
