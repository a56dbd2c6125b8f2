// The runtime: jobs' records, loaded instances and their variables, loading and starting
// instances, the run loop, and writing what a command changed. The rest of Runtime is in
// runtime_flow.cc (entering elements, activities, ending), runtime_events.cc (triggers,
// errors, waits), runtime_work.cc (tasks, jobs, called processes) and runtime_commands.cc.
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
#include "quire/workflow/analytics.h"

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
// Jobs

std::string EncodeJob(const JobRecord& j) {
  json::object o{{"id", j.id},        {"i", j.instance}, {"k", j.key},         {"p", j.process_id},
                 {"e", j.element_id}, {"type", j.type},  {"r", j.retries},     {"a", j.attempt},
                 {"pr", j.priority},  {"due", j.due},    {"vars", j.variables}};
  if (j.external) o["ext"] = true;
  if (j.incident) o["inc"] = true;
  if (!j.error.empty()) o["err"] = j.error;
  if (!j.retry_cycle.empty()) o["rc"] = j.retry_cycle;
  if (j.backoff_ms != 0) o["bo"] = j.backoff_ms;
  if (j.backoff_max_ms != 0) o["bm"] = j.backoff_max_ms;
  if (j.timeout_ms != 0) o["to"] = j.timeout_ms;
  if (!j.worker.empty()) o["w"] = j.worker;
  if (j.lock_expires != 0) o["lock"] = j.lock_expires;
  return json::serialize(o);
}

Result<JobRecord> DecodeJob(std::string_view bytes) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(bytes, "job"));
  JobRecord j;
  j.id = static_cast<std::uint64_t>(IntOf(o, "id"));
  j.instance = static_cast<std::uint64_t>(IntOf(o, "i"));
  j.key = static_cast<std::uint32_t>(IntOf(o, "k"));
  j.process_id = StrOf(o, "p");
  j.element_id = StrOf(o, "e");
  j.type = StrOf(o, "type");
  j.retries = static_cast<int>(IntOf(o, "r"));
  j.attempt = static_cast<int>(IntOf(o, "a", 1));
  j.priority = IntOf(o, "pr", 50);
  j.due = IntOf(o, "due");
  j.external = o.contains("ext");
  j.incident = o.contains("inc");
  j.error = StrOf(o, "err");
  j.retry_cycle = StrOf(o, "rc");
  j.backoff_ms = IntOf(o, "bo");
  j.backoff_max_ms = IntOf(o, "bm");
  j.timeout_ms = IntOf(o, "to");
  j.worker = StrOf(o, "w");
  j.lock_expires = IntOf(o, "lock");
  if (const json::value* v = o.if_contains("vars"); v != nullptr && v->is_object()) {
    j.variables = v->get_object();
  }
  return j;
}

// ---------------------------------------------------------------------------------------
// Loaded instances and variables

Runtime::Runtime(RuntimeEnv& env, Txn& txn, audit::Actor actor)
    : env_(env), txn_(txn), actor_(std::move(actor)) {}
Runtime::~Runtime() = default;

void Runtime::Audit(std::string action, std::string object, json::object details) {
  if (env_.options.audit == nullptr || actor_.id.empty() || actor_.id == "engine" ||
      actor_.id == "timer") {
    return;
  }
  audit_.push_back({actor_, std::move(action), std::move(object), std::move(details)});
}

class Runtime::ScopeVariables final : public definitions::Variables {
 public:
  ScopeVariables(const InstanceState& st, std::uint32_t key, const json::object* extra)
      : st_(st), key_(key), extra_(extra) {}
  const json::value* Find(std::string_view name) const override {
    if (extra_ != nullptr) {
      if (const json::value* v = extra_->if_contains(name)) return v;
    }
    std::uint32_t key = key_;
    while (key != 0) {
      const ElementInstance* ei = st_.Find(key);
      if (ei == nullptr) break;
      if (const json::value* v = ei->variables.if_contains(name)) return v;
      if (key == 1) break;
      key = ei->parent;
    }
    return nullptr;
  }

 private:
  const InstanceState& st_;
  std::uint32_t key_;
  const json::object* extra_;
};

const Element& Runtime::El(const Loaded& l, ElementIndex e) const { return l.process->elements[e]; }

std::uint32_t Runtime::NewKey(Loaded& l) { return l.st.next_key++; }

void Runtime::ArmTimer(const std::string& key, std::int64_t due, const std::string& value) {
  txn_.Put(ColumnFamily::kTimers, key, value);
  if (!earliest_timer_ || due < *earliest_timer_) earliest_timer_ = due;
}

std::uint32_t Runtime::AddElement(Loaded& l, ElementIndex element, std::uint32_t scope,
                                  FlowIndex via, ElementInstance::State state) {
  const std::uint32_t key = NewKey(l);
  ElementInstance ei;
  ei.key = key;
  ei.element = element;
  ei.parent = scope;
  ei.via = via;
  ei.state = state;
  l.st.elements.emplace(key, std::move(ei));
  return key;
}

void Runtime::ConsumeArrivals(Loaded& l, ElementIndex gateway, std::uint32_t scope) {
  std::erase_if(l.st.elements, [&](const auto& entry) {
    const ElementInstance& ei = entry.second;
    return ei.element == gateway && ei.parent == scope &&
           ei.state == ElementInstance::State::kJoining;
  });
}

void Runtime::History(Loaded& l, ElementIndex element, const char* kind, json::object data) {
  Count(l, element, kind, data);
  json::array event;
  event.emplace_back(element == kNoElement ? json::string() : json::string(El(l, element).id));
  event.emplace_back(kind);
  if (!data.empty()) event.emplace_back(std::move(data));
  l.history.emplace_back(std::move(event));
}

std::int32_t Runtime::MonthOf(Timestamp t) const {
  return env_.options.month_of ? env_.options.month_of(t) : UtcMonth(t);
}

void Runtime::Count(Loaded& l, ElementIndex element, std::string_view kind,
                    const json::object& data) {
  // Inner instances of a multi-instance activity: the activity's own events count.
  if (!env_.options.analytics || data.contains("loopCounter")) return;
  const std::int64_t now = txn_.now_ms();
  if (kind == "task_completed") {
    const std::string_view user = data.contains("user") && data.at("user").is_string()
                                      ? std::string_view(data.at("user").get_string())
                                      : std::string_view();
    const std::int32_t month = MonthOf(txn_.now());
    const std::string key = TaskCounterKey(user, month);
    auto add = [&](std::string_view metric, std::int64_t delta) {
      txn_.AddToCounter(ColumnFamily::kHistory, key, metric, delta);
    };
    add("completed", 1);
    if (const json::value* due = data.if_contains("due"); due != nullptr && due->is_int64()) {
      add("withDue", 1);
      if (now <= due->get_int64()) add("onTime", 1);
    }
    if (const json::value* created = data.if_contains("created");
        created != nullptr && created->is_int64()) {
      add("ms", now - created->get_int64());
    }
    return;
  }
  if (kind == "instance_started") l.st.counted = true;
  if (!l.st.counted) return;  // started before the counters were kept
  if (l.cohort < 0) l.cohort = MonthOf(Timestamp(std::chrono::milliseconds(l.st.started)));
  // The key of this event's counter set, built once per element and command.
  const std::size_t slot = element == kNoElement ? 0 : std::size_t{element} + 1;
  if (l.counter_keys.size() <= slot) l.counter_keys.resize(l.process->elements.size() + 1);
  std::string& key = l.counter_keys[slot];
  if (key.empty()) {
    key = FunnelCounterKey(l.st.process_id, l.cohort,
                           element == kNoElement ? std::string_view() : El(l, element).id);
  }
  auto add = [&](std::string_view metric, std::int64_t delta) {
    txn_.AddToCounter(ColumnFamily::kHistory, key, metric, delta);
  };
  if (element == kNoElement) {
    if (kind == "instance_started") {
      add("started", 1);
    } else if (kind == "instance_completed") {
      add("completed", 1);
      add("ms", now - l.st.started);
    } else if (kind == "instance_cancelled") {
      add("cancelled", 1);
    }
    return;
  }
  const Element& el = El(l, element);
  const bool timed = WaitsAt(el.kind);
  if (kind == "element_entered") {
    if (element == l.retrying) {  // a retried incident: the same stay goes on
      l.retrying = kNoElement;
      return;
    }
    add("entered", 1);
    auto at = std::lower_bound(l.st.reached.begin(), l.st.reached.end(), element);
    if (at == l.st.reached.end() || *at != element) {
      l.st.reached.insert(at, element);
      add("reached", 1);
    }
    if (timed) l.st.entered.emplace_back(element, now);
  } else if (kind == "element_left" || kind == "element_cancelled") {
    if (kind == "element_cancelled" && element == l.retrying) {
      if (!l.retry_reenters) l.retrying = kNoElement;
      return;
    }
    // Where a cancelled instance stopped is its innermost steps; an embedded subprocess
    // around them was interrupted with it.
    const bool abandoned = l.abandoning && el.kind != definitions::ElementKind::kSubProcess;
    add(kind == "element_left" ? "left" : abandoned ? "abandoned" : "interrupted", 1);
    if (!timed) return;
    auto stay = std::find_if(l.st.entered.begin(), l.st.entered.end(),
                             [&](const auto& e) { return e.first == element; });
    if (stay == l.st.entered.end()) return;
    if (kind == "element_left") {
      add("timed", 1);
      add("ms", now - stay->second);
    }
    l.st.entered.erase(stay);
  }
}

Result<Value> Runtime::Evaluate(const Loaded& l, std::uint32_t scope, const Expression& e,
                                const json::object* extra) const {
  const ScopeVariables vars(l.st, scope, extra);
  QUIRE_ASSIGN_OR_RETURN(Value v, e.Evaluate(vars, txn_.now()));
  return v.Owned();
}

Result<bool> Runtime::Condition(const Loaded& l, std::uint32_t scope, const Expression& e,
                                const json::object* extra) const {
  const ScopeVariables vars(l.st, scope, extra);
  return e.EvaluateCondition(vars, txn_.now());
}

Result<std::string> Runtime::SettingText(const Loaded& l, std::uint32_t scope,
                                         const definitions::Setting& s) const {
  if (!s.expression) return s.text;
  QUIRE_ASSIGN_OR_RETURN(Value v, Evaluate(l, scope, *s.expression));
  return ValueText(v);
}

void Runtime::SetVariable(Loaded& l, std::uint32_t from_scope, const std::string& name,
                          json::value value) {
  std::uint32_t key = from_scope;
  while (key != 0) {
    ElementInstance* ei = l.st.Find(key);
    if (ei == nullptr) break;
    if (ei->variables.contains(name) || key == 1) {
      ei->variables[name] = std::move(value);
      return;
    }
    key = ei->parent;
  }
  if (ElementInstance* root = l.st.Find(1)) root->variables[name] = std::move(value);
}

void Runtime::SetVariables(Loaded& l, std::uint32_t from_scope, const json::object& variables) {
  if (variables.empty()) return;
  for (const auto& [name, value] : variables) SetVariable(l, from_scope, std::string(name), value);
  History(l, kNoElement, "variables_set", {{"variables", variables}});
}

json::object Runtime::VisibleVariables(const Loaded& l, std::uint32_t key) const {
  json::object out;
  std::uint32_t at = key;
  while (at != 0) {
    const ElementInstance* ei = l.st.Find(at);
    if (ei == nullptr) break;
    for (const auto& [name, value] : ei->variables) {
      if (!out.contains(name)) out[name] = value;
    }
    if (at == 1) break;
    at = ei->parent;
  }
  return out;
}

Result<json::object> Runtime::MapInputs(Loaded& l, std::uint32_t key) {
  ElementInstance* ei = l.st.Find(key);
  const Element& el = El(l, ei->element);
  json::object mapped;
  // Inputs see the enclosing scope; an instance of a multi-instance activity also sees its
  // own element variable and loopCounter (as Zeebe and Camunda 7 map them).
  const std::uint32_t scope = ei->mi_inner ? key : ei->parent;
  for (const definitions::IoMapping& m : el.task.inputs) {
    if (m.source.expression) {
      QUIRE_ASSIGN_OR_RETURN(Value v, Evaluate(l, scope, *m.source.expression));
      mapped[m.target] = v.ToJson();
    } else {
      mapped[m.target] = m.source.text;
    }
  }
  for (auto& [name, value] : mapped) ei->variables[name] = std::move(value);
  return mapped;
}

Result<void> Runtime::MapOutputs(Loaded& l, std::uint32_t key, const json::object& produced) {
  ElementInstance* ei = l.st.Find(key);
  const Element& el = El(l, ei->element);
  const std::uint32_t scope = ei->parent;
  if (el.task.outputs.empty()) {
    SetVariables(l, scope, produced);
    return Ok();
  }
  json::object results;
  for (const definitions::IoMapping& m : el.task.outputs) {
    if (m.source.expression) {
      auto v = Evaluate(l, key, *m.source.expression, &produced);
      if (!v) {
        return v.error().WithContext("output mapping '" + m.target + "' of '" + el.id + "'");
      }
      results[m.target] = v->ToJson();
    } else {
      results[m.target] = m.source.text;
    }
  }
  SetVariables(l, scope, results);
  return Ok();
}

// ---------------------------------------------------------------------------------------
// Loading and creating instances

Result<Runtime::Loaded*> Runtime::Load(std::uint64_t instance) {
  if (const auto it = loaded_.find(instance); it != loaded_.end()) return it->second.get();
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         txn_.Get(ColumnFamily::kInstances, keys::Instance(instance)));
  if (!raw) return Error::NotFound("process instance " + IdText(instance) + " does not exist");
  auto l = std::make_unique<Loaded>();
  QUIRE_ASSIGN_OR_RETURN(l->st, DecodeInstance(*raw));
  l->stored = std::move(*raw);
  QUIRE_ASSIGN_OR_RETURN(l->defs, env_.load_model(l->st.process_id, l->st.version));
  l->process = l->defs->FindProcess(l->st.process_id);
  if (l->process == nullptr) {
    return Error::Corruption("process '" + l->st.process_id + "' is missing from its deployment");
  }
  l->info = &env_.infos.Get(*l->process);
  for (const auto& [key, ei] : l->st.elements) {
    if (ei.state == ElementInstance::State::kJoining &&
        l->process->elements[ei.element].kind == ElementKind::kInclusiveGateway) {
      l->has_inclusive_joins = true;
    }
  }
  Loaded* out = l.get();
  loaded_.emplace(instance, std::move(l));
  order_.push_back(out);
  return out;
}

Result<Runtime::Loaded*> Runtime::StartAt(const definitions::ProcessVersion& version,
                                          ElementIndex start, json::object variables,
                                          const std::string& business_key,
                                          std::uint64_t parent_instance, std::uint32_t parent_key) {
  QUIRE_ASSIGN_OR_RETURN(auto defs, env_.load_model(version.process_id, version.version));
  const definitions::Process* process = defs->FindProcess(version.process_id);
  if (process == nullptr) {
    return Error::NotFound("process '" + version.process_id + "' is not in its deployment");
  }
  if (start == kNoElement) {
    const ProcessInfo& info = env_.infos.Get(*process);
    start = info.NoneStart(kNoElement);
    if (start == kNoElement) {
      return Error::InvalidArgument(
          "process '" + version.process_id +
          "' has no plain start event: it starts by its message, signal or timer start "
          "events; publish the message or signal instead");
    }
  }
  auto l = std::make_unique<Loaded>();
  l->defs = std::move(defs);
  l->process = process;
  l->info = &env_.infos.Get(*process);
  InstanceState& st = l->st;
  st.id = txn_.NewId();
  st.process_id = version.process_id;
  st.version = version.version;
  st.business_key = business_key;
  st.started = txn_.now_ms();
  st.parent_instance = parent_instance;
  st.parent_key = parent_key;
  ElementInstance root;
  root.key = 1;
  root.state = ElementInstance::State::kScope;
  root.variables = std::move(variables);
  st.elements.emplace(1, std::move(root));
  txn_.Put(ColumnFamily::kIndexes, keys::ByProcess(st.process_id, st.id), "");
  if (!business_key.empty()) {
    txn_.Put(ColumnFamily::kIndexes, keys::BusinessKey(st.process_id, business_key), IdText(st.id));
  }
  Loaded* out = l.get();
  loaded_.emplace(st.id, std::move(l));
  order_.push_back(out);
  json::object data{{"version", version.version}};
  if (!business_key.empty()) data["businessKey"] = business_key;
  if (parent_instance != 0) data["parentInstance"] = IdText(parent_instance);
  if (const ElementInstance* scope = out->st.Find(1); !scope->variables.empty()) {
    data["variables"] = scope->variables;
  }
  History(*out, kNoElement, "instance_started", std::move(data));
  OpenEventSubprocessWaits(*out, 1);
  out->agenda.push_back(Step{start, 1, kNoFlow, true, -1});
  return out;
}

// ---------------------------------------------------------------------------------------
// The run loop

Result<void> Runtime::Run() {
  bool progress = true;
  while (progress) {
    progress = false;
    for (std::size_t i = 0; i < order_.size(); ++i) {
      Loaded& l = *order_[i];
      if (!l.agenda.empty() || !l.triggers.empty()) {
        RunAgenda(l);
        progress = true;
      }
      if (steps_ > kMaxSteps) {
        return Error::ValidationFailed(
            "process '" + l.st.process_id + "' ran " + std::to_string(kMaxSteps) +
            " steps in one go without waiting anywhere: it loops forever; add a wait state "
            "(a task, timer or message) to the loop or fix its exit condition");
      }
      if (!l.check.empty() || l.has_inclusive_joins) {
        const std::size_t before = l.agenda.size() + l.triggers.size();
        const bool ended = l.ended_now;
        CheckScopes(l);
        if (l.agenda.size() + l.triggers.size() != before || l.ended_now != ended) {
          progress = true;
        }
      }
    }
    if (!deferred_signals_.empty()) {
      auto signals = std::move(deferred_signals_);
      deferred_signals_.clear();
      for (auto& [name, vars] : signals) Broadcast(name, vars, nullptr);
      progress = true;
    }
  }
  return Ok();
}

void Runtime::RunAgenda(Loaded& l) {
  while (!l.triggers.empty() || !l.agenda.empty()) {
    if (l.st.status != InstanceState::Status::kActive) {
      l.agenda.clear();
      l.triggers.clear();
      return;
    }
    if (!l.triggers.empty()) {
      Loaded::PendingTrigger t = std::move(l.triggers.front());
      l.triggers.pop_front();
      Trigger(l, t.owner, t.trigger, t.variables);
      continue;
    }
    const Step step = l.agenda.front();
    l.agenda.pop_front();
    if (++steps_ > kMaxSteps) return;
    if (l.st.Find(step.scope) == nullptr) continue;  // its scope was cancelled meanwhile
    Enter(l, step);
  }
}

void Runtime::CheckScopes(Loaded& l) {
  while (!l.check.empty() && l.st.status == InstanceState::Status::kActive) {
    // Deepest (newest) scopes first.
    const std::uint32_t key = *l.check.rbegin();
    l.check.erase(key);
    const ElementInstance* ei = l.st.Find(key);
    if (ei == nullptr || ei->state != ElementInstance::State::kScope || ei->mi_body) continue;
    if (!l.st.Children(key).empty()) continue;
    bool pending = false;
    for (const Step& s : l.agenda) pending = pending || s.scope == key;
    if (pending) continue;
    CompleteScope(l, key);
  }
  if (!l.has_inclusive_joins || l.st.status != InstanceState::Status::kActive) return;
  // An inclusive join may be ready because a token that could have reached it ended.
  std::set<std::pair<ElementIndex, std::uint32_t>> joins;
  for (const auto& [key, ei] : l.st.elements) {
    if (ei.state == ElementInstance::State::kJoining &&
        El(l, ei.element).kind == ElementKind::kInclusiveGateway) {
      joins.emplace(ei.element, ei.parent);
    }
  }
  l.has_inclusive_joins = false;
  for (const auto& [gateway, scope] : joins) {
    if (InclusiveJoinReady(l, gateway, scope)) {
      ConsumeArrivals(l, gateway, scope);
      SelectFlows(l, gateway, scope, false);
    } else {
      l.has_inclusive_joins = true;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Finishing: instance records and history

Result<void> Runtime::Finish() {
  for (Loaded* l : order_) {
    if (std::string record = EncodeInstance(l->st); record != l->stored) {
      txn_.Put(ColumnFamily::kInstances, keys::Instance(l->st.id), record);
      l->stored = std::move(record);
    }
    if (!l->history.empty()) {
      const std::uint64_t seq = txn_.NewSeq(l->history.size());
      txn_.Put(ColumnFamily::kHistory, keys::History(seq),
               json::serialize(json::object{{"i", l->st.id},
                                            {"t", txn_.now_ms()},
                                            {"a", actor_.id},
                                            {"e", std::move(l->history)}}));
      txn_.Put(ColumnFamily::kHistory, keys::HistoryByInstance(l->st.id, seq), "");
      l->history = json::array();
    }
    if (l->ended_now) {
      // Set at deployment, else the model's, else the engine's default.
      std::int64_t ttl = env_.options.history_ttl.count();
      if (l->process->history_ttl) {
        ttl = (definitions::Add(txn_.now(), *l->process->history_ttl) - txn_.now()).count();
      }
      QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> set,
                             txn_.Get(ColumnFamily::kIndexes, keys::HistoryTtl(l->st.process_id)));
      if (set) ttl = std::strtoll(set->c_str(), nullptr, 10);
      if (ttl > 0) {
        txn_.Put(ColumnFamily::kIndexes, keys::Expiry(txn_.now_ms() + ttl, l->st.id), "");
      }
      l->ended_now = false;
    }
  }
  return Ok();
}

}  // namespace quire::workflow
