// A 1 GB document over HTTP: POST /api/documents with the raw body streamed into the
// document store (chunked, hashed, stored, synced, audited), then GET .../content streamed
// back with every chunk verified. The client is a plain socket on loopback, in this
// process, sending from memory filled beforehand (so that making the bytes is not timed).
//
//   http_ingest_benchmark [--mib N]
//
// The store lives in $QUIRE_BENCH_DIR (default ./quire-bench-data) and is removed after.
// Compare with: dd if=/dev/zero of=$QUIRE_BENCH_DIR/dd bs=1M count=1024 conv=fdatasync
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include <boost/json/parse.hpp>

#include "bench_support.h"
#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/dms/documents.h"
#include "quire/org/directory.h"
#include "quire/server/document_routes.h"
#include "quire/server/http_server.h"
#include "quire/storage/store.h"

namespace {

using namespace quire;
using Steady = std::chrono::steady_clock;
using bench::BenchDir;
using bench::Die;

int Connect(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  return fd;
}

void SendAll(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w <= 0) {
      std::perror("send");
      std::exit(1);
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

// Reads a response: its head, then Content-Length bytes (counted, dropped). Returns the head.
std::string ReadResponse(int fd, std::uint64_t& body_bytes) {
  std::string head;
  std::string buf(1 << 20, '\0');
  std::size_t header_end = std::string::npos;
  std::uint64_t got = 0;
  while (header_end == std::string::npos) {
    const ssize_t r = ::recv(fd, buf.data(), buf.size(), 0);
    if (r <= 0) break;
    head.append(buf.data(), static_cast<std::size_t>(r));
    header_end = head.find("\r\n\r\n");
  }
  if (header_end == std::string::npos) return head;
  got = head.size() - header_end - 4;
  std::uint64_t length = 0;
  if (const auto at = head.find("Content-Length: "); at != std::string::npos) {
    length = std::stoull(head.substr(at + 16));
  }
  while (got < length) {
    const ssize_t r = ::recv(fd, buf.data(), buf.size(), 0);
    if (r <= 0) break;
    got += static_cast<std::uint64_t>(r);
  }
  body_bytes = got;
  return head.substr(0, header_end + 4 + std::min<std::size_t>(head.size() - header_end - 4, 400));
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t mib = 1024;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--mib") == 0) mib = std::strtoull(argv[i + 1], nullptr, 10);
  }
  const std::uint64_t bytes = mib << 20;
  std::string data(bytes, '\0');
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  bench::FillRandom(data.data(), data.size(), state);

  std::filesystem::remove_all(BenchDir());
  auto store = storage::Store::Open(BenchDir());
  if (!store) Die("open store", store.error());
  auto log = audit::AuditLog::Open(**store, BenchDir());
  if (!log) Die("open audit log", log.error());
  dms::ContentStore contents(**store);
  dms::DocumentStore docs(**store, contents, **log, SystemClock::Instance());
  auto type = dms::ParseDocumentType(boost::json::parse(R"({"id":"scan"})"));
  if (auto r = docs.PutType(*type, "bench"); !r) Die("type", r.error());
  org::Directory directory(**store, log->get(), SystemClock::Instance());
  server::Router router;
  server::AddDocumentRoutes(router, docs, nullptr, directory);
  // Measures ingest, not sign-in: every request is "bench", who may do everything.
  router.SetAuthenticator(
      [](const server::Request&) -> Result<std::shared_ptr<const org::Principal>> {
        auto p = std::make_shared<org::Principal>();
        p->user = "bench";
        for (const org::Permission perm : org::AllPermissions()) p->permissions.Add({perm});
        return std::shared_ptr<const org::Principal>(std::move(p));
      });
  // The HTTP path alone: the body read and dropped.
  router.AddStreaming("POST", "/discard", server::Access::Public(),
                      [](const server::Request& request) {
                        std::string piece(512 << 10, '\0');
                        std::uint64_t n = 0;
                        for (;;) {
                          auto got = request.body_reader->Read(piece.data(), piece.size());
                          if (!got || *got == 0) break;
                          n += *got;
                        }
                        server::Response response;
                        response.status = 201;
                        response.body = std::to_string(n);
                        return response;
                      });
  server::HttpServerOptions options;
  options.port = 0;
  options.read_timeout = std::chrono::seconds(120);
  options.write_timeout = std::chrono::seconds(120);
  server::HttpServer http(std::move(router), options);
  if (auto r = http.Start(); !r) Die("start", r.error());

  const int fd = Connect(http.port());
  {
    const std::string head =
        "POST /discard HTTP/1.1\r\nHost: bench\r\nContent-Length: " + std::to_string(bytes) +
        "\r\n\r\n";
    const auto d0 = Steady::now();
    SendAll(fd, head.data(), head.size());
    for (std::uint64_t off = 0; off < bytes; off += 1 << 20) {
      SendAll(fd, data.data() + off,
              static_cast<std::size_t>(std::min<std::uint64_t>(1 << 20, bytes - off)));
    }
    std::uint64_t answered = 0;
    ReadResponse(fd, answered);
    const double s = std::chrono::duration<double>(Steady::now() - d0).count();
    std::printf(
        "HTTP upload of %llu MiB, body read and dropped (the HTTP path alone): %.0f MiB/s\n",
        static_cast<unsigned long long>(mib), static_cast<double>(mib) / s);
  }
  const std::string head =
      "POST /api/documents?title=big&type=scan HTTP/1.1\r\nHost: bench\r\n"
      "Content-Type: application/octet-stream\r\n"
      "Content-Length: " +
      std::to_string(bytes) + "\r\n\r\n";
  const auto t0 = Steady::now();
  SendAll(fd, head.data(), head.size());
  for (std::uint64_t off = 0; off < bytes; off += 1 << 20) {
    SendAll(fd, data.data() + off,
            static_cast<std::size_t>(std::min<std::uint64_t>(1 << 20, bytes - off)));
  }
  std::uint64_t answered = 0;
  const std::string reply = ReadResponse(fd, answered);
  const double up_s = std::chrono::duration<double>(Steady::now() - t0).count();
  if (reply.find(" 201 ") == std::string::npos) {
    std::fprintf(stderr, "upload failed: %s\n", reply.c_str());
    return 1;
  }
  std::printf(
      "HTTP upload of %llu MiB (raw body, streamed, durable, audited): %.2f s, %.0f MiB/s\n",
      static_cast<unsigned long long>(mib), up_s, static_cast<double>(mib) / up_s);

  const std::string get =
      "GET /api/documents/1/content HTTP/1.1\r\nHost: bench\r\n"
      "\r\n";
  const auto g0 = Steady::now();
  SendAll(fd, get.data(), get.size());
  std::uint64_t received = 0;
  const std::string got = ReadResponse(fd, received);
  const double down_s = std::chrono::duration<double>(Steady::now() - g0).count();
  if (got.find(" 200 ") == std::string::npos || received != bytes) {
    std::fprintf(stderr, "download failed (%llu bytes): %s\n",
                 static_cast<unsigned long long>(received), got.c_str());
    return 1;
  }
  std::printf("HTTP download, every chunk verified: %.2f s, %.0f MiB/s\n", down_s,
              static_cast<double>(mib) / down_s);
  ::close(fd);
  http.Shutdown();
  http.Wait();
  log->reset();
  store->reset();
  std::filesystem::remove_all(BenchDir());
  return 0;
}
