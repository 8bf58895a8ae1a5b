// Linux implementation of the beneath-the-root path resolver (see
// sandbox_path.h for the contract).
#include "wasi/sandbox_path.h"

#include <atomic>
#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace weft::wasi {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

namespace {

constexpr int kMaxSymlinks = 40; // as the kernel's MAXSYMLINKS
constexpr int kOpenat2Retries = 16;

// 0: not probed yet, 1: openat2 works, 2: the kernel lacks it.
std::atomic<int> g_openat2_state{0};

// Checks a guest path before any resolution: empty, absolute, embedded NUL
// (the kernel would silently cut the string there) and overlong paths are
// refused.
int CheckPath(std::string_view path) {
  if (path.empty()) return ENOENT;
  if (path.find('\0') != std::string_view::npos) return EINVAL;
  if (path.size() >= PATH_MAX) return ENAMETOOLONG;
  if (path.front() == '/') return EXDEV;
  return 0;
}

int Openat2(int root, const std::string& path, int flags, unsigned mode,
            bool follow_final, UniqueFd* out) {
  struct open_how how = {};
  // openat2 rejects flags that do not apply: O_PATH takes only
  // O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC.
  const int noctty = (flags & O_PATH) ? 0 : O_NOCTTY;
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | noctty |
                                    (follow_final ? 0 : O_NOFOLLOW));
  // O_TMPFILE includes the O_DIRECTORY bit: test all of it.
  const bool creates = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
  how.mode = creates ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    long fd = ::syscall(SYS_openat2, root, path.c_str(), &how, sizeof(how));
    if (fd >= 0) {
      out->reset(static_cast<int>(fd));
      return 0;
    }
    int err = errno;
    // EAGAIN: a concurrent rename raced the `..` check; the kernel asks
    // for a retry rather than risk an escape.
    if ((err == EINTR || err == EAGAIN) && attempt < kOpenat2Retries) continue;
    return err;
  }
}

// Splits `path` into its components, appending them in reverse order to
// `stack` (so stack.back() is the first). A trailing '/' becomes a final
// "." so the last real component must be a directory.
void PushComponents(std::string_view path, std::vector<std::string>* stack) {
  std::vector<std::string> comps;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) comps.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  if (!path.empty() && path.back() == '/') comps.emplace_back(".");
  for (auto it = comps.rbegin(); it != comps.rend(); ++it)
    stack->push_back(std::move(*it));
}

// Reads the target of the symlink open as the O_PATH fd `link`.
int ReadLink(int link, std::string* target) {
  char buf[PATH_MAX];
  ssize_t n = ::readlinkat(link, "", buf, sizeof(buf));
  if (n < 0) return errno;
  if (static_cast<size_t>(n) >= sizeof(buf)) return ENAMETOOLONG;
  target->assign(buf, static_cast<size_t>(n));
  return 0;
}

// Queues a symlink's target in place of the symlink: a relative target is
// resolved from the directory holding the link (the current top of `dirs`),
// an absolute one would leave the root.
int ExpandLink(int link_fd, int* links, std::vector<std::string>* pending) {
  if (++*links > kMaxSymlinks) return ELOOP;
  std::string target;
  if (int err = ReadLink(link_fd, &target)) return err;
  if (target.empty()) return ENOENT;
  if (target.front() == '/') return EXDEV;
  PushComponents(target, pending);
  return 0;
}

// The portable resolver. `dirs` is the chain of directories from the root
// to the current one, each held open, so `..` pops to a directory we already
// hold and can never rise above dirs[0] (the root).
int Walk(int root, std::string_view path, int flags, unsigned mode,
         bool follow_final, UniqueFd* out) {
  std::vector<UniqueFd> dirs;
  {
    int fd = ::openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno;
    dirs.emplace_back(fd);
  }
  std::vector<std::string> pending;
  PushComponents(path, &pending);
  int links = 0;
  const int final_flags =
      flags | O_NOFOLLOW | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY);
  const unsigned final_mode = (flags & O_CREAT) ? mode : 0;
  while (!pending.empty()) {
    std::string comp = std::move(pending.back());
    pending.pop_back();
    const bool last = pending.empty();
    int cur = dirs.back().get();
    if (comp == "." || comp == "..") {
      if (comp == "..") {
        if (dirs.size() == 1) return EXDEV;
        dirs.pop_back();
        cur = dirs.back().get();
      }
      if (last) {
        int fd = ::openat(cur, ".", final_flags, final_mode);
        if (fd < 0) return errno;
        out->reset(fd);
        return 0;
      }
      continue;
    }
    if (!last) {
      int fd = ::openat(cur, comp.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) return errno;
      UniqueFd step(fd);
      struct stat st;
      if (::fstat(step.get(), &st) != 0) return errno;
      if (S_ISLNK(st.st_mode)) {
        if (int err = ExpandLink(step.get(), &links, &pending)) return err;
        continue;
      }
      if (!S_ISDIR(st.st_mode)) return ENOTDIR;
      dirs.push_back(std::move(step));
      continue;
    }
    // The final component: open it for real, never following a symlink in
    // the kernel; a symlink we are told to follow is expanded here.
    int fd = ::openat(cur, comp.c_str(), final_flags, final_mode);
    if (fd >= 0) {
      UniqueFd opened(fd);
      if ((flags & O_PATH) && follow_final) {
        struct stat st;
        if (::fstat(opened.get(), &st) != 0) return errno;
        if (S_ISLNK(st.st_mode)) {
          if (int err = ExpandLink(opened.get(), &links, &pending)) return err;
          continue;
        }
      }
      *out = std::move(opened);
      return 0;
    }
    int err = errno;
    if (!follow_final || (err != ELOOP && err != ENOTDIR && err != EMLINK))
      return err;
    // Was it a symlink (O_NOFOLLOW refused it)?
    int link = ::openat(cur, comp.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (link < 0) return err;
    UniqueFd link_fd(link);
    struct stat st;
    if (::fstat(link_fd.get(), &st) != 0 || !S_ISLNK(st.st_mode)) return err;
    if (int e = ExpandLink(link_fd.get(), &links, &pending)) return e;
  }
  // Only reached for an empty component list, which CheckPath excludes.
  return ENOENT;
}

} // namespace

PathBackend SandboxResolver::effective_backend() const {
  if (backend_ != PathBackend::kAuto) return backend_;
  int state = g_openat2_state.load(std::memory_order_relaxed);
  if (state == 0) {
    // Probe with a harmless open of "." beneath itself.
    int dir = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    UniqueFd probe_root(dir);
    UniqueFd probe;
    int err = dir < 0 ? 0 : Openat2(dir, ".", O_PATH, 0, true, &probe);
    state = (err == ENOSYS || err == E2BIG || err == EPERM) ? 2 : 1;
    g_openat2_state.store(state, std::memory_order_relaxed);
  }
  return state == 1 ? PathBackend::kOpenat2 : PathBackend::kWalk;
}

int SandboxResolver::OpenWith(PathBackend b, int root, std::string_view path,
                              int flags, unsigned mode, bool follow_final,
                              UniqueFd* out) const {
  if (b == PathBackend::kOpenat2)
    return Openat2(root, std::string(path), flags, mode, follow_final, out);
  return Walk(root, path, flags, mode, follow_final, out);
}

int SandboxResolver::Open(int root, std::string_view path, int flags,
                          unsigned mode, bool follow_final,
                          UniqueFd* out) const {
  if (int err = CheckPath(path)) return err;
  return OpenWith(effective_backend(), root, path, flags, mode, follow_final,
                  out);
}

int SandboxResolver::OpenParent(int root, std::string_view path,
                                ParentDir* out) const {
  if (int err = CheckPath(path)) return err;
  std::string_view p = path;
  out->trailing_slash = false;
  while (p.size() > 1 && p.back() == '/') {
    p.remove_suffix(1);
    out->trailing_slash = true;
  }
  const size_t slash = p.rfind('/');
  std::string_view last =
      slash == std::string_view::npos ? p : p.substr(slash + 1);
  std::string_view dir_part = slash == std::string_view::npos
                                  ? std::string_view(".")
                                  : p.substr(0, slash + 1);
  const PathBackend b = effective_backend();
  if (last == "." || last == "..") {
    // The path names a directory reached through "." or "..": resolve all
    // of it (which checks ".." against the root) and name it as ".".
    out->name = ".";
    return OpenWith(b, root, p, O_PATH | O_DIRECTORY, 0, true, &out->dir);
  }
  out->name = std::string(last);
  return OpenWith(b, root, dir_part, O_PATH | O_DIRECTORY, 0, true, &out->dir);
}

} // namespace weft::wasi
