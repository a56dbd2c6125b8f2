// Camunda 7's external-task REST API, wire-compatible, so that workers written for Camunda
// (camunda-external-task-client-js, the Java client, plain HTTP) run against Quire as they
// are. Base path /engine-rest:
//
//   POST /engine-rest/external-task/fetchAndLock   {workerId, maxTasks, usePriority,
//        asyncResponseTimeout, topics: [{topicName, lockDuration, variables, businessKey,
//        processDefinitionKey}]} → [LockedExternalTask]
//   POST /engine-rest/external-task/{id}/complete   {workerId, variables, localVariables}
//   POST /engine-rest/external-task/{id}/failure    {workerId, errorMessage, errorDetails,
//        retries, retryTimeout}
//   POST /engine-rest/external-task/{id}/bpmnError  {workerId, errorCode, errorMessage, variables}
//   POST /engine-rest/external-task/{id}/extendLock {workerId, newDuration}
//   POST /engine-rest/external-task/{id}/unlock
//
// Variables use Camunda's typed format {"name": {"value": ..., "type": "String",
// "valueInfo": {}}}; objects and lists travel as type "Json" (a JSON string), as Camunda
// Spin does. Errors use Camunda's shape {"type", "message"} (404 unknown task, 400 bad
// request or a task locked by another worker, 500 otherwise).
#pragma once

#include "quire/server/router.h"
#include "quire/workflow/engine.h"

namespace quire::server {

// REQUIRES: `engine` outlives the router.
void AddCamundaRoutes(Router& router, workflow::Engine& engine);

}  // namespace quire::server
