// WAGI guest that writes a header and then traps (unreachable).
#include <stdio.h>

int main(void) {
  printf("Content-Type: text/plain\n\npartial");
  fflush(stdout);
  __builtin_trap();
}
