#include "quire/crm/import_jobs.h"

#include <boost/json/serialize.hpp>

#include "quire/base/instant.h"
#include "quire/base/json_fields.h"
#include "quire/storage/key_codec.h"

namespace quire::crm {
namespace json = boost::json;

namespace {

constexpr storage::ColumnFamily kCrm = storage::ColumnFamily::kCrm;
const std::string kNextImportKey = "n:import";

std::string JobKey(std::uint64_t id) { return storage::KeyEncoder().U8('i').U64(id).Take(); }

}  // namespace

ImportJobs::ImportJobs(storage::Store& store, Importer& importer, const Clock& clock)
    : store_(store), importer_(importer), clock_(clock) {}

ImportJobs::~ImportJobs() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
  // What never ran is interrupted, not lost in silence.
  for (const Job& job : queue_) {
    if (auto stored = Get(job.id)) {
      json::object o = *stored;
      o["state"] = "interrupted";
      (void)Save(job.id, o);
    }
  }
}

Result<void> ImportJobs::Save(std::uint64_t id, const json::object& job) {
  json::object stored = job;
  stored.erase("rowsDone");
  stored.erase("rowsTotal");
  storage::WriteBatch batch;
  batch.Put(kCrm, JobKey(id), json::serialize(stored));
  return store_.Write(batch);
}

Result<void> ImportJobs::Start() {
  auto it = store_.ScanPrefix(kCrm, std::string(1, 'i'));
  std::vector<std::pair<std::uint64_t, json::object>> stale;
  for (; it.Valid(); it.Next()) {
    QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(it.value(), "import job"));
    const std::string state = StrOf(o, "state");
    if (state == "queued" || state == "running") {
      o["state"] = "interrupted";
      stale.emplace_back(static_cast<std::uint64_t>(IntOf(o, "id")), std::move(o));
    }
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  for (const auto& [id, o] : stale) QUIRE_RETURN_IF_ERROR(Save(id, o));
  worker_ = std::thread([this] { Run(); });
  return Ok();
}

Result<json::object> ImportJobs::Submit(std::string bytes, ImportOptions options,
                                        const audit::Actor& actor) {
  std::lock_guard lock(mu_);
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> next, store_.Get(kCrm, kNextImportKey));
  const std::uint64_t id = next ? std::stoull(*next) : 1;
  json::object job{{"id", std::to_string(id)},
                   {"state", "queued"},
                   {"kind", options.kind},
                   {"format", options.format},
                   {"dryRun", options.dry_run},
                   {"createdBy", actor.id},
                   {"createdAt", FormatInstant(clock_.Now())},
                   {"bytes", bytes.size()}};
  storage::WriteBatch batch;
  batch.Put(kCrm, JobKey(id), json::serialize(job));
  batch.Put(kCrm, kNextImportKey, std::to_string(id + 1));
  QUIRE_RETURN_IF_ERROR(store_.Write(batch));
  queue_.push_back({id, std::move(bytes), std::move(options), actor});
  progress_[id] = {0, 0};
  wake_.notify_all();
  job["rowsDone"] = 0;
  job["rowsTotal"] = 0;
  return job;
}

Result<json::object> ImportJobs::Get(std::uint64_t id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text, store_.Get(kCrm, JobKey(id)));
  if (!text) return Error::NotFound("import " + std::to_string(id) + " does not exist");
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(*text, "import job"));
  std::lock_guard lock(mu_);
  if (auto p = progress_.find(id); p != progress_.end()) {
    o["rowsDone"] = p->second.first;
    o["rowsTotal"] = p->second.second;
  } else if (const json::value* r = o.if_contains("report"); r && r->is_object()) {
    const std::int64_t records = IntOf(r->get_object(), "records");  // before `o` grows
    o["rowsDone"] = records;
    o["rowsTotal"] = records;
  } else {
    o["rowsDone"] = 0;
    o["rowsTotal"] = 0;
  }
  return o;
}

void ImportJobs::Run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    auto stored = Get(job.id);
    if (!stored) continue;
    json::object o = *stored;
    o["state"] = "running";
    (void)Save(job.id, o);
    auto report = importer_.Run(job.bytes, job.options, job.actor,
                                [this, id = job.id](std::size_t done, std::size_t total) {
                                  std::lock_guard lock(mu_);
                                  progress_[id] = {done, total};
                                });
    if (report) {
      o["state"] = "done";
      o["report"] = report->ToJson();
    } else {
      o["state"] = "failed";
      o["error"] = report.error().message();
    }
    o["endedAt"] = FormatInstant(clock_.Now());
    (void)Save(job.id, o);
    std::lock_guard lock(mu_);
    progress_.erase(job.id);
  }
}

}  // namespace quire::crm
