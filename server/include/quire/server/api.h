// The whole HTTP API on a data directory's services: every domain's routes, in one place,
// so that `quire serve` and the tests of the route table serve the same thing.
#pragma once

#include <string>

#include "quire/server/router.h"
#include "quire/services/services.h"

namespace quire::server {

// Adds the system, definition, engine, organisation, task, Camunda, document and audit
// routes. REQUIRES: `services` outlives the router.
void AddApiRoutes(Router& router, services::Services& services, const std::string& version);

}  // namespace quire::server
