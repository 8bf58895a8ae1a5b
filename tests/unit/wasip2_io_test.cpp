// wasi:io, clocks, random and cli of the WASI 0.2 host, called with Vals
// through the HostFns AddWasiP2 defines, on real pipes, files and clocks.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "fs_helpers.h"
#include "wasip2_helpers.h"

namespace weft_test {
namespace {

namespace fs = std::filesystem;
using weft::wasip2::WasiP2Options;
using Clock = std::chrono::steady_clock;

const std::string kStreams = "wasi:io/streams#";
const std::string kWrite = kStreams + "[method]output-stream.write";
const std::string kBlockingWrite =
    kStreams + "[method]output-stream.blocking-write-and-flush";
const std::string kCheckWrite = kStreams + "[method]output-stream.check-write";
const std::string kRead = kStreams + "[method]input-stream.read";
const std::string kBlockingRead =
    kStreams + "[method]input-stream.blocking-read";
const std::string kPoll = "wasi:io/poll#poll";
const std::string kReady = "wasi:io/poll#[method]pollable.ready";
const std::string kBlock = "wasi:io/poll#[method]pollable.block";
const std::string kSubDuration =
    "wasi:clocks/monotonic-clock#subscribe-duration";

std::string ReadFdAvailable(int fd) {
  std::string s;
  char buf[256];
  int fl = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0)
    s.append(buf, size_t(n));
  ::fcntl(fd, F_SETFL, fl);
  return s;
}

class TempDir {
public:
  TempDir() {
    char tmpl[] = "/tmp/weft_p2io_XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

// stream-error.closed
bool IsClosed(const Val& r) {
  return !IsOk(r) && Payload(r).kind == ValKind::Variant && Payload(r).u == 1;
}

TEST(WasiP2Io, StdoutToAPipeAndStderrToAFile) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  TempDir dir;
  int err_fd = ::open((dir.path() / "err.txt").c_str(),
                      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(err_fd, 0);
  WasiP2Options o;
  o.config.stdout_fd = p[1];
  o.config.stderr_fd = err_fd;
  {
    P2Host h(o);
    Val out = h.Ok("wasi:cli/stdout#get-stdout", {});
    ASSERT_EQ(out.kind, ValKind::Own);
    Val permit = h.Ok(kCheckWrite, {Borrow(out)});
    ASSERT_TRUE(IsOk(permit));
    EXPECT_GE(Payload(permit).u, 4096u);
    EXPECT_TRUE(IsOk(h.Ok(kWrite, {Borrow(out), Val::Bytes("hello ")})));
    EXPECT_TRUE(IsOk(h.Ok(kBlockingWrite, {Borrow(out), Val::Bytes("world")})));
    EXPECT_TRUE(
        IsOk(h.Ok(kStreams + "[method]output-stream.flush", {Borrow(out)})));
    EXPECT_EQ(ReadFdAvailable(p[0]), "hello world");

    Val err = h.Ok("wasi:cli/stderr#get-stderr", {});
    EXPECT_TRUE(
        IsOk(h.Ok(kBlockingWrite, {Borrow(err), Val::Bytes("oops\n")})));
    EXPECT_TRUE(IsOk(h.Ok(kStreams + "[method]output-stream.write-zeroes",
                          {Borrow(err), Val::U64(3)})));
  }
  ::close(err_fd);
  EXPECT_EQ(ReadAll(dir.path() / "err.txt"), std::string("oops\n\0\0\0", 8));
  ::close(p[0]);
  ::close(p[1]);
}

TEST(WasiP2Io, StdinFromAFileReadsToEndThenClosed) {
  TempDir dir;
  WriteFile(dir.path() / "in.txt", "abc\ndef");
  int fd = ::open((dir.path() / "in.txt").c_str(), O_RDONLY | O_CLOEXEC);
  WasiP2Options o;
  o.config.stdin_fd = fd;
  P2Host h(o);
  ::close(fd); // the context holds its own duplicate
  Val in = h.Ok("wasi:cli/stdin#get-stdin", {});
  Val r = h.Ok(kRead, {Borrow(in), Val::U64(2)});
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(Payload(r).s, "ab");
  r = h.Ok(kBlockingRead, {Borrow(in), Val::U64(100)});
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(Payload(r).s, "c\ndef");
  EXPECT_TRUE(IsClosed(h.Ok(kRead, {Borrow(in), Val::U64(10)})));
  EXPECT_TRUE(IsClosed(h.Ok(kBlockingRead, {Borrow(in), Val::U64(10)})));
}

TEST(WasiP2Io, SkipAndSpliceFromStdinToStdout) {
  TempDir dir;
  WriteFile(dir.path() / "in.txt", "0123456789");
  int fd = ::open((dir.path() / "in.txt").c_str(), O_RDONLY | O_CLOEXEC);
  WasiP2Options o;
  o.config.stdin_fd = fd;
  o.config.memory_stdio = false;
  o.stdout_callback = nullptr;
  std::string got;
  o.stdout_callback = [&](std::string_view s) {
    got.append(s);
    return true;
  };
  P2Host h(o);
  ::close(fd);
  Val in = h.Ok("wasi:cli/stdin#get-stdin", {});
  Val out = h.Ok("wasi:cli/stdout#get-stdout", {});
  Val r =
      h.Ok(kStreams + "[method]input-stream.skip", {Borrow(in), Val::U64(3)});
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(Payload(r).u, 3u);
  r = h.Ok(kStreams + "[method]output-stream.splice",
           {Borrow(out), Borrow(in), Val::U64(4)});
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(Payload(r).u, 4u);
  r = h.Ok(kStreams + "[method]output-stream.blocking-splice",
           {Borrow(out), Borrow(in), Val::U64(100)});
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(Payload(r).u, 3u);
  EXPECT_EQ(got, "3456789");
  EXPECT_TRUE(IsClosed(h.Ok(kStreams + "[method]output-stream.splice",
                            {Borrow(out), Borrow(in), Val::U64(1)})));
}

TEST(WasiP2Io, BlockingReadOnAPipeWaitsForTheWriter) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  WasiP2Options o;
  o.config.stdin_fd = p[0];
  P2Host h(o);
  Val in = h.Ok("wasi:cli/stdin#get-stdin", {});
  // Nothing there yet: read returns empty, the pollable is not ready.
  Val r = h.Ok(kRead, {Borrow(in), Val::U64(10)});
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(Payload(r).s, "");
  Val sub = h.Ok(kStreams + "[method]input-stream.subscribe", {Borrow(in)});
  EXPECT_EQ(h.Ok(kReady, {Borrow(sub)}).u, 0u);

  const auto start = Clock::now();
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    ASSERT_EQ(::write(p[1], "ping", 4), 4);
  });
  r = h.Ok(kBlockingRead, {Borrow(in), Val::U64(10)});
  writer.join();
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(50));
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(Payload(r).s, "ping");
  ::close(p[1]);
  EXPECT_TRUE(IsClosed(h.Ok(kBlockingRead, {Borrow(in), Val::U64(10)})));
  EXPECT_EQ(h.Ok(kReady, {Borrow(sub)}).u, 1u); // hang-up is readiness
  ::close(p[0]);
}

TEST(WasiP2Io, BlockingReadAndPollHonourInterrupt) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  WasiP2Options o;
  o.config.stdin_fd = p[0];
  P2Host h(o);
  Val in = h.Ok("wasi:cli/stdin#get-stdin", {});
  Val far = h.Ok(kSubDuration, {Val::U64(60'000'000'000ull)});
  const auto start = Clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    h.store().Interrupt();
  });
  P2Result r = h.Call(kBlockingRead, {Borrow(in), Val::U64(10)});
  stopper.join();
  ASSERT_TRUE(r.trap);
  EXPECT_EQ(r.trap->kind, TrapKind::Interrupted);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  // Still interrupted: poll and block give up at once.
  Val list = Val::Of(ValKind::List, 0);
  list.items.push_back(Borrow(far));
  r = h.Call(kPoll, {list});
  ASSERT_TRUE(r.trap);
  EXPECT_EQ(r.trap->kind, TrapKind::Interrupted);
  r = h.Call(kBlock, {Borrow(far)});
  ASSERT_TRUE(r.trap);
  EXPECT_EQ(r.trap->kind, TrapKind::Interrupted);
  ::close(p[0]);
  ::close(p[1]);
}

TEST(WasiP2Io, PollOnClockPollablesReturnsTheReadyOnesInTime) {
  P2Host h(WasiP2Options{});
  Val soon = h.Ok(kSubDuration, {Val::U64(50'000'000)});      // 50 ms
  Val later = h.Ok(kSubDuration, {Val::U64(30'000'000'000)}); // 30 s
  Val list = Val::Of(ValKind::List, 0);
  list.items = {Borrow(later), Borrow(soon)};
  const auto start = Clock::now();
  Val ready = h.Ok(kPoll, {list});
  const auto took = Clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(45));
  EXPECT_LT(took, std::chrono::seconds(2));
  ASSERT_EQ(ready.items.size(), 1u);
  EXPECT_EQ(ready.items[0].u, 1u); // the index of `soon` in the list
  EXPECT_EQ(h.Ok(kReady, {Borrow(soon)}).u, 1u);
  EXPECT_EQ(h.Ok(kReady, {Borrow(later)}).u, 0u);

  // An instant in the past is ready at once; block waits for a duration.
  const uint64_t now = h.Ok("wasi:clocks/monotonic-clock#now", {}).u;
  Val past = h.Ok("wasi:clocks/monotonic-clock#subscribe-instant",
                  {Val::U64(now - 1)});
  EXPECT_EQ(h.Ok(kReady, {Borrow(past)}).u, 1u);
  Val d = h.Ok(kSubDuration, {Val::U64(20'000'000)});
  const auto b = Clock::now();
  EXPECT_FALSE(h.Call(kBlock, {Borrow(d)}).trap);
  EXPECT_GE(Clock::now() - b, std::chrono::milliseconds(19));
  // A duration that overflows the clock saturates instead of wrapping.
  Val never = h.Ok(kSubDuration, {Val::U64(~0ull)});
  EXPECT_EQ(h.Ok(kReady, {Borrow(never)}).u, 0u);
}

TEST(WasiP2Io, PollOfNothingOrOfADroppedPollableTraps) {
  P2Host h(WasiP2Options{});
  P2Result r = h.Call(kPoll, {Val::Of(ValKind::List, 0)});
  ASSERT_TRUE(r.trap);
  EXPECT_NE(r.trap->message.find("empty"), std::string::npos);
  Val p = h.Ok(kSubDuration, {Val::U64(0)});
  h.Drop("wasi:io/poll#pollable", static_cast<uint32_t>(p.u));
  Val list = Val::Of(ValKind::List, 0);
  list.items = {Borrow(p)};
  r = h.Call(kPoll, {list});
  ASSERT_TRUE(r.trap);
  EXPECT_NE(r.trap->message.find("pollable"), std::string::npos);
}

TEST(WasiP2Io, ClocksTellTheTime) {
  P2Host h(WasiP2Options{});
  const uint64_t a = h.Ok("wasi:clocks/monotonic-clock#now", {}).u;
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const uint64_t b = h.Ok("wasi:clocks/monotonic-clock#now", {}).u;
  EXPECT_GE(b - a, 5'000'000u);
  EXPECT_GE(h.Ok("wasi:clocks/monotonic-clock#resolution", {}).u, 1u);
  Val wall = h.Ok("wasi:clocks/wall-clock#now", {});
  ASSERT_EQ(wall.items.size(), 2u);
  const uint64_t host = static_cast<uint64_t>(std::time(nullptr));
  EXPECT_LE(wall.items[0].u, host + 1);
  EXPECT_GE(wall.items[0].u + 1, host);
  EXPECT_LT(wall.items[1].u, 1'000'000'000u);
}

TEST(WasiP2Io, OutputToMemoryAndItsLimit) {
  WasiP2Options o;
  o.config.memory_stdio = true;
  o.config.stdout_limit = 5;
  P2Host h(o);
  *h.ctx().MemoryStdio(0) = "input";
  Val in = h.Ok("wasi:cli/stdin#get-stdin", {});
  Val r = h.Ok(kRead, {Borrow(in), Val::U64(100)});
  EXPECT_EQ(Payload(r).s, "input");
  EXPECT_TRUE(IsClosed(h.Ok(kRead, {Borrow(in), Val::U64(100)})));

  Val out = h.Ok("wasi:cli/stdout#get-stdout", {});
  EXPECT_EQ(Payload(h.Ok(kCheckWrite, {Borrow(out)})).u, 5u);
  r = h.Ok(kWrite, {Borrow(out), Val::Bytes("hello world")});
  ASSERT_FALSE(IsOk(r));
  // last-operation-failed(error) with a message saying why
  ASSERT_EQ(Payload(r).u, 0u);
  Val err = Payload(r).items.at(0);
  Val msg = h.Ok("wasi:io/error#[method]error.to-debug-string", {Borrow(err)});
  EXPECT_NE(msg.s.find("limit"), std::string::npos) << msg.s;
  Val code = h.Ok("wasi:filesystem/types#filesystem-error-code", {Borrow(err)});
  ASSERT_EQ(code.u, 1u); // some
  EXPECT_EQ(code.items[0].u,
            static_cast<uint32_t>(weft::wasip2::FsError::kFileTooLarge));
  EXPECT_EQ(*h.ctx().MemoryStdio(1), "hello");
  EXPECT_TRUE(h.ctx().OutputLimitReached(1));
  EXPECT_FALSE(IsOk(h.Ok(kCheckWrite, {Borrow(out)})));
  // stderr is separate and has no limit of its own beyond the default cap.
  Val e = h.Ok("wasi:cli/stderr#get-stderr", {});
  EXPECT_TRUE(IsOk(h.Ok(kWrite, {Borrow(e), Val::Bytes("fine")})));
  EXPECT_EQ(*h.ctx().MemoryStdio(2), "fine");
}

TEST(WasiP2Io, StdoutLimitCanEndTheGuest) {
  WasiP2Options o;
  o.config.memory_stdio = true;
  o.config.stdout_limit = 3;
  o.config.stdout_limit_ends_guest = true;
  P2Host h(o);
  Val out = h.Ok("wasi:cli/stdout#get-stdout", {});
  P2Result r = h.Call(kBlockingWrite, {Borrow(out), Val::Bytes("abcdef")});
  ASSERT_TRUE(r.trap);
  EXPECT_EQ(r.trap->kind, TrapKind::Host);
  EXPECT_NE(r.trap->message.find("stdout limit of 3 bytes"), std::string::npos);
  EXPECT_EQ(*h.ctx().MemoryStdio(1), "abc");
}

TEST(WasiP2Io, NoStdioProvidedMeansClosedStreams) {
  WasiP2Options o;
  o.config.stdin_fd = -1;
  o.config.stdout_fd = -1;
  P2Host h(o);
  Val in = h.Ok("wasi:cli/stdin#get-stdin", {});
  EXPECT_TRUE(IsClosed(h.Ok(kRead, {Borrow(in), Val::U64(1)})));
  Val out = h.Ok("wasi:cli/stdout#get-stdout", {});
  EXPECT_TRUE(IsClosed(h.Ok(kWrite, {Borrow(out), Val::Bytes("x")})));
}

TEST(WasiP2Io, RandomBytesHaveTheLengthAskedAndHugeRequestsAreRefused) {
  P2Host h(WasiP2Options{});
  for (const char* fn : {"wasi:random/random#get-random-bytes",
                         "wasi:random/insecure#get-insecure-random-bytes"}) {
    Val a = h.Ok(fn, {Val::U64(32)});
    Val b = h.Ok(fn, {Val::U64(32)});
    EXPECT_EQ(a.kind, ValKind::List);
    EXPECT_EQ(a.s.size(), 32u);
    EXPECT_NE(a.s, b.s);
    EXPECT_EQ(h.Ok(fn, {Val::U64(0)}).s.size(), 0u);
    EXPECT_EQ(h.Ok(fn, {Val::U64(1u << 20)}).s.size(), 1u << 20);
    const auto start = Clock::now();
    P2Result r = h.Call(fn, {Val::U64(100u << 20)});
    ASSERT_TRUE(r.trap) << fn;
    EXPECT_NE(r.trap->message.find("104857600"), std::string::npos);
    EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(100));
    EXPECT_TRUE(h.Call(fn, {Val::U64(~0ull)}).trap);
  }
  EXPECT_NE(h.Ok("wasi:random/random#get-random-u64", {}).u,
            h.Ok("wasi:random/random#get-random-u64", {}).u);
  Val s1 = h.Ok("wasi:random/insecure-seed#insecure-seed", {});
  Val s2 = h.Ok("wasi:random/insecure-seed#insecure-seed", {});
  ASSERT_EQ(s1.items.size(), 2u);
  EXPECT_EQ(s1.items[0].u, s2.items[0].u); // one seed per instance
  P2Host other(WasiP2Options{});
  EXPECT_NE(other.Ok("wasi:random/insecure-seed#insecure-seed", {}).items[0].u,
            s1.items[0].u);
}

TEST(WasiP2Io, CliArgumentsEnvironmentCwdAndTerminals) {
  WasiP2Options o;
  o.config.args = {"prog.wasm", "one", "two words"};
  o.config.env = {{"A", "1"}, {"EMPTY", ""}};
  P2Host h(o);
  Val args = h.Ok("wasi:cli/environment#get-arguments", {});
  ASSERT_EQ(args.items.size(), 3u);
  EXPECT_EQ(args.items[2].s, "two words");
  Val env = h.Ok("wasi:cli/environment#get-environment", {});
  ASSERT_EQ(env.items.size(), 2u);
  EXPECT_EQ(env.items[0].items[0].s, "A");
  EXPECT_EQ(env.items[0].items[1].s, "1");
  EXPECT_EQ(env.items[1].items[1].s, "");
  EXPECT_EQ(h.Ok("wasi:cli/environment#initial-cwd", {}).u, 0u); // none
  for (const char* fn : {"wasi:cli/terminal-stdin#get-terminal-stdin",
                         "wasi:cli/terminal-stdout#get-terminal-stdout",
                         "wasi:cli/terminal-stderr#get-terminal-stderr"}) {
    Val t = h.Ok(fn, {});
    EXPECT_EQ(t.kind, ValKind::Option);
    EXPECT_EQ(t.u, 0u) << fn;
  }
  o.initial_cwd = "/data";
  P2Host h2(o);
  Val cwd = h2.Ok("wasi:cli/environment#initial-cwd", {});
  ASSERT_EQ(cwd.u, 1u);
  EXPECT_EQ(cwd.items[0].s, "/data");
}

TEST(WasiP2Io, ExitEndsTheGuestWithItsCode) {
  P2Host h(WasiP2Options{});
  P2Result r = h.Call("wasi:cli/exit#exit", {Val::Ok()});
  ASSERT_TRUE(r.trap);
  EXPECT_EQ(r.trap->kind, TrapKind::Exit);
  EXPECT_EQ(r.trap->exit_code, 0u);
  r = h.Call("wasi:cli/exit#exit", {Val::Err()});
  ASSERT_TRUE(r.trap);
  EXPECT_EQ(r.trap->kind, TrapKind::Exit);
  EXPECT_EQ(r.trap->exit_code, 1u);
  r = h.Call("wasi:cli/exit#exit-with-code", {Val::U8(42)});
  ASSERT_TRUE(r.trap);
  EXPECT_EQ(r.trap->kind, TrapKind::Exit);
  EXPECT_EQ(r.trap->exit_code, 42u);
}

TEST(WasiP2Io, DroppingFreesAndADroppedRepTrapsInsteadOfCrashing) {
  P2Host h(WasiP2Options{});
  const size_t base = h.ctx().live();
  Val out = h.Ok("wasi:cli/stdout#get-stdout", {});
  Val sub = h.Ok(kStreams + "[method]output-stream.subscribe", {Borrow(out)});
  EXPECT_EQ(h.ctx().live(), base + 2);
  h.Drop("wasi:io/streams#output-stream", static_cast<uint32_t>(out.u));
  EXPECT_EQ(h.ctx().live(), base + 1);
  // The pollable outlives its stream.
  EXPECT_FALSE(h.Call(kReady, {Borrow(sub)}).trap);
  P2Result r = h.Call(kWrite, {Borrow(out), Val::Bytes("x")});
  ASSERT_TRUE(r.trap);
  EXPECT_NE(r.trap->message.find("output-stream"), std::string::npos);
  // A rep of another kind is no output-stream either, and never was one.
  EXPECT_TRUE(h.Call(kWrite, {Borrow(sub), Val::Bytes("x")}).trap);
  EXPECT_TRUE(h.Call(kWrite, {Borrow(12345), Val::Bytes("x")}).trap);
  EXPECT_TRUE(h.Call(kWrite, {Borrow(0), Val::Bytes("x")}).trap);
  // Dropping twice, or as the wrong kind, frees nothing else.
  h.Drop("wasi:io/streams#output-stream", static_cast<uint32_t>(out.u));
  h.Drop("wasi:io/streams#input-stream", static_cast<uint32_t>(sub.u));
  EXPECT_EQ(h.ctx().live(), base + 1);
  h.Drop("wasi:io/poll#pollable", static_cast<uint32_t>(sub.u));
  EXPECT_EQ(h.ctx().live(), base);
  // Wrong arity is a trap too.
  EXPECT_TRUE(h.Call(kWrite, {Borrow(out)}, /*check_args=*/false).trap);
}

TEST(WasiP2Io, AGuestCannotHoldMoreThanMaxResources) {
  WasiP2Options o;
  o.max_resources = 8;
  P2Host h(o);
  std::vector<Val> held;
  for (int i = 0; i < 8; ++i)
    held.push_back(h.Ok("wasi:cli/stdout#get-stdout", {}));
  P2Result r = h.Call("wasi:cli/stdout#get-stdout", {});
  ASSERT_TRUE(r.trap);
  EXPECT_NE(r.trap->message.find("8 host resources"), std::string::npos);
  h.Drop("wasi:io/streams#output-stream", static_cast<uint32_t>(held[3].u));
  Val again = h.Ok("wasi:cli/stdout#get-stdout", {});
  EXPECT_EQ(again.kind, ValKind::Own);
}

} // namespace
} // namespace weft_test

namespace weft_test {
namespace {

TEST(WasiP2Io, AWriteToAFullPipeWaitsAndHonoursInterrupt) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  WasiP2Options o;
  o.config.stdout_fd = p[1];
  P2Host h(o);
  // Fill the pipe from our side, without blocking.
  int fl = ::fcntl(p[1], F_GETFL);
  ::fcntl(p[1], F_SETFL, fl | O_NONBLOCK);
  const std::string chunk(4096, 'x');
  while (::write(p[1], chunk.data(), chunk.size()) > 0) {
  }
  ::fcntl(p[1], F_SETFL, fl);
  Val out = h.Ok("wasi:cli/stdout#get-stdout", {});
  Val sub = h.Ok(kStreams + "[method]output-stream.subscribe", {Borrow(out)});
  EXPECT_EQ(h.Ok(kReady, {Borrow(sub)}).u, 0u);
  const auto start = Clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    h.store().Interrupt();
  });
  P2Result r = h.Call(kBlockingWrite, {Borrow(out), Val::Bytes("more")});
  stopper.join();
  ASSERT_TRUE(r.trap);
  EXPECT_EQ(r.trap->kind, TrapKind::Interrupted);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(40));
  // Once drained, the stream is writable again.
  ReadFdAvailable(p[0]);
  EXPECT_EQ(h.Ok(kReady, {Borrow(sub)}).u, 1u);
  ::close(p[0]);
  ::close(p[1]);
}

// A hostile or buggy caller: every host function called with arguments of
// the right count but any shape, and with reps of every kind of object the
// host holds. Each call answers or traps; none crashes or hangs.
TEST(WasiP2Io, EveryFunctionSurvivesMisshapenArguments) {
  TempDir dir;
  WriteFile(dir.path() / "f.txt", "data");
  WasiP2Options o;
  o.config.stdin_fd = -1;
  o.config.memory_stdio = true;
  o.config.preopens = {{dir.path().string(), "/d", false}};
  P2Host h(o);
  // One object of most kinds.
  Val root = h.Ok("wasi:filesystem/preopens#get-directories", {})
                 .items.at(0)
                 .items.at(0);
  h.Ok("wasi:cli/stdin#get-stdin", {});
  h.Ok("wasi:cli/stdout#get-stdout", {});
  h.Ok(kSubDuration, {Val::U64(0)});
  h.Ok("wasi:filesystem/types#[method]descriptor.read-directory",
       {Borrow(root)});
  h.Ok("wasi:sockets/instance-network#instance-network", {});
  const auto& types = h.linker().types();
  size_t calls = 0;
  for (const auto* iface : h.linker().Interfaces()) {
    if (iface->name.ns != "wasi" || iface->name.package == "http") continue;
    for (const auto& e : iface->type.exports) {
      if (e.type.kind != weft::component::ExternType::Kind::Func) continue;
      auto fn = iface->funcs.find(e.name);
      if (fn == iface->funcs.end()) continue;
      const size_t arity = types.funcs.at(e.type.id).params.size();
      for (uint32_t rep = 0; rep < 10; ++rep) {
        std::vector<Val> args(arity, Borrow(rep));
        P2Result r = h.Call(iface->name.Unversioned() + "#" + e.name, args,
                            /*check_args=*/false);
        EXPECT_LE(r.results.size(), 1u);
        ++calls;
      }
    }
  }
  EXPECT_GT(calls, 1000u);
}

} // namespace
} // namespace weft_test

namespace weft_test {
namespace {

TEST(WasiP2Io, AWriteToAPipeWithoutReaderIsClosedNotSigpipe) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  WasiP2Options o;
  o.config.stdout_fd = p[1];
  P2Host h(o);
  ::close(p[0]);
  ::close(p[1]); // the context's duplicate is the only writer left
  Val out = h.Ok("wasi:cli/stdout#get-stdout", {});
  // SIGPIPE's default action would end this test process.
  Val r = h.Ok(kBlockingWrite, {Borrow(out), Val::Bytes("gone")});
  EXPECT_TRUE(IsClosed(r));
  EXPECT_TRUE(IsClosed(h.Ok(kCheckWrite, {Borrow(out)})));
}

} // namespace
} // namespace weft_test

namespace weft_test {
namespace {

TEST(WasiP2Io, ResetFreesEverythingAndRefillsTheLimits) {
  WasiP2Options o;
  o.config.memory_stdio = true;
  o.config.stdout_limit = 4;
  P2Host h(o);
  *h.ctx().MemoryStdio(0) = "first";
  Val in = h.Ok("wasi:cli/stdin#get-stdin", {});
  h.Ok(kRead, {Borrow(in), Val::U64(2)});
  Val out = h.Ok("wasi:cli/stdout#get-stdout", {});
  EXPECT_FALSE(IsOk(h.Ok(kWrite, {Borrow(out), Val::Bytes("too long")})));
  EXPECT_TRUE(h.ctx().OutputLimitReached(1));
  EXPECT_EQ(h.ctx().live(), 3u); // stdin, stdout, the write's error

  h.ctx().Reset();
  EXPECT_EQ(h.ctx().live(), 0u);
  EXPECT_FALSE(h.ctx().OutputLimitReached(1));
  EXPECT_EQ(*h.ctx().MemoryStdio(0), "");
  EXPECT_EQ(*h.ctx().MemoryStdio(1), "");
  // The old reps are gone; new ones work from a clean slate.
  EXPECT_TRUE(h.Call(kWrite, {Borrow(out), Val::Bytes("x")}).trap);
  *h.ctx().MemoryStdio(0) = "second";
  in = h.Ok("wasi:cli/stdin#get-stdin", {});
  EXPECT_EQ(Payload(h.Ok(kRead, {Borrow(in), Val::U64(100)})).s, "second");
  out = h.Ok("wasi:cli/stdout#get-stdout", {});
  EXPECT_TRUE(IsOk(h.Ok(kWrite, {Borrow(out), Val::Bytes("okay")})));
  EXPECT_EQ(*h.ctx().MemoryStdio(1), "okay");
}

} // namespace
} // namespace weft_test
