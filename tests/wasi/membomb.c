// Allocates (and touches) 1 MiB blocks until malloc fails, then reports how
// much it got. Under `weft run --max-memory` the failure is memory.grow
// returning -1, which malloc turns into NULL. The blocks are chained and
// walked at the end so the compiler cannot drop the allocations.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  const size_t block = 1 << 20;
  size_t got = 0;
  void** head = NULL;
  for (;;) {
    void** p = malloc(block);
    if (!p) break;
    memset(p, 0xAB, block);
    *p = head;
    head = p;
    ++got;
  }
  size_t walked = 0;
  for (void** p = head; p; p = *p)
    ++walked;
  printf("malloc failed after %zu MiB (%zu blocks still held)\n", got, walked);
  return walked == got ? 0 : 1;
}
