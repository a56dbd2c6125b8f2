#include "quire/crm/recurrence.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "quire/base/instant.h"
#include "quire/crm/phones.h"

namespace quire::crm {
namespace {

using std::chrono::hours;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Timestamp T(std::string_view text) { return *ParseInstant(text); }

std::vector<std::string> Texts(const std::vector<Timestamp>& ts) {
  std::vector<std::string> out;
  for (const Timestamp t : ts) out.push_back(FormatInstant(t));
  return out;
}

TEST(RecurrenceTest, AWeeklyMeetingKeepsItsWallClockTimeAcrossDaylightSaving) {
  // Mondays at 09:00 in Warsaw: 08:00 UTC in winter, 07:00 UTC from 28 March 2027.
  const Recurrence r{"FREQ=WEEKLY;BYDAY=MO", {}, "Europe/Warsaw"};
  const auto starts = Occurrences(T("2027-03-15T08:00:00.000Z"), hours(1), r,
                                  T("2027-03-20T00:00:00.000Z"), T("2027-04-06T00:00:00.000Z"));
  EXPECT_THAT(Texts(starts), ElementsAre("2027-03-22T08:00:00.000Z", "2027-03-29T07:00:00.000Z",
                                         "2027-04-05T07:00:00.000Z"));
}

TEST(RecurrenceTest, ExcludedDatesAreLeftOutAndCountEndsTheSeries) {
  const Recurrence r{"FREQ=DAILY;COUNT=4", {T("2027-01-02T10:00:00.000Z")}, "UTC"};
  const auto starts = Occurrences(T("2027-01-01T10:00:00.000Z"), hours(1), r,
                                  T("2027-01-01T00:00:00.000Z"), T("2027-02-01T00:00:00.000Z"));
  EXPECT_THAT(Texts(starts), ElementsAre("2027-01-01T10:00:00.000Z", "2027-01-03T10:00:00.000Z",
                                         "2027-01-04T10:00:00.000Z"));
  const auto end = SeriesEnd(T("2027-01-01T10:00:00.000Z"), hours(1), r);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(FormatInstant(*end), "2027-01-04T11:00:00.000Z");
  EXPECT_FALSE(
      SeriesEnd(T("2027-01-01T10:00:00.000Z"), hours(1), Recurrence{"FREQ=WEEKLY", {}, "UTC"})
          .has_value());
}

TEST(RecurrenceTest, AnOccurrenceRunningIntoTheRangeIsInIt) {
  const Recurrence r{"FREQ=DAILY", {}, "UTC"};
  const auto starts = Occurrences(T("2027-01-01T23:00:00.000Z"), hours(2), r,
                                  T("2027-01-02T00:00:00.000Z"), T("2027-01-02T12:00:00.000Z"));
  EXPECT_THAT(Texts(starts), ElementsAre("2027-01-01T23:00:00.000Z"));
}

TEST(RecurrenceTest, BadRulesAndZonesAreRefusedSayingHowToWriteThem) {
  EXPECT_TRUE(CheckRule("FREQ=MONTHLY;BYMONTHDAY=1;UNTIL=20271231T000000Z").has_value());
  for (const char* rule : {"", "RRULE:FREQ=DAILY", "BYDAY=MO", "FREQ=MINUTELY",
                           "FREQ=DAILY;COUNT=3;UNTIL=20271231T000000Z"}) {
    const auto checked = CheckRule(rule);
    ASSERT_FALSE(checked.has_value()) << rule;
    EXPECT_THAT(checked.error().message(), HasSubstr("FREQ=WEEKLY;BYDAY=MO,WE")) << rule;
  }
  EXPECT_TRUE(CheckTimeZone("Europe/Warsaw").has_value());
  EXPECT_TRUE(CheckTimeZone("UTC").has_value());
  const auto zone = CheckTimeZone("Europe/Gdynia");
  ASSERT_FALSE(zone.has_value());
  EXPECT_THAT(zone.error().message(), HasSubstr("IANA"));
}

TEST(RecurrenceTest, LocalTimeIsTheWallClockOfTheZone) {
  const LocalTime t = ToLocal(T("2027-03-29T07:30:00.000Z"), "Europe/Warsaw");
  EXPECT_EQ(t.weekday, 0);  // Monday
  EXPECT_EQ(t.minute, 9 * 60 + 30);
  const LocalTime late = ToLocal(T("2027-01-03T23:30:00.000Z"), "Europe/Warsaw");
  EXPECT_EQ(late.weekday, 0);  // already Monday in Warsaw
  EXPECT_EQ(late.minute, 30);
}

// Calendars enter a long series near the range asked instead of walking it from its first
// occurrence; the oracle is the walk from the first occurrence, cut to the range.
TEST(RecurrenceTest, EnteringASeriesNearTheRangeFindsWhatWalkingItFromTheStartFinds) {
  const char* const rules[] = {
      "FREQ=WEEKLY;BYDAY=MO",
      "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR",
      "FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,TH",
      "FREQ=DAILY",
      "FREQ=DAILY;INTERVAL=5",
      "FREQ=HOURLY;INTERVAL=7",
      "FREQ=MONTHLY;BYMONTHDAY=1",
      "FREQ=MONTHLY;BYMONTHDAY=31",
      "FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR",
      "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
      "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
      "FREQ=YEARLY;INTERVAL=2",
      "FREQ=WEEKLY;BYDAY=MO;UNTIL=20250101T000000Z",
  };
  const char* const zones[] = {"Europe/Warsaw", "America/New_York", "Australia/Sydney", "UTC"};
  const Timestamp first = T("2021-03-26T07:30:00.000Z");
  std::uint64_t seed = 7;
  int compared = 0;
  for (const char* rule : rules) {
    for (const char* zone : zones) {
      const Recurrence r{rule, {T("2024-03-29T07:30:00.000Z")}, zone};
      for (int trial = 0; trial < 6; ++trial) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        const Timestamp from = first + hours(static_cast<int>((seed >> 33) % (6 * 365 * 24)));
        const Timestamp to = from + hours(24 * (1 + static_cast<int>((seed >> 20) % 60)));
        std::vector<Timestamp> oracle;
        for (const Timestamp s : Occurrences(first, hours(1), r, first, to, 100000)) {
          if (s + hours(1) > from) oracle.push_back(s);
        }
        EXPECT_EQ(Texts(Occurrences(first, hours(1), r, from, to, 100000)), Texts(oracle))
            << rule << " in " << zone << " from " << FormatInstant(from);
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 13 * 4 * 6);
}

TEST(PhonesTest, NumbersAsPeopleTypeThemBecomeE164) {
  EXPECT_EQ(*NormalizePhone("601 234 567"), "+48601234567");
  EXPECT_EQ(*NormalizePhone("+48 (22) 654-32-10"), "+48226543210");
  EXPECT_EQ(*NormalizePhone("0048 601-234-567"), "+48601234567");
  EXPECT_EQ(*NormalizePhone("+49 30 1234567"), "+49301234567");
  EXPECT_EQ(*NormalizePhone("030 1234567", "DE"), "+49301234567");
  EXPECT_TRUE(PhoneIsValid("+48601234567"));
  EXPECT_FALSE(PhoneIsValid("+4860123"));
}

TEST(PhonesTest, WhatIsNoNumberIsRefusedSayingWhy) {
  EXPECT_THAT(NormalizePhone("12").error().message(), HasSubstr("too short"));
  EXPECT_THAT(NormalizePhone("call me").error().message(), HasSubstr("not a phone number"));
  EXPECT_THAT(NormalizePhone("+48 601 234 567 890 123").error().message(), HasSubstr("too long"));
  EXPECT_THAT(NormalizePhone("601 234 567 ext. 12").error().message(), HasSubstr("extension"));
}

}  // namespace
}  // namespace quire::crm
