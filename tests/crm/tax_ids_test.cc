#include "quire/crm/tax_ids.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

namespace quire::crm {
namespace {

using ::testing::HasSubstr;

// Oracles written from the schemes' definitions, independently of the code under test.
int NipCheck(const std::string& first9) {
  const int w[] = {6, 5, 7, 2, 3, 4, 5, 6, 7};
  int s = 0;
  for (int i = 0; i < 9; ++i) s += (first9[i] - '0') * w[i];
  return s % 11;  // 10: no valid NIP
}
int PeselCheck(const std::string& first10) {
  const int w[] = {1, 3, 7, 9, 1, 3, 7, 9, 1, 3};
  int s = 0;
  for (int i = 0; i < 10; ++i) s += (first10[i] - '0') * w[i];
  return (10 - s % 10) % 10;
}

std::string Digits(std::mt19937_64& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>('0' + rng() % 10);
  return s;
}

TEST(TaxIdsTest, NipAcceptsWhatPeopleTypeAndExplainsWhatIsWrong) {
  for (const char* typed :
       {"5261040828", "526-104-08-28", "526 10 40 828", "PL5261040828", "pl 526-104-08-28"}) {
    auto nip = NormalizeNip(typed);
    ASSERT_TRUE(nip.has_value()) << typed << ": " << nip.error().message();
    EXPECT_EQ(*nip, "5261040828");
  }
  EXPECT_THAT(NormalizeNip("5261040827").error().message(),
              HasSubstr("the last digit is 7, the others call for 8"));
  EXPECT_THAT(NormalizeNip("526104082").error().message(), HasSubstr("a NIP is 10 digits"));
  EXPECT_THAT(NormalizeNip("526104082x").error().message(), HasSubstr("a NIP is 10 digits"));
  EXPECT_THAT(NormalizeNip("526_104").error().message(), HasSubstr("holds '_'"));
  EXPECT_THAT(NormalizeNip("").error().message(), HasSubstr("empty"));
}

// Property, against the oracle: of the ten possible last digits exactly the right one is
// accepted, and none when the first nine give a remainder of 10.
TEST(TaxIdsTest, NipAcceptsExactlyTheCheckDigitItsSchemeGives) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 3000; ++i) {
    const std::string first9 = Digits(rng, 9);
    const int check = NipCheck(first9);
    for (int d = 0; d <= 9; ++d) {
      const bool valid = check != 10 && d == check;
      EXPECT_EQ(NormalizeNip(first9 + std::to_string(d)).has_value(), valid) << first9 << d;
    }
  }
}

TEST(TaxIdsTest, RegonOfNineAndFourteenDigits) {
  EXPECT_EQ(*NormalizeRegon("123456785"), "123456785");
  EXPECT_EQ(*NormalizeRegon("000331501"), "000331501");
  EXPECT_EQ(*NormalizeRegon("12345678512347"), "12345678512347");
  EXPECT_THAT(NormalizeRegon("123456784").error().message(),
              HasSubstr("the last digit is 4, the others call for 5"));
  EXPECT_THAT(NormalizeRegon("1234567").error().message(), HasSubstr("9 digits (14"));
  std::mt19937_64 rng(2);
  for (int i = 0; i < 2000; ++i) {
    const std::string first8 = Digits(rng, 8);
    int accepted = 0;
    for (int d = 0; d <= 9; ++d) accepted += NormalizeRegon(first8 + std::to_string(d)) ? 1 : 0;
    EXPECT_EQ(accepted, 1) << first8;  // a remainder of 10 counts as 0: always one
  }
}

TEST(TaxIdsTest, PeselGivesTheBirthDateAndSexAcrossCenturies) {
  auto p = ParsePesel("44051401359");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->birth_date, std::chrono::year(1944) / 5 / 14);
  EXPECT_FALSE(p->female);
  // Built from the scheme: 8 March 2004 (+20 on the month), a woman (even tenth digit).
  const std::string first10 = "0423080362";
  auto q = ParsePesel(first10 + std::to_string(PeselCheck(first10)));
  ASSERT_TRUE(q.has_value()) << q.error().message();
  EXPECT_EQ(q->birth_date, std::chrono::year(2004) / 3 / 8);
  EXPECT_TRUE(q->female);
  // 1880s: +80.
  const std::string old = "8591150123";
  EXPECT_EQ(ParsePesel(old + std::to_string(PeselCheck(old)))->birth_date,
            std::chrono::year(1885) / 11 / 15);
  // A checksum that fits but no such day: 30 February 2001.
  const std::string feb30 = "0122300123";
  EXPECT_THAT(ParsePesel(feb30 + std::to_string(PeselCheck(feb30))).error().message(),
              HasSubstr("no valid birth date"));
  // 29 February only in leap years.
  const std::string leap = "0022290123", not_leap = "0122290123";
  EXPECT_TRUE(ParsePesel(leap + std::to_string(PeselCheck(leap))).has_value());
  EXPECT_FALSE(ParsePesel(not_leap + std::to_string(PeselCheck(not_leap))).has_value());
  EXPECT_THAT(ParsePesel("44051401358").error().message(), HasSubstr("fails its checksum"));
}

TEST(TaxIdsTest, IbanChecksumAndLengthPerCountry) {
  EXPECT_EQ(*NormalizeIban("PL61 1090 1014 0000 0712 1981 2874"), "PL61109010140000071219812874");
  EXPECT_EQ(*NormalizeIban("de89 3704 0044 0532 0130 00"), "DE89370400440532013000");
  EXPECT_EQ(*NormalizeIban("GB82 WEST 1234 5698 7654 32"), "GB82WEST12345698765432");
  EXPECT_THAT(NormalizeIban("PL61 1090 1014 0000 0712 1981 2875").error().message(),
              HasSubstr("fails its checksum"));
  EXPECT_THAT(NormalizeIban("PL61 1090 1014 0000 0712 1981 287").error().message(),
              HasSubstr("an IBAN of PL has 28"));
  EXPECT_THAT(NormalizeIban("61109010140000071219812874").error().message(),
              HasSubstr("must start with a country code"));
  // Property: swapping two different adjacent digits is always caught (mod 97 catches every
  // transposition).
  const std::string iban = "PL61109010140000071219812874";
  for (std::size_t i = 4; i + 1 < iban.size(); ++i) {
    if (iban[i] == iban[i + 1]) continue;
    std::string swapped = iban;
    std::swap(swapped[i], swapped[i + 1]);
    EXPECT_FALSE(NormalizeIban(swapped).has_value()) << swapped;
  }
}

TEST(TaxIdsTest, EuVatNumbersByCountry) {
  EXPECT_EQ(*NormalizeEuVat("PL 526-104-08-28"), "PL5261040828");
  EXPECT_EQ(*NormalizeEuVat("de123456789"), "DE123456789");
  EXPECT_EQ(*NormalizeEuVat("GR123456789"), "EL123456789");
  EXPECT_EQ(*NormalizeEuVat("ATU12345678"), "ATU12345678");
  EXPECT_EQ(*NormalizeEuVat("NL123456789B01"), "NL123456789B01");
  EXPECT_THAT(NormalizeEuVat("PL5261040827").error().message(), HasSubstr("checksum"));
  EXPECT_THAT(NormalizeEuVat("DE12345678").error().message(), HasSubstr("e.g. DE123456789"));
  EXPECT_THAT(NormalizeEuVat("US123456789").error().message(), HasSubstr("no EU country prefix"));
}

TEST(TaxIdsTest, ATaxIdFieldTellsTheKindByItsShape) {
  EXPECT_EQ(ParseTaxId("526-104-08-28")->kind, TaxId::Kind::kNip);
  EXPECT_EQ(ParseTaxId("123456785")->kind, TaxId::Kind::kRegon);
  EXPECT_EQ(ParseTaxId("44051401359")->kind, TaxId::Kind::kPesel);
  auto vat = ParseTaxId("PL5261040828");
  ASSERT_TRUE(vat.has_value());
  EXPECT_EQ(vat->kind, TaxId::Kind::kEuVat);
  EXPECT_EQ(Name(vat->kind), "euVat");
  EXPECT_THAT(ParseTaxId("12345").error().message(), HasSubstr("a NIP has 10"));
}

}  // namespace
}  // namespace quire::crm
