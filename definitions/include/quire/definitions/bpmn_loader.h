// Loading BPMN 2.0 XML: read, check, and hand out an immutable model.
//
// LoadBpmn reads the file (pugixml, every element located by line and column), refuses
// what cannot be safely or faithfully loaded (malformed XML, a root outside the BPMN
// namespace, DOCTYPE/entity declarations, duplicate ids), reports every element whose
// execution semantics Quire does not implement ("... is not supported by Quire"), and
// checks references and the rules of gateways and events. It never throws, never resolves
// an external entity, and never returns a partly loaded model: with any error,
// `definitions` is null.
//
// Processes marked isExecutable="false" are loaded for display only: what would be an
// error in them is reported as a warning, since they never run.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "quire/definitions/diagnostic.h"
#include "quire/definitions/model.h"

namespace quire::definitions {

// The namespaces Quire reads.
inline constexpr std::string_view kBpmnNamespace = "http://www.omg.org/spec/BPMN/20100524/MODEL";
inline constexpr std::string_view kQuireNamespace = "urn:quire:bpmn:1.0";
inline constexpr std::string_view kCamundaNamespace = "http://camunda.org/schema/1.0/bpmn";
inline constexpr std::string_view kZeebeNamespace = "http://camunda.org/schema/zeebe/1.0";

struct LoadResult {
  std::shared_ptr<const Definitions> definitions;  // null when there is an error
  std::vector<Diagnostic> diagnostics;             // errors and warnings, by position

  bool ok() const { return definitions != nullptr; }
};

// What the engine that will run the file does, for the checks that depend on it.
struct LoadOptions {
  // Task types (zeebe:taskDefinition type, quire:connector type) whose connector runs
  // inside the engine's step instead of as a job (noop, set-variables). A task of such a
  // type is not a wait state, so a loop through it alone spins. Empty: every task waits.
  std::set<std::string, std::less<>> inline_task_types;
};

LoadResult LoadBpmn(std::string_view xml, const LoadOptions& options = {});

}  // namespace quire::definitions
