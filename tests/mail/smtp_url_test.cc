// SMTP URLs as `quire serve --smtp-url` takes them: every part read, every mistake named,
// the password never shown.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "quire/mail/smtp.h"

namespace quire::mail {
namespace {

using ::testing::HasSubstr;

TEST(SmtpUrlTest, ThePartsAndTheirDefaults) {
  auto plain = ParseSmtpUrl("smtp://mail.example.com");
  ASSERT_TRUE(plain) << plain.error().message();
  EXPECT_EQ(plain->host, "mail.example.com");
  EXPECT_EQ(plain->port, 25);
  EXPECT_EQ(plain->tls, TlsMode::kOpportunistic);
  EXPECT_TRUE(plain->user.empty());

  auto submission = ParseSmtpUrl("smtp://biuro%40firma.pl:s%3Acret@smtp.firma.pl?tls=required");
  ASSERT_TRUE(submission) << submission.error().message();
  EXPECT_EQ(submission->user, "biuro@firma.pl");
  EXPECT_EQ(submission->password, "s:cret");
  EXPECT_EQ(submission->port, 587);  // a user: the submission port
  EXPECT_EQ(submission->tls, TlsMode::kRequired);
  EXPECT_EQ(submission->Display(), "smtp://biuro@firma.pl:***@smtp.firma.pl:587?tls=required");

  auto implicit = ParseSmtpUrl("smtps://u:p@[::1]:2465?ca=/etc/ssl/firma.pem");
  ASSERT_TRUE(implicit) << implicit.error().message();
  EXPECT_EQ(implicit->host, "::1");
  EXPECT_EQ(implicit->port, 2465);
  EXPECT_EQ(implicit->tls, TlsMode::kImplicit);
  EXPECT_EQ(implicit->ca_file, "/etc/ssl/firma.pem");
  EXPECT_EQ(ParseSmtpUrl("smtps://relay")->port, 465);
  EXPECT_EQ(ParseSmtpUrl("smtp://127.0.0.1:2525?tls=none")->tls, TlsMode::kNone);
}

TEST(SmtpUrlTest, MistakesAreNamedAndThePasswordIsNeverRepeated) {
  struct Case {
    const char* url;
    const char* says;
  };
  for (const Case& c :
       {Case{"http://mail.example.com", "smtp:// or smtps://"}, Case{"smtp://", "no host"},
        Case{"smtp://host:0", "not a port"}, Case{"smtp://host:99999", "not a port"},
        Case{"smtp://host:25x", "not a port"}, Case{"smtp://justuser@host", "without a password"},
        Case{"smtp://host?tls=sometimes", "tls=required or tls=none"},
        Case{"smtps://host?tls=none", "takes no tls="},
        Case{"smtp://host?port=25", "'port' is not known"}, Case{"smtp://u:TopSecret1@[::1", "']'"},
        Case{"smtp://u:Top?Secret1@host:99999", "not a port"},
        Case{"smtp://u:Top:Secret1/x@host?tls=maybe", "tls=required"}}) {
    auto r = ParseSmtpUrl(c.url);
    ASSERT_FALSE(r) << c.url;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << c.url;
    EXPECT_THAT(r.error().message(), HasSubstr(c.says)) << c.url;
    EXPECT_THAT(r.error().message(), ::testing::Not(HasSubstr("Secret1"))) << c.url;
  }
}

}  // namespace
}  // namespace quire::mail
