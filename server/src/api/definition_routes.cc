#include "quire/server/definition_routes.h"

#include <boost/json.hpp>
#include <charconv>

#include "quire/base/clock.h"
#include "quire/base/instant.h"
#include "quire/definitions/bpmn_loader.h"
#include "quire/server/json.h"
#include "quire/workflow/connector.h"

namespace quire::server {
namespace {

using definitions::ProcessVersion;

boost::json::object ToJson(const ProcessVersion& v) {
  return {{"id", v.process_id},      {"name", v.name},
          {"version", v.version},    {"hash", v.hash},
          {"source", v.source_name}, {"deployedAt", FormatInstant(v.deployed_at)}};
}

boost::json::object ToJson(const definitions::FormVersion& v) {
  return {{"id", v.form_id},
          {"version", v.version},
          {"hash", v.hash},
          {"source", v.source_name},
          {"deployedAt", FormatInstant(v.deployed_at)}};
}

Result<std::optional<std::uint32_t>> VersionParam(const Request& request) {
  const auto text = request.query_param("version");
  if (!text) return std::optional<std::uint32_t>();
  std::uint32_t v = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size() || v == 0) {
    return Error::InvalidArgument("version must be a positive whole number, not '" + *text + "'");
  }
  return std::optional<std::uint32_t>(v);
}

boost::json::array ToJson(const std::vector<ProcessVersion>& versions) {
  boost::json::array out;
  for (const ProcessVersion& v : versions) out.push_back(ToJson(v));
  return out;
}

}  // namespace

void AddDefinitionRoutes(Router& router, definitions::DefinitionRepository& repository,
                         std::function<definitions::Timestamp()> now) {
  AddDefinitionRoutes(
      router, repository,
      [&repository, now](std::string_view xml, std::string_view name, const audit::Actor&,
                         std::optional<definitions::Duration>) {
        return repository.Deploy(xml, name, now());
      },
      now);
}

void AddDefinitionRoutes(Router& router, definitions::DefinitionRepository& repository,
                         DeployFunction deploy, std::function<definitions::Timestamp()> now) {
  if (!now) now = [] { return SystemClock::Instance().Now(); };
  router.Add(
      "POST", "/api/deployments", Permission::kDefinitionsDeploy,
      [deploy](const Request& request) -> Result<Response> {
        if (request.body.empty()) {
          return Error::InvalidArgument(
              "send the BPMN 2.0 XML as the request body (Content-Type: application/xml)");
        }
        const std::string name = request.query_param("name").value_or("");
        std::optional<definitions::Duration> ttl;
        if (const auto text = request.query_param("historyTimeToLive")) {
          auto d = definitions::ParseDuration(*text);
          if (!d) {
            return Error::InvalidArgument(
                "historyTimeToLive must be an ISO 8601 duration such as P30D, not '" + *text + "'");
          }
          ttl = *d;
        }
        auto deployed = deploy(request.body, name, request.principal->actor(), ttl);
        if (!deployed) return deployed.error();
        boost::json::array processes;
        bool any_new = false;
        for (const ProcessVersion& v : deployed->processes) {
          boost::json::object o = ToJson(v);
          o["new"] = v.is_new;
          any_new = any_new || v.is_new;
          processes.push_back(std::move(o));
        }
        boost::json::array warnings;
        for (const definitions::Diagnostic& d : deployed->warnings) {
          warnings.push_back(
              {{"line", d.where.line}, {"column", d.where.column}, {"message", d.message}});
        }
        return JsonResponse(any_new ? 201 : 200, boost::json::object{{"hash", deployed->hash},
                                                                     {"processes", processes},
                                                                     {"warnings", warnings}});
      });

  // `quire validate` over HTTP: the BPMN body checked as a deployment would check it, every
  // problem with its line, column and element, nothing deployed. For the designer's view,
  // which draws the problems on the diagram.
  router.Add(
      "POST", "/api/validate", Permission::kDefinitionsRead,
      [](const Request& request) -> Result<Response> {
        if (request.body.empty()) {
          return Error::InvalidArgument(
              "send the BPMN 2.0 XML as the request body (Content-Type: application/xml)");
        }
        // Checked as the engine runs it: a loop through inline connectors has no wait state.
        static const definitions::LoadOptions options{
            workflow::ConnectorRegistry::WithBuiltins().InlineTypes()};
        const definitions::LoadResult result = definitions::LoadBpmn(request.body, options);
        boost::json::array diagnostics;
        for (const definitions::Diagnostic& d : result.diagnostics) {
          diagnostics.push_back(
              {{"severity", d.severity == definitions::Severity::kError ? "error" : "warning"},
               {"line", d.where.line},
               {"column", d.where.column},
               {"elementId", d.element_id},
               {"message", d.message}});
        }
        boost::json::array processes;
        if (result.definitions) {
          for (const definitions::Process& p : result.definitions->processes) {
            processes.push_back({{"id", p.id}, {"name", p.name}, {"executable", p.executable}});
          }
        }
        return JsonResponse(200, boost::json::object{{"valid", result.ok()},
                                                     {"processes", std::move(processes)},
                                                     {"diagnostics", std::move(diagnostics)}});
      });

  router.Add("GET", "/api/processes", Permission::kDefinitionsRead,
             [&repository](const Request&) -> Result<Response> {
               auto latest = repository.Latest();
               if (!latest) return latest.error();
               return JsonResponse(200, Page(ToJson(*latest)));
             });

  router.Add("GET", "/api/processes/{id}/versions", Permission::kDefinitionsRead,
             [&repository](const Request& request) -> Result<Response> {
               auto versions = repository.Versions(std::string(*request.path_param("id")));
               if (!versions) return versions.error();
               return JsonResponse(200, Page(ToJson(*versions)));
             });

  router.Add("GET", "/api/processes/{id}/xml", Permission::kDefinitionsRead,
             [&repository](const Request& request) -> Result<Response> {
               auto version = VersionParam(request);
               if (!version) return version.error();
               auto source = repository.Source(std::string(*request.path_param("id")), *version);
               if (!source) return source.error();
               Response response;
               response.content_type = "application/xml";
               response.body = std::move(*source);
               return response;
             });

  router.Add("POST", "/api/forms", Permission::kDefinitionsDeploy,
             [&repository, now](const Request& request) -> Result<Response> {
               if (request.body.empty()) {
                 return Error::InvalidArgument(
                     "send the Camunda form (the .form file's JSON) as the request body");
               }
               auto deployed = repository.DeployForm(
                   request.body, request.query_param("name").value_or(""), now());
               if (!deployed) return deployed.error();
               boost::json::object o = ToJson(*deployed);
               o["new"] = deployed->is_new;
               return JsonResponse(deployed->is_new ? 201 : 200, o);
             });

  router.Add("GET", "/api/forms", Permission::kDefinitionsRead,
             [&repository](const Request&) -> Result<Response> {
               auto latest = repository.LatestForms();
               if (!latest) return latest.error();
               boost::json::array forms;
               for (const auto& v : *latest) forms.push_back(ToJson(v));
               return JsonResponse(200, Page(std::move(forms)));
             });

  router.Add("GET", "/api/forms/{id}/versions", Permission::kDefinitionsRead,
             [&repository](const Request& request) -> Result<Response> {
               auto versions = repository.FormVersions(std::string(*request.path_param("id")));
               if (!versions) return versions.error();
               boost::json::array out;
               for (const auto& v : *versions) out.push_back(ToJson(v));
               return JsonResponse(200, Page(std::move(out)));
             });

  router.Add("GET", "/api/forms/{id}", Permission::kDefinitionsRead,
             [&repository](const Request& request) -> Result<Response> {
               auto version = VersionParam(request);
               if (!version) return version.error();
               definitions::FormBinding binding;
               if (*version) {
                 binding.kind = definitions::FormBinding::Kind::kVersion;
                 binding.version = **version;
               }
               auto found = repository.FindForm(std::string(*request.path_param("id")), binding);
               if (!found) return found.error();
               Response response;
               response.content_type = "application/json";
               response.body = std::move(found->second);
               return response;
             });
}

}  // namespace quire::server
