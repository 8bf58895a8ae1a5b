// Prints a line, then traps (unreachable): the run must end with a trap
// after the line was written.
#include <stdio.h>

int main(void) {
  printf("before the trap\n");
  fflush(stdout);
  __builtin_trap();
}
