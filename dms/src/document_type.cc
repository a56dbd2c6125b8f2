#include "quire/dms/document_type.h"

#include <boost/json/serialize.hpp>
#include <chrono>
#include <regex>

#include "quire/base/json_text.h"

namespace quire::dms {
namespace json = boost::json;
namespace {

bool ValidName(std::string_view s) {
  static const std::regex kName("[A-Za-z][A-Za-z0-9_.-]{0,63}");
  return std::regex_match(s.begin(), s.end(), kName);
}

const json::string* StringAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? &v->as_string() : nullptr;
}

}  // namespace

const FieldSpec* DocumentType::Field(std::string_view field) const {
  return definitions::FindField(fields, field);
}

json::object DocumentType::ToJson() const {
  json::object out{{"id", id}, {"name", name}, {"fields", definitions::FieldsToJson(fields)}};
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
    t.fields = definitions::ParseFields(*fields, "fields", problems);
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
        if (f == nullptr || f->type != "date") {
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

Result<json::object> ValidateMetadata(
    const DocumentType& type, const json::object& metadata,
    const decltype(definitions::FieldCheck::dictionary)& dictionaries) {
  std::vector<ErrorDetail> problems;
  definitions::FieldCheck check;
  check.prefix = "metadata.";
  check.owner = "document type '" + type.id + "'";
  check.refuse_unknown = true;
  check.read_text = true;  // metadata typed on a command line or read from a CSV file
  check.dictionary = dictionaries;
  json::object out = definitions::CheckFields(type.fields, metadata, check, problems);
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
