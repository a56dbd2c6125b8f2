// Runtime, part: entering elements (events, gateways, activities, multi-instance), completing
// and cancelling them, and ending instances.
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
  json::object data{{"reason", reason}};
  if (ei->mi_inner) data["loopCounter"] = ei->loop_counter;  // the activity's own event counts
  l.st.elements.erase(key);
  if (element != kNoElement) History(l, element, "element_cancelled", std::move(data));
}

void Runtime::CancelChildren(Loaded& l, std::uint32_t key, const std::string& reason) {
  for (const std::uint32_t child : l.st.Children(key)) CancelElement(l, child, reason);
}

void Runtime::EndInstance(Loaded& l, InstanceState::Status status, const std::string& reason) {
  if (l.st.status != InstanceState::Status::kActive) return;
  l.abandoning = status == InstanceState::Status::kCancelled;
  CancelChildren(l, 1, reason.empty() ? "the instance ended" : reason);
  l.abandoning = false;
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
  l.st.reached.clear();  // only a running instance needs them
  l.st.entered.clear();
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

}  // namespace quire::workflow
