// What Quire's benchmark programs share: where their store lives, and how they give up.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "quire/base/error.h"

namespace quire::bench {

// $QUIRE_BENCH_DIR, else ./quire-bench-data: the disk whose figures are wanted.
inline std::filesystem::path BenchDir() {
  const char* dir = std::getenv("QUIRE_BENCH_DIR");
  return dir != nullptr && *dir != '\0' ? dir : "quire-bench-data";
}

// Fills `out` with pseudo-random bytes (xorshift64*, a few GB/s): content that neither
// compresses nor deduplicates. `state` carries on from call to call.
inline void FillRandom(char* out, std::size_t n, std::uint64_t& state) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    const std::uint64_t v = state * 0x2545F4914F6CDD1DULL;
    std::memcpy(out + i, &v, 8);
  }
  for (; i < n; ++i) out[i] = static_cast<char>(i);
}

// The value below which a fraction `p` of `v` lies (0.5: the median).
inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

[[noreturn]] inline void Die(const std::string& what, const Error& e) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), e.message().c_str());
  std::exit(1);
}

}  // namespace quire::bench
