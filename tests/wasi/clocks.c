// Clocks: realtime is after 2020, monotonic does not go backwards, the
// resolutions are sane, CPU-time clocks answer, an unknown clock is EINVAL.
#include <stdio.h>
#include <time.h>
#include <wasi/api.h>

static int failures = 0;
#define CHECK(cond, what)                                                      \
  do {                                                                         \
    if (!(cond)) {                                                             \
      printf("FAIL %s\n", what);                                               \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

int main(void) {
  struct timespec rt, m1, m2, res;
  CHECK(clock_gettime(CLOCK_REALTIME, &rt) == 0, "realtime");
  CHECK(rt.tv_sec > 1577836800, "realtime after 2020");
  CHECK(time(NULL) >= rt.tv_sec, "time()");
  CHECK(clock_gettime(CLOCK_MONOTONIC, &m1) == 0, "monotonic");
  volatile unsigned spin = 0;
  for (unsigned i = 0; i < 100000; ++i)
    spin += i;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &m2) == 0, "monotonic 2");
  CHECK(m2.tv_sec > m1.tv_sec ||
            (m2.tv_sec == m1.tv_sec && m2.tv_nsec >= m1.tv_nsec),
        "monotonic order");
  CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0, "getres");
  CHECK(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000,
        "resolution");
  __wasi_timestamp_t t = 0;
  CHECK(__wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &t) == 0,
        "process cputime");
  CHECK(__wasi_clock_time_get(__WASI_CLOCKID_THREAD_CPUTIME_ID, 1, &t) == 0,
        "thread cputime");
  CHECK(__wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &t) == 0 && t > 0,
        "realtime res");
  CHECK(__wasi_clock_time_get(7, 1, &t) == __WASI_ERRNO_INVAL, "bad clock");
  CHECK(__wasi_clock_res_get(7, &t) == __WASI_ERRNO_INVAL, "bad clock res");
  if (failures) return 1;
  printf("clocks ok\n");
  return 0;
}
