// Instruction sequences: function bodies and constant expressions.
#include <cstdio>
#include <cstring>

#include "wasm/decode_internal.h"

namespace weft::decode {
namespace {

enum class FrameKind : uint8_t { Outer, Block, Loop, If };

struct Frame {
  FrameKind kind;
  bool has_else;
  uint32_t start; // index of the block/loop/if instruction
  uint32_t else_at;
};

std::string IllegalOpcode(uint8_t prefix, uint32_t code) {
  char buf[48];
  if (prefix == 0) {
    std::snprintf(buf, sizeof buf, "illegal opcode 0x%02x", code);
  } else {
    std::snprintf(buf, sizeof buf, "illegal opcode 0x%02x 0x%x", prefix, code);
  }
  return buf;
}

// blocktype ::= 0x40 | valtype | s33 type index (non-negative).
bool ReadBlockType(Reader& r, BlockType* out) {
  uint8_t b = 0;
  if (!r.PeekU8(&b)) return false;
  if (b == 0x40) {
    r.ReadU8(&b);
    out->kind = BlockType::Kind::Empty;
    return true;
  }
  if ((b & 0xC0) == 0x40) {
    out->kind = BlockType::Kind::Value;
    return r.ReadValType(&out->value);
  }
  uint32_t start = r.Offset();
  int64_t index = 0;
  if (!r.ReadS33(&index)) return false;
  if (index < 0) return r.Fail("malformed block type", start);
  out->kind = BlockType::Kind::TypeIndex;
  out->type_index = static_cast<uint32_t>(index);
  return true;
}

bool ReadZeroByte(Reader& r) {
  uint32_t at = r.Offset();
  uint8_t b = 0;
  if (!r.ReadU8(&b)) return false;
  if (b != 0) return r.Fail("zero byte expected", at);
  return true;
}

bool ReadMemArg(Reader& r, Instr* in) {
  uint32_t align = 0, offset = 0;
  if (!r.ReadU32(&align) || !r.ReadU32(&offset)) return false;
  in->a = align;
  in->b = offset;
  in->c = 0;
  return true;
}

bool ReadV128(Reader& r, std::vector<V128>* consts, Instr* in) {
  const uint8_t* bytes = nullptr;
  if (!r.ReadBytes(16, &bytes)) return false;
  V128 v;
  std::memcpy(v.bytes, bytes, 16);
  in->a = static_cast<uint32_t>(consts->size());
  consts->push_back(v);
  return true;
}

// Reads the immediates of `op` into `in`.
bool ReadImmediates(Reader& r, CodeSink& sink, const DecodeLimits& limits,
                    Opcode op, Instr* in) {
  switch (GetOpcodeInfo(op).imm) {
  case ImmKind::None: return true;
  case ImmKind::BlockType: return ReadBlockType(r, &in->block);
  case ImmKind::Label:
  case ImmKind::Func:
  case ImmKind::Local:
  case ImmKind::Global:
  case ImmKind::Table:
  case ImmKind::Elem: return r.ReadU32(&in->a);
  case ImmKind::Data: sink.uses_data_index = true; return r.ReadU32(&in->a);
  case ImmKind::BrTable: {
    uint32_t count = 0;
    if (!r.ReadCount(&count, limits.max_br_table, "br_table target count")) {
      return false;
    }
    in->a = static_cast<uint32_t>(sink.br_targets->size());
    in->c = count;
    for (uint32_t i = 0; i <= count; ++i) { // count targets, then default
      uint32_t depth = 0;
      if (!r.ReadU32(&depth)) return false;
      sink.br_targets->push_back(depth);
    }
    return true;
  }
  case ImmKind::CallIndirect: return r.ReadU32(&in->a) && r.ReadU32(&in->c);
  case ImmKind::Memory: return ReadZeroByte(r);
  case ImmKind::MemArg: return ReadMemArg(r, in);
  case ImmKind::MemArgLane: return ReadMemArg(r, in) && r.ReadU8(&in->lane);
  case ImmKind::I32: {
    int32_t v = 0;
    if (!r.ReadS32(&v)) return false;
    in->b = static_cast<uint32_t>(v);
    return true;
  }
  case ImmKind::I64: {
    int64_t v = 0;
    if (!r.ReadS64(&v)) return false;
    in->b = static_cast<uint64_t>(v);
    return true;
  }
  case ImmKind::F32: {
    uint32_t bits = 0;
    if (!r.ReadFixed32(&bits)) return false;
    in->b = bits;
    return true;
  }
  case ImmKind::F64: return r.ReadFixed64(&in->b);
  case ImmKind::V128:
  case ImmKind::Shuffle: return ReadV128(r, sink.v128_consts, in);
  case ImmKind::Lane: return r.ReadU8(&in->lane);
  case ImmKind::RefNull: {
    ValType t;
    if (!r.ReadRefType(&t)) return false;
    in->a = static_cast<uint8_t>(t);
    return true;
  }
  case ImmKind::SelectT: {
    uint32_t count = 0;
    if (!r.ReadLength(&count)) return false;
    in->c = count;
    for (uint32_t i = 0; i < count; ++i) {
      ValType t;
      if (!r.ReadValType(&t)) return false;
      if (i == 0) in->a = static_cast<uint8_t>(t);
    }
    return true;
  }
  case ImmKind::TableInit:
  case ImmKind::TableCopy: return r.ReadU32(&in->a) && r.ReadU32(&in->c);
  case ImmKind::MemInit:
    sink.uses_data_index = true;
    in->c = 0;
    return r.ReadU32(&in->a) && ReadZeroByte(r);
  case ImmKind::MemCopy:
    in->a = in->c = 0;
    return ReadZeroByte(r) && ReadZeroByte(r);
  }
  return r.Fail("unhandled immediate kind", in->offset);
}

} // namespace

bool DecodeInstrs(Reader& r, CodeSink& sink, const DecodeLimits& limits) {
  std::vector<Instr>& code = *sink.code;
  std::vector<Frame> frames;
  frames.push_back({FrameKind::Outer, false, 0, 0});
  while (true) {
    uint32_t at = r.Offset();
    uint8_t byte = 0;
    if (!r.ReadU8(&byte)) return false;
    Opcode op;
    if (byte == 0xFC || byte == 0xFD) {
      uint32_t sub = 0;
      if (!r.ReadU32(&sub)) return false;
      std::optional<Opcode> found = LookupPrefixedOpcode(byte, sub);
      if (!found) return r.Fail(IllegalOpcode(byte, sub), at);
      op = *found;
    } else {
      std::optional<Opcode> found = LookupOpcode(byte);
      if (!found) return r.Fail(IllegalOpcode(0, byte), at);
      op = *found;
    }
    Instr in;
    in.op = op;
    in.offset = at;
    const uint32_t index = static_cast<uint32_t>(code.size());

    if (op == Opcode::End) {
      Frame f = frames.back();
      frames.pop_back();
      if (f.kind != FrameKind::Outer) {
        code[f.start].end_index = index;
        if (f.has_else) code[f.else_at].end_index = index;
      }
      code.push_back(in);
      if (frames.empty()) return true;
      continue;
    }
    if (op == Opcode::Else) {
      Frame& f = frames.back();
      // The grammar allows `else` only once, inside an `if`; anywhere else
      // the enclosing sequence must end here.
      if (f.kind != FrameKind::If || f.has_else) {
        return r.Fail("END opcode expected", at);
      }
      f.has_else = true;
      f.else_at = index;
      code[f.start].else_index = index;
      code.push_back(in);
      continue;
    }
    if (!ReadImmediates(r, sink, limits, op, &in)) return false;
    code.push_back(in);
    if (op == Opcode::Block || op == Opcode::Loop || op == Opcode::If) {
      FrameKind kind = op == Opcode::Block  ? FrameKind::Block
                       : op == Opcode::Loop ? FrameKind::Loop
                                            : FrameKind::If;
      frames.push_back({kind, false, index, 0});
    }
  }
}

} // namespace weft::decode
