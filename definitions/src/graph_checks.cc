// Graph analysis of executable processes with Boost.Graph:
//   - elements no start event can reach (error);
//   - elements from which the process can never finish (error): a cycle with no way out;
//   - cycles made only of elements that do not wait (error): nothing can change between
//     two turns, so such a loop spins forever;
//   - flow nodes whose path just stops without an end event (warning);
//   - a parallel join fed by two branches of one exclusive or inclusive split (warning):
//     the join waits for a token that never comes.
//
// The flow graph gets a virtual ROOT (before the start events of the process) and SINK
// (after it completes). Scopes become edges too: a subprocess leads to its start events,
// its end events lead back to it (it completes and continues); an activity leads to its
// boundary events; a scope leads to its event subprocesses; a link throw leads to its catch.
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/reverse_graph.hpp>
#include <boost/graph/strong_components.hpp>
#include <map>
#include <set>

#include "reader.h"

namespace quire::definitions::internal {
namespace {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;
using Vertex = Graph::vertex_descriptor;

// A task that runs its connector inside the engine's step (noop, set-variables): the
// token passes it without stopping.
bool RunsInline(const Element& e, const LoadOptions& options) {
  const bool runs_a_job = e.kind == ElementKind::kServiceTask || e.kind == ElementKind::kSendTask ||
                          e.kind == ElementKind::kBusinessRuleTask;
  return runs_a_job && !e.task.external && options.inline_task_types.contains(e.task.connector);
}

// An element the engine stops at until something happens (a person, a job, a message, a
// timer, a child process). Everything else passes a token straight on.
bool Waits(const Element& e, const LoadOptions& options) {
  switch (e.kind) {
    case ElementKind::kServiceTask:
    case ElementKind::kSendTask:
    case ElementKind::kBusinessRuleTask:
      return !RunsInline(e, options);
    case ElementKind::kUserTask:
    case ElementKind::kReceiveTask:
    case ElementKind::kCallActivity:
    case ElementKind::kSubProcess:
    case ElementKind::kEventBasedGateway:
      return true;
    case ElementKind::kIntermediateCatchEvent:
      return e.trigger != EventTrigger::kLink;
    default:
      return false;
  }
}

template <typename G>
std::vector<bool> ReachableFrom(const G& graph, Vertex from) {
  std::vector<boost::default_color_type> colors(boost::num_vertices(graph));
  boost::breadth_first_search(graph, from,
                              boost::color_map(boost::make_iterator_property_map(
                                  colors.begin(), boost::get(boost::vertex_index, graph))));
  std::vector<bool> reached(colors.size());
  for (std::size_t i = 0; i < colors.size(); ++i) {
    reached[i] = colors[i] != boost::white_color;
  }
  return reached;
}

class GraphChecker {
 public:
  GraphChecker(const Process& process, const LoadOptions& options, Findings& findings)
      : p_(process),
        options_(options),
        findings_(findings),
        n_(process.elements.size()),
        graph_(n_ + 2) {}

  void Run() {
    BuildGraph();
    component_.assign(n_ + 2, 0);
    components_ = static_cast<std::size_t>(boost::strong_components(
        graph_, boost::make_iterator_property_map(component_.begin(),
                                                  boost::get(boost::vertex_index, graph_))));
    members_.assign(components_, {});
    for (const Element& e : p_.elements) members_[Component(e.index)].push_back(e.index);

    const std::vector<bool> from_root = ReachableFrom(graph_, root());
    const std::vector<bool> to_sink = ReachableFrom(boost::make_reverse_graph(graph_), sink());
    ReportUnreachable(from_root);
    ReportTraps(from_root, to_sink);
    CheckSpinningLoops();
    CheckJoins();
  }

 private:
  std::size_t Component(Vertex v) const { return static_cast<std::size_t>(component_[v]); }

  // One error per unreachable region, at its entry: the user fixes that, the rest follows.
  void ReportUnreachable(const std::vector<bool>& from_root) {
    std::vector<bool> fed(components_, false);  // entered from another unreachable component
    for (const Element& e : p_.elements) {
      if (from_root[e.index]) continue;
      for (auto [it, end] = boost::in_edges(e.index, graph_); it != end; ++it) {
        const Vertex from = boost::source(*it, graph_);
        if (!from_root[from] && Component(from) != Component(e.index))
          fed[Component(e.index)] = true;
      }
    }
    for (std::size_t c = 0; c < components_; ++c) {
      if (members_[c].empty() || from_root[members_[c][0]] || fed[c]) continue;
      const Element& e = p_.elements[members_[c][0]];
      std::string also;
      if (members_[c].size() > 1) also = " (nor can the loop it is part of)";
      findings_.Error(e.where, e.id,
                      std::string(KindName(e.kind)) + " '" + e.id +
                          "' can never be reached from a start event" + also);
    }
  }

  // A reachable group of elements that no path leaves: a token that enters never finishes.
  void ReportTraps(const std::vector<bool>& from_root, const std::vector<bool>& to_sink) {
    for (std::size_t c = 0; c < components_; ++c) {
      const auto& group = members_[c];
      if (group.empty() || !from_root[group[0]] || to_sink[group[0]]) continue;
      bool leaves = false;
      for (ElementIndex i : group) {
        for (auto [it, end] = boost::out_edges(i, graph_); it != end && !leaves; ++it) {
          leaves = Component(boost::target(*it, graph_)) != c;
        }
      }
      if (leaves) continue;  // its paths lead into a trap reported on its own
      const Element& e = p_.elements[group[0]];
      findings_.Error(
          e.where, e.id,
          "once a token reaches " + Names(group) +
              ", the process can never finish: no path leads from there to an end event");
    }
  }

  std::string Names(const std::vector<ElementIndex>& group) const {
    std::string names;
    for (std::size_t k = 0; k < group.size() && k < 5; ++k) {
      names += (k == 0 ? "'" : ", '") + p_.elements[group[k]].id + "'";
    }
    if (group.size() > 5) names += ", ...";
    return names;
  }

  Vertex root() const { return n_; }
  Vertex sink() const { return n_ + 1; }

  // Where a token goes when the scope of `e` completes.
  Vertex Completion(const Element& e) const { return e.parent == kNoElement ? sink() : e.parent; }

  void BuildGraph() {
    std::map<std::pair<ElementIndex, std::string>, ElementIndex> link_catches;
    for (const Element& e : p_.elements) {
      if (e.kind == ElementKind::kIntermediateCatchEvent && e.trigger == EventTrigger::kLink) {
        link_catches[{e.parent, e.trigger_ref}] = e.index;
      }
    }
    for (const SequenceFlow& f : p_.flows) {
      if (f.source != kNoElement && f.target != kNoElement) {
        boost::add_edge(f.source, f.target, graph_);
      } else if (f.source != kNoElement) {
        // A flow to an unknown element is reported already: let its source complete rather
        // than report everything before it as never finishing.
        boost::add_edge(f.source, Completion(p_.elements[f.source]), graph_);
      } else if (f.target != kNoElement) {
        // Likewise a flow from an unknown element: its target counts as reachable.
        const Element& t = p_.elements[f.target];
        boost::add_edge(t.parent == kNoElement ? root() : t.parent, f.target, graph_);
      }
    }
    for (const Element& e : p_.elements) {
      const Vertex scope = e.parent == kNoElement ? root() : e.parent;
      const bool event_subprocess_start =
          e.parent != kNoElement && p_.elements[e.parent].triggered_by_event;
      if (e.kind == ElementKind::kStartEvent && !event_subprocess_start)
        boost::add_edge(scope, e.index, graph_);
      if (e.kind == ElementKind::kStartEvent && event_subprocess_start) {
        boost::add_edge(e.parent, e.index, graph_);
      }
      if (e.kind == ElementKind::kSubProcess && e.triggered_by_event) {
        boost::add_edge(scope, e.index, graph_);
      }
      for (ElementIndex b : e.boundary_events) boost::add_edge(e.index, b, graph_);
      // A boundary event attached to an unknown activity is reported already.
      if (e.kind == ElementKind::kBoundaryEvent && e.attached_to == kNoElement) {
        boost::add_edge(scope, e.index, graph_);
      }
      if (e.kind == ElementKind::kIntermediateThrowEvent && e.trigger == EventTrigger::kLink) {
        const auto it = link_catches.find({e.parent, e.trigger_ref});
        if (it != link_catches.end()) boost::add_edge(e.index, it->second, graph_);
        continue;
      }
      // End events complete their scope; so does any other node where the path stops.
      const bool is_container = e.kind == ElementKind::kSubProcess && e.triggered_by_event;
      if (e.kind == ElementKind::kEndEvent) {
        boost::add_edge(e.index, Completion(e), graph_);
      } else if (e.outgoing.empty() && !is_container) {
        boost::add_edge(e.index, Completion(e), graph_);
        if (e.kind != ElementKind::kStartEvent || e.parent == kNoElement) {
          findings_.Warning(e.where, e.id,
                            std::string(KindName(e.kind)) + " '" + e.id +
                                "' has no outgoing sequence flow, so the path ends there without "
                                "an end event; add one to make the end explicit");
        }
      }
      if (is_container) boost::add_edge(e.index, Completion(e), graph_);
    }
  }

  // Cycles of elements that never wait.
  void CheckSpinningLoops() {
    for (const auto& group : members_) {
      if (group.empty()) continue;
      const bool self_loop = group.size() == 1 && boost::edge(group[0], group[0], graph_).second;
      if (group.size() < 2 && !self_loop) continue;
      // Scope edges (subprocess <-> its content) make cycles that are not loops of flow.
      bool flow_cycle = true;
      bool waits = false;
      std::vector<ElementIndex> inline_tasks;
      for (ElementIndex i : group) {
        const Element& e = p_.elements[i];
        waits = waits || Waits(e, options_);
        if (RunsInline(e, options_)) inline_tasks.push_back(i);
        if (e.kind == ElementKind::kSubProcess) flow_cycle = false;
      }
      if (!flow_cycle || waits) continue;
      const Element& first = p_.elements[group[0]];
      std::string why = " has no wait state (no task, catch event or call)";
      if (!inline_tasks.empty()) {
        const Element& task = p_.elements[inline_tasks.front()];
        why = " has no wait state: '" + task.id + "' runs connector '" + task.task.connector +
              "' inside the engine's step, which does not wait (add a user task, a timer or "
              "a task that runs as a job)";
      }
      findings_.Error(first.where, first.id,
                      "the loop through " + Names(group) + why +
                          ": nothing can change between turns, so it would spin forever");
    }
  }

  // A parallel join where two incoming branches come from different branches of one
  // exclusive (or inclusive, or event-based) split.
  void CheckJoins() {
    for (const Element& join : p_.elements) {
      if (join.kind != ElementKind::kParallelGateway || join.incoming.size() < 2) continue;
      std::map<ElementIndex, std::set<FlowIndex>> choices;  // split → outgoing flows seen
      for (FlowIndex in : join.incoming) {
        for (const auto& [split, flow] : ChoicesUpstream(in)) choices[split].insert(flow);
      }
      for (const auto& [split, flows] : choices) {
        if (flows.size() < 2) continue;
        const Element& s = p_.elements[split];
        findings_.Warning(join.where, join.id,
                          "parallel gateway '" + join.id +
                              "' waits for all its incoming branches, "
                              "but " +
                              KindName(s.kind) + " '" + s.id +
                              "' upstream takes only one "
                              "of them: instances may wait at '" +
                              join.id + "' forever");
      }
    }
  }

  // The (split, outgoing flow) pairs of choosing gateways found walking back from `flow`,
  // stopping at each choice, at parallel splits and at starts.
  std::set<std::pair<ElementIndex, FlowIndex>> ChoicesUpstream(FlowIndex flow) {
    std::set<std::pair<ElementIndex, FlowIndex>> found;
    std::set<FlowIndex> seen;
    std::vector<FlowIndex> todo{flow};
    while (!todo.empty()) {
      const FlowIndex f = todo.back();
      todo.pop_back();
      if (!seen.insert(f).second) continue;
      const ElementIndex source = p_.flows[f].source;
      if (source == kNoElement) continue;
      const Element& e = p_.elements[source];
      const bool chooses =
          (e.kind == ElementKind::kExclusiveGateway || e.kind == ElementKind::kInclusiveGateway ||
           e.kind == ElementKind::kEventBasedGateway) &&
          e.outgoing.size() > 1;
      if (chooses) {
        found.emplace(source, f);
        continue;
      }
      if (e.kind == ElementKind::kParallelGateway && e.outgoing.size() > 1) continue;
      for (FlowIndex in : e.incoming) todo.push_back(in);
    }
    return found;
  }

  const Process& p_;
  const LoadOptions& options_;
  Findings& findings_;
  std::size_t n_;
  Graph graph_;
  std::vector<int> component_;  // strongly connected component of each vertex
  std::size_t components_ = 0;
  std::vector<std::vector<ElementIndex>> members_;  // elements of each component, by index
};

}  // namespace

void CheckGraphs(const Definitions& definitions, const LoadOptions& options, Findings& findings) {
  for (const Process& process : definitions.processes) {
    if (process.executable) GraphChecker(process, options, findings).Run();
  }
}

}  // namespace quire::definitions::internal
