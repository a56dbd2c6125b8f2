// Questionnaires: designed as Camunda Forms (crm.manage), sent to contact persons within
// the sender's reach as links with a signed, expiring token (crm.write; the invitation
// e-mail goes through the outbox), answered without signing in (public routes: the token is
// the credential), read, counted and exported within the reader's reach (crm.read).
#include <boost/json.hpp>
#include <set>

#include "quire/crm/campaigns.h"
#include "quire/crm/csv.h"
#include "quire/crm/questionnaires.h"
#include "quire/crm/segments.h"
#include "quire/server/crm_routes.h"
#include "quire/services/mailer.h"
#include "route_support.h"

namespace quire::server {
namespace {

using namespace api;  // NOLINT: the shared route helpers

using Groups = std::map<std::string, std::vector<std::string>>;

// Whether the caller's crm.read reaches a response: its customer's owner, else its
// contact's owner.
Result<bool> Reaches(services::Services& s, const org::Principal& who,
                     const crm::QuestionnaireResponse& r, Groups& groups) {
  if (r.customer != 0) {
    auto c = s.customers().Get(r.customer);
    if (c) return ReachesOwner(s.directory(), who, Permission::kCrmRead, c->owner, groups);
  }
  if (r.contact != 0) {
    auto c = s.contacts().Get(r.contact);
    if (c) return ReachesOwner(s.directory(), who, Permission::kCrmRead, c->owner, groups);
  }
  return who.Reaches(Permission::kCrmRead, "", {});
}

// Whether the caller's crm.read reaches an invitation's contact person or company.
Result<bool> ReachesInvitation(services::Services& s, const org::Principal& who,
                               const crm::Invitation& inv, Groups& groups) {
  crm::QuestionnaireResponse r;
  r.contact = inv.contact;
  r.customer = inv.customer;
  return Reaches(s, who, r, groups);
}

std::string Flat(const json::value& v) {
  if (v.is_string()) return crm::CsvText(std::string(v.get_string()));
  if (v.is_null()) return "";
  if (v.is_number() || v.is_bool()) return json::serialize(v);
  return crm::CsvText(json::serialize(v));
}

std::string TextOr(const json::object& body, std::string_view key, std::string fallback) {
  const json::value* v = body.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::move(fallback);
}

// The link of an invitation, on the address the company set (never one taken from the
// request when mail goes out: its Host header is the client's to choose).
std::string LinkOf(services::Services& s, const Request& request, bool tls,
                   const std::string& token) {
  std::string base = s.public_url();
  if (base.empty()) {
    const auto host = request.header("host");
    base = std::string(tls ? "https://" : "http://") +
           (host ? std::string(*host) : std::string("localhost"));
  }
  return base + "/q/" + token;
}

// Mails an invitation through the outbox (the "questionnaire.invitation" template when there
// is one); the outbox's id, or why it refused (no address, no consent to marketing...).
Result<std::uint64_t> MailInvitation(services::Services& s, const crm::Questionnaire& q,
                                     std::uint64_t contact,
                                     const crm::QuestionnaireStore::Issued& issued,
                                     const std::string& url, std::string kind, std::string language,
                                     const audit::Actor& actor) {
  services::MailRequest m;
  m.contact = contact;
  m.customer = issued.invitation.customer;
  m.kind = std::move(kind);
  m.language = std::move(language);
  m.data = {{"questionnaire", {{"name", q.name}, {"description", q.description}}},
            {"link", url},
            {"expiresAt", FormatInstant(issued.invitation.expires_at).substr(0, 10)}};
  m.purpose = "questionnaire";
  m.key = "questionnaire-invitation-" + std::to_string(issued.invitation.id);
  if (s.mail_templates().Get("questionnaire.invitation")) {
    m.template_name = "questionnaire.invitation";
  } else if (m.language == "en") {
    m.subject = "{{questionnaire.name}}";
    m.text =
        "Hello,\n\nwe would be grateful for your answers to a short questionnaire: "
        "{{link}}\n\nThe link works until {{expiresAt}}.\n";
  } else {
    m.subject = "{{questionnaire.name}}";
    m.text =
        "Dzień dobry,\n\nbędziemy wdzięczni za wypełnienie krótkiej ankiety: {{link}}\n\n"
        "Link jest ważny do {{expiresAt}}.\n";
  }
  QUIRE_ASSIGN_OR_RETURN(auto sent, s.mailer().Send(std::move(m), actor));
  return sent.id;
}

}  // namespace

void AddQuestionnaireRoutes(Router& router, services::Services& services, bool tls) {
  crm::QuestionnaireStore& store = services.questionnaires();

  router.Add("POST", "/api/questionnaires", Permission::kCrmManage,
             [&store](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(crm::Questionnaire q, store.Create(body, Actor(request)));
               Response r = JsonResponse(201, q.ToJson());
               r.headers.push_back({"Location", "/api/questionnaires/" + std::to_string(q.id)});
               return r;
             });

  router.Add("GET", "/api/questionnaires", Permission::kCrmRead,
             [&store](const Request&) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Questionnaire> all, store.List());
               json::array items;
               for (const crm::Questionnaire& q : all) items.push_back(q.ToJson());
               return JsonResponse(200, Page(std::move(items)));
             });

  router.Add("GET", "/api/questionnaires/{id}", Permission::kCrmRead,
             [&services, &store](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "questionnaire id"));
               QUIRE_ASSIGN_OR_RETURN(crm::Questionnaire q, store.Get(id));
               // Counted over the invitations of the people the caller reaches.
               Groups groups;
               QUIRE_ASSIGN_OR_RETURN(
                   crm::QuestionnaireStats stats,
                   store.Stats(id, [&](const crm::Invitation& inv) -> Result<bool> {
                     return ReachesInvitation(services, *request.principal, inv, groups);
                   }));
               json::object out = q.ToJson();
               out["stats"] = stats.ToJson();
               return JsonResponse(200, std::move(out));
             });

  // An invitation to one contact person within the caller's reach, mailed with the link.
  router.Add(
      "POST", "/api/questionnaires/{id}/invitations", Permission::kCrmWrite,
      [&services, &store, tls](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "questionnaire id"));
        QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
        static const std::set<std::string, std::less<>> kKnown{"contact", "expiresInDays",
                                                               "language", "kind", "send"};
        for (const auto& kv : body) {
          if (!kKnown.contains(kv.key())) {
            return Error::InvalidArgument("'" + std::string(kv.key()) +
                                          "' is not known here: contact, expiresInDays, "
                                          "language, kind, send");
          }
        }
        const json::value* contact_v = body.if_contains("contact");
        const std::optional<std::uint64_t> contact =
            contact_v == nullptr ? std::nullopt : JsonId(*contact_v);
        if (!contact) return Error::InvalidArgument("'contact' is the contact person's id");
        std::int64_t days = 14;
        if (const json::value* d = body.if_contains("expiresInDays")) {
          if (!d->is_int64() || d->get_int64() < 1 || d->get_int64() > 366) {
            return Error::ValidationFailed("the invitation has 1 error; nothing was sent",
                                           {{"expiresInDays", "is a whole number from 1 to 366"}});
          }
          days = d->get_int64();
        }
        QUIRE_ASSIGN_OR_RETURN(crm::Questionnaire q, store.Get(id));
        QUIRE_ASSIGN_OR_RETURN(crm::Contact c, services.contacts().Get(*contact));
        const org::Principal& who = *request.principal;
        Groups groups;
        QUIRE_ASSIGN_OR_RETURN(bool ok, ReachesOwner(services.directory(), who,
                                                     Permission::kCrmWrite, c.owner, groups));
        for (std::size_t i = 0; !ok && i < c.customers.size(); ++i) {
          auto customer = services.customers().Get(c.customers[i]);
          if (!customer) continue;
          QUIRE_ASSIGN_OR_RETURN(ok, ReachesOwner(services.directory(), who, Permission::kCrmWrite,
                                                  customer->owner, groups));
        }
        if (!ok) {
          return Error::Forbidden("contact person " + std::to_string(*contact) +
                                  " is beyond your crm.write: nothing was sent");
        }
        const bool send = !body.contains("send") || body.at("send") == true;
        // A link mailed out names the address the company set, never one taken from the
        // request (its Host header is the client's to choose).
        if (send && services.public_url().empty()) {
          return Error::Conflict(
              "links are mailed only when Quire knows its public address: start it with "
              "--public-url https://crm.example.com (or ask with \"send\": false for the link "
              "alone); nothing was sent");
        }
        QUIRE_ASSIGN_OR_RETURN(
            crm::QuestionnaireStore::Issued issued,
            store.Invite(q.id, c.id, 0, std::chrono::hours(24 * days), Actor(request)));
        const std::string url = LinkOf(services, request, tls, issued.token);
        json::object out{{"invitation", issued.invitation.ToJson()}, {"url", url}};
        if (send) {
          auto sent =
              MailInvitation(services, q, c.id, issued, url, TextOr(body, "kind", "transactional"),
                             TextOr(body, "language", "pl"), Actor(request));
          if (sent) {
            out["mailId"] = std::to_string(*sent);
          } else {
            out["mailId"] = nullptr;
            out["mailRefused"] = sent.error().message();
          }
        }
        return JsonResponse(201, std::move(out));
      });

  // Invitations to the contact persons of a saved segment's customers, or of a campaign's
  // members: those within the caller's crm.write, with an e-mail address (not bounced), who
  // agreed to marketing e-mail (unless sent as transactional, which needs crm.manage), not
  // invited to this questionnaire yet; at most `limit` per request, so a large audience is
  // sent in steps (each request goes on where the last stopped: the invited are skipped).
  router.AddSlow(
      "POST", "/api/questionnaires/{id}/invitations/bulk", Permission::kCrmWrite,
      [&services, &store, tls](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "questionnaire id"));
        QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
        static const std::set<std::string, std::less<>> kKnown{
            "segment", "campaign", "expiresInDays", "language", "kind", "limit"};
        for (const auto& kv : body) {
          if (!kKnown.contains(kv.key())) {
            return Error::InvalidArgument("'" + std::string(kv.key()) +
                                          "' is not known here: segment, campaign, "
                                          "expiresInDays, language, kind, limit");
          }
        }
        const json::value* segment_v = body.if_contains("segment");
        const json::value* campaign_v = body.if_contains("campaign");
        if ((segment_v == nullptr) == (campaign_v == nullptr)) {
          return Error::InvalidArgument(
              "give \"segment\" (a saved segment of customers) or \"campaign\" (its members), "
              "one of them");
        }
        std::vector<ErrorDetail> problems;
        std::int64_t days = 14;
        if (const json::value* d = body.if_contains("expiresInDays")) {
          if (!d->is_int64() || d->get_int64() < 1 || d->get_int64() > 366) {
            problems.push_back({"expiresInDays", "is a whole number from 1 to 366"});
          } else {
            days = d->get_int64();
          }
        }
        std::size_t limit = 500;
        if (const json::value* l = body.if_contains("limit")) {
          if (!l->is_int64() || l->get_int64() < 1 || l->get_int64() > 2000) {
            problems.push_back({"limit", "is a whole number from 1 to 2000"});
          } else {
            limit = static_cast<std::size_t>(l->get_int64());
          }
        }
        const std::string kind = TextOr(body, "kind", "marketing");
        if (kind != "marketing" && kind != "transactional") {
          problems.push_back(
              {"kind", "is marketing (needs the contact's consent) or transactional"});
        }
        if (!problems.empty()) {
          return Error::ValidationFailed("the sending has " + std::to_string(problems.size()) +
                                             (problems.size() == 1 ? " error" : " errors") +
                                             "; nothing was sent",
                                         std::move(problems));
        }
        const org::Principal& who = *request.principal;
        // Mail to many people without their consent is the company's decision, not anyone's.
        if (kind == "transactional" && !who.permissions.Has(Permission::kCrmManage)) {
          return Error::Forbidden(
              "sending to a segment or a campaign as transactional mail (without the people's "
              "consent to marketing) needs crm.manage; send it as marketing: nothing was sent");
        }
        if (services.public_url().empty()) {
          return Error::Conflict(
              "links are mailed only when Quire knows its public address: start it with "
              "--public-url https://crm.example.com; nothing was sent");
        }
        QUIRE_ASSIGN_OR_RETURN(crm::Questionnaire q, store.Get(id));
        Groups groups;
        // The customers: the segment's within the caller's crm.write, or the campaign's members
        // within it.
        std::vector<std::uint64_t> customers;
        std::string campaign;
        if (segment_v != nullptr) {
          const std::optional<std::uint64_t> sid = JsonId(*segment_v);
          if (!sid) return Error::InvalidArgument("\"segment\" is a saved segment's id");
          QUIRE_ASSIGN_OR_RETURN(crm::SavedSegment seg, services.segments().Get(*sid));
          if (seg.target != crm::Entity::kCustomer) {
            return Error::InvalidArgument("segment " + std::to_string(seg.id) + " selects " +
                                          std::string(crm::EntityPlural(seg.target)) +
                                          ", not customers: invitations go to customers' people");
          }
          QUIRE_ASSIGN_OR_RETURN(crm::Filter f, crm::SegmentStore::FilterOf(seg));
          QUIRE_ASSIGN_OR_RETURN(std::optional<crm::Filter> scope,
                                 CrmReadScope(services.directory(), who, crm::Entity::kCustomer,
                                              Permission::kCrmWrite));
          QUIRE_ASSIGN_OR_RETURN(customers,
                                 services.segment_engine().All(f, scope ? &*scope : nullptr));
        } else {
          // The campaign must be the caller's to change: its counts are its owner's.
          const std::optional<std::uint64_t> cid = JsonId(*campaign_v);
          if (!cid) return Error::InvalidArgument("\"campaign\" is a campaign's id");
          QUIRE_ASSIGN_OR_RETURN(crm::Campaign c, services.campaigns().Get(*cid));
          QUIRE_ASSIGN_OR_RETURN(bool mine, ReachesOwner(services.directory(), who,
                                                         Permission::kCrmWrite, c.owner, groups));
          if (!mine) {
            return Error::Forbidden("campaign " + std::to_string(c.id) +
                                    " is beyond your crm.write: ask its owner, or a supervisor; "
                                    "nothing was sent");
          }
          campaign = std::to_string(c.id);
          std::uint64_t after = 0;
          while (true) {
            QUIRE_ASSIGN_OR_RETURN(std::vector<std::uint64_t> page,
                                   services.campaigns().Members(c.id, after, 10'000));
            if (page.empty()) break;
            for (const std::uint64_t member : page) {
              auto customer = services.customers().Get(member);
              if (!customer) continue;  // erased or merged since
              QUIRE_ASSIGN_OR_RETURN(bool ok,
                                     ReachesOwner(services.directory(), who, Permission::kCrmWrite,
                                                  customer->owner, groups));
              if (ok) customers.push_back(member);
            }
            after = page.back();
          }
        }
        QUIRE_ASSIGN_OR_RETURN(std::set<std::uint64_t> invited, store.InvitedContacts(q.id));
        std::uint64_t sent = 0, mailed = 0, already = 0, no_address = 0, no_consent = 0;
        json::array refused;
        bool more = false;
        for (const std::uint64_t customer_id : customers) {
          QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Contact> people,
                                 services.contacts().OfCustomer(customer_id));
          for (const crm::Contact& person : people) {
            if (invited.contains(person.id)) {
              ++already;
              continue;
            }
            // Whom no e-mail reaches now is not invited: a later sending will, once they have
            // an address or agree to marketing.
            if (person.emails.empty() || person.email_bounced) {
              ++no_address;
              continue;
            }
            if (kind == "marketing" && !person.email_consent.granted) {
              ++no_consent;
              continue;
            }
            if (sent == limit) {
              more = true;
              break;
            }
            auto issued = store.Invite(q.id, person.id, customer_id, std::chrono::hours(24 * days),
                                       Actor(request), campaign);
            if (!issued && issued.error().code() == ErrorCode::kNotFound) continue;  // gone since
            QUIRE_RETURN_IF_ERROR(issued);
            invited.insert(person.id);
            ++sent;
            auto mail = MailInvitation(services, q, person.id, *issued,
                                       LinkOf(services, request, tls, issued->token), kind,
                                       TextOr(body, "language", "pl"), Actor(request));
            if (mail) {
              ++mailed;
            } else if (refused.size() < 100) {
              refused.push_back(json::object{{"contact", std::to_string(person.id)},
                                             {"invitation", std::to_string(issued->invitation.id)},
                                             {"reason", mail.error().message()}});
            }
          }
          if (more) break;
        }
        return JsonResponse(200, json::object{{"customers", customers.size()},
                                              {"invited", sent},
                                              {"mailed", mailed},
                                              {"alreadyInvited", already},
                                              {"withoutEmail", no_address},
                                              {"withoutConsent", no_consent},
                                              {"refused", std::move(refused)},
                                              {"more", more}});
      });

  router.Add("GET", "/api/questionnaires/{id}/responses", Permission::kCrmRead,
             [&services, &store](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "questionnaire id"));
               QUIRE_ASSIGN_OR_RETURN(std::size_t limit, Limit(request, 50));
               std::uint64_t after = 0;
               if (auto a = request.query_param("after"); a && !a->empty()) {
                 const std::optional<std::uint64_t> n = JsonId(json::value(*a));
                 if (!n) return Error::InvalidArgument("'after' is the next of the page before");
                 after = *n;
               }
               QUIRE_ASSIGN_OR_RETURN(crm::Questionnaire q, store.Get(id));
               (void)q;
               Groups groups;
               json::array items;
               std::string next;
               std::uint64_t from = after;
               while (items.size() < limit) {
                 QUIRE_ASSIGN_OR_RETURN(std::vector<crm::QuestionnaireResponse> page,
                                        store.Responses(id, 200, from));
                 if (page.empty()) break;
                 for (const crm::QuestionnaireResponse& r : page) {
                   from = r.id;
                   QUIRE_ASSIGN_OR_RETURN(bool ok,
                                          Reaches(services, *request.principal, r, groups));
                   if (!ok) continue;
                   items.push_back(r.ToJson());
                   if (items.size() == limit) {
                     next = std::to_string(r.id);
                     break;
                   }
                 }
                 if (page.size() < 200) break;
               }
               return JsonResponse(200, Page(std::move(items), next));
             });

  // The answers the caller reaches, one row each, one column per question of the form.
  router.AddSlow(
      "GET", "/api/questionnaires/{id}/export", Permission::kCrmRead,
      [&services, &store](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "questionnaire id"));
        QUIRE_ASSIGN_OR_RETURN(crm::Questionnaire q, store.Get(id));
        QUIRE_ASSIGN_OR_RETURN(std::vector<definitions::FormField> fields, store.FieldsOf(q));
        char delimiter = ',';
        if (auto d = request.query_param("delimiter"); d && !d->empty()) {
          if (*d == "tab" || *d == "\t") {
            delimiter = '\t';
          } else if (*d == ";" || *d == ",") {
            delimiter = (*d)[0];
          } else {
            return Error::InvalidArgument("'delimiter' is , or ; or tab");
          }
        }
        std::vector<std::string> header{"response", "answeredAt",   "contact",  "contactName",
                                        "customer", "customerName", "campaign", "employee"};
        for (const definitions::FormField& f : fields) header.push_back(f.name);
        std::string body = "\xEF\xBB\xBF" + crm::CsvLine(header, delimiter);
        Groups groups;
        std::uint64_t from = 0, rows = 0;
        while (true) {
          QUIRE_ASSIGN_OR_RETURN(std::vector<crm::QuestionnaireResponse> page,
                                 store.Responses(id, 500, from));
          for (const crm::QuestionnaireResponse& r : page) {
            from = r.id;
            QUIRE_ASSIGN_OR_RETURN(bool ok, Reaches(services, *request.principal, r, groups));
            if (!ok) continue;
            std::string contact_name, customer_name;
            if (auto c = services.contacts().Get(r.contact)) {
              contact_name = c->first_name + (c->last_name.empty() ? "" : " " + c->last_name);
            }
            if (auto c = services.customers().Get(r.customer)) customer_name = c->name;
            std::vector<std::string> row{std::to_string(r.id),
                                         FormatInstant(r.answered_at),
                                         r.contact == 0 ? "" : std::to_string(r.contact),
                                         crm::CsvText(contact_name),
                                         r.customer == 0 ? "" : std::to_string(r.customer),
                                         crm::CsvText(customer_name),
                                         r.campaign,
                                         r.employee};
            for (const definitions::FormField& f : fields) {
              const json::value* v = r.answers.if_contains(f.name);
              row.push_back(v == nullptr ? "" : Flat(*v));
            }
            body += crm::CsvLine(row, delimiter);
            ++rows;
          }
          if (page.size() < 500) break;
        }
        QUIRE_RETURN_IF_ERROR(services.audit().Commit({},
                                                      {{Actor(request),
                                                        "questionnaire.exported",
                                                        "questionnaire/" + std::to_string(id),
                                                        {{"rows", rows}}}},
                                                      services.clock().Now()));
        Response r;
        r.content_type = "text/csv; charset=utf-8";
        r.headers.push_back({"Content-Disposition", "attachment; filename=\"questionnaire-" +
                                                        std::to_string(id) + ".csv\""});
        r.body = std::move(body);
        return r;
      });

  // Public: the token in the path is the credential. What the respondent sees: the form,
  // never who they are or who sent it.
  router.Add("GET", "/api/public/questionnaires/{token}", Access::Public(),
             [&store](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(crm::Invitation inv,
                                      store.Open(*request.path_param("token")));
               QUIRE_ASSIGN_OR_RETURN(crm::Questionnaire q, store.Get(inv.questionnaire));
               json::object full = q.ToJson();
               return JsonResponse(200, json::object{{"name", q.name},
                                                     {"description", q.description},
                                                     {"form", full.at("form")},
                                                     {"expiresAt", FormatInstant(inv.expires_at)}});
             });
  router.Add("POST", "/api/public/questionnaires/{token}/answers", Access::Public(),
             [&store](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               const json::value* answers = body.if_contains("answers");
               if (answers == nullptr || !answers->is_object() || body.size() != 1) {
                 return Error::InvalidArgument(
                     "send {\"answers\": {...}}: the form's values by their keys");
               }
               QUIRE_ASSIGN_OR_RETURN(
                   crm::QuestionnaireResponse r,
                   store.Answer(*request.path_param("token"), answers->get_object()));
               return JsonResponse(201, json::object{{"id", std::to_string(r.id)},
                                                     {"answeredAt", FormatInstant(r.answered_at)}});
             });

  // What a contact person or a customer answered (within reach of the record).
  for (const char* kind : {"contacts", "customers"}) {
    const bool is_contact = std::string_view(kind) == "contacts";
    router.Add(
        "GET", std::string("/api/crm/") + kind + "/{id}/questionnaire-responses",
        Permission::kCrmRead,
        [&services, &store, is_contact](const Request& request) -> Result<Response> {
          QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "id"));
          std::string owner;
          if (is_contact) {
            QUIRE_ASSIGN_OR_RETURN(crm::Contact c, services.contacts().Get(id));
            owner = c.owner;
          } else {
            QUIRE_ASSIGN_OR_RETURN(crm::Customer c, services.customers().Get(id));
            owner = c.owner;
          }
          Groups groups;
          QUIRE_ASSIGN_OR_RETURN(bool ok, ReachesOwner(services.directory(), *request.principal,
                                                       Permission::kCrmRead, owner, groups));
          if (!ok) {
            return Error::Forbidden(std::string(is_contact ? "contact person " : "customer ") +
                                    std::to_string(id) + " is beyond your crm.read");
          }
          QUIRE_ASSIGN_OR_RETURN(
              std::vector<crm::QuestionnaireResponse> all,
              is_contact ? store.ResponsesOfContact(id) : store.ResponsesOfCustomer(id));
          json::array items;
          for (const crm::QuestionnaireResponse& r : all) items.push_back(r.ToJson());
          return JsonResponse(200, Page(std::move(items)));
        });
  }
}

}  // namespace quire::server
