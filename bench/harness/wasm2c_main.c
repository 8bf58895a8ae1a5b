// wasm2c baseline: the kernel's .wasm translated to C by wasm2c (module name
// "kernel"), compiled with clang -O2 together with wabt's wasm-rt runtime and
// this main. Prints run(n) as an unsigned 64-bit decimal.
#include <stdio.h>
#include <stdlib.h>

#include "kernel.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s N\n", argv[0]);
    return 2;
  }
  wasm_rt_init();
  Z_kernel_init_module();
  Z_kernel_instance_t inst;
  Z_kernel_instantiate(&inst);
  u64 r = Z_kernelZ_run(&inst, (u32)atoi(argv[1]));
  printf("%llu\n", (unsigned long long)r);
  Z_kernel_free(&inst);
  wasm_rt_free();
  return 0;
}
