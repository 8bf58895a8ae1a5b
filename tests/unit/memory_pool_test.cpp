// MemorySlotPool: memory reservations reused across Stores. A reused slot
// must hold nothing of the memory before it (contents, size, access beyond
// the size), whatever module used it before, and the memory limit of the
// new owner still applies.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "runtime/runtime.h"
#include "runtime/store_impl.h"
#include "wat_helper.h"

namespace weft {
namespace {

// A module that dirties every kind of instance state, and probes it.
constexpr const char* kDirty = R"((module
  (memory (export "memory") 1 8)
  (global $g (mut i32) (i32.const 7))
  (table $t 2 funcref)
  (func $f (result i32) i32.const 42)
  (elem declare func $f)
  (data (i32.const 16) "abc")
  (func (export "dirty")
    (i32.store (i32.const 0) (i32.const 0x11223344))
    (i32.store8 (i32.const 16) (i32.const 0x7a))
    (drop (memory.grow (i32.const 2)))
    (i32.store (i32.const 0x1fff0) (i32.const 99))
    (global.set $g (i32.const 1234))
    (table.set $t (i32.const 1) (ref.func $f)))
  (func (export "word0") (result i32) (i32.load (i32.const 0)))
  (func (export "byte16") (result i32) (i32.load8_u (i32.const 16)))
  (func (export "pages") (result i32) memory.size)
  (func (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0)))
  (func (export "high") (result i32) (i32.load (i32.const 0x1fff0)))
  (func (export "global") (result i32) global.get $g)
  (func (export "elem_is_null") (result i32)
    (ref.is_null (table.get $t (i32.const 1))))))";

uint32_t CallI32(Store& store, Instance* inst, const char* name,
                 std::vector<Value> args = {}) {
  auto e = inst->GetExport(name);
  EXPECT_TRUE(e) << name;
  if (!e) return 0xdeadbeef;
  CallResult r = store.Call(e->func(), args);
  EXPECT_FALSE(r.trap) << name << ": " << (r.trap ? r.trap->message : "");
  if (r.trap || r.results.empty()) return 0xdeadbeef;
  return r.results[0].i32;
}

std::optional<Trap> CallTrap(Store& store, Instance* inst, const char* name) {
  return store.Call(inst->GetExport(name)->func(), {}).trap;
}

uint8_t* MemoryBase(Instance* inst) {
  return inst->GetExport("memory")->memory()->data();
}

Instance* Make(Store& store, const std::shared_ptr<const CompiledModule>& m) {
  InstantiateResult r = store.Instantiate(m, {});
  EXPECT_FALSE(r.link_error) << r.link_error->Describe();
  EXPECT_FALSE(r.trap);
  return r.instance;
}

TEST(MemoryPoolTest, ReusedSlotStartsFresh) {
  Engine engine;
  auto mod = test::Compile(engine, kDirty);
  ASSERT_TRUE(mod);
  MemorySlotPool pool(4);
  uint8_t* first = nullptr;
  {
    Store store(engine);
    store.impl().memory_pool = &pool;
    Instance* inst = Make(store, mod);
    ASSERT_TRUE(inst);
    CallI32(store, inst, "pages"); // no-op warm-up
    ASSERT_FALSE(CallTrap(store, inst, "dirty"));
    EXPECT_EQ(CallI32(store, inst, "word0"), 0x11223344u);
    EXPECT_EQ(CallI32(store, inst, "byte16"), 0x7au);
    EXPECT_EQ(CallI32(store, inst, "pages"), 3u);
    EXPECT_EQ(CallI32(store, inst, "high"), 99u);
    EXPECT_EQ(CallI32(store, inst, "global"), 1234u);
    EXPECT_EQ(CallI32(store, inst, "elem_is_null"), 0u);
    first = MemoryBase(inst);
  }
  EXPECT_EQ(pool.free_slots(), 1u);
  EXPECT_EQ(test::MappingPerms(first), "rw-p"); // kept mapped for reuse
  for (int round = 0; round < 3; ++round) {
    Store store(engine);
    store.impl().memory_pool = &pool;
    Instance* inst = Make(store, mod);
    ASSERT_TRUE(inst);
    // The same reservation, reset.
    EXPECT_EQ(MemoryBase(inst), first);
    EXPECT_EQ(pool.free_slots(), 0u);
    EXPECT_EQ(CallI32(store, inst, "word0"), 0u);
    EXPECT_EQ(CallI32(store, inst, "byte16"), uint32_t{'a'});
    EXPECT_EQ(CallI32(store, inst, "pages"), 1u);
    EXPECT_EQ(CallI32(store, inst, "global"), 7u);
    EXPECT_EQ(CallI32(store, inst, "elem_is_null"), 1u);
    // The pages the previous memory grew into are gone: out of bounds for
    // the guest, inaccessible for the host (the guard a compiled tier
    // relies on), and zero when grown again.
    auto trap = CallTrap(store, inst, "high");
    ASSERT_TRUE(trap);
    EXPECT_EQ(trap->kind, TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(test::MappingPerms(first + kPageSize), "---p");
    EXPECT_EQ(CallI32(store, inst, "grow", {Value::I32(2)}), 1u);
    EXPECT_EQ(CallI32(store, inst, "high"), 0u);
    ASSERT_FALSE(CallTrap(store, inst, "dirty"));
  }
  EXPECT_EQ(pool.reuses(), 3u);
}

TEST(MemoryPoolTest, ImageRestoredAndReplacedAcrossModules) {
  // 80 KiB of data: mapped copy-on-write from the module's image.
  std::ostringstream data;
  for (int i = 0; i < 80 * 1024 / 16; ++i)
    data << "0123456789abcdef";
  const std::string with_image = R"((module
    (memory (export "memory") 2)
    (data (i32.const 0) ")" + data.str() +
                                 R"(")
    (func (export "word0") (result i32) (i32.load (i32.const 0)))
    (func (export "dirty") (i32.store (i32.const 0) (i32.const -1))))
  )";
  const std::string plain = R"((module
    (memory (export "memory") 2)
    (func (export "word0") (result i32) (i32.load (i32.const 0)))
    (func (export "dirty") (i32.store (i32.const 0) (i32.const -1))))
  )";
  Engine engine;
  auto img = test::Compile(engine, with_image);
  auto img2 = test::Compile(engine, with_image); // its own image
  auto none = test::Compile(engine, plain);
  ASSERT_TRUE(img && img2 && none);
  MemorySlotPool pool(1);
  const uint32_t want = 0x33323130; // "0123"
  auto run = [&](const std::shared_ptr<const CompiledModule>& m,
                 uint32_t expect) {
    Store store(engine);
    store.impl().memory_pool = &pool;
    Instance* inst = Make(store, m);
    ASSERT_TRUE(inst);
    EXPECT_EQ(CallI32(store, inst, "word0"), expect);
    ASSERT_FALSE(CallTrap(store, inst, "dirty"));
    EXPECT_EQ(CallI32(store, inst, "word0"), 0xffffffffu);
  };
  run(img, want);
  run(img, want);  // same image: its pages back, the write gone
  run(none, 0);    // the image is unmapped for a module without one
  run(img2, want); // and mapped again for one with its own
  run(img, want);
  run(none, 0);
  EXPECT_EQ(pool.reuses(), 5u);
}

TEST(MemoryPoolTest, MemoryLimitAppliesToReusedSlot) {
  Engine big;
  EngineConfig cfg;
  cfg.max_memory_bytes = 2 * kPageSize;
  Engine capped(cfg);
  auto grow = R"((module
    (memory (export "memory") 1)
    (func (export "grow") (param i32) (result i32)
      (memory.grow (local.get 0)))
    (func (export "pages") (result i32) memory.size)))";
  auto mbig = test::Compile(big, grow);
  auto mcap = test::Compile(capped, grow);
  ASSERT_TRUE(mbig && mcap);
  MemorySlotPool pool(2);
  {
    Store store(big);
    store.impl().memory_pool = &pool;
    Instance* inst = Make(store, mbig);
    EXPECT_EQ(CallI32(store, inst, "grow", {Value::I32(63)}), 1u);
  }
  Store store(capped);
  store.impl().memory_pool = &pool;
  Instance* inst = Make(store, mcap);
  EXPECT_EQ(pool.reuses(), 1u);
  EXPECT_EQ(CallI32(store, inst, "pages"), 1u);
  EXPECT_EQ(CallI32(store, inst, "grow", {Value::I32(2)}), 0xffffffffu);
  EXPECT_EQ(CallI32(store, inst, "grow", {Value::I32(1)}), 1u);
  EXPECT_EQ(CallI32(store, inst, "grow", {Value::I32(1)}), 0xffffffffu);
  EXPECT_EQ(CallI32(store, inst, "pages"), 2u);
  // An initial size above the cap still fails to instantiate.
  auto too_big = test::Compile(capped, "(module (memory 3))");
  ASSERT_TRUE(too_big);
  Store s2(capped);
  s2.impl().memory_pool = &pool;
  InstantiateResult r = s2.Instantiate(too_big, {});
  EXPECT_TRUE(r.link_error);
}

TEST(MemoryPoolTest, CountersAndPoolCap) {
  Engine engine;
  auto mod = test::Compile(engine, "(module (memory (export \"memory\") 3))");
  ASSERT_TRUE(mod);
  const uint64_t in_use0 = LinearMemoryBytesInUse();
  const uint64_t pooled0 = PooledMemorySlots();
  {
    MemorySlotPool pool(2);
    {
      std::vector<std::unique_ptr<Store>> stores;
      for (int i = 0; i < 3; ++i) {
        stores.push_back(std::make_unique<Store>(engine));
        stores.back()->impl().memory_pool = &pool;
        ASSERT_TRUE(Make(*stores.back(), mod));
      }
      EXPECT_EQ(LinearMemoryBytesInUse() - in_use0, 3 * 3 * kPageSize);
      EXPECT_EQ(PooledMemorySlots(), pooled0);
    }
    // Three released, two kept (the cap), the third unmapped.
    EXPECT_EQ(pool.free_slots(), 2u);
    EXPECT_EQ(PooledMemorySlots() - pooled0, 2u);
    EXPECT_EQ(LinearMemoryBytesInUse(), in_use0);
  }
  EXPECT_EQ(PooledMemorySlots(), pooled0);
}

} // namespace
} // namespace weft
