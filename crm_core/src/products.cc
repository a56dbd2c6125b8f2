#include "quire/crm/products.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cstdio>

#include "quire/base/instant.h"
#include "quire/base/json_fields.h"
#include "quire/base/json_merge_patch.h"
#include "quire/crm/names.h"
#include "quire/storage/key_codec.h"
#include "record_fields.h"

namespace quire::crm {
namespace json = boost::json;

namespace {

using namespace internal;  // NOLINT: the module's field readers

constexpr storage::ColumnFamily kCrm = storage::ColumnFamily::kCrm;
const std::string kNextProductKey = "n:product";
const std::string kNextPriceListKey = "n:price-list";

std::string ProductKey(ProductId id) {
  return storage::KeyEncoder().U8('S').U8('p').U64(id).Take();
}
std::string CodeKey(std::string_view code) {
  return storage::KeyEncoder().U8('S').U8('P').String(code).Take();
}
std::string PriceListKey(PriceListId id) {
  return storage::KeyEncoder().U8('S').U8('l').U64(id).Take();
}

json::array PricesJson(const std::vector<Price>& prices) {
  json::array out;
  for (const Price& p : prices) {
    out.push_back(json::object{{"currency", p.currency},
                               {"unitPrice", FormatTrimmed(p.unit_price, kPlaces, 2)}});
  }
  return out;
}

json::object Editable(const Product& p) {
  return {{"code", p.code},
          {"name", p.name},
          {"description", p.description},
          {"kind", p.kind},
          {"unit", p.unit},
          {"taxRate", p.tax_rate},
          {"prices", PricesJson(p.prices)},
          {"warrantyMonths", p.warranty_months},
          {"active", p.active}};
}

json::object ToStored(const Product& p) {
  json::object o = Editable(p);
  o["id"] = p.id;
  PutStoredStamps(o, p.created_by, p.created_at, p.modified_at);
  return o;
}

// Reads text the store wrote (a damaged one as zero: the record's checks caught it).
std::int64_t StoredFixed(const json::object& o, const char* field) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr || !v->is_string()) return 0;
  return ParseFixed(v->get_string(), kPlaces).value_or(0);
}

Result<Product> ProductFromStored(std::string_view text) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(text, "product"));
  Product p;
  p.id = static_cast<ProductId>(IntOf(o, "id"));
  p.code = StrOf(o, "code");
  p.name = StrOf(o, "name");
  p.description = StrOf(o, "description");
  p.kind = StrOf(o, "kind");
  p.unit = StrOf(o, "unit");
  p.tax_rate = StrOf(o, "taxRate");
  for (const json::value& v : ArrOf(o, "prices")) {
    if (!v.is_object()) continue;
    p.prices.push_back(
        {StrOf(v.get_object(), "currency"), StoredFixed(v.get_object(), "unitPrice")});
  }
  p.warranty_months = IntOf(o, "warrantyMonths");
  p.active = !o.contains("active") || (o.at("active").is_bool() && o.at("active").get_bool());
  ReadStoredStamps(o, p.created_by, p.created_at, p.modified_at);
  return p;
}

json::object Editable(const PriceList& l) {
  json::array entries;
  for (const PriceListEntry& e : l.entries) {
    json::object o{{"product", std::to_string(e.product)},
                   {"discountPercent", FormatTrimmed(e.discount, kPlaces)}};
    o["unitPrice"] =
        e.unit_price ? json::value(FormatTrimmed(*e.unit_price, kPlaces, 2)) : json::value(nullptr);
    entries.push_back(std::move(o));
  }
  json::object o{{"name", l.name},
                 {"currency", l.currency},
                 {"customerCategory", l.customer_category},
                 {"entries", std::move(entries)},
                 {"active", l.active}};
  o["customer"] = l.customer == 0 ? json::value(nullptr) : json::value(std::to_string(l.customer));
  o["validFrom"] = l.valid_from ? json::value(FormatDay(*l.valid_from)) : json::value(nullptr);
  o["validTo"] = l.valid_to ? json::value(FormatDay(*l.valid_to)) : json::value(nullptr);
  return o;
}

json::object ToStored(const PriceList& l) {
  json::object o = Editable(l);
  o["id"] = l.id;
  PutStoredStamps(o, l.created_by, l.created_at, l.modified_at);
  return o;
}

Result<PriceList> PriceListFromStored(std::string_view text) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(text, "price list"));
  PriceList l;
  l.id = static_cast<PriceListId>(IntOf(o, "id"));
  l.name = StrOf(o, "name");
  l.currency = StrOf(o, "currency");
  l.customer_category = StrOf(o, "customerCategory");
  if (const json::value* c = o.if_contains("customer"); c != nullptr && c->is_string()) {
    l.customer = std::stoull(std::string(c->get_string()));
  }
  for (const char* field : {"validFrom", "validTo"}) {
    const json::value* v = o.if_contains(field);
    if (v == nullptr || !v->is_string()) continue;
    auto day = ParseDay(v->get_string());
    if (!day) return Error::Corruption("price list " + std::to_string(l.id) + ": " + field);
    (std::string_view(field) == "validFrom" ? l.valid_from : l.valid_to) = *day;
  }
  for (const json::value& v : ArrOf(o, "entries")) {
    if (!v.is_object()) continue;
    const json::object& e = v.get_object();
    PriceListEntry entry;
    entry.product = std::stoull(StrOf(e, "product"));
    if (const json::value* u = e.if_contains("unitPrice"); u != nullptr && u->is_string()) {
      entry.unit_price = StoredFixed(e, "unitPrice");
    }
    entry.discount = StoredFixed(e, "discountPercent");
    l.entries.push_back(entry);
  }
  l.active = !o.contains("active") || (o.at("active").is_bool() && o.at("active").get_bool());
  ReadStoredStamps(o, l.created_by, l.created_at, l.modified_at);
  return l;
}

// A decimal field read as text (or a JSON integer) at kPlaces.
std::optional<std::int64_t> ReadFixed(FieldReader& f, const json::value& v, const std::string& at,
                                      bool money) {
  if (v.is_int64() || v.is_uint64()) {
    if (money) {
      f.Problem(at, "money travels as a decimal string (\"1234.50\"), not as a JSON number");
      return std::nullopt;
    }
    const std::int64_t whole =
        v.is_int64() ? v.get_int64() : static_cast<std::int64_t>(v.get_uint64());
    if (whole > 1'000'000'000'000 || whole < -1'000'000'000'000) {
      f.Problem(at, "is too large");
      return std::nullopt;
    }
    return whole * kOne;
  }
  if (!v.is_string()) {
    f.Problem(at, money ? "must be a decimal string such as \"1234.50\""
                        : "must be a number or a decimal string such as \"1.5\"");
    return std::nullopt;
  }
  auto parsed = ParseFixed(v.get_string(), kPlaces);
  if (!parsed) {
    f.Problem(at, parsed.error().message());
    return std::nullopt;
  }
  return *parsed;
}

std::optional<std::int64_t> ReadPercent(FieldReader& f, const json::value& v,
                                        const std::string& at) {
  auto p = ReadFixed(f, v, at, false);
  if (p && (*p < 0 || *p > 100 * kOne)) {
    f.Problem(at, "is a percentage between 0 and 100");
    return std::nullopt;
  }
  return p;
}

}  // namespace

Result<std::chrono::year_month_day> ParseDay(std::string_view text) {
  unsigned y = 0, m = 0, d = 0;
  char tail = 0;
  const std::string s(text);
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' ||
      std::sscanf(s.c_str(), "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3) {
    return Error::InvalidArgument("'" + s + "' is not a date: write it as 2026-12-31");
  }
  const std::chrono::year_month_day day{std::chrono::year(static_cast<int>(y)),
                                        std::chrono::month(m), std::chrono::day(d)};
  if (!day.ok()) return Error::InvalidArgument("'" + s + "' is not a day of the calendar");
  return day;
}

std::string FormatDay(std::chrono::year_month_day day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(day.year()),
                static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
  return buf;
}

json::object Product::ToJson() const {
  json::object o{{"id", std::to_string(id)}};
  for (auto& m : Editable(*this)) o[m.key()] = m.value();
  PutAnsweredStamps(o, created_by, created_at, modified_at);
  return o;
}

std::optional<std::int64_t> Product::PriceIn(std::string_view currency) const {
  for (const Price& p : prices) {
    if (p.currency == currency) return p.unit_price;
  }
  return std::nullopt;
}

json::object PriceList::ToJson() const {
  json::object o{{"id", std::to_string(id)}};
  for (auto& m : Editable(*this)) o[m.key()] = m.value();
  PutAnsweredStamps(o, created_by, created_at, modified_at);
  return o;
}

bool PriceList::ValidOn(std::chrono::year_month_day day) const {
  return active && (!valid_from || *valid_from <= day) && (!valid_to || day <= *valid_to);
}

json::object PriceSuggestion::ToJson(std::string_view currency) const {
  json::object source;
  if (price_list) {
    source = {{"priceList", std::to_string(price_list->id)}, {"name", price_list->name}};
  } else {
    source = {{"listPrice", true}};
  }
  return {{"product", std::to_string(product.id)},
          {"code", product.code},
          {"name", product.name},
          {"unit", product.unit},
          {"taxRate", product.tax_rate},
          {"currency", currency},
          {"unitPrice", FormatTrimmed(unit_price, kPlaces, 2)},
          {"discountPercent", FormatTrimmed(discount, kPlaces)},
          {"source", std::move(source)}};
}

ProductStore::ProductStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock,
                           const CustomerStore& customers)
    : store_(store), audit_(audit), clock_(clock), customers_(customers) {}

Result<Product> ProductStore::Check(Product p, const json::object& fields) const {
  std::vector<ErrorDetail> problems;
  FieldReader f(fields, problems);
  f.Known({"code", "name", "description", "kind", "unit", "taxRate", "prices", "warrantyMonths",
           "active"},
          "a product",
          "code, name, description, kind, unit, taxRate, prices, warrantyMonths, active");
  f.Text("code", 64, p.code);
  if (p.code.empty()) f.Problem("code", "is required: the code the product is known by");
  f.Text("name", 300, p.name);
  if (p.name.empty()) f.Problem("name", "is required");
  f.Text("description", 5000, p.description);
  f.Text("kind", 20, p.kind);
  if (p.kind != "product" && p.kind != "service") {
    f.Problem("kind", "'" + p.kind + "' is not a kind of product: product or service");
  }
  f.Text("unit", 20, p.unit);
  if (p.unit.empty()) f.Problem("unit", "is required: what a quantity counts (szt., kg, h)");
  if (const json::value* v = f.Get("taxRate")) {
    if (v->is_int64() || v->is_uint64()) {
      p.tax_rate = std::to_string(v->is_int64() ? v->get_int64() : v->get_uint64());
    } else {
      f.Text(*v, "taxRate", 20, p.tax_rate);
    }
  }
  const auto rates = customers_.schema().EntriesOf("tax-rates");
  if (rates != nullptr && std::none_of(rates->begin(), rates->end(),
                                       [&](const auto& e) { return e.value == p.tax_rate; })) {
    std::string known;
    for (const auto& e : *rates) known += (known.empty() ? "" : ", ") + e.value;
    f.Problem("taxRate", "'" + p.tax_rate + "' is not in the tax-rates dictionary (" + known + ")");
  } else if (!ParseTaxRate(p.tax_rate)) {
    f.Problem("taxRate", ParseTaxRate(p.tax_rate).error().message());
  }
  if (const json::value* v = f.Get("prices")) {
    p.prices.clear();
    if (const json::array* list = f.List(*v, "prices", 50)) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string at = "prices[" + std::to_string(i) + "]";
        if (!(*list)[i].is_object()) {
          f.Problem(at, "must be {\"currency\": \"PLN\", \"unitPrice\": \"199.00\"}");
          continue;
        }
        const json::object& o = (*list)[i].get_object();
        Price price{"", 0};
        const json::value* c = o.if_contains("currency");
        auto currency =
            c != nullptr && c->is_string()
                ? FindCurrency(c->get_string())
                : Result<Currency>(Error::InvalidArgument("is required (PLN, EUR, ...)"));
        if (!currency) {
          f.Problem(at + ".currency", currency.error().message());
        } else {
          price.currency = currency->code;
        }
        const json::value* u = o.if_contains("unitPrice");
        if (u == nullptr) {
          f.Problem(at + ".unitPrice", "is required");
        } else if (auto amount = ReadFixed(f, *u, at + ".unitPrice", true)) {
          if (*amount < 0 || *amount > kMaxUnitPrice) {
            f.Problem(at + ".unitPrice", "is between 0 and 1000000000000");
          }
          price.unit_price = *amount;
        }
        if (!price.currency.empty() &&
            std::any_of(p.prices.begin(), p.prices.end(),
                        [&](const Price& other) { return other.currency == price.currency; })) {
          f.Problem(at + ".currency", price.currency + " has a price already: one per currency");
        }
        p.prices.push_back(price);
      }
    }
  }
  if (const json::value* v = f.Get("warrantyMonths")) {
    if (!v->is_int64() && !v->is_uint64()) {
      f.Problem("warrantyMonths", "must be a whole number of months");
    } else {
      p.warranty_months =
          v->is_int64() ? v->get_int64() : static_cast<std::int64_t>(v->get_uint64());
      if (p.warranty_months < 0 || p.warranty_months > 600) {
        f.Problem("warrantyMonths", "is between 0 and 600 months");
      }
    }
  }
  if (const json::value* v = f.Get("active")) {
    if (!v->is_bool()) {
      f.Problem("active", "must be true or false");
    } else {
      p.active = v->get_bool();
    }
  }
  if (!problems.empty()) return Invalid("the product", std::move(problems));
  return p;
}

Result<Product> ProductStore::Create(const json::object& fields, const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Product p, Check(Product{}, fields));
  QUIRE_ASSIGN_OR_RETURN(std::optional<Product> same, FindByCode(p.code));
  if (same) {
    return Error::Conflict("product " + std::to_string(same->id) + " has the code '" + p.code +
                           "' already: codes are unique");
  }
  QUIRE_ASSIGN_OR_RETURN(p.id, NextId(store_, kNextProductKey));
  p.created_by = actor.id;
  p.created_at = p.modified_at = clock_.Now();
  storage::WriteBatch batch;
  batch.Put(kCrm, ProductKey(p.id), json::serialize(ToStored(p)));
  batch.Put(kCrm, CodeKey(p.code), std::to_string(p.id));
  batch.Put(kCrm, kNextProductKey, std::to_string(p.id + 1));
  QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch),
                                      {{actor,
                                        "product.created",
                                        "product/" + std::to_string(p.id),
                                        {{"fields", FieldNames(fields)}}}},
                                      p.created_at));
  return p;
}

Result<Product> ProductStore::Update(ProductId id, const json::object& patch,
                                     const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Product before, Get(id));
  Product blank;
  blank.id = id;
  blank.created_by = before.created_by;
  blank.created_at = before.created_at;
  QUIRE_ASSIGN_OR_RETURN(Product p, Check(std::move(blank), MergePatch(Editable(before), patch)));
  storage::WriteBatch batch;
  if (p.code != before.code) {
    QUIRE_ASSIGN_OR_RETURN(std::optional<Product> same, FindByCode(p.code));
    if (same) {
      return Error::Conflict("product " + std::to_string(same->id) + " has the code '" + p.code +
                             "' already: codes are unique");
    }
    batch.Delete(kCrm, CodeKey(before.code));
    batch.Put(kCrm, CodeKey(p.code), std::to_string(id));
  }
  p.modified_at = clock_.Now();
  batch.Put(kCrm, ProductKey(id), json::serialize(ToStored(p)));
  QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch),
                                      {{actor,
                                        "product.changed",
                                        "product/" + std::to_string(id),
                                        {{"fields", FieldNames(patch)}}}},
                                      p.modified_at));
  return p;
}

Result<Product> ProductStore::Get(ProductId id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text, store_.Get(kCrm, ProductKey(id)));
  if (!text) return Error::NotFound("product " + std::to_string(id) + " does not exist");
  return ProductFromStored(*text);
}

Result<std::optional<Product>> ProductStore::FindByCode(std::string_view code) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> id, store_.Get(kCrm, CodeKey(code)));
  if (!id) return std::optional<Product>();
  QUIRE_ASSIGN_OR_RETURN(Product p, Get(std::stoull(*id)));
  return std::optional<Product>(std::move(p));
}

Result<ProductStore::Page> ProductStore::List(std::string_view search, bool inactive,
                                              std::size_t limit, std::string_view after) const {
  // In order of code, through the code index; a search compares folded text.
  const std::string wanted = NameKey(search);
  const std::string prefix = storage::KeyEncoder().U8('S').U8('P').Take();
  auto it = store_.ScanPrefix(kCrm, prefix);
  if (!after.empty()) it.Seek(CodeKey(after) + std::string(1, '\0'));
  Page page;
  for (; it.Valid(); it.Next()) {
    if (page.products.size() == limit) {
      page.next = page.products.back().code;
      break;
    }
    QUIRE_ASSIGN_OR_RETURN(Product p, Get(std::stoull(std::string(it.value()))));
    if (!p.active && !inactive) continue;
    if (!wanted.empty() && NameKey(p.code).find(wanted) == std::string::npos &&
        NameKey(p.name).find(wanted) == std::string::npos) {
      continue;
    }
    page.products.push_back(std::move(p));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return page;
}

Result<PriceList> ProductStore::CheckPriceList(PriceList l, const json::object& fields) const {
  std::vector<ErrorDetail> problems;
  FieldReader f(fields, problems);
  f.Known({"name", "currency", "customer", "customerCategory", "validFrom", "validTo", "entries",
           "active"},
          "a price list",
          "name, currency, customer, customerCategory, validFrom, validTo, entries, active");
  f.Text("name", 200, l.name);
  if (l.name.empty()) f.Problem("name", "is required");
  if (const json::value* v = f.Get("currency")) {
    std::string code;
    if (f.Text(*v, "currency", 3, code)) {
      auto c = FindCurrency(code);
      if (c) {
        l.currency = c->code;
      } else {
        f.Problem("currency", c.error().message());
      }
    }
  }
  f.OptionalId("customer", "a customer", l.customer);
  if (l.customer != 0) {
    auto exists = customers_.Exists(l.customer);
    if (!exists) return exists.error();
    if (!*exists)
      f.Problem("customer", "customer " + std::to_string(l.customer) + " does not exist");
  }
  f.Text("customerCategory", 64, l.customer_category);
  if (!l.customer_category.empty()) {
    const auto categories = customers_.schema().EntriesOf("customer-categories");
    if (categories != nullptr &&
        std::none_of(categories->begin(), categories->end(),
                     [&](const auto& e) { return e.value == l.customer_category; })) {
      f.Problem("customerCategory",
                "'" + l.customer_category + "' is not in the customer-categories dictionary");
    }
  }
  if (l.customer != 0 && !l.customer_category.empty()) {
    f.Problem("customerCategory", "a price list is for one customer or for one category, not both");
  }
  for (const char* field : {"validFrom", "validTo"}) {
    const json::value* v = f.Get(field);
    if (v == nullptr) continue;
    auto& out = std::string_view(field) == "validFrom" ? l.valid_from : l.valid_to;
    out.reset();
    if (v->is_null()) continue;
    if (!v->is_string()) {
      f.Problem(field, "must be a date such as 2026-12-31");
      continue;
    }
    auto day = ParseDay(v->get_string());
    if (day) {
      out = *day;
    } else {
      f.Problem(field, day.error().message());
    }
  }
  if (l.valid_from && l.valid_to && *l.valid_to < *l.valid_from) {
    f.Problem("validTo", "is before validFrom");
  }
  if (const json::value* v = f.Get("entries")) {
    l.entries.clear();
    if (const json::array* list = f.List(*v, "entries", 10'000)) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string at = "entries[" + std::to_string(i) + "]";
        if (!(*list)[i].is_object()) {
          f.Problem(at, "must be {\"product\", \"unitPrice\", \"discountPercent\"}");
          continue;
        }
        const json::object& o = (*list)[i].get_object();
        PriceListEntry e;
        const json::value* product = o.if_contains("product");
        if (product == nullptr) {
          f.Problem(at + ".product", "is required");
        } else if (auto id = f.Id(*product, at + ".product", "a product")) {
          e.product = *id;
          auto p = Get(*id);
          if (!p && p.error().code() == ErrorCode::kNotFound) {
            f.Problem(at + ".product", "product " + std::to_string(*id) + " does not exist");
          } else if (!p) {
            return p.error();
          }
        }
        if (const json::value* u = o.if_contains("unitPrice"); u != nullptr && !u->is_null()) {
          e.unit_price = ReadFixed(f, *u, at + ".unitPrice", true);
          if (e.unit_price && (*e.unit_price < 0 || *e.unit_price > kMaxUnitPrice)) {
            f.Problem(at + ".unitPrice", "is between 0 and 1000000000000");
          }
        }
        if (const json::value* d = o.if_contains("discountPercent");
            d != nullptr && !d->is_null()) {
          e.discount = ReadPercent(f, *d, at + ".discountPercent").value_or(0);
        }
        if (!e.unit_price && e.discount == 0 && o.contains("product")) {
          f.Problem(at, "gives neither a unitPrice nor a discountPercent");
        }
        if (e.product != 0 &&
            std::any_of(l.entries.begin(), l.entries.end(),
                        [&](const PriceListEntry& other) { return other.product == e.product; })) {
          f.Problem(at + ".product", "product " + std::to_string(e.product) +
                                         " is in the list already: one entry per product");
        }
        l.entries.push_back(e);
      }
    }
  }
  if (const json::value* v = f.Get("active")) {
    if (!v->is_bool()) {
      f.Problem("active", "must be true or false");
    } else {
      l.active = v->get_bool();
    }
  }
  if (!problems.empty()) return Invalid("the price list", std::move(problems));
  return l;
}

Result<PriceList> ProductStore::CreatePriceList(const json::object& fields,
                                                const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(PriceList l, CheckPriceList(PriceList{}, fields));
  QUIRE_ASSIGN_OR_RETURN(l.id, NextId(store_, kNextPriceListKey));
  l.created_by = actor.id;
  l.created_at = l.modified_at = clock_.Now();
  storage::WriteBatch batch;
  batch.Put(kCrm, PriceListKey(l.id), json::serialize(ToStored(l)));
  batch.Put(kCrm, kNextPriceListKey, std::to_string(l.id + 1));
  ForgetPriceLists();  // and again after: a read between the two is not kept
  QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch),
                                      {{actor,
                                        "price-list.created",
                                        "price-list/" + std::to_string(l.id),
                                        {{"fields", FieldNames(fields)}}}},
                                      l.created_at));
  ForgetPriceLists();
  return l;
}

Result<PriceList> ProductStore::UpdatePriceList(PriceListId id, const json::object& patch,
                                                const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(PriceList before, GetPriceList(id));
  PriceList blank;
  blank.id = id;
  blank.created_by = before.created_by;
  blank.created_at = before.created_at;
  QUIRE_ASSIGN_OR_RETURN(PriceList l,
                         CheckPriceList(std::move(blank), MergePatch(Editable(before), patch)));
  l.modified_at = clock_.Now();
  storage::WriteBatch batch;
  batch.Put(kCrm, PriceListKey(id), json::serialize(ToStored(l)));
  ForgetPriceLists();
  QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch),
                                      {{actor,
                                        "price-list.changed",
                                        "price-list/" + std::to_string(id),
                                        {{"fields", FieldNames(patch)}}}},
                                      l.modified_at));
  ForgetPriceLists();
  return l;
}

Result<PriceList> ProductStore::GetPriceList(PriceListId id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text, store_.Get(kCrm, PriceListKey(id)));
  if (!text) return Error::NotFound("price list " + std::to_string(id) + " does not exist");
  return PriceListFromStored(*text);
}

Result<std::vector<PriceList>> ProductStore::PriceLists() const {
  std::vector<PriceList> out;
  const std::string prefix = storage::KeyEncoder().U8('S').U8('l').Take();
  for (auto it = store_.ScanPrefix(kCrm, prefix); it.Valid(); it.Next()) {
    QUIRE_ASSIGN_OR_RETURN(PriceList l, PriceListFromStored(it.value()));
    out.push_back(std::move(l));
  }
  return out;
}

Result<std::shared_ptr<const std::vector<PriceList>>> ProductStore::CachedPriceLists() const {
  std::uint64_t written;
  {
    std::lock_guard lock(lists_mu_);
    if (lists_) return lists_;
    written = lists_written_;
  }
  QUIRE_ASSIGN_OR_RETURN(std::vector<PriceList> read, PriceLists());
  auto shared = std::make_shared<const std::vector<PriceList>>(std::move(read));
  std::lock_guard lock(lists_mu_);
  if (written == lists_written_) lists_ = shared;
  return shared;
}

void ProductStore::ForgetPriceLists() {
  std::lock_guard lock(lists_mu_);
  lists_.reset();
  ++lists_written_;
}

Result<PriceSuggestion> ProductStore::Suggest(ProductId product, CustomerId customer,
                                              std::string_view currency,
                                              std::chrono::year_month_day day) const {
  QUIRE_ASSIGN_OR_RETURN(Product p, Get(product));
  std::string category;
  if (customer != 0) {
    QUIRE_ASSIGN_OR_RETURN(Customer c, customers_.Get(customer));
    if (const json::value* v = c.profile.if_contains("category"); v != nullptr && v->is_string()) {
      category = std::string(v->get_string());
    }
  }
  return Suggest(std::move(p), customer, category, currency, day);
}

Result<PriceSuggestion> ProductStore::Suggest(Product p, CustomerId customer,
                                              const std::string& category,
                                              std::string_view currency,
                                              std::chrono::year_month_day day) const {
  const ProductId product = p.id;
  // The most specific list that prices it wins; of equals, the one begun last.
  QUIRE_ASSIGN_OR_RETURN(std::shared_ptr<const std::vector<PriceList>> cached, CachedPriceLists());
  const std::vector<PriceList>& lists = *cached;
  const PriceList* best = nullptr;
  const PriceListEntry* best_entry = nullptr;
  int best_rank = -1;
  for (const PriceList& l : lists) {
    if (l.currency != currency || !l.ValidOn(day)) continue;
    int rank;
    if (l.customer != 0) {
      if (l.customer != customer) continue;
      rank = 2;
    } else if (!l.customer_category.empty()) {
      if (l.customer_category != category) continue;
      rank = 1;
    } else {
      rank = 0;
    }
    auto e = std::find_if(l.entries.begin(), l.entries.end(),
                          [&](const PriceListEntry& x) { return x.product == product; });
    if (e == l.entries.end()) continue;
    if (!e->unit_price && !p.PriceIn(currency)) continue;  // a discount off no price
    const auto begun = l.valid_from.value_or(std::chrono::year_month_day{});
    if (rank > best_rank ||
        (rank == best_rank && begun > best->valid_from.value_or(std::chrono::year_month_day{}))) {
      best = &l;
      best_entry = &*e;
      best_rank = rank;
    }
  }
  PriceSuggestion s;
  if (best != nullptr) {
    s.unit_price = best_entry->unit_price.value_or(p.PriceIn(currency).value_or(0));
    s.discount = best_entry->discount;
    s.price_list = *best;
  } else if (auto list_price = p.PriceIn(currency)) {
    s.unit_price = *list_price;
  } else {
    return Error::InvalidArgument("product " + std::to_string(product) + " (" + p.code +
                                  ") has no price in " + std::string(currency) +
                                  ": give the line's unitPrice, or add a price in " +
                                  std::string(currency) + " to the product");
  }
  s.product = std::move(p);
  return s;
}

}  // namespace quire::crm
