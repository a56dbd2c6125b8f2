// Actor: who caused an audited change — the user (or the part of Quire acting on its own:
// "engine", "timer", "process:<id>/<instance>") and how they came in: the session or API
// token of an HTTP request, or "local (<os user>)" for a command run on the data dir.
// The chain records `id` as the entry's actor and `via` as its details' "via" member.
#pragma once

#include <string>
#include <utility>

namespace quire::audit {

struct Actor {
  std::string id;
  std::string via;  // "session 3f9a0c1d", "token 17", "local (root)"; empty for the system

  Actor() = default;
  // Implicit on purpose: a bare user id is an actor whose way in is not known (tests, the
  // engine's own work).
  Actor(std::string user, std::string how = {}) : id(std::move(user)), via(std::move(how)) {}
  Actor(const char* user) : id(user) {}
};

}  // namespace quire::audit
