// canon lower (CallLowered) and canon lift (CallLifted): the two ways a
// call crosses the boundary, with the spec's flattening limits, realloc,
// post-return, borrow scopes and may_enter/may_leave.
#include <array>

#include "component/abi_internal.h"

namespace weft::component {

using abi::Cx;

namespace abi {

bool Cx::CheckRange(uint64_t ptr, uint64_t len, uint64_t align,
                    const char* what) {
  if (!opts.memory)
    return Fail(std::string(what) + " needs a memory, and the site has none");
  if (ptr % align != 0)
    return Fail(std::string(what) + " pointer " + std::to_string(ptr) +
                " is not " + std::to_string(align) + "-byte aligned");
  if (ptr + len > mem_size)
    return Fail(std::string(what) + " at " + std::to_string(ptr) + " of " +
                std::to_string(len) + " bytes is out of bounds of memory (" +
                std::to_string(mem_size) + " bytes)");
  return true;
}

bool Cx::Realloc(uint32_t old, uint32_t old_size, uint32_t align,
                 uint32_t new_size, uint32_t* ptr) {
  if (!opts.realloc || !opts.memory)
    return Fail("passing a string or list into the guest needs its realloc "
                "and memory, and the site has none");
  const std::array<Value, 4> args = {Value::I32(old), Value::I32(old_size),
                                     Value::I32(align), Value::I32(new_size)};
  const bool saved = inst.may_leave;
  inst.may_leave = false;
  Value result;
  std::optional<Trap> t = store.Call(opts.realloc, args, std::span(&result, 1));
  inst.may_leave = saved;
  Refresh();
  if (t) {
    trap = std::move(t);
    return false;
  }
  if (result.type != weft::ValType::I32)
    return Fail("realloc does not return one i32");
  *ptr = result.i32;
  if (*ptr % align != 0)
    return Fail("realloc returned " + std::to_string(*ptr) + ", not " +
                std::to_string(align) + "-byte aligned");
  if (uint64_t{*ptr} + new_size > mem_size)
    return Fail("realloc returned " + std::to_string(*ptr) + " for " +
                std::to_string(new_size) + " bytes, out of bounds of memory (" +
                std::to_string(mem_size) + " bytes)");
  return true;
}

ResourceType* Cx::Resource(const ValType& t) {
  if (resources && t.resource < resources->size())
    if (ResourceType* rt = (*resources)[t.resource]) return rt;
  std::string name = t.resource < types.resources.size()
                         ? types.resources[t.resource].name
                         : std::to_string(t.resource);
  Fail("resource type '" + name + "' is not bound at this site");
  return nullptr;
}

} // namespace abi

// ---------------------------------------------------------------------------
// Handle tables and resource built-ins.

std::optional<uint32_t> HandleTable::Add(const HandleElem& e) {
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
    elems_[index - 1] = e;
    used_[index - 1] = true;
  } else {
    if (elems_.size() >= kMaxHandles) return std::nullopt;
    elems_.push_back(e);
    used_.push_back(true);
    index = static_cast<uint32_t>(elems_.size());
  }
  ++live_;
  return index;
}

HandleElem* HandleTable::Get(uint32_t index) {
  if (index == 0 || index > elems_.size() || !used_[index - 1]) return nullptr;
  return &elems_[index - 1];
}

std::optional<HandleElem> HandleTable::Remove(uint32_t index) {
  HandleElem* e = Get(index);
  if (!e) return std::nullopt;
  HandleElem out = *e;
  used_[index - 1] = false;
  free_.push_back(index);
  --live_;
  return out;
}

namespace {

Trap HostTrap(std::string m) { return Trap{TrapKind::Host, std::move(m), 0}; }

// The handle `index` of type `rt`, or a trap naming the built-in.
std::optional<Trap> FindHandle(InstanceState& inst, ResourceType* rt,
                               uint32_t index, const char* builtin,
                               HandleElem** out) {
  HandleElem* h = inst.handles.Get(index);
  const std::string name = rt ? rt->name : "?";
  if (!h)
    return HostTrap(std::string(builtin) + " of '" + name +
                    "': unknown handle " + std::to_string(index));
  if (h->type != rt)
    return HostTrap(std::string(builtin) + " of '" + name + "': handle " +
                    std::to_string(index) + " is a '" +
                    (h->type ? h->type->name : "?") + "'");
  *out = h;
  return std::nullopt;
}

} // namespace

std::optional<Trap> ResourceNew(InstanceState& instance, ResourceType* type,
                                uint32_t rep, uint32_t* handle) {
  if (!instance.may_leave)
    return HostTrap("resource.new: the instance may not leave (it is in "
                    "post-return or realloc)");
  HandleElem e;
  e.type = type;
  e.rep = rep;
  e.own = true;
  std::optional<uint32_t> i = instance.handles.Add(e);
  if (!i) return HostTrap("resource.new: the handle table is full");
  *handle = *i;
  return std::nullopt;
}

std::optional<Trap> ResourceDrop(Store& store, InstanceState& instance,
                                 ResourceType* type, uint32_t handle) {
  if (!instance.may_leave)
    return HostTrap("resource.drop: the instance may not leave (it is in "
                    "post-return or realloc)");
  HandleElem* h = nullptr;
  if (auto t = FindHandle(instance, type, handle, "resource.drop", &h))
    return t;
  if (h->lend_count != 0)
    return HostTrap("resource.drop of '" + type->name + "': own handle " +
                    std::to_string(handle) +
                    " is lent out to a call in progress");
  const HandleElem e = *instance.handles.Remove(handle);
  if (!e.own) { // a borrow ends: its task may return
    for (auto it = instance.tasks.rbegin(); it != instance.tasks.rend(); ++it)
      if (it->scope == e.scope) {
        if (it->borrows > 0) --it->borrows;
        break;
      }
    return std::nullopt;
  }
  if (!type->owner) {
    if (type->host_drop) type->host_drop(e.rep);
    return std::nullopt;
  }
  if (!type->dtor) return std::nullopt;
  InstanceState* owner = type->owner;
  const bool enters = owner != &instance;
  if (enters && !owner->may_enter)
    return HostTrap("resource.drop of '" + type->name +
                    "': cannot enter the instance that defines it to run "
                    "its destructor (a call into it is in progress)");
  if (enters) owner->may_enter = false;
  const Value arg = Value::I32(e.rep);
  std::optional<Trap> t =
      store.Call(type->dtor, std::span<const Value>(&arg, 1), {});
  if (enters) owner->may_enter = true;
  return t;
}

std::optional<Trap> ResourceRep(InstanceState& instance, ResourceType* type,
                                uint32_t handle, uint32_t* rep) {
  HandleElem* h = nullptr;
  if (auto t = FindHandle(instance, type, handle, "resource.rep", &h)) return t;
  *rep = h->rep;
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Calls.

namespace {

// A vector<Val> from a small per-thread pool: the containers of a call's
// arguments and results keep their capacity from call to call.
class ScratchVals {
public:
  ScratchVals() {
    auto& pool = Pool();
    if (!pool.empty()) {
      v_ = std::move(pool.back());
      pool.pop_back();
    }
  }
  ~ScratchVals() {
    v_.clear();
    auto& pool = Pool();
    if (pool.size() < 16) pool.push_back(std::move(v_));
  }
  ScratchVals(const ScratchVals&) = delete;
  ScratchVals& operator=(const ScratchVals&) = delete;
  std::vector<Val>& get() { return v_; }

private:
  static std::vector<std::vector<Val>>& Pool() {
    thread_local std::vector<std::vector<Val>> pool;
    return pool;
  }
  std::vector<Val> v_;
};

// The flat shape of a function's params or results.
struct Shape {
  AbiLayout flat;     // concatenated flat types (count saturated)
  uint32_t align = 1; // as a tuple in memory
  uint64_t size = 0;
  uint64_t values = 0;
};

template <typename Ids> bool ShapeOf(Cx& cx, const Ids& ids, Shape* s) {
  uint64_t off = 0;
  for (TypeId id : ids) {
    if (!abi::CheckTypeValid(cx, id)) return false;
    const AbiLayout& l = cx.lay[id];
    const uint32_t total = s->flat.flat_count + l.flat_count;
    if (total > kMaxFlatParams) {
      s->flat.flat_count = kMaxFlatParams + 1;
    } else {
      std::copy_n(l.flat, l.flat_count, s->flat.flat + s->flat.flat_count);
      s->flat.flat_count = static_cast<uint8_t>(total);
    }
    off = abi::AlignTo(off, l.align) + l.size;
    s->align = std::max<uint32_t>(s->align, l.align);
    s->values += l.values;
  }
  s->size = abi::AlignTo(off, s->align);
  return true;
}

struct ParamIds {
  const std::vector<Field>& fields;
  struct It {
    std::vector<Field>::const_iterator i;
    TypeId operator*() const { return i->type; }
    It& operator++() {
      ++i;
      return *this;
    }
    bool operator!=(const It& o) const { return i != o.i; }
  };
  It begin() const { return {fields.begin()}; }
  It end() const { return {fields.end()}; }
};

// Loads / stores values laid out as a tuple at ptr.
template <typename Ids>
bool LoadTuple(Cx& cx, const Ids& ids, uint32_t ptr, std::vector<Val>& out) {
  uint64_t off = 0;
  size_t i = 0;
  for (TypeId id : ids) {
    off = abi::AlignTo(off, cx.lay[id].align);
    if (!abi::LoadVal(cx, ptr + static_cast<uint32_t>(off), id, out[i++]))
      return false;
    off += cx.lay[id].size;
  }
  return true;
}

template <typename Ids>
bool StoreTuple(Cx& cx, const Ids& ids, uint32_t ptr,
                std::span<const Val> vals) {
  uint64_t off = 0;
  size_t i = 0;
  for (TypeId id : ids) {
    off = abi::AlignTo(off, cx.lay[id].align);
    if (!abi::StoreVal(cx, vals[i++], id, ptr + static_cast<uint32_t>(off)))
      return false;
    off += cx.lay[id].size;
  }
  return true;
}

// Layouts for a site: its own, or computed for this call.
struct SiteLayouts {
  std::optional<AbiLayouts> made;
  const AbiLayouts* p;
  explicit SiteLayouts(const Site& s) : p(s.layouts) {
    if (!p) p = &made.emplace(*s.types);
  }
};

bool ChargeValues(Cx& cx, uint64_t n) {
  if (n > cx.values_left) return cx.Fail("the call's values exceed the limit");
  cx.values_left -= n;
  return true;
}

} // namespace

std::optional<Trap> CallLowered(const Site& site,
                                std::span<const Value> core_args,
                                std::span<Value> core_results,
                                const Callee& callee) {
  InstanceState& inst = *site.instance;
  if (!inst.may_leave)
    return HostTrap("cannot call an import: the instance may not leave (it "
                    "is in post-return or realloc)");
  SiteLayouts layouts(site);
  Cx cx(*site.store, *site.types, *layouts.p, site.opts, inst, site.resources);
  cx.Refresh();
  cx.SetLiftBudget();
  const FuncType& f = *site.type;
  Shape params, results;
  if (!ShapeOf(cx, ParamIds{f.params}, &params) ||
      !ShapeOf(cx, f.results, &results))
    return std::move(cx.trap);
  const bool params_in_memory = params.flat.flat_count > kMaxFlatParams;
  const bool results_in_memory = results.flat.flat_count > kMaxFlatResults;
  const size_t want_args = (params_in_memory ? 1 : params.flat.flat_count) +
                           (results_in_memory ? 1 : 0);
  const size_t want_results = results_in_memory ? 0 : results.flat.flat_count;
  if (core_args.size() != want_args || core_results.size() != want_results)
    return HostTrap("core arguments or results do not match the lowered "
                    "function's type");

  abi::Lends lends;
  cx.lends = &lends;
  ScratchVals args_buf, results_buf;
  std::vector<Val>& args = args_buf.get();
  args.resize(f.params.size());
  bool ok = ChargeValues(cx, params.values);
  if (ok && params_in_memory) {
    const uint32_t ptr = core_args[0].i32;
    ok = cx.CheckRange(ptr, params.size, params.align, "parameters") &&
         LoadTuple(cx, ParamIds{f.params}, ptr, args);
  } else if (ok) {
    abi::FlatIn in{core_args.data(), core_args.size()};
    for (size_t i = 0; ok && i < f.params.size(); ++i)
      ok = abi::LiftFlat(cx, in, f.params[i].type, args[i]);
  }
  if (!ok) {
    lends.Release(inst.handles);
    return std::move(cx.trap);
  }
  cx.lends = nullptr; // no borrows in results

  std::vector<Val>& res = results_buf.get();
  if (std::optional<Trap> t = callee(args, res)) {
    lends.Release(inst.handles);
    return t;
  }
  cx.Refresh();
  if (res.size() != f.results.size())
    ok = cx.Fail("the callee returned " + std::to_string(res.size()) +
                 " results, its type has " + std::to_string(f.results.size()));
  else if (results_in_memory) {
    const uint32_t ptr = core_args.back().i32;
    ok = cx.CheckRange(ptr, results.size, results.align, "results") &&
         StoreTuple(cx, f.results, ptr, res);
  } else if (!f.results.empty()) {
    abi::FlatOut out{core_results.data(), results.flat.flat,
                     core_results.size()};
    ok = abi::LowerFlat(cx, res[0], f.results[0], out);
  }
  lends.Release(inst.handles);
  if (!ok) return std::move(cx.trap);
  return std::nullopt;
}

namespace {

// Ends a call into `inst`: its task frame goes, with any borrow handles it
// still has (only after a trap), and the instance may be entered again.
void EndTask(InstanceState& inst, size_t task) {
  const TaskFrame frame = inst.tasks[task];
  inst.tasks.resize(task);
  if (frame.borrows > 0) {
    for (uint32_t i = 1; i < inst.handles.end(); ++i)
      if (HandleElem* h = inst.handles.Get(i);
          h && !h->own && h->scope == frame.scope)
        inst.handles.Remove(i);
  }
  inst.may_enter = true;
}

std::string FirstBorrow(InstanceState& inst, uint32_t scope) {
  for (uint32_t i = 1; i < inst.handles.end(); ++i) {
    HandleElem* h = inst.handles.Get(i);
    if (h && !h->own && h->scope == scope)
      return "borrow handle " + std::to_string(i) + " of '" +
             (h->type ? h->type->name : "?") + "'";
  }
  return "a borrow handle";
}

} // namespace

std::optional<Trap> CallLifted(const Site& site, FuncInst* core_func,
                               std::span<const Val> args,
                               std::vector<Val>& results) {
  InstanceState& inst = *site.instance;
  if (!inst.may_enter)
    return HostTrap("cannot enter the component instance: a call into it is "
                    "in progress (re-entrance)");
  const FuncType& f = *site.type;
  if (args.size() != f.params.size())
    return HostTrap(std::to_string(args.size()) +
                    " arguments for a function "
                    "of " +
                    std::to_string(f.params.size()) + " parameters");
  SiteLayouts layouts(site);
  Cx cx(*site.store, *site.types, *layouts.p, site.opts, inst, site.resources);
  cx.Refresh();
  Shape params, rshape;
  if (!ShapeOf(cx, ParamIds{f.params}, &params) ||
      !ShapeOf(cx, f.results, &rshape))
    return std::move(cx.trap);

  inst.may_enter = false;
  const size_t task = inst.tasks.size();
  inst.tasks.push_back(TaskFrame{inst.next_scope++, 0});
  cx.task = static_cast<int>(task);
  auto fail = [&](std::optional<Trap> t) {
    results.clear();
    EndTask(inst, task);
    inst.may_leave = true;
    return t;
  };

  // Arguments: flat, or a tuple in memory from realloc.
  std::array<Value, kMaxFlatParams> flat;
  size_t nflat = 0;
  if (params.flat.flat_count > kMaxFlatParams) {
    uint32_t ptr = 0;
    if (!cx.Realloc(0, 0, params.align, static_cast<uint32_t>(params.size),
                    &ptr) ||
        !StoreTuple(cx, ParamIds{f.params}, ptr, args))
      return fail(std::move(cx.trap));
    flat[0] = Value::I32(ptr);
    nflat = 1;
  } else {
    abi::FlatOut out{flat.data(), params.flat.flat, params.flat.flat_count};
    for (size_t i = 0; i < args.size(); ++i)
      if (!abi::LowerFlat(cx, args[i], f.params[i].type, out))
        return fail(std::move(cx.trap));
    nflat = out.pos;
  }
  cx.task = -1; // no borrows in results

  const bool results_in_memory = rshape.flat.flat_count > kMaxFlatResults;
  const size_t want = results_in_memory ? 1 : rshape.flat.flat_count;
  if (core_func && core_func->type().results.size() != want)
    return fail(HostTrap("the core function returns " +
                         std::to_string(core_func->type().results.size()) +
                         " values, the lifted type needs " +
                         std::to_string(want)));
  Value core_result;
  const std::span<Value> core_results(&core_result, want);
  if (std::optional<Trap> t = site.store->Call(
          core_func, std::span(flat.data(), nflat), core_results))
    return fail(std::move(t));
  cx.Refresh();
  cx.SetLiftBudget();
  results.clear();
  results.resize(f.results.size());
  bool ok = ChargeValues(cx, rshape.values);
  if (ok && results_in_memory) {
    const uint32_t ptr = core_result.i32;
    ok = cx.CheckRange(ptr, rshape.size, rshape.align, "results") &&
         LoadTuple(cx, f.results, ptr, results);
  } else if (ok && !f.results.empty()) {
    abi::FlatIn in{core_results.data(), core_results.size()};
    ok = abi::LiftFlat(cx, in, f.results[0], results[0]);
  }
  if (!ok) return fail(std::move(cx.trap));
  // The spec's task.return: every borrow lent for the call is dropped.
  if (inst.tasks[task].borrows > 0)
    return fail(HostTrap(FirstBorrow(inst, inst.tasks[task].scope) +
                         " lent for the call was not dropped before it "
                         "returned"));
  if (site.opts.post_return) {
    inst.may_leave = false;
    std::optional<Trap> t =
        site.store->Call(site.opts.post_return, core_results, {});
    inst.may_leave = true;
    if (t) return fail(std::move(t));
  }
  EndTask(inst, task);
  return std::nullopt;
}

} // namespace weft::component
