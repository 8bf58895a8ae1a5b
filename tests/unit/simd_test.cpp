// Tests of the SIMD instruction semantics in interp/simd.h: hand-picked
// values per instruction family with their edge cases. Including
// simd_contract.h checks at compile time that every SIMD row of the opcode
// table has its function.
#include "interp/simd.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "simd_contract.h"

namespace weft {

namespace {

// --- value builders ----------------------------------------------------------

template <typename T, typename S, size_t N> V128 Build(const S (&lanes)[N]) {
  static_assert(sizeof(T) * N == 16);
  V128 r;
  for (unsigned i = 0; i < N; ++i)
    r.SetLane(i, static_cast<T>(lanes[i]));
  return r;
}
V128 I8s(const int (&l)[16]) { return Build<uint8_t>(l); }
V128 I16s(const int (&l)[8]) { return Build<uint16_t>(l); }
V128 I32s(const int64_t (&l)[4]) { return Build<uint32_t>(l); }
V128 I64s(const int64_t (&l)[2]) { return Build<uint64_t>(l); }
V128 U64s(const uint64_t (&l)[2]) { return Build<uint64_t>(l); }
V128 F32s(const float (&l)[4]) { return Build<float>(l); }
V128 F64s(const double (&l)[2]) { return Build<double>(l); }
V128 F32Bits(const uint32_t (&l)[4]) { return Build<uint32_t>(l); }
V128 F64Bits(const uint64_t (&l)[2]) { return Build<uint64_t>(l); }
V128 Bytes(const int (&l)[16]) { return I8s(l); }

V128 SplatI8(int x) { return simd::I8x16Splat(static_cast<uint32_t>(x)); }
V128 SplatI16(int x) { return simd::I16x8Splat(static_cast<uint32_t>(x)); }
V128 SplatI32(int64_t x) { return simd::I32x4Splat(static_cast<uint32_t>(x)); }
V128 SplatI64(int64_t x) { return simd::I64x2Splat(static_cast<uint64_t>(x)); }
uint32_t Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
uint64_t Bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

constexpr uint32_t kNaN32 = 0x7FC00000, kNegNaN32 = 0xFFC00000;
constexpr uint32_t kSNaN32 = 0x7F800001, kNaN32Payload = 0x7FC12345;
constexpr uint64_t kNaN64 = 0x7FF8000000000000;
constexpr uint32_t kNegZero32 = 0x80000000;
constexpr uint64_t kNegZero64 = 0x8000000000000000;
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr double kInfD = std::numeric_limits<double>::infinity();
bool IsArithNaN32(uint32_t b) { return (b & 0x7FC00000) == 0x7FC00000; }
bool IsArithNaN64(uint64_t b) {
  return (b & 0x7FF8000000000000) == 0x7FF8000000000000;
}

// --- bitwise, splat, lanes -----------------------------------------------

TEST(Simd, Bitwise) {
  V128 a = I32s({0x0F0F0F0F, 0x12345678, 0, -1});
  V128 b = I32s({0x00FF00FF, 0x0000FFFF, -1, 0});
  EXPECT_EQ(simd::V128Not(a), I32s({0xF0F0F0F0, 0xEDCBA987, -1, 0}));
  EXPECT_EQ(simd::V128And(a, b), I32s({0x000F000F, 0x5678, 0, 0}));
  EXPECT_EQ(simd::V128AndNot(a, b), I32s({0x0F000F00, 0x12340000, 0, -1}));
  EXPECT_EQ(simd::V128Or(a, b), I32s({0x0FFF0FFF, 0x1234FFFF, -1, -1}));
  EXPECT_EQ(simd::V128Xor(a, b), I32s({0x0FF00FF0, 0x1234A987, -1, -1}));
  V128 mask = I32s({0xFFFF0000, 0, -1, 0x0F0F0F0F});
  EXPECT_EQ(simd::V128Bitselect(a, b, mask),
            I32s({0x0F0F00FF, 0x0000FFFF, 0, 0x0F0F0F0F}));
  EXPECT_EQ(simd::V128AnyTrue(V128{}), 0u);
  EXPECT_EQ(simd::V128AnyTrue(I64s({0, INT64_MIN})), 1u);
  EXPECT_EQ(simd::V128AnyTrue(I8s({0, 0, 0, 0, 0, 0, 0, 1})), 1u);
}

TEST(Simd, Splat) {
  EXPECT_EQ(simd::I8x16Splat(0x1FF), SplatI8(-1));
  EXPECT_EQ(simd::I8x16Splat(0x1FF).bytes[15], 0xFF);
  EXPECT_EQ(
      simd::I16x8Splat(0x12345678),
      I16s({0x5678, 0x5678, 0x5678, 0x5678, 0x5678, 0x5678, 0x5678, 0x5678}));
  EXPECT_EQ(simd::I32x4Splat(0xDEADBEEF),
            I32s({0xDEADBEEF, 0xDEADBEEF, 0xDEADBEEF, 0xDEADBEEF}));
  EXPECT_EQ(simd::I64x2Splat(0x0102030405060708),
            I64s({0x0102030405060708, 0x0102030405060708}));
  EXPECT_EQ(simd::F32x4Splat(kSNaN32),
            F32Bits({kSNaN32, kSNaN32, kSNaN32, kSNaN32})); // bits unchanged
  EXPECT_EQ(simd::F64x2Splat(Bits(-1.5)), F64s({-1.5, -1.5}));
}

TEST(Simd, ExtractReplaceLane) {
  V128 v = I8s({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, -128});
  EXPECT_EQ(simd::I8x16ExtractLaneS(v, 15), 0xFFFFFF80u);
  EXPECT_EQ(simd::I8x16ExtractLaneU(v, 15), 0x80u);
  EXPECT_EQ(simd::I8x16ExtractLaneS(v, 3), 3u);
  EXPECT_EQ(simd::I8x16ReplaceLane(v, 0, 0x1AB).bytes[0], 0xAB);
  EXPECT_EQ(simd::I8x16ReplaceLane(v, 0, 0x1AB).bytes[1], 1);

  V128 h = I16s({1, -2, 3, 4, 5, 6, 7, 0x8000});
  EXPECT_EQ(simd::I16x8ExtractLaneS(h, 1), 0xFFFFFFFEu);
  EXPECT_EQ(simd::I16x8ExtractLaneU(h, 1), 0xFFFEu);
  EXPECT_EQ(simd::I16x8ExtractLaneS(h, 7), 0xFFFF8000u);
  EXPECT_EQ(simd::I16x8ExtractLaneU(h, 7), 0x8000u);
  EXPECT_EQ(simd::I16x8ReplaceLane(h, 7, 0xABCD1234),
            I16s({1, -2, 3, 4, 5, 6, 7, 0x1234}));

  V128 w = I32s({10, 20, 30, 0x80000000});
  EXPECT_EQ(simd::I32x4ExtractLane(w, 3), 0x80000000u);
  EXPECT_EQ(simd::I32x4ReplaceLane(w, 1, 99), I32s({10, 99, 30, 0x80000000}));
  V128 d = I64s({-5, 0x7FFFFFFFFFFFFFFF});
  EXPECT_EQ(simd::I64x2ExtractLane(d, 0), 0xFFFFFFFFFFFFFFFBu);
  EXPECT_EQ(simd::I64x2ReplaceLane(d, 1, 7), I64s({-5, 7}));

  V128 f = F32Bits({0, kSNaN32, kNegZero32, Bits(2.5f)});
  EXPECT_EQ(simd::F32x4ExtractLane(f, 1), kSNaN32); // no canonicalization
  EXPECT_EQ(simd::F32x4ExtractLane(f, 2), kNegZero32);
  EXPECT_EQ(simd::F32x4ReplaceLane(f, 3, kNaN32Payload),
            F32Bits({0, kSNaN32, kNegZero32, kNaN32Payload}));
  V128 g = F64s({1.0, -0.0});
  EXPECT_EQ(simd::F64x2ExtractLane(g, 1), kNegZero64);
  EXPECT_EQ(simd::F64x2ReplaceLane(g, 0, Bits(3.25)), F64s({3.25, -0.0}));
}

TEST(Simd, ShuffleSwizzle) {
  V128 a = I8s({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
  V128 b =
      I8s({16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31});
  b = simd::I8x16Add(b, SplatI8(0x60)); // b's bytes are 0x70..0x7F
  V128 lanes =
      Bytes({31, 0, 16, 15, 1, 17, 30, 14, 2, 18, 3, 19, 4, 20, 5, 21});
  EXPECT_EQ(simd::I8x16Shuffle(a, b, lanes),
            Bytes({0x7F, 0, 0x70, 15, 1, 0x71, 0x7E, 14, 2, 0x72, 3, 0x73, 4,
                   0x74, 5, 0x75}));
  // Identity and full reversal.
  EXPECT_EQ(simd::I8x16Shuffle(a, b, a), a);
  EXPECT_EQ(
      simd::I8x16Shuffle(
          a, b, Bytes({15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0})),
      Bytes({15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}));

  V128 table = simd::I8x16Add(a, SplatI8(0x40));
  V128 idx =
      Bytes({0, 15, 16, 17, 255, 128, 3, 31, 32, 100, 7, 14, -1, 8, 9, 1});
  EXPECT_EQ(simd::I8x16Swizzle(table, idx),
            Bytes({0x40, 0x4F, 0, 0, 0, 0, 0x43, 0, 0, 0, 0x47, 0x4E, 0, 0x48,
                   0x49, 0x41}));
}

// --- integer arithmetic --------------------------------------------------

TEST(Simd, I8x16Arith) {
  V128 a = I8s({0, 1, 127, -128, -1, 100, -100, 50, 0, 0, 0, 0, 0, 0, 0, 0});
  V128 b = I8s({0, 1, 1, -1, -1, 100, -100, -60, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(simd::I8x16Add(a, b),
            I8s({0, 2, -128, 127, -2, -56, 56, -10, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I8x16Sub(a, b),
            I8s({0, 0, 126, -127, 0, 0, 0, 110, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I8x16AddSatS(a, b),
            I8s({0, 2, 127, -128, -2, 127, -128, -10, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I8x16SubSatS(a, b),
            I8s({0, 0, 126, -127, 0, 0, 0, 110, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I8x16SubSatS(SplatI8(-128), SplatI8(1)), SplatI8(-128));
  EXPECT_EQ(simd::I8x16SubSatS(SplatI8(127), SplatI8(-1)), SplatI8(127));
  EXPECT_EQ(simd::I8x16SubSatS(SplatI8(-2), SplatI8(127)), SplatI8(-128));
  // Unsigned: 0x80+0xFF saturates, 0xFE+0x01 does not.
  V128 ua = I8s({0x80, 0xFE, 0xFF, 0x10, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  V128 ub = I8s({0xFF, 0x01, 0x01, 0x20, 1, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(simd::I8x16AddSatU(ua, ub),
            I8s({0xFF, 0xFF, 0xFF, 0x30, 1, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I8x16SubSatU(ua, ub),
            I8s({0, 0xFD, 0xFE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I8x16Neg(a), I8s({0, -1, -127, -128, 1, -100, 100, -50, 0, 0,
                                    0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I8x16Abs(a),
            I8s({0, 1, 127, -128, 1, 100, 100, 50, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I8x16MinS(a, b),
            I8s({0, 1, 1, -128, -1, 100, -100, -60, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I8x16MaxS(a, b),
            I8s({0, 1, 127, -1, -1, 100, -100, 50, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I8x16MinU(a, b),
            I8s({0, 1, 1, -128, -1, 100, -100, 50, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I8x16MaxU(a, b),
            I8s({0, 1, 127, -1, -1, 100, -100, -60, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I8x16AvgrU(ua, ub),
            I8s({0xC0, 0x80, 0x80, 0x18, 1, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I8x16AvgrU(SplatI8(0xFF), SplatI8(0xFF)), SplatI8(0xFF));
  EXPECT_EQ(simd::I8x16Popcnt(I8s({0, 1, 3, 7, 0xFF, 0x80, 0x55, 0xAA, 0x0F,
                                   0xF0, 0x81, 0x7E, 2, 4, 6, 0xFE})),
            I8s({0, 1, 2, 3, 8, 1, 4, 4, 4, 4, 2, 6, 1, 1, 2, 7}));
}

TEST(Simd, I16x8Arith) {
  V128 a = I16s({0, 32767, -32768, -1, 1000, -1000, 0x7FFF, 0x4000});
  V128 b = I16s({0, 1, -1, -1, 1000, 2000, -32768, 0x4000});
  EXPECT_EQ(simd::I16x8Add(a, b),
            I16s({0, -32768, 32767, -2, 2000, 1000, -1, -32768}));
  EXPECT_EQ(simd::I16x8Sub(a, b), I16s({0, 32766, -32767, 0, 0, -3000, -1, 0}));
  EXPECT_EQ(simd::I16x8Mul(a, b),
            I16s({0, 32767, -32768, 1, 16960, 0x7B80, -32768, 0}));
  EXPECT_EQ(simd::I16x8AddSatS(a, b),
            I16s({0, 32767, -32768, -2, 2000, 1000, -1, 32767}));
  EXPECT_EQ(simd::I16x8SubSatS(a, b),
            I16s({0, 32766, -32767, 0, 0, -3000, 32767, 0}));
  EXPECT_EQ(simd::I16x8AddSatU(SplatI16(0xFFF0), SplatI16(0x20)),
            SplatI16(0xFFFF));
  EXPECT_EQ(simd::I16x8AddSatU(SplatI16(0x7FF0), SplatI16(0x20)),
            SplatI16(0x8010));
  EXPECT_EQ(simd::I16x8SubSatU(SplatI16(5), SplatI16(6)), SplatI16(0));
  EXPECT_EQ(simd::I16x8SubSatU(SplatI16(0x8000), SplatI16(1)),
            SplatI16(0x7FFF));
  EXPECT_EQ(simd::I16x8Neg(a),
            I16s({0, -32767, -32768, 1, -1000, 1000, -32767, -0x4000}));
  EXPECT_EQ(simd::I16x8Abs(a),
            I16s({0, 32767, -32768, 1, 1000, 1000, 32767, 0x4000}));
  EXPECT_EQ(simd::I16x8MinS(a, b),
            I16s({0, 1, -32768, -1, 1000, -1000, -32768, 0x4000}));
  EXPECT_EQ(simd::I16x8MaxU(a, b),
            I16s({0, 32767, -1, -1, 1000, -1000, -32768, 0x4000}));
  EXPECT_EQ(simd::I16x8MinU(a, b),
            I16s({0, 1, -32768, -1, 1000, 2000, 32767, 0x4000}));
  EXPECT_EQ(simd::I16x8MaxS(a, b),
            I16s({0, 32767, -1, -1, 1000, 2000, 32767, 0x4000}));
  EXPECT_EQ(simd::I16x8AvgrU(SplatI16(0xFFFF), SplatI16(0xFFFE)),
            SplatI16(0xFFFF));
  EXPECT_EQ(simd::I16x8AvgrU(SplatI16(2), SplatI16(5)), SplatI16(4));
}

TEST(Simd, Q15mulrSatS) {
  V128 a = I16s({-32768, 16384, 16384, -16384, 1, 32767, -32768, 100});
  V128 b = I16s({-32768, 16384, -16384, -16384, 16384, 32767, 32767, -1});
  // 0x4000*0x4000 = 2^28 -> 2^13; 1*2^14 rounds 0.5 up to 1; 100*-1 -> -0.003
  EXPECT_EQ(simd::I16x8Q15mulrSatS(a, b),
            I16s({32767, 8192, -8192, 8192, 1, 32766, -32767, 0}));
}

TEST(Simd, I32x4AndI64x2Arith) {
  V128 a = I32s({0x7FFFFFFF, INT32_MIN, -7, 65536});
  V128 b = I32s({1, -1, 3, 65536});
  EXPECT_EQ(simd::I32x4Add(a, b), I32s({INT32_MIN, INT32_MAX, -4, 131072}));
  EXPECT_EQ(simd::I32x4Sub(a, b), I32s({0x7FFFFFFE, INT32_MAX + 2ll, -10, 0}));
  EXPECT_EQ(simd::I32x4Mul(a, b), I32s({0x7FFFFFFF, INT32_MIN, -21, 0}));
  EXPECT_EQ(simd::I32x4Neg(a), I32s({-0x7FFFFFFF, INT32_MIN, 7, -65536}));
  EXPECT_EQ(simd::I32x4Abs(a), I32s({0x7FFFFFFF, INT32_MIN, 7, 65536}));
  EXPECT_EQ(simd::I32x4MinS(a, b), I32s({1, INT32_MIN, -7, 65536}));
  EXPECT_EQ(simd::I32x4MaxS(a, b), I32s({0x7FFFFFFF, -1, 3, 65536}));
  EXPECT_EQ(simd::I32x4MinU(a, b), I32s({1, INT32_MIN, 3, 65536}));
  EXPECT_EQ(simd::I32x4MaxU(a, b), I32s({0x7FFFFFFF, -1, -7, 65536}));

  V128 c = I64s({INT64_MIN, 0x100000000});
  V128 d = I64s({-1, 0x100000001});
  EXPECT_EQ(simd::I64x2Add(c, d), I64s({INT64_MAX, 0x200000001}));
  EXPECT_EQ(simd::I64x2Sub(c, d), I64s({INT64_MIN + 1, -1}));
  EXPECT_EQ(simd::I64x2Mul(c, d), I64s({INT64_MIN, 0x100000000}));
  EXPECT_EQ(simd::I64x2Mul(I64s({0x123456789, -3}), I64s({0x987654321, 5})),
            U64s({0x123456789ull * 0x987654321ull, uint64_t(-15)}));
  EXPECT_EQ(simd::I64x2Neg(c), I64s({INT64_MIN, -0x100000000}));
  EXPECT_EQ(simd::I64x2Abs(I64s({INT64_MIN, -42})), I64s({INT64_MIN, 42}));
}

TEST(Simd, Dot) {
  V128 a = I16s({1, 2, 3, 4, -32768, -32768, 32767, -32768});
  V128 b = I16s({5, 6, -7, 8, -32768, -32768, 32767, 32767});
  // 5+12, -21+32, 2^31 wraps to INT32_MIN, 32767^2 - 32768*32767
  EXPECT_EQ(simd::I32x4DotI16x8S(a, b),
            I32s({17, 11, INT32_MIN, 1073676289ll - 1073709056ll}));
}

TEST(Simd, Shifts) {
  V128 a8 = I8s({1, -128, 0x40, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x81});
  // Counts are taken modulo the lane width: 9 is 1, 8 is 0.
  EXPECT_EQ(simd::I8x16Shl(a8, 9), simd::I8x16Shl(a8, 1));
  EXPECT_EQ(simd::I8x16Shl(a8, 1),
            I8s({2, 0, -128, -2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}));
  EXPECT_EQ(simd::I8x16ShrS(a8, 8), a8);
  EXPECT_EQ(simd::I8x16ShrS(a8, 7),
            I8s({0, -1, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1}));
  EXPECT_EQ(simd::I8x16ShrU(a8, 0x107),
            I8s({0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));

  V128 a16 = I16s({1, -32768, 0x4000, -1, 0x1234, 0, 0, -2});
  EXPECT_EQ(simd::I16x8Shl(a16, 17),
            I16s({2, 0, -32768, -2, 0x2468, 0, 0, -4}));
  EXPECT_EQ(simd::I16x8ShrS(a16, 4),
            I16s({0, -2048, 0x400, -1, 0x123, 0, 0, -1}));
  EXPECT_EQ(simd::I16x8ShrU(a16, 15), I16s({0, 1, 0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(simd::I16x8ShrU(a16, 16), a16);

  V128 a32 = I32s({1, INT32_MIN, -16, 0x12345678});
  EXPECT_EQ(simd::I32x4Shl(a32, 32 + 4), I32s({16, 0, -256, 0x23456780}));
  EXPECT_EQ(simd::I32x4ShrS(a32, 4), I32s({0, -0x8000000, -1, 0x1234567}));
  EXPECT_EQ(simd::I32x4ShrU(a32, 31), I32s({0, 1, 1, 0}));
  EXPECT_EQ(simd::I32x4ShrU(a32, 0xFFFFFFFF), I32s({0, 1, 1, 0}));

  V128 a64 = I64s({INT64_MIN, 3});
  EXPECT_EQ(simd::I64x2Shl(a64, 65), I64s({0, 6}));
  EXPECT_EQ(simd::I64x2ShrS(a64, 63), I64s({-1, 0}));
  EXPECT_EQ(simd::I64x2ShrU(a64, 63), I64s({1, 0}));
  EXPECT_EQ(simd::I64x2ShrU(a64, 64), a64);
}

// --- comparisons -------------------------------------------------------------

TEST(Simd, IntCompare) {
  V128 a = I8s({0, 1, -1, 127, -128, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  V128 b = I8s({0, -1, 1, -128, 127, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  const int T = -1;
  EXPECT_EQ(simd::I8x16Eq(a, b),
            I8s({T, 0, 0, 0, 0, T, 0, T, T, T, T, T, T, T, T, 0}));
  EXPECT_EQ(simd::I8x16Ne(a, b),
            I8s({0, T, T, T, T, 0, T, 0, 0, 0, 0, 0, 0, 0, 0, T}));
  EXPECT_EQ(simd::I8x16LtS(a, b),
            I8s({0, 0, T, 0, T, 0, T, 0, 0, 0, 0, 0, 0, 0, 0, T}));
  EXPECT_EQ(simd::I8x16LtU(a, b),
            I8s({0, T, 0, T, 0, 0, T, 0, 0, 0, 0, 0, 0, 0, 0, T}));
  EXPECT_EQ(simd::I8x16GtS(a, b),
            I8s({0, T, 0, T, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I8x16GtU(a, b),
            I8s({0, 0, T, 0, T, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I8x16LeS(a, b),
            I8s({T, 0, T, 0, T, T, T, T, T, T, T, T, T, T, T, T}));
  EXPECT_EQ(simd::I8x16LeU(a, b),
            I8s({T, T, 0, T, 0, T, T, T, T, T, T, T, T, T, T, T}));
  EXPECT_EQ(simd::I8x16GeS(a, b),
            I8s({T, T, 0, T, 0, T, 0, T, T, T, T, T, T, T, T, 0}));
  EXPECT_EQ(simd::I8x16GeU(a, b),
            I8s({T, 0, T, 0, T, T, 0, T, T, T, T, T, T, T, T, 0}));

  V128 c = I16s({0, 1, -1, 32767, -32768, 5, 5, 0});
  V128 d = I16s({0, -1, 1, -32768, 32767, 5, 6, 1});
  EXPECT_EQ(simd::I16x8Eq(c, d), I16s({T, 0, 0, 0, 0, T, 0, 0}));
  EXPECT_EQ(simd::I16x8Ne(c, d), I16s({0, T, T, T, T, 0, T, T}));
  EXPECT_EQ(simd::I16x8LtS(c, d), I16s({0, 0, T, 0, T, 0, T, T}));
  EXPECT_EQ(simd::I16x8LtU(c, d), I16s({0, T, 0, T, 0, 0, T, T}));
  EXPECT_EQ(simd::I16x8GtS(c, d), I16s({0, T, 0, T, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I16x8GtU(c, d), I16s({0, 0, T, 0, T, 0, 0, 0}));
  EXPECT_EQ(simd::I16x8LeS(c, d), I16s({T, 0, T, 0, T, T, T, T}));
  EXPECT_EQ(simd::I16x8LeU(c, d), I16s({T, T, 0, T, 0, T, T, T}));
  EXPECT_EQ(simd::I16x8GeS(c, d), I16s({T, T, 0, T, 0, T, 0, 0}));
  EXPECT_EQ(simd::I16x8GeU(c, d), I16s({T, 0, T, 0, T, T, 0, 0}));

  V128 e = I32s({0, 1, -1, INT32_MIN});
  V128 f = I32s({0, -1, 1, INT32_MAX});
  EXPECT_EQ(simd::I32x4Eq(e, f), I32s({T, 0, 0, 0}));
  EXPECT_EQ(simd::I32x4Ne(e, f), I32s({0, T, T, T}));
  EXPECT_EQ(simd::I32x4LtS(e, f), I32s({0, 0, T, T}));
  EXPECT_EQ(simd::I32x4LtU(e, f), I32s({0, T, 0, 0}));
  EXPECT_EQ(simd::I32x4GtS(e, f), I32s({0, T, 0, 0}));
  EXPECT_EQ(simd::I32x4GtU(e, f), I32s({0, 0, T, T}));
  EXPECT_EQ(simd::I32x4LeS(e, f), I32s({T, 0, T, T}));
  EXPECT_EQ(simd::I32x4LeU(e, f), I32s({T, T, 0, 0}));
  EXPECT_EQ(simd::I32x4GeS(e, f), I32s({T, T, 0, 0}));
  EXPECT_EQ(simd::I32x4GeU(e, f), I32s({T, 0, T, T}));

  V128 g = I64s({-1, INT64_MIN});
  V128 h = I64s({1, INT64_MIN});
  EXPECT_EQ(simd::I64x2Eq(g, h), I64s({0, T}));
  EXPECT_EQ(simd::I64x2Ne(g, h), I64s({T, 0}));
  EXPECT_EQ(simd::I64x2LtS(g, h), I64s({T, 0}));
  EXPECT_EQ(simd::I64x2GtS(g, h), I64s({0, 0}));
  EXPECT_EQ(simd::I64x2LeS(g, h), I64s({T, T}));
  EXPECT_EQ(simd::I64x2GeS(g, h), I64s({0, T}));
  EXPECT_EQ(simd::I64x2GtS(I64s({INT64_MAX, 0}), I64s({INT64_MIN, -1})),
            I64s({T, T}));
}

TEST(Simd, FloatCompare) {
  const int64_t T = -1;
  V128 a = F32Bits({kNaN32, Bits(-0.0f), Bits(1.0f), Bits(-kInf)});
  V128 b = F32Bits({kNaN32, Bits(0.0f), Bits(2.0f), Bits(-kInf)});
  EXPECT_EQ(simd::F32x4Eq(a, b), I32s({0, T, 0, T}));
  EXPECT_EQ(simd::F32x4Ne(a, b), I32s({T, 0, T, 0}));
  EXPECT_EQ(simd::F32x4Lt(a, b), I32s({0, 0, T, 0}));
  EXPECT_EQ(simd::F32x4Gt(a, b), I32s({0, 0, 0, 0}));
  EXPECT_EQ(simd::F32x4Le(a, b), I32s({0, T, T, T}));
  EXPECT_EQ(simd::F32x4Ge(a, b), I32s({0, T, 0, T}));
  EXPECT_EQ(simd::F32x4Gt(b, a), I32s({0, 0, T, 0}));

  V128 c = F64Bits({kNaN64, Bits(-0.0)});
  V128 d = F64s({1.0, 0.0});
  EXPECT_EQ(simd::F64x2Eq(c, d), I64s({0, T}));
  EXPECT_EQ(simd::F64x2Ne(c, d), I64s({T, 0}));
  EXPECT_EQ(simd::F64x2Lt(c, d), I64s({0, 0}));
  EXPECT_EQ(simd::F64x2Gt(c, d), I64s({0, 0}));
  EXPECT_EQ(simd::F64x2Le(c, d), I64s({0, T}));
  EXPECT_EQ(simd::F64x2Ge(c, d), I64s({0, T}));
  EXPECT_EQ(simd::F64x2Lt(F64s({1.0, 3.0}), F64s({2.0, -3.0})), I64s({T, 0}));
  EXPECT_EQ(simd::F64x2Gt(F64s({1.0, 3.0}), F64s({2.0, -3.0})), I64s({0, T}));
}

// --- boolean reductions ------------------------------------------------------

TEST(Simd, AllTrueAndBitmask) {
  EXPECT_EQ(simd::I8x16AllTrue(SplatI8(1)), 1u);
  EXPECT_EQ(simd::I8x16AllTrue(simd::I8x16ReplaceLane(SplatI8(1), 9, 0)), 0u);
  EXPECT_EQ(simd::I16x8AllTrue(SplatI8(1)), 1u);
  EXPECT_EQ(simd::I16x8AllTrue(I16s({1, 1, 1, 1, 1, 1, 1, 0})), 0u);
  EXPECT_EQ(simd::I16x8AllTrue(I16s({0x100, 1, 1, 1, 1, 1, 1, 1})), 1u);
  EXPECT_EQ(simd::I32x4AllTrue(I32s({1, 0x100, 0x10000, 0x1000000})), 1u);
  EXPECT_EQ(simd::I32x4AllTrue(I32s({1, 1, 0, 1})), 0u);
  EXPECT_EQ(simd::I64x2AllTrue(I64s({1, 0x100000000})), 1u);
  EXPECT_EQ(simd::I64x2AllTrue(I64s({0, -1})), 0u);
  EXPECT_EQ(simd::I64x2AllTrue(V128{}), 0u);

  // Bit i is the top bit of lane i.
  EXPECT_EQ(simd::I8x16Bitmask(I8s(
                {-1, 0, 0x7F, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80})),
            0x8009u);
  EXPECT_EQ(simd::I8x16Bitmask(SplatI8(-1)), 0xFFFFu);
  EXPECT_EQ(simd::I16x8Bitmask(I16s({0, -1, 0x7FFF, 0x8000, 0, 0, 0x80, -2})),
            0x8Au);
  EXPECT_EQ(simd::I32x4Bitmask(I32s({-1, 0, 0x7FFFFFFF, INT32_MIN})), 0x9u);
  EXPECT_EQ(simd::I64x2Bitmask(I64s({0x7FFFFFFFFFFFFFFF, -1})), 0x2u);
}

// --- widening and narrowing --------------------------------------------------

TEST(Simd, Narrow) {
  V128 a = I16s({0, 127, 128, -128, -129, 255, 256, -1});
  V128 b = I16s({32767, -32768, 1, -2, 100, 200, 300, 0x80});
  EXPECT_EQ(simd::I8x16NarrowI16x8S(a, b),
            I8s({0, 127, 127, -128, -128, 127, 127, -1, 127, -128, 1, -2, 100,
                 127, 127, 127}));
  EXPECT_EQ(
      simd::I8x16NarrowI16x8U(a, b),
      I8s({0, 127, 128, 0, 0, 255, 255, 0, 255, 0, 1, 0, 100, 200, 255, 128}));
  V128 c = I32s({0, 32767, 32768, -32769});
  V128 d = I32s({65535, 65536, -1, INT32_MIN});
  EXPECT_EQ(simd::I16x8NarrowI32x4S(c, d),
            I16s({0, 32767, 32767, -32768, 32767, 32767, -1, -32768}));
  EXPECT_EQ(simd::I16x8NarrowI32x4U(c, d),
            I16s({0, 32767, 32768, 0, 65535, 65535, 0, 0}));
}

TEST(Simd, Extend) {
  V128 a =
      I8s({1, -1, 127, -128, 2, -2, 3, -3, -4, 4, -5, 5, 0x7F, -127, 0, -1});
  EXPECT_EQ(simd::I16x8ExtendLowI8x16S(a),
            I16s({1, -1, 127, -128, 2, -2, 3, -3}));
  EXPECT_EQ(simd::I16x8ExtendHighI8x16S(a),
            I16s({-4, 4, -5, 5, 127, -127, 0, -1}));
  EXPECT_EQ(simd::I16x8ExtendLowI8x16U(a),
            I16s({1, 255, 127, 128, 2, 254, 3, 253}));
  EXPECT_EQ(simd::I16x8ExtendHighI8x16U(a),
            I16s({252, 4, 251, 5, 127, 129, 0, 255}));

  V128 b = I16s({1, -1, 32767, -32768, -2, 2, 0x1234, -0x1234});
  EXPECT_EQ(simd::I32x4ExtendLowI16x8S(b), I32s({1, -1, 32767, -32768}));
  EXPECT_EQ(simd::I32x4ExtendHighI16x8S(b), I32s({-2, 2, 0x1234, -0x1234}));
  EXPECT_EQ(simd::I32x4ExtendLowI16x8U(b), I32s({1, 65535, 32767, 32768}));
  EXPECT_EQ(simd::I32x4ExtendHighI16x8U(b),
            I32s({65534, 2, 0x1234, 0x10000 - 0x1234}));

  V128 c = I32s({-1, 7, INT32_MIN, 0x7FFFFFFF});
  EXPECT_EQ(simd::I64x2ExtendLowI32x4S(c), I64s({-1, 7}));
  EXPECT_EQ(simd::I64x2ExtendHighI32x4S(c), I64s({INT32_MIN, 0x7FFFFFFF}));
  EXPECT_EQ(simd::I64x2ExtendLowI32x4U(c), I64s({0xFFFFFFFF, 7}));
  EXPECT_EQ(simd::I64x2ExtendHighI32x4U(c), I64s({0x80000000, 0x7FFFFFFF}));
}

TEST(Simd, ExtaddPairwise) {
  V128 a =
      I8s({1, 2, -1, -1, 127, 127, -128, -128, -128, 127, 0, 0, 5, -6, -1, 0});
  EXPECT_EQ(simd::I16x8ExtaddPairwiseI8x16S(a),
            I16s({3, -2, 254, -256, -1, 0, -1, -1}));
  EXPECT_EQ(simd::I16x8ExtaddPairwiseI8x16U(a),
            I16s({3, 510, 254, 256, 255, 0, 255, 255}));
  V128 b = I16s({1, 2, -1, -1, 32767, 32767, -32768, -32768});
  EXPECT_EQ(simd::I32x4ExtaddPairwiseI16x8S(b), I32s({3, -2, 65534, -65536}));
  EXPECT_EQ(simd::I32x4ExtaddPairwiseI16x8U(b),
            I32s({3, 131070, 65534, 65536}));
}

TEST(Simd, Extmul) {
  V128 a = I8s({-128, 127, -1, 2, 0, 0, 0, 0, -128, 255, 3, -3, 0, 0, 0, 10});
  V128 b = I8s({-128, 127, -1, -2, 0, 0, 0, 0, 127, 255, 3, 3, 0, 0, 0, 10});
  EXPECT_EQ(simd::I16x8ExtmulLowI8x16S(a, b),
            I16s({16384, 16129, 1, -4, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I16x8ExtmulHighI8x16S(a, b),
            I16s({-16256, 1, 9, -9, 0, 0, 0, 100}));
  EXPECT_EQ(simd::I16x8ExtmulLowI8x16U(a, b),
            I16s({16384, 16129, 65025, 508, 0, 0, 0, 0}));
  EXPECT_EQ(simd::I16x8ExtmulHighI8x16U(a, b),
            I16s({16256, 65025, 9, 759, 0, 0, 0, 100}));

  V128 c = I16s({-32768, 32767, -1, 3, -32768, -1, 0, 7});
  V128 d = I16s({-32768, 32767, -1, -3, 32767, -1, 0, 7});
  EXPECT_EQ(simd::I32x4ExtmulLowI16x8S(c, d),
            I32s({1073741824, 1073676289, 1, -9}));
  EXPECT_EQ(simd::I32x4ExtmulHighI16x8S(c, d), I32s({-1073709056, 1, 0, 49}));
  EXPECT_EQ(simd::I32x4ExtmulLowI16x8U(c, d),
            I32s({1073741824, 1073676289, 4294836225, 3 * 65533}));
  EXPECT_EQ(simd::I32x4ExtmulHighI16x8U(c, d),
            I32s({32768ll * 32767, 4294836225, 0, 49}));

  V128 e = I32s({INT32_MIN, -1, 0x7FFFFFFF, -1});
  V128 f = I32s({INT32_MIN, 2, INT32_MIN, -1});
  EXPECT_EQ(simd::I64x2ExtmulLowI32x4S(e, f), I64s({0x4000000000000000, -2}));
  EXPECT_EQ(simd::I64x2ExtmulHighI32x4S(e, f), I64s({-0x3FFFFFFF80000000, 1}));
  EXPECT_EQ(simd::I64x2ExtmulLowI32x4U(e, f),
            I64s({0x4000000000000000, 0x1FFFFFFFE}));
  EXPECT_EQ(simd::I64x2ExtmulHighI32x4U(e, f),
            U64s({0x3FFFFFFF80000000, 0xFFFFFFFE00000001}));
}

// --- floating point ------------------------------------------------------

TEST(Simd, FloatArith) {
  V128 a = F32s({1.5f, -2.0f, kInf, 0.1f});
  V128 b = F32s({0.25f, 4.0f, kInf, 0.2f});
  EXPECT_EQ(simd::F32x4Add(a, b).Lane<float>(0), 1.75f);
  EXPECT_EQ(simd::F32x4Add(a, b).Lane<float>(3), 0.1f + 0.2f);
  EXPECT_TRUE(IsArithNaN32(simd::F32x4Sub(a, b).Lane<uint32_t>(2))); // inf-inf
  V128 diff = simd::F32x4Sub(a, b);
  EXPECT_EQ(diff.Lane<float>(0), 1.25f);
  EXPECT_EQ(diff.Lane<float>(1), -6.0f);
  EXPECT_EQ(diff.Lane<float>(3), 0.1f - 0.2f);
  EXPECT_EQ(simd::F32x4Mul(a, b).Lane<float>(1), -8.0f);
  EXPECT_EQ(simd::F32x4Mul(a, b).Lane<float>(2), kInf);
  V128 quot = simd::F32x4Div(a, b);
  EXPECT_EQ(quot.Lane<float>(0), 6.0f);
  EXPECT_EQ(quot.Lane<float>(1), -0.5f);
  EXPECT_TRUE(IsArithNaN32(quot.Lane<uint32_t>(2))); // inf/inf
  EXPECT_EQ(quot.Lane<float>(3), 0.1f / 0.2f);
  V128 q = simd::F32x4Div(F32s({1, -1, 0, 1}), F32s({0, 0, 0, -kInf}));
  EXPECT_EQ(q.Lane<float>(0), kInf);
  EXPECT_EQ(q.Lane<float>(1), -kInf);
  EXPECT_TRUE(IsArithNaN32(q.Lane<uint32_t>(2)));
  EXPECT_EQ(q.Lane<uint32_t>(3), kNegZero32);
  // A NaN operand gives a quiet NaN, also for a signaling input.
  V128 n = simd::F32x4Add(F32Bits({kSNaN32, kNaN32Payload, 0, 0}), b);
  EXPECT_TRUE(IsArithNaN32(n.Lane<uint32_t>(0)));
  EXPECT_TRUE(IsArithNaN32(n.Lane<uint32_t>(1)));

  V128 s = simd::F32x4Sqrt(F32s({4.0f, 2.0f, -1.0f, -0.0f}));
  EXPECT_EQ(s.Lane<float>(0), 2.0f);
  EXPECT_EQ(s.Lane<float>(1), std::sqrt(2.0f));
  EXPECT_TRUE(IsArithNaN32(s.Lane<uint32_t>(2)));
  EXPECT_EQ(s.Lane<uint32_t>(3), kNegZero32);

  V128 c = F64s({1.5, 1e308});
  V128 d = F64s({-0.5, 1e308});
  EXPECT_EQ(simd::F64x2Add(c, d), F64s({1.0, kInfD}));
  EXPECT_EQ(simd::F64x2Sub(c, d), F64s({2.0, 0.0}));
  EXPECT_EQ(simd::F64x2Mul(c, d), F64s({-0.75, kInfD}));
  EXPECT_EQ(simd::F64x2Div(c, d), F64s({-3.0, 1.0}));
  V128 r = simd::F64x2Sqrt(F64s({2.0, -kInfD}));
  EXPECT_EQ(r.Lane<double>(0), std::sqrt(2.0));
  EXPECT_TRUE(IsArithNaN64(r.Lane<uint64_t>(1)));

  // abs and neg only touch the sign bit, NaN payloads included.
  V128 bits = F32Bits({kNaN32Payload, kNegNaN32, kNegZero32, Bits(-3.0f)});
  EXPECT_EQ(simd::F32x4Abs(bits),
            F32Bits({kNaN32Payload, kNaN32, 0, Bits(3.0f)}));
  EXPECT_EQ(simd::F32x4Neg(bits),
            F32Bits({kNaN32Payload | 0x80000000, kNaN32, 0, Bits(3.0f)}));
  V128 bits64 = F64Bits({0xFFF8000000000001, Bits(2.0)});
  EXPECT_EQ(simd::F64x2Abs(bits64), F64Bits({0x7FF8000000000001, Bits(2.0)}));
  EXPECT_EQ(simd::F64x2Neg(bits64), F64Bits({0x7FF8000000000001, Bits(-2.0)}));
}

TEST(Simd, FloatMinMax) {
  V128 a = F32Bits({Bits(-0.0f), Bits(0.0f), kNaN32, Bits(1.0f)});
  V128 b = F32Bits({Bits(0.0f), Bits(-0.0f), Bits(1.0f), kSNaN32});
  V128 mn = simd::F32x4Min(a, b), mx = simd::F32x4Max(a, b);
  EXPECT_EQ(mn.Lane<uint32_t>(0), kNegZero32);
  EXPECT_EQ(mn.Lane<uint32_t>(1), kNegZero32);
  EXPECT_TRUE(IsArithNaN32(mn.Lane<uint32_t>(2)));
  EXPECT_TRUE(IsArithNaN32(mn.Lane<uint32_t>(3)));
  EXPECT_EQ(mx.Lane<uint32_t>(0), 0u);
  EXPECT_EQ(mx.Lane<uint32_t>(1), 0u);
  EXPECT_TRUE(IsArithNaN32(mx.Lane<uint32_t>(2)));
  EXPECT_TRUE(IsArithNaN32(mx.Lane<uint32_t>(3)));
  EXPECT_EQ(simd::F32x4Min(F32s({1, -kInf, 3, 5}), F32s({2, 0, -kInf, 5})),
            F32s({1, -kInf, -kInf, 5}));
  EXPECT_EQ(simd::F32x4Max(F32s({1, -kInf, 3, 5}), F32s({2, 0, -kInf, 5})),
            F32s({2, 0, 3, 5}));

  // pmin is `b < a ? b : a`, pmax is `a < b ? b : a`: ties and NaNs give a.
  EXPECT_EQ(simd::F32x4Pmin(a, b),
            F32Bits({Bits(-0.0f), Bits(0.0f), kNaN32, Bits(1.0f)}));
  EXPECT_EQ(simd::F32x4Pmax(a, b),
            F32Bits({Bits(-0.0f), Bits(0.0f), kNaN32, Bits(1.0f)}));
  EXPECT_EQ(simd::F32x4Pmin(F32s({1, 2, 3, 4}), F32s({2, 1, 3, -4})),
            F32s({1, 1, 3, -4}));
  EXPECT_EQ(simd::F32x4Pmax(F32s({1, 2, 3, 4}), F32s({2, 1, 3, -4})),
            F32s({2, 2, 3, 4}));
  EXPECT_EQ(simd::F32x4Pmin(F32Bits({Bits(1.0f), 0, 0, 0}),
                            F32Bits({kNaN32, 0, 0, 0}))
                .Lane<uint32_t>(0),
            Bits(1.0f));

  V128 c = F64Bits({kNegZero64, kNaN64});
  V128 d = F64Bits({0, Bits(1.0)});
  EXPECT_EQ(simd::F64x2Min(c, d).Lane<uint64_t>(0), kNegZero64);
  EXPECT_EQ(simd::F64x2Max(c, d).Lane<uint64_t>(0), 0u);
  EXPECT_EQ(simd::F64x2Max(d, c).Lane<uint64_t>(0), 0u);
  EXPECT_TRUE(IsArithNaN64(simd::F64x2Min(d, c).Lane<uint64_t>(1)));
  EXPECT_TRUE(IsArithNaN64(simd::F64x2Max(c, d).Lane<uint64_t>(1)));
  EXPECT_EQ(simd::F64x2Min(F64s({-1, 7}), F64s({1, 3})), F64s({-1, 3}));
  EXPECT_EQ(simd::F64x2Max(F64s({-1, 7}), F64s({1, 3})), F64s({1, 7}));
  EXPECT_EQ(simd::F64x2Pmin(c, d), F64Bits({kNegZero64, kNaN64}));
  EXPECT_EQ(simd::F64x2Pmax(d, c), F64Bits({0, Bits(1.0)}));
  EXPECT_EQ(simd::F64x2Pmin(F64s({2, 1}), F64s({1, 2})), F64s({1, 1}));
  EXPECT_EQ(simd::F64x2Pmax(F64s({2, 1}), F64s({1, 2})), F64s({2, 2}));
}

TEST(Simd, FloatRounding) {
  V128 a = F32s({1.5f, -1.5f, 2.5f, -0.5f});
  EXPECT_EQ(simd::F32x4Ceil(a), F32s({2.0f, -1.0f, 3.0f, -0.0f}));
  EXPECT_EQ(simd::F32x4Floor(a), F32s({1.0f, -2.0f, 2.0f, -1.0f}));
  EXPECT_EQ(simd::F32x4Trunc(a), F32s({1.0f, -1.0f, 2.0f, -0.0f}));
  EXPECT_EQ(simd::F32x4Nearest(a), F32s({2.0f, -2.0f, 2.0f, -0.0f}));
  // Negative zero results keep their sign (EXPECT_EQ compares bits).
  EXPECT_EQ(simd::F32x4Ceil(F32s({-0.7f, 0.3f, 8388609.0f, -kInf})),
            F32s({-0.0f, 1.0f, 8388609.0f, -kInf}));
  EXPECT_EQ(simd::F32x4Nearest(F32s({0.5f, 3.5f, -2.5f, 8388607.5f})),
            F32s({0.0f, 4.0f, -2.0f, 8388608.0f}));
  V128 n = simd::F32x4Floor(F32Bits({kNaN32, kSNaN32, 0, 0}));
  EXPECT_TRUE(IsArithNaN32(n.Lane<uint32_t>(0)));
  EXPECT_TRUE(IsArithNaN32(n.Lane<uint32_t>(1)));

  V128 b = F64s({2.5, -2.5});
  EXPECT_EQ(simd::F64x2Ceil(b), F64s({3.0, -2.0}));
  EXPECT_EQ(simd::F64x2Floor(b), F64s({2.0, -3.0}));
  EXPECT_EQ(simd::F64x2Trunc(b), F64s({2.0, -2.0}));
  EXPECT_EQ(simd::F64x2Nearest(b), F64s({2.0, -2.0}));
  EXPECT_EQ(simd::F64x2Nearest(F64s({-0.5, 4503599627370495.5})),
            F64s({-0.0, 4503599627370496.0}));
  EXPECT_EQ(simd::F64x2Trunc(F64s({-0.9, 1e300})), F64s({-0.0, 1e300}));
  EXPECT_TRUE(
      IsArithNaN64(simd::F64x2Ceil(F64Bits({kNaN64, 0})).Lane<uint64_t>(0)));
}

TEST(Simd, Conversions) {
  // trunc_sat: NaN -> 0, out of range -> the bound.
  V128 f = F32Bits({kNaN32, Bits(-1.9f), Bits(3e9f), Bits(-3e9f)});
  EXPECT_EQ(simd::I32x4TruncSatF32x4S(f), I32s({0, -1, INT32_MAX, INT32_MIN}));
  EXPECT_EQ(simd::I32x4TruncSatF32x4U(f), I32s({0, 0, 3000000000, 0}));
  EXPECT_EQ(simd::I32x4TruncSatF32x4S(
                F32s({2147483520.0f, 2147483648.0f, -2147483648.0f, 0.99f})),
            I32s({2147483520, INT32_MAX, INT32_MIN, 0}));
  EXPECT_EQ(simd::I32x4TruncSatF32x4U(
                F32s({4294967040.0f, 4294967296.0f, -0.99f, kInf})),
            I32s({4294967040, 0xFFFFFFFF, 0, 0xFFFFFFFF}));
  // The f64x2 forms zero the two upper lanes.
  EXPECT_EQ(simd::I32x4TruncSatF64x2SZero(F64s({-2147483648.9, 2147483647.9})),
            I32s({INT32_MIN, INT32_MAX, 0, 0}));
  EXPECT_EQ(simd::I32x4TruncSatF64x2SZero(F64s({-2147483649.0, 1e10})),
            I32s({INT32_MIN, INT32_MAX, 0, 0}));
  EXPECT_EQ(simd::I32x4TruncSatF64x2SZero(F64Bits({kNaN64, Bits(-kInfD)})),
            I32s({0, INT32_MIN, 0, 0}));
  EXPECT_EQ(simd::I32x4TruncSatF64x2UZero(F64s({4294967295.9, -0.5})),
            I32s({0xFFFFFFFF, 0, 0, 0}));
  EXPECT_EQ(simd::I32x4TruncSatF64x2UZero(F64s({4294967296.0, 123.9})),
            I32s({0xFFFFFFFF, 123, 0, 0}));

  EXPECT_EQ(simd::F32x4ConvertI32x4S(I32s({0, -1, INT32_MIN, 16777217})),
            F32s({0.0f, -1.0f, -2147483648.0f, 16777216.0f}));
  // Unsigned: correctly rounded to nearest-even, also above 2^31.
  EXPECT_EQ(simd::F32x4ConvertI32x4U(
                I32s({0xFFFFFFFF, 0x80000081, 0x80000181, 16777219})),
            F32s({4294967296.0f, 2147483904.0f, 2147484160.0f, 16777220.0f}));
  EXPECT_EQ(simd::F64x2ConvertLowI32x4S(I32s({-1, INT32_MIN, 5, 6})),
            F64s({-1.0, -2147483648.0}));
  EXPECT_EQ(simd::F64x2ConvertLowI32x4U(I32s({-1, INT32_MIN, 5, 6})),
            F64s({4294967295.0, 2147483648.0}));

  EXPECT_EQ(simd::F32x4DemoteF64x2Zero(F64s({1.0000000596046448, -1e300})),
            F32s({1.0f, -kInf, 0.0f, 0.0f})); // ties-to-even, overflow
  V128 dn = simd::F32x4DemoteF64x2Zero(F64Bits({kNaN64, kNegZero64}));
  EXPECT_TRUE(IsArithNaN32(dn.Lane<uint32_t>(0)));
  EXPECT_EQ(dn.Lane<uint32_t>(1), kNegZero32);
  EXPECT_EQ(simd::F64x2PromoteLowF32x4(F32s({0.1f, -kInf, 5.0f, 6.0f})),
            F64s({static_cast<double>(0.1f), -kInfD}));
  EXPECT_TRUE(
      IsArithNaN64(simd::F64x2PromoteLowF32x4(F32Bits({kNaN32, 0, 0, 0}))
                       .Lane<uint64_t>(0)));
}

// --- memory ------------------------------------------------------------------

TEST(Simd, LoadStore) {
  uint8_t mem[40];
  for (unsigned i = 0; i < 40; ++i)
    mem[i] = static_cast<uint8_t>(0xF0 + i);
  const uint8_t* p = mem + 3; // unaligned: bytes F3 F4 F5 ...
  EXPECT_EQ(simd::V128Load(p),
            Bytes({0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC,
                   0xFD, 0xFE, 0xFF, 0x00, 0x01, 0x02}));
  EXPECT_EQ(simd::V128Load8x8S(p), I16s({-13, -12, -11, -10, -9, -8, -7, -6}));
  EXPECT_EQ(simd::V128Load8x8U(p),
            I16s({0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA}));
  // p + 10 holds FD FE FF 00 01 02 03 04.
  EXPECT_EQ(simd::V128Load16x4S(p + 10), I32s({-259, 0xFF, 0x0201, 0x0403}));
  EXPECT_EQ(simd::V128Load16x4U(p + 10), I32s({0xFEFD, 0xFF, 0x0201, 0x0403}));
  EXPECT_EQ(simd::V128Load32x2S(p),
            I64s({(int32_t)0xF6F5F4F3, (int32_t)0xFAF9F8F7}));
  EXPECT_EQ(simd::V128Load32x2U(p), I64s({0xF6F5F4F3, 0xFAF9F8F7}));
  EXPECT_EQ(simd::V128Load8Splat(p), SplatI8(0xF3));
  EXPECT_EQ(simd::V128Load16Splat(p), SplatI16(0xF4F3));
  EXPECT_EQ(simd::V128Load32Splat(p), SplatI32(0xF6F5F4F3));
  EXPECT_EQ(simd::V128Load64Splat(p), SplatI64(0xFAF9F8F7F6F5F4F3));
  EXPECT_EQ(simd::V128Load32Zero(p), I32s({0xF6F5F4F3, 0, 0, 0}));
  EXPECT_EQ(simd::V128Load64Zero(p), I64s({(int64_t)0xFAF9F8F7F6F5F4F3, 0}));

  uint8_t out[20] = {};
  V128 v = Bytes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  simd::V128Store(out + 1, v);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(std::memcmp(out + 1, v.bytes, 16), 0);
  EXPECT_EQ(out[17], 0);
}

TEST(Simd, LoadStoreLane) {
  const uint8_t src[8] = {0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8};
  V128 v = Bytes({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
  EXPECT_EQ(simd::V128Load8Lane(src, v, 15),
            Bytes({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xA1}));
  EXPECT_EQ(
      simd::V128Load16Lane(src, v, 1),
      Bytes({0, 1, 0xA1, 0xA2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(
      simd::V128Load32Lane(src, v, 3),
      Bytes({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0xA1, 0xA2, 0xA3, 0xA4}));
  EXPECT_EQ(simd::V128Load64Lane(src, v, 0),
            Bytes({0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 8, 9, 10, 11,
                   12, 13, 14, 15}));

  uint8_t out[10];
  auto reset = [&] { std::memset(out, 0xEE, sizeof out); };
  reset();
  simd::V128Store8Lane(out + 1, v, 9);
  EXPECT_EQ(out[0], 0xEE);
  EXPECT_EQ(out[1], 9);
  EXPECT_EQ(out[2], 0xEE);
  reset();
  simd::V128Store16Lane(out + 1, v, 7);
  EXPECT_EQ(out[1], 14);
  EXPECT_EQ(out[2], 15);
  EXPECT_EQ(out[3], 0xEE);
  reset();
  simd::V128Store32Lane(out + 1, v, 2);
  EXPECT_EQ(out[1], 8);
  EXPECT_EQ(out[4], 11);
  EXPECT_EQ(out[5], 0xEE);
  reset();
  simd::V128Store64Lane(out + 1, v, 1);
  EXPECT_EQ(out[0], 0xEE);
  EXPECT_EQ(std::memcmp(out + 1, v.bytes + 8, 8), 0);
  EXPECT_EQ(out[9], 0xEE);
}

} // namespace
} // namespace weft
