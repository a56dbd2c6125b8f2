#include "quire/crm/offers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <poppler-document.h>
#include <poppler-page.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "quire/base/instant.h"
#include "quire/crm/offer_pdf.h"
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

class OffersTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    offers_.reset();
    products_.reset();
    contacts_.reset();
    customers_.reset();
    schema_.reset();
    audit_.reset();
    store_.reset();
    store_ = std::move(*storage::Store::Open(dir_.path() / "data"));
    audit_ = std::move(*audit::AuditLog::Open(*store_, dir_.path()));
    schema_ = std::make_unique<CrmSchema>(*store_, *audit_, clock_);
    customers_ = std::make_unique<CustomerStore>(*store_, *audit_, clock_, schema_.get());
    contacts_ = std::make_unique<ContactStore>(*store_, *audit_, clock_, *customers_);
    products_ = std::make_unique<ProductStore>(*store_, *audit_, clock_, *customers_);
    offers_ =
        std::make_unique<OfferStore>(*store_, *audit_, clock_, *customers_, *contacts_, *products_);
    if (customer_ == 0) {
      customer_ = customers_
                      ->Create(J(R"({"name": "Hurtownia Kowalski", "category": "A",
                                     "paymentTermsDays": 30, "deliveryTerms": "DAP"})"),
                               anna_)
                      ->id;
      desk_ = products_
                  ->Create(J(R"({"code": "BIU-120", "name": "Biurko 120 cm", "taxRate": "23",
                                 "prices": [{"currency": "PLN", "unitPrice": "899.00"},
                                            {"currency": "EUR", "unitPrice": "210.00"}]})"),
                           anna_)
                  ->id;
      book_ = products_
                  ->Create(J(R"({"code": "KS-01", "name": "Katalog wzorów", "taxRate": "5",
                                 "unit": "egz.",
                                 "prices": [{"currency": "PLN", "unitPrice": "49.99"}]})"),
                           anna_)
                  ->id;
    }
  }

  Result<Offer> Offer2Lines() {
    return offers_->Create(J(R"({"customer": ")" + std::to_string(customer_) + R"(",
        "lines": [{"product": ")" +
                             std::to_string(desk_) +
                             R"(", "quantity": 3, "discountPercent": "10"},
                  {"product": )" +
                             std::to_string(book_) +
                             R"(, "quantity": "2"},
                  {"name": "Montaż", "unit": "h", "quantity": "1.5", "unitPrice": "120.00",
                   "taxRate": "8"}]})"),
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
  std::unique_ptr<OfferStore> offers_;
  const audit::Actor anna_{"anna"};
  const audit::Actor jan_{"jan"};
  CustomerId customer_ = 0;
  ProductId desk_ = 0, book_ = 0;
};

TEST_F(OffersTest, ProductsAreCheckedAndTheirCodesAreUnique) {
  auto bad = products_->Create(J(R"({"code": "", "name": "X", "kind": "thing", "taxRate": "22",
      "prices": [{"currency": "PLN", "unitPrice": 10}, {"currency": "ZŁ", "unitPrice": "1"},
                 {"currency": "PLN", "unitPrice": "1.23456"}], "warrantyMonths": -1,
      "colour": "red"})"),
                               anna_);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kValidationFailed);
  const auto p = Problems(bad.error());
  EXPECT_THAT(p.at("code"), HasSubstr("required"));
  EXPECT_THAT(p.at("kind"), HasSubstr("product or service"));
  EXPECT_THAT(p.at("taxRate"), HasSubstr("not in the tax-rates dictionary"));
  EXPECT_THAT(p.at("prices[0].unitPrice"), HasSubstr("decimal string"));
  EXPECT_THAT(p.at("prices[1].currency"), HasSubstr("ISO 4217"));
  EXPECT_THAT(p.at("prices[2].unitPrice"), HasSubstr("more than 4 digits"));
  EXPECT_THAT(p.at("warrantyMonths"), HasSubstr("between 0 and 600"));
  EXPECT_THAT(p.at("colour"), HasSubstr("not a field of a product"));
  auto again = products_->Create(J(R"({"code": "BIU-120", "name": "Inne biurko"})"), anna_);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kConflict);
  EXPECT_THAT(again.error().message(), HasSubstr("product " + std::to_string(desk_)));
  // Found by code, listed by a folded search of code and name.
  EXPECT_EQ((*products_->FindByCode("KS-01"))->id, book_);
  auto found = products_->List("katalog wzorow", false, 10, "");
  ASSERT_TRUE(found.has_value());
  ASSERT_EQ(found->products.size(), 1u);
  EXPECT_EQ(found->products[0].id, book_);
  EXPECT_EQ(found->products[0].ToJson().at("prices").at(0).at("unitPrice"), "49.99");
  // Inactive products are listed only when asked.
  ASSERT_TRUE(products_->Update(book_, J(R"({"active": false})"), anna_));
  EXPECT_EQ(products_->List("", false, 10, "")->products.size(), 1u);
  EXPECT_EQ(products_->List("", true, 10, "")->products.size(), 2u);
  // Paged by code.
  auto first = products_->List("", true, 1, "");
  EXPECT_EQ(first->next, "BIU-120");
  EXPECT_EQ(products_->List("", true, 1, first->next)->products.at(0).code, "KS-01");
}

TEST_F(OffersTest, PriceListsSuggestTheMostSpecificValidPrice) {
  const auto day = *ParseDay("2026-12-10");
  EXPECT_EQ(products_->Suggest(desk_, customer_, "PLN", day)->unit_price, 8'990'000);
  // For everyone, for category A, for the customer itself: the most specific wins.
  ASSERT_TRUE(products_->CreatePriceList(
      J(R"({"name": "Promocja", "currency": "PLN", "entries": [{"product": ")" +
        std::to_string(desk_) + R"(", "unitPrice": "850.00"}]})"),
      anna_));
  EXPECT_EQ(products_->Suggest(desk_, customer_, "PLN", day)->unit_price, 8'500'000);
  ASSERT_TRUE(products_->CreatePriceList(
      J(R"({"name": "Kategoria A", "currency": "PLN", "customerCategory": "A",
           "validFrom": "2026-12-01", "validTo": "2026-12-31",
           "entries": [{"product": ")" +
        std::to_string(desk_) + R"(", "discountPercent": "12.5"}]})"),
      anna_));
  auto a = products_->Suggest(desk_, customer_, "PLN", day);
  EXPECT_EQ(a->unit_price, 8'990'000);
  EXPECT_EQ(a->discount, 125'000);
  EXPECT_EQ(a->ToJson("PLN").at("source").at("name"), "Kategoria A");
  // Outside its dates it does not apply.
  EXPECT_EQ(products_->Suggest(desk_, customer_, "PLN", *ParseDay("2027-01-01"))->unit_price,
            8'500'000);
  ASSERT_TRUE(products_->CreatePriceList(
      J(R"({"name": "Kowalski", "currency": "PLN", "customer": ")" + std::to_string(customer_) +
        R"(", "entries": [{"product": ")" + std::to_string(desk_) + R"(", "unitPrice": "799"}]})"),
      anna_));
  EXPECT_EQ(products_->Suggest(desk_, customer_, "PLN", day)->unit_price, 7'990'000);
  // Another customer gets the price for everyone; no price in a currency is said so.
  EXPECT_EQ(products_->Suggest(desk_, 0, "PLN", day)->unit_price, 8'500'000);
  auto none = products_->Suggest(book_, customer_, "EUR", day);
  ASSERT_FALSE(none.has_value());
  EXPECT_THAT(none.error().message(), HasSubstr("no price in EUR"));
  // Bad price lists are refused field by field.
  auto bad = products_->CreatePriceList(
      J(R"({"name": "", "currency": "XXX", "customer": "999", "customerCategory": "Z",
           "validFrom": "2026-12-31", "validTo": "2026-02-30",
           "entries": [{"product": "77"}, {"product": ")" +
        std::to_string(desk_) + R"(", "discountPercent": 120}]})"),
      anna_);
  ASSERT_FALSE(bad.has_value());
  const auto p = Problems(bad.error());
  EXPECT_THAT(p.at("name"), HasSubstr("required"));
  EXPECT_THAT(p.at("currency"), HasSubstr("ISO 4217"));
  EXPECT_THAT(p.at("customer"), HasSubstr("does not exist"));
  EXPECT_THAT(p.at("validTo"), HasSubstr("not a day"));
  EXPECT_THAT(p.at("entries[0].product"), HasSubstr("does not exist"));
  EXPECT_THAT(p.at("entries[1].discountPercent"), HasSubstr("between 0 and 100"));
}

TEST_F(OffersTest, AnOfferFillsItselfFromProductsPricesAndTheCustomersTerms) {
  auto o = Offer2Lines();
  ASSERT_TRUE(o.has_value()) << o.error().message() << " "
                             << (o.error().details().empty() ? ""
                                                             : o.error().details()[0].field + ": " +
                                                                   o.error().details()[0].message);
  EXPECT_EQ(o->number, "OF/2026/" + std::to_string(o->id));
  EXPECT_EQ(o->status, "draft");
  EXPECT_EQ(o->owner, "anna");
  EXPECT_EQ(o->payment_terms_days, 30);
  EXPECT_EQ(o->delivery_terms, "DAP");
  EXPECT_EQ(FormatDay(*o->valid_until), "2027-01-05");  // 30 days by default
  const json::object j = o->ToJson();
  // 3 × 899.00 − 10 % = 2427.30; 2 × 49.99 = 99.98; 1.5 h × 120.00 = 180.00.
  EXPECT_EQ(j.at("lines").at(0).at("net"), "2427.30");
  EXPECT_EQ(j.at("lines").at(0).at("name"), "Biurko 120 cm");
  EXPECT_EQ(j.at("lines").at(1).at("unit"), "egz.");
  EXPECT_EQ(j.at("lines").at(1).at("net"), "99.98");
  EXPECT_EQ(j.at("lines").at(2).at("quantity"), "1.5");
  // Tax per rate on the summed net: 23 % of 2427.30 = 558.279 → 558.28; 5 % of 99.98 =
  // 4.999 → 5.00; 8 % of 180.00 = 14.40.
  EXPECT_EQ(j.at("totals").at("net"), "2707.28");
  EXPECT_EQ(j.at("totals").at("tax"), "577.68");
  EXPECT_EQ(j.at("totals").at("gross"), "3284.96");
  EXPECT_EQ(j.at("totals").at("byRate").as_array().size(), 3u);
  EXPECT_EQ(j.at("totals").at("byRate").at(1).at("tax"), "5.00");
  // Read back the same, also after a restart.
  Open();
  EXPECT_EQ(offers_->Get(o->id)->ToJson(), j);
}

TEST_F(OffersTest, BadOffersAreRefusedLineByLine) {
  auto bad = offers_->Create(J(R"({"customer": "999", "currency": "PLZ", "validUntil": "2026-01-01",
      "lines": [{"quantity": 1}, {"product": "555", "quantity": 1},
                {"name": "X", "quantity": 0, "unitPrice": 10},
                {"name": "Y", "unitPrice": "1.00", "taxRate": "17", "discountPercent": "-1"}]})"),
                             anna_);
  ASSERT_FALSE(bad.has_value());
  const auto p = Problems(bad.error());
  EXPECT_THAT(p.at("customer"), HasSubstr("does not exist"));
  EXPECT_THAT(p.at("currency"), HasSubstr("ISO 4217"));
  EXPECT_THAT(p.at("validUntil"), HasSubstr("has passed"));
  EXPECT_THAT(p.at("lines[0].name"), HasSubstr("required"));
  EXPECT_THAT(p.at("lines[0].unitPrice"), HasSubstr("required"));
  EXPECT_THAT(p.at("lines[1].product"), HasSubstr("product 555 does not exist"));
  EXPECT_THAT(p.at("lines[2].quantity"), HasSubstr("more than 0"));
  EXPECT_THAT(p.at("lines[2].unitPrice"), HasSubstr("decimal string"));
  EXPECT_THAT(p.at("lines[3].taxRate"), HasSubstr("tax-rates"));
  EXPECT_THAT(p.at("lines[3].discountPercent"), HasSubstr("between 0 and 100"));
  auto empty = offers_->Create(
      J(R"({"customer": ")" + std::to_string(customer_) + R"(", "lines": []})"), anna_);
  ASSERT_FALSE(empty.has_value());
  EXPECT_THAT(Problems(empty.error()).at("lines"), HasSubstr("at least one line"));
}

TEST_F(OffersTest, AcceptanceLocksAndAChangeIsANewRevision) {
  auto o = Offer2Lines();
  ASSERT_TRUE(o.has_value());
  ASSERT_TRUE(offers_->Update(o->id, J(R"({"notes": "Dostawa w 14 dni"})"), anna_));
  ASSERT_TRUE(offers_->Send(o->id, anna_));
  // Over the acceptor's limit: refused, naming the limit.
  const AcceptanceLimits staff{{{"staff", {{"PLN", 200'000}}}}};
  auto over = offers_->Accept(o->id, &staff, {"staff"}, jan_);
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().code(), ErrorCode::kForbidden);
  EXPECT_THAT(over.error().message(), HasSubstr("2000.00 PLN"));
  clock_.Advance(std::chrono::hours(1));
  auto accepted = offers_->Accept(o->id, nullptr, {"staff"}, jan_);
  ASSERT_TRUE(accepted.has_value());
  EXPECT_EQ(accepted->status, "accepted");
  // Locked: every change refused, naming who accepted it and when.
  for (const char* patch : {R"({"notes": "x"})", R"({"lines": []})", R"({"customer": null})"}) {
    auto edit = offers_->Update(o->id, J(patch), anna_);
    ASSERT_FALSE(edit.has_value());
    EXPECT_EQ(edit.error().code(), ErrorCode::kConflict);
    EXPECT_THAT(edit.error().message(), HasSubstr("accepted by jan at 2026-12-06T10:00:00.000Z"));
  }
  EXPECT_EQ(offers_->Accept(o->id, nullptr, {"staff"}, jan_).error().code(), ErrorCode::kConflict);
  EXPECT_EQ(offers_->Reject(o->id, "", jan_).error().code(), ErrorCode::kConflict);
  EXPECT_EQ(offers_->Get(o->id)->notes, "Dostawa w 14 dni");
  // A revision: a draft with the change, the same number, linked both ways.
  auto r2 = offers_->Revise(o->id, J(R"({"notes": "Dostawa w 7 dni"})"), anna_);
  ASSERT_TRUE(r2.has_value()) << r2.error().message();
  EXPECT_EQ(r2->number, o->number);
  EXPECT_EQ(r2->revision, 2);
  EXPECT_EQ(r2->previous, o->id);
  EXPECT_EQ(r2->status, "draft");
  EXPECT_EQ(r2->notes, "Dostawa w 7 dni");
  EXPECT_EQ(r2->totals.gross, o->totals.gross);
  const Offer old = *offers_->Get(o->id);
  EXPECT_EQ(old.next, r2->id);
  EXPECT_EQ(old.status, "superseded");
  EXPECT_EQ(offers_->Revise(o->id, json::object(), anna_).error().code(), ErrorCode::kConflict);
  // Audited with ids, not the offer's text.
  const std::string chain = Chain();
  EXPECT_THAT(chain, HasSubstr("offer.accepted"));
  EXPECT_THAT(chain, HasSubstr("offer.revised"));
  EXPECT_THAT(chain, Not(HasSubstr("Dostawa")));
}

TEST_F(OffersTest, OffersExpireWhenTheirDayEndsEvenAcrossARestart) {
  auto o = offers_->Create(J(R"({"customer": ")" + std::to_string(customer_) +
                             R"(", "validUntil": "2026-12-08",
      "lines": [{"name": "Usługa", "quantity": 1, "unitPrice": "100.00"}]})"),
                           anna_);
  ASSERT_TRUE(o.has_value());
  ASSERT_TRUE(offers_->Send(o->id, anna_));
  // 2026-12-08 23:30 in Warsaw: still valid.
  clock_.Set(*ParseInstant("2026-12-08T22:30:00.000Z"));
  EXPECT_EQ(*offers_->ExpireDue(clock_.Now(), {"system"}), 0u);
  // Stopped over the end of the day; the expiry happens at the next start.
  clock_.Set(*ParseInstant("2026-12-09T08:00:00.000Z"));
  Open();
  EXPECT_EQ(offers_->Accept(o->id, nullptr, {"staff"}, jan_).error().code(), ErrorCode::kConflict);
  EXPECT_EQ(*offers_->ExpireDue(clock_.Now(), {"system"}), 1u);
  EXPECT_EQ(offers_->Get(o->id)->status, "expired");
  EXPECT_EQ(*offers_->ExpireDue(clock_.Now(), {"system"}), 0u);
  EXPECT_EQ(offers_->Update(o->id, J(R"({"notes": "x"})"), anna_).error().code(),
            ErrorCode::kConflict);
  // Its revision is valid anew.
  auto r2 = offers_->Revise(o->id, json::object(), anna_);
  ASSERT_TRUE(r2.has_value()) << r2.error().message();
  EXPECT_EQ(FormatDay(*r2->valid_until), "2027-01-08");
}

TEST_F(OffersTest, AnAcceptedOfferBecomesAnOrderThatIsPaid) {
  auto o = Offer2Lines();
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(offers_->MakeOrder(o->id, {}, anna_).error().code(), ErrorCode::kConflict);
  ASSERT_TRUE(offers_->Accept(o->id, nullptr, {"staff"}, jan_));
  auto order = offers_->MakeOrder(o->id, J(R"({"expectedDelivery": "2026-12-20"})"), anna_);
  ASSERT_TRUE(order.has_value()) << order.error().message();
  EXPECT_EQ(order->offer, o->id);
  EXPECT_EQ(order->lines, o->lines);
  EXPECT_EQ(order->totals.gross, 328'496);
  EXPECT_EQ(offers_->Get(o->id)->order, order->id);
  auto twice = offers_->MakeOrder(o->id, {}, anna_);
  EXPECT_EQ(twice.error().code(), ErrorCode::kConflict);
  EXPECT_THAT(twice.error().message(), HasSubstr("order " + std::to_string(order->id)));
  // A revision of an ordered offer leaves it accepted.
  ASSERT_TRUE(offers_->Revise(o->id, {}, anna_));
  EXPECT_EQ(offers_->Get(o->id)->status, "accepted");
  // Delivered, invoiced; due 30 days after the invoice.
  ASSERT_TRUE(offers_->UpdateOrder(order->id, J(R"({"status": "delivered"})"), anna_));
  EXPECT_EQ(offers_->UpdateOrder(order->id, J(R"({"status": "confirmed"})"), anna_).error().code(),
            ErrorCode::kConflict);
  EXPECT_EQ(offers_->UpdateOrder(order->id, J(R"({"status": "paid"})"), anna_).error().code(),
            ErrorCode::kConflict);
  auto invoiced = offers_->UpdateOrder(
      order->id, J(R"({"status": "invoiced", "invoiceNumber": "FV/12/2026"})"), anna_);
  ASSERT_TRUE(invoiced.has_value());
  EXPECT_EQ(FormatDay(invoiced->due()), "2027-01-05");
  ASSERT_EQ(offers_->Unpaid()->size(), 1u);
  EXPECT_FALSE(invoiced->overdue(*ParseDay("2027-01-05")));
  EXPECT_TRUE(invoiced->overdue(*ParseDay("2027-01-06")));
  // Payments: more than is outstanding is refused; the last one makes it paid.
  auto too_much = offers_->AddPayment(order->id, J(R"({"amount": "5000.00"})"), anna_);
  ASSERT_FALSE(too_much.has_value());
  EXPECT_THAT(Problems(too_much.error()).at("amount"), HasSubstr("3284.96 PLN outstanding"));
  EXPECT_FALSE(offers_->AddPayment(order->id, J(R"({"amount": 100})"), anna_));
  auto part = offers_->AddPayment(order->id,
                                  J(R"({"amount": "1000.00", "reference": "przelew 1"})"), anna_);
  ASSERT_TRUE(part.has_value());
  EXPECT_EQ(part->ToJson(*ParseDay("2026-12-06")).at("outstanding"), "2284.96");
  EXPECT_EQ(part->status, "invoiced");
  auto rest =
      offers_->AddPayment(order->id, J(R"({"amount": "2284.96", "date": "2026-12-06"})"), anna_);
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(rest->status, "paid");
  EXPECT_EQ(rest->outstanding(), 0);
  EXPECT_TRUE(offers_->Unpaid()->empty());
  EXPECT_EQ(offers_->UpdateOrder(order->id, J(R"({"status": "cancelled"})"), anna_).error().code(),
            ErrorCode::kConflict);
  // Kept across a restart, listed per customer.
  Open();
  EXPECT_EQ(offers_->GetOrder(order->id)->payments.size(), 2u);
  auto listed = offers_->Orders(customer_, 10, 0, [](const Order&) { return true; });
  ASSERT_EQ(listed->size(), 1u);
  auto offers = offers_->List(customer_, 10, 0, [](const Offer&) { return true; });
  ASSERT_EQ(offers->size(), 2u);
  EXPECT_GT(offers->at(0).id, offers->at(1).id);  // newest first
  EXPECT_EQ(
      offers_->List(customer_, 10, offers->at(0).id, [](const Offer&) { return true; })->size(),
      1u);
}

TEST_F(OffersTest, ARevisionKeepsARejectedOutcomeAndLinesOfProductsSinceWithdrawn) {
  auto o = Offer2Lines();
  ASSERT_TRUE(o.has_value());
  ASSERT_TRUE(offers_->Reject(o->id, "Za drogo", jan_));
  // The desk is no longer sold; the revision keeps its line, a new offer may not have it.
  ASSERT_TRUE(products_->Update(desk_, J(R"({"active": false})"), anna_));
  auto r2 = offers_->Revise(o->id, J(R"({"notes": "Rabat 15 %"})"), anna_);
  ASSERT_TRUE(r2.has_value()) << r2.error().message();
  const Offer old = *offers_->Get(o->id);
  EXPECT_EQ(old.status, "rejected");
  EXPECT_EQ(old.rejected_reason, "Za drogo");
  EXPECT_EQ(old.next, r2->id);
  auto fresh = Offer2Lines();
  ASSERT_FALSE(fresh.has_value());
  EXPECT_THAT(Problems(fresh.error()).at("lines[0].product"), HasSubstr("inactive"));
}

TEST_F(OffersTest, OffersCreatedAtOnceGetTheirOwnIdsAndTheCountSurvivesARestart) {
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<OfferId> ids;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto o = offers_->Create(
            J(R"({"customer": ")" + std::to_string(customer_) + R"(", "lines": [{"product": ")" +
              std::to_string(desk_) + R"(", "quantity": 1}]})"),
            anna_);
        ASSERT_TRUE(o.has_value()) << o.error().message();
        std::lock_guard lock(mu);
        ids.insert(o->id);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(ids.size(), 100u);
  EXPECT_EQ(offers_->List(customer_, 1000, 0, [](const Offer&) { return true; })->size(), 100u);
  Open();
  auto next = Offer2Lines();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->id, *ids.rbegin() + 1);
}

TEST_F(OffersTest, AcceptanceLimitsArePerRoleAndCurrency) {
  auto limits = offers_->PutLimits(J(R"({"limits": {"staff": {"PLN": "20000.00"},
                                                      "supervisor": {"PLN": "100000.00",
                                                                     "EUR": "25000.00"}}})"),
                                   anna_);
  ASSERT_TRUE(limits.has_value());
  EXPECT_EQ(limits->LimitOf({"staff"}, "PLN"), 2'000'000);
  EXPECT_EQ(limits->LimitOf({"staff"}, "EUR"), 0);  // a limited role, not in that currency
  EXPECT_EQ(limits->LimitOf({"staff", "supervisor"}, "PLN"), 10'000'000);
  EXPECT_EQ(limits->LimitOf({"staff", "administrator"}, "PLN"), std::nullopt);
  EXPECT_EQ(offers_->Limits()->ToJson(), limits->ToJson());
  auto bad = offers_->PutLimits(J(R"({"limits": {"staff": {"XYZ": "1", "PLN": 5}}})"), anna_);
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(Problems(bad.error()).at("limits.staff.XYZ"), HasSubstr("ISO 4217"));
  EXPECT_THAT(Problems(bad.error()).at("limits.staff.PLN"), HasSubstr("decimal string"));
}

std::string PageText(const poppler::document& doc, int page) {
  const std::unique_ptr<poppler::page> p(doc.create_page(page));
  const poppler::byte_array bytes = p->text().to_utf8();
  return std::string(bytes.begin(), bytes.end());
}

TEST_F(OffersTest, AnOfferPrintsWithTheLetterheadTotalsAndPolishLettersOnNumberedPages) {
  auto o = Offer2Lines();
  ASSERT_TRUE(o.has_value());
  // A letterhead is checked; until one is set, the default.
  EXPECT_EQ(ReadLetterhead(*store_)->name, "Quire");
  auto bad = WriteLetterhead(*audit_, J(R"({"name": "", "language": "de", "accent": "red"})"),
                             anna_, kNow);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(Problems(bad.error()).size(), 3u);
  ASSERT_TRUE(WriteLetterhead(*audit_, J(R"({"name": "Meble Żółć sp. z o.o.",
      "lines": ["ul. Świętokrzyska 12, 00-916 Warszawa", "NIP 526-104-08-28"],
      "footer": "Sąd Rejonowy dla m.st. Warszawy, KRS 0000123456"})"),
                              anna_, kNow));
  const Letterhead letterhead = *ReadLetterhead(*store_);
  const std::string pdf = OfferPdf(*o, letterhead, {"Hurtownia Kowalski", {"ul. Łąkowa 3"}},
                                   "2026-12-06", "Anna Nowak");
  ASSERT_TRUE(pdf.starts_with("%PDF"));
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(pdf.data(), static_cast<int>(pdf.size())));
  ASSERT_NE(doc, nullptr);
  ASSERT_EQ(doc->pages(), 1);
  const std::string text = PageText(*doc, 0);
  for (const std::string& held :
       {std::string("Meble Żółć"), std::string("Świętokrzyska"), std::string("OFERTA"), o->number,
        std::string("Hurtownia Kowalski"), std::string("Łąkowa"), std::string("Biurko 120 cm"),
        std::string("BIU-120"), std::string("Montaż"), std::string("427,30"), std::string("284,96"),
        std::string("577,68"), std::string("Strona 1 z 1"), std::string("Anna Nowak"),
        std::string("KRS 0000123456")}) {
    EXPECT_THAT(text, HasSubstr(held)) << text;
  }
  // Many lines: more pages, the table's header on each, numbered "of N".
  json::array lines;
  for (int i = 0; i < 70; ++i) {
    lines.push_back(
        json::object{{"name", "Pozycja " + std::to_string(i + 1) + " — zażółć gęślą jaźń"},
                     {"quantity", 1},
                     {"unitPrice", "10.00"}});
  }
  auto big = offers_->Create(
      json::object{{"customer", std::to_string(customer_)}, {"lines", std::move(lines)}}, anna_);
  ASSERT_TRUE(big.has_value()) << big.error().message();
  Letterhead english = letterhead;
  english.language = "en";
  const std::string many = OfferPdf(*big, english, {"Hurtownia Kowalski", {}}, "2026-12-06", "");
  doc.reset(poppler::document::load_from_raw_data(many.data(), static_cast<int>(many.size())));
  ASSERT_NE(doc, nullptr);
  ASSERT_GE(doc->pages(), 2);
  const int pages = doc->pages();
  for (int page = 0; page < pages; ++page) {
    const std::string t = PageText(*doc, page);
    EXPECT_THAT(t, HasSubstr("Unit price")) << page;
    EXPECT_THAT(t, HasSubstr("Page " + std::to_string(page + 1) + " of " + std::to_string(pages)));
  }
  EXPECT_THAT(PageText(*doc, 0), HasSubstr("Pozycja 1 — zażółć gęślą jaźń"));
  EXPECT_THAT(PageText(*doc, pages - 1), HasSubstr("Pozycja 70"));
  EXPECT_THAT(PageText(*doc, pages - 1), HasSubstr("861.00"));  // 700.00 + 23 %
}

}  // namespace
}  // namespace quire::crm

namespace quire::crm {
namespace {

TEST_F(OffersTest, APreviewPricesAndTotalsAsTheWriteWouldAndStoresNothing) {
  const std::string body = R"({"customer": ")" + std::to_string(customer_) +
                           R"(", "lines": [{"product": ")" + std::to_string(desk_) +
                           R"(", "quantity": 3, "discountPercent": "10"},
                  {"name": "Montaż", "unit": "h", "quantity": "1.5", "unitPrice": "120.00",
                   "taxRate": "8"}]})";
  const std::string chain_before = Chain();
  auto preview = offers_->Preview(J(body), anna_);
  ASSERT_TRUE(preview.has_value()) << preview.error().message();
  EXPECT_EQ(preview->id, 0u);
  EXPECT_EQ(Chain(), chain_before);  // nothing audited
  auto listed = offers_->List(customer_, 10, 0, [](const Offer&) { return true; });
  ASSERT_TRUE(listed.has_value());
  EXPECT_TRUE(listed->empty());  // nothing stored
  auto made = offers_->Create(J(body), anna_);
  ASSERT_TRUE(made.has_value());
  EXPECT_EQ(preview->totals.net, made->totals.net);
  EXPECT_EQ(preview->totals.tax, made->totals.tax);
  EXPECT_EQ(preview->totals.gross, made->totals.gross);
  // A change of a draft, as PATCH would make it.
  auto changed = offers_->Preview(J(R"({"lines": [{"name": "Montaż", "quantity": "2",
      "unitPrice": "100.00", "taxRate": "23"}]})"),
                                  anna_, made->id);
  ASSERT_TRUE(changed.has_value()) << changed.error().message();
  EXPECT_EQ(changed->totals.gross, 24600);  // 200.00 + 23 % in grosze
  EXPECT_EQ(offers_->Get(made->id)->totals.gross, made->totals.gross);
  // The same refusals as the write.
  auto bad = offers_->Preview(J(R"({"customer": "999999", "lines": []})"), anna_);
  ASSERT_FALSE(bad.has_value());
}

}  // namespace
}  // namespace quire::crm
