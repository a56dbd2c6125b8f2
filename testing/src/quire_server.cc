#include "quire/testing/quire_server.h"

#include <gtest/gtest.h>

#include <regex>

namespace quire::testing {

QuireServer::QuireServer(const std::string& binary, const std::string& data,
                         const std::vector<std::string>& extra) {
  std::vector<std::string> args{"serve", "--data-dir", data, "--port", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto c = ChildProcess::Spawn(binary, args);
  EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().message());
  if (!c) return;
  child.emplace(std::move(*c));
  const auto line = child->WaitForLine("listening on", std::chrono::seconds(60));
  std::smatch m;
  if (line && std::regex_search(*line, m, std::regex(R"(https?://[^ ]+:(\d+))"))) {
    port = static_cast<std::uint16_t>(std::stoi(m[1]));
  }
}

std::map<std::string, std::string> ProvisionUsers(
    const std::string& binary, const std::string& data,
    const std::map<std::string, std::vector<std::string>>& roles_by_user) {
  std::map<std::string, std::string> tokens;
  auto run = [&](const std::vector<std::string>& args) -> std::string {
    auto c = ChildProcess::Spawn(binary, args);
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().message());
    if (!c) return "";
    std::string out = c->ReadAllStdout();
    const std::string err = c->ReadAllStderr();
    const auto status = c->Wait(std::chrono::seconds(120));
    EXPECT_TRUE(status && status->code == 0) << args[0] << " " << args[1] << ": " << err;
    return out;
  };
  for (const auto& [user, roles] : roles_by_user) {
    std::vector<std::string> add{"user", "add", user, "--name", user, "--data-dir", data};
    for (const std::string& r : roles) {
      add.push_back("--role");
      add.push_back(r);
    }
    run(add);
    std::string out = run({"token", "create", "--user", user, "--data-dir", data});
    while (!out.empty() && out.back() == '\n') out.pop_back();
    tokens[user] = out.substr(out.find_last_of('\n') + 1);
  }
  return tokens;
}

}  // namespace quire::testing
