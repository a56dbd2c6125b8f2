#include "quire/server/definition_routes.h"

#include <boost/json.hpp>
#include <charconv>

#include "quire/server/json.h"

namespace quire::server {
namespace {

using definitions::ProcessVersion;

boost::json::object ToJson(const ProcessVersion& v) {
  return {{"id", v.process_id},      {"name", v.name},
          {"version", v.version},    {"hash", v.hash},
          {"source", v.source_name}, {"deployedAt", definitions::FormatDateTime(v.deployed_at)}};
}

boost::json::array ToJson(const std::vector<ProcessVersion>& versions) {
  boost::json::array out;
  for (const ProcessVersion& v : versions) out.push_back(ToJson(v));
  return out;
}

}  // namespace

void AddDefinitionRoutes(Router& router, definitions::DefinitionRepository& repository,
                         std::function<definitions::Timestamp()> now) {
  AddDefinitionRoutes(router, repository,
                      [&repository, now](std::string_view xml, std::string_view name,
                                         const std::string&, std::optional<definitions::Duration>) {
                        return repository.Deploy(xml, name, now());
                      });
}

void AddDefinitionRoutes(Router& router, definitions::DefinitionRepository& repository,
                         DeployFunction deploy) {
  router.Add("POST", "/api/deployments", [deploy](const Request& request) {
    if (request.body.empty()) {
      return ErrorResponse(Error::InvalidArgument(
          "send the BPMN 2.0 XML as the request body (Content-Type: application/xml)"));
    }
    const std::string name = request.query_param("name").value_or("");
    const auto user = request.header("x-quire-user");
    std::optional<definitions::Duration> ttl;
    if (const auto text = request.query_param("historyTimeToLive")) {
      auto d = definitions::ParseDuration(*text);
      if (!d) {
        return ErrorResponse(Error::InvalidArgument(
            "historyTimeToLive must be an ISO 8601 duration such as P30D, not '" + *text + "'"));
      }
      ttl = *d;
    }
    auto deployed = deploy(request.body, name, user ? std::string(*user) : "anonymous", ttl);
    if (!deployed) return ErrorResponse(deployed.error());
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

  router.Add("GET", "/api/processes", [&repository](const Request&) {
    auto latest = repository.Latest();
    if (!latest) return ErrorResponse(latest.error());
    return JsonResponse(200, boost::json::object{{"processes", ToJson(*latest)}});
  });

  router.Add("GET", "/api/processes/{id}/versions", [&repository](const Request& request) {
    auto versions = repository.Versions(std::string(*request.path_param("id")));
    if (!versions) return ErrorResponse(versions.error());
    return JsonResponse(200, boost::json::object{{"versions", ToJson(*versions)}});
  });

  router.Add("GET", "/api/processes/{id}/xml", [&repository](const Request& request) {
    std::optional<std::uint32_t> version;
    if (const auto text = request.query_param("version")) {
      std::uint32_t v = 0;
      const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
      if (ec != std::errc() || end != text->data() + text->size() || v == 0) {
        return ErrorResponse(
            Error::InvalidArgument("version must be a positive whole number, not '" + *text + "'"));
      }
      version = v;
    }
    auto source = repository.Source(std::string(*request.path_param("id")), version);
    if (!source) return ErrorResponse(source.error());
    Response response;
    response.content_type = "application/xml";
    response.body = std::move(*source);
    return response;
  });
}

}  // namespace quire::server
