// Floating-point SIMD instructions: f32x4 and f64x2 arithmetic, comparisons,
// rounding, and the conversions between float and integer lanes. Part of
// simd.h; see simd_lanes.h for the vector idioms.
//
// NaN results: arithmetic follows the hardware, which returns a quiet NaN
// (the input's, quieted, or the default NaN); min and max return the
// canonical NaN. Both are what the spec allows. nearest is std::rint, which
// rounds ties to even in the default floating-point environment that weft
// never changes (nearbyint only differs in not raising the inexact flag).
#pragma once

#include <cmath>
#include <cstdint>

#include "interp/simd_lanes.h"

namespace weft::simd {

// --- shared shapes -----------------------------------------------------------
// F is the float vector, U the unsigned integer vector of the same lanes.

template <typename U> inline U CanonicalNaNs();
template <> inline u32x4 CanonicalNaNs<u32x4>() {
  return Broadcast<u32x4>(uint32_t{0x7FC00000});
}
template <> inline u64x2 CanonicalNaNs<u64x2>() {
  return Broadcast<u64x2>(uint64_t{0x7FF8000000000000});
}

template <typename U> inline U SignBitLanes() {
  return ~(~U{} >> 1); // only the top bit of each lane
}

// Wasm min/max: NaN if either lane is NaN, and -0 < +0. Equal lanes are
// combined bitwise, which only matters for a pair of zeros of opposite sign.
template <typename F, typename U> inline V128 FloatMin(V128 a, V128 b) {
  F x = As<F>(a), y = As<F>(b);
  U xb = As<U>(a), yb = As<U>(b);
  U lt = (U)(x < y), gt = (U)(y < x), eq = (U)(x == y);
  U nan = ~(lt | gt | eq);
  return ToV128((lt & xb) | (gt & yb) | (eq & (xb | yb)) |
                (nan & CanonicalNaNs<U>()));
}
template <typename F, typename U> inline V128 FloatMax(V128 a, V128 b) {
  F x = As<F>(a), y = As<F>(b);
  U xb = As<U>(a), yb = As<U>(b);
  U lt = (U)(x < y), gt = (U)(y < x), eq = (U)(x == y);
  U nan = ~(lt | gt | eq);
  return ToV128((gt & xb) | (lt & yb) | (eq & (xb & yb)) |
                (nan & CanonicalNaNs<U>()));
}
// Pseudo-min/max, the C expressions `b < a ? b : a` and `a < b ? b : a`:
// a NaN or zero tie selects a, bit for bit.
template <typename F, typename U> inline V128 FloatPmin(V128 a, V128 b) {
  U take_b = (U)(As<F>(b) < As<F>(a));
  return ToV128((take_b & As<U>(b)) | (~take_b & As<U>(a)));
}
template <typename F, typename U> inline V128 FloatPmax(V128 a, V128 b) {
  U take_b = (U)(As<F>(a) < As<F>(b));
  return ToV128((take_b & As<U>(b)) | (~take_b & As<U>(a)));
}

// fn applied to every lane of the float vector F.
template <typename F, typename Fn> inline V128 MapLanes(V128 a, Fn fn) {
  F x = As<F>(a);
  for (unsigned i = 0; i < 16 / sizeof(x[0]); ++i)
    x[i] = fn(x[i]);
  return ToV128(x);
}
// Rounding to an integral value. NaN lanes are quieted by x + x: the library
// functions may return a signaling NaN unchanged, the spec wants a quiet one.
template <typename F, typename Fn> inline V128 RoundLanes(V128 a, Fn fn) {
  return MapLanes<F>(a, [fn](auto x) { return x != x ? x + x : fn(x); });
}

// Saturating truncation to integer, NaN -> 0 (trunc_sat). Every f32 and
// every f64 converts exactly to double, so one version serves both.
inline int32_t TruncSatS32(double x) {
  if (x != x) return 0;
  if (x <= -2147483649.0) return INT32_MIN;
  if (x >= 2147483648.0) return INT32_MAX;
  return static_cast<int32_t>(x);
}
inline uint32_t TruncSatU32(double x) {
  if (!(x > -1.0)) return 0; // NaN too
  if (x >= 4294967296.0) return UINT32_MAX;
  return static_cast<uint32_t>(x);
}

// --- f32x4 ---------------------------------------------------------------

inline V128 F32x4Eq(V128 a, V128 b) { return ToV128(F32(a) == F32(b)); }
inline V128 F32x4Ne(V128 a, V128 b) { return ToV128(F32(a) != F32(b)); }
inline V128 F32x4Lt(V128 a, V128 b) { return ToV128(F32(a) < F32(b)); }
inline V128 F32x4Gt(V128 a, V128 b) { return ToV128(F32(a) > F32(b)); }
inline V128 F32x4Le(V128 a, V128 b) { return ToV128(F32(a) <= F32(b)); }
inline V128 F32x4Ge(V128 a, V128 b) { return ToV128(F32(a) >= F32(b)); }

inline V128 F32x4Abs(V128 a) { return ToV128(U32(a) & ~SignBitLanes<u32x4>()); }
inline V128 F32x4Neg(V128 a) { return ToV128(U32(a) ^ SignBitLanes<u32x4>()); }
inline V128 F32x4Sqrt(V128 a) {
  return MapLanes<f32x4>(a, [](float x) { return std::sqrt(x); });
}
inline V128 F32x4Ceil(V128 a) {
  return RoundLanes<f32x4>(a, [](float x) { return std::ceil(x); });
}
inline V128 F32x4Floor(V128 a) {
  return RoundLanes<f32x4>(a, [](float x) { return std::floor(x); });
}
inline V128 F32x4Trunc(V128 a) {
  return RoundLanes<f32x4>(a, [](float x) { return std::trunc(x); });
}
inline V128 F32x4Nearest(V128 a) {
  return RoundLanes<f32x4>(a, [](float x) { return std::rint(x); });
}

inline V128 F32x4Add(V128 a, V128 b) { return ToV128(F32(a) + F32(b)); }
inline V128 F32x4Sub(V128 a, V128 b) { return ToV128(F32(a) - F32(b)); }
inline V128 F32x4Mul(V128 a, V128 b) { return ToV128(F32(a) * F32(b)); }
inline V128 F32x4Div(V128 a, V128 b) { return ToV128(F32(a) / F32(b)); }
inline V128 F32x4Min(V128 a, V128 b) { return FloatMin<f32x4, u32x4>(a, b); }
inline V128 F32x4Max(V128 a, V128 b) { return FloatMax<f32x4, u32x4>(a, b); }
inline V128 F32x4Pmin(V128 a, V128 b) { return FloatPmin<f32x4, u32x4>(a, b); }
inline V128 F32x4Pmax(V128 a, V128 b) { return FloatPmax<f32x4, u32x4>(a, b); }

// --- f64x2 ---------------------------------------------------------------

inline V128 F64x2Eq(V128 a, V128 b) { return ToV128(F64(a) == F64(b)); }
inline V128 F64x2Ne(V128 a, V128 b) { return ToV128(F64(a) != F64(b)); }
inline V128 F64x2Lt(V128 a, V128 b) { return ToV128(F64(a) < F64(b)); }
inline V128 F64x2Gt(V128 a, V128 b) { return ToV128(F64(a) > F64(b)); }
inline V128 F64x2Le(V128 a, V128 b) { return ToV128(F64(a) <= F64(b)); }
inline V128 F64x2Ge(V128 a, V128 b) { return ToV128(F64(a) >= F64(b)); }

inline V128 F64x2Abs(V128 a) { return ToV128(U64(a) & ~SignBitLanes<u64x2>()); }
inline V128 F64x2Neg(V128 a) { return ToV128(U64(a) ^ SignBitLanes<u64x2>()); }
inline V128 F64x2Sqrt(V128 a) {
  return MapLanes<f64x2>(a, [](double x) { return std::sqrt(x); });
}
inline V128 F64x2Ceil(V128 a) {
  return RoundLanes<f64x2>(a, [](double x) { return std::ceil(x); });
}
inline V128 F64x2Floor(V128 a) {
  return RoundLanes<f64x2>(a, [](double x) { return std::floor(x); });
}
inline V128 F64x2Trunc(V128 a) {
  return RoundLanes<f64x2>(a, [](double x) { return std::trunc(x); });
}
inline V128 F64x2Nearest(V128 a) {
  return RoundLanes<f64x2>(a, [](double x) { return std::rint(x); });
}

inline V128 F64x2Add(V128 a, V128 b) { return ToV128(F64(a) + F64(b)); }
inline V128 F64x2Sub(V128 a, V128 b) { return ToV128(F64(a) - F64(b)); }
inline V128 F64x2Mul(V128 a, V128 b) { return ToV128(F64(a) * F64(b)); }
inline V128 F64x2Div(V128 a, V128 b) { return ToV128(F64(a) / F64(b)); }
inline V128 F64x2Min(V128 a, V128 b) { return FloatMin<f64x2, u64x2>(a, b); }
inline V128 F64x2Max(V128 a, V128 b) { return FloatMax<f64x2, u64x2>(a, b); }
inline V128 F64x2Pmin(V128 a, V128 b) { return FloatPmin<f64x2, u64x2>(a, b); }
inline V128 F64x2Pmax(V128 a, V128 b) { return FloatPmax<f64x2, u64x2>(a, b); }

// --- conversions -------------------------------------------------------------

inline V128 I32x4TruncSatF32x4S(V128 a) {
  f32x4 x = F32(a);
  i32x4 r;
  for (unsigned i = 0; i < 4; ++i)
    r[i] = TruncSatS32(x[i]);
  return ToV128(r);
}
inline V128 I32x4TruncSatF32x4U(V128 a) {
  f32x4 x = F32(a);
  u32x4 r;
  for (unsigned i = 0; i < 4; ++i)
    r[i] = TruncSatU32(x[i]);
  return ToV128(r);
}
inline V128 I32x4TruncSatF64x2SZero(V128 a) {
  f64x2 x = F64(a);
  return ToV128(i32x4{TruncSatS32(x[0]), TruncSatS32(x[1]), 0, 0});
}
inline V128 I32x4TruncSatF64x2UZero(V128 a) {
  f64x2 x = F64(a);
  return ToV128(u32x4{TruncSatU32(x[0]), TruncSatU32(x[1]), 0, 0});
}
inline V128 F32x4ConvertI32x4S(V128 a) {
  return ToV128(__builtin_convertvector(S32(a), f32x4));
}
inline V128 F32x4ConvertI32x4U(V128 a) {
  return ToV128(__builtin_convertvector(U32(a), f32x4));
}
inline V128 F64x2ConvertLowI32x4S(V128 a) {
  return ToV128(__builtin_convertvector(Half<i32x2>(a, false), f64x2));
}
inline V128 F64x2ConvertLowI32x4U(V128 a) {
  return ToV128(__builtin_convertvector(Half<u32x2>(a, false), f64x2));
}
inline V128 F32x4DemoteF64x2Zero(V128 a) {
  f64x2 x = F64(a);
  return ToV128(
      f32x4{static_cast<float>(x[0]), static_cast<float>(x[1]), 0.0f, 0.0f});
}
inline V128 F64x2PromoteLowF32x4(V128 a) {
  return ToV128(__builtin_convertvector(Half<f32x2>(a, false), f64x2));
}

} // namespace weft::simd
