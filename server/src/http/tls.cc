#include "quire/server/tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>

namespace quire::server {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f != nullptr) std::fclose(f);
  }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

bool IsIp(const std::string& name) {
  return !name.empty() && name.find_first_not_of("0123456789.:abcdefABCDEF") == std::string::npos &&
         (name.find('.') != std::string::npos || name.find(':') != std::string::npos);
}

Result<void> Make(const TlsFiles& files, const std::vector<std::string>& names) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) return Error::Internal("cannot generate a TLS key");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!cert) return Error::Internal("cannot make a TLS certificate");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  std::FILE* urandom = std::fopen("/dev/urandom", "rb");
  if (urandom == nullptr || std::fread(serial, 1, sizeof serial, urandom) != sizeof serial) {
    if (urandom != nullptr) std::fclose(urandom);
    return Error::Internal("cannot read random bytes for the certificate's serial number");
  }
  std::fclose(urandom);
  serial[0] &= 0x7F;
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(BN_bin2bn(serial, sizeof serial, nullptr),
                                                 BN_free);
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Quire"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Quire self-signed"), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), subject);
  std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
  for (const std::string& n : names) {
    if (n.empty() || n == "localhost" || n == "127.0.0.1" || n == "0.0.0.0" || n == "::") continue;
    san += (IsIp(n) ? ",IP:" : ",DNS:") + n;
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, san},
                                   std::pair{NID_basic_constraints, std::string("CA:FALSE")},
                                   std::pair{NID_ext_key_usage, std::string("serverAuth")}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr) return Error::Internal("cannot add an extension to the certificate");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return Error::Internal("cannot sign the TLS certificate");
  }
  {
    // The key is created readable by its owner only, before a byte is written to it.
    const mode_t old = ::umask(077);
    File out(std::fopen(files.private_key.c_str(), "wb"));
    ::umask(old);
    if (!out ||
        PEM_write_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 0) {
      return Error::Unavailable("cannot write " + files.private_key.string());
    }
  }
  File out(std::fopen(files.certificate.c_str(), "wb"));
  if (!out || PEM_write_X509(out.get(), cert.get()) == 0) {
    return Error::Unavailable("cannot write " + files.certificate.string());
  }
  return Ok();
}

}  // namespace

Result<TlsFiles> EnsureSelfSignedCertificate(const std::filesystem::path& dir,
                                             const std::vector<std::string>& names) {
  TlsFiles files{dir / "cert.pem", dir / "key.pem"};
  std::error_code ec;
  if (std::filesystem::exists(files.certificate, ec) &&
      std::filesystem::exists(files.private_key, ec)) {
    return files;
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error::Unavailable("cannot create " + dir.string() + ": " + ec.message());
  QUIRE_RETURN_IF_ERROR(Make(files, names));
  return files;
}

Result<std::string> CertificateFingerprint(const std::filesystem::path& certificate) {
  File in(std::fopen(certificate.c_str(), "rb"));
  if (!in) return Error::InvalidArgument("cannot read " + certificate.string());
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_X509(in.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) {
    return Error::InvalidArgument(certificate.string() + " holds no PEM certificate");
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert.get(), EVP_sha256(), digest, &len);
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    if (i != 0) out += ':';
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace quire::server
