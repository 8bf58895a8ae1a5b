// Component binaries: decoding (binary.cpp) and validation (validate.cpp).
//
// Decode enforces the encoding rules (preamble, section ids and sizes, LEB
// ranges, name syntax, known opcodes) and refuses hostile sizes and counts
// before allocating anything proportional to them. Validate resolves every
// index and type: index spaces per (nested) component, type equality and
// subtyping at instantiation and canon sites, the canon options each
// definition needs (memory, realloc), names (kebab-case, interface names,
// no duplicates) — and refuses what weft does not support yet (the 0.3
// async built-ins, value imports) with a clear "not supported" error.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "component/ast.h"
#include "component/types.h"
#include "wasm/module.h"
#include "wasm/result.h"

namespace weft::component {

// "\0asm" + version 0x0d 0x00 + layer 0x01 0x00.
bool IsComponentBinary(std::span<const uint8_t> bytes);

struct ComponentLimits {
  uint64_t max_component_bytes = 1ull << 30;
  uint32_t max_nesting = 100;         // nested components/types
  uint32_t max_definitions = 1000000; // per section
  // Definitions and type declarations in all (nested ones too): each takes
  // a few hundred bytes decoded from as little as 2 bytes of input.
  uint32_t max_total_entries = 250000;
  uint32_t max_type_size = 100000; // fields/cases/labels/params each
  uint32_t max_name_bytes = 1u << 16;
};

struct DecodedComponent {
  std::vector<uint8_t> bytes; // owned copy; the AST's spans point here
  Component root;
};

Result<std::shared_ptr<const DecodedComponent>>
DecodeComponent(std::span<const uint8_t> bytes,
                const ComponentLimits& limits = {});

// What validation found out about one definition, parallel to
// Component::definitions of its scope.
struct DefInfo {
  // The entity the definition adds to an index space (Import, Alias,
  // Instance, Export, Type, Canon lift, Component): its resolved type.
  // A Type definition of a value type or resource is kind Type; of a func,
  // instance or component type, kind Func/Instance/Component with the
  // arena id of that type. Core aliases and core instances leave it unset.
  // Import/Export of a resource also set `resource`.
  ExternType type;
  // Canon Lift/Lower: the component-level function type (TypeArena::funcs).
  uint32_t func_type = 0;
  // Canon resource.new/drop/rep, and a Type that defines a resource: the
  // resource (TypeArena::resources).
  uint32_t resource = 0;
  // Component (a nested definition): its scope in
  // ValidatedComponent::scopes.
  uint32_t scope = 0;
  // Canon: the core function type of the core func it defines (lower,
  // resource.new/drop/rep) or of the core func it lifts (lift), i.e. the
  // flattened type.
  weft::FuncType core_type;
  // CoreModule: the module, decoded and validated (so the linker does not
  // decode it again).
  std::shared_ptr<const weft::Module> core_module;
};

struct Scope {
  const Component* component = nullptr;
  uint32_t parent = 0; // scope index; the root is its own parent
  std::vector<DefInfo> defs;
  ComponentType type; // this component's imports and exports
};

struct ValidatedComponent {
  std::shared_ptr<const DecodedComponent> decoded;
  TypeArena types;
  std::vector<Scope> scopes; // scopes[0] is the root component
  const ComponentType& type() const { return scopes[0].type; }
};

Result<std::shared_ptr<const ValidatedComponent>>
ValidateComponent(std::shared_ptr<const DecodedComponent> decoded,
                  const ComponentLimits& limits = {});

} // namespace weft::component
