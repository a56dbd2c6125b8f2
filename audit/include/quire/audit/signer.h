// Ed25519 signatures of published tree heads (OpenSSL). The private key lives in the data
// directory (audit-key.pem, created on first start, readable by its owner only); the public
// key is exported so that anyone can check a head offline.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "quire/base/result.h"

namespace quire::audit {

class Signer {
 public:
  // Loads `dir`/audit-key.pem, or creates it. Errors: kUnavailable (cannot read or write),
  // kCorruption (not an Ed25519 private key).
  static Result<Signer> LoadOrCreate(const std::filesystem::path& dir);
  Signer(Signer&&) noexcept;
  Signer& operator=(Signer&&) noexcept;
  ~Signer();

  // Hex signature of `bytes`.
  std::string Sign(std::string_view bytes) const;
  // The public key, PEM ("-----BEGIN PUBLIC KEY-----...").
  std::string PublicKeyPem() const;

 private:
  struct Key;
  explicit Signer(std::unique_ptr<Key> key);
  std::unique_ptr<Key> key_;
};

// Whether `signature_hex` is a valid Ed25519 signature of `bytes` by `public_key_pem`.
bool VerifySignature(std::string_view public_key_pem, std::string_view bytes,
                     std::string_view signature_hex);

}  // namespace quire::audit
