#include "quire/crm/kpis.h"

#include <atomic>
#include <charconv>

#include "quire/crm/activities.h"
#include "quire/crm/cases.h"
#include "quire/crm/money.h"
#include "quire/crm/offers.h"
#include "quire/crm/segment_index.h"
#include "quire/storage/counter_sets.h"
#include "quire/storage/key_codec.h"

namespace quire::crm {
namespace json = boost::json;
namespace {

// (employee, month) → metric → amount
using Counts = std::map<std::pair<std::string, std::int32_t>, std::map<std::string, std::int64_t>>;

const std::string kPrefix = storage::KeyEncoder().U8('Q').U8('z').U8('E').Take();
const std::string kEmployees = storage::KeyEncoder().U8('Q').U8('z').U8('e').Take();

std::string Key(const std::string& employee, std::int32_t month) {
  // Month first: a report of everyone reads its months as one range (counter_sets.h).
  return storage::CounterSetKey(kPrefix, employee, month);
}

std::int32_t MonthOfDay(std::int64_t day) {
  const std::chrono::year_month_day d{std::chrono::sys_days(std::chrono::days(day))};
  return KpiMonth(d.year() / d.month());
}
std::int32_t MonthOf(Timestamp t) { return MonthOfDay(WarsawDay(t)); }
std::int32_t MonthOf(std::chrono::year_month_day d) { return KpiMonth(d.year() / d.month()); }

std::atomic<bool> counting{true};

void Write(const Counts& before, const Counts& after, storage::WriteBatch& batch) {
  if (!counting.load(std::memory_order_relaxed)) return;
  std::map<std::pair<std::string, std::int32_t>, std::map<std::string, std::int64_t>> deltas;
  for (const auto& [where, metrics] : after) {
    for (const auto& [metric, amount] : metrics) deltas[where][metric] += amount;
  }
  for (const auto& [where, metrics] : before) {
    for (const auto& [metric, amount] : metrics) deltas[where][metric] -= amount;
  }
  for (auto& [where, metrics] : deltas) {
    std::erase_if(metrics, [](const auto& m) { return m.second == 0; });
    if (!metrics.empty()) {
      batch.AddToCounterSet(storage::ColumnFamily::kCrm, Key(where.first, where.second), metrics);
      batch.Put(storage::ColumnFamily::kCrm,
                storage::KeyEncoder(kEmployees).String(where.first).Take(), "");
    }
  }
}

Counts Of(const Activity* a) {
  Counts c;
  if (a == nullptr || a->status != "done") return c;
  const std::int32_t m = MonthOf(a->start);
  for (const std::string& e : a->employees) {
    c[{e, m}]["activities"] += 1;
    c[{e, m}]["activities:" + a->type] += 1;
  }
  return c;
}

Counts Of(const Offer* o) {
  Counts c;
  if (o == nullptr || o->revision != 1 || o->owner.empty()) return c;
  c[{o->owner, MonthOf(o->created_at)}]["offers"] += 1;
  return c;
}

Counts Of(const Order* o) {
  Counts c;
  if (o == nullptr || o->status == "cancelled" || o->owner.empty()) return c;
  const std::int32_t m = MonthOf(o->ordered_on);
  c[{o->owner, m}]["orders"] += 1;
  c[{o->owner, m}]["revenue:" + o->currency] += o->totals.gross;
  if (o->offer_made_at) {
    const std::int64_t made = WarsawDay(*o->offer_made_at);
    const std::int64_t ordered = std::chrono::sys_days(o->ordered_on).time_since_epoch().count();
    c[{o->owner, m}]["conversions"] += 1;
    c[{o->owner, m}]["conversionDays"] += std::max<std::int64_t>(0, ordered - made);
  }
  return c;
}

Counts Of(const ServiceCase* s) {
  Counts c;
  if (s == nullptr || s->assignee.empty()) return c;
  if (s->kind == "complaint" && s->resolved_at) {
    c[{s->assignee, MonthOf(*s->resolved_at)}]["complaints"] += 1;
  }
  if (s->responded_at) {
    const std::int32_t m = MonthOf(*s->responded_at);
    c[{s->assignee, m}]["responses"] += 1;
    c[{s->assignee, m}]["responseMinutes"] +=
        std::chrono::duration_cast<std::chrono::minutes>(*s->responded_at - s->created_at).count();
  }
  return c;
}

}  // namespace

void CountKpis(const Activity* before, const Activity* after, storage::WriteBatch& batch) {
  Write(Of(before), Of(after), batch);
}
void CountKpis(const Offer* before, const Offer* after, storage::WriteBatch& batch) {
  Write(Of(before), Of(after), batch);
}
void CountKpis(const Order* before, const Order* after, storage::WriteBatch& batch) {
  Write(Of(before), Of(after), batch);
}
void CountKpis(const ServiceCase* before, const ServiceCase* after, storage::WriteBatch& batch) {
  Write(Of(before), Of(after), batch);
}

void SetKpiCountingForBenchmarks(bool on) { counting = on; }
bool KpiCountingOn() { return counting.load(std::memory_order_relaxed); }

std::int32_t KpiMonthOf(Timestamp t) { return MonthOf(t); }

std::int32_t KpiMonth(std::chrono::year_month ym) {
  return static_cast<int>(ym.year()) * 12 + static_cast<int>(static_cast<unsigned>(ym.month())) - 1;
}

std::optional<std::int32_t> ParseKpiMonth(std::string_view text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  int y = 0, m = 0;
  auto [p1, e1] = std::from_chars(text.data(), text.data() + 4, y);
  auto [p2, e2] = std::from_chars(text.data() + 5, text.data() + 7, m);
  if (e1 != std::errc() || e2 != std::errc() || p1 != text.data() + 4 || p2 != text.data() + 7 ||
      m < 1 || m > 12 || y < 1970 || y > 9999) {
    return std::nullopt;
  }
  return y * 12 + m - 1;
}

Result<EmployeeKpis> ReadEmployeeKpis(const storage::Store& store, std::int32_t from,
                                      std::int32_t to, const std::vector<std::string>* only) {
  return storage::SumCounterSets(store, storage::ColumnFamily::kCrm, kPrefix, from, to, only);
}

Result<std::vector<std::string>> KpiEmployees(const storage::Store& store, std::string_view after,
                                              std::size_t limit) {
  std::vector<std::string> out;
  const std::string begin =
      after.empty() ? kEmployees : storage::KeyEncoder(kEmployees).String(after).Take() + '\0';
  auto it = store.Scan(storage::ColumnFamily::kCrm, begin, storage::PrefixSuccessor(kEmployees));
  for (; it.Valid() && out.size() < limit; it.Next()) {
    storage::KeyDecoder d(it.key().substr(kEmployees.size()));
    QUIRE_ASSIGN_OR_RETURN(std::string name, d.String());
    out.push_back(std::move(name));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return out;
}

json::array MoneyAmounts(const std::map<std::string, std::int64_t>& by_currency) {
  json::array out;
  for (const auto& [currency, amount] : by_currency) {
    auto found = FindCurrency(currency);
    out.push_back(json::object{{"currency", currency},
                               {"amount", FormatFixed(amount, found ? found->digits : 2)}});
  }
  return out;
}

json::object KpiRow(const std::string& employee,
                    const std::map<std::string, std::int64_t, std::less<>>& m) {
  auto get = [&](const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? std::int64_t{0} : it->second;
  };
  json::object by_type;
  std::map<std::string, std::int64_t> by_currency;
  for (const auto& [k, v] : m) {
    if (k.starts_with("activities:")) by_type[k.substr(11)] = v;
    if (k.starts_with("revenue:")) by_currency[k.substr(8)] = v;
  }
  json::array revenue = MoneyAmounts(by_currency);
  const std::int64_t offers = get("offers"), orders = get("orders"), responses = get("responses");
  json::value conversion = nullptr;
  if (offers > 0) {
    const std::int64_t tenths = (orders * 1000 + offers / 2) / offers;  // percent × 10, rounded
    conversion = FormatFixed(tenths, 1);
  }
  json::value average = nullptr;
  if (responses > 0) average = (get("responseMinutes") + responses / 2) / responses;
  json::value conversion_days = nullptr;
  if (const std::int64_t n = get("conversions"); n > 0) {
    conversion_days = FormatFixed((get("conversionDays") * 10 + n / 2) / n, 1);
  }
  const std::int64_t tasks = get("tasks"), with_due = get("tasksWithDue");
  json::value on_time = nullptr;
  if (with_due > 0) on_time = FormatFixed((get("tasksOnTime") * 1000 + with_due / 2) / with_due, 1);
  json::value task_hours = nullptr;
  if (tasks > 0) task_hours = FormatFixed((get("taskMs") / 360'000 + tasks / 2) / tasks, 1);
  return {
      {"employee", employee},
      {"activities", json::object{{"total", get("activities")}, {"byType", std::move(by_type)}}},
      {"offers", offers},
      {"orders", orders},
      {"conversionPercent", std::move(conversion)},
      {"averageConversionDays", std::move(conversion_days)},
      {"revenue", std::move(revenue)},
      {"complaintsResolved", get("complaints")},
      {"responses", responses},
      {"averageResponseMinutes", std::move(average)},
      {"tasks", json::object{{"completed", tasks},
                             {"withDue", with_due},
                             {"onTime", get("tasksOnTime")},
                             {"onTimePercent", std::move(on_time)},
                             {"averageHours", std::move(task_hours)}}}};
}

}  // namespace quire::crm
