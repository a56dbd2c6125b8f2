// Txn: the reads and writes of one engine command, on the writer thread.
//
// Reads see, in order: this command's own staged writes, the overlay of earlier commands
// whose group is not durable yet, then the store. Writes are staged; when the command
// succeeds they move into the writer's group batch and the overlay in one step, and are
// dropped when it fails, so a failed command changes nothing.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/storage/column_family.h"
#include "quire/storage/key_reader.h"
#include "quire/storage/store.h"
#include "quire/storage/write_batch.h"

namespace quire::workflow {

using storage::ColumnFamily;

// Writes of commands that are committed to the group-commit writer but not yet durable.
// The writer thread adds and reads; the commit thread releases. Thread-safe.
class Overlay {
 public:
  // nullopt: not in the overlay. A present optional holding nullopt: deleted.
  std::optional<std::optional<std::string>> Get(ColumnFamily cf, std::string_view key) const;
  // Entries of `cf` starting with `prefix`, in key order.
  void Collect(ColumnFamily cf, std::string_view prefix,
               std::map<std::string, std::optional<std::string>, std::less<>>& out) const;
  void Apply(ColumnFamily cf, const std::string& key, std::optional<std::string> value,
             std::uint64_t group);
  // Forgets the entries group `group` wrote, unless a later group overwrote them.
  void Release(const std::vector<std::pair<ColumnFamily, std::string>>& keys, std::uint64_t group);
  std::size_t size() const;

 private:
  struct Entry {
    std::optional<std::string> value;
    std::uint64_t group = 0;
  };
  mutable std::mutex mu_;
  std::array<std::map<std::string, Entry, std::less<>>, storage::kColumnFamilies.size()>
      maps_;  // GUARDED_BY(mu_)
};

// Hands out ids (instances, tasks, jobs, incidents) and history sequence numbers. Bounds
// are reserved in blocks in the store, so that ids never repeat across restarts.
struct IdBlock {
  std::uint64_t next = 1;
  std::uint64_t reserved = 0;   // ids below this may be handed out
  std::uint64_t persisted = 0;  // the bound last written with a successful command
};

// Reads of stored records: a command's Txn on the writer thread, or a SnapshotReader for
// queries on callers' threads. Code that only reads (the organisation, rights facts) takes a
// KeyReader, so that commands and queries apply the same rules to the same records.
using storage::KeyReader;
using storage::SnapshotReader;

class Txn final : public storage::KeyReadWriter {
 public:
  Txn(const storage::Store& store, const Overlay& overlay, Timestamp now, IdBlock& ids,
      IdBlock& seqs)
      : store_(store), overlay_(overlay), now_(now), ids_(ids), seqs_(seqs) {}

  Timestamp now() const { return now_; }
  std::int64_t now_ms() const { return now_.time_since_epoch().count(); }

  Result<std::optional<std::string>> Get(ColumnFamily cf, std::string_view key) const override;
  Result<std::vector<std::pair<std::string, std::string>>> Scan(ColumnFamily cf,
                                                                std::string_view prefix,
                                                                std::size_t limit) const override;

  void Put(ColumnFamily cf, std::string key, std::string value) override;
  void Delete(ColumnFamily cf, std::string key) override;
  // Adds `delta` to counter `name` of the counter set at `key`, at commit
  // (WriteBatch::AddToCounterSet). Commands never read counters, so they stay out of the
  // overlay; the additions of a command to one key are one operand.
  void AddToCounter(ColumnFamily cf, std::string_view key, std::string_view name,
                    std::int64_t delta);

  std::uint64_t NewId();
  std::uint64_t NewSeq(std::uint64_t count);

  // Runs once this command's write is durable (not when it fails).
  void AfterCommit(std::function<void()> fn) { after_commit_.push_back(std::move(fn)); }

  // Counter additions of a group of commands, by (family, key) and counter name: written as
  // one operand per key when the group is (commands of a group share the hot keys: a
  // process's steps, a month's users).
  using CounterDeltas = std::map<std::pair<ColumnFamily, std::string>,
                                 std::map<std::string, std::int64_t>, std::less<>>;
  static void WriteCounters(CounterDeltas& counters, storage::WriteBatch& batch);

  // Moves the staged writes into `batch` and `overlay` (as `group`), the counters into
  // `counters`, and records the keys.
  void Commit(storage::WriteBatch& batch, Overlay& overlay, std::uint64_t group,
              std::vector<std::pair<ColumnFamily, std::string>>& keys,
              std::vector<std::function<void()>>& after, CounterDeltas& counters);
  // Ids handed out to a failed command are skipped, never reused.
  bool empty() const { return staged_.empty() && counters_.empty(); }

 private:
  const storage::Store& store_;
  const Overlay& overlay_;
  Timestamp now_;
  IdBlock& ids_;
  IdBlock& seqs_;
  // Orders (family, key) pairs and accepts string_view keys for look-ups.
  struct StagedLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      if (a.first != b.first) return a.first < b.first;
      return std::string_view(a.second) < std::string_view(b.second);
    }
  };
  std::map<std::pair<ColumnFamily, std::string>, std::optional<std::string>, StagedLess> staged_;
  // A command adds to a few counters per key: a flat list (short names, no allocation).
  std::map<std::pair<ColumnFamily, std::string>, std::vector<std::pair<std::string, std::int64_t>>,
           StagedLess>
      counters_;
  std::vector<std::function<void()>> after_commit_;
};

}  // namespace quire::workflow
