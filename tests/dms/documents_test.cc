// Documents on a real store: types and metadata validation, versions and restore, metadata
// versions, check-out rules, links, retention and legal hold, deletion with a tombstone and
// reclaimed content, damage reported with the document and version — and the audit chain
// holding an entry for every read and write.
#include "quire/dms/documents.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "quire/dms/media_type.h"
#include "quire/storage/key_codec.h"
#include "quire/testing/result_matchers.h"
#include "quire/testing/temp_dir.h"
#include "random_bytes.h"

namespace quire::dms {
namespace {

namespace json = boost::json;
using ::quire::testing::HasError;
using ::quire::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const Timestamp kStart = Timestamp(std::chrono::days(20'000));  // 2024-10-04

DocumentType TypeOf(std::string_view text) {
  auto t = ParseDocumentType(json::parse(text));
  EXPECT_TRUE(t) << t.error().message();
  return *t;
}

class DocumentsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    docs_.reset();
    contents_.reset();
    audit_.reset();
    store_.reset();
    store_ = std::move(*storage::Store::Open(dir_.path() / "data"));
    audit_ = std::move(*audit::AuditLog::Open(*store_, dir_.path()));
    contents_ = std::make_unique<ContentStore>(*store_);
    DocumentStoreOptions options;
    options.lock_ttl = std::chrono::hours(8);
    docs_ = std::make_unique<DocumentStore>(*store_, *contents_, *audit_, clock_, options);
  }

  void DeclareTypes() {
    ASSERT_THAT(docs_->PutType(TypeOf(R"({"id":"contract","name":"Contract","fields":[
        {"name":"customer","type":"reference","ref":"customer","required":true},
        {"name":"value","type":"number","min":0},
        {"name":"signed","type":"date"},
        {"name":"status","type":"enum","values":["draft","signed","void"]}],
      "retention":{"keep":"P10Y","from":"signed"}})"),
                               "admin"),
                IsOk());
    ASSERT_THAT(docs_->PutType(TypeOf(R"({"id":"note","fields":[]})"), "admin"), IsOk());
    ASSERT_THAT(docs_->PutType(TypeOf(R"({"id":"memo","retention":{"keep":"P30D"}})"), "admin"),
                IsOk());
  }

  Result<DocumentInfo> Create(std::string_view content, std::string type = "note",
                              json::object metadata = {}, std::string actor = "anna") {
    StringSource source(content);
    NewDocument d;
    d.title = "Offer for ACME";
    d.type = std::move(type);
    d.metadata = std::move(metadata);
    d.actor = std::move(actor);
    return docs_->Create(d, source);
  }

  Result<std::string> ReadAll(DocumentId id, std::optional<std::uint32_t> v = std::nullopt,
                              const std::string& actor = "anna") {
    StringSink sink;
    QUIRE_RETURN_IF_ERROR(docs_->Read(id, v, actor, sink));
    return sink.data;
  }

  std::vector<std::string> AuditActions() {
    std::ostringstream out;
    EXPECT_THAT(audit_->Export(0, 0, out), IsOk());
    std::vector<std::string> actions;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) {
      actions.emplace_back(json::parse(line).as_object().at("action").as_string());
    }
    return actions;
  }

  quire::testing::TempDir dir_;
  ManualClock clock_{kStart};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<ContentStore> contents_;
  std::unique_ptr<DocumentStore> docs_;
};

TEST(MediaTypeTest, ComesFromTheFirstBytes) {
  EXPECT_EQ(DetectMediaType("%PDF-1.7\n..."), "application/pdf");
  EXPECT_EQ(DetectMediaType("\x89PNG\r\n\x1A\nrest"), "image/png");
  EXPECT_EQ(DetectMediaType("\xFF\xD8\xFF\xE0"), "image/jpeg");
  EXPECT_EQ(DetectMediaType("PK\x03\x04....word/document.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  EXPECT_EQ(DetectMediaType("  <!DOCTYPE html><html>"), "text/html");
  EXPECT_EQ(DetectMediaType("<?xml version=\"1.0\"?><a/>"), "application/xml");
  EXPECT_EQ(DetectMediaType("Grüße aus Köln\n"), "text/plain");
  EXPECT_EQ(DetectMediaType(std::string("ab\0cd", 5)), "application/octet-stream");
  EXPECT_EQ(DetectMediaType(""), "application/octet-stream");
}

TEST(DocumentTypeTest, DeclarationErrorsNameTheProperty) {
  auto t = ParseDocumentType(json::parse(R"({"id":"9bad","fields":[
      {"name":"a","type":"colour"},{"name":"b","type":"enum"},{"name":"a","type":"string"}],
      "retention":{"keep":"ten years","from":"nope"},"extra":1})"));
  ASSERT_FALSE(t);
  std::vector<std::string> fields;
  for (const ErrorDetail& d : t.error().details()) fields.push_back(d.field);
  EXPECT_THAT(fields,
              ::testing::UnorderedElementsAre("extra", "id", "fields[0].type", "fields[1].values",
                                              "fields[2].name", "retention.keep"));
}

TEST_F(DocumentsTest, MetadataIsCheckedAgainstTheTypeWithAnErrorPerField) {
  DeclareTypes();
  auto bad =
      Create("x", "contract",
             {{"value", "lots"}, {"signed", "2026-02-30"}, {"status", "maybe"}, {"colour", "red"}});
  ASSERT_THAT(bad, HasError(ErrorCode::kValidationFailed));
  std::map<std::string, std::string> by_field;
  for (const ErrorDetail& d : bad.error().details()) by_field[d.field] = d.message;
  EXPECT_THAT(by_field["metadata.value"], HasSubstr("must be a number"));
  EXPECT_THAT(by_field["metadata.signed"], HasSubstr("not a calendar date"));
  EXPECT_THAT(by_field["metadata.status"], HasSubstr("one of: draft, signed, void"));
  EXPECT_THAT(by_field["metadata.colour"], HasSubstr("not a field of document type 'contract'"));
  EXPECT_THAT(by_field["metadata.customer"], HasSubstr("required"));
  EXPECT_THAT(Create("x", "invoice"), HasError(ErrorCode::kValidationFailed));
  StringSource empty("x");
  NewDocument untitled;
  untitled.type = "note";
  untitled.actor = "anna";
  EXPECT_THAT(docs_->Create(untitled, empty), HasError(ErrorCode::kValidationFailed));
  auto ok = Create("%PDF-1.4 contract", "contract",
                   {{"customer", "c-42"}, {"value", "1200.50"}, {"status", "draft"}});
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->metadata.at("value").as_double(), 1200.5);
  EXPECT_EQ(ok->latest->media_type, "application/pdf");
  // Updates are checked too, and nothing changes when they fail.
  EXPECT_THAT(docs_->UpdateMetadata(ok->id, std::nullopt, json::object{{"value", -1}}, "anna"),
              HasError(ErrorCode::kValidationFailed));
  EXPECT_EQ(docs_->Get(ok->id)->metadata_versions, 1u);
}

TEST_F(DocumentsTest, VersionsAreImmutableAndAnOldOneCanBeRestored) {
  DeclareTypes();
  auto d = Create("first text");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id, 1u);
  EXPECT_EQ(d->latest->media_type, "text/plain");
  StringSource second("%PDF-1.5 second");
  clock_.Advance(std::chrono::minutes(5));
  ASSERT_TRUE(docs_->AddVersion(d->id, second, "ben", "scanned"));
  auto restored = docs_->Restore(d->id, 1, "anna", "");
  ASSERT_TRUE(restored) << restored.error().message();
  EXPECT_EQ(restored->versions, 3u);
  auto versions = docs_->Versions(d->id);
  ASSERT_TRUE(versions);
  ASSERT_EQ(versions->size(), 3u);
  EXPECT_EQ((*versions)[1].author, "ben");
  EXPECT_EQ((*versions)[1].media_type, "application/pdf");
  EXPECT_EQ((*versions)[2].restored_from, 1u);
  EXPECT_EQ((*versions)[2].content, (*versions)[0].content);
  EXPECT_EQ(*ReadAll(d->id), "first text");
  EXPECT_EQ(*ReadAll(d->id, 2), "%PDF-1.5 second");
  EXPECT_THAT(ReadAll(d->id, 4), HasError(ErrorCode::kNotFound));
  // Metadata versions.
  ASSERT_TRUE(docs_->UpdateMetadata(d->id, "Offer for ACME, v2", std::nullopt, "ben"));
  auto meta = docs_->MetadataVersions(d->id);
  ASSERT_TRUE(meta);
  ASSERT_EQ(meta->size(), 2u);
  EXPECT_EQ((*meta)[0].title, "Offer for ACME");
  EXPECT_EQ((*meta)[1].title, "Offer for ACME, v2");
  EXPECT_EQ((*meta)[1].author, "ben");
  // All of it survives a restart, and every read and write is in the audit chain.
  Open();
  EXPECT_EQ(docs_->Get(d->id)->versions, 3u);
  EXPECT_EQ(*ReadAll(d->id, 2), "%PDF-1.5 second");
  EXPECT_THAT(AuditActions(),
              ElementsAre("document-type.saved", "document-type.saved", "document-type.saved",
                          "document.created", "document.versioned", "document.restored",
                          "document.downloaded", "document.downloaded", "document.metadata-changed",
                          "document.downloaded"));
}

TEST_F(DocumentsTest, CheckOutLocksTheDocumentForOneUser) {
  DeclareTypes();
  auto d = Create("v1");
  ASSERT_TRUE(d);
  ASSERT_TRUE(docs_->CheckOut(d->id, "anna"));
  StringSource other("ben's edit");
  auto refused = docs_->AddVersion(d->id, other, "ben", "");
  ASSERT_THAT(refused, HasError(ErrorCode::kConflict));
  EXPECT_THAT(refused.error().message(), HasSubstr("checked out by anna since 2024-10-04T00:00"));
  EXPECT_THAT(docs_->CheckOut(d->id, "ben"), HasError(ErrorCode::kConflict));
  EXPECT_THAT(docs_->UpdateMetadata(d->id, "x", std::nullopt, "ben"),
              HasError(ErrorCode::kConflict));
  EXPECT_THAT(docs_->CancelCheckOut(d->id, "ben"), HasError(ErrorCode::kConflict));
  StringSource theirs("ben's check-in");
  EXPECT_THAT(docs_->CheckIn(d->id, theirs, "ben", ""), HasError(ErrorCode::kConflict));
  EXPECT_EQ(docs_->Get(d->id)->versions, 1u);  // nothing of the refusals was stored
  StringSource mine("anna's v2");
  auto in = docs_->CheckIn(d->id, mine, "anna", "reviewed");
  ASSERT_TRUE(in) << in.error().message();
  EXPECT_EQ(in->versions, 2u);
  EXPECT_FALSE(in->lock);
  StringSource again("v3");
  EXPECT_THAT(docs_->CheckIn(d->id, again, "anna", ""), HasError(ErrorCode::kConflict));
  // Cancel releases without a version.
  ASSERT_TRUE(docs_->CheckOut(d->id, "anna"));
  ASSERT_TRUE(docs_->CancelCheckOut(d->id, "anna"));
  ASSERT_TRUE(docs_->CheckOut(d->id, "ben"));
  // A lock expires.
  clock_.Advance(std::chrono::hours(9));
  auto after = docs_->CheckOut(d->id, "anna");
  ASSERT_TRUE(after) << after.error().message();
  // Breaking it (who may is the route's permission, documents.hold) is recorded.
  ASSERT_TRUE(docs_->BreakLock(d->id, "root", "anna is on leave"));
  EXPECT_FALSE(docs_->Get(d->id)->Locked(clock_.Now()));
  EXPECT_THAT(docs_->BreakLock(d->id, "root", "again"), HasError(ErrorCode::kConflict));
  const auto actions = AuditActions();
  EXPECT_NE(std::find(actions.begin(), actions.end(), "document.lock-broken"), actions.end());
}

TEST_F(DocumentsTest, LinksFindDocuments) {
  DeclareTypes();
  auto a = Create("a", "contract", {{"customer", "c-1"}});
  auto b = Create("b");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(docs_->AddLink(a->id, {"customer", "c-1"}, "anna"));
  ASSERT_TRUE(docs_->AddLink(b->id, {"customer", "c-1"}, "anna"));
  ASSERT_TRUE(docs_->AddLink(b->id, {"instance", "17"}, "anna"));
  EXPECT_THAT(docs_->AddLink(b->id, {"Bad Kind", "1"}, "anna"),
              HasError(ErrorCode::kInvalidArgument));
  auto page = docs_->Linked({"customer", "c-1"}, 1);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->documents.size(), 1u);
  EXPECT_EQ(page->documents[0].id, a->id);
  auto rest = docs_->Linked({"customer", "c-1"}, 1, page->next);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->documents.size(), 1u);
  EXPECT_EQ(rest->documents[0].id, b->id);
  EXPECT_TRUE(rest->next.empty());
  EXPECT_TRUE(*docs_->AnyLinked({{"instance", "17"}}, "note"));
  EXPECT_FALSE(*docs_->AnyLinked({{"instance", "17"}}, "contract"));
  ASSERT_TRUE(docs_->RemoveLink(b->id, {"instance", "17"}, "anna"));
  EXPECT_FALSE(*docs_->AnyLinked({{"instance", "17"}}, "note"));
  EXPECT_THAT(docs_->RemoveLink(b->id, {"instance", "17"}, "anna"), HasError(ErrorCode::kNotFound));
  EXPECT_EQ(docs_->OfType("contract")->documents.size(), 1u);
}

TEST_F(DocumentsTest, RetentionAndLegalHoldRefuseDeletion) {
  DeclareTypes();
  auto memo = Create("memo text", "memo");
  ASSERT_TRUE(memo);
  auto refused = docs_->Delete(memo->id, "anna", "tidy up");
  ASSERT_THAT(refused, HasError(ErrorCode::kConflict));
  EXPECT_THAT(refused.error().message(),
              HasSubstr("must be kept until 2024-11-03T00:00:00.000Z: document type 'memo' "
                        "keeps documents for P30D after its creation"));
  // A contract is kept ten years after it was signed; unsigned, until it is.
  auto contract = Create("c", "contract", {{"customer", "c-1"}});
  ASSERT_TRUE(contract);
  EXPECT_THAT(docs_->Delete(contract->id, "anna", "").error().message(),
              HasSubstr("until its signed is set"));
  ASSERT_TRUE(docs_->UpdateMetadata(contract->id, std::nullopt,
                                    json::object{{"customer", "c-1"}, {"signed", "2014-01-01"}},
                                    "anna"));
  // Legal hold stops deletion whatever the retention says.
  EXPECT_THAT(docs_->SetHold(contract->id, true, "", "legal"),
              HasError(ErrorCode::kInvalidArgument));
  ASSERT_TRUE(docs_->SetHold(contract->id, true, "case 2026-17", "legal"));
  auto held = docs_->Delete(contract->id, "anna", "");
  ASSERT_THAT(held, HasError(ErrorCode::kConflict));
  EXPECT_THAT(held.error().message(), HasSubstr("legal hold"));
  EXPECT_THAT(held.error().message(), HasSubstr("case 2026-17"));
  ASSERT_TRUE(docs_->SetHold(contract->id, false, "case closed", "legal"));
  ASSERT_THAT(docs_->Delete(contract->id, "anna", "signed 2014, kept ten years"), IsOk());
  // A tombstone stays; the rest goes.
  auto tomb = docs_->Get(contract->id);
  ASSERT_TRUE(tomb);
  EXPECT_TRUE(tomb->deleted);
  EXPECT_EQ(tomb->deleted_by, "anna");
  EXPECT_THAT(ReadAll(contract->id), HasError(ErrorCode::kNotFound));
  EXPECT_TRUE(docs_->OfType("contract")->documents.empty());
  EXPECT_TRUE(docs_->Linked({"customer", "c-1"})->documents.empty());
  // After the memo's 30 days it may go too.
  clock_.Advance(std::chrono::days(31));
  ASSERT_THAT(docs_->Delete(memo->id, "anna", ""), IsOk());
  const auto actions = AuditActions();
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "document.deleted"), 2);
}

TEST_F(DocumentsTest, DeletedContentIsReclaimedUnlessAnotherVersionUsesIt) {
  DeclareTypes();
  const std::string big = testing::RandomBytes(3 << 20, 5);
  const std::string other = testing::RandomBytes(1 << 20, 6);
  auto a = Create(big);
  auto b = Create(big);  // the same content: stored once
  auto c = Create(other);
  ASSERT_TRUE(a && b && c);
  ASSERT_THAT(docs_->Delete(a->id, "anna", ""), IsOk());
  auto kept = docs_->Sweep();
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->contents_removed, 0u);  // b still uses it
  EXPECT_EQ(*ReadAll(b->id), big);
  ASSERT_THAT(docs_->Delete(c->id, "anna", ""), IsOk());
  auto swept = docs_->Sweep();
  ASSERT_TRUE(swept);
  EXPECT_EQ(swept->contents_removed, 1u);
  EXPECT_GE(swept->bytes_removed, other.size());
  EXPECT_EQ(*ReadAll(b->id), big);
}

TEST_F(DocumentsTest, DamagedContentIsReportedWithTheDocumentAndVersion) {
  DeclareTypes();
  const std::string data = testing::RandomBytes(300'000, 8);
  auto d = Create(data);
  ASSERT_TRUE(d);
  // Overwrite one chunk's bytes in the store, as a disk fault would.
  std::string key;
  std::string damaged;
  {
    auto it = store_->ScanPrefix(storage::ColumnFamily::kChunks, "c");
    ASSERT_TRUE(it.Valid());
    key = it.key();
    damaged = it.value();
  }
  damaged[damaged.size() / 2] ^= 0x20;
  storage::WriteBatch batch;
  batch.Put(storage::ColumnFamily::kChunks, key, damaged);
  ASSERT_THAT(store_->Write(batch), IsOk());
  StringSink sink;
  auto r = docs_->Read(d->id, std::nullopt, "anna", sink);
  ASSERT_THAT(r, HasError(ErrorCode::kCorruption));
  EXPECT_THAT(r.error().message(), HasSubstr("document 1 version 1"));
  // Only chunks that matched their digest went out: never a wrong byte.
  EXPECT_LT(sink.data.size(), data.size());
  EXPECT_EQ(sink.data, data.substr(0, sink.data.size()));
}

TEST_F(DocumentsTest, AChunkDamagedOnDiskIsDetectedOnRead) {
  DeclareTypes();
  const std::string data = testing::RandomBytes(2 << 20, 9);
  auto d = Create(data);
  ASSERT_TRUE(d);
  ASSERT_THAT(store_->Flush(), IsOk());  // the chunks into blob files
  docs_.reset();
  contents_.reset();
  audit_.reset();
  store_.reset();
  // Flip bytes in the middle of every blob file, as a failing disk would.
  std::size_t damaged = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path() / "data")) {
    if (entry.path().extension() != ".blob") continue;
    std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    const auto size = std::filesystem::file_size(entry.path());
    for (const double at : {0.3, 0.5, 0.7}) {
      f.seekg(static_cast<std::streamoff>(static_cast<double>(size) * at));
      char c = 0;
      f.read(&c, 1);
      f.seekp(static_cast<std::streamoff>(static_cast<double>(size) * at));
      c = static_cast<char>(c ^ 0x5A);
      f.write(&c, 1);
    }
    ++damaged;
  }
  ASSERT_GT(damaged, 0u) << "no blob file to damage";
  Open();
  StringSink sink;
  auto r = docs_->Read(d->id, std::nullopt, "anna", sink);
  ASSERT_THAT(r, HasError(ErrorCode::kCorruption));
  EXPECT_THAT(r.error().message(), HasSubstr("document 1 version 1 cannot be read"));
  EXPECT_EQ(sink.data, data.substr(0, sink.data.size()));  // nothing wrong went out
}

TEST_F(DocumentsTest, ChangesAreQueuedForTheSearchIndex) {
  DeclareTypes();
  auto a = Create("a");
  auto b = Create("b");
  ASSERT_TRUE(a && b);
  auto changed = docs_->Changed(10);
  ASSERT_TRUE(changed);
  ASSERT_EQ(changed->size(), 2u);
  ASSERT_TRUE(docs_->AddLink(a->id, {"task", "5"}, "anna"));  // changed again meanwhile
  ASSERT_THAT(docs_->MarkIndexed(*changed), IsOk());
  auto left = docs_->Changed(10);
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().first, a->id);
}

}  // namespace
}  // namespace quire::dms
