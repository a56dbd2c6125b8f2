// A deliberately plain HTTP/1.1 client over a blocking loopback socket, for server tests:
// it sends exactly the bytes a test gives it (malformed requests, slow trickles, oversized
// bodies) and parses just enough of a response to check status, headers and body.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quire/base/result.h"

namespace quire::testing {

struct HttpReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  std::optional<std::string> header(std::string_view name) const;
};

class HttpConnection {
 public:
  static Result<HttpConnection> Connect(std::uint16_t port, const std::string& host = "127.0.0.1");

  HttpConnection(HttpConnection&& other) noexcept;
  HttpConnection& operator=(HttpConnection&&) = delete;
  HttpConnection(const HttpConnection&) = delete;
  ~HttpConnection();

  // Sends raw bytes; fails when the peer has closed the connection.
  Result<void> Send(std::string_view bytes);
  // Reads one response (status line, headers, Content-Length body).
  Result<HttpReply> ReadReply(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the server closes the connection (EOF or reset) within `timeout`.
  bool WaitForClose(std::chrono::milliseconds timeout);
  // Every byte not yet read, until the server closes the connection or `timeout` passes.
  std::string ReadUntilClose(std::chrono::milliseconds timeout);

 private:
  explicit HttpConnection(int fd) : fd_(fd) {}
  int fd_;
  std::string buffer_;
};

// Builds "METHOD target HTTP/1.1" with Host and Content-Length (when there is a body).
std::string MakeRequest(std::string_view method, std::string_view target,
                        std::string_view body = {},
                        const std::vector<std::pair<std::string, std::string>>& headers = {});

// One request on a new connection.
Result<HttpReply> Fetch(std::uint16_t port, std::string_view method, std::string_view target,
                        std::string_view body = {});

}  // namespace quire::testing
