// `weft run` end to end: the built weft binary (WEFT_BINARY) runs the WASI
// guest programs of tests/wasi (WEFT_WASI_PROGRAMS_DIR) and small text
// modules, as a user would. Checks stdout, stderr, exit codes, timing and the
// host file system.
#include <gtest/gtest.h>

#include "fs_helpers.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifndef WEFT_WASI_PROGRAMS_DIR
#define WEFT_WASI_PROGRAMS_DIR ""
#endif

namespace {

using weft_test::ReadAll;
using weft_test::Snapshot;
using weft_test::WriteFile;

namespace fs = std::filesystem;

struct Output {
  int code = -1; // exit status; 128+N when killed by signal N
  std::string out, err;
  double seconds = 0;
};

struct Spawn {
  std::vector<std::string> args;  // after "weft"
  std::vector<std::string> env;   // weft's own environment, NAME=VALUE
  std::string stdin_data;         // through a file
  int stdin_fd = -1;              // instead: this fd (e.g. an open pipe)
  double kill_after_seconds = 30; // a hung weft fails the test, not CI
};

class RunWasiTest : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft_run_wasi_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    fs::create_directories(base_ / "io");
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

  static std::string Program(const std::string& name) {
    return std::string(WEFT_WASI_PROGRAMS_DIR) + "/" + name + ".wasm";
  }

  Output Weft(const Spawn& s) {
    const fs::path out_path = base_ / "io" / "stdout";
    const fs::path err_path = base_ / "io" / "stderr";
    const fs::path in_path = base_ / "io" / "stdin";
    WriteFile(in_path, s.stdin_data);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (s.stdin_fd >= 0)
      posix_spawn_file_actions_adddup2(&actions, s.stdin_fd, 0);
    else
      posix_spawn_file_actions_addopen(&actions, 0, in_path.c_str(), O_RDONLY,
                                       0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> all = {WEFT_BINARY};
    all.insert(all.end(), s.args.begin(), s.args.end());
    std::vector<char*> argv;
    for (std::string& a : all)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env = s.env;
    std::vector<char*> envp;
    for (std::string& e : env)
      envp.push_back(e.data());
    envp.push_back(nullptr);

    Output result;
    pid_t pid = 0;
    const auto t0 = std::chrono::steady_clock::now();
    int rc = posix_spawn(&pid, WEFT_BINARY, &actions, nullptr, argv.data(),
                         envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      result.err = "posix_spawn failed";
      return result;
    }
    int status = 0;
    for (;;) {
      pid_t done = ::waitpid(pid, &status, WNOHANG);
      if (done == pid) break;
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count() > s.kill_after_seconds) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        ADD_FAILURE() << "weft hung; killed";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    result.code =
        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = ReadAll(out_path);
    result.err = ReadAll(err_path);
    return result;
  }

  Output Weft(std::vector<std::string> args) {
    Spawn s;
    s.args = std::move(args);
    return Weft(s);
  }

  // A text module written into the test folder.
  std::string Wat(const std::string& name, const std::string& text) {
    const fs::path p = base_ / name;
    WriteFile(p, text);
    return p.string();
  }

  std::string Root() const { return (base_ / "root").string(); }

  fs::path base_;
};

#define NEED(name)                                                             \
  if (!fs::exists(Program(name)))                                              \
  GTEST_SKIP() << "guest program " << name                                     \
               << ".wasm not built (needs clang-19 + wasi-libc)"

// A module printing "hi from wat\n" through fd_write from _start.
const char* kHelloWat = R"((module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi from wat\n")
  (func $say
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 12))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
                          (i32.const 8))))
  (func (export "_start") (call $say))
  (func (export "twice") (param i32) (result i32)
    (call $say)
    (i32.mul (local.get 0) (i32.const 2))))
)";

// --- programs ---------------------------------------------------------------

TEST_F(RunWasiTest, HelloWorld) {
  NEED("hello");
  Output o = Weft({"run", Program("hello")});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "hello, world\n");
  EXPECT_EQ(o.err, "");
}

TEST_F(RunWasiTest, ArgsAndOnlyTheGivenEnv) {
  NEED("args_env");
  Spawn s;
  s.env = {"WEFT_HOST_SECRET=leaked", "PATH=/usr/bin", "PASSED=from host"};
  s.args = {"run",
            "--env",
            "FOO=bar",
            "--env",
            "EMPTY=",
            "--env",
            "WITH_EQ=a=b",
            "--env",
            "PASSED",
            Program("args_env"),
            "one",
            "two words",
            "",
            "--not-an-option-of-weft"};
  Output o = Weft(s);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "argc=5\n"
                   "argv[0]=" +
                       Program("args_env") +
                       "\n"
                       "argv[1]=one\n"
                       "argv[2]=two words\n"
                       "argv[3]=\n"
                       "argv[4]=--not-an-option-of-weft\n"
                       "env FOO=bar\n"
                       "env EMPTY=\n"
                       "env WITH_EQ=a=b\n"
                       "env PASSED=from host\n");
  // Without --env the guest sees no environment at all.
  s.args = {"run", Program("args_env")};
  o = Weft(s);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "argc=1\nargv[0]=" + Program("args_env") + "\n");
  EXPECT_EQ(o.out.find("leaked"), std::string::npos);
}

TEST_F(RunWasiTest, CatStdinToStdout) {
  NEED("cat");
  Spawn s;
  for (int i = 0; i < 20000; ++i)
    s.stdin_data += "line " + std::to_string(i) + "\n";
  s.args = {"run", Program("cat")};
  Output o = Weft(s);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, s.stdin_data);
  EXPECT_EQ(o.err, "");
}

TEST_F(RunWasiTest, CatFilesUnderDir) {
  NEED("cat");
  WriteFile(base_ / "root" / "a.txt", "AAA\n");
  fs::create_directories(base_ / "root" / "sub");
  WriteFile(base_ / "root" / "sub" / "b.txt", "BBB\n");
  const std::string ro = (base_ / "ro").string();
  // HOST::GUEST, read-only HOST::GUEST:ro, and HOST alone (guest = host).
  Output o = Weft({"run", "--dir", Root() + "::/data", "--dir", ro + "::/ro:ro",
                   Program("cat"), "/data/a.txt", "/data/sub/b.txt",
                   "/ro/readme.txt"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "AAA\nBBB\nREADONLY");
  o = Weft({"run", "--dir", Root(), Program("cat"), Root() + "/a.txt"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "AAA\n");
  // No --dir: no file system at all.
  o = Weft({"run", Program("cat"), Root() + "/a.txt"});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.out, "");
  EXPECT_NE(o.err.find("cat: " + Root() + "/a.txt: "), std::string::npos)
      << o.err;
}

TEST_F(RunWasiTest, HostDirectoryWithDoubleColonNeedsAGuestName) {
  NEED("cat");
  const fs::path odd = base_ / "a::b";
  fs::create_directories(odd);
  WriteFile(odd / "f.txt", "odd\n");
  Output o =
      Weft({"run", "--dir", odd.string() + "::/x", Program("cat"), "/x/f.txt"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "odd\n");
  // Alone, "a::b" means host "<base>/a", guest "b": there is no such dir.
  o = Weft({"run", "--dir", odd.string(), Program("cat"), "b/f.txt"});
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("cannot open preopen directory \"" +
                       (base_ / "a").string() + "\""),
            std::string::npos)
      << o.err;
}

TEST_F(RunWasiTest, ReadOnlyDirRefusesWrites) {
  NEED("write");
  const std::string before = Snapshot(base_ / "ro");
  Output o = Weft({"run", "--dir", (base_ / "ro").string() + "::/ro:ro",
                   Program("write"), "/ro/new.txt", "x"});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, "write /ro/new.txt: Capabilities insufficient\n");
  o = Weft({"run", "--dir", (base_ / "ro").string() + "::/ro:ro",
            Program("write"), "/ro/readme.txt", "overwritten"});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.err, "write /ro/readme.txt: Capabilities insufficient\n");
  EXPECT_EQ(Snapshot(base_ / "ro"), before);
  // The same directory without :ro is writable.
  o = Weft({"run", "--dir", (base_ / "ro").string() + "::/ro", Program("write"),
            "/ro/new.txt", "hello"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "wrote 5 bytes\n");
  EXPECT_EQ(ReadAll(base_ / "ro" / "new.txt"), "hello");
}

TEST_F(RunWasiTest, DirectoryListing) {
  NEED("ls");
  fs::create_directories(base_ / "root" / "subdir");
  WriteFile(base_ / "root" / "file1.txt", "1");
  WriteFile(base_ / "root" / "zeta", "");
  fs::create_symlink("file1.txt", base_ / "root" / "link");
  Output o = Weft({"run", "--dir", Root() + "::.", Program("ls"), "."});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "d subdir\nf file1.txt\nf zeta\nl link\ntotal 4\n");
}

TEST_F(RunWasiTest, CreateRenameUnlink) {
  NEED("fileops");
  Output o = Weft({"run", "--dir", Root() + "::/sandbox", Program("fileops")});
  EXPECT_EQ(o.out, "fileops ok\n");
  EXPECT_EQ(o.code, 0) << o.err;
  const fs::path root = base_ / "root";
  EXPECT_TRUE(fs::is_directory(root / "dir1"));
  EXPECT_EQ(ReadAll(root / "dir2" / "renamed.txt"), "Jello!!");
  EXPECT_EQ(fs::read_symlink(root / "lnk"), "dir2/renamed.txt");
  EXPECT_FALSE(fs::exists(root / "tmp.txt"));
  EXPECT_FALSE(fs::exists(root / "sub"));
}

TEST_F(RunWasiTest, ExitCodePassesThrough) {
  NEED("exit3");
  Output o = Weft({"run", Program("exit3")});
  EXPECT_EQ(o.code, 3);
  EXPECT_EQ(o.out, "before exit\n");
  EXPECT_EQ(o.err, "");
  // main returning 1 is exit status 1 too (cat of a missing file).
  NEED("cat");
  o = Weft({"run", Program("cat"), "/missing"});
  EXPECT_EQ(o.code, 1);
}

TEST_F(RunWasiTest, CppIostreams) {
  NEED("cpp_hello");
  Output o = Weft({"run", Program("cpp_hello"), "xyz"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "cpp: sorted 1 2 3 5 8\nwords: a=1 b=2\narg: xyz\n");
}

TEST_F(RunWasiTest, SleepThroughPollOneoff) {
  NEED("nap");
  Output o = Weft({"run", Program("nap"), "200"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "napping 200 ms\nwoke after at least 200 ms\n");
  EXPECT_GE(o.seconds, 0.2);
  EXPECT_LT(o.seconds, 5.0);
  NEED("sleep");
  Spawn s;
  s.args = {"run", Program("sleep")};
  s.stdin_data = "ping\npong\n";
  o = Weft(s);
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("poll stdin: ping\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("poll ok\n"), std::string::npos) << o.out;
}

TEST_F(RunWasiTest, EscapeAttemptsLeaveTheHostUntouched) {
  NEED("escape");
  const std::string outside = Snapshot(base_ / "outside");
  const std::string ro = Snapshot(base_ / "ro");
  Output o = Weft({"run", "--dir", Root() + "::/sandbox", "--dir",
                   (base_ / "ro").string() + "::/ro:ro", Program("escape"),
                   (base_ / "outside" / "secret.txt").string()});
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_EQ(o.out.find("ESCAPED"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("SECRET"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("DENIED dotdot-open 76\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("DENIED host-abs-open"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("no escapes\n"), std::string::npos) << o.out;
  EXPECT_EQ(Snapshot(base_ / "outside"), outside);
  EXPECT_EQ(Snapshot(base_ / "ro"), ro);
  EXPECT_FALSE(fs::exists(base_ / "created.txt"));
}

// --- limits -----------------------------------------------------------------

TEST_F(RunWasiTest, MaxMemoryStopsAMemoryBomb) {
  NEED("membomb");
  Output o = Weft({"run", "--max-memory", "16MiB", Program("membomb")});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.err, "");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(
      o.out, m,
      std::regex("malloc failed after ([0-9]+) MiB \\(([0-9]+) blocks still "
                 "held\\)\n")))
      << o.out;
  const int got = std::stoi(m[1]);
  EXPECT_GE(got, 12); // 16 MiB minus the program's own data and malloc's
  EXPECT_LT(got, 16); // bookkeeping
  // A larger cap lets it get further.
  o = Weft({"run", "--max-memory", "64MiB", Program("membomb")});
  ASSERT_TRUE(std::regex_match(
      o.out, m, std::regex("malloc failed after ([0-9]+) MiB .*\n")))
      << o.out;
  EXPECT_GE(std::stoi(m[1]), 60);
  EXPECT_LT(std::stoi(m[1]), 64);
}

TEST_F(RunWasiTest, MaxMemoryInTextModules) {
  const std::string grow = Wat("grow.wat", R"((module
    (memory 1)
    (func (export "grow") (param i32) (result i32)
      (memory.grow (local.get 0)))))");
  // 1 + 15 pages = 1 MiB fits; one more page does not: -1, as the spec says.
  Output o =
      Weft({"run", "--max-memory", "1MiB", "--invoke", "grow", grow, "15"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "1\n");
  o = Weft({"run", "--max-memory", "1048576", "--invoke", "grow", grow, "16"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "-1\n");
  const std::string big = Wat("big.wat", "(module (memory 17))");
  o = Weft({"run", "--max-memory", "1MiB", "--invoke", "x", big});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.err, big + ": error: memory 0: initial size of 1114112 bytes "
                         "exceeds the memory limit of 1048576 bytes\n");
}

TEST_F(RunWasiTest, TimeoutInterruptsALoop) {
  NEED("spin");
  Output o = Weft({"run", "--timeout", "300ms", Program("spin")});
  EXPECT_EQ(o.code, 134);
  EXPECT_EQ(o.out, "spinning\n");
  EXPECT_EQ(o.err, "error: trap: interrupted (timeout 300ms expired)\n");
  EXPECT_GE(o.seconds, 0.3);
  EXPECT_LT(o.seconds, 3.0);
}

TEST_F(RunWasiTest, TimeoutEndsAGuestBlockedInAHostCall) {
  NEED("nap");
  // Sleeping in poll_oneoff: the sleep waits in short slices and checks
  // the store's interrupt flag, so the guest traps "interrupted" promptly.
  Output o = Weft({"run", "--timeout", "300ms", Program("nap"), "20000"});
  EXPECT_EQ(o.code, 134);
  EXPECT_EQ(o.out, "napping 20000 ms\n");
  EXPECT_EQ(o.err, "error: trap: interrupted (timeout 300ms expired)\n");
  EXPECT_GE(o.seconds, 0.3);
  EXPECT_LT(o.seconds, 3.0);
  // Reading a pipe that never delivers anything (fd_read blocks in the
  // kernel: the watchdog ends the process after its grace period).
  NEED("cat");
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  Spawn s;
  s.args = {"run", "--timeout", "0.3s", Program("cat")};
  s.stdin_fd = pipe_fds[0];
  o = Weft(s);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  EXPECT_EQ(o.code, 134);
  EXPECT_EQ(o.err, "error: trap: interrupted (timeout 0.3s expired)\n");
  EXPECT_LT(o.seconds, 3.0);
}

TEST_F(RunWasiTest, TimeoutNotReachedChangesNothing) {
  NEED("hello");
  Output o = Weft({"run", "--timeout", "1m", Program("hello")});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "hello, world\n");
  EXPECT_LT(o.seconds, 5.0);
}

TEST_F(RunWasiTest, TimeoutUnderInvokeExitsOne) {
  const std::string loop = Wat("loop.wat", R"((module
    (func (export "forever") (loop (br 0)))))");
  Output o = Weft({"run", "--timeout", "200ms", "--invoke", "forever", loop});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, "error: trap: interrupted (timeout 200ms expired)\n");
}

TEST_F(RunWasiTest, DeepRecursionTraps) {
  NEED("recurse");
  Output o = Weft({"run", Program("recurse")});
  EXPECT_EQ(o.code, 134);
  EXPECT_EQ(o.out, "recursing\n");
  EXPECT_EQ(o.err, "error: trap: call stack exhausted\n");
}

TEST_F(RunWasiTest, TrapInStartExits134) {
  const std::string m = Wat("trap.wat", R"((module
    (func (export "_start") unreachable)))");
  Output o = Weft({"run", m});
  EXPECT_EQ(o.code, 134);
  EXPECT_EQ(o.err, "error: trap: unreachable\n");
  // The same function through --invoke keeps the old contract: exit 1.
  o = Weft({"run", "--invoke", "_start", m});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.err, "error: trap: unreachable\n");
}

// --- text format, imports, usage --------------------------------------------

TEST_F(RunWasiTest, RunsTextModules) {
  const std::string m = Wat("hello.wat", kHelloWat);
  Output o = Weft({"run", m});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "hi from wat\n");
  EXPECT_EQ(o.err, "");
  // --invoke also gets the WASI imports.
  o = Weft({"run", "--invoke", "twice", m, "21"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "hi from wat\n42\n");
  // Text detected by content, whatever the name.
  const std::string named = Wat("hello.module", kHelloWat);
  o = Weft({"run", named});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "hi from wat\n");
  o = Weft({"validate", m});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.err, "");
}

TEST_F(RunWasiTest, TextErrorsNameLineAndColumn) {
  const std::string syntax = Wat("syntax.wat", "(module\n  (func foo))\n");
  Output o = Weft({"run", syntax});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, syntax + ":2:9: error: unexpected token foo, expected ).\n");
  o = Weft({"validate", syntax});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.err, syntax + ":2:9: error: unexpected token foo, expected ).\n");
  const std::string type =
      Wat("type.wat", "(module\n  (func (result i32)\n    i64.const 1))\n");
  o = Weft({"validate", type});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.err, type + ":3:5: error: type mismatch in implicit return, "
                          "expected [i32] but got [i64]\n");
  // A binary that is damaged stays a binary error.
  const std::string bin = (base_ / "bad.wat.wasm").string();
  WriteFile(bin, std::string("\0asm\2\0\0\0", 8));
  o = Weft({"validate", bin});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.err.rfind(bin + ": error: ", 0), 0u) << o.err;
  EXPECT_NE(o.err.find(" at offset "), std::string::npos) << o.err;
}

TEST_F(RunWasiTest, NonWasiImportsAreLinkErrors) {
  const std::string m = Wat("imp.wat", R"((module
    (import "wasi_snapshot_preview1" "fd_write"
      (func (param i32 i32 i32 i32) (result i32)))
    (import "env" "f" (func))))");
  Output o = Weft({"run", m});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.err, m + ": error: unknown import \"env\" \"f\" (func): weft "
                       "run provides only wasi_snapshot_preview1 functions\n");
  const std::string bad = Wat("badtype.wat", R"((module
    (import "wasi_snapshot_preview1" "fd_write" (func (param i32)))))");
  o = Weft({"run", bad});
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("incompatible import type for "
                       "wasi_snapshot_preview1.fd_write"),
            std::string::npos)
      << o.err;
}

TEST_F(RunWasiTest, BadOptionValuesAreUsageErrors) {
  const std::string m = Wat("hello.wat", kHelloWat);
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--timeout", "5"}, "--timeout: expected a duration"},
      {{"--timeout", "0s"}, "--timeout: duration \"0s\" must be positive"},
      {{"--max-memory", "12XB"}, "--max-memory: expected a size"},
      {{"--max-memory", "0.5"}, "is not a whole number of bytes"},
      {{"--dir", "::/x"}, "--dir: \"::/x\" has no host directory"},
      {{"--dir", "/tmp::"}, "--dir: \"/tmp::\" has an empty guest path"},
      {{"--env", "=v"}, "--env: \"=v\" has no variable name"},
      {{"--env", "WEFT_SURELY_UNSET_VAR"}, "is not set in weft's environment"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"run"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.push_back(m);
    Output o = Weft(args);
    EXPECT_EQ(o.code, 2) << c.args[0] << " " << c.args[1];
    EXPECT_NE(o.err.find(c.message), std::string::npos) << o.err;
    EXPECT_EQ(o.out, "");
  }
  // A --dir that is not a directory is a runtime error, not usage.
  Output o = Weft({"run", "--dir", (base_ / "nope").string(), m});
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("cannot open preopen directory"), std::string::npos)
      << o.err;
}

TEST_F(RunWasiTest, HelpDocumentsTheContract) {
  Output o = Weft({"run", "--help"});
  EXPECT_EQ(o.code, 0);
  for (const char* s :
       {"--dir HOST[::GUEST[:ro]]", "--env NAME=VALUE", "--max-memory SIZE",
        "--timeout DURATION", "--invoke NAME", "134", "(timeout 2s expired)"})
    EXPECT_NE(o.out.find(s), std::string::npos) << s;
}

// --- the compiled tier ------------------------------------------------------
// The same programs through `--tier compiled` (the LLVM plugin next to the
// weft binary): the same output, exit status and trap lines as the
// interpreter, and the host process ends cleanly after every trap.

TEST_F(RunWasiTest, CompiledTierMatchesTheInterpreterOnWasiPrograms) {
  NEED("hello");
  struct Case {
    std::string program;
    std::vector<std::string> args;
    std::string stdin_data;
  };
  const std::vector<Case> cases = {
      {"hello", {}, ""},
      {"args_env", {"one", "two words"}, ""},
      {"cat", {}, "line one\nline two\n"},
      {"exit3", {}, ""},
      {"cpp_hello", {}, ""},
      {"random", {}, ""},
      {"recurse", {}, ""},
  };
  for (const Case& c : cases) {
    if (!fs::exists(Program(c.program))) continue;
    Output out[2];
    const char* tiers[2] = {"interp", "compiled"};
    for (int t = 0; t < 2; ++t) {
      Spawn s;
      s.args = {"run",   "--tier",    tiers[t],
                "--env", "WHO=tiers", Program(c.program)};
      s.args.insert(s.args.end(), c.args.begin(), c.args.end());
      s.stdin_data = c.stdin_data;
      out[t] = Weft(s);
    }
    EXPECT_EQ(out[1].code, out[0].code) << c.program << "\n" << out[1].err;
    EXPECT_EQ(out[1].err, out[0].err) << c.program;
    // random prints fresh random bytes each run: compare its shape only.
    if (c.program == "random")
      EXPECT_EQ(out[1].out.size(), out[0].out.size()) << c.program;
    else
      EXPECT_EQ(out[1].out, out[0].out) << c.program;
  }
}

TEST_F(RunWasiTest, CompiledTierTimeoutInterruptsALoop) {
  NEED("spin");
  Output o = Weft(
      {"run", "--tier", "compiled", "--timeout", "300ms", Program("spin")});
  EXPECT_EQ(o.code, 134);
  EXPECT_EQ(o.out, "spinning\n");
  EXPECT_EQ(o.err, "error: trap: interrupted (timeout 300ms expired)\n");
  EXPECT_GE(o.seconds, 0.3);
  EXPECT_LT(o.seconds, 10.0);
}

TEST_F(RunWasiTest, CompiledTierDeepRecursionTraps) {
  NEED("recurse");
  Output o = Weft({"run", "--tier", "compiled", Program("recurse")});
  EXPECT_EQ(o.code, 134);
  EXPECT_EQ(o.out, "recursing\n");
  EXPECT_EQ(o.err, "error: trap: call stack exhausted\n");
}

TEST_F(RunWasiTest, CompiledTierMaxMemoryStopsAMemoryBomb) {
  NEED("membomb");
  Output o = Weft({"run", "--tier", "compiled", "--max-memory", "16MiB",
                   Program("membomb")});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(std::regex_match(
      o.out, std::regex("malloc failed after 1[2-5] MiB \\([0-9]+ blocks "
                        "still held\\)\n")))
      << o.out;
}

TEST_F(RunWasiTest, CompiledTierOutOfBoundsAccessesTrap) {
  // Loads at the last byte of memory, just past it, at 4 GiB - 1 (the
  // guard region, not the memory), and past the end after a memory.grow.
  const std::string m = Wat("oob.wat", R"((module
    (memory 1)
    (func (export "load") (param i32) (result i32)
      (i32.load8_u (local.get 0)))
    (func (export "grow_then_load") (param i32) (result i32)
      (drop (memory.grow (i32.const 1)))
      (i32.load8_u (local.get 0)))))");
  struct Case {
    std::string fn, arg, out, err;
  };
  const std::vector<Case> cases = {
      {"load", "65535", "0\n", ""},
      {"load", "65536", "", "error: trap: out of bounds memory access\n"},
      {"load", "4294967295", "", "error: trap: out of bounds memory access\n"},
      {"grow_then_load", "131071", "0\n", ""},
      {"grow_then_load", "131072", "",
       "error: trap: out of bounds memory access\n"},
  };
  for (const Case& c : cases) {
    Output o = Weft({"run", "--tier", "compiled", "--invoke", c.fn, m, c.arg});
    EXPECT_EQ(o.code, c.err.empty() ? 0 : 1) << c.fn << " " << c.arg;
    EXPECT_EQ(o.out, c.out) << c.fn << " " << c.arg;
    EXPECT_EQ(o.err, c.err) << c.fn << " " << c.arg;
  }
}

} // namespace
