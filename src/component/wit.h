// WIT, the component model's interface definition language (the spec's
// design/mvp/WIT.md): a parser and resolver that turns WIT packages into
// resolved types in a TypeArena, the way the component model would see
// them. An interface becomes an InstanceType (what a component importing
// it sees), a world a ComponentType; resource methods get their
// component-model names ("[method]output-stream.write" with an implicit
// `self: borrow<output-stream>` first parameter, "[constructor]fields",
// "[static]outgoing-body.finish").
//
// `use` does not copy: a type used from another interface (same package or
// another one added before) is the same TypeId, and a used resource the
// same TypeArena resource index, so `wasi:cli/stdout`'s `output-stream` is
// `wasi:io/streams`'s.
//
// Items gated `@unstable(feature = f)` are left out unless `f` is enabled;
// `@since` and `@deprecated` are recorded. Errors read
// "FILE:LINE:COL: error: ...". A failed Add leaves the Resolve unchanged.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "component/host.h"
#include "component/types.h"
#include "wasm/result.h"

namespace weft::component::wit {

struct Gate {
  std::optional<SemVer> since;      // @since(version = ...)
  std::string unstable;             // @unstable(feature = ...), or empty
  std::optional<SemVer> deprecated; // @deprecated(version = ...)
};

struct Function {
  std::string name;  // component-model name, e.g. "[method]blob.read"
  uint32_t type = 0; // TypeArena::funcs
  std::string docs;
  Gate gate;
};

// A named type of an interface or world: a value type (`type.id` in
// TypeArena::vals) or a resource (`type.resource`, id in resources).
struct TypeDef {
  std::string name;
  ExternType type; // Kind::Type
  // Set when the type came in by `use`: the interface that defines it.
  std::optional<uint32_t> used_from;
  std::string docs;
  Gate gate;
};

struct Interface {
  std::string name; // empty for a world's inline `interface { ... }`
  std::optional<uint32_t> package; // Resolve::packages(); none for inline
  std::vector<TypeDef> types;      // every item is defined after its uses
  std::vector<Function> funcs;
  std::vector<uint32_t> uses; // interfaces this one `use`s, each once
  InstanceType type;          // types, then functions
  uint32_t instance = 0;      // the same InstanceType in TypeArena::instances
  std::string docs;
  Gate gate;
};

struct WorldItem {
  enum class Kind : uint8_t { Interface, Func, Type };
  Kind kind = Kind::Interface;
  // The component import/export name: an interface name
  // ("wasi:io/streams@0.2.12") or a plain name ("run", "log").
  std::string name;
  uint32_t index = 0; // Interface: Resolve::interfaces(); Func: funcs
  ExternType type;    // what it is in the world's ComponentType
  std::optional<uint32_t> used_from; // Type: `use`d from this interface
  std::string docs;
  Gate gate;
};

struct World {
  std::string name;
  uint32_t package = 0;
  // Imports include the interfaces the world's items `use` transitively
  // (before the items that need them), as wit-component encodes them.
  std::vector<WorldItem> imports, exports;
  uint32_t component = 0; // TypeArena::components
  std::string docs;
  Gate gate;
};

struct Package {
  std::string ns, name;
  std::optional<SemVer> version;
  std::map<std::string, uint32_t, std::less<>> interfaces, worlds;
  std::string docs;
  std::string Name() const; // "wasi:io@0.2.12"
};

struct Options {
  std::vector<std::string> features; // @unstable features to include
  bool all_features = false;
};

struct SourceFile {
  std::string_view text;
  std::string_view name; // for error messages
};

class Resolve {
public:
  explicit Resolve(Options options = {});
  ~Resolve();
  Resolve(Resolve&&) noexcept;
  Resolve& operator=(Resolve&&) noexcept;

  // Parses and resolves a set of files: each declares its package (`package
  // ns:name@ver;`, possibly with nested `package ... { }` blocks) or, when
  // the set declares exactly one, belongs to it. Files of one package may
  // come in any order, and packages of the set may use each other; `use`
  // of other packages resolves against those added before. Returns the
  // indices of the packages added.
  Result<std::vector<uint32_t>> Add(std::span<const SourceFile> files);
  Result<std::vector<uint32_t>> AddFile(std::string_view text,
                                        std::string_view file_name);

  const TypeArena& arena() const;
  const std::vector<Package>& packages() const;
  const std::vector<Interface>& interfaces() const;
  const std::vector<World>& worlds() const;

  // By fully qualified name, version exact: "wasi:io/streams@0.2.12",
  // "local:demo/host" (an unversioned package).
  const Interface* FindInterface(std::string_view name) const;
  const World* FindWorld(std::string_view name) const;
  // "wasi:io/streams@0.2.12" for a package's interface; "" for inline ones.
  std::string InterfaceName(uint32_t index) const;
  // The interface that defines resource `resource` (TypeArena::resources).
  std::optional<uint32_t> ResourceOwner(uint32_t resource) const;
  // WIT text of a type: named types by their name, an own handle as the
  // resource's name ("result<_, stream-error>", "borrow<output-stream>").
  std::string TypeText(TypeId id) const;
  std::string FuncText(const FuncType& f) const;
  // A package as one WIT file that parses back to the same types (gates
  // and docs included; a world's imports as resolved, transitive ones
  // included).
  std::string PackageText(uint32_t package) const;

  struct State; // wit_resolve.cpp

private:
  std::unique_ptr<State> state_;
};

} // namespace weft::component::wit

namespace weft::component {

// The WASI 0.2.12 WIT packages (io, clocks, random, filesystem, sockets,
// cli, http; jco's copies), embedded at build time.
struct EmbeddedWit {
  const char* name; // "wasi-0.2/io.wit"
  std::string_view text;
};
std::span<const EmbeddedWit> Wasi02WitFiles();
// Adds all of them to `linker` (stable items only).
Result<bool> AddWasi02Wit(HostLinker& linker);

} // namespace weft::component
