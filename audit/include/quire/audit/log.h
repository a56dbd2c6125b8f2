// AuditLog: the append-only audit chain in the store's `audit` family, with its Merkle tree
// and signed heads.
//
// Records (stored: never change a tag):
//   'e' U64(seq)   → the entry's bytes (chain.h); its hash is their SHA-256
//   'h' U64(size)  → a published head (JSON, signed)
//
// Appends are serialised; the tree is rebuilt from the entries when the log is opened.
// Stage() puts an entry into a caller's batch, so that it is written in the same atomic
// write as the change it records; the caller then says whether that write succeeded.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>

#include "quire/audit/chain.h"
#include "quire/audit/merkle.h"
#include "quire/audit/signer.h"
#include "quire/storage/store.h"

namespace quire::audit {

struct EntryFields {
  std::string actor;
  std::string action;
  std::string object;
  boost::json::object details;
};

struct InclusionProofInfo {
  std::uint64_t seq = 0;
  std::string line;  // the entry's export line
  Head head;         // the head the proof is against
  std::vector<Hash> path;
  std::string ToJson() const;
};

struct ConsistencyProofInfo {
  Head first;
  Head second;
  std::vector<Hash> path;
  std::string ToJson() const;
};

class AuditLog {
 public:
  // REQUIRES: `store` outlives the log. The signing key lives in `key_dir`.
  static Result<std::unique_ptr<AuditLog>> Open(storage::Store& store,
                                                const std::filesystem::path& key_dir);

  // Appends an entry in a synced write of its own. Returns its seq.
  Result<std::uint64_t> Append(EntryFields fields, Timestamp time);

  // An entry staged into the caller's batch; holds the log until Done.
  class Staged {
   public:
    Staged(Staged&&) noexcept = default;
    ~Staged();
    std::uint64_t seq() const { return seq_; }
    // Call with whether the batch was written. Until then no other entry is appended.
    void Done(bool written);

   private:
    friend class AuditLog;
    Staged(AuditLog* log, std::unique_lock<std::mutex> lock, std::uint64_t seq, Hash hash,
           Hash leaf)
        : log_(log), lock_(std::move(lock)), seq_(seq), hash_(hash), leaf_(leaf) {}
    AuditLog* log_;
    std::unique_lock<std::mutex> lock_;
    std::uint64_t seq_;
    Hash hash_;
    Hash leaf_;
    bool done_ = false;
  };
  Staged Stage(storage::WriteBatch& batch, EntryFields fields, Timestamp time);

  std::uint64_t size() const;
  // Export lines of entries [from, to] (to 0: the last), one per line.
  Result<void> Export(std::uint64_t from, std::uint64_t to, std::ostream& out) const;
  // Signs and stores the head of the log as it is now.
  Result<Head> PublishHead(Timestamp now);
  // The latest published head, if any.
  Result<std::optional<Head>> LatestHead() const;
  // That entry `seq` is under the head of `size` entries (the latest head when 0; one is
  // published when there is none). Errors: kNotFound, kInvalidArgument.
  Result<InclusionProofInfo> ProveInclusion(std::uint64_t seq, std::uint64_t size = 0);
  // That the published head of `second` entries extends the one of `first`.
  Result<ConsistencyProofInfo> ProveConsistency(std::uint64_t first, std::uint64_t second) const;
  std::string PublicKeyPem() const { return signer_.PublicKeyPem(); }

 private:
  AuditLog(storage::Store& store, Signer signer) : store_(store), signer_(std::move(signer)) {}
  Result<Head> HeadOf(std::uint64_t size) const;

  storage::Store& store_;
  Signer signer_;
  mutable std::mutex mu_;
  MerkleTree tree_;   // GUARDED_BY(mu_)
  Hash last_hash_{};  // GUARDED_BY(mu_)
};

// Checks a proof printed by `quire audit proof` offline: the proof against its head, and,
// with a public key, the head's signature. Returns what is wrong, or "" when it holds.
std::string CheckProofJson(std::string_view proof_json, std::string_view public_key_pem = {});

}  // namespace quire::audit
