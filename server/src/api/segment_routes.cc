// Segments over HTTP: filters run (POST /api/crm/segments/query), saved segments, their
// members, their export as CSV and as a mailing group; campaigns, launched at a segment,
// and their effectiveness (crm_routes.h lists them).
//
// What a caller sees of a segment is what crm.read lets them see: with scope own, the
// customers they own; team, those of anyone sharing a group with them; all, every one. The
// scope is one more condition of the same filter, so the planner uses the owner index for it.
// Records other than customers are in reach when the caller's scope reaches their owner
// (an activity's employees, a case's assignee) or their customer, as the sales routes say.
#include <string>
#include <vector>

#include "quire/crm/activities.h"
#include "quire/crm/campaigns.h"
#include "quire/crm/cases.h"
#include "quire/crm/contacts.h"
#include "quire/crm/customers.h"
#include "quire/crm/export.h"
#include "quire/crm/mailing.h"
#include "quire/crm/offers.h"
#include "quire/crm/segments.h"
#include "quire/server/crm_routes.h"
#include "route_support.h"

namespace quire::server {
namespace {

using namespace api;  // NOLINT: the shared route helpers

std::string QuoteFilterText(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

struct PageAsk {
  std::uint64_t after = 0;
  std::size_t limit = 50;
};

Result<PageAsk> PageOf(const json::object& body) {
  PageAsk p;
  if (const json::value* a = body.if_contains("after"); a != nullptr && !a->is_null()) {
    std::optional<std::uint64_t> id = JsonId(*a);
    if (!id) {
      return Error::InvalidArgument("\"after\" is the \"next\" of a previous page (an id)");
    }
    p.after = *id;
  }
  if (const json::value* l = body.if_contains("limit"); l != nullptr && !l->is_null()) {
    if (!l->is_int64() || l->get_int64() < 1 || l->get_int64() > 1000) {
      return Error::InvalidArgument("\"limit\" is a whole number from 1 to 1000");
    }
    p.limit = static_cast<std::size_t>(l->get_int64());
  }
  return p;
}

class SegmentRoutes {
 public:
  explicit SegmentRoutes(services::Services& s) : services_(s) {}

  // The records' JSON, as their own routes answer it.
  Result<json::array> Items(const Request& request, crm::Entity target,
                            const std::vector<std::uint64_t>& ids) {
    json::array items;
    const Timestamp now = services_.clock().Now();
    for (std::uint64_t id : ids) {
      switch (target) {
        case crm::Entity::kCustomer: {
          QUIRE_ASSIGN_OR_RETURN(crm::Customer c, services_.customers().Get(id));
          items.push_back(c.ToJson(MaySeeSensitive(request)));
          break;
        }
        case crm::Entity::kActivity: {
          QUIRE_ASSIGN_OR_RETURN(crm::Activity a, services_.activities().Get(id));
          items.push_back(a.ToJson());
          break;
        }
        case crm::Entity::kOffer: {
          QUIRE_ASSIGN_OR_RETURN(crm::Offer o, services_.offers().Get(id));
          items.push_back(o.ToJson());
          break;
        }
        case crm::Entity::kOrder: {
          QUIRE_ASSIGN_OR_RETURN(crm::Order o, services_.offers().GetOrder(id));
          items.push_back(o.ToJson(services_.offers().Today(now)));
          break;
        }
        case crm::Entity::kCase: {
          QUIRE_ASSIGN_OR_RETURN(crm::ServiceCase c, services_.cases().Get(id));
          items.push_back(c.ToJson(now));
          break;
        }
      }
    }
    return items;
  }

  Result<json::object> Answer(const Request& request, const crm::Filter& filter, PageAsk page,
                              bool explain) {
    QUIRE_ASSIGN_OR_RETURN(std::optional<crm::Filter> scope,
                           CrmReadScope(services_.directory(), *request.principal, filter.target));
    QUIRE_ASSIGN_OR_RETURN(
        crm::SegmentAnswer a,
        services_.segment_engine().Run(filter, scope ? &*scope : nullptr, page.after, page.limit));
    QUIRE_ASSIGN_OR_RETURN(json::array items, Items(request, filter.target, a.ids));
    json::object out = server::Page(std::move(items), a.next != 0 ? std::to_string(a.next) : "");
    out["count"] = a.count;
    out["of"] = crm::EntityPlural(filter.target);
    out["text"] = filter.ToText();
    if (explain) {
      out["plan"] = std::move(a.plan);
      if (scope) out["scope"] = scope->ToText();
    }
    return out;
  }

  // The caller may change a saved segment they reach as its owner (crm.write's scope).
  Result<crm::SavedSegment> Changeable(const Request& request, crm::SegmentId id) {
    QUIRE_ASSIGN_OR_RETURN(crm::SavedSegment s, services_.segments().Get(id));
    std::map<std::string, std::vector<std::string>> groups;
    QUIRE_ASSIGN_OR_RETURN(bool reaches, ReachesOwner(services_.directory(), *request.principal,
                                                      Permission::kCrmWrite, s.owner, groups));
    if (!reaches) {
      return Error::Forbidden(
          "segment " + std::to_string(id) + " is " + s.owner +
          "'s, and crm.write is granted to you with scope " +
          std::string(org::Name(request.principal->permissions.ScopeOf(Permission::kCrmWrite))) +
          ": ask them, or a supervisor, to change it");
    }
    return s;
  }

  // Every customer of a saved segment the caller may read.
  Result<std::vector<std::uint64_t>> CustomersOf(const Request& request,
                                                 const crm::SavedSegment& s) {
    if (s.target != crm::Entity::kCustomer) {
      return Error::InvalidArgument("segment " + std::to_string(s.id) + " selects " +
                                    std::string(crm::EntityPlural(s.target)) +
                                    ", not customers: only customers are exported and mailed");
    }
    QUIRE_ASSIGN_OR_RETURN(crm::Filter f, crm::SegmentStore::FilterOf(s));
    QUIRE_ASSIGN_OR_RETURN(std::optional<crm::Filter> scope,
                           CrmReadScope(services_.directory(), *request.principal, f.target));
    return services_.segment_engine().All(f, scope ? &*scope : nullptr);
  }

  services::Services& services_;
};

}  // namespace

Result<std::optional<crm::Filter>> CrmReadScope(org::Directory& directory,
                                                const org::Principal& who, crm::Entity target,
                                                Permission p) {
  const org::Scope scope = who.permissions.ScopeOf(p);
  if (scope == org::Scope::kAll) return std::optional<crm::Filter>();
  std::set<std::string> users = {who.user};
  if (scope == org::Scope::kTeam) {
    for (const std::string& g : who.groups) {
      QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> members, directory.Members(g));
      users.insert(members.begin(), members.end());
    }
  }
  std::string list;
  for (const std::string& u : users) list += (list.empty() ? "" : ", ") + QuoteFilterText(u);
  std::string text;
  switch (target) {
    case crm::Entity::kCustomer:
      text = "owner in (" + list + ")";
      break;
    case crm::Entity::kActivity:
      text = "employee in (" + list + ") or has customer (owner in (" + list + "))";
      break;
    case crm::Entity::kOffer:
    case crm::Entity::kOrder:
      text = "owner in (" + list + ") or has customer (owner in (" + list + "))";
      break;
    case crm::Entity::kCase:
      text = "assignee in (" + list + ") or has customer (owner in (" + list + "))";
      break;
  }
  QUIRE_ASSIGN_OR_RETURN(crm::Filter f, crm::ParseFilterText(text, target));
  return std::optional<crm::Filter>(std::move(f));
}

void AddSegmentRoutes(Router& router, services::Services& services) {
  auto routes = std::make_shared<SegmentRoutes>(services);
  crm::SegmentStore& segments = services.segments();

  router.AddSlow("POST", "/api/crm/segments/query", Permission::kCrmRead,
                 [routes](const Request& request) -> Result<Response> {
                   QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
                   QUIRE_ASSIGN_OR_RETURN(crm::Filter f, crm::FilterFromRequest(body));
                   QUIRE_ASSIGN_OR_RETURN(PageAsk page, PageOf(body));
                   const json::value* explain = body.if_contains("explain");
                   QUIRE_ASSIGN_OR_RETURN(json::object out,
                                          routes->Answer(request, f, page,
                                                         explain != nullptr && explain->is_bool() &&
                                                             explain->get_bool()));
                   return JsonResponse(200, std::move(out));
                 });

  router.Add("GET", "/api/crm/segments", Permission::kCrmRead,
             [&segments](const Request&) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::vector<crm::SavedSegment> all, segments.List());
               json::array items;
               for (const crm::SavedSegment& s : all) items.push_back(s.ToJson());
               return JsonResponse(200, server::Page(std::move(items)));
             });
  router.Add("POST", "/api/crm/segments", Permission::kCrmWrite,
             [&segments](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               body.erase("owner");  // a new segment is its creator's
               QUIRE_ASSIGN_OR_RETURN(crm::SavedSegment s, segments.Create(body, Actor(request)));
               Response out = JsonResponse(201, s.ToJson());
               out.headers.push_back({"Location", "/api/crm/segments/" + std::to_string(s.id)});
               return out;
             });
  router.AddSlow("GET", "/api/crm/segments/{id}", Permission::kCrmRead,
                 [routes, &segments](const Request& request) -> Result<Response> {
                   QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "segment id"));
                   QUIRE_ASSIGN_OR_RETURN(crm::SavedSegment s, segments.Get(id));
                   QUIRE_ASSIGN_OR_RETURN(crm::Filter f, crm::SegmentStore::FilterOf(s));
                   QUIRE_ASSIGN_OR_RETURN(json::object answer,
                                          routes->Answer(request, f, PageAsk{0, 1}, false));
                   json::object out = s.ToJson();
                   out["count"] = answer["count"];
                   return JsonResponse(200, std::move(out));
                 });
  router.Add("PATCH", "/api/crm/segments/{id}", Permission::kCrmWrite,
             [routes, &segments](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "segment id"));
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_RETURN_IF_ERROR(routes->Changeable(request, id));
               body.erase("owner");
               QUIRE_ASSIGN_OR_RETURN(crm::SavedSegment s,
                                      segments.Update(id, body, Actor(request)));
               return JsonResponse(200, s.ToJson());
             });
  router.Add("DELETE", "/api/crm/segments/{id}", Permission::kCrmWrite,
             [routes, &segments](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "segment id"));
               QUIRE_RETURN_IF_ERROR(routes->Changeable(request, id));
               QUIRE_RETURN_IF_ERROR(segments.Delete(id, Actor(request)));
               Response out;
               out.status = 204;
               return out;
             });
  router.AddSlow(
      "GET", "/api/crm/segments/{id}/members", Permission::kCrmRead,
      [routes, &segments](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "segment id"));
        QUIRE_ASSIGN_OR_RETURN(crm::SavedSegment s, segments.Get(id));
        QUIRE_ASSIGN_OR_RETURN(crm::Filter f, crm::SegmentStore::FilterOf(s));
        QUIRE_ASSIGN_OR_RETURN(std::size_t limit, Limit(request, 50));
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::uint64_t> after, QueryId(request, "after"));
        QUIRE_ASSIGN_OR_RETURN(
            json::object out,
            routes->Answer(request, f,
                           PageAsk{after.value_or(0), std::min<std::size_t>(limit, 1000)},
                           QueryFlag(request, "explain")));
        return JsonResponse(200, std::move(out));
      });
  // The members as CSV (UTF-8 with a BOM), the columns of the customer export.
  router.AddSlow(
      "GET", "/api/crm/segments/{id}/export", Permission::kCrmRead,
      [routes, &segments, &services](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "segment id"));
        QUIRE_ASSIGN_OR_RETURN(crm::SavedSegment s, segments.Get(id));
        const std::string d = request.query_param("delimiter").value_or(",");
        if (d != "," && d != ";" && d != "tab") {
          return Error::InvalidArgument("?delimiter= is , ; or tab");
        }
        const char delimiter = d == "tab" ? '\t' : d[0];
        QUIRE_ASSIGN_OR_RETURN(std::vector<std::uint64_t> ids, routes->CustomersOf(request, s));
        const crm::Fields custom = services.customers().schema().CustomFields("customer");
        const bool sensitive = MaySeeSensitive(request);
        std::string body = "\xEF\xBB\xBF" + crm::CustomersCsvHeader(delimiter, *custom);
        for (std::uint64_t customer : ids) {
          QUIRE_ASSIGN_OR_RETURN(crm::Customer c, services.customers().Get(customer));
          body += crm::CustomerCsvLine(c, delimiter, *custom, sensitive);
        }
        QUIRE_RETURN_IF_ERROR(services.audit().Append({Actor(request),
                                                       "customers.exported",
                                                       "segment/" + std::to_string(id),
                                                       {{"records", ids.size()}}},
                                                      services.clock().Now()));
        Response r;
        r.content_type = "text/csv; charset=utf-8";
        r.headers.push_back({"Content-Disposition",
                             "attachment; filename=\"segment-" + std::to_string(id) + ".csv\""});
        r.body = std::move(body);
        return r;
      });
  // A mailing group of the contact persons of the members ({"name"}: the segment's name
  // when absent).
  router.AddSlow(
      "POST", "/api/crm/segments/{id}/mailing-group", Permission::kCrmWrite,
      [routes, &segments, &services](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "segment id"));
        QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
        QUIRE_ASSIGN_OR_RETURN(crm::SavedSegment s, segments.Get(id));
        QUIRE_ASSIGN_OR_RETURN(std::vector<std::uint64_t> ids, routes->CustomersOf(request, s));
        std::set<crm::ContactId> contacts;
        for (std::uint64_t customer : ids) {
          QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Contact> of,
                                 services.contacts().OfCustomer(customer));
          for (const crm::Contact& c : of) contacts.insert(c.id);
        }
        json::array list;
        for (crm::ContactId c : contacts) list.emplace_back(std::to_string(c));
        json::object fields{{"name", body.contains("name") ? body.at("name") : json::value(s.name)},
                            {"description", "segment " + std::to_string(id) + ": " + s.text},
                            {"contacts", std::move(list)}};
        QUIRE_ASSIGN_OR_RETURN(crm::MailingGroup g,
                               services.mailing_groups().Create(fields, Actor(request)));
        json::object out = g.ToJson();
        out["customers"] = ids.size();
        Response r = JsonResponse(201, std::move(out));
        r.headers.push_back({"Location", "/api/crm/mailing-groups/" + std::to_string(g.id)});
        return r;
      });
}

namespace {

json::object EffectivenessJson(const crm::Campaign& c,
                               const std::map<std::uint32_t, crm::Effectiveness>& measured) {
  json::object out;
  out["campaign"] = measured.at(0).ToJson(c, c.budget);
  json::array actions;
  for (const crm::CampaignAction& a : c.actions) {
    auto it = measured.find(a.id);
    if (it == measured.end()) continue;
    json::object o = it->second.ToJson(c, c.budget);
    o.erase("costPerOrder");  // the budget is the campaign's, not an action's
    o["id"] = std::to_string(a.id);
    o["kind"] = a.kind;
    o["name"] = a.name;
    actions.push_back(std::move(o));
  }
  out["actions"] = std::move(actions);
  return out;
}

}  // namespace

void AddCampaignRoutes(Router& router, services::Services& services) {
  crm::CampaignStore& campaigns = services.campaigns();
  org::Directory& directory = services.directory();
  // A campaign is changed, launched and finished by those whose crm.write reaches its owner.
  auto changeable = [&campaigns, &directory](const Request& request,
                                             std::uint64_t id) -> Result<crm::Campaign> {
    QUIRE_ASSIGN_OR_RETURN(crm::Campaign c, campaigns.Get(id));
    std::map<std::string, std::vector<std::string>> groups;
    QUIRE_ASSIGN_OR_RETURN(bool reaches, ReachesOwner(directory, *request.principal,
                                                      Permission::kCrmWrite, c.owner, groups));
    if (!reaches) {
      return Error::Forbidden(
          "campaign " + std::to_string(id) + " is " + c.owner +
          "'s, and crm.write is granted to you with scope " +
          std::string(org::Name(request.principal->permissions.ScopeOf(Permission::kCrmWrite))) +
          ": ask them, or a supervisor");
    }
    return c;
  };

  router.Add("GET", "/api/crm/campaigns", Permission::kCrmRead,
             [&campaigns](const Request&) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Campaign> all, campaigns.List());
               json::array items;
               for (const crm::Campaign& c : all) items.push_back(c.ToJson());
               return JsonResponse(200, server::Page(std::move(items)));
             });
  router.Add("POST", "/api/crm/campaigns", Permission::kCrmWrite,
             [&campaigns](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(crm::Campaign c, campaigns.Create(body, Actor(request)));
               Response out = JsonResponse(201, c.ToJson());
               out.headers.push_back({"Location", "/api/crm/campaigns/" + std::to_string(c.id)});
               return out;
             });
  router.Add("GET", "/api/crm/campaigns/{id}", Permission::kCrmRead,
             [&campaigns](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "campaign id"));
               QUIRE_ASSIGN_OR_RETURN(crm::Campaign c, campaigns.Get(id));
               return JsonResponse(200, c.ToJson());
             });
  router.Add("PATCH", "/api/crm/campaigns/{id}", Permission::kCrmWrite,
             [&campaigns, changeable](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "campaign id"));
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_RETURN_IF_ERROR(changeable(request, id));
               QUIRE_ASSIGN_OR_RETURN(crm::Campaign c, campaigns.Update(id, body, Actor(request)));
               return JsonResponse(200, c.ToJson());
             });
  // The members are the segment's customers the launcher may read.
  router.AddSlow(
      "POST", "/api/crm/campaigns/{id}/launch", Permission::kCrmWrite,
      [&campaigns, &directory, changeable](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "campaign id"));
        QUIRE_RETURN_IF_ERROR(changeable(request, id));
        QUIRE_ASSIGN_OR_RETURN(std::optional<crm::Filter> scope,
                               CrmReadScope(directory, *request.principal, crm::Entity::kCustomer));
        QUIRE_ASSIGN_OR_RETURN(crm::Campaign c,
                               campaigns.Launch(id, scope ? &*scope : nullptr, Actor(request)));
        return JsonResponse(200, c.ToJson());
      });
  router.Add("POST", "/api/crm/campaigns/{id}/finish", Permission::kCrmWrite,
             [&campaigns, changeable](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "campaign id"));
               QUIRE_RETURN_IF_ERROR(changeable(request, id));
               QUIRE_ASSIGN_OR_RETURN(crm::Campaign c, campaigns.Finish(id, Actor(request)));
               return JsonResponse(200, c.ToJson());
             });
  router.AddSlow(
      "GET", "/api/crm/campaigns/{id}/members", Permission::kCrmRead,
      [&campaigns, &directory, &services](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "campaign id"));
        QUIRE_ASSIGN_OR_RETURN(std::size_t limit, Limit(request, 50));
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::uint64_t> after, QueryId(request, "after"));
        QUIRE_RETURN_IF_ERROR(campaigns.Get(id));
        std::map<std::string, std::vector<std::string>> groups;
        json::array items;
        std::uint64_t cursor = after.value_or(0);
        bool at_end = false;
        // Members the caller may not read are left out; a page may look further for them.
        while (items.size() < limit && !at_end) {
          QUIRE_ASSIGN_OR_RETURN(std::vector<std::uint64_t> page,
                                 campaigns.Members(id, cursor, limit));
          std::size_t used = 0;
          for (; used < page.size() && items.size() < limit; ++used) {
            cursor = page[used];
            QUIRE_ASSIGN_OR_RETURN(crm::Customer c, services.customers().Get(cursor));
            QUIRE_ASSIGN_OR_RETURN(
                bool reaches,
                ReachesOwner(directory, *request.principal, Permission::kCrmRead, c.owner, groups));
            if (reaches) items.push_back(c.ToJson(MaySeeSensitive(request)));
          }
          at_end = page.size() < limit && used == page.size();
        }
        return JsonResponse(200,
                            server::Page(std::move(items), at_end ? "" : std::to_string(cursor)));
      });
  router.AddSlow("GET", "/api/crm/campaigns/{id}/effectiveness", Permission::kCrmRead,
                 [&campaigns](const Request& request) -> Result<Response> {
                   QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "campaign id"));
                   QUIRE_ASSIGN_OR_RETURN(crm::Campaign c, campaigns.Get(id));
                   QUIRE_ASSIGN_OR_RETURN(auto measured, campaigns.Measure(id));
                   return JsonResponse(200, EffectivenessJson(c, measured));
                 });
}

}  // namespace quire::server
