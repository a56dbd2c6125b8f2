// Exports: contact persons as vCard 4.0 (RFC 6350) and customers and contact persons as CSV
// whose headers Quire's own import (and spreadsheets) read back.
#pragma once

#include <string>
#include <vector>

#include "quire/crm/contacts.h"
#include "quire/crm/customers.h"

namespace quire::crm {

// One vCard 4.0; `company` names its first customer (ORG), empty for none.
std::string ContactVCard(const Contact& c, const std::string& company);

// The header line and one line per record; `delimiter` , or ; (Polish Excel).
std::string CustomersCsvHeader(char delimiter);
std::string CustomerCsvLine(const Customer& c, char delimiter);
std::string ContactsCsvHeader(char delimiter);
std::string ContactCsvLine(const Contact& c, const std::string& company, char delimiter);

}  // namespace quire::crm
