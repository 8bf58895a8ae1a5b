// Instances of `weft serve` reuse their worker's memory slots and stdio
// memfds: requests of different functions on one keep-alive connection (so
// one worker) must see nothing of each other — memory, globals, stdin —
// memory limits still hold on a slot a larger memory used before, and
// /metrics shows the pool. Plus the buffered access log and
// --no-access-log.
#include <gtest/gtest.h>

#include <string>

#include "serve_helper.h"

namespace {

using namespace weft_serve_test;

std::string Fn(const std::string& name, const std::string& guest,
               const std::string& extra = "") {
  return "[[function]]\nname = \"" + name + "\"\nroute = \"/" + name +
         "\"\nmodule = \"" + Guest(guest) + "\"\n" + extra + "\n";
}

// The value of an unlabelled gauge, or -1.
class ServePoolTest : public ::testing::Test {
protected:
  void SetUp() override {
    for (const char* g : {"wagi_counter", "wagi_echo", "wagi_membomb"})
      if (!fs::exists(Guest(g)))
        GTEST_SKIP() << "WAGI guests not built (clang-19 / wasi-libc missing)";
    dir_ = fs::temp_directory_path() /
           ("weft-pool-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(ServePoolTest, ReusedSlotsAndStdioLeakNothing) {
  Server s(dir_, "[app]\nname = \"pool\"\n" +
                     Fn("big", "wagi_membomb", "memory_limit = \"32MiB\"") +
                     Fn("bomb", "wagi_membomb", "memory_limit = \"4MiB\"") +
                     Fn("counter", "wagi_counter") + Fn("echo", "wagi_echo"));
  ASSERT_GT(s.port(), 0) << s.log();
  int fd = Connect(s.port());
  ASSERT_GE(fd, 0);
  std::string buf;
  auto get = [&](const std::string& method, const std::string& target,
                 const std::string& body = "") {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: x\r\n";
    if (method == "POST")
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    SendAll(fd, req + "\r\n" + body);
    return ReadResponse(fd, buf);
  };
  std::string big_answer;
  const std::string long_body(5000, 'A');
  for (int round = 0; round < 6; ++round) {
    // Fills 31 MiB of its memory with 1s; the next instances on this
    // worker take the slot it leaves.
    Response big = get("GET", "/big");
    ASSERT_EQ(big.status, 200) << big.body;
    if (round == 0) big_answer = big.body;
    EXPECT_EQ(big.body, big_answer); // the same every time: a fresh memory
    EXPECT_NE(big.body.find("got 3"), std::string::npos) << big.body;
    // Its 4 MiB limit holds on a slot a 32 MiB memory used before (3 MiB
    // blocks fit beside the program's own memory).
    Response bomb = get("GET", "/bomb");
    ASSERT_EQ(bomb.status, 200);
    EXPECT_NE(bomb.body.find("got 3 MiB"), std::string::npos) << bomb.body;
    Response c = get("GET", "/counter");
    EXPECT_EQ(c.status, 200);
    EXPECT_EQ(c.body, "count=1\n"); // globals and data fresh
    // stdin holds this request's body only.
    Response e1 = get("POST", "/echo", long_body);
    EXPECT_NE(e1.body.find("body=" + long_body + "\n"), std::string::npos);
    Response e2 = get("POST", "/echo", "b");
    EXPECT_NE(e2.body.find("\nbody=b\n"), std::string::npos) << e2.body;
    Response e3 = get("GET", "/echo");
    EXPECT_NE(e3.body.find("\nbody=\n"), std::string::npos) << e3.body;
  }
  Response m = get("GET", "/metrics");
  ::close(fd);
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("weft_requests_total{function=\"counter\",status="
                        "\"200\"} 6\n"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("weft_requests_total{function=\"echo\",status="
                        "\"200\"} 18\n"),
            std::string::npos)
      << m.body;
  EXPECT_EQ(Gauge(m.body, "weft_instances_live"), 0) << m.body;
  // Each function served has a ready instance on the worker's thread, and
  // each holds its initial memory (at least one 64 KiB page).
  EXPECT_GE(Gauge(m.body, "weft_instances_pooled"), 4) << m.body;
  EXPECT_GE(Gauge(m.body, "weft_memory_bytes_in_use"), 4 * 65536) << m.body;
  EXPECT_GE(Gauge(m.body, "weft_memory_slots_pooled"), 0) << m.body;
  // Most requests ran in an instance reset in place (the membomb's grow
  // fails inside the guest, which then ends cleanly): the fresh state
  // checked above is the reset's doing, not a new instance's.
  EXPECT_GE(Gauge(m.body, "weft_instances_reset_total"), 6 * 6 - 8) << m.body;
  EXPECT_GE(Gauge(m.body, "weft_instances_made_total"), 4) << m.body;
  EXPECT_EQ(s.Stop(SIGTERM), 0);
}

TEST_F(ServePoolTest, AccessLogIsBufferedAndCanBeTurnedOff) {
  {
    Server s(dir_, "[app]\nname = \"log\"\n" + Fn("counter", "wagi_counter"));
    ASSERT_GT(s.port(), 0) << s.log();
    Response r = Request(s.port(), "GET", "/counter");
    ASSERT_EQ(r.status, 200);
    const std::string id = r.Header("X-Request-Id");
    // Written by the periodic flush (every 100 ms) while the server runs.
    bool seen = false;
    for (int i = 0; i < 200 && !seen; ++i) {
      seen = s.log().find("\"request_id\":\"" + id + "\"") != std::string::npos;
      if (!seen) std::this_thread::sleep_for(10ms);
    }
    EXPECT_TRUE(seen) << s.log();
    EXPECT_EQ(s.Stop(SIGTERM), 0);
  }
  Server s(dir_, "[app]\nname = \"log\"\n" + Fn("counter", "wagi_counter"),
           {"--no-access-log"});
  ASSERT_GT(s.port(), 0) << s.log();
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(Request(s.port(), "GET", "/counter").status, 200);
  ASSERT_EQ(Request(s.port(), "GET", "/missing").status, 404);
  EXPECT_EQ(s.Stop(SIGTERM), 0);
  const std::string log = s.log();
  EXPECT_NE(log.find("\"msg\":\"listening\""), std::string::npos) << log;
  EXPECT_EQ(log.find("\"msg\":\"request\""), std::string::npos) << log;
}

} // namespace
