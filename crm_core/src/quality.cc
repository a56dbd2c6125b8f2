#include "quire/crm/quality.h"

#include <algorithm>
#include <map>

#include "quire/crm/names.h"
#include "quire/crm/phones.h"

namespace quire::crm {

boost::json::object QualityProblem::ToJson() const {
  return {{"field", field}, {"kind", kind}, {"severity", severity}, {"message", message}};
}

std::vector<QualityProblem> CheckQuality(const Customer& c, const std::vector<Contact>& contacts,
                                         bool owner_exists) {
  std::vector<QualityProblem> out;
  auto add = [&](std::string field, std::string kind, std::string severity, std::string message) {
    out.push_back({std::move(field), std::move(kind), std::move(severity), std::move(message)});
  };
  if (c.owner.empty()) {
    add("owner", "missing", "required", "nobody is responsible for the customer: set an owner");
  } else if (!owner_exists) {
    add("owner", "invalid", "required",
        "the owner '" + c.owner + "' is not a user (any more): hand the customer to someone");
  }
  bool reachable = !c.emails.empty() || !c.phones.empty();
  for (const Contact& p : contacts) reachable = reachable || !p.emails.empty() || !p.phones.empty();
  if (!reachable) {
    add("phones", "missing", "required",
        "no phone number or e-mail address, neither the customer's nor a contact person's");
  }
  for (std::size_t i = 0; i < c.phones.size(); ++i) {
    if (!PhoneIsValid(c.phones[i].value)) {
      add("phones[" + std::to_string(i) + "].number", "invalid", "required",
          c.phones[i].value + " is in no range of numbers in use in its country");
    }
  }
  if (c.kind == "company") {
    if (!c.tax_id) add("taxId", "missing", "recommended", "a company without its tax id (NIP)");
    if (contacts.empty()) {
      add("contacts", "missing", "recommended", "no contact person at the company");
    }
  }
  if (c.addresses.empty()) {
    add("addresses", "missing", "recommended", "no address");
  } else {
    for (std::size_t i = 0; i < c.addresses.size(); ++i) {
      const Address& a = c.addresses[i];
      if (a.city.empty() || a.postal_code.empty() || a.street.empty()) {
        add("addresses[" + std::to_string(i) + "]", "missing", "recommended",
            "the " + a.kind + " address lacks its " +
                (a.street.empty() ? std::string("street")
                 : a.city.empty() ? "city"
                                  : "postal code"));
      }
    }
  }
  for (std::size_t i = 0; i < contacts.size(); ++i) {
    const Contact& p = contacts[i];
    const std::string at = "contacts[" + std::to_string(i) + "]";
    if (p.email_bounced) {
      add(at + ".emails", "invalid", "required",
          p.name() + "'s e-mail bounced: find their current address");
    }
    for (std::size_t j = 0; j < p.phones.size(); ++j) {
      if (!PhoneIsValid(p.phones[j].value)) {
        add(at + ".phones[" + std::to_string(j) + "].number", "invalid", "required",
            p.name() + ": " + p.phones[j].value + " is in no range of numbers in use");
      }
    }
  }
  return out;
}

Result<std::vector<DuplicateCandidate>> FindDuplicates(const CustomerStore& customers,
                                                       const Customer& c) {
  std::map<CustomerId, std::vector<std::string>> found;
  auto note = [&](const std::vector<CustomerId>& ids, const char* reason) {
    for (const CustomerId id : ids) {
      if (id == c.id) continue;
      auto& reasons = found[id];
      if (std::find(reasons.begin(), reasons.end(), reason) == reasons.end()) {
        reasons.emplace_back(reason);
      }
    }
  };
  if (c.tax_id) {
    QUIRE_ASSIGN_OR_RETURN(std::vector<CustomerId> ids, customers.FindByTaxId(c.tax_id->value));
    note(ids, "taxId");
  }
  QUIRE_ASSIGN_OR_RETURN(std::vector<CustomerId> named, customers.FindByName(c.name));
  note(named, "name");
  for (const Labelled& p : c.phones) {
    QUIRE_ASSIGN_OR_RETURN(std::vector<CustomerId> ids, customers.FindByPhone(p.value));
    note(ids, "phone");
  }
  for (const Labelled& e : c.emails) {
    QUIRE_ASSIGN_OR_RETURN(std::vector<CustomerId> ids, customers.FindByEmail(e.value));
    note(ids, "email");
  }
  std::vector<DuplicateCandidate> out;
  for (auto& [id, reasons] : found) out.push_back({id, std::move(reasons)});
  // The likeliest first: more reasons, then the older record.
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.reasons.size() > b.reasons.size();
  });
  return out;
}

}  // namespace quire::crm
