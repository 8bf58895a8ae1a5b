// WAGI guest with a global counter: with a fresh instance per request it
// answers "count=1" every time.
#include <stdio.h>

static int counter;

int main(void) {
  ++counter;
  printf("Content-Type: text/plain\n\ncount=%d\n", counter);
  return 0;
}
