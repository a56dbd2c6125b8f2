// A blocking HTTP/1.1 client for the benchmarks that measure Quire over real HTTP on
// loopback: one kept-alive connection, requests one at a time.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace quire::bench {

// One kept-alive HTTP/1.1 connection on loopback, blocking.
class Connection {
 public:
  explicit Connection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      std::perror("connect");
      std::exit(1);
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends a request and returns the status of its answer (its body is read and dropped).
  int Request(const std::string& method, const std::string& target, const std::string& body,
              const std::string& headers) {
    std::string req =
        method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    const char* p = req.data();
    std::size_t n = req.size();
    while (n > 0) {
      const ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL);
      if (w <= 0) {
        std::perror("send");
        std::exit(1);
      }
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    // Head, then Content-Length bytes of body.
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) Fill();
    const std::string head = buf_.substr(0, end);
    std::size_t length = 0;
    for (const char* name : {"Content-Length: ", "content-length: "}) {
      if (const std::size_t at = head.find(name); at != std::string::npos) {
        length = std::stoul(head.substr(at + std::strlen(name)));
      }
    }
    while (buf_.size() < end + 4 + length) Fill();
    last_body_ = buf_.substr(end + 4, length);
    buf_.erase(0, end + 4 + length);
    return std::stoi(head.substr(9, 3));
  }
  const std::string& last_body() const { return last_body_; }

 private:
  void Fill() {
    char chunk[16384];
    const ssize_t r = ::recv(fd_, chunk, sizeof chunk, 0);
    if (r <= 0) {
      std::fprintf(stderr, "the server closed the connection\n");
      std::exit(1);
    }
    buf_.append(chunk, static_cast<std::size_t>(r));
  }
  int fd_;
  std::string buf_;
  std::string last_body_;
};

}  // namespace quire::bench
