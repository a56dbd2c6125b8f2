#include "quire/server/router.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <stdexcept>

#include "quire/server/json.h"
#include "quire/testing/result_matchers.h"

namespace quire::server {
namespace {

using ::quire::testing::HasError;
using ::testing::HasSubstr;

Request Make(std::string method, std::string path, std::string query = "") {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  return r;
}

Response Text(std::string body) {
  Response r;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

boost::json::object ErrorOf(const Response& r) {
  return boost::json::parse(r.body).as_object().at("error").as_object();
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router_.Add("GET", "/api/users", Access::Public(), [](const Request&) { return Text("list"); });
    router_.Add("POST", "/api/users", Access::Public(),
                [](const Request&) { return Text("create"); });
    router_.Add("PUT", "/api/groups/{id}/members/{userId}", Access::Public(), [](const Request& r) {
      return Text(std::string(*r.path_param("id")) + "+" + std::string(*r.path_param("userId")));
    });
    router_.Add("GET", "/boom", Access::Public(),
                [](const Request&) -> Response { throw std::runtime_error("kaput"); });
  }
  Router router_;
};

TEST_F(RouterTest, MatchesMethodAndPath) {
  Request get = Make("GET", "/api/users");
  EXPECT_EQ(router_.Dispatch(get).body, "list");
  Request post = Make("POST", "/api/users");
  EXPECT_EQ(router_.Dispatch(post).body, "create");
}

TEST_F(RouterTest, BindsDecodedParameters) {
  Request r = Make("PUT", "/api/groups/sales%20north/members/anna");
  EXPECT_EQ(router_.Dispatch(r).body, "sales north+anna");
}

TEST_F(RouterTest, UnknownPathIsNotFoundInTheErrorShape) {
  Request r = Make("GET", "/api/nothing");
  const Response response = router_.Dispatch(r);
  EXPECT_EQ(response.status, 404);
  const auto error = ErrorOf(response);
  EXPECT_EQ(error.at("code").as_string(), "not_found");
  EXPECT_THAT(std::string(error.at("message").as_string()), HasSubstr("GET /api/nothing"));
  EXPECT_TRUE(error.at("details").is_array());
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  Request r = Make("DELETE", "/api/users");
  const Response response = router_.Dispatch(r);
  EXPECT_EQ(response.status, 405);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].name, "Allow");
  EXPECT_EQ(response.headers[0].value, "GET, POST");
  EXPECT_EQ(ErrorOf(response).at("code").as_string(), "method_not_allowed");
}

TEST_F(RouterTest, HeadIsServedByGet) {
  Request r = Make("HEAD", "/api/users");
  EXPECT_EQ(router_.Dispatch(r).body, "list");
}

TEST_F(RouterTest, EmptyParameterDoesNotMatch) {
  Request r = Make("PUT", "/api/groups//members/anna");
  EXPECT_EQ(router_.Dispatch(r).status, 404);
}

TEST_F(RouterTest, BadEscapeIsBadRequest) {
  Request r = Make("GET", "/api/users%zz");
  const Response response = router_.Dispatch(r);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(ErrorOf(response).at("code").as_string(), "invalid_argument");
}

TEST_F(RouterTest, ThrowingHandlerIs500AndDoesNotLeakTheException) {
  Request r = Make("GET", "/boom");
  const Response response = router_.Dispatch(r);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(ErrorOf(response).at("code").as_string(), "internal");
}

TEST(RequestTest, QueryParametersAreDecoded) {
  const Request r = Make("GET", "/x", "q=sales+lead&name=J%C3%BCrgen&flag&empty=");
  EXPECT_EQ(r.query_param("q"), "sales lead");
  EXPECT_EQ(r.query_param("name"), "J\xC3\xBCrgen");
  EXPECT_EQ(r.query_param("flag"), "");
  EXPECT_EQ(r.query_param("empty"), "");
  EXPECT_EQ(r.query_param("missing"), std::nullopt);
}

TEST(JsonTest, ErrorCodesMapOntoStatuses) {
  EXPECT_EQ(HttpStatus(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatus(ErrorCode::kValidationFailed), 422);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatus(ErrorCode::kForbidden), 403);
  EXPECT_EQ(HttpStatus(ErrorCode::kNotFound), 404);
  EXPECT_EQ(HttpStatus(ErrorCode::kConflict), 409);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatus(ErrorCode::kDeadlineExceeded), 504);
  EXPECT_EQ(HttpStatus(ErrorCode::kCorruption), 500);
}

TEST(JsonTest, ErrorResponseCarriesDetails) {
  Error e = Error::ValidationFailed("the form has errors");
  e.AddDetail("amount", "must be at least 1");
  const Response response = ErrorResponse(e);
  EXPECT_EQ(response.status, 422);
  const auto error = ErrorOf(response);
  EXPECT_EQ(error.at("code").as_string(), "validation_failed");
  EXPECT_EQ(error.at("details").as_array().at(0).as_object().at("field").as_string(), "amount");
}

TEST(JsonTest, ParsesBodiesAndLocatesSyntaxErrors) {
  Request r = Make("POST", "/x");
  r.body = R"({"id": "anna", "name": "Anna"})";
  auto object = ParseJsonObject(r);
  ASSERT_TRUE(object.has_value());
  EXPECT_EQ(object->at("id").as_string(), "anna");

  r.body = R"({"id": "anna",, })";
  EXPECT_THAT(ParseJsonBody(r), HasError(ErrorCode::kInvalidArgument, HasSubstr("at byte 14")));
  r.body = "";
  EXPECT_THAT(ParseJsonBody(r), HasError(ErrorCode::kInvalidArgument, HasSubstr("empty")));
  r.body = "[1, 2]";
  EXPECT_THAT(ParseJsonObject(r), HasError(ErrorCode::kInvalidArgument, HasSubstr("object")));
  r.body = std::string(100, '[') + std::string(100, ']');
  EXPECT_THAT(ParseJsonBody(r), HasError(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace quire::server

namespace quire::server {
namespace {

TEST(RouterCatchAllTest, TakesOnlyPathsNoOtherRouteNames) {
  Router router;
  router.Add("GET", "/", Access::Public(), [](const Request&) -> Result<Response> {
    Response r;
    r.body = "root";
    return r;
  });
  router.Add("POST", "/api/tasks/{id}/claim", Access::Public(),
             [](const Request&) -> Result<Response> { return Response{}; });
  router.Add("GET", "/{path...}", Access::Public(), [](const Request& request) -> Result<Response> {
    Response r;
    r.body = "rest=" + std::string(request.path_param("path").value_or("?"));
    return r;
  });
  Request deep;
  deep.method = "GET";
  deep.path = "/tasks/42/history";
  EXPECT_EQ(router.Dispatch(deep).body, "rest=tasks/42/history");
  Request escaped;
  escaped.method = "GET";
  escaped.path = "/assets/a%20b.js";
  EXPECT_EQ(router.Dispatch(escaped).body, "rest=assets/a b.js");
  Request root;
  root.method = "GET";
  root.path = "/";
  EXPECT_EQ(router.Dispatch(root).body, "root");
  // A path another route names keeps its 405: the catch-all does not hide it.
  Request wrong_method;
  wrong_method.method = "GET";
  wrong_method.path = "/api/tasks/7/claim";
  const Response r = router.Dispatch(wrong_method);
  EXPECT_EQ(r.status, 405);
  // Only GET is caught: other methods on unknown paths are 404.
  Request post;
  post.method = "POST";
  post.path = "/anything";
  EXPECT_EQ(router.Dispatch(post).status, 404);
  EXPECT_FALSE(router.IsStreaming("GET", "/x/y"));
}

}  // namespace
}  // namespace quire::server
