// Store: Quire's embedded database, one RocksDB instance under a data directory with a
// column family per kind of record (column_family.h).
//
// Thread-safety: every method may be called from any thread at once. Readers never block
// writers; a Snapshot gives a consistent view across several reads.
// Ownership: Snapshots and Iterators refer to the Store and must be destroyed before it.
//
// Opening is careful with the user's directory: a missing directory is created (when
// allowed), an empty one initialised; a directory that holds other files, a database
// another process has open, or a damaged database is refused with an error saying which
// and what to do. Quire never builds a new empty database over an existing one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "quire/base/result.h"
#include "quire/storage/column_family.h"
#include "quire/storage/write_batch.h"

namespace rocksdb {
class DB;
class Snapshot;
}  // namespace rocksdb

namespace quire::storage {

// The on-disk layout version this build reads and writes. Stored in the data directory's
// marker file: bump it only with a migration. 2: merge operands may be folded patches
// ('~', written by flushes and compactions), which a format-1 build cannot read; a format-1
// store is readable as it is, so opening one just records format 2.
inline constexpr std::uint32_t kStoreFormatVersion = 2;

// The file that marks a directory as a Quire store and records its format version.
inline constexpr std::string_view kMarkerFileName = "QUIRE-STORE";

// An eighth of the physical memory, clamped to [128 MiB, 8 GiB].
std::size_t DefaultBlockCacheBytes();

struct StoreOptions {
  // Create an empty store when the directory does not exist or is empty. A directory that
  // holds anything else is never initialised.
  bool create_if_missing = true;
  // Shared LRU cache for data, index and filter blocks, in bytes: an eighth of the
  // machine's memory, at least 128 MiB and at most 8 GiB (DefaultBlockCacheBytes).
  std::size_t block_cache_bytes = DefaultBlockCacheBytes();
  // Memtable size per column family before it is flushed, in bytes.
  std::size_t write_buffer_bytes = std::size_t{64} << 20;
  // Threads for flushes and compactions.
  int background_jobs = 2;
};

enum class Durability {
  kSync,    // returns after the write-ahead log is on stable storage (fdatasync)
  kNoSync,  // returns once written to the OS; survives a process crash, not a power loss
  // Not written to the write-ahead log at all: lost on any crash until its column family
  // is flushed (Flush(cf)). For bulk data (document chunks) that nothing references until
  // a later, synced write made after that flush.
  kNoWal,
};

// A consistent read view of the whole store at the moment it was taken. Move-only.
class Snapshot {
 public:
  Snapshot(Snapshot&& other) noexcept;
  Snapshot& operator=(Snapshot&& other) noexcept;
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;
  ~Snapshot();

 private:
  friend class Store;
  Snapshot(rocksdb::DB* db, const rocksdb::Snapshot* snapshot) : db_(db), snapshot_(snapshot) {}
  void Release();

  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
};

// Walks the keys of one column family within a range, in key order (or backwards).
// Starts positioned at the first key of the range. Move-only.
class Iterator {
 public:
  Iterator(Iterator&&) noexcept;
  Iterator& operator=(Iterator&&) noexcept;
  ~Iterator();

  bool Valid() const;
  void Next();  // REQUIRES: Valid()
  void Prev();  // REQUIRES: Valid()
  void SeekToFirst();
  void SeekToLast();
  // Positions at the first key >= `key` within the range.
  void Seek(std::string_view key);
  // Positions at the last key <= `key` within the range.
  void SeekForPrev(std::string_view key);

  std::string_view key() const;    // REQUIRES: Valid(); valid until the iterator moves
  std::string_view value() const;  // REQUIRES: Valid(); valid until the iterator moves

  // Why iteration stopped early: ok when it simply ran out of keys.
  Result<void> status() const;

 private:
  friend class Store;
  struct Impl;
  explicit Iterator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Store {
 public:
  // Opens (or, when allowed, creates) the store in `dir`. Errors:
  //   kNotFound         no store there and create_if_missing is false
  //   kInvalidArgument  `dir` is a file, or a non-empty directory that is not a Quire store,
  //                     or a store written by a newer Quire
  //   kUnavailable      another process (or this one) has the store open
  //   kCorruption       the store's files are damaged or missing
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& dir,
                                             const StoreOptions& options = {});

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // The value of `key`, or nullopt when absent. Reads the latest state, or `snapshot`'s.
  Result<std::optional<std::string>> Get(ColumnFamily cf, std::string_view key,
                                         const Snapshot* snapshot = nullptr) const;

  // The values of `keys` in their order, nullopt where absent: one call whose lookups RocksDB
  // batches (a calendar reads a month of activities so). `sorted`: the keys are in order.
  Result<std::vector<std::optional<std::string>>> MultiGet(
      ColumnFamily cf, const std::vector<std::string>& keys, bool sorted = false,
      const Snapshot* snapshot = nullptr) const;

  // Applies `batch` atomically.
  Result<void> Write(const WriteBatch& batch, Durability durability = Durability::kSync);

  // Applies all `batches` as one atomic write with one log sync: the group commit path.
  Result<void> WriteGroup(std::span<const WriteBatch* const> batches,
                          Durability durability = Durability::kSync);

  Snapshot GetSnapshot() const;

  // Keys in [begin, end) of `cf`; an empty `end` means "to the last key".
  Iterator Scan(ColumnFamily cf, std::string_view begin, std::string_view end,
                const Snapshot* snapshot = nullptr) const;
  // Keys of `cf` that start with `prefix`.
  Iterator ScanPrefix(ColumnFamily cf, std::string_view prefix,
                      const Snapshot* snapshot = nullptr) const;

  // Writes memtables to SST files (used before backups and in tests of recovery).
  Result<void> Flush();
  // Writes one column family's memtables to files on stable storage, and waits.
  Result<void> Flush(ColumnFamily cf);
  // Rewrites `cf`'s files so that values overwritten or deleted are gone from the disk, not
  // only from reads (an erasure): flushes every memtable (the write-ahead logs holding them
  // are then deleted) and compacts the whole column family down to its last level. Takes
  // as long as rewriting the column family does.
  Result<void> Purge(ColumnFamily cf);
  // Every version of every key of `cf` still held in memtables and files, overwritten and
  // deleted ones included, at most `limit` (what Purge removes; tests and diagnostics).
  Result<std::vector<std::pair<std::string, std::string>>> AllVersions(ColumnFamily cf,
                                                                       std::size_t limit) const;
  // Waits until no flush or compaction is running or pending (benchmarks measure the
  // steady state after a bulk load so), or `timeout` passed. Returns whether it is idle.
  bool WaitUntilIdle(std::chrono::milliseconds timeout);

  const std::filesystem::path& dir() const { return dir_; }

  struct Impl;
  // Use Open(); public only so that Open can use std::make_unique.
  Store(std::filesystem::path dir, std::unique_ptr<Impl> impl);

 private:
  std::filesystem::path dir_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace quire::storage
