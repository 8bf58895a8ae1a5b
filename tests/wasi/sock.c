// Sockets handed in as stdio (fd 0 and fd 1 are socketpair ends): receive,
// send, shut down. No socket can be accepted or created.
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static int failures = 0;
static void expect(const char* name, __wasi_errno_t got, __wasi_errno_t want) {
  if (got != want) {
    fprintf(stderr, "FAIL %s: got %d want %d\n", name, got, want);
    ++failures;
  }
}

int main(void) {
  char buf[64] = {0};
  __wasi_iovec_t iov = {(uint8_t*)buf, sizeof buf - 1};
  __wasi_size_t n = 0;
  __wasi_roflags_t ro = 0xffff;
  expect("peek",
         __wasi_sock_recv(0, &iov, 1, __WASI_RIFLAGS_RECV_PEEK, &n, &ro), 0);
  expect("recv", __wasi_sock_recv(0, &iov, 1, 0, &n, &ro), 0);
  if (n != 5 || memcmp(buf, "hello", 5) || ro != 0) {
    fprintf(stderr, "FAIL recv data\n");
    ++failures;
  }
  expect("recv bad flags", __wasi_sock_recv(0, &iov, 1, 0x80, &n, &ro),
         __WASI_ERRNO_INVAL);
  __wasi_ciovec_t out = {(const uint8_t*)"got hello", 9};
  expect("send", __wasi_sock_send(1, &out, 1, 0, &n), 0);
  expect("send on stdin", __wasi_sock_send(0, &out, 1, 0, &n),
         __WASI_ERRNO_NOTCAPABLE);
  expect("shutdown bad", __wasi_sock_shutdown(1, 0), __WASI_ERRNO_INVAL);
  expect("shutdown", __wasi_sock_shutdown(1, __WASI_SDFLAGS_WR), 0);
  __wasi_fd_t fd;
  expect("accept", __wasi_sock_accept(0, 0, &fd), __WASI_ERRNO_NOTSUP);
  expect("accept bad fd", __wasi_sock_accept(42, 0, &fd), __WASI_ERRNO_BADF);
  expect("recv not socket", __wasi_sock_recv(2, &iov, 1, 0, &n, &ro),
         __WASI_ERRNO_NOTSOCK);
  expect("send closed fd", __wasi_sock_send(9, &out, 1, 0, &n),
         __WASI_ERRNO_BADF);
  if (failures) return 1;
  fprintf(stderr, "sock ok\n");
  return 0;
}
