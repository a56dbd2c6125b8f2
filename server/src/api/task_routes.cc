#include "quire/server/task_routes.h"

#include <charconv>
#include <cmath>

#include "quire/base/json_text.h"
#include "quire/base/sha256.h"
#include "route_support.h"

namespace quire::server {
namespace {

using namespace api;  // NOLINT: the shared route helpers
using workflow::Engine;

// The acting user: the authenticated caller.
Result<audit::Actor> User(const Request& request) { return Actor(request); }

// The search criteria of GET /api/tasks: process, businessKey, customer, offer,
// link=kind:id and q (words).
Result<void> ReadSearch(const Request& request, workflow::TaskQuery& q) {
  q.process = request.query_param("process").value_or("");
  q.business_key = request.query_param("businessKey").value_or("");
  q.text = request.query_param("q").value_or("");
  for (const char* kind : {"customer", "offer"}) {
    if (const auto id = request.query_param(kind)) {
      q.link_kind = kind;
      q.link_id = *id;
    }
  }
  if (const auto link = request.query_param("link")) {
    const std::size_t colon = link->find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == link->size()) {
      return Error::InvalidArgument("link must be kind:id, such as customer:c-42, not '" + *link +
                                    "'");
    }
    q.link_kind = link->substr(0, colon);
    q.link_id = link->substr(colon + 1);
  }
  return Ok();
}

// Whole numbers as integers (1, not 1E0).
json::value Number(double d) {
  if (std::nearbyint(d) == d && std::fabs(d) < 9e15) return static_cast<std::int64_t>(d);
  return d;
}

json::object FieldJson(const definitions::FormField& f) {
  json::object o{{"name", f.name}, {"type", f.type}, {"required", f.required}};
  if (!f.label.empty()) o["label"] = f.label;
  if (f.read_only) o["readOnly"] = true;
  if (f.min) o["min"] = Number(*f.min);
  if (f.max) o["max"] = Number(*f.max);
  if (f.min_length) o["minLength"] = *f.min_length;
  if (f.max_length) o["maxLength"] = *f.max_length;
  if (!f.pattern.empty()) o["pattern"] = f.pattern;
  if (!f.default_value.empty()) o["default"] = f.default_value;
  if (!f.options.empty()) {
    json::array options;
    for (const auto& opt : f.options) {
      options.push_back(json::object{{"value", opt.value}, {"label", opt.label}});
    }
    o["options"] = std::move(options);
  }
  if (!f.rows.empty()) {
    json::array rows;
    for (const auto& r : f.rows) rows.push_back(FieldJson(r));
    o["rows"] = std::move(rows);
  }
  return o;
}

// Reads of one task: its candidates, assignee, owner, their supervisors and substitutes see
// it (the task rules), and holders of tasks.read-all. Errors: kForbidden, kNotFound.
Result<void> MaySee(const Engine& engine, const Request& request, std::uint64_t task) {
  if (request.principal->Has(Permission::kTasksReadAll)) return Ok();
  QUIRE_ASSIGN_OR_RETURN(bool may, engine.MaySeeTask(task, UserId(request)));
  if (!may) {
    return Error::Forbidden("task " + std::to_string(task) + " is not one of '" + UserId(request) +
                            "''s: only its candidates, assignee, owner and their supervisors "
                            "see it (or holders of tasks.read-all)");
  }
  return Ok();
}

Result<Response> Task(const Result<workflow::TaskInfo>& r) {
  if (!r) return r.error();
  return JsonResponse(200, ToJson(*r));
}

}  // namespace

void AddTaskRoutes(Router& router, Engine& engine,
                   const definitions::DefinitionRepository* repository) {
  // ---- tasks ----
  router.Add(
      "GET", "/api/tasks", Permission::kTasksWork,
      [&engine](const Request& request) -> Result<Response> {
        auto instance = QueryId(request, "instance");
        if (!instance) return instance.error();
        workflow::TaskQuery q;
        if (auto r = ReadSearch(request, q); !r) return r.error();
        const auto view_text = request.query_param("view");
        if (*instance || (!view_text && !q.searching())) {
          if (!*instance) {
            return Error::InvalidArgument(
                "say which tasks: ?view=mine|group|delegated|postponed|overdue|escalated|open "
                "(as the signed-in user), a search (?process=, ?businessKey=, ?customer=, ?offer=, "
                "?link=kind:id, ?q=words), or ?instance=ID");
          }
          return Answer(engine.ListTasks(*instance),
                        [&](const std::vector<workflow::TaskInfo>& list) {
                          json::array out;
                          for (const auto& t : list) {
                            if (MaySee(engine, request, t.id))
                              out.push_back(ToJson(t));  // only what they may see
                          }
                          return JsonResponse(200, Page(std::move(out)));
                        });
        }
        auto view = workflow::ParseTaskView(view_text.value_or("all"));
        if (!view) return view.error();
        q.view = *view;
        if (const auto sort = request.query_param("sort")) {
          auto parsed = workflow::ParseTaskSort(*sort);
          if (!parsed) return parsed.error();
          q.sort = *parsed;
        }
        if (q.view != workflow::TaskView::kOpen || q.searching()) {
          auto user = User(request);
          if (!user) return user.error();
          q.user = user->id;
        }
        q.group = request.query_param("group").value_or("");
        auto limit = Limit(request, 50);
        if (!limit) return limit.error();
        q.limit = *limit;
        q.after = request.query_param("after").value_or("");
        // An inbox page carries an ETag (its bytes' hash): the browser app reads the first
        // page every few seconds with If-None-Match, and an unchanged inbox costs a 304
        // without a body. The page is per user, so caches must not share it.
        return Answer(engine.Inbox(q), [&request](const workflow::TaskPage& page) {
          json::array out;
          for (const auto& t : page.tasks) out.push_back(ToJson(t));
          Response response = JsonResponse(200, Page(std::move(out), page.next));
          const std::string etag = "\"" + DigestHex(Sha256Of(response.body)).substr(0, 32) + "\"";
          response.headers.push_back({"ETag", etag});
          response.headers.push_back({"Cache-Control", "private, no-cache"});
          if (auto inm = request.header("if-none-match"); inm && *inm == etag) {
            response.status = 304;
            response.body.clear();
            response.content_type.clear();
          }
          return response;
        });
      });

  router.Add("GET", "/api/tasks/counts", Permission::kTasksWork,
             [&engine](const Request& request) -> Result<Response> {
               auto user = User(request);
               if (!user) return user.error();
               return Answer(engine.CountTasks(user->id), [](const workflow::TaskCounts& c) {
                 return JsonResponse(200, json::object{{"mine", c.mine},
                                                       {"group", c.group},
                                                       {"delegated", c.delegated},
                                                       {"postponed", c.postponed},
                                                       {"overdue", c.overdue},
                                                       {"escalated", c.escalated},
                                                       {"open", c.open}});
               });
             });

  // Many tasks at once: {"action": "claim" | "unclaim" | "reassign", "tasks": [ids],
  // "to": user (reassign)}; each is checked and done (or refused) on its own.
  router.Add(
      "POST", "/api/tasks/bulk", Permission::kTasksWork,
      [&engine](const Request& request) -> Result<Response> {
        auto user = User(request);
        if (!user) return user.error();
        auto body = ParseJsonObject(request);
        if (!body) return body.error();
        auto action = StringMember(*body, "action", true);
        if (!action) return action.error();
        workflow::TaskAction kind;
        if (*action == "claim") {
          kind = workflow::TaskAction::kClaim;
        } else if (*action == "unclaim") {
          kind = workflow::TaskAction::kUnclaim;
        } else if (*action == "reassign") {
          kind = workflow::TaskAction::kReassign;
        } else {
          return Error::InvalidArgument("action must be claim, unclaim or reassign, not '" +
                                        *action + "'");
        }
        auto to = StringMember(*body, "to", kind == workflow::TaskAction::kReassign);
        if (!to) return to.error();
        const json::value* tasks = body->if_contains("tasks");
        if (tasks == nullptr || !tasks->is_array() || tasks->get_array().empty() ||
            tasks->get_array().size() > 1000) {
          return Error::InvalidArgument(
              "'tasks' must list 1 to 1000 task ids, such as [\"12\", \"13\"]");
        }
        std::vector<workflow::TaskCommand> commands;
        for (const json::value& t : tasks->get_array()) {
          std::uint64_t id = 0;
          if (t.is_string()) {
            const std::string_view text = t.get_string();
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
            if (ec != std::errc() || end != text.data() + text.size()) id = 0;
          } else if (t.is_uint64() || (t.is_int64() && t.get_int64() > 0)) {
            id = t.to_number<std::uint64_t>();
          }
          if (id == 0) {
            return Error::InvalidArgument("'tasks' holds " + JsonText(t) +
                                          ", which is not a task id; nothing was done");
          }
          workflow::TaskCommand c;
          c.action = kind;
          c.task = id;
          c.actor = *user;
          c.to = *to;
          commands.push_back(std::move(c));
        }
        const std::vector<workflow::TaskCommand> asked = commands;
        const std::vector<Result<workflow::TaskInfo>> outcomes =
            engine.ActOnTasks(std::move(commands));
        json::array results;
        std::size_t done = 0;
        for (std::size_t i = 0; i < outcomes.size(); ++i) {
          json::object o{{"id", std::to_string(asked[i].task)}, {"ok", outcomes[i].has_value()}};
          if (outcomes[i]) {
            ++done;
            o["task"] = ToJson(*outcomes[i]);
          } else {
            o["error"] = json::object{{"code", ErrorCodeName(outcomes[i].error().code())},
                                      {"message", outcomes[i].error().message()}};
          }
          results.push_back(std::move(o));
        }
        return JsonResponse(200, json::object{{"done", done},
                                              {"refused", outcomes.size() - done},
                                              {"results", std::move(results)}});
      });

  router.Add("GET", "/api/notifications", Permission::kTasksWork,
             [&engine](const Request& request) -> Result<Response> {
               auto user = User(request);
               if (!user) return user.error();
               auto limit = Limit(request, 100);
               if (!limit) return limit.error();
               return OffsetPage<workflow::Notification>(
                   request, *limit,
                   [&](std::size_t n) { return engine.Notifications(user->id, n); },
                   [](const workflow::Notification& n) {
                     return json::object{{"id", std::to_string(n.id)},
                                         {"taskId", std::to_string(n.task)},
                                         {"taskName", n.task_name},
                                         {"to", n.to},
                                         {"kind", n.kind},
                                         {"rule", n.rule},
                                         {"by", n.by},
                                         {"createdAt", Time(n.at)}};
                   });
             });
  router.Add("DELETE", "/api/notifications/{id}", Permission::kTasksWork,
             [&engine](const Request& request) -> Result<Response> {
               auto id = PathId(request, "notification id");
               if (!id) return id.error();
               auto user = User(request);
               if (!user) return user.error();
               auto r = engine.AckNotification(*id, *user);
               QUIRE_RETURN_IF_ERROR(r);
               return NoContent();
             });

  router.Add("GET", "/api/tasks/{id}/form", Permission::kTasksWork,
             [&engine](const Request& request) -> Result<Response> {
               auto id = PathId(request, "task id");
               if (!id) return id.error();
               if (auto may = MaySee(engine, request, *id); !may) return may.error();
               return Answer(engine.GetTaskForm(*id), [](const workflow::TaskForm& f) {
                 json::array fields;
                 for (const auto& field : f.fields) fields.push_back(FieldJson(field));
                 json::object o{{"fields", std::move(fields)}};
                 if (!f.form_key.empty()) o["formKey"] = f.form_key;
                 if (!f.form_id.empty()) {
                   o["formId"] = f.form_id;
                   o["version"] = f.version;
                 }
                 if (!f.schema.is_null()) o["schema"] = f.schema;
                 if (!f.required_documents.empty()) {
                   o["requiredDocuments"] =
                       json::array(f.required_documents.begin(), f.required_documents.end());
                 }
                 return JsonResponse(200, o);
               });
             });

  // What the task page draws: the process the task belongs to, as deployed (its BPMN file,
  // diagram included), where the task is, where the instance is now, and what happened in
  // it (elements, kinds, times and who; no variable values: those belong to the form).
  // Whoever may see the task may see this, without instances.read.
  if (repository != nullptr) {
    router.Add(
        "GET", "/api/tasks/{id}/diagram", Permission::kTasksWork,
        [&engine, repository](const Request& request) -> Result<Response> {
          QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, PathId(request, "task id"));
          QUIRE_RETURN_IF_ERROR(MaySee(engine, request, id));
          QUIRE_ASSIGN_OR_RETURN(workflow::TaskInfo task, engine.GetTask(id));
          QUIRE_ASSIGN_OR_RETURN(workflow::InstanceInfo instance,
                                 engine.GetInstance(task.instance_id));
          QUIRE_ASSIGN_OR_RETURN(std::string xml,
                                 repository->Source(instance.process_id, instance.version));
          json::array active, incidents, history;
          for (const workflow::ActiveElement& a : instance.active) {
            (a.state == "incident" ? incidents : active).push_back(json::string(a.element_id));
          }
          QUIRE_ASSIGN_OR_RETURN(std::vector<workflow::HistoryEvent> events,
                                 engine.History(task.instance_id));
          for (const workflow::HistoryEvent& e : events) {
            json::object o{
                {"occurredAt", Time(e.time)}, {"elementId", e.element_id}, {"kind", e.kind}};
            if (!e.actor.empty()) o["actor"] = e.actor;
            history.push_back(std::move(o));
          }
          return JsonResponse(200, json::object{{"taskId", std::to_string(id)},
                                                {"instanceId", std::to_string(task.instance_id)},
                                                {"processId", instance.process_id},
                                                {"version", instance.version},
                                                {"elementId", task.element_id},
                                                {"activeElementIds", std::move(active)},
                                                {"incidentElementIds", std::move(incidents)},
                                                {"history", std::move(history)},
                                                {"xml", std::move(xml)}});
        });
  }

  router.Add("GET", "/api/tasks/{id}", Permission::kTasksWork,
             [&engine](const Request& request) -> Result<Response> {
               auto id = PathId(request, "task id");
               if (!id) return id.error();
               if (auto may = MaySee(engine, request, *id); !may) return may.error();
               return Task(engine.GetTask(*id));
             });

  // claim, unclaim, resolve, delegate, reassign, postpone, escalate: one shape.
  struct Op {
    const char* path;
    workflow::TaskAction action;
  };
  for (const Op op :
       {Op{"claim", workflow::TaskAction::kClaim}, Op{"unclaim", workflow::TaskAction::kUnclaim},
        Op{"resolve", workflow::TaskAction::kResolve},
        Op{"delegate", workflow::TaskAction::kDelegate},
        Op{"reassign", workflow::TaskAction::kReassign},
        Op{"postpone", workflow::TaskAction::kPostpone},
        Op{"escalate", workflow::TaskAction::kEscalate},
        Op{"due", workflow::TaskAction::kSetDue}}) {
    router.Add("POST", std::string("/api/tasks/{id}/") + op.path, Permission::kTasksWork,
               [&engine, op](const Request& request) -> Result<Response> {
                 auto id = PathId(request, "task id");
                 if (!id) return id.error();
                 auto user = User(request);
                 if (!user) return user.error();
                 workflow::TaskCommand c;
                 c.action = op.action;
                 c.task = *id;
                 c.actor = *user;
                 json::object body;
                 if (!request.body.empty()) {
                   auto parsed = ParseJsonObject(request);
                   if (!parsed) return parsed.error();
                   body = std::move(*parsed);
                 }
                 const bool needs_to = op.action == workflow::TaskAction::kDelegate ||
                                       op.action == workflow::TaskAction::kReassign;
                 auto to = StringMember(body, "to", needs_to);
                 if (!to) return to.error();
                 c.to = std::move(*to);
                 auto reason = StringMember(body, "reason", false);
                 if (!reason) return reason.error();
                 c.reason = std::move(*reason);
                 if (op.action == workflow::TaskAction::kPostpone) {
                   QUIRE_RETURN_IF_ERROR(Renamed(body, "followUp", "followUpAt"));
                   auto at = TimeMember(body, "followUpAt");
                   if (!at) return at.error();
                   c.follow_up = *at;
                 }
                 if (op.action == workflow::TaskAction::kSetDue) {
                   QUIRE_RETURN_IF_ERROR(Renamed(body, "due", "dueAt"));
                   auto at = TimeMember(body, "dueAt");
                   if (!at) return at.error();
                   c.due = *at;
                 }
                 return Task(engine.ActOnTask(c));
               });
  }

  router.Add("POST", "/api/tasks/{id}/complete", Permission::kTasksWork,
             [&engine](const Request& request) -> Result<Response> {
               auto id = PathId(request, "task id");
               if (!id) return id.error();
               auto user = User(request);
               if (!user) return user.error();
               json::object vars;
               if (!request.body.empty()) {
                 auto body = ParseJsonObject(request);
                 if (!body) return body.error();
                 auto v = VariablesMember(*body, "variables");
                 if (!v) return v.error();
                 vars = std::move(*v);
               }
               // The answer is the task as it was completed (it leaves the inboxes).
               QUIRE_ASSIGN_OR_RETURN(workflow::TaskInfo completed,
                                      engine.CompleteTaskAs(*id, vars, *user));
               return JsonResponse(200, ToJson(completed));
             });

  router.Add("GET", "/api/stats/workload", Permission::kTasksReadAll,
             [&engine](const Request& request) -> Result<Response> {
               auto parse = [&](const char* name) -> Result<Timestamp> {
                 const auto text = request.query_param(name);
                 if (!text) {
                   return Error::InvalidArgument(std::string("'") + name +
                                                 "' is required: an ISO 8601 date-time such as "
                                                 "2026-11-01T00:00:00Z");
                 }
                 return definitions::ParseDateTime(*text);
               };
               auto from = parse("from");
               if (!from) return from.error();
               auto to = parse("to");
               if (!to) return to.error();
               return Answer(engine.Workload(*from, *to), [](const workflow::WorkloadReport& r) {
                 auto lines = [](const std::vector<workflow::WorkloadLine>& in) {
                   json::array out;
                   for (const auto& l : in) {
                     out.push_back(json::object{{"id", l.who},
                                                {"completed", l.completed},
                                                {"claimed", l.claimed},
                                                {"claimMedianMs", l.claim_median_ms},
                                                {"claimP90Ms", l.claim_p90_ms},
                                                {"completeMedianMs", l.complete_median_ms},
                                                {"completeP90Ms", l.complete_p90_ms},
                                                {"overdue", l.overdue},
                                                {"escalations", l.escalations}});
                   }
                   return out;
                 };
                 return JsonResponse(
                     200, json::object{{"users", lines(r.users)}, {"groups", lines(r.groups)}});
               });
             });

  router.Add("GET", "/api/tasks/{id}/comments", Permission::kTasksWork,
             [&engine](const Request& request) -> Result<Response> {
               auto id = PathId(request, "task id");
               if (!id) return id.error();
               if (auto may = MaySee(engine, request, *id); !may) return may.error();
               return Answer(engine.TaskComments(*id),
                             [](const std::vector<workflow::TaskComment>& list) {
                               json::array out;
                               for (const auto& c : list) out.push_back(CommentJson(c));
                               return JsonResponse(200, Page(std::move(out)));
                             });
             });
  router.Add("POST", "/api/tasks/{id}/comments", Permission::kTasksWork,
             [&engine](const Request& request) -> Result<Response> {
               auto id = PathId(request, "task id");
               if (!id) return id.error();
               auto user = User(request);
               if (!user) return user.error();
               auto body = ParseJsonObject(request);
               if (!body) return body.error();
               auto text = StringMember(*body, "text", true);
               if (!text) return text.error();
               QUIRE_RETURN_IF_ERROR(engine.CommentOnTask(*id, *user, *text));
               // The comment as stored: the newest of this author's with this text.
               QUIRE_ASSIGN_OR_RETURN(std::vector<workflow::TaskComment> comments,
                                      engine.TaskComments(*id));
               for (auto c = comments.rbegin(); c != comments.rend(); ++c) {
                 if (c->author == user->id && c->text == *text) {
                   return JsonResponse(201, CommentJson(*c));
                 }
               }
               return Error::Internal("the comment on task " + std::to_string(*id) +
                                      " was stored but cannot be read back");
             });
}

}  // namespace quire::server
