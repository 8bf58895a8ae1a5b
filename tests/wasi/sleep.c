// poll_oneoff: relative and absolute clock sleeps, poll() on stdin, raw
// subscriptions mixing clocks and fds, and subscription errors.
// stdin must be a pipe holding "ping\npong\n".
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static int failures = 0;
#define CHECK(cond, what)                                                      \
  do {                                                                         \
    if (!(cond)) {                                                             \
      printf("FAIL %s\n", what);                                               \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void) {
  long long t0 = now_ns();
  usleep(100000);
  long long slept = now_ns() - t0;
  CHECK(slept >= 100000000LL, "relative sleep >= 100ms");
  printf("slept %lld ms\n", slept / 1000000);

  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_nsec += 50000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_nsec -= 1000000000;
    until.tv_sec += 1;
  }
  t0 = now_ns();
  CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == 0,
        "absolute sleep");
  CHECK(now_ns() - t0 >= 40000000LL, "absolute sleep waited");

  struct pollfd p = {.fd = 0, .events = POLLIN};
  CHECK(poll(&p, 1, 2000) == 1 && (p.revents & POLLIN), "poll stdin");
  char buf[16] = {0};
  CHECK(read(0, buf, 5) == 5, "read stdin");
  printf("poll stdin: %s", buf);

  // A far clock and a ready fd: only the fd fires, with its byte count.
  __wasi_subscription_t subs[2];
  memset(subs, 0, sizeof subs);
  subs[0].userdata = 1;
  subs[0].u.tag = __WASI_EVENTTYPE_CLOCK;
  subs[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  subs[0].u.u.clock.timeout = 5000000000ull;
  subs[1].userdata = 2;
  subs[1].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[1].u.u.fd_read.file_descriptor = 0;
  __wasi_event_t ev[2];
  __wasi_size_t n = 0;
  t0 = now_ns();
  CHECK(__wasi_poll_oneoff(subs, ev, 2, &n) == 0, "poll_oneoff");
  CHECK(n == 1 && ev[0].userdata == 2 &&
            ev[0].type == __WASI_EVENTTYPE_FD_READ && ev[0].error == 0,
        "fd event");
  CHECK(now_ns() - t0 < 2000000000LL, "fd event was immediate");
  printf("nbytes=%llu\n", (unsigned long long)ev[0].fd_readwrite.nbytes);

  // A bad fd fires at once with an error.
  subs[1].u.u.fd_read.file_descriptor = 99;
  CHECK(__wasi_poll_oneoff(subs, ev, 2, &n) == 0, "poll_oneoff badf");
  CHECK(n == 1 && ev[0].userdata == 2 && ev[0].error == __WASI_ERRNO_BADF,
        "badf event");
  // No subscriptions at all.
  CHECK(__wasi_poll_oneoff(subs, ev, 0, &n) == __WASI_ERRNO_INVAL, "nsubs 0");
  // Two clocks: the nearer one fires.
  subs[1].u.tag = __WASI_EVENTTYPE_CLOCK;
  subs[1].u.u.clock.id = __WASI_CLOCKID_REALTIME;
  subs[1].u.u.clock.timeout = 20000000ull;
  CHECK(__wasi_poll_oneoff(subs, ev, 2, &n) == 0 && n == 1 &&
            ev[0].userdata == 2 && ev[0].type == __WASI_EVENTTYPE_CLOCK,
        "nearer clock");
  if (failures) return 1;
  printf("poll ok\n");
  return 0;
}
