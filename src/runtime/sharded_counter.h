// A counter that many threads add to without sharing a cache line: each
// thread adds to its own padded cell (threads get cells round-robin; more
// threads than cells share some, still correctly), and a reader sums the
// cells. For process-wide counters and gauges updated on every request by
// every worker thread (a plain atomic would bounce one cache line between
// the cores); reads (a /metrics scrape) are rare.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace weft {

class ShardedCounter {
public:
  void Add(int64_t delta) {
    cells_[Cell()].value.fetch_add(delta, std::memory_order_relaxed);
  }
  // The sum of every thread's additions (a gauge read while threads add
  // may see one thread's decrement before another's increment: never
  // below zero).
  int64_t Sum() const {
    int64_t sum = 0;
    for (const auto& c : cells_)
      sum += c.value.load(std::memory_order_relaxed);
    return sum < 0 ? 0 : sum;
  }

private:
  static constexpr size_t kCells = 32;
  struct alignas(64) Padded {
    std::atomic<int64_t> value{0};
  };
  static size_t Cell() {
    static std::atomic<size_t> next{0};
    thread_local const size_t cell =
        next.fetch_add(1, std::memory_order_relaxed) % kCells;
    return cell;
  }
  std::array<Padded, kCells> cells_{};
};

} // namespace weft
