#include "form_validation.h"

#include "quire/workflow/form_sample.h"

#include <re2/re2.h>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>

#include "quire/definitions/iso8601.h"

namespace quire::workflow {
namespace json = boost::json;

namespace {

std::string Number(double d) {
  if (std::nearbyint(d) == d && std::fabs(d) < 1e15)
    return std::to_string(static_cast<long long>(d));
  return std::to_string(d);
}

bool Missing(const json::value* v) {
  return v == nullptr || v->is_null() || (v->is_string() && v->get_string().empty()) ||
         (v->is_array() && v->get_array().empty());
}

std::string Allowed(const definitions::FormField& f) {
  std::string allowed;
  for (const auto& o : f.options) allowed += (allowed.empty() ? "" : ", ") + o.value;
  return allowed;
}

bool IsOption(const definitions::FormField& f, std::string_view s) {
  return std::any_of(f.options.begin(), f.options.end(),
                     [&](const definitions::FormOption& o) { return o.value == s; });
}

// "09:30" or "09:30:15", optionally with a zone (Z, +01:00).
bool IsTime(std::string_view s) {
  auto two = [&](std::size_t at, int max) {
    if (s.size() < at + 2 || !std::isdigit(static_cast<unsigned char>(s[at])) ||
        !std::isdigit(static_cast<unsigned char>(s[at + 1]))) {
      return false;
    }
    return (s[at] - '0') * 10 + (s[at + 1] - '0') <= max;
  };
  if (!two(0, 23) || s.size() < 5 || s[2] != ':' || !two(3, 59)) return false;
  std::size_t at = 5;
  if (s.size() >= 8 && s[5] == ':') {
    if (!two(6, 59)) return false;
    at = 8;
  }
  const std::string_view zone = s.substr(at);
  return zone.empty() || zone == "Z" ||
         (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':');
}

void CheckFields(const std::vector<definitions::FormField>& fields, const json::object& data,
                 const std::string& prefix, std::vector<ErrorDetail>& details);

// Checks one present value; returns what is wrong, or "". Lists add their rows' problems to
// `details` themselves.
std::string Check(const definitions::FormField& f, const json::value& v, const std::string& at,
                  std::vector<ErrorDetail>& details) {
  const std::string& type = f.type;
  if (type == "boolean") return v.is_bool() ? "" : "must be true or false";
  if (type == "multiselect") {
    if (!v.is_array()) return "must be a list of values";
    for (const json::value& item : v.get_array()) {
      if (!item.is_string()) return "must be a list of text values";
      if (!f.options.empty() && !IsOption(f, item.get_string())) {
        return "holds '" + std::string(item.get_string()) + "'; the values are: " + Allowed(f);
      }
    }
    return "";
  }
  if (type == "list") {
    if (!v.is_array()) return "must be a list of rows";
    const json::array& rows = v.get_array();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const std::string row = at + "[" + std::to_string(i) + "]";
      if (!rows[i].is_object()) {
        details.push_back({row, "must be an object"});
        continue;
      }
      CheckFields(f.rows, rows[i].get_object(), row + ".", details);
    }
    return "";
  }
  if (type == "number" || type == "long") {
    if (!v.is_number()) return "must be a number";
    const double d = v.to_number<double>();
    if (type == "long" && std::nearbyint(d) != d) return "must be a whole number";
    if (f.min && d < *f.min) return "must be at least " + Number(*f.min);
    if (f.max && d > *f.max) return "must be at most " + Number(*f.max);
    return "";
  }
  if (!v.is_string()) return "must be text";
  const std::string_view s = v.get_string();
  if (type == "date" || type == "datetime") {
    const bool date_only =
        s.size() == 10 && definitions::ParseDateTime(std::string(s) + "T00:00:00Z");
    // Camunda Forms' date-times may come without a zone (local time): 2026-12-24T09:00.
    const bool local = s.size() >= 16 && s.size() <= 19 && s[10] == 'T' &&
                       definitions::ParseDateTime(std::string(s) + (s.size() == 16 ? ":00Z" : "Z"));
    if (!date_only && !local && !definitions::ParseDateTime(s)) {
      return type == "date" ? "must be a date (2026-12-24) or a date-time (2026-12-24T09:00:00Z)"
                            : "must be a date-time (2026-12-24T09:00:00Z)";
    }
  }
  if (type == "time" && !IsTime(s)) return "must be a time of day (09:30)";
  const auto length = static_cast<std::int64_t>(s.size());
  if (f.min_length && length < *f.min_length) {
    return "must have at least " + std::to_string(*f.min_length) + " characters";
  }
  if (f.max_length && length > *f.max_length) {
    return "must have at most " + std::to_string(*f.max_length) + " characters";
  }
  if (!f.pattern.empty()) {
    RE2::Options options;
    options.set_log_errors(false);
    const RE2 re(f.pattern, options);
    if (!re.ok()) return "cannot be checked: the form's pattern is not valid";
    if (!RE2::PartialMatch(s, re)) return "does not match the pattern " + f.pattern;
  }
  if (!f.options.empty() && !IsOption(f, s)) return "must be one of: " + Allowed(f);
  return "";
}

// The value a field names: "name", or "contact.name" inside the object "contact" (Camunda
// Forms groups with a path). A flat key holding the dots wins.
const json::value* Lookup(const json::object& data, const std::string& name) {
  if (const json::value* v = data.if_contains(name)) return v;
  const std::size_t dot = name.find('.');
  if (dot == std::string::npos) return nullptr;
  const json::value* inner = data.if_contains(std::string_view(name).substr(0, dot));
  if (inner == nullptr || !inner->is_object()) return nullptr;
  return Lookup(inner->get_object(), name.substr(dot + 1));
}

void CheckFields(const std::vector<definitions::FormField>& fields, const json::object& data,
                 const std::string& prefix, std::vector<ErrorDetail>& details) {
  for (const definitions::FormField& f : fields) {
    const std::string at = prefix + f.name;
    const json::value* v = Lookup(data, f.name);
    if (Missing(v)) {
      if (f.required) details.push_back({at, "is required"});
      continue;
    }
    if (f.read_only) {
      details.push_back({at, "is read-only"});
      continue;
    }
    if (std::string problem = Check(f, *v, at, details); !problem.empty()) {
      details.push_back({at, std::move(problem)});
    }
  }
}

}  // namespace

Result<void> ValidateForm(const std::vector<definitions::FormField>& fields,
                          const json::object& data, const std::string& task_name) {
  std::vector<ErrorDetail> details;
  CheckFields(fields, data, "", details);
  if (details.empty()) return Ok();
  const std::string message =
      "the form of '" + task_name + "' has " + std::to_string(details.size()) +
      (details.size() == 1 ? " error" : " errors") + "; nothing was changed";
  return Error::ValidationFailed(message, std::move(details));
}

namespace {

// A string that the regular expression `pattern` matches, for the simple shapes forms use:
// literals, \d \w \s, '.', character classes without negation, and the quantifiers ? * +
// {n} {n,} {n,m} (each atom repeated its least allowed number of times, at least once when
// the quantifier allows it); anchors ^ and $. Nothing for groups, alternatives and the rest.
std::optional<std::string> FromPattern(std::string_view p) {
  std::string out;
  std::size_t i = 0;
  if (i < p.size() && p[i] == '^') ++i;
  while (i < p.size()) {
    char atom = 0;
    const char c = p[i];
    if (c == '$' && i + 1 == p.size()) break;
    if (c == '(' || c == ')' || c == '|' || c == '^' || c == '$' || c == '{' || c == '}' ||
        c == '*' || c == '+' || c == '?') {
      return std::nullopt;
    }
    if (c == '\\') {
      if (i + 1 >= p.size()) return std::nullopt;
      const char e = p[i + 1];
      if (e == 'd') {
        atom = '0';
      } else if (e == 'w' || e == 'S' || e == 'D') {
        atom = 'a';
      } else if (e == 's') {
        atom = ' ';
      } else if (std::ispunct(static_cast<unsigned char>(e))) {
        atom = e;
      } else {
        return std::nullopt;
      }
      i += 2;
    } else if (c == '[') {
      const std::size_t close = p.find(']', i + 2);
      if (close == std::string_view::npos || p[i + 1] == '^') return std::nullopt;
      if (p[i + 1] == '\\') {
        if (i + 2 >= p.size()) return std::nullopt;
        atom = p[i + 2] == 'd' ? '0' : p[i + 2] == 'w' ? 'a' : p[i + 2];
      } else {
        atom = p[i + 1];  // the first member, or the start of its first range
      }
      i = close + 1;
    } else if (c == '.') {
      atom = 'a';
      ++i;
    } else {
      atom = c;
      ++i;
    }
    std::size_t times = 1;
    if (i < p.size()) {
      if (p[i] == '?' || p[i] == '*') {
        ++i;  // zero is allowed; one is fine too
      } else if (p[i] == '+') {
        ++i;
      } else if (p[i] == '{') {
        const std::size_t close = p.find('}', i);
        if (close == std::string_view::npos) return std::nullopt;
        const std::string_view inside = p.substr(i + 1, close - i - 1);
        const std::string_view least = inside.substr(0, inside.find(','));
        std::size_t n = 0;
        const auto [end, ec] = std::from_chars(least.data(), least.data() + least.size(), n);
        if (ec != std::errc() || end != least.data() + least.size() || n > 1000) {
          return std::nullopt;
        }
        times = n;
        i = close + 1;
      }
    }
    out.append(times, atom);
  }
  return out;
}

// A candidate value for `f` (not yet checked), or nothing when none of this kind exists.
std::vector<json::value> Candidates(const definitions::FormField& f, Timestamp now) {
  std::vector<json::value> out;
  const std::string& type = f.type;
  if (!f.default_value.empty()) {
    if (type == "boolean") {
      out.emplace_back(f.default_value == "true");
    } else if (type == "number" || type == "long") {
      boost::system::error_code ec;
      const json::value parsed = json::parse(f.default_value, ec);
      if (!ec && parsed.is_number()) out.push_back(parsed);
    } else if (type != "list" && type != "multiselect") {
      out.emplace_back(f.default_value);
    }
  }
  if (type == "boolean") {
    out.emplace_back(true);
  } else if (type == "number" || type == "long") {
    double v = 1;
    if (f.min && *f.min > v) v = *f.min;
    if (f.max && *f.max < v) v = *f.max;
    if (type == "long") {
      v = std::ceil(v);
      if (f.max && v > *f.max) v = std::floor(*f.max);
    }
    // A whole number is sent as one (1, not 1.0).
    if (std::nearbyint(v) == v && std::fabs(v) < 1e15) {
      out.emplace_back(static_cast<std::int64_t>(v));
    } else {
      out.emplace_back(v);
    }
  } else if (type == "multiselect") {
    json::array one;
    one.emplace_back(f.options.empty() ? "auto" : f.options.front().value);
    out.emplace_back(std::move(one));
  } else if (type == "list") {
    out.emplace_back(json::array());  // filled by the caller, which knows the rows
  } else if (!f.options.empty()) {
    for (const definitions::FormOption& o : f.options) out.emplace_back(o.value);
  } else if (type == "date") {
    out.emplace_back(definitions::FormatDateTime(now).substr(0, 10));
  } else if (type == "datetime") {
    out.emplace_back(definitions::FormatDateTime(now));
  } else if (type == "time") {
    out.emplace_back("09:00");
  } else {
    std::string text = "auto";
    if (f.min_length && static_cast<std::int64_t>(text.size()) < *f.min_length) {
      text.append(static_cast<std::size_t>(*f.min_length) - text.size(), 'o');
    }
    if (f.max_length && static_cast<std::int64_t>(text.size()) > *f.max_length) {
      text.resize(static_cast<std::size_t>(std::max<std::int64_t>(*f.max_length, 0)));
    }
    if (!f.pattern.empty()) {
      if (std::optional<std::string> matching = FromPattern(f.pattern)) out.emplace_back(*matching);
    }
    out.emplace_back(text);
    // Values that common patterns accept (codes, numbers, e-mail addresses, phones).
    for (const char* guess : {"A1", "1", "12345", "a", "auto@example.com", "+48123456789", "AB-123",
                              "2026-01-01", "https://example.com"}) {
      out.emplace_back(guess);
    }
  }
  return out;
}

// Sets `value` at the path `name` ("contact.name": member "name" of the object "contact").
void SetAt(json::object& data, std::string_view name, json::value value) {
  const std::size_t dot = name.find('.');
  if (dot == std::string_view::npos) {
    data[name] = std::move(value);
    return;
  }
  json::value& inner = data[name.substr(0, dot)];
  if (!inner.is_object()) inner = json::object();
  SetAt(inner.get_object(), name.substr(dot + 1), std::move(value));
}

void SampleFields(const std::vector<definitions::FormField>& fields, Timestamp now,
                  const std::string& prefix, json::object& data,
                  std::vector<ErrorDetail>& unfilled) {
  for (const definitions::FormField& f : fields) {
    if (f.read_only) continue;
    const std::string at = prefix + f.name;
    if (f.type == "list") {
      json::object row;
      SampleFields(f.rows, now, at + "[0].", row, unfilled);
      json::array rows;
      rows.emplace_back(std::move(row));
      SetAt(data, f.name, std::move(rows));
      continue;
    }
    bool filled = false;
    for (json::value& candidate : Candidates(f, now)) {
      std::vector<ErrorDetail> ignored;
      // An empty value counts as missing: never one for a required field.
      if (!Missing(&candidate) && Check(f, candidate, at, ignored).empty() && ignored.empty()) {
        SetAt(data, f.name, std::move(candidate));
        filled = true;
        break;
      }
    }
    if (!filled && f.required) {
      std::string why = "cannot be filled from the form's declaration";
      if (!f.pattern.empty()) why += " (no tried value matches the pattern " + f.pattern + ")";
      unfilled.push_back({at, why});
    }
  }
}

}  // namespace

Result<json::object> SampleFormValues(const std::vector<definitions::FormField>& fields,
                                      Timestamp now, const std::string& task_name) {
  json::object data;
  std::vector<ErrorDetail> unfilled;
  SampleFields(fields, now, "", data, unfilled);
  if (const std::size_t n = unfilled.size(); n != 0) {
    return Error::ValidationFailed(
        "the form of '" + task_name + "' has " + std::to_string(n) +
            (n == 1 ? " field" : " fields") + " that --complete-tasks auto cannot fill: give " +
            (n == 1 ? "its value" : "their values") +
            " in a script "
            "(--complete-tasks script.json with {\"<task element id>\": {\"<field>\": ...}})",
        std::move(unfilled));
  }
  return data;
}

}  // namespace quire::workflow
