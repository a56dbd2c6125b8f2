// Inboxes at scale: 1,000,000 open tasks over 10,000 users in 200 groups.
//
// Measures (a) the first page (50) of a user's group queue and of a single group's queue —
// median and 99th percentile over 2,000 random users — and (b) claim + complete round trips
// through the embedded asynchronous API, durable, 256 in flight.
//
//   task_benchmark [--tasks N] [--users N] [--groups N] [--round-trips N] [--audit on|off]
//                  [--keep]
//
// --audit on: every command is recorded in the audit chain (what `quire serve` does), so
// that the cost of the chain on task operations can be read off two runs.
//
// The store lives in $QUIRE_BENCH_DIR (default ./quire-bench-data) and is removed after,
// unless --keep (bench/web/inbox-paint.mjs then serves it to a browser).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "bench_support.h"
#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/definitions/repository.h"
#include "quire/org/directory.h"
#include "quire/storage/store.h"
#include "quire/workflow/engine.h"

namespace {

using namespace quire;
using Steady = std::chrono::steady_clock;
using bench::BenchDir;
using bench::Die;
using bench::Percentile;

const char* kProcess = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="urn:bench">
  <process id="work" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="do" name="Do the work" camunda:candidateGroups="${group}" camunda:priority="${prio}"
              camunda:dueDate="${due}"/>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="do"/>
    <sequenceFlow id="f2" sourceRef="do" targetRef="e"/>
  </process></definitions>)";

std::string GroupOf(std::size_t user, int which, std::size_t groups) {
  return "g" + std::to_string((user * 7 + static_cast<std::size_t>(which) * 13) % groups);
}

}  // namespace

int main(int argc, char** argv) {
  long tasks = 1'000'000;
  long users = 10'000;
  long groups = 200;
  long round_trips = 50'000;
  bool audited = false;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--keep") == 0) keep = true;
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--keep") == 0) {
      --i;  // a flag without a value
      continue;
    }
    if (std::strcmp(argv[i], "--audit") == 0) audited = std::strcmp(argv[i + 1], "on") == 0;
    if (std::strcmp(argv[i], "--tasks") == 0) tasks = std::atol(argv[i + 1]);
    if (std::strcmp(argv[i], "--users") == 0) users = std::atol(argv[i + 1]);
    if (std::strcmp(argv[i], "--groups") == 0) groups = std::atol(argv[i + 1]);
    if (std::strcmp(argv[i], "--round-trips") == 0) round_trips = std::atol(argv[i + 1]);
  }
  std::filesystem::remove_all(BenchDir());
  auto store = storage::Store::Open(BenchDir());
  if (!store) Die("open store", store.error());
  definitions::DefinitionRepository repository(**store);
  workflow::ConnectorRegistry connectors = workflow::ConnectorRegistry::WithBuiltins();
  std::unique_ptr<audit::AuditLog> audit_log;
  workflow::EngineOptions options;
  if (audited) {
    auto log = audit::AuditLog::Open(**store, BenchDir());
    if (!log) Die("open audit log", log.error());
    audit_log = std::move(*log);
    options.audit = audit_log.get();
  }
  std::printf("audit chain: %s\n", audited ? "on (every command recorded)" : "off");
  auto opened =
      workflow::Engine::Open(**store, repository, SystemClock::Instance(), connectors, options);
  if (!opened) Die("open engine", opened.error());
  workflow::Engine& engine = **opened;
  org::Directory directory(**store, audit_log.get(), SystemClock::Instance());

  // The organisation: every user in two groups.
  for (long g = 0; g < groups; ++g) {
    const std::string id = "g" + std::to_string(g);
    if (auto r = directory.PutGroup({id, id}, "bench"); !r) Die("group", r.error());
  }
  for (long u = 0; u < users; ++u) {
    const std::string id = "u" + std::to_string(u);
    if (auto r = directory.PutUser({id, id, id + "@example.com", "", true, ""}, "bench"); !r) {
      Die("user", r.error());
    }
    for (int k = 0; k < 2; ++k) {
      if (auto r = directory.AddMember(
              GroupOf(static_cast<std::size_t>(u), k, static_cast<std::size_t>(groups)), id,
              "bench");
          !r) {
        Die("member", r.error());
      }
    }
  }
  if (auto d = engine.Deploy(kProcess, "work.bpmn", "bench"); !d) Die("deploy", d.error());

  // A million open tasks, each queued for one group, priorities spread over 0..100; half of
  // them due within 30 days (each with its due-date timer), half without a due date.
  std::vector<std::pair<workflow::TaskId, long>> some_tasks;  // task, its group
  std::mutex mu;
  std::condition_variable cv;
  long started = 0;
  long done = 0;
  std::mt19937 random(42);
  const auto t0 = Steady::now();
  std::function<void()> launch = [&] {
    workflow::StartRequest r;
    r.process_id = "work";
    long n = 0;
    {
      std::lock_guard lock(mu);
      n = started++;
    }
    r.variables["group"] = "g" + std::to_string(n % groups);
    r.variables["prio"] = (n * 37) % 101;
    r.variables["due"] = n % 2 == 0 ? std::string() : "P" + std::to_string(1 + n % 30) + "D";
    engine.StartAsync(std::move(r), [&, n](Result<workflow::StartResult> s) {
      if (!s) Die("start", s.error());
      bool more = false;
      {
        std::lock_guard lock(mu);
        ++done;
        if (some_tasks.size() < static_cast<std::size_t>(round_trips) && !s->tasks.empty()) {
          some_tasks.emplace_back(s->tasks[0], n % groups);
        }
        more = started < tasks;
      }
      if (more) launch();
      cv.notify_all();
    });
  };
  for (int i = 0; i < 256 && i < tasks; ++i) launch();
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done == tasks; });
  }
  engine.WaitIdle();
  const double load_s = std::chrono::duration<double>(Steady::now() - t0).count();
  std::printf("setup: %ld users, %ld groups, %ld open tasks (created at %.0f/s)\n", users, groups,
              tasks, static_cast<double>(tasks) / load_s);

  // (a) First inbox pages.
  auto measure = [&](const char* what, auto query) {
    std::vector<double> ms;
    std::size_t total = 0;
    for (int i = 0; i < 2000; ++i) {
      const workflow::TaskQuery q = query(i);
      const auto a = Steady::now();
      auto page = engine.Inbox(q);
      ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - a).count());
      if (!page) Die("inbox", page.error());
      total += page->tasks.size();
    }
    std::printf("%s: first page of 50: median %.3f ms, p99 %.3f ms (%.1f tasks a page)\n", what,
                Percentile(ms, 0.5), Percentile(ms, 0.99), static_cast<double>(total) / 2000.0);
  };
  measure("a user's group queue (their 2 groups merged)", [&](int i) {
    workflow::TaskQuery q;
    q.user = "u" + std::to_string((i * 7919) % users);
    q.view = workflow::TaskView::kGroup;
    return q;
  });
  measure("one group's queue", [&](int i) {
    workflow::TaskQuery q;
    q.user = "u0";
    q.view = workflow::TaskView::kGroup;
    q.group = "g" + std::to_string((i * 31) % groups);
    return q;
  });
  for (const auto& [name, sort] : {std::pair{"by due date", workflow::TaskSort::kDue},
                                   std::pair{"by creation", workflow::TaskSort::kCreated}}) {
    measure((std::string("a user's group queue, ") + name).c_str(), [&, sort](int i) {
      workflow::TaskQuery q;
      q.user = "u" + std::to_string((i * 7919) % users);
      q.view = workflow::TaskView::kGroup;
      q.sort = sort;
      return q;
    });
  }
  measure("search in a user's group queue (q=work, every task matches)", [&](int i) {
    workflow::TaskQuery q;
    q.user = "u" + std::to_string((i * 7919) % users);
    q.view = workflow::TaskView::kGroup;
    q.text = "work";
    return q;
  });
  {
    std::vector<double> ms;
    std::size_t group_total = 0;
    for (int i = 0; i < 2000; ++i) {
      const auto a = Steady::now();
      auto counts = engine.CountTasks("u" + std::to_string((i * 7919) % users));
      ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - a).count());
      if (!counts) Die("counts", counts.error());
      group_total += counts->group;
    }
    std::printf(
        "counts of a user's views: median %.3f ms, p99 %.3f ms (%.0f tasks in the group "
        "view)\n",
        Percentile(ms, 0.5), Percentile(ms, 0.99), static_cast<double>(group_total) / 2000.0);
  }

  // (b) Claim + complete through the asynchronous embedded API, 256 round trips in flight,
  // each as a member of the task's group.
  std::vector<long> member_of(static_cast<std::size_t>(groups), -1);
  for (long u = 0; u < users; ++u) {
    for (int k = 0; k < 2; ++k) {
      const long g = std::atol(
          GroupOf(static_cast<std::size_t>(u), k, static_cast<std::size_t>(groups)).c_str() + 1);
      if (member_of[static_cast<std::size_t>(g)] < 0) member_of[static_cast<std::size_t>(g)] = u;
    }
  }
  std::atomic<long> failures{0};
  std::size_t issued = 0;
  std::size_t finished = 0;
  std::function<void()> round_trip = [&] {
    std::size_t i = 0;
    {
      std::lock_guard lock(mu);
      if (issued >= some_tasks.size()) return;
      i = issued++;
    }
    const auto [task, group] = some_tasks[i];
    workflow::TaskCommand claim;
    claim.action = workflow::TaskAction::kClaim;
    claim.task = task;
    claim.actor = "u" + std::to_string(member_of[static_cast<std::size_t>(group)]);
    const std::string user = claim.actor.id;
    engine.ActOnTaskAsync(std::move(claim), [&, task, user](Result<workflow::TaskInfo> c) {
      auto finish = [&](bool ok) {
        if (!ok) ++failures;
        {
          std::lock_guard lock(mu);
          ++finished;
        }
        cv.notify_all();
        round_trip();
      };
      if (!c) return finish(false);
      engine.CompleteTaskAsAsync(
          task, {}, user, [finish](Result<void> r) mutable { finish(static_cast<bool>(r)); });
    });
  };
  const auto r0 = Steady::now();
  for (int i = 0; i < 256; ++i) round_trip();
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return finished == some_tasks.size(); });
  }
  const double rt_s = std::chrono::duration<double>(Steady::now() - r0).count();
  std::printf("claim + complete, durable, 256 in flight: %zu round trips, %.0f/s (%ld failed)\n",
              some_tasks.size(), static_cast<double>(some_tasks.size()) / rt_s, failures.load());
  opened->reset();
  audit_log.reset();
  store->reset();
  if (!keep) std::filesystem::remove_all(BenchDir());
  return failures == 0 ? 0 : 1;
}
