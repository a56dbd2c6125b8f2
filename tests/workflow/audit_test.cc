// The engine with an audit log: what people do lands in the chain (with the same commit as
// its effect), refusals and the engine's own steps do not; a task that requires documents
// is refused completion until they are linked.
#include <sstream>

#include "engine_fixture.h"
#include "quire/audit/chain.h"
#include "quire/audit/log.h"

namespace quire::workflow::testing {
namespace {

using ::quire::testing::HasError;
using ::quire::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kOffer = Bpmn(R"(<process id="offer" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="prepare" name="Prepare offer" camunda:candidateGroups="sales">
      <extensionElements><quire:requiredDocument type="offer"/></extensionElements>
    </userTask>
    <intermediateCatchEvent id="wait"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></intermediateCatchEvent>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="prepare"/>
    <sequenceFlow id="f2" sourceRef="prepare" targetRef="wait"/>
    <sequenceFlow id="f3" sourceRef="wait" targetRef="e"/></process>)");

class AuditedEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*storage::Store::Open(dir_.path() / "data"));
    audit_ = std::move(*audit::AuditLog::Open(*store_, dir_.path()));
    repository_ = std::make_unique<definitions::DefinitionRepository>(*store_);
    EngineOptions options;
    options.audit = audit_.get();
    options.document_linked = [this](std::uint64_t task, std::uint64_t, const std::string& type) {
      asked_ = std::to_string(task) + ":" + type;
      return Result<bool>(linked_);
    };
    engine_ = std::move(*Engine::Open(*store_, *repository_, clock_, connectors_, options));
    directory_ = std::make_unique<org::Directory>(*store_, audit_.get(), clock_);
    ASSERT_THAT(directory_->PutUser({"anna", "Anna", "anna@x", "", true, ""}, "admin"), IsOk());
    ASSERT_THAT(directory_->PutGroup({"sales", "Sales"}, "admin"), IsOk());
    ASSERT_THAT(directory_->AddMember("sales", "anna", "admin"), IsOk());
    ASSERT_TRUE(engine_->Deploy(kOffer, "offer.bpmn", "admin"));
  }

  void TearDown() override {
    directory_.reset();
    engine_.reset();
    repository_.reset();
    audit_.reset();
    store_.reset();
  }

  std::vector<std::string> Entries() {
    std::ostringstream out;
    EXPECT_THAT(audit_->Export(0, 0, out), IsOk());
    std::vector<std::string> entries;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) {
      auto e = audit::ParseEntry(audit::SplitLine(line)->first);
      entries.push_back(e->actor + " " + e->action + " " + e->object);
    }
    return entries;
  }

  quire::testing::TempDir dir_;
  ManualClock clock_{Timestamp(std::chrono::sys_days(std::chrono::year(2026) / 1 / 5))};
  ConnectorRegistry connectors_ = ConnectorRegistry::WithBuiltins();
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<definitions::DefinitionRepository> repository_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<org::Directory> directory_;
  bool linked_ = false;
  std::string asked_;
};

TEST_F(AuditedEngineTest, PeoplesCommandsAreRecordedAndRefusalsAreNot) {
  StartRequest r;
  r.process_id = "offer";
  r.actor = "anna";
  auto started = engine_->Start(r);
  ASSERT_TRUE(started) << started.error().message();
  const TaskId task = started->tasks.at(0);
  const std::string t = "task/" + std::to_string(task);
  TaskCommand claim;
  claim.action = TaskAction::kClaim;
  claim.task = task;
  claim.actor = "anna";
  ASSERT_TRUE(engine_->ActOnTask(claim));
  // Required documents: refused, per type, until linked.
  auto refused = engine_->CompleteTaskAs(task, {}, "anna");
  ASSERT_THAT(refused, HasError(ErrorCode::kValidationFailed));
  EXPECT_EQ(refused.error().details().at(0).field, "documents.offer");
  EXPECT_THAT(refused.error().details().at(0).message,
              HasSubstr("link=task:" + std::to_string(task)));
  EXPECT_EQ(asked_, std::to_string(task) + ":offer");
  linked_ = true;
  ASSERT_THAT(engine_->CompleteTaskAs(task, {}, "anna"), IsOk());
  // The timer fires as the engine's own step: not a person's command.
  clock_.Advance(std::chrono::hours(2));
  engine_->WakeUp();
  engine_->WaitIdle();
  const std::string i = "instance/" + std::to_string(started->instance_id);
  EXPECT_THAT(Entries(), ElementsAre("admin user.saved user/anna", "admin group.saved group/sales",
                                     "admin group.member-added group/sales",
                                     ::testing::StartsWith("admin definition.deployed deployment/"),
                                     "anna instance.started " + i, "anna task.claimed " + t,
                                     "anna task.completed " + t));
  // The chain verifies, and it continues across a restart.
  std::ostringstream out;
  ASSERT_THAT(audit_->Export(0, 0, out), IsOk());
  std::istringstream in(out.str());
  EXPECT_TRUE(audit::VerifyExport(in, std::nullopt, "").ok);
}

}  // namespace
}  // namespace quire::workflow::testing
