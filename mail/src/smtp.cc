#include "quire/mail/smtp.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/MailMessage.h>
#include <Poco/Net/MailRecipient.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SMTPClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureSMTPClientSession.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StringPartSource.h>
#include <Poco/Timespan.h>

#include <charconv>
#include <mutex>

#include "tls.h"

namespace quire::mail {
namespace {

std::string PercentDecode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16);
      if (ec == std::errc() && p == in.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += in[i];
  }
  return out;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

const char kForm[] =
    "; write it smtp://[USER:PASSWORD@]HOST[:PORT][?tls=required|none][&ca=FILE] or "
    "smtps://[USER:PASSWORD@]HOST[:PORT]";

Poco::Net::Context::Ptr TlsContext(const SmtpConfig& c) {
  return internal::ClientTlsContext(c.ca_file);
}

// "Recipient rejected" + 550 → permanent, a bounce. Poco puts the server's status in the
// exception's code and its words in the message.
SendFailure Classify(const Poco::Net::SMTPException& e) {
  SendFailure f;
  const int status = e.code();
  f.reply = e.displayText();
  f.permanent = status >= 500 && status < 600;
  const std::string what = e.message();
  f.bounced = f.permanent && (what.find("Recipient rejected") != std::string::npos ||
                              what.find("rejected the message") != std::string::npos);
  return f;
}

// A session whose connection sends each write at once: the message goes out in many small
// writes, and Nagle's algorithm with the server's delayed ACK makes a large one 3× slower.
class Session final : public Poco::Net::SecureSMTPClientSession {
 public:
  using SecureSMTPClientSession::SecureSMTPClientSession;
  void NoDelay() { socket().setNoDelay(true); }
};

class SmtpTransport final : public Transport {
 public:
  explicit SmtpTransport(SmtpConfig config) : config_(std::move(config)) {}

  SendResult Send(const OutgoingMail& mail) override {
    SendResult r;
    try {
      Poco::Net::MailMessage message;
      message.setSender(mail.from);
      for (const std::string& to : mail.to) {
        message.addRecipient(
            Poco::Net::MailRecipient(Poco::Net::MailRecipient::PRIMARY_RECIPIENT, to));
      }
      message.setSubject(Poco::Net::MailMessage::encodeWord(mail.subject, "UTF-8"));
      if (!mail.message_id.empty()) message.set("Message-ID", mail.message_id);
      if (mail.attachments.empty()) {
        message.setContentType("text/plain; charset=UTF-8");
        message.setContent(mail.text, Poco::Net::MailMessage::ENCODING_QUOTED_PRINTABLE);
      } else {
        message.addContent(new Poco::Net::StringPartSource(mail.text, "text/plain; charset=UTF-8"),
                           Poco::Net::MailMessage::ENCODING_QUOTED_PRINTABLE);
        for (const Attachment& a : mail.attachments) {
          message.addAttachment(Poco::Net::MailMessage::encodeWord(a.name, "UTF-8"),
                                new Poco::Net::StringPartSource(a.bytes, a.media_type, a.name),
                                Poco::Net::MailMessage::ENCODING_BASE64);
        }
      }
      const Poco::Timespan timeout(static_cast<long>(config_.timeout.count()), 0);
      if (config_.tls == TlsMode::kImplicit) {
        Poco::Net::SecureStreamSocket socket(Poco::Net::SocketAddress(config_.host, config_.port),
                                             config_.host, Context());
        Poco::Net::SMTPClientSession session(socket);
        session.setTimeout(timeout);
        SendOver(session, message, /*secure=*/true);
      } else {
        // By host name, not by a socket: STARTTLS checks the server's certificate against
        // the name the session was made with.
        Session session(config_.host, config_.port);
        session.setTimeout(timeout);
        session.NoDelay();
        session.login();
        bool secure = false;
        if (config_.tls != TlsMode::kNone) secure = session.startTLS(Context());
        if (!secure && config_.tls == TlsMode::kRequired) {
          session.close();
          r.failure = {false, false,
                       config_.host +
                           " does not offer STARTTLS, and the URL asks for TLS "
                           "(tls=required): nothing was sent"};
          return r;
        }
        SendOver(session, message, secure);
      }
      r.ok = true;
      r.reply = "250 accepted by " + config_.host;
    } catch (const Poco::Net::SMTPException& e) {
      r.failure = Classify(e);
    } catch (const NotSecure& e) {
      r.failure = {true, false, e.what()};
    } catch (const Poco::Exception& e) {
      // Refused or dropped connections, timeouts, TLS failures: worth another try.
      r.failure = {false, false,
                   config_.host + ":" + std::to_string(config_.port) + ": " + e.displayText()};
    } catch (const std::exception& e) {
      r.failure = {false, false, e.what()};
    }
    return r;
  }

 private:
  struct NotSecure : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

  void SendOver(Poco::Net::SMTPClientSession& session, const Poco::Net::MailMessage& message,
                bool secure) {
    if (!config_.user.empty()) {
      if (!secure && !IsLoopback(config_.host)) {
        session.close();
        throw NotSecure("the password for " + config_.host +
                        " would go in clear text (the server offers no STARTTLS): nothing was "
                        "sent; use smtps:// or a server that offers STARTTLS");
      }
      session.login(Poco::Net::SMTPClientSession::AUTH_PLAIN, config_.user, config_.password);
    } else if (secure) {
      session.login();  // EHLO again, over TLS
    }
    session.sendMessage(message);
    session.close();
  }

  // Made once: loading the system's CA certificates takes tens of milliseconds.
  Poco::Net::Context::Ptr Context() {
    if (context_.isNull()) context_ = TlsContext(config_);
    return context_;
  }

  SmtpConfig config_;
  Poco::Net::Context::Ptr context_;
};

}  // namespace

std::string SmtpConfig::Display() const {
  std::string s = (tls == TlsMode::kImplicit ? "smtps://" : "smtp://");
  if (!user.empty()) s += user + ":***@";
  s += host + ":" + std::to_string(port);
  if (tls == TlsMode::kRequired) s += "?tls=required";
  if (tls == TlsMode::kNone) s += "?tls=none";
  return s;
}

Result<SmtpConfig> ParseSmtpUrl(std::string_view url) {
  SmtpConfig c;
  std::string_view rest;
  if (url.starts_with("smtp://")) {
    rest = url.substr(7);
  } else if (url.starts_with("smtps://")) {
    rest = url.substr(8);
    c.tls = TlsMode::kImplicit;
  } else {
    return Error::InvalidArgument("the SMTP URL starts with smtp:// or smtps://" +
                                  std::string(kForm));
  }
  // The credentials first, up to the last '@': a password may hold '?', ':' or '/' (then
  // no part of it is ever echoed back in an error below).
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const std::size_t colon = credentials.find(':');
    if (colon == std::string_view::npos) {
      return Error::InvalidArgument("the SMTP URL names a user without a password" +
                                    std::string(kForm));
    }
    c.user = PercentDecode(credentials.substr(0, colon));
    c.password = PercentDecode(credentials.substr(colon + 1));
  }
  std::string_view query;
  if (const std::size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view port_text;
  if (rest.starts_with('[')) {  // [IPv6]
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      return Error::InvalidArgument("the SMTP URL's host lacks its ']'" + std::string(kForm));
    }
    c.host = std::string(rest.substr(1, close - 1));
    if (close + 1 < rest.size() && rest[close + 1] == ':') port_text = rest.substr(close + 2);
  } else if (const std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    c.host = std::string(rest.substr(0, colon));
    port_text = rest.substr(colon + 1);
  } else {
    c.host = std::string(rest);
  }
  if (c.host.empty())
    return Error::InvalidArgument("the SMTP URL names no host" + std::string(kForm));
  if (port_text.empty()) {
    c.port = c.tls == TlsMode::kImplicit ? 465 : (c.user.empty() ? 25 : 587);
  } else {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || v == 0 || v > 65535) {
      return Error::InvalidArgument("'" + std::string(port_text) + "' is not a port (1 to 65535)" +
                                    std::string(kForm));
    }
    c.port = static_cast<std::uint16_t>(v);
  }
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    const std::string value =
        eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    if (key == "tls") {
      if (c.tls == TlsMode::kImplicit) {
        return Error::InvalidArgument("smtps:// is TLS from the start: it takes no tls=");
      }
      if (value == "required") {
        c.tls = TlsMode::kRequired;
      } else if (value == "none") {
        c.tls = TlsMode::kNone;
      } else {
        return Error::InvalidArgument("tls=" + value + " is not known: tls=required or tls=none");
      }
    } else if (key == "ca") {
      c.ca_file = value;
    } else {
      return Error::InvalidArgument("the SMTP URL's '" + std::string(key) +
                                    "' is not known: tls= and ca= are" + std::string(kForm));
    }
  }
  return c;
}

std::unique_ptr<Transport> MakeSmtpTransport(SmtpConfig config) {
  return std::make_unique<SmtpTransport>(std::move(config));
}

namespace internal {

void InitializeSsl() {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Net::initializeSSL();
    // A certificate that does not verify is refused, never accepted after a prompt.
    Poco::SharedPtr<Poco::Net::InvalidCertificateHandler> reject =
        new Poco::Net::RejectCertificateHandler(false);
    Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, nullptr);
  });
}

Poco::Net::Context::Ptr ClientTlsContext(const std::string& ca_file) {
  InitializeSsl();
  Poco::Net::Context::Params params;
  params.caLocation = ca_file;
  params.loadDefaultCAs = ca_file.empty();
  params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
  return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
}

}  // namespace internal
}  // namespace quire::mail
