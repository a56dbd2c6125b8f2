#include "quire/crm/questionnaires.h"

#include <sodium.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "quire/base/instant.h"
#include "quire/definitions/camunda_form.h"
#include "quire/definitions/typed_fields.h"
#include "record_fields.h"

namespace quire::crm {
namespace json = boost::json;
using internal::EachNewestFirst;
using internal::NextId;
namespace {

constexpr storage::ColumnFamily kCrm = storage::ColumnFamily::kCrm;
const std::string kNextQuestionnaire = "n:questionnaire";
const std::string kNextInvitation = "n:invitation";
const std::string kNextResponse = "n:response";

std::string K(char kind) { return storage::KeyEncoder().U8('I').U8(kind).Take(); }
std::string K(char kind, std::uint64_t a) {
  return storage::KeyEncoder().U8('I').U8(kind).U64(a).Take();
}
std::string K(char kind, std::uint64_t a, std::uint64_t b) {
  return storage::KeyEncoder().U8('I').U8(kind).U64(a).U64(b).Take();
}

json::value IdOrNull(std::uint64_t id) {
  return id == 0 ? json::value(nullptr) : json::value(std::to_string(id));
}
std::uint64_t IdOf(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return 0;
  std::uint64_t n = 0;
  const std::string_view s = v->get_string();
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  return ec == std::errc() && p == s.data() + s.size() ? n : 0;
}
std::string Text(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}
Timestamp TimeOf(const json::object& o, std::string_view key) {
  auto t = ParseInstant(Text(o, key));
  return t ? *t : Timestamp{};
}

Result<json::object> ParseStored(std::string_view raw, const char* what) {
  json::error_code ec;
  json::value v = json::parse(raw, ec);
  if (ec || !v.is_object())
    return Error::Corruption(std::string("a stored ") + what + " is not JSON");
  return std::move(v.get_object());
}

Error UnknownLink() {
  return Error::NotFound(
      "this questionnaire link is not valid: check that it was copied whole, or ask the sender "
      "for a new one");
}

}  // namespace

json::object Questionnaire::ToJson() const {
  json::error_code ec;
  json::value f = json::parse(form, ec);
  return {{"id", std::to_string(id)},
          {"name", name},
          {"description", description},
          {"form", ec ? json::value(nullptr) : std::move(f)},
          {"campaign", campaign.empty() ? json::value(nullptr) : json::value(campaign)},
          {"createdBy", created_by},
          {"createdAt", FormatInstant(created_at)}};
}

json::object Invitation::ToJson() const {
  return {{"id", std::to_string(id)},
          {"questionnaire", std::to_string(questionnaire)},
          {"contact", IdOrNull(contact)},
          {"customer", IdOrNull(customer)},
          {"campaign", campaign.empty() ? json::value(nullptr) : json::value(campaign)},
          {"sentBy", sent_by},
          {"createdAt", FormatInstant(created_at)},
          {"expiresAt", FormatInstant(expires_at)},
          {"response", IdOrNull(response)}};
}

json::object QuestionnaireResponse::ToJson() const {
  return {{"id", std::to_string(id)},
          {"questionnaire", std::to_string(questionnaire)},
          {"invitation", std::to_string(invitation)},
          {"contact", IdOrNull(contact)},
          {"customer", IdOrNull(customer)},
          {"campaign", campaign.empty() ? json::value(nullptr) : json::value(campaign)},
          {"employee", employee},
          {"answers", answers},
          {"answeredAt", FormatInstant(answered_at)}};
}

json::object QuestionnaireStats::ToJson() const {
  auto count = [](const Count& c) {
    return json::object{{"sent", c.sent}, {"answered", c.answered}};
  };
  json::object campaigns, employees;
  for (const auto& [k, c] : by_campaign) campaigns[k.empty() ? "none" : k] = count(c);
  for (const auto& [k, c] : by_employee) employees[k] = count(c);
  return {{"sent", total.sent},
          {"answered", total.answered},
          {"byCampaign", std::move(campaigns)},
          {"byEmployee", std::move(employees)}};
}

Result<Questionnaire> QuestionnaireStore::Create(const json::object& fields,
                                                 const audit::Actor& actor) {
  std::vector<ErrorDetail> problems;
  for (const auto& kv : fields) {
    if (kv.key() != "name" && kv.key() != "description" && kv.key() != "form" &&
        kv.key() != "campaign") {
      problems.push_back({std::string(kv.key()),
                          "is not a field of a questionnaire: name, description, form, campaign"});
    }
  }
  Questionnaire q;
  q.name = Text(fields, "name");
  q.description = Text(fields, "description");
  q.campaign = Text(fields, "campaign");
  if (q.name.empty()) problems.push_back({"name", "is required"});
  if (q.name.size() > 200) problems.push_back({"name", "is longer than 200 bytes"});
  if (q.description.size() > 5000) problems.push_back({"description", "is longer than 5000 bytes"});
  const json::value* form = fields.if_contains("form");
  if (form == nullptr || !form->is_object()) {
    problems.push_back({"form",
                        "is required: a Camunda Forms schema (what form-js and Camunda "
                        "Modeler's form editor save)"});
  } else {
    q.form = json::serialize(*form);
    auto read = definitions::ReadCamundaForm(q.form);
    if (!read) {
      for (const ErrorDetail& d : read.error().details()) {
        problems.push_back({"form." + d.field, d.message});
      }
      if (read.error().details().empty()) problems.push_back({"form", read.error().message()});
    } else if (read->fields.empty()) {
      problems.push_back({"form", "asks nothing: it has no field with a key"});
    }
  }
  if (!problems.empty()) {
    return Error::ValidationFailed("the questionnaire has " + std::to_string(problems.size()) +
                                       (problems.size() == 1 ? " error" : " errors") +
                                       "; nothing was saved",
                                   std::move(problems));
  }
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(q.id, NextId(store_, kNextQuestionnaire));
  q.created_by = actor.id;
  q.created_at = clock_.Now();
  storage::WriteBatch batch;
  batch.Put(kCrm, kNextQuestionnaire, std::to_string(q.id + 1));
  batch.Put(kCrm, K('q', q.id), json::serialize(q.ToJson()));
  QUIRE_RETURN_IF_ERROR(
      audit_.Commit(std::move(batch),
                    {{actor, "questionnaire.created", "questionnaire/" + std::to_string(q.id), {}}},
                    q.created_at));
  return q;
}

Result<Questionnaire> QuestionnaireStore::Get(std::uint64_t id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(kCrm, K('q', id)));
  if (!raw) return Error::NotFound("there is no questionnaire " + std::to_string(id));
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseStored(*raw, "questionnaire"));
  Questionnaire q;
  q.id = id;
  q.name = Text(o, "name");
  q.description = Text(o, "description");
  if (const json::value* f = o.if_contains("form"); f != nullptr && f->is_object()) {
    q.form = json::serialize(*f);
  }
  q.campaign = Text(o, "campaign");
  q.created_by = Text(o, "createdBy");
  q.created_at = TimeOf(o, "createdAt");
  return q;
}

Result<std::vector<Questionnaire>> QuestionnaireStore::List() const {
  std::vector<Questionnaire> out;
  QUIRE_RETURN_IF_ERROR(
      EachNewestFirst(store_, K('q'), 0, [&](std::uint64_t id, std::string_view) -> Result<bool> {
        QUIRE_ASSIGN_OR_RETURN(Questionnaire q, Get(id));
        out.push_back(std::move(q));
        return out.size() < 1000;
      }));
  return out;
}

Result<std::vector<definitions::FormField>> QuestionnaireStore::FieldsOf(
    const Questionnaire& q) const {
  QUIRE_ASSIGN_OR_RETURN(definitions::CamundaForm form, definitions::ReadCamundaForm(q.form));
  return form.fields;
}

Result<std::string> QuestionnaireStore::Key() const {
  std::lock_guard lock(key_mu_);
  if (!key_.empty()) return key_;
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> stored, store_.Get(kCrm, K('k')));
  if (stored && stored->size() == crypto_auth_KEYBYTES) {
    key_ = *stored;
    return key_;
  }
  std::string fresh(crypto_auth_KEYBYTES, '\0');
  crypto_auth_keygen(reinterpret_cast<unsigned char*>(fresh.data()));
  storage::WriteBatch batch;
  batch.Put(kCrm, K('k'), fresh);
  QUIRE_RETURN_IF_ERROR(store_.Write(batch));
  key_ = fresh;
  return key_;
}

Result<std::string> QuestionnaireStore::Sign(std::uint64_t invitation, std::int64_t expiry) const {
  QUIRE_ASSIGN_OR_RETURN(std::string key, Key());
  const std::string message =
      "quire-questionnaire:" + std::to_string(invitation) + ":" + std::to_string(expiry);
  unsigned char mac[crypto_auth_BYTES];
  crypto_auth(mac, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
              reinterpret_cast<const unsigned char*>(key.data()));
  std::string hex(crypto_auth_BYTES * 2, '\0');
  sodium_bin2hex(hex.data(), hex.size() + 1, mac, sizeof mac);
  return "q" + std::to_string(invitation) + "-" + std::to_string(expiry) + "-" + hex;
}

Result<QuestionnaireStore::Issued> QuestionnaireStore::Invite(
    std::uint64_t questionnaire, std::uint64_t contact, std::uint64_t customer,
    std::chrono::hours valid_for, const audit::Actor& actor, std::string campaign) {
  if (sodium_init() < 0) return Error::Internal("libsodium failed to start");
  QUIRE_ASSIGN_OR_RETURN(Questionnaire q, Get(questionnaire));
  QUIRE_ASSIGN_OR_RETURN(Contact c, contacts_.Get(contact));
  if (valid_for < std::chrono::hours(1) || valid_for > std::chrono::hours(24 * 366)) {
    return Error::ValidationFailed("the invitation has 1 error; nothing was sent",
                                   {{"expiresInDays", "is from 1 to 366 days"}});
  }
  Invitation inv;
  inv.questionnaire = q.id;
  inv.contact = c.id;
  inv.customer = customer != 0 ? customer : (c.customers.empty() ? 0 : c.customers.front());
  inv.campaign = campaign.empty() ? q.campaign : std::move(campaign);
  inv.sent_by = actor.id;
  inv.created_at = clock_.Now();
  inv.expires_at = std::chrono::time_point_cast<std::chrono::seconds>(inv.created_at + valid_for);
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(inv.id, NextId(store_, kNextInvitation));
  const std::int64_t expiry =
      std::chrono::duration_cast<std::chrono::seconds>(inv.expires_at.time_since_epoch()).count();
  QUIRE_ASSIGN_OR_RETURN(std::string token, Sign(inv.id, expiry));
  storage::WriteBatch batch;
  batch.Put(kCrm, kNextInvitation, std::to_string(inv.id + 1));
  batch.Put(kCrm, K('i', inv.id), json::serialize(inv.ToJson()));
  batch.Put(kCrm, K('I', q.id, inv.id), "");
  QUIRE_RETURN_IF_ERROR(audit_.Commit(
      std::move(batch),
      {{actor,
        "questionnaire.invited",
        "questionnaire/" + std::to_string(q.id),
        {{"invitation", std::to_string(inv.id)}, {"contact", "contact/" + std::to_string(c.id)}}}},
      inv.created_at));
  return Issued{inv, token};
}

Result<Invitation> QuestionnaireStore::GetInvitation(std::uint64_t id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(kCrm, K('i', id)));
  if (!raw) return Error::NotFound("there is no invitation " + std::to_string(id));
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseStored(*raw, "invitation"));
  Invitation inv;
  inv.id = id;
  inv.questionnaire = IdOf(o, "questionnaire");
  inv.contact = IdOf(o, "contact");
  inv.customer = IdOf(o, "customer");
  inv.campaign = Text(o, "campaign");
  inv.sent_by = Text(o, "sentBy");
  inv.created_at = TimeOf(o, "createdAt");
  inv.expires_at = TimeOf(o, "expiresAt");
  inv.response = IdOf(o, "response");
  return inv;
}

Result<Invitation> QuestionnaireStore::Open(std::string_view token) const {
  // q<id>-<expiry>-<64 hex>
  if (token.size() < 70 || token.size() > 120 || token[0] != 'q') return UnknownLink();
  const std::size_t dash1 = token.find('-');
  const std::size_t dash2 = token.find('-', dash1 + 1);
  if (dash1 == std::string_view::npos || dash2 == std::string_view::npos) return UnknownLink();
  std::uint64_t id = 0;
  std::int64_t expiry = 0;
  auto [p1, e1] = std::from_chars(token.data() + 1, token.data() + dash1, id);
  auto [p2, e2] = std::from_chars(token.data() + dash1 + 1, token.data() + dash2, expiry);
  if (e1 != std::errc() || p1 != token.data() + dash1 || e2 != std::errc() ||
      p2 != token.data() + dash2) {
    return UnknownLink();
  }
  QUIRE_ASSIGN_OR_RETURN(std::string expected, Sign(id, expiry));
  if (expected.size() != token.size() ||
      sodium_memcmp(expected.data(), token.data(), token.size()) != 0) {
    return UnknownLink();
  }
  auto inv = GetInvitation(id);
  if (!inv) {
    if (inv.error().code() == ErrorCode::kNotFound) return UnknownLink();
    return inv.error();
  }
  if (clock_.Now() >= inv->expires_at) {
    return Error::Forbidden("this questionnaire link expired on " + FormatInstant(inv->expires_at) +
                            ": ask the sender for a new one");
  }
  if (inv->response != 0) {
    return Error::Conflict("this questionnaire was answered already: thank you");
  }
  return inv;
}

Result<QuestionnaireResponse> QuestionnaireStore::Answer(std::string_view token,
                                                         const json::object& answers) {
  QUIRE_ASSIGN_OR_RETURN(Invitation opened, Open(token));
  QUIRE_ASSIGN_OR_RETURN(Questionnaire q, Get(opened.questionnaire));
  QUIRE_ASSIGN_OR_RETURN(std::vector<definitions::FormField> fields, FieldsOf(q));
  std::vector<ErrorDetail> problems;
  definitions::FieldCheck check;
  check.refuse_unknown = true;
  check.owner = "the questionnaire";
  json::object checked = definitions::CheckFields(fields, answers, check, problems);
  if (!problems.empty()) {
    return Error::ValidationFailed("the answers have " + std::to_string(problems.size()) +
                                       (problems.size() == 1 ? " error" : " errors") +
                                       "; nothing was sent",
                                   std::move(problems));
  }
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Invitation inv, GetInvitation(opened.id));  // answered meanwhile?
  if (inv.response != 0)
    return Error::Conflict("this questionnaire was answered already: thank you");
  QuestionnaireResponse r;
  QUIRE_ASSIGN_OR_RETURN(r.id, NextId(store_, kNextResponse));
  r.questionnaire = q.id;
  r.invitation = inv.id;
  r.contact = inv.contact;
  r.customer = inv.customer;
  r.campaign = inv.campaign;
  r.employee = inv.sent_by;
  r.answers = std::move(checked);
  r.answered_at = clock_.Now();
  inv.response = r.id;
  storage::WriteBatch batch;
  batch.Put(kCrm, kNextResponse, std::to_string(r.id + 1));
  batch.Put(kCrm, K('r', r.id), json::serialize(r.ToJson()));
  batch.Put(kCrm, K('R', q.id, r.id), "");
  if (r.contact != 0) batch.Put(kCrm, K('c', r.contact, r.id), "");
  if (r.customer != 0) batch.Put(kCrm, K('C', r.customer, r.id), "");
  batch.Put(kCrm, K('i', inv.id), json::serialize(inv.ToJson()));
  QUIRE_RETURN_IF_ERROR(audit_.Commit(
      std::move(batch),
      {{audit::Actor("respondent"),
        "questionnaire.answered",
        "questionnaire/" + std::to_string(q.id),
        {{"invitation", std::to_string(inv.id)}, {"response", std::to_string(r.id)}}}},
      r.answered_at));
  return r;
}

Result<QuestionnaireResponse> QuestionnaireStore::GetResponse(std::uint64_t id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(kCrm, K('r', id)));
  if (!raw) return Error::NotFound("there is no response " + std::to_string(id));
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseStored(*raw, "response"));
  QuestionnaireResponse r;
  r.id = id;
  r.questionnaire = IdOf(o, "questionnaire");
  r.invitation = IdOf(o, "invitation");
  r.contact = IdOf(o, "contact");
  r.customer = IdOf(o, "customer");
  r.campaign = Text(o, "campaign");
  r.employee = Text(o, "employee");
  if (const json::value* a = o.if_contains("answers"); a != nullptr && a->is_object()) {
    r.answers = a->get_object();
  }
  r.answered_at = TimeOf(o, "answeredAt");
  return r;
}

Result<std::vector<QuestionnaireResponse>> QuestionnaireStore::ResponsesUnder(
    const std::string& prefix, std::size_t limit, std::uint64_t after) const {
  std::vector<QuestionnaireResponse> out;
  QUIRE_RETURN_IF_ERROR(EachNewestFirst(
      store_, prefix, after, [&](std::uint64_t id, std::string_view) -> Result<bool> {
        QUIRE_ASSIGN_OR_RETURN(QuestionnaireResponse r, GetResponse(id));
        out.push_back(std::move(r));
        return out.size() < limit;
      }));
  return out;
}

Result<std::vector<QuestionnaireResponse>> QuestionnaireStore::Responses(
    std::uint64_t questionnaire, std::size_t limit, std::uint64_t after) const {
  return ResponsesUnder(K('R', questionnaire), limit, after);
}
Result<std::vector<QuestionnaireResponse>> QuestionnaireStore::ResponsesOfContact(
    std::uint64_t contact) const {
  return ResponsesUnder(K('c', contact), 1000, 0);
}
Result<std::vector<QuestionnaireResponse>> QuestionnaireStore::ResponsesOfCustomer(
    std::uint64_t customer) const {
  return ResponsesUnder(K('C', customer), 1000, 0);
}

Result<QuestionnaireStats> QuestionnaireStore::Stats(
    std::uint64_t questionnaire, const std::function<Result<bool>(const Invitation&)>& keep) const {
  QUIRE_ASSIGN_OR_RETURN(Questionnaire q, Get(questionnaire));
  (void)q;
  QuestionnaireStats s;
  QUIRE_RETURN_IF_ERROR(EachNewestFirst(
      store_, K('I', questionnaire), 0, [&](std::uint64_t id, std::string_view) -> Result<bool> {
        QUIRE_ASSIGN_OR_RETURN(Invitation inv, GetInvitation(id));
        QUIRE_ASSIGN_OR_RETURN(bool counted, keep(inv));
        if (!counted) return true;
        const bool answered = inv.response != 0;
        for (QuestionnaireStats::Count* c :
             {&s.total, &s.by_campaign[inv.campaign], &s.by_employee[inv.sent_by]}) {
          ++c->sent;
          if (answered) ++c->answered;
        }
        return true;
      }));
  return s;
}

Result<std::set<std::uint64_t>> QuestionnaireStore::InvitedContacts(
    std::uint64_t questionnaire) const {
  std::set<std::uint64_t> out;
  QUIRE_RETURN_IF_ERROR(EachNewestFirst(store_, K('I', questionnaire), 0,
                                        [&](std::uint64_t id, std::string_view) -> Result<bool> {
                                          QUIRE_ASSIGN_OR_RETURN(Invitation inv, GetInvitation(id));
                                          out.insert(inv.contact);
                                          return true;
                                        }));
  return out;
}

Result<std::size_t> QuestionnaireStore::EraseUnder(const std::string& prefix,
                                                   const std::string& object,
                                                   const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(std::vector<QuestionnaireResponse> all,
                         ResponsesUnder(prefix, SIZE_MAX, 0));
  storage::WriteBatch batch;
  std::size_t erased = 0;
  for (QuestionnaireResponse& r : all) {
    if (r.answers.empty()) continue;
    r.answers.clear();
    batch.Put(kCrm, K('r', r.id), json::serialize(r.ToJson()));
    ++erased;
  }
  if (erased == 0) return erased;
  QUIRE_RETURN_IF_ERROR(audit_.Commit(
      std::move(batch), {{actor, "questionnaire.answers.erased", object, {{"responses", erased}}}},
      clock_.Now()));
  return erased;
}

Result<std::size_t> QuestionnaireStore::EraseAnswersOfContact(std::uint64_t contact,
                                                              const audit::Actor& actor) {
  return EraseUnder(K('c', contact), "contact/" + std::to_string(contact), actor);
}

Result<std::size_t> QuestionnaireStore::EraseAnswersOfCustomer(std::uint64_t customer,
                                                               const audit::Actor& actor) {
  return EraseUnder(K('C', customer), "customer/" + std::to_string(customer), actor);
}

}  // namespace quire::crm
