#include "quire/crm/recurrence.h"

#include <libical/ical.h>

#include "ical_lock.h"

#include <algorithm>
#include <map>
#include <mutex>

namespace quire::crm {
namespace internal {

std::mutex& IcalMutex() {
  static std::mutex mu;
  return mu;
}

}  // namespace internal
namespace {

using internal::IcalMutex;

icaltimezone* Zone(const std::string& name) {  // REQUIRES: IcalMutex held
  if (name.empty() || name == "UTC" || name == "Etc/UTC") return icaltimezone_get_utc_timezone();
  return icaltimezone_get_builtin_timezone(name.c_str());
}

std::int64_t Seconds(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
Timestamp FromSeconds(std::int64_t s) { return Timestamp(std::chrono::seconds(s)); }

// Walks the series in `zone`'s wall-clock time, calling `each(start)` until it returns false.
// Occurrences before `skip_before` may be left out: an endless series is then entered near
// it rather than walked from its first occurrence (a weekly meeting set up five years ago is
// ~260 steps, each a time-zone conversion, for every calendar that shows it). Not for a
// COUNT rule: which occurrences exist depends on counting from the first.
template <class Each>
void Walk(Timestamp start, const Recurrence& r, Each each,
          Timestamp skip_before = Timestamp::min()) {
  const std::lock_guard lock(IcalMutex());
  icaltimezone* zone = Zone(r.time_zone);
  icalrecurrencetype rule = icalrecurrencetype_from_string(r.rule.c_str());
  if (rule.freq == ICAL_NO_RECURRENCE || zone == nullptr) return;
  icaltimetype dtstart = icaltime_from_timet_with_zone(Seconds(start), 0, zone);
  // Sub-second parts of `start` are kept on every occurrence.
  const auto millis = start.time_since_epoch() % std::chrono::seconds(1);
  icalrecur_iterator* it = icalrecur_iterator_new(rule, dtstart);
  if (it == nullptr) return;
  // Two days early: the jump is in wall-clock time, the zone's offset is at most a day.
  constexpr auto kMargin = std::chrono::hours(48);
  // libical 3.0's set_start loses an HOURLY rule's INTERVAL phase (the property test in
  // recurrence_test.cc found it): entered only for daily and longer rules, which it checks.
  const bool can_enter =
      rule.freq == ICAL_DAILY_RECURRENCE || rule.freq == ICAL_WEEKLY_RECURRENCE ||
      rule.freq == ICAL_MONTHLY_RECURRENCE || rule.freq == ICAL_YEARLY_RECURRENCE;
  if (can_enter && rule.count == 0 && skip_before > start + 2 * kMargin) {
    const icaltimetype near =
        icaltime_from_timet_with_zone(Seconds(skip_before - kMargin), 0, zone);
    if (icalrecur_iterator_set_start(it, near) == 0) {  // refused: walk from the start
      icalrecur_iterator_free(it);
      it = icalrecur_iterator_new(rule, dtstart);
      if (it == nullptr) return;
    }
  }
  for (icaltimetype t = icalrecur_iterator_next(it); !icaltime_is_null_time(t);
       t = icalrecur_iterator_next(it)) {
    const Timestamp s = FromSeconds(icaltime_as_timet_with_zone(t, zone)) + millis;
    if (std::find(r.exdates.begin(), r.exdates.end(), s) != r.exdates.end()) continue;
    if (!each(s)) break;
  }
  icalrecur_iterator_free(it);
}

}  // namespace

Result<void> CheckRule(std::string_view rule) {
  const std::string text(rule);
  auto refuse = [&](const std::string& why) {
    return Error::InvalidArgument("'" + text + "' is not a recurrence rule: " + why +
                                  " (write it as iCalendar does, e.g. FREQ=WEEKLY;BYDAY=MO,WE;"
                                  "COUNT=10 or FREQ=MONTHLY;BYMONTHDAY=1;UNTIL=20271231T000000Z)");
  };
  if (text.empty()) return refuse("it is empty");
  if (text.size() > 500) return refuse("it is longer than 500 characters");
  if (text.starts_with("RRULE:")) return refuse("leave out the 'RRULE:' prefix");
  const std::lock_guard lock(IcalMutex());
  icalerror_clear_errno();
  const icalrecurrencetype r = icalrecurrencetype_from_string(text.c_str());
  if (r.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
    icalerror_clear_errno();
    return refuse(text.find("FREQ=") == std::string::npos ? "it has no FREQ (SECONDLY ... YEARLY)"
                                                          : "a part of it is unknown or malformed");
  }
  if (r.freq == ICAL_SECONDLY_RECURRENCE || r.freq == ICAL_MINUTELY_RECURRENCE) {
    return refuse("activities repeat hourly at most");
  }
  if (r.count > 0 && !icaltime_is_null_time(r.until)) {
    return refuse("COUNT and UNTIL cannot both be given");
  }
  return Ok();
}

Result<void> CheckTimeZone(std::string_view time_zone) {
  const std::string name(time_zone);
  const std::lock_guard lock(IcalMutex());
  if (Zone(name) == nullptr) {
    return Error::InvalidArgument("'" + name +
                                  "' is not a time zone: give an IANA name such as "
                                  "Europe/Warsaw, or UTC");
  }
  return Ok();
}

std::vector<Timestamp> Occurrences(Timestamp start, std::chrono::milliseconds duration,
                                   const Recurrence& r, Timestamp from, Timestamp to,
                                   std::size_t max) {
  std::vector<Timestamp> out;
  if (r.empty()) {
    if (start < to && (start + duration > from || start >= from)) out.push_back(start);
    return out;
  }
  Walk(
      start, r,
      [&](Timestamp s) {
        if (s >= to || out.size() >= max) return false;
        if (s + duration > from || s >= from) out.push_back(s);
        return true;
      },
      from - duration);
  return out;
}

LocalTime ToLocal(Timestamp t, const std::string& time_zone) {
  const std::lock_guard lock(IcalMutex());
  icaltimezone* zone = Zone(time_zone);
  const icaltimetype local =
      icaltime_from_timet_with_zone(Seconds(t), 0, zone ? zone : icaltimezone_get_utc_timezone());
  LocalTime out;
  out.weekday = (icaltime_day_of_week(local) + 5) % 7;  // libical: 1 Sunday ... 7 Saturday
  out.minute = local.hour * 60 + local.minute;
  const std::chrono::sys_days days{std::chrono::year(local.year) /
                                   std::chrono::month(static_cast<unsigned>(local.month)) /
                                   std::chrono::day(static_cast<unsigned>(local.day))};
  out.day = days.time_since_epoch().count();
  return out;
}

Timestamp FromLocal(std::int64_t day, int minute, const std::string& time_zone) {
  const std::chrono::year_month_day date{std::chrono::sys_days(std::chrono::days(day))};
  const std::lock_guard lock(IcalMutex());
  icaltimezone* zone = Zone(time_zone);
  icaltimetype t = icaltime_null_time();
  t.year = static_cast<int>(date.year());
  t.month = static_cast<int>(static_cast<unsigned>(date.month()));
  t.day = static_cast<int>(static_cast<unsigned>(date.day()));
  t.hour = minute / 60;
  t.minute = minute % 60;
  if (t.hour == 24) {  // the end of the day: the next midnight
    t.hour = 0;
    icaltime_adjust(&t, 1, 0, 0, 0);
  }
  return FromSeconds(icaltime_as_timet_with_zone(t, zone ? zone : icaltimezone_get_utc_timezone()));
}

std::optional<Timestamp> SeriesEnd(Timestamp start, std::chrono::milliseconds duration,
                                   const Recurrence& r) {
  if (r.empty()) return start + duration;
  {
    const std::lock_guard lock(IcalMutex());
    const icalrecurrencetype rule = icalrecurrencetype_from_string(r.rule.c_str());
    if (rule.count == 0 && icaltime_is_null_time(rule.until)) return std::nullopt;
  }
  std::optional<Timestamp> last;
  std::size_t n = 0;
  Walk(start, r, [&](Timestamp s) {
    last = s;
    return ++n < 1'000'000;
  });
  return last ? std::optional<Timestamp>(*last + duration) : std::optional<Timestamp>(start);
}

}  // namespace quire::crm
