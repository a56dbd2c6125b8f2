#include "quire/crm/offers.h"

#include <algorithm>
#include <boost/json/serialize.hpp>

#include "quire/base/instant.h"
#include "quire/base/json_fields.h"
#include "quire/base/json_merge_patch.h"
#include "quire/crm/customer_metrics.h"
#include "quire/crm/recurrence.h"
#include "quire/crm/segment_index.h"
#include "quire/storage/key_codec.h"
#include "record_fields.h"

namespace quire::crm {
namespace json = boost::json;

namespace {

using namespace internal;  // NOLINT: the module's field readers
using Day = std::chrono::year_month_day;

constexpr storage::ColumnFamily kCrm = storage::ColumnFamily::kCrm;
const std::string kNextOfferKey = "n:offer";
const std::string kNextOrderKey = "n:order";
constexpr std::size_t kMaxLines = 500;

std::string SalesKey(char kind) { return storage::KeyEncoder().U8('S').U8(kind).Take(); }
std::string OfferKey(OfferId id) { return storage::KeyEncoder().U8('S').U8('o').U64(id).Take(); }
std::string CustomerOfferKey(CustomerId c, OfferId id) {
  return storage::KeyEncoder().U8('S').U8('O').U64(c).U64(id).Take();
}
std::int64_t DayNumber(Day d) { return std::chrono::sys_days(d).time_since_epoch().count(); }
Day FromDayNumber(std::int64_t n) { return Day(std::chrono::sys_days(std::chrono::days(n))); }
std::string ExpiryKey(Day d, OfferId id) {
  return storage::KeyEncoder().U8('S').U8('v').I64(DayNumber(d)).U64(id).Take();
}
std::string ExternalKey(std::string_view external_id) {
  return storage::KeyEncoder().U8('S').U8('x').String(external_id).Take();
}
std::string OrderKey(OrderId id) { return storage::KeyEncoder().U8('S').U8('r').U64(id).Take(); }
std::string CustomerOrderKey(CustomerId c, OrderId id) {
  return storage::KeyEncoder().U8('S').U8('R').U64(c).U64(id).Take();
}
std::string UnpaidKey(OrderId id) { return storage::KeyEncoder().U8('S').U8('u').U64(id).Take(); }
const std::string kLimitsKey = SalesKey('a');

std::string Money(std::int64_t minor, const std::string& currency) {
  const auto c = FindCurrency(currency);
  return FormatFixed(minor, c ? c->digits : 2);
}

json::value OptionalDay(const std::optional<Day>& d) {
  return d ? json::value(FormatDay(*d)) : json::value(nullptr);
}

json::array LinesJson(const std::vector<OfferLine>& lines, const std::string& currency,
                      bool with_net) {
  json::array out;
  for (const OfferLine& l : lines) {
    json::object o;
    o["product"] = l.product == 0 ? json::value(nullptr) : json::value(std::to_string(l.product));
    if (with_net) o["code"] = l.code;
    o["name"] = l.name;
    o["unit"] = l.unit;
    o["quantity"] = FormatTrimmed(l.quantity, kPlaces);
    o["unitPrice"] = FormatTrimmed(l.unit_price, kPlaces, 2);
    o["discountPercent"] = FormatTrimmed(l.discount, kPlaces);
    o["taxRate"] = l.tax_rate;
    if (with_net) o["net"] = Money(l.net, currency);
    out.push_back(std::move(o));
  }
  return out;
}

json::object TotalsJson(const Totals& t, const std::string& currency) {
  json::array by_rate;
  for (const RateTotal& r : t.by_rate) {
    by_rate.push_back(json::object{{"rate", r.rate},
                                   {"net", Money(r.net, currency)},
                                   {"tax", Money(r.tax, currency)},
                                   {"gross", Money(r.gross, currency)}});
  }
  return {{"net", Money(t.net, currency)},
          {"tax", Money(t.tax, currency)},
          {"gross", Money(t.gross, currency)},
          {"byRate", std::move(by_rate)}};
}

// What a change of an offer may name (Merge Patch over this).
json::object Editable(const Offer& o) {
  json::object out{{"currency", o.currency},
                   {"lines", LinesJson(o.lines, o.currency, false)},
                   {"paymentTermsDays", o.payment_terms_days},
                   {"deliveryTerms", o.delivery_terms},
                   {"notes", o.notes},
                   {"campaign", o.campaign},
                   {"externalId", o.external_id},
                   {"owner", o.owner}};
  out["customer"] = std::to_string(o.customer);
  out["contact"] = o.contact == 0 ? json::value(nullptr) : json::value(std::to_string(o.contact));
  out["validUntil"] = OptionalDay(o.valid_until);
  return out;
}

json::value OptionalTime(const std::optional<Timestamp>& t) {
  return t ? json::value(FormatInstant(*t)) : json::value(nullptr);
}

// Stored: what the API answers, with numbers for the stamps.
json::object OfferStored(const Offer& o) {
  json::object out = o.ToJson();
  out["id"] = o.id;
  PutStoredStamps(out, o.created_by, o.created_at, o.modified_at);
  return out;
}

std::optional<Timestamp> StoredTime(const json::object& o, const char* field) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  auto t = ParseInstant(v->get_string());
  return t ? std::optional<Timestamp>(*t) : std::nullopt;
}

std::optional<Day> StoredDay(const json::object& o, const char* field) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  auto d = ParseDay(v->get_string());
  return d ? std::optional<Day>(*d) : std::nullopt;
}

std::uint64_t StoredId(const json::object& o, const char* field) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr || !v->is_string()) return 0;
  return std::stoull(std::string(v->get_string()));
}

std::int64_t StoredFixed(const json::object& o, const char* field, int places) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr || !v->is_string()) return 0;
  return ParseFixed(v->get_string(), places).value_or(0);
}

Result<std::vector<OfferLine>> StoredLines(const json::object& o, int digits) {
  std::vector<OfferLine> lines;
  for (const json::value& v : ArrOf(o, "lines")) {
    if (!v.is_object()) return Error::Corruption("an offer's line is not an object");
    const json::object& l = v.get_object();
    OfferLine line;
    line.product = StoredId(l, "product");
    line.code = StrOf(l, "code");
    line.name = StrOf(l, "name");
    line.unit = StrOf(l, "unit");
    line.quantity = StoredFixed(l, "quantity", kPlaces);
    line.unit_price = StoredFixed(l, "unitPrice", kPlaces);
    line.discount = StoredFixed(l, "discountPercent", kPlaces);
    line.tax_rate = StrOf(l, "taxRate");
    line.net = StoredFixed(l, "net", digits);
    lines.push_back(std::move(line));
  }
  return lines;
}

Result<Totals> TotalOf(const std::vector<OfferLine>& lines) {
  std::vector<LineAmount> amounts;
  std::vector<std::int64_t> nets;
  for (const OfferLine& l : lines) {
    auto rate = ParseTaxRate(l.tax_rate);
    amounts.push_back(
        {l.quantity, l.unit_price, l.discount, rate ? *rate : TaxRate{l.tax_rate, 0}});
    nets.push_back(l.net);
  }
  return Total(amounts, nets);
}

Result<Offer> OfferFromStored(std::string_view text) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(text, "offer"));
  Offer offer;
  offer.id = static_cast<OfferId>(IntOf(o, "id"));
  offer.number = StrOf(o, "number");
  offer.revision = IntOf(o, "revision");
  offer.previous = StoredId(o, "previous");
  offer.next = StoredId(o, "next");
  offer.customer = StoredId(o, "customer");
  offer.contact = StoredId(o, "contact");
  offer.owner = StrOf(o, "owner");
  offer.currency = StrOf(o, "currency");
  const auto currency = FindCurrency(offer.currency);
  QUIRE_ASSIGN_OR_RETURN(offer.lines, StoredLines(o, currency ? currency->digits : 2));
  QUIRE_ASSIGN_OR_RETURN(offer.totals, TotalOf(offer.lines));
  offer.valid_until = StoredDay(o, "validUntil");
  offer.payment_terms_days = IntOf(o, "paymentTermsDays");
  offer.delivery_terms = StrOf(o, "deliveryTerms");
  offer.notes = StrOf(o, "notes");
  offer.campaign = StrOf(o, "campaign");
  offer.external_id = StrOf(o, "externalId");
  offer.status = StrOf(o, "status");
  offer.sent_at = StoredTime(o, "sentAt");
  offer.accepted_by = StrOf(o, "acceptedBy");
  offer.accepted_at = StoredTime(o, "acceptedAt");
  offer.rejected_reason = StrOf(o, "rejectedReason");
  offer.closed_at = StoredTime(o, "closedAt");
  for (const json::value& d : ArrOf(o, "documents")) {
    if (d.is_string()) offer.documents.emplace_back(d.get_string());
  }
  offer.order = StoredId(o, "order");
  ReadStoredStamps(o, offer.created_by, offer.created_at, offer.modified_at);
  return offer;
}

json::object OrderStored(const Order& o) {
  json::object out = o.ToJson(o.ordered_on);
  out["id"] = o.id;
  PutStoredStamps(out, o.created_by, o.created_at, o.modified_at);
  if (o.offer_made_at) out["offerMadeAt"] = FormatInstant(*o.offer_made_at);
  json::array payments;
  for (const Payment& p : o.payments) {
    payments.push_back(json::object{{"amount", Money(p.amount, o.currency)},
                                    {"date", FormatDay(p.date)},
                                    {"reference", p.reference},
                                    {"recordedBy", p.recorded_by},
                                    {"recordedAt", FormatInstant(p.recorded_at)}});
  }
  out["payments"] = std::move(payments);
  return out;
}

Result<Order> OrderFromStored(std::string_view text) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(text, "order"));
  Order order;
  order.id = static_cast<OrderId>(IntOf(o, "id"));
  order.number = StrOf(o, "number");
  order.offer = StoredId(o, "offer");
  order.customer = StoredId(o, "customer");
  order.contact = StoredId(o, "contact");
  order.owner = StrOf(o, "owner");
  order.currency = StrOf(o, "currency");
  const auto currency = FindCurrency(order.currency);
  const int digits = currency ? currency->digits : 2;
  QUIRE_ASSIGN_OR_RETURN(order.lines, StoredLines(o, digits));
  QUIRE_ASSIGN_OR_RETURN(order.totals, TotalOf(order.lines));
  order.payment_terms_days = IntOf(o, "paymentTermsDays");
  order.delivery_terms = StrOf(o, "deliveryTerms");
  order.campaign = StrOf(o, "campaign");
  order.status = StrOf(o, "status");
  order.ordered_on = StoredDay(o, "orderedOn").value_or(Day{});
  order.expected_delivery = StoredDay(o, "expectedDelivery");
  order.delivered_on = StoredDay(o, "deliveredOn");
  order.invoiced_on = StoredDay(o, "invoicedOn");
  order.invoice_number = StrOf(o, "invoiceNumber");
  order.notes = StrOf(o, "notes");
  for (const json::value& v : ArrOf(o, "payments")) {
    if (!v.is_object()) return Error::Corruption("an order's payment is not an object");
    const json::object& p = v.get_object();
    Payment payment;
    payment.amount = StoredFixed(p, "amount", digits);
    payment.date = StoredDay(p, "date").value_or(Day{});
    payment.reference = StrOf(p, "reference");
    payment.recorded_by = StrOf(p, "recordedBy");
    payment.recorded_at = StoredTime(p, "recordedAt").value_or(Timestamp{});
    order.payments.push_back(std::move(payment));
  }
  ReadStoredStamps(o, order.created_by, order.created_at, order.modified_at);
  order.offer_made_at = StoredTime(o, "offerMadeAt");
  return order;
}

// A decimal read from a JSON string (or, where `money` is false, a JSON integer).
std::optional<std::int64_t> ReadDecimal(FieldReader& f, const json::value& v, const std::string& at,
                                        int places, bool money) {
  if ((v.is_int64() || v.is_uint64()) && !money) {
    const std::int64_t whole =
        v.is_int64() ? v.get_int64() : static_cast<std::int64_t>(v.get_uint64());
    if (whole > 1'000'000'000 || whole < -1'000'000'000) {
      f.Problem(at, "is too large");
      return std::nullopt;
    }
    std::int64_t scale = 1;
    for (int i = 0; i < places; ++i) scale *= 10;
    return whole * scale;
  }
  if (!v.is_string()) {
    f.Problem(at, money ? "money travels as a decimal string (\"1234.50\"), not as a JSON number"
                        : "must be a number or a decimal string such as \"2.5\"");
    return std::nullopt;
  }
  auto parsed = ParseFixed(v.get_string(), places);
  if (!parsed) {
    f.Problem(at, parsed.error().message());
    return std::nullopt;
  }
  return *parsed;
}

std::optional<Day> ReadDay(FieldReader& f, const json::value& v, const std::string& at) {
  if (!v.is_string()) {
    f.Problem(at, "must be a date such as 2026-12-31");
    return std::nullopt;
  }
  auto d = ParseDay(v.get_string());
  if (!d) {
    f.Problem(at, d.error().message());
    return std::nullopt;
  }
  return *d;
}

bool InDictionary(const CrmSchema& schema, std::string_view dictionary, std::string_view value) {
  const auto entries = schema.EntriesOf(dictionary);
  return entries == nullptr || std::any_of(entries->begin(), entries->end(),
                                           [&](const auto& e) { return e.value == value; });
}

std::string Stamp(const std::optional<Timestamp>& t) { return t ? FormatInstant(*t) : "?"; }

constexpr std::array<std::string_view, 5> kOrderFlow = {"confirmed", "in-fulfilment", "delivered",
                                                        "invoiced", "paid"};
int FlowIndex(std::string_view status) {
  for (std::size_t i = 0; i < kOrderFlow.size(); ++i) {
    if (kOrderFlow[i] == status) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

json::object Offer::ToJson() const {
  json::object o = Editable(*this);
  o["id"] = std::to_string(id);
  o["number"] = number;
  o["revision"] = revision;
  o["previous"] = previous == 0 ? json::value(nullptr) : json::value(std::to_string(previous));
  o["next"] = next == 0 ? json::value(nullptr) : json::value(std::to_string(next));
  o["lines"] = LinesJson(lines, currency, true);
  o["totals"] = TotalsJson(totals, currency);
  o["status"] = status;
  o["sentAt"] = OptionalTime(sent_at);
  o["acceptedBy"] = accepted_by.empty() ? json::value(nullptr) : json::value(accepted_by);
  o["acceptedAt"] = OptionalTime(accepted_at);
  o["rejectedReason"] = rejected_reason;
  o["closedAt"] = OptionalTime(closed_at);
  o["documents"] = json::array(documents.begin(), documents.end());
  o["order"] = order == 0 ? json::value(nullptr) : json::value(std::to_string(order));
  PutAnsweredStamps(o, created_by, created_at, modified_at);
  return o;
}

std::int64_t Order::paid() const {
  std::int64_t sum = 0;
  for (const Payment& p : payments) sum += p.amount;
  return sum;
}

Day Order::due() const {
  const Day from = invoiced_on.value_or(ordered_on);
  return Day(std::chrono::sys_days(from) + std::chrono::days(payment_terms_days));
}

json::object Order::ToJson(Day today) const {
  json::array payments_json;
  for (const Payment& p : payments) {
    payments_json.push_back(json::object{{"amount", Money(p.amount, currency)},
                                         {"date", FormatDay(p.date)},
                                         {"reference", p.reference},
                                         {"recordedBy", p.recorded_by}});
  }
  json::object o{{"id", std::to_string(id)},
                 {"number", number},
                 {"offer", std::to_string(offer)},
                 {"customer", std::to_string(customer)},
                 {"owner", owner},
                 {"currency", currency},
                 {"lines", LinesJson(lines, currency, true)},
                 {"totals", TotalsJson(totals, currency)},
                 {"paymentTermsDays", payment_terms_days},
                 {"deliveryTerms", delivery_terms},
                 {"campaign", campaign},
                 {"status", status},
                 {"orderedOn", FormatDay(ordered_on)},
                 {"expectedDelivery", OptionalDay(expected_delivery)},
                 {"deliveredOn", OptionalDay(delivered_on)},
                 {"invoicedOn", OptionalDay(invoiced_on)},
                 {"invoiceNumber", invoice_number},
                 {"notes", notes},
                 {"payments", std::move(payments_json)},
                 {"paid", Money(paid(), currency)},
                 {"outstanding", Money(outstanding(), currency)},
                 {"dueOn", FormatDay(due())},
                 {"overdue", overdue(today)}};
  o["contact"] = contact == 0 ? json::value(nullptr) : json::value(std::to_string(contact));
  PutAnsweredStamps(o, created_by, created_at, modified_at);
  return o;
}

json::object AcceptanceLimits::ToJson() const {
  json::object roles;
  for (const auto& [role, limits] : by_role) {
    json::object per;
    for (const auto& [currency, net] : limits) per[currency] = Money(net, currency);
    roles[role] = std::move(per);
  }
  return {{"limits", std::move(roles)}};
}

std::optional<std::int64_t> AcceptanceLimits::LimitOf(const std::vector<std::string>& roles,
                                                      const std::string& currency) const {
  std::optional<std::int64_t> best = 0;
  for (const std::string& role : roles) {
    auto it = by_role.find(role);
    if (it == by_role.end()) return std::nullopt;  // a role with no limits
    auto c = it->second.find(currency);
    if (c != it->second.end()) best = std::max(*best, c->second);
  }
  return best;
}

OfferStore::OfferStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock,
                       const CustomerStore& customers, const ContactStore& contacts,
                       const ProductStore& products, std::string time_zone)
    : store_(store),
      audit_(audit),
      clock_(clock),
      customers_(customers),
      contacts_(contacts),
      products_(products),
      time_zone_(std::move(time_zone)) {}

Result<Offer> OfferStore::ParseStoredOffer(std::string_view text) { return OfferFromStored(text); }
Result<Order> OfferStore::ParseStoredOrder(std::string_view text) { return OrderFromStored(text); }

Day OfferStore::Today(Timestamp t) const { return FromDayNumber(ToLocal(t, time_zone_).day); }

Result<Offer> OfferStore::Check(Offer o, const json::object& fields, const Offer* before,
                                const Offer* lines_of) const {
  if (lines_of == nullptr) lines_of = before;
  std::vector<ErrorDetail> problems;
  FieldReader f(fields, problems);
  f.Known({"customer", "contact", "owner", "currency", "lines", "validUntil", "paymentTermsDays",
           "deliveryTerms", "notes", "campaign", "externalId"},
          "an offer",
          "customer, contact, owner, currency, lines, validUntil, paymentTermsDays, "
          "deliveryTerms, notes, campaign, externalId");
  const CrmSchema& schema = customers_.schema();
  const Day today = Today(clock_.Now());
  // The customer, whose terms fill in what the offer leaves out.
  f.OptionalId("customer", "a customer", o.customer);
  std::optional<Customer> customer;
  if (o.customer == 0) {
    f.Problem("customer", "is required: the customer the offer is for");
  } else {
    auto c = customers_.Get(o.customer);
    if (!c && c.error().code() == ErrorCode::kNotFound) {
      f.Problem("customer", "customer " + std::to_string(o.customer) + " does not exist");
    } else if (!c) {
      return c.error();
    } else if (c->merged_into != 0) {
      f.Problem("customer", "customer " + std::to_string(o.customer) +
                                " was merged into customer " + std::to_string(c->merged_into) +
                                ": make the offer for that one");
    } else if (c->erased_at) {
      f.Problem("customer", "customer " + std::to_string(o.customer) + " was erased");
    } else {
      customer = std::move(*c);
    }
  }
  auto profile_text = [&](const char* field) -> std::string {
    if (!customer) return "";
    const json::value* v = customer->profile.if_contains(field);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : "";
  };
  if (before == nullptr && customer) {
    if (!fields.contains("currency") && !profile_text("currency").empty()) {
      o.currency = profile_text("currency");
    }
    if (!fields.contains("deliveryTerms")) o.delivery_terms = profile_text("deliveryTerms");
    if (!fields.contains("paymentTermsDays")) {
      if (const json::value* v = customer->profile.if_contains("paymentTermsDays");
          v != nullptr && v->is_int64()) {
        o.payment_terms_days = v->get_int64();
      }
    }
    if (!fields.contains("validUntil")) {
      o.valid_until = Day(std::chrono::sys_days(today) + std::chrono::days(30));
    }
  }
  f.OptionalId("contact", "a contact person", o.contact);
  if (o.contact != 0) {
    auto c = contacts_.Get(o.contact);
    if (!c && c.error().code() == ErrorCode::kNotFound) {
      f.Problem("contact", "contact person " + std::to_string(o.contact) + " does not exist");
    } else if (!c) {
      return c.error();
    } else if (o.customer != 0 && std::find(c->customers.begin(), c->customers.end(), o.customer) ==
                                      c->customers.end()) {
      f.Problem("contact", "contact person " + std::to_string(o.contact) +
                               " is not a contact of customer " + std::to_string(o.customer));
    }
  }
  f.Text("owner", 128, o.owner);
  if (const json::value* v = f.Get("currency")) {
    std::string code;
    if (f.Text(*v, "currency", 3, code)) {
      auto c = FindCurrency(code);
      if (c) {
        o.currency = c->code;
      } else {
        f.Problem("currency", c.error().message());
      }
    }
  }
  auto currency = FindCurrency(o.currency);
  if (!currency) {
    // The customer's own currency is not one Quire prices in: the offer must name one.
    f.Problem("currency", currency.error().message());
    currency = Currency{"PLN", 2};
  }
  if (const json::value* v = f.Get("validUntil")) {
    o.valid_until.reset();
    if (!v->is_null()) o.valid_until = ReadDay(f, *v, "validUntil");
    const bool changed = before == nullptr || before->valid_until != o.valid_until;
    if (changed && o.valid_until && *o.valid_until < today) {
      f.Problem("validUntil",
                FormatDay(*o.valid_until) + " has passed (today is " + FormatDay(today) + ")");
    }
  }
  if (const json::value* v = f.Get("paymentTermsDays")) {
    if (!v->is_int64() || v->get_int64() < 0 || v->get_int64() > 365) {
      f.Problem("paymentTermsDays", "is a whole number of days from 0 to 365");
    } else {
      o.payment_terms_days = v->get_int64();
    }
  }
  f.Text("deliveryTerms", 64, o.delivery_terms);
  if (!o.delivery_terms.empty() && !InDictionary(schema, "delivery-terms", o.delivery_terms)) {
    f.Problem("deliveryTerms",
              "'" + o.delivery_terms + "' is not in the delivery-terms dictionary");
  }
  f.Text("notes", 5000, o.notes);
  f.Text("campaign", 64, o.campaign);
  f.Text("externalId", 200, o.external_id);
  if (!o.external_id.empty() && (before == nullptr || before->external_id != o.external_id)) {
    auto holder = FindByExternalId(o.external_id);
    if (!holder) return holder.error();
    if (*holder && (before == nullptr || **holder != before->id)) {
      f.Problem("externalId", "offer " + std::to_string(**holder) + " has it already");
    }
  }
  if (const json::value* v = f.Get("lines")) {
    o.lines.clear();
    const json::array* list = f.List(*v, "lines", kMaxLines);
    for (std::size_t i = 0; list != nullptr && i < list->size(); ++i) {
      const std::string at = "lines[" + std::to_string(i) + "]";
      if (!(*list)[i].is_object()) {
        f.Problem(at, "must be {\"product\" or \"name\", \"quantity\", \"unitPrice\", ...}");
        continue;
      }
      const json::object& in = (*list)[i].get_object();
      for (const auto& m : in) {
        static const std::set<std::string, std::less<>> kLineFields = {
            "product",         "name",    "unit", "quantity", "unitPrice",
            "discountPercent", "taxRate", "code", "net"};
        if (!kLineFields.contains(m.key())) {
          f.Problem(at + "." + std::string(m.key()),
                    "is not a field of a line (product, name, unit, quantity, unitPrice, "
                    "discountPercent, taxRate)");
        }
      }
      OfferLine line;
      std::optional<PriceSuggestion> suggested;
      if (const json::value* p = in.if_contains("product"); p != nullptr && !p->is_null()) {
        if (auto id = f.Id(*p, at + ".product", "a product")) {
          line.product = *id;
          auto product = products_.Get(*id);
          if (!product && product.error().code() == ErrorCode::kNotFound) {
            f.Problem(at + ".product", "product " + std::to_string(*id) + " does not exist");
          } else if (!product) {
            return product.error();
          } else {
            line.code = product->code;
            line.name = product->name;
            line.unit = product->unit;
            line.tax_rate = product->tax_rate;
            const bool new_line =
                lines_of == nullptr ||
                std::none_of(lines_of->lines.begin(), lines_of->lines.end(),
                             [&](const OfferLine& b) { return b.product == *id; });
            if (!product->active && new_line) {
              f.Problem(at + ".product", "product " + product->code + " is inactive");
            }
            if (!in.contains("unitPrice") && customer) {
              auto s = products_.Suggest(*product, o.customer, profile_text("category"), o.currency,
                                         today);
              if (s) {
                suggested = std::move(*s);
              } else {
                f.Problem(at + ".unitPrice", s.error().message());
              }
            }
          }
        }
      }
      if (const json::value* n = in.if_contains("name")) f.Text(*n, at + ".name", 300, line.name);
      if (line.name.empty()) f.Problem(at + ".name", "is required for a line with no product");
      if (const json::value* u = in.if_contains("unit")) f.Text(*u, at + ".unit", 20, line.unit);
      if (const json::value* q = in.if_contains("quantity")) {
        if (auto quantity = ReadDecimal(f, *q, at + ".quantity", kPlaces, false)) {
          line.quantity = *quantity;
          if (*quantity <= 0 || *quantity > kMaxQuantity) {
            f.Problem(at + ".quantity", "is more than 0 and at most 1000000000");
          }
        }
      }
      if (suggested) {
        line.unit_price = suggested->unit_price;
        line.discount = suggested->discount;
      }
      if (const json::value* u = in.if_contains("unitPrice")) {
        if (auto price = ReadDecimal(f, *u, at + ".unitPrice", kPlaces, true)) {
          line.unit_price = *price;
          if (*price < 0 || *price > kMaxUnitPrice) {
            f.Problem(at + ".unitPrice", "is between 0 and 1000000000000");
          }
        }
      } else if (line.product == 0) {
        f.Problem(at + ".unitPrice", "is required for a line with no product");
      }
      if (const json::value* d = in.if_contains("discountPercent"); d != nullptr && !d->is_null()) {
        if (auto discount = ReadDecimal(f, *d, at + ".discountPercent", kPlaces, false)) {
          line.discount = *discount;
          if (*discount < 0 || *discount > 100 * kOne) {
            f.Problem(at + ".discountPercent", "is a percentage between 0 and 100");
          }
        }
      }
      if (const json::value* t = in.if_contains("taxRate")) {
        if (t->is_int64() || t->is_uint64()) {
          line.tax_rate = std::to_string(t->is_int64() ? t->get_int64() : t->get_uint64());
        } else {
          f.Text(*t, at + ".taxRate", 20, line.tax_rate);
        }
      }
      if (!InDictionary(schema, "tax-rates", line.tax_rate)) {
        f.Problem(at + ".taxRate", "'" + line.tax_rate + "' is not in the tax-rates dictionary");
      }
      auto rate = ParseTaxRate(line.tax_rate);
      if (!rate) {
        f.Problem(at + ".taxRate", rate.error().message());
      } else {
        auto net = LineNet({line.quantity, line.unit_price, line.discount, *rate}, *currency);
        if (net) {
          line.net = *net;
        } else {
          f.Problem(at, net.error().message());
        }
      }
      o.lines.push_back(std::move(line));
    }
  }
  if (o.lines.empty() && std::none_of(problems.begin(), problems.end(), [](const ErrorDetail& d) {
        return d.field.starts_with("lines");
      })) {
    f.Problem("lines", "an offer has at least one line");
  }
  if (problems.empty()) {
    auto totals = TotalOf(o.lines);
    if (!totals) {
      f.Problem("lines", totals.error().message());
    } else {
      o.totals = std::move(*totals);
    }
  }
  if (!problems.empty()) return Invalid("the offer", std::move(problems));
  return o;
}

Result<void> OfferStore::Put(storage::WriteBatch& batch, const Offer& o,
                             const Offer* before) const {
  batch.Put(kCrm, OfferKey(o.id), json::serialize(OfferStored(o)));
  IndexSegments(before, &o, batch);
  if (before != nullptr && before->customer != o.customer) {
    batch.Delete(kCrm, CustomerOfferKey(before->customer, o.id));
  }
  if (before == nullptr || before->customer != o.customer) {
    batch.Put(kCrm, CustomerOfferKey(o.customer, o.id), "");
  }
  if (before != nullptr && before->editable() && before->valid_until) {
    batch.Delete(kCrm, ExpiryKey(*before->valid_until, o.id));
  }
  if (o.editable() && o.valid_until) batch.Put(kCrm, ExpiryKey(*o.valid_until, o.id), "");
  const std::string before_external = before != nullptr ? before->external_id : "";
  if (before_external != o.external_id) {
    if (!before_external.empty()) batch.Delete(kCrm, ExternalKey(before_external));
    if (!o.external_id.empty()) batch.Put(kCrm, ExternalKey(o.external_id), std::to_string(o.id));
  }
  return Ok();
}

Result<void> OfferStore::PutOrder(storage::WriteBatch& batch, const Order& o,
                                  const Order* before) const {
  batch.Put(kCrm, OrderKey(o.id), json::serialize(OrderStored(o)));
  IndexSegments(before, &o, batch);
  QUIRE_RETURN_IF_ERROR(TrackActiveMonths(store_, before, &o, batch));  // under write_mu_
  batch.Put(kCrm, CustomerOrderKey(o.customer, o.id), "");
  if (o.outstanding() > 0) {
    batch.Put(kCrm, UnpaidKey(o.id), "");
  } else {
    batch.Delete(kCrm, UnpaidKey(o.id));
  }
  return Ok();
}

Result<void> OfferStore::Commit(storage::WriteBatch batch, const audit::Actor& actor,
                                std::string action, const std::string& object, json::object details,
                                Timestamp at) {
  QUIRE_RETURN_IF_ERROR(audit_.Commit(
      std::move(batch), {{actor, std::move(action), object, std::move(details)}}, at));
  return Ok();
}

Result<OfferId> OfferStore::NewOfferId() {
  std::lock_guard lock(id_mu_);
  if (next_offer_ == 0) {
    // Stores written before ids were counted here kept the next one under "n:offer".
    QUIRE_ASSIGN_OR_RETURN(OfferId next, NextId(store_, kNextOfferKey));
    const std::string prefix = SalesKey('o');
    auto it = store_.ScanPrefix(kCrm, prefix);
    it.SeekToLast();
    if (it.Valid()) {
      storage::KeyDecoder key(it.key().substr(prefix.size()));
      QUIRE_ASSIGN_OR_RETURN(const OfferId last, key.U64());
      next = std::max(next, last + 1);
    }
    QUIRE_RETURN_IF_ERROR(it.status());
    next_offer_ = next;  // only once read whole: a failed read is tried again
  }
  return next_offer_++;
}

Result<Offer> OfferStore::Create(const json::object& fields, const audit::Actor& actor) {
  // Not under write_mu_: a new offer is nobody else's until it is committed.
  std::shared_lock erasures(erase_mu_);
  Offer blank;
  blank.owner = actor.id;
  QUIRE_ASSIGN_OR_RETURN(Offer o, Check(std::move(blank), fields, nullptr));
  QUIRE_ASSIGN_OR_RETURN(o.id, NewOfferId());
  o.created_by = actor.id;
  o.created_at = o.modified_at = clock_.Now();
  o.number = "OF/" + std::to_string(static_cast<int>(Today(o.created_at).year())) + "/" +
             std::to_string(o.id);
  storage::WriteBatch batch;
  QUIRE_RETURN_IF_ERROR(Put(batch, o, nullptr));
  QUIRE_RETURN_IF_ERROR(Commit(
      std::move(batch), actor, "offer.created", "offer/" + std::to_string(o.id),
      {{"customer", std::to_string(o.customer)}, {"fields", FieldNames(fields)}}, o.created_at));
  return o;
}

Result<Offer> OfferStore::Preview(const json::object& fields, const audit::Actor& actor,
                                  OfferId editing) const {
  if (editing == 0) {
    Offer blank;
    blank.owner = actor.id;
    return Check(std::move(blank), fields, nullptr);
  }
  QUIRE_ASSIGN_OR_RETURN(Offer before, Get(editing));
  Offer draft = before;
  return Check(std::move(draft), MergePatch(Editable(before), fields), &before);
}

Result<Offer> OfferStore::Update(OfferId id, const json::object& patch, const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Offer before, Get(id));
  if (before.status == "accepted") {
    return Error::Conflict("offer " + before.number + " was accepted by " + before.accepted_by +
                           " at " + Stamp(before.accepted_at) +
                           ": it is locked; make a new revision to change it (POST "
                           "/api/crm/offers/" +
                           std::to_string(id) + "/revisions)");
  }
  if (!before.editable()) {
    return Error::Conflict("offer " + before.number + " is " + before.status +
                           (before.next != 0 ? " by offer " + std::to_string(before.next) : "") +
                           ": it is kept as it was; make a new revision to change it");
  }
  Offer blank = before;
  QUIRE_ASSIGN_OR_RETURN(Offer o,
                         Check(std::move(blank), MergePatch(Editable(before), patch), &before));
  o.modified_at = clock_.Now();
  storage::WriteBatch batch;
  QUIRE_RETURN_IF_ERROR(Put(batch, o, &before));
  QUIRE_RETURN_IF_ERROR(Commit(std::move(batch), actor, "offer.changed",
                               "offer/" + std::to_string(id), {{"fields", FieldNames(patch)}},
                               o.modified_at));
  return o;
}

Result<Offer> OfferStore::Get(OfferId id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text, store_.Get(kCrm, OfferKey(id)));
  if (!text) return Error::NotFound("offer " + std::to_string(id) + " does not exist");
  return OfferFromStored(*text);
}

Result<std::optional<OfferId>> OfferStore::FindByExternalId(std::string_view external_id) const {
  if (external_id.empty()) return std::optional<OfferId>();
  return FindIdAt(store_, ExternalKey(external_id), external_id);
}

Result<std::vector<Offer>> OfferStore::List(CustomerId customer, std::size_t limit, OfferId after,
                                            const std::function<bool(const Offer&)>& keep) const {
  std::vector<Offer> out;
  if (limit == 0) return out;
  // Every offer (the records themselves), or a customer's (through their index).
  const std::string prefix =
      customer == 0 ? SalesKey('o') : storage::KeyEncoder().U8('S').U8('O').U64(customer).Take();
  QUIRE_RETURN_IF_ERROR(EachNewestFirst(
      store_, prefix, after, [&](std::uint64_t id, std::string_view value) -> Result<bool> {
        QUIRE_ASSIGN_OR_RETURN(Offer o, customer == 0 ? OfferFromStored(value) : Get(id));
        if (keep(o)) out.push_back(std::move(o));
        return out.size() < limit;
      }));
  return out;
}

Result<Offer> OfferStore::Send(OfferId id, const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Offer before, Get(id));
  if (before.status != "draft" && before.status != "sent") {
    return Error::Conflict("offer " + before.number + " is " + before.status +
                           ": only a draft is sent");
  }
  Offer o = before;
  o.status = "sent";
  o.sent_at = o.modified_at = clock_.Now();
  storage::WriteBatch batch;
  QUIRE_RETURN_IF_ERROR(Put(batch, o, &before));
  QUIRE_RETURN_IF_ERROR(
      Commit(std::move(batch), actor, "offer.sent", "offer/" + std::to_string(id), {}, *o.sent_at));
  return o;
}

Result<Offer> OfferStore::Accept(OfferId id, const AcceptanceLimits* limits,
                                 const std::vector<std::string>& roles, const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Offer before, Get(id));
  const std::optional<std::int64_t> net_limit =
      limits != nullptr ? limits->LimitOf(roles, before.currency) : std::nullopt;
  if (before.status == "accepted") {
    return Error::Conflict("offer " + before.number + " was accepted already, by " +
                           before.accepted_by + " at " + Stamp(before.accepted_at));
  }
  if (!before.editable()) {
    return Error::Conflict("offer " + before.number + " is " + before.status +
                           ": it cannot be accepted");
  }
  const Timestamp now = clock_.Now();
  if (before.valid_until && Today(now) > *before.valid_until) {
    return Error::Conflict("offer " + before.number + " was valid until " +
                           FormatDay(*before.valid_until) +
                           ": it has expired; make a new revision with a new validUntil");
  }
  if (net_limit && before.totals.net > *net_limit) {
    return Error::Forbidden("offer " + before.number + " is worth " +
                            Money(before.totals.net, before.currency) + " " + before.currency +
                            " net, and your roles accept offers up to " +
                            Money(*net_limit, before.currency) + " " + before.currency +
                            ": someone whose acceptance limit reaches it must accept it");
  }
  Offer o = before;
  o.status = "accepted";
  o.accepted_by = actor.id;
  o.accepted_at = o.modified_at = now;
  storage::WriteBatch batch;
  QUIRE_RETURN_IF_ERROR(Put(batch, o, &before));
  QUIRE_RETURN_IF_ERROR(
      Commit(std::move(batch), actor, "offer.accepted", "offer/" + std::to_string(id),
             {{"net", Money(o.totals.net, o.currency)}, {"currency", o.currency}}, now));
  return o;
}

Result<Offer> OfferStore::Reject(OfferId id, const std::string& reason, const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Offer before, Get(id));
  if (!before.editable()) {
    return Error::Conflict("offer " + before.number + " is " + before.status +
                           ": only a draft or a sent offer is rejected");
  }
  if (reason.size() > 2000) return Error::InvalidArgument("the reason is longer than 2000 bytes");
  Offer o = before;
  o.status = "rejected";
  o.rejected_reason = reason;
  o.closed_at = o.modified_at = clock_.Now();
  storage::WriteBatch batch;
  QUIRE_RETURN_IF_ERROR(Put(batch, o, &before));
  QUIRE_RETURN_IF_ERROR(Commit(std::move(batch), actor, "offer.rejected",
                               "offer/" + std::to_string(id), {}, *o.closed_at));
  return o;
}

Result<Offer> OfferStore::Revise(OfferId id, const json::object& patch, const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Offer before, Get(id));
  if (before.next != 0) {
    return Error::Conflict("offer " + before.number + " revision " +
                           std::to_string(before.revision) + " was revised already: offer " +
                           std::to_string(before.next) + " is its next revision");
  }
  json::object fields = MergePatch(Editable(before), patch);
  // A revision is a new offer: its validity is checked afresh, and a passed one renewed.
  const Timestamp now = clock_.Now();
  if (!patch.contains("validUntil")) fields.erase("validUntil");
  if (!patch.contains("externalId")) fields.erase("externalId");  // it names the first
  Offer blank;
  blank.owner = before.owner;
  QUIRE_ASSIGN_OR_RETURN(Offer o, Check(std::move(blank), fields, nullptr, &before));
  QUIRE_ASSIGN_OR_RETURN(o.id, NewOfferId());
  o.number = before.number;
  o.revision = before.revision + 1;
  o.previous = id;
  o.documents.clear();
  o.created_by = actor.id;
  o.created_at = o.modified_at = now;
  Offer old = before;
  old.next = o.id;
  // A rejected or expired offer keeps its outcome (what won/lost reports count), an ordered
  // one its acceptance; an open or accepted one is superseded.
  if (old.order == 0 && old.status != "rejected" && old.status != "expired") {
    old.status = "superseded";
    old.closed_at = now;
  }
  old.modified_at = now;
  storage::WriteBatch batch;
  QUIRE_RETURN_IF_ERROR(Put(batch, o, nullptr));
  QUIRE_RETURN_IF_ERROR(Put(batch, old, &before));
  QUIRE_RETURN_IF_ERROR(
      audit_.Commit(std::move(batch),
                    {{actor,
                      "offer.revised",
                      "offer/" + std::to_string(o.id),
                      {{"previous", std::to_string(id)}, {"fields", FieldNames(patch)}}},
                     {actor,
                      "offer.superseded",
                      "offer/" + std::to_string(id),
                      {{"next", std::to_string(o.id)}}}},
                    now));
  return o;
}

Result<Offer> OfferStore::AddDocument(OfferId id, const std::string& document,
                                      const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Offer before, Get(id));
  Offer o = before;
  if (std::find(o.documents.begin(), o.documents.end(), document) == o.documents.end()) {
    o.documents.push_back(document);
  }
  o.modified_at = clock_.Now();
  storage::WriteBatch batch;
  QUIRE_RETURN_IF_ERROR(Put(batch, o, &before));
  QUIRE_RETURN_IF_ERROR(Commit(std::move(batch), actor, "offer.document-added",
                               "offer/" + std::to_string(id), {{"document", document}},
                               o.modified_at));
  return o;
}

Result<std::size_t> OfferStore::ExpireDue(Timestamp now, const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  const Day today = Today(now);
  const std::string prefix = SalesKey('v');
  std::vector<OfferId> due;
  auto it = store_.Scan(kCrm, prefix, storage::KeyEncoder(prefix).I64(DayNumber(today)).Take());
  for (; it.Valid(); it.Next()) {
    storage::KeyDecoder key(it.key().substr(prefix.size()));
    QUIRE_RETURN_IF_ERROR(key.I64());
    QUIRE_ASSIGN_OR_RETURN(const OfferId id, key.U64());
    due.push_back(id);
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  // In batches: a long stop may leave thousands due.
  for (std::size_t begin = 0; begin < due.size(); begin += 500) {
    storage::WriteBatch batch;
    std::vector<audit::EntryFields> entries;
    for (std::size_t i = begin; i < std::min(due.size(), begin + 500); ++i) {
      QUIRE_ASSIGN_OR_RETURN(Offer before, Get(due[i]));
      if (!before.editable()) continue;  // an entry left behind: nothing to expire
      Offer o = before;
      o.status = "expired";
      o.closed_at = o.modified_at = now;
      QUIRE_RETURN_IF_ERROR(Put(batch, o, &before));
      entries.push_back({actor,
                         "offer.expired",
                         "offer/" + std::to_string(o.id),
                         {{"validUntil", FormatDay(before.valid_until.value_or(Day{}))}}});
    }
    QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch), std::move(entries), now));
  }
  return due.size();
}

Result<Order> OfferStore::MakeOrder(OfferId offer_id, const json::object& fields,
                                    const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Offer offer, Get(offer_id));
  if (offer.order != 0) {
    return Error::Conflict("offer " + offer.number + " became order " +
                           std::to_string(offer.order) + " already");
  }
  if (offer.status != "accepted") {
    return Error::Conflict("offer " + offer.number + " is " + offer.status +
                           ": an order is made from an accepted offer");
  }
  {
    QUIRE_ASSIGN_OR_RETURN(Customer customer, customers_.Get(offer.customer));
    if (const json::value* hold = customer.profile.if_contains("ordersOnHold");
        hold != nullptr && hold->is_bool() && hold->get_bool()) {
      return Error::Conflict("customer " + std::to_string(offer.customer) +
                             "'s orders are on hold (ordersOnHold, set for unpaid debts): no "
                             "order was made; lift it with PATCH /api/crm/customers/" +
                             std::to_string(offer.customer) + " {\"ordersOnHold\": false}");
    }
  }
  std::vector<ErrorDetail> problems;
  FieldReader f(fields, problems);
  f.Known({"expectedDelivery", "notes"}, "an order made from an offer", "expectedDelivery, notes");
  Order o;
  if (const json::value* v = f.Get("expectedDelivery"); v != nullptr && !v->is_null()) {
    o.expected_delivery = ReadDay(f, *v, "expectedDelivery");
  }
  f.Text("notes", 5000, o.notes);
  if (!problems.empty()) return Invalid("the order", std::move(problems));
  const Timestamp now = clock_.Now();
  QUIRE_ASSIGN_OR_RETURN(o.id, NextId(store_, kNextOrderKey));
  o.number =
      "ZM/" + std::to_string(static_cast<int>(Today(now).year())) + "/" + std::to_string(o.id);
  o.offer = offer.id;
  {
    Offer first = offer;  // revisions keep the first one's number; walk back to it
    for (int hops = 0; first.previous != 0 && hops < 1000; ++hops) {
      QUIRE_ASSIGN_OR_RETURN(first, Get(first.previous));
    }
    o.offer_made_at = first.created_at;
  }
  o.customer = offer.customer;
  o.contact = offer.contact;
  o.owner = offer.owner;
  o.currency = offer.currency;
  o.lines = offer.lines;
  o.totals = offer.totals;
  o.payment_terms_days = offer.payment_terms_days;
  o.delivery_terms = offer.delivery_terms;
  o.campaign = offer.campaign;
  o.ordered_on = Today(now);
  o.created_by = actor.id;
  o.created_at = o.modified_at = now;
  Offer ordered = offer;
  ordered.order = o.id;
  ordered.modified_at = now;
  storage::WriteBatch batch;
  QUIRE_RETURN_IF_ERROR(PutOrder(batch, o, nullptr));
  QUIRE_RETURN_IF_ERROR(Put(batch, ordered, &offer));
  batch.Put(kCrm, kNextOrderKey, std::to_string(o.id + 1));
  QUIRE_RETURN_IF_ERROR(audit_.Commit(
      std::move(batch),
      {{actor,
        "order.created",
        "order/" + std::to_string(o.id),
        {{"offer", std::to_string(offer.id)}, {"customer", std::to_string(o.customer)}}}},
      now));
  return o;
}

Result<Order> OfferStore::UpdateOrder(OrderId id, const json::object& patch,
                                      const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Order before, GetOrder(id));
  std::vector<ErrorDetail> problems;
  FieldReader f(patch, problems);
  f.Known({"status", "expectedDelivery", "deliveredOn", "invoicedOn", "invoiceNumber", "notes"},
          "an order", "status, expectedDelivery, deliveredOn, invoicedOn, invoiceNumber, notes");
  Order o = before;
  const Day today = Today(clock_.Now());
  for (auto [field, out] :
       {std::pair{"expectedDelivery", &o.expected_delivery},
        std::pair{"deliveredOn", &o.delivered_on}, std::pair{"invoicedOn", &o.invoiced_on}}) {
    const json::value* v = f.Get(field);
    if (v == nullptr) continue;
    out->reset();
    if (!v->is_null()) *out = ReadDay(f, *v, field);
  }
  f.Text("invoiceNumber", 64, o.invoice_number);
  f.Text("notes", 5000, o.notes);
  if (const json::value* v = f.Get("status")) {
    std::string status;
    f.Text(*v, "status", 20, status);
    if (status != before.status && !status.empty()) {
      const int from = FlowIndex(before.status), to = FlowIndex(status);
      if (before.status == "cancelled") {
        return Error::Conflict("order " + before.number + " was cancelled: it stays so");
      }
      if (status == "cancelled") {
        if (from >= FlowIndex("invoiced")) {
          return Error::Conflict("order " + before.number + " is " + before.status +
                                 ": an invoiced order is corrected by a correcting invoice, not "
                                 "cancelled");
        }
      } else if (to < 0) {
        f.Problem("status", "'" + status +
                                "' is not a status of an order (confirmed, in-fulfilment, "
                                "delivered, invoiced, paid, cancelled)");
      } else if (to < from) {
        return Error::Conflict("order " + before.number + " is " + before.status +
                               ": it does not go back to " + status);
      } else if (status == "paid" && o.outstanding() > 0) {
        return Error::Conflict("order " + before.number + " has " +
                               Money(o.outstanding(), o.currency) + " " + o.currency +
                               " outstanding: record the payments (POST /api/crm/orders/" +
                               std::to_string(id) + "/payments)");
      }
      o.status = status;
      if (status == "delivered" && !o.delivered_on) o.delivered_on = today;
      if (status == "invoiced" && !o.invoiced_on) o.invoiced_on = today;
    }
  }
  if (!problems.empty()) return Invalid("the order", std::move(problems));
  o.modified_at = clock_.Now();
  storage::WriteBatch batch;
  QUIRE_RETURN_IF_ERROR(PutOrder(batch, o, &before));
  json::object details{{"fields", FieldNames(patch)}};
  if (o.status != before.status) details["status"] = o.status;
  QUIRE_RETURN_IF_ERROR(Commit(std::move(batch), actor, "order.changed",
                               "order/" + std::to_string(id), std::move(details), o.modified_at));
  return o;
}

Result<Order> OfferStore::AddPayment(OrderId id, const json::object& fields,
                                     const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Order before, GetOrder(id));
  if (before.status == "cancelled") {
    return Error::Conflict("order " + before.number + " was cancelled: it takes no payments");
  }
  const auto currency = FindCurrency(before.currency);
  const int digits = currency ? currency->digits : 2;
  std::vector<ErrorDetail> problems;
  FieldReader f(fields, problems);
  f.Known({"amount", "date", "reference"}, "a payment", "amount, date, reference");
  const Timestamp now = clock_.Now();
  Payment p;
  p.date = Today(now);
  if (const json::value* v = f.Get("amount")) {
    if (auto amount = ReadDecimal(f, *v, "amount", digits, true)) {
      p.amount = *amount;
      if (*amount <= 0) {
        f.Problem("amount", "is more than 0");
      } else if (*amount > before.outstanding()) {
        f.Problem("amount", Money(*amount, before.currency) + " is more than the " +
                                Money(before.outstanding(), before.currency) + " " +
                                before.currency + " outstanding");
      }
    }
  } else {
    f.Problem("amount", "is required: the amount paid, as \"1234.50\"");
  }
  if (const json::value* v = f.Get("date")) {
    if (auto d = ReadDay(f, *v, "date")) {
      p.date = *d;
      if (*d > Today(now)) f.Problem("date", "is in the future");
    }
  }
  f.Text("reference", 200, p.reference);
  if (!problems.empty()) return Invalid("the payment", std::move(problems));
  p.recorded_by = actor.id;
  p.recorded_at = now;
  Order o = before;
  o.payments.push_back(p);
  if (o.outstanding() == 0 && (o.status == "delivered" || o.status == "invoiced")) {
    o.status = "paid";
  }
  o.modified_at = now;
  storage::WriteBatch batch;
  QUIRE_RETURN_IF_ERROR(PutOrder(batch, o, &before));
  QUIRE_RETURN_IF_ERROR(Commit(
      std::move(batch), actor, "order.payment", "order/" + std::to_string(id),
      {{"amount", Money(p.amount, o.currency)}, {"currency", o.currency}, {"status", o.status}},
      now));
  return o;
}

Result<Order> OfferStore::GetOrder(OrderId id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text, store_.Get(kCrm, OrderKey(id)));
  if (!text) return Error::NotFound("order " + std::to_string(id) + " does not exist");
  return OrderFromStored(*text);
}

Result<std::vector<Order>> OfferStore::Orders(CustomerId customer, std::size_t limit, OrderId after,
                                              const std::function<bool(const Order&)>& keep) const {
  std::vector<Order> out;
  if (limit == 0) return out;
  const std::string prefix =
      customer == 0 ? SalesKey('r') : storage::KeyEncoder().U8('S').U8('R').U64(customer).Take();
  QUIRE_RETURN_IF_ERROR(EachNewestFirst(
      store_, prefix, after, [&](std::uint64_t id, std::string_view value) -> Result<bool> {
        QUIRE_ASSIGN_OR_RETURN(Order o, customer == 0 ? OrderFromStored(value) : GetOrder(id));
        if (keep(o)) out.push_back(std::move(o));
        return out.size() < limit;
      }));
  return out;
}

Result<std::vector<Order>> OfferStore::Unpaid() const {
  std::vector<Order> out;
  const std::string prefix = SalesKey('u');
  for (auto it = store_.ScanPrefix(kCrm, prefix); it.Valid(); it.Next()) {
    storage::KeyDecoder key(it.key().substr(prefix.size()));
    QUIRE_ASSIGN_OR_RETURN(const OrderId id, key.U64());
    QUIRE_ASSIGN_OR_RETURN(Order o, GetOrder(id));
    out.push_back(std::move(o));
  }
  return out;
}

Result<std::size_t> OfferStore::EraseCustomerText(CustomerId customer, const audit::Actor& actor) {
  std::unique_lock creations(erase_mu_);
  std::lock_guard lock(write_mu_);
  const auto all = [](const auto&) { return true; };
  QUIRE_ASSIGN_OR_RETURN(std::vector<Offer> offers, List(customer, SIZE_MAX, 0, all));
  QUIRE_ASSIGN_OR_RETURN(std::vector<Order> orders, Orders(customer, SIZE_MAX, 0, all));
  const Timestamp now = clock_.Now();
  storage::WriteBatch batch;
  std::vector<audit::EntryFields> entries;
  auto clear_lines = [](std::vector<OfferLine>& lines) {
    for (OfferLine& l : lines) {
      if (l.product == 0) l.name = "-";
    }
  };
  for (const Offer& before : offers) {
    Offer o = before;
    o.notes.clear();
    o.rejected_reason.clear();
    clear_lines(o.lines);
    o.modified_at = now;
    QUIRE_RETURN_IF_ERROR(Put(batch, o, &before));
    entries.push_back({actor, "offer.erased", "offer/" + std::to_string(o.id), {}});
  }
  for (const Order& before : orders) {
    Order o = before;
    o.notes.clear();
    clear_lines(o.lines);
    for (Payment& p : o.payments) p.reference.clear();
    o.modified_at = now;
    QUIRE_RETURN_IF_ERROR(PutOrder(batch, o, &before));
    entries.push_back({actor, "order.erased", "order/" + std::to_string(o.id), {}});
  }
  if (entries.empty()) return std::size_t{0};
  QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch), std::move(entries), now));
  return offers.size() + orders.size();
}

Result<AcceptanceLimits> OfferStore::Limits() const {
  AcceptanceLimits limits;
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text, store_.Get(kCrm, kLimitsKey));
  if (!text) return limits;
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(*text, "acceptance limits"));
  if (const json::value* roles = o.if_contains("limits"); roles != nullptr && roles->is_object()) {
    for (const auto& [role, per] : roles->get_object()) {
      auto& out = limits.by_role[std::string(role)];
      if (!per.is_object()) continue;
      for (const auto& [currency, amount] : per.get_object()) {
        const auto c = FindCurrency(currency);
        if (!c || !amount.is_string()) continue;
        out[c->code] = ParseFixed(amount.get_string(), c->digits).value_or(0);
      }
    }
  }
  return limits;
}

Result<AcceptanceLimits> OfferStore::PutLimits(const json::object& body,
                                               const audit::Actor& actor) {
  std::vector<ErrorDetail> problems;
  FieldReader f(body, problems);
  f.Known({"limits"}, "the acceptance limits", "limits");
  AcceptanceLimits limits;
  const json::value* roles = f.Get("limits");
  if (roles == nullptr || !roles->is_object()) {
    f.Problem("limits", "must be {\"ROLE\": {\"PLN\": \"20000.00\", ...}, ...}");
  } else {
    for (const auto& [role, per] : roles->get_object()) {
      const std::string at = "limits." + std::string(role);
      auto& out = limits.by_role[std::string(role)];
      if (!per.is_object()) {
        f.Problem(at, "must be {\"PLN\": \"20000.00\", ...}: the largest net value per currency");
        continue;
      }
      for (const auto& [currency, amount] : per.get_object()) {
        const auto c = FindCurrency(currency);
        if (!c) {
          f.Problem(at + "." + std::string(currency), c.error().message());
          continue;
        }
        if (auto value =
                ReadDecimal(f, amount, at + "." + std::string(currency), c->digits, true)) {
          if (*value < 0) f.Problem(at + "." + std::string(currency), "is 0 or more");
          out[c->code] = *value;
        }
      }
    }
  }
  if (!problems.empty()) return Invalid("the acceptance limits", std::move(problems));
  std::lock_guard lock(write_mu_);
  storage::WriteBatch batch;
  batch.Put(kCrm, kLimitsKey, json::serialize(limits.ToJson()));
  json::array role_names;
  for (const auto& [role, per] : limits.by_role) role_names.emplace_back(role);
  QUIRE_RETURN_IF_ERROR(Commit(std::move(batch), actor, "offer.limits-set",
                               "settings/acceptance-limits", {{"roles", std::move(role_names)}},
                               clock_.Now()));
  return limits;
}

}  // namespace quire::crm
