// The stored user task (key 't' U64(id) in the tasks family) and its inbox index entries.
//
// Inbox entries live in the indexes family and are written in the same batch as the task,
// so an inbox page is a prefix scan. Stored: never change a tag or a key's parts.
// Queues, each kept in three orders (sort tag S): 'I' by priority, highest first: O =
// I64Desc(priority) U64(task); 'J' by due date, soonest first: O = I64(due, INT64_MAX when
// none) U64(task); 'K' by creation for tasks with a due date: O = U64(task) (ids are handed
// out in creation order). Creation order is the 'K' entries merged with the 'J' entries
// past INT64_MAX, so a task without a due date costs two entries a queue, not three:
//   S 'a' String(assignee) O             assigned to a user (not postponed)
//   S 'd' String(assignee) O             delegated to a user
//   S 'g' String(group) O                unclaimed, queued for a group
//   S 'u' String(user) O                 unclaimed, offered to a user
//   S 'o' O                              unclaimed, open to anyone
//   S 'e' String(user) O                 escalated, held by or offered to a user
//   S 'f' String(group) O                escalated, queued for a group
// (The overdue view is the start of the due-date order, up to now.) Postponed tasks have
// an order of their own, until the follow-up date:
//   'I' 'p' String(user) I64(follow-up) U64(task)   held by the user, or unclaimed and
//                                                   offered to them (earlier versions
//                                                   wrote unclaimed ones under user "")
//   'I' 'q' String(group) I64(follow-up) U64(task)  unclaimed, queued for the group
//   'I' 'r' I64(follow-up) U64(task)                unclaimed, open to anyone
// Look-ups, for as long as the task is open (by task id, that is by creation):
//   'I' 'E' String(process) String(element) U64(task)  tasks of a process's element (process
//                                                      and full-text searches start here:
//                                                      a task's name and description are
//                                                      its element's)
//   'I' 'B' String(business key) U64(task)             tasks of a business key
//   'I' 'L' String(kind) String(id) U64(task)          tasks linked to a record (customer...)
// Notifications queued for a user or a group, until acknowledged:
//   'N' String(user or group) U64(id)                  → JSON {id, task, name, to, kind, rule, t}
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
  // A deployed form (camunda:formRef, zeebe:formDefinition formId) and the version bound
  // at creation; version 0 when none was deployed then (bound when completed).
  std::string form_ref;
  std::uint32_t form_version = 0;
  std::string business_key;
  std::string description;  // the element's documentation
  // Records the task is about ("customer" → "c-42"), from the model's quire:link mappings.
  std::vector<std::pair<std::string, std::string>> links;
  int escalations = 0;
  // Hidden from the inbox until its follow-up date: set when postponed (or created with a
  // follow-up date ahead), cleared by the follow-up timer. Stored, so that the inbox
  // entries a task has never depend on when they are computed.
  bool postponed = false;
  int comments = 0;  // how many comments it has (so that dropping it reads none otherwise)
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

// Inbox key prefixes, for the views: `sort` is the order's tag ('I', 'J' or 'K'); the
// queues open to anyone ('o', and 'r' for postponed ones) have no `who`.
std::string QueuePrefix(char sort, char view, std::string_view who);
std::string InboxPrefix(char view, std::string_view who);
std::string OpenInboxPrefix();
std::string LookupPrefix(char index, std::string_view value);
std::string LinkPrefix(std::string_view kind, std::string_view id);
std::string ElementPrefix(std::string_view process, std::string_view element);
std::string NotificationKey(std::string_view to, std::uint64_t id);
// Queues a notification for `to` (a user or group) about task `t` in the command's batch:
// "escalation" (an escalation rule), "assigned" (the task was given to them by someone
// else: created with them as assignee, delegated, reassigned). Users read their queue
// (Engine::Notifications); the mail notifier sends each by e-mail.
void QueueNotification(Txn& txn, std::string_view to, const TaskRecord& t, std::string_view kind,
                       std::uint32_t rule = 0, std::string_view by = {});
// The words full-text search knows a text by: lower-case runs of letters and digits (bytes
// of UTF-8 sequences count as letters), 2 to 64 bytes long, each once.
std::vector<std::string> Words(std::string_view text);

}  // namespace quire::workflow
