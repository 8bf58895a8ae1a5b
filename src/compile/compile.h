// The compiled tier's embedding entry points: compile a module to native
// code with LLVM (src/compile/README in docs/compiled-tier.md). The result is
// a CompiledModule like the interpreter's; Store::Instantiate and
// Store::Call work the same on it.
#pragma once

#include <memory>
#include <span>

#include "runtime/runtime.h"

namespace weft {

// TierModule::kind of the compiled tier (the interpreter is 1).
inline constexpr uint8_t kCompiledTier = 2;

// Decode + validate + translate to LLVM IR + optimize (O2) + JIT. A module
// using a feature the tier does not compile yet (SIMD) fails with an Error
// whose message starts with kUnsupportedPrefix.
Result<std::shared_ptr<const CompiledModule>>
CompileModuleNative(const Engine& engine, std::span<const uint8_t> bytes);
Result<std::shared_ptr<const CompiledModule>>
CompileModuleNative(const Engine& engine, Module module);

inline constexpr const char* kUnsupportedPrefix =
    "unsupported by the compiled tier: ";
bool IsUnsupportedError(const Error& e);

} // namespace weft
