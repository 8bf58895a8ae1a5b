// The compiled tier's entry points (docs/compiled-tier.md): compile a
// module to native code with LLVM.
//  - CompileToObjects: Wasm -> ELF x86-64 relocatable objects (one per
//    partition, compiled on parallel threads). What the plugin
//    weft-llvm.so does; the objects are loaded by src/native/loader.h or
//    written into an artifact (src/native/artifact.h).
//  - CompileModuleNative: the same, then linked in-process by our loader
//    into a CompiledModule (tests and embedders that link LLVM).
#pragma once

#include <sys/resource.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "native/artifact.h"
#include "runtime/runtime.h"

namespace weft {

// TierModule::kind of the compiled tier (the interpreter is 1).
inline constexpr uint8_t kCompiledTier = 2;

// What changes the generated code besides the module, the weft build and
// the CPU: recorded in every artifact and part of the cache key.
inline constexpr const char* kCodeOptions = "O2 pic guard-pages";
inline constexpr const char* kCodeOptionsExplicitBounds =
    "O2 pic explicit-bounds";
inline std::string CodeOptionsFor(bool explicit_bounds) {
  return explicit_bounds ? kCodeOptionsExplicitBounds : kCodeOptions;
}

// The bounds-check mode the compiler takes by default, decided without
// LLVM by the rule of translate.h's DefaultTranslateOptions:
// WEFT_BOUNDS_CHECKS=explicit|guard, else explicit when RLIMIT_AS is finite
// and below 64 GiB. The CLI passes it explicitly (NativeCompileOptions) and
// keys the cache with CodeOptionsFor(it).
inline bool DefaultExplicitBounds() {
  const char* e = std::getenv("WEFT_BOUNDS_CHECKS");
  const std::string_view mode = e != nullptr ? e : "";
  if (mode == "explicit") return true;
  if (mode == "guard") return false;
  struct rlimit rl;
  return getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
         rl.rlim_cur < (64ull << 30);
}

struct NativeCompileOptions {
  // Threads compiling partitions; 0: one per core.
  unsigned threads = 0;
  // Number of partitions (LLVM modules, each its own object); 0: chosen by
  // code size (1 for small modules).
  unsigned partitions = 0;
  // Called from compiling threads (serialized) after each partition with
  // the bytes of function bodies done so far and their total.
  std::function<void(uint64_t done, uint64_t total)> progress;
  // When set and true, no further partition is started and the compile
  // fails ("cancelled").
  const std::atomic<bool>* cancel = nullptr;
  // Bounds-check mode; unset: DefaultExplicitBounds() (translate.h).
  std::optional<bool> explicit_bounds;
};

// Decode + validate + translate to LLVM IR + optimize (O2) + emit objects.
// A module using a feature the tier does not compile (none of 2.0 today) fails
// with an Error whose message starts with kUnsupportedPrefix.
Result<native::NativeCode>
CompileToObjects(std::span<const uint8_t> bytes,
                 const NativeCompileOptions& options = {});
// For a decoded and validated module.
Result<native::NativeCode>
CompileToObjects(const Module& module,
                 const NativeCompileOptions& options = {});

// CompileToObjects, then linked by the loader (src/native/loader.h).
Result<std::shared_ptr<const CompiledModule>>
CompileModuleNative(const Engine& engine, std::span<const uint8_t> bytes);
Result<std::shared_ptr<const CompiledModule>>
CompileModuleNative(const Engine& engine, Module module);
Result<std::shared_ptr<const CompiledModule>>
CompileModuleNative(const Engine& engine, Module module,
                    const NativeCompileOptions& options);

inline constexpr const char* kUnsupportedPrefix =
    "unsupported by the compiled tier: ";
bool IsUnsupportedError(const Error& e);

} // namespace weft
