#include "reader.h"

#include "quire/definitions/camunda_form.h"

#include <pugixml.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "quire/definitions/bpmn_loader.h"
#include "quire/definitions/iso8601.h"

namespace quire::definitions::internal {

void Findings::Error(Location where, std::string element_id, std::string message) {
  if (lenient_) {
    Warning(where, std::move(element_id), std::move(message) + " (the process is not executable)");
    return;
  }
  has_errors_ = true;
  list_.push_back({Severity::kError, where, std::move(element_id), std::move(message)});
}

void Findings::Warning(Location where, std::string element_id, std::string message) {
  list_.push_back({Severity::kWarning, where, std::move(element_id), std::move(message)});
}

std::vector<Diagnostic> Findings::Take() {
  std::stable_sort(list_.begin(), list_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
  });
  return std::move(list_);
}

namespace {

constexpr std::string_view kActivitiNamespace = "http://activiti.org/bpmn";
constexpr std::string_view kFlowableNamespace = "http://flowable.org/bpmn";

std::string Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

// Maps byte offsets to line and column.
class LineTable {
 public:
  explicit LineTable(std::string_view text) {
    starts_.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') starts_.push_back(i + 1);
    }
  }
  Location At(std::ptrdiff_t offset) const {
    if (offset < 0) return {};
    const auto it =
        std::upper_bound(starts_.begin(), starts_.end(), static_cast<std::size_t>(offset));
    const auto line = static_cast<int>(it - starts_.begin());
    return {line, static_cast<int>(static_cast<std::size_t>(offset) - *(it - 1)) + 1};
  }

 private:
  std::vector<std::size_t> starts_;
};

// Namespace prefixes in scope, innermost last.
class Namespaces {
 public:
  // Adds the declarations on `node`; returns how many to pop on leaving it.
  std::size_t Enter(const pugi::xml_node& node) {
    std::size_t added = 0;
    for (const pugi::xml_attribute& a : node.attributes()) {
      const std::string_view name = a.name();
      if (name == "xmlns") {
        scope_.emplace_back("", a.value());
        ++added;
      } else if (name.starts_with("xmlns:")) {
        scope_.emplace_back(std::string(name.substr(6)), a.value());
        ++added;
      }
    }
    return added;
  }
  void Leave(std::size_t count) { scope_.resize(scope_.size() - count); }

  // (namespace, local name) of an element or attribute name. Attributes without a prefix
  // have no namespace; elements without one take the default namespace.
  std::pair<std::string_view, std::string_view> Resolve(std::string_view qname,
                                                        bool attribute) const {
    const std::size_t colon = qname.find(':');
    const std::string_view prefix = colon == std::string_view::npos ? "" : qname.substr(0, colon);
    const std::string_view local =
        colon == std::string_view::npos ? qname : qname.substr(colon + 1);
    if (prefix.empty() && attribute) return {"", local};
    for (auto it = scope_.rbegin(); it != scope_.rend(); ++it) {
      if (it->first == prefix) return {it->second, local};
    }
    return {prefix.empty() ? "" : "(undeclared prefix)", local};
  }

 private:
  std::vector<std::pair<std::string, std::string>> scope_;
};

// RAII: the namespace declarations of one element are in scope while it is read.
class NsGuard {
 public:
  NsGuard(Namespaces& ns, const pugi::xml_node& node) : ns_(ns), count_(ns.Enter(node)) {}
  NsGuard(const NsGuard&) = delete;
  NsGuard& operator=(const NsGuard&) = delete;
  ~NsGuard() { ns_.Leave(count_); }

 private:
  Namespaces& ns_;
  std::size_t count_;
};

const std::unordered_map<std::string_view, ElementKind>& FlowNodeKinds() {
  static const std::unordered_map<std::string_view, ElementKind> kinds = {
      {"startEvent", ElementKind::kStartEvent},
      {"endEvent", ElementKind::kEndEvent},
      {"intermediateCatchEvent", ElementKind::kIntermediateCatchEvent},
      {"intermediateThrowEvent", ElementKind::kIntermediateThrowEvent},
      {"boundaryEvent", ElementKind::kBoundaryEvent},
      {"task", ElementKind::kTask},
      {"userTask", ElementKind::kUserTask},
      {"serviceTask", ElementKind::kServiceTask},
      {"sendTask", ElementKind::kSendTask},
      {"receiveTask", ElementKind::kReceiveTask},
      {"manualTask", ElementKind::kManualTask},
      {"businessRuleTask", ElementKind::kBusinessRuleTask},
      {"subProcess", ElementKind::kSubProcess},
      {"callActivity", ElementKind::kCallActivity},
      {"exclusiveGateway", ElementKind::kExclusiveGateway},
      {"parallelGateway", ElementKind::kParallelGateway},
      {"inclusiveGateway", ElementKind::kInclusiveGateway},
      {"eventBasedGateway", ElementKind::kEventBasedGateway},
  };
  return kinds;
}

// BPMN elements with execution semantics Quire does not implement, and why / what instead.
const std::unordered_map<std::string_view, std::string_view>& UnsupportedElements() {
  static const std::unordered_map<std::string_view, std::string_view> unsupported = {
      {"complexGateway", "use exclusive, inclusive or parallel gateways"},
      {"transaction", "transactions and their cancel semantics are not run; use a subProcess"},
      {"adHocSubProcess", "ad-hoc subprocesses are not run; model the order explicitly"},
      {"scriptTask", "Quire evaluates no script languages; use a serviceTask with a connector"},
      {"choreographyTask", "choreographies describe, they do not execute"},
      {"subChoreography", "choreographies describe, they do not execute"},
      {"callChoreography", "choreographies describe, they do not execute"},
      {"choreography", "choreographies describe, they do not execute"},
      {"globalScriptTask", "Quire evaluates no script languages"},
      {"globalBusinessRuleTask", "call a process, not a global task"},
      {"globalUserTask", "call a process, not a global task"},
      {"globalManualTask", "call a process, not a global task"},
      {"globalTask", "call a process, not a global task"},
  };
  return unsupported;
}

// Elements that describe the model for people and never change execution: kept (in the
// source) for display, never a reason to fail.
bool IsDescriptive(std::string_view local) {
  static const std::unordered_set<std::string_view> names = {"laneSet",
                                                             "lane",
                                                             "textAnnotation",
                                                             "association",
                                                             "group",
                                                             "dataObject",
                                                             "dataObjectReference",
                                                             "dataStoreReference",
                                                             "dataStore",
                                                             "documentation",
                                                             "extensionElements",
                                                             "ioSpecification",
                                                             "property",
                                                             "dataInputAssociation",
                                                             "dataOutputAssociation",
                                                             "dataInput",
                                                             "dataOutput",
                                                             "inputSet",
                                                             "outputSet",
                                                             "category",
                                                             "categoryValue",
                                                             "itemDefinition",
                                                             "collaboration",
                                                             "participant",
                                                             "messageFlow",
                                                             "conversation",
                                                             "subConversation",
                                                             "callConversation",
                                                             "conversationLink",
                                                             "correlationProperty",
                                                             "correlationKey",
                                                             "correlationSubscription",
                                                             "interface",
                                                             "operation",
                                                             "resource",
                                                             "resourceRole",
                                                             "performer",
                                                             "humanPerformer",
                                                             "potentialOwner",
                                                             "auditing",
                                                             "monitoring",
                                                             "incoming",
                                                             "outgoing",
                                                             "import",
                                                             "extension",
                                                             "relationship",
                                                             "partnerEntity",
                                                             "partnerRole",
                                                             "endPoint",
                                                             "rendering",
                                                             "supportedInterfaceRef",
                                                             "ioBinding",
                                                             "dataState"};
  return names.contains(local);
}

bool IsEventDefinition(std::string_view local) { return local.ends_with("EventDefinition"); }

// A length or count read as a number: its whole part, clamped to [0, 2^53], so that no
// double is converted to an integer it does not fit (NaN counts as 0).
std::int64_t ToLength(double v) {
  if (!(v > 0)) return 0;
  return static_cast<std::int64_t>(std::min(std::trunc(v), 9007199254740992.0));
}

std::optional<std::int64_t> ParseInt(std::string_view text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

class Reader {
 public:
  Reader(std::string_view xml, Definitions& out, Findings& findings)
      : xml_(xml), lines_(xml), out_(out), findings_(findings) {}

  bool Read() {
    pugi::xml_document doc;
    const unsigned flags = pugi::parse_default | pugi::parse_doctype;
    const pugi::xml_parse_result parsed =
        doc.load_buffer(xml_.data(), xml_.size(), flags, pugi::encoding_utf8);
    if (!parsed) {
      findings_.Error(lines_.At(parsed.offset), "",
                      std::string("malformed XML: ") + parsed.description());
      return false;
    }
    for (const pugi::xml_node& node : doc.children()) {
      if (node.type() == pugi::node_doctype) {
        findings_.Error(At(node), "",
                        "DOCTYPE declarations are not allowed: they can declare entities that "
                        "read local files or URLs (XXE); remove the <!DOCTYPE ...> block");
        return false;
      }
    }
    const pugi::xml_node root = doc.document_element();
    if (!root) {
      findings_.Error({1, 1}, "", "the file holds no XML element; expected <definitions>");
      return false;
    }
    NsGuard guard(ns_, root);
    const auto [uri, local] = ns_.Resolve(root.name(), false);
    if (uri != kBpmnNamespace || local != "definitions") {
      findings_.Error(At(root), "",
                      "the root element <" + std::string(root.name()) + "> is in namespace '" +
                          std::string(uri) + "'; a BPMN 2.0 file has <definitions> in " +
                          std::string(kBpmnNamespace));
      return false;
    }
    if (!CheckDepth(root)) return false;
    if (!CheckIds(root)) return false;
    out_.id = root.attribute("id").value();
    out_.target_namespace = root.attribute("targetNamespace").value();
    ReadRoot(root);
    return true;
  }

 private:
  // Where the node's tag opens: pugixml points at the name, editors expect the '<'.
  Location At(const pugi::xml_node& node) const {
    std::ptrdiff_t offset = node.offset_debug();
    while (offset > 0 && static_cast<std::size_t>(offset) < xml_.size() &&
           xml_[static_cast<std::size_t>(offset)] != '<') {
      --offset;
    }
    return lines_.At(offset);
  }

  std::string_view LocalName(const pugi::xml_node& node) const {
    return ns_.Resolve(node.name(), false).second;
  }
  bool InBpmn(const pugi::xml_node& node) const {
    return ns_.Resolve(node.name(), false).first == kBpmnNamespace;
  }

  // An attribute by namespace and local name ("" namespace: unprefixed).
  std::string Attr(const pugi::xml_node& node, std::string_view ns, std::string_view local) const {
    for (const pugi::xml_attribute& a : node.attributes()) {
      const auto [uri, name] = ns_.Resolve(a.name(), true);
      if (uri == ns && name == local) return a.value();
    }
    return {};
  }
  // A Camunda 7 attribute, also accepted in the Activiti and Flowable namespaces, which
  // share these names and meanings.
  std::string CamundaAttr(const pugi::xml_node& node, std::string_view local) const {
    for (std::string_view ns : {kCamundaNamespace, kActivitiNamespace, kFlowableNamespace}) {
      std::string v = Attr(node, ns, local);
      if (!v.empty()) return v;
    }
    return {};
  }

  // Refuses documents nested deeper than any modeler writes: the passes below recurse
  // along the element tree, so its depth must stay far from the stack's limit. Iterative.
  bool CheckDepth(const pugi::xml_node& root) {
    constexpr int kMaxDepth = 200;
    std::vector<std::pair<pugi::xml_node, int>> stack{{root, 1}};
    while (!stack.empty()) {
      const auto [node, depth] = stack.back();
      stack.pop_back();
      if (depth > kMaxDepth) {
        findings_.Error(At(node), "",
                        "elements are nested more than " + std::to_string(kMaxDepth) +
                            " levels deep here; no BPMN model needs that many");
        return false;
      }
      for (const pugi::xml_node& child : node.children()) {
        if (child.type() == pugi::node_element) stack.emplace_back(child, depth + 1);
      }
    }
    return true;
  }

  // Every id of a BPMN or diagram element is unique (XML ID semantics). Vendor extension
  // elements have ids of their own meaning (form fields...) and are not counted.
  bool CheckIds(const pugi::xml_node& root) {
    std::unordered_map<std::string_view, pugi::xml_node> seen;  // views into the parsed buffer
    bool ok = true;
    CollectIds(root, seen, ok);
    return ok;
  }
  void CollectIds(const pugi::xml_node& node,
                  std::unordered_map<std::string_view, pugi::xml_node>& seen, bool& ok) {
    NsGuard guard(ns_, node);
    const std::string_view uri = ns_.Resolve(node.name(), false).first;
    if (!IsBpmnOrDiagram(uri)) return;
    if (const pugi::xml_attribute id = node.attribute("id"); id) {
      const auto [it, fresh] = seen.emplace(id.value(), node);
      if (!fresh) {
        findings_.Error(At(node), id.value(),
                        "duplicate id '" + std::string(id.value()) + "' (first used at line " +
                            std::to_string(At(it->second).line) + "); every id must be unique");
        ok = false;
      }
    }
    for (const pugi::xml_node& child : node.children()) {
      if (child.type() == pugi::node_element) CollectIds(child, seen, ok);
    }
  }
  static bool IsBpmnOrDiagram(std::string_view uri) {
    return uri == kBpmnNamespace || uri == "http://www.omg.org/spec/BPMN/20100524/DI" ||
           uri == "http://www.omg.org/spec/DD/20100524/DI" ||
           uri == "http://www.omg.org/spec/DD/20100524/DC";
  }

  // BPMN makes ids optional; the engine needs one for history and the API. A generated id
  // names the element and its line, and cannot clash with an XML ID (it has '@').
  std::string IdOrGenerated(const pugi::xml_node& node, std::string_view kind) const {
    const std::string id = node.attribute("id").value();
    if (!id.empty()) return id;
    return std::string(kind) + "@" + std::to_string(At(node).line) + ":" +
           std::to_string(At(node).column);
  }

  void ReadRoot(const pugi::xml_node& root) {
    // Root-level definitions first: processes refer to them.
    for (const pugi::xml_node& child : root.children()) {
      if (child.type() != pugi::node_element) continue;
      NsGuard guard(ns_, child);
      if (!InBpmn(child)) continue;
      const std::string_view local = LocalName(child);
      const std::string id = child.attribute("id").value();
      const std::string name = child.attribute("name").value();
      if (local == "message") {
        Message m{id, name, {}};
        ForExtension(child, [&](const pugi::xml_node& ext, std::string_view uri,
                                std::string_view ext_local) {
          if (uri == kZeebeNamespace && ext_local == "subscription") {
            m.correlation_key =
                Compile(ext, Trim(ext.attribute("correlationKey").value()), id, "correlation key");
          }
        });
        out_.messages.push_back(std::move(m));
      } else if (local == "signal") {
        out_.signals.push_back({id, name});
      } else if (local == "error") {
        out_.errors.push_back({id, name, child.attribute("errorCode").value()});
      } else if (local == "escalation") {
        out_.escalations.push_back({id, name, child.attribute("escalationCode").value()});
      }
    }
    for (const pugi::xml_node& child : root.children()) {
      if (child.type() != pugi::node_element) continue;
      NsGuard guard(ns_, child);
      if (!InBpmn(child)) continue;  // BPMNDI and vendor extensions: kept in the source
      const std::string_view local = LocalName(child);
      if (local == "process") {
        ReadProcess(child);
      } else if (local == "collaboration") {
        for (const pugi::xml_node& p : child.children()) {
          NsGuard inner(ns_, p);
          if (InBpmn(p) && LocalName(p) == "participant") {
            out_.participants.push_back({p.attribute("id").value(), p.attribute("name").value(),
                                         p.attribute("processRef").value()});
          }
        }
      } else if (const auto it = UnsupportedElements().find(local);
                 it != UnsupportedElements().end()) {
        if (local.starts_with("global")) continue;  // only a call to one is a problem
        Unsupported(child, it->second);
      } else if (IsEventDefinition(local)) {
        findings_.Warning(At(child), child.attribute("id").value(),
                          "root-level <" + std::string(local) +
                              "> is ignored: Quire reads event definitions "
                              "inside events only");
      }
    }
    if (std::none_of(out_.processes.begin(), out_.processes.end(),
                     [](const Process& p) { return p.executable; }) &&
        !out_.processes.empty()) {
      findings_.Warning({}, "",
                        "no process is executable (isExecutable=\"false\" on all): the "
                        "file can be shown but nothing in it runs");
    }
    if (out_.processes.empty()) {
      findings_.Warning({}, "", "the file defines no <process>: there is nothing to run");
    }
  }

  // Calls f(element, namespace, local name) for each child of <extensionElements>.
  template <typename F>
  void ForExtension(const pugi::xml_node& node, F&& f) {
    for (const pugi::xml_node& child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      NsGuard guard(ns_, child);
      if (!InBpmn(child) || LocalName(child) != "extensionElements") continue;
      ForEachChild(child, f);
    }
  }
  // Calls f(element, namespace, local name) for each child element of `node`, with the
  // child's namespace declarations in scope.
  template <typename F>
  void ForEachChild(const pugi::xml_node& node, F&& f) {
    for (const pugi::xml_node& child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      NsGuard guard(ns_, child);
      const auto [uri, local] = ns_.Resolve(child.name(), false);
      f(child, uri, local);
    }
  }

  // Reads <input target=".." source=".."/> and <output .../> children in namespace `uri`
  // (zeebe:ioMapping, quire:connector) into the task's mappings.
  void ReadMappings(const pugi::xml_node& parent, std::string_view uri, Element& e) {
    ForEachChild(parent, [&](const pugi::xml_node& m, std::string_view muri,
                             std::string_view local) {
      if (muri != uri || (local != "input" && local != "output")) return;
      IoMapping mapping{m.attribute("target").value(),
                        MakeSetting(m, m.attribute("source").value(), e.id, std::string(local))};
      (local == "input" ? e.task.inputs : e.task.outputs).push_back(std::move(mapping));
    });
  }

  // A boolean attribute as XML Schema defines it (true, false, 1, 0); `absent` when it is
  // not given. Anything else is an error: pugixml's as_bool() would read "ture" as true.
  bool Bool(const pugi::xml_node& node, const char* name, bool absent, const std::string& id) {
    const pugi::xml_attribute a = node.attribute(name);
    if (!a) return absent;
    const std::string_view v = a.value();
    if (v == "true" || v == "1") return true;
    if (v == "false" || v == "0") return false;
    findings_.Error(At(node), id,
                    std::string(name) + "=\"" + std::string(v) + "\"" +
                        (id.empty() ? "" : " on '" + id + "'") +
                        " is not a boolean; write true or false");
    findings_.MarkBroken(id);
    return absent;
  }

  // Compiles the expression `text` found at `node`; a syntax error is reported there.
  std::optional<Expression> Compile(const pugi::xml_node& node, std::string_view text,
                                    const std::string& element_id, const std::string& what) {
    if (text.empty()) return std::nullopt;
    auto compiled = Expression::Compile(text);
    if (!compiled) {
      findings_.Error(At(node), element_id,
                      what + " of '" + element_id + "': " + compiled.error().message());
      findings_.MarkBroken(element_id);
      return std::nullopt;
    }
    return std::move(*compiled);
  }
  // The text of a child element, or the empty string.
  std::string ChildText(const pugi::xml_node& node) const { return Trim(node.text().get()); }

  void Unsupported(const pugi::xml_node& node, std::string_view why) {
    const std::string id = node.attribute("id").value();
    if (!id.empty()) {
      unsupported_ids_.insert(id);
      findings_.MarkBroken(id);
    }
    const Location where = At(node);
    findings_.Error(where, id,
                    "element <" + std::string(LocalName(node)) + ">" +
                        (id.empty() ? "" : " '" + id + "'") + " at line " +
                        std::to_string(where.line) +
                        " is not supported by Quire: " + std::string(why));
  }

  void ReadProcess(const pugi::xml_node& node) {
    Process process;
    process.id = node.attribute("id").value();
    process.name = node.attribute("name").value();
    process.where = At(node);
    process.executable = Bool(node, "isExecutable", true, process.id);
    if (process.id.empty()) {
      findings_.Error(process.where, "", "a <process> needs an id");
    }
    findings_.SetLenient(!process.executable);
    ReadHistoryTimeToLive(node, process);
    pending_ = {};
    embedded_forms_.clear();
    ForExtension(node,
                 [&](const pugi::xml_node& ext, std::string_view uri, std::string_view local) {
                   if (uri == kZeebeNamespace && local == "userTaskForm") {
                     embedded_forms_[ext.attribute("id").value()] = {ext, Trim(ext.text().get())};
                   }
                 });
    ReadScope(node, process, kNoElement);
    ResolveReferences(process);
    findings_.SetLenient(false);
    out_.processes.push_back(std::move(process));
  }

  // camunda:historyTimeToLive / quire:historyTimeToLive: whole days ("30") or an ISO 8601
  // duration ("P30D"). How long history of an ended instance is kept.
  void ReadHistoryTimeToLive(const pugi::xml_node& node, Process& process) {
    const ExtensionAttributes attrs(node, ns_);
    const std::string text = Trim(attrs.Get("historyTimeToLive"));
    if (text.empty()) return;
    if (const auto days = ParseInt(text); days && *days >= 0) {
      process.history_ttl = Duration{.days = *days};
      return;
    }
    if (auto d = ParseDuration(text); d) {
      process.history_ttl = *d;
      return;
    }
    findings_.Error(At(node), process.id,
                    "historyTimeToLive of process '" + process.id +
                        "' must be whole days (\"30\") or an ISO 8601 duration (\"P30D\"), not '" +
                        text + "'");
  }

  // Reads the flow nodes and sequence flows directly inside a process or subprocess.
  void ReadScope(const pugi::xml_node& scope, Process& process, ElementIndex parent) {
    for (const pugi::xml_node& child : scope.children()) {
      if (child.type() != pugi::node_element) continue;
      NsGuard guard(ns_, child);
      if (!InBpmn(child)) continue;  // vendor extensions outside extensionElements
      const std::string_view local = LocalName(child);
      if (const auto kind = FlowNodeKinds().find(local); kind != FlowNodeKinds().end()) {
        ReadFlowNode(child, kind->second, process, parent);
      } else if (local == "sequenceFlow") {
        ReadSequenceFlow(child, process, parent);
      } else if (const auto it = UnsupportedElements().find(local);
                 it != UnsupportedElements().end()) {
        Unsupported(child, it->second);
      } else if (!IsDescriptive(local)) {
        Unsupported(child, "it is not a BPMN 2.0 element Quire knows");
      }
    }
  }

  void ReadFlowNode(const pugi::xml_node& node, ElementKind kind, Process& process,
                    ElementIndex parent) {
    Element e;
    e.index = static_cast<ElementIndex>(process.elements.size());
    e.id = IdOrGenerated(node, KindName(kind));
    e.name = node.attribute("name").value();
    e.kind = kind;
    e.parent = parent;
    e.where = At(node);
    if (!node.attribute("id")) {
      findings_.Warning(e.where, e.id,
                        std::string("this <") + KindName(kind) + "> has no id; it is called '" +
                            e.id + "' in history and the API, and no sequence flow can reach it");
    }
    if (Bool(node, "isForCompensation", false, e.id)) {
      Unsupported(node, "compensation is not run; model the undo steps as normal flow");
    }

    std::string default_flow = node.attribute("default").value();
    if (!default_flow.empty()) pending_.defaults.emplace_back(e.index, default_flow);

    for (const pugi::xml_node& child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      NsGuard guard(ns_, child);
      if (!InBpmn(child)) continue;
      const std::string_view local = LocalName(child);
      if (local == "documentation") {
        e.documentation = Trim(child.text().get());
      } else if (local == "multiInstanceLoopCharacteristics") {
        ReadMultiInstance(child, e);
      } else if (local == "standardLoopCharacteristics") {
        ReadStandardLoop(child, e);
      }
    }

    if (IsEvent(kind)) ReadEventDefinitions(node, e);
    if (kind == ElementKind::kUserTask || kind == ElementKind::kServiceTask ||
        kind == ElementKind::kSendTask || kind == ElementKind::kBusinessRuleTask) {
      ReadTaskSpec(node, e);
    }
    switch (kind) {
      case ElementKind::kBoundaryEvent: {
        e.interrupting = Bool(node, "cancelActivity", true, e.id);
        const std::string attached = node.attribute("attachedToRef").value();
        if (attached.empty()) {
          findings_.Error(e.where, e.id, "boundary event '" + e.id + "' has no attachedToRef");
        } else {
          pending_.attachments.emplace_back(e.index, attached);
        }
        break;
      }
      case ElementKind::kStartEvent: {
        e.interrupting = Bool(node, "isInterrupting", true, e.id);
        break;
      }
      case ElementKind::kCallActivity:
        ReadCallActivity(node, e);
        break;
      case ElementKind::kReceiveTask:
        // A receive task waits for a message like a message catch event does.
        e.trigger_ref = node.attribute("messageRef").value();
        if (!e.trigger_ref.empty()) e.trigger = EventTrigger::kMessage;
        break;
      case ElementKind::kSubProcess:
        e.triggered_by_event = Bool(node, "triggeredByEvent", false, e.id);
        break;
      default:
        break;
    }

    if (process.element_ids.contains(e.id)) return;  // reported by CheckIds
    process.element_ids.emplace(e.id, e.index);
    const ElementIndex index = e.index;
    process.elements.push_back(std::move(e));
    if (kind == ElementKind::kSubProcess) ReadScope(node, process, index);
  }

  void ReadEventDefinitions(const pugi::xml_node& node, Element& e) {
    int count = 0;
    for (const pugi::xml_node& child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      NsGuard guard(ns_, child);
      if (!InBpmn(child)) continue;
      const std::string_view local = LocalName(child);
      if (local == "eventDefinitionRef") {
        Unsupported(child, "refer to event definitions by nesting them inside the event");
        continue;
      }
      if (!IsEventDefinition(local)) continue;
      if (++count == 2) {
        Unsupported(node,
                    "an event with several event definitions (multiple or parallel "
                    "multiple) is not run; use one definition per event");
      }
      if (local == "timerEventDefinition") {
        e.trigger = EventTrigger::kTimer;
        ReadTimer(child, e);
      } else if (local == "messageEventDefinition") {
        e.trigger = EventTrigger::kMessage;
        e.trigger_ref = child.attribute("messageRef").value();
      } else if (local == "signalEventDefinition") {
        e.trigger = EventTrigger::kSignal;
        e.trigger_ref = child.attribute("signalRef").value();
      } else if (local == "errorEventDefinition") {
        e.trigger = EventTrigger::kError;
        e.trigger_ref = child.attribute("errorRef").value();
      } else if (local == "escalationEventDefinition") {
        e.trigger = EventTrigger::kEscalation;
        e.trigger_ref = child.attribute("escalationRef").value();
      } else if (local == "terminateEventDefinition") {
        e.trigger = EventTrigger::kTerminate;
      } else if (local == "linkEventDefinition") {
        e.trigger = EventTrigger::kLink;
        e.trigger_ref = child.attribute("name").value();
      } else if (local == "compensateEventDefinition") {
        Unsupported(child, "compensation is not run; model the undo steps as normal flow");
      } else if (local == "cancelEventDefinition") {
        Unsupported(child, "cancel events belong to transactions, which Quire does not run");
      } else if (local == "conditionalEventDefinition") {
        Unsupported(child, "conditional events are not run; use a message, signal or timer");
      } else {
        Unsupported(child, "it is not a BPMN 2.0 event definition Quire knows");
      }
    }
  }

  void ReadTimer(const pugi::xml_node& definition, Element& e) {
    for (const pugi::xml_node& child : definition.children()) {
      if (child.type() != pugi::node_element) continue;
      NsGuard guard(ns_, child);
      if (!InBpmn(child)) continue;
      const std::string_view local = LocalName(child);
      TimerSpec spec;
      if (local == "timeDate") {
        spec.kind = TimerSpec::Kind::kDate;
      } else if (local == "timeDuration") {
        spec.kind = TimerSpec::Kind::kDuration;
      } else if (local == "timeCycle") {
        spec.kind = TimerSpec::Kind::kCycle;
      } else {
        continue;
      }
      spec.expression = Trim(child.text().get());
      if (spec.expression.starts_with("${") || spec.expression.starts_with("#{") ||
          spec.expression.starts_with("=")) {
        spec.value = Compile(child, spec.expression, e.id, "timer");
      }
      e.timer = std::move(spec);
    }
    if (!e.timer || e.timer->expression.empty()) {
      findings_.Error(At(definition), e.id,
                      "timer of '" + e.id + "' has no timeDate, timeDuration or timeCycle value");
    }
  }

  static bool IsExpressionText(std::string_view text) {
    return text.starts_with("${") || text.starts_with("#{") || text.starts_with("=");
  }

  Setting MakeSetting(const pugi::xml_node& node, std::string_view text, const std::string& id,
                      const std::string& what) {
    Setting setting;
    setting.text = Trim(text);
    if (IsExpressionText(setting.text)) setting.expression = Compile(node, setting.text, id, what);
    return setting;
  }

  // The Quire and Camunda-style (Camunda, Activiti, Flowable) attributes of one element,
  // read in one pass; a Quire attribute wins over the Camunda one of the same name.
  class ExtensionAttributes {
   public:
    ExtensionAttributes(const pugi::xml_node& node, const Namespaces& ns) {
      for (const pugi::xml_attribute& a : node.attributes()) {
        const auto [uri, local] = ns.Resolve(a.name(), true);
        const bool quire = uri == kQuireNamespace;
        if (!quire && uri != kCamundaNamespace && uri != kActivitiNamespace &&
            uri != kFlowableNamespace) {
          continue;
        }
        entries_.push_back({local, a.value(), quire});
      }
    }
    // quire:`local`, else camunda:`local` (or Activiti/Flowable), else "".
    std::string_view Get(std::string_view local) const {
      std::string_view found;
      for (const Entry& e : entries_) {
        if (e.local != local) continue;
        if (e.quire) return e.value;
        found = e.value;
      }
      return found;
    }
    // The Camunda-style value only.
    std::string_view Camunda(std::string_view local) const {
      for (const Entry& e : entries_) {
        if (e.local == local && !e.quire) return e.value;
      }
      return {};
    }

   private:
    struct Entry {
      std::string_view local;
      std::string_view value;
      bool quire;
    };
    std::vector<Entry> entries_;
  };

  // A numeric attribute, or nullopt when absent or not a number (the schema check
  // reports that, with the expected type).
  static std::optional<double> NumberAttr(const pugi::xml_node& node, const char* name) {
    const pugi::xml_attribute a = node.attribute(name);
    if (!a) return std::nullopt;
    const std::string text = a.value();
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return std::nullopt;
    }
    return v;
  }

  void ReadTaskSpec(const pugi::xml_node& node, Element& e) {
    TaskSpec& t = e.task;
    const ExtensionAttributes attrs(node, ns_);
    t.assignee = MakeSetting(node, attrs.Get("assignee"), e.id, "assignee");
    t.candidate_users = MakeSetting(node, attrs.Get("candidateUsers"), e.id, "candidateUsers");
    t.candidate_groups = MakeSetting(node, attrs.Get("candidateGroups"), e.id, "candidateGroups");
    t.priority = MakeSetting(node, attrs.Get("priority"), e.id, "priority");
    t.due_date = MakeSetting(node, attrs.Get("dueDate"), e.id, "dueDate");
    t.follow_up_date = MakeSetting(node, attrs.Get("followUpDate"), e.id, "followUpDate");
    t.form_key = attrs.Get("formKey");
    t.form_ref = attrs.Get("formRef");
    if (!t.form_ref.empty()) {
      ReadFormBinding(node, attrs.Get("formRefBinding"), "formRefBinding", e);
      if (t.form_ref_binding == "version") {
        const std::string_view version = attrs.Get("formRefVersion");
        t.form_ref_version = ParseInt(Trim(version));
        if (!t.form_ref_version || *t.form_ref_version < 1) {
          findings_.Error(At(node), e.id,
                          "'" + e.id + "' binds its form by version but formRefVersion=\"" +
                              std::string(version) + "\" is not a version number (1, 2, ...)");
        }
      }
    }

    if (attrs.Camunda("type") == "external") {
      t.external = true;
      t.connector = attrs.Camunda("topic");
      if (t.connector.empty()) {
        findings_.Error(
            e.where, e.id,
            "external task '" + e.id + "' needs camunda:topic, the topic workers fetch");
      }
    }
    for (const char* java : {"class", "delegateExpression", "expression"}) {
      if (!attrs.Camunda(java).empty()) {
        Unsupported(node, std::string("Java delegates (") + java +
                              "=...) do not run in Quire; use camunda:type=\"external\" with a "
                              "topic, a zeebe:taskDefinition or a quire:connector");
        break;
      }
    }
    if (!attrs.Camunda("decisionRef").empty()) {
      Unsupported(node, "DMN decisions are not evaluated by Quire; call a connector instead");
    }

    ForExtension(node,
                 [&](const pugi::xml_node& ext, std::string_view uri, std::string_view local) {
                   if (uri == kZeebeNamespace) {
                     ReadZeebeTaskExtension(ext, local, e);
                   } else if (uri == kCamundaNamespace || uri == kActivitiNamespace ||
                              uri == kFlowableNamespace) {
                     ReadCamundaTaskExtension(ext, local, e);
                   } else if (uri == kQuireNamespace) {
                     ReadQuireTaskExtension(ext, local, e);
                   }
                 });
  }

  void ReadZeebeTaskExtension(const pugi::xml_node& ext, std::string_view local, Element& e) {
    TaskSpec& t = e.task;
    if (local == "assignmentDefinition") {
      t.assignee = MakeSetting(ext, ext.attribute("assignee").value(), e.id, "assignee");
      t.candidate_groups =
          MakeSetting(ext, ext.attribute("candidateGroups").value(), e.id, "candidateGroups");
      t.candidate_users =
          MakeSetting(ext, ext.attribute("candidateUsers").value(), e.id, "candidateUsers");
    } else if (local == "taskSchedule") {
      t.due_date = MakeSetting(ext, ext.attribute("dueDate").value(), e.id, "dueDate");
      t.follow_up_date =
          MakeSetting(ext, ext.attribute("followUpDate").value(), e.id, "followUpDate");
    } else if (local == "priorityDefinition") {
      t.priority = MakeSetting(ext, ext.attribute("priority").value(), e.id, "priority");
    } else if (local == "taskDefinition") {
      t.connector = Trim(ext.attribute("type").value());
      if (const pugi::xml_attribute retries = ext.attribute("retries"); retries) {
        t.retries = ParseInt(Trim(retries.value()));
        if (!t.retries) {
          findings_.Error(
              At(ext), e.id,
              "retries of '" + e.id + "' must be a whole number, not '" + retries.value() + "'");
        }
      }
    } else if (local == "ioMapping") {
      ReadMappings(ext, kZeebeNamespace, e);
    } else if (local == "formDefinition") {
      const std::string key = ext.attribute("formKey").value();
      constexpr std::string_view kEmbedded = "camunda-forms:bpmn:";
      if (key.starts_with(kEmbedded)) {
        const auto it = embedded_forms_.find(key.substr(kEmbedded.size()));
        if (it == embedded_forms_.end()) {
          findings_.Error(
              At(ext), e.id,
              "form '" + key + "' of '" + e.id + "' names no zeebe:userTaskForm of this process");
        } else {
          t.form_json = it->second.second;
          ReadFormJson(it->second.first, t.form_json, e);
        }
      } else if (!key.empty()) {
        t.form_key = key;
      }
      if (const std::string id = ext.attribute("formId").value(); !id.empty()) {
        t.form_ref = id;
        ReadFormBinding(ext, ext.attribute("bindingType").value(), "bindingType", e);
        if (t.form_ref_binding == "version") {
          findings_.Error(At(ext), e.id,
                          "zeebe:formDefinition of '" + e.id +
                              "' has bindingType=\"version\"; use latest or deployment");
        }
      }
    }
  }

  void ReadCamundaTaskExtension(const pugi::xml_node& ext, std::string_view local, Element& e) {
    TaskSpec& t = e.task;
    if (local == "formData") {
      for (const pugi::xml_node& f : ext.children()) {
        if (f.type() != pugi::node_element) continue;
        NsGuard guard(ns_, f);
        if (ns_.Resolve(f.name(), false).second != "formField") continue;
        FormField field;
        field.name = f.attribute("id").value();
        field.label = f.attribute("label").value();
        field.type = f.attribute("type").value();
        if (field.type.empty()) field.type = "string";
        field.default_value = f.attribute("defaultValue").value();
        for (const pugi::xml_node& part : f.children()) {
          if (part.type() != pugi::node_element) continue;
          NsGuard inner(ns_, part);
          const std::string_view what = ns_.Resolve(part.name(), false).second;
          if (what == "value") {
            field.options.push_back({part.attribute("id").value(), part.attribute("name").value()});
          } else if (what == "validation") {
            for (const pugi::xml_node& c : part.children()) {
              if (c.type() != pugi::node_element) continue;
              const std::string name = c.attribute("name").value();
              const std::string config = c.attribute("config").value();
              ApplyConstraint(c, name, config, field, e.id);
            }
          }
        }
        t.form_fields.push_back(std::move(field));
      }
    } else if (local == "inputOutput") {
      ReadCamundaMappings(ext, e);
    } else if (local == "failedJobRetryTimeCycle") {
      t.retry_cycle = Trim(ext.text().get());
    } else if (local == "connector") {
      for (const pugi::xml_node& c : ext.children()) {
        if (c.type() != pugi::node_element) continue;
        NsGuard guard(ns_, c);
        const std::string_view what = ns_.Resolve(c.name(), false).second;
        if (what == "connectorId") {
          t.connector = Trim(c.text().get());
          if (t.connector == "http-connector") t.connector = "http";
        } else if (what == "inputOutput") {
          ReadCamundaMappings(c, e);
        }
      }
    } else if (local == "executionListener" || local == "taskListener") {
      findings_.Warning(At(ext), e.id,
                        "camunda:" + std::string(local) + " on '" + e.id +
                            "' is ignored: Quire runs no Java or script listeners");
    }
  }

  void ApplyConstraint(const pugi::xml_node& where, const std::string& name,
                       const std::string& config, FormField& field, const std::string& id) {
    const auto number = [&]() -> std::optional<double> {
      double v = 0;
      const auto [end, ec] = std::from_chars(config.data(), config.data() + config.size(), v);
      if (ec != std::errc() || end != config.data() + config.size()) {
        findings_.Error(At(where), id,
                        "constraint '" + name + "' of form field '" + field.name + "' needs a " +
                            "number, not '" + config + "'");
        return std::nullopt;
      }
      return v;
    };
    if (name == "required") {
      field.required = true;
    } else if (name == "readonly") {
      field.read_only = true;
    } else if (name == "min") {
      field.min = number();
    } else if (name == "max") {
      field.max = number();
    } else if (name == "minlength") {
      if (auto v = number()) field.min_length = ToLength(*v);
    } else if (name == "maxlength") {
      if (auto v = number()) field.max_length = ToLength(*v);
    } else if (name == "pattern") {
      field.pattern = config;
    } else {
      findings_.Warning(At(where), id,
                        "form constraint '" + name + "' of field '" + field.name +
                            "' is not known to Quire and is not checked");
    }
  }

  void ReadCamundaMappings(const pugi::xml_node& io, Element& e) {
    for (const pugi::xml_node& p : io.children()) {
      if (p.type() != pugi::node_element) continue;
      NsGuard guard(ns_, p);
      const std::string_view what = ns_.Resolve(p.name(), false).second;
      if (what != "inputParameter" && what != "outputParameter") continue;
      if (p.first_child().type() == pugi::node_element) {
        Unsupported(p,
                    "camunda:list, camunda:map and camunda:script parameters are not read; "
                    "write the value as an expression");
        continue;
      }
      // An output parameter's value is computed from the task's variables and assigned to
      // the named process variable; an input's is computed for the task.
      IoMapping mapping{p.attribute("name").value(),
                        MakeSetting(p, p.text().get(), e.id, std::string(what))};
      (what == "inputParameter" ? e.task.inputs : e.task.outputs).push_back(std::move(mapping));
    }
  }

  void ReadQuireTaskExtension(const pugi::xml_node& ext, std::string_view local, Element& e) {
    TaskSpec& t = e.task;
    if (local == "form") {
      for (const pugi::xml_node& f : ext.children()) {
        if (f.type() != pugi::node_element) continue;
        NsGuard guard(ns_, f);
        if (ns_.Resolve(f.name(), false).second != "field") continue;
        FormField field;
        field.name = f.attribute("name").value();
        field.label = f.attribute("label").value();
        field.type = f.attribute("type").value();
        if (field.type.empty()) field.type = "string";
        field.required = f.attribute("required").as_bool();
        field.read_only = f.attribute("readOnly").as_bool();
        field.min = NumberAttr(f, "min");
        field.max = NumberAttr(f, "max");
        if (auto v = NumberAttr(f, "minLength")) field.min_length = ToLength(*v);
        if (auto v = NumberAttr(f, "maxLength")) field.max_length = ToLength(*v);
        field.pattern = f.attribute("pattern").value();
        field.default_value = f.attribute("default").value();
        std::string_view options = f.attribute("options").value();
        while (!options.empty()) {
          const std::size_t comma = options.find(',');
          const std::string value = Trim(options.substr(0, comma));
          if (!value.empty()) field.options.push_back({value, value});
          options = comma == std::string_view::npos ? "" : options.substr(comma + 1);
        }
        t.form_fields.push_back(std::move(field));
      }
    } else if (local == "escalation") {
      EscalationRule rule;
      rule.where = At(ext);
      std::string after = ext.attribute("after").value();
      if (after.starts_with("due+")) {
        rule.from_due_date = true;
        after = after.substr(4);
      } else if (after == "due") {
        rule.from_due_date = true;
        after = "PT0S";
      }
      if (auto d = ParseDuration(after)) {
        rule.after = *d;
      } else {
        findings_.Error(
            rule.where, e.id,
            "escalation of '" + e.id + "': after=\"" + after + "\": " + d.error().message());
      }
      const std::string action = ext.attribute("action").value();
      if (action == "notify" || action.empty()) {
        rule.action = EscalationRule::Action::kNotify;
      } else if (action == "reassign") {
        rule.action = EscalationRule::Action::kReassignToGroup;
      } else if (action == "supervisor") {
        rule.action = EscalationRule::Action::kReassignToSupervisor;
      } else {
        findings_.Error(rule.where, e.id,
                        "escalation of '" + e.id + "' has action=\"" + action +
                            "\"; use notify, reassign (with group=...) or supervisor");
      }
      rule.group = ext.attribute("group").value();
      if (rule.action == EscalationRule::Action::kReassignToGroup && rule.group.empty()) {
        findings_.Error(rule.where, e.id,
                        "escalation of '" + e.id + "' reassigns but names no group=\"...\"");
      }
      rule.raise_priority = ext.attribute("raisePriority").as_llong(0);
      rule.notify = ext.attribute("notify").value();
      t.escalations.push_back(std::move(rule));
    } else if (local == "link") {
      TaskLink link;
      link.kind = Trim(ext.attribute("kind").value());
      link.id = MakeSetting(ext, ext.attribute("id").value(), e.id, "quire:link id");
      if (link.kind.empty() || link.id.empty()) {
        findings_.Error(At(ext), e.id,
                        "quire:link of '" + e.id +
                            "' needs kind=\"...\" (customer, offer, ...) and id=\"...\" "
                            "(usually an expression such as ${customerId})");
      } else {
        t.links.push_back(std::move(link));
      }
    } else if (local == "requiredDocument") {
      const std::string type = ext.attribute("type").value();
      if (type.empty()) {
        findings_.Error(At(ext), e.id,
                        "quire:requiredDocument of '" + e.id + "' needs type=\"...\"");
      } else {
        t.required_documents.push_back(type);
      }
    } else if (local == "connector") {
      t.connector = Trim(ext.attribute("type").value());
      if (const pugi::xml_attribute r = ext.attribute("retries"); r)
        t.retries = ParseInt(r.value());
      t.retry_cycle = ext.attribute("retryCycle").value();
      auto duration = [&](const char* name, std::optional<Duration>& out) {
        const pugi::xml_attribute a = ext.attribute(name);
        if (!a) return;
        auto d = ParseDuration(Trim(a.value()));
        if (!d) {
          findings_.Error(At(ext), e.id,
                          std::string(name) + " of '" + e.id + "' must be an ISO 8601 duration " +
                              "such as PT30S, not '" + a.value() + "'");
          return;
        }
        out = *d;
      };
      duration("retryBackoff", t.retry_backoff);
      duration("retryBackoffMax", t.retry_backoff_max);
      duration("timeout", t.timeout);
      ReadMappings(ext, kQuireNamespace, e);
    }
  }

  // latest, deployment or version (Camunda 7); versionTag (Camunda 8) is not supported.
  void ReadFormBinding(const pugi::xml_node& where, std::string_view binding, const char* attr,
                       Element& e) {
    const std::string b = Trim(binding);
    if (b.empty() || b == "latest" || b == "deployment" || b == "version") {
      e.task.form_ref_binding = b.empty() ? "latest" : b;
      return;
    }
    findings_.Error(At(where), e.id,
                    std::string(attr) + "=\"" + b + "\" on '" + e.id +
                        "': Quire binds deployed forms by latest, deployment or version" +
                        (b == "versionTag" ? " (version tags are not supported)" : ""));
  }

  // A Camunda Forms (form-js) schema embedded with zeebe:userTaskForm.
  void ReadFormJson(const pugi::xml_node& where, const std::string& json, Element& e) {
    auto form = ReadCamundaForm(json);
    if (!form) {
      std::string what = form.error().message();
      for (const ErrorDetail& d : form.error().details()) what += "; " + d.field + ": " + d.message;
      findings_.Error(At(where), e.id, "the embedded form of '" + e.id + "': " + what);
      return;
    }
    e.task.form_fields = std::move(form->fields);
  }

  void ReadMultiInstance(const pugi::xml_node& node, Element& e) {
    LoopSpec& loop = e.loop;
    loop.kind = Bool(node, "isSequential", false, e.id) ? LoopSpec::Kind::kSequential
                                                        : LoopSpec::Kind::kParallel;
    loop.collection = Compile(node, CamundaAttr(node, "collection"), e.id, "collection");
    loop.element_variable = CamundaAttr(node, "elementVariable");
    for (const pugi::xml_node& child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      NsGuard guard(ns_, child);
      if (!InBpmn(child)) continue;
      const std::string_view local = LocalName(child);
      if (local == "loopCardinality") {
        loop.cardinality = Compile(child, ChildText(child), e.id, "loopCardinality");
      } else if (local == "completionCondition") {
        loop.completion_condition = Compile(child, ChildText(child), e.id, "completionCondition");
      } else if (local == "loopDataInputRef") {
        if (!loop.collection)
          loop.collection = Compile(child, ChildText(child), e.id, "loopDataInputRef");
      } else if (local == "inputDataItem") {
        if (loop.element_variable.empty()) loop.element_variable = child.attribute("name").value();
      }
    }
    ForExtension(
        node, [&](const pugi::xml_node& ext, std::string_view uri, std::string_view local) {
          if (uri == kZeebeNamespace && local == "loopCharacteristics") {
            loop.collection = Compile(ext, Trim(ext.attribute("inputCollection").value()), e.id,
                                      "inputCollection");
            loop.element_variable = ext.attribute("inputElement").value();
            loop.output_collection = ext.attribute("outputCollection").value();
            loop.output_element =
                Compile(ext, Trim(ext.attribute("outputElement").value()), e.id, "outputElement");
          }
        });
  }

  void ReadStandardLoop(const pugi::xml_node& node, Element& e) {
    LoopSpec& loop = e.loop;
    loop.kind = LoopSpec::Kind::kStandard;
    loop.test_before = Bool(node, "testBefore", false, e.id);
    if (const pugi::xml_attribute max = node.attribute("loopMaximum"); max) {
      loop.loop_maximum = ParseInt(max.value());
      if (!loop.loop_maximum || *loop.loop_maximum < 0) {
        findings_.Error(At(node), e.id,
                        "loopMaximum=\"" + std::string(max.value()) + "\" on '" + e.id +
                            "' is not a whole number of runs");
      }
    }
    for (const pugi::xml_node& child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      NsGuard guard(ns_, child);
      if (InBpmn(child) && LocalName(child) == "loopCondition") {
        loop.loop_condition = Compile(child, ChildText(child), e.id, "loopCondition");
      }
    }
  }

  void ReadCallActivity(const pugi::xml_node& node, Element& e) {
    e.called_element = node.attribute("calledElement").value();
    const std::string binding = CamundaAttr(node, "calledElementBinding");
    if (binding == "version") {
      const std::string version = CamundaAttr(node, "calledElementVersion");
      e.called_version = ParseInt(version);
      if (!e.called_version) {
        findings_.Error(e.where, e.id,
                        "call activity '" + e.id + "' binds to version '" + version +
                            "', which is not a whole number");
      }
    }
    if (const std::string pinned = Attr(node, kQuireNamespace, "calledVersion"); !pinned.empty()) {
      e.called_version = ParseInt(pinned);
      if (!e.called_version) {
        findings_.Error(
            e.where, e.id,
            "quire:calledVersion of '" + e.id + "' must be a whole number, not '" + pinned + "'");
      }
    }
    ForExtension(node,
                 [&](const pugi::xml_node& ext, std::string_view uri, std::string_view local) {
                   if (uri == kZeebeNamespace && local == "calledElement") {
                     e.called_element = ext.attribute("processId").value();
                   }
                 });
  }

  void ReadSequenceFlow(const pugi::xml_node& node, Process& process, ElementIndex parent) {
    SequenceFlow flow;
    flow.index = static_cast<FlowIndex>(process.flows.size());
    flow.id = IdOrGenerated(node, "sequenceFlow");
    flow.name = node.attribute("name").value();
    flow.where = At(node);
    for (const pugi::xml_node& child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      NsGuard guard(ns_, child);
      if (InBpmn(child) && LocalName(child) == "conditionExpression") {
        const std::string language = child.attribute("language").value();
        const std::string text = ChildText(child);
        if (!language.empty() && language != "feel" && language != "juel" &&
            language != "http://www.omg.org/spec/FEEL/20140401" && !text.empty()) {
          findings_.Error(At(child), flow.id,
                          "the condition of sequence flow '" + flow.id + "' at line " +
                              std::to_string(At(child).line) + " is written in '" + language +
                              "', which is not supported by Quire; write it in FEEL or as ${...}");
          findings_.MarkBroken(flow.id);
        } else {
          flow.condition = Compile(child, text, flow.id, "condition");
        }
      }
    }
    pending_.flows.push_back({flow.index, node.attribute("sourceRef").value(),
                              node.attribute("targetRef").value(), parent});
    process.flows.push_back(std::move(flow));
  }

  // Turns the ids that elements and flows name into indexes, once the whole process is read.
  void ResolveReferences(Process& process) {
    for (const PendingFlow& p : pending_.flows) {
      SequenceFlow& flow = process.flows[p.flow];
      flow.source = ResolveEnd(process, flow, p.source, "sourceRef", p.scope);
      flow.target = ResolveEnd(process, flow, p.target, "targetRef", p.scope);
      if (flow.source != kNoElement) process.elements[flow.source].outgoing.push_back(flow.index);
      if (flow.target != kNoElement) process.elements[flow.target].incoming.push_back(flow.index);
    }
    for (const auto& [index, flow_id] : pending_.defaults) {
      Element& e = process.elements[index];
      const auto it = std::find_if(e.outgoing.begin(), e.outgoing.end(),
                                   [&](FlowIndex f) { return process.flows[f].id == flow_id; });
      if (it == e.outgoing.end()) {
        findings_.Error(e.where, e.id,
                        "default flow '" + flow_id + "' of '" + e.id +
                            "' is not one of its outgoing sequence flows");
      } else {
        e.default_flow = *it;
      }
    }
    for (const auto& [index, target] : pending_.attachments) {
      Element& e = process.elements[index];
      const ElementIndex host = process.Find(target);
      if (host == kNoElement && unsupported_ids_.contains(target)) continue;
      if (host == kNoElement) {
        findings_.Error(e.where, e.id,
                        "boundary event '" + e.id + "' is attached to '" + target +
                            "', which is not an element of this process");
      } else if (!IsActivity(process.elements[host].kind)) {
        findings_.Error(e.where, e.id,
                        "boundary event '" + e.id + "' is attached to '" + target + "', a " +
                            KindName(process.elements[host].kind) +
                            "; boundary events attach to activities only");
      } else if (process.elements[host].parent != e.parent) {
        findings_.Error(e.where, e.id,
                        "boundary event '" + e.id + "' must be in the same scope as '" + target +
                            "', the activity it is attached to");
      } else {
        e.attached_to = host;
        process.elements[host].boundary_events.push_back(e.index);
      }
    }
  }

  ElementIndex ResolveEnd(const Process& process, const SequenceFlow& flow, const std::string& id,
                          const char* attribute, ElementIndex scope) {
    if (id.empty()) {
      findings_.Error(flow.where, flow.id, "sequence flow '" + flow.id + "' has no " + attribute);
      return kNoElement;
    }
    const ElementIndex index = process.Find(id);
    if (index == kNoElement && unsupported_ids_.contains(id)) {
      return kNoElement;  // the element itself is reported; a second error would be noise
    }
    if (index == kNoElement) {
      findings_.Error(flow.where, flow.id,
                      "sequence flow '" + flow.id + "' has " + attribute + " '" + id +
                          "', which is not a flow node of process '" + process.id + "'");
      return kNoElement;
    }
    if (process.elements[index].parent != scope) {
      findings_.Error(flow.where, flow.id,
                      "sequence flow '" + flow.id + "' crosses a subprocess boundary to '" + id +
                          "'; sequence flows connect elements of the same (sub)process only");
      return kNoElement;
    }
    return index;
  }

  struct PendingFlow {
    FlowIndex flow;
    std::string source;
    std::string target;
    ElementIndex scope;
  };
  struct Pending {
    std::vector<PendingFlow> flows;
    std::vector<std::pair<ElementIndex, std::string>> defaults;
    std::vector<std::pair<ElementIndex, std::string>> attachments;
  };

  std::string_view xml_;
  LineTable lines_;
  Definitions& out_;
  Findings& findings_;
  Namespaces ns_;
  Pending pending_;
  std::unordered_set<std::string> unsupported_ids_;
  // zeebe:userTaskForm elements of the process being read, by id: (element, JSON).
  std::unordered_map<std::string, std::pair<pugi::xml_node, std::string>> embedded_forms_;
};

}  // namespace

bool ReadDefinitions(std::string_view xml, Definitions& out, Findings& findings) {
  return Reader(xml, out, findings).Read();
}

}  // namespace quire::definitions::internal
