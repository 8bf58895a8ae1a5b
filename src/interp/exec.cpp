// The interpreter loop: direct-threaded code (GCC/Clang labels as values).
// Guest-to-guest calls push a Frame on the interpreter's own call stack and
// never recurse natively; only calls out to host functions (or another
// tier) use the native stack.
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "interp/code.h"
#include "interp/numeric.h"

namespace weft::interp {
namespace {

using u32 = uint32_t;
using s32 = int32_t;
using u64 = uint64_t;
using s64 = int64_t;
using f32 = float;
using f64 = double;

// Slot encoding: i32/f32 are zero-extended bits, i64/f64 their bits.
template <typename T> inline T Rd(uint64_t slot);
template <> inline u32 Rd<u32>(uint64_t s) { return static_cast<u32>(s); }
template <> inline s32 Rd<s32>(uint64_t s) {
  return static_cast<s32>(static_cast<u32>(s));
}
template <> inline u64 Rd<u64>(uint64_t s) { return s; }
template <> inline s64 Rd<s64>(uint64_t s) { return static_cast<s64>(s); }
template <> inline f32 Rd<f32>(uint64_t s) {
  return Bits<f32>(static_cast<u32>(s));
}
template <> inline f64 Rd<f64>(uint64_t s) { return Bits<f64>(s); }

template <typename T> inline uint64_t Wr(T v);
template <> inline uint64_t Wr<u32>(u32 v) { return v; }
template <> inline uint64_t Wr<s32>(s32 v) { return static_cast<u32>(v); }
template <> inline uint64_t Wr<u64>(u64 v) { return v; }
template <> inline uint64_t Wr<s64>(s64 v) { return static_cast<u64>(v); }
template <> inline uint64_t Wr<f32>(f32 v) { return Bits<u32>(v); }
template <> inline uint64_t Wr<f64>(f64 v) { return Bits<u64>(v); }

inline V128 RdV(const uint64_t* p) {
  V128 v;
  std::memcpy(v.bytes, p, 16);
  return v;
}
inline void WrV(uint64_t* p, const V128& v) { std::memcpy(p, v.bytes, 16); }

using FnV_V = V128 (*)(V128);
using FnV_VV = V128 (*)(V128, V128);
using FnV_VVV = V128 (*)(V128, V128, V128);
using FnI_V = uint32_t (*)(V128);
using FnV_VI = V128 (*)(V128, uint32_t);
using FnV_I = V128 (*)(uint32_t);
using FnV_L = V128 (*)(uint64_t);
using FnI_VN = uint32_t (*)(V128, unsigned);
using FnL_VN = uint64_t (*)(V128, unsigned);
using FnV_VNI = V128 (*)(V128, unsigned, uint32_t);
using FnV_VNL = V128 (*)(V128, unsigned, uint64_t);
using FnV_P = V128 (*)(const uint8_t*);
using FnV_PVN = V128 (*)(const uint8_t*, V128, unsigned);
using Fn_PVN = void (*)(uint8_t*, V128, unsigned);

template <typename F> inline F Fn(const void* p) {
  return reinterpret_cast<F>(const_cast<void*>(p));
}

const Handler* g_handlers = nullptr;
In0 g_exit;

// Calls a host function (or a function of another tier) with the arguments
// in args[...]; writes the results back there.
[[gnu::noinline]] std::optional<Trap> CallOut(Store& store, ExecState& st,
                                              Frame* fr, FuncInstImpl* f,
                                              uint64_t* args,
                                              InstanceImpl* caller) {
  Store::Impl& s = store.impl();
  const FuncType& type = f->type_;
  const size_t np = type.params.size();
  const size_t nr = type.results.size();
  Value small[16];
  std::vector<Value> big;
  Value* argv = small;
  if (np + nr > 16) {
    big.resize(np + nr);
    argv = big.data();
  }
  Value* resv = argv + np;
  const uint64_t* p = args;
  for (size_t i = 0; i < np; ++i) {
    argv[i] = SlotsToValue(type.params[i], p);
    p += SlotCount(type.params[i]);
  }
  for (size_t i = 0; i < nr; ++i)
    resv[i] = Value::Default(type.results[i]);
  Frame* saved_fr = st.fr;
  uint64_t* saved_sp = st.sp;
  st.fr = fr;
  st.sp = args + std::max(f->param_slots, f->result_slots);
  Instance* saved_caller = s.caller;
  s.caller = caller;
  std::optional<Trap> trap;
  if (f->is_host()) {
    if (s.call_nesting >= kMaxCallNesting) {
      trap = Trap::Of(TrapKind::CallStackExhausted);
    } else {
      ++s.call_nesting;
      trap = f->host(store, std::span<const Value>(argv, np),
                     std::span<Value>(resv, nr));
      --s.call_nesting;
    }
  } else {
    trap = f->tier->Invoke(store, f, std::span<const Value>(argv, np),
                           std::span<Value>(resv, nr));
  }
  s.caller = saved_caller;
  st.fr = saved_fr;
  st.sp = saved_sp;
  if (trap) return trap;
  uint64_t* q = args;
  for (size_t i = 0; i < nr; ++i) {
    Value v = resv[i];
    v.type = type.results[i];
    ValueToSlots(v, q);
    q += SlotCount(type.results[i]);
  }
  return std::nullopt;
}

// GCC: no-gcse is its advice for computed-goto interpreters; aligning labels
// puts every handler at a 16-byte boundary, which makes dispatch speed
// independent of where unrelated code changes happen to shift a handler
// (measured: up to 1.6x on a kernel whose code did not change).
#if defined(__GNUC__) && !defined(__clang__)
[[gnu::optimize("no-gcse", "align-labels=16")]]
#endif
std::optional<Trap>
Run(Store* store, ExecState* st, FuncInstImpl* entry, uint64_t* fp) {
  static const void* const kTable[] = {
#define WEFT_X(name, shape) &&L_##name,
      WEFT_INTERP_IOPS(WEFT_X)
#undef WEFT_X
  };
  static_assert(sizeof(kTable) / sizeof(kTable[0]) ==
                static_cast<size_t>(IOp::kCount));
  if (store == nullptr) {
    g_handlers = kTable;
    g_exit.h = kTable[static_cast<size_t>(IOp::Exit)];
    return std::nullopt;
  }

  // Only the hottest state lives in locals (pc, fp, mem, mem_size, inst,
  // st) so the compiler can keep all of it in callee-saved registers;
  // everything else is reached through st.
  st->store = store;
  st->interrupt = &store->impl().interrupt;
  InstanceImpl* inst = entry->instance;
  const CompiledFunc* cf = static_cast<const CompiledFunc*>(entry->code);
  const uint8_t* pc = nullptr;
  uint8_t* mem = nullptr;
  uint64_t mem_size = 0;
  FuncInstImpl* callee = nullptr;
  uint32_t call_arg = 0;

#define DISPATCH() goto* reinterpret_cast<const In0*>(pc)->h
#define NEXT(S)                                                                \
  do {                                                                         \
    pc += sizeof(S);                                                           \
    DISPATCH();                                                                \
  } while (0)
#define IN(S) const S* in = reinterpret_cast<const S*>(pc)
#define TRAP(k)                                                                \
  do {                                                                         \
    st->trap_kind = TrapKind::k;                                               \
    goto trap;                                                                 \
  } while (0)
#define LOAD_MEM()                                                             \
  do {                                                                         \
    mem = inst->mem0->base;                                                    \
    mem_size = inst->mem0->size;                                               \
  } while (0)
#define CHECK_INTERRUPT()                                                      \
  if (__builtin_expect(st->interrupt->load(std::memory_order_relaxed), 0))     \
  TRAP(Interrupted)
// Takes a branch; backward branches (loop back-edges) check for interrupts.
#define TAKE(off)                                                              \
  do {                                                                         \
    const int32_t o_ = static_cast<int32_t>(off);                              \
    pc += o_;                                                                  \
    if (o_ <= 0) {                                                             \
      CHECK_INTERRUPT();                                                       \
      DISPATCH();                                                              \
    }                                                                          \
    DISPATCH();                                                                \
  } while (0)
#define PUSH_FRAME(ret)                                                        \
  do {                                                                         \
    Frame* f_ = st->fr++;                                                      \
    f_->pc = (ret);                                                            \
    f_->fp = fp;                                                               \
    f_->inst = inst;                                                           \
  } while (0)
#define EA(slot, add, off, n)                                                  \
  const u64 ea = static_cast<u64>(static_cast<u32>(fp[slot] + (add))) + (off); \
  if (__builtin_expect(ea + (n) > mem_size, 0)) TRAP(MemoryOutOfBounds)

  if (st->fr == st->frames_end) return Trap::Of(TrapKind::CallStackExhausted);
  PUSH_FRAME(reinterpret_cast<const uint8_t*>(&g_exit));
  LOAD_MEM();

enter: // cf and fp are the callee's; its caller is saved in fr[-1].
  if (__builtin_expect(fp + cf->frame_slots > st->stack_end, 0))
    TRAP(CallStackExhausted);
  for (uint32_t i = 0, n = cf->local_slots; i < n; ++i)
    fp[cf->param_slots + i] = 0;
  CHECK_INTERRUPT();
  pc = cf->code;
  DISPATCH();

call_func: // callee, call_arg set; pc is the return address
  if (callee->tier_kind == kInterpTier) {
    if (__builtin_expect(st->fr == st->frames_end, 0)) TRAP(CallStackExhausted);
    PUSH_FRAME(pc);
    fp += call_arg;
    inst = callee->instance;
    cf = static_cast<const CompiledFunc*>(callee->code);
    LOAD_MEM();
    goto enter;
  }
  st->host_trap = CallOut(*st->store, *st, st->fr, callee, fp + call_arg, inst);
  if (st->host_trap) goto trap_host;
  LOAD_MEM();
  DISPATCH();

  // --- control --------------------------------------------------------------
L_Exit:
  return std::nullopt;
L_Unreachable:
  TRAP(Unreachable);
L_Br : {
  IN(In2);
  TAKE(in->x);
}
L_BrIfNz32 : {
  IN(In2);
  if (Rd<u32>(fp[in->y]) != 0) TAKE(in->x);
  NEXT(In2);
}
L_BrIfZ32 : {
  IN(In2);
  if (Rd<u32>(fp[in->y]) == 0) TAKE(in->x);
  NEXT(In2);
}
L_BrIfNz64 : {
  IN(In2);
  if (fp[in->y] != 0) TAKE(in->x);
  NEXT(In2);
}
L_BrIfZ64 : {
  IN(In2);
  if (fp[in->y] == 0) TAKE(in->x);
  NEXT(In2);
}
L_BrTable : {
  IN(In2);
  u32 i = Rd<u32>(fp[in->x]);
  if (i > in->y) i = in->y;
  int32_t off;
  std::memcpy(&off, pc + sizeof(In2) + 4 * static_cast<size_t>(i), 4);
  TAKE(off);
}
L_Ret1 : {
  IN(In2);
  fp[0] = fp[in->x];
  goto ret;
}
L_Ret2 : {
  IN(In2);
  const uint32_t src = in->x;
  fp[0] = fp[src];
  fp[1] = fp[src + 1];
  goto ret;
}
L_Ret:
ret : {
  const Frame* f = --st->fr;
  pc = f->pc;
  fp = f->fp;
  inst = f->inst;
  LOAD_MEM();
}
  DISPATCH();
L_Call : {
  IN(InP4);
  cf = static_cast<const CompiledFunc*>(in->p);
  if (__builtin_expect(st->fr == st->frames_end, 0)) TRAP(CallStackExhausted);
  PUSH_FRAME(pc + sizeof(InP4));
  fp += in->x;
  goto enter;
}
L_CallImport : {
  IN(In2);
  callee = inst->funcs[in->x];
  call_arg = in->y;
  pc += sizeof(In2);
  goto call_func;
}
L_CallIndirect : {
  IN(In4);
  TableImpl* t = inst->tables[in->y];
  const u32 i = Rd<u32>(fp[in->w]);
  if (__builtin_expect(i >= t->elems.size(), 0)) TRAP(UndefinedElement);
  Ref r = t->elems[i];
  if (__builtin_expect(r == nullptr, 0)) TRAP(UninitializedElement);
  callee = RefToFunc(r);
  if (__builtin_expect(callee->type_id != inst->type_ids[in->x], 0))
    TRAP(IndirectCallTypeMismatch);
  call_arg = in->z;
  pc += sizeof(In4);
  goto call_func;
}

  // --- parametric and variables ----------------------------------------------
L_Select1 : {
  IN(In4);
  fp[in->x] = Rd<u32>(fp[in->w]) ? fp[in->y] : fp[in->z];
  NEXT(In4);
}
L_Select2 : {
  IN(In4);
  const uint32_t src = Rd<u32>(fp[in->w]) ? in->y : in->z;
  WrV(fp + in->x, RdV(fp + src));
  NEXT(In4);
}
L_Copy1 : {
  IN(In2);
  fp[in->x] = fp[in->y];
  NEXT(In2);
}
L_Copy2 : {
  IN(In2);
  WrV(fp + in->x, RdV(fp + in->y));
  NEXT(In2);
}
L_Const : {
  IN(In2K);
  fp[in->x] = in->k;
  NEXT(In2K);
}
L_Const128 : {
  IN(InV);
  std::memcpy(fp + in->x, in->bytes, 16);
  NEXT(InV);
}
L_GlobalGet1 : {
  IN(In2);
  fp[in->x] = inst->globals[in->y]->cell.i64;
  NEXT(In2);
}
L_GlobalGet2 : {
  IN(In2);
  WrV(fp + in->x, inst->globals[in->y]->cell.v128);
  NEXT(In2);
}
L_GlobalSet1 : {
  IN(In2);
  inst->globals[in->y]->cell.i64 = fp[in->x];
  NEXT(In2);
}
L_GlobalSet2 : {
  IN(In2);
  inst->globals[in->y]->cell.v128 = RdV(fp + in->x);
  NEXT(In2);
}

  // --- memory ----------------------------------------------------------------
L_MemorySize : {
  IN(In2);
  fp[in->x] = mem_size / kPageSize;
  NEXT(In2);
}
L_MemoryGrow : {
  IN(In2);
  auto old = inst->mem0->Grow(Rd<u32>(fp[in->y]));
  fp[in->x] = old ? static_cast<u32>(*old) : 0xFFFFFFFFu;
  LOAD_MEM();
  NEXT(In2);
}
L_MemoryInit : {
  IN(In4);
  const DataInst& seg = inst->datas[in->x];
  const u64 d = Rd<u32>(fp[in->y]), src = Rd<u32>(fp[in->z]),
            n = Rd<u32>(fp[in->w]);
  if (src + n > seg.size || d + n > mem_size) TRAP(MemoryOutOfBounds);
  if (n) std::memcpy(mem + d, seg.bytes + src, n);
  NEXT(In4);
}
L_DataDrop : {
  IN(In2);
  inst->datas[in->x] = DataInst{};
  NEXT(In2);
}
L_MemoryCopy : {
  IN(In4);
  const u64 d = Rd<u32>(fp[in->x]), src = Rd<u32>(fp[in->y]),
            n = Rd<u32>(fp[in->z]);
  if (src + n > mem_size || d + n > mem_size) TRAP(MemoryOutOfBounds);
  if (n) std::memmove(mem + d, mem + src, n);
  NEXT(In4);
}
L_MemoryFill : {
  IN(In4);
  const u64 d = Rd<u32>(fp[in->x]), n = Rd<u32>(fp[in->z]);
  if (d + n > mem_size) TRAP(MemoryOutOfBounds);
  if (n) std::memset(mem + d, static_cast<uint8_t>(fp[in->y]), n);
  NEXT(In4);
}
#define WEFT_LOAD(name, m, r)                                                  \
  L_##name : {                                                                 \
    IN(In4);                                                                   \
    EA(in->y, in->w, in->z, sizeof(m));                                        \
    m v;                                                                       \
    std::memcpy(&v, mem + ea, sizeof(m));                                      \
    fp[in->x] = Wr<r>(static_cast<r>(v));                                      \
    NEXT(In4);                                                                 \
  }
  WEFT_INTERP_LOADS(WEFT_LOAD)
#undef WEFT_LOAD
#define WEFT_STORE(name, r, m)                                                 \
  L_##name : {                                                                 \
    IN(In4);                                                                   \
    EA(in->y, in->w, in->z, sizeof(m));                                        \
    const m v = static_cast<m>(Rd<r>(fp[in->x]));                              \
    std::memcpy(mem + ea, &v, sizeof(m));                                      \
    NEXT(In4);                                                                 \
  }
  WEFT_INTERP_STORES(WEFT_STORE)
#undef WEFT_STORE
#define WEFT_STORE_K(name, r, m)                                               \
  L_##name##_K : {                                                             \
    IN(In4K);                                                                  \
    EA(in->y, in->w, in->z, sizeof(m));                                        \
    const m v = static_cast<m>(Rd<r>(in->k));                                  \
    std::memcpy(mem + ea, &v, sizeof(m));                                      \
    NEXT(In4K);                                                                \
  }
  WEFT_INTERP_STORES(WEFT_STORE_K)
#undef WEFT_STORE_K

  // --- tables and references -------------------------------------------------
L_TableGet : {
  IN(In4);
  const TableImpl* t = inst->tables[in->y];
  const u32 i = Rd<u32>(fp[in->z]);
  if (i >= t->elems.size()) TRAP(TableOutOfBounds);
  fp[in->x] = reinterpret_cast<uintptr_t>(t->elems[i]);
  NEXT(In4);
}
L_TableSet : {
  IN(In4);
  TableImpl* t = inst->tables[in->x];
  const u32 i = Rd<u32>(fp[in->y]);
  if (i >= t->elems.size()) TRAP(TableOutOfBounds);
  t->elems[i] = reinterpret_cast<Ref>(static_cast<uintptr_t>(fp[in->z]));
  NEXT(In4);
}
L_TableSize : {
  IN(In2);
  fp[in->x] = static_cast<u32>(inst->tables[in->y]->elems.size());
  NEXT(In2);
}
L_TableGrow : {
  IN(In4);
  TableImpl* t = inst->tables[in->y];
  auto old = t->Grow(Rd<u32>(fp[in->w]),
                     reinterpret_cast<Ref>(static_cast<uintptr_t>(fp[in->z])));
  fp[in->x] = old ? static_cast<u32>(*old) : 0xFFFFFFFFu;
  NEXT(In4);
}
L_TableFill : {
  IN(In4);
  TableImpl* t = inst->tables[in->x];
  const u64 i = Rd<u32>(fp[in->y]), n = Rd<u32>(fp[in->w]);
  if (i + n > t->elems.size()) TRAP(TableOutOfBounds);
  Ref v = reinterpret_cast<Ref>(static_cast<uintptr_t>(fp[in->z]));
  std::fill(t->elems.begin() + i, t->elems.begin() + i + n, v);
  NEXT(In4);
}
L_TableCopy : {
  IN(In6);
  TableImpl* dt = inst->tables[in->x];
  const TableImpl* stb = inst->tables[in->y];
  const u64 d = Rd<u32>(fp[in->z]), src = Rd<u32>(fp[in->w]),
            n = Rd<u32>(fp[in->u]);
  if (src + n > stb->elems.size() || d + n > dt->elems.size())
    TRAP(TableOutOfBounds);
  if (n)
    std::memmove(dt->elems.data() + d, stb->elems.data() + src,
                 n * sizeof(Ref));
  NEXT(In6);
}
L_TableInit : {
  IN(In6);
  TableImpl* t = inst->tables[in->x];
  const std::vector<Ref>& seg = inst->elems[in->y].refs;
  const u64 d = Rd<u32>(fp[in->z]), src = Rd<u32>(fp[in->w]),
            n = Rd<u32>(fp[in->u]);
  if (src + n > seg.size() || d + n > t->elems.size()) TRAP(TableOutOfBounds);
  if (n) std::memcpy(t->elems.data() + d, seg.data() + src, n * sizeof(Ref));
  NEXT(In6);
}
L_ElemDrop : {
  IN(In2);
  std::vector<Ref>().swap(inst->elems[in->x].refs);
  NEXT(In2);
}
L_RefFunc : {
  IN(In2);
  fp[in->x] = reinterpret_cast<uintptr_t>(FuncToRef(inst->funcs[in->y]));
  NEXT(In2);
}

// --- numeric ---------------------------------------------------------------
#define WEFT_UN(name, ta, tr, expr)                                            \
  L_##name : {                                                                 \
    IN(In2);                                                                   \
    const ta a = Rd<ta>(fp[in->y]);                                            \
    fp[in->x] = Wr<tr>(expr);                                                  \
    NEXT(In2);                                                                 \
  }
  WEFT_INTERP_UNOPS(WEFT_UN)
#undef WEFT_UN
#define WEFT_TRUNC(name, ta, tr, I)                                            \
  L_##name : {                                                                 \
    IN(In2);                                                                   \
    const ta a = Rd<ta>(fp[in->y]);                                            \
    if (a != a) TRAP(InvalidConversion);                                       \
    if (!TruncInRange<I>(a)) TRAP(IntegerOverflow);                            \
    fp[in->x] = Wr<tr>(static_cast<I>(a));                                     \
    NEXT(In2);                                                                 \
  }
  WEFT_INTERP_TRUNCS(WEFT_TRUNC)
#undef WEFT_TRUNC
#define WEFT_BIN_K_K(name, ta, tr, expr)                                       \
  L_##name##_K : {                                                             \
    IN(In2K);                                                                  \
    const ta a = Rd<ta>(fp[in->y]);                                            \
    const ta b = Rd<ta>(in->k);                                                \
    fp[in->x] = Wr<tr>(expr);                                                  \
    NEXT(In2K);                                                                \
  }
#define WEFT_BIN_K_R(name, ta, tr, expr)                                       \
  WEFT_BIN_K_K(name, ta, tr, expr)                                             \
  L_##name##_KR : {                                                            \
    IN(In2K);                                                                  \
    const ta a = Rd<ta>(in->k);                                                \
    const ta b = Rd<ta>(fp[in->y]);                                            \
    fp[in->x] = Wr<tr>(expr);                                                  \
    NEXT(In2K);                                                                \
  }
#define WEFT_BIN_K__(name, ta, tr, expr)
#define WEFT_BIN_M_M(name, ta, tr, expr)                                       \
  L_##name##_M : {                                                             \
    IN(In6);                                                                   \
    EA(in->z, in->u, in->w, sizeof(ta));                                       \
    const ta a = Rd<ta>(fp[in->y]);                                            \
    ta b;                                                                      \
    std::memcpy(&b, mem + ea, sizeof(ta));                                     \
    fp[in->x] = Wr<tr>(expr);                                                  \
    NEXT(In6);                                                                 \
  }                                                                            \
  L_##name##_S : {                                                             \
    IN(In6);                                                                   \
    const ta a = Rd<ta>(fp[in->x]);                                            \
    const ta b = Rd<ta>(fp[in->y]);                                            \
    const uint64_t r = Wr<tr>(expr);                                           \
    EA(in->z, in->u, in->w, sizeof(ta));                                       \
    std::memcpy(mem + ea, &r, sizeof(ta));                                     \
    NEXT(In6);                                                                 \
  }                                                                            \
  L_##name##_MS : {                                                            \
    IN(In4);                                                                   \
    EA(in->y, in->w, in->z, sizeof(ta));                                       \
    const ta a = Rd<ta>(fp[in->x]);                                            \
    ta b;                                                                      \
    std::memcpy(&b, mem + ea, sizeof(ta));                                     \
    const uint64_t r = Wr<tr>(expr);                                           \
    std::memcpy(mem + ea, &r, sizeof(ta));                                     \
    NEXT(In4);                                                                 \
  }
#define WEFT_BIN_M__(name, ta, tr, expr)
#define WEFT_BIN(name, k, m, ta, tr, expr)                                     \
  L_##name : {                                                                 \
    IN(In4);                                                                   \
    const ta a = Rd<ta>(fp[in->y]);                                            \
    const ta b = Rd<ta>(fp[in->z]);                                            \
    fp[in->x] = Wr<tr>(expr);                                                  \
    NEXT(In4);                                                                 \
  }                                                                            \
  WEFT_BIN_K_##k(name, ta, tr, expr) WEFT_BIN_M_##m(name, ta, tr, expr)
  WEFT_INTERP_BINOPS(WEFT_BIN)
#undef WEFT_BIN
#undef WEFT_BIN_K_K
#undef WEFT_BIN_K__
#undef WEFT_BIN_K_R
#undef WEFT_BIN_M_M
#undef WEFT_BIN_M__
#define WEFT_DIVOP_DivS(t)                                                     \
  if (a == std::numeric_limits<t>::min() && b == -1) TRAP(IntegerOverflow);    \
  fp[in->x] = Wr<t>(a / b);
#define WEFT_DIVOP_DivU(t) fp[in->x] = Wr<t>(a / b);
#define WEFT_DIVOP_RemS(t) fp[in->x] = Wr<t>(b == -1 ? 0 : a % b);
#define WEFT_DIVOP_RemU(t) fp[in->x] = Wr<t>(a % b);
#define WEFT_DIV(name, t, kind)                                                \
  L_##name : {                                                                 \
    IN(In4);                                                                   \
    const t a = Rd<t>(fp[in->y]);                                              \
    const t b = Rd<t>(fp[in->z]);                                              \
    if (__builtin_expect(b == 0, 0)) TRAP(IntegerDivideByZero);                \
    WEFT_DIVOP_##kind(t) NEXT(In4);                                            \
  }
  WEFT_INTERP_DIVS(WEFT_DIV)
#undef WEFT_DIV
#define WEFT_CMP(name, t, op, neg)                                             \
  L_BrIf_##name : {                                                            \
    IN(In4);                                                                   \
    if (Rd<t>(fp[in->y]) op Rd<t>(fp[in->z])) TAKE(in->x);                     \
    NEXT(In4);                                                                 \
  }                                                                            \
  L_BrIf_##name##_K : {                                                        \
    IN(In2K);                                                                  \
    if (Rd<t>(fp[in->y]) op Rd<t>(in->k)) TAKE(in->x);                         \
    NEXT(In2K);                                                                \
  }
  WEFT_INTERP_CMPS(WEFT_CMP)
#undef WEFT_CMP
#define WEFT_FCMP(name, t, op)                                                 \
  L_BrIf_##name : {                                                            \
    IN(In4);                                                                   \
    if (Rd<t>(fp[in->y]) op Rd<t>(fp[in->z])) TAKE(in->x);                     \
    NEXT(In4);                                                                 \
  }                                                                            \
  L_BrIf_##name##_K : {                                                        \
    IN(In2K);                                                                  \
    if (Rd<t>(fp[in->y]) op Rd<t>(in->k)) TAKE(in->x);                         \
    NEXT(In2K);                                                                \
  }                                                                            \
  L_BrIfNot_##name : {                                                         \
    IN(In4);                                                                   \
    if (!(Rd<t>(fp[in->y]) op Rd<t>(fp[in->z]))) TAKE(in->x);                  \
    NEXT(In4);                                                                 \
  }                                                                            \
  L_BrIfNot_##name##_K : {                                                     \
    IN(In2K);                                                                  \
    if (!(Rd<t>(fp[in->y]) op Rd<t>(in->k))) TAKE(in->x);                      \
    NEXT(In2K);                                                                \
  }
  WEFT_INTERP_FCMPS(WEFT_FCMP)
#undef WEFT_FCMP
#define WEFT_ADDBR(label, S, b_expr, limit_expr, t, op)                        \
  label : {                                                                    \
    IN(S);                                                                     \
    using ut = std::make_unsigned_t<t>;                                        \
    const ut sum = Rd<ut>(fp[in->z]) + (b_expr);                               \
    fp[in->y] = Wr<ut>(sum);                                                   \
    if (static_cast<t>(sum) op(limit_expr)) TAKE(in->x);                       \
    NEXT(S);                                                                   \
  }
#define WEFT_ADDBR_ALL(name, t, op, neg)                                       \
  WEFT_ADDBR(L_AddKBr_##name##_K, In4K,                                        \
             static_cast<ut>(static_cast<int32_t>(in->w)), Rd<t>(in->k), t,    \
             op)                                                               \
  WEFT_ADDBR(L_AddKBr_##name, In6,                                             \
             static_cast<ut>(static_cast<int32_t>(in->w)), Rd<t>(fp[in->u]),   \
             t, op)                                                            \
  WEFT_ADDBR(L_AddBr_##name##_K, In4K, Rd<ut>(fp[in->w]), Rd<t>(in->k), t, op) \
  WEFT_ADDBR(L_AddBr_##name, In6, Rd<ut>(fp[in->w]), Rd<t>(fp[in->u]), t, op)
  WEFT_INTERP_CMPS(WEFT_ADDBR_ALL)
#undef WEFT_ADDBR_ALL
#undef WEFT_ADDBR

  // --- SIMD (the lane operations live in simd.h; these call through) --------
L_V128Store : {
  IN(In4);
  EA(in->y, 0, in->z, 16);
  std::memcpy(mem + ea, fp + in->x, 16);
  NEXT(In4);
}
L_SimdV : {
  IN(InP4);
  WrV(fp + in->x, Fn<FnV_V>(in->p)(RdV(fp + in->y)));
  NEXT(InP4);
}
L_SimdVV : {
  IN(InP4);
  WrV(fp + in->x, Fn<FnV_VV>(in->p)(RdV(fp + in->y), RdV(fp + in->z)));
  NEXT(InP4);
}
L_SimdVVV : {
  IN(InP4);
  WrV(fp + in->x,
      Fn<FnV_VVV>(in->p)(RdV(fp + in->y), RdV(fp + in->z), RdV(fp + in->w)));
  NEXT(InP4);
}
L_SimdIV : {
  IN(InP4);
  fp[in->x] = Fn<FnI_V>(in->p)(RdV(fp + in->y));
  NEXT(InP4);
}
L_SimdShift : {
  IN(InP4);
  WrV(fp + in->x, Fn<FnV_VI>(in->p)(RdV(fp + in->y), Rd<u32>(fp[in->z])));
  NEXT(InP4);
}
L_SimdSplat32 : {
  IN(InP4);
  WrV(fp + in->x, Fn<FnV_I>(in->p)(Rd<u32>(fp[in->y])));
  NEXT(InP4);
}
L_SimdSplat64 : {
  IN(InP4);
  WrV(fp + in->x, Fn<FnV_L>(in->p)(fp[in->y]));
  NEXT(InP4);
}
L_SimdExtract32 : {
  IN(InP4);
  fp[in->x] = Fn<FnI_VN>(in->p)(RdV(fp + in->y), in->z);
  NEXT(InP4);
}
L_SimdExtract64 : {
  IN(InP4);
  fp[in->x] = Fn<FnL_VN>(in->p)(RdV(fp + in->y), in->z);
  NEXT(InP4);
}
L_SimdReplace32 : {
  IN(InP4);
  WrV(fp + in->x,
      Fn<FnV_VNI>(in->p)(RdV(fp + in->y), in->w, Rd<u32>(fp[in->z])));
  NEXT(InP4);
}
L_SimdReplace64 : {
  IN(InP4);
  WrV(fp + in->x, Fn<FnV_VNL>(in->p)(RdV(fp + in->y), in->w, fp[in->z]));
  NEXT(InP4);
}
L_SimdShuffle : {
  IN(InV);
  uint8_t ab[32];
  std::memcpy(ab, fp + in->y, 16);
  std::memcpy(ab + 16, fp + in->z, 16);
  V128 r;
  for (int i = 0; i < 16; ++i)
    r.bytes[i] = ab[in->bytes[i] & 31];
  WrV(fp + in->x, r);
  NEXT(InV);
}
L_SimdLoad : {
  IN(InP4);
  EA(in->y, 0, in->z, in->w);
  WrV(fp + in->x, Fn<FnV_P>(in->p)(mem + ea));
  NEXT(InP4);
}
L_SimdLoadLane : {
  IN(InP6);
  EA(in->y, 0, in->z, in->v);
  WrV(fp + in->x, Fn<FnV_PVN>(in->p)(mem + ea, RdV(fp + in->w), in->u));
  NEXT(InP6);
}
L_SimdStoreLane : {
  IN(InP6);
  EA(in->y, 0, in->z, in->v);
  Fn<Fn_PVN>(in->p)(mem + ea, RdV(fp + in->x), in->u);
  NEXT(InP6);
}

trap:
  return Trap::Of(st->trap_kind);
trap_host:
  return std::move(st->host_trap);

#undef DISPATCH
#undef NEXT
#undef IN
#undef TRAP
#undef LOAD_MEM
#undef CHECK_INTERRUPT
#undef TAKE
#undef EA
#undef PUSH_FRAME
}

} // namespace

const Handler* HandlerTable() {
  static const Handler* table = [] {
    Run(nullptr, nullptr, nullptr, nullptr);
    return g_handlers;
  }();
  return table;
}

std::optional<Trap> Execute(Store& store, ExecState& st, FuncInstImpl* f,
                            uint64_t* fp) {
  return Run(&store, &st, f, fp);
}

} // namespace weft::interp
