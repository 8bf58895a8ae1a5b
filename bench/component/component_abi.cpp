// Cost of a canonical-ABI call (issue 10): a function taking a string and a
// list of records, across the boundary in both directions, against a plain
// core call of the same guest, on the interpreter tier. Google Benchmark;
// target weft_bench_component_abi (needs wat2wasm on PATH).
//
//   lifted:  the host calls a guest export f(s: string, xs: list<item>)
//            -> u32 (CallLifted: lower both into the guest through its
//            realloc, call, lift the result, post-return resets the bump
//            allocator)
//   lowered: the guest calls an import of that type (CallLowered: lift the
//            string and the records out of its memory into Vals, call the
//            host, lower the result)
//   core:    the guest export called with four i32s (Store::Call only)
//   bytes:   a 64 KiB list<u8> lowered into the guest (an HTTP body chunk)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

#include "component/abi.h"
#include "component/value.h"
#include "runtime/runtime.h"

namespace weft::component {
namespace {

std::vector<uint8_t> Wat(const std::string& text) {
  char dir[] = "/tmp/weft_bench_XXXXXX";
  if (!mkdtemp(dir)) return {};
  const std::string wat = std::string(dir) + "/m.wat",
                    wasm = std::string(dir) + "/m.wasm";
  std::ofstream(wat) << text;
  const std::string cmd = "wat2wasm " + wat + " -o " + wasm;
  if (std::system(cmd.c_str()) != 0) return {};
  std::ifstream in(wasm, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  std::remove(wat.c_str());
  std::remove(wasm.c_str());
  rmdir(dir);
  return bytes;
}

// `f` sums the string's bytes and the records' values; `run` calls the
// import with a 32-byte string and 8 records {name: string, value: u32}
// laid out in its data segment.
const char* kGuest = R"((module
  (import "env" "f" (func $f (param i32 i32 i32 i32) (result i32)))
  (memory (export "mem") 2)
  (global $bump (mut i32) (i32.const 8192))
  (data (i32.const 1024) "a 32-byte string for the bench!!")
  (data (i32.const 1100) "name")
  (func (export "realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $bump)
      (i32.sub (local.get 2) (i32.const 1))) (i32.sub (i32.const 0) (local.get 2))))
    (global.set $bump (i32.add (local.get $p) (local.get 3)))
    (if (i32.gt_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.const 2)))))
    (local.get $p))
  (func (export "post") (param i32) (global.set $bump (i32.const 8192)))
  (func (export "reset") (global.set $bump (i32.const 8192)))
  (func (export "f") (param $s i32) (param $n i32) (param $xs i32) (param $m i32)
        (result i32)
    (local $sum i32)
    (block $d (loop $l (br_if $d (i32.eqz (local.get $n)))
      (local.set $sum (i32.add (local.get $sum) (i32.load8_u (local.get $s))))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br $l)))
    (block $d (loop $l (br_if $d (i32.eqz (local.get $m)))
      (local.set $sum (i32.add (local.get $sum) (i32.load offset=8 (local.get $xs))))
      (local.set $xs (i32.add (local.get $xs) (i32.const 12)))
      (local.set $m (i32.sub (local.get $m) (i32.const 1))) (br $l)))
    (local.get $sum))
  (func (export "setup") (local $i i32)
    (block $d (loop $l (br_if $d (i32.eq (local.get $i) (i32.const 8)))
      (i32.store (i32.add (i32.const 2048) (i32.mul (local.get $i) (i32.const 12)))
                 (i32.const 1100))
      (i32.store offset=4 (i32.add (i32.const 2048) (i32.mul (local.get $i) (i32.const 12)))
                 (i32.const 4))
      (i32.store offset=8 (i32.add (i32.const 2048) (i32.mul (local.get $i) (i32.const 12)))
                 (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l))))
  (func (export "run") (result i32)
    (call $f (i32.const 1024) (i32.const 32) (i32.const 2048) (i32.const 8)))
))";

struct Fixture {
  Engine engine;
  Store store{engine};
  TypeArena types;
  FuncType f, bytes_f;
  InstanceState inst;
  Site site, bytes_site;
  std::optional<AbiLayouts> layouts;
  Instance* m = nullptr;
  FuncInst* core_f = nullptr;
  FuncInst* bytes_core = nullptr;
  std::vector<Val> args, bytes_args;

  Fixture() {
    const TypeId str = types.Prim(ValKind::String),
                 u32 = types.Prim(ValKind::U32), u8 = types.Prim(ValKind::U8);
    ValType item;
    item.kind = ValKind::Record;
    item.fields = {{"name", str}, {"value", u32}};
    const TypeId item_t = types.AddVal(item);
    ValType list;
    list.kind = ValKind::List;
    list.elem = item_t;
    const TypeId list_t = types.AddVal(list);
    list.elem = u8;
    const TypeId bytes_t = types.AddVal(list);
    f.params = {{"s", str}, {"xs", list_t}};
    f.results = {u32};
    bytes_f.params = {{"body", bytes_t}};
    layouts.emplace(types);

    // The import: the host side of `f`, through CallLowered.
    FuncInst* import = store.CreateHostFunc(
        CoreFuncType(*layouts, f, true),
        [this](Store&, std::span<const Value> a, std::span<Value> r) {
          return CallLowered(
              site, a, r, [](std::span<const Val> args, std::vector<Val>& res) {
                res.push_back(Val::U32(static_cast<uint32_t>(
                    args[0].s.size() + args[1].items.size())));
                return std::optional<Trap>();
              });
        });
    auto compiled = CompileModule(engine, Wat(kGuest));
    if (!compiled) {
      std::fprintf(stderr, "guest: %s\n", compiled.error().Describe().c_str());
      std::exit(1);
    }
    const Extern imports[] = {{ExternKind::Func, import}};
    m = store.Instantiate(compiled.value(), imports).instance;
    store.Call(m->GetExport("setup")->func(), {});
    core_f = m->GetExport("f")->func();
    bytes_core = store.CreateHostFunc(
        CoreFuncType(*layouts, bytes_f, false),
        [](Store&, auto, auto) { return std::optional<Trap>(); });
    for (Site* s : {&site, &bytes_site}) {
      s->store = &store;
      s->types = &types;
      s->opts.memory = m->GetExport("mem")->memory();
      s->opts.realloc = m->GetExport("realloc")->func();
      s->opts.post_return = m->GetExport("post")->func();
      s->instance = &inst;
      s->layouts = &*layouts;
    }
    site.type = &f;
    bytes_site.type = &bytes_f;
    bytes_site.opts.post_return = m->GetExport("reset")->func();
    Val xs = Val::Of(ValKind::List, 0);
    for (uint32_t i = 0; i < 8; ++i)
      xs.items.push_back(Val::Record({Val::Str("name"), Val::U32(i)}));
    args = {Val::Str("a 32-byte string for the bench!!"), xs};
    bytes_args = {Val::Bytes(std::string(64 * 1024, 'x'))};
  }
};

Fixture& F() {
  static Fixture f;
  return f;
}

void BM_CoreCall(benchmark::State& state) {
  Fixture& f = F();
  const Value a[] = {Value::I32(1024), Value::I32(32), Value::I32(2048),
                     Value::I32(8)};
  for (auto _ : state) {
    CallResult r = f.store.Call(f.core_f, a);
    benchmark::DoNotOptimize(r.results[0].i32);
  }
}
BENCHMARK(BM_CoreCall);

void BM_LiftedCall(benchmark::State& state) {
  Fixture& f = F();
  std::vector<Val> results;
  for (auto _ : state) {
    if (auto t = CallLifted(f.site, f.core_f, f.args, results)) {
      state.SkipWithError(t->message.c_str());
      break;
    }
    benchmark::DoNotOptimize(results[0].u);
  }
}
BENCHMARK(BM_LiftedCall);

void BM_LoweredCall(benchmark::State& state) {
  Fixture& f = F();
  FuncInst* run = f.m->GetExport("run")->func();
  for (auto _ : state) {
    CallResult r = f.store.Call(run, {});
    if (r.trap) {
      state.SkipWithError(r.trap->message.c_str());
      break;
    }
    benchmark::DoNotOptimize(r.results[0].i32);
  }
}
BENCHMARK(BM_LoweredCall);

void BM_Bytes64K(benchmark::State& state) {
  Fixture& f = F();
  std::vector<Val> results;
  for (auto _ : state) {
    if (auto t =
            CallLifted(f.bytes_site, f.bytes_core, f.bytes_args, results)) {
      state.SkipWithError(t->message.c_str());
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * 64 * 1024);
}
BENCHMARK(BM_Bytes64K);

} // namespace
} // namespace weft::component

BENCHMARK_MAIN();
