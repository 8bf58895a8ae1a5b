// args, environ, clocks, random, process control and sockets.
#include <cerrno>
#include <ctime>
#include <sched.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "wasi/wasi_internal.h"

namespace weft::wasi {
namespace {

// argv-style output: `ptrs` receives one u32 pointer per string, `buf` the
// NUL-terminated strings back to back.
Errno WriteStringList(const GuestMemory& mem,
                      const std::vector<std::string>& list, uint32_t ptrs,
                      uint32_t buf) {
  uint64_t total = 0;
  for (const std::string& s : list)
    total += s.size() + 1;
  if (!mem.Contains(ptrs, uint64_t{list.size()} * 4) ||
      !mem.Contains(buf, total))
    return Errno::kFault;
  uint32_t at = buf;
  for (size_t i = 0; i < list.size(); ++i) {
    mem.Store<uint32_t>(ptrs + static_cast<uint32_t>(i * 4), at);
    mem.Write(at, list[i].c_str(), list[i].size() + 1);
    at += static_cast<uint32_t>(list[i].size() + 1);
  }
  return Errno::kSuccess;
}

Errno WriteListSizes(const GuestMemory& mem,
                     const std::vector<std::string>& list, uint32_t count_out,
                     uint32_t size_out) {
  uint64_t total = 0;
  for (const std::string& s : list)
    total += s.size() + 1;
  if (total > UINT32_MAX) return Errno::kOverflow;
  if (!mem.Contains(count_out, 4) || !mem.Contains(size_out, 4))
    return Errno::kFault;
  mem.Store<uint32_t>(count_out, static_cast<uint32_t>(list.size()));
  mem.Store<uint32_t>(size_out, static_cast<uint32_t>(total));
  return Errno::kSuccess;
}

bool HostClock(uint32_t id, clockid_t* out) {
  switch (static_cast<ClockId>(id)) {
  case ClockId::kRealtime: *out = CLOCK_REALTIME; return true;
  case ClockId::kMonotonic: *out = CLOCK_MONOTONIC; return true;
  case ClockId::kProcessCputime: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
  case ClockId::kThreadCputime: *out = CLOCK_THREAD_CPUTIME_ID; return true;
  }
  return false;
}

bool IsSocket(const FdEntry& e) {
  return e.type == FileType::kSocketStream || e.type == FileType::kSocketDgram;
}

} // namespace

Errno ArgsGet(WasiCall& c, uint32_t argv, uint32_t argv_buf) {
  return WriteStringList(c.mem(), c.ctx().args, argv, argv_buf);
}

Errno ArgsSizesGet(WasiCall& c, uint32_t argc_out, uint32_t buf_size_out) {
  return WriteListSizes(c.mem(), c.ctx().args, argc_out, buf_size_out);
}

Errno EnvironGet(WasiCall& c, uint32_t environ, uint32_t environ_buf) {
  return WriteStringList(c.mem(), c.ctx().env, environ, environ_buf);
}

Errno EnvironSizesGet(WasiCall& c, uint32_t count_out, uint32_t size_out) {
  return WriteListSizes(c.mem(), c.ctx().env, count_out, size_out);
}

Errno ClockResGet(WasiCall& c, uint32_t id, uint32_t res_out) {
  clockid_t clock;
  if (!HostClock(id, &clock)) return Errno::kInval;
  struct timespec ts;
  if (::clock_getres(clock, &ts) != 0) return ErrnoFromHost(errno);
  uint64_t ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull +
                static_cast<uint64_t>(ts.tv_nsec);
  if (!c.mem().Store<uint64_t>(res_out, ns)) return Errno::kFault;
  return Errno::kSuccess;
}

Errno ClockTimeGet(WasiCall& c, uint32_t id, uint64_t precision,
                   uint32_t time_out) {
  clockid_t clock;
  if (!HostClock(id, &clock)) return Errno::kInval;
  struct timespec ts;
  if (::clock_gettime(clock, &ts) != 0) return ErrnoFromHost(errno);
  uint64_t ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull +
                static_cast<uint64_t>(ts.tv_nsec);
  if (!c.mem().Store<uint64_t>(time_out, ns)) return Errno::kFault;
  return Errno::kSuccess;
}

Errno RandomGet(WasiCall& c, uint32_t buf, uint32_t buf_len) {
  uint8_t* p = c.mem().Span(buf, buf_len);
  if (!p) return Errno::kFault;
  size_t done = 0;
  while (done < buf_len) {
    ssize_t n = ::getrandom(p + done, buf_len - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoFromHost(errno);
    }
    done += static_cast<size_t>(n);
  }
  return Errno::kSuccess;
}

void ProcExit(WasiCall& c, uint32_t code) { c.trap = Trap::ExitWith(code); }

// Signals are not part of the sandbox: a guest cannot signal the host.
Errno ProcRaise(WasiCall&, uint32_t) { return Errno::kNoSys; }

Errno SchedYield(WasiCall&) {
  ::sched_yield();
  return Errno::kSuccess;
}

// No listening socket is ever granted, so there is nothing to accept.
Errno SockAccept(WasiCall& c, uint32_t fd, uint32_t flags, uint32_t fd_out) {
  FdEntry* e = c.fds().Find(fd);
  if (!e) return Errno::kBadf;
  if (!IsSocket(*e)) return Errno::kNotSock;
  return Errno::kNotSup;
}

// recv/send work only on sockets the embedder handed in as stdio.
Errno SockRecv(WasiCall& c, uint32_t fd, uint32_t ri_data, uint32_t ri_data_len,
               uint32_t ri_flags, uint32_t nread_out, uint32_t roflags_out) {
  FdEntry* e = c.fds().Find(fd);
  if (!e) return Errno::kBadf;
  if (!IsSocket(*e)) return Errno::kNotSock;
  if ((e->base & right::kFdRead) == 0) return Errno::kNotCapable;
  if (ri_flags & ~uint32_t{riflag::kRecvPeek | riflag::kRecvWaitall})
    return Errno::kInval;
  const GuestMemory& mem = c.mem();
  if (!mem.Contains(nread_out, 4) || !mem.Contains(roflags_out, 2))
    return Errno::kFault;
  std::vector<struct iovec> iov;
  if (Errno err = LoadIovecs(mem, ri_data, ri_data_len, &iov);
      err != Errno::kSuccess)
    return err;
  struct msghdr msg = {};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  int flags = 0;
  if (ri_flags & riflag::kRecvPeek) flags |= MSG_PEEK;
  if (ri_flags & riflag::kRecvWaitall) flags |= MSG_WAITALL;
  ssize_t n;
  do
    n = ::recvmsg(e->host.get(), &msg, flags);
  while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoFromHost(errno);
  mem.Store<uint32_t>(nread_out, static_cast<uint32_t>(n));
  mem.Store<uint16_t>(roflags_out, (msg.msg_flags & MSG_TRUNC)
                                       ? kRoflagRecvDataTruncated
                                       : uint16_t{0});
  return Errno::kSuccess;
}

Errno SockSend(WasiCall& c, uint32_t fd, uint32_t si_data, uint32_t si_data_len,
               uint32_t si_flags, uint32_t nwritten_out) {
  FdEntry* e = c.fds().Find(fd);
  if (!e) return Errno::kBadf;
  if (!IsSocket(*e)) return Errno::kNotSock;
  if ((e->base & right::kFdWrite) == 0) return Errno::kNotCapable;
  if (si_flags != 0) return Errno::kInval; // preview1 defines no siflags
  const GuestMemory& mem = c.mem();
  if (!mem.Contains(nwritten_out, 4)) return Errno::kFault;
  std::vector<struct iovec> iov;
  if (Errno err = LoadIovecs(mem, si_data, si_data_len, &iov);
      err != Errno::kSuccess)
    return err;
  struct msghdr msg = {};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  ssize_t n;
  do
    n = ::sendmsg(e->host.get(), &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoFromHost(errno);
  mem.Store<uint32_t>(nwritten_out, static_cast<uint32_t>(n));
  return Errno::kSuccess;
}

Errno SockShutdown(WasiCall& c, uint32_t fd, uint32_t how) {
  FdEntry* e = c.fds().Find(fd);
  if (!e) return Errno::kBadf;
  if (!IsSocket(*e)) return Errno::kNotSock;
  if ((e->base & right::kSockShutdown) == 0) return Errno::kNotCapable;
  int h;
  switch (how) {
  case sdflag::kRd: h = SHUT_RD; break;
  case sdflag::kWr: h = SHUT_WR; break;
  case sdflag::kRd | sdflag::kWr: h = SHUT_RDWR; break;
  default: return Errno::kInval;
  }
  if (::shutdown(e->host.get(), h) != 0) return ErrnoFromHost(errno);
  return Errno::kSuccess;
}

} // namespace weft::wasi
