// An offer as a PDF: the company's letterhead, the customer, the lines, the totals per tax
// rate and the terms, on A4 pages (the table's header repeated on each), laid out with
// Pango (fonts with Polish diacritics: DejaVu) and written with cairo.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/result.h"
#include "quire/crm/offers.h"
#include "quire/storage/store.h"

namespace quire::crm {

// The company's letterhead, set by an administrator (PUT /api/crm/settings/letterhead).
struct Letterhead {
  std::string name = "Quire";      // the company
  std::vector<std::string> lines;  // its address, NIP, bank account, phone, e-mail
  std::string footer;              // small print at the foot of every page
  std::string language = "pl";     // of the document's words: pl or en
  std::string accent = "#1f4e79";  // the colour of rules and headings (#rrggbb)

  boost::json::object ToJson() const;
};
// From {name, lines, footer, language, accent}. Errors: kValidationFailed, one detail each.
Result<Letterhead> ParseLetterhead(const boost::json::object& o);
// Kept in the `crm` column family ('S' 'h'); until one is set, the default above.
Result<Letterhead> ReadLetterhead(const storage::Store& store);
// Written through the audit log, which commits to the store it keeps.
Result<Letterhead> WriteLetterhead(audit::AuditLog& audit, const boost::json::object& body,
                                   const audit::Actor& actor, Timestamp now);

struct OfferParty {
  std::string name;
  std::vector<std::string> lines;  // address lines, tax id
};

// The PDF's bytes. `issued`: the day printed on it; `prepared_by`: the owner's name.
std::string OfferPdf(const Offer& offer, const Letterhead& letterhead, const OfferParty& customer,
                     const std::string& issued, const std::string& prepared_by);

}  // namespace quire::crm
