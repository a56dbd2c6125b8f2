#include "quire/storage/write_batch.h"

namespace quire::storage {

void WriteBatch::Put(ColumnFamily cf, std::string_view key, std::string_view value) {
  ops_.push_back({OpKind::kPut, cf, std::string(key), std::string(value)});
  bytes_ += key.size() + value.size();
}

void WriteBatch::Delete(ColumnFamily cf, std::string_view key) {
  ops_.push_back({OpKind::kDelete, cf, std::string(key), {}});
  bytes_ += key.size();
}

void WriteBatch::DeleteRange(ColumnFamily cf, std::string_view begin, std::string_view end) {
  ops_.push_back({OpKind::kDeleteRange, cf, std::string(begin), std::string(end)});
  bytes_ += begin.size() + end.size();
}

void WriteBatch::Append(const WriteBatch& other) {
  ops_.insert(ops_.end(), other.ops_.begin(), other.ops_.end());
  bytes_ += other.bytes_;
}

void WriteBatch::Clear() {
  ops_.clear();
  bytes_ = 0;
}

}  // namespace quire::storage
