// Issue 16's offer figures:
//   (a) creating offers of --lines lines (products from a catalogue of --products, priced from
//       the customer category's price list or the list price, some with discounts), durable
//       and audited (each offer its own synced write with an audit entry), from --threads
//       threads at once as concurrent requests would: offers per second, with the KPI
//       counters (issue 18) and without them, in alternating rounds of --offers/4;
//   (a2) accepting those offers and making each an order, from the same threads: orders per
//       second with the counters (employee KPIs, customers' months and the active-month
//       bitmaps, which read a counter under the order lock) and without, alternating;
//   (b) rendering such an offer to PDF (OfferPdf: Pango layout, cairo PDF): median and p99
//       over --renders renders, and of an offer of 200 lines (several pages).
//
//   sales_benchmark [--offers N] [--threads N] [--lines N] [--products N] [--renders N]
//
// The store lives in $QUIRE_BENCH_DIR (default ./quire-bench-data) and is removed after.
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/crm/kpis.h"
#include "quire/crm/offer_pdf.h"
#include "quire/crm/offers.h"
#include "quire/crm/products.h"
#include "quire/crm/schema.h"
#include "quire/storage/store.h"

namespace {

using namespace quire;  // NOLINT: a benchmark's main
namespace json = boost::json;
using Steady = std::chrono::steady_clock;

struct Shape {
  std::size_t offers = 20000;
  std::size_t threads = 8;
  std::size_t lines = 20;
  std::size_t products = 500;
  std::size_t renders = 200;
  std::size_t customers = 1000;
};

json::object OfferFields(crm::CustomerId customer, const std::vector<crm::ProductId>& products,
                         std::size_t lines, std::mt19937_64& random) {
  json::array list;
  for (std::size_t i = 0; i < lines; ++i) {
    json::object line{
        {"product", std::to_string(products[random() % products.size()])},
        {"quantity", std::to_string(1 + random() % 40) + "." + std::to_string(random() % 10)}};
    if (random() % 4 == 0) line["discountPercent"] = std::to_string(random() % 25);
    list.push_back(std::move(line));
  }
  return {{"customer", std::to_string(customer)},
          {"lines", std::move(list)},
          {"notes", "Oferta przygotowana zgodnie z rozmową telefoniczną; dostawa w 14 dni."}};
}

void Report(const char* what, std::vector<double> ms) {
  std::printf("%s: median %.2f ms, p99 %.2f ms, max %.2f ms (%zu)\n", what,
              bench::Percentile(ms, 0.5), bench::Percentile(ms, 0.99), bench::Percentile(ms, 1.0),
              ms.size());
}

int Run(const Shape& shape) {
  const std::filesystem::path dir = bench::BenchDir();
  std::filesystem::remove_all(dir);
  auto store = storage::Store::Open(dir / "data");
  if (!store) bench::Die("sales_benchmark: open", store.error());
  auto audit = audit::AuditLog::Open(**store, dir);
  if (!audit) bench::Die("sales_benchmark: audit", audit.error());
  const Clock& clock = SystemClock::Instance();
  crm::CrmSchema schema(**store, **audit, clock);
  crm::CustomerStore customers(**store, **audit, clock, &schema);
  crm::ContactStore contacts(**store, **audit, clock, customers);
  crm::ProductStore products(**store, **audit, clock, customers);
  crm::OfferStore offers(**store, **audit, clock, customers, contacts, products);

  // The catalogue, the price lists of the three categories, the customers.
  std::mt19937_64 random(16);
  std::vector<crm::ProductId> catalogue;
  for (std::size_t i = 0; i < shape.products; ++i) {
    const std::string price =
        std::to_string(5 + random() % 5000) + "." + std::to_string(10 + random() % 90);
    auto p = products.Create(
        {{"code", "P-" + std::to_string(10000 + i)},
         {"name", "Produkt " + std::to_string(i) + " — krzesło/biurko/szafa, wersja łączona"},
         {"taxRate", i % 10 == 0 ? "8" : "23"},
         {"prices", json::array{json::object{{"currency", "PLN"}, {"unitPrice", price}}}}},
        "bench");
    if (!p) bench::Die("sales_benchmark: product", p.error());
    catalogue.push_back(p->id);
  }
  for (const char* category : {"A", "B", "C"}) {
    json::array entries;
    for (std::size_t i = 0; i < catalogue.size(); i += 3) {
      entries.push_back(json::object{{"product", std::to_string(catalogue[i])},
                                     {"discountPercent", std::to_string(2 + random() % 15)}});
    }
    auto l = products.CreatePriceList({{"name", std::string("Kategoria ") + category},
                                       {"currency", "PLN"},
                                       {"customerCategory", category},
                                       {"entries", std::move(entries)}},
                                      "bench");
    if (!l) bench::Die("sales_benchmark: price list", l.error());
  }
  std::vector<crm::CustomerId> buyers;
  for (std::size_t i = 0; i < shape.customers; ++i) {
    auto c = customers.Create({{"name", "Hurtownia Wielobranżowa " + std::to_string(i)},
                               {"category", std::string(1, static_cast<char>('A' + i % 3))},
                               {"paymentTermsDays", 30}},
                              "bench");
    if (!c) bench::Die("sales_benchmark: customer", c.error());
    buyers.push_back(c->id);
  }

  // (a) Offers, from several threads at once; with the KPI counters the write path keeps
  // (crm/kpis.h) and without them, in alternating rounds so that neither gets the warmer
  // store.
  std::mutex made_mu;
  std::vector<crm::OfferId> made;  // for (a2)
  auto round = [&](std::size_t count, std::uint64_t seed) {
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> threads;
    const auto t0 = Steady::now();
    for (std::size_t t = 0; t < shape.threads; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937_64 mine(seed * 100 + t + 1);
        while (next.fetch_add(1) < count) {
          auto o = offers.Create(
              OfferFields(buyers[mine() % buyers.size()], catalogue, shape.lines, mine), "bench");
          if (!o) bench::Die("sales_benchmark: offer", o.error());
          std::lock_guard lock(made_mu);
          made.push_back(o->id);
        }
      });
    }
    for (std::thread& t : threads) t.join();
    return std::chrono::duration<double>(Steady::now() - t0).count();
  };
  double seconds[2] = {0, 0};  // [with counters, without]
  const std::size_t per_round = std::max<std::size_t>(1, shape.offers / 4);
  for (std::size_t r = 0; r < 4; ++r) {
    const bool with = r % 2 == 0;
    crm::SetKpiCountingForBenchmarks(with);
    seconds[with ? 0 : 1] += round(per_round, r);
  }
  crm::SetKpiCountingForBenchmarks(true);
  for (const bool with : {true, false}) {
    const double s = seconds[with ? 0 : 1];
    std::printf(
        "offers of %zu lines, durable and audited, %zu threads, %s KPI counters: %zu in %.1f s, "
        "%.0f/s\n",
        shape.lines, shape.threads, with ? "with" : "without", per_round * 2, s,
        static_cast<double>(per_round * 2) / s);
  }
  std::printf("the counters cost %.1f %% of the offers' throughput\n",
              100.0 * (1.0 - seconds[1] / seconds[0]));

  // (a2) Orders from those offers (each an acceptance and an order: two durable writes).
  auto order_round = [&](std::size_t first, std::size_t count) {
    std::atomic<std::size_t> next{first};
    std::vector<std::thread> threads;
    const auto t0 = Steady::now();
    for (std::size_t t = 0; t < shape.threads; ++t) {
      threads.emplace_back([&] {
        for (std::size_t i = next.fetch_add(1); i < first + count; i = next.fetch_add(1)) {
          if (auto a = offers.Accept(made[i], nullptr, {"administrator"}, "bench"); !a) {
            bench::Die("sales_benchmark: accept", a.error());
          }
          if (auto o = offers.MakeOrder(made[i], {}, "bench"); !o) {
            bench::Die("sales_benchmark: order", o.error());
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    return std::chrono::duration<double>(Steady::now() - t0).count();
  };
  double order_seconds[2] = {0, 0};
  const std::size_t orders_per_round = made.size() / 4;
  for (std::size_t r = 0; r < 4; ++r) {
    const bool with = r % 2 == 0;
    crm::SetKpiCountingForBenchmarks(with);
    order_seconds[with ? 0 : 1] += order_round(r * orders_per_round, orders_per_round);
  }
  crm::SetKpiCountingForBenchmarks(true);
  for (const bool with : {true, false}) {
    const double s = order_seconds[with ? 0 : 1];
    std::printf("offers accepted and ordered, %zu threads, %s counters: %zu in %.1f s, %.0f/s\n",
                shape.threads, with ? "with" : "without", orders_per_round * 2, s,
                static_cast<double>(orders_per_round * 2) / s);
  }
  std::printf("the counters cost %.1f %% of the orders' throughput\n",
              100.0 * (1.0 - order_seconds[1] / order_seconds[0]));

  // (b) Rendering.
  crm::Letterhead letterhead;
  letterhead.name = "Meble Żółć sp. z o.o.";
  letterhead.lines = {"ul. Świętokrzyska 12, 00-916 Warszawa", "NIP 526-104-08-28",
                      "mBank PL61 1090 1014 0000 0712 1981 2874"};
  letterhead.footer = "Sąd Rejonowy dla m.st. Warszawy, XII Wydział Gospodarczy, KRS 0000123456";
  const crm::OfferParty party{"Hurtownia Wielobranżowa 1",
                              {"ul. Marszałkowska 84/92", "00-514 Warszawa", "NIP: 5261040828"}};
  for (const std::size_t lines : {shape.lines, std::size_t{200}}) {
    auto o = offers.Create(OfferFields(buyers[0], catalogue, lines, random), "bench");
    if (!o) bench::Die("sales_benchmark: offer", o.error());
    std::vector<double> ms;
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < (lines == shape.lines ? shape.renders : 20); ++i) {
      const auto r0 = Steady::now();
      bytes = crm::OfferPdf(*o, letterhead, party, "2026-12-07", "Anna Nowak").size();
      ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - r0).count());
    }
    const std::string what = "PDF of an offer of " + std::to_string(lines) + " lines (" +
                             std::to_string(bytes / 1024) + " KiB)";
    Report(what.c_str(), ms);
  }
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Shape shape;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto next = [&]() -> std::size_t {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "sales_benchmark: %s needs a number\n", flag.c_str());
        std::exit(2);
      }
      return std::stoul(argv[++i]);
    };
    if (flag == "--offers") {
      shape.offers = next();
    } else if (flag == "--threads") {
      shape.threads = next();
    } else if (flag == "--lines") {
      shape.lines = next();
    } else if (flag == "--products") {
      shape.products = next();
    } else if (flag == "--renders") {
      shape.renders = next();
    } else {
      std::fprintf(stderr,
                   "usage: sales_benchmark [--offers N] [--threads N] [--lines N] "
                   "[--products N] [--renders N]\n");
      return 2;
    }
  }
  if (shape.threads == 0 || shape.products == 0 || shape.lines == 0) {
    std::fprintf(stderr, "sales_benchmark: threads, products and lines must be at least 1\n");
    return 2;
  }
  return Run(shape);
}
