// Native baseline: the kernel's C source compiled with clang -O2 and linked
// with this main. Prints run(n) as an unsigned 64-bit decimal.
#include <stdio.h>
#include <stdlib.h>

long long run(int n);

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s N\n", argv[0]);
    return 2;
  }
  unsigned long long r = (unsigned long long)run(atoi(argv[1]));
  printf("%llu\n", r);
  return 0;
}
