#include "quire/storage/group_commit_writer.h"

#include <memory>
#include <utility>
#include <vector>

namespace quire::storage {

GroupCommitWriter::GroupCommitWriter(Store& store, const GroupCommitOptions& options)
    : store_(store), options_(options), writer_([this] { Run(); }) {}

GroupCommitWriter::~GroupCommitWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

void GroupCommitWriter::Submit(WriteBatch batch, Callback done) {
  {
    std::unique_lock lock(mu_);
    if (!stopping_) {
      queue_.push_back({std::move(batch), std::move(done)});
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

void GroupCommitWriter::Run() {
  std::vector<Pending> group;
  std::vector<const WriteBatch*> batches;
  for (;;) {
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
    for (const Pending& p : group) batches.push_back(&p.batch);
    const Result<void> outcome = store_.WriteGroup(batches, options_.durability);

    {
      std::lock_guard lock(mu_);
      ++stats_.writes;
      stats_.batches += group.size();
    }
    for (Pending& p : group) p.done(outcome);
    group.clear();
  }
}

}  // namespace quire::storage
