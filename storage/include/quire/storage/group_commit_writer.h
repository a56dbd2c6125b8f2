// GroupCommitWriter: many callers' batches, one synced write.
//
// Callers hand in batches from any thread; a single writer thread takes everything that
// queued up while the previous write was syncing, applies it as one atomic RocksDB write
// with one fdatasync of the log, and only then answers each caller. Under load the cost
// of a sync is shared by the whole group; with one caller it adds one thread hand-off.
//
// Each batch is still atomic on its own: a crash keeps or loses a group as a whole, and a
// group is made of whole batches. Batches of one caller are applied in submission order.
//
// Callers are answered in commit order: small groups by the writer thread, large ones by a
// completion thread, so that waking many callers overlaps with the next group's sync
// instead of delaying it.
//
// Thread-safety: Submit and Commit may be called from any thread. Completion callbacks run
// on the writer or the completion thread, after the group is durable: they must be short and must
// not block on another commit (they may Submit).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "quire/base/result.h"
#include "quire/storage/store.h"
#include "quire/storage/write_batch.h"

namespace quire::storage {

struct GroupCommitOptions {
  // Largest group, in batches; what is left waits for the next write.
  std::size_t max_group_batches = 4096;
  // Largest group, in bytes of keys and values (a single larger batch still goes alone).
  std::size_t max_group_bytes = std::size_t{32} << 20;
  // kSync: answer after fdatasync. kNoSync only for tests and bulk loads.
  Durability durability = Durability::kSync;
  // After a failed write, fail every later batch too without writing it (for writers whose
  // batches build on each other, such as the audit chain).
  bool stop_after_failure = false;
};

struct GroupCommitStats {
  std::uint64_t writes = 0;   // synced RocksDB writes made
  std::uint64_t batches = 0;  // caller batches committed in them
};

class GroupCommitWriter {
 public:
  using Callback = std::move_only_function<void(Result<void>)>;
  // Completes a batch on the writer thread just before its group is written, in
  // submission order (the audit chain numbers and hashes its entries there).
  using Prepare = std::move_only_function<void(WriteBatch&)>;

  // Starts the writer thread. REQUIRES: `store` outlives this writer.
  explicit GroupCommitWriter(Store& store, const GroupCommitOptions& options = {});
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;
  // Commits everything already submitted, then stops the writer thread.
  ~GroupCommitWriter();

  // Queues `batch`; `done` is called with the outcome once it is durable (or failed).
  // After the destructor has begun, `done` gets kUnavailable at once.
  void Submit(WriteBatch batch, Callback done);
  // As Submit, with `prepare` run on the writer thread before the batch is written.
  void Submit(WriteBatch batch, Prepare prepare, Callback done);

  // Queues `batch`; the future is ready once it is durable (or failed).
  std::future<Result<void>> Submit(WriteBatch batch);

  // Queues `batch` and waits until it is durable.
  Result<void> Commit(WriteBatch batch);

  GroupCommitStats stats() const;

 private:
  struct Pending {
    WriteBatch batch;
    Callback done;
    Prepare prepare;
  };

  struct Committed {
    std::vector<Pending> group;
    Result<void> outcome;
  };

  void RunWriter();
  void RunCompleter();

  Store& store_;
  const GroupCommitOptions options_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;     // GUARDED_BY(mu_)
  bool stopping_ = false;         // GUARDED_BY(mu_)
  GroupCommitStats stats_;        // GUARDED_BY(mu_)
  std::optional<Error> failure_;  // writer thread only: the failed write (stop_after_failure)

  std::mutex done_mu_;
  std::condition_variable done_wake_;
  std::deque<Committed> done_;    // GUARDED_BY(done_mu_)
  bool writer_finished_ = false;  // GUARDED_BY(done_mu_)
  bool completing_ = false;       // GUARDED_BY(done_mu_): the completion thread is answering

  // Last: they start after every member above is ready.
  std::thread completer_;
  std::thread writer_;
};

}  // namespace quire::storage
