// The offline administration commands in the exact forms scripts rely on (`quire user add |
// passwd | roles | disable | enable | list`, `quire token create | list | revoke`), run as
// real processes on a stopped data directory, and what they did checked through a real
// `quire serve` afterwards: the password signs in, the roles are the caller's, a disabled
// user and a revoked token are refused. Bad input changes nothing and says why. The audit
// chain records each change as local administration by the operating-system user.
#include <pwd.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>

#include "quire/testing/child_process.h"
#include "quire/testing/http_client.h"
#include "quire/testing/quire_server.h"
#include "quire/testing/result_matchers.h"
#include "quire/testing/temp_dir.h"

namespace quire {
namespace {

using ::quire::testing::ChildProcess;
using ::quire::testing::ExitStatus;
using ::quire::testing::HttpConnection;
using ::quire::testing::HttpReply;
using ::quire::testing::IsOk;
using ::quire::testing::MakeRequest;
using ::quire::testing::QuireServer;
using ::quire::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;
namespace json = boost::json;

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

// `quire ARGS...`, with `input` on its standard input (through the shell: the test helper
// has no stdin pipe).
CliRun Quire(const std::vector<std::string>& args, const std::string& input = "") {
  std::vector<std::string> sh{"-c", "printf '%s' \"$QUIRE_INPUT\" | \"$0\" \"$@\"", QUIRE_BINARY};
  sh.insert(sh.end(), args.begin(), args.end());
  ::setenv("QUIRE_INPUT", input.c_str(), 1);
  auto c = ChildProcess::Spawn("/bin/sh", sh);
  EXPECT_TRUE(c.has_value());
  if (!c) return {};
  CliRun r;
  r.out = c->ReadAllStdout();
  r.err = c->ReadAllStderr();
  r.code = c->Wait(120s).value_or(ExitStatus{}).code;
  return r;
}

std::string OsUser() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "unknown";
}

class UserCliTest : public ::testing::Test {
 protected:
  CliRun Q(std::vector<std::string> args, const std::string& input = "") {
    args.push_back("--data-dir");
    args.push_back(data_);
    return Quire(args, input);
  }

  // Runs `check` against a server on the data dir, then stops it (the CLI needs the store).
  void Serving(const std::function<void(std::uint16_t)>& check) {
    QuireServer server(QUIRE_BINARY, data_);
    ASSERT_NE(server.port, 0);
    check(server.port);
    server.child->Signal(SIGTERM);
    EXPECT_EQ(server.child->Wait(30s).value_or(ExitStatus{}).code, 0);
  }

  static HttpReply Send(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body,
                        std::vector<std::pair<std::string, std::string>> headers) {
    auto c = HttpConnection::Connect(port);
    EXPECT_TRUE(c.has_value());
    if (!c) return {};
    headers.emplace_back("Content-Type", "application/json");
    EXPECT_THAT(c->Send(MakeRequest(method, target, body, headers)), IsOk());
    return c->ReadReply(30s).value_or(HttpReply{});
  }
  static int Login(std::uint16_t port, const std::string& user, const std::string& password) {
    return Send(port, "POST", "/api/auth/login",
                json::serialize(json::object{{"user", user}, {"password", password}}), {})
        .status;
  }
  static HttpReply Me(std::uint16_t port, const std::string& token) {
    return Send(port, "GET", "/api/me", "", {{"Authorization", "Bearer " + token}});
  }

  TempDir dir_;
  std::string data_ = dir_.Sub("data").string();
};

TEST_F(UserCliTest, TheOfflineFormsWorkEndToEnd) {
  const std::string password = "a long and quiet passphrase";
  CliRun add = Q({"user", "add", "anna", "--name", "Anna Nowak", "--email", "anna@example.com",
                  "--role", "staff", "--password-stdin"},
                 password + "\n");
  ASSERT_EQ(add.code, 0) << add.err;
  EXPECT_THAT(add.out + add.err, Not(HasSubstr(password)));
  ASSERT_EQ(Q({"user", "roles", "anna", "--set", "staff,supervisor"}).code, 0);
  CliRun list = Q({"user", "list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("anna\tAnna Nowak\tactive\tstaff,supervisor"));

  CliRun created = Q({"token", "create", "--user", "anna", "--name", "ci", "--expires", "P30D"});
  ASSERT_EQ(created.code, 0) << created.err;
  std::string out = created.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  const std::string token = out.substr(out.find_last_of('\n') + 1);
  ASSERT_TRUE(token.starts_with("qt_")) << created.out;
  CliRun tokens = Q({"token", "list", "--user", "anna"});
  ASSERT_EQ(tokens.code, 0) << tokens.err;
  EXPECT_THAT(tokens.out, HasSubstr("\tanna\tci\t"));
  EXPECT_THAT(tokens.out, HasSubstr("expires "));
  EXPECT_THAT(tokens.out, Not(HasSubstr(token)));  // shown once, stored as a hash
  const std::string token_id = tokens.out.substr(0, tokens.out.find('\t'));

  Serving([&](std::uint16_t port) {
    EXPECT_EQ(Login(port, "anna", password), 200);
    const HttpReply me = Me(port, token);
    ASSERT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(json::parse(me.body).at("roles"), json::parse(R"(["staff","supervisor"])"));
  });

  // A new password replaces the old; disabling stops the password and the token.
  ASSERT_EQ(Q({"user", "passwd", "anna", "--password-stdin"}, "another long passphrase\n").code, 0);
  ASSERT_EQ(Q({"user", "disable", "anna"}).code, 0);
  EXPECT_THAT(Q({"user", "list"}).out, HasSubstr("anna\tAnna Nowak\tdisabled"));
  Serving([&](std::uint16_t port) {
    EXPECT_EQ(Login(port, "anna", "another long passphrase"), 401);
    EXPECT_EQ(Me(port, token).status, 401);
  });
  ASSERT_EQ(Q({"user", "enable", "anna"}).code, 0);
  Serving([&](std::uint16_t port) {
    EXPECT_EQ(Login(port, "anna", password), 401);
    EXPECT_EQ(Login(port, "anna", "another long passphrase"), 200);
    EXPECT_EQ(Me(port, token).status, 200);
  });
  CliRun revoked = Q({"token", "revoke", token_id, "--as", "maria"});
  ASSERT_EQ(revoked.code, 0) << revoked.err;
  Serving([&](std::uint16_t port) { EXPECT_EQ(Me(port, token).status, 401); });

  // The chain: local administration, by the OS user (or the --as name), never a secret.
  CliRun exported = Q({"audit", "export"});
  ASSERT_EQ(exported.code, 0) << exported.err;
  EXPECT_THAT(exported.out, Not(HasSubstr(password)));
  EXPECT_THAT(exported.out, Not(HasSubstr(token)));
  std::map<std::string, json::object> last;
  std::istringstream lines(exported.out);
  for (std::string line; std::getline(lines, line);) {
    json::object e = json::parse(line).as_object();
    last[std::string(e.at("action").as_string())] = std::move(e);
  }
  const std::string local = "local (" + OsUser() + ")";
  ASSERT_TRUE(last.contains("user.password-changed"));
  EXPECT_EQ(last["user.password-changed"].at("actor"), json::value("local:" + OsUser()));
  EXPECT_EQ(last["user.password-changed"].at("details").at("via"), json::value(local));
  ASSERT_TRUE(last.contains("token.revoked"));
  EXPECT_EQ(last["token.revoked"].at("actor"), "maria");
  EXPECT_EQ(last["token.revoked"].at("details").at("via"), json::value(local));
}

TEST_F(UserCliTest, BadInputIsRefusedWithAReasonAndChangesNothing) {
  ASSERT_EQ(Q({"user", "add", "anna", "--name", "Anna", "--role", "staff"}).code, 0);
  struct Case {
    std::vector<std::string> args;
    std::string input;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"user", "add", "ben", "--name", "Ben", "--role", "sorcerer"}, "", "sorcerer"},
      {{"user", "add", "cleo", "--role", "staff"}, "", "--name"},
      {{"user", "add", "dave", "--name", "Dave", "--password-stdin"}, "password\n", "common"},
      {{"user", "add", "eve", "--name", "Eve", "--password-stdin"}, "short\n", "8"},
      {{"user", "add", "anna", "--name", "Anna again"}, "", "anna"},
      {{"user", "passwd", "anna"}, "", "--password-stdin"},
      {{"user", "passwd", "nobody", "--password-stdin"}, "a long enough passphrase\n", "nobody"},
      {{"user", "roles", "anna", "--set", "staff,sorcerer"}, "", "sorcerer"},
      {{"user", "disable", "nobody"}, "", "nobody"},
      {{"user", "frobnicate"}, "", "frobnicate"},
      {{"token", "create"}, "", "--user"},
      {{"token", "create", "--user", "anna", "--expires", "soon"}, "", "P90D"},
      {{"token", "create", "--user", "anna", "--role", "administrator"}, "", "administrator"},
      {{"token", "create", "--user", "nobody"}, "", "nobody"},
      {{"token", "revoke", "no-such-token"}, "", "no-such-token"},
  };
  for (const Case& c : cases) {
    std::string what;
    for (const std::string& a : c.args) what += a + " ";
    const CliRun r = Q(c.args, c.input);
    EXPECT_NE(r.code, 0) << what;
    EXPECT_THAT(r.err, HasSubstr(c.says)) << what;
  }
  const CliRun list = Q({"user", "list"});
  EXPECT_EQ(list.out, "anna\tAnna\tactive\tstaff\n");
  EXPECT_EQ(Q({"token", "list"}).out, "");
}

}  // namespace
}  // namespace quire
