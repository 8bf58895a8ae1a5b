// CompileModuleNative: validate, translate (translate.cpp), optimize with
// the new pass manager at O2, and JIT with ORC LLJIT. The only file that
// includes the ORC and PassBuilder headers (they are slow to compile).
#include <mutex>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#pragma GCC diagnostic pop

#include "native/jit_module.h"
#include "compile/translate.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

namespace weft {

bool IsUnsupportedError(const Error& e) {
  return e.message.rfind(kUnsupportedPrefix, 0) == 0;
}

Result<std::shared_ptr<const CompiledModule>>
CompileModuleNative(const Engine& engine, std::span<const uint8_t> bytes) {
  auto decoded = Decode(bytes);
  if (!decoded.ok()) return decoded.error();
  return CompileModuleNative(engine, std::move(decoded).value());
}

namespace {

Error JitError(const std::string& what, llvm::Error err) {
  std::string msg;
  llvm::raw_string_ostream os(msg);
  os << err;
  return Error{"compiled tier: " + what + ": " + os.str(), kNoOffset, {}};
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

} // namespace

Result<std::shared_ptr<const CompiledModule>>
CompileModuleNative(const Engine& engine, Module module) {
  (void)engine;
  WEFT_TRY(Validate(module));
  WEFT_TRY(jit::CheckSupported(module));
  static std::once_flag init;
  std::call_once(init, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });

  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) return JitError("detecting the host", jtmb.takeError());
  jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Default);
  auto tm = jtmb->createTargetMachine();
  if (!tm) return JitError("creating the target machine", tm.takeError());
  auto jit =
      llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(*jtmb).create();
  if (!jit) return JitError("creating the JIT", jit.takeError());

  auto ctx = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> lm = jit::Translate(module, *ctx);
  lm->setDataLayout((*jit)->getDataLayout());
  lm->setTargetTriple((*jit)->getTargetTriple().str());
  {
    std::string err;
    llvm::raw_string_ostream os(err);
    if (llvm::verifyModule(*lm, &os))
      return Error{
          "compiled tier: invalid IR (a weft bug): " + os.str(), kNoOffset, {}};
  }
  Optimize(*lm, tm->get());
  if (const char* dump = std::getenv("WEFT_DUMP_IR"); dump && *dump == '1')
    lm->print(llvm::errs(), nullptr);

  // The runtime helpers, by name; libc/libm (memset, fmod...) from the
  // process.
  llvm::orc::JITDylib& jd = (*jit)->getMainJITDylib();
  llvm::orc::SymbolMap syms;
  size_t n = 0;
  const jit::HelperSymbol* h = jit::Helpers(n);
  for (size_t i = 0; i < n; ++i)
    syms[(*jit)->mangleAndIntern(h[i].name)] = {
        llvm::orc::ExecutorAddr::fromPtr(h[i].addr),
        llvm::JITSymbolFlags::Exported};
  if (auto err = jd.define(llvm::orc::absoluteSymbols(std::move(syms))))
    return JitError("defining helpers", std::move(err));
  auto gen = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!gen) return JitError("process symbols", gen.takeError());
  jd.addGenerator(std::move(*gen));

  if (auto err = (*jit)->addIRModule(
          llvm::orc::ThreadSafeModule(std::move(lm), std::move(ctx))))
    return JitError("adding the module", std::move(err));

  auto jm = std::make_shared<jit::JitModule>();
  jm->entries.resize(module.functions.size());
  for (size_t i = 0; i < module.functions.size(); ++i) {
    auto addr = (*jit)->lookup("e" + std::to_string(i));
    if (!addr) return JitError("looking up code", addr.takeError());
    jm->entries[i] = addr->toPtr<jit::EntryFn>();
  }
  jm->mod = std::move(module);
  std::shared_ptr<llvm::orc::LLJIT> owner(std::move(*jit));
  jm->keepalive = std::move(owner);
  return std::shared_ptr<const CompiledModule>(std::move(jm));
}

} // namespace weft
