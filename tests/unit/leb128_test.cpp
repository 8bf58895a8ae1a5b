#include "wasm/leb128.h"

#include <gtest/gtest.h>

#include <vector>

namespace weft {
namespace {

struct U {
  std::vector<uint8_t> bytes;
  unsigned bits;
  LebError err;
  uint64_t value;
};

TEST(Leb128, Unsigned) {
  const U cases[] = {
      {{0x00}, 32, LebError::None, 0},
      {{0x7F}, 32, LebError::None, 127},
      {{0x80, 0x01}, 32, LebError::None, 128},
      {{0xE5, 0x8E, 0x26}, 32, LebError::None, 624485},
      {{0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 32, LebError::None, 0xFFFFFFFFu},
      {{0xFF, 0xFF, 0xFF, 0xFF, 0x1F}, 32, LebError::TooLarge, 0},
      {{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 32, LebError::TooLong, 0},
      {{0x80, 0x80}, 32, LebError::Truncated, 0},
      {{}, 32, LebError::Truncated, 0},
      {{0x83, 0x80, 0x80, 0x80, 0x00}, 32, LebError::None, 3},
      {{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01},
       64,
       LebError::None,
       ~uint64_t{0}},
      {{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02},
       64,
       LebError::TooLarge,
       0},
      {{0x02}, 1, LebError::TooLarge, 0},
      {{0x01}, 1, LebError::None, 1},
  };
  for (const U& c : cases) {
    const uint8_t* p = c.bytes.data();
    uint64_t v = 12345;
    LebError e = ReadUleb(&p, c.bytes.data() + c.bytes.size(), c.bits, &v);
    EXPECT_EQ(e, c.err) << "case of " << c.bytes.size() << " bytes";
    if (c.err == LebError::None) {
      EXPECT_EQ(v, c.value);
      EXPECT_EQ(p, c.bytes.data() + c.bytes.size());
    } else {
      EXPECT_EQ(p, c.bytes.data()) << "must not advance on error";
    }
  }
}

struct S {
  std::vector<uint8_t> bytes;
  unsigned bits;
  LebError err;
  int64_t value;
};

TEST(Leb128, Signed) {
  const S cases[] = {
      {{0x00}, 32, LebError::None, 0},
      {{0x7F}, 32, LebError::None, -1},
      {{0x3F}, 32, LebError::None, 63},
      {{0x40}, 32, LebError::None, -64},
      {{0xC0, 0xBB, 0x78}, 32, LebError::None, -123456},
      {{0xFF, 0xFF, 0xFF, 0xFF, 0x07}, 32, LebError::None, 0x7FFFFFFF},
      {{0x80, 0x80, 0x80, 0x80, 0x78}, 32, LebError::None, INT32_MIN},
      // Unused bits must match the sign.
      {{0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 32, LebError::TooLarge, 0},
      {{0x80, 0x80, 0x80, 0x80, 0x70}, 32, LebError::TooLarge, 0},
      {{0xFF, 0xFF, 0xFF, 0xFF, 0x7F}, 32, LebError::None, -1},
      {{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}, 32, LebError::TooLong, 0},
      {{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F},
       64,
       LebError::None,
       INT64_MIN},
      {{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
       64,
       LebError::TooLarge,
       0},
      {{0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 33, LebError::None, 0xFFFFFFFFll},
      {{0xFF, 0xFF, 0xFF, 0xFF, 0x1F}, 33, LebError::TooLarge, 0},
      {{0xFF, 0xFF, 0xFF, 0xFF, 0x7F}, 33, LebError::None, -1},
      {{0x80, 0x80}, 64, LebError::Truncated, 0},
  };
  for (const S& c : cases) {
    const uint8_t* p = c.bytes.data();
    int64_t v = 12345;
    LebError e = ReadSleb(&p, c.bytes.data() + c.bytes.size(), c.bits, &v);
    EXPECT_EQ(e, c.err) << "case of " << c.bytes.size() << " bytes";
    if (c.err == LebError::None) {
      EXPECT_EQ(v, c.value);
    }
  }
}

} // namespace
} // namespace weft
