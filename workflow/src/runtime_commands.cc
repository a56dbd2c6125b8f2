// Runtime, part: the commands the engine runs (start, complete, correlate, broadcast, fire a
// timer, job outcomes, trigger, cancel, incidents, start-event arming, external tasks,
// undeploy, history clean-up).
#include "runtime.h"

#include "runtime_loaded.h"
#include "runtime_support.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <set>

#include "form_validation.h"
#include "keys.h"
#include "quire/base/hex.h"
#include "quire/base/json_fields.h"
#include "quire/definitions/iso8601.h"
#include "quire/storage/key_codec.h"

namespace quire::workflow {
namespace json = boost::json;
using definitions::Element;
using definitions::ElementKind;
using definitions::EventTrigger;
using definitions::Expression;
using definitions::LoopSpec;
using definitions::Value;
using storage::KeyDecoder;
using namespace runtime_support;  // NOLINT: the runtime parts' shared helpers

// ---------------------------------------------------------------------------------------
// Commands

void Runtime::TaskHistory(const TaskRecord& task, const char* kind, json::object data) {
  auto loaded = Load(task.instance);
  if (!loaded) return;
  Loaded& l = **loaded;
  const ElementInstance* ei = l.st.Find(task.key);
  data["task"] = IdText(task.id);
  History(l, ei == nullptr ? kNoElement : ei->element, kind, std::move(data));
}

Result<StartResult> Runtime::Start(const StartRequest& request) {
  QUIRE_ASSIGN_OR_RETURN(definitions::ProcessVersion version,
                         env_.find_version(request.process_id, request.version));
  if (!request.business_key.empty()) {
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> holder,
                           txn_.Get(ColumnFamily::kIndexes,
                                    keys::BusinessKey(version.process_id, request.business_key)));
    if (holder) {
      return Error::Conflict("business key '" + request.business_key + "' of process '" +
                             version.process_id + "' is already used by instance " + *holder);
    }
  }
  ElementIndex start = kNoElement;
  if (!request.start_element.empty()) {
    QUIRE_ASSIGN_OR_RETURN(auto defs, env_.load_model(version.process_id, version.version));
    const definitions::Process* p = defs->FindProcess(version.process_id);
    start = p == nullptr ? kNoElement : p->Find(request.start_element);
    if (start == kNoElement || p->elements[start].kind != ElementKind::kStartEvent ||
        p->elements[start].parent != kNoElement) {
      return Error::InvalidArgument("'" + request.start_element +
                                    "' is not a start event of process '" + version.process_id +
                                    "'");
    }
  }
  QUIRE_ASSIGN_OR_RETURN(Loaded * l,
                         StartAt(version, start, request.variables, request.business_key, 0, 0));
  QUIRE_RETURN_IF_ERROR(Run());
  StartResult result{l->st.id, version.version, StatusName(l->st.status), {}};
  for (const auto& [key, ei] : l->st.elements) {
    if (ei.task != 0) result.tasks.push_back(ei.task);
  }
  return result;
}

Result<void> Runtime::CheckRequiredDocuments(const definitions::TaskSpec& spec,
                                             const TaskRecord& record) {
  if (spec.required_documents.empty() || !env_.options.document_linked) return Ok();
  std::vector<ErrorDetail> missing;
  for (const std::string& type : spec.required_documents) {
    QUIRE_ASSIGN_OR_RETURN(bool linked,
                           env_.options.document_linked(record.id, record.instance, type));
    if (!linked) {
      missing.push_back({"documents." + type, "link a document of type '" + type + "' to task " +
                                                  IdText(record.id) + " or instance " +
                                                  IdText(record.instance) +
                                                  " first, e.g. POST /api/documents?type=" + type +
                                                  "&link=task:" + IdText(record.id)});
    }
  }
  if (missing.empty()) return Ok();
  return Error::ValidationFailed("task " + IdText(record.id) + " (" + record.name +
                                     ") cannot be completed before its required documents "
                                     "are linked",
                                 std::move(missing));
}

Result<void> Runtime::CompleteTask(std::uint64_t task, const json::object& variables) {
  QUIRE_ASSIGN_OR_RETURN(TaskRecord record, ReadTask(task));
  QUIRE_ASSIGN_OR_RETURN(Loaded * l, Load(record.instance));
  const std::uint32_t key = record.key;
  ElementInstance* ei = l->st.Find(key);
  if (ei == nullptr || ei->task != task) {
    return Error::Corruption("task " + IdText(task) + " has no active element in instance " +
                             IdText(l->st.id));
  }
  QUIRE_ASSIGN_OR_RETURN(std::vector<definitions::FormField> fields, FormFields(*l, record));
  QUIRE_RETURN_IF_ERROR(ValidateForm(fields, variables, record.name));
  QUIRE_RETURN_IF_ERROR(CheckRequiredDocuments(El(*l, ei->element).task, record));
  if (env_.options.task_completed) {
    TaskCompletion done{
        record.id,         record.instance, record.process_id,
        record.element_id, record.name,     record.business_key,
        actor_.id,         record.links,    Timestamp(std::chrono::milliseconds(txn_.now_ms()))};
    for (storage::WriteBatch::Op& op : env_.options.task_completed(done)) {
      txn_.Put(op.cf, std::move(op.key), std::move(op.value));
    }
  }
  DropTask(record);
  ei->task = 0;
  json::object completed{{"task", IdText(task)}, {"variables", variables}, {"user", actor_.id}};
  AddWorkloadFacts(completed, record);
  History(*l, ei->element, "task_completed", std::move(completed));
  if (auto r = MapOutputs(*l, key, variables); !r) {
    return Error::ValidationFailed(r.error().message());
  }
  CompleteActivity(*l, key);
  return Run();
}

Result<MessageResult> Runtime::Correlate(const MessageRequest& request,
                                         std::chrono::milliseconds default_ttl) {
  if (request.name.empty()) return Error::InvalidArgument("a message needs a name");
  MessageResult result;
  std::vector<std::string> prefixes{keys::MessageSubPrefix(request.name, request.correlation_key)};
  if (!request.correlation_key.empty())
    prefixes.push_back(keys::MessageSubPrefix(request.name, ""));
  std::set<std::uint64_t> delivered;
  for (const std::string& prefix : prefixes) {
    QUIRE_ASSIGN_OR_RETURN(auto subs, txn_.Scan(ColumnFamily::kIndexes, prefix, 10'000));
    for (const auto& [key, value] : subs) {
      KeyDecoder d(std::string_view(key).substr(prefix.size()));
      auto instance = d.U64();
      auto owner = d.U32();
      auto trigger = d.U32();
      if (!instance || !owner || !trigger) continue;
      if (delivered.contains(*instance)) continue;
      auto l = Load(*instance);
      if (!l) {
        txn_.Delete(ColumnFamily::kIndexes, key);  // left behind by a removed instance
        continue;
      }
      delivered.insert(*instance);
      History(**l, *trigger, "message_correlated",
              {{"name", request.name}, {"correlationKey", request.correlation_key}});
      (*l)->triggers.push_back({*owner, *trigger, request.variables});
      result.correlated.push_back(*instance);
    }
  }
  if (result.correlated.empty()) {
    QUIRE_ASSIGN_OR_RETURN(auto starts, txn_.Scan(ColumnFamily::kIndexes,
                                                  keys::MessageStartPrefix(request.name), 1000));
    for (const auto& [key, value] : starts) {
      QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(value, "message start"));
      QUIRE_ASSIGN_OR_RETURN(
          definitions::ProcessVersion version,
          env_.find_version(StrOf(o, "p"), static_cast<std::uint32_t>(IntOf(o, "v"))));
      QUIRE_ASSIGN_OR_RETURN(Loaded * l, StartAt(version, static_cast<ElementIndex>(IntOf(o, "e")),
                                                 request.variables, "", 0, 0));
      History(*l, static_cast<ElementIndex>(IntOf(o, "e")), "message_correlated",
              {{"name", request.name}, {"correlationKey", request.correlation_key}});
      result.started.push_back(l->st.id);
    }
  }
  if (result.correlated.empty() && result.started.empty()) {
    const std::chrono::milliseconds ttl = request.ttl.value_or(default_ttl);
    if (ttl.count() <= 0) {
      return Error::NotFound(
          "no process instance waits for message '" + request.name + "'" +
          (request.correlation_key.empty()
               ? std::string()
               : " with correlation key '" + request.correlation_key + "'") +
          " and no process starts with it; publish it with a time-to-live (ttl) to keep it "
          "until an instance waits for it");
    }
    result.buffered_id = txn_.NewId();
    txn_.Put(ColumnFamily::kIndexes,
             keys::Buffered(request.name, request.correlation_key, result.buffered_id),
             json::serialize(json::object{{"vars", request.variables},
                                          {"exp", txn_.now_ms() + ttl.count()},
                                          {"id", result.buffered_id}}));
  }
  QUIRE_RETURN_IF_ERROR(Run());
  return result;
}

void Runtime::Broadcast(const std::string& signal, const json::object& variables,
                        std::size_t* reacted) {
  auto subs = txn_.Scan(ColumnFamily::kIndexes, keys::SignalSubPrefix(signal), 100'000);
  if (subs) {
    const std::string prefix = keys::SignalSubPrefix(signal);
    for (const auto& [key, value] : *subs) {
      KeyDecoder d(std::string_view(key).substr(prefix.size()));
      auto instance = d.U64();
      auto owner = d.U32();
      auto trigger = d.U32();
      if (!instance || !owner || !trigger) continue;
      auto l = Load(*instance);
      if (!l) {
        txn_.Delete(ColumnFamily::kIndexes, key);
        continue;
      }
      History(**l, *trigger, "signal_received", {{"name", signal}});
      (*l)->triggers.push_back({*owner, *trigger, variables});
      if (reacted != nullptr) ++*reacted;
    }
  }
  auto starts = txn_.Scan(ColumnFamily::kIndexes, keys::SignalStartPrefix(signal), 1000);
  if (!starts) return;
  for (const auto& [key, value] : *starts) {
    auto o = ParseRecord(value, "signal start");
    if (!o) continue;
    auto version = env_.find_version(StrOf(*o, "p"), static_cast<std::uint32_t>(IntOf(*o, "v")));
    if (!version) continue;
    auto l = StartAt(*version, static_cast<ElementIndex>(IntOf(*o, "e")), variables, "", 0, 0);
    if (l && reacted != nullptr) ++*reacted;
  }
}

Result<std::size_t> Runtime::Broadcast(const std::string& signal, const json::object& variables) {
  if (signal.empty()) return Error::InvalidArgument("a signal needs a name");
  std::size_t reacted = 0;
  Broadcast(signal, variables, &reacted);
  QUIRE_RETURN_IF_ERROR(Run());
  return reacted;
}

Result<void> Runtime::FireTimer(std::string_view key, std::string_view value) {
  txn_.Delete(ColumnFamily::kTimers, std::string(key));
  KeyDecoder d(key);
  QUIRE_ASSIGN_OR_RETURN(std::uint8_t tag, d.U8());
  (void)tag;
  QUIRE_ASSIGN_OR_RETURN(std::int64_t due, d.I64());
  QUIRE_ASSIGN_OR_RETURN(std::uint64_t instance, d.U64());
  QUIRE_ASSIGN_OR_RETURN(std::uint32_t owner, d.U32());
  QUIRE_ASSIGN_OR_RETURN(std::uint32_t trigger, d.U32());
  if (instance == 0 && owner == static_cast<std::uint32_t>(keys::TimerOf::kTaskFollowUp)) {
    QUIRE_ASSIGN_OR_RETURN(std::uint64_t task, d.U64());
    QUIRE_RETURN_IF_ERROR(TaskFollowUpDue(task));
    return Run();
  }
  if (instance == 0 && owner == static_cast<std::uint32_t>(keys::TimerOf::kTaskDueLegacy)) {
    return Ok();  // the overdue view reads the due-date order now: nothing to do
  }
  if (instance == 0 && owner == static_cast<std::uint32_t>(keys::TimerOf::kTaskEscalation)) {
    QUIRE_ASSIGN_OR_RETURN(std::uint64_t task, d.U64());
    QUIRE_RETURN_IF_ERROR(TaskEscalationDue(task, trigger));
    return Run();
  }
  if (instance != 0) {
    auto loaded = Load(instance);
    if (!loaded) return Ok();  // the instance is gone
    Loaded& l = **loaded;
    const ElementInstance* ei = l.st.Find(owner);
    if (ei == nullptr) return Ok();
    const bool current = std::any_of(ei->waits.begin(), ei->waits.end(), [&](const Wait& w) {
      return w.kind == Wait::Kind::kTimer && w.trigger == trigger && w.due == due;
    });
    if (!current) return Ok();
    History(l, trigger, "timer_fired");
    l.triggers.push_back({owner, trigger, {}});
    return Run();
  }
  // A timer start event.
  QUIRE_ASSIGN_OR_RETURN(std::string process, d.String());
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(value, "start timer"));
  const auto version_no = static_cast<std::uint32_t>(IntOf(o, "v"));
  auto latest = env_.find_version(process, std::nullopt);
  if (!latest || latest->version != version_no) return Ok();  // replaced meanwhile
  QUIRE_ASSIGN_OR_RETURN(Loaded * l, StartAt(*latest, trigger, {}, "", 0, 0));
  History(*l, trigger, "timer_fired");
  // The next tick, counted from the cycle's anchor; ticks missed while the engine was down
  // fire once, now, not once each.
  const definitions::Element& start = l->process->elements[trigger];
  std::optional<std::int64_t> next_due;
  std::int64_t occurrence = IntOf(o, "o");
  const std::int64_t anchor = IntOf(o, "a");
  if (start.timer && start.timer->kind == definitions::TimerSpec::Kind::kCycle) {
    std::string text = start.timer->expression;
    if (auto cycle = definitions::ParseCycle(text); cycle) {
      const Timestamp anchor_t{std::chrono::milliseconds(anchor)};
      for (int guard = 0; guard < 100'000; ++guard) {
        ++occurrence;
        auto at = definitions::Occurrence(*cycle, anchor_t, occurrence);
        if (!at) break;
        if (at->time_since_epoch().count() > txn_.now_ms()) {
          next_due = at->time_since_epoch().count();
          break;
        }
      }
    }
  }
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> arming_raw,
                         txn_.Get(ColumnFamily::kIndexes, keys::Arming(process)));
  json::object arming;
  if (arming_raw) {
    if (auto a = ParseRecord(*arming_raw, "start arming")) arming = std::move(*a);
  }
  json::array timers;
  if (const json::value* t = arming.if_contains("timers"); t != nullptr && t->is_array()) {
    for (const json::value& k : t->get_array()) {
      if (k.is_string() && Unhex(k.get_string()) != key) timers.push_back(k);
    }
  }
  if (next_due) {
    const std::string next_key = keys::StartTimer(*next_due, trigger, process);
    ArmTimer(next_key, *next_due,
             json::serialize(json::object{{"v", version_no}, {"o", occurrence}, {"a", anchor}}));
    timers.emplace_back(Hex(next_key));
  }
  arming["timers"] = std::move(timers);
  txn_.Put(ColumnFamily::kIndexes, keys::Arming(process), json::serialize(arming));
  return Run();
}

namespace {
Result<void> CheckWorker(const JobRecord& job, const std::string& worker) {
  if (worker.empty()) return Ok();
  if (!job.external) {
    return Error::InvalidArgument("job " + std::to_string(job.id) +
                                  " is not an external task; Quire runs it itself");
  }
  if (job.worker != worker) {
    return Error::InvalidArgument(
        "external task " + std::to_string(job.id) + " is " +
        (job.worker.empty() ? std::string("not locked") : "locked by worker '" + job.worker + "'") +
        ", not by '" + worker + "'; fetch and lock it first");
  }
  return Ok();
}
}  // namespace

Result<void> Runtime::JobCompleted(std::uint64_t job_id, const JobOutcome& outcome,
                                   const std::string& worker) {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         txn_.Get(ColumnFamily::kJobs, keys::Job(job_id)));
  if (!raw) return Error::NotFound("job " + IdText(job_id) + " is not open");
  QUIRE_ASSIGN_OR_RETURN(JobRecord job, DecodeJob(*raw));
  QUIRE_RETURN_IF_ERROR(CheckWorker(job, worker));
  txn_.Delete(ColumnFamily::kJobs, keys::Job(job_id));
  if (job.external) txn_.Delete(ColumnFamily::kJobs, keys::ExternalJob(job.type, job.id));
  auto loaded = Load(job.instance);
  if (!loaded) return Ok();
  Loaded& l = **loaded;
  ElementInstance* ei = l.st.Find(job.key);
  if (ei == nullptr || ei->job != job_id) return Ok();
  ei->job = 0;
  const ElementIndex element = ei->element;
  History(l, element, "job_completed", {{"job", IdText(job_id)}});
  if (outcome.bpmn_error) {
    History(l, element, "error_thrown", {{"code", *outcome.bpmn_error}});
    SetVariables(l, ei->parent, outcome.variables);
    if (!ThrowError(l, job.key, *outcome.bpmn_error, outcome.error_message)) {
      RaiseIncident(l, element, ei->parent, job.key, "uncaught_error",
                    "error '" + *outcome.bpmn_error + "' from '" + job.element_id +
                        "' is not caught by any boundary event or event subprocess");
    }
    return Run();
  }
  if (auto r = MapOutputs(l, job.key, outcome.variables); !r) {
    RaiseIncident(l, element, l.st.Find(job.key)->parent, job.key, "expression",
                  r.error().message());
    return Run();
  }
  CompleteActivity(l, job.key);
  return Run();
}

Result<void> Runtime::JobFailed(std::uint64_t job_id, const std::string& message,
                                std::optional<int> retries_left, std::chrono::milliseconds backoff,
                                const std::string& worker) {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         txn_.Get(ColumnFamily::kJobs, keys::Job(job_id)));
  if (!raw) return Error::NotFound("job " + IdText(job_id) + " is not open");
  QUIRE_ASSIGN_OR_RETURN(JobRecord job, DecodeJob(*raw));
  QUIRE_RETURN_IF_ERROR(CheckWorker(job, worker));
  if (job.incident) return Error::Conflict("job " + IdText(job_id) + " already has an incident");
  auto loaded = Load(job.instance);
  if (!loaded) return Ok();
  Loaded& l = **loaded;
  ElementInstance* ei = l.st.Find(job.key);
  if (ei == nullptr || ei->job != job_id) {
    txn_.Delete(ColumnFamily::kJobs, keys::Job(job_id));
    return Ok();
  }
  const int left = retries_left.value_or(job.retries - 1);
  job.error = message;
  job.worker.clear();
  job.lock_expires = 0;
  ++job.attempt;
  History(l, ei->element, "job_failed",
          {{"job", IdText(job_id)}, {"retries", left}, {"message", message}});
  if (left > 0) {
    job.retries = left;
    job.due = txn_.now_ms() + backoff.count();
    txn_.Put(ColumnFamily::kJobs, keys::Job(job_id), EncodeJob(job));
    if (!job.external && env_.enqueue_job) {
      txn_.AfterCommit([enqueue = env_.enqueue_job, id = job.id, due = job.due,
                        priority = job.priority] { enqueue(id, due, priority); });
    }
    if (job.external && env_.external_available) txn_.AfterCommit(env_.external_available);
    return Run();
  }
  job.retries = 0;
  job.incident = true;
  txn_.Put(ColumnFamily::kJobs, keys::Job(job_id), EncodeJob(job));
  if (job.external) txn_.Delete(ColumnFamily::kJobs, keys::ExternalJob(job.type, job.id));
  RaiseIncident(l, ei->element, ei->parent, job.key, "job_failed",
                "'" + job.element_id + "' failed after its last retry: " + message, job_id);
  return Run();
}

Result<void> Runtime::TriggerElement(std::uint64_t instance, const std::string& element_id,
                                     const json::object& variables) {
  QUIRE_ASSIGN_OR_RETURN(Loaded * l, Load(instance));
  const ElementIndex element = l->process->Find(element_id);
  for (auto& [key, ei] : l->st.elements) {
    if (ei.element != element || element == kNoElement) continue;
    if (ei.state != ElementInstance::State::kWaiting || ei.task != 0 || ei.job != 0 ||
        ei.child != 0) {
      continue;
    }
    const Element& el = El(*l, element);
    if (el.kind != ElementKind::kReceiveTask && el.kind != ElementKind::kIntermediateCatchEvent) {
      continue;
    }
    const std::uint32_t k = key;
    SetVariables(*l, ei.parent, variables);
    History(*l, element, "triggered");
    if (definitions::IsActivity(el.kind)) {
      CompleteActivity(*l, k);
    } else {
      ElementInstance& e = *l->st.Find(k);
      CloseWaits(*l, e);
      const std::uint32_t scope = e.parent;
      l->st.elements.erase(k);
      History(*l, element, "element_left");
      TakeOutgoing(*l, element, scope);
    }
    return Run();
  }
  return Error::NotFound("instance " + IdText(instance) +
                         " is not waiting at a receive task or "
                         "catch event '" +
                         element_id + "'");
}

Result<void> Runtime::Cancel(std::uint64_t instance, const std::string& reason) {
  QUIRE_ASSIGN_OR_RETURN(Loaded * l, Load(instance));
  if (l->st.status != InstanceState::Status::kActive) {
    return Error::Conflict("instance " + IdText(instance) + " has already " +
                           StatusName(l->st.status));
  }
  EndInstance(*l, InstanceState::Status::kCancelled, reason.empty() ? "cancelled" : reason);
  return Run();
}

Result<void> Runtime::SetVariables(std::uint64_t instance, const json::object& variables) {
  QUIRE_ASSIGN_OR_RETURN(Loaded * l, Load(instance));
  if (l->st.status != InstanceState::Status::kActive) {
    return Error::Conflict("instance " + IdText(instance) + " has " + StatusName(l->st.status) +
                           "; its variables no longer change");
  }
  l->st.Find(1)->variables.reserve(variables.size());
  for (const auto& [name, value] : variables) l->st.Find(1)->variables[name] = value;
  History(*l, kNoElement, "variables_set", {{"variables", variables}});
  return Ok();
}

Result<void> Runtime::RetryIncident(std::uint64_t incident, int retries) {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         txn_.Get(ColumnFamily::kIndexes, keys::Incident(incident)));
  if (!raw) return Error::NotFound("incident " + IdText(incident) + " is not open");
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(*raw, "incident"));
  QUIRE_ASSIGN_OR_RETURN(Loaded * l, Load(static_cast<std::uint64_t>(IntOf(o, "i"))));
  txn_.Delete(ColumnFamily::kIndexes, keys::Incident(incident));
  const auto it = std::find_if(l->st.incidents.begin(), l->st.incidents.end(),
                               [&](const IncidentRecord& r) { return r.id == incident; });
  if (it == l->st.incidents.end()) return Ok();
  const IncidentRecord record = *it;
  l->st.incidents.erase(it);
  ElementInstance* ei = l->st.Find(record.element_key);
  if (ei == nullptr) return Ok();
  History(*l, ei->element, "incident_resolved", {{"incident", IdText(incident)}});
  if (record.job != 0) {
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> job_raw,
                           txn_.Get(ColumnFamily::kJobs, keys::Job(record.job)));
    if (!job_raw) return Ok();
    QUIRE_ASSIGN_OR_RETURN(JobRecord job, DecodeJob(*job_raw));
    job.retries = std::max(retries, 1);
    job.incident = false;
    job.due = txn_.now_ms();
    txn_.Put(ColumnFamily::kJobs, keys::Job(job.id), EncodeJob(job));
    if (job.external) {
      txn_.Put(ColumnFamily::kJobs, keys::ExternalJob(job.type, job.id), "");
      job.worker.clear();
      job.lock_expires = 0;
      txn_.Put(ColumnFamily::kJobs, keys::Job(job.id), EncodeJob(job));
      if (env_.external_available) txn_.AfterCommit(env_.external_available);
    } else if (env_.enqueue_job) {
      txn_.AfterCommit([enqueue = env_.enqueue_job, id = job.id, due = job.due,
                        priority = job.priority] { enqueue(id, due, priority); });
    }
    ei->state = ElementInstance::State::kWaiting;
    return Ok();
  }
  // Run the element again (or, when it failed while leaving, take its flows again).
  const ElementIndex element = ei->element;
  const std::uint32_t scope = ei->parent;
  const FlowIndex via = ei->via;
  const bool leaving = ei->leaving;
  const std::int64_t mi_index = ei->mi_inner ? ei->loop_counter : -1;
  if (!ei->mi_inner) {
    l->retrying = element;
    l->retry_reenters = !leaving;
  }
  CancelElement(*l, record.element_key, "retried");
  if (leaving) {
    TakeOutgoing(*l, element, scope);
  } else {
    l->agenda.push_back(Step{element, scope, via, false, mi_index});
  }
  return Run();
}

Result<void> Runtime::ArmStartEvents(const definitions::ProcessVersion& latest) {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         txn_.Get(ColumnFamily::kIndexes, keys::Arming(latest.process_id)));
  json::object arming;
  if (raw) {
    QUIRE_ASSIGN_OR_RETURN(arming, ParseRecord(*raw, "start arming"));
    if (IntOf(arming, "v") == latest.version) return Ok();
  }
  // Disarm the replaced version.
  if (const json::value* t = arming.if_contains("timers"); t != nullptr && t->is_array()) {
    for (const json::value& k : t->get_array()) {
      if (k.is_string()) txn_.Delete(ColumnFamily::kTimers, Unhex(k.get_string()));
    }
  }
  if (const json::value* m = arming.if_contains("messages"); m != nullptr && m->is_array()) {
    for (const json::value& n : m->get_array()) {
      if (n.is_string()) {
        txn_.Delete(ColumnFamily::kIndexes, keys::MessageStart(n.get_string(), latest.process_id));
      }
    }
  }
  if (const json::value* s = arming.if_contains("signals"); s != nullptr && s->is_array()) {
    for (const json::value& n : s->get_array()) {
      if (n.is_string()) {
        txn_.Delete(ColumnFamily::kIndexes, keys::SignalStart(n.get_string(), latest.process_id));
      }
    }
  }
  QUIRE_ASSIGN_OR_RETURN(auto defs, env_.load_model(latest.process_id, latest.version));
  const definitions::Process* p = defs->FindProcess(latest.process_id);
  if (p == nullptr) return Error::NotFound("process '" + latest.process_id + "' not deployed");
  json::array timers;
  json::array messages;
  json::array signals;
  for (const Element& e : p->elements) {
    if (e.kind != ElementKind::kStartEvent || e.parent != kNoElement) continue;
    const std::string value = json::serialize(
        json::object{{"p", latest.process_id}, {"v", latest.version}, {"e", e.index}});
    if (e.trigger == EventTrigger::kTimer && e.timer) {
      std::optional<Timestamp> due;
      const std::string& text = e.timer->expression;
      switch (e.timer->kind) {
        case definitions::TimerSpec::Kind::kDate:
          if (auto t = definitions::ParseDateTime(text)) due = *t;
          break;
        case definitions::TimerSpec::Kind::kDuration:
          if (auto d = definitions::ParseDuration(text)) due = definitions::Add(txn_.now(), *d);
          break;
        case definitions::TimerSpec::Kind::kCycle:
          if (auto c = definitions::ParseCycle(text))
            due = definitions::Occurrence(*c, txn_.now(), 0);
          break;
      }
      if (!due) continue;  // computed timers on start events have nothing to evaluate against
      const std::int64_t at = due->time_since_epoch().count();
      const std::string key = keys::StartTimer(at, e.index, latest.process_id);
      ArmTimer(
          key, at,
          json::serialize(json::object{{"v", latest.version}, {"o", 0}, {"a", txn_.now_ms()}}));
      timers.emplace_back(Hex(key));
    } else if (e.trigger == EventTrigger::kMessage) {
      const definitions::Message* m = defs->FindMessage(e.trigger_ref);
      if (m == nullptr) continue;
      const std::string name = NameOf(*m);
      txn_.Put(ColumnFamily::kIndexes, keys::MessageStart(name, latest.process_id),
               std::string(value));
      messages.emplace_back(name);
    } else if (e.trigger == EventTrigger::kSignal) {
      const definitions::Signal* s = defs->FindSignal(e.trigger_ref);
      if (s == nullptr) continue;
      const std::string name = NameOf(*s);
      txn_.Put(ColumnFamily::kIndexes, keys::SignalStart(name, latest.process_id),
               std::string(value));
      signals.emplace_back(name);
    }
  }
  txn_.Put(ColumnFamily::kIndexes, keys::Arming(latest.process_id),
           json::serialize(json::object{{"v", latest.version},
                                        {"timers", std::move(timers)},
                                        {"messages", std::move(messages)},
                                        {"signals", std::move(signals)}}));
  return Ok();
}

Result<std::vector<LockedJob>> Runtime::FetchAndLock(const std::string& worker,
                                                     const std::vector<ExternalTopic>& topics,
                                                     std::size_t max_jobs, bool use_priority) {
  if (worker.empty()) return Error::InvalidArgument("a workerId is required to lock tasks");
  struct Candidate {
    JobRecord job;
    const ExternalTopic* topic;
  };
  std::vector<Candidate> candidates;
  // Enough candidates that priorities can be honoured without reading every open job.
  const std::size_t scan = std::max<std::size_t>(max_jobs * 8, 64);
  for (const ExternalTopic& topic : topics) {
    if (topic.name.empty()) return Error::InvalidArgument("every topic needs a topicName");
    if (topic.lock_duration.count() <= 0) {
      return Error::InvalidArgument("lockDuration of topic '" + topic.name + "' must be positive");
    }
    QUIRE_ASSIGN_OR_RETURN(auto keys,
                           txn_.Scan(ColumnFamily::kJobs, keys::ExternalTopic(topic.name), scan));
    for (const auto& [key, value] : keys) {
      KeyDecoder d(std::string_view(key).substr(keys::ExternalTopic(topic.name).size()));
      auto id = d.U64();
      if (!id) continue;
      QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                             txn_.Get(ColumnFamily::kJobs, keys::Job(*id)));
      if (!raw) {
        txn_.Delete(ColumnFamily::kJobs, key);  // left behind
        continue;
      }
      QUIRE_ASSIGN_OR_RETURN(JobRecord job, DecodeJob(*raw));
      if (job.incident || job.due > txn_.now_ms()) continue;
      if (!job.worker.empty() && job.lock_expires > txn_.now_ms()) continue;
      if (!topic.process_id.empty() && job.process_id != topic.process_id) continue;
      candidates.push_back({std::move(job), &topic});
    }
  }
  if (use_priority) {
    std::stable_sort(
        candidates.begin(), candidates.end(),
        [](const Candidate& a, const Candidate& b) { return a.job.priority > b.job.priority; });
  }
  std::vector<LockedJob> out;
  for (Candidate& c : candidates) {
    if (out.size() >= max_jobs) break;
    auto loaded = Load(c.job.instance);
    if (!loaded) continue;
    Loaded& l = **loaded;
    if (!c.topic->business_key.empty() && l.st.business_key != c.topic->business_key) continue;
    const ElementInstance* ei = l.st.Find(c.job.key);
    if (ei == nullptr || ei->job != c.job.id) continue;
    c.job.worker = worker;
    c.job.lock_expires = txn_.now_ms() + c.topic->lock_duration.count();
    txn_.Put(ColumnFamily::kJobs, keys::Job(c.job.id), EncodeJob(c.job));
    LockedJob locked;
    locked.id = c.job.id;
    locked.instance_id = l.st.id;
    locked.process_id = l.st.process_id;
    locked.version = l.st.version;
    locked.element_id = c.job.element_id;
    locked.element_key = c.job.key;
    locked.topic = c.job.type;
    locked.worker = worker;
    locked.lock_expires = Timestamp(std::chrono::milliseconds(c.job.lock_expires));
    locked.retries = c.job.retries;
    locked.priority = c.job.priority;
    locked.error = c.job.error;
    locked.business_key = l.st.business_key;
    json::object visible = VisibleVariables(l, c.job.key);
    if (c.topic->variables) {
      for (const std::string& name : *c.topic->variables) {
        if (const json::value* v = visible.if_contains(name)) locked.variables[name] = *v;
      }
    } else {
      locked.variables = std::move(visible);
    }
    History(l, ei->element, "job_locked", {{"job", IdText(c.job.id)}, {"worker", worker}});
    out.push_back(std::move(locked));
  }
  return out;
}

Result<void> Runtime::ExtendLock(std::uint64_t job_id, const std::string& worker,
                                 std::chrono::milliseconds duration) {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         txn_.Get(ColumnFamily::kJobs, keys::Job(job_id)));
  if (!raw) return Error::NotFound("external task " + IdText(job_id) + " does not exist");
  QUIRE_ASSIGN_OR_RETURN(JobRecord job, DecodeJob(*raw));
  QUIRE_RETURN_IF_ERROR(CheckWorker(job, worker));
  if (duration.count() <= 0) return Error::InvalidArgument("newDuration must be positive");
  if (job.lock_expires <= txn_.now_ms()) {
    return Error::InvalidArgument("the lock of external task " + IdText(job_id) +
                                  " has expired; fetch and lock it again");
  }
  job.lock_expires = txn_.now_ms() + duration.count();
  txn_.Put(ColumnFamily::kJobs, keys::Job(job_id), EncodeJob(job));
  return Ok();
}

Result<void> Runtime::Unlock(std::uint64_t job_id) {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         txn_.Get(ColumnFamily::kJobs, keys::Job(job_id)));
  if (!raw) return Error::NotFound("external task " + IdText(job_id) + " does not exist");
  QUIRE_ASSIGN_OR_RETURN(JobRecord job, DecodeJob(*raw));
  if (!job.external) return Error::InvalidArgument("job " + IdText(job_id) + " is not external");
  job.worker.clear();
  job.lock_expires = 0;
  txn_.Put(ColumnFamily::kJobs, keys::Job(job_id), EncodeJob(job));
  if (env_.external_available) txn_.AfterCommit(env_.external_available);
  return Ok();
}

Result<void> Runtime::SetHistoryTtl(const std::string& process_id,
                                    std::optional<std::chrono::milliseconds> ttl) {
  if (ttl) {
    txn_.Put(ColumnFamily::kIndexes, keys::HistoryTtl(process_id), std::to_string(ttl->count()));
  } else {
    txn_.Delete(ColumnFamily::kIndexes, keys::HistoryTtl(process_id));
  }
  return Ok();
}

Result<void> Runtime::Undeploy(const std::string& process_id, bool force) {
  const std::string prefix = keys::ByProcessPrefix(process_id);
  QUIRE_ASSIGN_OR_RETURN(auto instances, txn_.Scan(ColumnFamily::kIndexes, prefix, 1'000'000));
  std::vector<Loaded*> active;
  for (const auto& [key, value] : instances) {
    KeyDecoder d(std::string_view(key).substr(prefix.size()));
    auto id = d.U64Desc();
    if (!id) continue;
    auto l = Load(*id);
    if (l && (*l)->st.status == InstanceState::Status::kActive) active.push_back(*l);
  }
  if (!active.empty() && !force) {
    return Error::Conflict("process '" + process_id + "' has " + std::to_string(active.size()) +
                           " running instance(s); undeploy with force to cancel them");
  }
  for (Loaded* l : active) {
    EndInstance(*l, InstanceState::Status::kCancelled, "the process was undeployed");
  }
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         txn_.Get(ColumnFamily::kIndexes, keys::Arming(process_id)));
  if (raw) {
    QUIRE_ASSIGN_OR_RETURN(json::object arming, ParseRecord(*raw, "start arming"));
    if (const json::value* t = arming.if_contains("timers"); t != nullptr && t->is_array()) {
      for (const json::value& k : t->get_array()) {
        if (k.is_string()) txn_.Delete(ColumnFamily::kTimers, Unhex(k.get_string()));
      }
    }
    for (const char* what : {"messages", "signals"}) {
      const json::value* names = arming.if_contains(what);
      if (names == nullptr || !names->is_array()) continue;
      for (const json::value& n : names->get_array()) {
        if (!n.is_string()) continue;
        txn_.Delete(ColumnFamily::kIndexes, std::string_view(what) == "messages"
                                                ? keys::MessageStart(n.get_string(), process_id)
                                                : keys::SignalStart(n.get_string(), process_id));
      }
    }
    txn_.Delete(ColumnFamily::kIndexes, keys::Arming(process_id));
  }
  return Run();
}

Result<std::size_t> Runtime::CleanupHistory(std::size_t batch) {
  QUIRE_ASSIGN_OR_RETURN(auto expiring,
                         txn_.Scan(ColumnFamily::kIndexes, std::string(1, 'e'), batch));
  std::size_t removed = 0;
  std::size_t records = 0;
  for (const auto& [key, value] : expiring) {
    KeyDecoder d(std::string_view(key).substr(1));
    QUIRE_ASSIGN_OR_RETURN(std::int64_t at, d.I64());
    QUIRE_ASSIGN_OR_RETURN(std::uint64_t instance, d.U64());
    if (at > txn_.now_ms() || records >= batch) break;
    const std::string prefix = keys::HistoryByInstancePrefix(instance);
    QUIRE_ASSIGN_OR_RETURN(auto history, txn_.Scan(ColumnFamily::kHistory, prefix, 100'000));
    for (const auto& [hkey, hvalue] : history) {
      KeyDecoder hd(std::string_view(hkey).substr(prefix.size()));
      QUIRE_ASSIGN_OR_RETURN(std::uint64_t seq, hd.U64());
      txn_.Delete(ColumnFamily::kHistory, keys::History(seq));
      txn_.Delete(ColumnFamily::kHistory, hkey);
      records += 2;
    }
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                           txn_.Get(ColumnFamily::kInstances, keys::Instance(instance)));
    if (raw) {
      if (auto st = DecodeInstance(*raw); st) {
        txn_.Delete(ColumnFamily::kIndexes, keys::ByProcess(st->process_id, instance));
        if (!st->business_key.empty()) {
          txn_.Delete(ColumnFamily::kIndexes, keys::BusinessKey(st->process_id, st->business_key));
        }
      }
      txn_.Delete(ColumnFamily::kInstances, keys::Instance(instance));
    }
    txn_.Delete(ColumnFamily::kIndexes, key);
    ++removed;
  }
  return removed;
}

}  // namespace quire::workflow
