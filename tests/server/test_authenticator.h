// For tests of routes (not of authentication, which tests/server/access_test.cc and the
// server tests cover): a caller named by the X-Test-User header (else "tester") who holds
// every permission.
#pragma once

#include <memory>
#include <string>

#include "quire/server/router.h"

namespace quire::server {

inline Authenticator EveryPermission() {
  return [](const Request& request) -> Result<std::shared_ptr<const org::Principal>> {
    auto p = std::make_shared<org::Principal>();
    const auto user = request.header("x-test-user");
    p->user = user ? std::string(*user) : std::string("tester");
    for (const org::Permission perm : org::AllPermissions()) p->permissions.Add({perm});
    return std::shared_ptr<const org::Principal>(std::move(p));
  };
}

}  // namespace quire::server
