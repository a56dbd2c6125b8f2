#include "quire/services/mailer.h"

namespace quire::services {
namespace json = boost::json;
namespace {

// The number an SMS goes to: the first labelled mobile (in Polish or English), else the
// first.
std::string MobileOf(const std::vector<crm::Labelled>& phones) {
  for (const crm::Labelled& p : phones) {
    std::string label = p.label;
    for (char& c : label) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (label.find("mobile") != std::string::npos || label.find("cell") != std::string::npos ||
        label.starts_with("kom")) {
      return p.value;
    }
  }
  return phones.empty() ? std::string() : phones.front().value;
}

}  // namespace

Result<mail::Message> Mailer::Send(MailRequest r, const audit::Actor& actor) {
  const bool sms = r.channel == "sms";
  json::object context = std::move(r.data);
  if (r.contact != 0) {
    QUIRE_ASSIGN_OR_RETURN(crm::Contact c, contacts_.Get(r.contact));
    context["contact"] = c.ToJson();
    if (r.to.empty()) {
      if (sms && !c.phones.empty()) r.to.push_back(MobileOf(c.phones));
      if (!sms && !c.emails.empty()) r.to.push_back(c.emails.front().value);
    }
    if (r.customer == 0 && !c.customers.empty()) r.customer = c.customers.front();
  }
  // Marketing about a customer goes to a contact person of theirs who agreed to it (and,
  // for e-mail, whose address has not bounced): a company gives no consent, people do.
  if (r.kind == "marketing" && r.contact == 0 && r.customer != 0 && r.to.empty()) {
    QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Contact> people, contacts_.OfCustomer(r.customer));
    for (const crm::Contact& p : people) {
      const bool reachable = sms ? p.sms_consent.granted && !p.phones.empty()
                                 : p.email_consent.granted && !p.email_bounced && !p.emails.empty();
      if (reachable) {
        r.contact = p.id;
        context["contact"] = p.ToJson();
        r.to.push_back(sms ? MobileOf(p.phones) : p.emails.front().value);
        break;
      }
    }
    if (r.contact == 0) {
      return Error::Conflict("no contact person of customer " + std::to_string(r.customer) +
                             (sms ? " agreed to marketing SMS" : " agreed to marketing e-mail") +
                             ": nothing was queued");
    }
  }
  if (r.customer != 0) {
    QUIRE_ASSIGN_OR_RETURN(crm::Customer c, customers_.Get(r.customer));
    context["customer"] = c.ToJson(false);
    if (r.to.empty() && r.contact == 0) {
      if (sms && !c.phones.empty()) r.to.push_back(MobileOf(c.phones));
      if (!sms && !c.emails.empty()) r.to.push_back(c.emails.front().value);
    }
  }
  if (r.to.empty()) {
    return Error::ValidationFailed(
        "the message has nobody to go to; nothing was queued",
        {{"to", r.contact != 0
                    ? (sms ? "the contact person has no phone number: give 'to'"
                           : "the contact person has no e-mail address: give 'to'")
                    : (sms ? "is required, or a contact person or customer with a phone number"
                           : "is required, or a contact person or customer with an address")}});
  }
  mail::NewMessage m;
  std::vector<std::string> missing;
  if (!r.template_name.empty()) {
    QUIRE_ASSIGN_OR_RETURN(mail::Rendered rendered,
                           templates_.Render(r.template_name, r.language, context));
    m.subject = std::move(rendered.subject);
    m.text = std::move(rendered.text);
    missing = std::move(rendered.missing);
  } else {
    m.subject = mail::Fill(r.subject, context, missing);
    m.text = mail::Fill(r.text, context, missing);
  }
  if (!missing.empty()) {
    std::string names;
    for (const std::string& p : missing) names += (names.empty() ? "{{" : ", {{") + p + "}}";
    return Error::ValidationFailed(
        "the message would go out with empty places; nothing was queued",
        {{"data", names + " have no value: give them in data, or name the record they come "
                          "from (contact, customer)"}});
  }
  m.channel = std::move(r.channel);
  m.kind = std::move(r.kind);
  m.to = std::move(r.to);
  m.attachments = std::move(r.attachments);
  m.contact = r.contact;
  m.purpose = std::move(r.purpose);
  m.key = std::move(r.key);
  return outbox_.Queue(std::move(m), actor);
}

}  // namespace quire::services
