// Engine: runs deployed BPMN processes, durably.
//
// Every change is a *command* (start, complete a task, fire a timer, correlate a message,
// finish a job, cancel, set variables) executed by the engine's single writer thread. A
// command's whole effect — instance state, task rows, timers, subscriptions, jobs, history
// — is one atomic write, committed through the group-commit writer; the caller is answered
// only once that write is durable. Between commands, a waiting instance is only data in
// the store: memory holds nothing per instance, and a restart reads only what is due.
//
// The writer keeps the writes of commands that are not yet durable in an overlay, so a
// command always sees every earlier command's effect (a second start with the same
// business key, a message arriving just as an instance starts to wait for it) while the
// sync of the previous group is still running.
//
// Thread-safety: every method may be called from any thread. Methods that change state
// block until durable; the *Async forms call back instead (on the commit thread: keep
// callbacks short). Reads see durable state.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/definitions/repository.h"
#include "quire/storage/group_commit_writer.h"
#include "quire/storage/store.h"
#include "quire/workflow/connector.h"
#include "quire/workflow/tasks.h"

namespace quire::workflow {

using InstanceId = std::uint64_t;
using TaskId = std::uint64_t;

// A user task completed, as the hook EngineOptions::task_completed sees it.
struct TaskCompletion {
  std::uint64_t task = 0;
  std::uint64_t instance = 0;
  std::string process_id;
  std::string element_id;
  std::string name;
  std::string business_key;
  std::string user;                                        // who completed it
  std::vector<std::pair<std::string, std::string>> links;  // kind → id ("customer", "42")
  Timestamp at{};
};

struct EngineOptions {
  // Threads that run jobs (connector calls).
  int job_threads = 4;
  // A job that runs longer fails (and is retried); its late result is ignored.
  std::chrono::milliseconds job_timeout{30'000};
  // Runs of a job before it raises an incident, when the model does not say.
  int default_job_retries = 3;
  // Wait before the first retry; doubled each time up to `retry_backoff_max`.
  std::chrono::milliseconds retry_backoff{1'000};
  std::chrono::milliseconds retry_backoff_max{std::chrono::minutes(10)};
  // How long an ended instance's history is kept when its process does not say
  // (camunda:historyTimeToLive). Zero keeps it forever.
  std::chrono::milliseconds history_ttl{0};
  // History of ended instances is removed in batches of this many records.
  std::size_t history_cleanup_batch = 500;
  // Messages published with no time-to-live of their own are kept this long waiting
  // for a subscriber; zero refuses a message no one waits for.
  std::chrono::milliseconds default_message_ttl{0};
  // kNoSync only for tests and `quire run`.
  storage::Durability durability = storage::Durability::kSync;
  // False: jobs are created but not run (tests of incidents and of external workers).
  bool run_jobs = true;
  // The audit chain. When set, every command a person caused (task operations, starts,
  // cancels, variables, messages, signals, deployments, organisation changes) appends an
  // entry in the same batch as its effect, and all commits go through the log's writer.
  // REQUIRES: it outlives the engine.
  audit::AuditLog* audit = nullptr;
  // Whether a document of `type` is linked to the task or its instance: completing a task
  // whose model requires document types (quire:requiredDocument) is refused until each is.
  // Wired to the DMS by the app; unset, requirements are not checked (headless runs).
  std::function<Result<bool>(std::uint64_t task, std::uint64_t instance, const std::string& type)>
      document_linked;
  // Writes to make in the same commit as a user task's completion: an outbox that another
  // component drains (the CRM records the completion as an activity of the task's customer).
  // Unset: nothing. Must not block; it sees the task, not the store.
  std::function<std::vector<storage::WriteBatch::Op>(const TaskCompletion&)> task_completed;
  // The month (year × 12 + month − 1) an instant belongs to, for the analytics counters
  // (analytics.h). Unset: UTC (UtcMonth). The app sets the CRM's zone, Europe/Warsaw.
  std::function<std::int32_t(Timestamp)> month_of;
  // False: no funnel or task counters are kept (their reports then miss what ran meanwhile);
  // for measuring what keeping them costs (bench/engine_benchmark --no-analytics).
  bool analytics = true;
  // False: timer, message and signal start events start nothing (`quire run` runs the one
  // instance it started).
  bool arm_start_events = true;
};

struct StartRequest {
  std::string process_id;
  std::optional<std::uint32_t> version;  // latest when absent
  boost::json::object variables;
  std::string business_key;  // optional; unique per process
  audit::Actor actor;        // who asked, for history
  // Start at this start event (as if its timer, message or signal had fired) instead of
  // the plain start event: for test runs and for replaying a missed trigger by hand.
  std::string start_element;
};

struct StartResult {
  InstanceId instance_id = 0;
  std::uint32_t version = 0;
  std::string state;  // after the first run: "active" or "completed"
  // The user tasks the instance waits at after its first run.
  std::vector<TaskId> tasks;
};

struct ActiveElement {
  std::uint32_t key = 0;  // the element instance, stable while it is active
  std::string element_id;
  std::string element_name;
  std::string kind;   // BPMN element name, e.g. "userTask"
  std::string state;  // "waiting", "joining", "scope", "incident"
  std::string scope_element_id;
  std::uint64_t task_id = 0;
  std::uint64_t job_id = 0;
  InstanceId child_instance = 0;
};

struct IncidentInfo {
  std::uint64_t id = 0;
  InstanceId instance_id = 0;
  std::string process_id;
  std::string element_id;
  std::uint32_t element_key = 0;
  std::uint64_t job_id = 0;
  std::string kind;  // "job_failed", "condition", "uncaught_error", "expression", ...
  std::string message;
  Timestamp created_at;
};

struct InstanceInfo {
  InstanceId id = 0;
  std::string process_id;
  std::uint32_t version = 0;
  std::string business_key;
  std::string state;  // active, completed, cancelled
  Timestamp started_at;
  std::optional<Timestamp> ended_at;
  InstanceId parent_instance = 0;
  boost::json::object variables;  // process-level variables
  std::vector<ActiveElement> active;
  std::vector<IncidentInfo> incidents;
};

struct TaskInfo {
  TaskId id = 0;
  InstanceId instance_id = 0;
  std::string process_id;
  std::string element_id;
  std::string name;
  std::string assignee;
  std::vector<std::string> candidate_users;
  std::vector<std::string> candidate_groups;
  std::int64_t priority = 50;
  std::optional<Timestamp> due;
  std::optional<Timestamp> follow_up;
  std::string form_key;
  Timestamp created_at;
  std::string business_key;
  boost::json::object variables;  // the variables visible at the task (GetTask only)
  std::string owner;              // who delegated it, or took it over
  std::string state;              // created, assigned, delegated
  std::optional<Timestamp> claimed_at;
  int escalations = 0;
  std::string description;
  std::vector<std::pair<std::string, std::string>> links;  // kind → id ("customer", "c-42")
  std::string form_ref;                                    // a deployed form (see TaskForm)
  std::uint32_t form_version = 0;  // its version bound at creation; 0: the latest
};

// The form a task is completed with: Quire or Camunda 7 fields from the model, or a Camunda
// Forms schema (embedded or deployed) with the fields read from it.
struct TaskForm {
  std::string form_key;  // a form the UI knows by name, if any
  std::string form_id;   // a deployed form's id, if any
  std::uint32_t version = 0;
  boost::json::value schema;  // the Camunda Forms JSON, when there is one (null otherwise)
  std::vector<definitions::FormField> fields;   // what completion checks
  std::vector<std::string> required_documents;  // types to link before completion
};

// Workload of one user or group over a period, from history.
struct WorkloadLine {
  std::string who;
  std::size_t completed = 0;
  std::size_t claimed = 0;
  std::int64_t claim_median_ms = 0;  // creation → claim
  std::int64_t claim_p90_ms = 0;
  std::int64_t complete_median_ms = 0;  // creation → completion
  std::int64_t complete_p90_ms = 0;
  std::size_t overdue = 0;      // completed after their due date
  std::size_t escalations = 0;  // their tasks escalated (by hand or by a rule)
};

struct WorkloadReport {
  std::vector<WorkloadLine> users;
  std::vector<WorkloadLine> groups;  // by the tasks' candidate groups
};

struct TaskPage {
  std::vector<TaskInfo> tasks;
  std::string next;  // cursor for the next page; empty at the end
};

struct TaskComment {
  std::string author;
  Timestamp time;
  std::string text;
};

struct MessageRequest {
  std::string name;
  std::string correlation_key;
  boost::json::object variables;
  // How long to keep the message when no one waits for it yet; absent: the engine's
  // default_message_ttl.
  std::optional<std::chrono::milliseconds> ttl;
  audit::Actor actor;
};

struct MessageResult {
  std::vector<InstanceId> correlated;  // instances that were waiting and received it
  std::vector<InstanceId> started;     // instances its message start events started
  std::uint64_t buffered_id = 0;       // non-zero: kept until a subscriber comes (TTL)
};

struct HistoryEvent {
  std::uint64_t seq = 0;
  Timestamp time;
  std::string actor;  // the user id (history keeps who, the audit chain also how)
  InstanceId instance_id = 0;
  std::string element_id;
  std::string kind;
  boost::json::object data;
};

struct JobInfo {
  std::uint64_t id = 0;
  InstanceId instance_id = 0;
  std::string process_id;
  std::string element_id;
  std::string type;
  int retries = 0;
  std::int64_t priority = 0;
  Timestamp due;
  bool external = false;
  std::string error;
};

// A topic an external worker fetches from (Camunda's fetchAndLock topics).
struct ExternalTopic {
  std::string name;
  std::chrono::milliseconds lock_duration{60'000};
  // Variables to send; absent: all visible at the task.
  std::optional<std::vector<std::string>> variables;
  std::string business_key;  // only jobs of instances with this business key
  std::string process_id;    // only jobs of this process (processDefinitionKey)
};

// A job locked for an external worker.
struct LockedJob {
  std::uint64_t id = 0;
  InstanceId instance_id = 0;
  std::string process_id;
  std::uint32_t version = 0;
  std::string element_id;
  std::uint32_t element_key = 0;
  std::string topic;
  std::string worker;
  Timestamp lock_expires;
  int retries = 0;
  std::int64_t priority = 0;
  std::string error;
  std::string business_key;
  boost::json::object variables;
};

class Engine {
 public:
  // Starts the writer and job threads, and fires what came due while the engine was down.
  // REQUIRES: `store`, `repository`, `clock` and `connectors` outlive the engine.
  static Result<std::unique_ptr<Engine>> Open(storage::Store& store,
                                              definitions::DefinitionRepository& repository,
                                              const Clock& clock, ConnectorRegistry& connectors,
                                              const EngineOptions& options = {});
  virtual ~Engine() = default;

  // Deploys a BPMN file (see DefinitionRepository::Deploy) and arms its start events:
  // timer start events of the new versions are scheduled, message and signal start events
  // listen; those of the versions they replace stop.
  // `history_ttl`, when given, is how long ended instances' history of every process in
  // the file is kept; it wins over the model's historyTimeToLive and the engine default.
  virtual Result<definitions::Deployment> Deploy(
      std::string_view xml, std::string_view source_name, const audit::Actor& actor,
      std::optional<definitions::Duration> history_ttl = std::nullopt) = 0;
  // Removes a process: refused (kConflict, naming how many) while instances run, unless
  // `force`, which cancels them first.
  virtual Result<void> Undeploy(const std::string& process_id, bool force,
                                const audit::Actor& actor) = 0;

  // Errors: kNotFound (process/version), kConflict (business key in use; the message
  // names the instance holding it), kValidationFailed (the first run failed to evaluate).
  virtual Result<StartResult> Start(const StartRequest& request) = 0;
  virtual void StartAsync(StartRequest request,
                          std::move_only_function<void(Result<StartResult>)> done) = 0;

  // Completes a user task with `variables` (merged into the process, or through the
  // task's output mappings). Errors: kNotFound when no such open task exists.
  virtual Result<void> CompleteTask(TaskId task, const boost::json::object& variables,
                                    const audit::Actor& actor) = 0;
  virtual void CompleteTaskAsync(TaskId task, boost::json::object variables, audit::Actor actor,
                                 std::move_only_function<void(Result<void>)> done) = 0;

  // Publishes a message: every instance waiting for it (name and correlation key) receives
  // it once; when none waits, message start events start instances; when neither, it is
  // kept for its time-to-live, or refused with kNotFound when that is zero.
  virtual Result<MessageResult> CorrelateMessage(const MessageRequest& request) = 0;
  // Every waiting signal catch event and signal start event. Returns how many reacted.
  virtual Result<std::size_t> BroadcastSignal(const std::string& name,
                                              const boost::json::object& variables,
                                              const audit::Actor& actor) = 0;
  // Completes a receive task or catch event that names no message (Camunda's `signal`).
  virtual Result<void> Trigger(InstanceId instance, const std::string& element_id,
                               const boost::json::object& variables, const audit::Actor& actor) = 0;

  // Finishes a job on behalf of an external worker (or `quire run`): with variables, or
  // with a BPMN error code the process can catch. Errors: kNotFound when it is not open.
  virtual Result<void> CompleteJob(std::uint64_t job, const JobOutcome& outcome,
                                   const audit::Actor& actor) = 0;
  // Reports a failed attempt: `retries_left` 0 raises an incident; otherwise the job is
  // offered again after `backoff`.
  virtual Result<void> FailJob(std::uint64_t job, const std::string& message, int retries_left,
                               std::chrono::milliseconds backoff, const audit::Actor& actor) = 0;

  // External workers (Camunda 7's external tasks). Locks up to `max_jobs` open jobs of the
  // topics for `worker`: due (not backing off), not locked by anyone else (or their lock
  // expired); highest priority first when `use_priority`, else oldest first.
  virtual Result<std::vector<LockedJob>> FetchAndLock(const std::string& worker,
                                                      const std::vector<ExternalTopic>& topics,
                                                      std::size_t max_jobs, bool use_priority) = 0;
  // Blocks until an external job may have become available, or `deadline` (long polling).
  virtual void WaitForExternalJobs(std::chrono::steady_clock::time_point deadline) = 0;
  // As CompleteJob/FailJob, refused (kInvalidArgument) unless `worker` holds the lock.
  virtual Result<void> CompleteExternal(std::uint64_t job, const std::string& worker,
                                        const JobOutcome& outcome) = 0;
  virtual Result<void> FailExternal(std::uint64_t job, const std::string& worker,
                                    const std::string& message, int retries_left,
                                    std::chrono::milliseconds retry_timeout) = 0;
  virtual Result<void> ExtendLock(std::uint64_t job, const std::string& worker,
                                  std::chrono::milliseconds duration) = 0;
  virtual Result<void> Unlock(std::uint64_t job) = 0;

  // ---- working on tasks ------------------------------------------------------------------
  // One operation, checked against the actor's rights (tasks.h); returns the task after it.
  // Errors: kNotFound (task), kForbidden (not allowed, says why), kConflict (claimed by
  // someone else meanwhile, names them), kInvalidArgument (bad target user or date).
  virtual Result<TaskInfo> ActOnTask(const TaskCommand& command) = 0;
  virtual void ActOnTaskAsync(TaskCommand command,
                              std::move_only_function<void(Result<TaskInfo>)> done) = 0;
  // Completes a task as `user`, checking their rights; see CompleteTask for the effect.
  // Answers the task as it was completed (state "completed"; claimed by `user` when it was
  // unclaimed), read inside the same command.
  virtual Result<TaskInfo> CompleteTaskAs(TaskId task, const boost::json::object& variables,
                                          const audit::Actor& user) = 0;
  virtual void CompleteTaskAsAsync(TaskId task, boost::json::object variables, audit::Actor user,
                                   std::move_only_function<void(Result<void>)> done) = 0;
  // Runs each command with its own rights check, all in flight together (one durable
  // write for many): the outcome of each, in order. Supervisors moving many tasks at once.
  virtual std::vector<Result<TaskInfo>> ActOnTasks(std::vector<TaskCommand> commands) = 0;
  virtual Result<void> CommentOnTask(TaskId task, const audit::Actor& user,
                                     const std::string& text) = 0;
  // Moves the open tasks linked to record `kind` `from` to `to` (two CRM records merged, and
  // the merge undone): every one, or only those in `only` when it is not empty. Each moved
  // task records task_relinked in its history and task.relinked in the audit chain. Returns
  // the tasks moved. No task right is checked: the caller decided about the records.
  virtual Result<std::vector<TaskId>> RelinkTasks(const std::string& kind, const std::string& from,
                                                  const std::string& to,
                                                  const std::vector<TaskId>& only,
                                                  const audit::Actor& actor) = 0;
  virtual Result<std::vector<TaskComment>> TaskComments(TaskId task) const = 0;
  // Who completed how many tasks, how fast they were claimed and completed, how many were
  // late or escalated — per user and per group, for events in [from, to].
  virtual Result<WorkloadReport> Workload(Timestamp from, Timestamp to) const = 0;
  // A page of an inbox view in the order asked for (TaskQuery, TaskSort), or of a search.
  // Errors: kInvalidArgument for a page size outside 1-1000, a sort the view does not
  // have, a search over kVisible without criteria, or a cursor that is not one of ours.
  virtual Result<TaskPage> Inbox(const TaskQuery& query) const = 0;
  // The notifications queued for `user` and their groups, oldest first, at most `limit`.
  virtual Result<std::vector<Notification>> Notifications(const std::string& user,
                                                          std::size_t limit) const = 0;
  // Acknowledges (removes) one. Errors: kNotFound.
  virtual Result<void> AckNotification(std::uint64_t id, const audit::Actor& user) = 0;
  // How many tasks each of `user`'s views holds.
  virtual Result<TaskCounts> CountTasks(const std::string& user) const = 0;
  // The form to complete a task with. Errors: kNotFound (no such open task, or its deployed
  // form is not deployed).
  virtual Result<TaskForm> GetTaskForm(TaskId id) const = 0;

  virtual Result<void> Cancel(InstanceId instance, const audit::Actor& actor,
                              const std::string& reason) = 0;
  virtual Result<void> SetVariables(InstanceId instance, const boost::json::object& variables,
                                    const audit::Actor& actor) = 0;

  // Sets the retries of an incident's job and runs it again (or, for other incidents,
  // re-runs the element). Errors: kNotFound.
  virtual Result<void> RetryIncident(std::uint64_t incident, int retries,
                                     const audit::Actor& actor) = 0;

  virtual Result<InstanceInfo> GetInstance(InstanceId id) const = 0;
  // Instances of a process (all when empty), newest first, at most `limit`.
  virtual Result<std::vector<InstanceInfo>> ListInstances(const std::string& process_id,
                                                          std::size_t limit) const = 0;
  virtual Result<std::vector<TaskInfo>> ListTasks(std::optional<InstanceId> instance) const = 0;
  virtual Result<TaskInfo> GetTask(TaskId id) const = 0;
  // Whether `user` may see open task `id` (its candidates, assignee, owner, their
  // supervisors and substitutes: tasks.h). Errors: kNotFound when the task is not open.
  virtual Result<bool> MaySeeTask(TaskId id, const std::string& user) const = 0;
  virtual Result<std::vector<IncidentInfo>> ListIncidents(
      std::optional<InstanceId> instance) const = 0;
  virtual Result<std::vector<JobInfo>> ListJobs(std::optional<InstanceId> instance) const = 0;
  virtual Result<std::vector<HistoryEvent>> History(InstanceId instance) const = 0;
  virtual Result<std::vector<HistoryEvent>> HistoryBetween(Timestamp from, Timestamp to,
                                                           std::size_t limit) const = 0;

  // The earliest timer due, if any (for `quire run`, which fast-forwards to it).
  virtual std::optional<Timestamp> NextTimerDue() const = 0;
  // Tells the engine the clock moved (manual clocks): due timers fire, due retries run.
  virtual void WakeUp() = 0;
  // Waits until no command is queued or in flight and no runnable job is pending.
  virtual void WaitIdle() = 0;
  // Removes ended instances' history whose time-to-live has passed, one batch; returns
  // how many instances it removed. (A background thread calls it; tests call it directly.)
  virtual Result<std::size_t> CleanupHistory() = 0;

  virtual storage::GroupCommitStats commit_stats() const = 0;
};

}  // namespace quire::workflow
