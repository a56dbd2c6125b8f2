#include "quire/crm/labels.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <poppler-document.h>
#include <poppler-page.h>
#include <boost/json/parse.hpp>

#include "quire/crm/mailing.h"
#include "quire/testing/temp_dir.h"

namespace quire::crm {
namespace {

using ::testing::HasSubstr;

std::string PageText(const poppler::document& doc, int page) {
  const std::unique_ptr<poppler::page> p(doc.create_page(page));
  const poppler::byte_array bytes = p->text().to_utf8();
  return std::string(bytes.begin(), bytes.end());
}

TEST(LabelsTest, LabelsFillTheSheetsPageAfterPageWithPolishLetters) {
  std::vector<std::vector<std::string>> labels;
  for (int i = 0; i < 25; ++i) {
    labels.push_back({"Zofia Wójcik " + std::to_string(i), "Piekarnia Zielińska sp. z o.o.",
                      "ul. Marszałkowska 84/92", "00-514 Warszawa", ""});
  }
  const std::string pdf = AddressLabelsPdf(labels, *FindLabelSheet("L7160"));
  ASSERT_TRUE(pdf.starts_with("%PDF"));
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(pdf.data(), static_cast<int>(pdf.size())));
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(doc->pages(), 2);  // 21 labels a sheet
  EXPECT_THAT(PageText(*doc, 0), HasSubstr("Zofia Wójcik 0"));
  EXPECT_THAT(PageText(*doc, 0), HasSubstr("Zielińska"));
  EXPECT_THAT(PageText(*doc, 0), HasSubstr("Marszałkowska"));
  EXPECT_THAT(PageText(*doc, 1), HasSubstr("Zofia Wójcik 24"));
  EXPECT_EQ(std::unique_ptr<poppler::document>(
                poppler::document::load_from_raw_data(
                    AddressLabelsPdf({}, *FindLabelSheet("3x8")).data(),
                    static_cast<int>(AddressLabelsPdf({}, *FindLabelSheet("3x8")).size())))
                ->pages(),
            1);
  EXPECT_THAT(FindLabelSheet("A4").error().message(), HasSubstr("L7160"));
}

TEST(MailingGroupsTest, AGroupNamesExistingContactPersons) {
  quire::testing::TempDir dir;
  auto store = std::move(*storage::Store::Open(dir.path() / "data"));
  auto audit = std::move(*audit::AuditLog::Open(*store, dir.path()));
  ManualClock clock{Timestamp(std::chrono::milliseconds(1796547600000))};
  CustomerStore customers(*store, *audit, clock);
  ContactStore contacts(*store, *audit, clock, customers);
  MailingGroups groups(*store, *audit, clock, contacts);
  auto person =
      contacts.Create(boost::json::parse(R"({"lastName": "Nowak"})").as_object(), {"anna"});
  ASSERT_TRUE(person.has_value());
  auto bad =
      groups.Create(boost::json::parse(R"({"contacts": ["1", "77"]})").as_object(), {"anna"});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().details().size(), 2u);  // no name; contact 77
  auto g = groups.Create(
      boost::json::parse(R"({"name": "Życzenia świąteczne", "contacts": [1]})").as_object(),
      {"anna"});
  ASSERT_TRUE(g.has_value()) << g.error().message();
  EXPECT_EQ(g->contacts, std::vector<ContactId>{1});
  auto changed =
      groups.Update(g->id, boost::json::parse(R"({"contacts": []})").as_object(), {"anna"});
  ASSERT_TRUE(changed.has_value());
  EXPECT_TRUE(groups.Get(g->id)->contacts.empty());
  EXPECT_EQ(groups.List()->size(), 1u);
}

}  // namespace
}  // namespace quire::crm
