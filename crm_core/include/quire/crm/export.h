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

// The header line and one line per record; `delimiter` , or ; (Polish Excel). Customers'
// lines end with the profile's columns, the bank accounts and the `custom` fields (headed by
// their names); without `sensitive` the sensitive cells (credit limit, bank accounts, a PESEL
// as tax id) are left empty.
std::string CustomersCsvHeader(char delimiter, const std::vector<definitions::Field>& custom = {});
std::string CustomerCsvLine(const Customer& c, char delimiter,
                            const std::vector<definitions::Field>& custom = {},
                            bool sensitive = true);
std::string ContactsCsvHeader(char delimiter);
std::string ContactCsvLine(const Contact& c, const std::string& company, char delimiter);

}  // namespace quire::crm
