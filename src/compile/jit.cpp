// CompileToObjects: validate, split the module into partitions, and on
// parallel threads translate each (translate.cpp), optimize with the new
// pass manager at O2 and emit an ELF relocatable object for the host CPU
// (position-independent, small code model). The only file that includes
// the PassBuilder and TargetMachine headers (they are slow to compile).
//
// Partitions: the defined functions are cut into contiguous ranges of
// about equal code size. Each partition is its own LLVMContext and
// llvm::Module, compiled on whichever thread is free. A partition's module
// is translated from a copy of the weft module in which every function of
// another partition has the body `unreachable`; those functions are then
// turned into declarations. A function called from another partition keeps
// external linkage, and the loader resolves the call by name.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <thread>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/SubtargetFeature.h>
#pragma GCC diagnostic pop

#include "compile/compile.h"
#include "compile/translate.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

namespace weft {

bool IsUnsupportedError(const Error& e) {
  return e.message.rfind(kUnsupportedPrefix, 0) == 0;
}

Result<native::NativeCode>
CompileToObjects(std::span<const uint8_t> bytes,
                 const NativeCompileOptions& options) {
  auto decoded = Decode(bytes);
  if (!decoded.ok()) return decoded.error();
  WEFT_TRY(Validate(*decoded));
  return CompileToObjects(*decoded, options);
}

namespace {

Error CompileError(const std::string& what) {
  return Error{"compiled tier: " + what, kNoOffset, {}};
}

struct HostTarget {
  std::string triple, cpu, features;
  const llvm::Target* target = nullptr;
};

Result<const HostTarget*> Host() {
  static Result<const HostTarget*> host = []() -> Result<const HostTarget*> {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    static HostTarget t;
    t.triple = llvm::sys::getProcessTriple();
    t.cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures f;
    for (const auto& kv : llvm::sys::getHostCPUFeatures())
      f.AddFeature(kv.getKey(), kv.getValue());
    t.features = f.getString();
    std::string err;
    t.target = llvm::TargetRegistry::lookupTarget(t.triple, err);
    if (t.target == nullptr) return CompileError("no target: " + err);
    return &t;
  }();
  return host;
}

void Optimize(llvm::Module& m, llvm::TargetMachine* tm) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cam, mam);
  llvm::ModulePassManager mpm =
      pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
  mpm.run(m, mam);
}

// Below this much code (function bodies), one partition: the split's
// fixed cost (each partition translates a stub of every other function)
// is not worth it.
constexpr uint64_t kSplitBytes = 64 * 1024;
// Partitions per thread for large modules, so progress advances in steps
// and a slow partition does not leave the other core idle for long.
constexpr unsigned kPartsPerThread = 4;

struct Plan {
  unsigned parts = 1;
  std::vector<uint32_t> part_of;    // per defined function
  std::vector<uint8_t> cross;       // per defined function: called from
                                    // another partition
  std::vector<uint64_t> part_bytes; // code bytes per partition
  uint64_t total_bytes = 0;
};

Plan MakePlan(const Module& m, unsigned parts) {
  Plan plan;
  const size_t n = m.functions.size();
  for (const Function& f : m.functions)
    plan.total_bytes += f.body_size;
  plan.parts = static_cast<unsigned>(
      std::max<size_t>(1, std::min<size_t>(parts, std::max<size_t>(n, 1))));
  plan.part_of.assign(n, 0);
  plan.cross.assign(n, 0);
  plan.part_bytes.assign(plan.parts, 0);
  // Contiguous ranges of about total/parts bytes each.
  uint64_t acc = 0;
  for (size_t i = 0; i < n; ++i) {
    uint32_t p = static_cast<uint32_t>(plan.total_bytes
                                           ? acc * plan.parts / plan.total_bytes
                                           : i * plan.parts / n);
    p = std::min(p, plan.parts - 1);
    plan.part_of[i] = p;
    plan.part_bytes[p] += m.functions[i].body_size;
    acc += m.functions[i].body_size;
  }
  if (plan.parts > 1) {
    const uint32_t nimp = m.num_imported_funcs;
    for (size_t i = 0; i < n; ++i)
      for (const Instr& in : m.functions[i].code)
        if (in.op == Opcode::Call && in.a >= nimp && in.a - nimp < n &&
            plan.part_of[in.a - nimp] != plan.part_of[i])
          plan.cross[in.a - nimp] = 1;
  }
  return plan;
}

// `m` with the bodies of other partitions' functions replaced by
// `unreachable` (cheap to translate).
Module PartModule(const Module& m, const Plan& plan, unsigned part) {
  Module out;
  out.types = m.types;
  out.imports = m.imports;
  out.tables = m.tables;
  out.memories = m.memories;
  out.globals = m.globals;
  out.exports = m.exports;
  out.start = m.start;
  out.elems = m.elems;
  out.data_count = m.data_count;
  out.num_imported_funcs = m.num_imported_funcs;
  out.num_imported_tables = m.num_imported_tables;
  out.num_imported_memories = m.num_imported_memories;
  out.num_imported_globals = m.num_imported_globals;
  out.datas.resize(m.datas.size()); // the translator needs only the count
  for (size_t i = 0; i < m.datas.size(); ++i) {
    out.datas[i].mode = m.datas[i].mode;
    out.datas[i].memory = m.datas[i].memory;
  }
  out.functions.resize(m.functions.size());
  Instr unreachable, end;
  unreachable.op = Opcode::Unreachable;
  end.op = Opcode::End;
  for (size_t i = 0; i < m.functions.size(); ++i) {
    const Function& f = m.functions[i];
    Function& g = out.functions[i];
    g.type_index = f.type_index;
    g.body_offset = f.body_offset;
    g.body_size = f.body_size;
    if (plan.part_of[i] == part) {
      g.locals = f.locals;
      g.code = f.code;
      g.br_targets = f.br_targets;
      g.v128_consts = f.v128_consts;
    } else {
      g.code = {unreachable, end};
    }
  }
  return out;
}

Result<std::vector<uint8_t>> CompilePart(const Module& m, const Plan& plan,
                                         unsigned part, const HostTarget& t,
                                         const jit::TranslateOptions& topts) {
  llvm::TargetOptions to;
  std::unique_ptr<llvm::TargetMachine> tm(t.target->createTargetMachine(
      t.triple, t.cpu, t.features, to, llvm::Reloc::PIC_,
      llvm::CodeModel::Small, llvm::CodeGenOptLevel::Default));
  if (!tm) return CompileError("cannot create the target machine");

  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  timespec c0;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::Module> lm;
  if (plan.parts == 1) {
    lm = jit::Translate(m, ctx, topts);
  } else {
    lm = jit::Translate(PartModule(m, plan, part), ctx, topts);
    const uint32_t nimp = m.num_imported_funcs;
    for (size_t i = 0; i < m.functions.size(); ++i) {
      if (plan.part_of[i] == part) continue;
      if (llvm::Function* e = lm->getFunction("e" + std::to_string(i)))
        e->eraseFromParent();
    }
    for (size_t i = 0; i < m.functions.size(); ++i) {
      llvm::Function* f = lm->getFunction("f" + std::to_string(i + nimp));
      if (f == nullptr) continue;
      if (plan.part_of[i] != part) {
        f->deleteBody(); // now a declaration, defined by another object
        f->setLinkage(llvm::GlobalValue::ExternalLinkage);
        f->setDSOLocal(true);
      } else if (plan.cross[i]) {
        f->setLinkage(llvm::GlobalValue::ExternalLinkage);
        f->setVisibility(llvm::GlobalValue::HiddenVisibility);
        f->setDSOLocal(true);
      }
    }
  }
  lm->setDataLayout(tm->createDataLayout());
  lm->setTargetTriple(t.triple);
  {
    std::string err;
    llvm::raw_string_ostream os(err);
    if (llvm::verifyModule(*lm, &os))
      return CompileError("invalid IR (a weft bug): " + os.str());
  }
  const auto t1 = Clock::now();
  Optimize(*lm, tm.get());
  const auto t2 = Clock::now();
  if (const char* dump = std::getenv("WEFT_DUMP_IR"); dump && *dump == '1') {
    static std::mutex mu;
    std::lock_guard<std::mutex> lock(mu);
    lm->print(llvm::errs(), nullptr);
  }
  llvm::SmallVector<char, 0> buf;
  {
    llvm::raw_svector_ostream os(buf);
    llvm::legacy::PassManager pm;
    if (tm->addPassesToEmitFile(pm, os, nullptr,
                                llvm::CodeGenFileType::ObjectFile))
      return CompileError("the target cannot emit object files");
    pm.run(*lm);
  }
  if (const char* v = std::getenv("WEFT_COMPILE_TIMES"); v && *v == '1') {
    auto ms = [](Clock::duration d) {
      return std::chrono::duration<double, std::milli>(d).count();
    };
    timespec c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    const double cpu =
        (c1.tv_sec - c0.tv_sec) * 1e3 + (c1.tv_nsec - c0.tv_nsec) / 1e6;
    std::fprintf(stderr,
                 "weft: partition %u: translate %.1f ms, optimize %.1f ms, "
                 "codegen %.1f ms (thread CPU %.1f ms), %zu bytes\n",
                 part, ms(t1 - t0), ms(t2 - t1), ms(Clock::now() - t2), cpu,
                 buf.size());
  }
  return std::vector<uint8_t>(buf.begin(), buf.end());
}

} // namespace

Result<native::NativeCode>
CompileToObjects(const Module& module, const NativeCompileOptions& options) {
  WEFT_TRY(jit::CheckSupported(module));
  auto host = Host();
  if (!host) return host.error();
  const HostTarget& t = **host;

  unsigned threads = options.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  uint64_t total = 0;
  for (const Function& f : module.functions)
    total += f.body_size;
  unsigned parts = options.partitions;
  if (parts == 0)
    parts = total < kSplitBytes
                ? 1
                : static_cast<unsigned>(std::min<uint64_t>(
                      threads * kPartsPerThread, total / (kSplitBytes / 2)));
  const Plan plan = MakePlan(module, std::max(parts, 1u));
  jit::TranslateOptions topts = jit::DefaultTranslateOptions();
  if (options.explicit_bounds) topts.explicit_bounds = *options.explicit_bounds;
  threads = std::min(threads, plan.parts);

  native::NativeCode code;
  code.triple = t.triple;
  code.cpu = t.cpu;
  code.cpu_features = t.features;
  code.objects.resize(plan.parts);
  std::vector<std::optional<Error>> errors(plan.parts);
  std::atomic<unsigned> next{0};
  std::mutex progress_mu;
  uint64_t done = 0;
  auto work = [&] {
    for (unsigned p; (p = next.fetch_add(1)) < plan.parts;) {
      if (options.cancel && options.cancel->load()) {
        errors[p] = CompileError("cancelled");
        continue;
      }
      auto obj = CompilePart(module, plan, p, t, topts);
      if (!obj) {
        errors[p] = obj.error();
        next.store(plan.parts); // stop handing out partitions
        continue;
      }
      code.objects[p] = std::move(obj).value();
      if (options.progress) {
        std::lock_guard<std::mutex> lock(progress_mu);
        done += plan.part_bytes[p];
        options.progress(done, plan.total_bytes);
      }
    }
  };
  if (options.progress) options.progress(0, plan.total_bytes);
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i)
    pool.emplace_back(work);
  work();
  for (std::thread& th : pool)
    th.join();
  for (auto& e : errors)
    if (e) return *e;
  return code;
}

} // namespace weft
