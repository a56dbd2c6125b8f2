// Customers: companies and persons, the CRM's central record. Every write is one atomic
// batch with its audit entry (ids and the names of the fields changed, never their values);
// every read of one customer is audited too (it is personal data).
//
// Stored in the store's `crm` column family:
//   'c' id(u64)  → the customer, JSON (ToStored)
//   'n'          → the next id
//   'p' e164 id  → "" (customers by phone number, for the CTI screen pop)
//   'T' tax-id id → "" (by canonical tax id: duplicates, re-imports, lookups)
//   'K' tax-id    → "" (someone has this tax id: a point key the bloom filters answer)
//   'X' external-id → id (by the id another program gave them: re-imports; a point key)
//   'N' name-key id → "" (by NameKey(name); imports, duplicates)
//   'M' e-mail id → "" (by e-mail address, lower case; duplicates)
//   'R' merge-id → the merge (CustomerMerge, with the records' snapshots)
//   'U' customer-id merge-id → "" (the merges a customer took part in)
//
// Thread-safety: a CustomerStore may be used from any thread; writes are serialised.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/crm/schema.h"
#include "quire/crm/staged_writes.h"
#include "quire/crm/tax_ids.h"
#include "quire/storage/store.h"

namespace quire::crm {

using CustomerId = std::uint64_t;

struct Labelled {
  std::string value;  // an e-mail address or a phone number
  std::string label;  // "work", "home", "mobile", ... (free text)
};

struct Address {
  std::string kind = "billing";  // billing, delivery, other
  std::string street, postal_code, city, country;
};

struct Customer {
  CustomerId id = 0;
  std::string kind = "company";  // company or person
  std::string name;
  std::vector<Labelled> emails;
  std::vector<Labelled> phones;
  std::optional<TaxId> tax_id;
  std::vector<Address> addresses;
  std::string owner;  // the responsible employee (a user id)
  // Classification and terms, checked as typed fields (ProfileFields): industry, category,
  // customerType, source, deliveryTerms (values of the dictionaries of those names),
  // paymentTermsDays, satisfaction (1-5), currency, creditLimit (decimal text, "15000.00"),
  // team (a group id), ordersOnHold (true: no new order is made for it — an unpaid debt's
  // reminder ladder ends there — until it is set false). Only the fields set are present.
  boost::json::object profile;
  std::vector<Labelled> bank_accounts;  // IBANs, checked and stored without spaces
  boost::json::object custom_fields;    // the installation's custom fields (CrmSchema)
  std::vector<std::string> tags;
  std::string notes;
  std::string external_id;  // the id another program gave it; unique
  std::string created_by;
  Timestamp created_at{};
  Timestamp modified_at{};
  std::optional<Timestamp> erased_at;  // its personal data erased (Erase): no more changes
  // Merged into another customer (Merge): kept for the undo, out of lists and lookups, no
  // more changes.
  CustomerId merged_into = 0;
  // NameKey(name), filled by the store's checks (Validate): the name index's key, computed
  // where the record is checked (an import's first pass runs on two threads). Not stored.
  std::string name_key;

  // As the API answers it (docs/api.md): id as a string, instants as …At. Without
  // `sensitive`, the sensitive fields (SensitiveFields) are left out and named in
  // "withheld".
  boost::json::object ToJson(bool sensitive = true) const;
  // Which of this customer's fields are sensitive and set: creditLimit, bankAccounts, and
  // taxId when it is a PESEL (a person's national identification number).
  std::vector<std::string> SensitiveFields() const;
};

// The typed fields of Customer::profile, as declared (for forms and documentation).
const std::vector<definitions::Field>& ProfileFields();
// Whether a create or a change sends a sensitive field (creditLimit, bankAccounts, a PESEL
// as taxId): such writes need the crm.sensitive permission.
std::vector<std::string> SensitiveFieldsIn(const boost::json::object& fields);

using MergeId = std::uint64_t;

// Two records of one customer made one (CustomerStore::Merge): the survivor keeps its
// fields and gains what only the duplicate had; the duplicate is kept, marked, for the undo.
struct CustomerMerge {
  MergeId id = 0;
  CustomerId survivor = 0;
  CustomerId duplicate = 0;
  // moving: the records are merged, the links are being moved; done; undone.
  std::string state = "moving";
  std::string merged_by;
  Timestamp merged_at{};
  std::optional<Timestamp> undone_at;
  // The records as they were before and (the survivor) right after the merge, as stored.
  boost::json::object survivor_before, survivor_after, duplicate_before;
  // What was moved to the survivor: {"activities": [ids], "contacts": [...], "documents":
  // [...], "tasks": [...]}, ids as text; moved back by the undo.
  boost::json::object moved;

  Timestamp undo_until() const;
  // As the API answers it: no snapshots (they hold personal data).
  boost::json::object ToJson() const;
};

// How long a merge can be undone.
inline constexpr std::chrono::hours kMergeUndoWindow{24 * 30};

class CustomerStore {
 public:
  // `schema`: the dictionaries and custom fields (null: a schema of this store's own).
  CustomerStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock,
                const CrmSchema* schema = nullptr);
  const CrmSchema& schema() const { return *schema_; }

  // Creates a customer from the API's JSON (`kind`, `name`, `emails` [{address, label}],
  // `phones` [{number, label}], `taxId`, `addresses`, `owner`, `tags`, `notes`, the profile's
  // fields, `bankAccounts` [{iban, label}], `customFields`). The owner
  // defaults to the actor. Errors: kValidationFailed with one detail per field (`taxId`:
  // the checksum; `emails[1].address`: ...), nothing stored.
  Result<Customer> Create(const boost::json::object& fields, const audit::Actor& actor);
  // Changes the fields sent (JSON Merge Patch, RFC 7396); checked as a whole as on create.
  Result<Customer> Update(CustomerId id, const boost::json::object& patch,
                          const audit::Actor& actor);

  // Many creates and updates written together (imports): each is checked as Create and
  // Update check it, and Commit writes what was staged in one atomic batch, one sync, with
  // an audit entry per record. Holds the store's write lock from construction to
  // destruction. The store's reads do not see what is staged until it is committed; a write
  // that depends on a staged one (an update of a staged customer, an external id staged)
  // commits what was staged first. What is not committed when the Bulk goes is dropped.
  class Bulk {
   public:
    explicit Bulk(CustomerStore& store);
    Result<Customer> Create(const boost::json::object& fields, const audit::Actor& actor);
    // `checked` as Validate(fields, actor) made it (an import's first pass): only what
    // depends on the store, the external id's uniqueness, is checked again.
    Result<Customer> Create(Customer checked, const boost::json::object& fields,
                            const audit::Actor& actor);
    Result<Customer> Update(CustomerId id, const boost::json::object& patch,
                            const audit::Actor& actor);
    std::size_t staged() const { return staged_.size(); }
    Result<void> Commit();

   private:
    Result<Customer> Stage(Customer c, const boost::json::object& fields, const audit::Actor& actor,
                           bool checked_external_id);

    CustomerStore& store_;
    std::unique_lock<std::mutex> lock_;
    StagedWrites staged_;
    CustomerId next_id_ = 0;  // 0: not read yet
  };
  // The customer. Errors: kNotFound.
  Result<Customer> Get(CustomerId id) const;
  // Erases the customer's personal data (privacy): name, e-mails, phones, tax id, addresses,
  // tags, notes, external id; the record keeps its id, kind, owner and times, its history
  // its shape. Audited as customer.erased. Errors: kNotFound.
  Result<Customer> Erase(CustomerId id, const audit::Actor& actor);
  // Merges customer `duplicate` into `survivor` (one customer, entered twice): the survivor
  // keeps its fields and gains the duplicate's e-mails, phones, addresses, tags and bank
  // accounts, and any field it lacks; the duplicate is marked merged (out of lists and
  // lookups; a re-import by its external id reaches the survivor). One audited batch
  // (customer.merged) with the merge record, state "moving": the caller moves the links and
  // calls MergeMoved. Errors: kInvalidArgument (the same customer), kNotFound, kConflict
  // (erased, merged already).
  Result<CustomerMerge> Merge(CustomerId survivor, CustomerId duplicate, const audit::Actor& actor);
  // Records what was moved; the merge is done.
  Result<CustomerMerge> MergeMoved(MergeId id, boost::json::object moved,
                                   const audit::Actor& actor);
  // The merge that is still moving between these two, if any (a merge that was interrupted
  // is finished by merging again).
  Result<std::optional<CustomerMerge>> MovingMerge(CustomerId survivor, CustomerId duplicate) const;
  Result<CustomerMerge> GetMerge(MergeId id) const;
  // Whether merge `id` can be undone now: done, within kMergeUndoWindow, not undone.
  // Errors: kNotFound, kConflict saying why not.
  Result<CustomerMerge> CheckUndo(MergeId id) const;
  // Undoes the records' part of a merge (the caller moved the links back): the duplicate as
  // it was; the survivor's fields the merge changed back as they were, unless changed since.
  // Audited as customer.unmerged.
  Result<CustomerMerge> Unmerge(MergeId id, const audit::Actor& actor);

  // Records that `actor` looked at customer `id` (customer.viewed): what people see of a
  // customer is personal data, and its reads are audited.
  Result<void> RecordView(CustomerId id, const audit::Actor& actor);
  // Customers in id order after `after`, those `keep` accepts, at most `limit`; `next` is
  // the id to continue after (0 at the end). Looks at no more than `budget` records.
  struct Page {
    std::vector<Customer> customers;
    CustomerId next = 0;
  };
  template <class Keep>
  Result<Page> List(CustomerId after, std::size_t limit, Keep keep,
                    std::size_t budget = 5000) const {
    Page page;
    auto it = store_.ScanPrefix(storage::ColumnFamily::kCrm, std::string(1, 'c'));
    it.Seek(Key(after + 1));
    CustomerId last_seen = after;
    std::size_t looked = 0;
    for (; it.Valid(); it.Next()) {
      if (page.customers.size() == limit || looked == budget) {
        page.next = last_seen;  // more may follow: continue after the last one looked at
        return page;
      }
      ++looked;
      QUIRE_ASSIGN_OR_RETURN(Customer c, FromStored(it.value()));
      last_seen = c.id;
      if (c.merged_into != 0) continue;  // part of another now
      QUIRE_ASSIGN_OR_RETURN(bool kept, keep(c));
      if (kept) page.customers.push_back(std::move(c));
    }
    QUIRE_RETURN_IF_ERROR(it.status());
    return page;
  }

  // The customers holding a phone number, typed in any form; empty when the text is no
  // phone number.
  Result<std::vector<CustomerId>> FindByPhone(std::string_view typed, std::size_t limit = 20) const;

  // By canonical tax id (typed in any form ParseTaxId reads); by external id.
  Result<std::vector<CustomerId>> FindByTaxId(std::string_view typed, std::size_t limit = 20) const;
  // A merged duplicate's external id answers the customer it became part of.
  Result<std::optional<CustomerId>> FindByExternalId(std::string_view external_id) const;
  // Whether customer `id` exists, without reading it whole.
  Result<bool> Exists(CustomerId id) const;
  Result<std::vector<CustomerId>> FindByEmail(std::string_view address,
                                              std::size_t limit = 20) const;
  // By name, compared loosely (NameKey).
  Result<std::vector<CustomerId>> FindByName(std::string_view name, std::size_t limit = 20) const;
  // Checks `fields` as Create would, storing nothing; with `before`, as a change of that
  // record would (the whole record after the change: a value only a change introduces is
  // refused, as Update refuses it).
  Result<Customer> Validate(const boost::json::object& fields, const audit::Actor& actor,
                            const Customer* before = nullptr) const;

  // Writes the index entries every customer should have (phone, tax id, external id, name):
  // for stores written before an index existed. Idempotent; returns how many were looked at.
  Result<std::size_t> Reindex();

  static std::string Key(CustomerId id);
  static std::string PhoneKey(std::string_view e164, CustomerId id);
  static Result<Customer> FromStored(std::string_view text);

 private:
  // `before`: the record as stored, for a change (nullptr for a new one).
  Result<Customer> Check(Customer c, const boost::json::object& fields,
                         const Customer* before) const;
  static void Index(const Customer* before, const Customer* after, storage::WriteBatch& batch);
  // Removes the hint that someone has `was`'s tax id when `was` held it last and `now` does
  // not (its key names the tax id: personal data for a PESEL).
  Result<void> DropTaxHint(const Customer& was, const Customer* now,
                           storage::WriteBatch& batch) const;

  storage::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  std::unique_ptr<CrmSchema> own_schema_;
  const CrmSchema* schema_;
  std::mutex write_mu_;
};

}  // namespace quire::crm
