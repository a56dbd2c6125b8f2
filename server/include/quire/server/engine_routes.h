// The workflow engine over HTTP. Ids are sent as strings of digits. The acting user is the
// signed-in caller (recorded in history and the audit chain).
//
//   DELETE /api/processes/{id}[?force=true]         undeploy (409 while instances run)
//   POST   /api/processes/{id}/instances            {"variables", "businessKey", "version"}
//          201 {"id", "processId", "version", "state", "tasks": [...]}; 409 business key used
//   GET    /api/processes/{id}/instances[?limit=N]  newest first
//   GET    /api/instances/{id}                      state, variables, active elements, incidents
//   DELETE /api/instances/{id}[?reason=...]         cancel
//   PUT    /api/instances/{id}/variables            {"name": value, ...}
//   POST   /api/instances/{id}/trigger              {"element", "variables"}: a bare receive task
//   GET    /api/instances/{id}/history              the instance's history events
//   GET    /api/history?from=&to=[&limit=]          history events in a time range (ISO 8601)
//   POST   /api/messages                            {"name", "correlationKey", "variables", "ttl"}
//   POST   /api/signals                             {"name", "variables"}
//   GET    /api/incidents[?instance=ID]
//   POST   /api/incidents/{id}/retry                {"retries": N}
//   GET    /api/jobs[?instance=ID]
//   GET    /api/tasks[?instance=ID]                 open user tasks
//   GET    /api/tasks/{id}
//   POST   /api/tasks/{id}/complete                 {"variables": {...}}
#pragma once

#include "quire/server/router.h"
#include "quire/workflow/engine.h"

namespace quire::server {

// REQUIRES: `engine` outlives the router.
void AddEngineRoutes(Router& router, workflow::Engine& engine);

}  // namespace quire::server
