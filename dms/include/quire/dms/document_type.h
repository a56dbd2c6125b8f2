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
// Fields are typed fields (quire/definitions/typed_fields.h: string, number, long, boolean,
// date, datetime, time, enum, multiselect, reference), checked as forms and the CRM's custom
// fields are. "retention.keep" is an
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
#include "quire/definitions/typed_fields.h"

namespace quire::dms {

// A metadata field: a typed field, declared and checked as every typed field in Quire is.
using FieldSpec = definitions::Field;

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
// wrong kind (numbers and booleans may come as text). Returns the normalised metadata
// (numbers as doubles or integers, dates as YYYY-MM-DD). Errors: kValidationFailed naming each
// field ("metadata.value: ...").
// `dictionaries` gives the entries of the dictionaries fields name (unset: none).
Result<boost::json::object> ValidateMetadata(
    const DocumentType& type, const boost::json::object& metadata,
    const decltype(definitions::FieldCheck::dictionary)& dictionaries = {});

// Days since 1970-01-01 of a YYYY-MM-DD date. Errors: kInvalidArgument.
Result<std::int64_t> ParseDay(std::string_view text);

// Until when a document of `type` created at `created` with `metadata` must be kept:
// nullopt when the type keeps nothing, or the date field it counts from is empty (kept
// until set: returned as Timestamp::max()).
std::optional<Timestamp> RetainUntil(const DocumentType& type, Timestamp created,
                                     const boost::json::object& metadata);

}  // namespace quire::dms
