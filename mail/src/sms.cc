#include "quire/mail/sms.h"

#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/URI.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <fstream>
#include <sstream>

#include "quire/base/json_text.h"
#include "tls.h"

namespace quire::mail {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxAnswer = 64 * 1024;

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

std::string PercentEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// `in` as valid UTF-8 of at most `max` bytes: malformed bytes become U+FFFD, line breaks
// and other controls spaces, and a cut never splits a character (the reply is stored in
// JSON, which holds only valid UTF-8).
std::string CleanText(std::string_view in, std::size_t max) {
  std::string out;
  std::size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    bool ok = n != 0 && i + n <= in.size();
    for (std::size_t k = 1; ok && k < n; ++k) {
      ok = (static_cast<unsigned char>(in[i + k]) & 0xC0) == 0x80;
    }
    std::string piece;
    if (!ok) {
      piece = "\xEF\xBF\xBD";
      n = 1;
    } else if (n == 1 && (c < 0x20 || c == 0x7F)) {
      piece = " ";
    } else {
      piece = std::string(in.substr(i, n));
    }
    if (out.size() + piece.size() > max) {
      out += "…";
      break;
    }
    out += piece;
    i += n;
  }
  return out;
}

// The answer as a line for the delivery log: status and the first words of the body.
std::string Reply(int status, const std::string& reason, const std::string& body) {
  const std::string text = CleanText(body, 300);
  return std::to_string(status) + " " + CleanText(reason, 100) + (text.empty() ? "" : ": " + text);
}

class SmsTransport final : public Transport {
 public:
  explicit SmsTransport(SmsGateway g) : g_(std::move(g)) {}

  SendResult Send(const OutgoingMail& sms) override {
    SendResult r;
    if (sms.to.size() != 1) {
      r.failure = {true, false, "an SMS goes to one number"};
      return r;
    }
    std::string number = sms.to.front();
    if (g_.digits_only && number.starts_with('+')) number.erase(0, 1);
    const std::vector<std::pair<std::string, std::string>> values{
        {"to", number}, {"text", sms.text}, {"from", g_.from}, {"id", sms.message_id}};
    const bool json_body = g_.content_type.find("json") != std::string::npos;
    try {
      const Poco::URI uri(FillGatewayPattern(g_.url, values, "url"));
      std::unique_ptr<Poco::Net::HTTPClientSession> session;
      if (uri.getScheme() == "https") {
        if (context_.isNull()) context_ = internal::ClientTlsContext(g_.ca_file);
        session =
            std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context_);
      } else {
        session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
      }
      session->setTimeout(Poco::Timespan(static_cast<long>(g_.timeout.count()), 0));
      std::string target = uri.getPathAndQuery();
      if (target.empty()) target = "/";
      Poco::Net::HTTPRequest request(g_.method, target, Poco::Net::HTTPMessage::HTTP_1_1);
      request.set("User-Agent", "Quire");
      for (const auto& [name, value] : g_.headers) {
        const std::string filled = FillGatewayPattern(value, values, "raw");
        if (filled.find_first_of("\r\n") != std::string::npos) {
          // A line break in the number or text would start a header of its own.
          r.failure = {true, false,
                       "header '" + name + "' would hold a line break from the message: not sent"};
          return r;
        }
        request.set(name, filled);
      }
      if (!g_.user.empty() || !g_.password.empty()) {
        Poco::Net::HTTPBasicCredentials(g_.user, g_.password).authenticate(request);
      }
      std::string body;
      if (g_.method != "GET") {
        body = FillGatewayPattern(g_.body, values, json_body ? "json" : "form");
        request.setContentType(g_.content_type);
        request.setContentLength(static_cast<std::streamsize>(body.size()));
      }
      session->sendRequest(request) << body;
      Poco::Net::HTTPResponse response;
      std::istream& in = session->receiveResponse(response);
      std::string answer;
      char buffer[4096];
      while (answer.size() < kMaxAnswer && in.read(buffer, sizeof buffer).gcount() > 0) {
        answer.append(buffer, static_cast<std::size_t>(in.gcount()));
      }
      const int status = static_cast<int>(response.getStatus());
      const std::string reply = Reply(status, response.getReason(), answer);
      if (status >= 200 && status < 300) {
        if (!g_.error_pointer.empty()) {
          json::error_code ec;
          json::value v = json::parse(answer, ec);
          if (!ec) {
            json::error_code pec;
            if (v.find_pointer(g_.error_pointer, pec) != nullptr) {
              r.failure = {true, false, "the gateway refused it: " + reply};
              return r;
            }
          }
        }
        r.ok = true;
        r.reply = reply;
        return r;
      }
      const bool temporary = status == 408 || status == 425 || status == 429 || status >= 500;
      r.failure = {!temporary, false, reply};
      return r;
    } catch (const Poco::Exception& e) {
      // Refused or dropped connections, timeouts, TLS failures: worth another try. The
      // message names what failed, never the headers or password.
      r.failure = {false, false,
                   "the gateway " + g_.Display() + " could not be reached: " + e.displayText()};
      return r;
    } catch (const std::exception& e) {
      r.failure = {false, false, "the gateway " + g_.Display() + " failed: " + e.what()};
      return r;
    }
  }

 private:
  SmsGateway g_;
  Poco::Net::Context::Ptr context_;
};

Error Bad(const std::string& what) {
  return Error::InvalidArgument("the SMS gateway: " + what +
                                " (see README \"SMS\" and examples/sms-gateways/)");
}

}  // namespace

std::string FillGatewayPattern(std::string_view pattern,
                               const std::vector<std::pair<std::string, std::string>>& values,
                               std::string_view encoding) {
  std::string out;
  std::size_t i = 0;
  while (i < pattern.size()) {
    const std::size_t open = pattern.find("{{", i);
    if (open == std::string_view::npos) break;
    const std::size_t close = pattern.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    out.append(pattern.substr(i, open - i));
    const std::string_view name = pattern.substr(open + 2, close - open - 2);
    auto it = std::find_if(values.begin(), values.end(),
                           [&](const auto& kv) { return kv.first == name; });
    if (it == values.end()) {
      out.append(pattern.substr(open, close + 2 - open));
    } else if (encoding == "url" || encoding == "form") {
      out += PercentEncode(it->second);
    } else if (encoding == "json") {
      std::string quoted;
      AppendJsonString(it->second, quoted);
      out.append(quoted, 1, quoted.size() - 2);
    } else {
      out += it->second;
    }
    i = close + 2;
  }
  out.append(pattern.substr(std::min(i, pattern.size())));
  return out;
}

bool IsE164(std::string_view n) {
  if (n.size() < 8 || n.size() > 16 || n[0] != '+' || n[1] == '0') return false;
  return std::all_of(n.begin() + 1, n.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string SmsGateway::Display() const {
  // Scheme, host and port only: a gateway may carry an account or a token in its path.
  try {
    const Poco::URI uri(url);
    return uri.getScheme() + "://" + uri.getHost() + ":" + std::to_string(uri.getPort());
  } catch (const std::exception&) {
    return "(an SMS gateway)";
  }
}

bool SmsGateway::ClearTextToAnotherMachine() const {
  try {
    const Poco::URI uri(url);
    return uri.getScheme() == "http" && !IsLoopbackHost(uri.getHost());
  } catch (const std::exception&) {
    return false;
  }
}

Result<SmsGateway> ParseSmsGateway(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return Bad("the file is not JSON (" + ec.message() + ")");
  if (!v.is_object()) return Bad("the file holds one JSON object");
  const json::object& o = v.get_object();
  static const std::vector<std::string_view> kKnown{
      "url",  "method", "headers",      "user",         "password", "contentType",
      "body", "from",   "numberFormat", "errorPointer", "ca",       "timeoutSeconds"};
  for (const auto& kv : o) {
    if (std::find(kKnown.begin(), kKnown.end(), kv.key()) == kKnown.end()) {
      return Bad("'" + std::string(kv.key()) +
                 "' is not a setting; the settings are url, method, headers, user, password, "
                 "contentType, body, from, numberFormat, errorPointer, ca, timeoutSeconds");
    }
  }
  auto str = [&](std::string_view key, std::string& into) -> Result<void> {
    const json::value* m = o.if_contains(key);
    if (m == nullptr) return Ok();
    if (!m->is_string()) return Bad("'" + std::string(key) + "' is a string");
    into = std::string(m->get_string());
    return Ok();
  };
  SmsGateway g;
  QUIRE_RETURN_IF_ERROR(str("url", g.url));
  QUIRE_RETURN_IF_ERROR(str("method", g.method));
  QUIRE_RETURN_IF_ERROR(str("user", g.user));
  QUIRE_RETURN_IF_ERROR(str("password", g.password));
  QUIRE_RETURN_IF_ERROR(str("contentType", g.content_type));
  QUIRE_RETURN_IF_ERROR(str("body", g.body));
  QUIRE_RETURN_IF_ERROR(str("from", g.from));
  QUIRE_RETURN_IF_ERROR(str("errorPointer", g.error_pointer));
  QUIRE_RETURN_IF_ERROR(str("ca", g.ca_file));
  std::string format = "e164";
  QUIRE_RETURN_IF_ERROR(str("numberFormat", format));
  if (g.url.empty()) return Bad("'url' is required: where the gateway takes messages");
  if (!g.url.starts_with("http://") && !g.url.starts_with("https://")) {
    return Bad("'url' starts with http:// or https://");
  }
  try {
    const Poco::URI uri(
        FillGatewayPattern(g.url, {{"to", "1"}, {"text", "t"}, {"from", "f"}, {"id", "i"}}, "url"));
    if (uri.getHost().empty()) return Bad("'url' has no host");
  } catch (const std::exception& e) {
    return Bad("'url' is not a URL (" + std::string(e.what()) + ")");
  }
  std::transform(g.method.begin(), g.method.end(), g.method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (g.method != "GET" && g.method != "POST" && g.method != "PUT") {
    return Bad("'method' is GET, POST or PUT");
  }
  if (g.method != "GET" && g.body.empty()) {
    return Bad("'body' is required with " + g.method +
               ": what the gateway is sent, with {{to}} and {{text}}");
  }
  if (g.url.find("{{to}}") == std::string::npos && g.body.find("{{to}}") == std::string::npos) {
    return Bad("neither 'url' nor 'body' has {{to}}: the gateway would not know the number");
  }
  if (g.url.find("{{text}}") == std::string::npos && g.body.find("{{text}}") == std::string::npos) {
    return Bad("neither 'url' nor 'body' has {{text}}: the gateway would not get the message");
  }
  if (format == "digits") {
    g.digits_only = true;
  } else if (format != "e164") {
    return Bad("'numberFormat' is e164 (+48601234567) or digits (48601234567)");
  }
  if (!g.error_pointer.empty() && g.error_pointer[0] != '/') {
    return Bad("'errorPointer' is a JSON Pointer: /error");
  }
  if (const json::value* h = o.if_contains("headers")) {
    if (!h->is_object()) return Bad("'headers' is an object of names and values");
    for (const auto& kv : h->get_object()) {
      if (!kv.value().is_string()) {
        return Bad("header '" + std::string(kv.key()) + "' has a string value");
      }
      const std::string value(kv.value().get_string());
      if (value.find_first_of("\r\n") != std::string::npos) {
        return Bad("header '" + std::string(kv.key()) + "' is one line");
      }
      g.headers.emplace_back(std::string(kv.key()), value);
    }
  }
  if (const json::value* t = o.if_contains("timeoutSeconds")) {
    if (!t->is_int64() || t->get_int64() < 1 || t->get_int64() > 600) {
      return Bad("'timeoutSeconds' is a whole number from 1 to 600");
    }
    g.timeout = std::chrono::seconds(t->get_int64());
  }
  return g;
}

Result<SmsGateway> LoadSmsGateway(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::InvalidArgument("cannot read the SMS gateway file '" + path + "'");
  std::ostringstream s;
  s << in.rdbuf();
  auto g = ParseSmsGateway(s.str());
  if (!g) return g.error().WithContext(path);
  return g;
}

std::unique_ptr<Transport> MakeSmsTransport(SmsGateway gateway) {
  return std::make_unique<SmsTransport>(std::move(gateway));
}

}  // namespace quire::mail
