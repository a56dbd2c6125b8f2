#include "quire/server/crm_routes.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "quire/base/json_text.h"
#include "quire/crm/quality.h"
#include "quire/crm/schema.h"
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

// A list filter: ?industry=it, ?team=sales, ?field.size=12 (a custom field). Values are
// compared as the record holds them (a dictionary's value, a label is read as its value);
// a list (tags, a multiselect) matches when it holds the value.
struct Filter {
  bool custom = false;
  std::string name;
  std::string value;

  static bool Holds(const json::value* v, std::string_view want) {
    if (v == nullptr || v->is_null()) return false;
    if (v->is_string()) return v->get_string() == want;
    if (v->is_array()) {
      for (const json::value& item : v->get_array()) {
        if (Holds(&item, want)) return true;
      }
      return false;
    }
    return JsonText(*v) == want;
  }

  bool Matches(const crm::Customer& c) const {
    if (custom) return Holds(c.custom_fields.if_contains(name), value);
    if (name == "kind") return c.kind == value;
    if (name == "owner") return c.owner == value;
    if (name == "tag") return std::find(c.tags.begin(), c.tags.end(), value) != c.tags.end();
    return Holds(c.profile.if_contains(name), value);
  }
};

Result<std::vector<Filter>> Filters(const Request& request, const crm::CrmSchema& schema) {
  std::vector<Filter> out;
  const crm::Fields custom = schema.CustomFields("customer");
  for (const auto& [key, value] : request.query_params()) {
    if (key == "limit" || key == "after") continue;
    Filter f{false, key, value};
    const definitions::Field* declared = nullptr;
    if (key.starts_with("field.")) {
      f.custom = true;
      f.name = key.substr(6);
      declared = definitions::FindField(*custom, f.name);
      if (declared == nullptr) {
        std::string known;
        for (const definitions::Field& d : *custom) known += (known.empty() ? "" : ", ") + d.name;
        return Error::InvalidArgument(
            "?" + key + "=: customers have no custom field '" + f.name + "'" +
            (known.empty() ? " (none are declared)" : "; they have: " + known));
      }
    } else if (key != "kind" && key != "owner" && key != "tag") {
      declared = definitions::FindField(crm::ProfileFields(), key);
      if (declared == nullptr || key == "creditLimit") {
        return Error::InvalidArgument(
            "?" + key +
            "= is not a filter of customers; they are: kind, owner, tag, industry, category, "
            "customerType, source, deliveryTerms, paymentTermsDays, satisfaction, currency, team, "
            "field.NAME (a custom field), limit, after");
      }
    }
    if (declared != nullptr) {
      // Written as the record holds it: a label becomes its value, "12" a number.
      std::vector<ErrorDetail> problems;
      const json::object one{{declared->name, value}};
      const json::object checked =
          schema.CheckValues({*declared}, one, nullptr, "?", true, problems);
      if (!problems.empty()) {
        return Error::InvalidArgument("?" + key + "=" + value + ": " + problems.front().message);
      }
      if (const json::value* v = checked.if_contains(declared->name)) {
        f.value = v->is_string() ? std::string(v->get_string()) : JsonText(*v);
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

// Dictionaries and custom fields: read by whoever reads the CRM, changed with crm.manage.
void AddSchemaRoutes(Router& router, crm::CrmSchema& schema) {
  router.Add("GET", "/api/crm/dictionaries", Permission::kCrmRead,
             [&schema](const Request&) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Dictionary> all, schema.Dictionaries());
               json::array items;
               for (const crm::Dictionary& d : all) items.push_back(d.ToJson());
               return JsonResponse(200, Page(std::move(items), ""));
             });
  router.Add("GET", "/api/crm/dictionaries/{name}", Permission::kCrmRead,
             [&schema](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(
                   crm::Dictionary d,
                   schema.GetDictionary(std::string(*request.path_param("name"))));
               return JsonResponse(200, d.ToJson());
             });
  router.Add("PUT", "/api/crm/dictionaries/{name}", Permission::kCrmManage,
             [&schema](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(crm::Dictionary d,
                                      schema.PutDictionary(std::string(*request.path_param("name")),
                                                           body, Actor(request)));
               return JsonResponse(200, d.ToJson());
             });
  router.Add("DELETE", "/api/crm/dictionaries/{name}", Permission::kCrmManage,
             [&schema](const Request& request) -> Result<Response> {
               QUIRE_RETURN_IF_ERROR(schema.DeleteDictionary(
                   std::string(*request.path_param("name")), Actor(request)));
               return NoContent();
             });
  router.Add(
      "GET", "/api/crm/custom-fields/{entity}", Permission::kCrmRead,
      [&schema](const Request& request) -> Result<Response> {
        const std::string entity(*request.path_param("entity"));
        const bool known =
            std::find(std::begin(crm::CrmSchema::kEntities), std::end(crm::CrmSchema::kEntities),
                      entity) != std::end(crm::CrmSchema::kEntities);
        if (!known) {
          return Error::NotFound("'" + entity +
                                 "' has no custom fields; the records that do: customer, "
                                 "contact, activity");
        }
        return JsonResponse(
            200, json::object{{"entity", entity},
                              {"fields", definitions::FieldsToJson(*schema.CustomFields(entity))}});
      });
  router.Add("PUT", "/api/crm/custom-fields/{entity}", Permission::kCrmManage,
             [&schema](const Request& request) -> Result<Response> {
               const std::string entity(*request.path_param("entity"));
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               const json::value* fields = body.if_contains("fields");
               if (fields == nullptr) {
                 return Error::ValidationFailed(
                     "send {\"fields\": [...]}",
                     {{"fields",
                       "required: the list of field declarations (an empty list "
                       "removes them all)"}});
               }
               QUIRE_ASSIGN_OR_RETURN(crm::Fields declared,
                                      schema.PutCustomFields(entity, *fields, Actor(request)));
               return JsonResponse(200,
                                   json::object{{"entity", entity},
                                                {"fields", definitions::FieldsToJson(*declared)}});
             });
}

}  // namespace

void AddMergeRoutes(Router& router, services::Services& services) {
  crm::CustomerStore& customers = services.customers();
  org::Directory& directory = services.directory();
  // The caller's grant of `p` must reach every customer of the merge.
  auto reach = [&customers, &directory](
                   const Request& request, Permission p,
                   std::initializer_list<crm::CustomerId> ids) -> Result<void> {
    Groups groups;
    for (const crm::CustomerId id : ids) {
      QUIRE_ASSIGN_OR_RETURN(crm::Customer c, customers.Get(id));
      QUIRE_ASSIGN_OR_RETURN(bool reaches,
                             ReachesOwner(directory, *request.principal, p, c.owner, groups));
      if (!reaches) return OutOfScope(*request.principal, p, "customer " + std::to_string(id));
    }
    return Ok();
  };
  router.Add(
      "POST", "/api/crm/customers/{id}/merge", Permission::kCrmWrite,
      [&services, &customers, reach](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(crm::CustomerId survivor, PathId(request, "customer id"));
        QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
        const json::value* d = body.if_contains("duplicate");
        if (d == nullptr || !d->is_string()) {
          return Error::ValidationFailed(
              "say which customer to merge into this one",
              {{"duplicate",
                "required: the id of the customer that is the same as this "
                "one (it is merged into this one and kept for the undo)"}});
        }
        QUIRE_ASSIGN_OR_RETURN(crm::CustomerId duplicate, ParseId(d->get_string(), "duplicate"));
        QUIRE_RETURN_IF_ERROR(reach(request, Permission::kCrmWrite, {survivor, duplicate}));
        QUIRE_ASSIGN_OR_RETURN(crm::CustomerMerge m, services.customer_merger().Merge(
                                                         survivor, duplicate, Actor(request)));
        QUIRE_ASSIGN_OR_RETURN(crm::Customer c, customers.Get(survivor));
        return JsonResponse(200, json::object{{"merge", m.ToJson()},
                                              {"customer", c.ToJson(MaySeeSensitive(request))}});
      });
  router.Add("GET", "/api/crm/merges/{id}", Permission::kCrmRead,
             [&customers, reach](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::MergeId id, PathId(request, "merge id"));
               QUIRE_ASSIGN_OR_RETURN(crm::CustomerMerge m, customers.GetMerge(id));
               QUIRE_RETURN_IF_ERROR(reach(request, Permission::kCrmRead, {m.survivor}));
               return JsonResponse(200, m.ToJson());
             });
  router.Add(
      "POST", "/api/crm/merges/{id}/undo", Permission::kCrmWrite,
      [&services, &customers, reach](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(crm::MergeId id, PathId(request, "merge id"));
        QUIRE_ASSIGN_OR_RETURN(crm::CustomerMerge m, customers.GetMerge(id));
        QUIRE_RETURN_IF_ERROR(reach(request, Permission::kCrmWrite, {m.survivor, m.duplicate}));
        QUIRE_ASSIGN_OR_RETURN(m, services.customer_merger().Undo(id, Actor(request)));
        QUIRE_ASSIGN_OR_RETURN(crm::Customer s, customers.Get(m.survivor));
        QUIRE_ASSIGN_OR_RETURN(crm::Customer d, customers.Get(m.duplicate));
        const bool sensitive = MaySeeSensitive(request);
        return JsonResponse(200, json::object{{"merge", m.ToJson()},
                                              {"customer", s.ToJson(sensitive)},
                                              {"duplicate", d.ToJson(sensitive)}});
      });
}

void AddCrmRoutes(Router& router, crm::CustomerStore& customers, crm::CrmSchema& schema,
                  org::Directory& directory) {
  router.Add("POST", "/api/crm/customers", Permission::kCrmWrite,
             [&customers, &directory](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               const org::Principal& who = *request.principal;
               QUIRE_RETURN_IF_ERROR(MaySetSensitive(who, body));
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
               json::object answer = c.ToJson(MaySeeSensitive(request));
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
               QUIRE_ASSIGN_OR_RETURN(std::vector<Filter> filters,
                                      Filters(request, customers.schema()));
               Groups groups;
               QUIRE_ASSIGN_OR_RETURN(
                   crm::CustomerStore::Page page,
                   customers.List(after, limit, [&](const crm::Customer& c) -> Result<bool> {
                     for (const Filter& f : filters) {
                       if (!f.Matches(c)) return false;
                     }
                     return ReachesOwner(directory, who, Permission::kCrmRead, c.owner, groups);
                   }));
               json::array items;
               const bool sensitive = MaySeeSensitive(request);
               for (const crm::Customer& c : page.customers) items.push_back(c.ToJson(sensitive));
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
               return JsonResponse(200, c.ToJson(MaySeeSensitive(request)));
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
        QUIRE_RETURN_IF_ERROR(MaySetSensitive(who, patch));
        if (patch.contains("taxId") && !who.Has(Permission::kCrmSensitive)) {
          const std::vector<std::string> held = c.SensitiveFields();
          if (std::find(held.begin(), held.end(), "taxId") != held.end()) {
            return Error::Forbidden(
                "crm.sensitive is needed to change taxId: the customer's is a PESEL number");
          }
        }
        if (const json::value* o = patch.if_contains("owner"); o && o->is_string()) {
          crm::Customer moved = c;
          moved.owner = std::string(o->get_string());
          QUIRE_RETURN_IF_ERROR(MayOwn(directory, who, moved, groups));
        }
        QUIRE_ASSIGN_OR_RETURN(crm::Customer changed, customers.Update(id, patch, Actor(request)));
        return JsonResponse(200, changed.ToJson(MaySeeSensitive(request)));
      });

  AddSchemaRoutes(router, schema);
}

}  // namespace quire::server
