#include "quire/dms/chunker.h"

#include <array>
#include <bit>

namespace quire::dms {
namespace {

// 256 pseudo-random 64-bit values from splitmix64 with a fixed seed. Stored (see header).
constexpr std::array<std::uint64_t, 256> MakeGear() {
  std::array<std::uint64_t, 256> gear{};
  std::uint64_t x = 0x5175697265434443ULL;  // "QuireCDC"
  for (std::uint64_t& g : gear) {
    x += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    g = z ^ (z >> 31);
  }
  return gear;
}
constexpr std::array<std::uint64_t, 256> kGear = MakeGear();

// A mask of the `bits` highest bits: the gear hash shifts left, so its high bits depend on
// the most bytes (up to 64).
constexpr std::uint64_t HighBits(int bits) {
  return bits <= 0 ? 0 : ~std::uint64_t{0} << (64 - bits);
}

}  // namespace

Chunker::Chunker(const ChunkerOptions& options) : options_(options) {
  const int bits = std::bit_width(options_.avg_size) - 1;  // log2 of the normal size
  // Normalised chunking, level 2: two bits harder before the normal size, two easier after.
  mask_small_ = HighBits(bits + 2);
  mask_large_ = HighBits(bits - 2);
}

std::size_t Chunker::Cut(std::string_view data) const {
  std::size_t n = data.size();
  if (n <= options_.min_size) return n;
  if (n > options_.max_size) n = options_.max_size;
  const std::size_t normal = n < options_.avg_size ? n : options_.avg_size;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  std::uint64_t hash = 0;
  std::size_t i = options_.min_size;  // cut-point skipping: no boundary before min_size
  for (; i < normal; ++i) {
    hash = (hash << 1) + kGear[bytes[i]];
    if ((hash & mask_small_) == 0) return i + 1;
  }
  for (; i < n; ++i) {
    hash = (hash << 1) + kGear[bytes[i]];
    if ((hash & mask_large_) == 0) return i + 1;
  }
  return n;
}

}  // namespace quire::dms
