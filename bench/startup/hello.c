// The startup benchmark's program: print one line and exit. Built both for
// wasm32-wasi (run by weft and node) and natively.
#include <stdio.h>

int main(void) {
  printf("hello, world\n");
  return 0;
}
