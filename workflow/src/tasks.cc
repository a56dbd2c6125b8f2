// The Runtime's human-task commands: claim, unclaim, delegate, resolve, reassign, postpone,
// escalate, comment, complete — each checked by task_rights.cc and recorded in history with
// the acting user (and whom they stood in for).
#include <algorithm>
#include <boost/json/serialize.hpp>

#include "keys.h"
#include "quire/base/json_fields.h"
#include "quire/definitions/iso8601.h"
#include "quire/org/people.h"
#include "quire/storage/key_codec.h"
#include "quire/workflow/history_data.h"
#include "runtime.h"
#include "runtime_loaded.h"

namespace quire::workflow {
namespace json = boost::json;

namespace {
std::string IdText(std::uint64_t id) { return std::to_string(id); }
constexpr std::int64_t kEscalationPriorityStep = 10;
}  // namespace

namespace {
// What workload statistics need of a task, carried in its history events (the task record
// itself is gone once it is completed).
void AddTaskFacts(json::object& data, const TaskRecord& t) {
  data["created"] = t.created;
  if (t.claimed != 0) data["claimed"] = t.claimed;
  if (t.due) data["due"] = *t.due;
  if (!t.candidate_groups.empty()) {
    data["groups"] = json::array(t.candidate_groups.begin(), t.candidate_groups.end());
  }
}
}  // namespace

void Runtime::AddWorkloadFacts(json::object& data, const TaskRecord& t) { AddTaskFacts(data, t); }

Result<TaskRecord> Runtime::ReadTask(std::uint64_t task) {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         txn_.Get(ColumnFamily::kTasks, keys::Task(task)));
  if (!raw) {
    return Error::NotFound("task " + IdText(task) +
                           " is not open: it does not exist, or was completed or cancelled");
  }
  return DecodeTask(*raw);
}

Result<ActorFacts> Runtime::Facts(const std::string& user, const TaskRecord& task) {
  return FactsFor(txn_, user, task, txn_.now());
}

void Runtime::DropTask(const TaskRecord& task) {
  WriteTask(txn_, task, std::nullopt);
  if (task.postponed && task.follow_up) {
    txn_.Delete(ColumnFamily::kTimers, keys::TaskFollowUpTimer(*task.follow_up, task.id));
  }
  for (const auto& [rule, at] : task.escalation_timers) {
    txn_.Delete(ColumnFamily::kTimers, keys::TaskEscalationTimer(at, rule, task.id));
  }
  // Comments go with the task; history keeps the record of them.
  if (task.comments == 0) return;
  const std::string prefix = storage::KeyEncoder().U8('c').U64(task.id).Take();
  if (auto comments = txn_.Scan(ColumnFamily::kTasks, prefix, 10'000)) {
    for (const auto& [key, value] : *comments) txn_.Delete(ColumnFamily::kTasks, key);
  }
}

Result<void> Runtime::TaskFollowUpDue(std::uint64_t task) {
  auto t = ReadTask(task);
  if (!t) return Ok();  // completed or cancelled meanwhile
  if (!t->postponed || !t->follow_up || *t->follow_up > txn_.now_ms()) {
    return Ok();  // postponed again, to a later date
  }
  TaskRecord back = *t;
  back.postponed = false;
  WriteTask(txn_, *t, back);  // back in the inbox
  TaskHistory(back, "task_follow_up_due", {});
  return Ok();
}

void Runtime::ScheduleEscalations(TaskRecord& task, const definitions::TaskSpec& spec,
                                  bool due_rules_only) {
  for (std::uint32_t i = 0; i < spec.escalations.size(); ++i) {
    const definitions::EscalationRule& rule = spec.escalations[i];
    if (due_rules_only && !rule.from_due_date) continue;
    Timestamp from = txn_.now();
    if (rule.from_due_date) {
      if (!task.due) continue;  // no due date: nothing to count from
      from = Timestamp(std::chrono::milliseconds(*task.due));
    }
    const std::int64_t at = definitions::Add(from, rule.after).time_since_epoch().count();
    task.escalation_timers.emplace_back(i, at);
    ArmTimer(keys::TaskEscalationTimer(at, i, task.id), at);
  }
}

Result<void> Runtime::TaskEscalationDue(std::uint64_t task, std::uint32_t rule_index) {
  auto read = ReadTask(task);
  if (!read) return Ok();  // completed or cancelled meanwhile
  TaskRecord t = *read;
  const TaskRecord before = t;
  std::erase_if(t.escalation_timers, [&](const auto& e) { return e.first == rule_index; });
  auto loaded = Load(t.instance);
  if (!loaded) return Ok();
  const ElementInstance* ei = (*loaded)->st.Find(t.key);
  if (ei == nullptr) return Ok();
  const definitions::Element& el = El(**loaded, ei->element);
  if (rule_index >= el.task.escalations.size()) return Ok();
  const definitions::EscalationRule& rule = el.task.escalations[rule_index];
  json::object data{{"rule", rule_index}};
  switch (rule.action) {
    case definitions::EscalationRule::Action::kNotify:
      data["action"] = "notify";
      break;
    case definitions::EscalationRule::Action::kReassignToGroup:
      data["action"] = "group";
      data["toGroup"] = rule.group;
      t.assignee.clear();
      t.owner.clear();
      t.state = TaskRecord::State::kCreated;
      t.candidate_groups = {rule.group};
      t.candidate_users.clear();
      break;
    case definitions::EscalationRule::Action::kReassignToSupervisor: {
      data["action"] = "supervisor";
      // The supervisor of the assignee; for an unclaimed task, nobody to climb from.
      std::string supervisor;
      if (!t.assignee.empty()) {
        QUIRE_ASSIGN_OR_RETURN(std::optional<User> u, org::FindUser(txn_, t.assignee));
        if (u) supervisor = u->supervisor;
      }
      if (supervisor.empty()) {
        data["skipped"] = "no supervisor to reassign to";
      } else {
        t.assignee = supervisor;
        t.state = TaskRecord::State::kAssigned;
        data["to"] = supervisor;
      }
      break;
    }
  }
  if (rule.raise_priority != 0)
    t.priority = std::min<std::int64_t>(100, t.priority + rule.raise_priority);
  if (rule.action != definitions::EscalationRule::Action::kNotify) ++t.escalations;
  // A notification queued for whoever the rule names: "assignee" (the task's holder),
  // "supervisor" (the supervisor of whoever held it), or a user or group id. Delivering it
  // (e-mail...) is the notifier's; users read their queue (Engine::Notifications).
  if (!rule.notify.empty() || rule.action == definitions::EscalationRule::Action::kNotify) {
    const std::string& holder = before.assignee.empty() ? t.assignee : before.assignee;
    std::string to = rule.notify.empty() ? "assignee" : rule.notify;
    if (to == "assignee") {
      to = t.assignee.empty() ? before.assignee : t.assignee;
    } else if (to == "supervisor") {
      to.clear();
      if (!holder.empty()) {
        QUIRE_ASSIGN_OR_RETURN(std::optional<User> u, org::FindUser(txn_, holder));
        if (u) to = u->supervisor;
      }
    }
    if (to.empty()) {
      data["notifySkipped"] = "nobody to notify: the task has no assignee (or they no supervisor)";
    } else {
      QueueNotification(txn_, to, t, "escalation", rule_index);
      data["notify"] = to;
    }
  }
  if (rule.action != definitions::EscalationRule::Action::kNotify) {
    data["from"] = before.assignee;
    AddTaskFacts(data, before);
  }
  WriteTask(txn_, before, t);
  TaskHistory(t, "task_escalation_rule", std::move(data));
  return Ok();
}

Result<TaskRecord> Runtime::ActOnTask(const TaskCommand& c) {
  QUIRE_ASSIGN_OR_RETURN(TaskRecord t, ReadTask(c.task));
  const TaskRecord before = t;
  TaskOp op = TaskOp::kClaim;
  switch (c.action) {
    case TaskAction::kClaim:
      op = TaskOp::kClaim;
      break;
    case TaskAction::kUnclaim:
      op = TaskOp::kUnclaim;
      break;
    case TaskAction::kDelegate:
      op = TaskOp::kDelegate;
      break;
    case TaskAction::kResolve:
      op = TaskOp::kResolve;
      break;
    case TaskAction::kReassign:
      op = TaskOp::kReassign;
      break;
    case TaskAction::kPostpone:
      op = TaskOp::kPostpone;
      break;
    case TaskAction::kEscalate:
      op = TaskOp::kEscalate;
      break;
    case TaskAction::kSetDue:
      op = TaskOp::kSetDue;
      break;
  }
  QUIRE_ASSIGN_OR_RETURN(ActorFacts facts, Facts(c.actor.id, t));
  QUIRE_ASSIGN_OR_RETURN(std::string as, CheckTaskRight(op, t, facts));
  json::object data{{"user", c.actor.id}};
  if (as != c.actor.id) data["actedFor"] = as;

  auto target_user = [&](const std::string& id) -> Result<void> {
    if (id.empty()) return Error::InvalidArgument("say to whom: {\"to\": userId}");
    QUIRE_ASSIGN_OR_RETURN(std::optional<User> u, org::FindUser(txn_, id));
    if (!u) return Error::InvalidArgument("'" + id + "' is not a user");
    if (!u->active) return Error::InvalidArgument("user '" + id + "' is not active");
    return Ok();
  };
  const char* kind = "task_claimed";
  switch (c.action) {
    case TaskAction::kClaim:
      if (t.assignee.empty()) {
        t.assignee = c.actor.id;
        t.state = TaskRecord::State::kAssigned;
        t.claimed = txn_.now_ms();
      }
      break;
    case TaskAction::kUnclaim:
      kind = "task_unclaimed";
      t.assignee.clear();
      t.owner.clear();
      t.state = TaskRecord::State::kCreated;
      break;
    case TaskAction::kDelegate:
      kind = "task_delegated";
      QUIRE_RETURN_IF_ERROR(target_user(c.to));
      if (t.owner.empty()) t.owner = t.assignee;
      t.assignee = c.to;
      t.state = TaskRecord::State::kDelegated;
      data["to"] = c.to;
      if (c.to != c.actor.id) QueueNotification(txn_, c.to, t, "assigned", 0, c.actor.id);
      break;
    case TaskAction::kResolve:
      kind = "task_resolved";
      t.assignee = t.owner;
      t.state = TaskRecord::State::kAssigned;
      break;
    case TaskAction::kReassign:
      kind = "task_reassigned";
      QUIRE_RETURN_IF_ERROR(target_user(c.to));
      t.assignee = c.to;
      t.owner = c.to;  // ownership moves with it
      t.state = TaskRecord::State::kAssigned;
      if (t.claimed == 0) t.claimed = txn_.now_ms();
      data["to"] = c.to;
      if (c.to != c.actor.id) QueueNotification(txn_, c.to, t, "assigned", 0, c.actor.id);
      break;
    case TaskAction::kPostpone: {
      kind = "task_postponed";
      if (!c.follow_up) {
        return Error::InvalidArgument("say until when: {\"followUpAt\": \"2026-12-01T09:00:00Z\"}");
      }
      const std::int64_t at = c.follow_up->time_since_epoch().count();
      if (at <= txn_.now_ms()) {
        return Error::InvalidArgument("the follow-up date must be in the future");
      }
      if (t.postponed && t.follow_up) {
        txn_.Delete(ColumnFamily::kTimers, keys::TaskFollowUpTimer(*t.follow_up, t.id));
      }
      t.follow_up = at;
      t.postponed = true;
      ArmTimer(keys::TaskFollowUpTimer(at, t.id), at);
      data["followUp"] = at;
      break;
    }
    case TaskAction::kSetDue: {
      kind = "task_due_moved";
      if (!c.due)
        return Error::InvalidArgument(
            "say the new due date: {\"dueAt\": \"2026-12-01T17:00:00Z\"}");
      if (c.reason.empty()) {
        return Error::InvalidArgument("moving a due date needs a reason: {\"reason\": \"...\"}");
      }
      if (t.due) data["was"] = *t.due;
      t.due = c.due->time_since_epoch().count();
      // Escalation rules counted from the due date move with it.
      auto loaded = Load(t.instance);
      if (loaded) {
        if (const ElementInstance* ei = (*loaded)->st.Find(t.key)) {
          const definitions::TaskSpec& spec = El(**loaded, ei->element).task;
          std::erase_if(t.escalation_timers, [&](const auto& e) {
            if (e.first >= spec.escalations.size() || !spec.escalations[e.first].from_due_date) {
              return false;
            }
            txn_.Delete(ColumnFamily::kTimers, keys::TaskEscalationTimer(e.second, e.first, t.id));
            return true;
          });
          ScheduleEscalations(t, spec, /*due_rules_only=*/true);
        }
      }
      data["due"] = *t.due;
      data["reason"] = c.reason;
      break;
    }
    case TaskAction::kEscalate: {
      kind = "task_escalated";
      if (c.to.empty()) {
        // To the supervisor of whoever holds it (else of the actor).
        const std::string holder = t.assignee.empty() ? c.actor.id : t.assignee;
        QUIRE_ASSIGN_OR_RETURN(std::optional<User> h, org::FindUser(txn_, holder));
        if (!h || h->supervisor.empty()) {
          return Error::InvalidArgument("'" + holder +
                                        "' has no supervisor to escalate to; name a group");
        }
        t.assignee = h->supervisor;
        t.state = TaskRecord::State::kAssigned;
        data["to"] = h->supervisor;
      } else {
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> g,
                               txn_.Get(ColumnFamily::kOrg, org::GroupKey(c.to)));
        if (!g) return Error::InvalidArgument("'" + c.to + "' is not a group");
        t.assignee.clear();
        t.state = TaskRecord::State::kCreated;
        t.candidate_groups = {c.to};
        t.candidate_users.clear();
        data["toGroup"] = c.to;
      }
      t.priority = std::min<std::int64_t>(100, t.priority + kEscalationPriorityStep);
      ++t.escalations;
      if (!c.reason.empty()) data["reason"] = c.reason;
      break;
    }
  }
  // "task_claimed" → "task.claimed" (docs/audit.md); the details say what changed (history keeps
  // the rest). Instants and ids in the API's names and forms (history keeps its stored ones).
  Audit(std::string_view(kind) == "task_due_moved" ? "task.rescheduled"
                                                   : "task." + std::string(kind).substr(5),
        "task/" + std::to_string(t.id), HistoryDataJson(data));
  if (c.action == TaskAction::kClaim || c.action == TaskAction::kEscalate) {
    data["from"] = before.assignee;
    AddTaskFacts(data, t);
  }
  WriteTask(txn_, before, t);
  TaskHistory(t, kind, std::move(data));
  return t;
}

Result<TaskRecord> Runtime::CompleteTaskAs(std::uint64_t task, const json::object& variables,
                                           const std::string& user) {
  QUIRE_ASSIGN_OR_RETURN(TaskRecord t, ReadTask(task));
  QUIRE_ASSIGN_OR_RETURN(ActorFacts facts, Facts(user, t));
  QUIRE_ASSIGN_OR_RETURN(std::string as, CheckTaskRight(TaskOp::kComplete, t, facts));
  if (t.assignee.empty()) {
    // Claimed and completed in one step.
    const TaskRecord before = t;
    t.assignee = user;
    t.claimed = txn_.now_ms();
    t.state = TaskRecord::State::kAssigned;
    WriteTask(txn_, before, t);
    json::object claimed{{"user", user}};
    AddTaskFacts(claimed, t);
    TaskHistory(t, "task_claimed", std::move(claimed));
  }
  if (as != user) TaskHistory(t, "task_acted_for", {{"user", user}, {"actedFor", as}});
  QUIRE_RETURN_IF_ERROR(CompleteTask(task, variables));
  return t;
}

Result<void> Runtime::CommentOnTask(std::uint64_t task, const std::string& user,
                                    const std::string& text) {
  if (text.empty()) return Error::InvalidArgument("a comment needs text");
  if (text.size() > 10'000) return Error::InvalidArgument("a comment holds at most 10,000 bytes");
  QUIRE_ASSIGN_OR_RETURN(TaskRecord t, ReadTask(task));
  QUIRE_ASSIGN_OR_RETURN(ActorFacts facts, Facts(user, t));
  QUIRE_ASSIGN_OR_RETURN(std::string as, CheckTaskRight(TaskOp::kComment, t, facts));
  const std::uint64_t seq = txn_.NewId();
  TaskRecord counted = t;
  ++counted.comments;
  WriteTask(txn_, t, counted);
  txn_.Put(ColumnFamily::kTasks, storage::KeyEncoder().U8('c').U64(task).U64(seq).Take(),
           json::serialize(json::object{{"a", user}, {"t", txn_.now_ms()}, {"text", text}}));
  json::object data{{"user", user}, {"text", text}};
  if (as != user) data["actedFor"] = as;
  TaskHistory(t, "task_commented", std::move(data));
  return Ok();
}

Result<std::vector<std::uint64_t>> Runtime::RelinkTasks(const std::string& kind,
                                                        const std::string& from,
                                                        const std::string& to,
                                                        const std::vector<std::uint64_t>& only) {
  std::vector<std::uint64_t> ids = only;
  if (ids.empty()) {
    const std::string prefix = LinkPrefix(kind, from);
    QUIRE_ASSIGN_OR_RETURN(auto entries, txn_.Scan(ColumnFamily::kIndexes, prefix, 100'000));
    for (const auto& [key, value] : entries) {
      storage::KeyDecoder d(std::string_view(key).substr(prefix.size()));
      QUIRE_ASSIGN_OR_RETURN(const std::uint64_t id, d.U64());
      ids.push_back(id);
    }
  }
  std::vector<std::uint64_t> moved;
  for (const std::uint64_t id : ids) {
    auto read = ReadTask(id);
    if (!read && read.error().code() == ErrorCode::kNotFound) continue;  // completed since
    QUIRE_RETURN_IF_ERROR(read);
    TaskRecord t = std::move(*read);
    const TaskRecord before = t;
    bool changed = false;
    for (auto& [k, v] : t.links) {
      if (k == kind && v == from) {
        v = to;
        changed = true;
      }
    }
    if (!changed) continue;
    // One link per record: a task linked to both now holds `to` once.
    std::sort(t.links.begin(), t.links.end());
    t.links.erase(std::unique(t.links.begin(), t.links.end()), t.links.end());
    WriteTask(txn_, before, t);
    TaskHistory(t, "task_relinked", json::object{{"kind", kind}, {"from", from}, {"to", to}});
    Audit("task.relinked", "task/" + IdText(id), {{"kind", kind}, {"from", from}, {"to", to}});
    moved.push_back(id);
  }
  return moved;
}

Result<void> Runtime::AckNotification(std::uint64_t id, const std::string& user) {
  QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> groups, org::GroupsOf(txn_, user));
  groups.insert(groups.begin(), user);
  for (const std::string& to : groups) {
    const std::string key = NotificationKey(to, id);
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> found, txn_.Get(ColumnFamily::kIndexes, key));
    if (found) {
      txn_.Delete(ColumnFamily::kIndexes, key);
      return Ok();
    }
  }
  return Error::NotFound("notification " + IdText(id) + " is not in the queue of '" + user +
                         "' or their groups (acknowledged already?)");
}

}  // namespace quire::workflow
