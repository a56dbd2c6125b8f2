#include "quire/server/router.h"

#include <cassert>
#include <exception>
#include <iostream>
#include <optional>

#include "quire/server/json.h"

namespace quire::server {
namespace {

// Splits "/a/b/c" into {"a", "b", "c"}; "/" into {}.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) return parts;
  for (;;) {
    const std::size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

}  // namespace

void Router::Add(std::string_view method, std::string_view pattern, Handler handler) {
  assert(!pattern.empty() && pattern.front() == '/');
  Route route{std::string(method), std::string(pattern), {}, std::move(handler)};
  for (std::string_view part : SplitPath(pattern)) {
    const bool is_param = part.size() >= 2 && part.front() == '{' && part.back() == '}';
    route.segments.push_back(
        {std::string(is_param ? part.substr(1, part.size() - 2) : part), is_param});
  }
  routes_.push_back(std::move(route));
}

void Router::AddStreaming(std::string_view method, std::string_view pattern, Handler handler) {
  Add(method, pattern, std::move(handler));
  routes_.back().streaming = true;
}

bool Router::IsStreaming(std::string_view method, std::string_view path) const {
  const std::vector<std::string_view> parts = SplitPath(path);
  for (const Route& route : routes_) {
    if (route.method != method || route.segments.size() != parts.size()) continue;
    bool match = true;
    for (std::size_t i = 0; i < parts.size() && match; ++i) {
      // Literal segments never hold escapes worth decoding here: a literal that only
      // matches once decoded is simply not streamed (its body is read in advance).
      match = route.segments[i].is_param ? !parts[i].empty() : route.segments[i].text == parts[i];
    }
    if (match) return route.streaming;
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> Router::Routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Route& route : routes_) out.emplace_back(route.method, route.pattern);
  return out;
}

Response Router::Dispatch(Request& request) const {
  const std::vector<std::string_view> parts = SplitPath(request.path);
  std::vector<std::string> decoded;
  decoded.reserve(parts.size());
  for (std::string_view part : parts) {
    std::optional<std::string> d = PercentDecode(part);
    if (!d) {
      return ErrorResponse(
          Error::InvalidArgument("the path " + request.path + " has an invalid %-escape"));
    }
    decoded.push_back(std::move(*d));
  }

  const std::string_view method =
      request.method == "HEAD" ? std::string_view("GET") : std::string_view(request.method);
  std::string allowed;
  for (const Route& route : routes_) {
    if (route.segments.size() != decoded.size()) continue;
    bool match = true;
    for (std::size_t i = 0; i < decoded.size() && match; ++i) {
      match =
          route.segments[i].is_param ? !decoded[i].empty() : route.segments[i].text == decoded[i];
    }
    if (!match) continue;
    if (route.method != method) {
      if (!allowed.empty()) allowed += ", ";
      allowed += route.method;
      continue;
    }
    request.path_params.clear();
    for (std::size_t i = 0; i < decoded.size(); ++i) {
      if (route.segments[i].is_param) {
        request.path_params.emplace_back(route.segments[i].text, decoded[i]);
      }
    }
    try {
      return route.handler(request);
    } catch (const std::exception& e) {
      std::cerr << "quire: " << request.method << " " << request.path
                << " failed with an exception: " << e.what() << std::endl;
      return ErrorResponse(Error::Internal("unexpected failure while handling " + request.method +
                                           " " + request.path));
    } catch (...) {
      std::cerr << "quire: " << request.method << " " << request.path
                << " failed with an unknown exception" << std::endl;
      return ErrorResponse(Error::Internal("unexpected failure while handling " + request.method +
                                           " " + request.path));
    }
  }
  if (!allowed.empty()) {
    Response response = ErrorResponse(
        405, "method_not_allowed",
        request.method + " is not allowed on " + request.path + "; allowed: " + allowed);
    response.headers.push_back({"Allow", allowed});
    return response;
  }
  return ErrorResponse(Error::NotFound("no such resource: " + request.method + " " + request.path));
}

}  // namespace quire::server
