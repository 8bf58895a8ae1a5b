// Prints a greeting: the smallest WASI program.
#include <stdio.h>

int main(void) {
  printf("hello, world\n");
  return 0;
}
