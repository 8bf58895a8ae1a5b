// WasiConfig::memory_stdio (stdio as in-memory pipes, what weft serve uses)
// and WasiContext::Reset (a context back to its configured state, so an
// instance can serve one guest run after another).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "wasi/wasi.h"
#include "wat_helper.h"

namespace weft {
namespace {

namespace fs = std::filesystem;

// Memory: iovec at 0 -> buffer at 64 (1000 bytes); results at 8..; path
// "f.txt" at 2000; poll subscription at 3000, event at 3100.
constexpr const char* kGuest = R"((module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get"
    (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek"
    (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close"
    (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get"
    (func $environ_sizes_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 2000) "f.txt")
  (data (i32.const 2100) "oops\n")
  (data (i32.const 2200) "hi")
  ;; Reads stdin to its end, then writes what it read to stdout; returns
  ;; the bytes read.
  (func (export "echo") (result i32) (local $n i32) (local $got i32)
    (block $done
      (loop $more
        (i32.store (i32.const 0) (i32.add (i32.const 64) (local.get $n)))
        (i32.store (i32.const 4) (i32.sub (i32.const 1000) (local.get $n)))
        (br_if $done (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1)
                                    (i32.const 8)))
        (local.set $got (i32.load (i32.const 8)))
        (br_if $done (i32.eqz (local.get $got)))
        (local.set $n (i32.add (local.get $n) (local.get $got)))
        (br $more)))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (local.get $n))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
                          (i32.const 8)))
    (local.get $n))
  (func (export "err") (result i32)
    (i32.store (i32.const 0) (i32.const 2100))
    (i32.store (i32.const 4) (i32.const 5))
    (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
  (func (export "write1") (result i32)
    (i32.store (i32.const 0) (i32.const 2200))
    (i32.store (i32.const 4) (i32.const 2))
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
  (func (export "filetype1") (result i32)
    (drop (call $fd_fdstat_get (i32.const 1) (i32.const 16)))
    (i32.load8_u (i32.const 16)))
  (func (export "seek1") (result i32)
    (call $fd_seek (i32.const 1) (i64.const 0) (i32.const 0) (i32.const 16)))
  (func (export "close1") (result i32) (call $fd_close (i32.const 1)))
  (func (export "open_file") (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (i32.const 2000)
                     (i32.const 5) (i32.const 0) (i64.const 2) (i64.const 0)
                     (i32.const 0) (i32.const 16)))
  (func (export "opened_fd") (result i32) (i32.load (i32.const 16)))
  (func (export "fdstat4") (result i32)
    (call $fd_fdstat_get (i32.const 4) (i32.const 16)))
  ;; One fd_read subscription on stdin: the event's nbytes.
  (func (export "poll_stdin") (result i32)
    (i64.store (i32.const 3000) (i64.const 7))
    (i32.store8 (i32.const 3008) (i32.const 1))
    (i32.store (i32.const 3016) (i32.const 0))
    (drop (call $poll_oneoff (i32.const 3000) (i32.const 3100) (i32.const 1)
                             (i32.const 8)))
    (i32.wrap_i64 (i64.load (i32.const 3116))))
  ;; Writes 60000-byte blocks to stdout until a write fails: its errno.
  (func (export "flood") (result i32) (local $i i32) (local $e i32)
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 60000))
    (loop $more
      (local.set $e (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
                                    (i32.const 8)))
      (if (local.get $e) (then (return (local.get $e))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $more (i32.lt_u (local.get $i) (i32.const 2000))))
    (i32.const 0))
  (func (export "env_count") (result i32)
    (drop (call $environ_sizes_get (i32.const 16) (i32.const 20)))
    (i32.load (i32.const 16))))
)";

class WasiMemoryStdioTest : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft_memstdio_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ / "f.txt") << "file";
    WasiConfig cfg;
    cfg.args = {"guest"};
    cfg.env = {{"A", "1"}};
    cfg.preopens = {{dir_.string(), "/d", true}};
    cfg.memory_stdio = true;
    cfg.stdout_limit = 10;
    auto ctx = WasiContext::Create(cfg);
    ASSERT_TRUE(ctx.ok()) << ctx.error().message;
    ctx_ = std::move(*ctx);
    module_ = test::Compile(engine_, kGuest);
    ASSERT_TRUE(module_);
    auto imports = BindWasiImports(store_, *ctx_, module_->module());
    ASSERT_TRUE(imports.ok()) << imports.error().message;
    imports_ = std::move(*imports);
    InstantiateResult r = store_.Instantiate(module_, imports_);
    ASSERT_TRUE(r.instance);
    inst_ = r.instance;
  }
  void TearDown() override { fs::remove_all(dir_); }

  uint32_t Call(const char* name) {
    CallResult r = store_.Call(inst_->GetExport(name)->func(), {});
    EXPECT_FALSE(r.trap) << name;
    return r.trap || r.results.empty() ? 0xdeadbeef : r.results[0].i32;
  }

  fs::path dir_;
  Engine engine_;
  Store store_{engine_};
  std::unique_ptr<WasiContext> ctx_;
  std::shared_ptr<const CompiledModule> module_;
  std::vector<Extern> imports_;
  Instance* inst_ = nullptr;
};

TEST_F(WasiMemoryStdioTest, StdioIsInMemoryAndLimited) {
  *ctx_->MemoryStdio(0) = "hello stdin";
  EXPECT_EQ(Call("poll_stdin"), 11u); // all of it ready to read
  EXPECT_EQ(Call("echo"), 11u);
  // Cut at stdout_limit.
  EXPECT_EQ(*ctx_->MemoryStdio(1), "hello stdi");
  EXPECT_TRUE(ctx_->OutputLimitReached(1));
  EXPECT_EQ(Call("err"), 0u);
  EXPECT_EQ(*ctx_->MemoryStdio(2), "oops\n");
  // A pipe: filetype unknown (0), no seeking (notcapable, 76).
  EXPECT_EQ(Call("filetype1"), 0u);
  EXPECT_EQ(Call("seek1"), 76u);
  // Nothing left on stdin.
  EXPECT_EQ(Call("poll_stdin"), 0u);
  EXPECT_EQ(Call("echo"), 0u);
  // Not in-memory: no buffers.
  WasiConfig plain;
  plain.stdin_fd = plain.stdout_fd = plain.stderr_fd = -1;
  auto other = WasiContext::Create(plain);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->MemoryStdio(1), nullptr);
}

TEST_F(WasiMemoryStdioTest, ResetGivesBackTheConfiguredContext) {
  *ctx_->MemoryStdio(0) = "in";
  EXPECT_EQ(Call("env_count"), 1u);
  EXPECT_EQ(Call("echo"), 2u);
  EXPECT_EQ(Call("err"), 0u);
  // Change the fd table: open a file through the preopen, close stdout.
  EXPECT_EQ(Call("open_file"), 0u);
  EXPECT_EQ(Call("opened_fd"), 4u);
  EXPECT_EQ(Call("fdstat4"), 0u);
  EXPECT_EQ(Call("close1"), 0u);
  EXPECT_EQ(Call("write1"), 8u); // badf
  ASSERT_TRUE(ctx_->Reset().ok());
  // Buffers emptied, the limit back, the environment cleared (the embedder
  // sets the next run's), the fd table as configured.
  EXPECT_TRUE(ctx_->MemoryStdio(0)->empty());
  EXPECT_TRUE(ctx_->MemoryStdio(1)->empty());
  EXPECT_TRUE(ctx_->MemoryStdio(2)->empty());
  EXPECT_FALSE(ctx_->OutputLimitReached(1));
  EXPECT_EQ(Call("env_count"), 0u);
  EXPECT_EQ(Call("fdstat4"), 8u); // the opened file is gone
  EXPECT_EQ(Call("write1"), 0u);  // stdout is back
  EXPECT_EQ(*ctx_->MemoryStdio(1), "hi");
  EXPECT_EQ(Call("open_file"), 0u); // the preopen still works
  EXPECT_EQ(Call("opened_fd"), 4u);
  // A full limit's worth again after the reset.
  ASSERT_TRUE(ctx_->Reset().ok());
  *ctx_->MemoryStdio(0) = "0123456789";
  EXPECT_EQ(Call("echo"), 10u);
  EXPECT_EQ(*ctx_->MemoryStdio(1), "0123456789");
  EXPECT_FALSE(ctx_->OutputLimitReached(1));
}

TEST(WasiMemoryStdio, OutputWithoutALimitIsCappedByDefault) {
  WasiConfig cfg;
  cfg.memory_stdio = true; // no stdout_limit
  auto ctx = WasiContext::Create(cfg);
  ASSERT_TRUE(ctx.ok());
  Engine engine;
  Store store(engine);
  auto module = test::Compile(engine, kGuest);
  ASSERT_TRUE(module);
  auto imports = BindWasiImports(store, **ctx, module->module());
  ASSERT_TRUE(imports.ok());
  InstantiateResult r = store.Instantiate(module, *imports);
  ASSERT_TRUE(r.instance);
  CallResult c = store.Call(r.instance->GetExport("flood")->func(), {});
  ASSERT_FALSE(c.trap);
  EXPECT_EQ(c.results[0].i32, 22u); // fbig, before 2000 * 60000 bytes
  EXPECT_EQ((*ctx)->MemoryStdio(1)->size(), kDefaultMemoryOutputLimit);
  EXPECT_TRUE((*ctx)->OutputLimitReached(1));
}

} // namespace
} // namespace weft
