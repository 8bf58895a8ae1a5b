#include "wasm/types.h"

#include "wasm/module.h"
#include "wasm/result.h"

namespace weft {

const char* ValTypeName(ValType t) {
  switch (t) {
  case ValType::I32: return "i32";
  case ValType::I64: return "i64";
  case ValType::F32: return "f32";
  case ValType::F64: return "f64";
  case ValType::V128: return "v128";
  case ValType::FuncRef: return "funcref";
  case ValType::ExternRef: return "externref";
  }
  return "?";
}

const char* ExternKindName(ExternKind k) {
  switch (k) {
  case ExternKind::Func: return "func";
  case ExternKind::Table: return "table";
  case ExternKind::Memory: return "memory";
  case ExternKind::Global: return "global";
  }
  return "?";
}

std::string FuncType::ToString() const {
  std::string s = "(";
  for (size_t i = 0; i < params.size(); ++i) {
    if (i) s += ", ";
    s += ValTypeName(params[i]);
  }
  s += ") -> (";
  for (size_t i = 0; i < results.size(); ++i) {
    if (i) s += ", ";
    s += ValTypeName(results[i]);
  }
  return s + ")";
}

std::string Error::Describe() const {
  std::string s = message;
  if (offset != kNoOffset) s += " at offset " + std::to_string(offset);
  if (!context.empty()) s += " (" + context + ")";
  return s;
}

uint32_t Module::FuncTypeIndex(uint32_t func_index) const {
  if (func_index < num_imported_funcs) {
    uint32_t seen = 0;
    for (const Import& imp : imports) {
      if (imp.kind != ExternKind::Func) continue;
      if (seen++ == func_index) return imp.func_type;
    }
  }
  return functions[func_index - num_imported_funcs].type_index;
}

namespace {
template <typename T, typename Get>
T NthImport(const Module& m, ExternKind kind, uint32_t n, Get get) {
  uint32_t seen = 0;
  for (const Import& imp : m.imports) {
    if (imp.kind != kind) continue;
    if (seen++ == n) return get(imp);
  }
  return T{};
}
} // namespace

TableType Module::GetTableType(uint32_t i) const {
  if (i < num_imported_tables)
    return NthImport<TableType>(*this, ExternKind::Table, i,
                                [](const Import& m) { return m.table; });
  return tables[i - num_imported_tables];
}

MemoryType Module::GetMemoryType(uint32_t i) const {
  if (i < num_imported_memories)
    return NthImport<MemoryType>(*this, ExternKind::Memory, i,
                                 [](const Import& m) { return m.memory; });
  return memories[i - num_imported_memories];
}

GlobalType Module::GetGlobalType(uint32_t i) const {
  if (i < num_imported_globals)
    return NthImport<GlobalType>(*this, ExternKind::Global, i,
                                 [](const Import& m) { return m.global; });
  return globals[i - num_imported_globals].type;
}

} // namespace weft
