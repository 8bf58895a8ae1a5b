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
//    entry, so calls from other tiers use it. Called with a null VMCtx, an
//    entry only writes the address of its internal function to slots[0]
//    and the kCode* flags of the module's code to slots[1] (how the runtime
//    learns FuncInstImpl::native_fn and the code's bounds-check mode
//    without another symbol lookup).
//  - call_indirect and calls to imports read FuncInstImpl::native_fn /
//    native_ctx (set for every function of an instance when its VMCtx is
//    built) and call the internal function directly; a null native_fn
//    (host or interpreter function, or an instance without a context yet)
//    and every failed check go to the weft_rt_call* helpers.
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
  uintptr_t stack_limit = 0;            // rsp below this: call stack exhausted
  Cell** globals = nullptr;             // cell of each global (index space)
  FuncInstImpl* const* funcs = nullptr; // function index space
  // Per table: its element vector, read as {Ref* begin, Ref* end} (the
  // layout of std::vector<Ref>, checked in rt.cpp; a table whose vector
  // does not look like that is given an empty view, so every call goes to
  // the helper).
  void* const* tables = nullptr;
  const uint32_t* type_ids = nullptr; // module type index -> Store type id
  InstanceImpl* inst = nullptr;
  Store* store = nullptr;
  JitStoreState* state = nullptr;
  uint64_t mem_reserved = 0; // bytes of address space at mem_base
  uint64_t code_flags = 0;   // kCode* of the instance's code
};

// Code flags (entry query, slots[1]).
// The code checks every memory access against the memory's size itself:
// it does not need the 8 GiB guard reservation.
inline constexpr uint64_t kCodeExplicitBounds = 1;
// Address space generated code without explicit checks needs at mem_base.
inline constexpr uint64_t kGuardReservation = 8ull << 30;

inline constexpr unsigned kCtxMemBase = offsetof(VMCtx, mem_base);
inline constexpr unsigned kCtxMemSize = offsetof(VMCtx, mem_size);
inline constexpr unsigned kCtxInterrupt = offsetof(VMCtx, interrupt);
inline constexpr unsigned kCtxStackLimit = offsetof(VMCtx, stack_limit);
inline constexpr unsigned kCtxGlobals = offsetof(VMCtx, globals);
inline constexpr unsigned kCtxFuncs = offsetof(VMCtx, funcs);
inline constexpr unsigned kCtxTables = offsetof(VMCtx, tables);
inline constexpr unsigned kCtxTypeIds = offsetof(VMCtx, type_ids);
static_assert(kCtxMemBase == 0 && kCtxMemSize == 8 && kCtxInterrupt == 16 &&
              kCtxStackLimit == 24 && kCtxGlobals == 32 && kCtxFuncs == 40 &&
              kCtxTables == 48 && kCtxTypeIds == 56);
// Bytes of VMCtx generated code may read (dereferenceable on the argument).
inline constexpr unsigned kCtxHotBytes = 64;

// Fields of FuncInstImpl read by generated code (a funcref is a
// FuncInstImpl*: FuncInst is its only base, at offset 0).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
inline constexpr unsigned kFuncTypeId = offsetof(FuncInstImpl, type_id);
inline constexpr unsigned kFuncNativeFn = offsetof(FuncInstImpl, native_fn);
inline constexpr unsigned kFuncNativeCtx = offsetof(FuncInstImpl, native_ctx);
#pragma GCC diagnostic pop

using EntryFn = void (*)(VMCtx*, uint64_t*);

// Name -> address of every helper generated code may call.
struct HelperSymbol {
  const char* name;
  void* addr;
};
const HelperSymbol* Helpers(size_t& count);

} // namespace weft::jit
