// Indirect calls: a tiny "bytecode" of 256 ops, each naming one of 16 small
// functions in a function-pointer table; every op is one call_indirect in
// wasm. One unit of n runs the program 4 times (1024 indirect calls).
#include "common.h"

typedef u32 (*op_fn)(u32 x, u32 k);

static u32 op_add(u32 x, u32 k) { return x + k; }
static u32 op_sub(u32 x, u32 k) { return x - k; }
static u32 op_xor(u32 x, u32 k) { return x ^ k; }
static u32 op_mul(u32 x, u32 k) { return x * (k | 1); }
static u32 op_rotl(u32 x, u32 k) {
  return (x << (k & 31)) | (x >> ((32 - k) & 31));
}
static u32 op_rotr(u32 x, u32 k) {
  return (x >> (k & 31)) | (x << ((32 - k) & 31));
}
static u32 op_not(u32 x, u32 k) { return ~x + (k & 7); }
static u32 op_shr(u32 x, u32 k) { return x ^ (x >> ((k & 15) + 1)); }
static u32 op_shl(u32 x, u32 k) { return x ^ (x << ((k & 15) + 1)); }
static u32 op_or(u32 x, u32 k) { return (x | k) - (x & k); }
static u32 op_and(u32 x, u32 k) { return (x & k) + (x >> 3); }
static u32 op_min(u32 x, u32 k) { return x < k ? x + 1 : k ^ x; }
static u32 op_max(u32 x, u32 k) { return x > k ? x - 1 : k + x; }
static u32 op_swap(u32 x, u32 k) { return ((x & 0xffff) << 16 | x >> 16) + k; }
static u32 op_sq(u32 x, u32 k) { return x * x + k; }
static u32 op_cnt(u32 x, u32 k) { return x + (u32)__builtin_popcount(x ^ k); }

static op_fn table[16] = {op_add, op_sub,  op_xor, op_mul, op_rotl, op_rotr,
                          op_not, op_shr,  op_shl, op_or,  op_and,  op_min,
                          op_max, op_swap, op_sq,  op_cnt};

#define PROG 256
static u8 code[PROG];
static u32 imm[PROG];

BENCH_EXPORT i64 run(i32 n) {
  u32 s = 0xc0ffee11u;
  for (i32 i = 0; i < PROG; i++) {
    code[i] = (u8)(xorshift32(&s) & 15);
    imm[i] = xorshift32(&s);
  }
  u64 acc = 0;
  u32 x = 1;
  for (i32 r = 0; r < n; r++) {
    for (i32 rep = 0; rep < 4; rep++)
      for (i32 pc = 0; pc < PROG; pc++)
        x = table[code[pc]](x, imm[pc]);
    acc = mix64(acc, x);
    x += (u32)r;
  }
  return (i64)acc;
}
