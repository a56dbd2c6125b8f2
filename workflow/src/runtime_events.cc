// Runtime, part: triggers, errors, escalations, incidents, and the waits that catch events.
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

}  // namespace quire::workflow
