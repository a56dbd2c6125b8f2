// KPIs (crm/kpis.h, workflow/analytics.h): per employee over a range of months, from
// counters the record and engine batches keep, as JSON or CSV; the rows are those of the
// employees the caller's crm.read reaches (own: themselves; team: their groups' members;
// all: everyone). The funnel of a process, from the engine's counters, for instances.read.
// Customer metrics (crm/customer_metrics.h) over the customers crm.read reaches, optionally
// within a saved segment or a filter, and one customer's value.
#include <boost/json.hpp>
#include <deque>
#include <set>

#include "quire/crm/csv.h"
#include "quire/crm/customer_metrics.h"
#include "quire/crm/kpis.h"
#include "quire/crm/money.h"
#include "quire/crm/segments.h"
#include "quire/definitions/repository.h"
#include "quire/server/crm_routes.h"
#include "quire/workflow/analytics.h"
#include "route_support.h"

namespace quire::server {
namespace {

using namespace api;  // NOLINT: the shared route helpers

Result<std::int32_t> MonthParam(const Request& request, const char* name, std::int32_t fallback) {
  const auto v = request.query_param(name);
  if (!v || v->empty()) return fallback;
  const std::optional<std::int32_t> m = crm::ParseKpiMonth(*v);
  if (!m) {
    return Error::InvalidArgument(std::string("'") + name + "' is a month as 2027-03, not '" +
                                  std::string(*v) + "'");
  }
  return *m;
}

std::string MonthText(std::int32_t m) {
  std::string month = std::to_string(m % 12 + 1);
  return std::to_string(m / 12) + (month.size() == 1 ? "-0" : "-") + month;
}

// from/to (default: the twelve months up to this one) and format (json or csv).
struct Period {
  std::int32_t from = 0, to = 0;
  std::string format;
};
Result<Period> PeriodParams(const Request& request, services::Services& services) {
  const auto today = services.offers().Today(services.clock().Now());
  const std::int32_t this_month = crm::KpiMonth(today.year() / today.month());
  Period p;
  QUIRE_ASSIGN_OR_RETURN(p.to, MonthParam(request, "to", this_month));
  QUIRE_ASSIGN_OR_RETURN(p.from, MonthParam(request, "from", p.to - 11));
  if (p.from > p.to) return Error::InvalidArgument("'from' is a month before 'to'");
  p.format = std::string(request.query_param("format").value_or("json"));
  if (p.format != "json" && p.format != "csv") {
    return Error::InvalidArgument("'format' is json or csv");
  }
  return p;
}

std::string CsvCell(const json::value& x) {
  return x.is_null()     ? std::string()
         : x.is_string() ? std::string(x.get_string())
                         : json::serialize(x);
}

Response CsvResponse(std::string body, const std::string& name) {
  Response r;
  r.content_type = "text/csv; charset=utf-8";
  std::string safe;  // a process id may hold anything a header must not
  for (const char c : name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.';
    safe += plain ? c : '_';
  }
  r.headers.push_back({"Content-Disposition", "attachment; filename=\"" + safe + ".csv\""});
  r.body = std::move(body);
  return r;
}

// value × 10 / n, rounded, as "12.3"; null without n.
json::value Tenths(std::int64_t value, std::int64_t n) {
  if (n <= 0) return nullptr;
  return json::value(crm::FormatFixed((value * 10 + n / 2) / n, 1));
}

// The funnel's steps in the order a reader follows the process: from the start events
// along the flows (boundary events after their activity), then whatever the walk missed.
std::vector<const definitions::Element*> StepOrder(const definitions::Process& p) {
  std::vector<const definitions::Element*> out;
  std::vector<bool> seen(p.elements.size(), false);
  std::deque<definitions::ElementIndex> queue;
  auto push = [&](definitions::ElementIndex i) {
    if (i < p.elements.size() && !seen[i]) {
      seen[i] = true;
      queue.push_back(i);
    }
  };
  for (const definitions::Element& e : p.elements) {
    if (e.kind == definitions::ElementKind::kStartEvent && e.incoming.empty()) push(e.index);
  }
  for (std::size_t next = 0;; ++next) {
    while (!queue.empty()) {
      const definitions::Element& e = p.elements[queue.front()];
      queue.pop_front();
      out.push_back(&e);
      for (const definitions::Element& b : p.elements) {
        if (b.attached_to == e.index) push(b.index);
      }
      for (const definitions::FlowIndex f : e.outgoing) push(p.flows[f].target);
    }
    while (next < p.elements.size() && seen[next]) ++next;
    if (next >= p.elements.size()) break;
    push(static_cast<definitions::ElementIndex>(next));
  }
  return out;
}

// A customer metrics answer's "revenue" per currency divided by `n`, rounded.
json::array AveragePer(const std::map<std::string, std::int64_t>& revenue, std::int64_t n) {
  std::map<std::string, std::int64_t> each;
  if (n > 0) {
    for (const auto& [currency, amount] : revenue) each[currency] = (amount + n / 2) / n;
  }
  return crm::MoneyAmounts(each);
}

std::string PlnOf(const std::map<std::string, std::int64_t>& revenue) {
  auto it = revenue.find("PLN");
  return crm::FormatFixed(it == revenue.end() ? 0 : it->second, 2);
}

}  // namespace

void AddKpiRoutes(Router& router, services::Services& services) {
  router.Add(
      "GET", "/api/kpis/employees", Permission::kCrmRead,
      [&services](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(Period period, PeriodParams(request, services));
        const std::int32_t from = period.from, to = period.to;
        const std::string& format = period.format;
        // Own: the caller's row; team: their groups' members; all: every employee.
        const org::Principal& who = *request.principal;
        std::optional<std::vector<std::string>> reach;
        const org::Scope scope = who.permissions.ScopeOf(Permission::kCrmRead);
        if (scope == org::Scope::kOwn) {
          reach.emplace(std::vector<std::string>{who.user});
        } else if (scope == org::Scope::kTeam) {
          std::set<std::string> members{who.user};
          QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> mine,
                                 services.directory().GroupsOf(who.user));
          for (const std::string& g : mine) {
            QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> of, services.directory().Members(g));
            members.insert(of.begin(), of.end());
          }
          reach.emplace(members.begin(), members.end());
        }
        // A team: a group's members (those of them the caller reaches), and their total.
        std::string group;
        if (const auto g = request.query_param("group"); g && !g->empty()) {
          group = std::string(*g);
          QUIRE_RETURN_IF_ERROR(services.directory().GetGroup(group));
          QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> members,
                                 services.directory().Members(group));
          std::set<std::string> within;
          for (const std::string& m : members) {
            if (!reach || std::find(reach->begin(), reach->end(), m) != reach->end()) {
              within.insert(m);
            }
          }
          reach.emplace(within.begin(), within.end());
        }
        // The rows of `names` (every employee when null): the CRM's counters and the engine's.
        auto rows_of = [&](const std::vector<std::string>* names) -> Result<crm::EmployeeKpis> {
          QUIRE_ASSIGN_OR_RETURN(crm::EmployeeKpis all,
                                 crm::ReadEmployeeKpis(services.store(), from, to, names));
          QUIRE_ASSIGN_OR_RETURN(auto tasks,
                                 workflow::ReadTaskKpis(services.store(), from, to, names));
          for (const auto& [user, counters] : tasks) {
            if (user.empty()) continue;  // completed by the engine's own actor
            auto& row = all[user];
            for (const auto& [metric, name] :
                 {std::pair<const char*, const char*>{"completed", "tasks"},
                  {"withDue", "tasksWithDue"},
                  {"onTime", "tasksOnTime"},
                  {"ms", "taskMs"}}) {
              if (auto it = counters.find(metric); it != counters.end()) row[name] += it->second;
            }
          }
          return all;
        };
        crm::EmployeeKpis all;
        std::string next;
        if (reach || format == "csv") {
          // A few employees (point reads), or the whole download.
          QUIRE_ASSIGN_OR_RETURN(all, rows_of(reach ? &*reach : nullptr));
        } else {
          // Everyone, a page at a time in name order: the employees with CRM counters and the
          // users (who complete tasks), read for a page's names only.
          QUIRE_ASSIGN_OR_RETURN(std::size_t limit, Limit(request, 200));
          std::string cursor(request.query_param("after").value_or(""));
          QUIRE_ASSIGN_OR_RETURN(std::vector<org::User> users, services.directory().ListUsers());
          std::set<std::string> user_ids;
          for (const org::User& u : users) user_ids.insert(u.id);
          while (all.size() < limit) {
            QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> names,
                                   crm::KpiEmployees(services.store(), cursor, limit));
            std::set<std::string> candidates(names.begin(), names.end());
            for (auto u = user_ids.upper_bound(cursor);
                 u != user_ids.end() && candidates.size() < 2 * limit; ++u) {
              candidates.insert(*u);
            }
            std::vector<std::string> batch;
            for (const std::string& c : candidates) {
              // Past the last CRM name read, a later page may hold names between: stop there.
              if (names.size() == limit && c > names.back()) break;
              if (batch.size() == limit - all.size()) break;
              batch.push_back(c);
            }
            if (batch.empty()) break;
            QUIRE_ASSIGN_OR_RETURN(crm::EmployeeKpis got, rows_of(&batch));
            for (const std::string& name : batch) {
              auto row = got.find(name);
              if (row != got.end()) all.insert(*row);
            }
            cursor = batch.back();
            if (all.size() == limit) next = cursor;
          }
        }
        std::map<std::string, std::vector<std::string>> groups;
        json::array items;
        std::map<std::string, std::int64_t, std::less<>> total;
        for (const auto& [employee, metrics] : all) {
          QUIRE_ASSIGN_OR_RETURN(bool ok, ReachesOwner(services.directory(), *request.principal,
                                                       Permission::kCrmRead, employee, groups));
          if (!ok) continue;
          items.push_back(crm::KpiRow(employee, metrics));
          for (const auto& [metric, v] : metrics) total[metric] += v;
        }
        if (!group.empty()) items.push_back(crm::KpiRow(group, total));  // the team's total
        if (format == "csv") {
          std::string body =
              "\xEF\xBB\xBF" +
              crm::CsvLine({"employee", "from", "to", "activities", "offers", "orders",
                            "conversionPercent", "revenuePLN", "complaintsResolved", "responses",
                            "averageResponseMinutes", "tasksCompleted", "tasksOnTimePercent",
                            "averageConversionDays"});
          for (const json::value& v : items) {
            const json::object& r = v.as_object();
            std::string pln = "0.00";
            for (const json::value& x : r.at("revenue").as_array()) {
              if (x.at("currency") == "PLN") pln = std::string(x.at("amount").as_string());
            }
            body += crm::CsvLine(
                {crm::CsvText(std::string(r.at("employee").as_string())), MonthText(from),
                 MonthText(to), CsvCell(r.at("activities").at("total")), CsvCell(r.at("offers")),
                 CsvCell(r.at("orders")), CsvCell(r.at("conversionPercent")), pln,
                 CsvCell(r.at("complaintsResolved")), CsvCell(r.at("responses")),
                 CsvCell(r.at("averageResponseMinutes")), CsvCell(r.at("tasks").at("completed")),
                 CsvCell(r.at("tasks").at("onTimePercent")),
                 CsvCell(r.at("averageConversionDays"))});
          }
          return CsvResponse(std::move(body), "kpis-" + MonthText(from) + "-" + MonthText(to));
        }
        json::value team_total = nullptr;
        if (!group.empty()) {  // the last row is the total: answered apart
          team_total = items.back();
          items.pop_back();
        }
        json::object out = Page(std::move(items), next);
        if (!group.empty()) {
          out["group"] = group;
          out["total"] = std::move(team_total);
        }
        out["from"] = MonthText(from);
        out["to"] = MonthText(to);
        return JsonResponse(200, std::move(out));
      });

  router.Add(
      "GET", "/api/kpis/funnels/{process}", Permission::kInstancesRead,
      [&services](const Request& request) -> Result<Response> {
        const std::string process(*request.path_param("process"));
        QUIRE_ASSIGN_OR_RETURN(Period period, PeriodParams(request, services));
        auto& repository = services.repository();
        QUIRE_ASSIGN_OR_RETURN(std::vector<definitions::ProcessVersion> versions,
                               repository.Versions(process));
        QUIRE_ASSIGN_OR_RETURN(auto defs, repository.Load(process, versions.front().version));
        const definitions::Process* model = defs->FindProcess(process);
        QUIRE_ASSIGN_OR_RETURN(
            auto counters, workflow::ReadFunnel(services.store(), process, period.from, period.to));
        auto get = [&](const std::string& element, const char* metric) -> std::int64_t {
          auto e = counters.find(element);
          if (e == counters.end()) return 0;
          auto m = e->second.find(metric);
          return m == e->second.end() ? 0 : m->second;
        };
        const std::int64_t started = get("", "started"), completed = get("", "completed"),
                           cancelled = get("", "cancelled");
        json::array steps;
        std::set<std::string> listed{""};
        // `waits`: instances can wait at the step (workflow::WaitsAt), so it has a `waiting`.
        auto step = [&](const std::string& id, const std::string& name, const char* type,
                        bool waits) {
          listed.insert(id);
          const std::int64_t reached = get(id, "reached"), entered = get(id, "entered"),
                             left = get(id, "left"), interrupted = get(id, "interrupted"),
                             abandoned = get(id, "abandoned");
          json::value waiting = nullptr;  // passed through, or a join's arrivals
          if (waits) waiting = std::max<std::int64_t>(0, entered - left - interrupted - abandoned);
          const std::int64_t timed = get(id, "timed");
          steps.push_back(
              json::object{{"elementId", id},
                           {"name", name.empty() ? id : name},
                           {"type", type},
                           {"reached", reached},
                           {"reachedPercent", Tenths(reached * 100, started)},
                           {"entered", entered},
                           {"completed", left},
                           {"interrupted", interrupted},
                           {"abandoned", abandoned},
                           {"waiting", std::move(waiting)},
                           {"averageMinutes", Tenths(get(id, "ms") / 6000, timed * 10)}});
        };
        if (model != nullptr) {
          for (const definitions::Element* e : StepOrder(*model)) {
            step(e->id, e->name, definitions::KindName(e->kind), workflow::WaitsAt(e->kind));
          }
        }
        for (const auto& [id, unused] : counters) {  // steps of earlier versions only
          if (!listed.contains(id)) step(id, id, "removed", false);
        }
        if (period.format == "csv") {
          std::string body =
              "\xEF\xBB\xBF" +
              crm::CsvLine({"process", "from", "to", "elementId", "name", "type", "reached",
                            "reachedPercent", "entered", "completed", "interrupted", "abandoned",
                            "waiting", "averageMinutes"});
          for (const json::value& v : steps) {
            const json::object& r = v.as_object();
            body += crm::CsvLine({crm::CsvText(process), MonthText(period.from),
                                  MonthText(period.to), crm::CsvText(CsvCell(r.at("elementId"))),
                                  crm::CsvText(CsvCell(r.at("name"))), CsvCell(r.at("type")),
                                  CsvCell(r.at("reached")), CsvCell(r.at("reachedPercent")),
                                  CsvCell(r.at("entered")), CsvCell(r.at("completed")),
                                  CsvCell(r.at("interrupted")), CsvCell(r.at("abandoned")),
                                  CsvCell(r.at("waiting")), CsvCell(r.at("averageMinutes"))});
          }
          return CsvResponse(std::move(body), "funnel-" + process + "-" + MonthText(period.from) +
                                                  "-" + MonthText(period.to));
        }
        return JsonResponse(
            200, json::object{
                     {"process", process},
                     {"name", model != nullptr && !model->name.empty() ? model->name : process},
                     {"version", versions.front().version},
                     {"from", MonthText(period.from)},
                     {"to", MonthText(period.to)},
                     {"instances",
                      json::object{
                          {"started", started},
                          {"completed", completed},
                          {"cancelled", cancelled},
                          {"running", std::max<std::int64_t>(0, started - completed - cancelled)},
                          {"averageHours", Tenths(get("", "ms") / 360'000, completed * 10)}}},
                     {"steps", std::move(steps)}});
      });

  // Customer metrics: every customer the caller reaches, or those of a saved segment or a
  // filter among them.
  router.AddSlow(
      "GET", "/api/kpis/customers", Permission::kCrmRead,
      [&services](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(Period period, PeriodParams(request, services));
        if (period.to - period.from + 1 > crm::kMaxMetricMonths) {
          return Error::InvalidArgument("a period is at most " +
                                        std::to_string(crm::kMaxMetricMonths) +
                                        " months: ask for a shorter one");
        }
        const auto segment_param = request.query_param("segment");
        const auto filter_param = request.query_param("filter");
        const bool by_segment = segment_param && !segment_param->empty();
        const bool by_filter = filter_param && !filter_param->empty();
        if (by_segment && by_filter) {
          return Error::InvalidArgument("give 'segment' or 'filter', not both");
        }
        json::value segment = nullptr;
        std::optional<crm::Filter> filter;
        if (by_segment) {
          QUIRE_ASSIGN_OR_RETURN(std::optional<std::uint64_t> id, QueryId(request, "segment"));
          QUIRE_ASSIGN_OR_RETURN(crm::SavedSegment s, services.segments().Get(id.value_or(0)));
          if (s.target != crm::Entity::kCustomer) {
            return Error::InvalidArgument(
                "segment " + std::to_string(s.id) + " selects " +
                std::string(crm::EntityPlural(s.target)) +
                ", not customers: customer metrics need a segment of customers");
          }
          QUIRE_ASSIGN_OR_RETURN(crm::Filter f, crm::SegmentStore::FilterOf(s));
          filter = std::move(f);
          segment = json::object{{"id", std::to_string(s.id)}, {"name", s.name}};
        } else if (by_filter) {
          auto f = crm::ParseFilterText(*filter_param, crm::Entity::kCustomer);
          if (!f) {
            return Error::InvalidArgument("'filter' is not a customer filter: " +
                                          f.error().message());
          }
          filter = std::move(*f);
        }
        QUIRE_ASSIGN_OR_RETURN(
            std::optional<crm::Filter> scope,
            CrmReadScope(services.directory(), *request.principal, crm::Entity::kCustomer));
        std::optional<std::vector<std::uint64_t>> only;
        if (filter) {
          QUIRE_ASSIGN_OR_RETURN(only,
                                 services.segment_engine().All(*filter, scope ? &*scope : nullptr));
        } else if (scope) {
          QUIRE_ASSIGN_OR_RETURN(only, services.segment_engine().All(*scope, nullptr));
        }
        QUIRE_ASSIGN_OR_RETURN(crm::CustomerMetrics m,
                               crm::ReadCustomerMetrics(services.store(), period.from, period.to,
                                                        only ? &*only : nullptr));
        if (period.format == "csv") {
          std::string body = "\xEF\xBB\xBF" + crm::CsvLine({"month", "orders", "revenuePLN",
                                                            "activeCustomers", "newCustomers"});
          for (const crm::MonthMetrics& month : m.months) {
            body += crm::CsvLine({MonthText(month.month), std::to_string(month.figures.orders),
                                  PlnOf(month.figures.revenue), std::to_string(month.active),
                                  std::to_string(month.acquired)});
          }
          return CsvResponse(std::move(body),
                             "customers-" + MonthText(period.from) + "-" + MonthText(period.to));
        }
        json::array months;
        for (const crm::MonthMetrics& month : m.months) {
          months.push_back(json::object{{"month", MonthText(month.month)},
                                        {"orders", month.figures.orders},
                                        {"revenue", crm::MoneyAmounts(month.figures.revenue)},
                                        {"activeCustomers", month.active},
                                        {"newCustomers", month.acquired}});
        }
        const std::int32_t length = period.to - period.from + 1;
        json::object out{
            {"from", MonthText(period.from)},
            {"to", MonthText(period.to)},
            {"segment", std::move(segment)},
            {"filter", filter ? json::value(filter->ToText()) : json::value(nullptr)},
            {"scope", org::Name(request.principal->permissions.ScopeOf(Permission::kCrmRead))},
            {"months", std::move(months)},
            {"period",
             json::object{{"orders", m.period.orders},
                          {"revenue", crm::MoneyAmounts(m.period.revenue)},
                          {"activeCustomers", m.active},
                          {"newCustomers", m.acquired},
                          {"returnedCustomers", m.returned},
                          {"previousFrom", MonthText(period.from - length)},
                          {"previousTo", MonthText(period.from - 1)},
                          {"previousActiveCustomers", m.previous_active},
                          {"retainedCustomers", m.retained},
                          {"churnedCustomers", m.churned},
                          {"retentionPercent", Tenths(m.retained * 100, m.previous_active)},
                          {"churnPercent", Tenths(m.churned * 100, m.previous_active)}}},
            {"lifetime",
             json::object{{"customers", m.customers},
                          {"orders", m.lifetime.orders},
                          {"revenue", crm::MoneyAmounts(m.lifetime.revenue)},
                          {"averageValue", AveragePer(m.lifetime.revenue, m.customers)}}}};
        return JsonResponse(200, std::move(out));
      });

  // One customer's orders by month and lifetime value, for whoever may read the customer.
  router.Add(
      "GET", "/api/kpis/customers/{id}", Permission::kCrmRead,
      [&services](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "customer id"));
        QUIRE_ASSIGN_OR_RETURN(crm::Customer c, services.customers().Get(id));
        std::map<std::string, std::vector<std::string>> groups;
        QUIRE_ASSIGN_OR_RETURN(bool reaches, ReachesOwner(services.directory(), *request.principal,
                                                          Permission::kCrmRead, c.owner, groups));
        if (!reaches) {
          const org::Scope scope = request.principal->permissions.ScopeOf(Permission::kCrmRead);
          return Error::Forbidden(
              "crm.read is granted to you with scope " + std::string(org::Name(scope)) +
              ": it reaches the customers " +
              (scope == org::Scope::kOwn ? "you own" : "owned by you or your groups") +
              ", and customer " + std::to_string(id) +
              " is not one of them (ask an administrator for a grant with a wider scope)");
        }
        QUIRE_ASSIGN_OR_RETURN(crm::CustomerValue v, crm::ReadCustomerValue(services.store(), id));
        json::array months;
        for (const auto& [month, f] : v.months) {
          months.push_back(json::object{{"month", MonthText(month)},
                                        {"orders", f.orders},
                                        {"revenue", crm::MoneyAmounts(f.revenue)}});
        }
        const bool any = !v.months.empty();
        return JsonResponse(
            200,
            json::object{{"customer", std::to_string(id)},
                         {"firstOrderMonth", any ? json::value(MonthText(v.months.front().first))
                                                 : json::value(nullptr)},
                         {"lastOrderMonth", any ? json::value(MonthText(v.months.back().first))
                                                : json::value(nullptr)},
                         {"orders", v.lifetime.orders},
                         {"revenue", crm::MoneyAmounts(v.lifetime.revenue)},
                         {"averageOrderValue", AveragePer(v.lifetime.revenue, v.lifetime.orders)},
                         {"months", std::move(months)}});
      });
}

}  // namespace quire::server
