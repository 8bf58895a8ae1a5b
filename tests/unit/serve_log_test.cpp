// The access log of `weft serve`: one JSON object per line and per request
// when stderr is not a terminal (a file here), a readable line when it is
// (a pseudo-terminal here).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>

#include <map>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "serve_helper.h"
#include "wagi_wat.h"

namespace {

using namespace weft_serve_test;
using namespace std::chrono_literals;

constexpr const char* kManifest = "[app]\nname = \"l\"\n[[function]]\n"
                                  "name = \"v\"\nroute = \"/v\"\n"
                                  "module = \"v.wat\"\n";

class ServeLogTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("weft-log-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ReplaceFile(dir_ / "v.wat", WagiTextModule("logged\n"));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(ServeLogTest, OneJsonLinePerRequestOffTerminal) {
  Server s(dir_, kManifest);
  ASSERT_GT(s.port(), 0) << s.log();
  std::map<std::string, std::string> ids; // request id -> path
  for (int i = 0; i < 5; ++i) {
    Response r = Request(s.port(), "GET", "/v?i=" + std::to_string(i));
    ASSERT_EQ(r.status, 200);
    ids[r.Header("X-Request-Id")] = "/v";
  }
  Response nf = Request(s.port(), "POST", "/missing", "abc");
  ASSERT_EQ(nf.status, 404);
  ids[nf.Header("X-Request-Id")] = "/missing";
  // A path with a quote, a backslash, UTF-8 and a byte that is not UTF-8:
  // still one valid JSON line, the stray byte as U+FFFD.
  Response odd = Request(s.port(), "POST", "/missing\"q\\b\xc3\xa9\xff", "");
  ASSERT_EQ(odd.status, 404);
  ids[odd.Header("X-Request-Id")] = "/missing\"q\\b\xc3\xa9\xef\xbf\xbd";
  ASSERT_EQ(ids.size(), 7u);
  EXPECT_EQ(s.Stop(SIGTERM), 0);

  // Every line is one JSON object; exactly one "request" record per
  // request, with its fields.
  std::istringstream lines(s.log());
  std::string line;
  std::map<std::string, nlohmann::json> seen;
  while (std::getline(lines, line)) {
    nlohmann::json j;
    ASSERT_NO_THROW(j = nlohmann::json::parse(line)) << line;
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg"))
        << line;
    if (j["msg"] != "request") continue;
    const std::string id = j["request_id"];
    EXPECT_EQ(seen.count(id), 0u) << "two lines for " << id;
    seen[id] = j;
  }
  ASSERT_EQ(seen.size(), ids.size()) << s.log();
  for (const auto& [id, path] : ids) {
    ASSERT_EQ(seen.count(id), 1u) << id;
    const nlohmann::json& j = seen[id];
    EXPECT_EQ(j["path"], path);
    EXPECT_EQ(j["level"], "info");
    EXPECT_TRUE(j["duration_ms"].is_number());
    EXPECT_EQ(j["remote"], "127.0.0.1");
    if (path == "/v") {
      EXPECT_EQ(j["method"], "GET");
      EXPECT_EQ(j["status"], 200);
      EXPECT_EQ(j["function"], "v");
      EXPECT_EQ(j["bytes"], 7);
    } else {
      EXPECT_EQ(j["method"], "POST");
      EXPECT_EQ(j["status"], 404);
      EXPECT_EQ(j["function"], "");
    }
  }
}

// On a terminal: "TIME LEVEL METHOD PATH -> STATUS key=value ...", no JSON.
TEST_F(ServeLogTest, ReadableLineOnTerminal) {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0);
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  const std::string slave = ::ptsname(master);
  std::ofstream(dir_ / "weft.toml") << kManifest;
  std::vector<std::string> args = {
      WEFT_BINARY,   "serve",      dir_.string(),           "--listen",
      "127.0.0.1:0", "--data-dir", (dir_ / "data").string()};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, slave.c_str(), O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, slave.c_str(), O_WRONLY, 0);
  pid_t pid = -1;
  ASSERT_EQ(
      posix_spawn(&pid, WEFT_BINARY, &actions, nullptr, argv.data(), environ),
      0);
  posix_spawn_file_actions_destroy(&actions);
  std::string out;
  // Reads the terminal until `re` matches (or 10 s pass).
  auto read_until = [&](const std::regex& re, std::smatch& m) {
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < end) {
      if (std::regex_search(out, m, re)) return true;
      pollfd p{master, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n > 0) out.append(buf, static_cast<size_t>(n));
    }
    return std::regex_search(out, m, re);
  };
  std::smatch m;
  bool listening = read_until(
      std::regex(R"(info listening [^\n]*address=http://127\.0\.0\.1:(\d+))"),
      m);
  int port = listening ? std::stoi(m[1].str()) : 0;
  Response r;
  if (port) r = Request(port, "GET", "/v");
  bool logged =
      port && read_until(std::regex(R"(\n([^\n]*GET /v -> 200[^\n]*))"), m);
  const std::string line = logged ? m[1].str() : "";
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  ::close(master);
  ASSERT_TRUE(listening) << out;
  EXPECT_EQ(r.status, 200);
  ASSERT_TRUE(logged) << out;
  EXPECT_TRUE(std::regex_search(
      line,
      std::regex(
          R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info GET /v -> 200 )")))
      << line;
  EXPECT_NE(line.find("request_id=" + r.Header("X-Request-Id")),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("function=v"), std::string::npos) << line;
  EXPECT_EQ(out.find("{\""), std::string::npos) << out;
}

} // namespace
