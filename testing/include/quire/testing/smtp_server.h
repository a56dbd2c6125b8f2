// SmtpServer: a real SMTP server on loopback for tests and benchmarks of e-mail
// (tests/mail/smtp_server.py, Debian's python3-aiosmtpd). It is killed when the object goes.
//   accept  every message is taken and kept (Received())
//   refuse  recipients starting "nobody" get 550, "later" get 451, others as accept
//   drop    the connection is cut when the message data would be sent
// `extra`: {"--user", U, "--password", P} to require AUTH.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "quire/testing/child_process.h"

namespace quire::testing {

class SmtpServer {
 public:
  // Starts it with `dir` for the messages; `port` stays 0 (and the test fails) when it did
  // not start.
  explicit SmtpServer(const std::filesystem::path& dir, const std::string& mode = "accept",
                      const std::vector<std::string>& extra = {});
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;
  ~SmtpServer() { Stop(); }

  // Kills it now (its port then refuses connections).
  void Stop();
  // The messages received, as the server wrote them (1.eml, 2.eml, ...), envelope first.
  std::vector<std::string> Received() const;

  std::uint16_t port = 0;

 private:
  std::filesystem::path dir_;
  std::optional<ChildProcess> child_;
};

}  // namespace quire::testing
