// The definition endpoints on a real server, over a real store, on a loopback port.
#include "quire/server/definition_routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "quire/server/http_server.h"
#include "quire/testing/http_client.h"
#include "quire/testing/result_matchers.h"
#include "quire/testing/temp_dir.h"
#include "test_authenticator.h"

namespace quire::server {
namespace {

using ::quire::testing::Fetch;
using ::quire::testing::HttpConnection;
using ::quire::testing::HttpReply;
using ::quire::testing::IsOk;
using ::quire::testing::MakeRequest;
using ::testing::HasSubstr;

std::string OrderProcess(const std::string& task) {
  return R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="order" name="Order">
<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="t"/><userTask id="t" name=")" +
         task +
         R"("/><sequenceFlow id="f2" sourceRef="t" targetRef="e"/><endEvent id="e"/></process></definitions>)";
}

class DefinitionRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*storage::Store::Open(dir_.path()));
    repository_ = std::make_unique<definitions::DefinitionRepository>(*store_);
    Router router;
    AddDefinitionRoutes(router, *repository_,
                        [] { return *definitions::ParseDateTime("2026-11-24T08:00:00Z"); });
    router.SetAuthenticator(EveryPermission());
    HttpServerOptions options;
    options.port = 0;
    server_ = std::make_unique<HttpServer>(std::move(router), options);
    ASSERT_THAT(server_->Start(), IsOk());
  }

  HttpReply Post(const std::string& target, const std::string& body) {
    auto connection = HttpConnection::Connect(server_->port());
    EXPECT_TRUE(connection.has_value());
    EXPECT_THAT(
        connection->Send(MakeRequest("POST", target, body, {{"Content-Type", "application/xml"}})),
        IsOk());
    auto reply = connection->ReadReply();
    EXPECT_TRUE(reply.has_value());
    return reply.value_or(HttpReply{});
  }

  quire::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<definitions::DefinitionRepository> repository_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(DefinitionRoutesTest, DeployListAndRead) {
  const HttpReply first = Post("/api/deployments?name=order.bpmn", OrderProcess("Check"));
  EXPECT_EQ(first.status, 201) << first.body;
  const auto created = boost::json::parse(first.body);
  EXPECT_EQ(created.at("processes").at(0).at("version").as_int64(), 1);
  EXPECT_EQ(created.at("processes").at(0).at("new").as_bool(), true);
  EXPECT_EQ(created.at("processes").at(0).at("deployedAt").as_string(), "2026-11-24T08:00:00.000Z");

  const HttpReply same = Post("/api/deployments?name=order.bpmn", OrderProcess("Check"));
  EXPECT_EQ(same.status, 200) << "recognised as unchanged";
  EXPECT_EQ(boost::json::parse(same.body).at("processes").at(0).at("new").as_bool(), false);

  EXPECT_EQ(Post("/api/deployments", OrderProcess("Check twice")).status, 201);

  auto list = Fetch(server_->port(), "GET", "/api/processes");
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(boost::json::parse(list->body).at("items").at(0).at("version").as_int64(), 2);

  auto versions = Fetch(server_->port(), "GET", "/api/processes/order/versions");
  ASSERT_TRUE(versions.has_value());
  EXPECT_EQ(boost::json::parse(versions->body).at("items").as_array().size(), 2u);

  auto xml = Fetch(server_->port(), "GET", "/api/processes/order/xml?version=1");
  ASSERT_TRUE(xml.has_value());
  EXPECT_EQ(xml->header("content-type"), "application/xml");
  EXPECT_EQ(xml->body, OrderProcess("Check"));
}

TEST_F(DefinitionRoutesTest, ErrorsInTheStandardShape) {
  const HttpReply invalid =
      Post("/api/deployments?name=bad.bpmn",
           R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
<process id="p"><startEvent id="s"/><sequenceFlow id="f" sourceRef="s" targetRef="x"/></process></definitions>)");
  EXPECT_EQ(invalid.status, 422);
  const auto error = boost::json::parse(invalid.body).at("error");
  EXPECT_EQ(error.at("code").as_string(), "validation_failed");
  EXPECT_EQ(error.at("details").at(0).at("field").as_string(), "2:37");
  EXPECT_THAT(std::string(error.at("details").at(0).at("message").as_string()),
              HasSubstr("targetRef 'x'"));

  EXPECT_EQ(Post("/api/deployments", "").status, 400);
  EXPECT_EQ(Post("/api/deployments", "not xml at all").status, 422);
  EXPECT_EQ(Fetch(server_->port(), "GET", "/api/processes/ghost/versions")->status, 404);
  EXPECT_EQ(Fetch(server_->port(), "GET", "/api/processes/ghost/xml")->status, 404);
  EXPECT_EQ(Fetch(server_->port(), "GET", "/api/processes/order/xml?version=zero")->status, 400);
}

}  // namespace
}  // namespace quire::server

namespace quire::server {
namespace {

TEST_F(DefinitionRoutesTest, ValidateNamesEachProblemsElementAndDeploysNothing) {
  const std::string bad =
      R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="order">
<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="nowhere"/></process></definitions>)";
  const HttpReply reply = Post("/api/validate", bad);
  ASSERT_EQ(reply.status, 200) << reply.body;
  const boost::json::value v = boost::json::parse(reply.body);
  EXPECT_EQ(v.at("valid"), false);
  bool named = false;
  for (const boost::json::value& d : v.at("diagnostics").as_array()) {
    if (d.at("elementId") == "f1" && d.at("severity") == "error") named = true;
    EXPECT_GT(d.at("line").as_int64(), 0);
  }
  EXPECT_TRUE(named) << reply.body;
  const HttpReply good = Post("/api/validate", OrderProcess("Check"));
  ASSERT_EQ(good.status, 200);
  EXPECT_EQ(boost::json::parse(good.body).at("valid"), true);
  EXPECT_EQ(boost::json::parse(good.body).at("processes").at(0).at("id"), "order");
  EXPECT_FALSE(repository_->Latest()->size() > 0);  // nothing deployed
  EXPECT_EQ(Post("/api/validate", "").status, 400);
}

}  // namespace
}  // namespace quire::server
