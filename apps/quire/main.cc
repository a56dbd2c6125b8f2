// quire: the command-line entry point. Dispatches to the subcommands in commands.h.
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "commands.h"

namespace {

constexpr std::string_view kOverview =
    R"(quire — workflow and document-management engine with an embedded CRM

Usage: quire <command> [options]

Commands:
  serve     run the HTTP server on an embedded store (quire help serve)
  validate  check BPMN 2.0 files: file:line:col: error|warning: message
  deploy    deploy BPMN files into a store as new process versions
  start     start an instance of a deployed process in a store
  run       run a BPMN file headless and print its trail (a designer's test run)
  incidents list the open incidents of a store, or retry one
  tasks     list an inbox, or claim, complete, delegate... a task (--as USER)
  org       import users and groups from CSV, list them
  crm       import customers, contact persons and activities (CSV, vCard)
  user      add users, set passwords and roles, disable them (a stopped data directory)
  token     create, list and revoke API tokens (a stopped data directory)
  doc       store, fetch, check out, link and search documents (--as USER)
  audit     export the audit chain, verify an export offline, publish heads, prove entries
  version   print the version
  help      show this overview, or a command's options: quire help <command>

Options:
  --version   print the version
  --help      show this overview
)";

void PrintVersion() { std::cout << "quire " << QUIRE_VERSION << "\n"; }

int Help(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cout << kOverview;
    return quire::app::kExitOk;
  }
  if (args[0] == "serve") {
    std::cout << quire::app::ServeUsage();
    return quire::app::kExitOk;
  }
  if (args[0] == "deploy") {
    std::cout << quire::app::DeployUsage();
    return quire::app::kExitOk;
  }
  if (args[0] == "validate") {
    std::cout << quire::app::ValidateUsage();
    return quire::app::kExitOk;
  }
  if (args[0] == "run") {
    std::cout << quire::app::RunUsage();
    return quire::app::kExitOk;
  }
  if (args[0] == "tasks") {
    std::cout << quire::app::TasksUsage();
    return quire::app::kExitOk;
  }
  if (args[0] == "audit") {
    std::cout << quire::app::AuditUsage();
    return quire::app::kExitOk;
  }
  if (args[0] == "doc") {
    std::cout << quire::app::DocUsage();
    return quire::app::kExitOk;
  }
  if (args[0] == "crm") {
    std::cout << quire::app::CrmUsage();
    return quire::app::kExitOk;
  }
  if (args[0] == "org") {
    std::cout << quire::app::OrgUsage();
    return quire::app::kExitOk;
  }
  if (args[0] == "user") {
    std::cout << quire::app::UserUsage();
    return quire::app::kExitOk;
  }
  if (args[0] == "token") {
    std::cout << quire::app::TokenUsage();
    return quire::app::kExitOk;
  }
  if (args[0] == "incidents") {
    std::cout << quire::app::IncidentsUsage();
    return quire::app::kExitOk;
  }
  if (args[0] == "start") {
    std::cout << quire::app::StartUsage();
    return quire::app::kExitOk;
  }
  if (args[0] == "version" || args[0] == "help") {
    std::cout << kOverview;
    return quire::app::kExitOk;
  }
  std::cerr << "quire: no help for unknown command '" << args[0] << "'; run 'quire help'\n";
  return quire::app::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kOverview;
    return quire::app::kExitUsage;
  }
  const std::string command = args.front();
  args.erase(args.begin());

  if (command == "--version" || command == "version") {
    PrintVersion();
    return quire::app::kExitOk;
  }
  if (command == "--help" || command == "-h" || command == "help") return Help(args);
  if (command == "serve") return quire::app::RunServe(args);
  if (command == "audit") return quire::app::RunAudit(args);
  if (command == "validate") return quire::app::RunValidate(args);
  if (command == "deploy") return quire::app::RunDeploy(args);
  if (command == "run") return quire::app::RunRun(args);
  if (command == "start") return quire::app::RunStart(args);
  if (command == "incidents") return quire::app::RunIncidents(args);
  if (command == "tasks") return quire::app::RunTasks(args);
  if (command == "org") return quire::app::RunOrg(args);
  if (command == "crm") return quire::app::RunCrm(args);
  if (command == "user") return quire::app::RunUser(args);
  if (command == "token") return quire::app::RunToken(args);
  if (command == "doc") return quire::app::RunDoc(args);

  std::cerr << "quire: unknown command '" << command << "'; run 'quire help' for the list\n";
  return quire::app::kExitUsage;
}
