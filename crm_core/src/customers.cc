#include "quire/crm/customers.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <regex>
#include <set>

#include "quire/base/instant.h"
#include "quire/base/json_fields.h"
#include "quire/base/json_merge_patch.h"
#include "quire/base/json_text.h"
#include "quire/crm/names.h"
#include "quire/crm/phones.h"
#include "quire/crm/segment_index.h"
#include "quire/storage/key_codec.h"
#include "record_fields.h"

namespace quire::crm {
namespace json = boost::json;

namespace {

constexpr storage::ColumnFamily kCrm = storage::ColumnFamily::kCrm;
const std::string kNextIdKey = "n";

std::string Object(CustomerId id) { return "customer/" + std::to_string(id); }

using internal::FieldNames;
using internal::FromMs;
using internal::IdsUnder;
using internal::Ms;
using internal::PutAnsweredStamps;
using internal::PutStoredStamps;
using internal::ReadStoredStamps;
using internal::Trim;
using internal::UpdateIndex;

std::string EmailKey(std::string_view address) {
  std::string out = Trim(address);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// One company, one key: a Polish EU VAT number (PL5261040828) is its NIP.
// Whether any customer has a tax id, as a point key the bloom filters answer: most tax ids
// an import looks up are new, and a prefix seek for each reached into every level. Written
// with every 'T' entry; removed with the last one (see DropTaxHint).
std::string TaxHintKey(std::string_view tax_key) {
  return storage::KeyEncoder().U8('K').String(tax_key).Take();
}

std::string TaxKey(const TaxId& id) {
  if (id.kind == TaxId::Kind::kEuVat && id.value.starts_with("PL")) return id.value.substr(2);
  return id.value;
}

// What the API takes and answers for the editable fields, in one place.
json::object Editable(const Customer& c) {
  json::array emails, phones, addresses;
  for (const Labelled& e : c.emails) emails.push_back({{"address", e.value}, {"label", e.label}});
  for (const Labelled& p : c.phones) phones.push_back({{"number", p.value}, {"label", p.label}});
  for (const Address& a : c.addresses) {
    addresses.push_back({{"kind", a.kind},
                         {"street", a.street},
                         {"postalCode", a.postal_code},
                         {"city", a.city},
                         {"country", a.country}});
  }
  json::object o{{"kind", c.kind},
                 {"name", c.name},
                 {"emails", std::move(emails)},
                 {"phones", std::move(phones)},
                 {"taxId", c.tax_id ? json::value(c.tax_id->value) : json::value()},
                 {"addresses", std::move(addresses)},
                 {"owner", c.owner},
                 {"tags", json::array(c.tags.begin(), c.tags.end())},
                 {"notes", c.notes},
                 {"externalId", c.external_id}};
  for (const definitions::Field& f : ProfileFields()) {
    const json::value* v = c.profile.if_contains(f.name);
    o[f.name] = v != nullptr ? *v : json::value();
  }
  json::array accounts;
  for (const Labelled& b : c.bank_accounts) {
    accounts.push_back({{"iban", b.value}, {"label", b.label}});
  }
  o["bankAccounts"] = std::move(accounts);
  o["customFields"] = c.custom_fields;
  return o;
}

// Reads the editable fields into `c`, one detail per problem.
void Read(const json::object& in, Customer& c, std::vector<ErrorDetail>& problems) {
  static const std::set<std::string, std::less<>> kFields = [] {
    std::set<std::string, std::less<>> known{"kind",  "name",       "emails",       "phones",
                                             "taxId", "addresses",  "owner",        "tags",
                                             "notes", "externalId", "bankAccounts", "customFields"};
    for (const definitions::Field& f : ProfileFields()) known.insert(f.name);
    return known;
  }();
  static const std::regex kPolishPostalCode(R"(^[0-9]{2}-[0-9]{3}$)");
  auto text = [&](const json::value& v, const std::string& field, std::size_t max,
                  std::string& out) {
    if (v.is_null()) {
      out.clear();
    } else if (!v.is_string()) {
      problems.push_back({field, "must be text"});
    } else if (v.get_string().size() > max) {
      problems.push_back({field, "is longer than " + std::to_string(max) + " bytes"});
    } else {
      out = Trim(v.get_string());
    }
  };
  auto list = [&](const json::value& v, const std::string& field) -> const json::array* {
    if (v.is_null()) return nullptr;
    if (!v.is_array()) {
      problems.push_back({field, "must be a list"});
      return nullptr;
    }
    if (v.get_array().size() > 50) problems.push_back({field, "holds more than 50 entries"});
    return &v.get_array();
  };
  for (const auto& m : in) {
    if (!kFields.contains(m.key())) {
      problems.push_back(
          {std::string(m.key()),
           "is not a field of a customer (kind, name, emails, phones, taxId, "
           "addresses, owner, tags, notes, externalId, industry, category, "
           "customerType, source, deliveryTerms, paymentTermsDays, satisfaction, "
           "currency, creditLimit, team, ordersOnHold, bankAccounts, customFields)"});
    }
  }
  if (const json::value* v = in.if_contains("kind")) {
    text(*v, "kind", 20, c.kind);
    if (c.kind.empty()) c.kind = "company";
    if (c.kind != "company" && c.kind != "person") {
      problems.push_back({"kind", "must be company or person, not '" + c.kind + "'"});
    }
  }
  if (const json::value* v = in.if_contains("name")) text(*v, "name", 300, c.name);
  if (c.name.empty()) problems.push_back({"name", "is required"});
  {
    internal::FieldReader f(in, problems);
    f.Emails(c.emails);
    f.Phones(c.phones);
  }
  if (const json::value* v = in.if_contains("taxId")) {
    c.tax_id.reset();
    if (v->is_string() && !Trim(v->get_string()).empty()) {
      auto id = ParseTaxId(v->get_string());
      if (id) {
        c.tax_id = *id;
      } else {
        problems.push_back({"taxId", id.error().message()});
      }
    } else if (!v->is_null() && !v->is_string()) {
      problems.push_back({"taxId", "must be text, e.g. \"526-104-08-28\""});
    }
  }
  if (const json::value* v = in.if_contains("addresses")) {
    c.addresses.clear();
    if (const json::array* a = list(*v, "addresses")) {
      for (std::size_t i = 0; i < a->size(); ++i) {
        const std::string at = "addresses[" + std::to_string(i) + "]";
        if (!(*a)[i].is_object()) {
          problems.push_back({at, "must be an object"});
          continue;
        }
        const json::object& o = (*a)[i].get_object();
        Address ad;
        for (const auto& m : o) {
          static const std::set<std::string, std::less<>> kAddressFields{
              "kind", "street", "postalCode", "city", "country"};
          if (!kAddressFields.contains(m.key())) {
            problems.push_back({at + "." + std::string(m.key()),
                                "is not a field of an address (kind, street, postalCode, city, "
                                "country)"});
          }
        }
        auto field = [&](const char* name, std::size_t max, std::string& out) {
          text(o.contains(name) ? o.at(name) : json::value(), at + "." + name, max, out);
        };
        field("kind", 20, ad.kind);
        field("street", 200, ad.street);
        field("postalCode", 20, ad.postal_code);
        field("city", 100, ad.city);
        field("country", 2, ad.country);
        if (ad.kind.empty()) ad.kind = "billing";
        if (ad.kind != "billing" && ad.kind != "delivery" && ad.kind != "other") {
          problems.push_back({at + ".kind", "must be billing, delivery or other"});
        }
        for (char& ch : ad.country)
          ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (!ad.country.empty() && ad.country.size() != 2) {
          problems.push_back({at + ".country", "must be a two-letter ISO 3166 code (PL, DE)"});
        }
        if (ad.country == "PL" && !ad.postal_code.empty() &&
            !std::regex_match(ad.postal_code, kPolishPostalCode)) {
          problems.push_back({at + ".postalCode",
                              "'" + ad.postal_code + "' is not a Polish postal code (00-950)"});
        }
        c.addresses.push_back(std::move(ad));
      }
    }
  }
  if (const json::value* v = in.if_contains("owner")) text(*v, "owner", 128, c.owner);
  if (const json::value* v = in.if_contains("tags")) {
    c.tags.clear();
    if (const json::array* a = list(*v, "tags")) {
      for (std::size_t i = 0; i < a->size(); ++i) {
        std::string tag;
        text((*a)[i], "tags[" + std::to_string(i) + "]", 50, tag);
        if (!tag.empty()) c.tags.push_back(std::move(tag));
      }
    }
  }
  if (const json::value* v = in.if_contains("notes")) text(*v, "notes", 10'000, c.notes);
  if (const json::value* v = in.if_contains("externalId"))
    text(*v, "externalId", 100, c.external_id);
  if (const json::value* v = in.if_contains("bankAccounts")) {
    c.bank_accounts.clear();
    const json::value one = v->is_string() ? json::value(json::array{*v}) : json::value();
    if (const json::array* a = list(v->is_string() ? one : *v, "bankAccounts")) {
      for (std::size_t i = 0; i < a->size(); ++i) {
        const std::string at = "bankAccounts[" + std::to_string(i) + "]";
        const json::value& e = (*a)[i];
        // An account is {"iban", "label"}, or just the IBAN as text.
        const json::value* iban = e.is_object() ? e.get_object().if_contains("iban") : &e;
        const json::value* label = e.is_object() ? e.get_object().if_contains("label") : nullptr;
        if (iban == nullptr || !iban->is_string()) {
          problems.push_back({at + ".iban", "required: the account's IBAN as text"});
          continue;
        }
        auto normalised = NormalizeIban(iban->get_string());
        if (!normalised) {
          problems.push_back({at + ".iban", normalised.error().message()});
          continue;
        }
        Labelled account{std::move(*normalised), ""};
        if (label != nullptr) text(*label, at + ".label", 50, account.label);
        c.bank_accounts.push_back(std::move(account));
      }
    }
  }
}

const std::string kNextMergeKey = "n:merge";

std::string MergeKey(MergeId id) { return storage::KeyEncoder().U8('R').U64(id).Take(); }
std::string MergeIndexKey(CustomerId customer, MergeId id) {
  return storage::KeyEncoder().U8('U').U64(customer).U64(id).Take();
}

// `from`'s entries that `to` lacks, appended (compared by value).
void AddMissing(std::vector<Labelled>& to, const std::vector<Labelled>& from) {
  for (const Labelled& l : from) {
    if (std::none_of(to.begin(), to.end(), [&](const Labelled& x) { return x.value == l.value; })) {
      to.push_back(l);
    }
  }
}

// At most `max` bytes of `s`, not cutting a UTF-8 character.
std::string Cut(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  s.resize(end);
  return s;
}

json::object MergeToStored(const CustomerMerge& m) {
  json::object o{{"id", m.id},
                 {"survivor", m.survivor},
                 {"duplicate", m.duplicate},
                 {"state", m.state},
                 {"mergedBy", m.merged_by},
                 {"mergedAt", internal::Ms(m.merged_at)},
                 {"survivorBefore", m.survivor_before},
                 {"survivorAfter", m.survivor_after},
                 {"duplicateBefore", m.duplicate_before},
                 {"moved", m.moved}};
  if (m.undone_at) o["undoneAt"] = internal::Ms(*m.undone_at);
  return o;
}

Result<CustomerMerge> MergeFromStored(std::string_view text) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Error::Corruption("a stored merge is not a JSON object");
  const json::object& o = v.get_object();
  CustomerMerge m;
  m.id = static_cast<MergeId>(IntOf(o, "id"));
  m.survivor = static_cast<CustomerId>(IntOf(o, "survivor"));
  m.duplicate = static_cast<CustomerId>(IntOf(o, "duplicate"));
  m.state = StrOf(o, "state");
  m.merged_by = StrOf(o, "mergedBy");
  m.merged_at = internal::FromMs(IntOf(o, "mergedAt"));
  if (o.contains("undoneAt")) m.undone_at = internal::FromMs(IntOf(o, "undoneAt"));
  auto object = [&](const char* key) {
    const json::value* x = o.if_contains(key);
    return x != nullptr && x->is_object() ? x->get_object() : json::object();
  };
  m.survivor_before = object("survivorBefore");
  m.survivor_after = object("survivorAfter");
  m.duplicate_before = object("duplicateBefore");
  m.moved = object("moved");
  return m;
}

json::object ToStored(const Customer& c) {
  json::object o = Editable(c);
  // Unset profile fields and empty lists take no room.
  for (const definitions::Field& f : ProfileFields()) {
    if (o.at(f.name).is_null()) o.erase(f.name);
  }
  if (c.bank_accounts.empty()) o.erase("bankAccounts");
  if (c.custom_fields.empty()) o.erase("customFields");
  o["id"] = c.id;
  if (c.tax_id) o["taxIdKind"] = Name(c.tax_id->kind);
  PutStoredStamps(o, c.created_by, c.created_at, c.modified_at);
  if (c.erased_at) o["erasedAt"] = Ms(*c.erased_at);
  if (c.merged_into != 0) o["mergedInto"] = c.merged_into;
  return o;
}

}  // namespace

const std::vector<definitions::Field>& ProfileFields() {
  static const std::vector<definitions::Field> kFields = [] {
    std::vector<ErrorDetail> problems;
    auto fields = definitions::ParseFields(json::parse(R"json([
        {"name": "industry", "label": "Industry", "type": "enum", "dictionary": "industries"},
        {"name": "category", "label": "Category", "type": "enum",
         "dictionary": "customer-categories"},
        {"name": "customerType", "label": "Customer type", "type": "enum",
         "dictionary": "customer-types"},
        {"name": "source", "label": "Acquisition source", "type": "enum", "dictionary": "sources"},
        {"name": "deliveryTerms", "label": "Delivery terms", "type": "enum",
         "dictionary": "delivery-terms"},
        {"name": "paymentTermsDays", "label": "Payment terms (days)", "type": "long", "min": 0,
         "max": 365},
        {"name": "satisfaction", "label": "Satisfaction (1-5)", "type": "long", "min": 1,
         "max": 5},
        {"name": "currency", "label": "Currency", "type": "string", "pattern": "^[A-Z]{3}$"},
        {"name": "creditLimit", "label": "Credit limit", "type": "string",
         "pattern": "^[0-9]{1,13}([.][0-9]{1,2})?$"},
        {"name": "team", "label": "Team", "type": "string", "maxLength": 128},
        {"name": "ordersOnHold", "label": "Orders on hold", "type": "boolean"}])json"),
                                           "profile", problems);
    return fields;
  }();
  return kFields;
}

std::vector<std::string> Customer::SensitiveFields() const {
  std::vector<std::string> out;
  if (profile.contains("creditLimit")) out.emplace_back("creditLimit");
  if (!bank_accounts.empty()) out.emplace_back("bankAccounts");
  if (tax_id && tax_id->kind == TaxId::Kind::kPesel) out.emplace_back("taxId");
  return out;
}

std::vector<std::string> SensitiveFieldsIn(const json::object& fields) {
  std::vector<std::string> out;
  for (const char* name : {"creditLimit", "bankAccounts"}) {
    if (fields.contains(name)) out.emplace_back(name);
  }
  if (const json::value* t = fields.if_contains("taxId"); t && t->is_string()) {
    if (auto id = ParseTaxId(t->get_string()); id && id->kind == TaxId::Kind::kPesel) {
      out.emplace_back("taxId");
    }
  }
  return out;
}

json::object Customer::ToJson(bool sensitive) const {
  json::object o{{"id", std::to_string(id)}};
  for (auto& m : Editable(*this)) o[m.key()] = m.value();
  if (tax_id) o["taxIdKind"] = Name(tax_id->kind);
  if (!sensitive) {
    const std::vector<std::string> withheld = SensitiveFields();
    for (const std::string& field : withheld) o.erase(field);
    if (!o.contains("taxId")) o.erase("taxIdKind");
    o["withheld"] = json::array(withheld.begin(), withheld.end());
  }
  PutAnsweredStamps(o, created_by, created_at, modified_at);
  o["erasedAt"] = erased_at ? json::value(FormatInstant(*erased_at)) : json::value();
  o["mergedInto"] = merged_into != 0 ? json::value(std::to_string(merged_into)) : json::value();
  return o;
}

std::string CustomerStore::Key(CustomerId id) {
  return storage::KeyEncoder().U8('c').U64(id).Take();
}

std::string CustomerStore::PhoneKey(std::string_view e164, CustomerId id) {
  return storage::KeyEncoder().U8('p').String(e164).U64(id).Take();
}

void CustomerStore::Index(const Customer* before, const Customer* after,
                          storage::WriteBatch& batch) {
  auto keys = [](const Customer* c) {
    std::set<std::string> out;
    if (c == nullptr) return out;
    // Merged: found by nothing but its external id (below), which leads to the survivor.
    if (c->merged_into != 0) return out;
    for (const Labelled& p : c->phones) out.insert(PhoneKey(p.value, c->id));
    if (c->tax_id) {
      out.insert(storage::KeyEncoder().U8('T').String(TaxKey(*c->tax_id)).U64(c->id).Take());
    }
    out.insert(storage::KeyEncoder()
                   .U8('N')
                   .String(c->name_key.empty() ? NameKey(c->name) : c->name_key)
                   .U64(c->id)
                   .Take());
    for (const Labelled& e : c->emails) {
      out.insert(storage::KeyEncoder().U8('M').String(EmailKey(e.value)).U64(c->id).Take());
    }
    return out;
  };
  UpdateIndex(keys(before), keys(after), batch);
  if (after != nullptr && after->tax_id && after->merged_into == 0) {
    batch.Put(kCrm, TaxHintKey(TaxKey(*after->tax_id)), "");
  }
  // A merged duplicate's external id leads to the customer it became part of.
  auto target = [](const Customer* c) -> CustomerId {
    return c == nullptr ? 0 : c->merged_into != 0 ? c->merged_into : c->id;
  };
  internal::UpdateUniqueKey('X', before ? before->external_id : "", target(before),
                            after ? after->external_id : "", target(after), batch);
  IndexSegments(before, after, batch);
}

Result<void> CustomerStore::DropTaxHint(const Customer& was, const Customer* now,
                                        storage::WriteBatch& batch) const {
  if (!was.tax_id || was.merged_into != 0) return Ok();
  const std::string key = TaxKey(*was.tax_id);
  if (now != nullptr && now->tax_id && now->merged_into == 0 && TaxKey(*now->tax_id) == key) {
    return Ok();
  }
  return internal::DropHintIfLast(store_, storage::KeyEncoder().U8('T').String(key).Take(), was.id,
                                  TaxHintKey(key), batch);
}

Result<std::size_t> CustomerStore::Reindex() {
  std::lock_guard lock(write_mu_);
  storage::WriteBatch batch;
  // The name index's key may have changed (NameKey), the external ids' its form (from
  // X ext id → "" to X ext → id), tax id hints are new: rebuilt from nothing.
  batch.DeleteRange(kCrm, "N", "O");
  batch.DeleteRange(kCrm, "X", "Y");
  batch.DeleteRange(kCrm, "K", "L");
  return internal::ReindexAll(
      store_, 'c', std::move(batch), FromStored,
      [](const Customer& c, storage::WriteBatch& b) { Index(nullptr, &c, b); });
}

Result<std::vector<CustomerId>> CustomerStore::FindByName(std::string_view name,
                                                          std::size_t limit) const {
  return IdsUnder(store_, storage::KeyEncoder().U8('N').String(NameKey(name)).Take(), limit);
}

Result<std::vector<CustomerId>> CustomerStore::FindByEmail(std::string_view address,
                                                           std::size_t limit) const {
  return IdsUnder(store_, storage::KeyEncoder().U8('M').String(EmailKey(address)).Take(), limit);
}

Result<std::vector<CustomerId>> CustomerStore::FindByTaxId(std::string_view typed,
                                                           std::size_t limit) const {
  auto id = ParseTaxId(typed);
  if (!id) return std::vector<CustomerId>{};
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> hint,
                         store_.Get(kCrm, TaxHintKey(TaxKey(*id))));
  if (!hint) return std::vector<CustomerId>{};
  return IdsUnder(store_, storage::KeyEncoder().U8('T').String(TaxKey(*id)).Take(), limit);
}

Result<std::optional<CustomerId>> CustomerStore::FindByExternalId(
    std::string_view external_id) const {
  return internal::FindUnique(store_, 'X', external_id);
}

Result<bool> CustomerStore::Exists(CustomerId id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text, store_.Get(kCrm, Key(id)));
  return text.has_value();
}

Result<std::vector<CustomerId>> CustomerStore::FindByPhone(std::string_view typed,
                                                           std::size_t limit) const {
  auto e164 = NormalizePhone(typed);
  if (!e164) return std::vector<CustomerId>{};  // not a number: nobody has it
  return IdsUnder(store_, storage::KeyEncoder().U8('p').String(*e164).Take(), limit);
}

// What was stored was checked when written: read as it is, no validation on the read path
// (lists decode thousands of records).
Result<Customer> CustomerStore::FromStored(std::string_view text) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Error::Corruption("a stored customer is not a JSON object");
  const json::object& o = v.get_object();
  auto labelled = [&](const char* field, const char* key) {
    std::vector<Labelled> out;
    if (const json::value* a = o.if_contains(field); a != nullptr && a->is_array()) {
      for (const json::value& e : a->get_array()) {
        if (e.is_object())
          out.push_back({StrOf(e.get_object(), key), StrOf(e.get_object(), "label")});
      }
    }
    return out;
  };
  Customer c;
  c.id = static_cast<CustomerId>(IntOf(o, "id"));
  c.kind = StrOf(o, "kind");
  c.name = StrOf(o, "name");
  c.emails = labelled("emails", "address");
  c.phones = labelled("phones", "number");
  if (const std::string tax = StrOf(o, "taxId"); !tax.empty()) {
    const std::string kind = StrOf(o, "taxIdKind");
    TaxId id{TaxId::Kind::kNip, tax};
    for (const TaxId::Kind k :
         {TaxId::Kind::kNip, TaxId::Kind::kRegon, TaxId::Kind::kPesel, TaxId::Kind::kEuVat}) {
      if (Name(k) == kind) id.kind = k;
    }
    c.tax_id = std::move(id);
  }
  if (const json::value* a = o.if_contains("addresses"); a != nullptr && a->is_array()) {
    for (const json::value& e : a->get_array()) {
      if (!e.is_object()) continue;
      const json::object& ad = e.get_object();
      c.addresses.push_back({StrOf(ad, "kind"), StrOf(ad, "street"), StrOf(ad, "postalCode"),
                             StrOf(ad, "city"), StrOf(ad, "country")});
    }
  }
  c.owner = StrOf(o, "owner");
  if (const json::value* a = o.if_contains("tags"); a != nullptr && a->is_array()) {
    for (const json::value& t : a->get_array()) {
      if (t.is_string()) c.tags.emplace_back(t.get_string());
    }
  }
  c.notes = StrOf(o, "notes");
  c.external_id = StrOf(o, "externalId");
  for (const definitions::Field& f : ProfileFields()) {
    if (const json::value* p = o.if_contains(f.name); p != nullptr && !p->is_null()) {
      c.profile[f.name] = *p;
    }
  }
  c.bank_accounts = labelled("bankAccounts", "iban");
  if (const json::value* cf = o.if_contains("customFields"); cf != nullptr && cf->is_object()) {
    c.custom_fields = cf->get_object();
  }
  if (o.contains("erasedAt")) c.erased_at = FromMs(IntOf(o, "erasedAt"));
  c.merged_into = static_cast<CustomerId>(IntOf(o, "mergedInto"));
  ReadStoredStamps(o, c.created_by, c.created_at, c.modified_at);
  return c;
}

CustomerStore::CustomerStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock,
                             const CrmSchema* schema)
    : store_(store),
      audit_(audit),
      clock_(clock),
      own_schema_(schema == nullptr ? std::make_unique<CrmSchema>(store, audit, clock) : nullptr),
      schema_(schema != nullptr ? schema : own_schema_.get()) {}

Result<Customer> CustomerStore::Check(Customer c, const json::object& fields,
                                      const Customer* before) const {
  std::vector<ErrorDetail> problems;
  Read(fields, c, problems);
  json::object profile;
  for (const definitions::Field& f : ProfileFields()) {
    const json::value* v = fields.if_contains(f.name);
    if (v == nullptr) continue;
    // A credit limit sent as a whole number is the same amount written as text.
    if (f.name == "creditLimit" && (v->is_int64() || v->is_uint64())) {
      profile[f.name] = JsonText(*v);
    } else {
      profile[f.name] = *v;
    }
  }
  if (!profile.empty()) {  // (nothing required: an empty profile needs no check)
    c.profile = schema_->CheckValues(ProfileFields(), profile, before ? &before->profile : nullptr,
                                     "", /*read_text=*/true, problems);
  }
  c.custom_fields = schema_->CheckCustomFields("customer", fields,
                                               before ? &before->custom_fields : nullptr, problems);
  if (!c.external_id.empty()) {
    QUIRE_ASSIGN_OR_RETURN(std::optional<CustomerId> holder, FindByExternalId(c.external_id));
    if (holder && *holder != c.id) {
      problems.push_back({"externalId", "'" + c.external_id + "' is customer " +
                                            std::to_string(*holder) +
                                            "'s already: change that one (a re-import does)"});
    }
  }
  if (!problems.empty()) {
    std::string message = "the customer has " + std::to_string(problems.size()) +
                          (problems.size() == 1 ? " error" : " errors") + "; nothing was changed";
    return Error::ValidationFailed(std::move(message), std::move(problems));
  }
  c.name_key = NameKey(c.name);
  return c;
}

Result<Customer> CustomerStore::Validate(const json::object& fields, const audit::Actor& actor,
                                         const Customer* before) const {
  Customer blank;
  blank.id = before != nullptr ? before->id : 0;
  blank.owner = actor.id;
  QUIRE_ASSIGN_OR_RETURN(Customer c, Check(std::move(blank), fields, before));
  if (c.owner.empty()) c.owner = actor.id;
  return c;
}

Result<Customer> CustomerStore::Create(const json::object& fields, const audit::Actor& actor) {
  Bulk bulk(*this);
  QUIRE_ASSIGN_OR_RETURN(Customer c, bulk.Create(fields, actor));
  QUIRE_RETURN_IF_ERROR(bulk.Commit());
  return c;
}

Result<Customer> CustomerStore::Update(CustomerId id, const json::object& patch,
                                       const audit::Actor& actor) {
  Bulk bulk(*this);
  QUIRE_ASSIGN_OR_RETURN(Customer c, bulk.Update(id, patch, actor));
  QUIRE_RETURN_IF_ERROR(bulk.Commit());
  return c;
}

CustomerStore::Bulk::Bulk(CustomerStore& store)
    : store_(store), lock_(store.write_mu_), staged_(store.audit_) {}

Result<void> CustomerStore::Bulk::Commit() { return staged_.Commit(); }

Result<Customer> CustomerStore::Bulk::Create(const json::object& fields,
                                             const audit::Actor& actor) {
  // Checked under the lock: an external id is unique (one staged is seen once committed).
  if (staged_.SetsExternalId(fields)) QUIRE_RETURN_IF_ERROR(Commit());
  QUIRE_ASSIGN_OR_RETURN(Customer c, store_.Validate(fields, actor));
  return Stage(std::move(c), fields, actor, /*checked_external_id=*/true);
}

Result<Customer> CustomerStore::Bulk::Create(Customer checked, const json::object& fields,
                                             const audit::Actor& actor) {
  return Stage(std::move(checked), fields, actor, /*checked_external_id=*/false);
}

Result<Customer> CustomerStore::Bulk::Stage(Customer c, const json::object& fields,
                                            const audit::Actor& actor, bool checked_external_id) {
  if (!checked_external_id && !c.external_id.empty()) {
    if (staged_.HoldsExternalId(c.external_id)) QUIRE_RETURN_IF_ERROR(Commit());
    QUIRE_ASSIGN_OR_RETURN(std::optional<CustomerId> holder,
                           store_.FindByExternalId(c.external_id));
    if (holder) {
      return Error::ValidationFailed(
          "the customer has 1 error; nothing was changed",
          {{"externalId", "'" + c.external_id + "' is customer " + std::to_string(*holder) +
                              "'s already: change that one (a re-import does)"}});
    }
  }
  if (next_id_ == 0) {
    QUIRE_ASSIGN_OR_RETURN(next_id_, internal::NextId(store_.store_, kNextIdKey));
  }
  c.id = next_id_++;
  c.created_by = actor.id;
  c.created_at = c.modified_at = store_.clock_.Now();
  staged_.batch().Put(kCrm, Key(c.id), json::serialize(ToStored(c)));
  staged_.batch().Put(kCrm, kNextIdKey, std::to_string(next_id_));
  Index(nullptr, &c, staged_.batch());
  staged_.Add({actor, "customer.created", Object(c.id), {{"fields", FieldNames(fields)}}},
              c.created_at, c.id, c.external_id);
  return c;
}

Result<Customer> CustomerStore::Bulk::Update(CustomerId id, const json::object& patch,
                                             const audit::Actor& actor) {
  // The record as stored, and every external id checked against the store.
  if (staged_.Holds(id) || staged_.SetsExternalId(patch)) {
    QUIRE_RETURN_IF_ERROR(Commit());
  }
  QUIRE_ASSIGN_OR_RETURN(Customer before, store_.Get(id));
  if (before.erased_at) {
    return Error::Conflict("customer " + std::to_string(id) + " was erased on " +
                           FormatInstant(*before.erased_at) + ": it cannot be changed");
  }
  if (before.merged_into != 0) {
    return Error::Conflict("customer " + std::to_string(id) + " was merged into customer " +
                           std::to_string(before.merged_into) + ": change that one");
  }
  const json::object merged = MergePatch(Editable(before), patch);
  // From a blank record: a field the patch removed (null) is gone, not kept.
  Customer blank;
  blank.id = before.id;
  blank.created_by = before.created_by;
  blank.created_at = before.created_at;
  QUIRE_ASSIGN_OR_RETURN(Customer c, store_.Check(std::move(blank), merged, &before));
  c.modified_at = store_.clock_.Now();
  const bool tax_changed =
      before.tax_id && (!c.tax_id || TaxKey(*c.tax_id) != TaxKey(*before.tax_id));
  if (tax_changed && staged_.size() > 0) {
    // Whether another customer holds the old tax id is read from the store: staged writes
    // first.
    QUIRE_RETURN_IF_ERROR(Commit());
  }
  QUIRE_RETURN_IF_ERROR(store_.DropTaxHint(before, &c, staged_.batch()));
  staged_.batch().Put(kCrm, Key(id), json::serialize(ToStored(c)));
  Index(&before, &c, staged_.batch());
  staged_.Add({actor, "customer.changed", Object(id), {{"fields", FieldNames(patch)}}},
              c.modified_at, id, c.external_id);
  return c;
}

Result<Customer> CustomerStore::Get(CustomerId id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text, store_.Get(kCrm, Key(id)));
  if (!text) return Error::NotFound("customer " + std::to_string(id) + " does not exist");
  return FromStored(*text);
}

Result<Customer> CustomerStore::Erase(CustomerId id, const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Customer before, Get(id));
  const Timestamp now = clock_.Now();
  auto blank = [&](const Customer& was) {
    Customer c;
    c.id = was.id;
    c.kind = was.kind;
    c.name = "Erased customer " + std::to_string(was.id);
    c.owner = was.owner;
    // Its classification stays (statistics keep their shape); a person's credit limit is
    // theirs, and custom fields may hold anything: gone.
    c.profile = was.profile;
    c.profile.erase("creditLimit");
    c.merged_into = was.merged_into;
    c.created_by = was.created_by;
    c.created_at = was.created_at;
    c.modified_at = now;
    c.erased_at = now;
    return c;
  };
  const Customer c = blank(before);
  storage::WriteBatch batch;
  QUIRE_RETURN_IF_ERROR(DropTaxHint(before, &c, batch));
  batch.Put(kCrm, Key(id), json::serialize(ToStored(c)));
  Index(&before, &c, batch);
  std::vector<audit::EntryFields> entries{{actor, "customer.erased", Object(id), {}}};
  // The merges it took part in hold the person's data in their snapshots: gone, and with
  // them the undo. A duplicate merged into this customer is the same person: erased too.
  QUIRE_ASSIGN_OR_RETURN(
      std::vector<std::uint64_t> merges,
      internal::IdsUnder(store_, storage::KeyEncoder().U8('U').U64(id).Take(), 100'000));
  for (const MergeId mid : merges) {
    QUIRE_ASSIGN_OR_RETURN(CustomerMerge m, GetMerge(mid));
    batch.Delete(kCrm, MergeKey(mid));
    batch.Delete(kCrm, MergeIndexKey(m.survivor, mid));
    batch.Delete(kCrm, MergeIndexKey(m.duplicate, mid));
    if (m.survivor != id || m.state == "undone") continue;
    QUIRE_ASSIGN_OR_RETURN(Customer dup, Get(m.duplicate));
    if (dup.merged_into != id || dup.erased_at) continue;
    const Customer gone = blank(dup);
    QUIRE_RETURN_IF_ERROR(DropTaxHint(dup, &gone, batch));
    batch.Put(kCrm, Key(dup.id), json::serialize(ToStored(gone)));
    Index(&dup, &gone, batch);
    entries.push_back({actor, "customer.erased", Object(dup.id), {{"mergedInto", Object(id)}}});
  }
  QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch), std::move(entries), now));
  return c;
}

Timestamp CustomerMerge::undo_until() const { return merged_at + kMergeUndoWindow; }

json::object CustomerMerge::ToJson() const {
  return {{"id", std::to_string(id)},
          {"survivor", std::to_string(survivor)},
          {"duplicate", std::to_string(duplicate)},
          {"state", state},
          {"mergedBy", merged_by},
          {"mergedAt", FormatInstant(merged_at)},
          {"undoExpiresAt", FormatInstant(undo_until())},
          {"undoneAt", undone_at ? json::value(FormatInstant(*undone_at)) : json::value()},
          {"moved", moved}};
}

Result<CustomerMerge> CustomerStore::Merge(CustomerId survivor, CustomerId duplicate,
                                           const audit::Actor& actor) {
  if (survivor == duplicate) {
    return Error::InvalidArgument("a customer cannot be merged into itself");
  }
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Customer s, Get(survivor));
  QUIRE_ASSIGN_OR_RETURN(Customer d, Get(duplicate));
  for (const Customer* c : {&s, &d}) {
    if (c->erased_at) {
      return Error::Conflict("customer " + std::to_string(c->id) +
                             " was erased: it cannot take part in a merge");
    }
    if (c->merged_into != 0) {
      return Error::Conflict("customer " + std::to_string(c->id) + " was merged into customer " +
                             std::to_string(c->merged_into) + " already");
    }
  }
  const Timestamp now = clock_.Now();
  Customer after = s;
  AddMissing(after.emails, d.emails);
  AddMissing(after.phones, d.phones);
  AddMissing(after.bank_accounts, d.bank_accounts);
  for (const Address& a : d.addresses) {
    const bool held =
        std::any_of(after.addresses.begin(), after.addresses.end(), [&](const Address& x) {
          return x.kind == a.kind && x.street == a.street && x.postal_code == a.postal_code &&
                 x.city == a.city && x.country == a.country;
        });
    if (!held) after.addresses.push_back(a);
  }
  for (const std::string& t : d.tags) {
    if (std::find(after.tags.begin(), after.tags.end(), t) == after.tags.end())
      after.tags.push_back(t);
  }
  if (!after.tax_id) after.tax_id = d.tax_id;
  if (!d.notes.empty() && d.notes != after.notes) {
    after.notes = Cut(after.notes.empty() ? d.notes : after.notes + "\n\n" + d.notes, 10'000);
  }
  for (const auto& kv : d.profile) {
    if (!after.profile.contains(kv.key())) after.profile[kv.key()] = kv.value();
  }
  for (const auto& kv : d.custom_fields) {
    if (!after.custom_fields.contains(kv.key())) after.custom_fields[kv.key()] = kv.value();
  }
  Customer merged = d;
  merged.merged_into = survivor;
  merged.modified_at = now;
  if (after.external_id.empty() && !d.external_id.empty()) {
    after.external_id = d.external_id;  // the duplicate's goes with what it became
    merged.external_id.clear();
  }
  after.name_key = NameKey(after.name);
  after.modified_at = now;

  CustomerMerge m;
  QUIRE_ASSIGN_OR_RETURN(m.id, internal::NextId(store_, kNextMergeKey));
  m.survivor = survivor;
  m.duplicate = duplicate;
  m.merged_by = actor.id;
  m.merged_at = now;
  m.survivor_before = ToStored(s);
  m.survivor_after = ToStored(after);
  m.duplicate_before = ToStored(d);
  storage::WriteBatch batch;
  QUIRE_RETURN_IF_ERROR(DropTaxHint(d, &merged, batch));  // put again below if `after` has it
  batch.Put(kCrm, Key(duplicate), json::serialize(ToStored(merged)));
  Index(&d, &merged, batch);
  batch.Put(kCrm, Key(survivor), json::serialize(ToStored(after)));
  Index(&s, &after, batch);
  batch.Put(kCrm, MergeKey(m.id), json::serialize(MergeToStored(m)));
  batch.Put(kCrm, kNextMergeKey, std::to_string(m.id + 1));
  batch.Put(kCrm, MergeIndexKey(survivor, m.id), "");
  batch.Put(kCrm, MergeIndexKey(duplicate, m.id), "");
  QUIRE_RETURN_IF_ERROR(audit_.Commit(
      std::move(batch),
      {{actor,
        "customer.merged",
        Object(survivor),
        {{"duplicate", Object(duplicate)}, {"merge", "merge/" + std::to_string(m.id)}}}},
      now));
  return m;
}

Result<CustomerMerge> CustomerStore::GetMerge(MergeId id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text, store_.Get(kCrm, MergeKey(id)));
  if (!text) return Error::NotFound("merge " + std::to_string(id) + " does not exist");
  return MergeFromStored(*text);
}

Result<CustomerMerge> CustomerStore::MergeMoved(MergeId id, json::object moved,
                                                const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(CustomerMerge m, GetMerge(id));
  m.state = "done";
  json::object counts;
  for (auto& kv : moved) {
    counts[kv.key()] = kv.value().is_array() ? kv.value().get_array().size() : 0;
    // An interrupted merge finished later: what moved then, and now.
    if (const json::value* was = m.moved.if_contains(kv.key()); was && was->is_array()) {
      json::array all = was->get_array();
      for (const json::value& x : kv.value().get_array()) all.push_back(x);
      kv.value() = std::move(all);
    }
  }
  m.moved = std::move(moved);
  storage::WriteBatch batch;
  batch.Put(kCrm, MergeKey(id), json::serialize(MergeToStored(m)));
  QUIRE_RETURN_IF_ERROR(
      audit_.Commit(std::move(batch),
                    {{actor,
                      "customer.merge.completed",
                      "merge/" + std::to_string(id),
                      {{"survivor", Object(m.survivor)}, {"moved", std::move(counts)}}}},
                    clock_.Now()));
  return m;
}

Result<std::optional<CustomerMerge>> CustomerStore::MovingMerge(CustomerId survivor,
                                                                CustomerId duplicate) const {
  const std::string prefix = storage::KeyEncoder().U8('U').U64(survivor).Take();
  QUIRE_ASSIGN_OR_RETURN(std::vector<std::uint64_t> ids,
                         internal::IdsUnder(store_, prefix, 10'000));
  for (const MergeId id : ids) {
    QUIRE_ASSIGN_OR_RETURN(CustomerMerge m, GetMerge(id));
    if (m.state == "moving" && m.survivor == survivor && m.duplicate == duplicate) {
      return std::optional<CustomerMerge>(std::move(m));
    }
  }
  return std::optional<CustomerMerge>();
}

Result<CustomerMerge> CustomerStore::CheckUndo(MergeId id) const {
  QUIRE_ASSIGN_OR_RETURN(CustomerMerge m, GetMerge(id));
  if (m.state == "undone") {
    return Error::Conflict("merge " + std::to_string(id) + " was undone on " +
                           FormatInstant(*m.undone_at));
  }
  if (m.state != "done") {
    return Error::Conflict("merge " + std::to_string(id) +
                           " did not finish moving the links: merge the two customers again to "
                           "finish it, then undo");
  }
  if (clock_.Now() > m.undo_until()) {
    return Error::Conflict("merge " + std::to_string(id) + " could be undone until " +
                           FormatInstant(m.undo_until()) + " (30 days after it was made)");
  }
  return m;
}

Result<CustomerMerge> CustomerStore::Unmerge(MergeId id, const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(CustomerMerge m, CheckUndo(id));
  QUIRE_ASSIGN_OR_RETURN(Customer current, Get(m.survivor));
  QUIRE_ASSIGN_OR_RETURN(Customer dup_now, Get(m.duplicate));
  if (current.erased_at) return Error::Conflict("the survivor was erased since the merge");
  // The survivor's fields as before the merge, except those changed since (three ways).
  json::object reverted = ToStored(current);
  for (const auto& kv : Editable(current)) {
    const std::string_view k = kv.key();
    const json::value* now_v = reverted.if_contains(k);
    const json::value* merged_v = m.survivor_after.if_contains(k);
    const bool unchanged = (now_v == nullptr && merged_v == nullptr) ||
                           (now_v != nullptr && merged_v != nullptr && *now_v == *merged_v);
    if (!unchanged) continue;
    if (const json::value* was = m.survivor_before.if_contains(k)) {
      reverted[k] = *was;
    } else {
      reverted.erase(k);
    }
    if (k == "taxId") {
      if (const json::value* kind = m.survivor_before.if_contains("taxIdKind")) {
        reverted["taxIdKind"] = *kind;
      } else {
        reverted.erase("taxIdKind");
      }
    }
  }
  QUIRE_ASSIGN_OR_RETURN(Customer s, FromStored(json::serialize(reverted)));
  QUIRE_ASSIGN_OR_RETURN(Customer d, FromStored(json::serialize(m.duplicate_before)));
  const Timestamp now = clock_.Now();
  s.modified_at = d.modified_at = now;
  m.state = "undone";
  m.undone_at = now;
  storage::WriteBatch batch;
  QUIRE_RETURN_IF_ERROR(DropTaxHint(current, &s, batch));  // put again below if `d` has it
  batch.Put(kCrm, Key(s.id), json::serialize(ToStored(s)));
  Index(&current, &s, batch);
  batch.Put(kCrm, Key(d.id), json::serialize(ToStored(d)));
  Index(&dup_now, &d, batch);
  batch.Put(kCrm, MergeKey(id), json::serialize(MergeToStored(m)));
  QUIRE_RETURN_IF_ERROR(audit_.Commit(
      std::move(batch),
      {{actor,
        "customer.unmerged",
        Object(m.survivor),
        {{"duplicate", Object(m.duplicate)}, {"merge", "merge/" + std::to_string(id)}}}},
      now));
  return m;
}

Result<void> CustomerStore::RecordView(CustomerId id, const audit::Actor& actor) {
  QUIRE_RETURN_IF_ERROR(audit_.Append({actor, "customer.viewed", Object(id), {}}, clock_.Now()));
  return Ok();
}

}  // namespace quire::crm
