// Authentication of HTTP requests: who is calling, before any route runs.
//
//   Authorization: Bearer qt_...        an API token (integrations, scripts)
//   Authorization: Basic base64(u:p)    a user id with their password or one of their tokens
//                                       (Camunda-compatible workers, as a secured engine-rest)
//   Cookie: quire_session=...           a browser session from POST /api/auth/login; a request
//                                       that changes something must also carry X-CSRF-Token
//                                       equal to the session's token, and is refused when its
//                                       Origin names another site or Sec-Fetch-Site says
//                                       cross-site
// Nothing else identifies anyone: X-Quire-User is ignored.
#pragma once

#include <string>

#include "quire/org/identity.h"
#include "quire/server/router.h"

namespace quire::server {

struct AuthenticationOptions {
  // Served over TLS: the cookie is __Host-quire_session with Secure.
  bool tls = false;
};

// The session cookie's name.
std::string SessionCookieName(bool tls);

// REQUIRES: `identity` outlives the authenticator.
Authenticator MakeAuthenticator(org::Identity& identity, const AuthenticationOptions& options);

// The value of cookie `name` in the request's Cookie headers, or "".
std::string CookieValue(const Request& request, std::string_view name);

}  // namespace quire::server
