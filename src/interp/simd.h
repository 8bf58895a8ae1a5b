// The semantics of the 128-bit SIMD instructions as plain functions.
//
// One function per 0xFD row of wasm/opcodes.def (except v128.const), named
// like the row. The signature follows from the row's sig and immediate:
//   "V_VV" V128 f(V128, V128)   "V_V" V128 f(V128)   "V_VVV" V128 f(V128 x3)
//   "I_V"  uint32_t f(V128)     "V_VI" shift: V128 f(V128, uint32_t count)
//   splat: V128 f(uint32_t) for i8/i16/i32/f32, V128 f(uint64_t) for i64/f64
//   extract_lane: uint32_t / uint64_t f(V128, unsigned lane)
//   replace_lane: V128 f(V128, unsigned lane, uint32_t / uint64_t value)
//   i8x16.shuffle: V128 f(V128, V128, const V128& lane_indices)
//   memory, on a host pointer already bounds-checked for mem_bytes:
//     load  V128 f(const uint8_t*)      store      void f(uint8_t*, V128)
//     load lane V128 f(const uint8_t*, V128, unsigned lane)
//     store lane     void f(uint8_t*, V128, unsigned lane)
// Floats travel as their IEEE bit patterns. Lane immediates are masked to
// the lane count, so a bad index cannot touch memory outside the vector.
// tests/unit/simd_test.cpp checks this contract against the opcode table.
#pragma once

#include <cstdint>
#include <cstring>

#include "interp/simd_float.h"
#include "interp/simd_int.h"
#include "interp/simd_lanes.h"
#include "wasm/types.h"

namespace weft::simd {

// --- bitwise -------------------------------------------------------------

inline V128 V128Not(V128 a) { return ToV128(~U64(a)); }
inline V128 V128And(V128 a, V128 b) { return ToV128(U64(a) & U64(b)); }
inline V128 V128AndNot(V128 a, V128 b) { return ToV128(U64(a) & ~U64(b)); }
inline V128 V128Or(V128 a, V128 b) { return ToV128(U64(a) | U64(b)); }
inline V128 V128Xor(V128 a, V128 b) { return ToV128(U64(a) ^ U64(b)); }
// Bits of a where c is 1, bits of b where c is 0.
inline V128 V128Bitselect(V128 a, V128 b, V128 c) {
  u64x2 mask = U64(c);
  return ToV128((U64(a) & mask) | (U64(b) & ~mask));
}
inline uint32_t V128AnyTrue(V128 a) {
  u64x2 x = U64(a);
  return (x[0] | x[1]) != 0;
}

// --- splat ---------------------------------------------------------------

inline V128 I8x16Splat(uint32_t x) {
  return ToV128(Broadcast<u8x16>(static_cast<uint8_t>(x)));
}
inline V128 I16x8Splat(uint32_t x) {
  return ToV128(Broadcast<u16x8>(static_cast<uint16_t>(x)));
}
inline V128 I32x4Splat(uint32_t x) { return ToV128(Broadcast<u32x4>(x)); }
inline V128 I64x2Splat(uint64_t x) { return ToV128(Broadcast<u64x2>(x)); }
inline V128 F32x4Splat(uint32_t bits) { return ToV128(Broadcast<u32x4>(bits)); }
inline V128 F64x2Splat(uint64_t bits) { return ToV128(Broadcast<u64x2>(bits)); }

// --- lanes ---------------------------------------------------------------

inline uint32_t I8x16ExtractLaneS(V128 a, unsigned lane) {
  return static_cast<uint32_t>(int32_t{a.Lane<int8_t>(lane & 15)});
}
inline uint32_t I8x16ExtractLaneU(V128 a, unsigned lane) {
  return a.Lane<uint8_t>(lane & 15);
}
inline V128 I8x16ReplaceLane(V128 a, unsigned lane, uint32_t x) {
  a.SetLane(lane & 15, static_cast<uint8_t>(x));
  return a;
}
inline uint32_t I16x8ExtractLaneS(V128 a, unsigned lane) {
  return static_cast<uint32_t>(int32_t{a.Lane<int16_t>(lane & 7)});
}
inline uint32_t I16x8ExtractLaneU(V128 a, unsigned lane) {
  return a.Lane<uint16_t>(lane & 7);
}
inline V128 I16x8ReplaceLane(V128 a, unsigned lane, uint32_t x) {
  a.SetLane(lane & 7, static_cast<uint16_t>(x));
  return a;
}
inline uint32_t I32x4ExtractLane(V128 a, unsigned lane) {
  return a.Lane<uint32_t>(lane & 3);
}
inline V128 I32x4ReplaceLane(V128 a, unsigned lane, uint32_t x) {
  a.SetLane(lane & 3, x);
  return a;
}
inline uint64_t I64x2ExtractLane(V128 a, unsigned lane) {
  return a.Lane<uint64_t>(lane & 1);
}
inline V128 I64x2ReplaceLane(V128 a, unsigned lane, uint64_t x) {
  a.SetLane(lane & 1, x);
  return a;
}
inline uint32_t F32x4ExtractLane(V128 a, unsigned lane) {
  return a.Lane<uint32_t>(lane & 3);
}
inline V128 F32x4ReplaceLane(V128 a, unsigned lane, uint32_t bits) {
  a.SetLane(lane & 3, bits);
  return a;
}
inline uint64_t F64x2ExtractLane(V128 a, unsigned lane) {
  return a.Lane<uint64_t>(lane & 1);
}
inline V128 F64x2ReplaceLane(V128 a, unsigned lane, uint64_t bits) {
  a.SetLane(lane & 1, bits);
  return a;
}

// Byte i of the result is byte lanes[i] of the 32 bytes a ++ b. The
// validator guarantees indices < 32.
inline V128 I8x16Shuffle(V128 a, V128 b, const V128& lanes) {
  uint8_t both[32];
  std::memcpy(both, a.bytes, 16);
  std::memcpy(both + 16, b.bytes, 16);
  V128 r;
  for (unsigned i = 0; i < 16; ++i)
    r.bytes[i] = both[lanes.bytes[i] & 31];
  return r;
}
// Byte i of the result is byte b[i] of a, or 0 when b[i] >= 16.
inline V128 I8x16Swizzle(V128 a, V128 b) {
  V128 r;
  for (unsigned i = 0; i < 16; ++i) {
    uint8_t idx = b.bytes[i];
    r.bytes[i] = idx < 16 ? a.bytes[idx & 15] : 0;
  }
  return r;
}

// --- memory --------------------------------------------------------------

inline V128 V128Load(const uint8_t* p) {
  V128 r;
  std::memcpy(r.bytes, p, 16);
  return r;
}
inline void V128Store(uint8_t* p, V128 v) { std::memcpy(p, v.bytes, 16); }

// 8 bytes, each lane extended to twice its width.
template <typename H, typename W> inline V128 LoadExtend(const uint8_t* p) {
  H h;
  std::memcpy(&h, p, 8);
  return ToV128(__builtin_convertvector(h, W));
}
inline V128 V128Load8x8S(const uint8_t* p) {
  return LoadExtend<i8x8, i16x8>(p);
}
inline V128 V128Load8x8U(const uint8_t* p) {
  return LoadExtend<u8x8, u16x8>(p);
}
inline V128 V128Load16x4S(const uint8_t* p) {
  return LoadExtend<i16x4, i32x4>(p);
}
inline V128 V128Load16x4U(const uint8_t* p) {
  return LoadExtend<u16x4, u32x4>(p);
}
inline V128 V128Load32x2S(const uint8_t* p) {
  return LoadExtend<i32x2, i64x2>(p);
}
inline V128 V128Load32x2U(const uint8_t* p) {
  return LoadExtend<u32x2, u64x2>(p);
}

template <typename T> inline T LoadScalar(const uint8_t* p) {
  T x;
  std::memcpy(&x, p, sizeof(T));
  return x;
}
inline V128 V128Load8Splat(const uint8_t* p) { return I8x16Splat(*p); }
inline V128 V128Load16Splat(const uint8_t* p) {
  return I16x8Splat(LoadScalar<uint16_t>(p));
}
inline V128 V128Load32Splat(const uint8_t* p) {
  return I32x4Splat(LoadScalar<uint32_t>(p));
}
inline V128 V128Load64Splat(const uint8_t* p) {
  return I64x2Splat(LoadScalar<uint64_t>(p));
}
inline V128 V128Load32Zero(const uint8_t* p) {
  V128 r;
  std::memcpy(r.bytes, p, 4);
  return r;
}
inline V128 V128Load64Zero(const uint8_t* p) {
  V128 r;
  std::memcpy(r.bytes, p, 8);
  return r;
}

// Lane `lane` of v replaced by / stored to the N bytes at p.
template <unsigned N>
inline V128 LoadLane(const uint8_t* p, V128 v, unsigned lane) {
  std::memcpy(v.bytes + (lane & (16 / N - 1)) * N, p, N);
  return v;
}
template <unsigned N>
inline void StoreLane(uint8_t* p, const V128& v, unsigned lane) {
  std::memcpy(p, v.bytes + (lane & (16 / N - 1)) * N, N);
}
inline V128 V128Load8Lane(const uint8_t* p, V128 v, unsigned lane) {
  return LoadLane<1>(p, v, lane);
}
inline V128 V128Load16Lane(const uint8_t* p, V128 v, unsigned lane) {
  return LoadLane<2>(p, v, lane);
}
inline V128 V128Load32Lane(const uint8_t* p, V128 v, unsigned lane) {
  return LoadLane<4>(p, v, lane);
}
inline V128 V128Load64Lane(const uint8_t* p, V128 v, unsigned lane) {
  return LoadLane<8>(p, v, lane);
}
inline void V128Store8Lane(uint8_t* p, V128 v, unsigned lane) {
  StoreLane<1>(p, v, lane);
}
inline void V128Store16Lane(uint8_t* p, V128 v, unsigned lane) {
  StoreLane<2>(p, v, lane);
}
inline void V128Store32Lane(uint8_t* p, V128 v, unsigned lane) {
  StoreLane<4>(p, v, lane);
}
inline void V128Store64Lane(uint8_t* p, V128 v, unsigned lane) {
  StoreLane<8>(p, v, lane);
}

} // namespace weft::simd
