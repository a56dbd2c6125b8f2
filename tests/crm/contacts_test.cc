#include "quire/crm/contacts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <sstream>

#include "quire/base/instant.h"
#include "quire/testing/temp_dir.h"

namespace quire::crm {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr Timestamp kNow{std::chrono::milliseconds(1796547600000)};  // 2026-12-06 09:00 UTC

json::object J(std::string_view text) { return json::parse(text).as_object(); }

class ContactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*storage::Store::Open(dir_.path() / "data"));
    audit_ = std::move(*audit::AuditLog::Open(*store_, dir_.path()));
    customers_ = std::make_unique<CustomerStore>(*store_, *audit_, clock_);
    contacts_ = std::make_unique<ContactStore>(*store_, *audit_, clock_, *customers_);
    bakery_ = customers_->Create(J(R"({"name": "Piekarnia Zielińska"})"), anna_)->id;
    mill_ = customers_->Create(J(R"({"name": "Młyn Kowalski"})"), anna_)->id;
  }

  std::string Chain() const {
    std::ostringstream out;
    EXPECT_TRUE(audit_->Export(1, 0, out).has_value());
    return out.str();
  }

  quire::testing::TempDir dir_;
  ManualClock clock_{kNow};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<CustomerStore> customers_;
  std::unique_ptr<ContactStore> contacts_;
  const audit::Actor anna_{"anna"};
  CustomerId bakery_ = 0, mill_ = 0;
};

TEST_F(ContactsTest, APersonOfTwoCompaniesIsFoundByPhoneEmailAndCompany) {
  auto c = contacts_->Create(J(R"({"firstName": "Zofia", "lastName": "Wójcik",
      "title": "Główna księgowa", "customers": [")" +
                               std::to_string(bakery_) + R"(", )" + std::to_string(mill_) + R"(],
      "emails": [{"address": "Zofia.Wojcik@piekarnia.pl", "label": "work"}],
      "phones": [{"number": "601 234 567", "label": "mobile"}],
      "consent": {"email": {"granted": true, "how": "web form"}}})"),
                             anna_);
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->name(), "Zofia Wójcik");
  EXPECT_EQ(c->phones.at(0).value, "+48601234567");
  EXPECT_EQ(c->owner, "anna");
  EXPECT_TRUE(c->email_consent.granted);
  EXPECT_EQ(c->email_consent.at, kNow);  // recorded when given
  EXPECT_EQ(*contacts_->FindByPhone("+48 601-234-567"), std::vector<ContactId>{c->id});
  EXPECT_EQ(*contacts_->FindByEmail("zofia.wojcik@PIEKARNIA.pl"), std::vector<ContactId>{c->id});
  ASSERT_EQ(contacts_->OfCustomer(mill_)->size(), 1u);
  EXPECT_EQ(contacts_->Get(c->id)->ToJson(), c->ToJson());
  // The chain holds ids and field names, not the person.
  EXPECT_THAT(Chain(), HasSubstr("contact/" + std::to_string(c->id)));
  EXPECT_THAT(Chain(), Not(HasSubstr("Wójcik")));
  EXPECT_THAT(Chain(), Not(HasSubstr("601")));
}

TEST_F(ContactsTest, ConsentChangesAreTimedAndNeedToSayHow) {
  auto c = contacts_->Create(J(R"({"lastName": "Nowak"})"), anna_);
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->sms_consent.granted);
  auto no_how = contacts_->Update(c->id, J(R"({"consent": {"sms": {"granted": true}}})"), anna_);
  ASSERT_FALSE(no_how.has_value());
  EXPECT_EQ(no_how.error().details().at(0).field, "consent.sms.how");
  clock_.Advance(std::chrono::hours(1));
  auto given = contacts_->Update(
      c->id, J(R"({"consent": {"sms": {"granted": true, "how": "signed paper"}}})"), anna_);
  ASSERT_TRUE(given.has_value()) << given.error().message();
  EXPECT_EQ(given->sms_consent.at, kNow + std::chrono::hours(1));
  clock_.Advance(std::chrono::hours(1));
  // Another field changed: the consent keeps its time.
  auto other = contacts_->Update(c->id, J(R"({"title": "CEO"})"), anna_);
  EXPECT_EQ(other->sms_consent.at, kNow + std::chrono::hours(1));
  // Withdrawn: timed now.
  auto withdrawn =
      contacts_->Update(c->id, J(R"({"consent": {"sms": {"granted": false}}})"), anna_);
  ASSERT_TRUE(withdrawn.has_value()) << withdrawn.error().message();
  EXPECT_FALSE(withdrawn->sms_consent.granted);
  EXPECT_EQ(withdrawn->sms_consent.at, kNow + std::chrono::hours(2));
  auto future = contacts_->Update(
      c->id,
      J(R"({"consent": {"email": {"granted": true, "how": "x", "changedAt": "2030-01-01T00:00:00Z"}}})"),
      anna_);
  ASSERT_FALSE(future.has_value());
  EXPECT_THAT(future.error().details().at(0).message, HasSubstr("future"));
}

TEST_F(ContactsTest, BadFieldsAreRefusedOneDetailEach) {
  auto c = contacts_->Create(J(R"({"customers": [999], "emails": [{"address": "not-mail"}],
      "phones": [{"number": "12"}], "consent": {"fax": {}}, "shoeSize": 42})"),
                             anna_);
  ASSERT_FALSE(c.has_value());
  std::map<std::string, std::string> by_field;
  for (const ErrorDetail& d : c.error().details()) by_field[d.field] = d.message;
  EXPECT_THAT(by_field["lastName"], HasSubstr("required"));
  EXPECT_THAT(by_field["customers[0]"], HasSubstr("customer 999 does not exist"));
  EXPECT_THAT(by_field["emails[0].address"], HasSubstr("not an e-mail address"));
  EXPECT_THAT(by_field["phones[0].number"], HasSubstr("too short"));
  EXPECT_THAT(by_field["consent.fax"], HasSubstr("email, sms, phone"));
  EXPECT_THAT(by_field["shoeSize"], HasSubstr("not a field of a contact person"));
}

TEST_F(ContactsTest, AnExternalIdNamesOnePersonAndMovesWithTheirEdits) {
  auto c = contacts_->Create(J(R"({"lastName": "Nowak", "externalId": "outlook:17"})"), anna_);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(*contacts_->FindByExternalId("outlook:17"), c->id);
  auto twin = contacts_->Create(J(R"({"lastName": "Nowak", "externalId": "outlook:17"})"), anna_);
  ASSERT_FALSE(twin.has_value());
  EXPECT_THAT(twin.error().details().at(0).message, HasSubstr("re-import"));
  ASSERT_TRUE(contacts_->Update(c->id, J(R"({"externalId": "outlook:18"})"), anna_));
  EXPECT_FALSE(contacts_->FindByExternalId("outlook:17")->has_value());
  EXPECT_EQ(*contacts_->FindByExternalId("outlook:18"), c->id);
  // The person's own edit keeps their external id.
  EXPECT_TRUE(contacts_->Update(c->id, J(R"({"externalId": "outlook:18", "title": "x"})"), anna_));
}

TEST_F(ContactsTest, EmailHintsFollowThePeopleHoldingTheAddress) {
  auto hints = [&] {
    std::size_t n = 0;
    for (auto it = store_->ScanPrefix(storage::ColumnFamily::kCrm, "h"); it.Valid(); it.Next()) ++n;
    return n;
  };
  auto a = contacts_->Create(
      J(R"({"lastName": "Nowak", "emails": [{"address": "Biuro@Firma.pl"}]})"), anna_);
  auto b = contacts_->Create(
      J(R"({"lastName": "Kowal", "emails": [{"address": "biuro@firma.pl"}]})"), anna_);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(hints(), 1u);
  EXPECT_EQ(contacts_->FindByEmail("BIURO@firma.pl")->size(), 2u);
  EXPECT_TRUE(contacts_->FindByEmail("nikt@firma.pl")->empty());
  ASSERT_TRUE(contacts_->Erase(a->id, anna_).has_value());
  EXPECT_EQ(contacts_->FindByEmail("biuro@firma.pl")->size(), 1u);  // b still has it
  ASSERT_TRUE(contacts_->Update(b->id, J(R"({"emails": [{"address": "nowy@firma.pl"}]})"), anna_)
                  .has_value());
  EXPECT_TRUE(contacts_->FindByEmail("biuro@firma.pl")->empty());
  EXPECT_EQ(hints(), 1u);  // nowy@ only
}

}  // namespace
}  // namespace quire::crm
