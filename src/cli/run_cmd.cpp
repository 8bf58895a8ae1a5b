#include "cli/run_cmd.h"

#include <cstdio>
#include <iostream>

#include "cli/read_file.h"
#include "cli/value_format.h"
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

} // namespace

int ValidateCommand(const std::string& path) {
  std::vector<uint8_t> bytes;
  std::string read_error;
  if (!ReadFileBytes(path, bytes, read_error)) {
    PrintFileError(path, read_error);
    return kExitError;
  }
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
  std::vector<uint8_t> bytes;
  std::string read_error;
  if (!ReadFileBytes(path, bytes, read_error)) {
    PrintFileError(path, read_error);
    return kExitError;
  }

  Engine engine;
  auto compiled = CompileModule(engine, bytes);
  if (!compiled) {
    PrintModuleError(path, compiled.error());
    return kExitError;
  }
  const Module& module = (*compiled)->module();
  if (!module.imports.empty()) {
    const Import& imp = module.imports.front();
    PrintFileError(path, "unknown import \"" + imp.module + "\" \"" + imp.name +
                             "\" (" + ExternKindName(imp.kind) +
                             "): weft run provides no imports");
    return kExitError;
  }

  Store store(engine);
  InstantiateResult inst = store.Instantiate(*compiled, {});
  if (inst.link_error) {
    PrintModuleError(path, *inst.link_error);
    return kExitError;
  }
  if (inst.trap) {
    std::cerr << "error: trap: " << TrapReason(*inst.trap) << "\n";
    return kExitError;
  }

  const std::string name = options.invoke.empty() ? "_start" : options.invoke;
  std::optional<Extern> ext = inst.instance->GetExport(name);
  if (!ext) {
    if (options.invoke.empty())
      PrintFileError(path, "no \"_start\" export; use --invoke NAME to call "
                           "an exported function");
    else
      PrintFileError(path, "no export named \"" + name + "\"");
    return kExitError;
  }
  if (ext->kind != ExternKind::Func) {
    PrintFileError(path, "export \"" + name + "\" is a " +
                             ExternKindName(ext->kind) + ", not a function");
    return kExitError;
  }
  FuncInst* func = ext->func();
  const FuncType& type = func->type();
  if (options.args.size() != type.params.size()) {
    PrintFileError(
        path, "\"" + name + "\" takes " + std::to_string(type.params.size()) +
                  " argument(s) (" + TypeList(type.params) + ") but " +
                  std::to_string(options.args.size()) + " were given");
    return kExitError;
  }
  std::vector<Value> args;
  for (size_t i = 0; i < options.args.size(); ++i) {
    std::optional<Value> v = ParseValue(type.params[i], options.args[i]);
    if (!v) {
      PrintFileError(path, "argument " + std::to_string(i + 1) + " (\"" +
                               options.args[i] + "\") is not a valid " +
                               ValTypeName(type.params[i]));
      return kExitError;
    }
    args.push_back(*v);
  }

  CallResult result = store.Call(func, args);
  if (result.trap && result.trap->kind == TrapKind::Exit) {
    // The guest asked to exit (WASI proc_exit): its status is ours.
    std::cout.flush();
    return static_cast<int>(result.trap->exit_code & 0xFF);
  }
  if (result.trap) {
    std::cout.flush();
    std::cerr << "error: trap: " << TrapReason(*result.trap) << "\n";
    return kExitError;
  }
  for (const Value& v : result.results)
    std::cout << FormatValue(v) << "\n";
  std::cout.flush();
  return kExitOk;
}

} // namespace weft::cli
