// stdin to stdout, upper-casing ASCII letters (so a test sees it was read
// and written by the guest), then the byte count on stderr.
#include <stdio.h>

int main(void) {
  int c;
  unsigned long total = 0;
  while ((c = getchar()) != EOF) {
    if (c >= 'a' && c <= 'z') c -= 'a' - 'A';
    putchar(c);
    total++;
  }
  fflush(stdout);
  fprintf(stderr, "%lu bytes\n", total);
  return 0;
}
