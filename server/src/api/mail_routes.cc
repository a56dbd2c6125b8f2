// E-mail: the outbox an operator watches (what waits, what was sent, what failed and why,
// each message's delivery log; retry and cancel) and a test message through it
// (system.operate). Messages hold addresses and text: only operators read them.
#include "quire/server/mail_routes.h"

#include <boost/json.hpp>

#include <set>
#include "quire/mail/outbox.h"
#include "quire/services/mailer.h"
#include "route_support.h"

namespace quire::server {
namespace {

using namespace api;  // NOLINT: the shared route helpers

using Groups = std::map<std::string, std::vector<std::string>>;

// E-mail: {template | subject + text, language, to, contact, customer, kind, attachments,
// data, key}; SMS: {template | text, language, to, contact, customer, kind, data, key}.
Result<services::MailRequest> ReadMailRequest(const json::object& body,
                                              const std::string& channel) {
  const bool sms = channel == "sms";
  services::MailRequest r;
  r.channel = channel;
  static const std::set<std::string, std::less<>> kKnown{
      "template", "subject", "text",        "language", "to", "contact",
      "customer", "kind",    "attachments", "data",     "key"};
  for (const auto& kv : body) {
    if (!kKnown.contains(kv.key()) ||
        (sms && (kv.key() == "subject" || kv.key() == "attachments"))) {
      return Error::InvalidArgument(
          "'" + std::string(kv.key()) + "' is not known here: " +
          (sms ? "template (or text), language, to, contact, customer, kind, data, key"
               : "template (or subject and text), language, to, contact, customer, kind, "
                 "attachments, data, key"));
    }
  }
  auto text = [&](const char* name, std::string& out) -> Result<void> {
    if (const json::value* v = body.if_contains(name)) {
      if (!v->is_string()) return Error::InvalidArgument(std::string("'") + name + "' is text");
      out = std::string(v->get_string());
    }
    return Ok();
  };
  QUIRE_RETURN_IF_ERROR(text("template", r.template_name));
  QUIRE_RETURN_IF_ERROR(text("subject", r.subject));
  QUIRE_RETURN_IF_ERROR(text("text", r.text));
  QUIRE_RETURN_IF_ERROR(text("language", r.language));
  QUIRE_RETURN_IF_ERROR(text("kind", r.kind));
  QUIRE_RETURN_IF_ERROR(text("key", r.key));
  if (sms && r.template_name.empty() && r.text.empty()) {
    return Error::InvalidArgument(
        "say what to send: a template (\"template\": \"payment-reminder\") or a text");
  }
  if (!sms && r.template_name.empty() && (r.subject.empty() || r.text.empty())) {
    return Error::InvalidArgument(
        "say what to send: a template (\"template\": \"offer-sent\") or a subject and a text");
  }
  if (const json::value* to = body.if_contains("to")) {
    if (to->is_string()) {
      r.to.emplace_back(to->get_string());
    } else if (to->is_array()) {
      for (const json::value& a : to->get_array()) {
        if (!a.is_string()) {
          return Error::InvalidArgument(sms ? "'to' is a phone number"
                                            : "'to' is an address or a list of them");
        }
        r.to.emplace_back(a.get_string());
      }
    } else {
      return Error::InvalidArgument(sms ? "'to' is a phone number"
                                        : "'to' is an address or a list of them");
    }
  }
  for (const char* name : {"contact", "customer"}) {
    if (const json::value* v = body.if_contains(name)) {
      const std::optional<std::uint64_t> id = JsonId(*v);
      if (!id) return Error::InvalidArgument(std::string("'") + name + "' is an id");
      (std::string_view(name) == "contact" ? r.contact : r.customer) = *id;
    }
  }
  if (const json::value* files = body.if_contains("attachments")) {
    if (!files->is_array())
      return Error::InvalidArgument("'attachments' is a list of document ids");
    for (const json::value& v : files->get_array()) {
      const std::optional<std::uint64_t> id = JsonId(v);
      if (!id) return Error::InvalidArgument("'attachments' is a list of document ids");
      r.attachments.push_back({*id, 0});
    }
  }
  if (const json::value* data = body.if_contains("data")) {
    if (!data->is_object()) return Error::InvalidArgument("'data' is an object");
    r.data = data->get_object();
  }
  return r;
}

json::object WithLog(const mail::Message& m, const std::vector<mail::DeliveryEvent>& log) {
  json::object o = m.ToJson();
  json::array events;
  for (const mail::DeliveryEvent& e : log) events.push_back(e.ToJson());
  o["log"] = std::move(events);
  return o;
}

}  // namespace

void AddMailRoutes(Router& router, services::Services& services) {
  mail::Outbox& outbox = services.outbox();
  mail::TemplateStore& templates = services.mail_templates();
  const std::string smtp = services.smtp_display();

  // E-mail or an SMS about a customer or contact person, from a template or a text
  // (crm.write, within its reach: the customer's owner, or the contact's or one of their
  // companies').
  auto send = [&services](std::string channel) {
    return [&services, channel](const Request& request) -> Result<Response> {
      QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
      QUIRE_ASSIGN_OR_RETURN(services::MailRequest r, ReadMailRequest(body, channel));
      const org::Principal& who = *request.principal;
      Groups groups;
      auto reaches_customer = [&](std::uint64_t id) -> Result<bool> {
        QUIRE_ASSIGN_OR_RETURN(crm::Customer c, services.customers().Get(id));
        return ReachesOwner(services.directory(), who, Permission::kCrmWrite, c.owner, groups);
      };
      if (r.contact != 0) {
        QUIRE_ASSIGN_OR_RETURN(crm::Contact c, services.contacts().Get(r.contact));
        QUIRE_ASSIGN_OR_RETURN(bool ok, ReachesOwner(services.directory(), who,
                                                     Permission::kCrmWrite, c.owner, groups));
        for (std::size_t i = 0; !ok && i < c.customers.size(); ++i) {
          auto reached = reaches_customer(c.customers[i]);
          ok = reached && *reached;
        }
        if (!ok) {
          return Error::Forbidden("contact person " + std::to_string(r.contact) +
                                  " is beyond your crm.write: nothing was sent");
        }
      }
      // The customer the message names, or the contact's first company that the mailer
      // fills it from, must be within reach too.
      if (r.customer == 0 && r.contact != 0) {
        QUIRE_ASSIGN_OR_RETURN(crm::Contact c, services.contacts().Get(r.contact));
        if (!c.customers.empty()) r.customer = c.customers.front();
      }
      if (r.customer != 0) {
        QUIRE_ASSIGN_OR_RETURN(bool ok, reaches_customer(r.customer));
        if (!ok) {
          return Error::Forbidden("customer " + std::to_string(r.customer) +
                                  " is beyond your crm.write: nothing was sent");
        }
      }
      // Documents go out only when the caller may read them (documents.read, its scope).
      for (const mail::AttachmentRef& a : r.attachments) {
        if (!who.Has(Permission::kDocumentsRead)) {
          return Error::Forbidden(
              "attachments need documents.read, which you do not hold: nothing was sent");
        }
        QUIRE_ASSIGN_OR_RETURN(dms::DocumentInfo d, services.documents().Get(a.document));
        QUIRE_ASSIGN_OR_RETURN(bool ok,
                               ReachesOwner(services.directory(), who, Permission::kDocumentsRead,
                                            d.created_by, groups));
        if (!ok) {
          return Error::Forbidden("document " + std::to_string(a.document) +
                                  " is beyond your documents.read: nothing was sent");
        }
      }
      r.purpose = "api";
      QUIRE_ASSIGN_OR_RETURN(mail::Message m, services.mailer().Send(std::move(r), Actor(request)));
      Response response = JsonResponse(201, WithLog(m, {}));
      response.headers.push_back({"Location", "/api/outbox/" + std::to_string(m.id)});
      return response;
    };
  };
  router.Add("POST", "/api/mail", Permission::kCrmWrite, send("email"));
  router.Add("POST", "/api/sms", Permission::kCrmWrite, send("sms"));

  // The signed-in user's choice of task notifications by e-mail, and their language.
  services::NotificationMailer& notifier = services.notification_mailer();
  router.Add("GET", "/api/me/notification-preferences", Access::SignedIn(),
             [&notifier](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(services::NotificationPreferences p,
                                      notifier.Preferences(UserId(request)));
               return JsonResponse(200, p.ToJson());
             });
  router.Add("PUT", "/api/me/notification-preferences", Access::SignedIn(),
             [&notifier](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(services::NotificationPreferences p,
                                      notifier.SetPreferences(UserId(request), body));
               return JsonResponse(200, p.ToJson());
             });

  router.Add("GET", "/api/mail/templates", Permission::kCrmRead,
             [&templates](const Request&) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::vector<json::object> all, templates.List());
               json::array items;
               for (json::object& t : all) items.push_back(std::move(t));
               return JsonResponse(200, Page(std::move(items)));
             });
  router.Add("GET", "/api/mail/templates/{name}", Permission::kCrmRead,
             [&templates](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object t, templates.Get(*request.path_param("name")));
               return JsonResponse(200, std::move(t));
             });
  router.Add("PUT", "/api/mail/templates/{name}", Permission::kCrmManage,
             [&templates](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               QUIRE_ASSIGN_OR_RETURN(json::object t, templates.Put(*request.path_param("name"),
                                                                    body, Actor(request)));
               return JsonResponse(200, std::move(t));
             });
  router.Add("DELETE", "/api/mail/templates/{name}", Permission::kCrmManage,
             [&templates](const Request& request) -> Result<Response> {
               QUIRE_RETURN_IF_ERROR(templates.Delete(*request.path_param("name"), Actor(request)));
               return NoContent();
             });

  // A test message to one address, through the outbox like any other: 201 with the
  // message; GET /api/outbox/{id} follows it to "sent" (or says why not).
  router.Add("POST", "/api/admin/mail/test", Permission::kSystemOperate,
             [&outbox, smtp](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
               for (const auto& kv : body) {
                 if (kv.key() != "to") {
                   return Error::InvalidArgument("'" + std::string(kv.key()) +
                                                 "' is not known here: send {\"to\": ADDRESS}");
                 }
               }
               QUIRE_ASSIGN_OR_RETURN(std::string to, StringMember(body, "to", true));
               mail::NewMessage m;
               m.to = {to};
               m.subject = "Quire: test message";
               m.text =
                   "This message was sent by Quire to check its e-mail settings.\n"
                   "Ta wiadomość została wysłana przez Quire, by sprawdzić ustawienia poczty.\n\n"
                   "Server / serwer: " +
                   (smtp.empty() ? std::string("(none yet)") : smtp) +
                   "\nAsked by / na prośbę: " + UserId(request) + "\n";
               m.purpose = "test";
               QUIRE_ASSIGN_OR_RETURN(mail::Message queued,
                                      outbox.Queue(std::move(m), Actor(request)));
               Response response = JsonResponse(201, WithLog(queued, {}));
               response.headers.push_back({"Location", "/api/outbox/" + std::to_string(queued.id)});
               if (smtp.empty()) {
                 response.headers.push_back(
                     {"Warning", "199 - \"no --smtp-url: the message waits in the outbox\""});
               }
               return response;
             });

  // A test SMS to one number, through the outbox and the gateway like any other.
  const std::string gateway = services.sms_display();
  router.Add(
      "POST", "/api/admin/sms/test", Permission::kSystemOperate,
      [&outbox, gateway](const Request& request) -> Result<Response> {
        QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
        for (const auto& kv : body) {
          if (kv.key() != "to") {
            return Error::InvalidArgument("'" + std::string(kv.key()) +
                                          "' is not known here: send {\"to\": \"+48601234567\"}");
          }
        }
        QUIRE_ASSIGN_OR_RETURN(std::string to, StringMember(body, "to", true));
        mail::NewMessage m;
        m.channel = "sms";
        m.to = {to};
        m.text = "Quire: test SMS / testowy SMS (" + UserId(request) + ")";
        m.purpose = "test";
        QUIRE_ASSIGN_OR_RETURN(mail::Message queued, outbox.Queue(std::move(m), Actor(request)));
        Response response = JsonResponse(201, WithLog(queued, {}));
        response.headers.push_back({"Location", "/api/outbox/" + std::to_string(queued.id)});
        if (gateway.empty()) {
          response.headers.push_back(
              {"Warning", "199 - \"no --sms-gateway: the SMS waits in the outbox\""});
        }
        return response;
      });

  router.Add("GET", "/api/outbox", Permission::kSystemOperate,
             [&outbox](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::size_t limit, Limit(request, 50));
               QUIRE_ASSIGN_OR_RETURN(mail::Outbox::Page page,
                                      outbox.List(request.query_param("status").value_or(""), limit,
                                                  request.query_param("after").value_or("")));
               json::array items;
               for (const mail::Message& m : page.items) items.push_back(m.ToJson());
               json::object out = Page(std::move(items), page.next);
               out["queued"] = outbox.queued();
               return JsonResponse(200, std::move(out));
             });

  router.Add("GET", "/api/outbox/{id}", Permission::kSystemOperate,
             [&outbox](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "message id"));
               QUIRE_ASSIGN_OR_RETURN(mail::Message m, outbox.Get(id));
               QUIRE_ASSIGN_OR_RETURN(std::vector<mail::DeliveryEvent> log, outbox.Log(id));
               return JsonResponse(200, WithLog(m, log));
             });

  router.Add("POST", "/api/outbox/{id}/retry", Permission::kSystemOperate,
             [&outbox](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "message id"));
               QUIRE_ASSIGN_OR_RETURN(mail::Message m, outbox.Retry(id, Actor(request)));
               QUIRE_ASSIGN_OR_RETURN(std::vector<mail::DeliveryEvent> log, outbox.Log(id));
               return JsonResponse(200, WithLog(m, log));
             });

  router.Add("POST", "/api/outbox/{id}/cancel", Permission::kSystemOperate,
             [&outbox](const Request& request) -> Result<Response> {
               QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "message id"));
               QUIRE_ASSIGN_OR_RETURN(mail::Message m, outbox.Cancel(id, Actor(request)));
               QUIRE_ASSIGN_OR_RETURN(std::vector<mail::DeliveryEvent> log, outbox.Log(id));
               return JsonResponse(200, WithLog(m, log));
             });
}

}  // namespace quire::server
