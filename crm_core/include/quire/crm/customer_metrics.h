// Customer metrics — acquisition, retention, churn, lifetime value and the revenue trend —
// for one customer, for a set of customers (a segment, those a caller reaches) or for every
// customer, per month and per period. Kept in the batches that write orders, so a report
// reads a few bitmaps and counters, never the orders:
//
//   'Q' 'z' 'c' U64(customer) I64(month) → a counter set {orders, revenue:CUR} of the
//        customer's orders not cancelled, by the month of the order's date (segment_index.cc
//        writes it with the order, without reading)
//   'Q' 'z' 'M' I64(month) String("")   → the same summed over every customer
//   'Q' 'z' 'a' I64(month) chunk        → a bitmap of the customers with at least one such
//        order in the month (chunks as segment_index.h's). A bit changes when a customer's
//        count of the month crosses zero, which the order store learns by reading the
//        counter set under its write lock (TrackActiveMonths); an index build sets them from
//        the counter sets (RebuildActiveMonths).
// Months are KpiMonth numbers (kpis.h); money in the currency's minor units.
//
// What the words mean (a period is a range of whole months):
//   active     at least one order (not cancelled) dated in the period
//   acquired   active, and no order before the period: the period's new customers
//   retained   active in the previous period (as long, just before) and in this one
//   churned    active in the previous period, not in this one
//   returned   active, neither acquired nor active in the previous period (came back)
//   retention  retained / active in the previous period; churn = churned / the same
//   lifetime value  revenue of every order up to the period's end, per customer who had
//              ordered by then (per currency; a customer counts once whatever they paid in)
// Merged duplicates are not customers (as in segments): they count nowhere, their orders
// included.
//
// Thread-safety: reads use one snapshot; TrackActiveMonths needs the caller to serialise
// order writes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "quire/base/result.h"
#include "quire/storage/store.h"
#include "quire/storage/write_batch.h"

namespace quire::crm {

struct Order;

// The counter sets an order adds to its customer's and the company's months, changed from
// `before` to `after` (nullptr: new / gone). Pure: called by IndexSegments.
void CountCustomerOrders(const Order* before, const Order* after, storage::WriteBatch& batch);

// The active-month bits the change from `before` to `after` flips, read from the counter
// sets as committed. REQUIRES: order writes are serialised, and `batch` changes no other
// order of the same customer and month. Errors: kCorruption, storage errors.
Result<void> TrackActiveMonths(const storage::Store& store, const Order* before, const Order* after,
                               storage::WriteBatch& batch);

// Sets every active-month bit from the customers' counter sets (an index build, after the
// orders are indexed and written). Errors: kCorruption, storage errors.
Result<void> RebuildActiveMonths(storage::Store& store);

// Orders and revenue (currency → minor units).
struct OrderFigures {
  std::int64_t orders = 0;
  std::map<std::string, std::int64_t> revenue;
};

struct MonthMetrics {
  std::int32_t month = 0;
  OrderFigures figures;
  std::int64_t active = 0;    // customers with an order in the month
  std::int64_t acquired = 0;  // of them, those whose first order it was
};

struct CustomerMetrics {
  std::vector<MonthMetrics> months;  // every month of the period, in order
  // The period against the previous one.
  std::int64_t active = 0, acquired = 0, previous_active = 0, retained = 0, churned = 0,
               returned = 0;
  OrderFigures period;  // the period's orders
  // Up to the period's end.
  std::int64_t customers = 0;  // who had ordered by then
  OrderFigures lifetime;
};

// The longest period a report covers, in months (its previous period is read too).
inline constexpr std::int32_t kMaxMetricMonths = 120;

// The metrics of the months [from, to] over the customers in `only` (ascending ids), or over
// every customer when it is null. Reads bitmaps in proportion to the months; with `only`,
// also the counter sets of its customers who have ordered. Errors: kInvalidArgument (from >
// to, or more than kMaxMetricMonths), kCorruption, storage errors.
Result<CustomerMetrics> ReadCustomerMetrics(const storage::Store& store, std::int32_t from,
                                            std::int32_t to,
                                            const std::vector<std::uint64_t>* only = nullptr);

// One customer's orders by month (the months with orders, ascending) and in total.
struct CustomerValue {
  std::vector<std::pair<std::int32_t, OrderFigures>> months;
  OrderFigures lifetime;
};
Result<CustomerValue> ReadCustomerValue(const storage::Store& store, std::uint64_t customer);

}  // namespace quire::crm
