#include "txn.h"

#include "keys.h"
#include "quire/storage/column_family.h"

namespace quire::workflow {

std::optional<std::optional<std::string>> Overlay::Get(ColumnFamily cf,
                                                       std::string_view key) const {
  std::lock_guard lock(mu_);
  const auto& map = maps_[storage::Index(cf)];
  const auto it = map.find(key);
  if (it == map.end()) return std::nullopt;
  return it->second.value;
}

void Overlay::Collect(ColumnFamily cf, std::string_view prefix,
                      std::map<std::string, std::optional<std::string>, std::less<>>& out) const {
  std::lock_guard lock(mu_);
  const auto& map = maps_[storage::Index(cf)];
  for (auto it = map.lower_bound(prefix); it != map.end() && it->first.starts_with(prefix); ++it) {
    out.insert_or_assign(it->first, it->second.value);
  }
}

void Overlay::Apply(ColumnFamily cf, const std::string& key, std::optional<std::string> value,
                    std::uint64_t group) {
  std::lock_guard lock(mu_);
  maps_[storage::Index(cf)].insert_or_assign(key, Entry{std::move(value), group});
}

void Overlay::Release(const std::vector<std::pair<ColumnFamily, std::string>>& keys,
                      std::uint64_t group) {
  std::lock_guard lock(mu_);
  for (const auto& [cf, key] : keys) {
    auto& map = maps_[storage::Index(cf)];
    const auto it = map.find(key);
    if (it != map.end() && it->second.group == group) map.erase(it);
  }
}

std::size_t Overlay::size() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& m : maps_) n += m.size();
  return n;
}

Result<std::optional<std::string>> Txn::Get(ColumnFamily cf, std::string_view key) const {
  if (const auto it = staged_.find(std::pair<ColumnFamily, std::string_view>(cf, key));
      it != staged_.end()) {
    return it->second;
  }
  if (auto pending = overlay_.Get(cf, key)) return *pending;
  return store_.Get(cf, key);
}

Result<std::vector<std::pair<std::string, std::string>>> Txn::Scan(ColumnFamily cf,
                                                                   std::string_view prefix,
                                                                   std::size_t limit) const {
  std::map<std::string, std::optional<std::string>, std::less<>> newer;
  overlay_.Collect(cf, prefix, newer);
  for (auto it = staged_.lower_bound(std::pair<ColumnFamily, std::string_view>(cf, prefix));
       it != staged_.end() && it->first.first == cf && it->first.second.starts_with(prefix); ++it) {
    newer.insert_or_assign(it->first.second, it->second);
  }
  // Enough stored keys that removals in `newer` cannot leave fewer than `limit`.
  const std::size_t want = limit + newer.size();
  std::map<std::string, std::string, std::less<>> merged;
  storage::Iterator it = store_.ScanPrefix(cf, prefix);
  for (; it.Valid() && merged.size() < want; it.Next()) {
    merged.emplace(std::string(it.key()), std::string(it.value()));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  const bool store_exhausted = !it.Valid();
  std::string last_stored = merged.empty() ? std::string() : merged.rbegin()->first;
  for (auto& [key, value] : newer) {
    // Keys past what was read from the store are only taken when the store ran out.
    if (!store_exhausted && key > last_stored) continue;
    if (value) {
      merged.insert_or_assign(key, *value);
    } else {
      merged.erase(key);
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& [key, value] : merged) {
    if (out.size() == limit) break;
    out.emplace_back(key, std::move(value));
  }
  return out;
}

void Txn::Put(ColumnFamily cf, std::string key, std::string value) {
  staged_.insert_or_assign({cf, std::move(key)}, std::move(value));
}

void Txn::Delete(ColumnFamily cf, std::string key) {
  staged_.insert_or_assign({cf, std::move(key)}, std::nullopt);
}

void Txn::WriteCounters(CounterDeltas& counters, storage::WriteBatch& batch) {
  for (auto& [where, deltas] : counters) {
    std::erase_if(deltas, [](const auto& d) { return d.second == 0; });
    if (!deltas.empty()) batch.AddToCounterSet(where.first, where.second, deltas);
  }
  counters.clear();
}

void Txn::AddToCounter(ColumnFamily cf, std::string_view key, std::string_view name,
                       std::int64_t delta) {
  auto at = counters_.find(std::pair<ColumnFamily, std::string_view>{cf, key});
  if (at == counters_.end()) at = counters_.try_emplace({cf, std::string(key)}).first;
  for (auto& [n, v] : at->second) {
    if (n == name) {
      v += delta;
      return;
    }
  }
  at->second.emplace_back(std::string(name), delta);
}

namespace {
constexpr std::uint64_t kIdBlock = 1 << 16;

std::string EncodeU64(std::uint64_t v) { return std::to_string(v); }
}  // namespace

std::uint64_t Txn::NewId() {
  if (ids_.next >= ids_.reserved) ids_.reserved = ids_.next + kIdBlock;
  return ids_.next++;
}

std::uint64_t Txn::NewSeq(std::uint64_t count) {
  if (seqs_.next + count >= seqs_.reserved) seqs_.reserved = seqs_.next + count + kIdBlock;
  const std::uint64_t first = seqs_.next;
  seqs_.next += count;
  return first;
}

void Txn::Commit(storage::WriteBatch& batch, Overlay& overlay, std::uint64_t group,
                 std::vector<std::pair<ColumnFamily, std::string>>& keys,
                 std::vector<std::function<void()>>& after, CounterDeltas& counters) {
  // The bounds go with the first successful command after they moved.
  if (ids_.reserved != ids_.persisted) {
    Put(ColumnFamily::kMeta, std::string(keys::kNextId), EncodeU64(ids_.reserved));
    ids_.persisted = ids_.reserved;
  }
  if (seqs_.reserved != seqs_.persisted) {
    Put(ColumnFamily::kMeta, std::string(keys::kNextSeq), EncodeU64(seqs_.reserved));
    seqs_.persisted = seqs_.reserved;
  }
  for (auto& [where, value] : staged_) {
    const auto& [cf, key] = where;
    if (value) {
      batch.Put(cf, key, *value);
    } else {
      batch.Delete(cf, key);
    }
    overlay.Apply(cf, key, std::move(value), group);
    keys.emplace_back(cf, key);
  }
  staged_.clear();
  for (auto& [where, deltas] : counters_) {
    auto& into = counters[where];
    for (const auto& [name, delta] : deltas) into[name] += delta;
  }
  counters_.clear();
  for (auto& fn : after_commit_) after.push_back(std::move(fn));
  after_commit_.clear();
}

}  // namespace quire::workflow
