// A write to a host fd that cannot kill the host: shared by preview1's
// fd_write and the WASI 0.2 output streams (src/wasip2).
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

namespace weft::wasi {

// writev that cannot kill the host with SIGPIPE when the reader of a pipe
// or socket has gone (it fails with EPIPE instead): for a `pipe_like` fd,
// SIGPIPE is blocked around the write and a signal the write raised is
// consumed before unblocking. Other fds are written directly.
ssize_t WritevNoSigpipe(int fd, const struct iovec* iov, int n, bool pipe_like);

} // namespace weft::wasi
