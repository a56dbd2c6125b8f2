#include "quire/definitions/bpmn_loader.h"

#include "reader.h"
#include "schema_check.h"

namespace quire::definitions {

LoadResult LoadBpmn(std::string_view xml, const LoadOptions& options) {
  internal::Findings findings;
  auto definitions = std::make_shared<Definitions>();
  LoadResult result;
  if (internal::ReadDefinitions(xml, *definitions, findings)) {
    internal::CheckQuireSchema(xml, findings);
    internal::CheckRules(*definitions, findings);
    // Every problem of a file in one run: the graph is checked even when rules failed (it
    // stands broken references aside, so they are not reported twice).
    internal::CheckGraphs(*definitions, options, findings);
    if (!findings.has_errors()) {
      definitions->source.assign(xml);
      result.definitions = std::move(definitions);
    }
  }
  result.diagnostics = findings.Take();
  return result;
}

}  // namespace quire::definitions
