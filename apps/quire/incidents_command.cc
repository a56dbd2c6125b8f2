// quire incidents [list] | retry ID: the open incidents of a store, and retrying one.
#include <boost/json.hpp>
#include <iostream>

#include "commands.h"
#include "engine_session.h"
#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/json_text.h"
#include "quire/definitions/iso8601.h"
#include "quire/definitions/repository.h"
#include "quire/server/resources.h"
#include "quire/storage/store.h"
#include "quire/workflow/engine.h"

namespace quire::app {

std::string IncidentsUsage() {
  return "Usage: quire incidents [list] [--instance ID] [--data-dir DIR]\n"
         "       quire incidents retry INCIDENT [--retries N] [--data-dir DIR]\n\n"
         "Lists the open incidents of the store in DIR (default quire-data) as JSON lines, or\n"
         "retries one: its job runs again with N retries (default 1), or its element runs\n"
         "again. While 'quire serve' runs there, use GET /api/incidents and\n"
         "POST /api/incidents/{id}/retry instead.\n";
}

int RunIncidents(const std::vector<std::string>& args) {
  std::string data_dir = "quire-data";
  std::string action = "list";
  std::uint64_t incident = 0;
  std::optional<std::uint64_t> instance;
  int retries = 1;
  auto number = [](const std::string& text, std::uint64_t& out) {
    char* end = nullptr;
    out = std::strtoull(text.c_str(), &end, 10);
    return end != text.c_str() && *end == '\0' && out > 0;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << IncidentsUsage();
      return kExitOk;
    }
    const bool takes_value = arg == "--data-dir" || arg == "--instance" || arg == "--retries";
    if (takes_value && i + 1 >= args.size()) {
      std::cerr << "quire incidents: " << arg << " needs a value\n";
      return kExitUsage;
    }
    std::uint64_t n = 0;
    if (arg == "--data-dir") {
      data_dir = args[++i];
    } else if (arg == "--instance") {
      if (!number(args[++i], n)) {
        std::cerr << "quire incidents: --instance must be an instance id\n";
        return kExitUsage;
      }
      instance = n;
    } else if (arg == "--retries") {
      if (!number(args[++i], n) || n > 100) {
        std::cerr << "quire incidents: --retries must be from 1 to 100\n";
        return kExitUsage;
      }
      retries = static_cast<int>(n);
    } else if (arg == "list" || arg == "retry") {
      action = arg;
    } else if (action == "retry" && incident == 0 && number(arg, n)) {
      incident = n;
    } else {
      std::cerr << "quire incidents: unexpected '" << arg << "'; see 'quire help incidents'\n";
      return kExitUsage;
    }
  }
  if (action == "retry" && incident == 0) {
    std::cerr << "quire incidents: name the incident to retry; see 'quire help incidents'\n";
    return kExitUsage;
  }
  auto session = OpenSession("incidents", data_dir);
  if (!session) return kExitFailure;
  workflow::Engine* engine = &session->engine();
  if (action == "retry") {
    if (auto r = engine->RetryIncident(incident, retries, LocalActor("")); !r) {
      std::cerr << "quire incidents: " << r.error().message() << "\n";
      return kExitFailure;
    }
    std::cout << "incident " << incident << " retried\n";
    return kExitOk;
  }
  auto list = engine->ListIncidents(instance);
  if (!list) {
    std::cerr << "quire incidents: " << list.error().message() << "\n";
    return kExitFailure;
  }
  for (const workflow::IncidentInfo& i : *list) {
    std::cout << quire::JsonText(server::IncidentJson(i)) << "\n";  // as GET /api/incidents
  }
  return kExitOk;
}

}  // namespace quire::app
