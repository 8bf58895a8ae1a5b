// Internal to the validator: the module context a function body (or a
// constant expression) is checked against, and the function-body checker.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wasm/module.h"
#include "wasm/result.h"

namespace weft::validation {

// The spec's context C, with the import and definition index spaces
// flattened so that every lookup is a bounds check plus a vector index.
struct ModuleContext {
  const Module* module = nullptr;
  std::vector<uint32_t> func_types; // type index of each function
  std::vector<TableType> tables;
  std::vector<GlobalType> globals;
  uint32_t num_imported_globals = 0; // the globals constant exprs may read
  uint32_t num_memories = 0;
  std::vector<bool> declared_funcs; // C.refs: functions ref.func may name

  const FuncType& FuncTypeOf(uint32_t func_index) const {
    return module->types[func_types[func_index]];
  }
};

// Checks one defined function body. `func_index` is its index in the
// function index space (imports first), used for the error context.
Status ValidateFunction(const ModuleContext& ctx, uint32_t func_index,
                        const Function& func);

// "unknown <what> <index>", the spec's wording for an index out of range.
std::string UnknownIndex(const char* what, uint64_t index);

} // namespace weft::validation
