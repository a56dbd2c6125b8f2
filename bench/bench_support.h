// What Quire's benchmark programs share: where their store lives, and how they give up.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "quire/base/error.h"

namespace quire::bench {

// $QUIRE_BENCH_DIR, else ./quire-bench-data: the disk whose figures are wanted.
inline std::filesystem::path BenchDir() {
  const char* dir = std::getenv("QUIRE_BENCH_DIR");
  return dir != nullptr && *dir != '\0' ? dir : "quire-bench-data";
}

[[noreturn]] inline void Die(const std::string& what, const Error& e) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), e.message().c_str());
  std::exit(1);
}

}  // namespace quire::bench
