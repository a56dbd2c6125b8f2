// Offers that become orders, and the payments recorded against orders.
//
// An offer: a customer, a contact person, an owner, a currency, lines (a product or a line
// written by hand; quantity, unit price, discount, tax rate), totals computed exactly
// (money.h), a validity date, payment and delivery terms. Its life:
//   draft ─send→ sent ─accept→ accepted ─order→ (an order made from it)
//     │            ├─reject→ rejected
//     └────────────┴─(its validUntil passes)→ expired
// Draft and sent offers can be changed. Acceptance locks an offer: a change of an accepted
// one is refused (kConflict naming who accepted it and when); a change is made as a new
// revision (Revise), linked to the one it replaces, which becomes "superseded" (unless an
// order was made from it). Rejected, expired and superseded offers are kept as they were.
//
// An order: made from an accepted offer (its lines, prices and terms copied, a link back);
// confirmed → in-fulfilment → delivered → invoiced → paid, or cancelled; expected and actual
// dates; payments (amount, date) against it, so that what is unpaid and overdue is known.
// The due date is the invoice date (else the order date) plus the payment terms.
//
// Stored in the `crm` column family ('S' is the sales records' prefix):
//   'S' 'o' id                 → the offer, JSON
//   'S' 'O' customer id        → ""  a customer's offers
//   'S' 'v' day id             → ""  draft and sent offers by their validUntil (expiry)
//   'S' 'x' external-id        → id  (a point key)
//   'S' 'r' id                 → the order, JSON (its payments inside)
//   'S' 'R' customer id        → ""  a customer's orders
//   'S' 'u' id                 → ""  orders not yet paid in full (unpaid, overdue)
//   'S' 'a'                    → the acceptance limits, JSON
//   "n:order"                  → the next order's id (an offer's: one past the largest)
//
// Thread-safety: any thread; writes are serialised.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/crm/contacts.h"
#include "quire/crm/customers.h"
#include "quire/crm/money.h"
#include "quire/crm/products.h"
#include "quire/storage/store.h"

namespace quire::crm {

using OfferId = std::uint64_t;
using OrderId = std::uint64_t;

struct OfferLine {
  ProductId product = 0;  // 0: a line written by hand
  std::string code;       // the product's, when it has one
  std::string name;
  std::string unit = "szt.";
  std::int64_t quantity = kOne;  // at kPlaces
  std::int64_t unit_price = 0;   // at kPlaces
  std::int64_t discount = 0;     // percent at kPlaces
  std::string tax_rate = "23";
  std::int64_t net = 0;  // minor units, computed
  friend bool operator==(const OfferLine&, const OfferLine&) = default;
};

struct Offer {
  OfferId id = 0;
  std::string number;  // "OF/2026/17": the first revision's id; kept by revisions
  std::int64_t revision = 1;
  OfferId previous = 0;  // the revision this one replaces
  OfferId next = 0;      // the revision that replaced it
  CustomerId customer = 0;
  ContactId contact = 0;
  std::string owner;
  std::string currency = "PLN";
  std::vector<OfferLine> lines;
  Totals totals;
  std::optional<std::chrono::year_month_day> valid_until;
  std::int64_t payment_terms_days = 14;
  std::string delivery_terms;    // a value of the delivery-terms dictionary
  std::string notes;             // printed on the offer
  std::string campaign;          // the campaign it is attributed to
  std::string external_id;       // the id another program (or a process's job) gave it; unique
  std::string status = "draft";  // draft, sent, accepted, rejected, expired, superseded
  std::optional<Timestamp> sent_at;
  std::string accepted_by;
  std::optional<Timestamp> accepted_at;
  std::string rejected_reason;
  std::optional<Timestamp> closed_at;  // rejected, expired or superseded
  std::vector<std::string> documents;  // DMS documents: its rendered PDFs
  OrderId order = 0;
  std::string created_by;
  Timestamp created_at{};
  Timestamp modified_at{};

  boost::json::object ToJson() const;
  bool editable() const { return status == "draft" || status == "sent"; }
};

struct Payment {
  std::int64_t amount = 0;  // minor units of the order's currency
  std::chrono::year_month_day date{};
  std::string reference;  // the bank transfer's title, the receipt
  std::string recorded_by;
  Timestamp recorded_at{};
};

struct Order {
  OrderId id = 0;
  std::string number;  // "ZM/2026/5"
  OfferId offer = 0;
  CustomerId customer = 0;
  ContactId contact = 0;
  std::string owner;
  std::string currency;
  std::vector<OfferLine> lines;
  Totals totals;
  std::int64_t payment_terms_days = 14;
  std::string delivery_terms;
  std::string campaign;
  // confirmed, in-fulfilment, delivered, invoiced, paid, cancelled
  std::string status = "confirmed";
  std::chrono::year_month_day ordered_on{};
  std::optional<std::chrono::year_month_day> expected_delivery, delivered_on, invoiced_on;
  std::string invoice_number;
  std::vector<Payment> payments;
  std::string notes;
  // When the offer's first revision was made: offer → order conversion time (kpis.h).
  std::optional<Timestamp> offer_made_at;
  std::string created_by;
  Timestamp created_at{};
  Timestamp modified_at{};

  std::int64_t paid() const;
  std::int64_t outstanding() const { return status == "cancelled" ? 0 : totals.gross - paid(); }
  std::chrono::year_month_day due() const;
  bool overdue(std::chrono::year_month_day today) const {
    return outstanding() > 0 && today > due();
  }
  boost::json::object ToJson(std::chrono::year_month_day today) const;
};

// How far each role may accept offers: per currency, the largest net value. A role with
// limits cannot accept in a currency it has none for; a role with no entry is not limited.
// A user may accept what the most generous of their roles may.
struct AcceptanceLimits {
  std::map<std::string, std::map<std::string, std::int64_t>> by_role;  // role → currency → net
  boost::json::object ToJson() const;
  // nullopt: unlimited.
  std::optional<std::int64_t> LimitOf(const std::vector<std::string>& roles,
                                      const std::string& currency) const;
};

class OfferStore {
 public:
  // `time_zone`: where a day ends (an offer valid until a day expires after its end there).
  OfferStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock,
             const CustomerStore& customers, const ContactStore& contacts,
             const ProductStore& products, std::string time_zone = "Europe/Warsaw");

  // From {customer, contact, owner, currency, lines [{product | name, quantity, unitPrice,
  // discountPercent, taxRate, unit}], validUntil, paymentTermsDays, deliveryTerms, notes,
  // campaign}. A line naming a product takes its name, unit and tax rate, and the price
  // Suggest gives, for what it leaves out; the customer's payment and delivery terms and
  // currency are taken when the offer leaves them out. Errors: kValidationFailed, one detail
  // per field ("lines[2].unitPrice").
  Result<Offer> Create(const boost::json::object& fields, const audit::Actor& actor);
  // The offer `fields` would make — lines priced from the price lists, totals computed,
  // every rule checked — without storing anything: the offer form's live totals. With
  // `editing`, `fields` is a change (merge patch) of that offer, as Update takes it.
  Result<Offer> Preview(const boost::json::object& fields, const audit::Actor& actor,
                        OfferId editing = 0) const;
  // JSON Merge Patch (lines: the whole list). Errors: kConflict for an offer that is not a
  // draft or sent (accepted: naming who accepted it and when).
  Result<Offer> Update(OfferId id, const boost::json::object& patch, const audit::Actor& actor);
  Result<Offer> Get(OfferId id) const;  // Errors: kNotFound
  Result<std::optional<OfferId>> FindByExternalId(std::string_view external_id) const;
  // A customer's offers, newest first (0: every offer, newest first), at most `limit` after
  // the id `after` (0: from the start).
  Result<std::vector<Offer>> List(CustomerId customer, std::size_t limit, OfferId after,
                                  const std::function<bool(const Offer&)>& keep) const;

  Result<Offer> Send(OfferId id, const audit::Actor& actor);
  // By someone holding `roles`, within what `limits` lets those roles accept in the offer's
  // currency (nullptr: not limited, as a process's approval is not). Errors: kConflict (not
  // draft or sent, or expired), kForbidden (over the limit, naming it).
  Result<Offer> Accept(OfferId id, const AcceptanceLimits* limits,
                       const std::vector<std::string>& roles, const audit::Actor& actor);
  Result<Offer> Reject(OfferId id, const std::string& reason, const audit::Actor& actor);
  // A new revision of `id` with `patch` applied: a draft, the same number, revision + 1.
  Result<Offer> Revise(OfferId id, const boost::json::object& patch, const audit::Actor& actor);
  // Records a rendered PDF (a DMS document id) on the offer; allowed in any state.
  Result<Offer> AddDocument(OfferId id, const std::string& document, const audit::Actor& actor);

  // Expires the draft and sent offers whose validUntil ended before `now`. Returns how
  // many. Run at start and periodically: an expiry missed while stopped happens at start.
  Result<std::size_t> ExpireDue(Timestamp now, const audit::Actor& actor);

  // An order from an accepted offer. Errors: kConflict (not accepted; ordered already,
  // naming the order).
  Result<Order> MakeOrder(OfferId offer, const boost::json::object& fields,
                          const audit::Actor& actor);
  // status, expectedDelivery, deliveredOn, invoicedOn, invoiceNumber, notes. Errors:
  // kConflict for a move the order's life does not allow (naming it).
  Result<Order> UpdateOrder(OrderId id, const boost::json::object& patch,
                            const audit::Actor& actor);
  // {amount, date, reference}. A payment that makes the outstanding amount zero marks an
  // invoiced or delivered order paid. Errors: kValidationFailed (more than is outstanding).
  Result<Order> AddPayment(OrderId id, const boost::json::object& fields,
                           const audit::Actor& actor);
  Result<Order> GetOrder(OrderId id) const;  // Errors: kNotFound
  // A stored offer's / order's value read back (index builds). Errors: kCorruption.
  static Result<Offer> ParseStoredOffer(std::string_view text);
  static Result<Order> ParseStoredOrder(std::string_view text);
  Result<std::vector<Order>> Orders(CustomerId customer, std::size_t limit, OrderId after,
                                    const std::function<bool(const Order&)>& keep) const;
  // Orders not paid in full (what is overdue among them: Order::overdue).
  Result<std::vector<Order>> Unpaid() const;

  // Clears what people wrote about a customer in its offers and orders (notes, rejection
  // reasons, the names of lines written by hand, payment references), accepted ones too:
  // the records keep their lines' products, amounts, dates and states. Audited as
  // offer.erased / order.erased for each. Returns how many records were cleared.
  Result<std::size_t> EraseCustomerText(CustomerId customer, const audit::Actor& actor);

  Result<AcceptanceLimits> Limits() const;
  Result<AcceptanceLimits> PutLimits(const boost::json::object& body, const audit::Actor& actor);

  // The day it is at `t` where days end for offers.
  std::chrono::year_month_day Today(Timestamp t) const;

 private:
  // `before`: the record changed (nullptr: a new one, whose defaults are filled in);
  // `lines_of`: the offer whose lines may keep products since made inactive (by default
  // `before`; a revision's predecessor).
  Result<Offer> Check(Offer o, const boost::json::object& fields, const Offer* before,
                      const Offer* lines_of = nullptr) const;
  Result<void> Put(storage::WriteBatch& batch, const Offer& o, const Offer* before) const;
  Result<void> PutOrder(storage::WriteBatch& batch, const Order& o, const Order* before) const;
  Result<void> Commit(storage::WriteBatch batch, const audit::Actor& actor, std::string action,
                      const std::string& object, boost::json::object details, Timestamp at);
  // A new offer's id: one past the largest stored (read once), then counted here, so that
  // creations need not wait for each other's commits (the audit log groups their syncs).
  Result<OfferId> NewOfferId();

  storage::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  const CustomerStore& customers_;
  const ContactStore& contacts_;
  const ProductStore& products_;
  std::string time_zone_;
  // Changes of offers and orders (reads, checks, writes) one at a time; a creation takes
  // only its id under id_mu_.
  std::mutex write_mu_;
  // Held shared by a creation from its checks to its commit, and exclusively by
  // EraseCustomerText: an offer checked before a customer's erasure is committed before the
  // erasure clears the customer's offers, and one checked after it is refused.
  std::shared_mutex erase_mu_;
  std::mutex id_mu_;
  OfferId next_offer_ = 0;  // 0: not read yet
};

}  // namespace quire::crm
