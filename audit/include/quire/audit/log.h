// AuditLog: the append-only audit chain in the store's `audit` family, with its Merkle tree
// and signed heads.
//
// Records (stored: never change a tag):
//   'e' U64(seq)   → the entry's bytes (chain.h); its hash is their SHA-256
//   'h' U64(size)  → a published head (JSON, signed)
//   'o' String(record) U64(seq) → "" : entry `seq` concerns `record` (RecordsOf)
//   'x' "records"  → "" : every entry is in the 'o' index (stores from before it are
//                   indexed once, when opened)
//
// Entries are written in the same atomic batch as the change they record: Submit() queues
// the change's batch on the log's group-commit writer, whose thread numbers the entries,
// chains and hashes them and puts them into the batch just before writing it. The writer
// applies batches in queue order, so entries reach the store in sequence order: a crash
// loses a suffix of the chain, never an entry in the middle. Everything that writes audited changes
// (the engine, the DMS) commits through here. Should a write fail, the log refuses further
// entries until Quire is restarted (the chain in memory may then be ahead of the store).
//
// The tree is rebuilt from the entries when the log is opened (two hashes per entry).
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>

#include "quire/audit/actor.h"
#include "quire/audit/chain.h"
#include "quire/audit/merkle.h"
#include "quire/audit/signer.h"
#include "quire/storage/group_commit_writer.h"
#include "quire/storage/store.h"

namespace quire::audit {

struct EntryFields {
  Actor actor;  // its `via`, when known, becomes details["via"]
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

struct AuditOptions {
  // kNoSync only for tests and benchmarks of something else.
  storage::Durability durability = storage::Durability::kSync;
};

class AuditLog {
 public:
  // REQUIRES: `store` outlives the log. The signing key lives in `key_dir`.
  static Result<std::unique_ptr<AuditLog>> Open(storage::Store& store,
                                                const std::filesystem::path& key_dir,
                                                const AuditOptions& options = {});
  ~AuditLog();

  using Callback = storage::GroupCommitWriter::Callback;
  // Queues `batch` with `entries` (at `time`); `done` is called once the batch is durable
  // (or failed). The entries are numbered, chained and put into the batch on the writer's
  // thread just before it is written, so the caller's thread (the engine's) pays nothing
  // for the hashing. `entries` may be empty: the batch is then only ordered after the
  // ones before it.
  void Submit(storage::WriteBatch batch, std::vector<EntryFields> entries, Timestamp time,
              Callback done);
  // Submit, and wait until durable.
  Result<std::uint64_t> Commit(storage::WriteBatch batch, std::vector<EntryFields> entries,
                               Timestamp time);
  // An entry in a write of its own. Returns its seq.
  Result<std::uint64_t> Append(EntryFields fields, Timestamp time);

  // Entries that are durable.
  std::uint64_t size() const { return durable_.load(); }
  storage::GroupCommitStats commit_stats() const { return writer_->stats(); }
  // Export lines of entries [from, to] (to 0: the last), one per line.
  Result<void> Export(std::uint64_t from, std::uint64_t to, std::ostream& out) const;
  // The trail of a record ("document/12", "customer/3", "task/5"): the export lines of the
  // durable entries about it, one of its parts ("document/12/version/2") or naming it in
  // their details, oldest first, with seq above `after`; at most `limit`. Read from the
  // record index, so a trail costs what it holds, not the size of the log.
  Result<std::vector<std::string>> Trail(std::string_view record, std::uint64_t after,
                                         std::size_t limit) const;
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
  // Submit; the returned value holds the seq of the batch's last entry once it is written
  // (0 without entries). Null when refused at once.
  std::shared_ptr<std::uint64_t> Enqueue(storage::WriteBatch batch,
                                         std::vector<EntryFields> entries, Timestamp time,
                                         Callback done);

  storage::Store& store_;
  Signer signer_;
  mutable std::mutex mu_;                  // numbering and queueing
  MerkleTree tree_;                        // GUARDED_BY(mu_): every entry queued
  Hash last_hash_{};                       // GUARDED_BY(mu_)
  std::atomic<std::uint64_t> durable_{0};  // entries whose batches are durable
  std::atomic<bool> failed_{false};        // a write failed: no more entries
  // Last: it commits what is queued before the members above go.
  std::unique_ptr<storage::GroupCommitWriter> writer_;
};

// Checks a proof printed by `quire audit proof` offline: the proof against its head, and,
// with a public key, the head's signature. Returns what is wrong, or "" when it holds.
std::string CheckProofJson(std::string_view proof_json, std::string_view public_key_pem = {});

}  // namespace quire::audit
