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

// Builds f<i> (internal convention) and e<i> (entry) for every defined
// function i into a new llvm::Module (see vmctx.h).
std::unique_ptr<llvm::Module> Translate(const Module& m, llvm::LLVMContext& c);

} // namespace weft::jit
