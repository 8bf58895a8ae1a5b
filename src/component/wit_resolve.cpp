// Syntax trees -> resolved WIT (wit.h). Names resolve lazily with a depth-
// first walk, so interfaces, worlds and types may be used before they are
// defined (WIT's rule), and a cycle is an error at the item that closes it.
// An Add works on a copy of the state and commits only when everything
// resolved, so a failed Add changes nothing.
#include <algorithm>
#include <functional>
#include <set>

#include "component/wit_internal.h"

namespace weft::component::wit {

using detail::AstFile;
using detail::AstFunc;
using detail::AstGate;
using detail::AstInterface;
using detail::AstItem;
using detail::AstPackage;
using detail::AstPath;
using detail::AstResourceFunc;
using detail::AstTopUse;
using detail::AstType;
using detail::AstWorld;
using detail::AstWorldItem;
using detail::MakeError;
using detail::Pos;

std::string Package::Name() const {
  std::string s = ns + ":" + name;
  if (version) s += "@" + version->ToString();
  return s;
}

namespace {

bool SameVersion(const std::optional<SemVer>& a,
                 const std::optional<SemVer>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->major == b->major && a->minor == b->minor && a->patch == b->patch &&
         a->pre == b->pre;
}

// Names are unique without regard to case (WIT, and the component
// model's rule for labels and export names).
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// One name of an interface's (or world's) type namespace.
struct Entry {
  const AstItem* item = nullptr;
  const detail::AstUseName* use = nullptr; // for Use items: which name
  int state = 0;                           // 0 new, 1 resolving, 2 done
  ExternType result;
  std::optional<uint32_t> from;
};

struct Scope {
  uint32_t file = 0;
  uint32_t package = 0;
  const std::vector<AstTopUse>* top_uses = nullptr;
  std::optional<uint32_t> iface; // the interface being built, if any
  std::vector<Entry> entries;
  std::map<std::string, size_t, std::less<>> by_name;
  std::vector<TypeDef> types; // in resolution order
  std::vector<uint32_t> uses;
};

struct IfaceJob {
  const AstInterface* ast = nullptr;
  uint32_t file = 0;
  const std::vector<AstTopUse>* top_uses = nullptr;
  int state = 0;
};

struct WorldJob {
  const AstWorld* ast = nullptr;
  uint32_t file = 0;
  const std::vector<AstTopUse>* top_uses = nullptr;
  int state = 0;
};

// Resolution recurses through `use`, aliases, type arguments and includes;
// this bounds the depth (hostile input must not exhaust the stack).
constexpr int kMaxDepth = 300;

class Resolver {
public:
  Resolver(Resolve::State& st, const std::vector<AstFile>& files)
      : st_(st), files_(files) {}

  Result<std::vector<uint32_t>> Run() {
    // Every primitive once, before anything else: the arena's cache then
    // never points at a type made here.
    for (int k = 0; k <= static_cast<int>(ValKind::ErrorContext); ++k)
      st_.arena.Prim(static_cast<ValKind>(k));
    WEFT_TRY(Register());
    for (auto& [idx, job] : iface_jobs_)
      WEFT_TRY(EnsureInterface(idx, {}));
    for (auto& [idx, job] : world_jobs_)
      WEFT_TRY(EnsureWorld(idx, {}));
    return added_;
  }

private:
  struct Deeper {
    explicit Deeper(int& d) : d_(d) { ++d_; }
    ~Deeper() { --d_; }
    int& d_;
  };
  Result<bool> CheckDepth(uint32_t file, Pos pos) const {
    if (depth_ > kMaxDepth)
      return Err(file, pos,
                 "definitions nested too deeply (more than " +
                     std::to_string(kMaxDepth) +
                     " levels of `use`, aliases, types and includes)");
    return true;
  }

  const std::string& FileName(uint32_t f) const { return files_[f].name; }
  Error Err(uint32_t file, Pos p, std::string_view msg) const {
    return MakeError(FileName(file), p, msg);
  }

  bool Enabled(const AstGate& g) const {
    if (g.gate.unstable.empty()) return true;
    if (st_.options.all_features) return true;
    auto& f = st_.options.features;
    return std::find(f.begin(), f.end(), g.gate.unstable) != f.end();
  }

  Result<bool> CheckGate(uint32_t file, uint32_t pkg, const AstGate& g) const {
    if (g.any && !st_.packages[pkg].version)
      return Err(file, g.pos,
                 "feature gates need a versioned package (`package " +
                     st_.packages[pkg].Name() + "@x.y.z;`)");
    return true;
  }

  // --- packages of this Add ---
  Result<bool> Register() {
    // The root package: named by the files that declare one.
    const AstPackage* root = nullptr;
    uint32_t root_file = 0;
    for (uint32_t f = 0; f < files_.size(); ++f) {
      const AstPackage& p = files_[f].packages[0];
      if (!p.declared) continue;
      if (root && (root->ns != p.ns || root->name != p.name ||
                   !SameVersion(root->version, p.version))) {
        // Several packages in one set: each file is its own.
        root = nullptr;
        break;
      }
      root = &p;
      root_file = f;
    }
    for (uint32_t f = 0; f < files_.size(); ++f) {
      const AstFile& file = files_[f];
      for (size_t k = 0; k < file.packages.size(); ++k) {
        const AstPackage& p = file.packages[k];
        const AstPackage* named = &p;
        if (k == 0 && !p.declared) {
          bool empty = p.interfaces.empty() && p.worlds.empty();
          if (empty && p.uses.empty()) continue;
          if (!root)
            return Err(f, Pos{},
                       files_.size() > 1
                           ? "this file has no `package` declaration and "
                             "the others declare more than one package"
                           : "missing `package` declaration (e.g. `package "
                             "local:demo;`)");
          named = root;
        }
        auto pkg = PackageIndex(*named, named == &p ? f : root_file, f);
        if (!pkg.ok()) return pkg.error();
        if (!p.docs.empty()) st_.packages[*pkg].docs = p.docs;
        for (const AstInterface& i : p.interfaces) {
          if (!Enabled(i.gate)) continue;
          WEFT_TRY(CheckGate(f, *pkg, i.gate));
          Package& P = st_.packages[*pkg];
          if (P.interfaces.count(i.name) || P.worlds.count(i.name))
            return Err(f, i.pos, "`" + i.name + "` is defined more than once");
          auto idx = static_cast<uint32_t>(st_.interfaces.size());
          Interface iface;
          iface.name = i.name;
          iface.package = *pkg;
          iface.docs = i.docs;
          iface.gate = i.gate.gate;
          st_.interfaces.push_back(std::move(iface));
          P.interfaces.emplace(i.name, idx);
          iface_jobs_[idx] = IfaceJob{&i, f, &p.uses, 0};
        }
        for (const AstWorld& w : p.worlds) {
          if (!Enabled(w.gate)) continue;
          WEFT_TRY(CheckGate(f, *pkg, w.gate));
          Package& P = st_.packages[*pkg];
          if (P.interfaces.count(w.name) || P.worlds.count(w.name))
            return Err(f, w.pos, "`" + w.name + "` is defined more than once");
          auto idx = static_cast<uint32_t>(st_.worlds.size());
          World world;
          world.name = w.name;
          world.package = *pkg;
          world.docs = w.docs;
          world.gate = w.gate.gate;
          st_.worlds.push_back(std::move(world));
          P.worlds.emplace(w.name, idx);
          world_jobs_[idx] = WorldJob{&w, f, &p.uses, 0};
        }
      }
    }
    return true;
  }

  // The index of package `p` (made on first sight in this Add; an error if
  // an earlier Add defined it).
  Result<uint32_t> PackageIndex(const AstPackage& p, uint32_t decl_file,
                                uint32_t file) {
    for (uint32_t i : added_) {
      const Package& q = st_.packages[i];
      if (q.ns == p.ns && q.name == p.name && SameVersion(q.version, p.version))
        return i;
    }
    for (const Package& q : st_.packages)
      if (q.ns == p.ns && q.name == p.name && SameVersion(q.version, p.version))
        return Err(decl_file, p.pos,
                   "package `" + q.Name() + "` is already defined");
    Package pkg;
    pkg.ns = p.ns;
    pkg.name = p.name;
    pkg.version = p.version;
    st_.packages.push_back(std::move(pkg));
    auto idx = static_cast<uint32_t>(st_.packages.size() - 1);
    added_.push_back(idx);
    (void)file;
    return idx;
  }

  // --- looking up interfaces and worlds ---
  Result<uint32_t> FindPackage(uint32_t file, const AstPath& path) const {
    std::optional<uint32_t> found;
    int matches = 0;
    for (uint32_t i = 0; i < st_.packages.size(); ++i) {
      const Package& q = st_.packages[i];
      if (q.ns != path.ns || q.name != path.pkg) continue;
      if (path.version) {
        if (SameVersion(q.version, path.version)) return i;
        continue;
      }
      if (!q.version) return i;
      ++matches;
      found = i;
    }
    // Without a version, the one version known (if only one is).
    if (!path.version && matches == 1) return *found;
    std::string name = path.ns + ":" + path.pkg;
    if (path.version) name += "@" + path.version->ToString();
    return Err(file, path.pos,
               matches > 1
                   ? "package `" + name + "` is ambiguous: give its version"
                   : "package `" + name + "` is not known");
  }

  // An interface reference from `scope` (a bare name: a top-level `use`
  // of its file, else an interface of its package).
  Result<uint32_t> LookupInterface(uint32_t file, uint32_t package,
                                   const std::vector<AstTopUse>* top_uses,
                                   const AstPath& path) {
    if (!path.qualified && top_uses) {
      for (const AstTopUse& u : *top_uses)
        if (u.as == path.name) {
          AstPath p = u.path;
          p.pos = path.pos;
          return LookupInterface(file, package, nullptr, p);
        }
    }
    uint32_t pkg = package;
    if (path.qualified) {
      auto p = FindPackage(file, path);
      if (!p.ok()) return p.error();
      pkg = *p;
    }
    const Package& P = st_.packages[pkg];
    auto it = P.interfaces.find(path.name);
    if (it == P.interfaces.end())
      return Err(file, path.pos,
                 "interface `" + path.name + "` is not defined in package `" +
                     P.Name() + "`");
    WEFT_TRY(EnsureInterface(it->second, Cite{file, path.pos}));
    return it->second;
  }

  Result<uint32_t> LookupWorld(uint32_t file, uint32_t package,
                               const AstPath& path) {
    uint32_t pkg = package;
    if (path.qualified) {
      auto p = FindPackage(file, path);
      if (!p.ok()) return p.error();
      pkg = *p;
    }
    const Package& P = st_.packages[pkg];
    auto it = P.worlds.find(path.name);
    if (it == P.worlds.end())
      return Err(file, path.pos,
                 "world `" + path.name + "` is not defined in package `" +
                     P.Name() + "`");
    WEFT_TRY(EnsureWorld(it->second, Cite{file, path.pos}));
    return it->second;
  }

  struct Cite {
    uint32_t file = 0;
    Pos pos;
    bool set = true;
  };

  // --- interfaces ---
  Result<bool> EnsureInterface(uint32_t idx, std::optional<Cite> from) {
    auto it = iface_jobs_.find(idx);
    if (it == iface_jobs_.end()) return true; // from an earlier Add
    IfaceJob& job = it->second;
    if (job.state == 2) return true;
    if (job.state == 1) {
      Cite c = from.value_or(Cite{job.file, job.ast->pos});
      return Err(c.file, c.pos,
                 "interface `" + job.ast->name +
                     "` depends on itself (through `use`)");
    }
    Deeper deeper(depth_);
    WEFT_TRY(CheckDepth(job.file, job.ast->pos));
    job.state = 1;
    Scope scope;
    scope.file = job.file;
    scope.package = *st_.interfaces[idx].package;
    scope.top_uses = job.top_uses;
    scope.iface = idx;
    WEFT_TRY(BuildInterface(scope, *job.ast, idx));
    job.state = 2;
    return true;
  }

  // Resolves `ast` into st_.interfaces[idx].
  Result<bool> BuildInterface(Scope& scope, const AstInterface& ast,
                              uint32_t idx) {
    std::vector<const AstItem*> items;
    for (const AstItem& item : ast.items) {
      if (!Enabled(item.gate)) continue;
      WEFT_TRY(CheckGate(scope.file, scope.package, item.gate));
      items.push_back(&item);
    }
    WEFT_TRY(Declare(scope, items));
    for (size_t i = 0; i < scope.entries.size(); ++i)
      WEFT_TRY(ResolveEntry(scope, i));
    // Functions, in source order (a resource's where the resource is).
    std::vector<Function> funcs;
    std::set<std::string, std::less<>> fnames;
    for (const AstItem* item : items) {
      if (item->kind == AstItem::Kind::Func) {
        auto f = MakeFunc(scope, item->func, {}, std::nullopt);
        if (!f.ok()) return f.error();
        funcs.push_back(Function{item->name, *f, item->docs, item->gate.gate});
      } else if (item->kind == AstItem::Kind::Resource) {
        WEFT_TRY(ResourceFuncs(scope, *item, funcs, fnames));
      }
    }
    Interface& iface = st_.interfaces[idx];
    iface.types = std::move(scope.types);
    iface.funcs = std::move(funcs);
    iface.uses = std::move(scope.uses);
    InstanceType inst;
    for (const TypeDef& t : iface.types)
      inst.exports.push_back(NamedExtern{t.name, t.type});
    for (const Function& f : iface.funcs)
      inst.exports.push_back(
          NamedExtern{f.name, ExternType{ExternType::Kind::Func, f.type}});
    iface.type = inst;
    st_.arena.instances.push_back(std::move(inst));
    iface.instance = static_cast<uint32_t>(st_.arena.instances.size() - 1);
    for (const TypeDef& t : iface.types)
      if (t.type.resource && !t.used_from) st_.resource_owner[t.type.id] = idx;
    return true;
  }

  // Enters every type name of `items` into the scope's namespace.
  Result<bool> Declare(Scope& scope, const std::vector<const AstItem*>& items) {
    std::set<std::string, std::less<>> lowered;
    auto unique = [&](const std::string& name, Pos pos) -> Result<bool> {
      if (!lowered.insert(Lower(name)).second)
        return Err(scope.file, pos, "`" + name + "` is defined more than once");
      return true;
    };
    for (const AstItem* item : items) {
      if (item->kind == AstItem::Kind::Use) {
        for (const auto& n : item->names) {
          const std::string& name = n.as.empty() ? n.name : n.as;
          WEFT_TRY(unique(name, n.pos));
          Entry e;
          e.item = item;
          e.use = &n;
          scope.by_name.emplace(name, scope.entries.size());
          scope.entries.push_back(e);
        }
      } else if (item->kind == AstItem::Kind::Func) {
        WEFT_TRY(unique(item->name, item->pos));
      } else {
        WEFT_TRY(unique(item->name, item->pos));
        Entry e;
        e.item = item;
        scope.by_name.emplace(item->name, scope.entries.size());
        scope.entries.push_back(e);
      }
    }
    return true;
  }

  std::string EntryName(const Entry& e) const {
    if (e.use) return e.use->as.empty() ? e.use->name : e.use->as;
    return e.item->name;
  }

  Result<bool> ResolveEntry(Scope& scope, size_t i) {
    Entry& e0 = scope.entries[i];
    if (e0.state == 2) return true;
    if (e0.state == 1)
      return Err(scope.file, e0.use ? e0.use->pos : e0.item->pos,
                 "type `" + EntryName(e0) + "` refers to itself");
    Deeper deeper(depth_);
    WEFT_TRY(CheckDepth(scope.file, e0.use ? e0.use->pos : e0.item->pos));
    e0.state = 1;
    const AstItem& item = *e0.item;
    ExternType result{ExternType::Kind::Type, 0, false};
    std::optional<uint32_t> from;
    switch (item.kind) {
    case AstItem::Kind::Use: {
      auto target =
          LookupInterface(scope.file, scope.package, scope.top_uses, item.path);
      if (!target.ok()) return target.error();
      if (scope.iface && *target == *scope.iface)
        return Err(scope.file, item.path.pos,
                   "an interface cannot `use` itself");
      const Interface& t = st_.interfaces[*target];
      const TypeDef* def = nullptr;
      for (const TypeDef& d : t.types)
        if (d.name == scope.entries[i].use->name) def = &d;
      if (!def)
        return Err(scope.file, scope.entries[i].use->pos,
                   "type `" + scope.entries[i].use->name +
                       "` is not defined in interface `" + item.path.Text() +
                       "`");
      result = def->type;
      from = *target;
      if (std::find(scope.uses.begin(), scope.uses.end(), *target) ==
          scope.uses.end())
        scope.uses.push_back(*target);
      break;
    }
    case AstItem::Kind::Alias: {
      if (item.alias.kind == AstType::Kind::Named) {
        auto named = ResolveName(scope, item.alias.name, item.alias.pos);
        if (!named.ok()) return named.error();
        if (named->resource) {
          result = *named;
          break;
        }
      }
      auto t = ResolveTy(scope, item.alias);
      if (!t.ok()) return t.error();
      TypeId id = *t;
      if (st_.names.count(id) == 0) {
        if (IsShared(id)) id = st_.arena.AddVal(st_.arena.vals[id]);
        st_.names[id] = item.name;
      }
      result.id = id;
      break;
    }
    case AstItem::Kind::Record: {
      ValType v;
      v.kind = ValKind::Record;
      if (item.fields.empty())
        return Err(scope.file, item.pos,
                   "record `" + item.name + "` has no fields");
      std::set<std::string, std::less<>> seen;
      for (const auto& f : item.fields) {
        if (!seen.insert(Lower(f.name)).second)
          return Err(scope.file, f.pos, "duplicate field `" + f.name + "`");
        auto t = ResolveTy(scope, f.type);
        if (!t.ok()) return t.error();
        v.fields.push_back(Field{f.name, *t});
      }
      result.id = Named(std::move(v), item.name);
      break;
    }
    case AstItem::Kind::Variant: {
      ValType v;
      v.kind = ValKind::Variant;
      if (item.cases.empty())
        return Err(scope.file, item.pos,
                   "variant `" + item.name + "` has no cases");
      std::set<std::string, std::less<>> seen;
      for (const auto& c : item.cases) {
        if (!seen.insert(Lower(c.name)).second)
          return Err(scope.file, c.pos, "duplicate case `" + c.name + "`");
        Case k{c.name, std::nullopt};
        if (c.type) {
          auto t = ResolveTy(scope, *c.type);
          if (!t.ok()) return t.error();
          k.type = *t;
        }
        v.cases.push_back(std::move(k));
      }
      result.id = Named(std::move(v), item.name);
      break;
    }
    case AstItem::Kind::Enum:
    case AstItem::Kind::Flags: {
      bool flags = item.kind == AstItem::Kind::Flags;
      ValType v;
      v.kind = flags ? ValKind::Flags : ValKind::Enum;
      if (item.cases.empty())
        return Err(scope.file, item.pos,
                   std::string(flags ? "flags" : "enum") + " `" + item.name +
                       "` has no " + (flags ? "flags" : "cases"));
      if (flags && item.cases.size() > 32)
        return Err(scope.file, item.cases[32].pos,
                   "flags `" + item.name + "` has more than 32 flags");
      std::set<std::string, std::less<>> seen;
      for (const auto& c : item.cases) {
        if (!seen.insert(Lower(c.name)).second)
          return Err(scope.file, c.pos,
                     std::string("duplicate ") + (flags ? "flag" : "case") +
                         " `" + c.name + "`");
        v.labels.push_back(c.name);
      }
      result.id = Named(std::move(v), item.name);
      break;
    }
    case AstItem::Kind::Resource: {
      ResourceDecl r;
      r.name = item.name;
      st_.arena.resources.push_back(std::move(r));
      result.id = static_cast<uint32_t>(st_.arena.resources.size() - 1);
      result.resource = true;
      break;
    }
    case AstItem::Kind::Func: break; // not in the type namespace
    }
    Entry& e = scope.entries[i];
    e.state = 2;
    e.result = result;
    e.from = from;
    TypeDef def;
    def.name = EntryName(e);
    def.type = result;
    def.used_from = from;
    def.docs = item.docs;
    def.gate = item.gate.gate;
    scope.types.push_back(std::move(def));
    return true;
  }

  TypeId Named(ValType v, const std::string& name) {
    TypeId id = st_.arena.AddVal(std::move(v));
    st_.names[id] = name;
    return id;
  }

  // A type id other definitions may also hold (primitives, handles).
  bool IsShared(TypeId id) {
    const ValType& v = st_.arena.vals[id];
    if (IsPrimitive(v.kind)) return st_.arena.Prim(v.kind) == id;
    auto memo = [&](const std::map<uint32_t, TypeId>& m) {
      auto it = m.find(v.resource);
      return it != m.end() && it->second == id;
    };
    if (v.kind == ValKind::Own) return memo(st_.own_ids);
    if (v.kind == ValKind::Borrow) return memo(st_.borrow_ids);
    return false;
  }

  Result<ExternType> ResolveName(Scope& scope, const std::string& name,
                                 Pos pos) {
    auto it = scope.by_name.find(name);
    if (it == scope.by_name.end())
      return Err(scope.file, pos, "type `" + name + "` is not defined");
    WEFT_TRY(ResolveEntry(scope, it->second));
    return scope.entries[it->second].result;
  }

  TypeId Handle(uint32_t resource, bool own) {
    auto& memo = own ? st_.own_ids : st_.borrow_ids;
    auto it = memo.find(resource);
    if (it != memo.end()) return it->second;
    ValType v;
    v.kind = own ? ValKind::Own : ValKind::Borrow;
    v.resource = resource;
    TypeId id = st_.arena.AddVal(std::move(v));
    memo[resource] = id;
    return id;
  }

  Result<TypeId> ResolveTy(Scope& scope, const AstType& t) {
    Deeper deeper(depth_);
    WEFT_TRY(CheckDepth(scope.file, t.pos));
    auto sub = [&](size_t i) { return ResolveTy(scope, t.args[i]); };
    ValType v;
    switch (t.kind) {
    case AstType::Kind::Prim: return st_.arena.Prim(t.prim);
    case AstType::Kind::Named:
    case AstType::Kind::Own:
    case AstType::Kind::Borrow: {
      auto named = ResolveName(scope, t.name, t.pos);
      if (!named.ok()) return named.error();
      if (t.kind == AstType::Kind::Named)
        return named->resource ? Handle(named->id, true) : named->id;
      if (!named->resource)
        return Err(
            scope.file, t.pos,
            std::string(t.kind == AstType::Kind::Own ? "own" : "borrow") + "<" +
                t.name + "> needs a resource; `" + t.name + "` is not one");
      return Handle(named->id, t.kind == AstType::Kind::Own);
    }
    case AstType::Kind::List: {
      auto e = sub(0);
      if (!e.ok()) return e.error();
      v.kind = ValKind::List;
      v.elem = *e;
      v.fixed_length = t.fixed_length;
      break;
    }
    case AstType::Kind::Option: {
      auto e = sub(0);
      if (!e.ok()) return e.error();
      v.kind = ValKind::Option;
      v.elem = *e;
      break;
    }
    case AstType::Kind::Future:
    case AstType::Kind::Stream:
      v.kind =
          t.kind == AstType::Kind::Future ? ValKind::Future : ValKind::Stream;
      if (!t.args.empty()) {
        auto e = sub(0);
        if (!e.ok()) return e.error();
        v.elem = *e;
        v.has_elem = true;
      }
      break;
    case AstType::Kind::Tuple:
      v.kind = ValKind::Tuple;
      for (size_t i = 0; i < t.args.size(); ++i) {
        auto e = sub(i);
        if (!e.ok()) return e.error();
        v.elems.push_back(*e);
      }
      break;
    case AstType::Kind::Result: {
      v.kind = ValKind::Result;
      size_t i = 0;
      if (t.has_ok) {
        auto e = sub(i++);
        if (!e.ok()) return e.error();
        v.ok = *e;
      }
      if (t.has_err) {
        auto e = sub(i);
        if (!e.ok()) return e.error();
        v.err = *e;
      }
      break;
    }
    case AstType::Kind::Map: {
      // map<K, V> is list<tuple<K, V>> at the component level.
      const AstType& k = t.args[0];
      bool key_ok = k.kind == AstType::Kind::Prim && k.prim != ValKind::F32 &&
                    k.prim != ValKind::F64 && k.prim != ValKind::ErrorContext;
      if (!key_ok)
        return Err(scope.file, k.pos,
                   "a map key is an integer, char, bool or string");
      auto key = sub(0);
      if (!key.ok()) return key.error();
      auto val = sub(1);
      if (!val.ok()) return val.error();
      ValType tup;
      tup.kind = ValKind::Tuple;
      tup.elems = {*key, *val};
      v.kind = ValKind::List;
      v.elem = st_.arena.AddVal(std::move(tup));
      break;
    }
    }
    return st_.arena.AddVal(std::move(v));
  }

  // A FuncType in arena.funcs; `self` first when given.
  Result<uint32_t> MakeFunc(Scope& scope, const AstFunc& f,
                            std::optional<Field> self,
                            std::optional<TypeId> result) {
    FuncType ft;
    ft.async = f.async;
    std::set<std::string, std::less<>> seen;
    if (self) {
      seen.insert(Lower(self->name));
      ft.params.push_back(*self);
    }
    for (const auto& p : f.params) {
      if (!seen.insert(Lower(p.name)).second)
        return Err(scope.file, p.pos, "duplicate parameter `" + p.name + "`");
      auto t = ResolveTy(scope, p.type);
      if (!t.ok()) return t.error();
      ft.params.push_back(Field{p.name, *t});
    }
    if (result) {
      ft.results.push_back(*result);
    } else if (f.result) {
      auto t = ResolveTy(scope, *f.result);
      if (!t.ok()) return t.error();
      ft.results.push_back(*t);
    }
    st_.arena.funcs.push_back(std::move(ft));
    return static_cast<uint32_t>(st_.arena.funcs.size() - 1);
  }

  Result<bool> ResourceFuncs(Scope& scope, const AstItem& item,
                             std::vector<Function>& out,
                             std::set<std::string, std::less<>>& names) {
    uint32_t res = scope.entries[scope.by_name.at(item.name)].result.id;
    bool has_ctor = false;
    for (const AstResourceFunc& m : item.methods) {
      if (!Enabled(m.gate)) continue;
      WEFT_TRY(CheckGate(scope.file, scope.package, m.gate));
      std::string name;
      Result<uint32_t> f = 0u;
      switch (m.kind) {
      case AstResourceFunc::Kind::Constructor: {
        if (has_ctor)
          return Err(scope.file, m.pos,
                     "resource `" + item.name +
                         "` has more than one "
                         "constructor");
        has_ctor = true;
        name = "[constructor]" + item.name;
        std::optional<TypeId> result = Handle(res, true);
        if (m.func.result) {
          auto t = ResolveTy(scope, *m.func.result);
          if (!t.ok()) return t.error();
          const ValType& rt = st_.arena.vals[*t];
          if (rt.kind != ValKind::Result || !rt.ok ||
              st_.arena.vals[*rt.ok].kind != ValKind::Own ||
              st_.arena.vals[*rt.ok].resource != res)
            return Err(scope.file, m.func.result->pos,
                       "a constructor of `" + item.name + "` returns `" +
                           item.name + "` or `result<" + item.name + ", E>`");
          result = *t;
        }
        f = MakeFunc(scope, m.func, std::nullopt, result);
        break;
      }
      case AstResourceFunc::Kind::Method:
        name = "[method]" + item.name + "." + m.name;
        f = MakeFunc(scope, m.func, Field{"self", Handle(res, false)},
                     std::nullopt);
        break;
      case AstResourceFunc::Kind::Static:
        name = "[static]" + item.name + "." + m.name;
        f = MakeFunc(scope, m.func, std::nullopt, std::nullopt);
        break;
      }
      if (!f.ok()) return f.error();
      if (!names.insert(Lower(name)).second)
        return Err(scope.file, m.pos,
                   "`" + m.name + "` is defined more than once in resource `" +
                       item.name + "`");
      out.push_back(Function{name, *f, m.docs, m.gate.gate});
    }
    return true;
  }

  std::string QualifiedName(uint32_t iface) const {
    const Interface& i = st_.interfaces[iface];
    if (!i.package) return i.name;
    const Package& p = st_.packages[*i.package];
    std::string s = p.ns + ":" + p.name + "/" + i.name;
    if (p.version) s += "@" + p.version->ToString();
    return s;
  }

  // --- worlds ---
  Result<bool> EnsureWorld(uint32_t idx, std::optional<Cite> from) {
    auto it = world_jobs_.find(idx);
    if (it == world_jobs_.end()) return true;
    WorldJob& job = it->second;
    if (job.state == 2) return true;
    if (job.state == 1) {
      Cite c = from.value_or(Cite{job.file, job.ast->pos});
      return Err(c.file, c.pos,
                 "world `" + job.ast->name + "` includes itself");
    }
    Deeper deeper(depth_);
    WEFT_TRY(CheckDepth(job.file, job.ast->pos));
    job.state = 1;
    WEFT_TRY(BuildWorld(job, idx));
    job.state = 2;
    return true;
  }

  struct WorldBuild {
    std::vector<WorldItem> imports, exports;
    std::set<std::string, std::less<>> import_names, export_names;
  };

  Result<bool> AddItem(WorldBuild& b, bool is_import, WorldItem item,
                       uint32_t file, Pos pos, bool from_include) {
    auto& names = is_import ? b.import_names : b.export_names;
    auto& list = is_import ? b.imports : b.exports;
    if (names.count(Lower(item.name))) {
      // An interface named by its package path is one import, however
      // often it is listed (WIT's de-duplication).
      bool iface_name = item.name.find(':') != std::string::npos;
      if (iface_name) return true;
      return Err(file, pos,
                 std::string(is_import ? "import" : "export") + " `" +
                     item.name + "` is defined more than once" +
                     (from_include ? " (rename it with `include ... with "
                                     "{ a as b }`)"
                                   : ""));
    }
    names.insert(Lower(item.name));
    list.push_back(std::move(item));
    return true;
  }

  Result<bool> BuildWorld(const WorldJob& job, uint32_t idx) {
    const AstWorld& ast = *job.ast;
    uint32_t pkg = st_.worlds[idx].package;
    Scope scope;
    scope.file = job.file;
    scope.package = pkg;
    scope.top_uses = job.top_uses;
    std::vector<const AstItem*> type_items;
    std::vector<const AstWorldItem*> items;
    for (const AstWorldItem& it : ast.items) {
      if (!Enabled(it.gate)) continue;
      WEFT_TRY(CheckGate(job.file, pkg, it.gate));
      items.push_back(&it);
      if (it.kind == AstWorldItem::Kind::Type) type_items.push_back(&it.type);
    }
    WEFT_TRY(Declare(scope, type_items));
    for (size_t i = 0; i < scope.entries.size(); ++i)
      WEFT_TRY(ResolveEntry(scope, i));
    WorldBuild b;
    // World types are imports, first (functions may refer to them).
    for (const TypeDef& t : scope.types) {
      WorldItem wi;
      wi.kind = WorldItem::Kind::Type;
      wi.name = t.name;
      wi.type = t.type;
      wi.index = t.used_from.value_or(0);
      wi.used_from = t.used_from;
      wi.docs = t.docs;
      wi.gate = t.gate;
      WEFT_TRY(AddItem(b, true, std::move(wi), job.file, ast.pos, false));
    }
    for (const AstWorldItem* it : items) {
      switch (it->kind) {
      case AstWorldItem::Kind::Type: break;
      case AstWorldItem::Kind::Import:
      case AstWorldItem::Kind::Export: {
        bool imp = it->kind == AstWorldItem::Kind::Import;
        WorldItem wi;
        wi.docs = it->docs;
        wi.gate = it->gate.gate;
        if (it->ext == AstWorldItem::Extern::Func) {
          auto f = MakeFunc(scope, it->func, std::nullopt, std::nullopt);
          if (!f.ok()) return f.error();
          wi.kind = WorldItem::Kind::Func;
          wi.name = it->name;
          wi.index = *f;
          wi.type = ExternType{ExternType::Kind::Func, *f};
        } else {
          uint32_t iface = 0;
          if (it->ext == AstWorldItem::Extern::Inline) {
            iface = static_cast<uint32_t>(st_.interfaces.size());
            Interface in;
            in.docs = it->docs;
            st_.interfaces.push_back(std::move(in));
            Scope is;
            is.file = job.file;
            is.package = pkg;
            is.top_uses = job.top_uses;
            is.iface = iface;
            WEFT_TRY(BuildInterface(is, it->inline_iface, iface));
          } else {
            auto r = LookupInterface(job.file, pkg, job.top_uses, it->path);
            if (!r.ok()) return r.error();
            iface = *r;
          }
          wi.kind = WorldItem::Kind::Interface;
          wi.name = it->name.empty() ? QualifiedName(iface) : it->name;
          wi.index = iface;
          wi.type = ExternType{ExternType::Kind::Instance,
                               st_.interfaces[iface].instance};
        }
        WEFT_TRY(AddItem(b, imp, std::move(wi), job.file, it->pos, false));
        break;
      }
      case AstWorldItem::Kind::Include: {
        auto w = LookupWorld(job.file, pkg, it->path);
        if (!w.ok()) return w.error();
        const World& other = st_.worlds[*w];
        std::vector<bool> used(it->with.size(), false);
        auto rename = [&](WorldItem wi) {
          for (size_t k = 0; k < it->with.size(); ++k)
            if (it->with[k].name == wi.name) {
              used[k] = true;
              wi.name = it->with[k].as;
              break;
            }
          return wi;
        };
        for (const WorldItem& wi : other.imports)
          WEFT_TRY(AddItem(b, true, rename(wi), job.file, it->pos, true));
        for (const WorldItem& wi : other.exports)
          WEFT_TRY(AddItem(b, false, rename(wi), job.file, it->pos, true));
        for (size_t k = 0; k < used.size(); ++k)
          if (!used[k])
            return Err(job.file, it->with[k].pos,
                       "`" + it->with[k].name +
                           "` is not an import or export of world `" +
                           other.name + "`");
        break;
      }
      }
    }
    // Interfaces the items use become imports, before their users.
    std::vector<WorldItem> imports;
    std::set<std::string, std::less<>> have;
    std::set<uint32_t> visiting;
    std::function<void(uint32_t)> dep = [&](uint32_t iface) {
      if (!visiting.insert(iface).second) return;
      for (uint32_t d : st_.interfaces[iface].uses)
        dep(d);
      std::string name = QualifiedName(iface);
      if (have.insert(name).second) {
        WorldItem wi;
        wi.kind = WorldItem::Kind::Interface;
        wi.name = name;
        wi.index = iface;
        wi.type = ExternType{ExternType::Kind::Instance,
                             st_.interfaces[iface].instance};
        imports.push_back(std::move(wi));
      }
    };
    for (WorldItem& wi : b.imports) {
      if (wi.kind == WorldItem::Kind::Interface) {
        for (uint32_t d : st_.interfaces[wi.index].uses)
          dep(d);
      } else if (wi.kind == WorldItem::Kind::Type) {
        if (wi.used_from) dep(*wi.used_from);
      }
      if (have.insert(wi.name).second) imports.push_back(std::move(wi));
    }
    for (const WorldItem& wi : b.exports) {
      if (wi.kind != WorldItem::Kind::Interface) continue;
      for (uint32_t d : st_.interfaces[wi.index].uses)
        if (!b.export_names.count(Lower(QualifiedName(d)))) dep(d);
    }
    World& world = st_.worlds[idx];
    world.imports = std::move(imports);
    world.exports = std::move(b.exports);
    ComponentType ct;
    for (const WorldItem& wi : world.imports)
      ct.imports.push_back(NamedExtern{wi.name, wi.type});
    for (const WorldItem& wi : world.exports)
      ct.exports.push_back(NamedExtern{wi.name, wi.type});
    st_.arena.components.push_back(std::move(ct));
    world.component = static_cast<uint32_t>(st_.arena.components.size() - 1);
    return true;
  }

  Resolve::State& st_;
  const std::vector<AstFile>& files_;
  std::map<uint32_t, IfaceJob> iface_jobs_;
  std::map<uint32_t, WorldJob> world_jobs_;
  std::vector<uint32_t> added_;
  int depth_ = 0;
};

} // namespace

Resolve::Resolve(Options options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
}
Resolve::~Resolve() = default;
Resolve::Resolve(Resolve&&) noexcept = default;
Resolve& Resolve::operator=(Resolve&&) noexcept = default;

Result<std::vector<uint32_t>> Resolve::Add(std::span<const SourceFile> files) {
  std::vector<AstFile> asts;
  for (const SourceFile& f : files) {
    auto ast = detail::ParseFile(f.text, f.name);
    if (!ast.ok()) return ast.error();
    asts.push_back(std::move(*ast));
  }
  State staged = *state_;
  Resolver r(staged, asts);
  auto added = r.Run();
  if (!added.ok()) return added.error();
  *state_ = std::move(staged);
  return added;
}

Result<std::vector<uint32_t>> Resolve::AddFile(std::string_view text,
                                               std::string_view file_name) {
  SourceFile f{text, file_name};
  return Add(std::span<const SourceFile>(&f, 1));
}

const TypeArena& Resolve::arena() const { return state_->arena; }
const std::vector<Package>& Resolve::packages() const {
  return state_->packages;
}
const std::vector<Interface>& Resolve::interfaces() const {
  return state_->interfaces;
}
const std::vector<World>& Resolve::worlds() const { return state_->worlds; }

std::string Resolve::InterfaceName(uint32_t index) const {
  const Interface& i = state_->interfaces.at(index);
  if (!i.package) return "";
  const Package& p = state_->packages[*i.package];
  std::string s = p.ns + ":" + p.name + "/" + i.name;
  if (p.version) s += "@" + p.version->ToString();
  return s;
}

namespace {
// "ns:pkg/item@ver" -> its parts; false when malformed.
bool SplitQualified(std::string_view s, std::string_view& pkg_ns,
                    std::string_view& pkg, std::string_view& item,
                    std::optional<SemVer>& version) {
  size_t colon = s.find(':');
  size_t slash = s.find('/');
  if (colon == std::string_view::npos || slash == std::string_view::npos ||
      slash < colon)
    return false;
  size_t at = s.find('@', slash);
  pkg_ns = s.substr(0, colon);
  pkg = s.substr(colon + 1, slash - colon - 1);
  item =
      s.substr(slash + 1, at == std::string_view::npos ? std::string_view::npos
                                                       : at - slash - 1);
  version.reset();
  if (at != std::string_view::npos) {
    version = SemVer::Parse(s.substr(at + 1));
    if (!version) return false;
  }
  return true;
}
} // namespace

const Interface* Resolve::FindInterface(std::string_view name) const {
  std::string_view ns, pkg, item;
  std::optional<SemVer> v;
  if (!SplitQualified(name, ns, pkg, item, v)) return nullptr;
  for (const Package& p : state_->packages) {
    if (p.ns != ns || p.name != pkg || !SameVersion(p.version, v)) continue;
    auto it = p.interfaces.find(item);
    if (it != p.interfaces.end()) return &state_->interfaces[it->second];
  }
  return nullptr;
}

const World* Resolve::FindWorld(std::string_view name) const {
  std::string_view ns, pkg, item;
  std::optional<SemVer> v;
  if (!SplitQualified(name, ns, pkg, item, v)) return nullptr;
  for (const Package& p : state_->packages) {
    if (p.ns != ns || p.name != pkg || !SameVersion(p.version, v)) continue;
    auto it = p.worlds.find(item);
    if (it != p.worlds.end()) return &state_->worlds[it->second];
  }
  return nullptr;
}

std::optional<uint32_t> Resolve::ResourceOwner(uint32_t resource) const {
  auto it = state_->resource_owner.find(resource);
  if (it == state_->resource_owner.end()) return std::nullopt;
  return it->second;
}

} // namespace weft::component::wit
