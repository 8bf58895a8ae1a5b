// The interpreter tier's CompiledModule: the decoded module plus one lowered
// CompiledFunc per defined function.
#pragma once

#include <vector>

#include "interp/code.h"
#include "wasm/result.h"

namespace weft::interp {

class InterpModule final : public TierModule {
public:
  InterpModule() { kind = kInterpTier; }
  const Module& module() const override { return mod; }
  const void* FunctionCode(uint32_t i) const override { return &funcs[i]; }
  std::optional<Trap> Invoke(Store& store, FuncInstImpl* f,
                             std::span<const Value> args,
                             std::span<Value> results) const override;

  Module mod;
  std::vector<CompiledFunc> funcs; // sized once, so pointers stay valid
};

// Lowers defined function `index` of a validated module into `out`.
// `all` is the module's CompiledFunc array (for direct call targets).
Status LowerFunction(const Module& m, uint32_t index,
                     const std::vector<CompiledFunc>& all, CompiledFunc& out);

// A readable listing of lowered code (one instruction per line).
std::string Disassemble(const CompiledFunc& f);

// The simd.h implementation of a 0xFD opcode (except v128.const,
// i8x16.shuffle and v128.store, which the executor does itself), or null.
const void* SimdFunction(Opcode op);

} // namespace weft::interp
