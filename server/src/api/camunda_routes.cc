#include "quire/server/camunda_routes.h"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

#include "quire/definitions/iso8601.h"
#include "quire/server/json.h"
#include "quire/workflow/camunda_variables.h"

namespace quire::server {
namespace {

namespace json = boost::json;

// Camunda's error body.
Response CamundaError(const Error& e) {
  int status = 500;
  std::string type = "RestException";
  switch (e.code()) {
    case ErrorCode::kNotFound:
      status = 404;
      type = "RestException";
      break;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kValidationFailed:
    case ErrorCode::kConflict:
      status = 400;
      type = "InvalidRequestException";
      break;
    case ErrorCode::kUnavailable:
      status = 503;
      break;
    default:
      break;
  }
  return JsonResponse(status, json::object{{"type", type}, {"message", e.message()}});
}

Response NoContent() {
  Response r;
  r.status = 204;
  return r;
}

Result<std::uint64_t> TaskId(const Request& request) {
  const std::string_view text = *request.path_param("id");
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v == 0) {
    return Error::NotFound("external task with id '" + std::string(text) + "' does not exist");
  }
  return v;
}

std::string CamundaTime(Timestamp t) {
  // Camunda's date format: 2026-11-24T08:00:00.000+0000
  std::string iso = definitions::FormatDateTime(t);  // ...Z or ...sssZ
  iso.pop_back();
  if (iso.find('.') == std::string::npos) iso += ".000";
  return iso + "+0000";
}

// The variables of an /engine-rest request: every entry is a Camunda typed value.
Result<json::object> CamundaVariables(const json::value* typed, const char* where) {
  json::object out;
  if (typed == nullptr || typed->is_null()) return out;
  if (!typed->is_object()) {
    return Error::InvalidArgument(std::string(where) +
                                  " must be an object of {\"value\", \"type\"} entries");
  }
  for (const auto& [name, entry] : typed->get_object()) {
    if (!entry.is_object()) {
      return Error::InvalidArgument("variable '" + std::string(name) +
                                    "' must be {\"value\": ..., \"type\": ...}");
    }
    QUIRE_ASSIGN_OR_RETURN(out[name], workflow::FromCamundaTyped(name, entry.get_object()));
  }
  return out;
}

Result<std::string> WorkerId(const json::object& body) {
  const json::value* w = body.if_contains("workerId");
  if (w == nullptr || !w->is_string() || w->get_string().empty()) {
    return Error::InvalidArgument("workerId is required");
  }
  return std::string(w->get_string());
}

Result<std::int64_t> Number(const json::object& body, std::string_view name,
                            std::int64_t fallback) {
  const json::value* v = body.if_contains(name);
  if (v == nullptr || v->is_null()) return fallback;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double() && std::nearbyint(v->get_double()) == v->get_double()) {
    return static_cast<std::int64_t>(v->get_double());
  }
  return Error::InvalidArgument(std::string(name) + " must be a whole number");
}

// What every per-task call carries: the task id (path), the body and the worker.
struct TaskCall {
  std::uint64_t id = 0;
  json::object body;
  std::string worker;
};

Result<TaskCall> ParseTaskCall(const Request& request) {
  TaskCall call;
  QUIRE_ASSIGN_OR_RETURN(call.id, TaskId(request));
  QUIRE_ASSIGN_OR_RETURN(call.body, ParseJsonObject(request));
  QUIRE_ASSIGN_OR_RETURN(call.worker, WorkerId(call.body));
  return call;
}

json::object ToJson(const workflow::LockedJob& j) {
  return {{"activityId", j.element_id},
          {"activityInstanceId", j.element_id + ":" + std::to_string(j.element_key)},
          {"errorMessage", j.error.empty() ? json::value() : json::value(j.error)},
          {"errorDetails", nullptr},
          {"executionId", std::to_string(j.instance_id) + ":" + std::to_string(j.element_key)},
          {"id", std::to_string(j.id)},
          {"lockExpirationTime", CamundaTime(j.lock_expires)},
          {"processDefinitionId", j.process_id + ":" + std::to_string(j.version)},
          {"processDefinitionKey", j.process_id},
          {"processDefinitionVersionTag", nullptr},
          {"processInstanceId", std::to_string(j.instance_id)},
          {"retries", j.retries},
          {"suspended", false},
          {"workerId", j.worker},
          {"topicName", j.topic},
          {"tenantId", nullptr},
          {"variables", workflow::CamundaTypedVariables(j.variables)},
          {"priority", j.priority},
          {"businessKey", j.business_key.empty() ? json::value() : json::value(j.business_key)},
          {"extensionProperties", json::object()}};
}

// The longest long poll: each waiting worker holds a handler thread meanwhile.
constexpr std::int64_t kMaxAsyncResponseMs = 10'000;

}  // namespace

void AddCamundaRoutes(Router& router, workflow::Engine& engine) {
  router.Add(
      "POST", "/engine-rest/external-task/fetchAndLock", Permission::kJobsWork,
      [&engine](const Request& request) {
        auto body = ParseJsonObject(request);
        if (!body) return CamundaError(body.error());
        auto worker = WorkerId(*body);
        if (!worker) return CamundaError(worker.error());
        auto max_tasks = Number(*body, "maxTasks", 10);
        if (!max_tasks) return CamundaError(max_tasks.error());
        if (*max_tasks < 0 || *max_tasks > 1000) {
          return CamundaError(Error::InvalidArgument("maxTasks must be from 0 to 1000"));
        }
        auto wait = Number(*body, "asyncResponseTimeout", 0);
        if (!wait) return CamundaError(wait.error());
        bool use_priority = false;
        if (const json::value* p = body->if_contains("usePriority"); p != nullptr && p->is_bool()) {
          use_priority = p->get_bool();
        }
        std::vector<workflow::ExternalTopic> topics;
        if (const json::value* t = body->if_contains("topics"); t != nullptr && !t->is_null()) {
          if (!t->is_array()) return CamundaError(Error::InvalidArgument("topics must be a list"));
          for (const json::value& tv : t->get_array()) {
            if (!tv.is_object())
              return CamundaError(Error::InvalidArgument("a topic must be an object"));
            const json::object& to = tv.get_object();
            workflow::ExternalTopic topic;
            if (const json::value* n = to.if_contains("topicName");
                n != nullptr && n->is_string()) {
              topic.name = std::string(n->get_string());
            }
            auto lock = Number(to, "lockDuration", 0);
            if (!lock) return CamundaError(lock.error());
            if (*lock <= 0) {
              return CamundaError(Error::InvalidArgument("lockDuration of topic '" + topic.name +
                                                         "' is required and must be positive"));
            }
            topic.lock_duration = std::chrono::milliseconds(*lock);
            if (const json::value* v = to.if_contains("variables"); v != nullptr && v->is_array()) {
              topic.variables.emplace();
              for (const json::value& name : v->get_array()) {
                if (name.is_string()) topic.variables->emplace_back(name.get_string());
              }
            }
            if (const json::value* k = to.if_contains("businessKey");
                k != nullptr && k->is_string()) {
              topic.business_key = std::string(k->get_string());
            }
            if (const json::value* k = to.if_contains("processDefinitionKey");
                k != nullptr && k->is_string()) {
              topic.process_id = std::string(k->get_string());
            }
            topics.push_back(std::move(topic));
          }
        }
        const auto deadline =
            std::chrono::steady_clock::now() +
            std::chrono::milliseconds(std::clamp<std::int64_t>(*wait, 0, kMaxAsyncResponseMs));
        for (;;) {
          if (topics.empty() || *max_tasks == 0) return JsonResponse(200, json::array());
          auto locked = engine.FetchAndLock(*worker, topics, static_cast<std::size_t>(*max_tasks),
                                            use_priority);
          if (!locked) return CamundaError(locked.error());
          if (!locked->empty() || std::chrono::steady_clock::now() >= deadline) {
            json::array out;
            for (const workflow::LockedJob& j : *locked) out.push_back(ToJson(j));
            return JsonResponse(200, out);
          }
          engine.WaitForExternalJobs(deadline);
        }
      });

  router.Add("POST", "/engine-rest/external-task/{id}/complete", Permission::kJobsWork,
             [&engine](const Request& request) {
               auto call = ParseTaskCall(request);
               if (!call) return CamundaError(call.error());
               const auto& [id, body, worker] = *call;
               auto vars = CamundaVariables(body.if_contains("variables"), "variables");
               if (!vars) return CamundaError(vars.error());
               auto local = CamundaVariables(body.if_contains("localVariables"), "localVariables");
               if (!local) return CamundaError(local.error());
               workflow::JobOutcome outcome;
               outcome.variables = std::move(*vars);
               // Local variables end with the task: only its output mappings can read them.
               for (auto& [name, value] : *local) {
                 if (!outcome.variables.contains(name)) outcome.variables[name] = value;
               }
               auto r = engine.CompleteExternal(id, worker, outcome);
               return r ? NoContent() : CamundaError(r.error());
             });

  router.Add("POST", "/engine-rest/external-task/{id}/failure", Permission::kJobsWork,
             [&engine](const Request& request) {
               auto call = ParseTaskCall(request);
               if (!call) return CamundaError(call.error());
               const auto& [id, body, worker] = *call;
               auto retries = Number(body, "retries", 0);
               if (!retries) return CamundaError(retries.error());
               auto timeout = Number(body, "retryTimeout", 0);
               if (!timeout) return CamundaError(timeout.error());
               if (*retries < 0 || *timeout < 0) {
                 return CamundaError(
                     Error::InvalidArgument("retries and retryTimeout cannot be negative"));
               }
               std::string message = "the external worker reported a failure";
               if (const json::value* m = body.if_contains("errorMessage");
                   m != nullptr && m->is_string()) {
                 message = std::string(m->get_string());
               }
               if (const json::value* d = body.if_contains("errorDetails");
                   d != nullptr && d->is_string() && !d->get_string().empty()) {
                 message += "\n" + std::string(d->get_string());
               }
               auto r = engine.FailExternal(id, worker, message, static_cast<int>(*retries),
                                            std::chrono::milliseconds(*timeout));
               return r ? NoContent() : CamundaError(r.error());
             });

  router.Add("POST", "/engine-rest/external-task/{id}/bpmnError", Permission::kJobsWork,
             [&engine](const Request& request) {
               auto call = ParseTaskCall(request);
               if (!call) return CamundaError(call.error());
               const auto& [id, body, worker] = *call;
               const json::value* code = body.if_contains("errorCode");
               if (code == nullptr || !code->is_string() || code->get_string().empty()) {
                 return CamundaError(Error::InvalidArgument("errorCode is required"));
               }
               auto vars = CamundaVariables(body.if_contains("variables"), "variables");
               if (!vars) return CamundaError(vars.error());
               workflow::JobOutcome outcome;
               outcome.bpmn_error = std::string(code->get_string());
               if (const json::value* m = body.if_contains("errorMessage");
                   m != nullptr && m->is_string()) {
                 outcome.error_message = std::string(m->get_string());
               }
               outcome.variables = std::move(*vars);
               auto r = engine.CompleteExternal(id, worker, outcome);
               return r ? NoContent() : CamundaError(r.error());
             });

  router.Add("POST", "/engine-rest/external-task/{id}/extendLock", Permission::kJobsWork,
             [&engine](const Request& request) {
               auto call = ParseTaskCall(request);
               if (!call) return CamundaError(call.error());
               const auto& [id, body, worker] = *call;
               auto duration = Number(body, "newDuration", 0);
               if (!duration) return CamundaError(duration.error());
               auto r = engine.ExtendLock(id, worker, std::chrono::milliseconds(*duration));
               return r ? NoContent() : CamundaError(r.error());
             });

  router.Add("POST", "/engine-rest/external-task/{id}/unlock", Permission::kJobsWork,
             [&engine](const Request& request) {
               auto id = TaskId(request);
               if (!id) return CamundaError(id.error());
               auto r = engine.Unlock(*id);
               return r ? NoContent() : CamundaError(r.error());
             });
}

}  // namespace quire::server
