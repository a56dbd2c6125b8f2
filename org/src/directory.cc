#include "quire/org/directory.h"

#include <algorithm>

namespace quire::org {

Directory::Directory(storage::Store& store, audit::AuditLog* audit, const Clock& clock)
    : store_(store), audit_(audit), clock_(clock) {}

Result<void> Directory::Change(const std::function<Result<void>(storage::KeyReadWriter&)>& stage,
                               std::vector<audit::EntryFields> entries) {
  return Write(stage, std::move(entries), /*invalidates=*/true);
}

Result<void> Directory::Record(const std::function<Result<void>(storage::KeyReadWriter&)>& stage,
                               std::vector<audit::EntryFields> entries) {
  return Write(stage, std::move(entries), /*invalidates=*/false);
}

Result<void> Directory::Write(const std::function<Result<void>(storage::KeyReadWriter&)>& stage,
                              std::vector<audit::EntryFields> entries, bool invalidates) {
  std::lock_guard lock(change_mu_);
  storage::BatchWriter writer(store_);
  QUIRE_RETURN_IF_ERROR(stage(writer));
  storage::WriteBatch batch = writer.Take();
  if (audit_ != nullptr) {
    QUIRE_RETURN_IF_ERROR(audit_->Commit(std::move(batch), std::move(entries), clock_.Now()));
  } else {
    QUIRE_RETURN_IF_ERROR(store_.Write(batch));
  }
  if (invalidates) generation_.fetch_add(1);
  return Ok();
}

Result<void> Directory::PutUser(const User& user, const audit::Actor& actor) {
  return Change([&](storage::KeyReadWriter& rw) { return org::PutUser(rw, user); },
                {{actor, "user.saved", "user/" + user.id, {}}});
}

Result<void> Directory::PutGroup(const Group& group, const audit::Actor& actor) {
  return Change([&](storage::KeyReadWriter& rw) { return org::PutGroup(rw, group); },
                {{actor, "group.saved", "group/" + group.id, {}}});
}

Result<void> Directory::AddMember(const std::string& group, const std::string& user,
                                  const audit::Actor& actor) {
  return Change([&](storage::KeyReadWriter& rw) { return org::AddMember(rw, group, user); },
                {{actor, "group.member-added", "group/" + group, {{"user", user}}}});
}

Result<void> Directory::RemoveMember(const std::string& group, const std::string& user,
                                     const audit::Actor& actor) {
  return Change([&](storage::KeyReadWriter& rw) { return org::RemoveMember(rw, group, user); },
                {{actor, "group.member-removed", "group/" + group, {{"user", user}}}});
}

Result<void> Directory::AddSubstitution(const Substitution& s, const audit::Actor& actor) {
  return Change([&](storage::KeyReadWriter& rw) { return org::AddSubstitution(rw, s); },
                {{actor, "user.substitute-added", "user/" + s.for_user, {{"substitute", s.user}}}});
}

Result<User> Directory::GetUser(const std::string& id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<User> u, FindUser(storage::SnapshotReader(store_), id));
  if (!u) return Error::NotFound("user '" + id + "' does not exist");
  return std::move(*u);
}

Result<std::vector<User>> Directory::ListUsers() const {
  return org::ListUsers(storage::SnapshotReader(store_));
}

Result<Group> Directory::GetGroup(const std::string& id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<Group> g, FindGroup(storage::SnapshotReader(store_), id));
  if (!g) return Error::NotFound("group '" + id + "' does not exist");
  return std::move(*g);
}

Result<std::vector<Group>> Directory::ListGroups() const {
  return org::ListGroups(storage::SnapshotReader(store_));
}

Result<std::vector<std::string>> Directory::Members(const std::string& group) const {
  QUIRE_RETURN_IF_ERROR(GetGroup(group));
  return MembersOf(storage::SnapshotReader(store_), group);
}

Result<std::vector<std::string>> Directory::GroupsOf(const std::string& user) const {
  return org::GroupsOf(storage::SnapshotReader(store_), user);
}

Result<bool> Directory::IsMember(const std::string& user, const std::string& group) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> row,
                         store_.Get(storage::ColumnFamily::kOrg, MemberOfKey(user, group)));
  return row.has_value();
}

}  // namespace quire::org
