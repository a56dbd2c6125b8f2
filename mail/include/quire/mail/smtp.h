// Sending e-mail over SMTP: where to (an smtp:// or smtps:// URL, as `quire serve
// --smtp-url` takes it) and the transport that talks to the server (Poco::Net: EHLO,
// STARTTLS, AUTH, the message with its attachments as MIME parts).
//
// The URL: smtp://[USER:PASSWORD@]HOST[:PORT][?tls=required|none][&ca=FILE]
//   smtp://  port 25 by default (587 with a user); STARTTLS when the server offers it —
//            required with tls=required; a password is never sent in clear text except to
//            a server on this machine (loopback): the send is refused instead.
//   smtps:// port 465 by default; TLS from the first byte.
//   ca=FILE  trust that CA (a relay with a company CA); else the system's.
// The user and password may be percent-encoded (a '@' in a user is %40).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "quire/base/result.h"

namespace quire::mail {

enum class TlsMode {
  kOpportunistic,  // smtp://: STARTTLS when offered
  kRequired,       // smtp://...?tls=required: STARTTLS or no send
  kNone,           // smtp://...?tls=none: plain text (a relay on this machine)
  kImplicit,       // smtps://
};

struct SmtpConfig {
  std::string host;
  std::uint16_t port = 25;
  std::string user;
  std::string password;  // never logged, never in an error or the audit chain
  TlsMode tls = TlsMode::kOpportunistic;
  std::string ca_file;
  std::chrono::seconds timeout{30};
  // The URL without its password, for logs and status pages.
  std::string Display() const;
};

// Errors: kInvalidArgument naming what is wrong and how the URL is written.
Result<SmtpConfig> ParseSmtpUrl(std::string_view url);

struct Attachment {
  std::string name;
  std::string media_type;
  std::string bytes;
};

struct OutgoingMail {
  std::string from;  // "Quire <quire@example.com>" or an address
  std::vector<std::string> to;
  std::string subject;
  std::string text;  // UTF-8 plain text
  std::vector<Attachment> attachments;
  std::string message_id;  // the Message-ID header, <...@host>
};

// What a send attempt came to. `permanent`: sending it again will not help (a 5xx
// answer); `bounced`: the server refused the recipient or the message itself (5xx on
// RCPT or after DATA), which is recorded on the contact.
struct SendFailure {
  bool permanent = false;
  bool bounced = false;
  std::string reply;  // what the server said, or what went wrong on the way
};

struct SendResult {
  bool ok = false;
  std::string reply;  // the server's answer to the message ("250 2.0.0 queued as ...")
  SendFailure failure;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Thread-compatible: one send at a time.
  virtual SendResult Send(const OutgoingMail& mail) = 0;
};

std::unique_ptr<Transport> MakeSmtpTransport(SmtpConfig config);

}  // namespace quire::mail
