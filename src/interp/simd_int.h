// Integer SIMD instructions: i8x16, i16x8, i32x4 and i64x2 lane arithmetic,
// comparisons, shifts, saturation, widening and narrowing. Part of simd.h;
// see simd_lanes.h for the vector idioms.
#pragma once

#include <cstdint>

#include "interp/simd_lanes.h"

namespace weft::simd {

// --- shared shapes -----------------------------------------------------------
// S and U are the signed and unsigned vector of one lane width.

template <typename S, typename U> inline V128 IntAbs(V128 a) {
  U neg = (U)(As<S>(a) < 0);
  U x = As<U>(a);
  return ToV128((x ^ neg) - neg); // two's complement negate where negative
}

// Saturating signed add/sub without widening: overflow happened when the
// operands agree in sign (add) or differ (sub) and the result's sign differs
// from the first operand's; then the answer is that operand's bound.
template <typename S, typename U> inline V128 AddSatS(V128 a, V128 b) {
  U x = As<U>(a), y = As<U>(b), s = x + y;
  S overflow = (S)((s ^ x) & (s ^ y)) < 0;
  constexpr unsigned kBits = sizeof(x[0]) * 8;
  S bound = ((S)x >> (kBits - 1)) ^ (S)(~U{} >> 1); // x<0 ? MIN : MAX
  return ToV128(overflow ? bound : (S)s);
}
template <typename S, typename U> inline V128 SubSatS(V128 a, V128 b) {
  U x = As<U>(a), y = As<U>(b), d = x - y;
  S overflow = (S)((x ^ y) & (x ^ d)) < 0;
  constexpr unsigned kBits = sizeof(x[0]) * 8;
  S bound = ((S)x >> (kBits - 1)) ^ (S)(~U{} >> 1);
  return ToV128(overflow ? bound : (S)d);
}
template <typename U> inline V128 AddSatU(V128 a, V128 b) {
  U x = As<U>(a), s = x + As<U>(b);
  return ToV128(s | (U)(s < x)); // wrapped around: all ones
}
template <typename U> inline V128 SubSatU(V128 a, V128 b) {
  U x = As<U>(a), d = x - As<U>(b);
  return ToV128(d & (U)(d <= x)); // wrapped around: zero
}

// (x + y + 1) / 2 without overflow.
template <typename U> inline V128 AvgrU(V128 a, V128 b) {
  U x = As<U>(a), y = As<U>(b);
  return ToV128((x | y) - ((x ^ y) >> 1));
}

// Wide lanes clamped to the narrow lane range, then truncated: lanes of a
// fill the low half of the result, lanes of b the high half.
template <typename W, typename N, typename WLane>
inline V128 Narrow(V128 a, V128 b, WLane lo, WLane hi) {
  W vlo = Broadcast<W>(lo), vhi = Broadcast<W>(hi);
  W x = VMin(VMax(As<W>(a), vlo), vhi), y = VMin(VMax(As<W>(b), vlo), vhi);
  return Concat(__builtin_convertvector(x, N), __builtin_convertvector(y, N));
}

// The low or high half of a, each lane extended to twice its width.
template <typename H, typename W> inline V128 Extend(V128 a, bool high) {
  return ToV128(__builtin_convertvector(Half<H>(a, high), W));
}
// Extended halves multiplied; the products always fit the wide lane.
template <typename H, typename W>
inline V128 Extmul(V128 a, V128 b, bool high) {
  return ToV128(__builtin_convertvector(Half<H>(a, high), W) *
                __builtin_convertvector(Half<H>(b, high), W));
}

// --- i8x16 ---------------------------------------------------------------

inline V128 I8x16Eq(V128 a, V128 b) { return ToV128(U8(a) == U8(b)); }
inline V128 I8x16Ne(V128 a, V128 b) { return ToV128(U8(a) != U8(b)); }
inline V128 I8x16LtS(V128 a, V128 b) { return ToV128(S8(a) < S8(b)); }
inline V128 I8x16LtU(V128 a, V128 b) { return ToV128(U8(a) < U8(b)); }
inline V128 I8x16GtS(V128 a, V128 b) { return ToV128(S8(a) > S8(b)); }
inline V128 I8x16GtU(V128 a, V128 b) { return ToV128(U8(a) > U8(b)); }
inline V128 I8x16LeS(V128 a, V128 b) { return ToV128(S8(a) <= S8(b)); }
inline V128 I8x16LeU(V128 a, V128 b) { return ToV128(U8(a) <= U8(b)); }
inline V128 I8x16GeS(V128 a, V128 b) { return ToV128(S8(a) >= S8(b)); }
inline V128 I8x16GeU(V128 a, V128 b) { return ToV128(U8(a) >= U8(b)); }

inline V128 I8x16Abs(V128 a) { return IntAbs<i8x16, u8x16>(a); }
inline V128 I8x16Neg(V128 a) { return ToV128(-U8(a)); }
inline V128 I8x16Popcnt(V128 a) {
  u8x16 x = U8(a);
  x = x - ((x >> 1) & 0x55);
  x = (x & 0x33) + ((x >> 2) & 0x33);
  return ToV128((x + (x >> 4)) & 0x0F);
}
inline uint32_t I8x16AllTrue(V128 a) { return AllLanesNonZero(U8(a)); }
inline uint32_t I8x16Bitmask(V128 a) { return SignBits(S8(a)); }
inline V128 I8x16NarrowI16x8S(V128 a, V128 b) {
  return Narrow<i16x8, i8x8, int16_t>(a, b, -128, 127);
}
inline V128 I8x16NarrowI16x8U(V128 a, V128 b) {
  return Narrow<i16x8, u8x8, int16_t>(a, b, 0, 255);
}

inline V128 I8x16Shl(V128 a, uint32_t n) { return ToV128(U8(a) << (n & 7)); }
inline V128 I8x16ShrS(V128 a, uint32_t n) { return ToV128(S8(a) >> (n & 7)); }
inline V128 I8x16ShrU(V128 a, uint32_t n) { return ToV128(U8(a) >> (n & 7)); }

inline V128 I8x16Add(V128 a, V128 b) { return ToV128(U8(a) + U8(b)); }
inline V128 I8x16AddSatS(V128 a, V128 b) { return AddSatS<i8x16, u8x16>(a, b); }
inline V128 I8x16AddSatU(V128 a, V128 b) { return AddSatU<u8x16>(a, b); }
inline V128 I8x16Sub(V128 a, V128 b) { return ToV128(U8(a) - U8(b)); }
inline V128 I8x16SubSatS(V128 a, V128 b) { return SubSatS<i8x16, u8x16>(a, b); }
inline V128 I8x16SubSatU(V128 a, V128 b) { return SubSatU<u8x16>(a, b); }
inline V128 I8x16MinS(V128 a, V128 b) { return ToV128(VMin(S8(a), S8(b))); }
inline V128 I8x16MinU(V128 a, V128 b) { return ToV128(VMin(U8(a), U8(b))); }
inline V128 I8x16MaxS(V128 a, V128 b) { return ToV128(VMax(S8(a), S8(b))); }
inline V128 I8x16MaxU(V128 a, V128 b) { return ToV128(VMax(U8(a), U8(b))); }
inline V128 I8x16AvgrU(V128 a, V128 b) { return AvgrU<u8x16>(a, b); }

// --- i16x8 ---------------------------------------------------------------

inline V128 I16x8Eq(V128 a, V128 b) { return ToV128(U16(a) == U16(b)); }
inline V128 I16x8Ne(V128 a, V128 b) { return ToV128(U16(a) != U16(b)); }
inline V128 I16x8LtS(V128 a, V128 b) { return ToV128(S16(a) < S16(b)); }
inline V128 I16x8LtU(V128 a, V128 b) { return ToV128(U16(a) < U16(b)); }
inline V128 I16x8GtS(V128 a, V128 b) { return ToV128(S16(a) > S16(b)); }
inline V128 I16x8GtU(V128 a, V128 b) { return ToV128(U16(a) > U16(b)); }
inline V128 I16x8LeS(V128 a, V128 b) { return ToV128(S16(a) <= S16(b)); }
inline V128 I16x8LeU(V128 a, V128 b) { return ToV128(U16(a) <= U16(b)); }
inline V128 I16x8GeS(V128 a, V128 b) { return ToV128(S16(a) >= S16(b)); }
inline V128 I16x8GeU(V128 a, V128 b) { return ToV128(U16(a) >= U16(b)); }

// Pairs of adjacent lanes, extended and added: a wide lane holds the pair,
// the low narrow lane in its low half.
inline V128 I16x8ExtaddPairwiseI8x16S(V128 a) {
  i16x8 x = S16(a);
  return ToV128(((x << 8) >> 8) + (x >> 8));
}
inline V128 I16x8ExtaddPairwiseI8x16U(V128 a) {
  u16x8 x = U16(a);
  return ToV128((x & 0xFF) + (x >> 8));
}
inline V128 I32x4ExtaddPairwiseI16x8S(V128 a) {
  i32x4 x = S32(a);
  return ToV128(((x << 16) >> 16) + (x >> 16));
}
inline V128 I32x4ExtaddPairwiseI16x8U(V128 a) {
  u32x4 x = U32(a);
  return ToV128((x & 0xFFFF) + (x >> 16));
}

inline V128 I16x8Abs(V128 a) { return IntAbs<i16x8, u16x8>(a); }
inline V128 I16x8Neg(V128 a) { return ToV128(-U16(a)); }
// Rounding Q15 multiply: (x * y + 2^14) >> 15, saturated. Only
// -32768 * -32768 leaves the 16-bit range. (g++ turns this loop into
// pmulhw/pmullw; the vector-extension form is twice as long.)
inline V128 I16x8Q15mulrSatS(V128 a, V128 b) {
  i16x8 x = S16(a), y = S16(b), r;
  for (unsigned i = 0; i < 8; ++i) {
    int32_t p = (int32_t{x[i]} * y[i] + 0x4000) >> 15;
    r[i] = static_cast<int16_t>(p > 32767 ? 32767 : p);
  }
  return ToV128(r);
}
inline uint32_t I16x8AllTrue(V128 a) { return AllLanesNonZero(U16(a)); }
inline uint32_t I16x8Bitmask(V128 a) { return SignBits(S16(a)); }
inline V128 I16x8NarrowI32x4S(V128 a, V128 b) {
  return Narrow<i32x4, i16x4, int32_t>(a, b, -32768, 32767);
}
inline V128 I16x8NarrowI32x4U(V128 a, V128 b) {
  return Narrow<i32x4, u16x4, int32_t>(a, b, 0, 65535);
}
inline V128 I16x8ExtendLowI8x16S(V128 a) {
  return Extend<i8x8, i16x8>(a, false);
}
inline V128 I16x8ExtendHighI8x16S(V128 a) {
  return Extend<i8x8, i16x8>(a, true);
}
inline V128 I16x8ExtendLowI8x16U(V128 a) {
  return Extend<u8x8, u16x8>(a, false);
}
inline V128 I16x8ExtendHighI8x16U(V128 a) {
  return Extend<u8x8, u16x8>(a, true);
}

inline V128 I16x8Shl(V128 a, uint32_t n) { return ToV128(U16(a) << (n & 15)); }
inline V128 I16x8ShrS(V128 a, uint32_t n) { return ToV128(S16(a) >> (n & 15)); }
inline V128 I16x8ShrU(V128 a, uint32_t n) { return ToV128(U16(a) >> (n & 15)); }

inline V128 I16x8Add(V128 a, V128 b) { return ToV128(U16(a) + U16(b)); }
inline V128 I16x8AddSatS(V128 a, V128 b) { return AddSatS<i16x8, u16x8>(a, b); }
inline V128 I16x8AddSatU(V128 a, V128 b) { return AddSatU<u16x8>(a, b); }
inline V128 I16x8Sub(V128 a, V128 b) { return ToV128(U16(a) - U16(b)); }
inline V128 I16x8SubSatS(V128 a, V128 b) { return SubSatS<i16x8, u16x8>(a, b); }
inline V128 I16x8SubSatU(V128 a, V128 b) { return SubSatU<u16x8>(a, b); }
inline V128 I16x8Mul(V128 a, V128 b) { return ToV128(U16(a) * U16(b)); }
inline V128 I16x8MinS(V128 a, V128 b) { return ToV128(VMin(S16(a), S16(b))); }
inline V128 I16x8MinU(V128 a, V128 b) { return ToV128(VMin(U16(a), U16(b))); }
inline V128 I16x8MaxS(V128 a, V128 b) { return ToV128(VMax(S16(a), S16(b))); }
inline V128 I16x8MaxU(V128 a, V128 b) { return ToV128(VMax(U16(a), U16(b))); }
inline V128 I16x8AvgrU(V128 a, V128 b) { return AvgrU<u16x8>(a, b); }
inline V128 I16x8ExtmulLowI8x16S(V128 a, V128 b) {
  return Extmul<i8x8, i16x8>(a, b, false);
}
inline V128 I16x8ExtmulHighI8x16S(V128 a, V128 b) {
  return Extmul<i8x8, i16x8>(a, b, true);
}
inline V128 I16x8ExtmulLowI8x16U(V128 a, V128 b) {
  return Extmul<u8x8, u16x8>(a, b, false);
}
inline V128 I16x8ExtmulHighI8x16U(V128 a, V128 b) {
  return Extmul<u8x8, u16x8>(a, b, true);
}

// --- i32x4 ---------------------------------------------------------------

inline V128 I32x4Eq(V128 a, V128 b) { return ToV128(U32(a) == U32(b)); }
inline V128 I32x4Ne(V128 a, V128 b) { return ToV128(U32(a) != U32(b)); }
inline V128 I32x4LtS(V128 a, V128 b) { return ToV128(S32(a) < S32(b)); }
inline V128 I32x4LtU(V128 a, V128 b) { return ToV128(U32(a) < U32(b)); }
inline V128 I32x4GtS(V128 a, V128 b) { return ToV128(S32(a) > S32(b)); }
inline V128 I32x4GtU(V128 a, V128 b) { return ToV128(U32(a) > U32(b)); }
inline V128 I32x4LeS(V128 a, V128 b) { return ToV128(S32(a) <= S32(b)); }
inline V128 I32x4LeU(V128 a, V128 b) { return ToV128(U32(a) <= U32(b)); }
inline V128 I32x4GeS(V128 a, V128 b) { return ToV128(S32(a) >= S32(b)); }
inline V128 I32x4GeU(V128 a, V128 b) { return ToV128(U32(a) >= U32(b)); }

inline V128 I32x4Abs(V128 a) { return IntAbs<i32x4, u32x4>(a); }
inline V128 I32x4Neg(V128 a) { return ToV128(-U32(a)); }
inline uint32_t I32x4AllTrue(V128 a) { return AllLanesNonZero(U32(a)); }
inline uint32_t I32x4Bitmask(V128 a) { return SignBits(S32(a)); }
inline V128 I32x4ExtendLowI16x8S(V128 a) {
  return Extend<i16x4, i32x4>(a, false);
}
inline V128 I32x4ExtendHighI16x8S(V128 a) {
  return Extend<i16x4, i32x4>(a, true);
}
inline V128 I32x4ExtendLowI16x8U(V128 a) {
  return Extend<u16x4, u32x4>(a, false);
}
inline V128 I32x4ExtendHighI16x8U(V128 a) {
  return Extend<u16x4, u32x4>(a, true);
}

inline V128 I32x4Shl(V128 a, uint32_t n) { return ToV128(U32(a) << (n & 31)); }
inline V128 I32x4ShrS(V128 a, uint32_t n) { return ToV128(S32(a) >> (n & 31)); }
inline V128 I32x4ShrU(V128 a, uint32_t n) { return ToV128(U32(a) >> (n & 31)); }

inline V128 I32x4Add(V128 a, V128 b) { return ToV128(U32(a) + U32(b)); }
inline V128 I32x4Sub(V128 a, V128 b) { return ToV128(U32(a) - U32(b)); }
inline V128 I32x4Mul(V128 a, V128 b) { return ToV128(U32(a) * U32(b)); }
inline V128 I32x4MinS(V128 a, V128 b) { return ToV128(VMin(S32(a), S32(b))); }
inline V128 I32x4MinU(V128 a, V128 b) { return ToV128(VMin(U32(a), U32(b))); }
inline V128 I32x4MaxS(V128 a, V128 b) { return ToV128(VMax(S32(a), S32(b))); }
inline V128 I32x4MaxU(V128 a, V128 b) { return ToV128(VMax(U32(a), U32(b))); }
// Sums of the products of adjacent i16 lanes; the sum wraps only for four
// times -32768. (g++ turns this loop into pmaddwd.)
inline V128 I32x4DotI16x8S(V128 a, V128 b) {
  i16x8 x = S16(a), y = S16(b);
  u32x4 r;
  for (unsigned i = 0; i < 4; ++i)
    r[i] = static_cast<uint32_t>(int32_t{x[2 * i]} * y[2 * i]) +
           static_cast<uint32_t>(int32_t{x[2 * i + 1]} * y[2 * i + 1]);
  return ToV128(r);
}
inline V128 I32x4ExtmulLowI16x8S(V128 a, V128 b) {
  return Extmul<i16x4, i32x4>(a, b, false);
}
inline V128 I32x4ExtmulHighI16x8S(V128 a, V128 b) {
  return Extmul<i16x4, i32x4>(a, b, true);
}
inline V128 I32x4ExtmulLowI16x8U(V128 a, V128 b) {
  return Extmul<u16x4, u32x4>(a, b, false);
}
inline V128 I32x4ExtmulHighI16x8U(V128 a, V128 b) {
  return Extmul<u16x4, u32x4>(a, b, true);
}

// --- i64x2 ---------------------------------------------------------------

inline V128 I64x2Eq(V128 a, V128 b) { return ToV128(U64(a) == U64(b)); }
inline V128 I64x2Ne(V128 a, V128 b) { return ToV128(U64(a) != U64(b)); }
inline V128 I64x2LtS(V128 a, V128 b) { return ToV128(S64(a) < S64(b)); }
inline V128 I64x2GtS(V128 a, V128 b) { return ToV128(S64(a) > S64(b)); }
inline V128 I64x2LeS(V128 a, V128 b) { return ToV128(S64(a) <= S64(b)); }
inline V128 I64x2GeS(V128 a, V128 b) { return ToV128(S64(a) >= S64(b)); }

inline V128 I64x2Abs(V128 a) { return IntAbs<i64x2, u64x2>(a); }
inline V128 I64x2Neg(V128 a) { return ToV128(-U64(a)); }
inline uint32_t I64x2AllTrue(V128 a) { return AllLanesNonZero(U64(a)); }
inline uint32_t I64x2Bitmask(V128 a) { return SignBits(S64(a)); }
inline V128 I64x2ExtendLowI32x4S(V128 a) {
  return Extend<i32x2, i64x2>(a, false);
}
inline V128 I64x2ExtendHighI32x4S(V128 a) {
  return Extend<i32x2, i64x2>(a, true);
}
inline V128 I64x2ExtendLowI32x4U(V128 a) {
  return Extend<u32x2, u64x2>(a, false);
}
inline V128 I64x2ExtendHighI32x4U(V128 a) {
  return Extend<u32x2, u64x2>(a, true);
}

inline V128 I64x2Shl(V128 a, uint32_t n) { return ToV128(U64(a) << (n & 63)); }
inline V128 I64x2ShrS(V128 a, uint32_t n) { return ToV128(S64(a) >> (n & 63)); }
inline V128 I64x2ShrU(V128 a, uint32_t n) { return ToV128(U64(a) >> (n & 63)); }

inline V128 I64x2Add(V128 a, V128 b) { return ToV128(U64(a) + U64(b)); }
inline V128 I64x2Sub(V128 a, V128 b) { return ToV128(U64(a) - U64(b)); }
inline V128 I64x2Mul(V128 a, V128 b) { return ToV128(U64(a) * U64(b)); }
inline V128 I64x2ExtmulLowI32x4S(V128 a, V128 b) {
  return Extmul<i32x2, i64x2>(a, b, false);
}
inline V128 I64x2ExtmulHighI32x4S(V128 a, V128 b) {
  return Extmul<i32x2, i64x2>(a, b, true);
}
inline V128 I64x2ExtmulLowI32x4U(V128 a, V128 b) {
  return Extmul<u32x2, u64x2>(a, b, false);
}
inline V128 I64x2ExtmulHighI32x4U(V128 a, V128 b) {
  return Extmul<u32x2, u64x2>(a, b, true);
}

} // namespace weft::simd
