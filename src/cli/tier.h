// Choosing the execution tier (`--tier`) and driving the compiler plugin
// (weft-llvm.so, loaded on first use).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "compile/plugin.h"
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
Result<std::vector<uint8_t>> CompileArtifact(std::span<const uint8_t> wasm,
                                             const std::string& label,
                                             bool progress);

// Compiles `bytes` for `tier`, with no cache (weft wast). Compiled: through
// the plugin into an artifact, which our loader links (the same path as a
// .cwasm file). Auto falls back to the interpreter when the module uses
// something the compiled tier does not support yet (SIMD) or there is no
// plugin; invalid modules fail the same way on every tier.
Result<std::shared_ptr<const CompiledModule>>
CompileForTier(const Engine& engine, std::span<const uint8_t> bytes, Tier tier);

} // namespace weft::cli
