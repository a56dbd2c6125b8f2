// BPMN semantics, one behaviour per test, against a real engine and store.
#include "engine_fixture.h"

#include <set>

namespace quire::workflow::testing {
namespace {

using quire::testing::HasError;
using quire::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

std::string Flow(const std::string& id, const std::string& from, const std::string& to,
                 const std::string& condition = "") {
  if (condition.empty()) {
    return "<sequenceFlow id=\"" + id + "\" sourceRef=\"" + from + "\" targetRef=\"" + to + "\"/>";
  }
  return "<sequenceFlow id=\"" + id + "\" sourceRef=\"" + from + "\" targetRef=\"" + to +
         "\"><conditionExpression xsi:type=\"tFormalExpression\">" + condition +
         "</conditionExpression></sequenceFlow>";
}

TEST_F(EngineTest, StraightThroughProcessCompletesInOneCommand) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/><task id="t"/><endEvent id="e"/>)" +
              Flow("f1", "s", "t") + Flow("f2", "t", "e") + "</process>"));
  const InstanceId id = Start("p");
  EXPECT_EQ(State(id), "completed");
  EXPECT_THAT(Entered(id), ElementsAre("s", "t", "e"));
}

TEST_F(EngineTest, UserTaskWaitsAndItsCompletionSetsVariables) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/><userTask id="review" camunda:assignee="${owner}"/><endEvent id="e"/>)" +
              Flow("f1", "s", "review") + Flow("f2", "review", "e") + "</process>"));
  const InstanceId id = Start("p", R"({"owner": "anna"})");
  EXPECT_EQ(State(id), "active");
  ASSERT_EQ(Tasks(id).size(), 1u);
  EXPECT_EQ(Tasks(id)[0].assignee, "anna");
  Complete(id, "review", R"({"approved": true})");
  EXPECT_EQ(State(id), "completed");
  EXPECT_EQ(Var(id, "approved"), boost::json::value(true));
  EXPECT_THAT(Tasks(id), IsEmpty());
}

TEST_F(EngineTest, CompletingATaskTwiceIsNotFound) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/><userTask id="u"/><endEvent id="e"/>)" +
              Flow("f1", "s", "u") + Flow("f2", "u", "e") + "</process>"));
  const InstanceId id = Start("p");
  const TaskId task = Tasks(id).at(0).id;
  ASSERT_THAT(engine_->CompleteTask(task, {}, "a"), IsOk());
  EXPECT_THAT(engine_->CompleteTask(task, {}, "a"),
              HasError(ErrorCode::kNotFound, HasSubstr("not open")));
}

const std::string kExclusive = Bpmn(
    R"(<process id="p" isExecutable="true">
    <startEvent id="s"/>
    <exclusiveGateway id="g" default="fd"/>
    <userTask id="big"/><userTask id="small"/><endEvent id="e1"/><endEvent id="e2"/>)" +
    Flow("f1", "s", "g") + Flow("fa", "g", "big", "amount &gt; 1000") + Flow("fd", "g", "small") +
    Flow("f3", "big", "e1") + Flow("f4", "small", "e2") + "</process>");

TEST_F(EngineTest, ExclusiveGatewayTakesTheTrueConditionElseTheDefault) {
  Deploy(kExclusive);
  EXPECT_THAT(Active(Start("p", R"({"amount": 5000})")), ElementsAre("big"));
  EXPECT_THAT(Active(Start("p", R"({"amount": 10})")), ElementsAre("small"));
}

TEST_F(EngineTest, ExclusiveGatewayWithAFailingConditionRaisesAnIncidentThatCanBeRetried) {
  Deploy(kExclusive);
  const InstanceId id = Start("p");  // `amount` is not set
  const InstanceInfo info = Instance(id);
  ASSERT_EQ(info.incidents.size(), 1u);
  EXPECT_EQ(info.incidents[0].element_id, "g");
  EXPECT_THAT(info.incidents[0].message, HasSubstr("amount"));
  auto listed = engine_->ListIncidents(std::nullopt);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);

  ASSERT_THAT(
      engine_->SetVariables(id, boost::json::parse(R"({"amount": 2000})").as_object(), "op"),
      IsOk());
  ASSERT_THAT(engine_->RetryIncident(info.incidents[0].id, 1, "op"), IsOk());
  engine_->WaitIdle();
  EXPECT_THAT(Active(id), ElementsAre("big"));
  EXPECT_TRUE(Instance(id).incidents.empty());
  EXPECT_TRUE(engine_->ListIncidents(std::nullopt)->empty());
}

TEST_F(EngineTest, ParallelJoinWaitsForEveryIncomingFlow) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/><parallelGateway id="fork"/><userTask id="a"/><userTask id="b"/>
    <parallelGateway id="join"/><userTask id="after"/><endEvent id="e"/>)" +
              Flow("f1", "s", "fork") + Flow("f2", "fork", "a") + Flow("f3", "fork", "b") +
              Flow("f4", "a", "join") + Flow("f5", "b", "join") + Flow("f6", "join", "after") +
              Flow("f7", "after", "e") + "</process>"));
  const InstanceId id = Start("p");
  EXPECT_THAT(Active(id), ElementsAre("a", "b"));
  Complete(id, "a");
  EXPECT_THAT(Active(id), ElementsAre("b", "join"));
  Complete(id, "b");
  EXPECT_THAT(Active(id), ElementsAre("after"));
}

const std::string kInclusive =
    Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/><inclusiveGateway id="fork"/>
    <userTask id="a"/><userTask id="b"/><userTask id="c"/>
    <inclusiveGateway id="join"/><userTask id="after"/><endEvent id="e"/>)" +
         Flow("f1", "s", "fork") + Flow("fa", "fork", "a", "wantA") +
         Flow("fb", "fork", "b", "wantB") + Flow("fc", "fork", "c", "wantC") +
         Flow("ja", "a", "join") + Flow("jb", "b", "join") + Flow("jc", "c", "join") +
         Flow("f6", "join", "after") + Flow("f7", "after", "e") + "</process>");

TEST_F(EngineTest, InclusiveJoinWaitsOnlyForTheBranchesThatWereActivated) {
  Deploy(kInclusive);
  const InstanceId id = Start("p", R"({"wantA": true, "wantB": true, "wantC": false})");
  EXPECT_THAT(Active(id), ElementsAre("a", "b"));
  Complete(id, "a");
  EXPECT_THAT(Active(id), ElementsAre("b", "join"));
  Complete(id, "b");
  EXPECT_THAT(Active(id), ElementsAre("after"));
}

TEST_F(EngineTest, InclusiveJoinFiresWhenTheOtherTokenCanNoLongerArrive) {
  // A branch that ends elsewhere (here: interrupted by a boundary event leading to an end)
  // must not keep the join waiting.
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/><inclusiveGateway id="fork"/>
    <userTask id="a"/><userTask id="b"/>
    <boundaryEvent id="timeout" attachedToRef="b"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>
    <endEvent id="gaveUp"/>
    <inclusiveGateway id="join"/><userTask id="after"/><endEvent id="e"/>)" +
              Flow("f1", "s", "fork") + Flow("fa", "fork", "a", "true") +
              Flow("fb", "fork", "b", "true") + Flow("ja", "a", "join") + Flow("jb", "b", "join") +
              Flow("ft", "timeout", "gaveUp") + Flow("f6", "join", "after") +
              Flow("f7", "after", "e") + "</process>"));
  const InstanceId id = Start("p");
  Complete(id, "a");
  EXPECT_THAT(Active(id), ElementsAre("b", "join"));
  Advance(2h);
  EXPECT_THAT(Active(id), ElementsAre("after"));
}

TEST_F(EngineTest, SubprocessHasItsOwnScopeAndCompletesWhenEmpty) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/>
    <subProcess id="sub">
      <startEvent id="ss"/><userTask id="inner"/><endEvent id="se"/>
      <sequenceFlow id="i1" sourceRef="ss" targetRef="inner"/>
      <sequenceFlow id="i2" sourceRef="inner" targetRef="se"/>
    </subProcess>
    <userTask id="after"/><endEvent id="e"/>)" +
              Flow("f1", "s", "sub") + Flow("f2", "sub", "after") + Flow("f3", "after", "e") +
              "</process>"));
  const InstanceId id = Start("p");
  EXPECT_THAT(Active(id), ElementsAre("inner"));
  Complete(id, "inner", R"({"result": 7})");
  EXPECT_THAT(Active(id), ElementsAre("after"));
  EXPECT_EQ(Var(id, "result"), boost::json::value(7));
}

TEST_F(EngineTest, InterruptingBoundaryTimerCancelsNestedParallelWorkInASubprocess) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/>
    <subProcess id="sub">
      <startEvent id="ss"/><parallelGateway id="fork"/><userTask id="x"/><userTask id="y"/>
      <parallelGateway id="join"/><endEvent id="se"/>
      <sequenceFlow id="i1" sourceRef="ss" targetRef="fork"/>
      <sequenceFlow id="i2" sourceRef="fork" targetRef="x"/>
      <sequenceFlow id="i3" sourceRef="fork" targetRef="y"/>
      <sequenceFlow id="i4" sourceRef="x" targetRef="join"/>
      <sequenceFlow id="i5" sourceRef="y" targetRef="join"/>
      <sequenceFlow id="i6" sourceRef="join" targetRef="se"/>
    </subProcess>
    <boundaryEvent id="late" attachedToRef="sub"><timerEventDefinition><timeDuration>P1D</timeDuration></timerEventDefinition></boundaryEvent>
    <userTask id="escalated"/><endEvent id="e"/><endEvent id="e2"/>)" +
              Flow("f1", "s", "sub") + Flow("f2", "sub", "e") + Flow("f3", "late", "escalated") +
              Flow("f4", "escalated", "e2") + "</process>"));
  const InstanceId id = Start("p");
  Complete(id, "x");
  EXPECT_THAT(Active(id), ElementsAre("join", "y"));
  Advance(std::chrono::hours(25));
  EXPECT_THAT(Active(id), ElementsAre("escalated"));
  EXPECT_EQ(Tasks(id).size(), 1u);  // y's task is gone
}

TEST_F(EngineTest, NonInterruptingBoundaryTimerSpawnsAParallelPath) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/><userTask id="work"/>
    <boundaryEvent id="remind" attachedToRef="work" cancelActivity="false"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>
    <userTask id="reminder"/><endEvent id="e"/><endEvent id="e2"/>)" +
              Flow("f1", "s", "work") + Flow("f2", "work", "e") + Flow("f3", "remind", "reminder") +
              Flow("f4", "reminder", "e2") + "</process>"));
  const InstanceId id = Start("p");
  Advance(90min);
  EXPECT_THAT(Active(id), ElementsAre("reminder", "work"));
  Complete(id, "work");
  Complete(id, "reminder");
  EXPECT_EQ(State(id), "completed");
}

TEST_F(EngineTest, TimerDueWhileTheEngineWasDownFiresAtStartUp) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/>
    <intermediateCatchEvent id="wait"><timerEventDefinition><timeDuration>PT10M</timeDuration></timerEventDefinition></intermediateCatchEvent>
    <userTask id="next"/><endEvent id="e"/>)" +
              Flow("f1", "s", "wait") + Flow("f2", "wait", "next") + Flow("f3", "next", "e") +
              "</process>"));
  const InstanceId id = Start("p");
  EXPECT_THAT(Active(id), ElementsAre("wait"));
  Close();
  clock_.Advance(1h);
  Open();
  engine_->WaitIdle();
  EXPECT_THAT(Active(id), ElementsAre("next"));
}

TEST_F(EngineTest, LoopThroughATimerWaitsEachRound) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/><exclusiveGateway id="merge"/>
    <intermediateCatchEvent id="wait"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></intermediateCatchEvent>
    <serviceTask id="count"><extensionElements><zeebe:taskDefinition type="set-variables"/>
      <zeebe:ioMapping><zeebe:input source="= n + 1" target="n"/></zeebe:ioMapping></extensionElements></serviceTask>
    <exclusiveGateway id="more" default="again"/><endEvent id="e"/>)" +
              Flow("f1", "s", "merge") + Flow("f2", "merge", "wait") + Flow("f3", "wait", "count") +
              Flow("f4", "count", "more") + Flow("done", "more", "e", "n &gt;= 3") +
              Flow("again", "more", "merge") + "</process>"));
  const InstanceId id = Start("p", R"({"n": 0})");
  for (int round = 1; round <= 2; ++round) {
    Advance(61min);
    EXPECT_EQ(State(id), "active");
    EXPECT_EQ(Var(id, "n"), boost::json::value(round));
  }
  Advance(61min);
  EXPECT_EQ(State(id), "completed");
}

const std::string kMessageCatch = Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/>
    <intermediateCatchEvent id="paid"><messageEventDefinition messageRef="m"/></intermediateCatchEvent>
    <endEvent id="e"/>)" + Flow("f1", "s", "paid") +
                                           Flow("f2", "paid", "e") + "</process>",
                                       R"(<message id="m" name="payment">
    <extensionElements><zeebe:subscription correlationKey="= orderId"/></extensionElements></message>)");

TEST_F(EngineTest, MessageIsCorrelatedByNameAndKey) {
  Deploy(kMessageCatch);
  const InstanceId a = Start("p", R"({"orderId": "A-1"})");
  const InstanceId b = Start("p", R"({"orderId": "B-2"})");
  const MessageResult r = Publish("payment", "B-2", R"({"paidAmount": 40})");
  EXPECT_THAT(r.correlated, ElementsAre(b));
  EXPECT_EQ(State(a), "active");
  EXPECT_EQ(State(b), "completed");
  EXPECT_EQ(Var(b, "paidAmount"), boost::json::value(40));
}

TEST_F(EngineTest, MessageNobodyWaitsForIsRefusedWithoutATimeToLive) {
  Deploy(kMessageCatch);
  MessageRequest m;
  m.name = "payment";
  m.correlation_key = "X";
  EXPECT_THAT(engine_->CorrelateMessage(m),
              HasError(ErrorCode::kNotFound, HasSubstr("time-to-live")));
}

TEST_F(EngineTest, BufferedMessageIsTakenByTheInstanceThatStartsWaitingWithinItsTimeToLive) {
  Deploy(kMessageCatch);
  const MessageResult r = Publish("payment", "C-3", R"({"early": true})", 1h);
  EXPECT_NE(r.buffered_id, 0u);
  const InstanceId id = Start("p", R"({"orderId": "C-3"})");
  EXPECT_EQ(State(id), "completed");
  EXPECT_EQ(Var(id, "early"), boost::json::value(true));
  // Taken once: a second instance with the same key waits.
  EXPECT_EQ(State(Start("p", R"({"orderId": "C-3"})")), "active");
}

TEST_F(EngineTest, ExpiredBufferedMessageIsNotDelivered) {
  Deploy(kMessageCatch);
  Publish("payment", "D-4", "{}", 10min);
  Advance(11min);
  EXPECT_EQ(State(Start("p", R"({"orderId": "D-4"})")), "active");
}

TEST_F(EngineTest, MessageArrivingInTheSameGroupAsTheStartThatWaitsForItIsDelivered) {
  // The start is not durable yet when the message is published right after it: the
  // writer's overlay must still let the message see the new subscription.
  Deploy(kMessageCatch);
  StartRequest start;
  start.process_id = "p";
  start.variables = boost::json::parse(R"({"orderId": "R-1"})").as_object();
  std::promise<Result<StartResult>> started;
  engine_->StartAsync(start, [&](Result<StartResult> r) { started.set_value(std::move(r)); });
  MessageRequest m;
  m.name = "payment";
  m.correlation_key = "R-1";
  auto r = engine_->CorrelateMessage(m);
  auto s = started.get_future().get();
  ASSERT_TRUE(s);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_THAT(r->correlated, ElementsAre(s->instance_id));
  engine_->WaitIdle();
  EXPECT_EQ(State(s->instance_id), "completed");
}

TEST_F(EngineTest, MessageStartEventStartsAnInstance) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"><messageEventDefinition messageRef="m"/></startEvent>
    <userTask id="handle"/><endEvent id="e"/>)" +
                  Flow("f1", "s", "handle") + Flow("f2", "handle", "e") + "</process>",
              R"(<message id="m" name="complaint"/>)"));
  const MessageResult r = Publish("complaint", "", R"({"customer": "ACME"})");
  ASSERT_EQ(r.started.size(), 1u);
  EXPECT_THAT(Active(r.started[0]), ElementsAre("handle"));
  EXPECT_EQ(Var(r.started[0], "customer"), boost::json::value("ACME"));
}

TEST_F(EngineTest, EventBasedGatewayTakesTheFirstEventAndDropsTheOthers) {
  Deploy(Bpmn(
      R"(<process id="p" isExecutable="true">
    <startEvent id="s"/><eventBasedGateway id="g"/>
    <intermediateCatchEvent id="answer"><messageEventDefinition messageRef="m"/></intermediateCatchEvent>
    <intermediateCatchEvent id="timeout"><timerEventDefinition><timeDuration>P2D</timeDuration></timerEventDefinition></intermediateCatchEvent>
    <userTask id="process"/><userTask id="chase"/><endEvent id="e1"/><endEvent id="e2"/>)" +
          Flow("f1", "s", "g") + Flow("f2", "g", "answer") + Flow("f3", "g", "timeout") +
          Flow("f4", "answer", "process") + Flow("f5", "timeout", "chase") +
          Flow("f6", "process", "e1") + Flow("f7", "chase", "e2") + "</process>",
      R"(<message id="m" name="answer"><extensionElements><zeebe:subscription correlationKey="= key"/></extensionElements></message>)"));
  const InstanceId answered = Start("p", R"({"key": "1"})");
  const InstanceId silent = Start("p", R"({"key": "2"})");
  Publish("answer", "1");
  EXPECT_THAT(Active(answered), ElementsAre("process"));
  Advance(std::chrono::hours(49));
  EXPECT_THAT(Active(silent), ElementsAre("chase"));
  EXPECT_THAT(Active(answered), ElementsAre("process"));  // its timer was dropped
}

const std::string kErrors = R"(<error id="err" name="Rejected" errorCode="REJECTED"/>)";

TEST_F(EngineTest, ErrorEndEventIsCaughtByTheBoundaryOfTheEnclosingSubprocess) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/>
    <subProcess id="sub">
      <startEvent id="ss"/><endEvent id="fail"><errorEventDefinition errorRef="err"/></endEvent>
      <sequenceFlow id="i1" sourceRef="ss" targetRef="fail"/>
    </subProcess>
    <boundaryEvent id="caught" attachedToRef="sub"><errorEventDefinition errorRef="err"/></boundaryEvent>
    <userTask id="handle"/><endEvent id="e"/><endEvent id="e2"/>)" +
                  Flow("f1", "s", "sub") + Flow("f2", "sub", "e") + Flow("f3", "caught", "handle") +
                  Flow("f4", "handle", "e2") + "</process>",
              kErrors));
  EXPECT_THAT(Active(Start("p")), ElementsAre("handle"));
}

TEST_F(EngineTest, UncaughtErrorRaisesAnIncident) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/><endEvent id="fail"><errorEventDefinition errorRef="err"/></endEvent>)" +
                  Flow("f1", "s", "fail") + "</process>",
              kErrors));
  const InstanceInfo info = Instance(Start("p"));
  EXPECT_EQ(info.state, "active");
  ASSERT_EQ(info.incidents.size(), 1u);
  EXPECT_EQ(info.incidents[0].kind, "uncaught_error");
  EXPECT_THAT(info.incidents[0].message, HasSubstr("REJECTED"));
}

TEST_F(EngineTest, ErrorEventSubprocessInterruptsItsScope) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/><parallelGateway id="fork"/><userTask id="other"/>
    <endEvent id="fail"><errorEventDefinition errorRef="err"/></endEvent>
    <subProcess id="onError" triggeredByEvent="true">
      <startEvent id="es"><errorEventDefinition errorRef="err"/></startEvent>
      <userTask id="repair"/><endEvent id="ee"/>
      <sequenceFlow id="i1" sourceRef="es" targetRef="repair"/>
      <sequenceFlow id="i2" sourceRef="repair" targetRef="ee"/>
    </subProcess>
    <endEvent id="e"/>)" +
                  Flow("f1", "s", "fork") + Flow("f2", "fork", "other") +
                  Flow("f3", "fork", "fail") + Flow("f4", "other", "e") + "</process>",
              kErrors));
  const InstanceId id = Start("p");
  EXPECT_THAT(Active(id), ElementsAre("repair"));
  Complete(id, "repair");
  EXPECT_EQ(State(id), "completed");
}

TEST_F(EngineTest, NonInterruptingMessageEventSubprocessRunsBesideTheMainFlow) {
  Deploy(Bpmn(
      R"(<process id="p" isExecutable="true">
    <startEvent id="s"/><userTask id="main"/><endEvent id="e"/>
    <subProcess id="onNote" triggeredByEvent="true">
      <startEvent id="es" isInterrupting="false"><messageEventDefinition messageRef="m"/></startEvent>
      <userTask id="read"/><endEvent id="ee"/>
      <sequenceFlow id="i1" sourceRef="es" targetRef="read"/>
      <sequenceFlow id="i2" sourceRef="read" targetRef="ee"/>
    </subProcess>)" +
          Flow("f1", "s", "main") + Flow("f2", "main", "e") + "</process>",
      R"(<message id="m" name="note"><extensionElements><zeebe:subscription correlationKey="= key"/></extensionElements></message>)"));
  const InstanceId id = Start("p", R"({"key": "k"})");
  Publish("note", "k");
  Publish("note", "k");
  EXPECT_THAT(Active(id), ElementsAre("main", "read", "read"));
  Complete(id, "main");
  EXPECT_EQ(State(id), "active");
  Complete(id, "read");
  Complete(id, "read");
  EXPECT_EQ(State(id), "completed");
}

const std::string kChild =
    Bpmn(R"(<process id="child" isExecutable="true">
    <startEvent id="cs"/><userTask id="childTask"/><exclusiveGateway id="cg" default="ok"/>
    <endEvent id="ce"/><endEvent id="cfail"><errorEventDefinition errorRef="err"/></endEvent>)" +
             Flow("c1", "cs", "childTask") + Flow("c2", "childTask", "cg") +
             Flow("ok", "cg", "ce") + Flow("bad", "cg", "cfail", "reject") + "</process>",
         kErrors);

const std::string kParent =
    Bpmn(R"(<process id="parent" isExecutable="true">
    <startEvent id="s"/><callActivity id="call" calledElement="child"/>
    <boundaryEvent id="rejected" attachedToRef="call"><errorEventDefinition errorRef="err"/></boundaryEvent>
    <userTask id="after"/><userTask id="onReject"/><endEvent id="e"/><endEvent id="e2"/>)" +
             Flow("f1", "s", "call") + Flow("f2", "call", "after") + Flow("f3", "after", "e") +
             Flow("f4", "rejected", "onReject") + Flow("f5", "onReject", "e2") + "</process>",
         kErrors);

TEST_F(EngineTest, CallActivityWaitsForItsChildAndGetsItsVariables) {
  Deploy(kChild);
  Deploy(kParent);
  const InstanceId parent = Start("parent", R"({"input": 1, "reject": false})");
  const InstanceInfo info = Instance(parent);
  ASSERT_EQ(info.active.size(), 1u);
  const InstanceId child = info.active[0].child_instance;
  ASSERT_NE(child, 0u);
  EXPECT_EQ(Var(child, "input"), boost::json::value(1));
  Complete(child, "childTask", R"({"output": "done"})");
  EXPECT_EQ(State(child), "completed");
  EXPECT_THAT(Active(parent), ElementsAre("after"));
  EXPECT_EQ(Var(parent, "output"), boost::json::value("done"));
}

TEST_F(EngineTest, ErrorInACalledProcessIsCaughtOnTheCallActivity) {
  Deploy(kChild);
  Deploy(kParent);
  const InstanceId parent = Start("parent", R"({"reject": false})");
  const InstanceId child = Instance(parent).active.at(0).child_instance;
  Complete(child, "childTask", R"({"reject": true})");
  EXPECT_THAT(Active(parent), ElementsAre("onReject"));
  EXPECT_NE(State(child), "active");
}

TEST_F(EngineTest, CancellingAParentCancelsItsChild) {
  Deploy(kChild);
  Deploy(kParent);
  const InstanceId parent = Start("parent", R"({"reject": false})");
  const InstanceId child = Instance(parent).active.at(0).child_instance;
  ASSERT_THAT(engine_->Cancel(parent, "op", "customer withdrew"), IsOk());
  EXPECT_EQ(State(parent), "cancelled");
  EXPECT_EQ(State(child), "cancelled");
  EXPECT_THAT(Tasks(child), IsEmpty());
}

TEST_F(EngineTest, NonInterruptingEscalationBoundaryRunsBesideTheSubprocess) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/>
    <subProcess id="sub">
      <startEvent id="ss"/><intermediateThrowEvent id="raise"><escalationEventDefinition escalationRef="esc"/></intermediateThrowEvent>
      <userTask id="inner"/><endEvent id="se"/>
      <sequenceFlow id="i1" sourceRef="ss" targetRef="raise"/>
      <sequenceFlow id="i2" sourceRef="raise" targetRef="inner"/>
      <sequenceFlow id="i3" sourceRef="inner" targetRef="se"/>
    </subProcess>
    <boundaryEvent id="heard" attachedToRef="sub" cancelActivity="false"><escalationEventDefinition escalationRef="esc"/></boundaryEvent>
    <userTask id="manager"/><endEvent id="e"/><endEvent id="e2"/>)" +
                  Flow("f1", "s", "sub") + Flow("f2", "sub", "e") + Flow("f3", "heard", "manager") +
                  Flow("f4", "manager", "e2") + "</process>",
              R"(<escalation id="esc" escalationCode="LATE"/>)"));
  EXPECT_THAT(Active(Start("p")), ElementsAre("inner", "manager"));
}

TEST_F(EngineTest, TerminateEndEventEndsEveryOtherPath) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/><parallelGateway id="fork"/><userTask id="slow"/>
    <endEvent id="stop"><terminateEventDefinition/></endEvent><endEvent id="e"/>)" +
              Flow("f1", "s", "fork") + Flow("f2", "fork", "slow") + Flow("f3", "fork", "stop") +
              Flow("f4", "slow", "e") + "</process>"));
  const InstanceId id = Start("p");
  EXPECT_EQ(State(id), "completed");
  EXPECT_THAT(Tasks(id), IsEmpty());
}

TEST_F(EngineTest, ParallelMultiInstanceOverACollectionCollectsOutputs) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="review">
      <multiInstanceLoopCharacteristics>
        <extensionElements><zeebe:loopCharacteristics inputCollection="= reviewers" inputElement="reviewer" outputCollection="votes" outputElement="= vote"/></extensionElements>
      </multiInstanceLoopCharacteristics>
    </userTask>
    <endEvent id="e"/>)" +
              Flow("f1", "s", "review") + Flow("f2", "review", "e") + "</process>"));
  const InstanceId id = Start("p", R"({"reviewers": ["anna", "ben", "cleo"]})");
  auto tasks = Tasks(id);
  ASSERT_EQ(tasks.size(), 3u);
  for (const TaskInfo& t : tasks) {
    auto full = engine_->GetTask(t.id);
    ASSERT_TRUE(full);
    const std::string who(full->variables.at("reviewer").as_string());
    ASSERT_THAT(engine_->CompleteTask(t.id, {{"vote", who == "ben" ? "no" : "yes"}}, who), IsOk());
  }
  engine_->WaitIdle();
  EXPECT_EQ(State(id), "completed");
  EXPECT_EQ(Var(id, "votes"), boost::json::parse(R"(["yes", "no", "yes"])"));
}

// Zeebe and Camunda 7 apply a multi-instance activity's input mappings per instance, after
// its element variable and loopCounter (counted from 0 here, as Camunda 7 does) are set:
// the mappings may use them.
TEST_F(EngineTest, MultiInstanceInputMappingsSeeTheElementAndTheLoopCounter) {
  Deploy(Bpmn(R"xml(<process id="p" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="review">
      <extensionElements><zeebe:ioMapping>
        <zeebe:input source="= upper case(reviewer) + &quot;-&quot; + string(loopCounter)" target="label"/>
      </zeebe:ioMapping></extensionElements>
      <multiInstanceLoopCharacteristics>
        <extensionElements><zeebe:loopCharacteristics inputCollection="= reviewers" inputElement="reviewer"/></extensionElements>
      </multiInstanceLoopCharacteristics>
    </userTask>
    <endEvent id="e"/>)xml" +
              Flow("f1", "s", "review") + Flow("f2", "review", "e") + "</process>"));
  const InstanceId id = Start("p", R"({"reviewers": ["anna", "ben"]})");
  std::set<std::string> labels;
  for (const TaskInfo& t : Tasks(id)) {
    auto full = engine_->GetTask(t.id);
    ASSERT_TRUE(full);
    labels.insert(std::string(full->variables.at("label").as_string()));
  }
  EXPECT_EQ(labels, (std::set<std::string>{"ANNA-0", "BEN-1"}));
  EXPECT_TRUE(engine_->ListIncidents(id)->empty());
}

TEST_F(EngineTest, MultiInstanceCompletionConditionCancelsTheRest) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="approve">
      <multiInstanceLoopCharacteristics>
        <loopCardinality>3</loopCardinality>
        <completionCondition>${nrOfCompletedInstances &gt;= 2}</completionCondition>
      </multiInstanceLoopCharacteristics>
    </userTask>
    <endEvent id="e"/>)" +
              Flow("f1", "s", "approve") + Flow("f2", "approve", "e") + "</process>"));
  const InstanceId id = Start("p");
  ASSERT_EQ(Tasks(id).size(), 3u);
  Complete(id, "approve");
  EXPECT_EQ(Tasks(id).size(), 2u);
  Complete(id, "approve");
  EXPECT_EQ(State(id), "completed");
  EXPECT_THAT(Tasks(id), IsEmpty());
}

TEST_F(EngineTest, SequentialMultiInstanceRunsOneAfterAnother) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="step"><multiInstanceLoopCharacteristics isSequential="true"><loopCardinality>2</loopCardinality></multiInstanceLoopCharacteristics></userTask>
    <endEvent id="e"/>)" +
              Flow("f1", "s", "step") + Flow("f2", "step", "e") + "</process>"));
  const InstanceId id = Start("p");
  EXPECT_EQ(Tasks(id).size(), 1u);
  Complete(id, "step");
  EXPECT_EQ(Tasks(id).size(), 1u);
  Complete(id, "step");
  EXPECT_EQ(State(id), "completed");
}

TEST_F(EngineTest, StandardLoopRepeatsWhileItsConditionHolds) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="attempt"><standardLoopCharacteristics><loopCondition>${!done}</loopCondition></standardLoopCharacteristics></userTask>
    <endEvent id="e"/>)" +
              Flow("f1", "s", "attempt") + Flow("f2", "attempt", "e") + "</process>"));
  const InstanceId id = Start("p");
  Complete(id, "attempt", R"({"done": false})");
  EXPECT_EQ(State(id), "active");
  Complete(id, "attempt", R"({"done": true})");
  EXPECT_EQ(State(id), "completed");
}

TEST_F(EngineTest, SignalReachesEveryWaitingCatchEventAndStartsSignalStartProcesses) {
  const std::string signal = R"(<signal id="sig" name="price-change"/>)";
  Deploy(Bpmn(R"(<process id="waiter" isExecutable="true">
    <startEvent id="s"/><intermediateCatchEvent id="w"><signalEventDefinition signalRef="sig"/></intermediateCatchEvent><endEvent id="e"/>)" +
                  Flow("f1", "s", "w") + Flow("f2", "w", "e") + "</process>",
              signal));
  Deploy(Bpmn(R"(<process id="starter" isExecutable="true">
    <startEvent id="s"><signalEventDefinition signalRef="sig"/></startEvent><userTask id="u"/><endEvent id="e"/>)" +
                  Flow("f1", "s", "u") + Flow("f2", "u", "e") + "</process>",
              signal));
  const InstanceId a = Start("waiter");
  const InstanceId b = Start("waiter");
  auto reacted = engine_->BroadcastSignal("price-change", {}, "op");
  ASSERT_TRUE(reacted);
  EXPECT_EQ(*reacted, 3u);
  engine_->WaitIdle();
  EXPECT_EQ(State(a), "completed");
  EXPECT_EQ(State(b), "completed");
  auto started = engine_->ListInstances("starter", 10);
  ASSERT_TRUE(started);
  EXPECT_EQ(started->size(), 1u);
}

TEST_F(EngineTest, BusinessKeyIsUniquePerProcessAndTheConflictNamesTheHolder) {
  Deploy(kExclusive);
  const InstanceId first = Start("p", R"({"amount": 1})", "order-7");
  StartRequest again;
  again.process_id = "p";
  again.business_key = "order-7";
  EXPECT_THAT(engine_->Start(again),
              HasError(ErrorCode::kConflict, HasSubstr(std::to_string(first))));
}

TEST_F(EngineTest, LinkEventsJumpWithinTheProcess) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/><intermediateThrowEvent id="go"><linkEventDefinition name="A"/></intermediateThrowEvent>
    <intermediateCatchEvent id="land"><linkEventDefinition name="A"/></intermediateCatchEvent>
    <userTask id="u"/><endEvent id="e"/>)" +
              Flow("f1", "s", "go") + Flow("f2", "land", "u") + Flow("f3", "u", "e") +
              "</process>"));
  EXPECT_THAT(Active(Start("p")), ElementsAre("u"));
}

TEST_F(EngineTest, AProcessThatLoopsWithoutWaitingIsRefused) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/><exclusiveGateway id="g" default="f2"/>
    <serviceTask id="t"><extensionElements><zeebe:taskDefinition type="noop"/></extensionElements></serviceTask>
    <endEvent id="e"/>)" +
              Flow("f1", "s", "g") + Flow("f2", "g", "t") + Flow("back", "t", "g") +
              Flow("out", "g", "e", "false") + "</process>"));
  StartRequest r;
  r.process_id = "p";
  EXPECT_THAT(engine_->Start(r), HasError(ErrorCode::kValidationFailed, HasSubstr("loops")));
}

TEST_F(EngineTest, InstancesKeepTheirVersionWhenANewOneIsDeployed) {
  Deploy(kExclusive);
  const InstanceId old_one = Start("p", R"({"amount": 1})");
  Deploy(Bpmn(R"(<process id="p" isExecutable="true"><startEvent id="s"/><endEvent id="e"/>)" +
              Flow("f1", "s", "e") + "</process>"));
  EXPECT_EQ(Instance(old_one).version, 1u);
  EXPECT_THAT(Active(old_one), ElementsAre("small"));
  Complete(old_one, "small");
  EXPECT_EQ(State(old_one), "completed");
  EXPECT_EQ(State(Start("p")), "completed");
}

TEST_F(EngineTest, UndeployIsRefusedWhileInstancesRunUnlessForced) {
  Deploy(kExclusive);
  const InstanceId id = Start("p", R"({"amount": 1})");
  EXPECT_THAT(engine_->Undeploy("p", false, "op"),
              HasError(ErrorCode::kConflict, HasSubstr("1 running")));
  ASSERT_THAT(engine_->Undeploy("p", true, "op"), IsOk());
  EXPECT_EQ(State(id), "cancelled");
  StartRequest r;
  r.process_id = "p";
  EXPECT_THAT(engine_->Start(r), HasError(ErrorCode::kNotFound, HasSubstr("undeployed")));
}

TEST_F(EngineTest, StateSurvivesARestart) {
  Deploy(kInclusive);
  const InstanceId id = Start("p", R"({"wantA": true, "wantB": true, "wantC": false})");
  Complete(id, "a");
  Restart();
  EXPECT_THAT(Active(id), ElementsAre("b", "join"));
  Complete(id, "b");
  EXPECT_THAT(Active(id), ElementsAre("after"));
  // Ids never repeat after a restart.
  EXPECT_GT(Start("p", R"({"wantA": true, "wantB": false, "wantC": false})"), id);
}

TEST_F(EngineTest, HistoryRecordsTheTrailAndExpiresAfterItsTimeToLive) {
  Deploy(Bpmn(R"(<process id="p" isExecutable="true" camunda:historyTimeToLive="P1D">
    <startEvent id="s"/><endEvent id="e"/>)" +
              Flow("f1", "s", "e") + "</process>"));
  const InstanceId id = Start("p");
  auto history = engine_->History(id);
  ASSERT_TRUE(history);
  ASSERT_FALSE(history->empty());
  EXPECT_EQ(history->front().kind, "instance_started");
  EXPECT_EQ(history->back().kind, "instance_completed");
  EXPECT_EQ(history->front().actor, "tester");
  auto between = engine_->HistoryBetween(clock_.Now() - 1min, clock_.Now() + 1min, 100);
  ASSERT_TRUE(between);
  EXPECT_EQ(between->size(), history->size());

  clock_.Advance(std::chrono::hours(23));
  EXPECT_EQ(*engine_->CleanupHistory(), 0u);
  clock_.Advance(std::chrono::hours(2));
  EXPECT_EQ(*engine_->CleanupHistory(), 1u);
  EXPECT_THAT(engine_->History(id), HasError(ErrorCode::kNotFound));
  EXPECT_THAT(engine_->GetInstance(id), HasError(ErrorCode::kNotFound));
}

TEST_F(EngineTest, TimerStartEventCycleStartsOneInstancePerTickAndNotTwiceAfterRestart) {
  Deploy(Bpmn(R"(<process id="daily" isExecutable="true">
    <startEvent id="tick"><timerEventDefinition><timeCycle>R/P1D</timeCycle></timerEventDefinition></startEvent>
    <userTask id="scan"/><endEvent id="e"/>)" +
              Flow("f1", "tick", "scan") + Flow("f2", "scan", "e") + "</process>"));
  auto count = [&] { return engine_->ListInstances("daily", 100)->size(); };
  EXPECT_EQ(count(), 0u);
  Advance(std::chrono::hours(25));
  EXPECT_EQ(count(), 1u);
  Restart();
  engine_->WaitIdle();
  EXPECT_EQ(count(), 1u);
  Advance(std::chrono::hours(24));
  EXPECT_EQ(count(), 2u);
  // Down for three days: the missed ticks fire once, not three times.
  Close();
  clock_.Advance(std::chrono::hours(72));
  Open();
  engine_->WaitIdle();
  EXPECT_EQ(count(), 3u);
}

}  // namespace
}  // namespace quire::workflow::testing

namespace quire::workflow::testing {
namespace {

using quire::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// Fails the first `failures` calls, then succeeds with {"result": calls}; or throws a BPMN
// error when told to.
class FlakyConnector final : public Connector {
 public:
  explicit FlakyConnector(int failures) : failures_(failures) {}
  Result<JobOutcome> Run(const JobRequest& request) override {
    const int call = ++calls_;
    if (request.variables.contains("reject")) {
      JobOutcome out;
      out.bpmn_error = "REJECTED";
      return out;
    }
    if (call <= failures_)
      return Error::Unavailable("backend down (call " + std::to_string(call) + ")");
    JobOutcome out;
    out.variables["result"] = call;
    return out;
  }
  std::atomic<int> calls_{0};

 private:
  int failures_;
};

const std::string kServiceProcess = Bpmn(R"(<process id="svc" isExecutable="true">
    <startEvent id="s"/>
    <serviceTask id="call"><extensionElements><zeebe:taskDefinition type="flaky" retries="3"/></extensionElements></serviceTask>
    <boundaryEvent id="rejected" attachedToRef="call"><errorEventDefinition errorRef="err"/></boundaryEvent>
    <userTask id="after"/><userTask id="onReject"/><endEvent id="e"/><endEvent id="e2"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="call"/>
    <sequenceFlow id="f2" sourceRef="call" targetRef="after"/>
    <sequenceFlow id="f3" sourceRef="after" targetRef="e"/>
    <sequenceFlow id="f4" sourceRef="rejected" targetRef="onReject"/>
    <sequenceFlow id="f5" sourceRef="onReject" targetRef="e2"/></process>)",
                                         R"(<error id="err" errorCode="REJECTED"/>)");

class JobTest : public EngineTest {
 protected:
  void Use(int failures) {
    connector_ = std::make_shared<FlakyConnector>(failures);
    connectors_.Register("flaky", connector_);
  }
  std::shared_ptr<FlakyConnector> connector_;
};

TEST_F(JobTest, FailedJobIsRetriedWithBackoffAndThenSucceeds) {
  Use(2);
  Deploy(kServiceProcess);
  const InstanceId id = Start("svc");
  EXPECT_EQ(connector_->calls_, 1);
  auto jobs = engine_->ListJobs(id);
  ASSERT_TRUE(jobs);
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ(jobs->at(0).retries, 2);
  EXPECT_THAT(jobs->at(0).error, HasSubstr("backend down"));
  Advance(1500ms);  // first backoff: 1 s
  EXPECT_EQ(connector_->calls_, 2);
  Advance(1500ms);  // second backoff is 2 s: not yet
  EXPECT_EQ(connector_->calls_, 2);
  Advance(1000ms);
  EXPECT_EQ(connector_->calls_, 3);
  EXPECT_THAT(Active(id), ElementsAre("after"));
  EXPECT_EQ(Var(id, "result"), boost::json::value(3));
}

TEST_F(JobTest, LastFailedRetryRaisesAnIncidentThatCanBeRetried) {
  Use(3);
  Deploy(kServiceProcess);
  const InstanceId id = Start("svc");
  Advance(2s);
  Advance(4s);
  EXPECT_EQ(connector_->calls_, 3);
  const InstanceInfo info = Instance(id);
  ASSERT_EQ(info.incidents.size(), 1u);
  EXPECT_EQ(info.incidents[0].kind, "job_failed");
  EXPECT_THAT(info.incidents[0].message, HasSubstr("call 3"));
  Advance(1h);
  EXPECT_EQ(connector_->calls_, 3);  // no more attempts on its own
  ASSERT_THAT(engine_->RetryIncident(info.incidents[0].id, 1, "op"), IsOk());
  engine_->WaitIdle();
  EXPECT_EQ(connector_->calls_, 4);
  EXPECT_THAT(Active(id), ElementsAre("after"));
}

TEST_F(JobTest, BpmnErrorFromAConnectorIsCaughtByTheBoundaryEvent) {
  Use(0);
  Deploy(kServiceProcess);
  const InstanceId id = Start("svc", R"({"reject": true})");
  EXPECT_THAT(Active(id), ElementsAre("onReject"));
}

TEST_F(JobTest, JobsSurviveARestart) {
  Use(1);
  Deploy(kServiceProcess);
  const InstanceId id = Start("svc");
  Restart();
  Advance(2s);
  EXPECT_EQ(connector_->calls_, 2);
  EXPECT_THAT(Active(id), ElementsAre("after"));
}

TEST_F(JobTest, AnUnregisteredTypeWaitsForAnExternalWorker) {
  Deploy(Bpmn(R"(<process id="ext" isExecutable="true">
    <startEvent id="s"/><serviceTask id="w" camunda:type="external" camunda:topic="invoice"/><endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="w"/><sequenceFlow id="f2" sourceRef="w" targetRef="e"/></process>)"));
  const InstanceId id = Start("ext");
  auto jobs = engine_->ListJobs(id);
  ASSERT_TRUE(jobs);
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_TRUE(jobs->at(0).external);
  EXPECT_EQ(jobs->at(0).type, "invoice");
  JobOutcome done;
  done.variables["invoiceNo"] = "INV-1";
  ASSERT_THAT(engine_->CompleteJob(jobs->at(0).id, done, "worker"), IsOk());
  engine_->WaitIdle();
  EXPECT_EQ(State(id), "completed");
  EXPECT_EQ(Var(id, "invoiceNo"), boost::json::value("INV-1"));
}

}  // namespace
}  // namespace quire::workflow::testing

namespace quire::workflow::testing {
namespace {

using namespace std::chrono_literals;

class ModelBackoffTest : public EngineTest {};

TEST_F(ModelBackoffTest, ExponentialBackoffFromTheModelIsCapped) {
  auto connector = std::make_shared<FlakyConnector>(2);
  connectors_.Register("flaky", connector);
  Deploy(R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
      xmlns:quire="urn:quire:bpmn:1.0" id="d" targetNamespace="urn:t">
    <process id="p" isExecutable="true">
      <startEvent id="s"/>
      <serviceTask id="call"><extensionElements>
        <quire:connector type="flaky" retries="3" retryBackoff="PT10S" retryBackoffMax="PT15S"/>
      </extensionElements></serviceTask>
      <endEvent id="e"/>
      <sequenceFlow id="f1" sourceRef="s" targetRef="call"/>
      <sequenceFlow id="f2" sourceRef="call" targetRef="e"/>
    </process></definitions>)");
  const InstanceId id = Start("p");
  EXPECT_EQ(connector->calls_, 1);
  Advance(9s);
  EXPECT_EQ(connector->calls_, 1);
  Advance(2s);  // 10 s: the first wait
  EXPECT_EQ(connector->calls_, 2);
  Advance(14s);  // doubled to 20 s, capped at 15 s
  EXPECT_EQ(connector->calls_, 2);
  Advance(2s);
  EXPECT_EQ(connector->calls_, 3);
  EXPECT_EQ(State(id), "completed");
}

}  // namespace
}  // namespace quire::workflow::testing

namespace quire::workflow::testing {
namespace {

using namespace std::chrono_literals;

TEST_F(EngineTest, HistoryTimeToLiveSetAtDeploymentWinsOverTheModel) {
  const std::string xml =
      Bpmn(R"(<process id="p" isExecutable="true" camunda:historyTimeToLive="P30D">
    <startEvent id="s"/><endEvent id="e"/><sequenceFlow id="f" sourceRef="s" targetRef="e"/></process>)");
  auto d = engine_->Deploy(xml, "p.bpmn", "op", definitions::Duration{.days = 1});
  ASSERT_TRUE(d) << d.error().message();
  const InstanceId id = Start("p");
  clock_.Advance(std::chrono::hours(25));
  EXPECT_EQ(*engine_->CleanupHistory(), 1u);
  EXPECT_FALSE(engine_->GetInstance(id));
}

}  // namespace
}  // namespace quire::workflow::testing
