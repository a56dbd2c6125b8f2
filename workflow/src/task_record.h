// The stored user task (key 't' U64(id) in the tasks family) and its inbox index entries.
//
// Inbox entries live in the indexes family and are written in the same batch as the task,
// so an inbox page is a prefix scan. Stored: never change a tag or a key's parts.
//   'I' 'a' String(assignee) I64Desc(priority) U64(task)  assigned to a user (not postponed)
//   'I' 'd' String(assignee) I64Desc(priority) U64(task)  delegated to a user
//   'I' 'g' String(group) I64Desc(priority) U64(task)     unassigned, queued for a group
//   'I' 'u' String(user) I64Desc(priority) U64(task)      unassigned, offered to a user
//   'I' 'o' I64Desc(priority) U64(task)                   unassigned, open to anyone
//   'I' 'p' String(assignee) I64(follow-up) U64(task)     postponed until the follow-up date
//   'I' 'v' String(user) I64(due) U64(task)               overdue: assigned or offered to a user
//   'I' 'w' String(group) I64(due) U64(task)              overdue: unclaimed, queued for a group
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "quire/base/result.h"
#include "txn.h"

namespace quire::workflow {

struct TaskRecord {
  enum class State : std::uint8_t {  // stored: never renumber
    kCreated = 0,                    // not claimed
    kAssigned = 1,
    kDelegated = 2,  // worked by the assignee on behalf of the owner, who completes it
  };
  std::uint64_t id = 0;
  std::uint64_t instance = 0;
  std::uint32_t key = 0;  // the element instance that waits for it
  std::string process_id;
  std::uint32_t version = 0;
  std::string element_id;
  std::string name;
  std::string assignee;
  std::string owner;
  std::vector<std::string> candidate_users;
  std::vector<std::string> candidate_groups;
  std::int64_t priority = 50;
  std::optional<std::int64_t> due;
  std::optional<std::int64_t> follow_up;
  std::int64_t created = 0;
  std::int64_t claimed = 0;
  State state = State::kCreated;
  std::string form_key;
  std::string business_key;
  int escalations = 0;
  // Hidden from the inbox until its follow-up date: set when postponed (or created with a
  // follow-up date ahead), cleared by the follow-up timer. Stored, so that the inbox
  // entries a task has never depend on when they are computed.
  bool postponed = false;
  bool overdue = false;  // its due date passed (set by the due timer)
  int comments = 0;      // how many comments it has (so that dropping it reads none otherwise)
  // When each of the model's escalation rules fires (ms; by rule index), for the rules
  // still ahead; their timers go with the task.
  std::vector<std::pair<std::uint32_t, std::int64_t>> escalation_timers;
};

const char* TaskStateName(TaskRecord::State state);
std::string EncodeTask(const TaskRecord& task);
Result<TaskRecord> DecodeTask(std::string_view bytes);

// The inbox entries a task has.
std::vector<std::string> InboxKeys(const TaskRecord& task);

// Stores `after` (or deletes the task when absent) and moves its inbox entries from what
// `before` had to what `after` needs, in the same command.
void WriteTask(Txn& txn, const std::optional<TaskRecord>& before,
               const std::optional<TaskRecord>& after);

// Inbox key prefixes, for the views.
std::string InboxPrefix(char view, std::string_view who);
std::string OpenInboxPrefix();
// The timer that brings a postponed task back at its follow-up date.
std::string FollowUpTimerKey(std::int64_t due, std::uint64_t task);
// The timer that marks a task overdue at its due date.
std::string DueTimerKey(std::int64_t due, std::uint64_t task);
// The timer of escalation rule `rule` of a task.
std::string EscalationTimerKey(std::int64_t due, std::uint32_t rule, std::uint64_t task);

}  // namespace quire::workflow
