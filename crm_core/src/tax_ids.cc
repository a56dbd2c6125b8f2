#include "quire/crm/tax_ids.h"

#include <array>
#include <cctype>
#include <map>
#include <regex>

namespace quire::crm {

namespace {

// What people type: digits and letters, with spaces, hyphens, dots and slashes between.
Result<std::string> Compact(std::string_view text, std::string_view what) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      out += static_cast<char>(std::toupper(u));
    } else if (c != ' ' && c != '-' && c != '.' && c != '/' && c != '\t') {
      return Error::InvalidArgument(std::string(what) + " '" + std::string(text) + "' holds '" +
                                    std::string(1, c) +
                                    "': only digits (and spaces or hyphens between them)");
    }
  }
  if (out.empty()) return Error::InvalidArgument(std::string(what) + " is empty");
  return out;
}

bool AllDigits(std::string_view s) {
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

template <std::size_t N>
int WeightedSum(std::string_view digits, const std::array<int, N>& weights) {
  int sum = 0;
  for (std::size_t i = 0; i < N; ++i) sum += (digits[i] - '0') * weights[i];
  return sum;
}

Error WrongCheckDigit(std::string_view what, std::string_view shown, char last, int expected) {
  return Error::InvalidArgument(std::string(what) + " " + std::string(shown) +
                                " fails its checksum: the last digit is " + std::string(1, last) +
                                ", the others call for " + std::to_string(expected) +
                                " (a digit mistyped or two swapped?)");
}

Result<std::string> Nip(std::string_view digits, std::string_view shown) {
  if (digits.size() != 10 || !AllDigits(digits)) {
    return Error::InvalidArgument("NIP " + std::string(shown) + " has " +
                                  std::to_string(digits.size()) +
                                  " characters; a NIP is 10 digits, e.g. 526-104-08-28");
  }
  static constexpr std::array<int, 9> kWeights{6, 5, 7, 2, 3, 4, 5, 6, 7};
  const int check = WeightedSum(digits, kWeights) % 11;
  if (check == 10) {
    return Error::InvalidArgument("NIP " + std::string(shown) +
                                  " cannot exist: its first nine digits give no check digit "
                                  "(a digit mistyped?)");
  }
  if (digits[9] - '0' != check) return WrongCheckDigit("NIP", shown, digits[9], check);
  return std::string(digits);
}

bool LeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

struct VatFormat {
  std::regex pattern;  // compiled once, with the table
  const char* example;
};

// The national part of an EU VAT number, as the EU's VIES service documents its format.
const std::map<std::string, VatFormat, std::less<>>& VatFormats() {
  static const std::map<std::string, VatFormat, std::less<>> formats{
      {"AT", {std::regex("U[0-9]{8}"), "ATU12345678"}},
      {"BE", {std::regex("[01][0-9]{9}"), "BE0123456789"}},
      {"BG", {std::regex("[0-9]{9,10}"), "BG123456789"}},
      {"CY", {std::regex("[0-9]{8}[A-Z]"), "CY12345678X"}},
      {"CZ", {std::regex("[0-9]{8,10}"), "CZ12345678"}},
      {"DE", {std::regex("[0-9]{9}"), "DE123456789"}},
      {"DK", {std::regex("[0-9]{8}"), "DK12345678"}},
      {"EE", {std::regex("[0-9]{9}"), "EE123456789"}},
      {"EL", {std::regex("[0-9]{9}"), "EL123456789"}},
      {"ES", {std::regex("[0-9A-Z][0-9]{7}[0-9A-Z]"), "ESX1234567X"}},
      {"FI", {std::regex("[0-9]{8}"), "FI12345678"}},
      {"FR", {std::regex("[0-9A-Z]{2}[0-9]{9}"), "FRXX123456789"}},
      {"HR", {std::regex("[0-9]{11}"), "HR12345678901"}},
      {"HU", {std::regex("[0-9]{8}"), "HU12345678"}},
      {"IE", {std::regex("[0-9][0-9A-Z+*][0-9]{5}[A-Z]{1,2}"), "IE1234567WA"}},
      {"IT", {std::regex("[0-9]{11}"), "IT12345678901"}},
      {"LT", {std::regex("[0-9]{9}|[0-9]{12}"), "LT123456789"}},
      {"LU", {std::regex("[0-9]{8}"), "LU12345678"}},
      {"LV", {std::regex("[0-9]{11}"), "LV12345678901"}},
      {"MT", {std::regex("[0-9]{8}"), "MT12345678"}},
      {"NL", {std::regex("[0-9]{9}B[0-9]{2}"), "NL123456789B01"}},
      {"PL", {std::regex("[0-9]{10}"), "PL5261040828"}},
      {"PT", {std::regex("[0-9]{9}"), "PT123456789"}},
      {"RO", {std::regex("[0-9]{2,10}"), "RO1234567890"}},
      {"SE", {std::regex("[0-9]{12}"), "SE123456789701"}},
      {"SI", {std::regex("[0-9]{8}"), "SI12345678"}},
      {"SK", {std::regex("[0-9]{10}"), "SK1234567890"}},
      {"XI", {std::regex("[0-9]{9}|[0-9]{12}|(GD|HA)[0-9]{3}"), "XI123456789"}},
  };
  return formats;
}

// ISO 13616 lengths of the IBANs of the countries Quire's users deal with most; others are
// checked for 15 to 34 characters and the checksum.
int IbanLength(std::string_view country) {
  static const std::map<std::string, int, std::less<>> lengths{
      {"AT", 20}, {"BE", 16}, {"BG", 22}, {"CH", 21}, {"CY", 28}, {"CZ", 24}, {"DE", 22},
      {"DK", 18}, {"EE", 20}, {"ES", 24}, {"FI", 18}, {"FR", 27}, {"GB", 22}, {"GR", 27},
      {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IT", 27}, {"LT", 20}, {"LU", 20}, {"LV", 21},
      {"MT", 31}, {"NL", 18}, {"NO", 15}, {"PL", 28}, {"PT", 25}, {"RO", 24}, {"SE", 24},
      {"SI", 19}, {"SK", 24}, {"UA", 29}};
  const auto it = lengths.find(country);
  return it == lengths.end() ? 0 : it->second;
}

}  // namespace

Result<std::string> NormalizeNip(std::string_view text) {
  QUIRE_ASSIGN_OR_RETURN(std::string s, Compact(text, "NIP"));
  if (s.starts_with("PL")) s.erase(0, 2);
  return Nip(s, text);
}

Result<std::string> NormalizeRegon(std::string_view text) {
  QUIRE_ASSIGN_OR_RETURN(std::string s, Compact(text, "REGON"));
  if ((s.size() != 9 && s.size() != 14) || !AllDigits(s)) {
    return Error::InvalidArgument("REGON " + std::string(text) + " has " +
                                  std::to_string(s.size()) +
                                  " characters; a REGON is 9 digits (14 for a local unit)");
  }
  int check = 0;
  if (s.size() == 9) {
    static constexpr std::array<int, 8> kWeights{8, 9, 2, 3, 4, 5, 6, 7};
    check = WeightedSum(s, kWeights) % 11 % 10;
  } else {
    static constexpr std::array<int, 13> kWeights{2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8};
    check = WeightedSum(s, kWeights) % 11 % 10;
  }
  if (s.back() - '0' != check) return WrongCheckDigit("REGON", text, s.back(), check);
  return s;
}

Result<Pesel> ParsePesel(std::string_view text) {
  QUIRE_ASSIGN_OR_RETURN(std::string s, Compact(text, "PESEL"));
  if (s.size() != 11 || !AllDigits(s)) {
    return Error::InvalidArgument("PESEL " + std::string(text) + " has " +
                                  std::to_string(s.size()) + " characters; a PESEL is 11 digits");
  }
  static constexpr std::array<int, 10> kWeights{1, 3, 7, 9, 1, 3, 7, 9, 1, 3};
  const int check = (10 - WeightedSum(s, kWeights) % 10) % 10;
  if (s[10] - '0' != check) return WrongCheckDigit("PESEL", text, s[10], check);
  const int yy = (s[0] - '0') * 10 + (s[1] - '0');
  int mm = (s[2] - '0') * 10 + (s[3] - '0');
  const int dd = (s[4] - '0') * 10 + (s[5] - '0');
  int century = 1900;
  if (mm > 80) {
    century = 1800;
    mm -= 80;
  } else if (mm > 60) {
    century = 2200;
    mm -= 60;
  } else if (mm > 40) {
    century = 2100;
    mm -= 40;
  } else if (mm > 20) {
    century = 2000;
    mm -= 20;
  }
  const int year = century + yy;
  static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int days = mm >= 1 && mm <= 12 ? kDays[mm - 1] + (mm == 2 && LeapYear(year) ? 1 : 0) : 0;
  if (mm < 1 || mm > 12 || dd < 1 || dd > days) {
    return Error::InvalidArgument("PESEL " + std::string(text) +
                                  " holds no valid birth date in its first six digits");
  }
  Pesel p;
  p.number = s;
  p.birth_date = std::chrono::year(year) / std::chrono::month(static_cast<unsigned>(mm)) /
                 std::chrono::day(static_cast<unsigned>(dd));
  p.female = (s[9] - '0') % 2 == 0;
  return p;
}

Result<std::string> NormalizeIban(std::string_view text) {
  QUIRE_ASSIGN_OR_RETURN(std::string s, Compact(text, "IBAN"));
  if (s.size() < 5 || !std::isalpha(static_cast<unsigned char>(s[0])) ||
      !std::isalpha(static_cast<unsigned char>(s[1])) || !AllDigits(s.substr(2, 2))) {
    return Error::InvalidArgument(
        "IBAN " + std::string(text) +
        " must start with a country code and two check digits, e.g. PL61 1090 1014 0000 0712 "
        "1981 2874");
  }
  const std::string country = s.substr(0, 2);
  const int length = IbanLength(country);
  if (length != 0 && static_cast<int>(s.size()) != length) {
    return Error::InvalidArgument("IBAN " + std::string(text) + " has " + std::to_string(s.size()) +
                                  " characters; an IBAN of " + country + " has " +
                                  std::to_string(length));
  }
  if (length == 0 && (s.size() < 15 || s.size() > 34)) {
    return Error::InvalidArgument("IBAN " + std::string(text) + " has " + std::to_string(s.size()) +
                                  " characters; an IBAN has 15 to 34");
  }
  // The country and check digits move to the end; letters count as 10..35; mod 97 = 1.
  const std::string moved = s.substr(4) + s.substr(0, 4);
  int remainder = 0;
  for (const char c : moved) {
    const int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'A' + 10;
    remainder = v >= 10 ? (remainder * 100 + v) % 97 : (remainder * 10 + v) % 97;
  }
  if (remainder != 1) {
    return Error::InvalidArgument("IBAN " + std::string(text) +
                                  " fails its checksum (a digit mistyped or two swapped?)");
  }
  return s;
}

Result<std::string> NormalizeEuVat(std::string_view text) {
  QUIRE_ASSIGN_OR_RETURN(std::string s, Compact(text, "VAT number"));
  if (s.size() < 4) {
    return Error::InvalidArgument("VAT number " + std::string(text) +
                                  " is too short: a country prefix and the number, e.g. "
                                  "PL5261040828");
  }
  std::string country = s.substr(0, 2);
  if (country == "GR") country = "EL";  // VIES writes Greece as EL
  const auto& formats = VatFormats();
  const auto it = formats.find(country);
  if (it == formats.end()) {
    return Error::InvalidArgument("VAT number " + std::string(text) + " starts with '" +
                                  s.substr(0, 2) +
                                  "', which is no EU country prefix (EL for Greece, XI for "
                                  "Northern Ireland)");
  }
  const std::string national = s.substr(2);
  if (!std::regex_match(national, it->second.pattern)) {
    return Error::InvalidArgument("VAT number " + std::string(text) + " is not in the form " +
                                  country + " numbers take, e.g. " + it->second.example);
  }
  if (country == "PL") QUIRE_RETURN_IF_ERROR(Nip(national, text));
  return country + national;
}

Result<TaxId> ParseTaxId(std::string_view text) {
  QUIRE_ASSIGN_OR_RETURN(std::string s, Compact(text, "tax id"));
  TaxId id;
  if (s.size() >= 2 && std::isalpha(static_cast<unsigned char>(s[0])) &&
      std::isalpha(static_cast<unsigned char>(s[1]))) {
    id.kind = TaxId::Kind::kEuVat;
    QUIRE_ASSIGN_OR_RETURN(id.value, NormalizeEuVat(text));
  } else if (s.size() == 10) {
    id.kind = TaxId::Kind::kNip;
    QUIRE_ASSIGN_OR_RETURN(id.value, NormalizeNip(text));
  } else if (s.size() == 9 || s.size() == 14) {
    id.kind = TaxId::Kind::kRegon;
    QUIRE_ASSIGN_OR_RETURN(id.value, NormalizeRegon(text));
  } else if (s.size() == 11) {
    id.kind = TaxId::Kind::kPesel;
    QUIRE_ASSIGN_OR_RETURN(Pesel p, ParsePesel(text));
    id.value = p.number;
  } else {
    return Error::InvalidArgument(
        "tax id " + std::string(text) + " has " + std::to_string(s.size()) +
        " digits: a NIP has 10, a REGON 9 or 14, a PESEL 11; an EU VAT number starts with "
        "its country (PL5261040828)");
  }
  return id;
}

std::string_view Name(TaxId::Kind kind) {
  switch (kind) {
    case TaxId::Kind::kNip:
      return "nip";
    case TaxId::Kind::kRegon:
      return "regon";
    case TaxId::Kind::kPesel:
      return "pesel";
    case TaxId::Kind::kEuVat:
      return "euVat";
  }
  return "nip";
}

}  // namespace quire::crm
