// Instantiation benchmark for weft (the counterpart of instantiate.mjs):
//   weft_bench_instantiate MODULE.wasm [ITERS]
// MODULE.wasm comes from gen_module.py (1 MiB data segment, empty export
// `f`). Compiles the module once, then times ITERS rounds of
// Store + Instantiate + Call(f); a fresh Store per round, since a Store owns
// everything it creates. Prints "us_per_instance=<µs>" and exits non-zero if
// anything fails or the last instance's memory does not hold the segment.
//
// HOOK: this uses only src/runtime/runtime.h; build it with the
// weft_bench_instantiate target (bench/CMakeLists.txt).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include "runtime/runtime.h"

namespace {

constexpr uint32_t kSeed = 0x2545F491u;
constexpr uint64_t kDataBytes = 1u << 20;

struct Round {
  bool ok = false;
  bool data_ok = false;
};

// One instance: Store + Instantiate + Call(f). Checks the data when asked.
Round InstantiateOnce(const weft::Engine& engine,
                      const std::shared_ptr<const weft::CompiledModule>& module,
                      bool check_data) {
  Round round;
  weft::Store store(engine);
  weft::InstantiateResult inst = store.Instantiate(module, {});
  if (!inst.instance) {
    std::fprintf(stderr, "instantiate failed: %s\n",
                 inst.link_error ? inst.link_error->Describe().c_str()
                 : inst.trap     ? inst.trap->message.c_str()
                                 : "unknown");
    return round;
  }
  std::optional<weft::Extern> f = inst.instance->GetExport("f");
  if (!f || f->kind != weft::ExternKind::Func) {
    std::fprintf(stderr, "no exported function f\n");
    return round;
  }
  weft::CallResult call = store.Call(f->func(), {});
  if (call.trap) {
    std::fprintf(stderr, "f trapped: %s\n", call.trap->message.c_str());
    return round;
  }
  round.ok = true;
  if (check_data) {
    std::optional<weft::Extern> mem = inst.instance->GetExport("memory");
    if (!mem || mem->kind != weft::ExternKind::Memory ||
        mem->memory()->size_bytes() < kDataBytes) {
      std::fprintf(stderr, "no exported memory of at least 1 MiB\n");
      return round;
    }
    const uint8_t* data = mem->memory()->data();
    uint32_t x = kSeed;
    round.data_ok = true;
    for (uint64_t i = 0; i < kDataBytes / 4; i++) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      // The module stores the words little-endian.
      const uint8_t* b = data + 4 * i;
      uint32_t le = b[0] | b[1] << 8 | b[2] << 16 | uint32_t{b[3]} << 24;
      if (le != x) {
        std::fprintf(stderr, "data segment mismatch at word %llu\n",
                     static_cast<unsigned long long>(i));
        round.data_ok = false;
        break;
      }
    }
  }
  return round;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s MODULE.wasm [ITERS]\n", argv[0]);
    return 2;
  }
  const long iters = argc == 3 ? std::atol(argv[2]) : 2000;
  if (iters < 1) {
    std::fprintf(stderr, "ITERS must be >= 1\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());

  weft::Engine engine;
  auto compiled = weft::CompileModule(engine, bytes);
  if (!compiled.ok()) {
    std::fprintf(stderr, "compile failed: %s\n",
                 compiled.error().Describe().c_str());
    return 1;
  }
  std::shared_ptr<const weft::CompiledModule> module = compiled.value();

  const long warmup = iters < 100 ? iters : 100;
  for (long i = 0; i < warmup; i++)
    if (!InstantiateOnce(engine, module, false).ok) return 1;

  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < iters; i++)
    if (!InstantiateOnce(engine, module, false).ok) return 1;
  auto t1 = std::chrono::steady_clock::now();

  Round last = InstantiateOnce(engine, module, true);
  if (!last.ok || !last.data_ok) return 1;

  double us = std::chrono::duration<double, std::micro>(t1 - t0).count();
  std::printf("us_per_instance=%.2f\n", us / static_cast<double>(iters));
  return 0;
}
