// Document types: the metadata fields a kind of document carries, and how long it is kept.
//
// Declared as JSON (`quire doc type put contract.json`, PUT /api/document-types/{id}):
//   {"id": "contract", "name": "Contract",
//    "fields": [
//      {"name": "customer", "type": "reference", "ref": "customer", "required": true},
//      {"name": "value",    "type": "number", "min": 0},
//      {"name": "signed",   "type": "date"},
//      {"name": "status",   "type": "enum", "values": ["draft", "signed", "void"]},
//      {"name": "note",     "type": "string", "maxLength": 500}],
//    "retention": {"keep": "P10Y", "from": "signed"}}
//
// Field types: string, number, date (YYYY-MM-DD), enum (one of "values"), reference (the
// id of a record of kind "ref": customer, offer, instance, task, ...). "retention.keep" is an
// ISO 8601 duration counted from the document's creation ("from": "created", the default)
// or from one of its date fields; a document whose date field is empty is kept until it is
// set. Metadata is checked against its type on every write, with one error per field.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/definitions/iso8601.h"

namespace quire::dms {

enum class FieldType { kString, kNumber, kDate, kEnum, kReference };

const char* FieldTypeName(FieldType t);

struct FieldSpec {
  std::string name;
  std::string label;
  FieldType type = FieldType::kString;
  bool required = false;
  std::vector<std::string> values;  // enum
  std::string ref;                  // reference: the kind of record
  std::optional<double> min;        // number
  std::optional<double> max;
  std::optional<std::size_t> max_length;  // string
};

struct RetentionRule {
  definitions::Duration keep;
  std::string keep_text;         // as declared, e.g. "P10Y"
  std::string from = "created";  // "created" or a date field
};

struct DocumentType {
  std::string id;
  std::string name;
  std::vector<FieldSpec> fields;
  std::optional<RetentionRule> retention;

  const FieldSpec* Field(std::string_view field) const;
  boost::json::object ToJson() const;
};

// Reads a declaration. Errors: kValidationFailed with one detail per problem.
Result<DocumentType> ParseDocumentType(const boost::json::value& v);

// Checks `metadata` against `type`: unknown fields, missing required ones, values of the
// wrong kind. Returns the normalised metadata (numbers as doubles or integers, dates as
// YYYY-MM-DD). Errors: kValidationFailed naming each field ("metadata.value: ...").
Result<boost::json::object> ValidateMetadata(const DocumentType& type,
                                             const boost::json::object& metadata);

// Days since 1970-01-01 of a YYYY-MM-DD date. Errors: kInvalidArgument.
Result<std::int64_t> ParseDay(std::string_view text);

// Until when a document of `type` created at `created` with `metadata` must be kept:
// nullopt when the type keeps nothing, or the date field it counts from is empty (kept
// until set: returned as Timestamp::max()).
std::optional<Timestamp> RetainUntil(const DocumentType& type, Timestamp created,
                                     const boost::json::object& metadata);

}  // namespace quire::dms
