#include "quire/storage/key_reader.h"

#include <map>

namespace quire::storage {

Result<std::optional<std::string>> SnapshotReader::Get(ColumnFamily cf,
                                                       std::string_view key) const {
  return store_.Get(cf, key, snapshot_);
}

Result<std::vector<std::pair<std::string, std::string>>> SnapshotReader::Scan(
    ColumnFamily cf, std::string_view prefix, std::size_t limit) const {
  std::vector<std::pair<std::string, std::string>> out;
  Iterator it = store_.ScanPrefix(cf, prefix, snapshot_);
  for (; it.Valid() && out.size() < limit; it.Next()) {
    out.emplace_back(std::string(it.key()), std::string(it.value()));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return out;
}

Result<std::optional<std::string>> BatchWriter::Get(ColumnFamily cf, std::string_view key) const {
  for (auto it = staged_.rbegin(); it != staged_.rend(); ++it) {
    if (it->first.first == cf && it->first.second == key) return it->second;
  }
  return store_.Get(cf, key);
}

Result<std::vector<std::pair<std::string, std::string>>> BatchWriter::Scan(
    ColumnFamily cf, std::string_view prefix, std::size_t limit) const {
  std::map<std::string, std::optional<std::string>, std::less<>> merged;
  {
    Iterator it = store_.ScanPrefix(cf, prefix);
    for (; it.Valid(); it.Next()) merged.emplace(std::string(it.key()), std::string(it.value()));
    QUIRE_RETURN_IF_ERROR(it.status());
  }
  for (const auto& [where, value] : staged_) {
    if (where.first == cf && where.second.starts_with(prefix)) {
      merged.insert_or_assign(where.second, value);
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& [key, value] : merged) {
    if (out.size() >= limit) break;
    if (value) out.emplace_back(key, std::move(*value));
  }
  return out;
}

void BatchWriter::Put(ColumnFamily cf, std::string key, std::string value) {
  staged_.push_back({{cf, std::move(key)}, std::move(value)});
}

void BatchWriter::Delete(ColumnFamily cf, std::string key) {
  staged_.push_back({{cf, std::move(key)}, std::nullopt});
}

WriteBatch BatchWriter::Take() {
  WriteBatch batch;
  for (const auto& [where, value] : staged_) {
    if (value) {
      batch.Put(where.first, where.second, *value);
    } else {
      batch.Delete(where.first, where.second);
    }
  }
  staged_.clear();
  return batch;
}

}  // namespace quire::storage
