// poll_oneoff: clock and fd_read/fd_write subscriptions over ppoll(2).
//
// The call blocks the calling thread until an event (a clock deadline, an
// fd becoming ready, or an error on a subscription) is available, or until
// the store is interrupted (Store::Interrupt): it waits in slices of at most
// kWaitSlice and, once interrupted, ends the guest with an "interrupted"
// trap, as the guest's own code would at its next check.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "wasi/wasi_internal.h"

namespace weft::wasi {
namespace {

struct Sub {
  uint64_t userdata = 0;
  EventType type = EventType::kClock;
  // clock
  clockid_t clock = CLOCK_MONOTONIC;
  uint64_t deadline = 0; // absolute, on `clock`
  // fd
  int pollfd_index = -1;
  // filled in when the subscription fires
  bool fired = false;
  Errno error = Errno::kSuccess;
  uint64_t nbytes = 0;
  uint16_t flags = 0;
};

uint64_t Now(clockid_t clock) {
  struct timespec ts;
  ::clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

void Fire(Sub* s, Errno error) {
  s->fired = true;
  s->error = error;
}

// Bytes available to read on a non-file fd, when the host can tell.
uint64_t Readable(int fd) {
  int n = 0;
  if (::ioctl(fd, FIONREAD, &n) == 0 && n > 0) return static_cast<uint64_t>(n);
  return 0;
}

// Longest single wait before checking Store::interrupted() again.
constexpr uint64_t kWaitSliceNs = 5'000'000;

} // namespace

Errno PollOneoff(WasiCall& c, uint32_t in, uint32_t out, uint32_t nsubs,
                 uint32_t nevents_out) {
  if (nsubs == 0) return Errno::kInval;
  const GuestMemory& mem = c.mem();
  if (!mem.Contains(in, uint64_t{nsubs} * layout::kSubscriptionSize) ||
      !mem.Contains(out, uint64_t{nsubs} * layout::kEventSize) ||
      !mem.Contains(nevents_out, 4))
    return Errno::kFault;

  std::vector<Sub> subs(nsubs);
  std::vector<struct pollfd> pfds;
  bool immediate = false;
  for (uint32_t i = 0; i < nsubs; ++i) {
    const uint32_t base = in + i * layout::kSubscriptionSize;
    Sub& s = subs[i];
    uint8_t tag = 0;
    mem.Load(base + layout::kSubUserdata, &s.userdata);
    mem.Load(base + layout::kSubTag, &tag);
    if (tag > static_cast<uint8_t>(EventType::kFdWrite)) return Errno::kInval;
    s.type = static_cast<EventType>(tag);
    if (s.type == EventType::kClock) {
      uint32_t id = 0;
      uint64_t timeout = 0;
      uint16_t flags = 0;
      mem.Load(base + layout::kSubClockId, &id);
      mem.Load(base + layout::kSubClockTimeout, &timeout);
      mem.Load(base + layout::kSubClockFlags, &flags);
      if (id == static_cast<uint32_t>(ClockId::kRealtime)) {
        s.clock = CLOCK_REALTIME;
      } else if (id == static_cast<uint32_t>(ClockId::kMonotonic)) {
        s.clock = CLOCK_MONOTONIC;
      } else {
        // CPU-time clocks cannot be waited on.
        Fire(&s, Errno::kInval);
        immediate = true;
        continue;
      }
      s.deadline = (flags & kSubclockAbstime)
                       ? timeout
                       : SaturatingAdd(Now(s.clock), timeout);
      continue;
    }
    uint32_t fd = 0;
    mem.Load(base + layout::kSubFd, &fd);
    const bool want_read = s.type == EventType::kFdRead;
    FdEntry* e;
    Errno err =
        c.fds().Get(fd, want_read ? right::kFdRead : right::kFdWrite, &e);
    if (err != Errno::kSuccess) {
      Fire(&s, err);
      immediate = true;
      continue;
    }
    if (e->mem) {
      // In-memory stdio is always ready; report what is left to read.
      if (want_read) s.nbytes = e->mem->data.size() - e->mem->pos;
      Fire(&s, Errno::kSuccess);
      immediate = true;
      continue;
    }
    if (e->type == FileType::kRegularFile || e->type == FileType::kDirectory) {
      // Files are always ready; report what is left to read.
      if (want_read) {
        struct stat st;
        off_t pos = ::lseek(e->host.get(), 0, SEEK_CUR);
        if (::fstat(e->host.get(), &st) == 0 && pos >= 0 && st.st_size > pos)
          s.nbytes = static_cast<uint64_t>(st.st_size - pos);
      }
      Fire(&s, Errno::kSuccess);
      immediate = true;
      continue;
    }
    s.pollfd_index = static_cast<int>(pfds.size());
    pfds.push_back(
        {e->host.get(), static_cast<short>(want_read ? POLLIN : POLLOUT), 0});
  }

  for (;;) {
    // Time to the nearest clock deadline (none: wait for an fd).
    bool have_deadline = immediate;
    uint64_t wait_ns = 0;
    if (!immediate) {
      for (const Sub& s : subs) {
        if (s.type != EventType::kClock || s.fired) continue;
        uint64_t now = Now(s.clock);
        uint64_t left = s.deadline > now ? s.deadline - now : 0;
        if (!have_deadline || left < wait_ns) wait_ns = left;
        have_deadline = true;
      }
    }
    if (!immediate && c.interrupted()) {
      c.trap = Trap::Of(TrapKind::Interrupted);
      return Errno::kIntr;
    }
    if (!immediate && (!have_deadline || wait_ns > kWaitSliceNs)) {
      wait_ns = kWaitSliceNs;
      have_deadline = true;
    }
    struct timespec ts;
    ts.tv_sec = static_cast<time_t>(
        std::min<uint64_t>(wait_ns / 1000000000ull, INT32_MAX));
    ts.tv_nsec = static_cast<long>(wait_ns % 1000000000ull);
    int r = ::ppoll(pfds.data(), pfds.size(), have_deadline ? &ts : nullptr,
                    nullptr);
    if (r < 0 && errno != EINTR) return ErrnoFromHost(errno);
    bool any = immediate;
    if (r > 0) {
      for (Sub& s : subs) {
        if (s.pollfd_index < 0) continue;
        const struct pollfd& p = pfds[static_cast<size_t>(s.pollfd_index)];
        if (p.revents == 0) continue;
        any = true;
        if (p.revents & POLLNVAL) {
          Fire(&s, Errno::kBadf);
          continue;
        }
        Fire(&s, Errno::kSuccess);
        if (p.revents & POLLHUP) s.flags |= kEventFdReadwriteHangup;
        if (s.type == EventType::kFdRead) s.nbytes = Readable(p.fd);
        if ((p.revents & POLLERR) && !(p.revents & (POLLIN | POLLOUT)))
          s.error = Errno::kIo;
      }
    }
    for (Sub& s : subs) {
      if (s.type == EventType::kClock && !s.fired &&
          Now(s.clock) >= s.deadline) {
        Fire(&s, Errno::kSuccess);
        any = true;
      }
    }
    if (any) break;
  }

  uint32_t n = 0;
  for (const Sub& s : subs) {
    if (!s.fired) continue;
    const uint32_t base = out + n * layout::kEventSize;
    std::memset(mem.Span(base, layout::kEventSize), 0, layout::kEventSize);
    mem.Store<uint64_t>(base + layout::kEventUserdata, s.userdata);
    mem.Store<uint16_t>(base + layout::kEventError,
                        static_cast<uint16_t>(s.error));
    mem.Store<uint8_t>(base + layout::kEventType, static_cast<uint8_t>(s.type));
    if (s.type != EventType::kClock) {
      mem.Store<uint64_t>(base + layout::kEventNbytes, s.nbytes);
      mem.Store<uint16_t>(base + layout::kEventFlags, s.flags);
    }
    ++n;
  }
  mem.Store<uint32_t>(nevents_out, n);
  return Errno::kSuccess;
}

} // namespace weft::wasi
