// What authentication costs, over real HTTP on loopback against the whole API (the routes
// and services of `quire serve`, audit chain included):
//
//   (a) claim + complete round trips, each a POST /api/tasks/{id}/claim then
//       POST /api/tasks/{id}/complete on a kept-alive connection, with
//         --auth token: every request carries "Authorization: Bearer qt_..." and is checked
//                       by the real authenticator (hash, cache, expiry, last use), or
//         --auth none:  the same principals handed over by a lookup that costs nothing,
//       so that two runs read off what the check of a token costs. Throughput on a shared
//       2-core machine moves by +-10% from run to run, so the process's CPU time per round
//       trip is printed too, and in token mode the check itself is timed alone
//       (Identity::AuthenticateToken, two threads, every client's token in turn);
//   (b) sign-in latency: POST /api/auth/login one at a time (Argon2id, m=19 MiB, t=2);
//   (c) a burst of sign-ins (64 at once, again and again) while another client asks
//       GET /api/tasks/counts: its latency with and without the burst, since sign-ins run
//       on their own bounded pool.
//
//   auth_benchmark [--auth token|none] [--tasks N] [--clients N] [--handler-threads N]
//                  [--logins N] [--burst-seconds S]
//
// The store lives in $QUIRE_BENCH_DIR (default ./quire-bench-data) and is removed after.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "http_client.h"
#include "quire/server/api.h"
#include "quire/server/http_server.h"
#include "quire/services/services.h"

namespace {

using namespace quire;
using Steady = std::chrono::steady_clock;
using bench::BenchDir;
using bench::Connection;
using bench::Die;
using bench::Percentile;

const char* kProcess = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="urn:bench">
  <process id="work" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="do" name="Do the work" camunda:candidateGroups="team"/>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="do"/>
    <sequenceFlow id="f2" sourceRef="do" targetRef="e"/>
  </process></definitions>)";

constexpr const char* kPassword = "a benchmark passphrase";

// GET /api/tasks/counts latencies (ms) from one client for `seconds`, one request every 5 ms.
double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::vector<double> ProbeLatency(std::uint16_t port, const std::string& auth, double seconds) {
  Connection c(port);
  std::vector<double> ms;
  const auto until = Steady::now() + std::chrono::duration<double>(seconds);
  while (Steady::now() < until) {
    const auto t0 = Steady::now();
    const int status = c.Request("GET", "/api/tasks/counts", "", auth);
    if (status != 200) {
      std::fprintf(stderr, "counts: %d %s\n", status, c.last_body().c_str());
      std::exit(1);
    }
    ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return ms;
}

}  // namespace

namespace {

int Run(int argc, char** argv, const std::filesystem::path& dir) {
  std::string auth_mode = "token";
  std::size_t tasks = 60'000;
  std::size_t clients = 64;
  std::size_t handler_threads = 64;
  int logins = 40;
  double burst_seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string v = argv[i + 1];
    if (flag == "--auth") {
      auth_mode = v;
    } else if (flag == "--tasks") {
      tasks = std::stoul(v);
    } else if (flag == "--clients") {
      clients = std::stoul(v);
    } else if (flag == "--handler-threads") {
      handler_threads = std::stoul(v);
    } else if (flag == "--logins") {
      logins = std::stoi(v);
    } else if (flag == "--burst-seconds") {
      burst_seconds = std::stod(v);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (auth_mode != "token" && auth_mode != "none") {
    std::fprintf(stderr, "--auth is token or none\n");
    return 2;
  }

  services::ServicesOptions options;
  options.search = false;
  auto opened = services::Services::Open(dir, options);
  if (!opened) Die("open", opened.error());
  services::Services& s = **opened;

  // The team: one user per client, each with a token; tasks queued for the team.
  org::Directory& directory = s.directory();
  org::Identity& identity = s.identity();
  if (auto r = directory.PutGroup({"team", "Team"}, "bench"); !r) Die("group", r.error());
  std::vector<std::string> users;
  std::vector<std::string> tokens;
  std::map<std::string, std::shared_ptr<const org::Principal>> principals;
  for (std::size_t i = 0; i < clients; ++i) {
    const std::string u = "u" + std::to_string(i);
    if (auto r = identity.PutUser({u, u, "", "", true, ""}, std::vector<std::string>{"staff"},
                                  i == 0 ? kPassword : "", true, "bench");
        !r) {
      Die("user", r.error());
    }
    if (auto r = directory.AddMember("team", u, "bench"); !r) Die("member", r.error());
    auto t = identity.CreateToken(u, "bench", std::nullopt, {}, "bench");
    if (!t) Die("token", t.error());
    users.push_back(u);
    tokens.push_back(t->secret);
  }
  for (const std::string& u : users) principals[u] = *identity.PrincipalOf(u);

  workflow::Engine& engine = s.engine();
  if (auto d = engine.Deploy(kProcess, "bench.bpmn", "bench"); !d) Die("deploy", d.error());
  std::vector<std::uint64_t> task_ids;
  {
    std::mutex mu;
    std::condition_variable cv;
    std::size_t started = 0;
    std::size_t done = 0;
    std::function<void()> launch = [&] {
      std::size_t n;
      {
        std::lock_guard lock(mu);
        if (started >= tasks) return;
        n = started++;
      }
      (void)n;
      workflow::StartRequest r;
      r.process_id = "work";
      engine.StartAsync(std::move(r), [&](Result<workflow::StartResult> st) {
        if (!st) Die("start", st.error());
        {
          std::lock_guard lock(mu);
          ++done;
          task_ids.push_back(st->tasks.at(0));
        }
        launch();
        cv.notify_all();
      });
    };
    for (int i = 0; i < 256; ++i) launch();
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done >= tasks; });
  }
  std::sort(task_ids.begin(), task_ids.end());

  server::Router router;
  server::AddApiRoutes(router, s, {.version = "bench"});
  if (auth_mode == "none") {
    // The principal of the user named in X-Bench-User, built beforehand: no cost.
    router.SetAuthenticator([&principals](const server::Request& request)
                                -> Result<std::shared_ptr<const org::Principal>> {
      const auto user = request.header("x-bench-user");
      const auto it = user ? principals.find(std::string(*user)) : principals.end();
      if (it == principals.end()) return Error::Unauthenticated("no X-Bench-User");
      return it->second;
    });
  }
  server::HttpServerOptions http;
  http.port = 0;
  http.handler_threads = handler_threads;
  server::HttpServer server(std::move(router), http);
  if (auto r = server.Start(); !r) Die("listen", r.error());
  const std::uint16_t port = server.port();
  auto auth_header = [&](std::size_t client) {
    return auth_mode == "token" ? "Authorization: Bearer " + tokens[client] + "\r\n"
                                : "X-Bench-User: " + users[client] + "\r\n";
  };

  std::printf("auth: %s; %zu clients, %zu handler threads, %zu tasks\n", auth_mode.c_str(), clients,
              handler_threads, task_ids.size());

  // (a) claim + complete.
  {
    std::atomic<std::size_t> failures{0};
    std::vector<std::thread> threads;
    const double cpu0 = CpuSeconds();
    const auto t0 = Steady::now();
    for (std::size_t c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        Connection conn(port);
        const std::string auth = auth_header(c);
        for (std::size_t i = c; i < task_ids.size(); i += clients) {
          const std::string path = "/api/tasks/" + std::to_string(task_ids[i]);
          if (conn.Request("POST", path + "/claim", "", auth) != 200 ||
              conn.Request("POST", path + "/complete", "{}", auth) != 200) {
            if (failures.fetch_add(1) == 0) {
              std::fprintf(stderr, "refused: %s\n", conn.last_body().c_str());
            }
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    const double seconds = std::chrono::duration<double>(Steady::now() - t0).count();
    const double cpu = CpuSeconds() - cpu0;
    std::printf(
        "claim + complete over HTTP, %zu connections: %zu round trips, %.0f/s (%zu failed); "
        "CPU %.0f us per round trip (server and clients)\n",
        clients, task_ids.size(), static_cast<double>(task_ids.size()) / seconds, failures.load(),
        cpu * 1e6 / static_cast<double>(task_ids.size()));
  }

  if (auth_mode == "token") {
    constexpr std::size_t kChecks = 400000;
    std::vector<std::thread> threads;
    std::atomic<std::size_t> refused{0};
    const auto t0 = Steady::now();
    for (std::size_t t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        for (std::size_t i = t; i < kChecks; i += 2) {
          if (!identity.AuthenticateToken(tokens[i % tokens.size()])) refused.fetch_add(1);
        }
      });
    }
    for (std::thread& t : threads) t.join();
    const double seconds = std::chrono::duration<double>(Steady::now() - t0).count();
    std::printf("token check alone, 2 threads: %zu checks, %.2f us each (%zu refused)\n", kChecks,
                seconds * 2e6 / static_cast<double>(kChecks), refused.load());
  }

  if (auth_mode == "none") return 0;

  // (b) sign-in latency, one at a time.
  const std::string login_body = std::string(R"({"user": "u0", "password": ")") + kPassword + "\"}";
  {
    Connection conn(port);
    std::vector<double> ms;
    for (int i = 0; i < logins; ++i) {
      const auto t0 = Steady::now();
      const int status = conn.Request("POST", "/api/auth/login", login_body, "");
      if (status != 200) {
        std::fprintf(stderr, "login: %d %s\n", status, conn.last_body().c_str());
        return 1;
      }
      ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
    }
    std::printf("sign-in, one at a time: median %.1f ms, p99 %.1f ms (%d sign-ins)\n",
                Percentile(ms, 0.5), Percentile(ms, 0.99), logins);
  }

  // (c) other requests during a burst of sign-ins.
  const std::string probe_auth = auth_header(1);
  const std::vector<double> quiet = ProbeLatency(port, probe_auth, burst_seconds / 2);
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> signed_in{0};
  std::atomic<std::size_t> turned_away{0};
  std::vector<std::thread> burst;
  for (int b = 0; b < 64; ++b) {
    burst.emplace_back([&] {
      Connection conn(port);
      while (!stop.load()) {
        const int status = conn.Request("POST", "/api/auth/login", login_body, "");
        if (status == 200) {
          signed_in.fetch_add(1);
        } else {
          turned_away.fetch_add(1);
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::vector<double> busy = ProbeLatency(port, probe_auth, burst_seconds);
  stop = true;
  for (std::thread& t : burst) t.join();
  std::printf("GET /api/tasks/counts, quiet: median %.2f ms, p99 %.2f ms (%zu requests)\n",
              Percentile(quiet, 0.5), Percentile(quiet, 0.99), quiet.size());
  std::printf(
      "GET /api/tasks/counts during 64 clients signing in without pause: median %.2f ms, "
      "p99 %.2f ms (%zu requests; %zu sign-ins done, %zu answered 429/503)\n",
      Percentile(busy, 0.5), Percentile(busy, 0.99), busy.size(), signed_in.load(),
      turned_away.load());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = BenchDir();
  std::filesystem::remove_all(dir);
  const int code = Run(argc, argv, dir);  // the server, then the services, closed by now
  std::filesystem::remove_all(dir);
  return code;
}
