// Recursion: naive doubly-recursive Fibonacci. One unit of n is one call
// tree of fib(20..23) (cycling, so the average cost per unit is constant).
#include "common.h"

static i32 fib(i32 k) { return k < 2 ? k : fib(k - 1) + fib(k - 2); }

BENCH_EXPORT i64 run(i32 n) {
  u64 acc = 0;
  for (i32 i = 0; i < n; i++)
    acc = mix64(acc, (u64)fib(20 + (i & 3)));
  return (i64)acc;
}
