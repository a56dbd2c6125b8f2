// Durable commit throughput of the storage layer.
//
// BM_GroupCommit: N threads each commit one small record (16-byte key, 100-byte value) per
// batch through the GroupCommitWriter and wait until it is durable (fdatasync). Reports
// records/s and how many batches shared each sync.
// BM_DirectSyncedWrite: the same through Store::Write from N threads, i.e. relying only on
// RocksDB's own write grouping, for comparison.
//
// The store lives in $QUIRE_BENCH_DIR (default ./quire-bench-data, on the disk the numbers
// are meant for; not tmpfs) and is removed afterwards. At the end the program prints the
// 64-writer/1-writer ratio of BM_GroupCommit.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "quire/storage/group_commit_writer.h"
#include "quire/storage/key_codec.h"
#include "quire/storage/store.h"

namespace {

using quire::storage::ColumnFamily;
using quire::storage::GroupCommitWriter;
using quire::storage::KeyEncoder;
using quire::storage::Store;
using quire::storage::WriteBatch;

std::filesystem::path BenchDir() {
  const char* dir = std::getenv("QUIRE_BENCH_DIR");
  return dir != nullptr && *dir != '\0' ? dir : "quire-bench-data";
}

std::unique_ptr<Store> g_store;
std::unique_ptr<GroupCommitWriter> g_writer;
std::atomic<std::uint64_t> g_next_key{0};

void OpenStore(const benchmark::State&) {
  std::filesystem::remove_all(BenchDir());
  auto store = Store::Open(BenchDir());
  if (!store) {
    std::fprintf(stderr, "cannot open %s: %s\n", BenchDir().c_str(),
                 store.error().ToString().c_str());
    std::exit(1);
  }
  g_store = std::move(*store);
  g_writer = std::make_unique<GroupCommitWriter>(*g_store);
}

void CloseStore(const benchmark::State&) {
  g_writer.reset();
  g_store.reset();
  std::filesystem::remove_all(BenchDir());
}

WriteBatch SmallRecord() {
  WriteBatch batch;
  const std::uint64_t n = g_next_key.fetch_add(1, std::memory_order_relaxed);
  batch.Put(ColumnFamily::kInstances, KeyEncoder().U64(n).U64(n * 7).Take(), std::string(100, 'v'));
  return batch;
}

void BM_GroupCommit(benchmark::State& state) {
  const quire::storage::GroupCommitStats before = g_writer->stats();
  for (auto _ : state) {
    if (auto done = g_writer->Commit(SmallRecord()); !done) {
      state.SkipWithError(done.error().ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    const quire::storage::GroupCommitStats after = g_writer->stats();
    const double syncs = static_cast<double>(after.writes - before.writes);
    // Only thread 0 sets it, so the per-thread sum is this value.
    state.counters["batches_per_sync"] =
        syncs > 0 ? static_cast<double>(after.batches - before.batches) / syncs : 0;
  }
}
BENCHMARK(BM_GroupCommit)
    ->Setup(OpenStore)
    ->Teardown(CloseStore)
    ->Threads(1)
    ->Threads(8)
    ->Threads(64)
    ->MinTime(3.0)
    ->UseRealTime();

void BM_DirectSyncedWrite(benchmark::State& state) {
  for (auto _ : state) {
    if (auto done = g_store->Write(SmallRecord()); !done) {
      state.SkipWithError(done.error().ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DirectSyncedWrite)
    ->Setup(OpenStore)
    ->Teardown(CloseStore)
    ->Threads(1)
    ->Threads(8)
    ->Threads(64)
    ->MinTime(3.0)
    ->UseRealTime();

// Prints the usual table, then the figures the storage issue asks for.
class Reporter : public benchmark::ConsoleReporter {
 public:
  Reporter() : ConsoleReporter(OO_Tabular) {}  // plain text: it is pasted into docs

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      const auto it = run.counters.find("items_per_second");
      if (it != run.counters.end()) rates_[run.benchmark_name()] = it->second.value;
    }
  }

  void Summarize() const {
    const auto one = rates_.find("BM_GroupCommit/min_time:3.000/real_time/threads:1");
    const auto many = rates_.find("BM_GroupCommit/min_time:3.000/real_time/threads:64");
    if (one == rates_.end() || many == rates_.end()) return;
    std::printf(
        "\ngroup commit, synced: 1 writer %.0f records/s, 64 writers %.0f records/s, "
        "ratio %.1fx\n",
        one->second, many->second, many->second / one->second);
  }

 private:
  std::map<std::string, double> rates_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.Summarize();
  benchmark::Shutdown();
  return 0;
}
