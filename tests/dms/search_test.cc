// Document search with a real Xapian index: by type, link, metadata equality and ranges,
// and the full text of titles, plain text, HTML and PDF content; the index follows
// updates and deletions, and survives a restart.
#include "quire/dms/search.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <filesystem>

#include "quire/testing/result_matchers.h"
#include "quire/testing/temp_dir.h"

// Queries below name only the members they set.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace quire::dms {
namespace {

namespace json = boost::json;
using ::quire::testing::HasError;
using ::quire::testing::IsOk;
using ::testing::UnorderedElementsAreArray;

// A one-page PDF showing `text` (offsets in the cross-reference table computed).
std::string MakePdf(const std::string& text) {
  std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
      "/Resources << /Font << /F1 5 0 R >> >> >>",
      "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
  const std::string stream = "BT /F1 12 Tf 72 720 Td (" + text + ") Tj ET";
  objects[3] =
      "<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream + "\nendstream";
  std::string pdf = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (std::size_t off : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", off);
    pdf += line;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    search_.reset();
    docs_.reset();
    contents_.reset();
    audit_.reset();
    store_.reset();
    store_ = std::move(*storage::Store::Open(dir_.path() / "data"));
    audit_ = std::move(*audit::AuditLog::Open(*store_, dir_.path()));
    contents_ = std::make_unique<ContentStore>(*store_);
    docs_ = std::make_unique<DocumentStore>(*store_, *contents_, *audit_, SystemClock::Instance());
    auto s = DocumentSearch::Open(*docs_, dir_.path() / "search");
    ASSERT_TRUE(s) << s.error().message();
    search_ = std::move(*s);
  }

  DocumentId Create(std::string title, std::string type, std::string content,
                    json::object metadata = {}, std::vector<Link> links = {}) {
    StringSource source(content);
    NewDocument d;
    d.title = std::move(title);
    d.type = std::move(type);
    d.metadata = std::move(metadata);
    d.links = std::move(links);
    d.actor = "anna";
    auto r = docs_->Create(d, source);
    EXPECT_TRUE(r) << r.error().message();
    return r ? r->id : 0;
  }

  std::vector<DocumentId> Ids(DocumentQuery q) {
    EXPECT_THAT(search_->WaitIndexed(), IsOk());
    auto r = search_->Search(q);
    EXPECT_TRUE(r) << r.error().message();
    std::vector<DocumentId> ids;
    if (r) {
      for (const DocumentInfo& d : r->documents) ids.push_back(d.id);
    }
    return ids;
  }

  quire::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<ContentStore> contents_;
  std::unique_ptr<DocumentStore> docs_;
  std::unique_ptr<DocumentSearch> search_;
};

TEST_F(SearchTest, FindsByTypeLinkMetadataAndFullText) {
  ASSERT_THAT(docs_->PutType(*ParseDocumentType(json::parse(R"({"id":"contract","fields":[
      {"name":"customer","type":"reference","ref":"customer"},
      {"name":"value","type":"number"},
      {"name":"signed","type":"date"},
      {"name":"status","type":"enum","values":["draft","signed"]}]})")),
                             "admin"),
              IsOk());
  ASSERT_THAT(docs_->PutType(*ParseDocumentType(json::parse(R"({"id":"letter"})")), "admin"),
              IsOk());
  const DocumentId a = Create(
      "Maintenance contract ACME", "contract", MakePdf("Annual maintenance of the turbine"),
      {{"customer", "c-1"}, {"value", 1200.5}, {"signed", "2026-03-01"}, {"status", "signed"}},
      {{"customer", "c-1"}});
  const DocumentId b = Create(
      "Supply contract Globex", "contract", "plain words about pumps",
      {{"customer", "c-2"}, {"value", 90000}, {"signed", "2025-11-15"}, {"status", "draft"}});
  const DocumentId c = Create("Welcome letter", "letter",
                              "<html><body><p>Dear customer, your <b>turbine</b> ships "
                              "soon</p><script>var hidden = 'zebra';</script></body></html>",
                              {}, {{"customer", "c-1"}});
  EXPECT_THAT(Ids({.type = "contract"}), UnorderedElementsAreArray({a, b}));
  EXPECT_THAT(Ids({.links = {{"customer", "c-1"}}}), UnorderedElementsAreArray({a, c}));
  EXPECT_THAT(Ids({.text = "turbine"}), UnorderedElementsAreArray({a, c}));  // PDF and HTML
  EXPECT_THAT(Ids({.text = "zebra"}), UnorderedElementsAreArray(std::vector<DocumentId>{}));
  EXPECT_THAT(Ids({.text = "pump*"}), UnorderedElementsAreArray({b}));
  EXPECT_THAT(Ids({.text = "globex"}), UnorderedElementsAreArray({b}));  // the title
  EXPECT_THAT(Ids({.fields = {{"status", "eq", "Draft"}}}), UnorderedElementsAreArray({b}));
  EXPECT_THAT(Ids({.fields = {{"value", "eq", "1200.50"}}}), UnorderedElementsAreArray({a}));
  EXPECT_THAT(Ids({.fields = {{"value", "gte", "1000"}, {"value", "lt", "90000"}}}),
              UnorderedElementsAreArray({a}));
  EXPECT_THAT(Ids({.fields = {{"signed", "lt", "2026-01-01"}}}), UnorderedElementsAreArray({b}));
  EXPECT_THAT(
      Ids({.type = "contract", .text = "maintenance", .fields = {{"signed", "gte", "2026-01-01"}}}),
      UnorderedElementsAreArray({a}));
  EXPECT_THAT(search_->Search({.fields = {{"value", "gte", "lots"}}}),
              HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(search_->Search({.text = "\"unclosed"}), IsOk());  // a lenient parse is fine
  // Pages.
  auto first = search_->Search({.type = "contract", .limit = 1});
  ASSERT_TRUE(first);
  ASSERT_EQ(first->documents.size(), 1u);
  EXPECT_EQ(first->documents[0].id, b);  // newest first without a text query
  EXPECT_EQ(first->next, "1");
  auto second = search_->Search({.type = "contract", .limit = 1, .offset = 1});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->documents[0].id, a);
  EXPECT_TRUE(second->next.empty());

  // The index follows changes and deletions, and survives a restart.
  ASSERT_TRUE(docs_->UpdateMetadata(b, "Supply contract Initech", std::nullopt, "anna"));
  ASSERT_THAT(docs_->Delete(c, "anna", ""), IsOk());
  EXPECT_THAT(Ids({.text = "globex"}), UnorderedElementsAreArray(std::vector<DocumentId>{}));
  EXPECT_THAT(Ids({.text = "initech"}), UnorderedElementsAreArray({b}));
  EXPECT_THAT(Ids({.text = "turbine"}), UnorderedElementsAreArray({a}));
  Open();
  EXPECT_THAT(Ids({.text = "initech"}), UnorderedElementsAreArray({b}));
  // Deleting the index rebuilds it from the documents.
  search_.reset();
  std::filesystem::remove_all(dir_.path() / "search");
  Open();
  EXPECT_THAT(Ids({.text = "initech"}), UnorderedElementsAreArray({b}));
  EXPECT_THAT(Ids({.text = "turbine"}), UnorderedElementsAreArray({a}));
  EXPECT_THAT(Ids({.fields = {{"value", "gte", "1000"}, {"value", "lt", "90000"}}}),
              UnorderedElementsAreArray({a}));
}

}  // namespace
}  // namespace quire::dms
