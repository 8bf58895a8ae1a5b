// i64 division: one unit of n performs 256 rounds, each with an unsigned and
// a signed 64-bit divide and remainder by a pseudo-random, never-zero divisor
// of varying magnitude (never INT64_MIN / -1).
#include "common.h"

BENCH_EXPORT i64 run(i32 n) {
  u64 s = 0x0123456789abcdefull;
  u64 acc = 0;
  for (i32 r = 0; r < n; r++) {
    u64 sum = 0;
    for (i32 k = 0; k < 256; k++) {
      u64 x = xorshift64(&s);
      u64 d = (x >> ((x & 31) + 8)) | 1; // 24..55-bit divisors
      sum += x / d + x % d;
      i64 sx = (i64)(x ^ sum);
      i64 sd = (i64)(d >> (k & 7)) | 3;
      if (x & 1) sd = -sd;
      sum ^= (u64)(sx / sd) + (u64)(sx % sd);
    }
    acc = mix64(acc, sum);
  }
  return (i64)acc;
}
