// Helpers the API's route files share: ids, query parameters, JSON members, and the JSON
// shapes of tasks. Internal to the server module.
#pragma once

#include <boost/json.hpp>
#include <charconv>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "quire/base/instant.h"
#include "quire/crm/customers.h"
#include "quire/definitions/iso8601.h"
#include "quire/org/directory.h"
#include "quire/server/http.h"
#include "quire/server/json.h"
#include "quire/server/resources.h"
#include "quire/workflow/camunda_variables.h"
#include "quire/workflow/engine.h"

namespace quire::server::api {

namespace json = boost::json;

// The authenticated caller: their user id and the session or token they came through, as
// the audit chain records them. REQUIRES: the route is not public (the router then always
// sets the principal).
inline audit::Actor Actor(const Request& request) { return request.principal->actor(); }
// The authenticated caller's user id (for the rules that ask who, not how).
inline const std::string& UserId(const Request& request) { return request.principal->user; }

inline Result<std::uint64_t> ParseId(std::string_view text, const char* what) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v == 0) {
    return Error::InvalidArgument(std::string(what) + " must be a positive whole number, not '" +
                                  std::string(text) + "'");
  }
  return v;
}

// An id a client sent in a JSON body as a number or as the string the API answers with;
// nullopt for anything else (the store then names what is wrong).
inline std::optional<std::uint64_t> JsonId(const json::value& v) {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() > 0) return static_cast<std::uint64_t>(v.get_int64());
  if (v.is_string()) {
    if (auto id = ParseId(v.get_string(), "id")) return *id;
  }
  return std::nullopt;
}

inline Result<std::uint64_t> PathId(const Request& request, const char* what) {
  return ParseId(*request.path_param("id"), what);
}

inline Result<std::optional<std::uint64_t>> QueryId(const Request& request, const char* name) {
  const auto text = request.query_param(name);
  if (!text) return std::optional<std::uint64_t>();
  QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, ParseId(*text, name));
  return std::optional<std::uint64_t>(id);
}

// ?name=true or ?name=1.
inline bool QueryFlag(const Request& request, const char* name) {
  const auto v = request.query_param(name);
  return v && (*v == "true" || *v == "1");
}

inline Result<std::size_t> Limit(const Request& request, std::size_t fallback) {
  const auto text = request.query_param("limit");
  if (!text) return fallback;
  std::size_t v = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size() || v == 0 || v > 10'000) {
    return Error::InvalidArgument("limit must be a whole number from 1 to 10000, not '" + *text +
                                  "'");
  }
  return v;
}

// An optional object member that must be an object when present.
inline Result<json::object> ObjectMember(const json::object& body, std::string_view name) {
  const json::value* v = body.if_contains(name);
  if (v == nullptr || v->is_null()) return json::object();
  if (!v->is_object()) {
    return Error::InvalidArgument("'" + std::string(name) + "' must be a JSON object of " +
                                  "variables, e.g. {\"amount\": 100}");
  }
  return v->get_object();
}

// The variables member of a request: plain JSON, where a value in Camunda's typed form
// ({"value": true, "type": "Boolean"}) is converted to plain JSON as well.
inline Result<json::object> VariablesMember(const json::object& body, std::string_view name) {
  QUIRE_ASSIGN_OR_RETURN(json::object variables, ObjectMember(body, name));
  return workflow::PlainVariables(variables);
}

inline Result<std::string> StringMember(const json::object& body, std::string_view name,
                                        bool required) {
  const json::value* v = body.if_contains(name);
  if (v == nullptr || v->is_null()) {
    if (required) return Error::InvalidArgument("'" + std::string(name) + "' is required");
    return std::string();
  }
  if (!v->is_string()) {
    return Error::InvalidArgument("'" + std::string(name) + "' must be a string");
  }
  return std::string(v->get_string());
}

inline std::string Time(Timestamp t) { return FormatInstant(t); }

// A member an earlier version of the API named differently: refused, saying the new name,
// rather than ignored (docs/api.md lists the renames).
inline Result<void> Renamed(const json::object& body, std::string_view old_name,
                            std::string_view new_name) {
  if (body.contains(old_name)) {
    return Error::InvalidArgument("'" + std::string(old_name) + "' is now called '" +
                                  std::string(new_name) + "' (docs/api.md)");
  }
  return Ok();
}

// A required ISO 8601 date-time member.
inline Result<Timestamp> TimeMember(const json::object& body, std::string_view name) {
  const json::value* v = body.if_contains(name);
  if (v == nullptr || !v->is_string()) {
    return Error::InvalidArgument("'" + std::string(name) +
                                  "' is required: an ISO 8601 date-time such as "
                                  "2026-12-01T09:00:00Z");
  }
  return definitions::ParseDateTime(v->get_string());
}

inline json::object ToJson(const workflow::IncidentInfo& i) { return IncidentJson(i); }
inline json::object ToJson(const workflow::InstanceInfo& i) { return InstanceJson(i); }
inline json::object ToJson(const workflow::TaskInfo& t) { return TaskJson(t); }
inline json::array ToJson(const std::vector<workflow::HistoryEvent>& events) {
  json::array out;
  for (const workflow::HistoryEvent& e : events) out.push_back(HistoryEventJson(e));
  return out;
}

// Paging by position, for lists the store keeps in one order without a cursor of their own
// (instances newest first, history by time, notifications): ?after= is the number of items
// before the page. `fetch(n)` answers the first n. Costs the items skipped: for lists people
// page through a few times, not for exports.
template <class T, class Fetch, class ToItem>
inline Result<Response> OffsetPage(const Request& request, std::size_t limit, Fetch fetch,
                                   ToItem to_item) {
  std::size_t offset = 0;
  if (const auto after = request.query_param("after")) {
    const auto [end, ec] = std::from_chars(after->data(), after->data() + after->size(), offset);
    if (ec != std::errc() || end != after->data() + after->size()) {
      return Error::InvalidArgument("'" + *after + "' is not a cursor from a previous page");
    }
  }
  QUIRE_ASSIGN_OR_RETURN(std::vector<T> all, fetch(offset + limit + 1));
  json::array items;
  for (std::size_t i = offset; i < all.size() && i < offset + limit; ++i) {
    items.push_back(to_item(all[i]));
  }
  const bool more = all.size() > offset + limit;
  return JsonResponse(200, Page(std::move(items), more ? std::to_string(offset + limit) : ""));
}

// Whether the caller's grant of `p` reaches a record owned by `owner` (own: their own; team:
// also those of anyone sharing a group with them; all: every one). `groups` memoises owners'
// groups within one request: only scope team needs them.
inline Result<bool> ReachesOwner(org::Directory& directory, const org::Principal& who, Permission p,
                                 const std::string& owner,
                                 std::map<std::string, std::vector<std::string>>& groups) {
  if (who.permissions.ScopeOf(p) != org::Scope::kTeam || owner == who.user) {
    return who.Reaches(p, owner, {});
  }
  auto it = groups.find(owner);
  if (it == groups.end()) {
    QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> of, directory.GroupsOf(owner));
    it = groups.emplace(owner, std::move(of)).first;
  }
  return who.Reaches(p, owner, it->second);
}

// Customers' sensitive fields (credit limits, bank accounts, PESEL numbers) are seen and set
// only with crm.sensitive; without it answers leave them out and name them in "withheld".
inline bool MaySeeSensitive(const Request& request) {
  return request.principal != nullptr && request.principal->Has(Permission::kCrmSensitive);
}
inline Result<void> MaySetSensitive(const org::Principal& who, const json::object& fields) {
  if (who.Has(Permission::kCrmSensitive)) return Ok();
  const std::vector<std::string> sent = crm::SensitiveFieldsIn(fields);
  if (sent.empty()) return Ok();
  std::string names;
  for (const std::string& n : sent) names += (names.empty() ? "" : ", ") + n;
  return Error::Forbidden("crm.sensitive is needed to set " + names +
                          " (sensitive: credit limits, bank accounts, PESEL numbers); ask an "
                          "administrator for it, or leave " +
                          (sent.size() == 1 ? "it" : "them") + " out");
}

inline json::object CommentJson(const workflow::TaskComment& c) {
  return {{"author", c.author}, {"createdAt", Time(c.time)}, {"text", c.text}};
}

inline json::array Ids(const std::vector<std::uint64_t>& ids) {
  json::array out;
  for (const std::uint64_t id : ids) out.emplace_back(std::to_string(id));
  return out;
}

inline Response NoContent() {
  Response r;
  r.status = 204;
  return r;
}

// Turns a Result into a response: the value through `ok`, the error as the error shape.
template <class T, class Fn>
inline Response Answer(Result<T> r, Fn ok) {
  if (!r) return ErrorResponse(r.error());
  return ok(*r);
}

}  // namespace quire::server::api
