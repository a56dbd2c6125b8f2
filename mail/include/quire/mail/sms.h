// Sending SMS through an HTTP gateway: the gateway is described, not coded, so that the
// common ones fit (SMSAPI, Twilio, a Kannel or Gammu box on the company's network, ...).
// `quire serve --sms-gateway FILE` reads a JSON file:
//
//   {"url": "https://api.smsapi.pl/sms.do",        http:// or https://; placeholders allowed
//    "method": "POST",                              GET, POST (the default) or PUT
//    "headers": {"Authorization": "Bearer TOKEN"},  sent as written (placeholders filled)
//    "user": "...", "password": "...",              HTTP Basic authentication (Twilio)
//    "contentType": "application/x-www-form-urlencoded",   or application/json
//    "body": "to={{to}}&message={{text}}&from={{from}}&format=json&idx={{id}}",
//    "from": "Firma",                               the sender name or number ({{from}})
//    "numberFormat": "e164",                        e164: +48601234567; digits: 48601234567
//    "errorPointer": "/error",                      a JSON Pointer: a 2xx answer whose JSON has
//                                                   it is a refusal (SMSAPI answers errors 200)
//    "ca": "/etc/ssl/company-ca.pem",               trust this CA (https)
//    "timeoutSeconds": 30}
//
// Placeholders: {{to}} the number, {{text}} the message, {{from}}, {{id}} the outbox's
// reference for the message (the same on every attempt: gateways that take a client
// reference drop a repeat). In the URL and a form body a value is percent-encoded, in a
// JSON body it is escaped as inside a JSON string, in a header it is put as it is.
//
// What an answer means: 2xx sent (the reply keeps the gateway's words); 408, 425, 429, 5xx,
// a refused or dropped connection, a timeout: tried again later; any other status, or a 2xx
// with the errorPointer present: refused for good. Secrets (headers, password) never appear
// in a log, an error or the audit chain; Display() shows scheme, host and port only.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "quire/base/result.h"
#include "quire/mail/smtp.h"

namespace quire::mail {

struct SmsGateway {
  std::string url;
  std::string method = "POST";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string user;
  std::string password;
  std::string content_type = "application/x-www-form-urlencoded";
  std::string body;
  std::string from;
  bool digits_only = false;  // numberFormat "digits"
  std::string error_pointer;
  std::string ca_file;
  std::chrono::seconds timeout{30};

  // scheme://host:port — no path, query or credentials.
  std::string Display() const;
  // Whether the gateway is reached over the network in clear text (http:// to another
  // machine): allowed (an SMS box on the company's network), but worth a warning.
  bool ClearTextToAnotherMachine() const;
};

// Errors: kInvalidArgument naming the member that is wrong and what it takes.
Result<SmsGateway> ParseSmsGateway(std::string_view json_text);
Result<SmsGateway> LoadSmsGateway(const std::string& path);

// A number as E.164 (+48601234567): what SMS are queued to.
bool IsE164(std::string_view number);

// Sends OutgoingMail's `to` (one number) and `text`; `message_id` is {{id}}.
std::unique_ptr<Transport> MakeSmsTransport(SmsGateway gateway);

// Fills {{to}}, {{text}}, {{from}}, {{id}} in `pattern`, each value encoded for where it
// goes: "url" and "form" percent-encode, "json" escapes, "raw" leaves it. Unknown
// placeholders are left as written. (Exposed for tests.)
std::string FillGatewayPattern(std::string_view pattern,
                               const std::vector<std::pair<std::string, std::string>>& values,
                               std::string_view encoding);

}  // namespace quire::mail
