// The bundled example apps (examples/), as built, served by the real
// `weft serve` on 127.0.0.1: one function each in C, C++, Rust and
// TypeScript. An example whose toolchain this configuration has (CMake
// sets WEFT_EXAMPLE_<LANG>_BUILT) must exist and answer correctly; one whose
// toolchain is missing is reported as skipped, never as passed.
#include <unistd.h>

#include <gtest/gtest.h>
#include <memory>
#include <string>

#include "serve_helper.h"

#ifndef WEFT_EXAMPLES_DIR
#define WEFT_EXAMPLES_DIR ""
#endif
#ifndef WEFT_EXAMPLE_C_BUILT
#define WEFT_EXAMPLE_C_BUILT 0
#endif
#ifndef WEFT_EXAMPLE_CXX_BUILT
#define WEFT_EXAMPLE_CXX_BUILT 0
#endif
#ifndef WEFT_EXAMPLE_RUST_BUILT
#define WEFT_EXAMPLE_RUST_BUILT 0
#endif
#ifndef WEFT_EXAMPLE_TS_BUILT
#define WEFT_EXAMPLE_TS_BUILT 0
#endif

namespace {

using namespace weft_serve_test;

class Examples : public ::testing::Test {
protected:
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  // Copies build/examples/<name>'s module and manifest into a fresh folder
  // and serves it. Returns false (with a skip or a failure recorded) when
  // the example is not there.
  bool Serve(const std::string& name, const std::string& module,
             bool configured) {
    const fs::path app = fs::path(WEFT_EXAMPLES_DIR) / name;
    if (!fs::exists(app / module)) {
      if (configured) {
        ADD_FAILURE() << app / module
                      << " missing although its toolchain was found";
      } else {
        skip_ = "toolchain for examples/" + name +
                " not installed (run tools/install-deps.sh)";
      }
      return false;
    }
    dir_ = fs::temp_directory_path() /
           ("weft-examples-test-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::copy_file(app / module, dir_ / module);
    server_ = std::make_unique<Server>(dir_, ReadAll(app / "weft.toml"));
    if (server_->port() <= 0) {
      ADD_FAILURE() << "weft serve did not start:\n" << server_->log();
      return false;
    }
    return true;
  }
  fs::path dir_;
  std::unique_ptr<Server> server_;
  std::string skip_; // why Serve() found nothing to serve, if it should skip
};

TEST_F(Examples, HelloInC) {
  if (!Serve("hello", "hello.wasm", WEFT_EXAMPLE_C_BUILT)) {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    return;
  }
  Response r = Request(server_->port(), "GET", "/hello");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello from weft\n");
  EXPECT_EQ(server_->Stop(), 0);
}

TEST_F(Examples, KvCounterInCCountsVisits) {
  if (!Serve("kv-counter", "kv-counter.wasm", WEFT_EXAMPLE_C_BUILT)) {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    return;
  }
  for (int i = 1; i <= 3; ++i) {
    Response r = Request(server_->port(), "GET", "/");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "visits: " + std::to_string(i) + "\n");
  }
  EXPECT_EQ(server_->Stop(), 0);
}

TEST_F(Examples, EchoInCxxEchoesMethodHeadersAndBody) {
  if (!Serve("echo", "echo.wasm", WEFT_EXAMPLE_CXX_BUILT)) {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    return;
  }
  Response r = Request(server_->port(), "POST", "/echo/x?y=1", "ping body",
                       "X-Probe: 42\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("POST"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("/echo/x"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("y=1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("X-Probe: 42"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("ping body"), std::string::npos) << r.body;
  EXPECT_EQ(server_->Stop(), 0);
}

TEST_F(Examples, HelloInRust) {
  if (!Serve("hello-rust", "hello-rust.wasm", WEFT_EXAMPLE_RUST_BUILT)) {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    return;
  }
  Response r = Request(server_->port(), "GET", "/rust?name=Ada");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "text/plain");
  // GREETING comes from the manifest's env.
  EXPECT_EQ(r.body, "hi, Ada! (from Rust)\n");
  r = Request(server_->port(), "POST", "/rust", "12345");
  EXPECT_EQ(r.body, "hi, world! (from Rust)\nyou sent 5 bytes\n");
  EXPECT_EQ(server_->Stop(), 0);
}

TEST_F(Examples, HelloInTypeScript) {
  if (!Serve("hello-ts", "hello-ts.wasm", WEFT_EXAMPLE_TS_BUILT)) {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    return;
  }
  Response r = Request(server_->port(), "GET", "/ts?name=Ada");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "text/plain");
  EXPECT_EQ(r.body, "hi, Ada! (from TypeScript)\n");
  r = Request(server_->port(), "POST", "/ts", "1234567");
  EXPECT_EQ(r.body, "hi, world! (from TypeScript)\nyou sent 7 bytes\n");
  EXPECT_EQ(server_->Stop(), 0);
}

} // namespace
