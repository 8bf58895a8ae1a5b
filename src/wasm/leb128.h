// LEB128 readers with the spec's exact rules: at most ceil(N/7) bytes, and
// unused bits of the last byte must be zero (unsigned) or a sign extension
// (signed). Each returns false on a malformed or truncated encoding.
#pragma once

#include <cstddef>
#include <cstdint>

namespace weft {

enum class LebError : uint8_t {
  None,
  Truncated, // ran past `end`
  TooLong,   // more bytes than N bits allow ("integer representation too long")
  TooLarge,  // unused bits set ("integer too large")
};

// Reads an unsigned LEB128 of at most `bits` bits from [*p, end).
// On success advances *p and stores the value.
LebError ReadUleb(const uint8_t** p, const uint8_t* end, unsigned bits,
                  uint64_t* out);
// Reads a signed LEB128 of at most `bits` bits (32, 33 or 64).
LebError ReadSleb(const uint8_t** p, const uint8_t* end, unsigned bits,
                  int64_t* out);

} // namespace weft
