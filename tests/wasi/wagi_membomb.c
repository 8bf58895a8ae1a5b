// WAGI guest: allocates 1 MiB blocks until malloc fails (memory.grow
// returns -1 at the function's memory_limit) and reports how many it got.
// The blocks are chained and walked so the compiler keeps the allocations.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  size_t got = 0;
  void** head = NULL;
  for (;;) {
    void** p = malloc(1 << 20);
    if (!p) break;
    memset(p, 1, 1 << 20);
    *p = head;
    head = p;
    ++got;
  }
  size_t walked = 0;
  for (void** p = head; p; p = *p)
    ++walked;
  printf("Content-Type: text/plain\n\ngot %zu MiB, %zu held\n", got, walked);
  return 0;
}
