// Internal: schema validation of Quire's extension elements with libxml2.
#pragma once

#include <string_view>

#include "reader.h"

namespace quire::definitions::internal {

// The text of definitions/schema/quire-bpmn.xsd, compiled into the library.
extern const char kQuireSchemaXsd[];

// Validates every quire:* element of `xml` against the Quire schema, and every quire:*
// attribute on BPMN elements against the attributes it declares; reports each problem
// with line and column. Does nothing (and costs nothing) when the file does not use the
// Quire namespace. REQUIRES: the XML was read successfully and holds no DOCTYPE.
void CheckQuireSchema(std::string_view xml, Findings& findings);

}  // namespace quire::definitions::internal
