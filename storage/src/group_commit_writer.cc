#include "quire/storage/group_commit_writer.h"

#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace quire::storage {
namespace {

// Groups up to this size are answered by the writer thread itself.
constexpr std::size_t kInlineCompletionMax = 8;

}  // namespace

GroupCommitWriter::GroupCommitWriter(Store& store, const GroupCommitOptions& options)
    : store_(store),
      options_(options),
      completer_([this] { RunCompleter(); }),
      writer_([this] { RunWriter(); }) {}

GroupCommitWriter::~GroupCommitWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
  {
    std::lock_guard lock(done_mu_);
    writer_finished_ = true;
  }
  done_wake_.notify_one();
  completer_.join();
}

void GroupCommitWriter::Submit(WriteBatch batch, Callback done) {
  Submit(std::move(batch), Prepare(), std::move(done));
}

void GroupCommitWriter::Submit(WriteBatch batch, Prepare prepare, Callback done) {
  {
    std::unique_lock lock(mu_);
    if (!stopping_) {
      queue_.push_back({std::move(batch), std::move(done), std::move(prepare)});
      lock.unlock();
      wake_.notify_one();
      return;
    }
  }
  done(Error::Unavailable("the store is shutting down; the write was not made"));
}

std::future<Result<void>> GroupCommitWriter::Submit(WriteBatch batch) {
  std::promise<Result<void>> promise;
  std::future<Result<void>> future = promise.get_future();
  Submit(std::move(batch),
         [p = std::move(promise)](Result<void> r) mutable { p.set_value(std::move(r)); });
  return future;
}

Result<void> GroupCommitWriter::Commit(WriteBatch batch) { return Submit(std::move(batch)).get(); }

GroupCommitStats GroupCommitWriter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void GroupCommitWriter::RunWriter() {
  std::vector<const WriteBatch*> batches;
  for (;;) {
    std::vector<Pending> group;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything submitted is committed
      std::size_t bytes = 0;
      while (!queue_.empty() && group.size() < options_.max_group_batches) {
        const std::size_t next = queue_.front().batch.byte_size();
        if (!group.empty() && bytes + next > options_.max_group_bytes) break;
        bytes += next;
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }

    batches.clear();
    Result<void> outcome = Ok();
    if (failure_) {
      outcome = *failure_;  // an earlier write failed: nothing after it is written
    } else {
      for (Pending& p : group) {
        if (p.prepare) p.prepare(p.batch);
        batches.push_back(&p.batch);
      }
      outcome = store_.WriteGroup(batches, options_.durability);
      if (!outcome && options_.stop_after_failure) failure_ = outcome.error();
    }

    {
      std::lock_guard lock(mu_);
      ++stats_.writes;
      stats_.batches += group.size();
    }
    // A small group is answered here: a hand-off would cost more than the wake-ups. A large
    // one goes to the completion thread so that the next sync starts at once. Inline only
    // while the completion thread is idle, so callers are always answered in commit order.
    bool inline_completion = false;
    {
      std::lock_guard lock(done_mu_);
      inline_completion = group.size() <= kInlineCompletionMax && done_.empty() && !completing_;
      if (!inline_completion) done_.push_back({std::move(group), std::move(outcome)});
    }
    if (inline_completion) {
      for (Pending& p : group) p.done(outcome);
    } else {
      done_wake_.notify_one();
    }
  }
}

void GroupCommitWriter::RunCompleter() {
  for (;;) {
    std::optional<Committed> committed;
    {
      std::unique_lock lock(done_mu_);
      done_wake_.wait(lock, [this] { return writer_finished_ || !done_.empty(); });
      if (done_.empty()) return;  // the writer has stopped and every caller is answered
      committed.emplace(std::move(done_.front()));
      done_.pop_front();
      completing_ = true;
    }
    for (Pending& p : committed->group) p.done(committed->outcome);
    std::lock_guard lock(done_mu_);
    completing_ = false;
  }
}

}  // namespace quire::storage
