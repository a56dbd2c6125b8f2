// Human tasks on a real engine: organisation, operations with their rights and history,
// inbox views and pagination, postponement across a restart, concurrent claims.
#include <thread>

#include "engine_fixture.h"

namespace quire::workflow::testing {
namespace {

using ::quire::testing::HasError;
using ::quire::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

const std::string kQuote = Bpmn(R"(<process id="quote" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="prepare" name="Prepare quote" camunda:candidateGroups="sales" camunda:priority="${prio}"/>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="prepare"/>
    <sequenceFlow id="f2" sourceRef="prepare" targetRef="e"/></process>)");

class TasksTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    ASSERT_THAT(directory_->PutUser({"maria", "Maria", "maria@x", "", true, ""}, "admin"), IsOk());
    for (const char* u : {"anna", "ben", "cleo"}) {
      ASSERT_THAT(directory_->PutUser({u, u, std::string(u) + "@x", "", true, "maria"}, "admin"),
                  IsOk());
    }
    ASSERT_THAT(directory_->PutUser({"dave", "Dave", "dave@x", "", true, ""}, "admin"), IsOk());
    ASSERT_THAT(directory_->PutGroup({"sales", "Sales"}, "admin"), IsOk());
    ASSERT_THAT(directory_->PutGroup({"service", "Service"}, "admin"), IsOk());
    for (const char* u : {"anna", "ben"})
      ASSERT_THAT(directory_->AddMember("sales", u, "admin"), IsOk());
    ASSERT_THAT(directory_->AddMember("service", "dave", "admin"), IsOk());
    Deploy(kQuote);
  }

  TaskId NewTask(int priority = 50) {
    const InstanceId id = Start("quote", R"({"prio": )" + std::to_string(priority) + "}");
    return Tasks(id).at(0).id;
  }

  Result<TaskInfo> Act(TaskAction action, TaskId task, const std::string& actor,
                       const std::string& to = "") {
    TaskCommand c;
    c.action = action;
    c.task = task;
    c.actor = actor;
    c.to = to;
    return engine_->ActOnTask(c);
  }

  std::vector<TaskId> View(const std::string& user, TaskView view, std::size_t limit = 50) {
    TaskQuery q;
    q.user = user;
    q.view = view;
    q.limit = limit;
    auto page = engine_->Inbox(q);
    EXPECT_TRUE(page) << page.error().message();
    std::vector<TaskId> out;
    if (page) {
      for (const TaskInfo& t : page->tasks) out.push_back(t.id);
    }
    return out;
  }

  std::vector<std::string> TaskHistoryKinds(InstanceId id) {
    std::vector<std::string> out;
    const auto history = engine_->History(id);
    for (const HistoryEvent& e : *history) {
      if (e.kind.rfind("task_", 0) == 0) out.push_back(e.kind);
    }
    return out;
  }
};

TEST_F(TasksTest, OrganisationIsStoredAndChecked) {
  EXPECT_EQ(directory_->GetUser("anna")->supervisor, "maria");
  EXPECT_THAT(*directory_->Members("sales"), ElementsAre("anna", "ben"));
  EXPECT_THAT(*directory_->GroupsOf("dave"), ElementsAre("service"));
  EXPECT_THAT(directory_->PutUser({"x", "X", "", "", true, "nobody"}, "admin"),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("not a user")));
  EXPECT_THAT(directory_->PutUser({"bad id", "", "", "", true, ""}, "admin"),
              HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(directory_->AddMember("sales", "nobody", "admin"), HasError(ErrorCode::kNotFound));
  Restart();
  EXPECT_EQ(directory_->ListUsers()->size(), 5u);
}

TEST_F(TasksTest, ClaimMovesATaskFromTheGroupQueueToTheInbox) {
  const TaskId t = NewTask();
  EXPECT_THAT(View("anna", TaskView::kGroup), ElementsAre(t));
  EXPECT_THAT(View("ben", TaskView::kGroup), ElementsAre(t));
  EXPECT_THAT(View("dave", TaskView::kGroup), IsEmpty());
  EXPECT_THAT(Act(TaskAction::kClaim, t, "dave"), HasError(ErrorCode::kForbidden));
  auto claimed = Act(TaskAction::kClaim, t, "anna");
  ASSERT_TRUE(claimed) << claimed.error().message();
  EXPECT_EQ(claimed->assignee, "anna");
  EXPECT_EQ(claimed->state, "assigned");
  EXPECT_THAT(View("anna", TaskView::kMine), ElementsAre(t));
  EXPECT_THAT(View("ben", TaskView::kGroup), IsEmpty());
  EXPECT_THAT(Act(TaskAction::kClaim, t, "ben"),
              HasError(ErrorCode::kConflict, HasSubstr("already claimed by 'anna'")));
  ASSERT_TRUE(Act(TaskAction::kUnclaim, t, "anna"));
  EXPECT_THAT(View("ben", TaskView::kGroup), ElementsAre(t));
  EXPECT_THAT(View("anna", TaskView::kMine), IsEmpty());
}

TEST_F(TasksTest, ConcurrentClaimsHaveExactlyOneWinner) {
  const TaskId t = NewTask();
  std::atomic<int> won{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (const char* u : {"anna", "ben"}) {
    threads.emplace_back([&, u] {
      for (int i = 0; i < 1; ++i) {
        auto r = Act(TaskAction::kClaim, t, u);
        if (r && r->assignee == u) ++won;
        if (!r && r.error().code() == ErrorCode::kConflict) ++conflicts;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(won, 1);
  EXPECT_EQ(conflicts, 1);
}

TEST_F(TasksTest, DelegateResolveThenTheOwnerCompletes) {
  const TaskId t = NewTask();
  const InstanceId instance = engine_->GetTask(t)->instance_id;
  ASSERT_TRUE(Act(TaskAction::kClaim, t, "anna"));
  EXPECT_THAT(Act(TaskAction::kDelegate, t, "anna", "nobody"),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("not a user")));
  auto delegated = Act(TaskAction::kDelegate, t, "anna", "cleo");
  ASSERT_TRUE(delegated);
  EXPECT_EQ(delegated->owner, "anna");
  EXPECT_EQ(delegated->state, "delegated");
  EXPECT_THAT(View("cleo", TaskView::kDelegated), ElementsAre(t));
  EXPECT_THAT(engine_->CompleteTaskAs(t, {}, "cleo"),
              HasError(ErrorCode::kForbidden, HasSubstr("resolves it")));
  ASSERT_TRUE(Act(TaskAction::kResolve, t, "cleo"));
  EXPECT_THAT(View("anna", TaskView::kMine), ElementsAre(t));
  EXPECT_THAT(View("cleo", TaskView::kDelegated), IsEmpty());
  EXPECT_THAT(engine_->CompleteTaskAs(t, {}, "cleo"), HasError(ErrorCode::kForbidden));
  ASSERT_THAT(engine_->CompleteTaskAs(t, {{"price", 100}}, "anna"), IsOk());
  engine_->WaitIdle();
  EXPECT_EQ(State(instance), "completed");
  EXPECT_THAT(View("anna", TaskView::kMine), IsEmpty());
  EXPECT_THAT(TaskHistoryKinds(instance),
              ElementsAre("task_created", "task_claimed", "task_delegated", "task_resolved",
                          "task_completed"));
}

TEST_F(TasksTest, SupervisorReassignsAndEscalationRaisesPriority) {
  const TaskId t = NewTask(60);
  ASSERT_TRUE(Act(TaskAction::kClaim, t, "anna"));
  EXPECT_THAT(Act(TaskAction::kReassign, t, "ben", "ben"), HasError(ErrorCode::kForbidden));
  auto moved = Act(TaskAction::kReassign, t, "maria", "ben");
  ASSERT_TRUE(moved) << moved.error().message();
  EXPECT_EQ(moved->assignee, "ben");
  TaskCommand up;
  up.action = TaskAction::kEscalate;
  up.task = t;
  up.actor = "ben";
  up.reason = "customer is angry";
  auto escalated = engine_->ActOnTask(up);
  ASSERT_TRUE(escalated) << escalated.error().message();
  EXPECT_EQ(escalated->assignee, "maria");
  EXPECT_EQ(escalated->priority, 70);
  EXPECT_EQ(escalated->escalations, 1);
  up.actor = "maria";
  up.to = "service";
  escalated = engine_->ActOnTask(up);
  ASSERT_TRUE(escalated) << escalated.error().message();
  EXPECT_EQ(escalated->assignee, "");
  EXPECT_THAT(View("dave", TaskView::kGroup), ElementsAre(t));
}

TEST_F(TasksTest, PostponedTaskLeavesTheInboxAndComesBackAfterARestart) {
  const TaskId t = NewTask();
  ASSERT_TRUE(Act(TaskAction::kClaim, t, "anna"));
  TaskCommand later;
  later.action = TaskAction::kPostpone;
  later.task = t;
  later.actor = "anna";
  later.follow_up = clock_.Now() - 1h;
  EXPECT_THAT(engine_->ActOnTask(later),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("future")));
  later.follow_up = clock_.Now() + 48h;
  ASSERT_TRUE(engine_->ActOnTask(later));
  EXPECT_THAT(View("anna", TaskView::kMine), IsEmpty());
  EXPECT_THAT(View("anna", TaskView::kPostponed), ElementsAre(t));
  Restart();
  Advance(47h);
  EXPECT_THAT(View("anna", TaskView::kMine), IsEmpty());
  Advance(2h);
  EXPECT_THAT(View("anna", TaskView::kMine), ElementsAre(t));
  EXPECT_THAT(View("anna", TaskView::kPostponed), IsEmpty());
}

// Postponing a task nobody has claimed keeps it where its candidates look: in their
// postponed view and its count (not in other groups' members'), until it comes back to the
// group's queue at the follow-up date.
TEST_F(TasksTest, APostponedUnclaimedTaskStaysVisibleToItsCandidates) {
  const TaskId t = NewTask();
  TaskCommand later;
  later.action = TaskAction::kPostpone;
  later.task = t;
  later.actor = "anna";
  later.follow_up = clock_.Now() + 24h;
  ASSERT_TRUE(engine_->ActOnTask(later));
  for (const char* member : {"anna", "ben"}) {
    EXPECT_THAT(View(member, TaskView::kGroup), IsEmpty()) << member;
    EXPECT_THAT(View(member, TaskView::kPostponed), ElementsAre(t)) << member;
    EXPECT_EQ(engine_->CountTasks(member)->postponed, 1u) << member;
  }
  EXPECT_THAT(View("dave", TaskView::kPostponed), IsEmpty());
  EXPECT_EQ(engine_->CountTasks("dave")->postponed, 0u);
  Restart();
  Advance(25h);
  EXPECT_THAT(View("ben", TaskView::kGroup), ElementsAre(t));
  EXPECT_THAT(View("ben", TaskView::kPostponed), IsEmpty());
  EXPECT_EQ(engine_->CountTasks("ben")->postponed, 0u);
}

TEST_F(TasksTest, InboxIsSortedByPriorityAndPagesWithACursor) {
  std::vector<TaskId> tasks;
  for (int p : {10, 90, 50, 70, 30}) tasks.push_back(NewTask(p));
  TaskQuery q;
  q.user = "ben";
  q.view = TaskView::kGroup;
  q.limit = 2;
  std::vector<std::int64_t> priorities;
  for (int page = 0; page < 5; ++page) {
    auto r = engine_->Inbox(q);
    ASSERT_TRUE(r);
    for (const TaskInfo& t : r->tasks) priorities.push_back(t.priority);
    if (r->next.empty()) break;
    q.after = r->next;
  }
  EXPECT_THAT(priorities, ElementsAre(90, 70, 50, 30, 10));
}

TEST_F(TasksTest, ASubstituteWorksTheTasksOfTheUserTheyStandInFor) {
  const TaskId t = NewTask();
  ASSERT_TRUE(Act(TaskAction::kClaim, t, "anna"));
  EXPECT_THAT(engine_->CompleteTaskAs(t, {}, "dave"), HasError(ErrorCode::kForbidden));
  EXPECT_THAT(View("dave", TaskView::kMine), IsEmpty());
  ASSERT_THAT(
      directory_->AddSubstitution({"dave", "anna", clock_.Now() - 1h, clock_.Now() + 24h}, "admin"),
      IsOk());
  // While anna is away, dave sees her tasks in his inbox (and anna still sees them).
  EXPECT_THAT(View("dave", TaskView::kMine), ElementsAre(t));
  EXPECT_THAT(View("anna", TaskView::kMine), ElementsAre(t));
  EXPECT_EQ(engine_->CountTasks("dave")->mine, 1u);
  const TaskId later = NewTask();
  ASSERT_TRUE(Act(TaskAction::kClaim, later, "anna"));
  Advance(25h);  // the substitution is over
  EXPECT_THAT(View("dave", TaskView::kMine), IsEmpty());
  EXPECT_THAT(engine_->CompleteTaskAs(later, {}, "dave"), HasError(ErrorCode::kForbidden));
  ASSERT_THAT(
      directory_->AddSubstitution({"dave", "anna", clock_.Now() - 1h, clock_.Now() + 24h}, "admin"),
      IsOk());
  const InstanceId instance = engine_->GetTask(t)->instance_id;
  ASSERT_THAT(engine_->CompleteTaskAs(t, {}, "dave"), IsOk());
  engine_->WaitIdle();
  bool recorded = false;
  const auto history = engine_->History(instance);
  for (const HistoryEvent& e : *history) {
    if (e.kind == "task_acted_for") {
      recorded = e.data.at("user") == "dave" && e.data.at("actedFor") == "anna";
    }
  }
  EXPECT_TRUE(recorded);
}

TEST_F(TasksTest, CommentsNeedToSeeTheTask) {
  const TaskId t = NewTask();
  ASSERT_THAT(engine_->CommentOnTask(t, "anna", "called the customer"), IsOk());
  EXPECT_THAT(engine_->CommentOnTask(t, "dave", "hi"), HasError(ErrorCode::kForbidden));
  EXPECT_THAT(engine_->CommentOnTask(t, "anna", ""), HasError(ErrorCode::kInvalidArgument));
  auto comments = engine_->TaskComments(t);
  ASSERT_TRUE(comments);
  ASSERT_EQ(comments->size(), 1u);
  EXPECT_EQ(comments->at(0).author, "anna");
  EXPECT_EQ(comments->at(0).text, "called the customer");
}

TEST_F(TasksTest, CompletingAnUnclaimedTaskClaimsItForACandidateOnly) {
  const TaskId t = NewTask();
  EXPECT_THAT(engine_->CompleteTaskAs(t, {}, "dave"), HasError(ErrorCode::kForbidden));
  EXPECT_THAT(engine_->CompleteTaskAs(t, {}, "nobody"),
              HasError(ErrorCode::kForbidden, HasSubstr("not an active user")));
  ASSERT_THAT(engine_->CompleteTaskAs(t, {}, "ben"), IsOk());
}

}  // namespace
}  // namespace quire::workflow::testing

namespace quire::workflow::testing {
namespace {

using ::testing::ElementsAre;
using namespace std::chrono_literals;

TEST_F(TasksTest, EscalationRulesFromTheModelRemindThenMoveTheTaskAcrossARestart) {
  Deploy(Bpmn(R"(<process id="offer" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="prepare" camunda:candidateGroups="sales" camunda:dueDate="P2D">
      <extensionElements>
        <quire:escalation after="P1D" action="notify" notify="assignee"/>
        <quire:escalation after="P3D" action="supervisor" raisePriority="20" notify="supervisor"/>
        <quire:escalation after="due+P5D" action="reassign" group="service"/>
      </extensionElements>
    </userTask>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="prepare"/>
    <sequenceFlow id="f2" sourceRef="prepare" targetRef="e"/></process>)"));
  const InstanceId id = Start("offer");
  const TaskId t = Tasks(id).at(0).id;
  TaskCommand claim;
  claim.action = TaskAction::kClaim;
  claim.task = t;
  claim.actor = "anna";
  ASSERT_TRUE(engine_->ActOnTask(claim));
  Advance(25h);  // reminder only
  EXPECT_EQ(engine_->GetTask(t)->assignee, "anna");
  auto reminders = engine_->Notifications("anna", 10);
  ASSERT_TRUE(reminders);
  ASSERT_EQ(reminders->size(), 1u);
  EXPECT_EQ(reminders->at(0).task, t);
  EXPECT_EQ(reminders->at(0).rule, 0u);
  EXPECT_THAT(engine_->AckNotification(reminders->at(0).id, "ben"), HasError(ErrorCode::kNotFound));
  ASSERT_THAT(engine_->AckNotification(reminders->at(0).id, "anna"), IsOk());
  EXPECT_THAT(*engine_->Notifications("anna", 10), IsEmpty());
  EXPECT_THAT(engine_->AckNotification(reminders->at(0).id, "anna"),
              HasError(ErrorCode::kNotFound));
  Restart();
  Advance(48h);  // day 3: to anna's supervisor, priority raised, and she is told
  auto task = engine_->GetTask(t);
  EXPECT_EQ(task->assignee, "maria");
  auto told = engine_->Notifications("maria", 10);
  ASSERT_TRUE(told);
  ASSERT_EQ(told->size(), 1u);
  EXPECT_EQ(told->at(0).to, "maria");
  EXPECT_EQ(told->at(0).rule, 1u);
  EXPECT_EQ(task->priority, 70);
  EXPECT_EQ(task->escalations, 1);
  Advance(4 * 24h);  // due (day 2) + 5 days: to the service queue
  EXPECT_THAT(View("dave", TaskView::kGroup), ElementsAre(t));
  std::vector<std::string> rules;
  const auto history = engine_->History(id);
  for (const HistoryEvent& e : *history) {
    if (e.kind == "task_escalation_rule") rules.emplace_back(e.data.at("action").as_string());
  }
  EXPECT_THAT(rules, ElementsAre("notify", "supervisor", "group"));
}

TEST_F(TasksTest, ACompletedTaskEscalatesNoMore) {
  Deploy(Bpmn(R"(<process id="quick" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="t"><extensionElements>
      <quire:escalation after="PT1H" action="reassign" group="service"/>
    </extensionElements></userTask>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <sequenceFlow id="f2" sourceRef="t" targetRef="e"/></process>)"));
  const InstanceId id = Start("quick");
  ASSERT_TRUE(engine_->CompleteTaskAs(Tasks(id).at(0).id, {}, "anna"));
  Advance(2h);
  EXPECT_FALSE(engine_->NextTimerDue().has_value());
}

}  // namespace
}  // namespace quire::workflow::testing

namespace quire::workflow::testing {
namespace {

using namespace std::chrono_literals;

TEST_F(TasksTest, WorkloadStatisticsComeFromHistory) {
  const Timestamp start = clock_.Now();
  const TaskId first = NewTask();
  const TaskId second = NewTask();
  Advance(1h);
  ASSERT_TRUE(Act(TaskAction::kClaim, first, "anna"));
  Advance(1h);
  ASSERT_TRUE(Act(TaskAction::kClaim, second, "ben"));
  TaskCommand up;
  up.action = TaskAction::kEscalate;
  up.task = second;
  up.actor = "ben";
  ASSERT_TRUE(engine_->ActOnTask(up));  // to maria
  Advance(1h);
  ASSERT_TRUE(engine_->CompleteTaskAs(first, {}, "anna"));
  engine_->WaitIdle();

  auto report = engine_->Workload(start, clock_.Now() + 1min);
  ASSERT_TRUE(report) << report.error().message();
  std::map<std::string, WorkloadLine> users;
  for (const WorkloadLine& l : report->users) users[l.who] = l;
  EXPECT_EQ(users["anna"].completed, 1u);
  EXPECT_EQ(users["anna"].claimed, 1u);
  EXPECT_EQ(users["anna"].claim_median_ms, 3'600'000);
  EXPECT_EQ(users["anna"].complete_median_ms, 3 * 3'600'000);
  EXPECT_EQ(users["ben"].claimed, 1u);
  EXPECT_EQ(users["ben"].escalations, 1u);
  ASSERT_EQ(report->groups.size(), 1u);
  EXPECT_EQ(report->groups[0].who, "sales");
  EXPECT_EQ(report->groups[0].claimed, 2u);
  EXPECT_EQ(report->groups[0].completed, 1u);
  EXPECT_EQ(report->groups[0].escalations, 1u);
  EXPECT_EQ(report->groups[0].claim_p90_ms, 2 * 3'600'000);

  // A period with nothing in it.
  auto empty = engine_->Workload(start - 48h, start - 24h);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->users.empty());
}

}  // namespace
}  // namespace quire::workflow::testing

namespace quire::workflow::testing {
namespace {

using ::quire::testing::HasError;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

TEST_F(TasksTest, OverdueTasksShowInTheOverdueViewAndTheDueDateMovesWithAReason) {
  Deploy(Bpmn(R"(<process id="due" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="t" camunda:candidateGroups="sales" camunda:dueDate="P1D">
      <extensionElements><quire:escalation after="due+PT1H" action="reassign" group="service"/></extensionElements>
    </userTask>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <sequenceFlow id="f2" sourceRef="t" targetRef="e"/></process>)"));
  const InstanceId id = Start("due");
  const TaskId task = Tasks(id).at(0).id;
  EXPECT_THAT(View("ben", TaskView::kOverdue), IsEmpty());
  ASSERT_TRUE(Act(TaskAction::kClaim, task, "anna"));
  TaskCommand move;
  move.action = TaskAction::kSetDue;
  move.task = task;
  move.actor = "anna";
  move.due = clock_.Now() + 48h;
  EXPECT_THAT(engine_->ActOnTask(move), HasError(ErrorCode::kInvalidArgument, HasSubstr("reason")));
  move.reason = "customer on holiday";
  move.actor = "ben";
  EXPECT_THAT(engine_->ActOnTask(move), HasError(ErrorCode::kForbidden));
  move.actor = "anna";
  ASSERT_TRUE(engine_->ActOnTask(move));
  Advance(25h);  // the old due date passes: not overdue, no escalation
  EXPECT_THAT(View("anna", TaskView::kOverdue), IsEmpty());
  EXPECT_EQ(engine_->GetTask(task)->assignee, "anna");
  Restart();
  Advance(23h + 30min);  // the new one passes
  EXPECT_THAT(View("anna", TaskView::kOverdue), ElementsAre(task));
  Advance(1h);  // due + 1h: to the service queue, overdue there
  EXPECT_THAT(View("dave", TaskView::kOverdue), ElementsAre(task));
  EXPECT_THAT(View("anna", TaskView::kOverdue), IsEmpty());
}

}  // namespace
}  // namespace quire::workflow::testing
