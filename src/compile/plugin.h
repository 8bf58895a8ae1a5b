// The compiled tier as a run-time plugin. LLVM's shared library costs ~15 ms
// to load and initialize, far more than a whole `weft run hello.wasm`
// (~1.5 ms), so the `weft` executable does not link it: it dlopen()s
// `weft-llvm.so` (built from src/compile plus its own copy of the runtime
// and decoder, all hidden but for the entry point below) only when a module
// is compiled with --tier compiled or auto. Tests link weft_compile directly.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "runtime/runtime.h"

namespace weft {

inline constexpr uint32_t kCompilePluginAbi = 1;

struct CompilePluginApi {
  uint32_t abi = kCompilePluginAbi;
  Result<std::shared_ptr<const CompiledModule>> (*compile)(
      const Engine& engine, std::span<const uint8_t> bytes);
  bool (*is_unsupported)(const Error& e);
};

} // namespace weft

// The plugin's one exported symbol.
extern "C" const weft::CompilePluginApi* weft_compile_plugin_api();
