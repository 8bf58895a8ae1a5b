// The content-addressed compile cache (docs/compiled-tier.md, "Cache"):
// one artifact file per (module, weft build, CPU, code options) under
//   $WEFT_CACHE_DIR, else $XDG_CACHE_HOME/weft, else ~/.cache/weft,
// in a subfolder per artifact format: <dir>/v<format>/<key>.cwasm.
// Writes go to a temporary file in the same folder, then rename(): a
// reader sees a whole entry or none, and concurrent writers of one key just
// replace each other's identical file. An entry that does not load
// (damaged, truncated, foreign) is reported, deleted and compiled again.
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

  explicit CompileCache(std::string dir);
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
  // damaged entry is deleted.
  Lookup Load(const std::string& key, const std::string& options) const;

  // Stores an artifact atomically. Errors are returned (the caller logs).
  Status Store(const std::string& key, std::span<const uint8_t> bytes) const;

  // Marks a key whose module the compiled tier cannot compile (SIMD), so
  // background compiles are not attempted again.
  void MarkUnsupported(const std::string& key) const;
  bool IsUnsupported(const std::string& key) const;

  // An exclusive lock for compiling `key` (flock on <key>.lock), or -1 when
  // another process holds it. Release with ReleaseLock.
  int TryLock(const std::string& key) const;
  static void ReleaseLock(int fd);

private:
  Status EnsureDir() const;
  std::string dir_; // <root>/v<format>
};

} // namespace weft::native
