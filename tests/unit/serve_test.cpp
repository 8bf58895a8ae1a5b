// `weft serve` end to end: the built weft binary (WEFT_BINARY) serves WAGI
// guests (tests/wasi/wagi_*.c) and the hello example on 127.0.0.1 with an
// ephemeral port; the test talks HTTP/1.1 to it over real sockets.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "serve_helper.h"

#ifndef WEFT_EXAMPLES_DIR
#define WEFT_EXAMPLES_DIR ""
#endif

namespace {

using namespace weft_serve_test;
using namespace std::chrono_literals;

class ServeTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (!fs::exists(Guest("wagi_echo")))
      GTEST_SKIP() << "WAGI guests not built (clang-19 / wasi-libc missing)";
    dir_ = fs::temp_directory_path() /
           ("weft-serve-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Function(const std::string& name, const std::string& route,
                       const std::string& guest,
                       const std::string& extra = "") {
    return "[[function]]\nname = \"" + name + "\"\nroute = \"" + route +
           "\"\nmodule = \"" + Guest(guest) + "\"\n" + extra + "\n";
  }
  fs::path dir_;
};

TEST_F(ServeTest, HelloExample) {
  const fs::path app = fs::path(WEFT_EXAMPLES_DIR) / "hello";
  if (!fs::exists(app / "hello.wasm")) GTEST_SKIP() << "hello not built";
  // The example app as built: its manifest and hello.wasm side by side.
  fs::create_directories(dir_);
  fs::copy_file(app / "hello.wasm", dir_ / "hello.wasm");
  Server s(dir_, ReadAll(app / "weft.toml"));
  ASSERT_GT(s.port(), 0) << s.log();
  Response r = Request(s.port(), "GET", "/hello");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "text/plain");
  EXPECT_EQ(r.body, "hello from weft\n");
  EXPECT_EQ(s.Stop(SIGINT), 0);
}

TEST_F(ServeTest, ServesFunctionsAndBuiltins) {
  Server s(dir_, "[app]\nname = \"t\"\n" +
                     Function("echo", "/echo/...", "wagi_echo",
                              "env = { GREETING = \"hi\" }") +
                     Function("counter", "/counter", "wagi_counter"));
  ASSERT_GT(s.port(), 0) << s.log();

  Response r =
      Request(s.port(), "POST", "/echo/a/b?x=1", "the body", "X-Test: yo\r\n");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "text/plain");
  EXPECT_EQ(r.Header("X-Echo"), "yes");
  EXPECT_FALSE(r.Header("X-Request-Id").empty());
  EXPECT_NE(r.body.find("method=POST\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("script_name=/echo\n"), std::string::npos);
  EXPECT_NE(r.body.find("path_info=/a/b\n"), std::string::npos);
  EXPECT_NE(r.body.find("query=x=1\n"), std::string::npos);
  EXPECT_NE(r.body.find("route=/echo/...\n"), std::string::npos);
  EXPECT_NE(r.body.find("content_length=8\n"), std::string::npos);
  EXPECT_NE(r.body.find("x_test=yo\n"), std::string::npos);
  EXPECT_NE(r.body.find("greeting=hi\n"), std::string::npos);
  EXPECT_NE(r.body.find("body=the body\n"), std::string::npos);
  // CGI Status and Location.
  EXPECT_EQ(Request(s.port(), "GET", "/echo?status").status, 201);
  Response loc = Request(s.port(), "GET", "/echo?redirect");
  EXPECT_EQ(loc.status, 302);
  EXPECT_EQ(loc.Header("Location"), "/elsewhere");

  // A fresh instance per request: the guest's global counter is 1 each time.
  for (int i = 0; i < 5; ++i) {
    Response c = Request(s.port(), "GET", "/counter");
    EXPECT_EQ(c.status, 200);
    EXPECT_EQ(c.body, "count=1\n");
  }

  EXPECT_EQ(Request(s.port(), "GET", "/nope").status, 404);
  EXPECT_EQ(Request(s.port(), "GET", "/echoes").status, 404); // not a prefix
  Response h = Request(s.port(), "GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "ok\n");

  Response m = Request(s.port(), "GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(
      m.body.find("weft_requests_total{function=\"counter\",status=\"200\"} 5"),
      std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("weft_requests_total{function=\"\",status=\"404\"} 2"),
            std::string::npos);
  EXPECT_NE(m.body.find("weft_request_duration_seconds_count{function="
                        "\"counter\"} 5"),
            std::string::npos);
  EXPECT_NE(m.body.find("weft_instances_live 0"), std::string::npos);

  // Keep-alive: two requests on one connection.
  int fd = Connect(s.port());
  ASSERT_GE(fd, 0);
  std::string buf;
  SendAll(fd, "GET /counter HTTP/1.1\r\nHost: x\r\n\r\n");
  Response k1 = ReadResponse(fd, buf);
  SendAll(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  Response k2 = ReadResponse(fd, buf);
  ::close(fd);
  EXPECT_EQ(k1.status, 200);
  EXPECT_EQ(k2.status, 200);
  EXPECT_EQ(k2.body, "ok\n");

  // Access log: JSON lines (stderr is a file here), and guest stderr lines
  // tagged with function and request id. Access records are buffered and
  // written at least every 100 ms.
  std::string log = s.log();
  for (int i = 0;
       i < 200 && log.find("\"path\":\"/counter\"") == std::string::npos; ++i) {
    std::this_thread::sleep_for(10ms);
    log = s.log();
  }
  EXPECT_NE(log.find("\"msg\":\"request\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"path\":\"/counter\""), std::string::npos);
  std::regex guest_line(
      R"re(\{"function":"echo",[^\n]*"msg":"echo served POST","request_id":"[^"]+","source":"guest")re");
  EXPECT_TRUE(std::regex_search(log, guest_line)) << log;

  EXPECT_EQ(s.Stop(SIGTERM), 0);
}

TEST_F(ServeTest, TrapsTimeoutsAndMemoryLimitsStayInTheirRequest) {
  Server s(
      dir_,
      "[app]\nname = \"t\"\n" + Function("trap", "/trap", "wagi_trap") +
          Function("spin", "/spin", "wagi_spin", "timeout = \"300ms\"") +
          Function("bomb", "/bomb", "wagi_membomb", "memory_limit = \"4MiB\"") +
          Function("counter", "/counter", "wagi_counter"));
  ASSERT_GT(s.port(), 0) << s.log();

  Response t = Request(s.port(), "GET", "/trap");
  EXPECT_EQ(t.status, 500);
  const std::string id = t.Header("X-Request-Id");
  ASSERT_FALSE(id.empty());
  EXPECT_NE(t.body.find(id), std::string::npos) << t.body;
  // The partial output of a trapped guest is not sent.
  EXPECT_EQ(t.body.find("partial"), std::string::npos);
  EXPECT_EQ(Request(s.port(), "GET", "/counter").body, "count=1\n");

  auto t0 = std::chrono::steady_clock::now();
  Response sp = Request(s.port(), "GET", "/spin");
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(sp.status, 504);
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(Request(s.port(), "GET", "/counter").body, "count=1\n");

  Response b = Request(s.port(), "GET", "/bomb");
  EXPECT_EQ(b.status, 200);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(b.body, m, std::regex(R"(got (\d+) MiB)")))
      << b.body;
  EXPECT_LT(std::stoi(m[1].str()), 4);

  const std::string log = s.log();
  std::regex trap_line("\\{[^\\n]*\"msg\":\"guest trapped\",\"request_id\":\"" +
                       id + "\"[^\\n]*\"trap\":\"unreachable\"");
  EXPECT_TRUE(std::regex_search(log, trap_line)) << log;
  Response metrics = Request(s.port(), "GET", "/metrics");
  EXPECT_NE(metrics.body.find("weft_traps_total{function=\"trap\",kind="
                              "\"unreachable\"} 1"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("weft_timeouts_total{function=\"spin\"} 1"),
            std::string::npos);
  EXPECT_EQ(s.Stop(SIGTERM), 0);
}

TEST_F(ServeTest, ConcurrencyLimitAnswers503) {
  Server s(dir_, "[app]\nname = \"t\"\n" +
                     Function("spin", "/spin", "wagi_spin",
                              "timeout = \"1s\"\nmax_concurrency = 1"));
  ASSERT_GT(s.port(), 0) << s.log();
  // Connections go to the two workers in turn: the second request runs
  // beside the first and finds the function at its limit.
  std::thread first(
      [&] { EXPECT_EQ(Request(s.port(), "GET", "/spin").status, 504); });
  std::this_thread::sleep_for(200ms);
  Response r = Request(s.port(), "GET", "/spin");
  first.join();
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Header("Retry-After"), "1");
}

// A reload does not reset max_concurrency: a request still running on the
// old version counts against the new version's limit.
TEST_F(ServeTest, ConcurrencyLimitHoldsAcrossAReload) {
  const std::string manifest =
      "[app]\nname = \"t\"\n" +
      Function("spin", "/spin", "wagi_spin",
               "timeout = \"1500ms\"\nmax_concurrency = 1");
  Server s(dir_, manifest, {"--watch"});
  ASSERT_GT(s.port(), 0) << s.log();
  std::thread first(
      [&] { EXPECT_EQ(Request(s.port(), "GET", "/spin").status, 504); });
  std::this_thread::sleep_for(100ms);
  // A new version of the app (the same function) while the first request
  // spins.
  {
    const fs::path tmp = dir_ / "weft.toml.tmp";
    std::ofstream(tmp) << manifest << "# version 2\n";
    fs::rename(tmp, dir_ / "weft.toml");
  }
  const auto until = std::chrono::steady_clock::now() + 1s;
  while (s.log().find("\"msg\":\"reloaded\"") == std::string::npos &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  ASSERT_NE(s.log().find("\"msg\":\"reloaded\""), std::string::npos) << s.log();
  Response r = Request(s.port(), "GET", "/spin");
  first.join();
  EXPECT_EQ(r.status, 503) << r.body;
}

// HTTP framing of the server's own connection handling: pipelined
// requests answered in order, HEAD, HTTP/1.0 with and without keep-alive,
// a chunked request body, bad requests.
TEST_F(ServeTest, HttpFraming) {
  Server s(dir_,
           "[app]\nname = \"t\"\n" + Function("echo", "/echo", "wagi_echo"));
  ASSERT_GT(s.port(), 0) << s.log();
  std::string buf;
  {
    // Three requests in one write, the second with a body.
    int fd = Connect(s.port());
    ASSERT_GE(fd, 0);
    SendAll(fd,
            "GET /echo?a HTTP/1.1\r\nHost: x\r\n\r\n"
            "POST /echo?b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz"
            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    Response a = ReadResponse(fd, buf);
    Response b = ReadResponse(fd, buf);
    Response c = ReadResponse(fd, buf);
    EXPECT_NE(a.body.find("query=a\n"), std::string::npos) << a.body;
    EXPECT_NE(b.body.find("query=b\n"), std::string::npos) << b.body;
    EXPECT_NE(b.body.find("body=xyz\n"), std::string::npos) << b.body;
    EXPECT_EQ(c.body, "ok\n");
    // HEAD: the length of the body it would get, no body.
    SendAll(fd, "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string raw;
    char chunk[4096];
    while (raw.find("ok\n") == std::string::npos) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      raw.append(chunk, static_cast<size_t>(n));
    }
    // Both responses, the first without a body: the second status line
    // follows the first header block directly.
    const size_t first_end = raw.find("\r\n\r\n");
    ASSERT_NE(first_end, std::string::npos) << raw;
    EXPECT_NE(raw.substr(0, first_end).find("Content-Length: 3"),
              std::string::npos)
        << raw;
    EXPECT_EQ(raw.compare(first_end + 4, 9, "HTTP/1.1 "), 0) << raw;
    // A chunked body.
    SendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    buf.clear();
    Response d = ReadResponse(fd, buf);
    EXPECT_NE(d.body.find("body=abcde\n"), std::string::npos) << d.body;
    EXPECT_NE(d.body.find("content_length=5\n"), std::string::npos) << d.body;
    ::close(fd);
  }
  {
    // HTTP/1.0 without keep-alive: answered as 1.0, then closed.
    int fd = Connect(s.port());
    ASSERT_GE(fd, 0);
    SendAll(fd, "GET /healthz HTTP/1.0\r\n\r\n");
    buf.clear();
    Response r = ReadResponse(fd, buf);
    EXPECT_EQ(r.head.compare(0, 12, "HTTP/1.0 200"), 0) << r.head;
    char c;
    EXPECT_EQ(::recv(fd, &c, 1, 0), 0); // closed by the server
    ::close(fd);
  }
  {
    // HTTP/1.0 with keep-alive: the connection stays.
    int fd = Connect(s.port());
    ASSERT_GE(fd, 0);
    buf.clear();
    for (int i = 0; i < 2; ++i) {
      SendAll(fd, "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      Response r = ReadResponse(fd, buf);
      EXPECT_EQ(r.status, 200);
      EXPECT_EQ(r.Header("Connection"), "keep-alive");
    }
    ::close(fd);
  }
  {
    // Garbage: 400 and the connection closed; the server serves on.
    Response r = RawRequest(s.port(), "NOT HTTP AT ALL\r\n\r\n");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.Header("Connection"), "close");
  }
  EXPECT_EQ(Request(s.port(), "GET", "/healthz").status, 200);
}

// The header limit (16 KiB) is on the whole header, also when it arrives
// in many reads of short lines.
TEST_F(ServeTest, HeaderTooLargeIs431) {
  Server s(dir_,
           "[app]\nname = \"t\"\n" + Function("echo", "/echo", "wagi_echo"));
  ASSERT_GT(s.port(), 0) << s.log();
  auto send = [&](const std::string& head, size_t piece) {
    int fd = Connect(s.port());
    for (size_t at = 0; at < head.size(); at += piece) {
      SendAll(fd, head.substr(at, piece));
      if (piece < head.size()) std::this_thread::sleep_for(2ms);
    }
    std::string buf;
    Response r = ReadResponse(fd, buf);
    ::close(fd);
    return r.status;
  };
  std::string many = "GET /echo HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 3000; ++i)
    many += "X-A: b\r\n"; // 24,000 bytes of short fields
  many += "\r\n";
  EXPECT_EQ(send(many, many.size()), 431);
  EXPECT_EQ(send(many, 1000), 431); // in small pieces
  const std::string one_long =
      "GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') +
      "\r\n\r\n";
  EXPECT_EQ(send(one_long, one_long.size()), 431);
  // Just under the limit is fine.
  std::string fits = "GET /echo HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 1500; ++i)
    fits += "X-A: b\r\n";
  fits += "\r\n";
  EXPECT_EQ(send(fits, 1000), 200);
}

// A chunked body whose chunk-size line never ends is refused at once, not
// buffered until the request timeout.
TEST_F(ServeTest, EndlessChunkLineIs400) {
  Server s(dir_,
           "[app]\nname = \"t\"\n" + Function("echo", "/echo", "wagi_echo"));
  ASSERT_GT(s.port(), 0) << s.log();
  int fd = Connect(s.port());
  ASSERT_GE(fd, 0);
  SendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
              "chunked\r\n\r\n");
  const auto t0 = std::chrono::steady_clock::now();
  // Up to 4 MiB of hex digits; the server answers and closes long before
  // (the send then fails, which is fine).
  const std::string digits(64 * 1024, '1');
  for (int i = 0; i < 64; ++i)
    if (!SendAll(fd, digits)) break;
  std::string buf;
  Response r = ReadResponse(fd, buf);
  ::close(fd);
  EXPECT_EQ(r.status, 400);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s); // not the 10 s timeout
  EXPECT_EQ(Request(s.port(), "GET", "/healthz").status, 200);
}

TEST_F(ServeTest, BodyTooLargeIs413) {
  Server s(dir_,
           "[app]\nname = \"t\"\n" + Function("echo", "/echo", "wagi_echo"));
  ASSERT_GT(s.port(), 0) << s.log();
  Response r =
      RawRequest(s.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: "
                           "100000000\r\n\r\n");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(Request(s.port(), "GET", "/healthz").status, 200);
}

TEST_F(ServeTest, ManifestErrorsRefuseToStart) {
  struct Case {
    std::string manifest;
    std::string expect; // in stderr
  };
  const std::vector<Case> cases = {
      {"[app]\nname = \"t\"\n" + Function("echo", "/echo", "wagi_echo") +
           "colour = \"blue\"\n",
       "weft.toml:8:1: error: unknown key \"colour\" in [[function]]"},
      {"[app]\nname = \"t\"\n" + Function("a", "/api/...", "wagi_echo") +
           Function("b", "/api/x", "wagi_echo"),
       "weft.toml:10:9: error: route \"/api/x\" of function \"b\" overlaps "
       "route \"/api/...\" of function \"a\""},
      {"[app]\nname = \"t\"\n[[function]]\nname = \"m\"\nroute = \"/m\"\n"
       "module = \"missing.wasm\"\n",
       "weft.toml:6: error: function \"m\": module "},
      {"[app]\nname = \"t\"\n[[function]]\nname = \"m\"\nroute = \"/m\"\n"
       "module = \"bad.wasm\"\n",
       "weft.toml:6: error: function \"m\": invalid module "},
      {"[app]\nname = \"t\"\n" +
           Function("e", "/e", "wagi_echo", "timeout = \"forever\""),
       "weft.toml:7:11: error: timeout must be a duration"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const fs::path d = dir_ / std::to_string(i);
    fs::create_directories(d);
    std::ofstream(d / "bad.wasm") << std::string("\0asm\x01\0\0\0\x05", 9);
    Server s(d, cases[i].manifest);
    EXPECT_EQ(s.port(), 0);
    EXPECT_EQ(s.exit_status(), 1) << s.log();
    EXPECT_NE(s.log().find(cases[i].expect), std::string::npos)
        << "case " << i << ":\n"
        << s.log();
  }
}

TEST_F(ServeTest, SlowClientGets408) {
  Server s(dir_,
           "[app]\nname = \"t\"\n" + Function("echo", "/echo", "wagi_echo"),
           {"--request-timeout", "300ms"});
  ASSERT_GT(s.port(), 0) << s.log();
  int fd = Connect(s.port());
  ASSERT_GE(fd, 0);
  // Half a request, then nothing.
  SendAll(fd, "GET /echo HTTP/1.1\r\nHost: x\r\n");
  auto t0 = std::chrono::steady_clock::now();
  std::string buf;
  Response r = ReadResponse(fd, buf);
  auto took = std::chrono::steady_clock::now() - t0;
  ::close(fd);
  EXPECT_EQ(r.status, 408);
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 5s);
  EXPECT_EQ(Request(s.port(), "GET", "/healthz").status, 200);
}

// A client that sends a request and then never reads its (large) response:
// the write stalls, the server gives up after --request-timeout and closes
// the connection; other clients are served meanwhile.
TEST_F(ServeTest, ClientThatStopsReadingIsDisconnected) {
  Server s(dir_,
           "[app]\nname = \"t\"\n" +
               Function("echo", "/echo", "wagi_echo",
                        "max_response_size = \"32MiB\"\ntimeout = \"10s\""),
           {"--request-timeout", "300ms"});
  ASSERT_GT(s.port(), 0) << s.log();
  int fd = Connect(s.port());
  ASSERT_GE(fd, 0);
  // A fixed receive buffer (no autotuning up to 32 MiB): together with the
  // server's send buffer it holds well under the 12 MiB response.
  int rcvbuf = 1 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  const std::string body(12 << 20, 'b'); // echoed back: 12 MiB
  ASSERT_TRUE(SendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body));
  // Meanwhile the server answers others.
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(Request(s.port(), "GET", "/healthz").status, 200);
  // Long past the timeout: the server has closed; what was in flight is
  // all the client gets, then the end of the stream.
  std::this_thread::sleep_for(1500ms);
  size_t got = 0;
  char chunk[65536];
  ssize_t n;
  while ((n = ::recv(fd, chunk, sizeof chunk, 0)) > 0)
    got += static_cast<size_t>(n);
  ::close(fd);
  EXPECT_LT(got, body.size());
  EXPECT_TRUE(n == 0 || errno == ECONNRESET) << "recv: " << n << " " << errno;
  EXPECT_EQ(Request(s.port(), "GET", "/healthz").status, 200);
}

TEST_F(ServeTest, SigtermDrainsRequestsInFlight) {
  Server s(dir_,
           "[app]\nname = \"t\"\n" +
               Function("spin", "/spin", "wagi_spin", "timeout = \"700ms\""));
  ASSERT_GT(s.port(), 0) << s.log();
  Response in_flight;
  std::thread client([&] { in_flight = Request(s.port(), "GET", "/spin"); });
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(s.Stop(SIGTERM), 0) << s.log();
  client.join();
  // The request that was running when the signal came still got its answer.
  EXPECT_TRUE(in_flight.ok);
  EXPECT_EQ(in_flight.status, 504);
  EXPECT_NE(s.log().find("\"msg\":\"draining\""), std::string::npos);
  // And the server no longer accepts.
  EXPECT_LT(Connect(s.port()), 0);
}

TEST_F(ServeTest, ExpectContinue) {
  Server s(dir_,
           "[app]\nname = \"t\"\n" + Function("echo", "/echo", "wagi_echo"));
  ASSERT_GT(s.port(), 0) << s.log();
  int fd = Connect(s.port());
  ASSERT_GE(fd, 0);
  SendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
              "Expect: 100-continue\r\nConnection: close\r\n\r\n");
  std::string buf;
  Response cont = ReadResponse(fd, buf);
  EXPECT_EQ(cont.status, 100);
  SendAll(fd, "hello");
  Response r = ReadResponse(fd, buf);
  ::close(fd);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("body=hello\n"), std::string::npos) << r.body;
}

// The weft capabilities through the server: the kv-counter example counts
// visits in a SQLite KV store under --data-dir, which survives a restart.
TEST_F(ServeTest, KvCounterSurvivesRestart) {
  const fs::path app = fs::path(WEFT_EXAMPLES_DIR) / "kv-counter";
  if (!fs::exists(app / "kv-counter.wasm"))
    GTEST_SKIP() << "kv-counter not built";
  fs::create_directories(dir_);
  fs::copy_file(app / "kv-counter.wasm", dir_ / "kv-counter.wasm");
  const std::string manifest = ReadAll(app / "weft.toml");
  {
    Server s(dir_, manifest);
    ASSERT_GT(s.port(), 0) << s.log();
    EXPECT_EQ(Request(s.port(), "GET", "/").body, "visits: 1\n");
    EXPECT_EQ(Request(s.port(), "GET", "/").body, "visits: 2\n");
    EXPECT_EQ(s.Stop(SIGTERM), 0);
  }
  EXPECT_TRUE(fs::exists(dir_ / "data" / "default.sqlite"));
  Server s(dir_, manifest);
  ASSERT_GT(s.port(), 0) << s.log();
  EXPECT_EQ(Request(s.port(), "GET", "/").body, "visits: 3\n");
}

// A guest that prints without end: its stdout is capped at
// max_response_size, the request ends 500 at once (not at its timeout),
// with a log line and a metric; stderr is capped at max_log_size and the
// guest sees its writes fail but still answers.
TEST_F(ServeTest, GuestOutputIsCapped) {
  if (!fs::exists(Guest("wagi_flood"))) GTEST_SKIP() << "wagi_flood not built";
  Server s(dir_, "[app]\nname = \"t\"\n" +
                     Function("flood", "/flood", "wagi_flood",
                              "max_response_size = \"1MiB\"\n"
                              "max_log_size = \"4KiB\"\ntimeout = \"20s\"") +
                     Function("counter", "/counter", "wagi_counter"));
  ASSERT_GT(s.port(), 0) << s.log();
  auto t0 = std::chrono::steady_clock::now();
  Response r = Request(s.port(), "GET", "/flood?stdout");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("max_response_size"), std::string::npos) << r.body;
  EXPECT_LT(r.body.size(), 1000u);

  Response e = Request(s.port(), "GET", "/flood?stderr");
  EXPECT_EQ(e.status, 200);
  EXPECT_EQ(e.body, "stderr took 4096 bytes\n");
  EXPECT_EQ(Request(s.port(), "GET", "/counter").body, "count=1\n");

  const std::string log = s.log();
  EXPECT_TRUE(std::regex_search(
      log,
      std::regex(
          R"re(\{[^\n]*"max_response_size":1048576,[^\n]*"msg":"guest output exceeded max_response_size")re")))
      << log.substr(0, 4000);
  EXPECT_NE(log.find("guest stderr truncated at max_log_size"),
            std::string::npos);
  Response m = Request(s.port(), "GET", "/metrics");
  EXPECT_NE(m.body.find("weft_guest_output_truncated_total{function=\"flood\","
                        "stream=\"stdout\"} 1"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("weft_guest_output_truncated_total{function=\"flood\","
                        "stream=\"stderr\"} 1"),
            std::string::npos);
  EXPECT_NE(m.body.find("weft_guest_output_truncated_total{function="
                        "\"counter\",stream=\"stdout\"} 0"),
            std::string::npos);
  EXPECT_EQ(s.Stop(SIGTERM), 0);
}

// A guest blocked in a host call (sleeping in poll_oneoff) is interrupted
// at its timeout like a spinning one: 504 well before its sleep ends.
TEST_F(ServeTest, TimeoutInterruptsAGuestSleepingInAHostCall) {
  if (!fs::exists(Guest("wagi_sleep"))) GTEST_SKIP() << "wagi_sleep not built";
  Server s(dir_, "[app]\nname = \"t\"\n" + Function("nap", "/nap", "wagi_sleep",
                                                    "timeout = \"300ms\""));
  ASSERT_GT(s.port(), 0) << s.log();
  EXPECT_EQ(Request(s.port(), "GET", "/nap?20").body, "slept 20 ms\n");
  auto t0 = std::chrono::steady_clock::now();
  Response r = Request(s.port(), "GET", "/nap?10000");
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.status, 504);
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 1s);
  Response m = Request(s.port(), "GET", "/metrics");
  EXPECT_NE(m.body.find("weft_timeouts_total{function=\"nap\"} 1"),
            std::string::npos)
      << m.body;
  EXPECT_EQ(s.Stop(SIGTERM), 0);
}

// An idle server sleeps (its timeout clock and hand-over watcher wait
// instead of ticking every 1-2 ms), and wakes for the next guest: a
// spinning guest still times out, and another request on the same worker
// is still served beside it (the hand-over).
TEST_F(ServeTest, IdleServerSleepsAndWakesForTheNextGuest) {
  Server s(dir_,
           "[app]\nname = \"t\"\n" +
               Function("spin", "/spin", "wagi_spin", "timeout = \"400ms\"") +
               Function("echo", "/echo", "wagi_echo"));
  ASSERT_GT(s.port(), 0) << s.log();
  auto wakeups = [&] {
    long long n = 0;
    for (const auto& t :
         fs::directory_iterator("/proc/" + std::to_string(s.pid()) + "/task")) {
      std::ifstream in(t.path() / "status");
      std::string line;
      while (std::getline(in, line))
        if (line.rfind("voluntary_ctxt_switches:", 0) == 0)
          n += std::stoll(line.substr(line.find(':') + 1));
    }
    return n;
  };
  std::this_thread::sleep_for(500ms); // past the 100 ms before sleeping
  const long long before = wakeups();
  std::this_thread::sleep_for(1s);
  // Ticking: 1,500 a second; asleep: a few timers (access-log flush every
  // 100 ms, idle checks every second).
  EXPECT_LT(wakeups() - before, 300);
  for (int round = 0; round < 2; ++round) {
    std::this_thread::sleep_for(300ms); // asleep again
    auto t0 = std::chrono::steady_clock::now();
    std::thread spin(
        [&] { EXPECT_EQ(Request(s.port(), "GET", "/spin").status, 504); });
    std::this_thread::sleep_for(100ms);
    // Both connections of this loop may land on the spinning worker: the
    // echo is answered anyway, long before the spin's timeout.
    for (int i = 0; i < 2; ++i)
      EXPECT_EQ(Request(s.port(), "GET", "/echo").status, 200);
    spin.join();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  }
}

// The echo example (C++): method, headers and body come back.
TEST_F(ServeTest, EchoExample) {
  const fs::path app = fs::path(WEFT_EXAMPLES_DIR) / "echo";
  if (!fs::exists(app / "echo.wasm")) GTEST_SKIP() << "echo not built";
  fs::create_directories(dir_);
  fs::copy_file(app / "echo.wasm", dir_ / "echo.wasm");
  Server s(dir_, ReadAll(app / "weft.toml"));
  ASSERT_GT(s.port(), 0) << s.log();
  Response r = Request(s.port(), "POST", "/echo/a/b?x=1", "hello\nbody",
                       "X-Thing: 42\r\nContent-Type: text/x-demo\r\n");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.body, "method: POST\n"
                    "path: /echo/a/b\n"
                    "query: x=1\n"
                    "header: Connection: close\n"
                    "header: Host: 127.0.0.1\n"
                    "header: X-Thing: 42\n"
                    "header: Content-Type: text/x-demo\n"
                    "body (10 bytes):\nhello\nbody");
  Response g = Request(s.port(), "GET", "/echo");
  EXPECT_EQ(g.status, 200);
  EXPECT_NE(g.body.find("method: GET\npath: /echo\n"), std::string::npos)
      << g.body;
  EXPECT_NE(g.body.find("body (0 bytes):\n"), std::string::npos);
  EXPECT_EQ(s.Stop(SIGTERM), 0);
}

} // namespace
