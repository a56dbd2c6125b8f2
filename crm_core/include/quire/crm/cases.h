// Service cases: complaints, warranty and post-warranty repairs, with their SLA.
//
// A case: a customer (and contact person), a product with its serial number and purchase
// date, the warranty's end computed from the product's warranty period, a subject and a
// description, a priority, an assignee, and a life:
//   new → in-progress ⇄ waiting → resolved → closed   (resolved may be reopened: in-progress)
// Its SLA: it is to be answered (leave "new") within the response time and resolved within
// the resolution time of its priority (SlaTable, set by administrators). A time past is a
// breach, flagged on the case (responseBreached, resolutionBreached), and answered by
// ?breached=true lists, while the case is open as after.
//
// Stored in the `crm` column family ('S' is the sales and service records' prefix):
//   'S' 'c' id            → the case, JSON
//   'S' 'C' customer id   → ""  a customer's cases
//   'S' 'k' id            → ""  cases not closed (open ones, their SLA watched)
//   'S' 'e' external-id   → id  (a point key)
//   'S' 's'               → the SLA table, JSON
//   "n:case"              → the next id
//
// Thread-safety: any thread; writes are serialised.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/crm/contacts.h"
#include "quire/crm/customers.h"
#include "quire/crm/products.h"
#include "quire/storage/store.h"

namespace quire::crm {

using CaseId = std::uint64_t;

// Response and resolution times per priority (low, normal, high, urgent).
struct SlaTable {
  struct Times {
    std::chrono::minutes response{};
    std::chrono::minutes resolution{};
  };
  std::map<std::string, Times> by_priority = {
      {"urgent", {std::chrono::hours(1), std::chrono::hours(8)}},
      {"high", {std::chrono::hours(4), std::chrono::hours(24)}},
      {"normal", {std::chrono::hours(8), std::chrono::hours(72)}},
      {"low", {std::chrono::hours(24), std::chrono::hours(168)}},
  };
  boost::json::object ToJson() const;
};

struct ServiceCase {
  CaseId id = 0;
  std::string number;              // "SR/2026/12"
  std::string kind = "complaint";  // complaint, warranty, post-warranty
  CustomerId customer = 0;
  ContactId contact = 0;
  ProductId product = 0;
  std::string serial_number;
  std::optional<std::chrono::year_month_day> purchase_date;
  std::optional<std::chrono::year_month_day> warranty_end;  // computed from the product
  std::string subject;
  std::string description;
  std::string priority = "normal";  // low, normal, high, urgent
  std::string status = "new";       // new, in-progress, waiting, resolved, closed
  std::string assignee;
  std::string resolution;   // what was done
  std::string external_id;  // the id another program (or a process's job) gave it; unique
  Timestamp response_due{};
  Timestamp resolution_due{};
  std::optional<Timestamp> responded_at, resolved_at, closed_at;
  std::string created_by;
  Timestamp created_at{};
  Timestamp modified_at{};

  bool open() const { return status != "resolved" && status != "closed"; }
  bool response_breached(Timestamp now) const { return responded_at.value_or(now) > response_due; }
  bool resolution_breached(Timestamp now) const {
    return resolved_at.value_or(now) > resolution_due;
  }
  boost::json::object ToJson(Timestamp now) const;
};

class CaseStore {
 public:
  CaseStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock,
            const CustomerStore& customers, const ContactStore& contacts,
            const ProductStore& products);

  // From {kind, customer, contact, product, serialNumber, purchaseDate, subject, description,
  // priority, assignee}. The warranty's end is the purchase date plus the product's
  // warranty months; a warranty case past it is refused (it is post-warranty). The SLA's
  // due times come from the priority. Errors: kValidationFailed, one detail per field.
  Result<ServiceCase> Create(const boost::json::object& fields, const audit::Actor& actor);
  // JSON Merge Patch of the same fields and status (its life's moves only), resolution. A
  // change of priority moves the due times. Errors: kConflict for a move not allowed, and
  // for any change of a closed case.
  Result<ServiceCase> Update(CaseId id, const boost::json::object& patch,
                             const audit::Actor& actor);
  Result<ServiceCase> Get(CaseId id) const;  // Errors: kNotFound
  // A stored case's value read back (index builds). Errors: kCorruption.
  static Result<ServiceCase> ParseStored(std::string_view text);
  Result<std::optional<CaseId>> FindByExternalId(std::string_view external_id) const;
  // A customer's cases (0: every case), newest first, those `keep` accepts, at most `limit`
  // after the id `after`. `open_only`: through the index of cases not closed.
  Result<std::vector<ServiceCase>> List(CustomerId customer, bool open_only, std::size_t limit,
                                        CaseId after,
                                        const std::function<bool(const ServiceCase&)>& keep) const;

  Result<SlaTable> Sla() const;
  // {"urgent": {"responseHours": 1, "resolutionHours": 8}, ...} for each priority.
  Result<SlaTable> PutSla(const boost::json::object& body, const audit::Actor& actor);

 private:
  Result<ServiceCase> Check(ServiceCase c, const boost::json::object& fields,
                            const ServiceCase* before) const;

  storage::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  const CustomerStore& customers_;
  const ContactStore& contacts_;
  const ProductStore& products_;
  std::mutex write_mu_;
};

}  // namespace quire::crm
