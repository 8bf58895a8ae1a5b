// The compiler as a run-time plugin. LLVM's shared library costs ~15 ms to
// load and initialize, far more than a whole `weft run hello.wasm`, so the
// `weft` executable does not link it: it dlopen()s `weft-llvm.so` (built
// from src/compile and the decoder/validator, all hidden but for the entry
// point below) only when it has a module to compile. The plugin is a pure
// compiler, Wasm bytes -> ELF objects; it holds no runtime: `weft` links
// the objects itself (src/native/loader.h) or writes them into an
// artifact. Tests link weft_compile directly.
#pragma once

#include <cstdint>
#include <span>

#include "compile/compile.h"

namespace weft {

inline constexpr uint32_t kCompilePluginAbi = 4;

struct CompilePluginApi {
  uint32_t abi = kCompilePluginAbi;
  Result<native::NativeCode> (*compile)(std::span<const uint8_t> wasm,
                                        const NativeCompileOptions& options);
  bool (*is_unsupported)(const Error& e);
};

} // namespace weft

// The plugin's one exported symbol.
extern "C" const weft::CompilePluginApi* weft_compile_plugin_api();
