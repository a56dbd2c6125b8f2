// Tax and bank identifiers of customers, checked the way their schemes define them:
//   NIP    Polish tax id: 10 digits, weights 6 5 7 2 3 4 5 6 7, sum mod 11 = the last digit
//          (a sum of 10 mod 11 is never issued). Written 526-104-08-28, 526 10 40 828,
//          PL5261040828.
//   REGON  Polish statistical number: 9 digits (weights 8 9 2 3 4 5 6 7) or 14 digits for a
//          local unit (weights 2 4 8 5 0 9 7 3 6 1 2 4 8), sum mod 11 mod 10 = the last digit.
//   PESEL  Polish personal number: 11 digits, weights 1 3 7 9 1 3 7 9 1 3, (10 - sum mod 10)
//          mod 10 = the last; the first six are the birth date, the month shifted by the
//          century (+80 for 1800-1899, +0, +20, +40, +60 for 2200-2299); the tenth is even
//          for women.
//   IBAN   ISO 13616: country, two check digits, the national account number; the length
//          fixed per country; mod 97 of the rearranged number is 1.
//   EU VAT the country prefix (EL for Greece, XI for Northern Ireland) and the national
//          number in the format the EU's VIES service documents; for PL the NIP checksum.
// Each Normalize* accepts what people type (spaces, hyphens, dots, lower case) and answers
// the canonical form, or kInvalidArgument saying what is wrong in words a clerk can act on.
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "quire/base/result.h"

namespace quire::crm {

Result<std::string> NormalizeNip(std::string_view text);    // "5261040828"
Result<std::string> NormalizeRegon(std::string_view text);  // 9 or 14 digits

struct Pesel {
  std::string number;  // 11 digits
  std::chrono::year_month_day birth_date;
  bool female = false;
};
Result<Pesel> ParsePesel(std::string_view text);

Result<std::string> NormalizeIban(std::string_view text);   // "PL61109010140000071219812874"
Result<std::string> NormalizeEuVat(std::string_view text);  // "PL5261040828", "DE123456789"

// The kind of tax identifier `text` is, for a field that takes any ("taxId"): an EU VAT
// number when it starts with two letters, else a NIP (10 digits), a REGON (9 or 14) or a
// PESEL (11). Answers the canonical form with its kind.
struct TaxId {
  enum class Kind { kNip, kRegon, kPesel, kEuVat };
  Kind kind = Kind::kNip;
  std::string value;
};
Result<TaxId> ParseTaxId(std::string_view text);
std::string_view Name(TaxId::Kind kind);  // "nip", "regon", "pesel", "euVat"

}  // namespace quire::crm
