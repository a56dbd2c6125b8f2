// The rights rules of tasks.h, directly: who may, and who may not.
#include "task_rights.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "quire/testing/result_matchers.h"

namespace quire::workflow {
namespace {

using ::quire::testing::HasError;
using ::testing::HasSubstr;

TaskRecord Task() {
  TaskRecord t;
  t.id = 7;
  t.candidate_groups = {"sales"};
  t.candidate_users = {"cleo"};
  return t;
}

ActorFacts Actor(const std::string& user, std::vector<std::string> groups = {}) {
  ActorFacts a;
  a.user = user;
  a.active = true;
  a.groups = std::move(groups);
  return a;
}

TaskRecord Claimed(const std::string& by) {
  TaskRecord t = Task();
  t.assignee = by;
  t.state = TaskRecord::State::kAssigned;
  return t;
}

TEST(TaskRightsTest, CandidatesClaimOthersDoNot) {
  EXPECT_EQ(*CheckTaskRight(TaskOp::kClaim, Task(), Actor("anna", {"sales"})), "anna");
  EXPECT_EQ(*CheckTaskRight(TaskOp::kClaim, Task(), Actor("cleo")), "cleo");
  EXPECT_THAT(CheckTaskRight(TaskOp::kClaim, Task(), Actor("dave", {"service"})),
              HasError(ErrorCode::kForbidden, HasSubstr("not one of its candidates")));
  TaskRecord open;
  open.id = 8;
  EXPECT_TRUE(CheckTaskRight(TaskOp::kClaim, open, Actor("anyone")));
}

TEST(TaskRightsTest, AClaimedTaskIsAConflictForOthers) {
  EXPECT_THAT(CheckTaskRight(TaskOp::kClaim, Claimed("anna"), Actor("ben", {"sales"})),
              HasError(ErrorCode::kConflict, HasSubstr("already claimed by 'anna'")));
  EXPECT_TRUE(CheckTaskRight(TaskOp::kClaim, Claimed("anna"), Actor("anna", {"sales"})));
}

TEST(TaskRightsTest, InactiveOrUnknownUsersMayDoNothing) {
  ActorFacts ghost = Actor("ghost", {"sales"});
  ghost.active = false;
  for (TaskOp op : {TaskOp::kClaim, TaskOp::kComplete, TaskOp::kComment}) {
    EXPECT_THAT(CheckTaskRight(op, Task(), ghost), HasError(ErrorCode::kForbidden));
  }
}

TEST(TaskRightsTest, CompleteNeedsTheAssigneeOrACandidateOfAnUnclaimedTask) {
  EXPECT_TRUE(CheckTaskRight(TaskOp::kComplete, Claimed("anna"), Actor("anna")));
  EXPECT_THAT(CheckTaskRight(TaskOp::kComplete, Claimed("anna"), Actor("ben", {"sales"})),
              HasError(ErrorCode::kForbidden, HasSubstr("claimed by 'anna'")));
  EXPECT_TRUE(CheckTaskRight(TaskOp::kComplete, Task(), Actor("ben", {"sales"})));
}

TEST(TaskRightsTest, DelegationGoesToTheDelegateAndBackToTheOwner) {
  TaskRecord t = Claimed("ben");
  t.owner = "anna";
  t.state = TaskRecord::State::kDelegated;
  EXPECT_THAT(CheckTaskRight(TaskOp::kComplete, t, Actor("ben")),
              HasError(ErrorCode::kForbidden, HasSubstr("resolves it")));
  EXPECT_THAT(CheckTaskRight(TaskOp::kComplete, t, Actor("anna")), HasError(ErrorCode::kForbidden));
  EXPECT_TRUE(CheckTaskRight(TaskOp::kResolve, t, Actor("ben")));
  EXPECT_THAT(CheckTaskRight(TaskOp::kResolve, t, Actor("anna")), HasError(ErrorCode::kForbidden));
  EXPECT_THAT(CheckTaskRight(TaskOp::kResolve, Claimed("ben"), Actor("ben")),
              HasError(ErrorCode::kForbidden, HasSubstr("not delegated")));
  EXPECT_THAT(CheckTaskRight(TaskOp::kDelegate, Claimed("anna"), Actor("ben")),
              HasError(ErrorCode::kForbidden, HasSubstr("only its assignee")));
}

TEST(TaskRightsTest, SupervisorsReassignAndUnclaimTheirReportsTasks) {
  ActorFacts boss = Actor("maria");
  boss.assignee_supervisor = "maria";
  EXPECT_TRUE(CheckTaskRight(TaskOp::kReassign, Claimed("anna"), boss));
  EXPECT_TRUE(CheckTaskRight(TaskOp::kUnclaim, Claimed("anna"), boss));
  EXPECT_TRUE(CheckTaskRight(TaskOp::kEscalate, Claimed("anna"), boss));
  ActorFacts other = Actor("otto");
  other.assignee_supervisor = "maria";
  EXPECT_THAT(CheckTaskRight(TaskOp::kReassign, Claimed("anna"), other),
              HasError(ErrorCode::kForbidden));
  EXPECT_THAT(CheckTaskRight(TaskOp::kUnclaim, Claimed("anna"), other),
              HasError(ErrorCode::kForbidden));
}

TEST(TaskRightsTest, ASubstituteActsForTheUserTheyStandInFor) {
  ActorFacts ben = Actor("ben");
  ben.standing_in_for = {"anna"};
  EXPECT_EQ(*CheckTaskRight(TaskOp::kComplete, Claimed("anna"), ben), "anna");
  EXPECT_EQ(*CheckTaskRight(TaskOp::kDelegate, Claimed("anna"), ben), "anna");
  EXPECT_THAT(CheckTaskRight(TaskOp::kComplete, Claimed("cleo"), ben),
              HasError(ErrorCode::kForbidden));
}

TEST(TaskRightsTest, PostponeAndCommentNeedToSeeTheTask) {
  EXPECT_TRUE(CheckTaskRight(TaskOp::kPostpone, Claimed("anna"), Actor("anna")));
  EXPECT_THAT(CheckTaskRight(TaskOp::kPostpone, Claimed("anna"), Actor("ben", {"sales"})),
              HasError(ErrorCode::kForbidden));
  EXPECT_TRUE(CheckTaskRight(TaskOp::kComment, Task(), Actor("ben", {"sales"})));
  EXPECT_THAT(CheckTaskRight(TaskOp::kComment, Task(), Actor("dave", {"service"})),
              HasError(ErrorCode::kForbidden, HasSubstr("cannot see")));
}

}  // namespace
}  // namespace quire::workflow
