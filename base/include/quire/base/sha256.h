// SHA-256 digests (OpenSSL), as lower-case hex: content addresses of definitions, document
// chunks and audit entries.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace quire {

// The SHA-256 of `data` as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);

using Sha256Digest = std::array<std::uint8_t, 32>;

// The SHA-256 of `data` (OpenSSL: SHA-NI / AVX2 where the CPU has them).
Sha256Digest Sha256Of(std::string_view data);
// 64 lower-case hex digits.
std::string DigestHex(const Sha256Digest& digest);
// 64 lower-case hex digits back into a digest; nullopt when they are not.
std::optional<Sha256Digest> DigestFromHex(std::string_view hex);

// SHA-256 over data given piece by piece.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view data);
  // The digest of everything given; the object starts over afterwards.
  Sha256Digest Finish();

 private:
  struct Context;
  std::unique_ptr<Context> ctx_;
};

}  // namespace quire
