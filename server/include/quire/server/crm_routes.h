// The CRM's routes (issue "CRM core"): customers, resources, activities, calendars, the
// customer card and the call centre.
//   POST  /api/crm/customers        {kind, name, emails, phones, taxId, addresses, owner, tags,
//                                    notes, the profile, bankAccounts, customFields} → 201 the
//                                    customer; 422 one detail per field
//   GET   /api/crm/customers        those the caller's crm.read reaches, {items, next};
//                                   filters ?industry=&team=&tag=&field.NAME=...
//   GET   /api/crm/customers/{id}   the customer (the read is audited)
//   PATCH /api/crm/customers/{id}   JSON Merge Patch of the fields → 200 the customer
//   POST  /api/crm/contacts       {firstName, lastName, title, customers, emails, phones,
//                                  consent, owner, notes, externalId} → 201
//   GET   /api/crm/contacts, /api/crm/contacts/{id}, /api/crm/customers/{id}/contacts
//   PATCH /api/crm/contacts/{id}
//   POST  /api/crm/imports?kind=customers|contacts|activities&format=csv|vcard
//         [&dryRun=true&skipBadRows=true&encoding=&delimiter=]  the file as the body →
//         200 the report (import.h)
//   GET   /api/crm/customers/{id}/card  customer, contacts, lastActivities, nextActivities,
//                                       openTasks, runningInstances, documents, openOffers,
//                                       openOrders
//   GET   /api/crm/customers/{id}/activities  the timeline, newest first, {items, next}
//   POST  /api/crm/resources  (crm.manage)    {name, kind, capacity, available*, timeZone}
//   GET   /api/crm/resources, /{id}; PATCH /api/crm/resources/{id} (crm.manage)
//   POST  /api/crm/activities                 → 201; 409 naming a colliding booking
//   GET   /api/crm/activities/{id}; PATCH /api/crm/activities/{id}
//   GET   /api/crm/calendar?user=|group=|resource=&from=&to=   occurrences in the range
//   POST  /api/cti/calls (cti.report)         {from, to, callId, state} → {customer|null}
//   GET   /api/crm/dictionaries, /{name}; PUT, DELETE /api/crm/dictionaries/{name} (crm.manage)
//   GET   /api/crm/custom-fields/{entity}; PUT (crm.manage) {fields: [...]}
//   GET   /api/crm/products?search=&inactive=, /{id}; POST, PATCH (crm.manage)
//   GET   /api/crm/price-lists, /{id}; POST, PATCH (crm.manage)
//   GET   /api/crm/price-suggestions?product=&customer=&currency=&date=
//   POST  /api/crm/offers {customer, currency, lines [{product | name, quantity, unitPrice,
//         discountPercent, taxRate}], ...} → 201 with totals {net, tax, gross, byRate}
//   GET   /api/crm/offers?customer=&status=&owner=, /{id}; PATCH /{id} (409 once accepted)
//   POST  /api/crm/offers/{id}/send | /accept (crm.offers.accept, within the acceptance
//         limits) | /reject | /revisions (→ 201) | /order (→ 201 the order)
//   GET   /api/crm/orders?customer=&status=&unpaid=&overdue=, /{id}; PATCH /{id}
//   POST  /api/crm/orders/{id}/payments {amount, date, reference} → 201 the order
//   POST  /api/crm/offers/{id}/pdf  → 201 the DMS document (type offer; again: a new version)
//   GET   /api/crm/settings/acceptance-limits, /letterhead; PUT (crm.manage)
// Money travels as decimal strings ("1234.50"), never as JSON numbers.
// Customers' sensitive fields (creditLimit, bankAccounts, a PESEL as taxId) need
// crm.sensitive to be seen (else left out and named in "withheld") and to be set (else 403).
// crm.read and crm.write are scoped: own (the customers one owns), team (also those of
// anyone sharing a group), all. An activity is also within reach of those taking part.
#pragma once

#include "quire/crm/customers.h"
#include "quire/crm/filter.h"
#include "quire/org/directory.h"
#include "quire/server/router.h"
#include "quire/services/services.h"

namespace quire::server {

void AddCrmRoutes(Router& router, crm::CustomerStore& customers, crm::CrmSchema& schema,
                  org::Directory& directory);
void AddActivityRoutes(Router& router, services::Services& services);
// POST /api/crm/customers/{id}/merge {duplicate}, GET /api/crm/merges/{id},
// POST /api/crm/merges/{id}/undo.
void AddMergeRoutes(Router& router, services::Services& services);
void AddContactRoutes(Router& router, services::Services& services);
void AddImportRoutes(Router& router, services::Services& services);
// The data-quality work list and summary, a customer's problems and duplicates.
void AddQualityRoutes(Router& router, services::Services& services);
// Privacy: a customer's or contact person's data exported; erased (crm.manage).
void AddPrivacyRoutes(Router& router, services::Services& services);
// GET /api/crm/exports/customers (CSV), /api/crm/exports/contacts (CSV or vCard).
void AddExportRoutes(Router& router, services::Services& services);
// Mailing groups of contact persons and their address labels (PDF).
void AddMailingRoutes(Router& router, services::Services& services);
// POST/DELETE /api/me/calendar-feed; GET /calendar/{secret}.ics (public: the secret is the
// credential). `tls`: the feed's URL is https.
void AddCalendarFeedRoutes(Router& router, services::Services& services, bool tls);
// Questionnaires: designed, sent as signed links, answered without signing in, counted,
// exported (questionnaire_routes.cc).
void AddQuestionnaireRoutes(Router& router, services::Services& services, bool tls);
// KPIs per employee and month (kpi_routes.cc).
void AddKpiRoutes(Router& router, services::Services& services);
// The condition that keeps a filter over `target` within what `who`'s crm.read reaches (own:
// customers they own; team: also their groups' members'; records through their owner or
// customer); nullopt when their scope is all (segment_routes.cc).
// `p`: crm.read, or crm.write for what the caller may change.
Result<std::optional<crm::Filter>> CrmReadScope(org::Directory& directory,
                                                const org::Principal& who, crm::Entity target,
                                                Permission p = Permission::kCrmRead);
// Products, price lists and suggestions; offers, their acceptance and revisions; orders and
// payments; the acceptance limits.
void AddSalesRoutes(Router& router, services::Services& services);
// Segments: POST /api/crm/segments/query (a filter run: count, items, next, plan); saved
// segments (/api/crm/segments[/{id}]), their members, export (CSV) and mailing group.
void AddSegmentRoutes(Router& router, services::Services& services);
// Campaigns: /api/crm/campaigns[/{id}], launch, finish, members, effectiveness.
void AddCampaignRoutes(Router& router, services::Services& services);

}  // namespace quire::server
