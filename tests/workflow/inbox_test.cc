// Inbox orders, searches and counts; links and descriptions; bulk operations; deployed and
// embedded Camunda forms — on a real engine and store.
#include "engine_fixture.h"
#include "quire/definitions/camunda_form.h"

namespace quire::workflow::testing {
namespace {

using ::quire::testing::HasError;
using ::quire::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using namespace std::chrono_literals;

// Offers for a customer: priority and due date from variables, linked to the customer and
// the offer, described by its documentation.
const std::string kOffer = Bpmn(R"(<process id="offer" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="prepare" name="Prepare offer" camunda:candidateGroups="sales"
              camunda:priority="${prio}" camunda:dueDate="${due}">
      <documentation>Price the warranty extension for the customer</documentation>
      <extensionElements>
        <quire:link kind="customer" id="${customerId}"/>
        <quire:link kind="offer" id="${offerId}"/>
      </extensionElements>
    </userTask>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="prepare"/>
    <sequenceFlow id="f2" sourceRef="prepare" targetRef="e"/></process>)");

const std::string kCall = Bpmn(R"(<process id="call" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="ring" name="Call back" camunda:candidateGroups="sales"/>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="ring"/>
    <sequenceFlow id="f2" sourceRef="ring" targetRef="e"/></process>)");

class InboxTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    ASSERT_THAT(directory_->PutUser({"maria", "Maria", "", "", true, ""}, "admin"), IsOk());
    for (const char* u : {"anna", "ben"}) {
      ASSERT_THAT(directory_->PutUser({u, u, "", "", true, "maria"}, "admin"), IsOk());
    }
    ASSERT_THAT(directory_->PutUser({"dave", "Dave", "", "", true, ""}, "admin"), IsOk());
    ASSERT_THAT(directory_->PutGroup({"sales", "Sales"}, "admin"), IsOk());
    ASSERT_THAT(directory_->PutGroup({"managers", "Managers"}, "admin"), IsOk());
    for (const char* u : {"anna", "ben"})
      ASSERT_THAT(directory_->AddMember("sales", u, "admin"), IsOk());
    ASSERT_THAT(directory_->AddMember("managers", "maria", "admin"), IsOk());
    Deploy(kOffer);
    Deploy(kCall);
  }

  // A new offer task; `due` is an ISO date-time or "" for none.
  TaskId Offer(int prio, const std::string& due, const std::string& customer = "c-1",
               const std::string& business_key = "") {
    const std::string vars = R"({"prio": )" + std::to_string(prio) + R"(, "due": ")" + due +
                             R"(", "customerId": ")" + customer + R"(", "offerId": "o-)" +
                             std::to_string(++offers_) + R"("})";
    const InstanceId id = Start("offer", vars, business_key);
    clock_.Advance(1s);
    return Tasks(id).at(0).id;
  }

  Result<TaskPage> Page(TaskQuery q) { return engine_->Inbox(q); }

  std::vector<TaskId> Ids(const TaskQuery& q) {
    auto page = engine_->Inbox(q);
    EXPECT_TRUE(page) << page.error().message();
    std::vector<TaskId> out;
    if (page) {
      for (const TaskInfo& t : page->tasks) out.push_back(t.id);
    }
    return out;
  }

  // Every page of `q`, `limit` at a time.
  std::vector<TaskId> AllPages(TaskQuery q) {
    std::vector<TaskId> out;
    for (int pages = 0; pages < 100; ++pages) {
      auto page = engine_->Inbox(q);
      EXPECT_TRUE(page) << page.error().message();
      if (!page) break;
      for (const TaskInfo& t : page->tasks) out.push_back(t.id);
      if (page->next.empty()) break;
      q.after = page->next;
    }
    return out;
  }

  static TaskQuery Query(const std::string& user, TaskView view,
                         std::optional<TaskSort> sort = std::nullopt) {
    TaskQuery q;
    q.user = user;
    q.view = view;
    q.sort = sort;
    return q;
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

  int offers_ = 0;
};

TEST_F(InboxTest, QueuesSortByPriorityDueDateOrCreationAcrossPages) {
  const TaskId a = Offer(10, "2026-03-01T00:00:00Z");
  const TaskId b = Offer(90, "");
  const TaskId c = Offer(50, "2026-02-01T00:00:00Z");
  const TaskId d = Offer(90, "2026-04-01T00:00:00Z");
  const TaskId e = Offer(30, "");
  TaskQuery q = Query("anna", TaskView::kGroup);
  q.limit = 2;
  EXPECT_THAT(AllPages(q), ElementsAre(b, d, c, e, a));  // priority, then creation
  q.sort = TaskSort::kDue;
  EXPECT_THAT(AllPages(q), ElementsAre(c, a, d, b, e));  // soonest due, none last
  q.sort = TaskSort::kCreated;
  EXPECT_THAT(AllPages(q), ElementsAre(a, b, c, d, e));
  // The orders follow the task: claimed, it sorts the same way in the assignee's inbox.
  for (TaskId t : {a, b, c, d, e}) ASSERT_TRUE(Act(TaskAction::kClaim, t, "anna"));
  TaskQuery mine = Query("anna", TaskView::kMine, TaskSort::kDue);
  mine.limit = 3;
  EXPECT_THAT(AllPages(mine), ElementsAre(c, a, d, b, e));
  mine.sort = TaskSort::kCreated;
  EXPECT_THAT(AllPages(mine), ElementsAre(a, b, c, d, e));
  EXPECT_THAT(Ids(Query("anna", TaskView::kGroup, TaskSort::kCreated)), IsEmpty());
  // Moving the due date moves the task in the due-date order.
  TaskCommand move;
  move.action = TaskAction::kSetDue;
  move.task = e;
  move.actor = "anna";
  move.due = Timestamp(std::chrono::sys_days(std::chrono::year(2026) / 1 / 20));
  move.reason = "customer asked";
  ASSERT_TRUE(engine_->ActOnTask(move));
  EXPECT_THAT(Ids(Query("anna", TaskView::kMine, TaskSort::kDue)), ElementsAre(e, c, a, d, b));
  EXPECT_THAT(Ids(Query("anna", TaskView::kMine, TaskSort::kCreated)), ElementsAre(a, b, c, d, e));
  Restart();
  EXPECT_THAT(Ids(Query("anna", TaskView::kMine, TaskSort::kDue)), ElementsAre(e, c, a, d, b));
}

TEST_F(InboxTest, OverdueIsTheStartOfTheDueDateOrderUpToNow) {
  const TaskId late = Offer(10, "2026-01-06T00:00:00Z");
  const TaskId later = Offer(90, "2026-01-08T12:00:00Z");
  const TaskId never = Offer(50, "");
  const TaskId mine = Offer(50, "2026-01-07T00:00:00Z");
  ASSERT_TRUE(Act(TaskAction::kClaim, mine, "anna"));
  EXPECT_THAT(Ids(Query("anna", TaskView::kOverdue)), IsEmpty());
  Advance(std::chrono::hours(24 * 3));  // 2026-01-08: late and mine are past due
  TaskQuery q = Query("anna", TaskView::kOverdue);
  q.limit = 1;
  EXPECT_THAT(AllPages(q), ElementsAre(late, mine));
  EXPECT_THAT(Ids(Query("ben", TaskView::kOverdue)), ElementsAre(late));  // not anna's own
  EXPECT_EQ(engine_->CountTasks("anna")->overdue, 2u);
  Advance(std::chrono::hours(12));
  EXPECT_THAT(Ids(Query("anna", TaskView::kOverdue)), ElementsAre(late, mine, later));
  EXPECT_THAT(Ids(Query("anna", TaskView::kGroup)), ElementsAre(later, never, late));
}

TEST_F(InboxTest, ViewsRefuseOrdersTheyDoNotHaveAndForeignCursors) {
  Offer(50, "");
  EXPECT_THAT(Page(Query("anna", TaskView::kPostponed, TaskSort::kPriority)),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("follow-up date")));
  EXPECT_THAT(Page(Query("anna", TaskView::kOverdue, TaskSort::kCreated)),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("due date")));
  EXPECT_TRUE(Page(Query("anna", TaskView::kOverdue, TaskSort::kDue)));
  TaskQuery q = Query("anna", TaskView::kGroup);
  q.after = "not-a-cursor";
  EXPECT_THAT(Page(q), HasError(ErrorCode::kInvalidArgument, HasSubstr("cursor")));
  EXPECT_THAT(Page(Query("anna", TaskView::kVisible)),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("search criterion")));
  TaskQuery words = Query("anna", TaskView::kVisible);
  words.text = "* - !";
  EXPECT_THAT(Page(words), HasError(ErrorCode::kInvalidArgument, HasSubstr("no word")));
  TaskQuery sorted_search = Query("anna", TaskView::kVisible, TaskSort::kDue);
  sorted_search.process = "offer";
  EXPECT_THAT(Page(sorted_search), HasError(ErrorCode::kInvalidArgument, HasSubstr("creation")));
  auto counts = engine_->CountTasks("anna");
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->group, 1u);
}

TEST_F(InboxTest, EscalatedViewHoldsEscalatedTasksOfTheUserAndTheirGroups) {
  const TaskId t = Offer(40, "");
  const TaskId quiet = Offer(40, "");
  ASSERT_TRUE(Act(TaskAction::kClaim, t, "anna"));
  EXPECT_THAT(Ids(Query("maria", TaskView::kEscalated)), IsEmpty());
  // To the supervisor: maria holds it, in her inbox and her escalated view.
  TaskCommand up;
  up.action = TaskAction::kEscalate;
  up.task = t;
  up.actor = "anna";
  up.reason = "discount above my limit";
  auto escalated = engine_->ActOnTask(up);
  ASSERT_TRUE(escalated) << escalated.error().message();
  EXPECT_EQ(escalated->assignee, "maria");
  EXPECT_THAT(Ids(Query("maria", TaskView::kEscalated)), ElementsAre(t));
  EXPECT_THAT(Ids(Query("maria", TaskView::kMine)), ElementsAre(t));
  EXPECT_THAT(Ids(Query("anna", TaskView::kEscalated)), IsEmpty());
  // To a group: queued for it, and in its members' escalated view until claimed.
  up.task = quiet;
  up.to = "managers";
  ASSERT_TRUE(engine_->ActOnTask(up));
  EXPECT_THAT(Ids(Query("maria", TaskView::kEscalated, TaskSort::kCreated)), ElementsAre(t, quiet));
  TaskQuery one_group = Query("maria", TaskView::kEscalated);
  one_group.group = "managers";
  EXPECT_THAT(Ids(one_group), ElementsAre(quiet));
  auto counts = engine_->CountTasks("maria");
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->escalated, 2u);
  EXPECT_EQ(counts->mine, 1u);
  EXPECT_EQ(counts->group, 1u);
  Complete(Tasks(escalated->instance_id).at(0).instance_id, "prepare");
  EXPECT_THAT(Ids(Query("maria", TaskView::kEscalated)), ElementsAre(quiet));
}

TEST_F(InboxTest, CountsPerViewFollowEveryChange) {
  const TaskId a = Offer(50, "2026-01-06T00:00:00Z");
  const TaskId b = Offer(50, "");
  Offer(50, "");
  auto counts = engine_->CountTasks("anna");
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->group, 3u);
  EXPECT_EQ(counts->mine, 0u);
  ASSERT_TRUE(Act(TaskAction::kClaim, a, "anna"));
  ASSERT_TRUE(Act(TaskAction::kClaim, b, "anna"));
  ASSERT_TRUE(Act(TaskAction::kDelegate, b, "anna", "ben"));
  Advance(std::chrono::hours(24));
  counts = engine_->CountTasks("anna");
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->group, 1u);
  EXPECT_EQ(counts->mine, 1u);
  EXPECT_EQ(counts->overdue, 1u);
  auto bens = engine_->CountTasks("ben");
  ASSERT_TRUE(bens);
  EXPECT_EQ(bens->delegated, 1u);
  EXPECT_EQ(bens->mine, 1u);
  EXPECT_EQ(engine_->CountTasks("dave")->group, 0u);
}

TEST_F(InboxTest, SearchesByProcessBusinessKeyLinkAndWords) {
  const TaskId a = Offer(50, "", "c-1", "deal-1");
  const TaskId b = Offer(50, "", "c-2", "deal-2");
  const TaskId call = Tasks(Start("call", "{}", "deal-1")).at(0).id;
  auto search = [&](auto set) {
    TaskQuery q = Query("anna", TaskView::kVisible);
    set(q);
    return AllPages(q);
  };
  EXPECT_THAT(search([](TaskQuery& q) { q.process = "offer"; }), ElementsAre(a, b));
  EXPECT_THAT(search([](TaskQuery& q) { q.business_key = "deal-1"; }), ElementsAre(a, call));
  EXPECT_THAT(search([](TaskQuery& q) {
                q.link_kind = "customer";
                q.link_id = "c-2";
              }),
              ElementsAre(b));
  // Words of the name or the description, whole or as a prefix, all of them.
  EXPECT_THAT(search([](TaskQuery& q) { q.text = "warranty"; }), ElementsAre(a, b));
  EXPECT_THAT(search([](TaskQuery& q) { q.text = "WARRAN*"; }), ElementsAre(a, b));
  EXPECT_THAT(search([](TaskQuery& q) { q.text = "warran"; }), IsEmpty());
  EXPECT_THAT(search([](TaskQuery& q) { q.text = "call back"; }), ElementsAre(call));
  EXPECT_THAT(search([](TaskQuery& q) { q.text = "call offer"; }), IsEmpty());
  // Criteria combine.
  EXPECT_THAT(search([](TaskQuery& q) {
                q.text = "offer";
                q.business_key = "deal-1";
              }),
              ElementsAre(a));
  // Within a view: only the tasks in it, in the view's order.
  const TaskId urgent = Offer(90, "2026-01-07T00:00:00Z", "c-3");
  TaskQuery queue = Query("anna", TaskView::kGroup);
  queue.text = "warranty";
  EXPECT_THAT(Ids(queue), ElementsAre(urgent, a, b));  // priority, then creation
  queue.sort = TaskSort::kCreated;
  EXPECT_THAT(Ids(queue), ElementsAre(a, b, urgent));
  queue.text = "call";
  EXPECT_THAT(Ids(queue), ElementsAre(call));
  ASSERT_TRUE(Act(TaskAction::kClaim, b, "ben"));
  TaskQuery mine = Query("ben", TaskView::kMine);
  mine.process = "offer";
  EXPECT_THAT(Ids(mine), ElementsAre(b));
  // Only what the user may see: dave is not in sales; maria supervises ben.
  TaskQuery daves = Query("dave", TaskView::kVisible);
  daves.process = "offer";
  EXPECT_THAT(Ids(daves), IsEmpty());
  TaskQuery marias = Query("maria", TaskView::kVisible);
  marias.process = "offer";
  EXPECT_THAT(Ids(marias), ElementsAre(b));
  ASSERT_TRUE(Act(TaskAction::kClaim, urgent, "anna"));
  // Completed tasks are no longer found.
  Complete(engine_->GetTask(a)->instance_id, "prepare");
  EXPECT_THAT(search([](TaskQuery& q) {
                q.link_kind = "customer";
                q.link_id = "c-1";
              }),
              IsEmpty());
}

TEST_F(InboxTest, TasksCarryTheirLinksAndDescription) {
  const TaskId t = Offer(50, "", "c-7");
  auto info = engine_->GetTask(t);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->description, "Price the warranty extension for the customer");
  EXPECT_THAT(info->links, ElementsAre(std::pair<std::string, std::string>{"customer", "c-7"},
                                       std::pair<std::string, std::string>{"offer", "o-1"}));
  Restart();
  EXPECT_EQ(engine_->GetTask(t)->links.size(), 2u);
  // Without the variables, the task is created all the same, without links, and the
  // history says why.
  const InstanceId bare = Start("offer", R"({"prio": 50, "due": ""})");
  EXPECT_TRUE(Tasks(bare).at(0).links.empty());
  bool said = false;
  const auto history = engine_->History(bare);
  ASSERT_TRUE(history);
  for (const HistoryEvent& e : *history) {
    if (e.kind == "task_created" && e.data.contains("linksSkipped")) said = true;
  }
  EXPECT_TRUE(said);
}

TEST_F(InboxTest, BulkClaimAndReassignCheckEachTaskOnItsOwn) {
  const TaskId a = Offer(50, "");
  const TaskId b = Offer(50, "");
  const TaskId c = Offer(50, "");
  ASSERT_TRUE(Act(TaskAction::kClaim, c, "ben"));
  std::vector<TaskCommand> claims;
  for (TaskId t : {a, b, c}) claims.push_back({TaskAction::kClaim, t, "anna", "", {}, {}, ""});
  auto outcomes = engine_->ActOnTasks(claims);
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_TRUE(outcomes[0]);
  EXPECT_TRUE(outcomes[1]);
  EXPECT_THAT(outcomes[2], HasError(ErrorCode::kConflict, HasSubstr("'ben'")));
  EXPECT_THAT(Ids(Query("anna", TaskView::kMine)), UnorderedElementsAre(a, b));
  // Their supervisor moves all of anna's tasks to ben; dave, who supervises nobody, cannot.
  std::vector<TaskCommand> moves;
  for (TaskId t : {a, b}) moves.push_back({TaskAction::kReassign, t, "dave", "ben", {}, {}, ""});
  for (const auto& r : engine_->ActOnTasks(moves)) {
    EXPECT_THAT(r, HasError(ErrorCode::kForbidden));
  }
  for (auto& m : moves) m.actor = "maria";
  for (const auto& r : engine_->ActOnTasks(moves)) EXPECT_TRUE(r) << r.error().message();
  EXPECT_THAT(Ids(Query("ben", TaskView::kMine)), UnorderedElementsAre(a, b, c));
  EXPECT_THAT(Ids(Query("anna", TaskView::kMine)), IsEmpty());
  EXPECT_TRUE(engine_->ActOnTasks({}).empty());
}

// ---- forms ----

const char* kApprovalForm = R"({
  "id": "approval", "type": "default", "schemaVersion": 16,
  "components": [
    {"type": "text", "text": "# Approve the offer"},
    {"type": "number", "key": "discount", "label": "Discount %",
     "validate": {"required": true, "min": 0, "max": 30}},
    {"type": "select", "key": "decision", "values": [{"label": "Yes", "value": "yes"},
                                                     {"label": "No", "value": "no"}],
     "validate": {"required": true}},
    {"type": "textfield", "key": "email", "validate": {"validationType": "email"}},
    {"type": "group", "path": "contact", "components": [
      {"type": "textfield", "key": "name", "validate": {"required": true, "minLength": 2}}]},
    {"type": "checklist", "key": "extras", "values": [{"label": "A", "value": "a"},
                                                      {"label": "B", "value": "b"}]},
    {"type": "dynamiclist", "path": "lines", "components": [
      {"type": "number", "key": "qty", "validate": {"required": true, "min": 1}}]},
    {"type": "datetime", "key": "start", "subtype": "date"},
    {"type": "button", "action": "submit", "label": "Submit"}
  ]})";

const std::string kApproval = Bpmn(R"(<process id="approve" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="decide" name="Approve offer" camunda:formRef="approval"
              camunda:formRefBinding="latest"/>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="decide"/>
    <sequenceFlow id="f2" sourceRef="decide" targetRef="e"/></process>)");

TEST(CamundaFormTest, ReadsFieldsOfEveryKind) {
  auto form = definitions::ReadCamundaForm(kApprovalForm);
  ASSERT_TRUE(form) << form.error().message();
  EXPECT_EQ(form->id, "approval");
  std::vector<std::string> names;
  for (const auto& f : form->fields) names.push_back(f.name + ":" + f.type);
  EXPECT_THAT(names,
              ElementsAre("discount:number", "decision:enum", "email:string", "contact.name:string",
                          "extras:multiselect", "lines:list", "start:date"));
  EXPECT_EQ(form->fields[5].rows.size(), 1u);
}

TEST(CamundaFormTest, RefusesWhatItCannotRead) {
  EXPECT_THAT(definitions::ReadCamundaForm("[1]"), HasError(ErrorCode::kValidationFailed));
  auto bad = definitions::ReadCamundaForm(R"({"id": "f", "components": [
      {"key": "x"}, {"type": "textfield", "key": "y"}, {"type": "number", "key": "y"},
      {"type": "textfield", "key": "z", "validate": {"minLength": -1}},
      {"type": "dynamiclist", "components": []}]})");
  ASSERT_FALSE(bad);
  std::vector<std::string> where;
  for (const auto& d : bad.error().details()) where.push_back(d.field + ": " + d.message);
  EXPECT_THAT(where, ElementsAre("components[0]: has no type",
                                 "components[2]: uses the key 'y', which another field already has",
                                 "components[3].validate.minLength: must be a whole number of "
                                 "characters",
                                 "components[4]: is a dynamic list without a path for its rows"));
}

class FormsTest : public EngineTest {
 protected:
  definitions::FormVersion DeployForm(const std::string& json) {
    auto v = repository_->DeployForm(json, "approval.form", clock_.Now());
    EXPECT_TRUE(v) << v.error().message();
    clock_.Advance(1s);
    return v ? *v : definitions::FormVersion{};
  }

  // The approval form with another upper bound for the discount.
  static std::string WithMax(int max) {
    std::string form = kApprovalForm;
    const std::string from = R"("max": 30)";
    form.replace(form.find(from), from.size(), R"("max": )" + std::to_string(max));
    return form;
  }

  Result<void> CompleteWith(TaskId task, const std::string& vars) {
    return engine_->CompleteTask(task, boost::json::parse(vars).as_object(), "tester");
  }
};

TEST_F(FormsTest, DeployedFormChecksCompletionFieldByField) {
  Deploy(kApproval);
  const InstanceId id = Start("approve");
  const TaskId task = Tasks(id).at(0).id;
  // Not deployed yet: the task waits, and cannot be completed without its form.
  EXPECT_EQ(engine_->GetTask(task)->form_version, 0u);
  EXPECT_THAT(CompleteWith(task, R"({"discount": 5, "decision": "yes"})"),
              HasError(ErrorCode::kConflict, HasSubstr("no form 'approval' has been deployed")));
  EXPECT_THAT(engine_->GetTaskForm(task), HasError(ErrorCode::kNotFound));
  EXPECT_EQ(DeployForm(kApprovalForm).version, 1u);
  auto form = engine_->GetTaskForm(task);
  ASSERT_TRUE(form) << form.error().message();
  EXPECT_EQ(form->form_id, "approval");
  EXPECT_EQ(form->version, 1u);
  EXPECT_EQ(form->fields.size(), 7u);
  EXPECT_TRUE(form->schema.is_object());
  auto wrong = CompleteWith(task, R"({"discount": 40, "email": "nobody",
      "contact": {"name": "x"}, "extras": ["a", "c"], "lines": [{"qty": 2}, {"qty": 0}, {}],
      "start": "someday"})");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), ErrorCode::kValidationFailed);
  std::vector<std::string> fields;
  for (const auto& d : wrong.error().details()) fields.push_back(d.field);
  EXPECT_THAT(fields, ElementsAre("discount", "decision", "email", "contact.name", "extras",
                                  "lines[1].qty", "lines[2].qty", "start"));
  EXPECT_EQ(State(id), "active");  // nothing changed
  ASSERT_THAT(CompleteWith(task, R"({"discount": 10, "decision": "no", "email": "a@b.example",
      "contact": {"name": "Anna"}, "extras": ["b"], "lines": [{"qty": 3}], "start": "2026-02-01"})"),
              IsOk());
  engine_->WaitIdle();
  EXPECT_EQ(State(id), "completed");
  EXPECT_EQ(Var(id, "contact").as_object().at("name").as_string(), "Anna");
}

TEST_F(FormsTest, TasksKeepTheFormVersionTheyWereCreatedWith) {
  DeployForm(kApprovalForm);  // discount at most 30
  Deploy(kApproval);
  const TaskId early = Tasks(Start("approve")).at(0).id;
  EXPECT_EQ(DeployForm(WithMax(10)).version, 2u);
  EXPECT_EQ(DeployForm(WithMax(10)).version, 2u);  // the same file again: unchanged
  const TaskId late = Tasks(Start("approve")).at(0).id;
  EXPECT_EQ(engine_->GetTask(early)->form_version, 1u);
  EXPECT_EQ(engine_->GetTask(late)->form_version, 2u);
  const std::string twenty = R"({"discount": 20, "decision": "yes", "contact": {"name": "Ann"}})";
  auto refused = CompleteWith(late, twenty);
  ASSERT_THAT(refused, HasError(ErrorCode::kValidationFailed));
  EXPECT_EQ(refused.error().details().at(0).message, "must be at most 10");
  Restart();
  EXPECT_THAT(CompleteWith(early, twenty), IsOk());
}

TEST_F(FormsTest, VersionAndDeploymentBindings) {
  DeployForm(kApprovalForm);
  const std::string pinned = Bpmn(R"(<process id="pinned" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="t" camunda:formRef="approval" camunda:formRefBinding="version"
              camunda:formRefVersion="1"/>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <sequenceFlow id="f2" sourceRef="t" targetRef="e"/></process>)");
  const std::string with_deployment = Bpmn(R"(<process id="bound" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="t">
      <extensionElements><zeebe:formDefinition formId="approval" bindingType="deployment"/>
      </extensionElements>
    </userTask>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <sequenceFlow id="f2" sourceRef="t" targetRef="e"/></process>)");
  Deploy(pinned);
  Deploy(with_deployment);
  clock_.Advance(1s);
  DeployForm(WithMax(10));
  EXPECT_EQ(engine_->GetTask(Tasks(Start("pinned")).at(0).id)->form_version, 1u);
  EXPECT_EQ(engine_->GetTask(Tasks(Start("bound")).at(0).id)->form_version, 1u);
}

TEST_F(FormsTest, BadBindingsAndFormsAreRefusedAtDeployment) {
  auto d = engine_->Deploy(Bpmn(R"(<process id="p" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="t" camunda:formRef="approval" camunda:formRefBinding="sometimes"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="t"/></process>)"),
                           "p.bpmn", "tester");
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error().details().at(0).message, HasSubstr("latest, deployment or version"));
  EXPECT_THAT(repository_->DeployForm(R"({"components": []})", "x.form", clock_.Now()),
              HasError(ErrorCode::kValidationFailed, HasSubstr("no \"id\"")));
  EXPECT_THAT(repository_->DeployForm("not json", "x.form", clock_.Now()),
              HasError(ErrorCode::kValidationFailed, HasSubstr("x.form")));
}

}  // namespace
}  // namespace quire::workflow::testing
