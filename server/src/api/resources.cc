#include "quire/server/resources.h"

#include <string>
#include <string_view>

#include "quire/base/instant.h"
#include "quire/workflow/history_data.h"

namespace quire::server {
namespace json = boost::json;

namespace {

json::value Id(std::uint64_t id) { return json::value(std::to_string(id)); }
json::value OptionalId(std::uint64_t id) { return id == 0 ? json::value() : Id(id); }

}  // namespace

json::object IncidentJson(const workflow::IncidentInfo& i) {
  return {{"id", Id(i.id)},
          {"instanceId", Id(i.instance_id)},
          {"processId", i.process_id},
          {"elementId", i.element_id},
          {"jobId", OptionalId(i.job_id)},
          {"kind", i.kind},
          {"message", i.message},
          {"createdAt", FormatInstant(i.created_at)}};
}

json::object InstanceJson(const workflow::InstanceInfo& info) {
  json::array active;
  for (const workflow::ActiveElement& a : info.active) {
    json::object o{{"key", Id(a.key)},
                   {"elementId", a.element_id},
                   {"name", a.element_name},
                   {"kind", a.kind},
                   {"state", a.state}};
    if (!a.scope_element_id.empty()) o["scopeElementId"] = a.scope_element_id;
    if (a.task_id != 0) o["taskId"] = Id(a.task_id);
    if (a.job_id != 0) o["jobId"] = Id(a.job_id);
    if (a.child_instance != 0) o["calledInstanceId"] = Id(a.child_instance);
    active.push_back(std::move(o));
  }
  json::array incidents;
  for (const auto& i : info.incidents) incidents.push_back(IncidentJson(i));
  json::object o{{"id", Id(info.id)},
                 {"processId", info.process_id},
                 {"version", info.version},
                 {"state", info.state},
                 {"startedAt", FormatInstant(info.started_at)},
                 {"variables", info.variables},
                 {"active", std::move(active)},
                 {"incidents", std::move(incidents)}};
  if (!info.business_key.empty()) o["businessKey"] = info.business_key;
  if (info.ended_at) o["endedAt"] = FormatInstant(*info.ended_at);
  if (info.parent_instance != 0) o["parentInstanceId"] = Id(info.parent_instance);
  return o;
}

json::object TaskJson(const workflow::TaskInfo& t) {
  json::array users(t.candidate_users.begin(), t.candidate_users.end());
  json::array groups(t.candidate_groups.begin(), t.candidate_groups.end());
  json::object o{{"id", Id(t.id)},
                 {"instanceId", Id(t.instance_id)},
                 {"processId", t.process_id},
                 {"elementId", t.element_id},
                 {"name", t.name},
                 {"assignee", t.assignee.empty() ? json::value() : json::value(t.assignee)},
                 {"candidateUsers", std::move(users)},
                 {"candidateGroups", std::move(groups)},
                 {"priority", t.priority},
                 {"createdAt", FormatInstant(t.created_at)}};
  if (t.due) o["dueAt"] = FormatInstant(*t.due);
  if (t.follow_up) o["followUpAt"] = FormatInstant(*t.follow_up);
  if (!t.form_key.empty()) o["formKey"] = t.form_key;
  if (!t.business_key.empty()) o["businessKey"] = t.business_key;
  if (!t.variables.empty()) o["variables"] = t.variables;
  o["owner"] = t.owner.empty() ? json::value() : json::value(t.owner);
  o["state"] = t.state;
  if (t.claimed_at) o["claimedAt"] = FormatInstant(*t.claimed_at);
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

json::object UserJson(const org::User& u) {
  json::object o{{"id", u.id}, {"name", u.name}, {"email", u.email}, {"active", u.active}};
  if (!u.phone.empty()) o["phone"] = u.phone;
  o["supervisor"] = u.supervisor.empty() ? json::value() : json::value(u.supervisor);
  return o;
}

json::object JobJson(const workflow::JobInfo& j) {
  return {{"id", Id(j.id)},
          {"instanceId", Id(j.instance_id)},
          {"processId", j.process_id},
          {"elementId", j.element_id},
          {"type", j.type},
          {"retries", j.retries},
          {"priority", j.priority},
          {"dueAt", FormatInstant(j.due)},
          {"external", j.external},
          {"error", j.error}};
}

json::object HistoryEventJson(const workflow::HistoryEvent& e) {
  json::object o{{"seq", e.seq},
                 {"occurredAt", FormatInstant(e.time)},
                 {"actor", e.actor},
                 {"instanceId", Id(e.instance_id)},
                 {"kind", e.kind}};
  if (!e.element_id.empty()) o["elementId"] = e.element_id;
  if (!e.data.empty()) o["data"] = workflow::HistoryDataJson(e.data);
  return o;
}

}  // namespace quire::server
