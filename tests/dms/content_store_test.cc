// The content store on a real store: round trips, ranges, deduplication, a one-byte edit
// of a large file, damage detected on read, and mark-and-sweep reclaiming.
#include "quire/dms/content_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "random_bytes.h"

#include "quire/testing/result_matchers.h"
#include "quire/testing/temp_dir.h"

namespace quire::dms {
namespace {

using ::quire::testing::HasError;
using ::quire::testing::IsOk;
using ::testing::HasSubstr;
using testing::RandomBytes;

class ContentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::Store::Open(dir_.path() / "data");
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
    content_ = std::make_unique<ContentStore>(*store_);
  }

  Ingested Put(std::string_view data) {
    StringSource source(data);
    auto r = content_->Put(source);
    EXPECT_TRUE(r) << r.error().message();
    return r ? std::move(*r) : Ingested{};
  }

  Result<std::string> Read(const Sha256Digest& d, std::uint64_t offset = 0,
                           std::optional<std::uint64_t> length = std::nullopt) {
    StringSink sink;
    QUIRE_RETURN_IF_ERROR(content_->Get(d, sink, offset, length));
    return sink.data;
  }

  quire::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<ContentStore> content_;
};

TEST_F(ContentStoreTest, ReadsBackWhatWasStoredWholeOrInRanges) {
  const std::string data = RandomBytes(5 << 20, 3);
  const Ingested in = Put(data);
  EXPECT_EQ(in.info.size, data.size());
  EXPECT_EQ(in.info.hex(), Sha256Hex(data));
  EXPECT_GT(in.info.chunks, 20u);
  EXPECT_EQ(in.info.new_bytes, data.size());
  EXPECT_EQ(*Read(in.info.digest), data);
  EXPECT_EQ(*Read(in.info.digest, 1'000'000, 300'000), data.substr(1'000'000, 300'000));
  EXPECT_EQ(*Read(in.info.digest, data.size() - 10), data.substr(data.size() - 10));
  EXPECT_EQ(*Read(in.info.digest, 7, 0), "");
  EXPECT_THAT(Read(in.info.digest, data.size() + 1), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(Read(in.info.digest, 10, data.size()), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(Read(Sha256Of("nothing")), HasError(ErrorCode::kNotFound));
  auto found = content_->Find(in.info.digest);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->size, data.size());
  // An empty content is a content too.
  const Ingested empty = Put("");
  EXPECT_EQ(empty.info.hex(), Sha256Hex(""));
  EXPECT_EQ(*Read(empty.info.digest), "");
}

TEST_F(ContentStoreTest, IdenticalContentIsStoredOnce) {
  const std::string data = RandomBytes(3 << 20, 4);
  const Ingested first = Put(data);
  const Ingested again = Put(data);
  EXPECT_EQ(again.info.digest, first.info.digest);
  EXPECT_EQ(again.info.new_bytes, 0u);
  // A content that repeats itself stores its repeat once: only the chunks around the seam
  // are new.
  const std::string twice = data + data;
  EXPECT_LT(Put(twice).info.new_bytes, 2 * ChunkerOptions().max_size);
}

TEST_F(ContentStoreTest, AOneByteInsertInAHundredMegabytesStoresUnderOneMegabyte) {
  std::string data = RandomBytes(100 << 20, 5);
  const Ingested original = Put(data);
  EXPECT_EQ(original.info.new_bytes, data.size());
  data.insert(data.begin() + (50 << 20), '!');
  const Ingested edited = Put(data);
  EXPECT_NE(edited.info.digest, original.info.digest);
  EXPECT_LT(edited.info.new_bytes, 1u << 20);
  EXPECT_EQ(*Read(edited.info.digest, 50 << 20, 3), data.substr(50 << 20, 3));
}

TEST_F(ContentStoreTest, DamageIsAnErrorNamingTheChunkNeverWrongBytes) {
  const std::string data = RandomBytes(2 << 20, 6);
  const Ingested in = Put(data);
  // Damage the third chunk as a bad disk would: same key, other bytes.
  const std::string digest(reinterpret_cast<const char*>(in.info.digest.data()), 32);
  const std::string manifest = **store_->Get(storage::ColumnFamily::kChunks, "m" + digest);
  const std::string third_key = "c" + manifest.substr(12 + 2 * 36, 32);
  std::string bytes = **store_->Get(storage::ColumnFamily::kChunks, third_key);
  bytes[100] ^= 0x20;
  storage::WriteBatch b;
  b.Put(storage::ColumnFamily::kChunks, third_key, bytes);
  ASSERT_THAT(store_->Write(b), IsOk());
  StringSink sink;
  auto r = content_->Get(in.info.digest, sink);
  EXPECT_THAT(r, HasError(ErrorCode::kCorruption, HasSubstr("chunk 3")));
  EXPECT_THAT(r, HasError(ErrorCode::kCorruption, HasSubstr(in.info.hex())));
  // What was handed out before the damage is exactly the content's first two chunks.
  EXPECT_EQ(sink.data, data.substr(0, sink.data.size()));
  EXPECT_LT(sink.data.size(), data.size());
  // Reads that do not touch the damaged chunk still work.
  EXPECT_EQ(*Read(in.info.digest, 0, 10), data.substr(0, 10));
}

TEST_F(ContentStoreTest, SweepReclaimsWhatNothingReferencesAndKeepsTheRest) {
  const std::string a = RandomBytes(2 << 20, 7);
  const std::string b = a.substr(0, 1 << 20) + RandomBytes(1 << 20, 8);  // shares a's start
  Ingested in_a = Put(a);
  Ingested in_b = Put(b);
  in_a.lease.Release();
  in_b.lease.Release();
  auto only_b = [&](const std::function<void(const Sha256Digest&)>& each) -> Result<void> {
    each(in_b.info.digest);
    return Ok();
  };
  auto stats = content_->Sweep(only_b);
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->contents_removed, 1u);
  EXPECT_GT(stats->chunks_removed, 0u);
  EXPECT_LT(stats->bytes_removed, a.size());  // the shared start stays
  EXPECT_EQ(*Read(in_b.info.digest), b);
  EXPECT_THAT(Read(in_a.info.digest), HasError(ErrorCode::kNotFound));
  // Storing a again brings back only what was reclaimed.
  const Ingested back = Put(a);
  EXPECT_EQ(back.info.new_bytes, stats->bytes_removed);
  EXPECT_EQ(*Read(back.info.digest), a);
}

TEST_F(ContentStoreTest, ALeasedContentSurvivesASweepThatDoesNotKnowIt) {
  const std::string data = RandomBytes(1 << 20, 9);
  Ingested in = Put(data);  // lease held: its record is not written yet
  auto nothing = [](const std::function<void(const Sha256Digest&)>&) -> Result<void> {
    return Ok();
  };
  auto stats = content_->Sweep(nothing);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->chunks_removed, 0u);
  EXPECT_EQ(*Read(in.info.digest), data);
  in.lease.Release();
  EXPECT_GT(content_->Sweep(nothing)->chunks_removed, 0u);
  EXPECT_THAT(Read(in.info.digest), HasError(ErrorCode::kNotFound));
}

TEST_F(ContentStoreTest, StoredContentSurvivesAReopen) {
  const std::string data = RandomBytes(3 << 20, 10);
  const Sha256Digest d = Put(data).info.digest;
  content_.reset();
  store_.reset();
  store_ = std::move(*storage::Store::Open(dir_.path() / "data"));
  content_ = std::make_unique<ContentStore>(*store_);
  EXPECT_EQ(*Read(d), data);
}

TEST(DigestTest, ParsesHexAndRefusesTheRest) {
  const Sha256Digest d = Sha256Of("abc");
  EXPECT_EQ(*ParseDigest(DigestHex(d)), d);
  EXPECT_THAT(ParseDigest("abc"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseDigest(std::string(64, 'g')), HasError(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace quire::dms
