// Copies the file named by its first argument to the second (paths inside a
// directory granted with --dir), then prints how many bytes it copied.
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: copy FROM TO\n");
    return 2;
  }
  FILE* in = fopen(argv[1], "rb");
  if (!in) {
    perror(argv[1]);
    return 1;
  }
  FILE* out = fopen(argv[2], "wb");
  if (!out) {
    perror(argv[2]);
    fclose(in);
    return 1;
  }
  char buf[4096];
  size_t n, total = 0;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
    if (fwrite(buf, 1, n, out) != n) {
      perror("write");
      return 1;
    }
    total += n;
  }
  fclose(in);
  if (fclose(out) != 0) {
    perror("close");
    return 1;
  }
  printf("copied %zu bytes\n", total);
  return 0;
}
