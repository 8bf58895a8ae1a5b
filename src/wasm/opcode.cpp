#include "wasm/opcode.h"

#include <array>

namespace weft {
namespace {

constexpr ValType SigLetter(char c) {
  switch (c) {
  case 'I': return ValType::I32;
  case 'L': return ValType::I64;
  case 'F': return ValType::F32;
  case 'D': return ValType::F64;
  default: return ValType::V128;
  }
}

// Parses "R_PPP" (see opcodes.def); "" yields a special signature.
constexpr OpSignature ParseSig(const char* s) {
  OpSignature sig;
  if (s[0] == '\0') return sig;
  sig.special = false;
  unsigned i = 0;
  if (s[0] != '_') {
    sig.result = SigLetter(s[0]);
    sig.num_results = 1;
    i = 1;
  }
  ++i; // skip '_'
  for (; s[i] != '\0'; ++i)
    sig.params[sig.num_params++] = SigLetter(s[i]);
  return sig;
}

constexpr std::array<OpcodeInfo, kOpcodeCount> kInfos = {{
#define WEFT_OP(name, text, prefix, code, imm, sig, mem)                       \
  OpcodeInfo{text, prefix, code, ImmKind::imm, ParseSig(sig), mem},
#include "wasm/opcodes.def"
#undef WEFT_OP
}};

struct Tables {
  std::array<int16_t, 256> plain;
  std::array<int16_t, 32> fc;
  std::array<int16_t, 256> fd;
  constexpr Tables() : plain(), fc(), fd() {
    plain.fill(-1);
    fc.fill(-1);
    fd.fill(-1);
    for (unsigned i = 0; i < kOpcodeCount; ++i) {
      const OpcodeInfo& info = kInfos[i];
      if (info.prefix == 0) plain[info.code] = static_cast<int16_t>(i);
      if (info.prefix == 0xFC) fc[info.code] = static_cast<int16_t>(i);
      if (info.prefix == 0xFD) fd[info.code] = static_cast<int16_t>(i);
    }
  }
};
constexpr Tables kTables;

} // namespace

const OpcodeInfo& GetOpcodeInfo(Opcode op) {
  return kInfos[static_cast<unsigned>(op)];
}

std::optional<Opcode> LookupOpcode(uint8_t byte) {
  int16_t i = kTables.plain[byte];
  if (i < 0) return std::nullopt;
  return static_cast<Opcode>(i);
}

std::optional<Opcode> LookupPrefixedOpcode(uint8_t prefix, uint32_t code) {
  int16_t i = -1;
  if (prefix == 0xFC && code < kTables.fc.size()) i = kTables.fc[code];
  if (prefix == 0xFD && code < kTables.fd.size()) i = kTables.fd[code];
  if (i < 0) return std::nullopt;
  return static_cast<Opcode>(i);
}

} // namespace weft
