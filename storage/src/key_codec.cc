#include "quire/storage/key_codec.h"

#include <bit>
#include <cmath>

namespace quire::storage {
namespace {

constexpr std::uint64_t kSignBit = std::uint64_t{1} << 63;

void PutFixed(std::string& out, std::uint64_t v, std::size_t width, bool invert) {
  for (std::size_t i = width; i-- > 0;) {
    auto byte = static_cast<std::uint8_t>(v >> (8 * i));
    if (invert) byte = static_cast<std::uint8_t>(~byte);
    out.push_back(static_cast<char>(byte));
  }
}

void PutEscaped(std::string& out, std::string_view v, bool invert) {
  const auto put = [&out, invert](std::uint8_t b) {
    out.push_back(static_cast<char>(invert ? static_cast<std::uint8_t>(~b) : b));
  };
  for (char c : v) {
    const auto b = static_cast<std::uint8_t>(c);
    put(b);
    if (b == 0x00) put(0xFF);
  }
  put(0x00);
  put(0x01);
}

std::uint64_t DoubleBits(double v) {
  const auto bits = std::bit_cast<std::uint64_t>(v == 0.0 ? 0.0 : v);  // -0.0 sorts as 0.0
  return (bits & kSignBit) != 0 ? ~bits : bits | kSignBit;
}

double BitsDouble(std::uint64_t bits) {
  return std::bit_cast<double>((bits & kSignBit) != 0 ? bits & ~kSignBit : ~bits);
}

}  // namespace

KeyEncoder& KeyEncoder::U8(std::uint8_t v) {
  PutFixed(key_, v, 1, false);
  return *this;
}
KeyEncoder& KeyEncoder::U32(std::uint32_t v) {
  PutFixed(key_, v, 4, false);
  return *this;
}
KeyEncoder& KeyEncoder::U64(std::uint64_t v) {
  PutFixed(key_, v, 8, false);
  return *this;
}
KeyEncoder& KeyEncoder::I64(std::int64_t v) {
  PutFixed(key_, static_cast<std::uint64_t>(v) ^ kSignBit, 8, false);
  return *this;
}
KeyEncoder& KeyEncoder::Double(double v) {
  PutFixed(key_, DoubleBits(v), 8, false);
  return *this;
}
KeyEncoder& KeyEncoder::String(std::string_view v) {
  PutEscaped(key_, v, false);
  return *this;
}
KeyEncoder& KeyEncoder::U64Desc(std::uint64_t v) {
  PutFixed(key_, v, 8, true);
  return *this;
}
KeyEncoder& KeyEncoder::I64Desc(std::int64_t v) {
  PutFixed(key_, static_cast<std::uint64_t>(v) ^ kSignBit, 8, true);
  return *this;
}
KeyEncoder& KeyEncoder::StringDesc(std::string_view v) {
  PutEscaped(key_, v, true);
  return *this;
}
KeyEncoder& KeyEncoder::StringPrefix(std::string_view v) {
  key_.append(v);
  return *this;
}

Result<std::uint64_t> KeyDecoder::Fixed(std::size_t width, bool inverted) {
  if (rest_.size() < width) {
    return Error::Corruption("key ends inside a " + std::to_string(width) +
                             "-byte integer component");
  }
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width; ++i) {
    auto byte = static_cast<std::uint8_t>(rest_[i]);
    if (inverted) byte = static_cast<std::uint8_t>(~byte);
    v = (v << 8) | byte;
  }
  rest_.remove_prefix(width);
  return v;
}

Result<std::string> KeyDecoder::Escaped(bool inverted) {
  std::string out;
  const auto at = [this, inverted](std::size_t i) {
    const auto b = static_cast<std::uint8_t>(rest_[i]);
    return inverted ? static_cast<std::uint8_t>(~b) : b;
  };
  for (std::size_t i = 0; i < rest_.size(); ++i) {
    const std::uint8_t b = at(i);
    if (b != 0x00) {
      out.push_back(static_cast<char>(b));
      continue;
    }
    if (i + 1 >= rest_.size()) break;
    const std::uint8_t next = at(i + 1);
    if (next == 0x01) {
      rest_.remove_prefix(i + 2);
      return out;
    }
    if (next != 0xFF) return Error::Corruption("key has an invalid escape in a string component");
    out.push_back('\0');
    ++i;
  }
  return Error::Corruption("key ends inside a string component");
}

Result<std::uint8_t> KeyDecoder::U8() {
  QUIRE_ASSIGN_OR_RETURN(const std::uint64_t v, Fixed(1, false));
  return static_cast<std::uint8_t>(v);
}
Result<std::uint32_t> KeyDecoder::U32() {
  QUIRE_ASSIGN_OR_RETURN(const std::uint64_t v, Fixed(4, false));
  return static_cast<std::uint32_t>(v);
}
Result<std::uint64_t> KeyDecoder::U64() { return Fixed(8, false); }
Result<std::int64_t> KeyDecoder::I64() {
  QUIRE_ASSIGN_OR_RETURN(const std::uint64_t v, Fixed(8, false));
  return static_cast<std::int64_t>(v ^ kSignBit);
}
Result<double> KeyDecoder::Double() {
  QUIRE_ASSIGN_OR_RETURN(const std::uint64_t v, Fixed(8, false));
  return BitsDouble(v);
}
Result<std::string> KeyDecoder::String() { return Escaped(false); }
Result<std::uint64_t> KeyDecoder::U64Desc() { return Fixed(8, true); }
Result<std::int64_t> KeyDecoder::I64Desc() {
  QUIRE_ASSIGN_OR_RETURN(const std::uint64_t v, Fixed(8, true));
  return static_cast<std::int64_t>(v ^ kSignBit);
}
Result<std::string> KeyDecoder::StringDesc() { return Escaped(true); }

std::string PrefixSuccessor(std::string_view prefix) {
  std::string out(prefix);
  while (!out.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(out.back());
    if (last != 0xFF) {
      ++last;
      return out;
    }
    out.pop_back();
  }
  return out;
}

}  // namespace quire::storage
