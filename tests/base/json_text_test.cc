#include "quire/base/json_text.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace quire {
namespace {
namespace json = boost::json;

TEST(JsonTextTest, WritesDoublesTheShortestWayInsteadOfScientific) {
  EXPECT_EQ(JsonText(json::value(48000.0)), "48000");
  EXPECT_EQ(JsonText(json::value(0.0)), "0");
  EXPECT_EQ(JsonText(json::value(0.1)), "0.1");
  EXPECT_EQ(JsonText(json::value(-1234.56)), "-1234.56");
  EXPECT_EQ(JsonText(json::value(1e30)), "1e+30");
  EXPECT_EQ(JsonText(json::value(std::nan(""))), "null");
  EXPECT_EQ(JsonText(json::value(std::numeric_limits<double>::infinity())), "null");
  EXPECT_EQ(JsonText(json::parse(R"({"a":[1,2.5,{"b":3.0}],"s":"x\"y"})")),
            R"({"a":[1,2.5,{"b":3}],"s":"x\"y"})");
}

TEST(JsonTextTest, WithoutDoublesItIsBoostsText) {
  const json::value v = json::parse(R"({"a":[1,-2,true,null,"é\n\u0001"],"b":{"c":"d"}})");
  EXPECT_EQ(JsonText(v), json::serialize(v));
}

// Property: whatever the value, the text parses back to the same numbers and strings.
TEST(JsonTextTest, ReadsBackToTheSameValue) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> kind(0, 6);
  std::uniform_real_distribution<double> mantissa(-1, 1);
  std::uniform_int_distribution<int> exponent(-40, 40);
  std::function<json::value(int)> make = [&](int depth) -> json::value {
    switch (depth > 3 ? kind(rng) % 4 : kind(rng)) {
      case 0:
        return mantissa(rng) * std::pow(10.0, exponent(rng));
      case 1:
        return static_cast<double>(static_cast<std::int64_t>(mantissa(rng) * 1e6));
      case 2:
        return static_cast<std::int64_t>(rng());
      case 3:
        return json::string("k\"\\" + std::to_string(rng() % 100));
      case 4: {
        json::array a;
        for (int i = 0, n = static_cast<int>(rng() % 4); i < n; ++i) a.push_back(make(depth + 1));
        return a;
      }
      default: {
        json::object o;
        for (int i = 0, n = static_cast<int>(rng() % 4); i < n; ++i)
          o["f" + std::to_string(i)] = make(depth + 1);
        return o;
      }
    }
  };
  std::function<void(const json::value&, const json::value&)> same = [&](const json::value& a,
                                                                         const json::value& b) {
    if (a.is_number()) {
      ASSERT_TRUE(b.is_number()) << json::serialize(b);
      // Boost 1.81's parser may round the last bit differently (its reading is not
      // exact); the writing is checked exactly below, with strtod.
      const double x = a.to_number<double>(), y = b.to_number<double>();
      ASSERT_LE(std::fabs(x - y), 4 * std::numeric_limits<double>::epsilon() * std::fabs(x))
          << x << " vs " << y;
      if (a.is_int64()) {
        ASSERT_EQ(a.get_int64(), b.to_number<std::int64_t>());
      }
    } else if (a.is_array()) {
      ASSERT_TRUE(b.is_array());
      ASSERT_EQ(a.get_array().size(), b.get_array().size());
      for (std::size_t i = 0; i < a.get_array().size(); ++i) {
        same(a.get_array()[i], b.get_array()[i]);
      }
    } else if (a.is_object()) {
      ASSERT_TRUE(b.is_object());
      ASSERT_EQ(a.get_object().size(), b.get_object().size());
      for (const auto& m : a.get_object()) same(m.value(), b.at(m.key()));
    } else {
      ASSERT_EQ(a, b);
    }
  };
  for (int i = 0; i < 2000; ++i) {
    const json::value v = make(0);
    const std::string text = JsonText(v);
    ASSERT_EQ(text.find('E'), std::string::npos) << text;
    same(v, json::parse(text));
  }
}

TEST(JsonTextTest, AppendedStringsReadBackToTheSameText) {
  std::string out = "[";
  AppendJsonString("Zażółć \"gęślą\" \\ jaźń\t\n\x01\x1f", out);
  EXPECT_EQ(out, "[\"Zażółć \\\"gęślą\\\" \\\\ jaźń\\t\\n\\u0001\\u001f\"");
  // Property: any text of plain, escaped and multi-byte characters reads back the same.
  const std::vector<std::string> pieces = {"a",    "Z",  " ",  "\"", "\\",   "\b",
                                           "\f",   "\n", "\r", "\t", "\x01", "\x1f",
                                           "\x7f", "ł",  "Ż",  "€",  "/"};
  std::mt19937 random(7);
  for (int n = 0; n < 2000; ++n) {
    std::string text;
    const int length = static_cast<int>(random() % 12);
    for (int i = 0; i < length; ++i) text += pieces[random() % pieces.size()];
    std::string written = "prefix";
    AppendJsonString(text, written);
    ASSERT_EQ(written.substr(0, 6), "prefix");
    const json::value back = json::parse(written.substr(6));
    ASSERT_TRUE(back.is_string()) << written;
    EXPECT_EQ(std::string(back.get_string()), text) << written;
  }
}

TEST(JsonTextTest, EveryDoubleIsWrittenExactly) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 100000; ++i) {
    double d = 0;
    const std::uint64_t bits = rng();
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    const std::string text = JsonText(json::value(d));
    ASSERT_EQ(std::strtod(text.c_str(), nullptr), d) << text;
    ASSERT_EQ(text.find('E'), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace quire
