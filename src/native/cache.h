// The content-addressed compile cache (docs/compiled-tier.md, "Cache"):
// one artifact file per (module, weft build, CPU, code options) under
//   $WEFT_CACHE_DIR, else $XDG_CACHE_HOME/weft, else ~/.cache/weft,
// in a subfolder per artifact format: <dir>/v<format>/<key>.cwasm.
// Writes go to a temporary file in the same folder, then rename(): a
// reader sees a whole entry or none, and concurrent writers of one key just
// replace each other's identical file. An entry that does not load
// (damaged, truncated, foreign) is reported, deleted and compiled again.
//
// Housekeeping, after each store: temporary files older than 10 minutes
// (their writer died) and lock files no process holds are deleted; when
// the entries (*.cwasm of this format) together exceed the size limit, the
// least recently used ones are deleted until they fit, never the entry
// just stored. A hit sets its entry's mtime, so mtime is the time of last
// use.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "native/sha256.h"
#include "runtime/runtime.h"

namespace weft::native {

class CompileCache {
public:
  // The default folder (see above); "" when there is no HOME.
  static std::string DefaultDir();

  // The default size limit of the entries: 2 GiB.
  static constexpr uint64_t kDefaultMaxBytes = uint64_t{2} << 30;
  // Temporary files at least this old (seconds) belong to a dead writer.
  static constexpr int64_t kStaleTmpSeconds = 10 * 60;

  // `max_bytes`: the size limit enforced after each store; 0: none.
  explicit CompileCache(std::string dir, uint64_t max_bytes = kDefaultMaxBytes);
  const std::string& dir() const { return dir_; }

  // The key: SHA-256 over the module's hash, the weft build, the CPU and
  // the options, in hex.
  std::string Key(const Sha256Digest& wasm_sha,
                  const std::string& options) const;
  std::string PathOf(const std::string& key) const;

  enum class Outcome { Hit, Miss, Damaged };
  struct Lookup {
    Outcome outcome = Outcome::Miss;
    std::shared_ptr<const CompiledModule> module; // on a hit
    std::string problem;                          // when damaged
  };
  // Loads the entry (checked by LoadArtifact; `options` must match). A
  // damaged entry is deleted; a hit's mtime is set to now.
  Lookup Load(const std::string& key, const std::string& options) const;

  // Stores an artifact atomically, then tidies the folder (see above).
  // Errors are returned (the caller logs).
  Status Store(const std::string& key, std::span<const uint8_t> bytes) const;

  // Marks a key whose module the compiled tier cannot compile (SIMD), so
  // background compiles are not attempted again.
  void MarkUnsupported(const std::string& key) const;
  bool IsUnsupported(const std::string& key) const;

  // An exclusive lock for compiling `key` (flock on <key>.lock), or -1 when
  // another process holds it. Release with ReleaseLock. (A tidy deletes
  // only lock files it could lock itself, and a lock taken on a file
  // deleted meanwhile is taken again on the new file.)
  int TryLock(const std::string& key) const;
  // The same lock, waiting for another process to release it (-1 only when
  // the cache directory cannot be used).
  int Lock(const std::string& key) const;
  static void ReleaseLock(int fd);

private:
  Status EnsureDir() const;
  int LockFile(const std::string& key, bool wait) const;
  void Tidy(const std::string& keep) const;
  std::string dir_; // <root>/v<format>
  uint64_t max_bytes_;
};

} // namespace weft::native
