#include "cli/component_cmd.h"

#include <fcntl.h>

#include <iostream>
#include <memory>
#include <optional>

#include "cli/component_artifact.h"
#include "cli/tier.h"
#include "cli/watchdog.h"
#include "component/binary.h"
#include "component/host.h"
#include "component/linker.h"
#include "component/value.h"
#include "wasip2/context.h"
#include "wasip2/wasip2.h"

namespace weft::cli {
namespace {

using component::DecodedComponent;
using component::ValidatedComponent;

void PrintError(const std::string& path, const Error& err) {
  std::string line = path + ": error: " + err.message;
  if (err.offset != kNoOffset)
    line += " at offset " + std::to_string(err.offset);
  std::cerr << line << "\n";
}

Result<std::shared_ptr<const ValidatedComponent>>
Load(std::span<const uint8_t> bytes) {
  auto decoded = component::DecodeComponent(bytes);
  if (!decoded) return decoded.error();
  return component::ValidateComponent(*decoded);
}

// Every core module of `c` and of its nested components, in binary order.
void CollectCoreModules(const component::Component& c,
                        std::vector<std::span<const uint8_t>>& out) {
  for (const component::Definition& d : c.definitions) {
    if (d.kind == component::Definition::Kind::CoreModule)
      out.push_back(d.core_module.bytes);
    else if (d.kind == component::Definition::Kind::Component && d.component)
      CollectCoreModules(*d.component, out);
  }
}

// The WASI 0.2 host (and nothing else) for `weft run`.
Result<bool> MakeHost(component::HostLinker& host) {
  return wasip2::AddWasiP2(host);
}

int HostStdio(int fd) { return ::fcntl(fd, F_GETFD) == -1 ? -1 : fd; }

} // namespace

Result<std::vector<std::vector<uint8_t>>>
ComponentCoreModules(std::span<const uint8_t> bytes) {
  auto c = Load(bytes);
  if (!c) return c.error();
  std::vector<std::span<const uint8_t>> spans;
  CollectCoreModules((*c)->decoded->root, spans);
  std::vector<std::vector<uint8_t>> out;
  for (auto sp : spans)
    out.emplace_back(sp.begin(), sp.end());
  return out;
}

int ValidateComponentCommand(const std::string& path,
                             std::span<const uint8_t> bytes) {
  auto c = Load(bytes);
  if (!c) {
    PrintError(path, c.error());
    return kExitError;
  }
  component::HostLinker host;
  if (auto ok = MakeHost(host); !ok) {
    PrintError(path, ok.error());
    return kExitError;
  }
  if (auto err = component::CheckImports(**c, host)) {
    PrintError(path, *err);
    return kExitError;
  }
  return kExitOk;
}

int CompileComponentIntoCache(const std::string& path,
                              std::span<const uint8_t> bytes) {
  auto c = Load(bytes);
  if (!c) {
    PrintError(path, c.error());
    return kExitError;
  }
  CacheSettings cache = CacheFromEnv();
  if (!cache.enabled) {
    std::cerr << path
              << ": error: the compile cache is disabled (WEFT_CACHE=off)\n";
    return kExitError;
  }
  std::vector<std::span<const uint8_t>> modules;
  CollectCoreModules((*c)->decoded->root, modules);
  int status = kExitOk;
  for (size_t i = 0; i < modules.size(); ++i) {
    const std::string label = path + " (core module " + std::to_string(i) + ")";
    auto m = CompileIntoCache(modules[i], label, cache, true);
    if (!m && !IsUnsupported(m.error())) {
      PrintError(label, m.error());
      status = kExitError;
    }
  }
  return status;
}

int RunComponentCommand(const RunOptions& options, std::vector<uint8_t> bytes) {
  const std::string& path = options.module_path;
  const bool command = options.invoke.empty();
  const int trap_status = command ? kExitTrap : kExitError;
  // A compiled component: its own bytes, and every core module's code
  // loaded from the container instead of compiled.
  std::optional<ComponentArtifact> artifact;
  if (IsComponentArtifact(bytes)) {
    auto a = ReadComponentArtifact(bytes);
    if (!a) {
      PrintError(path, a.error());
      return kExitError;
    }
    artifact = std::move(*a);
  }
  auto c =
      Load(artifact ? artifact->component : std::span<const uint8_t>(bytes));
  if (!c) {
    PrintError(path, c.error());
    return kExitError;
  }
  const std::optional<Tier> tier = ParseTier(options.tier);
  if (!tier) {
    std::cerr << "error: weft run: unknown tier \"" << options.tier
              << "\" (interp, compiled, auto)\n";
    return kExitUsage;
  }

  component::HostLinker host;
  if (auto ok = MakeHost(host); !ok) {
    PrintError(path, ok.error());
    return kExitError;
  }
  wasip2::WasiP2Options wasi;
  wasi.config.args.push_back(path);
  if (command)
    wasi.config.args.insert(wasi.config.args.end(), options.args.begin(),
                            options.args.end());
  wasi.config.env = options.env;
  wasi.config.preopens = options.preopens;
  wasi.config.stdin_fd = HostStdio(0);
  wasi.config.stdout_fd = HostStdio(1);
  wasi.config.stderr_fd = HostStdio(2);
  auto wasi_ctx = wasip2::WasiP2Context::Create(wasi);
  if (!wasi_ctx) {
    std::cerr << "error: " << wasi_ctx.error().message << "\n";
    return kExitError;
  }
  component::HostData data;
  data.Set(*wasi_ctx);

  EngineConfig config;
  config.max_memory_bytes = options.max_memory_bytes;
  Engine engine(config);
  const CacheSettings cache = CacheFromEnv();
  bool background_started = false;
  size_t core_index = 0;
  component::CompileCoreFn compile_cached = [&](std::span<const uint8_t> core) {
    const std::string label =
        path + " (core module " + std::to_string(core_index++) + ")";
    // One background `weft compile --cache` compiles every core module of
    // the component; start it once, on the first miss.
    return CompileCached(engine, core, *tier, label, cache,
                         [&](const std::string& key) {
                           if (background_started) return;
                           background_started = true;
                           StartBackgroundCompile(cache, key, path);
                         });
  };
  const component::CompileCoreFn compile =
      artifact ? LoadFromComponentArtifact(*artifact) : compile_cached;

  Store store(engine);
  const std::string timeout_note =
      " (timeout " + options.timeout_text + " expired)";
  std::unique_ptr<Watchdog> watchdog;
  if (options.timeout)
    watchdog = std::make_unique<Watchdog>(
        store, *options.timeout,
        "error: trap: " + std::string(TrapKindMessage(TrapKind::Interrupted)) +
            timeout_note,
        trap_status);
  auto report_trap = [&](const Trap& trap) {
    if (watchdog) watchdog->Stop();
    std::cout.flush();
    if (trap.kind == TrapKind::Exit)
      return static_cast<int>(trap.exit_code > 255 ? 255 : trap.exit_code);
    std::string reason =
        trap.message.empty() ? TrapKindMessage(trap.kind) : trap.message;
    if (trap.kind == TrapKind::Interrupted && watchdog && watchdog->expired())
      reason += timeout_note;
    std::cerr << "error: trap: " << reason << "\n";
    return trap_status;
  };

  component::ComponentInstantiateResult inst =
      component::InstantiateComponent(store, *c, host, data, compile);
  if (inst.link_error) {
    if (watchdog) watchdog->Stop();
    PrintError(path, *inst.link_error);
    return kExitError;
  }
  if (inst.trap) return report_trap(*inst.trap);

  const std::string name = command ? "wasi:cli/run#run" : options.invoke;
  std::optional<component::ExportedFunc> f = inst.instance->FindFunc(name);
  std::string problem;
  if (!f) {
    std::string known;
    for (const auto& e : inst.instance->ExportedFuncs())
      known += (known.empty() ? "" : ", ") + e.name;
    problem = command ? "the component exports no wasi:cli/run; use --invoke "
                        "NAME to call one of its functions"
                      : "no exported function \"" + name + "\"";
    if (!known.empty()) problem += " (it exports: " + known + ")";
  }
  std::vector<component::Val> args;
  if (problem.empty() && !command) {
    const component::FuncType& type = *f->type;
    if (options.args.size() != type.params.size()) {
      problem = "\"" + f->name + "\" takes " +
                std::to_string(type.params.size()) + " argument(s) but " +
                std::to_string(options.args.size()) +
                " were given: " + component::FuncTypeToString(*f->types, type);
    }
    for (size_t i = 0; problem.empty() && i < options.args.size(); ++i) {
      auto v =
          component::ParseVal(*f->types, type.params[i].type, options.args[i]);
      if (!v) {
        problem = "argument " + std::to_string(i + 1) + " (" +
                  type.params[i].name + ": " +
                  component::TypeToString(*f->types, type.params[i].type) +
                  "): " + v.error().message;
        break;
      }
      args.push_back(std::move(*v));
    }
  } else if (problem.empty() && command &&
             !(f->type->params.empty() && f->type->results.size() == 1)) {
    problem = "wasi:cli/run#run has the type " +
              component::FuncTypeToString(*f->types, *f->type) +
              ", not func() -> result";
  }
  if (!problem.empty()) {
    if (watchdog) watchdog->Stop();
    std::cerr << path << ": error: " << problem << "\n";
    return kExitError;
  }

  std::vector<component::Val> results;
  std::optional<Trap> trap = inst.instance->Call(*f, args, results);
  if (watchdog) watchdog->Stop();
  if (trap) return report_trap(*trap);
  std::cout.flush();
  if (command) {
    // `run: func() -> result`: ok is 0, err is 1 (as wasmtime and jco).
    return !results.empty() && results[0].u != 0 ? kExitError : kExitOk;
  }
  for (size_t i = 0; i < results.size(); ++i)
    std::cout << component::ValToString(*f->types, f->type->results[i],
                                        results[i])
              << "\n";
  std::cout.flush();
  return kExitOk;
}

} // namespace weft::cli
