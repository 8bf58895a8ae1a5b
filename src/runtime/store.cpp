// The Store: owns every runtime entity, interns function types, and is the
// entry point for calls from the host.
#include "runtime/store_impl.h"

namespace weft {

uint32_t Store::Impl::InternType(const FuncType& type) {
  auto key = std::make_pair(type.params, type.results);
  auto it = type_ids.find(key);
  if (it != type_ids.end()) return it->second;
  const auto id = static_cast<uint32_t>(types.size());
  types.push_back(std::make_unique<FuncType>(type));
  type_ids.emplace(std::move(key), id);
  return id;
}

FuncInstImpl* Store::Impl::NewFunc() { return &funcs.emplace_back(); }

InstanceImpl* Store::Impl::NewInstance() { return &instances.emplace_back(); }

Store::Store(const Engine& engine) : impl_(std::make_unique<Impl>(engine)) {}

Store::~Store() = default;

const Engine& Store::engine() const { return impl_->engine; }

FuncInstImpl* MakeHostFunc(Store::Impl& s, const FuncType& type, HostFunc fn) {
  FuncInstImpl* f = s.NewFunc();
  f->type_ = type;
  f->type_id = s.InternType(type);
  f->host = std::move(fn);
  f->param_slots = SlotCount(type.params);
  f->result_slots = SlotCount(type.results);
  return f;
}

FuncInst* Store::CreateHostFunc(const FuncType& type, HostFunc fn) {
  return MakeHostFunc(*impl_, type, std::move(fn));
}

TableInst* Store::CreateTable(const TableType& type, Ref init) {
  TableImpl& t = impl_->tables.emplace_back();
  t.elem_type = type.elem;
  t.max = type.limits.max;
  t.elems.assign(type.limits.min, init);
  return &t;
}

MemoryInst* Store::CreateMemory(const MemoryType& type) {
  auto m = MemoryImpl::Create(type, impl_->engine.config().max_memory_bytes);
  if (!m) return nullptr;
  impl_->memories.push_back(std::move(m));
  return impl_->memories.back().get();
}

GlobalInst* Store::CreateGlobal(const GlobalType& type, const Value& init) {
  GlobalImpl& g = impl_->globals.emplace_back();
  g.type_ = type;
  g.Set(init);
  return &g;
}

void Store::Interrupt() {
  impl_->interrupt.store(true, std::memory_order_relaxed);
}

bool Store::interrupted() const {
  return impl_->interrupt.load(std::memory_order_relaxed);
}

Instance* Store::CallerInstance() const { return impl_->caller; }

std::optional<Trap> Store::Call(FuncInst* func, std::span<const Value> args,
                                std::span<Value> results) {
  if (func == nullptr)
    return Trap{TrapKind::Host, "call of a null function", 0};
  FuncInstImpl* f = AsImpl(func);
  const FuncType& type = f->type();
  if (args.size() != type.params.size())
    return Trap{TrapKind::Host, "argument count mismatch"};
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].type != type.params[i])
      return Trap{TrapKind::Host, "argument type mismatch"};
  }
  if (results.size() != type.results.size())
    return Trap{TrapKind::Host, "result count mismatch"};
  if (impl_->call_nesting >= kMaxCallNesting)
    return Trap::Of(TrapKind::CallStackExhausted);
  if (impl_->call_nesting == 0)
    impl_->interrupt.store(false, std::memory_order_relaxed);
  for (size_t i = 0; i < results.size(); ++i)
    results[i] = Value::Default(type.results[i]);
  std::optional<Trap> trap;
  ++impl_->call_nesting;
  if (f->is_host()) {
    Instance* saved = impl_->caller;
    impl_->caller = nullptr;
    trap = f->host(*this, args, results);
    impl_->caller = saved;
  } else {
    trap = f->tier->Invoke(*this, f, args, results);
  }
  --impl_->call_nesting;
  return trap;
}

CallResult Store::Call(FuncInst* func, std::span<const Value> args) {
  CallResult r;
  if (func != nullptr) r.results.resize(AsImpl(func)->type().results.size());
  r.trap = Call(func, args, r.results);
  if (r.trap) r.results.clear();
  return r;
}

} // namespace weft
