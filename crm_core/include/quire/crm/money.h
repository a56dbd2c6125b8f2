// Exact decimal money for products, offers and orders. No binary floating point anywhere:
//   - an amount of money is an integer count of its currency's minor unit (grosze for PLN,
//     cents for EUR, yen for JPY: ISO 4217's digits);
//   - a quantity, a unit price, a discount and a tax rate are integer counts of 10^-kPlaces
//     (a price may be finer than the currency's minor unit: fuel at 6.4890 PLN a litre).
// In JSON all of them travel as decimal strings ("1234.50"); a quantity or a percentage may
// also be a JSON integer.
//
// The rounding rule: half away from zero, to the currency's minor unit. It is the Polish
// VAT act's (art. 106e ust. 11: fractions under half a grosz are dropped, half a grosz and
// more make a whole one), and commercial rounding elsewhere. It is applied
//   - to each line's net: quantity × unit price × (100 − discount %) / 100;
//   - to each tax rate's tax, computed once on the sum of the nets at that rate (as an
//     invoice computes it, "od sumy wartości netto"), not per line;
// and the gross is net + tax, per rate and in total. Amounts over 10^15 units are refused.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quire/base/result.h"

namespace quire::crm {

// The intermediate products of amounts (a quantity × a price × a discount is up to 10^35).
__extension__ typedef __int128 Int128;

// Fractional digits of quantities, unit prices, discounts and tax rates.
inline constexpr int kPlaces = 4;
inline constexpr std::int64_t kOne = 10'000;  // 1 at kPlaces

struct Currency {
  std::string code;  // ISO 4217, upper case
  int digits = 2;    // of its minor unit
};
// The currencies Quire prices in (ISO 4217 codes of Europe's and the major trading
// currencies). Errors: kInvalidArgument naming the code and listing a few.
Result<Currency> FindCurrency(std::string_view code);

// Reads "1234.5", "-0.25", "1 234,50" (a decimal comma and spaces or non-breaking spaces
// between thousands, as Polish spreadsheets write them) with at most `places` fractional
// digits: the integer count of 10^-places. Errors: kInvalidArgument saying what is wrong.
Result<std::int64_t> ParseFixed(std::string_view text, int places);
// "1234.50" for (123450, 2); "-0.0001" for (-1, 4); "12" for (12, 0).
std::string FormatFixed(std::int64_t units, int places);
// As FormatFixed, trailing fractional zeros dropped down to `min_places` ("1.5" for a
// quantity of 15000 at kPlaces with min_places 0; "23" for a rate).
std::string FormatTrimmed(std::int64_t units, int places, int min_places = 0);

// A tax rate: its code as documents print it ("23", "8", "5", "0", "zw", "np", "oo") and
// the percentage it charges at kPlaces (the exempt and not-taxed codes charge 0).
struct TaxRate {
  std::string code;
  std::int64_t percent = 0;
};
// The code read as a rate: a number ("23", "7.7", "23%") is that percentage; any other code
// (a dictionary's word for an exemption) charges nothing.
Result<TaxRate> ParseTaxRate(std::string_view code);

// `value` / `divisor` rounded half away from zero. REQUIRES: divisor > 0.
Int128 RoundDiv(Int128 value, Int128 divisor);

struct LineAmount {
  std::int64_t quantity = 0;    // at kPlaces
  std::int64_t unit_price = 0;  // at kPlaces, in the currency
  std::int64_t discount = 0;    // percent at kPlaces: 0 ... 100
  TaxRate rate;
};
// The line's net in the currency's minor units. Errors: kInvalidArgument when it exceeds
// what an amount may hold.
Result<std::int64_t> LineNet(const LineAmount& line, const Currency& currency);

struct RateTotal {
  std::string rate;  // the code
  std::int64_t percent = 0;
  std::int64_t net = 0, tax = 0, gross = 0;  // minor units
};
struct Totals {
  std::int64_t net = 0, tax = 0, gross = 0;  // minor units
  std::vector<RateTotal> by_rate;            // in order of the rate's first line
};
// The totals of lines whose nets are `nets` (LineNet of each of `lines`). Errors:
// kInvalidArgument when a total exceeds what an amount may hold.
Result<Totals> Total(const std::vector<LineAmount>& lines, const std::vector<std::int64_t>& nets);

// The largest amount (in minor units) and the largest quantity and unit price accepted.
inline constexpr std::int64_t kMaxAmount = 1'000'000'000'000'000;  // 10^15 units
inline constexpr std::int64_t kMaxQuantity = 1'000'000'000 * kOne;
inline constexpr std::int64_t kMaxUnitPrice = 1'000'000'000'000 * kOne;

}  // namespace quire::crm
