#include "form_validation.h"

#include "quire/workflow/form_sample.h"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>

#include "quire/definitions/iso8601.h"

namespace quire::workflow {
namespace json = boost::json;

Result<void> ValidateForm(const std::vector<definitions::FormField>& fields,
                          const json::object& data, const std::string& task_name) {
  std::vector<ErrorDetail> details;
  (void)definitions::CheckFields(fields, data, definitions::FieldCheck(), details);
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
      definitions::SetFieldValue(data, f.name, std::move(rows));
      continue;
    }
    bool filled = false;
    for (json::value& candidate : Candidates(f, now)) {
      std::vector<ErrorDetail> ignored;
      // An empty value counts as missing: never one for a required field.
      if (!definitions::MissingValue(&candidate) &&
          definitions::CheckValue(f, candidate, at, definitions::FieldCheck(), ignored).empty() &&
          ignored.empty()) {
        definitions::SetFieldValue(data, f.name, std::move(candidate));
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
