#include "inbox.h"

#include <algorithm>
#include <limits>
#include <set>

#include "keys.h"
#include "quire/base/hex.h"
#include "quire/base/json_fields.h"
#include "quire/org/people.h"
#include "quire/storage/key_codec.h"
#include "task_rights.h"
#include "txn.h"

namespace quire::workflow {
namespace {

namespace json = boost::json;

using storage::KeyDecoder;
using storage::KeyEncoder;

Timestamp FromMs(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }

char SortTag(TaskSort sort) {
  switch (sort) {
    case TaskSort::kPriority:
      return 'I';
    case TaskSort::kDue:
      return 'J';
    case TaskSort::kCreated:
      return 'K';
  }
  return 'I';
}

// Every index key ends in U64(task).
Result<std::uint64_t> TaskIdOf(std::string_view key) {
  if (key.size() < 8) return Error::Corruption("an inbox index key is too short");
  KeyDecoder d(key.substr(key.size() - 8));
  return d.U64();
}

// The key prefixes a view of `q.user` reads, in the order `sort` (a tag of task_record.h).
// A substitute's views also hold the own tasks (assigned, delegated, offered, overdue,
// escalated) of whoever they stand in for at `now`; group queues stay their own groups'.
Result<std::vector<std::string>> ViewPrefixes(const KeyReader& reader, const TaskQuery& q,
                                              char sort, Timestamp now) {
  std::vector<std::string> prefixes;
  std::vector<std::string> users{q.user};
  if (q.view != TaskView::kOpen && q.view != TaskView::kVisible) {
    QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> absent,
                           org::StandingInFor(reader, q.user, now));
    users.insert(users.end(), absent.begin(), absent.end());
  }
  auto groups = [&]() { return org::GroupsOf(reader, q.user); };
  switch (q.view) {
    case TaskView::kMine:
      for (const std::string& u : users) prefixes.push_back(QueuePrefix(sort, 'a', u));
      break;
    case TaskView::kDelegated:
      for (const std::string& u : users) prefixes.push_back(QueuePrefix(sort, 'd', u));
      break;
    case TaskView::kOpen:
      prefixes.push_back(QueuePrefix(sort, 'o', ""));
      break;
    case TaskView::kPostponed: {
      for (const std::string& u : users) prefixes.push_back(InboxPrefix('p', u));
      QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> gs, groups());
      for (const std::string& g : gs) prefixes.push_back(InboxPrefix('q', g));
      prefixes.push_back(InboxPrefix('r', ""));
      break;
    }
    case TaskView::kOverdue: {
      // The start of the due-date order of the user's own tasks and their groups' queues
      // (scanned up to now: OverdueEnd).
      for (const std::string& u : users) {
        prefixes.push_back(QueuePrefix('J', 'a', u));
        prefixes.push_back(QueuePrefix('J', 'u', u));
      }
      QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> gs, groups());
      for (const std::string& g : gs) prefixes.push_back(QueuePrefix('J', 'g', g));
      break;
    }
    case TaskView::kGroup:
    case TaskView::kEscalated: {
      const bool escalated = q.view == TaskView::kEscalated;
      const char by_group = escalated ? 'f' : 'g';
      if (!q.group.empty()) {
        prefixes.push_back(QueuePrefix(sort, by_group, q.group));
        break;
      }
      QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> gs, groups());
      for (const std::string& g : gs) prefixes.push_back(QueuePrefix(sort, by_group, g));
      for (const std::string& u : users) {
        prefixes.push_back(QueuePrefix(sort, escalated ? 'e' : 'u', u));
      }
      break;
    }
    case TaskView::kVisible:
      break;
  }
  return prefixes;
}

// Where the overdue view ends in the due-date order: the first key suffix due at `now`.
std::string OverdueEnd(Timestamp now) {
  return KeyEncoder().I64(now.time_since_epoch().count()).Take();
}

// The sort tag for a view page, or why the view has no such order.
Result<char> SortFor(const TaskQuery& q) {
  if (q.view == TaskView::kPostponed || q.view == TaskView::kOverdue) {
    const bool own = !q.sort || (q.view == TaskView::kOverdue && *q.sort == TaskSort::kDue);
    if (!own) {
      return Error::InvalidArgument(
          q.view == TaskView::kPostponed
              ? "the postponed view is ordered by follow-up date; leave out sort"
              : "the overdue view is ordered by due date; leave out sort, or sort by due");
    }
    return q.view == TaskView::kOverdue ? 'J' : 'I';
  }
  return SortTag(q.sort.value_or(TaskSort::kPriority));
}

// Scans `prefixes` merged by the rest of their keys (all of one layout), from just after
// the cursor `after` up to (not including) the suffix `end` when one is given, handing
// each task id to `take` until it returns false.
template <class Take>
Result<std::string> MergeScan(const storage::Store& store, const storage::Snapshot& snapshot,
                              const std::vector<std::string>& prefixes, const std::string& after,
                              Take take, std::string_view end = {}) {
  struct Cursor {
    storage::Iterator it;
    std::size_t prefix;
  };
  std::vector<Cursor> cursors;
  for (std::size_t i = 0; i < prefixes.size(); ++i) {
    Cursor c{store.ScanPrefix(ColumnFamily::kIndexes, prefixes[i], &snapshot), i};
    if (!after.empty()) {
      c.it.Seek(prefixes[i] + after);
      if (c.it.Valid() && c.it.key().substr(prefixes[i].size()) == after) c.it.Next();
    }
    cursors.push_back(std::move(c));
  }
  std::string last;
  bool stopped = false;
  while (!stopped) {
    Cursor* best = nullptr;
    std::string_view best_suffix;
    for (Cursor& c : cursors) {
      if (!c.it.Valid()) continue;
      const std::string_view suffix = c.it.key().substr(prefixes[c.prefix].size());
      if (!end.empty() && suffix >= end) continue;
      if (best == nullptr || suffix < best_suffix) {
        best = &c;
        best_suffix = suffix;
      }
    }
    if (best == nullptr) break;
    last = std::string(best_suffix);
    QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, TaskIdOf(best_suffix));
    best->it.Next();
    QUIRE_ASSIGN_OR_RETURN(bool more, take(id, std::string_view(last)));
    stopped = !more;
  }
  bool rest = false;
  for (Cursor& c : cursors) {
    QUIRE_RETURN_IF_ERROR(c.it.status());
    rest = rest ||
           (c.it.Valid() && (end.empty() || c.it.key().substr(prefixes[c.prefix].size()) < end));
  }
  // The cursor of the next page: where this one stopped, when anything is left.
  return stopped && rest ? Hex(last) : std::string();
}

Result<std::optional<TaskRecord>> LoadTask(const storage::Store& store,
                                           const storage::Snapshot& snapshot, std::uint64_t id) {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         store.Get(ColumnFamily::kTasks, keys::Task(id), &snapshot));
  if (!raw) return std::optional<TaskRecord>();
  QUIRE_ASSIGN_OR_RETURN(TaskRecord t, DecodeTask(*raw));
  return std::optional<TaskRecord>(std::move(t));
}

struct Term {
  std::string word;
  bool prefix = false;  // "word*"
};

Result<std::vector<Term>> ParseTerms(const std::string& text) {
  std::vector<Term> terms;
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::size_t space = rest.find(' ');
    std::string_view piece = rest.substr(0, space);
    rest = space == std::string_view::npos ? "" : rest.substr(space + 1);
    const bool prefix = piece.ends_with('*');
    if (prefix) piece.remove_suffix(1);
    for (std::string& w : Words(piece)) terms.push_back({std::move(w), prefix});
  }
  if (terms.empty()) {
    return Error::InvalidArgument("the search text '" + text +
                                  "' holds no word of two or more letters or digits");
  }
  return terms;
}

bool Matches(const std::vector<std::string>& words, const Term& term) {
  if (!term.prefix) return std::binary_search(words.begin(), words.end(), term.word);
  const auto it = std::lower_bound(words.begin(), words.end(), term.word);
  return it != words.end() && it->starts_with(term.word);
}

// Whether `t` meets the search criteria of `q` (its words parsed into `terms`).
bool MeetsCriteria(const TaskRecord& t, const TaskQuery& q, const std::vector<Term>& terms) {
  if (!q.process.empty() && t.process_id != q.process) return false;
  if (!q.business_key.empty() && t.business_key != q.business_key) return false;
  if (!q.link_kind.empty() && std::find(t.links.begin(), t.links.end(),
                                        std::pair{q.link_kind, q.link_id}) == t.links.end()) {
    return false;
  }
  if (terms.empty()) return true;
  const std::vector<std::string> words = Words(t.name + " " + t.description);
  return std::all_of(terms.begin(), terms.end(),
                     [&](const Term& term) { return Matches(words, term); });
}

// A search that starts from an index of its own (business key, link, the tasks of the
// matching elements): every visible task (kVisible), or those of one view, by creation.
Result<TaskPage> Search(const storage::Store& store, const storage::Snapshot& snapshot,
                        const SnapshotReader& reader, const TaskQuery& q, Timestamp now,
                        const std::string& after, const std::vector<Term>& terms,
                        const TaskElementLister& list_elements) {
  // Drive the scan by the most selective criterion; check the others on each task. Process
  // and text searches scan the tasks of the elements that can match, merged by task id.
  std::vector<std::string> drivers;
  if (!q.business_key.empty()) {
    drivers.push_back(LookupPrefix('B', q.business_key));
  } else if (!q.link_kind.empty()) {
    drivers.push_back(LinkPrefix(q.link_kind, q.link_id));
  } else {
    QUIRE_ASSIGN_OR_RETURN(std::vector<TaskElement> elements, list_elements());
    for (const TaskElement& e : elements) {
      if (!q.process.empty() && e.process != q.process) continue;
      const std::vector<std::string> words = Words(e.text);
      const bool matches =
          std::all_of(terms.begin(), terms.end(), [&](const Term& t) { return Matches(words, t); });
      if (matches) drivers.push_back(ElementPrefix(e.process, e.element));
    }
  }
  std::vector<std::string> view_prefixes;
  if (q.view != TaskView::kVisible) {
    QUIRE_ASSIGN_OR_RETURN(const char sort, SortFor(q));
    QUIRE_ASSIGN_OR_RETURN(view_prefixes, ViewPrefixes(reader, q, sort, now));
  }
  TaskPage page;
  std::size_t examined = 0;
  // Whether to go on after task `id`: true when it is not one, or the page has room.
  auto consider = [&](std::uint64_t id) -> Result<bool> {
    QUIRE_ASSIGN_OR_RETURN(std::optional<TaskRecord> t, LoadTask(store, snapshot, id));
    if (!t) return true;
    if (!MeetsCriteria(*t, q, terms)) return true;
    if (q.view == TaskView::kVisible) {
      QUIRE_ASSIGN_OR_RETURN(ActorFacts facts, FactsFor(reader, q.user, *t, now));
      if (!CheckTaskRight(TaskOp::kView, *t, facts)) return true;
    } else {
      const std::vector<std::string> entries = InboxKeys(*t);
      const bool in_view = std::any_of(entries.begin(), entries.end(), [&](const std::string& k) {
        return std::any_of(view_prefixes.begin(), view_prefixes.end(),
                           [&](const std::string& p) { return k.starts_with(p); });
      });
      if (!in_view) return true;
      if (q.view == TaskView::kOverdue && !(t->due && FromMs(*t->due) < now)) return true;
    }
    page.tasks.push_back(TaskInfoOf(*t));
    return page.tasks.size() < q.limit;
  };
  // The page ends when full, or when it has looked at kSearchBudget entries (the cursor then
  // goes on from the last one looked at).
  auto take = [&](std::uint64_t id, std::string_view) -> Result<bool> {
    QUIRE_ASSIGN_OR_RETURN(const bool more, consider(id));
    return more && ++examined < kSearchBudget;
  };
  QUIRE_ASSIGN_OR_RETURN(page.next, MergeScan(store, snapshot, drivers, after, take));
  return page;
}

}  // namespace

Result<TaskView> ParseTaskView(std::string_view name) {
  static constexpr std::pair<std::string_view, TaskView> kViews[] = {
      {"mine", TaskView::kMine},           {"group", TaskView::kGroup},
      {"delegated", TaskView::kDelegated}, {"postponed", TaskView::kPostponed},
      {"overdue", TaskView::kOverdue},     {"escalated", TaskView::kEscalated},
      {"open", TaskView::kOpen},           {"all", TaskView::kVisible}};
  for (const auto& [n, v] : kViews) {
    if (n == name) return v;
  }
  return Error::InvalidArgument(
      "view must be mine, group, delegated, postponed, overdue, escalated, open or all, not '" +
      std::string(name) + "'");
}

Result<TaskSort> ParseTaskSort(std::string_view name) {
  if (name == "priority") return TaskSort::kPriority;
  if (name == "due") return TaskSort::kDue;
  if (name == "created") return TaskSort::kCreated;
  return Error::InvalidArgument("sort must be priority, due or created, not '" + std::string(name) +
                                "'");
}

TaskInfo TaskInfoOf(const TaskRecord& t) {
  TaskInfo info;
  info.id = t.id;
  info.instance_id = t.instance;
  info.process_id = t.process_id;
  info.element_id = t.element_id;
  info.name = t.name;
  info.assignee = t.assignee;
  info.candidate_users = t.candidate_users;
  info.candidate_groups = t.candidate_groups;
  info.priority = t.priority;
  if (t.due) info.due = FromMs(*t.due);
  if (t.follow_up) info.follow_up = FromMs(*t.follow_up);
  info.form_key = t.form_key;
  info.created_at = FromMs(t.created);
  info.business_key = t.business_key;
  info.owner = t.owner;
  info.state = TaskStateName(t.state);
  if (t.claimed != 0) info.claimed_at = FromMs(t.claimed);
  info.escalations = t.escalations;
  info.description = t.description;
  info.links = t.links;
  info.form_ref = t.form_ref;
  info.form_version = t.form_version;
  return info;
}

Result<TaskPage> QueryInbox(const storage::Store& store, const TaskQuery& q, Timestamp now,
                            const TaskElementLister& elements) {
  if (q.limit == 0 || q.limit > 1000) {
    return Error::InvalidArgument("a page holds 1 to 1000 tasks");
  }
  const std::string after = Unhex(q.after);
  if (!q.after.empty() && after.empty()) {
    return Error::InvalidArgument("the cursor '" + q.after +
                                  "' is not one a task query gave; ask for the first page "
                                  "without it");
  }
  const storage::Snapshot snapshot = store.GetSnapshot();
  const SnapshotReader reader(store, &snapshot);
  std::vector<Term> terms;
  if (q.searching()) {
    if (!q.link_kind.empty() && q.link_id.empty()) {
      return Error::InvalidArgument("a link search needs both the kind and the id (customer=c-42)");
    }
    if (!q.text.empty()) {
      QUIRE_ASSIGN_OR_RETURN(terms, ParseTerms(q.text));
    }
    // A business key or a link names few tasks: start from them. Otherwise a search within
    // a view scans the view (in its order) and a search over everything the user may see
    // scans the tasks of the matching steps.
    if (q.view == TaskView::kVisible || !q.business_key.empty() || !q.link_kind.empty()) {
      if (q.sort) {
        return Error::InvalidArgument(
            "a search by business key or link, or over every visible task, is ordered by "
            "creation; leave out sort, or search within a view (view=mine...)");
      }
      return Search(store, snapshot, reader, q, now, after, terms, elements);
    }
  }
  if (q.view == TaskView::kVisible) {
    return Error::InvalidArgument(
        "the view of every visible task needs a search criterion: process, businessKey, "
        "a link (customer, offer) or text");
  }
  QUIRE_ASSIGN_OR_RETURN(const char sort, SortFor(q));
  QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> prefixes, ViewPrefixes(reader, q, sort, now));
  if (sort == 'K') {
    // Tasks without a due date are in creation order at the end of the due-date order.
    const std::size_t n = prefixes.size();
    for (std::size_t i = 0; i < n; ++i) {
      std::string tail = prefixes[i];
      tail[0] = 'J';
      prefixes.push_back(KeyEncoder(tail).I64(std::numeric_limits<std::int64_t>::max()).Take());
    }
  }
  TaskPage page;
  std::set<std::uint64_t> seen;
  std::size_t examined = 0;
  auto take = [&](std::uint64_t id, std::string_view) -> Result<bool> {
    if (seen.insert(id).second) {  // else in two of the user's groups
      QUIRE_ASSIGN_OR_RETURN(std::optional<TaskRecord> t, LoadTask(store, snapshot, id));
      if (t && MeetsCriteria(*t, q, terms)) page.tasks.push_back(TaskInfoOf(*t));
    }
    // A search looks at no more than kSearchBudget tasks a page.
    return page.tasks.size() < q.limit && (!q.searching() || ++examined < kSearchBudget);
  };
  const std::string end = q.view == TaskView::kOverdue ? OverdueEnd(now) : std::string();
  QUIRE_ASSIGN_OR_RETURN(page.next, MergeScan(store, snapshot, prefixes, after, take, end));
  return page;
}

Result<std::vector<Notification>> QueuedNotifications(const storage::Store& store,
                                                      const std::string& user, std::size_t limit) {
  const storage::Snapshot snapshot = store.GetSnapshot();
  const SnapshotReader reader(store, &snapshot);
  QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> whom, org::GroupsOf(reader, user));
  whom.insert(whom.begin(), user);
  std::vector<Notification> out;
  for (const std::string& to : whom) {
    const std::string prefix = KeyEncoder().U8('N').String(to).Take();
    storage::Iterator it = store.ScanPrefix(ColumnFamily::kIndexes, prefix, &snapshot);
    for (; it.Valid(); it.Next()) {
      QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(it.value(), "notification"));
      Notification n;
      n.id = static_cast<std::uint64_t>(IntOf(o, "id"));
      n.task = static_cast<std::uint64_t>(IntOf(o, "task"));
      n.task_name = StrOf(o, "name");
      n.to = StrOf(o, "to");
      n.kind = StrOf(o, "kind");
      n.rule = static_cast<std::uint32_t>(IntOf(o, "rule"));
      n.by = StrOf(o, "by");
      n.at = FromMs(IntOf(o, "t"));
      out.push_back(std::move(n));
    }
    QUIRE_RETURN_IF_ERROR(it.status());
  }
  std::sort(out.begin(), out.end(),
            [](const Notification& a, const Notification& b) { return a.id < b.id; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

Result<TaskCounts> CountInbox(const storage::Store& store, const std::string& user, Timestamp now) {
  const storage::Snapshot snapshot = store.GetSnapshot();
  const SnapshotReader reader(store, &snapshot);
  auto count = [&](TaskView view) -> Result<std::size_t> {
    TaskQuery q;
    q.user = user;
    q.view = view;
    QUIRE_ASSIGN_OR_RETURN(const char sort, SortFor(q));
    QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> prefixes, ViewPrefixes(reader, q, sort, now));
    const std::string end = view == TaskView::kOverdue ? OverdueEnd(now) : std::string();
    std::set<std::uint64_t> seen;
    for (const std::string& prefix : prefixes) {
      storage::Iterator it = store.ScanPrefix(ColumnFamily::kIndexes, prefix, &snapshot);
      for (; it.Valid() && seen.size() < kCountCap; it.Next()) {
        if (!end.empty() && it.key().substr(prefix.size()) >= end) break;
        QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, TaskIdOf(it.key()));
        seen.insert(id);
      }
      QUIRE_RETURN_IF_ERROR(it.status());
    }
    return seen.size();
  };
  TaskCounts c;
  for (auto [view, out] :
       {std::pair{TaskView::kMine, &c.mine}, std::pair{TaskView::kGroup, &c.group},
        std::pair{TaskView::kDelegated, &c.delegated},
        std::pair{TaskView::kPostponed, &c.postponed}, std::pair{TaskView::kOverdue, &c.overdue},
        std::pair{TaskView::kEscalated, &c.escalated}, std::pair{TaskView::kOpen, &c.open}}) {
    QUIRE_ASSIGN_OR_RETURN(*out, count(view));
  }
  return c;
}

}  // namespace quire::workflow
