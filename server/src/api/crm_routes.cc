#include "quire/server/crm_routes.h"

#include <map>
#include <string>
#include <vector>

#include "quire/crm/quality.h"
#include "route_support.h"

namespace quire::server {
namespace {

using namespace api;  // NOLINT: the shared route helpers

using Groups = std::map<std::string, std::vector<std::string>>;

Error OutOfScope(const org::Principal& who, Permission p, const std::string& what) {
  const org::Scope scope = who.permissions.ScopeOf(p);
  return Error::Forbidden(std::string(org::Name(p)) + " is granted to you with scope " +
                          std::string(org::Name(scope)) + ": it reaches the customers " +
                          (scope == org::Scope::kOwn ? "you own" : "owned by you or your groups") +
                          ", and " + what +
                          " is not one of them (ask an administrator for a grant with a wider "
                          "scope)");
}

// The owner a write gives a customer must be within the writer's reach too: a salesperson
// with scope own cannot hand a customer to somebody else.
Result<void> MayOwn(org::Directory& directory, const org::Principal& who, const crm::Customer& c,
                    Groups& groups) {
  QUIRE_ASSIGN_OR_RETURN(bool reaches,
                         ReachesOwner(directory, who, Permission::kCrmWrite, c.owner, groups));
  if (!reaches) return OutOfScope(who, Permission::kCrmWrite, "owner '" + c.owner + "'");
  if (!c.owner.empty()) {
    auto user = directory.GetUser(c.owner);
    if (!user) {
      return Error::ValidationFailed("the customer has 1 error; nothing was changed",
                                     {{"owner", "'" + c.owner + "' is not a user"}});
    }
  }
  return Ok();
}

}  // namespace

void AddCrmRoutes(Router& router, crm::CustomerStore& customers, org::Directory& directory) {
  router.Add("POST", "/api/crm/customers", Permission::kCrmWrite,
             [&customers, &directory](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               const org::Principal& who = *request.principal;
               // Checked before anything is written: the fields, then the owner's reach.
               crm::Customer draft;
               draft.owner = who.user;
               if (const json::value* o = body.if_contains("owner"); o && o->is_string()) {
                 draft.owner = std::string(o->get_string());
               }
               Groups groups;
               QUIRE_RETURN_IF_ERROR(MayOwn(directory, who, draft, groups));
               QUIRE_ASSIGN_OR_RETURN(crm::Customer c, customers.Create(body, Actor(request)));
               // Others that look like the same customer, among those the caller reaches.
               json::object answer = c.ToJson();
               json::array possible;
               QUIRE_ASSIGN_OR_RETURN(std::vector<crm::DuplicateCandidate> candidates,
                                      crm::FindDuplicates(customers, c));
               for (const crm::DuplicateCandidate& d : candidates) {
                 auto other = customers.Get(d.id);
                 if (!other) continue;
                 QUIRE_ASSIGN_OR_RETURN(
                     bool visible,
                     ReachesOwner(directory, who, Permission::kCrmRead, other->owner, groups));
                 if (!visible) continue;
                 possible.push_back({{"id", std::to_string(d.id)},
                                     {"name", other->name},
                                     {"reasons", json::array(d.reasons.begin(), d.reasons.end())}});
               }
               answer["possibleDuplicates"] = std::move(possible);
               Response r = JsonResponse(201, answer);
               r.headers.push_back({"Location", "/api/crm/customers/" + std::to_string(c.id)});
               return r;
             });

  router.Add("GET", "/api/crm/customers", Permission::kCrmRead,
             [&customers, &directory](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::size_t limit, Limit(request, 50));
               crm::CustomerId after = 0;
               if (const auto a = request.query_param("after")) {
                 QUIRE_ASSIGN_OR_RETURN(after, ParseId(*a, "after"));
               }
               const org::Principal& who = *request.principal;
               Groups groups;
               QUIRE_ASSIGN_OR_RETURN(
                   crm::CustomerStore::Page page,
                   customers.List(after, limit, [&](const crm::Customer& c) -> Result<bool> {
                     return ReachesOwner(directory, who, Permission::kCrmRead, c.owner, groups);
                   }));
               json::array items;
               for (const crm::Customer& c : page.customers) items.push_back(c.ToJson());
               return JsonResponse(
                   200, Page(std::move(items), page.next == 0 ? "" : std::to_string(page.next)));
             });

  router.Add("GET", "/api/crm/customers/{id}", Permission::kCrmRead,
             [&customers, &directory](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::CustomerId id, PathId(request, "customer id"));
               const org::Principal& who = *request.principal;
               QUIRE_ASSIGN_OR_RETURN(crm::Customer c, customers.Get(id));
               Groups groups;
               QUIRE_ASSIGN_OR_RETURN(
                   bool reaches,
                   ReachesOwner(directory, who, Permission::kCrmRead, c.owner, groups));
               if (!reaches) {
                 return OutOfScope(who, Permission::kCrmRead, "customer " + std::to_string(id));
               }
               QUIRE_RETURN_IF_ERROR(customers.RecordView(id, Actor(request)));
               return JsonResponse(200, c.ToJson());
             });

  router.Add(
      "PATCH", "/api/crm/customers/{id}", Permission::kCrmWrite,
      [&customers, &directory](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(crm::CustomerId id, PathId(request, "customer id"));
        QUIRE_ASSIGN_OR_RETURN(json::object patch, ParseJsonObject(request));
        const org::Principal& who = *request.principal;
        QUIRE_ASSIGN_OR_RETURN(crm::Customer c, customers.Get(id));
        Groups groups;
        QUIRE_ASSIGN_OR_RETURN(
            bool reaches, ReachesOwner(directory, who, Permission::kCrmWrite, c.owner, groups));
        if (!reaches) {
          return OutOfScope(who, Permission::kCrmWrite, "customer " + std::to_string(id));
        }
        if (const json::value* o = patch.if_contains("owner"); o && o->is_string()) {
          crm::Customer moved = c;
          moved.owner = std::string(o->get_string());
          QUIRE_RETURN_IF_ERROR(MayOwn(directory, who, moved, groups));
        }
        QUIRE_ASSIGN_OR_RETURN(crm::Customer changed, customers.Update(id, patch, Actor(request)));
        return JsonResponse(200, changed.ToJson());
      });
}

}  // namespace quire::server
