// Order-preserving key encoding.
//
// Keys are built from typed components; comparing two encoded keys bytewise (RocksDB's
// default comparator) gives the same order as comparing their component tuples. Every
// component is self-delimiting, so the encoding of a tuple's first components is a byte
// prefix of the whole key: a prefix scan finds all keys that start with those components.
//
// Formats (stored: never change one; add new component kinds instead):
//   unsigned ints   fixed width, big-endian
//   signed ints     fixed width, big-endian, sign bit flipped
//   double          IEEE 754 bits: positives sign bit flipped, negatives all bits flipped
//   string / bytes  each 0x00 written as 0x00 0xFF, then the terminator 0x00 0x01
//   ...Desc         the ascending encoding with every byte inverted (descending order)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "quire/base/result.h"

namespace quire::storage {

class KeyEncoder {
 public:
  KeyEncoder() = default;
  // Continues a key that starts with `prefix` (an encoded key or a prefix of one).
  explicit KeyEncoder(std::string prefix) : key_(std::move(prefix)) {}

  KeyEncoder& U8(std::uint8_t v);
  KeyEncoder& U32(std::uint32_t v);
  KeyEncoder& U64(std::uint64_t v);
  KeyEncoder& I64(std::int64_t v);
  KeyEncoder& Double(double v);  // REQUIRES: v is not NaN
  KeyEncoder& String(std::string_view v);

  KeyEncoder& U64Desc(std::uint64_t v);
  KeyEncoder& I64Desc(std::int64_t v);
  KeyEncoder& StringDesc(std::string_view v);

  // Raw bytes with no terminator: only as the last component, e.g. to scan every string
  // component that starts with `v`.
  KeyEncoder& StringPrefix(std::string_view v);

  const std::string& key() const { return key_; }
  std::string Take() { return std::move(key_); }

 private:
  std::string key_;
};

// Reads components back in the order they were written. Each read fails with
// ErrorCode::kCorruption when the bytes do not hold that component.
class KeyDecoder {
 public:
  explicit KeyDecoder(std::string_view key) : rest_(key) {}

  Result<std::uint8_t> U8();
  Result<std::uint32_t> U32();
  Result<std::uint64_t> U64();
  Result<std::int64_t> I64();
  Result<double> Double();
  Result<std::string> String();

  Result<std::uint64_t> U64Desc();
  Result<std::int64_t> I64Desc();
  Result<std::string> StringDesc();

  bool AtEnd() const { return rest_.empty(); }
  std::string_view rest() const { return rest_; }

 private:
  Result<std::uint64_t> Fixed(std::size_t width, bool inverted);
  Result<std::string> Escaped(bool inverted);

  std::string_view rest_;
};

// The smallest key greater than every key starting with `prefix`, for an exclusive upper
// bound; empty when there is none (prefix empty or all 0xFF).
std::string PrefixSuccessor(std::string_view prefix);

}  // namespace quire::storage
