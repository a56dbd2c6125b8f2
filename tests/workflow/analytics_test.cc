// The engine's analytics counters (analytics.h): a funnel per process by the month its
// instances started, and task KPIs per user, kept in the batch of each command. Checked
// against what a run of known instances must count, and across a restart.
#include "quire/workflow/analytics.h"
#include "engine_fixture.h"
#include "keys.h"

namespace quire::workflow::testing {
namespace {

using ::quire::testing::IsOk;
using namespace std::chrono_literals;

std::string Flow(const std::string& id, const std::string& from, const std::string& to,
                 const std::string& condition = "") {
  std::string out =
      "<sequenceFlow id=\"" + id + "\" sourceRef=\"" + from + "\" targetRef=\"" + to + "\"";
  if (condition.empty()) return out + "/>";
  return out + "><conditionExpression xsi:type=\"tFormalExpression\">" + condition +
         "</conditionExpression></sequenceFlow>";
}

// qualify (due in a day) → decide: won → approve (2 sequential rounds) → close (expires
// after 7 days) → won; lost → lost; again → qualify.
const std::string kSale = Bpmn(
    R"(<process id="sale" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="qualify" camunda:dueDate="P1D"/>
    <exclusiveGateway id="decide"/>
    <userTask id="approve">
      <multiInstanceLoopCharacteristics isSequential="true"><loopCardinality>2</loopCardinality></multiInstanceLoopCharacteristics>
    </userTask>
    <userTask id="close"/>
    <boundaryEvent id="expired" attachedToRef="close"><timerEventDefinition><timeDuration>P7D</timeDuration></timerEventDefinition></boundaryEvent>
    <endEvent id="won"/><endEvent id="lost"/><endEvent id="gone"/>)" +
    Flow("f1", "s", "qualify") + Flow("f2", "qualify", "decide") +
    Flow("w", "decide", "approve", "outcome = \"won\"") +
    Flow("l", "decide", "lost", "outcome = \"lost\"") +
    Flow("a", "decide", "qualify", "outcome = \"again\"") + Flow("f3", "approve", "close") +
    Flow("f4", "close", "won") + Flow("f5", "expired", "gone") + "</process>");

class AnalyticsTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Deploy(kSale);
  }

  std::int32_t Month() const { return UtcMonth(clock_.Now()); }

  storage::CounterSums Funnel() {
    auto f = ReadFunnel(*store_, "sale", Month() - 1, Month() + 1);
    EXPECT_TRUE(f) << f.error().message();
    return f ? *f : storage::CounterSums{};
  }

  void CompleteAs(InstanceId id, const std::string& element, const std::string& user,
                  const std::string& vars = "{}") {
    for (const TaskInfo& t : Tasks(id)) {
      if (t.element_id != element) continue;
      ASSERT_THAT(engine_->CompleteTask(t.id, boost::json::parse(vars).as_object(), user), IsOk());
      engine_->WaitIdle();
      return;
    }
    FAIL() << "no open task at " << element;
  }
};

TEST_F(AnalyticsTest, TheFunnelCountsReachDropOutAndTimePerStep) {
  // Won after a second round of qualifying: 1 h, then 2 h; approve 2 × 30 min; close 3 h.
  const InstanceId won = Start("sale");
  Advance(1h);
  CompleteAs(won, "qualify", "anna", R"({"outcome": "again"})");
  Advance(2h);
  CompleteAs(won, "qualify", "anna", R"({"outcome": "won"})");
  Advance(30min);
  CompleteAs(won, "approve", "ben");
  Advance(30min);
  CompleteAs(won, "approve", "ben");
  Advance(3h);
  CompleteAs(won, "close", "anna");
  EXPECT_EQ(State(won), "completed");
  // Lost, qualified two days late.
  const InstanceId lost = Start("sale");
  Advance(48h);
  CompleteAs(lost, "qualify", "ben", R"({"outcome": "lost"})");
  // Won the approvals, then the offer expired at close.
  const InstanceId gone = Start("sale");
  CompleteAs(gone, "qualify", "anna", R"({"outcome": "won"})");
  CompleteAs(gone, "approve", "ben");
  CompleteAs(gone, "approve", "ben");
  Advance(8 * 24h);
  EXPECT_EQ(State(gone), "completed");
  // Withdrawn by an operator while it was being qualified.
  const InstanceId withdrawn = Start("sale");
  ASSERT_THAT(engine_->Cancel(withdrawn, "op", "customer withdrew"), IsOk());
  engine_->WaitIdle();
  // Still running at qualify.
  Start("sale");

  // All started in January 2026 (the clock's month when they started).
  auto f = ReadFunnel(*store_, "sale",
                      UtcMonth(Timestamp(std::chrono::sys_days(std::chrono::year(2026) / 1 / 1))),
                      UtcMonth(Timestamp(std::chrono::sys_days(std::chrono::year(2026) / 1 / 31))));
  ASSERT_TRUE(f) << f.error().message();
  auto& c = *f;
  EXPECT_EQ(c[""]["started"], 5);
  EXPECT_EQ(c[""]["completed"], 3);
  EXPECT_EQ(c[""]["cancelled"], 1);
  EXPECT_EQ(c["qualify"]["reached"], 5);  // instances, not visits
  EXPECT_EQ(c["qualify"]["entered"], 6);
  EXPECT_EQ(c["qualify"]["left"], 4);
  EXPECT_EQ(c["qualify"]["abandoned"], 1);
  EXPECT_EQ(c["qualify"]["interrupted"], 0);
  EXPECT_EQ(c["qualify"]["timed"], 4);
  EXPECT_EQ(c["qualify"]["ms"], std::chrono::milliseconds(1h + 2h + 48h).count());
  EXPECT_EQ(c["approve"]["reached"], 2);
  EXPECT_EQ(c["approve"]["entered"], 2);  // the two rounds are one stay of the activity
  EXPECT_EQ(c["approve"]["left"], 2);
  EXPECT_EQ(c["approve"]["ms"], std::chrono::milliseconds(1h).count());
  EXPECT_EQ(c["close"]["reached"], 2);
  EXPECT_EQ(c["close"]["left"], 1);
  EXPECT_EQ(c["close"]["interrupted"], 1);
  EXPECT_EQ(c["close"]["timed"], 1);
  EXPECT_EQ(c["close"]["ms"], std::chrono::milliseconds(3h).count());
  EXPECT_EQ(c["won"]["reached"], 1);
  EXPECT_EQ(c["lost"]["reached"], 1);
  EXPECT_EQ(c["gone"]["reached"], 1);
  EXPECT_EQ(c["decide"]["reached"], 3);
  EXPECT_EQ(c["decide"]["entered"], 4);
  EXPECT_EQ(c["decide"]["timed"], 0);  // gateways pass through
  // A report of another month sees none of it.
  auto feb = ReadFunnel(*store_, "sale", UtcMonth(clock_.Now()) + 1, UtcMonth(clock_.Now()) + 1);
  ASSERT_TRUE(feb);
  EXPECT_TRUE(feb->empty());
}

TEST_F(AnalyticsTest, TaskKpisCountCompletionsOnTimeAndDurationPerUser) {
  const InstanceId a = Start("sale");
  Advance(2h);
  CompleteAs(a, "qualify", "anna", R"({"outcome": "lost"})");  // on time (due in a day)
  const InstanceId b = Start("sale");
  Advance(30h);
  CompleteAs(b, "qualify", "anna", R"({"outcome": "won"})");  // late
  CompleteAs(b, "approve", "ben");                            // no due date
  const std::int32_t m = Month();
  auto k = ReadTaskKpis(*store_, m, m);
  ASSERT_TRUE(k) << k.error().message();
  EXPECT_EQ((*k)["anna"]["completed"], 2);
  EXPECT_EQ((*k)["anna"]["withDue"], 2);
  EXPECT_EQ((*k)["anna"]["onTime"], 1);
  EXPECT_EQ((*k)["anna"]["ms"], std::chrono::milliseconds(2h + 30h).count());
  EXPECT_EQ((*k)["ben"]["completed"], 1);
  EXPECT_EQ((*k)["ben"]["withDue"], 0);
  EXPECT_EQ((*k)["ben"]["ms"], 0);
  // Stays running across a restart keep their entry time.
  Restart();
  Advance(1h);
  CompleteAs(b, "approve", "ben");
  Advance(1h);
  CompleteAs(b, "close", "anna");
  auto f = Funnel();
  EXPECT_EQ(f["approve"]["ms"], std::chrono::milliseconds(1h).count());
  EXPECT_EQ(f["close"]["ms"], std::chrono::milliseconds(1h).count());
  EXPECT_EQ(f[""]["completed"], 2);
}

TEST_F(AnalyticsTest, ARunningInstanceCarriesOnlyWhatItNeeds) {
  const InstanceId id = Start("sale");
  auto record = [&] {
    auto r = store_->Get(storage::ColumnFamily::kInstances, keys::Instance(id));
    EXPECT_TRUE(r && *r);
    return r && *r ? **r : std::string();
  };
  // Running: which elements it reached, and when it entered the task it waits at.
  EXPECT_NE(record().find("\"en\":[["), std::string::npos) << record();
  EXPECT_NE(record().find("\"r\":["), std::string::npos) << record();
  CompleteAs(id, "qualify", "anna", R"({"outcome": "lost"})");
  // Ended: they are counted, and the record drops them.
  EXPECT_EQ(State(id), "completed");
  EXPECT_EQ(record().find("\"en\""), std::string::npos) << record();
  EXPECT_EQ(record().find("\"r\""), std::string::npos) << record();
  auto f = Funnel();
  EXPECT_EQ(f["lost"]["reached"], 1);
  EXPECT_EQ(f["qualify"]["timed"], 1);
}

}  // namespace
}  // namespace quire::workflow::testing

namespace quire::workflow::testing {
namespace {

class NoAnalyticsTest : public EngineTest {
 protected:
  void SetUp() override {
    options_.analytics = false;
    EngineTest::SetUp();
    Deploy(kSale);
  }
};

TEST_F(NoAnalyticsTest, TurnedOffTheEngineKeepsNoCounters) {
  const InstanceId id = Start("sale");
  Complete(id, "qualify", R"({"outcome": "lost"})");
  EXPECT_EQ(State(id), "completed");
  auto f = ReadFunnel(*store_, "sale", 0, 1'000'000);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->empty());
  auto k = ReadTaskKpis(*store_, 0, 1'000'000);
  ASSERT_TRUE(k);
  EXPECT_TRUE(k->empty());
}

}  // namespace
}  // namespace quire::workflow::testing

namespace quire::workflow::testing {
namespace {

std::string F(const std::string& id, const std::string& from, const std::string& to) {
  return "<sequenceFlow id=\"" + id + "\" sourceRef=\"" + from + "\" targetRef=\"" + to + "\"/>";
}

TEST_F(EngineTest, AnalyticsCountAMultiInstanceActivityAsOneStepAndDropOutsInnermost) {
  // Three parallel reviews, done when two are; a subprocess around a task, cancelled there.
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="review">
      <multiInstanceLoopCharacteristics><loopCardinality>3</loopCardinality>
        <completionCondition>nrOfCompletedInstances &gt;= 2</completionCondition>
      </multiInstanceLoopCharacteristics>
    </userTask>
    <subProcess id="sub"><startEvent id="ss"/><userTask id="inner"/><endEvent id="se"/>)" +
              F("i1", "ss", "inner") + F("i2", "inner", "se") + R"(</subProcess>
    <endEvent id="e"/>)" +
              F("f1", "s", "review") + F("f2", "review", "sub") + F("f3", "sub", "e") +
              "</process>"));
  const InstanceId id = Start("p");
  Advance(std::chrono::minutes(10));
  auto tasks = Tasks(id);
  ASSERT_EQ(tasks.size(), 3u);
  ASSERT_THAT(engine_->CompleteTask(tasks[0].id, {}, "anna"), IsOk());
  ASSERT_THAT(engine_->CompleteTask(tasks[1].id, {}, "ben"), IsOk());
  engine_->WaitIdle();
  ASSERT_EQ(Tasks(id).size(), 1u);  // at inner
  ASSERT_THAT(engine_->Cancel(id, "op", "withdrawn"), IsOk());
  engine_->WaitIdle();
  auto f = ReadFunnel(*store_, "p", 0, 1'000'000);
  ASSERT_TRUE(f);
  auto& c = *f;
  // The third review, cancelled by the completion condition, is not the activity's.
  EXPECT_EQ(c["review"]["entered"], 1);
  EXPECT_EQ(c["review"]["left"], 1);
  EXPECT_EQ(c["review"]["interrupted"], 0);
  EXPECT_EQ(c["review"]["timed"], 1);
  EXPECT_EQ(c["review"]["ms"], std::chrono::milliseconds(std::chrono::minutes(10)).count());
  // Dropped out at the task, not at the subprocess around it.
  EXPECT_EQ(c["inner"]["abandoned"], 1);
  EXPECT_EQ(c["sub"]["abandoned"], 0);
  EXPECT_EQ(c["sub"]["interrupted"], 1);
  EXPECT_EQ(c[""]["cancelled"], 1);
}

TEST_F(EngineTest, AnalyticsLeaveOutInstancesStartedWhileTheyWereOff) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true"><startEvent id="s"/><userTask id="t"/>
    <endEvent id="e"/>)" +
              F("f1", "s", "t") + F("f2", "t", "e") + "</process>"));
  options_.analytics = false;
  Restart();
  const InstanceId before = Start("p");
  options_.analytics = true;
  Restart();
  const InstanceId after = Start("p");
  Complete(before, "t");
  Complete(after, "t");
  auto f = ReadFunnel(*store_, "p", 0, 1'000'000);
  ASSERT_TRUE(f);
  // Only the instance whose start was counted: every figure of the cohort adds up.
  EXPECT_EQ((*f)[""]["started"], 1);
  EXPECT_EQ((*f)[""]["completed"], 1);
  EXPECT_EQ((*f)["t"]["left"], 1);
  // Task KPIs are the user's, whichever instance the task was of.
  auto k = ReadTaskKpis(*store_, 0, 1'000'000);
  ASSERT_TRUE(k);
  EXPECT_EQ((*k)["tester"]["completed"], 2);
}

}  // namespace
}  // namespace quire::workflow::testing

namespace quire::workflow::testing {
namespace {

TEST_F(EngineTest, AnalyticsCountARetriedIncidentAsOneVisit) {
  // The gateway's condition fails (no `amount`): an incident; retried once it is set.
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/><exclusiveGateway id="g" default="fd"/>
    <userTask id="big"/><userTask id="small"/><endEvent id="e1"/><endEvent id="e2"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="g"/>
    <sequenceFlow id="fa" sourceRef="g" targetRef="big"><conditionExpression xsi:type="tFormalExpression">amount &gt; 1000</conditionExpression></sequenceFlow>
    <sequenceFlow id="fd" sourceRef="g" targetRef="small"/>
    <sequenceFlow id="f3" sourceRef="big" targetRef="e1"/><sequenceFlow id="f4" sourceRef="small" targetRef="e2"/>
  </process>)"));
  const InstanceId id = Start("p");
  const InstanceInfo info = Instance(id);
  ASSERT_EQ(info.incidents.size(), 1u);
  ASSERT_THAT(engine_->SetVariables(id, {{"amount", 2000}}, "op"), IsOk());
  ASSERT_THAT(engine_->RetryIncident(info.incidents[0].id, 1, "op"), IsOk());
  engine_->WaitIdle();
  ASSERT_EQ(Tasks(id).size(), 1u);
  auto f = ReadFunnel(*store_, "p", 0, 1'000'000);
  ASSERT_TRUE(f);
  EXPECT_EQ((*f)["g"]["reached"], 1);
  EXPECT_EQ((*f)["g"]["entered"], 1);  // not again for the retry
  EXPECT_EQ((*f)["g"]["interrupted"], 0);
  EXPECT_EQ((*f)["g"]["left"], 1);
  EXPECT_EQ((*f)["big"]["entered"], 1);
}

}  // namespace
}  // namespace quire::workflow::testing
