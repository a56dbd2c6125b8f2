// Request and Response: what a route handler sees and returns, as plain values.
//
// Handlers never touch sockets or Beast types; the server converts at its edge. This keeps
// the heavy Boost.Beast headers out of every file that defines routes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quire::server {

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

  // The value of header `name` (any case), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
  // The decoded path segment bound to `{name}`, or nullopt when the route has none.
  std::optional<std::string_view> path_param(std::string_view name) const;
  // The decoded value of the first `name=` in the query string, or nullopt.
  std::optional<std::string> query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<Header> headers;  // sent in addition to Content-Type and Content-Length
};

// Decodes %XX escapes (and '+' as space when `plus_as_space`); nullopt on a bad escape.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_as_space = false);

}  // namespace quire::server
