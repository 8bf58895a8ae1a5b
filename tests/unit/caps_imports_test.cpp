// The "weft" host imports end to end: a C guest built with sdk/c/weft.h
// (tests/wasi/kv_guest.c) runs through the embedding API with
// ResolveWasiImport + ResolveWeftImport under a ScopedRequestCaps. KV on a
// real SQLite file, grants, bad guest pointers, config, logging, and
// outbound HTTP to a real server on 127.0.0.1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "platform/caps/caps.h"
#include "runtime/runtime.h"
#include "wasi/wasi.h"
#include "wat_helper.h"

#ifndef WEFT_WASI_PROGRAMS_DIR
#define WEFT_WASI_PROGRAMS_DIR ""
#endif
#ifndef WEFT_EXAMPLES_DIR
#define WEFT_EXAMPLES_DIR ""
#endif

namespace weft::caps {
namespace {

namespace fs = std::filesystem;

class TempDir {
public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "weft-caps-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

std::vector<uint8_t> ReadBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string ReadFd(int fd) {
  std::string s;
  char buf[4096];
  off_t off = 0;
  ssize_t n;
  while ((n = ::pread(fd, buf, sizeof buf, off)) > 0) {
    s.append(buf, size_t(n));
    off += n;
  }
  return s;
}

struct RunOutput {
  int status = -1;
  std::string out;
  std::string error; // link/instantiate error or trap
};

// Runs `wasm` (default: kv_guest.wasm) with `args` under `caps`.
RunOutput RunGuest(const std::vector<std::string>& args, RequestCaps* caps,
                   fs::path wasm = fs::path(WEFT_WASI_PROGRAMS_DIR) /
                                   "kv_guest.wasm") {
  RunOutput r;
  std::vector<uint8_t> bytes = ReadBytes(wasm);
  if (bytes.empty()) {
    r.error = "missing " + wasm.string();
    return r;
  }
  Engine engine;
  auto compiled = CompileModule(engine, bytes);
  if (!compiled) {
    r.error = compiled.error().message;
    return r;
  }
  int out_fd = ::memfd_create("out", 0);
  WasiConfig cfg;
  cfg.args = {"kv_guest.wasm"};
  cfg.args.insert(cfg.args.end(), args.begin(), args.end());
  cfg.stdin_fd = -1;
  cfg.stdout_fd = out_fd;
  auto ctx = WasiContext::Create(cfg);
  if (!ctx) {
    r.error = ctx.error().message;
    return r;
  }
  Store store(engine);
  const Module& m = (*compiled)->module();
  std::vector<Extern> imports;
  for (const Import& imp : m.imports) {
    if (auto w = ResolveWeftImport(store, m, imp)) {
      if (!*w) {
        r.error = w->error().message;
        return r;
      }
      imports.push_back(**w);
      continue;
    }
    auto x = ResolveWasiImport(store, **ctx, m, imp);
    if (!x || !*x) {
      r.error = x ? "unknown import " + imp.module + "." + imp.name
                  : x.error().message;
      return r;
    }
    imports.push_back(**x);
  }
  InstantiateResult inst = store.Instantiate(*compiled, imports);
  if (!inst.instance) {
    r.error = inst.link_error ? inst.link_error->message : "instantiate trap";
    return r;
  }
  auto start = inst.instance->GetExport("_start");
  ScopedRequestCaps scope(caps);
  CallResult res = store.Call(start->func(), {});
  std::optional<int> status = WasiExitStatus(res);
  if (!status) r.error = res.trap->message;
  r.status = status.value_or(-1);
  r.out = ReadFd(out_fd);
  ::close(out_fd);
  return r;
}

class CapsImports : public ::testing::Test {
protected:
  void SetUp() override {
    if (!fs::exists(fs::path(WEFT_WASI_PROGRAMS_DIR) / "kv_guest.wasm"))
      GTEST_SKIP() << "kv_guest.wasm not built (clang / wasi-libc missing)";
    grants_.function = "kvtest";
    grants_.kv_stores = {"default"};
    grants_.variables = {{"greeting", "hello world"}};
    caps_.grants = &grants_;
    caps_.request_id = "req-1";
    caps_.kv = &kv_;
    caps_.log = [this](LogLevel level, std::string_view msg) {
      logs_.push_back(std::string(LogLevelName(level)) + ":" +
                      std::string(msg));
    };
  }

  TempDir dir_;
  SqliteKvBackend backend_{dir_.path()};
  KvService kv_{&backend_};
  FunctionGrants grants_;
  RequestCaps caps_;
  std::vector<std::string> logs_;
};

TEST_F(CapsImports, KvRoundTripAndDeniedStore) {
  RunOutput r = RunGuest({"kv"}, &caps_);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "open=0\n"
                   "handle_nonzero=1\n"
                   "set=0\n"
                   "set2=0\n"
                   "set3=0\n"
                   "get=0\n"
                   "value=alice len=5\n"
                   "get_small=-2 needed=5\n"
                   "get_missing=-1\n"
                   "list=0 len=14 keys=user:1,user:2,\n"
                   "delete=0\n"
                   "get_deleted=-1\n"
                   "open_denied=-3 handle=0\n"
                   "open_bad_name=-4\n"
                   "bad_handle=-4\n"
                   "key_too_long=-4\n");
  // The data is really in the SQLite file, and nothing else was created.
  EXPECT_TRUE(fs::exists(dir_.path() / "default.sqlite"));
  EXPECT_FALSE(fs::exists(dir_.path() / "secret.sqlite"));
  auto s = backend_.Open("default");
  ASSERT_TRUE(s.ok());
  std::string v;
  EXPECT_EQ((*s)->Get("user:2", &v), CapStatus::kOk);
  EXPECT_EQ(v, "bob");
}

TEST_F(CapsImports, CounterPersistsAcrossRequestsAndRestarts) {
  for (int i = 1; i <= 3; ++i) {
    RequestCaps caps = caps_; // a fresh request: no open handles
    RunOutput r = RunGuest({"counter"}, &caps);
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.out, "count=" + std::to_string(i) + "\n");
  }
  SqliteKvBackend restarted(dir_.path());
  KvService kv(&restarted);
  RequestCaps caps = caps_;
  caps.kv = &kv;
  RunOutput r = RunGuest({"counter"}, &caps);
  EXPECT_EQ(r.out, "count=4\n");
}

TEST_F(CapsImports, KvCounterExample) {
  fs::path wasm =
      fs::path(WEFT_EXAMPLES_DIR) / "kv-counter" / "kv-counter.wasm";
  if (!fs::exists(wasm)) GTEST_SKIP() << "examples/kv-counter not built";
  for (int i = 1; i <= 2; ++i) {
    RequestCaps caps = caps_;
    RunOutput r = RunGuest({}, &caps, wasm);
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, "Content-Type: text/plain\n\nvisits: " +
                         std::to_string(i) + "\n");
  }
  // Without the grant it answers 500 and logs why.
  grants_.kv_stores.clear();
  RunOutput r = RunGuest({}, &caps_, wasm);
  EXPECT_EQ(r.out.substr(0, 12), "Status: 500\n");
  ASSERT_EQ(logs_.size(), 1u);
  EXPECT_EQ(logs_[0], "error:kv-counter: kv_open failed with -3");
}

TEST_F(CapsImports, BadPointersReturnFaultWithoutTrapping) {
  RunOutput r = RunGuest({"fault"}, &caps_);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "open_bad_name_ptr=-6\n"
                   "open_bad_out=-6\n"
                   "get_bad_key=-6\n"
                   "get_bad_buf=-6\n"
                   "get_bad_len=-6\n"
                   "get_wrapping=-6\n"
                   "set_bad_value=-6\n"
                   "log_bad=-6\n"
                   "config_bad_buf=-6\n"
                   "still_running=1\n");
  EXPECT_TRUE(logs_.empty());
}

TEST_F(CapsImports, ConfigGet) {
  RunOutput r = RunGuest({"config"}, &caps_);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.out, "greeting=0 value=hello world\n"
                   "missing=-1\n"
                   "small=-2 needed=11\n");
}

TEST_F(CapsImports, LogGoesToTheRequestsSink) {
  RunOutput r = RunGuest({"log"}, &caps_);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.out, "info=0\nerror=0\nbad_level=-4\n");
  EXPECT_EQ(logs_, (std::vector<std::string>{"info:hello from guest",
                                             "error:bad thing"}));
}

TEST_F(CapsImports, WithoutRequestCapsEverythingIsUnavailable) {
  RunOutput r = RunGuest({"config"}, nullptr);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.out.substr(0, 14), "greeting=-10 v");
  RunOutput c = RunGuest({"counter"}, nullptr);
  EXPECT_EQ(c.status, 1); // kv_open failed
}

// A tiny HTTP/1.1 upstream on 127.0.0.1: answers every request with a body
// describing it, then closes the connection.
class Upstream {
public:
  Upstream() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~Upstream() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  int requests() const { return requests_; }

private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::string req;
      char buf[4096];
      size_t need = std::string::npos;
      while (req.size() < need) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, size_t(n));
        size_t he = req.find("\r\n\r\n");
        if (he != std::string::npos && need == std::string::npos) {
          size_t cl = 0;
          size_t at = req.find("Content-Length: ");
          if (at != std::string::npos && at < he)
            cl = std::stoul(req.substr(at + 16));
          need = he + 4 + cl;
        }
      }
      ++requests_;
      std::string line = req.substr(0, req.find("\r\n"));
      std::string xtest = "-";
      size_t at = req.find("X-Test: ");
      if (at != std::string::npos)
        xtest = req.substr(at + 8, req.find("\r\n", at) - at - 8);
      size_t he = req.find("\r\n\r\n");
      std::string body = "[" + line + "] x-test=" + xtest + " body=" +
                         (he == std::string::npos ? "" : req.substr(he + 4));
      std::string resp = "HTTP/1.1 201 Created\r\nContent-Length: " +
                         std::to_string(body.size()) +
                         "\r\nConnection: close\r\n\r\n" + body;
      ::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

TEST_F(CapsImports, OutboundHttpToAnAllowedHost) {
  Upstream up;
  std::string origin = "http://127.0.0.1:" + std::to_string(up.port());
  grants_.allowed_outbound_hosts = {origin};
  RunOutput r = RunGuest({"http", origin + "/items?id=7"}, &caps_);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.out,
            "get=0 status=201 len=41 body=[GET /items?id=7 HTTP/1.1] "
            "x-test=- body=\n"
            "post=0 status=201 body=[POST /items?id=7 HTTP/1.1] x-test=yes "
            "body=payload\n"
            "small=-2\n");
  EXPECT_EQ(up.requests(), 3);
}

TEST_F(CapsImports, OutboundHttpToOtherHostsIsForbidden) {
  Upstream up;
  grants_.allowed_outbound_hosts = {"http://127.0.0.1:1"};
  std::string url = "http://127.0.0.1:" + std::to_string(up.port()) + "/";
  RunOutput r = RunGuest({"http", url}, &caps_);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.out, "get=-3 status=0 len=0 body=\n"
                   "post=-3 status=0 body=\n"
                   "small=-3\n");
  EXPECT_EQ(up.requests(), 0); // never connected

  // https:// to a port where nothing listens: an I/O error, no crash
  // (caps_https_test covers a real TLS upstream).
  grants_.allowed_outbound_hosts = {"https://127.0.0.1:1"};
  RunOutput s = RunGuest({"http", "https://127.0.0.1:1/"}, &caps_);
  EXPECT_EQ(s.out.substr(0, 7), "get=-8 ");
}

TEST(CapsResolve, ImportsAreCheckedByNameAndType) {
  Engine engine;
  auto bytes = test::Wat(R"((module
    (import "weft" "log" (func (param i32 i32 i32) (result i32)))
    (import "weft" "kv_open" (func (param i32 i32) (result i32)))
    (import "weft" "nope" (func))
    (import "env" "f" (func))))");
  auto compiled = CompileModule(engine, bytes);
  ASSERT_TRUE(compiled.ok());
  const Module& m = (*compiled)->module();
  Store store(engine);
  auto ok = ResolveWeftImport(store, m, m.imports[0]);
  ASSERT_TRUE(ok.has_value());
  EXPECT_TRUE(ok->ok());
  auto bad_type = ResolveWeftImport(store, m, m.imports[1]);
  ASSERT_TRUE(bad_type.has_value());
  ASSERT_FALSE(bad_type->ok());
  EXPECT_EQ(bad_type->error().message.rfind(
                "incompatible import type for weft.kv_open", 0),
            0u);
  auto unknown = ResolveWeftImport(store, m, m.imports[2]);
  ASSERT_TRUE(unknown.has_value());
  ASSERT_FALSE(unknown->ok());
  EXPECT_EQ(unknown->error().message, "unknown import weft.nope");
  EXPECT_FALSE(ResolveWeftImport(store, m, m.imports[3]).has_value());
}

TEST(CapsHttp, ClientTalksToARealServer) {
  Upstream up;
  HttpResponse resp;
  OutboundHttpOptions opt;
  std::string url = "http://127.0.0.1:" + std::to_string(up.port()) + "/a";
  ASSERT_EQ(HttpFetch("PUT", url, {{"X-Test", "1"}}, "xyz", opt, &resp),
            CapStatus::kOk);
  EXPECT_EQ(resp.status, 201);
  EXPECT_EQ(resp.body, "[PUT /a HTTP/1.1] x-test=1 body=xyz");
  opt.max_response_bytes = 4;
  EXPECT_EQ(HttpFetch("GET", url, {}, "", opt, &resp), CapStatus::kTooLarge);
  EXPECT_EQ(HttpFetch("GET", url, {{"Bad\nName", "v"}}, "", opt, &resp),
            CapStatus::kInvalid);
  EXPECT_EQ(HttpFetch("GET", url, {{"X", "a\r\nInjected: 1"}}, "", opt, &resp),
            CapStatus::kInvalid);
}

TEST(CapsHttp, ConnectionRefusedIsAnIoError) {
  // Bind a port, then close it, so nothing listens there.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  HttpResponse resp;
  EXPECT_EQ(HttpFetch("GET",
                      "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)),
                      {}, "", {}, &resp),
            CapStatus::kIo);
}

TEST(CapsHttp, SilentServerTimesOut) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 4), 0); // accepted by the kernel, never answered
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  OutboundHttpOptions opt;
  opt.timeout = std::chrono::milliseconds(200);
  HttpResponse resp;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(HttpFetch("GET",
                      "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)),
                      {}, "", opt, &resp),
            CapStatus::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  ::close(fd);
}

} // namespace
} // namespace weft::caps
