#include "quire/base/instant.h"

#include <chrono>
#include <cstdio>
#include <string>

namespace quire {

std::string FormatInstant(Timestamp t) {
  const auto ms = t.time_since_epoch().count();
  const std::chrono::sys_days day{std::chrono::floor<std::chrono::days>(
      std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ms)))};
  const std::chrono::year_month_day ymd{day};
  const std::int64_t in_day =
      ms - std::chrono::duration_cast<std::chrono::milliseconds>(day.time_since_epoch()).count();
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {  // outside what four digits hold: as printf writes it
    char buf[48];
    std::snprintf(
        buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", year,
        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
        static_cast<long long>(in_day / 3'600'000), static_cast<long long>(in_day / 60'000 % 60),
        static_cast<long long>(in_day / 1000 % 60), static_cast<long long>(in_day % 1000));
    return buf;
  }
  // Written digit by digit: calendars and lists format several instants per record.
  std::string out = "0000-00-00T00:00:00.000Z";
  auto put = [&out](std::size_t at, std::int64_t v, int digits) {
    for (int i = digits - 1; i >= 0; --i, v /= 10) {
      out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
    }
  };
  put(0, year, 4);
  put(5, static_cast<unsigned>(ymd.month()), 2);
  put(8, static_cast<unsigned>(ymd.day()), 2);
  put(11, in_day / 3'600'000, 2);
  put(14, in_day / 60'000 % 60, 2);
  put(17, in_day / 1000 % 60, 2);
  put(20, in_day % 1000, 3);
  return out;
}

Result<Timestamp> ParseInstant(std::string_view s) {
  int y = 0;
  unsigned mo = 0, d = 0;
  long long h = 0, mi = 0, sec = 0, ms = 0;
  if (s.size() != 24 || std::sscanf(std::string(s).c_str(), "%4d-%2u-%2uT%2lld:%2lld:%2lld.%3lldZ",
                                    &y, &mo, &d, &h, &mi, &sec, &ms) != 7) {
    return Error::InvalidArgument("'" + std::string(s) +
                                  "' is not a time such as 2026-11-24T07:00:00.000Z");
  }
  const std::chrono::sys_days day{std::chrono::year(y) / std::chrono::month(mo) /
                                  std::chrono::day(d)};
  return Timestamp(std::chrono::duration_cast<std::chrono::milliseconds>(day.time_since_epoch()) +
                   std::chrono::milliseconds(((h * 60 + mi) * 60 + sec) * 1000 + ms));
}

}  // namespace quire
