#include "quire/crm/classes.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>

#include "quire/base/json_merge_patch.h"
#include "quire/crm/filter.h"
#include "quire/crm/money.h"

namespace quire::crm {
namespace json = boost::json;
namespace {

constexpr storage::ColumnFamily kCrm = storage::ColumnFamily::kCrm;
const std::string kKey = "Hclasses";

std::int32_t DayNumber(std::chrono::year_month_day d) {
  return static_cast<std::int32_t>(std::chrono::sys_days(d).time_since_epoch().count());
}

// The day `amount` `unit`s before `today`, as the segment language resolves "today - Nm".
std::int32_t Before(std::int32_t today, int amount, char unit) {
  DaySpec d;
  d.base = DaySpec::Base::kToday;
  d.amount = -amount;
  d.unit = unit;
  return d.Resolve(today);
}

// Order amounts are in the currency's minor unit (grosze): 2 places.
std::string Money(std::int64_t cents) { return FormatFixed(cents, 2); }

struct Member {
  const char* name;
  int ClassThresholds::*field;
  int min, max;
};
constexpr Member kInts[] = {
    {"keyMonths", &ClassThresholds::key_months, 1, 120},
    {"loyalOrders", &ClassThresholds::loyal_orders, 1, 10'000},
    {"loyalMonths", &ClassThresholds::loyal_months, 1, 120},
    {"atRiskMonths", &ClassThresholds::at_risk_months, 1, 120},
    {"dormantMonths", &ClassThresholds::dormant_months, 1, 240},
    {"debtDays", &ClassThresholds::debt_days, 0, 3650},
    {"newDays", &ClassThresholds::new_days, 1, 3650},
};

}  // namespace

bool IsClassName(std::string_view name) {
  return std::find(std::begin(kClassNames), std::end(kClassNames), name) != std::end(kClassNames);
}

json::object ClassThresholds::ToJson() const {
  json::object o{{"keyRevenue", Money(key_revenue)}, {"keyCurrency", "PLN"}};
  for (const Member& m : kInts) o[m.name] = this->*m.field;
  return o;
}

Result<ClassThresholds> ClassThresholds::FromJson(const json::object& o,
                                                  const ClassThresholds& base) {
  ClassThresholds t = base;
  std::vector<ErrorDetail> problems;
  for (const auto& kv : o) {
    const std::string_view name = kv.key();
    if (name == "keyCurrency") {
      if (!kv.value().is_string() || kv.value().get_string() != "PLN") {
        problems.push_back({"keyCurrency", "is PLN: key customers are counted in PLN"});
      }
      continue;
    }
    if (name == "keyRevenue") {
      Result<std::int64_t> v = Error::InvalidArgument("");
      if (kv.value().is_string()) v = ParseFixed(kv.value().get_string(), 2);
      if (!v || *v <= 0 || *v > kMaxAmount) {
        problems.push_back({"keyRevenue", "is an amount above zero as text: \"100000.00\""});
      } else {
        t.key_revenue = *v;
      }
      continue;
    }
    const Member* m = std::find_if(std::begin(kInts), std::end(kInts),
                                   [&](const Member& x) { return name == x.name; });
    if (m == std::end(kInts)) {
      problems.push_back({std::string(name),
                          "is not a threshold: keyRevenue, keyMonths, loyalOrders, loyalMonths, "
                          "atRiskMonths, dormantMonths, debtDays, newDays"});
      continue;
    }
    if (!kv.value().is_int64() || kv.value().get_int64() < m->min ||
        kv.value().get_int64() > m->max) {
      problems.push_back({std::string(name), "is a whole number from " + std::to_string(m->min) +
                                                 " to " + std::to_string(m->max)});
      continue;
    }
    t.*(m->field) = static_cast<int>(kv.value().get_int64());
  }
  if (problems.empty() && t.at_risk_months >= t.dormant_months) {
    problems.push_back({"atRiskMonths", "is less than dormantMonths (" +
                                            std::to_string(t.dormant_months) +
                                            "): a customer is at risk before dormant"});
  }
  if (!problems.empty()) {
    return Error::ValidationFailed("the class thresholds have " + std::to_string(problems.size()) +
                                       (problems.size() == 1 ? " error" : " errors") +
                                       "; nothing was changed",
                                   std::move(problems));
  }
  return t;
}

std::string ClassRule(const ClassThresholds& t, std::string_view name) {
  const std::string live = "status != cancelled";
  auto months = [](int n) { return "today - " + std::to_string(n) + "m"; };
  auto days = [](int n) { return "today - " + std::to_string(n) + "d"; };
  if (name == "key") {
    return "sum order.gross (" + live + " and date >= " + months(t.key_months) +
           ") >= " + Money(t.key_revenue);
  }
  if (name == "loyal") {
    return "count order (" + live + " and date >= " + months(t.loyal_months) +
           ") >= " + std::to_string(t.loyal_orders);
  }
  if (name == "atRisk") {
    return "has order (" + live + " and date >= " + months(t.dormant_months) + ") and no order (" +
           live + " and date >= " + months(t.at_risk_months) + ")";
  }
  if (name == "dormant") {
    return "has order (" + live + ") and no order (" + live +
           " and date >= " + months(t.dormant_months) + ")";
  }
  if (name == "inDebt") {
    return "has order (unpaid and dueDate < " +
           (t.debt_days == 0 ? std::string("today") : days(t.debt_days)) + ")";
  }
  if (name == "new") {
    return "has order (" + live + " and date >= " + days(t.new_days) + ") and no order (" + live +
           " and date < " + days(t.new_days) + ")";
  }
  return "";
}

std::vector<CustomerClass> ClassesOf(const std::vector<Order>& orders,
                                     std::chrono::year_month_day today_ymd,
                                     const ClassThresholds& t) {
  const std::int32_t today = DayNumber(today_ymd);
  std::vector<const Order*> live;
  for (const Order& o : orders) {
    if (o.status != "cancelled") live.push_back(&o);
  }
  std::sort(live.begin(), live.end(), [](const Order* a, const Order* b) {
    return DayNumber(a->ordered_on) < DayNumber(b->ordered_on);
  });
  std::vector<CustomerClass> out;
  auto count_since = [&](std::int32_t from) {
    return std::count_if(live.begin(), live.end(),
                         [&](const Order* o) { return DayNumber(o->ordered_on) >= from; });
  };
  // key
  {
    const std::int32_t from = Before(today, t.key_months, 'm');
    std::int64_t sum = 0;
    for (const Order* o : live) {
      if (o->currency == "PLN" && DayNumber(o->ordered_on) >= from) sum += o->totals.gross;
    }
    if (sum >= t.key_revenue) {
      out.push_back({"key", "orders worth " + Money(sum) + " PLN within the last " +
                                std::to_string(t.key_months) + " months (key from " +
                                Money(t.key_revenue) + " PLN)"});
    }
  }
  // loyal
  {
    const auto n = count_since(Before(today, t.loyal_months, 'm'));
    if (n >= t.loyal_orders) {
      out.push_back({"loyal", std::to_string(n) + " orders within the last " +
                                  std::to_string(t.loyal_months) + " months (loyal from " +
                                  std::to_string(t.loyal_orders) + ")"});
    }
  }
  // at risk, dormant
  if (!live.empty()) {
    const std::int32_t last = DayNumber(live.back()->ordered_on);
    const std::string last_text = FormatIsoDay(last);
    if (last < Before(today, t.at_risk_months, 'm') &&
        last >= Before(today, t.dormant_months, 'm')) {
      out.push_back({"atRisk", "the last order on " + last_text + ", none within the last " +
                                   std::to_string(t.at_risk_months) + " months"});
    }
    if (last < Before(today, t.dormant_months, 'm')) {
      out.push_back({"dormant", "the last order on " + last_text + ", none within the last " +
                                    std::to_string(t.dormant_months) + " months"});
    }
  }
  // in debt
  {
    const std::int32_t due_before = Before(today, t.debt_days, 'd');
    std::map<std::string, std::int64_t> outstanding;
    int count = 0;
    std::optional<std::int32_t> oldest;
    for (const Order& o : orders) {
      if (o.outstanding() <= 0 || o.status == "cancelled") continue;
      const std::int32_t due = DayNumber(o.due());
      if (due >= due_before) continue;
      ++count;
      outstanding[o.currency] += o.outstanding();
      if (!oldest || due < *oldest) oldest = due;
    }
    if (count > 0) {
      std::string amounts;
      for (const auto& [currency, amount] : outstanding) {
        auto found = FindCurrency(currency);
        const int digits = found ? found->digits : 2;
        amounts += (amounts.empty() ? "" : ", ") + FormatFixed(amount, digits) + " " + currency;
      }
      out.push_back({"inDebt", std::to_string(count) +
                                   (count == 1 ? " order unpaid" : " orders unpaid") +
                                   " after its due date: " + amounts +
                                   " outstanding, the oldest due " + FormatIsoDay(*oldest)});
    }
  }
  // new
  if (!live.empty()) {
    const std::int32_t first = DayNumber(live.front()->ordered_on);
    if (first >= Before(today, t.new_days, 'd')) {
      out.push_back({"new", "the first order on " + FormatIsoDay(first) + ", within the last " +
                                std::to_string(t.new_days) + " days"});
    }
  }
  return out;
}

Result<ClassThresholds> ClassStore::Get() const {
  std::lock_guard lock(mu_);
  if (cached_) return *cached_;
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(kCrm, kKey));
  ClassThresholds t;
  if (raw) {
    json::error_code ec;
    json::value v = json::parse(*raw, ec);
    if (ec || !v.is_object()) return Error::Corruption("the class thresholds are not JSON");
    auto parsed = ClassThresholds::FromJson(v.get_object(), ClassThresholds{});
    if (!parsed) return Error::Corruption("the stored class thresholds do not read back");
    t = *parsed;
  }
  cached_ = t;
  return t;
}

Result<ClassThresholds> ClassStore::Put(const json::object& patch, const audit::Actor& actor) {
  std::lock_guard put(put_mu_);  // read, change, write: one at a time
  QUIRE_ASSIGN_OR_RETURN(ClassThresholds before, Get());
  const json::object merged = MergePatch(before.ToJson(), patch);
  for (const auto& kv : patch) {
    if (kv.value().is_null()) {
      return Error::ValidationFailed("the class thresholds have 1 error; nothing was changed",
                                     {{std::string(kv.key()), "cannot be removed, only changed"}});
    }
  }
  QUIRE_ASSIGN_OR_RETURN(ClassThresholds t, ClassThresholds::FromJson(merged, ClassThresholds{}));
  std::lock_guard lock(mu_);
  storage::WriteBatch batch;
  batch.Put(kCrm, kKey, json::serialize(t.ToJson()));
  std::vector<audit::EntryFields> entries;
  entries.push_back({actor, "crm.classes.put", "crm/classes", {}});
  QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch), std::move(entries), clock_.Now()));
  cached_ = t;
  return t;
}

}  // namespace quire::crm
