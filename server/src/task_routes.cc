#include "quire/server/task_routes.h"

#include "route_support.h"

namespace quire::server {
namespace {

using namespace api;  // NOLINT: the shared route helpers
using workflow::Engine;

// The acting user, required for everything that changes tasks or the organisation.
Result<std::string> User(const Request& request) {
  const auto user = request.header("x-quire-user");
  if (!user || user->empty()) {
    return Error::Unauthenticated(
        "say who is acting with the X-Quire-User header (until Quire has real logins)");
  }
  return std::string(*user);
}

json::object UserJson(const workflow::User& u) {
  json::object o{{"id", u.id}, {"name", u.name}, {"email", u.email}, {"active", u.active}};
  if (!u.phone.empty()) o["phone"] = u.phone;
  o["supervisor"] = u.supervisor.empty() ? json::value() : json::value(u.supervisor);
  return o;
}

Result<Timestamp> TimeMember(const json::object& body, std::string_view name) {
  const json::value* v = body.if_contains(name);
  if (v == nullptr || !v->is_string()) {
    return Error::InvalidArgument("'" + std::string(name) +
                                  "' is required: an ISO 8601 date-time such as "
                                  "2026-12-01T09:00:00Z");
  }
  return definitions::ParseDateTime(v->get_string());
}

Result<workflow::TaskView> ParseView(std::string_view view) {
  if (view == "mine") return workflow::TaskView::kMine;
  if (view == "group") return workflow::TaskView::kGroup;
  if (view == "delegated") return workflow::TaskView::kDelegated;
  if (view == "postponed") return workflow::TaskView::kPostponed;
  if (view == "open") return workflow::TaskView::kOpen;
  if (view == "overdue") return workflow::TaskView::kOverdue;
  return Error::InvalidArgument(
      "view must be mine, group, delegated, postponed, overdue or open, not '" + std::string(view) +
      "'");
}

Response Task(const Result<workflow::TaskInfo>& r) {
  if (!r) return ErrorResponse(r.error());
  return JsonResponse(200, ToJson(*r));
}

}  // namespace

void AddTaskRoutes(Router& router, Engine& engine) {
  // ---- organisation ----
  router.Add("POST", "/api/users", [&engine](const Request& request) {
    auto actor = User(request);
    if (!actor) return ErrorResponse(actor.error());
    auto body = ParseJsonObject(request);
    if (!body) return ErrorResponse(body.error());
    workflow::User u;
    for (auto [name, field] :
         {std::pair{"id", &u.id}, std::pair{"name", &u.name}, std::pair{"email", &u.email},
          std::pair{"phone", &u.phone}, std::pair{"supervisor", &u.supervisor}}) {
      auto v = StringMember(*body, name, std::string_view(name) == "id");
      if (!v) return ErrorResponse(v.error());
      *field = std::move(*v);
    }
    if (const json::value* a = body->if_contains("active"); a != nullptr && !a->is_null()) {
      if (!a->is_bool())
        return ErrorResponse(Error::InvalidArgument("'active' must be true or false"));
      u.active = a->get_bool();
    }
    auto r = engine.PutUser(u, *actor);
    if (!r) return ErrorResponse(r.error());
    return JsonResponse(201, UserJson(u));
  });
  router.Add("GET", "/api/users", [&engine](const Request&) {
    return Answer(engine.ListUsers(), [](const std::vector<workflow::User>& users) {
      json::array out;
      for (const auto& u : users) out.push_back(UserJson(u));
      return JsonResponse(200, json::object{{"users", std::move(out)}});
    });
  });
  router.Add("GET", "/api/users/{id}", [&engine](const Request& request) {
    const std::string id(*request.path_param("id"));
    return Answer(engine.GetUser(id), [&](const workflow::User& u) {
      json::object o = UserJson(u);
      json::array groups;
      if (auto g = engine.GroupsOf(id)) {
        for (const std::string& name : *g) groups.emplace_back(name);
      }
      o["groups"] = std::move(groups);
      return JsonResponse(200, o);
    });
  });
  router.Add("POST", "/api/users/{id}/substitutes", [&engine](const Request& request) {
    auto actor = User(request);
    if (!actor) return ErrorResponse(actor.error());
    auto body = ParseJsonObject(request);
    if (!body) return ErrorResponse(body.error());
    auto who = StringMember(*body, "substitute", true);
    if (!who) return ErrorResponse(who.error());
    auto from = TimeMember(*body, "from");
    if (!from) return ErrorResponse(from.error());
    auto to = TimeMember(*body, "to");
    if (!to) return ErrorResponse(to.error());
    auto r =
        engine.AddSubstitution({*who, std::string(*request.path_param("id")), *from, *to}, *actor);
    return r ? NoContent() : ErrorResponse(r.error());
  });
  router.Add("POST", "/api/groups", [&engine](const Request& request) {
    auto actor = User(request);
    if (!actor) return ErrorResponse(actor.error());
    auto body = ParseJsonObject(request);
    if (!body) return ErrorResponse(body.error());
    auto id = StringMember(*body, "id", true);
    if (!id) return ErrorResponse(id.error());
    auto name = StringMember(*body, "name", false);
    if (!name) return ErrorResponse(name.error());
    auto r = engine.PutGroup({*id, *name}, *actor);
    if (!r) return ErrorResponse(r.error());
    return JsonResponse(201, json::object{{"id", *id}, {"name", *name}});
  });
  router.Add("GET", "/api/groups", [&engine](const Request&) {
    return Answer(engine.ListGroups(), [](const std::vector<workflow::Group>& groups) {
      json::array out;
      for (const auto& g : groups) out.push_back(json::object{{"id", g.id}, {"name", g.name}});
      return JsonResponse(200, json::object{{"groups", std::move(out)}});
    });
  });
  router.Add("GET", "/api/groups/{id}", [&engine](const Request& request) {
    const std::string id(*request.path_param("id"));
    return Answer(engine.GetGroup(id), [&](const workflow::Group& g) {
      json::array members;
      if (auto m = engine.Members(id)) {
        for (const std::string& u : *m) members.emplace_back(u);
      }
      return JsonResponse(200, json::object{{"id", g.id}, {"name", g.name}, {"members", members}});
    });
  });
  router.Add("PUT", "/api/groups/{id}/members/{userId}", [&engine](const Request& request) {
    auto actor = User(request);
    if (!actor) return ErrorResponse(actor.error());
    auto r = engine.AddMember(std::string(*request.path_param("id")),
                              std::string(*request.path_param("userId")), *actor);
    return r ? NoContent() : ErrorResponse(r.error());
  });
  router.Add("DELETE", "/api/groups/{id}/members/{userId}", [&engine](const Request& request) {
    auto actor = User(request);
    if (!actor) return ErrorResponse(actor.error());
    auto r = engine.RemoveMember(std::string(*request.path_param("id")),
                                 std::string(*request.path_param("userId")), *actor);
    return r ? NoContent() : ErrorResponse(r.error());
  });

  // ---- tasks ----
  router.Add("GET", "/api/tasks", [&engine](const Request& request) {
    auto instance = QueryId(request, "instance");
    if (!instance) return ErrorResponse(instance.error());
    const auto view_text = request.query_param("view");
    if (*instance || !view_text) {
      if (!*instance) {
        return ErrorResponse(Error::InvalidArgument(
            "say which tasks: ?view=mine|group|delegated|postponed|open (with X-Quire-User), "
            "or ?instance=ID"));
      }
      return Answer(engine.ListTasks(*instance), [](const std::vector<workflow::TaskInfo>& list) {
        json::array out;
        for (const auto& t : list) out.push_back(ToJson(t));
        return JsonResponse(200, json::object{{"tasks", std::move(out)}});
      });
    }
    auto view = ParseView(*view_text);
    if (!view) return ErrorResponse(view.error());
    workflow::TaskQuery q;
    q.view = *view;
    if (q.view != workflow::TaskView::kOpen) {
      auto user = User(request);
      if (!user) return ErrorResponse(user.error());
      q.user = *user;
    }
    q.group = request.query_param("group").value_or("");
    auto limit = Limit(request, 50);
    if (!limit) return ErrorResponse(limit.error());
    q.limit = *limit;
    q.after = request.query_param("after").value_or("");
    return Answer(engine.Inbox(q), [](const workflow::TaskPage& page) {
      json::array out;
      for (const auto& t : page.tasks) out.push_back(ToJson(t));
      json::object o{{"tasks", std::move(out)}};
      o["next"] = page.next.empty() ? json::value() : json::value(page.next);
      return JsonResponse(200, o);
    });
  });

  router.Add("GET", "/api/tasks/{id}", [&engine](const Request& request) {
    auto id = PathId(request, "task id");
    if (!id) return ErrorResponse(id.error());
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
    router.Add("POST", std::string("/api/tasks/{id}/") + op.path,
               [&engine, op](const Request& request) {
                 auto id = PathId(request, "task id");
                 if (!id) return ErrorResponse(id.error());
                 auto user = User(request);
                 if (!user) return ErrorResponse(user.error());
                 workflow::TaskCommand c;
                 c.action = op.action;
                 c.task = *id;
                 c.actor = *user;
                 json::object body;
                 if (!request.body.empty()) {
                   auto parsed = ParseJsonObject(request);
                   if (!parsed) return ErrorResponse(parsed.error());
                   body = std::move(*parsed);
                 }
                 const bool needs_to = op.action == workflow::TaskAction::kDelegate ||
                                       op.action == workflow::TaskAction::kReassign;
                 auto to = StringMember(body, "to", needs_to);
                 if (!to) return ErrorResponse(to.error());
                 c.to = std::move(*to);
                 auto reason = StringMember(body, "reason", false);
                 if (!reason) return ErrorResponse(reason.error());
                 c.reason = std::move(*reason);
                 if (op.action == workflow::TaskAction::kPostpone) {
                   auto at = TimeMember(body, "followUp");
                   if (!at) return ErrorResponse(at.error());
                   c.follow_up = *at;
                 }
                 if (op.action == workflow::TaskAction::kSetDue) {
                   auto at = TimeMember(body, "due");
                   if (!at) return ErrorResponse(at.error());
                   c.due = *at;
                 }
                 return Task(engine.ActOnTask(c));
               });
  }

  router.Add("POST", "/api/tasks/{id}/complete", [&engine](const Request& request) {
    auto id = PathId(request, "task id");
    if (!id) return ErrorResponse(id.error());
    auto user = User(request);
    if (!user) return ErrorResponse(user.error());
    json::object vars;
    if (!request.body.empty()) {
      auto body = ParseJsonObject(request);
      if (!body) return ErrorResponse(body.error());
      auto v = ObjectMember(*body, "variables");
      if (!v) return ErrorResponse(v.error());
      vars = std::move(*v);
    }
    auto r = engine.CompleteTaskAs(*id, vars, *user);
    return r ? NoContent() : ErrorResponse(r.error());
  });

  router.Add("GET", "/api/stats/workload", [&engine](const Request& request) {
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
    if (!from) return ErrorResponse(from.error());
    auto to = parse("to");
    if (!to) return ErrorResponse(to.error());
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
      return JsonResponse(200,
                          json::object{{"users", lines(r.users)}, {"groups", lines(r.groups)}});
    });
  });

  router.Add("GET", "/api/tasks/{id}/comments", [&engine](const Request& request) {
    auto id = PathId(request, "task id");
    if (!id) return ErrorResponse(id.error());
    return Answer(engine.TaskComments(*id), [](const std::vector<workflow::TaskComment>& list) {
      json::array out;
      for (const auto& c : list) {
        out.push_back(json::object{{"author", c.author}, {"time", Time(c.time)}, {"text", c.text}});
      }
      return JsonResponse(200, json::object{{"comments", std::move(out)}});
    });
  });
  router.Add("POST", "/api/tasks/{id}/comments", [&engine](const Request& request) {
    auto id = PathId(request, "task id");
    if (!id) return ErrorResponse(id.error());
    auto user = User(request);
    if (!user) return ErrorResponse(user.error());
    auto body = ParseJsonObject(request);
    if (!body) return ErrorResponse(body.error());
    auto text = StringMember(*body, "text", true);
    if (!text) return ErrorResponse(text.error());
    auto r = engine.CommentOnTask(*id, *user, *text);
    if (!r) return ErrorResponse(r.error());
    return JsonResponse(201, json::object{{"author", *user}, {"text", *text}});
  });
}

}  // namespace quire::server
