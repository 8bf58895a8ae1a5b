#include "cli/tier.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/run_args.h"
#include "native/artifact.h"
#include "native/cache.h"

extern char** environ;

namespace weft::cli {

std::optional<Tier> ParseTier(const std::string& s) {
  if (s == "interp") return Tier::Interp;
  if (s == "compiled") return Tier::Compiled;
  if (s == "auto") return Tier::Auto;
  return std::nullopt;
}

Result<const CompilePluginApi*> LoadCompiler() {
  static Result<const CompilePluginApi*> loaded =
      []() -> Result<const CompilePluginApi*> {
    std::string path;
    if (const char* env = std::getenv("WEFT_LLVM_PLUGIN"); env && *env) {
      path = env;
    } else {
      char exe[PATH_MAX];
      ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
      if (n <= 0)
        return Error{"the compiled tier is not available: cannot find the weft "
                     "executable",
                     kNoOffset,
                     {}};
      std::string dir(exe, static_cast<size_t>(n));
      path = dir.substr(0, dir.rfind('/') + 1) + "weft-llvm.so";
    }
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h)
      return Error{std::string("the compiled tier is not available: ") +
                       dlerror(),
                   kNoOffset,
                   {}};
    auto entry = reinterpret_cast<const CompilePluginApi* (*)()>(
        dlsym(h, "weft_compile_plugin_api"));
    const CompilePluginApi* api = entry ? entry() : nullptr;
    if (!api || api->abi != kCompilePluginAbi)
      return Error{"the compiled tier is not available: " + path +
                       " is not a matching weft plugin",
                   kNoOffset,
                   {}};
    return api;
  }();
  return loaded;
}

namespace {

// Progress on a terminal for modules worth waiting for.
constexpr uint64_t kProgressBytes = 64 * 1024;

class Progress {
public:
  Progress(const std::string& label, bool enabled)
      : label_(label), enabled_(enabled && ::isatty(2)) {}
  ~Progress() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
  }
  void operator()(uint64_t done, uint64_t total) {
    if (!enabled_ || total < kProgressBytes) return;
    shown_ = true;
    std::fprintf(stderr, "\r\033[Kweft: compiling %s: %3u%% (%llu of %llu KiB)",
                 label_.c_str(), static_cast<unsigned>(done * 100 / total),
                 static_cast<unsigned long long>(done / 1024),
                 static_cast<unsigned long long>(total / 1024));
    std::fflush(stderr);
  }

private:
  std::string label_;
  bool enabled_;
  bool shown_ = false;
};

} // namespace

Result<std::vector<uint8_t>> CompileArtifact(std::span<const uint8_t> wasm,
                                             const std::string& label,
                                             bool progress,
                                             const std::atomic<bool>* cancel) {
  auto plugin = LoadCompiler();
  if (!plugin) return plugin.error();
  Progress show(label, progress);
  NativeCompileOptions options;
  options.cancel = cancel;
  options.explicit_bounds = DefaultExplicitBounds();
  options.progress = [&show](uint64_t done, uint64_t total) {
    show(done, total);
  };
  auto code = plugin.value()->compile(wasm, options);
  if (!code) return code.error();
  return native::WriteArtifact(
      wasm, native::Sha256Of(wasm), *code,
      *options.explicit_bounds ? kCodeOptionsExplicitBounds : kCodeOptions);
}

Result<std::shared_ptr<const CompiledModule>>
CompileForTier(const Engine& engine, std::span<const uint8_t> bytes,
               Tier tier) {
  if (tier == Tier::Interp) return CompileModule(engine, bytes);
  auto plugin = LoadCompiler();
  if (!plugin) {
    // auto: no compiled tier on this installation, the interpreter runs it.
    if (tier == Tier::Auto) return CompileModule(engine, bytes);
    return plugin.error();
  }
  auto artifact = CompileArtifact(bytes, "module", false);
  if (!artifact) {
    if (tier == Tier::Auto && plugin.value()->is_unsupported(artifact.error()))
      return CompileModule(engine, bytes);
    return artifact.error();
  }
  const std::string options = CodeOptionsFor(DefaultExplicitBounds());
  return native::LoadArtifact(*artifact, &options);
}

bool IsUnsupported(const Error& e) {
  return e.message.rfind(kUnsupportedPrefix, 0) == 0;
}

namespace {

void CacheLog(const CacheSettings& cache, std::string_view level,
              const std::string& msg, const std::string& module) {
  if (cache.sink)
    cache.sink(level, msg, module);
  else
    std::fprintf(stderr, "weft: cache: %s\n", msg.c_str());
}

} // namespace

CacheSettings CacheFromEnv(CacheLogSink sink) {
  CacheSettings c;
  c.sink = std::move(sink);
  if (const char* v = std::getenv("WEFT_CACHE");
      v && (std::string(v) == "off" || std::string(v) == "0" ||
            std::string(v) == "no"))
    c.enabled = false;
  c.dir = native::CompileCache::DefaultDir();
  if (c.dir.empty()) c.enabled = false;
  const char* log = std::getenv("WEFT_CACHE_LOG");
  c.log = log && *log && *log != '0';
  if (const char* max = std::getenv("WEFT_CACHE_MAX_BYTES"); max && *max) {
    std::string error;
    if (auto bytes = ParseSize(max, error))
      c.max_bytes = *bytes;
    else if (c.enabled)
      CacheLog(c, "warn",
               "WEFT_CACHE_MAX_BYTES: " + error + "; the limit stays " +
                   std::to_string(c.max_bytes >> 20) + "MiB",
               "");
  }
  return c;
}

namespace {

std::string KeyOf(const CacheSettings& cache, std::span<const uint8_t> bytes) {
  return native::CompileCache(cache.dir).Key(
      native::Sha256Of(bytes), CodeOptionsFor(DefaultExplicitBounds()));
}

} // namespace

Result<std::shared_ptr<const CompiledModule>>
LoadArtifactBytes(std::span<const uint8_t> bytes) {
  const std::string options = CodeOptionsFor(DefaultExplicitBounds());
  return native::LoadArtifact(bytes, &options);
}

namespace {

Result<std::shared_ptr<const CompiledModule>>
CompileIntoCacheImpl(std::span<const uint8_t> bytes, const std::string& label,
                     const CacheSettings& cache, bool progress,
                     const std::atomic<bool>* cancel) {
  auto artifact = CompileArtifact(bytes, label, progress, cancel);
  if (!artifact) {
    if (cache.enabled && IsUnsupported(artifact.error()))
      native::CompileCache(cache.dir).MarkUnsupported(KeyOf(cache, bytes));
    return artifact.error();
  }
  if (cache.enabled) {
    native::CompileCache cc(cache.dir, cache.max_bytes);
    const std::string key = KeyOf(cache, bytes);
    if (Status st = cc.Store(key, *artifact); !st)
      CacheLog(cache, "warn",
               "cannot store the compiled code of " + label + " (" +
                   st.error().message + ")",
               label);
    else if (cache.log)
      CacheLog(cache, "info", "stored " + key, label);
  }
  return LoadArtifactBytes(*artifact);
}

} // namespace

Result<std::shared_ptr<const CompiledModule>>
LoadArtifactFile(const std::string& path) {
  const std::string options = CodeOptionsFor(DefaultExplicitBounds());
  return native::LoadArtifactFile(path, &options);
}

Result<std::shared_ptr<const CompiledModule>>
CompileIntoCache(std::span<const uint8_t> bytes, const std::string& label,
                 const CacheSettings& cache, bool progress) {
  return CompileIntoCacheImpl(bytes, label, cache, progress, nullptr);
}

BackgroundCompiler::BackgroundCompiler(CacheSettings cache)
    : cache_(std::move(cache)), thread_([this] { Run(); }) {}

BackgroundCompiler::~BackgroundCompiler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    jobs_.clear();
  }
  cancel_.store(true);
  cv_.notify_all();
  thread_.join();
}

void BackgroundCompiler::Submit(std::vector<uint8_t> bytes, std::string label,
                                Done done, CacheLogSink log) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(
        {std::move(bytes), std::move(label), std::move(done), std::move(log)});
  }
  cv_.notify_all();
}

void BackgroundCompiler::Run() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (stop_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    CacheSettings cache = cache_;
    if (job.log) cache.sink = job.log;
    // Another job (a reload) may have compiled it meanwhile.
    std::shared_ptr<const CompiledModule> code;
    if (cache.enabled) {
      native::CompileCache cc(cache.dir);
      auto found = cc.Load(KeyOf(cache, job.bytes),
                           CodeOptionsFor(DefaultExplicitBounds()));
      if (found.outcome == native::CompileCache::Outcome::Hit)
        code = found.module;
    }
    if (!code) {
      auto r =
          CompileIntoCacheImpl(job.bytes, job.label, cache, false, &cancel_);
      if (!r) {
        if (!cancel_.load() && !IsUnsupported(r.error()))
          CacheLog(cache, "warn",
                   "background compile of " + job.label +
                       " failed: " + r.error().message,
                   job.label);
        continue;
      }
      code = *r;
    }
    if (cache.log)
      CacheLog(cache, "info", "compiled code ready for " + job.label,
               job.label);
    job.done(std::move(code));
  }
}

Result<std::shared_ptr<const CompiledModule>>
CompileCached(const Engine& engine, std::span<const uint8_t> bytes, Tier tier,
              const std::string& label, const CacheSettings& cache,
              const std::function<void(const std::string& key)>& background) {
  if (tier == Tier::Interp) return CompileModule(engine, bytes);
  std::string key;
  if (cache.enabled) {
    native::CompileCache cc(cache.dir);
    key = cc.Key(native::Sha256Of(bytes),
                 CodeOptionsFor(DefaultExplicitBounds()));
    auto found = cc.Load(key, CodeOptionsFor(DefaultExplicitBounds()));
    if (found.outcome == native::CompileCache::Outcome::Hit) {
      if (cache.log) CacheLog(cache, "info", "hit " + key, label);
      return found.module;
    }
    if (found.outcome == native::CompileCache::Outcome::Damaged)
      CacheLog(cache, "warn",
               "damaged entry " + cc.PathOf(key) + " (" + found.problem +
                   "): deleted, compiling again",
               label);
    else if (cache.log)
      CacheLog(cache, "info", "miss " + key, label);
    if (tier == Tier::Auto && cc.IsUnsupported(key))
      return CompileModule(engine, bytes);
  }
  if (tier == Tier::Compiled)
    return CompileIntoCache(bytes, label, cache, true);
  // auto, on a miss: the interpreter now (it also validates), the compiled
  // code later.
  auto interp = CompileModule(engine, bytes);
  if (interp && background) background(key);
  return interp;
}

void StartBackgroundCompile(const CacheSettings& cache, const std::string& key,
                            const std::string& module_path) {
  if (!cache.enabled || key.empty()) return;
  native::CompileCache cc(cache.dir);
  const int lock = cc.TryLock(key);
  if (lock < 0) return; // being compiled by another process (or no cache)
  native::CompileCache::ReleaseLock(lock);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (int fd = 0; fd < 3; ++fd)
    posix_spawn_file_actions_addopen(&fa, fd, "/dev/null",
                                     fd == 0 ? O_RDONLY : O_WRONLY, 0);
  // Nothing else inherited: a pipe the caller holds must not stay open
  // for the length of a compile.
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  std::string a0 = "weft", a1 = "compile", a2 = "--cache", a3 = "--",
              a4 = module_path;
  char* argv[] = {a0.data(), a1.data(), a2.data(),
                  a3.data(), a4.data(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv, environ) == 0) {
    setpriority(PRIO_PROCESS, static_cast<id_t>(pid), 10);
    if (cache.log)
      CacheLog(cache, "info", "compiling " + key + " in the background",
               module_path);
  }
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
}

} // namespace weft::cli
