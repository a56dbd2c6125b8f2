// Opening the engine on a data directory for a one-shot CLI command (deploy, start, tasks,
// org, incidents): jobs are not run here, 'quire serve' runs them.
#pragma once

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "dms_services.h"
#include "quire/base/clock.h"
#include "quire/definitions/repository.h"
#include "quire/storage/store.h"
#include "quire/workflow/engine.h"

namespace quire::app {

struct EngineSession {
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<DocumentServices> services;  // audit chain, documents (search when asked)
  std::unique_ptr<definitions::DefinitionRepository> repository;
  // On the heap: the engine keeps a reference to it, and the session is moved.
  std::unique_ptr<workflow::ConnectorRegistry> connectors =
      std::make_unique<workflow::ConnectorRegistry>(workflow::ConnectorRegistry::WithBuiltins());
  std::unique_ptr<workflow::Engine> engine;

  // Prints why it could not open (naming `command`) and returns nullopt.
  static std::optional<EngineSession> Open(const std::string& command, const std::string& data_dir,
                                           bool create = false, bool search = false) {
    EngineSession s;
    auto store = storage::Store::Open(data_dir, {.create_if_missing = create});
    if (!store) {
      std::cerr << "quire " << command << ": cannot open the store: " << store.error().message()
                << "\n";
      if (store.error().code() == ErrorCode::kUnavailable) {
        std::cerr << "quire " << command
                  << ": if 'quire serve' is running there, use its HTTP API instead\n";
      }
      return std::nullopt;
    }
    s.store = std::move(*store);
    DocumentServicesOptions dms_options;
    dms_options.search = search;
    auto services = DocumentServices::Open(*s.store, data_dir, dms_options);
    if (!services) {
      std::cerr << "quire " << command << ": " << services.error().message() << "\n";
      return std::nullopt;
    }
    s.services = std::move(*services);
    s.repository = std::make_unique<definitions::DefinitionRepository>(*s.store);
    workflow::EngineOptions options;
    options.run_jobs = false;
    s.services->Wire(options, *s.connectors);
    auto engine = workflow::Engine::Open(*s.store, *s.repository, SystemClock::Instance(),
                                         *s.connectors, options);
    if (!engine) {
      std::cerr << "quire " << command << ": " << engine.error().message() << "\n";
      return std::nullopt;
    }
    s.engine = std::move(*engine);
    s.services->engine = s.engine.get();
    return s;
  }

  EngineSession() = default;
  EngineSession(EngineSession&&) = default;
  EngineSession& operator=(EngineSession&&) = default;
  ~EngineSession() {
    engine.reset();  // before the store it writes to
    services.reset();
    repository.reset();
    store.reset();
  }
};

// Prints an error with its details, one per line.
inline void PrintError(const std::string& command, const Error& e) {
  std::cerr << "quire " << command << ": " << e.message() << "\n";
  for (const ErrorDetail& d : e.details()) {
    std::cerr << "  " << d.field << ": " << d.message << "\n";
  }
}

}  // namespace quire::app
