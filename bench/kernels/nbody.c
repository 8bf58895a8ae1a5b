// f64 numerics: a small gravitational N-body simulation (one heavy body and
// four light ones on roughly circular orbits, made up here), advanced with a
// symplectic Euler step. One unit of n is one time step.
#include "common.h"

#define NB 5
static double px[NB], py[NB], pz[NB], vx[NB], vy[NB], vz[NB], mass[NB];

static void init(void) {
  mass[0] = 1000.0;
  px[0] = py[0] = pz[0] = vx[0] = vy[0] = vz[0] = 0.0;
  for (i32 i = 1; i < NB; i++) {
    double r = 3.0 * i + 1.0;
    mass[i] = 0.5 + 0.25 * i;
    px[i] = (i & 1) ? r : -r;
    py[i] = 0.1 * i;
    pz[i] = 0.05 * i;
    double v = __builtin_sqrt(mass[0] / r);
    vx[i] = 0.01 * i;
    vy[i] = (i & 1) ? v : -v;
    vz[i] = 0.02;
  }
}

static void advance(double dt) {
  for (i32 i = 0; i < NB; i++) {
    for (i32 j = i + 1; j < NB; j++) {
      double dx = px[i] - px[j], dy = py[i] - py[j], dz = pz[i] - pz[j];
      double d2 = dx * dx + dy * dy + dz * dz + 1e-9;
      double d = __builtin_sqrt(d2);
      double mag = dt / (d2 * d);
      double mi = mass[i] * mag, mj = mass[j] * mag;
      vx[i] -= dx * mj;
      vy[i] -= dy * mj;
      vz[i] -= dz * mj;
      vx[j] += dx * mi;
      vy[j] += dy * mi;
      vz[j] += dz * mi;
    }
  }
  for (i32 i = 0; i < NB; i++) {
    px[i] += dt * vx[i];
    py[i] += dt * vy[i];
    pz[i] += dt * vz[i];
  }
}

static double energy(void) {
  double e = 0.0;
  for (i32 i = 0; i < NB; i++) {
    e += 0.5 * mass[i] * (vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i]);
    for (i32 j = i + 1; j < NB; j++) {
      double dx = px[i] - px[j], dy = py[i] - py[j], dz = pz[i] - pz[j];
      e -= mass[i] * mass[j] / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}

BENCH_EXPORT i64 run(i32 n) {
  init();
  for (i32 i = 0; i < n; i++)
    advance(0.001);
  u64 acc = f64_bits(energy());
  for (i32 i = 0; i < NB; i++) {
    acc = mix64(acc, f64_bits(px[i]));
    acc = mix64(acc, f64_bits(vy[i]));
  }
  return (i64)acc;
}
