// Audit entries and their hash chain; the export format and its offline check (no store
// needed: `quire audit verify`). The format is documented in docs/audit.md.
//
// An entry's bytes are a JSON object with its fields in this order:
//   {"seq":N,"time":"2026-11-24T07:00:00.000Z","actor":"anna","action":"task.claimed",
//    "object":"task/42","details":{...},"prev":"<64 hex>"}
// its hash is SHA-256 of those bytes (so it covers the previous entry's hash: a chain), and
// its Merkle leaf is RFC 6962's leaf hash of the same bytes. An export line is the entry's
// bytes with ,"hash":"<64 hex>" inserted before the closing brace.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "quire/audit/merkle.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"

namespace quire::audit {

struct Entry {
  std::uint64_t seq = 0;  // 1, 2, ...
  Timestamp time;
  std::string actor;
  std::string action;  // "task.claimed", "document.downloaded", ...
  std::string object;  // "task/42", "document/7"
  boost::json::object details;
  Hash prev{};  // the previous entry's hash; zeros before the first
};

// The hash of "no entry before": 32 zero bytes.
inline constexpr Hash kNoEntry{};

std::string EntryBytes(const Entry& e);
// The export line of an entry whose bytes are `bytes` (no trailing newline).
std::string ExportLine(std::string_view bytes);
// An export line back into the entry bytes and the hash it claims. Errors: kInvalidArgument.
Result<std::pair<std::string, Hash>> SplitLine(std::string_view line);
Result<Entry> ParseEntry(std::string_view bytes);
// The records an entry concerns, for the trail of each: its object and the record that
// object is part of ("document/7/version/2" → also "document/7"), and any detail naming a
// record ("customer/3"). A record is "kind/id": a lower-case kind, an id without spaces.
std::vector<std::string> RecordsOf(const Entry& e);
// 64 lower-case hex digits into a hash. Errors: kInvalidArgument.
Result<Hash> HashFromHex(std::string_view hex);

// A published tree head: the log had `size` entries with this Merkle `root`, signed.
struct Head {
  std::uint64_t size = 0;
  Hash root{};
  Timestamp time;
  std::string signature;  // hex Ed25519 signature of SignedBytes()
  std::string SignedBytes() const;
  std::string ToJson() const;
};
Result<Head> ParseHead(std::string_view json);

// What `quire audit verify` finds: the first problem, or none.
struct VerifyReport {
  bool ok = true;
  std::uint64_t entries = 0;
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  Hash root{};          // Merkle root of the exported entries (when from seq 1)
  std::string problem;  // what is wrong, where ("line 57 (seq 57): altered: ...")
  std::uint64_t problem_line = 0;
};

// Checks an export: every line's hash, the chain from each entry to the next, the
// sequence numbers (nothing removed, inserted or reordered); with a head, that the export
// holds exactly its entries (nothing truncated) and that their Merkle root is its root;
// with a public key (PEM), the head's signature.
VerifyReport VerifyExport(std::istream& lines, const std::optional<Head>& head = std::nullopt,
                          std::string_view public_key_pem = {});

}  // namespace quire::audit
