#include "quire/crm/segments.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "quire/base/instant.h"
#include "quire/crm/activities.h"
#include "quire/crm/cases.h"
#include "quire/crm/classes.h"
#include "quire/crm/customer_metrics.h"
#include "quire/crm/customers.h"
#include "quire/crm/filter.h"
#include "quire/crm/kpis.h"
#include "quire/crm/names.h"
#include "quire/crm/offers.h"
#include "quire/crm/recurrence.h"
#include "quire/crm/schema.h"
#include "quire/crm/segment_index.h"
#include "quire/testing/temp_dir.h"

namespace quire::crm {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

constexpr Timestamp kNow{std::chrono::milliseconds(1796547600000)};  // 2026-12-06 09:00 UTC

json::object J(std::string_view text) { return json::parse(text).as_object(); }

// ---- The language ----------------------------------------------------------------------------

TEST(FilterText, ParsesWhatTheDocumentationShowsAndPrintsItBackTheSame) {
  for (std::string text : {
           R"(city = "Kraków" and tag = vip)",
           "category in (A, B) or not kind = person",
           "createdAt >= 2025-01-01 and satisfaction >= 4",
           "custom.region = north",
           "has activity (type = meeting and start >= today - 90d)",
           "no order (date >= today - 12m)",
           "sum order.gross (status = paid and date >= startOfYear) > 50000",
           "count offer (status = sent) >= 2",
           "has case (open)",
           "campaign = 12",
           R"(name ~ "kowal")",
           "NOT (city = Gdańsk OR city = Gdynia) AND tag != lost",
           "owner not in (anna, jan) and paymentTermsDays < 30.5",
           "has order (overdue and currency = EUR)",
       }) {
    auto f = ParseFilterText(text);
    ASSERT_TRUE(f.has_value()) << text << ": " << f.error().message();
    const std::string printed = f->ToText();
    auto again = ParseFilterText(printed);
    ASSERT_TRUE(again.has_value()) << printed << ": " << again.error().message();
    EXPECT_EQ(again->ToText(), printed) << text;
    auto from_json = ParseFilterJson(f->ToJson());
    ASSERT_TRUE(from_json.has_value())
        << json::serialize(f->ToJson()) << ": " << from_json.error().message();
    EXPECT_EQ(from_json->ToText(), printed) << json::serialize(f->ToJson());
  }
}

TEST(FilterText, AndBindsTighterThanOrAndParenthesesGroup) {
  EXPECT_EQ(ParseFilterText("kind = a or kind = b and tag = c")->ToText(),
            R"(kind = "a" or (kind = "b" and tag = "c"))");
  EXPECT_EQ(ParseFilterText("(kind = a or kind = b) and tag = c")->ToText(),
            R"((kind = "a" or kind = "b") and tag = "c")");
}

struct BadText {
  std::string text;
  std::string where;    // the detail's field
  std::string message;  // part of the message
};

TEST(FilterText, ErrorsSayWhereAndWhatWouldBeRight) {
  for (const BadText& bad : std::vector<BadText>{
           {"ctiy = Kraków", "text:1:1", "did you mean 'city'?"},
           {"city = ", "text:1:8", "expected a value for city, found the end of the filter"},
           {"(city = a", "text:1:10", "expected ')' to close the '(' at line 1, column 1"},
           {"city = a and", "text:1:13", "expected a field name"},
           {"satisfaction >= high", "text:1:17", "'high' is not a number"},
           {"createdAt > yesterday", "text:1:13", "a day like 2026-01-31, today"},
           {"city = a\n  and  colour = red", "text:2:8", "customers have no field 'colour'"},
           {"has activity (has order)", "text:1:15", "cannot hold another"},
           {"has invoice (paid)", "text:1:5", "'invoice' is no kind of record"},
           {"sum order (paid) > 5", "text:1:5", "sum needs the field to add up"},
           {"sum order.status > 5", "text:1:5", "only amounts of money can be added up"},
           {"count offer (status = sent)", "text:1:28", "expected a comparison"},
           {"city = \"Kraków", "text:1:8", "this quoted text is not closed"},
           {"city = a b", "text:1:10", "expected 'and', 'or' or the end of the filter"},
           {"satisfaction ~ 4", "text:1:14", "~ (contains) compares text"},
           {"has customer (city = a)", "text:1:1", "customers are filtered directly"},
           {"city ! a", "text:1:6", "'!' alone is no operator"},
           {"   ", "text:1:1", "the filter is empty"},
           {"name = Łódź and x = 1", "text:1:17", "customers have no field 'x'"},
       }) {
    auto f = ParseFilterText(bad.text);
    ASSERT_FALSE(f.has_value()) << bad.text;
    EXPECT_EQ(f.error().code(), ErrorCode::kValidationFailed);
    ASSERT_EQ(f.error().details().size(), 1u) << bad.text;
    EXPECT_EQ(f.error().details()[0].field, bad.where) << bad.text << ": " << f.error().message();
    EXPECT_THAT(f.error().message(), HasSubstr(bad.message)) << bad.text;
  }
}

TEST(FilterJson, ErrorsNameThePlaceInTheJson) {
  auto f = ParseFilterJson(json::parse(R"({"and": [{"field": "city", "value": "Gdańsk"},
                                                    {"field": "city", "op": "like", "value": "x"}]})"));
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().details()[0].field, "filter/and/1/op");
  EXPECT_THAT(f.error().message(), HasSubstr("'like' is no operator"));

  f = ParseFilterJson(json::parse(R"({"has": "order", "where": {"field": "gross", "op": ">",
                                      "value": 1.5}})"));
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().details()[0].field, "filter/where/value");
  EXPECT_THAT(f.error().message(), HasSubstr("write a fractional number as text"));

  f = ParseFilterJson(json::parse(R"({"or": []})"));
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().details()[0].field, "filter/or");

  f = ParseFilterJson(json::parse(R"({"colour": "red"})"));
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().details()[0].field, "filter");

  f = ParseFilterJson(json::parse(R"({"sum": "order.gross", "op": ">", "value": "1000.50"})"));
  ASSERT_TRUE(f.has_value()) << f.error().message();
  EXPECT_EQ(f->ToText(), "sum order.gross > 1000.5");
}

TEST(FilterDays, RelativeDaysAreResolvedOnTheDayTheFilterRuns) {
  auto f = ParseFilterText("createdAt >= today - 1m");
  ASSERT_TRUE(f.has_value());
  const std::int32_t march31 = *ParseIsoDay("2026-03-31");
  EXPECT_EQ(FormatIsoDay(f->root.values[0].day.Resolve(march31)), "2026-02-28");
  f = ParseFilterText("createdAt >= startOfYear + 2w");
  EXPECT_EQ(FormatIsoDay(f->root.values[0].day.Resolve(march31)), "2026-01-15");
  f = ParseFilterText("createdAt < startOfMonth");
  EXPECT_EQ(FormatIsoDay(f->root.values[0].day.Resolve(march31)), "2026-03-01");
  f = ParseFilterText("createdAt < today-1y");
  EXPECT_EQ(FormatIsoDay(f->root.values[0].day.Resolve(*ParseIsoDay("2028-02-29"))), "2027-02-28");
  EXPECT_FALSE(ParseIsoDay("2026-02-30").has_value());
}

// ---- The engine against brute force ----------------------------------------------------------

std::int64_t DayOf(Timestamp t) { return ToLocal(t, "Europe/Warsaw").day; }
std::int64_t DayOf(std::chrono::year_month_day d) {
  return std::chrono::sys_days(d).time_since_epoch().count();
}

class SegmentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*storage::Store::Open(dir_.path() / "data"));
    audit_ = std::move(*audit::AuditLog::Open(*store_, dir_.path()));
    schema_ = std::make_unique<CrmSchema>(*store_, *audit_, clock_);
    customers_ = std::make_unique<CustomerStore>(*store_, *audit_, clock_, schema_.get());
    contacts_ = std::make_unique<ContactStore>(*store_, *audit_, clock_, *customers_);
    products_ = std::make_unique<ProductStore>(*store_, *audit_, clock_, *customers_);
    resources_ = std::make_unique<ResourceStore>(*store_, *audit_, clock_);
    activities_ =
        std::make_unique<ActivityStore>(*store_, *audit_, clock_, *customers_, *resources_);
    offers_ =
        std::make_unique<OfferStore>(*store_, *audit_, clock_, *customers_, *contacts_, *products_);
    cases_ =
        std::make_unique<CaseStore>(*store_, *audit_, clock_, *customers_, *contacts_, *products_);
    engine_ = std::make_unique<SegmentEngine>(*store_, clock_, *activities_, *offers_, *cases_);
  }

  // Random customers, activities, offers, orders, payments and cases, changed after they
  // were made (so the indexes follow changes), and two merges.
  void Generate(std::uint32_t seed, int customers) {
    std::mt19937 rng(seed);
    auto pick = [&](const std::vector<std::string>& from) {
      return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)];
    };
    auto chance = [&](int percent) {
      return std::uniform_int_distribution<int>(0, 99)(rng) < percent;
    };
    auto days = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    const std::vector<std::string> cities = {"Kraków", "Gdańsk", "Łódź", "Poznań", "Warszawa"};
    const std::vector<std::string> tags = {"vip", "lost", "b2b", "eko"};
    const std::vector<std::string> owners = {"anna", "jan", "ewa"};
    std::vector<CustomerId> ids;
    for (int i = 0; i < customers; ++i) {
      clock_.Set(kNow - std::chrono::days(days(0, 800)));
      json::object c{
          {"name", pick({"Piekarnia", "Hurtownia", "Biuro", "Łukasz"}) + " " + std::to_string(i)},
          {"kind", chance(70) ? "company" : "person"},
          {"owner", pick(owners)}};
      if (chance(80)) {
        c["addresses"] = json::array{json::object{{"city", pick(cities)}, {"country", "PL"}}};
      }
      json::array t;
      for (const std::string& tag : tags) {
        if (chance(25)) t.push_back(json::string(tag));
      }
      c["tags"] = t;
      if (chance(70)) c["satisfaction"] = days(1, 5);
      if (chance(50)) c["category"] = pick({"A", "B", "C"});
      if (chance(40)) c["paymentTermsDays"] = pick({"7", "14", "30"}) == "7" ? 7 : 14;
      auto made = customers_->Create(c, actor_);
      ASSERT_TRUE(made.has_value()) << made.error().message();
      ids.push_back(made->id);
    }
    clock_.Set(kNow);
    // Changes after creation.
    for (int i = 0; i < customers / 5; ++i) {
      const CustomerId id = ids[static_cast<std::size_t>(days(0, customers - 1))];
      json::object patch{{"tags", json::array{json::string(pick(tags))}}};
      if (chance(50)) {
        patch["addresses"] = json::array{json::object{{"city", pick(cities)}}};
      }
      if (chance(30)) patch["owner"] = pick(owners);
      ASSERT_TRUE(customers_->Update(id, patch, actor_).has_value());
    }
    for (int i = 0; i < customers * 3; ++i) {
      const CustomerId customer = ids[static_cast<std::size_t>(days(0, customers - 1))];
      const Timestamp start =
          kNow + std::chrono::days(days(-400, 60)) + std::chrono::hours(days(0, 23));
      json::object a{{"type", pick({"call", "meeting", "visit", "email"})},
                     {"status", start < kNow ? pick({"done", "done", "cancelled"}) : "planned"},
                     {"start", FormatInstant(start)},
                     {"customer", customer}};
      json::array employees;
      employees.emplace_back(pick(owners));
      a["employees"] = std::move(employees);
      auto made = activities_->Create(a, actor_);
      ASSERT_TRUE(made.has_value()) << made.error().message();
      if (chance(10)) {
        ASSERT_TRUE(
            activities_->Update(made->id, J(R"({"type": "visit", "status": "done"})"), actor_)
                .has_value());
      }
    }
    for (int i = 0; i < customers; ++i) {
      const CustomerId customer = ids[static_cast<std::size_t>(days(0, customers - 1))];
      clock_.Set(kNow - std::chrono::days(days(0, 500)));
      json::object o{
          {"customer", std::to_string(customer)},
          {"currency", chance(80) ? "PLN" : "EUR"},
          {"owner", pick(owners)},
          {"lines", json::array{json::object{{"name", "Usługa"},
                                             {"quantity", std::to_string(days(1, 20))},
                                             {"unitPrice", std::to_string(days(10, 900)) + ".50"},
                                             {"taxRate", pick({"23", "8", "zw"})}}}}};
      auto offer = offers_->Create(o, actor_);
      ASSERT_TRUE(offer.has_value()) << offer.error().message();
      if (chance(70)) {
        ASSERT_TRUE(offers_->Send(offer->id, actor_).has_value());
      }
      if (offer->status == "draft" && chance(10)) continue;
      if (chance(50)) {
        auto accepted = offers_->Accept(offer->id, nullptr, {"admin"}, actor_);
        if (!accepted) continue;  // expired meanwhile
        clock_.Set(clock_.Now() + std::chrono::days(days(0, 20)));
        auto order = offers_->MakeOrder(offer->id, {}, actor_);
        ASSERT_TRUE(order.has_value()) << order.error().message();
        if (chance(60)) {
          ASSERT_TRUE(offers_->UpdateOrder(order->id, J(R"({"status": "delivered"})"), actor_));
          if (chance(70)) {
            const std::string amount = chance(50) ? FormatFixed(order->totals.gross, 2)
                                                  : FormatFixed(order->totals.gross / 3, 2);
            clock_.Set(clock_.Now() + std::chrono::days(days(0, 40)));
            auto paid = offers_->AddPayment(order->id, json::object{{"amount", amount}}, actor_);
            ASSERT_TRUE(paid.has_value()) << paid.error().message();
          }
        } else if (chance(20)) {
          ASSERT_TRUE(offers_->UpdateOrder(order->id, J(R"({"status": "cancelled"})"), actor_));
        }
      } else if (chance(30)) {
        ASSERT_TRUE(offers_->Reject(offer->id, "za drogo", actor_).has_value());
      }
    }
    for (int i = 0; i < customers / 3; ++i) {
      const CustomerId customer = ids[static_cast<std::size_t>(days(0, customers - 1))];
      clock_.Set(kNow - std::chrono::days(days(0, 60)));
      auto c = cases_->Create(json::object{{"customer", std::to_string(customer)},
                                           {"subject", "Usterka"},
                                           {"priority", pick({"low", "normal", "urgent"})},
                                           {"assignee", pick(owners)}},
                              actor_);
      ASSERT_TRUE(c.has_value()) << c.error().message();
      if (chance(50)) {
        clock_.Set(clock_.Now() + std::chrono::hours(days(0, 100)));
        ASSERT_TRUE(cases_->Update(c->id, J(R"({"status": "in-progress"})"), actor_).has_value());
        if (chance(50)) {
          ASSERT_TRUE(
              cases_->Update(c->id, J(R"({"status": "resolved", "resolution": "ok"})"), actor_)
                  .has_value());
        }
      }
    }
    clock_.Set(kNow);
    // Two merges: the duplicates leave every segment.
    ASSERT_TRUE(customers_->Merge(ids[0], ids[1], actor_).has_value());
    ASSERT_TRUE(customers_->Merge(ids[2], ids[3], actor_).has_value());
  }

  // Everything as the stores answer it now.
  void Load() {
    customers_by_id_.clear();
    activities_of_.clear();
    offers_of_.clear();
    orders_of_.clear();
    cases_of_.clear();
    CustomerId after = 0;
    while (true) {
      auto page =
          customers_->List(after, 500, [](const Customer&) -> Result<bool> { return true; });
      ASSERT_TRUE(page.has_value());
      for (Customer& c : page->customers) customers_by_id_[c.id] = c;
      if (page->next == 0) break;
      after = page->next;
    }
    for (const auto& [id, c] : customers_by_id_) {
      std::string cursor;
      do {
        auto page = activities_->Timeline(id, cursor, 1000,
                                          [](const Activity&) -> Result<bool> { return true; });
        ASSERT_TRUE(page.has_value());
        for (Activity& a : page->activities) activities_of_[id].push_back(a);
        cursor = page->next;
      } while (!cursor.empty());
    }
    auto offers = offers_->List(0, SIZE_MAX, 0, [](const Offer&) { return true; });
    for (Offer& o : *offers) offers_of_[o.customer].push_back(o);
    auto orders = offers_->Orders(0, SIZE_MAX, 0, [](const Order&) { return true; });
    for (Order& o : *orders) orders_of_[o.customer].push_back(o);
    auto cases = cases_->List(0, false, SIZE_MAX, 0, [](const ServiceCase&) { return true; });
    for (ServiceCase& c : *cases) cases_of_[c.customer].push_back(c);
  }

  // A random filter over customers, as text, from conditions whose meaning the oracle below
  // implements independently of the engine.
  std::string RandomFilter(std::mt19937& rng, int depth) {
    auto pick = [&](const std::vector<std::string>& from) {
      return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)];
    };
    const int kind = std::uniform_int_distribution<int>(0, depth > 0 ? 9 : 6)(rng);
    if (kind >= 7) {
      const std::string op = kind == 9 ? " or " : " and ";
      if (kind == 7) return "not (" + RandomFilter(rng, depth - 1) + ")";
      return "(" + RandomFilter(rng, depth - 1) + op + RandomFilter(rng, depth - 1) + ")";
    }
    if (kind <= 3) {
      return pick({"kind = company",
                   "kind = person",
                   "owner = anna",
                   "owner in (jan, ewa)",
                   "owner != ewa",
                   "tag = vip",
                   "tag != lost",
                   "tag in (b2b, eko)",
                   "tag not in (vip)",
                   "city = \"Kraków\"",
                   "city = Łódź",
                   "city != Gdańsk",
                   "city in (Poznań, Warszawa)",
                   "satisfaction >= 4",
                   "satisfaction < 3",
                   "satisfaction = 5",
                   "satisfaction != 2",
                   "category = A",
                   "category in (B, C)",
                   "createdAt >= today - 200d",
                   "createdAt < today - 400d",
                   "createdAt <= 2025-06-30",
                   "createdAt > startOfYear",
                   "name ~ piekarnia",
                   "name ~ \"łukasz\"",
                   "paymentTermsDays = 14",
                   "paymentTermsDays > 7",
                   "id in (5, 7, 9, 11)",
                   "country = PL",
                   "taxIdKind = none"});
    }
    return pick({"has activity (type = meeting and start >= today - 90d)",
                 "has activity (type in (call, visit) and status = done)",
                 "no activity (start >= today - 30d)",
                 "has activity",
                 "count activity (status != cancelled) >= 3",
                 "count activity (type = call and start < today) < 2",
                 "has offer (status = sent)",
                 "no offer (createdAt >= today - 180d)",
                 "count offer (open) >= 1",
                 "has order (status = paid)",
                 "no order (date >= today - 12m)",
                 "has order (unpaid)",
                 "has order (overdue)",
                 "sum order.gross (date >= startOfYear) > 5000",
                 "sum order.gross (currency = EUR) >= 1000",
                 "sum order.paid < 2000",
                 "sum offer.net (status in (sent, accepted)) > 3000.5",
                 "has case (open)",
                 "no case",
                 "has case (breached)",
                 "has case (priority = urgent and open)",
                 "count case >= 2",
                 "has order (outstanding > 100 and dueDate < today)"});
  }

  // The oracle: does customer c satisfy the filter? Implemented on the records themselves.
  bool Oracle(const FilterNode& n, const Customer& c) {
    const std::int64_t today = DayOf(clock_.Now());
    switch (n.kind) {
      case FilterNode::Kind::kAnd:
        for (const FilterNode& k : n.children) {
          if (!Oracle(k, c)) return false;
        }
        return true;
      case FilterNode::Kind::kOr:
        for (const FilterNode& k : n.children) {
          if (Oracle(k, c)) return true;
        }
        return false;
      case FilterNode::Kind::kNot:
        return !Oracle(n.children[0], c);
      case FilterNode::Kind::kCompare: {
        std::vector<std::string> texts;
        std::vector<std::int64_t> numbers;
        const std::string& f = n.field;
        if (f == "kind") texts = {c.kind};
        if (f == "owner") texts = {c.owner};
        if (f == "tag") texts = c.tags;
        if (f == "city") {
          for (const Address& a : c.addresses) {
            if (!a.city.empty()) texts.push_back(a.city);
          }
        }
        if (f == "country") {
          for (const Address& a : c.addresses) {
            if (!a.country.empty()) texts.push_back(a.country);
          }
        }
        if (f == "category" && c.profile.contains("category")) {
          texts = {std::string(c.profile.at("category").as_string())};
        }
        if (f == "taxIdKind") texts = {c.tax_id ? "?" : "none"};
        if (f == "name") texts = {c.name};
        if (f == "satisfaction" && c.profile.contains("satisfaction")) {
          numbers = {c.profile.at("satisfaction").to_number<std::int64_t>() * 10000};
        }
        if (f == "paymentTermsDays" && c.profile.contains("paymentTermsDays")) {
          numbers = {c.profile.at("paymentTermsDays").to_number<std::int64_t>() * 10000};
        }
        if (f == "createdAt") numbers = {DayOf(c.created_at)};
        if (f == "id") numbers = {static_cast<std::int64_t>(c.id)};
        return Matches(n, texts, numbers, today);
      }
      case FilterNode::Kind::kRelation:
        return OracleRelation(n, c, today);
    }
    return false;
  }

  static bool Matches(const FilterNode& n, const std::vector<std::string>& texts,
                      const std::vector<std::int64_t>& numbers, std::int64_t today) {
    auto one = [&](auto value) {
      for (const FilterValue& v : n.values) {
        if constexpr (std::is_same_v<decltype(value), std::string>) {
          if (n.op == Op::kContains) {
            if (NameKey(value).find(NameKey(v.text)) != std::string::npos) return true;
            continue;
          }
          const int cmp = value.compare(v.text);
          if (cmp == 0) return true;
        } else {
          const std::int64_t lit = n.def->type == FieldType::kDay
                                       ? v.day.Resolve(static_cast<std::int32_t>(today))
                                       : v.number;
          switch (n.op) {
            case Op::kLt:
              if (value < lit) return true;
              break;
            case Op::kLe:
              if (value <= lit) return true;
              break;
            case Op::kGt:
              if (value > lit) return true;
              break;
            case Op::kGe:
              if (value >= lit) return true;
              break;
            default:
              if (value == lit) return true;
          }
        }
      }
      return false;
    };
    bool any = false;
    for (const std::string& t : texts) any = any || one(t);
    for (std::int64_t x : numbers) any = any || one(x);
    return n.op == Op::kNe || n.op == Op::kNotIn ? !any : any;
  }

  bool OracleRelation(const FilterNode& n, const Customer& c, std::int64_t today) {
    const FilterNode* where = n.children.empty() ? nullptr : &n.children[0];
    const Timestamp now = clock_.Now();
    // Each related record as (texts by field, numbers by field).
    struct Rec {
      std::map<std::string, std::vector<std::string>> texts;
      std::map<std::string, std::vector<std::int64_t>> numbers;
      std::string currency;
    };
    std::vector<Rec> recs;
    auto money = [](std::int64_t minor) { return minor * 100; };  // PLN and EUR: 2 digits
    if (n.related == Entity::kActivity) {
      for (const Activity& a : activities_of_[c.id]) {
        recs.push_back(
            {{{"type", {a.type}}, {"status", {a.status}}}, {{"start", {DayOf(a.start)}}}, ""});
      }
    } else if (n.related == Entity::kOffer) {
      for (const Offer& o : offers_of_[c.id]) {
        recs.push_back({{{"status", {o.status}}, {"currency", {o.currency}}},
                        {{"createdAt", {DayOf(o.created_at)}},
                         {"net", {money(o.totals.net)}},
                         {"open", {o.status == "draft" || o.status == "sent" ? 1 : 0}}},
                        o.currency});
      }
    } else if (n.related == Entity::kOrder) {
      for (const Order& o : orders_of_[c.id]) {
        std::int64_t paid = 0;
        for (const Payment& p : o.payments) paid += p.amount;
        const std::int64_t outstanding = o.status == "cancelled" ? 0 : o.totals.gross - paid;
        const std::int64_t due = DayOf(o.invoiced_on.value_or(o.ordered_on)) + o.payment_terms_days;
        recs.push_back({{{"status", {o.status}}, {"currency", {o.currency}}},
                        {{"date", {DayOf(o.ordered_on)}},
                         {"gross", {money(o.totals.gross)}},
                         {"paid", {money(paid)}},
                         {"outstanding", {money(outstanding)}},
                         {"dueDate", {due}},
                         {"unpaid", {outstanding > 0 ? 1 : 0}},
                         {"overdue", {outstanding > 0 && today > due ? 1 : 0}}},
                        o.currency});
      }
    } else if (n.related == Entity::kCase) {
      for (const ServiceCase& k : cases_of_[c.id]) {
        const bool breached = k.responded_at.value_or(now) > k.response_due ||
                              k.resolved_at.value_or(now) > k.resolution_due;
        recs.push_back({{{"status", {k.status}}, {"priority", {k.priority}}},
                        {{"open", {k.open() ? 1 : 0}}, {"breached", {breached ? 1 : 0}}},
                        ""});
      }
    }
    std::function<bool(const FilterNode&, const Rec&)> eval = [&](const FilterNode& w,
                                                                  const Rec& r) -> bool {
      switch (w.kind) {
        case FilterNode::Kind::kAnd:
          for (const FilterNode& k : w.children) {
            if (!eval(k, r)) return false;
          }
          return true;
        case FilterNode::Kind::kOr:
          for (const FilterNode& k : w.children) {
            if (eval(k, r)) return true;
          }
          return false;
        case FilterNode::Kind::kNot:
          return !eval(w.children[0], r);
        case FilterNode::Kind::kCompare: {
          auto t = r.texts.find(w.field);
          auto x = r.numbers.find(w.field);
          return Matches(w, t == r.texts.end() ? std::vector<std::string>{} : t->second,
                         x == r.numbers.end() ? std::vector<std::int64_t>{} : x->second, today);
        }
        default:
          return false;
      }
    };
    std::string currency = "PLN";
    if (where != nullptr) {
      std::function<void(const FilterNode&)> find = [&](const FilterNode& w) {
        if (w.kind == FilterNode::Kind::kCompare && w.field == "currency" && w.op == Op::kEq) {
          currency = w.values[0].text;
        }
        if (w.kind == FilterNode::Kind::kAnd) {
          for (const FilterNode& k : w.children) find(k);
        }
      };
      find(*where);
    }
    std::int64_t count = 0, sum = 0;
    for (const Rec& r : recs) {
      if (where != nullptr && !eval(*where, r)) continue;
      ++count;
      if (n.quantifier == FilterNode::Quantifier::kSum && r.currency == currency) {
        sum += r.numbers.at(std::string(n.sum_field->name))[0];
      }
    }
    switch (n.quantifier) {
      case FilterNode::Quantifier::kHas:
        return count > 0;
      case FilterNode::Quantifier::kNo:
        return count == 0;
      case FilterNode::Quantifier::kCount:
      case FilterNode::Quantifier::kSum: {
        const std::int64_t value =
            n.quantifier == FilterNode::Quantifier::kCount ? count * 10000 : sum;
        const std::int64_t lit = n.values[0].number;
        switch (n.op) {
          case Op::kEq:
            return value == lit;
          case Op::kNe:
            return value != lit;
          case Op::kLt:
            return value < lit;
          case Op::kLe:
            return value <= lit;
          case Op::kGt:
            return value > lit;
          case Op::kGe:
            return value >= lit;
          default:
            return false;
        }
      }
    }
    return false;
  }

  // The engine's answer, read page by page, against the oracle's.
  void ExpectSame(const std::string& text, std::size_t page_size) {
    auto f = ParseFilterText(text);
    ASSERT_TRUE(f.has_value()) << text << ": " << f.error().message();
    std::vector<std::uint64_t> expected;
    for (const auto& [id, c] : customers_by_id_) {
      if (Oracle(f->root, c)) expected.push_back(id);
    }
    std::vector<std::uint64_t> got;
    std::uint64_t after = 0, count = 0;
    for (int pages = 0; pages < 1000; ++pages) {
      auto a = engine_->Run(*f, nullptr, after, page_size);
      ASSERT_TRUE(a.has_value()) << text << ": " << a.error().message();
      count = a->count;
      got.insert(got.end(), a->ids.begin(), a->ids.end());
      if (a->next == 0) break;
      after = a->next;
    }
    EXPECT_EQ(count, expected.size()) << text;
    EXPECT_EQ(got, expected) << text;
  }

  quire::testing::TempDir dir_;
  ManualClock clock_{kNow};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<CrmSchema> schema_;
  std::unique_ptr<CustomerStore> customers_;
  std::unique_ptr<ContactStore> contacts_;
  std::unique_ptr<ProductStore> products_;
  std::unique_ptr<ResourceStore> resources_;
  std::unique_ptr<ActivityStore> activities_;
  std::unique_ptr<OfferStore> offers_;
  std::unique_ptr<CaseStore> cases_;
  std::unique_ptr<SegmentEngine> engine_;
  const audit::Actor actor_{"anna"};
  std::map<CustomerId, Customer> customers_by_id_;
  std::map<CustomerId, std::vector<Activity>> activities_of_;
  std::map<CustomerId, std::vector<Offer>> offers_of_;
  std::map<CustomerId, std::vector<Order>> orders_of_;
  std::map<CustomerId, std::vector<ServiceCase>> cases_of_;
};

TEST_F(SegmentsTest, RandomFiltersSelectWhatBruteForceSelects) {
  Generate(20261207, 160);
  Load();
  ASSERT_GT(customers_by_id_.size(), 150u);
  std::mt19937 rng(7);
  for (int i = 0; i < 400; ++i) {
    const std::string text = RandomFilter(rng, 3);
    ExpectSame(text, i % 3 == 0 ? 7 : 50);
    if (HasFailure()) break;
  }
}

// Computed classes: "class = X" in a segment (the class's rule over the indexes) selects
// exactly the customers whose own orders give them class X (ClassesOf, what the card shows),
// under the default thresholds and random ones.
TEST_F(SegmentsTest, ComputedClassesInSegmentsAreWhatEachCustomersOrdersSay) {
  Generate(20261208, 160);
  Load();
  ClassStore classes(*store_, *audit_, clock_);
  engine_->UseClasses(&classes);
  const auto today = offers_->Today(clock_.Now());
  std::mt19937 rng(3);
  auto any = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::map<std::string, std::size_t> seen;
  for (int round = 0; round < 12; ++round) {
    if (round > 0) {  // random thresholds, small enough that every class has members
      const int at_risk = any(1, 8);
      json::object t{{"keyRevenue", std::to_string(any(1, 60)) + "000.00"},
                     {"keyMonths", any(1, 24)},
                     {"loyalOrders", any(1, 3)},
                     {"loyalMonths", any(1, 24)},
                     {"atRiskMonths", at_risk},
                     {"dormantMonths", at_risk + any(1, 10)},
                     {"debtDays", any(0, 60)},
                     {"newDays", any(1, 400)}};
      ASSERT_TRUE(classes.Put(t, actor_)) << json::serialize(t);
    }
    const ClassThresholds t = *classes.Get();
    std::map<std::string, std::set<CustomerId>> expected;
    for (const auto& [id, c] : customers_by_id_) {
      for (const CustomerClass& k : ClassesOf(orders_of_[id], today, t)) {
        expected[k.name].insert(id);
        EXPECT_FALSE(k.reason.empty());
      }
    }
    auto selected = [&](const std::string& text) {
      auto f = ParseFilterText(text);
      EXPECT_TRUE(f.has_value()) << text << ": " << f.error().message();
      auto ids = engine_->All(*f, nullptr);
      EXPECT_TRUE(ids.has_value()) << text << ": " << ids.error().message();
      return std::set<CustomerId>(ids->begin(), ids->end());
    };
    std::set<CustomerId> all;
    for (const auto& [id, c] : customers_by_id_) all.insert(id);
    for (std::string_view name : kClassNames) {
      const std::string n(name);
      EXPECT_EQ(selected("class = " + n), expected[n])
          << n << " in round " << round << ": " << ClassRule(t, n);
      std::set<CustomerId> others;
      std::set_difference(all.begin(), all.end(), expected[n].begin(), expected[n].end(),
                          std::inserter(others, others.end()));
      EXPECT_EQ(selected("class != " + n), others) << n;
      seen[n] += expected[n].size();
    }
    std::set<CustomerId> either = expected["loyal"];
    either.insert(expected["new"].begin(), expected["new"].end());
    EXPECT_EQ(selected("class in (loyal, new) and kind = company or class in (loyal, new) and "
                       "not kind = company"),
              either);
    if (HasFailure()) break;
  }
  for (std::string_view name : kClassNames) {
    EXPECT_GT(seen[std::string(name)], 0u) << name << " never had a member: the test proves little";
  }
}

TEST_F(SegmentsTest, AClassFollowsAPaymentAndItsThresholdAtOnce) {
  ClassStore classes(*store_, *audit_, clock_);
  engine_->UseClasses(&classes);
  clock_.Set(kNow - std::chrono::days(30));
  auto c = customers_->Create(J(R"({"name": "Dłużnik", "kind": "company"})"), actor_);
  ASSERT_TRUE(c.has_value());
  auto offer = offers_->Create(
      json::object{{"customer", std::to_string(c->id)},
                   {"paymentTermsDays", 7},
                   {"lines", json::array{json::object{
                                 {"name", "X"}, {"quantity", "1"}, {"unitPrice", "100.00"}}}}},
      actor_);
  ASSERT_TRUE(offer.has_value()) << offer.error().message();
  ASSERT_TRUE(offers_->Accept(offer->id, nullptr, {"admin"}, actor_));
  auto order = offers_->MakeOrder(offer->id, {}, actor_);
  ASSERT_TRUE(order.has_value());
  clock_.Set(kNow);
  const auto in_debt = [&] {
    auto ids = engine_->All(*ParseFilterText("class = inDebt"), nullptr);
    const bool segment = std::find(ids->begin(), ids->end(), c->id) != ids->end();
    std::vector<Order> orders = {*offers_->GetOrder(order->id)};
    bool card = false;
    for (const CustomerClass& k : ClassesOf(orders, offers_->Today(kNow), *classes.Get())) {
      if (k.name == "inDebt") {
        card = true;
        EXPECT_THAT(k.reason, HasSubstr("123.00 PLN outstanding"));
      }
    }
    EXPECT_EQ(segment, card);
    return segment;
  };
  EXPECT_TRUE(in_debt());  // due 23 days ago
  ASSERT_TRUE(classes.Put(J(R"({"debtDays": 30})"), actor_));
  EXPECT_FALSE(in_debt());  // not yet 30 days past due
  ASSERT_TRUE(classes.Put(J(R"({"debtDays": 0})"), actor_));
  EXPECT_TRUE(in_debt());
  ASSERT_TRUE(offers_->AddPayment(order->id, J(R"({"amount": "123.00"})"), actor_));
  EXPECT_FALSE(in_debt());  // paid: out of the class at once
  // Bad thresholds and bad class names are refused, naming what is wrong.
  auto bad = classes.Put(J(R"({"atRiskMonths": 12, "dormantMonths": 6, "colour": 1})"), actor_);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().details().at(0).field, "colour");
  EXPECT_FALSE(classes.Put(J(R"({"atRiskMonths": 12, "dormantMonths": 6})"), actor_).has_value());
  EXPECT_FALSE(classes.Put(J(R"({"keyRevenue": 5})"), actor_).has_value());
  EXPECT_EQ(classes.Get()->debt_days, 0);
  auto vip = ParseFilterText("kind = company and class = vip");
  ASSERT_FALSE(vip.has_value());
  EXPECT_THAT(vip.error().message(), HasSubstr("'vip' is not a class"));
  EXPECT_THAT(vip.error().message(), HasSubstr("column"));
  EXPECT_FALSE(ParseFilterText("class ~ loy").has_value());
  // The thresholds survive a reopen.
  ClassStore again(*store_, *audit_, clock_);
  ASSERT_TRUE(classes.Put(J(R"({"loyalOrders": 9})"), actor_));
  EXPECT_EQ(ClassStore(*store_, *audit_, clock_).Get()->loyal_orders, 9);
}

// KPI counters, kept by the record batches, equal a recomputation from the records
// themselves for any range of months; and again after the indexes are rebuilt.
TEST_F(SegmentsTest, KpiCountersEqualABruteForceRecomputation) {
  Generate(20261209, 160);
  Load();
  auto month_of_day = [](std::int64_t day) {
    const std::chrono::year_month_day d{std::chrono::sys_days(std::chrono::days(day))};
    return KpiMonth(d.year() / d.month());
  };
  // employee → metric → month → amount
  std::map<std::string, std::map<std::string, std::map<std::int32_t, std::int64_t>>> truth;
  // Every customer's timeline, merged ones' too: an employee's activity counts wherever
  // its customer went.
  std::map<CustomerId, std::vector<Activity>> every;
  const CustomerId last = customers_by_id_.rbegin()->first;
  for (CustomerId id = 1; id <= last; ++id) {
    std::string cursor;
    do {
      auto page = activities_->Timeline(id, cursor, 1000,
                                        [](const Activity&) -> Result<bool> { return true; });
      if (!page) break;
      for (Activity& a : page->activities) every[id].push_back(a);
      cursor = page->next;
    } while (!cursor.empty());
  }
  std::set<ActivityId> seen_activities;
  for (const auto& [id, acts] : every) {
    for (const Activity& a : acts) {
      if (!seen_activities.insert(a.id).second || a.status != "done") continue;
      const std::int32_t m = month_of_day(WarsawDay(a.start));
      for (const std::string& e : a.employees) {
        truth[e]["activities"][m] += 1;
        truth[e]["activities:" + a.type][m] += 1;
      }
    }
  }
  for (const auto& [id, offers] : offers_of_) {
    for (const Offer& o : offers) {
      if (o.revision == 1 && !o.owner.empty()) {
        truth[o.owner]["offers"][month_of_day(WarsawDay(o.created_at))] += 1;
      }
    }
  }
  for (const auto& [id, orders] : orders_of_) {
    for (const Order& o : orders) {
      if (o.status == "cancelled" || o.owner.empty()) continue;
      const std::int32_t m = KpiMonth(o.ordered_on.year() / o.ordered_on.month());
      truth[o.owner]["orders"][m] += 1;
      truth[o.owner]["revenue:" + o.currency][m] += o.totals.gross;
      // Conversion time: from the first revision of the offer it was made from.
      const std::vector<Offer>& offers = offers_of_[o.customer];
      auto made = std::find_if(offers.begin(), offers.end(),
                               [&](const Offer& x) { return x.id == o.offer; });
      if (made == offers.end()) continue;
      auto first = std::find_if(offers.begin(), offers.end(), [&](const Offer& x) {
        return x.number == made->number && x.revision == 1;
      });
      ASSERT_NE(first, offers.end());
      truth[o.owner]["conversions"][m] += 1;
      truth[o.owner]["conversionDays"][m] +=
          std::max<std::int64_t>(0, std::chrono::sys_days(o.ordered_on).time_since_epoch().count() -
                                        WarsawDay(first->created_at));
    }
  }
  for (const auto& [id, cases] : cases_of_) {
    for (const ServiceCase& c : cases) {
      if (c.assignee.empty()) continue;
      if (c.kind == "complaint" && c.resolved_at) {
        truth[c.assignee]["complaints"][month_of_day(WarsawDay(*c.resolved_at))] += 1;
      }
      if (c.responded_at) {
        const std::int32_t m = month_of_day(WarsawDay(*c.responded_at));
        truth[c.assignee]["responses"][m] += 1;
        truth[c.assignee]["responseMinutes"][m] +=
            std::chrono::duration_cast<std::chrono::minutes>(*c.responded_at - c.created_at)
                .count();
      }
    }
  }
  auto expected = [&](std::int32_t from, std::int32_t to) {
    EmployeeKpis out;
    for (const auto& [e, metrics] : truth) {
      for (const auto& [metric, months] : metrics) {
        for (const auto& [m, v] : months) {
          if (m >= from && m <= to) out[e][metric] += v;
        }
      }
    }
    return out;
  };
  auto read = [&](std::int32_t from, std::int32_t to) {
    auto got = ReadEmployeeKpis(*store_, from, to);
    EXPECT_TRUE(got.has_value()) << got.error().message();
    EmployeeKpis out = got.value_or(EmployeeKpis{});
    // A counter back at zero (a record changed away) reads as 0: the same as absent.
    for (auto& [e, metrics] : out)
      std::erase_if(metrics, [](const auto& kv) { return kv.second == 0; });
    std::erase_if(out, [](const auto& kv) { return kv.second.empty(); });
    return out;
  };
  ASSERT_FALSE(truth.empty());
  std::size_t metrics = 0;
  for (const auto& [e, m] : truth) metrics += m.size();
  EXPECT_GE(metrics, 12u) << "the data should exercise most metrics";
  for (const char* metric :
       {"complaints", "responses", "responseMinutes", "orders", "offers", "conversions"}) {
    EXPECT_TRUE(std::any_of(truth.begin(), truth.end(),
                            [&](const auto& kv) { return kv.second.contains(metric); }))
        << metric << " never counted: the test proves little";
  }
  const std::int32_t now = KpiMonth(std::chrono::year(2026) / std::chrono::December);
  EXPECT_EQ(read(0, 1'000'000), expected(0, 1'000'000));
  std::mt19937 rng(17);
  for (int i = 0; i < 30; ++i) {
    const std::int32_t from = now - std::uniform_int_distribution<int>(0, 30)(rng);
    const std::int32_t to = from + std::uniform_int_distribution<int>(0, 12)(rng);
    EXPECT_EQ(read(from, to), expected(from, to)) << from << ".." << to;
  }
  // Everyone with counters is listed in name order, a page at a time.
  {
    auto listed = KpiEmployees(*store_, "", 1000);
    ASSERT_TRUE(listed.has_value());
    EXPECT_TRUE(std::is_sorted(listed->begin(), listed->end()));
    for (const auto& [e, unused] : truth) {
      EXPECT_TRUE(std::find(listed->begin(), listed->end(), e) != listed->end()) << e;
    }
    auto page = KpiEmployees(*store_, listed->front(), 1);
    ASSERT_TRUE(page.has_value());
    ASSERT_EQ(page->size(), std::min<std::size_t>(1, listed->size() - 1));
    if (!page->empty()) {
      EXPECT_EQ(page->front(), (*listed)[1]);
    }
  }
  // Some employees only (a team's report): theirs, and nobody else's.
  const std::vector<std::string> some{truth.begin()->first, "nobody"};
  auto only = ReadEmployeeKpis(*store_, 0, 1'000'000, &some);
  ASSERT_TRUE(only.has_value());
  ASSERT_EQ(only->size(), 1u);
  EXPECT_EQ(only->begin()->first, truth.begin()->first);
  EXPECT_EQ(only->begin()->second, read(0, 1'000'000).at(truth.begin()->first));
  // Rebuilt from the records (an older store gets them this way): the same counters.
  storage::WriteBatch drop;
  drop.DeleteRange(storage::ColumnFamily::kCrm, "Q", "R");
  ASSERT_TRUE(store_->Write(drop).has_value());
  ASSERT_TRUE(engine_->BuildIfNeeded().has_value());
  EXPECT_EQ(read(0, 1'000'000), expected(0, 1'000'000));
  // A report row: conversion and averages from the sums.
  const json::object row = KpiRow("anna", {{"offers", 3},
                                           {"orders", 2},
                                           {"responses", 3},
                                           {"responseMinutes", 100},
                                           {"revenue:PLN", 12345}});
  EXPECT_EQ(row.at("conversionPercent"), "66.7");
  EXPECT_EQ(row.at("averageResponseMinutes"), 33);
  EXPECT_EQ(row.at("revenue").at(0).at("amount"), "123.45");
}

// Customer metrics — active, acquired, retained, churned, returned, lifetime value and the
// revenue by month — kept by the order batches, equal a recomputation from the orders for
// any period, over everyone and over a subset; and again after the indexes are rebuilt.
TEST_F(SegmentsTest, CustomerMetricsEqualABruteForceRecomputation) {
  Generate(20261207, 240);
  Load();
  // customer → month → figures of their live orders (merged duplicates are nobody).
  std::map<CustomerId, std::map<std::int32_t, OrderFigures>> truth;
  for (const auto& [id, orders] : orders_of_) {
    auto c = customers_by_id_.find(id);
    if (c == customers_by_id_.end() || c->second.merged_into != 0) continue;
    for (const Order& o : orders) {
      if (o.status == "cancelled") continue;
      OrderFigures& f = truth[id][KpiMonth(o.ordered_on.year() / o.ordered_on.month())];
      f.orders += 1;
      f.revenue[o.currency] += o.totals.gross;
    }
  }
  ASSERT_GE(truth.size(), 40u) << "too few customers with orders to prove anything";
  auto add = [](OrderFigures& to, const OrderFigures& f) {
    to.orders += f.orders;
    for (const auto& [cur, v] : f.revenue) to.revenue[cur] += v;
  };
  auto expected = [&](std::int32_t from, std::int32_t to, const std::set<CustomerId>* only) {
    const std::int32_t length = to - from + 1;
    CustomerMetrics m;
    for (std::int32_t month = from; month <= to; ++month) m.months.push_back({month, {}, 0, 0});
    for (const auto& [id, months] : truth) {
      if (only != nullptr && !only->contains(id)) continue;
      const std::int32_t first = months.begin()->first;
      bool in_period = false, in_previous = false;
      for (const auto& [month, f] : months) {
        if (month > to) continue;
        add(m.lifetime, f);
        if (month >= from) {
          in_period = true;
          add(m.period, f);
          MonthMetrics& mm = m.months[static_cast<std::size_t>(month - from)];
          add(mm.figures, f);
          mm.active += 1;
          if (month == first) mm.acquired += 1;
        } else if (month >= from - length) {
          in_previous = true;
        }
      }
      if (first <= to) m.customers += 1;
      m.active += in_period;
      m.previous_active += in_previous;
      m.acquired += in_period && first >= from;
      m.retained += in_period && in_previous;
      m.churned += in_previous && !in_period;
      m.returned += in_period && !in_previous && first < from;
    }
    return m;
  };
  auto same = [](const OrderFigures& a, const OrderFigures& b) {
    auto nonzero = [](std::map<std::string, std::int64_t> r) {
      std::erase_if(r, [](const auto& kv) { return kv.second == 0; });
      return r;
    };
    return a.orders == b.orders && nonzero(a.revenue) == nonzero(b.revenue);
  };
  auto check = [&](std::int32_t from, std::int32_t to, const std::set<CustomerId>* only) {
    std::vector<std::uint64_t> ids;
    if (only != nullptr) ids.assign(only->begin(), only->end());
    auto got = ReadCustomerMetrics(*store_, from, to, only != nullptr ? &ids : nullptr);
    ASSERT_TRUE(got.has_value()) << got.error().message();
    const CustomerMetrics want = expected(from, to, only);
    const std::string where =
        std::to_string(from) + ".." + std::to_string(to) + (only != nullptr ? " (some)" : " (all)");
    EXPECT_EQ(got->active, want.active) << where;
    EXPECT_EQ(got->acquired, want.acquired) << where;
    EXPECT_EQ(got->previous_active, want.previous_active) << where;
    EXPECT_EQ(got->retained, want.retained) << where;
    EXPECT_EQ(got->churned, want.churned) << where;
    EXPECT_EQ(got->returned, want.returned) << where;
    EXPECT_EQ(got->customers, want.customers) << where;
    EXPECT_TRUE(same(got->lifetime, want.lifetime)) << where;
    EXPECT_TRUE(same(got->period, want.period)) << where;
    ASSERT_EQ(got->months.size(), want.months.size()) << where;
    for (std::size_t i = 0; i < want.months.size(); ++i) {
      EXPECT_EQ(got->months[i].month, want.months[i].month) << where;
      EXPECT_EQ(got->months[i].active, want.months[i].active) << where << " month " << i;
      EXPECT_EQ(got->months[i].acquired, want.months[i].acquired) << where << " month " << i;
      EXPECT_TRUE(same(got->months[i].figures, want.months[i].figures)) << where << " " << i;
    }
  };
  std::set<CustomerId> some;
  {
    std::mt19937 pick(3);
    for (const auto& [id, c] : customers_by_id_) {
      if (pick() % 2 == 0) some.insert(id);
    }
  }
  const std::int32_t now = KpiMonth(std::chrono::year(2026) / std::chrono::December);
  std::mt19937 rng(23);
  auto random_periods = [&](int n) {
    for (int i = 0; i < n; ++i) {
      const std::int32_t from = now - std::uniform_int_distribution<int>(0, 24)(rng);
      const std::int32_t to = from + std::uniform_int_distribution<int>(0, 11)(rng);
      check(from, to, nullptr);
      check(from, to, &some);
    }
  };
  check(now - 11, now, nullptr);
  random_periods(25);
  // Every customer's own months and lifetime value.
  for (const auto& [id, months] : truth) {
    auto v = ReadCustomerValue(*store_, id);
    ASSERT_TRUE(v.has_value());
    ASSERT_EQ(v->months.size(), months.size()) << id;
    OrderFigures all;
    for (const auto& [month, f] : months) add(all, f);
    EXPECT_TRUE(same(v->lifetime, all)) << id;
  }
  // Rebuilt from the records: the same answers.
  storage::WriteBatch drop;
  drop.DeleteRange(storage::ColumnFamily::kCrm, "Q", "R");
  ASSERT_TRUE(store_->Write(drop).has_value());
  ASSERT_TRUE(engine_->BuildIfNeeded().has_value());
  random_periods(10);
  // Bad periods are refused with the reason.
  EXPECT_EQ(ReadCustomerMetrics(*store_, now, now - 1).error().code(), ErrorCode::kInvalidArgument);
  auto too_long = ReadCustomerMetrics(*store_, now - kMaxMetricMonths, now);
  ASSERT_FALSE(too_long.has_value());
  EXPECT_THAT(too_long.error().message(), ::testing::HasSubstr("at most 120 months"));
}

// A customer's active month follows their orders: cancelling the month's only order takes
// them out of it, and a second order keeps them in when one of two is cancelled.
TEST_F(SegmentsTest, CustomerActiveMonthsFollowCancelledOrders) {
  auto c = customers_->Create(J(R"({"name": "Piekarnia Nowak", "kind": "company"})"), actor_);
  ASSERT_TRUE(c.has_value());
  auto order = [&]() {
    auto offer =
        offers_->Create(json::object{{"customer", std::to_string(c->id)},
                                     {"currency", "PLN"},
                                     {"lines", json::array{json::object{{"name", "Chleb"},
                                                                        {"quantity", "10"},
                                                                        {"unitPrice", "4.50"},
                                                                        {"taxRate", "8"}}}}},
                        actor_);
    EXPECT_TRUE(offer.has_value());
    EXPECT_TRUE(offers_->Accept(offer->id, nullptr, {"admin"}, actor_).has_value());
    auto made = offers_->MakeOrder(offer->id, {}, actor_);
    EXPECT_TRUE(made.has_value()) << made.error().message();
    return made->id;
  };
  const std::int32_t month = KpiMonth(std::chrono::year(2026) / std::chrono::December);
  auto active = [&]() {
    auto m = ReadCustomerMetrics(*store_, month, month);
    EXPECT_TRUE(m.has_value());
    return m->active;
  };
  EXPECT_EQ(active(), 0);
  const OrderId first = order();
  EXPECT_EQ(active(), 1);
  ASSERT_TRUE(offers_->UpdateOrder(first, J(R"({"status": "cancelled"})"), actor_));
  EXPECT_EQ(active(), 0);
  const OrderId second = order();
  const OrderId third = order();
  EXPECT_EQ(active(), 1);
  ASSERT_TRUE(offers_->UpdateOrder(second, J(R"({"status": "cancelled"})"), actor_));
  EXPECT_EQ(active(), 1) << "the third order still makes it an active month";
  ASSERT_TRUE(offers_->UpdateOrder(third, J(R"({"status": "cancelled"})"), actor_));
  EXPECT_EQ(active(), 0);
  auto m = ReadCustomerMetrics(*store_, month, month);
  EXPECT_EQ(m->period.orders, 0);
  EXPECT_EQ(m->customers, 0);
}

TEST_F(SegmentsTest, TheIndexesRebuiltFromTheRecordsAnswerTheSame) {
  Generate(99, 60);
  Load();
  // Throw the indexes away, as a store from before they existed: built again at open.
  storage::WriteBatch drop;
  drop.DeleteRange(storage::ColumnFamily::kCrm, "Q", "R");
  ASSERT_TRUE(store_->Write(drop).has_value());
  auto built = engine_->BuildIfNeeded();
  ASSERT_TRUE(built.has_value()) << built.error().message();
  EXPECT_GT(*built, 60u);
  EXPECT_EQ(*engine_->BuildIfNeeded(), 0u);  // current now
  std::mt19937 rng(11);
  for (int i = 0; i < 60; ++i) ExpectSame(RandomFilter(rng, 2), 50);
}

TEST_F(SegmentsTest, ExplainShowsTheMostSelectiveIndexReadFirst) {
  Generate(5, 80);
  auto f = ParseFilterText("kind = company and id = 7 and tag = vip");
  auto a = engine_->Run(*f, nullptr, 0, 50);
  ASSERT_TRUE(a.has_value());
  const json::array& steps = a->plan.at("steps").as_array();
  // Three estimates, then the id (one customer), then checks of the one left.
  ASSERT_GE(steps.size(), 4u) << json::serialize(a->plan);
  EXPECT_THAT(std::string(steps[3].at("step").as_string()), HasSubstr("ids id = 7"));
  EXPECT_THAT(json::serialize(a->plan), HasSubstr("check each of 1"));
}

TEST_F(SegmentsTest, FiltersOverOffersReachTheirCustomers) {
  Generate(17, 60);
  Load();
  auto f = ParseFilterText("status = sent and has customer (tag = vip)", Entity::kOffer);
  ASSERT_TRUE(f.has_value()) << f.error().message();
  std::vector<std::uint64_t> expected;
  for (const auto& [customer, offers] : offers_of_) {
    auto c = customers_by_id_.find(customer);
    const bool vip = c != customers_by_id_.end() &&
                     std::count(c->second.tags.begin(), c->second.tags.end(), "vip") > 0;
    for (const Offer& o : offers) {
      if (o.status == "sent" && vip) expected.push_back(o.id);
    }
  }
  std::sort(expected.begin(), expected.end());
  auto all = engine_->All(*f, nullptr);
  ASSERT_TRUE(all.has_value()) << all.error().message();
  EXPECT_EQ(*all, expected);
  EXPECT_FALSE(expected.empty());
}

TEST_F(SegmentsTest, AScopeLimitsTheAnswerToWhatTheCallerMaySee) {
  Generate(3, 60);
  Load();
  auto f = ParseFilterText("kind = company");
  auto scope = ParseFilterText("owner = jan");
  auto a = engine_->All(*f, &*scope);
  ASSERT_TRUE(a.has_value());
  for (std::uint64_t id : *a) {
    EXPECT_EQ(customers_by_id_.at(id).owner, "jan");
    EXPECT_EQ(customers_by_id_.at(id).kind, "company");
  }
  EXPECT_FALSE(a->empty());
}

TEST_F(SegmentsTest, SavedSegmentsKeepTheirFilterAndRefuseBadOnes) {
  SegmentStore segments(*store_, *audit_, clock_);
  auto s = segments.Create(
      J(R"j({"name": "Nieaktywni", "text": "no order (date >= today - 12m)"})j"), actor_);
  ASSERT_TRUE(s.has_value()) << s.error().message();
  EXPECT_EQ(s->text, "no order (date >= today-12m)");
  auto dup = segments.Create(J(R"({"name": "nieaktywni", "text": "tag = x"})"), actor_);
  ASSERT_FALSE(dup.has_value());
  EXPECT_THAT(dup.error().message(), HasSubstr("exists already"));
  auto bad = segments.Create(J(R"({"name": "Zły", "text": "ctiy = x"})"), actor_);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().details()[0].field, "text:1:1");
  auto changed =
      segments.Update(s->id, J(R"({"filter": {"field": "tag", "value": "vip"}})"), actor_);
  ASSERT_TRUE(changed.has_value()) << changed.error().message();
  EXPECT_EQ(changed->text, R"(tag = "vip")");
  EXPECT_EQ(segments.Find("NIEAKTYWNI")->id, s->id);
  EXPECT_EQ(segments.Find(std::to_string(s->id))->name, "Nieaktywni");
  ASSERT_TRUE(segments.Delete(s->id, actor_).has_value());
  EXPECT_EQ(segments.Get(s->id).error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(segments.List()->empty());
}

}  // namespace
}  // namespace quire::crm
