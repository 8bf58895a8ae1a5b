// The runtime: entities, import type checking with limits subtyping,
// instantiation order and its traps, linking between instances.
#include <cstring>

#include "runtime/store_impl.h"
#include "wat_helper.h"

namespace weft {
namespace {

using test::CallI32;

class RuntimeTest : public ::testing::Test {
protected:
  Engine engine;
  Store store{engine};

  InstantiateResult Try(const std::string& text, std::vector<Extern> imports) {
    auto m = test::Compile(engine, text);
    if (!m) return {};
    return store.Instantiate(m, imports);
  }
};

Extern Ext(FuncInst* f) { return {ExternKind::Func, f}; }
Extern Ext(TableInst* t) { return {ExternKind::Table, t}; }
Extern Ext(MemoryInst* m) { return {ExternKind::Memory, m}; }
Extern Ext(GlobalInst* g) { return {ExternKind::Global, g}; }

MemoryType Mem(uint64_t min, std::optional<uint64_t> max = std::nullopt) {
  MemoryType t;
  t.limits.min = min;
  t.limits.max = max;
  return t;
}
TableType Table(uint64_t min, std::optional<uint64_t> max = std::nullopt) {
  TableType t;
  t.limits.min = min;
  t.limits.max = max;
  return t;
}

TEST_F(RuntimeTest, MemoryIsZeroedGrowsInPlaceAndRespectsMax) {
  MemoryInst* m = store.CreateMemory(Mem(1, 4));
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->size_bytes(), kPageSize);
  uint8_t* base = m->data();
  for (uint64_t i = 0; i < kPageSize; i += 4096)
    EXPECT_EQ(base[i], 0);
  base[100] = 7;
  EXPECT_EQ(m->Grow(2), 1u);
  EXPECT_EQ(m->data(), base); // the base never moves
  EXPECT_EQ(m->size_bytes(), 3 * kPageSize);
  EXPECT_EQ(base[100], 7);
  EXPECT_EQ(base[3 * kPageSize - 1], 0);
  EXPECT_FALSE(m->Grow(2)); // 5 > max 4
  EXPECT_EQ(m->Grow(1), 3u);
  EXPECT_EQ(m->type().limits.min, 4u);
  EXPECT_EQ(m->type().limits.max, 4u);
  EXPECT_EQ(store.CreateMemory(Mem(kMaxPages + 1)), nullptr);
}

TEST_F(RuntimeTest, TablesAndGlobals) {
  TableInst* t = store.CreateTable(Table(2, 3));
  EXPECT_EQ(t->size(), 2u);
  EXPECT_EQ(t->Get(1), nullptr);
  auto* ti = static_cast<TableImpl*>(t);
  int x = 0;
  EXPECT_EQ(ti->Grow(1, &x), 2u);
  EXPECT_EQ(t->Get(2), &x);
  EXPECT_FALSE(ti->Grow(1, nullptr));
  GlobalInst* g = store.CreateGlobal({ValType::F64, true}, Value::F64(1.5));
  EXPECT_EQ(g->Get().type, ValType::F64);
  EXPECT_EQ(g->Get().f64, Value::F64(1.5).f64);
  g->Set(Value::F64(-2));
  EXPECT_EQ(g->Get().f64, Value::F64(-2).f64);
}

TEST_F(RuntimeTest, HostFunctionCalledDirectly) {
  FuncInst* f =
      store.CreateHostFunc({{ValType::I64, ValType::I64}, {ValType::I64}},
                           [](Store&, std::span<const Value> a,
                              std::span<Value> r) -> std::optional<Trap> {
                             r[0] = Value::I64(a[0].i64 - a[1].i64);
                             return std::nullopt;
                           });
  CallResult r =
      store.Call(f, std::vector<Value>{Value::I64(10), Value::I64(3)});
  ASSERT_FALSE(r.trap);
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].i64, 7u);
  r = store.Call(f, std::vector<Value>{Value::I64(10)});
  EXPECT_TRUE(r.trap); // wrong argument count
}

TEST_F(RuntimeTest, ImportTypeChecks) {
  const std::string text = R"((module
    (import "m" "f" (func (param i32) (result i32)))
    (import "m" "t" (table 2 5 funcref))
    (import "m" "mem" (memory 1 2))
    (import "m" "g" (global (mut i32))))
  )";
  auto fn = [](Store&, std::span<const Value>,
               std::span<Value>) -> std::optional<Trap> {
    return std::nullopt;
  };
  FuncInst* f_ok = store.CreateHostFunc({{ValType::I32}, {ValType::I32}}, fn);
  FuncInst* f_bad = store.CreateHostFunc({{ValType::I64}, {ValType::I32}}, fn);
  TableInst* t_ok = store.CreateTable(Table(3, 4));
  TableInst* t_small = store.CreateTable(Table(1, 4));
  TableInst* t_nomax = store.CreateTable(Table(3));
  MemoryInst* m_ok = store.CreateMemory(Mem(2, 2));
  MemoryInst* m_big = store.CreateMemory(Mem(1, 3));
  GlobalInst* g_ok = store.CreateGlobal({ValType::I32, true}, Value::I32(0));
  GlobalInst* g_const =
      store.CreateGlobal({ValType::I32, false}, Value::I32(0));

  auto r = Try(text, {Ext(f_ok), Ext(t_ok), Ext(m_ok), Ext(g_ok)});
  EXPECT_FALSE(r.link_error);
  EXPECT_NE(r.instance, nullptr);

  auto expect_incompatible = [&](std::vector<Extern> imports) {
    auto res = Try(text, imports);
    ASSERT_TRUE(res.link_error);
    EXPECT_EQ(res.link_error->message, "incompatible import type");
    EXPECT_EQ(res.instance, nullptr);
  };
  expect_incompatible({Ext(f_bad), Ext(t_ok), Ext(m_ok), Ext(g_ok)});
  expect_incompatible({Ext(f_ok), Ext(t_small), Ext(m_ok), Ext(g_ok)});
  expect_incompatible({Ext(f_ok), Ext(t_nomax), Ext(m_ok), Ext(g_ok)});
  expect_incompatible({Ext(f_ok), Ext(t_ok), Ext(m_big), Ext(g_ok)});
  expect_incompatible({Ext(f_ok), Ext(t_ok), Ext(m_ok), Ext(g_const)});
  expect_incompatible(
      {Ext(f_ok), Ext(m_ok), Ext(t_ok), Ext(g_ok)}); // kinds swapped
  auto missing = Try(text, {Ext(f_ok), Extern{ExternKind::Table, nullptr},
                            Ext(m_ok), Ext(g_ok)});
  ASSERT_TRUE(missing.link_error);
  EXPECT_EQ(missing.link_error->message, "unknown import");
}

TEST_F(RuntimeTest, GlobalInitializersAndStart) {
  GlobalInst* base = store.CreateGlobal({ValType::I32, false}, Value::I32(40));
  Instance* m = test::Instantiate(store, R"((module
    (import "env" "base" (global $base i32))
    (global $g (mut i32) (global.get $base))
    (global $f funcref (ref.func $start))
    (func $start (global.set $g (i32.add (global.get $g) (i32.const 2))))
    (start $start)
    (func (export "g") (result i32) (global.get $g))
    (func (export "f_is_null") (result i32) (ref.is_null (global.get $f))))
  )",
                                  {Ext(base)});
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(CallI32(store, m, "g"), 42u); // start ran once
  EXPECT_EQ(CallI32(store, m, "f_is_null"), 0u);
}

TEST_F(RuntimeTest, SegmentsApplyInOrderAndAnOutOfBoundsOneTraps) {
  MemoryInst* mem = store.CreateMemory(Mem(1));
  TableInst* tab = store.CreateTable(Table(2));
  // The second data segment is out of bounds: the first one's bytes stay,
  // the third is never written. Element segments are applied before data.
  auto r = Try(R"((module
    (import "env" "mem" (memory 1))
    (import "env" "tab" (table 2 funcref))
    (func $f)
    (elem (i32.const 1) $f)
    (data (i32.const 0) "ab")
    (data (i32.const 65535) "cd")
    (data (i32.const 10) "ef"))
  )",
               {Ext(mem), Ext(tab)});
  ASSERT_TRUE(r.trap);
  EXPECT_EQ(r.trap->message, "out of bounds memory access");
  EXPECT_EQ(r.instance, nullptr);
  EXPECT_EQ(std::memcmp(mem->data(), "ab", 2), 0);
  EXPECT_EQ(mem->data()[10], 0);
  EXPECT_NE(tab->Get(1), nullptr);

  TableInst* tab2 = store.CreateTable(Table(2));
  r = Try(R"((module
    (import "env" "tab" (table 2 funcref))
    (func $f)
    (elem (i32.const 0) $f)
    (elem (i32.const 1) $f $f))
  )",
          {Ext(tab2)});
  ASSERT_TRUE(r.trap);
  EXPECT_EQ(r.trap->message, "out of bounds table access");
  EXPECT_NE(tab2->Get(0), nullptr);
  EXPECT_EQ(tab2->Get(1), nullptr);
}

TEST_F(RuntimeTest, DataImageIsCopyOnWritePerInstance) {
  // A data segment large enough to be mapped from the module's image rather
  // than copied: instances share it until they write, and grow past it.
  std::string data(70000, 'x');
  data[0] = 'a';
  data[69999] = 'z';
  const std::string text =
      "(module (memory (export \"mem\") 2 4) (data (i32.const 1000) \"" + data +
      R"(")
    (func (export "get") (param i32) (result i32) (i32.load8_u (local.get 0)))
    (func (export "put") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
    (func (export "grow") (result i32) (memory.grow (i32.const 1))))
  )";
  auto cm = test::Compile(engine, text);
  ASSERT_NE(cm, nullptr);
  Instance* a = store.Instantiate(cm, {}).instance;
  Instance* b = store.Instantiate(cm, {}).instance;
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(static_cast<const TierModule&>(*cm).image,
            nullptr); // the image path ran
  EXPECT_EQ(CallI32(store, a, "get", {Value::I32(999)}), 0u);
  EXPECT_EQ(CallI32(store, a, "get", {Value::I32(1000)}), uint32_t{'a'});
  EXPECT_EQ(CallI32(store, a, "get", {Value::I32(70999)}), uint32_t{'z'});
  EXPECT_EQ(CallI32(store, a, "get", {Value::I32(71000)}), 0u);
  test::Call(store, a, "put", {Value::I32(1000), Value::I32('Q')});
  test::Call(store, a, "put", {Value::I32(100000), Value::I32(7)});
  EXPECT_EQ(CallI32(store, a, "get", {Value::I32(1000)}), uint32_t{'Q'});
  EXPECT_EQ(CallI32(store, b, "get", {Value::I32(1000)}),
            uint32_t{'a'}); // not shared
  EXPECT_EQ(CallI32(store, b, "get", {Value::I32(100000)}), 0u);
  EXPECT_EQ(CallI32(store, a, "grow"), 2u);
  EXPECT_EQ(CallI32(store, a, "get", {Value::I32(3 * 65536 - 1)}), 0u);
  // A third instance still starts from the pristine image.
  Instance* c = store.Instantiate(cm, {}).instance;
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(CallI32(store, c, "get", {Value::I32(1000)}), uint32_t{'a'});
}

TEST_F(RuntimeTest, StartTrapFailsInstantiation) {
  auto r = Try(R"((module (func $s unreachable) (start $s)))", {});
  ASSERT_TRUE(r.trap);
  EXPECT_EQ(r.trap->message, "unreachable");
  EXPECT_EQ(r.instance, nullptr);
}

TEST_F(RuntimeTest, LinkingTwoInstances) {
  Instance* a = test::Instantiate(store, R"((module
    (memory (export "mem") 1)
    (table (export "tab") 2 funcref)
    (global (export "counter") (mut i32) (i32.const 0))
    (func $get (export "get") (result i32) (i32.load (i32.const 0)))
    (func (export "bump") (global.set 0 (i32.add (global.get 0) (i32.const 1))))
    (elem (i32.const 0) $get))
  )");
  ASSERT_NE(a, nullptr);
  auto exp = [&](const char* name) { return *a->GetExport(name); };
  Instance* b =
      test::Instantiate(store, R"((module
    (import "a" "mem" (memory 1))
    (import "a" "tab" (table 2 funcref))
    (import "a" "counter" (global $c (mut i32)))
    (import "a" "bump" (func $bump))
    (type $r (func (result i32)))
    (func (export "put") (param i32) (i32.store (i32.const 0) (local.get 0)))
    (func (export "via_table") (result i32) (call_indirect (type $r) (i32.const 0)))
    (func (export "bump_twice") (result i32) (call $bump) (call $bump) (global.get $c)))
  )",
                        {exp("mem"), exp("tab"), exp("counter"), exp("bump")});
  ASSERT_NE(b, nullptr);
  test::Call(store, b, "put", {Value::I32(1234)});
  EXPECT_EQ(CallI32(store, a, "get"), 1234u); // shared memory
  EXPECT_EQ(CallI32(store, b, "via_table"),
            1234u); // a's function through a's table
  EXPECT_EQ(CallI32(store, b, "bump_twice"),
            2u); // cross-instance call, shared global
  EXPECT_EQ(a->GetExport("counter")->global()->Get().i32, 2u);
  auto exports = a->Exports();
  ASSERT_EQ(exports.size(), 5u);
  EXPECT_EQ(exports[0].first, "bump"); // sorted by name
}

TEST_F(RuntimeTest, CallIndirectTypeCheckAcrossModules) {
  // Types are compared structurally: the same signature declared in two
  // modules matches, a different one does not.
  Instance* a = test::Instantiate(store, R"((module
    (table (export "tab") 2 funcref)
    (func $one (result i32) (i32.const 1))
    (func $two (param i32) (result i32) (local.get 0))
    (elem (i32.const 0) $one $two))
  )");
  ASSERT_NE(a, nullptr);
  Instance* b = test::Instantiate(store, R"((module
    (import "a" "tab" (table 2 funcref))
    (type $unused (func (param f64)))
    (type $r (func (result i32)))
    (func (export "call") (param i32) (result i32) (call_indirect (type $r) (local.get 0))))
  )",
                                  {*a->GetExport("tab")});
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(CallI32(store, b, "call", {Value::I32(0)}), 1u);
  EXPECT_EQ(test::CallTrap(store, b, "call", {Value::I32(1)}),
            "indirect call type mismatch");
}

} // namespace
} // namespace weft
