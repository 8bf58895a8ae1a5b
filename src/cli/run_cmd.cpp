#include "cli/run_cmd.h"

#include <fcntl.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/component_artifact.h"
#include "cli/component_cmd.h"
#include "cli/read_file.h"
#include "cli/tier.h"
#include "cli/value_format.h"
#include "cli/wat.h"
#include "cli/watchdog.h"
#include "component/binary.h"
#include "native/artifact.h"
#include "runtime/runtime.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

namespace weft::cli {
namespace {

// "<path>: error: <message>[ at offset <n>]" on stderr.
void PrintModuleError(const std::string& path, const Error& err) {
  std::string line = path + ": error: " + err.message;
  if (err.offset != kNoOffset)
    line += " at offset " + std::to_string(err.offset);
  std::cerr << line << "\n";
}

void PrintFileError(const std::string& path, const std::string& message) {
  std::cerr << path << ": error: " << message << "\n";
}

std::string TrapReason(const Trap& trap) {
  return trap.message.empty() ? TrapKindMessage(trap.kind) : trap.message;
}

std::string TypeList(const std::vector<ValType>& types) {
  std::string s;
  for (size_t i = 0; i < types.size(); ++i) {
    if (i) s += ", ";
    s += ValTypeName(types[i]);
  }
  return s;
}

// Reads a module file, converting the text format to binary. Prints the
// errors and returns false on failure.
bool LoadModuleBytes(const std::string& path, std::vector<uint8_t>& bytes) {
  std::string read_error;
  if (!ReadFileBytes(path, bytes, read_error)) {
    PrintFileError(path, read_error);
    return false;
  }
  if (!IsWatFile(path, bytes)) return true;
  WatResult wat = WatToWasm(path, bytes);
  if (!wat.errors.empty()) {
    for (const std::string& line : wat.errors)
      std::cerr << line << "\n";
    return false;
  }
  bytes = std::move(wat.wasm);
  return true;
}

// The host fd to hand to the guest as stdio fd `fd`, or -1 when weft
// itself was started without it.
int HostStdio(int fd) { return ::fcntl(fd, F_GETFD) == -1 ? -1 : fd; }

} // namespace

int ValidateCommand(const std::string& path) {
  std::vector<uint8_t> bytes;
  if (!LoadModuleBytes(path, bytes)) return kExitError;
  if (component::IsComponentBinary(bytes))
    return ValidateComponentCommand(path, bytes);
  Result<Module> module = Decode(bytes);
  if (!module) {
    PrintModuleError(path, module.error());
    return kExitError;
  }
  if (Status st = Validate(*module); !st) {
    PrintModuleError(path, st.error());
    return kExitError;
  }
  return kExitOk;
}

int RunCommand(const RunOptions& options) {
  const std::string& path = options.module_path;
  const bool command = options.invoke.empty(); // a WASI command: _start
  const int trap_status = command ? kExitTrap : kExitError;
  std::vector<uint8_t> bytes;
  if (!LoadModuleBytes(path, bytes)) return kExitError;
  if (component::IsComponentBinary(bytes) || IsComponentArtifact(bytes))
    return RunComponentCommand(options, std::move(bytes));

  EngineConfig config;
  config.max_memory_bytes = options.max_memory_bytes;
  Engine engine(config);
  const std::optional<Tier> tier = ParseTier(options.tier);
  if (!tier) {
    std::cerr << "error: weft run: unknown tier \"" << options.tier
              << "\" (interp, compiled, auto)\n";
    return kExitUsage;
  }
  // A .cwasm artifact is loaded as it is (no LLVM); a module goes through
  // the compile cache on the compiled and auto tiers.
  const CacheSettings cache = CacheFromEnv();
  auto compiled =
      native::IsArtifact(bytes)
          ? LoadArtifactFile(path)
          : CompileCached(engine, bytes, *tier, path, cache,
                          [&](const std::string& key) {
                            StartBackgroundCompile(cache, key, path);
                          });
  if (!compiled) {
    PrintModuleError(path, compiled.error());
    return kExitError;
  }
  const Module& module = (*compiled)->module();

  WasiConfig wasi;
  wasi.args.push_back(path);
  if (command)
    wasi.args.insert(wasi.args.end(), options.args.begin(), options.args.end());
  wasi.env = options.env;
  wasi.preopens = options.preopens;
  wasi.stdin_fd = HostStdio(0);
  wasi.stdout_fd = HostStdio(1);
  wasi.stderr_fd = HostStdio(2);
  auto wasi_ctx = WasiContext::Create(wasi);
  if (!wasi_ctx) {
    std::cerr << "error: " << wasi_ctx.error().message << "\n";
    return kExitError;
  }

  // Declared after the WASI context, so destroyed before it: a context
  // must outlive every Store it is bound into.
  Store store(engine);
  std::vector<Extern> imports;
  for (const Import& imp : module.imports) {
    auto ext = ResolveWasiImport(store, **wasi_ctx, module, imp);
    if (!ext) {
      PrintFileError(path, ext.error().message);
      return kExitError;
    }
    if (!*ext) {
      PrintFileError(path, "unknown import \"" + imp.module + "\" \"" +
                               imp.name + "\" (" + ExternKindName(imp.kind) +
                               "): weft run provides only " + kWasiModuleName +
                               " functions");
      return kExitError;
    }
    imports.push_back(**ext);
  }

  // The timeout covers running guest code: the start function and the
  // export.
  const std::string timeout_note =
      " (timeout " + options.timeout_text + " expired)";
  std::unique_ptr<Watchdog> watchdog;
  if (options.timeout)
    watchdog = std::make_unique<Watchdog>(
        store, *options.timeout,
        "error: trap: " + std::string(TrapKindMessage(TrapKind::Interrupted)) +
            timeout_note,
        trap_status);
  // Reports a trap; returns the exit status.
  auto report_trap = [&](const Trap& trap) {
    if (watchdog) watchdog->Stop();
    if (trap.kind == TrapKind::Exit) {
      // The guest asked to exit (WASI proc_exit): its status is ours.
      std::cout.flush();
      return static_cast<int>(trap.exit_code > 255 ? 255 : trap.exit_code);
    }
    std::string reason = TrapReason(trap);
    if (trap.kind == TrapKind::Interrupted && watchdog && watchdog->expired())
      reason += timeout_note;
    std::cout.flush();
    std::cerr << "error: trap: " << reason << "\n";
    return trap_status;
  };

  InstantiateResult inst = store.Instantiate(*compiled, imports);
  if (inst.link_error) {
    if (watchdog) watchdog->Stop();
    PrintModuleError(path, *inst.link_error);
    return kExitError;
  }
  if (inst.trap) return report_trap(*inst.trap);

  const std::string name = command ? "_start" : options.invoke;
  std::optional<Extern> ext = inst.instance->GetExport(name);
  std::string problem;
  if (!ext) {
    problem = command ? "no \"_start\" export; use --invoke NAME to call an "
                        "exported function"
                      : "no export named \"" + name + "\"";
  } else if (ext->kind != ExternKind::Func) {
    problem = "export \"" + name + "\" is a " + ExternKindName(ext->kind) +
              ", not a function";
  } else if (command && !(ext->func()->type().params.empty() &&
                          ext->func()->type().results.empty())) {
    problem = "\"_start\" must take no arguments and return nothing; use "
              "--invoke _start to call it with arguments";
  }
  std::vector<Value> args;
  if (problem.empty() && !command) {
    const FuncType& type = ext->func()->type();
    if (options.args.size() != type.params.size()) {
      problem = "\"" + name + "\" takes " + std::to_string(type.params.size()) +
                " argument(s) (" + TypeList(type.params) + ") but " +
                std::to_string(options.args.size()) + " were given";
    }
    for (size_t i = 0; problem.empty() && i < options.args.size(); ++i) {
      std::optional<Value> v = ParseValue(type.params[i], options.args[i]);
      if (!v) {
        problem = "argument " + std::to_string(i + 1) + " (\"" +
                  options.args[i] + "\") is not a valid " +
                  ValTypeName(type.params[i]);
        break;
      }
      args.push_back(*v);
    }
  }
  if (!problem.empty()) {
    if (watchdog) watchdog->Stop();
    PrintFileError(path, problem);
    return kExitError;
  }

  CallResult result = store.Call(ext->func(), args);
  if (watchdog) watchdog->Stop();
  if (result.trap) return report_trap(*result.trap);
  for (const Value& v : result.results)
    std::cout << FormatValue(v) << "\n";
  std::cout.flush();
  return kExitOk;
}

} // namespace weft::cli
