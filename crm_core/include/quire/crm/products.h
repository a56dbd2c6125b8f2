// Products and services, their list prices, and price lists per customer or customer
// category with validity dates; what an offer's line is suggested to cost.
//
// Stored in the `crm` column family ('S' is the sales records' prefix):
//   'S' 'p' id        → the product, JSON
//   'S' 'P' code      → id   (codes are unique; a point key)
//   'S' 'l' id        → the price list, JSON
//   "n:product", "n:price-list" → the next ids
// Money in them is exact (money.h): unit prices at kPlaces, as decimal text in JSON.
//
// Thread-safety: any thread; writes are serialised.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/crm/customers.h"
#include "quire/crm/money.h"
#include "quire/crm/schema.h"
#include "quire/storage/store.h"

namespace quire::crm {

using ProductId = std::uint64_t;
using PriceListId = std::uint64_t;

struct Price {
  std::string currency;     // ISO 4217
  std::int64_t unit_price;  // at kPlaces
  friend bool operator==(const Price&, const Price&) = default;
};

struct Product {
  ProductId id = 0;
  std::string code;  // unique: "DRZ-90", "SERW-H"
  std::string name;
  std::string description;
  std::string kind = "product";      // product, service
  std::string unit = "szt.";         // what a quantity counts: szt., kg, h, m2, kpl., ...
  std::string tax_rate = "23";       // a value of the tax-rates dictionary
  std::vector<Price> prices;         // list prices, one per currency
  std::int64_t warranty_months = 0;  // a service case's warranty end is computed from it
  bool active = true;                // inactive: kept, no longer offered
  std::string created_by;
  Timestamp created_at{};
  Timestamp modified_at{};

  boost::json::object ToJson() const;
  // The list price in `currency`, if it has one.
  std::optional<std::int64_t> PriceIn(std::string_view currency) const;
};

struct PriceListEntry {
  ProductId product = 0;
  std::optional<std::int64_t> unit_price;  // at kPlaces; none: the list price
  std::int64_t discount = 0;               // percent at kPlaces
};

struct PriceList {
  PriceListId id = 0;
  std::string name;
  std::string currency = "PLN";
  // Whom it is for: one customer, or the customers of one category (customer-categories),
  // or (neither) every customer.
  CustomerId customer = 0;
  std::string customer_category;
  std::optional<std::chrono::year_month_day> valid_from, valid_to;  // inclusive
  std::vector<PriceListEntry> entries;
  bool active = true;
  std::string created_by;
  Timestamp created_at{};
  Timestamp modified_at{};

  boost::json::object ToJson() const;
  bool ValidOn(std::chrono::year_month_day day) const;
};

// What an offer's line for a product is suggested to cost a customer.
struct PriceSuggestion {
  Product product;
  std::int64_t unit_price = 0;  // at kPlaces
  std::int64_t discount = 0;    // percent at kPlaces
  // Where the price comes from: the price list, or none (the product's list price).
  std::optional<PriceList> price_list;
  boost::json::object ToJson(std::string_view currency) const;
};

class ProductStore {
 public:
  ProductStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock,
               const CustomerStore& customers);

  // From the API's JSON (code, name, description, kind, unit, taxRate, prices
  // [{currency, unitPrice}], warrantyMonths, active). Errors: kValidationFailed, one detail
  // per field; kConflict for a code another product has.
  Result<Product> Create(const boost::json::object& fields, const audit::Actor& actor);
  // JSON Merge Patch (prices: the whole list).
  Result<Product> Update(ProductId id, const boost::json::object& patch, const audit::Actor& actor);
  Result<Product> Get(ProductId id) const;  // Errors: kNotFound
  Result<std::optional<Product>> FindByCode(std::string_view code) const;
  // Those whose code or name contains `search` (case and diacritics ignored; empty: all),
  // active ones only unless `inactive`, in order of code, at most `limit` after code `after`.
  struct Page {
    std::vector<Product> products;
    std::string next;  // the last code; empty at the end
  };
  Result<Page> List(std::string_view search, bool inactive, std::size_t limit,
                    std::string_view after) const;

  // Price lists: name, currency, customer or customerCategory, validFrom, validTo (dates),
  // entries [{product, unitPrice, discountPercent}], active.
  Result<PriceList> CreatePriceList(const boost::json::object& fields, const audit::Actor& actor);
  Result<PriceList> UpdatePriceList(PriceListId id, const boost::json::object& patch,
                                    const audit::Actor& actor);
  Result<PriceList> GetPriceList(PriceListId id) const;  // Errors: kNotFound
  Result<std::vector<PriceList>> PriceLists() const;

  // The price of `product` for `customer` (0: none) in `currency` on `day`: the entry of an
  // active price list valid that day for the customer itself, else for the customer's
  // category, else for everyone (the most recently begun of each kind), else the
  // product's list price. Errors: kNotFound (product); kInvalidArgument when it has no
  // price in that currency anywhere.
  Result<PriceSuggestion> Suggest(ProductId product, CustomerId customer, std::string_view currency,
                                  std::chrono::year_month_day day) const;
  // The same for a product and a customer already read (`category`: the customer's
  // customer-categories value). Errors: kInvalidArgument (no price in that currency).
  Result<PriceSuggestion> Suggest(Product product, CustomerId customer, const std::string& category,
                                  std::string_view currency, std::chrono::year_month_day day) const;

 private:
  Result<Product> Check(Product p, const boost::json::object& fields) const;
  Result<PriceList> CheckPriceList(PriceList l, const boost::json::object& fields) const;
  // Every price list, read once and kept until one is written: an offer's every line asks.
  Result<std::shared_ptr<const std::vector<PriceList>>> CachedPriceLists() const;
  void ForgetPriceLists();

  storage::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  const CustomerStore& customers_;
  std::mutex write_mu_;
  mutable std::mutex lists_mu_;
  mutable std::shared_ptr<const std::vector<PriceList>> lists_;  // null: to be read
  std::uint64_t lists_written_ = 0;  // under lists_mu_: a read begun before a write is not kept
};

// "2026-12-07" → the date; errors in words.
Result<std::chrono::year_month_day> ParseDay(std::string_view text);
std::string FormatDay(std::chrono::year_month_day day);

}  // namespace quire::crm
