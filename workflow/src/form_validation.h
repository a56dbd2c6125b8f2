// Server-side validation of the data a user submits to complete a task against the task's
// form (definitions::FormField: Quire fields, Camunda 7 form fields, Camunda Forms).
#pragma once

#include <boost/json/object.hpp>
#include <vector>

#include "quire/base/result.h"
#include "quire/definitions/model.h"

namespace quire::workflow {

// Ok, or kValidationFailed with one detail per offending field ({field, message}).
// Rules: required (absent, null or "" is missing), read-only, type (string, number, long,
// boolean, date, time, datetime, enum, multiselect, list), min/max, minLength/maxLength,
// pattern (RE2; like Camunda Forms, the value must contain a match: anchor with ^...$ for
// the whole value) and options. "contact.name" is the member "name" of the object "contact"
// (Camunda Forms groups); list rows are checked one by one ("lines[2].qty"). Fields the form
// does not name pass through.
Result<void> ValidateForm(const std::vector<definitions::FormField>& fields,
                          const boost::json::object& data, const std::string& task_name);

}  // namespace quire::workflow
