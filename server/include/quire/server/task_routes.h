// The organisation and the task inbox over HTTP. The acting user is the X-Quire-User header
// (until authentication exists); every task operation checks their rights (tasks.h).
//
//   POST   /api/users                          {"id", "name", "email", "phone", "supervisor",
//   "active"} GET    /api/users, /api/users/{id} POST   /api/users/{id}/substitutes {"substitute",
//   "from", "to"} (ISO 8601) POST   /api/groups                         {"id", "name"} GET
//   /api/groups, /api/groups/{id}       (with its members) PUT /api/groups/{id}/members/{userId},
//   DELETE the same GET
//   /api/tasks?view=mine|group|delegated|postponed|open[&group=][&limit=][&after=] GET
//   /api/tasks?instance=ID              the open tasks of an instance GET    /api/tasks/{id} POST
//   /api/tasks/{id}/claim|unclaim|resolve POST   /api/tasks/{id}/delegate|reassign   {"to": userId}
//   POST   /api/tasks/{id}/postpone            {"followUp": ISO 8601}
//   POST   /api/tasks/{id}/escalate            {"reason", "to": groupId (else the supervisor)}
//   POST   /api/tasks/{id}/due                 {"due": ISO 8601, "reason"}
//   POST   /api/tasks/{id}/complete            {"variables": {...}}
//   GET    /api/tasks/{id}/comments,  POST the same {"text"}
//   GET    /api/stats/workload?from=&to=       per user and group, from history
#pragma once

#include "quire/server/router.h"
#include "quire/workflow/engine.h"

namespace quire::server {

// REQUIRES: `engine` outlives the router.
void AddTaskRoutes(Router& router, workflow::Engine& engine);

}  // namespace quire::server
