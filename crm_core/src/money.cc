#include "quire/crm/money.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>

namespace quire::crm {
namespace {

// ISO 4217: the currencies of Europe and the major trading ones, with their minor units.
constexpr std::array<std::pair<std::string_view, int>, 36> kCurrencies = {{
    {"PLN", 2}, {"EUR", 2}, {"USD", 2}, {"GBP", 2}, {"CHF", 2}, {"CZK", 2}, {"HUF", 2}, {"SEK", 2},
    {"NOK", 2}, {"DKK", 2}, {"RON", 2}, {"BGN", 2}, {"ISK", 0}, {"UAH", 2}, {"TRY", 2}, {"RSD", 2},
    {"MDL", 2}, {"GEL", 2}, {"ALL", 2}, {"MKD", 2}, {"BAM", 2}, {"JPY", 0}, {"CNY", 2}, {"KRW", 0},
    {"INR", 2}, {"CAD", 2}, {"AUD", 2}, {"NZD", 2}, {"SGD", 2}, {"HKD", 2}, {"ILS", 2}, {"AED", 2},
    {"SAR", 2}, {"KWD", 3}, {"BHD", 3}, {"ZAR", 2},
}};

bool IsSpace(std::string_view text, std::size_t at, std::size_t& width) {
  if (text[at] == ' ' || text[at] == '\'') {
    width = 1;
    return true;
  }
  // U+00A0 and U+202F (no-break and narrow no-break space), as spreadsheets group digits.
  if (text.substr(at, 2) == "\xC2\xA0") {
    width = 2;
    return true;
  }
  if (text.substr(at, 3) == "\xE2\x80\xAF") {
    width = 3;
    return true;
  }
  return false;
}

}  // namespace

Result<Currency> FindCurrency(std::string_view code) {
  std::string upper(code);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& [known, digits] : kCurrencies) {
    if (known == upper) return Currency{upper, digits};
  }
  return Error::InvalidArgument("'" + std::string(code) +
                                "' is not a currency Quire prices in: give its ISO 4217 code, "
                                "e.g. PLN, EUR, USD, GBP, CHF, CZK");
}

Result<std::int64_t> ParseFixed(std::string_view text, int places) {
  const std::string shown(text);
  auto refuse = [&](const std::string& why) {
    return Error::InvalidArgument("'" + shown + "' is not a decimal number: " + why +
                                  " (write it as 1234.50 or 1 234,50)");
  };
  // Trimmed of spaces around.
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return refuse("it is empty");
  bool negative = false;
  if (text.front() == '-' || text.front() == '+') {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  Int128 whole = 0, fraction = 0;
  int fraction_digits = 0, digits = 0;
  bool in_fraction = false;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    std::size_t width = 1;
    if (c >= '0' && c <= '9') {
      ++digits;
      if (in_fraction) {
        if (++fraction_digits > places) {
          return refuse(places == 0 ? "it must be a whole number"
                                    : "it has more than " + std::to_string(places) +
                                          " digits after the decimal point");
        }
        fraction = fraction * 10 + (c - '0');
      } else {
        whole = whole * 10 + (c - '0');
        if (whole > Int128{1} << 100) return refuse("it is too large");
      }
    } else if ((c == '.' || c == ',') && !in_fraction) {
      in_fraction = true;
    } else if (!in_fraction && digits > 0 && IsSpace(text, i, width)) {
      // a thousands separator
    } else {
      return refuse("'" + std::string(text.substr(i, 1)) + "' is not a digit");
    }
    i += width;
  }
  if (digits == 0) return refuse("it has no digits");
  if (in_fraction && fraction_digits == 0) return refuse("no digit follows the decimal point");
  for (int i = fraction_digits; i < places; ++i) fraction *= 10;
  Int128 scale = 1;
  for (int i = 0; i < places; ++i) scale *= 10;
  const Int128 units = whole * scale + fraction;
  if (units > std::numeric_limits<std::int64_t>::max()) return refuse("it is too large");
  return static_cast<std::int64_t>(negative ? -units : units);
}

std::string FormatFixed(std::int64_t units, int places) {
  const bool negative = units < 0;
  // Through unsigned: the lowest int64 has no positive counterpart.
  std::uint64_t magnitude =
      negative ? ~static_cast<std::uint64_t>(units) + 1 : static_cast<std::uint64_t>(units);
  std::string digits = std::to_string(magnitude);
  if (places > 0) {
    if (digits.size() <= static_cast<std::size_t>(places)) {
      digits.insert(0, static_cast<std::size_t>(places) + 1 - digits.size(), '0');
    }
    digits.insert(digits.size() - static_cast<std::size_t>(places), 1, '.');
  }
  return negative && magnitude != 0 ? "-" + digits : digits;
}

std::string FormatTrimmed(std::int64_t units, int places, int min_places) {
  std::string out = FormatFixed(units, places);
  if (places <= min_places) return out;
  const std::size_t point = out.find('.');
  std::size_t keep = out.size();
  while (keep > point + 1 + static_cast<std::size_t>(min_places) && out[keep - 1] == '0') --keep;
  if (keep == point + 1) keep = point;  // no fraction left: no point
  out.resize(keep);
  return out;
}

Result<TaxRate> ParseTaxRate(std::string_view code) {
  std::string_view number = code;
  while (!number.empty() && number.back() == ' ') number.remove_suffix(1);
  if (!number.empty() && number.back() == '%') number.remove_suffix(1);
  const bool numeric = !number.empty() && std::all_of(number.begin(), number.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == ',' || c == ' ';
  });
  if (!numeric) {
    if (code.empty())
      return Error::InvalidArgument("a tax rate is required: e.g. 23, 8, 5, 0 or zw");
    return TaxRate{std::string(code), 0};
  }
  auto percent = ParseFixed(number, kPlaces);
  if (!percent) {
    return Error::InvalidArgument("'" + std::string(code) +
                                  "' is not a tax rate: " + percent.error().message());
  }
  if (*percent < 0 || *percent > 100 * kOne) {
    return Error::InvalidArgument("'" + std::string(code) +
                                  "' is not a tax rate: a rate is between 0 and 100 percent");
  }
  return TaxRate{FormatTrimmed(*percent, kPlaces), *percent};
}

Int128 RoundDiv(Int128 value, Int128 divisor) {
  const bool negative = value < 0;
  const Int128 magnitude = negative ? -value : value;
  Int128 q = magnitude / divisor;
  if ((magnitude % divisor) * 2 >= divisor) ++q;
  return negative ? -q : q;
}

Result<std::int64_t> LineNet(const LineAmount& line, const Currency& currency) {
  if (line.quantity > kMaxQuantity || line.quantity < -kMaxQuantity) {
    return Error::InvalidArgument("a quantity is at most 1000000000");
  }
  if (line.unit_price > kMaxUnitPrice || line.unit_price < -kMaxUnitPrice) {
    return Error::InvalidArgument("a unit price is at most 1000000000000");
  }
  if (line.discount < 0 || line.discount > 100 * kOne) {
    return Error::InvalidArgument("a discount is between 0 and 100 percent");
  }
  // quantity × price × (100% − discount) at kPlaces each: 10^(3 × kPlaces + 2) per unit of
  // the currency (the discount is a percentage).
  Int128 minor = 1;
  for (int i = 0; i < currency.digits; ++i) minor *= 10;
  const Int128 exact = Int128{line.quantity} * line.unit_price * (100 * kOne - line.discount);
  Int128 divisor = Int128{kOne} * kOne * kOne * 100;
  // exact / divisor currency units, × minor in minor units; divided first where it is exact.
  Int128 net;
  if (divisor % minor == 0) {
    net = RoundDiv(exact, divisor / minor);
  } else {
    net = RoundDiv(exact * minor, divisor);
  }
  if (net > kMaxAmount || net < -kMaxAmount) {
    return Error::InvalidArgument("the line's value exceeds what an amount may hold (10^15 " +
                                  currency.code + " minor units)");
  }
  return static_cast<std::int64_t>(net);
}

Result<Totals> Total(const std::vector<LineAmount>& lines, const std::vector<std::int64_t>& nets) {
  Totals out;
  for (std::size_t i = 0; i < lines.size() && i < nets.size(); ++i) {
    auto it = std::find_if(out.by_rate.begin(), out.by_rate.end(),
                           [&](const RateTotal& r) { return r.rate == lines[i].rate.code; });
    if (it == out.by_rate.end()) {
      out.by_rate.push_back({lines[i].rate.code, lines[i].rate.percent, 0, 0, 0});
      it = out.by_rate.end() - 1;
    }
    it->net += nets[i];
    if (it->net > kMaxAmount || it->net < -kMaxAmount) {
      return Error::InvalidArgument("the total exceeds what an amount may hold (10^15 units)");
    }
  }
  for (RateTotal& r : out.by_rate) {
    r.tax = static_cast<std::int64_t>(RoundDiv(Int128{r.net} * r.percent, 100 * kOne));
    r.gross = r.net + r.tax;
    out.net += r.net;
    out.tax += r.tax;
    out.gross += r.gross;
  }
  if (out.gross > kMaxAmount || out.gross < -kMaxAmount || out.net > kMaxAmount ||
      out.net < -kMaxAmount) {
    return Error::InvalidArgument("the total exceeds what an amount may hold (10^15 units)");
  }
  return out;
}

}  // namespace quire::crm
