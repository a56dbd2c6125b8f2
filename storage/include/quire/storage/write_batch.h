// WriteBatch: the records one command changes, applied all together or not at all.
//
// The engine fills a batch while it handles a command (instance state, index entries,
// timers, history, audit) and commits it once, through Store::Write or the
// GroupCommitWriter. A batch is a plain value: not thread-safe, cheap to move.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "quire/storage/column_family.h"

namespace quire::storage {

class WriteBatch {
 public:
  enum class OpKind : std::uint8_t { kPut, kDelete, kDeleteRange, kBitmapMerge };

  struct Op {
    OpKind kind;
    ColumnFamily cf;
    std::string key;    // for kDeleteRange: the first key removed
    std::string value;  // for kDeleteRange: the end key (exclusive); empty otherwise
  };

  void Put(ColumnFamily cf, std::string_view key, std::string_view value);
  void Delete(ColumnFamily cf, std::string_view key);
  // Removes every key in [begin, end) of `cf`. REQUIRES: begin and end are one byte each
  // (or end empty): Store::Write refuses longer bounds (see store.cc: RocksDB 7's memtable
  // insert hints corrupt range tombstones with a whole 2-byte prefix).
  void DeleteRange(ColumnFamily cf, std::string_view begin, std::string_view end);

  // Sets (or clears) bit `bit` of the bitmap stored at `key` of the crm column family, without
  // reading it: the store merges such changes when the bitmap is read or compacted (a
  // bitmap index entry, written in the batch of its record). Bits count from the first
  // byte's lowest bit. REQUIRES: cf is kCrm (the one with the bitmap merge operator).
  void SetBit(ColumnFamily cf, std::string_view key, std::uint32_t bit, bool on);
  // Adds `delta` to the counter stored at `key` of the crm column family (absent: 0), without
  // reading it: a KPI counter kept in the batch of the record it counts. The stored value is
  // a big-endian two's-complement int64 (DecodeCounter). REQUIRES: cf is kCrm.
  void AddToCounter(ColumnFamily cf, std::string_view key, std::int64_t delta);
  // Adds each delta to its named counter in the counter set stored at `key` (absent: every
  // counter 0), without reading it: the KPIs of one employee and month kept as one value, so
  // a report reads one key where it would read a dozen. Stored as EncodeCounterSet makes it;
  // counters that come to 0 are dropped. REQUIRES: cf is kCrm or kHistory; names of at most
  // 65,535 bytes.
  void AddToCounterSet(ColumnFamily cf, std::string_view key,
                       const std::map<std::string, std::int64_t>& deltas);

  // Appends all of `other`'s operations after this batch's own.
  void Append(const WriteBatch& other);
  void Clear();

  bool empty() const { return ops_.empty(); }
  std::size_t count() const { return ops_.size(); }
  // Bytes of keys and values held; a guide for sizing groups, not an exact disk size.
  std::size_t byte_size() const { return bytes_; }
  const std::vector<Op>& ops() const { return ops_; }

 private:
  std::vector<Op> ops_;
  std::size_t bytes_ = 0;
};

// A counter set: '%', then for each counter by name a big-endian u16 length, the name and a
// big-endian two's-complement int64.
std::string EncodeCounterSet(const std::map<std::string, std::int64_t>& counters);

// Calls f(name, value) for each counter of a stored counter set; false when it is damaged.
template <class F>
bool ForEachCounter(std::string_view v, F&& f) {
  if (v.empty() || v[0] != '%') return false;
  std::size_t i = 1;
  while (i < v.size()) {
    if (i + 2 > v.size()) return false;
    const std::size_t n = static_cast<std::size_t>(static_cast<unsigned char>(v[i])) << 8 |
                          static_cast<unsigned char>(v[i + 1]);
    if (i + 2 + n + 8 > v.size()) return false;
    std::uint64_t u = 0;
    for (std::size_t k = 0; k < 8; ++k) u = u << 8 | static_cast<unsigned char>(v[i + 2 + n + k]);
    f(v.substr(i + 2, n), static_cast<std::int64_t>(u));
    i += 2 + n + 8;
  }
  return true;
}

}  // namespace quire::storage
