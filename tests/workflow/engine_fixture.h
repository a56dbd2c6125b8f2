// A real engine on a real store in a temp dir, with a manual clock, for semantics tests.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "quire/base/clock.h"
#include "quire/definitions/repository.h"
#include "quire/org/directory.h"
#include "quire/storage/store.h"
#include "quire/testing/result_matchers.h"
#include "quire/testing/temp_dir.h"
#include "quire/workflow/engine.h"

namespace quire::workflow::testing {

// Wraps process content in <definitions> with the usual namespaces.
inline std::string Bpmn(const std::string& body, const std::string& root_extras = "") {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
             xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             xmlns:quire="urn:quire:bpmn:1.0"
             id="d" targetNamespace="urn:test">
)" + root_extras +
         body + "\n</definitions>\n";
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : clock_(Timestamp(std::chrono::sys_days(std::chrono::year(2026) / 1 / 5))) {}

  void SetUp() override { Open(); }
  void TearDown() override { Close(); }

  void Open() {
    auto store = storage::Store::Open(dir_.path() / "data");
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
    repository_ = std::make_unique<definitions::DefinitionRepository>(*store_);
    EngineOptions options = options_;
    options.durability = storage::Durability::kNoSync;
    auto engine = Engine::Open(*store_, *repository_, clock_, connectors_, options);
    ASSERT_TRUE(engine) << engine.error().message();
    engine_ = std::move(*engine);
    directory_ = std::make_unique<org::Directory>(*store_, nullptr, clock_);
  }

  void Close() {
    directory_.reset();
    engine_.reset();
    repository_.reset();
    store_.reset();
  }

  // Stops the engine and opens it again on the same store.
  void Restart() {
    Close();
    Open();
  }

  void Deploy(const std::string& xml) {
    auto d = engine_->Deploy(xml, "test.bpmn", "tester");
    ASSERT_TRUE(d) << d.error().message()
                   << (d.error().details().empty() ? "" : ": " + d.error().details()[0].message);
  }

  InstanceId Start(const std::string& process, const std::string& vars = "{}",
                   const std::string& business_key = "") {
    StartRequest r;
    r.process_id = process;
    r.variables = boost::json::parse(vars).as_object();
    r.business_key = business_key;
    r.actor = "tester";
    auto s = engine_->Start(r);
    EXPECT_TRUE(s) << s.error().message();
    engine_->WaitIdle();
    return s ? s->instance_id : 0;
  }

  InstanceInfo Instance(InstanceId id) {
    auto i = engine_->GetInstance(id);
    EXPECT_TRUE(i) << i.error().message();
    return i ? *i : InstanceInfo{};
  }

  std::string State(InstanceId id) { return Instance(id).state; }

  // Ids of the elements waiting (or in incident), sorted.
  std::vector<std::string> Active(InstanceId id) {
    std::vector<std::string> out;
    for (const auto& a : Instance(id).active) {
      if (a.state != "scope") out.push_back(a.element_id);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<TaskInfo> Tasks(InstanceId id) {
    auto t = engine_->ListTasks(id);
    EXPECT_TRUE(t) << t.error().message();
    return t ? *t : std::vector<TaskInfo>{};
  }

  // Completes the open task at `element` of `id`.
  void Complete(InstanceId id, const std::string& element, const std::string& vars = "{}") {
    for (const TaskInfo& t : Tasks(id)) {
      if (t.element_id != element) continue;
      auto r = engine_->CompleteTask(t.id, boost::json::parse(vars).as_object(), "tester");
      ASSERT_TRUE(r) << r.error().message();
      engine_->WaitIdle();
      return;
    }
    FAIL() << "no open task at " << element;
  }

  void Advance(std::chrono::milliseconds d) {
    clock_.Advance(d);
    engine_->WakeUp();
    engine_->WaitIdle();
  }

  MessageResult Publish(const std::string& name, const std::string& key,
                        const std::string& vars = "{}",
                        std::optional<std::chrono::milliseconds> ttl = std::nullopt) {
    MessageRequest m;
    m.name = name;
    m.correlation_key = key;
    m.variables = boost::json::parse(vars).as_object();
    m.ttl = ttl;
    auto r = engine_->CorrelateMessage(m);
    EXPECT_TRUE(r) << r.error().message();
    engine_->WaitIdle();
    return r ? *r : MessageResult{};
  }

  // Element ids in the order they were entered.
  std::vector<std::string> Entered(InstanceId id) {
    std::vector<std::string> out;
    auto h = engine_->History(id);
    EXPECT_TRUE(h) << h.error().message();
    if (!h) return out;
    for (const HistoryEvent& e : *h) {
      if (e.kind == "element_entered") out.push_back(e.element_id);
    }
    return out;
  }

  boost::json::value Var(InstanceId id, const std::string& name) {
    const auto vars = Instance(id).variables;
    const auto* v = vars.if_contains(name);
    return v == nullptr ? boost::json::value() : *v;
  }

  quire::testing::TempDir dir_;
  ManualClock clock_;
  ConnectorRegistry connectors_ = ConnectorRegistry::WithBuiltins();
  EngineOptions options_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<definitions::DefinitionRepository> repository_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<org::Directory> directory_;  // the organisation the engine's tasks use
};

}  // namespace quire::workflow::testing
