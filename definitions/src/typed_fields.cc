#include "quire/definitions/typed_fields.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <set>

#include "quire/base/json_text.h"
#include "quire/definitions/iso8601.h"

namespace quire::definitions {
namespace json = boost::json;
namespace {

std::string NumberText(double d) {
  if (std::nearbyint(d) == d && std::fabs(d) < 1e15) {
    return std::to_string(static_cast<long long>(d));
  }
  return JsonText(json::value(d));
}

bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > 64 || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

const std::set<std::string, std::less<>>& DeclarableTypes() {
  static const std::set<std::string, std::less<>> kTypes{
      "string", "number",   "long", "boolean",     "date",
      "time",   "datetime", "enum", "multiselect", "reference"};
  return kTypes;
}

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

using Options = std::shared_ptr<const std::vector<FieldOption>>;

// The allowed values of an enum or multiselect: its own, or its dictionary's (nullptr with
// `why` set when the dictionary cannot be read).
Options OptionsOf(const Field& f, const FieldCheck& check, std::string& why) {
  if (f.dictionary.empty()) return Options(Options(), &f.options);  // not owned
  Options entries = check.dictionary ? check.dictionary(f.dictionary) : nullptr;
  if (entries == nullptr) {
    why = "cannot be checked: there is no dictionary '" + f.dictionary +
          "' (an administrator defines it: PUT /api/crm/dictionaries/" + f.dictionary + ")";
  }
  return entries;
}

// The option `s` names, by value or (ignoring ASCII case) by label.
const FieldOption* Option(const std::vector<FieldOption>& options, std::string_view s) {
  for (const FieldOption& o : options) {
    if (o.value == s) return &o;
  }
  for (const FieldOption& o : options) {
    if (!o.label.empty() && EqualsIgnoringAsciiCase(o.label, s)) return &o;
  }
  return nullptr;
}

std::string Allowed(const std::vector<FieldOption>& options) {
  std::string allowed;
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (i == 20) return allowed + ", ... (" + std::to_string(options.size()) + " in all)";
    allowed += (allowed.empty() ? "" : ", ") + options[i].value;
  }
  return allowed;
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

// YYYY-MM-DD: "" when it is a calendar date, else what is wrong.
std::string DateProblem(std::string_view s) {
  const bool shaped =
      s.size() == 10 && s[4] == '-' && s[7] == '-' && std::all_of(s.begin(), s.end(), [](char c) {
        return c == '-' || std::isdigit(static_cast<unsigned char>(c));
      });
  if (!shaped) return "must be a date (2026-12-24) or a date-time (2026-12-24T09:00:00Z)";
  int y = 0;
  unsigned m = 0, d = 0;
  std::from_chars(s.data(), s.data() + 4, y);
  std::from_chars(s.data() + 5, s.data() + 7, m);
  std::from_chars(s.data() + 8, s.data() + 10, d);
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m},
                                        std::chrono::day{d}};
  if (!ymd.ok()) return "'" + std::string(s) + "' is not a calendar date";
  return "";
}

// Camunda Forms' date-times may come without a zone (local time): 2026-12-24T09:00.
bool IsDateTime(std::string_view s, bool allow_local) {
  if (ParseDateTime(s)) return true;
  if (!allow_local || s.size() < 16 || s.size() > 19 || s[10] != 'T') return false;
  return static_cast<bool>(ParseDateTime(std::string(s) + (s.size() == 16 ? ":00Z" : "Z")));
}

std::optional<double> NumberOf(const json::value& v, bool read_text) {
  if (v.is_number()) return v.to_number<double>();
  if (!read_text || !v.is_string()) return std::nullopt;
  std::string s(v.get_string());
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  // "1200,50" from a Polish spreadsheet is 1200.50 (a comma never groups thousands here).
  if (s.find('.') == std::string::npos) std::replace(s.begin(), s.end(), ',', '.');
  double d = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(d)) {
    return std::nullopt;
  }
  return d;
}

std::optional<bool> BoolOf(const json::value& v, bool read_text) {
  if (v.is_bool()) return v.get_bool();
  if (!read_text || !v.is_string()) return std::nullopt;
  const std::string_view s = v.get_string();
  for (const char* yes : {"true", "yes", "1", "tak"}) {
    if (EqualsIgnoringAsciiCase(s, yes)) return true;
  }
  for (const char* no : {"false", "no", "0", "nie"}) {
    if (EqualsIgnoringAsciiCase(s, no)) return false;
  }
  return std::nullopt;
}

json::value Number(double d) {
  if (std::nearbyint(d) == d && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(d);
  return d;
}

// The checked form of a value CheckValue accepted.
json::value Normalised(const Field& f, const json::value& v, const FieldCheck& check) {
  const std::string& type = f.type;
  if (type == "number" || type == "long") return Number(*NumberOf(v, check.read_text));
  if (type == "boolean") return *BoolOf(v, check.read_text);
  if (type == "date" && v.is_string()) return json::string(v.get_string().subview(0, 10));
  std::string ignored;
  if (type == "enum" && v.is_string()) {
    const Options options = OptionsOf(f, check, ignored);
    if (const FieldOption* o = options ? Option(*options, v.get_string()) : nullptr) {
      return json::string(o->value);
    }
  }
  if (type == "multiselect" && v.is_array()) {
    const Options options = OptionsOf(f, check, ignored);
    json::array out;
    for (const json::value& item : v.get_array()) {
      const FieldOption* o =
          options && item.is_string() ? Option(*options, item.get_string()) : nullptr;
      out.push_back(o ? json::value(json::string(o->value)) : item);
    }
    return out;
  }
  return v;
}

// The value a field names: "name", or "contact.name" inside the object "contact" (Camunda
// Forms groups with a path). A flat key holding the dots wins.
const json::value* Lookup(const json::object& data, std::string_view name) {
  if (const json::value* v = data.if_contains(name)) return v;
  const std::size_t dot = name.find('.');
  if (dot == std::string_view::npos) return nullptr;
  const json::value* inner = data.if_contains(name.substr(0, dot));
  if (inner == nullptr || !inner->is_object()) return nullptr;
  return Lookup(inner->get_object(), name.substr(dot + 1));
}

void EraseAt(json::object& data, std::string_view name) {
  if (data.erase(name) != 0) return;
  const std::size_t dot = name.find('.');
  if (dot == std::string_view::npos) return;
  if (json::value* inner = data.if_contains(name.substr(0, dot)); inner && inner->is_object()) {
    EraseAt(inner->get_object(), name.substr(dot + 1));
  }
}

}  // namespace

bool MissingValue(const json::value* v) {
  return v == nullptr || v->is_null() || (v->is_string() && v->get_string().empty()) ||
         (v->is_array() && v->get_array().empty());
}

void SetFieldValue(json::object& data, std::string_view name, json::value value) {
  if (data.contains(name)) {
    data[name] = std::move(value);
    return;
  }
  const std::size_t dot = name.find('.');
  if (dot == std::string_view::npos) {
    data[name] = std::move(value);
    return;
  }
  json::value& inner = data[name.substr(0, dot)];
  if (!inner.is_object()) inner = json::object();
  SetFieldValue(inner.get_object(), name.substr(dot + 1), std::move(value));
}

const Field* FindField(const std::vector<Field>& fields, std::string_view name) {
  for (const Field& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string CheckValue(const Field& f, const json::value& v, const std::string& at,
                       const FieldCheck& check, std::vector<ErrorDetail>& problems) {
  const std::string& type = f.type;
  if (type == "boolean") {
    return BoolOf(v, check.read_text) ? "" : "must be true or false";
  }
  if (type == "multiselect") {
    if (!v.is_array()) return "must be a list of values";
    std::string why;
    const Options options = OptionsOf(f, check, why);
    if (options == nullptr) return why;
    for (const json::value& item : v.get_array()) {
      if (!item.is_string()) return "must be a list of text values";
      if (!options->empty() && Option(*options, item.get_string()) == nullptr) {
        return "holds '" + std::string(item.get_string()) +
               "'; the values are: " + Allowed(*options);
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
        problems.push_back({row, "must be an object"});
        continue;
      }
      FieldCheck inner = check;
      inner.prefix = row + ".";
      (void)CheckFields(f.rows, rows[i].get_object(), inner, problems);
    }
    return "";
  }
  if (type == "number" || type == "long") {
    const std::optional<double> d = NumberOf(v, check.read_text);
    if (!d) return "must be a number";
    if (type == "long" && std::nearbyint(*d) != *d) return "must be a whole number";
    if (f.min && *d < *f.min) return "must be at least " + NumberText(*f.min);
    if (f.max && *d > *f.max) return "must be at most " + NumberText(*f.max);
    return "";
  }
  if (!v.is_string()) {
    return type == "reference" ? "must be text: the id of a " + f.ref : "must be text";
  }
  const std::string_view s = v.get_string();
  if (type == "date") {
    if (!(s.size() > 10 && IsDateTime(s, true))) {
      if (std::string problem = DateProblem(s); !problem.empty()) return problem;
    }
  }
  if (type == "datetime" && !IsDateTime(s, true)) {
    return "must be a date-time (2026-12-24T09:00:00Z)";
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
    if (!re.ok()) return "cannot be checked: the pattern is not valid";
    if (!RE2::PartialMatch(s, re)) return "does not match the pattern " + f.pattern;
  }
  if (type == "enum" || !f.options.empty()) {
    std::string why;
    const Options options = OptionsOf(f, check, why);
    if (options == nullptr) return why;
    if (!options->empty() && Option(*options, s) == nullptr) {
      return "must be one of: " + Allowed(*options);
    }
  }
  return "";
}

json::object CheckFields(const std::vector<Field>& fields, const json::object& data,
                         const FieldCheck& check, std::vector<ErrorDetail>& problems) {
  json::object out;
  if (check.refuse_unknown) {
    for (const auto& kv : data) {
      if (FindField(fields, kv.key()) != nullptr || kv.value().is_null()) continue;
      std::string known;
      for (const Field& f : fields) known += (known.empty() ? "" : ", ") + f.name;
      problems.push_back({check.prefix + std::string(kv.key()),
                          "not a field of " + (check.owner.empty() ? "this record" : check.owner) +
                              (known.empty() ? " (it has none)" : "; its fields: " + known)});
    }
  } else {
    out = data;
  }
  for (const Field& f : fields) {
    const std::string at = check.prefix + f.name;
    const json::value* v = Lookup(data, f.name);
    if (MissingValue(v)) {
      if (f.required) {
        problems.push_back({at, "is required" + (check.owner.empty() ? "" : " by " + check.owner)});
      }
      EraseAt(out, f.name);
      continue;
    }
    if (f.read_only) {
      problems.push_back({at, "is read-only"});
      continue;
    }
    const std::size_t before = problems.size();
    if (std::string problem = CheckValue(f, *v, at, check, problems); !problem.empty()) {
      problems.push_back({at, std::move(problem)});
    } else if (problems.size() == before) {
      SetFieldValue(out, f.name, Normalised(f, *v, check));
    }
  }
  return out;
}

std::vector<Field> ParseFields(const json::value& list, const std::string& at,
                               std::vector<ErrorDetail>& problems) {
  std::vector<Field> out;
  if (!list.is_array()) {
    problems.push_back({at, "must be a list of field declarations"});
    return out;
  }
  const json::array& items = list.get_array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string here = at + "[" + std::to_string(i) + "]";
    if (!items[i].is_object()) {
      problems.push_back({here, "must be an object {\"name\": ..., \"type\": ...}"});
      continue;
    }
    const json::object& o = items[i].get_object();
    auto text = [&](std::string_view key) -> std::string {
      const json::value* v = o.if_contains(key);
      return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    static const std::set<std::string, std::less<>> kProperties{
        "name", "label", "type",      "required",  "readOnly", "values",     "options", "ref",
        "min",  "max",   "minLength", "maxLength", "pattern",  "dictionary", "default"};
    for (const auto& kv : o) {
      if (!kProperties.contains(kv.key())) {
        problems.push_back({here + "." + std::string(kv.key()),
                            "unknown property; a field has name, label, type, required, "
                            "readOnly, values, dictionary, ref, min, max, minLength, "
                            "maxLength, pattern, default"});
      }
    }
    Field f;
    f.name = text("name");
    if (!ValidName(f.name)) {
      problems.push_back(
          {here + ".name", "required: letters, digits, '_', '.', '-', starting with a letter"});
    } else if (FindField(out, f.name) != nullptr) {
      problems.push_back({here + ".name", "'" + f.name + "' is declared twice"});
    }
    f.label = text("label");
    f.type = text("type");
    if (f.type == "integer") f.type = "long";
    if (!DeclarableTypes().contains(f.type)) {
      problems.push_back({here + ".type",
                          "required: one of string, number, long, boolean, date, datetime, "
                          "time, enum, multiselect, reference"});
    }
    for (const char* flag : {"required", "readOnly"}) {
      if (const json::value* v = o.if_contains(flag)) {
        if (!v->is_bool()) {
          problems.push_back({here + "." + flag, "must be true or false"});
        } else {
          (std::string_view(flag) == "required" ? f.required : f.read_only) = v->get_bool();
        }
      }
    }
    for (const char* key : {"values", "options"}) {
      const json::value* v = o.if_contains(key);
      if (v == nullptr) continue;
      if (!v->is_array()) {
        problems.push_back({here + "." + key, "must be a list"});
        continue;
      }
      for (const json::value& x : v->get_array()) {
        if (x.is_string()) {
          f.options.push_back({std::string(x.get_string()), ""});
        } else if (x.is_object() && x.get_object().contains("value")) {
          const json::object& xo = x.get_object();
          const json::value& value = xo.at("value");
          const json::value* label = xo.if_contains("label");
          f.options.push_back(
              {value.is_string() ? std::string(value.get_string()) : JsonText(value),
               label && label->is_string() ? std::string(label->get_string()) : ""});
        } else {
          problems.push_back({here + "." + key, "holds values as text or {value, label}"});
          break;
        }
      }
    }
    f.dictionary = text("dictionary");
    if (!f.dictionary.empty() && !ValidName(f.dictionary)) {
      problems.push_back({here + ".dictionary", "names a dictionary: letters, digits, '_', '-'"});
    }
    if ((f.type == "enum" || f.type == "multiselect") && f.options.empty() &&
        f.dictionary.empty()) {
      problems.push_back(
          {here + ".values", "an enum needs its values: [\"a\", \"b\"], or a \"dictionary\""});
    }
    if (f.type == "reference") {
      f.ref = text("ref");
      if (!ValidName(f.ref)) {
        problems.push_back({here + ".ref",
                            "a reference names the kind of record it points to: \"customer\", "
                            "\"offer\", \"instance\", ..."});
      }
    }
    auto number = [&](const char* key) -> std::optional<double> {
      const json::value* v = o.if_contains(key);
      if (v == nullptr || v->is_null()) return std::nullopt;
      if (!v->is_number()) {
        problems.push_back({here + "." + key, "must be a number"});
        return std::nullopt;
      }
      return v->to_number<double>();
    };
    f.min = number("min");
    f.max = number("max");
    if (auto n = number("minLength"); n && *n >= 0) f.min_length = static_cast<std::int64_t>(*n);
    if (auto n = number("maxLength"); n && *n >= 0) f.max_length = static_cast<std::int64_t>(*n);
    f.pattern = text("pattern");
    if (!f.pattern.empty()) {
      RE2::Options options;
      options.set_log_errors(false);
      if (const RE2 re(f.pattern, options); !re.ok()) {
        problems.push_back({here + ".pattern", "is not a valid regular expression: " + re.error()});
      }
    }
    if (const json::value* d = o.if_contains("default"); d != nullptr && !d->is_null()) {
      f.default_value = d->is_string() ? std::string(d->get_string()) : JsonText(*d);
    }
    out.push_back(std::move(f));
  }
  return out;
}

json::array FieldsToJson(const std::vector<Field>& fields) {
  json::array out;
  for (const Field& f : fields) {
    json::object o{{"name", f.name}, {"type", f.type}, {"required", f.required}};
    if (!f.label.empty()) o["label"] = f.label;
    if (f.read_only) o["readOnly"] = true;
    if (!f.options.empty()) {
      json::array values;
      bool labelled = false;
      for (const FieldOption& x : f.options) labelled = labelled || !x.label.empty();
      for (const FieldOption& x : f.options) {
        if (labelled) {
          values.push_back(json::object{{"value", x.value}, {"label", x.label}});
        } else {
          values.emplace_back(x.value);
        }
      }
      o["values"] = std::move(values);
    }
    if (!f.dictionary.empty()) o["dictionary"] = f.dictionary;
    if (!f.ref.empty()) o["ref"] = f.ref;
    if (f.min) o["min"] = *f.min;
    if (f.max) o["max"] = *f.max;
    if (f.min_length) o["minLength"] = *f.min_length;
    if (f.max_length) o["maxLength"] = *f.max_length;
    if (!f.pattern.empty()) o["pattern"] = f.pattern;
    if (!f.default_value.empty()) o["default"] = f.default_value;
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace quire::definitions
