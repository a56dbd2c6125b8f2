#include "quire/storage/store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <random>

#include "quire/storage/counter_sets.h"
#include "quire/storage/key_codec.h"
#include "quire/testing/child_process.h"
#include "quire/testing/result_matchers.h"
#include "quire/testing/temp_dir.h"

namespace quire::storage {
namespace {

using ::quire::testing::HasError;
using ::quire::testing::IsOk;
using ::quire::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Optional;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::unique_ptr<Store> MustOpen(const fs::path& dir) {
  auto store = Store::Open(dir);
  EXPECT_TRUE(store.has_value()) << store.error().ToString();
  return store ? std::move(*store) : nullptr;
}

std::vector<std::string> Keys(Iterator it) {
  std::vector<std::string> keys;
  for (; it.Valid(); it.Next()) keys.emplace_back(it.key());
  EXPECT_THAT(it.status(), IsOk());
  return keys;
}

TEST(StoreTest, CreatesMissingDirectoryAndKeepsDataAcrossReopen) {
  TempDir tmp;
  const fs::path dir = tmp.Sub("a/b/data");
  {
    auto store = MustOpen(dir);
    WriteBatch batch;
    for (int i = 0; i < 100; ++i) {
      batch.Put(ColumnFamily::kInstances, KeyEncoder().U64(i).Take(),
                "instance " + std::to_string(i));
      batch.Put(ColumnFamily::kIndexes, KeyEncoder().String("by-number").U64(i).Take(), "");
    }
    ASSERT_THAT(store->Write(batch), IsOk());
  }
  EXPECT_TRUE(fs::exists(dir / kMarkerFileName));
  auto store = MustOpen(dir);
  EXPECT_THAT(*store->Get(ColumnFamily::kInstances, KeyEncoder().U64(42).Take()),
              Optional(std::string("instance 42")));
  EXPECT_EQ(Keys(store->ScanPrefix(ColumnFamily::kIndexes, KeyEncoder().String("by-number").Take()))
                .size(),
            100u);
}

TEST(StoreTest, ColumnFamiliesAreSeparate) {
  TempDir tmp;
  auto store = MustOpen(tmp.path());
  WriteBatch batch;
  batch.Put(ColumnFamily::kTasks, "k", "task");
  batch.Put(ColumnFamily::kDocuments, "k", "document");
  ASSERT_THAT(store->Write(batch), IsOk());
  EXPECT_THAT(*store->Get(ColumnFamily::kTasks, "k"), Optional(std::string("task")));
  EXPECT_THAT(*store->Get(ColumnFamily::kDocuments, "k"), Optional(std::string("document")));
  EXPECT_EQ(*store->Get(ColumnFamily::kCrm, "k"), std::nullopt);
}

TEST(StoreTest, DeleteAndDeleteRangeAreAtomicWithPuts) {
  TempDir tmp;
  {
    auto store = MustOpen(tmp.path());
    WriteBatch fill;
    for (char c = 'a'; c <= 'f'; ++c) fill.Put(ColumnFamily::kTimers, std::string(1, c), "x");
    ASSERT_THAT(store->Write(fill), IsOk());
    WriteBatch change;
    change.DeleteRange(ColumnFamily::kTimers, "b", "e");  // b, c, d
    change.Delete(ColumnFamily::kTimers, "f");
    change.Put(ColumnFamily::kTimers, "g", "new");
    ASSERT_THAT(store->Write(change, Durability::kNoSync), IsOk());
  }
  auto store = MustOpen(tmp.path());
  EXPECT_EQ(Keys(store->ScanPrefix(ColumnFamily::kTimers, "")),
            (std::vector<std::string>{"a", "e", "g"}));
}

// RocksDB 7.8 (Debian 12) shares the memtable's per-prefix insert hints between point keys
// and range tombstones (facebook/rocksdb#5118): a range deletion with 2-byte bounds aborts a
// debug build and loses keys in a release one. Store::Write refuses it, writing nothing.
TEST(StoreTest, RangeDeletionsWithLongerBoundsAreRefusedWithNothingWritten) {
  TempDir tmp;
  auto store = MustOpen(tmp.path());
  WriteBatch fill;
  for (const char* k : {"Qa1", "Qa2", "Qb1"}) fill.Put(ColumnFamily::kCrm, k, "x");
  ASSERT_THAT(store->Write(fill), IsOk());
  WriteBatch change;
  change.Put(ColumnFamily::kCrm, "Qc1", "y");
  change.DeleteRange(ColumnFamily::kCrm, "Qa", "Qb");
  auto written = store->Write(change);
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Keys(store->ScanPrefix(ColumnFamily::kCrm, "Q")),
            (std::vector<std::string>{"Qa1", "Qa2", "Qb1"}));
}

TEST(StoreTest, BitmapsAreChangedABitAtATimeAndSurviveReopeningAndCompaction) {
  TempDir tmp;
  {
    auto store = MustOpen(tmp.path());
    WriteBatch set;
    for (std::uint32_t bit : {0u, 9u, 65535u, 3u}) set.SetBit(ColumnFamily::kCrm, "bm", bit, true);
    set.SetBit(ColumnFamily::kCrm, "bm", 3, false);  // later in the same batch: wins
    ASSERT_THAT(store->Write(set), IsOk());
    WriteBatch more;
    more.SetBit(ColumnFamily::kCrm, "bm", 1, true);
    more.SetBit(ColumnFamily::kCrm, "bm", 65535, false);
    ASSERT_THAT(store->Write(more), IsOk());
    WriteBatch elsewhere;
    elsewhere.SetBit(ColumnFamily::kTimers, "bm", 1, true);
    EXPECT_FALSE(store->Write(elsewhere).has_value());
  }
  auto store = MustOpen(tmp.path());
  for (int round = 0; round < 2; ++round) {
    auto got = store->Get(ColumnFamily::kCrm, "bm");
    ASSERT_TRUE(got.has_value() && got->has_value());
    const std::string& bits = **got;
    ASSERT_EQ(bits.size(), 8192u);  // up to the byte of bit 65535, which was set once
    EXPECT_EQ(static_cast<unsigned char>(bits[0]), 0b0000'0011);  // bits 0 and 1
    EXPECT_EQ(static_cast<unsigned char>(bits[1]), 0b0000'0010);  // bit 9
    EXPECT_EQ(bits[8191], '\0');
    ASSERT_THAT(store->Purge(ColumnFamily::kCrm), IsOk());  // merged into one value
  }
}

// Runs of merge operands are folded when a flush or a compaction meets them without the
// key's value (PartialMergeMulti): bit operations into a patch, counters and counter sets
// into one sum. Property: whatever the flushes between them, random operations read back
// as a model that applied them one by one says, before and after a full compaction.
TEST(StoreTest, FoldedMergeOperandsReadBackAsTheOperationsOneByOne) {
  TempDir tmp;
  auto store = MustOpen(tmp.path());
  std::mt19937 rng(20261208);
  const std::vector<std::string> bitmaps{"Qb-a", "Qb-b"};
  std::map<std::string, std::vector<bool>> bits;                    // key → bit → set
  std::map<std::string, std::int64_t> counters;                     // "Qc-..." → sum
  std::map<std::string, std::map<std::string, std::int64_t>> sets;  // key → name → sum
  auto expect_all = [&](const std::string& when) {
    for (const std::string& key : bitmaps) {
      auto got = store->Get(ColumnFamily::kCrm, key);
      ASSERT_TRUE(got.has_value()) << when;
      const std::vector<bool>& want = bits[key];
      const std::string value = got->value_or("");
      // As long as the highest byte any operation touched.
      ASSERT_EQ(value.size(), (want.size() + 7) / 8) << key << " " << when;
      for (std::size_t i = 0; i < want.size(); ++i) {
        const bool is = (static_cast<unsigned char>(value[i / 8]) >> (i % 8) & 1) != 0;
        ASSERT_EQ(is, want[i]) << key << " bit " << i << " " << when;
      }
    }
    for (const auto& [key, sum] : counters) {
      auto got = store->Get(ColumnFamily::kCrm, key);
      ASSERT_TRUE(got.has_value() && got->has_value()) << when;
      std::uint64_t u = 0;
      for (char c : **got) u = u << 8 | static_cast<unsigned char>(c);
      EXPECT_EQ(static_cast<std::int64_t>(u), sum) << key << " " << when;
    }
    for (const auto& [key, want] : sets) {
      auto got = store->Get(ColumnFamily::kCrm, key);
      ASSERT_TRUE(got.has_value()) << when;
      std::map<std::string, std::int64_t> read;
      if (got->has_value()) {
        ASSERT_TRUE(ForEachCounter(**got, [&](std::string_view n, std::int64_t v) {
          read[std::string(n)] = v;
        })) << key;
      }
      std::map<std::string, std::int64_t> nonzero = want;
      std::erase_if(nonzero, [](const auto& kv) { return kv.second == 0; });
      EXPECT_EQ(read, nonzero) << key << " " << when;
    }
  };
  for (int round = 0; round < 40; ++round) {
    WriteBatch batch;
    const int ops = std::uniform_int_distribution<int>(1, 30)(rng);
    for (int i = 0; i < ops; ++i) {
      const int what = std::uniform_int_distribution<int>(0, 9)(rng);
      if (what < 6) {
        const std::string& key = bitmaps[rng() % bitmaps.size()];
        const std::uint32_t bit = std::uniform_int_distribution<std::uint32_t>(0, 300)(rng);
        const bool on = rng() % 3 != 0;
        batch.SetBit(ColumnFamily::kCrm, key, bit, on);
        auto& b = bits[key];
        // The bitmap grows to the byte of the bit, whether set or cleared.
        if (b.size() < (bit / 8 + 1) * 8) b.resize((bit / 8 + 1) * 8, false);
        b[bit] = on;
      } else if (what < 8) {
        const std::string key = "Qc-" + std::to_string(rng() % 3);
        const std::int64_t delta = std::uniform_int_distribution<std::int64_t>(-50, 50)(rng);
        batch.AddToCounter(ColumnFamily::kCrm, key, delta);
        counters[key] += delta;
      } else {
        const std::string key = "Qs-" + std::to_string(rng() % 3);
        const std::string name = std::string(1, static_cast<char>('a' + rng() % 4));
        const std::int64_t delta = std::uniform_int_distribution<std::int64_t>(-3, 3)(rng);
        batch.AddToCounterSet(ColumnFamily::kCrm, key, {{name, delta}});
        sets[key][name] += delta;
      }
    }
    ASSERT_THAT(store->Write(batch), IsOk());
    // Flushes at random: each flush meets a run of operands without the key's value.
    if (rng() % 3 == 0) {
      ASSERT_THAT(store->Flush(ColumnFamily::kCrm), IsOk());
    }
    if (round % 10 == 9) expect_all("after round " + std::to_string(round));
  }
  ASSERT_THAT(store->Flush(ColumnFamily::kCrm), IsOk());
  expect_all("flushed");
  ASSERT_THAT(store->Purge(ColumnFamily::kCrm), IsOk());  // one sorted run: full merges
  expect_all("compacted");
}

TEST(StoreTest, CountersAddUpWithoutReadsAndSurviveReopeningAndCompaction) {
  TempDir tmp;
  auto value = [](const std::string& bytes) {
    std::uint64_t u = 0;
    for (char c : bytes) u = u << 8 | static_cast<unsigned char>(c);
    return static_cast<std::int64_t>(u);
  };
  {
    auto store = MustOpen(tmp.path());
    WriteBatch one;
    one.AddToCounter(ColumnFamily::kCrm, "Qz-count", 5);
    one.AddToCounter(ColumnFamily::kCrm, "Qz-count", -7);  // below zero: two's complement
    one.AddToCounter(ColumnFamily::kCrm, "Qz-sum", 1'000'000'000'000);
    ASSERT_THAT(store->Write(one), IsOk());
    WriteBatch two;
    two.AddToCounter(ColumnFamily::kCrm, "Qz-count", 3);
    ASSERT_THAT(store->Write(two), IsOk());
  }
  auto store = MustOpen(tmp.path());
  for (int round = 0; round < 2; ++round) {
    auto count = store->Get(ColumnFamily::kCrm, "Qz-count");
    ASSERT_TRUE(count.has_value() && count->has_value());
    EXPECT_EQ((*count)->size(), 8u);
    EXPECT_EQ(value(**count), 1);
    EXPECT_EQ(value(**store->Get(ColumnFamily::kCrm, "Qz-sum")), 1'000'000'000'000);
    ASSERT_THAT(store->Purge(ColumnFamily::kCrm), IsOk());  // merged into one value
  }
}

TEST(StoreTest, CounterSetsSumEachNameAndDropZeros) {
  TempDir tmp;
  const std::string prefix = "Kt";
  {
    auto store = MustOpen(tmp.path());
    WriteBatch one;
    // anna: months 10, 11, 12; ben: month 11; "ann" sorts before "anna" and must not merge.
    one.AddToCounterSet(ColumnFamily::kHistory, CounterSetKey(prefix, "anna", 10),
                        {{"done", 2}, {"ms", 500}});
    one.AddToCounterSet(ColumnFamily::kHistory, CounterSetKey(prefix, "anna", 11), {{"done", 1}});
    one.AddToCounterSet(ColumnFamily::kHistory, CounterSetKey(prefix, "anna", 12), {{"done", 4}});
    one.AddToCounterSet(ColumnFamily::kHistory, CounterSetKey(prefix, "ben", 11), {{"late", 1}});
    one.AddToCounterSet(ColumnFamily::kHistory, CounterSetKey(prefix, "ann", 11), {{"done", 9}});
    ASSERT_THAT(store->Write(one), IsOk());
    WriteBatch two;  // a record changed: one counter back to 0, another below 0
    two.AddToCounterSet(ColumnFamily::kHistory, CounterSetKey(prefix, "anna", 10),
                        {{"ms", -500}, {"done", -3}});
    two.AddToCounterSet(ColumnFamily::kHistory, CounterSetKey(prefix, "ben", 11), {{"late", -1}});
    ASSERT_THAT(store->Write(two), IsOk());
  }
  auto store = MustOpen(tmp.path());
  for (int round = 0; round < 2; ++round) {
    auto all = SumCounterSets(*store, ColumnFamily::kHistory, prefix, 10, 11);
    ASSERT_TRUE(all.has_value()) << all.error().message();
    // ben's only counter came back to 0: he is absent; anna's ms is gone, done is -1 + 1.
    EXPECT_EQ(all->size(), 2u);
    EXPECT_EQ(all->at("anna").size(), 1u);
    EXPECT_EQ(all->at("anna").at("done"), 0);
    EXPECT_EQ(all->at("ann").at("done"), 9);
    auto dec = SumCounterSets(*store, ColumnFamily::kHistory, prefix, 12, 12);
    ASSERT_TRUE(dec.has_value());
    EXPECT_EQ(dec->size(), 1u);
    EXPECT_EQ(dec->at("anna").at("done"), 4);
    const std::vector<std::string> only{"anna", "nobody"};
    auto some = SumCounterSets(*store, ColumnFamily::kHistory, prefix, 0, 100, &only);
    ASSERT_TRUE(some.has_value());
    EXPECT_EQ(some->size(), 1u);
    EXPECT_EQ(some->at("anna").at("done"), 4);
    auto long_range = SumCounterSets(*store, ColumnFamily::kHistory, prefix, 0, 1'000'000, &only);
    ASSERT_TRUE(long_range.has_value());  // read as a range, filtered: the same answer
    EXPECT_EQ(*long_range, *some);
    ASSERT_THAT(store->Purge(ColumnFamily::kHistory), IsOk());  // merged into one value each
  }
  // A damaged set is an error, never a wrong number.
  WriteBatch bad;
  bad.Put(ColumnFamily::kHistory, CounterSetKey(prefix, "cleo", 1),
          std::string("%\x00\x09"
                      "ab",
                      5));
  ASSERT_THAT(store->Write(bad), IsOk());
  EXPECT_FALSE(SumCounterSets(*store, ColumnFamily::kHistory, prefix, 0, 5).has_value());
}

TEST(StoreTest, SnapshotSeesTheStoreAsItWas) {
  TempDir tmp;
  auto store = MustOpen(tmp.path());
  WriteBatch first;
  first.Put(ColumnFamily::kJobs, "job/1", "queued");
  ASSERT_THAT(store->Write(first), IsOk());
  const Snapshot before = store->GetSnapshot();

  WriteBatch second;
  second.Put(ColumnFamily::kJobs, "job/1", "done");
  second.Put(ColumnFamily::kJobs, "job/2", "queued");
  ASSERT_THAT(store->Write(second), IsOk());

  EXPECT_THAT(*store->Get(ColumnFamily::kJobs, "job/1", &before), Optional(std::string("queued")));
  EXPECT_THAT(*store->Get(ColumnFamily::kJobs, "job/1"), Optional(std::string("done")));
  EXPECT_EQ(Keys(store->ScanPrefix(ColumnFamily::kJobs, "job/", &before)),
            (std::vector<std::string>{"job/1"}));
  EXPECT_EQ(Keys(store->ScanPrefix(ColumnFamily::kJobs, "job/")),
            (std::vector<std::string>{"job/1", "job/2"}));
}

TEST(StoreTest, ScansRespectBoundsInBothDirections) {
  TempDir tmp;
  auto store = MustOpen(tmp.path());
  WriteBatch batch;
  for (const char* k : {"a", "b/1", "b/2", "b/3", "c"}) batch.Put(ColumnFamily::kHistory, k, k);
  ASSERT_THAT(store->Write(batch), IsOk());
  ASSERT_THAT(store->Flush(), IsOk());  // read from SST files as well as the memtable

  EXPECT_EQ(Keys(store->ScanPrefix(ColumnFamily::kHistory, "b/")),
            (std::vector<std::string>{"b/1", "b/2", "b/3"}));
  EXPECT_EQ(Keys(store->Scan(ColumnFamily::kHistory, "b/2", "c")),
            (std::vector<std::string>{"b/2", "b/3"}));
  EXPECT_EQ(Keys(store->Scan(ColumnFamily::kHistory, "b", "")),
            (std::vector<std::string>{"b/1", "b/2", "b/3", "c"}));

  Iterator it = store->ScanPrefix(ColumnFamily::kHistory, "b/");
  it.SeekToLast();
  std::vector<std::string> backwards;
  for (; it.Valid(); it.Prev()) backwards.emplace_back(it.key());
  EXPECT_EQ(backwards, (std::vector<std::string>{"b/3", "b/2", "b/1"}));

  it.Seek("a");  // before the range: clamps to its start
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), "b/1");
  it.Seek("b/2");
  EXPECT_EQ(it.value(), "b/2");
  it.SeekForPrev("zzz");  // after the range: clamps to its end
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), "b/3");
}

TEST(StoreTest, MissingStoreIsNotFoundWhenCreationIsOff) {
  TempDir tmp;
  StoreOptions options;
  options.create_if_missing = false;
  EXPECT_THAT(Store::Open(tmp.Sub("nothing"), options),
              HasError(ErrorCode::kNotFound, HasSubstr("does not exist")));
  EXPECT_FALSE(fs::exists(tmp.Sub("nothing")));
  EXPECT_THAT(Store::Open(tmp.path(), options), HasError(ErrorCode::kNotFound, HasSubstr("empty")));
}

TEST(StoreTest, RefusesAFile) {
  TempDir tmp;
  std::ofstream(tmp.Sub("file")) << "hello";
  EXPECT_THAT(Store::Open(tmp.Sub("file")),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("not a directory")));
}

TEST(StoreTest, NeverCreatesAStoreOverOtherFiles) {
  TempDir tmp;
  std::ofstream(tmp.Sub("notes.txt")) << "precious";
  EXPECT_THAT(Store::Open(tmp.path()), HasError(ErrorCode::kInvalidArgument,
                                                HasSubstr("is not empty (it holds notes.txt)")));
  EXPECT_FALSE(fs::exists(tmp.Sub("CURRENT")));
  EXPECT_FALSE(fs::exists(tmp.Sub(std::string(kMarkerFileName))));
}

TEST(StoreTest, RefusesARocksDbThatQuireDidNotCreate) {
  TempDir tmp;
  { MustOpen(tmp.path()); }
  fs::remove(tmp.Sub(std::string(kMarkerFileName)));
  EXPECT_THAT(Store::Open(tmp.path()),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("Quire did not create")));
}

TEST(StoreTest, RefusesAStoreFromANewerFormat) {
  TempDir tmp;
  { MustOpen(tmp.path()); }
  std::ofstream(tmp.Sub(std::string(kMarkerFileName)), std::ios::trunc)
      << "quire-store-format " << kStoreFormatVersion + 1 << "\n";
  EXPECT_THAT(Store::Open(tmp.path()),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("written by a newer Quire")));
}

TEST(StoreTest, AFormatOneStoreOpensAndIsMarkedFormatTwo) {
  TempDir tmp;
  {
    auto store = MustOpen(tmp.path());
    WriteBatch w;
    w.Put(ColumnFamily::kCrm, "k", "v");
    ASSERT_THAT(store->Write(w), IsOk());
  }
  std::ofstream(tmp.Sub(std::string(kMarkerFileName)), std::ios::trunc) << "quire-store-format 1\n";
  {
    auto store = MustOpen(tmp.path());
    auto got = store->Get(ColumnFamily::kCrm, "k");
    ASSERT_TRUE(got.has_value() && got->has_value());
    EXPECT_EQ(**got, "v");
  }
  std::ifstream in(tmp.Sub(std::string(kMarkerFileName)));
  std::string word;
  std::uint32_t version = 0;
  in >> word >> version;
  EXPECT_EQ(version, 2u);  // a format-1 build now refuses it rather than misread a patch
  EXPECT_FALSE(fs::exists(tmp.Sub(std::string(kMarkerFileName) + ".new")));
}

TEST(StoreTest, RefusesUnknownColumnFamilies) {
  TempDir tmp;
  { MustOpen(tmp.path()); }
  {
    rocksdb::DB* raw = nullptr;
    std::vector<rocksdb::ColumnFamilyDescriptor> all;
    for (const ColumnFamilyInfo& info : kColumnFamilies)
      all.emplace_back(std::string(info.name), rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(), tmp.path().string(), all, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::ColumnFamilyHandle* extra = nullptr;
    ASSERT_TRUE(
        db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "from-the-future", &extra).ok());
    handles.push_back(extra);
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  }
  EXPECT_THAT(Store::Open(tmp.path()),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("from-the-future")));
}

TEST(StoreTest, DamagedStoreIsCorruptionAndIsLeftAsItWas) {
  TempDir tmp;
  {
    auto store = MustOpen(tmp.path());
    WriteBatch batch;
    batch.Put(ColumnFamily::kAudit, "entry", "value");
    ASSERT_THAT(store->Write(batch), IsOk());
  }
  std::ofstream(tmp.Sub("CURRENT"), std::ios::trunc) << "garbage";  // no newline, no manifest
  EXPECT_THAT(Store::Open(tmp.path()), HasError(ErrorCode::kCorruption, HasSubstr("backup")));
  std::ifstream current(tmp.Sub("CURRENT"));
  std::string content((std::istreambuf_iterator<char>(current)), {});
  EXPECT_EQ(content, "garbage");
}

TEST(StoreTest, MissingManifestIsCorruption) {
  TempDir tmp;
  { MustOpen(tmp.path()); }
  for (const auto& entry : fs::directory_iterator(tmp.path())) {
    if (entry.path().filename().string().starts_with("MANIFEST-")) fs::remove(entry.path());
  }
  EXPECT_THAT(Store::Open(tmp.path()), HasError(ErrorCode::kCorruption));
}

TEST(StoreTest, LostCurrentFileIsCorruptionNotANewStore) {
  TempDir tmp;
  {
    auto store = MustOpen(tmp.path());
    WriteBatch batch;
    batch.Put(ColumnFamily::kAudit, "entry", "value");
    ASSERT_THAT(store->Write(batch), IsOk());
  }
  fs::remove(tmp.Sub("CURRENT"));
  EXPECT_THAT(Store::Open(tmp.path()), HasError(ErrorCode::kCorruption, HasSubstr("CURRENT")));
  EXPECT_FALSE(fs::exists(tmp.Sub("CURRENT")));
}

TEST(StoreTest, SecondOpenInTheSameProcessIsUnavailable) {
  TempDir tmp;
  auto first = MustOpen(tmp.path());
  EXPECT_THAT(Store::Open(tmp.path()),
              HasError(ErrorCode::kUnavailable, HasSubstr("already open in this process")));
  // The failed attempt must not have disturbed the first: it still writes.
  WriteBatch batch;
  batch.Put(ColumnFamily::kMeta, "k", "v");
  EXPECT_THAT(first->Write(batch), IsOk());
}

TEST(StoreTest, StoreHeldByAnotherProcessIsUnavailableAndNamesIt) {
  TempDir tmp;
  { MustOpen(tmp.path()); }
  auto holder =
      quire::testing::ChildProcess::Spawn(QUIRE_CRASH_HELPER, {"hold", tmp.path().string()});
  ASSERT_TRUE(holder.has_value());
  ASSERT_EQ(holder->ReadLine(30s), std::optional<std::string>("ready")) << holder->ReadAllStderr();
  EXPECT_THAT(Store::Open(tmp.path()),
              HasError(ErrorCode::kUnavailable,
                       HasSubstr("in use by process " + std::to_string(holder->pid()))));
  holder->Signal(SIGKILL);
  ASSERT_TRUE(holder->Wait(10s).has_value());
  EXPECT_TRUE(Store::Open(tmp.path()).has_value()) << "the lock dies with its process";
}

}  // namespace
}  // namespace quire::storage
