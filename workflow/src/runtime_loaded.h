// Runtime::Loaded: an instance as a command works on it (shared by the runtime's files).
#pragma once

#include <boost/json/array.hpp>
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "runtime.h"

namespace quire::workflow {

namespace json = boost::json;

struct Runtime::Loaded {
  InstanceState st;
  std::string stored;  // the record as loaded: an unchanged instance is not written again
  std::shared_ptr<const definitions::Definitions> defs;
  const definitions::Process* process = nullptr;
  const ProcessInfo* info = nullptr;
  std::deque<Step> agenda;
  struct PendingTrigger {
    std::uint32_t owner;
    ElementIndex trigger;
    json::object variables;
  };
  std::deque<PendingTrigger> triggers;
  std::set<std::uint32_t> check;
  json::array history;
  bool ended_now = false;
  // EndInstance cancelling what runs: the elements stopped are where the instance was
  // abandoned (analytics.h).
  bool abandoning = false;
  std::int32_t cohort = -1;  // the month the instance started, once computed
  // The funnel counter keys of this cohort, built once per command: [0] the instance's,
  // [1 + i] element i's ("" until first needed).
  std::vector<std::string> counter_keys;
  // An incident being retried at this element: its cancellation and re-entry are the same
  // stay, not a new one (analytics.h).
  ElementIndex retrying = definitions::kNoElement;
  bool retry_reenters = false;
  bool has_inclusive_joins = false;
};

}  // namespace quire::workflow
