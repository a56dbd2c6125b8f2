// The task inbox over HTTP, as the signed-in user; every task operation checks their rights
// (tasks.h) after the route's permission.
//
//   GET    /api/tasks?view=mine|group|delegated|postponed|overdue|escalated|open
//          [&group=][&sort=][&limit=][&after=], or a search (?process=, ?businessKey=, ...)
//   GET    /api/tasks?instance=ID              the open tasks of an instance
//   GET    /api/tasks/{id}, /api/tasks/counts, /api/tasks/{id}/form
//   POST   /api/tasks/{id}/claim|unclaim|resolve
//   POST   /api/tasks/{id}/delegate|reassign   {"to": userId}
//   POST   /api/tasks/{id}/postpone            {"followUp": ISO 8601}
//   POST   /api/tasks/{id}/escalate            {"reason", "to": groupId (else the supervisor)}
//   POST   /api/tasks/{id}/due                 {"due": ISO 8601, "reason"}
//   POST   /api/tasks/{id}/complete            {"variables": {...}}
//   POST   /api/tasks/bulk                     {"action", "tasks", "to"}
//   GET    /api/tasks/{id}/comments,  POST the same {"text"}
//   GET    /api/notifications, DELETE /api/notifications/{id}
//   GET    /api/stats/workload?from=&to=       per user and group, from history
#pragma once

#include "quire/definitions/repository.h"
#include "quire/server/router.h"
#include "quire/workflow/engine.h"

namespace quire::server {

// REQUIRES: `engine` outlives the router.
// With `repository`, also GET /api/tasks/{id}/diagram: the task's process (its deployed
// BPMN file) with the task's element, the instance's active elements and its history.
void AddTaskRoutes(Router& router, workflow::Engine& engine,
                   const definitions::DefinitionRepository* repository = nullptr);

}  // namespace quire::server
