// Connectors: what service, send and business-rule tasks do.
//
// A task names a connector type (zeebe:taskDefinition type, quire:connector, camunda
// external topic). The registry maps types to implementations; CRM, DMS and notification
// connectors register here from the app. A type no implementation is registered for is an
// *external* type: its jobs wait for an external worker to fetch and lock them over HTTP.
//
// Inline connectors (noop, set-variables) are pure and instant: they run inside the
// command that reaches the task, so the token passes through in the same atomic write.
// Others run as jobs on the engine's job threads, outside the writer, with a timeout,
// retries and backoff.
//
// Thread-safety: register everything before the engine starts; Find() is then read-only.
// Run() is called from several job threads at once.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "quire/base/result.h"

namespace quire::workflow {

struct JobRequest {
  std::uint64_t job_id = 0;
  std::uint64_t instance_id = 0;
  std::string process_id;
  std::string element_id;
  std::string type;
  // The task's input mappings evaluated when the job was created; without mappings, the
  // instance's variables visible at the task.
  boost::json::object variables;
  // The task's input mappings alone (its local variables).
  boost::json::object inputs;
  int attempt = 1;  // 1 for the first run
  std::chrono::steady_clock::time_point deadline;
};

struct JobOutcome {
  // Variables the task produces; the task's output mappings read them.
  boost::json::object variables;
  // Set when the work ended in a business error the process should handle: the task
  // throws this BPMN error code (caught by an error boundary event or event subprocess).
  std::optional<std::string> bpmn_error;
  std::string error_message;
};

class Connector {
 public:
  virtual ~Connector() = default;
  // Does the work. An Error means a technical failure: the job is retried with backoff
  // and raises an incident after its last retry.
  virtual Result<JobOutcome> Run(const JobRequest& request) = 0;
  // True for pure, instant connectors that run inside the engine's command.
  virtual bool inline_run() const { return false; }
};

class ConnectorRegistry {
 public:
  // With the built-in connectors: noop, set-variables, http.
  static ConnectorRegistry WithBuiltins();

  void Register(std::string type, std::shared_ptr<Connector> connector) {
    connectors_[std::move(type)] = std::move(connector);
  }
  // The types whose connector runs inside the engine's step: tasks of these types are no
  // wait state, which the graph check of a deployed file must know (LoadOptions).
  std::set<std::string, std::less<>> InlineTypes() const {
    std::set<std::string, std::less<>> types;
    for (const auto& [type, connector] : connectors_) {
      if (connector->inline_run()) types.insert(type);
    }
    return types;
  }
  // nullptr: an external type.
  Connector* Find(const std::string& type) const {
    const auto it = connectors_.find(type);
    return it == connectors_.end() ? nullptr : it->second.get();
  }

 private:
  std::map<std::string, std::shared_ptr<Connector>, std::less<>> connectors_;
};

}  // namespace quire::workflow
