// Resolved component-model types: what the validator makes of a
// component's type definitions, what WIT packages declare for the host, and
// what the canonical ABI lifts and lowers. Types live in a TypeArena and are
// named by small indices; a type never points into another arena.
//
// Resources are abstract here: `own`/`borrow` name a ResourceDecl of the
// arena. Which runtime resource type that is (a host's, or one defined by a
// component instance) is decided at instantiation (abi.h's ResourceType),
// because a component instantiated twice defines two distinct types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wasm/types.h"

namespace weft::component {

enum class ValKind : uint8_t {
  Bool,
  S8,
  U8,
  S16,
  U16,
  S32,
  U32,
  S64,
  U64,
  F32,
  F64,
  Char,
  String,
  ErrorContext, // 0.3
  List,
  Record,
  Tuple,
  Variant,
  Enum,
  Option,
  Result,
  Flags,
  Own,
  Borrow,
  Stream, // 0.3
  Future, // 0.3
};
const char* ValKindName(ValKind k); // "bool", "u32", "list", ...
inline bool IsPrimitive(ValKind k) { return k <= ValKind::ErrorContext; }

using TypeId = uint32_t; // index into TypeArena::vals

struct Field {
  std::string name;
  TypeId type = 0;
};
struct Case {
  std::string name;
  std::optional<TypeId> type;
};

struct ValType {
  ValKind kind = ValKind::Bool;
  std::vector<Field> fields;            // Record (at least one)
  std::vector<Case> cases;              // Variant (at least one)
  std::vector<TypeId> elems;            // Tuple (at least one)
  std::vector<std::string> labels;      // Enum (>= 1), Flags (1..32)
  TypeId elem = 0;                      // List, Option; Stream/Future
  bool has_elem = false;                // Stream/Future may have none
  std::optional<uint32_t> fixed_length; // List (0.3 fixed-length lists)
  std::optional<TypeId> ok, err;        // Result
  uint32_t resource = 0;                // Own, Borrow: TypeArena::resources
};

struct FuncType {
  std::vector<Field> params;
  std::vector<TypeId> results; // 0 or 1
  bool async = false;
};

// An abstract resource type: imported (by name) or defined by the
// component (with its representation and destructor).
struct ResourceDecl {
  std::string name;     // e.g. "output-stream"; for errors and host matching
  bool defined = false; // a `(type (resource ...))` definition
  std::optional<uint32_t> dtor; // defined: core func index of the dtor
  uint32_t scope = 0;           // defined: which (nested) component
};

// What an import or export is, resolved.
struct ExternType {
  enum class Kind : uint8_t {
    CoreModule,
    Func,      // id: TypeArena::funcs
    Value,     // id: TypeArena::vals
    Type,      // a value type (id: vals) or, if `resource`, a resource
    Instance,  // id: TypeArena::instances
    Component, // id: TypeArena::components
  };
  Kind kind = Kind::Func;
  uint32_t id = 0;
  bool resource = false; // Type only: id is TypeArena::resources
};

struct NamedExtern {
  std::string name;
  ExternType type;
};

struct InstanceType {
  std::vector<NamedExtern> exports;
};

struct ComponentType {
  std::vector<NamedExtern> imports;
  std::vector<NamedExtern> exports;
};

struct TypeArena {
  std::vector<ValType> vals;
  std::vector<FuncType> funcs;
  std::vector<ResourceDecl> resources;
  std::vector<InstanceType> instances;
  std::vector<ComponentType> components;

  TypeId AddVal(ValType t) {
    vals.push_back(std::move(t));
    return static_cast<TypeId>(vals.size() - 1);
  }
  // The primitive's type, made once per arena.
  TypeId Prim(ValKind k);

private:
  std::optional<TypeId> prims_[static_cast<int>(ValKind::ErrorContext) + 1];
};

// Structural type equality across two arenas (the component model's type
// equality: record field names and order, case names, labels, ...).
// Resources are equal when `resources_equal(resource_a, resource_b)` says
// so (the caller knows how imported resources were bound); nullptr: equal
// when their arena indices are equal and both arenas are the same object.
using ResourceEq = bool (*)(const void* ctx, uint32_t a, uint32_t b);
bool ValTypesEqual(const TypeArena& a, TypeId x, const TypeArena& b, TypeId y,
                   ResourceEq eq = nullptr, const void* eq_ctx = nullptr);
bool FuncTypesEqual(const TypeArena& a, const FuncType& x, const TypeArena& b,
                    const FuncType& y, ResourceEq eq = nullptr,
                    const void* eq_ctx = nullptr);

// WIT-like text of a type, for error messages and `weft run --invoke`:
// "list<tuple<string, u32>>", "result<_, error-code>", "own<stream>".
std::string TypeToString(const TypeArena& arena, TypeId id);
std::string FuncTypeToString(const TypeArena& arena, const FuncType& f);

} // namespace weft::component
