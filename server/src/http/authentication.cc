#include "quire/server/authentication.h"

#include <sodium.h>

#include <algorithm>

namespace quire::server {
namespace {

bool ChangesState(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

bool EqualConstantTime(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// "https://host:port" → "host:port".
std::string_view OriginHost(std::string_view origin) {
  const std::size_t scheme = origin.find("://");
  if (scheme == std::string_view::npos) return {};
  origin.remove_prefix(scheme + 3);
  return origin.substr(0, origin.find('/'));
}

Result<std::string> DecodeBase64(std::string_view text) {
  std::string out(text.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), " \t", &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return Error::Unauthenticated("the Basic credentials are not valid base64");
  }
  out.resize(len);
  return out;
}

// The CSRF rules for a cookie-authenticated request that changes something.
Result<void> CheckCrossSite(const Request& request, const org::Principal& principal) {
  if (const auto site = request.header("sec-fetch-site"); site && *site == "cross-site") {
    return Error::Forbidden("a request from another site may not change anything here");
  }
  if (const auto origin = request.header("origin")) {
    const auto host = request.header("host");
    if (!host || OriginHost(*origin) != *host) {
      return Error::Forbidden("the request comes from another origin (" + std::string(*origin) +
                              ") and may not change anything here");
    }
  }
  const auto token = request.header("x-csrf-token");
  if (!token || !EqualConstantTime(*token, principal.csrf_token)) {
    return Error::Forbidden(
        "missing or wrong X-CSRF-Token: a request signed in with the session cookie that changes "
        "something must send the csrfToken the sign-in answered");
  }
  return Ok();
}

}  // namespace

std::string SessionCookieName(bool tls) { return tls ? "__Host-quire_session" : "quire_session"; }

std::string CookieValue(const Request& request, std::string_view name) {
  for (const Header& h : request.headers) {
    if (h.name != "cookie") continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      const std::size_t semi = rest.find(';');
      const std::string_view pair = rest.substr(0, semi);
      const std::size_t eq = pair.find('=');
      if (eq != std::string_view::npos && Trim(pair.substr(0, eq)) == name) {
        return Trim(pair.substr(eq + 1));
      }
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
  }
  return "";
}

Authenticator MakeAuthenticator(org::Identity& identity, const AuthenticationOptions& options) {
  const std::string cookie = SessionCookieName(options.tls);
  return
      [&identity, cookie](const Request& request) -> Result<std::shared_ptr<const org::Principal>> {
        if (const auto authorization = request.header("authorization")) {
          const std::string_view value = *authorization;
          const std::size_t space = value.find(' ');
          const std::string scheme(value.substr(0, space));
          const std::string credentials =
              space == std::string_view::npos ? std::string() : Trim(value.substr(space + 1));
          std::string lower = scheme;
          std::transform(lower.begin(), lower.end(), lower.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
          if (lower == "bearer") return identity.AuthenticateToken(credentials);
          if (lower == "basic") {
            QUIRE_ASSIGN_OR_RETURN(std::string pair, DecodeBase64(credentials));
            const std::size_t colon = pair.find(':');
            if (colon == std::string::npos) {
              return Error::Unauthenticated("Basic credentials must be user:password");
            }
            return identity.AuthenticateBasic(pair.substr(0, colon), pair.substr(colon + 1),
                                              request.remote);
          }
          return Error::Unauthenticated("unsupported Authorization scheme '" + scheme +
                                        "': use Bearer with an API token, or Basic");
        }
        const std::string session = CookieValue(request, cookie);
        if (session.empty()) {
          return Error::Unauthenticated(
              "sign in first: POST /api/auth/login for a browser session, or send an API token as "
              "'Authorization: Bearer qt_...'");
        }
        QUIRE_ASSIGN_OR_RETURN(std::shared_ptr<const org::Principal> principal,
                               identity.AuthenticateSession(session));
        if (ChangesState(request.method))
          QUIRE_RETURN_IF_ERROR(CheckCrossSite(request, *principal));
        return principal;
      };
}

}  // namespace quire::server
