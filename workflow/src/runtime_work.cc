// Runtime, part: the work an instance hands out — user tasks, jobs, called processes.
#include "runtime.h"

#include "runtime_loaded.h"
#include "runtime_support.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <set>

#include "form_validation.h"
#include "keys.h"
#include "quire/base/hex.h"
#include "quire/base/json_fields.h"
#include "quire/definitions/iso8601.h"
#include "quire/storage/key_codec.h"

namespace quire::workflow {
namespace json = boost::json;
using definitions::Element;
using definitions::ElementKind;
using definitions::EventTrigger;
using definitions::Expression;
using definitions::LoopSpec;
using definitions::Value;
using storage::KeyDecoder;
using namespace runtime_support;  // NOLINT: the runtime parts' shared helpers

// ---------------------------------------------------------------------------------------
// Work: user tasks, jobs, called processes

void Runtime::CreateTask(Loaded& l, std::uint32_t key) {
  ElementInstance* ei = l.st.Find(key);
  const Element& el = El(l, ei->element);
  const definitions::TaskSpec& spec = el.task;
  const std::uint32_t scope = key;  // the task's own inputs are visible to its settings
  std::string failed;
  auto text = [&](const definitions::Setting& s, const char* what) -> std::string {
    auto r = SettingText(l, scope, s);
    if (!r) {
      if (failed.empty())
        failed = std::string(what) + " of '" + el.id + "' failed: " + r.error().message();
      return {};
    }
    return *r;
  };
  const std::string assignee = text(spec.assignee, "the assignee");
  const std::string users = text(spec.candidate_users, "the candidate users");
  const std::string groups = text(spec.candidate_groups, "the candidate groups");
  const std::string priority_text = text(spec.priority, "the priority");
  const std::string due_text = text(spec.due_date, "the due date");
  const std::string follow_text = text(spec.follow_up_date, "the follow-up date");
  std::int64_t priority = 50;
  if (failed.empty() && !priority_text.empty()) {
    try {
      priority = std::clamp<std::int64_t>(std::stoll(priority_text), 0, 100);
    } catch (...) {
      failed = "the priority of '" + el.id + "' is not a whole number: " + priority_text;
    }
  }
  std::optional<std::int64_t> due;
  std::optional<std::int64_t> follow_up;
  if (failed.empty()) {
    auto d = DateOrDuration(due_text, txn_.now());
    auto f = DateOrDuration(follow_text, txn_.now());
    if (!d) failed = "the due date of '" + el.id + "': " + d.error().message();
    if (!f) failed = "the follow-up date of '" + el.id + "': " + f.error().message();
    if (d) due = *d;
    if (f) follow_up = *f;
  }
  if (!failed.empty()) {
    RaiseIncident(l, el.index, ei->parent, key, "expression", failed);
    return;
  }
  TaskRecord task;
  task.id = txn_.NewId();
  task.instance = l.st.id;
  task.key = key;
  task.process_id = l.st.process_id;
  task.version = l.st.version;
  task.element_id = el.id;
  task.name = el.name.empty() ? el.id : el.name;
  task.assignee = assignee;
  task.state = assignee.empty() ? TaskRecord::State::kCreated : TaskRecord::State::kAssigned;
  task.candidate_users = SplitList(users);
  task.candidate_groups = SplitList(groups);
  task.priority = priority;
  task.due = due;
  task.follow_up = follow_up;
  task.created = txn_.now_ms();
  task.form_key = spec.form_key;
  task.business_key = l.st.business_key;
  task.description = el.documentation;
  // A link is what the task is about, not what it needs: one that cannot be worked out
  // (no such variable yet) is left off and said so in the history, the task goes on.
  json::array links_skipped;
  for (const definitions::TaskLink& link : spec.links) {
    auto id = SettingText(l, scope, link.id);
    if (!id) {
      links_skipped.push_back(json::object{{"kind", link.kind}, {"error", id.error().message()}});
    } else if (!id->empty()) {
      task.links.emplace_back(link.kind, std::move(*id));
    }
  }
  if (!spec.form_ref.empty()) {
    task.form_ref = spec.form_ref;
    // A form not deployed yet does not stop the task (Camunda creates it too): it is bound
    // when the task is completed, which is refused until the form is there.
    if (auto form = env_.find_form(spec.form_ref, FormBindingOf(l, spec))) {
      task.form_version = (*form)->version.version;
    }
  }
  task.postponed = task.follow_up && *task.follow_up > txn_.now_ms();
  ScheduleEscalations(task, spec);
  WriteTask(txn_, std::nullopt, task);
  if (!task.assignee.empty()) QueueNotification(txn_, task.assignee, task, "assigned");
  if (task.postponed) {
    ArmTimer(keys::TaskFollowUpTimer(*task.follow_up, task.id), *task.follow_up);
  }
  l.st.Find(key)->task = task.id;
  json::object data{{"task", IdText(task.id)}};
  if (!assignee.empty()) data["assignee"] = assignee;
  if (!links_skipped.empty()) data["linksSkipped"] = std::move(links_skipped);
  History(l, el.index, "task_created", std::move(data));
}

definitions::FormBinding FormBindingFor(const definitions::TaskSpec& spec,
                                        Timestamp process_deployed_at) {
  definitions::FormBinding b;
  if (spec.form_ref_binding == "version" && spec.form_ref_version) {
    b.kind = definitions::FormBinding::Kind::kVersion;
    b.version = static_cast<std::uint32_t>(*spec.form_ref_version);
  } else if (spec.form_ref_binding == "deployment") {
    b.kind = definitions::FormBinding::Kind::kDeployment;
    b.deployed_by = process_deployed_at;
  }
  return b;
}

definitions::FormBinding Runtime::FormBindingOf(const Loaded& l,
                                                const definitions::TaskSpec& spec) const {
  auto v = env_.find_version(l.st.process_id, l.st.version);
  return FormBindingFor(spec, v ? v->deployed_at : txn_.now());
}

Result<std::vector<definitions::FormField>> Runtime::FormFields(const Loaded& l,
                                                                const TaskRecord& task) const {
  const Element& el = El(l, l.st.Find(task.key)->element);
  if (task.form_ref.empty()) return el.task.form_fields;
  definitions::FormBinding binding = FormBindingOf(l, el.task);
  if (task.form_version != 0) {
    binding.kind = definitions::FormBinding::Kind::kVersion;
    binding.version = task.form_version;
  }
  auto form = env_.find_form(task.form_ref, binding);
  if (!form) {
    return Error::Conflict("task " + IdText(task.id) +
                           " cannot be completed without its form: " + form.error().message());
  }
  return (*form)->fields;
}

void Runtime::CreateJob(Loaded& l, std::uint32_t key) {
  ElementInstance* ei = l.st.Find(key);
  const Element& el = El(l, ei->element);
  const definitions::TaskSpec& spec = el.task;
  Connector* connector = spec.external ? nullptr : env_.connectors.Find(spec.connector);
  json::object vars = VisibleVariables(l, key);
  if (connector != nullptr && connector->inline_run()) {
    JobRequest request;
    request.instance_id = l.st.id;
    request.process_id = l.st.process_id;
    request.element_id = el.id;
    request.type = spec.connector;
    request.inputs = ei->variables;
    request.variables = std::move(vars);
    auto outcome = connector->Run(request);
    if (!outcome) {
      RaiseIncident(l, el.index, ei->parent, key, "job_failed",
                    "connector '" + spec.connector + "' failed: " + outcome.error().message());
      return;
    }
    if (outcome->bpmn_error) {
      History(l, el.index, "error_thrown", {{"code", *outcome->bpmn_error}});
      if (!ThrowError(l, key, *outcome->bpmn_error, outcome->error_message)) {
        RaiseIncident(l, el.index, l.st.Find(key)->parent, key, "uncaught_error",
                      "error '" + *outcome->bpmn_error + "' from '" + el.id +
                          "' is not caught by any boundary event or event subprocess");
      }
      return;
    }
    if (auto r = MapOutputs(l, key, outcome->variables); !r) {
      RaiseIncident(l, el.index, l.st.Find(key)->parent, key, "expression", r.error().message());
      return;
    }
    CompleteActivity(l, key);
    return;
  }
  JobRecord job;
  job.id = txn_.NewId();
  job.instance = l.st.id;
  job.key = key;
  job.process_id = l.st.process_id;
  job.element_id = el.id;
  job.type = spec.connector;
  job.external = connector == nullptr;
  job.retry_cycle = spec.retry_cycle;
  job.retries = env_.options.default_job_retries;
  if (!spec.retry_cycle.empty()) {
    if (auto c = definitions::ParseCycle(spec.retry_cycle); c && c->repetitions) {
      job.retries = static_cast<int>(*c->repetitions) + 1;
    }
  }
  if (spec.retries) job.retries = static_cast<int>(*spec.retries);
  auto ms = [&](const std::optional<definitions::Duration>& d) -> std::int64_t {
    return d ? (definitions::Add(txn_.now(), *d) - txn_.now()).count() : 0;
  };
  job.backoff_ms = ms(spec.retry_backoff);
  job.backoff_max_ms = ms(spec.retry_backoff_max);
  job.timeout_ms = ms(spec.timeout);
  if (job.retries < 1) job.retries = 1;
  if (auto p = SettingText(l, key, spec.priority); p && !p->empty()) {
    try {
      job.priority = std::clamp<std::int64_t>(std::stoll(*p), 0, 100);
    } catch (...) {
    }
  }
  job.due = txn_.now_ms();
  job.variables = std::move(vars);
  txn_.Put(ColumnFamily::kJobs, keys::Job(job.id), EncodeJob(job));
  if (job.external) {
    txn_.Put(ColumnFamily::kJobs, keys::ExternalJob(job.type, job.id), "");
    if (env_.external_available) txn_.AfterCommit(env_.external_available);
  } else if (env_.enqueue_job) {
    txn_.AfterCommit([enqueue = env_.enqueue_job, id = job.id, due = job.due,
                      priority = job.priority] { enqueue(id, due, priority); });
  }
  l.st.Find(key)->job = job.id;
  History(l, el.index, "job_created",
          {{"job", IdText(job.id)}, {"type", job.type}, {"external", job.external}});
}

void Runtime::StartCallActivity(Loaded& l, std::uint32_t key) {
  ElementInstance* ei = l.st.Find(key);
  const Element& el = El(l, ei->element);
  auto version = env_.find_version(
      el.called_element, el.called_version ? std::optional<std::uint32_t>(
                                                 static_cast<std::uint32_t>(*el.called_version))
                                           : std::nullopt);
  if (!version) {
    RaiseIncident(l, el.index, ei->parent, key, "called_process",
                  "call activity '" + el.id + "' cannot start process '" + el.called_element +
                      "': " + version.error().message());
    return;
  }
  json::object vars;
  if (el.task.inputs.empty()) {
    vars = VisibleVariables(l, key);
  } else {
    for (const definitions::IoMapping& m : el.task.inputs) {
      if (m.source.expression) {
        auto v = Evaluate(l, key, *m.source.expression);
        if (!v) {
          RaiseIncident(
              l, el.index, ei->parent, key, "expression",
              "input mapping '" + m.target + "' of '" + el.id + "' failed: " + v.error().message());
          return;
        }
        vars[m.target] = v->ToJson();
      } else {
        vars[m.target] = m.source.text;
      }
    }
  }
  auto child = StartAt(*version, kNoElement, std::move(vars), "", l.st.id, key);
  if (!child) {
    RaiseIncident(l, el.index, l.st.Find(key)->parent, key, "called_process",
                  "call activity '" + el.id + "' cannot start process '" + el.called_element +
                      "': " + child.error().message());
    return;
  }
  l.st.Find(key)->child = (*child)->st.id;
  History(l, el.index, "called", {{"instance", IdText((*child)->st.id)}});
}

void Runtime::ResumeParent(Loaded& child) {
  auto parent = Load(child.st.parent_instance);
  if (!parent) return;
  Loaded& p = **parent;
  ElementInstance* call = p.st.Find(child.st.parent_key);
  if (call == nullptr || call->child != child.st.id) return;
  call->child = 0;
  const json::object produced =
      child.st.Find(1) != nullptr ? child.st.Find(1)->variables : json::object();
  if (auto r = MapOutputs(p, call->key, produced); !r) {
    RaiseIncident(p, call->element, call->parent, call->key, "expression", r.error().message());
    return;
  }
  CompleteActivity(p, call->key);
}

}  // namespace quire::workflow
