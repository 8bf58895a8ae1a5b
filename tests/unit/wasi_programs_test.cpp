// Real WASI programs (tests/wasi/*.c, built for wasm32-wasi by
// tests/wasi/CMakeLists.txt) run through the embedding API: CompileModule,
// BindWasiImports, Store::Instantiate, Store::Call of _start. Checks stdout,
// exit codes and effects on the host file system.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

#include "fs_helpers.h"
#include <map>
#include <sstream>
#include <string>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "runtime/runtime.h"
#include "wasi/wasi.h"
#include "wat_helper.h"

#ifndef WEFT_WASI_PROGRAMS_DIR
#define WEFT_WASI_PROGRAMS_DIR ""
#endif

namespace weft {
namespace {

using weft_test::ReadAll;
using weft_test::Snapshot;
using weft_test::WriteFile;

namespace fs = std::filesystem;

std::string ReadFdFromStart(int fd) {
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

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

struct GuestRun {
  bool ran = false;     // the module was found, compiled and started
  int status = -1;      // process status; -1 when it trapped
  std::string trap;     // the trap message, when it trapped
  std::string out, err; // stdout, stderr
  double seconds = 0;
};

struct RunOptions {
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<WasiPreopen> preopens;
  std::string stdin_data;
  bool force_path_walk = false;
  uint32_t max_fds = 1024;
  int stdin_fd = -1;  // when >= 0: used instead of a pipe with stdin_data
  int stdout_fd = -1; // when >= 0: used instead of a memfd (out stays empty)
};

class WasiProgramsTest : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft_wasi_prog_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    fs::create_directories(base_ / "root");
    fs::create_directories(base_ / "ro");
    fs::create_directories(base_ / "outside");
    WriteFile(base_ / "outside" / "secret.txt", "SECRET");
    WriteFile(base_ / "ro" / "readme.txt", "READONLY");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(base_, ec);
  }

  static std::string ProgramPath(const std::string& name) {
    return std::string(WEFT_WASI_PROGRAMS_DIR) + "/" + name + ".wasm";
  }

  GuestRun Run(const std::string& name, RunOptions opt = {}) {
    GuestRun r;
    std::vector<uint8_t> bytes = ReadBytes(ProgramPath(name));
    if (bytes.empty()) return r;
    int in_pipe[2];
    EXPECT_EQ(::pipe2(in_pipe, O_CLOEXEC), 0);
    EXPECT_LT(opt.stdin_data.size(), 60000u); // fits in the pipe buffer
    EXPECT_EQ(::write(in_pipe[1], opt.stdin_data.data(), opt.stdin_data.size()),
              ssize_t(opt.stdin_data.size()));
    ::close(in_pipe[1]);
    int out_fd = ::memfd_create("guest_stdout", MFD_CLOEXEC);
    int err_fd = ::memfd_create("guest_stderr", MFD_CLOEXEC);

    WasiConfig cfg;
    cfg.args = {name};
    cfg.args.insert(cfg.args.end(), opt.args.begin(), opt.args.end());
    cfg.env = opt.env;
    cfg.preopens = opt.preopens;
    cfg.stdin_fd = opt.stdin_fd >= 0 ? opt.stdin_fd : in_pipe[0];
    cfg.stdout_fd = opt.stdout_fd >= 0 ? opt.stdout_fd : out_fd;
    cfg.max_fds = opt.max_fds;
    cfg.stderr_fd = err_fd;
    cfg.force_path_walk = opt.force_path_walk;
    {
      auto ctx = WasiContext::Create(cfg);
      EXPECT_TRUE(ctx.ok()) << (ctx.ok() ? "" : ctx.error().message);
      Engine engine;
      auto compiled = CompileModule(engine, bytes);
      EXPECT_TRUE(compiled.ok())
          << (compiled.ok() ? "" : compiled.error().Describe());
      if (ctx.ok() && compiled.ok()) {
        Store store(engine);
        auto imports = BindWasiImports(store, **ctx, (*compiled)->module());
        EXPECT_TRUE(imports.ok())
            << (imports.ok() ? "" : imports.error().message);
        if (imports.ok()) {
          InstantiateResult inst = store.Instantiate(*compiled, *imports);
          EXPECT_FALSE(inst.link_error);
          EXPECT_FALSE(inst.trap);
          if (inst.instance) {
            auto start = inst.instance->GetExport("_start");
            EXPECT_TRUE(start.has_value());
            if (start) {
              auto t0 = std::chrono::steady_clock::now();
              CallResult res = store.Call(start->func(), {});
              r.seconds = std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - t0)
                              .count();
              r.ran = true;
              std::optional<int> status = WasiExitStatus(res);
              r.status = status ? *status : -1;
              if (res.trap) r.trap = res.trap->message;
            }
          }
        }
      }
    }
    ::close(in_pipe[0]);
    r.out = ReadFdFromStart(out_fd);
    r.err = ReadFdFromStart(err_fd);
    ::close(out_fd);
    ::close(err_fd);
    return r;
  }

  WasiPreopen Sandbox() const {
    return {(base_ / "root").string(), "/sandbox", /*read_only=*/false};
  }
  WasiPreopen ReadOnly() const {
    return {(base_ / "ro").string(), "/ro", /*read_only=*/true};
  }

  fs::path base_;
};

#define SKIP_IF_NOT_BUILT(name)                                                \
  if (!fs::exists(ProgramPath(name)))                                          \
  GTEST_SKIP() << "guest program " << name                                     \
               << ".wasm not built (needs clang-19 + wasi-libc)"

TEST_F(WasiProgramsTest, HelloWorld) {
  SKIP_IF_NOT_BUILT("hello");
  GuestRun r = Run("hello");
  ASSERT_TRUE(r.ran);
  EXPECT_EQ(r.trap, "");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "hello, world\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(WasiProgramsTest, ArgsAndEnvOnlyWhatIsGiven) {
  SKIP_IF_NOT_BUILT("args_env");
  RunOptions o;
  o.args = {"one", "two words", ""};
  o.env = {{"FOO", "bar"}, {"EMPTY", ""}, {"WITH_EQ", "a=b"}};
  GuestRun r = Run("args_env", o);
  ASSERT_TRUE(r.ran);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "argc=4\n"
                   "argv[0]=args_env\n"
                   "argv[1]=one\n"
                   "argv[2]=two words\n"
                   "argv[3]=\n"
                   "env FOO=bar\n"
                   "env EMPTY=\n"
                   "env WITH_EQ=a=b\n");
  // Nothing of the host's environment leaks in.
  GuestRun bare = Run("args_env");
  EXPECT_EQ(bare.out, "argc=1\nargv[0]=args_env\n");
}

TEST_F(WasiProgramsTest, CatStdinToStdout) {
  SKIP_IF_NOT_BUILT("cat");
  RunOptions o;
  std::string data;
  for (int i = 0; i < 2000; ++i)
    data += "line " + std::to_string(i) + "\n";
  o.stdin_data = data;
  GuestRun r = Run("cat", o);
  ASSERT_TRUE(r.ran);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, data);
}

TEST_F(WasiProgramsTest, CatFiles) {
  SKIP_IF_NOT_BUILT("cat");
  WriteFile(base_ / "root" / "a.txt", "AAA\n");
  fs::create_directories(base_ / "root" / "sub");
  WriteFile(base_ / "root" / "sub" / "b.txt", "BBB\n");
  RunOptions o;
  o.preopens = {Sandbox(), ReadOnly()};
  o.args = {"/sandbox/a.txt", "/sandbox/sub/b.txt", "/ro/readme.txt"};
  GuestRun r = Run("cat", o);
  ASSERT_TRUE(r.ran);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "AAA\nBBB\nREADONLY");

  o.args = {"/sandbox/missing.txt"};
  r = Run("cat", o);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("missing.txt"), std::string::npos);
}

TEST_F(WasiProgramsTest, DirectoryListing) {
  SKIP_IF_NOT_BUILT("ls");
  const fs::path root = base_ / "root";
  fs::create_directories(root / "subdir");
  WriteFile(root / "file1.txt", "1");
  fs::create_symlink("file1.txt", root / "link");
  // Enough long names that fd_readdir needs several calls.
  for (int i = 0; i < 150; ++i)
    WriteFile(root / ("entry_with_a_long_name_" + std::to_string(1000 + i)),
              "");
  RunOptions o;
  o.preopens = {Sandbox()};
  o.args = {"/sandbox"};
  GuestRun r = Run("ls", o);
  ASSERT_TRUE(r.ran);
  EXPECT_EQ(r.status, 0);
  std::string want;
  for (int i = 0; i < 150; ++i)
    want += "f entry_with_a_long_name_" + std::to_string(1000 + i) + "\n";
  want = "d subdir\n" + want; // "d " sorts before "f "
  want += "f file1.txt\n";
  // Sorted as the guest sorts them: "<type> <name>".
  std::vector<std::string> lines;
  std::stringstream ss(want + "l link\n");
  for (std::string l; std::getline(ss, l);)
    lines.push_back(l);
  std::sort(lines.begin(), lines.end());
  std::string expected;
  for (auto& l : lines)
    expected += l + "\n";
  expected += "total 153\n";
  EXPECT_EQ(r.out, expected);
}

TEST_F(WasiProgramsTest, CreateRenameUnlinkAndFriends) {
  SKIP_IF_NOT_BUILT("fileops");
  RunOptions o;
  o.preopens = {Sandbox()};
  GuestRun r = Run("fileops", o);
  ASSERT_TRUE(r.ran);
  EXPECT_EQ(r.out, "fileops ok\n");
  EXPECT_EQ(r.status, 0);
  const fs::path root = base_ / "root";
  EXPECT_TRUE(fs::is_directory(root / "dir1"));
  EXPECT_TRUE(fs::is_empty(root / "dir1"));
  EXPECT_EQ(ReadAll(root / "dir2" / "renamed.txt"), "Jello!!");
  EXPECT_EQ(fs::read_symlink(root / "lnk"), "dir2/renamed.txt");
  EXPECT_EQ(fs::hard_link_count(root / "hard.txt"), 2u);
  EXPECT_EQ(fs::file_size(root / "big.bin"), 100u);
  EXPECT_FALSE(fs::exists(root / "tmp.txt"));
  EXPECT_FALSE(fs::exists(root / "sub"));
  struct stat st;
  ASSERT_EQ(::stat((root / "dir2" / "renamed.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000000000);
}

TEST_F(WasiProgramsTest, Clocks) {
  SKIP_IF_NOT_BUILT("clocks");
  GuestRun r = Run("clocks");
  ASSERT_TRUE(r.ran);
  EXPECT_EQ(r.out, "clocks ok\n");
  EXPECT_EQ(r.status, 0);
}

TEST_F(WasiProgramsTest, Random) {
  SKIP_IF_NOT_BUILT("random");
  GuestRun r = Run("random");
  ASSERT_TRUE(r.ran);
  EXPECT_EQ(r.out, "random ok\n");
  EXPECT_EQ(r.status, 0);
}

TEST_F(WasiProgramsTest, ExitCode3) {
  SKIP_IF_NOT_BUILT("exit3");
  GuestRun r = Run("exit3");
  ASSERT_TRUE(r.ran);
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.out, "before exit\n"); // flushed before proc_exit
}

TEST_F(WasiProgramsTest, PollOneoffSleepAndFds) {
  SKIP_IF_NOT_BUILT("sleep");
  RunOptions o;
  o.stdin_data = "ping\npong\n";
  GuestRun r = Run("sleep", o);
  ASSERT_TRUE(r.ran);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("poll stdin: ping\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nbytes=5\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("poll ok\n"), std::string::npos) << r.out;
  // 100 ms relative + 50 ms absolute + 20 ms clock poll, really waited.
  EXPECT_GE(r.seconds, 0.16);
  EXPECT_LT(r.seconds, 4.0); // the 5 s clock never had to fire
}

TEST_F(WasiProgramsTest, BadGuestPointersFault) {
  SKIP_IF_NOT_BUILT("fault");
  RunOptions o;
  o.preopens = {Sandbox()};
  GuestRun r = Run("fault", o);
  ASSERT_TRUE(r.ran);
  EXPECT_EQ(r.out, "fault ok\n");
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(fs::is_empty(base_ / "root"));
}

TEST_F(WasiProgramsTest, CppProgram) {
  SKIP_IF_NOT_BUILT("cpp_hello");
  RunOptions o;
  o.args = {"xyz"};
  GuestRun r = Run("cpp_hello", o);
  ASSERT_TRUE(r.ran);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "cpp: sorted 1 2 3 5 8\nwords: a=1 b=2\narg: xyz\n");
}

TEST_F(WasiProgramsTest, FdAndPathMiscellany) {
  SKIP_IF_NOT_BUILT("fdmisc");
  RunOptions o;
  o.preopens = {Sandbox()};
  o.stdin_data = "data";
  GuestRun r = Run("fdmisc", o);
  ASSERT_TRUE(r.ran);
  EXPECT_EQ(r.out, "fdmisc ok\n");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(ReadAll(base_ / "root" / "a.txt"), "int"); // "into a", cut to 3
  EXPECT_EQ(ReadAll(base_ / "root" / "b.txt"), "");
}

TEST_F(WasiProgramsTest, FdLimit) {
  SKIP_IF_NOT_BUILT("fdmisc");
  RunOptions o;
  o.preopens = {Sandbox()};
  o.args = {"limit"};
  o.max_fds = 10; // 3 stdio + 1 preopen + 6 more
  GuestRun r = Run("fdmisc", o);
  ASSERT_TRUE(r.ran);
  EXPECT_EQ(r.out, "opened 6 then errno 41\n"); // nfile
  EXPECT_EQ(r.status, 0);
}

TEST_F(WasiProgramsTest, SocketsHandedInAsStdio) {
  SKIP_IF_NOT_BUILT("sock");
  int in[2], out[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, out), 0);
  ASSERT_EQ(::write(in[1], "hello", 5), 5);
  RunOptions o;
  o.stdin_fd = in[0];
  o.stdout_fd = out[0];
  GuestRun r = Run("sock", o);
  ASSERT_TRUE(r.ran);
  EXPECT_EQ(r.err, "sock ok\n");
  EXPECT_EQ(r.status, 0);
  char buf[32] = {0};
  // The guest shut down its (duplicated) end for writing: EOF after data.
  ::close(out[0]);
  ssize_t n = ::read(out[1], buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n > 0 ? size_t(n) : 0), "got hello");
  EXPECT_EQ(::read(out[1], buf, sizeof buf), 0);
  for (int fd : {in[0], in[1], out[1]})
    ::close(fd);
}

// A guest writing to a pipe nobody reads gets `pipe` (64), and the host
// process is not killed by SIGPIPE.
TEST_F(WasiProgramsTest, WriteToClosedPipeDoesNotKillHost) {
  SKIP_IF_NOT_BUILT("hello");
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  ::close(p[0]);
  RunOptions o;
  o.stdout_fd = p[1];
  GuestRun r = Run("hello", o);
  ASSERT_TRUE(r.ran);
  EXPECT_EQ(r.status, 0); // printf's failure is ignored by the program
  ::close(p[1]);
}

// The escape suite, with the kernel resolver and with the portable walk.
class WasiEscapeTest : public WasiProgramsTest,
                       public ::testing::WithParamInterface<bool> {};

TEST_P(WasiEscapeTest, EveryTrickIsDenied) {
  SKIP_IF_NOT_BUILT("escape");
  const std::string outside_before = Snapshot(base_ / "outside");
  const std::string ro_before = Snapshot(base_ / "ro");
  RunOptions o;
  o.preopens = {Sandbox(), ReadOnly()};
  o.args = {(base_ / "outside" / "secret.txt").string()};
  o.force_path_walk = GetParam();
  GuestRun r = Run("escape", o);
  ASSERT_TRUE(r.ran);
  EXPECT_EQ(r.out.find("ESCAPED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OK ro-read\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no escapes\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.status, 0) << r.out;

  std::map<std::string, int> denied;
  std::stringstream ss(r.out);
  for (std::string line; std::getline(ss, line);) {
    std::stringstream ls(line);
    std::string word, name;
    int err = -1;
    ls >> word >> name >> err;
    if (word == "DENIED") denied[name] = err;
  }
  EXPECT_EQ(denied.size(), 61u) << r.out;
  // Leaving the sandbox is `notcapable` (76) wherever the resolver sees it.
  constexpr int kNotCapable = 76;
  for (const char* name : {"dotdot-open",
                           "dot-dotdot-open",
                           "nested-dotdot",
                           "dotdot-create",
                           "raw-abs",
                           "raw-dotdot",
                           "symlink-abs-target",
                           "open-rel-link",
                           "write-rel-link",
                           "create-through-link",
                           "dir-link-up",
                           "dir-link-up2",
                           "link-chain",
                           "stat-through-link",
                           "stat-dir-link-slash",
                           "raw-stat-nofollow-slash",
                           "utimes-through-link",
                           "raw-utimes-nofollow-slash",
                           "rename-out",
                           "rename-in",
                           "rename-via-link",
                           "link-in",
                           "raw-link-follow",
                           "link-out",
                           "unlink-out",
                           "unlink-via-link",
                           "mkdir-out",
                           "mkdir-via-link",
                           "rmdir-via-link",
                           "symlink-out",
                           "raw-rmdir-root-dotdot",
                           "opendir-link-up",
                           "readlink-through-dir-link",
                           "ro-trunc",
                           "ro-create",
                           "ro-unlink",
                           "ro-mkdir",
                           "ro-rename",
                           "ro-rename-out",
                           "ro-rename-in",
                           "ro-symlink",
                           "ro-link",
                           "ro-utimes",
                           "ro-truncate",
                           "ro-raw-rights",
                           "ro-raw-creat",
                           "ro-gain-rights",
                           "ro-ftruncate"}) {
    ASSERT_TRUE(denied.count(name)) << name << "\n" << r.out;
    EXPECT_EQ(denied[name], kNotCapable) << name;
  }
  // wasi-libc's read()/write() report a missing fd right as EBADF (8).
  for (const char* name : {"ro-write", "ro-append", "ro-write-on-read-fd"})
    EXPECT_EQ(denied[name], 8) << name;
  EXPECT_EQ(denied["open-abs-link"], 44); // noent: it was never created
  EXPECT_EQ(denied["link-loop"], 32);     // loop
  EXPECT_EQ(denied["raw-nul"], 28);       // inval
  EXPECT_EQ(denied["raw-on-stdin"], 54);  // notdir
  EXPECT_EQ(denied["raw-bad-fd"], 8);     // badf

  // Nothing outside the preopens changed, and the read-only one is intact.
  EXPECT_EQ(Snapshot(base_ / "outside"), outside_before);
  EXPECT_EQ(Snapshot(base_ / "ro"), ro_before);
  std::vector<std::string> top;
  for (auto& e : fs::directory_iterator(base_))
    top.push_back(e.path().filename().string());
  std::sort(top.begin(), top.end());
  EXPECT_EQ(top, (std::vector<std::string>{"outside", "ro", "root"}));
}

INSTANTIATE_TEST_SUITE_P(Resolvers, WasiEscapeTest, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? std::string("Walk")
                                             : std::string("Openat2");
                         });

// --- binding, without guest programs ----------------------------------------

TEST(WasiBindingTest, UnknownImportAndTypeMismatch) {
  auto ctx = WasiContext::Create({});
  ASSERT_TRUE(ctx.ok());
  Engine engine;
  Store store(engine);
  auto bogus =
      test::Compile(engine, R"((module (import "wasi_snapshot_preview1" "bogus"
                   (func (param i32) (result i32)))))");
  ASSERT_TRUE(bogus);
  auto r = BindWasiImports(store, **ctx, bogus->module());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "unknown import wasi_snapshot_preview1.bogus");

  auto wrong = test::Compile(
      engine, R"((module (import "wasi_snapshot_preview1" "fd_write"
                   (func (param i32 i32 i32) (result i32)))))");
  ASSERT_TRUE(wrong);
  r = BindWasiImports(store, **ctx, wrong->module());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find(
                "incompatible import type for wasi_snapshot_preview1.fd_write"),
            std::string::npos)
      << r.error().message;

  auto other = test::Compile(engine, R"((module (import "env" "f" (func))))");
  ASSERT_TRUE(other);
  r = BindWasiImports(store, **ctx, other->module());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "unknown import env.f");
  auto one = ResolveWasiImport(store, **ctx, other->module(),
                               other->module().imports[0]);
  ASSERT_TRUE(one.ok());
  EXPECT_FALSE(one->has_value()); // not ours: left to the embedder
}

// Every preview1 function binds with the signature wasi-libc imports.
TEST(WasiBindingTest, AllPreview1FunctionsBind) {
  auto ctx = WasiContext::Create({});
  ASSERT_TRUE(ctx.ok());
  Engine engine;
  Store store(engine);
  auto m = test::Compile(engine, R"((module
    (import "wasi_snapshot_preview1" "args_get" (func (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "args_sizes_get" (func (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "environ_get" (func (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "environ_sizes_get" (func (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "clock_res_get" (func (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "clock_time_get" (func (param i32 i64 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_advise" (func (param i32 i64 i64 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_allocate" (func (param i32 i64 i64) (result i32)))
    (import "wasi_snapshot_preview1" "fd_close" (func (param i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_datasync" (func (param i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_fdstat_get" (func (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_fdstat_set_rights" (func (param i32 i64 i64) (result i32)))
    (import "wasi_snapshot_preview1" "fd_filestat_get" (func (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_filestat_set_size" (func (param i32 i64) (result i32)))
    (import "wasi_snapshot_preview1" "fd_filestat_set_times" (func (param i32 i64 i64 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_pread" (func (param i32 i32 i32 i64 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_prestat_get" (func (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func (param i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_pwrite" (func (param i32 i32 i32 i64 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_read" (func (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_readdir" (func (param i32 i32 i32 i64 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_renumber" (func (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_seek" (func (param i32 i64 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_sync" (func (param i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_tell" (func (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "path_create_directory" (func (param i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "path_filestat_get" (func (param i32 i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "path_filestat_set_times" (func (param i32 i32 i32 i32 i64 i64 i32) (result i32)))
    (import "wasi_snapshot_preview1" "path_link" (func (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "path_open" (func (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "path_readlink" (func (param i32 i32 i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "path_remove_directory" (func (param i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "path_rename" (func (param i32 i32 i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "path_symlink" (func (param i32 i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "path_unlink_file" (func (param i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "poll_oneoff" (func (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
    (import "wasi_snapshot_preview1" "proc_raise" (func (param i32) (result i32)))
    (import "wasi_snapshot_preview1" "sched_yield" (func (result i32)))
    (import "wasi_snapshot_preview1" "random_get" (func (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "sock_recv" (func (param i32 i32 i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "sock_send" (func (param i32 i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "sock_shutdown" (func (param i32 i32) (result i32)))
  ))");
  ASSERT_TRUE(m);
  auto r = BindWasiImports(store, **ctx, m->module());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->size(), 46u);
  InstantiateResult inst = store.Instantiate(m, *r);
  EXPECT_FALSE(inst.link_error);
}

// Host calls from wat: errnos for sockets, proc_raise, sched_yield, a
// caller without memory, and proc_exit's trap.
TEST(WasiBindingTest, SmallCallsWithoutPrograms) {
  auto ctx = WasiContext::Create({});
  ASSERT_TRUE(ctx.ok());
  Engine engine;
  Store store(engine);
  auto m = test::Compile(engine, R"((module
    (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "sock_shutdown" (func $shutdown (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_raise" (func $raise (param i32) (result i32)))
    (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
    (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (func (export "accept_stdout") (result i32) (call $accept (i32.const 1) (i32.const 0) (i32.const 0)))
    (func (export "accept_bad") (result i32) (call $accept (i32.const 9) (i32.const 0) (i32.const 0)))
    (func (export "shutdown_stdout") (result i32) (call $shutdown (i32.const 1) (i32.const 3)))
    (func (export "raise") (result i32) (call $raise (i32.const 6)))
    (func (export "yield") (result i32) (call $yield))
    (func (export "write_nomem") (result i32)
      (call $write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0)))
    (func (export "exit") (call $exit (i32.const 300)) unreachable)
  ))");
  ASSERT_TRUE(m);
  auto imports = BindWasiImports(store, **ctx, m->module());
  ASSERT_TRUE(imports.ok());
  InstantiateResult inst = store.Instantiate(m, *imports);
  ASSERT_TRUE(inst.instance);
  auto call = [&](const char* name) {
    return store.Call(inst.instance->GetExport(name)->func(), {});
  };
  // stdout is not a socket (WasiConfig's default is the host's stdout).
  CallResult c = call("accept_stdout");
  ASSERT_FALSE(c.trap);
  struct stat st;
  if (::fstat(1, &st) == 0 && !S_ISSOCK(st.st_mode)) {
    EXPECT_EQ(c.results[0].i32, 57u); // notsock
    EXPECT_EQ(call("shutdown_stdout").results[0].i32, 57u);
  }
  EXPECT_EQ(call("accept_bad").results[0].i32, 8u); // badf
  EXPECT_EQ(call("raise").results[0].i32, 52u);     // nosys
  EXPECT_EQ(call("yield").results[0].i32, 0u);
  EXPECT_EQ(call("write_nomem").results[0].i32, 21u); // fault: no memory
  c = call("exit");
  ASSERT_TRUE(c.trap);
  EXPECT_EQ(c.trap->kind, TrapKind::Exit);
  EXPECT_EQ(c.trap->exit_code, 300u);
  EXPECT_EQ(WasiExitStatus(c), 255); // above 255: still a failure
}

TEST(WasiBindingTest, ExitStatusConvention) {
  CallResult ok;
  EXPECT_EQ(WasiExitStatus(ok), 0);
  CallResult exit7;
  exit7.trap = Trap::ExitWith(7);
  EXPECT_EQ(WasiExitStatus(exit7), 7);
  CallResult trapped;
  trapped.trap = Trap::Of(TrapKind::Unreachable);
  EXPECT_EQ(WasiExitStatus(trapped), std::nullopt);
}

TEST(WasiBindingTest, BadConfigIsAnError) {
  WasiConfig cfg;
  cfg.preopens = {{"/nonexistent/weft/dir", "/x", true}};
  auto ctx = WasiContext::Create(cfg);
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.error().message.find("/nonexistent/weft/dir"),
            std::string::npos);
  WasiConfig env;
  env.env = {{"A=B", "c"}};
  EXPECT_FALSE(WasiContext::Create(env).ok());
}

} // namespace
} // namespace weft
