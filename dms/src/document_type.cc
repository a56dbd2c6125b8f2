#include "quire/dms/document_type.h"

#include <boost/json/serialize.hpp>
#include <chrono>
#include <cmath>
#include <regex>

#include "quire/base/json_text.h"

namespace quire::dms {
namespace json = boost::json;
namespace {

bool ValidName(std::string_view s) {
  static const std::regex kName("[A-Za-z][A-Za-z0-9_.-]{0,63}");
  return std::regex_match(s.begin(), s.end(), kName);
}

std::optional<FieldType> FieldTypeOf(std::string_view s) {
  if (s == "string") return FieldType::kString;
  if (s == "number") return FieldType::kNumber;
  if (s == "date") return FieldType::kDate;
  if (s == "enum") return FieldType::kEnum;
  if (s == "reference") return FieldType::kReference;
  return std::nullopt;
}

const json::string* StringAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? &v->as_string() : nullptr;
}

std::optional<double> NumberOf(const json::value& v) {
  if (v.is_double()) return v.as_double();
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  return std::nullopt;
}

}  // namespace

const char* FieldTypeName(FieldType t) {
  switch (t) {
    case FieldType::kString:
      return "string";
    case FieldType::kNumber:
      return "number";
    case FieldType::kDate:
      return "date";
    case FieldType::kEnum:
      return "enum";
    case FieldType::kReference:
      return "reference";
  }
  return "string";
}

const FieldSpec* DocumentType::Field(std::string_view field) const {
  for (const FieldSpec& f : fields) {
    if (f.name == field) return &f;
  }
  return nullptr;
}

json::object DocumentType::ToJson() const {
  json::array fs;
  for (const FieldSpec& f : fields) {
    json::object o{{"name", f.name}, {"type", FieldTypeName(f.type)}, {"required", f.required}};
    if (!f.label.empty()) o["label"] = f.label;
    if (f.type == FieldType::kEnum) o["values"] = json::array(f.values.begin(), f.values.end());
    if (f.type == FieldType::kReference) o["ref"] = f.ref;
    if (f.min) o["min"] = *f.min;
    if (f.max) o["max"] = *f.max;
    if (f.max_length) o["maxLength"] = *f.max_length;
    fs.push_back(std::move(o));
  }
  json::object out{{"id", id}, {"name", name}, {"fields", std::move(fs)}};
  if (retention)
    out["retention"] = json::object{{"keep", retention->keep_text}, {"from", retention->from}};
  return out;
}

Result<DocumentType> ParseDocumentType(const json::value& v) {
  std::vector<ErrorDetail> problems;
  if (!v.is_object()) {
    return Error::ValidationFailed("a document type is a JSON object",
                                   {{"", "expected {\"id\": ..., \"fields\": [...]}"}});
  }
  const json::object& o = v.as_object();
  DocumentType t;
  for (const auto& kv : o) {
    const std::string_view k = kv.key();
    if (k != "id" && k != "name" && k != "fields" && k != "retention") {
      problems.push_back({std::string(k), "unknown property; use id, name, fields, retention"});
    }
  }
  if (const json::string* id = StringAt(o, "id"); id != nullptr && ValidName(*id)) {
    t.id = std::string(*id);
  } else {
    problems.push_back({"id",
                        "required: a name of letters, digits, '_', '.', '-' (e.g. "
                        "\"contract\"), starting with a letter"});
  }
  if (const json::string* name = StringAt(o, "name")) t.name = std::string(*name);
  if (t.name.empty()) t.name = t.id;
  if (const json::value* fields = o.if_contains("fields"); fields != nullptr) {
    if (!fields->is_array()) {
      problems.push_back({"fields", "must be an array of field declarations"});
    } else {
      std::size_t i = 0;
      for (const json::value& fv : fields->as_array()) {
        const std::string at = "fields[" + std::to_string(i++) + "]";
        if (!fv.is_object()) {
          problems.push_back({at, "must be an object {\"name\": ..., \"type\": ...}"});
          continue;
        }
        const json::object& fo = fv.as_object();
        FieldSpec f;
        if (const json::string* n = StringAt(fo, "name"); n != nullptr && ValidName(*n)) {
          f.name = std::string(*n);
        } else {
          problems.push_back({at + ".name", "required: letters, digits, '_', '.', '-'"});
        }
        if (t.Field(f.name) != nullptr) {
          problems.push_back({at + ".name", "'" + f.name + "' is declared twice"});
        }
        const json::string* type = StringAt(fo, "type");
        const auto ft = type != nullptr ? FieldTypeOf(*type) : std::nullopt;
        if (!ft) {
          problems.push_back(
              {at + ".type", "required: one of string, number, date, enum, reference"});
        } else {
          f.type = *ft;
        }
        if (const json::string* l = StringAt(fo, "label")) f.label = std::string(*l);
        if (const json::value* r = fo.if_contains("required"); r != nullptr) {
          if (!r->is_bool()) {
            problems.push_back({at + ".required", "must be true or false"});
          } else {
            f.required = r->as_bool();
          }
        }
        if (f.type == FieldType::kEnum) {
          const json::value* vals = fo.if_contains("values");
          if (vals != nullptr && vals->is_array()) {
            for (const json::value& x : vals->as_array()) {
              if (x.is_string()) f.values.emplace_back(x.as_string());
            }
          }
          if (f.values.empty()) {
            problems.push_back({at + ".values", "an enum needs its values: [\"a\", \"b\"]"});
          }
        }
        if (f.type == FieldType::kReference) {
          const json::string* ref = StringAt(fo, "ref");
          if (ref == nullptr || !ValidName(*ref)) {
            problems.push_back({at + ".ref",
                                "a reference names the kind of record it points "
                                "to: \"customer\", \"offer\", \"instance\", ..."});
          } else {
            f.ref = std::string(*ref);
          }
        }
        if (const json::value* m = fo.if_contains("min")) f.min = NumberOf(*m);
        if (const json::value* m = fo.if_contains("max")) f.max = NumberOf(*m);
        if (const json::value* m = fo.if_contains("maxLength"); m != nullptr) {
          if (auto n = NumberOf(*m); n && *n >= 0) f.max_length = static_cast<std::size_t>(*n);
        }
        t.fields.push_back(std::move(f));
      }
    }
  }
  if (const json::value* r = o.if_contains("retention"); r != nullptr && !r->is_null()) {
    const json::string* keep = r->is_object() ? StringAt(r->as_object(), "keep") : nullptr;
    if (keep == nullptr) {
      problems.push_back({"retention.keep", "required: an ISO 8601 duration such as \"P10Y\""});
    } else if (auto d = definitions::ParseDuration(*keep); !d) {
      problems.push_back({"retention.keep", d.error().message()});
    } else {
      RetentionRule rule;
      rule.keep = *d;
      rule.keep_text = std::string(*keep);
      if (const json::string* from = StringAt(r->as_object(), "from")) {
        rule.from = std::string(*from);
      }
      if (rule.from != "created") {
        const FieldSpec* f = t.Field(rule.from);
        if (f == nullptr || f->type != FieldType::kDate) {
          problems.push_back({"retention.from", "'" + rule.from +
                                                    "' is not a date field of this type; use "
                                                    "\"created\" or a date field"});
        }
      }
      t.retention = std::move(rule);
    }
  }
  if (!problems.empty()) {
    return Error::ValidationFailed("the document type is not valid", std::move(problems));
  }
  return t;
}

Result<std::int64_t> ParseDay(std::string_view s) {
  using namespace std::chrono;
  int y = 0;
  unsigned m = 0;
  unsigned d = 0;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' ||
      std::sscanf(std::string(s).c_str(), "%4d-%2u-%2u", &y, &m, &d) != 3) {
    return Error::InvalidArgument("'" + std::string(s) + "' is not a date: write YYYY-MM-DD");
  }
  const year_month_day ymd{year{y}, month{m}, day{d}};
  if (!ymd.ok()) return Error::InvalidArgument("'" + std::string(s) + "' is not a calendar date");
  return sys_days(ymd).time_since_epoch().count();
}

Result<json::object> ValidateMetadata(const DocumentType& type, const json::object& metadata) {
  std::vector<ErrorDetail> problems;
  json::object out;
  for (const auto& kv : metadata) {
    const std::string name(kv.key());
    const FieldSpec* f = type.Field(name);
    const std::string at = "metadata." + name;
    if (f == nullptr) {
      std::string known;
      for (const FieldSpec& x : type.fields) known += (known.empty() ? "" : ", ") + x.name;
      problems.push_back({at, "not a field of document type '" + type.id + "'" +
                                  (known.empty() ? " (it has none)" : "; its fields: " + known)});
      continue;
    }
    const json::value& v = kv.value();
    if (v.is_null()) continue;  // the same as leaving it out
    switch (f->type) {
      case FieldType::kString:
      case FieldType::kReference:
        if (!v.is_string()) {
          problems.push_back(
              {at, std::string("must be a string") +
                       (f->type == FieldType::kReference ? " (the id of a " + f->ref + ")" : "")});
        } else if (f->type == FieldType::kReference && v.as_string().empty()) {
          problems.push_back({at, "must name a " + f->ref});
        } else if (f->max_length && v.as_string().size() > *f->max_length) {
          problems.push_back({at, "is " + std::to_string(v.as_string().size()) +
                                      " characters long; at most " +
                                      std::to_string(*f->max_length) + " are allowed"});
        } else {
          out[name] = v;
        }
        break;
      case FieldType::kNumber: {
        std::optional<double> n = NumberOf(v);
        if (!n && v.is_string()) {
          // "1200.50" from a form or a CSV is a number too.
          try {
            std::size_t used = 0;
            const double parsed = std::stod(std::string(v.as_string()), &used);
            if (used == v.as_string().size()) n = parsed;
          } catch (...) {
          }
        }
        if (!n || !std::isfinite(*n)) {
          problems.push_back({at, "must be a number"});
        } else if (f->min && *n < *f->min) {
          problems.push_back({at, "must be at least " + JsonText(json::value(*f->min))});
        } else if (f->max && *n > *f->max) {
          problems.push_back({at, "must be at most " + JsonText(json::value(*f->max))});
        } else if (*n == std::floor(*n) && std::fabs(*n) < 9.0e15) {
          out[name] = static_cast<std::int64_t>(*n);
        } else {
          out[name] = *n;
        }
        break;
      }
      case FieldType::kDate:
        if (!v.is_string()) {
          problems.push_back({at, "must be a date written YYYY-MM-DD"});
        } else if (auto d = ParseDay(v.as_string()); !d) {
          problems.push_back({at, d.error().message()});
        } else {
          out[name] = v;
        }
        break;
      case FieldType::kEnum: {
        const bool ok =
            v.is_string() && std::find(f->values.begin(), f->values.end(),
                                       std::string_view(v.as_string())) != f->values.end();
        if (!ok) {
          std::string allowed;
          for (const std::string& x : f->values) allowed += (allowed.empty() ? "" : ", ") + x;
          problems.push_back({at, "must be one of " + allowed});
        } else {
          out[name] = v;
        }
        break;
      }
    }
  }
  for (const FieldSpec& f : type.fields) {
    if (!f.required) continue;
    const json::value* v = metadata.if_contains(f.name);
    if (v == nullptr || v->is_null() || (v->is_string() && v->as_string().empty())) {
      problems.push_back({"metadata." + f.name, "required by document type '" + type.id + "'"});
    }
  }
  if (!problems.empty()) {
    return Error::ValidationFailed("the metadata does not fit document type '" + type.id + "'",
                                   std::move(problems));
  }
  return out;
}

std::optional<Timestamp> RetainUntil(const DocumentType& type, Timestamp created,
                                     const json::object& metadata) {
  if (!type.retention) return std::nullopt;
  Timestamp from = created;
  if (type.retention->from != "created") {
    const json::value* v = metadata.if_contains(type.retention->from);
    if (v == nullptr || !v->is_string()) return Timestamp::max();
    auto day = ParseDay(v->as_string());
    if (!day) return Timestamp::max();
    from = Timestamp(std::chrono::days(*day));
  }
  return definitions::Add(from, type.retention->keep);
}

}  // namespace quire::dms
