#include "runtime.h"

#include "runtime_loaded.h"

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

namespace {

// More steps than this in one command means the model loops without ever waiting.
constexpr std::size_t kMaxSteps = 100'000;

std::string IdText(std::uint64_t id) { return std::to_string(id); }

// The name a message or signal is known by outside the file (its id when it has none).
template <class Def>
std::string NameOf(const Def& d) {
  return d.name.empty() ? d.id : d.name;
}

// The code an error or escalation is thrown and caught by (its id when it has none); a
// reference to an undefined one stands for itself.
template <class Def>
std::string CodeOf(const Def* d, const std::string& ref) {
  return d == nullptr ? ref : (d->code.empty() ? d->id : d->code);
}

// Text of an expression result for settings, correlation keys and timers.
std::string ValueText(const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull:
      return "";
    case Value::Type::kString:
      return std::string(v.AsString());
    case Value::Type::kNumber: {
      const double d = v.AsNumber();
      if (std::nearbyint(d) == d && std::fabs(d) < 9e15) {
        return std::to_string(static_cast<std::int64_t>(d));
      }
      return v.ToString();
    }
    case Value::Type::kDateTime:
      return definitions::FormatDateTime(v.AsDateTime());
    case Value::Type::kDuration:
      return definitions::FormatDuration(v.AsDuration());
    case Value::Type::kList: {
      std::string out;
      for (std::size_t i = 0; i < v.ListSize(); ++i) {
        if (i > 0) out += ",";
        out += ValueText(v.ListAt(i));
      }
      return out;
    }
    default:
      return v.ToString();
  }
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(start, end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

// A date-time ("2026-12-01T09:00:00Z") or a duration from now ("P3D").
Result<std::optional<std::int64_t>> DateOrDuration(const std::string& text, Timestamp now) {
  if (text.empty()) return std::optional<std::int64_t>();
  if (auto t = definitions::ParseDateTime(text); t) {
    return std::optional<std::int64_t>(t->time_since_epoch().count());
  }
  if (auto d = definitions::ParseDuration(text); d) {
    return std::optional<std::int64_t>(definitions::Add(now, *d).time_since_epoch().count());
  }
  return Error::InvalidArgument("'" + text + "' is neither an ISO 8601 date-time nor a duration");
}

}  // namespace

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

Runtime::Runtime(RuntimeEnv& env, Txn& txn, std::string actor)
    : env_(env), txn_(txn), actor_(std::move(actor)) {}
Runtime::~Runtime() = default;

void Runtime::Audit(std::string action, std::string object, json::object details) {
  if (env_.options.audit == nullptr || actor_.empty() || actor_ == "engine" || actor_ == "timer") {
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
  json::array event;
  event.emplace_back(element == kNoElement ? json::string() : json::string(El(l, element).id));
  event.emplace_back(kind);
  if (!data.empty()) event.emplace_back(std::move(data));
  l.history.emplace_back(std::move(event));
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
  for (const definitions::IoMapping& m : el.task.inputs) {
    if (m.source.expression) {
      QUIRE_ASSIGN_OR_RETURN(Value v, Evaluate(l, ei->parent, *m.source.expression));
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
// Entering elements

void Runtime::Enter(Loaded& l, const Step& step) {
  const Element& el = El(l, step.element);
  if (definitions::IsActivity(el.kind)) {
    if (el.loop.kind != LoopSpec::Kind::kNone && step.mi_index < 0) {
      EnterMultiInstance(l, step);
    } else {
      EnterActivity(l, step);
    }
  } else if (definitions::IsGateway(el.kind)) {
    EnterGateway(l, step);
  } else {
    EnterEvent(l, step);
  }
}

void Runtime::Pass(Loaded& l, ElementIndex element, std::uint32_t scope) {
  History(l, element, "element_entered");
  History(l, element, "element_left");
  TakeOutgoing(l, element, scope);
}

void Runtime::TakeOutgoing(Loaded& l, ElementIndex element, std::uint32_t scope) {
  const Element& el = El(l, element);
  if (el.outgoing.empty()) {
    l.check.insert(scope);  // the token ends here
    return;
  }
  std::vector<FlowIndex> taken;
  for (const FlowIndex f : el.outgoing) {
    if (f == el.default_flow) continue;
    const definitions::SequenceFlow& flow = l.process->flows[f];
    if (!flow.condition) {
      taken.push_back(f);
      continue;
    }
    auto ok = Condition(l, scope, *flow.condition);
    if (!ok) {
      RaiseIncident(
          l, element, scope, 0, "expression",
          "the condition of sequence flow '" + flow.id + "' failed: " + ok.error().message(), 0,
          true);
      return;
    }
    if (*ok) taken.push_back(f);
  }
  if (taken.empty() && el.default_flow != kNoFlow) taken.push_back(el.default_flow);
  if (taken.empty()) {
    RaiseIncident(l, element, scope, 0, "condition",
                  "no outgoing sequence flow of '" + el.id +
                      "' has a true condition and it has no default flow; set the variables "
                      "the conditions test, or add a default flow",
                  0, true);
    return;
  }
  for (const FlowIndex f : taken) {
    l.agenda.push_back(Step{l.process->flows[f].target, scope, f, false, -1});
  }
}

void Runtime::EnterEvent(Loaded& l, const Step& step) {
  const Element& el = El(l, step.element);
  const std::uint32_t scope = step.scope;
  switch (el.kind) {
    case ElementKind::kStartEvent:
    case ElementKind::kBoundaryEvent:
      Pass(l, el.index, scope);
      return;
    case ElementKind::kEndEvent: {
      History(l, el.index, "element_entered");
      switch (el.trigger) {
        case EventTrigger::kError: {
          const definitions::ErrorDef* error = l.defs->FindError(el.trigger_ref);
          const std::string code = CodeOf(error, el.trigger_ref);
          History(l, el.index, "error_thrown", {{"code", code}});
          if (!ThrowError(l, scope, code, error == nullptr ? "" : error->name)) {
            RaiseIncident(l, el.index, scope, 0, "uncaught_error",
                          "error '" + code + "' thrown by end event '" + el.id +
                              "' is not caught by any boundary event or event subprocess");
          }
          return;
        }
        case EventTrigger::kEscalation: {
          const definitions::Escalation* esc = l.defs->FindEscalation(el.trigger_ref);
          const std::string code = CodeOf(esc, el.trigger_ref);
          History(l, el.index, "escalation_thrown", {{"code", code}});
          ThrowEscalation(l, scope, code);
          if (l.st.Find(scope) == nullptr) return;  // an interrupting handler took over
          break;
        }
        case EventTrigger::kTerminate:
          History(l, el.index, "element_left");
          CancelChildren(l, scope, "terminated by end event '" + el.id + "'");
          std::erase_if(l.agenda, [&](const Step& s) { return s.scope == scope; });
          l.check.insert(scope);
          return;
        case EventTrigger::kSignal:
          if (const definitions::Signal* s = l.defs->FindSignal(el.trigger_ref)) {
            deferred_signals_.emplace_back(NameOf(*s), VisibleVariables(l, scope));
          }
          break;
        default:
          break;
      }
      History(l, el.index, "element_left");
      l.check.insert(scope);
      return;
    }
    case ElementKind::kIntermediateThrowEvent:
      switch (el.trigger) {
        case EventTrigger::kSignal:
          if (const definitions::Signal* s = l.defs->FindSignal(el.trigger_ref)) {
            deferred_signals_.emplace_back(NameOf(*s), VisibleVariables(l, scope));
          }
          Pass(l, el.index, scope);
          return;
        case EventTrigger::kEscalation: {
          History(l, el.index, "element_entered");
          const definitions::Escalation* esc = l.defs->FindEscalation(el.trigger_ref);
          const std::string code = CodeOf(esc, el.trigger_ref);
          History(l, el.index, "escalation_thrown", {{"code", code}});
          ThrowEscalation(l, scope, code);
          if (l.st.Find(scope) == nullptr) return;
          History(l, el.index, "element_left");
          TakeOutgoing(l, el.index, scope);
          return;
        }
        case EventTrigger::kLink: {
          History(l, el.index, "element_entered");
          History(l, el.index, "element_left");
          const ElementIndex target = l.info->LinkTarget(el.parent, el.trigger_ref);
          if (target != kNoElement) l.agenda.push_back(Step{target, scope, kNoFlow, true, -1});
          return;
        }
        default:
          Pass(l, el.index, scope);
          return;
      }
    case ElementKind::kIntermediateCatchEvent: {
      if (step.triggered || el.trigger == EventTrigger::kLink) {
        Pass(l, el.index, scope);
        return;
      }
      const std::uint32_t key =
          AddElement(l, el.index, scope, step.via, ElementInstance::State::kWaiting);
      History(l, el.index, "element_entered");
      OpenWait(l, key, el.index);
      return;
    }
    default:
      Pass(l, el.index, scope);
      return;
  }
}

void Runtime::EnterGateway(Loaded& l, const Step& step) {
  const Element& el = El(l, step.element);
  const std::uint32_t scope = step.scope;
  const bool joins = el.incoming.size() > 1;
  switch (el.kind) {
    case ElementKind::kExclusiveGateway:
      History(l, el.index, "element_entered");
      SelectFlows(l, el.index, scope, true);
      return;
    case ElementKind::kParallelGateway:
    case ElementKind::kInclusiveGateway: {
      History(l, el.index, "element_entered");
      if (!joins || step.via == kNoFlow) {
        if (el.kind == ElementKind::kParallelGateway) {
          History(l, el.index, "element_left");
          for (const FlowIndex f : el.outgoing) {
            l.agenda.push_back(Step{l.process->flows[f].target, scope, f, false, -1});
          }
        } else {
          SelectFlows(l, el.index, scope, false);
        }
        return;
      }
      AddElement(l, el.index, scope, step.via, ElementInstance::State::kJoining);
      if (el.kind == ElementKind::kParallelGateway) {
        TryJoin(l, el.index, scope);
      } else if (InclusiveJoinReady(l, el.index, scope)) {
        ConsumeArrivals(l, el.index, scope);
        SelectFlows(l, el.index, scope, false);
      } else {
        l.has_inclusive_joins = true;
      }
      return;
    }
    case ElementKind::kEventBasedGateway: {
      const std::uint32_t key =
          AddElement(l, el.index, scope, step.via, ElementInstance::State::kWaiting);
      History(l, el.index, "element_entered");
      for (const FlowIndex f : el.outgoing) {
        const ElementIndex target = l.process->flows[f].target;
        if (!OpenWait(l, key, target)) return;
      }
      return;
    }
    default:
      Pass(l, el.index, scope);
      return;
  }
}

void Runtime::SelectFlows(Loaded& l, ElementIndex gateway, std::uint32_t scope, bool exclusive) {
  const Element& el = El(l, gateway);
  std::vector<FlowIndex> taken;
  for (const FlowIndex f : el.outgoing) {
    if (f == el.default_flow) continue;
    const definitions::SequenceFlow& flow = l.process->flows[f];
    bool ok = true;
    if (flow.condition) {
      auto r = Condition(l, scope, *flow.condition);
      if (!r) {
        RaiseIncident(l, gateway, scope, 0, "expression",
                      "gateway '" + el.id + "' could not decide: the condition of '" + flow.id +
                          "' failed: " + r.error().message());
        return;
      }
      ok = *r;
    }
    if (ok) {
      taken.push_back(f);
      if (exclusive) break;
    }
  }
  if (taken.empty() && el.default_flow != kNoFlow) taken.push_back(el.default_flow);
  if (taken.empty()) {
    RaiseIncident(l, gateway, scope, 0, "condition",
                  "no outgoing sequence flow of gateway '" + el.id +
                      "' has a true condition and it has no default flow; set the variables "
                      "its conditions test, or add a default flow");
    return;
  }
  History(l, gateway, "element_left");
  for (const FlowIndex f : taken) {
    l.agenda.push_back(Step{l.process->flows[f].target, scope, f, false, -1});
  }
}

void Runtime::TryJoin(Loaded& l, ElementIndex gateway, std::uint32_t scope) {
  const Element& el = El(l, gateway);
  std::vector<std::uint32_t> use;
  for (const FlowIndex f : el.incoming) {
    std::uint32_t found = 0;
    for (const auto& [key, ei] : l.st.elements) {
      if (ei.element == gateway && ei.parent == scope && ei.via == f &&
          ei.state == ElementInstance::State::kJoining) {
        found = key;
        break;
      }
    }
    if (found == 0) return;  // still waiting for a token on `f`
    use.push_back(found);
  }
  for (const std::uint32_t key : use) l.st.elements.erase(key);
  History(l, gateway, "element_left");
  for (const FlowIndex f : el.outgoing) {
    l.agenda.push_back(Step{l.process->flows[f].target, scope, f, false, -1});
  }
}

bool Runtime::InclusiveJoinReady(Loaded& l, ElementIndex gateway, std::uint32_t scope) {
  for (const auto& [key, ei] : l.st.elements) {
    if (ei.parent != scope || key == scope) continue;
    if (ei.element == gateway && ei.state == ElementInstance::State::kJoining) continue;
    if (ei.element != kNoElement && l.info->CanReach(ei.element, gateway)) return false;
  }
  for (const Step& s : l.agenda) {
    if (s.scope != scope) continue;
    if (s.element == gateway || l.info->CanReach(s.element, gateway)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Activities

void Runtime::EnterActivity(Loaded& l, const Step& step) {
  const Element& el = El(l, step.element);
  const std::uint32_t key =
      AddElement(l, el.index, step.scope, step.via, ElementInstance::State::kWaiting);
  if (step.mi_index >= 0) {
    ElementInstance& ei = *l.st.Find(key);
    ei.mi_inner = true;
    ei.loop_counter = step.mi_index;
    ei.variables["loopCounter"] = step.mi_index;
    const ElementInstance* body = l.st.Find(step.scope);
    if (body != nullptr && !el.loop.element_variable.empty() &&
        static_cast<std::size_t>(step.mi_index) < body->mi_items.size()) {
      ei.variables[el.loop.element_variable] =
          body->mi_items[static_cast<std::size_t>(step.mi_index)];
    }
  }
  History(l, el.index, "element_entered",
          step.mi_index >= 0 ? json::object{{"loopCounter", step.mi_index}} : json::object{});
  if (!el.task.inputs.empty() && el.kind != ElementKind::kCallActivity) {
    if (auto r = MapInputs(l, key); !r) {
      RaiseIncident(l, el.index, step.scope, key, "expression",
                    "input mapping of '" + el.id + "' failed: " + r.error().message());
      return;
    }
  }
  const bool inner = step.mi_index >= 0;
  switch (el.kind) {
    case ElementKind::kUserTask:
      CreateTask(l, key);
      break;
    case ElementKind::kServiceTask:
    case ElementKind::kSendTask:
    case ElementKind::kBusinessRuleTask:
      if (el.task.connector.empty()) {
        CompleteActivity(l, key);
        return;
      }
      CreateJob(l, key);
      break;
    case ElementKind::kReceiveTask:
      if (el.trigger == EventTrigger::kMessage && !OpenWait(l, key, el.index)) return;
      break;
    case ElementKind::kSubProcess: {
      l.st.Find(key)->state = ElementInstance::State::kScope;
      OpenEventSubprocessWaits(l, key);
      const ElementIndex start = l.info->NoneStart(el.index);
      if (start == kNoElement) {
        l.check.insert(key);
      } else {
        l.agenda.push_back(Step{start, key, kNoFlow, true, -1});
      }
      break;
    }
    case ElementKind::kCallActivity:
      StartCallActivity(l, key);
      break;
    default:  // task, manual task: nothing to wait for
      CompleteActivity(l, key);
      return;
  }
  if (!inner && l.st.Find(key) != nullptr) OpenBoundaryWaits(l, key);
}

void Runtime::EnterMultiInstance(Loaded& l, const Step& step) {
  const Element& el = El(l, step.element);
  const LoopSpec& loop = el.loop;
  const std::uint32_t key =
      AddElement(l, el.index, step.scope, step.via, ElementInstance::State::kScope);
  l.st.Find(key)->mi_body = true;
  History(l, el.index, "element_entered", {{"loop", true}});
  OpenBoundaryWaits(l, key);
  ElementInstance* body = l.st.Find(key);
  auto fail = [&](const std::string& message) {
    RaiseIncident(l, el.index, step.scope, key, "expression", message);
  };
  if (loop.kind == LoopSpec::Kind::kStandard) {
    body->mi_next = 1;
    if (loop.test_before && loop.loop_condition) {
      auto go = Condition(l, key, *loop.loop_condition);
      if (!go) return fail("the loop condition of '" + el.id + "' failed: " + go.error().message());
      if (!*go) {
        InnerDone(l, key, 0);
        return;
      }
    }
    l.agenda.push_back(Step{el.index, key, step.via, false, 0});
    return;
  }
  if (loop.collection) {
    auto items = Evaluate(l, step.scope, *loop.collection);
    if (!items) return fail("the collection of '" + el.id + "' failed: " + items.error().message());
    json::value list = items->ToJson();
    if (!list.is_array()) {
      return fail("the collection of '" + el.id + "' is not a list but " +
                  std::string(Value::TypeName(items->type())));
    }
    body->mi_items = std::move(list.get_array());
    body->mi_total = static_cast<std::int64_t>(body->mi_items.size());
  } else if (loop.cardinality) {
    auto n = Evaluate(l, step.scope, *loop.cardinality);
    if (!n) return fail("the loop cardinality of '" + el.id + "' failed: " + n.error().message());
    double count = 0;
    if (n->type() == Value::Type::kNumber) {
      count = n->AsNumber();
    } else if (n->type() == Value::Type::kString) {
      try {
        count = std::stod(std::string(n->AsString()));
      } catch (...) {
        count = -1;
      }
    }
    if (count < 0 || count > 1e6 || std::nearbyint(count) != count) {
      return fail("the loop cardinality of '" + el.id + "' must be a whole number from 0 to " +
                  "1000000, not " + n->ToString());
    }
    body->mi_total = static_cast<std::int64_t>(count);
  }
  if (loop.output_element) {
    body->mi_outputs = json::array(static_cast<std::size_t>(body->mi_total), nullptr);
  }
  if (body->mi_total == 0) {
    InnerDone(l, key, 0);
    return;
  }
  if (loop.kind == LoopSpec::Kind::kParallel) {
    body->mi_next = body->mi_total;
    for (std::int64_t i = 0; i < body->mi_total; ++i) {
      l.agenda.push_back(Step{el.index, key, step.via, false, i});
    }
  } else {
    body->mi_next = 1;
    l.agenda.push_back(Step{el.index, key, step.via, false, 0});
  }
}

void Runtime::CompleteActivity(Loaded& l, std::uint32_t key) {
  ElementInstance* ei = l.st.Find(key);
  if (ei == nullptr) return;
  CloseWaits(l, *ei);
  if (ei->mi_inner) {
    InnerDone(l, ei->parent, key);
    return;
  }
  const ElementIndex element = ei->element;
  const std::uint32_t scope = ei->parent;
  // Incidents on the element are over once it completes.
  std::erase_if(l.st.incidents, [&](const IncidentRecord& r) {
    if (r.element_key != key) return false;
    txn_.Delete(ColumnFamily::kIndexes, keys::Incident(r.id));
    return true;
  });
  l.st.elements.erase(key);
  History(l, element, "element_left");
  TakeOutgoing(l, element, scope);
}

// `inner_key` 0: the body finished without (more) inner instances.
void Runtime::InnerDone(Loaded& l, std::uint32_t body_key, std::uint32_t inner_key) {
  ElementInstance* body = l.st.Find(body_key);
  if (body == nullptr) return;
  const Element& el = El(l, body->element);
  const LoopSpec& loop = el.loop;
  bool done = inner_key == 0;
  if (!done) {
    ElementInstance* inner = l.st.Find(inner_key);
    if (inner != nullptr) {
      if (loop.output_element) {
        auto v = Evaluate(l, inner_key, *loop.output_element);
        const auto i = static_cast<std::size_t>(inner->loop_counter);
        if (v && i < body->mi_outputs.size()) body->mi_outputs[i] = v->ToJson();
      }
      History(l, el.index, "element_left", {{"loopCounter", inner->loop_counter}});
      l.st.elements.erase(inner_key);
    }
    body = l.st.Find(body_key);
    ++body->mi_completed;
    if (loop.kind == LoopSpec::Kind::kStandard) {
      bool again = true;
      if (loop.loop_condition) {
        auto go = Condition(l, body_key, *loop.loop_condition);
        if (!go) {
          RaiseIncident(l, el.index, body->parent, body_key, "expression",
                        "the loop condition of '" + el.id + "' failed: " + go.error().message());
          return;
        }
        again = *go;
      } else {
        again = false;
      }
      if (loop.loop_maximum && body->mi_completed >= *loop.loop_maximum) again = false;
      if (again) {
        const std::int64_t next = body->mi_next++;
        l.agenda.push_back(Step{el.index, body_key, body->via, false, next});
        return;
      }
      done = true;
    } else {
      const auto active = static_cast<std::int64_t>(l.st.Children(body_key).size());
      done = body->mi_completed >= body->mi_total;
      if (!done && loop.completion_condition) {
        const json::object extra{{"nrOfInstances", body->mi_total},
                                 {"nrOfCompletedInstances", body->mi_completed},
                                 {"nrOfActiveInstances", active}};
        auto stop = Condition(l, body_key, *loop.completion_condition, &extra);
        if (!stop) {
          RaiseIncident(
              l, el.index, body->parent, body_key, "expression",
              "the completion condition of '" + el.id + "' failed: " + stop.error().message());
          return;
        }
        done = *stop;
      }
      if (!done && loop.kind == LoopSpec::Kind::kSequential && active == 0) {
        const std::int64_t next = body->mi_next++;
        l.agenda.push_back(Step{el.index, body_key, body->via, false, next});
        return;
      }
    }
  }
  if (!done) return;
  CancelChildren(l, body_key, "the multi-instance activity completed");
  body = l.st.Find(body_key);
  const std::uint32_t scope = body->parent;
  if (!loop.output_collection.empty()) {
    SetVariable(l, scope, loop.output_collection, body->mi_outputs);
    body = l.st.Find(body_key);
  }
  CloseWaits(l, *body);
  l.st.elements.erase(body_key);
  History(l, el.index, "element_left", {{"loop", true}});
  TakeOutgoing(l, el.index, scope);
}

void Runtime::CompleteScope(Loaded& l, std::uint32_t key) {
  if (key == 1) {
    EndInstance(l, InstanceState::Status::kCompleted, "");
    return;
  }
  ElementInstance* ei = l.st.Find(key);
  if (ei == nullptr) return;
  const Element& el = El(l, ei->element);
  if (el.triggered_by_event) {
    CloseWaits(l, *ei);
    const std::uint32_t scope = ei->parent;
    l.st.elements.erase(key);
    History(l, el.index, "element_left");
    l.check.insert(scope);
    return;
  }
  CompleteActivity(l, key);
}

// ---------------------------------------------------------------------------------------
// Cancelling and ending

void Runtime::CancelElement(Loaded& l, std::uint32_t key, const std::string& reason) {
  for (const std::uint32_t child : l.st.Children(key)) CancelElement(l, child, reason);
  ElementInstance* ei = l.st.Find(key);
  if (ei == nullptr) return;
  CloseWaits(l, *ei);
  const ElementIndex element = ei->element;
  if (ei->task != 0) {
    if (auto task = ReadTask(ei->task)) DropTask(*task);
    History(l, element, "task_cancelled", {{"task", IdText(ei->task)}});
  }
  if (ei->job != 0) {
    if (auto raw = txn_.Get(ColumnFamily::kJobs, keys::Job(ei->job)); raw && *raw) {
      if (auto job = DecodeJob(**raw); job && job->external) {
        txn_.Delete(ColumnFamily::kJobs, keys::ExternalJob(job->type, job->id));
      }
    }
    txn_.Delete(ColumnFamily::kJobs, keys::Job(ei->job));
    History(l, element, "job_cancelled", {{"job", IdText(ei->job)}});
  }
  if (ei->child != 0) {
    const std::uint64_t child = ei->child;
    if (auto c = Load(child); c && (*c)->st.status == InstanceState::Status::kActive) {
      (*c)->st.parent_key = 0;  // it ends with its parent's element; do not resume it
      EndInstance(**c, InstanceState::Status::kCancelled, reason);
    }
  }
  std::erase_if(l.st.incidents, [&](const IncidentRecord& r) {
    if (r.element_key != key) return false;
    txn_.Delete(ColumnFamily::kIndexes, keys::Incident(r.id));
    return true;
  });
  l.st.elements.erase(key);
  if (element != kNoElement) History(l, element, "element_cancelled", {{"reason", reason}});
}

void Runtime::CancelChildren(Loaded& l, std::uint32_t key, const std::string& reason) {
  for (const std::uint32_t child : l.st.Children(key)) CancelElement(l, child, reason);
}

void Runtime::EndInstance(Loaded& l, InstanceState::Status status, const std::string& reason) {
  if (l.st.status != InstanceState::Status::kActive) return;
  CancelChildren(l, 1, reason.empty() ? "the instance ended" : reason);
  if (ElementInstance* root = l.st.Find(1)) CloseWaits(l, *root);
  for (const IncidentRecord& r : l.st.incidents) {
    txn_.Delete(ColumnFamily::kIndexes, keys::Incident(r.id));
  }
  l.st.incidents.clear();
  // Keep the process variables: they are the instance's result.
  json::object variables;
  if (ElementInstance* root = l.st.Find(1)) variables = std::move(root->variables);
  l.st.elements.clear();
  ElementInstance root;
  root.key = 1;
  root.state = ElementInstance::State::kScope;
  root.variables = std::move(variables);
  l.st.elements.emplace(1, std::move(root));
  l.st.status = status;
  l.st.ended = txn_.now_ms();
  l.agenda.clear();
  l.triggers.clear();
  l.check.clear();
  l.ended_now = true;
  json::object data;
  if (!reason.empty()) data["reason"] = reason;
  History(l, kNoElement,
          status == InstanceState::Status::kCompleted ? "instance_completed" : "instance_cancelled",
          std::move(data));
  if (l.st.parent_instance == 0 || l.st.parent_key == 0) return;
  if (status == InstanceState::Status::kCompleted) {
    ResumeParent(l);
    return;
  }
  // Cancelled on its own: the calling activity cannot go on.
  if (auto parent = Load(l.st.parent_instance); parent) {
    Loaded& p = **parent;
    if (const ElementInstance* call = p.st.Find(l.st.parent_key)) {
      RaiseIncident(p, call->element, call->parent, call->key, "called_instance_cancelled",
                    "the called instance " + IdText(l.st.id) + " was cancelled" +
                        (reason.empty() ? "" : ": " + reason));
    }
  }
}

// ---------------------------------------------------------------------------------------
// Events: triggers, errors, escalations

void Runtime::Trigger(Loaded& l, std::uint32_t owner, ElementIndex trigger,
                      const json::object& variables) {
  ElementInstance* ei = l.st.Find(owner);
  if (ei == nullptr) return;
  const auto wit = std::find_if(ei->waits.begin(), ei->waits.end(),
                                [&](const Wait& w) { return w.trigger == trigger; });
  if (wit == ei->waits.end()) return;  // no longer waiting for it
  const Element& t = El(l, trigger);
  Wait fired = *wit;
  const bool repeats = !t.interrupting && (t.kind == ElementKind::kBoundaryEvent ||
                                           t.kind == ElementKind::kStartEvent);
  // A non-interrupting message or signal handler keeps listening; a timer cycle re-arms.
  if (!repeats || fired.kind == Wait::Kind::kTimer) {
    txn_.Delete(fired.kind == Wait::Kind::kTimer ? ColumnFamily::kTimers : ColumnFamily::kIndexes,
                WaitKey(l, owner, fired));
    ei->waits.erase(wit);
    if (repeats && fired.kind == Wait::Kind::kTimer && t.timer &&
        t.timer->kind == definitions::TimerSpec::Kind::kCycle) {
      Result<std::string> text = t.timer->expression;
      if (t.timer->value) {
        auto v = Evaluate(l, owner, *t.timer->value);
        text = v ? Result<std::string>(ValueText(*v)) : Result<std::string>(v.error());
      }
      if (text) {
        if (auto cycle = definitions::ParseCycle(*text); cycle) {
          const Timestamp anchor{std::chrono::milliseconds(fired.anchor)};
          if (auto next = definitions::Occurrence(*cycle, anchor, fired.occurrence + 1)) {
            Wait again = fired;
            again.occurrence = fired.occurrence + 1;
            again.due = next->time_since_epoch().count();
            ArmTimer(WaitKey(l, owner, again), again.due);
            l.st.Find(owner)->waits.push_back(std::move(again));
          }
        }
      }
    }
  }
  ei = l.st.Find(owner);
  const Element& owner_el = ei->element == kNoElement ? t : El(l, ei->element);
  if (t.kind == ElementKind::kBoundaryEvent) {
    const std::uint32_t scope = ei->parent;
    if (t.interrupting) {
      CancelElement(l, owner, "interrupted by boundary event '" + t.id + "'");
    }
    SetVariables(l, scope, variables);
    Pass(l, trigger, scope);
    return;
  }
  if (t.kind == ElementKind::kStartEvent) {
    StartEventSubprocess(l, owner, trigger, variables);
    return;
  }
  if (ei->element != kNoElement && owner_el.kind == ElementKind::kEventBasedGateway) {
    CloseWaits(l, *ei);
    const std::uint32_t scope = ei->parent;
    FlowIndex via = kNoFlow;
    for (const FlowIndex f : owner_el.outgoing) {
      if (l.process->flows[f].target == trigger) via = f;
    }
    l.st.elements.erase(owner);
    History(l, owner_el.index, "element_left");
    SetVariables(l, scope, variables);
    l.agenda.push_back(Step{trigger, scope, via, true, -1});
    return;
  }
  // The catch event or receive task itself.
  SetVariables(l, ei->parent, variables);
  if (definitions::IsActivity(owner_el.kind)) {
    CompleteActivity(l, owner);
    return;
  }
  CloseWaits(l, *ei);
  const std::uint32_t scope = ei->parent;
  l.st.elements.erase(owner);
  History(l, trigger, "element_left");
  TakeOutgoing(l, trigger, scope);
}

void Runtime::StartEventSubprocess(Loaded& l, std::uint32_t scope, ElementIndex start,
                                   const json::object& variables) {
  const Element& s = El(l, start);
  const ElementIndex sub = s.parent;
  if (s.interrupting) {
    if (ElementInstance* owner = l.st.Find(scope)) CloseWaits(l, *owner, true);
    CancelChildren(l, scope, "interrupted by event subprocess '" + El(l, sub).id + "'");
    std::erase_if(l.agenda, [&](const Step& st) { return st.scope == scope; });
  }
  const std::uint32_t key = AddElement(l, sub, scope, kNoFlow, ElementInstance::State::kScope);
  l.st.Find(key)->interrupting = s.interrupting;
  History(l, sub, "element_entered");
  SetVariables(l, scope, variables);
  OpenEventSubprocessWaits(l, key);
  l.agenda.push_back(Step{start, key, kNoFlow, true, -1});
}

namespace {
bool Matches(const definitions::Definitions& defs, const Element& catcher, EventTrigger kind,
             const std::string& code) {
  if (catcher.trigger != kind) return false;
  if (catcher.trigger_ref.empty()) return true;  // catches every error / escalation
  if (kind == EventTrigger::kError) {
    const definitions::ErrorDef* e = defs.FindError(catcher.trigger_ref);
    if (e == nullptr) return false;
    return CodeOf(e, catcher.trigger_ref) == code;
  }
  const definitions::Escalation* e = defs.FindEscalation(catcher.trigger_ref);
  if (e == nullptr) return false;
  return CodeOf(e, catcher.trigger_ref) == code;
}
}  // namespace

std::optional<Runtime::Catcher> Runtime::FindCatcher(Loaded& l, std::uint32_t from,
                                                     EventTrigger kind, const std::string& code) {
  std::uint32_t key = from;
  while (key != 0) {
    const ElementInstance* ei = l.st.Find(key);
    if (ei == nullptr) break;
    // 1. An event subprocess of this scope with a matching start event.
    if (ei->state == ElementInstance::State::kScope && !ei->mi_body) {
      for (const ElementIndex start : l.info->EventSubprocessStarts(ei->element)) {
        if (Matches(*l.defs, El(l, start), kind, code)) return Catcher{key, start, true};
      }
    }
    // 2. A boundary event on this activity (on the body, for multi-instance).
    if (ei->element != kNoElement && !ei->mi_inner) {
      for (const ElementIndex b : El(l, ei->element).boundary_events) {
        if (Matches(*l.defs, El(l, b), kind, code)) return Catcher{key, b, false};
      }
    }
    if (key == 1) break;
    key = ei->parent;
  }
  return std::nullopt;
}

// Runs the handler FindCatcher found: the event subprocess, or the boundary event's path
// (cancelling the activity when the boundary event interrupts).
void Runtime::Catch(Loaded& l, const Catcher& c, const std::string& why) {
  if (c.event_subprocess) {
    StartEventSubprocess(l, c.key, c.event, {});
    return;
  }
  const Element& boundary = El(l, c.event);
  const std::uint32_t scope = l.st.Find(c.key)->parent;
  if (boundary.interrupting) CancelElement(l, c.key, why + " caught by '" + boundary.id + "'");
  Pass(l, c.event, scope);
}

bool Runtime::ThrowError(Loaded& l, std::uint32_t from, const std::string& code,
                         const std::string& message) {
  if (auto c = FindCatcher(l, from, EventTrigger::kError, code)) {
    Catch(l, *c, "error '" + code + "'");
    return true;
  }
  // Not caught here: a called instance hands it to the calling activity.
  if (l.st.parent_instance == 0 || l.st.parent_key == 0) return false;
  auto parent = Load(l.st.parent_instance);
  if (!parent) return false;
  Loaded& p = **parent;
  const std::uint32_t call = l.st.parent_key;
  l.st.parent_key = 0;  // ended by the error, not completed
  EndInstance(l, InstanceState::Status::kCancelled,
              "error '" + code + "' passed to the calling instance");
  ElementInstance* call_ei = p.st.Find(call);
  if (call_ei == nullptr) return true;
  call_ei->child = 0;
  if (!ThrowError(p, call, code, message)) {
    call_ei = p.st.Find(call);
    RaiseIncident(p, call_ei->element, call_ei->parent, call, "uncaught_error",
                  "error '" + code + "' from called process '" + l.st.process_id +
                      "' is not caught by any boundary event or event subprocess");
  }
  return true;
}

void Runtime::ThrowEscalation(Loaded& l, std::uint32_t from, const std::string& code) {
  // Uncaught escalations are not errors: the flow goes on.
  if (auto c = FindCatcher(l, from, EventTrigger::kEscalation, code)) {
    Catch(l, *c, "escalation '" + code + "'");
  }
}

void Runtime::RaiseIncident(Loaded& l, ElementIndex element, std::uint32_t scope,
                            std::uint32_t existing_key, const std::string& kind,
                            const std::string& message, std::uint64_t job, bool leaving) {
  std::uint32_t key = existing_key;
  if (key == 0) {
    key = AddElement(l, element, scope, kNoFlow, ElementInstance::State::kIncident);
    l.st.Find(key)->leaving = leaving;
  } else if (job == 0) {
    if (ElementInstance* ei = l.st.Find(key)) ei->state = ElementInstance::State::kIncident;
  }
  IncidentRecord r{txn_.NewId(), key, job, kind, message, txn_.now_ms()};
  const Element& el = El(l, element);
  txn_.Put(ColumnFamily::kIndexes, keys::Incident(r.id),
           json::serialize(json::object{{"id", r.id},
                                        {"i", l.st.id},
                                        {"p", l.st.process_id},
                                        {"e", el.id},
                                        {"k", key},
                                        {"job", job},
                                        {"kind", kind},
                                        {"msg", message},
                                        {"t", r.created}}));
  History(l, element, "incident_created",
          {{"incident", IdText(r.id)}, {"kind", kind}, {"message", message}});
  l.st.incidents.push_back(std::move(r));
}

// ---------------------------------------------------------------------------------------
// Waits

std::string Runtime::WaitKey(const Loaded& l, std::uint32_t owner, const Wait& w) const {
  switch (w.kind) {
    case Wait::Kind::kTimer:
      return keys::Timer(w.due, l.st.id, owner, w.trigger);
    case Wait::Kind::kMessage:
      return keys::MessageSub(w.name, w.correlation_key, l.st.id, owner, w.trigger);
    case Wait::Kind::kSignal:
      return keys::SignalSub(w.name, l.st.id, owner, w.trigger);
  }
  return {};
}

void Runtime::CloseWaits(Loaded& l, ElementInstance& ei, bool event_subprocess_only) {
  std::erase_if(ei.waits, [&](const Wait& w) {
    if (event_subprocess_only && El(l, w.trigger).kind != ElementKind::kStartEvent) return false;
    txn_.Delete(w.kind == Wait::Kind::kTimer ? ColumnFamily::kTimers : ColumnFamily::kIndexes,
                WaitKey(l, ei.key, w));
    return true;
  });
}

void Runtime::OpenBoundaryWaits(Loaded& l, std::uint32_t key) {
  const ElementIndex element = l.st.Find(key)->element;
  for (const ElementIndex b : El(l, element).boundary_events) {
    const EventTrigger t = El(l, b).trigger;
    if (t == EventTrigger::kTimer || t == EventTrigger::kMessage || t == EventTrigger::kSignal) {
      if (!OpenWait(l, key, b)) return;
    }
  }
}

void Runtime::OpenEventSubprocessWaits(Loaded& l, std::uint32_t scope_key) {
  const ElementIndex element = l.st.Find(scope_key)->element;
  for (const ElementIndex s : l.info->EventSubprocessStarts(element)) {
    const EventTrigger t = El(l, s).trigger;
    if (t == EventTrigger::kTimer || t == EventTrigger::kMessage || t == EventTrigger::kSignal) {
      if (!OpenWait(l, scope_key, s)) return;
    }
  }
}

bool Runtime::OpenWait(Loaded& l, std::uint32_t key, ElementIndex trigger) {
  const Element& t = El(l, trigger);
  Wait w;
  w.trigger = trigger;
  ElementInstance* ei = l.st.Find(key);
  const std::uint32_t scope = ei->state == ElementInstance::State::kScope ? key : ei->parent;
  auto fail = [&](const std::string& message) {
    ElementInstance* owner = l.st.Find(key);
    RaiseIncident(l, owner->element == kNoElement ? trigger : owner->element, owner->parent,
                  key == 1 ? 0 : key, "expression", message);
    return false;
  };
  switch (t.trigger) {
    case EventTrigger::kTimer: {
      if (!t.timer) return true;
      std::string text = t.timer->expression;
      if (t.timer->value) {
        auto v = Evaluate(l, scope, *t.timer->value);
        if (!v) return fail("the timer of '" + t.id + "' failed: " + v.error().message());
        text = ValueText(*v);
      }
      w.kind = Wait::Kind::kTimer;
      switch (t.timer->kind) {
        case definitions::TimerSpec::Kind::kDate: {
          auto at = definitions::ParseDateTime(text);
          if (!at) return fail("the timer date of '" + t.id + "' is not valid: " + text);
          w.due = at->time_since_epoch().count();
          break;
        }
        case definitions::TimerSpec::Kind::kDuration: {
          auto d = definitions::ParseDuration(text);
          if (!d) return fail("the timer duration of '" + t.id + "' is not valid: " + text);
          w.due = definitions::Add(txn_.now(), *d).time_since_epoch().count();
          break;
        }
        case definitions::TimerSpec::Kind::kCycle: {
          auto c = definitions::ParseCycle(text);
          if (!c) return fail("the timer cycle of '" + t.id + "' is not valid: " + text);
          auto first = definitions::Occurrence(*c, txn_.now(), 0);
          if (!first) return true;  // a cycle with no occurrence left never fires
          w.anchor = txn_.now_ms();
          w.due = first->time_since_epoch().count();
          break;
        }
      }
      ArmTimer(WaitKey(l, key, w), w.due);
      break;
    }
    case EventTrigger::kMessage: {
      const definitions::Message* m = l.defs->FindMessage(t.trigger_ref);
      if (m == nullptr) return true;
      w.kind = Wait::Kind::kMessage;
      w.name = NameOf(*m);
      if (m->correlation_key) {
        auto v = Evaluate(l, scope, *m->correlation_key);
        if (!v) {
          return fail("the correlation key of message '" + w.name +
                      "' failed: " + v.error().message());
        }
        w.correlation_key = ValueText(*v);
      }
      txn_.Put(ColumnFamily::kIndexes, WaitKey(l, key, w), "");
      break;
    }
    case EventTrigger::kSignal: {
      const definitions::Signal* s = l.defs->FindSignal(t.trigger_ref);
      if (s == nullptr) return true;
      w.kind = Wait::Kind::kSignal;
      w.name = NameOf(*s);
      txn_.Put(ColumnFamily::kIndexes, WaitKey(l, key, w), "");
      break;
    }
    default:
      return true;
  }
  const Wait opened = w;
  l.st.Find(key)->waits.push_back(std::move(w));
  if (opened.kind == Wait::Kind::kMessage) ConsumeBuffered(l, key, opened);
  return true;
}

bool Runtime::ConsumeBuffered(Loaded& l, std::uint32_t owner, const Wait& w) {
  const std::string prefix = w.correlation_key.empty()
                                 ? keys::BufferedPrefix(w.name)
                                 : keys::BufferedPrefix(w.name, w.correlation_key);
  auto found = txn_.Scan(ColumnFamily::kIndexes, prefix, 64);
  if (!found) return false;
  for (auto& [key, value] : *found) {
    txn_.Delete(ColumnFamily::kIndexes, key);
    auto o = ParseRecord(value, "buffered message");
    if (!o || IntOf(*o, "exp") <= txn_.now_ms()) continue;  // expired
    json::object vars;
    if (const json::value* v = o->if_contains("vars"); v != nullptr && v->is_object()) {
      vars = v->get_object();
    }
    History(l, w.trigger, "message_correlated",
            {{"name", w.name}, {"correlationKey", w.correlation_key}, {"buffered", true}});
    l.triggers.push_back({owner, w.trigger, std::move(vars)});
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// Work: user tasks, jobs, called processes

void Runtime::CreateTask(Loaded& l, std::uint32_t key) {
  ElementInstance* ei = l.st.Find(key);
  const Element& el = El(l, ei->element);
  const definitions::TaskSpec& spec = el.task;
  const std::uint32_t scope = key;  // the task's own inputs are visible to its settings
  std::string failed;
  auto text = [&](const definitions::Setting& s, const char* what) -> std::string {
    auto r = SettingText(l, scope, s);
    if (!r) {
      if (failed.empty())
        failed = std::string(what) + " of '" + el.id + "' failed: " + r.error().message();
      return {};
    }
    return *r;
  };
  const std::string assignee = text(spec.assignee, "the assignee");
  const std::string users = text(spec.candidate_users, "the candidate users");
  const std::string groups = text(spec.candidate_groups, "the candidate groups");
  const std::string priority_text = text(spec.priority, "the priority");
  const std::string due_text = text(spec.due_date, "the due date");
  const std::string follow_text = text(spec.follow_up_date, "the follow-up date");
  std::int64_t priority = 50;
  if (failed.empty() && !priority_text.empty()) {
    try {
      priority = std::clamp<std::int64_t>(std::stoll(priority_text), 0, 100);
    } catch (...) {
      failed = "the priority of '" + el.id + "' is not a whole number: " + priority_text;
    }
  }
  std::optional<std::int64_t> due;
  std::optional<std::int64_t> follow_up;
  if (failed.empty()) {
    auto d = DateOrDuration(due_text, txn_.now());
    auto f = DateOrDuration(follow_text, txn_.now());
    if (!d) failed = "the due date of '" + el.id + "': " + d.error().message();
    if (!f) failed = "the follow-up date of '" + el.id + "': " + f.error().message();
    if (d) due = *d;
    if (f) follow_up = *f;
  }
  if (!failed.empty()) {
    RaiseIncident(l, el.index, ei->parent, key, "expression", failed);
    return;
  }
  TaskRecord task;
  task.id = txn_.NewId();
  task.instance = l.st.id;
  task.key = key;
  task.process_id = l.st.process_id;
  task.version = l.st.version;
  task.element_id = el.id;
  task.name = el.name.empty() ? el.id : el.name;
  task.assignee = assignee;
  task.state = assignee.empty() ? TaskRecord::State::kCreated : TaskRecord::State::kAssigned;
  task.candidate_users = SplitList(users);
  task.candidate_groups = SplitList(groups);
  task.priority = priority;
  task.due = due;
  task.follow_up = follow_up;
  task.created = txn_.now_ms();
  task.form_key = spec.form_key;
  task.business_key = l.st.business_key;
  task.description = el.documentation;
  // A link is what the task is about, not what it needs: one that cannot be worked out
  // (no such variable yet) is left off and said so in the history, the task goes on.
  json::array links_skipped;
  for (const definitions::TaskLink& link : spec.links) {
    auto id = SettingText(l, scope, link.id);
    if (!id) {
      links_skipped.push_back(json::object{{"kind", link.kind}, {"error", id.error().message()}});
    } else if (!id->empty()) {
      task.links.emplace_back(link.kind, std::move(*id));
    }
  }
  if (!spec.form_ref.empty()) {
    task.form_ref = spec.form_ref;
    // A form not deployed yet does not stop the task (Camunda creates it too): it is bound
    // when the task is completed, which is refused until the form is there.
    if (auto form = env_.find_form(spec.form_ref, FormBindingOf(l, spec))) {
      task.form_version = (*form)->version.version;
    }
  }
  task.postponed = task.follow_up && *task.follow_up > txn_.now_ms();
  ScheduleEscalations(task, spec);
  WriteTask(txn_, std::nullopt, task);
  if (task.postponed) {
    ArmTimer(FollowUpTimerKey(*task.follow_up, task.id), *task.follow_up);
  }
  l.st.Find(key)->task = task.id;
  json::object data{{"task", IdText(task.id)}};
  if (!assignee.empty()) data["assignee"] = assignee;
  if (!links_skipped.empty()) data["linksSkipped"] = std::move(links_skipped);
  History(l, el.index, "task_created", std::move(data));
}

definitions::FormBinding FormBindingFor(const definitions::TaskSpec& spec,
                                        Timestamp process_deployed_at) {
  definitions::FormBinding b;
  if (spec.form_ref_binding == "version" && spec.form_ref_version) {
    b.kind = definitions::FormBinding::Kind::kVersion;
    b.version = static_cast<std::uint32_t>(*spec.form_ref_version);
  } else if (spec.form_ref_binding == "deployment") {
    b.kind = definitions::FormBinding::Kind::kDeployment;
    b.deployed_by = process_deployed_at;
  }
  return b;
}

definitions::FormBinding Runtime::FormBindingOf(const Loaded& l,
                                                const definitions::TaskSpec& spec) const {
  auto v = env_.find_version(l.st.process_id, l.st.version);
  return FormBindingFor(spec, v ? v->deployed_at : txn_.now());
}

Result<std::vector<definitions::FormField>> Runtime::FormFields(const Loaded& l,
                                                                const TaskRecord& task) const {
  const Element& el = El(l, l.st.Find(task.key)->element);
  if (task.form_ref.empty()) return el.task.form_fields;
  definitions::FormBinding binding = FormBindingOf(l, el.task);
  if (task.form_version != 0) {
    binding.kind = definitions::FormBinding::Kind::kVersion;
    binding.version = task.form_version;
  }
  auto form = env_.find_form(task.form_ref, binding);
  if (!form) {
    return Error::Conflict("task " + IdText(task.id) +
                           " cannot be completed without its form: " + form.error().message());
  }
  return (*form)->fields;
}

void Runtime::CreateJob(Loaded& l, std::uint32_t key) {
  ElementInstance* ei = l.st.Find(key);
  const Element& el = El(l, ei->element);
  const definitions::TaskSpec& spec = el.task;
  Connector* connector = spec.external ? nullptr : env_.connectors.Find(spec.connector);
  json::object vars = VisibleVariables(l, key);
  if (connector != nullptr && connector->inline_run()) {
    JobRequest request;
    request.instance_id = l.st.id;
    request.process_id = l.st.process_id;
    request.element_id = el.id;
    request.type = spec.connector;
    request.inputs = ei->variables;
    request.variables = std::move(vars);
    auto outcome = connector->Run(request);
    if (!outcome) {
      RaiseIncident(l, el.index, ei->parent, key, "job_failed",
                    "connector '" + spec.connector + "' failed: " + outcome.error().message());
      return;
    }
    if (outcome->bpmn_error) {
      History(l, el.index, "error_thrown", {{"code", *outcome->bpmn_error}});
      if (!ThrowError(l, key, *outcome->bpmn_error, outcome->error_message)) {
        RaiseIncident(l, el.index, l.st.Find(key)->parent, key, "uncaught_error",
                      "error '" + *outcome->bpmn_error + "' from '" + el.id +
                          "' is not caught by any boundary event or event subprocess");
      }
      return;
    }
    if (auto r = MapOutputs(l, key, outcome->variables); !r) {
      RaiseIncident(l, el.index, l.st.Find(key)->parent, key, "expression", r.error().message());
      return;
    }
    CompleteActivity(l, key);
    return;
  }
  JobRecord job;
  job.id = txn_.NewId();
  job.instance = l.st.id;
  job.key = key;
  job.process_id = l.st.process_id;
  job.element_id = el.id;
  job.type = spec.connector;
  job.external = connector == nullptr;
  job.retry_cycle = spec.retry_cycle;
  job.retries = env_.options.default_job_retries;
  if (!spec.retry_cycle.empty()) {
    if (auto c = definitions::ParseCycle(spec.retry_cycle); c && c->repetitions) {
      job.retries = static_cast<int>(*c->repetitions) + 1;
    }
  }
  if (spec.retries) job.retries = static_cast<int>(*spec.retries);
  auto ms = [&](const std::optional<definitions::Duration>& d) -> std::int64_t {
    return d ? (definitions::Add(txn_.now(), *d) - txn_.now()).count() : 0;
  };
  job.backoff_ms = ms(spec.retry_backoff);
  job.backoff_max_ms = ms(spec.retry_backoff_max);
  job.timeout_ms = ms(spec.timeout);
  if (job.retries < 1) job.retries = 1;
  if (auto p = SettingText(l, key, spec.priority); p && !p->empty()) {
    try {
      job.priority = std::clamp<std::int64_t>(std::stoll(*p), 0, 100);
    } catch (...) {
    }
  }
  job.due = txn_.now_ms();
  job.variables = std::move(vars);
  txn_.Put(ColumnFamily::kJobs, keys::Job(job.id), EncodeJob(job));
  if (job.external) {
    txn_.Put(ColumnFamily::kJobs, keys::ExternalJob(job.type, job.id), "");
    if (env_.external_available) txn_.AfterCommit(env_.external_available);
  } else if (env_.enqueue_job) {
    txn_.AfterCommit([enqueue = env_.enqueue_job, id = job.id, due = job.due,
                      priority = job.priority] { enqueue(id, due, priority); });
  }
  l.st.Find(key)->job = job.id;
  History(l, el.index, "job_created",
          {{"job", IdText(job.id)}, {"type", job.type}, {"external", job.external}});
}

void Runtime::StartCallActivity(Loaded& l, std::uint32_t key) {
  ElementInstance* ei = l.st.Find(key);
  const Element& el = El(l, ei->element);
  auto version = env_.find_version(
      el.called_element, el.called_version ? std::optional<std::uint32_t>(
                                                 static_cast<std::uint32_t>(*el.called_version))
                                           : std::nullopt);
  if (!version) {
    RaiseIncident(l, el.index, ei->parent, key, "called_process",
                  "call activity '" + el.id + "' cannot start process '" + el.called_element +
                      "': " + version.error().message());
    return;
  }
  json::object vars;
  if (el.task.inputs.empty()) {
    vars = VisibleVariables(l, key);
  } else {
    for (const definitions::IoMapping& m : el.task.inputs) {
      if (m.source.expression) {
        auto v = Evaluate(l, key, *m.source.expression);
        if (!v) {
          RaiseIncident(
              l, el.index, ei->parent, key, "expression",
              "input mapping '" + m.target + "' of '" + el.id + "' failed: " + v.error().message());
          return;
        }
        vars[m.target] = v->ToJson();
      } else {
        vars[m.target] = m.source.text;
      }
    }
  }
  auto child = StartAt(*version, kNoElement, std::move(vars), "", l.st.id, key);
  if (!child) {
    RaiseIncident(l, el.index, l.st.Find(key)->parent, key, "called_process",
                  "call activity '" + el.id + "' cannot start process '" + el.called_element +
                      "': " + child.error().message());
    return;
  }
  l.st.Find(key)->child = (*child)->st.id;
  History(l, el.index, "called", {{"instance", IdText((*child)->st.id)}});
}

void Runtime::ResumeParent(Loaded& child) {
  auto parent = Load(child.st.parent_instance);
  if (!parent) return;
  Loaded& p = **parent;
  ElementInstance* call = p.st.Find(child.st.parent_key);
  if (call == nullptr || call->child != child.st.id) return;
  call->child = 0;
  const json::object produced =
      child.st.Find(1) != nullptr ? child.st.Find(1)->variables : json::object();
  if (auto r = MapOutputs(p, call->key, produced); !r) {
    RaiseIncident(p, call->element, call->parent, call->key, "expression", r.error().message());
    return;
  }
  CompleteActivity(p, call->key);
}

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
  DropTask(record);
  ei->task = 0;
  json::object completed{{"task", IdText(task)}, {"variables", variables}, {"user", actor_}};
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
  if (instance == 0 && owner == 1) {  // a postponed task's follow-up date
    QUIRE_ASSIGN_OR_RETURN(std::uint64_t task, d.U64());
    QUIRE_RETURN_IF_ERROR(TaskFollowUpDue(task));
    return Run();
  }
  if (instance == 0 && owner == 3) {
    // A task's due-date timer, as versions before the due-date order kept them: the
    // overdue view now reads that order, so there is nothing to do.
    return Ok();
  }
  if (instance == 0 && owner == 2) {  // a task's escalation rule
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
      txn_.Put(
          ColumnFamily::kHistory, keys::History(seq),
          json::serialize(json::object{
              {"i", l->st.id}, {"t", txn_.now_ms()}, {"a", actor_}, {"e", std::move(l->history)}}));
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
