// The Opcode enum and its per-opcode facts, all generated from opcodes.def.
#pragma once

#include <cstdint>
#include <optional>

#include "wasm/types.h"

namespace weft {

enum class Opcode : uint16_t {
#define WEFT_OP(name, text, prefix, code, imm, sig, mem) name,
#include "wasm/opcodes.def"
#undef WEFT_OP
};

inline constexpr unsigned kOpcodeCount = 0
#define WEFT_OP(name, text, prefix, code, imm, sig, mem) +1
#include "wasm/opcodes.def"
#undef WEFT_OP
    ;

// The immediate shapes. See Instr in module.h for where each one is stored.
enum class ImmKind : uint8_t {
  None,
  BlockType,    // block/loop/if
  Label,        // br, br_if: a = depth
  BrTable,      // a = first index into Function::br_targets, c = count
                //   (the default target follows the count entries)
  Func,         // call, ref.func: a = function index
  CallIndirect, // a = type index, c = table index
  Local,        // a = local index
  Global,       // a = global index
  Table,        // a = table index
  Memory,       // a = memory index (always 0 in 2.0)
  MemArg,       // a = log2(align), b = offset; c = memory index
  MemArgLane,   // a = log2(align), b = offset, lane in `lane`
  I32,          // b = value (zero-extended bits)
  I64,          // b = value bits
  F32,          // b = IEEE bits (zero-extended)
  F64,          // b = IEEE bits
  V128,         // a = index into Function::v128_consts
  Shuffle,      // a = index into Function::v128_consts (16 lane indices)
  Lane,         // lane in `lane`
  RefNull,      // a = reference type byte (0x70 or 0x6F)
  SelectT,      // a = value type byte of the first type, c = count of types
  Elem,         // a = element segment index
  Data,         // a = data segment index
  TableInit,    // a = element segment index, c = table index
  TableCopy,    // a = destination table, c = source table
  MemInit,      // a = data segment index, c = memory index
  MemCopy,      // a = destination memory, c = source memory
};

// A fixed operand signature parsed from the table's "sig" string.
struct OpSignature {
  bool special = true; // typed by hand in the validator
  uint8_t num_params = 0;
  uint8_t num_results = 0;
  ValType params[3] = {};
  ValType result = ValType::I32;
};

struct OpcodeInfo {
  const char* name; // text format name, "i32.add"
  uint8_t prefix;   // 0, 0xFC or 0xFD
  uint32_t code;    // byte or sub-opcode
  ImmKind imm;
  OpSignature sig;
  uint8_t mem_bytes; // natural access size of memory instructions
};

const OpcodeInfo& GetOpcodeInfo(Opcode op);
inline const char* OpcodeName(Opcode op) { return GetOpcodeInfo(op).name; }

// Decoder lookups. Return nullopt for an unknown encoding.
std::optional<Opcode> LookupOpcode(uint8_t byte); // no prefix
std::optional<Opcode> LookupPrefixedOpcode(uint8_t prefix, uint32_t code);

} // namespace weft
