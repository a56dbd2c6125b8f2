// Real servers on loopback for tests and benchmarks of sending, each a Python script that
// prints "PORT <n>" once it listens and writes what it receives to numbered files in a
// directory. They are killed when the object goes.
//
// SmtpServer (tests/mail/smtp_server.py, Debian's python3-aiosmtpd):
//   accept  every message is taken and kept (Received(): 1.eml, 2.eml, ..., envelope first)
//   refuse  recipients starting "nobody" get 550, "later" get 451, others as accept
//   drop    the connection is cut when the message data would be sent
//   `extra`: {"--user", U, "--password", P} to require AUTH.
// SmsGatewayServer (tests/mail/sms_gateway.py, Python's http.server):
//   accept  200 as SMSAPI answers; Received(): each request as JSON {method, path, headers,
//           body}
//   error200 200 with {"error": 13, ...}; busy: 503 twice, then accept; refuse: 400; drop:
//           the connection closed without an answer
//   `extra`: {"--token", T} to require "Authorization: Bearer T".
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "quire/testing/child_process.h"

namespace quire::testing {

class LoopbackServer {
 public:
  // Starts `script` with `dir` for what it receives; `port` stays 0 (and the test fails)
  // when it did not start.
  LoopbackServer(const std::string& script, const std::filesystem::path& dir,
                 const std::string& mode, const std::vector<std::string>& extra,
                 std::string extension);
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  ~LoopbackServer() { Stop(); }

  // Kills it now (its port then refuses connections).
  void Stop();
  // What it received, in order.
  std::vector<std::string> Received() const;

  std::uint16_t port = 0;

 private:
  std::filesystem::path dir_;
  std::string extension_;
  std::optional<ChildProcess> child_;
};

class SmtpServer : public LoopbackServer {
 public:
  explicit SmtpServer(const std::filesystem::path& dir, const std::string& mode = "accept",
                      const std::vector<std::string>& extra = {});
};

class SmsGatewayServer : public LoopbackServer {
 public:
  explicit SmsGatewayServer(const std::filesystem::path& dir, const std::string& mode = "accept",
                            const std::vector<std::string>& extra = {});
};

}  // namespace quire::testing
