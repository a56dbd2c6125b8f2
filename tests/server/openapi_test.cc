// The OpenAPI document describes exactly the routes the server has: nothing undocumented,
// nothing documented that does not exist.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "quire/server/api.h"
#include "quire/server/http_server.h"
#include "quire/server/system_routes.h"
#include "quire/testing/http_client.h"
#include "quire/testing/result_matchers.h"
#include "quire/testing/temp_dir.h"

namespace quire::server {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

TEST(OpenApiTest, DocumentsEveryRouteAndNoOther) {
  quire::testing::TempDir dir;
  services::ServicesOptions options;
  options.search = false;
  auto services = services::Services::Open(dir.path(), options);
  ASSERT_TRUE(services) << services.error().message();
  Router router;
  AddApiRoutes(router, **services, {.version = "0.1.0"});

  const boost::json::value doc = boost::json::parse(OpenApiDocument());
  EXPECT_EQ(doc.at("openapi").as_string(), "3.0.3");
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, operations] : doc.at("paths").as_object()) {
    for (const auto& op : operations.as_object()) {
      documented.emplace(Lower(std::string(op.key())), std::string(path));
    }
  }
  std::set<std::pair<std::string, std::string>> registered;
  for (const RouteInfo& r : router.Routes()) registered.emplace(Lower(r.method), r.pattern);
  for (const auto& route : registered) {
    EXPECT_TRUE(documented.contains(route))
        << "undocumented: " << route.first << " " << route.second;
  }
  for (const auto& route : documented) {
    EXPECT_TRUE(registered.contains(route))
        << "documented but not served: " << route.first << " " << route.second;
  }
  // Each operation names the permission the route table requires, and public ones need no
  // security scheme.
  for (const RouteInfo& r : router.Routes()) {
    const boost::json::value* op = doc.at("paths").as_object().if_contains(r.pattern);
    if (op == nullptr || !op->as_object().contains(Lower(r.method))) continue;
    const boost::json::object& o = op->as_object().at(Lower(r.method)).as_object();
    const boost::json::value* permission = o.if_contains("x-quire-permission");
    ASSERT_NE(permission, nullptr) << r.method << " " << r.pattern << ": no x-quire-permission";
    EXPECT_EQ(permission->as_string(), r.access.Describe()) << r.method << " " << r.pattern;
    const bool open = o.contains("security") && o.at("security").as_array().empty();
    EXPECT_EQ(open, r.access.kind == Access::Kind::kPublic) << r.method << " " << r.pattern;
  }
  EXPECT_TRUE(doc.at("components").as_object().contains("securitySchemes"));
}

TEST(OpenApiTest, TheServerServesIt) {
  Router router;
  AddSystemRoutes(router, {.name = "quire", .version = "0.1.0", .health_check = {}});
  HttpServerOptions options;
  options.port = 0;
  HttpServer server(std::move(router), options);
  ASSERT_THAT(server.Start(), quire::testing::IsOk());
  auto reply = quire::testing::Fetch(server.port(), "GET", "/api/openapi.json");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->header("content-type"), "application/json");
  EXPECT_EQ(reply->body, OpenApiDocument());
}

}  // namespace
}  // namespace quire::server
