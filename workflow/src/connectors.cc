// The built-in connectors: noop, set-variables (inline) and http (a job).
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "quire/base/json_text.h"
#include "quire/workflow/connector.h"

namespace quire::workflow {
namespace {
namespace json = boost::json;
namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

// Completes at once and changes nothing.
class NoopConnector final : public Connector {
 public:
  Result<JobOutcome> Run(const JobRequest&) override { return JobOutcome{}; }
  bool inline_run() const override { return true; }
};

// Sets the task's input mappings as process variables (all visible variables when the
// task has no mappings).
class SetVariablesConnector final : public Connector {
 public:
  Result<JobOutcome> Run(const JobRequest& request) override {
    JobOutcome out;
    out.variables = request.inputs.empty() ? json::object() : request.inputs;
    return out;
  }
  bool inline_run() const override { return true; }
};

struct Url {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};

Result<Url> ParseUrl(std::string_view url) {
  constexpr std::string_view kHttp = "http://";
  if (url.starts_with("https://")) {
    return Error::InvalidArgument("the http connector speaks plain http only; '" +
                                  std::string(url) + "' needs TLS — put a TLS proxy in front");
  }
  if (!url.starts_with(kHttp)) {
    return Error::InvalidArgument("url must start with http://, not '" + std::string(url) + "'");
  }
  url.remove_prefix(kHttp.size());
  Url out;
  const std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.target = std::string(url.substr(slash));
  if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    out.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
  }
  out.host = std::string(authority);
  if (out.host.empty())
    return Error::InvalidArgument("url has no host: '" + std::string(url) + "'");
  return out;
}

// Calls a URL. Inputs: url (required), method (GET), headers (object), body (string, or
// any JSON value sent as application/json). Produces: status, body (parsed when JSON),
// headers. A status outside 200-299 or a network failure fails the job (retried).
class HttpConnector final : public Connector {
 public:
  Result<JobOutcome> Run(const JobRequest& request) override {
    const json::object& in = request.variables;
    auto text = [&](std::string_view name) -> std::string {
      const json::value* v = in.if_contains(name);
      return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    const std::string url_text = text("url");
    if (url_text.empty()) {
      return Error::InvalidArgument("the http connector needs an input 'url'");
    }
    QUIRE_ASSIGN_OR_RETURN(Url url, ParseUrl(url_text));
    std::string method = text("method");
    if (method.empty()) method = "GET";
    const http::verb verb = http::string_to_verb(method);
    if (verb == http::verb::unknown) {
      return Error::InvalidArgument("unknown http method '" + method + "'");
    }
    try {
      asio::io_context io;
      asio::ip::tcp::resolver resolver(io);
      beast::tcp_stream stream(io);
      const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
          request.deadline - std::chrono::steady_clock::now());
      if (remaining.count() <= 0) return Error::DeadlineExceeded("no time left for the call");
      stream.expires_after(remaining);
      stream.connect(resolver.resolve(url.host, url.port));
      http::request<http::string_body> req{verb, url.target, 11};
      req.set(http::field::host, url.host);
      req.set(http::field::user_agent, "Quire");
      if (const json::value* h = in.if_contains("headers"); h != nullptr && h->is_object()) {
        for (const auto& [name, value] : h->get_object()) {
          req.set(name, value.is_string() ? std::string(value.get_string()) : JsonText(value));
        }
      }
      if (const json::value* b = in.if_contains("body"); b != nullptr && !b->is_null()) {
        if (b->is_string()) {
          req.body() = std::string(b->get_string());
        } else {
          req.body() = JsonText(*b);
          if (req.find(http::field::content_type) == req.end()) {
            req.set(http::field::content_type, "application/json");
          }
        }
        req.prepare_payload();
      }
      http::write(stream, req);
      beast::flat_buffer buffer;
      http::response_parser<http::string_body> parser;
      parser.body_limit(16 << 20);
      http::read(stream, buffer, parser);
      auto& res = parser.get();
      beast::error_code ec;
      stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
      const int status = static_cast<int>(res.result_int());
      if (status < 200 || status > 299) {
        return Error::Unavailable(method + " " + url_text + " answered " + std::to_string(status) +
                                  ": " + res.body().substr(0, 200));
      }
      JobOutcome out;
      out.variables["status"] = status;
      boost::system::error_code jec;
      json::value body = json::parse(res.body(), jec);
      out.variables["body"] = jec ? json::value(res.body()) : std::move(body);
      json::object headers;
      for (const auto& field : res)
        headers[std::string(field.name_string())] = std::string(field.value());
      out.variables["headers"] = std::move(headers);
      return out;
    } catch (const std::exception& e) {
      return Error::Unavailable(method + " " + url_text + " failed: " + e.what());
    }
  }
};

}  // namespace

ConnectorRegistry ConnectorRegistry::WithBuiltins() {
  ConnectorRegistry r;
  r.Register("noop", std::make_shared<NoopConnector>());
  r.Register("set-variables", std::make_shared<SetVariablesConnector>());
  r.Register("http", std::make_shared<HttpConnector>());
  return r;
}

}  // namespace quire::workflow
