// KPIs (crm/kpis.h): per employee over a range of months, from counters the record batches
// keep, as JSON or CSV; the rows are those of the employees the caller's crm.read reaches
// (own: themselves; team: their groups' members; all: everyone).
#include <boost/json.hpp>

#include "quire/crm/csv.h"
#include "quire/crm/kpis.h"
#include "quire/server/crm_routes.h"
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

}  // namespace

void AddKpiRoutes(Router& router, services::Services& services) {
  router.Add(
      "GET", "/api/kpis/employees", Permission::kCrmRead,
      [&services](const Request& request) -> Result<Response> {
        const auto today = services.offers().Today(services.clock().Now());
        const std::int32_t this_month = crm::KpiMonth(today.year() / today.month());
        QUIRE_ASSIGN_OR_RETURN(std::int32_t to, MonthParam(request, "to", this_month));
        QUIRE_ASSIGN_OR_RETURN(std::int32_t from, MonthParam(request, "from", to - 11));
        if (from > to) return Error::InvalidArgument("'from' is a month before 'to'");
        const std::string format(request.query_param("format").value_or("json"));
        if (format != "json" && format != "csv") {
          return Error::InvalidArgument("'format' is json or csv");
        }
        QUIRE_ASSIGN_OR_RETURN(crm::EmployeeKpis all,
                               crm::ReadEmployeeKpis(services.store(), from, to));
        std::map<std::string, std::vector<std::string>> groups;
        json::array items;
        for (const auto& [employee, metrics] : all) {
          QUIRE_ASSIGN_OR_RETURN(bool ok, ReachesOwner(services.directory(), *request.principal,
                                                       Permission::kCrmRead, employee, groups));
          if (ok) items.push_back(crm::KpiRow(employee, metrics));
        }
        auto month_text = [](std::int32_t m) {
          std::string month = std::to_string(m % 12 + 1);
          return std::to_string(m / 12) + (month.size() == 1 ? "-0" : "-") + month;
        };
        if (format == "csv") {
          std::string body = "\xEF\xBB\xBF" + crm::CsvLine({"employee", "from", "to", "activities",
                                                            "offers", "orders", "conversionPercent",
                                                            "revenuePLN", "complaintsResolved",
                                                            "responses", "averageResponseMinutes"});
          for (const json::value& v : items) {
            const json::object& r = v.as_object();
            auto text = [](const json::value& x) {
              return x.is_null()     ? std::string()
                     : x.is_string() ? std::string(x.get_string())
                                     : json::serialize(x);
            };
            std::string pln = "0.00";
            for (const json::value& x : r.at("revenue").as_array()) {
              if (x.at("currency") == "PLN") pln = std::string(x.at("amount").as_string());
            }
            body += crm::CsvLine(
                {std::string(r.at("employee").as_string()), month_text(from), month_text(to),
                 text(r.at("activities").at("total")), text(r.at("offers")), text(r.at("orders")),
                 text(r.at("conversionPercent")), pln, text(r.at("complaintsResolved")),
                 text(r.at("responses")), text(r.at("averageResponseMinutes"))});
          }
          Response r;
          r.content_type = "text/csv; charset=utf-8";
          r.headers.push_back({"Content-Disposition", "attachment; filename=\"kpis-" +
                                                          month_text(from) + "-" + month_text(to) +
                                                          ".csv\""});
          r.body = std::move(body);
          return r;
        }
        json::object out = Page(std::move(items));
        out["from"] = month_text(from);
        out["to"] = month_text(to);
        return JsonResponse(200, std::move(out));
      });
}

}  // namespace quire::server
