// Starts the real server on an ephemeral loopback port and talks HTTP to it over sockets.
#include "quire/server/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <future>
#include <thread>

#include "quire/server/json.h"
#include "quire/server/system_routes.h"
#include "quire/testing/http_client.h"
#include "quire/testing/result_matchers.h"

namespace quire::server {
namespace {

using ::quire::testing::Fetch;
using ::quire::testing::HasError;
using ::quire::testing::HttpConnection;
using ::quire::testing::HttpReply;
using ::quire::testing::IsOk;
using ::quire::testing::MakeRequest;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string ErrorCodeOf(const HttpReply& reply) {
  return std::string(
      boost::json::parse(reply.body).as_object().at("error").as_object().at("code").as_string());
}

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    Router router;
    AddSystemRoutes(router, {.name = "quire", .version = "9.9.9", .health_check = [this] {
                               return healthy_ ? Ok()
                                               : Result<void>(Error::Unavailable("disk gone"));
                             }});
    router.Add("POST", "/echo", Access::Public(), [](const Request& r) {
      auto body = ParseJsonObject(r);
      if (!body) return ErrorResponse(body.error());
      return JsonResponse(200, *body);
    });
    // Streaming: counts and sums the body's bytes as they arrive; sends N bytes back.
    router.AddStreaming("POST", "/count", Access::Public(), [](const Request& r) {
      std::uint64_t n = 0;
      std::uint64_t sum = 0;
      char buf[7919];
      for (;;) {
        auto got = r.body_reader->Read(buf, sizeof buf);
        if (!got) return ErrorResponse(got.error());
        if (*got == 0) break;
        n += *got;
        for (std::size_t i = 0; i < *got; ++i) sum += static_cast<unsigned char>(buf[i]);
      }
      return JsonResponse(200, boost::json::object{{"bytes", n}, {"sum", sum}});
    });
    // Streaming, refusing after the first piece (as an upload that fails validation).
    router.AddStreaming("POST", "/refuse", Access::Public(), [](const Request& r) {
      char buf[1000];
      if (auto got = r.body_reader->Read(buf, sizeof buf); !got) return ErrorResponse(got.error());
      return ErrorResponse(Error::ValidationFailed("no thanks"));
    });
    router.Add("GET", "/bytes/{n}", Access::Public(), [](const Request& r) {
      const std::uint64_t n = std::stoull(std::string(*r.path_param("n")));
      Response response;
      response.content_type = "application/octet-stream";
      response.stream_length = n;
      response.stream = [n](BodyWriter& w) -> Result<void> {
        std::string piece(10'000, 'q');
        for (std::uint64_t sent = 0; sent < n; sent += piece.size()) {
          QUIRE_RETURN_IF_ERROR(w.Write(
              std::string_view(piece).substr(0, std::min<std::uint64_t>(piece.size(), n - sent))));
        }
        return Ok();
      };
      return response;
    });
    router.Add("GET", "/slow", Access::Public(), [](const Request&) {
      std::this_thread::sleep_for(600ms);
      return JsonResponse(200, boost::json::object{{"slow", true}});
    });
    router.Add("GET", "/items/{id}", Access::Public(), [](const Request& r) {
      return JsonResponse(200, boost::json::object{{"id", *r.path_param("id")},
                                                   {"q", r.query_param("q").value_or("")}});
    });
    server_ = std::make_unique<HttpServer>(std::move(router), options);
    ASSERT_THAT(server_->Start(), IsOk());
  }

  std::uint16_t port() const { return server_->port(); }

  std::atomic<bool> healthy_{true};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, HealthAndVersion) {
  StartServer();
  auto health = Fetch(port(), "GET", "/health");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->header("content-type"), "application/json");
  EXPECT_EQ(boost::json::parse(health->body).at("status").as_string(), "ok");

  auto version = Fetch(port(), "GET", "/version");
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(boost::json::parse(version->body).at("version").as_string(), "9.9.9");

  healthy_ = false;
  auto sick = Fetch(port(), "GET", "/health");
  ASSERT_TRUE(sick.has_value());
  EXPECT_EQ(sick->status, 503);
  EXPECT_EQ(ErrorCodeOf(*sick), "unavailable");
  EXPECT_THAT(sick->body, HasSubstr("disk gone"));
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  auto connection = HttpConnection::Connect(port());
  ASSERT_TRUE(connection.has_value());
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(connection->Send(MakeRequest("GET", "/items/" + std::to_string(i) + "?q=a%20b")),
                IsOk());
    auto reply = connection->ReadReply();
    ASSERT_TRUE(reply.has_value()) << reply.error().ToString();
    EXPECT_EQ(reply->status, 200);
    const auto body = boost::json::parse(reply->body);
    EXPECT_EQ(body.at("id").as_string(), std::to_string(i));
    EXPECT_EQ(body.at("q").as_string(), "a b");
  }
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  auto connection = HttpConnection::Connect(port());
  ASSERT_TRUE(connection.has_value());
  ASSERT_THAT(connection->Send(MakeRequest("GET", "/items/1") + MakeRequest("GET", "/items/2")),
              IsOk());
  EXPECT_THAT(connection->ReadReply()->body, HasSubstr("\"1\""));
  EXPECT_THAT(connection->ReadReply()->body, HasSubstr("\"2\""));
}

TEST_F(HttpServerTest, JsonBodiesRoundTripAndBadJsonIs400) {
  StartServer();
  auto ok = Fetch(port(), "POST", "/echo", R"({"name":"Anna","groups":["sales-north"]})");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(boost::json::parse(ok->body).at("name").as_string(), "Anna");

  auto bad = Fetch(port(), "POST", "/echo", R"({"name": )");
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(ErrorCodeOf(*bad), "invalid_argument");
  EXPECT_THAT(bad->body, HasSubstr("not valid JSON"));
}

TEST_F(HttpServerTest, UnknownRouteAndWrongMethod) {
  StartServer();
  auto missing = Fetch(port(), "GET", "/nope");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(ErrorCodeOf(*missing), "not_found");

  auto wrong = Fetch(port(), "DELETE", "/health");
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->header("allow"), "GET");
}

TEST_F(HttpServerTest, HeadHasNoBody) {
  StartServer();
  auto connection = HttpConnection::Connect(port());
  ASSERT_THAT(connection->Send("HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
              IsOk());
  const std::string raw = connection->ReadUntilClose(5s);
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 200")) << raw;
  EXPECT_THAT(raw, HasSubstr("Content-Length: 15"));
  EXPECT_TRUE(raw.ends_with("\r\n\r\n")) << "a body followed the head: " << raw;
}

TEST_F(HttpServerTest, MalformedRequestIs400AndCloses) {
  StartServer();
  auto connection = HttpConnection::Connect(port());
  ASSERT_THAT(connection->Send("THIS IS NOT HTTP\r\n\r\n"), IsOk());
  auto reply = connection->ReadReply();
  ASSERT_TRUE(reply.has_value()) << reply.error().ToString();
  EXPECT_EQ(reply->status, 400);
  EXPECT_EQ(ErrorCodeOf(*reply), "bad_request");
  EXPECT_TRUE(connection->WaitForClose(5s));
}

TEST_F(HttpServerTest, BadContentLengthIs400) {
  StartServer();
  auto connection = HttpConnection::Connect(port());
  ASSERT_THAT(connection->Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n"),
              IsOk());
  auto reply = connection->ReadReply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 400);
}

TEST_F(HttpServerTest, UnsupportedHttpVersionIs505) {
  StartServer();
  auto connection = HttpConnection::Connect(port());
  ASSERT_THAT(connection->Send("GET /health HTTP/2.0\r\nHost: x\r\n\r\n"), IsOk());
  auto reply = connection->ReadReply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 505);
}

TEST_F(HttpServerTest, OversizedBodyIs413) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  StartServer(options);
  // Declared too large: refused on the header alone.
  {
    auto connection = HttpConnection::Connect(port());
    ASSERT_THAT(
        connection->Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n"),
        IsOk());
    auto reply = connection->ReadReply();
    ASSERT_TRUE(reply.has_value()) << reply.error().ToString();
    EXPECT_EQ(reply->status, 413);
    EXPECT_EQ(ErrorCodeOf(*reply), "payload_too_large");
    EXPECT_TRUE(connection->WaitForClose(5s));
  }
  // Actually sent: the client gets the answer even though it sent the whole body.
  {
    auto connection = HttpConnection::Connect(port());
    const std::string body = "\"" + std::string(64 * 1024, 'x') + "\"";
    ASSERT_THAT(connection->Send(MakeRequest("POST", "/echo", body)), IsOk());
    auto reply = connection->ReadReply();
    ASSERT_TRUE(reply.has_value()) << reply.error().ToString();
    EXPECT_EQ(reply->status, 413);
  }
  // Chunked bodies count too.
  {
    auto connection = HttpConnection::Connect(port());
    std::string request = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 4; ++i) request += "400\r\n" + std::string(1024, 'x') + "\r\n";
    request += "0\r\n\r\n";
    ASSERT_THAT(connection->Send(request), IsOk());
    auto reply = connection->ReadReply();
    ASSERT_TRUE(reply.has_value()) << reply.error().ToString();
    EXPECT_EQ(reply->status, 413);
  }
}

TEST_F(HttpServerTest, StreamingRoutesTakeAndSendBodiesOfAnySize) {
  HttpServerOptions options;
  options.max_body_bytes = 1 << 20;  // applies to ordinary routes only
  StartServer(options);
  std::string body(5 << 20, '\0');
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>(i * 31 % 251);
    sum += static_cast<unsigned char>(body[i]);
  }
  auto connection = HttpConnection::Connect(port());
  ASSERT_TRUE(connection.has_value());
  ASSERT_TRUE(connection->Send(MakeRequest("POST", "/count", body)));
  auto counted = connection->ReadReply();
  ASSERT_TRUE(counted.has_value());
  ASSERT_EQ(counted->status, 200) << counted->body;
  EXPECT_EQ(boost::json::parse(counted->body).at("bytes").as_int64(), 5 << 20);
  EXPECT_EQ(boost::json::parse(counted->body).at("sum").to_number<std::uint64_t>(), sum);
  // A chunked body is decoded on the way.
  std::string chunked;
  for (int i = 0; i < 300; ++i) chunked += "2710\r\n" + std::string(10'000, 'z') + "\r\n";
  chunked += "0\r\n\r\n";
  ASSERT_TRUE(connection->Send(
      "POST /count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked));
  auto decoded = connection->ReadReply();
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->status, 200) << decoded->body;
  EXPECT_EQ(boost::json::parse(decoded->body).at("bytes").as_int64(), 3'000'000);
  EXPECT_EQ(boost::json::parse(decoded->body).at("sum").to_number<std::uint64_t>(),
            3'000'000u * 'z');
  // The same connection goes on: a streamed response of 3 MB.
  ASSERT_TRUE(connection->Send(MakeRequest("GET", "/bytes/3000001")));
  auto streamed = connection->ReadReply();
  ASSERT_TRUE(streamed.has_value());
  EXPECT_EQ(streamed->status, 200);
  EXPECT_EQ(streamed->body.size(), 3'000'001u);
  EXPECT_EQ(streamed->body.find_first_not_of('q'), std::string::npos);
  // An ordinary route still refuses a body over the limit, on the header alone.
  auto other = HttpConnection::Connect(port());
  ASSERT_TRUE(other.has_value());
  ASSERT_TRUE(other->Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5242880\r\n\r\n"));
  auto refused = other->ReadReply();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 413);
}

TEST_F(HttpServerTest, AStreamingRouteThatRefusesEarlyAnswersAtOnce) {
  StartServer();  // read timeout 30 s
  auto connection = HttpConnection::Connect(port());
  ASSERT_TRUE(connection.has_value());
  // 10 MB announced, 100 KB sent, then the client waits for the answer.
  ASSERT_TRUE(
      connection->Send("POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" +
                       std::string(100'000, 'a')));
  const auto t0 = std::chrono::steady_clock::now();
  auto reply = connection->ReadReply(std::chrono::seconds(10));
  ASSERT_TRUE(reply.has_value()) << reply.error().message();
  EXPECT_EQ(reply->status, 422);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_TRUE(connection->WaitForClose(std::chrono::seconds(5)));  // the rest is not read
}

TEST_F(HttpServerTest, OversizedHeaderIs431) {
  HttpServerOptions options;
  options.max_header_bytes = 4096;
  StartServer(options);
  auto connection = HttpConnection::Connect(port());
  ASSERT_THAT(
      connection->Send(MakeRequest("GET", "/health", "", {{"X-Big", std::string(8192, 'a')}})),
      IsOk());
  auto reply = connection->ReadReply();
  ASSERT_TRUE(reply.has_value()) << reply.error().ToString();
  EXPECT_EQ(reply->status, 431);
}

TEST_F(HttpServerTest, SlowClientIsCutOffAfterTheReadTimeout) {
  HttpServerOptions options;
  options.read_timeout = 300ms;
  StartServer(options);
  // Sends half a request and stalls.
  {
    auto connection = HttpConnection::Connect(port());
    ASSERT_THAT(connection->Send("GET /health HTTP/1.1\r\nHo"), IsOk());
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(connection->WaitForClose(5s));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  }
  // Trickles a byte at a time: the timeout covers the whole request, not each byte.
  {
    auto connection = HttpConnection::Connect(port());
    const std::string request = MakeRequest("GET", "/health");
    bool cut_off = false;
    for (char c : request) {
      if (!connection->Send(std::string(1, c))) {
        cut_off = true;
        break;
      }
      std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(cut_off || connection->WaitForClose(1s));
  }
  // An idle kept-alive connection is closed too.
  {
    auto connection = HttpConnection::Connect(port());
    ASSERT_THAT(connection->Send(MakeRequest("GET", "/health")), IsOk());
    ASSERT_EQ(connection->ReadReply()->status, 200);
    EXPECT_TRUE(connection->WaitForClose(5s));
  }
}

TEST_F(HttpServerTest, ExpectContinueGetsAnInterimResponse) {
  StartServer();
  auto connection = HttpConnection::Connect(port());
  const std::string body = R"({"a":1})";
  ASSERT_THAT(connection->Send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                               "Content-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n"),
              IsOk());
  auto interim = connection->ReadReply();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_THAT(connection->Send(body), IsOk());
  auto reply = connection->ReadReply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, body);
}

TEST_F(HttpServerTest, ManyConcurrentClients) {
  StartServer();
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      auto connection = HttpConnection::Connect(port());
      if (!connection) return;
      for (int i = 0; i < 50; ++i) {
        if (!connection->Send(MakeRequest("GET", "/items/" + std::to_string(c * 100 + i)))) return;
        auto reply = connection->ReadReply();
        if (reply && reply->status == 200 &&
            reply->body.find("\"" + std::to_string(c * 100 + i) + "\"") != std::string::npos) {
          ++ok;
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(ok, 400);
}

TEST_F(HttpServerTest, ConnectionLimitAnswers503) {
  HttpServerOptions options;
  options.max_connections = 2;
  StartServer(options);
  auto a = HttpConnection::Connect(port());
  auto b = HttpConnection::Connect(port());
  ASSERT_THAT(a->Send(MakeRequest("GET", "/health")), IsOk());
  ASSERT_EQ(a->ReadReply()->status, 200);
  ASSERT_THAT(b->Send(MakeRequest("GET", "/health")), IsOk());
  ASSERT_EQ(b->ReadReply()->status, 200);
  auto c = HttpConnection::Connect(port());
  ASSERT_THAT(c->Send(MakeRequest("GET", "/health")), IsOk());
  auto reply = c->ReadReply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 503);
}

TEST_F(HttpServerTest, GracefulShutdownFinishesRequestsInFlight) {
  StartServer();
  auto idle = HttpConnection::Connect(port());
  ASSERT_TRUE(idle.has_value());
  auto slow = std::async(std::launch::async, [this] { return Fetch(port(), "GET", "/slow"); });
  std::this_thread::sleep_for(200ms);  // the slow request is now being handled
  server_->Shutdown();
  EXPECT_TRUE(idle->WaitForClose(5s)) << "idle connections are closed at once";
  auto reply = slow.get();
  ASSERT_TRUE(reply.has_value()) << reply.error().ToString();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->header("connection"), "close");
  server_->Wait();
  EXPECT_FALSE(HttpConnection::Connect(port()).has_value()) << "nothing listens any more";
}

TEST_F(HttpServerTest, PortInUseIsUnavailable) {
  StartServer();
  HttpServerOptions options;
  options.port = port();
  HttpServer second(Router(), options);
  EXPECT_THAT(second.Start(), HasError(ErrorCode::kUnavailable, HasSubstr("cannot listen on")));
}

TEST_F(HttpServerTest, UnusableHostIsInvalidArgument) {
  HttpServerOptions options;
  options.host = "no such host.invalid";
  options.port = 0;
  HttpServer server(Router(), options);
  EXPECT_THAT(server.Start(), HasError(ErrorCode::kInvalidArgument, HasSubstr("no such host")));
}

}  // namespace
}  // namespace quire::server
