// Router: a pure function from a request to a response, by method and path pattern.
//
// Patterns are '/'-separated segments, each literal or a {name} parameter:
// "/api/users/{id}". The first route that matches both path and method wins. A path that
// matches only under other methods answers 405 with an Allow header; no match at all, 404.
// HEAD is served by the GET route. A handler that throws answers 500; the exception never
// reaches the server.
//
// Thread-safety: after set-up, Dispatch runs concurrently on the server's handler threads,
// so handlers must be safe to call concurrently. Add is not thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quire/server/http.h"

namespace quire::server {

using Handler = std::function<Response(const Request&)>;

class Router {
 public:
  // REQUIRES: `pattern` starts with '/'; (method, pattern) not added before.
  void Add(std::string_view method, std::string_view pattern, Handler handler);
  // A route whose request body is not read in advance: the handler reads it from
  // request.body_reader as it arrives (uploads of any size).
  void AddStreaming(std::string_view method, std::string_view pattern, Handler handler);
  // Whether (method, path) goes to a streaming route.
  bool IsStreaming(std::string_view method, std::string_view path) const;

  // Routes `request`, filling in its path_params.
  Response Dispatch(Request& request) const;

  // Every (method, pattern) added, in order: for documentation checks.
  std::vector<std::pair<std::string, std::string>> Routes() const;

 private:
  struct Segment {
    std::string text;  // the literal, or the parameter name
    bool is_param;
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
    bool streaming = false;
  };

  std::vector<Route> routes_;
};

}  // namespace quire::server
