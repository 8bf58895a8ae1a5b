// `weft serve --watch` end to end: the real server reloads its app while
// clients hammer it; no request fails, the new version's answer appears,
// a broken version is refused (logged, counted) and the old one keeps
// serving, and a request in flight finishes on the version it started on.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "serve_helper.h"
#include "wagi_wat.h"

namespace {

using namespace weft_serve_test;
using namespace std::chrono_literals;

class ServeReloadTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("weft-reload-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // Polls `pred` for up to `limit`.
  template <typename Pred>
  static bool WaitFor(Pred pred, std::chrono::milliseconds limit = 15s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (pred()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return pred();
  }
  static size_t Count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos;
         at = text.find(what, at + 1))
      ++n;
    return n;
  }
  fs::path dir_;
};

constexpr const char* kManifest = "[app]\nname = \"r\"\n"
                                  "[[function]]\nname = \"v\"\n"
                                  "route = \"/v\"\nmodule = \"v.wat\"\n";

TEST_F(ServeReloadTest, ReloadsUnderLoadWithoutFailedRequests) {
  ReplaceFile(dir_ / "v.wat", WagiTextModule("version 1\n"));
  Server s(dir_, kManifest, {"--watch"});
  ASSERT_GT(s.port(), 0) << s.log();
  ASSERT_EQ(Request(s.port(), "GET", "/v").body, "version 1\n");

  // Clients hammering /v for the whole test; every answer is recorded.
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<std::string, int> bodies; // 200 answers by body
  std::vector<std::string> failures; // anything else
  std::string latest;
  std::vector<std::thread> clients;
  for (int c = 0; c < 3; ++c)
    clients.emplace_back([&] {
      while (!stop.load()) {
        Response r = Request(s.port(), "GET", "/v");
        std::lock_guard<std::mutex> g(mu);
        if (r.ok && r.status == 200) {
          ++bodies[r.body];
          latest = r.body;
        } else {
          failures.push_back(std::to_string(r.status) + " " + r.body);
        }
      }
    });
  auto latest_is = [&](const std::string& body) {
    return [&, body] {
      std::lock_guard<std::mutex> g(mu);
      return latest == body;
    };
  };

  // The module is replaced several times (temp file + rename); each new
  // answer appears.
  int checked = 0; // requests of this thread besides the clients'
  for (int v = 2; v <= 5; ++v) {
    const std::string body = "version " + std::to_string(v) + "\n";
    ReplaceFile(dir_ / "v.wat", WagiTextModule(body));
    EXPECT_TRUE(WaitFor(latest_is(body))) << body << s.log();
    // Once the new version answers, no request started later gets the
    // old one (no worker serves it from an instance made before).
    for (int i = 0; i < 16; ++i) {
      Response r = Request(s.port(), "GET", "/v");
      ++checked;
      EXPECT_EQ(r.body, body) << "request " << i << " after the reload";
    }
  }
  // Rewritten in place (no rename) works too.
  {
    std::ofstream out(dir_ / "v.wat", std::ios::trunc);
    out << WagiTextModule("version 6\n");
  }
  EXPECT_TRUE(WaitFor(latest_is("version 6\n"))) << s.log();

  // A broken module: refused with the loader's error; version 6 serves on.
  ReplaceFile(dir_ / "v.wat", "(module (func $broken");
  EXPECT_TRUE(WaitFor([&] {
    return s.log().find("reload refused: ") != std::string::npos;
  })) << s.log();
  std::this_thread::sleep_for(300ms);
  // A broken manifest: refused too.
  ReplaceFile(dir_ / "weft.toml", std::string(kManifest) + "colour = 1\n");
  EXPECT_TRUE(WaitFor([&] { return Count(s.log(), "reload refused: ") >= 2; }))
      << s.log();
  std::this_thread::sleep_for(300ms);
  stop = true;
  for (std::thread& t : clients)
    t.join();

  EXPECT_TRUE(failures.empty())
      << failures.size() << " failed, first: " << failures.front();
  EXPECT_EQ(latest, "version 6\n");
  EXPECT_EQ(Request(s.port(), "GET", "/v").body, "version 6\n");
  int total = 0;
  for (const auto& [body, n] : bodies)
    total += n;
  EXPECT_GT(total, 50) << "the clients barely ran";

  const std::string log = s.log();
  EXPECT_EQ(Count(log, "\"msg\":\"reloaded\""), 5u) << log;
  // The exact errors: the module's parse error and the manifest's key.
  EXPECT_TRUE(std::regex_search(
      log,
      std::regex(
          R"re("msg":"reload refused: [^"]*weft\.toml:\d+: error: function \\"v\\": invalid module [^"]*v\.wat)re")))
      << log;
  EXPECT_NE(log.find("reload refused: " + (dir_ / "weft.toml").string() +
                     ":7:1: error: unknown key \\\"colour\\\" in [[function]]"),
            std::string::npos)
      << log;
  Response m = Request(s.port(), "GET", "/metrics");
  EXPECT_NE(m.body.find("weft_reloads_total{result=\"ok\"} 5\n"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("weft_reloads_total{result=\"error\"} 2\n"),
            std::string::npos);
  // The function's counters survive the reloads (one slot per name).
  EXPECT_NE(m.body.find("weft_requests_total{function=\"v\",status=\"200\"} " +
                        std::to_string(total + checked + 2)),
            std::string::npos)
      << m.body;
  EXPECT_EQ(s.Stop(SIGTERM), 0);
}

// A request running when the new version is installed finishes on the
// old one; requests after it get the new one; a function the new version
// drops answers 404 and a new one is routed.
TEST_F(ServeReloadTest, RequestInFlightFinishesOnItsVersion) {
  ReplaceFile(dir_ / "slow.wat", WagiTextModule("old and slow\n", 1500));
  ReplaceFile(dir_ / "gone.wat", WagiTextModule("still here\n"));
  ReplaceFile(dir_ / "new.wat", WagiTextModule("new function\n"));
  Server s(dir_,
           "[app]\nname = \"r\"\n"
           "[[function]]\nname = \"slow\"\nroute = \"/slow\"\n"
           "module = \"slow.wat\"\n"
           "[[function]]\nname = \"gone\"\nroute = \"/gone\"\n"
           "module = \"gone.wat\"\n",
           {"--watch"});
  ASSERT_GT(s.port(), 0) << s.log();
  EXPECT_EQ(Request(s.port(), "GET", "/gone").body, "still here\n");
  Response in_flight;
  std::thread client([&] { in_flight = Request(s.port(), "GET", "/slow"); });
  std::this_thread::sleep_for(300ms);
  ReplaceFile(dir_ / "slow.wat", WagiTextModule("new and fast\n"));
  ReplaceFile(dir_ / "weft.toml",
              "[app]\nname = \"r\"\n"
              "[[function]]\nname = \"slow\"\nroute = \"/slow\"\n"
              "module = \"slow.wat\"\n"
              "[[function]]\nname = \"new\"\nroute = \"/new\"\n"
              "module = \"new.wat\"\n");
  EXPECT_TRUE(WaitFor([&] {
    return Request(s.port(), "GET", "/slow").body == "new and fast\n";
  })) << s.log();
  client.join();
  EXPECT_EQ(in_flight.status, 200);
  EXPECT_EQ(in_flight.body, "old and slow\n");
  EXPECT_EQ(Request(s.port(), "GET", "/gone").status, 404);
  EXPECT_EQ(Request(s.port(), "GET", "/new").body, "new function\n");
  Response m = Request(s.port(), "GET", "/metrics");
  EXPECT_NE(m.body.find("weft_requests_total{function=\"gone\",status="
                        "\"200\"} 1\n"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("weft_requests_total{function=\"new\",status="
                        "\"200\"} 1\n"),
            std::string::npos);
  EXPECT_EQ(s.Stop(SIGTERM), 0);
}

// KV data stays across a reload (the same data dir): the kv-counter
// example goes on counting.
TEST_F(ServeReloadTest, KvDataSurvivesReload) {
  const fs::path example =
      fs::path(WEFT_BINARY).parent_path() / "examples" / "kv-counter";
  if (!fs::exists(example / "kv-counter.wasm"))
    GTEST_SKIP() << "kv-counter example not built";
  fs::copy_file(example / "kv-counter.wasm", dir_ / "kv-counter.wasm");
  const std::string manifest = ReadAll(example / "weft.toml");
  Server s(dir_, manifest, {"--watch"});
  ASSERT_GT(s.port(), 0) << s.log();
  EXPECT_EQ(Request(s.port(), "GET", "/").body, "visits: 1\n");
  EXPECT_EQ(Request(s.port(), "GET", "/").body, "visits: 2\n");
  ReplaceFile(dir_ / "weft.toml", manifest + "\n# touched\n");
  EXPECT_TRUE(WaitFor([&] {
    return s.log().find("\"msg\":\"reloaded\"") != std::string::npos;
  })) << s.log();
  EXPECT_EQ(Request(s.port(), "GET", "/").body, "visits: 3\n");
  EXPECT_EQ(s.Stop(SIGTERM), 0);
}

// After a reload, a guest thread that stays idle lets go of the old
// version and its ready instances (their memfds close).
TEST_F(ServeReloadTest, IdleWorkersLetGoOfTheOldVersion) {
  ReplaceFile(dir_ / "v.wat", WagiTextModule("version 1\n"));
  Server s(dir_, kManifest, {"--watch"});
  ASSERT_GT(s.port(), 0) << s.log();
  auto pooled = [&] {
    return Gauge(Request(s.port(), "GET", "/metrics").body,
                 "weft_instances_pooled");
  };
  for (int i = 0; i < 40; ++i)
    ASSERT_EQ(Request(s.port(), "GET", "/v").body, "version 1\n");
  std::this_thread::sleep_for(200ms);
  // The worker's ready instance of the old version's function.
  EXPECT_GE(pooled(), 1);
  ReplaceFile(dir_ / "v.wat", WagiTextModule("version 2\n"));
  EXPECT_TRUE(WaitFor([&] {
    return s.log().find("\"msg\":\"reloaded\"") != std::string::npos;
  })) << s.log();
  std::this_thread::sleep_for(2500ms); // no requests meanwhile
  // Idle for over a second: every thread let go of the old version's
  // instances (no function of the new version has served a request yet).
  EXPECT_EQ(pooled(), 0);
  EXPECT_EQ(Request(s.port(), "GET", "/v").body, "version 2\n");
}

// Without --watch nothing reloads.
TEST_F(ServeReloadTest, NoWatchNoReload) {
  ReplaceFile(dir_ / "v.wat", WagiTextModule("version 1\n"));
  Server s(dir_, kManifest);
  ASSERT_GT(s.port(), 0) << s.log();
  ReplaceFile(dir_ / "v.wat", WagiTextModule("version 2\n"));
  std::this_thread::sleep_for(700ms);
  EXPECT_EQ(Request(s.port(), "GET", "/v").body, "version 1\n");
  EXPECT_EQ(s.log().find("reloaded"), std::string::npos);
}

} // namespace
