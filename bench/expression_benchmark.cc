// Expression evaluation: time per evaluation and heap allocations per evaluation (counted by
// replacing the global operator new in this program), for the shapes conditions take.
#include <benchmark/benchmark.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdlib>
#include <new>

#include "quire/definitions/expression.h"

namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using quire::definitions::Expression;
using quire::definitions::JsonVariables;
using quire::definitions::Timestamp;

const boost::json::object& Vars() {
  static const boost::json::object vars = boost::json::parse(R"({
    "amount": 1500, "discount": 12.5, "approved": true,
    "customer": {"segment": "gold", "name": "Nordlicht GmbH", "address": {"city": "Oslo"}},
    "items": [10, 20, 30]
  })")
                                              .as_object();
  return vars;
}

void Run(benchmark::State& state, const char* text) {
  const auto expression = Expression::Compile(text);
  if (!expression) {
    state.SkipWithError(expression.error().message().c_str());
    return;
  }
  const JsonVariables vars(Vars());
  const Timestamp now{};
  const std::uint64_t before = g_allocations.load();
  for (auto _ : state) {
    auto value = expression->Evaluate(vars, now);
    benchmark::DoNotOptimize(value);
  }
  state.counters["allocs_per_eval"] =
      static_cast<double>(g_allocations.load() - before) / static_cast<double>(state.iterations());
}

void BM_Comparison(benchmark::State& s) { Run(s, "amount > 1000"); }
void BM_PathAndInList(benchmark::State& s) {
  Run(s, "amount > 1000 and customer.segment in [\"gold\", \"platinum\"]");
}
void BM_Juel(benchmark::State& s) {
  Run(s, "${amount > 1000 && approved && customer.segment == 'gold'}");
}
void BM_Arithmetic(benchmark::State& s) { Run(s, "amount * (1 - discount / 100) > 1000"); }
void BM_NestedPath(benchmark::State& s) { Run(s, "customer.address.city = \"Oslo\""); }
void BM_StringFunction(benchmark::State& s) { Run(s, "upper case(customer.segment) = \"GOLD\""); }
void BM_ListFunction(benchmark::State& s) { Run(s, "sum(items) >= 60"); }

void BM_Compile(benchmark::State& state) {
  for (auto _ : state) {
    auto e = Expression::Compile("amount > 1000 and customer.segment in [\"gold\", \"platinum\"]");
    benchmark::DoNotOptimize(e);
  }
}

BENCHMARK(BM_Comparison);
BENCHMARK(BM_PathAndInList);
BENCHMARK(BM_Juel);
BENCHMARK(BM_Arithmetic);
BENCHMARK(BM_NestedPath);
BENCHMARK(BM_StringFunction);
BENCHMARK(BM_ListFunction);
BENCHMARK(BM_Compile);

}  // namespace

BENCHMARK_MAIN();
