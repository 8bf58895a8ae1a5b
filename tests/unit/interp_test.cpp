// The interpreter: numeric semantics, control flow, calls, memory, tables,
// traps, stack exhaustion, host calls and interruption.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

#include "interp/interp_module.h"
#include "wat_helper.h"

namespace weft {
namespace {

using test::Call;
using test::CallI32;
using test::CallI64;
using test::CallTrap;

class InterpTest : public ::testing::Test {
protected:
  Engine engine;
  Store store{engine};
  Instance* Load(const std::string& text, std::vector<Extern> imports = {}) {
    return test::Instantiate(store, text, std::move(imports));
  }
};

Value I32(int32_t v) { return Value::I32(static_cast<uint32_t>(v)); }
Value I64(int64_t v) { return Value::I64(static_cast<uint64_t>(v)); }

TEST_F(InterpTest, IntegerArithmetic) {
  Instance* m = Load(R"((module
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func (export "sub_k") (param i32) (result i32) (i32.sub (local.get 0) (i32.const 7)))
    (func (export "k_sub") (param i32) (result i32) (i32.sub (i32.const 7) (local.get 0)))
    (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
    (func (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
    (func (export "div_u64") (param i64 i64) (result i64) (i64.div_u (local.get 0) (local.get 1)))
    (func (export "shl") (param i32 i32) (result i32) (i32.shl (local.get 0) (local.get 1)))
    (func (export "rotr64") (param i64 i64) (result i64) (i64.rotr (local.get 0) (local.get 1)))
    (func (export "clz") (param i32) (result i32) (i32.clz (local.get 0)))
    (func (export "ext8") (param i32) (result i32) (i32.extend8_s (local.get 0)))
    (func (export "lt_k") (param i32) (result i32) (i32.lt_s (i32.const 5) (local.get 0)))
    (func (export "wrap") (param i64) (result i32) (i32.wrap_i64 (local.get 0))))
  )");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(CallI32(store, m, "add", {I32(2), I32(40)}), 42u);
  EXPECT_EQ(CallI32(store, m, "add", {I32(-1), I32(1)}), 0u);
  EXPECT_EQ(CallI32(store, m, "sub_k", {I32(10)}), 3u);
  EXPECT_EQ(CallI32(store, m, "k_sub", {I32(10)}), static_cast<uint32_t>(-3));
  EXPECT_EQ(CallI32(store, m, "div_s", {I32(-7), I32(2)}),
            static_cast<uint32_t>(-3));
  EXPECT_EQ(CallI32(store, m, "rem_s", {I32(-7), I32(2)}),
            static_cast<uint32_t>(-1));
  EXPECT_EQ(CallI32(store, m, "rem_s", {I32(INT32_MIN), I32(-1)}), 0u);
  EXPECT_EQ(CallTrap(store, m, "div_s", {I32(1), I32(0)}),
            "integer divide by zero");
  EXPECT_EQ(CallTrap(store, m, "div_s", {I32(INT32_MIN), I32(-1)}),
            "integer overflow");
  EXPECT_EQ(CallTrap(store, m, "rem_s", {I32(1), I32(0)}),
            "integer divide by zero");
  EXPECT_EQ(CallI64(store, m, "div_u64", {I64(-1), I64(2)}),
            0x7FFFFFFFFFFFFFFFull);
  EXPECT_EQ(CallI32(store, m, "shl", {I32(1), I32(33)}),
            2u); // shift count mod 32
  EXPECT_EQ(CallI64(store, m, "rotr64", {I64(1), I64(1)}),
            0x8000000000000000ull);
  EXPECT_EQ(CallI32(store, m, "clz", {I32(1)}), 31u);
  EXPECT_EQ(CallI32(store, m, "clz", {I32(0)}), 32u);
  EXPECT_EQ(CallI32(store, m, "ext8", {I32(0x80)}), 0xFFFFFF80u);
  EXPECT_EQ(CallI32(store, m, "lt_k", {I32(6)}), 1u);
  EXPECT_EQ(CallI32(store, m, "lt_k", {I32(5)}), 0u);
  EXPECT_EQ(CallI32(store, m, "wrap", {I64(0x1234567887654321)}), 0x87654321u);
}

TEST_F(InterpTest, FloatSemantics) {
  Instance* m = Load(R"((module
    (func (export "min") (param f32 f32) (result f32) (f32.min (local.get 0) (local.get 1)))
    (func (export "max64") (param f64 f64) (result f64) (f64.max (local.get 0) (local.get 1)))
    (func (export "nearest") (param f64) (result f64) (f64.nearest (local.get 0)))
    (func (export "neg") (param f32) (result f32) (f32.neg (local.get 0)))
    (func (export "copysign") (param f32 f32) (result f32) (f32.copysign (local.get 0) (local.get 1)))
    (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
    (func (export "trunc_u") (param f32) (result i32) (i32.trunc_f32_u (local.get 0)))
    (func (export "sat") (param f64) (result i32) (i32.trunc_sat_f64_s (local.get 0)))
    (func (export "conv") (param i64) (result f32) (f32.convert_i64_u (local.get 0)))
    (func (export "floor") (param f32) (result f32) (f32.floor (local.get 0))))
  )");
  ASSERT_NE(m, nullptr);
  // min(-0, +0) is -0; NaN propagates.
  EXPECT_EQ(Call(store, m, "min", {Value::F32(0.0f), Value::F32(-0.0f)})[0].f32,
            0x80000000u);
  EXPECT_EQ(Call(store, m, "max64", {Value::F64(-0.0), Value::F64(0.0)})[0].f64,
            0u);
  const uint32_t nan =
      Call(store, m, "min", {Value::F32Bits(0x7FC00000), Value::F32(1)})[0].f32;
  EXPECT_EQ(nan & 0x7FC00000u, 0x7FC00000u);
  // Round half to even.
  EXPECT_EQ(Call(store, m, "nearest", {Value::F64(2.5)})[0].f64,
            Value::F64(2.0).f64);
  EXPECT_EQ(Call(store, m, "nearest", {Value::F64(-3.5)})[0].f64,
            Value::F64(-4.0).f64);
  // neg and copysign are bit operations: a signalling NaN's payload stays.
  EXPECT_EQ(Call(store, m, "neg", {Value::F32Bits(0x7FA00001)})[0].f32,
            0xFFA00001u);
  EXPECT_EQ(Call(store, m, "copysign",
                 {Value::F32Bits(0x7FA00001), Value::F32(-1)})[0]
                .f32,
            0xFFA00001u);
  // Rounding functions quiet a signalling NaN.
  EXPECT_EQ(Call(store, m, "floor", {Value::F32Bits(0x7FA00000)})[0].f32 &
                0x00400000u,
            0x00400000u);
  EXPECT_EQ(CallI32(store, m, "trunc", {Value::F64(-2147483648.9)}),
            static_cast<uint32_t>(INT32_MIN));
  EXPECT_EQ(CallTrap(store, m, "trunc", {Value::F64(2147483648.0)}),
            "integer overflow");
  EXPECT_EQ(CallTrap(store, m, "trunc", {Value::F64Bits(0x7FF8000000000000)}),
            "invalid conversion to integer");
  EXPECT_EQ(CallI32(store, m, "trunc_u", {Value::F32(-0.9f)}), 0u);
  EXPECT_EQ(CallTrap(store, m, "trunc_u", {Value::F32(-1.0f)}),
            "integer overflow");
  EXPECT_EQ(CallI32(store, m, "sat", {Value::F64(1e300)}), 0x7FFFFFFFu);
  EXPECT_EQ(CallI32(store, m, "sat", {Value::F64Bits(0xFFF8000000000000)}), 0u);
  // 2^64 - 1 rounds to 2^64 in f32.
  EXPECT_EQ(Call(store, m, "conv", {I64(-1)})[0].f32,
            Value::F32(18446744073709551616.0f).f32);
}

TEST_F(InterpTest, FloatBitsSurviveMemoryAndReinterpret) {
  Instance* m = Load(R"((module (memory 1)
    (func (export "roundtrip") (param i32) (result i32)
      (f32.store (i32.const 8) (f32.reinterpret_i32 (local.get 0)))
      (i32.reinterpret_f32 (f32.load (i32.const 8)))))
  )");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(CallI32(store, m, "roundtrip", {I32(0x7FA00001)}),
            0x7FA00001u); // sNaN
  EXPECT_EQ(CallI32(store, m, "roundtrip", {I32(0xFF800000)}), 0xFF800000u);
}

TEST_F(InterpTest, LazyLocalsAreReadBeforeTheyChange) {
  // local.get pushes a reference; the later local.set must not change the
  // value already on the stack.
  Instance* m = Load(R"((module
    (func (export "swap") (param i32 i32) (result i32 i32)
      (local.get 0) (local.get 1) (local.set 0) (local.set 1) (local.get 0) (local.get 1))
    (func (export "old") (param i32) (result i32)
      (local.get 0) (local.set 0 (i32.const 99)) (local.get 0) (i32.sub))
    (func (export "tee") (param i32) (result i32)
      (local.get 0) (local.tee 0 (i32.add (local.get 0) (i32.const 1))) (i32.mul))
    (func (export "ret_swapped") (param i32 i32) (result i32 i32)
      (local.get 1) (local.get 0)))
  )");
  ASSERT_NE(m, nullptr);
  auto r = Call(store, m, "swap", {I32(1), I32(2)});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].i32, 2u);
  EXPECT_EQ(r[1].i32, 1u);
  EXPECT_EQ(CallI32(store, m, "old", {I32(5)}), static_cast<uint32_t>(5 - 99));
  EXPECT_EQ(CallI32(store, m, "tee", {I32(5)}), 30u);
  r = Call(store, m, "ret_swapped", {I32(7), I32(8)});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].i32, 8u);
  EXPECT_EQ(r[1].i32, 7u);
}

TEST_F(InterpTest, ControlFlow) {
  Instance* m = Load(R"((module
    (func (export "sum") (param i32) (result i32) (local i32)
      (block $done (loop $top
        (br_if $done (i32.eqz (local.get 0)))
        (local.set 1 (i32.add (local.get 1) (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $top)))
      (local.get 1))
    (func (export "table") (param i32) (result i32)
      (block $b2 (block $b1 (block $b0
        (br_table $b0 $b1 $b2 (local.get 0)))
        (return (i32.const 100)))
        (return (i32.const 101)))
      (i32.const 102))
    (func (export "table_vals") (param i32) (result i32)
      (block $a (result i32) (block $b (result i32)
        (br_table $a $b $a (i32.const 10) (local.get 0)))
        (i32.add (i32.const 5)))
      (i32.const 1) (i32.add))
    (func (export "multi") (param i32) (result i32 i32)
      (local.get 0)
      (block (param i32) (result i32 i32)
        (i32.const 3) (i32.add (local.get 0))))
    (func (export "if_params") (param i32 i32) (result i32)
      (local.get 0) (local.get 1)
      (if (param i32 i32) (result i32) (i32.gt_s (local.get 0) (local.get 1))
        (then (i32.sub)) (else (i32.add))))
    (func (export "loop_params") (param i32) (result i32)
      i32.const 0
      local.get 0
      loop $l (param i32 i32) (result i32)
        local.set 0
        local.get 0
        i32.add
        local.get 0
        i32.const 1
        i32.sub
        local.tee 0
        local.get 0
        br_if $l
        drop
      end)
    (func (export "select") (param i32) (result i64)
      (select (i64.const 10) (i64.const 20) (local.get 0))))
  )");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(CallI32(store, m, "sum", {I32(100)}), 5050u);
  EXPECT_EQ(CallI32(store, m, "table", {I32(0)}), 100u);
  EXPECT_EQ(CallI32(store, m, "table", {I32(1)}), 101u);
  EXPECT_EQ(CallI32(store, m, "table", {I32(2)}), 102u);
  EXPECT_EQ(CallI32(store, m, "table", {I32(99)}), 102u); // default
  EXPECT_EQ(CallI32(store, m, "table_vals", {I32(0)}), 11u);
  EXPECT_EQ(CallI32(store, m, "table_vals", {I32(1)}), 16u);
  EXPECT_EQ(CallI32(store, m, "table_vals", {I32(7)}), 11u);
  auto r = Call(store, m, "multi", {I32(4)});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].i32, 4u);
  EXPECT_EQ(r[1].i32, 7u);
  EXPECT_EQ(CallI32(store, m, "if_params", {I32(9), I32(4)}), 5u);
  EXPECT_EQ(CallI32(store, m, "if_params", {I32(4), I32(9)}), 13u);
  EXPECT_EQ(CallI32(store, m, "loop_params", {I32(4)}), 10u);
  EXPECT_EQ(CallI64(store, m, "select", {I32(1)}), 10u);
  EXPECT_EQ(CallI64(store, m, "select", {I32(0)}), 20u);
}

TEST_F(InterpTest, CompareFusesWithBranch) {
  auto cm = test::Compile(engine, R"((module
    (func (export "f") (param i32 i32) (result i32)
      (loop $l (br_if $l (i32.lt_s (local.get 0) (local.get 1))))
      (i32.const 0)))
  )");
  ASSERT_NE(cm, nullptr);
  const auto& im = static_cast<const interp::InterpModule&>(*cm);
  const std::string code = interp::Disassemble(im.funcs[0]);
  EXPECT_NE(code.find("BrIf_I32LtS"), std::string::npos) << code;
  EXPECT_EQ(code.find(": I32LtS "), std::string::npos) << code;
}

TEST_F(InterpTest, LocalSetRetargetsTheProducer) {
  auto cm = test::Compile(engine, R"((module
    (func (export "f") (param i32 i32) (result i32) (local i32)
      (local.set 2 (i32.add (local.get 0) (local.get 1))) (local.get 2)))
  )");
  ASSERT_NE(cm, nullptr);
  const auto& im = static_cast<const interp::InterpModule&>(*cm);
  const std::string code = interp::Disassemble(im.funcs[0]);
  EXPECT_NE(code.find("I32Add 2 0 1"), std::string::npos) << code;
  EXPECT_EQ(code.find("Copy1"), std::string::npos) << code;
}

TEST_F(InterpTest, FusedIncrementBranchAndMemoryOperands) {
  const char* text = R"((module (memory 1)
    (func (export "count") (param i32 i32) (result i32) (local i32)
      (loop $l
        (local.set 2 (i32.add (local.get 2) (i32.const 1)))
        (br_if $l (i32.lt_s (local.tee 0 (i32.add (local.get 0) (local.get 1)))
                            (i32.const 100))))
      (local.get 2))
    (func (export "count64") (param i64) (result i64)
      (loop $l (br_if $l (i64.ne (local.tee 0 (i64.add (local.get 0) (i64.const -3)))
                                 (i64.const 0))))
      (local.get 0))
    (func (export "sum") (param i32 i32) (result f64) (local f64)
      (loop $l
        (local.set 2 (f64.add (local.get 2) (f64.load offset=8 (local.get 0))))
        (br_if $l (i32.ne (local.tee 0 (i32.add (local.get 0) (i32.const 8)))
                          (local.get 1))))
      (local.get 2))
    (func (export "countdown") (param i32) (result i32) (local i32)
      (loop $l
        (local.set 1 (i32.add (local.get 1) (i32.const 3)))
        (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
      (local.get 1))
    (func (export "init")
      (f64.store (i32.const 8) (f64.const 1.5))
      (f64.store (i32.const 16) (f64.const 2.25))
      (f64.store (i32.const 24) (f64.const -1))
      (f64.store (i32.const 65528) (f64.const 100)))
    (func (export "wrap") (param i32) (result i32)
      (i32.load (i32.add (local.get 0) (i32.const 8)))))
  )";
  auto cm = test::Compile(engine, text);
  ASSERT_NE(cm, nullptr);
  const auto& im = static_cast<const interp::InterpModule&>(*cm);
  const std::string count = interp::Disassemble(im.funcs[0]);
  EXPECT_NE(count.find("AddBr_I32LtS_K"), std::string::npos) << count;
  const std::string sum = interp::Disassemble(im.funcs[2]);
  EXPECT_NE(sum.find("F64Add_M"), std::string::npos) << sum;
  EXPECT_NE(sum.find("AddKBr_I32Ne "), std::string::npos) << sum;
  const std::string countdown = interp::Disassemble(im.funcs[3]);
  EXPECT_NE(countdown.find("AddKBr_I32Ne_K"), std::string::npos) << countdown;
  Instance* m = Load(text);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(CallI32(store, m, "count", {I32(0), I32(7)}),
            15u); // 7, 14, ..., 105
  EXPECT_EQ(CallI32(store, m, "count", {I32(-50), I32(200)}), 1u);
  EXPECT_EQ(CallI64(store, m, "count64", {I64(30)}), 0u);
  EXPECT_EQ(CallI32(store, m, "countdown", {I32(5)}), 15u);
  EXPECT_EQ(CallI32(store, m, "countdown", {I32(1)}), 3u);
  Call(store, m, "init");
  EXPECT_EQ(Call(store, m, "sum", {I32(0), I32(24)})[0].f64,
            Value::F64(1.5 + 2.25 - 1).f64);
  // The folded i32.add wraps at 32 bits before the bounds check: -8 + 8 is
  // address 0 (in bounds), not 2^32.
  EXPECT_EQ(CallI32(store, m, "wrap", {I32(-8)}), 0u);
  EXPECT_EQ(CallI32(store, m, "wrap", {I32(4)}),
            0x3FF80000u); // high word of 1.5
  EXPECT_EQ(CallTrap(store, m, "wrap", {I32(65528)}),
            "out of bounds memory access");
}

TEST_F(InterpTest, ArithmeticFusedIntoStores) {
  const char* text = R"((module (memory 1)
    (func (export "rmw_sub") (param i32 f64)   ;; [p] = [p] - v
      (f64.store (local.get 0) (f64.sub (f64.load (local.get 0)) (local.get 1))))
    (func (export "rmw_sub_rev") (param i32 f64)   ;; [p] = v - [p]
      (f64.store (local.get 0) (f64.sub (local.get 1) (f64.load (local.get 0)))))
    (func (export "store_sum") (param i32 i32 i32)   ;; [p] = a + b
      (i32.store offset=4 (local.get 0) (i32.add (local.get 1) (local.get 2))))
    (func (export "copy_add") (param i32 i32 i64)   ;; [q] = [p] + v (two locations)
      (i64.store (local.get 1) (i64.add (local.get 2) (i64.load (local.get 0)))))
    (func (export "f64") (param i32) (result f64) (f64.load (local.get 0)))
    (func (export "i64") (param i32) (result i64) (i64.load (local.get 0)))
    (func (export "set") (param i32 f64) (f64.store (local.get 0) (local.get 1))))
  )";
  auto cm = test::Compile(engine, text);
  ASSERT_NE(cm, nullptr);
  const auto& im = static_cast<const interp::InterpModule&>(*cm);
  EXPECT_NE(interp::Disassemble(im.funcs[1]).find("F64Sub_MS"),
            std::string::npos)
      << interp::Disassemble(im.funcs[1]);
  EXPECT_NE(interp::Disassemble(im.funcs[2]).find("I32Add_S"),
            std::string::npos);
  Instance* m = Load(text);
  ASSERT_NE(m, nullptr);
  Call(store, m, "set", {I32(8), Value::F64(10)});
  Call(store, m, "rmw_sub", {I32(8), Value::F64(3)});
  EXPECT_EQ(Call(store, m, "f64", {I32(8)})[0].f64, Value::F64(7).f64);
  Call(store, m, "rmw_sub_rev", {I32(8), Value::F64(3)});
  EXPECT_EQ(Call(store, m, "f64", {I32(8)})[0].f64, Value::F64(-4).f64);
  Call(store, m, "store_sum", {I32(16), I32(40), I32(2)});
  EXPECT_EQ(CallI32(store, m, "i64", {I32(20)}), 42u);
  EXPECT_EQ(CallTrap(store, m, "store_sum", {I32(65532), I32(1), I32(1)}),
            "out of bounds memory access");
  Call(store, m, "set", {I32(32), Value::F64Bits(5)});
  Call(store, m, "copy_add", {I32(32), I32(48), I64(37)});
  EXPECT_EQ(CallI64(store, m, "i64", {I32(48)}), 42u);
  EXPECT_EQ(CallI64(store, m, "i64", {I32(32)}), 5u);
  EXPECT_EQ(CallTrap(store, m, "rmw_sub", {I32(65530), Value::F64(1)}),
            "out of bounds memory access");
}

TEST_F(InterpTest, FloatCompareBranchesHandleNaN) {
  const char* text = R"((module
    (func (export "gt") (param f64) (result i32)
      (block $b (br_if $b (f64.gt (local.get 0) (f64.const 4))) (return (i32.const 0)))
      (i32.const 1))
    (func (export "not_gt") (param f64) (result i32)
      (block $b (br_if $b (i32.eqz (f64.gt (local.get 0) (f64.const 4))))
        (return (i32.const 0)))
      (i32.const 1))
    (func (export "if_lt") (param f32 f32) (result i32)
      (if (result i32) (f32.lt (local.get 0) (local.get 1))
        (then (i32.const 1)) (else (i32.const 0))))
    (func (export "eqz_eqz") (param i32) (result i32)
      (block $b (br_if $b (i32.eqz (i32.eqz (local.get 0)))) (return (i32.const 0)))
      (i32.const 1)))
  )";
  auto cm = test::Compile(engine, text);
  ASSERT_NE(cm, nullptr);
  const auto& im = static_cast<const interp::InterpModule&>(*cm);
  EXPECT_NE(interp::Disassemble(im.funcs[1]).find("BrIfNot_F64Gt_K"),
            std::string::npos);
  Instance* m = Load(text);
  ASSERT_NE(m, nullptr);
  const Value nan = Value::F64Bits(0x7FF8000000000000);
  EXPECT_EQ(CallI32(store, m, "gt", {Value::F64(5)}), 1u);
  EXPECT_EQ(CallI32(store, m, "gt", {Value::F64(4)}), 0u);
  EXPECT_EQ(CallI32(store, m, "gt", {nan}), 0u);
  EXPECT_EQ(CallI32(store, m, "not_gt", {Value::F64(5)}), 0u);
  EXPECT_EQ(CallI32(store, m, "not_gt", {Value::F64(3)}), 1u);
  EXPECT_EQ(CallI32(store, m, "not_gt", {nan}), 1u);
  EXPECT_EQ(CallI32(store, m, "if_lt", {Value::F32(1), Value::F32(2)}), 1u);
  EXPECT_EQ(CallI32(store, m, "if_lt", {Value::F32(2), Value::F32(1)}), 0u);
  EXPECT_EQ(
      CallI32(store, m, "if_lt", {Value::F32Bits(0x7FC00000), Value::F32(1)}),
      0u);
  EXPECT_EQ(CallI32(store, m, "eqz_eqz", {I32(5)}), 1u);
  EXPECT_EQ(CallI32(store, m, "eqz_eqz", {I32(0)}), 0u);
}

TEST_F(InterpTest, CallsAndRecursion) {
  Instance* m = Load(R"((module
    (func $fac (export "fac") (param i64) (result i64)
      (if (result i64) (i64.eqz (local.get 0))
        (then (i64.const 1))
        (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
    (func $fib (export "fib") (param i32) (result i32)
      (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
        (then (local.get 0))
        (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                       (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
    (func $pair (param i32) (result i64 i32) (i64.extend_i32_u (local.get 0)) (local.get 0))
    (func (export "use_pair") (param i32) (result i64)
      (call $pair (local.get 0)) (i64.extend_i32_u) (i64.add))
    (func $deep (export "deep") (param i32) (result i32)
      (i32.add (i32.const 1) (call $deep (local.get 0)))))
  )");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(CallI64(store, m, "fac", {I64(20)}), 2432902008176640000ull);
  EXPECT_EQ(CallI32(store, m, "fib", {I32(20)}), 6765u);
  EXPECT_EQ(CallI64(store, m, "use_pair", {I32(21)}), 42u);
  EXPECT_EQ(CallTrap(store, m, "deep", {I32(0)}), "call stack exhausted");
  // The store is usable after the exhaustion.
  EXPECT_EQ(CallI32(store, m, "fib", {I32(10)}), 55u);
}

TEST_F(InterpTest, StackExhaustionByFrameSize) {
  // Few calls, big frames: the value stack runs out before the call depth.
  EngineConfig cfg;
  cfg.value_stack_bytes = 64 * 1024;
  Engine small(cfg);
  Store s(small);
  Instance* m = test::Instantiate(s, R"((module
    (func $f (export "f") (param i32) (result i32)
      (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
      (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
        (else (i32.add (i32.const 1) (call $f (i32.sub (local.get 0) (i32.const 1))))))))
  )");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(test::CallI32(s, m, "f", {I32(100)}), 100u);
  EXPECT_EQ(test::CallTrap(s, m, "f", {I32(100000)}), "call stack exhausted");
  EXPECT_EQ(test::CallI32(s, m, "f", {I32(10)}), 10u);
}

TEST_F(InterpTest, CallIndirect) {
  Instance* m = Load(R"((module
    (type $ii (func (param i32) (result i32)))
    (type $v (func))
    (table 4 funcref)
    (elem (i32.const 0) $inc $dbl $nothing)
    (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    (func $dbl (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
    (func $nothing)
    (func (export "call") (param i32 i32) (result i32)
      (call_indirect (type $ii) (local.get 1) (local.get 0))))
  )");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(CallI32(store, m, "call", {I32(0), I32(5)}), 6u);
  EXPECT_EQ(CallI32(store, m, "call", {I32(1), I32(5)}), 10u);
  EXPECT_EQ(CallTrap(store, m, "call", {I32(2), I32(5)}),
            "indirect call type mismatch");
  EXPECT_EQ(CallTrap(store, m, "call", {I32(3), I32(5)}),
            "uninitialized element");
  EXPECT_EQ(CallTrap(store, m, "call", {I32(4), I32(5)}), "undefined element");
}

TEST_F(InterpTest, Memory) {
  Instance* m = Load(R"((module (memory 1 3)
    (data (i32.const 16) "\01\02\03\04")
    (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
    (func (export "load_off") (param i32) (result i32) (i32.load8_s offset=65535 (local.get 0)))
    (func (export "store") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "size") (result i32) (memory.size))
    (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
    (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2))))
  )");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(CallI32(store, m, "load", {I32(16)}), 0x04030201u);
  EXPECT_EQ(CallI32(store, m, "load", {I32(65532)}), 0u); // zeroed
  EXPECT_EQ(CallTrap(store, m, "load", {I32(65533)}),
            "out of bounds memory access");
  EXPECT_EQ(CallTrap(store, m, "load", {I32(-1)}),
            "out of bounds memory access");
  EXPECT_EQ(CallI32(store, m, "load_off", {I32(0)}), 0u);
  EXPECT_EQ(CallTrap(store, m, "load_off", {I32(1)}),
            "out of bounds memory access");
  Call(store, m, "store", {I32(100), I64(-2)});
  EXPECT_EQ(CallI32(store, m, "load", {I32(104)}), 0xFFFFFFFFu);
  EXPECT_EQ(CallTrap(store, m, "store", {I32(65529), I64(1)}),
            "out of bounds memory access");
  EXPECT_EQ(CallI32(store, m, "grow", {I32(1)}), 1u);
  EXPECT_EQ(CallI32(store, m, "size"), 2u);
  EXPECT_EQ(CallI32(store, m, "load", {I32(65536 + 100)}),
            0u); // new page readable, zero
  EXPECT_EQ(CallI32(store, m, "grow", {I32(2)}),
            0xFFFFFFFFu); // above the max of 3
  EXPECT_EQ(CallI32(store, m, "grow", {I32(0)}), 2u);
  Call(store, m, "fill", {I32(200), I32(0xAB), I32(4)});
  EXPECT_EQ(CallI32(store, m, "load", {I32(200)}), 0xABABABABu);
  Call(store, m, "copy", {I32(202), I32(16), I32(4)}); // overlapping-safe
  EXPECT_EQ(CallI32(store, m, "load", {I32(200)}), 0x0201ABABu);
  EXPECT_EQ(CallTrap(store, m, "fill", {I32(131070), I32(0), I32(3)}),
            "out of bounds memory access");
  Call(store, m, "fill",
       {I32(131072), I32(0), I32(0)}); // empty at the end: fine
}

TEST_F(InterpTest, BulkMemoryAndDataSegments) {
  Instance* m = Load(R"((module (memory 1)
    (data $d "hello")
    (func (export "init") (param i32 i32 i32) (memory.init $d (local.get 0) (local.get 1) (local.get 2)))
    (func (export "drop") (data.drop $d))
    (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0))))
  )");
  ASSERT_NE(m, nullptr);
  Call(store, m, "init", {I32(10), I32(1), I32(4)});
  EXPECT_EQ(CallI32(store, m, "load8", {I32(10)}), static_cast<uint32_t>('e'));
  EXPECT_EQ(CallI32(store, m, "load8", {I32(13)}), static_cast<uint32_t>('o'));
  EXPECT_EQ(CallTrap(store, m, "init", {I32(0), I32(3), I32(3)}),
            "out of bounds memory access");
  Call(store, m, "drop");
  Call(store, m, "init",
       {I32(0), I32(0), I32(0)}); // zero length from a dropped segment
  EXPECT_EQ(CallTrap(store, m, "init", {I32(0), I32(0), I32(1)}),
            "out of bounds memory access");
}

TEST_F(InterpTest, Tables) {
  Instance* m = Load(R"((module
    (table $t 2 10 funcref)
    (table $e 0 externref)
    (elem $seg func $a $b)
    (func $a (result i32) (i32.const 1))
    (func $b (result i32) (i32.const 2))
    (func (export "init") (table.init $t $seg (i32.const 0) (i32.const 0) (i32.const 2)))
    (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))
    (func (export "grow") (param i32) (result i32) (table.grow $t (ref.func $a) (local.get 0)))
    (func (export "size") (result i32) (table.size $t))
    (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
    (func (export "clear") (param i32) (table.set $t (local.get 0) (ref.null func)))
    (func (export "copy") (param i32 i32 i32) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
    (func (export "fill") (param i32 i32) (table.fill $t (local.get 0) (ref.func $b) (local.get 1)))
    (func (export "grow_ext") (param externref i32) (result i32) (table.grow $e (local.get 0) (local.get 1)))
    (func (export "get_ext") (param i32) (result externref) (table.get $e (local.get 0))))
  )");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(CallI32(store, m, "is_null", {I32(0)}), 1u);
  Call(store, m, "init");
  EXPECT_EQ(CallI32(store, m, "call", {I32(0)}), 1u);
  EXPECT_EQ(CallI32(store, m, "call", {I32(1)}), 2u);
  EXPECT_EQ(CallI32(store, m, "grow", {I32(3)}), 2u);
  EXPECT_EQ(CallI32(store, m, "size"), 5u);
  EXPECT_EQ(CallI32(store, m, "call", {I32(4)}), 1u);
  EXPECT_EQ(CallI32(store, m, "grow", {I32(6)}), 0xFFFFFFFFu); // max 10
  Call(store, m, "clear", {I32(0)});
  EXPECT_EQ(CallTrap(store, m, "call", {I32(0)}), "uninitialized element");
  EXPECT_EQ(CallTrap(store, m, "clear", {I32(5)}),
            "out of bounds table access");
  Call(store, m, "copy", {I32(0), I32(1), I32(1)});
  EXPECT_EQ(CallI32(store, m, "call", {I32(0)}), 2u);
  Call(store, m, "fill", {I32(2), I32(3)});
  EXPECT_EQ(CallI32(store, m, "call", {I32(4)}), 2u);
  EXPECT_EQ(CallTrap(store, m, "fill", {I32(4), I32(2)}),
            "out of bounds table access");
  int host_object = 0;
  EXPECT_EQ(CallI32(store, m, "grow_ext",
                    {Value::RefOf(ValType::ExternRef, &host_object), I32(2)}),
            0u);
  EXPECT_EQ(Call(store, m, "get_ext", {I32(1)})[0].ref, &host_object);
}

TEST_F(InterpTest, Globals) {
  Instance* m = Load(R"((module
    (global $g (mut i64) (i64.const 5))
    (global $v (mut v128) (v128.const i32x4 1 2 3 4))
    (func (export "inc") (result i64)
      (global.set $g (i64.add (global.get $g) (i64.const 1))) (global.get $g))
    (func (export "lane") (result i32)
      (global.set $v (i32x4.add (global.get $v) (global.get $v)))
      (i32x4.extract_lane 3 (global.get $v))))
  )");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(CallI64(store, m, "inc"), 6u);
  EXPECT_EQ(CallI64(store, m, "inc"), 7u);
  EXPECT_EQ(CallI32(store, m, "lane"), 8u);
}

TEST_F(InterpTest, HostFunctionsAndReentry) {
  FuncType ii{{ValType::I32}, {ValType::I32}};
  Instance* guest = nullptr;
  Instance* seen_caller = nullptr;
  FuncInst* twice = store.CreateHostFunc(
      ii,
      [&](Store& s, std::span<const Value> args,
          std::span<Value> results) -> std::optional<Trap> {
        seen_caller = s.CallerInstance();
        // Re-enter the guest from the host.
        const Value arg = args[0];
        auto r = s.Call(guest->GetExport("sq")->func(),
                        std::span<const Value>(&arg, 1));
        if (r.trap) return r.trap;
        results[0] = Value::I32(r.results[0].i32 * 2);
        return std::nullopt;
      });
  FuncInst* fail =
      store.CreateHostFunc(ii,
                           [](Store&, std::span<const Value>,
                              std::span<Value>) -> std::optional<Trap> {
                             return Trap{TrapKind::Host, "host says no"};
                           });
  guest =
      Load(R"((module
    (import "env" "twice" (func $twice (param i32) (result i32)))
    (import "env" "fail" (func $fail (param i32) (result i32)))
    (func (export "sq") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
    (func (export "go") (param i32) (result i32)
      (i32.add (i32.const 1) (call $twice (local.get 0))))
    (func (export "boom") (result i32) (call $fail (i32.const 0))))
  )",
           {Extern{ExternKind::Func, twice}, Extern{ExternKind::Func, fail}});
  ASSERT_NE(guest, nullptr);
  EXPECT_EQ(CallI32(store, guest, "go", {I32(5)}), 51u);
  EXPECT_EQ(seen_caller, guest);
  EXPECT_EQ(store.CallerInstance(), nullptr);
  EXPECT_EQ(CallTrap(store, guest, "boom"), "host says no");
  EXPECT_EQ(CallI32(store, guest, "go", {I32(2)}), 9u);
}

TEST_F(InterpTest, InterruptStopsAnInfiniteLoop) {
  Instance* m = Load(R"((module
    (func (export "spin") (loop $l (br $l)))
    (func (export "ok") (result i32) (i32.const 7)))
  )");
  ASSERT_NE(m, nullptr);
  std::atomic<bool> done{false};
  std::thread t([&] {
    while (!done.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      store.Interrupt();
    }
  });
  const std::string msg = CallTrap(store, m, "spin");
  done = true;
  t.join();
  EXPECT_EQ(msg, "interrupted");
  // The flag is cleared by the next call.
  EXPECT_EQ(CallI32(store, m, "ok"), 7u);
}

TEST_F(InterpTest, InterruptStopsRunawayRecursion) {
  Instance* m = Load(R"((module
    (func $f (export "f") (param i32) (result i32)
      (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
        (else (i32.add (call $f (i32.sub (local.get 0) (i32.const 1)))
                       (call $f (i32.sub (local.get 0) (i32.const 1))))))))
  )");
  ASSERT_NE(m, nullptr);
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    store.Interrupt();
  });
  EXPECT_EQ(CallTrap(store, m, "f", {I32(60)}), "interrupted"); // 2^60 calls
  t.join();
}

TEST_F(InterpTest, Simd) {
  Instance* m = Load(R"((module (memory 1)
    (func (export "dot") (param i32 i32) (result i32)
      (local v128)
      (local.set 2 (i32x4.mul (v128.load (local.get 0)) (v128.load (local.get 1))))
      (i32.add (i32.add (i32x4.extract_lane 0 (local.get 2)) (i32x4.extract_lane 1 (local.get 2)))
               (i32.add (i32x4.extract_lane 2 (local.get 2)) (i32x4.extract_lane 3 (local.get 2)))))
    (func (export "init")
      (v128.store (i32.const 0) (v128.const i32x4 1 2 3 4))
      (v128.store (i32.const 16) (i32x4.splat (i32.const 10))))
    (func (export "shuffle") (result i32)
      (i8x16.extract_lane_u 0
        (i8x16.shuffle 16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
          (v128.const i8x16 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0)
          (v128.const i8x16 9 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0))))
    (func (export "oob") (drop (v128.load (i32.const 65521)))))
  )");
  ASSERT_NE(m, nullptr);
  Call(store, m, "init");
  EXPECT_EQ(CallI32(store, m, "dot", {I32(0), I32(16)}), 100u);
  EXPECT_EQ(CallI32(store, m, "shuffle"), 9u);
  EXPECT_EQ(CallTrap(store, m, "oob"), "out of bounds memory access");
}

} // namespace
} // namespace weft
