// Engine throughput on the reference process (../shared/bench/reference-process.bpmn, used
// as it is): start → exclusive gateway → user task → parallel split → two `noop` service
// tasks → join → end.
//
// One instance = a start command plus a task-completion command, each a durable (fdatasync)
// group commit, through the embedded API. `--in-flight` instances are kept going at once
// (asynchronous calls), as a server with that many concurrent clients would.
//
//   engine_benchmark [--instances N] [--in-flight K] [--waiting M] [--analytics on|off]
//
// --analytics off: the engine keeps no funnel or task counters (workflow/analytics.h), to
// measure what keeping them costs.
//
// --waiting M additionally starts M instances that stay at the user task, then reports the
// resident memory they cost per instance, and how long a restart takes until the engine
// answers again (the store holds them all).
//
// The store lives in $QUIRE_BENCH_DIR (default ./quire-bench-data) and is removed after.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>

#include "bench_support.h"
#include "quire/base/clock.h"
#include "quire/definitions/repository.h"
#include "quire/storage/store.h"
#include "quire/workflow/engine.h"

namespace {

using namespace quire;
using Steady = std::chrono::steady_clock;
using bench::BenchDir;
using bench::Die;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

long RssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

struct Engine {
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<definitions::DefinitionRepository> repository;
  workflow::ConnectorRegistry connectors = workflow::ConnectorRegistry::WithBuiltins();
  std::unique_ptr<workflow::Engine> engine;

  bool analytics = true;

  void Open() {
    auto s = storage::Store::Open(BenchDir());
    if (!s) Die("open store", s.error());
    store = std::move(*s);
    repository = std::make_unique<definitions::DefinitionRepository>(*store);
    workflow::EngineOptions options;
    options.analytics = analytics;
    auto e =
        workflow::Engine::Open(*store, *repository, SystemClock::Instance(), connectors, options);
    if (!e) Die("open engine", e.error());
    engine = std::move(*e);
  }
  void Close() {
    engine.reset();
    repository.reset();
    store.reset();
  }
};

// Runs `total` instances end to end, `in_flight` at a time. Returns instances per second.
double RunInstances(workflow::Engine& engine, long total, long in_flight) {
  std::mutex mu;
  std::condition_variable done_cv;
  long started = 0;
  long finished = 0;
  long failed = 0;
  std::function<void()> launch;
  auto finish_one = [&](bool ok) {
    bool more = false;
    {
      std::lock_guard lock(mu);
      ++finished;
      if (!ok) ++failed;
      if (started < total) {
        ++started;
        more = true;
      }
    }
    if (more) launch();
    done_cv.notify_all();
  };
  launch = [&] {
    workflow::StartRequest request;
    request.process_id = "reference";
    request.variables["amount"] = 500;
    engine.StartAsync(std::move(request), [&](Result<workflow::StartResult> r) {
      if (!r || r->tasks.size() != 1) {
        if (!r) std::fprintf(stderr, "start failed: %s\n", r.error().message().c_str());
        finish_one(false);
        return;
      }
      engine.CompleteTaskAsync(r->tasks[0], {}, "bench",
                               [&](Result<void> c) { finish_one(static_cast<bool>(c)); });
    });
  };
  const auto t0 = Steady::now();
  {
    std::lock_guard lock(mu);
    started = std::min(in_flight, total);
  }
  for (long i = 0; i < std::min(in_flight, total); ++i) launch();
  std::unique_lock lock(mu);
  done_cv.wait(lock, [&] { return finished == total; });
  const double seconds = std::chrono::duration<double>(Steady::now() - t0).count();
  if (failed != 0) {
    std::fprintf(stderr, "%ld instances failed\n", failed);
    std::exit(1);
  }
  return static_cast<double>(total) / seconds;
}

long StartWaiting(workflow::Engine& engine, long total, long in_flight) {
  std::mutex mu;
  std::condition_variable cv;
  long started = 0;
  long finished = 0;
  std::function<void()> launch = [&] {
    workflow::StartRequest request;
    request.process_id = "reference";
    request.variables["amount"] = 500;
    engine.StartAsync(std::move(request), [&](Result<workflow::StartResult> r) {
      if (!r) Die("start", r.error());
      bool more = false;
      {
        std::lock_guard lock(mu);
        ++finished;
        if (started < total) {
          ++started;
          more = true;
        }
      }
      if (more) launch();
      cv.notify_all();
    });
  };
  started = std::min(in_flight, total);
  for (long i = 0; i < started; ++i) launch();
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return finished == total; });
  return finished;
}

}  // namespace

int main(int argc, char** argv) {
  long instances = 100'000;
  long in_flight = 256;
  long waiting = 0;
  bool analytics = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--analytics") == 0) analytics = std::strcmp(argv[i + 1], "off") != 0;
    if (std::strcmp(argv[i], "--instances") == 0) instances = std::atol(argv[i + 1]);
    if (std::strcmp(argv[i], "--in-flight") == 0) in_flight = std::atol(argv[i + 1]);
    if (std::strcmp(argv[i], "--waiting") == 0) waiting = std::atol(argv[i + 1]);
  }
  const std::filesystem::path model =
      std::filesystem::path(QUIRE_SHARED_DIR) / "bench" / "reference-process.bpmn";
  const std::string xml = ReadFile(model);
  if (xml.empty()) {
    std::fprintf(stderr, "cannot read %s\n", model.c_str());
    return 1;
  }
  std::filesystem::remove_all(BenchDir());
  Engine e;
  e.analytics = analytics;
  e.Open();
  if (auto d = e.engine->Deploy(xml, "reference-process.bpmn", "bench"); !d)
    Die("deploy", d.error());

  // Warm-up, then the measured run.
  RunInstances(*e.engine, std::min(instances / 10, 10'000L), in_flight);
  const auto before = e.engine->commit_stats();
  const double rate = RunInstances(*e.engine, instances, in_flight);
  const auto after = e.engine->commit_stats();
  const double per_sync =
      static_cast<double>(after.batches - before.batches) /
      static_cast<double>(std::max<std::uint64_t>(1, after.writes - before.writes));
  std::printf(
      "reference process, durable: %ld instances, %ld in flight: %.0f instances/s "
      "(%.0f commands/s, %.1f command groups per fdatasync)%s\n",
      instances, in_flight, rate, rate * 2, per_sync,
      analytics ? "" : ", without the analytics counters");

  if (waiting > 0) {
    const long rss_before = RssKb();
    const auto t0 = Steady::now();
    StartWaiting(*e.engine, waiting, in_flight);
    const double start_rate =
        static_cast<double>(waiting) / std::chrono::duration<double>(Steady::now() - t0).count();
    e.engine->WaitIdle();
    const long rss_after = RssKb();
    std::printf(
        "%ld instances waiting at the user task (started at %.0f/s): resident memory "
        "%+ld KiB, %.0f bytes per waiting instance\n",
        waiting, start_rate, rss_after - rss_before,
        1024.0 * static_cast<double>(rss_after - rss_before) / static_cast<double>(waiting));
    e.Close();
    const auto r0 = Steady::now();
    e.Open();
    // Ready to serve: a start and a read answered.
    workflow::StartRequest request;
    request.process_id = "reference";
    request.variables["amount"] = 1;
    auto s = e.engine->Start(request);
    if (!s) Die("start after restart", s.error());
    const double restart = std::chrono::duration<double>(Steady::now() - r0).count();
    std::printf("restart with %ld waiting instances: ready in %.2f s\n", waiting, restart);
  }
  e.Close();
  std::filesystem::remove_all(BenchDir());
  return 0;
}
