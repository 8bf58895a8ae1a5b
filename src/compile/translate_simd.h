// WebAssembly 2.0 SIMD (every 0xFD instruction) -> LLVM IR, for the
// function translator of translate.cpp. A v128 value is a <2 x i64> between
// instructions (locals, the operand stack, phis, calls); each instruction
// bitcasts it to the lane shape it works on.
#pragma once

#include <functional>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <llvm/IR/IRBuilder.h>
#pragma GCC diagnostic pop

#include "wasm/module.h"

namespace weft::jit {

// The representation of v128: <2 x i64>.
llvm::Type* V128Type(llvm::LLVMContext& c);

struct SimdEnv {
  llvm::IRBuilder<>& b;
  std::vector<llvm::Value*>& stack;
  const Function& fn;
  // Pops the address operand of memory instruction `in` accessing `bytes`
  // bytes and returns the host pointer (checks included).
  std::function<llvm::Value*(const Instr& in, unsigned bytes)> addr;
  // The loaded value is dropped right away: the load must stay (its trap).
  bool value_dropped = false;
};

// Translates one 0xFD instruction; returns false for any other opcode.
bool TranslateSimd(SimdEnv& env, const Instr& in);

} // namespace weft::jit
