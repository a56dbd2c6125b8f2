#include "quire/crm/contacts.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <limits>
#include <set>

#include "quire/base/instant.h"
#include "quire/base/json_fields.h"
#include "quire/base/json_merge_patch.h"
#include "quire/crm/phones.h"
#include "quire/storage/key_codec.h"
#include "record_fields.h"

namespace quire::crm {
namespace json = boost::json;

namespace {

using namespace internal;  // NOLINT: the module's field readers

constexpr storage::ColumnFamily kCrm = storage::ColumnFamily::kCrm;
const std::string kNextContactKey = "n:contact";

std::string Object(ContactId id) { return "contact/" + std::to_string(id); }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string CustomerIndexKey(CustomerId customer, ContactId id) {
  return storage::KeyEncoder().U8('L').U64(customer).U64(id).Take();
}
std::string PhoneKey(std::string_view e164, ContactId id) {
  return storage::KeyEncoder().U8('q').String(e164).U64(id).Take();
}
std::string EmailKey(std::string_view address, ContactId id) {
  return storage::KeyEncoder().U8('m').String(Lower(std::string(address))).U64(id).Take();
}

// Whether any contact person has an e-mail address, as a point key the bloom filters answer
// (an import looks every new row's address up). Written with every 'm' entry; removed with
// the last (DropEmailHints: the key names the address).
std::string EmailHintKey(std::string_view address) {
  return storage::KeyEncoder().U8('h').String(Lower(std::string(address))).Take();
}

json::array LabelledJson(const std::vector<Labelled>& list, const char* key) {
  json::array out;
  for (const Labelled& l : list) out.push_back({{key, l.value}, {"label", l.label}});
  return out;
}

json::object ConsentJson(const Consent& c, bool stored) {
  json::object o{{"granted", c.granted}, {"how", c.how}};
  if (c.at == Timestamp{}) {
    o["changedAt"] = nullptr;
  } else if (stored) {
    o["changedAt"] = Ms(c.at);
  } else {
    o["changedAt"] = FormatInstant(c.at);
  }
  return o;
}

json::object Editable(const Contact& c, bool stored = false) {
  json::array customers;
  for (const CustomerId id : c.customers) {
    customers.push_back(stored ? json::value(id) : json::value(std::to_string(id)));
  }
  return {{"firstName", c.first_name},
          {"lastName", c.last_name},
          {"title", c.title},
          {"customers", std::move(customers)},
          {"emails", LabelledJson(c.emails, "address")},
          {"phones", LabelledJson(c.phones, "number")},
          {"consent",
           {{"email", ConsentJson(c.email_consent, stored)},
            {"sms", ConsentJson(c.sms_consent, stored)},
            {"phone", ConsentJson(c.phone_consent, stored)}}},
          {"owner", c.owner},
          {"notes", c.notes},
          {"externalId", c.external_id},
          {"emailBounced", c.email_bounced},
          {"customFields", c.custom_fields}};
}

json::object ToStored(const Contact& c) {
  json::object o = Editable(c, true);
  if (c.custom_fields.empty()) o.erase("customFields");
  o["id"] = c.id;
  PutStoredStamps(o, c.created_by, c.created_at, c.modified_at);
  return o;
}

// consent.<kind>: {granted, at, how}; granting needs a how, and the time defaults to now.
void ReadConsent(FieldReader& f, const json::object& consent, const char* kind, Consent& out,
                 Timestamp now) {
  const json::value* v = consent.if_contains(kind);
  if (v == nullptr) return;
  const std::string at = std::string("consent.") + kind;
  if (v->is_null()) {
    out = {};
    return;
  }
  if (!v->is_object()) {
    f.Problem(at, "must be {\"granted\": true|false, \"how\", \"changedAt\"}");
    return;
  }
  const json::object& o = v->get_object();
  for (const auto& m : o) {
    if (m.key() != "granted" && m.key() != "how" && m.key() != "changedAt") {
      f.Problem(at + "." + std::string(m.key()),
                "is not a field of a consent (granted, how, changedAt)");
    }
  }
  const Consent before = out;
  if (const json::value* g = o.if_contains("granted")) {
    if (g->is_bool()) {
      out.granted = g->get_bool();
    } else {
      f.Problem(at + ".granted", "must be true or false");
    }
  }
  if (const json::value* h = o.if_contains("how")) f.Text(*h, at + ".how", 200, out.how);
  if (const json::value* t = o.if_contains("changedAt"); t != nullptr && !t->is_null()) {
    if (auto when = f.Instant(*t, at + ".changedAt")) {
      if (*when > now) {
        f.Problem(at + ".changedAt", "is in the future: consent is recorded once given");
      } else {
        out.at = *when;
      }
    }
  } else if (out.granted != before.granted || out.at == Timestamp{}) {
    out.at = now;
  }
  if (out.granted && out.how.empty()) {
    f.Problem(at + ".how",
              "is required when consent is given: say how (web form, signed "
              "paper, phone call, ...)");
  }
}

void ReadContact(const json::object& in, Contact& c, std::vector<ErrorDetail>& problems,
                 Timestamp now) {
  FieldReader f(in, problems);
  f.Known({"firstName", "lastName", "title", "customers", "emails", "phones", "consent", "owner",
           "notes", "externalId", "emailBounced", "customFields"},
          "a contact person",
          "firstName, lastName, title, customers, emails, phones, consent, owner, notes, "
          "externalId, emailBounced, customFields");
  f.Text("firstName", 100, c.first_name);
  f.Text("lastName", 150, c.last_name);
  if (c.first_name.empty() && c.last_name.empty()) {
    f.Problem("lastName", "is required (or firstName): a contact person has a name");
  }
  f.Text("title", 100, c.title);
  f.List("customers", 50, c.customers,
         [&](const json::value& v, const std::string& at) { return f.Id(v, at, "a customer"); });
  f.Emails(c.emails);
  f.Phones(c.phones);
  if (const json::value* v = f.Get("consent")) {
    if (v->is_null()) {
      c.email_consent = c.sms_consent = c.phone_consent = {};
    } else if (!v->is_object()) {
      f.Problem("consent", "must be {\"email\", \"sms\", \"phone\"}, each {\"granted\", \"how\"}");
    } else {
      for (const auto& m : v->get_object()) {
        if (m.key() != "email" && m.key() != "sms" && m.key() != "phone") {
          f.Problem("consent." + std::string(m.key()),
                    "is not a kind of consent (email, sms, phone)");
        }
      }
      ReadConsent(f, v->get_object(), "email", c.email_consent, now);
      ReadConsent(f, v->get_object(), "sms", c.sms_consent, now);
      ReadConsent(f, v->get_object(), "phone", c.phone_consent, now);
    }
  }
  f.Text("owner", 128, c.owner);
  f.Text("notes", 10'000, c.notes);
  f.Text("externalId", 100, c.external_id);
  if (const json::value* v = f.Get("emailBounced")) {
    if (v->is_bool()) {
      c.email_bounced = v->get_bool();
    } else if (!v->is_null()) {
      f.Problem("emailBounced", "must be true or false");
    }
  }
}

std::vector<Labelled> LabelledOf(const json::object& o, const char* field, const char* key) {
  std::vector<Labelled> out;
  for (const json::value& e : ArrOf(o, field)) {
    if (e.is_object()) out.push_back({StrOf(e.get_object(), key), StrOf(e.get_object(), "label")});
  }
  return out;
}

Consent ConsentOf(const json::object& o, const char* kind) {
  Consent c;
  const json::value* consent = o.if_contains("consent");
  if (consent == nullptr || !consent->is_object()) return c;
  const json::value* v = consent->get_object().if_contains(kind);
  if (v == nullptr || !v->is_object()) return c;
  const json::object& k = v->get_object();
  const json::value* granted = k.if_contains("granted");
  c.granted = granted != nullptr && granted->is_bool() && granted->get_bool();
  c.how = StrOf(k, "how");
  c.at = FromMs(IntOf(k, "changedAt"));
  return c;
}

}  // namespace

std::string Contact::name() const {
  if (first_name.empty()) return last_name;
  if (last_name.empty()) return first_name;
  return first_name + " " + last_name;
}

json::object Contact::ToJson() const {
  json::object o{{"id", std::to_string(id)}, {"name", name()}};
  for (auto& m : Editable(*this)) o[m.key()] = m.value();
  PutAnsweredStamps(o, created_by, created_at, modified_at);
  return o;
}

ContactStore::ContactStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock,
                           const CustomerStore& customers)
    : store_(store), audit_(audit), clock_(clock), customers_(customers) {}

std::string ContactStore::Key(ContactId id) { return storage::KeyEncoder().U8('C').U64(id).Take(); }

Result<Contact> ContactStore::FromStored(std::string_view text) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(text, "contact person"));
  Contact c;
  c.id = static_cast<ContactId>(IntOf(o, "id"));
  c.first_name = StrOf(o, "firstName");
  c.last_name = StrOf(o, "lastName");
  c.title = StrOf(o, "title");
  for (const json::value& id : ArrOf(o, "customers")) {
    if (id.is_int64() || id.is_uint64()) c.customers.push_back(id.to_number<CustomerId>());
  }
  c.emails = LabelledOf(o, "emails", "address");
  c.phones = LabelledOf(o, "phones", "number");
  c.email_consent = ConsentOf(o, "email");
  c.sms_consent = ConsentOf(o, "sms");
  c.phone_consent = ConsentOf(o, "phone");
  c.owner = StrOf(o, "owner");
  c.notes = StrOf(o, "notes");
  c.external_id = StrOf(o, "externalId");
  const json::value* bounced = o.if_contains("emailBounced");
  c.email_bounced = bounced != nullptr && bounced->is_bool() && bounced->get_bool();
  if (const json::value* cf = o.if_contains("customFields"); cf != nullptr && cf->is_object()) {
    c.custom_fields = cf->get_object();
  }
  ReadStoredStamps(o, c.created_by, c.created_at, c.modified_at);
  return c;
}

Result<Contact> ContactStore::Get(ContactId id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text, store_.Get(kCrm, Key(id)));
  if (!text) return Error::NotFound("contact person " + std::to_string(id) + " does not exist");
  return FromStored(*text);
}

Result<Contact> ContactStore::Check(Contact c, const json::object& fields,
                                    const Contact* before) const {
  std::vector<ErrorDetail> problems;
  ReadContact(fields, c, problems, clock_.Now());
  c.custom_fields = customers_.schema().CheckCustomFields(
      "contact", fields, before ? &before->custom_fields : nullptr, problems);
  for (std::size_t i = 0; i < c.customers.size(); ++i) {
    QUIRE_ASSIGN_OR_RETURN(const bool exists, customers_.Exists(c.customers[i]));
    if (!exists) {
      problems.push_back({"customers[" + std::to_string(i) + "]",
                          "customer " + std::to_string(c.customers[i]) + " does not exist"});
    }
  }
  if (!c.external_id.empty()) {
    QUIRE_ASSIGN_OR_RETURN(std::optional<ContactId> holder, FindByExternalId(c.external_id));
    if (holder && *holder != c.id) {
      problems.push_back({"externalId", "'" + c.external_id + "' is contact person " +
                                            std::to_string(*holder) +
                                            "'s already: change that one (a re-import does)"});
    }
  }
  if (!problems.empty()) return Invalid("the contact person", std::move(problems));
  return c;
}

void ContactStore::Index(const Contact* before, const Contact* after, storage::WriteBatch& batch) {
  auto keys = [](const Contact* c) {
    std::set<std::string> out;
    if (c == nullptr) return out;
    for (const CustomerId customer : c->customers) out.insert(CustomerIndexKey(customer, c->id));
    for (const Labelled& p : c->phones) out.insert(PhoneKey(p.value, c->id));
    for (const Labelled& e : c->emails) out.insert(EmailKey(e.value, c->id));
    return out;
  };
  UpdateIndex(keys(before), keys(after), batch);
  if (after != nullptr) {
    for (const Labelled& e : after->emails) batch.Put(kCrm, EmailHintKey(e.value), "");
  }
  UpdateUniqueKey('x', before ? before->external_id : "", before ? before->id : 0,
                  after ? after->external_id : "", after ? after->id : 0, batch);
}

Result<void> ContactStore::DropEmailHints(const Contact& was, const Contact* now,
                                          storage::WriteBatch& batch) const {
  for (const Labelled& e : was.emails) {
    const std::string address = Lower(std::string(e.value));
    const bool kept = now != nullptr &&
                      std::any_of(now->emails.begin(), now->emails.end(), [&](const Labelled& x) {
                        return Lower(std::string(x.value)) == address;
                      });
    if (kept) continue;
    QUIRE_RETURN_IF_ERROR(DropHintIfLast(store_,
                                         storage::KeyEncoder().U8('m').String(address).Take(),
                                         was.id, EmailHintKey(address), batch));
  }
  return Ok();
}

Result<std::size_t> ContactStore::Reindex() {
  std::lock_guard lock(write_mu_);
  storage::WriteBatch batch;
  // External ids moved from x ext id → "" to x ext → id, e-mail hints are new: rebuilt from
  // nothing (the other entries are written again as they are).
  batch.DeleteRange(kCrm, "x", "y");
  batch.DeleteRange(kCrm, "h", "i");
  return ReindexAll(store_, 'C', std::move(batch), FromStored,
                    [](const Contact& c, storage::WriteBatch& b) { Index(nullptr, &c, b); });
}

Result<Contact> ContactStore::Validate(const json::object& fields, const audit::Actor& actor,
                                       const Contact* before) const {
  Contact blank;
  blank.id = before != nullptr ? before->id : 0;
  blank.owner = actor.id;
  QUIRE_ASSIGN_OR_RETURN(Contact c, Check(std::move(blank), fields, before));
  if (c.owner.empty()) c.owner = actor.id;
  return c;
}

Result<Contact> ContactStore::Create(const json::object& fields, const audit::Actor& actor) {
  Bulk bulk(*this);
  QUIRE_ASSIGN_OR_RETURN(Contact c, bulk.Create(fields, actor));
  QUIRE_RETURN_IF_ERROR(bulk.Commit());
  return c;
}

Result<Contact> ContactStore::Update(ContactId id, const json::object& patch,
                                     const audit::Actor& actor) {
  Bulk bulk(*this);
  QUIRE_ASSIGN_OR_RETURN(Contact c, bulk.Update(id, patch, actor));
  QUIRE_RETURN_IF_ERROR(bulk.Commit());
  return c;
}

ContactStore::Bulk::Bulk(ContactStore& store)
    : store_(store), lock_(store.write_mu_), staged_(store.audit_) {}

Result<void> ContactStore::Bulk::Commit() { return staged_.Commit(); }

Result<Contact> ContactStore::Bulk::Create(const json::object& fields, const audit::Actor& actor) {
  // Checked under the lock: an external id is unique (one staged is seen once committed).
  if (staged_.SetsExternalId(fields)) QUIRE_RETURN_IF_ERROR(Commit());
  QUIRE_ASSIGN_OR_RETURN(Contact c, store_.Validate(fields, actor));
  return Stage(std::move(c), fields, actor, /*checked_external_id=*/true);
}

Result<Contact> ContactStore::Bulk::Create(Contact checked, const json::object& fields,
                                           const audit::Actor& actor) {
  return Stage(std::move(checked), fields, actor, /*checked_external_id=*/false);
}

Result<Contact> ContactStore::Bulk::Stage(Contact c, const json::object& fields,
                                          const audit::Actor& actor, bool checked_external_id) {
  if (!checked_external_id && !c.external_id.empty()) {
    if (staged_.HoldsExternalId(c.external_id)) QUIRE_RETURN_IF_ERROR(Commit());
    QUIRE_ASSIGN_OR_RETURN(std::optional<ContactId> holder, store_.FindByExternalId(c.external_id));
    if (holder) {
      return Invalid(
          "the contact person",
          {{"externalId", "'" + c.external_id + "' is contact person " + std::to_string(*holder) +
                              "'s already: change that one (a re-import does)"}});
    }
  }
  if (next_id_ == 0) {
    QUIRE_ASSIGN_OR_RETURN(next_id_, NextId(store_.store_, kNextContactKey));
  }
  c.id = next_id_++;
  c.created_by = actor.id;
  c.created_at = c.modified_at = store_.clock_.Now();
  staged_.batch().Put(kCrm, Key(c.id), json::serialize(ToStored(c)));
  staged_.batch().Put(kCrm, kNextContactKey, std::to_string(next_id_));
  Index(nullptr, &c, staged_.batch());
  staged_.Add({actor, "contact.created", Object(c.id), {{"fields", FieldNames(fields)}}},
              c.created_at, c.id, c.external_id);
  return c;
}

Result<Contact> ContactStore::Bulk::Update(ContactId id, const json::object& patch,
                                           const audit::Actor& actor) {
  // The record as stored, and every external id checked against the store.
  if (staged_.Holds(id) || staged_.SetsExternalId(patch)) {
    QUIRE_RETURN_IF_ERROR(Commit());
  }
  QUIRE_ASSIGN_OR_RETURN(Contact before, store_.Get(id));
  Contact blank;
  blank.id = id;
  blank.created_by = before.created_by;
  blank.created_at = before.created_at;
  // Consents keep their times unless the patch changes them.
  blank.email_consent = before.email_consent;
  blank.sms_consent = before.sms_consent;
  blank.phone_consent = before.phone_consent;
  json::object merged = MergePatch(Editable(before), patch);
  // A consent granted or withdrawn by the patch without a time is recorded now, not at the
  // time the old state was given.
  if (const json::value* pc = patch.if_contains("consent"); pc != nullptr && pc->is_object()) {
    for (const auto& kind : pc->get_object()) {
      if (!kind.value().is_object() || kind.value().get_object().contains("changedAt")) continue;
      if (json::value* mc = merged.if_contains("consent"); mc != nullptr && mc->is_object()) {
        if (json::value* k = mc->get_object().if_contains(kind.key()); k && k->is_object()) {
          k->get_object().erase("changedAt");
        }
      }
    }
  }
  QUIRE_ASSIGN_OR_RETURN(Contact c, store_.Check(std::move(blank), merged, &before));
  c.modified_at = store_.clock_.Now();
  const bool emails_changed =
      std::any_of(before.emails.begin(), before.emails.end(), [&](const Labelled& e) {
        return std::none_of(c.emails.begin(), c.emails.end(),
                            [&](const Labelled& x) { return x.value == e.value; });
      });
  if (emails_changed && staged_.size() > 0) {
    // Whether another contact holds a dropped address is read from the store: staged
    // writes first.
    QUIRE_RETURN_IF_ERROR(Commit());
  }
  QUIRE_RETURN_IF_ERROR(store_.DropEmailHints(before, &c, staged_.batch()));
  staged_.batch().Put(kCrm, Key(id), json::serialize(ToStored(c)));
  Index(&before, &c, staged_.batch());
  staged_.Add({actor, "contact.changed", Object(id), {{"fields", FieldNames(patch)}}},
              c.modified_at, id, c.external_id);
  return c;
}

Result<Contact> ContactStore::Erase(ContactId id, const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Contact before, Get(id));
  Contact c;
  c.id = id;
  c.last_name = "Erased contact " + std::to_string(id);
  c.customers = before.customers;
  c.owner = before.owner;
  c.created_by = before.created_by;
  c.created_at = before.created_at;
  c.modified_at = clock_.Now();
  storage::WriteBatch batch;
  QUIRE_RETURN_IF_ERROR(DropEmailHints(before, &c, batch));
  batch.Put(kCrm, Key(id), json::serialize(ToStored(c)));
  Index(&before, &c, batch);
  QUIRE_RETURN_IF_ERROR(
      audit_.Commit(std::move(batch), {{actor, "contact.erased", Object(id), {}}}, c.modified_at));
  return c;
}

Result<std::vector<ContactId>> ContactStore::MoveCustomer(CustomerId from, CustomerId to,
                                                          const std::vector<ContactId>& only,
                                                          const audit::Actor& actor) {
  std::vector<ContactId> ids = only;
  if (ids.empty()) {
    QUIRE_ASSIGN_OR_RETURN(ids, IdsUnder(store_, storage::KeyEncoder().U8('L').U64(from).Take(),
                                         std::numeric_limits<std::size_t>::max()));
  }
  std::vector<ContactId> moved;
  Bulk bulk(*this);
  for (const ContactId id : ids) {
    auto c = Get(id);
    if (!c && c.error().code() == ErrorCode::kNotFound) continue;
    QUIRE_RETURN_IF_ERROR(c);
    if (std::find(c->customers.begin(), c->customers.end(), from) == c->customers.end()) continue;
    json::array customers;
    std::set<CustomerId> seen;
    for (CustomerId k : c->customers) {
      if (k == from) k = to;
      if (seen.insert(k).second) customers.emplace_back(std::to_string(k));
    }
    QUIRE_RETURN_IF_ERROR(
        bulk.Update(id, json::object{{"customers", std::move(customers)}}, actor));
    moved.push_back(id);
    if (bulk.staged() >= 1000) QUIRE_RETURN_IF_ERROR(bulk.Commit());
  }
  QUIRE_RETURN_IF_ERROR(bulk.Commit());
  return moved;
}

Result<std::vector<Contact>> ContactStore::OfCustomer(CustomerId customer,
                                                      std::size_t limit) const {
  std::vector<Contact> out;
  const std::string prefix = storage::KeyEncoder().U8('L').U64(customer).Take();
  auto it = store_.ScanPrefix(kCrm, prefix);
  for (; it.Valid() && out.size() < limit; it.Next()) {
    storage::KeyDecoder key(it.key().substr(prefix.size()));
    QUIRE_ASSIGN_OR_RETURN(const ContactId id, key.U64());
    QUIRE_ASSIGN_OR_RETURN(Contact c, Get(id));
    out.push_back(std::move(c));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return out;
}

Result<ContactStore::Page> ContactStore::List(
    ContactId after, std::size_t limit, const std::function<Result<bool>(const Contact&)>& keep,
    std::size_t budget) const {
  Page page;
  auto it = store_.ScanPrefix(kCrm, std::string(1, 'C'));
  it.Seek(Key(after + 1));
  ContactId last_seen = after;
  std::size_t looked = 0;
  for (; it.Valid(); it.Next()) {
    if (page.contacts.size() == limit || looked == budget) {
      page.next = last_seen;
      return page;
    }
    ++looked;
    QUIRE_ASSIGN_OR_RETURN(Contact c, FromStored(it.value()));
    last_seen = c.id;
    QUIRE_ASSIGN_OR_RETURN(bool kept, keep(c));
    if (kept) page.contacts.push_back(std::move(c));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return page;
}

Result<std::vector<ContactId>> ContactStore::FindByPhone(std::string_view typed,
                                                         std::size_t limit) const {
  auto e164 = NormalizePhone(typed);
  if (!e164) return std::vector<ContactId>{};
  return IdsUnder(store_, storage::KeyEncoder().U8('q').String(*e164).Take(), limit);
}

Result<std::vector<ContactId>> ContactStore::FindByEmail(std::string_view address,
                                                         std::size_t limit) const {
  const std::string key = Lower(Trim(address));
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> hint, store_.Get(kCrm, EmailHintKey(key)));
  if (!hint) return std::vector<ContactId>{};
  return IdsUnder(store_, storage::KeyEncoder().U8('m').String(key).Take(), limit);
}

Result<std::optional<ContactId>> ContactStore::FindByExternalId(
    std::string_view external_id) const {
  return FindUnique(store_, 'x', external_id);
}

}  // namespace quire::crm
