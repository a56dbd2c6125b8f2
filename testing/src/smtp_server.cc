#include "quire/testing/smtp_server.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <sstream>

namespace quire::testing {

using namespace std::chrono_literals;

LoopbackServer::LoopbackServer(const std::string& script, const std::filesystem::path& dir,
                               const std::string& mode, const std::vector<std::string>& extra,
                               std::string extension)
    : dir_(dir), extension_(std::move(extension)) {
  std::filesystem::create_directories(dir);
  std::vector<std::string> args{script, "--dir", dir.string(), "--mode", mode};
  args.insert(args.end(), extra.begin(), extra.end());
  auto child = ChildProcess::Spawn("/usr/bin/python3", args);
  EXPECT_TRUE(child) << child.error().message();
  if (!child) return;
  child_.emplace(std::move(*child));
  auto line = child_->WaitForLine("PORT ", 20s);
  EXPECT_TRUE(line.has_value()) << script << " did not start";
  if (line) port = static_cast<std::uint16_t>(std::stoi(line->substr(5)));
}

void LoopbackServer::Stop() {
  if (!child_) return;
  child_->Signal(SIGKILL);
  child_->Wait(10s);
  child_.reset();
}

std::vector<std::string> LoopbackServer::Received() const {
  std::vector<std::string> out;
  for (int n = 1;; ++n) {
    std::ifstream in(dir_ / (std::to_string(n) + extension_), std::ios::binary);
    if (!in) break;
    std::ostringstream s;
    s << in.rdbuf();
    out.push_back(s.str());
  }
  return out;
}

SmtpServer::SmtpServer(const std::filesystem::path& dir, const std::string& mode,
                       const std::vector<std::string>& extra)
    : LoopbackServer(QUIRE_SMTP_SERVER, dir, mode, extra, ".eml") {}

SmsGatewayServer::SmsGatewayServer(const std::filesystem::path& dir, const std::string& mode,
                                   const std::vector<std::string>& extra)
    : LoopbackServer(QUIRE_SMS_GATEWAY, dir, mode, extra, ".json") {}

}  // namespace quire::testing
