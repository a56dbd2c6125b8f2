// quire serve: opens the store, serves HTTP until SIGINT or SIGTERM, then stops cleanly.
#include <pthread.h>
#include <signal.h>

#include <boost/program_options.hpp>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "commands.h"
#include "quire/base/clock.h"
#include "quire/server/api.h"
#include "quire/server/http_server.h"
#include "quire/server/tls.h"
#include "quire/server/web_app.h"
#include "quire/services/services.h"

namespace quire::app {
namespace {

namespace po = boost::program_options;

struct ServeConfig {
  std::string data_dir = "quire-data";
  std::string config_file;
  server::HttpServerOptions http;
  workflow::EngineOptions engine;
  long history_ttl_days = 0;
  long message_ttl_seconds = 0;
  long lock_hours = 24;
  long sweep_minutes = 60;
  std::string tls = "off";  // "auto": a self-signed certificate in DATA/tls
  long session_idle_minutes = 30;
  long session_hours = 12;
  std::string web_dir;  // empty: beside the binary (server::FindWebAppDir)
  std::string smtp_url;
  std::string mail_from;
  std::string sms_gateway;
  std::string public_url;
};

po::options_description ServeOptions(ServeConfig& config, int& port, bool with_help) {
  po::options_description options("Options (also accepted in the --config file as name = value)");
  options.add_options()(
      "data-dir", po::value(&config.data_dir)->default_value(config.data_dir)->value_name("DIR"),
      "directory of the embedded store; created when absent")(
      "host", po::value(&config.http.host)->default_value(config.http.host)->value_name("ADDR"),
      "address to listen on (0.0.0.0 for every interface)")(
      "port", po::value(&port)->default_value(port)->value_name("N"),
      "TCP port to listen on; 0 picks a free port")(
      "io-threads", po::value(&config.http.io_threads)->default_value(config.http.io_threads),
      "threads doing network I/O")(
      "handler-threads",
      po::value(&config.http.handler_threads)->default_value(config.http.handler_threads),
      "threads handling requests")(
      "max-body-bytes",
      po::value(&config.http.max_body_bytes)->default_value(config.http.max_body_bytes),
      "largest request body accepted")(
      "job-threads",
      po::value(&config.engine.job_threads)->default_value(config.engine.job_threads),
      "threads running service-task jobs (connectors)")(
      "history-ttl-days", po::value(&config.history_ttl_days)->default_value(0),
      "days to keep an ended instance's history when its process does not say; 0 keeps it")(
      "message-ttl-seconds", po::value(&config.message_ttl_seconds)->default_value(0),
      "seconds to keep a message no instance waits for yet, when it names no ttl; 0 refuses it")(
      "lock-hours", po::value(&config.lock_hours)->default_value(config.lock_hours),
      "hours a document check-out lasts unless checked in or cancelled; 0: until then")(
      "sweep-minutes", po::value(&config.sweep_minutes)->default_value(config.sweep_minutes),
      "minutes between reclaiming document content nothing references; 0: never")(
      "tls", po::value(&config.tls)->default_value(config.tls)->value_name("auto|off"),
      "auto: serve HTTPS with a self-signed certificate made in DATA/tls on first start")(
      "tls-cert", po::value(&config.http.tls_certificate)->value_name("FILE"),
      "serve HTTPS with this PEM certificate (chain); needs --tls-key")(
      "tls-key", po::value(&config.http.tls_private_key)->value_name("FILE"),
      "the PEM private key of --tls-cert")(
      "session-idle-minutes",
      po::value(&config.session_idle_minutes)->default_value(config.session_idle_minutes),
      "a browser session ends after this long without a request")(
      "session-hours", po::value(&config.session_hours)->default_value(config.session_hours),
      "a browser session ends this long after sign-in, whatever happens")(
      "web-dir", po::value(&config.web_dir)->value_name("DIR"),
      "the built browser app to serve at /; default: web/ beside the binary, or "
      "share/quire/web of its installation")(
      "smtp-url", po::value(&config.smtp_url)->value_name("URL"),
      "where e-mail goes: smtp://[USER:PASS@]HOST:PORT (STARTTLS when offered; "
      "?tls=required to insist) or smtps://...; without it mail waits in the outbox")(
      "mail-from", po::value(&config.mail_from)->value_name("ADDRESS"),
      "the From of the e-mail Quire sends: \"Firma <crm@firma.pl>\"; default quire@HOST of "
      "--smtp-url")(
      "sms-gateway", po::value(&config.sms_gateway)->value_name("FILE"),
      "where SMS go: a JSON file describing the HTTP gateway (url, method, headers, body "
      "with {{to}} and {{text}}, ...; examples/sms-gateways/); without it SMS wait in the "
      "outbox")(
      "public-url", po::value(&config.public_url)->value_name("URL"),
      "where people reach Quire, for links in e-mail (questionnaires): https://crm.firma.pl; "
      "default: the address of the request that sends the mail");
  if (with_help) {
    options.add_options()("config", po::value(&config.config_file)->value_name("FILE"),
                          "read options from FILE; options given on the command line win")(
        "help,h", "show this help");
  }
  return options;
}

// Blocks SIGINT and SIGTERM in this thread and every thread started after it, so that
// they are only ever taken by the sigwait below. A shell starts background jobs with
// SIGINT ignored, and an ignored signal never reaches sigwait: restore the default first.
sigset_t BlockStopSignals() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace

std::string ServeUsage() {
  ServeConfig config;
  int port = config.http.port;
  std::ostringstream out;
  out << "Usage: quire serve [options]\n\n"
      << "Serves the HTTP API on an embedded store until Ctrl-C (SIGINT) or SIGTERM.\n\n"
      << ServeOptions(config, port, true);
  return out.str();
}

int RunServe(const std::vector<std::string>& args) {
  ServeConfig config;
  int port = config.http.port;
  const po::options_description options = ServeOptions(config, port, true);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(options).run(), vm);
    if (vm.count("help") != 0) {
      std::cout << ServeUsage();
      return kExitOk;
    }
    if (vm.count("config") != 0) {
      const std::string file = vm["config"].as<std::string>();
      // Same names as the flags, without --config and --help.
      const po::options_description file_options = ServeOptions(config, port, false);
      try {
        po::store(po::parse_config_file<char>(file.c_str(), file_options), vm);
      } catch (const po::reading_file&) {
        std::cerr << "quire serve: cannot read the config file " << file << "\n";
        return kExitUsage;
      } catch (const po::error& e) {
        std::cerr << "quire serve: in config file " << file << ": " << e.what() << "\n";
        return kExitUsage;
      }
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "quire serve: " << e.what() << "; see 'quire help serve'\n";
    return kExitUsage;
  }
  if (port < 0 || port > 65535) {
    std::cerr << "quire serve: --port must be between 0 and 65535, not " << port << "\n";
    return kExitUsage;
  }
  config.http.port = static_cast<std::uint16_t>(port);
  if (config.history_ttl_days < 0 || config.message_ttl_seconds < 0 || config.lock_hours < 0 ||
      config.sweep_minutes < 0) {
    std::cerr << "quire serve: --history-ttl-days, --message-ttl-seconds, --lock-hours and "
                 "--sweep-minutes cannot be negative\n";
    return kExitUsage;
  }
  config.engine.history_ttl = std::chrono::hours(24 * config.history_ttl_days);
  config.engine.default_message_ttl = std::chrono::seconds(config.message_ttl_seconds);

  if (config.tls != "auto" && config.tls != "off") {
    std::cerr << "quire serve: --tls takes auto or off, not '" << config.tls
              << "'; for your own certificate use --tls-cert FILE --tls-key FILE\n";
    return kExitUsage;
  }
  if (config.http.tls_certificate.empty() != config.http.tls_private_key.empty()) {
    std::cerr << "quire serve: --tls-cert and --tls-key go together\n";
    return kExitUsage;
  }
  if (config.tls == "auto" && !config.http.tls_certificate.empty()) {
    std::cerr << "quire serve: --tls auto makes its own certificate; leave out --tls-cert and "
                 "--tls-key, or --tls auto\n";
    return kExitUsage;
  }
  if (config.session_idle_minutes <= 0 || config.session_hours <= 0) {
    std::cerr << "quire serve: --session-idle-minutes and --session-hours must be positive\n";
    return kExitUsage;
  }

  const sigset_t stop_signals = BlockStopSignals();

  services::ServicesOptions service_options;
  service_options.engine = config.engine;
  service_options.lock_ttl = std::chrono::hours(config.lock_hours);
  service_options.identity.session_idle = std::chrono::minutes(config.session_idle_minutes);
  service_options.identity.session_absolute = std::chrono::hours(config.session_hours);
  service_options.smtp_url = config.smtp_url;
  service_options.mail_from = config.mail_from;
  service_options.sms_gateway = config.sms_gateway;
  service_options.public_url = config.public_url;
  auto opened = services::Services::Open(config.data_dir, service_options);
  if (!opened) {
    std::cerr << "quire serve: " << opened.error().message() << "\n";
    return kExitFailure;
  }
  services::Services& services = **opened;
  services.Start();

  server::Router router;
  if (config.tls == "auto") {
    auto files =
        server::EnsureSelfSignedCertificate(services.data_dir() / "tls", {config.http.host});
    if (!files) {
      std::cerr << "quire serve: " << files.error().message() << "\n";
      return kExitFailure;
    }
    config.http.tls_certificate = files->certificate.string();
    config.http.tls_private_key = files->private_key.string();
  }
  const bool tls = !config.http.tls_certificate.empty();
  if (tls) {
    auto fingerprint = server::CertificateFingerprint(config.http.tls_certificate);
    if (!fingerprint) {
      std::cerr << "quire serve: " << fingerprint.error().message() << "\n";
      return kExitFailure;
    }
    std::cout << "Quire: TLS certificate " << config.http.tls_certificate
              << "\n       SHA-256 fingerprint " << *fingerprint << std::endl;
  } else if (config.http.host != "127.0.0.1" && config.http.host != "localhost" &&
             config.http.host != "::1") {
    std::cerr << "quire serve: warning: serving plain HTTP on " << config.http.host
              << ": passwords and session cookies cross the network readable by anyone on "
                 "the way; use --tls auto or --tls-cert/--tls-key"
              << std::endl;
  }
  server::AddApiRoutes(router, services, {.version = QUIRE_VERSION, .tls = tls});
  // The browser app, after the API: its routes take only what no API route names.
  std::filesystem::path web_dir = config.web_dir;
  if (web_dir.empty()) web_dir = server::FindWebAppDir("/proc/self/exe");
  if (web_dir.empty()) {
    std::cerr << "quire serve: warning: the browser app is not built (no web/index.html beside "
                 "the binary); serving the API only. Build it with cmake --build (it needs "
                 "Node.js and npm), or name it with --web-dir"
              << std::endl;
  } else if (auto added = server::AddWebAppRoutes(router, web_dir); !added) {
    std::cerr << "quire serve: " << added.error().message() << "\n";
    return kExitFailure;
  }

  // The first start: an administrator to sign in with.
  auto admin_password = services.identity().EnsureAdministrator();
  if (!admin_password) {
    std::cerr << "quire serve: cannot create the first administrator: "
              << admin_password.error().message() << "\n";
    return kExitFailure;
  }
  if (*admin_password) {
    std::cout << "Quire: created the administrator 'admin' with the password " << **admin_password
              << "\n       (also in " << (services.data_dir() / "initial-admin-password").string()
              << ", removed once you change it: PUT /api/me/password)" << std::endl;
  }

  server::HttpServer http(std::move(router), config.http);
  if (Result<void> started = http.Start(); !started) {
    std::cerr << "quire serve: " << started.error().message() << "\n";
    return kExitFailure;
  }
  // Reclaims content that deleted documents no longer reference.
  std::mutex sweep_mu;
  std::condition_variable sweep_wake;
  bool sweep_stop = false;
  std::thread sweeper([&] {
    if (config.sweep_minutes == 0) return;
    std::unique_lock lock(sweep_mu);
    while (!sweep_wake.wait_for(lock, std::chrono::minutes(config.sweep_minutes),
                                [&] { return sweep_stop; })) {
      lock.unlock();
      if (auto r = services.documents().Sweep(); !r) {
        std::cerr << "quire: reclaiming document content failed: " << r.error().message()
                  << std::endl;
      }
      lock.lock();
    }
  });
  std::error_code ec;
  const std::filesystem::path data = std::filesystem::absolute(config.data_dir, ec);
  std::cout << "Quire " << QUIRE_VERSION << " listening on " << http.url()
            << " (data: " << (ec ? config.data_dir : data.string()) << ")" << std::endl;
  if (services.smtp_display().empty()) {
    std::cout << "Quire: no --smtp-url: e-mail waits in the outbox until one is given" << std::endl;
  } else {
    std::cout << "Quire: e-mail goes to " << services.smtp_display() << std::endl;
  }
  if (!services.sms_display().empty()) {
    std::cout << "Quire: SMS go to " << services.sms_display() << std::endl;
    if (services.sms_clear_text()) {
      std::cout << "Quire: warning: the SMS gateway is reached over plain http on another "
                   "machine; its credentials cross the network in clear text"
                << std::endl;
    }
  }

  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::cout << "Quire: " << (signal == SIGINT ? "interrupted" : "terminated")
            << ", finishing requests in flight and stopping" << std::endl;
  http.Shutdown();
  http.Wait();
  {
    std::lock_guard lock(sweep_mu);
    sweep_stop = true;
  }
  sweep_wake.notify_all();
  sweeper.join();
  opened->reset();
  std::cout << "Quire: stopped" << std::endl;
  return kExitOk;
}

}  // namespace quire::app
