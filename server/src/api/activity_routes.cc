// The CRM's resources, activities, calendars, customer card and call-centre routes
// (crm_routes.h lists them).
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "quire/base/json_fields.h"
#include "quire/base/json_text.h"
#include "quire/crm/offers.h"
#include "quire/crm/phones.h"
#include "quire/server/crm_routes.h"
#include "quire/storage/key_codec.h"
#include "route_support.h"

namespace quire::server {
namespace {

using namespace api;  // NOLINT: the shared route helpers

using Groups = std::map<std::string, std::vector<std::string>>;

// How many activities the card shows before and after now.
constexpr std::size_t kCardActivities = 5;
// How many open offers and orders it shows.
constexpr std::size_t kCardSales = 10;

// What a caller may do with an activity: those they take part in or recorded are theirs;
// the others as far as their grant reaches the customer's owner (scope all: every one).
class ActivityAccess {
 public:
  ActivityAccess(crm::CustomerStore& customers, org::Directory& directory,
                 const org::Principal& who)
      : customers_(customers), directory_(directory), who_(who) {}

  Result<bool> Reaches(const crm::Activity& a, Permission p) {
    if (!who_.Has(p)) return false;
    if (a.created_by == who_.user ||
        std::find(a.employees.begin(), a.employees.end(), who_.user) != a.employees.end()) {
      return true;
    }
    if (who_.permissions.ScopeOf(p) == org::Scope::kAll) return true;
    if (a.customer == 0) return false;
    QUIRE_ASSIGN_OR_RETURN(const std::string owner, OwnerOf(a.customer));
    return ReachesOwner(directory_, who_, p, owner, groups_);
  }

  Result<bool> ReachesCustomer(crm::CustomerId id, Permission p) {
    QUIRE_ASSIGN_OR_RETURN(const std::string owner, OwnerOf(id));
    return ReachesOwner(directory_, who_, p, owner, groups_);
  }

  Error OutOfScope(Permission p, const std::string& what) const {
    return Error::Forbidden(std::string(org::Name(p)) + " is granted to you with scope " +
                            std::string(org::Name(who_.permissions.ScopeOf(p))) + ", and " + what +
                            " is not within it (it reaches the activities you take part in and "
                            "those of the customers in your reach)");
  }

 private:
  Result<std::string> OwnerOf(crm::CustomerId id) {
    auto it = owners_.find(id);
    if (it == owners_.end()) {
      QUIRE_ASSIGN_OR_RETURN(crm::Customer c, customers_.Get(id));
      it = owners_.emplace(id, c.owner).first;
    }
    return it->second;
  }

  crm::CustomerStore& customers_;
  org::Directory& directory_;
  const org::Principal& who_;
  Groups groups_;
  std::map<crm::CustomerId, std::string> owners_;
};

// The employees an activity names must be users.
Result<void> CheckEmployees(org::Directory& directory, const json::object& body) {
  const json::value* v = body.if_contains("employees");
  if (v == nullptr || !v->is_array()) return Ok();
  std::vector<ErrorDetail> problems;
  const json::array& list = v->get_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_string()) continue;  // the store says what is wrong with it
    const std::string user(list[i].get_string());
    if (!directory.GetUser(user)) {
      problems.push_back({"employees[" + std::to_string(i) + "]", "'" + user + "' is not a user"});
    }
  }
  if (problems.empty()) return Ok();
  return Error::ValidationFailed("the activity has " + std::to_string(problems.size()) +
                                     (problems.size() == 1 ? " error" : " errors") +
                                     "; nothing was changed",
                                 std::move(problems));
}

// The customer an activity's body names, if it names one the caller must reach.
std::optional<crm::CustomerId> CustomerMember(const json::object& body) {
  const json::value* v = body.if_contains("customer");
  if (v == nullptr) return std::nullopt;
  return JsonId(*v);  // malformed: nullopt, and the store refuses it with a detail
}

Result<void> MayUseCustomer(ActivityAccess& access, const json::object& body, Permission p,
                            crm::CustomerStore& customers) {
  const auto id = CustomerMember(body);
  if (!id) return Ok();
  if (!customers.Get(*id)) return Ok();  // the store names the missing customer
  QUIRE_ASSIGN_OR_RETURN(bool reaches, access.ReachesCustomer(*id, p));
  if (!reaches) return access.OutOfScope(p, "customer " + std::to_string(*id));
  return Ok();
}

Result<Timestamp> QueryTime(const Request& request, const char* name) {
  const auto v = request.query_param(name);
  if (!v) {
    return Error::InvalidArgument(std::string("?") + name +
                                  "= is required: an ISO 8601 date-time such as "
                                  "2026-12-07T00:00:00Z");
  }
  auto t = definitions::ParseDateTime(*v);
  if (!t) return Error::InvalidArgument(std::string("?") + name + "=: " + t.error().message());
  return *t;
}

// An occurrence the caller may not see in full shows only that the time is taken.
json::object Busy(const crm::Occurrence& o) {
  return {{"id", std::to_string(o.activity->id)},
          {"start", Time(o.start)},
          {"end", Time(o.end)},
          {"busy", true}};
}

json::object CardSummary(const crm::Customer& c) {
  return {{"id", std::to_string(c.id)},
          {"kind", c.kind},
          {"name", c.name},
          {"owner", c.owner},
          {"phones", c.ToJson().at("phones")},
          {"tags", json::array(c.tags.begin(), c.tags.end())}};
}

json::object DocumentSummary(const dms::DocumentInfo& d) {
  return {{"id", std::to_string(d.id)},
          {"title", d.title},
          {"type", d.type},
          {"versions", d.versions},
          {"modifiedAt", Time(d.modified)}};
}

// ---- the call centre ----

std::string CallKey(std::string_view call_id) {
  return storage::KeyEncoder().U8('k').String(call_id).Take();
}

// The users a call to `to` rang: the user with that id or phone number (an extension), or
// the members of the group with that id (a queue).
Result<std::vector<std::string>> Callees(org::Directory& directory, const std::string& to) {
  if (directory.GetUser(to)) return std::vector<std::string>{to};
  QUIRE_ASSIGN_OR_RETURN(std::vector<org::User> users, directory.ListUsers());
  for (const org::User& u : users) {
    if (!u.phone.empty() && u.phone == to) return std::vector<std::string>{u.id};
  }
  for (const org::User& u : users) {
    if (u.phone.empty()) continue;
    auto a = crm::NormalizePhone(u.phone);
    auto b = crm::NormalizePhone(to);
    if (a && b && *a == *b) return std::vector<std::string>{u.id};
  }
  std::vector<std::string> members;
  QUIRE_ASSIGN_OR_RETURN(std::vector<org::Group> groups, directory.ListGroups());
  for (const org::Group& g : groups) {
    if (g.id != to) continue;
    for (const org::User& u : users) {
      QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> of, directory.GroupsOf(u.id));
      if (std::find(of.begin(), of.end(), to) != of.end()) members.push_back(u.id);
    }
  }
  return members;
}

}  // namespace

void AddActivityRoutes(Router& router, services::Services& services) {
  crm::CustomerStore& customers = services.customers();
  crm::ResourceStore& resources = services.resources();
  crm::ActivityStore& activities = services.activities();
  crm::ContactStore& contacts = services.contacts();
  org::Directory& directory = services.directory();

  // ---- resources ----
  router.Add("POST", "/api/crm/resources", Permission::kCrmManage,
             [&resources](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(crm::Resource r, resources.Create(body, Actor(request)));
               Response out = JsonResponse(201, r.ToJson());
               out.headers.push_back({"Location", "/api/crm/resources/" + std::to_string(r.id)});
               return out;
             });
  router.Add("GET", "/api/crm/resources", Permission::kCrmRead,
             [&resources](const Request&) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Resource> all, resources.List());
               json::array items;
               for (const crm::Resource& r : all) items.push_back(r.ToJson());
               return JsonResponse(200, Page(std::move(items), ""));
             });
  router.Add("GET", "/api/crm/resources/{id}", Permission::kCrmRead,
             [&resources](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::ResourceId id, PathId(request, "resource id"));
               QUIRE_ASSIGN_OR_RETURN(crm::Resource r, resources.Get(id));
               return JsonResponse(200, r.ToJson());
             });
  router.Add("PATCH", "/api/crm/resources/{id}", Permission::kCrmManage,
             [&resources](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::ResourceId id, PathId(request, "resource id"));
               QUIRE_ASSIGN_OR_RETURN(json::object patch, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(crm::Resource r, resources.Update(id, patch, Actor(request)));
               return JsonResponse(200, r.ToJson());
             });

  // "A room for 6 people, 1 hour, next Tuesday": the free windows of the resources that fit.
  router.Add(
      "GET", "/api/crm/free-slots", Permission::kCrmRead,
      [&](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(Timestamp from, QueryTime(request, "from"));
        QUIRE_ASSIGN_OR_RETURN(Timestamp to, QueryTime(request, "to"));
        const auto duration_text = request.query_param("duration");
        if (!duration_text) {
          return Error::InvalidArgument("?duration= is required: ISO 8601, e.g. PT1H or PT30M");
        }
        auto duration = definitions::ParseDuration(*duration_text);
        if (!duration || duration->years != 0 || duration->months != 0) {
          return Error::InvalidArgument("?duration=" + *duration_text +
                                        " is not a duration in days, hours and minutes (PT1H)");
        }
        const auto length =
            std::chrono::milliseconds(duration->milliseconds) + std::chrono::days(duration->days);
        if (length.count() <= 0 || length > crm::kLongestActivity) {
          return Error::InvalidArgument("?duration= is more than nothing and at most 31 days");
        }
        const std::string kind = request.query_param("kind").value_or("");
        std::int64_t capacity = 0;
        if (const auto c = request.query_param("capacity")) {
          QUIRE_ASSIGN_OR_RETURN(std::uint64_t n, ParseId(*c, "capacity"));
          capacity = static_cast<std::int64_t>(n);
        }
        QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Resource> all, resources.List());
        struct Found {
          const crm::Resource* resource;
          crm::ActivityStore::FreeSlot slot;
        };
        std::vector<Found> found;
        for (const crm::Resource& r : all) {
          if (!r.active || (!kind.empty() && r.kind != kind) || r.capacity < capacity) continue;
          QUIRE_ASSIGN_OR_RETURN(auto slots, activities.FreeSlots(r, from, to, length));
          for (const auto& s : slots) found.push_back({&r, s});
        }
        std::stable_sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
          return a.slot.start < b.slot.start;
        });
        json::array items;
        for (const Found& f : found) {
          items.push_back({{"resource",
                            {{"id", std::to_string(f.resource->id)},
                             {"name", f.resource->name},
                             {"kind", f.resource->kind},
                             {"capacity", f.resource->capacity}}},
                           {"start", Time(f.slot.start)},
                           {"end", Time(f.slot.end)}});
        }
        return JsonResponse(200, Page(std::move(items), ""));
      });

  // ---- activities ----
  router.Add(
      "POST", "/api/crm/activities", Permission::kCrmWrite,
      [&](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
        ActivityAccess access(customers, directory, *request.principal);
        QUIRE_RETURN_IF_ERROR(MayUseCustomer(access, body, Permission::kCrmWrite, customers));
        QUIRE_RETURN_IF_ERROR(CheckEmployees(directory, body));
        QUIRE_ASSIGN_OR_RETURN(crm::Activity a, activities.Create(body, Actor(request)));
        Response out = JsonResponse(201, a.ToJson());
        out.headers.push_back({"Location", "/api/crm/activities/" + std::to_string(a.id)});
        return out;
      });
  router.Add("GET", "/api/crm/activities/{id}", Permission::kCrmRead,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::ActivityId id, PathId(request, "activity id"));
               QUIRE_ASSIGN_OR_RETURN(crm::Activity a, activities.Get(id));
               ActivityAccess access(customers, directory, *request.principal);
               QUIRE_ASSIGN_OR_RETURN(bool reaches, access.Reaches(a, Permission::kCrmRead));
               if (!reaches) {
                 return access.OutOfScope(Permission::kCrmRead, "activity " + std::to_string(id));
               }
               return JsonResponse(200, a.ToJson());
             });
  router.Add(
      "PATCH", "/api/crm/activities/{id}", Permission::kCrmWrite,
      [&](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(crm::ActivityId id, PathId(request, "activity id"));
        QUIRE_ASSIGN_OR_RETURN(json::object patch, ParseJsonObject(request));
        QUIRE_ASSIGN_OR_RETURN(crm::Activity a, activities.Get(id));
        ActivityAccess access(customers, directory, *request.principal);
        QUIRE_ASSIGN_OR_RETURN(bool reaches, access.Reaches(a, Permission::kCrmWrite));
        if (!reaches) {
          return access.OutOfScope(Permission::kCrmWrite, "activity " + std::to_string(id));
        }
        QUIRE_RETURN_IF_ERROR(MayUseCustomer(access, patch, Permission::kCrmWrite, customers));
        QUIRE_RETURN_IF_ERROR(CheckEmployees(directory, patch));
        QUIRE_ASSIGN_OR_RETURN(crm::Activity changed, activities.Update(id, patch, Actor(request)));
        return JsonResponse(200, changed.ToJson());
      });

  router.Add(
      "GET", "/api/crm/customers/{id}/activities", Permission::kCrmRead,
      [&](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(crm::CustomerId id, PathId(request, "customer id"));
        QUIRE_ASSIGN_OR_RETURN(std::size_t limit, Limit(request, 50));
        QUIRE_RETURN_IF_ERROR(customers.Get(id));
        ActivityAccess access(customers, directory, *request.principal);
        QUIRE_ASSIGN_OR_RETURN(bool reaches, access.ReachesCustomer(id, Permission::kCrmRead));
        if (!reaches) {
          return access.OutOfScope(Permission::kCrmRead, "customer " + std::to_string(id));
        }
        const std::string type = request.query_param("type").value_or("");
        const std::string employee = request.query_param("employee").value_or("");
        const std::string status = request.query_param("status").value_or("");
        std::optional<Timestamp> from, to;
        if (request.query_param("from")) {
          QUIRE_ASSIGN_OR_RETURN(from, QueryTime(request, "from"));
        }
        if (request.query_param("to")) {
          QUIRE_ASSIGN_OR_RETURN(to, QueryTime(request, "to"));
        }
        QUIRE_ASSIGN_OR_RETURN(
            crm::ActivityStore::TimelinePage page,
            activities.Timeline(id, request.query_param("after").value_or(""), limit,
                                [&](const crm::Activity& a) -> Result<bool> {
                                  if (!type.empty() && a.type != type) return false;
                                  if (!status.empty() && a.status != status) return false;
                                  if (!employee.empty() &&
                                      std::find(a.employees.begin(), a.employees.end(), employee) ==
                                          a.employees.end()) {
                                    return false;
                                  }
                                  if (from && a.start < *from) return false;
                                  if (to && a.start >= *to) return false;
                                  return true;
                                }));
        json::array items;
        for (const crm::Activity& a : page.activities) items.push_back(a.ToJson());
        return JsonResponse(200, Page(std::move(items), page.next));
      });

  // ---- calendars ----
  router.Add(
      "GET", "/api/crm/calendar", Permission::kCrmRead,
      [&](const Request& request) -> Result<Response> {
        const org::Principal& who = *request.principal;
        QUIRE_ASSIGN_OR_RETURN(Timestamp from, QueryTime(request, "from"));
        QUIRE_ASSIGN_OR_RETURN(Timestamp to, QueryTime(request, "to"));
        const auto user = request.query_param("user");
        const auto group = request.query_param("group");
        const auto resource = request.query_param("resource");
        if ((user ? 1 : 0) + (group ? 1 : 0) + (resource ? 1 : 0) != 1) {
          return Error::InvalidArgument(
              "give one of ?user=USER, ?group=GROUP (a team) or ?resource=ID, with ?from= "
              "and ?to=");
        }
        Groups groups;
        std::vector<crm::Occurrence> found;
        if (resource) {
          QUIRE_ASSIGN_OR_RETURN(crm::ResourceId id, ParseId(*resource, "resource"));
          QUIRE_RETURN_IF_ERROR(resources.Get(id));
          QUIRE_ASSIGN_OR_RETURN(found, activities.ResourceCalendar(id, from, to));
        } else {
          std::vector<std::string> people;
          if (user) {
            if (!directory.GetUser(*user)) {
              return Error::NotFound("user '" + *user + "' does not exist");
            }
            QUIRE_ASSIGN_OR_RETURN(
                bool reaches, ReachesOwner(directory, who, Permission::kCrmRead, *user, groups));
            if (!reaches) {
              return Error::Forbidden(
                  "crm.read is granted to you with scope " +
                  std::string(org::Name(who.permissions.ScopeOf(Permission::kCrmRead))) +
                  ": it reaches your own calendar" +
                  (who.permissions.ScopeOf(Permission::kCrmRead) == org::Scope::kTeam
                       ? " and your groups' members'"
                       : "") +
                  ", not " + *user + "'s");
            }
            people.push_back(*user);
          } else {
            const bool member =
                std::find(who.groups.begin(), who.groups.end(), *group) != who.groups.end();
            const org::Scope scope = who.permissions.ScopeOf(Permission::kCrmRead);
            if (!(scope == org::Scope::kAll || (scope == org::Scope::kTeam && member))) {
              return Error::Forbidden("crm.read is granted to you with scope " +
                                      std::string(org::Name(scope)) +
                                      ": a team's calendar needs scope team (for your own "
                                      "groups) or all");
            }
            // Errors: kNotFound naming the group.
            QUIRE_ASSIGN_OR_RETURN(people, directory.Members(*group));
          }
          QUIRE_ASSIGN_OR_RETURN(found, activities.TeamCalendar(people, from, to));
        }
        // {items, next} written item by item: a team's month is thousands of occurrences.
        ActivityAccess access(customers, directory, who);
        Response out;
        out.status = 200;
        out.body.reserve(64 + found.size() * 256);
        out.body = "{\"items\":[";
        for (const crm::Occurrence& o : found) {
          QUIRE_ASSIGN_OR_RETURN(bool visible, access.Reaches(*o.activity, Permission::kCrmRead));
          if (out.body.back() != '[') out.body += ',';
          if (visible) {
            o.AppendSummaryJson(out.body);
          } else {
            out.body += JsonText(Busy(o));
          }
        }
        out.body += "],\"next\":null}";
        return out;
      });

  // ---- the customer card ----
  workflow::Engine& engine = services.engine();
  dms::DocumentStore& documents = services.documents();
  router.Add(
      "GET", "/api/crm/customers/{id}/card", Permission::kCrmRead,
      [&](const Request& request) -> Result<Response> {
        const org::Principal& who = *request.principal;
        QUIRE_ASSIGN_OR_RETURN(crm::CustomerId id, PathId(request, "customer id"));
        QUIRE_ASSIGN_OR_RETURN(crm::Customer c, customers.Get(id));
        ActivityAccess access(customers, directory, who);
        QUIRE_ASSIGN_OR_RETURN(bool reaches, access.ReachesCustomer(id, Permission::kCrmRead));
        if (!reaches) {
          return access.OutOfScope(Permission::kCrmRead, "customer " + std::to_string(id));
        }
        QUIRE_RETURN_IF_ERROR(customers.RecordView(id, Actor(request)));
        // The timeline is newest first: planned activities still ahead come before the past.
        const Timestamp now = services.clock().Now();
        std::vector<crm::Activity> ahead;
        json::array last;
        std::string cursor;
        do {
          QUIRE_ASSIGN_OR_RETURN(
              crm::ActivityStore::TimelinePage page,
              activities.Timeline(id, cursor, 50,
                                  [](const crm::Activity&) -> Result<bool> { return true; }));
          for (crm::Activity& a : page.activities) {
            if (a.start > now) {
              if (a.status == "planned") ahead.push_back(std::move(a));
            } else if (last.size() < kCardActivities) {
              last.push_back(a.ToJson());
            }
          }
          cursor = page.next;
        } while (!cursor.empty() && last.size() < kCardActivities);
        json::array next;
        for (auto it = ahead.rbegin(); it != ahead.rend() && next.size() < kCardActivities; ++it) {
          next.push_back(it->ToJson());
        }
        // Open tasks the caller may see, linked to the customer; their instances.
        json::array tasks, instances;
        if (who.Has(Permission::kTasksWork) || who.Has(Permission::kTasksReadAll)) {
          workflow::TaskQuery q;
          q.user = who.user;
          q.view = workflow::TaskView::kVisible;
          q.link_kind = "customer";
          q.link_id = std::to_string(id);
          q.limit = 20;
          QUIRE_ASSIGN_OR_RETURN(workflow::TaskPage page, engine.Inbox(q));
          std::set<workflow::InstanceId> seen;
          for (const workflow::TaskInfo& t : page.tasks) {
            tasks.push_back(TaskJson(t));
            if (who.Has(Permission::kInstancesRead) && seen.insert(t.instance_id).second) {
              auto info = engine.GetInstance(t.instance_id);
              if (info && info->state == "active") {
                instances.push_back({{"id", std::to_string(info->id)},
                                     {"processId", info->process_id},
                                     {"businessKey", info->business_key},
                                     {"startedAt", Time(info->started_at)}});
              }
            }
          }
        }
        json::array docs;
        if (who.Has(Permission::kDocumentsRead)) {
          QUIRE_ASSIGN_OR_RETURN(dms::DocumentPage page,
                                 documents.Linked({"customer", std::to_string(id)}, 20));
          for (const dms::DocumentInfo& d : page.documents) docs.push_back(DocumentSummary(d));
        }
        json::array people;
        QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Contact> of, contacts.OfCustomer(id, 50));
        for (const crm::Contact& person : of) people.push_back(person.ToJson());
        // Offers still open (draft, sent) and orders not yet paid or cancelled, newest first.
        json::array open_offers, open_orders;
        QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Offer> offered,
                               services.offers().List(id, kCardSales, 0, [](const crm::Offer& o) {
                                 return o.editable();
                               }));
        for (const crm::Offer& o : offered) open_offers.push_back(o.ToJson());
        QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Order> ordered,
                               services.offers().Orders(id, kCardSales, 0, [](const crm::Order& o) {
                                 return o.status != "paid" && o.status != "cancelled";
                               }));
        const auto today = services.offers().Today(now);
        for (const crm::Order& o : ordered) open_orders.push_back(o.ToJson(today));
        json::array open_cases;
        QUIRE_ASSIGN_OR_RETURN(
            std::vector<crm::ServiceCase> cases,
            services.cases().List(id, false, kCardSales, 0,
                                  [](const crm::ServiceCase& s) { return s.status != "closed"; }));
        for (const crm::ServiceCase& s : cases) open_cases.push_back(s.ToJson(now));
        json::array classes;
        QUIRE_ASSIGN_OR_RETURN(std::vector<crm::CustomerClass> computed,
                               services.CustomerClasses(id));
        for (const crm::CustomerClass& k : computed) classes.push_back(k.ToJson());
        return JsonResponse(200, json::object{{"customer", c.ToJson(MaySeeSensitive(request))},
                                              {"classes", std::move(classes)},
                                              {"contacts", std::move(people)},
                                              {"lastActivities", std::move(last)},
                                              {"nextActivities", std::move(next)},
                                              {"openTasks", std::move(tasks)},
                                              {"runningInstances", std::move(instances)},
                                              {"documents", std::move(docs)},
                                              {"openOffers", std::move(open_offers)},
                                              {"openOrders", std::move(open_orders)},
                                              {"openCases", std::move(open_cases)}});
      });

  // One customer's computed classes, each with its reason (what the card shows).
  router.Add(
      "GET", "/api/crm/customers/{id}/classes", Permission::kCrmRead,
      [&](const Request& request) -> Result<Response> {
        const org::Principal& who = *request.principal;
        QUIRE_ASSIGN_OR_RETURN(crm::CustomerId id, PathId(request, "customer id"));
        QUIRE_ASSIGN_OR_RETURN(crm::Customer c, customers.Get(id));
        (void)c;
        ActivityAccess access(customers, directory, who);
        QUIRE_ASSIGN_OR_RETURN(bool reaches, access.ReachesCustomer(id, Permission::kCrmRead));
        if (!reaches) {
          return access.OutOfScope(Permission::kCrmRead, "customer " + std::to_string(id));
        }
        QUIRE_ASSIGN_OR_RETURN(std::vector<crm::CustomerClass> computed,
                               services.CustomerClasses(id));
        json::array items;
        for (const crm::CustomerClass& k : computed) items.push_back(k.ToJson());
        return JsonResponse(200, json::object{{"items", std::move(items)}, {"next", nullptr}});
      });

  // The classes' thresholds and the rules made from them.
  auto classes_json = [](const crm::ClassThresholds& t) {
    json::object rules;
    for (std::string_view name : crm::kClassNames) rules[name] = crm::ClassRule(t, name);
    return json::object{{"thresholds", t.ToJson()}, {"rules", std::move(rules)}};
  };
  router.Add("GET", "/api/crm/classes", Permission::kCrmRead,
             [&services, classes_json](const Request&) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::ClassThresholds t, services.classes().Get());
               return JsonResponse(200, classes_json(t));
             });
  router.Add("PATCH", "/api/crm/classes", Permission::kCrmManage,
             [&services, classes_json](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               const json::value* thresholds = body.if_contains("thresholds");
               if (thresholds == nullptr || !thresholds->is_object() || body.size() != 1) {
                 return Error::InvalidArgument(
                     "send {\"thresholds\": {\"keyRevenue\": \"250000.00\", ...}}: the "
                     "thresholds to change");
               }
               QUIRE_ASSIGN_OR_RETURN(
                   crm::ClassThresholds t,
                   services.classes().Put(thresholds->get_object(), Actor(request)));
               return JsonResponse(200, classes_json(t));
             });

  // ---- the call centre ----
  storage::Store& store = services.store();
  router.Add(
      "POST", "/api/cti/calls", Permission::kCtiReport,
      [&](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
        QUIRE_ASSIGN_OR_RETURN(std::string from, StringMember(body, "from", true));
        QUIRE_ASSIGN_OR_RETURN(std::string to, StringMember(body, "to", true));
        QUIRE_ASSIGN_OR_RETURN(std::string call_id, StringMember(body, "callId", true));
        QUIRE_ASSIGN_OR_RETURN(std::string state, StringMember(body, "state", true));
        if (from.size() > 64 || to.size() > 64 || call_id.empty() || call_id.size() > 128) {
          return Error::InvalidArgument(
              "'from' and 'to' are at most 64 characters, 'callId' 1 to 128");
        }
        if (state != "ringing" && state != "answered" && state != "ended" && state != "missed") {
          return Error::InvalidArgument(
              "'state' must be ringing, answered, ended or missed, "
              "not '" +
              state + "'");
        }
        Timestamp at = services.clock().Now();
        if (body.contains("occurredAt")) {
          QUIRE_ASSIGN_OR_RETURN(at, TimeMember(body, "occurredAt"));
        }
        // The caller's card: the first customer holding the number, else the first company
        // of a contact person holding it.
        QUIRE_ASSIGN_OR_RETURN(std::vector<crm::CustomerId> ids, customers.FindByPhone(from, 1));
        std::optional<crm::Contact> person;
        if (ids.empty()) {
          QUIRE_ASSIGN_OR_RETURN(std::vector<crm::ContactId> people, contacts.FindByPhone(from, 1));
          if (!people.empty()) {
            QUIRE_ASSIGN_OR_RETURN(crm::Contact found, contacts.Get(people.front()));
            if (!found.customers.empty()) ids.push_back(found.customers.front());
            person = std::move(found);
          }
        }
        std::optional<crm::Customer> customer;
        if (!ids.empty()) {
          QUIRE_ASSIGN_OR_RETURN(crm::Customer c, customers.Get(ids.front()));
          customer = std::move(c);
        }
        // The call as reported so far, kept until it ends.
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                               store.Get(storage::ColumnFamily::kCrm, CallKey(call_id)));
        json::object call;
        if (stored) {
          QUIRE_ASSIGN_OR_RETURN(call, ParseRecord(*stored, "call"));
        } else {
          call = {{"from", from}, {"to", to}, {"rangAt", Time(at)}};
        }
        json::object answer{
            {"callId", call_id},
            {"state", state},
            {"customer", customer ? json::value(CardSummary(*customer)) : json::value()},
            {"contact", person ? json::value(json::object{{"id", std::to_string(person->id)},
                                                          {"name", person->name()},
                                                          {"title", person->title}})
                               : json::value()}};
        if (state == "ringing" || state == "answered") {
          if (state == "answered") call["answeredAt"] = Time(at);
          storage::WriteBatch batch;
          batch.Put(storage::ColumnFamily::kCrm, CallKey(call_id), json::serialize(call));
          QUIRE_RETURN_IF_ERROR(store.Write(batch));
          return JsonResponse(200, answer);
        }
        // Ended or missed: a call activity with its duration, or a call-back to plan.
        QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> callees, Callees(directory, to));
        const bool answered = state == "ended" && call.contains("answeredAt");
        json::object fields{{"type", answered ? "call" : "task"},
                            {"status", answered ? "done" : "planned"},
                            {"channel", "phone"},
                            {"employees", json::array(callees.begin(), callees.end())}};
        if (customer) fields["customer"] = std::to_string(customer->id);
        if (answered) {
          fields["title"] = "Call from " + from;
          fields["start"] = call.at("answeredAt");
          auto answered_at = definitions::ParseDateTime(call.at("answeredAt").as_string());
          fields["end"] = Time(answered_at ? std::max(at, *answered_at) : at);
        } else {
          fields["title"] = "Call back " + from + " (missed call)";
          fields["start"] = Time(at);
        }
        fields["note"] = "Call " + call_id + " to " + to;
        QUIRE_ASSIGN_OR_RETURN(crm::Activity a, activities.Create(fields, Actor(request)));
        storage::WriteBatch batch;
        batch.Delete(storage::ColumnFamily::kCrm, CallKey(call_id));
        QUIRE_RETURN_IF_ERROR(store.Write(batch));
        answer["activity"] = a.ToJson();
        return JsonResponse(200, answer);
      });
}

}  // namespace quire::server
