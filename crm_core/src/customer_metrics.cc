#include "quire/crm/customer_metrics.h"

#include <optional>

#include "bits.h"
#include "quire/crm/kpis.h"
#include "quire/crm/offers.h"
#include "quire/crm/segment_index.h"
#include "quire/storage/counter_sets.h"
#include "quire/storage/key_codec.h"

namespace quire::crm {
namespace {

using storage::ColumnFamily;

const std::string kCustomerPrefix = storage::KeyEncoder().U8('Q').U8('z').U8('c').Take();
const std::string kCompanyPrefix = storage::KeyEncoder().U8('Q').U8('z').U8('M').Take();
const std::string kActivePrefix = storage::KeyEncoder().U8('Q').U8('z').U8('a').Take();

std::string CustomerKey(std::uint64_t customer, std::int32_t month) {
  return storage::KeyEncoder(kCustomerPrefix).U64(customer).I64(month).Take();
}
std::string CustomerRange(std::uint64_t customer) {
  return storage::KeyEncoder(kCustomerPrefix).U64(customer).Take();
}
std::string ActiveMonth(std::int32_t month) {
  return storage::KeyEncoder(kActivePrefix).I64(month).Take();
}
std::string ActiveChunk(std::int32_t month, std::uint64_t customer) {
  return segment_keys::BitmapChunk(ActiveMonth(month), customer);
}

bool Live(const Order* o) { return o != nullptr && o->status != "cancelled" && o->customer != 0; }
std::int32_t MonthOf(const Order& o) {
  return KpiMonth(o.ordered_on.year() / o.ordered_on.month());
}

// Adds a stored counter set to `f`. False when it is damaged.
bool AddSet(std::string_view value, OrderFigures& f) {
  return storage::ForEachCounter(value, [&](std::string_view name, std::int64_t v) {
    if (name == "orders") {
      f.orders += v;
    } else if (name.starts_with("revenue:")) {
      f.revenue[std::string(name.substr(8))] += v;
    }
  });
}

void Subtract(OrderFigures& from, const OrderFigures& what) {
  from.orders -= what.orders;
  for (const auto& [currency, amount] : what.revenue) {
    if ((from.revenue[currency] -= amount) == 0) from.revenue.erase(currency);
  }
}
void Add(OrderFigures& to, const OrderFigures& what) {
  to.orders += what.orders;
  for (const auto& [currency, amount] : what.revenue) to.revenue[currency] += amount;
}

Error Damaged(std::string_view what) {
  return Error::Corruption(std::string("a damaged counter set of ") + std::string(what) +
                           " in the CRM's indexes");
}

// A customer's months (ascending) from its counter sets, read with `it` (any iterator over
// the customers' sets: one iterator seeks from customer to customer).
Result<void> ReadCustomer(storage::Iterator& it, std::uint64_t customer,
                          std::vector<std::pair<std::int32_t, OrderFigures>>& out) {
  const std::string prefix = CustomerRange(customer);
  for (it.Seek(prefix); it.Valid() && it.key().starts_with(prefix); it.Next()) {
    storage::KeyDecoder d(it.key().substr(prefix.size()));
    QUIRE_ASSIGN_OR_RETURN(std::int64_t month, d.I64());
    OrderFigures f;
    if (!AddSet(it.value(), f)) return Damaged("customer " + std::to_string(customer));
    if (f.orders == 0 && f.revenue.empty()) continue;  // its orders were all cancelled
    out.emplace_back(static_cast<std::int32_t>(month), std::move(f));
  }
  return it.status();
}

}  // namespace

void CountCustomerOrders(const Order* before, const Order* after, storage::WriteBatch& batch) {
  if (!KpiCountingOn()) return;
  // (customer, month) → counter → delta; the company's under customer 0.
  std::map<std::pair<std::uint64_t, std::int32_t>, std::map<std::string, std::int64_t>> deltas;
  auto count = [&](const Order* o, std::int64_t sign) {
    if (!Live(o)) return;
    const std::int32_t m = MonthOf(*o);
    for (const std::uint64_t who : {std::uint64_t{0}, std::uint64_t{o->customer}}) {
      auto& d = deltas[{who, m}];
      d["orders"] += sign;
      d["revenue:" + o->currency] += sign * o->totals.gross;
    }
  };
  count(before, -1);
  count(after, +1);
  for (auto& [where, metrics] : deltas) {
    std::erase_if(metrics, [](const auto& m) { return m.second == 0; });
    if (metrics.empty()) continue;
    batch.AddToCounterSet(ColumnFamily::kCrm,
                          where.first == 0
                              ? storage::CounterSetKey(kCompanyPrefix, "", where.second)
                              : CustomerKey(where.first, where.second),
                          metrics);
  }
}

Result<void> TrackActiveMonths(const storage::Store& store, const Order* before, const Order* after,
                               storage::WriteBatch& batch) {
  if (!KpiCountingOn()) return Ok();
  std::map<std::pair<std::uint64_t, std::int32_t>, std::int64_t> deltas;
  if (Live(before)) deltas[{before->customer, MonthOf(*before)}] -= 1;
  if (Live(after)) deltas[{after->customer, MonthOf(*after)}] += 1;
  for (const auto& [where, delta] : deltas) {
    if (delta == 0) continue;
    const auto [customer, month] = where;
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                           store.Get(ColumnFamily::kCrm, CustomerKey(customer, month)));
    OrderFigures f;
    if (stored && !AddSet(*stored, f)) return Damaged("customer " + std::to_string(customer));
    const bool was = f.orders > 0, is = f.orders + delta > 0;
    if (was != is) {
      batch.SetBit(ColumnFamily::kCrm, ActiveChunk(month, customer),
                   segment_keys::BitInChunk(customer), is);
    }
  }
  return Ok();
}

Result<void> RebuildActiveMonths(storage::Store& store) {
  storage::WriteBatch batch;
  auto it = store.ScanPrefix(ColumnFamily::kCrm, kCustomerPrefix);
  for (; it.Valid(); it.Next()) {
    storage::KeyDecoder d(it.key().substr(kCustomerPrefix.size()));
    QUIRE_ASSIGN_OR_RETURN(std::uint64_t customer, d.U64());
    QUIRE_ASSIGN_OR_RETURN(std::int64_t month, d.I64());
    OrderFigures f;
    if (!AddSet(it.value(), f)) return Damaged("customer " + std::to_string(customer));
    if (f.orders <= 0) continue;
    batch.SetBit(ColumnFamily::kCrm, ActiveChunk(static_cast<std::int32_t>(month), customer),
                 segment_keys::BitInChunk(customer), true);
    if (batch.count() >= 10'000) {
      QUIRE_RETURN_IF_ERROR(store.Write(batch, storage::Durability::kNoSync));
      batch.Clear();
    }
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  if (!batch.empty()) QUIRE_RETURN_IF_ERROR(store.Write(batch, storage::Durability::kNoSync));
  return Ok();
}

Result<CustomerMetrics> ReadCustomerMetrics(const storage::Store& store, std::int32_t from,
                                            std::int32_t to,
                                            const std::vector<std::uint64_t>* only) {
  if (from > to) return Error::InvalidArgument("the period's first month is after its last");
  const std::int32_t length = to - from + 1;
  if (length > kMaxMetricMonths) {
    return Error::InvalidArgument("a period is at most " + std::to_string(kMaxMetricMonths) +
                                  " months, not " + std::to_string(length) +
                                  ": ask for a shorter one");
  }
  const storage::Snapshot snapshot = store.GetSnapshot();
  // The customers counted: `only`, or every id up to the largest; merged duplicates never.
  std::uint64_t largest = 0;
  {
    const std::string customers = storage::KeyEncoder().U8('c').Take();
    auto it = store.ScanPrefix(ColumnFamily::kCrm, customers, &snapshot);
    it.SeekToLast();
    if (it.Valid()) {
      storage::KeyDecoder d(it.key().substr(customers.size()));
      QUIRE_ASSIGN_OR_RETURN(largest, d.U64());
    }
    QUIRE_RETURN_IF_ERROR(it.status());
  }
  Bits counted(largest + 1);
  if (only == nullptr) {
    counted.SetFrom(1);
  } else {
    for (const std::uint64_t id : *only) counted.Set(id);
  }
  std::vector<std::uint64_t> merged;
  {
    const std::string prefix = segment_keys::CustomerField(kMergedCode);
    auto it = store.ScanPrefix(ColumnFamily::kCrm, prefix, &snapshot);
    for (; it.Valid(); it.Next()) {
      const std::string_view key = it.key();
      if (key.size() < prefix.size() + 8) continue;
      storage::KeyDecoder d(key.substr(key.size() - 8));
      QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, d.U64());
      if (counted.Test(id)) merged.push_back(id);
      counted.Clear(id);
    }
    QUIRE_RETURN_IF_ERROR(it.status());
  }

  // Active customers month by month, in key order (month, then chunk): a month's bitmap is
  // complete when the next month's first chunk comes, and is then folded into a few sets,
  // so a long period holds six bitmaps, not one per month.
  const std::int32_t first = from - length;
  CustomerMetrics out;
  for (std::int32_t m = from; m <= to; ++m) out.months.push_back({m, {}, 0, 0});
  Bits ever(largest + 1);  // who had ordered before the month at hand
  Bits previous(largest + 1), period(largest + 1);
  auto fold = [&](std::int32_t month, Bits& bits) {
    bits.And(counted);
    if (month >= from) {
      MonthMetrics& m = out.months[static_cast<std::size_t>(month - from)];
      m.active = static_cast<std::int64_t>(bits.Count());
      Bits fresh = bits;
      fresh.AndNot(ever);
      m.acquired = static_cast<std::int64_t>(fresh.Count());
      out.acquired += m.acquired;  // a customer's first month is one month
      period.Or(bits);
    } else if (month >= first) {
      previous.Or(bits);
    }
    ever.Or(bits);
  };
  {
    std::optional<std::int32_t> month;
    Bits bits(largest + 1);
    auto it = store.Scan(ColumnFamily::kCrm, kActivePrefix, ActiveMonth(to + 1), &snapshot);
    for (; it.Valid(); it.Next()) {
      storage::KeyDecoder d(it.key().substr(kActivePrefix.size()));
      QUIRE_ASSIGN_OR_RETURN(std::int64_t m, d.I64());
      QUIRE_ASSIGN_OR_RETURN(std::uint32_t chunk, d.U32());
      if (month && *month != m) {
        fold(*month, bits);
        bits = Bits(largest + 1);
      }
      month = static_cast<std::int32_t>(m);
      bits.OrBytes(std::uint64_t{chunk} * segment_keys::kChunkBits, it.value());
    }
    QUIRE_RETURN_IF_ERROR(it.status());
    if (month) fold(*month, bits);
  }
  out.active = static_cast<std::int64_t>(period.Count());
  out.previous_active = static_cast<std::int64_t>(previous.Count());
  {
    Bits retained = period;
    retained.And(previous);
    out.retained = static_cast<std::int64_t>(retained.Count());
    out.churned = out.previous_active - out.retained;
    out.returned = out.active - out.acquired - out.retained;
  }
  out.customers = static_cast<std::int64_t>(ever.Count());

  // Orders and revenue: the company's sets (less the merged duplicates'), or those of each
  // counted customer who has ordered.
  auto take = [&](std::int32_t month, const OrderFigures& f) {
    Add(out.lifetime, f);
    if (month >= from) {
      Add(out.period, f);
      Add(out.months[static_cast<std::size_t>(month - from)].figures, f);
    }
  };
  auto untake = [&](std::int32_t month, const OrderFigures& f) {
    Subtract(out.lifetime, f);
    if (month >= from) {
      Subtract(out.period, f);
      Subtract(out.months[static_cast<std::size_t>(month - from)].figures, f);
    }
  };
  if (only == nullptr) {
    auto it = store.Scan(ColumnFamily::kCrm, kCompanyPrefix,
                         storage::KeyEncoder(kCompanyPrefix).I64(to + 1).Take(), &snapshot);
    for (; it.Valid(); it.Next()) {
      storage::KeyDecoder d(it.key().substr(kCompanyPrefix.size()));
      QUIRE_ASSIGN_OR_RETURN(std::int64_t month, d.I64());
      OrderFigures f;
      if (!AddSet(it.value(), f)) return Damaged("the company's months");
      take(static_cast<std::int32_t>(month), f);
    }
    QUIRE_RETURN_IF_ERROR(it.status());
    auto customers = store.ScanPrefix(ColumnFamily::kCrm, kCustomerPrefix, &snapshot);
    for (const std::uint64_t id : merged) {
      std::vector<std::pair<std::int32_t, OrderFigures>> rows;
      QUIRE_RETURN_IF_ERROR(ReadCustomer(customers, id, rows));
      for (const auto& [month, f] : rows) {
        if (month <= to) untake(month, f);
      }
    }
  } else {
    Result<void> status = Ok();
    std::vector<std::pair<std::int32_t, OrderFigures>> rows;
    auto customers = store.ScanPrefix(ColumnFamily::kCrm, kCustomerPrefix, &snapshot);
    ever.Each(0, [&](std::uint64_t id) {
      rows.clear();
      status = ReadCustomer(customers, id, rows);
      if (!status.has_value()) return false;
      for (const auto& [month, f] : rows) {
        if (month <= to) take(month, f);
      }
      return true;
    });
    QUIRE_RETURN_IF_ERROR(status);
  }
  return out;
}

Result<CustomerValue> ReadCustomerValue(const storage::Store& store, std::uint64_t customer) {
  CustomerValue v;
  auto it = store.ScanPrefix(ColumnFamily::kCrm, CustomerRange(customer));
  QUIRE_RETURN_IF_ERROR(ReadCustomer(it, customer, v.months));
  for (const auto& [month, f] : v.months) Add(v.lifetime, f);
  return v;
}

}  // namespace quire::crm
