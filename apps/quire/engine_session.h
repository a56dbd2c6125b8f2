// Opening a data directory for a one-shot CLI command (deploy, start, tasks, org, doc,
// incidents, audit): the services of services/, with jobs not run here ('quire serve' runs
// them). Prints why it could not open.
#pragma once

#include <pwd.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>

#include "quire/services/services.h"

namespace quire::app {

// Prints an error with its details, one per line.
inline void PrintError(const std::string& command, const Error& e) {
  std::cerr << "quire " << command << ": " << e.message() << "\n";
  for (const ErrorDetail& d : e.details()) {
    std::cerr << "  " << d.field << ": " << d.message << "\n";
  }
}

// The actor of a command run directly on the data dir (local administration): the name
// given with --as (when the command takes one) and, as how they came in, the operating-
// system user running it — "local (root)". Without --as the OS user stands for both.
inline audit::Actor LocalActor(const std::string& as) {
  std::string os = "unknown";
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    os = pw->pw_name;
  }
  return {as.empty() ? "local:" + os : as, "local (" + os + ")"};
}

struct SessionOptions {
  bool create = false;  // create the store when absent
  bool search = false;  // open the document search index
  // Said when another process holds the store (a running server): what to use instead.
  std::string busy_hint = "use its HTTP API instead";
};

// Null (after printing why, naming `command`) when the data directory cannot be opened.
inline std::unique_ptr<services::Services> OpenSession(const std::string& command,
                                                       const std::string& data_dir,
                                                       const SessionOptions& session = {}) {
  services::ServicesOptions options;
  options.create_if_missing = session.create;
  options.search = session.search;
  options.engine.run_jobs = false;
  auto opened = services::Services::Open(data_dir, options);
  if (!opened) {
    PrintError(command, opened.error());
    if (opened.error().code() == ErrorCode::kUnavailable) {
      std::cerr << "quire " << command << ": if 'quire serve' is running there, "
                << session.busy_hint << "\n";
    }
    return nullptr;
  }
  return std::move(*opened);
}

}  // namespace quire::app
