// The CRM's routes (issue "CRM core"): so far customers.
//   POST  /api/crm/customers        {kind, name, emails, phones, taxId, addresses, owner, tags,
//                                    notes} → 201 the customer; 422 one detail per field
//   GET   /api/crm/customers        those the caller's crm.read reaches, {items, next}
//   GET   /api/crm/customers/{id}   the customer (the read is audited)
//   PATCH /api/crm/customers/{id}   JSON Merge Patch of the fields → 200 the customer
// crm.read and crm.write are scoped: own (the customers one owns), team (also those of
// anyone sharing a group), all.
#pragma once

#include "quire/crm/customers.h"
#include "quire/org/directory.h"
#include "quire/server/router.h"

namespace quire::server {

void AddCrmRoutes(Router& router, crm::CustomerStore& customers, org::Directory& directory);

}  // namespace quire::server
