// What the parts of the runtime (runtime*.cc) share: small helpers on names, values and
// dates. Internal to the workflow module.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/definitions/iso8601.h"
#include "quire/definitions/value.h"

namespace quire::workflow::runtime_support {

using definitions::Value;
// More steps than this in one command means the model loops without ever waiting.
inline constexpr std::size_t kMaxSteps = 100'000;

inline std::string IdText(std::uint64_t id) { return std::to_string(id); }

// The name a message or signal is known by outside the file (its id when it has none).
template <class Def>
inline std::string NameOf(const Def& d) {
  return d.name.empty() ? d.id : d.name;
}

// The code an error or escalation is thrown and caught by (its id when it has none); a
// reference to an undefined one stands for itself.
template <class Def>
inline std::string CodeOf(const Def* d, const std::string& ref) {
  return d == nullptr ? ref : (d->code.empty() ? d->id : d->code);
}

// Text of an expression result for settings, correlation keys and timers.
inline std::string ValueText(const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull:
      return "";
    case Value::Type::kString:
      return std::string(v.AsString());
    case Value::Type::kNumber: {
      const double d = v.AsNumber();
      if (std::nearbyint(d) == d && std::fabs(d) < 9e15) {
        return std::to_string(static_cast<std::int64_t>(d));
      }
      return v.ToString();
    }
    case Value::Type::kDateTime:
      return definitions::FormatDateTime(v.AsDateTime());
    case Value::Type::kDuration:
      return definitions::FormatDuration(v.AsDuration());
    case Value::Type::kList: {
      std::string out;
      for (std::size_t i = 0; i < v.ListSize(); ++i) {
        if (i > 0) out += ",";
        out += ValueText(v.ListAt(i));
      }
      return out;
    }
    default:
      return v.ToString();
  }
}

inline std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(start, end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

// A date-time ("2026-12-01T09:00:00Z") or a duration from now ("P3D").
inline Result<std::optional<std::int64_t>> DateOrDuration(const std::string& text, Timestamp now) {
  if (text.empty()) return std::optional<std::int64_t>();
  if (auto t = definitions::ParseDateTime(text); t) {
    return std::optional<std::int64_t>(t->time_since_epoch().count());
  }
  if (auto d = definitions::ParseDuration(text); d) {
    return std::optional<std::int64_t>(definitions::Add(now, *d).time_since_epoch().count());
  }
  return Error::InvalidArgument("'" + text + "' is neither an ISO 8601 date-time nor a duration");
}

}  // namespace quire::workflow::runtime_support
