#include "quire/server/engine_routes.h"

#include <boost/json.hpp>
#include <charconv>

#include "quire/definitions/iso8601.h"
#include "quire/server/json.h"

namespace quire::server {
namespace {

namespace json = boost::json;
using workflow::Engine;

std::string Actor(const Request& request) {
  const auto user = request.header("x-quire-user");
  return user ? std::string(*user) : std::string("anonymous");
}

Result<std::uint64_t> ParseId(std::string_view text, const char* what) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v == 0) {
    return Error::InvalidArgument(std::string(what) + " must be a positive whole number, not '" +
                                  std::string(text) + "'");
  }
  return v;
}

Result<std::uint64_t> PathId(const Request& request, const char* what) {
  return ParseId(*request.path_param("id"), what);
}

Result<std::optional<std::uint64_t>> QueryId(const Request& request, const char* name) {
  const auto text = request.query_param(name);
  if (!text) return std::optional<std::uint64_t>();
  QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, ParseId(*text, name));
  return std::optional<std::uint64_t>(id);
}

Result<std::size_t> Limit(const Request& request, std::size_t fallback) {
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
Result<json::object> ObjectMember(const json::object& body, std::string_view name) {
  const json::value* v = body.if_contains(name);
  if (v == nullptr || v->is_null()) return json::object();
  if (!v->is_object()) {
    return Error::InvalidArgument("'" + std::string(name) + "' must be a JSON object of " +
                                  "variables, e.g. {\"amount\": 100}");
  }
  return v->get_object();
}

Result<std::string> StringMember(const json::object& body, std::string_view name, bool required) {
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

std::string Time(Timestamp t) { return definitions::FormatDateTime(t); }

json::object ToJson(const workflow::IncidentInfo& i) {
  return {{"id", std::to_string(i.id)},
          {"instanceId", std::to_string(i.instance_id)},
          {"processId", i.process_id},
          {"elementId", i.element_id},
          {"jobId", i.job_id == 0 ? json::value() : json::value(std::to_string(i.job_id))},
          {"kind", i.kind},
          {"message", i.message},
          {"createdAt", Time(i.created_at)}};
}

json::object ToJson(const workflow::InstanceInfo& info) {
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

json::object ToJson(const workflow::TaskInfo& t) {
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
  return o;
}

json::array ToJson(const std::vector<workflow::HistoryEvent>& events) {
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

json::array Ids(const std::vector<std::uint64_t>& ids) {
  json::array out;
  for (const std::uint64_t id : ids) out.emplace_back(std::to_string(id));
  return out;
}

Response NoContent() {
  Response r;
  r.status = 204;
  return r;
}

// Turns a Result into a response: the value through `ok`, the error as the error shape.
template <class T, class Fn>
Response Answer(Result<T> r, Fn ok) {
  if (!r) return ErrorResponse(r.error());
  return ok(*r);
}

}  // namespace

void AddEngineRoutes(Router& router, Engine& engine) {
  router.Add("DELETE", "/api/processes/{id}", [&engine](const Request& request) {
    const bool force = request.query_param("force").value_or("") == "true";
    auto r = engine.Undeploy(std::string(*request.path_param("id")), force, Actor(request));
    return r ? NoContent() : ErrorResponse(r.error());
  });

  router.Add("POST", "/api/processes/{id}/instances", [&engine](const Request& request) {
    workflow::StartRequest start;
    start.process_id = std::string(*request.path_param("id"));
    start.actor = Actor(request);
    if (!request.body.empty()) {
      auto body = ParseJsonObject(request);
      if (!body) return ErrorResponse(body.error());
      auto vars = ObjectMember(*body, "variables");
      if (!vars) return ErrorResponse(vars.error());
      start.variables = std::move(*vars);
      auto key = StringMember(*body, "businessKey", false);
      if (!key) return ErrorResponse(key.error());
      start.business_key = std::move(*key);
      if (const json::value* v = body->if_contains("version"); v != nullptr && !v->is_null()) {
        if (!v->is_int64() || v->get_int64() < 1 || v->get_int64() > UINT32_MAX) {
          return ErrorResponse(Error::InvalidArgument("'version' must be a positive whole number"));
        }
        start.version = static_cast<std::uint32_t>(v->get_int64());
      }
    }
    return Answer(engine.Start(start), [&](const workflow::StartResult& s) {
      std::vector<std::uint64_t> tasks(s.tasks.begin(), s.tasks.end());
      return JsonResponse(201, json::object{{"id", std::to_string(s.instance_id)},
                                            {"processId", start.process_id},
                                            {"version", s.version},
                                            {"state", s.state},
                                            {"tasks", Ids(tasks)}});
    });
  });

  router.Add("GET", "/api/processes/{id}/instances", [&engine](const Request& request) {
    auto limit = Limit(request, 100);
    if (!limit) return ErrorResponse(limit.error());
    return Answer(engine.ListInstances(std::string(*request.path_param("id")), *limit),
                  [](const std::vector<workflow::InstanceInfo>& list) {
                    json::array out;
                    for (const auto& i : list) out.push_back(ToJson(i));
                    return JsonResponse(200, json::object{{"instances", std::move(out)}});
                  });
  });

  router.Add("GET", "/api/instances/{id}", [&engine](const Request& request) {
    auto id = PathId(request, "instance id");
    if (!id) return ErrorResponse(id.error());
    return Answer(engine.GetInstance(*id), [](const workflow::InstanceInfo& info) {
      return JsonResponse(200, ToJson(info));
    });
  });

  router.Add("DELETE", "/api/instances/{id}", [&engine](const Request& request) {
    auto id = PathId(request, "instance id");
    if (!id) return ErrorResponse(id.error());
    auto r = engine.Cancel(*id, Actor(request), request.query_param("reason").value_or(""));
    return r ? NoContent() : ErrorResponse(r.error());
  });

  router.Add("PUT", "/api/instances/{id}/variables", [&engine](const Request& request) {
    auto id = PathId(request, "instance id");
    if (!id) return ErrorResponse(id.error());
    auto body = ParseJsonObject(request);
    if (!body) return ErrorResponse(body.error());
    auto r = engine.SetVariables(*id, *body, Actor(request));
    return r ? NoContent() : ErrorResponse(r.error());
  });

  router.Add("POST", "/api/instances/{id}/trigger", [&engine](const Request& request) {
    auto id = PathId(request, "instance id");
    if (!id) return ErrorResponse(id.error());
    auto body = ParseJsonObject(request);
    if (!body) return ErrorResponse(body.error());
    auto element = StringMember(*body, "element", true);
    if (!element) return ErrorResponse(element.error());
    auto vars = ObjectMember(*body, "variables");
    if (!vars) return ErrorResponse(vars.error());
    auto r = engine.Trigger(*id, *element, *vars, Actor(request));
    return r ? NoContent() : ErrorResponse(r.error());
  });

  router.Add("GET", "/api/instances/{id}/history", [&engine](const Request& request) {
    auto id = PathId(request, "instance id");
    if (!id) return ErrorResponse(id.error());
    return Answer(engine.History(*id), [](const std::vector<workflow::HistoryEvent>& events) {
      return JsonResponse(200, json::object{{"events", ToJson(events)}});
    });
  });

  router.Add("GET", "/api/history", [&engine](const Request& request) {
    auto parse = [&](const char* name) -> Result<Timestamp> {
      const auto text = request.query_param(name);
      if (!text) {
        return Error::InvalidArgument(std::string("'") + name +
                                      "' is required: an ISO 8601 date-time such as "
                                      "2026-11-24T00:00:00Z");
      }
      return definitions::ParseDateTime(*text);
    };
    auto from = parse("from");
    if (!from) return ErrorResponse(from.error());
    auto to = parse("to");
    if (!to) return ErrorResponse(to.error());
    auto limit = Limit(request, 1000);
    if (!limit) return ErrorResponse(limit.error());
    return Answer(engine.HistoryBetween(*from, *to, *limit),
                  [](const std::vector<workflow::HistoryEvent>& events) {
                    return JsonResponse(200, json::object{{"events", ToJson(events)}});
                  });
  });

  router.Add("POST", "/api/messages", [&engine](const Request& request) {
    auto body = ParseJsonObject(request);
    if (!body) return ErrorResponse(body.error());
    workflow::MessageRequest m;
    m.actor = Actor(request);
    auto name = StringMember(*body, "name", true);
    if (!name) return ErrorResponse(name.error());
    m.name = std::move(*name);
    if (const json::value* k = body->if_contains("correlationKey"); k != nullptr) {
      if (k->is_string()) {
        m.correlation_key = std::string(k->get_string());
      } else if (k->is_int64()) {
        m.correlation_key = std::to_string(k->get_int64());
      } else if (!k->is_null()) {
        return ErrorResponse(Error::InvalidArgument("'correlationKey' must be a string"));
      }
    }
    auto vars = ObjectMember(*body, "variables");
    if (!vars) return ErrorResponse(vars.error());
    m.variables = std::move(*vars);
    if (const json::value* ttl = body->if_contains("ttl"); ttl != nullptr && !ttl->is_null()) {
      if (ttl->is_int64() && ttl->get_int64() >= 0) {
        m.ttl = std::chrono::milliseconds(ttl->get_int64());
      } else if (ttl->is_string()) {
        auto d = definitions::ParseDuration(ttl->get_string());
        if (!d) {
          return ErrorResponse(Error::InvalidArgument(
              "'ttl' must be milliseconds or an ISO 8601 duration such as PT1H"));
        }
        const Timestamp now{};
        m.ttl =
            std::chrono::duration_cast<std::chrono::milliseconds>(definitions::Add(now, *d) - now);
      } else {
        return ErrorResponse(Error::InvalidArgument(
            "'ttl' must be milliseconds or an ISO 8601 duration such as PT1H"));
      }
    }
    return Answer(engine.CorrelateMessage(m), [](const workflow::MessageResult& r) {
      json::object o{{"correlated", Ids(r.correlated)}, {"started", Ids(r.started)}};
      o["buffered"] =
          r.buffered_id == 0 ? json::value() : json::value(std::to_string(r.buffered_id));
      return JsonResponse(200, o);
    });
  });

  router.Add("POST", "/api/signals", [&engine](const Request& request) {
    auto body = ParseJsonObject(request);
    if (!body) return ErrorResponse(body.error());
    auto name = StringMember(*body, "name", true);
    if (!name) return ErrorResponse(name.error());
    auto vars = ObjectMember(*body, "variables");
    if (!vars) return ErrorResponse(vars.error());
    return Answer(engine.BroadcastSignal(*name, *vars, Actor(request)), [](std::size_t n) {
      return JsonResponse(200, json::object{{"reacted", n}});
    });
  });

  router.Add("GET", "/api/incidents", [&engine](const Request& request) {
    auto instance = QueryId(request, "instance");
    if (!instance) return ErrorResponse(instance.error());
    return Answer(engine.ListIncidents(*instance),
                  [](const std::vector<workflow::IncidentInfo>& list) {
                    json::array out;
                    for (const auto& i : list) out.push_back(ToJson(i));
                    return JsonResponse(200, json::object{{"incidents", std::move(out)}});
                  });
  });

  router.Add("POST", "/api/incidents/{id}/retry", [&engine](const Request& request) {
    auto id = PathId(request, "incident id");
    if (!id) return ErrorResponse(id.error());
    int retries = 1;
    if (!request.body.empty()) {
      auto body = ParseJsonObject(request);
      if (!body) return ErrorResponse(body.error());
      if (const json::value* r = body->if_contains("retries"); r != nullptr) {
        if (!r->is_int64() || r->get_int64() < 1 || r->get_int64() > 100) {
          return ErrorResponse(
              Error::InvalidArgument("'retries' must be a whole number from 1 to 100"));
        }
        retries = static_cast<int>(r->get_int64());
      }
    }
    auto r = engine.RetryIncident(*id, retries, Actor(request));
    return r ? NoContent() : ErrorResponse(r.error());
  });

  router.Add("GET", "/api/jobs", [&engine](const Request& request) {
    auto instance = QueryId(request, "instance");
    if (!instance) return ErrorResponse(instance.error());
    return Answer(engine.ListJobs(*instance), [](const std::vector<workflow::JobInfo>& list) {
      json::array out;
      for (const auto& j : list) {
        out.push_back(json::object{{"id", std::to_string(j.id)},
                                   {"instanceId", std::to_string(j.instance_id)},
                                   {"processId", j.process_id},
                                   {"elementId", j.element_id},
                                   {"type", j.type},
                                   {"retries", j.retries},
                                   {"priority", j.priority},
                                   {"due", Time(j.due)},
                                   {"external", j.external},
                                   {"error", j.error}});
      }
      return JsonResponse(200, json::object{{"jobs", std::move(out)}});
    });
  });

  router.Add("GET", "/api/tasks", [&engine](const Request& request) {
    auto instance = QueryId(request, "instance");
    if (!instance) return ErrorResponse(instance.error());
    return Answer(engine.ListTasks(*instance), [](const std::vector<workflow::TaskInfo>& list) {
      json::array out;
      for (const auto& t : list) out.push_back(ToJson(t));
      return JsonResponse(200, json::object{{"tasks", std::move(out)}});
    });
  });

  router.Add("GET", "/api/tasks/{id}", [&engine](const Request& request) {
    auto id = PathId(request, "task id");
    if (!id) return ErrorResponse(id.error());
    return Answer(engine.GetTask(*id),
                  [](const workflow::TaskInfo& t) { return JsonResponse(200, ToJson(t)); });
  });

  router.Add("POST", "/api/tasks/{id}/complete", [&engine](const Request& request) {
    auto id = PathId(request, "task id");
    if (!id) return ErrorResponse(id.error());
    json::object vars;
    if (!request.body.empty()) {
      auto body = ParseJsonObject(request);
      if (!body) return ErrorResponse(body.error());
      auto v = ObjectMember(*body, "variables");
      if (!v) return ErrorResponse(v.error());
      vars = std::move(*v);
    }
    auto r = engine.CompleteTask(*id, vars, Actor(request));
    return r ? NoContent() : ErrorResponse(r.error());
  });
}

}  // namespace quire::server
