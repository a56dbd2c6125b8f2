// Camunda Forms (form-js) schemas: the JSON that Camunda Modeler's form editor saves
// (.form files), deployed on their own or embedded in a model with zeebe:userTaskForm.
// Quire reads the fields a completion must satisfy; the browser renders the schema itself.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "quire/base/result.h"
#include "quire/definitions/model.h"

namespace quire::definitions {

struct CamundaForm {
  std::string id;  // the schema's "id": what camunda:formRef / zeebe:formDefinition formId name
  std::vector<FormField> fields;
};

// Components and what completion checks of them:
//   textfield, textarea           text: validate.required, minLength, maxLength, pattern,
//                                  validationType email | phone
//   number                         a number: required, min, max
//   checkbox                       true or false
//   select, radio                  one of `values` (unless the values come from a variable)
//   checklist, taglist             a list of `values`
//   datetime                       subtype date (2026-12-24), time (09:30) or datetime
//   group                          its components, under `path` when it has one
//   dynamiclist                    a list (at `path`) of rows, each checked against its
//                                  components
// Components without a key (text, spacer, button, image, html...) hold no data; an
// `expression` field is computed by the form and not checked. Errors: kValidationFailed
// with one detail per problem ("components[3]" → what is wrong).
Result<CamundaForm> ReadCamundaForm(std::string_view json);

}  // namespace quire::definitions
