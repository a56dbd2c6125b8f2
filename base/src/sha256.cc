#include "quire/base/sha256.h"

#include "quire/base/hex.h"

#include <openssl/evp.h>

#include <array>
#include <cstdlib>
#include <cstring>

namespace quire {

std::string Sha256Hex(std::string_view data) { return DigestHex(Sha256Of(data)); }

Sha256Digest Sha256Of(std::string_view data) {
  Sha256Digest digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
  return digest;
}

std::string DigestHex(const Sha256Digest& digest) {
  return Hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::optional<Sha256Digest> DigestFromHex(std::string_view hex) {
  const std::string bytes = Unhex(hex);
  if (hex.size() != 64 || bytes.size() != 32) return std::nullopt;
  Sha256Digest d{};
  std::memcpy(d.data(), bytes.data(), 32);
  return d;
}

struct Sha256::Context {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Context() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Context>()) {
  if (ctx_->md == nullptr || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) std::abort();
}

Sha256::~Sha256() = default;

void Sha256::Update(std::string_view data) {
  if (EVP_DigestUpdate(ctx_->md, data.data(), data.size()) != 1) std::abort();
}

Sha256Digest Sha256::Finish() {
  Sha256Digest digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_->md, digest.data(), &length) != 1 ||
      EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
  return digest;
}

}  // namespace quire
