// Values that a task form accepts, made from the form's own declaration: what
// `quire run --complete-tasks auto` submits, so that a process can be tried end to end
// without writing a script.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/definitions/model.h"

namespace quire::workflow {

// One value for every field that is not read-only, chosen so that the form's checks pass:
// the field's default value when it has a valid one; else the first option (enum,
// multiselect), true (boolean), the smallest allowed number (or 1), `now` as a date,
// date-time or time, "auto" stretched or cut to the length bounds, one sample row (list).
// "contact.name" is set as the member "name" of the object "contact".
// Errors: kValidationFailed with one detail per required field that cannot be filled this
// way (a pattern that none of the tried values matches, bounds that contradict), saying to
// give the value in a script; optional fields that cannot be filled are left out.
Result<boost::json::object> SampleFormValues(const std::vector<definitions::FormField>& fields,
                                             Timestamp now, const std::string& task_name);

}  // namespace quire::workflow
