// The outbox as services wire it: marketing e-mail only to a contact person who agreed,
// never again to an address that bounced; transactional mail always; a bounce from a real
// SMTP server (tests/mail/smtp_server.py) marks the contact person.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "quire/services/services.h"
#include "quire/testing/smtp_server.h"
#include "quire/testing/temp_dir.h"

namespace quire {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
namespace json = boost::json;

class MailPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    services::ServicesOptions options;
    options.search = false;
    options.mail_from = "crm@firma.example";
    auto opened = services::Services::Open(dir_.path(), options);
    ASSERT_TRUE(opened) << opened.error().message();
    services_ = std::move(*opened);
    auto customer = services_->customers().Create(
        json::object{{"kind", "company"}, {"name", "Piekarnia Zielińska"}}, "anna");
    ASSERT_TRUE(customer) << customer.error().message();
    auto person = services_->contacts().Create(
        json::object{{"firstName", "Ewa"},
                     {"lastName", "Zielińska"},
                     {"customers", json::array{std::to_string(customer->id)}},
                     {"emails", json::array{json::object{{"address", "nobody@klient.example"}}}}},
        "anna");
    ASSERT_TRUE(person) << person.error().message();
    contact_ = person->id;
  }

  Result<mail::Message> Send(const std::string& kind) {
    mail::NewMessage m;
    m.kind = kind;
    m.to = {"nobody@klient.example"};
    m.subject = "Nowa oferta";
    m.text = "...";
    m.contact = contact_;
    return services_->outbox().Queue(m, "anna");
  }

  testing::TempDir dir_;
  std::unique_ptr<services::Services> services_;
  std::uint64_t contact_ = 0;
};

TEST_F(MailPolicyTest, MarketingNeedsConsentAndAnUnbouncedAddress) {
  auto refused = Send("marketing");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kConflict);
  EXPECT_THAT(refused.error().message(), HasSubstr("has not agreed to marketing e-mail"));
  EXPECT_TRUE(Send("transactional"));  // about their business: always

  ASSERT_TRUE(services_->contacts().Update(
      contact_, json::object{{"consent", {{"email", {{"granted", true}, {"how", "web form"}}}}}},
      "anna"));
  auto queued = Send("marketing");
  ASSERT_TRUE(queued) << queued.error().message();

  // The server refuses the address: the message bounces and the contact is marked.
  {
    testing::SmtpServer smtp(dir_.Sub("smtp"), "refuse");
    ASSERT_NE(smtp.port, 0);
    mail::SmtpConfig config;
    config.host = "127.0.0.1";
    config.port = smtp.port;
    auto transport = mail::MakeSmtpTransport(config);
    ASSERT_EQ(services_->outbox().SendDue(*transport).value_or(-1), 2);
  }
  EXPECT_TRUE(services_->outbox().Get(queued->id)->bounced);
  EXPECT_TRUE(services_->contacts().Get(contact_)->email_bounced);

  auto again = Send("marketing");
  ASSERT_FALSE(again);
  EXPECT_THAT(again.error().message(), HasSubstr("bounced before"));
  mail::NewMessage unnamed;
  unnamed.kind = "marketing";
  unnamed.to = {"x@klient.example"};
  unnamed.subject = "S";
  auto nobody = services_->outbox().Queue(unnamed, "anna");
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code(), ErrorCode::kValidationFailed);  // marketing names its contact
}

TEST_F(MailPolicyTest, MarketingSmsNeedConsentToSmsAndGoToTheMobileNumber) {
  ASSERT_TRUE(services_->contacts().Update(
      contact_,
      json::object{
          {"consent", {{"email", {{"granted", true}, {"how", "web form"}}}}},
          {"phones", json::array{json::object{{"number", "+48 22 111 22 33"}},
                                 json::object{{"number", "601 234 567"}, {"label", "Komórka"}}}}},
      "anna"));
  auto sms = [&](const std::string& kind) {
    services::MailRequest r;
    r.channel = "sms";
    r.kind = kind;
    r.text = "{{customer.name}}: nowa oferta";
    r.contact = contact_;
    return services_->mailer().Send(std::move(r), audit::Actor("anna"));
  };
  auto refused = sms("marketing");  // consent to e-mail is not consent to SMS
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kConflict);
  EXPECT_THAT(refused.error().message(), HasSubstr("has not agreed to marketing SMS"));
  auto transactional = sms("transactional");
  ASSERT_TRUE(transactional) << transactional.error().message();
  EXPECT_EQ(transactional->to, std::vector<std::string>{"+48601234567"});
  EXPECT_EQ(transactional->text, "Piekarnia Zielińska: nowa oferta");
  ASSERT_TRUE(services_->contacts().Update(
      contact_, json::object{{"consent", {{"sms", {{"granted", true}, {"how", "phone call"}}}}}},
      "anna"));
  EXPECT_TRUE(sms("marketing"));
  // Nobody to send to: a contact without a phone.
  auto person = services_->contacts().Create(json::object{{"firstName", "Jan"}}, "anna");
  ASSERT_TRUE(person);
  services::MailRequest none;
  none.channel = "sms";
  none.text = "x";
  none.contact = person->id;
  auto nowhere = services_->mailer().Send(std::move(none), audit::Actor("anna"));
  ASSERT_FALSE(nowhere);
  EXPECT_THAT(nowhere.error().details().at(0).message, HasSubstr("no phone number"));
}

TEST_F(MailPolicyTest, TasksGivenToSomeoneAreMailedOnceAsTheyWantIt) {
  org::Directory& directory = services_->directory();
  ASSERT_TRUE(directory.PutUser({"anna", "Anna Berg", "anna@firma.example", "", true, ""}, "t"));
  ASSERT_TRUE(directory.PutUser({"ben", "Ben Okafor", "ben@firma.example", "", true, ""}, "t"));
  ASSERT_TRUE(directory.PutUser({"cyryl", "Cyryl Nowak", "", "", true, ""}, "t"));  // no address
  const char* bpmn = R"(<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
      xmlns:quire="urn:quire:bpmn:1.0" id="d" targetNamespace="urn:t">
    <bpmn:process id="p" isExecutable="true">
      <bpmn:startEvent id="s"/>
      <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
      <bpmn:userTask id="t" name="Przygotuj ofertę" quire:assignee="anna"/>
      <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
      <bpmn:endEvent id="e"/>
    </bpmn:process>
  </bpmn:definitions>)";
  ASSERT_TRUE(services_->engine().Deploy(bpmn, "p.bpmn", "t"));
  workflow::StartRequest start;
  start.process_id = "p";
  auto started = services_->engine().Start(start);
  ASSERT_TRUE(started) << started.error().message();
  const workflow::TaskId task = started->tasks.at(0);
  services::NotificationMailer& notifier = services_->notification_mailer();
  // Given to anna by the process: one message, in Polish, naming the task.
  ASSERT_EQ(notifier.RunOnce().value_or(-1), 1);
  auto queued = services_->outbox().List("queued", 10, "").value().items;
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_THAT(queued[0].to, ::testing::ElementsAre("anna@firma.example"));
  EXPECT_EQ(queued[0].subject, "Nowe zadanie dla Ciebie: Przygotuj ofertę");
  EXPECT_THAT(queued[0].text, HasSubstr("/tasks/" + std::to_string(task)));
  EXPECT_EQ(notifier.RunOnce().value_or(-1), 0);  // once
  // anna reassigns it to ben, who wants English from a template of the company's.
  ASSERT_TRUE(notifier.SetPreferences("ben", json::object{{"language", "en"}}));
  ASSERT_TRUE(services_->mail_templates().Put(
      "task.assigned",
      json::parse(R"({"languages": {"en": {"subject": "[Firma] {{task.name}}",
                                            "text": "{{user.name}}, {{by}} gave you task {{task.id}}."}}})")
          .as_object(),
      "t"));
  workflow::TaskCommand give;
  give.action = workflow::TaskAction::kReassign;
  give.task = task;
  give.actor = "anna";
  give.to = "ben";
  ASSERT_TRUE(services_->engine().ActOnTask(give));
  ASSERT_EQ(notifier.RunOnce().value_or(-1), 1);
  queued = services_->outbox().List("queued", 10, "").value().items;
  ASSERT_EQ(queued.size(), 2u);
  EXPECT_EQ(queued[0].subject, "[Firma] Przygotuj ofertę");
  EXPECT_EQ(queued[0].text, "Ben Okafor, anna gave you task " + std::to_string(task) + ".");
  // Nothing for someone who does not want it, nor for someone without an address.
  ASSERT_TRUE(notifier.SetPreferences("anna", json::object{{"taskAssigned", false}}));
  give.actor = "ben";
  give.to = "anna";
  ASSERT_TRUE(services_->engine().ActOnTask(give));
  give.actor = "anna";
  give.to = "cyryl";
  ASSERT_TRUE(services_->engine().ActOnTask(give));
  ASSERT_EQ(notifier.RunOnce().value_or(-1), 2);
  EXPECT_EQ(services_->outbox().List("queued", 10, "").value().items.size(), 2u);
  // Claiming one's own task notifies nobody; bad preferences are refused.
  EXPECT_FALSE(notifier.SetPreferences("anna", json::object{{"language", "de"}}));
  EXPECT_FALSE(notifier.SetPreferences("anna", json::object{{"sms", true}}));
  EXPECT_TRUE(notifier.Preferences("anna")->escalation);
}

}  // namespace
}  // namespace quire

namespace quire {
namespace {

TEST(NotificationLinksTest, WithAPublicUrlTheMailCarriesTheFullLinkAndABadOneIsRefused) {
  testing::TempDir dir;
  services::ServicesOptions options;
  options.search = false;
  options.mail_from = "crm@firma.example";
  options.public_url = "https://crm.firma.example/";
  auto opened = services::Services::Open(dir.path(), options);
  ASSERT_TRUE(opened) << opened.error().message();
  services::Services& s = **opened;
  ASSERT_TRUE(
      s.directory().PutUser({"anna", "Anna Berg", "anna@firma.example", "", true, ""}, "t"));
  ASSERT_TRUE(s.engine().Deploy(
      R"(<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
      xmlns:quire="urn:quire:bpmn:1.0" id="d" targetNamespace="urn:t">
    <bpmn:process id="p" isExecutable="true">
      <bpmn:startEvent id="s"/>
      <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
      <bpmn:userTask id="t" name="Oddzwoń" quire:assignee="anna"/>
    </bpmn:process>
  </bpmn:definitions>)",
      "p.bpmn", "t"));
  workflow::StartRequest start;
  start.process_id = "p";
  auto started = s.engine().Start(start);
  ASSERT_TRUE(started) << started.error().message();
  ASSERT_EQ(s.notification_mailer().RunOnce().value_or(-1), 1);
  const auto queued = s.outbox().List("queued", 10, "").value().items;
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_THAT(queued[0].text,
              HasSubstr("https://crm.firma.example/tasks/" + std::to_string(started->tasks.at(0))));
  opened->reset();
  testing::TempDir other;
  options.public_url = "crm.firma.example";
  auto refused = services::Services::Open(other.path(), options);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("--public-url"));
}

}  // namespace
}  // namespace quire

namespace quire {
namespace {

// The outbox shares its column family with the notification preferences: SMS due entries
// must never be confused with them (a user's preferences once sat where SMS were looked for).
TEST(OutboxKeysTest, SmsAreSentBesideStoredPreferencesAndLeaveThemAlone) {
  testing::TempDir dir;
  services::ServicesOptions options;
  options.search = false;
  options.mail_from = "crm@firma.example";
  {
    auto opened = services::Services::Open(dir.path(), options);
    ASSERT_TRUE(opened) << opened.error().message();
    for (const char* user : {"anna", "bartlomiej.kowalski@firma.example", "ewa.nowak"}) {
      ASSERT_TRUE(
          (*opened)->notification_mailer().SetPreferences(user, json::object{{"language", "en"}}));
    }
  }
  auto opened = services::Services::Open(dir.path(), options);
  ASSERT_TRUE(opened) << opened.error().message();
  services::Services& s = **opened;
  EXPECT_EQ(s.outbox().queued(), 0u);  // preferences are not queued messages
  mail::NewMessage sms;
  sms.channel = "sms";
  sms.to = {"+48601234567"};
  sms.text = "Przypomnienie";
  ASSERT_TRUE(s.outbox().Queue(sms, "anna"));
  testing::SmsGatewayServer gateway(dir.Sub("gw"));
  auto g = mail::ParseSmsGateway(R"({"url": "http://127.0.0.1:)" + std::to_string(gateway.port) +
                                 R"(/", "body": "to={{to}}&text={{text}}"})");
  ASSERT_TRUE(g) << g.error().message();
  auto transport = mail::MakeSmsTransport(*g);
  ASSERT_EQ(s.outbox().SendDue(*transport, "sms").value_or(-1), 1);
  EXPECT_EQ(gateway.Received().size(), 1u);
  EXPECT_EQ(s.outbox().queued(), 0u);
  for (const char* user : {"anna", "bartlomiej.kowalski@firma.example", "ewa.nowak"}) {
    EXPECT_EQ(s.notification_mailer().Preferences(user)->language, "en") << user;
  }
}

}  // namespace
}  // namespace quire
