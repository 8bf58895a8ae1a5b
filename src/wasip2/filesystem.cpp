// wasi:filesystem — descriptors over src/wasi's SandboxResolver, the same
// beneath-the-root resolution preview1 uses (sandbox_path.h). Operations on
// a final name resolve its parent with OpenParent and act on the name as
// one component with the *at() call, as wasi_path.cpp does, so the kernel
// never walks a guest-controlled path itself.
//
// Rights: a preopen's descriptor has `read`, plus `mutate-directory`
// unless the preopen is read-only; a directory opened beneath it inherits
// that. Creating, truncating, writing, renaming, linking, symlinking,
// removing or setting times beneath a directory without mutate-directory
// fails with `not-permitted` (preview1 says `notcapable`), and so does a
// path that would leave its preopen. A file descriptor reads only with
// `read` and writes only with `write` (else `bad-descriptor`).
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasip2/context.h"

namespace weft::wasip2 {
namespace {

constexpr unsigned kFileMode = 0666; // less the host's umask
constexpr unsigned kDirMode = 0777;

Failure Code(FsError e, std::string msg = "") {
  return Failure::Code(e, std::move(msg));
}

// A directory descriptor, with mutate-directory when `mutate`.
std::optional<Failure> NeedDir(const DescriptorObj& d, bool mutate) {
  if (d.type != DescType::kDirectory) return Code(FsError::kNotDirectory);
  if (mutate && !(d.flags & dflag::kMutateDirectory))
    return Code(FsError::kNotPermitted, "the directory is read-only");
  return std::nullopt;
}

// A file descriptor with `flag` (read or write).
std::optional<Failure> NeedFile(const DescriptorObj& d, uint32_t flag) {
  if (d.type == DescType::kDirectory) return Code(FsError::kIsDirectory);
  if (!(d.flags & flag)) return Code(FsError::kBadDescriptor);
  return std::nullopt;
}

Datetime FromTimespec(const struct timespec& ts) {
  return {static_cast<uint64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec)};
}

DescStat FromStat(const struct stat& st) {
  DescStat s;
  s.type = DescTypeFromMode(st.st_mode);
  s.link_count = st.st_nlink;
  s.size = static_cast<uint64_t>(st.st_size);
  s.atime = FromTimespec(st.st_atim);
  s.mtime = FromTimespec(st.st_mtim);
  s.ctime = FromTimespec(st.st_ctim);
  return s;
}

std::optional<Failure> ToTimespec(const NewTime& t, struct timespec* out) {
  switch (t.kind) {
  case NewTime::Kind::kNoChange: *out = {0, UTIME_OMIT}; return std::nullopt;
  case NewTime::Kind::kNow: *out = {0, UTIME_NOW}; return std::nullopt;
  case NewTime::Kind::kTime:
    if (t.time.nanoseconds >= 1000000000u) return Code(FsError::kInvalid);
    if (t.time.seconds > static_cast<uint64_t>(INT64_MAX))
      return Code(FsError::kOverflow);
    *out = {static_cast<time_t>(t.time.seconds),
            static_cast<long>(t.time.nanoseconds)};
    return std::nullopt;
  }
  return Code(FsError::kInvalid);
}

std::pair<uint64_t, uint64_t> HashStat(const struct stat& st) {
  // A stable 128-bit mix of what identifies the object and its version.
  auto mix = [](uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 33);
  };
  uint64_t lo = 0x243f6a8885a308d3ull, hi = 0x13198a2e03707344ull;
  const uint64_t parts[] = {static_cast<uint64_t>(st.st_dev),
                            static_cast<uint64_t>(st.st_ino),
                            static_cast<uint64_t>(st.st_size),
                            static_cast<uint64_t>(st.st_mtim.tv_sec),
                            static_cast<uint64_t>(st.st_mtim.tv_nsec)};
  for (uint64_t p : parts) {
    lo = mix(lo, p);
    hi = mix(hi, p ^ lo);
  }
  return {lo, hi};
}

Outcome<Unit> HostResult(int r) {
  if (r == 0) return Unit{};
  return Failure::Host(errno);
}

std::string SlashName(const wasi::ParentDir& p) {
  return p.trailing_slash ? p.name + "/" : p.name;
}

std::string ProcFdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

} // namespace

// --- preopens and streams
// -----------------------------------------------------

Outcome<std::vector<std::pair<uint32_t, std::string>>>
WasiP2Context::GetDirectories() {
  std::vector<std::pair<uint32_t, std::string>> out;
  for (const Preopen& p : preopens_) {
    auto d = std::make_unique<DescriptorObj>();
    d->fd = p.fd;
    d->type = DescType::kDirectory;
    d->flags = dflag::kRead | (p.read_only ? 0 : dflag::kMutateDirectory);
    Outcome<uint32_t> rep = Add(std::move(d));
    if (!rep.ok()) {
      for (auto& [r, name] : out)
        Drop(r, ObjKind::kDescriptor);
      return rep.failure();
    }
    out.emplace_back(rep.value(), p.guest_path);
  }
  return out;
}

Outcome<uint32_t> WasiP2Context::ReadViaStream(DescriptorObj& d,
                                               uint64_t offset) {
  if (auto f = NeedFile(d, dflag::kRead)) return *f;
  auto s = std::make_unique<InputStreamObj>();
  s->src = InputStreamObj::Src::kFile;
  s->file = d.fd;
  s->offset = offset;
  return Add(std::move(s));
}

Outcome<uint32_t> WasiP2Context::WriteViaStream(DescriptorObj& d,
                                                uint64_t offset) {
  if (auto f = NeedFile(d, dflag::kWrite)) return *f;
  auto s = std::make_unique<OutputStreamObj>();
  s->dst = OutputStreamObj::Dst::kFile;
  s->file = d.fd;
  s->offset = offset;
  return Add(std::move(s));
}

Outcome<uint32_t> WasiP2Context::AppendViaStream(DescriptorObj& d) {
  if (auto f = NeedFile(d, dflag::kWrite)) return *f;
  auto s = std::make_unique<OutputStreamObj>();
  s->dst = OutputStreamObj::Dst::kAppend;
  s->file = d.fd;
  return Add(std::move(s));
}

// --- operations on the descriptor itself
// -------------------------------------------

Outcome<Unit> WasiP2Context::Advise(DescriptorObj& d, uint64_t offset,
                                    uint64_t len, uint32_t advice) {
  static const int kAdvice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL,
                                POSIX_FADV_RANDOM,   POSIX_FADV_WILLNEED,
                                POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  if (advice >= std::size(kAdvice)) return Code(FsError::kInvalid);
  if (d.type == DescType::kDirectory) return Code(FsError::kBadDescriptor);
  if (offset > INT64_MAX || len > INT64_MAX) return Code(FsError::kInvalid);
  int r = ::posix_fadvise(d.fd->get(), static_cast<off_t>(offset),
                          static_cast<off_t>(len), kAdvice[advice]);
  if (r != 0) return Failure::Host(r);
  return Unit{};
}

Outcome<Unit> WasiP2Context::SyncData(DescriptorObj& d) {
  return HostResult(::fdatasync(d.fd->get()));
}

Outcome<Unit> WasiP2Context::Sync(DescriptorObj& d) {
  return HostResult(::fsync(d.fd->get()));
}

Outcome<Unit> WasiP2Context::SetSize(DescriptorObj& d, uint64_t size) {
  if (auto f = NeedFile(d, dflag::kWrite)) return *f;
  if (size > INT64_MAX) return Code(FsError::kFileTooLarge);
  return HostResult(::ftruncate(d.fd->get(), static_cast<off_t>(size)));
}

Outcome<Unit> WasiP2Context::SetTimes(DescriptorObj& d, const NewTime& atime,
                                      const NewTime& mtime) {
  if (d.type == DescType::kDirectory) {
    if (auto f = NeedDir(d, true)) return *f;
  } else if (!(d.flags & dflag::kWrite)) {
    return Code(FsError::kBadDescriptor);
  }
  struct timespec ts[2];
  if (auto f = ToTimespec(atime, &ts[0])) return *f;
  if (auto f = ToTimespec(mtime, &ts[1])) return *f;
  return HostResult(::futimens(d.fd->get(), ts));
}

Outcome<std::pair<std::string, bool>>
WasiP2Context::ReadAt(DescriptorObj& d, uint64_t len, uint64_t offset) {
  if (auto f = NeedFile(d, dflag::kRead)) return *f;
  if (offset > INT64_MAX) return Code(FsError::kInvalid);
  len = std::min<uint64_t>(len, options_.max_io_chunk);
  std::string buf(static_cast<size_t>(len), '\0');
  ssize_t n;
  do {
    n = ::pread(d.fd->get(), buf.data(), buf.size(),
                static_cast<off_t>(offset));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Failure::Host(errno);
  buf.resize(static_cast<size_t>(n));
  const bool eof = static_cast<uint64_t>(n) < len;
  return std::make_pair(std::move(buf), eof);
}

Outcome<uint64_t> WasiP2Context::WriteAt(DescriptorObj& d,
                                         std::string_view data,
                                         uint64_t offset) {
  if (auto f = NeedFile(d, dflag::kWrite)) return *f;
  if (offset > INT64_MAX) return Code(FsError::kInvalid);
  uint64_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(d.fd->get(), data.data() + done, data.size() - done,
                         static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (done > 0) break;
      return Failure::Host(errno);
    }
    done += static_cast<uint64_t>(n);
  }
  return done;
}

Outcome<uint32_t> WasiP2Context::ReadDirectory(DescriptorObj& d) {
  if (auto f = NeedDir(d, false)) return *f;
  if (!(d.flags & dflag::kRead)) return Code(FsError::kBadDescriptor);
  if (!FdBudgetLeft())
    return Code(FsError::kInsufficientMemory, "too many open descriptors");
  // A fresh open of the directory: its own position, from the start.
  int fd = ::openat(d.fd->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Failure::Host(errno);
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    int e = errno;
    ::close(fd);
    return Failure::Host(e);
  }
  auto s = std::make_unique<DirStreamObj>();
  s->dir = dir;
  return Add(std::move(s));
}

Outcome<std::optional<DirEntry>>
WasiP2Context::ReadDirectoryEntry(DirStreamObj& s) {
  for (;;) {
    errno = 0;
    struct dirent* e = ::readdir(s.dir);
    if (!e) {
      if (errno != 0) return Failure::Host(errno);
      return std::optional<DirEntry>();
    }
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    DirEntry out;
    out.name = std::string(name);
    switch (e->d_type) {
    case DT_REG: out.type = DescType::kRegularFile; break;
    case DT_DIR: out.type = DescType::kDirectory; break;
    case DT_LNK: out.type = DescType::kSymbolicLink; break;
    case DT_CHR: out.type = DescType::kCharacterDevice; break;
    case DT_BLK: out.type = DescType::kBlockDevice; break;
    case DT_FIFO: out.type = DescType::kFifo; break;
    case DT_SOCK: out.type = DescType::kSocket; break;
    default: {
      struct stat st;
      if (::fstatat(::dirfd(s.dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        out.type = DescTypeFromMode(st.st_mode);
    }
    }
    return std::optional<DirEntry>(std::move(out));
  }
}

Outcome<DescStat> WasiP2Context::Stat(DescriptorObj& d) {
  struct stat st;
  if (::fstat(d.fd->get(), &st) != 0) return Failure::Host(errno);
  return FromStat(st);
}

bool WasiP2Context::IsSameObject(DescriptorObj& a, DescriptorObj& b) {
  struct stat sa, sb;
  if (::fstat(a.fd->get(), &sa) != 0 || ::fstat(b.fd->get(), &sb) != 0)
    return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

Outcome<std::pair<uint64_t, uint64_t>>
WasiP2Context::MetadataHash(DescriptorObj& d) {
  struct stat st;
  if (::fstat(d.fd->get(), &st) != 0) return Failure::Host(errno);
  return HashStat(st);
}

// --- path operations
// --------------------------------------------------------------

namespace {

// stat of `path` beneath `root`: following a final symlink when `follow`
// (or when the path ends in '/'), else of the link itself.
int StatPath(const wasi::SandboxResolver& r, int root, std::string_view path,
             bool follow, struct stat* st) {
  wasi::ParentDir parent;
  if (int e = r.OpenParent(root, path, &parent)) return e;
  if (follow || parent.trailing_slash) {
    UniqueFd f;
    if (int e = r.Open(root, path, O_PATH, 0, true, &f)) return e;
    if (::fstat(f.get(), st) != 0) return errno;
    return 0;
  }
  if (::fstatat(parent.dir.get(), parent.name.c_str(), st,
                AT_SYMLINK_NOFOLLOW) != 0)
    return errno;
  return 0;
}

Failure FromResolve(int e) {
  if (e == EXDEV)
    return Code(FsError::kNotPermitted, "the path leaves its preopen");
  return Failure::Host(e);
}

} // namespace

Outcome<DescStat> WasiP2Context::StatAt(DescriptorObj& d, uint32_t path_flags,
                                        std::string_view path) {
  if (auto f = NeedDir(d, false)) return *f;
  struct stat st;
  if (int e = StatPath(resolver_, d.fd->get(), path,
                       path_flags & kPathSymlinkFollow, &st))
    return FromResolve(e);
  return FromStat(st);
}

Outcome<std::pair<uint64_t, uint64_t>>
WasiP2Context::MetadataHashAt(DescriptorObj& d, uint32_t path_flags,
                              std::string_view path) {
  if (auto f = NeedDir(d, false)) return *f;
  struct stat st;
  if (int e = StatPath(resolver_, d.fd->get(), path,
                       path_flags & kPathSymlinkFollow, &st))
    return FromResolve(e);
  return HashStat(st);
}

Outcome<Unit> WasiP2Context::SetTimesAt(DescriptorObj& d, uint32_t path_flags,
                                        std::string_view path,
                                        const NewTime& atime,
                                        const NewTime& mtime) {
  if (auto f = NeedDir(d, true)) return *f;
  struct timespec ts[2];
  if (auto f = ToTimespec(atime, &ts[0])) return *f;
  if (auto f = ToTimespec(mtime, &ts[1])) return *f;
  wasi::ParentDir parent;
  if (int e = resolver_.OpenParent(d.fd->get(), path, &parent))
    return FromResolve(e);
  if ((path_flags & kPathSymlinkFollow) || parent.trailing_slash) {
    UniqueFd f;
    if (int e = resolver_.Open(d.fd->get(), path, O_PATH, 0, true, &f))
      return FromResolve(e);
    if (::utimensat(f.get(), "", ts, AT_EMPTY_PATH) == 0) return Unit{};
    if (errno != EINVAL) return Failure::Host(errno);
    // Kernels without AT_EMPTY_PATH in utimensat: the fd's /proc link
    // names exactly the object already resolved.
    return HostResult(
        ::utimensat(AT_FDCWD, ProcFdPath(f.get()).c_str(), ts, 0));
  }
  return HostResult(::utimensat(parent.dir.get(), parent.name.c_str(), ts,
                                AT_SYMLINK_NOFOLLOW));
}

Outcome<Unit> WasiP2Context::LinkAt(DescriptorObj& d, uint32_t old_flags,
                                    std::string_view old_path,
                                    DescriptorObj& new_dir,
                                    std::string_view new_path) {
  if (auto f = NeedDir(d, true)) return *f;
  if (auto f = NeedDir(new_dir, true)) return *f;
  wasi::ParentDir src, dst;
  if (int e = resolver_.OpenParent(d.fd->get(), old_path, &src))
    return FromResolve(e);
  if (int e = resolver_.OpenParent(new_dir.fd->get(), new_path, &dst))
    return FromResolve(e);
  const std::string dst_name = SlashName(dst);
  if ((old_flags & kPathSymlinkFollow) || src.trailing_slash) {
    UniqueFd f;
    if (int e = resolver_.Open(d.fd->get(), old_path, O_PATH, 0, true, &f))
      return FromResolve(e);
    struct stat st;
    if (::fstat(f.get(), &st) != 0) return Failure::Host(errno);
    if (S_ISDIR(st.st_mode)) return Code(FsError::kNotPermitted);
    if (::linkat(f.get(), "", dst.dir.get(), dst_name.c_str(), AT_EMPTY_PATH) ==
        0)
      return Unit{};
    // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc link does not.
    return HostResult(::linkat(AT_FDCWD, ProcFdPath(f.get()).c_str(),
                               dst.dir.get(), dst_name.c_str(),
                               AT_SYMLINK_FOLLOW));
  }
  return HostResult(::linkat(src.dir.get(), src.name.c_str(), dst.dir.get(),
                             dst_name.c_str(), 0));
}

Outcome<uint32_t> WasiP2Context::OpenAt(DescriptorObj& d, uint32_t path_flags,
                                        std::string_view path,
                                        uint32_t open_flags, uint32_t flags) {
  if (auto f = NeedDir(d, false)) return *f;
  if ((open_flags & ~oflag::kAll) || (flags & ~dflag::kAll) ||
      (path_flags & ~kPathSymlinkFollow))
    return Code(FsError::kInvalid);
  // Asking for mutate-directory beneath a read-only directory is not an
  // error (guests ask for it just to list a directory): the new descriptor
  // simply lacks it, as get-flags then says.
  const bool mutates = (open_flags & (oflag::kCreate | oflag::kTruncate)) ||
                       (flags & dflag::kWrite);
  if (mutates && !(d.flags & dflag::kMutateDirectory))
    return Code(FsError::kNotPermitted, "the directory is read-only");
  if ((open_flags & oflag::kDirectory) && (flags & dflag::kWrite))
    return Code(FsError::kIsDirectory);
  if (!FdBudgetLeft())
    return Code(FsError::kInsufficientMemory, "too many open descriptors");

  const bool read = flags & dflag::kRead;
  const bool write = flags & dflag::kWrite;
  int oflags = write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (open_flags & oflag::kDirectory) oflags |= O_DIRECTORY;
  if (open_flags & oflag::kCreate) oflags |= O_CREAT;
  if (open_flags & oflag::kExclusive) oflags |= O_EXCL;
  if (open_flags & oflag::kTruncate) oflags |= O_TRUNC;
  if (flags & dflag::kFileIntegritySync) oflags |= O_SYNC;
  if (flags & dflag::kDataIntegritySync) oflags |= O_DSYNC;
  if (flags & dflag::kRequestedWriteSync) oflags |= O_RSYNC;
  // Non-blocking, so a FIFO without a peer cannot hang the call (cleared
  // right after).
  oflags |= O_NONBLOCK;
  UniqueFd f;
  if (int e = resolver_.Open(d.fd->get(), path, oflags, kFileMode,
                             path_flags & kPathSymlinkFollow, &f))
    return FromResolve(e);
  int fl = ::fcntl(f.get(), F_GETFL);
  if (fl >= 0) ::fcntl(f.get(), F_SETFL, fl & ~O_NONBLOCK);
  struct stat st;
  if (::fstat(f.get(), &st) != 0) return Failure::Host(errno);
  auto nd = std::make_unique<DescriptorObj>();
  nd->type = DescTypeFromMode(st.st_mode);
  if (nd->type == DescType::kDirectory) {
    // A directory beneath inherits its parent's rights.
    nd->flags = dflag::kRead | (d.flags & dflag::kMutateDirectory);
  } else {
    nd->flags = flags & ~dflag::kMutateDirectory;
  }
  nd->fd = std::make_shared<UniqueFd>(std::move(f));
  return Add(std::move(nd));
}

Outcome<std::string> WasiP2Context::ReadlinkAt(DescriptorObj& d,
                                               std::string_view path) {
  if (auto f = NeedDir(d, false)) return *f;
  wasi::ParentDir parent;
  if (int e = resolver_.OpenParent(d.fd->get(), path, &parent))
    return FromResolve(e);
  if (parent.trailing_slash) {
    // "link/" names what the link points to, which is not a link.
    UniqueFd f;
    if (int e = resolver_.Open(d.fd->get(), path, O_PATH, 0, true, &f))
      return FromResolve(e);
    return Code(FsError::kInvalid);
  }
  char target[PATH_MAX];
  ssize_t n = ::readlinkat(parent.dir.get(), parent.name.c_str(), target,
                           sizeof(target));
  if (n < 0) return Failure::Host(errno);
  return std::string(target, static_cast<size_t>(n));
}

Outcome<Unit> WasiP2Context::CreateDirectoryAt(DescriptorObj& d,
                                               std::string_view path) {
  if (auto f = NeedDir(d, true)) return *f;
  wasi::ParentDir parent;
  if (int e = resolver_.OpenParent(d.fd->get(), path, &parent))
    return FromResolve(e);
  return HostResult(
      ::mkdirat(parent.dir.get(), SlashName(parent).c_str(), kDirMode));
}

Outcome<Unit> WasiP2Context::RemoveDirectoryAt(DescriptorObj& d,
                                               std::string_view path) {
  if (auto f = NeedDir(d, true)) return *f;
  wasi::ParentDir parent;
  if (int e = resolver_.OpenParent(d.fd->get(), path, &parent))
    return FromResolve(e);
  return HostResult(
      ::unlinkat(parent.dir.get(), SlashName(parent).c_str(), AT_REMOVEDIR));
}

Outcome<Unit> WasiP2Context::RenameAt(DescriptorObj& d,
                                      std::string_view old_path,
                                      DescriptorObj& new_dir,
                                      std::string_view new_path) {
  if (auto f = NeedDir(d, true)) return *f;
  if (auto f = NeedDir(new_dir, true)) return *f;
  wasi::ParentDir src, dst;
  if (int e = resolver_.OpenParent(d.fd->get(), old_path, &src))
    return FromResolve(e);
  if (int e = resolver_.OpenParent(new_dir.fd->get(), new_path, &dst))
    return FromResolve(e);
  return HostResult(::renameat(src.dir.get(), SlashName(src).c_str(),
                               dst.dir.get(), SlashName(dst).c_str()));
}

Outcome<Unit> WasiP2Context::SymlinkAt(DescriptorObj& d,
                                       std::string_view target,
                                       std::string_view new_path) {
  if (auto f = NeedDir(d, true)) return *f;
  if (target.find('\0') != std::string_view::npos)
    return Code(FsError::kInvalid);
  // An absolute target could only ever point outside the sandbox.
  if (!target.empty() && target.front() == '/')
    return Code(FsError::kNotPermitted, "absolute symlink target");
  wasi::ParentDir parent;
  if (int e = resolver_.OpenParent(d.fd->get(), new_path, &parent))
    return FromResolve(e);
  return HostResult(::symlinkat(std::string(target).c_str(), parent.dir.get(),
                                SlashName(parent).c_str()));
}

Outcome<Unit> WasiP2Context::UnlinkFileAt(DescriptorObj& d,
                                          std::string_view path) {
  if (auto f = NeedDir(d, true)) return *f;
  wasi::ParentDir parent;
  if (int e = resolver_.OpenParent(d.fd->get(), path, &parent))
    return FromResolve(e);
  return HostResult(::unlinkat(parent.dir.get(), SlashName(parent).c_str(), 0));
}

} // namespace weft::wasip2
