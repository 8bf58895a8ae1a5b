// fd_* functions: operations on an open guest fd.
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <iterator>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi/host_write.h"
#include "wasi/wasi_internal.h"

namespace weft::wasi {
namespace {

constexpr uint64_t kMaxOffset = INT64_MAX;

bool IsPipeLike(const FdEntry& e) {
  return e.type == FileType::kUnknown || e.type == FileType::kSocketStream ||
         e.type == FileType::kSocketDgram;
}

uint16_t FdflagsFromHost(int fl) {
  uint16_t f = 0;
  if (fl & O_APPEND) f |= fdflag::kAppend;
  if (fl & O_NONBLOCK) f |= fdflag::kNonblock;
  if ((fl & O_SYNC) == O_SYNC)
    f |= fdflag::kSync;
  else if (fl & O_DSYNC)
    f |= fdflag::kDsync;
  return f;
}

// Runs a read/write style call, retrying on EINTR.
template <typename F> ssize_t Retry(F f) {
  ssize_t r;
  do
    r = f();
  while (r < 0 && errno == EINTR);
  return r;
}

Errno Transfer(WasiCall& c, uint32_t fd, Rights need, uint32_t iovs,
               uint32_t iovs_len, uint32_t count_out,
               const std::optional<uint64_t>& offset, bool write) {
  FdEntry* e;
  if (Errno err = c.fds().Get(fd, need, &e); err != Errno::kSuccess) return err;
  if (offset && *offset > kMaxOffset) return Errno::kInval;
  const GuestMemory& mem = c.mem();
  if (!mem.Contains(count_out, 4)) return Errno::kFault;
  std::vector<struct iovec> iov;
  if (Errno err = LoadIovecs(mem, iovs, iovs_len, &iov); err != Errno::kSuccess)
    return err;
  const int h = e->host.get();
  const off_t off = offset ? static_cast<off_t>(*offset) : 0;
  ssize_t r;
  if (write && e->budget) {
    // A capped output: cut the write at what is left, refuse it past that.
    OutputBudget& b = *e->budget;
    uint64_t total = 0;
    for (const struct iovec& v : iov)
      total += v.iov_len;
    if (total > b.left) b.reached = true;
    if (total > 0 && b.left == 0) {
      if (b.ends_guest)
        c.trap = Trap{TrapKind::Host,
                      "stdout limit of " + std::to_string(b.limit) +
                          " bytes exceeded",
                      0};
      return Errno::kFbig;
    }
    uint64_t keep = b.left;
    for (struct iovec& v : iov) {
      v.iov_len = std::min<uint64_t>(v.iov_len, keep);
      keep -= v.iov_len;
    }
  }
  if (e->mem) {
    // In-memory stdio: no offsets (the stream has no seek right).
    MemStream& m = *e->mem;
    uint64_t done = 0;
    for (const struct iovec& v : iov) {
      if (write) {
        m.data.append(static_cast<const char*>(v.iov_base), v.iov_len);
        done += v.iov_len;
        continue;
      }
      const size_t take = std::min(v.iov_len, m.data.size() - m.pos);
      std::memcpy(v.iov_base, m.data.data() + m.pos, take);
      m.pos += take;
      done += take;
      if (take < v.iov_len) break;
    }
    if (write && e->budget)
      e->budget->left -= std::min<uint64_t>(e->budget->left, done);
    mem.Store<uint32_t>(count_out, static_cast<uint32_t>(done));
    return Errno::kSuccess;
  }
  const int n = static_cast<int>(iov.size());
  if (write) {
    const bool pipe_like = IsPipeLike(*e);
    r = offset ? Retry([&] { return ::pwritev(h, iov.data(), n, off); })
               : Retry([&] {
                   return WritevNoSigpipe(h, iov.data(), n, pipe_like);
                 });
  } else {
    r = offset ? Retry([&] { return ::preadv(h, iov.data(), n, off); })
               : Retry([&] { return ::readv(h, iov.data(), n); });
  }
  if (r < 0) return ErrnoFromHost(errno);
  if (write && e->budget)
    e->budget->left -= std::min<uint64_t>(e->budget->left, uint64_t(r));
  mem.Store<uint32_t>(count_out, static_cast<uint32_t>(r));
  return Errno::kSuccess;
}

FileType FileTypeFromDirent(unsigned char d_type) {
  switch (d_type) {
  case DT_REG: return FileType::kRegularFile;
  case DT_DIR: return FileType::kDirectory;
  case DT_LNK: return FileType::kSymbolicLink;
  case DT_CHR: return FileType::kCharacterDevice;
  case DT_BLK: return FileType::kBlockDevice;
  case DT_SOCK: return FileType::kSocketStream;
  default: return FileType::kUnknown;
  }
}

// The kernel's record for getdents64.
struct LinuxDirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

} // namespace

Errno TimesFromWasi(uint64_t atim, uint64_t mtim, uint32_t flags,
                    struct timespec ts[2]) {
  using namespace fstflag;
  if (flags & ~uint32_t{kAtim | kAtimNow | kMtim | kMtimNow})
    return Errno::kInval;
  if ((flags & kAtim) && (flags & kAtimNow)) return Errno::kInval;
  if ((flags & kMtim) && (flags & kMtimNow)) return Errno::kInval;
  auto set = [](struct timespec* t, uint64_t ns, bool given, bool now) {
    if (now) {
      t->tv_sec = 0;
      t->tv_nsec = UTIME_NOW;
    } else if (given) {
      t->tv_sec = static_cast<time_t>(ns / 1000000000ull);
      t->tv_nsec = static_cast<long>(ns % 1000000000ull);
    } else {
      t->tv_sec = 0;
      t->tv_nsec = UTIME_OMIT;
    }
  };
  set(&ts[0], atim, flags & kAtim, flags & kAtimNow);
  set(&ts[1], mtim, flags & kMtim, flags & kMtimNow);
  return Errno::kSuccess;
}

Errno FdAdvise(WasiCall& c, uint32_t fd, uint64_t offset, uint64_t len,
               uint32_t advice) {
  FdEntry* e;
  if (Errno err = c.fds().Get(fd, right::kFdAdvise, &e); err != Errno::kSuccess)
    return err;
  static constexpr int kAdvice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL,
                                    POSIX_FADV_RANDOM,   POSIX_FADV_WILLNEED,
                                    POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  if (advice >= std::size(kAdvice)) return Errno::kInval;
  if (offset > kMaxOffset || len > kMaxOffset) return Errno::kInval;
  if (e->type == FileType::kDirectory) return Errno::kSuccess; // a hint
  int r = ::posix_fadvise(e->host.get(), static_cast<off_t>(offset),
                          static_cast<off_t>(len), kAdvice[advice]);
  return ErrnoFromHost(r);
}

Errno FdAllocate(WasiCall& c, uint32_t fd, uint64_t offset, uint64_t len) {
  FdEntry* e;
  if (Errno err = c.fds().Get(fd, right::kFdAllocate, &e);
      err != Errno::kSuccess)
    return err;
  if (offset > kMaxOffset || len > kMaxOffset - offset) return Errno::kFbig;
  if (len == 0) return Errno::kInval;
  int r = ::posix_fallocate(e->host.get(), static_cast<off_t>(offset),
                            static_cast<off_t>(len));
  return ErrnoFromHost(r);
}

Errno FdClose(WasiCall& c, uint32_t fd) { return c.fds().Close(fd); }

Errno FdDatasync(WasiCall& c, uint32_t fd) {
  FdEntry* e;
  if (Errno err = c.fds().Get(fd, right::kFdDatasync, &e);
      err != Errno::kSuccess)
    return err;
  if (::fdatasync(e->host.get()) != 0) return ErrnoFromHost(errno);
  return Errno::kSuccess;
}

Errno FdSync(WasiCall& c, uint32_t fd) {
  FdEntry* e;
  if (Errno err = c.fds().Get(fd, right::kFdSync, &e); err != Errno::kSuccess)
    return err;
  if (::fsync(e->host.get()) != 0) return ErrnoFromHost(errno);
  return Errno::kSuccess;
}

Errno FdFdstatGet(WasiCall& c, uint32_t fd, uint32_t out) {
  FdEntry* e;
  if (Errno err = c.fds().Get(fd, 0, &e); err != Errno::kSuccess) return err;
  const GuestMemory& mem = c.mem();
  uint8_t* p = mem.Span(out, layout::kFdstatSize);
  if (!p) return Errno::kFault;
  int fl = e->mem ? 0 : ::fcntl(e->host.get(), F_GETFL);
  if (fl < 0) return ErrnoFromHost(errno);
  std::memset(p, 0, layout::kFdstatSize);
  mem.Store<uint8_t>(out + layout::kFdstatFiletype,
                     static_cast<uint8_t>(e->type));
  mem.Store<uint16_t>(out + layout::kFdstatFlags, FdflagsFromHost(fl));
  mem.Store<uint64_t>(out + layout::kFdstatRightsBase, e->base);
  mem.Store<uint64_t>(out + layout::kFdstatRightsInheriting, e->inheriting);
  return Errno::kSuccess;
}

Errno FdFdstatSetFlags(WasiCall& c, uint32_t fd, uint32_t flags) {
  FdEntry* e;
  if (Errno err = c.fds().Get(fd, right::kFdFdstatSetFlags, &e);
      err != Errno::kSuccess)
    return err;
  if (flags & ~uint32_t{fdflag::kAll}) return Errno::kInval;
  int fl = ::fcntl(e->host.get(), F_GETFL);
  if (fl < 0) return ErrnoFromHost(errno);
  // Linux cannot change the sync flags of an open file.
  constexpr uint16_t kSyncFlags =
      fdflag::kDsync | fdflag::kRsync | fdflag::kSync;
  uint16_t cur = FdflagsFromHost(fl);
  if ((flags & kSyncFlags) && (flags & kSyncFlags) != (cur & kSyncFlags))
    return Errno::kNotSup;
  int nfl = fl & ~(O_APPEND | O_NONBLOCK);
  if (flags & fdflag::kAppend) nfl |= O_APPEND;
  if (flags & fdflag::kNonblock) nfl |= O_NONBLOCK;
  if (::fcntl(e->host.get(), F_SETFL, nfl) != 0) return ErrnoFromHost(errno);
  return Errno::kSuccess;
}

Errno FdFdstatSetRights(WasiCall& c, uint32_t fd, uint64_t base,
                        uint64_t inheriting) {
  FdEntry* e;
  if (Errno err = c.fds().Get(fd, 0, &e); err != Errno::kSuccess) return err;
  // Rights can only be dropped.
  if ((base & ~e->base) || (inheriting & ~e->inheriting))
    return Errno::kNotCapable;
  c.fds().MarkTouched();
  e->base = base;
  e->inheriting = inheriting;
  return Errno::kSuccess;
}

Errno FdFilestatGet(WasiCall& c, uint32_t fd, uint32_t out) {
  FdEntry* e;
  if (Errno err = c.fds().Get(fd, right::kFdFilestatGet, &e);
      err != Errno::kSuccess)
    return err;
  if (!c.mem().Contains(out, layout::kFilestatSize)) return Errno::kFault;
  struct stat st {};
  if (e->mem) {
    st.st_mode = S_IFIFO | 0600; // in-memory stdio: a pipe
    st.st_nlink = 1;
  } else if (::fstat(e->host.get(), &st) != 0) {
    return ErrnoFromHost(errno);
  }
  StoreFilestat(c.mem(), out, st);
  return Errno::kSuccess;
}

Errno FdFilestatSetSize(WasiCall& c, uint32_t fd, uint64_t size) {
  FdEntry* e;
  if (Errno err = c.fds().Get(fd, right::kFdFilestatSetSize, &e);
      err != Errno::kSuccess)
    return err;
  if (size > kMaxOffset) return Errno::kFbig;
  if (::ftruncate(e->host.get(), static_cast<off_t>(size)) != 0)
    return ErrnoFromHost(errno);
  return Errno::kSuccess;
}

Errno FdFilestatSetTimes(WasiCall& c, uint32_t fd, uint64_t atim, uint64_t mtim,
                         uint32_t fst_flags) {
  FdEntry* e;
  if (Errno err = c.fds().Get(fd, right::kFdFilestatSetTimes, &e);
      err != Errno::kSuccess)
    return err;
  struct timespec ts[2];
  if (Errno err = TimesFromWasi(atim, mtim, fst_flags, ts);
      err != Errno::kSuccess)
    return err;
  if (::futimens(e->host.get(), ts) != 0) return ErrnoFromHost(errno);
  return Errno::kSuccess;
}

Errno FdPread(WasiCall& c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
              uint64_t offset, uint32_t nread_out) {
  return Transfer(c, fd, right::kFdRead | right::kFdSeek, iovs, iovs_len,
                  nread_out, offset, /*write=*/false);
}

Errno FdPwrite(WasiCall& c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
               uint64_t offset, uint32_t nwritten_out) {
  return Transfer(c, fd, right::kFdWrite | right::kFdSeek, iovs, iovs_len,
                  nwritten_out, offset, /*write=*/true);
}

Errno FdRead(WasiCall& c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
             uint32_t nread_out) {
  return Transfer(c, fd, right::kFdRead, iovs, iovs_len, nread_out,
                  std::nullopt, /*write=*/false);
}

Errno FdWrite(WasiCall& c, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
              uint32_t nwritten_out) {
  return Transfer(c, fd, right::kFdWrite, iovs, iovs_len, nwritten_out,
                  std::nullopt, /*write=*/true);
}

Errno FdPrestatGet(WasiCall& c, uint32_t fd, uint32_t out) {
  FdEntry* e = c.fds().Find(fd);
  if (!e || !e->preopen) return Errno::kBadf;
  const GuestMemory& mem = c.mem();
  uint8_t* p = mem.Span(out, layout::kPrestatSize);
  if (!p) return Errno::kFault;
  std::memset(p, 0, layout::kPrestatSize);
  mem.Store<uint8_t>(out, kPreopenTypeDir);
  mem.Store<uint32_t>(out + 4, static_cast<uint32_t>(e->preopen_name.size()));
  return Errno::kSuccess;
}

Errno FdPrestatDirName(WasiCall& c, uint32_t fd, uint32_t path,
                       uint32_t path_len) {
  FdEntry* e = c.fds().Find(fd);
  if (!e || !e->preopen) return Errno::kBadf;
  if (path_len < e->preopen_name.size()) return Errno::kNameTooLong;
  if (!c.mem().Write(path, e->preopen_name.data(), e->preopen_name.size()))
    return Errno::kFault;
  return Errno::kSuccess;
}

Errno FdReaddir(WasiCall& c, uint32_t fd, uint32_t buf, uint32_t buf_len,
                uint64_t cookie, uint32_t bufused_out) {
  FdEntry* e;
  if (Errno err = c.fds().Get(fd, right::kFdReaddir, &e);
      err != Errno::kSuccess)
    return err;
  if (e->type != FileType::kDirectory) return Errno::kNotDir;
  const GuestMemory& mem = c.mem();
  uint8_t* out = mem.Span(buf, buf_len);
  if (!out || !mem.Contains(bufused_out, 4)) return Errno::kFault;
  if (cookie > kMaxOffset) return Errno::kInval;
  const int h = e->host.get();
  // The cookie is the kernel's d_off of the previous entry (0: the start).
  if (::lseek(h, static_cast<off_t>(cookie), SEEK_SET) < 0)
    return ErrnoFromHost(errno);
  alignas(8) char hbuf[16384];
  uint32_t used = 0;
  while (used < buf_len) {
    long n = ::syscall(SYS_getdents64, h, hbuf, sizeof(hbuf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoFromHost(errno);
    }
    if (n == 0) break;
    for (long pos = 0; pos < n && used < buf_len;) {
      auto* d = reinterpret_cast<LinuxDirent64*>(hbuf + pos);
      pos += d->d_reclen;
      const size_t namelen = std::strlen(d->d_name);
      FileType type = FileTypeFromDirent(d->d_type);
      if (d->d_type == DT_UNKNOWN) {
        struct stat st;
        if (::fstatat(h, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
          type = FileTypeFromMode(st.st_mode);
      }
      uint8_t header[layout::kDirentSize] = {};
      const uint64_t next = static_cast<uint64_t>(d->d_off);
      const uint64_t ino = d->d_ino;
      const uint32_t nl = static_cast<uint32_t>(namelen);
      std::memcpy(header + layout::kDirentNext, &next, 8);
      std::memcpy(header + layout::kDirentIno, &ino, 8);
      std::memcpy(header + layout::kDirentNamlen, &nl, 4);
      header[layout::kDirentType] = static_cast<uint8_t>(type);
      // An entry that does not fit is cut off at the end of the buffer;
      // the guest sees bufused == buf_len and asks again with more room.
      uint32_t take = std::min<uint32_t>(layout::kDirentSize, buf_len - used);
      std::memcpy(out + used, header, take);
      used += take;
      take = static_cast<uint32_t>(
          std::min<uint64_t>(namelen, uint64_t{buf_len} - used));
      std::memcpy(out + used, d->d_name, take);
      used += take;
    }
  }
  mem.Store<uint32_t>(bufused_out, used);
  return Errno::kSuccess;
}

Errno FdRenumber(WasiCall& c, uint32_t fd, uint32_t to) {
  return c.fds().Renumber(fd, to);
}

Errno FdSeek(WasiCall& c, uint32_t fd, uint64_t offset, uint32_t whence,
             uint32_t newoffset_out) {
  const int64_t delta = static_cast<int64_t>(offset);
  const Rights need =
      (delta == 0 && whence == static_cast<uint32_t>(Whence::kCur))
          ? right::kFdTell
          : right::kFdSeek;
  FdEntry* e = c.fds().Find(fd);
  if (!e) return Errno::kBadf;
  c.fds().MarkTouched(); // the offset is state
  // A tell-only query is allowed with either right.
  if ((e->base & need) == 0 && (e->base & right::kFdSeek) == 0)
    return Errno::kNotCapable;
  int w;
  switch (static_cast<Whence>(whence)) {
  case Whence::kSet: w = SEEK_SET; break;
  case Whence::kCur: w = SEEK_CUR; break;
  case Whence::kEnd: w = SEEK_END; break;
  default: return Errno::kInval;
  }
  if (!c.mem().Contains(newoffset_out, 8)) return Errno::kFault;
  off_t r = ::lseek(e->host.get(), static_cast<off_t>(delta), w);
  if (r < 0) return ErrnoFromHost(errno);
  c.mem().Store<uint64_t>(newoffset_out, static_cast<uint64_t>(r));
  return Errno::kSuccess;
}

Errno FdTell(WasiCall& c, uint32_t fd, uint32_t offset_out) {
  FdEntry* e;
  if (Errno err = c.fds().Get(fd, right::kFdTell, &e); err != Errno::kSuccess)
    return err;
  if (!c.mem().Contains(offset_out, 8)) return Errno::kFault;
  off_t r = ::lseek(e->host.get(), 0, SEEK_CUR);
  if (r < 0) return ErrnoFromHost(errno);
  c.mem().Store<uint64_t>(offset_out, static_cast<uint64_t>(r));
  return Errno::kSuccess;
}

} // namespace weft::wasi
