#include "quire/crm/cases.h"

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>

#include "quire/base/instant.h"
#include "quire/base/json_fields.h"
#include "quire/base/json_merge_patch.h"
#include "quire/crm/segment_index.h"
#include "quire/storage/key_codec.h"
#include "record_fields.h"

namespace quire::crm {
namespace json = boost::json;

namespace {

using namespace internal;  // NOLINT: the module's field readers
using Day = std::chrono::year_month_day;

constexpr storage::ColumnFamily kCrm = storage::ColumnFamily::kCrm;
const std::string kNextCaseKey = "n:case";
const std::string kSlaKey = storage::KeyEncoder().U8('S').U8('s').Take();

std::string CaseKey(CaseId id) { return storage::KeyEncoder().U8('S').U8('c').U64(id).Take(); }
std::string CustomerCaseKey(CustomerId c, CaseId id) {
  return storage::KeyEncoder().U8('S').U8('C').U64(c).U64(id).Take();
}
std::string OpenKey(CaseId id) { return storage::KeyEncoder().U8('S').U8('k').U64(id).Take(); }
std::string ExternalKey(std::string_view external_id) {
  return storage::KeyEncoder().U8('S').U8('e').String(external_id).Take();
}

constexpr std::array<const char*, 4> kPriorities = {"low", "normal", "high", "urgent"};

// The moves a case's life allows, from each status.
bool MayMove(const std::string& from, const std::string& to) {
  static const std::map<std::string, std::vector<std::string>> kMoves = {
      {"new", {"in-progress", "waiting", "resolved"}},
      {"in-progress", {"waiting", "resolved"}},
      {"waiting", {"in-progress", "resolved"}},
      {"resolved", {"closed", "in-progress"}},
      {"closed", {}}};
  auto it = kMoves.find(from);
  return it != kMoves.end() &&
         std::find(it->second.begin(), it->second.end(), to) != it->second.end();
}

json::value OptionalDay(const std::optional<Day>& d) {
  return d ? json::value(FormatDay(*d)) : json::value(nullptr);
}
json::value OptionalTime(const std::optional<Timestamp>& t) {
  return t ? json::value(FormatInstant(*t)) : json::value(nullptr);
}
json::value OptionalId(std::uint64_t id) {
  return id == 0 ? json::value(nullptr) : json::value(std::to_string(id));
}

json::object Editable(const ServiceCase& c) {
  return {{"kind", c.kind},
          {"customer", std::to_string(c.customer)},
          {"contact", OptionalId(c.contact)},
          {"product", OptionalId(c.product)},
          {"serialNumber", c.serial_number},
          {"purchaseDate", OptionalDay(c.purchase_date)},
          {"subject", c.subject},
          {"description", c.description},
          {"priority", c.priority},
          {"status", c.status},
          {"assignee", c.assignee},
          {"resolution", c.resolution},
          {"externalId", c.external_id}};
}

std::optional<Day> StoredDay(const json::object& o, const char* field) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  auto d = ParseDay(v->get_string());
  return d ? std::optional<Day>(*d) : std::nullopt;
}
std::optional<Timestamp> StoredTime(const json::object& o, const char* field) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr || !v->is_int64()) return std::nullopt;
  return FromMs(v->get_int64());
}
std::uint64_t StoredId(const json::object& o, const char* field) {
  const json::value* v = o.if_contains(field);
  return v != nullptr && v->is_string() && !v->get_string().empty()
             ? std::stoull(std::string(v->get_string()))
             : 0;
}

json::object Stored(const ServiceCase& c) {
  json::object o = Editable(c);
  o["id"] = c.id;
  o["number"] = c.number;
  o["warrantyEnd"] = OptionalDay(c.warranty_end);
  o["responseDue"] = Ms(c.response_due);
  o["resolutionDue"] = Ms(c.resolution_due);
  for (const auto& [name, t] :
       {std::pair{"respondedAt", c.responded_at}, std::pair{"resolvedAt", c.resolved_at},
        std::pair{"closedAt", c.closed_at}}) {
    o[name] = t ? json::value(Ms(*t)) : json::value(nullptr);
  }
  PutStoredStamps(o, c.created_by, c.created_at, c.modified_at);
  return o;
}

Result<ServiceCase> FromStored(std::string_view text) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(text, "service case"));
  ServiceCase c;
  c.id = static_cast<CaseId>(IntOf(o, "id"));
  c.number = StrOf(o, "number");
  c.kind = StrOf(o, "kind");
  c.customer = StoredId(o, "customer");
  c.contact = StoredId(o, "contact");
  c.product = StoredId(o, "product");
  c.serial_number = StrOf(o, "serialNumber");
  c.purchase_date = StoredDay(o, "purchaseDate");
  c.warranty_end = StoredDay(o, "warrantyEnd");
  c.subject = StrOf(o, "subject");
  c.description = StrOf(o, "description");
  c.priority = StrOf(o, "priority");
  c.status = StrOf(o, "status");
  c.assignee = StrOf(o, "assignee");
  c.resolution = StrOf(o, "resolution");
  c.external_id = StrOf(o, "externalId");
  c.response_due = FromMs(IntOf(o, "responseDue"));
  c.resolution_due = FromMs(IntOf(o, "resolutionDue"));
  c.responded_at = StoredTime(o, "respondedAt");
  c.resolved_at = StoredTime(o, "resolvedAt");
  c.closed_at = StoredTime(o, "closedAt");
  ReadStoredStamps(o, c.created_by, c.created_at, c.modified_at);
  return c;
}

}  // namespace

json::object SlaTable::ToJson() const {
  json::object out;
  for (const auto& [priority, t] : by_priority) {
    out[priority] =
        json::object{{"responseHours", static_cast<double>(t.response.count()) / 60},
                     {"resolutionHours", static_cast<double>(t.resolution.count()) / 60}};
  }
  return out;
}

json::object ServiceCase::ToJson(Timestamp now) const {
  json::object o = Editable(*this);
  o["id"] = std::to_string(id);
  o["number"] = number;
  o["warrantyEnd"] = OptionalDay(warranty_end);
  o["responseDueAt"] = FormatInstant(response_due);
  o["resolutionDueAt"] = FormatInstant(resolution_due);
  o["respondedAt"] = OptionalTime(responded_at);
  o["resolvedAt"] = OptionalTime(resolved_at);
  o["closedAt"] = OptionalTime(closed_at);
  o["responseBreached"] = response_breached(now);
  o["resolutionBreached"] = resolution_breached(now);
  PutAnsweredStamps(o, created_by, created_at, modified_at);
  return o;
}

CaseStore::CaseStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock,
                     const CustomerStore& customers, const ContactStore& contacts,
                     const ProductStore& products)
    : store_(store),
      audit_(audit),
      clock_(clock),
      customers_(customers),
      contacts_(contacts),
      products_(products) {}

Result<ServiceCase> CaseStore::Check(ServiceCase c, const json::object& fields,
                                     const ServiceCase* before) const {
  std::vector<ErrorDetail> problems;
  FieldReader f(fields, problems);
  f.Known({"kind", "customer", "contact", "product", "serialNumber", "purchaseDate", "subject",
           "description", "priority", "status", "assignee", "resolution", "externalId"},
          "a service case",
          "kind, customer, contact, product, serialNumber, purchaseDate, subject, description, "
          "priority, status, assignee, resolution, externalId");
  f.Text("externalId", 200, c.external_id);
  if (!c.external_id.empty() && (before == nullptr || before->external_id != c.external_id)) {
    QUIRE_ASSIGN_OR_RETURN(std::optional<CaseId> holder, FindByExternalId(c.external_id));
    if (holder && (before == nullptr || *holder != before->id)) {
      f.Problem("externalId", "case " + std::to_string(*holder) + " has it already");
    }
  }
  f.Text("kind", 20, c.kind);
  if (c.kind != "complaint" && c.kind != "warranty" && c.kind != "post-warranty") {
    f.Problem("kind", "'" + c.kind +
                          "' is not a kind of case: complaint, warranty or "
                          "post-warranty");
  }
  f.OptionalId("customer", "a customer", c.customer);
  if (c.customer == 0) {
    f.Problem("customer", "is required: whose case it is");
  } else {
    auto customer = customers_.Get(c.customer);
    if (!customer && customer.error().code() == ErrorCode::kNotFound) {
      f.Problem("customer", "customer " + std::to_string(c.customer) + " does not exist");
    } else if (!customer) {
      return customer.error();
    } else if (customer->merged_into != 0 || customer->erased_at) {
      if (before == nullptr || before->customer != c.customer) {
        f.Problem("customer",
                  "customer " + std::to_string(c.customer) +
                      (customer->erased_at
                           ? " was erased"
                           : " was merged into customer " + std::to_string(customer->merged_into)));
      }
    }
  }
  f.OptionalId("contact", "a contact person", c.contact);
  if (c.contact != 0) {
    auto person = contacts_.Get(c.contact);
    if (!person && person.error().code() == ErrorCode::kNotFound) {
      f.Problem("contact", "contact person " + std::to_string(c.contact) + " does not exist");
    } else if (!person) {
      return person.error();
    } else if (std::find(person->customers.begin(), person->customers.end(), c.customer) ==
               person->customers.end()) {
      f.Problem("contact", "contact person " + std::to_string(c.contact) +
                               " is not a contact of customer " + std::to_string(c.customer));
    }
  }
  f.OptionalId("product", "a product", c.product);
  std::optional<Product> product;
  if (c.product != 0) {
    auto p = products_.Get(c.product);
    if (!p && p.error().code() == ErrorCode::kNotFound) {
      f.Problem("product", "product " + std::to_string(c.product) + " does not exist");
    } else if (!p) {
      return p.error();
    } else {
      product = std::move(*p);
    }
  }
  f.Text("serialNumber", 100, c.serial_number);
  if (const json::value* v = f.Get("purchaseDate")) {
    c.purchase_date.reset();
    if (v->is_string()) {
      auto d = ParseDay(v->get_string());
      if (d) {
        c.purchase_date = *d;
      } else {
        f.Problem("purchaseDate", d.error().message());
      }
    } else if (!v->is_null()) {
      f.Problem("purchaseDate", "must be a date such as 2026-03-15");
    }
  }
  const Timestamp now = clock_.Now();
  // The warranty's end: the purchase date plus the product's warranty months (the end of a
  // shorter month when the day is past it).
  c.warranty_end.reset();
  if (product && c.purchase_date && product->warranty_months > 0) {
    const auto months = std::chrono::months(product->warranty_months);
    Day end = c.purchase_date->year() / c.purchase_date->month() / c.purchase_date->day() + months;
    if (!end.ok()) end = end.year() / end.month() / std::chrono::last;
    c.warranty_end = end;
  }
  const Day today{std::chrono::floor<std::chrono::days>(now)};
  const bool kind_checked = before == nullptr || before->kind != c.kind ||
                            before->purchase_date != c.purchase_date ||
                            before->product != c.product;
  if (c.kind == "warranty" && kind_checked) {
    if (!product || !c.purchase_date) {
      f.Problem("kind", "a warranty case names the product and its purchaseDate");
    } else if (!c.warranty_end) {
      f.Problem("kind", "product " + product->code + " has no warranty: make it post-warranty");
    } else if (*c.warranty_end < today) {
      f.Problem("kind",
                "the warranty ended on " + FormatDay(*c.warranty_end) + ": make it post-warranty");
    }
  }
  f.Text("subject", 300, c.subject);
  if (c.subject.empty()) f.Problem("subject", "is required: what the case is about");
  f.Text("description", 10'000, c.description);
  f.Text("priority", 10, c.priority);
  if (std::find(kPriorities.begin(), kPriorities.end(), c.priority) == kPriorities.end()) {
    f.Problem("priority", "'" + c.priority + "' is not a priority: low, normal, high or urgent");
  }
  f.Text("assignee", 128, c.assignee);
  f.Text("resolution", 10'000, c.resolution);
  if (const json::value* v = f.Get("status")) {
    std::string status;
    f.Text(*v, "status", 20, status);
    const std::string from = before != nullptr ? before->status : "new";
    if (status != from) {
      if (before == nullptr) {
        f.Problem("status", "a case begins as new");
      } else if (!MayMove(from, status)) {
        return Error::Conflict("case " + before->number + " is " + from + ": it does not move to " +
                               status +
                               " (new → in-progress ⇄ waiting → resolved → closed; a "
                               "resolved case may be reopened)");
      } else {
        c.status = status;
        if (!c.responded_at) c.responded_at = now;
        if (status == "resolved") c.resolved_at = now;
        if (status == "in-progress" && from == "resolved") c.resolved_at.reset();
        if (status == "closed") c.closed_at = now;
      }
    }
  }
  if (c.status == "resolved" && c.resolution.empty()) {
    f.Problem("resolution", "is required to resolve a case: what was done");
  }
  if (!problems.empty()) return Invalid("the service case", std::move(problems));
  return c;
}

Result<ServiceCase> CaseStore::Create(const json::object& fields, const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(ServiceCase c, Check(ServiceCase{}, fields, nullptr));
  QUIRE_ASSIGN_OR_RETURN(c.id, NextId(store_, kNextCaseKey));
  c.created_by = actor.id;
  c.created_at = c.modified_at = clock_.Now();
  c.number = "SR/" +
             std::to_string(static_cast<int>(
                 Day{std::chrono::floor<std::chrono::days>(c.created_at)}.year())) +
             "/" + std::to_string(c.id);
  QUIRE_ASSIGN_OR_RETURN(SlaTable sla, Sla());
  const SlaTable::Times& times = sla.by_priority.at(c.priority);
  c.response_due = c.created_at + times.response;
  c.resolution_due = c.created_at + times.resolution;
  storage::WriteBatch batch;
  batch.Put(kCrm, CaseKey(c.id), json::serialize(Stored(c)));
  IndexSegments(nullptr, &c, batch);
  batch.Put(kCrm, CustomerCaseKey(c.customer, c.id), "");
  batch.Put(kCrm, OpenKey(c.id), "");
  if (!c.external_id.empty()) batch.Put(kCrm, ExternalKey(c.external_id), std::to_string(c.id));
  batch.Put(kCrm, kNextCaseKey, std::to_string(c.id + 1));
  QUIRE_RETURN_IF_ERROR(
      audit_.Commit(std::move(batch),
                    {{actor,
                      "case.created",
                      "case/" + std::to_string(c.id),
                      {{"customer", std::to_string(c.customer)}, {"fields", FieldNames(fields)}}}},
                    c.created_at));
  return c;
}

Result<ServiceCase> CaseStore::Update(CaseId id, const json::object& patch,
                                      const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(ServiceCase before, Get(id));
  if (before.status == "closed") {
    return Error::Conflict("case " + before.number + " was closed at " +
                           FormatInstant(before.closed_at.value_or(Timestamp{})) +
                           ": it is kept as it was");
  }
  ServiceCase blank = before;
  QUIRE_ASSIGN_OR_RETURN(ServiceCase c,
                         Check(std::move(blank), MergePatch(Editable(before), patch), &before));
  if (c.priority != before.priority) {
    QUIRE_ASSIGN_OR_RETURN(SlaTable sla, Sla());
    const SlaTable::Times& times = sla.by_priority.at(c.priority);
    c.response_due = c.created_at + times.response;
    c.resolution_due = c.created_at + times.resolution;
  }
  c.modified_at = clock_.Now();
  storage::WriteBatch batch;
  batch.Put(kCrm, CaseKey(id), json::serialize(Stored(c)));
  IndexSegments(&before, &c, batch);
  if (c.customer != before.customer) {
    batch.Delete(kCrm, CustomerCaseKey(before.customer, id));
    batch.Put(kCrm, CustomerCaseKey(c.customer, id), "");
  }
  if (c.status == "closed") batch.Delete(kCrm, OpenKey(id));
  if (c.external_id != before.external_id) {
    if (!before.external_id.empty()) batch.Delete(kCrm, ExternalKey(before.external_id));
    if (!c.external_id.empty()) batch.Put(kCrm, ExternalKey(c.external_id), std::to_string(id));
  }
  json::object details{{"fields", FieldNames(patch)}};
  if (c.status != before.status) details["status"] = c.status;
  QUIRE_RETURN_IF_ERROR(audit_.Commit(
      std::move(batch), {{actor, "case.changed", "case/" + std::to_string(id), std::move(details)}},
      c.modified_at));
  return c;
}

Result<ServiceCase> CaseStore::ParseStored(std::string_view text) { return FromStored(text); }

Result<ServiceCase> CaseStore::Get(CaseId id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text, store_.Get(kCrm, CaseKey(id)));
  if (!text) return Error::NotFound("service case " + std::to_string(id) + " does not exist");
  return FromStored(*text);
}

Result<std::optional<CaseId>> CaseStore::FindByExternalId(std::string_view external_id) const {
  if (external_id.empty()) return std::optional<CaseId>();
  return FindIdAt(store_, ExternalKey(external_id), external_id);
}

Result<std::vector<ServiceCase>> CaseStore::List(
    CustomerId customer, bool open_only, std::size_t limit, CaseId after,
    const std::function<bool(const ServiceCase&)>& keep) const {
  std::vector<ServiceCase> out;
  std::string prefix;
  if (customer != 0) {
    prefix = storage::KeyEncoder().U8('S').U8('C').U64(customer).Take();
  } else {
    prefix = storage::KeyEncoder().U8('S').U8(open_only ? 'k' : 'c').Take();
  }
  if (limit == 0) return out;
  QUIRE_RETURN_IF_ERROR(EachNewestFirst(
      store_, prefix, after, [&](std::uint64_t id, std::string_view value) -> Result<bool> {
        // Under 'S' 'c' the records themselves; under the indexes, their ids.
        const bool records = customer == 0 && !open_only;
        QUIRE_ASSIGN_OR_RETURN(ServiceCase c, records ? FromStored(value) : Get(id));
        if ((!open_only || c.status != "closed") && keep(c)) out.push_back(std::move(c));
        return out.size() < limit;
      }));
  return out;
}

Result<SlaTable> CaseStore::Sla() const {
  SlaTable sla;
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text, store_.Get(kCrm, kSlaKey));
  if (!text) return sla;
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(*text, "SLA table"));
  for (const auto& [priority, times] : o) {
    auto it = sla.by_priority.find(std::string(priority));
    if (it == sla.by_priority.end() || !times.is_object()) continue;
    it->second.response = std::chrono::minutes(IntOf(times.get_object(), "responseMinutes"));
    it->second.resolution = std::chrono::minutes(IntOf(times.get_object(), "resolutionMinutes"));
  }
  return sla;
}

Result<SlaTable> CaseStore::PutSla(const json::object& body, const audit::Actor& actor) {
  std::vector<ErrorDetail> problems;
  SlaTable sla;
  for (const auto& [priority, times] : body) {
    const std::string at(priority);
    auto it = sla.by_priority.find(at);
    if (it == sla.by_priority.end()) {
      problems.push_back({at, "is not a priority: low, normal, high, urgent"});
      continue;
    }
    if (!times.is_object()) {
      problems.push_back({at, "must be {\"responseHours\": 4, \"resolutionHours\": 24}"});
      continue;
    }
    auto hours = [&](const char* field) -> std::optional<std::chrono::minutes> {
      const json::value* v = times.get_object().if_contains(field);
      if (v == nullptr || !v->is_number()) {
        problems.push_back({at + "." + field, "is required: a number of hours"});
        return std::nullopt;
      }
      // Hours in quarter-hour steps at most: stored as whole minutes.
      const double h = v->to_number<double>();
      if (!(h > 0 && h <= 24 * 365)) {
        problems.push_back({at + "." + field, "is more than 0 and at most a year of hours"});
        return std::nullopt;
      }
      return std::chrono::minutes(static_cast<std::int64_t>(h * 60 + 0.5));
    };
    const auto response = hours("responseHours");
    const auto resolution = hours("resolutionHours");
    if (response && resolution && *resolution < *response) {
      problems.push_back({at + ".resolutionHours", "is shorter than the response time"});
    }
    if (response) it->second.response = *response;
    if (resolution) it->second.resolution = *resolution;
  }
  if (!problems.empty()) return Invalid("the SLA table", std::move(problems));
  json::object stored;
  for (const auto& [priority, t] : sla.by_priority) {
    stored[priority] = json::object{{"responseMinutes", t.response.count()},
                                    {"resolutionMinutes", t.resolution.count()}};
  }
  std::lock_guard lock(write_mu_);
  storage::WriteBatch batch;
  batch.Put(kCrm, kSlaKey, json::serialize(stored));
  QUIRE_RETURN_IF_ERROR(
      audit_.Commit(std::move(batch), {{actor, "case.sla-set", "settings/sla", {}}}, clock_.Now()));
  return sla;
}

}  // namespace quire::crm
