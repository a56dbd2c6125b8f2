#include "quire/org/access.h"

#include <algorithm>

namespace quire::org {
namespace {

using P = Permission;

constexpr std::array<std::string_view, kPermissionCount> kNames = {
    "definitions.read",
    "definitions.deploy",
    "definitions.undeploy",
    "instances.start",
    "instances.read",
    "instances.modify",
    "instances.cancel",
    "tasks.work",
    "tasks.assign",
    "tasks.read-all",
    "tasks.administer",
    "documents.read",
    "documents.write",
    "documents.delete",
    "documents.hold",
    "documents.manage-types",
    "audit.read",
    "audit.export",
    "org.read",
    "org.administer",
    "system.operate",
    "jobs.work",
    "crm.read",
    "crm.write",
    "crm.manage",
    "cti.report",
    "crm.sensitive",
    "crm.offers.accept",
};
static_assert(static_cast<std::size_t>(P::kOffersAccept) + 1 == kPermissionCount);

constexpr std::array<P, kPermissionCount> kAll = {
    P::kDefinitionsRead,
    P::kDefinitionsDeploy,
    P::kDefinitionsUndeploy,
    P::kInstancesStart,
    P::kInstancesRead,
    P::kInstancesModify,
    P::kInstancesCancel,
    P::kTasksWork,
    P::kTasksAssign,
    P::kTasksReadAll,
    P::kTasksAdminister,
    P::kDocumentsRead,
    P::kDocumentsWrite,
    P::kDocumentsDelete,
    P::kDocumentsHold,
    P::kDocumentsManageTypes,
    P::kAuditRead,
    P::kAuditExport,
    P::kOrgRead,
    P::kOrgAdminister,
    P::kSystemOperate,
    P::kJobsWork,
    P::kCrmRead,
    P::kCrmWrite,
    P::kCrmManage,
    P::kCtiReport,
    P::kCrmSensitive,
    P::kOffersAccept,
};

std::vector<Grant> AllOf(std::initializer_list<P> ps, Scope scope = Scope::kAll) {
  std::vector<Grant> out;
  for (const P p : ps) out.push_back({p, scope});
  return out;
}

std::vector<Role> MakeBuiltIns() {
  std::vector<Role> roles;
  {
    Role r{"administrator",
           "Administrator",
           "everything, including users, roles and the audit chain",
           {},
           true,
           false};
    for (const P p : kAll) r.grants.push_back({p, Scope::kAll});
    roles.push_back(std::move(r));
  }
  roles.push_back(
      {"designer", "Process designer",
       "deploys and tries processes and forms; starts and inspects instances",
       AllOf({P::kDefinitionsRead, P::kDefinitionsDeploy, P::kDefinitionsUndeploy,
              P::kInstancesStart, P::kInstancesRead, P::kInstancesModify, P::kInstancesCancel,
              P::kTasksWork, P::kDocumentsRead, P::kDocumentsWrite, P::kOrgRead}),
       true, false});
  {
    Role r{"supervisor",
           "Supervisor",
           "works on tasks, moves their team's work, sees every inbox and the statistics; "
           "their team's customers",
           AllOf({P::kDefinitionsRead, P::kInstancesStart, P::kInstancesRead, P::kInstancesModify,
                  P::kInstancesCancel, P::kTasksWork, P::kTasksAssign, P::kTasksReadAll,
                  P::kDocumentsRead, P::kDocumentsWrite, P::kDocumentsDelete, P::kOrgRead}),
           true,
           false};
    for (const Grant& g : AllOf({P::kCrmRead, P::kCrmWrite}, Scope::kTeam)) r.grants.push_back(g);
    r.grants.push_back({P::kCrmManage, Scope::kAll});
    r.grants.push_back({P::kCrmSensitive, Scope::kAll});
    r.grants.push_back({P::kOffersAccept, Scope::kTeam});
    roles.push_back(std::move(r));
  }
  {
    Role r{"staff",
           "Staff",
           "works on their tasks and documents; starts processes; their own customers",
           AllOf({P::kDefinitionsRead, P::kInstancesStart, P::kTasksWork, P::kDocumentsRead,
                  P::kDocumentsWrite, P::kOrgRead}),
           true,
           false};
    for (const Grant& g : AllOf({P::kCrmRead, P::kCrmWrite, P::kOffersAccept}, Scope::kOwn)) {
      r.grants.push_back(g);
    }
    roles.push_back(std::move(r));
  }
  roles.push_back({"auditor", "Auditor",
                   "reads and exports the audit chain; reads processes, tasks and documents",
                   AllOf({P::kAuditRead, P::kAuditExport, P::kDefinitionsRead, P::kInstancesRead,
                          P::kTasksReadAll, P::kDocumentsRead, P::kOrgRead, P::kCrmRead}),
                   true, false});
  roles.push_back({"worker", "External-task worker",
                   "fetches, locks and completes external tasks (Camunda workers); nothing else",
                   AllOf({P::kJobsWork}), true, false});
  roles.push_back({"phone-system", "Phone system",
                   "reports calls for the screen pop and the call log (POST /api/cti/calls); "
                   "nothing else",
                   AllOf({P::kCtiReport}), true, false});
  return roles;
}

}  // namespace

std::string_view Name(Permission p) { return kNames[static_cast<std::size_t>(p)]; }

Result<Permission> ParsePermission(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return kAll[i];
  }
  std::string list;
  for (const std::string_view n : kNames) {
    if (!list.empty()) list += ", ";
    list += n;
  }
  return Error::InvalidArgument("'" + std::string(name) + "' is not a permission; one of " + list);
}

std::string_view Name(Scope s) {
  switch (s) {
    case Scope::kOwn:
      return "own";
    case Scope::kTeam:
      return "team";
    case Scope::kAll:
      return "all";
  }
  return "all";
}

Result<Scope> ParseScope(std::string_view name) {
  if (name == "own") return Scope::kOwn;
  if (name == "team") return Scope::kTeam;
  if (name == "all") return Scope::kAll;
  return Error::InvalidArgument("'" + std::string(name) + "' is not a scope: own, team or all");
}

std::span<const Permission> AllPermissions() { return kAll; }

const std::vector<Role>& BuiltInRoles() {
  static const std::vector<Role> roles = MakeBuiltIns();
  return roles;
}

const Role* FindBuiltInRole(std::string_view id) {
  for (const Role& r : BuiltInRoles()) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

void PermissionSet::Add(const Grant& g) {
  const std::size_t i = Index(g.permission);
  if (!held_[i] || scopes_[i] < g.scope) scopes_[i] = g.scope;
  held_[i] = true;
}

void PermissionSet::IntersectWith(const PermissionSet& other) {
  for (std::size_t i = 0; i < kPermissionCount; ++i) {
    if (!other.held_[i]) {
      held_[i] = false;
    } else if (held_[i]) {
      scopes_[i] = std::min(scopes_[i], other.scopes_[i]);
    }
  }
}

std::vector<Grant> PermissionSet::Grants() const {
  std::vector<Grant> out;
  for (std::size_t i = 0; i < kPermissionCount; ++i) {
    if (held_[i]) out.push_back({kAll[i], scopes_[i]});
  }
  return out;
}

bool Principal::Reaches(Permission p, std::string_view owner,
                        const std::vector<std::string>& owner_groups) const {
  if (!Has(p)) return false;
  switch (permissions.ScopeOf(p)) {
    case Scope::kAll:
      return true;
    case Scope::kTeam:
      if (owner == user) return true;
      for (const std::string& g : owner_groups) {
        if (std::binary_search(groups.begin(), groups.end(), g)) return true;
      }
      return false;
    case Scope::kOwn:
      return owner == user;
  }
  return false;
}

std::string Principal::ViaText() const {
  switch (via) {
    case Via::kSession:
      return "session " + credential;
    case Via::kToken:
      return "token " + credential;
    case Via::kBasic:
      return "basic " + credential;
    case Via::kLocal:
      return "local (" + credential + ")";
  }
  return credential;
}

}  // namespace quire::org
