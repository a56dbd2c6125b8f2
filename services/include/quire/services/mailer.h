// The mailer: e-mail or SMS about a record, from a template or a text, to a contact person,
// a customer or addresses — rendered with the record's fields and queued in the outbox. The
// notify.email and notify.sms connectors, POST /api/mail and POST /api/sms send through it.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "quire/audit/actor.h"
#include "quire/base/result.h"
#include "quire/crm/contacts.h"
#include "quire/crm/customers.h"
#include "quire/mail/outbox.h"
#include "quire/mail/templates.h"

namespace quire::services {

struct MailRequest {
  std::string channel = "email";  // or "sms": the template's text only, to a phone number
  std::string template_name;      // or subject and text (placeholders are filled in them too)
  std::string subject;
  std::string text;
  std::string language;  // of the template; "pl" when empty
  // Empty: the contact's first address (for an SMS their mobile number: the first phone
  // labelled mobile, else the first), else the customer's.
  std::vector<std::string> to;
  std::uint64_t contact = 0;
  std::uint64_t customer = 0;  // empty with a contact: the contact's first company
  std::string kind = "transactional";
  std::vector<mail::AttachmentRef> attachments;
  boost::json::object data;  // more to fill placeholders with ({{offer.number}})
  std::string purpose;
  std::string key;  // queued at most once under it (mail::NewMessage::key)
};

class Mailer {
 public:
  Mailer(mail::Outbox& outbox, mail::TemplateStore& templates, crm::CustomerStore& customers,
         crm::ContactStore& contacts)
      : outbox_(outbox), templates_(templates), customers_(customers), contacts_(contacts) {}

  // Errors: kValidationFailed (no address, a placeholder without a value: "data" names
  // them, the outbox's checks), kConflict (no consent to marketing e-mail or SMS, a bounced
  // address), kNotFound (the template, contact or customer).
  Result<mail::Message> Send(MailRequest request, const audit::Actor& actor);

 private:
  mail::Outbox& outbox_;
  mail::TemplateStore& templates_;
  crm::CustomerStore& customers_;
  crm::ContactStore& contacts_;
};

}  // namespace quire::services
