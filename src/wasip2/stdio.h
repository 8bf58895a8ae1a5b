// The stdio behind wasi:cli/stdin, stdout and stderr: a host fd, an
// in-memory buffer (WasiConfig::memory_stdio), or (output) a callback.
// Every get-stdout stream shares one sink, so the output limit is the
// guest's whole run, as in preview1.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "wasi/sandbox_path.h"

namespace weft::wasip2 {

struct StdioSource {
  wasi::UniqueFd fd;    // invalid: no stdin (reads see end of input)
  bool regular = false; // a file: always ready, read(2) never blocks
  bool memory = false;  // read `data` from `pos`, then end of input
  std::string data;
  size_t pos = 0;
};

struct StdioSink {
  enum class Kind : uint8_t { kNone, kFd, kMemory, kCallback };
  Kind kind = Kind::kNone; // kNone: every write fails as closed
  wasi::UniqueFd fd;
  std::string data; // kMemory
  std::function<bool(std::string_view)> callback;
  uint64_t limit = 0; // 0: none
  uint64_t left = 0;
  bool reached = false;
  bool ends_guest = false; // a write refused at the limit traps
};

} // namespace weft::wasip2
