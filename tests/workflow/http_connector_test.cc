// The built-in http connector calling a real server on loopback from a service task.
#include <atomic>

#include "engine_fixture.h"
#include "quire/server/http_server.h"
#include "quire/server/json.h"
#include "quire/server/router.h"

namespace quire::workflow::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

class HttpConnectorTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    server::Router router;
    router.Add("POST", "/quotes", server::Access::Public(), [this](const server::Request& request) {
      ++calls_;
      last_body_ = request.body;
      last_header_ = std::string(request.header("x-customer").value_or(""));
      return server::JsonResponse(201, boost::json::object{{"quoteId", "Q-17"}, {"total", 240}});
    });
    router.Add("GET", "/down", server::Access::Public(), [this](const server::Request&) {
      ++calls_;
      return server::ErrorResponse(Error::Unavailable("maintenance"));
    });
    server::HttpServerOptions options;
    options.port = 0;
    server_ = std::make_unique<server::HttpServer>(std::move(router), options);
    ASSERT_TRUE(server_->Start());
  }
  void TearDown() override {
    EngineTest::TearDown();
    server_.reset();
  }

  std::string Process(const std::string& url, const std::string& method) {
    return Bpmn(R"(<process id="p" isExecutable="true">
      <startEvent id="s"/>
      <serviceTask id="quote"><extensionElements>
        <zeebe:taskDefinition type="http" retries="2"/>
        <zeebe:ioMapping>
          <zeebe:input source="=&quot;)" +
                url + R"(&quot;" target="url"/>
          <zeebe:input source="=&quot;)" +
                method + R"(&quot;" target="method"/>
          <zeebe:input source="={customer: customer, items: items}" target="body"/>
          <zeebe:input source="={&quot;X-Customer&quot;: customer}" target="headers"/>
          <zeebe:output source="=body.quoteId" target="quoteId"/>
          <zeebe:output source="=status" target="httpStatus"/>
        </zeebe:ioMapping></extensionElements></serviceTask>
      <userTask id="send"/><endEvent id="e"/>
      <sequenceFlow id="f1" sourceRef="s" targetRef="quote"/>
      <sequenceFlow id="f2" sourceRef="quote" targetRef="send"/>
      <sequenceFlow id="f3" sourceRef="send" targetRef="e"/></process>)");
  }

  // Waits (real time: the call runs on a job thread) until `pred` holds.
  template <class Pred>
  bool Eventually(Pred pred) {
    for (int i = 0; i < 200; ++i) {
      engine_->WaitIdle();
      if (pred()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  std::unique_ptr<server::HttpServer> server_;
  std::atomic<int> calls_{0};
  std::string last_body_;
  std::string last_header_;
};

TEST_F(HttpConnectorTest, CallsTheUrlAndMapsTheResult) {
  Deploy(Process(server_->url() + "/quotes", "POST"));
  const InstanceId id = Start("p", R"({"customer": "ACME", "items": [1, 2]})");
  ASSERT_TRUE(Eventually([&] { return Active(id) == std::vector<std::string>{"send"}; }));
  EXPECT_EQ(Var(id, "quoteId"), boost::json::value("Q-17"));
  EXPECT_EQ(Var(id, "httpStatus"), boost::json::value(201));
  EXPECT_EQ(boost::json::parse(last_body_),
            boost::json::parse(R"({"customer": "ACME", "items": [1, 2]})"));
  EXPECT_EQ(last_header_, "ACME");
}

TEST_F(HttpConnectorTest, AFailingEndpointIsRetriedThenRaisesAnIncident) {
  Deploy(Process(server_->url() + "/down", "GET"));
  const InstanceId id = Start("p", R"({"customer": "ACME", "items": []})");
  ASSERT_TRUE(Eventually([&] { return calls_ == 1; }));
  Advance(2s);  // the backoff before the second and last attempt
  ASSERT_TRUE(Eventually([&] { return !Instance(id).incidents.empty(); }));
  EXPECT_EQ(calls_, 2);
  const InstanceInfo info = Instance(id);
  EXPECT_EQ(info.incidents[0].kind, "job_failed");
  EXPECT_THAT(info.incidents[0].message, HasSubstr("503"));
}

}  // namespace
}  // namespace quire::workflow::testing
