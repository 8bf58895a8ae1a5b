// A disassembler for lowered code, for debugging and for tests that check
// what the lowering produced (e.g. that a compare fused with its branch).
#include <cstring>
#include <sstream>
#include <unordered_map>

#include "interp/interp_module.h"

namespace weft::interp {
namespace {

struct OpDesc {
  const char* name;
  char shape; // see Fields
  size_t size;
};

const std::unordered_map<Handler, OpDesc>& Descs() {
  static const auto* map = [] {
    auto* m = new std::unordered_map<Handler, OpDesc>();
    const Handler* h = HandlerTable();
    size_t i = 0;
#define WEFT_X(name, shape)                                                    \
  (*m)[h[i++]] = OpDesc{#name, #shape[2], sizeof(shape)};
    WEFT_INTERP_IOPS(WEFT_X)
#undef WEFT_X
    return m;
  }();
  return *map;
}

} // namespace

std::string Disassemble(const CompiledFunc& f) {
  std::ostringstream os;
  os << "; params=" << f.param_slots << " locals=" << f.local_slots
     << " frame=" << f.frame_slots << "\n";
  const uint8_t* pc = f.code;
  const uint8_t* end = f.code + f.storage.size() * 8;
  const auto& descs = Descs();
  while (pc < end) {
    Handler h;
    std::memcpy(&h, pc, sizeof(h));
    auto it = descs.find(h);
    if (it == descs.end()) {
      os << "  ??\n";
      break;
    }
    const OpDesc& d = it->second;
    os << "  " << (pc - f.code) << ": " << d.name;
    uint32_t u[6] = {};
    size_t size = d.size;
    if (d.shape == 'P') { // InP4 / InP6: skip the pointer
      std::memcpy(u, pc + 16, size - 16);
    } else if (size > 8) {
      std::memcpy(u, pc + 8, std::min<size_t>(size - 8, 24));
    }
    const size_t n =
        d.shape == 'P' ? (size - 16) / 4 : std::min<size_t>((size - 8) / 4, 6);
    for (size_t i = 0; i < n; ++i)
      os << " " << static_cast<int32_t>(u[i]);
    if (std::strcmp(d.name, "BrTable") == 0)
      size += 4 * ((u[1] + 1 + 1) / 2) * 2;
    os << "\n";
    pc += size;
  }
  return os.str();
}

} // namespace weft::interp
