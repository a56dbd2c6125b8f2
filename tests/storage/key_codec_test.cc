#include "quire/storage/key_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <tuple>

#include "quire/testing/result_matchers.h"

namespace quire::storage {
namespace {

using ::quire::testing::HasError;

int Sign(int v) { return (v > 0) - (v < 0); }

template <typename T>
int Compare(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int CompareBytes(const std::string& a, const std::string& b) { return Sign(a.compare(b)); }

class Random {
 public:
  explicit Random(std::uint32_t seed) : rng_(seed) {}

  // Strings over a small alphabet that includes the escape bytes, so that equal prefixes,
  // embedded zeros and 0xFF bytes are common.
  std::string String() {
    static constexpr char kAlphabet[] = {'\0', '\x01', 'a', 'b', '\xfe', '\xff'};
    std::string s(Below(6), ' ');
    for (char& c : s) c = kAlphabet[Below(sizeof kAlphabet)];
    return s;
  }
  std::int64_t I64() {
    switch (Below(4)) {
      case 0:
        return static_cast<std::int64_t>(Below(5)) - 2;
      case 1:
        return std::numeric_limits<std::int64_t>::min() + static_cast<std::int64_t>(Below(3));
      case 2:
        return std::numeric_limits<std::int64_t>::max() - static_cast<std::int64_t>(Below(3));
      default:
        return static_cast<std::int64_t>(rng_());
    }
  }
  std::uint64_t U64() { return Below(2) == 0 ? Below(4) : rng_(); }
  double Double() {
    static constexpr double kSpecial[] = {0.0,
                                          -0.0,
                                          1.0,
                                          -1.0,
                                          1e-300,
                                          -1e-300,
                                          std::numeric_limits<double>::infinity(),
                                          -std::numeric_limits<double>::infinity(),
                                          std::numeric_limits<double>::max(),
                                          std::numeric_limits<double>::lowest()};
    if (Below(2) == 0) return kSpecial[Below(std::size(kSpecial))];
    return std::uniform_real_distribution<double>(-1e6, 1e6)(rng_);
  }
  std::size_t Below(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }

 private:
  std::mt19937_64 rng_;
};

using Tuple = std::tuple<std::string, std::int64_t, std::uint64_t, double>;

std::string EncodeAscending(const Tuple& t) {
  return KeyEncoder()
      .String(std::get<0>(t))
      .I64(std::get<1>(t))
      .U64(std::get<2>(t))
      .Double(std::get<3>(t))
      .Take();
}

std::string EncodeDescending(const Tuple& t) {
  return KeyEncoder()
      .StringDesc(std::get<0>(t))
      .I64Desc(std::get<1>(t))
      .U64Desc(std::get<2>(t))
      .Double(std::get<3>(t))
      .Take();
}

// Tuple order with -0.0 == 0.0, as the encoding defines it.
int CompareTuples(const Tuple& a, const Tuple& b, bool descending) {
  const int s = Sign(std::get<0>(a).compare(std::get<0>(b)));
  if (s != 0) return descending ? -s : s;
  if (const int c = Compare(std::get<1>(a), std::get<1>(b)); c != 0) return descending ? -c : c;
  if (const int c = Compare(std::get<2>(a), std::get<2>(b)); c != 0) return descending ? -c : c;
  return Compare(std::get<3>(a), std::get<3>(b));
}

TEST(KeyCodecTest, OrderOfEncodedKeysIsOrderOfTuples) {
  Random random(20261124);
  for (int i = 0; i < 20000; ++i) {
    const Tuple a{random.String(), random.I64(), random.U64(), random.Double()};
    Tuple b{random.String(), random.I64(), random.U64(), random.Double()};
    // Share leading components often, so later components decide the order too.
    if (random.Below(2) == 0) std::get<0>(b) = std::get<0>(a);
    if (random.Below(2) == 0) std::get<1>(b) = std::get<1>(a);
    if (random.Below(2) == 0) std::get<2>(b) = std::get<2>(a);
    ASSERT_EQ(CompareBytes(EncodeAscending(a), EncodeAscending(b)), CompareTuples(a, b, false))
        << "iteration " << i;
    ASSERT_EQ(CompareBytes(EncodeDescending(a), EncodeDescending(b)), CompareTuples(a, b, true))
        << "iteration " << i;
  }
}

TEST(KeyCodecTest, RoundTripsEveryComponent) {
  Random random(7);
  for (int i = 0; i < 5000; ++i) {
    const std::string s = random.String();
    const std::int64_t i64 = random.I64();
    const std::uint64_t u64 = random.U64();
    const double d = random.Double();
    const auto u32 = static_cast<std::uint32_t>(u64);
    const auto u8 = static_cast<std::uint8_t>(u64);
    const std::string key = KeyEncoder()
                                .U8(u8)
                                .String(s)
                                .U32(u32)
                                .I64(i64)
                                .StringDesc(s)
                                .U64(u64)
                                .Double(d)
                                .I64Desc(i64)
                                .U64Desc(u64)
                                .Take();
    KeyDecoder in(key);
    EXPECT_EQ(*in.U8(), u8);
    EXPECT_EQ(*in.String(), s);
    EXPECT_EQ(*in.U32(), u32);
    EXPECT_EQ(*in.I64(), i64);
    EXPECT_EQ(*in.StringDesc(), s);
    EXPECT_EQ(*in.U64(), u64);
    EXPECT_EQ(*in.Double(), d == 0.0 ? 0.0 : d);
    EXPECT_EQ(*in.I64Desc(), i64);
    EXPECT_EQ(*in.U64Desc(), u64);
    EXPECT_TRUE(in.AtEnd());
  }
}

TEST(KeyCodecTest, LeadingComponentsAreABytePrefix) {
  Random random(99);
  for (int i = 0; i < 2000; ++i) {
    const std::string s = random.String();
    const std::uint64_t n = random.U64();
    const std::string partial = KeyEncoder().String(s).Take();
    const std::string full = KeyEncoder().String(s).U64(n).String(random.String()).Take();
    ASSERT_TRUE(full.starts_with(partial));
    // A different string never shares the encoded prefix (components are self-delimiting).
    const std::string other = s + "a";
    ASSERT_FALSE(KeyEncoder().String(other).U64(n).Take().starts_with(partial));
  }
}

TEST(KeyCodecTest, KnownEncodings) {
  EXPECT_EQ(KeyEncoder().U32(0x01020304).key(), std::string("\x01\x02\x03\x04", 4));
  EXPECT_EQ(KeyEncoder().String(std::string("a\0b", 3)).key(), std::string("a\x00\xff"
                                                                           "b\x00\x01",
                                                                           6));
  EXPECT_EQ(KeyEncoder().I64(-1).key(), std::string("\x7f\xff\xff\xff\xff\xff\xff\xff", 8));
}

TEST(KeyCodecTest, DamagedKeysAreCorruptionNotCrashes) {
  EXPECT_THAT(KeyDecoder(std::string("\x01\x02", 2)).U64(), HasError(ErrorCode::kCorruption));
  EXPECT_THAT(KeyDecoder("abc").String(), HasError(ErrorCode::kCorruption));
  EXPECT_THAT(KeyDecoder(std::string("a\x00\x05", 3)).String(),
              HasError(ErrorCode::kCorruption, ::testing::HasSubstr("invalid escape")));
  EXPECT_THAT(KeyDecoder(std::string("a\x00", 2)).String(), HasError(ErrorCode::kCorruption));
  EXPECT_THAT(KeyDecoder("").U8(), HasError(ErrorCode::kCorruption));
}

TEST(KeyCodecTest, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("abc"), "abd");
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff\xff", 3)), "b");
  EXPECT_EQ(PrefixSuccessor(std::string("\xff\xff", 2)), "");
  EXPECT_EQ(PrefixSuccessor(""), "");
}

}  // namespace
}  // namespace quire::storage
