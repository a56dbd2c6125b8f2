// The rules of BPMN elements that the reader cannot see one element at a time: which
// triggers each kind of event may have, what events refer to, gateway outgoing flows,
// subprocess start events, link pairs, multi-instance inputs.
#include <re2/re2.h>
#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "quire/definitions/iso8601.h"
#include "reader.h"

namespace quire::definitions::internal {
namespace {

bool TriggerAllowed(const Element& e, const Process& process) {
  using T = EventTrigger;
  const T t = e.trigger;
  switch (e.kind) {
    case ElementKind::kStartEvent: {
      const bool in_event_subprocess =
          e.parent != kNoElement && process.elements[e.parent].triggered_by_event;
      if (in_event_subprocess) {
        return t == T::kTimer || t == T::kMessage || t == T::kSignal || t == T::kError ||
               t == T::kEscalation;
      }
      return t == T::kNone || t == T::kTimer || t == T::kMessage || t == T::kSignal;
    }
    case ElementKind::kEndEvent:
      return t == T::kNone || t == T::kTerminate || t == T::kError || t == T::kEscalation ||
             t == T::kMessage || t == T::kSignal;
    case ElementKind::kIntermediateCatchEvent:
      return t == T::kTimer || t == T::kMessage || t == T::kSignal || t == T::kLink;
    case ElementKind::kIntermediateThrowEvent:
      return t == T::kNone || t == T::kEscalation || t == T::kMessage || t == T::kSignal ||
             t == T::kLink;
    case ElementKind::kBoundaryEvent:
      return t == T::kTimer || t == T::kMessage || t == T::kSignal || t == T::kError ||
             t == T::kEscalation;
    default:
      return true;
  }
}

class RuleChecker {
 public:
  RuleChecker(const Definitions& definitions, Findings& findings)
      : defs_(definitions), findings_(findings) {}

  void Run() {
    for (const Process& process : defs_.processes) {
      findings_.SetLenient(!process.executable);
      CheckProcess(process);
      findings_.SetLenient(false);
    }
  }

 private:
  void Error(const Element& e, const std::string& message) {
    findings_.Error(e.where, e.id, message);
  }

  void CheckProcess(const Process& p) {
    const bool has_start = std::any_of(p.elements.begin(), p.elements.end(), [](const Element& e) {
      return e.kind == ElementKind::kStartEvent && e.parent == kNoElement;
    });
    if (!has_start && !p.elements.empty()) {
      findings_.Error(p.where, p.id,
                      "process '" + p.id +
                          "' has no start event at its top level; add a "
                          "<startEvent>");
    }
    std::map<std::pair<ElementIndex, std::string>, int> link_catches;
    for (const Element& e : p.elements) {
      if (e.kind == ElementKind::kIntermediateCatchEvent && e.trigger == EventTrigger::kLink) {
        ++link_catches[{e.parent, e.trigger_ref}];
      }
    }
    for (const Element& e : p.elements) {
      if (IsEvent(e.kind)) CheckEvent(p, e, link_catches);
      if (IsGateway(e.kind)) CheckGateway(p, e);
      if (IsActivity(e.kind)) CheckActivity(p, e);
      if (e.kind == ElementKind::kReceiveTask) CheckReceiveTask(e);
    }
    for (const SequenceFlow& f : p.flows) {
      if (f.source == kNoElement || !f.condition) continue;
      const ElementKind from = p.elements[f.source].kind;
      if (from == ElementKind::kParallelGateway || from == ElementKind::kEventBasedGateway) {
        findings_.Warning(
            f.where, f.id,
            "the condition on sequence flow '" + f.id + "' is ignored: flows out of " +
                std::string(from == ElementKind::kParallelGateway ? "a parallel"
                                                                  : "an event-based") +
                " gateway are always taken");
      }
    }
  }

  void CheckEvent(const Process& p, const Element& e,
                  const std::map<std::pair<ElementIndex, std::string>, int>& link_catches) {
    if (!TriggerAllowed(e, p)) {
      const bool none = e.trigger == EventTrigger::kNone;
      Error(e, std::string("a ") + (none ? "none" : TriggerName(e.trigger)) + " " +
                   KindName(e.kind) + " ('" + e.id + "') is not valid BPMN" +
                   (none && e.kind == ElementKind::kStartEvent
                        ? ": the start event of an event subprocess needs a trigger"
                        : (none ? ": add an event definition" : "")));
      return;
    }
    if (e.timer) CheckTimer(e);
    switch (e.trigger) {
      case EventTrigger::kMessage:
        if (e.trigger_ref.empty()) {
          if (e.kind != ElementKind::kEndEvent && e.kind != ElementKind::kIntermediateThrowEvent) {
            Error(e, "message event '" + e.id +
                         "' needs a messageRef naming the message it waits for");
          }
        } else if (defs_.FindMessage(e.trigger_ref) == nullptr) {
          Error(e, "message event '" + e.id + "' refers to message '" + e.trigger_ref +
                       "', which is not defined; add <message id=\"" + e.trigger_ref +
                       "\" name=...>");
        }
        break;
      case EventTrigger::kSignal:
        if (e.trigger_ref.empty()) {
          Error(e, "signal event '" + e.id + "' needs a signalRef");
        } else if (defs_.FindSignal(e.trigger_ref) == nullptr) {
          Error(e, "signal event '" + e.id + "' refers to signal '" + e.trigger_ref +
                       "', which is not defined");
        }
        break;
      case EventTrigger::kError:
        if (!e.trigger_ref.empty() && defs_.FindError(e.trigger_ref) == nullptr) {
          Error(e, "error event '" + e.id + "' refers to error '" + e.trigger_ref +
                       "', which is not defined");
        } else if (e.trigger_ref.empty() && e.kind == ElementKind::kEndEvent) {
          Error(e, "error end event '" + e.id + "' needs an errorRef naming the error it throws");
        }
        break;
      case EventTrigger::kEscalation:
        if (!e.trigger_ref.empty() && defs_.FindEscalation(e.trigger_ref) == nullptr) {
          Error(e, "escalation event '" + e.id + "' refers to escalation '" + e.trigger_ref +
                       "', which is not defined");
        } else if (e.trigger_ref.empty() && e.kind != ElementKind::kBoundaryEvent &&
                   e.kind != ElementKind::kStartEvent) {
          Error(e, "escalation event '" + e.id + "' needs an escalationRef naming what it raises");
        }
        break;
      case EventTrigger::kLink:
        if (e.trigger_ref.empty()) {
          Error(e, "link event '" + e.id + "' needs a name: throw and catch links pair by name");
        } else if (e.kind == ElementKind::kIntermediateThrowEvent) {
          const auto it = link_catches.find({e.parent, e.trigger_ref});
          if (it == link_catches.end()) {
            Error(e, "link '" + e.trigger_ref + "' thrown by '" + e.id +
                         "' has no catching link event of that name in the same scope");
          } else if (it->second > 1) {
            Error(e, "link '" + e.trigger_ref +
                         "' is caught by several events in this scope; "
                         "a link name must have one target");
          }
        }
        break;
      default:
        break;
    }
    if (e.kind == ElementKind::kStartEvent && !e.incoming.empty()) {
      Error(e, "start event '" + e.id + "' has incoming sequence flows; a start event has none");
    }
    if (e.kind == ElementKind::kBoundaryEvent && !e.incoming.empty()) {
      Error(e, "boundary event '" + e.id + "' has incoming sequence flows; it has none");
    }
    if (e.kind == ElementKind::kEndEvent && !e.outgoing.empty()) {
      Error(e, "end event '" + e.id + "' has outgoing sequence flows; an end event has none");
    }
    if (e.kind == ElementKind::kStartEvent && e.parent != kNoElement &&
        !p.elements[e.parent].triggered_by_event && e.trigger != EventTrigger::kNone) {
      Error(e, "start event '" + e.id + "' of an embedded subprocess must be a none start event");
    }
  }

  // A literal timer value must parse; an expression (${...}, #{...}, or FEEL's "= ...") is
  // evaluated when the timer starts.
  void CheckTimer(const Element& e) {
    const std::string& text = e.timer->expression;
    if (text.empty() || text.starts_with("${") || text.starts_with("#{") || text.starts_with("=")) {
      return;  // an expression: checked when it was compiled
    }
    Result<void> ok = Ok();
    switch (e.timer->kind) {
      case TimerSpec::Kind::kDate:
        if (auto r = ParseDateTime(text); !r) ok = r.error();
        break;
      case TimerSpec::Kind::kDuration:
        if (auto r = ParseDuration(text); !r) ok = r.error();
        break;
      case TimerSpec::Kind::kCycle:
        if (!text.starts_with("R") && text.find(' ') != std::string::npos) {
          Error(e, "timer '" + e.id + "' uses the cron expression '" + text +
                       "', which Quire does not support; use an ISO 8601 repeating interval "
                       "such as R/PT5M or R/2026-01-01T09:00Z/P1D");
          return;
        }
        if (auto r = ParseCycle(text); !r) ok = r.error();
        break;
    }
    if (!ok) Error(e, "timer '" + e.id + "': " + ok.error().message());
  }

  void CheckGateway(const Process& p, const Element& e) {
    if (e.default_flow != kNoFlow && p.flows[e.default_flow].condition) {
      Error(
          e,
          "default flow '" + p.flows[e.default_flow].id + "' of '" + e.id +
              "' has a condition; a default flow is taken when no condition holds, so it has none");
    }
    if ((e.kind == ElementKind::kExclusiveGateway || e.kind == ElementKind::kInclusiveGateway) &&
        e.outgoing.size() > 1) {
      for (FlowIndex f : e.outgoing) {
        if (f != e.default_flow && !p.flows[f].condition && !findings_.IsBroken(p.flows[f].id)) {
          findings_.Error(p.flows[f].where, p.flows[f].id,
                          "sequence flow '" + p.flows[f].id + "' leaves " + KindName(e.kind) +
                              " '" + e.id +
                              "' without a condition and is not its default flow; "
                              "add a conditionExpression or make it the gateway's default");
        }
      }
    }
    if (e.kind == ElementKind::kEventBasedGateway) {
      if (e.outgoing.size() < 2) {
        Error(e, "event-based gateway '" + e.id +
                     "' needs at least two outgoing flows, one per event");
      }
      for (FlowIndex f : e.outgoing) {
        const ElementIndex t = p.flows[f].target;
        if (t == kNoElement) continue;
        const Element& target = p.elements[t];
        const bool ok = target.kind == ElementKind::kReceiveTask ||
                        (target.kind == ElementKind::kIntermediateCatchEvent &&
                         target.trigger != EventTrigger::kLink);
        if (!ok) {
          Error(e, "event-based gateway '" + e.id + "' leads to '" + target.id + "', a " +
                       KindName(target.kind) +
                       "; it must lead to intermediate catch events "
                       "(message, timer, signal) or receive tasks");
        }
      }
    }
  }

  void CheckReceiveTask(const Element& e) {
    if (e.trigger_ref.empty()) {
      findings_.Warning(e.where, e.id,
                        "receive task '" + e.id +
                            "' names no message (messageRef): it waits until it is triggered "
                            "through the API");
    } else if (defs_.FindMessage(e.trigger_ref) == nullptr) {
      Error(e, "receive task '" + e.id + "' refers to message '" + e.trigger_ref +
                   "', which is not defined; add <message id=\"" + e.trigger_ref + "\" name=...>");
    }
  }

  void CheckTask(const Element& e) {
    const TaskSpec& t = e.task;
    const bool runs_a_job = e.kind == ElementKind::kServiceTask ||
                            e.kind == ElementKind::kSendTask ||
                            e.kind == ElementKind::kBusinessRuleTask;
    if (runs_a_job && t.connector.empty() && !findings_.IsBroken(e.id)) {
      Error(e, std::string(KindName(e.kind)) + " '" + e.id +
                   "' does not say how to run it: give it a connector (<quire:connector "
                   "type=\"...\">, <zeebe:taskDefinition type=\"...\">) or an external "
                   "topic (camunda:type=\"external\" camunda:topic=\"...\")");
    }
    if (!t.priority.empty() && !t.priority.expression) {
      const auto v = ParseWhole(t.priority.text);
      if (!v || *v < 0 || *v > 100) {
        Error(e, "priority of '" + e.id + "' must be a whole number from 0 to 100, not '" +
                     t.priority.text + "'");
      }
    }
    for (const auto& [setting, name] :
         {std::pair{&t.due_date, "dueDate"}, std::pair{&t.follow_up_date, "followUpDate"}}) {
      if (setting->empty() || setting->expression) continue;
      if (!ParseDateTime(setting->text) && !ParseDuration(setting->text)) {
        Error(e, std::string(name) + " of '" + e.id + "' is '" + setting->text +
                     "': expected an ISO 8601 date-time (2026-03-01T09:00Z), a duration from "
                     "creation (P3D) or an expression");
      }
    }
    if (!t.retry_cycle.empty()) {
      if (auto c = ParseCycle(t.retry_cycle); !c) {
        Error(e, "retry cycle of '" + e.id + "': " + c.error().message());
      }
    }
    for (const FormField& f : t.form_fields) CheckFormField(e, f);
  }

  void CheckFormField(const Element& e, const FormField& f) {
    static const std::set<std::string> kTypes = {"string",  "number", "long",
                                                 "boolean", "date",   "enum"};
    const std::string where = "form field '" + f.name + "' of '" + e.id + "'";
    if (f.name.empty()) Error(e, "a form field of '" + e.id + "' has no name");
    if (!kTypes.contains(f.type)) {
      Error(e,
            where + " has type '" + f.type + "'; use string, number, long, boolean, date or enum");
    }
    if (f.type == "enum" && f.options.empty()) Error(e, where + " is an enum with no options");
    if (f.min && f.max && *f.min > *f.max) Error(e, where + " has min greater than max");
    if (f.min_length && f.max_length && *f.min_length > *f.max_length) {
      Error(e, where + " has minLength greater than maxLength");
    }
    // Patterns are matched with RE2 when a task is completed: check them the same way.
    constexpr std::size_t kMaxPattern = 1000;
    if (f.pattern.size() > kMaxPattern) {
      Error(e, where + " has a pattern of " + std::to_string(f.pattern.size()) +
                   " characters; at most " + std::to_string(kMaxPattern) + " are allowed");
    } else if (!f.pattern.empty()) {
      RE2::Options options;
      options.set_log_errors(false);
      const RE2 check(f.pattern, options);
      if (!check.ok()) {
        Error(e, where + " has a pattern that is not a regular expression Quire can run (" +
                     check.error() + "); backreferences and lookaround are not supported");
      }
    }
  }

  static std::optional<std::int64_t> ParseWhole(const std::string& text) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
  }

  void CheckActivity(const Process& p, const Element& e) {
    CheckTask(e);
    if (e.default_flow != kNoFlow && p.flows[e.default_flow].condition) {
      Error(e,
            "default flow '" + p.flows[e.default_flow].id + "' of '" + e.id + "' has a condition");
    }
    if (e.kind == ElementKind::kCallActivity && e.called_element.empty()) {
      Error(e,
            "call activity '" + e.id + "' does not say which process to call; set calledElement");
    }
    if ((e.loop.kind == LoopSpec::Kind::kParallel || e.loop.kind == LoopSpec::Kind::kSequential) &&
        !e.loop.cardinality && !e.loop.collection && !findings_.IsBroken(e.id)) {
      Error(e, "multi-instance activity '" + e.id +
                   "' needs a loopCardinality or a collection "
                   "to say how many instances to run");
    }
    if (e.kind == ElementKind::kSubProcess) {
      std::vector<const Element*> starts;
      for (const Element& child : p.elements) {
        if (child.parent == e.index && child.kind == ElementKind::kStartEvent)
          starts.push_back(&child);
      }
      if (e.triggered_by_event) {
        if (starts.size() != 1) {
          Error(e, "event subprocess '" + e.id +
                       "' needs exactly one start event, which says "
                       "what triggers it; it has " +
                       std::to_string(starts.size()));
        }
        if (!e.incoming.empty() || !e.outgoing.empty()) {
          Error(e, "event subprocess '" + e.id +
                       "' has sequence flows; it is started by its "
                       "event, not by flow");
        }
      } else if (starts.size() > 1) {
        Error(e, "embedded subprocess '" + e.id + "' has " + std::to_string(starts.size()) +
                     " start events; it may have one");
      }
    }
  }

  const Definitions& defs_;
  Findings& findings_;
};

}  // namespace

void CheckRules(const Definitions& definitions, Findings& findings) {
  RuleChecker(definitions, findings).Run();
}

}  // namespace quire::definitions::internal
