// Runs the real quire binary as a user would: flags, config file, serve, signals.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "quire/testing/child_process.h"
#include "quire/testing/http_client.h"
#include "quire/testing/quire_server.h"
#include "quire/testing/temp_dir.h"

namespace quire {
namespace {

using ::quire::testing::ChildProcess;
using ::quire::testing::ExitStatus;
using ::quire::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct CliRun {
  ExitStatus status;
  std::string out;
  std::string err;
};

CliRun RunQuire(const std::vector<std::string>& args) {
  auto child = ChildProcess::Spawn(QUIRE_BINARY, args);
  EXPECT_TRUE(child.has_value());
  CliRun run;
  run.out = child->ReadAllStdout();
  run.err = child->ReadAllStderr();
  run.status = child->Wait(60s).value_or(ExitStatus{});
  return run;
}

// A running `quire serve`, stopped with SIGTERM at the end if the test did not stop it.
class Server {
 public:
  explicit Server(std::vector<std::string> args) {
    args.insert(args.begin(), "serve");
    auto child = ChildProcess::Spawn(QUIRE_BINARY, args);
    EXPECT_TRUE(child.has_value());
    child_.emplace(std::move(*child));
    line_ = child_->WaitForLine("listening on", 60s);
    std::smatch m;
    if (line_ && std::regex_search(*line_, m, std::regex(R"(http://[^ ]+:(\d+))"))) {
      port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
    }
  }

  bool ready() const { return port_ != 0; }
  std::uint16_t port() const { return port_; }
  const std::string& line() const { return *line_; }
  ChildProcess& process() { return *child_; }

  ExitStatus Stop(int signal = SIGTERM) {
    child_->Signal(signal);
    return child_->Wait(30s).value_or(ExitStatus{});
  }

 private:
  std::optional<ChildProcess> child_;
  std::optional<std::string> line_;
  std::uint16_t port_ = 0;
};

TEST(QuireCliTest, Version) {
  const CliRun run = RunQuire({"--version"});
  EXPECT_EQ(run.status.code, 0);
  EXPECT_EQ(run.out, "quire 0.1.0\n");
}

TEST(QuireCliTest, HelpListsCommandsAndServeOptions) {
  const CliRun overview = RunQuire({"help"});
  EXPECT_EQ(overview.status.code, 0);
  EXPECT_THAT(overview.out, HasSubstr("serve"));
  const CliRun serve = RunQuire({"help", "serve"});
  EXPECT_EQ(serve.status.code, 0);
  EXPECT_THAT(serve.out, HasSubstr("--data-dir"));
  EXPECT_THAT(serve.out, HasSubstr("--port"));
  EXPECT_THAT(serve.out, HasSubstr("--config"));
}

TEST(QuireCliTest, UnknownCommandIsAUsageError) {
  const CliRun run = RunQuire({"frobnicate"});
  EXPECT_EQ(run.status.code, 2);
  EXPECT_THAT(run.err, HasSubstr("unknown command 'frobnicate'"));
  EXPECT_THAT(run.err, HasSubstr("quire help"));
  EXPECT_EQ(RunQuire({}).status.code, 2);
}

TEST(QuireCliTest, BadFlagsAreUsageErrors) {
  TempDir tmp;
  const CliRun unknown = RunQuire({"serve", "--colour", "blue", "--data-dir", tmp.path().string()});
  EXPECT_EQ(unknown.status.code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("colour"));
  const CliRun port = RunQuire({"serve", "--port", "70000", "--data-dir", tmp.path().string()});
  EXPECT_EQ(port.status.code, 2);
  EXPECT_THAT(port.err, HasSubstr("between 0 and 65535"));
  const CliRun not_a_number =
      RunQuire({"serve", "--port", "http", "--data-dir", tmp.path().string()});
  EXPECT_EQ(not_a_number.status.code, 2);
}

TEST(QuireCliTest, ServesHealthAndStopsCleanlyOnSigterm) {
  TempDir tmp;
  const fs::path data = tmp.Sub("data");
  Server server({"--port", "0", "--data-dir", data.string()});
  ASSERT_TRUE(server.ready()) << server.process().ReadAllStderr();
  EXPECT_THAT(server.line(), HasSubstr(data.string()));
  auto health = quire::testing::Fetch(server.port(), "GET", "/health");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, R"({"status":"ok"})");
  auto version = quire::testing::Fetch(server.port(), "GET", "/version");
  EXPECT_EQ(version->body, R"({"name":"quire","version":"0.1.0"})");

  const ExitStatus status = server.Stop(SIGTERM);
  EXPECT_EQ(status.code, 0);
  EXPECT_THAT(server.process().ReadAllStdout(), HasSubstr("stopped"));
  EXPECT_TRUE(fs::exists(data / "QUIRE-STORE"));

  // The same data directory opens again.
  Server again({"--port", "0", "--data-dir", data.string()});
  ASSERT_TRUE(again.ready()) << again.process().ReadAllStderr();
  EXPECT_EQ(again.Stop(SIGINT).code, 0);
}

TEST(QuireCliTest, SecondServerOnTheSameDataDirIsRefused) {
  TempDir tmp;
  Server first({"--port", "0", "--data-dir", tmp.path().string()});
  ASSERT_TRUE(first.ready());
  const CliRun second = RunQuire({"serve", "--port", "0", "--data-dir", tmp.path().string()});
  EXPECT_EQ(second.status.code, 1);
  EXPECT_THAT(second.err, HasSubstr("in use by process " + std::to_string(first.process().pid())));
  EXPECT_EQ(first.Stop().code, 0);
}

TEST(QuireCliTest, RefusesADataDirWithOtherFiles) {
  TempDir tmp;
  std::ofstream(tmp.Sub("thesis.tex")) << "do not touch";
  const CliRun run = RunQuire({"serve", "--port", "0", "--data-dir", tmp.path().string()});
  EXPECT_EQ(run.status.code, 1);
  EXPECT_THAT(run.err, HasSubstr("not empty"));
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()), 1);
}

TEST(QuireCliTest, PortInUseIsReported) {
  TempDir tmp;
  Server first({"--port", "0", "--data-dir", tmp.Sub("a").string()});
  ASSERT_TRUE(first.ready());
  const CliRun second = RunQuire(
      {"serve", "--port", std::to_string(first.port()), "--data-dir", tmp.Sub("b").string()});
  EXPECT_EQ(second.status.code, 1);
  EXPECT_THAT(second.err, HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(first.port())));
}

TEST(QuireCliTest, ConfigFileSetsOptionsAndFlagsWin) {
  TempDir tmp;
  const fs::path config = tmp.Sub("quire.conf");
  std::ofstream(config) << "# Quire settings\nport = 0\ndata-dir = "
                        << tmp.Sub("from-file").string() << "\n";
  Server from_file({"--config", config.string()});
  ASSERT_TRUE(from_file.ready()) << from_file.process().ReadAllStderr();
  EXPECT_THAT(from_file.line(), HasSubstr("from-file"));
  EXPECT_EQ(from_file.Stop().code, 0);

  Server overridden({"--config", config.string(), "--data-dir", tmp.Sub("from-flag").string()});
  ASSERT_TRUE(overridden.ready());
  EXPECT_THAT(overridden.line(), HasSubstr("from-flag"));
  EXPECT_EQ(overridden.Stop().code, 0);
}

TEST(QuireCliTest, BadConfigFilesAreUsageErrors) {
  TempDir tmp;
  const fs::path config = tmp.Sub("quire.conf");
  std::ofstream(config) << "port = 0\nshiny = yes\n";
  const CliRun unknown = RunQuire({"serve", "--config", config.string()});
  EXPECT_EQ(unknown.status.code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("shiny"));
  EXPECT_THAT(unknown.err, HasSubstr(config.string()));

  const CliRun missing = RunQuire({"serve", "--config", tmp.Sub("absent.conf").string()});
  EXPECT_EQ(missing.status.code, 2);
  EXPECT_THAT(missing.err, HasSubstr("cannot read the config file"));
}

TEST(QuireValidateTest, ValidFileExitsZeroWithNoFindings) {
  const CliRun run = RunQuire({"validate", QUIRE_FIXTURES_DIR "/valid-order.bpmn"});
  EXPECT_EQ(run.status.code, 0) << run.out << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, HasSubstr("1 file checked: 0 errors, 0 warnings"));
}

TEST(QuireValidateTest, ErrorsAreCompilerStyleLinesAndExitOne) {
  const std::string file = QUIRE_FIXTURES_DIR "/references.bpmn";
  const CliRun run = RunQuire({"validate", QUIRE_FIXTURES_DIR "/valid-order.bpmn", file});
  EXPECT_EQ(run.status.code, 1);
  EXPECT_THAT(run.out, HasSubstr(file + ":5:5: error: sequence flow 'f1' has targetRef 'nowhere'"));
  EXPECT_THAT(run.out, HasSubstr(file + ":18:5: error: call activity 'call'"));
  EXPECT_THAT(run.err, HasSubstr("2 files checked: 11 errors, 5 warnings"));
}

// Every problem of a file in one run: a broken expression does not hide a loop that would
// spin forever, found before anything runs.
TEST(QuireValidateTest, ReportsRuleAndGraphProblemsInOneRun) {
  quire::testing::TempDir dir;
  const std::string file = (dir.path() / "loop.bpmn").string();
  std::ofstream(file) << R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="urn:t">
  <process id="p" isExecutable="true">
    <startEvent id="s"/>
    <task id="a"/>
    <task id="b"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
    <sequenceFlow id="f2" sourceRef="a" targetRef="b"/>
    <sequenceFlow id="f3" sourceRef="b" targetRef="a"/>
    <userTask id="u"/>
    <sequenceFlow id="f4" sourceRef="a" targetRef="u"><conditionExpression xsi:type="tFormalExpression">x &gt;</conditionExpression></sequenceFlow>
    <sequenceFlow id="f5" sourceRef="u" targetRef="nowhere"/>
  </process>
</definitions>)";
  const CliRun run = RunQuire({"validate", file});
  EXPECT_EQ(run.status.code, 1);
  EXPECT_THAT(run.out, HasSubstr(file + ":11:55: error: condition of 'f4'"));
  EXPECT_THAT(run.out,
              HasSubstr(file + ":12:5: error: sequence flow 'f5' has targetRef 'nowhere'"));
  EXPECT_THAT(run.out,
              HasSubstr(file + ":5:5: error: the loop through 'a', 'b' has no wait state"));
  // The dangling flow is reported once, not again as a task that can never finish.
  EXPECT_THAT(run.out, Not(HasSubstr("'u'")));
  EXPECT_THAT(run.err, HasSubstr("1 file checked: 3 errors, 0 warnings"));
}

// A service task whose connector runs inside the engine's step (noop, set-variables) is
// no wait state: a loop through it alone is refused by validate and deploy, before it runs.
TEST(QuireValidateTest, ALoopThroughAnInlineConnectorIsFoundBeforeItRuns) {
  quire::testing::TempDir dir;
  const std::string file = (dir.path() / "noop-loop.bpmn").string();
  std::ofstream(file) << R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="urn:t">
  <process id="p" isExecutable="true">
    <startEvent id="s"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="g"/>
    <exclusiveGateway id="g" default="f2"/>
    <sequenceFlow id="f2" sourceRef="g" targetRef="work"/>
    <serviceTask id="work">
      <extensionElements><zeebe:taskDefinition type="noop"/></extensionElements>
    </serviceTask>
    <sequenceFlow id="f3" sourceRef="work" targetRef="g"/>
    <sequenceFlow id="f4" sourceRef="g" targetRef="e"><conditionExpression>= false</conditionExpression></sequenceFlow>
    <endEvent id="e"/>
  </process>
</definitions>)";
  const std::string expected = file +
                               ":6:5: error: the loop through 'g', 'work' has no wait state: "
                               "'work' runs connector 'noop' inside the engine's step";
  const CliRun validate = RunQuire({"validate", file});
  EXPECT_EQ(validate.status.code, 1);
  EXPECT_THAT(validate.out, HasSubstr(expected));

  const CliRun deploy = RunQuire({"deploy", "--data-dir", (dir.path() / "data").string(), file});
  EXPECT_EQ(deploy.status.code, 1);
  EXPECT_THAT(deploy.out, HasSubstr(expected));

  const CliRun run = RunQuire({"run", file});
  EXPECT_NE(run.status.code, 0);
  EXPECT_THAT(run.out + run.err,
              HasSubstr("'work' runs connector 'noop' inside the engine's step"));
  EXPECT_THAT(run.out + run.err, Not(HasSubstr("without waiting anywhere")));
}

TEST(QuireValidateTest, WarningsAloneDoNotFail) {
  const std::string file = QUIRE_FIXTURES_DIR "/not-executable-is-lenient.bpmn";
  const CliRun run = RunQuire({"validate", file});
  EXPECT_EQ(run.status.code, 0);
  EXPECT_THAT(run.out, HasSubstr(file + ":6:5: warning: element <complexGateway> 'g'"));
}

TEST(QuireValidateTest, JsonReport) {
  const CliRun run = RunQuire({"validate", "--json", QUIRE_FIXTURES_DIR "/valid-order.bpmn",
                               QUIRE_FIXTURES_DIR "/duplicate-ids.bpmn"});
  EXPECT_EQ(run.status.code, 1);
  EXPECT_THAT(run.out, HasSubstr(R"("valid":false)"));
  EXPECT_THAT(run.out, HasSubstr(R"("processes":[{"id":"order","name":"Order","executable":true)"));
  EXPECT_THAT(
      run.out,
      HasSubstr(
          R"({"severity":"error","line":5,"column":5,"elementId":"a","message":"duplicate id 'a')"));
}

TEST(QuireValidateTest, UnreadableFileAndUsageErrors) {
  const CliRun missing = RunQuire({"validate", "/no/such/file.bpmn"});
  EXPECT_EQ(missing.status.code, 1);
  EXPECT_THAT(missing.out, HasSubstr("/no/such/file.bpmn: error: cannot read the file"));
  EXPECT_EQ(RunQuire({"validate"}).status.code, 2);
  const CliRun bad = RunQuire({"validate", "--frob", "x.bpmn"});
  EXPECT_EQ(bad.status.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("unknown option '--frob'"));
}

TEST(QuireDeployTest, DeploysOfflineAndTheServerServesIt) {
  TempDir tmp;
  const std::string data = tmp.Sub("data").string();
  const std::string order = QUIRE_FIXTURES_DIR "/valid-order.bpmn";
  const CliRun first = RunQuire({"deploy", "--data-dir", data, order});
  EXPECT_EQ(first.status.code, 0) << first.out << first.err;
  EXPECT_EQ(first.out, order + ": process 'order' version 1 deployed\n");
  const CliRun again = RunQuire({"deploy", "--data-dir", data, order});
  EXPECT_EQ(again.out, order + ": process 'order' version 1 unchanged\n");

  const std::string broken = QUIRE_FIXTURES_DIR "/references.bpmn";
  const CliRun bad = RunQuire({"deploy", "--data-dir", data, broken});
  EXPECT_EQ(bad.status.code, 1);
  EXPECT_THAT(bad.out, HasSubstr(broken + ":5:5: error: sequence flow 'f1'"));

  const auto tokens = quire::testing::ProvisionUsers(QUIRE_BINARY, data, {{"dee", {"designer"}}});
  Server server({"--port", "0", "--data-dir", data});
  ASSERT_TRUE(server.ready());
  auto connection = quire::testing::HttpConnection::Connect(server.port());
  ASSERT_TRUE(connection.has_value());
  ASSERT_TRUE(connection->Send(quire::testing::MakeRequest(
      "GET", "/api/processes", "", {quire::testing::Bearer(tokens.at("dee"))})));
  auto list = connection->ReadReply();
  ASSERT_TRUE(list.has_value());
  EXPECT_THAT(list->body, HasSubstr(R"("id":"order","name":"Order","version":1)"));
  // While the server holds the store, the CLI says how to deploy instead.
  const CliRun locked = RunQuire({"deploy", "--data-dir", data, order});
  EXPECT_EQ(locked.status.code, 1);
  EXPECT_THAT(locked.err, HasSubstr("POST /api/deployments"));
  EXPECT_EQ(server.Stop().code, 0);
}

}  // namespace
}  // namespace quire
