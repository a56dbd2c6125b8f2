#include "quire/crm/money.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/multiprecision/cpp_int.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace quire::crm {
namespace {

using ::testing::HasSubstr;
using Rational = boost::multiprecision::cpp_rational;
using BigInt = boost::multiprecision::cpp_int;

TEST(MoneyTest, DecimalTextIsReadExactlyAsPeopleWriteIt) {
  EXPECT_EQ(*ParseFixed("1234.50", 2), 123450);
  EXPECT_EQ(*ParseFixed("1 234,5", 2), 123450);
  EXPECT_EQ(*ParseFixed("1\xC2\xA0"
                        "234,56",
                        2),
            123456);  // a no-break space groups
  EXPECT_EQ(*ParseFixed("-0.25", 4), -2500);
  EXPECT_EQ(*ParseFixed("+7", 0), 7);
  EXPECT_EQ(*ParseFixed(" 0.1 ", 2), 10);
  EXPECT_THAT(ParseFixed("12.", 2).error().message(), HasSubstr("no digit follows"));
  EXPECT_THAT(ParseFixed("1.234", 2).error().message(), HasSubstr("more than 2 digits"));
  EXPECT_THAT(ParseFixed("1.5", 0).error().message(), HasSubstr("whole number"));
  EXPECT_THAT(ParseFixed("12a", 2).error().message(), HasSubstr("'a' is not a digit"));
  EXPECT_THAT(ParseFixed("", 2).error().message(), HasSubstr("empty"));
  EXPECT_THAT(ParseFixed("-", 2).error().message(), HasSubstr("no digits"));
  EXPECT_THAT(ParseFixed("1.2.3", 2).error().message(), HasSubstr("not a digit"));
  EXPECT_THAT(ParseFixed("99999999999999999999", 2).error().message(), HasSubstr("too large"));
  EXPECT_THAT(ParseFixed("1e5", 2).error().message(), HasSubstr("'e' is not a digit"));
}

TEST(MoneyTest, AmountsAreWrittenWithTheirDigits) {
  EXPECT_EQ(FormatFixed(123450, 2), "1234.50");
  EXPECT_EQ(FormatFixed(-1, 4), "-0.0001");
  EXPECT_EQ(FormatFixed(0, 2), "0.00");
  EXPECT_EQ(FormatFixed(12, 0), "12");
  EXPECT_EQ(FormatFixed(std::numeric_limits<std::int64_t>::min(), 2), "-92233720368547758.08");
  EXPECT_EQ(FormatTrimmed(15000, 4), "1.5");
  EXPECT_EQ(FormatTrimmed(230000, 4), "23");
  EXPECT_EQ(FormatTrimmed(10000, 4, 2), "1.00");
  EXPECT_EQ(FormatTrimmed(12345, 4, 2), "1.2345");
}

TEST(MoneyTest, CurrenciesHaveTheirMinorUnits) {
  EXPECT_EQ(FindCurrency("pln")->digits, 2);
  EXPECT_EQ(FindCurrency("PLN")->code, "PLN");
  EXPECT_EQ(FindCurrency("JPY")->digits, 0);
  EXPECT_EQ(FindCurrency("KWD")->digits, 3);
  EXPECT_THAT(FindCurrency("ZŁ").error().message(), HasSubstr("ISO 4217"));
}

TEST(MoneyTest, TaxRatesAreNumbersOrCodesThatChargeNothing) {
  EXPECT_EQ(ParseTaxRate("23")->percent, 230000);
  EXPECT_EQ(ParseTaxRate("23%")->code, "23");
  EXPECT_EQ(ParseTaxRate("7,7")->code, "7.7");
  EXPECT_EQ(ParseTaxRate("zw")->percent, 0);
  EXPECT_EQ(ParseTaxRate("zw")->code, "zw");
  EXPECT_FALSE(ParseTaxRate("120"));
  EXPECT_FALSE(ParseTaxRate(""));
}

TEST(MoneyTest, LinesRoundHalfAwayFromZeroToTheMinorUnit) {
  const Currency pln{"PLN", 2};
  // 3 × 0.335 = 1.005 → 1.01 (half a grosz makes one)
  EXPECT_EQ(*LineNet({3 * kOne, 3350, 0, {"23", 230000}}, pln), 101);
  // 3 × 0.3349 = 1.0047 → 1.00
  EXPECT_EQ(*LineNet({3 * kOne, 3349, 0, {"23", 230000}}, pln), 100);
  // -1.005 → -1.01
  EXPECT_EQ(*LineNet({-3 * kOne, 3350, 0, {"23", 230000}}, pln), -101);
  // 2.5 × 19.99 less 12.5 % = 43.728125 → 43.73
  EXPECT_EQ(*LineNet({25000, 199900, 125000, {"8", 80000}}, pln), 4373);
  // yen have no minor unit
  EXPECT_EQ(*LineNet({kOne, 15000, 0, {"0", 0}}, {"JPY", 0}), 2);
  EXPECT_THAT(LineNet({kOne, kOne, 100 * kOne + 1, {"0", 0}}, pln).error().message(),
              HasSubstr("discount"));
  EXPECT_THAT(LineNet({kMaxQuantity, kMaxUnitPrice, 0, {"0", 0}}, pln).error().message(),
              HasSubstr("exceeds"));
}

TEST(MoneyTest, TaxIsComputedOncePerRateOnTheSummedNet) {
  const Currency pln{"PLN", 2};
  // Three lines of 0.02 at 23 %: per line 0.0046 → 0.00 each; on the sum 0.06 → 0.01.
  std::vector<LineAmount> lines(3, LineAmount{kOne, 200, 0, {"23", 230000}});
  lines.push_back({kOne, 1000000, 0, {"zw", 0}});
  std::vector<std::int64_t> nets;
  for (const LineAmount& l : lines) nets.push_back(*LineNet(l, pln));
  auto t = Total(lines, nets);
  ASSERT_TRUE(t.has_value());
  ASSERT_EQ(t->by_rate.size(), 2u);
  EXPECT_EQ(t->by_rate[0].rate, "23");
  EXPECT_EQ(t->by_rate[0].net, 6);
  EXPECT_EQ(t->by_rate[0].tax, 1);
  EXPECT_EQ(t->by_rate[1].rate, "zw");
  EXPECT_EQ(t->by_rate[1].gross, 10000);
  EXPECT_EQ(t->net, 10006);
  EXPECT_EQ(t->tax, 1);
  EXPECT_EQ(t->gross, 10007);
}

// The oracle: the same rule in exact rational arithmetic.
BigInt RoundHalfAway(const Rational& r) {
  const BigInt n = boost::multiprecision::numerator(r), d = boost::multiprecision::denominator(r);
  const BigInt magnitude = n < 0 ? BigInt(-n) : n;
  BigInt q = magnitude / d;
  if ((magnitude % d) * 2 >= d) ++q;
  return n < 0 ? BigInt(-q) : q;
}

TEST(MoneyTest, TotalsEqualExactRationalArithmetic) {
  std::mt19937_64 random(15);
  const std::vector<Currency> currencies = {{"PLN", 2}, {"JPY", 0}, {"KWD", 3}};
  const std::vector<TaxRate> rates = {{"23", 230000}, {"8", 80000}, {"5", 50000},
                                      {"0", 0},       {"zw", 0},    {"7.7", 77000}};
  for (int round = 0; round < 3000; ++round) {
    const Currency& currency = currencies[random() % currencies.size()];
    const std::size_t count = 1 + random() % 25;
    std::vector<LineAmount> lines;
    std::vector<std::int64_t> nets;
    std::map<std::string, Rational> net_by_rate;
    std::map<std::string, std::int64_t> percent_of;
    for (std::size_t i = 0; i < count; ++i) {
      LineAmount l;
      // Small and large magnitudes, fractions at every place, some negative (corrections).
      l.quantity = static_cast<std::int64_t>(random() % (random() % 2 ? 100'000 : 100'000'000));
      if (random() % 10 == 0) l.quantity = -l.quantity;
      l.unit_price =
          static_cast<std::int64_t>(random() % (random() % 2 ? 100'000 : 10'000'000'000));
      l.discount = random() % 3 == 0 ? static_cast<std::int64_t>(random() % (100 * kOne + 1)) : 0;
      l.rate = rates[random() % rates.size()];
      auto net = LineNet(l, currency);
      ASSERT_TRUE(net.has_value()) << net.error().message();
      // The oracle's net: quantity × price × (1 − discount/100), in minor units.
      Rational exact = Rational(l.quantity, kOne) * Rational(l.unit_price, kOne) *
                       (1 - Rational(l.discount, 100 * kOne));
      BigInt minor = 1;
      for (int d = 0; d < currency.digits; ++d) minor *= 10;
      const BigInt expected = RoundHalfAway(exact * minor);
      ASSERT_EQ(BigInt(*net), expected)
          << l.quantity << " x " << l.unit_price << " - " << l.discount;
      net_by_rate[l.rate.code] += Rational(*net);
      percent_of[l.rate.code] = l.rate.percent;
      lines.push_back(l);
      nets.push_back(*net);
    }
    auto t = Total(lines, nets);
    ASSERT_TRUE(t.has_value());
    BigInt net = 0, tax = 0;
    for (const auto& [code, sum] : net_by_rate) {
      const BigInt rate_tax = RoundHalfAway(sum * Rational(percent_of[code], 100 * kOne));
      auto it = std::find_if(t->by_rate.begin(), t->by_rate.end(),
                             [&](const RateTotal& r) { return r.rate == code; });
      ASSERT_NE(it, t->by_rate.end());
      EXPECT_EQ(BigInt(it->net), boost::multiprecision::numerator(sum));
      EXPECT_EQ(BigInt(it->tax), rate_tax);
      EXPECT_EQ(it->gross, it->net + it->tax);
      net += boost::multiprecision::numerator(sum);
      tax += rate_tax;
    }
    EXPECT_EQ(BigInt(t->net), net);
    EXPECT_EQ(BigInt(t->tax), tax);
    EXPECT_EQ(BigInt(t->gross), net + tax);
  }
}

TEST(MoneyTest, FormattedAmountsReadBackTheSame) {
  std::mt19937_64 random(3);
  for (int i = 0; i < 5000; ++i) {
    const int places = static_cast<int>(random() % 5);
    const auto units = static_cast<std::int64_t>(random() % 2'000'000'000'000) - 1'000'000'000'000;
    EXPECT_EQ(*ParseFixed(FormatFixed(units, places), places), units);
    EXPECT_EQ(*ParseFixed(FormatTrimmed(units, places), places), units);
  }
}

}  // namespace
}  // namespace quire::crm
