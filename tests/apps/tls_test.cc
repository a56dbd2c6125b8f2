// quire serve over TLS with a real client (curl): --tls auto makes a self-signed certificate
// (its key private to its owner) and prints its fingerprint; HTTPS answers with HSTS and a
// __Host- session cookie marked Secure; old protocol versions and plain HTTP on the TLS port
// are refused; a certificate and key given by file are used as they are.
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "quire/testing/child_process.h"
#include "quire/testing/http_client.h"
#include "quire/testing/quire_server.h"
#include "quire/testing/temp_dir.h"

namespace quire {
namespace {

using ::quire::testing::ChildProcess;
using ::quire::testing::ExitStatus;
using ::quire::testing::QuireServer;
using ::quire::testing::TempDir;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

struct Curl {
  int code = -1;
  std::string out;
  std::string err;
};

Curl RunCurl(const std::vector<std::string>& args) {
  auto c = ChildProcess::Spawn("/usr/bin/curl", args);
  EXPECT_TRUE(c.has_value());
  if (!c) return {};
  Curl r;
  r.out = c->ReadAllStdout();
  r.err = c->ReadAllStderr();
  r.code = c->Wait(60s).value_or(ExitStatus{}).code;
  return r;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(TlsTest, ServesHttpsToARealClientAndRefusesPlainHttp) {
  TempDir dir;
  const std::string data = dir.Sub("data").string();
  const auto tokens = quire::testing::ProvisionUsers(
      QUIRE_BINARY, data, {{"anna", {"staff"}}, {"admin", {"administrator"}}});
  std::string fingerprint;
  {
    QuireServer server(QUIRE_BINARY, data, {"--tls", "auto"});
    ASSERT_NE(server.port, 0);
    const std::string cert = data + "/tls/cert.pem";
    struct stat st {};
    ASSERT_EQ(::stat((data + "/tls/key.pem").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    const std::string url = "https://127.0.0.1:" + std::to_string(server.port);

    const Curl health = RunCurl({"-sS", "-D", "-", "--cacert", cert, url + "/health"});
    ASSERT_EQ(health.code, 0) << health.err;
    EXPECT_THAT(health.out, HasSubstr("HTTP/1.1 200"));
    EXPECT_THAT(Lower(health.out), HasSubstr("strict-transport-security: max-age=31536000"));
    EXPECT_THAT(health.out, HasSubstr(R"({"status":"ok"})"));

    const Curl me = RunCurl({"-sS", "--cacert", cert, "-H",
                             "Authorization: Bearer " + tokens.at("anna"), url + "/api/me"});
    ASSERT_EQ(me.code, 0) << me.err;
    EXPECT_THAT(me.out, HasSubstr(R"("id":"anna")"));

    // Without trusting the certificate, curl refuses it (self-signed)...
    EXPECT_NE(RunCurl({"-sS", url + "/health"}).code, 0);
    // ... and TLS 1.1 or older is not spoken.
    const Curl old =
        RunCurl({"-sS", "--cacert", cert, "--tlsv1", "--tls-max", "1.1", url + "/health"});
    EXPECT_NE(old.code, 0);

    // Plain HTTP to the TLS port: a clear 400, not a broken handshake.
    auto plain = quire::testing::Fetch(server.port, "GET", "/health");
    ASSERT_TRUE(plain.has_value());
    EXPECT_EQ(plain->status, 400);
    EXPECT_THAT(plain->body, HasSubstr("HTTPS"));

    // A sign-in over TLS sets a __Host- cookie marked Secure.
    const Curl set = RunCurl(
        {"-sS", "-X", "PUT", "--cacert", cert, "-H", "Authorization: Bearer " + tokens.at("admin"),
         "-d", R"({"password": "annas tls passphrase"})", url + "/api/users/anna/password"});
    ASSERT_EQ(set.code, 0) << set.err;
    const Curl login = RunCurl({"-sS", "-D", "-", "--cacert", cert, "-d",
                                R"({"user": "anna", "password": "annas tls passphrase"})",
                                url + "/api/auth/login"});
    EXPECT_THAT(login.out, HasSubstr("HTTP/1.1 200"));
    EXPECT_THAT(Lower(login.out), HasSubstr("set-cookie: __host-quire_session="));
    EXPECT_THAT(login.out, HasSubstr("; Secure"));
    server.child->Signal(SIGTERM);
    server.child->Wait(30s);
  }
  // The same certificate by file.
  QuireServer again(QUIRE_BINARY, data,
                    {"--tls-cert", data + "/tls/cert.pem", "--tls-key", data + "/tls/key.pem"});
  ASSERT_NE(again.port, 0);
  const Curl health = RunCurl({"-sS", "--cacert", data + "/tls/cert.pem",
                               "https://127.0.0.1:" + std::to_string(again.port) + "/health"});
  EXPECT_EQ(health.code, 0) << health.err;
  // A key that is not one is refused at start, with the file named.
  std::filesystem::path bad = dir.Sub("bad.pem");
  { std::ofstream(bad) << "not a key\n"; }
  auto refused = ChildProcess::Spawn(
      QUIRE_BINARY, {"serve", "--data-dir", dir.Sub("other").string(), "--port", "0", "--tls-cert",
                     data + "/tls/cert.pem", "--tls-key", bad.string()});
  ASSERT_TRUE(refused.has_value());
  const std::string err = refused->ReadAllStderr();
  EXPECT_EQ(refused->Wait(60s).value_or(ExitStatus{}).code, 1);
  EXPECT_THAT(err, HasSubstr("bad.pem"));
}

}  // namespace
}  // namespace quire
