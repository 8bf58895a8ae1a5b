#include "wasm/opcode.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace weft {
namespace {

TEST(Opcode, TableIsConsistent) {
  // Every row round-trips through the decoder lookups, and encodings and
  // (name, immediate) pairs are unique.
  std::set<std::pair<unsigned, unsigned>> encodings;
  for (unsigned i = 0; i < kOpcodeCount; ++i) {
    Opcode op = static_cast<Opcode>(i);
    const OpcodeInfo& info = GetOpcodeInfo(op);
    EXPECT_TRUE(encodings.insert({info.prefix, info.code}).second)
        << info.name << " has a duplicate encoding";
    std::optional<Opcode> back =
        info.prefix == 0 ? LookupOpcode(static_cast<uint8_t>(info.code))
                         : LookupPrefixedOpcode(info.prefix, info.code);
    ASSERT_TRUE(back.has_value()) << info.name;
    EXPECT_EQ(*back, op) << info.name;
  }
}

TEST(Opcode, KnownRows) {
  EXPECT_STREQ(OpcodeName(Opcode::I32Add), "i32.add");
  const OpcodeInfo& add = GetOpcodeInfo(Opcode::I32Add);
  EXPECT_EQ(add.code, 0x6Au);
  EXPECT_FALSE(add.sig.special);
  EXPECT_EQ(add.sig.num_params, 2);
  EXPECT_EQ(add.sig.num_results, 1);
  EXPECT_EQ(add.sig.result, ValType::I32);

  const OpcodeInfo& st = GetOpcodeInfo(Opcode::I64Store32);
  EXPECT_EQ(st.mem_bytes, 4);
  EXPECT_EQ(st.sig.num_results, 0);
  EXPECT_EQ(st.sig.params[1], ValType::I64);

  EXPECT_EQ(*LookupPrefixedOpcode(0xFD, 0xFF), Opcode::F64x2ConvertLowI32x4U);
  EXPECT_EQ(*LookupPrefixedOpcode(0xFC, 17), Opcode::TableFill);
  EXPECT_FALSE(LookupOpcode(0x06).has_value());
  EXPECT_FALSE(LookupPrefixedOpcode(0xFD, 0x9A).has_value());
  EXPECT_FALSE(LookupPrefixedOpcode(0xFC, 18).has_value());
  EXPECT_FALSE(LookupPrefixedOpcode(0xFD, 1000).has_value());
  EXPECT_TRUE(GetOpcodeInfo(Opcode::Block).sig.special);
  EXPECT_EQ(GetOpcodeInfo(Opcode::V128Bitselect).sig.num_params, 3);
}

TEST(Opcode, SimdCount) {
  unsigned simd = 0;
  for (unsigned i = 0; i < kOpcodeCount; ++i)
    if (GetOpcodeInfo(static_cast<Opcode>(i)).prefix == 0xFD) ++simd;
  EXPECT_EQ(simd, 236u); // the fixed-width SIMD proposal's instruction count
}

} // namespace
} // namespace weft
