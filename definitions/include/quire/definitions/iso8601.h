// ISO 8601 dates, durations and repeating intervals, as BPMN timers use them.
//
//   date-time   2026-03-01, 2026-03-01T09:30, 2026-03-01T09:30:15.250+01:00, ...Z, ...-0530
//               A time without an offset is taken as UTC.
//   duration    P3D, PT4H30M, P1Y2M, P2W, PT0.5S, P1DT12H (at least one part)
//   cycle       R5/PT10M, R/P1D (unbounded), R3/2026-01-31T00:00Z/P1M (with a start),
//               R2/P1D/2026-06-01T00:00Z (ending at a date-time)
//
// Durations keep calendar parts (years, months, days) apart from the exact time part, and
// adding them follows the calendar: 2026-01-31 plus P1M is 2026-02-28 (the end of the
// shorter month), 2028-01-31 plus P1M is 2028-02-29. Every parse error says what was
// expected and where.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "quire/base/result.h"

namespace quire::definitions {

using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

struct Duration {
  std::int64_t years = 0;
  std::int64_t months = 0;
  std::int64_t days = 0;          // weeks are folded in as 7 days
  std::int64_t milliseconds = 0;  // hours, minutes and seconds

  // The duration n times over (for the n-th repetition of a cycle); each part saturates
  // at the int64 limits instead of overflowing.
  Duration Times(std::int64_t n) const {
    return {Scale(years, n), Scale(months, n), Scale(days, n), Scale(milliseconds, n)};
  }
  bool IsZero() const { return years == 0 && months == 0 && days == 0 && milliseconds == 0; }
  friend bool operator==(const Duration&, const Duration&) = default;

 private:
  static std::int64_t Scale(std::int64_t part, std::int64_t n) {
    std::int64_t out = 0;
    if (!__builtin_mul_overflow(part, n, &out)) return out;
    return (part < 0) != (n < 0) ? INT64_MIN : INT64_MAX;
  }
};

struct Cycle {
  std::optional<std::int64_t> repetitions;  // nullopt: repeat forever
  std::optional<Timestamp> start;           // first occurrence; else the caller's anchor
  Duration interval;
  std::optional<Timestamp> end;  // no occurrence after this
};

Result<Timestamp> ParseDateTime(std::string_view text);
Result<Duration> ParseDuration(std::string_view text);
Result<Cycle> ParseCycle(std::string_view text);

// `t` plus `d`, calendar parts first (clamped to the end of a shorter month), then the
// exact time part.
Timestamp Add(Timestamp t, const Duration& d);

// When the n-th (0-based) occurrence of `cycle` falls, counting from its start or, when it
// has none, from `anchor` plus one interval; nullopt when the cycle has ended by then.
std::optional<Timestamp> Occurrence(const Cycle& cycle, Timestamp anchor, std::int64_t n);

// "2026-03-01T08:30:00Z" (with ".250" when there are milliseconds).
std::string FormatDateTime(Timestamp t);
// "P1Y2M3DT4H5M6.5S"; "PT0S" for zero.
std::string FormatDuration(const Duration& d);

}  // namespace quire::definitions
