#include "quire/services/customer_merger.h"

#include <charconv>

namespace quire::services {
namespace json = boost::json;

namespace {

json::array Texts(const std::vector<std::uint64_t>& ids) {
  json::array out;
  for (const std::uint64_t id : ids) out.emplace_back(std::to_string(id));
  return out;
}

// The ids listed under `key` of `moved`.
std::vector<std::uint64_t> Listed(const json::object& moved, std::string_view key) {
  std::vector<std::uint64_t> out;
  const json::value* list = moved.if_contains(key);
  if (list == nullptr || !list->is_array()) return out;
  for (const json::value& v : list->get_array()) {
    if (!v.is_string()) continue;
    std::uint64_t id = 0;
    const std::string_view s = v.get_string();
    if (std::from_chars(s.data(), s.data() + s.size(), id).ec == std::errc()) out.push_back(id);
  }
  return out;
}

}  // namespace

CustomerMerger::CustomerMerger(crm::CustomerStore& customers, crm::ContactStore& contacts,
                               crm::ActivityStore& activities, dms::DocumentStore& documents,
                               workflow::Engine& engine)
    : customers_(customers),
      contacts_(contacts),
      activities_(activities),
      documents_(documents),
      engine_(engine) {}

Result<json::object> CustomerMerger::MoveLinks(crm::CustomerId from, crm::CustomerId to,
                                               const json::object* only,
                                               const audit::Actor& actor) {
  // An undo moving back nothing of a kind moves nothing (never "all").
  auto wanted = [&](std::string_view key, bool& none) {
    std::vector<std::uint64_t> ids;
    none = false;
    if (only != nullptr) {
      ids = Listed(*only, key);
      none = ids.empty();
    }
    return ids;
  };
  json::object moved;
  bool none = false;
  std::vector<std::uint64_t> ids = wanted("activities", none);
  std::vector<crm::ActivityId> activities;
  if (!none) {
    QUIRE_ASSIGN_OR_RETURN(activities, activities_.MoveCustomer(from, to, ids, actor));
  }
  moved["activities"] = Texts(activities);

  ids = wanted("contacts", none);
  std::vector<crm::ContactId> contacts;
  if (!none) {
    QUIRE_ASSIGN_OR_RETURN(contacts, contacts_.MoveCustomer(from, to, ids, actor));
  }
  moved["contacts"] = Texts(contacts);

  // Documents: linked to `to` instead of `from`. One linked to both before loses only the
  // link to `from` (kept apart, so that the undo gives back just that link).
  const dms::Link from_link{"customer", std::to_string(from)};
  const dms::Link to_link{"customer", std::to_string(to)};
  std::vector<std::uint64_t> relinked, unlinked;
  std::vector<std::uint64_t> docs;
  if (only != nullptr) {
    docs = Listed(*only, "documents");  // "documentsUnlinked": the undo links them again
  } else {
    std::string after;
    do {
      QUIRE_ASSIGN_OR_RETURN(dms::DocumentPage page, documents_.Linked(from_link, 500, after));
      for (const dms::DocumentInfo& d : page.documents) docs.push_back(d.id);
      after = page.next;
    } while (!after.empty());
  }
  for (const std::uint64_t id : docs) {
    auto d = documents_.Get(id);
    if (!d && d.error().code() == ErrorCode::kNotFound) continue;  // deleted since
    QUIRE_RETURN_IF_ERROR(d);
    const bool has_from = std::find(d->links.begin(), d->links.end(), from_link) != d->links.end();
    const bool has_to = std::find(d->links.begin(), d->links.end(), to_link) != d->links.end();
    if (!has_from) continue;
    if (has_to) {
      unlinked.push_back(id);
    } else {
      QUIRE_RETURN_IF_ERROR(documents_.AddLink(id, to_link, actor));
      relinked.push_back(id);
    }
    QUIRE_RETURN_IF_ERROR(documents_.RemoveLink(id, from_link, actor));
  }
  moved["documents"] = Texts(relinked);
  moved["documentsUnlinked"] = Texts(unlinked);

  ids = wanted("tasks", none);
  std::vector<workflow::TaskId> tasks;
  if (!none) {
    QUIRE_ASSIGN_OR_RETURN(tasks, engine_.RelinkTasks("customer", std::to_string(from),
                                                      std::to_string(to), ids, actor));
  }
  moved["tasks"] = Texts(tasks);
  return moved;
}

Result<crm::CustomerMerge> CustomerMerger::Merge(crm::CustomerId survivor,
                                                 crm::CustomerId duplicate,
                                                 const audit::Actor& actor) {
  std::lock_guard lock(mu_);
  QUIRE_ASSIGN_OR_RETURN(std::optional<crm::CustomerMerge> unfinished,
                         customers_.MovingMerge(survivor, duplicate));
  crm::CustomerMerge m;
  if (unfinished) {
    m = std::move(*unfinished);
  } else {
    QUIRE_ASSIGN_OR_RETURN(m, customers_.Merge(survivor, duplicate, actor));
  }
  QUIRE_ASSIGN_OR_RETURN(json::object moved, MoveLinks(duplicate, survivor, nullptr, actor));
  return customers_.MergeMoved(m.id, std::move(moved), actor);
}

Result<crm::CustomerMerge> CustomerMerger::Undo(crm::MergeId id, const audit::Actor& actor) {
  std::lock_guard lock(mu_);
  QUIRE_ASSIGN_OR_RETURN(crm::CustomerMerge m, customers_.CheckUndo(id));
  // The links first (the duplicate still marked merged), then the records.
  QUIRE_ASSIGN_OR_RETURN(json::object back, MoveLinks(m.survivor, m.duplicate, &m.moved, actor));
  // Documents that were linked to both lost only their link to the duplicate: given back.
  for (const std::uint64_t d : Listed(m.moved, "documentsUnlinked")) {
    auto added = documents_.AddLink(d, {"customer", std::to_string(m.duplicate)}, actor);
    if (!added && added.error().code() != ErrorCode::kNotFound) return added.error();
  }
  return customers_.Unmerge(id, actor);
}

}  // namespace quire::services
