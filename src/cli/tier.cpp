#include "cli/tier.h"

#include "compile/compile.h"

namespace weft::cli {

std::optional<Tier> ParseTier(const std::string& s) {
  if (s == "interp") return Tier::Interp;
  if (s == "compiled") return Tier::Compiled;
  if (s == "auto") return Tier::Auto;
  return std::nullopt;
}

Result<std::shared_ptr<const CompiledModule>>
CompileForTier(const Engine& engine, std::span<const uint8_t> bytes,
               Tier tier) {
  if (tier == Tier::Interp) return CompileModule(engine, bytes);
  auto r = CompileModuleNative(engine, bytes);
  if (tier == Tier::Auto && !r && IsUnsupportedError(r.error()))
    return CompileModule(engine, bytes);
  return r;
}

} // namespace weft::cli
