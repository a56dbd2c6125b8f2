// Diagnostic: one finding about a definition file, located so an editor can jump to it.
#pragma once

#include <string>
#include <vector>

namespace quire::definitions {

enum class Severity {
  kError,    // the file cannot be deployed
  kWarning,  // worth a look; does not block deployment
};

struct Location {
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based, in bytes
};

struct Diagnostic {
  Severity severity = Severity::kError;
  Location where;
  std::string element_id;  // the element concerned, when there is one
  std::string message;
};

// "file:line:col: error: message", the format compilers use (editors jump to it).
std::string FormatDiagnostic(const std::string& file, const Diagnostic& d);

bool HasErrors(const std::vector<Diagnostic>& diagnostics);

}  // namespace quire::definitions
