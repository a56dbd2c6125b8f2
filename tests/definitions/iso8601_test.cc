#include "quire/definitions/iso8601.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "quire/testing/result_matchers.h"

namespace quire::definitions {
namespace {

using ::quire::testing::HasError;
using ::testing::HasSubstr;

Timestamp T(std::string_view text) {
  auto t = ParseDateTime(text);
  EXPECT_TRUE(t.has_value()) << text << ": " << (t ? "" : t.error().message());
  return t.value_or(Timestamp{});
}

Duration D(std::string_view text) {
  auto d = ParseDuration(text);
  EXPECT_TRUE(d.has_value()) << text << ": " << (d ? "" : d.error().message());
  return d.value_or(Duration{});
}

TEST(DateTimeTest, FormsAndOffsets) {
  EXPECT_EQ(FormatDateTime(T("2026-03-01")), "2026-03-01T00:00:00Z");
  EXPECT_EQ(FormatDateTime(T("2026-03-01T09:30")), "2026-03-01T09:30:00Z");
  EXPECT_EQ(FormatDateTime(T("2026-03-01T09:30:15.25Z")), "2026-03-01T09:30:15.250Z");
  EXPECT_EQ(T("2026-03-01T10:00:00+01:00"), T("2026-03-01T09:00:00Z"));
  EXPECT_EQ(T("2026-03-01T04:00:00-05:30"), T("2026-03-01T09:30:00Z"));
  EXPECT_EQ(T("2026-03-01T10:00:00+0100"), T("2026-03-01T09:00:00Z"));
  EXPECT_EQ(T("2026-03-01T10:00:00+01"), T("2026-03-01T09:00:00Z"));
  // An offset can move the instant across a day and a year boundary.
  EXPECT_EQ(FormatDateTime(T("2026-01-01T00:30:00+01:00")), "2025-12-31T23:30:00Z");
}

TEST(DateTimeTest, LeapYearsAndMonthLengths) {
  EXPECT_TRUE(ParseDateTime("2024-02-29").has_value());
  EXPECT_TRUE(ParseDateTime("2000-02-29").has_value());  // divisible by 400
  EXPECT_THAT(ParseDateTime("2023-02-29"),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("2023-02 has 28 days")));
  EXPECT_THAT(ParseDateTime("1900-02-29"), HasError(ErrorCode::kInvalidArgument));  // by 100
  EXPECT_THAT(ParseDateTime("2026-04-31"),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("2026-04 has 30 days")));
  EXPECT_TRUE(ParseDateTime("2026-12-31T23:59:59").has_value());
}

TEST(DateTimeTest, RejectsWithThePlaceAndWhatWasExpected) {
  EXPECT_THAT(ParseDateTime("2026-13-01"),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("at character 8 expected a month")));
  EXPECT_THAT(ParseDateTime("2026-03-01T24:00"),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("an hour 00-23")));
  EXPECT_THAT(ParseDateTime("2026-03-01T10:60"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseDateTime("2026-03-01T10:00:00+1"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseDateTime("2026-03-01 10:00"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseDateTime("tomorrow"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseDateTime(""), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseDateTime("2026-03-01T10:00Zjunk"), HasError(ErrorCode::kInvalidArgument));
}

TEST(DurationTest, Parts) {
  EXPECT_EQ(D("P3D"), (Duration{0, 0, 3, 0}));
  EXPECT_EQ(D("PT4H30M"), (Duration{0, 0, 0, (4 * 60 + 30) * 60'000}));
  EXPECT_EQ(D("P1Y2M3DT4H5M6S"), (Duration{1, 2, 3, 4 * 3'600'000 + 5 * 60'000 + 6'000}));
  EXPECT_EQ(D("P2W"), (Duration{0, 0, 14, 0}));
  EXPECT_EQ(D("PT0.5S"), (Duration{0, 0, 0, 500}));
  EXPECT_EQ(D("PT1,25S"), (Duration{0, 0, 0, 1'250}));
  EXPECT_EQ(D("PT36H"), (Duration{0, 0, 0, 36 * 3'600'000}));
  EXPECT_EQ(FormatDuration(D("P1Y2M3DT4H5M6.5S")), "P1Y2M3DT4H5M6.5S");
  EXPECT_EQ(FormatDuration(D("PT0S")), "PT0S");
}

TEST(DurationTest, Rejects) {
  EXPECT_THAT(ParseDuration("P"),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("at least one part")));
  EXPECT_THAT(ParseDuration("PT"), HasError(ErrorCode::kInvalidArgument, HasSubstr("after 'T'")));
  EXPECT_THAT(ParseDuration("P4H"), HasError(ErrorCode::kInvalidArgument, HasSubstr("PT4H")));
  EXPECT_THAT(ParseDuration("PT1D"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseDuration("P1D2Y"), HasError(ErrorCode::kInvalidArgument, HasSubstr("in order")));
  EXPECT_THAT(ParseDuration("P1.5D"),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("seconds only")));
  EXPECT_THAT(ParseDuration("-P1D"), HasError(ErrorCode::kInvalidArgument, HasSubstr("positive")));
  EXPECT_THAT(ParseDuration("5 minutes"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseDuration("P99999999999999999999D"), HasError(ErrorCode::kInvalidArgument));
}

TEST(DurationTest, CalendarArithmeticClampsToMonthEnd) {
  EXPECT_EQ(FormatDateTime(Add(T("2026-01-31T10:00Z"), D("P1M"))), "2026-02-28T10:00:00Z");
  EXPECT_EQ(FormatDateTime(Add(T("2028-01-31T10:00Z"), D("P1M"))), "2028-02-29T10:00:00Z");
  EXPECT_EQ(FormatDateTime(Add(T("2028-02-29"), D("P1Y"))), "2029-02-28T00:00:00Z");
  EXPECT_EQ(FormatDateTime(Add(T("2026-12-15"), D("P1M"))), "2027-01-15T00:00:00Z");
  EXPECT_EQ(FormatDateTime(Add(T("2026-03-31"), D("P1M1D"))), "2026-05-01T00:00:00Z");
  EXPECT_EQ(FormatDateTime(Add(T("2026-12-31T23:00Z"), D("PT2H"))), "2027-01-01T01:00:00Z");
  // Days are calendar days, hours exact: the two differ only where a zone has DST, and
  // Quire's timestamps are UTC, so P1D and PT24H agree.
  EXPECT_EQ(Add(T("2026-03-28T12:00Z"), D("P1D")), Add(T("2026-03-28T12:00Z"), D("PT24H")));
}

TEST(CycleTest, Forms) {
  auto five = ParseCycle("R5/PT10M");
  ASSERT_TRUE(five.has_value());
  EXPECT_EQ(five->repetitions, std::optional<std::int64_t>(5));
  EXPECT_EQ(five->interval, D("PT10M"));
  EXPECT_FALSE(five->start.has_value());

  auto daily = ParseCycle("R/P1D");
  ASSERT_TRUE(daily.has_value());
  EXPECT_FALSE(daily->repetitions.has_value());

  auto monthly = ParseCycle("R3/2026-01-31T00:00Z/P1M");
  ASSERT_TRUE(monthly.has_value());
  const Timestamp anchor{};
  EXPECT_EQ(FormatDateTime(*Occurrence(*monthly, anchor, 0)), "2026-01-31T00:00:00Z");
  EXPECT_EQ(FormatDateTime(*Occurrence(*monthly, anchor, 1)), "2026-02-28T00:00:00Z");
  // Each occurrence is counted from the start, so the month end comes back.
  EXPECT_EQ(FormatDateTime(*Occurrence(*monthly, anchor, 2)), "2026-03-31T00:00:00Z");
  EXPECT_EQ(Occurrence(*monthly, anchor, 3), std::nullopt);

  auto until = ParseCycle("R/PT12H/2026-06-02T00:00Z");
  ASSERT_TRUE(until.has_value());
  const Timestamp start = T("2026-06-01T00:00Z");
  EXPECT_EQ(FormatDateTime(*Occurrence(*until, start, 0)), "2026-06-01T12:00:00Z");
  EXPECT_EQ(FormatDateTime(*Occurrence(*until, start, 1)), "2026-06-02T00:00:00Z");
  EXPECT_EQ(Occurrence(*until, start, 2), std::nullopt);
}

TEST(CycleTest, Rejects) {
  EXPECT_THAT(ParseCycle("5/PT10M"), HasError(ErrorCode::kInvalidArgument, HasSubstr("'R'")));
  EXPECT_THAT(ParseCycle("R5PT10M"), HasError(ErrorCode::kInvalidArgument, HasSubstr("'/'")));
  EXPECT_THAT(ParseCycle("R5/PT0S"),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("zero interval")));
  EXPECT_THAT(ParseCycle("R5/2026-02-30T00:00Z/P1D"),
              HasError(ErrorCode::kInvalidArgument, HasSubstr("part '2026-02-30T00:00Z'")));
  EXPECT_THAT(ParseCycle("R/P1D/P2D"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseCycle("R/a/b/c"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseCycle("0 0 9 * * ?"), HasError(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace quire::definitions
