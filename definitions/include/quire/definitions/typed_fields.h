// Typed fields: one declaration and one check for the values people type into Quire — a
// task's form fields, a document type's metadata, the CRM's custom fields. Whatever declares
// them (a BPMN form, a Camunda Forms schema, a document type, an administrator's custom
// field), a value is checked by the same rules with the same messages.
//
// Declared as JSON (document types, custom fields):
//   {"name": "value", "label": "Value", "type": "number", "required": true, "min": 0}
//   {"name": "status", "type": "enum", "values": ["draft", "signed"]}
//   {"name": "industry", "type": "enum", "dictionary": "industries"}
//   {"name": "customer", "type": "reference", "ref": "customer"}
// Types: string, number, long (a whole number; "integer" is read as long), boolean, date
// (YYYY-MM-DD), datetime (ISO 8601 with a zone), time (09:30), enum (one of `values`, or of a
// dictionary's entries), multiselect (a list of them), reference (the id of a record of kind
// `ref`); forms add list (rows of fields). Rules: required, readOnly, min/max,
// minLength/maxLength, pattern (RE2; like Camunda Forms the value must contain a match:
// anchor with ^...$ for the whole value).
//
// Thread-safety: pure functions.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quire/base/error.h"
#include "quire/base/result.h"

namespace quire::definitions {

struct FieldOption {
  std::string value;
  std::string label;
};

struct Field {
  std::string name;  // "contact.name": the member "name" of the object "contact"
  std::string label;
  // string, number, long, boolean, date, time, datetime, enum, multiselect, reference, list
  std::string type = "string";
  bool required = false;
  bool read_only = false;
  std::optional<double> min;  // numbers: smallest allowed
  std::optional<double> max;  // numbers: largest allowed
  std::optional<std::int64_t> min_length;
  std::optional<std::int64_t> max_length;
  std::string pattern;               // RE2 the value must contain a match of
  std::vector<FieldOption> options;  // enum, multiselect: the allowed values
  std::string dictionary;            // enum, multiselect: the allowed values are its entries
  std::string ref;                   // reference: the kind of record ("customer", "offer")
  std::string default_value;
  std::vector<Field> rows;  // list: the fields of each row
};

// Reads a JSON list of declarations; problems are appended as {"<at>[i].<property>", why}.
std::vector<Field> ParseFields(const boost::json::value& list, const std::string& at,
                               std::vector<ErrorDetail>& problems);
// The declarations as ParseFields reads them.
boost::json::array FieldsToJson(const std::vector<Field>& fields);
const Field* FindField(const std::vector<Field>& fields, std::string_view name);

struct FieldCheck {
  std::string prefix;  // before each field's name in errors: "metadata.", "customFields."
  // What declares the fields, for messages: "document type 'contract'".
  std::string owner;
  // A value the fields do not declare is refused (naming the declared ones), or else kept.
  bool refuse_unknown = false;
  // Numbers and booleans may come as text ("1200.50", "true"), as CSV files and command
  // lines send them; the checked copy holds the number.
  bool read_text = false;
  // The entries of a dictionary, or nullptr when there is none of that name.
  std::function<std::shared_ptr<const std::vector<FieldOption>>(std::string_view name)> dictionary;
};

// Checks `data` against `fields`: one detail per offending field ({prefix + name, why}),
// appended to `problems`. Returns the checked copy: numbers as integers when whole, dates
// as YYYY-MM-DD, values a field does not declare kept unless refused, null and "" dropped.
boost::json::object CheckFields(const std::vector<Field>& fields, const boost::json::object& data,
                                const FieldCheck& check, std::vector<ErrorDetail>& problems);

// What is wrong with a present value of `f`, or "" (list rows add their problems to
// `problems` under `at`).
std::string CheckValue(const Field& f, const boost::json::value& v, const std::string& at,
                       const FieldCheck& check, std::vector<ErrorDetail>& problems);

// Sets `value` at the path `name`: "contact.name" is the member "name" of the object
// "contact" (made when missing), unless `data` holds the flat key "contact.name".
void SetFieldValue(boost::json::object& data, std::string_view name, boost::json::value value);

// Absent, null, "" and [] are missing values.
bool MissingValue(const boost::json::value* v);

}  // namespace quire::definitions
