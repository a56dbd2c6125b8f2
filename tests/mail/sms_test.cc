// SMS through an HTTP gateway against a real gateway on loopback (tests/mail/sms_gateway.py):
// the gateway file read with its errors named, values encoded for where they go (URL, form,
// JSON), SMS queued and sent beside e-mail in one outbox, answers classified (sent, refused
// for good, tried again), secrets kept out of the log and the chain.
#include "quire/mail/sms.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <sstream>
#include <thread>

#include "quire/mail/outbox.h"
#include "quire/testing/smtp_server.h"
#include "quire/testing/temp_dir.h"

namespace quire::mail {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::SmsGatewayServer;
using namespace std::chrono_literals;
namespace json = boost::json;

std::string ErrorOf(std::string_view config) {
  auto g = ParseSmsGateway(config);
  return g ? "(accepted)" : g.error().message();
}

TEST(SmsGatewayFile, AGoodFileIsReadAndEveryMistakeIsNamed) {
  auto g = ParseSmsGateway(R"({"url": "https://api.smsapi.pl/sms.do", "headers":
      {"Authorization": "Bearer s3cr3t-token"}, "body": "to={{to}}&message={{text}}",
      "from": "Firma", "numberFormat": "digits", "errorPointer": "/error",
      "timeoutSeconds": 12})");
  ASSERT_TRUE(g) << g.error().message();
  EXPECT_EQ(g->method, "POST");
  EXPECT_TRUE(g->digits_only);
  EXPECT_EQ(g->timeout, 12s);
  EXPECT_EQ(g->Display(), "https://api.smsapi.pl:443");
  EXPECT_FALSE(g->ClearTextToAnotherMachine());
  EXPECT_TRUE(ParseSmsGateway(R"({"url": "http://sms.firma.lan/send?to={{to}}&text={{text}}",
      "method": "get"})")
                  ->ClearTextToAnotherMachine());

  EXPECT_THAT(ErrorOf("{"), HasSubstr("not JSON"));
  EXPECT_THAT(ErrorOf("[]"), HasSubstr("one JSON object"));
  EXPECT_THAT(ErrorOf(R"({"url": "http://h/?to={{to}}&t={{text}}", "method": "GET",
      "adres": 1})"),
              HasSubstr("'adres' is not a setting"));
  EXPECT_THAT(ErrorOf(R"({"body": "{{to}} {{text}}"})"), HasSubstr("'url' is required"));
  EXPECT_THAT(ErrorOf(R"({"url": "ftp://h/", "body": "{{to}} {{text}}"})"),
              HasSubstr("http:// or https://"));
  EXPECT_THAT(ErrorOf(R"({"url": "http://h/", "method": "DELETE", "body": "{{to}} {{text}}"})"),
              HasSubstr("'method' is GET, POST or PUT"));
  EXPECT_THAT(ErrorOf(R"({"url": "http://h/"})"), HasSubstr("'body' is required with POST"));
  EXPECT_THAT(ErrorOf(R"({"url": "http://h/", "body": "text={{text}}"})"), HasSubstr("{{to}}"));
  EXPECT_THAT(ErrorOf(R"({"url": "http://h/", "body": "to={{to}}"})"), HasSubstr("{{text}}"));
  EXPECT_THAT(ErrorOf(R"({"url": "http://h/", "body": "{{to}}{{text}}", "numberFormat": "x"})"),
              HasSubstr("'numberFormat' is e164"));
  EXPECT_THAT(ErrorOf(R"({"url": "http://h/", "body": "{{to}}{{text}}", "errorPointer": "e"})"),
              HasSubstr("JSON Pointer"));
  EXPECT_THAT(ErrorOf(R"({"url": "http://h/", "body": "{{to}}{{text}}", "timeoutSeconds": 0})"),
              HasSubstr("1 to 600"));
  // A header's value may be a secret: a mistake names the header, never its value.
  const std::string bad_header = ErrorOf(
      R"({"url": "http://h/", "body": "{{to}}{{text}}", "headers": {"X-Key": "tajne\nX: y"}})");
  EXPECT_THAT(bad_header, HasSubstr("header 'X-Key' is one line"));
  EXPECT_THAT(bad_header, Not(HasSubstr("tajne")));
  EXPECT_THAT(LoadSmsGateway("/nonexistent/gateway.json").error().message(),
              HasSubstr("cannot read the SMS gateway file"));
}

TEST(SmsGatewayFile, TheExamplesForCommonGatewaysAreRead) {
  int read = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(QUIRE_EXAMPLES_DIR) + "/sms-gateways")) {
    auto g = LoadSmsGateway(entry.path().string());
    EXPECT_TRUE(g) << entry.path() << ": " << g.error().message();
    ++read;
  }
  EXPECT_GE(read, 4);
}

TEST(SmsGatewayFile, ValuesAreEncodedForWhereTheyGo) {
  const std::vector<std::pair<std::string, std::string>> v{{"to", "+48601234567"},
                                                           {"text", "Zażółć \"gęślą\"\njaźń & co"}};
  EXPECT_EQ(FillGatewayPattern("to={{to}}&m={{text}}&x={{other}}", v, "form"),
            "to=%2B48601234567&m=Za%C5%BC%C3%B3%C5%82%C4%87%20%22g%C4%99%C5%9Bl%C4%85%22%0Aja%C5%BA"
            "%C5%84%20%26%20co&x={{other}}");
  EXPECT_EQ(FillGatewayPattern(R"({"to": "{{to}}", "body": "{{text}}"})", v, "json"),
            R"({"to": "+48601234567", "body": "Zażółć \"gęślą\"\njaźń & co"})");
  EXPECT_EQ(FillGatewayPattern("Bearer {{to}}", v, "raw"), "Bearer +48601234567");
  EXPECT_EQ(FillGatewayPattern("{{to", v, "raw"), "{{to");
  EXPECT_TRUE(IsE164("+48601234567"));
  EXPECT_FALSE(IsE164("601234567"));
  EXPECT_FALSE(IsE164("+48 601 234 567"));
  EXPECT_FALSE(IsE164("+0601234567"));
  EXPECT_FALSE(IsE164("+4860123456789012"));
}

class SmsOutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*storage::Store::Open(dir_.Sub("data")));
    audit_ = std::move(*audit::AuditLog::Open(*store_, dir_.path()));
    OutboxOptions o;
    o.from = "Quire <quire@firma.example>";
    o.clock = &clock_;
    o.max_attempts = 3;
    outbox_ = std::move(*Outbox::Open(*store_, *audit_, o));
  }

  Result<Message> QueueSms(std::string to, std::string text = "Przypominamy o płatności FV/12") {
    NewMessage m;
    m.channel = "sms";
    m.to = {std::move(to)};
    m.text = std::move(text);
    m.purpose = "test";
    return outbox_->Queue(std::move(m), "anna");
  }

  SmsGateway Gateway(std::uint16_t port, std::string body_and_more) {
    auto g = ParseSmsGateway(R"({"url": "http://127.0.0.1:)" + std::to_string(port) +
                             R"(/sms.do", "timeoutSeconds": 10, )" + body_and_more + "}");
    EXPECT_TRUE(g) << g.error().message();
    return g.value_or(SmsGateway{});
  }

  std::string Chain() {
    std::ostringstream chain;
    EXPECT_TRUE(audit_->Export(0, 0, chain));
    return chain.str();
  }

  testing::TempDir dir_;
  ManualClock clock_{Timestamp(std::chrono::milliseconds(1'796'000'000'000))};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<Outbox> outbox_;
};

TEST_F(SmsOutboxTest, AnSmsIsCheckedBeforeItIsQueued) {
  auto local = QueueSms("601 234 567");
  ASSERT_FALSE(local);
  EXPECT_EQ(local.error().code(), ErrorCode::kValidationFailed);
  EXPECT_EQ(local.error().details().at(0).field, "to[0]");
  EXPECT_THAT(local.error().details().at(0).message, HasSubstr("+48601234567"));
  EXPECT_EQ(QueueSms("+48601234567", "").error().details().at(0).field, "text");
  const auto long_text = QueueSms("+48601234567", std::string(1001, 'a'));
  EXPECT_THAT(long_text.error().details().at(0).message, HasSubstr("1001 characters"));
  // 1000 Polish letters are 2000 bytes but 1000 characters: allowed.
  std::string polish;
  for (int i = 0; i < 1000; ++i) polish += "ż";
  EXPECT_TRUE(QueueSms("+48601234567", polish));
  NewMessage two;
  two.channel = "sms";
  two.to = {"+48601234567", "+48601234568"};
  two.text = "x";
  EXPECT_EQ(outbox_->Queue(two, "anna").error().details().at(0).message,
            "an SMS goes to one number");
  NewMessage fax;
  fax.channel = "fax";
  fax.to = {"+48601234567"};
  EXPECT_EQ(outbox_->Queue(fax, "anna").error().details().at(0).field, "channel");

  const Message m = QueueSms("+48601234567").value();
  EXPECT_EQ(m.channel, "sms");
  EXPECT_EQ(m.ToJson().at("channel").as_string(), "sms");
  EXPECT_THAT(m.message_id, ::testing::StartsWith("quire-" + std::to_string(m.id) + "-"));
  EXPECT_THAT(Chain(), HasSubstr("\"sms.queued\""));
}

TEST_F(SmsOutboxTest, AFormGatewayGetsTheNumberTheTextAndItsTokenAndOnlySmsGoThere) {
  SmsGatewayServer gateway(dir_.Sub("gw"), "accept", {"--token", "s3cr3t-token"});
  auto transport = MakeSmsTransport(Gateway(gateway.port, R"(
      "headers": {"Authorization": "Bearer s3cr3t-token"}, "from": "Firma",
      "body": "to={{to}}&message={{text}}&from={{from}}&idx={{id}}&format=json",
      "numberFormat": "digits", "errorPointer": "/error")"));
  NewMessage mail;
  mail.to = {"jan@klient.example"};
  mail.subject = "Oferta";
  mail.text = "x";
  const Message email = outbox_->Queue(mail, "anna").value();
  const Message sms = QueueSms("+48601234567", "Zaległa płatność: 1 230,50 zł & odsetki").value();
  EXPECT_EQ(outbox_->queued(), 2u);
  ASSERT_EQ(outbox_->SendDue(*transport, "sms").value_or(-1), 1);  // the SMS only

  EXPECT_EQ(outbox_->Get(email.id)->status, "queued");
  const Message sent = outbox_->Get(sms.id).value();
  EXPECT_EQ(sent.status, "sent");
  EXPECT_THAT(sent.last_reply, HasSubstr("200 OK"));
  const auto received = gateway.Received();
  ASSERT_EQ(received.size(), 1u);
  const json::object r = json::parse(received[0]).as_object();
  EXPECT_EQ(r.at("method").as_string(), "POST");
  EXPECT_EQ(r.at("path").as_string(), "/sms.do");
  EXPECT_EQ(r.at("headers").at("content-type").as_string(), "application/x-www-form-urlencoded");
  EXPECT_EQ(r.at("body").as_string(),
            "to=48601234567&message=Zaleg%C5%82a%20p%C5%82atno%C5%9B%C4%87%3A%201%20230%2C50%20z"
            "%C5%82%20%26%20odsetki&from=Firma&idx=" +
                sms.message_id + "&format=json");
  // The chain and the delivery log hold no number, no text and no token.
  const std::string chain = Chain();
  EXPECT_THAT(chain, HasSubstr("\"sms.sent\""));
  EXPECT_THAT(chain, Not(HasSubstr("601234567")));
  EXPECT_THAT(chain, Not(HasSubstr("płatność")));
  const std::vector<DeliveryEvent> log = outbox_->Log(sms.id).value();
  for (const DeliveryEvent& e : log) {
    EXPECT_THAT(e.reply, Not(HasSubstr("s3cr3t")));
  }
}

TEST_F(SmsOutboxTest, AJsonGatewayAndAGetGatewayGetTheTextExactly) {
  SmsGatewayServer gateway(dir_.Sub("gw"));
  const std::string text = "Dzień dobry \"Pani Anno\",\nzapraszamy: 50% taniej / ?&=";
  auto json_gateway = MakeSmsTransport(Gateway(gateway.port, R"(
      "contentType": "application/json", "method": "PUT",
      "body": "{\"to\": \"{{to}}\", \"body\": \"{{text}}\", \"ref\": \"{{id}}\"}")"));
  const Message a = QueueSms("+48601234567", text).value();
  ASSERT_EQ(outbox_->SendDue(*json_gateway, "sms").value_or(-1), 1);
  auto get_gateway =
      MakeSmsTransport(Gateway(gateway.port, R"(
      "url": "http://127.0.0.1:)" + std::to_string(gateway.port) +
                                                 R"(/cgi-bin/sendsms?to={{to}}&text={{text}}",
      "method": "GET")"));
  const Message b = QueueSms("+48601234568", text).value();
  ASSERT_EQ(outbox_->SendDue(*get_gateway, "sms").value_or(-1), 1);

  EXPECT_EQ(outbox_->Get(a.id)->status, "sent");
  EXPECT_EQ(outbox_->Get(b.id)->status, "sent");
  const auto received = gateway.Received();
  ASSERT_EQ(received.size(), 2u);
  const json::object put = json::parse(received[0]).as_object();
  EXPECT_EQ(put.at("method").as_string(), "PUT");
  const json::object sent = json::parse(put.at("body").as_string()).as_object();
  EXPECT_EQ(sent.at("to").as_string(), "+48601234567");
  EXPECT_EQ(sent.at("body").as_string(), text);
  EXPECT_EQ(sent.at("ref").as_string(), a.message_id);
  const json::object get = json::parse(received[1]).as_object();
  EXPECT_EQ(get.at("method").as_string(), "GET");
  EXPECT_EQ(get.at("path").as_string(),
            "/cgi-bin/sendsms?to=%2B48601234568&text=Dzie%C5%84%20dobry%20%22Pani%20Anno%22%2C%0A"
            "zapraszamy%3A%2050%25%20taniej%20%2F%20%3F%26%3D");
}

TEST_F(SmsOutboxTest, ARefusalInsideA200AndA400EndItButABusyGatewayIsTriedAgain) {
  {
    SmsGatewayServer gateway(dir_.Sub("e200"), "error200");
    auto t = MakeSmsTransport(Gateway(gateway.port, R"("body": "to={{to}}&message={{text}}",
        "errorPointer": "/error")"));
    const Message m = QueueSms("+48601234567").value();
    ASSERT_EQ(outbox_->SendDue(*t, "sms").value_or(-1), 1);
    const Message failed = outbox_->Get(m.id).value();
    EXPECT_EQ(failed.status, "failed");
    EXPECT_EQ(failed.attempts, 1);
    EXPECT_FALSE(failed.bounced);
    EXPECT_THAT(failed.last_reply, HasSubstr("refused it"));
    EXPECT_THAT(failed.last_reply, HasSubstr("Invalid phone number"));
    EXPECT_THAT(Chain(), HasSubstr("\"sms.failed\""));
  }
  {
    SmsGatewayServer gateway(dir_.Sub("r400"), "refuse");
    auto t = MakeSmsTransport(Gateway(gateway.port, R"("body": "to={{to}}&message={{text}}")"));
    const Message m = QueueSms("+48601234567").value();
    ASSERT_EQ(outbox_->SendDue(*t, "sms").value_or(-1), 1);
    const Message failed = outbox_->Get(m.id).value();
    EXPECT_EQ(failed.status, "failed");
    EXPECT_EQ(failed.attempts, 1);
    EXPECT_THAT(failed.last_reply, HasSubstr("400"));
  }
  {
    SmsGatewayServer gateway(dir_.Sub("busy"), "busy");
    auto t = MakeSmsTransport(Gateway(gateway.port, R"("body": "to={{to}}&message={{text}}")"));
    const Message m = QueueSms("+48601234567").value();
    ASSERT_EQ(outbox_->SendDue(*t, "sms").value_or(-1), 1);
    EXPECT_EQ(outbox_->Get(m.id)->status, "queued");
    EXPECT_EQ(outbox_->SendDue(*t, "sms").value_or(-1), 0);  // not due yet
    clock_.Advance(1min);
    ASSERT_EQ(outbox_->SendDue(*t, "sms").value_or(-1), 1);
    EXPECT_EQ(outbox_->Get(m.id)->status, "queued");
    clock_.Advance(2min);
    ASSERT_EQ(outbox_->SendDue(*t, "sms").value_or(-1), 1);
    EXPECT_EQ(outbox_->Get(m.id)->status, "sent");
    const auto log = outbox_->Log(m.id).value();
    ASSERT_EQ(log.size(), 3u);
    EXPECT_EQ(log[0].outcome, "retry");
    EXPECT_THAT(log[0].reply, HasSubstr("503"));
    EXPECT_EQ(log[2].outcome, "sent");
  }
}

TEST_F(SmsOutboxTest, AWrongTokenIsRefusedWithoutShowingItAndADroppedConnectionIsRetried) {
  {
    SmsGatewayServer gateway(dir_.Sub("auth"), "accept", {"--token", "right-token"});
    auto t = MakeSmsTransport(Gateway(gateway.port, R"("body": "to={{to}}&message={{text}}",
        "headers": {"Authorization": "Bearer wrong-token"})"));
    const Message m = QueueSms("+48601234567").value();
    ASSERT_EQ(outbox_->SendDue(*t, "sms").value_or(-1), 1);
    const Message failed = outbox_->Get(m.id).value();
    EXPECT_EQ(failed.status, "failed");
    EXPECT_THAT(failed.last_reply, HasSubstr("401"));
    EXPECT_THAT(failed.last_reply, Not(HasSubstr("wrong-token")));
  }
  {
    SmsGatewayServer gateway(dir_.Sub("drop"), "drop");
    auto t = MakeSmsTransport(Gateway(gateway.port, R"("body": "to={{to}}&message={{text}}",
        "user": "konto", "password": "Haslo-tajne")"));
    const Message m = QueueSms("+48601234567").value();
    ASSERT_EQ(outbox_->SendDue(*t, "sms").value_or(-1), 1);
    const Message retried = outbox_->Get(m.id).value();
    EXPECT_EQ(retried.status, "queued");
    EXPECT_EQ(retried.attempts, 1);
    EXPECT_THAT(retried.last_reply, HasSubstr("could not be reached"));
    EXPECT_THAT(retried.last_reply, Not(HasSubstr("Haslo-tajne")));
  }
}

TEST_F(SmsOutboxTest, TheSenderSendsSmsWithoutAnSmtpServerAndLeavesTheMailQueued) {
  SmsGatewayServer gateway(dir_.Sub("gw"));
  NewMessage mail;
  mail.to = {"jan@klient.example"};
  mail.subject = "Oferta";
  mail.text = "x";
  const Message email = outbox_->Queue(mail, "anna").value();
  outbox_->Start(nullptr,
                 MakeSmsTransport(Gateway(gateway.port, R"("body": "to={{to}}&t={{text}}")")));
  const Message sms = QueueSms("+48601234567").value();
  for (int i = 0; i < 500 && outbox_->Get(sms.id)->status == "queued"; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(outbox_->Get(sms.id)->status, "sent");
  EXPECT_EQ(outbox_->Get(email.id)->status, "queued");
  EXPECT_EQ(outbox_->queued(), 1u);
}

}  // namespace
}  // namespace quire::mail
