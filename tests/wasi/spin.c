// Prints one line, then loops forever (for `weft run --timeout`).
#include <stdio.h>

int main(void) {
  printf("spinning\n");
  fflush(stdout);
  volatile unsigned long counter = 0;
  for (;;)
    counter = counter + 1;
}
