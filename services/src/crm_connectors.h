// The CRM connectors: how processes record activities, read and update customers and find
// them (workflow does not know the CRM). Each runs as a job: retried with backoff, an
// incident after its last retry; a business refusal (a bad field, nobody found when one is
// required) is a BPMN error the model can catch.
#pragma once

#include <atomic>
#include <boost/json.hpp>
#include <charconv>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "quire/base/instant.h"
#include "quire/base/json_text.h"
#include "quire/crm/activities.h"
#include "quire/crm/contacts.h"
#include "quire/crm/customers.h"
#include "quire/crm/money.h"
#include "quire/crm/offers.h"
#include "quire/crm/products.h"
#include "quire/crm/segments.h"
#include "quire/services/offer_documents.h"
#include "quire/services/services.h"
#include "quire/workflow/connector.h"

namespace quire::services {

namespace crm_connectors {

inline const boost::json::object& Inputs(const workflow::JobRequest& job) {
  return job.inputs.empty() ? job.variables : job.inputs;
}

inline std::string Text(const boost::json::object& in, std::string_view key) {
  const boost::json::value* v = in.if_contains(key);
  if (v == nullptr) return "";
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_int64()) return std::to_string(v->as_int64());
  if (v->is_uint64()) return std::to_string(v->as_uint64());
  if (v->is_double()) return std::to_string(static_cast<std::int64_t>(v->as_double()));
  return "";
}

inline audit::Actor ProcessActor(const workflow::JobRequest& job) {
  return {"process:" + job.process_id + "/" + std::to_string(job.instance_id), "connector"};
}

// A refusal the model can catch (an error boundary event with this code), with the detail.
inline workflow::JobOutcome BusinessError(std::string code, const Error& e) {
  workflow::JobOutcome out;
  out.bpmn_error = std::move(code);
  out.error_message = e.message();
  for (const ErrorDetail& d : e.details()) out.error_message += "; " + d.field + ": " + d.message;
  return out;
}

inline bool IsRefusal(const Error& e) {
  return e.code() == ErrorCode::kValidationFailed || e.code() == ErrorCode::kInvalidArgument ||
         e.code() == ErrorCode::kNotFound || e.code() == ErrorCode::kConflict;
}

}  // namespace crm_connectors

// crm.activity: records (status done, the default) or plans an activity. Inputs: type,
// status, title, customer (or customerId), start (now by default), end, employees, note,
// outcome, channel, campaign. Output: activityId. Run twice for one job (a retry after a
// crash), it records one activity: the job's id is its external id.
class ActivityConnector final : public workflow::Connector {
 public:
  ActivityConnector(crm::ActivityStore& activities, const Clock& clock)
      : activities_(activities), clock_(clock) {}

  Result<workflow::JobOutcome> Run(const workflow::JobRequest& job) override {
    namespace c = crm_connectors;
    const boost::json::object& in = c::Inputs(job);
    const std::string external = "job-" + std::to_string(job.job_id);
    QUIRE_ASSIGN_OR_RETURN(std::optional<crm::ActivityId> done,
                           activities_.FindByExternalId(external));
    workflow::JobOutcome out;
    if (done) {
      out.variables["activityId"] = std::to_string(*done);
      return out;
    }
    boost::json::object fields;
    for (const char* k : {"type", "status", "title", "start", "end", "note", "outcome", "channel",
                          "campaign", "allDay", "employees", "resources"}) {
      if (const boost::json::value* v = in.if_contains(k)) fields[k] = *v;
    }
    if (!fields.contains("type")) fields["type"] = "task";
    if (!fields.contains("status")) fields["status"] = "done";
    if (!fields.contains("start")) fields["start"] = FormatInstant(clock_.Now());
    const std::string customer =
        c::Text(in, "customer").empty() ? c::Text(in, "customerId") : c::Text(in, "customer");
    if (!customer.empty()) fields["customer"] = customer;
    fields["externalId"] = external;
    if (!fields.contains("note")) {
      fields["note"] = "Recorded by process " + job.process_id + ", instance " +
                       std::to_string(job.instance_id) + ", at " + job.element_id;
    }
    auto a = activities_.Create(fields, c::ProcessActor(job));
    if (!a) {
      if (c::IsRefusal(a.error())) return c::BusinessError("crm.activity.refused", a.error());
      return a.error();
    }
    out.variables["activityId"] = std::to_string(a->id);
    return out;
  }

 private:
  crm::ActivityStore& activities_;
  const Clock& clock_;
};

// crm.customer: reads a customer (input customer or customerId) into the variable
// `customer`, and first changes it when input `set` holds fields (JSON Merge Patch).
class CustomerConnector final : public workflow::Connector {
 public:
  explicit CustomerConnector(crm::CustomerStore& customers) : customers_(customers) {}

  Result<workflow::JobOutcome> Run(const workflow::JobRequest& job) override {
    namespace c = crm_connectors;
    const boost::json::object& in = c::Inputs(job);
    const std::string text =
        c::Text(in, "customer").empty() ? c::Text(in, "customerId") : c::Text(in, "customer");
    crm::CustomerId id = 0;
    try {
      id = std::stoull(text);
    } catch (...) {
      return c::BusinessError(
          "crm.customer.not-found",
          Error::InvalidArgument("crm.customer: '" + text + "' is not a customer id"));
    }
    Result<crm::Customer> customer = customers_.Get(id);
    if (const boost::json::value* set = in.if_contains("set"); set && set->is_object()) {
      customer = customers_.Update(id, set->as_object(), c::ProcessActor(job));
    }
    if (!customer) {
      if (c::IsRefusal(customer.error())) {
        return c::BusinessError(customer.error().code() == ErrorCode::kNotFound
                                    ? "crm.customer.not-found"
                                    : "crm.customer.refused",
                                customer.error());
      }
      return customer.error();
    }
    workflow::JobOutcome out;
    out.variables["customer"] = customer->ToJson();
    return out;
  }

 private:
  crm::CustomerStore& customers_;
};

// crm.lookup: finds customers by e-mail (their contact persons'), phone, tax id, external id
// or name (inputs email, phone, taxId, externalId, name; the first given). Outputs:
// customerId (the first found, or null), customerIds, contactId (when found through a
// contact person). Nobody found is not an error, unless input required is true
// (crm.lookup.not-found).
class LookupConnector final : public workflow::Connector {
 public:
  LookupConnector(crm::CustomerStore& customers, crm::ContactStore& contacts)
      : customers_(customers), contacts_(contacts) {}

  // It only reads, at once: it runs inside the engine's step, so that a process starting
  // with a lookup has its first task the moment it is started.
  bool inline_run() const override { return true; }

  Result<workflow::JobOutcome> Run(const workflow::JobRequest& job) override {
    namespace c = crm_connectors;
    const boost::json::object& in = c::Inputs(job);
    std::vector<crm::CustomerId> found;
    std::optional<crm::ContactId> contact;
    auto through_contacts = [&](const std::vector<crm::ContactId>& people) -> Result<void> {
      for (const crm::ContactId p : people) {
        QUIRE_ASSIGN_OR_RETURN(crm::Contact person, contacts_.Get(p));
        if (!contact) contact = p;
        for (const crm::CustomerId id : person.customers) found.push_back(id);
      }
      return Ok();
    };
    if (const std::string v = c::Text(in, "taxId"); !v.empty()) {
      QUIRE_ASSIGN_OR_RETURN(found, customers_.FindByTaxId(v));
    } else if (const std::string e = c::Text(in, "externalId"); !e.empty()) {
      QUIRE_ASSIGN_OR_RETURN(std::optional<crm::CustomerId> id, customers_.FindByExternalId(e));
      if (id) found.push_back(*id);
    } else if (const std::string p = c::Text(in, "phone"); !p.empty()) {
      QUIRE_ASSIGN_OR_RETURN(found, customers_.FindByPhone(p));
      if (found.empty()) {
        QUIRE_ASSIGN_OR_RETURN(std::vector<crm::ContactId> people, contacts_.FindByPhone(p));
        QUIRE_RETURN_IF_ERROR(through_contacts(people));
      }
    } else if (const std::string m = c::Text(in, "email"); !m.empty()) {
      QUIRE_ASSIGN_OR_RETURN(std::vector<crm::ContactId> people, contacts_.FindByEmail(m));
      QUIRE_RETURN_IF_ERROR(through_contacts(people));
    } else if (const std::string n = c::Text(in, "name"); !n.empty()) {
      QUIRE_ASSIGN_OR_RETURN(found, customers_.FindByName(n));
    } else {
      return c::BusinessError(
          "crm.lookup.refused",
          Error::InvalidArgument("crm.lookup needs one of the inputs email, phone, taxId, "
                                 "externalId, name"));
    }
    const boost::json::value* required = in.if_contains("required");
    if (found.empty() && required != nullptr && required->is_bool() && required->as_bool()) {
      return c::BusinessError("crm.lookup.not-found",
                              Error::NotFound("crm.lookup: no customer matches"));
    }
    workflow::JobOutcome out;
    boost::json::array ids;
    for (const crm::CustomerId id : found) ids.emplace_back(std::to_string(id));
    out.variables["customerId"] =
        found.empty() ? boost::json::value() : boost::json::value(std::to_string(found.front()));
    out.variables["customerIds"] = std::move(ids);
    out.variables["contactId"] =
        contact ? boost::json::value(std::to_string(*contact)) : boost::json::value();
    return out;
  }

 private:
  crm::CustomerStore& customers_;
  crm::ContactStore& contacts_;
};

// crm.offer: what a process does with offers. Input `action`:
//   create (the default): an offer from the inputs customer (or customerId), contact, owner,
//     currency, lines, validUntil, paymentTermsDays, deliveryTerms, notes, campaign, as
//     POST /api/crm/offers takes them (a line naming a product is priced from the price
//     lists). Run twice for one job, it makes one offer: the job's id is its external id;
//   send, accept, reject (input reason), render (to PDF in the DMS: output documentId), get:
//     the offer `offerId`. A process accepts without acceptance limits: the approval it
//     models (a task for whoever may approve) is the limit.
// Outputs: offerId, offer (as the API answers it). Refusals: crm.offer.refused,
// crm.offer.not-found.
class OfferConnector final : public workflow::Connector {
 public:
  explicit OfferConnector(Services& services) : services_(services) {}

  Result<workflow::JobOutcome> Run(const workflow::JobRequest& job) override {
    namespace c = crm_connectors;
    crm::OfferStore& offers = services_.offers();
    const boost::json::object& in = c::Inputs(job);
    const std::string action = c::Text(in, "action").empty() ? "create" : c::Text(in, "action");
    const audit::Actor actor = c::ProcessActor(job);
    auto refused = [](const Error& e) -> Result<workflow::JobOutcome> {
      if (!c::IsRefusal(e)) return e;
      return c::BusinessError(
          e.code() == ErrorCode::kNotFound ? "crm.offer.not-found" : "crm.offer.refused", e);
    };
    Result<crm::Offer> offer = Error::InvalidArgument("");
    workflow::JobOutcome out;
    if (action == "create") {
      const std::string external = "job-" + std::to_string(job.job_id);
      QUIRE_ASSIGN_OR_RETURN(std::optional<crm::OfferId> done, offers.FindByExternalId(external));
      if (done) {
        offer = offers.Get(*done);
      } else {
        boost::json::object fields;
        for (const char* k : {"contact", "owner", "currency", "lines", "validUntil",
                              "paymentTermsDays", "deliveryTerms", "notes", "campaign"}) {
          if (const boost::json::value* v = in.if_contains(k)) fields[k] = *v;
        }
        const std::string customer =
            c::Text(in, "customer").empty() ? c::Text(in, "customerId") : c::Text(in, "customer");
        if (!customer.empty()) fields["customer"] = customer;
        fields["externalId"] = external;
        offer = offers.Create(fields, actor);
      }
    } else {
      crm::OfferId id = 0;
      try {
        id = std::stoull(c::Text(in, "offerId"));
      } catch (...) {
        return c::BusinessError("crm.offer.not-found",
                                Error::InvalidArgument("crm.offer: '" + c::Text(in, "offerId") +
                                                       "' is not an offer id (input offerId)"));
      }
      if (action == "send") {
        offer = offers.Send(id, actor);
      } else if (action == "accept") {
        offer = offers.Accept(id, nullptr, {}, actor);
      } else if (action == "reject") {
        offer = offers.Reject(id, c::Text(in, "reason"), actor);
      } else if (action == "render") {
        auto doc = RenderOfferDocument(services_, id, actor);
        if (!doc) return refused(doc.error());
        out.variables["documentId"] = std::to_string(doc->id);
        offer = offers.Get(id);
      } else if (action == "get") {
        offer = offers.Get(id);
      } else {
        return c::BusinessError(
            "crm.offer.refused",
            Error::InvalidArgument("crm.offer: '" + action +
                                   "' is not an action (create, send, accept, reject, render, "
                                   "get)"));
      }
    }
    if (!offer) return refused(offer.error());
    out.variables["offerId"] = std::to_string(offer->id);
    out.variables["offer"] = offer->ToJson();
    return out;
  }

 private:
  Services& services_;
};

// crm.order: the order made from the accepted offer `offerId` (inputs expectedDelivery,
// notes). Run again for the same offer (a retried job), it answers the order made. Outputs:
// orderId, order. Refusals: crm.order.refused (the offer is not accepted), crm.order.not-found.
class OrderConnector final : public workflow::Connector {
 public:
  OrderConnector(crm::OfferStore& offers, const Clock& clock) : offers_(offers), clock_(clock) {}

  Result<workflow::JobOutcome> Run(const workflow::JobRequest& job) override {
    namespace c = crm_connectors;
    const boost::json::object& in = c::Inputs(job);
    if (c::Text(in, "action") == "get") {  // reads order `orderId` (is it paid yet?)
      crm::OrderId order_id = 0;
      const std::string text = c::Text(in, "orderId");
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), order_id);
      if (ec != std::errc() || p != text.data() + text.size() || order_id == 0) {
        return c::BusinessError(
            "crm.order.not-found",
            Error::InvalidArgument("crm.order: '" + text + "' is not an order id (input orderId)"));
      }
      auto order = offers_.GetOrder(order_id);
      if (!order) {
        if (!c::IsRefusal(order.error())) return order.error();
        return c::BusinessError("crm.order.not-found", order.error());
      }
      workflow::JobOutcome out;
      out.variables["orderId"] = std::to_string(order->id);
      out.variables["order"] = order->ToJson(offers_.Today(clock_.Now()));
      return out;
    }
    crm::OfferId id = 0;
    try {
      id = std::stoull(c::Text(in, "offerId"));
    } catch (...) {
      return c::BusinessError("crm.order.not-found",
                              Error::InvalidArgument("crm.order: '" + c::Text(in, "offerId") +
                                                     "' is not an offer id (input offerId)"));
    }
    auto refused = [](const Error& e) -> Result<workflow::JobOutcome> {
      if (!c::IsRefusal(e)) return e;
      return c::BusinessError(
          e.code() == ErrorCode::kNotFound ? "crm.order.not-found" : "crm.order.refused", e);
    };
    auto offer = offers_.Get(id);
    if (!offer) return refused(offer.error());
    Result<crm::Order> order = Error::InvalidArgument("");
    if (offer->order != 0) {
      order = offers_.GetOrder(offer->order);
    } else {
      boost::json::object fields;
      for (const char* k : {"expectedDelivery", "notes"}) {
        if (const boost::json::value* v = in.if_contains(k)) fields[k] = *v;
      }
      order = offers_.MakeOrder(id, fields, c::ProcessActor(job));
    }
    if (!order) return refused(order.error());
    workflow::JobOutcome out;
    out.variables["orderId"] = std::to_string(order->id);
    out.variables["order"] = order->ToJson(order->ordered_on);
    return out;
  }

 private:
  crm::OfferStore& offers_;
  const Clock& clock_;
};

// crm.case: a service case. Input `action`:
//   create (the default): from the inputs kind, customer (or customerId), contact, product,
//     serialNumber, purchaseDate, subject, description, priority, assignee, as
//     POST /api/crm/cases takes them. Run twice for one job, it makes one case (the job's id
//     is its external id);
//   update: case `caseId` changed by the input `set` (JSON Merge Patch: status, resolution,
//     assignee, priority, ...);
//   get: case `caseId`.
// Outputs: caseId, case (as the API answers it: warrantyEnd, the SLA's due times and
// breaches). Refusals: crm.case.refused (a bad field, a move its life does not allow),
// crm.case.not-found.
class CaseConnector final : public workflow::Connector {
 public:
  CaseConnector(crm::CaseStore& cases, const Clock& clock) : cases_(cases), clock_(clock) {}

  Result<workflow::JobOutcome> Run(const workflow::JobRequest& job) override {
    namespace c = crm_connectors;
    const boost::json::object& in = c::Inputs(job);
    const std::string action = c::Text(in, "action").empty() ? "create" : c::Text(in, "action");
    auto refused = [](const Error& e) -> Result<workflow::JobOutcome> {
      if (!c::IsRefusal(e)) return e;
      return c::BusinessError(
          e.code() == ErrorCode::kNotFound ? "crm.case.not-found" : "crm.case.refused", e);
    };
    Result<crm::ServiceCase> found = Error::InvalidArgument("");
    if (action == "create") {
      const std::string external = "job-" + std::to_string(job.job_id);
      QUIRE_ASSIGN_OR_RETURN(std::optional<crm::CaseId> done, cases_.FindByExternalId(external));
      if (done) {
        found = cases_.Get(*done);
      } else {
        boost::json::object fields;
        for (const char* k : {"kind", "contact", "product", "serialNumber", "purchaseDate",
                              "subject", "description", "priority", "assignee"}) {
          if (const boost::json::value* v = in.if_contains(k); v != nullptr && !v->is_null()) {
            fields[k] = *v;
          }
        }
        const std::string customer =
            c::Text(in, "customer").empty() ? c::Text(in, "customerId") : c::Text(in, "customer");
        if (!customer.empty()) fields["customer"] = customer;
        fields["externalId"] = external;
        found = cases_.Create(fields, c::ProcessActor(job));
      }
    } else if (action == "update" || action == "get") {
      crm::CaseId id = 0;
      try {
        id = std::stoull(c::Text(in, "caseId"));
      } catch (...) {
        return c::BusinessError("crm.case.not-found",
                                Error::InvalidArgument("crm.case: '" + c::Text(in, "caseId") +
                                                       "' is not a case id (input caseId)"));
      }
      const boost::json::value* set = in.if_contains("set");
      if (action == "update" && set != nullptr && set->is_object()) {
        found = cases_.Update(id, set->as_object(), c::ProcessActor(job));
      } else {
        found = cases_.Get(id);
      }
    } else {
      return c::BusinessError("crm.case.refused",
                              Error::InvalidArgument("crm.case: '" + action +
                                                     "' is not an action (create, update, get)"));
    }
    if (!found) return refused(found.error());
    workflow::JobOutcome out;
    out.variables["caseId"] = std::to_string(found->id);
    out.variables["case"] = found->ToJson(clock_.Now());
    return out;
  }

 private:
  crm::CaseStore& cases_;
  const Clock& clock_;
};

// crm.segment: starts a process for each member of a segment. Inputs: segment (a saved
// segment's id or name), process (the process to start), businessKey (a prefix: each
// instance's business key is it and the customer's id; the segment's id and the process
// by default), variables (an object given to every instance besides "customer"), threads
// (how many starts are in flight, 8 by default). Each member is started at most once: a
// business key already used is skipped. A job cut off (its deadline, a stop) is retried and
// goes on where it was. Outputs: members, started, skipped (started before).
// crm.promotions: the products on offer — the price lists valid today that began within the
// last `days` days (input; 7 by default, so a day Quire was down is made up for), one item
// per product in them: {priceList, priceListName, product, code, name, currency, unitPrice,
// discountPercent, validTo, audience}. `audience` is a segment filter for whom the list is
// (a category, one customer; "" for everyone), to be joined to a rule with "and". Output
// `items` (and `count`).
class PromotionsConnector final : public workflow::Connector {
 public:
  explicit PromotionsConnector(Services& services) : services_(services) {}

  Result<workflow::JobOutcome> Run(const workflow::JobRequest& job) override {
    namespace c = crm_connectors;
    namespace json = boost::json;
    const json::object& in = c::Inputs(job);
    std::int64_t days = 7;
    if (const json::value* d = in.if_contains("days")) {
      if (!d->is_number() || d->to_number<double>() < 1 || d->to_number<double>() > 366) {
        return c::BusinessError(
            "crm.promotions.refused",
            Error::ValidationFailed("crm.promotions: 'days' is a whole number from 1 to 366"));
      }
      days = static_cast<std::int64_t>(d->to_number<double>());
    }
    const std::chrono::year_month_day today = services_.offers().Today(services_.clock().Now());
    const std::chrono::year_month_day first{std::chrono::sys_days(today) -
                                            std::chrono::days(days - 1)};
    QUIRE_ASSIGN_OR_RETURN(std::vector<crm::PriceList> lists, services_.products().PriceLists());
    json::array items;
    for (const crm::PriceList& list : lists) {
      if (!list.ValidOn(today) || !list.valid_from || *list.valid_from < first) continue;
      std::string audience;
      if (list.customer != 0) {
        audience = "id = " + std::to_string(list.customer);
      } else if (!list.customer_category.empty()) {
        std::string quoted;
        AppendJsonString(list.customer_category, quoted);
        audience = "category = " + quoted;
      }
      for (const crm::PriceListEntry& e : list.entries) {
        auto product = services_.products().Get(e.product);
        if (!product) {
          if (product.error().code() == ErrorCode::kNotFound) continue;
          return product.error();
        }
        if (!product->active) continue;
        const std::optional<std::int64_t> price =
            e.unit_price ? e.unit_price : product->PriceIn(list.currency);
        // After the list's discount, rounded half away from zero as offer lines are (in 128
        // bits: a price at 10^-4 times a discount at 10^-4 does not fit in 64).
        std::int64_t net = price.value_or(0);
        if (e.discount != 0) {
          net -= static_cast<std::int64_t>(
              crm::RoundDiv(static_cast<crm::Int128>(net) * e.discount, 100 * crm::kOne));
        }
        std::string code_quoted;
        AppendJsonString("interest:" + product->code, code_quoted);
        items.push_back(json::object{
            {"priceList", std::to_string(list.id)},
            {"priceListName", list.name},
            {"product", std::to_string(product->id)},
            {"code", product->code},
            {"name", product->name},
            {"currency", list.currency},
            {"unitPrice",
             price ? json::value(crm::FormatTrimmed(net, crm::kPlaces, 2)) : json::value(nullptr)},
            {"discountPercent", crm::FormatTrimmed(e.discount, crm::kPlaces)},
            {"validTo",
             list.valid_to ? json::value(crm::FormatDay(*list.valid_to)) : json::value(nullptr)},
            {"audience", audience},
            // The segment rule of the customers interested in it (the tag, quoted safely).
            {"interestFilter",
             "tag = " + code_quoted + (audience.empty() ? "" : " and " + audience)}});
      }
    }
    workflow::JobOutcome out;
    out.variables["count"] = items.size();
    out.variables["items"] = std::move(items);
    return out;
  }

 private:
  Services& services_;
};

class SegmentConnector final : public workflow::Connector {
 public:
  explicit SegmentConnector(Services& services) : services_(services) {}

  Result<workflow::JobOutcome> Run(const workflow::JobRequest& job) override {
    namespace c = crm_connectors;
    const boost::json::object& in = c::Inputs(job);
    const std::string process = c::Text(in, "process");
    if (process.empty()) {
      return c::BusinessError("crm.segment.refused",
                              Error::ValidationFailed("crm.segment needs \"process\": the "
                                                      "process to start for each member"));
    }
    // A saved segment (by id or name), or a filter written in the process itself (text, of).
    crm::Filter filter;
    std::string default_prefix;
    if (const std::string text = c::Text(in, "text");
        !text.empty() && c::Text(in, "segment").empty()) {
      const std::string of = in.contains("of") ? c::Text(in, "of") : "customers";
      const std::optional<crm::Entity> target = crm::EntityFromName(of);
      if (!target) {
        return c::BusinessError(
            "crm.segment.refused",
            Error::ValidationFailed("crm.segment: 'of' is customers, activities, offers, orders "
                                    "or cases, not '" +
                                    of + "'"));
      }
      Result<crm::Filter> parsed = crm::ParseFilterText(text, *target);
      if (!parsed) return c::BusinessError("crm.segment.refused", parsed.error());
      filter = std::move(*parsed);
      default_prefix = process + "-" + std::string(crm::EntityName(*target)) + "-";
    } else {
      Result<crm::SavedSegment> segment = services_.segments().Find(c::Text(in, "segment"));
      if (!segment) {
        if (!c::IsRefusal(segment.error())) return segment.error();
        return c::BusinessError("crm.segment.not-found", segment.error());
      }
      QUIRE_ASSIGN_OR_RETURN(filter, crm::SegmentStore::FilterOf(*segment));
      default_prefix = process + "-segment-" + std::to_string(segment->id) + "-";
    }
    const crm::Entity target = filter.target;
    std::string prefix = c::Text(in, "businessKey");
    if (prefix.empty()) prefix = default_prefix;
    boost::json::object variables;
    if (const boost::json::value* v = in.if_contains("variables"); v != nullptr && v->is_object()) {
      variables = v->get_object();
    }
    std::size_t threads = 8;
    if (const boost::json::value* v = in.if_contains("threads"); v != nullptr && v->is_int64()) {
      threads = static_cast<std::size_t>(std::clamp<std::int64_t>(v->get_int64(), 1, 32));
    }
    QUIRE_ASSIGN_OR_RETURN(std::vector<std::uint64_t> members,
                           services_.segment_engine().All(filter, nullptr));
    const audit::Actor actor = c::ProcessActor(job);
    std::atomic<std::size_t> next{0}, started{0}, skipped{0};
    std::mutex failed_mu;
    std::optional<Error> failed;
    auto work = [&] {
      for (std::size_t i = next++; i < members.size(); i = next++) {
        {
          std::lock_guard lock(failed_mu);
          if (failed) return;
        }
        if (std::chrono::steady_clock::now() > job.deadline) {
          std::lock_guard lock(failed_mu);
          if (!failed) {
            failed = Error::DeadlineExceeded(
                "crm.segment started " + std::to_string(started.load()) + " of " +
                std::to_string(members.size()) + " before its deadline; a retry goes on");
          }
          return;
        }
        workflow::StartRequest start;
        start.process_id = process;
        start.variables = variables;
        if (target != crm::Entity::kCustomer) {
          // The record, and the customer it is about (none: null).
          Result<std::uint64_t> customer = CustomerOf(target, members[i]);
          if (!customer && customer.error().code() == ErrorCode::kNotFound) {
            ++skipped;  // gone since the rule ran
            continue;
          }
          if (!customer) {
            std::lock_guard lock(failed_mu);
            if (!failed) failed = customer.error();
            return;
          }
          start.variables[std::string(crm::EntityName(target))] = std::to_string(members[i]);
          start.variables["customer"] = *customer == 0
                                            ? boost::json::value(nullptr)
                                            : boost::json::value(std::to_string(*customer));
        } else {
          start.variables["customer"] = std::to_string(members[i]);
        }
        start.business_key = prefix + std::to_string(members[i]);
        start.actor = actor;
        Result<workflow::StartResult> r = services_.engine().Start(start);
        if (r) {
          ++started;
        } else if (r.error().code() == ErrorCode::kConflict &&
                   r.error().message().find("business key") != std::string::npos) {
          ++skipped;  // started before (a retry, or an earlier run of the same key)
        } else {
          std::lock_guard lock(failed_mu);
          if (!failed) failed = r.error();
          return;
        }
      }
    };
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < std::min(threads, members.size()); ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
    if (failed) {
      if (failed->code() == ErrorCode::kNotFound) {
        return c::BusinessError("crm.segment.refused", *failed);  // no such process
      }
      return *failed;
    }
    workflow::JobOutcome out;
    out.variables["members"] = members.size();
    out.variables["started"] = started.load();
    out.variables["skipped"] = skipped.load();
    return out;
  }

 private:
  Result<std::uint64_t> CustomerOf(crm::Entity e, std::uint64_t id) const {
    switch (e) {
      case crm::Entity::kActivity: {
        QUIRE_ASSIGN_OR_RETURN(crm::Activity a, services_.activities().Get(id));
        return a.customer;
      }
      case crm::Entity::kOffer: {
        QUIRE_ASSIGN_OR_RETURN(crm::Offer o, services_.offers().Get(id));
        return o.customer;
      }
      case crm::Entity::kOrder: {
        QUIRE_ASSIGN_OR_RETURN(crm::Order o, services_.offers().GetOrder(id));
        return o.customer;
      }
      case crm::Entity::kCase: {
        QUIRE_ASSIGN_OR_RETURN(crm::ServiceCase c, services_.cases().Get(id));
        return c.customer;
      }
      case crm::Entity::kCustomer:
        break;
    }
    return id;
  }

  Services& services_;
};

}  // namespace quire::services
