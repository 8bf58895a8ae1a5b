// Choosing the execution tier (`--tier`) and driving the compiler plugin
// (weft-llvm.so, loaded on first use).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "compile/plugin.h"
#include "native/cache.h"
#include "runtime/runtime.h"

namespace weft::cli {

enum class Tier { Interp, Compiled, Auto };

// "interp", "compiled", "auto"; nullopt for anything else.
std::optional<Tier> ParseTier(const std::string& s);

// Loads weft-llvm.so once: from $WEFT_LLVM_PLUGIN, else next to the weft
// executable. Errors say the compiled tier is not available.
Result<const CompilePluginApi*> LoadCompiler();

// Compiles a module (binary format) into an artifact (native/artifact.h).
// With `progress`, a large module shows its progress on stderr.
Result<std::vector<uint8_t>>
CompileArtifact(std::span<const uint8_t> wasm, const std::string& label,
                bool progress, const std::atomic<bool>* cancel = nullptr);

// Compiles `bytes` for `tier`, with no cache (weft wast). Compiled: through
// the plugin into an artifact, which our loader links (the same path as a
// .cwasm file). Auto falls back to the interpreter when the module uses
// something the compiled tier does not support yet (SIMD) or there is no
// plugin; invalid modules fail the same way on every tier.
Result<std::shared_ptr<const CompiledModule>>
CompileForTier(const Engine& engine, std::span<const uint8_t> bytes, Tier tier);

// Where the compile cache's messages go. `level` is "info" (the
// $WEFT_CACHE_LOG lines) or "warn" (a damaged entry, a failed store, a
// failed background compile); `module` labels the module they are about
// ("" when none). Unset, each is a line "weft: cache: <msg>" on stderr
// (weft run, weft compile); weft serve sends them to its structured log.
using CacheLogSink = std::function<void(
    std::string_view level, const std::string& msg, const std::string& module)>;

// The compile cache of `weft run` and `weft serve` (native/cache.h):
// $WEFT_CACHE=off disables it, $WEFT_CACHE_DIR moves it (default
// $XDG_CACHE_HOME/weft, else ~/.cache/weft), $WEFT_CACHE_MAX_BYTES limits
// its entries' total size (a size like 512MiB or 1GiB, default 2GiB, 0 for
// no limit; the least recently used entries go), $WEFT_CACHE_LOG=1 logs
// every lookup ("hit|miss|stored <key>"). A damaged entry and a failure to
// store are always logged.
struct CacheSettings {
  bool enabled = true;
  std::string dir;
  bool log = false;
  uint64_t max_bytes = native::CompileCache::kDefaultMaxBytes;
  CacheLogSink sink; // unset: plain lines on stderr
};
// The settings from the environment, with `sink`; an invalid
// $WEFT_CACHE_MAX_BYTES is logged there and the default kept.
CacheSettings CacheFromEnv(CacheLogSink sink = {});

// For `weft run`/`weft serve` of a module (not an artifact) on `tier`,
// through the cache when it is enabled:
//  - interp: the interpreter.
//  - compiled: a cache hit is loaded; a miss is compiled (with progress on
//    a terminal), stored, loaded.
//  - auto: a cache hit is loaded; on a miss the interpreter runs it and,
//    when `background` is set, that is called with the cache key to start
//    the compilation elsewhere (see StartBackgroundCompile). A module the
//    compiled tier cannot compile runs on the interpreter.
// `label` names the module in messages.
Result<std::shared_ptr<const CompiledModule>>
CompileCached(const Engine& engine, std::span<const uint8_t> bytes, Tier tier,
              const std::string& label, const CacheSettings& cache,
              const std::function<void(const std::string& key)>& background);

// `weft run` on a cache miss under auto: a detached `weft compile --cache
// PATH` process (own session, stdio on /dev/null) fills the cache for the
// next run, unless another compile of the key is running or the module is
// known to be unsupported.
void StartBackgroundCompile(const CacheSettings& cache, const std::string& key,
                            const std::string& module_path);

// Compiles `bytes` into the cache under its key (the background compile of
// `weft serve` and `weft compile --cache`); returns the loaded module.
// Marks unsupported modules. Without a cache it only compiles.
Result<std::shared_ptr<const CompiledModule>>
CompileIntoCache(std::span<const uint8_t> bytes, const std::string& label,
                 const CacheSettings& cache, bool progress);

// Whether a compile error means "the compiled tier cannot do this yet".
bool IsUnsupported(const Error& e);

// `weft serve --tier auto`: compiles modules on one background thread,
// one at a time (each compile uses every core), into the cache; `done` is
// called on that thread with the loaded code. The job's messages go to
// `log` when set, else to the settings' sink. The destructor cancels what
// is left (between partitions) and joins.
class BackgroundCompiler {
public:
  using Done = std::function<void(std::shared_ptr<const CompiledModule>)>;
  explicit BackgroundCompiler(CacheSettings cache);
  ~BackgroundCompiler();
  void Submit(std::vector<uint8_t> bytes, std::string label, Done done,
              CacheLogSink log = {});

private:
  struct Job {
    std::vector<uint8_t> bytes;
    std::string label;
    Done done;
    CacheLogSink log;
  };
  void Run();
  CacheSettings cache_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stop_ = false;
  std::atomic<bool> cancel_{false};
  std::thread thread_;
};

// Loads an artifact (`weft run FILE.cwasm`), with no LLVM: from memory, or
// mapped from its file.
Result<std::shared_ptr<const CompiledModule>>
LoadArtifactBytes(std::span<const uint8_t> bytes);
Result<std::shared_ptr<const CompiledModule>>
LoadArtifactFile(const std::string& path);

} // namespace weft::cli
