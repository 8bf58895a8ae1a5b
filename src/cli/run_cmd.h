// `weft validate` and `weft run`: the commands that take one module file.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wasi/wasi.h"

namespace weft::cli {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1; // invalid module, link error, trap, ...
inline constexpr int kExitUsage = 2; // bad command line
// A trap in a WASI program run through _start (wasmtime's convention, the
// status of a process killed by SIGABRT).
inline constexpr int kExitTrap = 134;

// Decodes and validates `path` (binary or text format, see wat.h). Prints
// nothing and returns 0 when valid; otherwise prints
// "<path>: error: <what> at offset <n>" (binary) or
// "<path>:<line>:<column>: error: <what>" (text) to stderr, returns 1.
int ValidateCommand(const std::string& path);

struct RunOptions {
  std::string module_path;
  std::string invoke;            // export to call; empty: "_start"
  std::vector<std::string> args; // _start: argv[1..]; --invoke: the values
  // WASI: exactly these env vars and preopened directories.
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<WasiPreopen> preopens;
  std::optional<uint64_t> max_memory_bytes;
  std::optional<std::chrono::nanoseconds> timeout;
  std::string timeout_text;  // as the user wrote it, for the message
  std::string tier = "auto"; // "interp", "compiled" or "auto" (tier.h)
};

// Compiles the module, binds its wasi_snapshot_preview1 imports (any other
// import is a link error), instantiates it and calls the export.
//  - _start (no --invoke): the guest's argv is the module path then
//    `args`; returns the guest's exit status (0, or its proc_exit code); a
//    trap prints "error: trap: <reason>" and returns kExitTrap.
//  - --invoke NAME: `args` are parsed by the export's parameter types, the
//    results are printed one per line; a trap prints
//    "error: trap: <reason>" and returns kExitError. A proc_exit still
//    becomes the exit status.
// A timeout adds " (timeout <text> expired)" to the "interrupted" reason.
int RunCommand(const RunOptions& options);

} // namespace weft::cli
