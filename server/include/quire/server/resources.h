// The JSON shapes of the engine's resources — tasks, instances, incidents, history events —
// as the HTTP API answers them and the CLI prints them (`quire tasks`, `quire run`,
// `quire incidents`), so that both speak with one voice (docs/api.md: camelCase names,
// references as `…Id` strings, instants as `…At` in ISO 8601 UTC with milliseconds).
//
// Thread-safety: pure functions.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <vector>

#include "quire/org/people.h"
#include "quire/workflow/engine.h"

namespace quire::server {

boost::json::object TaskJson(const workflow::TaskInfo& task);
boost::json::object InstanceJson(const workflow::InstanceInfo& instance);
boost::json::object IncidentJson(const workflow::IncidentInfo& incident);
boost::json::object JobJson(const workflow::JobInfo& job);
boost::json::object UserJson(const org::User& user);
// One history event, its `data` as workflow::HistoryDataJson gives it.
boost::json::object HistoryEventJson(const workflow::HistoryEvent& event);

}  // namespace quire::server
