// quire start PROCESS: starts an instance in a store directly (the server not running).
#include <boost/json.hpp>
#include <iostream>

#include "commands.h"
#include "engine_session.h"
#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/json_text.h"
#include "quire/definitions/repository.h"
#include "quire/storage/store.h"
#include "quire/workflow/camunda_variables.h"
#include "quire/workflow/engine.h"

namespace quire::app {

std::string StartUsage() {
  return "Usage: quire start PROCESS [--variables JSON] [--business-key KEY] [--version N]\n"
         "                   [--as USER] [--data-dir DIR]\n\n"
         "Starts an instance of a deployed process in the store in DIR (default quire-data)\n"
         "and prints {\"id\", \"state\", \"tasks\"}. Service-task jobs it creates run when\n"
         "'quire serve' next runs on the store. While 'quire serve' runs there, start\n"
         "through it instead:\n"
         "  curl -H 'Content-Type: application/json' -d '{\"variables\": {\"amount\": 100}}' \\\n"
         "       http://127.0.0.1:8080/api/processes/PROCESS/instances\n";
}

int RunStart(const std::vector<std::string>& args) {
  std::string data_dir = "quire-data";
  workflow::StartRequest request;
  request.actor = LocalActor("");
  std::string vars = "{}";
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << StartUsage();
      return kExitOk;
    }
    const bool takes_value = arg == "--data-dir" || arg == "--variables" || arg == "--vars" ||
                             arg == "--business-key" || arg == "--version" || arg == "--as";
    if (takes_value && i + 1 >= args.size()) {
      std::cerr << "quire start: " << arg << " needs a value; see 'quire help start'\n";
      return kExitUsage;
    }
    if (arg == "--data-dir") {
      data_dir = args[++i];
    } else if (arg == "--variables" || arg == "--vars") {  // --vars: the earlier name
      vars = args[++i];
    } else if (arg == "--business-key") {
      request.business_key = args[++i];
    } else if (arg == "--as") {
      request.actor = LocalActor(args[++i]);
    } else if (arg == "--version") {
      const std::string& v = args[++i];
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || n < 1) {
        std::cerr << "quire start: --version must be a positive whole number, not '" << v << "'\n";
        return kExitUsage;
      }
      request.version = static_cast<std::uint32_t>(n);
    } else if (arg.starts_with("--")) {
      std::cerr << "quire start: unknown option '" << arg << "'; see 'quire help start'\n";
      return kExitUsage;
    } else if (request.process_id.empty()) {
      request.process_id = arg;
    } else {
      std::cerr << "quire start: one process at a time ('" << arg << "' is extra)\n";
      return kExitUsage;
    }
  }
  if (request.process_id.empty()) {
    std::cerr << "quire start: name the process to start; see 'quire help start'\n";
    return kExitUsage;
  }
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(vars, ec);
  if (ec || !parsed.is_object()) {
    std::cerr << "quire start: --variables must be a JSON object such as '{\"amount\": 100}'\n";
    return kExitUsage;
  }
  auto variables = workflow::PlainVariables(parsed.get_object());
  if (!variables) {
    std::cerr << "quire start: --variables: " << variables.error().message() << "\n";
    return kExitUsage;
  }
  request.variables = std::move(*variables);

  auto session = OpenSession("start", data_dir,
                             {.busy_hint = "start through its API (see 'quire help start')"});
  if (!session) return kExitFailure;
  workflow::Engine* engine = &session->engine();
  auto started = engine->Start(request);
  if (!started) {
    std::cerr << "quire start: " << started.error().message() << "\n";
    return kExitFailure;
  }
  boost::json::array tasks;
  for (const auto t : started->tasks) tasks.emplace_back(std::to_string(t));
  std::cout << quire::JsonText(boost::json::object{{"id", std::to_string(started->instance_id)},
                                                   {"processId", request.process_id},
                                                   {"version", started->version},
                                                   {"state", started->state},
                                                   {"tasks", std::move(tasks)}})
            << "\n";
  return kExitOk;
}

}  // namespace quire::app
