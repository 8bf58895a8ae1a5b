// Host interfaces for components: a HostLinker holds WIT packages (the
// types the host promises) and the C++ functions that implement them, and
// answers a component's imports by interface name with semver
// compatibility, the way Wasmtime's linker treats `@0.2.*`: an import of
// `wasi:io/streams@0.2.10` is satisfied by a host `wasi:io/streams@0.2.12`
// (same package and interface, same major, and for 0.x the same minor).
// The component linker then checks the import's type against the WIT
// type, export by export, before anything is instantiated.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <typeindex>
#include <vector>

#include "component/types.h"
#include "component/value.h"
#include "runtime/runtime.h"
#include "wasm/result.h"

namespace weft::component {

namespace wit { // component/wit.h
class Resolve;
struct Options;
struct SourceFile;
} // namespace wit

// Per-component-instance host state, one object per type (the WASI 0.2
// context, later the KV grants, ...). Set by the embedder before
// instantiation; host functions find theirs with Get<T>().
class HostData {
public:
  template <typename T> T* Get() const {
    auto it = slots_.find(std::type_index(typeid(T)));
    return it == slots_.end() ? nullptr : static_cast<T*>(it->second.get());
  }
  template <typename T> void Set(std::shared_ptr<T> v) {
    slots_[std::type_index(typeid(T))] = std::move(v);
  }

private:
  std::map<std::type_index, std::shared_ptr<void>> slots_;
};

struct HostCall {
  Store& store;
  HostData& data;
};

// A host function: `args` are lifted values of the WIT function's params;
// push exactly its results (0 or 1). Return a Trap to end the guest's call
// (TrapKind::Exit for wasi:cli/exit). Own/borrow arguments of host
// resources carry the host's `rep`; to return a new host resource, return
// Val::Own(nullptr, rep): the ABI gives it the calling instance's runtime
// type for that resource.
using HostFn = std::function<std::optional<Trap>(
    HostCall& call, std::span<const Val> args, std::vector<Val>& results)>;
// Frees the host's object behind `rep` when the guest drops it.
using HostDropFn = std::function<void(HostData& data, uint32_t rep)>;

struct SemVer {
  uint32_t major = 0, minor = 0, patch = 0;
  std::string pre; // e.g. "draft", "rc-2023-11-10"
  static std::optional<SemVer> Parse(std::string_view s);
  std::string ToString() const;
};
// Whether a host interface of version `host` may satisfy an import of
// version `want`: same pre-release tag, same major, and when major is 0 the
// same minor (0.2.10 ~ 0.2.12; 0.2 !~ 0.3; 1.2 ~ 1.5). A pre-release
// matches only itself, and 0.0.x only the same patch. Parse takes full
// semver (MAJOR.MINOR.PATCH[-pre][+build]; build metadata is dropped).
bool SemVerCompatible(const SemVer& want, const SemVer& host);

// "wasi:io/streams@0.2.12" -> {namespace "wasi", package "io", interface
// "streams", version}. Plain names ("run") parse with empty namespace.
struct InterfaceName {
  std::string ns, package, interface;
  std::optional<SemVer> version;
  static std::optional<InterfaceName> Parse(std::string_view s);
  std::string Unversioned() const; // "wasi:io/streams"
};

struct HostInterface {
  InterfaceName name;
  // Its WIT type in HostLinker::types(): functions (by their WIT names,
  // e.g. "[method]output-stream.write") and types (resources included).
  InstanceType type;
  std::map<std::string, HostFn, std::less<>> funcs;
  std::map<std::string, HostDropFn, std::less<>> drops; // by resource name
};

class HostLinker {
public:
  HostLinker();
  // With WIT options (which @unstable features to include).
  explicit HostLinker(const wit::Options& options);
  ~HostLinker();
  // Parses a WIT package (one or more files' text; `use` across packages
  // added earlier resolves) into types(). Errors: "FILE:LINE:COL: error:
  // ...".
  Result<bool> AddWit(std::string_view source, std::string_view file_name);
  // Several files at once (one package split over files, or packages that
  // use each other); see wit::Resolve::Add.
  Result<bool> AddWitFiles(std::span<const wit::SourceFile> files);
  // Implements `func` of `interface` (a versioned name as in the WIT,
  // "wasi:io/streams@0.2.12"). Refused when the WIT has no such function.
  Result<bool> Define(std::string_view interface, std::string_view func,
                      HostFn fn);
  // The drop of a resource, registered on the interface that defines it
  // (not one that only `use`s it).
  Result<bool> DefineDrop(std::string_view interface, std::string_view resource,
                          HostDropFn fn);
  // The interface that satisfies an import named `import_name` (semver
  // compatible, the highest such version), or null.
  const HostInterface* Resolve(std::string_view import_name) const;
  const TypeArena& types() const;
  // The WIT behind types(): packages, interfaces, worlds, type names.
  const wit::Resolve& wit() const;
  // Every interface, for `weft` diagnostics ("known interfaces: ...").
  std::vector<const HostInterface*> Interfaces() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace weft::component
