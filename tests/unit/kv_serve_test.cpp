// `weft serve --kv-backend` end to end: two real weft processes serve the
// kv-counter example (examples/kv-counter) and count in one store on a
// real redis-server (or nats-server -js) that this test starts.
#include <gtest/gtest.h>

#include "kv_servers.h"
#include "platform/caps/kv_backend.h"
#include "serve_helper.h"

#ifndef WEFT_EXAMPLES_DIR
#define WEFT_EXAMPLES_DIR ""
#endif

namespace {

using namespace weft_serve_test;
using weft_kv_test::FindProgram;
using weft_kv_test::NatsServer;
using weft_kv_test::RedisServer;
using weft_kv_test::TempDir;

const char kManifest[] = R"([app]
name = "kv-counter"

[[function]]
name = "counter"
route = "/"
module = "kv-counter.wasm"
kv = ["default"]
)";

class KvServeTest : public testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    wasm_ = fs::path(WEFT_EXAMPLES_DIR) / "kv-counter" / "kv-counter.wasm";
    if (!fs::exists(wasm_)) GTEST_SKIP() << "examples/kv-counter not built";
    if (GetParam() == "redis") {
      if (FindProgram("redis-server").empty()) GTEST_SKIP() << "no redis";
      redis_ = std::make_unique<RedisServer>();
      ASSERT_TRUE(redis_->Start()) << redis_->log();
      url_ = redis_->url();
    } else {
      if (FindProgram("nats-server").empty()) GTEST_SKIP() << "no nats";
      nats_ = std::make_unique<NatsServer>();
      ASSERT_TRUE(nats_->Start()) << nats_->log();
      url_ = nats_->url();
    }
  }

  std::unique_ptr<Server> StartWeft(const std::string& name,
                                    const std::string& url_suffix = "") {
    const fs::path dir = tmp_.path() / name;
    fs::create_directories(dir);
    fs::copy_file(wasm_, dir / "kv-counter.wasm");
    auto s = std::make_unique<Server>(
        dir, kManifest,
        std::vector<std::string>{"--kv-backend", url_ + url_suffix});
    EXPECT_GT(s->port(), 0) << s->log();
    return s;
  }

  // The counter as the store holds it, read through a backend of our own.
  std::string StoredCount() {
    auto backend = weft::caps::MakeKvBackend(url_, tmp_.path() / "unused");
    if (!backend) return "no backend: " + backend.error().message;
    auto store = (*backend)->Open("default");
    if (!store) return "cannot open";
    std::string v;
    weft::caps::CapStatus st = weft::caps::CapStatus::kUnavailable;
    for (int i = 0; i < 100 && st == weft::caps::CapStatus::kUnavailable; ++i) {
      st = (*store)->Get("count", &v);
      if (st == weft::caps::CapStatus::kUnavailable)
        std::this_thread::sleep_for(20ms);
    }
    return st == weft::caps::CapStatus::kOk
               ? v
               : "status " + std::to_string(static_cast<int>(st));
  }

  TempDir tmp_{"kv-serve"};
  fs::path wasm_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<NatsServer> nats_;
  std::string url_;
};

// Requests alternate between two weft processes: the count goes up by one
// each time, whichever process serves it, because both count in the one
// store on the shared server (and no SQLite file is made).
TEST_P(KvServeTest, TwoProcessesShareOneCounter) {
  auto a = StartWeft("a"), b = StartWeft("b");
  ASSERT_GT(a->port(), 0);
  ASSERT_GT(b->port(), 0);
  for (int i = 1; i <= 10; ++i) {
    Server& s = i % 2 ? *a : *b;
    Response r = Request(s.port(), "GET", "/");
    ASSERT_EQ(r.status, 200) << r.body << s.log();
    EXPECT_EQ(r.body, "visits: " + std::to_string(i) + "\n");
  }
  EXPECT_EQ(StoredCount(), "10");
  EXPECT_FALSE(fs::exists(tmp_.path() / "a" / "data" / "default.sqlite"));
  EXPECT_FALSE(fs::exists(tmp_.path() / "b" / "data" / "default.sqlite"));
}

// ?prefix= keeps two apps on one server apart: same store name, two
// counters.
TEST_P(KvServeTest, PrefixesKeepAppsApart) {
  auto a = StartWeft("a", "?prefix=app_a_"),
       b = StartWeft("b", "?prefix=app_b_");
  ASSERT_GT(a->port(), 0);
  ASSERT_GT(b->port(), 0);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(Request(a->port(), "GET", "/").body,
              "visits: " + std::to_string(i) + "\n");
    EXPECT_EQ(Request(b->port(), "GET", "/").body,
              "visits: " + std::to_string(i) + "\n");
  }
  EXPECT_EQ(StoredCount(), "status -1"); // nothing under the default prefix
}

// The KV server dies while weft serves: the request still gets an answer
// at once (the guest sees WEFT_ERR_UNAVAILABLE, -10, and says so), the
// server logs the loss, and counting resumes once the KV server is back.
TEST_P(KvServeTest, KvServerLossFailsFastAndRecovers) {
  auto a = StartWeft("a");
  ASSERT_GT(a->port(), 0);
  Response r = Request(a->port(), "GET", "/");
  ASSERT_EQ(r.status, 200) << a->log();
  EXPECT_EQ(r.body, "visits: 1\n");
  if (redis_) redis_->Kill();
  if (nats_) nats_->Kill();
  const auto t0 = std::chrono::steady_clock::now();
  r = Request(a->port(), "GET", "/");
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("failed with -10"), std::string::npos) << r.body;
  EXPECT_LT(took, 1s);
  EXPECT_NE(a->log().find("unreachable"), std::string::npos) << a->log();
  ASSERT_TRUE(redis_ ? redis_->Start() : nats_->Start());
  int status = 0;
  for (int i = 0; i < 300 && status != 200; ++i) {
    r = Request(a->port(), "GET", "/");
    status = r.status;
    if (status != 200) std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(status, 200) << a->log();
  // Redis ran without persistence: it starts over. JetStream kept its file.
  EXPECT_EQ(r.body, redis_ ? "visits: 1\n" : "visits: 2\n");
}

INSTANTIATE_TEST_SUITE_P(Backends, KvServeTest,
                         testing::Values("redis", "jetstream"),
                         [](const testing::TestParamInfo<std::string>& i) {
                           return i.param;
                         });

TEST(KvServeCli, ABadBackendUrlIsAUsageError) {
  TempDir tmp("kv-serve-cli");
  Server s(tmp.path() / "app", kManifest,
           {"--kv-backend", "memcached://127.0.0.1:1"});
  EXPECT_EQ(s.port(), 0);
  EXPECT_EQ(s.exit_status(), 2);
  EXPECT_NE(s.log().find("--kv-backend"), std::string::npos) << s.log();
  EXPECT_NE(s.log().find("unknown scheme"), std::string::npos) << s.log();
}

} // namespace
