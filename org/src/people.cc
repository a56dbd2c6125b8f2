#include "quire/org/people.h"

#include <boost/json/serialize.hpp>
#include <limits>

#include "quire/base/json_fields.h"
#include "quire/storage/key_codec.h"

namespace quire::org {
using storage::ColumnFamily;
using storage::KeyReader;
using storage::KeyReadWriter;
namespace json = boost::json;
using storage::KeyDecoder;
using storage::KeyEncoder;

std::string UserKey(std::string_view id) { return KeyEncoder().U8('u').String(id).Take(); }
std::string GroupKey(std::string_view id) { return KeyEncoder().U8('g').String(id).Take(); }
std::string MemberKey(std::string_view group, std::string_view user) {
  return KeyEncoder().U8('m').String(group).String(user).Take();
}
std::string MemberOfKey(std::string_view user, std::string_view group) {
  return KeyEncoder().U8('M').String(user).String(group).Take();
}
std::string SubstituteKey(std::string_view user, std::string_view for_user) {
  return KeyEncoder().U8('s').String(user).String(for_user).Take();
}

std::string EncodeUser(const User& u) {
  json::object o{{"id", u.id}, {"name", u.name}, {"email", u.email}, {"active", u.active}};
  if (!u.phone.empty()) o["phone"] = u.phone;
  if (!u.supervisor.empty()) o["supervisor"] = u.supervisor;
  return json::serialize(o);
}

Result<User> DecodeUser(std::string_view bytes) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(bytes, "user"));
  User u;
  u.id = StrOf(o, "id");
  u.name = StrOf(o, "name");
  u.email = StrOf(o, "email");
  u.phone = StrOf(o, "phone");
  const json::value* active = o.if_contains("active");
  u.active = active == nullptr || !active->is_bool() || active->get_bool();
  u.supervisor = StrOf(o, "supervisor");
  return u;
}

std::string EncodeGroup(const Group& g) {
  return json::serialize(json::object{{"id", g.id}, {"name", g.name}});
}

Result<Group> DecodeGroup(std::string_view bytes) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(bytes, "group"));
  return Group{StrOf(o, "id"), StrOf(o, "name")};
}

Result<void> CheckId(const std::string& id, const char* what) {
  if (id.empty() || id.size() > 128) {
    return Error::InvalidArgument(std::string("a ") + what + " id needs 1 to 128 characters");
  }
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '@';
    if (!ok) {
      return Error::InvalidArgument(std::string(what) + " id '" + id +
                                    "' may only hold letters, digits and . _ - @");
    }
  }
  return Ok();
}

Result<std::optional<User>> FindUser(const KeyReader& txn, const std::string& id) {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw, txn.Get(ColumnFamily::kOrg, UserKey(id)));
  if (!raw) return std::optional<User>();
  QUIRE_ASSIGN_OR_RETURN(User u, DecodeUser(*raw));
  return std::optional<User>(std::move(u));
}

Result<void> PutUser(KeyReadWriter& txn, const User& user) {
  QUIRE_RETURN_IF_ERROR(CheckId(user.id, "user"));
  if (!user.supervisor.empty()) {
    if (user.supervisor == user.id) {
      return Error::InvalidArgument("user '" + user.id + "' cannot be their own supervisor");
    }
    QUIRE_ASSIGN_OR_RETURN(std::optional<User> boss, FindUser(txn, user.supervisor));
    if (!boss) {
      return Error::InvalidArgument("supervisor '" + user.supervisor + "' of '" + user.id +
                                    "' is not a user; create them first");
    }
  }
  txn.Put(ColumnFamily::kOrg, UserKey(user.id), EncodeUser(user));
  return Ok();
}

Result<void> PutGroup(KeyReadWriter& txn, const Group& group) {
  QUIRE_RETURN_IF_ERROR(CheckId(group.id, "group"));
  txn.Put(ColumnFamily::kOrg, GroupKey(group.id), EncodeGroup(group));
  return Ok();
}

namespace {
Result<void> MustExist(const KeyReader& txn, const std::string& group, const std::string& user) {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> g,
                         txn.Get(ColumnFamily::kOrg, GroupKey(group)));
  if (!g) return Error::NotFound("group '" + group + "' does not exist");
  QUIRE_ASSIGN_OR_RETURN(std::optional<User> u, FindUser(txn, user));
  if (!u) return Error::NotFound("user '" + user + "' does not exist");
  return Ok();
}
}  // namespace

Result<void> AddMember(KeyReadWriter& txn, const std::string& group, const std::string& user) {
  QUIRE_RETURN_IF_ERROR(MustExist(txn, group, user));
  txn.Put(ColumnFamily::kOrg, MemberKey(group, user), "");
  txn.Put(ColumnFamily::kOrg, MemberOfKey(user, group), "");
  return Ok();
}

Result<void> RemoveMember(KeyReadWriter& txn, const std::string& group, const std::string& user) {
  QUIRE_RETURN_IF_ERROR(MustExist(txn, group, user));
  txn.Delete(ColumnFamily::kOrg, MemberKey(group, user));
  txn.Delete(ColumnFamily::kOrg, MemberOfKey(user, group));
  return Ok();
}

Result<void> AddSubstitution(KeyReadWriter& txn, const Substitution& s) {
  if (s.user == s.for_user) return Error::InvalidArgument("a user cannot stand in for themselves");
  if (s.to < s.from) return Error::InvalidArgument("a substitution cannot end before it starts");
  for (const std::string* id : {&s.user, &s.for_user}) {
    QUIRE_ASSIGN_OR_RETURN(std::optional<User> u, FindUser(txn, *id));
    if (!u) return Error::NotFound("user '" + *id + "' does not exist");
  }
  txn.Put(ColumnFamily::kOrg, SubstituteKey(s.user, s.for_user),
          json::serialize(json::object{{"from", s.from.time_since_epoch().count()},
                                       {"to", s.to.time_since_epoch().count()}}));
  return Ok();
}

Result<std::vector<std::string>> GroupsOf(const KeyReader& txn, const std::string& user) {
  const std::string prefix = KeyEncoder().U8('M').String(user).Take();
  QUIRE_ASSIGN_OR_RETURN(auto rows, txn.Scan(ColumnFamily::kOrg, prefix, 10'000));
  std::vector<std::string> out;
  for (const auto& [key, value] : rows) {
    KeyDecoder d(std::string_view(key).substr(prefix.size()));
    QUIRE_ASSIGN_OR_RETURN(std::string g, d.String());
    out.push_back(std::move(g));
  }
  return out;
}

Result<std::vector<std::string>> StandingInFor(const KeyReader& txn, const std::string& user,
                                               Timestamp now) {
  const std::string prefix = KeyEncoder().U8('s').String(user).Take();
  QUIRE_ASSIGN_OR_RETURN(auto rows, txn.Scan(ColumnFamily::kOrg, prefix, 1'000));
  std::vector<std::string> out;
  const std::int64_t at = now.time_since_epoch().count();
  for (const auto& [key, value] : rows) {
    QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(value, "substitution"));
    if (at < IntOf(o, "from") || at > IntOf(o, "to")) continue;
    KeyDecoder d(std::string_view(key).substr(prefix.size()));
    QUIRE_ASSIGN_OR_RETURN(std::string for_user, d.String());
    out.push_back(std::move(for_user));
  }
  return out;
}

Result<std::optional<Group>> FindGroup(const KeyReader& reader, const std::string& id) {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         reader.Get(ColumnFamily::kOrg, GroupKey(id)));
  if (!raw) return std::optional<Group>();
  QUIRE_ASSIGN_OR_RETURN(Group g, DecodeGroup(*raw));
  return std::optional<Group>(std::move(g));
}

Result<std::vector<User>> ListUsers(const KeyReader& reader) {
  QUIRE_ASSIGN_OR_RETURN(auto rows, reader.Scan(ColumnFamily::kOrg, std::string(1, 'u'),
                                                std::numeric_limits<std::size_t>::max()));
  std::vector<User> out;
  for (const auto& [key, value] : rows) {
    QUIRE_ASSIGN_OR_RETURN(User u, DecodeUser(value));
    out.push_back(std::move(u));
  }
  return out;
}

Result<std::vector<Group>> ListGroups(const KeyReader& reader) {
  QUIRE_ASSIGN_OR_RETURN(auto rows, reader.Scan(ColumnFamily::kOrg, std::string(1, 'g'),
                                                std::numeric_limits<std::size_t>::max()));
  std::vector<Group> out;
  for (const auto& [key, value] : rows) {
    QUIRE_ASSIGN_OR_RETURN(Group g, DecodeGroup(value));
    out.push_back(std::move(g));
  }
  return out;
}

Result<std::vector<std::string>> MembersOf(const KeyReader& reader, const std::string& group) {
  const std::string prefix = KeyEncoder().U8('m').String(group).Take();
  QUIRE_ASSIGN_OR_RETURN(
      auto rows, reader.Scan(ColumnFamily::kOrg, prefix, std::numeric_limits<std::size_t>::max()));
  std::vector<std::string> out;
  for (const auto& [key, value] : rows) {
    KeyDecoder d(std::string_view(key).substr(prefix.size()));
    QUIRE_ASSIGN_OR_RETURN(std::string u, d.String());
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace quire::org
