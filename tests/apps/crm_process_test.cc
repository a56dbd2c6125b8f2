// Processes and the CRM through a real `quire serve`: the crm.lookup, crm.customer and
// crm.activity connectors in a deployed model, and what they wrote read back over HTTP.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <iterator>
#include <thread>

#include "quire/testing/http_client.h"
#include "quire/testing/quire_server.h"
#include "quire/testing/temp_dir.h"

namespace quire {
namespace {

using ::quire::testing::HttpConnection;
using ::quire::testing::HttpReply;
using ::quire::testing::MakeRequest;
using ::quire::testing::TempDir;
using ::testing::HasSubstr;
using namespace std::chrono_literals;
namespace json = boost::json;

class CrmProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.Sub("data").string();
    tokens_ = quire::testing::ProvisionUsers(QUIRE_BINARY, data_, {{"anna", {"administrator"}}});
    server_ = std::make_unique<quire::testing::QuireServer>(QUIRE_BINARY, data_);
    ASSERT_NE(server_->port, 0);
  }

  HttpReply Call(const std::string& method, const std::string& target,
                 const std::string& body = "") {
    auto connection = HttpConnection::Connect(server_->port);
    EXPECT_TRUE(connection.has_value());
    EXPECT_TRUE(
        connection
            ->Send(MakeRequest(method, target, body, {quire::testing::Bearer(tokens_["anna"])}))
            .has_value());
    return connection->ReadReply(60s).value_or(HttpReply{});
  }

  // The instance's variables once `name` is set (jobs run in the background).
  json::object WaitForVariable(const std::string& instance, const std::string& name) {
    for (int i = 0; i < 400; ++i) {
      const HttpReply r = Call("GET", "/api/instances/" + instance);
      if (r.status == 200) {
        const json::value v = json::parse(r.body);
        const json::object& vars = v.at("variables").as_object();
        if (vars.contains(name)) return vars;
      }
      std::this_thread::sleep_for(25ms);
    }
    ADD_FAILURE() << "variable " << name << " never set on instance " << instance << ": "
                  << Call("GET", "/api/instances/" + instance).body
                  << "\nincidents: " << Call("GET", "/api/incidents?instance=" + instance).body;
    return {};
  }

  TempDir dir_;
  std::string data_;
  std::map<std::string, std::string> tokens_;
  std::unique_ptr<quire::testing::QuireServer> server_;
};

TEST_F(CrmProcessTest, AProcessFindsTheCustomerReadsItAndRecordsAnActivity) {
  const HttpReply c =
      Call("POST", "/api/crm/customers", R"({"name": "Piekarnia", "taxId": "526-104-08-28"})");
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string customer(json::parse(c.body).at("id").as_string());
  const std::string model = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
      xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="urn:t">
    <process id="follow-up" isExecutable="true">
      <startEvent id="s"/>
      <serviceTask id="find"><extensionElements><zeebe:taskDefinition type="crm.lookup"/>
        <zeebe:ioMapping><zeebe:input source="=nip" target="taxId"/>
          <zeebe:output source="=customerId" target="customerId"/></zeebe:ioMapping>
      </extensionElements></serviceTask>
      <serviceTask id="read"><extensionElements><zeebe:taskDefinition type="crm.customer"/>
        <zeebe:ioMapping><zeebe:input source="=customerId" target="customerId"/>
          <zeebe:output source="=customer.name" target="customerName"/></zeebe:ioMapping>
      </extensionElements></serviceTask>
      <serviceTask id="log"><extensionElements><zeebe:taskDefinition type="crm.activity"/>
        <zeebe:ioMapping><zeebe:input source="=customerId" target="customer"/>
          <zeebe:input source="=&quot;email&quot;" target="type"/>
          <zeebe:input source="=&quot;Offer sent to &quot; + customerName" target="title"/>
          <zeebe:output source="=activityId" target="activityId"/></zeebe:ioMapping>
      </extensionElements></serviceTask>
      <userTask id="wait"/>
      <endEvent id="e"/>
      <sequenceFlow id="f1" sourceRef="s" targetRef="find"/>
      <sequenceFlow id="f2" sourceRef="find" targetRef="read"/>
      <sequenceFlow id="f3" sourceRef="read" targetRef="log"/>
      <sequenceFlow id="f4" sourceRef="log" targetRef="wait"/>
      <sequenceFlow id="f5" sourceRef="wait" targetRef="e"/>
    </process></definitions>)";
  ASSERT_EQ(Call("POST", "/api/deployments?name=follow-up.bpmn", model).status, 201);
  const HttpReply started = Call("POST", "/api/processes/follow-up/instances",
                                 R"({"variables": {"nip": "PL 526 104 08 28"}})");
  ASSERT_EQ(started.status, 201) << started.body;
  const std::string instance(json::parse(started.body).at("id").as_string());
  const json::object vars = WaitForVariable(instance, "activityId");
  EXPECT_EQ(vars.at("customerId").as_string(), customer);
  EXPECT_EQ(vars.at("customerName").as_string(), "Piekarnia");
  const std::string activity(vars.at("activityId").as_string());
  const HttpReply a = Call("GET", "/api/crm/activities/" + activity);
  ASSERT_EQ(a.status, 200) << a.body;
  const json::value av = json::parse(a.body);
  EXPECT_EQ(av.at("type").as_string(), "email");
  EXPECT_EQ(av.at("status").as_string(), "done");
  EXPECT_EQ(av.at("title").as_string(), "Offer sent to Piekarnia");
  EXPECT_EQ(av.at("customer").as_string(), customer);
  EXPECT_THAT(std::string(av.at("createdBy").as_string()), HasSubstr("process:follow-up/"));
  // On the customer's timeline.
  const HttpReply timeline = Call("GET", "/api/crm/customers/" + customer + "/activities");
  EXPECT_THAT(timeline.body, HasSubstr("Offer sent to Piekarnia"));
}

TEST_F(CrmProcessTest, AProcessMakesAnOfferRendersItAcceptsItAndOrdersIt) {
  const HttpReply c = Call("POST", "/api/crm/customers", R"({"name": "Piekarnia"})");
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string customer(json::parse(c.body).at("id").as_string());
  const std::string model = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
      xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="urn:t">
    <process id="quote" isExecutable="true">
      <startEvent id="s"/>
      <serviceTask id="make"><extensionElements><zeebe:taskDefinition type="crm.offer"/>
        <zeebe:ioMapping><zeebe:input source="=customerId" target="customer"/>
          <zeebe:input source="=lines" target="lines"/>
          <zeebe:output source="=offerId" target="offerId"/>
          <zeebe:output source="=offer.totals.gross" target="gross"/></zeebe:ioMapping>
      </extensionElements></serviceTask>
      <serviceTask id="print"><extensionElements><zeebe:taskDefinition type="crm.offer"/>
        <zeebe:ioMapping><zeebe:input source="=&quot;render&quot;" target="action"/>
          <zeebe:input source="=offerId" target="offerId"/>
          <zeebe:output source="=documentId" target="documentId"/></zeebe:ioMapping>
      </extensionElements></serviceTask>
      <serviceTask id="accept"><extensionElements><zeebe:taskDefinition type="crm.offer"/>
        <zeebe:ioMapping><zeebe:input source="=&quot;accept&quot;" target="action"/>
          <zeebe:input source="=offerId" target="offerId"/>
          <zeebe:output source="=offer.status" target="status"/></zeebe:ioMapping>
      </extensionElements></serviceTask>
      <serviceTask id="order"><extensionElements><zeebe:taskDefinition type="crm.order"/>
        <zeebe:ioMapping><zeebe:input source="=offerId" target="offerId"/>
          <zeebe:output source="=orderId" target="orderId"/></zeebe:ioMapping>
      </extensionElements></serviceTask>
      <userTask id="wait"/>
      <endEvent id="e"/>
      <sequenceFlow id="f1" sourceRef="s" targetRef="make"/>
      <sequenceFlow id="f2" sourceRef="make" targetRef="print"/>
      <sequenceFlow id="f3" sourceRef="print" targetRef="accept"/>
      <sequenceFlow id="f4" sourceRef="accept" targetRef="order"/>
      <sequenceFlow id="f5" sourceRef="order" targetRef="wait"/>
      <sequenceFlow id="f6" sourceRef="wait" targetRef="e"/>
    </process></definitions>)";
  ASSERT_EQ(Call("POST", "/api/deployments?name=quote.bpmn", model).status, 201);
  const HttpReply started = Call("POST", "/api/processes/quote/instances",
                                 R"({"variables": {"customerId": ")" + customer + R"(", "lines": [
          {"name": "Tort weselny", "quantity": 2, "unitPrice": "450.00", "taxRate": "5"}]}})");
  ASSERT_EQ(started.status, 201) << started.body;
  const std::string instance(json::parse(started.body).at("id").as_string());
  const json::object vars = WaitForVariable(instance, "orderId");
  EXPECT_EQ(vars.at("gross").as_string(), "945.00");
  EXPECT_EQ(vars.at("status").as_string(), "accepted");
  const std::string offer(vars.at("offerId").as_string());
  const HttpReply o = Call("GET", "/api/crm/offers/" + offer);
  ASSERT_EQ(o.status, 200) << o.body;
  const json::value ov = json::parse(o.body);
  EXPECT_EQ(ov.at("order").as_string(), vars.at("orderId").as_string());
  EXPECT_THAT(std::string(ov.at("acceptedBy").as_string()), HasSubstr("process:quote/"));
  EXPECT_EQ(ov.at("documents").at(0).as_string(), vars.at("documentId").as_string());
  EXPECT_TRUE(std::string(ov.at("externalId").as_string()).starts_with("job-"));
  const HttpReply pdf =
      Call("GET", "/api/documents/" + std::string(vars.at("documentId").as_string()) + "/content");
  EXPECT_TRUE(pdf.body.starts_with("%PDF"));
  // One offer, however often its job ran.
  EXPECT_EQ(json::parse(Call("GET", "/api/crm/offers?customer=" + customer).body)
                .at("items")
                .as_array()
                .size(),
            1u);
}

TEST_F(CrmProcessTest, AProcessOpensAServiceCaseAndMovesItOn) {
  const HttpReply c = Call("POST", "/api/crm/customers", R"({"name": "Piekarnia"})");
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string customer(json::parse(c.body).at("id").as_string());
  const std::string model = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
      xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="urn:t">
    <process id="complaint" isExecutable="true">
      <startEvent id="s"/>
      <serviceTask id="open"><extensionElements><zeebe:taskDefinition type="crm.case"/>
        <zeebe:ioMapping><zeebe:input source="=customerId" target="customer"/>
          <zeebe:input source="=subject" target="subject"/>
          <zeebe:input source="=&quot;high&quot;" target="priority"/>
          <zeebe:output source="=caseId" target="caseId"/></zeebe:ioMapping>
      </extensionElements></serviceTask>
      <serviceTask id="start"><extensionElements><zeebe:taskDefinition type="crm.case"/>
        <zeebe:ioMapping><zeebe:input source="=&quot;update&quot;" target="action"/>
          <zeebe:input source="=caseId" target="caseId"/>
          <zeebe:input source="=working" target="set"/>
          <zeebe:output source="=case.status" target="caseStatus"/></zeebe:ioMapping>
      </extensionElements></serviceTask>
      <userTask id="wait"/>
      <endEvent id="e"/>
      <sequenceFlow id="f1" sourceRef="s" targetRef="open"/>
      <sequenceFlow id="f2" sourceRef="open" targetRef="start"/>
      <sequenceFlow id="f3" sourceRef="start" targetRef="wait"/>
      <sequenceFlow id="f4" sourceRef="wait" targetRef="e"/>
    </process></definitions>)";
  ASSERT_EQ(Call("POST", "/api/deployments?name=complaint.bpmn", model).status, 201);
  const HttpReply started =
      Call("POST", "/api/processes/complaint/instances",
           R"({"variables": {"customerId": ")" + customer +
               R"(", "subject": "Czerstwe pieczywo", "working": {"status": "in-progress"}}})");
  ASSERT_EQ(started.status, 201) << started.body;
  const std::string instance(json::parse(started.body).at("id").as_string());
  const json::object vars = WaitForVariable(instance, "caseStatus");
  EXPECT_EQ(vars.at("caseStatus").as_string(), "in-progress");
  const HttpReply got = Call("GET", "/api/crm/cases/" + std::string(vars.at("caseId").as_string()));
  ASSERT_EQ(got.status, 200) << got.body;
  const json::value cv = json::parse(got.body);
  EXPECT_EQ(cv.at("customer").as_string(), customer);
  EXPECT_EQ(cv.at("priority").as_string(), "high");
  EXPECT_FALSE(cv.at("respondedAt").is_null());
  EXPECT_EQ(json::parse(Call("GET", "/api/crm/cases?customer=" + customer).body)
                .at("items")
                .as_array()
                .size(),
            1u);
}

TEST_F(CrmProcessTest, ACompletedTaskOfACustomerLeavesADoneActivityOnItsTimeline) {
  const HttpReply c = Call("POST", "/api/crm/customers", R"({"name": "Młyn Kowalski"})");
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string customer(json::parse(c.body).at("id").as_string());
  const std::string model = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
      xmlns:quire="urn:quire:bpmn:1.0" id="d" targetNamespace="urn:t">
    <process id="visit" isExecutable="true">
      <startEvent id="s"/>
      <userTask id="call" name="Call the customer back" quire:assignee="anna">
        <extensionElements><quire:link kind="customer" id="${customerId}"/></extensionElements>
      </userTask>
      <userTask id="unlinked" name="Tidy up" quire:assignee="anna"/>
      <endEvent id="e"/>
      <sequenceFlow id="f1" sourceRef="s" targetRef="call"/>
      <sequenceFlow id="f2" sourceRef="call" targetRef="unlinked"/>
      <sequenceFlow id="f3" sourceRef="unlinked" targetRef="e"/>
    </process></definitions>)";
  ASSERT_EQ(Call("POST", "/api/deployments?name=visit.bpmn", model).status, 201);
  const HttpReply started = Call("POST", "/api/processes/visit/instances",
                                 R"({"variables": {"customerId": ")" + customer + R"("}})");
  ASSERT_EQ(started.status, 201) << started.body;
  auto complete_next = [&] {
    const HttpReply tasks = Call("GET", "/api/tasks?view=mine");
    const json::value page = json::parse(tasks.body);
    ASSERT_FALSE(page.at("items").as_array().empty()) << tasks.body;
    const std::string task(page.at("items").at(0).at("id").as_string());
    const HttpReply done = Call("POST", "/api/tasks/" + task + "/complete", "{}");
    ASSERT_EQ(done.status, 200) << done.body;
  };
  complete_next();
  complete_next();
  std::string timeline;
  for (int i = 0; i < 400; ++i) {
    timeline = Call("GET", "/api/crm/customers/" + customer + "/activities").body;
    if (timeline.find("Call the customer back") != std::string::npos) break;
    std::this_thread::sleep_for(25ms);
  }
  const json::array items = json::parse(timeline).at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << timeline;  // the unlinked task left nothing
  EXPECT_EQ(items[0].at("title").as_string(), "Call the customer back");
  EXPECT_EQ(items[0].at("status").as_string(), "done");
  EXPECT_EQ(items[0].at("type").as_string(), "task");
  EXPECT_EQ(items[0].at("employees").at(0).as_string(), "anna");
}

TEST_F(CrmProcessTest, ABackgroundImportReportsItsProgressAndItsReport) {
  std::string csv = "Nazwa;Miasto;Identyfikator\n";
  for (int i = 1; i <= 300; ++i) {
    csv += "Firma " + std::to_string(i) + ";Poznań;bg-" + std::to_string(i) + "\n";
  }
  const HttpReply started = Call("POST", "/api/crm/imports?kind=customers&async=true", csv);
  ASSERT_EQ(started.status, 201) << started.body;
  const std::string id(json::parse(started.body).at("id").as_string());
  EXPECT_EQ(started.header("location").value_or(""), "/api/crm/imports/" + id);
  json::value job;
  for (int i = 0; i < 800; ++i) {
    job = json::parse(Call("GET", "/api/crm/imports/" + id).body);
    if (job.at("state") == "done" || job.at("state") == "failed") break;
    std::this_thread::sleep_for(25ms);
  }
  ASSERT_EQ(job.at("state").as_string(), "done") << json::serialize(job);
  EXPECT_EQ(job.at("report").at("created"), 300);
  EXPECT_EQ(job.at("rowsDone"), 300);
  EXPECT_EQ(job.at("rowsTotal"), 300);
  EXPECT_EQ(Call("GET", "/api/crm/imports/999").status, 404);
}

// The shipped examples use the CRM: the service case finds the customer by name, links its
// tasks to it, and records the repair as a visit on the customer's timeline.
TEST_F(CrmProcessTest, TheExampleServiceCaseFindsTheCustomerAndRecordsTheVisit) {
  const HttpReply c =
      Call("POST", "/api/crm/customers", R"({"name": "Hotel Źródło", "owner": "anna"})");
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string customer(json::parse(c.body).at("id").as_string());
  std::ifstream in(std::string(QUIRE_SOURCE_DIR) + "/examples/service-case.bpmn");
  const std::string model((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(Call("POST", "/api/deployments?name=service-case.bpmn", model).status, 201);
  ASSERT_EQ(Call("POST", "/api/groups", R"({"id": "service"})").status, 201);
  ASSERT_EQ(Call("PUT", "/api/groups/service/members/anna").status, 200);
  const HttpReply started =
      Call("POST", "/api/processes/service-case/instances",
           R"({"variables": {"customer": "HOTEL ZRODLO", "subject": "Drzwi szafy nie domykają się",
                             "kind": "complaint", "priority": "high"}})");
  ASSERT_EQ(started.status, 201) << started.body;
  // The lookup runs in the start itself; the case is opened and taken into work by jobs,
  // and then the diagnosis is there, linked to the customer.
  json::array tasks;
  for (int i = 0; i < 400 && tasks.empty(); ++i) {
    tasks = json::parse(Call("GET", "/api/tasks?customer=" + customer).body).at("items").as_array();
    if (tasks.empty()) std::this_thread::sleep_for(25ms);
  }
  ASSERT_EQ(tasks.size(), 1u);
  const std::string diagnose(tasks[0].at("id").as_string());
  ASSERT_EQ(Call("POST", "/api/tasks/" + diagnose + "/complete",
                 R"({"variables": {"underWarranty": true, "finding": "pęknięty zawias"}})")
                .status,
            200);
  const HttpReply next = Call("GET", "/api/tasks?customer=" + customer);
  const std::string repair(json::parse(next.body).at("items").at(0).at("id").as_string());
  ASSERT_EQ(Call("POST", "/api/tasks/" + repair + "/complete", "{}").status, 200);
  for (int i = 0; i < 400; ++i) {
    const HttpReply timeline = Call("GET", "/api/crm/customers/" + customer + "/activities");
    if (timeline.body.find("Warranty repair") != std::string::npos) {
      EXPECT_THAT(timeline.body, HasSubstr("pęknięty zawias"));
      EXPECT_THAT(timeline.body, HasSubstr(R"("type":"visit")"));
      // The service case the process opened, took into work and resolved with the finding.
      const json::value cases =
          json::parse(Call("GET", "/api/crm/cases?customer=" + customer).body);
      ASSERT_EQ(cases.at("items").as_array().size(), 1u);
      const json::value& k = cases.at("items").at(0);
      EXPECT_EQ(k.at("status"), "resolved");
      EXPECT_EQ(k.at("priority"), "high");
      EXPECT_EQ(k.at("subject"), "Drzwi szafy nie domykają się");
      EXPECT_EQ(k.at("resolution"), "pęknięty zawias");
      EXPECT_FALSE(k.at("respondedAt").is_null());
      return;
    }
    std::this_thread::sleep_for(25ms);
  }
  ADD_FAILURE() << "the repair never reached the customer's timeline";
}

TEST_F(CrmProcessTest, ASegmentStartsOneInstancePerMemberOnceEvenWhenRunAgain) {
  std::vector<std::string> customers;
  for (int i = 0; i < 3; ++i) {
    const HttpReply c =
        Call("POST", "/api/crm/customers", R"({"name": "Klient", "tags": ["winback"]})");
    customers.emplace_back(json::parse(c.body).at("id").as_string());
  }
  ASSERT_EQ(Call("POST", "/api/crm/customers", R"({"name": "Inny"})").status, 201);
  ASSERT_EQ(
      Call("POST", "/api/crm/segments", R"({"name": "Do odzyskania", "text": "tag = winback"})")
          .status,
      201);
  const std::string models = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
      xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="urn:t">
    <process id="winback-call" isExecutable="true">
      <startEvent id="s"/><userTask id="call"/><endEvent id="e"/>
      <sequenceFlow id="f1" sourceRef="s" targetRef="call"/>
      <sequenceFlow id="f2" sourceRef="call" targetRef="e"/>
    </process>
    <process id="winback" isExecutable="true">
      <startEvent id="s2"/>
      <serviceTask id="each"><extensionElements><zeebe:taskDefinition type="crm.segment"/>
        <zeebe:ioMapping><zeebe:input source="=&quot;Do odzyskania&quot;" target="segment"/>
          <zeebe:input source="=&quot;winback-call&quot;" target="process"/>
          <zeebe:input source="=&quot;winback-2026-&quot;" target="businessKey"/>
          <zeebe:input source="={reason: &quot;no order this year&quot;}" target="variables"/>
          <zeebe:output source="=started" target="started"/>
          <zeebe:output source="=skipped" target="skipped"/></zeebe:ioMapping>
      </extensionElements></serviceTask>
      <userTask id="review"/><endEvent id="e2"/>
      <sequenceFlow id="g1" sourceRef="s2" targetRef="each"/>
      <sequenceFlow id="g2" sourceRef="each" targetRef="review"/>
      <sequenceFlow id="g3" sourceRef="review" targetRef="e2"/>
    </process></definitions>)";
  ASSERT_EQ(Call("POST", "/api/deployments?name=winback.bpmn", models).status, 201);
  const HttpReply first = Call("POST", "/api/processes/winback/instances", "{}");
  ASSERT_EQ(first.status, 201) << first.body;
  json::object vars =
      WaitForVariable(std::string(json::parse(first.body).at("id").as_string()), "started");
  EXPECT_EQ(vars.at("started").to_number<int>(), 3);
  EXPECT_EQ(vars.at("skipped").to_number<int>(), 0);
  // Each member's instance: its business key, the customer and the variables given.
  const HttpReply one = Call("GET", "/api/tasks?businessKey=winback-2026-" + customers[1]);
  ASSERT_EQ(one.status, 200) << one.body;
  ASSERT_EQ(json::parse(one.body).at("items").as_array().size(), 1u) << one.body;
  const std::string instance(json::parse(one.body).at("items").at(0).at("instanceId").as_string());
  const json::value got = json::parse(Call("GET", "/api/instances/" + instance).body);
  EXPECT_EQ(got.at("variables").at("customer").as_string(), customers[1]);
  EXPECT_EQ(got.at("variables").at("reason"), "no order this year");
  // Run again (a second round, or a retry): nobody is started twice.
  const HttpReply second = Call("POST", "/api/processes/winback/instances", "{}");
  vars = WaitForVariable(std::string(json::parse(second.body).at("id").as_string()), "started");
  EXPECT_EQ(vars.at("started").to_number<int>(), 0);
  EXPECT_EQ(vars.at("skipped").to_number<int>(), 3);
  const HttpReply all = Call("GET", "/api/processes/winback-call/instances");
  EXPECT_EQ(json::parse(all.body).at("items").as_array().size(), 3u) << all.body;
}

}  // namespace
}  // namespace quire
