#include "cli/tier.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>

#include "compile/plugin.h"

namespace weft::cli {

std::optional<Tier> ParseTier(const std::string& s) {
  if (s == "interp") return Tier::Interp;
  if (s == "compiled") return Tier::Compiled;
  if (s == "auto") return Tier::Auto;
  return std::nullopt;
}

namespace {

// Loads weft-llvm.so once: from $WEFT_LLVM_PLUGIN, else next to the weft
// executable. Never unloaded (compiled modules point into it).
Result<const CompilePluginApi*> LoadPlugin() {
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

} // namespace

Result<std::shared_ptr<const CompiledModule>>
CompileForTier(const Engine& engine, std::span<const uint8_t> bytes,
               Tier tier) {
  if (tier == Tier::Interp) return CompileModule(engine, bytes);
  Result<const CompilePluginApi*> plugin = LoadPlugin();
  if (!plugin) {
    // auto: no compiled tier on this installation, the interpreter runs it.
    if (tier == Tier::Auto) return CompileModule(engine, bytes);
    return plugin.error();
  }
  auto r = plugin.value()->compile(engine, bytes);
  if (tier == Tier::Auto && !r && plugin.value()->is_unsupported(r.error()))
    return CompileModule(engine, bytes);
  return r;
}

} // namespace weft::cli
