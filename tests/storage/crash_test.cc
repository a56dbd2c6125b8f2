// Kills a process with SIGKILL in the middle of group-committed writes, reopens the store
// and checks that every acknowledged write is there, and that every batch is whole.
#include <signal.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "quire/storage/store.h"
#include "quire/testing/child_process.h"
#include "quire/testing/result_matchers.h"
#include "quire/testing/temp_dir.h"

namespace quire::storage {
namespace {

using ::quire::testing::ChildProcess;
using namespace std::chrono_literals;

// Keys "run/thread/seq" present in `cf`, as thread → set of seq.
std::map<int, std::set<long>> KeysOf(Store& store, ColumnFamily cf, const std::string& run) {
  std::map<int, std::set<long>> found;
  for (Iterator it = store.ScanPrefix(cf, run + "/"); it.Valid(); it.Next()) {
    std::istringstream parts(std::string(it.key().substr(run.size() + 1)));
    int thread = 0;
    char slash = 0;
    long seq = 0;
    parts >> thread >> slash >> seq;
    found[thread].insert(seq);
  }
  return found;
}

TEST(CrashTest, AcknowledgedWritesSurviveSigkill) {
  quire::testing::TempDir dir;
  for (int round = 0; round < 3; ++round) {
    const std::string run = "run" + std::to_string(round);
    auto child = ChildProcess::Spawn(QUIRE_CRASH_HELPER, {"write", dir.path().string(), run, "8"});
    ASSERT_TRUE(child.has_value()) << child.error().ToString();

    // Let it get well into its stride, then kill it without warning.
    std::map<int, long> acked;  // thread → highest acknowledged seq
    int acks = 0;
    while (acks < 1500) {
      std::optional<std::string> line = child->ReadLine(30s);
      ASSERT_TRUE(line.has_value()) << "helper stopped: " << child->ReadAllStderr();
      int t = 0;
      long seq = 0;
      ASSERT_EQ(std::sscanf(line->c_str(), "ack %d %ld", &t, &seq), 2) << *line;
      acked[t] = std::max(acked[t], seq);
      ++acks;
    }
    child->Signal(SIGKILL);
    // Acknowledgements printed before the kill still count.
    std::istringstream rest(child->ReadAllStdout());
    for (std::string line; std::getline(rest, line);) {
      int t = 0;
      long seq = 0;
      if (std::sscanf(line.c_str(), "ack %d %ld", &t, &seq) == 2)
        acked[t] = std::max(acked[t], seq);
    }
    const std::optional<testing::ExitStatus> status = child->Wait(10s);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(status->signal, SIGKILL);

    auto store = Store::Open(dir.path());
    ASSERT_TRUE(store.has_value()) << store.error().ToString();
    const auto records = KeysOf(**store, ColumnFamily::kInstances, run);
    const auto index = KeysOf(**store, ColumnFamily::kIndexes, run);
    // Every batch is whole: a record exactly when its index entry.
    EXPECT_EQ(records, index);
    for (const auto& [thread, highest] : acked) {
      ASSERT_TRUE(records.contains(thread)) << "thread " << thread << " lost everything";
      const std::set<long>& seqs = records.at(thread);
      // Each thread commits in order, so what survives is 0..n with no gaps, n >= acked.
      EXPECT_GE(*seqs.rbegin(), highest) << "thread " << thread << " lost acknowledged writes";
      EXPECT_EQ(static_cast<long>(seqs.size()), *seqs.rbegin() + 1) << "gap in thread " << thread;
    }
  }
}

}  // namespace
}  // namespace quire::storage
