// QuireServer: a real `quire serve` on a data directory and a free loopback port, for tests
// of the whole program (crash safety, the HTTP API end to end). The process is killed if
// still running when the object goes.
#pragma once

#include <cstdint>
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

}  // namespace quire::testing
