// Shared helpers for the benchmark kernels. Every kernel is freestanding:
// no libc, no imports. The same source is compiled natively (for the
// baseline) and to wasm32; each exports `long long run(int n)` whose cost is
// linear in n and whose result is a checksum every engine must reproduce.
#pragma once

typedef unsigned char u8;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;

#define BENCH_EXPORT __attribute__((visibility("default")))

static inline u32 xorshift32(u32* s) {
  u32 x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *s = x;
  return x;
}

static inline u64 xorshift64(u64* s) {
  u64 x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *s = x;
  return x;
}

// Folds a value into a running 64-bit checksum (FNV-style multiply).
static inline u64 mix64(u64 h, u64 v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h * 0x100000001b3ull;
}

static inline u64 f64_bits(double d) {
  u64 b;
  __builtin_memcpy(&b, &d, sizeof b);
  return b;
}
