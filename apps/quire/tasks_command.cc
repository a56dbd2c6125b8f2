// quire tasks list|show|claim|unclaim|complete|delegate|resolve|reassign|postpone|escalate|comment
#include <boost/json.hpp>
#include <iostream>
#include <map>
#include <set>

#include "commands.h"
#include "engine_session.h"
#include "quire/definitions/iso8601.h"

namespace quire::app {
namespace {

namespace json = boost::json;

json::object TaskJson(const workflow::TaskInfo& t) {
  json::object o{{"id", std::to_string(t.id)},
                 {"instanceId", std::to_string(t.instance_id)},
                 {"processId", t.process_id},
                 {"elementId", t.element_id},
                 {"name", t.name},
                 {"state", t.state},
                 {"priority", t.priority},
                 {"createdAt", definitions::FormatDateTime(t.created_at)}};
  if (!t.assignee.empty()) o["assignee"] = t.assignee;
  if (!t.owner.empty()) o["owner"] = t.owner;
  if (t.due) o["due"] = definitions::FormatDateTime(*t.due);
  if (t.follow_up) o["followUp"] = definitions::FormatDateTime(*t.follow_up);
  if (!t.business_key.empty()) o["businessKey"] = t.business_key;
  return o;
}

}  // namespace

std::string TasksUsage() {
  return "Usage: quire tasks list --user U [--view mine|group|delegated|postponed|overdue|open]\n"
         "                        [--group G] [--limit N]\n"
         "       quire tasks show ID\n"
         "       quire tasks claim|unclaim|resolve ID --as U\n"
         "       quire tasks delegate|reassign ID --to U --as U\n"
         "       quire tasks postpone ID --until 2026-12-01T09:00:00Z --as U\n"
         "       quire tasks escalate ID [--to GROUP] [--reason TEXT] --as U\n"
         "       quire tasks complete ID [--data JSON] --as U\n"
         "       quire tasks comment ID --text TEXT --as U\n"
         "All take --data-dir DIR (default quire-data). Lists print JSON lines; --as names the\n"
         "acting user, whose rights are checked. While 'quire serve' runs on the store, use\n"
         "its /api/tasks endpoints instead.\n";
}

int RunTasks(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << TasksUsage();
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string action = args[0];
  std::map<std::string, std::string> opt{
      {"data-dir", "quire-data"}, {"view", "mine"}, {"limit", "50"}};
  std::string id_text;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i].starts_with("--")) {
      const std::string name = args[i].substr(2);
      if (i + 1 >= args.size()) {
        std::cerr << "quire tasks: --" << name << " needs a value\n";
        return kExitUsage;
      }
      static const std::set<std::string> known{"data-dir", "view",  "limit", "user",
                                               "as",       "group", "to",    "until",
                                               "reason",   "data",  "text"};
      if (!known.contains(name)) {
        std::cerr << "quire tasks: unknown option --" << name << "; see 'quire help tasks'\n";
        return kExitUsage;
      }
      opt[name] = args[++i];
    } else if (id_text.empty()) {
      id_text = args[i];
    } else {
      std::cerr << "quire tasks: unexpected '" << args[i] << "'\n";
      return kExitUsage;
    }
  }
  static const std::set<std::string> actions{"list",     "show",     "claim",    "unclaim",
                                             "resolve",  "delegate", "reassign", "postpone",
                                             "escalate", "complete", "comment"};
  if (!actions.contains(action)) {
    std::cerr << "quire tasks: unknown action '" << action << "'; see 'quire help tasks'\n";
    return kExitUsage;
  }
  std::uint64_t id = 0;
  if (action != "list") {
    char* end = nullptr;
    id = std::strtoull(id_text.c_str(), &end, 10);
    if (id_text.empty() || *end != '\0' || id == 0) {
      std::cerr << "quire tasks " << action << ": name the task id\n";
      return kExitUsage;
    }
  }
  const std::string actor = opt.contains("as") ? opt["as"] : opt["user"];
  if (action != "list" && action != "show" && actor.empty()) {
    std::cerr << "quire tasks " << action << ": say who is acting with --as USER\n";
    return kExitUsage;
  }
  auto session = EngineSession::Open("tasks", opt["data-dir"]);
  if (!session) return kExitFailure;
  workflow::Engine& engine = *session->engine;

  if (action == "list") {
    workflow::TaskQuery q;
    q.user = actor;
    const std::string& v = opt["view"];
    if (v == "mine")
      q.view = workflow::TaskView::kMine;
    else if (v == "group")
      q.view = workflow::TaskView::kGroup;
    else if (v == "delegated")
      q.view = workflow::TaskView::kDelegated;
    else if (v == "postponed")
      q.view = workflow::TaskView::kPostponed;
    else if (v == "open")
      q.view = workflow::TaskView::kOpen;
    else if (v == "overdue")
      q.view = workflow::TaskView::kOverdue;
    else {
      std::cerr << "quire tasks list: --view must be mine, group, delegated, postponed, overdue or "
                   "open\n";
      return kExitUsage;
    }
    if (q.user.empty() && q.view != workflow::TaskView::kOpen) {
      std::cerr << "quire tasks list: say whose tasks with --user USER\n";
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
      std::cout << json::serialize(TaskJson(t)) << "\n";
    return kExitOk;
  }
  if (action == "show") {
    auto t = engine.GetTask(id);
    if (!t) {
      PrintError("tasks show", t.error());
      return kExitFailure;
    }
    json::object o = TaskJson(*t);
    o["variables"] = t->variables;
    std::cout << json::serialize(o) << "\n";
    return kExitOk;
  }
  if (action == "complete") {
    boost::system::error_code ec;
    json::value data = json::parse(opt.contains("data") ? opt["data"] : "{}", ec);
    if (ec || !data.is_object()) {
      std::cerr << "quire tasks complete: --data must be a JSON object such as '{\"ok\": true}'\n";
      return kExitUsage;
    }
    auto r = engine.CompleteTaskAs(id, data.get_object(), actor);
    if (!r) {
      PrintError("tasks complete", r.error());
      return kExitFailure;
    }
    std::cout << "task " << id << " completed\n";
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
  if (action == "postpone") {
    c.action = workflow::TaskAction::kPostpone;
    auto until = definitions::ParseDateTime(opt.contains("until") ? opt["until"] : "");
    if (!until) {
      std::cerr << "quire tasks postpone: --until needs an ISO 8601 date-time\n";
      return kExitUsage;
    }
    c.follow_up = *until;
  }
  auto t = engine.ActOnTask(c);
  if (!t) {
    PrintError("tasks " + action, t.error());
    return kExitFailure;
  }
  std::cout << json::serialize(TaskJson(*t)) << "\n";
  return kExitOk;
}

}  // namespace quire::app
