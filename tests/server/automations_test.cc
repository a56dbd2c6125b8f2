// The built-in automations of examples/automations/, deployed as they ship, run over a
// fast-forwarded year (2027) on a store with a year of history (2026): each must act on
// exactly the customers, orders and offers its rule names, once, and leave everyone else
// alone — mails queued to the contact who agreed, SMS, call tasks for the owners, orders
// put on hold.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "quire/services/services.h"
#include "quire/testing/temp_dir.h"

namespace quire {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
namespace json = boost::json;

Timestamp Day(int y, unsigned m, unsigned d, int hour = 0) {
  return Timestamp(std::chrono::sys_days(std::chrono::year(y) / m / d) + std::chrono::hours(hour));
}

class AutomationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.Set(Day(2026, 1, 2, 12));
    services::ServicesOptions options;
    options.search = false;
    options.clock = &clock_;
    options.mail_from = "crm@firma.example";
    auto opened = services::Services::Open(dir_.path(), options);
    ASSERT_TRUE(opened) << opened.error().message();
    s_ = std::move(*opened);
  }

  std::uint64_t Customer(const std::string& name, const std::string& owner,
                         const std::string& extra = "") {
    auto c = s_->customers().Create(
        json::parse(R"({"kind": "company", "name": ")" + name + "\"" + extra + "}").as_object(),
        owner);
    EXPECT_TRUE(c) << c.error().message();
    return c ? c->id : 0;
  }

  std::uint64_t Contact(std::uint64_t customer, const std::string& email, bool consent) {
    json::object fields{{"firstName", "Osoba"},
                        {"lastName", "Kontaktowa"},
                        {"customers", json::array{std::to_string(customer)}},
                        {"emails", json::array{json::object{{"address", email}}}}};
    if (consent) fields["consent"] = {{"email", {{"granted", true}, {"how", "form"}}}};
    auto c = s_->contacts().Create(fields, "anna");
    EXPECT_TRUE(c) << c.error().message();
    return c ? c->id : 0;
  }

  // An offer, sent; accepted and made an order when `order`; paid in full when `paid`.
  std::uint64_t Sale(std::uint64_t customer, const std::string& owner, bool order, bool paid,
                     int terms_days = 14, const std::string& valid_until = "") {
    std::string fields = R"({"customer": ")" + std::to_string(customer) +
                         R"(", "paymentTermsDays": )" + std::to_string(terms_days) +
                         R"(, "lines": [{"name": "Usługa", "quantity": 1, "unitPrice": "100.00"}])";
    if (!valid_until.empty()) fields += R"(, "validUntil": ")" + valid_until + "\"";
    fields += "}";
    auto offer = s_->offers().Create(json::parse(fields).as_object(), owner);
    EXPECT_TRUE(offer) << offer.error().message();
    if (!offer) return 0;
    EXPECT_TRUE(s_->offers().Send(offer->id, owner));
    if (!order) return offer->id;
    EXPECT_TRUE(s_->offers().Accept(offer->id, nullptr, {}, owner));
    auto made = s_->offers().MakeOrder(offer->id, {}, owner);
    EXPECT_TRUE(made) << made.error().message();
    if (!made) return 0;
    if (paid) Pay(made->id);
    return made->id;
  }

  void Pay(std::uint64_t order) {
    auto o = s_->offers().GetOrder(order);
    ASSERT_TRUE(o);
    const std::string amount(
        o->ToJson(s_->offers().Today(clock_.Now())).at("outstanding").as_string());
    ASSERT_TRUE(s_->offers().AddPayment(order, json::object{{"amount", amount}}, "anna"));
  }

  void DeployAutomations() {
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(QUIRE_EXAMPLES_DIR) + "/automations")) {
      std::ifstream in(entry.path());
      std::stringstream xml;
      xml << in.rdbuf();
      auto deployed =
          s_->engine().Deploy(xml.str(), entry.path().filename().string(), "administrator");
      ASSERT_TRUE(deployed) << entry.path() << ": " << deployed.error().message();
    }
  }

  // One day on: the daily timers fire, their jobs and everything they start run.
  void NextDay() {
    clock_.Advance(24h);
    s_->engine().WakeUp();
    s_->engine().WaitIdle();
  }

  // The instances of `process`, as "businessKey" → state.
  std::map<std::string, std::string> Instances(const std::string& process) {
    std::map<std::string, std::string> out;
    auto all = s_->engine().ListInstances(process, 1000);
    EXPECT_TRUE(all) << all.error().message();
    if (!all) return out;
    for (const workflow::InstanceInfo& i : *all) out[i.business_key] = i.state;
    return out;
  }

  std::vector<mail::Message> Outbox() {
    auto page = s_->outbox().List("", 1000, "");
    EXPECT_TRUE(page);
    return page ? page->items : std::vector<mail::Message>{};
  }

  testing::TempDir dir_;
  ManualClock clock_{Timestamp{}};
  std::unique_ptr<services::Services> s_;
};

TEST_F(AutomationsTest, AYearOfAutomationsActsOnExactlyTheRightCustomersOnce) {
  // 2026: a year of history.
  const std::uint64_t alfa = Customer("Piekarnia Alfa", "anna");  // bought once, paid
  const std::uint64_t beta = Customer("Beta sp. z o.o.", "ben");  // buys every spring
  const std::uint64_t gamma = Customer("Gamma S.A.", "anna",      // never paid
                                       R"(, "emails": [{"address": "ksiegowosc@gamma.example"}],
                                          "phones": [{"number": "601 234 567", "label": "mobile"}])");
  const std::uint64_t delta = Customer("Delta", "ben",  // pays late, then pays
                                       R"(, "emails": [{"address": "biuro@delta.example"}])");
  const std::uint64_t epsilon = Customer("Epsilon", "cyryl");  // an offer only
  const std::uint64_t phi = Customer("Phi", "anna",            // nothing at all
                                     R"(, "tags": ["interest:KRZ-1"], "category": "A")");
  const std::uint64_t alfa_contact = Contact(alfa, "jan@alfa.example", true);
  Contact(beta, "ewa@beta.example", false);  // no consent: no marketing mail for beta
  // Interest in the desk (alfa, beta) and in the chair (gamma, phi).
  ASSERT_TRUE(s_->customers().Update(alfa, json::object{{"tags", json::array{"interest:BIU-120"}}},
                                     "anna"));
  ASSERT_TRUE(
      s_->customers().Update(beta, json::object{{"tags", json::array{"interest:BIU-120"}}}, "ben"));
  ASSERT_TRUE(s_->customers().Update(
      gamma, json::object{{"tags", json::array{"interest:KRZ-1", "vip"}}}, "anna"));
  auto desk = s_->products().Create(json::parse(R"({"code": "BIU-120", "name": "Biurko 120",
                     "prices": [{"currency": "PLN", "unitPrice": "1000.00"}]})")
                                        .as_object(),
                                    "administrator");
  ASSERT_TRUE(desk) << desk.error().message();
  auto chair = s_->products().Create(json::parse(R"({"code": "KRZ-1", "name": "Krzesło",
                     "prices": [{"currency": "PLN", "unitPrice": "300.00"}]})")
                                         .as_object(),
                                     "administrator");
  ASSERT_TRUE(chair) << chair.error().message();
  // A spring promotion of the desk for everyone; an autumn one of the chair for category A
  // only (phi, not gamma); a promotion of 2026 that is over.
  auto spring = s_->products().CreatePriceList(
      json::parse(R"({"name": "Wiosna", "currency": "PLN", "validFrom": "2027-04-01",
                     "validTo": "2027-04-30", "entries": [{"product": ")" +
                  std::to_string(desk->id) + R"(", "discountPercent": "10"}]})")
          .as_object(),
      "administrator");
  ASSERT_TRUE(spring) << spring.error().message();
  auto autumn = s_->products().CreatePriceList(
      json::parse(R"({"name": "Jesień A", "currency": "PLN", "customerCategory": "A",
                     "validFrom": "2027-09-01", "entries": [{"product": ")" +
                  std::to_string(chair->id) + R"(", "unitPrice": "250.00"}]})")
          .as_object(),
      "administrator");
  ASSERT_TRUE(autumn) << autumn.error().message();
  ASSERT_TRUE(s_->products().CreatePriceList(
      json::parse(R"({"name": "Stara", "currency": "PLN", "validFrom": "2026-02-01",
                     "validTo": "2026-02-28", "entries": [{"product": ")" +
                  std::to_string(chair->id) + R"(", "discountPercent": "5"}]})")
          .as_object(),
      "administrator"));
  const std::uint64_t phi_contact = Contact(phi, "ola@phi.example", true);
  clock_.Set(Day(2026, 3, 10, 9));
  Sale(alfa, "anna", true, true);
  clock_.Set(Day(2026, 5, 5, 9));
  Sale(beta, "ben", true, true);
  clock_.Set(Day(2026, 6, 15, 9));
  const std::uint64_t gamma_order = Sale(gamma, "anna", true, false);
  clock_.Set(Day(2027, 1, 1, 0));
  DeployAutomations();

  // 2027, day by day, with what people do on their days.
  std::uint64_t delta_order = 0, epsilon_offer = 0;
  std::set<std::string> calls_done;
  for (Timestamp day = Day(2027, 1, 1); day < Day(2028, 1, 1); day += 24h) {
    NextDay();
    const auto today =
        std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(clock_.Now()));
    if (today == std::chrono::year(2027) / 2 / 1) delta_order = Sale(delta, "ben", true, false, 7);
    if (today == std::chrono::year(2027) / 2 / 12) Pay(delta_order);
    if (today == std::chrono::year(2027) / 4 / 1) Sale(beta, "ben", true, true);
    if (today == std::chrono::year(2027) / 5 / 20) {
      epsilon_offer = Sale(epsilon, "cyryl", false, false, 14, "2027-06-10");
    }
    // Call tasks are done the day after they appear.
    auto tasks = s_->engine().ListTasks(std::nullopt);
    ASSERT_TRUE(tasks);
    for (const workflow::TaskInfo& t : *tasks) {
      const std::string key = std::to_string(t.id);
      if (calls_done.contains(key) || t.element_id != "call") continue;
      if (t.created_at + 24h <= clock_.Now()) {
        ASSERT_TRUE(s_->engine().CompleteTask(t.id, {}, t.assignee)) << t.name;
        s_->engine().WaitIdle();
        calls_done.insert(key);
      }
    }
  }

  const std::string a = std::to_string(alfa), b = std::to_string(beta), g = std::to_string(gamma),
                    d = std::to_string(delta), e = std::to_string(epsilon);
  // No purchase in 12 months: alfa on 2027-03-10, gamma on 2027-06-15; beta bought again
  // before its year was out, delta bought in 2027, epsilon and phi never bought.
  EXPECT_EQ(Instances("automation-no-purchase-customer"),
            (std::map<std::string, std::string>{{"no-purchase-2026-03-10-" + a, "completed"},
                                                {"no-purchase-2026-06-15-" + g, "completed"}}));
  // Anniversaries of the first order: alfa, beta (its first, not its second), gamma.
  EXPECT_EQ(Instances("automation-anniversary-customer"),
            (std::map<std::string, std::string>{{"anniversary-2026-03-10-" + a, "completed"},
                                                {"anniversary-2026-05-05-" + b, "completed"},
                                                {"anniversary-2026-06-15-" + g, "completed"}}));
  // Unpaid orders: gamma's from the first day, delta's the day after its due date.
  EXPECT_EQ(Instances("automation-unpaid-order"),
            (std::map<std::string, std::string>{
                {"unpaid-order-" + std::to_string(gamma_order), "completed"},
                {"unpaid-order-" + std::to_string(delta_order), "completed"}}));
  // The offer about to expire: once, though it was in the window four days.
  EXPECT_EQ(Instances("automation-offer-expiry-offer"),
            (std::map<std::string, std::string>{
                {"offer-expiry-" + std::to_string(epsilon_offer), "completed"}}));
  // Nothing got stuck on the way.
  const auto incidents = s_->engine().ListIncidents(std::nullopt).value();
  for (const auto& incident : incidents) {
    ADD_FAILURE() << incident.process_id << "/" << incident.element_id << ": " << incident.message;
  }
  // Interest: the desk's spring promotion to alfa and beta (beta's contact did not agree:
  // started, nothing sent); the chair's autumn one to phi (category A), not to gamma.
  const std::string p = std::to_string(phi);
  const std::string spring_key = "interest-" + std::to_string(spring->id) + "-BIU-120-";
  EXPECT_EQ(Instances("automation-interest-customer"),
            (std::map<std::string, std::string>{
                {spring_key + a, "completed"},
                {spring_key + b, "completed"},
                {"interest-" + std::to_string(autumn->id) + "-KRZ-1-" + p, "completed"}}));

  // What went out: marketing only to alfa's contact, who agreed (the lapse and the
  // anniversary); gamma's ladder: e-mail, SMS (then the call, then the hold); delta's: the
  // e-mail only, as it paid before the SMS.
  std::multiset<std::string> sent;
  for (const mail::Message& m : Outbox()) {
    sent.insert(m.channel + " " + m.kind + " " + m.to.at(0));
  }
  EXPECT_EQ(sent, (std::multiset<std::string>{
                      "email marketing jan@alfa.example",
                      "email marketing jan@alfa.example",
                      "email marketing jan@alfa.example",
                      "email marketing ola@phi.example",
                      "email transactional ksiegowosc@gamma.example",
                      "sms transactional +48601234567",
                      "email transactional biuro@delta.example",
                  }));
  for (const mail::Message& m : Outbox()) {
    if (m.kind == "marketing") {
      EXPECT_TRUE(m.contact == alfa_contact || m.contact == phi_contact) << m.contact;
    }
    if (m.subject.find("promocji") != std::string::npos && m.contact == alfa_contact) {
      EXPECT_THAT(m.text, HasSubstr("Biurko 120 (BIU-120)"));
      EXPECT_THAT(m.text, HasSubstr("„Wiosna”: 900.00 PLN netto"));
    }
    if (m.channel == "sms") {
      EXPECT_THAT(m.text, HasSubstr("123.00"));  // 100.00 net, 23 % VAT
    }
  }
  // The calls: alfa's and gamma's lapses to their owner anna, gamma's debt to anna,
  // epsilon's offer to cyryl — and no other.
  EXPECT_EQ(calls_done.size(), 4u);
  EXPECT_TRUE(s_->engine().ListTasks(std::nullopt)->empty());
  // Gamma's further orders are on hold; delta's are not.
  EXPECT_EQ(s_->customers().Get(gamma)->profile.at("ordersOnHold"), true);
  EXPECT_FALSE(s_->customers().Get(delta)->profile.contains("ordersOnHold"));
  const std::uint64_t offer = Sale(gamma, "anna", false, false);
  ASSERT_TRUE(s_->offers().Accept(offer, nullptr, {}, "anna"));
  auto refused = s_->offers().MakeOrder(offer, {}, "anna");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kConflict);
  EXPECT_THAT(refused.error().message(), HasSubstr("on hold"));
  (void)d;
  (void)e;
}

// 28 and 29 February 2028 both count a year back to 28 February 2027: the anniversary of
// an order of that day is greeted once, not on both days.
TEST_F(AutomationsTest, ALeapYearGreetsAnAnniversaryOnce) {
  const std::uint64_t c = Customer("Luty", "anna");
  Contact(c, "luty@klient.example", true);
  clock_.Set(Day(2027, 2, 28, 9));
  Sale(c, "anna", true, true);
  clock_.Set(Day(2028, 2, 26, 0));
  DeployAutomations();
  for (int i = 0; i < 5; ++i) NextDay();  // 27 February … 2 March 2028
  EXPECT_EQ(Instances("automation-anniversary-customer"),
            (std::map<std::string, std::string>{
                {"anniversary-2027-02-28-" + std::to_string(c), "completed"}}));
}

}  // namespace
}  // namespace quire
