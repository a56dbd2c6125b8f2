// org::Identity on a real store and audit chain with a manual clock: passwords and their
// rules, sessions (idle and absolute expiry), API tokens (expiry, revocation, narrower
// roles), TOTP (enrol, use, replay refused, recovery codes), throttling and its recovery,
// roles through groups, the first administrator — and that no secret reaches the chain.
#include "quire/org/identity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <liboath/oath.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "quire/audit/log.h"
#include "quire/storage/store.h"
#include "quire/testing/result_matchers.h"
#include "quire/testing/temp_dir.h"

namespace quire::org {
namespace {

using ::quire::testing::HasError;
using ::quire::testing::IsOk;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr const char* kPassword = "correct horse battery staple";

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*storage::Store::Open(dir_.path() / "data"));
    audit_ = std::move(*audit::AuditLog::Open(*store_, dir_.path()));
    directory_ = std::make_unique<Directory>(*store_, audit_.get(), clock_);
    IdentityOptions options;
    options.initial_password_file = dir_.path() / "initial-admin-password";
    identity_ = std::make_unique<Identity>(*directory_, options);
    ASSERT_THAT(directory_->PutUser({"anna", "Anna", "", "", true, ""}, "setup"), IsOk());
    ASSERT_THAT(directory_->PutUser({"ben", "Ben", "", "", true, ""}, "setup"), IsOk());
    ASSERT_THAT(identity_->SetUserRoles("anna", {"staff"}, "setup"), IsOk());
    ASSERT_THAT(identity_->SetPassword("anna", kPassword, "setup"), IsOk());
  }

  Result<LoginResult> Login(const std::string& user, const std::string& password,
                            const std::string& totp = "", const std::string& address = "10.0.0.1") {
    return identity_->Login({user, password, totp, address, "test"});
  }

  // The code an authenticator app shows now for a base32 key.
  std::string Code(const std::string& base32, Timestamp at) {
    char* raw = nullptr;
    std::size_t len = 0;
    EXPECT_EQ(oath_base32_decode(base32.data(), base32.size(), &raw, &len), OATH_OK);
    char otp[7] = {};
    EXPECT_EQ(oath_totp_generate(raw, len, at.time_since_epoch().count() / 1000, 30, 0, 6, otp),
              OATH_OK);
    std::free(raw);
    return otp;
  }

  std::string Chain() {
    std::ostringstream out;
    EXPECT_THAT(audit_->Export(0, 0, out), IsOk());
    return out.str();
  }

  quire::testing::TempDir dir_;
  ManualClock clock_{Timestamp(std::chrono::sys_days(std::chrono::year(2026) / 12 / 1))};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<Directory> directory_;
  std::unique_ptr<Identity> identity_;
};

TEST_F(IdentityTest, PasswordRules) {
  EXPECT_THAT(CheckPasswordRules("short", "anna"), HasError(ErrorCode::kValidationFailed));
  EXPECT_THAT(CheckPasswordRules(std::string(129, 'x'), "anna"),
              HasError(ErrorCode::kValidationFailed));
  auto common = CheckPasswordRules("Password1", "anna");
  ASSERT_THAT(common, HasError(ErrorCode::kValidationFailed));
  EXPECT_THAT(common.error().message(), HasSubstr("most common"));
  EXPECT_EQ(common.error().details().at(0).field, "password");
  EXPECT_THAT(CheckPasswordRules("qwertyuiop", "anna"), HasError(ErrorCode::kValidationFailed));
  EXPECT_THAT(CheckPasswordRules("Anna.Nowak", "anna.nowak"),
              HasError(ErrorCode::kValidationFailed));
  // No composition rules: a long lower-case phrase is fine, and so are 8 multi-byte letters.
  EXPECT_THAT(CheckPasswordRules("zażółć gęślą jaźń", "anna"), IsOk());
  EXPECT_THAT(CheckPasswordRules("żółwiąęś", "anna"), IsOk());
  EXPECT_THAT(CheckPasswordRules(std::string(128, 'x'), "anna"), IsOk());
}

TEST_F(IdentityTest, LoginGivesASessionWithTheUsersPermissions) {
  auto login = Login("anna", kPassword);
  ASSERT_THAT(login, IsOk());
  EXPECT_GE(login->session_secret.size(), 43u);  // 256 bits, base64url
  EXPECT_EQ(login->principal->user, "anna");
  EXPECT_TRUE(login->principal->Has(Permission::kTasksWork));
  EXPECT_FALSE(login->principal->Has(Permission::kAuditExport));
  EXPECT_FALSE(login->principal->csrf_token.empty());
  auto again = identity_->AuthenticateSession(login->session_secret);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ((*again)->csrf_token, login->principal->csrf_token);
  // Every sign-in makes a new session.
  auto second = Login("anna", kPassword);
  ASSERT_THAT(second, IsOk());
  EXPECT_NE(second->session_secret, login->session_secret);
  EXPECT_EQ(identity_->Sessions("anna")->size(), 2u);
  // Logout ends it.
  ASSERT_THAT(identity_->Logout(login->session_secret), IsOk());
  EXPECT_THAT(identity_->AuthenticateSession(login->session_secret),
              HasError(ErrorCode::kUnauthenticated));
  EXPECT_THAT(identity_->AuthenticateSession(second->session_secret), IsOk());
}

TEST_F(IdentityTest, WrongPasswordUnknownUserAndDisabledAccountLookTheSame) {
  auto wrong = Login("anna", "not the password at all");
  auto unknown = Login("nobody", "not the password at all");
  ASSERT_THAT(wrong, HasError(ErrorCode::kUnauthenticated));
  ASSERT_THAT(unknown, HasError(ErrorCode::kUnauthenticated));
  EXPECT_EQ(wrong.error().message(), unknown.error().message());
  ASSERT_THAT(identity_->SetActive("anna", false, "admin"), IsOk());
  auto disabled = Login("anna", kPassword, "", "10.0.0.2");
  ASSERT_THAT(disabled, HasError(ErrorCode::kUnauthenticated));
  EXPECT_EQ(disabled.error().message(), wrong.error().message());
}

TEST_F(IdentityTest, SessionsExpireWhenIdleAndAfterTheirMaximum) {
  auto login = Login("anna", kPassword);
  ASSERT_THAT(login, IsOk());
  // Used every 20 minutes: alive past the idle limit of 30...
  for (int i = 0; i < 6; ++i) {
    clock_.Advance(20min);
    ASSERT_THAT(identity_->AuthenticateSession(login->session_secret), IsOk()) << i;
  }
  // ... but 31 idle minutes end it.
  clock_.Advance(31min);
  auto idle = identity_->AuthenticateSession(login->session_secret);
  ASSERT_THAT(idle, HasError(ErrorCode::kUnauthenticated));
  EXPECT_THAT(idle.error().message(), HasSubstr("without use"));
  EXPECT_TRUE(identity_->Sessions("anna")->empty());

  // Absolute: 12 hours after sign-in, however busy.
  auto busy = Login("anna", kPassword);
  ASSERT_THAT(busy, IsOk());
  for (int i = 0; i < 12 * 3 - 1; ++i) {
    clock_.Advance(20min);
    ASSERT_THAT(identity_->AuthenticateSession(busy->session_secret), IsOk()) << i;
  }
  clock_.Advance(20min);
  auto absolute = identity_->AuthenticateSession(busy->session_secret);
  ASSERT_THAT(absolute, HasError(ErrorCode::kUnauthenticated));
  EXPECT_THAT(absolute.error().message(), HasSubstr("maximum"));
}

TEST_F(IdentityTest, SessionsSurviveARestartAndEndWithAPasswordChangeOrDisabling) {
  auto login = Login("anna", kPassword);
  ASSERT_THAT(login, IsOk());
  identity_ = std::make_unique<Identity>(*directory_, IdentityOptions{});  // a new process
  ASSERT_THAT(identity_->AuthenticateSession(login->session_secret), IsOk());
  ASSERT_THAT(identity_->SetPassword("anna", "another long passphrase", "admin"), IsOk());
  EXPECT_THAT(identity_->AuthenticateSession(login->session_secret),
              HasError(ErrorCode::kUnauthenticated));
  EXPECT_THAT(Login("anna", kPassword), HasError(ErrorCode::kUnauthenticated));
  auto fresh = Login("anna", "another long passphrase");
  ASSERT_THAT(fresh, IsOk());
  ASSERT_THAT(identity_->SetActive("anna", false, "admin"), IsOk());
  EXPECT_THAT(identity_->AuthenticateSession(fresh->session_secret),
              HasError(ErrorCode::kUnauthenticated));
  // Changing one's own password needs the current one.
  ASSERT_THAT(identity_->SetActive("anna", true, "admin"), IsOk());
  EXPECT_THAT(identity_->ChangeOwnPassword("anna", "wrong", "a third long passphrase"),
              HasError(ErrorCode::kUnauthenticated));
  EXPECT_THAT(
      identity_->ChangeOwnPassword("anna", "another long passphrase", "a third long passphrase"),
      IsOk());
}

// Signing in, using a session or token (last use written once a minute) and failing to sign
// in change nobody's rights: cached principals stay valid. A change of roles does not.
TEST_F(IdentityTest, BookkeepingKeepsCachedPrincipalsAndRightsChangesDropThem) {
  auto token = identity_->CreateToken("anna", "", std::nullopt, {}, "setup");
  ASSERT_THAT(token, IsOk());
  const std::uint64_t before = directory_->generation();
  auto login = Login("anna", kPassword);
  ASSERT_THAT(login, IsOk());
  EXPECT_THAT(Login("ben", "not his password"), HasError(ErrorCode::kUnauthenticated));
  for (int minute = 0; minute < 3; ++minute) {
    ASSERT_THAT(identity_->AuthenticateToken(token->secret), IsOk());
    ASSERT_THAT(identity_->AuthenticateSession(login->session_secret), IsOk());
    clock_.Advance(std::chrono::seconds(61));
  }
  EXPECT_TRUE(identity_->GetToken(token->info.id)->last_used.has_value());
  EXPECT_EQ(directory_->generation(), before);
  ASSERT_THAT(identity_->SetUserRoles("anna", {"staff", "supervisor"}, "admin"), IsOk());
  EXPECT_GT(directory_->generation(), before);
  auto principal = identity_->AuthenticateToken(token->secret);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ((*principal)->roles, (std::vector<std::string>{"staff", "supervisor"}));
}

TEST_F(IdentityTest, AnotherUsersSessionCannotBeEndedOrListed) {
  auto login = Login("anna", kPassword);
  ASSERT_THAT(login, IsOk());
  const std::string id = login->session.id;
  EXPECT_THAT(identity_->EndSession("ben", id, "ben"), HasError(ErrorCode::kNotFound));
  EXPECT_TRUE(identity_->Sessions("ben")->empty());
  EXPECT_THAT(identity_->AuthenticateSession(login->session_secret), IsOk());
  EXPECT_THAT(identity_->EndSession("anna", id, "anna"), IsOk());
  EXPECT_THAT(identity_->AuthenticateSession(login->session_secret),
              HasError(ErrorCode::kUnauthenticated));
}

TEST_F(IdentityTest, FailedSignInsAreThrottledAndRecover) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(Login("anna", "wrong password " + std::to_string(i)),
                HasError(ErrorCode::kUnauthenticated));
  }
  // The sixth try waits, even with the right password: 429 with how long.
  auto throttled = Login("anna", kPassword);
  ASSERT_THAT(throttled, HasError(ErrorCode::kTooManyRequests));
  EXPECT_EQ(throttled.error().details().at(0).field, "retryAfter");
  clock_.Advance(2s);
  EXPECT_THAT(Login("anna", "wrong again"), HasError(ErrorCode::kUnauthenticated));
  // Each further failure doubles the wait, but never locks the owner out for good.
  EXPECT_THAT(Login("anna", kPassword), HasError(ErrorCode::kTooManyRequests));
  clock_.Advance(3s);
  EXPECT_THAT(Login("anna", kPassword), IsOk());
  // Success resets the account's count.
  EXPECT_THAT(Login("anna", "wrong once more"), HasError(ErrorCode::kUnauthenticated));
  EXPECT_THAT(Login("anna", kPassword), IsOk());
  // Many accounts tried from one address: the address waits too.
  for (int i = 0; i < 20; ++i) (void)Login("user" + std::to_string(i), "guess", "", "10.9.9.9");
  EXPECT_THAT(Login("anna", kPassword, "", "10.9.9.9"), HasError(ErrorCode::kTooManyRequests));
  EXPECT_THAT(Login("anna", kPassword, "", "10.0.0.7"), IsOk());
  // The back-off is capped.
  for (int i = 0; i < 40; ++i) {
    clock_.Advance(16min);
    (void)Login("ben", "guess", "", "10.1.1." + std::to_string(i));
  }
  ASSERT_THAT(identity_->SetPassword("ben", "bens long passphrase", "admin"), IsOk());
  clock_.Advance(15min + 1s);
  EXPECT_THAT(Login("ben", "bens long passphrase", "", "10.2.2.2"), IsOk());
}

TEST_F(IdentityTest, TokensAuthenticateUntilExpiredOrRevoked) {
  auto t = identity_->CreateToken("anna", "ci", clock_.Now() + 24h, {}, "admin");
  ASSERT_THAT(t, IsOk());
  EXPECT_TRUE(t->secret.starts_with("qt_"));
  EXPECT_GE(t->secret.size(), 3u + 43u);
  auto p = identity_->AuthenticateToken(t->secret);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ((*p)->user, "anna");
  EXPECT_EQ((*p)->via, Principal::Via::kToken);
  EXPECT_EQ((*p)->credential, t->info.id);
  EXPECT_THAT(identity_->AuthenticateToken("qt_forged"), HasError(ErrorCode::kUnauthenticated));
  EXPECT_THAT(identity_->AuthenticateToken(t->secret + "x"), HasError(ErrorCode::kUnauthenticated));
  // Last use is recorded.
  EXPECT_TRUE(identity_->Tokens("anna")->at(0).last_used.has_value());
  clock_.Advance(25h);
  EXPECT_THAT(identity_->AuthenticateToken(t->secret), HasError(ErrorCode::kUnauthenticated));

  auto u = identity_->CreateToken("anna", "script", std::nullopt, {}, "admin");
  ASSERT_THAT(u, IsOk());
  ASSERT_THAT(identity_->AuthenticateToken(u->secret), IsOk());
  ASSERT_THAT(identity_->RevokeToken(u->info.id, "anna"), IsOk());
  EXPECT_THAT(identity_->AuthenticateToken(u->secret), HasError(ErrorCode::kUnauthenticated));
  EXPECT_THAT(identity_->RevokeToken(u->info.id, "anna"), HasError(ErrorCode::kNotFound));
  // A disabled user's tokens stop working.
  auto v = identity_->CreateToken("anna", "", std::nullopt, {}, "admin");
  ASSERT_THAT(v, IsOk());
  ASSERT_THAT(identity_->SetActive("anna", false, "admin"), IsOk());
  EXPECT_THAT(identity_->AuthenticateToken(v->secret), HasError(ErrorCode::kUnauthenticated));
  EXPECT_THAT(identity_->CreateToken("anna", "", clock_.Now() - 1h, {}, "admin"),
              HasError(ErrorCode::kInvalidArgument));
}

TEST_F(IdentityTest, TokenRolesOnlyNarrow) {
  ASSERT_THAT(identity_->SetUserRoles("anna", {"staff", "auditor"}, "admin"), IsOk());
  EXPECT_THAT(identity_->CreateToken("anna", "", std::nullopt, {"administrator"}, "admin"),
              HasError(ErrorCode::kInvalidArgument));
  auto t = identity_->CreateToken("anna", "export", std::nullopt, {"auditor"}, "admin");
  ASSERT_THAT(t, IsOk());
  auto p = identity_->AuthenticateToken(t->secret);
  ASSERT_THAT(p, IsOk());
  EXPECT_TRUE((*p)->Has(Permission::kAuditExport));
  EXPECT_FALSE((*p)->Has(Permission::kTasksWork));
  // Losing the role takes it from the token too.
  ASSERT_THAT(identity_->SetUserRoles("anna", {"staff"}, "admin"), IsOk());
  p = identity_->AuthenticateToken(t->secret);
  ASSERT_THAT(p, IsOk());
  EXPECT_FALSE((*p)->Has(Permission::kAuditExport));
}

TEST_F(IdentityTest, RolesComeThroughGroupsAndCustomRolesCanBeDefined) {
  ASSERT_THAT(directory_->PutGroup({"auditors", "Auditors"}, "admin"), IsOk());
  ASSERT_THAT(directory_->AddMember("auditors", "ben", "admin"), IsOk());
  ASSERT_THAT(identity_->SetGroupRoles("auditors", {"auditor"}, "admin"), IsOk());
  auto ben = identity_->PrincipalOf("ben");
  ASSERT_THAT(ben, IsOk());
  EXPECT_TRUE((*ben)->Has(Permission::kAuditExport));
  EXPECT_THAT((*ben)->roles, Contains("auditor"));
  Role sales{"sales-lead", "Sales lead", "", {{Permission::kTasksWork, Scope::kTeam}},
             false,        false};
  ASSERT_THAT(identity_->PutRole(sales, "admin"), IsOk());
  ASSERT_THAT(identity_->SetUserRoles("ben", {"sales-lead"}, "admin"), IsOk());
  ben = identity_->PrincipalOf("ben");
  EXPECT_EQ((*ben)->permissions.ScopeOf(Permission::kTasksWork), Scope::kTeam);
  EXPECT_THAT(identity_->PutRole({"staff", "", "", {}, false, false}, "admin"),
              HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(identity_->SetUserRoles("ben", {"no-such-role"}, "admin"),
              HasError(ErrorCode::kNotFound));
  EXPECT_THAT(identity_->SetUserRoles("nobody", {"staff"}, "admin"),
              HasError(ErrorCode::kNotFound));
  // Leaving the group takes its roles.
  ASSERT_THAT(directory_->RemoveMember("auditors", "ben", "admin"), IsOk());
  EXPECT_FALSE((*identity_->PrincipalOf("ben"))->Has(Permission::kAuditExport));
}

TEST_F(IdentityTest, TotpEnrolUseAndReplayRefused) {
  auto e = identity_->BeginTotp("anna");
  ASSERT_THAT(e, IsOk());
  EXPECT_THAT(e->uri, HasSubstr("otpauth://totp/Quire:anna?secret=" + e->secret_base32));
  EXPECT_THAT(identity_->ConfirmTotp("anna", "000000"), HasError(ErrorCode::kValidationFailed));
  auto codes = identity_->ConfirmTotp("anna", Code(e->secret_base32, clock_.Now()));
  ASSERT_THAT(codes, IsOk());
  ASSERT_EQ(codes->size(), 10u);
  // The password alone is no longer enough.
  auto missing = Login("anna", kPassword);
  ASSERT_THAT(missing, HasError(ErrorCode::kUnauthenticated));
  EXPECT_THAT(missing.error().message(), HasSubstr("second factor"));
  // The code used to confirm cannot be used again (replay), nor a wrong one.
  EXPECT_THAT(Login("anna", kPassword, Code(e->secret_base32, clock_.Now())),
              HasError(ErrorCode::kUnauthenticated));
  EXPECT_THAT(Login("anna", kPassword, "123456"), HasError(ErrorCode::kUnauthenticated));
  clock_.Advance(30s);
  const std::string next = Code(e->secret_base32, clock_.Now());
  EXPECT_THAT(Login("anna", kPassword, next), IsOk());
  EXPECT_THAT(Login("anna", kPassword, next, "10.0.0.3"), HasError(ErrorCode::kUnauthenticated));
  // A recovery code works once.
  EXPECT_THAT(Login("anna", kPassword, codes->at(0), "10.0.0.4"), IsOk());
  EXPECT_THAT(Login("anna", kPassword, codes->at(0), "10.0.0.5"),
              HasError(ErrorCode::kUnauthenticated));
  // HTTP Basic cannot carry the second factor: a password is refused, a token is not.
  EXPECT_THAT(identity_->AuthenticateBasic("anna", kPassword, "10.0.0.6"),
              HasError(ErrorCode::kUnauthenticated));
  // An administrator turns it off (a lost phone).
  ASSERT_THAT(identity_->DisableTotp("anna", "admin"), IsOk());
  clock_.Advance(20min);
  EXPECT_THAT(Login("anna", kPassword, "", "10.0.0.8"), IsOk());
}

TEST_F(IdentityTest, ARoleThatRequiresASecondFactorHoldsNothingUntilOneIsSetUp) {
  Role careful{"careful", "Careful", "", {{Permission::kAuditExport, Scope::kAll}}, false, true};
  ASSERT_THAT(identity_->PutRole(careful, "admin"), IsOk());
  ASSERT_THAT(identity_->SetUserRoles("anna", {"careful"}, "admin"), IsOk());
  auto login = Login("anna", kPassword);
  ASSERT_THAT(login, IsOk());
  EXPECT_TRUE(login->principal->must_enrol_totp);
  EXPECT_FALSE(login->principal->Has(Permission::kAuditExport));
}

TEST_F(IdentityTest, TheFirstAdministratorIsCreatedOnceWithAPrivateFile) {
  const std::filesystem::path file = dir_.path() / "initial-admin-password";
  auto first = identity_->EnsureAdministrator();
  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(first->has_value());
  EXPECT_GE((*first)->size(), 20u);
  std::string stored;
  std::ifstream(file) >> stored;
  EXPECT_EQ(stored, **first);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto admin = Login("admin", **first);
  ASSERT_THAT(admin, IsOk());
  EXPECT_TRUE(admin->principal->Has(Permission::kOrgAdminister));
  // Not again while an administrator exists.
  auto second = identity_->EnsureAdministrator();
  ASSERT_THAT(second, IsOk());
  EXPECT_FALSE(second->has_value());
  // The file goes at the first password change.
  ASSERT_THAT(identity_->ChangeOwnPassword("admin", **first, "the admins own passphrase"), IsOk());
  EXPECT_FALSE(std::filesystem::exists(file));
}

TEST_F(IdentityTest, NoSecretReachesTheAuditChain) {
  auto login = Login("anna", kPassword);
  ASSERT_THAT(login, IsOk());
  (void)Login("anna", "a wrong password typed by mistake");
  (void)Login("stranger", "whatever they typed");
  auto t = identity_->CreateToken("anna", "ci", std::nullopt, {}, "admin");
  ASSERT_THAT(t, IsOk());
  ASSERT_THAT(identity_->RevokeToken(t->info.id, "admin"), IsOk());
  const std::string chain = Chain();
  for (const std::string& secret :
       {std::string(kPassword), std::string("a wrong password typed by mistake"),
        std::string("whatever they typed"), std::string("stranger"), login->session_secret,
        login->principal->csrf_token, t->secret}) {
    EXPECT_THAT(chain, Not(HasSubstr(secret))) << secret;
  }
  for (const char* action : {"session.started", "session.refused", "token.created", "token.revoked",
                             "user.password-changed"}) {
    EXPECT_THAT(chain, HasSubstr(action));
  }
  EXPECT_THAT(chain, HasSubstr(login->session.id));
}

}  // namespace
}  // namespace quire::org
