// The installation's dictionaries and custom fields.
//
// Dictionaries are the lists of values administrators define for the CRM's classifying
// fields: industries, customer categories, customer types, acquisition sources, delivery
// terms, and any other a custom field names. An entry is {value, label}: records store the
// value, people read the label, and a value may be given by its label too (imports from
// spreadsheets). The five built-in dictionaries have default entries until an administrator
// replaces them.
//
// Custom fields are typed fields (quire/definitions/typed_fields.h, the same facility as
// forms and document types) an installation adds to customers, contact persons and
// activities. They live in the record's `customFields` object, are checked on every write
// and can be filtered on in lists (`field.NAME=VALUE`).
//
// A write is refused only for what it changes: a value stored before a dictionary lost
// the entry or a field became required does not block an unrelated edit (the data-quality
// report is where such values are found).
//
// Stored in the `crm` column family (every change audited, as crm.dictionary.put/deleted,
// crm.fields.put with the names, never the entries):
//   'D' name   → {"name", "label", "entries": [{value, label}]}
//   'F' entity → {"fields": [...]}   entity: customer, contact, activity
//
// Thread-safety: any thread; what was read is cached and replaced on write.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/definitions/typed_fields.h"
#include "quire/storage/store.h"

namespace quire::crm {

using Entries = std::shared_ptr<const std::vector<definitions::FieldOption>>;
using Fields = std::shared_ptr<const std::vector<definitions::Field>>;

struct Dictionary {
  std::string name;   // "industries"
  std::string label;  // "Industries"
  std::vector<definitions::FieldOption> entries;
  bool built_in = false;  // one of the five; deleting it restores the defaults
  bool defined = false;   // put by an administrator (else the built-in defaults)

  boost::json::object ToJson() const;
};

class CrmSchema {
 public:
  static constexpr std::string_view kEntities[] = {"customer", "contact", "activity"};

  CrmSchema(storage::Store& store, audit::AuditLog& audit, const Clock& clock);

  // Defines or replaces dictionary `name` from {"label", "entries": ["it", {"value",
  // "label"}, ...]}. Errors: kValidationFailed naming the property (entries[2].value: used
  // twice, ...).
  Result<Dictionary> PutDictionary(std::string_view name, const boost::json::object& body,
                                   const audit::Actor& actor);
  // Errors: kNotFound.
  Result<Dictionary> GetDictionary(std::string_view name) const;
  // The built-in ones and those defined, by name.
  Result<std::vector<Dictionary>> Dictionaries() const;
  // Removes a defined dictionary (a built-in one goes back to its defaults). Errors:
  // kNotFound; kConflict while a custom field names it.
  Result<void> DeleteDictionary(std::string_view name, const audit::Actor& actor);
  // The entries of `name`, or nullptr when there is no such dictionary.
  Entries EntriesOf(std::string_view name) const;

  // Replaces the custom fields of `entity` (customer, contact, activity) with `fields`, a
  // list of typed-field declarations. Errors: kInvalidArgument (entity), kValidationFailed
  // (fields[i].type, a dictionary that does not exist, ...).
  Result<Fields> PutCustomFields(std::string_view entity, const boost::json::value& fields,
                                 const audit::Actor& actor);
  // Never null (empty when none are declared).
  Fields CustomFields(std::string_view entity) const;

  // How typed fields are checked in the CRM: dictionaries resolved here.
  definitions::FieldCheck Check(std::string prefix, bool read_text) const;

  // Checks `values` against `fields` (prefix names them in errors: "customFields.") and
  // returns the checked copy; a problem with a value the record held unchanged in `before`
  // is not reported (see above; `before` is nullptr for a new record). Unknown names are
  // refused.
  boost::json::object CheckValues(const std::vector<definitions::Field>& fields,
                                  const boost::json::object& values,
                                  const boost::json::object* before, const std::string& prefix,
                                  bool read_text, std::vector<ErrorDetail>& problems) const;

  // The `customFields` of a record's JSON (`fields`) checked against `entity`'s custom
  // fields (CheckValues with the prefix "customFields."); `before`: the record's as stored,
  // nullptr for a new one. Text is read as numbers and booleans (imports).
  boost::json::object CheckCustomFields(std::string_view entity, const boost::json::object& fields,
                                        const boost::json::object* before,
                                        std::vector<ErrorDetail>& problems) const;

 private:
  Result<std::optional<Dictionary>> ReadDictionary(std::string_view name) const;

  storage::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  mutable std::mutex mu_;
  mutable std::map<std::string, Entries, std::less<>> entries_;  // cached, null: none
  mutable std::map<std::string, Fields, std::less<>> fields_;    // cached
};

}  // namespace quire::crm
