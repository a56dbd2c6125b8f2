#include "quire/server/web_app.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "quire/server/json.h"
#include "quire/testing/result_matchers.h"

namespace quire::server {
namespace {

namespace fs = std::filesystem;
using ::quire::testing::IsOk;

class WebAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("quire-web-app-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "assets");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const fs::path& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  Response Get(const std::string& path, const std::string& etag = "") {
    Request r;
    r.method = "GET";
    r.path = path;
    if (!etag.empty()) r.headers.push_back({"if-none-match", etag});
    return router_.Dispatch(r);
  }
  static std::string HeaderOf(const Response& r, const std::string& name) {
    for (const server::Header& h : r.headers) {
      if (h.name == name) return h.value;
    }
    return "";
  }

  fs::path dir_;
  Router router_;
};

TEST_F(WebAppTest, ServesFilesTheAppsPagesAndNeverTheApi) {
  Write("index.html", "<!doctype html><title>Quire</title>");
  Write("assets/main.js", "console.log(1)");
  router_.Add("GET", "/api/me", Access::Public(),
              [](const Request&) -> Result<Response> { return JsonResponse(200, {}); });
  ASSERT_THAT(AddWebAppRoutes(router_, dir_), IsOk());

  const Response root = Get("/");
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(HeaderOf(root, "Content-Security-Policy"), kWebAppContentSecurityPolicy);
  EXPECT_EQ(std::string(kWebAppContentSecurityPolicy).find("unsafe"), std::string::npos);

  const Response js = Get("/assets/main.js");
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");

  // The app's own pages answer index.html; a missing file is a 404, as is an API path.
  EXPECT_EQ(Get("/tasks/42").body, root.body);
  EXPECT_EQ(Get("/assets/nothing.js").status, 404);
  const Response api = Get("/api/nothing");
  EXPECT_EQ(api.status, 404);
  EXPECT_EQ(api.content_type, "application/json");
  EXPECT_EQ(Get("/api/me").status, 200);

  // Revalidation: the same ETag answers 304 without a body.
  const std::string etag = HeaderOf(js, "ETag");
  ASSERT_FALSE(etag.empty());
  const Response again = Get("/assets/main.js", etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(Get("/assets/main.js", "\"other\"").status, 200);
}

TEST_F(WebAppTest, AnUnbuiltAppIsRefusedWithHowToBuildIt) {
  const auto added = AddWebAppRoutes(router_, dir_);
  ASSERT_FALSE(added.has_value());
  EXPECT_NE(added.error().message().find("not built"), std::string::npos);
  EXPECT_TRUE(FindWebAppDir(dir_ / "quire").empty());
  Write("index.html", "<!doctype html>");
  fs::create_directories(dir_ / "bin");
  fs::rename(dir_ / "index.html", dir_ / "assets" / "index.html");
  fs::rename(dir_ / "assets", dir_ / "web");
  EXPECT_EQ(FindWebAppDir(dir_ / "quire"), (dir_ / "web").lexically_normal());
}

}  // namespace
}  // namespace quire::server
