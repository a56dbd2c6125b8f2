// Helpers the API's route files share: ids, query parameters, JSON members, and the JSON
// shapes of tasks. Internal to the server module.
#pragma once

#include <boost/json.hpp>
#include <charconv>
#include <optional>
#include <string>

#include "quire/definitions/iso8601.h"
#include "quire/server/http.h"
#include "quire/server/json.h"
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

inline Result<std::uint64_t> PathId(const Request& request, const char* what) {
  return ParseId(*request.path_param("id"), what);
}

inline Result<std::optional<std::uint64_t>> QueryId(const Request& request, const char* name) {
  const auto text = request.query_param(name);
  if (!text) return std::optional<std::uint64_t>();
  QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, ParseId(*text, name));
  return std::optional<std::uint64_t>(id);
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

inline std::string Time(Timestamp t) { return definitions::FormatDateTime(t); }

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

inline json::object ToJson(const workflow::IncidentInfo& i) {
  return {{"id", std::to_string(i.id)},
          {"instanceId", std::to_string(i.instance_id)},
          {"processId", i.process_id},
          {"elementId", i.element_id},
          {"jobId", i.job_id == 0 ? json::value() : json::value(std::to_string(i.job_id))},
          {"kind", i.kind},
          {"message", i.message},
          {"createdAt", Time(i.created_at)}};
}

inline json::object ToJson(const workflow::InstanceInfo& info) {
  json::array active;
  for (const workflow::ActiveElement& a : info.active) {
    json::object o{{"key", a.key},
                   {"elementId", a.element_id},
                   {"name", a.element_name},
                   {"kind", a.kind},
                   {"state", a.state}};
    if (!a.scope_element_id.empty()) o["scope"] = a.scope_element_id;
    if (a.task_id != 0) o["taskId"] = std::to_string(a.task_id);
    if (a.job_id != 0) o["jobId"] = std::to_string(a.job_id);
    if (a.child_instance != 0) o["calledInstanceId"] = std::to_string(a.child_instance);
    active.push_back(std::move(o));
  }
  json::array incidents;
  for (const auto& i : info.incidents) incidents.push_back(ToJson(i));
  json::object o{{"id", std::to_string(info.id)},
                 {"processId", info.process_id},
                 {"version", info.version},
                 {"state", info.state},
                 {"startedAt", Time(info.started_at)},
                 {"variables", info.variables},
                 {"active", std::move(active)},
                 {"incidents", std::move(incidents)}};
  if (!info.business_key.empty()) o["businessKey"] = info.business_key;
  if (info.ended_at) o["endedAt"] = Time(*info.ended_at);
  if (info.parent_instance != 0) o["parentInstanceId"] = std::to_string(info.parent_instance);
  return o;
}

inline json::object ToJson(const workflow::TaskInfo& t) {
  json::array users(t.candidate_users.begin(), t.candidate_users.end());
  json::array groups(t.candidate_groups.begin(), t.candidate_groups.end());
  json::object o{{"id", std::to_string(t.id)},
                 {"instanceId", std::to_string(t.instance_id)},
                 {"processId", t.process_id},
                 {"elementId", t.element_id},
                 {"name", t.name},
                 {"assignee", t.assignee.empty() ? json::value() : json::value(t.assignee)},
                 {"candidateUsers", std::move(users)},
                 {"candidateGroups", std::move(groups)},
                 {"priority", t.priority},
                 {"createdAt", Time(t.created_at)}};
  if (t.due) o["due"] = Time(*t.due);
  if (t.follow_up) o["followUp"] = Time(*t.follow_up);
  if (!t.form_key.empty()) o["formKey"] = t.form_key;
  if (!t.business_key.empty()) o["businessKey"] = t.business_key;
  if (!t.variables.empty()) o["variables"] = t.variables;
  o["owner"] = t.owner.empty() ? json::value() : json::value(t.owner);
  o["state"] = t.state;
  if (t.claimed_at) o["claimedAt"] = Time(*t.claimed_at);
  if (t.escalations != 0) o["escalations"] = t.escalations;
  if (!t.description.empty()) o["description"] = t.description;
  if (!t.links.empty()) {
    json::array links;
    for (const auto& [kind, id] : t.links)
      links.push_back(json::object{{"kind", kind}, {"id", id}});
    o["links"] = std::move(links);
  }
  if (!t.form_ref.empty()) {
    o["formRef"] = t.form_ref;
    if (t.form_version != 0) o["formVersion"] = t.form_version;
  }
  return o;
}

inline json::array ToJson(const std::vector<workflow::HistoryEvent>& events) {
  json::array out;
  for (const workflow::HistoryEvent& e : events) {
    json::object o{{"seq", e.seq},
                   {"time", Time(e.time)},
                   {"actor", e.actor},
                   {"instanceId", std::to_string(e.instance_id)},
                   {"kind", e.kind}};
    if (!e.element_id.empty()) o["elementId"] = e.element_id;
    if (!e.data.empty()) o["data"] = e.data;
    out.push_back(std::move(o));
  }
  return out;
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
