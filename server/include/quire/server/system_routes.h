// Routes every Quire server has: GET /health and GET /version.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "quire/base/result.h"
#include "quire/server/router.h"

namespace quire::server {

struct SystemInfo {
  std::string name = "quire";
  std::string version;
  // Checks the parts the server depends on (the store, ...); an error makes /health
  // answer 503 with that error. Called on every /health request.
  std::function<Result<void>()> health_check;
};

// GET /health → 200 {"status": "ok"}, or 503 with the failing check's error.
// GET /version → 200 {"name": ..., "version": ...}.
// GET /api/openapi.json → the OpenAPI description of every route (server/api/openapi.json).
void AddSystemRoutes(Router& router, SystemInfo info);

// The OpenAPI 3 document describing the HTTP API, as JSON text.
std::string_view OpenApiDocument();

}  // namespace quire::server
