// Signing in and out, the caller's own profile, sessions, second factor and API tokens,
// and the administration of passwords, roles and accounts.
//
//   POST   /api/auth/login        {"user", "password", "totp"?} → the caller, "csrfToken" and
//                                 the session cookie (public; runs on the slow pool)
//   POST   /api/auth/logout
//   GET    /api/me                the caller: user, roles, effective permissions
//   PUT    /api/me/password       {"current", "password"}
//   GET    /api/me/sessions, DELETE /api/me/sessions/{id}
//   POST   /api/me/totp           begin the second factor → {"secret", "uri"}
//   POST   /api/me/totp/confirm   {"code"} → {"recoveryCodes"}
//   GET    /api/tokens[?user=], POST /api/tokens {"user", "name", "expires", "roles"},
//   DELETE /api/tokens/{id}
//   PUT    /api/users/{id}/password | /roles, POST /api/users/{id}/disable | /enable,
//   DELETE /api/users/{id}/totp, GET /api/users/{id}/sessions, DELETE .../sessions/{session}
//   GET    /api/roles, /api/roles/{id}; PUT, DELETE /api/roles/{id}; PUT /api/groups/{id}/roles
#pragma once

#include "quire/org/identity.h"
#include "quire/server/router.h"

namespace quire::server {

struct IdentityRouteOptions {
  bool tls = false;  // the session cookie is then __Host-quire_session with Secure
};

// REQUIRES: `identity` outlives the router.
void AddIdentityRoutes(Router& router, org::Identity& identity,
                       const IdentityRouteOptions& options);

}  // namespace quire::server
