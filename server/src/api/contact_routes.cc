// The CRM's contact persons (crm_routes.h lists the routes).
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "quire/base/json_fields.h"
#include "quire/crm/export.h"
#include "quire/crm/import.h"
#include "quire/crm/labels.h"
#include "quire/crm/mailing.h"
#include "quire/crm/quality.h"
#include "quire/server/crm_routes.h"
#include "route_support.h"

namespace quire::server {
namespace {

using namespace api;  // NOLINT: the shared route helpers

using Groups = std::map<std::string, std::vector<std::string>>;

// A contact person is within reach of a grant that reaches their owner, or any of the
// customers they are a contact of.
class ContactAccess {
 public:
  ContactAccess(crm::CustomerStore& customers, org::Directory& directory, const org::Principal& who)
      : customers_(customers), directory_(directory), who_(who) {}

  Result<bool> Reaches(const crm::Contact& c, Permission p) {
    QUIRE_ASSIGN_OR_RETURN(bool owner, ReachesOwner(directory_, who_, p, c.owner, groups_));
    if (owner) return true;
    for (const crm::CustomerId id : c.customers) {
      auto customer = customers_.Get(id);
      if (!customer) continue;
      QUIRE_ASSIGN_OR_RETURN(bool reaches,
                             ReachesOwner(directory_, who_, p, customer->owner, groups_));
      if (reaches) return true;
    }
    return false;
  }

  // The customers a write links must be within the writer's reach, and so must the owner.
  Result<void> MayWrite(const json::object& body) {
    if (const json::value* list = body.if_contains("customers"); list && list->is_array()) {
      for (const json::value& v : list->get_array()) {
        const std::optional<crm::CustomerId> id = JsonId(v);
        if (!id) continue;  // the store names what is wrong
        auto customer = customers_.Get(*id);
        if (!customer) continue;
        QUIRE_ASSIGN_OR_RETURN(bool reaches, ReachesOwner(directory_, who_, Permission::kCrmWrite,
                                                          customer->owner, groups_));
        if (!reaches) return OutOfScope(Permission::kCrmWrite, "customer " + std::to_string(*id));
      }
    }
    if (const json::value* o = body.if_contains("owner"); o && o->is_string()) {
      const std::string owner(o->get_string());
      QUIRE_ASSIGN_OR_RETURN(bool reaches,
                             ReachesOwner(directory_, who_, Permission::kCrmWrite, owner, groups_));
      if (!reaches) return OutOfScope(Permission::kCrmWrite, "owner '" + owner + "'");
      if (!owner.empty() && !directory_.GetUser(owner)) {
        return Error::ValidationFailed("the contact person has 1 error; nothing was changed",
                                       {{"owner", "'" + owner + "' is not a user"}});
      }
    }
    return Ok();
  }

  Error OutOfScope(Permission p, const std::string& what) const {
    return Error::Forbidden(std::string(org::Name(p)) + " is granted to you with scope " +
                            std::string(org::Name(who_.permissions.ScopeOf(p))) + ", and " + what +
                            " is not within it (it reaches the contact persons you own and "
                            "those of the customers in your reach)");
  }

 private:
  crm::CustomerStore& customers_;
  org::Directory& directory_;
  const org::Principal& who_;
  Groups groups_;
};

// Customer `id` of the request's path, when the caller's crm.read reaches it.
// Errors: kNotFound, kForbidden naming the customer.
Result<crm::Customer> ReadableCustomer(crm::CustomerStore& customers, org::Directory& directory,
                                       const Request& request) {
  QUIRE_ASSIGN_OR_RETURN(crm::CustomerId id, PathId(request, "customer id"));
  QUIRE_ASSIGN_OR_RETURN(crm::Customer c, customers.Get(id));
  Groups groups;
  QUIRE_ASSIGN_OR_RETURN(bool reaches, ReachesOwner(directory, *request.principal,
                                                    Permission::kCrmRead, c.owner, groups));
  if (!reaches) {
    return Error::Forbidden("crm.read does not reach customer " + std::to_string(id) +
                            " with your grant's scope");
  }
  return c;
}

}  // namespace

void AddContactRoutes(Router& router, services::Services& services) {
  crm::CustomerStore& customers = services.customers();
  crm::ContactStore& contacts = services.contacts();
  org::Directory& directory = services.directory();

  router.Add("POST", "/api/crm/contacts", Permission::kCrmWrite,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               ContactAccess access(customers, directory, *request.principal);
               QUIRE_RETURN_IF_ERROR(access.MayWrite(body));
               QUIRE_ASSIGN_OR_RETURN(crm::Contact c, contacts.Create(body, Actor(request)));
               Response out = JsonResponse(201, c.ToJson());
               out.headers.push_back({"Location", "/api/crm/contacts/" + std::to_string(c.id)});
               return out;
             });

  router.Add("GET", "/api/crm/contacts", Permission::kCrmRead,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::size_t limit, Limit(request, 50));
               crm::ContactId after = 0;
               if (const auto a = request.query_param("after")) {
                 QUIRE_ASSIGN_OR_RETURN(after, ParseId(*a, "after"));
               }
               ContactAccess access(customers, directory, *request.principal);
               QUIRE_ASSIGN_OR_RETURN(
                   crm::ContactStore::Page page,
                   contacts.List(after, limit, [&](const crm::Contact& c) -> Result<bool> {
                     return access.Reaches(c, Permission::kCrmRead);
                   }));
               json::array items;
               for (const crm::Contact& c : page.contacts) items.push_back(c.ToJson());
               return JsonResponse(
                   200, Page(std::move(items), page.next == 0 ? "" : std::to_string(page.next)));
             });

  router.Add("GET", "/api/crm/contacts/{id}", Permission::kCrmRead,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::ContactId id, PathId(request, "contact id"));
               QUIRE_ASSIGN_OR_RETURN(crm::Contact c, contacts.Get(id));
               ContactAccess access(customers, directory, *request.principal);
               QUIRE_ASSIGN_OR_RETURN(bool reaches, access.Reaches(c, Permission::kCrmRead));
               if (!reaches) {
                 return access.OutOfScope(Permission::kCrmRead,
                                          "contact person " + std::to_string(id));
               }
               return JsonResponse(200, c.ToJson());
             });

  router.Add(
      "PATCH", "/api/crm/contacts/{id}", Permission::kCrmWrite,
      [&](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(crm::ContactId id, PathId(request, "contact id"));
        QUIRE_ASSIGN_OR_RETURN(json::object patch, ParseJsonObject(request));
        QUIRE_ASSIGN_OR_RETURN(crm::Contact c, contacts.Get(id));
        ContactAccess access(customers, directory, *request.principal);
        QUIRE_ASSIGN_OR_RETURN(bool reaches, access.Reaches(c, Permission::kCrmWrite));
        if (!reaches) {
          return access.OutOfScope(Permission::kCrmWrite, "contact person " + std::to_string(id));
        }
        QUIRE_RETURN_IF_ERROR(access.MayWrite(patch));
        QUIRE_ASSIGN_OR_RETURN(crm::Contact changed, contacts.Update(id, patch, Actor(request)));
        return JsonResponse(200, changed.ToJson());
      });

  router.Add("GET", "/api/crm/customers/{id}/contacts", Permission::kCrmRead,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::Customer customer,
                                      ReadableCustomer(customers, directory, request));
               const crm::CustomerId id = customer.id;
               QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Contact> of, contacts.OfCustomer(id));
               json::array items;
               for (const crm::Contact& c : of) items.push_back(c.ToJson());
               return JsonResponse(200, Page(std::move(items), ""));
             });
}

void AddImportRoutes(Router& router, services::Services& services) {
  crm::CustomerStore& customers = services.customers();
  crm::ContactStore& contacts = services.contacts();
  crm::ActivityStore& activities = services.activities();
  org::Directory& directory = services.directory();
  // On the slow pool: an import checks and writes thousands of records.
  router.AddSlow(
      "POST", "/api/crm/imports", Permission::kCrmWrite,
      [&](const Request& request) -> Result<Response> {
        crm::ImportOptions options;
        options.kind = request.query_param("kind").value_or("");
        options.format = request.query_param("format").value_or("csv");
        options.encoding = request.query_param("encoding").value_or("auto");
        options.dry_run = request.query_param("dryRun").value_or("false") == "true";
        options.skip_bad_rows = request.query_param("skipBadRows").value_or("false") == "true";
        if (const auto d = request.query_param("delimiter")) {
          if (*d == "tab" || *d == "\t") {
            options.delimiter = '\t';
          } else if (*d == "," || *d == ";" || *d == "|") {
            options.delimiter = (*d)[0];
          } else {
            return Error::InvalidArgument("?delimiter= is , ; | or tab");
          }
        }
        if (options.kind.empty()) {
          return Error::InvalidArgument(
              "?kind= is required: customers, contacts or activities (the file is the body)");
        }
        if (request.body.empty()) {
          return Error::InvalidArgument("the body is empty: send the file itself as the body");
        }
        // Each row within the caller's reach, as one written by hand would be. The check
        // owns what it needs: an async import runs after this request has ended.
        struct Reach {
          std::shared_ptr<const org::Principal> who;
          Groups groups;
          ContactAccess access;
        };
        auto state = std::make_shared<Reach>(
            Reach{request.principal, {}, ContactAccess(customers, directory, *request.principal)});
        const std::string kind = options.kind;
        options.check = [state, kind, &customers, &contacts, &directory](
                            const json::object& fields, std::uint64_t existing) -> Result<void> {
          const org::Principal& who = *state->who;
          Groups& groups = state->groups;
          ContactAccess& access = state->access;
          auto reach = [&](const std::string& owner, const std::string& what) -> Result<void> {
            QUIRE_ASSIGN_OR_RETURN(
                bool reaches, ReachesOwner(directory, who, Permission::kCrmWrite, owner, groups));
            if (!reaches) {
              return Error::Forbidden(
                  "crm.write does not reach " + what + " with your grant's scope (" +
                  std::string(org::Name(who.permissions.ScopeOf(Permission::kCrmWrite))) + ")");
            }
            return Ok();
          };
          if (kind == "customers" && !who.Has(Permission::kCrmSensitive)) {
            QUIRE_RETURN_IF_ERROR(MaySetSensitive(who, fields));
          }
          if (kind == "customers" || kind == "contacts") {
            std::string owner = who.user;
            if (const json::value* o = fields.if_contains("owner"); o && o->is_string()) {
              owner = std::string(o->get_string());
              if (!directory.GetUser(owner)) {
                return Error::InvalidArgument("owner '" + owner + "' is not a user");
              }
            }
            QUIRE_RETURN_IF_ERROR(reach(owner, "owner '" + owner + "'"));
            if (existing != 0 && kind == "customers") {
              QUIRE_ASSIGN_OR_RETURN(crm::Customer c, customers.Get(existing));
              QUIRE_RETURN_IF_ERROR(reach(c.owner, "customer " + std::to_string(existing)));
            }
            if (existing != 0 && kind == "contacts") {
              QUIRE_ASSIGN_OR_RETURN(crm::Contact c, contacts.Get(existing));
              QUIRE_ASSIGN_OR_RETURN(bool reaches, access.Reaches(c, Permission::kCrmWrite));
              if (!reaches) {
                return access.OutOfScope(Permission::kCrmWrite,
                                         "contact person " + std::to_string(existing));
              }
            }
            if (kind == "contacts") QUIRE_RETURN_IF_ERROR(access.MayWrite(fields));
          } else if (const json::value* c = fields.if_contains("customer"); c && c->is_string()) {
            auto id = ParseId(c->get_string(), "customer");
            if (id) {
              QUIRE_ASSIGN_OR_RETURN(crm::Customer customer, customers.Get(*id));
              QUIRE_RETURN_IF_ERROR(reach(customer.owner, "customer " + std::to_string(*id)));
            }
          }
          return Ok();
        };
        if (request.query_param("async").value_or("false") == "true") {
          QUIRE_ASSIGN_OR_RETURN(
              json::object job,
              services.import_jobs().Submit(request.body, std::move(options), Actor(request)));
          Response r = JsonResponse(201, job);
          r.headers.push_back(
              {"Location", "/api/crm/imports/" + std::string(job.at("id").as_string())});
          return r;
        }
        crm::Importer importer(customers, contacts, activities,
                               [&services] { return services.clock().Now(); });
        QUIRE_ASSIGN_OR_RETURN(crm::ImportReport report,
                               importer.Run(request.body, options, Actor(request)));
        return JsonResponse(200, report.ToJson());
      });

  // A background import: its progress, and its report once done. Its starter's, or any
  // with crm.manage.
  router.Add("GET", "/api/crm/imports/{id}", Permission::kCrmWrite,
             [&services](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "import id"));
               QUIRE_ASSIGN_OR_RETURN(json::object job, services.import_jobs().Get(id));
               if (StrOf(job, "createdBy") != UserId(request) &&
                   !request.principal->Has(Permission::kCrmManage)) {
                 return Error::Forbidden("import " + std::to_string(id) +
                                         " was started by someone else (crm.manage sees all)");
               }
               return JsonResponse(200, job);
             });
}

void AddQualityRoutes(Router& router, services::Services& services) {
  crm::CustomerStore& customers = services.customers();
  crm::ContactStore& contacts = services.contacts();
  org::Directory& directory = services.directory();

  // What a customer lacks, with its contact persons; and whether its owner is a user.
  auto problems_of = [&](const crm::Customer& c) -> Result<std::vector<crm::QualityProblem>> {
    QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Contact> people, contacts.OfCustomer(c.id, 50));
    const bool owner_exists = !c.owner.empty() && directory.GetUser(c.owner).has_value();
    return crm::CheckQuality(c, people, owner_exists);
  };
  auto summary = [](const crm::Customer& c) {
    return json::object{{"id", std::to_string(c.id)}, {"name", c.name}, {"owner", c.owner}};
  };
  auto problems_json = [](const std::vector<crm::QualityProblem>& problems) {
    json::array out;
    for (const crm::QualityProblem& p : problems) out.push_back(p.ToJson());
    return out;
  };

  router.Add(
      "GET", "/api/crm/customers/{id}/quality", Permission::kCrmRead,
      [=, &customers, &directory](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(crm::Customer c, ReadableCustomer(customers, directory, request));
        QUIRE_ASSIGN_OR_RETURN(std::vector<crm::QualityProblem> problems, problems_of(c));
        return JsonResponse(
            200, json::object{{"customer", summary(c)}, {"problems", problems_json(problems)}});
      });

  // The work list: customers within reach that have problems, in id order, paged. With
  // ?severity=required only those missing or holding wrong required data.
  router.Add(
      "GET", "/api/crm/data-quality", Permission::kCrmRead,
      [=, &customers, &directory](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(std::size_t limit, Limit(request, 50));
        crm::CustomerId after = 0;
        if (const auto a = request.query_param("after")) {
          QUIRE_ASSIGN_OR_RETURN(after, ParseId(*a, "after"));
        }
        const std::string severity = request.query_param("severity").value_or("");
        if (!severity.empty() && severity != "required" && severity != "recommended") {
          return Error::InvalidArgument("?severity= is required or recommended");
        }
        Groups groups;
        std::map<crm::CustomerId, std::vector<crm::QualityProblem>> found;
        QUIRE_ASSIGN_OR_RETURN(
            crm::CustomerStore::Page page,
            customers.List(after, limit, [&](const crm::Customer& c) -> Result<bool> {
              QUIRE_ASSIGN_OR_RETURN(
                  bool reaches, ReachesOwner(directory, *request.principal, Permission::kCrmRead,
                                             c.owner, groups));
              if (!reaches) return false;
              QUIRE_ASSIGN_OR_RETURN(std::vector<crm::QualityProblem> problems, problems_of(c));
              if (!severity.empty()) {
                std::erase_if(problems, [&](const auto& p) { return p.severity != severity; });
              }
              if (problems.empty()) return false;
              found[c.id] = std::move(problems);
              return true;
            }));
        json::array items;
        for (const crm::Customer& c : page.customers) {
          items.push_back({{"customer", summary(c)}, {"problems", problems_json(found[c.id])}});
        }
        return JsonResponse(
            200, Page(std::move(items), page.next == 0 ? "" : std::to_string(page.next)));
      });

  // In total: how many customers within reach have each kind of problem.
  router.AddSlow("GET", "/api/crm/data-quality/summary", Permission::kCrmRead,
                 [=, &customers, &directory](const Request& request) -> Result<Response> {
                   Groups groups;
                   std::size_t checked = 0, with_problems = 0;
                   std::map<std::pair<std::string, std::string>, std::size_t> counts;
                   crm::CustomerId after = 0;
                   do {
                     QUIRE_ASSIGN_OR_RETURN(
                         crm::CustomerStore::Page page,
                         customers.List(after, 1000, [&](const crm::Customer& c) -> Result<bool> {
                           QUIRE_ASSIGN_OR_RETURN(
                               bool reaches, ReachesOwner(directory, *request.principal,
                                                          Permission::kCrmRead, c.owner, groups));
                           if (!reaches) return false;
                           ++checked;
                           QUIRE_ASSIGN_OR_RETURN(std::vector<crm::QualityProblem> problems,
                                                  problems_of(c));
                           if (!problems.empty()) ++with_problems;
                           std::set<std::pair<std::string, std::string>> kinds;
                           for (const crm::QualityProblem& p : problems) {
                             // "phones[1].number" and "phones[0].number" are one kind of problem.
                             kinds.insert({p.field.substr(0, p.field.find_first_of(".[")), p.kind});
                           }
                           for (const auto& k : kinds) ++counts[k];
                           return false;
                         }));
                     after = page.next;
                   } while (after != 0);
                   json::array by;
                   for (const auto& [k, n] : counts) {
                     by.push_back({{"field", k.first}, {"kind", k.second}, {"customers", n}});
                   }
                   return JsonResponse(200, json::object{{"customersChecked", checked},
                                                         {"customersWithProblems", with_problems},
                                                         {"problems", std::move(by)}});
                 });

  router.Add(
      "GET", "/api/crm/customers/{id}/duplicates", Permission::kCrmRead,
      [=, &customers, &directory](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(crm::Customer c, ReadableCustomer(customers, directory, request));
        Groups groups;
        const org::Principal& who = *request.principal;
        QUIRE_ASSIGN_OR_RETURN(std::vector<crm::DuplicateCandidate> candidates,
                               crm::FindDuplicates(customers, c));
        json::array items;
        for (const crm::DuplicateCandidate& d : candidates) {
          auto other = customers.Get(d.id);
          if (!other) continue;
          QUIRE_ASSIGN_OR_RETURN(bool visible, ReachesOwner(directory, who, Permission::kCrmRead,
                                                            other->owner, groups));
          if (!visible) continue;
          json::object o = summary(*other);
          o["reasons"] = json::array(d.reasons.begin(), d.reasons.end());
          items.push_back(std::move(o));
        }
        return JsonResponse(200, Page(std::move(items), ""));
      });
}

void AddPrivacyRoutes(Router& router, services::Services& services) {
  crm::CustomerStore& customers = services.customers();
  crm::ContactStore& contacts = services.contacts();
  crm::ActivityStore& activities = services.activities();
  org::Directory& directory = services.directory();
  dms::DocumentStore& documents = services.documents();
  audit::AuditLog& audit = services.audit();

  // Everything the CRM holds about a customer, as one JSON document (the data subject's copy).
  router.Add(
      "GET", "/api/crm/customers/{id}/privacy-export", Permission::kCrmRead,
      [&](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(crm::Customer c, ReadableCustomer(customers, directory, request));
        const crm::CustomerId id = c.id;
        json::array people, acts, docs;
        QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Contact> of, contacts.OfCustomer(id));
        for (const crm::Contact& p : of) people.push_back(p.ToJson());
        std::string cursor;
        do {
          QUIRE_ASSIGN_OR_RETURN(
              crm::ActivityStore::TimelinePage page,
              activities.Timeline(id, cursor, 1000,
                                  [](const crm::Activity&) -> Result<bool> { return true; }));
          for (const crm::Activity& a : page.activities) acts.push_back(a.ToJson());
          cursor = page.next;
        } while (!cursor.empty());
        std::string after;
        do {
          QUIRE_ASSIGN_OR_RETURN(dms::DocumentPage page,
                                 documents.Linked({"customer", std::to_string(id)}, 500, after));
          for (const dms::DocumentInfo& d : page.documents) {
            docs.push_back({{"id", std::to_string(d.id)},
                            {"title", d.title},
                            {"type", d.type},
                            {"metadata", d.metadata}});
          }
          after = page.next;
        } while (!after.empty());
        json::array offers_json, orders_json;
        const auto all = [](const auto&) { return true; };
        QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Offer> offered,
                               services.offers().List(id, SIZE_MAX, 0, all));
        for (const crm::Offer& o : offered) offers_json.push_back(o.ToJson());
        QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Order> ordered,
                               services.offers().Orders(id, SIZE_MAX, 0, all));
        const auto today = services.offers().Today(services.clock().Now());
        for (const crm::Order& o : ordered) orders_json.push_back(o.ToJson(today));
        json::array answers;
        QUIRE_ASSIGN_OR_RETURN(std::vector<crm::QuestionnaireResponse> responses,
                               services.questionnaires().ResponsesOfCustomer(id));
        for (const crm::QuestionnaireResponse& r : responses) answers.push_back(r.ToJson());
        QUIRE_RETURN_IF_ERROR(audit.Append(
            {Actor(request), "customer.exported", "customer/" + std::to_string(id), {}},
            services.clock().Now()));
        return JsonResponse(200, json::object{{"customer", c.ToJson(MaySeeSensitive(request))},
                                              {"contacts", std::move(people)},
                                              {"activities", std::move(acts)},
                                              {"documents", std::move(docs)},
                                              {"offers", std::move(offers_json)},
                                              {"orders", std::move(orders_json)},
                                              {"questionnaireResponses", std::move(answers)},
                                              {"exportedAt", Time(services.clock().Now())}});
      });

  router.Add(
      "GET", "/api/crm/contacts/{id}/privacy-export", Permission::kCrmRead,
      [&](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(crm::ContactId id, PathId(request, "contact id"));
        QUIRE_ASSIGN_OR_RETURN(crm::Contact p, contacts.Get(id));
        ContactAccess access(customers, directory, *request.principal);
        QUIRE_ASSIGN_OR_RETURN(bool reaches, access.Reaches(p, Permission::kCrmRead));
        if (!reaches) {
          return access.OutOfScope(Permission::kCrmRead, "contact person " + std::to_string(id));
        }
        json::array companies;
        for (const crm::CustomerId c : p.customers) {
          if (auto customer = customers.Get(c)) {
            companies.push_back({{"id", std::to_string(c)}, {"name", customer->name}});
          }
        }
        json::array answers;
        QUIRE_ASSIGN_OR_RETURN(std::vector<crm::QuestionnaireResponse> responses,
                               services.questionnaires().ResponsesOfContact(id));
        for (const crm::QuestionnaireResponse& r : responses) answers.push_back(r.ToJson());
        QUIRE_RETURN_IF_ERROR(
            audit.Append({Actor(request), "contact.exported", "contact/" + std::to_string(id), {}},
                         services.clock().Now()));
        return JsonResponse(200, json::object{{"contact", p.ToJson()},
                                              {"customers", std::move(companies)},
                                              {"questionnaireResponses", std::move(answers)},
                                              {"exportedAt", Time(services.clock().Now())}});
      });

  // Erasure: crm.manage (administrators), the data-protection officer's act.
  router.Add("POST", "/api/crm/customers/{id}/erase", Permission::kCrmManage,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::CustomerId id, PathId(request, "customer id"));
               QUIRE_ASSIGN_OR_RETURN(crm::Customer erased, customers.Erase(id, Actor(request)));
               QUIRE_ASSIGN_OR_RETURN(std::size_t cleared,
                                      activities.EraseCustomerText(id, Actor(request)));
               QUIRE_ASSIGN_OR_RETURN(std::size_t sales,
                                      services.offers().EraseCustomerText(id, Actor(request)));
               QUIRE_ASSIGN_OR_RETURN(
                   std::size_t answers,
                   services.questionnaires().EraseAnswersOfCustomer(id, Actor(request)));
               services.RequestPurge();  // the overwritten values leave the disk too
               return JsonResponse(
                   200, json::object{{"customer", erased.ToJson(MaySeeSensitive(request))},
                                     {"activitiesCleared", cleared},
                                     {"offersAndOrdersCleared", sales},
                                     {"questionnaireAnswersErased", answers}});
             });
  router.Add("POST", "/api/crm/contacts/{id}/erase", Permission::kCrmManage,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::ContactId id, PathId(request, "contact id"));
               QUIRE_ASSIGN_OR_RETURN(crm::Contact erased, contacts.Erase(id, Actor(request)));
               QUIRE_ASSIGN_OR_RETURN(
                   std::size_t answers,
                   services.questionnaires().EraseAnswersOfContact(id, Actor(request)));
               (void)answers;
               services.RequestPurge();
               return JsonResponse(200, erased.ToJson());
             });
}

void AddExportRoutes(Router& router, services::Services& services) {
  crm::CustomerStore& customers = services.customers();
  crm::ContactStore& contacts = services.contacts();
  org::Directory& directory = services.directory();
  audit::AuditLog& audit = services.audit();

  auto delimiter_of = [](const Request& request) -> Result<char> {
    const std::string d = request.query_param("delimiter").value_or(",");
    if (d == "," || d == ";") return d[0];
    if (d == "tab") return '\t';
    return Error::InvalidArgument("?delimiter= is , ; or tab");
  };
  auto company_of = [&customers](const crm::Contact& c) -> std::string {
    if (c.customers.empty()) return "";
    auto customer = customers.Get(c.customers.front());
    return customer ? customer->name : "";
  };
  // An export of personal data is an audit entry (how many records, not which data).
  auto record = [&](const Request& request, const std::string& what, std::size_t n) {
    return audit.Append({Actor(request), what, "crm", {{"records", n}}}, services.clock().Now());
  };

  // The customers the caller reaches, as CSV (UTF-8 with a BOM, so that Excel reads it).
  router.AddSlow(
      "GET", "/api/crm/exports/customers", Permission::kCrmRead,
      [=, &customers, &directory](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(char d, delimiter_of(request));
        Groups groups;
        const crm::Fields custom = customers.schema().CustomFields("customer");
        const bool sensitive = MaySeeSensitive(request);
        std::string body = "\xEF\xBB\xBF" + crm::CustomersCsvHeader(d, *custom);
        std::size_t n = 0;
        crm::CustomerId after = 0;
        do {
          QUIRE_ASSIGN_OR_RETURN(
              crm::CustomerStore::Page page,
              customers.List(after, 1000, [&](const crm::Customer& c) -> Result<bool> {
                QUIRE_ASSIGN_OR_RETURN(
                    bool reaches, ReachesOwner(directory, *request.principal, Permission::kCrmRead,
                                               c.owner, groups));
                if (reaches) {
                  body += crm::CustomerCsvLine(c, d, *custom, sensitive);
                  ++n;
                }
                return false;
              }));
          after = page.next;
        } while (after != 0);
        QUIRE_RETURN_IF_ERROR(record(request, "customers.exported", n));
        Response r;
        r.content_type = "text/csv; charset=utf-8";
        r.headers.push_back({"Content-Disposition", "attachment; filename=\"customers.csv\""});
        r.body = std::move(body);
        return r;
      });

  // The contact persons the caller reaches, as CSV or vCard 4.0 (?format=vcard).
  router.AddSlow(
      "GET", "/api/crm/exports/contacts", Permission::kCrmRead,
      [=, &contacts, &customers, &directory](const Request& request) -> Result<Response> {
        const std::string format = request.query_param("format").value_or("csv");
        if (format != "csv" && format != "vcard") {
          return Error::InvalidArgument("?format= is csv or vcard");
        }
        QUIRE_ASSIGN_OR_RETURN(char d, delimiter_of(request));
        ContactAccess access(customers, directory, *request.principal);
        std::string body = format == "csv" ? "\xEF\xBB\xBF" + crm::ContactsCsvHeader(d) : "";
        std::size_t n = 0;
        crm::ContactId after = 0;
        do {
          QUIRE_ASSIGN_OR_RETURN(
              crm::ContactStore::Page page,
              contacts.List(after, 1000, [&](const crm::Contact& c) -> Result<bool> {
                QUIRE_ASSIGN_OR_RETURN(bool reaches, access.Reaches(c, Permission::kCrmRead));
                if (reaches) {
                  body += format == "csv" ? crm::ContactCsvLine(c, company_of(c), d)
                                          : crm::ContactVCard(c, company_of(c));
                  ++n;
                }
                return false;
              }));
          after = page.next;
        } while (after != 0);
        QUIRE_RETURN_IF_ERROR(record(request, "contacts.exported", n));
        Response r;
        r.content_type = format == "csv" ? "text/csv; charset=utf-8" : "text/vcard; charset=utf-8";
        r.headers.push_back({"Content-Disposition", format == "csv"
                                                        ? "attachment; filename=\"contacts.csv\""
                                                        : "attachment; filename=\"contacts.vcf\""});
        r.body = std::move(body);
        return r;
      });
}

void AddMailingRoutes(Router& router, services::Services& services) {
  crm::CustomerStore& customers = services.customers();
  crm::ContactStore& contacts = services.contacts();
  crm::MailingGroups& groups = services.mailing_groups();
  org::Directory& directory = services.directory();

  // The contact persons a write names must be within the writer's reach.
  auto may_list = [&](const Request& request, const json::object& body) -> Result<void> {
    const json::value* list = body.if_contains("contacts");
    if (list == nullptr || !list->is_array()) return Ok();
    ContactAccess access(customers, directory, *request.principal);
    for (const json::value& v : list->get_array()) {
      const std::optional<crm::ContactId> id = JsonId(v);
      if (!id) continue;  // the store names what is wrong
      auto person = contacts.Get(*id);
      if (!person) continue;
      QUIRE_ASSIGN_OR_RETURN(bool reaches, access.Reaches(*person, Permission::kCrmRead));
      if (!reaches) {
        return access.OutOfScope(Permission::kCrmRead, "contact person " + std::to_string(*id));
      }
    }
    return Ok();
  };
  // A group is changed by whoever made it, or with crm.manage.
  auto may_change = [](const Request& request, const crm::MailingGroup& g) -> Result<void> {
    if (g.created_by == UserId(request) || request.principal->Has(Permission::kCrmManage)) {
      return Ok();
    }
    return Error::Forbidden("mailing group " + std::to_string(g.id) + " was made by " +
                            g.created_by + ": only they, or crm.manage, change it");
  };

  router.Add("POST", "/api/crm/mailing-groups", Permission::kCrmWrite,
             [=, &groups](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_RETURN_IF_ERROR(may_list(request, body));
               QUIRE_ASSIGN_OR_RETURN(crm::MailingGroup g, groups.Create(body, Actor(request)));
               Response r = JsonResponse(201, g.ToJson());
               r.headers.push_back({"Location", "/api/crm/mailing-groups/" + std::to_string(g.id)});
               return r;
             });
  router.Add("GET", "/api/crm/mailing-groups", Permission::kCrmRead,
             [&groups](const Request&) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::vector<crm::MailingGroup> all, groups.List());
               json::array items;
               for (const crm::MailingGroup& g : all) items.push_back(g.ToJson());
               return JsonResponse(200, Page(std::move(items), ""));
             });
  router.Add("GET", "/api/crm/mailing-groups/{id}", Permission::kCrmRead,
             [&groups](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::GroupId id, PathId(request, "mailing group id"));
               QUIRE_ASSIGN_OR_RETURN(crm::MailingGroup g, groups.Get(id));
               return JsonResponse(200, g.ToJson());
             });
  router.Add("PATCH", "/api/crm/mailing-groups/{id}", Permission::kCrmWrite,
             [=, &groups](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::GroupId id, PathId(request, "mailing group id"));
               QUIRE_ASSIGN_OR_RETURN(json::object patch, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(crm::MailingGroup g, groups.Get(id));
               QUIRE_RETURN_IF_ERROR(may_change(request, g));
               QUIRE_RETURN_IF_ERROR(may_list(request, patch));
               QUIRE_ASSIGN_OR_RETURN(crm::MailingGroup changed,
                                      groups.Update(id, patch, Actor(request)));
               return JsonResponse(200, changed.ToJson());
             });

  // Address labels of the group's contact persons the caller reaches, at their company's
  // address (billing first), as a PDF for a standard label sheet.
  router.AddSlow(
      "GET", "/api/crm/mailing-groups/{id}/labels", Permission::kCrmRead,
      [&](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(crm::GroupId id, PathId(request, "mailing group id"));
        QUIRE_ASSIGN_OR_RETURN(crm::LabelSheet sheet,
                               crm::FindLabelSheet(request.query_param("sheet").value_or("L7160")));
        QUIRE_ASSIGN_OR_RETURN(crm::MailingGroup g, groups.Get(id));
        ContactAccess access(customers, directory, *request.principal);
        std::vector<std::vector<std::string>> labels;
        std::size_t skipped = 0;
        for (const crm::ContactId c : g.contacts) {
          auto person = contacts.Get(c);
          if (!person) continue;
          QUIRE_ASSIGN_OR_RETURN(bool reaches, access.Reaches(*person, Permission::kCrmRead));
          if (!reaches) continue;
          std::optional<crm::Customer> company;
          const crm::Address* address = nullptr;
          for (const crm::CustomerId cid : person->customers) {
            auto customer = customers.Get(cid);
            if (!customer || customer->addresses.empty()) continue;
            company = std::move(*customer);
            for (const crm::Address& a : company->addresses) {
              if (address == nullptr || a.kind == "billing") address = &a;
            }
            break;
          }
          if (address == nullptr) {
            ++skipped;  // nowhere to send it
            continue;
          }
          labels.push_back({person->name(), company->kind == "company" ? company->name : "",
                            address->street, address->postal_code + " " + address->city,
                            address->country == "PL" ? "" : address->country});
        }
        Response r;
        r.content_type = "application/pdf";
        r.body = crm::AddressLabelsPdf(labels, sheet);
        r.headers.push_back({"Content-Disposition", "inline; filename=\"labels.pdf\""});
        r.headers.push_back({"X-Quire-Labels", std::to_string(labels.size())});
        r.headers.push_back({"X-Quire-Labels-Without-Address", std::to_string(skipped)});
        return r;
      });
}

}  // namespace quire::server
