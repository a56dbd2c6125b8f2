#include "quire/workflow/engine.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <limits>
#include <mutex>
#include <queue>
#include <set>
#include <thread>

#include "inbox.h"
#include "instance_state.h"
#include "keys.h"
#include "process_info.h"
#include "quire/base/hex.h"
#include "quire/base/json_fields.h"
#include "quire/definitions/camunda_form.h"
#include "quire/definitions/iso8601.h"
#include "quire/storage/key_codec.h"
#include "runtime.h"
#include "task_record.h"
#include "task_rights.h"
#include "txn.h"

namespace quire::workflow {
namespace json = boost::json;
using storage::KeyDecoder;

namespace {

constexpr std::size_t kMaxGroupCommands = 2048;
constexpr std::size_t kTimersPerPass = 256;

std::string IdText(std::uint64_t id) { return std::to_string(id); }

std::string TaskObject(std::uint64_t id) { return "task/" + std::to_string(id); }
std::string InstanceObject(std::uint64_t id) { return "instance/" + std::to_string(id); }

// The names of the variables a command set (their values stay out of the audit chain: it
// cannot be edited, and values may be personal data).
json::array VariableNames(const json::object& variables) {
  json::array out;
  for (const auto& kv : variables) out.emplace_back(kv.key());
  return out;
}

Result<StartResult> AuditedStart(Runtime& rt, const StartRequest& request) {
  QUIRE_ASSIGN_OR_RETURN(StartResult r, rt.Start(request));
  json::object details{{"processId", request.process_id}, {"version", r.version}};
  if (!request.business_key.empty()) details["businessKey"] = request.business_key;
  if (!request.start_element.empty()) details["startElement"] = request.start_element;
  details["variables"] = VariableNames(request.variables);
  rt.Audit("instance.started", InstanceObject(r.instance_id), std::move(details));
  return r;
}

Timestamp FromMs(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }

IncidentInfo DecodeIncident(const json::object& o) {
  IncidentInfo i;
  i.id = static_cast<std::uint64_t>(IntOf(o, "id"));
  i.instance_id = static_cast<InstanceId>(IntOf(o, "i"));
  i.process_id = StrOf(o, "p");
  i.element_id = StrOf(o, "e");
  i.element_key = static_cast<std::uint32_t>(IntOf(o, "k"));
  i.job_id = static_cast<std::uint64_t>(IntOf(o, "job"));
  i.kind = StrOf(o, "kind");
  i.message = StrOf(o, "msg");
  i.created_at = FromMs(IntOf(o, "t"));
  return i;
}

// ---------------------------------------------------------------------------------------
// Jobs waiting to run in-process, by due time then priority.
class JobQueue {
 public:
  struct Item {
    std::int64_t due;
    std::int64_t priority;
    std::uint64_t id;
  };

  void Push(Item item) {
    {
      std::lock_guard lock(mu_);
      delayed_.push(item);
    }
    wake_.notify_one();
  }

  // Blocks until a job is due (by `clock`) or the queue stops; nullopt when stopping.
  std::optional<std::uint64_t> Pop(const Clock& clock) {
    std::unique_lock lock(mu_);
    for (;;) {
      if (stopping_) return std::nullopt;
      const std::int64_t now = clock.Now().time_since_epoch().count();
      while (!delayed_.empty() && delayed_.top().due <= now) {
        ready_.push(delayed_.top());
        delayed_.pop();
      }
      if (!ready_.empty()) {
        const Item item = ready_.top();
        ready_.pop();
        ++running_;
        return item.id;
      }
      if (!delayed_.empty() && !clock.IsManual()) {
        wake_.wait_for(lock, std::chrono::milliseconds(delayed_.top().due - now));
      } else {
        wake_.wait(lock);
      }
    }
  }

  void Done() {
    {
      std::lock_guard lock(mu_);
      --running_;
    }
    idle_.notify_all();
  }

  // No job due now and none running.
  bool Idle(const Clock& clock) {
    std::lock_guard lock(mu_);
    const std::int64_t now = clock.Now().time_since_epoch().count();
    return running_ == 0 && ready_.empty() && (delayed_.empty() || delayed_.top().due > now);
  }

  void Wake() { wake_.notify_all(); }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
  }

 private:
  struct ByDue {
    bool operator()(const Item& a, const Item& b) const { return a.due > b.due; }
  };
  struct ByPriority {
    bool operator()(const Item& a, const Item& b) const {
      return a.priority != b.priority ? a.priority < b.priority : a.id > b.id;
    }
  };
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::priority_queue<Item, std::vector<Item>, ByDue> delayed_;     // GUARDED_BY(mu_)
  std::priority_queue<Item, std::vector<Item>, ByPriority> ready_;  // GUARDED_BY(mu_)
  int running_ = 0;                                                 // GUARDED_BY(mu_)
  bool stopping_ = false;                                           // GUARDED_BY(mu_)
};

// ---------------------------------------------------------------------------------------

class EngineImpl final : public Engine {
 public:
  EngineImpl(storage::Store& store, definitions::DefinitionRepository& repository,
             const Clock& clock, ConnectorRegistry& connectors, const EngineOptions& options)
      : store_(store),
        repository_(repository),
        clock_(clock),
        connectors_(connectors),
        options_(options),
        env_{repository_,
             connectors_,
             infos_,
             options_,
             [this](const std::string& p, std::optional<std::uint32_t> v) {
               return FindVersion(p, v);
             },
             [this](std::uint64_t id, std::int64_t due, std::int64_t priority) {
               jobs_.Push({due, priority, id});
             },
             [this] {
               {
                 std::lock_guard lock(external_mu_);
                 ++external_epoch_;
               }
               external_wake_.notify_all();
             },
             [this](const std::string& process, std::uint32_t version) {
               return LoadModel(process, version);
             },
             [this](const std::string& form, const definitions::FormBinding& binding) {
               return FindForm(form, binding);
             }} {}

  ~EngineImpl() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    jobs_.Stop();
    {
      std::lock_guard lock(cleanup_mu_);
      cleanup_stop_ = true;
    }
    cleanup_wake_.notify_all();
    if (cleanup_thread_.joinable()) cleanup_thread_.join();
    for (std::thread& t : job_threads_) t.join();
    if (writer_.joinable()) writer_.join();
    commit_.reset();  // drains what is in flight
    std::unique_lock lock(mu_);
    idle_.wait(lock, [this] { return in_flight_ == 0; });  // groups on the audit log's writer
  }

  Result<void> Init() {
    for (auto [key, block] : {std::pair{keys::kNextId, &ids_}, std::pair{keys::kNextSeq, &seqs_}}) {
      QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> v, store_.Get(ColumnFamily::kMeta, key));
      std::uint64_t next = 1;
      if (v) {
        try {
          next = std::stoull(*v);
        } catch (...) {
          return Error::Corruption("the engine's id counter in the store is damaged");
        }
      }
      block->next = next;
      block->reserved = next;
      block->persisted = next;
    }
    if (options_.audit == nullptr) {
      storage::GroupCommitOptions gc;
      gc.durability = options_.durability;
      commit_ = std::make_unique<storage::GroupCommitWriter>(store_, gc);
    }
    QUIRE_RETURN_IF_ERROR(RefreshNextTimer());
    // Jobs that were due or retrying when the engine stopped.
    auto it = store_.ScanPrefix(ColumnFamily::kJobs, std::string(1, 'j'));
    for (; it.Valid(); it.Next()) {
      QUIRE_ASSIGN_OR_RETURN(JobRecord job, DecodeJob(it.value()));
      if (!job.external && !job.incident) jobs_.Push({job.due, job.priority, job.id});
    }
    QUIRE_RETURN_IF_ERROR(it.status());
    writer_ = std::thread([this] { RunWriter(); });
    if (options_.run_jobs) {
      for (int i = 0; i < std::max(1, options_.job_threads); ++i) {
        job_threads_.emplace_back([this] { RunJobs(); });
      }
    }
    // Arm the start events of every latest version (idempotent; repairs a deployment
    // that stopped between storing the file and arming its events).
    QUIRE_ASSIGN_OR_RETURN(std::vector<definitions::ProcessVersion> latest, repository_.Latest());
    if (!options_.arm_start_events) latest.clear();
    for (const definitions::ProcessVersion& v : latest) {
      QUIRE_RETURN_IF_ERROR(Execute<bool>("engine", [v](Runtime& rt) -> Result<bool> {
        QUIRE_RETURN_IF_ERROR(rt.ArmStartEvents(v));
        return true;
      }));
    }
    cleanup_thread_ = std::thread([this] { RunCleanup(); });
    return Ok();
  }

  // ---- commands ------------------------------------------------------------------------

  Result<definitions::Deployment> Deploy(
      std::string_view xml, std::string_view source_name, const audit::Actor& actor,
      std::optional<definitions::Duration> history_ttl) override {
    QUIRE_ASSIGN_OR_RETURN(definitions::Deployment d,
                           repository_.Deploy(xml, source_name, clock_.Now()));
    if (history_ttl) {
      const Timestamp now = clock_.Now();
      const auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(
          definitions::Add(now, *history_ttl) - now);
      for (const definitions::ProcessVersion& v : d.processes) {
        QUIRE_RETURN_IF_ERROR(Execute<bool>(actor, [v, ttl](Runtime& rt) -> Result<bool> {
          QUIRE_RETURN_IF_ERROR(rt.SetHistoryTtl(v.process_id, ttl));
          return true;
        }));
      }
    }
    InvalidateVersions();
    if (options_.audit != nullptr) {
      json::array versions;
      for (const definitions::ProcessVersion& v : d.processes) {
        versions.push_back(
            json::object{{"processId", v.process_id}, {"version", v.version}, {"new", v.is_new}});
      }
      QUIRE_RETURN_IF_ERROR(
          Execute<bool>(actor,
                        [name = std::string(source_name), hash = d.hash,
                         versions = std::move(versions)](Runtime& rt) -> Result<bool> {
                          rt.Audit("definition.deployed", "deployment/" + hash,
                                   {{"file", name}, {"processes", versions}});
                          return true;
                        }));
    }
    for (const definitions::ProcessVersion& v : d.processes) {
      if (!v.is_new || !options_.arm_start_events) continue;
      QUIRE_RETURN_IF_ERROR(Execute<bool>(actor, [v](Runtime& rt) -> Result<bool> {
        QUIRE_RETURN_IF_ERROR(rt.ArmStartEvents(v));
        return true;
      }));
    }
    return d;
  }

  Result<void> Undeploy(const std::string& process_id, bool force,
                        const audit::Actor& actor) override {
    QUIRE_RETURN_IF_ERROR(FindVersion(process_id, std::nullopt));
    QUIRE_RETURN_IF_ERROR(Execute<bool>(actor, [process_id, force](Runtime& rt) -> Result<bool> {
      QUIRE_RETURN_IF_ERROR(rt.Undeploy(process_id, force));
      rt.Audit("process.undeployed", "process/" + process_id, {{"force", force}});
      return true;
    }));
    QUIRE_RETURN_IF_ERROR(repository_.Withdraw(process_id));
    InvalidateVersions();
    return Ok();
  }

  Result<StartResult> Start(const StartRequest& request) override {
    return Execute<StartResult>(request.actor,
                                [request](Runtime& rt) { return AuditedStart(rt, request); });
  }

  void StartAsync(StartRequest request,
                  std::move_only_function<void(Result<StartResult>)> done) override {
    const audit::Actor actor = request.actor;
    Submit<StartResult>(
        actor, [request = std::move(request)](Runtime& rt) { return AuditedStart(rt, request); },
        std::move(done));
  }

  Result<void> CompleteTask(TaskId task, const json::object& variables,
                            const audit::Actor& actor) override {
    return Drop(Execute<bool>(actor, [task, variables](Runtime& rt) -> Result<bool> {
      QUIRE_RETURN_IF_ERROR(rt.CompleteTask(task, variables));
      rt.Audit("task.completed", TaskObject(task), {{"variables", VariableNames(variables)}});
      return true;
    }));
  }

  void CompleteTaskAsync(TaskId task, json::object variables, audit::Actor actor,
                         std::move_only_function<void(Result<void>)> done) override {
    Submit<bool>(
        actor,
        [task, variables = std::move(variables)](Runtime& rt) -> Result<bool> {
          QUIRE_RETURN_IF_ERROR(rt.CompleteTask(task, variables));
          rt.Audit("task.completed", TaskObject(task), {{"variables", VariableNames(variables)}});
          return true;
        },
        [done = std::move(done)](Result<bool> r) mutable {
          done(r ? Ok() : Result<void>(r.error()));
        });
  }

  Result<MessageResult> CorrelateMessage(const MessageRequest& request) override {
    const auto ttl = options_.default_message_ttl;
    return Execute<MessageResult>(
        request.actor, [request, ttl](Runtime& rt) -> Result<MessageResult> {
          QUIRE_ASSIGN_OR_RETURN(MessageResult r, rt.Correlate(request, ttl));
          json::array correlated(r.correlated.begin(), r.correlated.end());
          json::array started(r.started.begin(), r.started.end());
          rt.Audit("message.correlated", "message/" + request.name,
                   {{"correlationKey", request.correlation_key},
                    {"correlated", std::move(correlated)},
                    {"started", std::move(started)}});
          return r;
        });
  }

  Result<std::size_t> BroadcastSignal(const std::string& name, const json::object& variables,
                                      const audit::Actor& actor) override {
    return Execute<std::size_t>(actor, [name, variables](Runtime& rt) -> Result<std::size_t> {
      QUIRE_ASSIGN_OR_RETURN(std::size_t n, rt.Broadcast(name, variables));
      rt.Audit("signal.broadcast", "signal/" + name, {{"reached", n}});
      return n;
    });
  }

  Result<void> Trigger(InstanceId instance, const std::string& element_id,
                       const json::object& variables, const audit::Actor& actor) override {
    return Drop(Execute<bool>(actor, [=](Runtime& rt) -> Result<bool> {
      QUIRE_RETURN_IF_ERROR(rt.TriggerElement(instance, element_id, variables));
      rt.Audit("instance.triggered", InstanceObject(instance), {{"elementId", element_id}});
      return true;
    }));
  }

  Result<void> CompleteJob(std::uint64_t job, const JobOutcome& outcome,
                           const audit::Actor& actor) override {
    return Drop(Execute<bool>(actor, [job, outcome](Runtime& rt) -> Result<bool> {
      QUIRE_RETURN_IF_ERROR(rt.JobCompleted(job, outcome));
      return true;
    }));
  }

  Result<void> FailJob(std::uint64_t job, const std::string& message, int retries_left,
                       std::chrono::milliseconds backoff, const audit::Actor& actor) override {
    return Drop(Execute<bool>(actor, [=](Runtime& rt) -> Result<bool> {
      QUIRE_RETURN_IF_ERROR(rt.JobFailed(job, message, retries_left, backoff));
      return true;
    }));
  }

  Result<std::vector<LockedJob>> FetchAndLock(const std::string& worker,
                                              const std::vector<ExternalTopic>& topics,
                                              std::size_t max_jobs, bool use_priority) override {
    return Execute<std::vector<LockedJob>>(worker, [=](Runtime& rt) {
      return rt.FetchAndLock(worker, topics, max_jobs, use_priority);
    });
  }

  void WaitForExternalJobs(std::chrono::steady_clock::time_point deadline) override {
    std::unique_lock lock(external_mu_);
    const std::uint64_t seen = external_epoch_;
    // Wake at least every second: locks expire and retry timeouts pass without a commit.
    const auto until =
        std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(1));
    external_wake_.wait_until(lock, until, [&] { return external_epoch_ != seen; });
  }

  Result<void> CompleteExternal(std::uint64_t job, const std::string& worker,
                                const JobOutcome& outcome) override {
    return Drop(Execute<bool>(worker, [=](Runtime& rt) -> Result<bool> {
      QUIRE_RETURN_IF_ERROR(rt.JobCompleted(job, outcome, worker));
      return true;
    }));
  }

  Result<void> FailExternal(std::uint64_t job, const std::string& worker,
                            const std::string& message, int retries_left,
                            std::chrono::milliseconds retry_timeout) override {
    return Drop(Execute<bool>(worker, [=](Runtime& rt) -> Result<bool> {
      QUIRE_RETURN_IF_ERROR(rt.JobFailed(job, message, retries_left, retry_timeout, worker));
      return true;
    }));
  }

  Result<void> ExtendLock(std::uint64_t job, const std::string& worker,
                          std::chrono::milliseconds duration) override {
    return Drop(Execute<bool>(worker, [=](Runtime& rt) -> Result<bool> {
      QUIRE_RETURN_IF_ERROR(rt.ExtendLock(job, worker, duration));
      return true;
    }));
  }

  Result<void> Unlock(std::uint64_t job) override {
    return Drop(Execute<bool>("worker", [=](Runtime& rt) -> Result<bool> {
      QUIRE_RETURN_IF_ERROR(rt.Unlock(job));
      return true;
    }));
  }

  // ---- tasks ---------------------------------------------------------------------------

  Result<TaskInfo> ActOnTask(const TaskCommand& command) override {
    return Execute<TaskInfo>(command.actor, [command](Runtime& rt) -> Result<TaskInfo> {
      QUIRE_ASSIGN_OR_RETURN(TaskRecord t, rt.ActOnTask(command));
      return TaskInfoOf(t);
    });
  }

  void ActOnTaskAsync(TaskCommand command,
                      std::move_only_function<void(Result<TaskInfo>)> done) override {
    const audit::Actor actor = command.actor;
    Submit<TaskInfo>(
        actor,
        [command = std::move(command)](Runtime& rt) -> Result<TaskInfo> {
          QUIRE_ASSIGN_OR_RETURN(TaskRecord t, rt.ActOnTask(command));
          return TaskInfoOf(t);
        },
        std::move(done));
  }

  std::vector<Result<TaskInfo>> ActOnTasks(std::vector<TaskCommand> commands) override {
    std::vector<std::optional<Result<TaskInfo>>> outcomes(commands.size());
    std::mutex mu;
    std::condition_variable done;
    std::size_t left = commands.size();
    for (std::size_t i = 0; i < commands.size(); ++i) {
      ActOnTaskAsync(std::move(commands[i]), [&, i](Result<TaskInfo> r) {
        std::lock_guard lock(mu);
        outcomes[i] = std::move(r);
        if (--left == 0) done.notify_all();
      });
    }
    std::unique_lock lock(mu);
    done.wait(lock, [&] { return left == 0; });
    std::vector<Result<TaskInfo>> out;
    out.reserve(outcomes.size());
    for (auto& o : outcomes) out.push_back(std::move(*o));
    return out;
  }

  void CompleteTaskAsAsync(TaskId task, json::object variables, audit::Actor user,
                           std::move_only_function<void(Result<void>)> done) override {
    std::string id = user.id;
    Submit<bool>(
        std::move(user),
        [task, variables = std::move(variables), id = std::move(id)](Runtime& rt) -> Result<bool> {
          QUIRE_RETURN_IF_ERROR(rt.CompleteTaskAs(task, variables, id));
          rt.Audit("task.completed", TaskObject(task), {{"variables", VariableNames(variables)}});
          return true;
        },
        [done = std::move(done)](Result<bool> r) mutable {
          done(r ? Ok() : Result<void>(r.error()));
        });
  }

  Result<TaskInfo> CompleteTaskAs(TaskId task, const json::object& variables,
                                  const audit::Actor& user) override {
    return Execute<TaskInfo>(user, [=, id = user.id](Runtime& rt) -> Result<TaskInfo> {
      QUIRE_ASSIGN_OR_RETURN(TaskRecord completed, rt.CompleteTaskAs(task, variables, id));
      rt.Audit("task.completed", TaskObject(task), {{"variables", VariableNames(variables)}});
      TaskInfo info = TaskInfoOf(completed);
      info.state = "completed";
      return info;
    });
  }

  Result<void> CommentOnTask(TaskId task, const audit::Actor& user,
                             const std::string& text) override {
    return Drop(Execute<bool>(user, [=, id = user.id](Runtime& rt) -> Result<bool> {
      QUIRE_RETURN_IF_ERROR(rt.CommentOnTask(task, id, text));
      rt.Audit("task.commented", TaskObject(task), {{"characters", text.size()}});
      return true;
    }));
  }

  Result<std::vector<TaskId>> RelinkTasks(const std::string& kind, const std::string& from,
                                          const std::string& to, const std::vector<TaskId>& only,
                                          const audit::Actor& actor) override {
    return Execute<std::vector<TaskId>>(actor, [=](Runtime& rt) -> Result<std::vector<TaskId>> {
      return rt.RelinkTasks(kind, from, to, only);
    });
  }

  Result<std::vector<TaskComment>> TaskComments(TaskId task) const override {
    QUIRE_RETURN_IF_ERROR(GetTask(task));
    std::vector<TaskComment> out;
    auto it =
        store_.ScanPrefix(ColumnFamily::kTasks, storage::KeyEncoder().U8('c').U64(task).Take());
    for (; it.Valid(); it.Next()) {
      QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(it.value(), "comment"));
      out.push_back({StrOf(o, "a"), FromMs(IntOf(o, "t")), StrOf(o, "text")});
    }
    QUIRE_RETURN_IF_ERROR(it.status());
    return out;
  }

  Result<WorkloadReport> Workload(Timestamp from, Timestamp to) const override {
    if (to < from) return Error::InvalidArgument("the period ends before it starts");
    struct Acc {
      std::size_t completed = 0;
      std::vector<std::int64_t> claim;
      std::vector<std::int64_t> complete;
      std::size_t overdue = 0;
      std::size_t escalations = 0;
    };
    std::map<std::string, Acc> users;
    std::map<std::string, Acc> groups;
    auto groups_of = [](const json::object& d) {
      std::vector<std::string> out;
      for (const json::value& g : ArrOf(d, "groups")) {
        if (g.is_string()) out.emplace_back(g.get_string());
      }
      return out;
    };
    QUIRE_ASSIGN_OR_RETURN(std::vector<HistoryEvent> events,
                           HistoryBetween(from, to, std::numeric_limits<std::size_t>::max()));
    for (const HistoryEvent& e : events) {
      const json::object& d = e.data;
      const std::int64_t at = e.time.time_since_epoch().count();
      const std::int64_t created = IntOf(d, "created", at);
      if (e.kind == "task_claimed" && d.contains("created")) {
        const std::string user = StrOf(d, "user");
        users[user].claim.push_back(at - created);
        for (const std::string& g : groups_of(d)) groups[g].claim.push_back(at - created);
      } else if (e.kind == "task_completed" && d.contains("created")) {
        const std::string user = StrOf(d, "user");
        const bool late = d.contains("due") && at > IntOf(d, "due");
        for (Acc* acc : {&users[user]}) {
          ++acc->completed;
          acc->complete.push_back(at - created);
          if (late) ++acc->overdue;
        }
        for (const std::string& g : groups_of(d)) {
          ++groups[g].completed;
          groups[g].complete.push_back(at - created);
          if (late) ++groups[g].overdue;
        }
      } else if ((e.kind == "task_escalated" || e.kind == "task_escalation_rule") &&
                 d.contains("created")) {
        if (const std::string from_user = StrOf(d, "from"); !from_user.empty()) {
          ++users[from_user].escalations;
        }
        for (const std::string& g : groups_of(d)) ++groups[g].escalations;
      }
    }
    auto percentile = [](std::vector<std::int64_t>& v, double p) -> std::int64_t {
      if (v.empty()) return 0;
      std::sort(v.begin(), v.end());
      const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
      return v[std::min(i, v.size() - 1)];
    };
    auto lines = [&](std::map<std::string, Acc>& accs) {
      std::vector<WorkloadLine> out;
      for (auto& [who, a] : accs) {
        if (who.empty()) continue;
        out.push_back({who, a.completed, a.claim.size(), percentile(a.claim, 0.5),
                       percentile(a.claim, 0.9), percentile(a.complete, 0.5),
                       percentile(a.complete, 0.9), a.overdue, a.escalations});
      }
      return out;
    };
    return WorkloadReport{lines(users), lines(groups)};
  }

  Result<TaskPage> Inbox(const TaskQuery& q) const override {
    return QueryInbox(store_, q, clock_.Now(), [this] { return TaskElements(); });
  }

  // The user tasks of every version of every deployed process, by (process, element).
  Result<std::vector<TaskElement>> TaskElements() const {
    std::map<std::pair<std::string, std::string>, std::string> texts;
    QUIRE_ASSIGN_OR_RETURN(std::vector<definitions::ProcessVersion> latest, repository_.Latest());
    for (const definitions::ProcessVersion& p : latest) {
      QUIRE_ASSIGN_OR_RETURN(std::vector<definitions::ProcessVersion> versions,
                             repository_.Versions(p.process_id));
      for (const definitions::ProcessVersion& v : versions) {
        QUIRE_ASSIGN_OR_RETURN(auto defs, repository_.Load(v.process_id, v.version));
        const definitions::Process* process = defs->FindProcess(v.process_id);
        if (process == nullptr) continue;
        for (const definitions::Element& e : process->elements) {
          if (e.kind != definitions::ElementKind::kUserTask) continue;
          std::string& text = texts[{v.process_id, e.id}];
          const std::string own = (e.name.empty() ? e.id : e.name) + " " + e.documentation;
          if (text.find(own) == std::string::npos) text += own + " ";
        }
      }
    }
    std::vector<TaskElement> out;
    for (auto& [key, text] : texts) out.push_back({key.first, key.second, std::move(text)});
    return out;
  }

  Result<std::vector<Notification>> Notifications(const std::string& user,
                                                  std::size_t limit) const override {
    return QueuedNotifications(store_, user, limit);
  }

  Result<void> AckNotification(std::uint64_t id, const audit::Actor& user) override {
    return Drop(Execute<bool>(user, [=, who = user.id](Runtime& rt) -> Result<bool> {
      QUIRE_RETURN_IF_ERROR(rt.AckNotification(id, who));
      return true;
    }));
  }

  Result<TaskCounts> CountTasks(const std::string& user) const override {
    return CountInbox(store_, user, clock_.Now());
  }

  Result<void> Cancel(InstanceId instance, const audit::Actor& actor,
                      const std::string& reason) override {
    return Drop(Execute<bool>(actor, [=](Runtime& rt) -> Result<bool> {
      QUIRE_RETURN_IF_ERROR(rt.Cancel(instance, reason));
      rt.Audit("instance.cancelled", InstanceObject(instance), {{"reason", reason}});
      return true;
    }));
  }

  Result<void> SetVariables(InstanceId instance, const json::object& variables,
                            const audit::Actor& actor) override {
    return Drop(Execute<bool>(actor, [=](Runtime& rt) -> Result<bool> {
      QUIRE_RETURN_IF_ERROR(rt.SetVariables(instance, variables));
      rt.Audit("instance.variables-changed", InstanceObject(instance),
               {{"variables", VariableNames(variables)}});
      return true;
    }));
  }

  Result<void> RetryIncident(std::uint64_t incident, int retries,
                             const audit::Actor& actor) override {
    return Drop(Execute<bool>(actor, [=](Runtime& rt) -> Result<bool> {
      QUIRE_RETURN_IF_ERROR(rt.RetryIncident(incident, retries));
      rt.Audit("incident.retried", "incident/" + std::to_string(incident), {{"retries", retries}});
      return true;
    }));
  }

  // ---- reads ---------------------------------------------------------------------------

  Result<InstanceInfo> GetInstance(InstanceId id) const override {
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                           store_.Get(ColumnFamily::kInstances, keys::Instance(id)));
    if (!raw) return Error::NotFound("process instance " + IdText(id) + " does not exist");
    QUIRE_ASSIGN_OR_RETURN(InstanceState st, DecodeInstance(*raw));
    return Describe(st);
  }

  Result<std::vector<InstanceInfo>> ListInstances(const std::string& process_id,
                                                  std::size_t limit) const override {
    std::vector<InstanceInfo> out;
    if (!process_id.empty()) {
      const std::string prefix = keys::ByProcessPrefix(process_id);
      auto it = store_.ScanPrefix(ColumnFamily::kIndexes, prefix);
      for (; it.Valid() && out.size() < limit; it.Next()) {
        KeyDecoder d(it.key().substr(prefix.size()));
        QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, d.U64Desc());
        auto info = GetInstance(id);
        if (info) out.push_back(std::move(*info));
      }
      QUIRE_RETURN_IF_ERROR(it.status());
      return out;
    }
    auto it = store_.ScanPrefix(ColumnFamily::kInstances, std::string(1, 'i'));
    it.SeekToLast();
    for (; it.Valid() && out.size() < limit; it.Prev()) {
      QUIRE_ASSIGN_OR_RETURN(InstanceState st, DecodeInstance(it.value()));
      out.push_back(Describe(st));
    }
    QUIRE_RETURN_IF_ERROR(it.status());
    return out;
  }

  Result<std::vector<TaskInfo>> ListTasks(std::optional<InstanceId> instance) const override {
    std::vector<TaskInfo> out;
    if (instance) {
      // The instance's own: its element instances name their open tasks (not a scan of every
      // open task, which made a loop over instances quadratic).
      const storage::Snapshot snapshot = store_.GetSnapshot();
      QUIRE_ASSIGN_OR_RETURN(
          std::optional<std::string> raw,
          store_.Get(ColumnFamily::kInstances, keys::Instance(*instance), &snapshot));
      if (!raw) return out;  // ended (or never was): no open tasks
      QUIRE_ASSIGN_OR_RETURN(InstanceState st, DecodeInstance(*raw));
      std::vector<std::uint64_t> ids;
      for (const auto& [key, ei] : st.elements) {
        if (ei.task != 0) ids.push_back(ei.task);
      }
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      std::vector<std::string> task_keys;
      for (const std::uint64_t id : ids) task_keys.push_back(keys::Task(id));
      QUIRE_ASSIGN_OR_RETURN(auto values,
                             store_.MultiGet(ColumnFamily::kTasks, task_keys, true, &snapshot));
      for (const std::optional<std::string>& v : values) {
        if (!v) continue;  // completed or cancelled
        QUIRE_ASSIGN_OR_RETURN(TaskRecord t, DecodeTask(*v));
        TaskInfo info = TaskInfoOf(t);
        if (info.instance_id == *instance) out.push_back(std::move(info));
      }
      return out;
    }
    auto it = store_.ScanPrefix(ColumnFamily::kTasks, std::string(1, 't'));
    for (; it.Valid(); it.Next()) {
      QUIRE_ASSIGN_OR_RETURN(TaskRecord t, DecodeTask(it.value()));
      TaskInfo info = TaskInfoOf(t);
      if (instance && info.instance_id != *instance) continue;
      out.push_back(std::move(info));
    }
    QUIRE_RETURN_IF_ERROR(it.status());
    return out;
  }

  // An open task as stored. Errors: kNotFound.
  Result<TaskRecord> ReadOpenTask(TaskId id) const {
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                           store_.Get(ColumnFamily::kTasks, keys::Task(id)));
    if (!raw) {
      return Error::NotFound("task " + IdText(id) +
                             " is not open: it does not exist, or was completed or cancelled");
    }
    return DecodeTask(*raw);
  }

  Result<bool> MaySeeTask(TaskId id, const std::string& user) const override {
    QUIRE_ASSIGN_OR_RETURN(TaskRecord t, ReadOpenTask(id));
    const SnapshotReader reader(store_);
    QUIRE_ASSIGN_OR_RETURN(ActorFacts facts, FactsFor(reader, user, t, clock_.Now()));
    return CheckTaskRight(TaskOp::kView, t, facts).has_value();
  }

  Result<TaskInfo> GetTask(TaskId id) const override {
    QUIRE_ASSIGN_OR_RETURN(TaskRecord t, ReadOpenTask(id));
    TaskInfo info = TaskInfoOf(t);
    if (auto inst = store_.Get(ColumnFamily::kInstances, keys::Instance(info.instance_id));
        inst && *inst) {
      if (auto st = DecodeInstance(**inst)) {
        std::uint32_t at = t.key;
        while (at != 0) {
          const ElementInstance* ei = st->Find(at);
          if (ei == nullptr) break;
          for (const auto& [name, value] : ei->variables) {
            if (!info.variables.contains(name)) info.variables[name] = value;
          }
          if (at == 1) break;
          at = ei->parent;
        }
      }
    }
    return info;
  }

  Result<std::vector<IncidentInfo>> ListIncidents(
      std::optional<InstanceId> instance) const override {
    std::vector<IncidentInfo> out;
    auto it = store_.ScanPrefix(ColumnFamily::kIndexes, std::string(1, 'n'));
    for (; it.Valid(); it.Next()) {
      QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(it.value(), "engine record"));
      IncidentInfo i = DecodeIncident(o);
      if (instance && i.instance_id != *instance) continue;
      out.push_back(std::move(i));
    }
    QUIRE_RETURN_IF_ERROR(it.status());
    return out;
  }

  Result<std::vector<JobInfo>> ListJobs(std::optional<InstanceId> instance) const override {
    std::vector<JobInfo> out;
    auto it = store_.ScanPrefix(ColumnFamily::kJobs, std::string(1, 'j'));
    for (; it.Valid(); it.Next()) {
      QUIRE_ASSIGN_OR_RETURN(JobRecord j, DecodeJob(it.value()));
      if (instance && j.instance != *instance) continue;
      out.push_back(JobInfo{j.id, j.instance, j.process_id, j.element_id, j.type, j.retries,
                            j.priority, FromMs(j.due), j.external, j.error});
    }
    QUIRE_RETURN_IF_ERROR(it.status());
    return out;
  }

  Result<std::vector<HistoryEvent>> History(InstanceId instance) const override {
    std::vector<HistoryEvent> out;
    const std::string prefix = keys::HistoryByInstancePrefix(instance);
    auto it = store_.ScanPrefix(ColumnFamily::kHistory, prefix);
    for (; it.Valid(); it.Next()) {
      KeyDecoder d(it.key().substr(prefix.size()));
      QUIRE_ASSIGN_OR_RETURN(std::uint64_t seq, d.U64());
      QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                             store_.Get(ColumnFamily::kHistory, keys::History(seq)));
      if (raw) QUIRE_RETURN_IF_ERROR(AppendEvents(seq, *raw, out));
    }
    QUIRE_RETURN_IF_ERROR(it.status());
    if (out.empty()) {
      QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> exists,
                             store_.Get(ColumnFamily::kInstances, keys::Instance(instance)));
      if (!exists) {
        return Error::NotFound("process instance " + IdText(instance) +
                               " does not exist (or its history has expired)");
      }
    }
    return out;
  }

  Result<std::vector<HistoryEvent>> HistoryBetween(Timestamp from, Timestamp to,
                                                   std::size_t limit) const override {
    // Sequence numbers grow with time: find the first record at or after `from` by
    // bisection over the sequence, then read forward.
    std::vector<HistoryEvent> out;
    auto it = store_.ScanPrefix(ColumnFamily::kHistory, std::string(1, 'h'));
    if (!it.Valid()) return out;
    auto seq_at = [&]() -> std::uint64_t {
      KeyDecoder d(it.key().substr(1));
      auto s = d.U64();
      return s ? *s : 0;
    };
    auto time_at = [&]() -> std::int64_t {
      auto o = ParseRecord(it.value(), "engine record");
      return o ? IntOf(*o, "t") : 0;
    };
    std::uint64_t lo = seq_at();
    it.SeekToLast();
    std::uint64_t hi = seq_at() + 1;
    const std::int64_t from_ms = from.time_since_epoch().count();
    while (lo < hi) {  // the first sequence whose record is at or after `from`
      const std::uint64_t mid = lo + (hi - lo) / 2;
      it.Seek(keys::History(mid));
      if (!it.Valid()) break;
      if (time_at() < from_ms) {
        lo = seq_at() + 1;
      } else {
        hi = mid;
      }
    }
    for (it.Seek(keys::History(lo)); it.Valid() && out.size() < limit; it.Next()) {
      const std::int64_t t = time_at();
      if (t < from_ms) continue;
      if (t > to.time_since_epoch().count()) break;
      QUIRE_RETURN_IF_ERROR(AppendEvents(seq_at(), it.value(), out));
    }
    QUIRE_RETURN_IF_ERROR(it.status());
    if (out.size() > limit) out.resize(limit);
    return out;
  }

  std::optional<Timestamp> NextTimerDue() const override {
    auto it = store_.ScanPrefix(ColumnFamily::kTimers, std::string(1, 'T'));
    if (!it.Valid()) return std::nullopt;
    KeyDecoder d(it.key().substr(1));
    auto due = d.I64();
    if (!due) return std::nullopt;
    return FromMs(*due);
  }

  void WakeUp() override {
    {
      std::lock_guard lock(mu_);
      woken_ = true;
    }
    wake_.notify_all();
    jobs_.Wake();
  }

  void WaitIdle() override {
    for (;;) {
      {
        std::unique_lock lock(mu_);
        idle_.wait(lock, [&] { return queue_.empty() && in_flight_ == 0 && !busy_; });
        const bool timer_due =
            next_timer_ && *next_timer_ <= clock_.Now().time_since_epoch().count();
        if (!timer_due && jobs_.Idle(clock_) && queue_.empty() && in_flight_ == 0 && !busy_) {
          return;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  Result<std::size_t> CleanupHistory() override {
    const std::size_t batch = options_.history_cleanup_batch;
    return Execute<std::size_t>("engine",
                                [batch](Runtime& rt) { return rt.CleanupHistory(batch); });
  }

  storage::GroupCommitStats commit_stats() const override {
    return commit_ ? commit_->stats() : options_.audit->commit_stats();
  }

 private:
  // A command: runs on the writer thread against a Txn; `reply` answers the caller once
  // the write is durable (or at once, with the error, when the command failed).
  struct Command {
    audit::Actor actor;
    std::move_only_function<std::move_only_function<void(Result<void>)>(Runtime&, bool&)> run;
    std::move_only_function<void(Error)> refuse;  // answers without running
  };

  template <class T, class Fn>
  void Submit(const audit::Actor& actor, Fn fn, std::move_only_function<void(Result<T>)> done) {
    auto answer = std::make_shared<std::move_only_function<void(Result<T>)>>(std::move(done));
    Command cmd;
    cmd.actor = actor;
    cmd.refuse = [answer](Error e) { (*answer)(std::move(e)); };
    cmd.run = [fn = std::move(fn), answer](
                  Runtime& rt,
                  bool& commit) mutable -> std::move_only_function<void(Result<void>)> {
      Result<T> r = fn(rt);
      if (r) {
        if (auto f = rt.Finish(); !f) r = f.error();
      }
      commit = r.has_value();
      return [r = std::move(r), answer](Result<void> durable) mutable {
        if (r && !durable) {
          (*answer)(durable.error());
        } else {
          (*answer)(std::move(r));
        }
      };
    };
    {
      std::lock_guard lock(mu_);
      if (!stopping_) {
        queue_.push_back(std::move(cmd));
        cmd.refuse = nullptr;
      }
    }
    if (cmd.refuse) {
      cmd.refuse(Error::Unavailable("the engine is shutting down; try again once it restarts"));
      return;
    }
    wake_.notify_one();
  }

  template <class T, class Fn>
  Result<T> Execute(const audit::Actor& actor, Fn fn) {
    std::promise<Result<T>> promise;
    std::future<Result<T>> future = promise.get_future();
    Submit<T>(actor, std::move(fn),
              [&promise](Result<T> r) mutable { promise.set_value(std::move(r)); });
    return future.get();
  }

  static Result<void> Drop(Result<bool> r) { return r ? Ok() : Result<void>(r.error()); }

  void RunWriter() {
    std::uint64_t group = 0;
    for (;;) {
      std::deque<Command> commands;
      bool fire_timers = false;
      {
        std::unique_lock lock(mu_);
        for (;;) {
          const std::int64_t now = clock_.Now().time_since_epoch().count();
          fire_timers = next_timer_ && *next_timer_ <= now;
          if (!queue_.empty() || fire_timers || stopping_) break;
          woken_ = false;
          if (next_timer_ && !clock_.IsManual()) {
            wake_.wait_for(lock, std::chrono::milliseconds(
                                     std::min<std::int64_t>(*next_timer_ - now, 60'000)));
          } else {
            wake_.wait(lock, [&] { return !queue_.empty() || stopping_ || woken_; });
          }
        }
        if (stopping_ && queue_.empty()) break;
        while (!queue_.empty() && commands.size() < kMaxGroupCommands) {
          commands.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        busy_ = true;
      }
      ++group;
      CommitGroup g;
      g.id = group;
      if (fire_timers) FireDueTimers(g);
      for (Command& cmd : commands) RunCommand(cmd, g);
      Commit(std::move(g));
      {
        std::lock_guard lock(mu_);
        busy_ = false;
      }
      idle_.notify_all();
    }
  }

  struct CommitGroup {
    std::uint64_t id = 0;
    storage::WriteBatch batch;
    std::vector<std::pair<ColumnFamily, std::string>> keys;
    std::vector<std::function<void()>> after;
    std::vector<std::move_only_function<void(Result<void>)>> replies;
    std::vector<audit::EntryFields> audit;
    Txn::CounterDeltas counters;
  };

  void RunCommand(Command& cmd, CommitGroup& g) {
    if (failed_) {
      cmd.refuse(Error::Unavailable(
          "the store failed to write and the engine stopped taking commands; restart Quire"));
      return;
    }
    Txn txn(store_, overlay_, clock_.Now(), ids_, seqs_);
    Runtime rt(env_, txn, cmd.actor);
    bool commit = false;
    auto reply = cmd.run(rt, commit);
    if (commit) {
      txn.Commit(g.batch, overlay_, g.id, g.keys, g.after, g.counters);
      for (audit::EntryFields& e : rt.audit_entries()) g.audit.push_back(std::move(e));
      if (auto t = rt.earliest_timer(); t) {
        std::lock_guard lock(mu_);
        if (!next_timer_ || *t < *next_timer_) next_timer_ = *t;
      }
    }
    g.replies.push_back(std::move(reply));
  }

  void FireDueTimers(CommitGroup& g) {
    const std::int64_t now = clock_.Now().time_since_epoch().count();
    Txn scan(store_, overlay_, clock_.Now(), ids_, seqs_);
    auto due = scan.Scan(ColumnFamily::kTimers, std::string(1, 'T'), kTimersPerPass);
    if (!due) {
      std::fprintf(stderr, "quire: cannot read timers: %s\n", due.error().message().c_str());
      return;
    }
    for (const auto& [key, value] : *due) {
      KeyDecoder d(std::string_view(key).substr(1));
      auto at = d.I64();
      if (!at || *at > now) break;
      Txn txn(store_, overlay_, clock_.Now(), ids_, seqs_);
      Runtime rt(env_, txn, "timer");
      auto r = rt.FireTimer(key, value);
      if (r) r = rt.Finish();
      if (!r) {
        // Never fire it again in a loop: drop the timer, keep going, and say why.
        std::fprintf(stderr, "quire: timer failed and was dropped: %s\n",
                     r.error().message().c_str());
        Txn drop(store_, overlay_, clock_.Now(), ids_, seqs_);
        drop.Delete(ColumnFamily::kTimers, key);
        drop.Commit(g.batch, overlay_, g.id, g.keys, g.after, g.counters);
        continue;
      }
      txn.Commit(g.batch, overlay_, g.id, g.keys, g.after, g.counters);
    }
    // The next alarm: the first timer not yet fired.
    Txn peek(store_, overlay_, clock_.Now(), ids_, seqs_);
    auto first = peek.Scan(ColumnFamily::kTimers, std::string(1, 'T'), 1);
    std::lock_guard lock(mu_);
    next_timer_.reset();
    if (first && !first->empty()) {
      KeyDecoder d(std::string_view(first->front().first).substr(1));
      if (auto at = d.I64()) next_timer_ = *at;
    }
  }

  void Commit(CommitGroup g) {
    Txn::WriteCounters(g.counters, g.batch);
    if (g.batch.empty() && g.audit.empty()) {
      for (auto& reply : g.replies) reply(Ok());
      return;
    }
    {
      std::lock_guard lock(mu_);
      ++in_flight_;
    }
    auto done = [this, id = g.id, keys = std::move(g.keys), after = std::move(g.after),
                 replies = std::move(g.replies)](Result<void> r) mutable {
      overlay_.Release(keys, id);
      if (r) {
        for (auto& fn : after) fn();
      } else {
        failed_ = true;
        std::fprintf(stderr, "quire: the store failed a write: %s\n", r.error().message().c_str());
      }
      for (auto& reply : replies) reply(r);
      {
        std::lock_guard lock(mu_);
        --in_flight_;
      }
      idle_.notify_all();
    };
    if (options_.audit != nullptr) {
      options_.audit->Submit(std::move(g.batch), std::move(g.audit), clock_.Now(), std::move(done));
    } else {
      commit_->Submit(std::move(g.batch), std::move(done));
    }
  }

  Result<void> RefreshNextTimer() {
    auto it = store_.ScanPrefix(ColumnFamily::kTimers, std::string(1, 'T'));
    QUIRE_RETURN_IF_ERROR(it.status());
    std::lock_guard lock(mu_);
    next_timer_.reset();
    if (it.Valid()) {
      KeyDecoder d(it.key().substr(1));
      if (auto at = d.I64()) next_timer_ = *at;
    }
    return Ok();
  }

  // ---- jobs ----------------------------------------------------------------------------

  void RunJobs() {
    while (auto id = jobs_.Pop(clock_)) {
      RunJob(*id);
      jobs_.Done();
    }
  }

  void RunJob(std::uint64_t id) {
    auto raw = store_.Get(ColumnFamily::kJobs, keys::Job(id));
    if (!raw || !*raw) return;  // cancelled or completed meanwhile
    auto job = DecodeJob(**raw);
    if (!job || job->external || job->incident) return;
    if (job->due > clock_.Now().time_since_epoch().count()) {
      jobs_.Push({job->due, job->priority, job->id});  // a newer retry time was stored
      return;
    }
    Connector* connector = connectors_.Find(job->type);
    JobRequest request;
    request.job_id = job->id;
    request.instance_id = job->instance;
    request.process_id = job->process_id;
    request.element_id = job->element_id;
    request.type = job->type;
    request.variables = job->variables;
    request.attempt = job->attempt;
    const std::chrono::milliseconds timeout =
        job->timeout_ms > 0 ? std::chrono::milliseconds(job->timeout_ms) : options_.job_timeout;
    request.deadline = std::chrono::steady_clock::now() + timeout;
    Result<JobOutcome> outcome =
        connector == nullptr
            ? Result<JobOutcome>(Error::NotFound("no connector '" + job->type + "' is registered"))
            : connector->Run(request);
    if (outcome && std::chrono::steady_clock::now() > request.deadline) {
      outcome = Error::DeadlineExceeded("the job took longer than its timeout of " +
                                        std::to_string(timeout.count()) + " ms");
    }
    if (outcome) {
      JobOutcome o = std::move(*outcome);
      Submit<bool>(
          "job",
          [id, o = std::move(o)](Runtime& rt) -> Result<bool> {
            QUIRE_RETURN_IF_ERROR(rt.JobCompleted(id, o));
            return true;
          },
          [](Result<bool>) {});
      return;
    }
    const std::chrono::milliseconds backoff = Backoff(*job);
    Submit<bool>(
        "job",
        [id, message = outcome.error().message(), backoff](Runtime& rt) -> Result<bool> {
          QUIRE_RETURN_IF_ERROR(rt.JobFailed(id, message, std::nullopt, backoff));
          return true;
        },
        [](Result<bool>) {});
  }

  std::chrono::milliseconds Backoff(const JobRecord& job) const {
    if (!job.retry_cycle.empty()) {
      if (auto c = definitions::ParseCycle(job.retry_cycle)) {
        const Timestamp now = clock_.Now();
        return std::chrono::duration_cast<std::chrono::milliseconds>(
            definitions::Add(now, c->interval) - now);
      }
    }
    auto backoff =
        job.backoff_ms > 0 ? std::chrono::milliseconds(job.backoff_ms) : options_.retry_backoff;
    const auto cap = job.backoff_max_ms > 0 ? std::chrono::milliseconds(job.backoff_max_ms)
                                            : options_.retry_backoff_max;
    for (int i = 1; i < job.attempt && backoff < cap; ++i) backoff *= 2;
    return std::min(backoff, cap);
  }

  // ---- history cleanup -----------------------------------------------------------------

  void RunCleanup() {
    std::unique_lock lock(cleanup_mu_);
    while (!cleanup_stop_) {
      cleanup_wake_.wait_for(lock, std::chrono::seconds(60));
      if (cleanup_stop_) break;
      lock.unlock();
      for (int rounds = 0; rounds < 100; ++rounds) {
        auto removed = CleanupHistory();
        if (!removed || *removed == 0) break;
      }
      lock.lock();
    }
  }

  // ---- helpers -------------------------------------------------------------------------

  Result<definitions::ProcessVersion> FindVersion(const std::string& process,
                                                  std::optional<std::uint32_t> version) {
    {
      std::lock_guard lock(versions_mu_);
      const auto key = std::pair(process, version.value_or(0));
      if (const auto it = versions_.find(key); it != versions_.end()) return it->second;
    }
    QUIRE_ASSIGN_OR_RETURN(definitions::ProcessVersion v, repository_.Version(process, version));
    std::lock_guard lock(versions_mu_);
    versions_.emplace(std::pair(process, version.value_or(0)), v);
    return v;
  }

  // Versions never change once deployed: their models are cached for good.
  Result<std::shared_ptr<const definitions::Definitions>> LoadModel(const std::string& process,
                                                                    std::uint32_t version) {
    const auto key = std::pair(process, version);
    {
      std::lock_guard lock(models_mu_);
      if (const auto it = models_.find(key); it != models_.end()) return it->second;
    }
    QUIRE_ASSIGN_OR_RETURN(auto defs, repository_.Load(process, version));
    std::lock_guard lock(models_mu_);
    models_.emplace(key, defs);
    return defs;
  }

  // Deployed forms never change: their fields are read once per schema.
  Result<std::shared_ptr<const DeployedForm>> FindForm(
      const std::string& form, const definitions::FormBinding& binding) const {
    QUIRE_ASSIGN_OR_RETURN(auto found, repository_.FindForm(form, binding));
    {
      std::lock_guard lock(forms_mu_);
      if (const auto it = forms_.find(found.first.hash); it != forms_.end()) {
        if (it->second->version.form_id == form) return it->second;
      }
    }
    QUIRE_ASSIGN_OR_RETURN(definitions::CamundaForm read,
                           definitions::ReadCamundaForm(found.second));
    auto deployed = std::make_shared<const DeployedForm>(
        DeployedForm{found.first, std::move(found.second), std::move(read.fields)});
    std::lock_guard lock(forms_mu_);
    forms_.insert_or_assign(deployed->version.hash, deployed);
    return deployed;
  }

  Result<TaskForm> GetTaskForm(TaskId id) const override {
    QUIRE_ASSIGN_OR_RETURN(TaskRecord t, ReadOpenTask(id));
    QUIRE_ASSIGN_OR_RETURN(auto defs, repository_.Load(t.process_id, t.version));
    const definitions::Process* process = defs->FindProcess(t.process_id);
    const definitions::ElementIndex at =
        process == nullptr ? definitions::kNoElement : process->Find(t.element_id);
    if (at == definitions::kNoElement) {
      return Error::Corruption("task " + IdText(id) + " names element '" + t.element_id +
                               "', which its process version does not have");
    }
    const definitions::TaskSpec& spec = process->elements[at].task;
    TaskForm form;
    form.form_key = t.form_key;
    form.required_documents = spec.required_documents;
    if (t.form_ref.empty()) {
      form.fields = spec.form_fields;
      if (!spec.form_json.empty()) form.schema = json::parse(spec.form_json);
      return form;
    }
    QUIRE_ASSIGN_OR_RETURN(const definitions::ProcessVersion pv,
                           repository_.Version(t.process_id, t.version));
    definitions::FormBinding binding = FormBindingFor(spec, pv.deployed_at);
    if (t.form_version != 0) {
      binding.kind = definitions::FormBinding::Kind::kVersion;
      binding.version = t.form_version;
    }
    QUIRE_ASSIGN_OR_RETURN(std::shared_ptr<const DeployedForm> deployed,
                           FindForm(t.form_ref, binding));
    form.form_id = t.form_ref;
    form.version = deployed->version.version;
    form.schema = json::parse(deployed->schema);
    form.fields = deployed->fields;
    return form;
  }

  void InvalidateVersions() {
    std::lock_guard lock(versions_mu_);
    versions_.clear();
  }

  InstanceInfo Describe(const InstanceState& st) const {
    InstanceInfo info;
    info.id = st.id;
    info.process_id = st.process_id;
    info.version = st.version;
    info.business_key = st.business_key;
    info.state = StatusName(st.status);
    info.started_at = FromMs(st.started);
    if (st.ended != 0) info.ended_at = FromMs(st.ended);
    info.parent_instance = st.parent_instance;
    if (const ElementInstance* root = st.Find(1)) info.variables = root->variables;
    auto defs = repository_.Load(st.process_id, st.version);
    const definitions::Process* p = defs ? (*defs)->FindProcess(st.process_id) : nullptr;
    auto id_of = [&](ElementIndex e) -> std::string {
      if (e == kNoElement) return "";
      if (p != nullptr && e < p->elements.size()) return p->elements[e].id;
      return "#" + std::to_string(e);
    };
    for (const auto& [key, ei] : st.elements) {
      if (key == 1) continue;
      ActiveElement a;
      a.key = key;
      a.element_id = id_of(ei.element);
      if (p != nullptr && ei.element < p->elements.size()) {
        a.element_name = p->elements[ei.element].name;
        a.kind = definitions::KindName(p->elements[ei.element].kind);
      }
      a.state = StateName(ei.state);
      if (ei.parent > 1) {
        if (const ElementInstance* scope = st.Find(ei.parent)) {
          a.scope_element_id = id_of(scope->element);
        }
      }
      a.task_id = ei.task;
      a.job_id = ei.job;
      a.child_instance = ei.child;
      info.active.push_back(std::move(a));
    }
    for (const IncidentRecord& r : st.incidents) {
      IncidentInfo i;
      i.id = r.id;
      i.instance_id = st.id;
      i.process_id = st.process_id;
      if (const ElementInstance* ei = st.Find(r.element_key)) i.element_id = id_of(ei->element);
      i.element_key = r.element_key;
      i.job_id = r.job;
      i.kind = r.kind;
      i.message = r.message;
      i.created_at = FromMs(r.created);
      info.incidents.push_back(std::move(i));
    }
    return info;
  }

  static Result<void> AppendEvents(std::uint64_t seq, std::string_view raw,
                                   std::vector<HistoryEvent>& out) {
    QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(raw, "history record"));
    const json::value* events = o.if_contains("e");
    if (events == nullptr || !events->is_array()) return Ok();
    std::uint64_t n = 0;
    for (const json::value& e : events->get_array()) {
      if (!e.is_array() || e.get_array().size() < 2) continue;
      const json::array& a = e.get_array();
      HistoryEvent ev;
      ev.seq = seq + n++;
      ev.time = FromMs(IntOf(o, "t"));
      ev.actor = StrOf(o, "a");
      ev.instance_id = static_cast<InstanceId>(IntOf(o, "i"));
      ev.element_id = a[0].is_string() ? std::string(a[0].get_string()) : std::string();
      ev.kind = a[1].is_string() ? std::string(a[1].get_string()) : std::string();
      if (a.size() > 2 && a[2].is_object()) ev.data = a[2].get_object();
      out.push_back(std::move(ev));
    }
    return Ok();
  }

  storage::Store& store_;
  definitions::DefinitionRepository& repository_;
  const Clock& clock_;
  ConnectorRegistry& connectors_;
  const EngineOptions options_;
  ProcessInfoCache infos_;
  RuntimeEnv env_;
  Overlay overlay_;
  IdBlock ids_;   // writer thread only
  IdBlock seqs_;  // writer thread only
  JobQueue jobs_;
  std::unique_ptr<storage::GroupCommitWriter> commit_;
  std::atomic<bool> failed_{false};

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Command> queue_;               // GUARDED_BY(mu_)
  bool stopping_ = false;                   // GUARDED_BY(mu_)
  bool woken_ = false;                      // GUARDED_BY(mu_)
  bool busy_ = false;                       // GUARDED_BY(mu_): the writer is running commands
  int in_flight_ = 0;                       // GUARDED_BY(mu_): groups not yet durable
  std::optional<std::int64_t> next_timer_;  // GUARDED_BY(mu_)

  std::mutex models_mu_;
  std::map<std::pair<std::string, std::uint32_t>, std::shared_ptr<const definitions::Definitions>>
      models_;  // GUARDED_BY(models_mu_)

  mutable std::mutex forms_mu_;
  mutable std::map<std::string, std::shared_ptr<const DeployedForm>>
      forms_;  // GUARDED_BY(forms_mu_), by schema hash

  std::mutex versions_mu_;
  std::map<std::pair<std::string, std::uint32_t>, definitions::ProcessVersion>
      versions_;  // GUARDED_BY(versions_mu_)

  std::mutex external_mu_;
  std::condition_variable external_wake_;
  std::uint64_t external_epoch_ = 0;  // GUARDED_BY(external_mu_): bumped when jobs free up

  std::mutex cleanup_mu_;
  std::condition_variable cleanup_wake_;
  bool cleanup_stop_ = false;  // GUARDED_BY(cleanup_mu_)

  std::thread writer_;
  std::vector<std::thread> job_threads_;
  std::thread cleanup_thread_;
};

}  // namespace

Result<std::unique_ptr<Engine>> Engine::Open(storage::Store& store,
                                             definitions::DefinitionRepository& repository,
                                             const Clock& clock, ConnectorRegistry& connectors,
                                             const EngineOptions& options) {
  auto engine = std::make_unique<EngineImpl>(store, repository, clock, connectors, options);
  QUIRE_RETURN_IF_ERROR(engine->Init());
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace quire::workflow
