// KPIs per employee and month, kept as counters in the same batches that write the records
// they count (segment_index.cc calls CountKpis from IndexSegments), so a report over any
// number of records reads a few thousand counters, never the records.
//
// Counters (crm column family, inside the segment indexes' 'Q' space so that an index
// rebuild rebuilds them too): 'Q' 'z' 'E' I64(month) String(employee) → a counter set
// (WriteBatch::AddToCounterSet) of the metrics below (month = year × 12 + month − 1, in
// Europe/Warsaw):
//   activities, activities:TYPE   activities done, by each employee taking part, in the
//                                 month they started
//   offers                        offers made (first revisions), by their owner, in the month
//                                 they were made
//   orders                        orders not cancelled, by their owner, in the order's month
//   revenue:CUR                   those orders' gross, in CUR's minor units
//   conversions, conversionDays   those made from an offer, and the days from the offer's
//                                 first revision to the order
//   complaints                    complaint cases resolved, by their assignee, in the month
//   responses, responseMinutes    cases responded to, and the minutes from opening to the
//                                 response, by the assignee, in the month of the response
// and 'Q' 'z' 'e' String(employee) → "": everyone who has counters, in name order (a report
// of everyone pages through it instead of reading every employee's months).
//
// Thread-safety: pure functions; the report reads the store.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/storage/counter_sets.h"
#include "quire/storage/store.h"
#include "quire/storage/write_batch.h"

namespace quire::crm {

struct Activity;
struct Offer;
struct Order;
struct ServiceCase;

// The counters a record adds, changed from `before` to `after` (nullptr: new / gone).
void CountKpis(const Activity* before, const Activity* after, storage::WriteBatch& batch);
void CountKpis(const Offer* before, const Offer* after, storage::WriteBatch& batch);
void CountKpis(const Order* before, const Order* after, storage::WriteBatch& batch);
void CountKpis(const ServiceCase* before, const ServiceCase* after, storage::WriteBatch& batch);

// Benchmarks only (what keeping the counters costs a write): off, CountKpis adds nothing,
// and the counters no longer match the records until the segment indexes are rebuilt.
void SetKpiCountingForBenchmarks(bool on);
// Whether counting is on (customer_metrics.h keeps to the same switch).
bool KpiCountingOn();

// year × 12 + month − 1.
std::int32_t KpiMonth(std::chrono::year_month ym);
// The month of an instant in Europe/Warsaw (the engine's analytics use it too).
std::int32_t KpiMonthOf(Timestamp t);
// "2027-03" → its KpiMonth; nullopt for anything else.
std::optional<std::int32_t> ParseKpiMonth(std::string_view text);

// employee → metric → the sum over the months [from, to]; of the employees in `only`, or of
// every employee when it is null (employees without counters in the months are absent).
using EmployeeKpis = storage::CounterSums;
Result<EmployeeKpis> ReadEmployeeKpis(const storage::Store& store, std::int32_t from,
                                      std::int32_t to,
                                      const std::vector<std::string>* only = nullptr);

// Employees with counters (in any month), in name order after `after`, at most `limit`.
Result<std::vector<std::string>> KpiEmployees(const storage::Store& store, std::string_view after,
                                              std::size_t limit);

// One employee's row as the API answers it: activities (total and by type), offers,
// orders, conversion (orders per offer, percent, one decimal; null without offers),
// averageConversionDays, revenue ([{currency, amount}], decimal text), complaintsResolved,
// responses, averageResponseMinutes, tasks {completed, withDue, onTime, onTimePercent,
// averageHours} (the engine's counters, analytics.h, merged in by the caller as tasks,
// tasksWithDue, tasksOnTime, taskMs).
// Amounts by currency (minor units) as the API answers money: [{currency, amount}], amounts
// as decimal text in the currency's places, in currency order.
boost::json::array MoneyAmounts(const std::map<std::string, std::int64_t>& by_currency);

boost::json::object KpiRow(const std::string& employee,
                           const std::map<std::string, std::int64_t, std::less<>>& metrics);

}  // namespace quire::crm
