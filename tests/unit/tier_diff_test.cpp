// Differential test: every benchmark kernel (bench/kernels/*.c, built for
// wasm32 with clang-19 at test time, as bench/run.py builds them) computes
// the same checksum on the interpreter and on the compiled tier, the latter
// both as one object and split into partitions linked by our loader.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "compile/compile.h"
#include "wasm/decoder.h"

namespace weft {
namespace {

namespace fs = std::filesystem;

// n = the kernel's reference size / 100 (bench/run.py's "check" run).
const std::map<std::string, uint32_t> kSizes = {
    {"fib", 70},    {"hash", 100},     {"nbody", 40000},
    {"mandel", 10}, {"matmul", 160},   {"sieve", 35},
    {"sort", 15},   {"indirect", 500}, {"div64", 2400}};

std::string Shell(const std::string& cmd, int& status) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) {
    status = -1;
    return out;
  }
  char buf[512];
  while (fgets(buf, sizeof buf, p))
    out += buf;
  status = pclose(p);
  return out;
}

std::vector<uint8_t> BuildKernel(const fs::path& src, const fs::path& dir) {
  const fs::path out = dir / (src.stem().string() + ".wasm");
  const std::string cmd =
      "clang-19 -O2 -fno-builtin -fno-math-errno --target=wasm32 -nostdlib "
      "-Wl,--no-entry -Wl,--export=run -Wl,-z,stack-size=1048576 " +
      src.string() + " -o " + out.string();
  int status = 0;
  const std::string log = Shell(cmd, status);
  EXPECT_EQ(status, 0) << cmd << "\n" << log;
  std::ifstream in(out, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

uint64_t RunKernel(const Engine& engine,
                   std::shared_ptr<const CompiledModule> m, uint32_t n) {
  Store store(engine);
  InstantiateResult inst = store.Instantiate(std::move(m), {});
  EXPECT_TRUE(inst.instance && !inst.link_error && !inst.trap);
  if (!inst.instance) return 0;
  CallResult r = store.Call(inst.instance->GetExport("run")->func(),
                            std::vector{Value::I32(n)});
  EXPECT_FALSE(r.trap) << r.trap->message;
  return r.trap ? 0 : r.results.at(0).i64;
}

TEST(TierDiff, BenchmarkKernelsAgreeOnBothTiers) {
  int status = 0;
  Shell("clang-19 --version", status);
  if (status != 0) GTEST_SKIP() << "clang-19 not found";
  char tmpl[] = "/tmp/weft_tierdiff_XXXXXX";
  const fs::path dir = mkdtemp(tmpl);
  size_t kernels = 0;
  for (const auto& e :
       fs::directory_iterator(fs::path(WEFT_BENCH_DIR) / "kernels")) {
    if (e.path().extension() != ".c") continue;
    const std::string name = e.path().stem().string();
    SCOPED_TRACE(name);
    const std::vector<uint8_t> wasm = BuildKernel(e.path(), dir);
    ASSERT_FALSE(wasm.empty());
    auto it = kSizes.find(name);
    const uint32_t n = it == kSizes.end() ? 10 : it->second;
    Engine engine;
    auto interp = CompileModule(engine, wasm);
    ASSERT_TRUE(interp.ok()) << interp.error().message;
    const uint64_t want = RunKernel(engine, *interp, n);
    EXPECT_NE(want, 0u); // a real checksum
    for (unsigned parts : {1u, 3u}) {
      NativeCompileOptions opt;
      opt.partitions = parts;
      auto native = CompileModuleNative(engine, Decode(wasm).value(), opt);
      ASSERT_TRUE(native.ok()) << native.error().message;
      EXPECT_EQ(RunKernel(engine, *native, n), want)
          << name << " n=" << n << " partitions=" << parts;
    }
    ++kernels;
  }
  fs::remove_all(dir);
  EXPECT_GE(kernels, 9u);
}

} // namespace
} // namespace weft
