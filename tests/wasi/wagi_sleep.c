// WAGI guest that sleeps QUERY_STRING milliseconds (default 10000) in
// poll_oneoff (nanosleep), then answers: the host-call timeout test.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void) {
  const char* q = getenv("QUERY_STRING");
  long ms = q && *q ? atol(q) : 10000;
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  printf("Content-Type: text/plain\n\nslept %ld ms\n", ms);
  return 0;
}
