// QuireServer: a real `quire serve` on a data directory and a free loopback port, for tests
// of the whole program (crash safety, the HTTP API end to end). The process is killed if
// still running when the object goes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "quire/testing/child_process.h"

namespace quire::testing {

struct QuireServer {
  // Starts `binary serve --data-dir data --port 0 [extra...]` and waits (up to a minute)
  // for it to listen; `port` stays 0 when it did not.
  QuireServer(const std::string& binary, const std::string& data,
              const std::vector<std::string>& extra = {});

  std::optional<ChildProcess> child;
  std::uint16_t port = 0;
};

// Creates users on a data directory no server has open, through the real CLI (`quire user
// add ID --name ID --role R...`, then `quire token create --user ID`), and returns each
// user's API token, to send as "Authorization: Bearer TOKEN". Fails the test on error.
std::map<std::string, std::string> ProvisionUsers(
    const std::string& binary, const std::string& data,
    const std::map<std::string, std::vector<std::string>>& roles_by_user);

// "Authorization: Bearer TOKEN" as a header pair for MakeRequest.
inline std::pair<std::string, std::string> Bearer(const std::string& token) {
  return {"Authorization", "Bearer " + token};
}

}  // namespace quire::testing
