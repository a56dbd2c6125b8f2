// quire run FILE: runs a definition headless in a throw-away store, printing its trail.
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "commands.h"
#include "quire/base/clock.h"
#include "quire/base/instant.h"
#include "quire/base/json_text.h"
#include "quire/definitions/iso8601.h"
#include "quire/definitions/repository.h"
#include "quire/server/resources.h"
#include "quire/services/services.h"
#include "quire/storage/store.h"
#include "quire/workflow/engine.h"
#include "quire/workflow/form_sample.h"

namespace quire::app {
namespace {

namespace json = boost::json;

struct RunArgs {
  std::string file;
  std::string process;
  std::string vars = "{}";
  std::string business_key;
  std::string complete;           // "", "auto" or a script file
  std::vector<std::string> also;  // files deployed first (called processes)
};

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A temp directory removed when it goes out of scope.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "quire-run-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// What to submit when a task or external job at an element comes up: from the script
// ({"elementId": {...}} every time, or {"elementId": [{...}, {...}]} in turn), else {}.
class Script {
 public:
  bool Load(const json::object& o) {
    for (const auto& [element, value] : o) {
      if (value.is_object()) {
        fixed_[std::string(element)] = value.get_object();
      } else if (value.is_array()) {
        for (const json::value& v : value.get_array()) {
          if (!v.is_object()) return false;
          queued_[std::string(element)].push_back(v.get_object());
        }
      } else {
        return false;
      }
    }
    return true;
  }
  json::object Next(const std::string& element) {
    if (auto it = queued_.find(element); it != queued_.end() && !it->second.empty()) {
      json::object v = std::move(it->second.front());
      it->second.erase(it->second.begin());
      return v;
    }
    if (auto it = fixed_.find(element); it != fixed_.end()) return it->second;
    return {};
  }

 private:
  std::map<std::string, json::object> fixed_;
  std::map<std::string, std::vector<json::object>> queued_;
};

void PrintLine(const json::object& o) { std::cout << quire::JsonText(o) << "\n"; }

}  // namespace

std::string RunUsage() {
  return "Usage: quire run FILE [--process ID] [--variables JSON] [--business-key KEY]\n"
         "                     [--complete-tasks auto|SCRIPT.json] [--deploy FILE]...\n\n"
         "Runs a definition headless in a throw-away store and prints the trail of elements\n"
         "entered and left as JSON lines. Timers are fast-forwarded. --complete-tasks auto\n"
         "completes each user task with values its form accepts, made from the form's own\n"
         "declaration (defaults, first options, true, the smallest allowed number, today;\n"
         "a field it cannot fill is named), and external jobs with {}; a script gives the\n"
         "variables per element id instead ({\"review\": {\"approved\": true}}, or a list\n"
         "used in turn). Without it the run stops where a person would have to act.\n"
         "--deploy adds BPMN files (processes that call activities start) and Camunda forms\n"
         "(.form) that tasks use, as 'quire deploy' does.\n\n"
         "Exit status: 0 when the instance ended, or waits only for people, messages or\n"
         "signals nobody will send (the last line says what); 1 on an incident or an uncaught\n"
         "error (naming the element) or when the file does not load; 2 on bad usage.\n";
}

int RunRun(const std::vector<std::string>& args) {
  RunArgs a;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    bool ok = true;
    if (arg == "--help" || arg == "-h") {
      std::cout << RunUsage();
      return kExitOk;
    } else if (arg == "--process") {
      ok = value(a.process);
    } else if (arg == "--variables" || arg == "--vars") {  // --vars: the earlier name
      ok = value(a.vars);
    } else if (arg == "--business-key") {
      ok = value(a.business_key);
    } else if (arg == "--complete-tasks") {
      ok = value(a.complete);
    } else if (arg == "--deploy") {
      std::string more;
      ok = value(more);
      a.also.push_back(more);
    } else if (arg.starts_with("--")) {
      std::cerr << "quire run: unknown option '" << arg << "'; see 'quire help run'\n";
      return kExitUsage;
    } else if (a.file.empty()) {
      a.file = arg;
    } else {
      std::cerr << "quire run: one file at a time ('" << arg << "' is extra)\n";
      return kExitUsage;
    }
    if (!ok) {
      std::cerr << "quire run: " << arg << " needs a value; see 'quire help run'\n";
      return kExitUsage;
    }
  }
  if (a.file.empty()) {
    std::cerr << "quire run: name the BPMN file to run; see 'quire help run'\n";
    return kExitUsage;
  }
  boost::system::error_code ec;
  json::value vars = json::parse(a.vars, ec);
  if (ec || !vars.is_object()) {
    std::cerr << "quire run: --variables must be a JSON object such as '{\"amount\": 100}'\n";
    return kExitUsage;
  }
  Script script;
  const bool completing = !a.complete.empty();
  if (completing && a.complete != "auto") {
    const auto text = ReadFile(a.complete);
    json::value s = text ? json::parse(*text, ec) : json::value();
    if (!text || ec || !s.is_object() || !script.Load(s.get_object())) {
      std::cerr << "quire run: the script " << a.complete
                << " must be a JSON object: element id → variables object, or a list of them\n";
      return kExitUsage;
    }
  }
  const auto xml = ReadFile(a.file);
  if (!xml) {
    std::cerr << "quire run: cannot read " << a.file << "\n";
    return kExitFailure;
  }

  ScratchDir scratch;
  ManualClock clock(SystemClock::Instance().Now());
  const Timestamp began = clock.Now();
  // The whole of Quire on the scratch store: the engine, and the CRM and the DMS behind the
  // crm.* and dms.* connectors (an empty CRM: a lookup finds nobody).
  services::ServicesOptions options;
  options.search = false;
  options.check_required_documents = false;
  options.clock = &clock;
  options.audit.durability = storage::Durability::kNoSync;
  options.engine.durability = storage::Durability::kNoSync;
  options.engine.retry_backoff = std::chrono::milliseconds(1);
  options.engine.arm_start_events = false;
  auto opened = services::Services::Open(scratch.path() / "store", options);
  if (!opened) {
    std::cerr << "quire run: cannot open a scratch store: " << opened.error().message() << "\n";
    return kExitFailure;
  }
  definitions::DefinitionRepository& repository = (*opened)->repository();
  workflow::Engine& engine = (*opened)->engine();

  // Forms first, as 'quire deploy' does: the models deployed after them bind to them.
  const auto is_form = [](const std::string& f) { return f.ends_with(".form"); };
  std::stable_partition(a.also.begin(), a.also.end(), is_form);
  for (const std::string& other : a.also) {
    const auto text = ReadFile(other);
    if (!text) {
      std::cerr << "quire run: cannot read " << other << "\n";
      return kExitFailure;
    }
    const std::string name = std::filesystem::path(other).filename().string();
    Result<void> d = Ok();
    if (is_form(other)) {
      if (auto f = repository.DeployForm(*text, name, clock.Now()); !f) d = f.error();
    } else if (auto m = engine.Deploy(*text, name, "run"); !m) {
      d = m.error();
    }
    if (!d) {
      std::cerr << other << ": error: " << d.error().message() << "\n";
      for (const ErrorDetail& detail : d.error().details()) {
        std::cerr << other << ":" << detail.field << ": error: " << detail.message << "\n";
      }
      return kExitFailure;
    }
  }
  auto deployed = engine.Deploy(*xml, std::filesystem::path(a.file).filename().string(), "run");
  if (!deployed) {
    const Error& e = deployed.error();
    if (e.details().empty()) std::cerr << a.file << ": error: " << e.message() << "\n";
    for (const ErrorDetail& d : e.details()) {
      std::cerr << a.file << ":" << d.field << ": error: " << d.message << "\n";
    }
    return kExitFailure;
  }
  if (a.process.empty()) a.process = deployed->processes.front().process_id;

  workflow::StartRequest start;
  start.process_id = a.process;
  start.variables = vars.get_object();
  start.business_key = a.business_key;
  start.actor = "run";
  auto started = engine.Start(start);
  if (!started && started.error().code() == ErrorCode::kInvalidArgument) {
    // No plain start event: start at its first (timer, message or signal) start event, as
    // if that had fired, with --variables.
    auto defs = repository.Load(a.process);
    if (defs) {
      for (const auto& p : (*defs)->processes) {
        if (p.id != a.process) continue;
        for (const auto& e : p.elements) {
          if (e.kind == definitions::ElementKind::kStartEvent &&
              e.parent == definitions::kNoElement) {
            start.start_element = e.id;
            break;
          }
        }
      }
    }
    if (!start.start_element.empty()) started = engine.Start(start);
  }
  if (!started) {
    std::cerr << "quire run: cannot start '" << a.process << "': " << started.error().message()
              << "\n";
    return kExitFailure;
  }
  workflow::InstanceId root = started->instance_id;

  std::uint64_t printed = 0;
  auto print_trail = [&] {
    auto events = engine.HistoryBetween(began - std::chrono::hours(1),
                                        Timestamp::max() - std::chrono::hours(24 * 365), 100'000);
    if (!events) return;
    for (const workflow::HistoryEvent& e : *events) {
      if (e.seq < printed) continue;
      printed = e.seq + 1;
      // The event as GET /api/instances/{id}/history answers it.
      json::object line = server::HistoryEventJson(e);
      PrintLine(line);
    }
  };

  // Timers are fast-forwarded at most this often: a repeating timer (a reminder every
  // hour on a task nobody completes) would otherwise never let the run settle.
  constexpr int kMaxTimerJumps = 100;
  int timer_jumps = 0;
  for (int round = 0; round < 100'000; ++round) {
    engine.WaitIdle();
    print_trail();
    auto info = engine.GetInstance(root);
    if (!info) {
      std::cerr << "quire run: " << info.error().message() << "\n";
      return kExitFailure;
    }
    if (info->state != "active") {
      PrintLine({{"result", info->state}, {"variables", info->variables}});
      return info->state == "completed" ? kExitOk : kExitFailure;
    }
    auto incidents = engine.ListIncidents(std::nullopt);
    if (incidents && !incidents->empty()) {
      for (const workflow::IncidentInfo& i : *incidents) {
        json::object line = server::IncidentJson(i);
        line["result"] = "incident";
        PrintLine(line);
        std::cerr << "quire run: incident at element '" << i.element_id << "': " << i.message
                  << "\n";
      }
      return kExitFailure;
    }
    bool acted = false;
    auto tasks = engine.ListTasks(std::nullopt);
    auto jobs = engine.ListJobs(std::nullopt);
    if (completing) {
      for (const workflow::TaskInfo& t : tasks ? *tasks : std::vector<workflow::TaskInfo>{}) {
        Result<json::object> data = script.Next(t.element_id);
        if (a.complete == "auto") {
          auto form = engine.GetTaskForm(t.id);
          data = form ? workflow::SampleFormValues(form->fields, clock.Now(), t.name)
                      : Result<json::object>(form.error());
        }
        auto r = data ? engine.CompleteTask(t.id, *data, "run") : Result<void>(data.error());
        if (!r) {
          std::cerr << "quire run: completing task '" << t.element_id
                    << "' failed: " << r.error().message() << "\n";
          for (const ErrorDetail& d : r.error().details()) {
            std::cerr << "  " << d.field << ": " << d.message << "\n";
          }
          if (r.error().code() == ErrorCode::kNotFound &&
              r.error().message().find("no form") != std::string::npos) {
            std::cerr << "  (quire run deploys forms given with --deploy FILE.form)\n";
          }
          return kExitFailure;
        }
        acted = true;
      }
      for (const workflow::JobInfo& j : jobs ? *jobs : std::vector<workflow::JobInfo>{}) {
        if (!j.external) continue;
        workflow::JobOutcome outcome;
        outcome.variables = script.Next(j.element_id);
        if (auto r = engine.CompleteJob(j.id, outcome, "run"); r) acted = true;
      }
    }
    if (acted) continue;
    if (auto due = engine.NextTimerDue(); due && timer_jumps < kMaxTimerJumps) {
      ++timer_jumps;
      if (*due > clock.Now()) clock.Set(*due);
      engine.WakeUp();
      continue;
    }
    // Nothing will happen by itself any more: say what it waits for.
    std::map<std::pair<std::string, std::string>, int> counts;
    for (const workflow::ActiveElement& e : info->active) {
      if (e.state != "scope") ++counts[{e.element_id, e.kind}];
    }
    json::array waiting;
    for (const auto& [what, n] : counts) {
      waiting.push_back(
          json::object{{"elementId", what.first}, {"kind", what.second}, {"count", n}});
    }
    json::object last{{"result", "waiting"}, {"waitingIn", std::move(waiting)}};
    if (auto due = engine.NextTimerDue()) last["nextTimerAt"] = FormatInstant(*due);
    PrintLine(last);
    return kExitOk;
  }
  std::cerr << "quire run: the instance did not settle after 100000 rounds\n";
  return kExitFailure;
}

}  // namespace quire::app
