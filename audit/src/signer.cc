#include "quire/audit/signer.h"

#include "quire/base/hex.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace quire::audit {
namespace {

constexpr const char* kKeyFile = "audit-key.pem";

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Bio = std::unique_ptr<BIO, BioDeleter>;

}  // namespace

struct Signer::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

Signer::Signer(std::unique_ptr<Key> key) : key_(std::move(key)) {}
Signer::Signer(Signer&&) noexcept = default;
Signer& Signer::operator=(Signer&&) noexcept = default;
Signer::~Signer() = default;

Result<Signer> Signer::LoadOrCreate(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kKeyFile;
  auto key = std::make_unique<Key>();
  if (std::filesystem::exists(path)) {
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (f == nullptr) return Error::Unavailable("cannot read the audit key " + path.string());
    key->pkey = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    if (key->pkey == nullptr || EVP_PKEY_get_id(key->pkey) != EVP_PKEY_ED25519) {
      return Error::Corruption(path.string() + " is not an Ed25519 private key");
    }
    return Signer(std::move(key));
  }
  key->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key->pkey == nullptr) return Error::Internal("OpenSSL could not make an Ed25519 key");
  const std::filesystem::path tmp = dir / (std::string(kKeyFile) + ".tmp");
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) return Error::Unavailable("cannot write the audit key " + tmp.string());
  ::chmod(tmp.c_str(), 0600);
  const bool written =
      PEM_write_PrivateKey(f, key->pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  const bool synced = std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  std::fclose(f);
  if (!written || !synced) return Error::Unavailable("cannot write the audit key " + tmp.string());
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Error::Unavailable("cannot put the audit key in place: " + ec.message());
  return Signer(std::move(key));
}

std::string Signer::Sign(std::string_view bytes) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char sig[64];
  std::size_t len = sizeof sig;
  const bool ok =
      ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_->pkey) == 1 &&
      EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) std::abort();  // only fails when OpenSSL cannot allocate
  return Hex(std::string_view(reinterpret_cast<const char*>(sig), len));
}

std::string Signer::PublicKeyPem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key_->pkey);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

bool VerifySignature(std::string_view public_key_pem, std::string_view bytes,
                     std::string_view signature_hex) {
  Bio bio(BIO_new_mem_buf(public_key_pem.data(), static_cast<int>(public_key_pem.size())));
  EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (pkey == nullptr) return false;
  const std::string sig = Unhex(signature_hex);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx != nullptr && !sig.empty() &&
      EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok;
}

}  // namespace quire::audit
