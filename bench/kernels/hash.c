// Integer hashing: one unit of n is one pass over a 16 KiB buffer with
// byte-wise FNV-1a (64-bit) and a word-wise xorshift-multiply hash; each pass
// then perturbs the buffer so no two passes see the same bytes.
#include "common.h"

#define WORDS 4096
static u32 buf[WORDS];

BENCH_EXPORT i64 run(i32 n) {
  u32 s = 0x12345678u;
  for (i32 i = 0; i < WORDS; i++)
    buf[i] = xorshift32(&s);
  u64 acc = 0;
  for (i32 i = 0; i < n; i++) {
    u64 fnv = 0xcbf29ce484222325ull ^ (u64)i;
    const u8 *bytes = (const u8 *)buf;
    for (i32 j = 0; j < WORDS * 4; j++) {
      fnv ^= bytes[j];
      fnv *= 0x100000001b3ull;
    }
    u32 w = (u32)i * 0x9e3779b9u;
    for (i32 j = 0; j < WORDS; j++) {
      w ^= buf[j];
      w ^= w >> 15;
      w *= 0x2c1b3c6du;
      w ^= w >> 12;
      w = (w << 7) | (w >> 25);
    }
    buf[(u32)i & (WORDS - 1)] ^= (u32)fnv ^ w;
    acc = mix64(acc, fnv ^ ((u64)w << 32));
  }
  return (i64)acc;
}
