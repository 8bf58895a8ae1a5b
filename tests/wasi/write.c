// write PATH TEXT: creates or truncates PATH and writes TEXT to it. On
// failure prints "write PATH: <strerror>" to stderr and exits 1.
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: write PATH TEXT\n");
    return 2;
  }
  FILE* f = fopen(argv[1], "w");
  if (!f) {
    fprintf(stderr, "write %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  size_t n = strlen(argv[2]);
  if (fwrite(argv[2], 1, n, f) != n || fclose(f) != 0) {
    fprintf(stderr, "write %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  printf("wrote %zu bytes\n", n);
  return 0;
}
