// Resolved WIT -> text: types and functions in WIT syntax (for messages),
// and whole packages as WIT files that parse back to the same types (for
// diagnostics, and as a check of the resolver against itself).
#include <set>

#include "component/wit_internal.h"

namespace weft::component::wit {

namespace {

// The names types have in one interface or world (a `use ... as` renames).
struct Local {
  std::map<TypeId, std::string> vals;
  std::map<uint32_t, std::string> resources;
};

// `by_name`: a named type prints as its name (else as its structure, for
// the right side of `type x = ...`); names from `local` first.
void Text(const Resolve::State& st, TypeId id, std::string& out, int depth,
          bool by_name = true, const Local* local = nullptr) {
  if (depth > 100 || id >= st.arena.vals.size()) {
    out += "?";
    return;
  }
  if (by_name && local) {
    auto l = local->vals.find(id);
    if (l != local->vals.end()) {
      out += l->second;
      return;
    }
  }
  auto n = st.names.find(id);
  if (by_name && n != st.names.end()) {
    out += n->second;
    return;
  }
  const ValType& t = st.arena.vals[id];
  auto sub = [&](TypeId x) { Text(st, x, out, depth + 1, true, local); };
  auto res = [&](uint32_t r) {
    if (local) {
      auto l = local->resources.find(r);
      if (l != local->resources.end()) {
        out += l->second;
        return;
      }
    }
    out += r < st.arena.resources.size() ? st.arena.resources[r].name : "?";
  };
  switch (t.kind) {
  case ValKind::List:
    out += "list<";
    sub(t.elem);
    if (t.fixed_length) out += ", " + std::to_string(*t.fixed_length);
    out += ">";
    return;
  case ValKind::Option:
    out += "option<";
    sub(t.elem);
    out += ">";
    return;
  case ValKind::Future:
  case ValKind::Stream:
    out += ValKindName(t.kind);
    if (t.has_elem) {
      out += "<";
      sub(t.elem);
      out += ">";
    }
    return;
  case ValKind::Tuple:
    out += "tuple<";
    for (size_t i = 0; i < t.elems.size(); ++i) {
      if (i) out += ", ";
      sub(t.elems[i]);
    }
    out += ">";
    return;
  case ValKind::Result:
    if (!t.ok && !t.err) {
      out += "result";
      return;
    }
    out += "result<";
    if (t.ok)
      sub(*t.ok);
    else
      out += "_";
    if (t.err) {
      out += ", ";
      sub(*t.err);
    }
    out += ">";
    return;
  case ValKind::Own: res(t.resource); return;
  case ValKind::Borrow:
    out += "borrow<";
    res(t.resource);
    out += ">";
    return;
  default:
    if (IsPrimitive(t.kind)) {
      out += ValKindName(t.kind);
      return;
    }
    out += TypeToString(st.arena, id);
    return;
  }
}
} // namespace

namespace {

struct Printer {
  const Resolve::State& st;
  const Resolve& r;
  std::string out;
  Local local; // of the interface or world being printed

  void SetLocal(const std::vector<TypeDef>& types) {
    local = Local{};
    for (const TypeDef& t : types) {
      if (t.type.resource)
        local.resources.emplace(t.type.id, t.name);
      else
        local.vals.emplace(t.type.id, t.name);
    }
  }
  std::string ResName(uint32_t id) {
    auto l = local.resources.find(id);
    return l != local.resources.end() ? l->second : st.arena.resources[id].name;
  }

  void Docs(const std::string& docs, const std::string& indent) {
    size_t i = 0;
    while (i < docs.size()) {
      size_t j = docs.find('\n', i);
      if (j == std::string::npos) j = docs.size();
      std::string line = docs.substr(i, j - i);
      out += indent + "///" + (line.empty() ? "" : " ") + line + "\n";
      i = j + 1;
    }
  }
  void GateText(const Gate& g, const std::string& indent) {
    if (g.since)
      out += indent + "@since(version = " + g.since->ToString() + ")\n";
    if (!g.unstable.empty())
      out += indent + "@unstable(feature = " + g.unstable + ")\n";
    if (g.deprecated)
      out +=
          indent + "@deprecated(version = " + g.deprecated->ToString() + ")\n";
  }
  static std::string Id(const std::string& name) {
    // Keywords need the `%` form to stay identifiers.
    static const std::set<std::string, std::less<>> kw = {
        "as",     "async",  "bool",   "borrow",  "char",      "constructor",
        "enum",   "export", "f32",    "f64",     "flags",     "from",
        "func",   "future", "import", "include", "interface", "list",
        "map",    "option", "own",    "package", "record",    "resource",
        "result", "s16",    "s32",    "s64",     "s8",        "static",
        "stream", "string", "tuple",  "type",    "u16",       "u32",
        "u64",    "u8",     "use",    "variant", "with",      "world"};
    return kw.count(name) ? "%" + name : name;
  }
  std::string Ty(TypeId id) {
    std::string s;
    Text(st, id, s, 0, true, &local);
    return s;
  }
  // "(a: T, b: U) -> R", dropping the first `skip` params.
  std::string Sig(const FuncType& f, size_t skip, bool result = true) {
    std::string s = "(";
    for (size_t i = skip; i < f.params.size(); ++i) {
      if (i > skip) s += ", ";
      s += Id(f.params[i].name) + ": " + Ty(f.params[i].type);
    }
    s += ")";
    if (result && !f.results.empty()) s += " -> " + Ty(f.results[0]);
    return s;
  }
  std::string Func(const FuncType& f, size_t skip = 0) {
    return std::string(f.async ? "async func" : "func") + Sig(f, skip);
  }

  // The name `def` has where it is defined (a `use` may rename it).
  std::string OriginalName(const TypeDef& def) {
    const Interface& from = st.interfaces[*def.used_from];
    const TypeDef* first = nullptr;
    for (const TypeDef& d : from.types) {
      if (d.type.resource != def.type.resource || d.type.id != def.type.id)
        continue;
      if (d.name == def.name) return d.name;
      if (!first) first = &d;
    }
    return first ? first->name : def.name;
  }

  void Resource(const Interface& i, const TypeDef& def, const std::string& in) {
    std::vector<const Function*> fs;
    for (const Function& f : i.funcs) {
      for (const char* p : {"[constructor]", "[method]", "[static]"}) {
        std::string prefix = std::string(p) + def.name;
        if (f.name.starts_with(prefix) &&
            (f.name.size() == prefix.size() || f.name[prefix.size()] == '.'))
          fs.push_back(&f);
      }
    }
    if (fs.empty()) {
      out += in + "resource " + Id(def.name) + ";\n";
      return;
    }
    out += in + "resource " + Id(def.name) + " {\n";
    for (const Function* f : fs) {
      const FuncType& ft = st.arena.funcs[f->type];
      Docs(f->docs, in + "  ");
      GateText(f->gate, in + "  ");
      if (f->name.starts_with("[constructor]")) {
        bool fallible = !ft.results.empty() &&
                        st.arena.vals[ft.results[0]].kind == ValKind::Result;
        out += in + "  constructor" + Sig(ft, 0, fallible) + ";\n";
        continue;
      }
      std::string m = f->name.substr(f->name.find('.') + 1);
      bool method = f->name.starts_with("[method]");
      out += in + "  " + Id(m) + ": " + (method ? "" : "static ") +
             Func(ft, method ? 1 : 0) + ";\n";
    }
    out += in + "}\n";
  }

  void TypeDefText(const TypeDef& def, const std::string& in) {
    if (def.used_from) return; // printed as `use`
    Docs(def.docs, in);
    GateText(def.gate, in);
    if (def.type.resource) {
      std::string rname = ResName(def.type.id);
      if (rname != def.name)
        out += in + "type " + Id(def.name) + " = " + Id(rname) + ";\n";
      return; // resources are printed with their functions
    }
    TypeId id = def.type.id;
    const ValType& v = st.arena.vals[id];
    auto named = st.names.find(id);
    bool own_name = named != st.names.end() && named->second == def.name;
    std::string body;
    if (own_name && v.kind == ValKind::Record) {
      out += in + "record " + Id(def.name) + " {\n";
      for (const Field& f : v.fields)
        out += in + "  " + Id(f.name) + ": " + Ty(f.type) + ",\n";
      out += in + "}\n";
    } else if (own_name && v.kind == ValKind::Variant) {
      out += in + "variant " + Id(def.name) + " {\n";
      for (const Case& c : v.cases)
        out += in + "  " + Id(c.name) +
               (c.type ? "(" + Ty(*c.type) + ")" : std::string()) + ",\n";
      out += in + "}\n";
    } else if (own_name &&
               (v.kind == ValKind::Enum || v.kind == ValKind::Flags)) {
      out += in + (v.kind == ValKind::Enum ? "enum " : "flags ") +
             Id(def.name) + " {\n";
      for (const std::string& l : v.labels)
        out += in + "  " + Id(l) + ",\n";
      out += in + "}\n";
    } else {
      Text(st, id, body, 0, /*by_name=*/!own_name, &local);
      out += in + "type " + Id(def.name) + " = " + body + ";\n";
    }
  }

  void Uses(const std::vector<TypeDef>& types, const std::string& in) {
    // One `use` per source interface and gate, in first-use order.
    auto gate_of = [&](const TypeDef& t) {
      std::string saved = std::move(out);
      out.clear();
      GateText(t.gate, in);
      std::string g = std::move(out);
      out = std::move(saved);
      return g;
    };
    std::vector<std::pair<uint32_t, std::string>> order;
    for (const TypeDef& t : types) {
      if (!t.used_from) continue;
      std::pair<uint32_t, std::string> key{*t.used_from, gate_of(t)};
      if (std::find(order.begin(), order.end(), key) == order.end())
        order.push_back(std::move(key));
    }
    for (const auto& [from, gate] : order) {
      out += gate + in + "use " + r.InterfaceName(from) + ".{";
      bool first = true;
      for (const TypeDef& t : types) {
        if (t.used_from != from || gate_of(t) != gate) continue;
        std::string orig = OriginalName(t);
        out += (first ? "" : ", ") + Id(orig) +
               (orig == t.name ? "" : " as " + Id(t.name));
        first = false;
      }
      out += "};\n";
    }
  }

  void InterfaceBody(const Interface& i, const std::string& in) {
    SetLocal(i.types);
    Uses(i.types, in);
    for (const TypeDef& t : i.types) {
      if (t.type.resource && !t.used_from && ResName(t.type.id) == t.name) {
        Docs(t.docs, in);
        GateText(t.gate, in);
        Resource(i, t, in);
        continue;
      }
      TypeDefText(t, in);
    }
    for (const Function& f : i.funcs) {
      if (f.name.starts_with("[")) continue; // in its resource
      Docs(f.docs, in);
      GateText(f.gate, in);
      out += in + Id(f.name) + ": " + Func(st.arena.funcs[f.type]) + ";\n";
    }
  }

  void WorldText(const World& w) {
    Docs(w.docs, "");
    GateText(w.gate, "");
    out += "world " + Id(w.name) + " {\n";
    std::vector<TypeDef> types;
    for (const WorldItem& i : w.imports)
      if (i.kind == WorldItem::Kind::Type) {
        TypeDef d;
        d.name = i.name;
        d.type = i.type;
        d.docs = i.docs;
        d.gate = i.gate;
        d.used_from = i.used_from;
        types.push_back(std::move(d));
      }
    SetLocal(types);
    Uses(types, "  ");
    for (const TypeDef& t : types)
      TypeDefText(t, "  ");
    for (bool imp : {true, false}) {
      for (const WorldItem& i : imp ? w.imports : w.exports) {
        if (i.kind == WorldItem::Kind::Type) continue;
        Docs(i.docs, "  ");
        GateText(i.gate, "  ");
        std::string kw = imp ? "  import " : "  export ";
        if (i.kind == WorldItem::Kind::Func) {
          out += kw + Id(i.name) + ": " + Func(st.arena.funcs[i.index]) + ";\n";
          continue;
        }
        const Interface& iface = st.interfaces[i.index];
        if (iface.name.empty()) {
          out += kw + Id(i.name) + ": interface {\n";
          Local outer = local;
          InterfaceBody(iface, "    ");
          local = std::move(outer);
          out += "  }\n";
        } else if (i.name == r.InterfaceName(i.index)) {
          out += kw + i.name + ";\n";
        } else {
          out += kw + Id(i.name) + ": " + r.InterfaceName(i.index) + ";\n";
        }
      }
    }
    out += "}\n";
  }
};

} // namespace

std::string Resolve::PackageText(uint32_t package) const {
  const State& st = *state_;
  const Package& p = st.packages.at(package);
  Printer pr{st, *this, {}, {}};
  pr.Docs(p.docs, "");
  pr.out += "package " + p.Name() + ";\n";
  std::vector<std::pair<uint32_t, bool>> items; // index, is world
  for (const auto& [name, idx] : p.interfaces)
    items.push_back({idx, false});
  for (const auto& [name, idx] : p.worlds)
    items.push_back({idx, true});
  // Interfaces, then worlds, each in the order they were defined.
  std::sort(items.begin(), items.end(), [](const auto& x, const auto& y) {
    return std::pair(x.second, x.first) < std::pair(y.second, y.first);
  });
  for (const auto& [idx, world] : items) {
    pr.out += "\n";
    if (world) {
      pr.WorldText(st.worlds[idx]);
      continue;
    }
    const Interface& i = st.interfaces[idx];
    pr.Docs(i.docs, "");
    pr.GateText(i.gate, "");
    pr.out += "interface " + Printer::Id(i.name) + " {\n";
    pr.InterfaceBody(i, "  ");
    pr.out += "}\n";
  }
  return pr.out;
}

std::string Resolve::TypeText(TypeId id) const {
  std::string out;
  Text(*state_, id, out, 0);
  return out;
}

std::string Resolve::FuncText(const FuncType& f) const {
  std::string out = f.async ? "async func(" : "func(";
  for (size_t i = 0; i < f.params.size(); ++i) {
    if (i) out += ", ";
    out += f.params[i].name + ": ";
    Text(*state_, f.params[i].type, out, 0);
  }
  out += ")";
  if (!f.results.empty()) {
    out += " -> ";
    Text(*state_, f.results[0], out, 0);
  }
  return out;
}

} // namespace weft::component::wit
