// Contact persons: the people the CRM talks to at its customers. A person can be a contact
// of several companies; each has labelled e-mail addresses and phone numbers, a role, and
// consent to marketing by e-mail, SMS and phone, each with when and how it was given (what a
// data-protection officer asks to see). Every write is one batch with its audit entry (ids
// and field names only).
//
// Stored in the `crm` column family:
//   'C' id                  → the contact, JSON
//   'L' customer id         → ""  the contacts of a customer
//   'q' e164 id             → ""  contacts by phone number (the call centre)
//   'm' address id          → ""  contacts by e-mail address (lower case; duplicates, imports)
//   'h' address             → ""  someone has this address (a point key the bloom filters answer)
//   'x' external-id         → id  contacts by the id another program gave them (re-imports)
//   "n:contact"             → the next id
//
// Thread-safety: any thread; writes are serialised.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/crm/customers.h"
#include "quire/crm/staged_writes.h"
#include "quire/storage/store.h"

namespace quire::crm {

using ContactId = std::uint64_t;

// Agreement to one kind of marketing.
struct Consent {
  bool granted = false;
  Timestamp at{};   // when it was given or withdrawn
  std::string how;  // "web form", "signed paper", "phone call 2026-12-01", ...
};

struct Contact {
  ContactId id = 0;
  std::string first_name;
  std::string last_name;
  std::string title;  // role at the customer: "CFO", "purchasing", ...
  std::vector<CustomerId> customers;
  std::vector<Labelled> emails;
  std::vector<Labelled> phones;  // E.164
  Consent email_consent, sms_consent, phone_consent;
  std::string owner;  // the responsible employee; reach follows it as for customers
  std::string notes;
  std::string external_id;  // the id another program gave it: a re-import updates
  bool email_bounced = false;
  boost::json::object custom_fields;  // the installation's custom fields (CrmSchema)
  std::string created_by;
  Timestamp created_at{};
  Timestamp modified_at{};

  std::string name() const;  // "first last"
  boost::json::object ToJson() const;
};

class ContactStore {
 public:
  ContactStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock,
               const CustomerStore& customers);

  // From the API's JSON (firstName, lastName, title, customers, emails, phones, consent
  // {email, sms, phone: {granted, how, changedAt}}, owner, notes, externalId, emailBounced). The
  // owner defaults to the actor. Errors: kValidationFailed, one detail per field (a customer
  // that does not exist, consent granted without saying how, an external id already used).
  Result<Contact> Create(const boost::json::object& fields, const audit::Actor& actor);
  Result<Contact> Update(ContactId id, const boost::json::object& patch, const audit::Actor& actor);

  // Many creates and updates in one audited batch (imports), as CustomerStore::Bulk.
  class Bulk {
   public:
    explicit Bulk(ContactStore& store);
    Result<Contact> Create(const boost::json::object& fields, const audit::Actor& actor);
    // As CustomerStore::Bulk's: `checked` as Validate(fields, actor) made it.
    Result<Contact> Create(Contact checked, const boost::json::object& fields,
                           const audit::Actor& actor);
    Result<Contact> Update(ContactId id, const boost::json::object& patch,
                           const audit::Actor& actor);
    std::size_t staged() const { return staged_.size(); }
    Result<void> Commit();

   private:
    Result<Contact> Stage(Contact c, const boost::json::object& fields, const audit::Actor& actor,
                          bool checked_external_id);

    ContactStore& store_;
    std::unique_lock<std::mutex> lock_;
    StagedWrites staged_;
    ContactId next_id_ = 0;  // 0: not read yet
  };
  Result<Contact> Get(ContactId id) const;  // Errors: kNotFound
  // Erases the person's personal data (privacy): names, title, e-mails, phones, consents,
  // notes, external id; the record keeps its id and companies. Audited as contact.erased.
  Result<Contact> Erase(ContactId id, const audit::Actor& actor);

  // The contacts of a customer, by id.
  // Makes the contact persons of customer `from` contacts of `to` instead (a merge, and its
  // undo): every one, or those of `only` still with `from`. Audited as contact.changed;
  // returns those moved.
  Result<std::vector<ContactId>> MoveCustomer(CustomerId from, CustomerId to,
                                              const std::vector<ContactId>& only,
                                              const audit::Actor& actor);
  Result<std::vector<Contact>> OfCustomer(CustomerId customer, std::size_t limit = 500) const;
  // Contacts in id order after `after`, those `keep` accepts, at most `limit`.
  struct Page {
    std::vector<Contact> contacts;
    ContactId next = 0;
  };
  Result<Page> List(ContactId after, std::size_t limit,
                    const std::function<Result<bool>(const Contact&)>& keep,
                    std::size_t budget = 5000) const;

  Result<std::vector<ContactId>> FindByPhone(std::string_view typed, std::size_t limit = 20) const;
  Result<std::vector<ContactId>> FindByEmail(std::string_view address,
                                             std::size_t limit = 20) const;
  Result<std::optional<ContactId>> FindByExternalId(std::string_view external_id) const;
  // Writes the external-id index in its present form (stores written before it was a
  // point key). Idempotent; returns how many were looked at.
  Result<std::size_t> Reindex();

  // Checks `fields` as Create would, storing nothing (an import's dry run); with `before`,
  // as a change of that record would.
  Result<Contact> Validate(const boost::json::object& fields, const audit::Actor& actor,
                           const Contact* before = nullptr) const;

  static std::string Key(ContactId id);
  static Result<Contact> FromStored(std::string_view text);

 private:
  // `before`: the record as stored, for a change (nullptr for a new one).
  Result<Contact> Check(Contact c, const boost::json::object& fields, const Contact* before) const;
  Result<void> CheckExternalId(const Contact& c) const;
  static void Index(const Contact* before, const Contact* after, storage::WriteBatch& batch);
  // Removes the hints of `was`'s addresses that `now` lacks and nobody else holds.
  Result<void> DropEmailHints(const Contact& was, const Contact* now,
                              storage::WriteBatch& batch) const;

  storage::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  const CustomerStore& customers_;
  std::mutex write_mu_;
};

}  // namespace quire::crm
