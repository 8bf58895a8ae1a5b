// Secret variables ([variables] with secret = true) through the real
// server: guests read them, log them (weft log import and stderr) and put
// them in a malformed response whose error line quotes it; the server's
// captured stderr never holds the value (it says "[redacted]"), nor do
// /metrics or the admin listing. WEFT_VAR_<NAME> in the server's
// environment overrides a variable.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "serve_helper.h"
#include "wagi_wat.h"

namespace {

using namespace weft_serve_test;

constexpr const char* kSecretDefault = "sk-live-9f8e7d6c5b4a";
constexpr const char* kSecretFromEnv = "tok-from-env-31337";

// Reads api_key, token and greeting; logs the key and the greeting through
// weft.log, writes "stderr key=<key>" to stderr, answers
// "<greeting>|<key>|<token>".
const char* kShow = R"wat((module
  (import "weft" "config_get"
    (func $cfg (param i32 i32 i32 i32 i32) (result i32)))
  (import "weft" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "api_key")
  (data (i32.const 120) "token")
  (data (i32.const 140) "greeting")
  (data (i32.const 200) "Content-Type: text/plain\0a\0a")
  (data (i32.const 260) "stderr key=")
  (data (i32.const 280) "|")
  (data (i32.const 284) "\0a")
  (func $iov (param $at i32) (param $ptr i32) (param $len i32)
    (i32.store (local.get $at) (local.get $ptr))
    (i32.store offset=4 (local.get $at) (local.get $len)))
  (func (export "_start")
    (drop (call $cfg (i32.const 100) (i32.const 7) (i32.const 1000)
                     (i32.const 200) (i32.const 900)))
    (drop (call $cfg (i32.const 120) (i32.const 5) (i32.const 1300)
                     (i32.const 200) (i32.const 904)))
    (drop (call $cfg (i32.const 140) (i32.const 8) (i32.const 1600)
                     (i32.const 200) (i32.const 908)))
    (drop (call $log (i32.const 1) (i32.const 1000) (i32.load (i32.const 900))))
    (drop (call $log (i32.const 2) (i32.const 1600) (i32.load (i32.const 908))))
    (call $iov (i32.const 3000) (i32.const 260) (i32.const 11))
    (call $iov (i32.const 3008) (i32.const 1000) (i32.load (i32.const 900)))
    (call $iov (i32.const 3016) (i32.const 284) (i32.const 1))
    (drop (call $w (i32.const 2) (i32.const 3000) (i32.const 3) (i32.const 3500)))
    (call $iov (i32.const 3000) (i32.const 200) (i32.const 26))
    (call $iov (i32.const 3008) (i32.const 1600) (i32.load (i32.const 908)))
    (call $iov (i32.const 3016) (i32.const 280) (i32.const 1))
    (call $iov (i32.const 3024) (i32.const 1000) (i32.load (i32.const 900)))
    (call $iov (i32.const 3032) (i32.const 280) (i32.const 1))
    (call $iov (i32.const 3040) (i32.const 1300) (i32.load (i32.const 904)))
    (drop (call $w (i32.const 1) (i32.const 3000) (i32.const 6) (i32.const 3500)))))
)wat";

// Writes "<key>\n\n" to stdout: a malformed CGI header line, which the
// server's error line quotes.
const char* kBad = R"wat((module
  (import "weft" "config_get"
    (func $cfg (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "api_key")
  (data (i32.const 284) "\0a\0a")
  (func (export "_start")
    (drop (call $cfg (i32.const 100) (i32.const 7) (i32.const 1000)
                     (i32.const 200) (i32.const 900)))
    (i32.store (i32.const 3000) (i32.const 1000))
    (i32.store (i32.const 3004) (i32.load (i32.const 900)))
    (i32.store (i32.const 3008) (i32.const 284))
    (i32.store (i32.const 3012) (i32.const 2))
    (drop (call $w (i32.const 1) (i32.const 3000) (i32.const 2) (i32.const 3500)))))
)wat";

std::string Manifest() {
  return std::string("[app]\nname = \"s\"\n[variables]\n"
                     "api_key = { default = \"") +
         kSecretDefault +
         "\", secret = true }\n"
         "token = { secret = true }\n"
         "greeting = \"hello\"\n"
         "[[function]]\nname = \"show\"\nroute = \"/show\"\n"
         "module = \"show.wat\"\n"
         "[[function]]\nname = \"bad\"\nroute = \"/bad\"\n"
         "module = \"bad.wat\"\n";
}

class ServeSecretsTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("weft-secrets-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ReplaceFile(dir_ / "show.wat", kShow);
    ReplaceFile(dir_ / "bad.wat", kBad);
  }
  void TearDown() override {
    for (const char* v : {"WEFT_VAR_TOKEN", "WEFT_VAR_GREETING",
                          "WEFT_ADMIN_TOKEN", "WEFT_VAR_API_KEY"})
      ::unsetenv(v);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(ServeSecretsTest, SecretsNeverLoggedAndEnvOverrides) {
  ::setenv("WEFT_VAR_TOKEN", kSecretFromEnv, 1);
  ::setenv("WEFT_VAR_GREETING", "howdy", 1);
  ::setenv("WEFT_ADMIN_TOKEN", "admin-token-1", 1);
  Server s(dir_, Manifest(), {"--admin-listen", "127.0.0.1:0"});
  ASSERT_GT(s.port(), 0) << s.log();

  // The guest got the values: the default of api_key, token from the
  // environment, greeting overridden by WEFT_VAR_GREETING.
  Response r = Request(s.port(), "GET", "/show");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body,
            std::string("howdy|") + kSecretDefault + "|" + kSecretFromEnv);
  Response bad = Request(s.port(), "GET", "/bad");
  EXPECT_EQ(bad.status, 500);
  // A client that puts the secret in the path: the access log line.
  EXPECT_EQ(
      Request(s.port(), "GET", std::string("/x/") + kSecretDefault).status,
      404);
  Response metrics = Request(s.port(), "GET", "/metrics");
  EXPECT_EQ(metrics.body.find(kSecretDefault), std::string::npos);
  EXPECT_EQ(metrics.body.find(kSecretFromEnv), std::string::npos);

  std::smatch m;
  std::string log = s.log();
  ASSERT_TRUE(std::regex_search(
      log, m,
      std::regex(
          R"re("address":"127\.0\.0\.1:(\d+)","level":"info","msg":"admin listening")re")));
  Response listing = Request(std::stoi(m[1].str()), "GET", "/v1/functions", "",
                             "Authorization: Bearer admin-token-1\r\n");
  EXPECT_EQ(listing.status, 200);
  EXPECT_EQ(listing.body.find(kSecretDefault), std::string::npos);
  EXPECT_EQ(listing.body.find(kSecretFromEnv), std::string::npos);
  EXPECT_EQ(s.Stop(SIGTERM), 0);

  log = s.log();
  // Nowhere in the server's stderr...
  EXPECT_EQ(log.find(kSecretDefault), std::string::npos) << log;
  EXPECT_EQ(log.find(kSecretFromEnv), std::string::npos) << log;
  // ...though each place that would have printed it did log: the guest's
  // log record, its stderr line, the error line quoting its output, the
  // access log of the 404.
  EXPECT_TRUE(std::regex_search(
      log,
      std::regex(
          R"re(\{"function":"show","level":"info","msg":"\[redacted\]",[^\n]*"source":"guest")re")))
      << log;
  EXPECT_NE(log.find("\"msg\":\"stderr key=[redacted]\""), std::string::npos);
  EXPECT_NE(log.find("malformed CGI header line \\\"[redacted]\\\""),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("\"path\":\"/x/[redacted]\""), std::string::npos);
  // A variable that is not secret is logged as it is.
  EXPECT_NE(log.find("\"level\":\"warn\",\"msg\":\"howdy\""),
            std::string::npos);
}

// A secret overridden through WEFT_VAR_ is redacted with its new value;
// a secret without default and without its environment variable refuses
// to start.
TEST_F(ServeSecretsTest, OverriddenSecretAndMissingSecret) {
  {
    Server s(dir_, Manifest());
    EXPECT_EQ(s.port(), 0);
    EXPECT_EQ(s.exit_status(), 1);
    EXPECT_NE(s.log().find("error: variable \"token\" has no default: set "
                           "WEFT_VAR_TOKEN in weft serve's environment"),
              std::string::npos)
        << s.log();
  }
  ::setenv("WEFT_VAR_TOKEN", kSecretFromEnv, 1);
  ::setenv("WEFT_VAR_API_KEY", "sk-overridden-777", 1);
  Server s(dir_, Manifest());
  ASSERT_GT(s.port(), 0) << s.log();
  Response r = Request(s.port(), "GET", "/show");
  EXPECT_EQ(r.body, std::string("hello|sk-overridden-777|") + kSecretFromEnv);
  EXPECT_EQ(Request(s.port(), "GET", "/bad").status, 500);
  EXPECT_EQ(s.Stop(SIGTERM), 0);
  const std::string log = s.log();
  EXPECT_EQ(log.find("sk-overridden-777"), std::string::npos) << log;
  EXPECT_EQ(log.find(kSecretFromEnv), std::string::npos) << log;
  EXPECT_NE(log.find("stderr key=[redacted]"), std::string::npos) << log;
}

} // namespace
