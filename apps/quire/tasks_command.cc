// quire tasks list|show|claim|unclaim|complete|delegate|resolve|reassign|postpone|escalate|comment
#include <boost/json.hpp>
#include <iostream>
#include <map>
#include <set>

#include "commands.h"
#include "engine_session.h"
#include "quire/base/json_text.h"
#include "quire/definitions/iso8601.h"
#include "quire/server/resources.h"
#include "quire/workflow/camunda_variables.h"

namespace quire::app {
namespace {

namespace json = boost::json;

// The task as the HTTP API answers it (one voice: docs/api.md).
json::object TaskJson(const workflow::TaskInfo& t) { return server::TaskJson(t); }

}  // namespace

std::string TasksUsage() {
  return "Usage: quire tasks list --as U [--view mine|group|delegated|postponed|overdue|\n"
         "                        escalated|open|all] [--sort priority|due|created]\n"
         "                        [--group G] [--limit N] [--after CURSOR]\n"
         "                        [--process P] [--business-key K] [--customer C] [--offer O]\n"
         "                        [--q WORDS]\n"
         "       quire tasks counts --as U\n"
         "       quire tasks show|form ID\n"
         "       quire tasks bulk claim|unclaim|reassign --tasks ID,ID,... [--to U] --as U\n"
         "       quire tasks claim|unclaim|resolve ID --as U\n"
         "       quire tasks delegate|reassign ID --to U --as U\n"
         "       quire tasks postpone ID --follow-up-at 2026-12-01T09:00:00Z --as U\n"
         "       quire tasks due ID --due-at 2026-12-01T17:00:00Z --reason TEXT --as U\n"
         "       quire tasks escalate ID [--to GROUP] [--reason TEXT] --as U\n"
         "       quire tasks complete ID [--variables JSON] --as U\n"
         "       quire tasks comment ID --text TEXT --as U\n"
         "Flags are named after the HTTP fields (--follow-up-at: followUpAt); the earlier\n"
         "--user, --until and --data still work. All take --data-dir DIR (default quire-data).\n"
         "Lists print JSON lines, tasks as GET /api/tasks/{id} answers them; --as names the\n"
         "acting user, whose rights are checked. While 'quire serve' runs on the store, use\n"
         "its /api/tasks endpoints instead.\n";
}

int RunTasks(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << TasksUsage();
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string action = args[0];
  std::map<std::string, std::string> opt{{"data-dir", "quire-data"}, {"limit", "50"}};
  std::string id_text;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i].starts_with("--")) {
      const std::string name = args[i].substr(2);
      if (i + 1 >= args.size()) {
        std::cerr << "quire tasks: --" << name << " needs a value\n";
        return kExitUsage;
      }
      static const std::set<std::string> known{
          "data-dir", "view",     "limit",     "as",    "group",       "to",    "follow-up-at",
          "due-at",   "reason",   "variables", "text",  "sort",        "after", "process",
          "q",        "customer", "offer",     "tasks", "business-key"};
      // Flags of earlier versions, before they were named after the HTTP fields.
      static const std::map<std::string, std::string> renamed{
          {"user", "as"}, {"until", "follow-up-at"}, {"data", "variables"}};
      std::string key = name;
      if (auto r = renamed.find(name); r != renamed.end()) key = r->second;
      if (!known.contains(key)) {
        std::cerr << "quire tasks: unknown option --" << name << "; see 'quire help tasks'\n";
        return kExitUsage;
      }
      opt[key] = args[++i];
    } else if (id_text.empty()) {
      id_text = args[i];
    } else {
      std::cerr << "quire tasks: unexpected '" << args[i] << "'\n";
      return kExitUsage;
    }
  }
  static const std::set<std::string> actions{
      "list",     "show",     "claim",   "unclaim", "resolve", "delegate", "reassign", "postpone",
      "escalate", "complete", "comment", "counts",  "form",    "bulk",     "due"};
  if (!actions.contains(action)) {
    std::cerr << "quire tasks: unknown action '" << action << "'; see 'quire help tasks'\n";
    return kExitUsage;
  }
  std::uint64_t id = 0;
  const bool takes_id = action != "list" && action != "counts" && action != "bulk";
  if (takes_id) {
    char* end = nullptr;
    id = std::strtoull(id_text.c_str(), &end, 10);
    if (id_text.empty() || *end != '\0' || id == 0) {
      std::cerr << "quire tasks " << action << ": name the task id\n";
      return kExitUsage;
    }
  }
  const std::string user = opt["as"];
  if (action != "list" && action != "show" && action != "form" && user.empty()) {
    std::cerr << "quire tasks " << action << ": say who is acting with --as USER\n";
    return kExitUsage;
  }
  const audit::Actor actor = LocalActor(user);
  auto session = OpenSession("tasks", opt["data-dir"]);
  if (!session) return kExitFailure;
  workflow::Engine& engine = session->engine();

  if (action == "list") {
    workflow::TaskQuery q;
    q.user = user;
    const bool searching = opt.contains("process") || opt.contains("business-key") ||
                           opt.contains("customer") || opt.contains("offer") || opt.contains("q");
    auto view = workflow::ParseTaskView(opt.contains("view") ? opt["view"]
                                        : searching          ? "all"
                                                             : "mine");
    if (!view) {
      PrintError("tasks list", view.error());
      return kExitUsage;
    }
    q.view = *view;
    if (opt.contains("sort")) {
      auto sort = workflow::ParseTaskSort(opt["sort"]);
      if (!sort) {
        PrintError("tasks list", sort.error());
        return kExitUsage;
      }
      q.sort = *sort;
    }
    q.process = opt["process"];
    q.business_key = opt["business-key"];
    q.text = opt["q"];
    for (const char* kind : {"customer", "offer"}) {
      if (opt.contains(kind)) {
        q.link_kind = kind;
        q.link_id = opt[kind];
      }
    }
    q.after = opt["after"];
    if (q.user.empty() && (q.view != workflow::TaskView::kOpen || searching)) {
      std::cerr << "quire tasks list: say whose tasks with --as USER\n";
      return kExitUsage;
    }
    q.group = opt.contains("group") ? opt["group"] : "";
    q.limit = static_cast<std::size_t>(std::strtoul(opt["limit"].c_str(), nullptr, 10));
    auto page = engine.Inbox(q);
    if (!page) {
      PrintError("tasks list", page.error());
      return kExitFailure;
    }
    for (const workflow::TaskInfo& t : page->tasks)
      std::cout << quire::JsonText(TaskJson(t)) << "\n";
    if (!page->next.empty()) std::cerr << "more: --after " << page->next << "\n";
    return kExitOk;
  }
  if (action == "counts") {
    auto c = engine.CountTasks(user);
    if (!c) {
      PrintError("tasks counts", c.error());
      return kExitFailure;
    }
    std::cout << quire::JsonText(json::object{{"mine", c->mine},
                                              {"group", c->group},
                                              {"delegated", c->delegated},
                                              {"postponed", c->postponed},
                                              {"overdue", c->overdue},
                                              {"escalated", c->escalated},
                                              {"open", c->open}})
              << "\n";
    return kExitOk;
  }
  if (action == "form") {
    auto f = engine.GetTaskForm(id);
    if (!f) {
      PrintError("tasks form", f.error());
      return kExitFailure;
    }
    for (const definitions::FormField& field : f->fields) {
      json::object o{{"name", field.name}, {"type", field.type}, {"required", field.required}};
      if (!field.label.empty()) o["label"] = field.label;
      std::cout << quire::JsonText(o) << "\n";
    }
    return kExitOk;
  }
  if (action == "bulk") {
    workflow::TaskAction kind = workflow::TaskAction::kClaim;
    if (id_text == "unclaim") {
      kind = workflow::TaskAction::kUnclaim;
    } else if (id_text == "reassign") {
      kind = workflow::TaskAction::kReassign;
    } else if (id_text != "claim") {
      std::cerr << "quire tasks bulk: say claim, unclaim or reassign\n";
      return kExitUsage;
    }
    std::vector<workflow::TaskCommand> commands;
    std::string_view list = opt["tasks"];
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      const std::string one(list.substr(0, comma));
      list = comma == std::string_view::npos ? "" : list.substr(comma + 1);
      char* end = nullptr;
      const std::uint64_t task = std::strtoull(one.c_str(), &end, 10);
      if (one.empty() || *end != '\0' || task == 0) {
        std::cerr << "quire tasks bulk: '" << one << "' in --tasks is not a task id\n";
        return kExitUsage;
      }
      commands.push_back({kind, task, actor, opt["to"], std::nullopt, std::nullopt, ""});
    }
    if (commands.empty()) {
      std::cerr << "quire tasks bulk: list the tasks with --tasks ID,ID,...\n";
      return kExitUsage;
    }
    int refused = 0;
    const std::vector<workflow::TaskCommand> asked = commands;
    const auto outcomes = engine.ActOnTasks(std::move(commands));
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      if (outcomes[i]) {
        std::cout << quire::JsonText(TaskJson(*outcomes[i])) << "\n";
      } else {
        ++refused;
        PrintError("tasks bulk: task " + std::to_string(asked[i].task), outcomes[i].error());
      }
    }
    return refused == 0 ? kExitOk : kExitFailure;
  }
  if (action == "show") {
    auto t = engine.GetTask(id);
    if (!t) {
      PrintError("tasks show", t.error());
      return kExitFailure;
    }
    json::object o = TaskJson(*t);
    o["variables"] = t->variables;
    std::cout << quire::JsonText(o) << "\n";
    return kExitOk;
  }
  if (action == "complete") {
    boost::system::error_code ec;
    json::value data = json::parse(opt.contains("variables") ? opt["variables"] : "{}", ec);
    if (ec || !data.is_object()) {
      std::cerr << "quire tasks complete: --variables must be a JSON object such as "
                   "'{\"ok\": true}'\n";
      return kExitUsage;
    }
    auto variables = workflow::PlainVariables(data.get_object());
    if (!variables) {
      PrintError("tasks complete", variables.error());
      return kExitUsage;
    }
    auto r = engine.CompleteTaskAs(id, *variables, actor);
    if (!r) {
      PrintError("tasks complete", r.error());
      return kExitFailure;
    }
    std::cout << quire::JsonText(TaskJson(*r)) << "\n";  // as POST .../complete answers
    return kExitOk;
  }
  if (action == "comment") {
    auto r = engine.CommentOnTask(id, actor, opt["text"]);
    if (!r) {
      PrintError("tasks comment", r.error());
      return kExitFailure;
    }
    return kExitOk;
  }
  workflow::TaskCommand c;
  c.task = id;
  c.actor = actor;
  c.to = opt.contains("to") ? opt["to"] : "";
  c.reason = opt.contains("reason") ? opt["reason"] : "";
  if (action == "claim") c.action = workflow::TaskAction::kClaim;
  if (action == "unclaim") c.action = workflow::TaskAction::kUnclaim;
  if (action == "resolve") c.action = workflow::TaskAction::kResolve;
  if (action == "delegate") c.action = workflow::TaskAction::kDelegate;
  if (action == "reassign") c.action = workflow::TaskAction::kReassign;
  if (action == "escalate") c.action = workflow::TaskAction::kEscalate;
  // postpone --follow-up-at T, due --due-at T: the one time each takes.
  for (const auto& [verb, flag, kind, target] :
       {std::tuple{"postpone", "follow-up-at", workflow::TaskAction::kPostpone, &c.follow_up},
        std::tuple{"due", "due-at", workflow::TaskAction::kSetDue, &c.due}}) {
    if (action != verb) continue;
    c.action = kind;
    auto at = definitions::ParseDateTime(opt[flag]);
    if (!at) {
      std::cerr << "quire tasks " << verb << ": --" << flag
                << " needs an ISO 8601 date-time such as 2026-12-01T09:00:00Z\n";
      return kExitUsage;
    }
    *target = *at;
  }
  auto t = engine.ActOnTask(c);
  if (!t) {
    PrintError("tasks " + action, t.error());
    return kExitFailure;
  }
  std::cout << quire::JsonText(TaskJson(*t)) << "\n";
  return kExitOk;
}

}  // namespace quire::app
