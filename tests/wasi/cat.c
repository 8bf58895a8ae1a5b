// cat: copies each file named on the command line (or stdin when none) to
// stdout. Exits 1 (after a message on stderr) when a file cannot be opened.
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int copy(FILE* in) {
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, n, stdout) != n) return 1;
  return ferror(in) ? 1 : 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return copy(stdin);
  for (int i = 1; i < argc; ++i) {
    FILE* f = fopen(argv[i], "rb");
    if (!f) {
      fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno));
      return 1;
    }
    int r = copy(f);
    fclose(f);
    if (r) return 1;
  }
  return 0;
}
