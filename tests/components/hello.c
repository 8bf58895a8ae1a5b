// A preview1 command adapted to WASI 0.2 by `jco new --wasi-command`: prints
// its arguments and an environment variable, writes to stderr, and exits
// with the status given as its first argument (a number), if any.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  printf("hello from a component: %d args\n", argc);
  for (int i = 1; i < argc; i++)
    printf("arg %d: %s\n", i, argv[i]);
  const char* greeting = getenv("GREETING");
  printf("GREETING=%s\n", greeting ? greeting : "(unset)");
  fprintf(stderr, "to stderr\n");
  fflush(stdout);
  return argc > 1 ? atoi(argv[1]) : 0;
}
