// Who may do what with a task: the rules of tasks.h, in one place, as pure functions of
// what is known about the task and the acting user (so they are tested directly).
#pragma once

#include <string>
#include <vector>

#include "quire/base/result.h"
#include "quire/storage/key_reader.h"
#include "task_record.h"

namespace quire::workflow {

enum class TaskOp {
  kClaim,
  kUnclaim,
  kComplete,
  kDelegate,
  kResolve,
  kReassign,
  kPostpone,
  kEscalate,
  kComment,
  kSetDue,
  kView,  // see it in a search (the same people who may comment)
};

const char* TaskOpName(TaskOp op);

// What the rules need to know about the acting user.
struct ActorFacts {
  std::string user;
  bool active = false;                       // a known, active user
  std::vector<std::string> groups;           // their groups
  std::vector<std::string> standing_in_for;  // users they substitute for right now
  std::string assignee_supervisor;           // the supervisor of the task's assignee
  std::string owner_supervisor;              // ... and of its owner
};

// Allowed: the user the actor acts as — themselves, or the user they stand in for.
// Refused: kForbidden saying why (kConflict when the task is claimed by someone else).
Result<std::string> CheckTaskRight(TaskOp op, const TaskRecord& task, const ActorFacts& actor);

// What the rights rules need to know about `user` acting on `task`, read from the
// organisation's records inside a command (Txn) or a query (SnapshotReader).
Result<ActorFacts> FactsFor(const storage::KeyReader& reader, const std::string& user,
                            const TaskRecord& task, Timestamp now);

}  // namespace quire::workflow
