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
