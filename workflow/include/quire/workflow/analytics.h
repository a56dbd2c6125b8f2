// Process and task analytics, kept as counters by the engine in the batch of each command
// (the runtime counts the history events it records), so a funnel or a task report over any
// number of instances reads a few counter sets, never the history.
//
// In the history column family, tag 'K', counter sets (storage/counter_sets.h):
//   'K' 'f' String(process) I64(month) String(element) → the step's counters
//     month: when the instance started (a cohort: "of the instances started in March ...").
//     element "" (the instance): started, completed, cancelled, ms (start → end of the
//       completed ones)
//     an element (its id, any version): reached (instances that entered it at least once),
//       entered, left (completed), interrupted (cancelled by a boundary, terminate or
//       interrupting event, or an embedded subprocess whose instance was cancelled),
//       abandoned (the instance was cancelled while it waited there: the innermost steps),
//       timed and ms (the stays timed from entering to leaving, at elements WaitsAt;
//       a multi-instance activity's inner instances are one stay of the activity; a
//       retried incident goes on the same stay). Instances started before the counters
//       existed are not counted at all (InstanceState::counted).
//   'K' 't' I64(month) String(user) → in the month of completion: completed (user tasks the
//       user completed), withDue, onTime (completed by the due date), ms (created → completed)
// month = year × 12 + month − 1 in EngineOptions::month_of's time zone (UTC unless set).
//
// Thread-safety: pure reads of the store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/definitions/model.h"
#include "quire/storage/counter_sets.h"
#include "quire/storage/store.h"

namespace quire::workflow {

// element id ("" for the instance) → counters, over the cohorts [from, to].
Result<storage::CounterSums> ReadFunnel(const storage::Store& store, std::string_view process,
                                        std::int32_t from, std::int32_t to);
// user → counters, over the months of completion [from, to]; of the users in `only`, or of
// every user when it is null.
Result<storage::CounterSums> ReadTaskKpis(const storage::Store& store, std::int32_t from,
                                          std::int32_t to,
                                          const std::vector<std::string>* only = nullptr);

// Whether instances can wait at an element of this kind (activities, catch events,
// event-based gateways): its stays are timed, and a funnel says how many wait there.
bool WaitsAt(definitions::ElementKind kind);

// The month of an instant in UTC (the default of EngineOptions::month_of).
std::int32_t UtcMonth(Timestamp t);

// The keys, for the runtime that adds to them.
std::string FunnelCounterKey(std::string_view process, std::int32_t month,
                             std::string_view element);
std::string TaskCounterKey(std::string_view user, std::int32_t month);

}  // namespace quire::workflow
