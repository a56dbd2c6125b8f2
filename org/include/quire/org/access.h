// Permissions, roles and the authenticated principal.
//
// A permission is an action on a kind of resource ("audit.export"); a grant gives one with
// a scope — own, team or all — that record-owning modules (the CRM) apply to each record.
// A role is a named set of grants. The built-in roles are defined here, in code, and
// cannot be changed; administrators define more (stored, see identity.h). Users receive
// roles directly and through their groups; their effective permissions are the union, each
// at its widest scope.
//
// Permission names are stored in role records and tokens and appear in 403 answers:
// never rename one.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "quire/audit/actor.h"
#include "quire/base/result.h"

namespace quire::org {

enum class Permission : std::uint8_t {
  kDefinitionsRead,       // definitions.read: see deployed processes and forms
  kDefinitionsDeploy,     // definitions.deploy: deploy processes and forms
  kDefinitionsUndeploy,   // definitions.undeploy: remove a process
  kInstancesStart,        // instances.start: start instances
  kInstancesRead,         // instances.read: see instances, their variables and history, jobs
  kInstancesModify,       // instances.modify: variables, triggers, messages, signals, retries
  kInstancesCancel,       // instances.cancel: cancel instances
  kTasksWork,             // tasks.work: work on the tasks the task rules allow
  kTasksAssign,           // tasks.assign: bulk claim/unclaim/reassign for others
  kTasksReadAll,          // tasks.read-all: see any task, every user's inbox and statistics
  kTasksAdminister,       // tasks.administer: act on any task as its supervisor would
  kDocumentsRead,         // documents.read
  kDocumentsWrite,        // documents.write: create, check out/in, metadata, links
  kDocumentsDelete,       // documents.delete
  kDocumentsHold,         // documents.hold: legal hold, break others' check-outs
  kDocumentsManageTypes,  // documents.manage-types: document types, content sweep
  kAuditRead,             // audit.read: entries, heads, proofs
  kAuditExport,           // audit.export: the whole chain
  kOrgRead,               // org.read: users, groups
  kOrgAdminister,         // org.administer: users, groups, roles, grants, others' tokens
  kSystemOperate,         // system.operate: operations (statistics of the store, sweeps)
  kJobsWork,              // jobs.work: fetch and complete external tasks (workers)
  kCrmRead,               // crm.read: customers (scoped: own, team, all)
  kCrmWrite,              // crm.write: create and change customers, activities (scoped)
  kCrmManage,             // crm.manage: resources (rooms, cars, devices), the CRM's settings
  kCtiReport,             // cti.report: a phone system reporting calls (the screen pop)
  // crm.sensitive: see and change customers' sensitive fields (credit limits, bank accounts,
  // PESEL numbers), on the customers crm.read / crm.write reach
  kCrmSensitive,
  // crm.offers.accept: accept offers (scoped by the offer's owner), up to the acceptance
  // limits of one's roles
  kOffersAccept,
};
inline constexpr std::size_t kPermissionCount = 28;

enum class Scope : std::uint8_t { kOwn, kTeam, kAll };

// "audit.export"; ParsePermission is its inverse. Errors: kInvalidArgument listing names.
std::string_view Name(Permission p);
Result<Permission> ParsePermission(std::string_view name);
std::string_view Name(Scope s);
Result<Scope> ParseScope(std::string_view name);
// Every permission, in enum order.
std::span<const Permission> AllPermissions();

struct Grant {
  Permission permission;
  Scope scope = Scope::kAll;
  friend bool operator==(const Grant&, const Grant&) = default;
};

struct Role {
  std::string id;  // as org ids: letters, digits and . _ - @
  std::string name;
  std::string description;
  std::vector<Grant> grants;
  bool built_in = false;
  bool require_totp = false;  // members must sign in with a second factor
};

// administrator, designer, supervisor, staff, auditor, worker.
const std::vector<Role>& BuiltInRoles();
const Role* FindBuiltInRole(std::string_view id);

// Effective permissions: each held or not, at its widest scope.
class PermissionSet {
 public:
  void Add(const Grant& g);
  bool Has(Permission p) const { return held_[Index(p)]; }
  // REQUIRES: Has(p).
  Scope ScopeOf(Permission p) const { return scopes_[Index(p)]; }
  // Keeps only what `other` holds too, at the narrower scope (a token's own roles).
  void IntersectWith(const PermissionSet& other);
  std::vector<Grant> Grants() const;

 private:
  static std::size_t Index(Permission p) { return static_cast<std::size_t>(p); }
  std::bitset<kPermissionCount> held_;
  std::array<Scope, kPermissionCount> scopes_{};
};

// Who is acting, once authenticated.
struct Principal {
  enum class Via : std::uint8_t { kSession, kToken, kBasic, kLocal };
  std::string user;                 // the user id
  std::vector<std::string> roles;   // role ids, direct and through groups (deduplicated)
  std::vector<std::string> groups;  // the groups they belong to, sorted: their team
  PermissionSet permissions;
  Via via = Via::kSession;
  std::string credential;  // the session's or token's public id; the OS user (local)
  std::string csrf_token;  // sessions: what X-CSRF-Token must equal
  // A role of theirs asks for a second factor they have not set up: until they do, they
  // hold no permission (signed-in routes only: their profile, setting it up, signing out).
  bool must_enrol_totp = false;

  bool Has(Permission p) const { return permissions.Has(p); }
  // Whether their grant of `p` reaches a record owned by `owner`, who belongs to
  // `owner_groups`: scope all reaches every record, team the records of anyone who shares a
  // group with them (and their own), own only their own. False without the permission.
  bool Reaches(Permission p, std::string_view owner,
               const std::vector<std::string>& owner_groups) const;
  // "session 3f9a…", "token 17", "local (root)": how they came in, for the audit chain.
  std::string ViaText() const;
  // The actor the audit chain records for what they do.
  audit::Actor actor() const { return {user, ViaText()}; }
};

}  // namespace quire::org
