// Router: a pure function from a request to a response, by method and path pattern, with
// the permission every route needs declared beside it.
//
// Patterns are '/'-separated segments, each literal or a {name} parameter:
// "/api/users/{id}". A last segment {name...} takes the rest of the path (one segment or
// more, joined with '/'): such a route answers only paths no other route names under any
// method (the browser app's files, "/{path...}"). The first route that matches both path and method
// wins. A path that matches only under other methods answers 405 with an Allow header; no match at
// all, 404. HEAD is served by the GET route.
//
// Access: every route says what it requires (Access): nothing (public), a signed-in
// caller, or a permission. Before the handler runs, the router asks the authenticator who
// the caller is (401 when nobody, or with bad credentials) and checks the permission (403
// naming it). Without an authenticator, only public routes answer: secure by default.
// Rules on single records (who may claim a task) run afterwards, in the modules.
//
// Handlers return Result<Response>: an Error becomes the error shape with its status here,
// once. A handler that throws answers 500; the exception never reaches the server.
//
// Thread-safety: after set-up, Dispatch runs concurrently on the server's handler threads,
// so handlers must be safe to call concurrently. Add and SetAuthenticator are not.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quire/org/access.h"
#include "quire/server/http.h"

namespace quire::server {

using Handler = std::function<Result<Response>(const Request&)>;
using org::Permission;

// What a route requires of its caller.
struct Access {
  enum class Kind : std::uint8_t {
    kPublic,      // anyone, without credentials (health, version, login, the API document)
    kSignedIn,    // any authenticated caller (their own profile, sessions, sign-out)
    kPermission,  // an authenticated caller holding `permission`
  };
  Kind kind = Kind::kPermission;
  org::Permission permission = org::Permission::kSystemOperate;

  static Access Public() { return {Kind::kPublic, {}}; }
  static Access SignedIn() { return {Kind::kSignedIn, {}}; }
  // Implicit: routes are declared with the bare permission.
  Access(org::Permission p) : kind(Kind::kPermission), permission(p) {}  // NOLINT

  // "public", "signed in", or the permission's name.
  std::string Describe() const;

 private:
  Access(Kind k, org::Permission p) : kind(k), permission(p) {}
};

// Who the caller of a request is: the principal, or kUnauthenticated (no or bad
// credentials) / kForbidden (a cookie request without its CSRF token, a cross-site one).
// Called only for routes that are not public.
using Authenticator =
    std::function<Result<std::shared_ptr<const org::Principal>>(const Request& request)>;

// Which thread pool runs a route's handler.
enum class Pool : std::uint8_t {
  kDefault,  // the handler threads
  kSlow,     // a small pool of its own: deliberately slow work (password hashing at login)
             // that must not take the handler threads from everyone else
};

struct RouteInfo {
  std::string method;
  std::string pattern;
  Access access;
  bool streaming = false;
  Pool pool = Pool::kDefault;
};

class Router {
 public:
  // REQUIRES: `pattern` starts with '/'; (method, pattern) not added before.
  void Add(std::string_view method, std::string_view pattern, Access access, Handler handler);
  // A route whose request body is not read in advance: the handler reads it from
  // request.body_reader as it arrives (uploads of any size).
  void AddStreaming(std::string_view method, std::string_view pattern, Access access,
                    Handler handler);
  // A route whose handler runs on the slow pool (Pool::kSlow).
  void AddSlow(std::string_view method, std::string_view pattern, Access access, Handler handler);

  void SetAuthenticator(Authenticator authenticator) { authenticator_ = std::move(authenticator); }

  // Whether (method, path) goes to a streaming route.
  bool IsStreaming(std::string_view method, std::string_view path) const;
  // The pool of the route (method, path) goes to (kDefault when none).
  Pool PoolOf(std::string_view method, std::string_view path) const;

  // Routes `request`: authenticates, checks the route's access, fills in path_params and
  // principal, runs the handler.
  Response Dispatch(Request& request) const;

  // Every route added, in order: for documentation checks and the access tests.
  std::vector<RouteInfo> Routes() const;

 private:
  struct Segment {
    std::string text;  // the literal, or the parameter name
    bool is_param;
  };
  struct Route {
    RouteInfo info;
    std::vector<Segment> segments;
    Handler handler;
    bool catch_all = false;  // the last segment is {name...}
  };
  template <class Part>
  static bool Matches(const Route& route, const std::vector<Part>& parts);
  const Route* Find(std::string_view method, std::string_view path) const;

  std::vector<Route> routes_;
  Authenticator authenticator_;
};

}  // namespace quire::server
