#include "wasm/decoder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <initializer_list>
#include <string>
#include <vector>

namespace weft {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes Leb(uint64_t v) {
  Bytes out;
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v != 0) b |= 0x80;
    out.push_back(b);
  } while (v != 0);
  return out;
}

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes Header() { return {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}; }

Bytes Sec(uint8_t id, const Bytes& payload) {
  return Cat({{id}, Leb(payload.size()), payload});
}

Bytes Mod(std::initializer_list<Bytes> sections) {
  Bytes out = Header();
  for (const Bytes& s : sections)
    out.insert(out.end(), s.begin(), s.end());
  return out;
}

// A body: locals bytes (starting with the group count), then code.
Bytes Body(const Bytes& locals, const Bytes& code) {
  Bytes content = Cat({locals, code});
  return Cat({Leb(content.size()), content});
}

const Bytes kOneVoidType = Sec(1, {0x01, 0x60, 0x00, 0x00});
const Bytes kOneFunc = Sec(3, {0x01, 0x00});

// A module with one `() -> ()` function whose body is `code`.
Bytes FuncModule(const Bytes& code, const Bytes& extra_before_code = {}) {
  return Cat({Header(), kOneVoidType, kOneFunc, extra_before_code,
              Sec(10, Cat({{0x01}, Body({0x00}, code)}))});
}

Error DecodeError(const Bytes& bytes, const DecodeLimits& limits = {}) {
  Result<Module> m = Decode(bytes, limits);
  EXPECT_FALSE(m.ok()) << "decoded unexpectedly";
  if (m.ok()) return Error{};
  return m.error();
}

Module DecodeOk(const Bytes& bytes) {
  Result<Module> m = Decode(bytes);
  EXPECT_TRUE(m.ok()) << m.error().Describe();
  if (!m.ok()) return Module{};
  return std::move(m).value();
}

TEST(Decoder, EmptyModule) {
  Module m = DecodeOk(Header());
  EXPECT_TRUE(m.types.empty());
  EXPECT_TRUE(m.functions.empty());
  EXPECT_FALSE(m.start.has_value());
  EXPECT_FALSE(m.data_count.has_value());
}

TEST(Decoder, TruncatedModule) {
  for (size_t n = 0; n < 8; ++n) {
    Bytes b = Header();
    b.resize(n);
    Error e = DecodeError(b);
    EXPECT_EQ(e.message, "unexpected end") << n;
    EXPECT_EQ(e.offset, n) << n;
  }
  // A truncated section header is at module level, a truncated section body
  // inside the section.
  Error e = DecodeError(Cat({Header(), {0x01}}));
  EXPECT_EQ(e.message, "unexpected end");
  EXPECT_EQ(e.offset, 9u);
  e = DecodeError(Cat({Header(), {0x01, 0x03, 0x01, 0x60, 0x00}}));
  EXPECT_EQ(e.message, "unexpected end of section or function");
  EXPECT_EQ(e.offset, 13u);
}

TEST(Decoder, TruncatedInsideSection) {
  // Type section of size 4 declaring 2 types but holding one, at module end.
  Error e = DecodeError(Cat({Header(), {0x01, 0x04, 0x02, 0x60, 0x00, 0x00}}));
  EXPECT_EQ(e.message, "unexpected end of section or function");
  EXPECT_EQ(e.offset, 14u);
  EXPECT_EQ(e.context, "type section, type 1");
}

TEST(Decoder, BadMagicAndVersion) {
  Bytes b = Header();
  b[1] = 'b';
  Error e = DecodeError(b);
  EXPECT_EQ(e.message, "magic header not detected");
  EXPECT_EQ(e.offset, 0u);
  b = Header();
  b[4] = 0x02;
  e = DecodeError(b);
  EXPECT_EQ(e.message, "unknown binary version");
  EXPECT_EQ(e.offset, 4u);
}

TEST(Decoder, BadLeb) {
  // Type count with a sixth byte.
  Error e = DecodeError(Mod({Sec(1, {0x80, 0x80, 0x80, 0x80, 0x80, 0x00})}));
  EXPECT_EQ(e.message, "integer representation too long");
  EXPECT_EQ(e.offset, 10u);
  EXPECT_EQ(e.context, "type section");
  // Unused bits set in the fifth byte.
  e = DecodeError(Mod({Sec(1, {0x80, 0x80, 0x80, 0x80, 0x70})}));
  EXPECT_EQ(e.message, "integer too large");
  EXPECT_EQ(e.offset, 10u);
  // i32.const with unused bits in the last byte, in a body.
  e = DecodeError(FuncModule({0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x1A, 0x0B}));
  EXPECT_EQ(e.message, "integer too large");
  EXPECT_EQ(e.context, "code section, function 0");
}

TEST(Decoder, SectionOrder) {
  // function before type
  Error e = DecodeError(Mod({kOneFunc, kOneVoidType}));
  EXPECT_EQ(e.message.rfind("unexpected content after last section", 0), 0u)
      << e.message;
  EXPECT_EQ(e.offset, 12u); // the type section's id byte
  // duplicate
  e = DecodeError(Mod({kOneVoidType, kOneVoidType}));
  EXPECT_EQ(e.message.rfind("unexpected content after last section", 0), 0u);
  EXPECT_EQ(e.offset, 14u);
  // data count belongs before code, after element
  Bytes code = Sec(10, {0x00});
  Bytes dc = Sec(12, {0x00});
  DecodeOk(Mod({dc, code}));
  e = DecodeError(Mod({code, dc}));
  EXPECT_EQ(e.message.rfind("unexpected content after last section", 0), 0u);
  e = DecodeError(Mod({dc, Sec(9, {0x00})}));
  EXPECT_EQ(e.message.rfind("unexpected content after last section", 0), 0u);
  // custom sections anywhere, recorded
  Module m = DecodeOk(Mod({Sec(0, {0x01, 'a', 0x07, 0x08}), kOneVoidType,
                           Sec(0, {0x02, 'b', 'c'})}));
  ASSERT_EQ(m.customs.size(), 2u);
  EXPECT_EQ(m.customs[0].name, "a");
  EXPECT_EQ(m.customs[0].offset, 12u);
  EXPECT_EQ(m.customs[0].size, 2u);
  EXPECT_EQ(m.customs[1].name, "bc");
  EXPECT_EQ(m.customs[1].size, 0u);
  // unknown section id
  e = DecodeError(Mod({Sec(13, {})}));
  EXPECT_EQ(e.message, "malformed section id");
  EXPECT_EQ(e.offset, 8u);
}

TEST(Decoder, SectionSizeMismatch) {
  // One type declared, section one byte longer than it.
  Error e = DecodeError(Mod({Sec(1, {0x01, 0x60, 0x00, 0x00, 0x00})}));
  EXPECT_EQ(e.message, "section size mismatch");
  EXPECT_EQ(e.offset, 14u);
  // Section size beyond the module.
  e = DecodeError(Cat({Header(), {0x01, 0x09, 0x01, 0x60, 0x00, 0x00}}));
  EXPECT_EQ(e.message, "length out of bounds");
  EXPECT_EQ(e.offset, 9u);
  // Function body shorter than its content.
  Bytes code = Sec(10, {0x01, 0x02, 0x00, 0x01, 0x0B});
  e = DecodeError(Mod({kOneVoidType, kOneFunc, code}));
  EXPECT_EQ(e.message.rfind("section size mismatch", 0), 0u) << e.message;
  EXPECT_EQ(e.context, "code section, function 0");
}

TEST(Decoder, AbsurdCountsFailFast) {
  auto start = std::chrono::steady_clock::now();
  // 4 billion functions in a tiny module.
  Error e = DecodeError(Mod({Sec(3, {0xFF, 0xFF, 0xFF, 0xFF, 0x0F})}));
  EXPECT_EQ(e.message, "length out of bounds");
  EXPECT_EQ(e.offset, 10u);
  // 4 billion types, imports, code bodies, br_table targets, locals.
  for (uint8_t id : {1, 2, 4, 5, 6, 7, 9, 10, 11}) {
    e = DecodeError(Mod({Sec(id, {0xFF, 0xFF, 0xFF, 0xFF, 0x0F})}));
    EXPECT_EQ(e.message, "length out of bounds") << int(id);
  }
  e = DecodeError(FuncModule({0x0E, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x0B}));
  EXPECT_EQ(e.message, "length out of bounds");
  Bytes locals = {0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F,
                  0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7E};
  Bytes bad_locals = Mod(
      {kOneVoidType, kOneFunc, Sec(10, Cat({{0x01}, Body(locals, {0x0B})}))});
  e = DecodeError(bad_locals);
  EXPECT_EQ(e.message.rfind("too many locals", 0), 0u) << e.message;
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(1));

  // The configurable limits apply before anything is allocated.
  DecodeLimits limits;
  limits.max_functions = 3;
  limits.max_types = 1;
  limits.max_locals = 10;
  e = DecodeError(Mod({Sec(3, {0x04, 0x00, 0x00, 0x00, 0x00})}), limits);
  EXPECT_EQ(e.message.find("function count 4 exceeds"), 0u) << e.message;
  e = DecodeError(Mod({Sec(1, {0x02, 0x60, 0x00, 0x00, 0x60, 0x00, 0x00})}),
                  limits);
  EXPECT_EQ(e.message.find("type count 2 exceeds"), 0u) << e.message;
  Bytes eleven_locals = Mod(
      {kOneVoidType, kOneFunc,
       Sec(10, Cat({{0x01}, Body({0x02, 0x05, 0x7F, 0x06, 0x7E}, {0x0B})}))});
  e = DecodeError(eleven_locals, limits);
  EXPECT_EQ(e.message.rfind("too many locals", 0), 0u) << e.message;
  limits.max_module_bytes = 7;
  e = DecodeError(Header(), limits);
  EXPECT_NE(e.message.find("limit"), std::string::npos);
}

TEST(Decoder, BadOpcode) {
  // Offsets: header 8, type 6, func 4, code id+size 2, count 1, body size 1,
  // locals 1: the body's first opcode is at 23.
  Error e = DecodeError(FuncModule({0x01, 0xFF, 0x0B}));
  EXPECT_EQ(e.message.rfind("illegal opcode", 0), 0u) << e.message;
  EXPECT_EQ(e.offset, 24u);
  EXPECT_EQ(e.context, "code section, function 0");
  EXPECT_NE(e.Describe().find("code section, function 0"), std::string::npos);
  // Unknown prefixed opcodes.
  e = DecodeError(FuncModule({0xFC, 0x12, 0x0B}));
  EXPECT_EQ(e.message.rfind("illegal opcode", 0), 0u);
  EXPECT_EQ(e.offset, 23u);
  e = DecodeError(FuncModule({0xFD, 0x80, 0x02, 0x0B}));
  EXPECT_EQ(e.message.rfind("illegal opcode", 0), 0u);
  // The function index counts imported functions.
  Bytes import = Sec(2, {0x01, 0x01, 'm', 0x01, 'f', 0x00, 0x00});
  e = DecodeError(Cat({Header(), kOneVoidType, import, kOneFunc,
                       Sec(10, Cat({{0x01}, Body({0x00}, {0x06, 0x0B})}))}));
  EXPECT_EQ(e.context, "code section, function 1");
}

TEST(Decoder, ControlStructure) {
  // block (if (i32.const 1) nop else nop end) end, loop end, end
  Module m = DecodeOk(FuncModule({0x02, 0x40, // 0 block
                                  0x41, 0x01, // 1 i32.const 1
                                  0x04, 0x7F, // 2 if (result i32)
                                  0x41, 0x02, // 3
                                  0x05,       // 4 else
                                  0x41, 0x03, // 5
                                  0x0B,       // 6 end (if)
                                  0x1A,       // 7 drop
                                  0x0B,       // 8 end (block)
                                  0x03, 0x00, // 9 loop type 0
                                  0x0B,       // 10 end
                                  0x0B}));    // 11 end (func)
  ASSERT_EQ(m.functions.size(), 1u);
  const std::vector<Instr>& c = m.functions[0].code;
  ASSERT_EQ(c.size(), 12u);
  EXPECT_EQ(c[0].op, Opcode::Block);
  EXPECT_EQ(c[0].block.kind, BlockType::Kind::Empty);
  EXPECT_EQ(c[0].end_index, 8u);
  EXPECT_EQ(c[0].else_index, 0u);
  EXPECT_EQ(c[2].op, Opcode::If);
  EXPECT_EQ(c[2].block.kind, BlockType::Kind::Value);
  EXPECT_EQ(c[2].block.value, ValType::I32);
  EXPECT_EQ(c[2].else_index, 4u);
  EXPECT_EQ(c[2].end_index, 6u);
  EXPECT_EQ(c[4].op, Opcode::Else);
  EXPECT_EQ(c[9].op, Opcode::Loop);
  EXPECT_EQ(c[9].block.kind, BlockType::Kind::TypeIndex);
  EXPECT_EQ(c[9].block.type_index, 0u);
  EXPECT_EQ(c[9].end_index, 10u);
  EXPECT_EQ(c[11].op, Opcode::End);
  EXPECT_EQ(c[0].offset, 23u);
  EXPECT_EQ(c[1].offset, 25u);
  EXPECT_EQ(m.functions[0].body_offset, 21u);
  EXPECT_EQ(m.functions[0].body_size, 19u);
}

TEST(Decoder, MalformedControl) {
  // else outside an if, a second else, end missing, negative block type
  Error e = DecodeError(FuncModule({0x02, 0x40, 0x05, 0x0B, 0x0B}));
  EXPECT_EQ(e.message, "END opcode expected");
  EXPECT_EQ(e.offset, 25u);
  e = DecodeError(FuncModule({0x41, 0x00, 0x04, 0x40, 0x05, 0x05, 0x0B, 0x0B}));
  EXPECT_EQ(e.message, "END opcode expected");
  e = DecodeError(FuncModule({0x05, 0x0B}));
  EXPECT_EQ(e.message, "END opcode expected");
  e = DecodeError(FuncModule({0x02, 0x40, 0x0B}));
  EXPECT_EQ(e.message, "unexpected end of section or function");
  e = DecodeError(FuncModule({0x02, 0xC0, 0x7F, 0x0B, 0x0B}));
  EXPECT_EQ(e.message, "malformed block type");
  e = DecodeError(FuncModule({0x02, 0x7A, 0x0B, 0x0B}));
  EXPECT_EQ(e.message, "malformed value type");
  // An extra end: the function closes early and the body size disagrees.
  e = DecodeError(FuncModule({0x0B, 0x0B}));
  EXPECT_EQ(e.message.rfind("section size mismatch", 0), 0u);
}

TEST(Decoder, DeepNestingDoesNotRecurse) {
  const size_t depth = 200000;
  Bytes code;
  for (size_t i = 0; i < depth; ++i)
    code.insert(code.end(), {0x02, 0x40});
  code.insert(code.end(), depth + 1, 0x0B);
  Module m = DecodeOk(FuncModule(code));
  const std::vector<Instr>& c = m.functions[0].code;
  ASSERT_EQ(c.size(), 2 * depth + 1);
  EXPECT_EQ(c[0].end_index, 2 * depth - 1);
  EXPECT_EQ(c[depth - 1].end_index, depth);
}

TEST(Decoder, Immediates) {
  Bytes v128 = {0xFD, 0x0C}, shuffle = {0xFD, 0x0D};
  for (uint8_t i = 1; i <= 16; ++i)
    v128.push_back(i);
  for (uint8_t i = 0; i < 16; ++i)
    shuffle.push_back(i == 1 ? 17 : i);
  shuffle.back() = 31;
  Bytes code = Cat({
      {0x0E, 0x02, 0x00, 0x01, 0x02}, // br_table 0 1 (2)
      {0x28, 0x02, 0x80, 0x01},       // i32.load align=2 offset=128
      v128,                           // v128.const 1..16
      shuffle,                        // i8x16.shuffle 0 17 2 .. 14 31
      {0xFD, 0x15, 0x07},             // i8x16.extract_lane_s 7
      {0xFD, 0x54, 0x00, 0x10, 0x03}, // v128.load8_lane offset=16 lane 3
      {0x1C, 0x01, 0x7E},             // select (result i64)
      {0xD0, 0x6F},                   // ref.null extern
      {0x3F, 0x00},                   // memory.size
      {0x42, 0x7F},                   // i64.const -1
      {0x43, 0x00, 0x00, 0x80, 0x3F}, // f32.const 1.0
      {0x11, 0x05, 0x01},             // call_indirect type 5 table 1
      {0xFC, 0x0C, 0x03, 0x01},       // table.init elem 3 table 1
      {0xFC, 0x0E, 0x04, 0x02},       // table.copy 4 2
      {0xFC, 0x0A, 0x00, 0x00},       // memory.copy
      {0xFC, 0x08, 0x00, 0x00},       // memory.init 0
      {0x0B},
  });
  Bytes data = Sec(11, {0x01, 0x01, 0x00}); // one passive segment
  Module m = DecodeOk(Cat({FuncModule(code, Sec(12, {0x01})), data}));
  const Function& f = m.functions[0];
  const std::vector<Instr>& c = f.code;
  ASSERT_EQ(c.size(), 17u);
  EXPECT_EQ(c[0].op, Opcode::BrTable);
  EXPECT_EQ(c[0].a, 0u);
  EXPECT_EQ(c[0].c, 2u);
  EXPECT_EQ(f.br_targets, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(c[1].op, Opcode::I32Load);
  EXPECT_EQ(c[1].a, 2u);
  EXPECT_EQ(c[1].b, 128u);
  EXPECT_EQ(c[2].op, Opcode::V128Const);
  ASSERT_EQ(f.v128_consts.size(), 2u);
  EXPECT_EQ(f.v128_consts[c[2].a].bytes[0], 1);
  EXPECT_EQ(f.v128_consts[c[2].a].bytes[15], 16);
  EXPECT_EQ(c[3].op, Opcode::I8x16Shuffle);
  EXPECT_EQ(f.v128_consts[c[3].a].bytes[1], 17);
  EXPECT_EQ(f.v128_consts[c[3].a].bytes[15], 31);
  EXPECT_EQ(c[4].op, Opcode::I8x16ExtractLaneS);
  EXPECT_EQ(c[4].lane, 7);
  EXPECT_EQ(c[5].op, Opcode::V128Load8Lane);
  EXPECT_EQ(c[5].a, 0u);
  EXPECT_EQ(c[5].b, 16u);
  EXPECT_EQ(c[5].lane, 3);
  EXPECT_EQ(c[6].op, Opcode::SelectT);
  EXPECT_EQ(c[6].a, 0x7Eu);
  EXPECT_EQ(c[6].c, 1u);
  EXPECT_EQ(c[7].op, Opcode::RefNull);
  EXPECT_EQ(c[7].a, 0x6Fu);
  EXPECT_EQ(c[8].op, Opcode::MemorySize);
  EXPECT_EQ(c[9].b, ~uint64_t{0});
  EXPECT_EQ(c[10].b, 0x3F800000u);
  EXPECT_EQ(c[11].a, 5u);
  EXPECT_EQ(c[11].c, 1u);
  EXPECT_EQ(c[12].op, Opcode::TableInit);
  EXPECT_EQ(c[12].a, 3u);
  EXPECT_EQ(c[12].c, 1u);
  EXPECT_EQ(c[13].op, Opcode::TableCopy);
  EXPECT_EQ(c[13].a, 4u);
  EXPECT_EQ(c[13].c, 2u);
  EXPECT_EQ(c[14].op, Opcode::MemoryCopy);
  EXPECT_EQ(c[15].op, Opcode::MemoryInit);
  EXPECT_EQ(c[15].a, 0u);
  EXPECT_EQ(m.data_count, 1u);
}

TEST(Decoder, ZeroBytesAndDataCount) {
  Error e = DecodeError(FuncModule({0x41, 0x00, 0x40, 0x01, 0x1A, 0x0B}));
  EXPECT_EQ(e.message, "zero byte expected");
  EXPECT_EQ(e.offset, 26u);
  e = DecodeError(FuncModule({0xFC, 0x0B, 0x01, 0x0B}));
  EXPECT_EQ(e.message, "zero byte expected");
  // memory.init / data.drop need a data count section when the module has
  // data segments; without any, the module is well-formed but invalid
  // ("unknown data segment", the validator's job), as memory_init.wast has it.
  e = DecodeError(
      Cat({FuncModule({0xFC, 0x09, 0x00, 0x0B}), Sec(11, {0x01, 0x01, 0x00})}));
  EXPECT_EQ(e.message, "data count section required");
  DecodeOk(FuncModule({0xFC, 0x09, 0x00, 0x0B}));
  DecodeOk(FuncModule({0xFC, 0x09, 0x00, 0x0B}, Sec(12, {0x00})));
  e = DecodeError(Mod({Sec(12, {0x02}), Sec(11, {0x01, 0x01, 0x00})}));
  EXPECT_EQ(e.message, "data count and data section have inconsistent lengths");
}

TEST(Decoder, FunctionAndCodeCounts) {
  Error e = DecodeError(Mod({kOneVoidType, kOneFunc}));
  EXPECT_EQ(
      e.message.rfind("function and code section have inconsistent lengths", 0),
      0u);
  e = DecodeError(
      Mod({kOneVoidType, Sec(10, Cat({{0x01}, Body({0x00}, {0x0B})}))}));
  EXPECT_EQ(
      e.message.rfind("function and code section have inconsistent lengths", 0),
      0u);
}

TEST(Decoder, TypesImportsExports) {
  Bytes types = Sec(1, {0x02, 0x60, 0x02, 0x7F, 0x7B, 0x01, 0x70,   // type 0
                        0x60, 0x00, 0x02, 0x6F, 0x7C});             // type 1
  Bytes imports = Sec(2, {0x04, 0x01, 'm',  0x01, 'f',  0x00, 0x01, // func
                          0x01, 'm',  0x01, 't',  0x01, 0x70, 0x01, 0x02,
                          0x03, 0x01, 'm',  0x02, 0xC3, 0xA9, 0x02, 0x00,
                          0x05, 0x01, 'm',  0x01, 'g',  0x03, 0x7E, 0x01});
  Bytes exports = Sec(7, {0x01, 0x01, 'x', 0x02, 0x00});
  Module m = DecodeOk(Mod({types, imports, exports}));
  ASSERT_EQ(m.types.size(), 2u);
  EXPECT_EQ(m.types[0].params,
            (std::vector<ValType>{ValType::I32, ValType::V128}));
  EXPECT_EQ(m.types[0].results, (std::vector<ValType>{ValType::FuncRef}));
  EXPECT_EQ(m.types[1].results,
            (std::vector<ValType>{ValType::ExternRef, ValType::F64}));
  ASSERT_EQ(m.imports.size(), 4u);
  EXPECT_EQ(m.imports[0].func_type, 1u);
  EXPECT_EQ(m.imports[1].table.limits.min, 2u);
  EXPECT_EQ(m.imports[1].table.limits.max, 3u);
  EXPECT_EQ(m.imports[2].name, "\xC3\xA9");
  EXPECT_FALSE(m.imports[2].memory.limits.max.has_value());
  EXPECT_EQ(m.imports[2].memory.limits.min, 5u);
  EXPECT_EQ(m.imports[3].global.type, ValType::I64);
  EXPECT_TRUE(m.imports[3].global.mut);
  EXPECT_EQ(m.num_imported_funcs, 1u);
  EXPECT_EQ(m.num_imported_tables, 1u);
  EXPECT_EQ(m.num_imported_memories, 1u);
  EXPECT_EQ(m.num_imported_globals, 1u);
  ASSERT_EQ(m.exports.size(), 1u);
  EXPECT_EQ(m.exports[0].kind, ExternKind::Memory);

  Error e = DecodeError(Mod({Sec(1, {0x01, 0x61, 0x00, 0x00})}));
  EXPECT_EQ(e.message, "malformed function type");
  e = DecodeError(Mod({Sec(1, {0x01, 0x60, 0x01, 0x40, 0x00})}));
  EXPECT_EQ(e.message, "malformed value type");
  e = DecodeError(Mod({Sec(2, {0x01, 0x01, 'm', 0x01, 'f', 0x04, 0x00})}));
  EXPECT_EQ(e.message, "malformed import kind");
  EXPECT_EQ(e.offset, 15u);
  e = DecodeError(Mod({Sec(7, {0x01, 0x01, 'x', 0x04, 0x00})}));
  EXPECT_EQ(e.message, "malformed export kind");
  e = DecodeError(Mod({Sec(5, {0x01, 0x02, 0x00})}));
  EXPECT_EQ(e.message, "integer too large"); // limits flag 2
  e = DecodeError(Mod({Sec(4, {0x01, 0x7F, 0x00, 0x00})}));
  EXPECT_EQ(e.message, "malformed reference type");
  e = DecodeError(Mod({Sec(6, {0x01, 0x7F, 0x02, 0x41, 0x00, 0x0B})}));
  EXPECT_EQ(e.message, "malformed mutability");
}

TEST(Decoder, Utf8Names) {
  auto export_named = [](Bytes name) {
    return Mod({Sec(7, Cat({{0x01}, Leb(name.size()), name, {0x00, 0x00}}))});
  };
  DecodeOk(export_named({0xF0, 0x9F, 0x98, 0x80})); // U+1F600
  DecodeOk(export_named({0xEF, 0xBF, 0xBF}));       // U+FFFF
  for (Bytes bad : {Bytes{0x80}, Bytes{0xC0, 0x80}, Bytes{0xE0, 0x80, 0x80},
                    Bytes{0xED, 0xA0, 0x80}, Bytes{0xF4, 0x90, 0x80, 0x80},
                    Bytes{0xF8, 0x88, 0x80, 0x80, 0x80}, Bytes{0xE2, 0x82},
                    Bytes{0xC2, 0x41}}) {
    Error e = DecodeError(export_named(bad));
    EXPECT_EQ(e.message, "malformed UTF-8 encoding");
    EXPECT_EQ(e.offset, 11u);
  }
  Error e = DecodeError(Mod({Sec(0, {0x01, 0xFF})}));
  EXPECT_EQ(e.message, "malformed UTF-8 encoding");
}

TEST(Decoder, GlobalsWithVectorInit) {
  Bytes v = {0x7B, 0x00, 0xFD, 0x0C};
  for (int i = 0; i < 16; ++i)
    v.push_back(static_cast<uint8_t>(0xA0 + i));
  v.push_back(0x0B);
  Module m = DecodeOk(Mod({Sec(6, Cat({{0x01}, v}))}));
  ASSERT_EQ(m.globals.size(), 1u);
  const ConstExpr& init = m.globals[0].init;
  ASSERT_EQ(init.code.size(), 2u);
  EXPECT_EQ(init.code[0].op, Opcode::V128Const);
  ASSERT_EQ(init.v128_consts.size(), 1u);
  EXPECT_EQ(init.v128_consts[init.code[0].a].bytes[15], 0xAF);
  EXPECT_EQ(init.code[1].op, Opcode::End);
}

TEST(Decoder, ElementSegments) {
  const Bytes off = {0x41, 0x00, 0x0B};      // i32.const 0
  const Bytes expr = {0xD2, 0x00, 0x0B};     // ref.func 0
  const Bytes null_ext = {0xD0, 0x6F, 0x0B}; // ref.null extern
  Bytes payload = Cat({{0x08},
                       {0x00},
                       off,
                       {0x02, 0x00, 0x01},       // 0
                       {0x01, 0x00, 0x01, 0x02}, // 1
                       {0x02, 0x03},
                       off,
                       {0x00, 0x01, 0x04},       // 2
                       {0x03, 0x00, 0x01, 0x05}, // 3
                       {0x04},
                       off,
                       {0x01},
                       expr, // 4
                       {0x05, 0x6F, 0x01},
                       null_ext, // 5
                       {0x06, 0x02},
                       off,
                       {0x70, 0x01},
                       expr, // 6
                       {0x07, 0x70, 0x02},
                       expr,
                       expr}); // 7
  Module m = DecodeOk(Mod({Sec(9, payload)}));
  ASSERT_EQ(m.elems.size(), 8u);
  const SegmentMode modes[] = {SegmentMode::Active, SegmentMode::Passive,
                               SegmentMode::Active, SegmentMode::Declarative,
                               SegmentMode::Active, SegmentMode::Passive,
                               SegmentMode::Active, SegmentMode::Declarative};
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(m.elems[i].mode, modes[i]) << i;
  EXPECT_EQ(m.elems[0].init.size(), 2u);
  EXPECT_EQ(m.elems[0].init[1].code[0].op, Opcode::RefFunc);
  EXPECT_EQ(m.elems[0].init[1].code[0].a, 1u);
  EXPECT_EQ(m.elems[0].init[1].code[1].op, Opcode::End);
  EXPECT_EQ(m.elems[0].offset.code[0].op, Opcode::I32Const);
  EXPECT_EQ(m.elems[2].table, 3u);
  EXPECT_EQ(m.elems[2].init[0].code[0].a, 4u);
  EXPECT_EQ(m.elems[5].type, ValType::ExternRef);
  EXPECT_EQ(m.elems[5].init[0].code[0].op, Opcode::RefNull);
  EXPECT_EQ(m.elems[6].table, 2u);
  EXPECT_EQ(m.elems[6].type, ValType::FuncRef);
  EXPECT_EQ(m.elems[7].init.size(), 2u);

  Error e = DecodeError(Mod({Sec(9, {0x01, 0x08})}));
  EXPECT_EQ(e.message, "malformed elements segment kind");
  e = DecodeError(Mod({Sec(9, {0x01, 0x01, 0x01, 0x00})}));
  EXPECT_EQ(e.message, "malformed element kind");
  e = DecodeError(Mod({Sec(9, {0x01, 0x05, 0x7F, 0x00})}));
  EXPECT_EQ(e.message, "malformed reference type");
  DecodeLimits limits;
  limits.max_table_init = 1;
  e = DecodeError(Mod({Sec(9, {0x01, 0x01, 0x00, 0x02, 0x00, 0x00})}), limits);
  EXPECT_EQ(e.message.find("element count 2 exceeds"), 0u) << e.message;
}

TEST(Decoder, DataSegments) {
  Bytes payload = {0x03, 0x00, 0x41, 0x08, 0x0B, 0x02, 'h',  'i', 0x01,
                   0x01, 'x',  0x02, 0x01, 0x41, 0x00, 0x0B, 0x00};
  Module m = DecodeOk(Mod({Sec(11, payload)}));
  ASSERT_EQ(m.datas.size(), 3u);
  EXPECT_EQ(m.datas[0].mode, SegmentMode::Active);
  EXPECT_EQ(m.datas[0].offset.code[0].b, 8u);
  EXPECT_EQ(m.datas[0].bytes, (Bytes{'h', 'i'}));
  EXPECT_EQ(m.datas[1].mode, SegmentMode::Passive);
  EXPECT_EQ(m.datas[1].bytes, (Bytes{'x'}));
  EXPECT_EQ(m.datas[2].memory, 1u);
  EXPECT_TRUE(m.datas[2].bytes.empty());
  Error e = DecodeError(Mod({Sec(11, {0x01, 0x03, 0x00})}));
  EXPECT_EQ(e.message, "malformed data segment kind");
  EXPECT_EQ(e.context, "data section, segment 0");
}

TEST(Decoder, LocalsAreExpanded) {
  Bytes code_sec =
      Sec(10, Cat({{0x01}, Body({0x02, 0x02, 0x7F, 0x01, 0x7B}, {0x0B})}));
  Module m = DecodeOk(Mod({kOneVoidType, kOneFunc, code_sec}));
  EXPECT_EQ(m.functions[0].locals,
            (std::vector<ValType>{ValType::I32, ValType::I32, ValType::V128}));
}

// Every prefix of a valid module is rejected without reading out of bounds.
TEST(Decoder, EveryTruncationFails) {
  Bytes full =
      Cat({FuncModule({0x02, 0x40, 0x41, 0x01, 0x0D, 0x00, 0x0B, 0xFD, 0x0C,
                       0,    0,    0,    0,    0,    0,    0,    0,    0,
                       0,    0,    0,    0,    0,    0,    0,    0x1A, 0x0B},
                      Sec(12, {0x01})),
           Sec(11, {0x01, 0x01, 0x02, 'h', 'i'})});
  DecodeOk(full);
  for (size_t n = 0; n < full.size(); ++n) {
    Bytes prefix(full.begin(), full.begin() + n);
    Result<Module> m = Decode(prefix);
    // A prefix ending on a section boundary is a valid module only when no
    // function is left without a body and no data count without data.
    if (m.ok()) {
      EXPECT_TRUE(m->functions.empty() && !m->data_count) << n;
    }
  }
}

} // namespace
} // namespace weft
