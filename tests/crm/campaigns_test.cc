#include "quire/crm/campaigns.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "quire/base/instant.h"
#include "quire/crm/activities.h"
#include "quire/crm/cases.h"
#include "quire/crm/customers.h"
#include "quire/crm/offers.h"
#include "quire/crm/schema.h"
#include "quire/crm/segments.h"
#include "quire/testing/temp_dir.h"

namespace quire::crm {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

constexpr Timestamp kNow{std::chrono::milliseconds(1796547600000)};  // 2026-12-06 09:00 UTC

json::object J(std::string_view text) { return json::parse(text).as_object(); }

class CampaignsTest : public ::testing::Test {
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
    segments_ = std::make_unique<SegmentStore>(*store_, *audit_, clock_);
    campaigns_ = std::make_unique<CampaignStore>(*store_, *audit_, clock_, *customers_,
                                                 *activities_, *engine_, *segments_);
    for (const char* c : {R"({"name": "A", "tags": ["vip"], "owner": "anna"})",
                          R"({"name": "B", "tags": ["vip"], "owner": "jan"})",
                          R"({"name": "C", "tags": ["vip"], "owner": "ewa"})",
                          R"({"name": "D", "owner": "anna"})"}) {
      ids_.push_back(customers_->Create(J(c), actor_)->id);
    }
    segment_ = segments_->Create(J(R"({"name": "VIP", "text": "tag = vip"})"), actor_)->id;
  }

  Result<Campaign> Make() {
    return campaigns_->Create(
        J(R"({"name": "Zimowa promocja", "goal": "Zamówienia od stałych klientów",
              "budget": "3000.00", "segment": ")" +
          std::to_string(segment_) + R"(", "startsOn": "2026-12-10",
              "actions": [{"kind": "call", "name": "Telefon z ofertą"},
                          {"kind": "mailing", "name": "Newsletter", "owner": "marketing",
                           "date": "2026-12-08"}]})"),
        actor_);
  }

  // The activity a launch made for a customer and action.
  Activity MadeFor(CampaignId campaign, std::uint32_t action, CustomerId customer) {
    auto id =
        activities_->FindByExternalId("campaign-" + std::to_string(campaign) + "-" +
                                      std::to_string(action) + "-" + std::to_string(customer));
    EXPECT_TRUE(id.has_value() && id->has_value());
    return *activities_->Get(**id);
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
  std::unique_ptr<SegmentStore> segments_;
  std::unique_ptr<CampaignStore> campaigns_;
  const audit::Actor actor_{"anna"};
  std::vector<CustomerId> ids_;
  SegmentId segment_ = 0;
};

TEST_F(CampaignsTest, ALaunchSnapshotsTheMembersAndPlansEachActionForEachMember) {
  auto c = Make();
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->status, "planned");
  auto launched = campaigns_->Launch(c->id, nullptr, actor_);
  ASSERT_TRUE(launched.has_value()) << launched.error().message();
  EXPECT_EQ(launched->status, "running");
  EXPECT_EQ(launched->members, 3u);
  EXPECT_EQ(launched->filter, R"(tag = "vip")");
  EXPECT_EQ(*campaigns_->Members(c->id, 0, 10),
            (std::vector<std::uint64_t>{ids_[0], ids_[1], ids_[2]}));
  // The call is each member's owner's, on the campaign's first day; the mailing marketing's.
  const Activity call = MadeFor(c->id, 1, ids_[1]);
  EXPECT_EQ(call.type, "call");
  EXPECT_EQ(call.status, "planned");
  EXPECT_EQ(call.employees, std::vector<std::string>{"jan"});
  EXPECT_EQ(call.campaign, std::to_string(c->id) + "/1");
  EXPECT_EQ(FormatInstant(call.start), "2026-12-10T00:00:00.000Z");
  const Activity mail = MadeFor(c->id, 2, ids_[2]);
  EXPECT_EQ(mail.type, "email");
  EXPECT_EQ(mail.employees, std::vector<std::string>{"marketing"});
  // The snapshot stays what it was: a new vip is no member; "campaign = N" selects them.
  ASSERT_TRUE(customers_->Create(J(R"({"name": "E", "tags": ["vip"]})"), actor_).has_value());
  auto members = engine_->All(*ParseFilterText("campaign = " + std::to_string(c->id)), nullptr);
  EXPECT_EQ(*members, (std::vector<std::uint64_t>{ids_[0], ids_[1], ids_[2]}));
  // Launched once; the segment and actions are fixed now.
  EXPECT_EQ(campaigns_->Launch(c->id, nullptr, actor_).error().code(), ErrorCode::kConflict);
  auto change = campaigns_->Update(c->id, J(R"({"actions": []})"), actor_);
  EXPECT_EQ(change.error().code(), ErrorCode::kConflict);
  EXPECT_TRUE(campaigns_->Update(c->id, J(R"({"goal": "Więcej zamówień"})"), actor_).has_value());
  // A scope limits the members to what the launcher may see.
  auto other = Make();
  const Filter annas = *ParseFilterText("owner = anna");
  auto scoped = campaigns_->Launch(other->id, &annas, actor_);
  ASSERT_TRUE(scoped.has_value());
  EXPECT_EQ(scoped->members, 2u);  // A and E, anna's
  EXPECT_EQ(campaigns_->Finish(c->id, actor_)->status, "finished");
}

TEST_F(CampaignsTest, EffectivenessCountsWhatIsAttributedPerCampaignAndAction) {
  auto c = Make();
  ASSERT_TRUE(campaigns_->Launch(c->id, nullptr, actor_).has_value());
  const std::string id = std::to_string(c->id);
  // A: called (interested), mailed; an offer from the call, accepted and ordered.
  ASSERT_TRUE(activities_->Update(MadeFor(c->id, 1, ids_[0]).id,
                                  J(R"({"status": "done", "outcome": "interested"})"), actor_));
  ASSERT_TRUE(
      activities_->Update(MadeFor(c->id, 2, ids_[0]).id, J(R"({"status": "done"})"), actor_));
  auto offer = offers_->Create(
      J(R"({"customer": ")" + std::to_string(ids_[0]) + R"(", "campaign": ")" + id +
        R"(/1", "lines": [{"name": "Usługa", "quantity": 2, "unitPrice": "500.00", "taxRate": "23"}]})"),
      actor_);
  ASSERT_TRUE(offer.has_value()) << offer.error().message();
  ASSERT_TRUE(offers_->Accept(offer->id, nullptr, {"admin"}, actor_).has_value());
  auto order = offers_->MakeOrder(offer->id, {}, actor_);
  ASSERT_TRUE(order.has_value());
  EXPECT_EQ(order->campaign, id + "/1");
  // B: called, no outcome; an offer attributed to the campaign alone, not taken up.
  ASSERT_TRUE(
      activities_->Update(MadeFor(c->id, 1, ids_[1]).id, J(R"({"status": "done"})"), actor_));
  ASSERT_TRUE(
      offers_
          ->Create(J(R"({"customer": ")" + std::to_string(ids_[1]) + R"(", "campaign": ")" + id +
                     R"(", "lines": [{"name": "X", "quantity": 1, "unitPrice": "10.00"}]})"),
                   actor_)
          .has_value());
  // Something of another campaign is not counted.
  ASSERT_TRUE(
      offers_
          ->Create(
              J(R"({"customer": ")" + std::to_string(ids_[2]) +
                R"(", "campaign": "99", "lines": [{"name": "X", "quantity": 1, "unitPrice": "10.00"}]})"),
              actor_)
          .has_value());
  auto measured = campaigns_->Measure(c->id);
  ASSERT_TRUE(measured.has_value()) << measured.error().message();
  const Effectiveness& all = measured->at(0);
  EXPECT_EQ(all.members, 3u);
  EXPECT_EQ(all.activities, 6u);
  EXPECT_EQ(all.done, 3u);
  EXPECT_EQ(all.reached, 2u);
  EXPECT_EQ(all.responses, 2u);
  EXPECT_EQ(all.offers, 2u);
  EXPECT_EQ(all.accepted_offers, 1u);
  EXPECT_EQ(all.orders, 1u);
  EXPECT_EQ(all.revenue, 123000);  // 1000.00 net + 23 % VAT, in grosze
  const json::object j = all.ToJson(*c, c->budget);
  EXPECT_EQ(j.at("revenue"), "1230.00");
  EXPECT_EQ(j.at("costPerOrder"), "3000.00");
  EXPECT_EQ(j.at("responsePercent"), "66.67");
  const Effectiveness& call = measured->at(1);
  EXPECT_EQ(call.activities, 3u);
  EXPECT_EQ(call.done, 2u);
  EXPECT_EQ(call.reached, 2u);
  EXPECT_EQ(call.responses, 1u);  // A: an outcome and an offer
  EXPECT_EQ(call.offers, 1u);
  EXPECT_EQ(call.orders, 1u);
  EXPECT_EQ(call.revenue, 123000);
  const Effectiveness& mail = measured->at(2);
  EXPECT_EQ(mail.activities, 3u);
  EXPECT_EQ(mail.done, 1u);
  EXPECT_EQ(mail.reached, 1u);
  EXPECT_EQ(mail.responses, 0u);
  EXPECT_EQ(mail.orders, 0u);
  EXPECT_TRUE(mail.ToJson(*c, c->budget).at("costPerOrder").is_null());
  // A cancelled order no longer counts.
  ASSERT_TRUE(offers_->UpdateOrder(order->id, J(R"({"status": "cancelled"})"), actor_));
  EXPECT_EQ(campaigns_->Measure(c->id)->at(0).orders, 0u);
}

TEST_F(CampaignsTest, BadCampaignsAreRefusedFieldByField) {
  auto bad = campaigns_->Create(
      J(R"({"name": "", "budget": 3000, "segment": "77", "startsOn": "2026-12-10",
            "endsOn": "2026-12-01", "actions": [{"kind": "fax", "name": ""}], "colour": "red"})"),
      actor_);
  ASSERT_FALSE(bad.has_value());
  std::map<std::string, std::string> problems;
  for (const ErrorDetail& d : bad.error().details()) problems[d.field] = d.message;
  EXPECT_THAT(problems["name"], HasSubstr("needs a name"));
  EXPECT_THAT(problems["budget"], HasSubstr("decimal string"));
  EXPECT_THAT(problems["segment"], HasSubstr("no segment 77"));
  EXPECT_THAT(problems["endsOn"], HasSubstr("before startsOn"));
  EXPECT_THAT(problems["actions[0].kind"], HasSubstr("mailing, call, event or visit"));
  EXPECT_THAT(problems["actions[0].name"], HasSubstr("needs a name"));
  EXPECT_THAT(problems["colour"], HasSubstr("is not a field of a campaign"));
  auto without = campaigns_->Create(J(R"({"name": "Bez segmentu"})"), actor_);
  ASSERT_TRUE(without.has_value());
  EXPECT_EQ(campaigns_->Launch(without->id, nullptr, actor_).error().code(),
            ErrorCode::kValidationFailed);
}

}  // namespace
}  // namespace quire::crm
