// quire deploy [--data-dir DIR] FILE...: deploys BPMN files and Camunda forms into a store
// directly.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "engine_session.h"
#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/definitions/iso8601.h"
#include "quire/definitions/repository.h"
#include "quire/storage/store.h"
#include "quire/workflow/engine.h"

namespace quire::app {

std::string DeployUsage() {
  return "Usage: quire deploy [--data-dir DIR] [--history-time-to-live DURATION] FILE...\n\n"
         "Deploys BPMN 2.0 files into the store in DIR (default quire-data): every executable\n"
         "process gets a new version, unless the file is the one its latest version came from.\n"
         "Timer, message and signal start events of the new versions are armed.\n"
         "Camunda forms (.form files, JSON) are deployed too, before the models, as a new\n"
         "version of the form their \"id\" names; tasks use them through camunda:formRef or\n"
         "zeebe:formDefinition formId.\n"
         "--history-time-to-live P30D (as ?historyTimeToLive= over HTTP) keeps ended instances' "
         "history of these processes that long (it\n"
         "wins over the model's historyTimeToLive).\n"
         "While 'quire serve' runs on the same directory, deploy through it instead:\n"
         "  curl --data-binary @order.bpmn -H 'Content-Type: application/xml' \\\n"
         "       'http://127.0.0.1:8080/api/deployments?name=order.bpmn'\n";
}

int RunDeploy(const std::vector<std::string>& args) {
  std::string data_dir = "quire-data";
  std::vector<std::string> files;
  std::optional<definitions::Duration> history_ttl;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::cout << DeployUsage();
      return kExitOk;
    }
    if (args[i] == "--data-dir") {
      if (i + 1 >= args.size()) {
        std::cerr << "quire deploy: --data-dir needs a directory\n";
        return kExitUsage;
      }
      data_dir = args[++i];
    } else if (args[i] == "--history-time-to-live" || args[i] == "--history-ttl") {
      auto d = i + 1 < args.size() ? definitions::ParseDuration(args[i + 1])
                                   : Result<definitions::Duration>(Error::InvalidArgument(""));
      if (!d) {
        std::cerr
            << "quire deploy: --history-time-to-live needs an ISO 8601 duration such as P30D\n";
        return kExitUsage;
      }
      history_ttl = *d;
      ++i;
    } else if (args[i].starts_with("--")) {
      std::cerr << "quire deploy: unknown option '" << args[i] << "'; see 'quire help deploy'\n";
      return kExitUsage;
    } else {
      files.push_back(args[i]);
    }
  }
  if (files.empty()) {
    std::cerr << "quire deploy: name at least one BPMN file; see 'quire help deploy'\n";
    return kExitUsage;
  }

  auto session = OpenSession(
      "deploy", data_dir,
      {.create = true, .busy_hint = "deploy with POST /api/deployments (see 'quire help deploy')"});
  if (!session) return kExitFailure;
  definitions::DefinitionRepository& repository = session->repository();
  workflow::Engine* engine = &session->engine();
  // Forms first: a model deployed with them binds to them ("deployment" binding).
  const auto is_form = [](const std::string& f) { return f.ends_with(".form"); };
  std::stable_partition(files.begin(), files.end(), is_form);
  bool failed = false;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::cout << file << ": error: cannot read the file: " << std::strerror(errno) << "\n";
      failed = true;
      continue;
    }
    std::ostringstream content;
    content << in.rdbuf();
    const std::string name = file.substr(file.find_last_of('/') + 1);
    auto report = [&](const Error& e) {
      failed = true;
      if (e.details().empty()) std::cout << file << ": error: " << e.message() << "\n";
      for (const ErrorDetail& d : e.details()) {
        std::cout << file << ":" << d.field << ": error: " << d.message << "\n";
      }
    };
    if (is_form(file)) {
      auto form = repository.DeployForm(content.str(), name, SystemClock::Instance().Now());
      if (!form) {
        report(form.error());
        continue;
      }
      std::cout << file << ": form '" << form->form_id << "' version " << form->version
                << (form->is_new ? " deployed" : " unchanged") << "\n";
      continue;
    }
    auto deployed = engine->Deploy(content.str(), name, LocalActor(""), history_ttl);
    if (!deployed) {
      report(deployed.error());
      continue;
    }
    for (const definitions::ProcessVersion& v : deployed->processes) {
      std::cout << file << ": process '" << v.process_id << "' version " << v.version
                << (v.is_new ? " deployed" : " unchanged") << "\n";
    }
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace quire::app
