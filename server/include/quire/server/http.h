// Request and Response: what a route handler sees and returns, as plain values.
//
// Handlers never touch sockets or Beast types; the server converts at its edge. This keeps
// the heavy Boost.Beast headers out of every file that defines routes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quire/base/result.h"
#include "quire/org/access.h"

namespace quire::server {

// A request body read as it arrives, for routes added with Router::AddStreaming: memory
// holds one buffer whatever the upload's size. Read returns 0 at the end; an error when the
// client stops sending or breaks the connection.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  virtual Result<std::size_t> Read(char* buffer, std::size_t size) = 0;
};

// A response body written as it is produced (Response::stream).
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  virtual Result<void> Write(std::string_view bytes) = 0;
};

struct Header {
  std::string name;  // lower-case in requests
  std::string value;
};

struct Request {
  std::string method;  // upper-case, e.g. "GET"
  std::string target;  // as received: path and query
  std::string path;    // the part before '?', still percent-encoded
  std::string query;   // the part after '?', still percent-encoded
  std::vector<Header> headers;
  std::string body;
  std::string remote;  // the peer's address
  // {name} segments of the matched route, percent-decoded; filled in by the Router.
  std::vector<std::pair<std::string, std::string>> path_params;
  // Streaming routes: the body, still to be read (`body` stays empty). Null otherwise.
  BodyReader* body_reader = nullptr;
  // Who is calling, filled in by the Router for routes that are not public. Null otherwise.
  std::shared_ptr<const org::Principal> principal;

  // The value of header `name` (any case), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
  // The decoded path segment bound to `{name}`, or nullopt when the route has none.
  std::optional<std::string_view> path_param(std::string_view name) const;
  // The decoded value of the first `name=` in the query string, or nullopt.
  std::optional<std::string> query_param(std::string_view name) const;
  // Every name=value of the query string, decoded, in order (a value that does not decode
  // is left out).
  std::vector<std::pair<std::string, std::string>> query_params() const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<Header> headers;  // sent in addition to Content-Type and Content-Length
  // Set: the body is produced by calling this after the header went out, and is
  // `stream_length` bytes long. Should it fail midway the connection is closed, so the
  // client sees a short body (its Content-Length is not met), never a wrong one.
  std::function<Result<void>(BodyWriter&)> stream;
  std::uint64_t stream_length = 0;
};

// Decodes %XX escapes (and '+' as space when `plus_as_space`); nullopt on a bad escape.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_as_space = false);

}  // namespace quire::server
