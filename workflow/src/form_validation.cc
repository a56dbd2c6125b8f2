#include "form_validation.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cmath>

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

}  // namespace quire::workflow
