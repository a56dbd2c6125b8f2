// Directory: the organisation as a service — users, groups, memberships, supervisors and
// substitutes — for the HTTP API, the CLI and the modules above (the DMS asks whether a
// user is in a group; the engine reads the same records through its own transaction with
// the functions of people.h).
//
// Every change is one atomic write with its audit entry (through the AuditLog when there
// is one, so that it takes its place in the chain's commit order), durable before the call
// returns. Changes are serialised by a mutex (they are rare); reads go to the store.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/org/people.h"
#include "quire/storage/key_reader.h"
#include "quire/storage/store.h"

namespace quire::org {

class Directory {
 public:
  // REQUIRES: `store`, `audit` (when not null) and `clock` outlive the directory. Without an
  // audit log, changes are written to the store directly (tests of other modules).
  Directory(storage::Store& store, audit::AuditLog* audit, const Clock& clock);

  // Creates or replaces a user / group. Errors: kInvalidArgument (bad id, unknown
  // supervisor).
  Result<void> PutUser(const User& user, const audit::Actor& actor);
  Result<void> PutGroup(const Group& group, const audit::Actor& actor);
  // Errors: kNotFound for an unknown user or group.
  Result<void> AddMember(const std::string& group, const std::string& user,
                         const audit::Actor& actor);
  Result<void> RemoveMember(const std::string& group, const std::string& user,
                            const audit::Actor& actor);
  Result<void> AddSubstitution(const Substitution& s, const audit::Actor& actor);

  // Errors: kNotFound.
  Result<User> GetUser(const std::string& id) const;
  Result<std::vector<User>> ListUsers() const;
  Result<Group> GetGroup(const std::string& id) const;
  Result<std::vector<Group>> ListGroups() const;
  // Errors: kNotFound for an unknown group.
  Result<std::vector<std::string>> Members(const std::string& group) const;
  Result<std::vector<std::string>> GroupsOf(const std::string& user) const;
  Result<bool> IsMember(const std::string& user, const std::string& group) const;

  // Goes up with every change made through Change(): caches of what follows from the
  // organisation (principals) compare it to know they are stale.
  std::uint64_t generation() const { return generation_.load(); }

  storage::Store& store() const { return store_; }
  const Clock& clock() const { return clock_; }

  // Runs `stage` on a fresh batch under the change mutex and commits what it staged with
  // `entries`; nothing is written when it fails. For the other org services (identity.h).
  Result<void> Change(const std::function<Result<void>(storage::KeyReadWriter&)>& stage,
                      std::vector<audit::EntryFields> entries);
  // As Change, for bookkeeping that changes nobody's rights (a session seen, a token used,
  // a sign-in recorded): the generation stays, so cached principals stay valid.
  Result<void> Record(const std::function<Result<void>(storage::KeyReadWriter&)>& stage,
                      std::vector<audit::EntryFields> entries);

 private:
  storage::Store& store_;
  audit::AuditLog* audit_;
  const Clock& clock_;
  std::mutex change_mu_;  // one change at a time: checks then writes
  std::atomic<std::uint64_t> generation_{1};

  Result<void> Write(const std::function<Result<void>(storage::KeyReadWriter&)>& stage,
                     std::vector<audit::EntryFields> entries, bool invalidates);
};

}  // namespace quire::org
