// A completed user task linked to a customer leaves a done activity on the customer's
// timeline. The engine writes an outbox entry in the same commit as the completion
// (EngineOptions::task_completed); this drains it into activities. Exactly once: the
// activity's external id is the task's, so an entry drained twice (a crash between the
// activity and the entry's removal) records nothing the second time.
//
// Outbox entries, in the `crm` column family: 'o' task(u64) → JSON of the completion.
#pragma once

#include <boost/json.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "quire/base/instant.h"
#include "quire/base/json_fields.h"
#include "quire/crm/activities.h"
#include "quire/storage/key_codec.h"
#include "quire/workflow/engine.h"

namespace quire::services {

class TaskActivities {
 public:
  static constexpr storage::ColumnFamily kCrm = storage::ColumnFamily::kCrm;

  static std::string OutboxKey(std::uint64_t task) {
    return storage::KeyEncoder().U8('o').U64(task).Take();
  }

  // The engine's hook: an outbox entry for a task with a customer link (a customer id).
  static std::vector<storage::WriteBatch::Op> Outbox(const workflow::TaskCompletion& done) {
    std::string customer;
    for (const auto& [kind, id] : done.links) {
      if (kind == "customer" && !id.empty() &&
          id.find_first_not_of("0123456789") == std::string::npos) {
        customer = id;
        break;
      }
    }
    if (customer.empty()) return {};
    const boost::json::object entry{{"task", done.task},          {"instance", done.instance},
                                    {"process", done.process_id}, {"element", done.element_id},
                                    {"name", done.name},          {"user", done.user},
                                    {"customer", customer},       {"at", FormatInstant(done.at)}};
    return {{storage::WriteBatch::OpKind::kPut, kCrm, OutboxKey(done.task),
             boost::json::serialize(entry)}};
  }

  TaskActivities(storage::Store& store, crm::ActivityStore& activities)
      : store_(store), activities_(activities) {}
  ~TaskActivities() { Stop(); }

  // Drains what is there, then every `period` until stopped.
  void Start(std::chrono::milliseconds period = std::chrono::milliseconds(250)) {
    thread_ = std::thread([this, period] {
      std::unique_lock lock(mu_);
      while (!stopping_) {
        lock.unlock();
        (void)DrainOnce();
        lock.lock();
        wake_.wait_for(lock, period, [this] { return stopping_; });
      }
    });
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Records each waiting completion; returns how many were handled.
  Result<std::size_t> DrainOnce() {
    std::vector<std::pair<std::string, std::string>> entries;
    {
      auto it = store_.ScanPrefix(kCrm, std::string(1, 'o'));
      for (; it.Valid() && entries.size() < 500; it.Next()) {
        entries.emplace_back(std::string(it.key()), std::string(it.value()));
      }
      QUIRE_RETURN_IF_ERROR(it.status());
    }
    for (const auto& [key, value] : entries) {
      QUIRE_RETURN_IF_ERROR(Record(value));
      storage::WriteBatch done;
      done.Delete(kCrm, key);
      QUIRE_RETURN_IF_ERROR(store_.Write(done));
    }
    return entries.size();
  }

 private:
  Result<void> Record(const std::string& value) {
    auto entry = ParseRecord(value, "task outbox entry");
    if (!entry) return Ok();  // unreadable: nothing to record, drop it
    const boost::json::object& e = *entry;
    const std::string external = "task-" + std::to_string(IntOf(e, "task"));
    QUIRE_ASSIGN_OR_RETURN(std::optional<crm::ActivityId> existing,
                           activities_.FindByExternalId(external));
    if (existing) return Ok();
    const std::string user = StrOf(e, "user");
    boost::json::object fields{
        {"type", "task"},
        {"status", "done"},
        {"title", StrOf(e, "name").empty() ? StrOf(e, "element") : StrOf(e, "name")},
        {"customer", StrOf(e, "customer")},
        {"start", StrOf(e, "at")},
        {"externalId", external},
        {"note", "Task " + std::to_string(IntOf(e, "task")) + " of process " + StrOf(e, "process") +
                     " (instance " + std::to_string(IntOf(e, "instance")) + ") completed"}};
    if (!user.empty()) fields["employees"] = boost::json::array{user};
    auto a =
        activities_.Create(fields, audit::Actor(user.empty() ? "engine" : user, "task completion"));
    // A customer gone since, or a user id the CRM refuses: nothing to record.
    if (!a && a.error().code() != ErrorCode::kValidationFailed) return a.error();
    return Ok();
  }

  storage::Store& store_;
  crm::ActivityStore& activities_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace quire::services
