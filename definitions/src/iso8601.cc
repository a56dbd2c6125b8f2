#include "quire/definitions/iso8601.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <limits>

namespace quire::definitions {
namespace {

using namespace std::chrono;

// Bounds that keep every duration computation inside int64 and every date inside the
// years std::chrono can represent.
constexpr std::int64_t kMaxPart = 1'000'000'000'000;  // per component, before units
constexpr int kMaxYears = 10'000;
constexpr int kMaxYear = 30'000;  // results of arithmetic are clamped to +-this year

Error Bad(std::string_view what, std::string_view text, std::size_t at, std::string_view expected) {
  return Error::InvalidArgument("'" + std::string(text) + "' is not an ISO 8601 " +
                                std::string(what) + ": at character " + std::to_string(at + 1) +
                                " expected " + std::string(expected));
}

// Reads exactly `width` digits at `pos`.
std::optional<int> Digits(std::string_view s, std::size_t& pos, std::size_t width) {
  if (pos + width > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = s[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += width;
  return v;
}

bool Take(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

Result<Timestamp> ParseDateTime(std::string_view text) {
  const std::string_view what = "date-time";
  std::size_t pos = 0;
  const auto y = Digits(text, pos, 4);
  if (!y) return Bad(what, text, pos, "a four-digit year (YYYY-MM-DD)");
  if (!Take(text, pos, '-')) return Bad(what, text, pos, "'-' after the year");
  const auto m = Digits(text, pos, 2);
  if (!m || *m < 1 || *m > 12) return Bad(what, text, pos, "a month 01-12");
  if (!Take(text, pos, '-')) return Bad(what, text, pos, "'-' after the month");
  const std::size_t day_at = pos;
  const auto d = Digits(text, pos, 2);
  if (!d) return Bad(what, text, pos, "a two-digit day");
  const year_month_day date{year{*y}, month{static_cast<unsigned>(*m)},
                            day{static_cast<unsigned>(*d)}};
  if (!date.ok()) {
    return Bad(what, text, day_at,
               "a day that exists: " + std::to_string(*y) + "-" + (*m < 10 ? "0" : "") +
                   std::to_string(*m) + " has " +
                   std::to_string(static_cast<unsigned>(year_month_day_last{
                       year{*y}, month_day_last{month{static_cast<unsigned>(
                                     *m)}}}.day())) +
                   " days");
  }
  Timestamp t = time_point_cast<milliseconds>(sys_days{date});
  if (pos == text.size()) return t;

  if (!Take(text, pos, 'T') && !Take(text, pos, 't')) {
    return Bad(what, text, pos, "'T' and a time, or the end");
  }
  const auto hh = Digits(text, pos, 2);
  if (!hh || *hh > 23) return Bad(what, text, pos, "an hour 00-23");
  if (!Take(text, pos, ':')) return Bad(what, text, pos, "':' after the hour");
  const auto mm = Digits(text, pos, 2);
  if (!mm || *mm > 59) return Bad(what, text, pos, "minutes 00-59");
  int ss = 0;
  int ms = 0;
  if (Take(text, pos, ':')) {
    const auto s = Digits(text, pos, 2);
    if (!s || *s > 59) return Bad(what, text, pos, "seconds 00-59");
    ss = *s;
    if (Take(text, pos, '.') || Take(text, pos, ',')) {
      int scale = 100;
      const std::size_t first = pos;
      while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
        ms += (text[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == first) return Bad(what, text, pos, "digits of a fraction of a second");
    }
  }
  t += hours{*hh} + minutes{*mm} + seconds{ss} + milliseconds{ms};
  if (pos == text.size()) return t;  // no offset: UTC

  if (Take(text, pos, 'Z') || Take(text, pos, 'z')) {
    if (pos != text.size()) return Bad(what, text, pos, "the end after 'Z'");
    return t;
  }
  const char sign = pos < text.size() ? text[pos] : '\0';
  if (sign != '+' && sign != '-') return Bad(what, text, pos, "'Z' or an offset like +01:00");
  ++pos;
  const auto oh = Digits(text, pos, 2);
  if (!oh || *oh > 18) return Bad(what, text, pos, "offset hours 00-18");
  int om = 0;
  if (pos < text.size()) {
    Take(text, pos, ':');
    const auto m2 = Digits(text, pos, 2);
    if (!m2 || *m2 > 59) return Bad(what, text, pos, "offset minutes 00-59");
    om = *m2;
  }
  if (pos != text.size()) return Bad(what, text, pos, "the end after the offset");
  const minutes offset{*oh * 60 + om};
  return sign == '+' ? t - offset : t + offset;
}

Result<Duration> ParseDuration(std::string_view text) {
  const std::string_view what = "duration";
  std::size_t pos = 0;
  if (Take(text, pos, '-')) {
    return Bad(what, text, 0,
               "a positive duration starting with 'P' (negative ones are not used by timers)");
  }
  if (!Take(text, pos, 'P')) return Bad(what, text, pos, "'P' (as in P3D or PT4H)");
  Duration d;
  bool in_time = false;
  bool any = false;
  bool time_part = false;
  char last_unit = '\0';
  const std::string_view date_units = "YMWD";
  const std::string_view time_units = "HMS";
  while (pos < text.size()) {
    if (text[pos] == 'T') {
      if (in_time) return Bad(what, text, pos, "one 'T' at most");
      in_time = true;
      last_unit = '\0';
      ++pos;
      continue;
    }
    const std::size_t number_at = pos;
    std::int64_t whole = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (whole > kMaxPart / 10) return Bad(what, text, number_at, "a smaller number");
      whole = whole * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == number_at) return Bad(what, text, pos, "a number");
    std::int64_t fraction_ms = 0;
    bool has_fraction = false;
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      has_fraction = true;
      ++pos;
      std::int64_t scale = 100;
      const std::size_t first = pos;
      while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
        fraction_ms += (text[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == first) return Bad(what, text, pos, "digits after the decimal point");
    }
    if (pos == text.size()) return Bad(what, text, pos, "a unit letter after the number");
    const char unit = text[pos];
    const std::string_view units = in_time ? time_units : date_units;
    const std::size_t rank = units.find(unit);
    if (rank == std::string_view::npos) {
      return Bad(what, text, pos,
                 in_time ? "H, M or S after 'T'" : "Y, M, W or D (put hours after 'T': PT4H)");
    }
    if (last_unit != '\0' && rank <= units.find(last_unit)) {
      return Bad(what, text, pos, "units in order, each once (Y M W D, then T H M S)");
    }
    if (has_fraction && unit != 'S') {
      return Bad(what, text, pos, "a fraction on seconds only (PT1.5S)");
    }
    last_unit = unit;
    any = true;
    ++pos;
    if (!in_time) {
      if (unit == 'Y') d.years = whole;
      if (unit == 'M') d.months = whole;
      if (unit == 'W') d.days += whole * 7;
      if (unit == 'D') d.days += whole;
    } else {
      time_part = true;
      if (unit == 'H') d.milliseconds += whole * 3'600'000;
      if (unit == 'M') d.milliseconds += whole * 60'000;
      if (unit == 'S') d.milliseconds += whole * 1'000 + fraction_ms;
    }
  }
  if (in_time && !time_part) return Bad(what, text, pos, "hours, minutes or seconds after 'T'");
  if (!any) return Bad(what, text, pos, "at least one part, as in P3D or PT4H30M");
  const double years = static_cast<double>(d.years) + static_cast<double>(d.months) / 12 +
                       static_cast<double>(d.days) / 365.25 +
                       static_cast<double>(d.milliseconds) / 3.15576e10;
  if (years > kMaxYears) {
    return Error::InvalidArgument("'" + std::string(text) + "' is longer than " +
                                  std::to_string(kMaxYears) + " years");
  }
  return d;
}

Result<Cycle> ParseCycle(std::string_view text) {
  const std::string_view what = "repeating interval";
  std::size_t pos = 0;
  if (!Take(text, pos, 'R')) return Bad(what, text, pos, "'R' (as in R5/PT10M or R/P1D)");
  Cycle cycle;
  const std::size_t count_at = pos;
  std::int64_t count = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
    if (count > 1'000'000'000) return Bad(what, text, count_at, "a smaller repetition count");
    count = count * 10 + (text[pos] - '0');
    ++pos;
  }
  if (pos > count_at) cycle.repetitions = count;
  if (!Take(text, pos, '/')) return Bad(what, text, pos, "'/' after the repetition count");

  const std::string_view rest = text.substr(pos);
  const std::size_t slash = rest.find('/');
  const std::string_view first = rest.substr(0, slash);
  const std::string_view second = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  if (second.find('/') != std::string_view::npos) {
    return Bad(what, text, pos + slash + 1 + second.find('/'), "at most start/duration");
  }
  const auto context = [&](const Error& e, std::string_view part) {
    return Error::InvalidArgument("in the repeating interval '" + std::string(text) + "', part '" +
                                  std::string(part) + "': " + e.message());
  };
  if (slash == std::string_view::npos) {
    auto interval = ParseDuration(first);
    if (!interval) return context(interval.error(), first);
    cycle.interval = *interval;
  } else if (!first.empty() && first.front() == 'P') {
    auto interval = ParseDuration(first);
    if (!interval) return context(interval.error(), first);
    auto end = ParseDateTime(second);
    if (!end) return context(end.error(), second);
    cycle.interval = *interval;
    cycle.end = *end;
  } else {
    auto start = ParseDateTime(first);
    if (!start) return context(start.error(), first);
    auto interval = ParseDuration(second);
    if (!interval) return context(interval.error(), second);
    cycle.start = *start;
    cycle.interval = *interval;
  }
  if (cycle.interval.IsZero()) {
    return Error::InvalidArgument("the repeating interval '" + std::string(text) +
                                  "' has a zero interval; it would fire without end");
  }
  return cycle;
}

Timestamp Add(Timestamp t, const Duration& d) {
  const sys_days date = floor<days>(t);
  const milliseconds time_of_day = t - time_point_cast<milliseconds>(date);
  year_month_day ymd{date};
  if (d.years != 0 || d.months != 0) {
    const std::int64_t max_months = std::int64_t{kMaxYear} * 12;
    const std::int64_t total_months = std::clamp<std::int64_t>(
        std::int64_t{static_cast<int>(ymd.year())} * 12 + (static_cast<unsigned>(ymd.month()) - 1) +
            std::clamp<std::int64_t>(d.years, -kMaxYear, kMaxYear) * 12 +
            std::clamp<std::int64_t>(d.months, -max_months, max_months),
        -max_months, max_months);
    // Floor division: month arithmetic before year 0 must not go negative.
    const std::int64_t y = total_months >= 0 ? total_months / 12 : -((-total_months + 11) / 12);
    const auto m = month{static_cast<unsigned>(total_months - y * 12) + 1};
    const year yy{static_cast<int>(y)};
    const day last = year_month_day_last{yy, month_day_last{m}}.day();
    ymd = year_month_day{yy, m, std::min(ymd.day(), last)};
  }
  constexpr std::int64_t kMaxDays = std::int64_t{kMaxYear} * 366;
  const sys_days moved =
      sys_days{ymd} + days{std::clamp<std::int64_t>(d.days, -kMaxDays, kMaxDays)};
  constexpr std::int64_t kMaxMs = kMaxDays * 86'400'000;
  return time_point_cast<milliseconds>(moved) + time_of_day +
         milliseconds{std::clamp<std::int64_t>(d.milliseconds, -kMaxMs, kMaxMs)};
}

std::optional<Timestamp> Occurrence(const Cycle& cycle, Timestamp anchor, std::int64_t n) {
  if (n < 0 || (cycle.repetitions && n >= *cycle.repetitions)) return std::nullopt;
  const Timestamp at = cycle.start ? Add(*cycle.start, cycle.interval.Times(n))
                                   : Add(anchor, cycle.interval.Times(n + 1));
  if (cycle.end && at > *cycle.end) return std::nullopt;
  return at;
}

std::string FormatDateTime(Timestamp t) {
  const sys_days date = floor<days>(t);
  const year_month_day ymd{date};
  const hh_mm_ss<milliseconds> time{t - time_point_cast<milliseconds>(date)};
  char buffer[40];
  const auto ms = time.subseconds().count();
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02ld:%02ld:%02ld",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<long>(time.hours().count()),
                static_cast<long>(time.minutes().count()),
                static_cast<long>(time.seconds().count()));
  std::string out = buffer;
  if (ms != 0) {
    std::snprintf(buffer, sizeof buffer, ".%03ld", static_cast<long>(ms));
    out += buffer;
  }
  return out + "Z";
}

std::string FormatDuration(const Duration& d) {
  std::string out = "P";
  if (d.years != 0) out += std::to_string(d.years) + "Y";
  if (d.months != 0) out += std::to_string(d.months) + "M";
  if (d.days != 0) out += std::to_string(d.days) + "D";
  if (d.milliseconds != 0) {
    out += "T";
    std::int64_t ms = d.milliseconds;
    if (ms >= 3'600'000) out += std::to_string(ms / 3'600'000) + "H";
    ms %= 3'600'000;
    if (ms >= 60'000) out += std::to_string(ms / 60'000) + "M";
    ms %= 60'000;
    if (ms != 0) {
      out += std::to_string(ms / 1000);
      if (ms % 1000 != 0) {
        std::string frac = std::to_string(1000 + ms % 1000).substr(1);
        while (frac.back() == '0') frac.pop_back();
        out += "." + frac;
      }
      out += "S";
    }
  }
  return out == "P" ? "PT0S" : out;
}

}  // namespace quire::definitions
