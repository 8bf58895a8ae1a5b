// Lane views of a V128 for the SIMD semantics in simd.h.
//
// The SIMD instructions are written with GCC/Clang vector extensions: a V128
// is reinterpreted as a vector of lanes (u8x16, i32x4, f64x2, ...), the
// operation is one vector expression, and the result goes back to a V128.
// The compiler lowers these to SSE2 on x86-64 and to plain code elsewhere.
// Lane i of a vector is lane i of the Wasm value: both are little-endian.
//
// Rules that keep the expressions exact:
// - wrapping arithmetic is done on unsigned lanes (signed overflow is UB);
// - comparisons yield a signed lane mask, all ones for true, zero for false;
// - `mask ? x : y` selects lane-wise when mask, x and y are vectors.
#pragma once

#include <cstdint>
#include <cstring>

#include "wasm/types.h"

namespace weft::simd {

typedef uint8_t u8x16 __attribute__((vector_size(16)));
typedef int8_t i8x16 __attribute__((vector_size(16)));
typedef uint16_t u16x8 __attribute__((vector_size(16)));
typedef int16_t i16x8 __attribute__((vector_size(16)));
typedef uint32_t u32x4 __attribute__((vector_size(16)));
typedef int32_t i32x4 __attribute__((vector_size(16)));
typedef uint64_t u64x2 __attribute__((vector_size(16)));
typedef int64_t i64x2 __attribute__((vector_size(16)));
typedef float f32x4 __attribute__((vector_size(16)));
typedef double f64x2 __attribute__((vector_size(16)));

// Half-width vectors: the low or high 8 bytes, for widening operations.
typedef uint8_t u8x8 __attribute__((vector_size(8)));
typedef int8_t i8x8 __attribute__((vector_size(8)));
typedef uint16_t u16x4 __attribute__((vector_size(8)));
typedef int16_t i16x4 __attribute__((vector_size(8)));
typedef uint32_t u32x2 __attribute__((vector_size(8)));
typedef int32_t i32x2 __attribute__((vector_size(8)));
typedef float f32x2 __attribute__((vector_size(8)));

// V128 <-> lane vector. memcpy, because V128 is byte-aligned.
template <typename T> inline T As(const V128& v) {
  static_assert(sizeof(T) == 16);
  T r;
  std::memcpy(&r, v.bytes, 16);
  return r;
}
template <typename T> inline V128 ToV128(const T& x) {
  static_assert(sizeof(T) == 16);
  V128 r;
  std::memcpy(r.bytes, &x, 16);
  return r;
}

// The low (high = false) or high half of v as a half-width vector.
template <typename H> inline H Half(const V128& v, bool high) {
  static_assert(sizeof(H) == 8);
  H r;
  std::memcpy(&r, v.bytes + (high ? 8 : 0), 8);
  return r;
}

// Two half-width vectors side by side: lo in bytes 0..7, hi in 8..15.
template <typename H> inline V128 Concat(const H& lo, const H& hi) {
  static_assert(sizeof(H) == 8);
  V128 r;
  std::memcpy(r.bytes, &lo, 8);
  std::memcpy(r.bytes + 8, &hi, 8);
  return r;
}

// Short names for the views the instructions use most.
inline u8x16 U8(const V128& v) { return As<u8x16>(v); }
inline i8x16 S8(const V128& v) { return As<i8x16>(v); }
inline u16x8 U16(const V128& v) { return As<u16x8>(v); }
inline i16x8 S16(const V128& v) { return As<i16x8>(v); }
inline u32x4 U32(const V128& v) { return As<u32x4>(v); }
inline i32x4 S32(const V128& v) { return As<i32x4>(v); }
inline u64x2 U64(const V128& v) { return As<u64x2>(v); }
inline i64x2 S64(const V128& v) { return As<i64x2>(v); }
inline f32x4 F32(const V128& v) { return As<f32x4>(v); }
inline f64x2 F64(const V128& v) { return As<f64x2>(v); }

// Every lane set to e.
template <typename T, typename E> inline T Broadcast(E e) { return T{} + e; }

// Lane-wise minimum and maximum of integer vectors.
template <typename T> inline T VMin(T x, T y) { return x < y ? x : y; }
template <typename T> inline T VMax(T x, T y) { return x < y ? y : x; }

// True (1) when every lane of the integer vector x is non-zero.
template <typename T> inline uint32_t AllLanesNonZero(T x) {
  u64x2 zero = (u64x2)(x == 0);
  return (zero[0] | zero[1]) == 0;
}

// Bit i of the result is the sign bit of lane i of the signed vector x.
template <typename T> inline uint32_t SignBits(T x) {
  constexpr unsigned kLanes = 16 / sizeof(x[0]);
  uint32_t r = 0;
  for (unsigned i = 0; i < kLanes; ++i)
    r |= static_cast<uint32_t>(x[i] < 0) << i;
  return r;
}

} // namespace weft::simd
