// The compiled tier's run-time side (no LLVM here): per-Store state and
// instance contexts, the entry from the host (JitModule::Invoke), the
// helpers generated code calls, and trap delivery.
//
// Traps: JitModule::Invoke pushes an Activation (a sigjmp_buf) on a
// thread-local chain before entering generated code. A trap raised by
// generated code (weft_rt_trap), by a helper, or by the SIGSEGV/SIGBUS
// handler for an access into a guest memory's reservation siglongjmps to
// the innermost Activation, which turns it into the call's Trap. Between an
// Activation and the code that jumps there are only generated frames and
// helper frames with nothing to destroy (helpers that run C++ code with
// destructors finish it in a separate function before raising).
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "native/jit_module.h"

namespace weft::jit {

struct InstanceCtx {
  VMCtx vm;
  std::vector<Cell*> global_cells;
  std::vector<void*> table_views; // see VMCtx::tables
};

struct JitStoreState final : TierState {
  std::unordered_map<const InstanceImpl*, std::unique_ptr<InstanceCtx>> ctxs;
  // Every context, for the signal handler: compiled code of one instance
  // calls another's directly, so the faulting memory may be any of them.
  std::vector<VMCtx*> all;
  uintptr_t stack_limit = 0; // of the thread that last entered
};

namespace {

struct Activation {
  sigjmp_buf buf;
  Activation* prev = nullptr;
  VMCtx* ctx = nullptr; // context of the code entered
  JitStoreState* state = nullptr;
  bool in_guest = true; // false while a host function runs
  TrapKind kind = TrapKind::Unreachable;
  bool has_full = false; // `full` holds the trap (host traps)
  Trap full;
};

thread_local Activation* tl_act = nullptr;
thread_local uintptr_t tl_stack_limit = 0;
thread_local bool tl_altstack = false;

// Native stack kept free below the guest's limit: host functions called by
// the guest and the runtime's own frames run there.
constexpr uintptr_t kStackReserve = 256 * 1024;

uintptr_t StackLimit() {
  if (tl_stack_limit != 0) return tl_stack_limit;
  pthread_attr_t attr;
  void* addr = nullptr;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
  }
  uintptr_t low = reinterpret_cast<uintptr_t>(addr);
  if (low == 0) {
    // Unknown: allow 1 MiB below the current frame.
    low = reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) - (1 << 20);
  }
  tl_stack_limit = low + kStackReserve;
  return tl_stack_limit;
}

[[noreturn]] void Raise(TrapKind kind) {
  Activation* a = tl_act;
  a->kind = kind;
  siglongjmp(a->buf, 1);
}

[[noreturn]] void RaiseFull() { siglongjmp(tl_act->buf, 1); }

// --- signals -------------------------------------------------------------

struct sigaction g_prev_segv, g_prev_bus;

void OnFault(int sig, siginfo_t* info, void* uctx) {
  Activation* a = tl_act;
  if (a != nullptr && a->in_guest && a->state != nullptr) {
    const uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
    for (const VMCtx* c : a->state->all) {
      const uintptr_t base = reinterpret_cast<uintptr_t>(c->mem_base);
      if (base != 0 && addr - base < c->mem_reserved) {
        a->kind = TrapKind::MemoryOutOfBounds;
        a->has_full = false;
        siglongjmp(a->buf, 1);
      }
    }
  }
  // Not a guest access: hand it to whoever was there before us.
  const struct sigaction& prev = sig == SIGBUS ? g_prev_bus : g_prev_segv;
  if (prev.sa_flags & SA_SIGINFO) {
    prev.sa_sigaction(sig, info, uctx);
    return;
  }
  if (prev.sa_handler == SIG_IGN) return;
  if (prev.sa_handler != SIG_DFL) {
    prev.sa_handler(sig);
    return;
  }
  signal(sig, SIG_DFL); // the faulting instruction re-runs and kills us
}

void InstallSignalHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = OnFault;
    // SA_NODEFER: we leave the handler by siglongjmp without restoring the
    // signal mask (sigsetjmp(..., 0) saves none: no syscall per call), so
    // the signal must not stay blocked.
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_prev_segv);
    sigaction(SIGBUS, &sa, &g_prev_bus);
  });
  if (!tl_altstack) {
    // An alternate stack so the handler runs even when the fault is a
    // native stack overflow. Leaked on thread exit (64 KiB per thread
    // that ever ran compiled code).
    stack_t ss;
    std::memset(&ss, 0, sizeof ss);
    stack_t old;
    if (sigaltstack(nullptr, &old) == 0 && !(old.ss_flags & SS_DISABLE)) {
      tl_altstack = true;
      return;
    }
    constexpr size_t kAltSize = 64 * 1024;
    void* p = mmap(nullptr, kAltSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      ss.ss_sp = p;
      ss.ss_size = kAltSize;
      sigaltstack(&ss, nullptr);
    }
    tl_altstack = true;
  }
}

// --- contexts --------------------------------------------------------------

JitStoreState& State(Store& store) {
  Store::Impl& s = store.impl();
  if (!s.compiled_state) s.compiled_state = std::make_unique<JitStoreState>();
  return static_cast<JitStoreState&>(*s.compiled_state);
}

// Code compiled for guard pages needs the full reservation; code with
// explicit bounds checks runs with any (docs/compiled-tier.md).
bool Runnable(const VMCtx& c) {
  return (c.code_flags & kCodeExplicitBounds) != 0 || c.mem_reserved == 0 ||
         c.mem_reserved >= kGuardReservation || c.inst->memories.empty();
}

std::optional<Trap> NotRunnable() {
  return Trap{TrapKind::Host,
              "compiled tier: memory reservation smaller than 8 GiB and the "
              "code was compiled for guard pages (compile with "
              "WEFT_BOUNDS_CHECKS=explicit)"};
}

// Whether generated code may read a std::vector<Ref> as {begin, end}.
bool VectorIsBeginEnd() {
  static const bool ok = [] {
    std::vector<Ref> v(3);
    void* const* raw = reinterpret_cast<void* const*>(&v);
    return raw[0] == static_cast<void*>(v.data()) &&
           raw[1] == static_cast<void*>(v.data() + 3);
  }();
  return ok;
}

VMCtx* CtxFor(Store& store, InstanceImpl* inst) {
  JitStoreState& st = State(store);
  auto& slot = st.ctxs[inst];
  if (slot) return &slot->vm;
  auto c = std::make_unique<InstanceCtx>();
  VMCtx& vm = c->vm;
  MemoryImpl* m = inst->mem0 ? inst->mem0 : EmptyMemory();
  vm.mem_base = m->base;
  vm.mem_size = &m->size;
  vm.mem_reserved = m->reserved_bytes();
  vm.interrupt = &store.impl().interrupt;
  vm.stack_limit = st.stack_limit;
  for (GlobalImpl* g : inst->globals)
    c->global_cells.push_back(&g->cell);
  vm.globals = c->global_cells.data();
  vm.funcs = inst->funcs.data();
  static void* const kEmptyView[2] = {nullptr, nullptr};
  for (TableImpl* t : inst->tables)
    c->table_views.push_back(VectorIsBeginEnd()
                                 ? static_cast<void*>(&t->elems)
                                 : const_cast<void**>(kEmptyView));
  vm.tables = c->table_views.data();
  vm.type_ids = inst->type_ids.data();
  vm.inst = inst;
  vm.store = &store;
  vm.state = &st;
  // Direct calls into this instance's functions from now on (unless its
  // code cannot run with this memory: see Runnable).
  const Module& mod = inst->tier->module();
  std::vector<std::pair<FuncInstImpl*, uint64_t>> code;
  for (size_t i = mod.num_imported_funcs; i < inst->funcs.size(); ++i) {
    FuncInstImpl* f = inst->funcs[i];
    uint64_t q[2] = {0, 0};
    reinterpret_cast<EntryFn>(const_cast<void*>(f->code))(nullptr, q);
    vm.code_flags = q[1];
    code.push_back({f, q[0]});
  }
  for (auto [f, addr] : code) {
    f->native_fn = Runnable(vm) ? reinterpret_cast<const void*>(addr) : nullptr;
    f->native_ctx = &vm;
  }
  st.all.push_back(&vm);
  slot = std::move(c);
  // Imported compiled functions get their contexts too, so calls to them
  // are direct from the start.
  for (size_t i = 0; i < mod.num_imported_funcs; ++i) {
    FuncInstImpl* f = inst->funcs[i];
    if (f->tier_kind == kCompiledTier && f->native_fn == nullptr)
      CtxFor(store, f->instance);
  }
  return &vm;
}

// Gives every context the stack limit of the thread entering now.
void SetStackLimit(JitStoreState& st) {
  const uintptr_t limit = StackLimit();
  if (st.stack_limit == limit) return;
  st.stack_limit = limit;
  for (VMCtx* c : st.all)
    c->stack_limit = limit;
}

// Slot index of value i of `types` (a v128 takes two slots).
size_t SlotOffset(const std::vector<ValType>& types, size_t i) {
  size_t off = 0;
  for (size_t k = 0; k < i; ++k)
    off += SlotCount(types[k]);
  return off;
}

// Runs `entry` under a new Activation; returns true on a trap (in `out`).
[[gnu::noinline]] bool RunGuarded(EntryFn entry, VMCtx* ctx, uint64_t* slots,
                                  Activation& act) {
  if (sigsetjmp(act.buf, 0) != 0) return true;
  entry(ctx, slots);
  return false;
}

// Calls f (host, interpreter, or another instance's compiled code) with
// args/results in slots. Returns a trap instead of raising it, so its
// locals are destroyed before the caller jumps.
[[gnu::noinline]] std::optional<Trap> CallSlow(VMCtx* ctx, FuncInstImpl* f,
                                               uint64_t* slots) {
  Store& store = *ctx->store;
  Store::Impl& s = store.impl();
  Activation* act = tl_act;
  if (f->tier_kind == kCompiledTier) {
    VMCtx* callee = CtxFor(store, f->instance);
    if (!Runnable(*callee)) return NotRunnable();
    act->ctx = callee;
    reinterpret_cast<EntryFn>(const_cast<void*>(f->code))(callee, slots);
    act->ctx = ctx;
    return std::nullopt;
  }
  const FuncType& type = f->type_;
  const size_t np = type.params.size(), nr = type.results.size();
  std::vector<Value> argv(np + nr);
  for (size_t i = 0; i < np; ++i)
    argv[i] = SlotsToValue(type.params[i], slots + SlotOffset(type.params, i));
  for (size_t i = 0; i < nr; ++i)
    argv[np + i] = Value::Default(type.results[i]);
  std::span<const Value> in(argv.data(), np);
  std::span<Value> out(argv.data() + np, nr);
  Instance* saved_caller = s.caller;
  s.caller = ctx->inst;
  act->in_guest = false;
  std::optional<Trap> trap;
  if (f->is_host()) {
    if (s.call_nesting >= kMaxCallNesting) {
      trap = Trap::Of(TrapKind::CallStackExhausted);
    } else {
      ++s.call_nesting;
      trap = f->host(store, in, out);
      --s.call_nesting;
    }
  } else {
    trap = f->tier->Invoke(store, f, in, out);
  }
  act->in_guest = true;
  s.caller = saved_caller;
  if (trap) return trap;
  for (size_t i = 0; i < nr; ++i) {
    Value v = out[i];
    v.type = type.results[i];
    ValueToSlots(v, slots + SlotOffset(type.results, i));
  }
  return std::nullopt;
}

void CallFunc(VMCtx* ctx, FuncInstImpl* f, uint64_t* slots) {
  if (f->tier_kind == kCompiledTier && f->instance == ctx->inst) {
    reinterpret_cast<EntryFn>(const_cast<void*>(f->code))(ctx, slots);
    return;
  }
  // A trap is moved into the activation here, then raised with no C++
  // object left alive in this frame.
  {
    std::optional<Trap> t = CallSlow(ctx, f, slots);
    if (!t) return;
    tl_act->full = std::move(*t);
    tl_act->has_full = true;
  }
  RaiseFull();
}

} // namespace

std::optional<Trap> JitModule::Invoke(Store& store, FuncInstImpl* f,
                                      std::span<const Value> args,
                                      std::span<Value> results) const {
  InstallSignalHandlers();
  VMCtx* ctx = CtxFor(store, f->instance);
  if (!Runnable(*ctx)) return NotRunnable();
  JitStoreState& st = *ctx->state;
  SetStackLimit(st);
  const FuncType& type = f->type();
  std::vector<uint64_t> slots(
      std::max<size_t>({SlotCount(type.params), SlotCount(type.results), 1}));
  for (size_t i = 0; i < args.size(); ++i)
    ValueToSlots(args[i], &slots[SlotOffset(type.params, i)]);
  Activation act;
  act.prev = tl_act;
  act.ctx = ctx;
  act.state = &st;
  tl_act = &act;
  const bool trapped =
      RunGuarded(entries[f->defined_index], ctx, slots.data(), act);
  tl_act = act.prev;
  if (trapped) {
    if (act.has_full) return std::move(act.full);
    return Trap::Of(act.kind);
  }
  for (size_t i = 0; i < results.size(); ++i)
    results[i] =
        SlotsToValue(type.results[i], &slots[SlotOffset(type.results, i)]);
  return std::nullopt;
}

} // namespace weft::jit

// --- helpers called by generated code ----------------------------------------

using weft::jit::VMCtx;
using namespace weft;

namespace {

InstanceImpl& Inst(VMCtx* c) { return *c->inst; }

[[noreturn]] void TrapOf(TrapKind k) { weft::jit::Raise(k); }

} // namespace

extern "C" {

[[noreturn]] void weft_rt_trap(VMCtx*, uint32_t kind) {
  TrapOf(static_cast<TrapKind>(kind));
}

void weft_rt_call(VMCtx* c, uint32_t func_index, uint64_t* slots) {
  weft::jit::CallFunc(c, Inst(c).funcs[func_index], slots);
}

void weft_rt_call_indirect(VMCtx* c, uint32_t table, uint32_t type_index,
                           uint32_t elem, uint64_t* slots) {
  InstanceImpl& inst = Inst(c);
  TableImpl* t = inst.tables[table];
  if (elem >= t->elems.size()) TrapOf(TrapKind::UndefinedElement);
  Ref r = t->elems[elem];
  if (r == nullptr) TrapOf(TrapKind::UninitializedElement);
  FuncInstImpl* f = RefToFunc(r);
  if (f->type_id != inst.type_ids[type_index])
    TrapOf(TrapKind::IndirectCallTypeMismatch);
  weft::jit::CallFunc(c, f, slots);
}

uint32_t weft_rt_memory_grow(VMCtx* c, uint32_t delta) {
  MemoryImpl* m = Inst(c).mem0;
  if (m == nullptr) return 0xFFFFFFFFu;
  auto old = m->Grow(delta);
  return old ? static_cast<uint32_t>(*old) : 0xFFFFFFFFu;
}

void weft_rt_memory_fill(VMCtx* c, uint32_t d, uint32_t val, uint32_t n) {
  if (uint64_t{d} + n > *c->mem_size) TrapOf(TrapKind::MemoryOutOfBounds);
  if (n) std::memset(c->mem_base + d, static_cast<uint8_t>(val), n);
}

void weft_rt_memory_copy(VMCtx* c, uint32_t d, uint32_t s, uint32_t n) {
  const uint64_t size = *c->mem_size;
  if (uint64_t{s} + n > size || uint64_t{d} + n > size)
    TrapOf(TrapKind::MemoryOutOfBounds);
  if (n) std::memmove(c->mem_base + d, c->mem_base + s, n);
}

void weft_rt_memory_init(VMCtx* c, uint32_t seg_index, uint32_t d, uint32_t s,
                         uint32_t n) {
  const DataInst& seg = Inst(c).datas[seg_index];
  if (uint64_t{s} + n > seg.size || uint64_t{d} + n > *c->mem_size)
    TrapOf(TrapKind::MemoryOutOfBounds);
  if (n) std::memcpy(c->mem_base + d, seg.bytes + s, n);
}

void weft_rt_data_drop(VMCtx* c, uint32_t seg) {
  Inst(c).datas[seg] = DataInst{};
}

void* weft_rt_table_get(VMCtx* c, uint32_t table, uint32_t i) {
  TableImpl* t = Inst(c).tables[table];
  if (i >= t->elems.size()) TrapOf(TrapKind::TableOutOfBounds);
  return t->elems[i];
}

void weft_rt_table_set(VMCtx* c, uint32_t table, uint32_t i, void* v) {
  TableImpl* t = Inst(c).tables[table];
  if (i >= t->elems.size()) TrapOf(TrapKind::TableOutOfBounds);
  t->elems[i] = v;
}

uint32_t weft_rt_table_size(VMCtx* c, uint32_t table) {
  return static_cast<uint32_t>(Inst(c).tables[table]->elems.size());
}

uint32_t weft_rt_table_grow(VMCtx* c, uint32_t table, void* init,
                            uint32_t delta) {
  auto old = Inst(c).tables[table]->Grow(delta, init);
  return old ? static_cast<uint32_t>(*old) : 0xFFFFFFFFu;
}

void weft_rt_table_fill(VMCtx* c, uint32_t table, uint32_t i, void* v,
                        uint32_t n) {
  TableImpl* t = Inst(c).tables[table];
  if (uint64_t{i} + n > t->elems.size()) TrapOf(TrapKind::TableOutOfBounds);
  std::fill(t->elems.begin() + i, t->elems.begin() + i + n, v);
}

void weft_rt_table_copy(VMCtx* c, uint32_t dst, uint32_t src, uint32_t d,
                        uint32_t s, uint32_t n) {
  TableImpl* dt = Inst(c).tables[dst];
  TableImpl* st = Inst(c).tables[src];
  if (uint64_t{s} + n > st->elems.size() || uint64_t{d} + n > dt->elems.size())
    TrapOf(TrapKind::TableOutOfBounds);
  if (n)
    std::memmove(dt->elems.data() + d, st->elems.data() + s, n * sizeof(Ref));
}

void weft_rt_table_init(VMCtx* c, uint32_t table, uint32_t seg_index,
                        uint32_t d, uint32_t s, uint32_t n) {
  TableImpl* t = Inst(c).tables[table];
  const std::vector<Ref>& seg = Inst(c).elems[seg_index].refs;
  if (uint64_t{s} + n > seg.size() || uint64_t{d} + n > t->elems.size())
    TrapOf(TrapKind::TableOutOfBounds);
  if (n) std::memcpy(t->elems.data() + d, seg.data() + s, n * sizeof(Ref));
}

void weft_rt_elem_drop(VMCtx* c, uint32_t seg) {
  // Freed outside the jump path: a plain call that returns.
  std::vector<Ref>().swap(Inst(c).elems[seg].refs);
}

void* weft_rt_ref_func(VMCtx* c, uint32_t func_index) {
  return FuncToRef(Inst(c).funcs[func_index]);
}

} // extern "C"

namespace weft::jit {

const HelperSymbol* Helpers(size_t& count) {
  static const HelperSymbol kHelpers[] = {
#define H(n) {#n, reinterpret_cast<void*>(&n)}
      H(weft_rt_trap),        H(weft_rt_call),        H(weft_rt_call_indirect),
      H(weft_rt_memory_grow), H(weft_rt_memory_fill), H(weft_rt_memory_copy),
      H(weft_rt_memory_init), H(weft_rt_data_drop),   H(weft_rt_table_get),
      H(weft_rt_table_set),   H(weft_rt_table_size),  H(weft_rt_table_grow),
      H(weft_rt_table_fill),  H(weft_rt_table_copy),  H(weft_rt_table_init),
      H(weft_rt_elem_drop),   H(weft_rt_ref_func),
#undef H
  };
  count = sizeof(kHelpers) / sizeof(kHelpers[0]);
  return kHelpers;
}

} // namespace weft::jit
