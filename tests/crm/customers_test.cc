#include "quire/crm/customers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <sstream>

#include "quire/storage/key_codec.h"
#include "quire/testing/temp_dir.h"

namespace quire::crm {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr Timestamp kStart{std::chrono::milliseconds(1796547600000)};  // 2026-12-06 09:00 UTC

class CustomersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*storage::Store::Open(dir_.path() / "data"));
    audit_ = std::move(*audit::AuditLog::Open(*store_, dir_.path()));
    customers_ = std::make_unique<CustomerStore>(*store_, *audit_, clock_);
  }

  std::string Chain() const {
    std::ostringstream out;
    EXPECT_TRUE(audit_->Export(1, 0, out).has_value());
    return out.str();
  }

  quire::testing::TempDir dir_;
  ManualClock clock_{kStart};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<CustomerStore> customers_;
  const audit::Actor anna_{"anna"};
};

TEST_F(CustomersTest, ACompanyWithEveryFieldIsStoredAndReadBack) {
  auto c = customers_->Create(json::parse(R"({
      "kind": "company", "name": "  Piekarnia Zielińska sp. z o.o. ",
      "emails": [{"address": "biuro@piekarnia.pl", "label": "office"}],
      "phones": [{"number": "+48 (22) 654-32-10", "label": "office"}],
      "taxId": "PL 526-104-08-28",
      "addresses": [{"kind": "billing", "street": "ul. Marszałkowska 84/92",
                     "postalCode": "00-514", "city": "Warszawa", "country": "pl"}],
      "tags": ["bakery"], "notes": "pays on time"})")
                                  .as_object(),
                              anna_);
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->id, 1u);
  EXPECT_EQ(c->name, "Piekarnia Zielińska sp. z o.o.");
  EXPECT_EQ(c->owner, "anna");  // the creator by default
  EXPECT_EQ(c->phones.at(0).value, "+48226543210");
  ASSERT_TRUE(c->tax_id.has_value());
  EXPECT_EQ(c->tax_id->value, "PL5261040828");
  EXPECT_EQ(c->tax_id->kind, TaxId::Kind::kEuVat);
  EXPECT_EQ(c->addresses.at(0).country, "PL");

  auto back = customers_->Get(c->id);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->ToJson(), c->ToJson());
  EXPECT_EQ(back->ToJson().at("createdAt"), "2026-12-06T09:00:00.000Z");
  // Reopened: it is in the store, not in memory.
  customers_.reset();
  audit_.reset();
  store_.reset();
  SetUp();
  EXPECT_EQ(customers_->Get(1)->name, "Piekarnia Zielińska sp. z o.o.");
  EXPECT_EQ(customers_->Create(json::parse(R"({"name": "Second"})").as_object(), anna_)->id, 2u);
}

TEST_F(CustomersTest, EveryBadFieldIsNamedAndNothingIsStored) {
  auto refused = customers_->Create(json::parse(R"({
      "kind": "shop", "name": "",
      "emails": [{"address": "biuro@piekarnia.pl"}, {"address": "not an address"}],
      "phones": [{"number": "12"}],
      "taxId": "526-104-08-27",
      "addresses": [{"postalCode": "00514", "country": "PL", "floor": 3}],
      "colour": "red"})")
                                        .as_object(),
                                    anna_);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kValidationFailed);
  std::map<std::string, std::string> by_field;
  for (const ErrorDetail& d : refused.error().details()) by_field[d.field] = d.message;
  EXPECT_THAT(by_field["kind"], HasSubstr("company or person"));
  EXPECT_THAT(by_field["name"], HasSubstr("required"));
  EXPECT_THAT(by_field["emails[1].address"], HasSubstr("not an e-mail address"));
  EXPECT_EQ(by_field.count("emails[0].address"), 0u);
  EXPECT_THAT(by_field["phones[0].number"], HasSubstr("too short"));
  EXPECT_THAT(by_field["taxId"], HasSubstr("the others call for 8"));
  EXPECT_THAT(by_field["addresses[0].postalCode"], HasSubstr("Polish postal code"));
  EXPECT_THAT(by_field["addresses[0].floor"], HasSubstr("not a field of an address"));
  EXPECT_THAT(by_field["colour"], HasSubstr("not a field of a customer"));
  EXPECT_EQ(customers_->Get(1).error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(Chain(), Not(HasSubstr("customer.created")));
}

TEST_F(CustomersTest, AChangeMergesTheFieldsSentAndIsCheckedAsAWhole) {
  auto c = customers_->Create(
      json::parse(R"({"name": "ACME", "taxId": "5261040828", "tags": ["a"]})").as_object(), anna_);
  ASSERT_TRUE(c.has_value());
  clock_.Advance(std::chrono::minutes(5));
  auto changed = customers_->Update(
      c->id, json::parse(R"({"notes": "called", "tags": null})").as_object(), anna_);
  ASSERT_TRUE(changed.has_value()) << changed.error().message();
  EXPECT_EQ(changed->notes, "called");
  EXPECT_TRUE(changed->tags.empty());
  EXPECT_EQ(changed->tax_id->value, "5261040828");  // untouched
  EXPECT_EQ(changed->ToJson().at("modifiedAt"), "2026-12-06T09:05:00.000Z");
  auto refused = customers_->Update(
      c->id, json::parse(R"({"taxId": "5261040827", "createdAt": "x"})").as_object(), anna_);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().details().size(), 2u);
  EXPECT_EQ(customers_->Get(c->id)->tax_id->value, "5261040828");  // nothing changed
}

// The chain holds ids and field names, never the personal data itself.
TEST_F(CustomersTest, TheChainRecordsWritesAndReadsWithoutPersonalData) {
  auto c = customers_->Create(
      json::parse(R"({"kind": "person", "name": "Jan Kowalski", "taxId": "44051401359",
                      "emails": [{"address": "jan.kowalski@example.pl"}]})")
          .as_object(),
      anna_);
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE(customers_->Update(c->id, json::parse(R"({"notes": "VIP"})").as_object(), anna_));
  ASSERT_TRUE(customers_->RecordView(c->id, anna_));
  const std::string chain = Chain();
  EXPECT_THAT(chain, HasSubstr("\"action\":\"customer.created\",\"object\":\"customer/1\""));
  EXPECT_THAT(chain, HasSubstr("\"action\":\"customer.changed\",\"object\":\"customer/1\""));
  EXPECT_THAT(chain, HasSubstr("\"action\":\"customer.viewed\",\"object\":\"customer/1\""));
  for (const char* secret : {"Kowalski", "44051401359", "jan.kowalski", "VIP"}) {
    EXPECT_THAT(chain, Not(HasSubstr(secret))) << secret;
  }
}

TEST_F(CustomersTest, ListsPageInIdOrderAndFilter) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(
        customers_->Create(json::parse("{\"name\": \"C" + std::to_string(i) + "\", \"owner\": \"" +
                                       (i % 2 == 0 ? "anna" : "ben") + "\"}")
                               .as_object(),
                           anna_));
  }
  auto annas = [](const Customer& c) -> Result<bool> { return c.owner == "anna"; };
  auto page = customers_->List(0, 2, annas);
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->customers.size(), 2u);
  EXPECT_EQ(page->customers[0].name, "C0");
  EXPECT_EQ(page->customers[1].name, "C2");
  std::vector<std::string> all{page->customers[0].name, page->customers[1].name};
  while (page->next != 0) {
    page = customers_->List(page->next, 2, annas);
    ASSERT_TRUE(page.has_value());
    for (const Customer& c : page->customers) all.push_back(c.name);
  }
  EXPECT_EQ(all, (std::vector<std::string>{"C0", "C2", "C4", "C6"}));
  // A small budget ends a page early, and `next` still continues the scan.
  auto short_page = customers_->List(0, 10, annas, /*budget=*/3);
  ASSERT_TRUE(short_page.has_value());
  EXPECT_EQ(short_page->customers.size(), 2u);
  EXPECT_EQ(short_page->next, 3u);
}

}  // namespace
}  // namespace quire::crm

namespace quire::crm {
namespace {

TEST_F(CustomersTest, AReindexGivesOldCustomersTheirIndexEntries) {
  auto c = customers_->Create(json::parse(R"({"name": "Stary Klient", "taxId": "5261040828",
      "phones": [{"number": "601 234 567"}], "externalId": "old-1"})")
                                  .as_object(),
                              anna_);
  ASSERT_TRUE(c.has_value()) << c.error().message();
  // As a store written before the indexes existed: only the record.
  storage::WriteBatch drop;
  drop.DeleteRange(storage::ColumnFamily::kCrm, "T", "Y");
  drop.DeleteRange(storage::ColumnFamily::kCrm, "p", "q");
  ASSERT_TRUE(store_->Write(drop).has_value());
  EXPECT_TRUE(customers_->FindByPhone("601234567")->empty());
  EXPECT_TRUE(customers_->FindByTaxId("5261040828")->empty());
  ASSERT_EQ(*customers_->Reindex(), 1u);
  EXPECT_EQ(*customers_->FindByPhone("601234567"), std::vector<CustomerId>{c->id});
  EXPECT_EQ(*customers_->FindByTaxId("PL5261040828"), std::vector<CustomerId>{c->id});
  EXPECT_EQ(*customers_->FindByExternalId("old-1"), c->id);
  EXPECT_EQ(*customers_->FindByName("STARY  klient"), std::vector<CustomerId>{c->id});
}

TEST_F(CustomersTest, APurgeTakesTheErasedValuesOffTheDisk) {
  auto c = customers_->Create(
      json::parse(R"({"kind": "person", "name": "Zofia Tajemnicza"})").as_object(), anna_);
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE(store_->Flush().has_value());  // the record in a file, as it would be by now
  ASSERT_TRUE(customers_->Erase(c->id, anna_).has_value());
  auto holds = [&] {
    auto versions = store_->AllVersions(storage::ColumnFamily::kCrm, 100'000);
    EXPECT_TRUE(versions.has_value());
    for (const auto& [key, value] : *versions) {
      if ((key + value).find("Tajemnicza") != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(holds());  // reads do not see it; the files still have it
  EXPECT_FALSE(customers_->FindByName("Zofia Tajemnicza")->size());
  ASSERT_TRUE(store_->Purge(storage::ColumnFamily::kCrm).has_value());
  EXPECT_FALSE(holds());
}

TEST_F(CustomersTest, ExternalIdsWrittenInTheFormerIndexFormAreFoundAfterAReindex) {
  auto c = customers_->Create(
      json::parse(R"({"name": "Stara Firma", "externalId": "acc-7"})").as_object(), anna_);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(customers_->FindByExternalId("acc-7")->value_or(0), c->id);
  // As a store written by an earlier release holds it: X ext id -> "".
  storage::WriteBatch old;
  old.Delete(storage::ColumnFamily::kCrm, storage::KeyEncoder().U8('X').String("acc-7").Take());
  old.Put(storage::ColumnFamily::kCrm,
          storage::KeyEncoder().U8('X').String("acc-7").U64(c->id).Take(), "");
  ASSERT_TRUE(store_->Write(old).has_value());
  EXPECT_FALSE(customers_->FindByExternalId("acc-7")->has_value());
  ASSERT_TRUE(customers_->Reindex().has_value());
  EXPECT_EQ(customers_->FindByExternalId("acc-7")->value_or(0), c->id);
  // The old entry is gone, so a change of the external id leaves nothing behind.
  ASSERT_TRUE(
      customers_->Update(c->id, json::parse(R"({"externalId": "acc-8"})").as_object(), anna_)
          .has_value());
  EXPECT_FALSE(customers_->FindByExternalId("acc-7")->has_value());
  EXPECT_EQ(customers_->FindByExternalId("acc-8")->value_or(0), c->id);
  auto it = store_->ScanPrefix(storage::ColumnFamily::kCrm, "X");
  std::size_t entries = 0;
  for (; it.Valid(); it.Next()) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST_F(CustomersTest, TaxIdHintsFollowTheCustomersHoldingThem) {
  auto hints = [&] {
    std::size_t n = 0;
    for (auto it = store_->ScanPrefix(storage::ColumnFamily::kCrm, "K"); it.Valid(); it.Next()) ++n;
    return n;
  };
  auto a = customers_->Create(
      json::parse(R"({"name": "Firma A", "taxId": "5261040828"})").as_object(), anna_);
  auto b = customers_->Create(
      json::parse(R"({"name": "Firma B", "taxId": "526-104-08-28"})").as_object(), anna_);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(hints(), 1u);
  EXPECT_EQ(customers_->FindByTaxId("5261040828")->size(), 2u);
  EXPECT_TRUE(customers_->FindByTaxId("7251801126")->empty());  // valid, held by nobody
  // A changes its tax id: B still holds the old one, which is still found.
  ASSERT_TRUE(
      customers_->Update(a->id, json::parse(R"({"taxId": "7251801126"})").as_object(), anna_)
          .has_value());
  EXPECT_EQ(customers_->FindByTaxId("5261040828")->size(), 1u);
  EXPECT_EQ(customers_->FindByTaxId("7251801126")->size(), 1u);
  EXPECT_EQ(hints(), 2u);
  // The last holders go: so do the hints (their keys name the tax ids).
  ASSERT_TRUE(customers_->Erase(b->id, anna_).has_value());
  ASSERT_TRUE(
      customers_->Update(a->id, json::parse(R"({"taxId": null})").as_object(), anna_).has_value());
  EXPECT_EQ(hints(), 0u);
  EXPECT_TRUE(customers_->FindByTaxId("5261040828")->empty());
}

TEST_F(CustomersTest, AMergedDuplicatesExternalIdLeadsToTheSurvivorUntilUndone) {
  auto s = customers_->Create(json::parse(R"({"name": "Firma", "externalId": "s-1"})").as_object(),
                              anna_);
  auto d = customers_->Create(json::parse(R"({"name": "FIRMA", "externalId": "d-1"})").as_object(),
                              anna_);
  ASSERT_TRUE(s.has_value() && d.has_value());
  auto m = customers_->Merge(s->id, d->id, anna_);
  ASSERT_TRUE(m.has_value()) << m.error().message();
  EXPECT_EQ(customers_->FindByExternalId("d-1")->value_or(0), s->id);
  EXPECT_EQ(customers_->FindByExternalId("s-1")->value_or(0), s->id);
  EXPECT_TRUE(customers_->FindByName("Firma")->size() == 1u);  // the duplicate is out of it
  ASSERT_TRUE(customers_->MergeMoved(m->id, json::object(), anna_).has_value());
  ASSERT_TRUE(customers_->Unmerge(m->id, anna_).has_value());
  EXPECT_EQ(customers_->FindByExternalId("d-1")->value_or(0), d->id);
  EXPECT_EQ(customers_->FindByName("Firma")->size(), 2u);
  EXPECT_EQ(customers_->Merge(s->id, s->id, anna_).error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace quire::crm
