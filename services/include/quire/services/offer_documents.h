// Offers rendered to PDF and kept in the DMS: shared by POST /api/crm/offers/{id}/pdf and
// the crm.offer connector's render action.
#pragma once

#include "quire/audit/actor.h"
#include "quire/base/result.h"
#include "quire/crm/offers.h"
#include "quire/dms/documents.h"

namespace quire::services {

class Services;

// Renders offer `id` (crm/offer_pdf.h: the letterhead set in the CRM's settings, the owner's
// name as who prepared it) and keeps it as a document of type "offer" linked to the offer
// and its customer, declaring that type first when the installation has none. Rendered
// again, it is a new version of that document (found by its link) with its metadata brought
// up to date. Renders take turns. Returns the document. Errors: the stores'.
Result<dms::DocumentInfo> RenderOfferDocument(Services& services, crm::OfferId id,
                                              const audit::Actor& actor);

}  // namespace quire::services
