// The WebAssembly text format for `weft run` and `weft validate`, through
// wabt's library (Debian's `wabt` package): parse, check, and write the
// binary the rest of weft consumes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace weft::cli {

// Whether a module file holds the text format: its name ends in ".wat", or
// its first byte is not NUL (every binary module starts with "\0asm"; a file
// that starts with NUL but is not a valid binary gets the binary decoder's
// error, which says more than a text parser could). An empty file counts as
// binary.
bool IsWatFile(const std::string& path, std::span<const uint8_t> bytes);

struct WatResult {
  std::vector<uint8_t> wasm; // the binary module, when errors is empty
  // One line per problem: "<path>:<line>:<column>: error: <message>".
  std::vector<std::string> errors;
};

// Parses and validates text-format module `text` (read from `path`, which
// is used only in messages) and encodes it as a binary module. The proposals
// weft implements are enabled (sign extension, non-trapping float-to-int,
// multi-value, bulk memory, reference types, SIMD).
WatResult WatToWasm(const std::string& path, std::span<const uint8_t> text);

} // namespace weft::cli
