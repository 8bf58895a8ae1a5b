// Path resolution that cannot leave a directory: the narrow OS-specific
// interface under every WASI path operation. All of a guest path is resolved
// beneath a directory fd (the preopen, or a directory the guest opened from
// it) by the kernel (openat2 with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) or,
// where openat2 is missing, by a component-by-component walk that opens
// each component with O_NOFOLLOW relative to the fd of its parent and expands
// symlinks itself. Neither looks at string prefixes, and neither can be
// raced: each step is relative to an fd already known to be inside.
//
// Errors are host errno values. EXDEV always means "the path would leave
// the root" (absolute path, `..` above the root, a symlink pointing outside)
// and the WASI layer reports it as `notcapable`.
#pragma once

#include <string>
#include <string_view>

namespace weft::wasi {

// An owned host file descriptor (-1 when empty).
class UniqueFd {
public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

private:
  int fd_ = -1;
};

enum class PathBackend : uint8_t {
  kAuto,    // openat2 when the kernel has it, else the walk
  kOpenat2, // openat2 only (ENOSYS when missing)
  kWalk,    // the portable component walk
};

// The directory holding a path's final component, for the *at() calls that
// act on a name (unlink, rmdir, rename, link, symlink, readlink, mkdir,
// stat without following).
struct ParentDir {
  UniqueFd dir;     // O_PATH directory fd, beneath the root
  std::string name; // one component: no '/', never empty, never "..";
                    // "." when the path itself ends in "." or ".." (then
                    // `dir` is that directory, already resolved)
  bool trailing_slash = false; // the path ended in '/': must be a directory
};

class SandboxResolver {
public:
  explicit SandboxResolver(PathBackend backend = PathBackend::kAuto)
      : backend_(backend) {}

  // Opens `path` beneath `root` with open(2) `flags` (O_CLOEXEC and
  // O_NOCTTY are always added) and `mode` (used with O_CREAT). A final
  // symlink is followed (still beneath root) only when `follow_final`.
  // Returns 0 and sets *out, or a host errno.
  int Open(int root, std::string_view path, int flags, unsigned mode,
           bool follow_final, UniqueFd* out) const;

  // Resolves all but the final component of `path` beneath `root`.
  int OpenParent(int root, std::string_view path, ParentDir* out) const;

  // The backend in use (kAuto resolved to kOpenat2 or kWalk).
  PathBackend effective_backend() const;

private:
  int OpenWith(PathBackend b, int root, std::string_view path, int flags,
               unsigned mode, bool follow_final, UniqueFd* out) const;
  PathBackend backend_;
};

} // namespace weft::wasi
