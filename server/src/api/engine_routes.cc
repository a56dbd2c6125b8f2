#include "quire/server/engine_routes.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

#include "quire/definitions/iso8601.h"
#include "quire/server/json.h"
#include "route_support.h"

namespace quire::server {
using namespace api;  // NOLINT: the shared route helpers
using workflow::Engine;

void AddEngineRoutes(Router& router, Engine& engine) {
  router.Add("DELETE", "/api/processes/{id}", Permission::kDefinitionsUndeploy,
             [&engine](const Request& request) -> Result<Response> {
               const bool force = request.query_param("force").value_or("") == "true";
               auto r =
                   engine.Undeploy(std::string(*request.path_param("id")), force, Actor(request));
               QUIRE_RETURN_IF_ERROR(r);
               return NoContent();
             });

  router.Add("POST", "/api/processes/{id}/instances", Permission::kInstancesStart,
             [&engine](const Request& request) -> Result<Response> {
               workflow::StartRequest start;
               start.process_id = std::string(*request.path_param("id"));
               start.actor = Actor(request);
               if (!request.body.empty()) {
                 auto body = ParseJsonObject(request);
                 if (!body) return body.error();
                 auto vars = VariablesMember(*body, "variables");
                 if (!vars) return vars.error();
                 start.variables = std::move(*vars);
                 auto key = StringMember(*body, "businessKey", false);
                 if (!key) return key.error();
                 start.business_key = std::move(*key);
                 if (const json::value* v = body->if_contains("version");
                     v != nullptr && !v->is_null()) {
                   if (!v->is_int64() || v->get_int64() < 1 || v->get_int64() > UINT32_MAX) {
                     return Error::InvalidArgument("'version' must be a positive whole number");
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

  router.Add("GET", "/api/processes/{id}/instances", Permission::kInstancesRead,
             [&engine](const Request& request) -> Result<Response> {
               auto limit = Limit(request, 100);
               if (!limit) return limit.error();
               const std::string process(*request.path_param("id"));
               return OffsetPage<workflow::InstanceInfo>(
                   request, *limit, [&](std::size_t n) { return engine.ListInstances(process, n); },
                   [](const workflow::InstanceInfo& i) { return ToJson(i); });
             });

  router.Add("GET", "/api/instances/{id}", Permission::kInstancesRead,
             [&engine](const Request& request) -> Result<Response> {
               auto id = PathId(request, "instance id");
               if (!id) return id.error();
               return Answer(engine.GetInstance(*id), [](const workflow::InstanceInfo& info) {
                 return JsonResponse(200, ToJson(info));
               });
             });

  router.Add("DELETE", "/api/instances/{id}", Permission::kInstancesCancel,
             [&engine](const Request& request) -> Result<Response> {
               auto id = PathId(request, "instance id");
               if (!id) return id.error();
               auto r =
                   engine.Cancel(*id, Actor(request), request.query_param("reason").value_or(""));
               QUIRE_RETURN_IF_ERROR(r);
               return NoContent();
             });

  router.Add("PUT", "/api/instances/{id}/variables", Permission::kInstancesModify,
             [&engine](const Request& request) -> Result<Response> {
               auto id = PathId(request, "instance id");
               if (!id) return id.error();
               auto body = ParseJsonObject(request);
               if (!body) return body.error();
               QUIRE_ASSIGN_OR_RETURN(json::object variables, workflow::PlainVariables(*body));
               QUIRE_RETURN_IF_ERROR(engine.SetVariables(*id, variables, Actor(request)));
               QUIRE_ASSIGN_OR_RETURN(workflow::InstanceInfo info, engine.GetInstance(*id));
               return JsonResponse(200, ToJson(info));
             });

  router.Add("POST", "/api/instances/{id}/trigger", Permission::kInstancesModify,
             [&engine](const Request& request) -> Result<Response> {
               auto id = PathId(request, "instance id");
               if (!id) return id.error();
               auto body = ParseJsonObject(request);
               if (!body) return body.error();
               QUIRE_RETURN_IF_ERROR(Renamed(*body, "element", "elementId"));
               auto element = StringMember(*body, "elementId", true);
               if (!element) return element.error();
               auto vars = VariablesMember(*body, "variables");
               if (!vars) return vars.error();
               QUIRE_RETURN_IF_ERROR(engine.Trigger(*id, *element, *vars, Actor(request)));
               QUIRE_ASSIGN_OR_RETURN(workflow::InstanceInfo info, engine.GetInstance(*id));
               return JsonResponse(200, ToJson(info));
             });

  router.Add("GET", "/api/instances/{id}/history", Permission::kInstancesRead,
             [&engine](const Request& request) -> Result<Response> {
               auto id = PathId(request, "instance id");
               if (!id) return id.error();
               return Answer(engine.History(*id),
                             [](const std::vector<workflow::HistoryEvent>& events) {
                               return JsonResponse(200, Page(ToJson(events)));
                             });
             });

  router.Add("GET", "/api/history", Permission::kInstancesRead,
             [&engine](const Request& request) -> Result<Response> {
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
               if (!from) return from.error();
               auto to = parse("to");
               if (!to) return to.error();
               auto limit = Limit(request, 1000);
               if (!limit) return limit.error();
               return OffsetPage<workflow::HistoryEvent>(
                   request, *limit,
                   [&](std::size_t n) { return engine.HistoryBetween(*from, *to, n); },
                   [](const workflow::HistoryEvent& e) { return HistoryEventJson(e); });
             });

  router.Add("POST", "/api/messages", Permission::kInstancesModify,
             [&engine](const Request& request) -> Result<Response> {
               auto body = ParseJsonObject(request);
               if (!body) return body.error();
               workflow::MessageRequest m;
               m.actor = Actor(request);
               auto name = StringMember(*body, "name", true);
               if (!name) return name.error();
               m.name = std::move(*name);
               if (const json::value* k = body->if_contains("correlationKey"); k != nullptr) {
                 if (k->is_string()) {
                   m.correlation_key = std::string(k->get_string());
                 } else if (k->is_int64()) {
                   m.correlation_key = std::to_string(k->get_int64());
                 } else if (!k->is_null()) {
                   return Error::InvalidArgument("'correlationKey' must be a string");
                 }
               }
               auto vars = VariablesMember(*body, "variables");
               if (!vars) return vars.error();
               m.variables = std::move(*vars);
               if (const json::value* ttl = body->if_contains("ttl");
                   ttl != nullptr && !ttl->is_null()) {
                 if (ttl->is_int64() && ttl->get_int64() >= 0) {
                   m.ttl = std::chrono::milliseconds(ttl->get_int64());
                 } else if (ttl->is_string()) {
                   auto d = definitions::ParseDuration(ttl->get_string());
                   if (!d) {
                     return Error::InvalidArgument(
                         "'ttl' must be milliseconds or an ISO 8601 duration such as PT1H");
                   }
                   const Timestamp now{};
                   m.ttl = std::chrono::duration_cast<std::chrono::milliseconds>(
                       definitions::Add(now, *d) - now);
                 } else {
                   return Error::InvalidArgument(
                       "'ttl' must be milliseconds or an ISO 8601 duration such as PT1H");
                 }
               }
               return Answer(engine.CorrelateMessage(m), [](const workflow::MessageResult& r) {
                 json::object o{{"correlated", Ids(r.correlated)}, {"started", Ids(r.started)}};
                 o["buffered"] = r.buffered_id == 0 ? json::value()
                                                    : json::value(std::to_string(r.buffered_id));
                 return JsonResponse(200, o);
               });
             });

  router.Add("POST", "/api/signals", Permission::kInstancesModify,
             [&engine](const Request& request) -> Result<Response> {
               auto body = ParseJsonObject(request);
               if (!body) return body.error();
               auto name = StringMember(*body, "name", true);
               if (!name) return name.error();
               auto vars = VariablesMember(*body, "variables");
               if (!vars) return vars.error();
               return Answer(engine.BroadcastSignal(*name, *vars, Actor(request)),
                             [](std::size_t n) {
                               return JsonResponse(200, json::object{{"reacted", n}});
                             });
             });

  router.Add("GET", "/api/incidents", Permission::kInstancesRead,
             [&engine](const Request& request) -> Result<Response> {
               auto instance = QueryId(request, "instance");
               if (!instance) return instance.error();
               return Answer(engine.ListIncidents(*instance),
                             [](const std::vector<workflow::IncidentInfo>& list) {
                               json::array out;
                               for (const auto& i : list) out.push_back(ToJson(i));
                               return JsonResponse(200, Page(std::move(out)));
                             });
             });

  router.Add(
      "POST", "/api/incidents/{id}/retry", Permission::kInstancesModify,
      [&engine](const Request& request) -> Result<Response> {
        auto id = PathId(request, "incident id");
        if (!id) return id.error();
        int retries = 1;
        if (!request.body.empty()) {
          auto body = ParseJsonObject(request);
          if (!body) return body.error();
          if (const json::value* r = body->if_contains("retries"); r != nullptr) {
            if (!r->is_int64() || r->get_int64() < 1 || r->get_int64() > 100) {
              return Error::InvalidArgument("'retries' must be a whole number from 1 to 100");
            }
            retries = static_cast<int>(r->get_int64());
          }
        }
        // The answer is the incident's instance as the retry left it.
        QUIRE_ASSIGN_OR_RETURN(std::vector<workflow::IncidentInfo> open,
                               engine.ListIncidents(std::nullopt));
        const auto incident =
            std::find_if(open.begin(), open.end(), [&](const auto& i) { return i.id == *id; });
        QUIRE_RETURN_IF_ERROR(engine.RetryIncident(*id, retries, Actor(request)));
        if (incident == open.end()) {
          return Error::Internal("incident " + std::to_string(*id) + " was retried but not listed");
        }
        QUIRE_ASSIGN_OR_RETURN(workflow::InstanceInfo info,
                               engine.GetInstance(incident->instance_id));
        return JsonResponse(200, ToJson(info));
      });

  router.Add("GET", "/api/jobs", Permission::kInstancesRead,
             [&engine](const Request& request) -> Result<Response> {
               auto instance = QueryId(request, "instance");
               if (!instance) return instance.error();
               return Answer(engine.ListJobs(*instance),
                             [](const std::vector<workflow::JobInfo>& list) {
                               json::array out;
                               for (const auto& j : list) out.push_back(JobJson(j));
                               return JsonResponse(200, Page(std::move(out)));
                             });
             });
}

}  // namespace quire::server
