// Imports that run in the background: started over HTTP with ?async=true, followed with
// GET /api/crm/imports/{id} (state, rows done of total, and the report once done). The job
// and its final report are stored; a job still running when the server stopped is found
// "interrupted" on the next start (each row it wrote is whole; importing the file again
// updates what is there instead of duplicating it).
//
// Stored in the `crm` column family: 'i' id → the job, JSON; "n:import" → the next id.
//
// Thread-safety: any thread. Jobs run one at a time, in order of arrival.
#pragma once

#include <boost/json/object.hpp>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "quire/audit/actor.h"
#include "quire/base/clock.h"
#include "quire/crm/import.h"
#include "quire/storage/store.h"

namespace quire::crm {

class ImportJobs {
 public:
  ImportJobs(storage::Store& store, Importer& importer, const Clock& clock);
  ~ImportJobs();  // finishes the running job; queued ones are left "interrupted"

  // Marks jobs left running by an earlier process as interrupted, then starts the worker.
  Result<void> Start();

  // Queues an import of `bytes`. Returns the job as Get answers it.
  Result<boost::json::object> Submit(std::string bytes, ImportOptions options,
                                     const audit::Actor& actor);
  // {id, state: queued|running|done|failed|interrupted, kind, format, createdBy, createdAt,
  //  rowsDone, rowsTotal, report (once done), error (once failed)}. Errors: kNotFound.
  Result<boost::json::object> Get(std::uint64_t id) const;

 private:
  struct Job {
    std::uint64_t id;
    std::string bytes;
    ImportOptions options;
    audit::Actor actor;
  };
  Result<void> Save(std::uint64_t id, const boost::json::object& job);
  void Run();

  storage::Store& store_;
  Importer& importer_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  std::map<std::uint64_t, std::pair<std::size_t, std::size_t>> progress_;  // done, total
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace quire::crm
