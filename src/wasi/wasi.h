// WASI preview1 (`wasi_snapshot_preview1`) for weft guests.
//
// Usage:
//   WasiConfig cfg;
//   cfg.args = {"prog.wasm", "arg1"};
//   cfg.env = {{"KEY", "value"}};                // nothing else is visible
//   cfg.preopens = {{"/srv/data", "/data", /*read_only=*/true}};
//   auto ctx = WasiContext::Create(cfg);         // Result<unique_ptr<...>>
//   auto imports = BindWasiImports(store, **ctx, compiled->module());
//   auto inst = store.Instantiate(compiled, *imports);
//   CallResult r = store.Call(start, {});
//   std::optional<int> status = WasiExitStatus(r);  // nullopt: a real trap
//
// Deny by default: the guest sees exactly the args, env vars, preopened
// directories and stdio fds in its WasiConfig. Every path is resolved
// beneath the directory fd it is relative to (see sandbox_path.h); the
// guest cannot name anything outside its preopens.
//
// Errno decisions:
//  - A path that would leave its directory (absolute, `..` above it, a
//    symlink whose target is absolute or climbs out) fails with
//    `notcapable` (76). Creating a symlink with an absolute target is
//    refused with `notcapable` too; relative targets may be created and are
//    checked when followed.
//  - A read-only preopen (and every fd opened through it) simply lacks the
//    rights to write, create, truncate, rename, link, symlink, delete or set
//    times, so those operations fail with `notcapable` (76), the WASI
//    rights error, never `rofs`.
//  - A guest pointer/length outside linear memory fails with `fault` (21);
//    a calling instance without an exported "memory" gets `fault` for any
//    call that touches memory.
//  - proc_raise returns `nosys` (52). Sockets are never granted: sock_* on
//    a non-socket fd returns `notsock` (57), on an unknown fd `badf` (8);
//    sock_accept on a socket returns `notsup` (58).
//
// Threading: a WasiContext serves one Store (one thread) at a time, and
// must outlive every Store it was bound into.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "runtime/runtime.h"
#include "wasm/module.h"
#include "wasm/result.h"

namespace weft {

inline constexpr const char* kWasiModuleName = "wasi_snapshot_preview1";

struct WasiPreopen {
  std::string host_path;  // directory on the host
  std::string guest_path; // the name the guest sees, e.g. "/data" or "."
  bool read_only = true;  // read-only unless the embedder says otherwise
};

struct WasiConfig {
  std::vector<std::string> args; // argv, including argv[0]
  std::vector<std::pair<std::string, std::string>> env; // exactly these
  std::vector<WasiPreopen> preopens; // guest fds 3, 4, ... in this order
  // Host fds that become guest fds 0, 1, 2. They are duplicated, so the
  // guest closing its stdout does not close the host's. -1: not provided
  // (the guest fd is absent and using it fails with `badf`).
  int stdin_fd = 0;
  int stdout_fd = 1;
  int stderr_fd = 2;
  // Most bytes the guest may write to its stdout / stderr over its whole
  // run (0: no limit). A write that would pass the limit is cut short at
  // it; once there, fd_write and fd_pwrite on that fd fail with `fbig`
  // (22), and fd_allocate / fd_filestat_set_size are not granted on it.
  // WasiContext::OutputLimitReached tells the embedder.
  uint64_t stdout_limit = 0;
  uint64_t stderr_limit = 0;
  // When set, the first write refused past stdout_limit ends the guest
  // with a TrapKind::Host trap "stdout limit of N bytes exceeded" instead
  // of returning `fbig` (a guest that ignores write errors cannot spin).
  bool stdout_limit_ends_guest = false;
  // Most guest fds open at once (each holds one host fd); beyond it
  // path_open fails with `nfile`.
  uint32_t max_fds = 1024;
  // Testing knob: force the portable path walk instead of openat2.
  bool force_path_walk = false;
  // In-memory stdio instead of host fds (weft serve: no syscall per read or
  // write, nothing to empty between requests): stdin_fd / stdout_fd /
  // stderr_fd are ignored; fd 0 reads the bytes the embedder put in
  // WasiContext::MemoryStdio(0) and then sees end of file; fds 1 and 2
  // append to MemoryStdio(1) / MemoryStdio(2). They behave like pipes
  // (filetype unknown, no seek, always ready in poll_oneoff). An output
  // without a limit is capped at kDefaultMemoryOutputLimit, so a guest
  // cannot grow host memory without bound.
  bool memory_stdio = false;
};

inline constexpr uint64_t kDefaultMemoryOutputLimit = 64ull << 20;

// The state of one WASI guest: its fd table, args and env.
class WasiContext {
public:
  // Opens the preopened directories and duplicates the stdio fds. Fails
  // when a preopen cannot be opened as a directory.
  static Result<std::unique_ptr<WasiContext>> Create(const WasiConfig& config);
  ~WasiContext();
  WasiContext(const WasiContext&) = delete;
  WasiContext& operator=(const WasiContext&) = delete;

  // Whether the guest tried to write past stdout_limit (stdio_fd 1) or
  // stderr_limit (stdio_fd 2).
  bool OutputLimitReached(int stdio_fd) const;

  // The buffer behind in-memory stdio fd 0, 1 or 2 (WasiConfig::
  // memory_stdio), null otherwise. The embedder fills 0 before the guest
  // runs and reads 1 and 2 after it.
  std::string* MemoryStdio(int stdio_fd);

  // Back to the state Create left: the same args, no environment, the
  // stdio and preopened fds as configured (the fd table is rebuilt only if
  // the guest changed it: opened, closed, renumbered or used any fd but
  // stdio), output limits and in-memory stdio emptied. Used to run one
  // guest after another in a reused instance (weft serve). Fails when a
  // preopen can no longer be opened.
  Status Reset();

  struct Impl;
  Impl& impl() { return *impl_; }

private:
  WasiContext();
  std::unique_ptr<Impl> impl_;
};

// Resolves one import: a host function bound to `ctx` when it is a
// wasi_snapshot_preview1 function, nullopt when the import belongs to
// another module. Errors: "unknown import wasi_snapshot_preview1.X", or
// "incompatible import type for wasi_snapshot_preview1.X: expected ...".
Result<std::optional<Extern>> ResolveWasiImport(Store& store, WasiContext& ctx,
                                                const Module& module,
                                                const Import& import);

// The Externs for every import of `module`, in import order, for a module
// that imports only from wasi_snapshot_preview1 (any other import is an
// "unknown import M.N" error). Embedders with more import modules call
// ResolveWasiImport per import instead.
Result<std::vector<Extern>> BindWasiImports(Store& store, WasiContext& ctx,
                                            const Module& module);

// The exit-code convention: proc_exit(code) ends the guest with
// Trap::ExitWith(code) (TrapKind::Exit). For the result of calling
// `_start`, returns the process status: 0 when it returned, the exit code
// when it called proc_exit (codes above 255 become 255, so a failure never
// reads as success), and nullopt when it trapped for real (the caller
// reports the trap and picks its own status).
std::optional<int> WasiExitStatus(const CallResult& result);

} // namespace weft
