// Offers rendered to PDF and kept in the DMS (offer_documents.h).
#include "quire/services/offer_documents.h"

#include <boost/json/parse.hpp>
#include <mutex>
#include <string>

#include "quire/crm/offer_pdf.h"
#include "quire/dms/content_store.h"
#include "quire/dms/document_type.h"
#include "quire/services/services.h"

namespace quire::services {
namespace {

namespace json = boost::json;

// The document type rendered offers are stored as, declared on first use when the
// installation has none of that name (examples/document-types/offer.json is the same).
constexpr const char* kOfferType = R"({
  "id": "offer",
  "name": "Offer",
  "fields": [
    {"name": "customer", "type": "reference", "ref": "customer", "required": true},
    {"name": "offer", "type": "reference", "ref": "offer"},
    {"name": "number", "type": "string", "maxLength": 64},
    {"name": "revision", "type": "long", "min": 1},
    {"name": "net", "type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"},
    {"name": "currency", "type": "string", "maxLength": 3},
    {"name": "validUntil", "type": "date"},
    {"name": "status", "type": "enum",
     "values": ["draft", "sent", "accepted", "rejected", "expired", "superseded"]}
  ],
  "retention": {"keep": "P6Y"}
})";

Result<void> EnsureOfferType(dms::DocumentStore& documents, const audit::Actor& actor) {
  auto existing = documents.GetType("offer");
  if (existing) return Ok();
  if (existing.error().code() != ErrorCode::kNotFound) return existing.error();
  QUIRE_ASSIGN_OR_RETURN(dms::DocumentType type, dms::ParseDocumentType(json::parse(kOfferType)));
  return documents.PutType(type, actor);
}

// Who the offer is for, as its PDF prints them: the name, the billing address, the tax id
// (a company's: a PESEL is a person's identifier, sensitive, and not printed).
crm::OfferParty PartyOf(const crm::Customer& c) {
  crm::OfferParty party{c.name, {}};
  const crm::Address* address = nullptr;
  for (const crm::Address& a : c.addresses) {
    if (address == nullptr || (a.kind == "billing" && address->kind != "billing")) address = &a;
  }
  if (address != nullptr) {
    if (!address->street.empty()) party.lines.push_back(address->street);
    const std::string city =
        address->postal_code + (address->postal_code.empty() ? "" : " ") + address->city;
    if (!city.empty()) party.lines.push_back(city);
    if (!address->country.empty() && address->country != "PL") {
      party.lines.push_back(address->country);
    }
  }
  if (c.tax_id && c.tax_id->kind != crm::TaxId::Kind::kPesel) {
    party.lines.push_back(std::string(c.tax_id->kind == crm::TaxId::Kind::kEuVat   ? "VAT: "
                                      : c.tax_id->kind == crm::TaxId::Kind::kRegon ? "REGON: "
                                                                                   : "NIP: ") +
                          c.tax_id->value);
  }
  return party;
}

}  // namespace

Result<dms::DocumentInfo> RenderOfferDocument(Services& services, crm::OfferId id,
                                              const audit::Actor& actor) {
  crm::OfferStore& offers = services.offers();
  dms::DocumentStore& documents = services.documents();
  QUIRE_ASSIGN_OR_RETURN(crm::Offer o, offers.Get(id));
  QUIRE_ASSIGN_OR_RETURN(crm::Customer c, services.customers().Get(o.customer));
  QUIRE_ASSIGN_OR_RETURN(crm::Letterhead letterhead, crm::ReadLetterhead(services.store()));
  std::string prepared_by = o.owner;
  if (auto user = services.directory().GetUser(o.owner); user && !user->name.empty()) {
    prepared_by = user->name;
  }
  const auto today = offers.Today(services.clock().Now());
  const std::string pdf =
      crm::OfferPdf(o, letterhead, PartyOf(c), crm::FormatDay(today), prepared_by);
  dms::StringSource content(pdf);
  json::object metadata{{"customer", std::to_string(o.customer)},
                        {"offer", std::to_string(o.id)},
                        {"number", o.number},
                        {"revision", o.revision},
                        {"net", o.ToJson().at("totals").at("net")},
                        {"currency", o.currency},
                        {"status", o.status}};
  if (o.valid_until) metadata["validUntil"] = crm::FormatDay(*o.valid_until);
  // One render at a time: two at once would each make a document.
  static std::mutex render_mu;
  std::lock_guard rendering(render_mu);
  // The offer's document is found by its link, even if recording it on the offer failed
  // after it was made; its metadata follows the offer's state.
  QUIRE_ASSIGN_OR_RETURN(dms::DocumentPage linked,
                         documents.Linked({"offer", std::to_string(o.id)}, 1));
  dms::DocumentInfo doc;
  if (!linked.documents.empty()) {
    const dms::DocumentId existing = linked.documents.front().id;
    QUIRE_RETURN_IF_ERROR(documents.UpdateMetadata(existing, std::nullopt, metadata, actor));
    QUIRE_ASSIGN_OR_RETURN(doc, documents.AddVersion(existing, content, actor, "rendered again"));
  } else {
    QUIRE_RETURN_IF_ERROR(EnsureOfferType(documents, actor));
    dms::NewDocument made;
    made.title = (letterhead.language == "en" ? "Offer " : "Oferta ") + o.number +
                 (o.revision > 1 ? " r" + std::to_string(o.revision) : "") + ".pdf";
    made.type = "offer";
    made.metadata = std::move(metadata);
    made.links = {{"offer", std::to_string(o.id)}, {"customer", std::to_string(o.customer)}};
    made.comment = "rendered";
    made.actor = actor;
    QUIRE_ASSIGN_OR_RETURN(doc, documents.Create(made, content));
  }
  QUIRE_RETURN_IF_ERROR(offers.AddDocument(id, std::to_string(doc.id), actor));
  return doc;
}

}  // namespace quire::services
