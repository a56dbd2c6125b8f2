// The process model: what a BPMN file means to the engine, immutable once loaded.
//
// Elements and sequence flows of a process live in flat arrays and refer to each other by
// index (ElementIndex, FlowIndex), so the engine walks the graph without string look-ups.
// An element inside an embedded subprocess names it as `parent`; the process level has no
// parent. Ids stay available for messages, history and the diagram.
//
// Stored values (enum numbers below) go into deployments and instance records: never
// renumber them; add new values at the end.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "quire/definitions/diagnostic.h"
#include "quire/definitions/expression.h"
#include "quire/definitions/typed_fields.h"

namespace quire::definitions {

using ElementIndex = std::uint32_t;
using FlowIndex = std::uint32_t;
inline constexpr ElementIndex kNoElement = std::numeric_limits<ElementIndex>::max();
inline constexpr FlowIndex kNoFlow = std::numeric_limits<FlowIndex>::max();

enum class ElementKind : std::uint8_t {  // stored: never renumber
  kStartEvent = 0,
  kEndEvent = 1,
  kIntermediateCatchEvent = 2,
  kIntermediateThrowEvent = 3,
  kBoundaryEvent = 4,
  kTask = 5,
  kUserTask = 6,
  kServiceTask = 7,
  kSendTask = 8,
  kReceiveTask = 9,
  kManualTask = 10,
  kBusinessRuleTask = 11,  // runs as a service task
  kSubProcess = 12,        // embedded; an event subprocess when triggered_by_event
  kCallActivity = 13,
  kExclusiveGateway = 14,
  kParallelGateway = 15,
  kInclusiveGateway = 16,
  kEventBasedGateway = 17,
};

// The BPMN element name of a kind, e.g. "userTask".
const char* KindName(ElementKind kind);
bool IsActivity(ElementKind kind);
bool IsGateway(ElementKind kind);
bool IsEvent(ElementKind kind);

enum class EventTrigger : std::uint8_t {  // stored: never renumber
  kNone = 0,
  kTimer = 1,
  kMessage = 2,
  kSignal = 3,
  kError = 4,
  kEscalation = 5,
  kTerminate = 6,
  kLink = 7,
};

const char* TriggerName(EventTrigger trigger);

struct TimerSpec {
  enum class Kind : std::uint8_t { kDate = 0, kDuration = 1, kCycle = 2 };  // stored
  Kind kind = Kind::kDuration;
  std::string expression;           // as written: ISO 8601 text, or an expression
  std::optional<Expression> value;  // when written as ${...} or = ...: computes the text
};

// Expressions are compiled when the file is loaded; absent means "not given".
struct LoopSpec {
  enum class Kind : std::uint8_t {  // stored: never renumber
    kNone = 0,
    kStandard = 1,
    kParallel = 2,    // multi-instance, all at once
    kSequential = 3,  // multi-instance, one after another
  };
  Kind kind = Kind::kNone;
  std::optional<Expression> cardinality;           // multi-instance: number of instances
  std::optional<Expression> collection;            // multi-instance: one instance per item
  std::string element_variable;                    // multi-instance: name of the current item
  std::string output_collection;                   // multi-instance: collects output_element
  std::optional<Expression> output_element;        // multi-instance: collected per instance
  std::optional<Expression> completion_condition;  // multi-instance: stop early when true
  std::optional<Expression> loop_condition;        // standard: repeat while true
  bool test_before = false;                        // standard: test before the first run
  std::optional<std::int64_t> loop_maximum;        // standard: at most this many runs
};

// A task setting as written: a literal ("demo", "sales, management", "50") or, when it is
// written ${...}, #{...} or = ..., an expression computed when the task is created.
struct Setting {
  std::string text;
  std::optional<Expression> expression;

  bool empty() const { return text.empty(); }
};

// A field of a task form, from Quire's <quire:field>, Camunda 7's <camunda:formField> or a
// Camunda Forms (form-js) schema: a typed field (typed_fields.h), checked on completion by
// the same rules as documents' metadata and the CRM's custom fields.
using FormOption = FieldOption;
using FormField = Field;

// What happens to an unattended task after a while (several levels are allowed).
struct EscalationRule {
  enum class Action : std::uint8_t {  // stored: never renumber
    kNotify = 0,                      // remind: queue a notification
    kReassignToGroup = 1,             // move the task to `group`'s queue
    kReassignToSupervisor = 2,        // give the task to the assignee's supervisor
  };
  Location where;
  Duration after;  // counted from task creation, or from the due date
  bool from_due_date = false;
  Action action = Action::kNotify;
  std::string group;                // kReassignToGroup
  std::int64_t raise_priority = 0;  // added to the priority (capped at 100)
  std::string notify;  // who hears of it: "assignee", "supervisor", a group or a user id
};

// A record a user task is about (a customer, an offer...): kind and an id, usually an
// expression over the process variables (quire:link).
struct TaskLink {
  std::string kind;
  Setting id;
};

struct IoMapping {
  std::string target;  // variable (input) or process variable (output) to set
  Setting source;      // literal or expression
};

// What user and service tasks carry beyond BPMN: assignment, scheduling, forms,
// escalation, connectors and mappings. Read from the Quire, Camunda 7 and Zeebe forms.
struct TaskSpec {
  Setting assignee;
  Setting candidate_users;   // comma-separated, or an expression giving a list
  Setting candidate_groups;  // comma-separated, or an expression giving a list
  Setting priority;          // 0-100
  Setting due_date;          // ISO 8601 date-time, or an expression
  Setting follow_up_date;
  std::string form_key;   // camunda:formKey / quire:formKey: a form the UI knows
  std::string form_ref;   // camunda:formRef / zeebe:formDefinition formId: a deployed form
  std::string form_json;  // zeebe:userTaskForm: an embedded Camunda Forms schema
  // Which version of form_ref a task uses: "latest" (also when empty), "deployment" (the
  // latest deployed by the time the process version was) or "version" (form_ref_version).
  std::string form_ref_binding;
  std::optional<std::int64_t> form_ref_version;
  std::vector<TaskLink> links;
  std::vector<FormField> form_fields;
  std::vector<EscalationRule> escalations;
  std::vector<std::string> required_documents;  // document types needed before completion

  std::string connector;  // service tasks: connector type ("http", "noop", a worker topic)
  bool external = false;  // fetched and locked by an external worker
  std::optional<std::int64_t> retries;
  std::string retry_cycle;  // e.g. R5/PT5M: that many retries, that long apart
  // Exponential backoff instead: the first wait, doubled each retry up to the cap.
  std::optional<Duration> retry_backoff;
  std::optional<Duration> retry_backoff_max;
  std::optional<Duration> timeout;  // one attempt may take this long
  std::vector<IoMapping> inputs;
  std::vector<IoMapping> outputs;
};

struct Element {
  ElementIndex index = kNoElement;
  std::string id;
  std::string name;
  std::string documentation;
  ElementKind kind = ElementKind::kTask;
  ElementIndex parent = kNoElement;  // enclosing subprocess, or kNoElement at process level
  Location where;
  std::vector<FlowIndex> incoming;
  std::vector<FlowIndex> outgoing;

  // Events.
  EventTrigger trigger = EventTrigger::kNone;
  std::string trigger_ref;  // id of the message/signal/error/escalation; link name for links
  std::optional<TimerSpec> timer;
  // Boundary events: cancelActivity. Start events of event subprocesses: isInterrupting.
  bool interrupting = true;
  ElementIndex attached_to = kNoElement;      // boundary events
  std::vector<ElementIndex> boundary_events;  // activities: the events attached to them

  // Gateways and activities.
  FlowIndex default_flow = kNoFlow;

  // Activities.
  LoopSpec loop;
  bool triggered_by_event = false;             // subprocess: an event subprocess
  TaskSpec task;                               // user, service, send, business rule tasks
  std::string called_element;                  // call activity: process id to start
  std::optional<std::int64_t> called_version;  // call activity: pinned version, else latest
};

struct SequenceFlow {
  FlowIndex index = kNoFlow;
  std::string id;
  std::string name;
  ElementIndex source = kNoElement;
  ElementIndex target = kNoElement;
  std::optional<Expression> condition;  // absent means "always"
  Location where;
};

struct Process {
  std::string id;
  std::string name;
  bool executable = true;
  Location where;
  // How long the history of an ended instance is kept (camunda:historyTimeToLive); absent
  // means the engine's default.
  std::optional<Duration> history_ttl;
  std::vector<Element> elements;
  std::vector<SequenceFlow> flows;

  // Looks an element up by id; kNoElement when absent.
  ElementIndex Find(const std::string& id) const;

  std::unordered_map<std::string, ElementIndex> element_ids;
};

// Root-level definitions that events refer to.
struct Message {
  std::string id;
  std::string name;
  std::optional<Expression> correlation_key;  // evaluated when an instance starts waiting
};
struct Signal {
  std::string id;
  std::string name;
};
struct ErrorDef {
  std::string id;
  std::string name;
  std::string code;
};
struct Escalation {
  std::string id;
  std::string name;
  std::string code;
};

struct Participant {
  std::string id;
  std::string name;
  std::string process_ref;
};

struct Definitions {
  std::string id;
  std::string target_namespace;
  std::vector<Process> processes;
  std::vector<Message> messages;
  std::vector<Signal> signals;
  std::vector<ErrorDef> errors;
  std::vector<Escalation> escalations;
  std::vector<Participant> participants;  // collaboration, kept for the diagram
  // The file as given: the diagram (BPMNDI), lanes, annotations and everything else kept
  // for display are in it, byte for byte.
  std::string source;

  const Process* FindProcess(const std::string& id) const;
  const Message* FindMessage(const std::string& id) const;
  const Signal* FindSignal(const std::string& id) const;
  const ErrorDef* FindError(const std::string& id) const;
  const Escalation* FindEscalation(const std::string& id) const;
};

}  // namespace quire::definitions
