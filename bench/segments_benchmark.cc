// Issue 16's segment figures, run side by side with PostgreSQL 15 by bench/peers/postgres/run:
//
//   --customers customers (a city, tags, a category, a satisfaction score), ten activities
//   each over five years, through the CSV importer; then offers (one in three not taken up,
//   the others accepted and ordered, most orders paid, some in part) and service cases
//   (two in five still open), through the stores, each at its own moment of the data's past
//   (the clock is the data's: 2026-12-06 09:00 UTC). At the default size: 1,000,000
//   customers, 10,000,000 activities, 1,200,000 offers and 800,000 orders, 100,000 cases.
//
//   Five segments, each through POST /api/crm/segments/query as an administrator (scope
//   all): the count and the first page of 50 customers, median and p99 over --samples runs.
//
//   --pg-csv DIR writes the records the store holds (read back from it, so they are the very
//   same) as CSV for PostgreSQL's COPY.
//
//   Then (issue 18) --instances instances of a sales-lead process run through the engine
//   over the last twelve months, and the KPI reports over HTTP: every employee's row, one
//   employee's own row, the process's funnel; every employee's rows a page (200) at a time.
//   Customer metrics (customer_metrics.h): every customer over 12 and 24 months, a city's
//   customers (a filter), a staff member's own customers, one customer's value.
//
//   segments_benchmark [--customers N] [--samples N] [--instances N] [--keep] [--reuse]
//                      [--pg-csv DIR] [--compact]
//
// --compact compacts the crm column family into one sorted run before measuring, as a store
// is once the compactions after a bulk load have settled (PostgreSQL gets its VACUUM).
//
// The store lives in $QUIRE_BENCH_DIR (default ./quire-bench-data); removed at the end unless
// --keep (or --pg-csv, which reads it); --reuse measures a kept store without loading it.
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench_support.h"
#include "http_client.h"
#include "quire/base/instant.h"
#include "quire/crm/import.h"
#include "quire/crm/kpis.h"
#include "quire/crm/segments.h"
#include "quire/server/api.h"
#include "quire/server/http_server.h"
#include "quire/services/services.h"
#include "quire/workflow/engine.h"

namespace {

using namespace quire;  // NOLINT: a benchmark's main
namespace json = boost::json;
using Steady = std::chrono::steady_clock;
using bench::Die;
using bench::Percentile;

constexpr std::int64_t kDataNowMs = 1796547600000;   // 2026-12-06 09:00 UTC
constexpr std::int64_t kFirstDayMs = 1641168000000;  // 2022-01-03 00:00 UTC
constexpr std::int64_t kDayMs = 86'400'000;

std::uint64_t Mix(std::uint64_t x) {  // splitmix64
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

template <std::size_t N>
const char* Pick(const char* const (&list)[N], std::uint64_t n) {
  return list[n % N];
}

const char* const kCities[] = {"Warszawa", "Kraków",   "Łódź",        "Wrocław", "Poznań",
                               "Gdańsk",   "Szczecin", "Bydgoszcz",   "Lublin",  "Białystok",
                               "Katowice", "Gdynia",   "Częstochowa", "Radom",   "Toruń"};
const char* const kTypes[] = {"call", "meeting", "email", "visit", "letter", "presentation"};

struct Shape {
  std::uint64_t customers = 1'000'000;
  std::uint64_t activities_per_customer = 10;
  std::size_t samples = 200;
  std::uint64_t employees = 2000;
  std::uint64_t file_rows = 100'000;
  std::uint64_t instances = 120'000;  // of the funnel's process, over the last twelve months
  std::uint64_t offers() const { return customers * 6 / 5; }
  std::uint64_t cases() const { return customers / 10; }
};

// The five segments: an indexed equality, a range and a tag, no order in twelve months, a
// meeting in the last 90 days and an open case, a three-way OR.
struct Segment {
  const char* name;
  const char* text;
};
const Segment kSegments[] = {
    {"indexed equality", "city = \"Kraków\""},
    {"range and tag", "satisfaction >= 4 and tag = vip"},
    {"no order in 12 months", "no order (date >= today - 12m)"},
    {"meeting in 90 days and open case",
     "has activity (type = meeting and start >= today - 90d) and has case (open)"},
    {"three-way OR", "category = A or tag = lost or city = Gdańsk"},
};

double Seconds(Steady::time_point since) {
  return std::chrono::duration<double>(Steady::now() - since).count();
}

void Import(crm::Importer& importer, const std::string& kind, std::uint64_t n,
            std::uint64_t file_rows, const std::function<std::string(std::uint64_t)>& header,
            const std::function<std::string(std::uint64_t)>& row) {
  const auto t0 = Steady::now();
  for (std::uint64_t first = 1; first <= n; first += file_rows) {
    const std::uint64_t last = std::min(n, first + file_rows - 1);
    std::string text = header(first);
    for (std::uint64_t r = first; r <= last; ++r) text += row(r);
    crm::ImportOptions o;
    o.kind = kind;
    auto report = importer.Run(text, o, audit::Actor{"bench"});
    if (!report) Die("import " + kind, report.error());
    if (report->refused != 0) {
      std::fprintf(stderr, "import %s refused: line %zu %s\n", kind.c_str(),
                   report->errors.at(0).line, report->errors.at(0).message.c_str());
      std::exit(1);
    }
    std::fprintf(stderr, "\r%s: %llu   ", kind.c_str(), static_cast<unsigned long long>(last));
  }
  std::fprintf(stderr, "\n");
  std::printf("%s: %llu in %.0f s\n", kind.c_str(), static_cast<unsigned long long>(n),
              Seconds(t0));
}

void Load(services::Services& s, ManualClock& clock, const Shape& shape) {
  clock.Set(Timestamp(std::chrono::milliseconds(kDataNowMs)));
  crm::Importer importer(s.customers(), s.contacts(), s.activities());
  Import(
      importer, "customers", shape.customers, shape.file_rows,
      [](std::uint64_t) {
        return std::string("External ID;Nazwa;Miasto;Opiekun;Tagi;Kategoria;Zadowolenie\n");
      },
      [&](std::uint64_t i) {
        const std::uint64_t h = Mix(i);
        std::string tags;
        if (h % 10 == 0) tags = "vip";
        if ((h >> 8) % 20 == 0) tags += tags.empty() ? "lost" : ",lost";
        if ((h >> 16) % 4 == 0) tags += tags.empty() ? "b2b" : ",b2b";
        static const char* const kCategories[] = {"A", "B", "C", "B", "C", "C"};
        return "C" + std::to_string(i) + ";Firma " + std::to_string(i) + ";" +
               Pick(kCities, h >> 24) + ";u" + std::to_string(1 + i % shape.employees) + ";\"" +
               tags + "\";" + Pick(kCategories, h >> 32) + ";" + std::to_string(1 + (h >> 40) % 5) +
               "\n";
      });
  Import(
      importer, "activities", shape.customers * shape.activities_per_customer, shape.file_rows,
      [](std::uint64_t) {
        return std::string("Type,Status,Subject,Start,End,Customer,Employee\n");
      },
      [&](std::uint64_t r) {
        const std::uint64_t customer = 1 + (r - 1) / shape.activities_per_customer;
        const std::uint64_t h = Mix(r * 7 + 3);
        const std::int64_t start =
            kFirstDayMs + static_cast<std::int64_t>((h >> 8) % (5 * 365)) * kDayMs + 9 * 3'600'000;
        return std::string(Pick(kTypes, h)) + "," + (start < kDataNowMs ? "done" : "planned") +
               ",Kontakt," + FormatInstant(Timestamp(std::chrono::milliseconds(start))) + "," +
               FormatInstant(Timestamp(std::chrono::milliseconds(start + 1'800'000))) + ",C" +
               std::to_string(customer) + ",u" + std::to_string(1 + customer % shape.employees) +
               "\n";
      });
  // Offers and orders, each at its own moment of the last three years.
  const audit::Actor actor{"bench"};
  const auto t0 = Steady::now();
  std::uint64_t orders = 0;
  for (std::uint64_t i = 1; i <= shape.offers(); ++i) {
    const std::uint64_t h = Mix(i * 13 + 1);
    const std::uint64_t customer = 1 + h % shape.customers;
    const std::int64_t at = kDataNowMs - static_cast<std::int64_t>((h >> 20) % (3 * 365)) * kDayMs;
    clock.Set(Timestamp(std::chrono::milliseconds(at)));
    json::object fields{{"customer", std::to_string(customer)},
                        {"owner", "u" + std::to_string(1 + customer % shape.employees)},
                        {"lines", json::array{json::object{
                                      {"name", "Usługa"},
                                      {"quantity", std::to_string(1 + (h >> 8) % 20)},
                                      {"unitPrice", std::to_string(50 + (h >> 12) % 950) + ".00"},
                                      {"taxRate", "23"}}}}};
    auto offer = s.offers().Create(fields, actor);
    if (!offer) Die("offer", offer.error());
    if (i % 3 == 0) continue;  // not taken up
    if (auto r = s.offers().Accept(offer->id, nullptr, {"administrator"}, actor); !r) {
      Die("accept", r.error());
    }
    auto order = s.offers().MakeOrder(offer->id, {}, actor);
    if (!order) Die("order", order.error());
    ++orders;
    if (i % 5 != 0) {
      const std::int64_t gross = order->totals.gross;
      const std::int64_t amount = i % 7 == 0 ? gross / 2 : gross;
      char text[32];
      std::snprintf(text, sizeof text, "%lld.%02lld", static_cast<long long>(amount / 100),
                    static_cast<long long>(amount % 100));
      if (auto p = s.offers().AddPayment(order->id, json::object{{"amount", text}}, actor); !p) {
        Die("payment", p.error());
      }
    }
    if (i % 10'000 == 0) {
      std::fprintf(stderr, "\roffers: %llu, orders %llu   ", static_cast<unsigned long long>(i),
                   static_cast<unsigned long long>(orders));
    }
  }
  std::fprintf(stderr, "\n");
  std::printf("offers: %llu and orders: %llu in %.0f s\n",
              static_cast<unsigned long long>(shape.offers()),
              static_cast<unsigned long long>(orders), Seconds(t0));
  const auto t1 = Steady::now();
  for (std::uint64_t i = 1; i <= shape.cases(); ++i) {
    const std::uint64_t h = Mix(i * 17 + 5);
    const std::int64_t at = kDataNowMs - static_cast<std::int64_t>((h >> 20) % 365) * kDayMs;
    clock.Set(Timestamp(std::chrono::milliseconds(at)));
    auto c = s.cases().Create(json::object{{"customer", std::to_string(1 + h % shape.customers)},
                                           {"subject", "Reklamacja"},
                                           {"priority", (h >> 8) % 4 == 0 ? "high" : "normal"}},
                              actor);
    if (!c) Die("case", c.error());
    if (i % 5 >= 2) {
      for (const char* patch : {R"({"status": "in-progress"})",
                                R"({"status": "resolved", "resolution": "Wymieniono"})"}) {
        if (auto u = s.cases().Update(c->id, json::parse(patch).as_object(), actor); !u) {
          Die("case", u.error());
        }
      }
    }
  }
  std::printf("cases: %llu in %.0f s\n", static_cast<unsigned long long>(shape.cases()),
              Seconds(t1));
  clock.Set(Timestamp(std::chrono::milliseconds(kDataNowMs)));
}

// The records as CSV for PostgreSQL, read back from the store.
void WritePgCsv(services::Services& s, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  auto csv = [](const std::string& v) {
    std::string out = "\"";
    for (char c : v) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  };
  {
    std::ofstream out(dir / "customers.csv");
    crm::CustomerId after = 0;
    do {
      auto page = s.customers().List(after, 10'000, [&](const crm::Customer& c) -> Result<bool> {
        std::string tags = "{";
        for (std::size_t k = 0; k < c.tags.size(); ++k) tags += (k ? "," : "") + c.tags[k];
        tags += "}";
        out << c.id << "," << c.kind << "," << csv(c.name) << "," << csv(c.owner) << ","
            << csv(c.addresses.empty() ? "" : c.addresses[0].city) << "," << csv(tags) << ","
            << json::value_to<std::string>(c.profile.at("category")) << ","
            << c.profile.at("satisfaction").as_int64() << "," << FormatInstant(c.created_at)
            << "\n";
        return false;
      });
      if (!page) Die("customers", page.error());
      after = page->next;
    } while (after != 0);
  }
  {
    std::ofstream out(dir / "activities.csv");
    auto it = s.store().ScanPrefix(storage::ColumnFamily::kCrm, "a");
    for (; it.Valid(); it.Next()) {
      auto a = crm::ActivityStore::FromStored(it.value());
      if (!a) Die("activity", a.error());
      out << a->id << "," << a->type << "," << a->status << "," << FormatInstant(a->start) << ","
          << (a->customer == 0 ? std::string() : std::to_string(a->customer)) << "\n";
    }
  }
  auto day = [](std::chrono::year_month_day d) {
    char b[16];
    std::snprintf(b, sizeof b, "%04d-%02u-%02u", static_cast<int>(d.year()),
                  static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
    return std::string(b);
  };
  {
    std::ofstream offers(dir / "offers.csv");
    std::ofstream orders(dir / "orders.csv");
    std::ofstream payments(dir / "payments.csv");
    auto all = s.offers().List(0, SIZE_MAX, 0, [&](const crm::Offer& o) {
      offers << o.id << "," << o.customer << "," << o.status << "," << o.currency << ","
             << o.totals.net << "," << o.totals.gross << "," << FormatInstant(o.created_at) << "\n";
      return false;
    });
    if (!all) Die("offers", all.error());
    auto ordered = s.offers().Orders(0, SIZE_MAX, 0, [&](const crm::Order& o) {
      orders << o.id << "," << o.customer << "," << o.status << "," << o.currency << ","
             << o.totals.gross << "," << day(o.ordered_on) << "\n";
      for (const crm::Payment& p : o.payments) {
        payments << o.id << "," << p.amount << "," << day(p.date) << "\n";
      }
      return false;
    });
    if (!ordered) Die("orders", ordered.error());
  }
  {
    std::ofstream out(dir / "cases.csv");
    auto all = s.cases().List(0, false, SIZE_MAX, 0, [&](const crm::ServiceCase& c) {
      out << c.id << "," << c.customer << "," << c.kind << "," << c.status << "," << c.priority
          << "," << FormatInstant(c.created_at) << "\n";
      return false;
    });
    if (!all) Die("cases", all.error());
  }
  std::printf("CSV for PostgreSQL in %s\n", dir.c_str());
}

// The funnel's process: qualify → decide: 30 % lost; else an offer task, after which half
// are won and the rest withdrawn (cancelled by an operator: abandoned at "offer").
const char* kFunnelProcess = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="urn:bench">
  <process id="lead" name="Sales lead" isExecutable="true">
    <startEvent id="s"/><userTask id="qualify" name="Qualify"/>
    <exclusiveGateway id="decide" default="go"/>
    <userTask id="offer" name="Make the offer"/><endEvent id="won"/><endEvent id="lost"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="qualify"/>
    <sequenceFlow id="f2" sourceRef="qualify" targetRef="decide"/>
    <sequenceFlow id="no" sourceRef="decide" targetRef="lost"><conditionExpression xsi:type="tFormalExpression">lost</conditionExpression></sequenceFlow>
    <sequenceFlow id="go" sourceRef="decide" targetRef="offer"/>
    <sequenceFlow id="f3" sourceRef="offer" targetRef="won"/>
  </process>
</definitions>)";

// Runs --instances instances of the funnel's process through the engine, started over the
// twelve months before the data's now (the clock moved for each), with their tasks
// completed by the employees.
void RunFunnelInstances(services::Services& s, ManualClock& clock, const Shape& shape) {
  workflow::Engine& engine = s.engine();
  if (auto d = engine.Deploy(kFunnelProcess, "lead.bpmn", "bench"); !d) Die("deploy", d.error());
  const auto t0 = Steady::now();
  for (std::uint64_t i = 0; i < shape.instances; ++i) {
    const std::uint64_t h = Mix(i + 77);
    // Oldest first, so that the clock only moves forward.
    clock.Set(Timestamp(
        std::chrono::milliseconds(kDataNowMs - 365 * kDayMs +
                                  static_cast<std::int64_t>(i * 365 * kDayMs / shape.instances))));
    workflow::StartRequest r;
    r.process_id = "lead";
    auto started = engine.Start(r);
    if (!started || started->tasks.size() != 1) Die("start", started.error());
    const std::string who = "u" + std::to_string(1 + h % shape.employees);
    const bool lost = h % 10 < 3;
    if (auto c = engine.CompleteTask(started->tasks[0], {{"lost", lost}}, who); !c) {
      Die("qualify", c.error());
    }
    if (lost) continue;
    auto tasks = engine.ListTasks(started->instance_id);
    if (!tasks || tasks->size() != 1) Die("offer task", tasks.error());
    if ((h >> 8) % 2 == 0) {
      if (auto c = engine.CompleteTask(tasks->front().id, {}, who); !c) Die("offer", c.error());
    } else if (auto c = engine.Cancel(started->instance_id, "bench", "withdrawn"); !c) {
      Die("cancel", c.error());
    }
  }
  clock.Set(Timestamp(std::chrono::milliseconds(kDataNowMs)));
  std::printf("funnel: %llu instances of 'lead' run in %.0f s\n",
              static_cast<unsigned long long>(shape.instances), Seconds(t0));
}

// A GET timed like the segments: median and p99 after three warm-up requests.
void TimeGet(bench::Connection& c, const std::string& auth, const char* what,
             const std::string& target, std::size_t samples) {
  std::vector<double> ms;
  for (std::size_t n = 0; n < samples + 3; ++n) {
    const auto t0 = Steady::now();
    const int status = c.Request("GET", target, "", auth);
    const double took = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
    if (status != 200) {
      std::fprintf(stderr, "%s: %d %.300s\n", target.c_str(), status, c.last_body().c_str());
      std::exit(1);
    }
    if (n >= 3) ms.push_back(took);
  }
  std::printf("%s: GET %s\n  %zu bytes; median %.2f ms, p99 %.2f ms (%zu requests)\n", what,
              target.c_str(), c.last_body().size(), Percentile(ms, 0.5), Percentile(ms, 0.99),
              ms.size());
}

void Measure(services::Services& s, const Shape& shape) {
  org::Identity& identity = s.identity();
  if (auto r = identity.PutUser({"bench-admin", "bench-admin", "", "", true, ""},
                                std::vector<std::string>{"administrator"}, "",
                                !identity.directory().GetUser("bench-admin").has_value(), "bench");
      !r) {
    Die("user", r.error());
  }
  auto t = identity.CreateToken("bench-admin", "bench", std::nullopt, {}, "bench");
  if (!t) Die("token", t.error());
  const std::string auth = "Authorization: Bearer " + t->secret + "\r\n";
  server::Router router;
  server::AddApiRoutes(router, s, {.version = "bench"});
  server::HttpServerOptions http;
  http.port = 0;
  server::HttpServer server(std::move(router), http);
  if (auto r = server.Start(); !r) Die("listen", r.error());
  bench::Connection c(server.port());
  for (const Segment& seg : kSegments) {
    json::object body{{"text", seg.text}, {"limit", 50}};
    const std::string request = json::serialize(body);
    std::vector<double> ms;
    std::uint64_t count = 0;
    for (std::size_t n = 0; n < shape.samples + 3; ++n) {
      const auto t0 = Steady::now();
      const int status = c.Request("POST", "/api/crm/segments/query", request, auth);
      const double took = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
      if (status != 200) {
        std::fprintf(stderr, "%s: %d %.300s\n", seg.text, status, c.last_body().c_str());
        std::exit(1);
      }
      if (n >= 3) ms.push_back(took);  // the first runs warm the caches
      const json::value answer = json::parse(c.last_body());
      count = static_cast<std::uint64_t>(answer.at("count").as_int64());
      if (answer.at("items").as_array().size() != std::min<std::uint64_t>(50, count)) {
        std::fprintf(stderr, "%s: a short page\n", seg.text);
        std::exit(1);
      }
    }
    body["explain"] = true;
    c.Request("POST", "/api/crm/segments/query", json::serialize(body), auth);
    const json::value plan = json::parse(c.last_body()).at("plan");
    std::printf(
        "segment \"%s\": %s\n  count %llu; count and first page of 50: median %.2f ms, "
        "p99 %.2f ms (%zu requests)\n",
        seg.name, seg.text, static_cast<unsigned long long>(count), Percentile(ms, 0.5),
        Percentile(ms, 0.99), ms.size());
    for (const json::value& step : plan.at("steps").as_array()) {
      std::printf("    %s  [estimate %lld, read %lld, selected %lld, %.2f ms]\n",
                  std::string(step.at("step").as_string()).c_str(),
                  static_cast<long long>(step.at("estimate").to_number<std::int64_t>()),
                  static_cast<long long>(step.at("read").to_number<std::int64_t>()),
                  static_cast<long long>(step.at("rows").to_number<std::int64_t>()),
                  step.at("ms").to_number<double>());
    }
  }
  // KPIs (issue 18): every employee's row over twelve months, as an administrator; one
  // employee's own row (crm.read own); the funnel of the process run above.
  TimeGet(c, auth, "KPIs of every employee, 12 months",
          "/api/kpis/employees?from=2026-01&to=2026-12", shape.samples);
  {
    // The same counters read in process, without the rows' JSON and HTTP.
    std::vector<double> ms;
    std::size_t rows = 0;
    for (std::size_t n = 0; n < shape.samples + 3; ++n) {
      const auto t0 = Steady::now();
      auto all = crm::ReadEmployeeKpis(s.store(), crm::KpiMonth(std::chrono::year(2026) / 1),
                                       crm::KpiMonth(std::chrono::year(2026) / 12));
      if (!all) Die("kpis", all.error());
      rows = all->size();
      if (n >= 3)
        ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
    }
    std::printf("  of which reading the counters of %zu employees: median %.2f ms, p99 %.2f ms\n",
                rows, Percentile(ms, 0.5), Percentile(ms, 0.99));
  }
  if (auto r = identity.PutUser({"u7", "u7", "", "", true, ""}, std::vector<std::string>{"staff"},
                                "", !identity.directory().GetUser("u7").has_value(), "bench");
      !r) {
    Die("user", r.error());
  }
  auto staff = identity.CreateToken("u7", "bench", std::nullopt, {}, "bench");
  if (!staff) Die("token", staff.error());
  TimeGet(c, "Authorization: Bearer " + staff->secret + "\r\n",
          "KPIs of one employee (their own), 12 months",
          "/api/kpis/employees?from=2026-01&to=2026-12", shape.samples);
  TimeGet(c, auth, "KPIs of every employee, 12 months, the first page of 200",
          "/api/kpis/employees?from=2026-01&to=2026-12&limit=200", shape.samples);
  TimeGet(c, auth, "KPIs of every employee, 12 months, a later page of 200",
          "/api/kpis/employees?from=2026-01&to=2026-12&limit=200&after=u1500", shape.samples);
  // Customer metrics.
  TimeGet(c, auth, "customer metrics, every customer, 12 months",
          "/api/kpis/customers?from=2026-01&to=2026-12", shape.samples);
  std::printf("  period %s\n  lifetime %s\n",
              json::serialize(json::parse(c.last_body()).at("period")).c_str(),
              json::serialize(json::parse(c.last_body()).at("lifetime")).c_str());
  TimeGet(c, auth, "customer metrics, every customer, 24 months",
          "/api/kpis/customers?from=2025-01&to=2026-12", shape.samples);
  TimeGet(c, auth, "customer metrics, the customers in Kraków (a filter), 12 months",
          "/api/kpis/customers?from=2026-01&to=2026-12&filter=city%20%3D%20%22Krak%C3%B3w%22",
          shape.samples);
  std::printf("  period %s\n", json::serialize(json::parse(c.last_body()).at("period")).c_str());
  TimeGet(c, "Authorization: Bearer " + staff->secret + "\r\n",
          "customer metrics, a staff member's own customers, 12 months",
          "/api/kpis/customers?from=2026-01&to=2026-12", shape.samples);
  std::printf("  period %s\n", json::serialize(json::parse(c.last_body()).at("period")).c_str());
  TimeGet(c, auth, "one customer's value", "/api/kpis/customers/4242", shape.samples);
  TimeGet(c, auth, "funnel of 'lead', 12 months", "/api/kpis/funnels/lead?from=2025-12&to=2026-12",
          shape.samples);
  const json::value funnel = json::parse(c.last_body());
  std::printf("  instances %s\n", json::serialize(funnel.at("instances")).c_str());
  for (const json::value& step : funnel.at("steps").as_array()) {
    std::printf("  %-8s reached %6lld  completed %6lld  abandoned %6lld  avg %s min\n",
                std::string(step.at("elementId").as_string()).c_str(),
                static_cast<long long>(step.at("reached").as_int64()),
                static_cast<long long>(step.at("completed").as_int64()),
                static_cast<long long>(step.at("abandoned").as_int64()),
                step.at("averageMinutes").is_null()
                    ? "-"
                    : std::string(step.at("averageMinutes").as_string()).c_str());
  }
}

int Run(int argc, char** argv) {
  Shape shape;
  bool keep = false, reuse = false, compact = false;
  std::string pg_csv;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", flag.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (flag == "--customers") {
      shape.customers = std::stoull(next());
    } else if (flag == "--samples") {
      shape.samples = std::stoul(next());
    } else if (flag == "--instances") {
      shape.instances = std::stoull(next());
    } else if (flag == "--keep") {
      keep = true;
    } else if (flag == "--reuse") {
      reuse = keep = true;
    } else if (flag == "--pg-csv") {
      pg_csv = next();
    } else if (flag == "--compact") {
      compact = true;
    } else {
      std::fprintf(stderr, "unknown flag %s (see the comment at the top)\n", flag.c_str());
      return 2;
    }
  }
  const std::filesystem::path dir = bench::BenchDir();
  if (!reuse) std::filesystem::remove_all(dir);
  {
    ManualClock clock{Timestamp(std::chrono::milliseconds(kDataNowMs))};
    services::ServicesOptions options;
    options.search = false;
    options.create_if_missing = !reuse;
    options.clock = &clock;
    options.engine.run_jobs = false;
    auto opened = services::Services::Open(dir, options);
    if (!opened) Die("open", opened.error());
    services::Services& s = **opened;
    if (!reuse) {
      Load(s, clock, shape);
      RunFunnelInstances(s, clock, shape);
      if (auto f = s.store().Flush(); !f) Die("flush", f.error());
      const auto idle0 = Steady::now();
      s.store().WaitUntilIdle(std::chrono::minutes(30));
      std::printf("compactions after the load: %.0f s\n", Seconds(idle0));
    }
    if (compact && pg_csv.empty()) {
      const auto t0 = Steady::now();
      if (auto c = s.store().Purge(storage::ColumnFamily::kCrm); !c) Die("compact", c.error());
      std::printf("crm column family compacted into one sorted run: %.0f s\n", Seconds(t0));
    }
    if (!pg_csv.empty()) {
      WritePgCsv(s, pg_csv);
    } else {
      Measure(s, shape);
    }
  }
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
