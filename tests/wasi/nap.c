// Sleeps argv[1] milliseconds (nanosleep -> poll_oneoff), then prints how
// long it slept by the monotonic clock.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char** argv) {
  long ms = argc > 1 ? atol(argv[1]) : 100;
  printf("napping %ld ms\n", ms);
  fflush(stdout);
  long long t0 = now_ms();
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  if (nanosleep(&ts, NULL) != 0) {
    perror("nanosleep");
    return 1;
  }
  long long slept = now_ms() - t0;
  if (slept >= ms)
    printf("woke after at least %ld ms\n", ms);
  else
    printf("woke early, after %lld ms\n", slept);
  return 0;
}
