#include "form_validation.h"

#include <re2/re2.h>

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
  return v == nullptr || v->is_null() || (v->is_string() && v->get_string().empty());
}

// Checks one present value; returns what is wrong, or "".
std::string Check(const definitions::FormField& f, const json::value& v) {
  const std::string& type = f.type;
  if (type == "boolean") return v.is_bool() ? "" : "must be true or false";
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
  if (type == "date") {
    const bool date_only =
        s.size() == 10 && definitions::ParseDateTime(std::string(s) + "T00:00:00Z");
    if (!date_only && !definitions::ParseDateTime(s)) {
      return "must be a date (2026-12-24) or a date-time (2026-12-24T09:00:00Z)";
    }
  }
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
  if (!f.options.empty()) {
    const bool known = std::any_of(f.options.begin(), f.options.end(),
                                   [&](const definitions::FormOption& o) { return o.value == s; });
    if (!known) {
      std::string allowed;
      for (const auto& o : f.options) allowed += (allowed.empty() ? "" : ", ") + o.value;
      return "must be one of: " + allowed;
    }
  }
  return "";
}

}  // namespace

Result<void> ValidateForm(const std::vector<definitions::FormField>& fields,
                          const json::object& data, const std::string& task_name) {
  std::vector<ErrorDetail> details;
  for (const definitions::FormField& f : fields) {
    const json::value* v = data.if_contains(f.name);
    if (Missing(v)) {
      if (f.required) details.push_back({f.name, "is required"});
      continue;
    }
    if (f.read_only) {
      details.push_back({f.name, "is read-only"});
      continue;
    }
    if (std::string problem = Check(f, *v); !problem.empty()) {
      details.push_back({f.name, std::move(problem)});
    }
  }
  if (details.empty()) return Ok();
  const std::string message =
      "the form of '" + task_name + "' has " + std::to_string(details.size()) +
      (details.size() == 1 ? " error" : " errors") + "; nothing was changed";
  return Error::ValidationFailed(message, std::move(details));
}

}  // namespace quire::workflow
