// HttpServer: HTTP/1.1 on Boost.Beast and Asio.
//
// I/O threads run an async listener and one session per connection (keep-alive, one
// request at a time per connection). Each request is handed to a pool of handler threads,
// where the Router runs; handlers may block (for example until a commit is durable)
// without stalling other connections. Limits and timeouts come from HttpServerOptions;
// a request that breaks one is answered with the matching status (400, 408/close, 413,
// 431, 503) in the standard error shape and the connection is closed.
//
// Lifecycle: Start() binds and serves; Shutdown() (from any thread, any number of times)
// stops accepting, closes idle connections and lets requests in flight finish; Wait()
// returns once everything has stopped or the grace period ran out.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "quire/base/result.h"
#include "quire/server/router.h"

namespace quire::server {

struct HttpServerOptions {
  // Address to bind: an IPv4 or IPv6 literal, or a host name that resolves to one.
  std::string host = "127.0.0.1";
  // TCP port; 0 picks a free one (see HttpServer::port()).
  std::uint16_t port = 8080;
  // Threads doing socket I/O.
  std::size_t io_threads = 1;
  // Threads running route handlers.
  std::size_t handler_threads = 4;
  // Threads running routes added with Router::AddSlow (sign-ins: Argon2id is slow on
  // purpose), apart from the others so that a burst of them never starves other requests.
  std::size_t slow_threads = 1;
  // Requests for the slow pool waiting or running at most; more are answered 503 at once.
  std::size_t max_slow_queue = 64;
  // Largest request header; larger is answered 431.
  std::size_t max_header_bytes = std::size_t{16} << 10;
  // Largest request body; larger is answered 413.
  std::size_t max_body_bytes = std::size_t{8} << 20;
  // Time allowed to receive one whole request, including the idle wait for it on a
  // kept-alive connection; after it the connection is closed.
  std::chrono::milliseconds read_timeout{30'000};
  // Time allowed to send one response.
  std::chrono::milliseconds write_timeout{30'000};
  // Open connections at most; one more is answered 503 and closed.
  std::size_t max_connections = 1024;
  // TLS: PEM files of the certificate (chain) and its private key; both empty: plain HTTP.
  // With TLS, a plain-HTTP request is answered 400 ("use https") and every response carries
  // Strict-Transport-Security.
  std::string tls_certificate;
  std::string tls_private_key;
  // How long Shutdown lets requests in flight finish before connections are cut.
  std::chrono::milliseconds shutdown_grace{10'000};
};

class HttpServer {
 public:
  HttpServer(Router router, const HttpServerOptions& options);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // Shuts down and waits.
  ~HttpServer();

  // Binds and starts serving. Errors: kInvalidArgument for a host that is not an address
  // or resolvable name; kUnavailable when the address cannot be bound (port in use, no
  // permission). REQUIRES: called once.
  Result<void> Start();

  // The bound port (the chosen one when options.port was 0). REQUIRES: Start() succeeded.
  std::uint16_t port() const;
  // "http://host:port", for people and logs.
  std::string url() const;

  void Shutdown();
  void Wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace quire::server
