// Sieve of Eratosthenes over a byte array. One unit of n is one sieve up to
// 65536 + (unit mod 64); the checksum folds in each count of primes.
#include "common.h"

#define LIMIT 65600
static u8 composite[LIMIT];

BENCH_EXPORT i64 run(i32 n) {
  u64 acc = 0;
  for (i32 r = 0; r < n; r++) {
    i32 lim = 65536 + (r & 63);
    for (i32 i = 0; i < lim; i++)
      composite[i] = (u8)(i < 2);
    for (i32 p = 2; p * p < lim; p++) {
      if (composite[p]) continue;
      for (i32 m = p * p; m < lim; m += p)
        composite[m] = 1;
    }
    u32 count = 0, last = 0;
    for (i32 i = 0; i < lim; i++)
      if (!composite[i]) {
        count++;
        last = (u32)i;
      }
    acc = mix64(acc, ((u64)count << 32) | last);
  }
  return (i64)acc;
}
