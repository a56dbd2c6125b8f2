// quire validate FILE... [--json]: loads BPMN files and reports every finding.
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "quire/base/json_text.h"
#include "quire/definitions/bpmn_loader.h"
#include "quire/workflow/connector.h"

namespace quire::app {
namespace {

using definitions::Diagnostic;
using definitions::LoadResult;
using definitions::Severity;

struct Checked {
  std::string file;
  LoadResult result;
};

Checked Check(const std::string& file) {
  Checked checked{file, {}};
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    checked.result.diagnostics.push_back(
        {Severity::kError, {}, "", "cannot read the file: " + std::string(std::strerror(errno))});
    return checked;
  }
  std::ostringstream content;
  content << in.rdbuf();
  // Checked as the engine will run it: a loop through tasks whose connector runs inline
  // (noop, set-variables) is a loop without a wait state.
  static const definitions::LoadOptions options{
      workflow::ConnectorRegistry::WithBuiltins().InlineTypes()};
  checked.result = definitions::LoadBpmn(content.str(), options);
  return checked;
}

boost::json::object ToJson(const Checked& c) {
  boost::json::array diagnostics;
  for (const Diagnostic& d : c.result.diagnostics) {
    diagnostics.push_back({{"severity", d.severity == Severity::kError ? "error" : "warning"},
                           {"line", d.where.line},
                           {"column", d.where.column},
                           {"elementId", d.element_id},
                           {"message", d.message}});
  }
  boost::json::array processes;
  if (c.result.definitions) {
    for (const definitions::Process& p : c.result.definitions->processes) {
      processes.push_back({{"id", p.id},
                           {"name", p.name},
                           {"executable", p.executable},
                           {"elements", p.elements.size()},
                           {"flows", p.flows.size()}});
    }
  }
  return {{"file", c.file},
          {"valid", c.result.ok()},
          {"processes", processes},
          {"diagnostics", diagnostics}};
}

}  // namespace

std::string ValidateUsage() {
  return "Usage: quire validate [--json] FILE...\n\n"
         "Loads BPMN 2.0 files and reports every problem as file:line:col: error|warning: "
         "message.\nExits 0 when no file has an error (warnings allowed), 1 otherwise.\n\n"
         "Options:\n  --json   one JSON document on stdout instead of lines\n";
}

int RunValidate(const std::vector<std::string>& args) {
  bool json = false;
  std::vector<std::string> files;
  for (const std::string& a : args) {
    if (a == "--json") {
      json = true;
    } else if (a == "--help" || a == "-h") {
      std::cout << ValidateUsage();
      return kExitOk;
    } else if (a.starts_with("--")) {
      std::cerr << "quire validate: unknown option '" << a << "'; see 'quire help validate'\n";
      return kExitUsage;
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    std::cerr << "quire validate: name at least one BPMN file; see 'quire help validate'\n";
    return kExitUsage;
  }

  bool any_error = false;
  std::size_t errors = 0;
  std::size_t warnings = 0;
  boost::json::array report;
  for (const std::string& file : files) {
    const Checked checked = Check(file);
    any_error = any_error || !checked.result.ok();
    for (const Diagnostic& d : checked.result.diagnostics) {
      (d.severity == Severity::kError ? errors : warnings) += 1;
      if (!json) std::cout << definitions::FormatDiagnostic(file, d) << "\n";
    }
    if (json) report.push_back(ToJson(checked));
  }
  if (json) {
    std::cout << quire::JsonText(boost::json::object{{"valid", !any_error}, {"files", report}})
              << "\n";
  } else {
    std::cerr << files.size() << (files.size() == 1 ? " file" : " files") << " checked: " << errors
              << (errors == 1 ? " error, " : " errors, ") << warnings
              << (warnings == 1 ? " warning" : " warnings") << "\n";
  }
  return any_error ? kExitFailure : kExitOk;
}

}  // namespace quire::app
