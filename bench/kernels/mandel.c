// f64 numerics: Mandelbrot escape counts on a 64x64 grid, at most 128
// iterations per point. One unit of n is one frame; the view zooms slightly
// with the frame number (cycling over 8 zooms so the cost per unit stays
// constant on average).
#include "common.h"

#define W 64
#define H 64
#define MAXIT 128

BENCH_EXPORT i64 run(i32 n) {
  u64 acc = 0;
  for (i32 f = 0; f < n; f++) {
    double scale = 3.0 / W * (1.0 - 0.01 * (f & 7));
    u32 total = 0;
    for (i32 y = 0; y < H; y++) {
      double ci = (y - H / 2) * scale;
      for (i32 x = 0; x < W; x++) {
        double cr = (x - W * 2 / 3) * scale;
        double zr = 0.0, zi = 0.0;
        i32 it = 0;
        while (it < MAXIT) {
          double zr2 = zr * zr, zi2 = zi * zi;
          if (zr2 + zi2 > 4.0) break;
          zi = 2.0 * zr * zi + ci;
          zr = zr2 - zi2 + cr;
          it++;
        }
        total = total * 31u + (u32)it;
      }
    }
    acc = mix64(acc, total);
  }
  return (i64)acc;
}
