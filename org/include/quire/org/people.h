// The organisation's people and groups, as records in the store's `org` family, read and
// written through storage::KeyReader / KeyWriter so that a change can join the caller's
// batch (an engine command, a Directory change with its audit entries).
//
// Records (stored: never change a tag):
//   'u' String(user)                    → JSON user
//   'g' String(group)                   → JSON group
//   'm' String(group) String(user)      → "" membership, by group
//   'M' String(user) String(group)      → "" membership, by user
//   's' String(substitute) String(for)  → JSON {from, to}: who stands in for whom
// Roles, grants, credentials, sessions and tokens have tags of their own (access.h,
// identity.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/storage/key_reader.h"

namespace quire::org {

struct User {
  std::string id;
  std::string name;
  std::string email;
  std::string phone;
  bool active = true;
  std::string supervisor;  // a user id, or empty
};

struct Group {
  std::string id;
  std::string name;
};

// `user` stands in for `for_user` from `from` to `to` (inclusive days as timestamps).
struct Substitution {
  std::string user;
  std::string for_user;
  Timestamp from;
  Timestamp to;
};

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
// . _ - @, 1 to 128 characters. Errors: kInvalidArgument saying what is wrong.
Result<void> CheckId(const std::string& id, const char* what);

// Changes, staged in `rw` (read first: checks see the caller's own staged writes).
// Errors: kInvalidArgument (bad id, unknown supervisor), kNotFound (unknown user or group).
Result<void> PutUser(storage::KeyReadWriter& rw, const User& user);
Result<void> PutGroup(storage::KeyReadWriter& rw, const Group& group);
Result<void> AddMember(storage::KeyReadWriter& rw, const std::string& group,
                       const std::string& user);
Result<void> RemoveMember(storage::KeyReadWriter& rw, const std::string& group,
                          const std::string& user);
Result<void> AddSubstitution(storage::KeyReadWriter& rw, const Substitution& s);

// Reads, inside a command or from a snapshot.
Result<std::optional<User>> FindUser(const storage::KeyReader& reader, const std::string& id);
Result<std::optional<Group>> FindGroup(const storage::KeyReader& reader, const std::string& id);
Result<std::vector<User>> ListUsers(const storage::KeyReader& reader);
Result<std::vector<Group>> ListGroups(const storage::KeyReader& reader);
Result<std::vector<std::string>> GroupsOf(const storage::KeyReader& reader,
                                          const std::string& user);
Result<std::vector<std::string>> MembersOf(const storage::KeyReader& reader,
                                           const std::string& group);
// The users `user` stands in for at `now`.
Result<std::vector<std::string>> StandingInFor(const storage::KeyReader& reader,
                                               const std::string& user, Timestamp now);

}  // namespace quire::org
