// The audit log on a real store: export and offline verification that names the first
// altered, removed, inserted, reordered or truncated entry; signed heads; proofs.
#include "quire/audit/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <sstream>
#include <thread>

#include "quire/testing/result_matchers.h"
#include "quire/testing/temp_dir.h"

namespace quire::audit {
namespace {

using ::quire::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    log_.reset();
    store_.reset();
    store_ = std::move(*storage::Store::Open(dir_.path() / "data"));
    auto log = AuditLog::Open(*store_, dir_.path());
    ASSERT_TRUE(log) << log.error().message();
    log_ = std::move(*log);
  }

  void AppendSome(int n) {
    for (int i = 0; i < n; ++i) {
      auto seq = log_->Append({"anna", "task.claim", "task/" + std::to_string(i),
                               boost::json::object{{"reason", "n" + std::to_string(i)}}},
                              Timestamp(std::chrono::milliseconds(1'790'000'000'000 + i)));
      ASSERT_TRUE(seq) << seq.error().message();
    }
  }

  std::vector<std::string> ExportLines() {
    std::ostringstream out;
    EXPECT_THAT(log_->Export(0, 0, out), IsOk());
    std::vector<std::string> lines;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  static VerifyReport Verify(const std::vector<std::string>& lines,
                             const std::optional<Head>& head = std::nullopt,
                             std::string_view pem = {}) {
    std::string text;
    for (const std::string& l : lines) text += l + "\n";
    std::istringstream in(text);
    return VerifyExport(in, head, pem);
  }

  quire::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, AnUntouchedExportVerifiesAgainstItsSignedHead) {
  AppendSome(50);
  auto head = log_->PublishHead(SystemClock::Instance().Now());
  ASSERT_TRUE(head);
  const auto lines = ExportLines();
  ASSERT_EQ(lines.size(), 50u);
  EXPECT_THAT(lines[0], StartsWith(R"({"seq":1,"time":"2026-09-21T)"));
  const VerifyReport r = Verify(lines, *head, log_->PublicKeyPem());
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.entries, 50u);
  EXPECT_EQ(r.root, head->root);
  // The log and its key survive a restart; appends go on from where they were.
  Open();
  AppendSome(1);
  EXPECT_EQ(log_->size(), 51u);
  EXPECT_TRUE(Verify(ExportLines()).ok);
  // An export that goes on past a head still proves the head: its first entries are the
  // head's, unchanged.
  const VerifyReport against_old = Verify(ExportLines(), *head, log_->PublicKeyPem());
  EXPECT_TRUE(against_old.ok) << against_old.problem;
}

TEST_F(AuditLogTest, EveryKindOfTamperingIsFoundAndPlaced) {
  AppendSome(20);
  const auto head = *log_->PublishHead(SystemClock::Instance().Now());
  const auto lines = ExportLines();
  const std::string pem = log_->PublicKeyPem();
  auto expect = [&](std::vector<std::string> l, const char* what, std::uint64_t line) {
    const VerifyReport r = Verify(l, head, pem);
    EXPECT_FALSE(r.ok) << what;
    EXPECT_THAT(r.problem, HasSubstr(what));
    EXPECT_EQ(r.problem_line, line) << r.problem;
  };
  {  // altered: one character of entry 7's details
    auto l = lines;
    l[6].replace(l[6].find("n6"), 2, "n9");
    expect(l, "altered", 7);
  }
  {  // removed
    auto l = lines;
    l.erase(l.begin() + 9);
    expect(l, "removed: seq 10", 10);
  }
  {  // inserted: a copy of entry 4 again
    auto l = lines;
    l.insert(l.begin() + 4, l[3]);
    expect(l, "inserted", 5);
  }
  {  // inserted with the numbering redone: the chain breaks where it went in
    auto l = lines;
    Entry forged;
    forged.seq = 5;
    forged.actor = "mallory";
    forged.action = "document.deleted";
    forged.object = "document/1";
    forged.prev = kNoEntry;
    l[4] = ExportLine(EntryBytes(forged));
    expect(l, "does not chain", 5);
  }
  {  // reordered
    auto l = lines;
    std::swap(l[11], l[12]);
    expect(l, "reordered: seq 13 comes before seq 12", 12);
  }
  {  // truncated
    auto l = lines;
    l.resize(15);
    const VerifyReport r = Verify(l, head, pem);
    EXPECT_FALSE(r.ok);
    EXPECT_THAT(r.problem, HasSubstr("truncated"));
    EXPECT_THAT(r.problem, HasSubstr("seq 16"));
  }
  {  // a head signed by someone else
    Head forged_head = head;
    forged_head.size = 19;
    const VerifyReport r = Verify(lines, forged_head, pem);
    EXPECT_FALSE(r.ok);
    EXPECT_THAT(r.problem, HasSubstr("signature"));
  }
}

TEST_F(AuditLogTest, ProofsHoldOfflineAndForgedOnesDoNot) {
  AppendSome(30);
  const std::string pem = log_->PublicKeyPem();
  auto proof = log_->ProveInclusion(12);
  ASSERT_TRUE(proof) << proof.error().message();
  EXPECT_EQ(CheckProofJson(proof->ToJson(), pem), "");
  InclusionProofInfo forged = *proof;
  forged.line.replace(forged.line.find("n11"), 3, "n99");
  EXPECT_THAT(CheckProofJson(forged.ToJson(), pem), HasSubstr("does not match its hash"));
  const std::uint64_t first = log_->LatestHead()->value().size;
  AppendSome(10);
  ASSERT_TRUE(log_->PublishHead(SystemClock::Instance().Now()));
  auto consistency = log_->ProveConsistency(first, 40);
  ASSERT_TRUE(consistency) << consistency.error().message();
  EXPECT_EQ(CheckProofJson(consistency->ToJson(), pem), "");
  ConsistencyProofInfo bent = *consistency;
  bent.path[0][3] ^= 1;
  EXPECT_THAT(CheckProofJson(bent.ToJson(), pem), HasSubstr("does not extend"));
  EXPECT_FALSE(log_->ProveConsistency(first, 39));  // no head of 39 was published
}

TEST_F(AuditLogTest, AnEntryIsWrittenInTheSameBatchAsTheChangeItRecords) {
  AppendSome(3);
  storage::WriteBatch batch;
  batch.Put(storage::ColumnFamily::kTasks, "t9", "done");
  std::vector<EntryFields> entries;
  entries.push_back({"ben", "task.completed", "task/9", {}});
  auto seq = log_->Commit(std::move(batch), std::move(entries), SystemClock::Instance().Now());
  ASSERT_TRUE(seq) << seq.error().message();
  EXPECT_EQ(*seq, 4u);
  EXPECT_EQ(log_->size(), 4u);
  EXPECT_EQ(store_->Get(storage::ColumnFamily::kTasks, "t9")->value_or(""), "done");
  EXPECT_TRUE(Verify(ExportLines()).ok);
}

TEST_F(AuditLogTest, ConcurrentSubmissionsLandInSequenceOrder) {
  constexpr int kThreads = 4;
  constexpr int kEach = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::vector<EntryFields> entries;
        entries.push_back({"u" + std::to_string(t), "task.claim", "task/" + std::to_string(i), {}});
        if (i % 3 == 0)
          entries.push_back({"u" + std::to_string(t), "task.completed", "task/1", {}});
        storage::WriteBatch batch;
        batch.Put(storage::ColumnFamily::kTasks, "t" + std::to_string(t * kEach + i), "x");
        if (!log_->Commit(std::move(batch), std::move(entries), SystemClock::Instance().Now())) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  const std::uint64_t expected = kThreads * (kEach + (kEach + 2) / 3);
  EXPECT_EQ(log_->size(), expected);
  const auto lines = ExportLines();
  EXPECT_EQ(lines.size(), expected);
  EXPECT_TRUE(Verify(lines).ok);
  // Reopened, the log continues the same chain.
  log_.reset();
  log_ = std::move(AuditLog::Open(*store_, dir_.path()).value());
  EXPECT_EQ(log_->size(), expected);
  ASSERT_TRUE(log_->Append({"ann", "document.downloaded", "document/1", {}},
                           SystemClock::Instance().Now()));
  EXPECT_TRUE(Verify(ExportLines()).ok);
}

// The trail of a record: the seqs of `record`'s entries, from the record index.
std::vector<std::uint64_t> TrailSeqs(const AuditLog& log, std::string_view record,
                                     std::uint64_t after = 0, std::size_t limit = 1000) {
  auto lines = log.Trail(record, after, limit);
  EXPECT_TRUE(lines) << lines.error().message();
  std::vector<std::uint64_t> seqs;
  for (const std::string& line : lines.value_or(std::vector<std::string>{})) {
    seqs.push_back(boost::json::parse(line).at("seq").to_number<std::uint64_t>());
  }
  return seqs;
}

TEST_F(AuditLogTest, ATrailHoldsTheRecordItsPartsAndTheEntriesNamingIt) {
  const Timestamp now = SystemClock::Instance().Now();
  ASSERT_TRUE(log_->Append({"anna", "document.created", "document/1", {}}, now));         // 1
  ASSERT_TRUE(log_->Append({"anna", "document.created", "document/12", {}}, now));        // 2
  ASSERT_TRUE(log_->Append({"anna", "version.added", "document/1/version/2", {}}, now));  // 3
  ASSERT_TRUE(log_->Append({"ben", "activity.created", "activity/7",                      // 4
                            boost::json::object{{"customer", "customer/1"}, {"note", "a b/c"}}},
                           now));
  ASSERT_TRUE(log_->Append({"ben", "document.linked", "document/1",  // 5
                            boost::json::object{{"to", "customer/1"}}},
                           now));
  ASSERT_TRUE(log_->Append({"ben", "user.signed_in", "session", {}}, now));  // 6
  // document/1 is not a prefix match of document/12, and its version counts as its part.
  EXPECT_THAT(TrailSeqs(*log_, "document/1"), ::testing::ElementsAre(1, 3, 5));
  EXPECT_THAT(TrailSeqs(*log_, "document/12"), ::testing::ElementsAre(2));
  EXPECT_THAT(TrailSeqs(*log_, "document/1/version/2"), ::testing::ElementsAre(3));
  EXPECT_THAT(TrailSeqs(*log_, "customer/1"), ::testing::ElementsAre(4, 5));
  EXPECT_THAT(TrailSeqs(*log_, "activity/7"), ::testing::ElementsAre(4));
  EXPECT_TRUE(TrailSeqs(*log_, "customer/2").empty());
  EXPECT_TRUE(TrailSeqs(*log_, "session").empty());  // no kind/id: not a record
  // Pages: after a seq, at most a limit; the lines are the export's lines.
  EXPECT_THAT(TrailSeqs(*log_, "document/1", 1, 1), ::testing::ElementsAre(3));
  EXPECT_THAT(TrailSeqs(*log_, "document/1", 3, 10), ::testing::ElementsAre(5));
  const auto lines = ExportLines();
  EXPECT_EQ(log_->Trail("document/12", 0, 10).value(), std::vector<std::string>{lines[1]});
}

TEST_F(AuditLogTest, AStoreFromBeforeTheRecordIndexIsIndexedWhenOpened) {
  AppendSome(5);
  ASSERT_TRUE(log_->Append({"ben", "task.completed", "task/3", {}}, SystemClock::Instance().Now()));
  // As an older Quire left it: entries, no index, no mark.
  log_.reset();
  storage::WriteBatch forget;
  forget.DeleteRange(storage::ColumnFamily::kAudit, "o", "p");
  forget.DeleteRange(storage::ColumnFamily::kAudit, "x", "y");
  ASSERT_THAT(store_->Write(forget), IsOk());
  log_ = std::move(AuditLog::Open(*store_, dir_.path()).value());
  EXPECT_TRUE(TrailSeqs(*log_, "task/3") == (std::vector<std::uint64_t>{4, 6}));
  // New entries go on being indexed as they are written.
  ASSERT_TRUE(log_->Append({"ben", "task.claimed", "task/3", {}}, SystemClock::Instance().Now()));
  EXPECT_THAT(TrailSeqs(*log_, "task/3"), ::testing::ElementsAre(4, 6, 7));
  EXPECT_TRUE(Verify(ExportLines()).ok);
}

}  // namespace
}  // namespace quire::audit
