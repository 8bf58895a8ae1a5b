// The WASI 0.2 host: wasi:io, wasi:clocks, wasi:random, wasi:cli,
// wasi:filesystem and (denied) wasi:sockets for components.
//
// Usage:
//   wasip2::WasiP2Options opts;
//   opts.config.args = {"prog", "x"};                   // src/wasi's config
//   opts.config.preopens = {{"/srv/data", "/data", true}};
//   auto ctx = wasip2::WasiP2Context::Create(opts);      // Result<shared_ptr>
//   HostLinker linker;
//   wasip2::AddWasiP2(linker);                           // WIT + functions
//   HostData data;
//   data.Set(*ctx);                                      // per instance
//   ... instantiate the component with `linker` and `data` ...
//   (*ctx)->Reset();                                     // reuse (serve)
//
// Deny by default, as preview1: a guest sees exactly the args, env, cwd,
// preopens and stdio its options give. Paths are resolved beneath their
// directory by src/wasi's SandboxResolver (sandbox_path.h), the same code
// preview1 uses; a path that would leave its preopen (absolute, `..`
// above it, a symlink pointing out) fails with `not-permitted`, as does an
// operation a read-only preopen does not allow. wasi:sockets links but
// every operation fails with `access-denied` (no grant exists yet).
//
// Limits, so a guest cannot make the host allocate or block without bound:
// max_resources host objects at once (one more traps), max_fds
// descriptors and directory streams (one more: insufficient-memory),
// max_random_bytes per random call (more traps), max_io_chunk per read
// (a shorter read). Blocking calls (poll, block, blocking-read, writes to
// a full pipe) end with an "interrupted" trap once the Store is
// interrupted. A dropped or foreign rep traps ("no live output-stream with
// rep N"), never crashes. wasi:cli/exit maps ok -> 0, err -> 1;
// exit-with-code(n) -> n (Trap::ExitWith). Stdio is never a terminal:
// get-terminal-* return none.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "component/host.h"
#include "wasi/wasi.h"
#include "wasm/result.h"

namespace weft::wasip2 {

// What a component instance may see. `config` is preview1's: args, env,
// preopens (with read_only), stdio fds (or memory_stdio), stdout/stderr
// limits, max_fds (descriptors and directory streams open at once) and
// force_path_walk.
struct WasiP2Options {
  WasiConfig config;
  // wasi:cli/environment.initial-cwd (none: not given).
  std::optional<std::string> initial_cwd;
  // When set, stdout / stderr bytes go to the callback instead of the fd or
  // memory buffer. Returning false fails the write (the stream reports an
  // error). Output limits apply before the callback.
  std::function<bool(std::string_view)> stdout_callback;
  std::function<bool(std::string_view)> stderr_callback;
  // Host objects (streams, pollables, descriptors, errors, ...) one guest
  // may hold at once; creating one more fails the call.
  uint32_t max_resources = 4096;
  // The largest get-random-bytes / get-insecure-random-bytes request; a
  // larger one traps instead of allocating it.
  uint64_t max_random_bytes = 1u << 20;
  // The most bytes one read, skip, splice or descriptor.read moves (a
  // shorter result, which the API allows); also what check-write grants.
  uint32_t max_io_chunk = 1u << 20;
};

// Loads the WASI 0.2 WIT into `linker` and defines every function and
// resource drop of wasi:io, clocks, random, cli, filesystem and sockets.
// The functions find their state as HostData::Get<WasiP2Context>(); a
// call on an instance without one traps.
Result<bool> AddWasiP2(component::HostLinker& linker);

} // namespace weft::wasip2
