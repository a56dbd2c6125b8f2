// Inbox queries: pages of a user's views, searches and counts, read from the index entries
// that task_record.h lays out (prefix scans over one store snapshot, never a filter over
// all tasks).
#pragma once

#include <functional>

#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/storage/store.h"
#include "quire/workflow/engine.h"
#include "task_record.h"

namespace quire::workflow {

TaskInfo TaskInfoOf(const TaskRecord& task);

// A user task element of a deployed process: what its tasks are called and described as.
struct TaskElement {
  std::string process;
  std::string element;
  std::string text;  // name and documentation (of every version, when they differ)
};
// Lists the user task elements of every deployed process (searches start from them).
using TaskElementLister = std::function<Result<std::vector<TaskElement>>()>;

// A page of `q`. Searches look at no more than kSearchBudget index entries a page: a page
// of a search may hold fewer tasks than asked while `next` says there is more.
inline constexpr std::size_t kSearchBudget = 5'000;
Result<TaskPage> QueryInbox(const storage::Store& store, const TaskQuery& q, Timestamp now,
                            const TaskElementLister& elements);

Result<std::vector<Notification>> QueuedNotifications(const storage::Store& store,
                                                      const std::string& user, std::size_t limit);

// Counts stop at kCountCap per view.
inline constexpr std::size_t kCountCap = 100'000;
Result<TaskCounts> CountInbox(const storage::Store& store, const std::string& user, Timestamp now);

}  // namespace quire::workflow
