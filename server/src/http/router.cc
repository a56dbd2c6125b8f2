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

// Whether `parts` (the request path's segments) fit the route's pattern: each literal
// equal, each parameter not empty; a catch-all's last parameter takes one or more.
template <class Part>
bool MatchesSegments(const auto& segments, bool catch_all, const std::vector<Part>& parts) {
  if (catch_all ? parts.size() < segments.size() : parts.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const bool ok = segments[i].is_param ? !std::string_view(parts[i]).empty()
                                         : segments[i].text == std::string_view(parts[i]);
    if (!ok) return false;
  }
  return true;
}

Response Unauthenticated(const Error& error) {
  Response response = ErrorResponse(error);
  // Bearer for tokens; the browser signs in with POST /api/auth/login instead.
  response.headers.push_back({"WWW-Authenticate", "Bearer realm=\"quire\""});
  return response;
}

}  // namespace

std::string Access::Describe() const {
  switch (kind) {
    case Kind::kPublic:
      return "public";
    case Kind::kSignedIn:
      return "signed in";
    case Kind::kPermission:
      return std::string(org::Name(permission));
  }
  return "";
}

void Router::Add(std::string_view method, std::string_view pattern, Access access,
                 Handler handler) {
  assert(!pattern.empty() && pattern.front() == '/');
  Route route{{std::string(method), std::string(pattern), access}, {}, std::move(handler)};
  const std::vector<std::string_view> parts = SplitPath(pattern);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    const bool is_param = part.size() >= 2 && part.front() == '{' && part.back() == '}';
    if (is_param) part = part.substr(1, part.size() - 2);
    if (is_param && part.ends_with("...")) {
      assert(i + 1 == parts.size() && "a {name...} segment comes last");
      part.remove_suffix(3);
      route.catch_all = true;
    }
    route.segments.push_back({std::string(part), is_param});
  }
  routes_.push_back(std::move(route));
}

void Router::AddStreaming(std::string_view method, std::string_view pattern, Access access,
                          Handler handler) {
  Add(method, pattern, access, std::move(handler));
  routes_.back().info.streaming = true;
}

void Router::AddSlow(std::string_view method, std::string_view pattern, Access access,
                     Handler handler) {
  Add(method, pattern, access, std::move(handler));
  routes_.back().info.pool = Pool::kSlow;
}

const Router::Route* Router::Find(std::string_view method, std::string_view path) const {
  const std::vector<std::string_view> parts = SplitPath(path);
  if (method == "HEAD") method = "GET";
  // Literal segments never hold escapes worth decoding here: a literal that only matches
  // once decoded is simply treated as an ordinary route.
  bool named = false;
  for (const Route& route : routes_) {
    if (route.catch_all || !Matches(route, parts)) continue;
    if (route.info.method == method) return &route;
    named = true;
  }
  if (named) return nullptr;
  for (const Route& route : routes_) {
    if (route.catch_all && route.info.method == method && Matches(route, parts)) return &route;
  }
  return nullptr;
}

bool Router::IsStreaming(std::string_view method, std::string_view path) const {
  const Route* route = Find(method, path);
  return route != nullptr && route->info.streaming;
}

Pool Router::PoolOf(std::string_view method, std::string_view path) const {
  const Route* route = Find(method, path);
  return route == nullptr ? Pool::kDefault : route->info.pool;
}

template <class Part>
bool Router::Matches(const Route& route, const std::vector<Part>& parts) {
  return MatchesSegments(route.segments, route.catch_all, parts);
}

std::vector<RouteInfo> Router::Routes() const {
  std::vector<RouteInfo> out;
  for (const Route& route : routes_) out.push_back(route.info);
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
  const Route* chosen = nullptr;
  for (const Route& route : routes_) {
    if (route.catch_all || !Matches(route, decoded)) continue;
    if (route.info.method != method) {
      if (!allowed.empty()) allowed += ", ";
      allowed += route.info.method;
      continue;
    }
    chosen = &route;
    break;
  }
  // A path no route names under any method may still be a catch-all's.
  if (chosen == nullptr && allowed.empty()) {
    for (const Route& route : routes_) {
      if (route.catch_all && route.info.method == method && Matches(route, decoded)) {
        chosen = &route;
        break;
      }
    }
  }
  if (chosen != nullptr) {
    const Route& route = *chosen;
    request.principal.reset();
    if (route.info.access.kind != Access::Kind::kPublic) {
      if (!authenticator_) {
        return Unauthenticated(Error::Unauthenticated("this server accepts no credentials"));
      }
      Result<std::shared_ptr<const org::Principal>> who = authenticator_(request);
      if (!who) {
        return who.error().code() == ErrorCode::kUnauthenticated ? Unauthenticated(who.error())
                                                                 : ErrorResponse(who.error());
      }
      request.principal = std::move(*who);
      if (route.info.access.kind == Access::Kind::kPermission &&
          !request.principal->Has(route.info.access.permission)) {
        return ErrorResponse(
            Error::Forbidden("permission " + std::string(org::Name(route.info.access.permission)) +
                             " is needed for " + route.info.method + " " + route.info.pattern +
                             "; user '" + request.principal->user +
                             "' does not hold it (ask an administrator for a role "
                             "that grants it)"));
      }
    }
    request.path_params.clear();
    for (std::size_t i = 0; i < route.segments.size(); ++i) {
      if (!route.segments[i].is_param) continue;
      if (route.catch_all && i + 1 == route.segments.size()) {
        std::string rest;
        for (std::size_t k = i; k < decoded.size(); ++k) {
          if (k > i) rest += '/';
          rest += decoded[k];
        }
        request.path_params.emplace_back(route.segments[i].text, std::move(rest));
      } else {
        request.path_params.emplace_back(route.segments[i].text, decoded[i]);
      }
    }
    try {
      Result<Response> response = route.handler(request);
      if (!response) return ErrorResponse(response.error());
      return std::move(*response);
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
