// Server-side validation of the data a user submits to complete a task against the task's
// form (definitions::FormField: Quire fields, Camunda 7 form fields, Camunda Forms).
#pragma once

#include <boost/json/object.hpp>
#include <vector>

#include "quire/base/result.h"
#include "quire/definitions/model.h"
#include "quire/definitions/typed_fields.h"

namespace quire::workflow {

// Ok, or kValidationFailed with one detail per offending field ({field, message}), by the
// rules every typed field follows (quire/definitions/typed_fields.h): required, read-only,
// type, min/max, lengths, pattern, options; "contact.name" is the member "name" of the
// object "contact" (Camunda Forms groups); list rows are checked one by one
// ("lines[2].qty"). Fields the form does not name pass through.
Result<void> ValidateForm(const std::vector<definitions::FormField>& fields,
                          const boost::json::object& data, const std::string& task_name);

}  // namespace quire::workflow
