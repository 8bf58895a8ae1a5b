// Instantiating a validated component: one walk over each (nested)
// component's definitions in binary order, keeping the run-time entity
// behind every index of every index space (core funcs/tables/memories/
// globals/modules/instances, funcs, types, components, instances), so each
// definition finds what it refers to by index, exactly as the validator
// resolved it.
//
// - core modules are compiled through the caller's CompileCoreFn (tiers,
//   cache) and instantiated with their imports looked up in the argument
//   instances by module and field name: the wit-component shim/fixup
//   pattern (a table of indirect funcs, filled by the fixup module's
//   element segment once the lowered imports exist) and several modules
//   sharing one memory are plain instances of this rule;
// - `canon lower` makes a core host function (Store::CreateHostFunc with
//   the flattened core type) whose body is abi.h's CallLowered around the
//   callee: a host function of the HostLinker, or another component's
//   lifted function;
// - `canon lift` makes a component function calling CallLifted;
// - `canon resource.new/drop/rep` are core host functions over the
//   instance's handle table; a resource definition makes a ResourceType per
//   instantiation, a host resource one per component instance, with the
//   host's drop bound to the HostData.
//
// Resources are tracked per component instance (Frame::resources): the
// validator names each abstract or defined resource by an index of the
// TypeArena, and an instantiation binds each index it meets (imports,
// aliases, instantiations, exports) to the run-time type behind it.
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>

#include "component/abi.h"
#include "component/linker.h"
#include "component/linker_internal.h"

namespace weft::component {
namespace {

// A component-level function: its type (in `types`) and how to call it
// with lifted values.
struct CFunc {
  const TypeArena* types = nullptr;
  const FuncType* type = nullptr;
  Callee call;
  // A lifted function: the instance it enters.
  InstanceState* enters = nullptr;
};

struct RtInstance;
struct ComponentDefRt;
struct ModuleRt;

// What one index of a component-level index space holds.
struct Entity {
  Sort sort = Sort::Func;
  CFunc* func = nullptr;               // Func
  RtInstance* instance = nullptr;      // Instance
  ResourceType* resource = nullptr;    // Type (null: a value type)
  ComponentDefRt* component = nullptr; // Component
  ModuleRt* module = nullptr;          // CoreModule
};

struct RtInstance {
  std::map<std::string, Entity, std::less<>> exports;
};

struct Frame;
struct ComponentDefRt {
  uint32_t scope = 0;
  Frame* parent = nullptr; // where it was defined (for outer aliases)
};

struct ModuleRt {
  std::span<const uint8_t> bytes;
  std::shared_ptr<const CompiledModule> compiled; // on first instantiation
};

struct CoreInst {
  Instance* instance = nullptr;                       // Instantiate
  std::map<std::string, Extern, std::less<>> exports; // FromExports
  std::optional<Extern> Get(std::string_view name) const {
    if (instance) return instance->GetExport(name);
    auto it = exports.find(name);
    if (it == exports.end()) return std::nullopt;
    return it->second;
  }
};

// One component instance being made: its index spaces.
struct Frame {
  uint32_t scope = 0;
  Frame* parent = nullptr;
  InstanceState* state = nullptr;
  std::vector<ResourceType*> resources; // by TypeArena::resources index
  std::map<std::string, Entity, std::less<>> args; // a nested component's
  std::vector<FuncInst*> core_funcs;
  std::vector<TableInst*> core_tables;
  std::vector<MemoryInst*> core_memories;
  std::vector<GlobalInst*> core_globals;
  std::vector<ModuleRt*> core_modules;
  std::vector<CoreInst*> core_instances;
  std::vector<Entity> funcs, types, components, instances;
  RtInstance* exports = nullptr;
};

Error LinkError(std::string msg, uint64_t offset = kNoOffset) {
  return Error{std::move(msg), offset, ""};
}

class Linked final : public ComponentInstance {
public:
  Linked(Store& store, std::shared_ptr<const ValidatedComponent> component,
         const HostLinker& host, HostData& data, const CompileCoreFn& compile)
      : store_(store), component_(std::move(component)), host_(host),
        data_(data), compile_(compile) {}

  // Builds everything; a trap in a core start function is returned in
  // `trap`.
  Result<bool> Build(const linking::HostBindings& bindings,
                     std::optional<Trap>& trap);

  std::vector<ExportedFunc> ExportedFuncs() const override { return funcs_; }
  std::optional<ExportedFunc> FindFunc(std::string_view name) const override;
  std::optional<Trap> Call(const ExportedFunc& f, std::span<const Val> args,
                           std::vector<Val>& results) override;
  std::optional<Trap> DropResource(const Val& own) override;
  Store& store() override { return store_; }

private:
  template <typename T, typename... A> T* Make(A&&... a) {
    auto p = std::make_unique<T>(std::forward<A>(a)...);
    T* raw = p.get();
    owned_.push_back(std::shared_ptr<void>(std::move(p)));
    return raw;
  }

  Result<RtInstance*> Run(Frame& f, std::optional<Trap>& trap);
  Result<bool> Define(Frame& f, uint32_t index, std::optional<Trap>& trap);
  Result<Entity> Lookup(Frame& f, Sort sort, uint32_t index, uint64_t offset);
  void Push(Frame& f, const Entity& e);
  void Bind(Frame& f, const ExternType& t, const Entity& e);
  Result<Entity> HostImport(Frame& f, uint32_t def, const HostInterface& iface);
  ResourceType* HostResource(uint32_t host_res);
  Result<CanonOptions> Options(Frame& f, const CanonDef& c, uint64_t offset);
  Result<bool> CoreInstantiate(Frame& f, const CoreInstanceDef& d,
                               uint64_t offset, std::optional<Trap>& trap);
  void CollectFuncs(const std::string& prefix, const RtInstance& inst);

  Store& store_;
  std::shared_ptr<const ValidatedComponent> component_;
  const HostLinker& host_;
  HostData& data_;
  CompileCoreFn compile_;
  const linking::HostBindings* bindings_ = nullptr;
  std::vector<std::shared_ptr<void>> owned_;
  std::deque<Site> sites_;
  std::map<uint32_t, ResourceType*> host_resources_;
  std::vector<ExportedFunc> funcs_;
  std::unordered_set<const void*> handles_;       // funcs_' handles
  std::unordered_set<const ResourceType*> types_; // made for this instance
  bool poisoned_ = false;
  // Component and core instances made so far: a component that
  // instantiates a nested component twice, which does the same, ... would
  // otherwise make 2^depth of them.
  static constexpr uint32_t kMaxInstances = 10000;
  uint32_t instances_ = 0;
  static Error TooManyInstances() {
    return LinkError("the component makes more than " +
                     std::to_string(kMaxInstances) +
                     " component and core instances");
  }
};

Result<Entity> Linked::Lookup(Frame& f, Sort sort, uint32_t index,
                              uint64_t offset) {
  auto get = [&](std::vector<Entity>& v) -> Result<Entity> {
    if (index >= v.size())
      return LinkError(std::string(SortName(sort)) + " index " +
                           std::to_string(index) + " out of range",
                       offset);
    return v[index];
  };
  Entity e;
  e.sort = sort;
  switch (sort) {
  case Sort::Func: return get(f.funcs);
  case Sort::Type: return get(f.types);
  case Sort::Component: return get(f.components);
  case Sort::Instance: return get(f.instances);
  case Sort::CoreModule:
    if (index >= f.core_modules.size()) break;
    e.module = f.core_modules[index];
    return e;
  default: break;
  }
  return LinkError(std::string(SortName(sort)) + " " + std::to_string(index) +
                       " cannot be used here",
                   offset);
}

void Linked::Push(Frame& f, const Entity& e) {
  switch (e.sort) {
  case Sort::Func: f.funcs.push_back(e); break;
  case Sort::Type: f.types.push_back(e); break;
  case Sort::Component: f.components.push_back(e); break;
  case Sort::Instance: f.instances.push_back(e); break;
  case Sort::CoreModule: f.core_modules.push_back(e.module); break;
  default: break;
  }
}

// A resource defined by a component gets the name it is first exported
// under (its definition has none), for messages and the host's view.
void Name(const Entity& e, const std::string& name) {
  if (e.sort == Sort::Type && e.resource && e.resource->name.empty())
    e.resource->name = name;
}

// Records which run-time resource types the validator's resource indices in
// `t` stand for in this frame.
void Linked::Bind(Frame& f, const ExternType& t, const Entity& e) {
  const TypeArena& arena = component_->types;
  if (t.kind == ExternType::Kind::Type && t.resource) {
    if (t.id < f.resources.size() && e.resource) f.resources[t.id] = e.resource;
    return;
  }
  if (t.kind == ExternType::Kind::Instance && e.instance &&
      t.id < arena.instances.size()) {
    for (const NamedExtern& x : arena.instances[t.id].exports) {
      auto it = e.instance->exports.find(x.name);
      if (it == e.instance->exports.end()) continue;
      Name(it->second, x.name);
      Bind(f, x.type, it->second);
    }
  }
}

ResourceType* Linked::HostResource(uint32_t host_res) {
  auto it = host_resources_.find(host_res);
  if (it != host_resources_.end()) return it->second;
  auto* rt = Make<ResourceType>();
  types_.insert(rt);
  const TypeArena& ht = host_.types();
  if (host_res < ht.resources.size()) rt->name = ht.resources[host_res].name;
  // The drop is registered on the interface that defines the resource.
  for (const HostInterface* i : host_.Interfaces()) {
    auto d = i->drops.find(rt->name);
    if (d == i->drops.end()) continue;
    bool defines = false;
    for (const NamedExtern& e : i->type.exports)
      defines |= e.type.kind == ExternType::Kind::Type && e.type.resource &&
                 e.type.id == host_res;
    if (!defines) continue;
    HostDropFn drop = d->second;
    HostData* data = &data_;
    rt->host_drop = [drop, data](uint32_t rep) { drop(*data, rep); };
    break;
  }
  host_resources_[host_res] = rt;
  return rt;
}

Result<Entity> Linked::HostImport(Frame& f, uint32_t def,
                                  const HostInterface& iface) {
  const TypeArena& ct = component_->types;
  const ExternType& type = component_->scopes[0].defs[def].type;
  auto* inst = Make<RtInstance>();
  for (const NamedExtern& e : ct.instances[type.id].exports) {
    Entity x;
    if (e.type.kind == ExternType::Kind::Type) {
      x.sort = Sort::Type;
      if (e.type.resource) {
        auto it = bindings_->resources.find(e.type.id);
        if (it == bindings_->resources.end())
          return LinkError("resource `" + e.name + "` is not bound");
        x.resource = HostResource(it->second);
      }
    } else if (e.type.kind == ExternType::Kind::Func) {
      auto fn = iface.funcs.find(e.name);
      if (fn == iface.funcs.end())
        return LinkError("function `" + e.name + "` not provided by the host");
      x.sort = Sort::Func;
      x.func = Make<CFunc>();
      x.func->types = &ct;
      x.func->type = &ct.funcs[e.type.id];
      HostFn host_fn = fn->second;
      Store* store = &store_;
      HostData* data = &data_;
      x.func->call = [host_fn, store, data](std::span<const Val> args,
                                            std::vector<Val>& results) {
        HostCall call{*store, *data};
        return host_fn(call, args, results);
      };
    } else {
      continue;
    }
    inst->exports[e.name] = x;
  }
  Entity out;
  out.sort = Sort::Instance;
  out.instance = inst;
  (void)f;
  return out;
}

Result<CanonOptions> Linked::Options(Frame& f, const CanonDef& c,
                                     uint64_t offset) {
  CanonOptions o;
  for (const CanonOpt& opt : c.opts) {
    switch (opt.kind) {
    case CanonOpt::Kind::StringEncoding: o.encoding = opt.encoding; break;
    case CanonOpt::Kind::Memory:
      if (opt.index >= f.core_memories.size())
        return LinkError("canon option: memory out of range", offset);
      o.memory = f.core_memories[opt.index];
      break;
    case CanonOpt::Kind::Realloc:
      if (opt.index >= f.core_funcs.size())
        return LinkError("canon option: realloc out of range", offset);
      o.realloc = f.core_funcs[opt.index];
      break;
    case CanonOpt::Kind::PostReturn:
      if (opt.index >= f.core_funcs.size())
        return LinkError("canon option: post-return out of range", offset);
      o.post_return = f.core_funcs[opt.index];
      break;
    case CanonOpt::Kind::Async:
    case CanonOpt::Kind::Callback:
      return LinkError("canon option async is not supported yet", offset);
    }
  }
  return o;
}

Result<bool> Linked::CoreInstantiate(Frame& f, const CoreInstanceDef& d,
                                     uint64_t offset,
                                     std::optional<Trap>& trap) {
  if (d.kind == CoreInstanceDef::Kind::FromExports) {
    auto* ci = Make<CoreInst>();
    for (const CoreInstanceDef::Export& x : d.exports) {
      Extern e;
      bool ok = true;
      switch (x.sort) {
      case Sort::CoreFunc:
        ok = x.index < f.core_funcs.size();
        if (ok) e = {ExternKind::Func, f.core_funcs[x.index]};
        break;
      case Sort::CoreTable:
        ok = x.index < f.core_tables.size();
        if (ok) e = {ExternKind::Table, f.core_tables[x.index]};
        break;
      case Sort::CoreMemory:
        ok = x.index < f.core_memories.size();
        if (ok) e = {ExternKind::Memory, f.core_memories[x.index]};
        break;
      case Sort::CoreGlobal:
        ok = x.index < f.core_globals.size();
        if (ok) e = {ExternKind::Global, f.core_globals[x.index]};
        break;
      default: ok = false; break;
      }
      if (!ok) {
        return LinkError("core instance export `" + x.name +
                             "`: index out of range",
                         offset);
      }
      ci->exports[x.name] = e;
    }
    f.core_instances.push_back(ci);
    return true;
  }
  if (d.module >= f.core_modules.size())
    return LinkError("core module index out of range", offset);
  if (++instances_ > kMaxInstances) return TooManyInstances();
  ModuleRt* m = f.core_modules[d.module];
  if (!m->compiled) {
    auto c = compile_(m->bytes);
    if (!c) {
      Error e = c.error();
      e.message = "core module " + std::to_string(d.module) + ": " + e.message;
      return e;
    }
    m->compiled = *c;
  }
  const Module& mod = m->compiled->module();
  std::vector<Extern> imports;
  imports.reserve(mod.imports.size());
  for (const Import& imp : mod.imports) {
    const CoreInst* from = nullptr;
    for (const CoreInstanceDef::Arg& a : d.args) {
      if (a.name == imp.module && a.instance < f.core_instances.size())
        from = f.core_instances[a.instance];
    }
    std::string what = "core module " + std::to_string(d.module) +
                       ": import `" + imp.module + "` `" + imp.name + "`";
    if (!from)
      return LinkError(what + ": no such instantiation argument", offset);
    auto e = from->Get(imp.name);
    if (!e) return LinkError(what + ": not exported by the argument", offset);
    if (e->kind != imp.kind) {
      return LinkError(what + ": expected a " + ExternKindName(imp.kind) +
                           ", found a " + ExternKindName(e->kind),
                       offset);
    }
    imports.push_back(*e);
  }
  InstantiateResult r = store_.Instantiate(m->compiled, imports);
  if (r.link_error) {
    Error e = *r.link_error;
    e.message = "core module " + std::to_string(d.module) + ": " + e.message;
    return e;
  }
  if (r.trap) {
    trap = r.trap;
    return false;
  }
  auto* ci = Make<CoreInst>();
  ci->instance = r.instance;
  f.core_instances.push_back(ci);
  return true;
}

Result<bool> Linked::Define(Frame& f, uint32_t index,
                            std::optional<Trap>& trap) {
  const Scope& scope = component_->scopes[f.scope];
  const Definition& def = scope.component->definitions[index];
  const DefInfo& info = scope.defs[index];
  const TypeArena& types = component_->types;
  const uint64_t at = def.offset;
  switch (def.kind) {
  case Definition::Kind::CoreModule: {
    auto* m = Make<ModuleRt>();
    m->bytes = def.core_module.bytes;
    f.core_modules.push_back(m);
    return true;
  }
  case Definition::Kind::CoreInstance:
    return CoreInstantiate(f, def.core_instance, at, trap);
  case Definition::Kind::CoreType: return true; // types only
  case Definition::Kind::Component: {
    Entity e;
    e.sort = Sort::Component;
    e.component = Make<ComponentDefRt>();
    e.component->scope = info.scope;
    e.component->parent = &f;
    f.components.push_back(e);
    return true;
  }
  case Definition::Kind::Instance: {
    Entity e;
    e.sort = Sort::Instance;
    const InstanceDef& d = def.instance;
    if (d.kind == InstanceDef::Kind::FromExports) {
      e.instance = Make<RtInstance>();
      for (const ExportDef& x : d.exports) {
        auto v = Lookup(f, x.sort, x.index, at);
        if (!v) return v.error();
        e.instance->exports[x.name.name] = *v;
      }
    } else {
      if (d.component >= f.components.size())
        return LinkError("component index out of range", at);
      ComponentDefRt* c = f.components[d.component].component;
      auto* child = Make<Frame>();
      child->scope = c->scope;
      child->parent = c->parent;
      child->state = Make<InstanceState>();
      child->resources.assign(types.resources.size(), nullptr);
      for (const InstanceDef::Arg& a : d.args) {
        auto v = Lookup(f, a.sort, a.index, at);
        if (!v) return v.error();
        child->args[a.name] = *v;
      }
      auto r = Run(*child, trap);
      if (!r) return r.error();
      if (!*r) return false; // trapped
      e.instance = *r;
    }
    Push(f, e);
    Bind(f, info.type, e);
    return true;
  }
  case Definition::Kind::Alias: {
    const AliasDef& a = def.alias;
    switch (a.kind) {
    case AliasDef::Kind::CoreInstanceExport: {
      if (a.instance >= f.core_instances.size())
        return LinkError("core instance index out of range", at);
      auto x = f.core_instances[a.instance]->Get(a.name);
      if (!x) {
        return LinkError("core instance " + std::to_string(a.instance) +
                             " has no export `" + a.name + "`",
                         at);
      }
      switch (a.sort) {
      case Sort::CoreFunc: f.core_funcs.push_back(x->func()); break;
      case Sort::CoreTable: f.core_tables.push_back(x->table()); break;
      case Sort::CoreMemory: f.core_memories.push_back(x->memory()); break;
      case Sort::CoreGlobal: f.core_globals.push_back(x->global()); break;
      default: return LinkError("core alias of an unsupported sort", at);
      }
      return true;
    }
    case AliasDef::Kind::InstanceExport: {
      if (a.instance >= f.instances.size())
        return LinkError("instance index out of range", at);
      RtInstance* inst = f.instances[a.instance].instance;
      if (!inst || !inst->exports.contains(a.name)) {
        return LinkError("instance " + std::to_string(a.instance) +
                             " has no export `" + a.name + "`",
                         at);
      }
      const Entity& x = inst->exports.find(a.name)->second;
      Push(f, x);
      Bind(f, info.type, x);
      return true;
    }
    case AliasDef::Kind::Outer: {
      Frame* outer = &f;
      for (uint32_t i = 0; i < a.outer_count && outer; ++i)
        outer = outer->parent;
      if (!outer) return LinkError("outer alias beyond the root", at);
      auto v = Lookup(*outer, a.sort, a.outer_index, at);
      if (!v) return v.error();
      Push(f, *v);
      Bind(f, info.type, *v);
      return true;
    }
    }
    return true;
  }
  case Definition::Kind::Type: {
    Entity e;
    e.sort = Sort::Type;
    if (def.type && def.type->kind == TypeDef::Kind::Resource) {
      auto* rt = Make<ResourceType>();
      types_.insert(rt);
      if (info.resource < types.resources.size())
        rt->name = types.resources[info.resource].name;
      rt->owner = f.state;
      if (def.type->resource.dtor) {
        uint32_t d = *def.type->resource.dtor;
        if (d >= f.core_funcs.size())
          return LinkError("resource destructor out of range", at);
        rt->dtor = f.core_funcs[d];
      }
      e.resource = rt;
      if (info.resource < f.resources.size()) f.resources[info.resource] = rt;
    }
    f.types.push_back(e);
    return true;
  }
  case Definition::Kind::Canon: {
    const CanonDef& c = def.canon;
    switch (c.kind) {
    case CanonDef::Kind::Lift: {
      if (c.func >= f.core_funcs.size())
        return LinkError("canon lift: core func out of range", at);
      auto opts = Options(f, c, at);
      if (!opts) return opts.error();
      Site& site = sites_.emplace_back();
      site.store = &store_;
      site.types = &types;
      site.type = &types.funcs[info.func_type];
      site.opts = *opts;
      site.instance = f.state;
      site.resources = &f.resources;
      FuncInst* core = f.core_funcs[c.func];
      Entity e;
      e.sort = Sort::Func;
      e.func = Make<CFunc>();
      e.func->types = &types;
      e.func->type = site.type;
      e.func->enters = f.state;
      Site* s = &site;
      e.func->call = [s, core](std::span<const Val> args,
                               std::vector<Val>& results) {
        return CallLifted(*s, core, args, results);
      };
      f.funcs.push_back(e);
      return true;
    }
    case CanonDef::Kind::Lower: {
      if (c.func >= f.funcs.size())
        return LinkError("canon lower: func out of range", at);
      CFunc* callee = f.funcs[c.func].func;
      if (!callee) return LinkError("canon lower: not a function", at);
      auto opts = Options(f, c, at);
      if (!opts) return opts.error();
      Site& site = sites_.emplace_back();
      site.store = &store_;
      site.types = &types;
      site.type = &types.funcs[info.func_type];
      site.opts = *opts;
      site.instance = f.state;
      site.resources = &f.resources;
      Site* s = &site;
      f.core_funcs.push_back(store_.CreateHostFunc(
          info.core_type, [s, callee](Store&, std::span<const Value> args,
                                      std::span<Value> results) {
            return CallLowered(*s, args, results, callee->call);
          }));
      return true;
    }
    case CanonDef::Kind::ResourceNew:
    case CanonDef::Kind::ResourceDrop:
    case CanonDef::Kind::ResourceRep: {
      ResourceType* rt = info.resource < f.resources.size()
                             ? f.resources[info.resource]
                             : nullptr;
      if (!rt) return LinkError("canon resource.*: unbound resource type", at);
      InstanceState* state = f.state;
      HostFunc fn;
      if (c.kind == CanonDef::Kind::ResourceNew) {
        fn = [state, rt](Store&, std::span<const Value> args,
                         std::span<Value> results) -> std::optional<Trap> {
          uint32_t handle = 0;
          if (auto t = ResourceNew(*state, rt, args[0].i32, &handle)) return t;
          results[0] = Value::I32(handle);
          return std::nullopt;
        };
      } else if (c.kind == CanonDef::Kind::ResourceRep) {
        fn = [state, rt](Store&, std::span<const Value> args,
                         std::span<Value> results) -> std::optional<Trap> {
          uint32_t rep = 0;
          if (auto t = ResourceRep(*state, rt, args[0].i32, &rep)) return t;
          results[0] = Value::I32(rep);
          return std::nullopt;
        };
      } else {
        fn = [state, rt](Store& store, std::span<const Value> args,
                         std::span<Value>) -> std::optional<Trap> {
          return ResourceDrop(store, *state, rt, args[0].i32);
        };
      }
      f.core_funcs.push_back(store_.CreateHostFunc(info.core_type, fn));
      return true;
    }
    case CanonDef::Kind::Other:
      return LinkError("canon built-in " + std::to_string(c.opcode) +
                           " is not supported yet",
                       at);
    }
    return true;
  }
  case Definition::Kind::Start:
    return LinkError("component start functions are not supported yet", at);
  case Definition::Kind::Import: {
    Entity e;
    if (f.scope == 0) {
      const HostInterface* iface = nullptr;
      for (const linking::HostImport& h : bindings_->imports)
        if (h.def == index) iface = h.iface;
      if (!iface) {
        return LinkError("import `" + def.import.name.name +
                             "` not provided by the host",
                         at);
      }
      auto r = HostImport(f, index, *iface);
      if (!r) {
        Error err = r.error();
        err.message = "import `" + def.import.name.name + "`: " + err.message;
        return err;
      }
      e = *r;
    } else {
      auto it = f.args.find(def.import.name.name);
      if (it == f.args.end()) {
        return LinkError("import `" + def.import.name.name +
                             "` has no instantiation argument",
                         at);
      }
      e = it->second;
    }
    Push(f, e);
    Bind(f, info.type, e);
    return true;
  }
  case Definition::Kind::Export: {
    const ExportDef& x = def.export_;
    auto v = Lookup(f, x.sort, x.index, at);
    if (!v) return v.error();
    f.exports->exports[x.name.name] = *v;
    Name(*v, x.name.name);
    Push(f, *v);
    Bind(f, info.type, *v);
    return true;
  }
  }
  return true;
}

// Instantiates frame `f`'s component: its exports, or null after a trap
// (in `trap`).
Result<RtInstance*> Linked::Run(Frame& f, std::optional<Trap>& trap) {
  if (++instances_ > kMaxInstances) return TooManyInstances();
  f.exports = Make<RtInstance>();
  const Scope& scope = component_->scopes[f.scope];
  for (uint32_t i = 0; i < scope.component->definitions.size(); ++i) {
    auto r = Define(f, i, trap);
    if (!r) return r.error();
    if (!*r) return static_cast<RtInstance*>(nullptr);
  }
  return f.exports;
}

void Linked::CollectFuncs(const std::string& prefix, const RtInstance& inst) {
  for (const auto& [name, e] : inst.exports) {
    std::string full = prefix.empty() ? name : prefix + "#" + name;
    if (e.sort == Sort::Func && e.func) {
      funcs_.push_back({full, e.func->types, e.func->type, e.func});
      handles_.insert(e.func);
    } else if (e.sort == Sort::Instance && e.instance) {
      CollectFuncs(full, *e.instance);
    }
  }
}

Result<bool> Linked::Build(const linking::HostBindings& bindings,
                           std::optional<Trap>& trap) {
  bindings_ = &bindings;
  auto* root = Make<Frame>();
  root->scope = 0;
  root->state = Make<InstanceState>();
  root->resources.assign(component_->types.resources.size(), nullptr);
  auto r = Run(*root, trap);
  bindings_ = nullptr;
  if (!r) return r.error();
  if (!*r) return false;
  CollectFuncs("", **r);
  return true;
}

// "wasi:cli/run@0.2.12#run" -> ("wasi:cli/run@0.2.12", "run").
std::pair<std::string_view, std::string_view> SplitName(std::string_view n) {
  size_t hash = n.rfind('#');
  if (hash == std::string_view::npos) return {{}, n};
  return {n.substr(0, hash), n.substr(hash + 1)};
}

std::optional<ExportedFunc> Linked::FindFunc(std::string_view name) const {
  for (const ExportedFunc& f : funcs_)
    if (f.name == name) return f;
  auto [want_iface, want_fn] = SplitName(name);
  auto want =
      want_iface.empty() ? std::nullopt : InterfaceName::Parse(want_iface);
  const ExportedFunc* found = nullptr;
  int matches = 0;
  for (const ExportedFunc& f : funcs_) {
    auto [iface, fn] = SplitName(f.name);
    if (fn != want_fn) continue;
    bool ok = false;
    if (want_iface.empty()) {
      ok = true;
    } else if (want) {
      auto have = InterfaceName::Parse(iface);
      ok =
          have && have->Unversioned() == want->Unversioned() &&
          (!want->version ||
           (have->version && SemVerCompatible(*want->version, *have->version)));
    }
    if (ok) {
      found = &f;
      ++matches;
    }
  }
  if (matches != 1) return std::nullopt;
  return *found;
}

std::optional<Trap> Linked::Call(const ExportedFunc& f,
                                 std::span<const Val> args,
                                 std::vector<Val>& results) {
  auto* cf = static_cast<const CFunc*>(f.handle);
  bool ours = false;
  for (const ExportedFunc& e : funcs_)
    ours |= e.handle == f.handle;
  if (!cf || !ours) {
    return Trap{TrapKind::Host,
                "`" + f.name + "` is not an export of this instance", 0};
  }
  if (poisoned_) {
    return Trap{TrapKind::Host,
                "the component instance trapped earlier and may not be "
                "entered again",
                0};
  }
  if (args.size() != cf->type->params.size()) {
    return Trap{TrapKind::Host,
                "`" + f.name + "` takes " +
                    std::to_string(cf->type->params.size()) +
                    " arguments, given " + std::to_string(args.size()),
                0};
  }
  if (cf->enters && !cf->enters->may_enter) {
    // Refused before entering (a host function called back into the
    // instance that called it): the instance is unharmed.
    return Trap{TrapKind::Host,
                "`" + f.name +
                    "`: the component instance may not be entered while a "
                    "call into it is in progress",
                0};
  }
  results.clear();
  std::optional<Trap> t = cf->call(args, results);
  if (t) poisoned_ = true;
  return t;
}

std::optional<Trap> Linked::DropResource(const Val& own) {
  auto refuse = [](const std::string& why) {
    return Trap{TrapKind::Host, "DropResource: " + why, 0};
  };
  if (own.kind != ValKind::Own) return refuse("not an own handle");
  ResourceType* rt = own.resource;
  if (!rt || !types_.contains(rt))
    return refuse("not a resource of this component instance");
  const auto rep = static_cast<uint32_t>(own.u);
  if (!rt->owner) {
    if (rt->host_drop) rt->host_drop(rep);
    return std::nullopt;
  }
  if (!rt->dtor) return std::nullopt;
  if (poisoned_) {
    return refuse("the component instance trapped earlier and may not be "
                  "entered again");
  }
  if (!rt->owner->may_enter) {
    return refuse("cannot enter the instance that defines '" + rt->name +
                  "' (a call into it is in progress)");
  }
  rt->owner->may_enter = false;
  const Value arg = Value::I32(rep);
  CallResult r = store_.Call(rt->dtor, std::span<const Value>(&arg, 1));
  rt->owner->may_enter = true;
  if (r.trap) poisoned_ = true;
  return std::move(r.trap);
}

} // namespace

ComponentInstantiateResult InstantiateComponent(
    Store& store, std::shared_ptr<const ValidatedComponent> component,
    const HostLinker& host, HostData& host_data, const CompileCoreFn& compile) {
  ComponentInstantiateResult out;
  if (!component || component->scopes.empty()) {
    out.link_error = LinkError("no component");
    return out;
  }
  auto bindings = linking::BindHostImports(*component, host);
  if (!bindings) {
    out.link_error = bindings.error();
    return out;
  }
  auto linked = std::make_unique<Linked>(store, std::move(component), host,
                                         host_data, compile);
  std::optional<Trap> trap;
  auto r = linked->Build(*bindings, trap);
  if (!r) {
    out.link_error = r.error();
    return out;
  }
  if (trap) {
    out.trap = trap;
    return out;
  }
  out.instance = std::move(linked);
  return out;
}

} // namespace weft::component
