// Component validation: resolves the decoded AST (ast.h) into the types of
// types.h, one index space per sort and scope, and checks what Binary.md,
// Explainer.md and CanonicalABI.md require of each definition. Fills one
// DefInfo per definition so the linker need not re-derive any type.
#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "component/binary.h"
#include "component/binary_names.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

namespace weft::component {
namespace {

constexpr size_t kMaxFlatParams = 16;
constexpr size_t kMaxFlatResults = 1;
// A value type written out as a tree may have at most this many nodes, so
// equality, substitution and printing stay linear in the input.
constexpr uint64_t kMaxTypeNodes = 100000;
// Validation work (type nodes compared, copied or made) allowed per
// component, so no input makes validation quadratic in its size.
constexpr uint64_t kWorkBudget = 1000000;

// What a type index refers to.
struct TypeEntry {
  enum class Kind : uint8_t { Val, Func, Resource, Instance, Component };
  Kind kind = Kind::Val;
  uint32_t id = 0; // vals / funcs / resources / instances / components
};

const char* TypeEntryName(TypeEntry::Kind k) {
  switch (k) {
  case TypeEntry::Kind::Val: return "value type";
  case TypeEntry::Kind::Func: return "func type";
  case TypeEntry::Kind::Resource: return "resource type";
  case TypeEntry::Kind::Instance: return "instance type";
  case TypeEntry::Kind::Component: return "component type";
  }
  return "?";
}

// A core entity: what a core instance exports or a core module imports.
struct CoreExtern {
  ExternKind kind = ExternKind::Func;
  weft::FuncType func;
  TableType table;
  MemoryType memory;
  GlobalType global;
};

struct CoreImport {
  std::string module, name;
  CoreExtern type;
};

// A core module's (or core module type's) interface.
struct CoreModuleInfo {
  std::vector<CoreImport> imports;
  std::map<std::string, CoreExtern> exports;
};

struct CoreTypeEntry {
  bool module = false;
  weft::FuncType func;
  uint32_t module_info = 0; // Validator::module_infos_
};

using CoreInstanceInfo = std::map<std::string, CoreExtern>;

// One scope's index spaces: a component, a component type or an instance
// type.
struct Frame {
  bool is_type = false; // a component or instance type
  std::vector<weft::FuncType> core_funcs;
  std::vector<TableType> core_tables;
  std::vector<MemoryType> core_memories;
  std::vector<GlobalType> core_globals;
  std::vector<CoreTypeEntry> core_types;
  std::vector<uint32_t> core_modules;   // module_infos_
  std::vector<uint32_t> core_instances; // core_instance_infos_
  std::vector<uint32_t> funcs;          // arena funcs
  std::vector<TypeEntry> types;
  std::vector<uint32_t> components; // arena components
  std::vector<uint32_t> instances;  // arena instances
  // Strongly-unique names (lowercased) of imports and exports so far.
  std::unordered_set<std::string> import_names, export_names;
  // Resources imported/exported so far under a plain name (lowercased), for
  // the [constructor]/[method]/[static] rules.
  std::unordered_map<std::string, uint32_t> import_resources, export_resources;
};

// Per-val-type facts, parallel to TypeArena::vals.
struct ValFacts {
  uint32_t depth = 1;
  uint64_t size = 1;            // nodes of the type written out as a tree
  bool has_memory_data = false; // contains a string or a list
  bool has_borrow = false;
  bool has_resource = false; // own or borrow anywhere
};

std::string Lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(c));
  return s;
}

bool LimitsMatch(const Limits& have, const Limits& want) {
  if (have.min < want.min) return false;
  if (want.max) {
    if (!have.max || *have.max > *want.max) return false;
  }
  return true;
}

bool CoreExternMatches(const CoreExtern& have, const CoreExtern& want) {
  if (have.kind != want.kind) return false;
  switch (want.kind) {
  case ExternKind::Func: return have.func == want.func;
  case ExternKind::Table:
    return have.table.elem == want.table.elem &&
           LimitsMatch(have.table.limits, want.table.limits);
  case ExternKind::Memory:
    return LimitsMatch(have.memory.limits, want.memory.limits);
  case ExternKind::Global:
    return have.global.type == want.global.type &&
           have.global.mut == want.global.mut;
  }
  return false;
}

std::string CoreExternText(const CoreExtern& e) {
  switch (e.kind) {
  case ExternKind::Func: return "func " + e.func.ToString();
  case ExternKind::Table: return "table";
  case ExternKind::Memory: return "memory";
  case ExternKind::Global: return "global";
  }
  return "?";
}

Sort CoreSortOf(ExternKind k) {
  switch (k) {
  case ExternKind::Func: return Sort::CoreFunc;
  case ExternKind::Table: return Sort::CoreTable;
  case ExternKind::Memory: return Sort::CoreMemory;
  case ExternKind::Global: return Sort::CoreGlobal;
  }
  return Sort::CoreFunc;
}

// Resource mapping used while checking instantiation arguments: resources
// of the instantiated component's type (keys) bound to the arguments'.
struct ResourceMap {
  std::unordered_map<uint32_t, uint32_t> map;
  uint32_t Get(uint32_t r) const {
    auto it = map.find(r);
    return it == map.end() ? r : it->second;
  }
};

bool MappedResourceEq(const void* ctx, uint32_t a, uint32_t b) {
  return static_cast<const ResourceMap*>(ctx)->Get(a) == b;
}

class Validator {
public:
  Validator(ValidatedComponent& out, const ComponentLimits& limits)
      : out_(out), arena_(out.types), limits_(limits) {}

  bool Run() {
    Scope root;
    root.component = &out_.decoded->root;
    root.parent = 0;
    out_.scopes.push_back(std::move(root));
    return ValidateComponentScope(0);
  }
  Error TakeError() { return std::move(error_); }

private:
  // ---------------------------------------------------------------- errors
  bool Fail(const std::string& message, uint64_t offset) {
    if (!failed_) {
      failed_ = true;
      error_.message = "component: " + message;
      error_.offset = offset;
    }
    return false;
  }

  Frame& Top() { return frames_.back(); }

  // ------------------------------------------------------------ val types
  TypeId AddVal(ValType t, uint64_t offset, bool* ok) {
    ValFacts f;
    auto child = [&](TypeId id) {
      const ValFacts& c = facts_[id];
      f.depth = std::max(f.depth, c.depth + 1);
      f.size += c.size;
      f.has_memory_data |= c.has_memory_data;
      f.has_borrow |= c.has_borrow;
      f.has_resource |= c.has_resource;
    };
    switch (t.kind) {
    case ValKind::String: f.has_memory_data = true; break;
    case ValKind::List:
      f.has_memory_data = true;
      child(t.elem);
      break;
    case ValKind::Option: child(t.elem); break;
    case ValKind::Record:
      for (const Field& x : t.fields)
        child(x.type);
      break;
    case ValKind::Tuple:
      for (TypeId x : t.elems)
        child(x);
      break;
    case ValKind::Variant:
      for (const Case& c : t.cases)
        if (c.type) child(*c.type);
      break;
    case ValKind::Result:
      if (t.ok) child(*t.ok);
      if (t.err) child(*t.err);
      break;
    case ValKind::Own: f.has_resource = true; break;
    case ValKind::Borrow:
      f.has_resource = true;
      f.has_borrow = true;
      break;
    case ValKind::Stream:
    case ValKind::Future:
      if (t.has_elem) child(t.elem);
      break;
    default: break;
    }
    if (f.size > kMaxTypeNodes) {
      *ok = Fail("type too large (" + std::to_string(f.size) +
                     " nodes written out; at most " +
                     std::to_string(kMaxTypeNodes) + ")",
                 offset);
      return 0;
    }
    if (f.depth > limits_.max_nesting) {
      *ok = Fail("type nesting deeper than the limit of " +
                     std::to_string(limits_.max_nesting),
                 offset);
      return 0;
    }
    TypeId id = arena_.AddVal(std::move(t));
    facts_.resize(arena_.vals.size());
    facts_[id] = f;
    return id;
  }
  TypeId Prim(ValKind k) {
    TypeId id = arena_.Prim(k);
    if (facts_.size() < arena_.vals.size()) facts_.resize(arena_.vals.size());
    if (k == ValKind::String) facts_[id].has_memory_data = true;
    return id;
  }

  bool ResolveRef(const TypeRef& r, uint64_t offset, TypeId* out) {
    if (!r.is_index) {
      if (r.prim == ValKind::ErrorContext) {
        return Fail("error-context is not supported yet", offset);
      }
      *out = Prim(r.prim);
      return true;
    }
    Frame& f = Top();
    if (r.index >= f.types.size()) {
      return Fail("type index " + std::to_string(r.index) + " out of bounds (" +
                      std::to_string(f.types.size()) + " types)",
                  offset);
    }
    const TypeEntry& e = f.types[r.index];
    if (e.kind != TypeEntry::Kind::Val) {
      return Fail("type " + std::to_string(r.index) + " is a " +
                      TypeEntryName(e.kind) + ", not a value type",
                  offset);
    }
    *out = e.id;
    return true;
  }

  bool Unique(std::unordered_set<std::string>& seen, const std::string& name,
              const char* what, uint64_t offset) {
    if (!seen.insert(Lower(name)).second) {
      return Fail(std::string("duplicate ") + what + " \"" + name + "\"",
                  offset);
    }
    return true;
  }

  // Charges `n` units of work; fails once the budget is spent.
  bool Charge(uint64_t n, uint64_t offset) {
    work_ += n;
    if (work_ > kWorkBudget) {
      return Fail("component too costly to validate (work budget exceeded)",
                  offset);
    }
    return true;
  }
  // Text of a type for an error message, unless it is huge.
  std::string ValText(TypeId id) const {
    if (facts_[id].size > 1000) {
      return "a type of " + std::to_string(facts_[id].size) + " nodes";
    }
    return TypeToString(arena_, id);
  }
  std::string FuncText(const FuncType& f) const {
    uint64_t n = FuncSize(f);
    if (n > 1000) return "a func type of " + std::to_string(n) + " nodes";
    return FuncTypeToString(arena_, f);
  }
  uint64_t FuncSize(const FuncType& f) const {
    uint64_t n = 1;
    for (const Field& p : f.params)
      n += facts_[p.type].size;
    for (TypeId r : f.results)
      n += facts_[r].size;
    return n;
  }

  // The export of an instance type by name (an index built once per
  // instance type).
  const NamedExtern* InstanceExport(uint32_t id, const std::string& name) {
    if (export_index_.size() <= id) export_index_.resize(id + 1);
    auto& idx = export_index_[id];
    const InstanceType& it = arena_.instances[id];
    if (!idx && !it.exports.empty()) {
      idx.emplace();
      for (size_t i = 0; i < it.exports.size(); ++i)
        idx->emplace(it.exports[i].name, i);
    }
    if (!idx) return nullptr;
    auto f = idx->find(name);
    return f == idx->end() ? nullptr : &it.exports[f->second];
  }

  bool DefVal(const DefValType& d, uint64_t offset, TypeId* out) {
    if (IsPrimitive(d.kind)) {
      TypeRef r;
      r.prim = d.kind;
      return ResolveRef(r, offset, out);
    }
    ValType t;
    t.kind = d.kind;
    std::unordered_set<std::string> seen;
    switch (d.kind) {
    case ValKind::Record:
      for (const FieldDef& fd : d.fields) {
        Field f;
        f.name = fd.name;
        if (!Unique(seen, fd.name, "record field", offset) ||
            !ResolveRef(fd.type, offset, &f.type)) {
          return false;
        }
        t.fields.push_back(std::move(f));
      }
      break;
    case ValKind::Variant:
      for (const CaseDef& cd : d.cases) {
        Case c;
        c.name = cd.name;
        if (!Unique(seen, cd.name, "variant case", offset)) return false;
        if (cd.type) {
          TypeId id = 0;
          if (!ResolveRef(*cd.type, offset, &id)) return false;
          c.type = id;
        }
        t.cases.push_back(std::move(c));
      }
      break;
    case ValKind::List:
      if (d.fixed_length) {
        return Fail("fixed-length lists are not supported yet", offset);
      }
      if (!ResolveRef(d.elem, offset, &t.elem)) return false;
      break;
    case ValKind::Option:
      if (!ResolveRef(d.elem, offset, &t.elem)) return false;
      break;
    case ValKind::Tuple:
      for (const TypeRef& r : d.elems) {
        TypeId id = 0;
        if (!ResolveRef(r, offset, &id)) return false;
        t.elems.push_back(id);
      }
      break;
    case ValKind::Flags:
      if (d.labels.size() > 32) {
        return Fail("flags type has " + std::to_string(d.labels.size()) +
                        " labels (at most 32)",
                    offset);
      }
      [[fallthrough]];
    case ValKind::Enum:
      for (const std::string& l : d.labels)
        if (!Unique(seen, l, d.kind == ValKind::Flags ? "flag" : "enum case",
                    offset)) {
          return false;
        }
      t.labels = d.labels;
      break;
    case ValKind::Result:
      if (d.ok) {
        TypeId id = 0;
        if (!ResolveRef(*d.ok, offset, &id)) return false;
        t.ok = id;
      }
      if (d.err) {
        TypeId id = 0;
        if (!ResolveRef(*d.err, offset, &id)) return false;
        t.err = id;
      }
      break;
    case ValKind::Own:
    case ValKind::Borrow: {
      Frame& f = Top();
      if (d.resource >= f.types.size()) {
        return Fail("type index " + std::to_string(d.resource) +
                        " out of bounds (" + std::to_string(f.types.size()) +
                        " types)",
                    offset);
      }
      const TypeEntry& e = f.types[d.resource];
      if (e.kind != TypeEntry::Kind::Resource) {
        return Fail(std::string(ValKindName(d.kind)) + " of type " +
                        std::to_string(d.resource) + ", a " +
                        TypeEntryName(e.kind) + ", not a resource type",
                    offset);
      }
      t.resource = e.id;
      break;
    }
    case ValKind::Stream:
    case ValKind::Future:
      return Fail(std::string(ValKindName(d.kind)) +
                      " types are not supported yet",
                  offset);
    default: return Fail("unexpected value type", offset);
    }
    bool ok = true;
    *out = AddVal(std::move(t), offset, &ok);
    return ok;
  }

  bool FuncTypeOf(const FuncTypeDef& d, uint64_t offset, uint32_t* out) {
    if (d.async)
      return Fail("async function types are not supported yet", offset);
    FuncType ft;
    std::unordered_set<std::string> seen;
    for (const FieldDef& p : d.params) {
      Field f;
      f.name = p.name;
      if (!Unique(seen, p.name, "parameter", offset) ||
          !ResolveRef(p.type, offset, &f.type)) {
        return false;
      }
      ft.params.push_back(std::move(f));
    }
    for (const FieldDef& r : d.results) {
      TypeId id = 0;
      if (!ResolveRef(r.type, offset, &id)) return false;
      if (facts_[id].has_borrow) {
        return Fail("function result type contains a borrow", offset);
      }
      ft.results.push_back(id);
    }
    arena_.funcs.push_back(std::move(ft));
    *out = static_cast<uint32_t>(arena_.funcs.size() - 1);
    return true;
  }

  // ------------------------------------------------------- extern types
  ExternType FromEntry(const TypeEntry& e) {
    ExternType t;
    switch (e.kind) {
    case TypeEntry::Kind::Val:
      t.kind = ExternType::Kind::Type;
      t.id = e.id;
      break;
    case TypeEntry::Kind::Resource:
      t.kind = ExternType::Kind::Type;
      t.id = e.id;
      t.resource = true;
      break;
    case TypeEntry::Kind::Func:
      t.kind = ExternType::Kind::Func;
      t.id = e.id;
      break;
    case TypeEntry::Kind::Instance:
      t.kind = ExternType::Kind::Instance;
      t.id = e.id;
      break;
    case TypeEntry::Kind::Component:
      t.kind = ExternType::Kind::Component;
      t.id = e.id;
      break;
    }
    return t;
  }

  bool TypeAt(uint32_t index, uint64_t offset, TypeEntry* out) {
    Frame& f = Top();
    if (index >= f.types.size()) {
      return Fail("type index " + std::to_string(index) + " out of bounds (" +
                      std::to_string(f.types.size()) + " types)",
                  offset);
    }
    *out = f.types[index];
    return true;
  }

  // An externdesc in the current frame. `name` names a fresh resource.
  bool ResolveDesc(const ExternDesc& d, const std::string& name,
                   uint64_t offset, ExternType* out) {
    TypeEntry e;
    switch (d.sort) {
    case Sort::CoreModule: {
      Frame& f = Top();
      if (d.index >= f.core_types.size()) {
        return Fail("core type index " + std::to_string(d.index) +
                        " out of bounds",
                    offset);
      }
      if (!f.core_types[d.index].module) {
        return Fail("core type " + std::to_string(d.index) +
                        " is not a module type",
                    offset);
      }
      out->kind = ExternType::Kind::CoreModule;
      out->id = f.core_types[d.index].module_info;
      return true;
    }
    case Sort::Func:
    case Sort::Component:
    case Sort::Instance: {
      if (!TypeAt(d.index, offset, &e)) return false;
      TypeEntry::Kind want = d.sort == Sort::Func ? TypeEntry::Kind::Func
                             : d.sort == Sort::Component
                                 ? TypeEntry::Kind::Component
                                 : TypeEntry::Kind::Instance;
      if (e.kind != want) {
        return Fail(std::string(SortName(d.sort)) + " \"" + name +
                        "\" has type " + std::to_string(d.index) + ", a " +
                        TypeEntryName(e.kind) + ", not a " +
                        TypeEntryName(want),
                    offset);
      }
      *out = FromEntry(e);
      if (d.sort == Sort::Instance) {
        out->id = FreshenInstance(out->id);
        if (!Charge(0, offset)) return false;
      }
      return true;
    }
    case Sort::Type:
      if (d.sub_resource) {
        ResourceDecl r;
        r.name = name;
        arena_.resources.push_back(std::move(r));
        out->kind = ExternType::Kind::Type;
        out->resource = true;
        out->id = static_cast<uint32_t>(arena_.resources.size() - 1);
        return true;
      }
      if (!TypeAt(d.index, offset, &e)) return false;
      if (e.kind != TypeEntry::Kind::Val &&
          e.kind != TypeEntry::Kind::Resource) {
        return Fail("type bound (eq " + std::to_string(d.index) + ") of a " +
                        TypeEntryName(e.kind) + " is not supported",
                    offset);
      }
      *out = FromEntry(e);
      return true;
    case Sort::Value:
      return Fail("value imports are not supported yet", offset);
    default: return Fail("malformed extern type", offset);
    }
  }

  // Pushes an entity of type `t` to the current frame's index space.
  void Push(const ExternType& t) {
    Frame& f = Top();
    switch (t.kind) {
    case ExternType::Kind::CoreModule: f.core_modules.push_back(t.id); break;
    case ExternType::Kind::Func: f.funcs.push_back(t.id); break;
    case ExternType::Kind::Value: break;
    case ExternType::Kind::Type:
      f.types.push_back(
          {t.resource ? TypeEntry::Kind::Resource : TypeEntry::Kind::Val,
           t.id});
      break;
    case ExternType::Kind::Instance: f.instances.push_back(t.id); break;
    case ExternType::Kind::Component: f.components.push_back(t.id); break;
    }
  }

  // Instance types introduce abstract resources (`(export "r" (type (sub
  // resource)))`) when they are defined; each import of such an instance
  // gets its own copies, so two imports of one type stay distinct.
  uint32_t FreshenInstance(uint32_t id) {
    const std::vector<uint32_t>& own = InstanceFresh(id);
    if (own.empty()) return id;
    ResourceMap m;
    for (uint32_t r : own) {
      ResourceDecl copy = arena_.resources[r];
      arena_.resources.push_back(std::move(copy));
      m.map[r] = static_cast<uint32_t>(arena_.resources.size() - 1);
    }
    return SubstInstance(id, m);
  }
  std::vector<uint32_t>& InstanceFresh(uint32_t id) {
    if (instance_fresh_.size() <= id) instance_fresh_.resize(id + 1);
    return instance_fresh_[id];
  }

  // ------------------------------------------------------- substitution
  TypeId SubstVal(TypeId id, const ResourceMap& m) {
    if (!facts_[id].has_resource) return id;
    ++work_;
    ValType t = arena_.vals[id];
    bool changed = false;
    auto sub = [&](TypeId& x) {
      TypeId y = SubstVal(x, m);
      if (y != x) changed = true;
      x = y;
    };
    switch (t.kind) {
    case ValKind::Own:
    case ValKind::Borrow: {
      uint32_t r = m.Get(t.resource);
      if (r != t.resource) changed = true;
      t.resource = r;
      break;
    }
    case ValKind::List:
    case ValKind::Option: sub(t.elem); break;
    case ValKind::Record:
      for (Field& f : t.fields)
        sub(f.type);
      break;
    case ValKind::Tuple:
      for (TypeId& x : t.elems)
        sub(x);
      break;
    case ValKind::Variant:
      for (Case& c : t.cases)
        if (c.type) sub(*c.type);
      break;
    case ValKind::Result:
      if (t.ok) sub(*t.ok);
      if (t.err) sub(*t.err);
      break;
    default: break;
    }
    if (!changed) return id;
    bool ok = true;
    return AddVal(std::move(t), 0, &ok); // same depth as the original
  }
  uint32_t SubstFunc(uint32_t id, const ResourceMap& m) {
    FuncType f = arena_.funcs[id];
    bool changed = false;
    for (Field& p : f.params) {
      TypeId y = SubstVal(p.type, m);
      changed |= y != p.type;
      p.type = y;
    }
    for (TypeId& r : f.results) {
      TypeId y = SubstVal(r, m);
      changed |= y != r;
      r = y;
    }
    if (!changed) return id;
    arena_.funcs.push_back(std::move(f));
    return static_cast<uint32_t>(arena_.funcs.size() - 1);
  }
  ExternType SubstExtern(ExternType t, const ResourceMap& m) {
    switch (t.kind) {
    case ExternType::Kind::Func: t.id = SubstFunc(t.id, m); break;
    case ExternType::Kind::Type:
      t.id = t.resource ? m.Get(t.id) : SubstVal(t.id, m);
      break;
    case ExternType::Kind::Instance: t.id = SubstInstance(t.id, m); break;
    default: break;
    }
    return t;
  }
  uint32_t SubstInstance(uint32_t id, const ResourceMap& m) {
    // Charged by the caller's budget check (Charge in FreshenInstance and
    // at instantiation); a type's exports are copied once per use.
    work_ += arena_.instances[id].exports.size() + 1;
    InstanceType it = arena_.instances[id];
    for (NamedExtern& e : it.exports)
      e.type = SubstExtern(e.type, m);
    arena_.instances.push_back(std::move(it));
    return static_cast<uint32_t>(arena_.instances.size() - 1);
  }

  // -------------------------------------------------------- subtyping
  // Is `have` (an argument, in this arena) acceptable where `want` (an
  // import of the component being instantiated) is expected? Binds the
  // import's abstract resources in `m` as they are met.
  bool ExternSub(const ExternType& have, const ExternType& want, ResourceMap& m,
                 const std::string& name, uint64_t offset, uint32_t depth = 0) {
    auto mismatch = [&](const std::string& why) {
      return Fail("instantiate argument \"" + name + "\": " + why, offset);
    };
    if (depth > limits_.max_nesting) return mismatch("types nest too deeply");
    if (have.kind != want.kind) {
      return mismatch(std::string("expected ") + KindName(want) + ", found " +
                      KindName(have));
    }
    switch (want.kind) {
    case ExternType::Kind::Func:
      if (!Charge(FuncSize(arena_.funcs[want.id]), offset)) return false;
      if (!FuncTypesEqual(arena_, arena_.funcs[want.id], arena_,
                          arena_.funcs[have.id], MappedResourceEq, &m)) {
        return mismatch("expected func type " +
                        FuncText(arena_.funcs[want.id]) + ", found " +
                        FuncText(arena_.funcs[have.id]));
      }
      return true;
    case ExternType::Kind::Type:
      if (want.resource) {
        if (!have.resource) return mismatch("expected a resource type");
        auto it = m.map.find(want.id);
        if (it == m.map.end()) {
          // An abstract resource of the import met for the first time
          // (earlier imports' resources are bound already).
          m.map[want.id] = have.id;
          return true;
        }
        if (it->second != have.id) return mismatch("resource types differ");
        return true;
      }
      if (have.resource) return mismatch("expected a value type");
      if (!Charge(facts_[want.id].size, offset)) return false;
      if (!ValTypesEqual(arena_, want.id, arena_, have.id, MappedResourceEq,
                         &m)) {
        return mismatch("expected type " + ValText(want.id) + ", found " +
                        ValText(have.id));
      }
      return true;
    case ExternType::Kind::Instance: {
      size_t n = arena_.instances[want.id].exports.size();
      if (!Charge(n + 1, offset)) return false;
      for (size_t i = 0; i < n; ++i) {
        NamedExtern want_e = arena_.instances[want.id].exports[i]; // copies:
        const NamedExtern* he = InstanceExport(have.id, want_e.name);
        if (!he) return mismatch("missing export \"" + want_e.name + "\"");
        NamedExtern have_e = *he; // the arena may grow below
        if (!ExternSub(have_e.type, want_e.type, m, name + "." + want_e.name,
                       offset, depth + 1)) {
          return false;
        }
      }
      return true;
    }
    case ExternType::Kind::Component:
    case ExternType::Kind::CoreModule:
    case ExternType::Kind::Value: return true;
    }
    return true;
  }
  static const char* KindName(const ExternType& t) {
    switch (t.kind) {
    case ExternType::Kind::CoreModule: return "a core module";
    case ExternType::Kind::Func: return "a func";
    case ExternType::Kind::Value: return "a value";
    case ExternType::Kind::Type: return t.resource ? "a resource" : "a type";
    case ExternType::Kind::Instance: return "an instance";
    case ExternType::Kind::Component: return "a component";
    }
    return "?";
  }

  // --------------------------------------------------------- flattening
  // Appends the flattened core types of `id`; stops (returns false) once
  // more than `cap` are collected, which is all callers need to know.
  bool Flatten(TypeId id, std::vector<weft::ValType>& out, size_t cap) {
    if (out.size() > cap) return false;
    const ValType& t = arena_.vals[id];
    switch (t.kind) {
    case ValKind::S64:
    case ValKind::U64: out.push_back(weft::ValType::I64); break;
    case ValKind::F32: out.push_back(weft::ValType::F32); break;
    case ValKind::F64: out.push_back(weft::ValType::F64); break;
    case ValKind::String:
    case ValKind::List:
      out.push_back(weft::ValType::I32);
      out.push_back(weft::ValType::I32);
      break;
    case ValKind::Record:
      for (const Field& f : t.fields)
        if (!Flatten(f.type, out, cap)) return false;
      break;
    case ValKind::Tuple:
      for (TypeId x : t.elems)
        if (!Flatten(x, out, cap)) return false;
      break;
    case ValKind::Variant:
    case ValKind::Option:
    case ValKind::Result: {
      std::vector<std::optional<TypeId>> cases;
      if (t.kind == ValKind::Variant) {
        for (const Case& c : t.cases)
          cases.push_back(c.type);
      } else if (t.kind == ValKind::Option) {
        cases = {std::nullopt, t.elem};
      } else {
        cases = {t.ok, t.err};
      }
      std::vector<weft::ValType> joined;
      for (const auto& c : cases) {
        if (!c) continue;
        std::vector<weft::ValType> flat;
        if (!Flatten(*c, flat, cap)) return false;
        for (size_t i = 0; i < flat.size(); ++i) {
          if (i < joined.size()) {
            weft::ValType a = joined[i], b = flat[i];
            if (a == b) continue;
            bool i32f32 =
                (a == weft::ValType::I32 && b == weft::ValType::F32) ||
                (a == weft::ValType::F32 && b == weft::ValType::I32);
            joined[i] = i32f32 ? weft::ValType::I32 : weft::ValType::I64;
          } else {
            joined.push_back(flat[i]);
          }
        }
      }
      out.push_back(weft::ValType::I32); // the discriminant
      out.insert(out.end(), joined.begin(), joined.end());
      break;
    }
    default: out.push_back(weft::ValType::I32); break;
    }
    return out.size() <= cap;
  }

  // flatten_functype(opts, ft, context) for sync functions.
  weft::FuncType FlattenFunc(const FuncType& ft, bool lift, bool* spill_params,
                             bool* spill_results) {
    weft::FuncType core;
    bool ok = true;
    for (const Field& p : ft.params)
      if (ok) ok = Flatten(p.type, core.params, kMaxFlatParams);
    *spill_params = !ok || core.params.size() > kMaxFlatParams;
    if (*spill_params) core.params = {weft::ValType::I32};
    ok = true;
    for (TypeId r : ft.results)
      if (ok) ok = Flatten(r, core.results, kMaxFlatResults);
    *spill_results = !ok || core.results.size() > kMaxFlatResults;
    if (*spill_results) {
      if (lift) {
        core.results = {weft::ValType::I32};
      } else {
        core.params.push_back(weft::ValType::I32);
        core.results.clear();
      }
    }
    return core;
  }

  // ------------------------------------------------------- definitions
  bool ValidateComponentScope(uint32_t scope_index);
  bool Definition1(const Definition& d, uint32_t scope_index, DefInfo* info);
  bool TypeDefinition(const TypeDef& t, DefInfo* info);
  bool TypeDecls(const TypeDef& t, DefInfo* info);
  bool CoreTypeDefinition(const CoreTypeDef& t, CoreTypeEntry* out);
  bool AliasDefinition(const AliasDef& a, uint64_t offset, bool in_type,
                       DefInfo* info);
  bool CoreModuleDefinition(const CoreModuleDef& m, uint64_t offset,
                            DefInfo* info);
  bool CoreInstanceDefinition(const CoreInstanceDef& ci, uint64_t offset);
  bool InstanceDefinition(const InstanceDef& in, uint64_t offset,
                          DefInfo* info);
  bool CanonDefinition(const CanonDef& c, uint64_t offset, DefInfo* info);
  bool ImportDefinition(const ImportDef& imp, uint64_t offset, DefInfo* info);
  bool Annotated(const std::string& name, const ExternType& t, bool is_import,
                 uint64_t offset);
  bool ExportDefinition(const ExportDef& e, uint64_t offset, DefInfo* info);
  bool SortIndexType(Sort sort, uint32_t index, uint64_t offset,
                     ExternType* out);
  bool CoreFuncAt(uint32_t index, uint64_t offset, weft::FuncType* out) {
    Frame& f = Top();
    if (index >= f.core_funcs.size()) {
      return Fail("core func index " + std::to_string(index) +
                      " out of bounds (" + std::to_string(f.core_funcs.size()) +
                      " core funcs)",
                  offset);
    }
    *out = f.core_funcs[index];
    return true;
  }
  bool NameChecks(const ExternName& n, uint64_t offset) {
    std::string why = names::CheckExternName(n.name);
    if (!why.empty()) {
      return Fail("invalid name \"" + n.name + "\": " + why, offset);
    }
    if (n.implements) {
      if (names::IsInterfaceName(n.name)) {
        return Fail("\"" + n.name +
                        "\": (implements) needs a plain name, not an "
                        "interface name",
                    offset);
      }
      if (!names::IsInterfaceName(*n.implements) ||
          !names::CheckExternName(*n.implements).empty()) {
        return Fail("\"" + n.name + "\": (implements \"" + *n.implements +
                        "\") is not an interface name",
                    offset);
      }
    }
    return true;
  }
  // (implements) names an instance.
  bool ImplementsInstance(const ExternName& n, const ExternType& t,
                          uint64_t offset) {
    if (n.implements && t.kind != ExternType::Kind::Instance) {
      return Fail("\"" + n.name +
                      "\": (implements) is only allowed on "
                      "instances",
                  offset);
    }
    return true;
  }

  ValidatedComponent& out_;
  TypeArena& arena_;
  const ComponentLimits& limits_;
  std::vector<Frame> frames_;
  std::vector<ValFacts> facts_;
  std::vector<CoreModuleInfo> module_infos_;
  std::vector<CoreInstanceInfo> core_instance_infos_;
  std::vector<std::vector<uint32_t>> instance_fresh_;
  std::vector<uint32_t> scope_stack_; // the components being validated
  std::vector<std::optional<std::unordered_map<std::string, size_t>>>
      export_index_;
  uint64_t work_ = 0;
  bool failed_ = false;
  Error error_;
};

bool Validator::ValidateComponentScope(uint32_t scope_index) {
  if (frames_.size() > limits_.max_nesting) {
    return Fail("components nest deeper than the limit", 0);
  }
  frames_.emplace_back();
  scope_stack_.push_back(scope_index);
  const Component& c = *out_.scopes[scope_index].component;
  std::vector<DefInfo> infos(c.definitions.size());
  for (size_t i = 0; i < c.definitions.size(); ++i) {
    if (!Definition1(c.definitions[i], scope_index, &infos[i])) return false;
  }
  out_.scopes[scope_index].defs = std::move(infos);
  frames_.pop_back();
  scope_stack_.pop_back();
  return true;
}

bool Validator::Definition1(const Definition& d, uint32_t scope_index,
                            DefInfo* info) {
  switch (d.kind) {
  case Definition::Kind::CoreModule:
    return CoreModuleDefinition(d.core_module, d.offset, info);
  case Definition::Kind::CoreInstance:
    return CoreInstanceDefinition(d.core_instance, d.offset);
  case Definition::Kind::CoreType: {
    CoreTypeEntry e;
    if (!CoreTypeDefinition(*d.core_type, &e)) return false;
    Top().core_types.push_back(e);
    return true;
  }
  case Definition::Kind::Component: {
    Scope s;
    s.component = d.component.get();
    s.parent = scope_index;
    out_.scopes.push_back(std::move(s));
    uint32_t child = static_cast<uint32_t>(out_.scopes.size() - 1);
    if (!ValidateComponentScope(child)) return false;
    arena_.components.push_back(out_.scopes[child].type);
    uint32_t id = static_cast<uint32_t>(arena_.components.size() - 1);
    Top().components.push_back(id);
    info->scope = child;
    info->type.kind = ExternType::Kind::Component;
    info->type.id = id;
    return true;
  }
  case Definition::Kind::Instance:
    return InstanceDefinition(d.instance, d.offset, info);
  case Definition::Kind::Alias:
    return AliasDefinition(d.alias, d.offset, false, info);
  case Definition::Kind::Type: return TypeDefinition(*d.type, info);
  case Definition::Kind::Canon: return CanonDefinition(d.canon, d.offset, info);
  case Definition::Kind::Start:
    return Fail("start functions are not supported yet", d.offset);
  case Definition::Kind::Import: {
    if (!ImportDefinition(d.import, d.offset, info)) return false;
    out_.scopes[scope_index].type.imports.push_back(
        {d.import.name.name, info->type});
    return true;
  }
  case Definition::Kind::Export: {
    if (!ExportDefinition(d.export_, d.offset, info)) return false;
    out_.scopes[scope_index].type.exports.push_back(
        {d.export_.name.name, info->type});
    return true;
  }
  }
  return Fail("unknown definition", d.offset);
}

bool Validator::CoreTypeDefinition(const CoreTypeDef& t, CoreTypeEntry* out) {
  if (t.kind == CoreTypeDef::Kind::Func) {
    out->module = false;
    out->func = t.func;
    return true;
  }
  // A module type: its own core type space, outer aliases reach the
  // enclosing scopes' core types.
  CoreModuleInfo info;
  std::vector<weft::FuncType> types;
  auto extern_of = [&](const weft::Import& item, CoreExtern* e) {
    e->kind = item.kind;
    if (item.kind == ExternKind::Func) {
      if (item.func_type >= types.size()) {
        return Fail("module type: type index " +
                        std::to_string(item.func_type) + " out of bounds",
                    t.offset);
      }
      e->func = types[item.func_type];
    }
    e->table = item.table;
    e->memory = item.memory;
    e->global = item.global;
    return true;
  };
  for (const CoreModuleDecl& d : t.decls) {
    switch (d.kind) {
    case CoreModuleDecl::Kind::Type: types.push_back(d.type); break;
    case CoreModuleDecl::Kind::OuterAlias: {
      // Count 0 is the module type itself, 1 the enclosing scope, ...
      if (d.outer_count == 0) {
        if (d.outer_index >= types.size()) {
          return Fail("module type: outer alias of type " +
                          std::to_string(d.outer_index) + " out of bounds",
                      t.offset);
        }
        types.push_back(weft::FuncType(types[d.outer_index]));
        break;
      }
      if (d.outer_count > frames_.size()) {
        return Fail("module type: outer alias count " +
                        std::to_string(d.outer_count) + " out of bounds",
                    t.offset);
      }
      Frame& f = frames_[frames_.size() - d.outer_count];
      if (d.outer_index >= f.core_types.size() ||
          f.core_types[d.outer_index].module) {
        return Fail("module type: outer alias of core type " +
                        std::to_string(d.outer_index) +
                        " is not a core func type",
                    t.offset);
      }
      types.push_back(f.core_types[d.outer_index].func);
      break;
    }
    case CoreModuleDecl::Kind::Import: {
      CoreImport imp{d.item.module, d.item.name, {}};
      if (!extern_of(d.item, &imp.type)) return false;
      info.imports.push_back(std::move(imp));
      break;
    }
    case CoreModuleDecl::Kind::Export: {
      CoreExtern e;
      if (!extern_of(d.item, &e)) return false;
      if (!info.exports.emplace(d.item.name, e).second) {
        return Fail("module type: duplicate export \"" + d.item.name + "\"",
                    t.offset);
      }
      break;
    }
    }
  }
  module_infos_.push_back(std::move(info));
  out->module = true;
  out->module_info = static_cast<uint32_t>(module_infos_.size() - 1);
  return true;
}

bool Validator::TypeDefinition(const TypeDef& t, DefInfo* info) {
  Frame& f = Top();
  switch (t.kind) {
  case TypeDef::Kind::Val: {
    TypeId id = 0;
    if (!DefVal(t.val, t.offset, &id)) return false;
    Top().types.push_back({TypeEntry::Kind::Val, id});
    info->type.kind = ExternType::Kind::Type;
    info->type.id = id;
    return true;
  }
  case TypeDef::Kind::Func: {
    uint32_t id = 0;
    if (!FuncTypeOf(t.func, t.offset, &id)) return false;
    Top().types.push_back({TypeEntry::Kind::Func, id});
    info->type.kind = ExternType::Kind::Func;
    info->type.id = id;
    info->func_type = id;
    return true;
  }
  case TypeDef::Kind::Resource: {
    if (f.is_type) {
      return Fail("resource type definitions are not allowed in component "
                  "or instance types",
                  t.offset);
    }
    if (t.resource.rep != weft::ValType::I32) {
      return Fail("resource representation must be i32", t.offset);
    }
    ResourceDecl r;
    r.defined = true;
    r.scope = 0;
    if (t.resource.dtor) {
      weft::FuncType dt;
      if (!CoreFuncAt(*t.resource.dtor, t.offset, &dt)) return false;
      weft::FuncType want{{weft::ValType::I32}, {}};
      if (!(dt == want)) {
        return Fail("resource destructor has type " + dt.ToString() +
                        ", expected (i32) -> ()",
                    t.offset);
      }
      r.dtor = t.resource.dtor;
    }
    // The scope is the innermost component being validated.
    r.scope = scope_stack_.back();
    arena_.resources.push_back(std::move(r));
    uint32_t id = static_cast<uint32_t>(arena_.resources.size() - 1);
    Top().types.push_back({TypeEntry::Kind::Resource, id});
    info->type.kind = ExternType::Kind::Type;
    info->type.resource = true;
    info->type.id = id;
    info->resource = id;
    return true;
  }
  case TypeDef::Kind::Component:
  case TypeDef::Kind::Instance: return TypeDecls(t, info);
  }
  return Fail("unknown type definition", t.offset);
}

bool Validator::TypeDecls(const TypeDef& t, DefInfo* info) {
  bool component = t.kind == TypeDef::Kind::Component;
  if (frames_.size() > limits_.max_nesting) {
    return Fail("types nest deeper than the limit", t.offset);
  }
  uint32_t first_resource = static_cast<uint32_t>(arena_.resources.size());
  frames_.emplace_back();
  Top().is_type = true;
  ComponentType ct;
  for (const TypeDecl& d : t.decls) {
    DefInfo scratch;
    switch (d.kind) {
    case TypeDecl::Kind::CoreType: {
      CoreTypeEntry e;
      if (!CoreTypeDefinition(*d.core_type, &e)) return false;
      Top().core_types.push_back(e);
      break;
    }
    case TypeDecl::Kind::Type:
      if (!TypeDefinition(*d.type, &scratch)) return false;
      break;
    case TypeDecl::Kind::Alias:
      if (!AliasDefinition(d.alias, t.offset, true, &scratch)) return false;
      break;
    case TypeDecl::Kind::Import:
    case TypeDecl::Kind::Export: {
      bool is_import = d.kind == TypeDecl::Kind::Import;
      const ImportDef& item = is_import ? d.import : d.export_;
      if (!Unique(is_import ? Top().import_names : Top().export_names,
                  item.name.name, is_import ? "import" : "export", t.offset)) {
        return false;
      }
      ExternType et;
      if (!ResolveDesc(item.desc, item.name.name, t.offset, &et)) return false;
      if (!Annotated(item.name.name, et, is_import, t.offset)) return false;
      Push(et);
      (is_import ? ct.imports : ct.exports).push_back({item.name.name, et});
      break;
    }
    }
  }
  frames_.pop_back();
  uint32_t end_resource = static_cast<uint32_t>(arena_.resources.size());
  if (component) {
    arena_.components.push_back(std::move(ct));
    uint32_t id = static_cast<uint32_t>(arena_.components.size() - 1);
    Top().types.push_back({TypeEntry::Kind::Component, id});
    info->type.kind = ExternType::Kind::Component;
    info->type.id = id;
  } else {
    InstanceType it;
    it.exports = std::move(ct.exports);
    arena_.instances.push_back(std::move(it));
    uint32_t id = static_cast<uint32_t>(arena_.instances.size() - 1);
    for (uint32_t r = first_resource; r < end_resource; ++r)
      InstanceFresh(id).push_back(r);
    Top().types.push_back({TypeEntry::Kind::Instance, id});
    info->type.kind = ExternType::Kind::Instance;
    info->type.id = id;
  }
  return true;
}

bool Validator::AliasDefinition(const AliasDef& a, uint64_t offset,
                                bool in_type, DefInfo* info) {
  Frame& f = Top();
  switch (a.kind) {
  case AliasDef::Kind::InstanceExport: {
    if (in_type && a.sort != Sort::Instance && a.sort != Sort::Type) {
      return Fail(std::string("export alias of a ") + SortName(a.sort) +
                      " in a type",
                  offset);
    }
    if (a.instance >= f.instances.size()) {
      return Fail("alias: instance index " + std::to_string(a.instance) +
                      " out of bounds (" + std::to_string(f.instances.size()) +
                      " instances)",
                  offset);
    }
    const NamedExtern* e = InstanceExport(f.instances[a.instance], a.name);
    if (!e) {
      return Fail("alias: instance " + std::to_string(a.instance) +
                      " has no export \"" + a.name + "\"",
                  offset);
    }
    ExternType t = e->type;
    Sort have = Sort::Func;
    switch (t.kind) {
    case ExternType::Kind::CoreModule: have = Sort::CoreModule; break;
    case ExternType::Kind::Func: have = Sort::Func; break;
    case ExternType::Kind::Value: have = Sort::Value; break;
    case ExternType::Kind::Type: have = Sort::Type; break;
    case ExternType::Kind::Instance: have = Sort::Instance; break;
    case ExternType::Kind::Component: have = Sort::Component; break;
    }
    if (have != a.sort) {
      return Fail("alias: export \"" + a.name + "\" of instance " +
                      std::to_string(a.instance) + " is a " + SortName(have) +
                      ", not a " + SortName(a.sort),
                  offset);
    }
    Push(t);
    info->type = t;
    return true;
  }
  case AliasDef::Kind::CoreInstanceExport: {
    if (in_type) return Fail("core export alias in a type", offset);
    if (a.instance >= f.core_instances.size()) {
      return Fail("alias: core instance index " + std::to_string(a.instance) +
                      " out of bounds (" +
                      std::to_string(f.core_instances.size()) +
                      " core instances)",
                  offset);
    }
    const CoreInstanceInfo& ci =
        core_instance_infos_[f.core_instances[a.instance]];
    auto it = ci.find(a.name);
    if (it == ci.end()) {
      return Fail("alias: core instance " + std::to_string(a.instance) +
                      " has no export \"" + a.name + "\"",
                  offset);
    }
    const CoreExtern& e = it->second;
    if (CoreSortOf(e.kind) != a.sort) {
      return Fail("alias: export \"" + a.name + "\" of core instance " +
                      std::to_string(a.instance) + " is a " +
                      SortName(CoreSortOf(e.kind)) + ", not a " +
                      SortName(a.sort),
                  offset);
    }
    switch (e.kind) {
    case ExternKind::Func: f.core_funcs.push_back(e.func); break;
    case ExternKind::Table: f.core_tables.push_back(e.table); break;
    case ExternKind::Memory: f.core_memories.push_back(e.memory); break;
    case ExternKind::Global: f.core_globals.push_back(e.global); break;
    }
    return true;
  }
  case AliasDef::Kind::Outer: {
    bool allowed =
        in_type ? (a.sort == Sort::CoreType || a.sort == Sort::Type)
                : (a.sort == Sort::CoreType || a.sort == Sort::Type ||
                   a.sort == Sort::CoreModule || a.sort == Sort::Component);
    if (!allowed) {
      return Fail(std::string("outer alias of a ") + SortName(a.sort) +
                      " is not allowed",
                  offset);
    }
    if (a.outer_count >= frames_.size()) {
      return Fail("outer alias count " + std::to_string(a.outer_count) +
                      " exceeds the " + std::to_string(frames_.size() - 1) +
                      " enclosing scopes",
                  offset);
    }
    bool crosses_component = false;
    for (uint32_t i = 0; i < a.outer_count; ++i)
      if (!frames_[frames_.size() - 1 - i].is_type) crosses_component = true;
    Frame& target = frames_[frames_.size() - 1 - a.outer_count];
    auto bounds = [&](size_t n) {
      if (a.outer_index >= n) {
        return Fail("outer alias: " + std::string(SortName(a.sort)) +
                        " index " + std::to_string(a.outer_index) +
                        " out of bounds (" + std::to_string(n) + ")",
                    offset);
      }
      return true;
    };
    switch (a.sort) {
    case Sort::CoreType: {
      if (!bounds(target.core_types.size())) return false;
      CoreTypeEntry e = target.core_types[a.outer_index];
      f.core_types.push_back(e);
      return true;
    }
    case Sort::CoreModule: {
      if (!bounds(target.core_modules.size())) return false;
      uint32_t m = target.core_modules[a.outer_index];
      f.core_modules.push_back(m);
      return true;
    }
    case Sort::Component: {
      if (!bounds(target.components.size())) return false;
      uint32_t c = target.components[a.outer_index];
      f.components.push_back(c);
      info->type = {ExternType::Kind::Component, c, false};
      return true;
    }
    case Sort::Type: {
      if (!bounds(target.types.size())) return false;
      TypeEntry e = target.types[a.outer_index];
      if (crosses_component &&
          (e.kind == TypeEntry::Kind::Resource ||
           (e.kind == TypeEntry::Kind::Val && facts_[e.id].has_resource))) {
        return Fail("outer alias of type " + std::to_string(a.outer_index) +
                        " refers to a resource across a component boundary",
                    offset);
      }
      f.types.push_back(e);
      info->type = FromEntry(e);
      return true;
    }
    default: return Fail("outer alias sort not allowed", offset);
    }
  }
  }
  return Fail("unknown alias", offset);
}

bool Validator::CoreModuleDefinition(const CoreModuleDef& m, uint64_t offset,
                                     DefInfo* info) {
  auto fail_core = [&](const Error& e) {
    std::string msg =
        "core module at offset " + std::to_string(m.offset) + ": " + e.message;
    if (!e.context.empty()) msg += " (" + e.context + ")";
    return Fail(msg, e.offset == kNoOffset ? m.offset : m.offset + e.offset);
  };
  (void)offset;
  Result<weft::Module> decoded = weft::Decode(m.bytes);
  if (!decoded.ok()) return fail_core(decoded.error());
  Status valid = weft::Validate(decoded.value());
  if (!valid.ok()) return fail_core(valid.error());
  auto module = std::make_shared<weft::Module>(std::move(decoded.value()));
  CoreModuleInfo mi;
  for (const weft::Import& imp : module->imports) {
    CoreImport ci{imp.module, imp.name, {}};
    ci.type.kind = imp.kind;
    if (imp.kind == ExternKind::Func)
      ci.type.func = module->types[imp.func_type];
    ci.type.table = imp.table;
    ci.type.memory = imp.memory;
    ci.type.global = imp.global;
    mi.imports.push_back(std::move(ci));
  }
  for (const weft::Export& ex : module->exports) {
    CoreExtern e;
    e.kind = ex.kind;
    switch (ex.kind) {
    case ExternKind::Func:
      e.func = module->types[module->FuncTypeIndex(ex.index)];
      break;
    case ExternKind::Table: e.table = module->GetTableType(ex.index); break;
    case ExternKind::Memory: e.memory = module->GetMemoryType(ex.index); break;
    case ExternKind::Global: e.global = module->GetGlobalType(ex.index); break;
    }
    mi.exports.emplace(ex.name, e);
  }
  module_infos_.push_back(std::move(mi));
  Top().core_modules.push_back(static_cast<uint32_t>(module_infos_.size() - 1));
  info->type.kind = ExternType::Kind::CoreModule;
  info->type.id = static_cast<uint32_t>(module_infos_.size() - 1);
  info->core_module = std::move(module);
  return true;
}

bool Validator::CoreInstanceDefinition(const CoreInstanceDef& ci,
                                       uint64_t offset) {
  Frame& f = Top();
  CoreInstanceInfo result;
  if (ci.kind == CoreInstanceDef::Kind::Instantiate) {
    if (ci.module >= f.core_modules.size()) {
      return Fail("core instantiate: core module index " +
                      std::to_string(ci.module) + " out of bounds (" +
                      std::to_string(f.core_modules.size()) + " core modules)",
                  offset);
    }
    std::map<std::string, uint32_t> args;
    for (const auto& a : ci.args) {
      if (a.instance >= f.core_instances.size()) {
        return Fail("core instantiate: argument \"" + a.name +
                        "\": core instance index " +
                        std::to_string(a.instance) + " out of bounds",
                    offset);
      }
      if (!args.emplace(a.name, f.core_instances[a.instance]).second) {
        return Fail("core instantiate: duplicate argument \"" + a.name + "\"",
                    offset);
      }
    }
    const CoreModuleInfo& mi = module_infos_[f.core_modules[ci.module]];
    for (const CoreImport& imp : mi.imports) {
      auto it = args.find(imp.module);
      if (it == args.end()) {
        return Fail("core instantiate of core module " +
                        std::to_string(ci.module) + ": missing argument \"" +
                        imp.module + "\"",
                    offset);
      }
      const CoreInstanceInfo& arg = core_instance_infos_[it->second];
      auto e = arg.find(imp.name);
      if (e == arg.end()) {
        return Fail("core instantiate of core module " +
                        std::to_string(ci.module) + ": argument \"" +
                        imp.module + "\" has no export \"" + imp.name + "\"",
                    offset);
      }
      if (!CoreExternMatches(e->second, imp.type)) {
        return Fail("core instantiate of core module " +
                        std::to_string(ci.module) + ": import \"" + imp.module +
                        "\" \"" + imp.name + "\" needs " +
                        CoreExternText(imp.type) + ", found " +
                        CoreExternText(e->second),
                    offset);
      }
    }
    result = mi.exports;
  } else {
    for (const auto& e : ci.exports) {
      CoreExtern x;
      auto bounds = [&](size_t n) {
        if (e.index >= n) {
          return Fail("core instance export \"" + e.name +
                          "\": " + SortName(e.sort) + " index " +
                          std::to_string(e.index) + " out of bounds",
                      offset);
        }
        return true;
      };
      switch (e.sort) {
      case Sort::CoreFunc:
        if (!bounds(f.core_funcs.size())) return false;
        x.kind = ExternKind::Func;
        x.func = f.core_funcs[e.index];
        break;
      case Sort::CoreTable:
        if (!bounds(f.core_tables.size())) return false;
        x.kind = ExternKind::Table;
        x.table = f.core_tables[e.index];
        break;
      case Sort::CoreMemory:
        if (!bounds(f.core_memories.size())) return false;
        x.kind = ExternKind::Memory;
        x.memory = f.core_memories[e.index];
        break;
      case Sort::CoreGlobal:
        if (!bounds(f.core_globals.size())) return false;
        x.kind = ExternKind::Global;
        x.global = f.core_globals[e.index];
        break;
      default:
        return Fail(std::string("core instance export of a ") +
                        SortName(e.sort) + " is not supported",
                    offset);
      }
      if (!result.emplace(e.name, x).second) {
        return Fail("core instance: duplicate export \"" + e.name + "\"",
                    offset);
      }
    }
  }
  core_instance_infos_.push_back(std::move(result));
  Top().core_instances.push_back(
      static_cast<uint32_t>(core_instance_infos_.size() - 1));
  return true;
}

bool Validator::SortIndexType(Sort sort, uint32_t index, uint64_t offset,
                              ExternType* out) {
  Frame& f = Top();
  auto bounds = [&](size_t n) {
    if (index >= n) {
      return Fail(std::string(SortName(sort)) + " index " +
                      std::to_string(index) + " out of bounds (" +
                      std::to_string(n) + ")",
                  offset);
    }
    return true;
  };
  switch (sort) {
  case Sort::Func:
    if (!bounds(f.funcs.size())) return false;
    *out = {ExternType::Kind::Func, f.funcs[index], false};
    return true;
  case Sort::Instance:
    if (!bounds(f.instances.size())) return false;
    *out = {ExternType::Kind::Instance, f.instances[index], false};
    return true;
  case Sort::Component:
    if (!bounds(f.components.size())) return false;
    *out = {ExternType::Kind::Component, f.components[index], false};
    return true;
  case Sort::CoreModule:
    if (!bounds(f.core_modules.size())) return false;
    *out = {ExternType::Kind::CoreModule, f.core_modules[index], false};
    return true;
  case Sort::Type: {
    if (!bounds(f.types.size())) return false;
    TypeEntry e = f.types[index];
    if (e.kind != TypeEntry::Kind::Val && e.kind != TypeEntry::Kind::Resource) {
      return Fail(std::string("type ") + std::to_string(index) + " is a " +
                      TypeEntryName(e.kind) +
                      "; only value and resource types can be exported or "
                      "passed",
                  offset);
    }
    *out = FromEntry(e);
    return true;
  }
  case Sort::Value: return Fail("values are not supported yet", offset);
  default:
    return Fail(std::string("a ") + SortName(sort) +
                    " cannot be exported or passed to a component",
                offset);
  }
}

bool Validator::InstanceDefinition(const InstanceDef& in, uint64_t offset,
                                   DefInfo* info) {
  Frame& f = Top();
  InstanceType result;
  if (in.kind == InstanceDef::Kind::Instantiate) {
    if (in.component >= f.components.size()) {
      return Fail("instantiate: component index " +
                      std::to_string(in.component) + " out of bounds (" +
                      std::to_string(f.components.size()) + " components)",
                  offset);
    }
    std::map<std::string, ExternType> args;
    for (const auto& a : in.args) {
      ExternType t;
      if (!SortIndexType(a.sort, a.index, offset, &t)) return false;
      if (!args.emplace(a.name, t).second) {
        return Fail("instantiate: duplicate argument \"" + a.name + "\"",
                    offset);
      }
    }
    ComponentType ct = arena_.components[f.components[in.component]];
    ResourceMap m;
    for (const NamedExtern& imp : ct.imports) {
      auto it = args.find(imp.name);
      if (it == args.end()) {
        return Fail("instantiate of component " + std::to_string(in.component) +
                        ": missing argument \"" + imp.name + "\"",
                    offset);
      }
      if (!ExternSub(it->second, imp.type, m, imp.name, offset)) return false;
    }
    for (const NamedExtern& e : ct.exports)
      result.exports.push_back({e.name, SubstExtern(e.type, m)});
    if (!Charge(ct.exports.size() + 1, offset)) return false;
  } else {
    std::unordered_set<std::string> seen;
    for (const ExportDef& e : in.exports) {
      if (!Unique(seen, e.name.name, "export", offset)) return false;
      ExternType t;
      if (!SortIndexType(e.sort, e.index, offset, &t)) return false;
      result.exports.push_back({e.name.name, t});
    }
  }
  // A defined resource is known by the first name it is exported under.
  for (const NamedExtern& e : result.exports) {
    if (e.type.kind == ExternType::Kind::Type && e.type.resource &&
        arena_.resources[e.type.id].name.empty()) {
      arena_.resources[e.type.id].name = e.name;
    }
  }
  arena_.instances.push_back(std::move(result));
  uint32_t id = static_cast<uint32_t>(arena_.instances.size() - 1);
  Top().instances.push_back(id);
  info->type = {ExternType::Kind::Instance, id, false};
  return true;
}

bool Validator::CanonDefinition(const CanonDef& c, uint64_t offset,
                                DefInfo* info) {
  Frame& f = Top();
  static const weft::FuncType kI32ToI32{{weft::ValType::I32},
                                        {weft::ValType::I32}};
  switch (c.kind) {
  case CanonDef::Kind::Other: {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", c.opcode);
    return Fail(std::string("canon built-in ") + hex +
                    " (component-model async/threads) is not supported yet",
                offset);
  }
  case CanonDef::Kind::ResourceNew:
  case CanonDef::Kind::ResourceRep:
  case CanonDef::Kind::ResourceDrop: {
    const char* what = c.kind == CanonDef::Kind::ResourceNew ? "resource.new"
                       : c.kind == CanonDef::Kind::ResourceRep
                           ? "resource.rep"
                           : "resource.drop";
    if (c.async) {
      return Fail(std::string(what) + " async is not supported yet", offset);
    }
    TypeEntry e;
    if (!TypeAt(c.type, offset, &e)) return false;
    if (e.kind != TypeEntry::Kind::Resource) {
      return Fail(std::string(what) + " of type " + std::to_string(c.type) +
                      ", a " + TypeEntryName(e.kind) + ", not a resource type",
                  offset);
    }
    const ResourceDecl& r = arena_.resources[e.id];
    if (c.kind != CanonDef::Kind::ResourceDrop &&
        (!r.defined || r.scope != scope_stack_.back())) {
      return Fail(std::string(what) + " of resource type " +
                      std::to_string(c.type) +
                      ", which is not defined by this component",
                  offset);
    }
    weft::FuncType core = c.kind == CanonDef::Kind::ResourceDrop
                              ? weft::FuncType{{weft::ValType::I32}, {}}
                              : kI32ToI32;
    f.core_funcs.push_back(core);
    info->resource = e.id;
    info->core_type = core;
    return true;
  }
  case CanonDef::Kind::Lift:
  case CanonDef::Kind::Lower: break;
  }
  bool lift = c.kind == CanonDef::Kind::Lift;
  // General option checks.
  bool has_encoding = false;
  std::optional<uint32_t> memory, realloc, post_return;
  for (const CanonOpt& o : c.opts) {
    auto once = [&](bool seen, const char* name) {
      if (seen) {
        return Fail(std::string("canon option ") + name + " given twice",
                    offset);
      }
      return true;
    };
    switch (o.kind) {
    case CanonOpt::Kind::StringEncoding:
      if (!once(has_encoding, "string-encoding")) return false;
      has_encoding = true;
      break;
    case CanonOpt::Kind::Memory:
      if (!once(memory.has_value(), "memory")) return false;
      if (o.index >= f.core_memories.size()) {
        return Fail("canon option memory: core memory index " +
                        std::to_string(o.index) + " out of bounds",
                    offset);
      }
      memory = o.index;
      break;
    case CanonOpt::Kind::Realloc: {
      if (!once(realloc.has_value(), "realloc")) return false;
      weft::FuncType t;
      if (!CoreFuncAt(o.index, offset, &t)) return false;
      weft::FuncType want{{weft::ValType::I32, weft::ValType::I32,
                           weft::ValType::I32, weft::ValType::I32},
                          {weft::ValType::I32}};
      if (!(t == want)) {
        return Fail("canon option realloc has type " + t.ToString() +
                        ", expected " + want.ToString(),
                    offset);
      }
      realloc = o.index;
      break;
    }
    case CanonOpt::Kind::PostReturn:
      if (!once(post_return.has_value(), "post-return")) return false;
      if (!lift)
        return Fail("post-return is only allowed on canon lift", offset);
      post_return = o.index;
      break;
    case CanonOpt::Kind::Async:
    case CanonOpt::Kind::Callback:
      return Fail("async canon options are not supported yet", offset);
    }
  }
  if (realloc && !memory) {
    return Fail("canon option realloc requires a memory option", offset);
  }
  uint32_t func_type = 0;
  if (lift) {
    TypeEntry e;
    if (!TypeAt(c.type, offset, &e)) return false;
    if (e.kind != TypeEntry::Kind::Func) {
      return Fail("canon lift: type " + std::to_string(c.type) + " is a " +
                      TypeEntryName(e.kind) + ", not a func type",
                  offset);
    }
    func_type = e.id;
  } else {
    if (c.func >= f.funcs.size()) {
      return Fail("canon lower: func index " + std::to_string(c.func) +
                      " out of bounds (" + std::to_string(f.funcs.size()) +
                      " funcs)",
                  offset);
    }
    func_type = f.funcs[c.func];
  }
  const FuncType ft = arena_.funcs[func_type];
  bool spill_params = false, spill_results = false;
  weft::FuncType core = FlattenFunc(ft, lift, &spill_params, &spill_results);
  bool params_data = false, results_data = false;
  for (const Field& p : ft.params)
    params_data |= facts_[p.type].has_memory_data;
  for (TypeId r : ft.results)
    results_data |= facts_[r].has_memory_data;
  const char* verb = lift ? "canon lift" : "canon lower";
  // Lift: params are lowered into the callee (realloc), results lifted
  // from its memory; lower: the reverse.
  bool need_realloc = lift ? (params_data || spill_params) : results_data;
  bool need_memory = need_realloc || params_data || results_data ||
                     spill_params || spill_results;
  if (need_memory && !memory) {
    return Fail(std::string(verb) + " of " + FuncText(ft) +
                    " requires a memory option",
                offset);
  }
  if (need_realloc && !realloc) {
    return Fail(std::string(verb) + " of " + FuncText(ft) +
                    " requires a realloc option",
                offset);
  }
  if (lift) {
    weft::FuncType have;
    if (!CoreFuncAt(c.func, offset, &have)) return false;
    if (!(have == core)) {
      return Fail("canon lift of " + FuncText(ft) + ": core func " +
                      std::to_string(c.func) + " has type " + have.ToString() +
                      ", expected " + core.ToString(),
                  offset);
    }
    if (post_return) {
      weft::FuncType pr;
      if (!CoreFuncAt(*post_return, offset, &pr)) return false;
      weft::FuncType want{core.results, {}};
      if (!(pr == want)) {
        return Fail("canon option post-return has type " + pr.ToString() +
                        ", expected " + want.ToString(),
                    offset);
      }
    }
    f.funcs.push_back(func_type);
    info->type = {ExternType::Kind::Func, func_type, false};
  } else {
    f.core_funcs.push_back(core);
  }
  info->func_type = func_type;
  info->core_type = core;
  return true;
}

bool Validator::ImportDefinition(const ImportDef& imp, uint64_t offset,
                                 DefInfo* info) {
  if (!NameChecks(imp.name, offset) ||
      !Unique(Top().import_names, imp.name.name, "import", offset)) {
    return false;
  }
  ExternType t;
  if (!ResolveDesc(imp.desc, imp.name.name, offset, &t)) return false;
  if (!ImplementsInstance(imp.name, t, offset) ||
      !Annotated(imp.name.name, t, true, offset)) {
    return false;
  }
  Push(t);
  info->type = t;
  if (t.kind == ExternType::Kind::Type && t.resource) info->resource = t.id;
  return true;
}

bool Validator::ExportDefinition(const ExportDef& e, uint64_t offset,
                                 DefInfo* info) {
  if (!NameChecks(e.name, offset) ||
      !Unique(Top().export_names, e.name.name, "export", offset)) {
    return false;
  }
  ExternType t;
  if (!SortIndexType(e.sort, e.index, offset, &t)) return false;
  if (t.kind == ExternType::Kind::Type && !t.resource &&
      facts_[t.id].has_borrow) {
    return Fail("exported type \"" + e.name.name + "\" contains a borrow",
                offset);
  }
  if (e.ascribed) {
    ExternType want;
    if (!ResolveDesc(*e.ascribed, e.name.name, offset, &want)) return false;
    ResourceMap m;
    if (!ExternSub(t, want, m, e.name.name, offset)) {
      // Reword: this is an export, not an instantiation.
      error_.message.replace(
          0, std::string("component: instantiate argument").size(),
          "component: export");
      return false;
    }
    t = SubstExtern(want, m);
  }
  if (t.kind == ExternType::Kind::Type && t.resource) {
    if (arena_.resources[t.id].name.empty()) {
      arena_.resources[t.id].name = e.name.name;
    }
    info->resource = t.id;
  }
  if (!ImplementsInstance(e.name, t, offset) ||
      !Annotated(e.name.name, t, false, offset)) {
    return false;
  }
  Push(t);
  info->type = t;
  return true;
}

bool Validator::Annotated(const std::string& name, const ExternType& t,
                          bool is_import, uint64_t offset) {
  Frame& f = Top();
  auto& resources = is_import ? f.import_resources : f.export_resources;
  const char* side = is_import ? "import" : "export";
  if (name.empty() || name[0] != '[') {
    if (t.kind == ExternType::Kind::Type && t.resource &&
        !names::IsInterfaceName(name)) {
      resources[Lower(name)] = t.id;
    }
    return true;
  }
  size_t close = name.find(']');
  std::string annotation = name.substr(0, close + 1);
  std::string rest = name.substr(close + 1);
  std::string resource = rest.substr(0, rest.find('.'));
  if (t.kind != ExternType::Kind::Func) {
    return Fail("\"" + name + "\": " + annotation +
                    " names are only allowed on functions",
                offset);
  }
  auto it = resources.find(Lower(resource));
  if (it == resources.end()) {
    return Fail("\"" + name + "\": no preceding resource " + side + " \"" +
                    resource + "\"",
                offset);
  }
  const FuncType& ft = arena_.funcs[t.id];
  auto is_handle = [&](TypeId id, ValKind kind) {
    const ValType& v = arena_.vals[id];
    return v.kind == kind && v.resource == it->second;
  };
  if (annotation == "[constructor]") {
    bool ok = ft.results.size() == 1;
    if (ok && !is_handle(ft.results[0], ValKind::Own)) {
      const ValType& r = arena_.vals[ft.results[0]];
      ok = r.kind == ValKind::Result && r.ok && is_handle(*r.ok, ValKind::Own);
    }
    if (!ok) {
      return Fail("\"" + name + "\": a constructor must return own<" +
                      resource + "> or result<own<" + resource + ">, _>",
                  offset);
    }
  } else if (annotation == "[method]") {
    if (ft.params.empty() || ft.params[0].name != "self" ||
        !is_handle(ft.params[0].type, ValKind::Borrow)) {
      return Fail("\"" + name +
                      "\": a method's first parameter must be self: borrow<" +
                      resource + ">",
                  offset);
    }
  }
  return true;
}

} // namespace

Result<std::shared_ptr<const ValidatedComponent>>
ValidateComponent(std::shared_ptr<const DecodedComponent> decoded,
                  const ComponentLimits& limits) {
  if (!decoded) return Error{"component: nothing to validate", kNoOffset, ""};
  auto out = std::make_shared<ValidatedComponent>();
  out->decoded = std::move(decoded);
  Validator v(*out, limits);
  if (!v.Run()) return v.TakeError();
  return std::shared_ptr<const ValidatedComponent>(std::move(out));
}

} // namespace weft::component
