// Mail templates: placeholders filled from records, language fallback, every mistake in a
// template named at its field.
#include "quire/mail/templates.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "quire/mail/outbox.h"
#include "quire/testing/temp_dir.h"

namespace quire::mail {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace json = boost::json;

TEST(FillTest, PlaceholdersTakeNestedFieldsListsAndReportWhatIsMissing) {
  const json::object context =
      json::parse(
          R"({"customer": {"name": "Piekarnia Zielińska", "emails": [{"address": "a@b.pl"}]},
                      "total": 1234.5, "paid": false, "none": null})")
          .as_object();
  std::vector<std::string> missing;
  EXPECT_EQ(Fill("Dla {{ customer.name }} ({{customer.emails.0.address}}): {{total}} {{paid}}",
                 context, missing),
            "Dla Piekarnia Zielińska (a@b.pl): 1234.5 false");
  EXPECT_TRUE(missing.empty());
  EXPECT_EQ(
      Fill("{{customer.nip}}|{{none}}|{{customer.emails.5.address}}|{{x.y}}", context, missing),
      "|||");
  EXPECT_THAT(missing, ElementsAre("customer.nip", "none", "customer.emails.5.address", "x.y"));
  EXPECT_EQ(Fill("no {{ placeholder", context, missing), "no {{ placeholder");
}

class TemplateStoreTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_ = std::move(*storage::Store::Open(dir_.Sub("data")));
  std::unique_ptr<audit::AuditLog> audit_ = std::move(*audit::AuditLog::Open(*store_, dir_.path()));
  TemplateStore templates_{*store_, *audit_, SystemClock::Instance()};
};

TEST_F(TemplateStoreTest, RenderedInTheLanguageAskedElsePolishElseEnglish) {
  ASSERT_TRUE(templates_.Put("offer-sent",
                             json::parse(R"({"description": "oferta",
      "languages": {"pl": {"subject": "Oferta {{offer.number}}", "text": "Dzień dobry {{contact.firstName}}"},
                    "en": {"subject": "Offer {{offer.number}}", "text": "Dear {{contact.firstName}}"}}})")
                                 .as_object(),
                             "anna"));
  const json::object context =
      json::parse(R"({"offer": {"number": "OF/1"}, "contact": {"firstName": "Ewa"}})").as_object();
  auto en = templates_.Render("offer-sent", "en", context);
  ASSERT_TRUE(en);
  EXPECT_EQ(en->subject, "Offer OF/1");
  EXPECT_EQ(en->text, "Dear Ewa");
  auto de = templates_.Render("offer-sent", "de", context);
  EXPECT_EQ(de->language, "pl");
  EXPECT_EQ(de->subject, "Oferta OF/1");
  EXPECT_EQ(templates_.Render("nothing", "pl", context).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(templates_.List()->size(), 1u);
  ASSERT_TRUE(templates_.Delete("offer-sent", "anna"));
  EXPECT_EQ(templates_.Get("offer-sent").error().code(), ErrorCode::kNotFound);
}

TEST_F(TemplateStoreTest, EveryMistakeIsNamedAtItsField) {
  auto r = templates_.Put("Bad Name",
                          json::parse(R"({"languages": {"pl": {"subject": "A\nB", "text": "{{open"},
                                                        "en": {"subject": "", "text": "{{a b}}", "extra": 1}},
                                          "colour": "red"})")
                              .as_object(),
                          "anna");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kValidationFailed);
  std::map<std::string, std::string> by_field;
  for (const ErrorDetail& d : r.error().details()) by_field[d.field] = d.message;
  EXPECT_THAT(by_field["name"], HasSubstr("not a template name"));
  EXPECT_THAT(by_field["colour"], HasSubstr("not a field"));
  EXPECT_THAT(by_field["languages.pl.subject"], HasSubstr("one line"));
  EXPECT_THAT(by_field["languages.pl.text"], HasSubstr("not closed"));
  EXPECT_THAT(by_field["languages.en.subject"], HasSubstr("required"));
  EXPECT_THAT(by_field["languages.en.text"], HasSubstr("not a placeholder"));
  EXPECT_THAT(by_field["languages.en.extra"], HasSubstr("not known"));
  EXPECT_TRUE(templates_.List()->empty());
  EXPECT_FALSE(templates_.Put("x", json::object{}, "anna"));  // no languages
  // A template only for SMS leaves the subject out.
  EXPECT_TRUE(templates_.Put(
      "sms-only", json::parse(R"({"languages": {"pl": {"text": "t"}}})").as_object(), "anna"));
}

TEST_F(TemplateStoreTest, AMessageIsQueuedOnceUnderItsKey) {
  OutboxOptions o;
  o.from = "crm@firma.example";
  auto box = std::move(*Outbox::Open(*store_, *audit_, o));
  NewMessage m;
  m.to = {"jan@klient.example"};
  m.subject = "Przypomnienie o płatności";
  m.key = "reminder/order/3/1";
  const Message first = box->Queue(m, "system").value();
  const Message again = box->Queue(m, "system").value();
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(box->queued(), 1u);
  m.key = "reminder/order/3/2";
  EXPECT_NE(box->Queue(m, "system")->id, first.id);
}

}  // namespace
}  // namespace quire::mail
