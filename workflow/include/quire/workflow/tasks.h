// Human tasks and the organisation they are worked in: types shared by the engine's task
// and organisation API (engine.h).
//
// Who may do what is decided in one place (workflow/src/task_rights.cc):
//   claim       a candidate (candidate user, member of a candidate group, or anyone when
//               the task names no candidates) of an unclaimed task
//   unclaim     the assignee, or the assignee's supervisor
//   complete    the assignee of a task not delegated; or a candidate of an unclaimed task
//               (claims and completes at once)
//   delegate    the assignee; the delegate then resolves, and the owner completes
//   resolve     the delegate of a delegated task
//   reassign    the assignee, the owner, or the assignee's supervisor
//   postpone    the assignee; or a candidate of an unclaimed task
//   escalate    the assignee, the owner, or the assignee's supervisor
//   set due     the assignee, the owner, or the assignee's supervisor (with a reason)
//   comment     anyone who may see the task: its assignee, owner, their supervisors, its
//               named candidates; anyone while it names no candidates and is unclaimed
// A substitute (while the substitution's dates run) may do whatever the user they stand in
// for may, and sees that user's own tasks in their views; history records that they acted
// for them. Inactive users may do nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quire/audit/actor.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/org/people.h"

namespace quire::workflow {

// The organisation lives in org/; tasks name its users and groups.
using org::Group;
using org::Substitution;
using org::User;

enum class TaskView {
  kMine,       // assigned to the user (including delegated to them), not postponed
  kGroup,      // unclaimed, queued for the user's groups (or one group), or offered to them
  kDelegated,  // delegated to the user
  kPostponed,  // the user's tasks hidden until their follow-up date
  kOpen,       // unclaimed tasks that name no candidates
  kOverdue,    // past their due date: the user's own, and their groups' unclaimed ones
  kEscalated,  // escalated (by hand or by a rule), held by the user or queued for their groups
  kVisible,    // every open task the user may see: only with a search criterion
};

// The order of a queue view (mine, group, delegated, open, escalated). Postponed tasks are
// ordered by follow-up date and overdue ones by due date.
enum class TaskSort {
  kPriority,  // highest first
  kDue,       // soonest due first; tasks without a due date last
  kCreated,   // oldest first
};

struct TaskQuery {
  std::string user;  // whose inbox
  TaskView view = TaskView::kMine;
  std::string group;             // kGroup, kEscalated: only this group's queue
  std::optional<TaskSort> sort;  // the view's own order when absent
  std::size_t limit = 50;
  std::string after;  // cursor from the previous page

  // Search criteria: when any is given, the page holds the tasks of the view (kVisible:
  // any the user may see) that meet all of them, oldest first.
  std::string process;  // process id
  std::string business_key;
  std::string link_kind;  // with link_id: linked to this record ("customer", "c-42")
  std::string link_id;
  std::string text;  // words of the name or description; "word*" matches a prefix
  bool searching() const {
    return !process.empty() || !business_key.empty() || !link_kind.empty() || !text.empty();
  }
};

// The names the HTTP API and the CLI use: mine, group, delegated, postponed, overdue,
// escalated, open, all (kVisible); priority, due, created. Errors: kInvalidArgument listing
// the names.
Result<TaskView> ParseTaskView(std::string_view name);
Result<TaskSort> ParseTaskSort(std::string_view name);

// A notification queued by an escalation rule, for a user or a group, until acknowledged.
struct Notification {
  std::uint64_t id = 0;
  std::uint64_t task = 0;
  std::string task_name;
  std::string to;    // the user or group it is for
  std::string kind;  // "escalation" (a rule), "assigned" (given to them by someone else)
  std::uint32_t rule = 0;
  std::string by;  // who assigned it ("" for the process)
  Timestamp at;
};

// How many tasks each view of a user holds (search criteria do not apply).
struct TaskCounts {
  std::size_t mine = 0;
  std::size_t group = 0;
  std::size_t delegated = 0;
  std::size_t postponed = 0;
  std::size_t overdue = 0;
  std::size_t escalated = 0;
  std::size_t open = 0;
};

enum class TaskAction {
  kClaim,
  kUnclaim,
  kDelegate,
  kResolve,
  kReassign,
  kPostpone,
  kEscalate,
  kSetDue,  // move the due date (assignee, owner or supervisor), with a reason
};

struct TaskCommand {
  TaskAction action = TaskAction::kClaim;
  std::uint64_t task = 0;
  audit::Actor actor;  // the acting user
  std::string to;      // delegate/reassign: a user; escalate: a group, or "" for the supervisor
  std::optional<Timestamp> follow_up;  // postpone
  std::optional<Timestamp> due;        // set due
  std::string reason;                  // escalate
};

}  // namespace quire::workflow
