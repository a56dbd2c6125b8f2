#include "quire/storage/counter_sets.h"

#include <algorithm>
#include <unordered_set>

#include "quire/storage/key_codec.h"

namespace quire::storage {

std::string CounterSetKey(std::string_view prefix, std::string_view name, std::int64_t period) {
  return KeyEncoder(std::string(prefix)).I64(period).String(name).Take();
}

Result<CounterSums> SumCounterSets(const Store& store, ColumnFamily cf, std::string_view prefix,
                                   std::int64_t from, std::int64_t to,
                                   const std::vector<std::string>* only) {
  CounterSums out;
  if (from > to) return out;
  auto add = [&](std::string_view name, std::string_view set) -> Result<void> {
    if (set.size() <= 1) return Ok();  // every counter back at 0
    auto at = out.find(name);
    if (at == out.end()) at = out.emplace(std::string(name), CounterSums::mapped_type()).first;
    auto& sums = at->second;
    const bool ok = ForEachCounter(set, [&](std::string_view counter, std::int64_t v) {
      auto s = sums.find(counter);
      if (s == sums.end()) s = sums.emplace(std::string(counter), 0).first;
      s->second += v;
    });
    if (!ok) return Error::Corruption("a stored counter set is damaged");
    return Ok();
  };
  // A point read per name and period (batched, in key order), unless that is more reads than
  // a range is worth: a page of 200 employees over 24 months is still point reads.
  constexpr std::int64_t kMostPointReads = 8192;
  if (only != nullptr &&
      (to - from + 1) <= kMostPointReads / std::max<std::int64_t>(1, std::ssize(*only))) {
    std::vector<std::string_view> names(only->begin(), only->end());
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::vector<std::string> keys;
    keys.reserve(names.size() * static_cast<std::size_t>(to - from + 1));
    for (std::int64_t period = from; period <= to; ++period) {
      for (const std::string_view name : names) keys.push_back(CounterSetKey(prefix, name, period));
    }
    // String() keeps the order of names, so the keys are sorted as they were made.
    QUIRE_ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> sets,
                           store.MultiGet(cf, keys, true));
    for (std::size_t i = 0; i < sets.size(); ++i) {
      if (sets[i]) QUIRE_RETURN_IF_ERROR(add(names[i % names.size()], *sets[i]));
    }
    return out;
  }
  // The periods asked for are one range, read in order.
  const std::string begin = KeyEncoder(std::string(prefix)).I64(from).Take();
  const std::string end = KeyEncoder(std::string(prefix)).I64(to + 1).Take();
  auto it = store.Scan(cf, begin, end);
  std::unordered_set<std::string_view> wanted;
  if (only != nullptr) wanted.insert(only->begin(), only->end());
  std::string decoded;
  for (; it.Valid(); it.Next()) {
    const std::string_view rest = it.key().substr(prefix.size());
    KeyDecoder d(rest);
    QUIRE_ASSIGN_OR_RETURN(std::int64_t period, d.I64());
    if (period < from || period > to) continue;
    // The name as stored when it has no escaped 0x00 (nearly always): no copy.
    std::string_view name = rest.substr(8);
    if (name.size() >= 2 && name.substr(name.size() - 2) == std::string_view("\x00\x01", 2) &&
        name.find('\x00') == name.size() - 2) {
      name.remove_suffix(2);
    } else {
      QUIRE_ASSIGN_OR_RETURN(decoded, d.String());
      name = decoded;
    }
    if (only != nullptr && !wanted.contains(name)) continue;
    QUIRE_RETURN_IF_ERROR(add(name, it.value()));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return out;
}

}  // namespace quire::storage
