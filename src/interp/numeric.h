// Exact WebAssembly numeric semantics for the scalar operators that C++ does
// not give directly: float min/max/nearest, truncation range checks,
// saturating truncation, rotations, bit counts.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace weft::interp {

template <typename To, typename From> inline To Bits(From v) {
  static_assert(sizeof(To) == sizeof(From));
  To r;
  std::memcpy(&r, &v, sizeof(To));
  return r;
}

// min/max: NaN if either operand is NaN; -0 < +0.
template <typename F> inline F WasmMin(F a, F b) {
  if (a != a || b != b) return a + b; // a quiet NaN derived from the input
  if (a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}
template <typename F> inline F WasmMax(F a, F b) {
  if (a != a || b != b) return a + b;
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

// Rounding. libm passes a signalling NaN through unchanged; wasm wants it
// quieted, which x + x does.
template <typename F> inline F WasmCeil(F x) {
  return x != x ? x + x : std::ceil(x);
}
template <typename F> inline F WasmFloor(F x) {
  return x != x ? x + x : std::floor(x);
}
template <typename F> inline F WasmTrunc(F x) {
  return x != x ? x + x : std::trunc(x);
}
// Round to nearest, ties to even (the default rounding mode).
template <typename F> inline F WasmNearest(F x) {
  return x != x ? x + x : std::nearbyint(x);
}

// Whether trunc(x) fits in integer type I (x is not NaN).
template <typename I, typename F> inline bool TruncInRange(F x) {
  if constexpr (std::is_same_v<I, int32_t>) {
    if constexpr (std::is_same_v<F, float>)
      return x >= -2147483648.0f && x < 2147483648.0f;
    else
      return x > -2147483649.0 && x < 2147483648.0;
  } else if constexpr (std::is_same_v<I, uint32_t>) {
    return x > F(-1) && x < F(4294967296.0);
  } else if constexpr (std::is_same_v<I, int64_t>) {
    return x >= F(-9223372036854775808.0) && x < F(9223372036854775808.0);
  } else {
    return x > F(-1) && x < F(18446744073709551616.0);
  }
}

template <typename I, typename F> inline I TruncSat(F x) {
  if (x != x) return 0;
  if (TruncInRange<I>(x)) return static_cast<I>(x);
  return x < F(0) ? std::numeric_limits<I>::min()
                  : std::numeric_limits<I>::max();
}

inline uint32_t Rotl32(uint32_t a, uint32_t b) {
  return std::rotl(a, static_cast<int>(b & 31));
}
inline uint32_t Rotr32(uint32_t a, uint32_t b) {
  return std::rotr(a, static_cast<int>(b & 31));
}
inline uint64_t Rotl64(uint64_t a, uint64_t b) {
  return std::rotl(a, static_cast<int>(b & 63));
}
inline uint64_t Rotr64(uint64_t a, uint64_t b) {
  return std::rotr(a, static_cast<int>(b & 63));
}

inline uint32_t F32Copysign(uint32_t a, uint32_t b) {
  return (a & 0x7FFFFFFFu) | (b & 0x80000000u);
}
inline uint64_t F64Copysign(uint64_t a, uint64_t b) {
  return (a & 0x7FFFFFFFFFFFFFFFull) | (b & 0x8000000000000000ull);
}

} // namespace weft::interp
