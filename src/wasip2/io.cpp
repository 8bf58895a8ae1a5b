// wasi:io — pollables and poll, input and output streams over stdio, files
// and in-memory buffers.
//
// Waits use ppoll(2) in slices of at most kWaitSlice and check
// Store::interrupted() between slices, so --timeout ends a guest blocked in
// blocking-read, blocking-write-and-flush, block or poll with an
// "interrupted" trap (as preview1's poll_oneoff does).
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/host_write.h"
#include "wasip2/context.h"
#include "wasip2/stdio.h"

namespace weft::wasip2 {
namespace {

constexpr uint64_t kWaitSliceNs = 5'000'000;
// A pipe or terminal is written in pieces of at most PIPE_BUF after POLLOUT,
// so one write(2) never blocks past an interrupt.
constexpr size_t kPipeChunk = PIPE_BUF;

Failure Interrupted() {
  return Failure::Trapped(Trap::Of(TrapKind::Interrupted));
}

// Whether `events` (or an error, which the next operation reports) is
// there now.
bool FdReady(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  return ::poll(&p, 1, 0) != 0;
}

struct timespec Slice(uint64_t ns) {
  ns = std::min(ns, kWaitSliceNs);
  return {static_cast<time_t>(ns / 1000000000ull),
          static_cast<long>(ns % 1000000000ull)};
}

bool IsStdinPipe(const InputStreamObj& s) {
  return s.src == InputStreamObj::Src::kStdin && !s.stdin_src->memory &&
         s.stdin_src->fd.valid() && !s.stdin_src->regular;
}

bool IsSinkPipe(const StdioSink& sink) {
  if (sink.kind != StdioSink::Kind::kFd) return false;
  struct stat st;
  return ::fstat(sink.fd.get(), &st) != 0 || !S_ISREG(st.st_mode);
}

} // namespace

// --- pollables
// ---------------------------------------------------------------------

bool WasiP2Context::PollableReady(const PollableObj& p) const {
  switch (p.type) {
  case PollableObj::Type::kReady: return true;
  case PollableObj::Type::kDeadline: return MonotonicNow() >= p.deadline;
  case PollableObj::Type::kFdRead: return FdReady(p.fd, POLLIN);
  case PollableObj::Type::kFdWrite: return FdReady(p.fd, POLLOUT);
  }
  return true;
}

std::optional<Trap> WasiP2Context::Block(const Store& store,
                                         const PollableObj& p) {
  for (;;) {
    if (PollableReady(p)) return std::nullopt;
    if (store.interrupted()) return Trap::Of(TrapKind::Interrupted);
    struct pollfd pfd = {p.fd, 0, 0};
    uint64_t wait = kWaitSliceNs;
    if (p.type == PollableObj::Type::kDeadline) {
      const uint64_t now = MonotonicNow();
      wait = p.deadline > now ? p.deadline - now : 0;
    } else {
      pfd.events = p.type == PollableObj::Type::kFdRead ? POLLIN : POLLOUT;
    }
    struct timespec ts = Slice(wait);
    ::ppoll(pfd.events ? &pfd : nullptr, pfd.events ? 1 : 0, &ts, nullptr);
  }
}

Outcome<std::vector<uint32_t>>
WasiP2Context::Poll(const Store& store, const std::vector<uint32_t>& reps) {
  if (reps.empty())
    return Failure::Trapped(
        Trap{TrapKind::Host, "wasi:io/poll: poll of an empty list", 0});
  std::vector<const PollableObj*> ps;
  ps.reserve(reps.size());
  for (uint32_t rep : reps) {
    const PollableObj* p = Get<PollableObj>(rep);
    if (!p) return Failure::Trapped(BadRep(ObjKind::kPollable, rep));
    ps.push_back(p);
  }
  std::vector<struct pollfd> pfds;
  for (;;) {
    std::vector<uint32_t> ready;
    for (uint32_t i = 0; i < ps.size(); ++i)
      if (PollableReady(*ps[i])) ready.push_back(i);
    if (!ready.empty()) return ready;
    if (store.interrupted()) return Interrupted();
    uint64_t wait = kWaitSliceNs;
    pfds.clear();
    const uint64_t now = MonotonicNow();
    for (const PollableObj* p : ps) {
      if (p->type == PollableObj::Type::kDeadline) {
        wait = std::min(wait, p->deadline > now ? p->deadline - now : 0);
      } else if (p->type != PollableObj::Type::kReady) {
        pfds.push_back({p->fd,
                        static_cast<short>(p->type == PollableObj::Type::kFdRead
                                               ? POLLIN
                                               : POLLOUT),
                        0});
      }
    }
    struct timespec ts = Slice(wait);
    ::ppoll(pfds.data(), pfds.size(), &ts, nullptr);
  }
}

Outcome<bool> WasiP2Context::WaitFd(const Store& store, int fd, short events) {
  for (;;) {
    if (store.interrupted()) return Interrupted();
    struct pollfd p = {fd, events, 0};
    struct timespec ts = Slice(kWaitSliceNs);
    if (::ppoll(&p, 1, &ts, nullptr) > 0) return true;
  }
}

// --- input streams
// ------------------------------------------------------------------

Outcome<std::string> WasiP2Context::ReadSome(InputStreamObj& s, uint64_t len,
                                             bool* ready) {
  *ready = true;
  if (s.closed) return Failure::Closed();
  len = std::min<uint64_t>(len, options_.max_io_chunk);
  if (len == 0) return std::string();
  if (s.src == InputStreamObj::Src::kFile) {
    std::string buf(static_cast<size_t>(len), '\0');
    ssize_t n;
    do {
      n = ::pread(s.file->get(), buf.data(), buf.size(),
                  static_cast<off_t>(s.offset));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Failure::Host(errno);
    if (n == 0) {
      s.closed = true;
      return Failure::Closed();
    }
    s.offset += static_cast<uint64_t>(n);
    buf.resize(static_cast<size_t>(n));
    return buf;
  }
  StdioSource& src = *s.stdin_src;
  if (src.memory) {
    if (src.pos >= src.data.size()) {
      s.closed = true;
      return Failure::Closed();
    }
    const size_t take =
        std::min<size_t>(static_cast<size_t>(len), src.data.size() - src.pos);
    std::string out = src.data.substr(src.pos, take);
    src.pos += take;
    return out;
  }
  if (!src.fd.valid()) {
    s.closed = true;
    return Failure::Closed();
  }
  if (!src.regular && !FdReady(src.fd.get(), POLLIN)) {
    *ready = false;
    return std::string();
  }
  std::string buf(static_cast<size_t>(len), '\0');
  ssize_t n;
  do {
    n = ::read(src.fd.get(), buf.data(), buf.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) {
    *ready = false;
    return std::string();
  }
  if (n < 0) return Failure::Host(errno);
  if (n == 0) {
    s.closed = true;
    return Failure::Closed();
  }
  buf.resize(static_cast<size_t>(n));
  return buf;
}

Outcome<std::string> WasiP2Context::Read(InputStreamObj& s, uint64_t len) {
  bool ready;
  return ReadSome(s, len, &ready);
}

Outcome<std::string> WasiP2Context::BlockingRead(const Store& store,
                                                 InputStreamObj& s,
                                                 uint64_t len) {
  for (;;) {
    bool ready;
    Outcome<std::string> r = ReadSome(s, len, &ready);
    if (!r.ok() || ready) return r;
    Outcome<bool> w = WaitFd(store, s.stdin_src->fd.get(), POLLIN);
    if (!w.ok()) return w.failure();
  }
}

Outcome<uint64_t> WasiP2Context::Skip(InputStreamObj& s, uint64_t len) {
  Outcome<std::string> r = Read(s, len);
  if (!r.ok()) return r.failure();
  return uint64_t{r.value().size()};
}

Outcome<uint64_t> WasiP2Context::BlockingSkip(const Store& store,
                                              InputStreamObj& s, uint64_t len) {
  Outcome<std::string> r = BlockingRead(store, s, len);
  if (!r.ok()) return r.failure();
  return uint64_t{r.value().size()};
}

Outcome<uint32_t> WasiP2Context::SubscribeInput(const InputStreamObj& s) {
  auto p = std::make_unique<PollableObj>();
  if (IsStdinPipe(s)) {
    p->type = PollableObj::Type::kFdRead;
    p->fd = s.stdin_src->fd.get();
    p->keep = s.stdin_src;
  }
  return Add(std::move(p));
}

// --- output streams
// ----------------------------------------------------------------

Outcome<uint64_t> WasiP2Context::CheckWrite(OutputStreamObj& s) {
  if (s.closed) return Failure::Closed();
  uint64_t permit = options_.max_io_chunk;
  if (s.dst == OutputStreamObj::Dst::kStdio) {
    StdioSink& sink = *s.sink;
    if (sink.kind == StdioSink::Kind::kNone) return Failure::Closed();
    if (sink.limit != 0) {
      if (sink.left == 0) {
        sink.reached = true;
        return Failure::Code(FsError::kFileTooLarge, "output limit reached");
      }
      permit = std::min(permit, sink.left);
    }
  }
  return permit;
}

Outcome<Unit> WasiP2Context::WriteAll(const Store* store, OutputStreamObj& s,
                                      std::string_view data) {
  if (s.closed) return Failure::Closed();
  if (s.dst != OutputStreamObj::Dst::kStdio) {
    uint64_t off = s.offset;
    if (s.dst == OutputStreamObj::Dst::kAppend) {
      struct stat st;
      if (::fstat(s.file->get(), &st) != 0) return Failure::Host(errno);
      off = static_cast<uint64_t>(st.st_size);
    }
    while (!data.empty()) {
      ssize_t n = ::pwrite(s.file->get(), data.data(), data.size(),
                           static_cast<off_t>(off));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Failure::Host(errno);
      off += static_cast<uint64_t>(n);
      data.remove_prefix(static_cast<size_t>(n));
    }
    if (s.dst == OutputStreamObj::Dst::kFile) s.offset = off;
    return Unit{};
  }
  StdioSink& sink = *s.sink;
  if (sink.kind == StdioSink::Kind::kNone) return Failure::Closed();
  bool over = false;
  if (sink.limit != 0) {
    if (data.size() > sink.left) {
      data = data.substr(0, static_cast<size_t>(sink.left));
      over = true;
    }
    sink.left -= data.size();
  }
  switch (sink.kind) {
  case StdioSink::Kind::kMemory: sink.data.append(data); break;
  case StdioSink::Kind::kCallback:
    if (!data.empty() && !sink.callback(data))
      return Failure::Code(FsError::kIo, "the output sink refused the write");
    break;
  case StdioSink::Kind::kFd: {
    const bool pipe = IsSinkPipe(sink);
    while (!data.empty()) {
      size_t take = data.size();
      if (pipe) {
        if (store) {
          Outcome<bool> w = WaitFd(*store, sink.fd.get(), POLLOUT);
          if (!w.ok()) return w.failure();
        }
        take = std::min(take, kPipeChunk);
      }
      struct iovec iov = {const_cast<char*>(data.data()), take};
      ssize_t n = wasi::WritevNoSigpipe(sink.fd.get(), &iov, 1, pipe);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n < 0 && errno == EPIPE) {
        s.closed = true;
        return Failure::Closed();
      }
      if (n < 0) return Failure::Host(errno);
      data.remove_prefix(static_cast<size_t>(n));
    }
    break;
  }
  case StdioSink::Kind::kNone: break;
  }
  if (over) {
    sink.reached = true;
    const std::string what =
        "output limit of " + std::to_string(sink.limit) + " bytes exceeded";
    if (sink.ends_guest)
      return Failure::Trapped(Trap{
          TrapKind::Host,
          "stdout limit of " + std::to_string(sink.limit) + " bytes exceeded",
          0});
    return Failure::Code(FsError::kFileTooLarge, what);
  }
  return Unit{};
}

Outcome<Unit> WasiP2Context::Write(const Store& store, OutputStreamObj& s,
                                   std::string_view data) {
  return WriteAll(&store, s, data);
}

Outcome<Unit> WasiP2Context::Flush(OutputStreamObj& s) {
  // Nothing is buffered on the host side.
  if (s.closed) return Failure::Closed();
  return Unit{};
}

Outcome<Unit> WasiP2Context::WriteZeroes(const Store& store, OutputStreamObj& s,
                                         uint64_t len) {
  if (len > options_.max_io_chunk)
    return Failure::Code(FsError::kInvalid,
                         "write-zeroes of more than check-write allows");
  return WriteAll(&store, s, std::string(static_cast<size_t>(len), '\0'));
}

Outcome<uint64_t> WasiP2Context::Splice(const Store& store,
                                        OutputStreamObj& dst,
                                        InputStreamObj& src, uint64_t len,
                                        bool blocking) {
  Outcome<uint64_t> permit = CheckWrite(dst);
  if (!permit.ok()) return permit.failure();
  len = std::min(len, permit.value());
  Outcome<std::string> data =
      blocking ? BlockingRead(store, src, len) : Read(src, len);
  if (!data.ok()) return data.failure();
  Outcome<Unit> w = WriteAll(&store, dst, data.value());
  if (!w.ok()) return w.failure();
  return uint64_t{data.value().size()};
}

Outcome<uint32_t> WasiP2Context::SubscribeOutput(const OutputStreamObj& s) {
  auto p = std::make_unique<PollableObj>();
  if (s.dst == OutputStreamObj::Dst::kStdio && IsSinkPipe(*s.sink)) {
    p->type = PollableObj::Type::kFdWrite;
    p->fd = s.sink->fd.get();
    p->keep = s.sink;
  }
  return Add(std::move(p));
}

} // namespace weft::wasip2
