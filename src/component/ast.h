// The decoded form of a component binary (component model, layer 1,
// version 0x0d), as close to the binary as is useful: every section's
// entries in the order they appear, because each definition appends to an
// index space and later ones refer to earlier ones by index. Nothing here
// is validated beyond the encoding rules; the validator (validate.h)
// resolves indices and types.
//
// Spans point into the bytes the component was decoded from: the caller
// keeps those alive (DecodedComponent owns a copy).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "component/types.h"
#include "wasm/module.h"
#include "wasm/types.h"

namespace weft::component {

// What an index refers to (the binary's `sort`, core sorts first).
enum class Sort : uint8_t {
  CoreFunc,
  CoreTable,
  CoreMemory,
  CoreGlobal,
  CoreType,
  CoreModule,
  CoreInstance,
  Func,
  Value,
  Type,
  Component,
  Instance,
};
const char* SortName(Sort s); // "core func", "func", "instance", ...

// A value type as written: a primitive, or an index into the type space.
struct TypeRef {
  bool is_index = false;
  ValKind prim = ValKind::Bool; // when !is_index
  uint32_t index = 0;           // when is_index
};

struct FieldDef {
  std::string name;
  TypeRef type;
};
struct CaseDef {
  std::string name;
  std::optional<TypeRef> type;
};

// defvaltype: record, variant, list, tuple, flags, enum, option, result,
// own, borrow, and a primitive given a type index of its own.
struct DefValType {
  ValKind kind = ValKind::Bool;
  std::vector<FieldDef> fields;         // Record
  std::vector<CaseDef> cases;           // Variant
  std::vector<TypeRef> elems;           // Tuple
  std::vector<std::string> labels;      // Enum, Flags
  TypeRef elem;                         // List, Option (and 0.3 Stream/Future)
  bool has_elem = true;                 // Stream/Future may have none
  std::optional<uint32_t> fixed_length; // List with a fixed length (0.3)
  std::optional<TypeRef> ok, err;       // Result
  uint32_t resource = 0;                // Own, Borrow: a type index
};

struct FuncTypeDef {
  std::vector<FieldDef> params;
  // One unnamed result (name empty), or none. (Named result lists were
  // removed from the binary format; the decoder refuses them.)
  std::vector<FieldDef> results;
  bool async = false; // 0x43: the 0.3 async function type
};

struct ResourceTypeDef {
  weft::ValType rep = weft::ValType::I32; // always i32 today
  std::optional<uint32_t> dtor;           // a core func index
};

// An extern's type (externdesc): what an import or an ascribed export is.
struct ExternDesc {
  Sort sort = Sort::Func; // CoreModule, Func, Value, Type, Component,
                          // Instance
  // CoreModule: core type index; Func/Component/Instance: type index;
  // Type: see bound.
  uint32_t index = 0;
  // Type: `(eq i)` (index = i) or `(sub resource)`.
  bool sub_resource = false;
  // Value: a valtype (0.2 value imports are gated; kept for errors).
  TypeRef value;
};

// Import and export names: the binary's plain or interface-style names,
// e.g. "wasi:io/streams@0.2.12" or "run" or "[method]stream.write".
struct ExternName {
  std::string name;
  // The 0x02 form's attributes (nameattributes): (versionsuffix "vs") and
  // (implements "i"); (external-id n) is read and dropped.
  std::optional<std::string> version_suffix;
  std::optional<std::string> implements;
};

struct ImportDef {
  ExternName name;
  ExternDesc desc;
};

struct ExportDef {
  ExternName name;
  Sort sort = Sort::Func;
  uint32_t index = 0;
  std::optional<ExternDesc> ascribed; // `(export "x" (func 3) (func (type 5)))`
};

struct AliasDef {
  enum class Kind : uint8_t {
    InstanceExport,     // (alias export $instance "name" (sort))
    CoreInstanceExport, // (alias core export $core_instance "name" (sort))
    Outer,              // (alias outer count index (sort))
  };
  Kind kind = Kind::InstanceExport;
  Sort sort = Sort::Func;
  uint32_t instance = 0; // InstanceExport, CoreInstanceExport
  std::string name;      // InstanceExport, CoreInstanceExport
  uint32_t outer_count = 0, outer_index = 0; // Outer
};

// Declarations inside a component type or an instance type.
struct TypeDef;
struct CoreTypeDef;
struct TypeDecl {
  enum class Kind : uint8_t { CoreType, Type, Alias, Import, Export };
  Kind kind = Kind::Type;
  std::shared_ptr<const CoreTypeDef> core_type; // CoreType
  std::shared_ptr<const TypeDef> type;          // Type
  AliasDef alias;                               // Alias (outer only)
  ImportDef import;                             // Import (component types)
  ImportDef export_; // Export: name + desc (same shape as an import)
};

struct TypeDef {
  enum class Kind : uint8_t { Val, Func, Component, Instance, Resource };
  Kind kind = Kind::Val;
  DefValType val;
  FuncTypeDef func;
  std::vector<TypeDecl> decls; // Component, Instance
  ResourceTypeDef resource;
  uint64_t offset = 0;
};

// core:type: a function type, or a module type (imports/exports of a core
// module, for module-typed imports; wit-component never emits them but the
// format has them).
struct CoreModuleDecl {
  enum class Kind : uint8_t { Import, Export, Type, OuterAlias };
  Kind kind = Kind::Import;
  // Import: module, name and what it is (Func: `func_type` indexes this
  // module type's own type declarations). Export: name and the same shape
  // (the `module` field unused).
  weft::Import item;
  weft::FuncType type;                       // Type
  uint32_t outer_count = 0, outer_index = 0; // OuterAlias
};
struct CoreTypeDef {
  enum class Kind : uint8_t { Func, Module };
  Kind kind = Kind::Func;
  weft::FuncType func;
  std::vector<CoreModuleDecl> decls;
  uint64_t offset = 0;
};

struct CoreModuleDef {
  std::span<const uint8_t> bytes; // the whole core module binary
  uint64_t offset = 0;            // of its first byte in the component
};

struct CoreInstanceDef {
  enum class Kind : uint8_t { Instantiate, FromExports };
  Kind kind = Kind::Instantiate;
  uint32_t module = 0; // Instantiate
  struct Arg {
    std::string name;      // the import module name it satisfies
    uint32_t instance = 0; // a core instance index
  };
  std::vector<Arg> args; // Instantiate
  struct Export {
    std::string name;
    Sort sort = Sort::CoreFunc; // a core sort
    uint32_t index = 0;
  };
  std::vector<Export> exports; // FromExports
};

struct InstanceDef {
  enum class Kind : uint8_t { Instantiate, FromExports };
  Kind kind = Kind::Instantiate;
  uint32_t component = 0; // Instantiate
  struct Arg {
    std::string name;
    Sort sort = Sort::Func;
    uint32_t index = 0;
  };
  std::vector<Arg> args;          // Instantiate
  std::vector<ExportDef> exports; // FromExports (no ascription)
};

enum class StringEncoding : uint8_t { Utf8, Utf16, Latin1Utf16 };

struct CanonOpt {
  enum class Kind : uint8_t {
    StringEncoding, // with `encoding`
    Memory,         // core memory index
    Realloc,        // core func index
    PostReturn,     // core func index
    Async,          // 0.3
    Callback,       // 0.3, core func index
  };
  Kind kind = Kind::Memory;
  StringEncoding encoding = StringEncoding::Utf8;
  uint32_t index = 0;
};

struct CanonDef {
  enum class Kind : uint8_t {
    Lift,         // core func -> func (func = core func index, type = a
                  // func type index)
    Lower,        // func -> core func (func = func index)
    ResourceNew,  // type = resource type index -> core func
    ResourceDrop, // type = resource type index -> core func
    ResourceRep,  // type = resource type index -> core func
    // The 0.3 async built-ins (task.return, stream.*, future.*, waitable-*,
    // subtask.*, context.*, ...) decode to Other with `opcode`, so a
    // component using them is refused by the validator with a clear
    // "not supported yet" instead of a decode error.
    Other,
  };
  Kind kind = Kind::Lift;
  uint32_t func = 0;
  uint32_t type = 0;
  std::vector<CanonOpt> opts;
  uint32_t opcode = 0; // the binary's canon opcode (for Other, and errors)
  bool async = false;  // resource.drop async
};

struct StartDef {
  uint32_t func = 0;
  std::vector<uint32_t> args; // value indices
  uint32_t results = 0;
};

struct Component;

// One definition, in binary order.
struct Definition {
  enum class Kind : uint8_t {
    CoreModule,
    CoreInstance,
    CoreType,
    Component,
    Instance,
    Alias,
    Type,
    Canon,
    Start,
    Import,
    Export,
  };
  Kind kind = Kind::CoreModule;
  uint64_t offset = 0; // where the entry starts, for errors
  CoreModuleDef core_module;
  CoreInstanceDef core_instance;
  std::shared_ptr<const CoreTypeDef> core_type;
  std::shared_ptr<const Component> component; // nested
  InstanceDef instance;
  AliasDef alias;
  std::shared_ptr<const TypeDef> type;
  CanonDef canon;
  StartDef start;
  ImportDef import;
  ExportDef export_;
};

struct Component {
  std::vector<Definition> definitions;
  uint64_t offset = 0; // of the preamble
};

} // namespace weft::component
