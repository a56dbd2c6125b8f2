// Camunda 7's typed variables, {"name": {"value": ..., "type": "Boolean", "valueInfo": {}}},
// beside Quire's plain JSON variables {"name": true}. Camunda users and clients send the
// typed form to start processes and complete tasks; Quire stores plain JSON.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "quire/base/result.h"

namespace quire::workflow {

// Whether `v` is a Camunda typed value: an object with a string "type" naming one of
// Camunda's value types (String, Boolean, Integer, Long, Short, Double, Date, Json, Object,
// Null, Bytes, File; any case) and no members but "value", "type" and "valueInfo".
bool IsCamundaTyped(const boost::json::value& v);

// One typed value as plain JSON (without a "type", its value as it is). Numbers and booleans may
// come as text ("5", "true"), as Camunda accepts them; Json and Object values hold JSON text, which
// is parsed; a Date stays its text. Errors (kInvalidArgument, naming `name`): a value that does not
// fit its type, and Bytes or File, which belong in the DMS.
Result<boost::json::value> FromCamundaTyped(std::string_view name,
                                            const boost::json::object& typed);

// Variables as sent: each value that IsCamundaTyped is converted, the others are kept as
// they are, so one request may mix both forms. (To store an object that looks typed as it
// is, send it typed: {"type": "Json", "value": "{...}"}.)
Result<boost::json::object> PlainVariables(const boost::json::object& variables);

// Plain JSON → Camunda typed value: Null, Boolean, Integer (or Long beyond 32 bits),
// Double, String, or Json (its text) for objects and arrays.
boost::json::object CamundaTyped(const boost::json::value& v);
boost::json::object CamundaTypedVariables(const boost::json::object& variables);

}  // namespace quire::workflow
