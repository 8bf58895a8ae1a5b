// Ahead-of-time compilation benchmark (issue 5): generates a ~1 MB module
// (bench/aot/aot_bench.cpp's own generator: thousands of functions with
// loops, i32/i64/f64 arithmetic, loads/stores, branches and calls), then
//  - compiles it with 1 thread and with every core (partitions in
//    parallel): MB of wasm per second;
//  - writes its artifact: size relative to the wasm;
//  - times loading the artifact (median of many): from memory, and from a
//    file through the compile cache (open + mmap + checks + map), with
//    the parts: checksum/fields, metadata decode + validate, mapping the image
//    (prelinked at compile time: copy, fixups, protect);
//  - checks the compiled code computes what the interpreter computes.
//
//   build-X/bench/weft_bench_aot [MODULE_KB] [LOAD_RUNS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>
#include <thread>

#include "compile/compile.h"
#include "native/artifact.h"
#include "native/cache.h"
#include "native/loader.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

namespace {

using Bytes = std::vector<uint8_t>;
using Clock = std::chrono::steady_clock;

void Leb(Bytes& b, uint64_t v) {
  do {
    uint8_t x = v & 0x7F;
    v >>= 7;
    if (v) x |= 0x80;
    b.push_back(x);
  } while (v);
}
void Sleb(Bytes& b, int64_t v) {
  for (;;) {
    uint8_t x = v & 0x7F;
    v >>= 7;
    if ((v == 0 && !(x & 0x40)) || (v == -1 && (x & 0x40))) {
      b.push_back(x);
      return;
    }
    b.push_back(x | 0x80);
  }
}
void Section(Bytes& out, uint8_t id, const Bytes& body) {
  out.push_back(id);
  Leb(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
}

// One function of type (i32, i32) -> i32 with locals 2-3 i32, 4 i64,
// 5 f64; calls only functions with a smaller index.
Bytes Body(uint32_t index, std::mt19937& rng) {
  Bytes b;
  b.insert(b.end(), {3, 2, 0x7F, 1, 0x7E, 1, 0x7C}); // local decls
  auto get = [&](uint8_t l) { b.insert(b.end(), {0x20, l}); };
  auto set = [&](uint8_t l) { b.insert(b.end(), {0x21, l}); };
  auto i32c = [&](int32_t v) {
    b.push_back(0x41);
    Sleb(b, v);
  };
  b.insert(b.end(), {0x03, 0x40}); // loop
  const int chunks = 4 + static_cast<int>(rng() % 4);
  for (int c = 0; c < chunks; ++c) {
    get(0), get(1), b.push_back(0x6A), i32c(int32_t(rng())), b.push_back(0x73),
        set(2);
    get(2), i32c(0xFFFC), b.push_back(0x71), b.push_back(0x28), b.push_back(2),
        Leb(b, rng() % 64 * 4), get(3), b.push_back(0x6A), set(3);
    get(4), get(2), b.push_back(0xAD), b.push_back(0x7E), b.push_back(0x42),
        Sleb(b, int64_t(rng())), b.push_back(0x89), set(4);
    get(5), get(3), b.push_back(0xB7), b.push_back(0xA0), b.push_back(0x44);
    const double d = 1.0 + (rng() % 1000) / 1000.0;
    const uint8_t* p = reinterpret_cast<const uint8_t*>(&d);
    b.insert(b.end(), p, p + 8);
    b.push_back(0xA2), set(5);
    if (index > 0) {
      b.insert(b.end(), {0x02, 0x40});                         // block
      get(3), b.push_back(0x45), b.insert(b.end(), {0x0D, 0}); // br_if 0
      get(3), get(2), b.push_back(0x10), Leb(b, rng() % index), set(0);
      b.push_back(0x0B);
    }
    get(2), i32c(0xFFFC), b.push_back(0x71), get(0), b.push_back(0x36),
        b.push_back(2), Leb(b, rng() % 64 * 4);
  }
  get(1), i32c(1), b.push_back(0x6B), b.insert(b.end(), {0x22, 1}); // tee
  b.insert(b.end(), {0x0D, 0, 0x0B}); // br_if 0; end loop
  get(0), get(3), b.push_back(0x6A), get(4), b.push_back(0xA7),
      b.push_back(0x6A);
  get(5), b.insert(b.end(), {0xFC, 0x02}), b.push_back(0x6A); // trunc_sat
  b.push_back(0x0B);
  Bytes out;
  Leb(out, b.size());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

Bytes Generate(size_t target_bytes) {
  std::mt19937 rng(42);
  std::vector<Bytes> bodies;
  size_t total = 0;
  while (total < target_bytes) {
    bodies.push_back(Body(static_cast<uint32_t>(bodies.size()), rng));
    total += bodies.back().size();
  }
  const uint32_t n = static_cast<uint32_t>(bodies.size());
  Bytes m = {0, 'a', 's', 'm', 1, 0, 0, 0};
  Section(m, 1, {1, 0x60, 2, 0x7F, 0x7F, 1, 0x7F}); // (i32 i32) -> i32
  Bytes funcs;
  Leb(funcs, n);
  for (uint32_t i = 0; i < n; ++i)
    funcs.push_back(0);
  Section(m, 3, funcs);
  Section(m, 5, {1, 0, 1}); // memory 1
  Bytes exports = {1, 3, 'r', 'u', 'n', 0};
  Leb(exports, n - 1);
  Section(m, 7, exports);
  Bytes code;
  Leb(code, n);
  for (const Bytes& b : bodies)
    code.insert(code.end(), b.begin(), b.end());
  Section(m, 10, code);
  return m;
}

double CpuMs() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Median time of f(); what f returns is kept alive until all runs are
// done, so unmapping code is not counted as loading it.
template <typename F> double MedianMs(int runs, F&& f) {
  std::vector<double> t;
  std::vector<decltype(f())> keep;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    keep.push_back(f());
    t.push_back(Ms(Clock::now() - t0));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

uint32_t RunIt(std::shared_ptr<const weft::CompiledModule> m) {
  weft::Engine engine;
  weft::Store store(engine);
  auto inst = store.Instantiate(std::move(m), {});
  if (!inst.instance) return 0;
  auto r = store.Call(inst.instance->GetExport("run")->func(),
                      std::vector{weft::Value::I32(3), weft::Value::I32(2)});
  return r.trap ? 0xDEAD : r.results.at(0).i32;
}

} // namespace

int main(int argc, char** argv) {
  using namespace weft;
  const size_t kb = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1024;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 200;
  const Bytes wasm = Generate(kb * 1024);
  auto decoded = Decode(wasm);
  if (!decoded || !Validate(*decoded)) {
    std::fprintf(stderr, "generated module is invalid\n");
    return 1;
  }
  const double mb = wasm.size() / 1e6;
  std::printf("module: %zu bytes (%.2f MB), %zu functions\n", wasm.size(), mb,
              decoded->functions.size());

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  native::NativeCode code;
  for (unsigned threads : {1u, cores}) {
    NativeCompileOptions opt;
    opt.threads = threads;
    const auto t0 = Clock::now();
    const double cpu0 = CpuMs();
    auto c = CompileToObjects(wasm, opt);
    const double ms = Ms(Clock::now() - t0);
    const double cpu = CpuMs() - cpu0;
    if (!c) {
      std::fprintf(stderr, "compile: %s\n", c.error().message.c_str());
      return 1;
    }
    std::printf("compile, %u thread(s): %.0f ms = %.3f MB/s (%zu objects; "
                "CPU %.0f ms = %.2f cores busy)\n",
                threads, ms, mb / (ms / 1000), c->objects.size(), cpu,
                cpu / ms);
    code = std::move(c).value();
    if (threads == cores) break;
  }
  auto artifact =
      native::WriteArtifact(wasm, native::Sha256Of(wasm), code, kCodeOptions);
  if (!artifact) return 1;
  size_t obj_bytes = 0;
  for (const auto& o : code.objects)
    obj_bytes += o.size();
  std::printf("artifact: %zu bytes = %.2fx the wasm (objects %zu bytes, "
              "%.2fx)\n",
              artifact->size(), double(artifact->size()) / wasm.size(),
              obj_bytes, double(obj_bytes) / wasm.size());

  const std::string options = kCodeOptions;
  const double load_mem = MedianMs(runs, [&] {
    auto m = native::LoadArtifact(*artifact, &options);
    if (!m) std::abort();
    return *m;
  });
  // The parts.
  const double read = MedianMs(runs, [&] {
    if (!native::ReadArtifact(*artifact, &options)) std::abort();
    return 0;
  });
  auto info = native::ReadArtifact(*artifact, &options);
  const double meta = MedianMs(runs, [&] {
    auto mod = Decode(info->meta);
    if (!mod || !Validate(*mod)) std::abort();
    return 0;
  });
  size_t relocs = 0, fixups = 0;
  const double prelink = MedianMs(std::max(5, runs / 10), [&] {
    std::vector<std::span<const uint8_t>> objs(code.objects.begin(),
                                               code.objects.end());
    auto img = native::PrelinkObjects(objs, decoded->functions.size(),
                                      native::RuntimeSymbols());
    if (!img) std::abort();
    relocs = img->relocations;
    fixups = img->fixups.size();
    return 0;
  });
  auto view = native::ParseImage(info->image);
  const double map = MedianMs(runs, [&] {
    std::vector<void*> entries;
    auto l = native::LoadImage(*view, entries);
    if (!l) std::abort();
    return *l;
  });
  const double sha =
      MedianMs(std::max(5, runs / 10), [&] { return native::Sha256Of(wasm); });

  char tmpl[] = "/tmp/weft_aot_bench_XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  native::CompileCache cache(dir);
  const std::string key = cache.Key(native::Sha256Of(wasm), options);
  if (!cache.Store(key, *artifact)) return 1;
  const double load_file = MedianMs(runs, [&] {
    auto r = cache.Load(key, options);
    if (r.outcome != native::CompileCache::Outcome::Hit) std::abort();
    return r.module;
  });
  auto hit = cache.Load(key, options);
  std::filesystem::remove_all(dir);

  std::printf("load artifact from memory: %.3f ms (median of %d)\n", load_mem,
              runs);
  std::printf("  checks (size, checksum, fields, CPU): %.3f ms\n", read);
  std::printf("  metadata decode + validate: %.3f ms\n", meta);
  std::printf("  map the image (copy, %zu fixups, protect): %.3f ms\n", fixups,
              map);
  std::printf("prelink at compile time (%zu relocations): %.3f ms\n", relocs,
              prelink);
  std::printf(
      "load cached artifact from its file (open, mmap, load): %.3f ms\n",
      load_file);
  std::printf("SHA-256 of the wasm (cache key of `weft run FILE.wasm`): "
              "%.3f ms\n",
              sha);

  auto interp = CompileModule(Engine(), wasm);
  const uint32_t want = interp ? RunIt(*interp) : 1;
  const uint32_t got = RunIt(hit.module);
  std::printf("run(3, 2): interpreter %u, compiled %u: %s\n", want, got,
              want == got ? "same" : "DIFFERENT");
  return want == got ? 0 : 1;
}
