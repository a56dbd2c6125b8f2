// TLS certificates for `quire serve`: a self-signed one made on first start (`--tls auto`),
// and the SHA-256 fingerprint people compare before trusting it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "quire/base/result.h"

namespace quire::server {

struct TlsFiles {
  std::filesystem::path certificate;  // PEM, the certificate (chain)
  std::filesystem::path private_key;  // PEM, mode 0600
};

// The certificate and key in `dir` (cert.pem, key.pem), made when absent: ECDSA P-256,
// valid for ten years, for `names` (DNS names or IP addresses; localhost and 127.0.0.1 are
// always included). Errors: kUnavailable when the files cannot be written or read.
Result<TlsFiles> EnsureSelfSignedCertificate(const std::filesystem::path& dir,
                                             const std::vector<std::string>& names);

// "AB:CD:..." — SHA-256 of the certificate's DER encoding, as browsers show it.
// Errors: kInvalidArgument when the file holds no PEM certificate.
Result<std::string> CertificateFingerprint(const std::filesystem::path& certificate);

}  // namespace quire::server
