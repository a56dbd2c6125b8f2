#include "task_rights.h"

#include <algorithm>

#include "quire/org/people.h"

namespace quire::workflow {

const char* TaskOpName(TaskOp op) {
  switch (op) {
    case TaskOp::kClaim:
      return "claim";
    case TaskOp::kUnclaim:
      return "unclaim";
    case TaskOp::kComplete:
      return "complete";
    case TaskOp::kDelegate:
      return "delegate";
    case TaskOp::kResolve:
      return "resolve";
    case TaskOp::kReassign:
      return "reassign";
    case TaskOp::kPostpone:
      return "postpone";
    case TaskOp::kEscalate:
      return "escalate";
    case TaskOp::kComment:
      return "comment on";
    case TaskOp::kSetDue:
      return "move the due date of";
    case TaskOp::kView:
      return "see";
  }
  return "act on";
}

namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The identity under which `actor` is `user` (themselves or as substitute), or "".
std::string As(const ActorFacts& actor, const std::string& user) {
  if (user.empty()) return "";
  if (actor.user == user) return user;
  if (Contains(actor.standing_in_for, user)) return user;
  return "";
}

// Whether the actor may pick the unclaimed task: a candidate user (or their substitute), a
// member of a candidate group, or anyone when it names no candidates.
std::string Candidate(const ActorFacts& actor, const TaskRecord& t) {
  if (t.candidate_users.empty() && t.candidate_groups.empty()) return actor.user;
  for (const std::string& u : t.candidate_users) {
    if (std::string as = As(actor, u); !as.empty()) return as;
  }
  for (const std::string& g : t.candidate_groups) {
    if (Contains(actor.groups, g)) return actor.user;
  }
  return "";
}

Error Refuse(TaskOp op, const TaskRecord& t, const ActorFacts& actor, const std::string& why) {
  return Error::Forbidden("user '" + actor.user + "' may not " + TaskOpName(op) + " task " +
                          std::to_string(t.id) + ": " + why);
}

std::string Who(const TaskRecord& t) {
  return t.assignee.empty() ? "nobody" : "'" + t.assignee + "'";
}

}  // namespace

Result<std::string> CheckTaskRight(TaskOp op, const TaskRecord& t, const ActorFacts& actor) {
  if (!actor.active) {
    return Error::Forbidden("'" + actor.user +
                            "' is not an active user; only active users work on tasks");
  }
  const std::string as_assignee = As(actor, t.assignee);
  const bool supervises = !t.assignee.empty() && actor.user == actor.assignee_supervisor;
  switch (op) {
    case TaskOp::kClaim: {
      if (!t.assignee.empty()) {
        if (!as_assignee.empty()) return as_assignee;  // claiming again changes nothing
        return Error::Conflict("task " + std::to_string(t.id) + " is already claimed by '" +
                               t.assignee + "'");
      }
      std::string as = Candidate(actor, t);
      if (as.empty()) return Refuse(op, t, actor, "they are not one of its candidates");
      return as;
    }
    case TaskOp::kUnclaim:
      if (t.assignee.empty()) return Refuse(op, t, actor, "it is not claimed");
      if (!as_assignee.empty()) return as_assignee;
      if (supervises) return actor.user;
      return Refuse(op, t, actor, "it is claimed by " + Who(t) + ", whom they do not supervise");
    case TaskOp::kComplete:
      if (t.state == TaskRecord::State::kDelegated) {
        return Refuse(op, t, actor,
                      "it is delegated to '" + t.assignee + "', who resolves it; then its owner '" +
                          t.owner + "' completes it");
      }
      if (!as_assignee.empty()) return as_assignee;
      if (t.assignee.empty()) {
        std::string as = Candidate(actor, t);
        if (!as.empty()) return as;
        return Refuse(op, t, actor, "they are not one of its candidates");
      }
      return Refuse(op, t, actor, "it is claimed by " + Who(t));
    case TaskOp::kDelegate:
      if (!as_assignee.empty()) return as_assignee;
      return Refuse(op, t, actor, "only its assignee (" + Who(t) + ") delegates it");
    case TaskOp::kResolve:
      if (t.state != TaskRecord::State::kDelegated)
        return Refuse(op, t, actor, "it is not delegated");
      if (!as_assignee.empty()) return as_assignee;
      return Refuse(op, t, actor, "it is delegated to " + Who(t));
    case TaskOp::kReassign:
    case TaskOp::kSetDue:
    case TaskOp::kEscalate: {
      if (!as_assignee.empty()) return as_assignee;
      if (std::string as = As(actor, t.owner); !as.empty()) return as;
      if (supervises) return actor.user;
      if (!t.owner.empty() && actor.user == actor.owner_supervisor) return actor.user;
      if (t.assignee.empty() && op == TaskOp::kEscalate) {
        std::string as = Candidate(actor, t);
        if (!as.empty()) return as;
      }
      return Refuse(op, t, actor,
                    "only its assignee (" + Who(t) + "), its owner or their supervisor may");
    }
    case TaskOp::kPostpone:
      if (!as_assignee.empty()) return as_assignee;
      if (t.assignee.empty()) {
        std::string as = Candidate(actor, t);
        if (!as.empty()) return as;
      }
      return Refuse(op, t, actor, "only its assignee (" + Who(t) + ") may");
    case TaskOp::kView:
    case TaskOp::kComment: {
      if (!as_assignee.empty()) return as_assignee;
      if (std::string as = As(actor, t.owner); !as.empty()) return as;
      if (supervises) return actor.user;
      // A task that names no candidates is everyone's while unclaimed; once claimed it is
      // its assignee's (and their supervisor's). Named candidates keep seeing their queue's.
      const bool names_candidates = !t.candidate_users.empty() || !t.candidate_groups.empty();
      if (t.assignee.empty() || names_candidates) {
        if (std::string as = Candidate(actor, t); !as.empty()) return as;
      }
      return Refuse(op, t, actor, "they cannot see it");
    }
  }
  return Error::Internal("unknown task operation");
}

Result<ActorFacts> FactsFor(const storage::KeyReader& reader, const std::string& user,
                            const TaskRecord& task, Timestamp now) {
  ActorFacts f;
  f.user = user;
  QUIRE_ASSIGN_OR_RETURN(std::optional<org::User> u, org::FindUser(reader, user));
  f.active = u && u->active;
  if (!f.active) return f;
  // The assignee acting on their own task needs no more facts (the common case: keep it
  // to one read).
  if (task.assignee == user) return f;
  QUIRE_ASSIGN_OR_RETURN(f.groups, org::GroupsOf(reader, user));
  QUIRE_ASSIGN_OR_RETURN(f.standing_in_for, org::StandingInFor(reader, user, now));
  for (auto [who, out] : {std::pair{&task.assignee, &f.assignee_supervisor},
                          std::pair{&task.owner, &f.owner_supervisor}}) {
    if (who->empty()) continue;
    QUIRE_ASSIGN_OR_RETURN(std::optional<org::User> w, org::FindUser(reader, *who));
    if (w) *out = w->supervisor;
  }
  return f;
}

}  // namespace quire::workflow
