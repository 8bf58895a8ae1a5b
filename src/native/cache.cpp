#include "native/cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <vector>

#include "native/artifact.h"
#include "native/cpu.h"

namespace weft::native {
namespace {

Error CacheError(const std::string& what) {
  return Error{"compile cache: " + what, kNoOffset, {}};
}

Status MakeDirs(const std::string& path) {
  std::string cur;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    cur = path.substr(0, pos);
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST)
      return CacheError("cannot create " + cur + ": " + std::strerror(errno));
  }
  return Status();
}

// Whether `fd` is still the file at `path` (not deleted or replaced).
bool IsFileAt(int fd, const std::string& path) {
  struct stat open_st, path_st;
  return ::fstat(fd, &open_st) == 0 && ::stat(path.c_str(), &path_st) == 0 &&
         open_st.st_dev == path_st.st_dev && open_st.st_ino == path_st.st_ino;
}

// Deletes a lock file that no process holds: it is locked first and
// deleted while locked, so a holder's lock is never broken (and TryLock
// locks again when its file was deleted between its open and its flock).
void RemoveUnheldLock(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return;
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && IsFileAt(fd, path))
    ::unlink(path.c_str());
  ::close(fd); // releases the lock
}

bool EndsWith(const std::string& s, const std::string& end) {
  return s.size() >= end.size() &&
         s.compare(s.size() - end.size(), end.size(), end) == 0;
}

} // namespace

std::string CompileCache::DefaultDir() {
  if (const char* d = std::getenv("WEFT_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x && x[0] == '/')
    return std::string(x) + "/weft";
  if (const char* h = std::getenv("HOME"); h && *h)
    return std::string(h) + "/.cache/weft";
  return "";
}

CompileCache::CompileCache(std::string dir, uint64_t max_bytes)
    : dir_(std::move(dir) + "/v" + std::to_string(kArtifactFormat)),
      max_bytes_(max_bytes) {}

std::string CompileCache::Key(const Sha256Digest& wasm_sha,
                              const std::string& options) const {
  Sha256 h;
  auto add = [&h](const std::string& s) {
    h.Update({reinterpret_cast<const uint8_t*>(s.data()), s.size() + 1});
  };
  h.Update(wasm_sha);
  add(WeftBuildVersion());
  add(CpuFeaturesText(HostCpu()));
  add(options);
  const Sha256Digest d = h.Finish();
  return Hex(d);
}

std::string CompileCache::PathOf(const std::string& key) const {
  return dir_ + "/" + key + ".cwasm";
}

CompileCache::Lookup CompileCache::Load(const std::string& key,
                                        const std::string& options) const {
  Lookup out;
  const std::string path = PathOf(key);
  if (::access(path.c_str(), F_OK) != 0) return out; // a miss
  auto m = LoadArtifactFile(path, &options);
  if (m) {
    out.outcome = Outcome::Hit;
    out.module = *m;
    // mtime = last use, for the eviction of the least recently used.
    ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
    return out;
  }
  out.outcome = Outcome::Damaged;
  out.problem = m.error().message;
  ::unlink(path.c_str());
  return out;
}

Status CompileCache::EnsureDir() const { return MakeDirs(dir_); }

Status CompileCache::Store(const std::string& key,
                           std::span<const uint8_t> bytes) const {
  WEFT_TRY(EnsureDir());
  std::random_device rd;
  const std::string tmp = dir_ + "/.tmp-" + key.substr(0, 16) + "-" +
                          std::to_string(::getpid()) + "-" +
                          std::to_string(rd());
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return CacheError("cannot create " + tmp + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return CacheError("cannot write " + tmp + ": " + why);
    }
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  const std::string path = PathOf(key);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return CacheError("cannot rename to " + path + ": " + why);
  }
  Tidy(key);
  return Status();
}

void CompileCache::Tidy(const std::string& keep) const {
  DIR* d = ::opendir(dir_.c_str());
  if (!d) return;
  struct Entry {
    std::string path;
    timespec used;
    uint64_t bytes;
  };
  std::vector<Entry> entries; // evictable: all but `keep`
  uint64_t total = 0;
  const time_t now = ::time(nullptr);
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    const std::string path = dir_ + "/" + name;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (name.rfind(".tmp-", 0) == 0) {
      if (now - st.st_mtime >= kStaleTmpSeconds) ::unlink(path.c_str());
    } else if (EndsWith(name, ".lock")) {
      RemoveUnheldLock(path);
    } else if (EndsWith(name, ".cwasm")) {
      total += static_cast<uint64_t>(st.st_size);
      if (name != keep + ".cwasm")
        entries.push_back(
            {path, st.st_mtim, static_cast<uint64_t>(st.st_size)});
    }
  }
  ::closedir(d);
  if (max_bytes_ == 0 || total <= max_bytes_) return;
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.used.tv_sec != b.used.tv_sec ? a.used.tv_sec < b.used.tv_sec
                                          : a.used.tv_nsec < b.used.tv_nsec;
  });
  for (const Entry& e : entries) {
    if (total <= max_bytes_) break;
    if (::unlink(e.path.c_str()) == 0 || errno == ENOENT) total -= e.bytes;
  }
}

void CompileCache::MarkUnsupported(const std::string& key) const {
  if (!EnsureDir()) return;
  const std::string path = dir_ + "/" + key + ".unsupported";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) ::close(fd);
}

bool CompileCache::IsUnsupported(const std::string& key) const {
  const std::string path = dir_ + "/" + key + ".unsupported";
  return ::access(path.c_str(), F_OK) == 0;
}

int CompileCache::TryLock(const std::string& key) const {
  return LockFile(key, false);
}

int CompileCache::Lock(const std::string& key) const {
  return LockFile(key, true);
}

int CompileCache::LockFile(const std::string& key, bool wait) const {
  if (!EnsureDir()) return -1;
  const std::string path = dir_ + "/" + key + ".lock";
  // A tidy may delete the file between our open and our flock: then the
  // lock is on a file nobody else will see, so take it on the new one.
  for (int attempt = 0; attempt < 8; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    int rc;
    do {
      rc = ::flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB);
    } while (rc != 0 && wait && errno == EINTR);
    if (rc != 0) {
      ::close(fd);
      return -1;
    }
    if (IsFileAt(fd, path)) return fd;
    ::close(fd);
  }
  return -1;
}

void CompileCache::ReleaseLock(int fd) {
  if (fd < 0) return;
  ::flock(fd, LOCK_UN);
  ::close(fd);
}

} // namespace weft::native
