// The `data` of a history event as people and programs read it (the HTTP API, `quire run`,
// the audit chain's details). It is stored with the engine's own short names — instants as
// epoch milliseconds under `created`, `claimed`, `due`, `followUp`, `was`; ids under `task`,
// `job`, `incident`, ... — which stored events keep forever. Here they get the API's names
// and forms (docs/api.md): `createdAt`, `claimedAt`, `dueAt`, `followUpAt`, `previousDueAt` as
// ISO 8601 instants; `taskId`, `jobId`, `incidentId`, `calledInstanceId`, `elementId`,
// `parentInstanceId`. Other members pass unchanged.
//
// Thread-safety: a pure function.
#pragma once

#include <boost/json/object.hpp>

namespace quire::workflow {

boost::json::object HistoryDataJson(const boost::json::object& data);

}  // namespace quire::workflow
