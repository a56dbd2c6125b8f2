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
  if (line && std::regex_search(*line, m, std::regex(R"(http://[^ ]+:(\d+))"))) {
    port = static_cast<std::uint16_t>(std::stoi(m[1]));
  }
}

}  // namespace quire::testing
