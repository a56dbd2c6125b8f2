// KeyReader and KeyWriter: the reads and writes a module's record code needs, whatever
// holds them. The engine's command transaction implements both (its writes become part of
// the command's one atomic batch); a SnapshotReader reads what is durable as of one
// snapshot; a BatchWriter stages into a WriteBatch the caller commits. Modules below the
// engine (org/) write through these, so that their changes can join the caller's batch.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quire/base/result.h"
#include "quire/storage/column_family.h"
#include "quire/storage/store.h"
#include "quire/storage/write_batch.h"

namespace quire::storage {

class KeyReader {
 public:
  virtual ~KeyReader() = default;
  virtual Result<std::optional<std::string>> Get(ColumnFamily cf, std::string_view key) const = 0;
  // Key/value pairs under `prefix`, in key order, at most `limit`.
  virtual Result<std::vector<std::pair<std::string, std::string>>> Scan(
      ColumnFamily cf, std::string_view prefix, std::size_t limit) const = 0;
};

class KeyWriter {
 public:
  virtual ~KeyWriter() = default;
  virtual void Put(ColumnFamily cf, std::string key, std::string value) = 0;
  virtual void Delete(ColumnFamily cf, std::string key) = 0;
};

// Both at once: record code that checks before it writes takes this.
class KeyReadWriter : public KeyReader, public KeyWriter {};

// What is durable in the store as of one snapshot (or the latest state when none).
class SnapshotReader final : public KeyReader {
 public:
  // REQUIRES: `store` and `snapshot` outlive the reader.
  explicit SnapshotReader(const Store& store, const Snapshot* snapshot = nullptr)
      : store_(store), snapshot_(snapshot) {}
  Result<std::optional<std::string>> Get(ColumnFamily cf, std::string_view key) const override;
  Result<std::vector<std::pair<std::string, std::string>>> Scan(ColumnFamily cf,
                                                                std::string_view prefix,
                                                                std::size_t limit) const override;

 private:
  const Store& store_;
  const Snapshot* snapshot_;
};

// Reads the store's latest state, and its own staged writes first; stages writes in a
// WriteBatch for the caller to commit. Not thread-safe.
class BatchWriter final : public KeyReadWriter {
 public:
  // REQUIRES: `store` outlives the writer.
  explicit BatchWriter(const Store& store) : store_(store) {}
  Result<std::optional<std::string>> Get(ColumnFamily cf, std::string_view key) const override;
  Result<std::vector<std::pair<std::string, std::string>>> Scan(ColumnFamily cf,
                                                                std::string_view prefix,
                                                                std::size_t limit) const override;
  void Put(ColumnFamily cf, std::string key, std::string value) override;
  void Delete(ColumnFamily cf, std::string key) override;

  // The staged writes, for the caller to commit; the writer is empty afterwards.
  WriteBatch Take();
  bool empty() const { return staged_.empty(); }

 private:
  const Store& store_;
  std::vector<std::pair<std::pair<ColumnFamily, std::string>, std::optional<std::string>>>
      staged_;  // in order; later entries win
};

}  // namespace quire::storage
