// Choosing the execution tier for `weft run --tier` and `weft wast --tier`.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>

#include "runtime/runtime.h"

namespace weft::cli {

enum class Tier { Interp, Compiled, Auto };

// "interp", "compiled", "auto"; nullopt for anything else.
std::optional<Tier> ParseTier(const std::string& s);

// Compiles `bytes` for `tier`. Auto tries the compiled tier and falls back
// to the interpreter when the module uses something the compiled tier does
// not support yet (SIMD); invalid modules fail the same way on every tier.
Result<std::shared_ptr<const CompiledModule>>
CompileForTier(const Engine& engine, std::span<const uint8_t> bytes, Tier tier);

} // namespace weft::cli
