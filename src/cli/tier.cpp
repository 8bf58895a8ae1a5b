#include "cli/tier.h"

#include <dlfcn.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "native/artifact.h"

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
constexpr uint64_t kProgressBytes = 256 * 1024;

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
                                             bool progress) {
  auto plugin = LoadCompiler();
  if (!plugin) return plugin.error();
  Progress show(label, progress);
  NativeCompileOptions options;
  options.progress = [&show](uint64_t done, uint64_t total) {
    show(done, total);
  };
  auto code = plugin.value()->compile(wasm, options);
  if (!code) return code.error();
  return native::WriteArtifact(wasm, native::Sha256Of(wasm), *code,
                               kCodeOptions);
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
  const std::string options = kCodeOptions;
  return native::LoadArtifact(*artifact, &options);
}

} // namespace weft::cli
