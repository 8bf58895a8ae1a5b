// Store::ResetInstance: an instance reset in place must be indistinguishable
// from a fresh one (memory bytes and size, access beyond the size, globals,
// tables, dropped segments), on the interpreter and on compiled code, with
// and without a memory slot pool and a copy-on-write memory image.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "compile/compile.h"
#include "runtime/runtime.h"
#include "runtime/store_impl.h"
#include "wat_helper.h"

namespace weft {
namespace {

// Every kind of instance state, a function that dirties all of it and
// probes that read it back.
constexpr const char* kModule = R"((module
  (memory (export "memory") 1 8)
  (global $g (mut i32) (i32.const 7))
  (global $h (mut i64) (i64.const -5))
  (table $t 2 10 funcref)
  (func $f (result i32) i32.const 42)
  (func $f2 (result i32) i32.const 43)
  (elem (i32.const 0) $f)
  (elem $pe funcref (ref.func $f2))
  (data (i32.const 16) "abc")
  (data $pd "xyz")
  (type $r (func (result i32)))
  (func (export "dirty")
    (i32.store (i32.const 0) (i32.const 0x11223344))
    (i32.store8 (i32.const 16) (i32.const 0x7a))
    (i32.store (i32.const 40000) (i32.const 5))
    (drop (memory.grow (i32.const 2)))
    (i32.store (i32.const 0x1fff0) (i32.const 99))
    (global.set $g (i32.const 1234))
    (global.set $h (i64.const 77))
    (table.set $t (i32.const 1) (ref.func $f))
    (table.set $t (i32.const 0) (ref.null func))
    (drop (table.grow $t (ref.func $f) (i32.const 3)))
    (data.drop $pd)
    (elem.drop $pe))
  (func (export "word0") (result i32) (i32.load (i32.const 0)))
  (func (export "byte16") (result i32) (i32.load8_u (i32.const 16)))
  (func (export "far") (result i32) (i32.load (i32.const 40000)))
  (func (export "pages") (result i32) memory.size)
  (func (export "high") (result i32) (i32.load (i32.const 0x1fff0)))
  (func (export "global") (result i32) global.get $g)
  (func (export "global64") (result i32) (i32.wrap_i64 (global.get $h)))
  (func (export "table_size") (result i32) table.size $t)
  (func (export "slot0") (result i32)
    (call_indirect $t (type $r) (i32.const 0)))
  (func (export "slot1_is_null") (result i32)
    (ref.is_null (table.get $t (i32.const 1))))
  ;; Passive segments still usable (not dropped): copy them in and read.
  (func (export "passive_data") (result i32)
    (memory.init $pd (i32.const 100) (i32.const 0) (i32.const 3))
    (i32.load8_u (i32.const 101)))
  (func (export "passive_elem") (result i32)
    (table.init $t $pe (i32.const 1) (i32.const 0) (i32.const 1))
    (call_indirect $t (type $r) (i32.const 1)))))";

std::optional<Trap> TrapOf(Store& store, Instance* inst, const char* name) {
  return store.Call(inst->GetExport(name)->func(), {}).trap;
}

// What a fresh instance of kModule reads.
void ExpectFresh(Store& store, Instance* inst) {
  EXPECT_EQ(test::CallI32(store, inst, "word0"), 0u);
  EXPECT_EQ(test::CallI32(store, inst, "byte16"), uint32_t{'a'});
  EXPECT_EQ(test::CallI32(store, inst, "far"), 0u);
  EXPECT_EQ(test::CallI32(store, inst, "pages"), 1u);
  EXPECT_EQ(test::CallI32(store, inst, "global"), 7u);
  EXPECT_EQ(test::CallI32(store, inst, "global64"), static_cast<uint32_t>(-5));
  EXPECT_EQ(test::CallI32(store, inst, "table_size"), 2u);
  EXPECT_EQ(test::CallI32(store, inst, "slot0"), 42u);
  EXPECT_EQ(test::CallI32(store, inst, "slot1_is_null"), 1u);
  auto trap = TrapOf(store, inst, "high");
  ASSERT_TRUE(trap);
  EXPECT_EQ(trap->kind, TrapKind::MemoryOutOfBounds);
  uint8_t* base = inst->GetExport("memory")->memory()->data();
  EXPECT_EQ(test::MappingPerms(base + kPageSize), "---p"); // the guard is back
  EXPECT_EQ(test::CallI32(store, inst, "passive_data"), uint32_t{'y'});
  EXPECT_EQ(test::CallI32(store, inst, "passive_elem"), 43u);
}

void ExpectDirty(Store& store, Instance* inst) {
  ASSERT_FALSE(TrapOf(store, inst, "dirty"));
  EXPECT_EQ(test::CallI32(store, inst, "word0"), 0x11223344u);
  EXPECT_EQ(test::CallI32(store, inst, "byte16"), 0x7au);
  EXPECT_EQ(test::CallI32(store, inst, "far"), 5u);
  EXPECT_EQ(test::CallI32(store, inst, "pages"), 3u);
  EXPECT_EQ(test::CallI32(store, inst, "high"), 99u);
  EXPECT_EQ(test::CallI32(store, inst, "global"), 1234u);
  EXPECT_EQ(test::CallI32(store, inst, "table_size"), 5u);
  EXPECT_EQ(test::CallI32(store, inst, "slot1_is_null"), 0u);
  // The dropped segments trap when used.
  EXPECT_TRUE(TrapOf(store, inst, "passive_data"));
  EXPECT_TRUE(TrapOf(store, inst, "passive_elem"));
}

struct Tier {
  const char* name;
  bool compiled;
};

class InstanceResetTest : public ::testing::TestWithParam<Tier> {
protected:
  std::shared_ptr<const CompiledModule> Compile(const Engine& engine,
                                                const std::string& text) {
    if (!GetParam().compiled) return test::Compile(engine, text);
    auto bytes = test::Wat(text);
    auto r = CompileModuleNative(engine, bytes);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : nullptr;
  }
};

TEST_P(InstanceResetTest, ResetInstanceIsLikeAFreshOne) {
  for (bool pooled : {false, true}) {
    SCOPED_TRACE(pooled ? "pooled" : "own reservation");
    Engine engine;
    auto mod = Compile(engine, kModule);
    ASSERT_TRUE(mod);
    MemorySlotPool pool(2);
    Store store(engine);
    if (pooled) store.impl().memory_pool = &pool;
    InstantiateResult r = store.Instantiate(mod, {});
    ASSERT_TRUE(r.instance);
    Instance* inst = r.instance;
    ExpectFresh(store, inst);
    for (int round = 0; round < 3; ++round) {
      SCOPED_TRACE(round);
      ExpectDirty(store, inst);
      ASSERT_TRUE(store.ResetInstance(inst));
      ExpectFresh(store, inst);
      ASSERT_TRUE(store.ResetInstance(inst));
    }
  }
}

TEST_P(InstanceResetTest, ImageMemoryComesBackFromTheImage) {
  // 80 KiB of data: the memory maps the module's image copy-on-write.
  std::ostringstream data;
  for (int i = 0; i < 80 * 1024 / 16; ++i)
    data << "0123456789abcdef";
  const std::string text = R"((module
    (memory (export "memory") 2 4)
    (data (i32.const 0) ")" +
                           data.str() +
                           R"(")
    (func (export "word0") (result i32) (i32.load (i32.const 0)))
    (func (export "tail") (result i32) (i32.load (i32.const 100000)))
    (func (export "pages") (result i32) memory.size)
    (func (export "dirty")
      (i32.store (i32.const 0) (i32.const -1))
      (i32.store (i32.const 100000) (i32.const 9))
      (drop (memory.grow (i32.const 1)))
      (i32.store (i32.const 140000) (i32.const 9))))
  )";
  Engine engine;
  auto mod = Compile(engine, text);
  ASSERT_TRUE(mod);
  MemorySlotPool pool(1);
  Store store(engine);
  store.impl().memory_pool = &pool;
  InstantiateResult r = store.Instantiate(mod, {});
  ASSERT_TRUE(r.instance);
  Instance* inst = r.instance;
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(test::CallI32(store, inst, "word0"), 0x33323130u); // "0123"
    EXPECT_EQ(test::CallI32(store, inst, "tail"), 0u);
    EXPECT_EQ(test::CallI32(store, inst, "pages"), 2u);
    ASSERT_FALSE(TrapOf(store, inst, "dirty"));
    EXPECT_EQ(test::CallI32(store, inst, "word0"), 0xffffffffu);
    EXPECT_EQ(test::CallI32(store, inst, "pages"), 3u);
    ASSERT_TRUE(store.ResetInstance(inst));
  }
}

TEST_P(InstanceResetTest, RefusesInstancesWithImportedState) {
  Engine engine;
  auto mod = Compile(engine, R"((module
    (import "env" "mem" (memory 1))
    (func (export "f"))))");
  ASSERT_TRUE(mod);
  Store store(engine);
  MemoryType mt;
  mt.limits.min = 1;
  MemoryInst* mem = store.CreateMemory(mt);
  ASSERT_TRUE(mem);
  Extern ext;
  ext.kind = ExternKind::Memory;
  ext.ptr = mem;
  std::vector<Extern> imports{ext};
  InstantiateResult r = store.Instantiate(mod, imports);
  ASSERT_TRUE(r.instance);
  EXPECT_FALSE(store.ResetInstance(r.instance));
  EXPECT_FALSE(store.ResetInstance(nullptr));
}

INSTANTIATE_TEST_SUITE_P(Tiers, InstanceResetTest,
                         ::testing::Values(Tier{"interpreter", false},
                                           Tier{"compiled", true}),
                         [](const auto& info) {
                           return std::string(info.param.name);
                         });

} // namespace
} // namespace weft
