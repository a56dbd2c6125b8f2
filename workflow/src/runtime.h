// Runtime: the BPMN semantics. One Runtime runs one command on the writer thread: it loads
// the instances the command touches, moves their tokens until every one waits (at a task,
// job, timer, message, join) or ends, and stages the resulting records and history in the
// command's Txn.
//
// Execution model: an instance is a tree of element instances (instance_state.h). Entering
// an element either passes straight through (events, gateways, plain tasks, inline
// connectors), or creates an element instance that waits. Scopes (the process, embedded
// and event subprocesses, multi-instance bodies) complete when nothing is left inside them.
// Tokens that merely pass are steps on an agenda, so a long chain never deepens the stack.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "instance_state.h"
#include "process_info.h"
#include "quire/definitions/repository.h"
#include "quire/workflow/connector.h"
#include "quire/workflow/engine.h"
#include "task_record.h"
#include "task_rights.h"
#include "txn.h"

namespace quire::workflow {

// A deployed Camunda form, read once.
struct DeployedForm {
  definitions::FormVersion version;
  std::string schema;
  std::vector<definitions::FormField> fields;
};

// Which version of its deployed form a task of `spec` uses (binding "deployment": the
// latest by the time its process version was deployed).
definitions::FormBinding FormBindingFor(const definitions::TaskSpec& spec,
                                        Timestamp process_deployed_at);

// What the engine lends a Runtime.
struct RuntimeEnv {
  definitions::DefinitionRepository& repository;
  ConnectorRegistry& connectors;
  ProcessInfoCache& infos;
  const EngineOptions& options;
  // The deployed version of a process: the latest when `version` is empty.
  std::function<Result<definitions::ProcessVersion>(const std::string& process,
                                                    std::optional<std::uint32_t> version)>
      find_version;
  // Called after commit for each job to run in-process (not external ones).
  std::function<void(std::uint64_t job, std::int64_t due, std::int64_t priority)> enqueue_job;
  // Called after commit when an external job may have become available.
  std::function<void()> external_available;
  // The model of a deployed version (immutable; cached by the engine).
  std::function<Result<std::shared_ptr<const definitions::Definitions>>(const std::string& process,
                                                                        std::uint32_t version)>
      load_model;
  // A deployed form (immutable; cached by the engine). Errors: kNotFound.
  std::function<Result<std::shared_ptr<const DeployedForm>>(const std::string& form,
                                                            const definitions::FormBinding&)>
      find_form;
};

struct JobRecord {
  std::uint64_t id = 0;
  std::uint64_t instance = 0;
  std::uint32_t key = 0;
  std::string process_id;
  std::string element_id;
  std::string type;
  int retries = 0;
  int attempt = 1;
  std::int64_t priority = 50;
  std::int64_t due = 0;
  bool external = false;
  bool incident = false;
  std::string error;
  std::string retry_cycle;
  std::int64_t backoff_ms = 0;      // exponential backoff from the model: first wait
  std::int64_t backoff_max_ms = 0;  // ... and its cap
  std::int64_t timeout_ms = 0;      // per attempt, from the model
  boost::json::object variables;
  // External workers: who holds the lock and until when (ms since the epoch).
  std::string worker;
  std::int64_t lock_expires = 0;
};

std::string EncodeJob(const JobRecord& job);
Result<JobRecord> DecodeJob(std::string_view bytes);

class Runtime {
 public:
  Runtime(RuntimeEnv& env, Txn& txn, audit::Actor actor);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Commands. Each leaves its writes staged in the Txn; call Finish() once at the end.
  Result<StartResult> Start(const StartRequest& request);
  Result<void> CompleteTask(std::uint64_t task, const boost::json::object& variables);
  // Task operations on behalf of a user, checked against task_rights.h.
  Result<TaskRecord> ActOnTask(const TaskCommand& command);
  // Takes a notification out of `user`'s queue (or one of their groups'). Errors: kNotFound.
  Result<void> AckNotification(std::uint64_t id, const std::string& user);
  // Answers the task record as it was completed.
  Result<TaskRecord> CompleteTaskAs(std::uint64_t task, const boost::json::object& variables,
                                    const std::string& user);
  Result<void> CommentOnTask(std::uint64_t task, const std::string& user, const std::string& text);
  // See Engine::RelinkTasks.
  Result<std::vector<std::uint64_t>> RelinkTasks(const std::string& kind, const std::string& from,
                                                 const std::string& to,
                                                 const std::vector<std::uint64_t>& only);
  Result<MessageResult> Correlate(const MessageRequest& request,
                                  std::chrono::milliseconds default_ttl);
  Result<std::size_t> Broadcast(const std::string& signal, const boost::json::object& variables);
  Result<void> FireTimer(std::string_view key, std::string_view value);
  // `worker` non-empty: an external worker's report, refused unless it holds the lock.
  Result<void> JobCompleted(std::uint64_t job, const JobOutcome& outcome,
                            const std::string& worker = "");
  Result<void> JobFailed(std::uint64_t job, const std::string& message,
                         std::optional<int> retries_left, std::chrono::milliseconds backoff,
                         const std::string& worker = "");
  Result<std::vector<LockedJob>> FetchAndLock(const std::string& worker,
                                              const std::vector<ExternalTopic>& topics,
                                              std::size_t max_jobs, bool use_priority);
  Result<void> ExtendLock(std::uint64_t job, const std::string& worker,
                          std::chrono::milliseconds duration);
  Result<void> Unlock(std::uint64_t job);
  Result<void> TriggerElement(std::uint64_t instance, const std::string& element_id,
                              const boost::json::object& variables);
  Result<void> Cancel(std::uint64_t instance, const std::string& reason);
  Result<void> SetVariables(std::uint64_t instance, const boost::json::object& variables);
  Result<void> RetryIncident(std::uint64_t incident, int retries);
  // Arms the start events (timer, message, signal) of a process's latest version and
  // disarms those of older versions. Idempotent.
  Result<void> ArmStartEvents(const definitions::ProcessVersion& latest);
  // Refuses (kConflict) while instances of the process run, unless `force`, which cancels
  // them; then disarms its start events.
  Result<void> Undeploy(const std::string& process_id, bool force);
  // The history time-to-live set at deployment for a process (none: the model's applies).
  Result<void> SetHistoryTtl(const std::string& process_id,
                             std::optional<std::chrono::milliseconds> ttl);
  // Removes the history and records of up to `batch` ended instances whose time-to-live
  // has passed, and expired buffered messages. Returns how many instances went.
  Result<std::size_t> CleanupHistory(std::size_t batch);

  Txn& txn() { return txn_; }

  // Records that the acting person did `action` to `object`, for the audit chain; written
  // with this command's batch. Commands of the engine itself ("engine", "timer") and of
  // external workers record nothing.
  void Audit(std::string action, std::string object, boost::json::object details = {});
  std::vector<audit::EntryFields>& audit_entries() { return audit_; }

  // Writes the changed instances and their history. REQUIRES: every command step ok.
  Result<void> Finish();

  // The earliest timer this command scheduled, for the writer's alarm.
  std::optional<std::int64_t> earliest_timer() const { return earliest_timer_; }

 private:
  struct Loaded;
  struct Step {
    ElementIndex element = kNoElement;
    std::uint32_t scope = 0;
    FlowIndex via = kNoFlow;
    bool triggered = false;      // the event already happened (event-based gateway, event start)
    std::int64_t mi_index = -1;  // >= 0: an inner instance of a multi-instance body
  };

  Result<Loaded*> Load(std::uint64_t instance);
  Result<Loaded*> CreateInstance(const definitions::ProcessVersion& version,
                                 std::shared_ptr<const definitions::Definitions> defs,
                                 const definitions::Process* process, boost::json::object variables,
                                 const std::string& business_key, std::uint64_t parent_instance,
                                 std::uint32_t parent_key);
  Result<Loaded*> StartAt(const definitions::ProcessVersion& version, ElementIndex start,
                          boost::json::object variables, const std::string& business_key,
                          std::uint64_t parent_instance, std::uint32_t parent_key);
  Result<void> Run();
  void RunAgenda(Loaded& l);
  void CheckScopes(Loaded& l);

  // Element behaviour.
  void Enter(Loaded& l, const Step& step);
  void EnterActivity(Loaded& l, const Step& step);
  void EnterMultiInstance(Loaded& l, const Step& step);
  void EnterGateway(Loaded& l, const Step& step);
  void EnterEvent(Loaded& l, const Step& step);
  void CompleteActivity(Loaded& l, std::uint32_t key);
  void InnerDone(Loaded& l, std::uint32_t body_key, std::uint32_t inner_key);
  void CompleteScope(Loaded& l, std::uint32_t key);
  void TakeOutgoing(Loaded& l, ElementIndex element, std::uint32_t scope);
  void Pass(Loaded& l, ElementIndex element, std::uint32_t scope);  // entered and left
  void TryJoin(Loaded& l, ElementIndex gateway, std::uint32_t scope);
  bool InclusiveJoinReady(Loaded& l, ElementIndex gateway, std::uint32_t scope);
  void SelectFlows(Loaded& l, ElementIndex gateway, std::uint32_t scope, bool exclusive);
  void CancelElement(Loaded& l, std::uint32_t key, const std::string& reason);
  void CancelChildren(Loaded& l, std::uint32_t key, const std::string& reason);
  void EndInstance(Loaded& l, InstanceState::Status status, const std::string& reason);
  void Trigger(Loaded& l, std::uint32_t owner, ElementIndex trigger,
               const boost::json::object& variables);
  // Searches outward from `from` for a catching boundary event or event subprocess.
  // Returns false when nothing caught it (the caller raises an incident).
  bool ThrowError(Loaded& l, std::uint32_t from, const std::string& code,
                  const std::string& message);
  // Where a thrown error or escalation is caught: a boundary event of the element instance
  // `key`, or the start event of an event subprocess of the scope `key`.
  struct Catcher {
    std::uint32_t key;
    ElementIndex event;
    bool event_subprocess;
  };
  std::optional<Catcher> FindCatcher(Loaded& l, std::uint32_t from, definitions::EventTrigger kind,
                                     const std::string& code);
  void Catch(Loaded& l, const Catcher& c, const std::string& why);
  void ThrowEscalation(Loaded& l, std::uint32_t from, const std::string& code);
  void StartEventSubprocess(Loaded& l, std::uint32_t scope, ElementIndex start,
                            const boost::json::object& variables);
  void RaiseIncident(Loaded& l, ElementIndex element, std::uint32_t scope,
                     std::uint32_t existing_key, const std::string& kind,
                     const std::string& message, std::uint64_t job = 0, bool leaving = false);

  // Waits (timers, messages, signals).
  void OpenBoundaryWaits(Loaded& l, std::uint32_t key);
  void OpenEventSubprocessWaits(Loaded& l, std::uint32_t scope_key);
  bool OpenWait(Loaded& l, std::uint32_t key, ElementIndex trigger);
  void CloseWaits(Loaded& l, ElementInstance& ei, bool event_subprocess_only = false);
  std::string WaitKey(const Loaded& l, std::uint32_t owner, const Wait& w) const;
  bool ConsumeBuffered(Loaded& l, std::uint32_t owner, const Wait& w);
  void Broadcast(const std::string& signal, const boost::json::object& variables,
                 std::size_t* reacted);

  // Work.
  void CreateTask(Loaded& l, std::uint32_t key);
  // Which version of the model's deployed form a task of `spec` uses.
  definitions::FormBinding FormBindingOf(const Loaded& l, const definitions::TaskSpec& spec) const;
  // The fields completing `task` must satisfy: the model's, or its deployed form's.
  Result<std::vector<definitions::FormField>> FormFields(const Loaded& l,
                                                         const TaskRecord& task) const;
  Result<TaskRecord> ReadTask(std::uint64_t task);
  Result<ActorFacts> Facts(const std::string& user, const TaskRecord& task);
  // Drops a task that ends with its element (completed or cancelled): record, inbox
  // entries and follow-up timer.
  void DropTask(const TaskRecord& task);
  Result<void> TaskFollowUpDue(std::uint64_t task);
  // A rule of the task's <quire:escalation> list came due: remind, move to a group or to the
  // supervisor, raise the priority; the notification is queued for the notifier.
  Result<void> TaskEscalationDue(std::uint64_t task, std::uint32_t rule);
  // Arms the timers of the spec's escalation rules (only those counted from the due date
  // when `due_rules_only`, after the due date moved).
  void ScheduleEscalations(TaskRecord& task, const definitions::TaskSpec& spec,
                           bool due_rules_only = false);
  void TaskHistory(const TaskRecord& task, const char* kind, boost::json::object data);
  static void AddWorkloadFacts(boost::json::object& data, const TaskRecord& task);
  void CreateJob(Loaded& l, std::uint32_t key);
  void StartCallActivity(Loaded& l, std::uint32_t key);
  void ResumeParent(Loaded& child);

  // Variables.
  class ScopeVariables;
  void SetVariable(Loaded& l, std::uint32_t from_scope, const std::string& name,
                   boost::json::value value);
  void SetVariables(Loaded& l, std::uint32_t from_scope, const boost::json::object& variables);
  boost::json::object VisibleVariables(const Loaded& l, std::uint32_t key) const;
  Result<boost::json::object> MapInputs(Loaded& l, std::uint32_t key);
  Result<void> MapOutputs(Loaded& l, std::uint32_t key, const boost::json::object& produced);
  Result<definitions::Value> Evaluate(const Loaded& l, std::uint32_t scope,
                                      const definitions::Expression& e,
                                      const boost::json::object* extra = nullptr) const;
  Result<bool> Condition(const Loaded& l, std::uint32_t scope, const definitions::Expression& e,
                         const boost::json::object* extra = nullptr) const;
  Result<std::string> SettingText(const Loaded& l, std::uint32_t scope,
                                  const definitions::Setting& s) const;

  void History(Loaded& l, ElementIndex element, const char* kind, boost::json::object data = {});
  // Adds what a history event counts to the analytics counters (analytics.h).
  void Count(Loaded& l, ElementIndex element, std::string_view kind,
             const boost::json::object& data);
  std::int32_t MonthOf(Timestamp t) const;
  // Refuses completion while a document type the task requires is not linked to it.
  Result<void> CheckRequiredDocuments(const definitions::TaskSpec& spec, const TaskRecord& record);
  const definitions::Element& El(const Loaded& l, ElementIndex e) const;
  std::uint32_t NewKey(Loaded& l);
  // Stores a timer and remembers it for the writer's alarm.
  void ArmTimer(const std::string& key, std::int64_t due, const std::string& value = "");
  // A new element instance of `element` in `scope`; returns its key.
  std::uint32_t AddElement(Loaded& l, ElementIndex element, std::uint32_t scope, FlowIndex via,
                           ElementInstance::State state);
  // Removes the tokens waiting at a joining gateway in `scope` (it fires).
  void ConsumeArrivals(Loaded& l, ElementIndex gateway, std::uint32_t scope);

  RuntimeEnv& env_;
  Txn& txn_;
  audit::Actor actor_;
  std::map<std::uint64_t, std::unique_ptr<Loaded>> loaded_;
  std::vector<Loaded*> order_;  // load order, for Finish
  std::optional<std::int64_t> earliest_timer_;
  std::size_t steps_ = 0;
  // Signals thrown by the running instances, broadcast once the current steps are done.
  std::vector<std::pair<std::string, boost::json::object>> deferred_signals_;
  std::vector<audit::EntryFields> audit_;
};

}  // namespace quire::workflow
