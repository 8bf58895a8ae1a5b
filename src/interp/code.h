// The interpreter's internal code form.
//
// Every value of a running function lives in a 64-bit slot of its frame:
// params first, then declared locals, then hidden slots (if-block params),
// then the operand-stack temporaries, whose positions the lowering fixes
// ahead of time (a v128 takes two slots). Each instruction names its operand
// slots directly, so `local.get a; local.get b; i32.add; local.set c` is one
// instruction `i32.add [c] <- [a], [b]`.
//
// Code is a stream of 8-byte-aligned records. Each record starts with the
// address of its handler (direct threading: `goto *pc->h`) followed by its
// operands in one of a few fixed shapes. Branch offsets are byte distances
// from the start of the branch record and are always stored in field `x`.
// Instructions that produce one value into a temporary always keep the
// destination slot in field `x`, so the lowering can retarget it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "interp/ops.h"
#include "runtime/store_impl.h"

namespace weft::interp {

using Handler = const void*;

struct In0 {
  Handler h;
};
struct In2 {
  Handler h;
  uint32_t x, y;
};
struct In4 {
  Handler h;
  uint32_t x, y, z, w;
};
struct In2K {
  Handler h;
  uint32_t x, y;
  uint64_t k;
};
struct In4K {
  Handler h;
  uint32_t x, y, z, w;
  uint64_t k;
};
struct In6 {
  Handler h;
  uint32_t x, y, z, w, u, v;
};
struct InP4 { // p: a callee or a SIMD function pointer
  Handler h;
  const void* p;
  uint32_t x, y, z, w;
};
struct InP6 {
  Handler h;
  const void* p;
  uint32_t x, y, z, w, u, v;
};
struct InV { // 16 immediate bytes: v128.const, shuffle masks
  Handler h;
  uint32_t x, y, z, w;
  uint8_t bytes[16];
};

// Every internal operation: X(Name, Shape). Field meanings in comments.
#define WEFT_INTERP_K_K(X, name) X(name##_K, In2K) // x=d y=a k=imm
#define WEFT_INTERP_K_R(X, name) X(name##_K, In2K) X(name##_KR, In2K)
#define WEFT_INTERP_K__(X, name)
// _M: x=d y=a z=addr w=offset u=added to addr (b is loaded from there)
// _S: x=a y=b z=addr w=offset u=added (the result is stored there)
// _MS: x=a y=addr z=offset w=added: [addr] = a op [addr]
#define WEFT_INTERP_M_M(X, name)                                               \
  X(name##_M, In6) X(name##_S, In6) X(name##_MS, In4)
#define WEFT_INTERP_M__(X, name)
#define WEFT_INTERP_IOPS(X)                                                    \
  X(Exit, In0)                                                                 \
  X(Unreachable, In0)                                                          \
  X(Br, In2)       /* x=off */                                                 \
  X(BrIfNz32, In2) /* x=off y=cond */                                          \
  X(BrIfZ32, In2)                                                              \
  X(BrIfNz64, In2)                                                             \
  X(BrIfZ64, In2)                                                              \
  X(BrTable, In2) /* x=index slot y=n, then n+1 int32 offsets */               \
  X(Ret, In0)                                                                  \
  X(Ret1, In2)         /* x=src: fp[0] <- fp[src] */                           \
  X(Ret2, In2)         /* x=src (v128) */                                      \
  X(Call, InP4)        /* p=CompiledFunc* x=arg slot */                        \
  X(CallImport, In2)   /* x=func index y=arg slot */                           \
  X(CallIndirect, In4) /* x=type index y=table z=arg slot w=elem slot */       \
  X(Select1, In4)      /* x=d y=a z=b w=cond */                                \
  X(Select2, In4)                                                              \
  X(Copy1, In2) /* x=d y=s */                                                  \
  X(Copy2, In2)                                                                \
  X(Const, In2K)     /* x=d k=bits */                                          \
  X(Const128, InV)   /* x=d bytes */                                           \
  X(GlobalGet1, In2) /* x=d y=global */                                        \
  X(GlobalGet2, In2)                                                           \
  X(GlobalSet1, In2) /* x=s y=global */                                        \
  X(GlobalSet2, In2)                                                           \
  X(MemorySize, In2)   /* x=d */                                               \
  X(MemoryGrow, In2)   /* x=d y=delta */                                       \
  X(MemoryInit, In4)   /* x=seg y=d z=s w=n */                                 \
  X(DataDrop, In2)     /* x=seg */                                             \
  X(MemoryCopy, In4)   /* x=d y=s z=n */                                       \
  X(MemoryFill, In4)   /* x=d y=val z=n */                                     \
  X(TableGet, In4)     /* x=d y=table z=index */                               \
  X(TableSet, In4)     /* x=table y=index z=value */                           \
  X(TableSize, In2)    /* x=d y=table */                                       \
  X(TableGrow, In4)    /* x=d y=table z=init w=n */                            \
  X(TableFill, In4)    /* x=table y=i z=value w=n */                           \
  X(TableCopy, In6)    /* x=dst table y=src table z=d w=s u=n */               \
  X(TableInit, In6)    /* x=table y=seg z=d w=s u=n */                         \
  X(ElemDrop, In2)     /* x=seg */                                             \
  X(RefFunc, In2)      /* x=d y=func index */                                  \
  X(V128Store, In4)    /* x=value y=addr z=offset */                           \
  X(SimdV, InP4)       /* x=d y=a */                                           \
  X(SimdVV, InP4)      /* x=d y=a z=b */                                       \
  X(SimdVVV, InP4)     /* x=d y=a z=b w=c */                                   \
  X(SimdIV, InP4)      /* x=d y=a (i32 result) */                              \
  X(SimdShift, InP4)   /* x=d y=a z=count */                                   \
  X(SimdSplat32, InP4) /* x=d y=a */                                           \
  X(SimdSplat64, InP4)                                                         \
  X(SimdExtract32, InP4) /* x=d y=a z=lane */                                  \
  X(SimdExtract64, InP4)                                                       \
  X(SimdReplace32, InP4) /* x=d y=a z=b w=lane */                              \
  X(SimdReplace64, InP4)                                                       \
  X(SimdShuffle, InV)    /* x=d y=a z=b bytes=lanes */                         \
  X(SimdLoad, InP4)      /* x=d y=addr z=offset w=bytes */                     \
  X(SimdLoadLane, InP6)  /* x=d y=addr z=offset w=vec u=lane v=bytes */        \
  X(SimdStoreLane, InP6) /* x=vec y=addr z=offset u=lane v=bytes */            \
  WEFT_INTERP_UNOPS(WEFT_INTERP_UN_ENTRY)                                      \
  WEFT_INTERP_TRUNCS(WEFT_INTERP_TRUNC_ENTRY)                                  \
  WEFT_INTERP_BINOPS(WEFT_INTERP_BINX_ENTRY)                                   \
  WEFT_INTERP_DIVS(WEFT_INTERP_DIV_ENTRY)                                      \
  WEFT_INTERP_CMPS(WEFT_INTERP_CMP_ENTRY)                                      \
  WEFT_INTERP_FCMPS(WEFT_INTERP_FCMP_ENTRY)                                    \
  WEFT_INTERP_LOADS(WEFT_INTERP_MEM_ENTRY)                                     \
  WEFT_INTERP_STORES(WEFT_INTERP_MEM_ENTRY)                                    \
  WEFT_INTERP_STORES(WEFT_INTERP_STOREK_ENTRY)

// Table-expansion helpers: they expand to WEFT_X, which each user of
// WEFT_INTERP_IOPS defines.
#define WEFT_INTERP_UN_ENTRY(name, ta, tr, expr) WEFT_X(name, In2) // x=d y=a
#define WEFT_INTERP_TRUNC_ENTRY(name, ta, tr, i) WEFT_X(name, In2)
#define WEFT_INTERP_BINX_ENTRY(name, k, m, ta, tr, expr)                       \
  WEFT_X(name, In4) /* x=d y=a z=b */                                          \
  WEFT_INTERP_K_##k(WEFT_X, name) WEFT_INTERP_M_##m(WEFT_X, name)
#define WEFT_INTERP_DIV_ENTRY(name, t, kind) WEFT_X(name, In4)
#define WEFT_INTERP_CMP_ENTRY(name, t, op, neg)                                \
  WEFT_X(BrIf_##name, In4)      /* x=off y=a z=b */                            \
  WEFT_X(BrIf_##name##_K, In2K) /* x=off y=a k=imm */                          \
  /* d <- a + b, then branch if d op limit: loop increment and test */         \
  WEFT_X(AddKBr_##name##_K, In4K) /* x=off y=d z=a w=b (int32) k=limit */      \
  WEFT_X(AddKBr_##name, In6)      /* x=off y=d z=a w=b (int32) u=limit slot */ \
  WEFT_X(AddBr_##name##_K, In4K)  /* x=off y=d z=a w=b slot k=limit */         \
  WEFT_X(AddBr_##name, In6)       /* x=off y=d z=a w=b slot u=limit slot */
#define WEFT_INTERP_FCMP_ENTRY(name, t, op)                                    \
  WEFT_X(BrIf_##name, In4)      /* x=off y=a z=b */                            \
  WEFT_X(BrIf_##name##_K, In2K) /* x=off y=a k=imm */                          \
  WEFT_X(BrIfNot_##name, In4)   /* branch if !(a op b) */                      \
  WEFT_X(BrIfNot_##name##_K, In2K)
// x=d|v y=addr z=offset w=added to addr (see WEFT_INTERP_LOADS)
#define WEFT_INTERP_MEM_ENTRY(name, a, b) WEFT_X(name, In4)
// A store of an immediate: y=addr z=offset w=added to addr k=value
#define WEFT_INTERP_STOREK_ENTRY(name, a, b) WEFT_X(name##_K, In4K)

enum class IOp : uint16_t {
#define WEFT_X(name, shape) name,
  WEFT_INTERP_IOPS(WEFT_X)
#undef WEFT_X
      kCount
};

// One lowered function.
struct CompiledFunc {
  const uint8_t* code = nullptr;
  uint32_t param_slots = 0;
  uint32_t local_slots = 0; // declared locals, zeroed on entry
  uint32_t frame_slots = 0; // the whole frame: params .. deepest temporary
  uint32_t type_index = 0;
  std::vector<uint64_t> storage; // owns `code`
};

// A saved caller state on the interpreter's call stack.
struct Frame {
  const uint8_t* pc;
  uint64_t* fp;
  InstanceImpl* inst;
};

// Per-Store stacks of the interpreter.
struct ExecState final : TierState {
  std::unique_ptr<uint64_t[]> stack;
  uint64_t* stack_end = nullptr;
  uint64_t* sp = nullptr; // where the next activation from the host starts
  std::unique_ptr<Frame[]> frames;
  Frame* frames_end = nullptr;
  Frame* fr = nullptr; // next free frame
  // Cold state of the running Execute, kept here rather than in registers.
  Store* store = nullptr;
  const std::atomic<bool>* interrupt = nullptr;
  TrapKind trap_kind = TrapKind::Unreachable;
  std::optional<Trap> host_trap;
};

inline constexpr uint8_t kInterpTier = 1;

// The handler address of every IOp (from the executor).
const Handler* HandlerTable();

// Runs `f` (an interpreter function) with its arguments already in fp[...].
// Results are left in fp[0...].
std::optional<Trap> Execute(Store& store, ExecState& st, FuncInstImpl* f,
                            uint64_t* fp);

} // namespace weft::interp
