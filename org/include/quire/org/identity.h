// Identity: who someone is and what they may do — passwords, second factors, sessions, API
// tokens, role grants — on top of the Directory's people and groups.
//
// Secrets are never stored: passwords as Argon2id hashes (libsodium's crypto_pwhash_str),
// session and token secrets as SHA-256, recovery codes as SHA-256. No secret is ever put in
// an error, a log line or the audit chain (entries name users, sessions and tokens by id).
//
// Records in the `org` family (stored: never change a tag):
//   'r' String(role)                → JSON role defined by an administrator
//   'R' String(user) String(role)   → "" the user holds the role
//   'Q' String(group) String(role)  → "" the group's members hold the role
//   'c' String(user)                → JSON credentials (password hash, second factor)
//   'S' String(hash)                → JSON session (hash: hex SHA-256 of its secret)
//   'x' String(user) String(id)     → hash: the user's sessions by public id
//   't' String(id)                  → JSON API token (its secret's hash inside)
//   'T' String(hash)                → token id
//
// Authentication of each request (a session cookie, a bearer token, HTTP Basic) is answered
// from a cache of principals, dropped whenever the organisation changes, so that a request
// costs one hash and one map look-up; session idle times and token last-use times are kept
// in memory and written at most once a minute.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/org/access.h"
#include "quire/org/directory.h"

namespace quire::org {

struct IdentityOptions {
  // A session ends after this long without a request...
  std::chrono::milliseconds session_idle = std::chrono::minutes(30);
  // ... and this long after sign-in, whatever happens.
  std::chrono::milliseconds session_absolute = std::chrono::hours(12);
  // Argon2id cost (OWASP: at least 19 MiB, 2 passes, 1 lane). Hashes made with other
  // settings are re-made at the next sign-in.
  unsigned long long hash_passes = 2;
  std::size_t hash_memory_bytes = std::size_t{19} << 20;
  // Failed sign-ins per account before each further one waits (1 s, doubling, at most
  // `max_backoff`); counted per client address too, with `address_failures_allowed`.
  int account_failures_allowed = 5;
  int address_failures_allowed = 20;
  std::chrono::milliseconds max_backoff = std::chrono::minutes(15);
  // Written when the first administrator is created, removed at their first password change.
  std::filesystem::path initial_password_file;
};

// A password that passes the rules: 8 to 128 characters (code points), not one of the most
// common passwords (org/data/common-passwords.txt), not the user id. No composition rules.
// Errors: kValidationFailed with a "password" detail saying which rule.
Result<void> CheckPasswordRules(std::string_view password, std::string_view user);

struct SessionInfo {
  std::string id;  // public: names the session in lists and the audit chain
  std::string user;
  Timestamp created;
  Timestamp last_seen;
  std::string address;  // the client's address at sign-in
  std::string agent;    // its User-Agent
};

struct TokenInfo {
  std::string id;
  std::string user;
  std::string name;
  Timestamp created;
  std::optional<Timestamp> expires;
  std::vector<std::string> roles;  // empty: the user's own roles; else only these (narrower)
  std::optional<Timestamp> last_used;
  std::string created_by;
};

struct LoginRequest {
  std::string user;
  std::string password;
  std::string totp;  // the second-factor code, or a recovery code
  std::string address;
  std::string agent;
};

struct LoginResult {
  std::string session_secret;  // for the cookie; shown this once
  SessionInfo session;
  std::shared_ptr<const Principal> principal;
};

struct NewToken {
  TokenInfo info;
  std::string secret;  // "qt_..."; shown this once
};

struct TotpEnrolment {
  std::string secret_base32;  // for authenticator apps that take a key
  std::string uri;            // otpauth://totp/Quire:USER?secret=...&issuer=Quire
};

class Identity {
 public:
  // REQUIRES: `directory` outlives the identity.
  Identity(Directory& directory, const IdentityOptions& options);

  // ---- accounts ----
  // Creates (or, unless `must_be_new`, replaces) a user with these direct roles (nullopt:
  // leave them as they are) and, when `password` is not empty, this password — in one
  // atomic write, after every check: a bad role or password leaves nothing behind.
  // Errors: kConflict (exists and must_be_new), kNotFound (role), kValidationFailed.
  Result<void> PutUser(const User& user, const std::optional<std::vector<std::string>>& roles,
                       std::string_view password, bool must_be_new, const audit::Actor& actor);

  // ---- passwords ----
  // Sets `user`'s password after CheckPasswordRules, and ends all their sessions.
  // Errors: kNotFound, kValidationFailed.
  Result<void> SetPassword(const std::string& user, std::string_view password,
                           const audit::Actor& actor);
  // A user (`self`, with the session or token they act through) changing their own
  // password must give the current one.
  Result<void> ChangeOwnPassword(const audit::Actor& self, std::string_view current,
                                 std::string_view password);
  // Active users may sign in; disabling one ends their sessions and stops their tokens.
  Result<void> SetActive(const std::string& user, bool active, const audit::Actor& actor);

  // ---- roles and grants ----
  Result<std::vector<Role>> ListRoles() const;  // built-in first
  Result<Role> GetRole(const std::string& id) const;
  // Creates or replaces a role of the installation's own. Errors: kInvalidArgument for a
  // built-in id or a bad grant.
  Result<void> PutRole(const Role& role, const audit::Actor& actor);
  Result<void> DeleteRole(const std::string& id, const audit::Actor& actor);
  // Replaces the roles held directly by `user` / given to `group`'s members.
  // Errors: kNotFound (user, group or role).
  Result<void> SetUserRoles(const std::string& user, const std::vector<std::string>& roles,
                            const audit::Actor& actor);
  Result<void> SetGroupRoles(const std::string& group, const std::vector<std::string>& roles,
                             const audit::Actor& actor);
  Result<std::vector<std::string>> UserRoles(const std::string& user) const;  // direct
  Result<std::vector<std::string>> GroupRoles(const std::string& group) const;
  // The user's principal (roles direct and through groups, effective permissions), as a
  // session would carry it. Errors: kNotFound, kForbidden for a disabled user.
  Result<std::shared_ptr<const Principal>> PrincipalOf(const std::string& user) const;

  // ---- sessions ----
  // Errors: kUnauthenticated — the same message for an unknown user, a wrong password and a
  // disabled account; "second factor" ones once the password was right; kTooManyRequests
  // while failures are being waited out (with retryAfter). Every outcome is audited.
  Result<LoginResult> Login(const LoginRequest& request);
  // The session whose secret is `secret`, touched. Errors: kUnauthenticated (unknown,
  // expired — idle or absolute — or its user disabled).
  Result<std::shared_ptr<const Principal>> AuthenticateSession(std::string_view secret);
  Result<void> Logout(std::string_view secret);
  Result<std::vector<SessionInfo>> Sessions(const std::string& user) const;
  // Ends one of `user`'s sessions by id. Errors: kNotFound (also for another user's).
  Result<void> EndSession(const std::string& user, const std::string& id,
                          const audit::Actor& actor);

  // ---- API tokens ----
  // Errors: kNotFound (user), kInvalidArgument (a role the user does not hold, an expiry in
  // the past, a name too long).
  Result<NewToken> CreateToken(const std::string& user, const std::string& name,
                               std::optional<Timestamp> expires,
                               const std::vector<std::string>& roles, const audit::Actor& actor);
  // Every token, or one user's.
  Result<std::vector<TokenInfo>> Tokens(const std::string& user = "") const;
  Result<TokenInfo> GetToken(const std::string& id) const;
  Result<void> RevokeToken(const std::string& id, const audit::Actor& actor);
  // Errors: kUnauthenticated (unknown, revoked, expired, user disabled).
  Result<std::shared_ptr<const Principal>> AuthenticateToken(std::string_view secret);
  // HTTP Basic: the user id with their password or one of their tokens. Password checks are
  // throttled like sign-ins. Errors: kUnauthenticated, kTooManyRequests.
  Result<std::shared_ptr<const Principal>> AuthenticateBasic(const std::string& user,
                                                             std::string_view secret,
                                                             const std::string& address);

  // ---- second factor (TOTP, RFC 6238: 6 digits, 30 s) ----
  // A new secret, pending until confirmed. Errors: kConflict when already enabled.
  Result<TotpEnrolment> BeginTotp(const std::string& user);
  // Enables it when `code` is right; returns ten single-use recovery codes (shown once).
  Result<std::vector<std::string>> ConfirmTotp(const audit::Actor& self, std::string_view code);
  // Turns it off (the user with their password, or an administrator with `actor`).
  Result<void> DisableTotp(const std::string& user, const audit::Actor& actor);
  Result<bool> TotpEnabled(const std::string& user) const;

  // ---- bootstrap ----
  // When no user holds the administrator role, creates (or reuses) user "admin" with a
  // random password, grants them administrator, writes the password to
  // options.initial_password_file (mode 0600) and returns it. nullopt when one exists.
  Result<std::optional<std::string>> EnsureAdministrator();

  Directory& directory() { return directory_; }
  const IdentityOptions& options() const { return options_; }

 private:
  struct Throttle {
    int failures = 0;
    Timestamp until;  // no attempt before
  };
  struct CachedToken {
    std::shared_ptr<const Principal> principal;
    std::uint64_t generation = 0;
    std::optional<Timestamp> expires;
    std::string id;
  };
  struct CachedSession {
    std::shared_ptr<const Principal> principal;
    std::uint64_t generation = 0;
    SessionInfo info;
    Timestamp last_written;  // last_seen as stored
  };

  Timestamp Now() const { return directory_.clock().Now(); }
  Result<std::shared_ptr<Principal>> BuildPrincipal(const storage::KeyReader& reader,
                                                    const std::string& user) const;
  Result<void> CheckThrottle(const std::string& key, Timestamp now);
  void RecordFailure(const std::string& key, int allowed, Timestamp now);
  Result<void> VerifyPassword(const std::string& user, std::string_view password,
                              bool* rehash) const;
  // Ends every session of `user` (staged in `rw`).
  Result<void> StageEndSessions(storage::KeyReadWriter& rw, const std::string& user);
  void Forget();  // drops the caches after a change

  Directory& directory_;
  const IdentityOptions options_;
  // Verified against for unknown users, so that they take as long as known ones.
  const std::string& DummyHash() const;
  mutable std::once_flag dummy_once_;
  mutable std::string dummy_hash_;

  mutable std::mutex mu_;
  std::map<std::string, Throttle> throttles_;                         // GUARDED_BY(mu_)
  std::map<std::string, std::shared_ptr<const CachedToken>> tokens_;  // GUARDED_BY(mu_): by hash
  std::map<std::string, CachedSession> sessions_;  // GUARDED_BY(mu_): by secret hash
  std::map<std::string, Timestamp> token_used_;    // GUARDED_BY(mu_): id → last use written
};

}  // namespace quire::org
