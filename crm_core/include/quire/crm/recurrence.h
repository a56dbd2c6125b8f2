// Recurring activities: an iCalendar RRULE (RFC 5545) repeated in a time zone, so that a
// meeting "every Monday at 9:00 in Europe/Warsaw" stays at 9:00 across daylight saving.
// Expanded with libical for the range a calendar asks for; nothing is stored per occurrence.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quire/base/clock.h"
#include "quire/base/result.h"

namespace quire::crm {

struct Recurrence {
  std::string rule;                // the RRULE value: FREQ=WEEKLY;BYDAY=MO;COUNT=10
  std::vector<Timestamp> exdates;  // starts of occurrences left out (EXDATE)
  std::string time_zone = "UTC";   // IANA name: where the wall-clock time repeats

  bool empty() const { return rule.empty(); }
};

// Errors: kInvalidArgument saying what is wrong and how a rule is written.
Result<void> CheckRule(std::string_view rule);
// Errors: kInvalidArgument when the zone is not an IANA time zone (Europe/Warsaw).
Result<void> CheckTimeZone(std::string_view time_zone);

// The starts of the occurrences of a series that begins at `start` and lasts `duration`
// each time, which overlap [from, to), in order; at most `max`. REQUIRES: the rule and
// zone passed the checks above.
std::vector<Timestamp> Occurrences(Timestamp start, std::chrono::milliseconds duration,
                                   const Recurrence& r, Timestamp from, Timestamp to,
                                   std::size_t max = 10'000);

// Wall-clock time of an instant in a zone (one that passed CheckTimeZone).
struct LocalTime {
  int weekday = 0;       // 0 Monday ... 6 Sunday
  int minute = 0;        // of the day, 0 ... 1439
  std::int64_t day = 0;  // days since 1970-01-01 in that zone
};
LocalTime ToLocal(Timestamp t, const std::string& time_zone);
// The instant of a wall-clock time (`minute` of day `day`, days since 1970-01-01) in a zone.
// A time skipped by daylight saving moves forward by the gap.
Timestamp FromLocal(std::int64_t day, int minute, const std::string& time_zone);

// Whether the series ends (COUNT or UNTIL), and if so the end of its last occurrence.
std::optional<Timestamp> SeriesEnd(Timestamp start, std::chrono::milliseconds duration,
                                   const Recurrence& r);

}  // namespace quire::crm
