// The organisation's records in the `org` family. Stored: never change a tag.
//   'u' String(user)                    → JSON user
//   'g' String(group)                   → JSON group
//   'm' String(group) String(user)      → "" membership, by group
//   'M' String(user) String(group)      → "" membership, by user
//   's' String(substitute) String(for)  → JSON {from, to}: who stands in for whom
#pragma once

#include <string>
#include <vector>

#include "quire/base/result.h"
#include "quire/storage/store.h"
#include "quire/workflow/tasks.h"
#include "task_rights.h"
#include "txn.h"

namespace quire::workflow::org {

std::string UserKey(std::string_view id);
std::string GroupKey(std::string_view id);
std::string MemberKey(std::string_view group, std::string_view user);
std::string MemberOfKey(std::string_view user, std::string_view group);
std::string SubstituteKey(std::string_view user, std::string_view for_user);

std::string EncodeUser(const User& u);
Result<User> DecodeUser(std::string_view bytes);
std::string EncodeGroup(const Group& g);
Result<Group> DecodeGroup(std::string_view bytes);

// Ids name users and groups in URLs, CSV files and task settings: letters, digits and
// . _ - @, 1 to 128 characters.
Result<void> CheckId(const std::string& id, const char* what);

// Changes, staged in a command's Txn.
Result<void> PutUser(Txn& txn, const User& user);
Result<void> PutGroup(Txn& txn, const Group& group);
Result<void> AddMember(Txn& txn, const std::string& group, const std::string& user);
Result<void> RemoveMember(Txn& txn, const std::string& group, const std::string& user);
Result<void> AddSubstitution(Txn& txn, const Substitution& s);

// Reads, inside a command (Txn) or a query (SnapshotReader).
Result<std::optional<User>> FindUser(const KeyReader& txn, const std::string& id);
Result<std::vector<std::string>> GroupsOf(const KeyReader& txn, const std::string& user);
// The users `user` stands in for at `now`.
Result<std::vector<std::string>> StandingInFor(const KeyReader& txn, const std::string& user,
                                               Timestamp now);
// What the rights rules (task_rights.h) need to know about `user` acting on `task`.
Result<ActorFacts> FactsFor(const KeyReader& txn, const std::string& user, const TaskRecord& task,
                            Timestamp now);

}  // namespace quire::workflow::org
