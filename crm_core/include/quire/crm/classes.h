// Computed classes of customers: key, loyal, atRisk, dormant, inDebt, new — from rules
// over their orders and payments with configurable thresholds, never typed by hand.
//
// A class is a rule in the segment language (filter.h) made from the thresholds, so that
// "class = loyal" in any customer filter is that rule, evaluated by the segment engine over
// its indexes, which the same batches that write orders and payments keep current: a class
// changes the moment an order is made or paid, and as days pass, with no nightly scan and
// nothing stored to go stale. One customer's classes (the card) are computed from their
// own orders with the same meaning, each with the reason in words; a property test holds
// the two to the same answers.
//
//   key      orders worth at least keyRevenue PLN (gross, not cancelled) dated within the
//            last keyMonths months
//   loyal    at least loyalOrders orders (not cancelled) within the last loyalMonths months
//   atRisk  the last order atRiskMonths or more months ago, but less than dormantMonths
//   dormant  orders, but none within the last dormantMonths months
//   inDebt  an order unpaid more than debtDays days after its due date
//   new      the first order within the last newDays days
//
// Stored in the `crm` column family: 'H' "classes" → the thresholds, JSON (audited as
// crm.classes.put).
//
// Thread-safety: any thread; writes are serialised.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/result.h"
#include "quire/crm/offers.h"
#include "quire/storage/store.h"

namespace quire::crm {

// The class names, in the order they are shown.
inline constexpr std::string_view kClassNames[] = {"key",     "loyal",  "atRisk",
                                                   "dormant", "inDebt", "new"};
bool IsClassName(std::string_view name);

struct ClassThresholds {
  std::int64_t key_revenue = 100'000 * 100;  // PLN in grosze, as order totals are
  int key_months = 12;
  int loyal_orders = 4;
  int loyal_months = 24;
  int at_risk_months = 6;
  int dormant_months = 12;
  int debt_days = 0;
  int new_days = 90;

  boost::json::object ToJson() const;
  // From {"keyRevenue": "100000.00", "keyMonths": 12, ...}; members left out keep their
  // value in `base`. Errors: kValidationFailed, one detail per member.
  static Result<ClassThresholds> FromJson(const boost::json::object& o,
                                          const ClassThresholds& base);
};

// The segment-language rule of class `name` under `t` (a customer filter).
std::string ClassRule(const ClassThresholds& t, std::string_view name);

struct CustomerClass {
  std::string name;
  std::string reason;  // "3 orders within the last 24 months (loyal from 3), the last 2027-05-02"
  boost::json::object ToJson() const { return {{"name", name}, {"reason", reason}}; }
};

// The classes of a customer with `orders` on `today` (Europe/Warsaw), each with its reason.
std::vector<CustomerClass> ClassesOf(const std::vector<Order>& orders,
                                     std::chrono::year_month_day today, const ClassThresholds& t);

class ClassStore {
 public:
  ClassStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock)
      : store_(store), audit_(audit), clock_(clock) {}

  Result<ClassThresholds> Get() const;
  // Changes the thresholds given (a JSON Merge Patch of Get()'s JSON).
  Result<ClassThresholds> Put(const boost::json::object& patch, const audit::Actor& actor);

 private:
  storage::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  std::mutex put_mu_;
  mutable std::mutex mu_;
  mutable std::optional<ClassThresholds> cached_;  // GUARDED_BY(mu_)
};

}  // namespace quire::crm
