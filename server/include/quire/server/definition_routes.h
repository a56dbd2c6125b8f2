// Deploying and reading process definitions over HTTP.
//
//   POST /api/deployments[?name=order.bpmn][&historyTimeToLive=P30D]   body: the BPMN XML
//        201 {"hash", "processes": [{"id", "name", "version", "new", "deployedAt"}], "warnings"}
//        200 the same when every process was recognised as unchanged
//        422 validation_failed, details: [{"field": "line:col", "message"}]
//   GET  /api/processes                        the latest version of every process
//   GET  /api/processes/{id}/versions          every version, newest first
//   GET  /api/processes/{id}/xml[?version=N]   the deployed file (application/xml)
//   POST /api/forms[?name=approval.form]       body: a Camunda Forms schema (.form JSON)
//        201 {"id", "version", "hash", "source", "deployedAt", "new"}; 200 when unchanged
//        422 validation_failed, details: [{"field": "components[2]", "message"}]
//   GET  /api/forms                            the latest version of every form
//   GET  /api/forms/{id}[?version=N]           a form's schema (application/json)
//   GET  /api/forms/{id}/versions              every version, newest first
#pragma once

#include <functional>

#include "quire/definitions/iso8601.h"
#include "quire/definitions/repository.h"
#include "quire/server/router.h"

namespace quire::server {

// Deploys a file on behalf of an actor: the engine's Deploy, which also arms start events.
// `history_ttl` is the request's ?historyTimeToLive= (ISO 8601 duration), when given.
using DeployFunction = std::function<Result<definitions::Deployment>(
    std::string_view xml, std::string_view name, const audit::Actor& actor,
    std::optional<definitions::Duration> history_ttl)>;

// REQUIRES: `repository` outlives the router. `now` gives form deployment times (the
// system clock when empty).
void AddDefinitionRoutes(Router& router, definitions::DefinitionRepository& repository,
                         DeployFunction deploy,
                         std::function<definitions::Timestamp()> now = nullptr);
// Deploys straight into the repository (no engine); `now` gives deployment times.
void AddDefinitionRoutes(Router& router, definitions::DefinitionRepository& repository,
                         std::function<definitions::Timestamp()> now);

}  // namespace quire::server
