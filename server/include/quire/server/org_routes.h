// The organisation over HTTP: users, groups, memberships, substitutes.
//
//   POST   /api/users                          {"id", "name", "email", "phone", "supervisor",
//                                               "active", "password", "roles"}
//   GET    /api/users, /api/users/{id}         (with their groups)
//   POST   /api/users/{id}/substitutes         {"substitute", "from", "to"} (ISO 8601)
//   POST   /api/groups                         {"id", "name"}
//   GET    /api/groups, /api/groups/{id}       (with its members)
//   PUT    /api/groups/{id}/members/{userId}, DELETE the same
#pragma once

#include "quire/org/identity.h"
#include "quire/server/router.h"

namespace quire::server {

// REQUIRES: `identity` (and its directory) outlive the router.
void AddOrgRoutes(Router& router, org::Identity& identity);

}  // namespace quire::server
