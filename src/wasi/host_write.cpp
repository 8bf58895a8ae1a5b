// WritevNoSigpipe (host_write.h).
#include "wasi/host_write.h"

#include <cerrno>
#include <csignal>
#include <ctime>
#include <pthread.h>

namespace weft::wasi {

ssize_t WritevNoSigpipe(int fd, const struct iovec* iov, int n,
                        bool pipe_like) {
  if (!pipe_like) return ::writev(fd, iov, n);
  sigset_t pipe_set, old, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigemptyset(&pending);
  ::sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t r = ::writev(fd, iov, n);
  int err = errno;
  if (r < 0 && err == EPIPE && !was_pending) {
    struct timespec zero = {};
    while (::sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return r;
}

} // namespace weft::wasi
