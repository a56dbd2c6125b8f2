// Data quality: what a customer record lacks or holds wrong, as a list a person can work
// through — required data missing (a name is always there; an owner, a way to reach them),
// recommended data missing (a company's tax id, an address, a contact person), and data
// that is there but wrong (a phone number in no range in use, an e-mail that bounced).
// And duplicates: customers that look like the same one.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "quire/base/result.h"
#include "quire/crm/contacts.h"
#include "quire/crm/customers.h"

namespace quire::crm {

struct QualityProblem {
  std::string field;     // "owner", "phones[1].number", "taxId", "contacts[0].emails", ...
  std::string kind;      // missing, invalid
  std::string severity;  // required, recommended
  std::string message;

  boost::json::object ToJson() const;
};

// The problems of a customer with its contact persons. `owner_exists`: whether the owner is
// a user (the caller knows the directory).
std::vector<QualityProblem> CheckQuality(const Customer& customer,
                                         const std::vector<Contact>& contacts, bool owner_exists);

// Customers that may be `c` under another record: the same tax id (a Polish EU VAT number
// is its NIP), the same name compared loosely (DuplicateKey), a phone number or e-mail
// address in common. Each with the reasons, `c` itself left out.
struct DuplicateCandidate {
  CustomerId id = 0;
  std::vector<std::string> reasons;  // taxId, name, phone, email
};
Result<std::vector<DuplicateCandidate>> FindDuplicates(const CustomerStore& customers,
                                                       const Customer& c);

}  // namespace quire::crm
