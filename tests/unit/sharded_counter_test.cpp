// ShardedCounter: per-thread cells summed on read.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "runtime/sharded_counter.h"

namespace weft {
namespace {

TEST(ShardedCounterTest, SumsEveryThreadsAdditions) {
  ShardedCounter c;
  EXPECT_EQ(c.Sum(), 0);
  // More threads than cells: some share a cell, the sum is still exact.
  std::vector<std::thread> threads;
  for (int t = 0; t < 40; ++t)
    threads.emplace_back([&c, t] {
      for (int i = 0; i < 10000; ++i) {
        c.Add(3);
        c.Add(-1);
      }
      c.Add(t);
    });
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(c.Sum(), 40 * 10000 * 2 + 39 * 40 / 2);
}

TEST(ShardedCounterTest, AGaugeNeverReadsBelowZero) {
  ShardedCounter c;
  // A decrement on one thread before the increment on another.
  std::thread([&] { c.Add(-1); }).join();
  EXPECT_EQ(c.Sum(), 0);
  c.Add(1);
  EXPECT_EQ(c.Sum(), 0); // -1 + 1
  c.Add(5);
  EXPECT_EQ(c.Sum(), 5);
}

} // namespace
} // namespace weft
