// Reading counter sets (WriteBatch::AddToCounterSet) kept per period and name under one
// prefix: prefix I64(period) String(name) → a counter set. The KPIs of employees (crm) and
// of task users and process steps (workflow) are kept this way: a report of every name
// reads one range in order; one of a few names reads a key per name and period.
//
// Thread-safety: reads of the store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "quire/base/result.h"
#include "quire/storage/store.h"

namespace quire::storage {

// name → counter → the sum over the periods [from, to].
using CounterSums =
    std::map<std::string, std::map<std::string, std::int64_t, std::less<>>, std::less<>>;

// The sums of the names in `only`, or of every name under `prefix` when it is null. A name
// whose sets in the periods are all empty (every counter back at 0) is absent. Errors: kCorruption
// (a damaged set).
Result<CounterSums> SumCounterSets(const Store& store, ColumnFamily cf, std::string_view prefix,
                                   std::int64_t from, std::int64_t to,
                                   const std::vector<std::string>* only = nullptr);

// prefix I64(period) String(name): where the set of `name` and `period` is kept.
std::string CounterSetKey(std::string_view prefix, std::string_view name, std::int64_t period);

}  // namespace quire::storage
