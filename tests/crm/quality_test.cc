#include "quire/crm/quality.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <random>
#include <string>
#include <vector>

#include "quire/crm/names.h"
#include "quire/testing/temp_dir.h"

namespace quire::crm {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr Timestamp kNow{std::chrono::milliseconds(1796547600000)};

json::object J(std::string_view text) { return json::parse(text).as_object(); }

TEST(NamesTest, OneNameHoweverItIsWritten) {
  EXPECT_EQ(NameKey("Piekarnia Zielińska sp. z o.o."), "piekarnia zielinska");
  EXPECT_EQ(NameKey("PIEKARNIA  ZIELINSKA"), "piekarnia zielinska");
  EXPECT_EQ(NameKey("Młyn Kowalski S.A."), "mlyn kowalski");
  EXPECT_EQ(NameKey("Łódzkie Zakłady, sp.j."), "lodzkie zaklady");
  EXPECT_EQ(NameKey("Müller GmbH"), "muller");
  EXPECT_EQ(NameKey("S.A."), "s a");  // a name that is only a legal form stays a name
  // Other scripts are transliterated; Latin ones folded to ASCII, ß and æ included.
  EXPECT_EQ(NameKey("Москва Торг ООО"), NameKey("moskva torg ooo"));
  EXPECT_EQ(NameKey("Αθήνα"), "athena");
  EXPECT_EQ(NameKey("Große Straße"), "grosse strasse");
  EXPECT_EQ(NameKey("Æble Øst"), "aeble ost");
  EXPECT_EQ(NameKey("Warszawa Ωmega"), NameKey("warszawa omega"));
}

// Property: the Polish fast path folds exactly as ICU's transliteration does, on random text
// of ASCII and Polish letters; other letters still go to ICU (and fold as it says).
TEST(NamesTest, PolishLettersFoldAsTheTransliterationFoldsThem) {
  const std::vector<std::string> pieces = {"a", "Z", "m", "Q", " ", ".", "-", "7", "&", "'", "ą",
                                           "Ą", "ć", "Ć", "ę", "Ę", "ł", "Ł", "ń", "Ń", "ó", "Ó",
                                           "ś", "Ś", "ź", "Ź", "ż", "Ż", "é", "ü", "ß", "Ω"};
  std::mt19937 random(11);
  for (int n = 0; n < 3000; ++n) {
    std::string text;
    const int length = static_cast<int>(random() % 16);
    for (int i = 0; i < length; ++i) text += pieces[random() % pieces.size()];
    EXPECT_EQ(internal::Fold(text), internal::FoldByIcu(text)) << text;
  }
  EXPECT_EQ(internal::Fold("Zażółć GĘŚLĄ jaźń"), "zazolc gesla jazn");
}

class QualityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*storage::Store::Open(dir_.path() / "data"));
    audit_ = std::move(*audit::AuditLog::Open(*store_, dir_.path()));
    customers_ = std::make_unique<CustomerStore>(*store_, *audit_, clock_);
  }
  quire::testing::TempDir dir_;
  ManualClock clock_{kNow};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<CustomerStore> customers_;
};

std::vector<std::string> Fields(const std::vector<QualityProblem>& problems) {
  std::vector<std::string> out;
  for (const QualityProblem& p : problems) out.push_back(p.field + ":" + p.kind);
  return out;
}

TEST_F(QualityTest, ARecordIsCheckedForWhatItLacksAndHoldsWrong) {
  auto bare = customers_->Create(J(R"({"name": "Hurtownia"})"), {"anna"});
  ASSERT_TRUE(bare.has_value());
  EXPECT_THAT(Fields(CheckQuality(*bare, {}, /*owner_exists=*/false)),
              ElementsAre("owner:invalid", "phones:missing", "taxId:missing", "contacts:missing",
                          "addresses:missing"));
  auto full = customers_->Create(J(R"({"name": "Piekarnia", "taxId": "5261040828",
      "phones": [{"number": "+48 22 654 32 10"}],
      "addresses": [{"street": "Marszałkowska 84", "postalCode": "00-514", "city": "Warszawa"}]})"),
                                 {"anna"});
  ASSERT_TRUE(full.has_value()) << full.error().message();
  Contact person;
  person.last_name = "Nowak";
  person.email_bounced = true;
  EXPECT_THAT(Fields(CheckQuality(*full, {person}, true)),
              ElementsAre("contacts[0].emails:invalid"));
  person.email_bounced = false;
  EXPECT_THAT(CheckQuality(*full, {person}, true), IsEmpty());
  auto unassigned = customers_->Create(
      J(R"({"name": "Osoba", "kind": "person", "phones": [{"number": "+48 100 000 000"}]})"),
      {"anna"});
  ASSERT_TRUE(unassigned.has_value()) << unassigned.error().message();
  EXPECT_THAT(Fields(CheckQuality(*unassigned, {}, true)),
              ElementsAre("phones[0].number:invalid", "addresses:missing"));
}

TEST_F(QualityTest, DuplicatesAreFoundByTaxIdNamePhoneAndEmail) {
  auto a = customers_->Create(J(R"({"name": "Piekarnia Zielińska sp. z o.o.",
      "taxId": "PL5261040828", "emails": [{"address": "Biuro@Piekarnia.pl"}]})"),
                              {"anna"});
  auto b =
      customers_->Create(J(R"({"name": "Młyn", "phones": [{"number": "601 234 567"}]})"), {"anna"});
  ASSERT_TRUE(a && b);
  auto c = customers_->Create(J(R"({"name": "PIEKARNIA ZIELINSKA", "taxId": "526-104-08-28",
      "emails": [{"address": "biuro@piekarnia.pl"}], "phones": [{"number": "+48601234567"}]})"),
                              {"anna"});
  ASSERT_TRUE(c.has_value());
  auto found = FindDuplicates(*customers_, *c);
  ASSERT_TRUE(found.has_value());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ(found->at(0).id, a->id);
  EXPECT_THAT(found->at(0).reasons, ElementsAre("taxId", "name", "email"));
  EXPECT_EQ(found->at(1).id, b->id);
  EXPECT_THAT(found->at(1).reasons, ElementsAre("phone"));
  EXPECT_THAT(*FindDuplicates(*customers_, *b), ::testing::SizeIs(1));
}

}  // namespace
}  // namespace quire::crm
