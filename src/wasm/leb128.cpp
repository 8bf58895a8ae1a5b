#include "wasm/leb128.h"

namespace weft {

LebError ReadUleb(const uint8_t** p, const uint8_t* end, unsigned bits,
                  uint64_t* out) {
  const unsigned max_bytes = (bits + 6) / 7;
  const uint8_t* q = *p;
  uint64_t result = 0;
  for (unsigned i = 0;; ++i) {
    if (q >= end) return LebError::Truncated;
    if (i >= max_bytes) return LebError::TooLong;
    uint8_t byte = *q++;
    unsigned shift = i * 7;
    if (i == max_bytes - 1) {
      // The last allowed byte: bits beyond `bits` must be zero.
      unsigned used = bits - shift; // payload bits that still fit
      if (byte & 0x80) return LebError::TooLong;
      if (used < 7 && (byte >> used) != 0) return LebError::TooLarge;
    }
    result |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if (!(byte & 0x80)) break;
  }
  *p = q;
  *out = result;
  return LebError::None;
}

LebError ReadSleb(const uint8_t** p, const uint8_t* end, unsigned bits,
                  int64_t* out) {
  const unsigned max_bytes = (bits + 6) / 7;
  const uint8_t* q = *p;
  uint64_t result = 0;
  unsigned shift = 0;
  uint8_t byte = 0;
  for (unsigned i = 0;; ++i) {
    if (q >= end) return LebError::Truncated;
    if (i >= max_bytes) return LebError::TooLong;
    byte = *q++;
    if (i == max_bytes - 1) {
      if (byte & 0x80) return LebError::TooLong;
      // Remaining payload bits must all equal the sign bit.
      unsigned used = bits - shift;
      if (used < 7) {
        int8_t rest = static_cast<int8_t>(byte << 1) >> (used + 1);
        // rest holds the bits at and above `used` (sign-extended from bit 6)
        if (rest != 0 && rest != -1) return LebError::TooLarge;
        bool sign = (byte >> (used - 1)) & 1;
        if ((rest == -1) != sign) return LebError::TooLarge;
      }
    }
    result |= static_cast<uint64_t>(byte & 0x7F) << shift;
    shift += 7;
    if (!(byte & 0x80)) break;
  }
  if (shift < 64 && (byte & 0x40)) result |= ~uint64_t{0} << shift;
  *p = q;
  *out = static_cast<int64_t>(result);
  return LebError::None;
}

} // namespace weft
