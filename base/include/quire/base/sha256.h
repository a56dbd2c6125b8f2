// SHA-256 digests (OpenSSL), as lower-case hex: content addresses of definitions, document
// chunks and audit entries.
#pragma once

#include <string>
#include <string_view>

namespace quire {

// The SHA-256 of `data` as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace quire
