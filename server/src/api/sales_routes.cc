// The CRM's sales routes: products, price lists, offers, orders and payments (crm_routes.h
// lists them).
#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "quire/crm/offer_pdf.h"
#include "quire/crm/offers.h"
#include "quire/crm/products.h"
#include "quire/dms/documents.h"
#include "quire/server/crm_routes.h"
#include "quire/services/offer_documents.h"
#include "route_support.h"

namespace quire::server {
namespace {

using namespace api;  // NOLINT: the shared route helpers

using Groups = std::map<std::string, std::vector<std::string>>;

// What a caller may do with an offer or an order: those they own, and those of the
// customers their grant reaches (as activities); scope all reaches every one.
class SalesAccess {
 public:
  SalesAccess(crm::CustomerStore& customers, org::Directory& directory, const org::Principal& who)
      : customers_(customers), directory_(directory), who_(who) {}

  Result<bool> Reaches(const std::string& owner, crm::CustomerId customer, Permission p) {
    if (!who_.Has(p)) return false;
    QUIRE_ASSIGN_OR_RETURN(bool owns, ReachesOwner(directory_, who_, p, owner, groups_));
    if (owns) return true;
    return ReachesCustomer(customer, p);
  }
  Result<bool> ReachesCustomer(crm::CustomerId customer, Permission p) {
    if (!who_.Has(p)) return false;
    if (who_.permissions.ScopeOf(p) == org::Scope::kAll) return true;
    auto it = owners_.find(customer);
    if (it == owners_.end()) {
      QUIRE_ASSIGN_OR_RETURN(crm::Customer c, customers_.Get(customer));
      it = owners_.emplace(customer, c.owner).first;
    }
    return ReachesOwner(directory_, who_, p, it->second, groups_);
  }
  // For a list's filter, which answers true or false: an error is kept in `failed` (and the
  // list answers it) and the record left out.
  bool Keeps(const std::string& owner, crm::CustomerId customer, std::optional<Error>& failed) {
    auto reaches = Reaches(owner, customer, Permission::kCrmRead);
    if (!reaches) {
      failed = reaches.error();
      return false;
    }
    return *reaches;
  }
  Error OutOfScope(Permission p, const std::string& what) const {
    return Error::Forbidden(std::string(org::Name(p)) + " is granted to you with scope " +
                            std::string(org::Name(who_.permissions.ScopeOf(p))) + ", and " + what +
                            " is not within it (it reaches what you own and what belongs to the "
                            "customers in your reach)");
  }

 private:
  crm::CustomerStore& customers_;
  org::Directory& directory_;
  const org::Principal& who_;
  Groups groups_;
  std::map<crm::CustomerId, std::string> owners_;
};

Result<std::chrono::year_month_day> QueryDay(const Request& request, const char* name,
                                             std::chrono::year_month_day fallback) {
  const auto v = request.query_param(name);
  if (!v) return fallback;
  auto d = crm::ParseDay(*v);
  if (!d) return Error::InvalidArgument(std::string("?") + name + "=: " + d.error().message());
  return *d;
}

// A customer an offer's body names (a new offer, a change, a revision) must be within the
// caller's reach for writing; a missing one the store names.
Result<void> MayUseCustomer(crm::CustomerStore& customers, org::Directory& directory,
                            const org::Principal& who, const json::object& body) {
  const json::value* v = body.if_contains("customer");
  if (v == nullptr) return Ok();
  const auto id = JsonId(*v);
  if (!id || !customers.Get(*id)) return Ok();
  SalesAccess access(customers, directory, who);
  QUIRE_ASSIGN_OR_RETURN(bool reaches, access.ReachesCustomer(*id, Permission::kCrmWrite));
  if (!reaches) return access.OutOfScope(Permission::kCrmWrite, "customer " + std::to_string(*id));
  return Ok();
}

// An owner an offer names must be a user.
Result<void> CheckOwner(org::Directory& directory, const json::object& body) {
  const json::value* v = body.if_contains("owner");
  if (v == nullptr || !v->is_string() || v->get_string().empty()) return Ok();
  const std::string user(v->get_string());
  if (directory.GetUser(user)) return Ok();
  return Error::ValidationFailed("the offer has 1 error; nothing was changed",
                                 {{"owner", "'" + user + "' is not a user"}});
}

}  // namespace

void AddSalesRoutes(Router& router, services::Services& services) {
  crm::ProductStore& products = services.products();
  crm::OfferStore& offers = services.offers();
  crm::CustomerStore& customers = services.customers();
  org::Directory& directory = services.directory();
  const Clock& clock = services.clock();

  // ---- products and price lists ----
  router.Add("GET", "/api/crm/products", Permission::kCrmRead,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::size_t limit, Limit(request, 50));
               QUIRE_ASSIGN_OR_RETURN(crm::ProductStore::Page page,
                                      products.List(request.query_param("search").value_or(""),
                                                    QueryFlag(request, "inactive"), limit,
                                                    request.query_param("after").value_or("")));
               json::array items;
               for (const crm::Product& p : page.products) items.push_back(p.ToJson());
               return JsonResponse(200, Page(std::move(items), page.next));
             });
  router.Add("POST", "/api/crm/products", Permission::kCrmManage,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(crm::Product p, products.Create(body, Actor(request)));
               Response out = JsonResponse(201, p.ToJson());
               out.headers.push_back({"Location", "/api/crm/products/" + std::to_string(p.id)});
               return out;
             });
  router.Add("GET", "/api/crm/products/{id}", Permission::kCrmRead,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::ProductId id, PathId(request, "product id"));
               QUIRE_ASSIGN_OR_RETURN(crm::Product p, products.Get(id));
               return JsonResponse(200, p.ToJson());
             });
  router.Add("PATCH", "/api/crm/products/{id}", Permission::kCrmManage,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::ProductId id, PathId(request, "product id"));
               QUIRE_ASSIGN_OR_RETURN(json::object patch, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(crm::Product p, products.Update(id, patch, Actor(request)));
               return JsonResponse(200, p.ToJson());
             });
  // A price list for one customer holds what was negotiated with them: it is seen by those
  // who reach the customer.
  router.Add("GET", "/api/crm/price-lists", Permission::kCrmRead,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::vector<crm::PriceList> lists, products.PriceLists());
               SalesAccess access(customers, directory, *request.principal);
               json::array items;
               for (const crm::PriceList& l : lists) {
                 if (l.customer != 0) {
                   QUIRE_ASSIGN_OR_RETURN(bool reaches,
                                          access.ReachesCustomer(l.customer, Permission::kCrmRead));
                   if (!reaches) continue;
                 }
                 items.push_back(l.ToJson());
               }
               return JsonResponse(200, Page(std::move(items)));
             });
  router.Add("POST", "/api/crm/price-lists", Permission::kCrmManage,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(crm::PriceList l,
                                      products.CreatePriceList(body, Actor(request)));
               Response out = JsonResponse(201, l.ToJson());
               out.headers.push_back({"Location", "/api/crm/price-lists/" + std::to_string(l.id)});
               return out;
             });
  router.Add("GET", "/api/crm/price-lists/{id}", Permission::kCrmRead,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::PriceListId id, PathId(request, "price list id"));
               QUIRE_ASSIGN_OR_RETURN(crm::PriceList l, products.GetPriceList(id));
               if (l.customer != 0) {
                 SalesAccess access(customers, directory, *request.principal);
                 QUIRE_ASSIGN_OR_RETURN(bool reaches,
                                        access.ReachesCustomer(l.customer, Permission::kCrmRead));
                 if (!reaches) {
                   return access.OutOfScope(Permission::kCrmRead, "the price list of customer " +
                                                                      std::to_string(l.customer));
                 }
               }
               return JsonResponse(200, l.ToJson());
             });
  router.Add("PATCH", "/api/crm/price-lists/{id}", Permission::kCrmManage,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::PriceListId id, PathId(request, "price list id"));
               QUIRE_ASSIGN_OR_RETURN(json::object patch, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(crm::PriceList l,
                                      products.UpdatePriceList(id, patch, Actor(request)));
               return JsonResponse(200, l.ToJson());
             });
  // What an offer's line for a product costs a customer: the offer form's suggestion.
  router.Add(
      "GET", "/api/crm/price-suggestions", Permission::kCrmRead,
      [&](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::uint64_t> product, QueryId(request, "product"));
        if (!product) {
          return Error::InvalidArgument(
              "?product=ID is required (with ?customer=ID, ?currency=PLN, ?date=2026-12-31)");
        }
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::uint64_t> customer, QueryId(request, "customer"));
        std::string currency = "PLN";
        if (customer) {
          QUIRE_ASSIGN_OR_RETURN(crm::Customer c, customers.Get(*customer));
          SalesAccess access(customers, directory, *request.principal);
          QUIRE_ASSIGN_OR_RETURN(bool reaches,
                                 access.ReachesCustomer(*customer, Permission::kCrmRead));
          if (!reaches) {
            return access.OutOfScope(Permission::kCrmRead, "customer " + std::to_string(*customer));
          }
          if (const json::value* v = c.profile.if_contains("currency");
              v != nullptr && v->is_string() && !v->get_string().empty()) {
            currency = std::string(v->get_string());
          }
        }
        if (const auto c = request.query_param("currency")) {
          QUIRE_ASSIGN_OR_RETURN(crm::Currency found, crm::FindCurrency(*c));
          currency = found.code;
        }
        QUIRE_ASSIGN_OR_RETURN(const auto day,
                               QueryDay(request, "date", offers.Today(clock.Now())));
        QUIRE_ASSIGN_OR_RETURN(crm::PriceSuggestion s,
                               products.Suggest(*product, customer.value_or(0), currency, day));
        return JsonResponse(200, s.ToJson(currency));
      });

  // ---- offers ----
  auto offer_in_reach = [&](const Request& request, crm::OfferId id,
                            Permission p) -> Result<crm::Offer> {
    QUIRE_ASSIGN_OR_RETURN(crm::Offer o, offers.Get(id));
    SalesAccess access(customers, directory, *request.principal);
    QUIRE_ASSIGN_OR_RETURN(bool reaches, access.Reaches(o.owner, o.customer, p));
    if (!reaches) return access.OutOfScope(p, "offer " + std::to_string(id));
    return o;
  };
  router.Add(
      "POST", "/api/crm/offers", Permission::kCrmWrite,
      [&](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
        QUIRE_RETURN_IF_ERROR(MayUseCustomer(customers, directory, *request.principal, body));
        QUIRE_RETURN_IF_ERROR(CheckOwner(directory, body));
        QUIRE_ASSIGN_OR_RETURN(crm::Offer o, offers.Create(body, Actor(request)));
        Response out = JsonResponse(201, o.ToJson());
        out.headers.push_back({"Location", "/api/crm/offers/" + std::to_string(o.id)});
        return out;
      });
  // The offer form's live totals: what POST /api/crm/offers (or, with "offer": ID, a PATCH
  // of that draft) would store, computed by the server in exact decimals, nothing stored.
  router.Add(
      "POST", "/api/crm/offers/preview", Permission::kCrmWrite,
      [&](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
        std::uint64_t editing = 0;
        if (const json::value* id = body.if_contains("offer")) {
          const std::optional<std::uint64_t> parsed = JsonId(*id);
          if (!parsed || *parsed == 0) {
            return Error::InvalidArgument(
                "'offer' names the draft being edited by its id, such as \"12\"");
          }
          editing = *parsed;
          body.erase("offer");
          QUIRE_ASSIGN_OR_RETURN(crm::Offer before, offers.Get(editing));
          SalesAccess access(customers, directory, *request.principal);
          std::optional<Error> failed;
          if (!access.Keeps(before.owner, before.customer, failed)) {
            if (failed) return *failed;
            return Error::NotFound("offer " + std::to_string(editing) + " does not exist");
          }
        }
        if (body.contains("customer")) {
          QUIRE_RETURN_IF_ERROR(MayUseCustomer(customers, directory, *request.principal, body));
        }
        QUIRE_ASSIGN_OR_RETURN(crm::Offer o, offers.Preview(body, Actor(request), editing));
        return JsonResponse(200, o.ToJson());
      });
  router.Add(
      "GET", "/api/crm/offers", Permission::kCrmRead,
      [&](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(std::size_t limit, Limit(request, 50));
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::uint64_t> customer, QueryId(request, "customer"));
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::uint64_t> after, QueryId(request, "after"));
        const std::string status = request.query_param("status").value_or("");
        const std::string owner = request.query_param("owner").value_or("");
        SalesAccess access(customers, directory, *request.principal);
        std::optional<Error> failed;
        QUIRE_ASSIGN_OR_RETURN(
            std::vector<crm::Offer> found,
            offers.List(customer.value_or(0), limit, after.value_or(0), [&](const crm::Offer& o) {
              if (!status.empty() && o.status != status) return false;
              if (!owner.empty() && o.owner != owner) return false;
              return access.Keeps(o.owner, o.customer, failed);
            }));
        if (failed) return *failed;
        json::array items;
        for (const crm::Offer& o : found) items.push_back(o.ToJson());
        return JsonResponse(
            200, Page(std::move(items),
                      found.size() == limit ? std::to_string(found.back().id) : std::string()));
      });
  router.Add("GET", "/api/crm/offers/{id}", Permission::kCrmRead,
             [&, offer_in_reach](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::OfferId id, PathId(request, "offer id"));
               QUIRE_ASSIGN_OR_RETURN(crm::Offer o,
                                      offer_in_reach(request, id, Permission::kCrmRead));
               return JsonResponse(200, o.ToJson());
             });
  router.Add(
      "PATCH", "/api/crm/offers/{id}", Permission::kCrmWrite,
      [&, offer_in_reach](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(crm::OfferId id, PathId(request, "offer id"));
        QUIRE_RETURN_IF_ERROR(offer_in_reach(request, id, Permission::kCrmWrite));
        QUIRE_ASSIGN_OR_RETURN(json::object patch, ParseJsonObject(request));
        QUIRE_RETURN_IF_ERROR(MayUseCustomer(customers, directory, *request.principal, patch));
        QUIRE_RETURN_IF_ERROR(CheckOwner(directory, patch));
        QUIRE_ASSIGN_OR_RETURN(crm::Offer o, offers.Update(id, patch, Actor(request)));
        return JsonResponse(200, o.ToJson());
      });
  router.Add("POST", "/api/crm/offers/{id}/send", Permission::kCrmWrite,
             [&, offer_in_reach](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::OfferId id, PathId(request, "offer id"));
               QUIRE_RETURN_IF_ERROR(offer_in_reach(request, id, Permission::kCrmWrite));
               QUIRE_ASSIGN_OR_RETURN(crm::Offer o, offers.Send(id, Actor(request)));
               return JsonResponse(200, o.ToJson());
             });
  router.Add("POST", "/api/crm/offers/{id}/accept", Permission::kOffersAccept,
             [&, offer_in_reach](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::OfferId id, PathId(request, "offer id"));
               QUIRE_RETURN_IF_ERROR(offer_in_reach(request, id, Permission::kOffersAccept));
               QUIRE_ASSIGN_OR_RETURN(crm::AcceptanceLimits limits, offers.Limits());
               QUIRE_ASSIGN_OR_RETURN(
                   crm::Offer accepted,
                   offers.Accept(id, &limits, request.principal->roles, Actor(request)));
               return JsonResponse(200, accepted.ToJson());
             });
  router.Add("POST", "/api/crm/offers/{id}/reject", Permission::kCrmWrite,
             [&, offer_in_reach](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::OfferId id, PathId(request, "offer id"));
               QUIRE_RETURN_IF_ERROR(offer_in_reach(request, id, Permission::kCrmWrite));
               std::string reason;
               if (!request.body.empty()) {
                 QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
                 QUIRE_ASSIGN_OR_RETURN(reason, StringMember(body, "reason", false));
               }
               QUIRE_ASSIGN_OR_RETURN(crm::Offer o, offers.Reject(id, reason, Actor(request)));
               return JsonResponse(200, o.ToJson());
             });
  router.Add(
      "POST", "/api/crm/offers/{id}/revisions", Permission::kCrmWrite,
      [&, offer_in_reach](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(crm::OfferId id, PathId(request, "offer id"));
        QUIRE_RETURN_IF_ERROR(offer_in_reach(request, id, Permission::kCrmWrite));
        json::object patch;
        if (!request.body.empty()) {
          QUIRE_ASSIGN_OR_RETURN(patch, ParseJsonObject(request));
        }
        QUIRE_RETURN_IF_ERROR(MayUseCustomer(customers, directory, *request.principal, patch));
        QUIRE_RETURN_IF_ERROR(CheckOwner(directory, patch));
        QUIRE_ASSIGN_OR_RETURN(crm::Offer o, offers.Revise(id, patch, Actor(request)));
        Response out = JsonResponse(201, o.ToJson());
        out.headers.push_back({"Location", "/api/crm/offers/" + std::to_string(o.id)});
        return out;
      });
  router.Add("POST", "/api/crm/offers/{id}/order", Permission::kCrmWrite,
             [&, offer_in_reach](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::OfferId id, PathId(request, "offer id"));
               QUIRE_RETURN_IF_ERROR(offer_in_reach(request, id, Permission::kCrmWrite));
               json::object fields;
               if (!request.body.empty()) {
                 QUIRE_ASSIGN_OR_RETURN(fields, ParseJsonObject(request));
               }
               QUIRE_ASSIGN_OR_RETURN(crm::Order o, offers.MakeOrder(id, fields, Actor(request)));
               Response out = JsonResponse(201, o.ToJson(offers.Today(clock.Now())));
               out.headers.push_back({"Location", "/api/crm/orders/" + std::to_string(o.id)});
               return out;
             });

  // The offer rendered to PDF and kept in the DMS, linked to the offer and the customer;
  // rendered again, a new version of the same document.
  router.Add(
      "POST", "/api/crm/offers/{id}/pdf", Permission::kCrmWrite,
      [&, offer_in_reach](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(crm::OfferId id, PathId(request, "offer id"));
        QUIRE_ASSIGN_OR_RETURN(crm::Offer o, offer_in_reach(request, id, Permission::kCrmWrite));
        if (!request.principal->Has(Permission::kDocumentsWrite)) {
          return Error::Forbidden(
              "permission documents.write is needed: the PDF is kept as a "
              "document");
        }
        QUIRE_ASSIGN_OR_RETURN(dms::DocumentInfo doc,
                               services::RenderOfferDocument(services, o.id, Actor(request)));
        Response r = JsonResponse(201, doc.ToJson(clock.Now()));
        r.headers.push_back({"Location", "/api/documents/" + std::to_string(doc.id)});
        return r;
      });

  // ---- orders and payments ----
  auto order_in_reach = [&](const Request& request, crm::OrderId id,
                            Permission p) -> Result<crm::Order> {
    QUIRE_ASSIGN_OR_RETURN(crm::Order o, offers.GetOrder(id));
    SalesAccess access(customers, directory, *request.principal);
    QUIRE_ASSIGN_OR_RETURN(bool reaches, access.Reaches(o.owner, o.customer, p));
    if (!reaches) return access.OutOfScope(p, "order " + std::to_string(id));
    return o;
  };
  router.Add(
      "GET", "/api/crm/orders", Permission::kCrmRead,
      [&](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(std::size_t limit, Limit(request, 50));
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::uint64_t> customer, QueryId(request, "customer"));
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::uint64_t> after, QueryId(request, "after"));
        const std::string status = request.query_param("status").value_or("");
        const bool unpaid = QueryFlag(request, "unpaid");
        const bool overdue = QueryFlag(request, "overdue");
        const auto today = offers.Today(clock.Now());
        SalesAccess access(customers, directory, *request.principal);
        std::optional<Error> failed;
        auto keep = [&](const crm::Order& o) {
          if (!status.empty() && o.status != status) return false;
          if (unpaid && o.outstanding() <= 0) return false;
          if (overdue && !o.overdue(today)) return false;
          if (customer && o.customer != *customer) return false;
          return access.Keeps(o.owner, o.customer, failed);
        };
        std::vector<crm::Order> found;
        if (unpaid || overdue) {
          // Through the index of orders not paid in full.
          QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Order> all, offers.Unpaid());
          for (crm::Order& o : all) {
            if (after && o.id <= *after) continue;
            if (found.size() == limit) break;
            if (keep(o)) found.push_back(std::move(o));
          }
        } else {
          QUIRE_ASSIGN_OR_RETURN(
              found, offers.Orders(customer.value_or(0), limit, after.value_or(0), keep));
        }
        if (failed) return *failed;
        json::array items;
        for (const crm::Order& o : found) items.push_back(o.ToJson(today));
        return JsonResponse(
            200, Page(std::move(items),
                      found.size() == limit ? std::to_string(found.back().id) : std::string()));
      });
  router.Add("GET", "/api/crm/orders/{id}", Permission::kCrmRead,
             [&, order_in_reach](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::OrderId id, PathId(request, "order id"));
               QUIRE_ASSIGN_OR_RETURN(crm::Order o,
                                      order_in_reach(request, id, Permission::kCrmRead));
               return JsonResponse(200, o.ToJson(offers.Today(clock.Now())));
             });
  router.Add("PATCH", "/api/crm/orders/{id}", Permission::kCrmWrite,
             [&, order_in_reach](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::OrderId id, PathId(request, "order id"));
               QUIRE_RETURN_IF_ERROR(order_in_reach(request, id, Permission::kCrmWrite));
               QUIRE_ASSIGN_OR_RETURN(json::object patch, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(crm::Order o, offers.UpdateOrder(id, patch, Actor(request)));
               return JsonResponse(200, o.ToJson(offers.Today(clock.Now())));
             });
  router.Add("POST", "/api/crm/orders/{id}/payments", Permission::kCrmWrite,
             [&, order_in_reach](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::OrderId id, PathId(request, "order id"));
               QUIRE_RETURN_IF_ERROR(order_in_reach(request, id, Permission::kCrmWrite));
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(crm::Order o, offers.AddPayment(id, body, Actor(request)));
               return JsonResponse(201, o.ToJson(offers.Today(clock.Now())));
             });

  // ---- service cases ----
  // Reached through their assignee or their customer, as offers through their owner.
  auto case_in_reach = [&](const Request& request, crm::CaseId id,
                           Permission p) -> Result<crm::ServiceCase> {
    QUIRE_ASSIGN_OR_RETURN(crm::ServiceCase c, services.cases().Get(id));
    SalesAccess access(customers, directory, *request.principal);
    QUIRE_ASSIGN_OR_RETURN(bool reaches, access.Reaches(c.assignee, c.customer, p));
    if (!reaches) return access.OutOfScope(p, "service case " + std::to_string(id));
    return c;
  };
  // An assignee a case names must be a user.
  auto check_assignee = [&](const json::object& body) -> Result<void> {
    const json::value* v = body.if_contains("assignee");
    if (v == nullptr || !v->is_string() || v->get_string().empty()) return Ok();
    if (directory.GetUser(std::string(v->get_string()))) return Ok();
    return Error::ValidationFailed(
        "the service case has 1 error; nothing was changed",
        {{"assignee", "'" + std::string(v->get_string()) + "' is not a user"}});
  };
  router.Add(
      "POST", "/api/crm/cases", Permission::kCrmWrite,
      [&, check_assignee](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
        QUIRE_RETURN_IF_ERROR(MayUseCustomer(customers, directory, *request.principal, body));
        QUIRE_RETURN_IF_ERROR(check_assignee(body));
        QUIRE_ASSIGN_OR_RETURN(crm::ServiceCase c, services.cases().Create(body, Actor(request)));
        Response out = JsonResponse(201, c.ToJson(clock.Now()));
        out.headers.push_back({"Location", "/api/crm/cases/" + std::to_string(c.id)});
        return out;
      });
  router.Add(
      "GET", "/api/crm/cases", Permission::kCrmRead,
      [&](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(std::size_t limit, Limit(request, 50));
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::uint64_t> customer, QueryId(request, "customer"));
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::uint64_t> after, QueryId(request, "after"));
        const std::string status = request.query_param("status").value_or("");
        const std::string assignee = request.query_param("assignee").value_or("");
        const bool open = QueryFlag(request, "open");
        const bool breached = QueryFlag(request, "breached");
        const Timestamp now = clock.Now();
        SalesAccess access(customers, directory, *request.principal);
        std::optional<Error> failed;
        QUIRE_ASSIGN_OR_RETURN(
            std::vector<crm::ServiceCase> found,
            services.cases().List(customer.value_or(0), open || breached, limit, after.value_or(0),
                                  [&](const crm::ServiceCase& c) {
                                    if (!status.empty() && c.status != status) return false;
                                    if (!assignee.empty() && c.assignee != assignee) return false;
                                    if (open && !c.open()) return false;
                                    if (breached && !(c.open() && (c.response_breached(now) ||
                                                                   c.resolution_breached(now)))) {
                                      return false;
                                    }
                                    return access.Keeps(c.assignee, c.customer, failed);
                                  }));
        if (failed) return *failed;
        json::array items;
        for (const crm::ServiceCase& c : found) items.push_back(c.ToJson(now));
        return JsonResponse(
            200, Page(std::move(items),
                      found.size() == limit ? std::to_string(found.back().id) : std::string()));
      });
  router.Add("GET", "/api/crm/cases/{id}", Permission::kCrmRead,
             [&, case_in_reach](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::CaseId id, PathId(request, "case id"));
               QUIRE_ASSIGN_OR_RETURN(crm::ServiceCase c,
                                      case_in_reach(request, id, Permission::kCrmRead));
               return JsonResponse(200, c.ToJson(clock.Now()));
             });
  router.Add(
      "PATCH", "/api/crm/cases/{id}", Permission::kCrmWrite,
      [&, case_in_reach, check_assignee](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(crm::CaseId id, PathId(request, "case id"));
        QUIRE_RETURN_IF_ERROR(case_in_reach(request, id, Permission::kCrmWrite));
        QUIRE_ASSIGN_OR_RETURN(json::object patch, ParseJsonObject(request));
        QUIRE_RETURN_IF_ERROR(MayUseCustomer(customers, directory, *request.principal, patch));
        QUIRE_RETURN_IF_ERROR(check_assignee(patch));
        QUIRE_ASSIGN_OR_RETURN(crm::ServiceCase c,
                               services.cases().Update(id, patch, Actor(request)));
        return JsonResponse(200, c.ToJson(clock.Now()));
      });

  // ---- settings ----
  router.Add("GET", "/api/crm/settings/sla", Permission::kCrmRead,
             [&](const Request&) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::SlaTable sla, services.cases().Sla());
               return JsonResponse(200, sla.ToJson());
             });
  router.Add("PUT", "/api/crm/settings/sla", Permission::kCrmManage,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(crm::SlaTable sla,
                                      services.cases().PutSla(body, Actor(request)));
               return JsonResponse(200, sla.ToJson());
             });
  router.Add("GET", "/api/crm/settings/letterhead", Permission::kCrmRead,
             [&](const Request&) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::Letterhead l, crm::ReadLetterhead(services.store()));
               return JsonResponse(200, l.ToJson());
             });
  router.Add("PUT", "/api/crm/settings/letterhead", Permission::kCrmManage,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(
                   crm::Letterhead l,
                   crm::WriteLetterhead(services.audit(), body, Actor(request), clock.Now()));
               return JsonResponse(200, l.ToJson());
             });
  router.Add("GET", "/api/crm/settings/acceptance-limits", Permission::kCrmRead,
             [&](const Request&) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::AcceptanceLimits limits, offers.Limits());
               return JsonResponse(200, limits.ToJson());
             });
  router.Add("PUT", "/api/crm/settings/acceptance-limits", Permission::kCrmManage,
             [&](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(crm::AcceptanceLimits limits,
                                      offers.PutLimits(body, Actor(request)));
               return JsonResponse(200, limits.ToJson());
             });
}

}  // namespace quire::server
