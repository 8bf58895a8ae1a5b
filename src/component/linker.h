// Instantiating a validated component against a HostLinker: the core
// instance graph as wit-component emits it (the main module, the preview1
// adapter, the shim and fixup modules with their indirect tables, several
// core modules sharing one memory), nested components, canon lift/lower
// sites bound to the canonical ABI, resources, and the exports a host can
// call. Core modules are compiled through a caller-given function, so both
// tiers and the compile cache apply to them exactly as to plain modules.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "component/binary.h"
#include "component/host.h"
#include "component/value.h"
#include "runtime/runtime.h"
#include "wasm/result.h"

namespace weft::component {

// Compiles one core module of the component (bytes = the module's own
// binary): the interpreter, the compiled tier, or a cache hit.
using CompileCoreFn =
    std::function<Result<std::shared_ptr<const CompiledModule>>(
        std::span<const uint8_t> bytes)>;

// An exported function of an instance, resolved once and called many
// times.
struct ExportedFunc {
  std::string name; // e.g. "wasi:cli/run@0.2.12#run"
  const TypeArena* types = nullptr;
  const FuncType* type = nullptr;
  const void* handle = nullptr; // the linker's own record
};

class ComponentInstance {
public:
  virtual ~ComponentInstance() = default;
  // Every exported function, including those inside exported instances
  // ("wasi:cli/run@0.2.12#run", "wasi:http/incoming-handler@0.2.10#handle",
  // plain "greet").
  virtual std::vector<ExportedFunc> ExportedFuncs() const = 0;
  // An exported function by its full name, or by an unambiguous short one:
  // "run" finds "wasi:cli/run@0.2.12#run"; a version-less
  // "wasi:cli/run#run" matches any compatible version.
  virtual std::optional<ExportedFunc> FindFunc(std::string_view name) const = 0;
  // Calls it: lowers `args`, runs the guest, lifts the results, runs
  // post-return. A trap ends this call only (the instance may not be
  // entered again after a trap, as the spec says).
  virtual std::optional<Trap> Call(const ExportedFunc& f,
                                   std::span<const Val> args,
                                   std::vector<Val>& results) = 0;
  // Drops an own handle the host holds (an `own<r>` result of Call): runs
  // the destructor of the component that defines `r` (or the host's drop
  // for a host resource). Refused for a value that is not an own handle of
  // a resource of this instance; a trap in the destructor poisons the
  // instance as a trap in Call does.
  virtual std::optional<Trap> DropResource(const Val& own) = 0;
  virtual Store& store() = 0;
};

struct ComponentInstantiateResult {
  std::unique_ptr<ComponentInstance> instance;
  // A component import the host does not provide, or provides with another
  // type: "import `wasi:io/streams@0.2.12`: function
  // `[method]output-stream.write` has type func(...) but the host provides
  // func(...)", "import `wasi:foo/bar@0.2.0`: interface not provided by
  // the host (the host has wasi:foo/bar@0.3.0)", "import `x`: function `f`
  // not provided by the host".
  std::optional<Error> link_error;
  std::optional<Trap> trap; // in a core start function
};

// Instantiates `component` in `store` (which then owns every core
// instance). `host_data` (per-instance host state, e.g. the WASI 0.2
// context) must outlive the instance.
ComponentInstantiateResult InstantiateComponent(
    Store& store, std::shared_ptr<const ValidatedComponent> component,
    const HostLinker& host, HostData& host_data, const CompileCoreFn& compile);

// Checks the imports against `host` without instantiating (weft validate,
// and serve's start-up check).
std::optional<Error> CheckImports(const ValidatedComponent& component,
                                  const HostLinker& host);

} // namespace weft::component
