// The compiled tier (src/compile): code generation, calls, and traps —
// explicit checks, guard-page memory faults, native stack exhaustion and
// interruption — each ending only the call, with the Store still usable.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "compile/compile.h"
#include "runtime/store_impl.h"
#include "wat_helper.h"

namespace weft {
namespace {

class CompiledTest : public ::testing::Test {
protected:
  Instance* Load(const std::string& wat, std::vector<Extern> imports = {}) {
    auto r = CompileModuleNative(engine_, test::Wat(wat));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().Describe());
    if (!r.ok()) return nullptr;
    InstantiateResult ir = store_.Instantiate(r.value(), imports);
    EXPECT_FALSE(ir.link_error);
    EXPECT_FALSE(ir.trap);
    return ir.instance;
  }
  CallResult Call(Instance* inst, const char* name, std::vector<Value> args) {
    return store_.Call(inst->GetExport(name)->func(), args);
  }
  uint32_t I32Of(Instance* inst, const char* name, std::vector<Value> args) {
    CallResult r = Call(inst, name, std::move(args));
    EXPECT_FALSE(r.trap) << name << ": " << r.trap->message;
    return r.trap ? 0xDEADBEEF : r.results.at(0).i32;
  }
  std::string TrapOf(Instance* inst, const char* name,
                     std::vector<Value> args) {
    CallResult r = Call(inst, name, std::move(args));
    return r.trap ? r.trap->message : "no trap";
  }
  Engine engine_;
  Store store_{engine_};
};

TEST_F(CompiledTest, ArithmeticAndControlFlow) {
  Instance* m = Load(R"((module
    (func (export "add") (param i32 i32) (result i32)
      (i32.add (local.get 0) (local.get 1)))
    (func (export "div") (param i32 i32) (result i32)
      (i32.div_s (local.get 0) (local.get 1)))
    (func (export "sum") (param i32) (result i32) (local i32)
      (block (loop
        (br_if 1 (i32.eqz (local.get 0)))
        (local.set 1 (i32.add (local.get 1) (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br 0)))
      (local.get 1))
    (func (export "sel") (param i32) (result i32)
      (block (block (block (br_table 0 1 2 (local.get 0)))
        (return (i32.const 10))) (return (i32.const 20)))
      (i32.const 7))
    (func (export "trunc") (param f64) (result i32)
      (i32.trunc_f64_s (local.get 0)))))");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(I32Of(m, "add", {Value::I32(40), Value::I32(2)}), 42u);
  EXPECT_EQ(I32Of(m, "div", {Value::I32(-7), Value::I32(2)}), uint32_t(-3));
  EXPECT_EQ(TrapOf(m, "div", {Value::I32(1), Value::I32(0)}),
            "integer divide by zero");
  EXPECT_EQ(TrapOf(m, "div", {Value::I32(0x80000000u), Value::I32(-1)}),
            "integer overflow");
  EXPECT_EQ(I32Of(m, "sum", {Value::I32(100)}), 5050u);
  EXPECT_EQ(I32Of(m, "sel", {Value::I32(0)}), 10u);
  EXPECT_EQ(I32Of(m, "sel", {Value::I32(1)}), 20u);
  EXPECT_EQ(I32Of(m, "sel", {Value::I32(9)}), 7u);
  EXPECT_EQ(I32Of(m, "trunc", {Value::F64(-2147483648.9)}),
            uint32_t(-2147483648LL));
  EXPECT_EQ(TrapOf(m, "trunc", {Value::F64(2147483648.0)}), "integer overflow");
  EXPECT_EQ(TrapOf(m, "trunc", {Value::F64(std::nan(""))}),
            "invalid conversion to integer");
}

TEST_F(CompiledTest, CallsHostImportsAndMultiValue) {
  int host_calls = 0;
  FuncInst* host = store_.CreateHostFunc(
      FuncType{{ValType::I32}, {ValType::I32}},
      [&](Store&, std::span<const Value> a, std::span<Value> r) {
        ++host_calls;
        r[0] = Value::I32(a[0].i32 * 3);
        return std::optional<Trap>();
      });
  Instance* m = Load(R"((module
    (import "h" "triple" (func $triple (param i32) (result i32)))
    (func $fac (param i64) (result i64)
      (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
        (else (i64.mul (local.get 0)
                       (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
    (func $pair (param i32) (result i32 i32)
      (local.get 0) (call $triple (local.get 0)))
    (func (export "fac") (param i64) (result i64) (call $fac (local.get 0)))
    (func (export "pair_sum") (param i32) (result i32)
      (call $pair (local.get 0)) (i32.add))))",
                     {Extern{ExternKind::Func, host}});
  ASSERT_NE(m, nullptr);
  CallResult r = Call(m, "fac", {Value::I64(20)});
  ASSERT_FALSE(r.trap);
  EXPECT_EQ(r.results[0].i64, 2432902008176640000ull);
  EXPECT_EQ(I32Of(m, "pair_sum", {Value::I32(5)}), 20u);
  EXPECT_EQ(host_calls, 1);
}

TEST_F(CompiledTest, CallIndirectTraps) {
  Instance* m = Load(R"((module
    (type $ii (func (param i32) (result i32)))
    (table 4 funcref)
    (elem (i32.const 0) $inc $f64)
    (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    (func $f64 (param f64) (result f64) (local.get 0))
    (func (export "call") (param i32 i32) (result i32)
      (call_indirect (type $ii) (local.get 1) (local.get 0)))))");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(I32Of(m, "call", {Value::I32(0), Value::I32(41)}), 42u);
  EXPECT_EQ(TrapOf(m, "call", {Value::I32(1), Value::I32(0)}),
            "indirect call type mismatch");
  EXPECT_EQ(TrapOf(m, "call", {Value::I32(2), Value::I32(0)}),
            "uninitialized element");
  EXPECT_EQ(TrapOf(m, "call", {Value::I32(4), Value::I32(0)}),
            "undefined element");
}

// call_indirect's inline checks and direct calls against tables shared
// between instances and mutated by table.set/grow/copy, the embedder, and
// with host and interpreter functions among the elements.
TEST_F(CompiledTest, CallIndirectThroughSharedAndMutatedTables) {
  FuncInst* host = store_.CreateHostFunc(
      FuncType{{ValType::I32}, {ValType::I32}},
      [](Store&, std::span<const Value> a, std::span<Value> r) {
        r[0] = Value::I32(a[0].i32 * 100);
        return std::optional<Trap>();
      });
  // A: owns the table and a global its functions read (so calling them
  // with the wrong context would give a wrong answer).
  Instance* a = Load(R"((module
    (global $g (mut i32) (i32.const 1000))
    (table (export "t") 2 10 funcref)
    (elem (i32.const 0) $add_g)
    (func $add_g (export "add_g") (param i32) (result i32)
      (i32.add (local.get 0) (global.get $g)))
    (func (export "set_g") (param i32) (global.set $g (local.get 0)))
    (func (export "call") (param i32 i32) (result i32)
      (call_indirect (param i32) (result i32) (local.get 1) (local.get 0)))))");
  ASSERT_NE(a, nullptr);
  // An interpreter instance with a function of the same type.
  auto interp = CompileModule(engine_, test::Wat(R"((module
    (func (export "neg") (param i32) (result i32)
      (i32.sub (i32.const 0) (local.get 0)))))"));
  ASSERT_TRUE(interp.ok());
  InstantiateResult ii = store_.Instantiate(interp.value(), {});
  ASSERT_TRUE(ii.instance);
  FuncInst* neg = ii.instance->GetExport("neg")->func();
  // B: imports A's table and add_g, adds its own functions to the table.
  Instance* b =
      Load(R"((module
    (import "a" "t" (table $t 2 funcref))
    (import "a" "add_g" (func $add_g (param i32) (result i32)))
    (import "h" "host" (func $host (param i32) (result i32)))
    (import "i" "neg" (func $neg (param i32) (result i32)))
    (global $g (mut i32) (i32.const 7))
    (func $mul_g (param i32) (result i32) (i32.mul (local.get 0) (global.get $g)))
    (func $f64 (param f64) (result f64) (local.get 0))
    (elem declare func $mul_g $f64 $host $neg)
    (func (export "import") (param i32) (result i32) (call $add_g (local.get 0)))
    (func (export "call") (param i32 i32) (result i32)
      (call_indirect (param i32) (result i32) (local.get 1) (local.get 0)))
    (func (export "grow_mul") (result i32)
      (table.grow $t (ref.func $mul_g) (i32.const 2)))
    (func (export "set") (param i32 i32)
      (block (block (block (block (br_table 0 1 2 3 (local.get 1)))
        (table.set $t (local.get 0) (ref.func $f64)) (return))
        (table.set $t (local.get 0) (ref.null func)) (return))
        (table.set $t (local.get 0) (ref.func $host)) (return))
      (table.set $t (local.get 0) (ref.func $neg)))
    (func (export "copy") (param i32 i32)
      (table.copy (local.get 0) (local.get 1) (i32.const 1)))))",
           {a->GetExport("t").value(), a->GetExport("add_g").value(),
            Extern{ExternKind::Func, host}, Extern{ExternKind::Func, neg}});
  ASSERT_NE(b, nullptr);
  // A's element, from A and from B (A's context either way).
  EXPECT_EQ(I32Of(a, "call", {Value::I32(0), Value::I32(5)}), 1005u);
  EXPECT_EQ(I32Of(b, "call", {Value::I32(0), Value::I32(5)}), 1005u);
  EXPECT_EQ(I32Of(b, "import", {Value::I32(6)}), 1006u);
  ASSERT_FALSE(Call(a, "set_g", {Value::I32(2000)}).trap);
  EXPECT_EQ(I32Of(b, "call", {Value::I32(0), Value::I32(5)}), 2005u);
  EXPECT_EQ(I32Of(b, "import", {Value::I32(6)}), 2006u);
  EXPECT_EQ(TrapOf(b, "call", {Value::I32(1), Value::I32(5)}),
            "uninitialized element");
  EXPECT_EQ(TrapOf(a, "call", {Value::I32(2), Value::I32(5)}),
            "undefined element");
  // table.grow by B: the new elements are B's function, called with B's
  // context from A too.
  EXPECT_EQ(I32Of(b, "grow_mul", {}), 2u);
  EXPECT_EQ(I32Of(a, "call", {Value::I32(3), Value::I32(5)}), 35u);
  EXPECT_EQ(I32Of(b, "call", {Value::I32(2), Value::I32(6)}), 42u);
  EXPECT_EQ(TrapOf(a, "call", {Value::I32(4), Value::I32(5)}),
            "undefined element");
  // table.set: wrong type, null, host and interpreter functions.
  ASSERT_FALSE(Call(b, "set", {Value::I32(2), Value::I32(0)}).trap);
  EXPECT_EQ(TrapOf(a, "call", {Value::I32(2), Value::I32(5)}),
            "indirect call type mismatch");
  ASSERT_FALSE(Call(b, "set", {Value::I32(3), Value::I32(1)}).trap);
  EXPECT_EQ(TrapOf(b, "call", {Value::I32(3), Value::I32(5)}),
            "uninitialized element");
  ASSERT_FALSE(Call(b, "set", {Value::I32(2), Value::I32(2)}).trap);
  EXPECT_EQ(I32Of(a, "call", {Value::I32(2), Value::I32(5)}), 500u);
  ASSERT_FALSE(Call(b, "set", {Value::I32(3), Value::I32(3)}).trap);
  EXPECT_EQ(I32Of(b, "call", {Value::I32(3), Value::I32(5)}), uint32_t(-5));
  // table.copy, and a write by the embedder.
  ASSERT_FALSE(Call(b, "copy", {Value::I32(1), Value::I32(0)}).trap);
  EXPECT_EQ(I32Of(b, "call", {Value::I32(1), Value::I32(1)}), 2001u);
  a->GetExport("t")->table()->Set(1, FuncToRef(AsImpl(neg)));
  EXPECT_EQ(I32Of(a, "call", {Value::I32(1), Value::I32(9)}), uint32_t(-9));
}

// A direct call into another instance's code: its memory faults are still
// traps (the signal handler knows every instance's memory).
TEST_F(CompiledTest, OutOfBoundsInAnotherInstanceCalledDirectly) {
  Instance* a = Load(R"((module
    (memory 1)
    (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))))");
  ASSERT_NE(a, nullptr);
  Instance* b = Load(R"((module
    (import "a" "load" (func $load (param i32) (result i32)))
    (memory 1)
    (func (export "via") (param i32) (result i32)
      (i32.store (i32.const 0) (i32.const 9))
      (i32.add (i32.load (i32.const 0)) (call $load (local.get 0))))))",
                     {a->GetExport("load").value()});
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(I32Of(b, "via", {Value::I32(0)}), 9u);
  EXPECT_EQ(TrapOf(b, "via", {Value::I32(65536)}),
            "out of bounds memory access");
  EXPECT_EQ(I32Of(b, "via", {Value::I32(4)}), 9u);
}

TEST_F(CompiledTest, OutOfBoundsThroughGuardPages) {
  Instance* m = Load(R"((module
    (memory 1 4)
    (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
    (func (export "load_off") (param i32) (result i32)
      (i32.load offset=0xFFFFFFFF (local.get 0)))
    (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))))");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(I32Of(m, "load", {Value::I32(65532)}), 0u);
  // Just past the end: the last 4-byte access straddles the boundary.
  EXPECT_EQ(TrapOf(m, "load", {Value::I32(65533)}),
            "out of bounds memory access");
  EXPECT_EQ(TrapOf(m, "load", {Value::I32(65536)}),
            "out of bounds memory access");
  EXPECT_EQ(TrapOf(m, "load", {Value::I32(0xFFFFFFFFu)}),
            "out of bounds memory access");
  EXPECT_EQ(TrapOf(m, "load_off", {Value::I32(0xFFFFFFFFu)}),
            "out of bounds memory access");
  // After memory.grow the next page is usable, the one after still traps.
  EXPECT_EQ(TrapOf(m, "store", {Value::I32(70000), Value::I32(7)}),
            "out of bounds memory access");
  EXPECT_EQ(I32Of(m, "grow", {Value::I32(1)}), 1u);
  ASSERT_FALSE(Call(m, "store", {Value::I32(70000), Value::I32(7)}).trap);
  EXPECT_EQ(I32Of(m, "load", {Value::I32(70000)}), 7u);
  EXPECT_EQ(TrapOf(m, "load", {Value::I32(131072)}),
            "out of bounds memory access");
}

// Explicit bounds checks (WEFT_BOUNDS_CHECKS=explicit at compile time):
// the same answers and traps as with guard pages, at every access width,
// with offsets, after memory.grow, and for SIMD loads/stores.
TEST_F(CompiledTest, ExplicitBoundsChecks) {
  const char* wat = R"((module
    (memory 1 3)
    (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
    (func (export "load8") (param i32) (result i32)
      (i32.load8_u offset=7 (local.get 0)))
    (func (export "load64") (param i32) (result i64) (i64.load (local.get 0)))
    (func (export "load_off") (param i32) (result i32)
      (i32.load offset=0xFFFFFFFF (local.get 0)))
    (func (export "drop") (param i32) (drop (i32.load (local.get 0))))
    (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
    (func (export "vload") (param i32) (result i32)
      (i32x4.extract_lane 3 (v128.load (local.get 0))))
    (func (export "vstore_lane") (param i32)
      (v128.store32_lane 1 (local.get 0) (v128.const i32x4 1 2 3 4)))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "sum") (param i32) (result i32) (local i32 i32)
      (loop $l
        (local.set 2 (i32.add (local.get 2) (i32.load8_u (local.get 1))))
        (local.set 1 (i32.add (local.get 1) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
      (local.get 2))))";
  setenv("WEFT_BOUNDS_CHECKS", "explicit", 1);
  Instance* m = Load(wat);
  unsetenv("WEFT_BOUNDS_CHECKS");
  ASSERT_NE(m, nullptr);
  const std::string oob = "out of bounds memory access";
  ASSERT_FALSE(
      Call(m, "store", {Value::I32(65532), Value::I32(0x01020304)}).trap);
  EXPECT_EQ(I32Of(m, "load", {Value::I32(65532)}), 0x01020304u);
  EXPECT_EQ(TrapOf(m, "load", {Value::I32(65533)}), oob);
  EXPECT_EQ(TrapOf(m, "load", {Value::I32(0xFFFFFFFFu)}), oob);
  EXPECT_EQ(I32Of(m, "load8", {Value::I32(65528)}), 0x01u);
  EXPECT_EQ(TrapOf(m, "load8", {Value::I32(65529)}), oob);
  EXPECT_EQ(Call(m, "load64", {Value::I32(65528)}).results.at(0).i64,
            0x0102030400000000ull);
  EXPECT_EQ(TrapOf(m, "load64", {Value::I32(65529)}), oob);
  EXPECT_EQ(TrapOf(m, "load_off", {Value::I32(1)}), oob);
  EXPECT_EQ(TrapOf(m, "drop", {Value::I32(65536)}), oob);
  EXPECT_EQ(TrapOf(m, "store", {Value::I32(65534), Value::I32(1)}), oob);
  EXPECT_EQ(I32Of(m, "vload", {Value::I32(65520)}), 0x01020304u);
  EXPECT_EQ(TrapOf(m, "vload", {Value::I32(65521)}), oob);
  ASSERT_FALSE(Call(m, "vstore_lane", {Value::I32(65532)}).trap);
  EXPECT_EQ(I32Of(m, "load", {Value::I32(65532)}), 2u);
  EXPECT_EQ(TrapOf(m, "vstore_lane", {Value::I32(65533)}), oob);
  // The store that trapped wrote nothing.
  EXPECT_EQ(I32Of(m, "load", {Value::I32(65532)}), 2u);
  EXPECT_EQ(I32Of(m, "sum", {Value::I32(65536)}), 2u);
  EXPECT_EQ(TrapOf(m, "sum", {Value::I32(65537)}), oob);
  EXPECT_EQ(I32Of(m, "grow", {Value::I32(1)}), 1u);
  ASSERT_FALSE(Call(m, "store", {Value::I32(131068), Value::I32(9)}).trap);
  EXPECT_EQ(I32Of(m, "load", {Value::I32(131068)}), 9u);
  EXPECT_EQ(TrapOf(m, "load", {Value::I32(131069)}), oob);
}

TEST_F(CompiledTest, DeepRecursionExhaustsTheStackAndTheStoreSurvives) {
  Instance* m = Load(R"((module
    (func $down (export "down") (param i64) (result i64)
      (i64.add (i64.const 1) (call $down (local.get 0))))
    (func (export "ok") (result i32) (i32.const 1))))");
  ASSERT_NE(m, nullptr);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(TrapOf(m, "down", {Value::I64(0)}), "call stack exhausted");
    EXPECT_EQ(I32Of(m, "ok", {}), 1u);
  }
}

TEST_F(CompiledTest, HotLoopStoppedByInterruptFromAnotherThread) {
  Instance* m = Load(R"((module
    (func (export "spin") (loop (br 0)))))");
  ASSERT_NE(m, nullptr);
  std::thread t([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    store_.Interrupt();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(TrapOf(m, "spin", {}), "interrupted");
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// A counted loop keeps its interruption check when its trip count is not
// bounded by 2^32 (here 2^64 - 1 iterations), and a small counted loop
// without one still computes the right thing.
TEST_F(CompiledTest, LongCountedLoopStaysInterruptible) {
  Instance* m = Load(R"((module
    (memory 1)
    (func (export "spin64") (local i64)
      (local.set 0 (i64.const 1))
      (loop $l
        (local.set 0 (i64.add (local.get 0) (i64.const 1)))
        (br_if $l (i64.ne (local.get 0) (i64.const 0)))))
    (func (export "sum") (result i32) (local i32 i32)
      (loop $l
        (i32.store (i32.shl (local.get 0) (i32.const 2)) (local.get 0))
        (local.set 0 (i32.add (local.get 0) (i32.const 1)))
        (br_if $l (i32.ne (local.get 0) (i32.const 1000))))
      (local.set 0 (i32.const 0))
      (loop $l
        (local.set 1 (i32.add (local.get 1)
          (i32.load (i32.shl (local.get 0) (i32.const 2)))))
        (local.set 0 (i32.add (local.get 0) (i32.const 1)))
        (br_if $l (i32.ne (local.get 0) (i32.const 1000))))
      (local.get 1))))");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(I32Of(m, "sum", {}), 499500u);
  std::thread t([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    store_.Interrupt();
  });
  EXPECT_EQ(TrapOf(m, "spin64", {}), "interrupted");
  t.join();
}

TEST_F(CompiledTest, TrapThenNormalCallOnTheSameStore) {
  Instance* m = Load(R"((module
    (memory 1)
    (func (export "boom") (unreachable))
    (func (export "oob") (result i32) (i32.load (i32.const 65536)))
    (func (export "inc") (param i32) (result i32)
      (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (local.get 0)))
      (i32.load (i32.const 0)))))");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(TrapOf(m, "boom", {}), "unreachable");
  EXPECT_EQ(I32Of(m, "inc", {Value::I32(2)}), 2u);
  EXPECT_EQ(TrapOf(m, "oob", {}), "out of bounds memory access");
  EXPECT_EQ(I32Of(m, "inc", {Value::I32(3)}), 5u);
}

// v128 values through every way in and out of compiled code: Store::Call
// (two slots per v128 among other values), a host import and a host
// function in a table (the slot buffer), call_indirect to compiled code
// (direct), a mutable v128 global, and multi-value results.
TEST_F(CompiledTest, SimdValuesAcrossCallsAndGlobals) {
  FuncInst* host = store_.CreateHostFunc(
      FuncType{{ValType::I32, ValType::V128, ValType::I64}, {ValType::V128}},
      [](Store&, std::span<const Value> a, std::span<Value> r) {
        V128 v = a[1].v128;
        v.bytes[0] = static_cast<uint8_t>(a[0].i32);
        v.bytes[15] = static_cast<uint8_t>(a[2].i64);
        r[0] = Value::Vec(v);
        return std::optional<Trap>();
      });
  Instance* m = Load(R"((module
    (type $t (func (param i32 v128 i64) (result v128)))
    (import "h" "f" (func $host (type $t)))
    (global $g (mut v128) (v128.const i32x4 1 2 3 4))
    (table 2 funcref)
    (elem (i32.const 0) $host $mine)
    (func $mine (type $t)
      (i32x4.add (local.get 1)
        (i32x4.splat (i32.add (local.get 0) (i32.wrap_i64 (local.get 2))))))
    (func (export "mix") (param i32 v128 i64 v128) (result v128 i32)
      (global.set $g (i32x4.mul (local.get 1) (local.get 3)))
      (call $host (local.get 0) (global.get $g) (local.get 2))
      (i32x4.extract_lane 3 (call_indirect (type $t)
        (local.get 0) (local.get 3) (local.get 2) (i32.const 1))))
    (func (export "via_table") (param i32) (result v128)
      (call_indirect (type $t) (i32.const 7) (global.get $g) (i64.const 9)
        (local.get 0)))
    (func (export "dot") (param v128 v128) (result i32)
      (i32x4.extract_lane 0 (i32x4.dot_i16x8_s (local.get 0) (local.get 1))))))",
                     {Extern{ExternKind::Func, host}});
  ASSERT_NE(m, nullptr);
  auto vec = [](uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    V128 v;
    const uint32_t lanes[4] = {a, b, c, d};
    std::memcpy(v.bytes, lanes, 16);
    return Value::Vec(v);
  };
  CallResult r = Call(m, "mix",
                      {Value::I32(5), vec(1, 2, 3, 4), Value::I64(0x1122),
                       vec(10, 20, 30, 40)});
  ASSERT_FALSE(r.trap) << r.trap->message;
  ASSERT_EQ(r.results.size(), 2u);
  // Host: g = {10, 40, 90, 160} with byte 0 = 5 and byte 15 = 0x22.
  EXPECT_EQ(r.results[0].v128.Lane<uint32_t>(0), 5u);
  EXPECT_EQ(r.results[0].v128.Lane<uint32_t>(1), 40u);
  EXPECT_EQ(r.results[0].v128.Lane<uint32_t>(2), 90u);
  EXPECT_EQ(r.results[0].v128.Lane<uint32_t>(3), 0x22000000u | 160u);
  // $mine through call_indirect: 40 + 5 + 0x1122.
  EXPECT_EQ(r.results[1].i32, 40u + 5u + 0x1122u);
  // The host function through the table (slow path), with the global.
  r = Call(m, "via_table", {Value::I32(0)});
  ASSERT_FALSE(r.trap) << r.trap->message;
  EXPECT_EQ(r.results[0].v128.Lane<uint32_t>(0), 7u);
  EXPECT_EQ(r.results[0].v128.Lane<uint32_t>(2), 90u);
  EXPECT_EQ(r.results[0].v128.bytes[15], 9u);
  r = Call(m, "via_table", {Value::I32(1)});
  ASSERT_FALSE(r.trap) << r.trap->message;
  EXPECT_EQ(r.results[0].v128.Lane<uint32_t>(1), 40u + 16u);
  // i16 lanes {3, -2, ...} . {4, 5, ...}: 12 - 10.
  EXPECT_EQ(
      I32Of(m, "dot", {vec(0xFFFE0003u, 0, 0, 0), vec(0x00050004u, 0, 0, 0)}),
      2u);
}

} // namespace
} // namespace weft
