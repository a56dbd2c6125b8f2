#include "quire/crm/schema.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <set>

namespace quire::crm {
namespace json = boost::json;
using definitions::Field;
using definitions::FieldOption;

namespace {

constexpr storage::ColumnFamily kCrm = storage::ColumnFamily::kCrm;

struct BuiltIn {
  const char* name;
  const char* label;
  std::vector<FieldOption> entries;
};

// The defaults a new installation starts with; an administrator replaces them.
const std::vector<BuiltIn>& BuiltIns() {
  static const std::vector<BuiltIn> kBuiltIns{
      {"industries",
       "Industries",
       {{"manufacturing", "Manufacturing"},
        {"construction", "Construction"},
        {"retail", "Retail"},
        {"wholesale", "Wholesale"},
        {"it", "IT and telecommunications"},
        {"finance", "Finance and insurance"},
        {"healthcare", "Healthcare"},
        {"education", "Education"},
        {"public", "Public administration"},
        {"transport", "Transport and logistics"},
        {"services", "Services"},
        {"agriculture", "Agriculture"},
        {"other", "Other"}}},
      {"customer-categories",
       "Customer categories",
       {{"A", "A: key customer"}, {"B", "B: regular customer"}, {"C", "C: occasional customer"}}},
      {"customer-types",
       "Customer types",
       {{"prospect", "Prospect"},
        {"customer", "Customer"},
        {"partner", "Partner"},
        {"supplier", "Supplier"},
        {"former", "Former customer"}}},
      {"sources",
       "Acquisition sources",
       {{"website", "Website"},
        {"referral", "Referral"},
        {"trade-fair", "Trade fair"},
        {"campaign", "Campaign"},
        {"cold-call", "Cold call"},
        {"tender", "Tender"},
        {"import", "Imported"},
        {"other", "Other"}}},
      // Incoterms 2020.
      {"delivery-terms",
       "Delivery terms",
       {{"EXW", "Ex Works"},
        {"FCA", "Free Carrier"},
        {"CPT", "Carriage Paid To"},
        {"CIP", "Carriage and Insurance Paid To"},
        {"DAP", "Delivered at Place"},
        {"DPU", "Delivered at Place Unloaded"},
        {"DDP", "Delivered Duty Paid"},
        {"FAS", "Free Alongside Ship"},
        {"FOB", "Free on Board"},
        {"CFR", "Cost and Freight"},
        {"CIF", "Cost, Insurance and Freight"}}},
      // The Polish VAT act's rates and the codes invoices print for no tax.
      {"tax-rates",
       "Tax rates",
       {{"23", "23 %: the standard rate"},
        {"8", "8 %: a reduced rate"},
        {"5", "5 %: a reduced rate"},
        {"0", "0 %: exports and intra-EU supplies"},
        {"zw", "exempt (zwolnione)"},
        {"np", "not subject to Polish VAT (nie podlega)"},
        {"oo", "reverse charge (odwrotne obciążenie)"}}},
  };
  return kBuiltIns;
}

const BuiltIn* FindBuiltIn(std::string_view name) {
  for (const BuiltIn& b : BuiltIns()) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

bool ValidName(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::islower(static_cast<unsigned char>(s[0])) &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::islower(static_cast<unsigned char>(c)) ||
                  std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_';
         });
}

std::string DictionaryKey(std::string_view name) { return "D" + std::string(name); }
std::string FieldsKey(std::string_view entity) { return "F" + std::string(entity); }

Result<void> CheckEntity(std::string_view entity) {
  for (std::string_view e : CrmSchema::kEntities) {
    if (e == entity) return Ok();
  }
  return Error::InvalidArgument("'" + std::string(entity) +
                                "' has no custom fields; the records that do: customer, "
                                "contact, activity");
}

Dictionary FromBuiltIn(const BuiltIn& b) { return {b.name, b.label, b.entries, true, false}; }

json::value ValueOf(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v != nullptr ? *v : json::value();
}

}  // namespace

json::object Dictionary::ToJson() const {
  json::array list;
  for (const FieldOption& e : entries) list.push_back({{"value", e.value}, {"label", e.label}});
  return {{"name", name},
          {"label", label},
          {"entries", std::move(list)},
          {"builtIn", built_in},
          {"defined", defined}};
}

CrmSchema::CrmSchema(storage::Store& store, audit::AuditLog& audit, const Clock& clock)
    : store_(store), audit_(audit), clock_(clock) {}

Result<std::optional<Dictionary>> CrmSchema::ReadDictionary(std::string_view name) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> stored, store_.Get(kCrm, DictionaryKey(name)));
  if (!stored) {
    if (const BuiltIn* b = FindBuiltIn(name)) return std::optional<Dictionary>(FromBuiltIn(*b));
    return std::optional<Dictionary>();
  }
  boost::system::error_code ec;
  const json::value v = json::parse(*stored, ec);
  if (ec || !v.is_object()) {
    return Error::Corruption("the stored dictionary '" + std::string(name) +
                             "' is not a JSON object");
  }
  const json::object& o = v.get_object();
  Dictionary d;
  d.name = std::string(name);
  d.built_in = FindBuiltIn(name) != nullptr;
  d.defined = true;
  if (const json::value* l = o.if_contains("label"); l && l->is_string()) {
    d.label = std::string(l->get_string());
  }
  if (const json::value* es = o.if_contains("entries"); es && es->is_array()) {
    for (const json::value& e : es->get_array()) {
      if (!e.is_object()) continue;
      const json::value value = ValueOf(e.get_object(), "value");
      const json::value label = ValueOf(e.get_object(), "label");
      d.entries.push_back({value.is_string() ? std::string(value.get_string()) : "",
                           label.is_string() ? std::string(label.get_string()) : ""});
    }
  }
  return std::optional<Dictionary>(std::move(d));
}

Result<Dictionary> CrmSchema::PutDictionary(std::string_view name, const json::object& body,
                                            const audit::Actor& actor) {
  std::vector<ErrorDetail> problems;
  if (!ValidName(name)) {
    problems.push_back({"name", "'" + std::string(name) +
                                    "' is not a dictionary name: lower-case letters, digits, "
                                    "'-' and '_', starting with a letter"});
  }
  for (const auto& kv : body) {
    if (kv.key() != "label" && kv.key() != "entries" && kv.key() != "name") {
      problems.push_back({std::string(kv.key()),
                          "unknown property; a dictionary has label "
                          "and entries"});
    }
  }
  Dictionary d;
  d.name = std::string(name);
  d.built_in = FindBuiltIn(name) != nullptr;
  d.defined = true;
  const json::value label = ValueOf(body, "label");
  if (label.is_string()) {
    d.label = std::string(label.get_string());
  } else if (!label.is_null()) {
    problems.push_back({"label", "must be text"});
  }
  if (d.label.empty()) d.label = d.name;
  const json::value entries = ValueOf(body, "entries");
  if (!entries.is_array()) {
    problems.push_back({"entries",
                        "required: a list of values, each text (\"it\") or "
                        "{\"value\": \"it\", \"label\": \"IT\"}"});
  } else if (entries.get_array().size() > 5000) {
    problems.push_back({"entries", "holds more than 5000 values"});
  } else {
    std::set<std::string, std::less<>> seen;
    const json::array& list = entries.get_array();
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string at = "entries[" + std::to_string(i) + "]";
      FieldOption e;
      if (list[i].is_string()) {
        e.value = std::string(list[i].get_string());
      } else if (list[i].is_object()) {
        const json::value value = ValueOf(list[i].get_object(), "value");
        const json::value l = ValueOf(list[i].get_object(), "label");
        if (value.is_string()) e.value = std::string(value.get_string());
        if (l.is_string()) e.label = std::string(l.get_string());
      }
      if (e.value.empty() || e.value.size() > 100) {
        problems.push_back({at + ".value", "required: text of 1 to 100 bytes"});
      } else if (!seen.insert(e.value).second) {
        problems.push_back({at + ".value", "'" + e.value + "' is listed twice"});
      }
      if (e.label.empty()) e.label = e.value;
      d.entries.push_back(std::move(e));
    }
  }
  if (!problems.empty()) {
    return Error::ValidationFailed("the dictionary has " + std::to_string(problems.size()) +
                                       (problems.size() == 1 ? " error" : " errors") +
                                       "; nothing was changed",
                                   std::move(problems));
  }
  json::object stored{{"label", d.label}};
  json::array list;
  for (const FieldOption& e : d.entries) list.push_back({{"value", e.value}, {"label", e.label}});
  stored["entries"] = std::move(list);
  std::lock_guard lock(mu_);
  storage::WriteBatch batch;
  batch.Put(kCrm, DictionaryKey(name), json::serialize(stored));
  QUIRE_RETURN_IF_ERROR(
      audit_.Commit(std::move(batch),
                    {{actor,
                      "crm.dictionary.put",
                      "dictionary/" + d.name,
                      {{"entries", static_cast<std::uint64_t>(d.entries.size())}}}},
                    clock_.Now()));
  entries_[d.name] = std::make_shared<const std::vector<FieldOption>>(d.entries);
  return d;
}

Result<Dictionary> CrmSchema::GetDictionary(std::string_view name) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<Dictionary> d, ReadDictionary(name));
  if (!d) {
    return Error::NotFound("there is no dictionary '" + std::string(name) +
                           "' (GET /api/crm/dictionaries lists them)");
  }
  return std::move(*d);
}

Result<std::vector<Dictionary>> CrmSchema::Dictionaries() const {
  std::map<std::string, Dictionary> all;
  for (const BuiltIn& b : BuiltIns()) all.emplace(b.name, FromBuiltIn(b));
  auto it = store_.ScanPrefix(kCrm, "D");
  for (; it.Valid(); it.Next()) {
    const std::string name(it.key().substr(1));
    QUIRE_ASSIGN_OR_RETURN(std::optional<Dictionary> d, ReadDictionary(name));
    if (d) all[name] = std::move(*d);
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  std::vector<Dictionary> out;
  for (auto& [name, d] : all) out.push_back(std::move(d));
  return out;
}

Result<void> CrmSchema::DeleteDictionary(std::string_view name, const audit::Actor& actor) {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> stored, store_.Get(kCrm, DictionaryKey(name)));
  if (!stored) {
    return Error::NotFound(FindBuiltIn(name) != nullptr
                               ? "the dictionary '" + std::string(name) +
                                     "' holds its built-in defaults already"
                               : "there is no dictionary '" + std::string(name) + "'");
  }
  for (std::string_view entity : kEntities) {
    for (const Field& f : *CustomFields(entity)) {
      if (f.dictionary == name) {
        return Error::Conflict("the " + std::string(entity) + " field '" + f.name +
                               "' takes its values from the dictionary '" + std::string(name) +
                               "': change or remove that field first");
      }
    }
  }
  std::lock_guard lock(mu_);
  storage::WriteBatch batch;
  batch.Delete(kCrm, DictionaryKey(name));
  QUIRE_RETURN_IF_ERROR(audit_.Commit(
      std::move(batch), {{actor, "crm.dictionary.deleted", "dictionary/" + std::string(name), {}}},
      clock_.Now()));
  entries_.erase(std::string(name));
  return Ok();
}

Entries CrmSchema::EntriesOf(std::string_view name) const {
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(name); it != entries_.end()) return it->second;
  }
  auto d = ReadDictionary(name);
  // An unreadable dictionary checks like a missing one: the value is refused, and said why.
  Entries entries =
      d && *d ? std::make_shared<const std::vector<FieldOption>>((*d)->entries) : nullptr;
  std::lock_guard lock(mu_);
  if (d) entries_.emplace(std::string(name), entries);
  return entries;
}

Result<Fields> CrmSchema::PutCustomFields(std::string_view entity, const json::value& declared,
                                          const audit::Actor& actor) {
  QUIRE_RETURN_IF_ERROR(CheckEntity(entity));
  std::vector<ErrorDetail> problems;
  std::vector<Field> fields = definitions::ParseFields(declared, "fields", problems);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const Field& f = fields[i];
    if (!f.dictionary.empty() && EntriesOf(f.dictionary) == nullptr) {
      problems.push_back({"fields[" + std::to_string(i) + "].dictionary",
                          "there is no dictionary '" + f.dictionary +
                              "': define it first (PUT /api/crm/dictionaries/" + f.dictionary +
                              ")"});
    }
    if (f.name.find('.') != std::string::npos) {
      // A form field's dots are paths into the task's variables; a custom field is one
      // member of customFields, named alike in ?field.NAME= filters and CSV columns.
      std::string instead = f.name;
      std::replace(instead.begin(), instead.end(), '.', '_');
      problems.push_back({"fields[" + std::to_string(i) + "].name",
                          "'" + f.name + "' holds a '.': a custom field's name is letters, " +
                              "digits, '_' and '-' (" + instead + ", for instance)"});
    }
    if (f.read_only) {
      problems.push_back({"fields[" + std::to_string(i) + "].readOnly",
                          "a custom field is written by whoever may edit the record"});
    }
  }
  if (fields.size() > 200) problems.push_back({"fields", "holds more than 200 fields"});
  if (!problems.empty()) {
    return Error::ValidationFailed(
        "the " + std::string(entity) + " fields have " + std::to_string(problems.size()) +
            (problems.size() == 1 ? " error" : " errors") + "; nothing was changed",
        std::move(problems));
  }
  json::array names;
  for (const Field& f : fields) names.emplace_back(f.name);
  std::lock_guard lock(mu_);
  storage::WriteBatch batch;
  batch.Put(kCrm, FieldsKey(entity),
            json::serialize(json::object{{"fields", definitions::FieldsToJson(fields)}}));
  QUIRE_RETURN_IF_ERROR(audit_.Commit(
      std::move(batch),
      {{actor, "crm.fields.put", "fields/" + std::string(entity), {{"fields", std::move(names)}}}},
      clock_.Now()));
  Fields shared = std::make_shared<const std::vector<Field>>(std::move(fields));
  fields_[std::string(entity)] = shared;
  return shared;
}

Fields CrmSchema::CustomFields(std::string_view entity) const {
  {
    std::lock_guard lock(mu_);
    if (auto it = fields_.find(entity); it != fields_.end()) return it->second;
  }
  std::vector<Field> fields;
  auto stored = store_.Get(kCrm, FieldsKey(entity));
  if (stored && *stored) {
    boost::system::error_code ec;
    const json::value v = json::parse(**stored, ec);
    if (!ec && v.is_object() && v.get_object().contains("fields")) {
      std::vector<ErrorDetail> ignored;  // checked when written
      fields = definitions::ParseFields(v.get_object().at("fields"), "fields", ignored);
    }
  }
  Fields shared = std::make_shared<const std::vector<Field>>(std::move(fields));
  std::lock_guard lock(mu_);
  if (stored) fields_.emplace(std::string(entity), shared);
  return shared;
}

definitions::FieldCheck CrmSchema::Check(std::string prefix, bool read_text) const {
  definitions::FieldCheck check;
  check.prefix = std::move(prefix);
  check.refuse_unknown = true;
  check.read_text = read_text;
  check.dictionary = [this](std::string_view name) { return EntriesOf(name); };
  return check;
}

json::object CrmSchema::CheckValues(const std::vector<Field>& fields, const json::object& values,
                                    const json::object* before, const std::string& prefix,
                                    bool read_text, std::vector<ErrorDetail>& problems) const {
  std::vector<ErrorDetail> found;
  json::object out = definitions::CheckFields(fields, values, Check(prefix, read_text), found);
  for (ErrorDetail& d : found) {
    if (before == nullptr) {  // a new record: everything is checked
      problems.push_back(std::move(d));
      continue;
    }
    // "customFields.size" (or "customFields.lines[2].x": the field "lines")
    std::string_view name = std::string_view(d.field).substr(prefix.size());
    name = name.substr(0, name.find_first_of(".["));
    const json::value* now = values.if_contains(name);
    const json::value* was = before->if_contains(name);
    const bool unchanged = (now == nullptr || now->is_null()) ? (was == nullptr || was->is_null())
                                                              : (was != nullptr && *was == *now);
    if (unchanged) {
      if (now != nullptr && !now->is_null()) out[name] = *now;  // kept as it was
      continue;
    }
    problems.push_back(std::move(d));
  }
  return out;
}

json::object CrmSchema::CheckCustomFields(std::string_view entity, const json::object& fields,
                                          const json::object* before,
                                          std::vector<ErrorDetail>& problems) const {
  const json::value* custom = fields.if_contains("customFields");
  if (custom != nullptr && !custom->is_null() && !custom->is_object()) {
    problems.push_back({"customFields", "must be an object {\"name\": value, ...}"});
    return before != nullptr ? *before : json::object();
  }
  const Fields declared = CustomFields(entity);
  // Nothing declared and nothing sent (most records of most installations): nothing to do.
  if (declared->empty() &&
      (custom == nullptr || custom->is_null() || custom->get_object().empty())) {
    return json::object();
  }
  const json::object none;
  return CheckValues(*declared,
                     custom != nullptr && custom->is_object() ? custom->get_object() : none, before,
                     "customFields.", /*read_text=*/true, problems);
}

}  // namespace quire::crm
