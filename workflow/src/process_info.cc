#include "process_info.h"

#include <deque>

namespace quire::workflow {

using definitions::ElementKind;
using definitions::EventTrigger;
using definitions::kNoElement;

ProcessInfo::ProcessInfo(const definitions::Process& process) {
  const std::size_t scopes = process.elements.size() + 1;
  none_start_.assign(scopes, kNoElement);
  event_starts_.resize(scopes);
  for (const definitions::Element& e : process.elements) {
    if (e.kind == ElementKind::kStartEvent) {
      const bool in_event_sub =
          e.parent != kNoElement && process.elements[e.parent].triggered_by_event;
      if (in_event_sub) {
        const ElementIndex sub = e.parent;
        event_starts_[ScopeIndex(process.elements[sub].parent)].push_back(e.index);
      } else if (e.trigger == EventTrigger::kNone &&
                 none_start_[ScopeIndex(e.parent)] == kNoElement) {
        none_start_[ScopeIndex(e.parent)] = e.index;
      }
    }
    if (e.kind == ElementKind::kIntermediateCatchEvent && e.trigger == EventTrigger::kLink) {
      links_.emplace(std::pair(e.parent, e.trigger_ref), e.index);
    }
  }
  // Reverse reachability for inclusive joins: walk incoming flows (and from a boundary
  // event back to the activity it is attached to).
  for (const definitions::Element& e : process.elements) {
    if (e.kind != ElementKind::kInclusiveGateway || e.incoming.size() < 2) continue;
    std::vector<bool> reach(process.elements.size(), false);
    std::deque<ElementIndex> todo;
    for (const auto f : e.incoming) todo.push_back(process.flows[f].source);
    while (!todo.empty()) {
      const ElementIndex at = todo.front();
      todo.pop_front();
      if (at == kNoElement || reach[at]) continue;
      reach[at] = true;
      const definitions::Element& el = process.elements[at];
      for (const auto f : el.incoming) todo.push_back(process.flows[f].source);
      if (el.kind == ElementKind::kBoundaryEvent) todo.push_back(el.attached_to);
      if (el.kind == ElementKind::kIntermediateCatchEvent && el.trigger == EventTrigger::kLink) {
        for (const definitions::Element& t : process.elements) {
          if (t.kind == ElementKind::kIntermediateThrowEvent && t.trigger == EventTrigger::kLink &&
              t.trigger_ref == el.trigger_ref && t.parent == el.parent) {
            todo.push_back(t.index);
          }
        }
      }
    }
    reaches_.emplace(e.index, std::move(reach));
  }
}

ElementIndex ProcessInfo::LinkTarget(ElementIndex scope_element, const std::string& name) const {
  const auto it = links_.find(std::pair(scope_element, name));
  return it == links_.end() ? kNoElement : it->second;
}

bool ProcessInfo::CanReach(ElementIndex from, ElementIndex join) const {
  const auto it = reaches_.find(join);
  if (it == reaches_.end() || from >= it->second.size()) return false;
  return it->second[from];
}

const ProcessInfo& ProcessInfoCache::Get(const definitions::Process& process) {
  std::lock_guard lock(mu_);
  auto& slot = infos_[&process];
  if (!slot) slot = std::make_unique<ProcessInfo>(process);
  return *slot;
}

}  // namespace quire::workflow
