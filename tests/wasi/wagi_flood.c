// WAGI guest that writes without end: QUERY_STRING "stdout" floods the
// response (ignoring write errors), "stderr" writes log lines until a write
// fails and then answers 200 with how many bytes got through.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  const char* q = getenv("QUERY_STRING");
  static char chunk[65536];
  memset(chunk, 'x', sizeof chunk);
  if (q && strcmp(q, "stderr") == 0) {
    static const char line[] = "a log line that repeats\n";
    long total = 0;
    for (;;) {
      ssize_t n = write(2, line, sizeof line - 1);
      if (n <= 0) break;
      total += n;
    }
    printf("Content-Type: text/plain\n\nstderr took %ld bytes\n", total);
    return 0;
  }
  printf("Content-Type: text/plain\n\n");
  fflush(stdout);
  for (;;)
    (void)write(1, chunk, sizeof chunk);
}
