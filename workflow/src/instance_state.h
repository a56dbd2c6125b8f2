// The stored state of one process instance: its live element instances (tokens and the
// scopes they run in), variables per scope, and open incidents.
//
// Stored as one JSON record per instance (key "i" U64(id) in the instances family).
// Field names are stored: never rename one; add new fields with defaults.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/definitions/model.h"

namespace quire::workflow {

using definitions::ElementIndex;
using definitions::FlowIndex;
using definitions::kNoElement;
using definitions::kNoFlow;

// Something an element instance waits for, besides its own task or job: a timer, a
// message or a signal subscription. `trigger` is the event element that fires (the
// catch event itself, a boundary event, an event subprocess's start event, or an event
// after an event-based gateway). Its store key is derived from these fields.
struct Wait {
  enum class Kind : std::uint8_t { kTimer = 0, kMessage = 1, kSignal = 2 };  // stored
  Kind kind = Kind::kTimer;
  ElementIndex trigger = kNoElement;
  std::int64_t due = 0;         // timers: ms since the epoch
  std::int64_t occurrence = 0;  // timer cycles: which repetition this is (0 = first)
  std::int64_t anchor = 0;      // timer cycles: when the cycle started
  std::string name;             // messages and signals
  std::string correlation_key;  // messages
};

struct ElementInstance {
  enum class State : std::uint8_t {  // stored: never renumber
    kWaiting = 0,   // an activity or event waiting for its task, job, timer or message
    kJoining = 1,   // a token arrived at a joining gateway, waiting for the others
    kScope = 2,     // a (sub)process or multi-instance body with element instances inside
    kIncident = 3,  // stopped by an incident until it is resolved
  };
  std::uint32_t key = 0;
  ElementIndex element = kNoElement;  // kNoElement: the process itself (key 1)
  std::uint32_t parent = 0;           // the scope it runs in; 0 for the process
  State state = State::kWaiting;
  FlowIndex via = kNoFlow;        // joining: the flow it arrived by
  boost::json::object variables;  // local to this scope (subprocess, loop iteration, inputs)
  std::uint64_t task = 0;
  std::uint64_t job = 0;
  std::uint64_t child = 0;  // call activity: the instance it started
  std::vector<Wait> waits;
  // Multi-instance and loops. On the body: counts and the items; on an inner instance:
  // mi_inner and its loop counter (1-based).
  bool mi_body = false;
  bool mi_inner = false;
  std::int64_t loop_counter = 0;
  std::int64_t mi_total = 0;
  std::int64_t mi_completed = 0;
  std::int64_t mi_next = 0;
  boost::json::array mi_items;
  boost::json::array mi_outputs;
  // Event subprocess scopes: whether they interrupted their parent.
  bool interrupting = false;
  // Incident state: retrying takes the outgoing flows again rather than re-running it.
  bool leaving = false;
};

struct IncidentRecord {
  std::uint64_t id = 0;
  std::uint32_t element_key = 0;
  std::uint64_t job = 0;
  std::string kind;
  std::string message;
  std::int64_t created = 0;
};

struct InstanceState {
  enum class Status : std::uint8_t { kActive = 0, kCompleted = 1, kCancelled = 2 };  // stored
  std::uint64_t id = 0;
  std::string process_id;
  std::uint32_t version = 0;
  std::string business_key;
  Status status = Status::kActive;
  std::int64_t started = 0;
  std::int64_t ended = 0;
  std::uint64_t parent_instance = 0;  // started by a call activity of this instance
  std::uint32_t parent_key = 0;       // ... at this element instance
  std::uint32_t next_key = 2;         // key 1 is the process scope
  // By key. A map: references to one element instance stay valid while others come and go.
  std::map<std::uint32_t, ElementInstance> elements;
  std::vector<IncidentRecord> incidents;
  // For the analytics counters (analytics.h), while the instance runs: the elements it has
  // entered (sorted), and when each running activity or event was entered (oldest first).
  bool counted = false;  // started while the counters were kept: its events count
  std::vector<ElementIndex> reached;
  std::vector<std::pair<ElementIndex, std::int64_t>> entered;

  ElementInstance* Find(std::uint32_t key);
  const ElementInstance* Find(std::uint32_t key) const;
  ElementInstance& Root() { return *Find(1); }
  // The element instances whose scope is `key`, by key.
  std::vector<std::uint32_t> Children(std::uint32_t key) const;
};

const char* StatusName(InstanceState::Status status);
const char* StateName(ElementInstance::State state);

std::string EncodeInstance(const InstanceState& state);
Result<InstanceState> DecodeInstance(std::string_view bytes);

}  // namespace quire::workflow
