#include "component/types.h"

#include <utility>

namespace weft::component {

const char* ValKindName(ValKind k) {
  switch (k) {
  case ValKind::Bool: return "bool";
  case ValKind::S8: return "s8";
  case ValKind::U8: return "u8";
  case ValKind::S16: return "s16";
  case ValKind::U16: return "u16";
  case ValKind::S32: return "s32";
  case ValKind::U32: return "u32";
  case ValKind::S64: return "s64";
  case ValKind::U64: return "u64";
  case ValKind::F32: return "f32";
  case ValKind::F64: return "f64";
  case ValKind::Char: return "char";
  case ValKind::String: return "string";
  case ValKind::ErrorContext: return "error-context";
  case ValKind::List: return "list";
  case ValKind::Record: return "record";
  case ValKind::Tuple: return "tuple";
  case ValKind::Variant: return "variant";
  case ValKind::Enum: return "enum";
  case ValKind::Option: return "option";
  case ValKind::Result: return "result";
  case ValKind::Flags: return "flags";
  case ValKind::Own: return "own";
  case ValKind::Borrow: return "borrow";
  case ValKind::Stream: return "stream";
  case ValKind::Future: return "future";
  }
  return "?";
}

TypeId TypeArena::Prim(ValKind k) {
  auto& slot = prims_[static_cast<int>(k)];
  if (!slot) {
    ValType t;
    t.kind = k;
    slot = AddVal(std::move(t));
  }
  return *slot;
}

namespace {

// Equality of two optional payload types.
struct Equal {
  const TypeArena& a;
  const TypeArena& b;
  ResourceEq eq;
  const void* ctx;
  uint32_t depth = 0;

  bool Opt(const std::optional<TypeId>& x, const std::optional<TypeId>& y) {
    if (x.has_value() != y.has_value()) return false;
    return !x || Val(*x, *y);
  }

  bool Resource(uint32_t x, uint32_t y) const {
    if (eq) return eq(ctx, x, y);
    return &a == &b && x == y;
  }

  bool Val(TypeId x, TypeId y) {
    if (&a == &b && x == y) return true;
    if (x >= a.vals.size() || y >= b.vals.size()) return false;
    // Types are trees built bottom-up (an id only refers to smaller ids),
    // so the walk terminates; the depth bound is a second guard.
    if (++depth > 10000) return false;
    bool r = Walk(a.vals[x], b.vals[y]);
    --depth;
    return r;
  }

  bool Walk(const ValType& x, const ValType& y) {
    if (x.kind != y.kind) return false;
    switch (x.kind) {
    case ValKind::List:
      return x.fixed_length == y.fixed_length && Val(x.elem, y.elem);
    case ValKind::Option: return Val(x.elem, y.elem);
    case ValKind::Stream:
    case ValKind::Future:
      return x.has_elem == y.has_elem && (!x.has_elem || Val(x.elem, y.elem));
    case ValKind::Record:
      if (x.fields.size() != y.fields.size()) return false;
      for (size_t i = 0; i < x.fields.size(); ++i) {
        if (x.fields[i].name != y.fields[i].name ||
            !Val(x.fields[i].type, y.fields[i].type))
          return false;
      }
      return true;
    case ValKind::Tuple:
      if (x.elems.size() != y.elems.size()) return false;
      for (size_t i = 0; i < x.elems.size(); ++i) {
        if (!Val(x.elems[i], y.elems[i])) return false;
      }
      return true;
    case ValKind::Variant:
      if (x.cases.size() != y.cases.size()) return false;
      for (size_t i = 0; i < x.cases.size(); ++i) {
        if (x.cases[i].name != y.cases[i].name ||
            !Opt(x.cases[i].type, y.cases[i].type))
          return false;
      }
      return true;
    case ValKind::Enum:
    case ValKind::Flags: return x.labels == y.labels;
    case ValKind::Result: return Opt(x.ok, y.ok) && Opt(x.err, y.err);
    case ValKind::Own:
    case ValKind::Borrow: return Resource(x.resource, y.resource);
    default: return true; // primitives: the kinds are equal
    }
  }

  bool Func(const FuncType& x, const FuncType& y) {
    if (x.async != y.async || x.params.size() != y.params.size() ||
        x.results.size() != y.results.size())
      return false;
    for (size_t i = 0; i < x.params.size(); ++i) {
      if (x.params[i].name != y.params[i].name ||
          !Val(x.params[i].type, y.params[i].type))
        return false;
    }
    for (size_t i = 0; i < x.results.size(); ++i) {
      if (!Val(x.results[i], y.results[i])) return false;
    }
    return true;
  }
};

void Print(const TypeArena& arena, TypeId id, std::string& out,
           uint32_t depth) {
  if (id >= arena.vals.size() || depth > 64) {
    out += "...";
    return;
  }
  const ValType& t = arena.vals[id];
  auto sub = [&](TypeId x) { Print(arena, x, out, depth + 1); };
  auto opt = [&](const std::optional<TypeId>& x) {
    if (x)
      sub(*x);
    else
      out += "_";
  };
  auto resource = [&](uint32_t r) {
    if (r < arena.resources.size() && !arena.resources[r].name.empty())
      out += arena.resources[r].name;
    else
      out += "resource" + std::to_string(r);
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
  case ValKind::Stream:
  case ValKind::Future:
    out += ValKindName(t.kind);
    if (t.has_elem) {
      out += "<";
      sub(t.elem);
      out += ">";
    }
    return;
  case ValKind::Record:
    out += "record { ";
    for (size_t i = 0; i < t.fields.size(); ++i) {
      if (i) out += ", ";
      out += t.fields[i].name + ": ";
      sub(t.fields[i].type);
    }
    out += " }";
    return;
  case ValKind::Tuple:
    out += "tuple<";
    for (size_t i = 0; i < t.elems.size(); ++i) {
      if (i) out += ", ";
      sub(t.elems[i]);
    }
    out += ">";
    return;
  case ValKind::Variant:
    out += "variant { ";
    for (size_t i = 0; i < t.cases.size(); ++i) {
      if (i) out += ", ";
      out += t.cases[i].name;
      if (t.cases[i].type) {
        out += "(";
        sub(*t.cases[i].type);
        out += ")";
      }
    }
    out += " }";
    return;
  case ValKind::Enum:
  case ValKind::Flags:
    out += ValKindName(t.kind);
    out += " { ";
    for (size_t i = 0; i < t.labels.size(); ++i) {
      if (i) out += ", ";
      out += t.labels[i];
    }
    out += " }";
    return;
  case ValKind::Result:
    if (!t.ok && !t.err) {
      out += "result";
      return;
    }
    out += "result<";
    opt(t.ok);
    if (t.err) {
      out += ", ";
      sub(*t.err);
    }
    out += ">";
    return;
  case ValKind::Own:
  case ValKind::Borrow:
    out += t.kind == ValKind::Own ? "own<" : "borrow<";
    resource(t.resource);
    out += ">";
    return;
  default: out += ValKindName(t.kind); return;
  }
}

} // namespace

bool ValTypesEqual(const TypeArena& a, TypeId x, const TypeArena& b, TypeId y,
                   ResourceEq eq, const void* eq_ctx) {
  Equal e{a, b, eq, eq_ctx};
  return e.Val(x, y);
}

bool FuncTypesEqual(const TypeArena& a, const FuncType& x, const TypeArena& b,
                    const FuncType& y, ResourceEq eq, const void* eq_ctx) {
  Equal e{a, b, eq, eq_ctx};
  return e.Func(x, y);
}

std::string TypeToString(const TypeArena& arena, TypeId id) {
  std::string out;
  Print(arena, id, out, 0);
  return out;
}

std::string FuncTypeToString(const TypeArena& arena, const FuncType& f) {
  std::string out = f.async ? "async func(" : "func(";
  for (size_t i = 0; i < f.params.size(); ++i) {
    if (i) out += ", ";
    out += f.params[i].name + ": ";
    Print(arena, f.params[i].type, out, 0);
  }
  out += ")";
  if (!f.results.empty()) {
    out += " -> ";
    Print(arena, f.results[0], out, 0);
  }
  return out;
}

} // namespace weft::component
