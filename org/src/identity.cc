#include "quire/org/identity.h"

#include <liboath/oath.h>
#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <unordered_set>

#include "quire/base/hex.h"
#include "quire/base/json_fields.h"
#include "quire/base/sha256.h"
#include "quire/storage/key_codec.h"

namespace quire::org {

std::string_view CommonPasswordsText();  // common_passwords.cc (generated)

namespace {

namespace json = boost::json;
using storage::ColumnFamily;
using storage::KeyDecoder;
using storage::KeyEncoder;
using storage::KeyReader;
using storage::KeyReadWriter;

constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();
constexpr auto kWriteEvery = std::chrono::minutes(1);
constexpr std::string_view kWrongCredentials =
    "wrong user name or password (or the account is disabled)";

// ---- keys ----
std::string RoleKey(std::string_view role) { return KeyEncoder().U8('r').String(role).Take(); }
std::string UserRoleKey(std::string_view user, std::string_view role) {
  return KeyEncoder().U8('R').String(user).String(role).Take();
}
std::string UserRolePrefix(std::string_view user) {
  return KeyEncoder().U8('R').String(user).Take();
}
std::string GroupRoleKey(std::string_view group, std::string_view role) {
  return KeyEncoder().U8('Q').String(group).String(role).Take();
}
std::string GroupRolePrefix(std::string_view group) {
  return KeyEncoder().U8('Q').String(group).Take();
}
std::string CredentialKey(std::string_view user) {
  return KeyEncoder().U8('c').String(user).Take();
}
std::string SessionKey(std::string_view hash) { return KeyEncoder().U8('S').String(hash).Take(); }
std::string UserSessionKey(std::string_view user, std::string_view id) {
  return KeyEncoder().U8('x').String(user).String(id).Take();
}
std::string UserSessionPrefix(std::string_view user) {
  return KeyEncoder().U8('x').String(user).Take();
}
std::string TokenKey(std::string_view id) { return KeyEncoder().U8('t').String(id).Take(); }
std::string TokenHashKey(std::string_view hash) { return KeyEncoder().U8('T').String(hash).Take(); }

std::int64_t Ms(Timestamp t) { return t.time_since_epoch().count(); }
Timestamp At(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }

// ---- randomness and encodings ----
std::string RandomBytes(std::size_t n) {
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

std::string Base64Url(std::string_view bytes) {
  const std::size_t len =
      sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::string out(len, '\0');
  sodium_bin2base64(out.data(), len, reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(len - 1);  // the terminating NUL
  return out;
}

// 128 bits of public id: names a session or token without revealing its secret.
std::string NewId() { return Hex(RandomBytes(8)); }

std::string SecretHash(std::string_view secret) { return Sha256Hex(secret); }

// ---- the last names of a key ----
Result<std::vector<std::string>> SecondNames(const KeyReader& reader, const std::string& prefix) {
  QUIRE_ASSIGN_OR_RETURN(auto rows, reader.Scan(ColumnFamily::kOrg, prefix, kAll));
  std::vector<std::string> out;
  for (const auto& [key, value] : rows) {
    KeyDecoder d(std::string_view(key).substr(prefix.size()));
    QUIRE_ASSIGN_OR_RETURN(std::string name, d.String());
    out.push_back(std::move(name));
  }
  return out;
}

// ---- records ----
json::object RoleJson(const Role& r) {
  json::array grants;
  for (const Grant& g : r.grants) {
    grants.push_back(json::object{{"permission", Name(g.permission)}, {"scope", Name(g.scope)}});
  }
  return {{"id", r.id},
          {"name", r.name},
          {"description", r.description},
          {"grants", std::move(grants)},
          {"requireTotp", r.require_totp}};
}

Result<Role> DecodeRole(std::string_view bytes) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(bytes, "role"));
  Role r;
  r.id = StrOf(o, "id");
  r.name = StrOf(o, "name");
  r.description = StrOf(o, "description");
  if (const json::value* t = o.if_contains("requireTotp"); t && t->is_bool()) {
    r.require_totp = t->get_bool();
  }
  if (const json::value* gs = o.if_contains("grants"); gs && gs->is_array()) {
    for (const json::value& g : gs->get_array()) {
      if (!g.is_object()) continue;
      auto p = ParsePermission(StrOf(g.get_object(), "permission"));
      auto s = ParseScope(StrOf(g.get_object(), "scope"));
      if (p && s) r.grants.push_back({*p, *s});  // a permission of a newer Quire: ignored
    }
  }
  return r;
}

Result<std::optional<Role>> FindRole(const KeyReader& reader, const std::string& id) {
  if (const Role* b = FindBuiltInRole(id)) return std::optional<Role>(*b);
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         reader.Get(ColumnFamily::kOrg, RoleKey(id)));
  if (!raw) return std::optional<Role>();
  QUIRE_ASSIGN_OR_RETURN(Role r, DecodeRole(*raw));
  return std::optional<Role>(std::move(r));
}

struct Credentials {
  std::string hash;  // crypto_pwhash_str output; empty: no password set
  Timestamp changed;
  std::string totp_secret;  // raw bytes, base32 in the record
  bool totp_enabled = false;
  std::uint64_t totp_last_step = 0;   // the newest code accepted: older ones are replays
  std::vector<std::string> recovery;  // SHA-256 hex of unused recovery codes
};

std::string EncodeCredentials(const Credentials& c) {
  json::object o{{"hash", c.hash}, {"changed", Ms(c.changed)}};
  if (!c.totp_secret.empty()) {
    char* b32 = nullptr;
    std::size_t len = 0;
    if (oath_base32_encode(c.totp_secret.data(), c.totp_secret.size(), &b32, &len) == OATH_OK) {
      o["totp"] = json::object{{"secret", std::string(b32, len)},
                               {"enabled", c.totp_enabled},
                               {"lastStep", c.totp_last_step}};
      std::free(b32);
    }
  }
  if (!c.recovery.empty()) o["recovery"] = json::array(c.recovery.begin(), c.recovery.end());
  return json::serialize(o);
}

Result<Credentials> DecodeCredentials(std::string_view bytes) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(bytes, "credentials"));
  Credentials c;
  c.hash = StrOf(o, "hash");
  c.changed = At(IntOf(o, "changed"));
  if (const json::value* t = o.if_contains("totp"); t && t->is_object()) {
    const std::string b32 = StrOf(t->get_object(), "secret");
    char* raw = nullptr;
    std::size_t len = 0;
    if (oath_base32_decode(b32.data(), b32.size(), &raw, &len) == OATH_OK) {
      c.totp_secret.assign(raw, len);
      std::free(raw);
    }
    const json::value* e = t->get_object().if_contains("enabled");
    c.totp_enabled = e && e->is_bool() && e->get_bool();
    c.totp_last_step = static_cast<std::uint64_t>(IntOf(t->get_object(), "lastStep"));
  }
  if (const json::value* r = o.if_contains("recovery"); r && r->is_array()) {
    for (const json::value& v : r->get_array()) {
      if (v.is_string()) c.recovery.emplace_back(v.get_string());
    }
  }
  return c;
}

Result<std::optional<Credentials>> FindCredentials(const KeyReader& reader,
                                                   const std::string& user) {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         reader.Get(ColumnFamily::kOrg, CredentialKey(user)));
  if (!raw) return std::optional<Credentials>();
  QUIRE_ASSIGN_OR_RETURN(Credentials c, DecodeCredentials(*raw));
  return std::optional<Credentials>(std::move(c));
}

std::string EncodeSession(const SessionInfo& s, std::string_view csrf) {
  return json::serialize(json::object{{"id", s.id},
                                      {"user", s.user},
                                      {"created", Ms(s.created)},
                                      {"seen", Ms(s.last_seen)},
                                      {"address", s.address},
                                      {"agent", s.agent},
                                      {"csrf", csrf}});
}

Result<std::pair<SessionInfo, std::string>> DecodeSession(std::string_view bytes) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(bytes, "session"));
  SessionInfo s{StrOf(o, "id"),       StrOf(o, "user"),    At(IntOf(o, "created")),
                At(IntOf(o, "seen")), StrOf(o, "address"), StrOf(o, "agent")};
  return std::pair{std::move(s), StrOf(o, "csrf")};
}

std::string EncodeToken(const TokenInfo& t, std::string_view hash) {
  json::object o{{"id", t.id},        {"user", t.user},
                 {"name", t.name},    {"created", Ms(t.created)},
                 {"hash", hash},      {"roles", json::array(t.roles.begin(), t.roles.end())},
                 {"by", t.created_by}};
  if (t.expires) o["expires"] = Ms(*t.expires);
  if (t.last_used) o["lastUsed"] = Ms(*t.last_used);
  return json::serialize(o);
}

Result<std::pair<TokenInfo, std::string>> DecodeToken(std::string_view bytes) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(bytes, "token"));
  TokenInfo t;
  t.id = StrOf(o, "id");
  t.user = StrOf(o, "user");
  t.name = StrOf(o, "name");
  t.created = At(IntOf(o, "created"));
  t.created_by = StrOf(o, "by");
  if (o.contains("expires")) t.expires = At(IntOf(o, "expires"));
  if (o.contains("lastUsed")) t.last_used = At(IntOf(o, "lastUsed"));
  if (const json::value* r = o.if_contains("roles"); r && r->is_array()) {
    for (const json::value& v : r->get_array()) {
      if (v.is_string()) t.roles.emplace_back(v.get_string());
    }
  }
  return std::pair{std::move(t), StrOf(o, "hash")};
}

// ---- passwords ----
const std::unordered_set<std::string_view>& CommonPasswords() {
  static const std::unordered_set<std::string_view> set = [] {
    std::unordered_set<std::string_view> s;
    std::string_view text = CommonPasswordsText();
    while (!text.empty()) {
      const std::size_t nl = text.find('\n');
      const std::string_view line = text.substr(0, nl);
      if (!line.empty()) s.insert(line);
      if (nl == std::string_view::npos) break;
      text.remove_prefix(nl + 1);
    }
    return s;
  }();
  return set;
}

std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0 && oath_init() == OATH_OK;
  return ready;
}

// The Argon2id hash of `password` at the options' cost.
Result<std::string> HashPassword(std::string_view password, const IdentityOptions& options) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), options.hash_passes,
                        options.hash_memory_bytes) != 0) {
    return Error::Unavailable("not enough memory to hash a password; try again");
  }
  return std::string(out);
}

}  // namespace

Result<void> CheckPasswordRules(std::string_view password, std::string_view user) {
  const std::size_t n = CodePoints(password);
  auto refuse = [](const std::string& message) {
    return Error::ValidationFailed("the password is refused: " + message, {{"password", message}});
  };
  if (n < 8) return refuse("it needs at least 8 characters (a passphrase of a few words is best)");
  if (n > 128) return refuse("it may have at most 128 characters");
  const std::string lower = Lower(password);
  if (CommonPasswords().contains(lower)) {
    return refuse("it is one of the most common passwords, which are tried first; choose another");
  }
  if (!user.empty() && lower == Lower(user)) return refuse("it is the user name");
  return Ok();
}

Identity::Identity(Directory& directory, const IdentityOptions& options)
    : directory_(directory), options_(options) {
  if (!SodiumReady()) std::abort();  // libsodium cannot work without its random source
}

const std::string& Identity::DummyHash() const {
  // Made at the first sign-in of an unknown user, not at start: CLI commands never need it.
  std::call_once(dummy_once_, [this] {
    auto dummy = HashPassword(Base64Url(RandomBytes(16)), options_);
    dummy_hash_ = dummy ? *dummy : std::string();
  });
  return dummy_hash_;
}

void Identity::Forget() {
  std::lock_guard lock(mu_);
  tokens_.clear();
  sessions_.clear();
}

// ---- principals ----

Result<std::shared_ptr<Principal>> Identity::BuildPrincipal(const KeyReader& reader,
                                                            const std::string& user) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<User> u, FindUser(reader, user));
  if (!u) return Error::NotFound("user '" + user + "' does not exist");
  if (!u->active) return Error::Forbidden("user '" + user + "' is disabled");
  auto p = std::make_shared<Principal>();
  p->user = user;
  std::set<std::string> roles;
  QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> direct,
                         SecondNames(reader, UserRolePrefix(user)));
  roles.insert(direct.begin(), direct.end());
  QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> groups, GroupsOf(reader, user));
  for (const std::string& g : groups) {
    QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> of_group,
                           SecondNames(reader, GroupRolePrefix(g)));
    roles.insert(of_group.begin(), of_group.end());
  }
  std::sort(groups.begin(), groups.end());
  p->groups = std::move(groups);
  for (const std::string& id : roles) {
    QUIRE_ASSIGN_OR_RETURN(std::optional<Role> role, FindRole(reader, id));
    if (!role) continue;  // deleted since: grants nothing
    p->roles.push_back(id);
    for (const Grant& g : role->grants) p->permissions.Add(g);
  }
  return p;
}

Result<std::shared_ptr<const Principal>> Identity::PrincipalOf(const std::string& user) const {
  QUIRE_ASSIGN_OR_RETURN(std::shared_ptr<Principal> p,
                         BuildPrincipal(storage::SnapshotReader(directory_.store()), user));
  return std::shared_ptr<const Principal>(std::move(p));
}

// ---- passwords ----

Result<void> Identity::SetPassword(const std::string& user, std::string_view password,
                                   const audit::Actor& actor) {
  QUIRE_RETURN_IF_ERROR(CheckPasswordRules(password, user));
  QUIRE_ASSIGN_OR_RETURN(std::string hash, HashPassword(password, options_));
  QUIRE_RETURN_IF_ERROR(directory_.Change(
      [&](KeyReadWriter& rw) -> Result<void> {
        QUIRE_ASSIGN_OR_RETURN(std::optional<User> u, FindUser(rw, user));
        if (!u) return Error::NotFound("user '" + user + "' does not exist");
        QUIRE_ASSIGN_OR_RETURN(std::optional<Credentials> c, FindCredentials(rw, user));
        Credentials creds = c.value_or(Credentials{});
        creds.hash = hash;
        creds.changed = Now();
        rw.Put(ColumnFamily::kOrg, CredentialKey(user), EncodeCredentials(creds));
        return StageEndSessions(rw, user);
      },
      {{actor, "user.password-changed", "user/" + user, {}}}));
  Forget();
  if (!options_.initial_password_file.empty() && user == "admin") {
    std::error_code ec;
    std::filesystem::remove(options_.initial_password_file, ec);
  }
  return Ok();
}

Result<void> Identity::ChangeOwnPassword(const audit::Actor& self, std::string_view current,
                                         std::string_view password) {
  bool rehash = false;
  QUIRE_RETURN_IF_ERROR(VerifyPassword(self.id, current, &rehash));
  return SetPassword(self.id, password, self);
}

Result<void> Identity::VerifyPassword(const std::string& user, std::string_view password,
                                      bool* rehash) const {
  storage::SnapshotReader reader(directory_.store());
  QUIRE_ASSIGN_OR_RETURN(std::optional<User> u, FindUser(reader, user));
  QUIRE_ASSIGN_OR_RETURN(std::optional<Credentials> c,
                         u ? FindCredentials(reader, user)
                           : Result<std::optional<Credentials>>(std::optional<Credentials>()));
  const std::string& hash = c && !c->hash.empty() ? c->hash : DummyHash();
  const bool verified =
      crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
  if (!u || !c || c->hash.empty() || !verified || !u->active) {
    return Error::Unauthenticated(std::string(kWrongCredentials));
  }
  *rehash = crypto_pwhash_str_needs_rehash(hash.c_str(), options_.hash_passes,
                                           options_.hash_memory_bytes) != 0;
  return Ok();
}

Result<void> Identity::SetActive(const std::string& user, bool active, const audit::Actor& actor) {
  QUIRE_RETURN_IF_ERROR(directory_.Change(
      [&](KeyReadWriter& rw) -> Result<void> {
        QUIRE_ASSIGN_OR_RETURN(std::optional<User> u, FindUser(rw, user));
        if (!u) return Error::NotFound("user '" + user + "' does not exist");
        u->active = active;
        rw.Put(ColumnFamily::kOrg, UserKey(user), EncodeUser(*u));
        if (!active) return StageEndSessions(rw, user);
        return Ok();
      },
      {{actor, active ? "user.enabled" : "user.disabled", "user/" + user, {}}}));
  Forget();
  return Ok();
}

// ---- roles ----

Result<std::vector<Role>> Identity::ListRoles() const {
  std::vector<Role> out = BuiltInRoles();
  storage::SnapshotReader reader(directory_.store());
  QUIRE_ASSIGN_OR_RETURN(auto rows, reader.Scan(ColumnFamily::kOrg, std::string(1, 'r'), kAll));
  for (const auto& [key, value] : rows) {
    QUIRE_ASSIGN_OR_RETURN(Role r, DecodeRole(value));
    out.push_back(std::move(r));
  }
  return out;
}

Result<Role> Identity::GetRole(const std::string& id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<Role> r,
                         FindRole(storage::SnapshotReader(directory_.store()), id));
  if (!r) return Error::NotFound("role '" + id + "' does not exist");
  return std::move(*r);
}

Result<void> Identity::PutRole(const Role& role, const audit::Actor& actor) {
  QUIRE_RETURN_IF_ERROR(CheckId(role.id, "role"));
  if (FindBuiltInRole(role.id) != nullptr) {
    return Error::InvalidArgument("'" + role.id +
                                  "' is a built-in role and cannot be changed; define a role "
                                  "of another name");
  }
  QUIRE_RETURN_IF_ERROR(directory_.Change(
      [&](KeyReadWriter& rw) -> Result<void> {
        Role stored = role;
        stored.built_in = false;
        rw.Put(ColumnFamily::kOrg, RoleKey(role.id), json::serialize(RoleJson(stored)));
        return Ok();
      },
      {{actor, "role.saved", "role/" + role.id, {}}}));
  Forget();
  return Ok();
}

Result<void> Identity::DeleteRole(const std::string& id, const audit::Actor& actor) {
  if (FindBuiltInRole(id) != nullptr) {
    return Error::InvalidArgument("'" + id + "' is a built-in role and cannot be deleted");
  }
  QUIRE_RETURN_IF_ERROR(directory_.Change(
      [&](KeyReadWriter& rw) -> Result<void> {
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                               rw.Get(ColumnFamily::kOrg, RoleKey(id)));
        if (!raw) return Error::NotFound("role '" + id + "' does not exist");
        rw.Delete(ColumnFamily::kOrg, RoleKey(id));
        return Ok();
      },
      {{actor, "role.deleted", "role/" + id, {}}}));
  Forget();
  return Ok();
}

namespace {

Result<void> CheckRolesExist(const KeyReader& reader, const std::vector<std::string>& roles) {
  for (const std::string& r : roles) {
    QUIRE_ASSIGN_OR_RETURN(std::optional<Role> role, FindRole(reader, r));
    if (!role) {
      std::string names;
      for (const Role& b : BuiltInRoles()) names += (names.empty() ? "" : ", ") + b.id;
      return Error::NotFound("role '" + r + "' does not exist (built-in roles: " + names +
                             "; GET /api/roles lists all)");
    }
  }
  return Ok();
}

json::array RolesArray(const std::vector<std::string>& roles) {
  return json::array(roles.begin(), roles.end());
}

}  // namespace

Result<void> Identity::SetUserRoles(const std::string& user, const std::vector<std::string>& roles,
                                    const audit::Actor& actor) {
  QUIRE_RETURN_IF_ERROR(directory_.Change(
      [&](KeyReadWriter& rw) -> Result<void> {
        QUIRE_ASSIGN_OR_RETURN(std::optional<User> u, FindUser(rw, user));
        if (!u) return Error::NotFound("user '" + user + "' does not exist");
        QUIRE_RETURN_IF_ERROR(CheckRolesExist(rw, roles));
        QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> old, SecondNames(rw, UserRolePrefix(user)));
        for (const std::string& r : old) rw.Delete(ColumnFamily::kOrg, UserRoleKey(user, r));
        for (const std::string& r : roles) rw.Put(ColumnFamily::kOrg, UserRoleKey(user, r), "");
        return Ok();
      },
      {{actor, "user.roles-changed", "user/" + user, {{"roles", RolesArray(roles)}}}}));
  Forget();
  return Ok();
}

Result<void> Identity::SetGroupRoles(const std::string& group,
                                     const std::vector<std::string>& roles,
                                     const audit::Actor& actor) {
  QUIRE_RETURN_IF_ERROR(directory_.Change(
      [&](KeyReadWriter& rw) -> Result<void> {
        QUIRE_ASSIGN_OR_RETURN(std::optional<Group> g, FindGroup(rw, group));
        if (!g) return Error::NotFound("group '" + group + "' does not exist");
        QUIRE_RETURN_IF_ERROR(CheckRolesExist(rw, roles));
        QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> old,
                               SecondNames(rw, GroupRolePrefix(group)));
        for (const std::string& r : old) rw.Delete(ColumnFamily::kOrg, GroupRoleKey(group, r));
        for (const std::string& r : roles) rw.Put(ColumnFamily::kOrg, GroupRoleKey(group, r), "");
        return Ok();
      },
      {{actor, "group.roles-changed", "group/" + group, {{"roles", RolesArray(roles)}}}}));
  Forget();
  return Ok();
}

// ---- accounts ----

Result<void> Identity::PutUser(const User& user,
                               const std::optional<std::vector<std::string>>& roles,
                               std::string_view password, bool must_be_new,
                               const audit::Actor& actor) {
  std::optional<std::string> hash;
  if (!password.empty()) {
    QUIRE_RETURN_IF_ERROR(CheckPasswordRules(password, user.id));
    QUIRE_ASSIGN_OR_RETURN(hash, HashPassword(password, options_));
  }
  std::vector<audit::EntryFields> entries{{actor, "user.saved", "user/" + user.id, {}}};
  if (roles) {
    entries.push_back(
        {actor, "user.roles-changed", "user/" + user.id, {{"roles", RolesArray(*roles)}}});
  }
  if (hash) entries.push_back({actor, "user.password-changed", "user/" + user.id, {}});
  QUIRE_RETURN_IF_ERROR(directory_.Change(
      [&](KeyReadWriter& rw) -> Result<void> {
        QUIRE_ASSIGN_OR_RETURN(std::optional<User> old, FindUser(rw, user.id));
        if (old && must_be_new) {
          return Error::Conflict("user '" + user.id + "' exists already");
        }
        if (roles) QUIRE_RETURN_IF_ERROR(CheckRolesExist(rw, *roles));
        QUIRE_RETURN_IF_ERROR(org::PutUser(rw, user));
        if (roles) {
          QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> had,
                                 SecondNames(rw, UserRolePrefix(user.id)));
          for (const std::string& r : had) rw.Delete(ColumnFamily::kOrg, UserRoleKey(user.id, r));
          for (const std::string& r : *roles) {
            rw.Put(ColumnFamily::kOrg, UserRoleKey(user.id, r), "");
          }
        }
        if (hash) {
          QUIRE_ASSIGN_OR_RETURN(std::optional<Credentials> c, FindCredentials(rw, user.id));
          Credentials creds = c.value_or(Credentials{});
          creds.hash = *hash;
          creds.changed = Now();
          rw.Put(ColumnFamily::kOrg, CredentialKey(user.id), EncodeCredentials(creds));
          QUIRE_RETURN_IF_ERROR(StageEndSessions(rw, user.id));
        }
        return Ok();
      },
      std::move(entries)));
  Forget();
  return Ok();
}

Result<std::vector<std::string>> Identity::UserRoles(const std::string& user) const {
  return SecondNames(storage::SnapshotReader(directory_.store()), UserRolePrefix(user));
}

Result<std::vector<std::string>> Identity::GroupRoles(const std::string& group) const {
  return SecondNames(storage::SnapshotReader(directory_.store()), GroupRolePrefix(group));
}

// ---- throttling ----

Result<void> Identity::CheckThrottle(const std::string& key, Timestamp now) {
  std::lock_guard lock(mu_);
  const auto it = throttles_.find(key);
  if (it == throttles_.end() || now >= it->second.until) return Ok();
  const auto wait = std::chrono::duration_cast<std::chrono::seconds>(it->second.until - now);
  const long seconds = std::max<long>(1, static_cast<long>(wait.count()) + 1);
  return Error::TooManyRequests(
      "too many failed sign-ins; try again in " + std::to_string(seconds) + " s", seconds);
}

void Identity::RecordFailure(const std::string& key, int allowed, Timestamp now) {
  std::lock_guard lock(mu_);
  Throttle& t = throttles_[key];
  ++t.failures;
  if (t.failures < allowed) return;
  // 1 s after the allowed failures, doubling with each further one, capped: an attacker can
  // slow an account's sign-ins, never lock its owner out for good.
  const int over = std::min(t.failures - allowed, 30);
  const auto delay = std::min<std::chrono::milliseconds>(std::chrono::seconds(1) * (1LL << over),
                                                         options_.max_backoff);
  t.until = now + delay;
  if (throttles_.size() > 100'000) {  // forget the oldest: memory stays bounded
    for (auto i = throttles_.begin(); i != throttles_.end();) {
      i = i->second.until < now ? throttles_.erase(i) : std::next(i);
    }
  }
}

// ---- sessions ----

Result<void> Identity::StageEndSessions(KeyReadWriter& rw, const std::string& user) {
  const std::string prefix = UserSessionPrefix(user);
  QUIRE_ASSIGN_OR_RETURN(auto rows, rw.Scan(ColumnFamily::kOrg, prefix, kAll));
  for (const auto& [key, hash] : rows) {
    rw.Delete(ColumnFamily::kOrg, key);
    rw.Delete(ColumnFamily::kOrg, SessionKey(hash));
  }
  return Ok();
}

Result<LoginResult> Identity::Login(const LoginRequest& request) {
  const Timestamp now = Now();
  const std::string account_key = "u:" + request.user;
  const std::string address_key = "a:" + request.address;
  QUIRE_RETURN_IF_ERROR(CheckThrottle(account_key, now));
  QUIRE_RETURN_IF_ERROR(CheckThrottle(address_key, now));

  // The chain holds ids of users that exist, never what a stranger typed.
  storage::SnapshotReader reader(directory_.store());
  QUIRE_ASSIGN_OR_RETURN(std::optional<User> known, FindUser(reader, request.user));
  const std::string object = known ? "user/" + request.user : std::string("user/?");
  auto fail = [&](Error error, std::string_view why) -> Result<LoginResult> {
    RecordFailure(account_key, options_.account_failures_allowed, now);
    RecordFailure(address_key, options_.address_failures_allowed, now);
    (void)directory_.Record([](KeyReadWriter&) { return Ok(); },
                            {{"anonymous",
                              "session.refused",
                              object,
                              {{"reason", why}, {"address", request.address}}}});
    return error;
  };

  bool rehash = false;
  if (auto verified = VerifyPassword(request.user, request.password, &rehash); !verified) {
    return fail(verified.error(), "credentials");
  }
  QUIRE_ASSIGN_OR_RETURN(std::optional<Credentials> creds, FindCredentials(reader, request.user));
  std::optional<std::uint64_t> step;
  std::optional<std::size_t> recovery_used;
  if (creds->totp_enabled) {
    if (request.totp.empty()) {
      return fail(Error::Unauthenticated("this account signs in with a second factor: send "
                                         "\"totp\" with the 6-digit code of your "
                                         "authenticator app (or a recovery code)"),
                  "totp missing");
    }
    int pos = 0;
    std::uint64_t counter = 0;
    const int r = oath_totp_validate3(creds->totp_secret.data(), creds->totp_secret.size(),
                                      static_cast<time_t>(Ms(now) / 1000), 30, 0, 1, &pos, &counter,
                                      request.totp.c_str());
    if (r >= 0 && counter > creds->totp_last_step) {
      step = counter;
    } else {
      const std::string hash = SecretHash(request.totp);
      const auto it = std::find(creds->recovery.begin(), creds->recovery.end(), hash);
      if (it == creds->recovery.end()) {
        return fail(Error::Unauthenticated(r >= 0 ? "this second-factor code was used already; "
                                                    "wait for the next one"
                                                  : "wrong second-factor code"),
                    r >= 0 ? "totp replayed" : "totp wrong");
      }
      recovery_used = static_cast<std::size_t>(it - creds->recovery.begin());
    }
  }
  std::optional<std::string> new_hash;
  if (rehash) {
    if (auto h = HashPassword(request.password, options_)) new_hash = *h;
  }

  QUIRE_ASSIGN_OR_RETURN(std::shared_ptr<Principal> principal,
                         BuildPrincipal(reader, request.user));
  LoginResult result;
  result.session_secret = Base64Url(RandomBytes(32));
  const std::string csrf = Base64Url(RandomBytes(32));
  result.session = {NewId(), request.user, now, now, request.address, request.agent.substr(0, 200)};
  principal->via = Principal::Via::kSession;
  principal->credential = result.session.id;
  principal->csrf_token = csrf;
  // A role that asks for a second factor: until one is set up, the session may only do that.
  if (!creds->totp_enabled) {
    for (const std::string& id : principal->roles) {
      auto role = FindRole(reader, id);
      if (role && *role && (*role)->require_totp) {
        principal->permissions = PermissionSet();
        principal->must_enrol_totp = true;
        break;
      }
    }
  }
  const std::string hash = SecretHash(result.session_secret);
  QUIRE_RETURN_IF_ERROR(directory_.Record(
      [&](KeyReadWriter& rw) -> Result<void> {
        rw.Put(ColumnFamily::kOrg, SessionKey(hash), EncodeSession(result.session, csrf));
        rw.Put(ColumnFamily::kOrg, UserSessionKey(request.user, result.session.id), hash);
        if (step || recovery_used || new_hash) {
          Credentials c = *creds;
          if (step) c.totp_last_step = *step;
          if (recovery_used) c.recovery.erase(c.recovery.begin() + *recovery_used);
          if (new_hash) c.hash = *new_hash;
          rw.Put(ColumnFamily::kOrg, CredentialKey(request.user), EncodeCredentials(c));
        }
        return Ok();
      },
      {{audit::Actor(request.user, "session " + result.session.id),
        "session.started",
        "user/" + request.user,
        {{"session", result.session.id},
         {"address", request.address},
         {"secondFactor", step            ? "totp"
                          : recovery_used ? "recovery code"
                                          : "none"}}}}));
  {
    std::lock_guard lock(mu_);
    throttles_.erase(account_key);
    sessions_[hash] = {principal, directory_.generation(), result.session, now};
  }
  result.principal = std::move(principal);
  return result;
}

Result<std::shared_ptr<const Principal>> Identity::AuthenticateSession(std::string_view secret) {
  const Timestamp now = Now();
  const std::string hash = SecretHash(secret);
  const std::uint64_t generation = directory_.generation();
  auto expired = [](std::string_view why) {
    return Error::Unauthenticated("your session has " + std::string(why) +
                                  "; sign in again (POST /api/auth/login)");
  };
  std::optional<CachedSession> cached;
  {
    std::lock_guard lock(mu_);
    if (auto it = sessions_.find(hash); it != sessions_.end()) cached = it->second;
  }
  if (!cached || cached->generation != generation) {
    storage::SnapshotReader reader(directory_.store());
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                           reader.Get(ColumnFamily::kOrg, SessionKey(hash)));
    if (!raw) return expired("ended or is unknown");
    QUIRE_ASSIGN_OR_RETURN(auto decoded, DecodeSession(*raw));
    auto principal = BuildPrincipal(reader, decoded.first.user);
    if (!principal) return expired("ended (the account is disabled or gone)");
    (*principal)->via = Principal::Via::kSession;
    (*principal)->credential = decoded.first.id;
    (*principal)->csrf_token = decoded.second;
    if (cached) {  // keep what is known in memory of its use
      decoded.first.last_seen = std::max(decoded.first.last_seen, cached->info.last_seen);
    }
    cached = CachedSession{*principal, generation, decoded.first, decoded.first.last_seen};
  }
  if (now - cached->info.created >= options_.session_absolute) {
    (void)Logout(secret);
    return expired("reached its maximum length");
  }
  if (now - cached->info.last_seen >= options_.session_idle) {
    (void)Logout(secret);
    return expired("expired after a time without use");
  }
  cached->info.last_seen = now;
  const bool write = now - cached->last_written >= kWriteEvery;
  if (write) cached->last_written = now;
  {
    std::lock_guard lock(mu_);
    sessions_[hash] = *cached;
  }
  if (write) {
    const std::string csrf = cached->principal->csrf_token;
    const SessionInfo info = cached->info;
    (void)directory_.Record(
        [&](KeyReadWriter& rw) -> Result<void> {
          QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> still,
                                 rw.Get(ColumnFamily::kOrg, SessionKey(hash)));
          if (still) rw.Put(ColumnFamily::kOrg, SessionKey(hash), EncodeSession(info, csrf));
          return Ok();
        },
        {});
  }
  return cached->principal;
}

Result<void> Identity::Logout(std::string_view secret) {
  const std::string hash = SecretHash(secret);
  std::string user;
  std::string id;
  QUIRE_RETURN_IF_ERROR(directory_.Record(
      [&](KeyReadWriter& rw) -> Result<void> {
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                               rw.Get(ColumnFamily::kOrg, SessionKey(hash)));
        if (!raw) return Ok();
        QUIRE_ASSIGN_OR_RETURN(auto decoded, DecodeSession(*raw));
        user = decoded.first.user;
        id = decoded.first.id;
        rw.Delete(ColumnFamily::kOrg, SessionKey(hash));
        rw.Delete(ColumnFamily::kOrg, UserSessionKey(user, id));
        return Ok();
      },
      {}));
  {
    std::lock_guard lock(mu_);
    sessions_.erase(hash);
  }
  if (!user.empty()) {
    (void)directory_.Record(
        [](KeyReadWriter&) { return Ok(); },
        {{audit::Actor(user, "session " + id), "session.ended", "user/" + user, {}}});
  }
  return Ok();
}

Result<std::vector<SessionInfo>> Identity::Sessions(const std::string& user) const {
  storage::SnapshotReader reader(directory_.store());
  QUIRE_ASSIGN_OR_RETURN(auto rows, reader.Scan(ColumnFamily::kOrg, UserSessionPrefix(user), kAll));
  std::vector<SessionInfo> out;
  for (const auto& [key, hash] : rows) {
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                           reader.Get(ColumnFamily::kOrg, SessionKey(hash)));
    if (!raw) continue;
    QUIRE_ASSIGN_OR_RETURN(auto decoded, DecodeSession(*raw));
    {
      std::lock_guard lock(mu_);
      if (auto it = sessions_.find(hash); it != sessions_.end()) {
        decoded.first.last_seen = std::max(decoded.first.last_seen, it->second.info.last_seen);
      }
    }
    out.push_back(std::move(decoded.first));
  }
  return out;
}

Result<void> Identity::EndSession(const std::string& user, const std::string& id,
                                  const audit::Actor& actor) {
  std::string hash;
  QUIRE_RETURN_IF_ERROR(directory_.Change(
      [&](KeyReadWriter& rw) -> Result<void> {
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> h,
                               rw.Get(ColumnFamily::kOrg, UserSessionKey(user, id)));
        if (!h) return Error::NotFound("user '" + user + "' has no session '" + id + "'");
        hash = *h;
        rw.Delete(ColumnFamily::kOrg, UserSessionKey(user, id));
        rw.Delete(ColumnFamily::kOrg, SessionKey(hash));
        return Ok();
      },
      {{actor, "session.revoked", "user/" + user, {{"session", id}}}}));
  std::lock_guard lock(mu_);
  sessions_.erase(hash);
  return Ok();
}

// ---- tokens ----

Result<NewToken> Identity::CreateToken(const std::string& user, const std::string& name,
                                       std::optional<Timestamp> expires,
                                       const std::vector<std::string>& roles,
                                       const audit::Actor& actor) {
  if (name.size() > 200) return Error::InvalidArgument("a token's name has at most 200 characters");
  const Timestamp now = Now();
  if (expires && *expires <= now) {
    return Error::InvalidArgument("a token cannot expire in the past");
  }
  NewToken t;
  t.info.id = NewId();
  t.info.user = user;
  t.info.name = name;
  t.info.created = now;
  t.info.expires = expires;
  t.info.roles = roles;
  t.info.created_by = actor.id;
  t.secret = "qt_" + Base64Url(RandomBytes(32));
  const std::string hash = SecretHash(t.secret);
  QUIRE_RETURN_IF_ERROR(directory_.Change(
      [&](KeyReadWriter& rw) -> Result<void> {
        QUIRE_ASSIGN_OR_RETURN(std::optional<User> u, FindUser(rw, user));
        if (!u) return Error::NotFound("user '" + user + "' does not exist");
        if (!roles.empty()) {
          QUIRE_RETURN_IF_ERROR(CheckRolesExist(rw, roles));
          QUIRE_ASSIGN_OR_RETURN(std::shared_ptr<Principal> p, BuildPrincipal(rw, user));
          for (const std::string& r : roles) {
            if (std::find(p->roles.begin(), p->roles.end(), r) == p->roles.end()) {
              return Error::InvalidArgument("user '" + user + "' does not hold role '" + r +
                                            "': a token can only narrow its user's roles");
            }
          }
        }
        rw.Put(ColumnFamily::kOrg, TokenKey(t.info.id), EncodeToken(t.info, hash));
        rw.Put(ColumnFamily::kOrg, TokenHashKey(hash), t.info.id);
        return Ok();
      },
      {{actor,
        "token.created",
        "token/" + t.info.id,
        {{"user", user}, {"roles", RolesArray(roles)}}}}));
  return t;
}

Result<std::vector<TokenInfo>> Identity::Tokens(const std::string& user) const {
  storage::SnapshotReader reader(directory_.store());
  QUIRE_ASSIGN_OR_RETURN(auto rows, reader.Scan(ColumnFamily::kOrg, std::string(1, 't'), kAll));
  std::vector<TokenInfo> out;
  for (const auto& [key, value] : rows) {
    QUIRE_ASSIGN_OR_RETURN(auto decoded, DecodeToken(value));
    if (!user.empty() && decoded.first.user != user) continue;
    {
      std::lock_guard lock(mu_);
      if (auto it = token_used_.find(decoded.first.id); it != token_used_.end()) {
        decoded.first.last_used =
            std::max(decoded.first.last_used.value_or(Timestamp{}), it->second);
      }
    }
    out.push_back(std::move(decoded.first));
  }
  return out;
}

Result<TokenInfo> Identity::GetToken(const std::string& id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         directory_.store().Get(ColumnFamily::kOrg, TokenKey(id)));
  if (!raw) return Error::NotFound("token '" + id + "' does not exist (or was revoked)");
  QUIRE_ASSIGN_OR_RETURN(auto decoded, DecodeToken(*raw));
  return std::move(decoded.first);
}

Result<void> Identity::RevokeToken(const std::string& id, const audit::Actor& actor) {
  QUIRE_RETURN_IF_ERROR(directory_.Change(
      [&](KeyReadWriter& rw) -> Result<void> {
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                               rw.Get(ColumnFamily::kOrg, TokenKey(id)));
        if (!raw) return Error::NotFound("token '" + id + "' does not exist (or was revoked)");
        QUIRE_ASSIGN_OR_RETURN(auto decoded, DecodeToken(*raw));
        rw.Delete(ColumnFamily::kOrg, TokenKey(id));
        rw.Delete(ColumnFamily::kOrg, TokenHashKey(decoded.second));
        return Ok();
      },
      {{actor, "token.revoked", "token/" + id, {}}}));
  Forget();
  return Ok();
}

Result<std::shared_ptr<const Principal>> Identity::AuthenticateToken(std::string_view secret) {
  const Timestamp now = Now();
  const std::string hash = SecretHash(secret);
  const std::uint64_t generation = directory_.generation();
  // Built only when refusing: the path every accepted request takes allocates nothing here.
  const auto refused = [] {
    return Error::Unauthenticated(
        "the API token is unknown, revoked or expired (create one with POST /api/tokens or "
        "'quire token create')");
  };
  std::shared_ptr<const CachedToken> cached;
  {
    std::lock_guard lock(mu_);
    if (auto it = tokens_.find(hash); it != tokens_.end() && it->second->generation == generation) {
      cached = it->second;
    }
  }
  if (!cached) {
    storage::SnapshotReader reader(directory_.store());
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> id,
                           reader.Get(ColumnFamily::kOrg, TokenHashKey(hash)));
    if (!id) return refused();
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                           reader.Get(ColumnFamily::kOrg, TokenKey(*id)));
    if (!raw) return refused();
    QUIRE_ASSIGN_OR_RETURN(auto decoded, DecodeToken(*raw));
    auto principal = BuildPrincipal(reader, decoded.first.user);
    if (!principal) return refused();
    (*principal)->via = Principal::Via::kToken;
    (*principal)->credential = decoded.first.id;
    if (!decoded.first.roles.empty()) {
      PermissionSet narrowed;
      for (const std::string& r : decoded.first.roles) {
        QUIRE_ASSIGN_OR_RETURN(std::optional<Role> role, FindRole(reader, r));
        if (role) {
          for (const Grant& g : role->grants) narrowed.Add(g);
        }
      }
      (*principal)->permissions.IntersectWith(narrowed);
      (*principal)->roles = decoded.first.roles;
    }
    cached = std::make_shared<const CachedToken>(
        CachedToken{*principal, generation, decoded.first.expires, decoded.first.id});
    std::lock_guard lock(mu_);
    tokens_[hash] = cached;
  }
  if (cached->expires && now >= *cached->expires) return refused();
  // Last use, written at most once a minute per token.
  bool write = false;
  {
    std::lock_guard lock(mu_);
    Timestamp& written = token_used_[cached->id];
    if (now - written >= kWriteEvery) {
      written = now;
      write = true;
    }
  }
  if (write) {
    const std::string id = cached->id;
    (void)directory_.Record(
        [&](KeyReadWriter& rw) -> Result<void> {
          QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                                 rw.Get(ColumnFamily::kOrg, TokenKey(id)));
          if (!raw) return Ok();
          QUIRE_ASSIGN_OR_RETURN(auto decoded, DecodeToken(*raw));
          decoded.first.last_used = now;
          rw.Put(ColumnFamily::kOrg, TokenKey(id), EncodeToken(decoded.first, decoded.second));
          return Ok();
        },
        {});
  }
  return cached->principal;
}

Result<std::shared_ptr<const Principal>> Identity::AuthenticateBasic(const std::string& user,
                                                                     std::string_view secret,
                                                                     const std::string& address) {
  if (secret.starts_with("qt_")) {
    QUIRE_ASSIGN_OR_RETURN(std::shared_ptr<const Principal> p, AuthenticateToken(secret));
    if (p->user != user) return Error::Unauthenticated(std::string(kWrongCredentials));
    return p;
  }
  // A password: as slow as a sign-in, and throttled the same way.
  const Timestamp now = Now();
  const std::string account_key = "u:" + user;
  const std::string address_key = "a:" + address;
  QUIRE_RETURN_IF_ERROR(CheckThrottle(account_key, now));
  QUIRE_RETURN_IF_ERROR(CheckThrottle(address_key, now));
  bool rehash = false;
  if (auto verified = VerifyPassword(user, secret, &rehash); !verified) {
    RecordFailure(account_key, options_.account_failures_allowed, now);
    RecordFailure(address_key, options_.address_failures_allowed, now);
    return verified.error();
  }
  QUIRE_ASSIGN_OR_RETURN(std::optional<Credentials> creds,
                         FindCredentials(storage::SnapshotReader(directory_.store()), user));
  if (creds && creds->totp_enabled) {
    return Error::Unauthenticated(
        "this account signs in with a second factor, which HTTP Basic "
        "cannot carry: use one of its API tokens as the password");
  }
  QUIRE_ASSIGN_OR_RETURN(std::shared_ptr<Principal> p,
                         BuildPrincipal(storage::SnapshotReader(directory_.store()), user));
  p->via = Principal::Via::kBasic;
  p->credential = "password";
  return std::shared_ptr<const Principal>(std::move(p));
}

// ---- TOTP ----

Result<TotpEnrolment> Identity::BeginTotp(const std::string& user) {
  const std::string secret = RandomBytes(20);  // 160 bits, as RFC 4226 recommends
  QUIRE_RETURN_IF_ERROR(directory_.Change(
      [&](KeyReadWriter& rw) -> Result<void> {
        QUIRE_ASSIGN_OR_RETURN(std::optional<User> u, FindUser(rw, user));
        if (!u) return Error::NotFound("user '" + user + "' does not exist");
        QUIRE_ASSIGN_OR_RETURN(std::optional<Credentials> c, FindCredentials(rw, user));
        Credentials creds = c.value_or(Credentials{});
        if (creds.totp_enabled) {
          return Error::Conflict("a second factor is set up already; turn it off first");
        }
        creds.totp_secret = secret;
        creds.totp_last_step = 0;
        rw.Put(ColumnFamily::kOrg, CredentialKey(user), EncodeCredentials(creds));
        return Ok();
      },
      {}));
  char* b32 = nullptr;
  std::size_t len = 0;
  if (oath_base32_encode(secret.data(), secret.size(), &b32, &len) != OATH_OK) {
    return Error::Internal("cannot encode the second-factor key");
  }
  TotpEnrolment e;
  e.secret_base32.assign(b32, len);
  std::free(b32);
  e.secret_base32.erase(std::remove(e.secret_base32.begin(), e.secret_base32.end(), '='),
                        e.secret_base32.end());
  e.uri = "otpauth://totp/Quire:" + user + "?secret=" + e.secret_base32 +
          "&issuer=Quire&algorithm=SHA1&digits=6&period=30";
  return e;
}

Result<std::vector<std::string>> Identity::ConfirmTotp(const audit::Actor& self,
                                                       std::string_view code) {
  const std::string& user = self.id;
  const Timestamp now = Now();
  std::vector<std::string> codes;
  QUIRE_RETURN_IF_ERROR(directory_.Change(
      [&](KeyReadWriter& rw) -> Result<void> {
        QUIRE_ASSIGN_OR_RETURN(std::optional<Credentials> c, FindCredentials(rw, user));
        if (!c || c->totp_secret.empty()) {
          return Error::Conflict(
              "no second factor is being set up: begin with POST "
              "/api/me/totp");
        }
        if (c->totp_enabled) return Error::Conflict("the second factor is set up already");
        int pos = 0;
        std::uint64_t counter = 0;
        const std::string otp(code);
        if (oath_totp_validate3(c->totp_secret.data(), c->totp_secret.size(),
                                static_cast<time_t>(Ms(now) / 1000), 30, 0, 1, &pos, &counter,
                                otp.c_str()) < 0) {
          return Error::ValidationFailed(
              "wrong code: enter the 6 digits your authenticator "
              "app shows now",
              {{"code", "does not match"}});
        }
        c->totp_enabled = true;
        c->totp_last_step = counter;
        c->recovery.clear();
        for (int i = 0; i < 10; ++i) {
          const std::string r = Hex(RandomBytes(5));  // 40 bits each, single use
          codes.push_back(r.substr(0, 5) + "-" + r.substr(5));
          c->recovery.push_back(SecretHash(codes.back()));
        }
        rw.Put(ColumnFamily::kOrg, CredentialKey(user), EncodeCredentials(*c));
        return Ok();
      },
      {{self, "user.totp-enabled", "user/" + user, {}}}));
  Forget();
  return codes;
}

Result<void> Identity::DisableTotp(const std::string& user, const audit::Actor& actor) {
  QUIRE_RETURN_IF_ERROR(directory_.Change(
      [&](KeyReadWriter& rw) -> Result<void> {
        QUIRE_ASSIGN_OR_RETURN(std::optional<Credentials> c, FindCredentials(rw, user));
        if (!c || c->totp_secret.empty()) {
          return Error::NotFound("user '" + user + "' has no second factor");
        }
        c->totp_secret.clear();
        c->totp_enabled = false;
        c->recovery.clear();
        rw.Put(ColumnFamily::kOrg, CredentialKey(user), EncodeCredentials(*c));
        return Ok();
      },
      {{actor, "user.totp-disabled", "user/" + user, {}}}));
  Forget();
  return Ok();
}

Result<bool> Identity::TotpEnabled(const std::string& user) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<Credentials> c,
                         FindCredentials(storage::SnapshotReader(directory_.store()), user));
  return c && c->totp_enabled;
}

// ---- bootstrap ----

Result<std::optional<std::string>> Identity::EnsureAdministrator() {
  storage::SnapshotReader reader(directory_.store());
  QUIRE_ASSIGN_OR_RETURN(auto grants, reader.Scan(ColumnFamily::kOrg, std::string(1, 'R'), kAll));
  for (const auto& [key, value] : grants) {
    KeyDecoder d(std::string_view(key).substr(1));
    QUIRE_ASSIGN_OR_RETURN(std::string user, d.String());
    QUIRE_ASSIGN_OR_RETURN(std::string role, d.String());
    if (role != "administrator") continue;
    QUIRE_ASSIGN_OR_RETURN(std::optional<User> u, FindUser(reader, user));
    if (u && u->active) return std::optional<std::string>();
  }
  QUIRE_ASSIGN_OR_RETURN(auto groups, reader.Scan(ColumnFamily::kOrg, std::string(1, 'Q'), kAll));
  for (const auto& [key, value] : groups) {
    KeyDecoder d(std::string_view(key).substr(1));
    QUIRE_ASSIGN_OR_RETURN(std::string group, d.String());
    QUIRE_ASSIGN_OR_RETURN(std::string role, d.String());
    if (role != "administrator") continue;
    QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> members, MembersOf(reader, group));
    for (const std::string& m : members) {
      QUIRE_ASSIGN_OR_RETURN(std::optional<User> u, FindUser(reader, m));
      if (u && u->active) return std::optional<std::string>();
    }
  }
  // 20 random bytes, URL-safe: 27 characters, never a common password.
  const std::string password = Base64Url(RandomBytes(20));
  QUIRE_ASSIGN_OR_RETURN(std::optional<User> existing, FindUser(reader, "admin"));
  User admin = existing.value_or(User{"admin", "Administrator", "", "", true, ""});
  admin.active = true;
  QUIRE_ASSIGN_OR_RETURN(std::string hash, HashPassword(password, options_));
  QUIRE_RETURN_IF_ERROR(directory_.Change(
      [&](KeyReadWriter& rw) -> Result<void> {
        QUIRE_RETURN_IF_ERROR(org::PutUser(rw, admin));
        Credentials c;
        c.hash = hash;
        c.changed = Now();
        rw.Put(ColumnFamily::kOrg, CredentialKey("admin"), EncodeCredentials(c));
        rw.Put(ColumnFamily::kOrg, UserRoleKey("admin", "administrator"), "");
        return StageEndSessions(rw, "admin");
      },
      {{"quire", "user.bootstrapped", "user/admin", {}}}));
  Forget();
  if (!options_.initial_password_file.empty()) {
    const std::filesystem::path& file = options_.initial_password_file;
    std::error_code ec;
    std::filesystem::remove(file, ec);
    {
      // Created with mode 0600 from the start: the password is never readable by others.
      const mode_t old = ::umask(077);
      std::ofstream out(file, std::ios::trunc);
      ::umask(old);
      out << password << "\n";
      if (!out) {
        return Error::Unavailable("cannot write " + file.string() +
                                  "; the administrator's password is printed on the console only");
      }
    }
    std::filesystem::permissions(
        file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  }
  return std::optional<std::string>(password);
}

}  // namespace quire::org
