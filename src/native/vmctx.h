// The contract between generated code and the runtime (no LLVM here).
//
// Every compiled function takes a VMCtx* (its instance's context) as first
// argument. Generated code reads the fields below at the fixed offsets
// named kCtx*; everything else goes through the extern "C" helpers
// (weft_rt_*), whose addresses are given to the JIT by name.
//
// Calling conventions:
//  - internal: RetT f<i>(VMCtx*, params...) where RetT is void, the one
//    result, or a literal struct of the results.
//  - entry:    void e<i>(VMCtx*, uint64_t* slots): params read from slots,
//    results written to slots from 0 (i32/f32 zero-extended, as the
//    interpreter's slots). FuncInstImpl::code of a compiled function is its
//    entry, so calls from other tiers and through tables use it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "runtime/store_impl.h"

namespace weft::jit {

struct JitStoreState;

struct VMCtx {
  uint8_t* mem_base = nullptr;            // memory 0 (never moves)
  uint64_t* mem_size = nullptr;           // &MemoryImpl::size of memory 0
  std::atomic<bool>* interrupt = nullptr; // the Store's interrupt flag
  uintptr_t stack_limit = 0; // rsp below this: call stack exhausted
  Cell** globals = nullptr;  // cell of each global (index space)
  InstanceImpl* inst = nullptr;
  Store* store = nullptr;
  JitStoreState* state = nullptr;
  uint64_t mem_reserved = 0; // bytes of address space at mem_base
};

inline constexpr unsigned kCtxMemBase = offsetof(VMCtx, mem_base);
inline constexpr unsigned kCtxMemSize = offsetof(VMCtx, mem_size);
inline constexpr unsigned kCtxInterrupt = offsetof(VMCtx, interrupt);
inline constexpr unsigned kCtxStackLimit = offsetof(VMCtx, stack_limit);
inline constexpr unsigned kCtxGlobals = offsetof(VMCtx, globals);
static_assert(kCtxMemBase == 0 && kCtxMemSize == 8 && kCtxInterrupt == 16 &&
              kCtxStackLimit == 24 && kCtxGlobals == 32);

using EntryFn = void (*)(VMCtx*, uint64_t*);

// Name -> address of every helper generated code may call.
struct HelperSymbol {
  const char* name;
  void* addr;
};
const HelperSymbol* Helpers(size_t& count);

} // namespace weft::jit
