// path_* functions. Every path is resolved by the SandboxResolver beneath
// the directory fd it is relative to; operations on a final name use the
// *at() call on the resolved parent directory, with the name as one
// component, so the kernel never walks a guest-controlled path itself.
//
// A trailing '/' is passed on to the *at() calls that never follow the
// final component (mkdir, unlink, rmdir, rename, symlink, link target): the
// kernel then insists on a directory. Calls that would follow a final
// symlink because of the slash (stat, utimes, readlink, link source)
// resolve the whole path through the resolver instead.
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>

#include "wasi/wasi_internal.h"

namespace weft::wasi {
namespace {

constexpr unsigned kFileMode = 0666; // less the host's umask
constexpr unsigned kDirMode = 0777;

// The directory fd `fd` (with `need` rights) and the guest path.
Errno DirAndPath(WasiCall& c, uint32_t fd, Rights need, uint32_t ptr,
                 uint32_t len, FdEntry** dir, std::string* path) {
  *dir = c.fds().Find(fd);
  if (!*dir) return Errno::kBadf;
  if ((*dir)->type != FileType::kDirectory) return Errno::kNotDir;
  if (((*dir)->base & need) != need) return Errno::kNotCapable;
  return LoadPath(c.mem(), ptr, len, path);
}

Errno Parent(WasiCall& c, const FdEntry& dir, const std::string& path,
             ParentDir* out) {
  return ErrnoFromResolve(c.resolver().OpenParent(dir.host.get(), path, out));
}

// Resolves the whole path (following a final symlink when `follow`) to an
// O_PATH fd.
Errno Resolve(WasiCall& c, const FdEntry& dir, const std::string& path,
              bool follow, int extra_flags, UniqueFd* out) {
  return ErrnoFromResolve(c.resolver().Open(
      dir.host.get(), path, O_PATH | extra_flags, 0, follow, out));
}

std::string SlashName(const ParentDir& p) {
  return p.trailing_slash ? p.name + "/" : p.name;
}

Errno HostResult(int r) {
  return r == 0 ? Errno::kSuccess : ErrnoFromHost(errno);
}

std::string ProcFdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

} // namespace

Errno PathCreateDirectory(WasiCall& c, uint32_t fd, uint32_t path,
                          uint32_t path_len) {
  FdEntry* dir;
  std::string p;
  if (Errno err = DirAndPath(c, fd, right::kPathCreateDirectory, path, path_len,
                             &dir, &p);
      err != Errno::kSuccess)
    return err;
  ParentDir parent;
  if (Errno err = Parent(c, *dir, p, &parent); err != Errno::kSuccess)
    return err;
  return HostResult(
      ::mkdirat(parent.dir.get(), SlashName(parent).c_str(), kDirMode));
}

Errno PathFilestatGet(WasiCall& c, uint32_t fd, uint32_t flags, uint32_t path,
                      uint32_t path_len, uint32_t out) {
  FdEntry* dir;
  std::string p;
  if (Errno err =
          DirAndPath(c, fd, right::kPathFilestatGet, path, path_len, &dir, &p);
      err != Errno::kSuccess)
    return err;
  if (!c.mem().Contains(out, layout::kFilestatSize)) return Errno::kFault;
  struct stat st;
  ParentDir parent;
  if (Errno err = Parent(c, *dir, p, &parent); err != Errno::kSuccess)
    return err;
  if ((flags & kLookupSymlinkFollow) || parent.trailing_slash) {
    UniqueFd f;
    if (Errno err = Resolve(c, *dir, p, true, 0, &f); err != Errno::kSuccess)
      return err;
    if (::fstat(f.get(), &st) != 0) return ErrnoFromHost(errno);
  } else if (::fstatat(parent.dir.get(), parent.name.c_str(), &st,
                       AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoFromHost(errno);
  }
  StoreFilestat(c.mem(), out, st);
  return Errno::kSuccess;
}

Errno PathFilestatSetTimes(WasiCall& c, uint32_t fd, uint32_t flags,
                           uint32_t path, uint32_t path_len, uint64_t atim,
                           uint64_t mtim, uint32_t fst_flags) {
  FdEntry* dir;
  std::string p;
  if (Errno err = DirAndPath(c, fd, right::kPathFilestatSetTimes, path,
                             path_len, &dir, &p);
      err != Errno::kSuccess)
    return err;
  struct timespec ts[2];
  if (Errno err = TimesFromWasi(atim, mtim, fst_flags, ts);
      err != Errno::kSuccess)
    return err;
  ParentDir parent;
  if (Errno err = Parent(c, *dir, p, &parent); err != Errno::kSuccess)
    return err;
  if ((flags & kLookupSymlinkFollow) || parent.trailing_slash) {
    UniqueFd f;
    if (Errno err = Resolve(c, *dir, p, true, 0, &f); err != Errno::kSuccess)
      return err;
    if (::utimensat(f.get(), "", ts, AT_EMPTY_PATH) == 0)
      return Errno::kSuccess;
    if (errno != EINVAL) return ErrnoFromHost(errno);
    // Kernels before AT_EMPTY_PATH support in utimensat: go through the
    // fd's /proc link, which names exactly the object already resolved.
    return HostResult(
        ::utimensat(AT_FDCWD, ProcFdPath(f.get()).c_str(), ts, 0));
  }
  return HostResult(::utimensat(parent.dir.get(), parent.name.c_str(), ts,
                                AT_SYMLINK_NOFOLLOW));
}

Errno PathLink(WasiCall& c, uint32_t old_fd, uint32_t old_flags,
               uint32_t old_path, uint32_t old_path_len, uint32_t new_fd,
               uint32_t new_path, uint32_t new_path_len) {
  FdEntry* old_dir;
  FdEntry* new_dir;
  std::string op, np;
  if (Errno err = DirAndPath(c, old_fd, right::kPathLinkSource, old_path,
                             old_path_len, &old_dir, &op);
      err != Errno::kSuccess)
    return err;
  if (Errno err = DirAndPath(c, new_fd, right::kPathLinkTarget, new_path,
                             new_path_len, &new_dir, &np);
      err != Errno::kSuccess)
    return err;
  ParentDir src, dst;
  if (Errno err = Parent(c, *old_dir, op, &src); err != Errno::kSuccess)
    return err;
  if (Errno err = Parent(c, *new_dir, np, &dst); err != Errno::kSuccess)
    return err;
  const std::string dst_name = SlashName(dst);
  if ((old_flags & kLookupSymlinkFollow) || src.trailing_slash) {
    UniqueFd f;
    if (Errno err = Resolve(c, *old_dir, op, true, 0, &f);
        err != Errno::kSuccess)
      return err;
    struct stat st;
    if (::fstat(f.get(), &st) != 0) return ErrnoFromHost(errno);
    if (S_ISDIR(st.st_mode)) return Errno::kPerm; // no hard links to dirs
    if (::linkat(f.get(), "", dst.dir.get(), dst_name.c_str(), AT_EMPTY_PATH) ==
        0)
      return Errno::kSuccess;
    // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc link does not.
    return HostResult(::linkat(AT_FDCWD, ProcFdPath(f.get()).c_str(),
                               dst.dir.get(), dst_name.c_str(),
                               AT_SYMLINK_FOLLOW));
  }
  return HostResult(::linkat(src.dir.get(), src.name.c_str(), dst.dir.get(),
                             dst_name.c_str(), 0));
}

Errno PathOpen(WasiCall& c, uint32_t dirfd, uint32_t dirflags, uint32_t path,
               uint32_t path_len, uint32_t oflags, uint64_t rights_base,
               uint64_t rights_inheriting, uint32_t fdflags, uint32_t fd_out) {
  if (oflags & ~uint32_t{oflag::kAll}) return Errno::kInval;
  if (fdflags & ~uint32_t{fdflag::kAll}) return Errno::kInval;
  Rights need = right::kPathOpen;
  if (oflags & oflag::kCreat) need |= right::kPathCreateFile;
  if (oflags & oflag::kTrunc) need |= right::kPathFilestatSetSize;
  FdEntry* dir;
  std::string p;
  if (Errno err = DirAndPath(c, dirfd, need, path, path_len, &dir, &p);
      err != Errno::kSuccess)
    return err;
  // A new fd gets at most what its directory may hand down.
  if ((rights_base & ~dir->inheriting) ||
      (rights_inheriting & ~dir->inheriting))
    return Errno::kNotCapable;
  if (!c.mem().Contains(fd_out, 4)) return Errno::kFault;

  const bool read = rights_base & (right::kFdRead | right::kFdReaddir);
  const bool write = rights_base & (right::kFdWrite | right::kFdAllocate |
                                    right::kFdFilestatSetSize);
  int flags = write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (oflags & oflag::kDirectory) flags = O_RDONLY | O_DIRECTORY;
  if (oflags & oflag::kCreat) flags |= O_CREAT;
  if (oflags & oflag::kExcl) flags |= O_EXCL;
  if (oflags & oflag::kTrunc) flags |= O_TRUNC;
  if (fdflags & fdflag::kAppend) flags |= O_APPEND;
  if (fdflags & fdflag::kDsync) flags |= O_DSYNC;
  if (fdflags & fdflag::kRsync) flags |= O_RSYNC;
  if (fdflags & fdflag::kSync) flags |= O_SYNC;
  // Always open non-blocking, so a FIFO without a peer cannot hang the
  // call; the flag is cleared below unless the guest asked for it.
  flags |= O_NONBLOCK;
  UniqueFd f;
  if (int e = c.resolver().Open(dir->host.get(), p, flags, kFileMode,
                                dirflags & kLookupSymlinkFollow, &f))
    return ErrnoFromResolve(e);
  if (!(fdflags & fdflag::kNonblock)) {
    int fl = ::fcntl(f.get(), F_GETFL);
    if (fl >= 0) ::fcntl(f.get(), F_SETFL, fl & ~O_NONBLOCK);
  }
  struct stat st;
  if (::fstat(f.get(), &st) != 0) return ErrnoFromHost(errno);
  auto entry = std::make_unique<FdEntry>();
  entry->type = FileTypeFromMode(st.st_mode);
  entry->base = rights_base & RightsForType(entry->type);
  entry->inheriting = rights_inheriting;
  entry->host = std::move(f);
  uint32_t guest_fd;
  if (Errno err = c.fds().Insert(std::move(entry), &guest_fd);
      err != Errno::kSuccess)
    return err;
  c.mem().Store<uint32_t>(fd_out, guest_fd);
  return Errno::kSuccess;
}

Errno PathReadlink(WasiCall& c, uint32_t fd, uint32_t path, uint32_t path_len,
                   uint32_t buf, uint32_t buf_len, uint32_t bufused_out) {
  FdEntry* dir;
  std::string p;
  if (Errno err =
          DirAndPath(c, fd, right::kPathReadlink, path, path_len, &dir, &p);
      err != Errno::kSuccess)
    return err;
  const GuestMemory& mem = c.mem();
  uint8_t* out = mem.Span(buf, buf_len);
  if (!out || !mem.Contains(bufused_out, 4)) return Errno::kFault;
  ParentDir parent;
  if (Errno err = Parent(c, *dir, p, &parent); err != Errno::kSuccess)
    return err;
  if (parent.trailing_slash) {
    // "link/" names what the link points to, which is not a link.
    UniqueFd f;
    if (Errno err = Resolve(c, *dir, p, true, 0, &f); err != Errno::kSuccess)
      return err;
    return Errno::kInval;
  }
  char target[PATH_MAX];
  ssize_t n = ::readlinkat(parent.dir.get(), parent.name.c_str(), target,
                           sizeof(target));
  if (n < 0) return ErrnoFromHost(errno);
  // A short buffer gets the start of the target.
  const uint32_t take =
      static_cast<uint32_t>(std::min<uint64_t>(uint64_t(n), buf_len));
  std::memcpy(out, target, take);
  mem.Store<uint32_t>(bufused_out, take);
  return Errno::kSuccess;
}

Errno PathRemoveDirectory(WasiCall& c, uint32_t fd, uint32_t path,
                          uint32_t path_len) {
  FdEntry* dir;
  std::string p;
  if (Errno err = DirAndPath(c, fd, right::kPathRemoveDirectory, path, path_len,
                             &dir, &p);
      err != Errno::kSuccess)
    return err;
  ParentDir parent;
  if (Errno err = Parent(c, *dir, p, &parent); err != Errno::kSuccess)
    return err;
  return HostResult(
      ::unlinkat(parent.dir.get(), SlashName(parent).c_str(), AT_REMOVEDIR));
}

Errno PathRename(WasiCall& c, uint32_t fd, uint32_t old_path,
                 uint32_t old_path_len, uint32_t new_fd, uint32_t new_path,
                 uint32_t new_path_len) {
  FdEntry* old_dir;
  FdEntry* new_dir;
  std::string op, np;
  if (Errno err = DirAndPath(c, fd, right::kPathRenameSource, old_path,
                             old_path_len, &old_dir, &op);
      err != Errno::kSuccess)
    return err;
  if (Errno err = DirAndPath(c, new_fd, right::kPathRenameTarget, new_path,
                             new_path_len, &new_dir, &np);
      err != Errno::kSuccess)
    return err;
  ParentDir src, dst;
  if (Errno err = Parent(c, *old_dir, op, &src); err != Errno::kSuccess)
    return err;
  if (Errno err = Parent(c, *new_dir, np, &dst); err != Errno::kSuccess)
    return err;
  return HostResult(::renameat(src.dir.get(), SlashName(src).c_str(),
                               dst.dir.get(), SlashName(dst).c_str()));
}

Errno PathSymlink(WasiCall& c, uint32_t old_path, uint32_t old_path_len,
                  uint32_t fd, uint32_t new_path, uint32_t new_path_len) {
  std::string target;
  if (Errno err = LoadPath(c.mem(), old_path, old_path_len, &target);
      err != Errno::kSuccess)
    return err;
  FdEntry* dir;
  std::string p;
  if (Errno err = DirAndPath(c, fd, right::kPathSymlink, new_path, new_path_len,
                             &dir, &p);
      err != Errno::kSuccess)
    return err;
  if (target.find('\0') != std::string::npos) return Errno::kInval;
  // An absolute target could only ever point outside the sandbox.
  if (!target.empty() && target.front() == '/') return Errno::kNotCapable;
  ParentDir parent;
  if (Errno err = Parent(c, *dir, p, &parent); err != Errno::kSuccess)
    return err;
  return HostResult(
      ::symlinkat(target.c_str(), parent.dir.get(), SlashName(parent).c_str()));
}

Errno PathUnlinkFile(WasiCall& c, uint32_t fd, uint32_t path,
                     uint32_t path_len) {
  FdEntry* dir;
  std::string p;
  if (Errno err =
          DirAndPath(c, fd, right::kPathUnlinkFile, path, path_len, &dir, &p);
      err != Errno::kSuccess)
    return err;
  ParentDir parent;
  if (Errno err = Parent(c, *dir, p, &parent); err != Errno::kSuccess)
    return err;
  return HostResult(::unlinkat(parent.dir.get(), SlashName(parent).c_str(), 0));
}

} // namespace weft::wasi
