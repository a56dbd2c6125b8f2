#include "task_record.h"

#include <boost/json/serialize.hpp>
#include <limits>
#include <set>

#include "keys.h"
#include "quire/base/json_fields.h"
#include "quire/storage/key_codec.h"

namespace quire::workflow {
namespace json = boost::json;
using storage::KeyEncoder;

const char* TaskStateName(TaskRecord::State state) {
  switch (state) {
    case TaskRecord::State::kCreated:
      return "created";
    case TaskRecord::State::kAssigned:
      return "assigned";
    case TaskRecord::State::kDelegated:
      return "delegated";
  }
  return "unknown";
}

namespace {
json::array Strings(const std::vector<std::string>& v) { return json::array(v.begin(), v.end()); }
std::vector<std::string> StringsOf(const json::object& o, std::string_view name) {
  std::vector<std::string> out;
  for (const json::value& s : ArrOf(o, name)) {
    if (s.is_string()) out.emplace_back(s.get_string());
  }
  return out;
}
}  // namespace

std::string EncodeTask(const TaskRecord& t) {
  json::object o{{"id", t.id},     {"i", t.instance},
                 {"k", t.key},     {"p", t.process_id},
                 {"v", t.version}, {"e", t.element_id},
                 {"n", t.name},    {"pr", t.priority},
                 {"c", t.created}, {"st", static_cast<int>(t.state)}};
  if (!t.assignee.empty()) o["a"] = t.assignee;
  if (!t.owner.empty()) o["o"] = t.owner;
  if (!t.candidate_users.empty()) o["cu"] = Strings(t.candidate_users);
  if (!t.candidate_groups.empty()) o["cg"] = Strings(t.candidate_groups);
  if (t.due) o["due"] = *t.due;
  if (t.follow_up) o["fu"] = *t.follow_up;
  if (t.claimed != 0) o["cl"] = t.claimed;
  if (!t.form_key.empty()) o["fk"] = t.form_key;
  if (!t.form_ref.empty()) o["fr"] = t.form_ref;
  if (t.form_version != 0) o["fv"] = t.form_version;
  if (!t.description.empty()) o["ds"] = t.description;
  if (!t.links.empty()) {
    json::array links;
    for (const auto& [kind, id] : t.links) links.push_back(json::array{kind, id});
    o["ln"] = std::move(links);
  }
  if (!t.business_key.empty()) o["bk"] = t.business_key;
  if (t.escalations != 0) o["esc"] = t.escalations;
  if (t.postponed) o["pp"] = true;
  if (t.comments != 0) o["cm"] = t.comments;
  if (!t.escalation_timers.empty()) {
    json::array timers;
    for (const auto& [rule, at] : t.escalation_timers) timers.push_back(json::array{rule, at});
    o["et"] = std::move(timers);
  }
  return json::serialize(o);
}

Result<TaskRecord> DecodeTask(std::string_view bytes) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(bytes, "task"));
  TaskRecord t;
  t.id = static_cast<std::uint64_t>(IntOf(o, "id"));
  t.instance = static_cast<std::uint64_t>(IntOf(o, "i"));
  t.key = static_cast<std::uint32_t>(IntOf(o, "k"));
  t.process_id = StrOf(o, "p");
  t.version = static_cast<std::uint32_t>(IntOf(o, "v"));
  t.element_id = StrOf(o, "e");
  t.name = StrOf(o, "n");
  t.assignee = StrOf(o, "a");
  t.owner = StrOf(o, "o");
  t.candidate_users = StringsOf(o, "cu");
  t.candidate_groups = StringsOf(o, "cg");
  t.priority = IntOf(o, "pr", 50);
  if (o.contains("due")) t.due = IntOf(o, "due");
  if (o.contains("fu")) t.follow_up = IntOf(o, "fu");
  t.created = IntOf(o, "c");
  t.claimed = IntOf(o, "cl");
  // Records written before states existed: assigned when they have an assignee.
  t.state = o.contains("st")
                ? static_cast<TaskRecord::State>(IntOf(o, "st"))
                : (t.assignee.empty() ? TaskRecord::State::kCreated : TaskRecord::State::kAssigned);
  t.form_key = StrOf(o, "fk");
  t.form_ref = StrOf(o, "fr");
  t.form_version = static_cast<std::uint32_t>(IntOf(o, "fv"));
  t.description = StrOf(o, "ds");
  for (const json::value& l : ArrOf(o, "ln")) {
    if (l.is_array() && l.get_array().size() == 2 && l.get_array()[0].is_string() &&
        l.get_array()[1].is_string()) {
      t.links.emplace_back(l.get_array()[0].get_string(), l.get_array()[1].get_string());
    }
  }
  t.business_key = StrOf(o, "bk");
  t.escalations = static_cast<int>(IntOf(o, "esc"));
  t.postponed = o.contains("pp");
  t.comments = static_cast<int>(IntOf(o, "cm"));
  for (const json::value& e : ArrOf(o, "et")) {
    if (e.is_array() && e.get_array().size() == 2 && e.get_array()[0].is_number() &&
        e.get_array()[1].is_number()) {
      t.escalation_timers.emplace_back(e.get_array()[0].to_number<std::uint32_t>(),
                                       e.get_array()[1].to_number<std::int64_t>());
    }
  }
  return t;
}

std::string QueuePrefix(char sort, char view, std::string_view who) {
  KeyEncoder k;
  k.U8(static_cast<std::uint8_t>(sort)).U8(static_cast<std::uint8_t>(view));
  if (view != 'o' && view != 'r') k.String(who);
  return k.Take();
}

std::string InboxPrefix(char view, std::string_view who) { return QueuePrefix('I', view, who); }

std::string OpenInboxPrefix() { return QueuePrefix('I', 'o', ""); }

std::string LookupPrefix(char index, std::string_view value) {
  return KeyEncoder().U8('I').U8(static_cast<std::uint8_t>(index)).String(value).Take();
}

std::string LinkPrefix(std::string_view kind, std::string_view id) {
  return KeyEncoder(LookupPrefix('L', kind)).String(id).Take();
}

std::string ElementPrefix(std::string_view process, std::string_view element) {
  return KeyEncoder(LookupPrefix('E', process)).String(element).Take();
}

std::string NotificationKey(std::string_view to, std::uint64_t id) {
  return KeyEncoder().U8('N').String(to).U64(id).Take();
}

void QueueNotification(Txn& txn, std::string_view to, const TaskRecord& t, std::string_view kind,
                       std::uint32_t rule, std::string_view by) {
  const std::uint64_t id = txn.NewId();
  json::object n{{"id", id},     {"task", t.id}, {"name", t.name},   {"to", to},
                 {"kind", kind}, {"rule", rule}, {"t", txn.now_ms()}};
  if (!by.empty()) n["by"] = by;
  txn.Put(ColumnFamily::kIndexes, NotificationKey(to, id), json::serialize(n));
}

std::vector<std::string> Words(std::string_view text) {
  std::set<std::string> words;
  std::string word;
  auto flush = [&] {
    if (word.size() >= 2 && word.size() <= 64) words.insert(word);
    word.clear();
  };
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if ((b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || b >= 0x80) {
      word.push_back(c);
    } else if (b >= 'A' && b <= 'Z') {
      word.push_back(static_cast<char>(b - 'A' + 'a'));
    } else {
      flush();
    }
  }
  flush();
  return {words.begin(), words.end()};
}

std::vector<std::string> InboxKeys(const TaskRecord& t) {
  std::vector<std::string> out;
  out.push_back(KeyEncoder(ElementPrefix(t.process_id, t.element_id)).U64(t.id).Take());
  if (!t.business_key.empty()) {
    out.push_back(KeyEncoder(LookupPrefix('B', t.business_key)).U64(t.id).Take());
  }
  for (const auto& [kind, id] : t.links) {
    out.push_back(KeyEncoder(LinkPrefix(kind, id)).U64(t.id).Take());
  }
  if (t.postponed) {
    // In the postponed view of whoever would see it in their queues: its assignee, or,
    // unclaimed, its candidate users and groups (anyone's, when it has none).
    auto postponed = [&](char view, std::string_view who) {
      out.push_back(
          KeyEncoder(InboxPrefix(view, who)).I64(t.follow_up.value_or(0)).U64(t.id).Take());
    };
    if (!t.assignee.empty()) {
      postponed('p', t.assignee);
    } else {
      for (const std::string& u : t.candidate_users) postponed('p', u);
      for (const std::string& g : t.candidate_groups) postponed('q', g);
      if (t.candidate_users.empty() && t.candidate_groups.empty()) postponed('r', "");
    }
    return out;
  }
  // A queue entry, in each of its three orders.
  auto queue = [&](char view, std::string_view who) {
    out.push_back(KeyEncoder(QueuePrefix('I', view, who)).I64Desc(t.priority).U64(t.id).Take());
    out.push_back(KeyEncoder(QueuePrefix('J', view, who))
                      .I64(t.due.value_or(std::numeric_limits<std::int64_t>::max()))
                      .U64(t.id)
                      .Take());
    if (t.due) out.push_back(KeyEncoder(QueuePrefix('K', view, who)).U64(t.id).Take());
  };
  if (!t.assignee.empty()) {
    queue('a', t.assignee);
    if (t.state == TaskRecord::State::kDelegated) queue('d', t.assignee);
    if (t.escalations > 0) queue('e', t.assignee);
    return out;
  }
  for (const std::string& g : t.candidate_groups) queue('g', g);
  for (const std::string& u : t.candidate_users) queue('u', u);
  if (t.escalations > 0) {
    for (const std::string& g : t.candidate_groups) queue('f', g);
    for (const std::string& u : t.candidate_users) queue('e', u);
  }
  if (t.candidate_groups.empty() && t.candidate_users.empty()) queue('o', "");
  return out;
}

void WriteTask(Txn& txn, const std::optional<TaskRecord>& before,
               const std::optional<TaskRecord>& after) {
  std::set<std::string> old_keys;
  if (before) {
    for (std::string& k : InboxKeys(*before)) old_keys.insert(std::move(k));
  }
  std::set<std::string> new_keys;
  if (after) {
    for (std::string& k : InboxKeys(*after)) new_keys.insert(std::move(k));
  }
  for (const std::string& k : old_keys) {
    if (!new_keys.contains(k)) txn.Delete(ColumnFamily::kIndexes, k);
  }
  for (const std::string& k : new_keys) {
    if (!old_keys.contains(k)) txn.Put(ColumnFamily::kIndexes, k, "");
  }
  const std::uint64_t id = after ? after->id : before->id;
  if (after) {
    txn.Put(ColumnFamily::kTasks, keys::Task(id), EncodeTask(*after));
  } else {
    txn.Delete(ColumnFamily::kTasks, keys::Task(id));
  }
}

}  // namespace quire::workflow
