#include "quire/storage/group_commit_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <mutex>
#include <thread>

#include "quire/testing/result_matchers.h"
#include "quire/testing/temp_dir.h"

namespace quire::storage {
namespace {

using ::quire::testing::IsOk;
using ::quire::testing::TempDir;
using ::testing::Optional;

std::string Key(int thread, int i) { return std::to_string(thread) + "/" + std::to_string(i); }

TEST(GroupCommitWriterTest, CommitIsVisibleWhenItReturns) {
  TempDir tmp;
  auto store = std::move(*Store::Open(tmp.path()));
  GroupCommitWriter writer(*store);
  WriteBatch batch;
  batch.Put(ColumnFamily::kInstances, "i/1", "started");
  ASSERT_THAT(writer.Commit(std::move(batch)), IsOk());
  EXPECT_THAT(*store->Get(ColumnFamily::kInstances, "i/1"), Optional(std::string("started")));
}

TEST(GroupCommitWriterTest, ConcurrentCallersShareSyncsAndAllLand) {
  TempDir tmp;
  constexpr int kThreads = 16;
  constexpr int kPerThread = 200;
  {
    auto store = std::move(*Store::Open(tmp.path()));
    GroupCommitWriter writer(*store);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          WriteBatch batch;
          batch.Put(ColumnFamily::kTasks, Key(t, i), "task");
          batch.Put(ColumnFamily::kIndexes, Key(t, i), "");
          if (!writer.Commit(std::move(batch))) ++failures;
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(failures, 0);
    const GroupCommitStats stats = writer.stats();
    EXPECT_EQ(stats.batches, std::uint64_t{kThreads * kPerThread});
    EXPECT_LT(stats.writes, stats.batches) << "no two callers ever shared a write";
  }
  auto store = std::move(*Store::Open(tmp.path()));
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      ASSERT_TRUE(store->Get(ColumnFamily::kTasks, Key(t, i))->has_value()) << Key(t, i);
      ASSERT_TRUE(store->Get(ColumnFamily::kIndexes, Key(t, i))->has_value()) << Key(t, i);
    }
  }
}

TEST(GroupCommitWriterTest, OneCallersBatchesApplyInOrder) {
  TempDir tmp;
  auto store = std::move(*Store::Open(tmp.path()));
  GroupCommitWriter writer(*store);
  std::vector<std::future<Result<void>>> done;
  for (int i = 0; i <= 500; ++i) {
    WriteBatch batch;
    batch.Put(ColumnFamily::kInstances, "counter", std::to_string(i));
    done.push_back(writer.Submit(std::move(batch)));
  }
  for (auto& f : done) ASSERT_THAT(f.get(), IsOk());
  EXPECT_THAT(*store->Get(ColumnFamily::kInstances, "counter"), Optional(std::string("500")));
}

TEST(GroupCommitWriterTest, CallersAreAnsweredInCommitOrder) {
  TempDir tmp;
  auto store = std::move(*Store::Open(tmp.path()));
  std::vector<int> answered;  // only touched by the writer's threads, one at a time
  std::mutex mu;
  {
    GroupCommitWriter writer(*store);
    // Bursts make large groups (answered by the completion thread) and pauses make small
    // ones (answered by the writer itself): the order must hold across both.
    for (int i = 0; i < 3000; ++i) {
      WriteBatch batch;
      batch.Put(ColumnFamily::kJobs, Key(1, i), "x");
      writer.Submit(std::move(batch), [&answered, &mu, i](Result<void> r) {
        ASSERT_TRUE(r.has_value());
        std::lock_guard lock(mu);
        answered.push_back(i);
      });
      if (i % 500 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ASSERT_EQ(answered.size(), 3000u);
  EXPECT_TRUE(std::is_sorted(answered.begin(), answered.end()));
}

TEST(GroupCommitWriterTest, DestructorCommitsEverythingSubmitted) {
  TempDir tmp;
  auto store = std::move(*Store::Open(tmp.path()));
  std::atomic<int> ok{0};
  {
    GroupCommitWriter writer(*store);
    for (int i = 0; i < 300; ++i) {
      WriteBatch batch;
      batch.Put(ColumnFamily::kJobs, Key(0, i), "job");
      writer.Submit(std::move(batch), [&ok](Result<void> r) {
        if (r) ++ok;
      });
    }
  }
  EXPECT_EQ(ok, 300);
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(store->Get(ColumnFamily::kJobs, Key(0, i))->has_value());
  }
}

TEST(GroupCommitWriterTest, EmptyBatchSucceedsWithoutWriting) {
  TempDir tmp;
  auto store = std::move(*Store::Open(tmp.path()));
  GroupCommitWriter writer(*store);
  EXPECT_THAT(writer.Commit(WriteBatch()), IsOk());
}

}  // namespace
}  // namespace quire::storage
