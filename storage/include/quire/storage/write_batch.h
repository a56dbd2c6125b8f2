// WriteBatch: the records one command changes, applied all together or not at all.
//
// The engine fills a batch while it handles a command (instance state, index entries,
// timers, history, audit) and commits it once, through Store::Write or the
// GroupCommitWriter. A batch is a plain value: not thread-safe, cheap to move.
#pragma once

#include <cstddef>
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

}  // namespace quire::storage
