// Validator unit tests on hand-built modules: each invalid case checks the
// spec's error text (and where useful the offset and context), each valid
// case checks that nothing valid is rejected.
#include "wasm/validator.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace weft {
namespace {

using Op = Opcode;
constexpr ValType kI32 = ValType::I32;
constexpr ValType kI64 = ValType::I64;
constexpr ValType kF32 = ValType::F32;
constexpr ValType kV128 = ValType::V128;
constexpr ValType kFuncRef = ValType::FuncRef;
constexpr ValType kExternRef = ValType::ExternRef;

Instr I(Op op, uint32_t a = 0, uint64_t b = 0, uint32_t c = 0) {
  Instr in;
  in.op = op;
  in.a = a;
  in.b = b;
  in.c = c;
  return in;
}

Instr Const32(int32_t v) {
  return I(Op::I32Const, 0, static_cast<uint32_t>(v));
}

Instr Block(Op op, BlockType::Kind kind = BlockType::Kind::Empty,
            ValType value = kI32, uint32_t type_index = 0) {
  Instr in = I(op);
  in.block.kind = kind;
  in.block.value = value;
  in.block.type_index = type_index;
  return in;
}
Instr BlockResult(Op op, ValType t) {
  return Block(op, BlockType::Kind::Value, t);
}
Instr BlockTypeIndex(Op op, uint32_t index) {
  return Block(op, BlockType::Kind::TypeIndex, kI32, index);
}

Instr MemArg(Op op, uint32_t log2_align, uint32_t offset = 0) {
  return I(op, log2_align, offset, 0);
}

Instr Lane(Op op, uint8_t lane, uint32_t log2_align = 0) {
  Instr in = I(op, log2_align);
  in.lane = lane;
  return in;
}

ConstExpr Expr(std::initializer_list<Instr> code) {
  ConstExpr e;
  e.code = code;
  e.code.push_back(I(Op::End));
  return e;
}

// Instruction i of every body sits at byte offset 100 + i.
Function Func(uint32_t type_index, std::vector<Instr> code,
              std::vector<ValType> locals = {}) {
  Function f;
  f.type_index = type_index;
  f.locals = std::move(locals);
  f.code = std::move(code);
  f.code.push_back(I(Op::End));
  for (size_t i = 0; i < f.code.size(); ++i)
    f.code[i].offset = static_cast<uint32_t>(100 + i);
  return f;
}

// A module with one function of type `type` and the given body (End added).
Module OneFunc(FuncType type, std::vector<Instr> code,
               std::vector<ValType> locals = {}) {
  Module m;
  m.types.push_back(std::move(type));
  m.functions.push_back(Func(0, std::move(code), std::move(locals)));
  return m;
}

FuncType Sig(std::vector<ValType> params, std::vector<ValType> results) {
  FuncType t;
  t.params = std::move(params);
  t.results = std::move(results);
  return t;
}

void AddMemory(Module* m, uint64_t min = 1) {
  MemoryType mt;
  mt.limits.min = min;
  m->memories.push_back(mt);
}

void AddTable(Module* m, ValType elem = kFuncRef, uint64_t min = 1) {
  TableType t;
  t.elem = elem;
  t.limits.min = min;
  m->tables.push_back(t);
}

void AddImportedGlobal(Module* m, ValType type, bool mut) {
  Import imp;
  imp.module = "env";
  imp.name = "g" + std::to_string(m->imports.size());
  imp.kind = ExternKind::Global;
  imp.global.type = type;
  imp.global.mut = mut;
  m->imports.push_back(imp);
  ++m->num_imported_globals;
}

void AddGlobal(Module* m, ValType type, bool mut, ConstExpr init) {
  Global g;
  g.type.type = type;
  g.type.mut = mut;
  g.init = std::move(init);
  m->globals.push_back(std::move(g));
}

void ExpectValid(const Module& m) {
  Status s = Validate(m);
  EXPECT_TRUE(s.ok()) << s.error().Describe();
}

// Checks that validation fails with a message containing `text`; returns the
// error for further checks.
Error ExpectInvalid(const Module& m, const std::string& text) {
  Status s = Validate(m);
  EXPECT_FALSE(s.ok()) << "expected \"" << text << "\"";
  if (s.ok()) return Error{};
  EXPECT_NE(s.error().message.find(text), std::string::npos)
      << "got: " << s.error().Describe() << "\nexpected: " << text;
  return s.error();
}

// --- basics
// -------------------------------------------------------------------

TEST(ValidatorTest, EmptyModuleAndEmptyFunctionAreValid) {
  ExpectValid(Module{});
  ExpectValid(OneFunc(Sig({}, {}), {}));
}

TEST(ValidatorTest, ArithmeticAndLocals) {
  ExpectValid(OneFunc(Sig({kI32, kI32}, {kI32}),
                      {I(Op::LocalGet, 0), I(Op::LocalGet, 1), I(Op::I32Add)}));
  ExpectValid(OneFunc(Sig({kI32}, {kI64}),
                      {I(Op::LocalGet, 0), I(Op::I64ExtendI32S),
                       I(Op::LocalTee, 1), I(Op::LocalGet, 1), I(Op::I64Mul)},
                      {kI64}));
}

TEST(ValidatorTest, StackUnderflowIsTypeMismatch) {
  Module m = OneFunc(Sig({}, {kI32}), {Const32(1), I(Op::I32Add)});
  Error e = ExpectInvalid(m, "type mismatch");
  EXPECT_EQ(e.offset, 101u); // the i32.add
  EXPECT_EQ(e.context, "function 0");
}

TEST(ValidatorTest, AddOfWrongTypesIsTypeMismatch) {
  Module m = OneFunc(Sig({}, {kI32}),
                     {Const32(1), I(Op::I64Const, 0, 2), I(Op::I32Add)});
  Error e = ExpectInvalid(m, "type mismatch");
  EXPECT_EQ(e.offset, 102u);
}

TEST(ValidatorTest, FunctionResultsAreChecked) {
  ExpectInvalid(OneFunc(Sig({}, {kI32}), {}), "type mismatch");
  ExpectInvalid(OneFunc(Sig({}, {kI32}), {I(Op::I64Const)}), "type mismatch");
  ExpectInvalid(OneFunc(Sig({}, {}), {Const32(1)}), "type mismatch");
  ExpectInvalid(OneFunc(Sig({}, {kI32}), {Const32(1), Const32(2)}),
                "type mismatch");
}

TEST(ValidatorTest, ErrorContextCountsImportedFunctions) {
  Module m = OneFunc(Sig({}, {}), {I(Op::Drop)});
  Import imp;
  imp.kind = ExternKind::Func;
  imp.func_type = 0;
  m.imports.push_back(imp);
  m.num_imported_funcs = 1;
  EXPECT_EQ(ExpectInvalid(m, "type mismatch").context, "function 1");
}

TEST(ValidatorTest, UnknownLocalGlobalFunction) {
  ExpectInvalid(
      OneFunc(Sig({kI32}, {}), {I(Op::LocalGet, 2), I(Op::Drop)}, {kI32}),
      "unknown local 2");
  ExpectInvalid(OneFunc(Sig({}, {}), {I(Op::GlobalGet, 0), I(Op::Drop)}),
                "unknown global 0");
  ExpectInvalid(OneFunc(Sig({}, {}), {I(Op::Call, 7)}), "unknown function 7");
  ExpectInvalid(OneFunc(Sig({}, {}),
                        {Block(Op::Block, BlockType::Kind::TypeIndex, kI32, 3),
                         I(Op::End)}),
                "unknown type");
}

TEST(ValidatorTest, CallChecksArgumentsAndPushesResults) {
  Module m;
  m.types = {Sig({kI32, kI64}, {kF32}), Sig({}, {kF32})};
  m.functions.push_back(Func(0, {I(Op::F32Const)}));
  m.functions.push_back(Func(1, {Const32(1), I(Op::I64Const), I(Op::Call, 0)}));
  ExpectValid(m);
  m.functions[1] = Func(1, {I(Op::I64Const), Const32(1), I(Op::Call, 0)});
  ExpectInvalid(m, "type mismatch");
}

// --- control
// ------------------------------------------------------------------

TEST(ValidatorTest, BlockResults) {
  ExpectValid(OneFunc(Sig({}, {kI32}),
                      {BlockResult(Op::Block, kI32), Const32(1), I(Op::End)}));
  // Wrong result type, missing result, and a result left over.
  ExpectInvalid(OneFunc(Sig({}, {kI32}), {BlockResult(Op::Block, kI32),
                                          I(Op::I64Const), I(Op::End)}),
                "type mismatch");
  ExpectInvalid(
      OneFunc(Sig({}, {kI32}), {BlockResult(Op::Block, kI32), I(Op::End)}),
      "type mismatch");
  ExpectInvalid(
      OneFunc(Sig({}, {}), {Block(Op::Block), Const32(1), I(Op::End)}),
      "type mismatch");
}

TEST(ValidatorTest, BlockCannotSeeOuterOperands) {
  Module m = OneFunc(Sig({}, {kI32}),
                     {Const32(1), BlockResult(Op::Block, kI32), I(Op::End)});
  ExpectInvalid(m, "type mismatch");
}

TEST(ValidatorTest, MultiValueBlockParams) {
  Module m;
  m.types = {Sig({}, {kI32}), Sig({kI32, kI32}, {kI32})};
  m.functions.push_back(
      Func(0, {Const32(1), Const32(2), BlockTypeIndex(Op::Block, 1),
               I(Op::I32Add), I(Op::End)}));
  ExpectValid(m);
  // A loop label carries the parameters: br 0 inside needs two i32.
  m.functions[0] = Func(0, {Const32(1), Const32(2), BlockTypeIndex(Op::Loop, 1),
                            I(Op::Br, 0), I(Op::End)});
  ExpectValid(m);
  m.functions[0] = Func(0, {Const32(1), Const32(2), BlockTypeIndex(Op::Loop, 1),
                            I(Op::I32Add), I(Op::Br, 0), I(Op::End)});
  ExpectInvalid(m, "type mismatch");
  // Too few operands for the block's parameters.
  m.functions[0] = Func(
      0, {Const32(1), BlockTypeIndex(Op::Block, 1), I(Op::I32Add), I(Op::End)});
  ExpectInvalid(m, "type mismatch");
}

TEST(ValidatorTest, IfElse) {
  ExpectValid(OneFunc(Sig({kI32}, {kI32}),
                      {I(Op::LocalGet, 0), BlockResult(Op::If, kI32),
                       Const32(1), I(Op::Else), Const32(2), I(Op::End)}));
  // The condition must be an i32.
  ExpectInvalid(
      OneFunc(Sig({}, {}), {I(Op::I64Const), Block(Op::If), I(Op::End)}),
      "type mismatch");
  // Each branch is checked against the results.
  ExpectInvalid(OneFunc(Sig({kI32}, {kI32}),
                        {I(Op::LocalGet, 0), BlockResult(Op::If, kI32),
                         Const32(1), I(Op::Else), I(Op::I64Const), I(Op::End)}),
                "type mismatch");
  // An if with a result needs an else.
  ExpectInvalid(OneFunc(Sig({kI32}, {kI32}),
                        {I(Op::LocalGet, 0), BlockResult(Op::If, kI32),
                         Const32(1), I(Op::End)}),
                "type mismatch");
}

TEST(ValidatorTest, IfWithoutElseMayPassItsParamsThrough) {
  Module m;
  m.types = {Sig({}, {kI32}), Sig({kI32}, {kI32})};
  m.functions.push_back(
      Func(0, {Const32(5), Const32(1), BlockTypeIndex(Op::If, 1), I(Op::End)}));
  ExpectValid(m);
}

TEST(ValidatorTest, Branches) {
  ExpectValid(OneFunc(Sig({}, {kI32}), {BlockResult(Op::Block, kI32),
                                        Const32(1), I(Op::Br, 0), I(Op::End)}));
  ExpectValid(OneFunc(Sig({kI32}, {kI32}),
                      {BlockResult(Op::Block, kI32), Const32(1),
                       I(Op::LocalGet, 0), I(Op::BrIf, 0), I(Op::End)}));
  // br to the function label returns.
  ExpectValid(OneFunc(Sig({}, {kI32}), {Const32(1), I(Op::Br, 0)}));
  Error e = ExpectInvalid(
      OneFunc(Sig({}, {}), {Block(Op::Block), I(Op::Br, 2), I(Op::End)}),
      "unknown label");
  EXPECT_EQ(e.offset, 101u);
  ExpectInvalid(
      OneFunc(Sig({}, {kI32}), {BlockResult(Op::Block, kI32), I(Op::I64Const),
                                I(Op::Br, 0), I(Op::End)}),
      "type mismatch");
  // br_if needs its i32 condition.
  ExpectInvalid(
      OneFunc(Sig({}, {}), {Block(Op::Block), I(Op::BrIf, 0), I(Op::End)}),
      "type mismatch");
}

TEST(ValidatorTest, BrTable) {
  Module m = OneFunc(
      Sig({kI32}, {kI32}),
      {BlockResult(Op::Block, kI32), BlockResult(Op::Block, kI32), Const32(7),
       I(Op::LocalGet, 0), I(Op::BrTable, 0, 0, 1), I(Op::End), I(Op::End)});
  m.functions[0].br_targets = {0, 1};
  ExpectValid(m);
  m.functions[0].br_targets = {0, 3};
  ExpectInvalid(m, "unknown label");
  // A target with a different arity.
  m = OneFunc(Sig({kI32}, {kI32}),
              {BlockResult(Op::Block, kI32), Block(Op::Block), Const32(7),
               I(Op::LocalGet, 0), I(Op::BrTable, 0, 0, 1), I(Op::End),
               I(Op::End)});
  m.functions[0].br_targets = {0, 1};
  ExpectInvalid(m, "type mismatch");
}

TEST(ValidatorTest, UnreachableCodeIsPolymorphic) {
  ExpectValid(OneFunc(Sig({}, {kI32}), {I(Op::Unreachable)}));
  ExpectValid(OneFunc(Sig({}, {kI32}), {I(Op::Unreachable), I(Op::I32Add)}));
  ExpectValid(
      OneFunc(Sig({}, {kI64}), {I(Op::I64Const), I(Op::Return), I(Op::Select),
                                I(Op::I64Const), I(Op::I64Add)}));
  ExpectValid(OneFunc(Sig({}, {}), {Block(Op::Block), I(Op::Br, 0), I(Op::Drop),
                                    I(Op::Drop), I(Op::End)}));
  // Known operands are still checked after unreachable.
  ExpectInvalid(OneFunc(Sig({}, {kI32}),
                        {I(Op::Unreachable), I(Op::I64Const), I(Op::I32Add)}),
                "type mismatch");
  // And an unreachable block must not leave extra values.
  ExpectInvalid(OneFunc(Sig({}, {}), {I(Op::Unreachable), Const32(1)}),
                "type mismatch");
  // select of an unknown and an i64 produces an i64.
  ExpectInvalid(OneFunc(Sig({}, {kI32}), {I(Op::Unreachable), I(Op::I64Const),
                                          Const32(1), I(Op::Select)}),
                "type mismatch");
}

TEST(ValidatorTest, ReturnChecksFunctionResults) {
  ExpectValid(
      OneFunc(Sig({}, {kI32}), {Block(Op::Block), Const32(1), I(Op::Return),
                                I(Op::End), Const32(2)}));
  ExpectInvalid(OneFunc(Sig({}, {kI32}), {I(Op::I64Const), I(Op::Return)}),
                "type mismatch");
}

// --- parametric and variables
// -------------------------------------------------

TEST(ValidatorTest, Select) {
  ExpectValid(OneFunc(Sig({}, {kI64}), {I(Op::I64Const), I(Op::I64Const),
                                        Const32(1), I(Op::Select)}));
  ExpectInvalid(OneFunc(Sig({}, {kI64}), {Const32(0), I(Op::I64Const),
                                          Const32(1), I(Op::Select)}),
                "type mismatch");
  // Untyped select rejects references; typed select accepts them.
  ExpectInvalid(
      OneFunc(Sig({}, {kFuncRef}), {I(Op::RefNull, 0x70), I(Op::RefNull, 0x70),
                                    Const32(1), I(Op::Select)}),
      "type mismatch");
  ExpectValid(
      OneFunc(Sig({}, {kFuncRef}), {I(Op::RefNull, 0x70), I(Op::RefNull, 0x70),
                                    Const32(1), I(Op::SelectT, 0x70, 0, 1)}));
  ExpectInvalid(
      OneFunc(Sig({}, {kI32}), {Const32(0), Const32(0), Const32(0), Const32(0),
                                Const32(1), I(Op::SelectT, 0x7F, 0, 2)}),
      "invalid result arity");
}

TEST(ValidatorTest, Globals) {
  Module m = OneFunc(Sig({}, {}), {Const32(1), I(Op::GlobalSet, 0)});
  AddGlobal(&m, kI32, /*mut=*/true, Expr({Const32(0)}));
  ExpectValid(m);
  m.globals[0].type.mut = false;
  Error e = ExpectInvalid(m, "global is immutable");
  EXPECT_EQ(e.offset, 101u);
  m.globals[0].type.mut = true;
  m.functions[0] = Func(0, {I(Op::I64Const), I(Op::GlobalSet, 0)});
  ExpectInvalid(m, "type mismatch");
}

// --- memory
// -------------------------------------------------------------------

TEST(ValidatorTest, MemoryAccessNeedsMemoryAndNaturalAlignment) {
  Module m = OneFunc(Sig({}, {kI32}), {Const32(0), MemArg(Op::I32Load, 2)});
  ExpectInvalid(m, "unknown memory 0");
  AddMemory(&m);
  ExpectValid(m);
  m.functions[0] = Func(0, {Const32(0), MemArg(Op::I32Load, 3)});
  ExpectInvalid(m, "alignment must not be larger than natural");
  m.functions[0] = Func(0, {Const32(0), MemArg(Op::I32Load8U, 1)});
  ExpectInvalid(m, "alignment must not be larger than natural");
  m.functions[0] = Func(0, {Const32(0), MemArg(Op::I32Load8U, 0)});
  ExpectValid(m);
  m.functions[0] = Func(0, {Const32(0), MemArg(Op::I32Load, 40)});
  ExpectInvalid(m, "alignment must not be larger than natural");
  m.types[0] = Sig({}, {kV128});
  m.functions[0] = Func(0, {Const32(0), MemArg(Op::V128Load, 4)});
  ExpectValid(m);
  m.functions[0] = Func(0, {Const32(0), MemArg(Op::V128Load, 5)});
  ExpectInvalid(m, "alignment must not be larger than natural");
}

TEST(ValidatorTest, StoreOperandOrder) {
  Module m = OneFunc(Sig({}, {}),
                     {Const32(0), I(Op::I64Const), MemArg(Op::I64Store, 3)});
  AddMemory(&m);
  ExpectValid(m);
  m.functions[0] =
      Func(0, {I(Op::I64Const), Const32(0), MemArg(Op::I64Store, 3)});
  ExpectInvalid(m, "type mismatch");
}

TEST(ValidatorTest, BulkMemoryAndDataSegments) {
  Module m = OneFunc(Sig({}, {}), {Const32(0), Const32(0), Const32(0),
                                   I(Op::MemoryInit, 1, 0, 0)});
  ExpectInvalid(m, "unknown memory 0");
  AddMemory(&m);
  ExpectInvalid(m, "unknown data segment 1");
  DataSegment d;
  d.mode = SegmentMode::Passive;
  m.datas = {d, d};
  // Data indices in code need the data count section.
  ExpectInvalid(m, "data count section required");
  m.data_count = 2;
  ExpectValid(m);
  m.functions[0] = Func(0, {I(Op::DataDrop, 2)});
  ExpectInvalid(m, "unknown data segment 2");
  m.functions[0] =
      Func(0, {Const32(0), Const32(0), Const32(0), I(Op::MemoryCopy)});
  ExpectValid(m);
  m.functions[0] = Func(0, {Const32(0), Const32(0), I(Op::MemoryFill)});
  ExpectInvalid(m, "type mismatch");
}

TEST(ValidatorTest, DataDropWithoutAnyDataSegment) {
  // No data segments and no data count section: the index is unknown (the
  // data count section is only required when there are segments).
  ExpectInvalid(OneFunc(Sig({}, {}), {I(Op::DataDrop, 0)}),
                "unknown data segment 0");
}

TEST(ValidatorTest, ActiveDataSegments) {
  Module m;
  DataSegment d;
  d.offset = Expr({Const32(0)});
  m.datas.push_back(d);
  ExpectInvalid(m, "unknown memory 0");
  AddMemory(&m);
  ExpectValid(m);
  m.datas[0].offset = Expr({I(Op::I64Const)});
  ExpectInvalid(m, "type mismatch");
  m.datas[0].offset = Expr({Const32(0), Const32(1), I(Op::I32Add)});
  ExpectInvalid(m, "constant expression required");
}

// --- SIMD
// ---------------------------------------------------------------------

TEST(ValidatorTest, LaneIndices) {
  auto extract = [](Op op, uint8_t lane, ValType result) {
    Module m =
        OneFunc(Sig({kV128}, {result}), {I(Op::LocalGet, 0), Lane(op, lane)});
    return m;
  };
  ExpectValid(extract(Op::I8x16ExtractLaneS, 15, kI32));
  ExpectInvalid(extract(Op::I8x16ExtractLaneU, 16, kI32), "invalid lane index");
  ExpectValid(extract(Op::I16x8ExtractLaneU, 7, kI32));
  ExpectInvalid(extract(Op::I16x8ExtractLaneS, 8, kI32), "invalid lane index");
  ExpectValid(extract(Op::F32x4ExtractLane, 3, kF32));
  ExpectInvalid(extract(Op::I32x4ExtractLane, 4, kI32), "invalid lane index");
  ExpectValid(extract(Op::I64x2ExtractLane, 1, kI64));
  ExpectInvalid(extract(Op::F64x2ExtractLane, 2, ValType::F64),
                "invalid lane index");
  // replace_lane takes the vector then the scalar.
  ExpectValid(
      OneFunc(Sig({kV128}, {kV128}), {I(Op::LocalGet, 0), I(Op::I64Const),
                                      Lane(Op::I64x2ReplaceLane, 1)}));
  ExpectInvalid(
      OneFunc(Sig({kV128}, {kV128}), {I(Op::I64Const), I(Op::LocalGet, 0),
                                      Lane(Op::I64x2ReplaceLane, 1)}),
      "type mismatch");
}

TEST(ValidatorTest, LoadStoreLane) {
  Module m = OneFunc(Sig({kV128}, {kV128}), {Const32(0), I(Op::LocalGet, 0),
                                             Lane(Op::V128Load32Lane, 3, 2)});
  AddMemory(&m);
  ExpectValid(m);
  m.functions[0].code[2].lane = 4;
  ExpectInvalid(m, "invalid lane index");
  m.functions[0].code[2].lane = 0;
  m.functions[0].code[2].a = 3;
  ExpectInvalid(m, "alignment must not be larger than natural");
  m.memories.clear();
  m.functions[0].code[2].a = 0;
  ExpectInvalid(m, "unknown memory");
}

TEST(ValidatorTest, ShuffleLanes) {
  Module m =
      OneFunc(Sig({kV128}, {kV128}),
              {I(Op::LocalGet, 0), I(Op::LocalGet, 0), I(Op::I8x16Shuffle, 0)});
  V128 mask;
  for (uint8_t i = 0; i < 16; ++i)
    mask.bytes[i] = static_cast<uint8_t>(i * 2 + 1);
  m.functions[0].v128_consts.push_back(mask);
  ExpectValid(m);
  m.functions[0].v128_consts[0].bytes[5] = 32;
  ExpectInvalid(m, "invalid lane index");
}

// --- references and tables
// ----------------------------------------------------

TEST(ValidatorTest, RefFuncNeedsDeclaration) {
  Module m = OneFunc(Sig({}, {}), {I(Op::RefFunc, 0), I(Op::Drop)});
  ExpectInvalid(m, "undeclared function reference");
  // Declared by an export.
  m.exports.push_back(Export{"f", ExternKind::Func, 0});
  ExpectValid(m);
  // Declared by a declarative element segment.
  m.exports.clear();
  ElemSegment seg;
  seg.mode = SegmentMode::Declarative;
  seg.init.push_back(Expr({I(Op::RefFunc, 0)}));
  m.elems.push_back(seg);
  ExpectValid(m);
  // Declared by a global initializer.
  m.elems.clear();
  AddGlobal(&m, kFuncRef, false, Expr({I(Op::RefFunc, 0)}));
  ExpectValid(m);
  // An index out of range is unknown rather than undeclared.
  m.functions[0] = Func(0, {I(Op::RefFunc, 1), I(Op::Drop)});
  ExpectInvalid(m, "unknown function 1");
}

TEST(ValidatorTest, RefIsNullNeedsAReference) {
  ExpectValid(
      OneFunc(Sig({}, {kI32}), {I(Op::RefNull, 0x6F), I(Op::RefIsNull)}));
  ExpectInvalid(OneFunc(Sig({}, {kI32}), {Const32(0), I(Op::RefIsNull)}),
                "type mismatch");
}

TEST(ValidatorTest, TableInstructions) {
  Module m = OneFunc(Sig({}, {kExternRef}), {Const32(0), I(Op::TableGet, 0)});
  ExpectInvalid(m, "unknown table 0");
  AddTable(&m, kExternRef);
  ExpectValid(m);
  m.types[0] = Sig({}, {kFuncRef});
  ExpectInvalid(m, "type mismatch");
  m.types[0] = Sig({}, {kI32});
  m.functions[0] =
      Func(0, {I(Op::RefNull, 0x6F), Const32(1), I(Op::TableGrow, 0)});
  ExpectValid(m);
  m.functions[0] =
      Func(0, {I(Op::RefNull, 0x70), Const32(1), I(Op::TableGrow, 0)});
  ExpectInvalid(m, "type mismatch");
  m.types[0] = Sig({}, {});
  m.functions[0] = Func(
      0, {Const32(0), I(Op::RefNull, 0x6F), Const32(1), I(Op::TableFill, 0)});
  ExpectValid(m);
  m.functions[0] =
      Func(0, {Const32(0), Const32(0), Const32(0), I(Op::TableCopy, 0, 0, 0)});
  ExpectValid(m);
  AddTable(&m, kFuncRef);
  m.functions[0] =
      Func(0, {Const32(0), Const32(0), Const32(0), I(Op::TableCopy, 0, 0, 1)});
  ExpectInvalid(m, "type mismatch");
}

TEST(ValidatorTest, TableInitAndElemDrop) {
  Module m = OneFunc(Sig({}, {}), {Const32(0), Const32(0), Const32(0),
                                   I(Op::TableInit, 0, 0, 0)});
  ExpectInvalid(m, "unknown table 0");
  AddTable(&m, kFuncRef);
  ExpectInvalid(m, "unknown elem segment 0");
  ElemSegment seg;
  seg.mode = SegmentMode::Passive;
  seg.type = kExternRef;
  m.elems.push_back(seg);
  ExpectInvalid(m, "type mismatch");
  m.elems[0].type = kFuncRef;
  ExpectValid(m);
  m.functions[0] = Func(0, {I(Op::ElemDrop, 4)});
  ExpectInvalid(m, "unknown elem segment 4");
}

TEST(ValidatorTest, CallIndirect) {
  Module m = OneFunc(Sig({}, {}), {Const32(0), I(Op::CallIndirect, 0, 0, 0)});
  ExpectInvalid(m, "unknown table");
  AddTable(&m, kFuncRef);
  ExpectValid(m);
  m.functions[0] = Func(0, {Const32(0), I(Op::CallIndirect, 5, 0, 0)});
  ExpectInvalid(m, "unknown type");
  m.tables[0].elem = kExternRef;
  m.functions[0] = Func(0, {Const32(0), I(Op::CallIndirect, 0, 0, 0)});
  ExpectInvalid(m, "type mismatch");
}

TEST(ValidatorTest, ElementSegments) {
  Module m = OneFunc(Sig({}, {}), {});
  ElemSegment seg;
  seg.offset = Expr({Const32(0)});
  seg.init.push_back(Expr({I(Op::RefFunc, 0)}));
  m.elems.push_back(seg);
  ExpectInvalid(m, "unknown table 0");
  AddTable(&m, kExternRef);
  ExpectInvalid(m, "type mismatch");
  m.tables[0].elem = kFuncRef;
  ExpectValid(m);
  m.elems[0].init.push_back(Expr({I(Op::RefNull, 0x6F)}));
  ExpectInvalid(m, "type mismatch");
  m.elems[0].init.back() = Expr({I(Op::RefFunc, 9)});
  ExpectInvalid(m, "unknown function 9");
  m.elems[0].init.back() = Expr({I(Op::Call, 0)});
  ExpectInvalid(m, "constant expression required");
}

// --- constant expressions
// ------------------------------------------------------

TEST(ValidatorTest, GlobalInitializers) {
  Module m;
  AddGlobal(&m, kI32, false, Expr({Const32(1)}));
  ExpectValid(m);
  m.globals[0].init = Expr({});
  ExpectInvalid(m, "type mismatch");
  m.globals[0].init = Expr({I(Op::I64Const)});
  ExpectInvalid(m, "type mismatch");
  m.globals[0].init = Expr({Const32(1), Const32(2)});
  ExpectInvalid(m, "type mismatch");
  m.globals[0].init = Expr({I(Op::Nop)});
  ExpectInvalid(m, "constant expression required");
  m.globals[0].init = Expr({Const32(1), I(Op::I32Ctz)});
  ExpectInvalid(m, "constant expression required");
  // Only imported globals may be read, and only immutable ones.
  AddGlobal(&m, kI32, false, Expr({I(Op::GlobalGet, 0)}));
  m.globals[0].init = Expr({Const32(1)});
  ExpectInvalid(m, "unknown global 0");
}

TEST(ValidatorTest, GlobalGetOfImportedGlobals) {
  Module m;
  AddImportedGlobal(&m, kI32, false);
  AddImportedGlobal(&m, kI32, true);
  AddGlobal(&m, kI32, false, Expr({I(Op::GlobalGet, 0)}));
  ExpectValid(m);
  m.globals[0].init = Expr({I(Op::GlobalGet, 1)});
  Error e = ExpectInvalid(m, "constant expression required");
  EXPECT_EQ(e.context, "global 2");
  m.globals[0].init = Expr({I(Op::GlobalGet, 2)});
  ExpectInvalid(m, "unknown global 2");
  m.globals[0].type.type = kI64;
  m.globals[0].init = Expr({I(Op::GlobalGet, 0)});
  ExpectInvalid(m, "type mismatch");
}

// --- module level
// ---------------------------------------------------------------

TEST(ValidatorTest, Memories) {
  Module m;
  AddMemory(&m, 65536);
  ExpectValid(m);
  m.memories[0].limits.min = 65537;
  ExpectInvalid(m, "memory size must be at most 65536 pages (4GiB)");
  m.memories[0].limits.min = 2;
  m.memories[0].limits.max = 1;
  ExpectInvalid(m, "size minimum must not be greater than maximum");
  m.memories[0].limits.max = 0x100000000ull;
  ExpectInvalid(m, "memory size must be at most 65536 pages (4GiB)");
  m.memories[0].limits.max = 2;
  AddMemory(&m);
  ExpectInvalid(m, "multiple memories");
}

TEST(ValidatorTest, TablesMayBeMany) {
  Module m;
  AddTable(&m, kFuncRef);
  AddTable(&m, kExternRef);
  ExpectValid(m);
  m.tables[1].limits.min = 0xFFFFFFFFull;
  m.tables[1].limits.max = 0;
  ExpectInvalid(m, "size minimum must not be greater than maximum");
}

TEST(ValidatorTest, StartFunction) {
  Module m = OneFunc(Sig({}, {}), {});
  m.start = 0;
  ExpectValid(m);
  m.start = 1;
  ExpectInvalid(m, "unknown function 1");
  m.types[0] = Sig({kI32}, {});
  m.start = 0;
  ExpectInvalid(m, "start function");
  m.types[0] = Sig({}, {kI32});
  m.functions[0] = Func(0, {Const32(0)});
  ExpectInvalid(m, "start function");
}

TEST(ValidatorTest, Exports) {
  Module m = OneFunc(Sig({}, {}), {});
  AddMemory(&m);
  m.exports = {Export{"a", ExternKind::Func, 0},
               Export{"b", ExternKind::Memory, 0}};
  ExpectValid(m);
  m.exports.push_back(Export{"a", ExternKind::Memory, 0});
  Error e = ExpectInvalid(m, "duplicate export name");
  EXPECT_EQ(e.offset, kNoOffset);
  m.exports.back() = Export{"c", ExternKind::Global, 0};
  ExpectInvalid(m, "unknown global 0");
  m.exports.back() = Export{"c", ExternKind::Table, 0};
  ExpectInvalid(m, "unknown table 0");
  m.exports.back() = Export{"c", ExternKind::Func, 1};
  ExpectInvalid(m, "unknown function 1");
  m.exports.back() = Export{"c", ExternKind::Memory, 1};
  ExpectInvalid(m, "unknown memory 1");
}

TEST(ValidatorTest, FunctionAndImportTypeIndices) {
  Module m = OneFunc(Sig({}, {}), {});
  m.functions[0].type_index = 1;
  ExpectInvalid(m, "unknown type 1");
  m.functions[0].type_index = 0;
  Import imp;
  imp.kind = ExternKind::Func;
  imp.func_type = 43;
  m.imports.push_back(imp);
  m.num_imported_funcs = 1;
  ExpectInvalid(m, "unknown type 43");
}

TEST(ValidatorTest, MalformedBodiesAreRejectedNotCrashed) {
  // Missing final end.
  Module m = OneFunc(Sig({}, {}), {});
  m.functions[0].code.clear();
  EXPECT_FALSE(Validate(m).ok());
  // Code after the final end.
  m = OneFunc(Sig({}, {}), {});
  m.functions[0].code.push_back(I(Op::Nop));
  EXPECT_FALSE(Validate(m).ok());
  // else outside an if.
  m = OneFunc(Sig({}, {}), {Block(Op::Block), I(Op::Else), I(Op::End)});
  EXPECT_FALSE(Validate(m).ok());
  // br_table whose targets are missing from br_targets.
  m = OneFunc(Sig({}, {}), {Const32(0), I(Op::BrTable, 0, 0, 2)});
  EXPECT_FALSE(Validate(m).ok());
}

} // namespace
} // namespace weft
