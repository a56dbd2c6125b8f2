// Internal: the XML-reading and checking stages behind LoadBpmn.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "quire/definitions/bpmn_loader.h"
#include "quire/definitions/diagnostic.h"
#include "quire/definitions/model.h"

namespace quire::definitions::internal {

// Collects diagnostics; inside a non-executable process, errors become warnings.
class Findings {
 public:
  void Error(Location where, std::string element_id, std::string message);
  void Warning(Location where, std::string element_id, std::string message);
  // Findings about a process that never runs are warnings, not errors.
  void SetLenient(bool lenient) { lenient_ = lenient; }

  std::vector<Diagnostic> Take();
  bool has_errors() const { return has_errors_; }

  // An element or flow whose content could not be read (a bad expression, a language
  // Quire does not run) is marked broken, so rules that depend on that content do not add
  // a second, misleading error about it.
  void MarkBroken(const std::string& id) { broken_.insert(id); }
  bool IsBroken(const std::string& id) const { return broken_.contains(id); }

 private:
  std::unordered_set<std::string> broken_;
  std::vector<Diagnostic> list_;
  bool lenient_ = false;
  bool has_errors_ = false;
};

// Reads the XML into `out`. Reports syntax, namespace, XXE, duplicate-id, unsupported-element
// and unresolved-reference problems. Returns false when the document could not be read at
// all (nothing useful is in `out`).
bool ReadDefinitions(std::string_view xml, Definitions& out, Findings& findings);

// Rules of gateways, events and activities on a model that was read.
void CheckRules(const Definitions& definitions, Findings& findings);

// Reachability, termination, spinning loops and deadlocking joins of executable processes.
// REQUIRES: the model has no reference errors (the graph would be noise otherwise).
void CheckGraphs(const Definitions& definitions, const LoadOptions& options, Findings& findings);

}  // namespace quire::definitions::internal
