// Dictionaries, custom fields and the customer's profile: declared, checked on every write,
// refused with the field named, kept across a restart, audited without values.
#include "quire/crm/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <sstream>

#include "quire/crm/activities.h"
#include "quire/crm/contacts.h"
#include "quire/crm/customers.h"
#include "quire/crm/export.h"
#include "quire/crm/import.h"
#include "quire/testing/temp_dir.h"

namespace quire::crm {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr Timestamp kStart{std::chrono::milliseconds(1796547600000)};  // 2026-12-06 09:00 UTC

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    customers_.reset();
    schema_.reset();
    audit_.reset();
    store_.reset();
    store_ = std::move(*storage::Store::Open(dir_.path() / "data"));
    audit_ = std::move(*audit::AuditLog::Open(*store_, dir_.path()));
    schema_ = std::make_unique<CrmSchema>(*store_, *audit_, clock_);
    customers_ = std::make_unique<CustomerStore>(*store_, *audit_, clock_, schema_.get());
  }

  std::map<std::string, std::string> Problems(const Error& e) {
    std::map<std::string, std::string> out;
    for (const ErrorDetail& d : e.details()) out[d.field] = d.message;
    return out;
  }

  Result<Customer> Create(std::string_view text) {
    return customers_->Create(json::parse(text).as_object(), anna_);
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
  std::unique_ptr<CrmSchema> schema_;
  std::unique_ptr<CustomerStore> customers_;
  const audit::Actor anna_{"anna"};
};

TEST_F(SchemaTest, BuiltInDictionariesHaveDefaultsUntilReplaced) {
  auto all = schema_->Dictionaries();
  ASSERT_TRUE(all.has_value());
  std::vector<std::string> names;
  for (const Dictionary& d : *all) names.push_back(d.name);
  EXPECT_THAT(names,
              ::testing::ElementsAre("customer-categories", "customer-types", "delivery-terms",
                                     "industries", "sources", "tax-rates"));
  auto industries = schema_->GetDictionary("industries");
  ASSERT_TRUE(industries.has_value());
  EXPECT_TRUE(industries->built_in);
  EXPECT_FALSE(industries->defined);

  auto put = schema_->PutDictionary(
      "industries",
      json::parse(R"({"label": "Branże", "entries": [{"value": "construction",
                     "label": "Budownictwo"}, "it"]})")
          .as_object(),
      anna_);
  ASSERT_TRUE(put.has_value()) << put.error().message();
  EXPECT_EQ(put->entries.at(1).label, "it");  // a value without a label is its own label
  // Customers now take the new entries, by value or by label; the old ones are refused.
  auto c = Create(R"({"name": "Budimex", "industry": "BUDOWNICTWO"})");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->profile.at("industry"), "construction");
  auto bad = Create(R"({"name": "Bank", "industry": "finance"})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(Problems(bad.error())["industry"], HasSubstr("one of: construction, it"));

  // Kept across a restart; deleting a built-in one restores its defaults.
  Open();
  EXPECT_EQ(schema_->GetDictionary("industries")->label, "Branże");
  ASSERT_TRUE(schema_->DeleteDictionary("industries", anna_).has_value());
  EXPECT_FALSE(schema_->GetDictionary("industries")->defined);
  EXPECT_TRUE(Create(R"({"name": "Bank", "industry": "finance"})").has_value());
  EXPECT_EQ(schema_->DeleteDictionary("industries", anna_).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(schema_->GetDictionary("colours").error().code(), ErrorCode::kNotFound);
  // Audited with the dictionary's name and its size, not its entries.
  EXPECT_THAT(Chain(), HasSubstr("crm.dictionary.put"));
  EXPECT_THAT(Chain(), HasSubstr("crm.dictionary.deleted"));
  EXPECT_THAT(Chain(), Not(HasSubstr("Budownictwo")));
}

TEST_F(SchemaTest, ADictionaryDeclarationIsCheckedWithTheMistakeNamed) {
  auto bad = schema_->PutDictionary(
      "Bad Name",
      json::parse(R"({"entries": ["a", "a", {"label": "no value"}], "x": 1})").as_object(), anna_);
  ASSERT_FALSE(bad.has_value());
  const auto problems = Problems(bad.error());
  EXPECT_THAT(problems.at("name"), HasSubstr("not a dictionary name"));
  EXPECT_THAT(problems.at("entries[1].value"), HasSubstr("listed twice"));
  EXPECT_THAT(problems.at("entries[2].value"), HasSubstr("required"));
  EXPECT_THAT(problems.at("x"), HasSubstr("unknown property"));
  EXPECT_FALSE(schema_->PutDictionary("sizes", json::object(), anna_).has_value());
}

TEST_F(SchemaTest, CustomFieldsAreDeclaredCheckedAndKeptWithTheRecord) {
  ASSERT_TRUE(schema_
                  ->PutDictionary("segments",
                                  json::parse(R"({"entries": ["smb", "enterprise"]})").as_object(),
                                  anna_)
                  .has_value());
  auto declared = schema_->PutCustomFields("customer", json::parse(R"([
      {"name": "employees", "label": "Employees", "type": "long", "min": 0, "required": true},
      {"name": "segment", "type": "enum", "dictionary": "segments"},
      {"name": "since", "type": "date"}])"),
                                           anna_);
  ASSERT_TRUE(declared.has_value()) << declared.error().message();
  // A field naming a dictionary that does not exist, an unknown type, an unknown entity.
  auto bad = schema_->PutCustomFields(
      "customer", json::parse(R"([{"name": "x", "type": "enum", "dictionary": "nope"},
                                  {"name": "y", "type": "colour"},
                                  {"name": "contract.number", "type": "string"}])"),
      anna_);
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(Problems(bad.error()).at("fields[0].dictionary"), HasSubstr("no dictionary 'nope'"));
  EXPECT_THAT(Problems(bad.error()).at("fields[1].type"), HasSubstr("one of string"));
  EXPECT_THAT(Problems(bad.error()).at("fields[2].name"), HasSubstr("contract_number"));
  EXPECT_EQ(schema_->PutCustomFields("invoice", json::array(), anna_).error().code(),
            ErrorCode::kInvalidArgument);
  // A dictionary a field names cannot be removed.
  EXPECT_EQ(schema_->DeleteDictionary("segments", anna_).error().code(), ErrorCode::kConflict);

  auto missing = Create(R"({"name": "Nowa Firma"})");
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(Problems(missing.error()).at("customFields.employees"), HasSubstr("is required"));
  auto wrong = Create(
      R"({"name": "Nowa Firma", "customFields": {"employees": -3, "segment": "huge", "colour": 1}})");
  ASSERT_FALSE(wrong.has_value());
  const auto problems = Problems(wrong.error());
  EXPECT_THAT(problems.at("customFields.employees"), HasSubstr("at least 0"));
  EXPECT_THAT(problems.at("customFields.segment"), HasSubstr("one of: smb, enterprise"));
  EXPECT_THAT(problems.at("customFields.colour"), HasSubstr("not a field"));

  auto c =
      Create(R"({"name": "Nowa Firma", "customFields": {"employees": "120", "segment": "smb"}})");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(json::serialize(c->custom_fields), R"({"employees":120,"segment":"smb"})");
  // A patch changes one custom field and keeps the others (JSON Merge Patch).
  auto changed = customers_->Update(
      c->id, json::parse(R"({"customFields": {"since": "2020-05-01"}})").as_object(), anna_);
  ASSERT_TRUE(changed.has_value()) << changed.error().message();
  EXPECT_EQ(json::serialize(changed->custom_fields),
            R"({"employees":120,"segment":"smb","since":"2020-05-01"})");
  EXPECT_EQ(json::serialize(customers_->Get(c->id)->ToJson().at("customFields")),
            json::serialize(changed->custom_fields));

  // A stored value the rules no longer allow does not block an unrelated change; a change
  // to that value is checked.
  ASSERT_TRUE(schema_
                  ->PutDictionary("segments",
                                  json::parse(R"({"entries": ["enterprise"]})").as_object(), anna_)
                  .has_value());
  auto unrelated =
      customers_->Update(c->id, json::parse(R"({"notes": "called"})").as_object(), anna_);
  ASSERT_TRUE(unrelated.has_value()) << unrelated.error().message();
  EXPECT_EQ(unrelated->custom_fields.at("segment"), "smb");
  auto stale = customers_->Update(
      c->id, json::parse(R"({"customFields": {"segment": "mid"}})").as_object(), anna_);
  ASSERT_FALSE(stale.has_value());
  EXPECT_THAT(Problems(stale.error()).at("customFields.segment"), HasSubstr("one of: enterprise"));

  // The declaration survives a restart.
  Open();
  EXPECT_EQ(schema_->CustomFields("customer")->size(), 3u);
  EXPECT_TRUE(schema_->CustomFields("contact")->empty());
}

TEST_F(SchemaTest, TheProfileIsTypedAndTheSensitiveFieldsAreKnown) {
  auto c = Create(R"({"name": "Stal-Pol", "category": "A", "customerType": "customer",
      "source": "Trade fair", "deliveryTerms": "DAP", "paymentTermsDays": 30, "satisfaction": "4",
      "currency": "PLN", "creditLimit": 150000, "team": "sales-north",
      "bankAccounts": [{"iban": "PL61 1090 1014 0000 0712 1981 2874", "label": "main"}]})");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->profile.at("source"), "trade-fair");  // by its label
  EXPECT_EQ(c->profile.at("satisfaction"), 4);
  EXPECT_EQ(c->profile.at("creditLimit"), "150000");
  EXPECT_EQ(c->bank_accounts.at(0).value, "PL61109010140000071219812874");
  EXPECT_THAT(c->SensitiveFields(), ::testing::ElementsAre("creditLimit", "bankAccounts"));
  const json::object hidden = c->ToJson(/*sensitive=*/false);
  EXPECT_FALSE(hidden.contains("creditLimit"));
  EXPECT_FALSE(hidden.contains("bankAccounts"));
  EXPECT_EQ(hidden.at("withheld"), json::parse(R"(["creditLimit", "bankAccounts"])"));
  EXPECT_EQ(c->ToJson().at("creditLimit"), "150000");
  EXPECT_THAT(SensitiveFieldsIn(json::parse(R"({"taxId": "44051401359"})").as_object()),
              ::testing::ElementsAre("taxId"));
  EXPECT_TRUE(SensitiveFieldsIn(json::parse(R"({"taxId": "5261040828"})").as_object()).empty());

  auto bad = Create(R"({"name": "X", "category": "Z", "paymentTermsDays": 400, "satisfaction": 0,
      "currency": "zł", "creditLimit": "12,5.5", "bankAccounts": ["PL61 1090 1014 0000 0712 1981 2875"]})");
  ASSERT_FALSE(bad.has_value());
  const auto problems = Problems(bad.error());
  EXPECT_THAT(problems.at("category"), HasSubstr("one of: A, B, C"));
  EXPECT_THAT(problems.at("paymentTermsDays"), HasSubstr("at most 365"));
  EXPECT_THAT(problems.at("satisfaction"), HasSubstr("at least 1"));
  EXPECT_THAT(problems.at("currency"), HasSubstr("pattern"));
  EXPECT_THAT(problems.at("creditLimit"), HasSubstr("pattern"));
  EXPECT_THAT(problems.at("bankAccounts[0].iban"), HasSubstr("checksum"));

  // The export's columns carry the profile; without `sensitive` its sensitive cells are empty.
  const std::string line = CustomerCsvLine(*c, ';', {}, /*sensitive=*/false);
  EXPECT_THAT(line, HasSubstr("trade-fair"));
  EXPECT_THAT(line, Not(HasSubstr("150000")));
  EXPECT_THAT(line, Not(HasSubstr("PL6110")));
  EXPECT_THAT(CustomerCsvLine(*c, ';'), HasSubstr("PL61109010140000071219812874"));
  EXPECT_THAT(CustomersCsvHeader(';'), HasSubstr(";Industry;Category;Customer type;"));

  // Erasure keeps the classification, drops the credit limit and the accounts.
  auto erased = customers_->Erase(c->id, anna_);
  ASSERT_TRUE(erased.has_value());
  EXPECT_EQ(erased->profile.at("category"), "A");
  EXPECT_FALSE(erased->profile.contains("creditLimit"));
  EXPECT_TRUE(erased->bank_accounts.empty());
}

TEST_F(SchemaTest, ContactPersonsAndActivitiesCarryCustomFieldsOfTheirOwn) {
  ASSERT_TRUE(schema_
                  ->PutCustomFields("contact", json::parse(R"([
      {"name": "birthday", "type": "date"}, {"name": "decisionMaker", "type": "boolean"}])"),
                                    anna_)
                  .has_value());
  ASSERT_TRUE(schema_
                  ->PutCustomFields("activity", json::parse(R"([
      {"name": "value", "type": "number", "min": 0, "required": true}])"),
                                    anna_)
                  .has_value());
  ContactStore contacts(*store_, *audit_, clock_, *customers_);
  auto person = contacts.Create(json::parse(R"({"firstName": "Ewa", "lastName": "Nowak",
                      "customFields": {"birthday": "1980-02-30"}})")
                                    .as_object(),
                                anna_);
  ASSERT_FALSE(person.has_value());
  EXPECT_THAT(Problems(person.error()).at("customFields.birthday"),
              HasSubstr("not a calendar date"));
  person = contacts.Create(json::parse(R"({"firstName": "Ewa", "lastName": "Nowak",
      "customFields": {"birthday": "1980-02-28", "decisionMaker": "tak"}})")
                               .as_object(),
                           anna_);
  ASSERT_TRUE(person.has_value()) << person.error().message();
  EXPECT_EQ(contacts.Get(person->id)->custom_fields.at("decisionMaker"), true);
  EXPECT_EQ(person->ToJson().at("customFields").at("birthday"), "1980-02-28");

  ResourceStore resources(*store_, *audit_, clock_);
  ActivityStore activities(*store_, *audit_, clock_, *customers_, resources);
  auto call = activities.Create(
      json::parse(R"({"type": "call", "start": "2026-12-07T10:00:00Z"})").as_object(), anna_);
  ASSERT_FALSE(call.has_value());
  EXPECT_THAT(Problems(call.error()).at("customFields.value"), HasSubstr("is required"));
  call = activities.Create(json::parse(R"({"type": "call", "start": "2026-12-07T10:00:00Z",
                                           "customFields": {"value": 1200.5}})")
                               .as_object(),
                           anna_);
  ASSERT_TRUE(call.has_value()) << call.error().message();
  auto moved =
      activities.Update(call->id, json::parse(R"({"outcome": "interested"})").as_object(), anna_);
  ASSERT_TRUE(moved.has_value()) << moved.error().message();
  EXPECT_EQ(activities.Get(call->id)->custom_fields.at("value"), 1200.5);
}

TEST_F(SchemaTest, ImportsFillTheProfileAndCustomFieldsNamingTheColumnOfAMistake) {
  ASSERT_TRUE(schema_
                  ->PutCustomFields("customer", json::parse(R"([
      {"name": "employees", "label": "Liczba pracowników", "type": "long", "min": 0}])"),
                                    anna_)
                  .has_value());
  ContactStore contacts(*store_, *audit_, clock_, *customers_);
  ResourceStore resources(*store_, *audit_, clock_);
  ActivityStore activities(*store_, *audit_, clock_, *customers_, resources);
  Importer importer(*customers_, contacts, activities, [this] { return clock_.Now(); });
  ImportOptions options;
  options.kind = "customers";
  const std::string csv =
      "Nazwa;Branża;Źródło pozyskania;Termin płatności;Liczba pracowników;IBAN\n"
      "Piekarnia Nowak;Construction;Referral;14;25;PL61 1090 1014 0000 0712 1981 2874\n"
      "Zła Firma;kosmos;Referral;14;-1;\n";
  auto report = importer.Run(csv, options, anna_);
  ASSERT_TRUE(report.has_value()) << report.error().message();
  EXPECT_EQ(report->created, 0u);  // nothing half-imported
  ASSERT_EQ(report->errors.size(), 2u) << report->ToJson();
  EXPECT_EQ(report->errors[0].column, "Branża");
  EXPECT_EQ(report->errors[1].column, "Liczba pracowników");
  options.skip_bad_rows = true;
  report = importer.Run(csv, options, anna_);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->created, 1u);
  auto c = customers_->Get(1);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->profile.at("industry"), "construction");
  EXPECT_EQ(c->profile.at("source"), "referral");
  EXPECT_EQ(c->profile.at("paymentTermsDays"), 14);
  EXPECT_EQ(c->custom_fields.at("employees"), 25);
  EXPECT_EQ(c->bank_accounts.at(0).value, "PL61109010140000071219812874");
}

}  // namespace
}  // namespace quire::crm
