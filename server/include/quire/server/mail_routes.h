// E-mail routes: the outbox (GET /api/outbox, GET /api/outbox/{id}, retry, cancel) and
// POST /api/admin/mail/test. Every route needs system.operate.
#pragma once

#include "quire/server/router.h"
#include "quire/services/services.h"

namespace quire::server {

void AddMailRoutes(Router& router, services::Services& services);

}  // namespace quire::server
