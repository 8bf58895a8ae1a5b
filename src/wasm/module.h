// The decoded module: a typed IR that the validator checks and the tiers
// lower. Function bodies are decoded once into vectors of Instr so no later
// pass re-reads LEB128.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wasm/opcode.h"
#include "wasm/types.h"

namespace weft {

// Block types: empty, a single value type, or a type index (multi-value).
struct BlockType {
  enum class Kind : uint8_t { Empty, Value, TypeIndex };
  Kind kind = Kind::Empty;
  ValType value = ValType::I32; // when kind == Value
  uint32_t type_index = 0;      // when kind == TypeIndex
};

// One decoded instruction. What a/b/c mean depends on the opcode's ImmKind
// (see opcode.h). For block/loop/if: `block` holds the block type and the
// decoder fills `else_index` / `end_index` with the positions (in the same
// code vector) of the matching else (0 when none) and end.
struct Instr {
  Opcode op = Opcode::Nop;
  uint8_t lane = 0;
  uint32_t offset = 0; // byte offset of the opcode in the module
  uint32_t a = 0;
  uint32_t c = 0;
  uint64_t b = 0;
  BlockType block;
  uint32_t else_index = 0;
  uint32_t end_index = 0;
};

// A constant expression (global initializers, segment offsets, element
// expressions): a short instruction sequence ending with `end`.
struct ConstExpr {
  std::vector<Instr> code; // includes the final End
  // Side tables indexed by Instr::a, as in Function: v128.const values (a
  // SIMD global's initializer) and, only in invalid expressions, br_table
  // targets, so that every decoded index stays in range.
  std::vector<V128> v128_consts;
  std::vector<uint32_t> br_targets;
};

struct Import {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t func_type = 0; // kind == Func: type index
  TableType table;        // kind == Table
  MemoryType memory;      // kind == Memory
  GlobalType global;      // kind == Global
};

struct Export {
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t index = 0;
};

struct Global {
  GlobalType type;
  ConstExpr init;
};

// A function defined in this module (imports are not in Module::functions).
struct Function {
  uint32_t type_index = 0;
  std::vector<ValType> locals; // declared locals, expanded; params excluded
  std::vector<Instr> code;     // the body, ending with End
  std::vector<uint32_t> br_targets; // br_table label depths (see ImmKind)
  std::vector<V128> v128_consts;    // v128.const values and shuffle masks
  uint32_t body_offset = 0;         // byte offset of the body (its size LEB)
  uint32_t body_size = 0;
};

enum class SegmentMode : uint8_t { Active, Passive, Declarative };

struct ElemSegment {
  SegmentMode mode = SegmentMode::Active;
  uint32_t table = 0; // active only
  ConstExpr offset;   // active only
  ValType type = ValType::FuncRef;
  std::vector<ConstExpr> init; // one expression per element; function
                               // indices are given as ref.func expressions
};

struct DataSegment {
  SegmentMode mode = SegmentMode::Active; // Active or Passive
  uint32_t memory = 0;
  ConstExpr offset;
  std::vector<uint8_t> bytes;
};

struct CustomSection {
  std::string name;
  uint32_t offset = 0; // of the section's payload after the name
  uint32_t size = 0;
};

struct Module {
  std::vector<FuncType> types;
  std::vector<Import> imports;
  std::vector<Function> functions;  // defined functions only
  std::vector<TableType> tables;    // defined tables only
  std::vector<MemoryType> memories; // defined memories only
  std::vector<Global> globals;      // defined globals only
  std::vector<Export> exports;
  std::optional<uint32_t> start;
  std::vector<ElemSegment> elems;
  std::vector<DataSegment> datas;
  std::optional<uint32_t> data_count;
  std::vector<CustomSection> customs;

  // Counts of imports by kind; imported entities come first in each index
  // space (function index i < num_imported_funcs is an import).
  uint32_t num_imported_funcs = 0;
  uint32_t num_imported_tables = 0;
  uint32_t num_imported_memories = 0;
  uint32_t num_imported_globals = 0;

  uint32_t NumFuncs() const {
    return num_imported_funcs + static_cast<uint32_t>(functions.size());
  }
  uint32_t NumTables() const {
    return num_imported_tables + static_cast<uint32_t>(tables.size());
  }
  uint32_t NumMemories() const {
    return num_imported_memories + static_cast<uint32_t>(memories.size());
  }
  uint32_t NumGlobals() const {
    return num_imported_globals + static_cast<uint32_t>(globals.size());
  }

  // Index-space lookups (callers check bounds first).
  uint32_t FuncTypeIndex(uint32_t func_index) const;
  TableType GetTableType(uint32_t table_index) const;
  MemoryType GetMemoryType(uint32_t memory_index) const;
  GlobalType GetGlobalType(uint32_t global_index) const;
};

} // namespace weft
