// Wasm -> LLVM IR for one module (translate.cpp). Kept apart from the JIT
// (jit.cpp) so only one file includes the heavy ORC/PassBuilder headers.
#pragma once

#include <memory>

#include "wasm/module.h"
#include "wasm/result.h"

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace weft::jit {

// Checks that the compiled tier handles everything `m` uses; the error
// message starts with kUnsupportedPrefix otherwise.
Status CheckSupported(const Module& m);

struct TranslateOptions {
  // Every memory access compares its end with the memory's current size
  // (trap "out of bounds memory access") instead of relying on the 8 GiB
  // guard reservation: for hosts where that reservation fails (ulimit -v).
  bool explicit_bounds = false;
};

// The options chosen by the environment (docs/compiled-tier.md):
// WEFT_BOUNDS_CHECKS=explicit or =guard; unset or anything else: explicit
// when RLIMIT_AS is finite and below 64 GiB, guard pages otherwise.
TranslateOptions DefaultTranslateOptions();

// Builds f<i> (internal convention) and e<i> (entry) for every defined
// function i into a new llvm::Module (see vmctx.h).
std::unique_ptr<llvm::Module> Translate(const Module& m, llvm::LLVMContext& c);
std::unique_ptr<llvm::Module> Translate(const Module& m, llvm::LLVMContext& c,
                                        const TranslateOptions& options);

} // namespace weft::jit
