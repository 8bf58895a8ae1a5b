// The WIT parser's inside: tokens, the syntax tree of one file, and the
// parser entry point. The resolver (wit_resolve.cpp) turns trees into
// types; nothing here touches a TypeArena.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "component/host.h"
#include "component/types.h"
#include "component/wit.h"
#include "wasm/result.h"

namespace weft::component::wit {

// Everything a Resolve holds (wit_resolve.cpp builds it, wit_print.cpp
// prints it).
struct Resolve::State {
  Options options;
  TypeArena arena;
  std::vector<Package> packages;
  std::vector<Interface> interfaces;
  std::vector<World> worlds;
  std::map<TypeId, std::string> names; // named value types, for TypeText
  std::map<uint32_t, TypeId> own_ids, borrow_ids; // by resource
  std::map<uint32_t, uint32_t> resource_owner;    // resource -> interface
};

} // namespace weft::component::wit

namespace weft::component::wit::detail {

struct Pos {
  uint32_t line = 1, col = 1;
};

// "FILE:LINE:COL: error: MESSAGE".
Error MakeError(std::string_view file, Pos pos, std::string_view message);

struct AstGate {
  Gate gate;
  Pos pos;
  bool any = false;
};

// A `ty`.
struct AstType {
  enum class Kind : uint8_t {
    Prim,
    Named, // `name`, an own handle if it names a resource
    Own,   // own<name> (accepted as an explicit spelling of `name`)
    Borrow,
    List,
    Tuple,
    Option,
    Result,
    Map,
    Future,
    Stream,
  };
  Kind kind = Kind::Prim;
  ValKind prim = ValKind::Bool;
  std::string name;          // Named, Own, Borrow
  std::vector<AstType> args; // List/Option/Future/Stream: 0..1; Tuple: n;
                             // Map: 2
  bool has_ok = false, has_err = false; // Result: args hold ok then err
  std::optional<uint32_t> fixed_length; // List
  Pos pos;
};

struct AstParam {
  std::string name;
  AstType type;
  Pos pos;
};

struct AstFunc {
  std::vector<AstParam> params;
  std::optional<AstType> result;
  bool async = false;
  Pos pos;
};

// A reference to an interface (or world): `name` alone, or
// `ns:pkg/name@version`.
struct AstPath {
  bool qualified = false;
  std::string ns, pkg, name;
  std::optional<SemVer> version;
  Pos pos;
  std::string Text() const;
};

struct AstUseName {
  std::string name, as; // `as` empty when not renamed
  Pos pos;
};

struct AstResourceFunc {
  enum class Kind : uint8_t { Method, Static, Constructor };
  Kind kind = Kind::Method;
  std::string name; // empty for the constructor
  AstFunc func;
  std::string docs;
  AstGate gate;
  Pos pos;
};

struct AstCase {
  std::string name;
  std::optional<AstType> type;
  Pos pos;
};

// An item of an interface or of a world's type scope.
struct AstItem {
  enum class Kind : uint8_t {
    Use,
    Alias,
    Record,
    Variant,
    Enum,
    Flags,
    Resource,
    Func,
  };
  Kind kind = Kind::Use;
  std::string name; // not for Use
  Pos pos;
  std::string docs;
  AstGate gate;
  AstPath path;                         // Use
  std::vector<AstUseName> names;        // Use
  AstType alias;                        // Alias
  std::vector<AstParam> fields;         // Record
  std::vector<AstCase> cases;           // Variant, Enum, Flags
  std::vector<AstResourceFunc> methods; // Resource
  AstFunc func;                         // Func
};

struct AstInterface {
  std::string name; // empty: inline
  Pos pos;
  std::string docs;
  AstGate gate;
  std::vector<AstItem> items;
};

struct AstWorldItem {
  enum class Kind : uint8_t { Import, Export, Include, Type };
  Kind kind = Kind::Import;
  Pos pos;
  std::string docs;
  AstGate gate;
  // Import/Export: `import path;` (name empty), `import name: func...`,
  // `import name: interface { }`, `import name: path;`.
  std::string name;
  enum class Extern : uint8_t { Path, Func, Inline };
  Extern ext = Extern::Path;
  AstPath path; // Path; Include: the world
  AstFunc func;
  AstInterface inline_iface;
  std::vector<AstUseName> with; // Include: `with { a as b }`
  AstItem type;                 // Type: a use or a typedef
};

struct AstWorld {
  std::string name;
  Pos pos;
  std::string docs;
  AstGate gate;
  std::vector<AstWorldItem> items;
};

struct AstTopUse {
  AstPath path;
  std::string as; // the local name (defaults to the path's interface name)
  Pos pos;
};

struct AstPackage {
  bool declared = false;
  std::string ns, name;
  std::optional<SemVer> version;
  Pos pos;
  std::string docs;
  std::vector<AstTopUse> uses; // file-level `use` (this block's scope)
  std::vector<AstInterface> interfaces;
  std::vector<AstWorld> worlds;
};

struct AstFile {
  std::string name;
  // [0]: the file's own package (`declared` false if it has no `package`
  // line); then its nested `package x:y { ... }` blocks.
  std::vector<AstPackage> packages;
};

Result<AstFile> ParseFile(std::string_view text, std::string_view file_name);

} // namespace weft::component::wit::detail
