// Shared by the canonical-ABI tests and benchmark: a real guest (a core
// module with a memory and a bump-allocating realloc, assembled by
// wat2wasm), a type arena with shorthands, and a Site bound to both.
#pragma once

#include <string>
#include <vector>

#include "component/abi.h"
#include "component/value.h"
#include "wat_helper.h"

namespace weft::component::test {

// Memory (exported "mem", 1 page, grows on demand), realloc with a bump
// pointer starting at 1024 (copies the old block), a counter of realloc
// calls, a dtor that records the rep it was called with, and post-return
// that counts its calls.
inline const char* kGuestWat = R"((module
  (memory (export "mem") 1)
  (global $bump (mut i32) (i32.const 1024))
  (global $calls (export "calls") (mut i32) (i32.const 0))
  (global $dtor_rep (export "dtor_rep") (mut i32) (i32.const 0))
  (global $post (export "post_calls") (mut i32) (i32.const 0))
  (func (export "realloc") (param $old i32) (param $old_size i32)
        (param $align i32) (param $new i32) (result i32)
    (local $p i32) (local $have i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (local.set $p (i32.and
      (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
      (i32.sub (i32.const 0) (local.get $align))))
    (global.set $bump (i32.add (local.get $p) (local.get $new)))
    (local.set $have (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.gt_u (global.get $bump) (local.get $have))
      (then (drop (memory.grow (i32.add (i32.shr_u
        (i32.sub (global.get $bump) (local.get $have)) (i32.const 16))
        (i32.const 1))))))
    (if (local.get $old)
      (then (memory.copy (local.get $p) (local.get $old)
        (select (local.get $old_size) (local.get $new)
                (i32.lt_u (local.get $old_size) (local.get $new))))))
    (local.get $p))
  (func (export "dtor") (param i32) (global.set $dtor_rep (local.get 0)))
  (func (export "post") (param i32)
    (global.set $post (i32.add (global.get $post) (i32.const 1))))
  (func (export "reset") (global.set $bump (i32.const 1024)))
))";

struct Guest {
  Instance* instance = nullptr;
  MemoryInst* memory = nullptr;
  FuncInst* realloc = nullptr;
  FuncInst* dtor = nullptr;
  FuncInst* post = nullptr;
  FuncInst* reset = nullptr;
  uint32_t Global(const char* name) const {
    return instance->GetExport(name)->global()->Get().i32;
  }
};

inline Guest MakeGuest(Store& store) {
  Guest g;
  g.instance = weft::test::Instantiate(store, kGuestWat);
  if (!g.instance) return g;
  g.memory = g.instance->GetExport("mem")->memory();
  g.realloc = g.instance->GetExport("realloc")->func();
  g.dtor = g.instance->GetExport("dtor")->func();
  g.post = g.instance->GetExport("post")->func();
  g.reset = g.instance->GetExport("reset")->func();
  return g;
}

// Type shorthands over one arena.
struct Types {
  TypeArena a;
  TypeId P(ValKind k) { return a.Prim(k); }
  TypeId Add(ValType t) { return a.AddVal(std::move(t)); }
  TypeId List(TypeId e) {
    ValType t;
    t.kind = ValKind::List;
    t.elem = e;
    return Add(t);
  }
  TypeId Option(TypeId e) {
    ValType t;
    t.kind = ValKind::Option;
    t.elem = e;
    return Add(t);
  }
  TypeId Result(std::optional<TypeId> ok, std::optional<TypeId> err) {
    ValType t;
    t.kind = ValKind::Result;
    t.ok = ok;
    t.err = err;
    return Add(t);
  }
  TypeId Record(std::vector<TypeId> fields) {
    ValType t;
    t.kind = ValKind::Record;
    for (size_t i = 0; i < fields.size(); ++i)
      t.fields.push_back({"f" + std::to_string(i), fields[i]});
    return Add(t);
  }
  TypeId Tuple(std::vector<TypeId> elems) {
    ValType t;
    t.kind = ValKind::Tuple;
    t.elems = std::move(elems);
    return Add(t);
  }
  TypeId Variant(std::vector<std::optional<TypeId>> cases) {
    ValType t;
    t.kind = ValKind::Variant;
    for (size_t i = 0; i < cases.size(); ++i)
      t.cases.push_back({"c" + std::to_string(i), cases[i]});
    return Add(t);
  }
  TypeId Labels(ValKind k, size_t n) {
    ValType t;
    t.kind = k;
    for (size_t i = 0; i < n; ++i)
      t.labels.push_back("l" + std::to_string(i));
    return Add(t);
  }
  TypeId Handle(ValKind k, uint32_t resource) {
    ValType t;
    t.kind = k;
    t.resource = resource;
    return Add(t);
  }
  uint32_t Resource(std::string name) {
    ResourceDecl d;
    d.name = std::move(name);
    a.resources.push_back(d);
    return static_cast<uint32_t>(a.resources.size() - 1);
  }
};

// Structural equality of two values.
inline bool Same(const Val& x, const Val& y) {
  if (x.kind != y.kind || x.u != y.u || x.s != y.s ||
      x.resource != y.resource || x.items.size() != y.items.size())
    return false;
  for (size_t i = 0; i < x.items.size(); ++i)
    if (!Same(x.items[i], y.items[i])) return false;
  return true;
}

} // namespace weft::component::test
