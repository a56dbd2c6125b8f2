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

void WriteBatch::SetBit(ColumnFamily cf, std::string_view key, std::uint32_t bit, bool on) {
  std::string operand(5, '\0');
  operand[0] = on ? '+' : '-';
  for (int i = 0; i < 4; ++i)
    operand[static_cast<std::size_t>(1 + i)] = static_cast<char>(bit >> (8 * (3 - i)));
  ops_.push_back({OpKind::kBitmapMerge, cf, std::string(key), std::move(operand)});
  bytes_ += key.size() + 5;
}

void WriteBatch::AddToCounter(ColumnFamily cf, std::string_view key, std::int64_t delta) {
  std::string operand(9, '#');
  const auto u = static_cast<std::uint64_t>(delta);
  for (int i = 0; i < 8; ++i) {
    operand[static_cast<std::size_t>(1 + i)] = static_cast<char>(u >> (8 * (7 - i)));
  }
  ops_.push_back({OpKind::kBitmapMerge, cf, std::string(key), std::move(operand)});
  bytes_ += key.size() + 9;
}

std::string EncodeCounterSet(const std::map<std::string, std::int64_t>& counters) {
  std::string out(1, '%');
  for (const auto& [name, value] : counters) {
    if (name.size() > 0xFFFF) continue;  // REQUIRES of AddToCounterSet
    out += static_cast<char>(name.size() >> 8);
    out += static_cast<char>(name.size() & 0xFF);
    out += name;
    const auto u = static_cast<std::uint64_t>(value);
    for (int i = 0; i < 8; ++i) out += static_cast<char>(u >> (8 * (7 - i)));
  }
  return out;
}

void WriteBatch::AddToCounterSet(ColumnFamily cf, std::string_view key,
                                 const std::map<std::string, std::int64_t>& deltas) {
  std::string operand = EncodeCounterSet(deltas);
  bytes_ += key.size() + operand.size();
  ops_.push_back({OpKind::kBitmapMerge, cf, std::string(key), std::move(operand)});
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
