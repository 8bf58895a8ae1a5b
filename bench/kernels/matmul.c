// Matrix multiply: C = A * B on 48x48 f64 matrices (naive i-k-j order).
// One unit of n is one multiply; A is then nudged so every unit differs.
#include "common.h"

#define N 48
static double A[N][N], B[N][N], C[N][N];

BENCH_EXPORT i64 run(i32 n) {
  u32 s = 0xdeadbeefu;
  for (i32 i = 0; i < N; i++)
    for (i32 j = 0; j < N; j++) {
      A[i][j] = (double)(xorshift32(&s) % 2001) / 1000.0 - 1.0;
      B[i][j] = (double)(xorshift32(&s) % 2001) / 1000.0 - 1.0;
    }
  u64 acc = 0;
  for (i32 r = 0; r < n; r++) {
    for (i32 i = 0; i < N; i++) {
      for (i32 j = 0; j < N; j++)
        C[i][j] = 0.0;
      for (i32 k = 0; k < N; k++) {
        double a = A[i][k];
        for (i32 j = 0; j < N; j++)
          C[i][j] += a * B[k][j];
      }
    }
    double trace = 0.0;
    for (i32 i = 0; i < N; i++)
      trace += C[i][i] + C[i][N - 1 - i];
    acc = mix64(acc, f64_bits(trace));
    A[r % N][(r / N) % N] += 0.001;
  }
  return (i64)acc;
}
