// Recurses without end through an indirect call (so clang cannot turn it
// into a loop); keeps nothing on the shadow stack, so the wasm call stack is
// what runs out.
#include <stdio.h>

static int down(int n);
static int (*volatile next)(int) = down;

static int down(int n) { return next(n + 1) + n; }

int main(void) {
  printf("recursing\n");
  fflush(stdout);
  return next(0) == 42;
}
