// The table from 0xFD opcodes to their simd.h implementations. The lowering
// stores the function pointer in the instruction; the executor calls it
// through one generic handler per signature shape.
#include "interp/interp_module.h"
#include "interp/simd.h"

namespace weft::interp {
namespace {
namespace simd_fns {
using namespace weft::simd; // NOLINT: every 0xFD row names a function there
// v128.const has no function; the executor handles it.
inline void V128Const() {}
} // namespace simd_fns
} // namespace

const void* SimdFunction(Opcode op) {
  switch (op) {
#define WEFT_SIMD_0(name)
#define WEFT_SIMD_0xFC(name)
#define WEFT_SIMD_0xFD(name)                                                   \
  case Opcode::name:                                                           \
    return reinterpret_cast<const void*>(&simd_fns::name);
#define WEFT_OP(name, text, prefix, code, imm, sig, mem)                       \
  WEFT_SIMD_##prefix(name)
#include "wasm/opcodes.def"
#undef WEFT_OP
#undef WEFT_SIMD_0
#undef WEFT_SIMD_0xFC
#undef WEFT_SIMD_0xFD
  default: return nullptr;
  }
}

} // namespace weft::interp
