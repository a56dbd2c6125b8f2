// Deploying and reading process definitions over HTTP.
//
//   POST /api/deployments[?name=order.bpmn][&historyTimeToLive=P30D]   body: the BPMN XML
//        201 {"hash", "processes": [{"id", "name", "version", "new", "deployedAt"}], "warnings"}
//        200 the same when every process was recognised as unchanged
//        422 validation_failed, details: [{"field": "line:col", "message"}]
//   GET  /api/processes                        the latest version of every process
//   GET  /api/processes/{id}/versions          every version, newest first
//   GET  /api/processes/{id}/xml[?version=N]   the deployed file (application/xml)
#pragma once

#include <functional>

#include "quire/definitions/iso8601.h"
#include "quire/definitions/repository.h"
#include "quire/server/router.h"

namespace quire::server {

// Deploys a file on behalf of an actor: the engine's Deploy, which also arms start events.
// `history_ttl` is the request's ?historyTimeToLive= (ISO 8601 duration), when given.
using DeployFunction = std::function<Result<definitions::Deployment>(
    std::string_view xml, std::string_view name, const std::string& actor,
    std::optional<definitions::Duration> history_ttl)>;

// REQUIRES: `repository` outlives the router.
void AddDefinitionRoutes(Router& router, definitions::DefinitionRepository& repository,
                         DeployFunction deploy);
// Deploys straight into the repository (no engine); `now` gives deployment times.
void AddDefinitionRoutes(Router& router, definitions::DefinitionRepository& repository,
                         std::function<definitions::Timestamp()> now);

}  // namespace quire::server
