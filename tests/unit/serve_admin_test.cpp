// The admin API (`weft serve --admin-listen`, docs/admin-api.md) against
// the real listener: bearer-token auth, the function listing, deploys of
// tar archives (a bad one refused with the loader's error while the old
// version serves on, entries escaping the archive refused), and removal.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include <cstdio>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "serve_helper.h"
#include "wagi_wat.h"

namespace {

using namespace weft_serve_test;
using namespace std::chrono_literals;

constexpr const char* kToken = "s3cret-admin-token";

std::string Sha256(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  char hex[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", md[i]);
    out += hex;
  }
  return out;
}

class ServeAdminTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("weft-admin-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ::setenv("WEFT_ADMIN_TOKEN", kToken, 1);
  }
  void TearDown() override {
    ::unsetenv("WEFT_ADMIN_TOKEN");
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  static Response Admin(int port, const std::string& method,
                        const std::string& target, const std::string& body = "",
                        const std::string& token = kToken) {
    std::string headers;
    if (!token.empty()) headers = "Authorization: Bearer " + token + "\r\n";
    if (method == "PUT" || method == "POST")
      headers += "Content-Type: application/x-tar\r\n";
    return Request(port, method, target, body, headers);
  }
  fs::path dir_;
};

constexpr const char* kManifest = "[app]\nname = \"a\"\n"
                                  "[[function]]\nname = \"v\"\n"
                                  "route = \"/v\"\nmodule = \"v.wat\"\n"
                                  "memory_limit = \"2MiB\"\ntimeout = \"2s\"\n";

TEST_F(ServeAdminTest, RefusesToStartWithoutToken) {
  ::unsetenv("WEFT_ADMIN_TOKEN");
  ReplaceFile(dir_ / "v.wat", WagiTextModule("one\n"));
  Server s(dir_, kManifest, {"--admin-listen", "127.0.0.1:0"});
  EXPECT_EQ(s.port(), 0);
  EXPECT_EQ(s.exit_status(), 2);
  EXPECT_NE(s.log().find("WEFT_ADMIN_TOKEN"), std::string::npos) << s.log();
}

TEST_F(ServeAdminTest, AuthListDeployRemove) {
  const std::string v1 = WagiTextModule("version 1\n");
  ReplaceFile(dir_ / "v.wat", v1);
  Server s(dir_, kManifest, {"--admin-listen", "127.0.0.1:0"});
  ASSERT_GT(s.port(), 0) << s.log();
  const int admin = AdminPort(s);
  ASSERT_GT(admin, 0) << s.log();
  ASSERT_NE(admin, s.port());
  // The admin API is not on the public port.
  EXPECT_EQ(Admin(s.port(), "GET", "/v1/functions").status, 404);

  // 401 without a token, with a wrong one, with another scheme.
  Response r = Admin(admin, "GET", "/v1/functions", "", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Header("WWW-Authenticate"), "Bearer realm=\"weft-admin\"");
  EXPECT_EQ(Admin(admin, "GET", "/v1/functions", "", "wrong").status, 401);
  EXPECT_EQ(Admin(admin, "GET", "/v1/functions", "", kToken + std::string("x"))
                .status,
            401);
  EXPECT_EQ(Request(admin, "GET", "/v1/functions", "",
                    "Authorization: Basic " + std::string(kToken) + "\r\n")
                .status,
            401);
  // A deploy without the token changes nothing.
  EXPECT_EQ(Admin(admin, "PUT", "/v1/app",
                  Tar({{"weft.toml", kManifest},
                       {"v.wat", WagiTextModule("intruder\n")}}),
                  "")
                .status,
            401);
  EXPECT_EQ(Request(s.port(), "GET", "/v").body, "version 1\n");

  // The listing.
  r = Admin(admin, "GET", "/v1/functions");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["app"], "a");
  EXPECT_EQ(j["version"], 1);
  ASSERT_EQ(j["functions"].size(), 1u);
  EXPECT_EQ(j["functions"][0]["name"], "v");
  EXPECT_EQ(j["functions"][0]["route"], "/v");
  EXPECT_EQ(j["functions"][0]["module_sha256"], Sha256(v1));
  EXPECT_EQ(j["functions"][0]["limits"]["memory_limit"], 2 << 20);
  EXPECT_EQ(j["functions"][0]["limits"]["timeout_ms"], 2000);
  EXPECT_EQ(Admin(admin, "POST", "/v1/functions").status, 405);
  EXPECT_EQ(Admin(admin, "GET", "/v1/nothing").status, 404);

  // Deploy version 2 (two functions).
  const std::string v2 = WagiTextModule("version 2\n");
  r = Admin(
      admin, "PUT", "/v1/app",
      Tar({{"weft.toml", std::string(kManifest) +
                             "[[function]]\nname = \"w\"\nroute = \"/w/...\"\n"
                             "module = \"mods/w.wat\"\n"},
           {"v.wat", v2},
           {"mods/w.wat", WagiTextModule("w here\n")}}));
  ASSERT_EQ(r.status, 200) << r.body;
  j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["version"], 2);
  EXPECT_EQ(j["functions"], 2);
  const fs::path deployed = j["directory"].get<std::string>();
  EXPECT_EQ(deployed.parent_path(), dir_ / "data" / "apps");
  EXPECT_TRUE(fs::exists(deployed / "mods" / "w.wat"));
  EXPECT_EQ(Request(s.port(), "GET", "/v").body, "version 2\n");
  EXPECT_EQ(Request(s.port(), "GET", "/w/x").body, "w here\n");
  j = nlohmann::json::parse(Admin(admin, "GET", "/v1/functions").body);
  EXPECT_EQ(j["version"], 2);
  EXPECT_EQ(j["source"], "admin");
  ASSERT_EQ(j["functions"].size(), 2u);
  EXPECT_EQ(j["functions"][0]["module_sha256"], Sha256(v2));

  // A bad version: 400 with the loader's exact error; version 2 serves on.
  r = Admin(admin, "PUT", "/v1/app",
            Tar({{"weft.toml", kManifest}, {"v.wat", "(module (func"}}));
  EXPECT_EQ(r.status, 400);
  j = nlohmann::json::parse(r.body);
  EXPECT_NE(j["error"].get<std::string>().find(
                "weft.toml:6: error: function \"v\": invalid module "),
            std::string::npos)
      << r.body;
  r = Admin(admin, "POST", "/v1/app",
            Tar({{"weft.toml", "[app]\nname = 1\n"}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("weft.toml:2:8: error: [app] name must be a string"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(Admin(admin, "PUT", "/v1/app", "not a tar archive at all").status,
            400);
  EXPECT_EQ(Admin(admin, "PUT", "/v1/app", Tar({{"v.wat", v2}})).status, 400);
  EXPECT_EQ(Request(s.port(), "GET", "/v").body, "version 2\n");
  // The refused versions left no folder behind.
  size_t folders = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "data" / "apps")) {
    (void)e;
    ++folders;
  }
  EXPECT_EQ(folders, 1u);

  // Remove: every route 404 until the next deploy.
  r = Admin(admin, "DELETE", "/v1/app");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Request(s.port(), "GET", "/v").status, 404);
  EXPECT_EQ(Request(s.port(), "GET", "/healthz").status, 200);
  j = nlohmann::json::parse(Admin(admin, "GET", "/v1/functions").body);
  EXPECT_TRUE(j["app"].is_null());
  EXPECT_TRUE(j["functions"].empty());
  r = Admin(admin, "PUT", "/v1/app",
            Tar({{"weft.toml", kManifest},
                 {"v.wat", WagiTextModule("version 3\n")}}));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Request(s.port(), "GET", "/v").body, "version 3\n");
  // Old version folders go: the three newest stay.
  std::string last_dir;
  for (int v = 4; v <= 7; ++v) {
    r = Admin(admin, "PUT", "/v1/app",
              Tar({{"weft.toml", kManifest},
                   {"v.wat",
                    WagiTextModule("version " + std::to_string(v) + "\n")}}));
    ASSERT_EQ(r.status, 200) << r.body;
    last_dir = nlohmann::json::parse(r.body)["directory"];
  }
  EXPECT_EQ(Request(s.port(), "GET", "/v").body, "version 7\n");
  std::vector<std::string> kept;
  for (const auto& e : fs::directory_iterator(dir_ / "data" / "apps"))
    kept.push_back(e.path().filename().string());
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(kept, (std::vector<std::string>{"4", "5", "6"}));
  EXPECT_EQ(fs::path(last_dir).filename(), "6");

  const std::string log = s.log();
  EXPECT_NE(log.find("\"msg\":\"reloaded\""), std::string::npos);
  EXPECT_NE(log.find("\"msg\":\"app removed\""), std::string::npos);
  EXPECT_NE(log.find("reload refused: "), std::string::npos);
  // The token is never logged.
  EXPECT_EQ(log.find(kToken), std::string::npos);
  EXPECT_EQ(s.Stop(SIGTERM), 0);
}

// Without the token the answer is 401 as soon as the header is in: a
// client cannot make the server read (up to max_upload_bytes of) a body.
TEST_F(ServeAdminTest, UnauthorizedUploadIsRefusedBeforeItsBody) {
  ReplaceFile(dir_ / "v.wat", WagiTextModule("version 1\n"));
  Server s(dir_, kManifest, {"--admin-listen", "127.0.0.1:0"});
  ASSERT_GT(s.port(), 0) << s.log();
  const int admin = AdminPort(s);
  ASSERT_GT(admin, 0) << s.log();
  // 100 MiB announced, 10 bytes sent.
  Response r = RawRequest(admin, "PUT /v1/app HTTP/1.1\r\nHost: x\r\n"
                                 "Content-Length: 104857600\r\n\r\n0123456789");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Request(s.port(), "GET", "/v").body, "version 1\n");
}

// Archive entries that would land outside the version folder, links, and
// manifests naming files outside it are refused; nothing is written
// outside.
TEST_F(ServeAdminTest, PathTraversalRefused) {
  ReplaceFile(dir_ / "v.wat", WagiTextModule("safe\n"));
  Server s(dir_, kManifest, {"--admin-listen", "127.0.0.1:0"});
  ASSERT_GT(s.port(), 0) << s.log();
  const int admin = AdminPort(s);
  ASSERT_GT(admin, 0) << s.log();
  const std::string evil = WagiTextModule("evil\n");
  struct Case {
    std::map<std::string, std::string> files;
    std::map<std::string, char> types;
    std::string expect;
  };
  const std::string outside = (dir_ / "escaped.wat").string();
  const std::vector<Case> cases = {
      {{{"weft.toml", kManifest}, {"v.wat", evil}, {"../../escaped.wat", evil}},
       {},
       "archive entry \"../../escaped.wat\" refused"},
      {{{"weft.toml", kManifest}, {"v.wat", evil}, {"a/../../x.wat", evil}},
       {},
       "archive entry \"a/../../x.wat\" refused"},
      {{{"weft.toml", kManifest}, {"v.wat", evil}, {outside, evil}},
       {},
       "refused: names must stay inside the archive"},
      {{{"weft.toml", kManifest}, {"v.wat", evil}, {"link", ""}},
       {{"link", '2'}},
       "archive entry \"link\" refused: only regular files and folders"},
      {{{"weft.toml", "[app]\nname = \"a\"\n[[function]]\nname = \"v\"\n"
                      "route = \"/v\"\nmodule = \"../../../v.wat\"\n"},
        {"x", ""}},
       {},
       "is outside the deployed archive"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    Response r =
        Admin(admin, "PUT", "/v1/app", Tar(cases[i].files, cases[i].types));
    EXPECT_EQ(r.status, 400) << i << ": " << r.body;
    const std::string error =
        nlohmann::json::parse(r.body)["error"].get<std::string>();
    EXPECT_NE(error.find(cases[i].expect), std::string::npos)
        << i << ": " << error;
  }
  EXPECT_FALSE(fs::exists(dir_ / "escaped.wat"));
  EXPECT_FALSE(fs::exists(dir_ / "data" / "x.wat"));
  EXPECT_FALSE(fs::exists(dir_ / "data" / "escaped.wat"));
  EXPECT_EQ(Request(s.port(), "GET", "/v").body, "safe\n");
}

// An archive made by tar(1) ("./" entries, folders) deploys.
TEST_F(ServeAdminTest, DeploysArchiveFromTarCommand) {
  if (std::system("tar --version >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "no tar";
  ReplaceFile(dir_ / "v.wat", WagiTextModule("one\n"));
  Server s(dir_, kManifest, {"--admin-listen", "127.0.0.1:0"});
  ASSERT_GT(s.port(), 0) << s.log();
  const int admin = AdminPort(s);
  const fs::path src = dir_ / "src";
  fs::create_directories(src / "m");
  ReplaceFile(src / "weft.toml", "[app]\nname = \"t\"\n[[function]]\n"
                                 "name = \"v\"\nroute = \"/v\"\n"
                                 "module = \"m/v.wat\"\n");
  ReplaceFile(src / "m" / "v.wat", WagiTextModule("from tar\n"));
  const fs::path archive = dir_ / "app.tar";
  ASSERT_EQ(
      std::system(("tar -cf " + archive.string() + " -C " + src.string() + " .")
                      .c_str()),
      0);
  Response r = Admin(admin, "PUT", "/v1/app", ReadAll(archive));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Request(s.port(), "GET", "/v").body, "from tar\n");
}

} // namespace
