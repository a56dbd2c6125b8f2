// E-mail and SMS through a real `quire serve`, a real SMTP server and a real SMS gateway on
// loopback: the test message an administrator sends arrives; staff may not send it or read
// the outbox; a message queued while no server listens is delivered after a restart with
// one; SMS from templates over the API and from a process.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "quire/testing/child_process.h"
#include "quire/testing/http_client.h"
#include "quire/testing/quire_server.h"
#include "quire/testing/smtp_server.h"
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

// The SMTP server's n-th message (1, 2, ...).
std::string Message(const testing::SmtpServer& smtp, std::size_t n) {
  const auto all = smtp.Received();
  return n <= all.size() ? all[n - 1] : std::string();
}

class MailServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.Sub("data").string();
    tokens_ = testing::ProvisionUsers(QUIRE_BINARY, data_,
                                      {{"olga", {"administrator"}}, {"ben", {"staff"}}});
  }

  HttpReply Call(std::uint16_t port, const std::string& method, const std::string& target,
                 const std::string& body, const std::string& user) {
    auto connection = HttpConnection::Connect(port);
    EXPECT_TRUE(connection);
    EXPECT_TRUE(
        connection->Send(MakeRequest(method, target, body, {testing::Bearer(tokens_[user])})));
    auto reply = connection->ReadReply(30s);
    EXPECT_TRUE(reply);
    return reply.value_or(HttpReply{});
  }

  // Polls the message until it leaves the queue; its JSON.
  json::value Settled(std::uint16_t port, const std::string& id) {
    json::value m;
    for (int i = 0; i < 200; ++i) {
      m = json::parse(Call(port, "GET", "/api/outbox/" + id, "", "olga").body);
      if (m.at("status") != "queued") break;
      std::this_thread::sleep_for(50ms);
    }
    return m;
  }

  // Deploys `bpmn`, starts `process` with `variables` (JSON) and waits until the instance
  // leaves "active"; its JSON.
  json::value RunProcess(std::uint16_t port, const std::string& name, const char* bpmn,
                         const std::string& process, const std::string& variables) {
    auto connection = HttpConnection::Connect(port);
    EXPECT_TRUE(connection);
    EXPECT_TRUE(connection->Send(
        MakeRequest("POST", "/api/deployments?name=" + name, bpmn,
                    {testing::Bearer(tokens_["olga"]), {"Content-Type", "application/xml"}})));
    auto deployed = connection->ReadReply(30s);
    EXPECT_TRUE(deployed && deployed->status == 201) << (deployed ? deployed->body : "");
    const HttpReply started = Call(port, "POST", "/api/processes/" + process + "/instances",
                                   R"({"variables": )" + variables + "}", "olga");
    EXPECT_EQ(started.status, 201) << started.body;
    if (started.status != 201) return json::value();
    const std::string instance(json::parse(started.body).at("id").as_string());
    json::value state;
    for (int i = 0; i < 200; ++i) {
      state = json::parse(Call(port, "GET", "/api/instances/" + instance, "", "olga").body);
      if (state.at("state") != "active") break;
      std::this_thread::sleep_for(50ms);
    }
    return state;
  }

  TempDir dir_;
  std::string data_;
  std::map<std::string, std::string> tokens_;
};

TEST_F(MailServerTest, TheTestMessageArrivesAndOnlyOperatorsMaySendItOrReadTheOutbox) {
  testing::SmtpServer smtp(dir_.Sub("smtp"));
  testing::QuireServer quire(QUIRE_BINARY, data_,
                             {"--smtp-url", "smtp://127.0.0.1:" + std::to_string(smtp.port),
                              "--mail-from", "Firma Testowa <crm@firma.example>"});
  ASSERT_NE(quire.port, 0);
  const HttpReply sent =
      Call(quire.port, "POST", "/api/admin/mail/test", R"({"to": "biuro@klient.example"})", "olga");
  ASSERT_EQ(sent.status, 201) << sent.body;
  const std::string id(json::parse(sent.body).at("id").as_string());
  EXPECT_EQ(sent.header("location").value_or(""), "/api/outbox/" + id);
  const json::value m = Settled(quire.port, id);
  EXPECT_EQ(m.at("status"), "sent") << m;
  EXPECT_EQ(m.at("log").at(0).at("outcome"), "sent");
  const std::string eml = Message(smtp, 1);
  EXPECT_THAT(eml, HasSubstr("X-Envelope-To: biuro@klient.example"));
  EXPECT_THAT(eml, HasSubstr("crm@firma.example"));
  EXPECT_THAT(eml, HasSubstr("test message"));

  // Refusals: staff may neither send it nor read the outbox; a bad address is named.
  EXPECT_EQ(Call(quire.port, "POST", "/api/admin/mail/test", R"({"to": "x@y.pl"})", "ben").status,
            403);
  EXPECT_EQ(Call(quire.port, "GET", "/api/outbox", "", "ben").status, 403);
  const HttpReply bad =
      Call(quire.port, "POST", "/api/admin/mail/test", R"({"to": "not an address"})", "olga");
  EXPECT_EQ(bad.status, 422);
  EXPECT_THAT(bad.body, HasSubstr("to[0]"));
  EXPECT_EQ(Call(quire.port, "POST", "/api/admin/mail/test", R"({"too": "x@y.pl"})", "olga").status,
            400);
  const json::value list = json::parse(Call(quire.port, "GET", "/api/outbox", "", "olga").body);
  EXPECT_EQ(list.at("items").as_array().size(), 1u);
  EXPECT_EQ(list.at("queued"), 0);
  EXPECT_EQ(Call(quire.port, "POST", "/api/outbox/" + id + "/cancel", "", "olga").status, 409);
}

TEST_F(MailServerTest, AMessageQueuedWithoutAServerIsSentAfterARestartWithOne) {
  std::string id;
  {
    testing::QuireServer quire(QUIRE_BINARY, data_);
    ASSERT_NE(quire.port, 0);
    const HttpReply sent = Call(quire.port, "POST", "/api/admin/mail/test",
                                R"({"to": "biuro@klient.example"})", "olga");
    ASSERT_EQ(sent.status, 201) << sent.body;
    EXPECT_THAT(sent.header("warning").value_or(""), HasSubstr("no --smtp-url"));
    id = std::string(json::parse(sent.body).at("id").as_string());
    quire.child->Signal(SIGTERM);
    ASSERT_TRUE(quire.child->Wait(30s));
  }
  testing::SmtpServer smtp(dir_.Sub("smtp"));
  testing::QuireServer quire(
      QUIRE_BINARY, data_,
      {"--smtp-url", "smtp://127.0.0.1:" + std::to_string(smtp.port) + "?tls=none"});
  ASSERT_NE(quire.port, 0);
  EXPECT_EQ(Settled(quire.port, id).at("status"), "sent");
  EXPECT_THAT(Message(smtp, 1), HasSubstr("biuro@klient.example"));
}

TEST_F(MailServerTest, TemplatesFilledFromTheRecordsByTheApiAndByAProcess) {
  testing::SmtpServer smtp(dir_.Sub("smtp"));
  testing::QuireServer quire(QUIRE_BINARY, data_,
                             {"--smtp-url", "smtp://127.0.0.1:" + std::to_string(smtp.port)});
  ASSERT_NE(quire.port, 0);
  const std::uint16_t port = quire.port;
  const HttpReply put = Call(port, "PUT", "/api/mail/templates/welcome", R"({
      "description": "after the first call",
      "languages": {"pl": {"subject": "Witamy, {{customer.name}}", "text": "Dzien dobry {{contact.firstName}} z {{customer.name}}, nr {{ref}}"},
                    "en": {"subject": "Welcome, {{customer.name}}", "text": "Hello {{contact.firstName}} of {{customer.name}}, ref {{ref}}"}}})",
                             "olga");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Call(port, "PUT", "/api/mail/templates/broken",
                 R"({"languages": {"pl": {"subject": "{{x", "text": "t"}}})", "olga")
                .status,
            422);
  const HttpReply customer = Call(port, "POST", "/api/crm/customers",
                                  R"({"kind": "company", "name": "Piekarnia Zielona"})", "olga");
  ASSERT_EQ(customer.status, 201) << customer.body;
  const std::string customer_id(json::parse(customer.body).at("id").as_string());
  const HttpReply contact =
      Call(port, "POST", "/api/crm/contacts",
           R"({"firstName": "Ewa", "lastName": "Lis", "customers": [")" + customer_id +
               R"("], "emails": [{"address": "ewa@zielona.example"}]})",
           "olga");
  ASSERT_EQ(contact.status, 201) << contact.body;
  const std::string contact_id(json::parse(contact.body).at("id").as_string());

  // Over the API: to the contact's address, in English, with the caller's data.
  const HttpReply sent = Call(port, "POST", "/api/mail",
                              R"({"template": "welcome", "language": "en", "contact": ")" +
                                  contact_id + R"(", "data": {"ref": "A-1"}})",
                              "olga");
  ASSERT_EQ(sent.status, 201) << sent.body;
  EXPECT_EQ(Settled(port, std::string(json::parse(sent.body).at("id").as_string())).at("status"),
            "sent");
  EXPECT_THAT(Message(smtp, 1), HasSubstr("Hello Ewa of Piekarnia Zielona, ref A-1"));
  EXPECT_THAT(Message(smtp, 1), HasSubstr("X-Envelope-To: ewa@zielona.example"));
  // A placeholder left without a value, marketing without consent, a contact beyond reach.
  const HttpReply half =
      Call(port, "POST", "/api/mail",
           R"({"template": "welcome", "contact": ")" + contact_id + R"("})", "olga");
  EXPECT_EQ(half.status, 422);
  EXPECT_THAT(half.body, HasSubstr("{{ref}}"));
  const HttpReply marketing =
      Call(port, "POST", "/api/mail",
           R"({"subject": "Promocja", "text": "...", "kind": "marketing", "contact": ")" +
               contact_id + R"("})",
           "olga");
  EXPECT_EQ(marketing.status, 409);
  EXPECT_THAT(marketing.body, HasSubstr("has not agreed to marketing e-mail"));
  EXPECT_EQ(Call(port, "POST", "/api/mail",
                 R"({"subject": "S", "text": "T", "contact": ")" + contact_id + R"("})", "ben")
                .status,
            403);

  // From a process: notify.email with the template, in Polish, once per job.
  const char* bpmn = R"(<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
      xmlns:quire="urn:quire:bpmn:1.0" id="d" targetNamespace="urn:t">
    <bpmn:process id="greet" isExecutable="true">
      <bpmn:startEvent id="s"/>
      <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="mail"/>
      <bpmn:serviceTask id="mail" name="Welcome mail">
        <bpmn:extensionElements>
          <quire:connector type="notify.email">
            <quire:input target="template" source="welcome"/>
            <quire:input target="contact" source="= contactId"/>
            <quire:input target="data" source="= {ref: businessRef}"/>
            <quire:output target="mailId" source="= mailId"/>
          </quire:connector>
        </bpmn:extensionElements>
      </bpmn:serviceTask>
      <bpmn:sequenceFlow id="f2" sourceRef="mail" targetRef="e"/>
      <bpmn:endEvent id="e"/>
    </bpmn:process>
  </bpmn:definitions>)";
  const json::value state =
      RunProcess(port, "greet.bpmn", bpmn, "greet",
                 R"({"contactId": ")" + contact_id + R"(", "businessRef": "P-7"})");
  ASSERT_FALSE(state.is_null());
  ASSERT_EQ(state.at("state"), "completed") << state;
  const std::string mail_id(state.at("variables").at("mailId").as_string());
  EXPECT_EQ(Settled(port, mail_id).at("status"), "sent");
  EXPECT_THAT(Message(smtp, 2), HasSubstr("Dzien dobry Ewa z Piekarnia Zielona, nr P-7"));
}

TEST_F(MailServerTest, SmsGoThroughTheGatewayFromTheApiAndFromAProcess) {
  testing::SmsGatewayServer gateway(dir_.Sub("gw"), "accept", {"--token", "Tok-3n"});
  const std::string file = (dir_.path() / "gateway.json").string();
  std::ofstream(file) << R"({"url": "http://127.0.0.1:)" << gateway.port << R"(/sms.do",
      "headers": {"Authorization": "Bearer Tok-3n"}, "from": "Firma",
      "body": "to={{to}}&message={{text}}&idx={{id}}", "errorPointer": "/error"})";
  testing::QuireServer quire(QUIRE_BINARY, data_, {"--sms-gateway", file});
  ASSERT_NE(quire.port, 0);
  const std::uint16_t port = quire.port;
  // The administrator's test SMS; staff may not send one.
  EXPECT_EQ(Call(port, "POST", "/api/admin/sms/test", R"({"to": "+48601234567"})", "ben").status,
            403);
  const HttpReply test =
      Call(port, "POST", "/api/admin/sms/test", R"({"to": "+48601234567"})", "olga");
  ASSERT_EQ(test.status, 201) << test.body;
  EXPECT_EQ(json::parse(test.body).at("channel"), "sms");
  EXPECT_EQ(Settled(port, std::string(json::parse(test.body).at("id").as_string())).at("status"),
            "sent");
  EXPECT_EQ(Call(port, "POST", "/api/admin/sms/test", R"({"to": "601234567"})", "olga").status,
            422);

  // A template for SMS only (no subject), to a contact's mobile number.
  ASSERT_EQ(
      Call(
          port, "PUT", "/api/mail/templates/payment-reminder",
          R"({"languages": {"pl": {"text": "{{customer.name}}: prosimy o wplate {{amount}} zl"}}})",
          "olga")
          .status,
      200);
  const HttpReply customer = Call(port, "POST", "/api/crm/customers",
                                  R"({"kind": "company", "name": "Piekarnia Zielona"})", "olga");
  ASSERT_EQ(customer.status, 201) << customer.body;
  const std::string customer_id(json::parse(customer.body).at("id").as_string());
  const HttpReply contact =
      Call(port, "POST", "/api/crm/contacts",
           R"({"firstName": "Ewa", "lastName": "Lis", "customers": [")" + customer_id +
               R"("], "phones": [{"number": "22 111 22 33", "label": "work"},
                                 {"number": "601 234 568", "label": "komórka"}]})",
           "olga");
  ASSERT_EQ(contact.status, 201) << contact.body;
  const std::string contact_id(json::parse(contact.body).at("id").as_string());
  const HttpReply sent = Call(port, "POST", "/api/sms",
                              R"({"template": "payment-reminder", "contact": ")" + contact_id +
                                  R"(", "data": {"amount": "1230,50"}})",
                              "olga");
  ASSERT_EQ(sent.status, 201) << sent.body;
  EXPECT_EQ(Settled(port, std::string(json::parse(sent.body).at("id").as_string())).at("status"),
            "sent");
  auto received = gateway.Received();
  ASSERT_EQ(received.size(), 2u);
  const std::string body(json::parse(received[1]).at("body").as_string());
  EXPECT_THAT(body, HasSubstr("to=%2B48601234568&"));
  EXPECT_THAT(body, HasSubstr("message=Piekarnia%20Zielona%3A%20prosimy%20o%20wplate%201230%2C50"));
  // Bad requests: a subject (an SMS has none), no text, marketing without consent, staff.
  EXPECT_EQ(Call(port, "POST", "/api/sms", R"({"subject": "x", "text": "y", "to": "+48601234567"})",
                 "olga")
                .status,
            400);
  EXPECT_EQ(Call(port, "POST", "/api/sms", R"({"to": "+48601234567"})", "olga").status, 400);
  const HttpReply marketing = Call(
      port, "POST", "/api/sms",
      R"({"text": "Promocja", "kind": "marketing", "contact": ")" + contact_id + R"("})", "olga");
  EXPECT_EQ(marketing.status, 409);
  EXPECT_THAT(marketing.body, HasSubstr("has not agreed to marketing SMS"));
  EXPECT_EQ(
      Call(port, "POST", "/api/sms", R"({"text": "T", "contact": ")" + contact_id + R"("})", "ben")
          .status,
      403);

  // From a process: notify.sms, its id in the variables.
  const char* bpmn = R"(<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
      xmlns:quire="urn:quire:bpmn:1.0" id="d" targetNamespace="urn:t">
    <bpmn:process id="remind" isExecutable="true">
      <bpmn:startEvent id="s"/>
      <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sms"/>
      <bpmn:serviceTask id="sms" name="Reminder SMS">
        <bpmn:extensionElements>
          <quire:connector type="notify.sms">
            <quire:input target="template" source="payment-reminder"/>
            <quire:input target="contact" source="= contactId"/>
            <quire:input target="data" source="= {amount: amount}"/>
          </quire:connector>
        </bpmn:extensionElements>
      </bpmn:serviceTask>
      <bpmn:sequenceFlow id="f2" sourceRef="sms" targetRef="e"/>
      <bpmn:endEvent id="e"/>
    </bpmn:process>
  </bpmn:definitions>)";
  const json::value state = RunProcess(port, "remind.bpmn", bpmn, "remind",
                                       R"({"contactId": ")" + contact_id + R"(", "amount": "99"})");
  ASSERT_FALSE(state.is_null());
  ASSERT_EQ(state.at("state"), "completed") << state;
  EXPECT_EQ(state.at("variables").at("smsQueued"), true);
  EXPECT_EQ(Settled(port, std::string(state.at("variables").at("smsId").as_string())).at("status"),
            "sent");
  received = gateway.Received();
  ASSERT_EQ(received.size(), 3u);
  EXPECT_THAT(std::string(json::parse(received[2]).at("body").as_string()),
              HasSubstr("prosimy%20o%20wplate%2099%20zl"));
}

// Without --public-url a questionnaire link is never mailed (the Host header is the
// client's): 409, and nothing is recorded as sent; the link alone is still given.
TEST_F(MailServerTest, QuestionnaireLinksAreMailedOnlyWithAPublicUrl) {
  testing::QuireServer quire(QUIRE_BINARY, data_);
  ASSERT_NE(quire.port, 0);
  const std::uint16_t port = quire.port;
  const HttpReply q = Call(port, "POST", "/api/questionnaires",
                           R"json({"name": "Ankieta", "form": {"components": [
                               {"type": "textfield", "key": "opinion", "label": "Opinia"}]}})json",
                           "olga");
  ASSERT_EQ(q.status, 201) << q.body;
  const std::string id(json::parse(q.body).at("id").as_string());
  const HttpReply contact =
      Call(port, "POST", "/api/crm/contacts",
           R"({"firstName": "Ewa", "emails": [{"address": "ewa@klient.example"}]})", "olga");
  ASSERT_EQ(contact.status, 201) << contact.body;
  const std::string person(json::parse(contact.body).at("id").as_string());
  const HttpReply refused = Call(port, "POST", "/api/questionnaires/" + id + "/invitations",
                                 R"({"contact": ")" + person + R"("})", "olga");
  EXPECT_EQ(refused.status, 409);
  EXPECT_THAT(refused.body, HasSubstr("--public-url"));
  EXPECT_EQ(json::parse(Call(port, "GET", "/api/questionnaires/" + id, "", "olga").body)
                .at("stats")
                .at("sent"),
            0);
  EXPECT_EQ(
      json::parse(Call(port, "GET", "/api/outbox", "", "olga").body).at("items").as_array().size(),
      0u);
  const HttpReply link = Call(port, "POST", "/api/questionnaires/" + id + "/invitations",
                              R"({"contact": ")" + person + R"(", "send": false})", "olga");
  ASSERT_EQ(link.status, 201) << link.body;
  EXPECT_THAT(std::string(json::parse(link.body).at("url").as_string()), HasSubstr("/q/q"));
  EXPECT_FALSE(json::parse(link.body).as_object().contains("mailId"));
}

TEST_F(MailServerTest, ABadSmsGatewayFileStopsTheServerWithoutShowingItsSecrets) {
  const std::string file = (dir_.path() / "gateway.json").string();
  std::ofstream(file) << R"({"url": "https://api.smsapi.pl/sms.do", "headers":
      {"Authorization": "Bearer Tajny-Token"}, "body": "message={{text}}"})";
  auto child = testing::ChildProcess::Spawn(
      QUIRE_BINARY, {"serve", "--data-dir", data_, "--port", "0", "--sms-gateway", file});
  ASSERT_TRUE(child);
  auto status = child->Wait(60s);
  ASSERT_TRUE(status);
  EXPECT_NE(status->code, 0);
  const std::string said = child->ReadAllStderr();
  EXPECT_THAT(said, HasSubstr("{{to}}"));
  EXPECT_THAT(said, HasSubstr("gateway.json"));
  EXPECT_THAT(said, ::testing::Not(HasSubstr("Tajny-Token")));
}

TEST_F(MailServerTest, ABadSmtpUrlStopsTheServerWithTheReason) {
  auto child = testing::ChildProcess::Spawn(
      QUIRE_BINARY, {"serve", "--data-dir", data_, "--port", "0", "--smtp-url",
                     "smtp://user:Sekret-9@mail.example.com:99999"});
  ASSERT_TRUE(child);
  auto status = child->Wait(60s);
  ASSERT_TRUE(status);
  EXPECT_NE(status->code, 0);
  const std::string said = child->ReadAllStderr();
  EXPECT_THAT(said, HasSubstr("not a port"));
  EXPECT_THAT(said, ::testing::Not(HasSubstr("Sekret-9")));
}

}  // namespace
}  // namespace quire
