#include "quire/definitions/model.h"

#include <algorithm>

namespace quire::definitions {

const char* KindName(ElementKind kind) {
  switch (kind) {
    case ElementKind::kStartEvent:
      return "startEvent";
    case ElementKind::kEndEvent:
      return "endEvent";
    case ElementKind::kIntermediateCatchEvent:
      return "intermediateCatchEvent";
    case ElementKind::kIntermediateThrowEvent:
      return "intermediateThrowEvent";
    case ElementKind::kBoundaryEvent:
      return "boundaryEvent";
    case ElementKind::kTask:
      return "task";
    case ElementKind::kUserTask:
      return "userTask";
    case ElementKind::kServiceTask:
      return "serviceTask";
    case ElementKind::kSendTask:
      return "sendTask";
    case ElementKind::kReceiveTask:
      return "receiveTask";
    case ElementKind::kManualTask:
      return "manualTask";
    case ElementKind::kBusinessRuleTask:
      return "businessRuleTask";
    case ElementKind::kSubProcess:
      return "subProcess";
    case ElementKind::kCallActivity:
      return "callActivity";
    case ElementKind::kExclusiveGateway:
      return "exclusiveGateway";
    case ElementKind::kParallelGateway:
      return "parallelGateway";
    case ElementKind::kInclusiveGateway:
      return "inclusiveGateway";
    case ElementKind::kEventBasedGateway:
      return "eventBasedGateway";
  }
  return "element";
}

bool IsActivity(ElementKind kind) {
  return kind >= ElementKind::kTask && kind <= ElementKind::kCallActivity;
}

bool IsGateway(ElementKind kind) {
  return kind >= ElementKind::kExclusiveGateway && kind <= ElementKind::kEventBasedGateway;
}

bool IsEvent(ElementKind kind) { return kind <= ElementKind::kBoundaryEvent; }

const char* TriggerName(EventTrigger trigger) {
  switch (trigger) {
    case EventTrigger::kNone:
      return "none";
    case EventTrigger::kTimer:
      return "timer";
    case EventTrigger::kMessage:
      return "message";
    case EventTrigger::kSignal:
      return "signal";
    case EventTrigger::kError:
      return "error";
    case EventTrigger::kEscalation:
      return "escalation";
    case EventTrigger::kTerminate:
      return "terminate";
    case EventTrigger::kLink:
      return "link";
  }
  return "unknown";
}

ElementIndex Process::Find(const std::string& element_id) const {
  const auto it = element_ids.find(element_id);
  return it == element_ids.end() ? kNoElement : it->second;
}

namespace {
template <typename T>
const T* FindById(const std::vector<T>& items, const std::string& id) {
  const auto it = std::find_if(items.begin(), items.end(), [&](const T& i) { return i.id == id; });
  return it == items.end() ? nullptr : &*it;
}
}  // namespace

const Process* Definitions::FindProcess(const std::string& process_id) const {
  return FindById(processes, process_id);
}
const Message* Definitions::FindMessage(const std::string& message_id) const {
  return FindById(messages, message_id);
}
const Signal* Definitions::FindSignal(const std::string& signal_id) const {
  return FindById(signals, signal_id);
}
const ErrorDef* Definitions::FindError(const std::string& error_id) const {
  return FindById(errors, error_id);
}
const Escalation* Definitions::FindEscalation(const std::string& escalation_id) const {
  return FindById(escalations, escalation_id);
}

}  // namespace quire::definitions
