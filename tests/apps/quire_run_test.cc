// `quire run` and `quire start` as a designer and an operator use them, on the real binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "quire/audit/log.h"
#include "quire/testing/child_process.h"
#include "quire/testing/temp_dir.h"

namespace quire {
namespace {

using ::quire::testing::ChildProcess;
using ::quire::testing::ExitStatus;
using ::quire::testing::TempDir;
using ::testing::HasSubstr;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct CliRun {
  ExitStatus status;
  std::string out;
  std::string err;
  int code() const { return status.code; }
  // The last JSON line of stdout.
  boost::json::object Last() const {
    std::istringstream in(out);
    std::string line;
    std::string last;
    while (std::getline(in, line)) {
      if (!line.empty()) last = line;
    }
    boost::system::error_code ec;
    auto v = boost::json::parse(last, ec);
    return !ec && v.is_object() ? v.get_object() : boost::json::object();
  }
};

CliRun RunQuire(const std::vector<std::string>& args) {
  auto child = ChildProcess::Spawn(QUIRE_BINARY, args);
  EXPECT_TRUE(child.has_value());
  CliRun run;
  run.out = child->ReadAllStdout();
  run.err = child->ReadAllStderr();
  // Whatever happened to the process is said in `err`, so that a failure shows it.
  if (auto status = child->Wait(120s); !status) {
    run.err += "\n[quire did not end within 120 s]";
  } else {
    run.status = *status;
    if (status->signal != 0) {
      run.err += "\n[quire was ended by signal " + std::to_string(status->signal) + "]";
    }
  }
  return run;
}

std::string Write(const TempDir& dir, const std::string& name, const std::string& text) {
  const fs::path path = dir.Sub(name);
  std::ofstream(path) << text;
  return path.string();
}

const char* kApproval = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="urn:t">
  <process id="approval" isExecutable="true">
    <startEvent id="s"/><userTask id="review"/>
    <intermediateCatchEvent id="cool"><timerEventDefinition><timeDuration>P3D</timeDuration></timerEventDefinition></intermediateCatchEvent>
    <exclusiveGateway id="ok"/><endEvent id="approved"/><endEvent id="rejected"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
    <sequenceFlow id="f2" sourceRef="review" targetRef="cool"/>
    <sequenceFlow id="f3" sourceRef="cool" targetRef="ok"/>
    <sequenceFlow id="f4" sourceRef="ok" targetRef="approved"><conditionExpression xsi:type="tFormalExpression">decision = "yes"</conditionExpression></sequenceFlow>
    <sequenceFlow id="f5" sourceRef="ok" targetRef="rejected"><conditionExpression xsi:type="tFormalExpression">decision = "no"</conditionExpression></sequenceFlow>
  </process>
</definitions>)";

TEST(QuireRunTest, PrintsTheTrailAndStopsWhereAPersonMustAct) {
  TempDir dir;
  const CliRun run = RunQuire({"run", Write(dir, "a.bpmn", kApproval)});
  EXPECT_EQ(run.code(), 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr(R"("kind":"element_entered","elementId":"review")"));
  EXPECT_EQ(run.Last().at("result").as_string(), "waiting");
  EXPECT_EQ(run.Last().at("waitingIn").at(0).at("elementId").as_string(), "review");
}

TEST(QuireRunTest, CompletesTasksFromAScriptAndFastForwardsTimers) {
  TempDir dir;
  const std::string script = Write(dir, "script.json", R"({"review": {"decision": "yes"}})");
  const CliRun run = RunQuire({"run", Write(dir, "a.bpmn", kApproval), "--complete-tasks", script});
  EXPECT_EQ(run.code(), 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr(R"("kind":"timer_fired","elementId":"cool")"));
  EXPECT_THAT(run.out, HasSubstr(R"("elementId":"approved")"));
  EXPECT_EQ(run.Last().at("result").as_string(), "completed");
}

TEST(QuireRunTest, AnIncidentFailsTheRunNamingTheElement) {
  TempDir dir;
  const CliRun run = RunQuire({"run", Write(dir, "a.bpmn", kApproval), "--complete-tasks", "auto"});
  EXPECT_EQ(run.code(), 1);
  EXPECT_THAT(run.err, HasSubstr("incident at element 'ok'"));
  EXPECT_THAT(run.err, HasSubstr("decision"));
  EXPECT_EQ(run.Last().at("result").as_string(), "incident");
}

// --complete-tasks auto fills each form with values its declaration accepts: the shipped
// examples run to their end (the sales cycle with its Camunda form deployed alongside).
TEST(QuireRunTest, AutoCompletesTheExamplesFormsWithValidValues) {
  const std::string examples = std::string(QUIRE_SOURCE_DIR) + "/examples/";
  const CliRun sales =
      RunQuire({"run", examples + "sales-cycle.bpmn", "--complete-tasks", "auto", "--deploy",
                examples + "contract.form", "--variables", R"({"lead": "ACME"})"});
  EXPECT_EQ(sales.code(), 0) << sales.err;
  ASSERT_EQ(sales.Last().at("result").as_string(), "completed") << sales.out;
  const boost::json::object last = sales.Last();
  const boost::json::object& vars = last.at("variables").as_object();
  EXPECT_EQ(vars.at("qualified"), true);
  // The scratch CRM is empty: the lead's lookup finds nobody, and the run goes on.
  EXPECT_TRUE(vars.at("customerId").is_null());
  // The contract form's pattern ^C-[0-9]{6}$ is met, and whole numbers stay whole.
  EXPECT_EQ(vars.at("contractNumber"), "C-000000");
  EXPECT_TRUE(vars.at("offerTotal").is_int64()) << boost::json::serialize(vars);

  const CliRun service = RunQuire({"run", examples + "service-case.bpmn", "--complete-tasks",
                                   "auto", "--variables", R"({"customer": "ACME"})"});
  EXPECT_EQ(service.code(), 0) << service.err;
  EXPECT_EQ(service.Last().at("result").as_string(), "completed") << service.out;

  const CliRun offer = RunQuire({"run", examples + "offer-approval.bpmn", "--complete-tasks",
                                 "auto", "--vars", R"({"offerId": "o-1"})"});
  EXPECT_EQ(offer.code(), 0) << offer.err;
  EXPECT_NE(offer.Last().at("result").as_string(), "incident") << offer.out;

  // Without the form file, the run says which file to add.
  const CliRun no_form = RunQuire({"run", examples + "sales-cycle.bpmn", "--complete-tasks", "auto",
                                   "--variables", R"({"lead": "ACME"})"});
  EXPECT_EQ(no_form.code(), 1);
  EXPECT_THAT(no_form.err, HasSubstr("--deploy"));
}

// A required field that no value can be made for is named, with the way to script it.
TEST(QuireRunTest, AutoNamesTheFieldItCannotFill) {
  TempDir dir;
  const std::string model = Write(dir, "f.bpmn", R"(<definitions
      xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
      xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="urn:t">
    <process id="p" isExecutable="true">
      <startEvent id="s"/>
      <userTask id="t" name="Code"><extensionElements><camunda:formData>
        <camunda:formField id="code" type="string"><camunda:validation>
          <camunda:constraint name="required"/>
          <camunda:constraint name="pattern" config="^(AB|CD)[0-9]+$"/>
        </camunda:validation></camunda:formField>
      </camunda:formData></extensionElements></userTask>
      <endEvent id="e"/>
      <sequenceFlow id="f1" sourceRef="s" targetRef="t"/><sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
    </process>
  </definitions>)");
  const CliRun run = RunQuire({"run", model, "--complete-tasks", "auto"});
  EXPECT_EQ(run.code(), 1);
  EXPECT_THAT(run.err, HasSubstr("code: cannot be filled"));
  EXPECT_THAT(run.err, HasSubstr("^(AB|CD)[0-9]+$"));
  EXPECT_THAT(run.err, HasSubstr("--complete-tasks script.json"));
}

TEST(QuireRunTest, BadUsageAndBadFilesAreReported) {
  TempDir dir;
  EXPECT_EQ(RunQuire({"run"}).code(), 2);
  EXPECT_EQ(RunQuire({"run", Write(dir, "a.bpmn", kApproval), "--vars", "[1]"}).code(), 2);
  const CliRun broken = RunQuire({"run", Write(dir, "b.bpmn", "<definitions")});
  EXPECT_EQ(broken.code(), 1);
  EXPECT_THAT(broken.err, HasSubstr("error"));
}

TEST(QuireStartTest, StartsAnInstanceInAStore) {
  TempDir dir;
  const std::string data = dir.Sub("data").string();
  ASSERT_EQ(RunQuire({"deploy", "--data-dir", data, Write(dir, "a.bpmn", kApproval)}).code(), 0);
  const CliRun started = RunQuire({"start", "approval", "--data-dir", data, "--vars",
                                   R"({"decision": "no"})", "--business-key", "B-1"});
  EXPECT_EQ(started.code(), 0) << started.err;
  EXPECT_EQ(started.Last().at("state").as_string(), "active");
  EXPECT_EQ(started.Last().at("tasks").as_array().size(), 1u);
  const CliRun again = RunQuire({"start", "approval", "--data-dir", data, "--business-key", "B-1"});
  EXPECT_EQ(again.code(), 1);
  EXPECT_THAT(again.err, HasSubstr("already used by instance"));
  EXPECT_EQ(RunQuire({"start", "nope", "--data-dir", data}).code(), 1);
}

// Every public model in shared/conformance that loads runs to its end, or to where a
// person, message or signal must act, without an incident. Variables are what the
// model's own test suite starts it with.
TEST(QuireRunTest, ConformanceModelsRunWithoutIncidents) {
  const std::map<std::string, std::vector<std::string>> extra = {
      {"bpmn-engine/timers.bpmn",
       {"--vars",
        R"({"environment": {"variables": {"catchDate": "2026-12-01T00:00:00Z", "timeout": "PT1M", "cycle": "R3/PT1M"}}})"}},
      {"camunda/ExclusiveGatewayTest.testDefaultSequenceFlow.bpmn20.xml",
       {"--vars", R"({"input": 2})"}},
      {"camunda/InclusiveGatewayTest.testDivergingInclusiveGateway.bpmn20.xml",
       {"--vars", R"({"input": 1})"}},
      {"camunda/MultiInstanceTest.testParallelUserTasksBasedOnCollection.bpmn20.xml",
       {"--vars", R"({"assigneeList": ["kermit", "gonzo"]})"}},
      {"camunda/TaskDueDateExtensionsTest.testDueDateExtension.bpmn20.xml",
       {"--vars", R"({"dateVariable": "2026-12-24T12:00:00Z"})"}},
      {"camunda/TaskFollowUpDateExtensionsTest.testUserTaskFollowUpDate.bpmn20.xml",
       {"--vars", R"({"dateVariable": "2026-12-24T12:00:00Z"})"}},
      {"flowable/reviewSalesLead.bpmn20.xml", {"--vars", R"({"initiator": "kermit"})"}},
      {"flowable/orderProcess.bpmn20.xml",
       {"--deploy",
        std::string(QUIRE_CONFORMANCE_DIR) + "/flowable/checkCreditProcess.bpmn20.xml"}},
  };
  int ran = 0;
  for (const auto& entry : fs::recursive_directory_iterator(QUIRE_CONFORMANCE_DIR)) {
    const std::string ext = entry.path().extension().string();
    if (!entry.is_regular_file() || (ext != ".bpmn" && ext != ".xml")) continue;
    const std::string rel = fs::relative(entry.path(), QUIRE_CONFORMANCE_DIR).string();
    const CliRun validate = RunQuire({"validate", entry.path().string()});
    if (validate.code() != 0) continue;  // does not load: the definitions tests cover it
    std::vector<std::string> args{"run", entry.path().string()};
    if (const auto it = extra.find(rel); it != extra.end()) {
      args.insert(args.end(), it->second.begin(), it->second.end());
    }
    const CliRun run = RunQuire(args);
    const boost::json::object last = run.Last();
    if (last.contains("result") && last.at("result").as_string() == "incident") {
      ADD_FAILURE() << rel << ": " << boost::json::serialize(last);
      continue;
    }
    if (run.code() == 1 && run.err.find("no executable process") != std::string::npos) continue;
    EXPECT_EQ(run.code(), 0) << rel << ": " << run.err;
    ASSERT_TRUE(last.contains("result"))
        << rel << ": exit " << run.code() << ", stdout: " << run.out << ", stderr: " << run.err;
    EXPECT_THAT(std::string(last.at("result").as_string()),
                ::testing::AnyOf("completed", "waiting"))
        << rel;
    ++ran;
  }
  EXPECT_GE(ran, 15);
}

}  // namespace
}  // namespace quire

namespace quire {
namespace {

TEST(QuireIncidentsTest, ListsAndRetriesIncidentsOfAStore) {
  TempDir dir;
  const std::string data = dir.Sub("data").string();
  const char* stuck = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
      xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="urn:t">
    <process id="stuck" isExecutable="true">
      <startEvent id="s"/><exclusiveGateway id="ok"/><endEvent id="e"/>
      <sequenceFlow id="f1" sourceRef="s" targetRef="ok"/>
      <sequenceFlow id="f2" sourceRef="ok" targetRef="e"><conditionExpression xsi:type="tFormalExpression">decision = "yes"</conditionExpression></sequenceFlow>
    </process></definitions>)";
  ASSERT_EQ(RunQuire({"deploy", "--data-dir", data, Write(dir, "s.bpmn", stuck)}).code(), 0);
  EXPECT_EQ(RunQuire({"incidents", "--data-dir", data}).out, "");
  ASSERT_EQ(RunQuire({"start", "stuck", "--data-dir", data}).code(), 0);
  const CliRun listed = RunQuire({"incidents", "list", "--data-dir", data});
  ASSERT_EQ(listed.code(), 0) << listed.err;
  const boost::json::object incident = listed.Last();
  ASSERT_TRUE(incident.contains("id")) << listed.out;
  EXPECT_EQ(incident.at("elementId").as_string(), "ok");
  EXPECT_THAT(std::string(incident.at("message").as_string()), HasSubstr("decision"));
  const std::string id(incident.at("id").as_string());
  const CliRun retried = RunQuire({"incidents", "retry", id, "--data-dir", data});
  EXPECT_EQ(retried.code(), 0) << retried.err;
  // Still undecidable: a new incident replaces the retried one.
  const CliRun after = RunQuire({"incidents", "--data-dir", data});
  ASSERT_TRUE(after.Last().contains("id"));
  EXPECT_NE(after.Last().at("id").as_string(), id);
  const CliRun unknown = RunQuire({"incidents", "retry", id, "--data-dir", data});
  EXPECT_EQ(unknown.code(), 1);
  EXPECT_THAT(unknown.err, HasSubstr("not open"));
  EXPECT_EQ(RunQuire({"incidents", "retry", "--data-dir", data}).code(), 2);
}

}  // namespace
}  // namespace quire

namespace quire {
namespace {

const char* kSalesTask = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="urn:t">
  <process id="lead" isExecutable="true">
    <startEvent id="s"/><userTask id="qualify" name="Qualify lead" camunda:candidateGroups="sales"/>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="qualify"/>
    <sequenceFlow id="f2" sourceRef="qualify" targetRef="e"/>
  </process></definitions>)";

TEST(QuireOrgTest, ImportsACsvOrganisationOrNothingAtAll) {
  TempDir dir;
  const std::string data = dir.Sub("data").string();
  const std::string bad = Write(dir, "bad.csv",
                                "id,name,supervisor,groups\n"
                                "anna,Anna,nobody,sales\n"
                                "anna,Anna again,,sales\n");
  const CliRun refused = RunQuire({"org", "import", bad, "--data-dir", data});
  EXPECT_EQ(refused.code(), 1);
  EXPECT_THAT(refused.err, HasSubstr("line 2: supervisor 'nobody'"));
  EXPECT_THAT(refused.err, HasSubstr("line 3: user 'anna' appears twice"));
  EXPECT_THAT(refused.err, HasSubstr("nothing was imported"));
  EXPECT_EQ(RunQuire({"org", "users", "--data-dir", data}).out, "");

  const std::string good = Write(dir, "org.csv",
                                 "id,name,email,supervisor,groups\n"
                                 "anna,Anna Berg,anna@example.com,maria,sales;north\n"
                                 "\"ben\",\"Ben, Jr.\",ben@example.com,maria,sales\n"
                                 "maria,Maria,maria@example.com,,managers\n");
  const CliRun imported = RunQuire({"org", "import", good, "--data-dir", data});
  ASSERT_EQ(imported.code(), 0) << imported.err;
  EXPECT_THAT(imported.out, HasSubstr("imported 3 users and 3 groups"));
  const CliRun users = RunQuire({"org", "users", "--data-dir", data});
  EXPECT_THAT(users.out, HasSubstr(R"("id":"ben","name":"Ben, Jr.")"));
  EXPECT_THAT(users.out, HasSubstr(R"("supervisor":"maria")"));
  EXPECT_THAT(RunQuire({"org", "groups", "--data-dir", data}).out,
              HasSubstr(R"({"id":"sales","name":"sales","members":["anna","ben"]})"));
}

TEST(QuireTasksTest, ListClaimAndCompleteAsAUser) {
  TempDir dir;
  const std::string data = dir.Sub("data").string();
  ASSERT_EQ(
      RunQuire({"org", "import", Write(dir, "org.csv", "id,groups\nanna,sales\ndave,service\n"),
                "--data-dir", data})
          .code(),
      0);
  ASSERT_EQ(RunQuire({"deploy", "--data-dir", data, Write(dir, "lead.bpmn", kSalesTask)}).code(),
            0);
  const CliRun started = RunQuire({"start", "lead", "--data-dir", data});
  ASSERT_EQ(started.code(), 0) << started.err;
  const std::string task(started.Last().at("tasks").at(0).as_string());

  const CliRun queue =
      RunQuire({"tasks", "list", "--user", "anna", "--view", "group", "--data-dir", data});
  EXPECT_EQ(queue.code(), 0) << queue.err;
  EXPECT_THAT(queue.out, HasSubstr(R"("name":"Qualify lead")"));
  EXPECT_EQ(
      RunQuire({"tasks", "list", "--user", "dave", "--view", "group", "--data-dir", data}).out, "");

  const CliRun forbidden = RunQuire({"tasks", "claim", task, "--as", "dave", "--data-dir", data});
  EXPECT_EQ(forbidden.code(), 1);
  EXPECT_THAT(forbidden.err, HasSubstr("not one of its candidates"));
  const CliRun claimed = RunQuire({"tasks", "claim", task, "--as", "anna", "--data-dir", data});
  EXPECT_EQ(claimed.code(), 0) << claimed.err;
  EXPECT_THAT(claimed.out, HasSubstr(R"("assignee":"anna")"));
  EXPECT_THAT(RunQuire({"tasks", "list", "--user", "anna", "--data-dir", data}).out,
              HasSubstr(task));
  EXPECT_EQ(
      RunQuire({"tasks", "complete", task, "--data", "[1]", "--as", "anna", "--data-dir", data})
          .code(),
      2);
  const CliRun done = RunQuire({"tasks", "complete", task, "--data", R"({"qualified": true})",
                                "--as", "anna", "--data-dir", data});
  EXPECT_EQ(done.code(), 0) << done.err;
  EXPECT_EQ(RunQuire({"tasks", "list", "--user", "anna", "--data-dir", data}).out, "");
  EXPECT_EQ(RunQuire({"tasks", "claim", task, "--data-dir", data}).code(), 2);  // no --as
}

TEST(QuireTasksTest, SearchCountBulkAndDeployedForms) {
  TempDir dir;
  const std::string data = dir.Sub("data").string();
  ASSERT_EQ(RunQuire({"org", "import",
                      Write(dir, "org.csv", "id,groups,supervisor\nboss,,\nanna,sales,boss\n"),
                      "--data-dir", data})
                .code(),
            0);
  // The example sales cycle and its contract form, as scripts/run deploys them.
  const std::string examples = std::string(QUIRE_SOURCE_DIR) + "/examples/";
  const CliRun deployed = RunQuire(
      {"deploy", "--data-dir", data, examples + "sales-cycle.bpmn", examples + "contract.form"});
  ASSERT_EQ(deployed.code(), 0) << deployed.out << deployed.err;
  EXPECT_THAT(deployed.out, HasSubstr("form 'contract' version 1 deployed"));
  const CliRun bad_form = RunQuire(
      {"deploy", "--data-dir", data, Write(dir, "bad.form", R"({"components": [{"key": 1}]})")});
  EXPECT_EQ(bad_form.code(), 1);
  EXPECT_THAT(bad_form.out, HasSubstr("components[0]: error: has no type"));
  // Two leads the CRM knows: the sales cycle finds them (crm.lookup) and links its tasks.
  ASSERT_EQ(RunQuire({"crm", "import", "customers",
                      Write(dir, "customers.csv", "Nazwa\nFirma Alfa\nFirma Beta\n"), "--as",
                      "anna", "--data-dir", data})
                .code(),
            0);
  std::vector<std::string> tasks;
  for (const char* lead : {"Firma Alfa", "Firma Beta"}) {
    const CliRun started = RunQuire({"start", "sales-cycle", "--data-dir", data, "--vars",
                                     std::string(R"({"lead": ")") + lead + R"("})"});
    ASSERT_EQ(started.code(), 0) << started.err;
    tasks.emplace_back(started.Last().at("tasks").at(0).as_string());
  }
  const CliRun found =
      RunQuire({"tasks", "list", "--user", "anna", "--customer", "2", "--data-dir", data});
  EXPECT_EQ(found.code(), 0) << found.err;
  EXPECT_THAT(found.out, HasSubstr(R"({"id":")" + tasks[1] + "\""));
  EXPECT_THAT(found.out, ::testing::Not(HasSubstr(R"({"id":")" + tasks[0] + "\"")));
  EXPECT_THAT(
      RunQuire({"tasks", "list", "--user", "anna", "--q", "budget", "--data-dir", data}).out,
      HasSubstr(tasks[0]));
  EXPECT_EQ(
      RunQuire({"tasks", "list", "--user", "anna", "--sort", "size", "--data-dir", data}).code(),
      2);
  const CliRun bulk = RunQuire({"tasks", "bulk", "claim", "--tasks", tasks[0] + "," + tasks[1],
                                "--as", "anna", "--data-dir", data});
  EXPECT_EQ(bulk.code(), 0) << bulk.err;
  EXPECT_THAT(RunQuire({"tasks", "counts", "--user", "anna", "--data-dir", data}).out,
              HasSubstr(R"("mine":2)"));
  const CliRun refused = RunQuire({"tasks", "bulk", "reassign", "--tasks", tasks[0], "--to", "anna",
                                   "--as", "nobody", "--data-dir", data});
  EXPECT_EQ(refused.code(), 1);
  EXPECT_THAT(refused.err, HasSubstr("task " + tasks[0]));
  EXPECT_EQ(RunQuire({"tasks", "bulk", "claim", "--tasks", "x", "--as", "anna", "--data-dir", data})
                .code(),
            2);
  const CliRun form = RunQuire({"tasks", "form", tasks[0], "--data-dir", data});
  EXPECT_THAT(form.out, HasSubstr(R"("name":"qualified")"));
}

TEST(QuireDocTest, PutCheckOutCheckInGetLinkSearch) {
  TempDir dir;
  const std::string data = dir.Sub("data").string();
  const std::string type = dir.Sub("note.json").string();
  const std::string first = dir.Sub("first.txt").string();
  const std::string second = dir.Sub("second.txt").string();
  const std::string out = dir.Sub("out.txt").string();
  std::ofstream(type) << R"({"id": "note", "fields": [{"name": "topic", "type": "string"}]})";
  std::ofstream(first) << "hello turbine world";
  std::ofstream(second) << "second version";
  ASSERT_EQ(RunQuire({"doc", "type", "put", type, "--as", "admin", "--data-dir", data}).code(), 0);
  const CliRun put = RunQuire({"doc", "put", first, "--type", "note", "--meta", "topic=pumps",
                               "--as", "anna", "--data-dir", data});
  ASSERT_EQ(put.code(), 0) << put.err;
  EXPECT_THAT(put.out, HasSubstr(R"("id":"1")"));
  EXPECT_THAT(put.out, HasSubstr(R"("mediaType":"text/plain")"));
  const CliRun bad = RunQuire({"doc", "put", first, "--type", "note", "--meta", "colour=red",
                               "--as", "anna", "--data-dir", data});
  EXPECT_EQ(bad.code(), 1);
  EXPECT_THAT(bad.err, HasSubstr("metadata.colour: not a field of document type 'note'"));
  ASSERT_EQ(RunQuire({"doc", "checkout", "1", "--as", "anna", "--data-dir", data}).code(), 0);
  const CliRun refused =
      RunQuire({"doc", "checkin", "1", second, "--as", "ben", "--data-dir", data});
  EXPECT_EQ(refused.code(), 1);
  EXPECT_THAT(refused.err, HasSubstr("checked out by anna since"));
  ASSERT_EQ(RunQuire({"doc", "checkin", "1", second, "--as", "anna", "--data-dir", data}).code(),
            0);
  const CliRun versions = RunQuire({"doc", "versions", "1", "--data-dir", data});
  EXPECT_EQ(std::count(versions.out.begin(), versions.out.end(), '\n'), 2);
  ASSERT_EQ(RunQuire({"doc", "get", "1", "--version", "1", "--out", out, "--as", "anna",
                      "--data-dir", data})
                .code(),
            0);
  std::ifstream got(out);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(got), {}), "hello turbine world");
  ASSERT_EQ(
      RunQuire({"doc", "link", "1", "customer:c-7", "--as", "anna", "--data-dir", data}).code(), 0);
  EXPECT_THAT(RunQuire({"doc", "search", "--link", "customer:c-7", "--data-dir", data}).out,
              HasSubstr(R"("id":"1")"));
  EXPECT_THAT(RunQuire({"doc", "search", "--meta", "topic=pumps", "--data-dir", data}).out,
              HasSubstr(R"("id":"1")"));
  // The content search sees the latest version.
  EXPECT_THAT(RunQuire({"doc", "search", "--text", "second", "--data-dir", data}).out,
              HasSubstr(R"("id":"1")"));
  EXPECT_EQ(RunQuire({"doc", "search", "--text", "turbine", "--data-dir", data}).out, "");
  const CliRun exported = RunQuire({"audit", "export", "--data-dir", data});
  for (const char* action : {"document.created", "document.checked-out", "document.checked-in",
                             "document.downloaded", "document.linked"}) {
    EXPECT_THAT(exported.out, HasSubstr(action));
  }
}

TEST(QuireAuditTest, ExportHeadProofAndOfflineVerification) {
  TempDir dir;
  const std::string data = dir.Sub("data").string();
  {  // a log with entries, as the server would have written them
    auto store = storage::Store::Open(data);
    ASSERT_TRUE(store);
    auto log = audit::AuditLog::Open(**store, data);
    ASSERT_TRUE(log);
    for (int i = 1; i <= 12; ++i) {
      ASSERT_TRUE(
          (*log)->Append({"anna", "document.downloaded", "document/" + std::to_string(i), {}},
                         SystemClock::Instance().Now()));
    }
  }
  const std::string exported = dir.Sub("audit.jsonl").string();
  const std::string head = dir.Sub("head.json").string();
  const std::string key = dir.Sub("key.pem").string();
  const std::string proof = dir.Sub("proof.json").string();
  ASSERT_EQ(RunQuire({"audit", "export", "--out", exported, "--data-dir", data}).code(), 0);
  ASSERT_EQ(RunQuire({"audit", "head", "--out", head, "--data-dir", data}).code(), 0);
  ASSERT_EQ(RunQuire({"audit", "pubkey", "--out", key, "--data-dir", data}).code(), 0);
  ASSERT_EQ(RunQuire({"audit", "proof", "5", "--out", proof, "--data-dir", data}).code(), 0);
  // Offline: no store.
  fs::remove_all(data);
  const CliRun ok = RunQuire({"audit", "verify", exported, "--head", head, "--pubkey", key});
  EXPECT_EQ(ok.code(), 0) << ok.out << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("verified 12 entries"));
  EXPECT_THAT(ok.out, HasSubstr("signature valid"));
  EXPECT_EQ(RunQuire({"audit", "check-proof", proof, "--pubkey", key}).code(), 0);
  // One entry removed from the export: named.
  std::ifstream in(exported);
  std::string text;
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    if (++n != 7) text += line + "\n";
  }
  const std::string cut = Write(dir, "cut.jsonl", text);
  const CliRun bad = RunQuire({"audit", "verify", cut, "--head", head, "--pubkey", key});
  EXPECT_EQ(bad.code(), 1);
  EXPECT_THAT(bad.out, HasSubstr("line 7: (seq 8) removed: seq 7"));
  // A proof of an altered entry does not hold.
  std::ifstream pin(proof);
  std::string p((std::istreambuf_iterator<char>(pin)), std::istreambuf_iterator<char>());
  p.replace(p.find("document/5"), 10, "document/6");
  const CliRun forged = RunQuire({"audit", "check-proof", Write(dir, "forged.json", p)});
  EXPECT_EQ(forged.code(), 1);
  EXPECT_THAT(forged.out, HasSubstr("NOT VERIFIED"));
  EXPECT_EQ(RunQuire({"audit", "verify"}).code(), 2);
  EXPECT_EQ(RunQuire({"audit", "sing"}).code(), 2);
}

}  // namespace
}  // namespace quire
