#include "quire/server/system_routes.h"

#include <boost/json/object.hpp>
#include <memory>

#include "quire/server/json.h"

namespace quire::server {

void AddSystemRoutes(Router& router, SystemInfo info) {
  auto shared = std::make_shared<const SystemInfo>(std::move(info));
  router.Add("GET", "/health", Access::Public(), [shared](const Request&) -> Result<Response> {
    if (shared->health_check) {
      if (Result<void> ok = shared->health_check(); !ok) {
        Error error = ok.error();
        return Error::Unavailable("unhealthy: " + error.message());
      }
    }
    return JsonResponse(200, boost::json::object{{"status", "ok"}});
  });
  router.Add("GET", "/api/openapi.json", Access::Public(), [](const Request&) -> Result<Response> {
    Response response;
    response.body = std::string(OpenApiDocument());
    return response;
  });
  router.Add("GET", "/version", Access::Public(), [shared](const Request&) -> Result<Response> {
    return JsonResponse(200,
                        boost::json::object{{"name", shared->name}, {"version", shared->version}});
  });
}

}  // namespace quire::server
