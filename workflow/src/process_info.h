// ProcessInfo: facts about a process model the runtime asks for often, computed once per
// loaded model: the elements of each scope, its none start event, the start events of its
// event subprocesses, link targets, and which elements can still reach each inclusive
// join (the join waits only for tokens that can arrive).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "quire/definitions/model.h"

namespace quire::workflow {

using definitions::ElementIndex;

class ProcessInfo {
 public:
  explicit ProcessInfo(const definitions::Process& process);

  // Scope index: 0 for the process, element + 1 for a subprocess.
  static std::size_t ScopeIndex(ElementIndex scope_element) {
    return scope_element == definitions::kNoElement ? 0 : scope_element + 1;
  }
  // The none start event of a scope, or kNoElement.
  ElementIndex NoneStart(ElementIndex scope_element) const {
    return none_start_[ScopeIndex(scope_element)];
  }
  // Start events of the event subprocesses directly inside a scope.
  const std::vector<ElementIndex>& EventSubprocessStarts(ElementIndex scope_element) const {
    return event_starts_[ScopeIndex(scope_element)];
  }
  // The catching link event named `name` in the scope, or kNoElement.
  ElementIndex LinkTarget(ElementIndex scope_element, const std::string& name) const;
  // Whether a token at `from` can still reach `join` (same scope, along sequence flows and
  // boundary events).
  bool CanReach(ElementIndex from, ElementIndex join) const;

 private:
  std::vector<ElementIndex> none_start_;
  std::vector<std::vector<ElementIndex>> event_starts_;
  std::map<std::pair<ElementIndex, std::string>, ElementIndex> links_;
  // For each inclusive join: which elements reach it.
  std::map<ElementIndex, std::vector<bool>> reaches_;
};

// Shared by every command; models live as long as the repository's cache, which keeps
// every loaded version.
class ProcessInfoCache {
 public:
  const ProcessInfo& Get(const definitions::Process& process);

 private:
  std::mutex mu_;
  std::map<const definitions::Process*, std::unique_ptr<ProcessInfo>> infos_;  // GUARDED_BY(mu_)
};

}  // namespace quire::workflow
