// Binary decoder: bytes -> Module. Enforces everything the spec calls
// "malformed" (encoding rules); the validator checks the rest.
#pragma once

#include <cstdint>
#include <span>

#include "wasm/module.h"
#include "wasm/result.h"

namespace weft {

// Sanity limits so a hostile module cannot make the decoder allocate without
// bound. Counts above these are rejected as malformed before any allocation
// proportional to them. Every count is also checked against the bytes that
// remain (each entry needs at least one byte).
struct DecodeLimits {
  uint32_t max_locals = 50000; // per function, like V8 and wasmtime
  uint32_t max_functions = 1000000;
  uint32_t max_types = 1000000;
  uint32_t max_table_init = 10000000;
  uint32_t max_br_table = 65520;
  uint64_t max_module_bytes = 1ull << 30; // 1 GiB
};

Result<Module> Decode(std::span<const uint8_t> bytes,
                      const DecodeLimits& limits = {});

} // namespace weft
