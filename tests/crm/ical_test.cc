#include "quire/crm/ical.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "quire/base/instant.h"

namespace quire::crm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Timestamp T(std::string_view s) { return *ParseInstant(s); }

TEST(IcalTest, TheFeedWritesSeriesInTheirZoneAndReadsBackAsTheSameActivities) {
  Activity a;
  a.id = 7;
  a.type = "meeting";
  a.title = "Odprawa; tygodniowa, z zespołem";
  a.start = T("2026-12-07T08:00:00.000Z");
  a.end = T("2026-12-07T08:30:00.000Z");
  a.recurrence = {
      "FREQ=WEEKLY;BYDAY=MO;COUNT=10", {T("2026-12-21T08:00:00.000Z")}, "Europe/Warsaw"};
  a.note = "Linia 1\nLinia 2";
  Activity b;
  b.id = 8;
  b.type = "visit";
  b.all_day = true;
  b.start = T("2026-12-14T00:00:00.000Z");
  b.end = T("2026-12-16T00:00:00.000Z");
  b.status = "cancelled";
  const std::string feed = CalendarFeed({a, b}, "Quire: anna", T("2026-12-06T09:00:00.000Z"));
  EXPECT_THAT(feed, HasSubstr("BEGIN:VCALENDAR\r\n"));
  EXPECT_THAT(feed, HasSubstr("UID:quire-activity-7"));
  EXPECT_THAT(feed, HasSubstr("DTSTART;TZID=Europe/Warsaw:20261207T090000"));
  EXPECT_THAT(feed, HasSubstr("EXDATE;TZID=Europe/Warsaw:20261221T090000"));
  EXPECT_THAT(feed, HasSubstr("SUMMARY:Odprawa\\; tygodniowa\\, z zespołem"));
  EXPECT_THAT(feed, HasSubstr("DESCRIPTION:Linia 1\\nLinia 2"));
  EXPECT_THAT(feed, HasSubstr("TZID:Europe/Warsaw"));
  EXPECT_THAT(feed, HasSubstr("DTSTART;VALUE=DATE:20261214"));
  EXPECT_THAT(feed, HasSubstr("STATUS:CANCELLED"));
  for (std::size_t at = 0, next = 0; (next = feed.find("\r\n", at)) != std::string::npos;
       at = next + 2) {
    EXPECT_LE(next - at, 75u) << "a line longer than 75 bytes: " << feed.substr(at, next - at);
  }
  auto events = ReadIcalEvents(feed, T("2026-12-06T09:00:00.000Z"));
  ASSERT_TRUE(events.has_value()) << events.error().message();
  ASSERT_EQ(events->size(), 2u);
  const auto& f = events->at(0).fields;
  EXPECT_EQ(f.at("start"), "2026-12-07T08:00:00.000Z");
  EXPECT_EQ(f.at("end"), "2026-12-07T08:30:00.000Z");
  EXPECT_EQ(f.at("timeZone"), "Europe/Warsaw");
  EXPECT_THAT(std::string(f.at("rrule").as_string()), HasSubstr("FREQ=WEEKLY"));
  EXPECT_EQ(f.at("exdates").at(0), "2026-12-21T08:00:00.000Z");
  EXPECT_EQ(f.at("title"), "Odprawa; tygodniowa, z zespołem");
  EXPECT_EQ(f.at("externalId"), "quire-activity-7");
  const auto& g = events->at(1).fields;
  EXPECT_EQ(g.at("allDay"), true);
  EXPECT_EQ(g.at("status"), "cancelled");
  EXPECT_EQ(g.at("type"), "visit");
}

TEST(IcalTest, OutlooksWindowsZonesAndDurationsAreRead) {
  const std::string outlook =
      "BEGIN:VCALENDAR\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\n"
      "VERSION:2.0\r\nMETHOD:PUBLISH\r\n"
      "BEGIN:VTIMEZONE\r\nTZID:Central European Standard Time\r\n"
      "BEGIN:STANDARD\r\nDTSTART:16011028T030000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n"
      "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n"
      "BEGIN:DAYLIGHT\r\nDTSTART:16010325T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n"
      "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
      "BEGIN:VEVENT\r\nUID:040000008200E00074C5B7101A82E008\r\n"
      "SUMMARY:Spotkanie z klientem\r\nLOCATION:Sala Wisła\r\n"
      "DTSTART;TZID=Central European Standard Time:20270615T100000\r\n"
      "DURATION:PT1H30M\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  auto events = ReadIcalEvents(outlook, T("2026-12-06T09:00:00.000Z"));
  ASSERT_TRUE(events.has_value()) << events.error().message();
  ASSERT_EQ(events->size(), 1u);
  const auto& f = events->at(0).fields;
  EXPECT_EQ(f.at("start"), "2027-06-15T08:00:00.000Z");  // 10:00 in summer time, UTC+2
  EXPECT_EQ(f.at("end"), "2027-06-15T09:30:00.000Z");
  EXPECT_EQ(f.at("status"), "planned");
  EXPECT_THAT(std::string(f.at("note").as_string()), HasSubstr("Sala Wisła"));
  EXPECT_EQ(events->at(0).line, 20u);
}

TEST(IcalTest, BrokenFilesAreRefusedAtTheLine) {
  auto cut =
      ReadIcalEvents("BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nDTSTART:20270101T100000Z\n",
                     T("2026-12-06T09:00:00.000Z"));
  ASSERT_FALSE(cut.has_value());
  EXPECT_THAT(cut.error().message(), HasSubstr("line 3: BEGIN:VEVENT never ends"));
  auto none = ReadIcalEvents("BEGIN:VCARD\nEND:VCARD\n", T("2026-12-06T09:00:00.000Z"));
  ASSERT_FALSE(none.has_value());
  EXPECT_THAT(none.error().message(), HasSubstr("not an iCalendar file"));
  auto no_start =
      ReadIcalEvents("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n",
                     T("2026-12-06T09:00:00.000Z"));
  ASSERT_FALSE(no_start.has_value());
  EXPECT_THAT(no_start.error().message(), HasSubstr("line 2: the VEVENT has no DTSTART"));
}

}  // namespace
}  // namespace quire::crm
