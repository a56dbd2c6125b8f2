#include "quire/crm/cases.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <map>
#include <sstream>

#include "quire/base/instant.h"
#include "quire/crm/schema.h"
#include "quire/testing/temp_dir.h"

namespace quire::crm {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr Timestamp kNow{std::chrono::milliseconds(1796547600000)};  // 2026-12-06 09:00 UTC

json::object J(std::string_view text) { return json::parse(text).as_object(); }

std::map<std::string, std::string> Problems(const Error& e) {
  std::map<std::string, std::string> out;
  for (const ErrorDetail& d : e.details()) out[d.field] = d.message;
  return out;
}

class CasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*storage::Store::Open(dir_.path() / "data"));
    audit_ = std::move(*audit::AuditLog::Open(*store_, dir_.path()));
    schema_ = std::make_unique<CrmSchema>(*store_, *audit_, clock_);
    customers_ = std::make_unique<CustomerStore>(*store_, *audit_, clock_, schema_.get());
    contacts_ = std::make_unique<ContactStore>(*store_, *audit_, clock_, *customers_);
    products_ = std::make_unique<ProductStore>(*store_, *audit_, clock_, *customers_);
    cases_ =
        std::make_unique<CaseStore>(*store_, *audit_, clock_, *customers_, *contacts_, *products_);
    customer_ = customers_->Create(J(R"({"name": "Biuro Rachunkowe Nowak"})"), anna_)->id;
    desk_ = products_
                ->Create(J(R"({"code": "BIU-160", "name": "Biurko regulowane",
                               "warrantyMonths": 24})"),
                         anna_)
                ->id;
  }

  Result<ServiceCase> Case(const std::string& extra) {
    return cases_->Create(J(R"({"customer": ")" + std::to_string(customer_) + "\"" + extra + "}"),
                          anna_);
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
  std::unique_ptr<CrmSchema> schema_;
  std::unique_ptr<CustomerStore> customers_;
  std::unique_ptr<ContactStore> contacts_;
  std::unique_ptr<ProductStore> products_;
  std::unique_ptr<CaseStore> cases_;
  const audit::Actor anna_{"anna"};
  CustomerId customer_ = 0;
  ProductId desk_ = 0;
};

TEST_F(CasesTest, AWarrantyEndsTheProductsWarrantyMonthsAfterThePurchase) {
  auto c = Case(R"(, "kind": "warranty", "product": ")" + std::to_string(desk_) +
                R"(", "purchaseDate": "2025-08-31", "serialNumber": "BIU-2025-00417",
                   "subject": "Silnik nie podnosi blatu", "priority": "high")");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(FormatDay(*c->warranty_end), "2027-08-31");
  EXPECT_EQ(c->number, "SR/2026/" + std::to_string(c->id));
  // Its SLA, from its priority: 4 hours to answer, 24 to resolve.
  EXPECT_EQ(FormatInstant(c->response_due), "2026-12-06T13:00:00.000Z");
  EXPECT_EQ(FormatInstant(c->resolution_due), "2026-12-07T09:00:00.000Z");
  // Bought too long ago for a warranty case: post-warranty, said so.
  auto old = Case(R"(, "kind": "warranty", "product": ")" + std::to_string(desk_) +
                  R"(", "purchaseDate": "2024-11-30", "subject": "Skrzypi")");
  ASSERT_FALSE(old.has_value());
  EXPECT_THAT(Problems(old.error()).at("kind"), HasSubstr("ended on 2026-11-30"));
  EXPECT_TRUE(Case(R"(, "kind": "post-warranty", "product": ")" + std::to_string(desk_) +
                   R"(", "purchaseDate": "2024-11-30", "subject": "Skrzypi")"));
  auto bad = cases_->Create(J(R"({"kind": "repair", "customer": "999", "priority": "asap",
      "status": "closed", "purchaseDate": "2025-02-30", "product": "77", "colour": "red"})"),
                            anna_);
  ASSERT_FALSE(bad.has_value());
  const auto p = Problems(bad.error());
  EXPECT_THAT(p.at("kind"), HasSubstr("complaint, warranty or post-warranty"));
  EXPECT_THAT(p.at("customer"), HasSubstr("does not exist"));
  EXPECT_THAT(p.at("priority"), HasSubstr("low, normal, high or urgent"));
  EXPECT_THAT(p.at("status"), HasSubstr("begins as new"));
  EXPECT_THAT(p.at("purchaseDate"), HasSubstr("not a day"));
  EXPECT_THAT(p.at("product"), HasSubstr("does not exist"));
  EXPECT_THAT(p.at("subject"), HasSubstr("required"));
  EXPECT_THAT(p.at("colour"), HasSubstr("not a field"));
}

TEST_F(CasesTest, ACaseMovesThroughItsLifeAndItsSlaBreachesAreFlagged) {
  auto c = Case(R"(, "subject": "Brak faktury korygującej", "priority": "urgent")");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_FALSE(c->response_breached(clock_.Now()));
  // Two hours without an answer: the response (1 hour) is breached.
  clock_.Advance(std::chrono::hours(2));
  EXPECT_TRUE(cases_->Get(c->id)->response_breached(clock_.Now()));
  auto breached = cases_->List(
      0, true, 10, 0, [&](const ServiceCase& s) { return s.response_breached(clock_.Now()); });
  ASSERT_EQ(breached->size(), 1u);
  auto working = cases_->Update(c->id, J(R"({"status": "in-progress", "assignee": "jan"})"), anna_);
  ASSERT_TRUE(working.has_value()) << working.error().message();
  EXPECT_EQ(FormatInstant(*working->responded_at), "2026-12-06T11:00:00.000Z");
  EXPECT_TRUE(working->response_breached(clock_.Now()));  // stays flagged: it was late
  EXPECT_FALSE(working->resolution_breached(clock_.Now()));
  // Moves its life does not allow: 409 naming them.
  auto closed = cases_->Update(c->id, J(R"({"status": "closed"})"), anna_);
  ASSERT_FALSE(closed.has_value());
  EXPECT_EQ(closed.error().code(), ErrorCode::kConflict);
  EXPECT_THAT(closed.error().message(), HasSubstr("does not move to closed"));
  // Resolving needs what was done.
  auto no_text = cases_->Update(c->id, J(R"({"status": "resolved"})"), anna_);
  ASSERT_FALSE(no_text.has_value());
  EXPECT_THAT(Problems(no_text.error()).at("resolution"), HasSubstr("what was done"));
  clock_.Advance(std::chrono::hours(3));
  auto resolved = cases_->Update(
      c->id, J(R"({"status": "resolved", "resolution": "Korekta wystawiona"})"), anna_);
  ASSERT_TRUE(resolved.has_value());
  EXPECT_FALSE(resolved->resolution_breached(clock_.Now() + std::chrono::hours(48)));
  // Reopened, resolved again, closed: closed for good.
  ASSERT_TRUE(cases_->Update(c->id, J(R"({"status": "in-progress"})"), anna_));
  EXPECT_FALSE(cases_->Get(c->id)->resolved_at.has_value());
  clock_.Advance(std::chrono::hours(5));  // 10 hours in all: past the 8 to resolve
  EXPECT_TRUE(cases_->Get(c->id)->resolution_breached(clock_.Now()));
  ASSERT_TRUE(cases_->Update(c->id, J(R"({"status": "resolved"})"), anna_));
  ASSERT_TRUE(cases_->Update(c->id, J(R"({"status": "closed"})"), anna_));
  auto after = cases_->Update(c->id, J(R"({"subject": "x"})"), anna_);
  EXPECT_EQ(after.error().code(), ErrorCode::kConflict);
  EXPECT_TRUE(cases_->List(0, true, 10, 0, [](const ServiceCase&) { return true; })->empty());
  EXPECT_EQ(cases_->List(customer_, false, 10, 0, [](const ServiceCase&) { return true; })->size(),
            1u);
  // Audited with ids, not what was written.
  EXPECT_THAT(Chain(), HasSubstr("case.changed"));
  EXPECT_THAT(Chain(), Not(HasSubstr("Korekta")));
}

TEST_F(CasesTest, TheSlaTableIsSetPerPriorityAndMovesTheDueTimes) {
  auto bad = cases_->PutSla(J(R"({"urgent": {"responseHours": 0, "resolutionHours": 2},
                                  "asap": {}, "high": {"responseHours": 8,
                                  "resolutionHours": 4}})"),
                            anna_);
  ASSERT_FALSE(bad.has_value());
  const auto p = Problems(bad.error());
  EXPECT_THAT(p.at("urgent.responseHours"), HasSubstr("more than 0"));
  EXPECT_THAT(p.at("asap"), HasSubstr("not a priority"));
  EXPECT_THAT(p.at("high.resolutionHours"), HasSubstr("shorter than the response"));
  ASSERT_TRUE(
      cases_->PutSla(J(R"({"normal": {"responseHours": 2, "resolutionHours": 16.5}})"), anna_));
  EXPECT_EQ(cases_->Sla()->by_priority.at("normal").resolution, std::chrono::minutes(990));
  EXPECT_EQ(cases_->Sla()->by_priority.at("urgent").response, std::chrono::hours(1));  // as it was
  auto c = Case(R"(, "subject": "Pytanie o fakturę")");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(FormatInstant(c->response_due), "2026-12-06T11:00:00.000Z");
  auto urgent = cases_->Update(c->id, J(R"({"priority": "urgent"})"), anna_);
  EXPECT_EQ(FormatInstant(urgent->response_due), "2026-12-06T10:00:00.000Z");
  EXPECT_EQ(urgent->ToJson(clock_.Now()).at("responseDueAt"), "2026-12-06T10:00:00.000Z");
}

TEST_F(CasesTest, AnExternalIdNamesOneCase) {
  auto c = Case(R"(, "subject": "Zgłoszenie z portalu", "externalId": "portal-17")");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(cases_->FindByExternalId("portal-17")->value_or(0), c->id);
  auto again = Case(R"(, "subject": "To samo", "externalId": "portal-17")");
  ASSERT_FALSE(again.has_value());
  EXPECT_THAT(Problems(again.error()).at("externalId"), HasSubstr("has it already"));
  ASSERT_TRUE(cases_->Update(c->id, J(R"({"externalId": "portal-18"})"), anna_));
  EXPECT_FALSE(cases_->FindByExternalId("portal-17")->has_value());
  EXPECT_EQ(cases_->FindByExternalId("portal-18")->value_or(0), c->id);
}

}  // namespace
}  // namespace quire::crm
