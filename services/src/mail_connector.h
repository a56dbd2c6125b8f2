// notify.email: a process sends e-mail through the mailer (mailer.h) and the outbox.
// Inputs: template (or subject and text), language, to (an address or a list; default the
// contact's or the customer's), contact / contactId, customer / customerId, kind
// (transactional, the default, or marketing), attachments (a document id or a list), data
// (more to fill placeholders with; the variables at the task fill them too), key (sent at
// most once under it; default: once per job, so a retry after a crash sends nothing twice).
// Outputs: mailId and mailQueued: true; or mailQueued: false and mailRefused with the
// reason when the contact did not agree to marketing e-mail or their address bounced (the
// process goes on: that is no failure). A message that cannot be made (no address, a
// placeholder without a value, no such template) is the BPMN error "mail-refused".
//
// notify.sms is the same connector on the SMS channel: template (its text) or text, to (a
// number in the international form; default the contact's mobile, else the customer's
// phone), contact, customer, kind (marketing needs the contact's consent.sms), language,
// data, key. Outputs smsId and smsQueued, or smsQueued: false and smsRefused; the BPMN error
// "sms-refused".
#pragma once

#include <charconv>

#include "crm_connectors.h"
#include "quire/services/mailer.h"

namespace quire::services {

class MailConnector final : public workflow::Connector {
 public:
  MailConnector(Services& services, std::string channel)
      : services_(services), channel_(std::move(channel)) {}

  Result<workflow::JobOutcome> Run(const workflow::JobRequest& job) override {
    namespace c = crm_connectors;
    namespace json = boost::json;
    const json::object& in = c::Inputs(job);
    const std::string prefix = channel_ == "sms" ? "sms" : "mail";
    const std::string refused = prefix + "-refused";
    MailRequest r;
    r.channel = channel_;
    r.template_name = c::Text(in, "template");
    r.subject = c::Text(in, "subject");
    r.text = c::Text(in, "text");
    r.language = c::Text(in, "language");
    r.kind = in.contains("kind") ? c::Text(in, "kind") : "transactional";
    r.purpose = "process:" + job.process_id;
    r.key = in.contains("key") ? c::Text(in, "key") : "job-" + std::to_string(job.job_id);
    if (const json::value* to = in.if_contains("to")) {
      if (to->is_array()) {
        for (const json::value& a : to->get_array()) {
          if (a.is_string()) r.to.emplace_back(a.get_string());
        }
      } else if (to->is_string()) {
        r.to.emplace_back(to->get_string());
      }
    }
    auto id_of = [&](const char* a, const char* b) -> std::uint64_t {
      std::string s = c::Text(in, a);
      if (s.empty()) s = c::Text(in, b);
      if (s.empty()) return 0;
      std::uint64_t id = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
      return ec == std::errc() && p == s.data() + s.size() ? id : 0;
    };
    r.contact = id_of("contact", "contactId");
    r.customer = id_of("customer", "customerId");
    if (const json::value* files = in.if_contains("attachments")) {
      std::string bad;
      auto add = [&](const json::value& v) {
        const std::string s = v.is_string()  ? std::string(v.get_string())
                              : v.is_int64() ? std::to_string(v.get_int64())
                                             : "?";
        std::uint64_t id = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
        if (ec != std::errc() || p != s.data() + s.size() || id == 0) {
          bad = s;
        } else {
          r.attachments.push_back({id, 0});
        }
      };
      if (files->is_array()) {
        for (const json::value& v : files->get_array()) add(v);
      } else {
        add(*files);
      }
      if (!bad.empty()) {
        return c::BusinessError(refused, Error::InvalidArgument("attachments are document ids; '" +
                                                                bad + "' is not one"));
      }
    }
    r.data = job.variables;
    if (const json::value* data = in.if_contains("data"); data != nullptr && data->is_object()) {
      for (const auto& kv : data->get_object()) r.data[kv.key()] = kv.value();
    }
    auto sent = services_.mailer().Send(std::move(r), c::ProcessActor(job));
    workflow::JobOutcome out;
    if (!sent) {
      if (sent.error().code() == ErrorCode::kConflict) {
        out.variables[prefix + "Queued"] = false;
        out.variables[prefix + "Refused"] = sent.error().message();
        return out;
      }
      if (c::IsRefusal(sent.error())) return c::BusinessError(refused, sent.error());
      return sent.error();
    }
    out.variables[prefix + "Queued"] = true;
    out.variables[prefix + "Id"] = std::to_string(sent->id);
    return out;
  }

 private:
  Services& services_;
  std::string channel_;
};

}  // namespace quire::services
