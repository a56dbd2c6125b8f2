// The whole HTTP API on a data directory's services: every domain's routes, in one place,
// so that `quire serve` and the tests of the route table serve the same thing.
#pragma once

#include <string>

#include "quire/server/router.h"
#include "quire/services/services.h"

namespace quire::server {

struct ApiOptions {
  std::string version;  // answered by GET /version
  bool tls = false;     // served over TLS: secure session cookies
};

// Adds the system, identity, definition, engine, organisation, task, Camunda, document and
// audit routes, and authenticates callers through the services' identity.
// REQUIRES: `services` outlives the router.
void AddApiRoutes(Router& router, services::Services& services, const ApiOptions& options);

}  // namespace quire::server
