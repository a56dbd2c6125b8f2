// E-mail: the outbox an operator watches (what waits, what was sent, what failed and why,
// each message's delivery log; retry and cancel) and a test message through it
// (system.operate). Messages hold addresses and text: only operators read them.
#include "quire/server/mail_routes.h"

#include <boost/json.hpp>

#include "quire/mail/outbox.h"
#include "route_support.h"

namespace quire::server {
namespace {

using namespace api;  // NOLINT: the shared route helpers

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
  const std::string smtp = services.smtp_display();

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
