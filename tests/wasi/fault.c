// Guest pointers and lengths outside linear memory: every call must return
// errno `fault` (21) rather than touch host memory. Prints "fault ok" when
// all behave, or "WRONG <name> <errno>" lines.
#include <stdint.h>
#include <stdio.h>
#include <wasi/api.h>

static int wrong = 0;
#define P(x) ((void*)(uintptr_t)(x))

static void expect(const char* name, __wasi_errno_t got, __wasi_errno_t want) {
  if (got != want) {
    printf("WRONG %s %d\n", name, got);
    ++wrong;
  }
}

int main(void) {
  const uint32_t end = (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
  const uint32_t far = 0xFFFFFFF0u;
  __wasi_size_t n;
  __wasi_timestamp_t t;
  static char path[] = "x";

  // The last 8 bytes of memory are fine, one byte further is not.
  expect("time-at-end", __wasi_clock_time_get(0, 1, P(end - 8)), 0);
  expect("time-past-end", __wasi_clock_time_get(0, 1, P(end - 7)),
         __WASI_ERRNO_FAULT);
  expect("time-far", __wasi_clock_time_get(0, 1, P(far)), __WASI_ERRNO_FAULT);
  expect("res-far", __wasi_clock_res_get(0, P(far)), __WASI_ERRNO_FAULT);
  expect("args-sizes", __wasi_args_sizes_get(P(far), &n), __WASI_ERRNO_FAULT);
  expect("args-get", __wasi_args_get(P(far), P(far)), __WASI_ERRNO_FAULT);
  expect("environ-sizes", __wasi_environ_sizes_get(&n, P(far)),
         __WASI_ERRNO_FAULT);
  expect("random-huge", __wasi_random_get(P(end - 16), 32), __WASI_ERRNO_FAULT);
  expect("random-wrap", __wasi_random_get(P(far), 0x20), __WASI_ERRNO_FAULT);

  // fd_write: the iovec array, then a buffer inside it, out of range.
  expect("write-iovs", __wasi_fd_write(1, P(far), 1, &n), __WASI_ERRNO_FAULT);
  __wasi_ciovec_t iov = {.buf = P(end - 4), .buf_len = 64};
  expect("write-buf", __wasi_fd_write(1, &iov, 1, &n), __WASI_ERRNO_FAULT);
  iov.buf = P(far);
  iov.buf_len = 0x100;
  expect("write-buf-wrap", __wasi_fd_write(1, &iov, 1, &n), __WASI_ERRNO_FAULT);
  expect("write-count", __wasi_fd_write(1, P(far), 0x10000000, &n),
         __WASI_ERRNO_FAULT);
  __wasi_iovec_t riov = {.buf = P(far), .buf_len = 16};
  expect("read-buf", __wasi_fd_read(0, &riov, 1, &n), __WASI_ERRNO_FAULT);
  expect("fdstat", __wasi_fd_fdstat_get(1, P(far)), __WASI_ERRNO_FAULT);
  expect("filestat", __wasi_fd_filestat_get(3, P(end - 8)), __WASI_ERRNO_FAULT);
  expect("prestat", __wasi_fd_prestat_get(3, P(far)), __WASI_ERRNO_FAULT);
  expect("prestat-name", __wasi_fd_prestat_dir_name(3, P(far), 64),
         __WASI_ERRNO_FAULT);
  expect("readdir", __wasi_fd_readdir(3, P(end - 10), 4096, 0, &n),
         __WASI_ERRNO_FAULT);
  __wasi_fd_t file;
  expect("open-file",
         __wasi_path_open(3, 0, "f.txt", __WASI_OFLAGS_CREAT,
                          __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL, 0, 0,
                          &file),
         0);
  expect("seek-out", __wasi_fd_seek(file, 0, 0, P(far)), __WASI_ERRNO_FAULT);
  expect("tell-out", __wasi_fd_tell(file, P(end - 4)), __WASI_ERRNO_FAULT);
  expect("close-file", __wasi_fd_close(file), 0);
  expect("unlink-file", __wasi_path_unlink_file(3, "f.txt"), 0);

  // Paths: the raw import takes (ptr, len).
  extern int32_t raw_mkdir(int32_t, int32_t, int32_t)
      __attribute__((__import_module__("wasi_snapshot_preview1"),
                     __import_name__("path_create_directory")));
  expect("path-ptr", (__wasi_errno_t)raw_mkdir(3, (int32_t)far, 100),
         __WASI_ERRNO_FAULT);
  expect("path-len", (__wasi_errno_t)raw_mkdir(3, (int32_t)(end - 2), 100),
         __WASI_ERRNO_FAULT);
  __wasi_fd_t fd;
  expect("open-out", __wasi_path_open(3, 0, path, 0, 2, 2, 0, P(far)),
         __WASI_ERRNO_FAULT);
  expect("pathstat-out", __wasi_path_filestat_get(3, 0, ".", P(far)),
         __WASI_ERRNO_FAULT);
  expect("readlink-buf", __wasi_path_readlink(3, path, P(far), 16, &n),
         __WASI_ERRNO_FAULT);

  // poll_oneoff: subscriptions and events must both fit.
  __wasi_event_t ev;
  expect("poll-in", __wasi_poll_oneoff(P(far), &ev, 1, &n), __WASI_ERRNO_FAULT);
  expect("poll-many", __wasi_poll_oneoff(P(16), &ev, 0x4000000, &n),
         __WASI_ERRNO_FAULT);
  (void)t;
  (void)fd;
  if (wrong) return 1;
  printf("fault ok\n");
  return 0;
}
