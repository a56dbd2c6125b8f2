#include "instance_state.h"

#include "quire/base/json_fields.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace quire::workflow {
namespace json = boost::json;

ElementInstance* InstanceState::Find(std::uint32_t key) {
  const auto it = elements.find(key);
  return it == elements.end() ? nullptr : &it->second;
}

const ElementInstance* InstanceState::Find(std::uint32_t key) const {
  const auto it = elements.find(key);
  return it == elements.end() ? nullptr : &it->second;
}

std::vector<std::uint32_t> InstanceState::Children(std::uint32_t key) const {
  std::vector<std::uint32_t> out;
  for (const auto& [k, e] : elements) {
    if (e.parent == key && k != key) out.push_back(k);
  }
  return out;
}

const char* StatusName(InstanceState::Status status) {
  switch (status) {
    case InstanceState::Status::kActive:
      return "active";
    case InstanceState::Status::kCompleted:
      return "completed";
    case InstanceState::Status::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

const char* StateName(ElementInstance::State state) {
  switch (state) {
    case ElementInstance::State::kWaiting:
      return "waiting";
    case ElementInstance::State::kJoining:
      return "joining";
    case ElementInstance::State::kScope:
      return "scope";
    case ElementInstance::State::kIncident:
      return "incident";
  }
  return "unknown";
}

namespace {

// Compact field names: this record is read and written by every command.
json::object EncodeWait(const Wait& w) {
  json::object o;
  o["k"] = static_cast<int>(w.kind);
  o["t"] = w.trigger;
  if (w.due != 0) o["d"] = w.due;
  if (w.occurrence != 0) o["o"] = w.occurrence;
  if (w.anchor != 0) o["a"] = w.anchor;
  if (!w.name.empty()) o["n"] = w.name;
  if (!w.correlation_key.empty()) o["c"] = w.correlation_key;
  return o;
}

json::object EncodeElement(const ElementInstance& e) {
  json::object o;
  o["k"] = e.key;
  if (e.element != kNoElement) o["e"] = e.element;
  if (e.parent != 0) o["p"] = e.parent;
  o["s"] = static_cast<int>(e.state);
  if (e.via != kNoFlow) o["f"] = e.via;
  if (!e.variables.empty()) o["v"] = e.variables;
  if (e.task != 0) o["task"] = e.task;
  if (e.job != 0) o["job"] = e.job;
  if (e.child != 0) o["child"] = e.child;
  if (!e.waits.empty()) {
    json::array waits;
    for (const Wait& w : e.waits) waits.push_back(EncodeWait(w));
    o["w"] = std::move(waits);
  }
  if (e.mi_body) {
    o["mb"] = true;
    o["mt"] = e.mi_total;
    o["mc"] = e.mi_completed;
    o["mn"] = e.mi_next;
    if (!e.mi_items.empty()) o["mi"] = e.mi_items;
    if (!e.mi_outputs.empty()) o["mo"] = e.mi_outputs;
  }
  if (e.mi_inner) o["in"] = true;
  if (e.loop_counter != 0) o["lc"] = e.loop_counter;
  if (e.interrupting) o["int"] = true;
  if (e.leaving) o["lv"] = true;
  return o;
}

}  // namespace

std::string EncodeInstance(const InstanceState& s) {
  json::object o;
  o["id"] = s.id;
  o["p"] = s.process_id;
  o["ver"] = s.version;
  if (!s.business_key.empty()) o["bk"] = s.business_key;
  o["st"] = static_cast<int>(s.status);
  o["t0"] = s.started;
  if (s.ended != 0) o["t1"] = s.ended;
  if (s.parent_instance != 0) {
    o["pi"] = s.parent_instance;
    o["pk"] = s.parent_key;
  }
  o["nk"] = s.next_key;
  json::array elements;
  elements.reserve(s.elements.size());
  for (const auto& [key, e] : s.elements) elements.push_back(EncodeElement(e));
  o["el"] = std::move(elements);
  if (!s.incidents.empty()) {
    json::array incidents;
    for (const IncidentRecord& i : s.incidents) {
      incidents.push_back(json::object{{"id", i.id},
                                       {"k", i.element_key},
                                       {"job", i.job},
                                       {"kind", i.kind},
                                       {"msg", i.message},
                                       {"t", i.created}});
    }
    o["inc"] = std::move(incidents);
  }
  if (s.counted) o["an"] = true;
  if (!s.reached.empty()) o["r"] = json::array(s.reached.begin(), s.reached.end());
  if (!s.entered.empty()) {
    json::array entered;
    for (const auto& [element, at] : s.entered) entered.push_back(json::array{element, at});
    o["en"] = std::move(entered);
  }
  return json::serialize(o);
}

Result<InstanceState> DecodeInstance(std::string_view bytes) {
  boost::system::error_code ec;
  json::value v = json::parse(bytes, ec);
  if (ec || !v.is_object()) {
    return Error::Corruption("a stored process instance is not valid JSON: " + ec.message());
  }
  const json::object& o = v.get_object();
  InstanceState s;
  s.id = static_cast<std::uint64_t>(IntOf(o, "id"));
  s.process_id = StrOf(o, "p");
  s.version = static_cast<std::uint32_t>(IntOf(o, "ver"));
  s.business_key = StrOf(o, "bk");
  s.status = static_cast<InstanceState::Status>(IntOf(o, "st"));
  s.started = IntOf(o, "t0");
  s.ended = IntOf(o, "t1");
  s.parent_instance = static_cast<std::uint64_t>(IntOf(o, "pi"));
  s.parent_key = static_cast<std::uint32_t>(IntOf(o, "pk"));
  s.next_key = static_cast<std::uint32_t>(IntOf(o, "nk", 2));
  for (const json::value& ev : ArrOf(o, "el")) {
    if (!ev.is_object()) return Error::Corruption("a stored element instance is not an object");
    const json::object& eo = ev.get_object();
    ElementInstance e;
    e.key = static_cast<std::uint32_t>(IntOf(eo, "k"));
    e.element = static_cast<ElementIndex>(IntOf(eo, "e", kNoElement));
    e.parent = static_cast<std::uint32_t>(IntOf(eo, "p"));
    e.state = static_cast<ElementInstance::State>(IntOf(eo, "s"));
    e.via = static_cast<FlowIndex>(IntOf(eo, "f", kNoFlow));
    if (const json::value* vars = eo.if_contains("v"); vars != nullptr && vars->is_object()) {
      e.variables = vars->get_object();
    }
    e.task = static_cast<std::uint64_t>(IntOf(eo, "task"));
    e.job = static_cast<std::uint64_t>(IntOf(eo, "job"));
    e.child = static_cast<std::uint64_t>(IntOf(eo, "child"));
    for (const json::value& wv : ArrOf(eo, "w")) {
      if (!wv.is_object()) continue;
      const json::object& wo = wv.get_object();
      Wait w;
      w.kind = static_cast<Wait::Kind>(IntOf(wo, "k"));
      w.trigger = static_cast<ElementIndex>(IntOf(wo, "t", kNoElement));
      w.due = IntOf(wo, "d");
      w.occurrence = IntOf(wo, "o");
      w.anchor = IntOf(wo, "a");
      w.name = StrOf(wo, "n");
      w.correlation_key = StrOf(wo, "c");
      e.waits.push_back(std::move(w));
    }
    e.mi_body = eo.contains("mb");
    e.mi_inner = eo.contains("in");
    e.loop_counter = IntOf(eo, "lc");
    e.mi_total = IntOf(eo, "mt");
    e.mi_completed = IntOf(eo, "mc");
    e.mi_next = IntOf(eo, "mn");
    e.mi_items = ArrOf(eo, "mi");
    e.mi_outputs = ArrOf(eo, "mo");
    e.interrupting = eo.contains("int");
    e.leaving = eo.contains("lv");
    const std::uint32_t key = e.key;
    s.elements.emplace(key, std::move(e));
  }
  for (const json::value& iv : ArrOf(o, "inc")) {
    if (!iv.is_object()) continue;
    const json::object& io = iv.get_object();
    s.incidents.push_back({static_cast<std::uint64_t>(IntOf(io, "id")),
                           static_cast<std::uint32_t>(IntOf(io, "k")),
                           static_cast<std::uint64_t>(IntOf(io, "job")), StrOf(io, "kind"),
                           StrOf(io, "msg"), IntOf(io, "t")});
  }
  s.counted = o.contains("an");
  for (const json::value& rv : ArrOf(o, "r")) {
    if (rv.is_int64()) s.reached.push_back(static_cast<ElementIndex>(rv.get_int64()));
  }
  for (const json::value& ev : ArrOf(o, "en")) {
    const json::array* pair = ev.if_array();
    if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_int64() || !(*pair)[1].is_int64()) {
      continue;
    }
    s.entered.emplace_back(static_cast<ElementIndex>((*pair)[0].get_int64()),
                           (*pair)[1].get_int64());
  }
  if (s.id == 0 || s.process_id.empty()) {
    return Error::Corruption("a stored process instance has no id or process");
  }
  return s;
}

}  // namespace quire::workflow
