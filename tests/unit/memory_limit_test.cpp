// EngineConfig::max_memory_bytes: a cap on every linear memory of a Store,
// on top of the module's own limits (used by `weft run --max-memory`).
#include <gtest/gtest.h>

#include "runtime/runtime.h"
#include "wat_helper.h"

namespace weft {
namespace {

MemoryType Mem(uint64_t min, std::optional<uint64_t> max = std::nullopt) {
  MemoryType t;
  t.limits.min = min;
  t.limits.max = max;
  return t;
}

Engine CappedEngine(uint64_t bytes) {
  EngineConfig cfg;
  cfg.max_memory_bytes = bytes;
  return Engine(cfg);
}

TEST(MemoryLimitTest, GrowStopsAtTheCap) {
  Engine engine = CappedEngine(4 * kPageSize);
  Store store(engine);
  MemoryInst* m = store.CreateMemory(Mem(1));
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->Grow(3), 1u);
  EXPECT_EQ(m->size_bytes(), 4 * kPageSize);
  EXPECT_FALSE(m->Grow(1));
  EXPECT_EQ(m->Grow(0), 4u);
  // The type still reports the module's own maximum (none).
  EXPECT_FALSE(m->type().limits.max.has_value());
}

TEST(MemoryLimitTest, CapIsRoundedDownToPagesAndTheSmallerLimitWins) {
  Engine engine = CappedEngine(3 * kPageSize - 1); // 2 whole pages
  Store store(engine);
  MemoryInst* m = store.CreateMemory(Mem(0));
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->Grow(2), 0u);
  EXPECT_FALSE(m->Grow(1));
  MemoryInst* small = store.CreateMemory(Mem(0, 1)); // own max below the cap
  ASSERT_NE(small, nullptr);
  EXPECT_FALSE(small->Grow(2));
  EXPECT_EQ(small->Grow(1), 0u);
  EXPECT_EQ(store.CreateMemory(Mem(3)), nullptr); // initial size above cap
}

TEST(MemoryLimitTest, GuestMemoryGrowReturnsMinusOneAndInstantiationFails) {
  Engine engine = CappedEngine(2 * kPageSize);
  auto grow = test::Compile(engine, R"((module
    (memory 1)
    (func (export "grow") (param i32) (result i32)
      local.get 0 memory.grow)
    (func (export "size") (result i32) memory.size)))");
  ASSERT_TRUE(grow);
  Store store(engine);
  InstantiateResult inst = store.Instantiate(grow, {});
  ASSERT_NE(inst.instance, nullptr);
  FuncInst* g = inst.instance->GetExport("grow")->func();
  FuncInst* size = inst.instance->GetExport("size")->func();
  CallResult r = store.Call(g, std::vector<Value>{Value::I32(2)});
  ASSERT_FALSE(r.trap);
  EXPECT_EQ(r.results[0].i32, 0xFFFFFFFFu); // 3 pages > 2
  r = store.Call(g, std::vector<Value>{Value::I32(1)});
  ASSERT_FALSE(r.trap);
  EXPECT_EQ(r.results[0].i32, 1u);
  r = store.Call(size, {});
  EXPECT_EQ(r.results[0].i32, 2u);

  auto big = test::Compile(engine, "(module (memory 3))");
  ASSERT_TRUE(big);
  InstantiateResult fail = store.Instantiate(big, {});
  EXPECT_EQ(fail.instance, nullptr);
  ASSERT_TRUE(fail.link_error.has_value());
  EXPECT_EQ(fail.link_error->message,
            "memory 0: initial size of 196608 bytes exceeds the memory limit "
            "of 131072 bytes");
}

TEST(MemoryLimitTest, NoCapMeansTheSpecLimits) {
  Engine engine;
  Store store(engine);
  MemoryInst* m = store.CreateMemory(Mem(0));
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->Grow(1024), 0u); // 64 MiB
  EXPECT_FALSE(m->Grow(kMaxPages));
}

} // namespace
} // namespace weft
