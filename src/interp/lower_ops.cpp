// Opcode -> internal operation tables for the lowering (see lower_ops.h).
#include "interp/lower_ops.h"

namespace weft::interp {

// clang-format off
#define WEFT_CASE_UN(name, ta, tr, expr) case Opcode::name: return IOp::name;
#define WEFT_CASE_TRUNC(name, ta, tr, i) case Opcode::name: return IOp::name;
// clang-format on
std::optional<IOp> UnaryOp(Opcode op) {
  switch (op) {
    WEFT_INTERP_UNOPS(WEFT_CASE_UN)
    WEFT_INTERP_TRUNCS(WEFT_CASE_TRUNC)
  default: return std::nullopt;
  }
}
#undef WEFT_CASE_UN
#undef WEFT_CASE_TRUNC

// clang-format off
#define WEFT_CASE_BIN(name, k, m, ta, tr, expr) case Opcode::name: return IOp::name;
#define WEFT_CASE_DIV(name, t, kind) case Opcode::name: return IOp::name;
// clang-format on
std::optional<IOp> BinaryOp(Opcode op) {
  switch (op) {
    WEFT_INTERP_BINOPS(WEFT_CASE_BIN)
    WEFT_INTERP_DIVS(WEFT_CASE_DIV)
  default: return std::nullopt;
  }
}
#undef WEFT_CASE_BIN
#undef WEFT_CASE_DIV

// clang-format off
#define WEFT_CASE_K_K(name) case Opcode::name: return IOp::name##_K;
#define WEFT_CASE_K_R(name) case Opcode::name: return IOp::name##_K;
#define WEFT_CASE_K__(name)
#define WEFT_CASE_BINK(name, k, m, ta, tr, expr) WEFT_CASE_K_##k(name)
// clang-format on
std::optional<IOp> BinaryOpK(Opcode op) {
  switch (op) {
    WEFT_INTERP_BINOPS(WEFT_CASE_BINK)
  default: return std::nullopt;
  }
}
#undef WEFT_CASE_K_K
#undef WEFT_CASE_K_R

// clang-format off
#define WEFT_CASE_K_K(name)
#define WEFT_CASE_K_R(name) case Opcode::name: return IOp::name##_KR;
// clang-format on
std::optional<IOp> BinaryOpKR(Opcode op) {
  switch (op) {
    WEFT_INTERP_BINOPS(WEFT_CASE_BINK)
  default: return std::nullopt;
  }
}
#undef WEFT_CASE_K_K
#undef WEFT_CASE_K_R
#undef WEFT_CASE_K__
#undef WEFT_CASE_BINK

// clang-format off
#define WEFT_CASE_M_M(name) case Opcode::name: return IOp::name##_M;
#define WEFT_CASE_M__(name)
#define WEFT_CASE_BINM(name, k, m, ta, tr, expr) WEFT_CASE_M_##m(name)
// clang-format on
std::optional<IOp> BinaryOpM(Opcode op) {
  switch (op) {
    WEFT_INTERP_BINOPS(WEFT_CASE_BINM)
  default: return std::nullopt;
  }
}
#undef WEFT_CASE_M_M
#undef WEFT_CASE_M__
#undef WEFT_CASE_BINM

// clang-format off
#define WEFT_CASE_M_M(name) case Opcode::name: return IOp::name##_S;
#define WEFT_CASE_M__(name)
#define WEFT_CASE_BINM(name, k, m, ta, tr, expr) WEFT_CASE_M_##m(name)
// clang-format on
std::optional<IOp> BinaryOpS(Opcode op) {
  switch (op) {
    WEFT_INTERP_BINOPS(WEFT_CASE_BINM)
  default: return std::nullopt;
  }
}
#undef WEFT_CASE_M_M
// clang-format off
#define WEFT_CASE_M_M(name) case Opcode::name: return IOp::name##_MS;
// clang-format on
std::optional<IOp> BinaryOpMS(Opcode op) {
  switch (op) {
    WEFT_INTERP_BINOPS(WEFT_CASE_BINM)
  default: return std::nullopt;
  }
}
#undef WEFT_CASE_M_M
#undef WEFT_CASE_M__
#undef WEFT_CASE_BINM

// Bytes written by a plain store / produced by an arithmetic operator.
unsigned StoreWidth(IOp op) {
  return op == IOp::I64Store ? 8 : op == IOp::I32Store ? 4 : 0;
}
unsigned ArithWidth(Opcode op) {
  const ValType t = GetOpcodeInfo(op).sig.result;
  return t == ValType::I64 || t == ValType::F64 ? 8 : 4;
}

// clang-format off
#define WEFT_CASE_STORE(name, r, m) case Opcode::name: return IOp::name##_K;
// clang-format on
std::optional<IOp> StoreOpK(Opcode op) {
  switch (op) {
  case Opcode::F32Store: return IOp::I32Store_K;
  case Opcode::F64Store:
    return IOp::I64Store_K;
    WEFT_INTERP_STORES(WEFT_CASE_STORE)
  default: return std::nullopt;
  }
}
#undef WEFT_CASE_STORE

#define WEFT_CASE_CMP(name, t, op, neg)                                        \
  case Opcode::name: return true;
bool IsFusableCmp(Opcode op) {
  if (op >= Opcode::F32Eq && op <= Opcode::F64Ge) return true;
  switch (op) {
    WEFT_INTERP_CMPS(WEFT_CASE_CMP)
  case Opcode::I32Eqz:
  case Opcode::I64Eqz: return true;
  default: return false;
  }
}
#undef WEFT_CASE_CMP

#define WEFT_CASE_CMP(name, t, op, neg)                                        \
  case Opcode::name: return Opcode::neg;
Opcode NegateCmp(Opcode op) {
  switch (op) {
    WEFT_INTERP_CMPS(WEFT_CASE_CMP)
  default: return op;
  }
}
#undef WEFT_CASE_CMP

#define WEFT_CASE_CMP(name, t, op, neg)                                        \
  case Opcode::name: return IOp::BrIf_##name;
IOp BrIfCmp(Opcode op) {
  switch (op) {
    WEFT_INTERP_CMPS(WEFT_CASE_CMP)
  default: return IOp::Unreachable;
  }
}
#undef WEFT_CASE_CMP

#define WEFT_CASE_CMP(name, t, op, neg)                                        \
  case Opcode::name: return IOp::BrIf_##name##_K;
IOp BrIfCmpK(Opcode op) {
  switch (op) {
    WEFT_INTERP_CMPS(WEFT_CASE_CMP)
  default: return IOp::Unreachable;
  }
}
#undef WEFT_CASE_CMP

// The add-and-branch for compare `op`; variants by whether the addend and
// the limit are immediates.
// clang-format off
#define WEFT_CASE_CMP(name, t, op, neg)                                        \
  case Opcode::name:                                                           \
    return add_k ? (limit_k ? IOp::AddKBr_##name##_K : IOp::AddKBr_##name)      \
                 : (limit_k ? IOp::AddBr_##name##_K : IOp::AddBr_##name);
// clang-format on
IOp AddBrCmp(Opcode op, bool add_k, bool limit_k) {
  switch (op) {
    WEFT_INTERP_CMPS(WEFT_CASE_CMP)
  default: return IOp::Unreachable;
  }
}
#undef WEFT_CASE_CMP

bool Is64Cmp(Opcode op) { return op >= Opcode::I64Eq && op <= Opcode::I64GeU; }
bool IsFloatCmp(Opcode op) {
  return op >= Opcode::F32Eq && op <= Opcode::F64Ge;
}

// Float compare-and-branch: taken when the compare is `sense`.
// clang-format off
#define WEFT_CASE_FCMP(name, t, op)                                            \
  case Opcode::name:                                                           \
    return sense ? (is_k ? IOp::BrIf_##name##_K : IOp::BrIf_##name)            \
                 : (is_k ? IOp::BrIfNot_##name##_K : IOp::BrIfNot_##name);
// clang-format on
IOp BrIfFloatCmp(Opcode op, bool sense, bool is_k) {
  switch (op) {
    WEFT_INTERP_FCMPS(WEFT_CASE_FCMP)
  default: return IOp::Unreachable;
  }
}
#undef WEFT_CASE_FCMP

bool IsCommutative(Opcode op) {
  switch (op) {
  case Opcode::I32Add:
  case Opcode::I32Mul:
  case Opcode::I32And:
  case Opcode::I32Or:
  case Opcode::I32Xor:
  case Opcode::I32Eq:
  case Opcode::I32Ne:
  case Opcode::I64Add:
  case Opcode::I64Mul:
  case Opcode::F32Add:
  case Opcode::F32Mul:
  case Opcode::F64Add:
  case Opcode::F64Mul:
  case Opcode::F32Eq:
  case Opcode::F32Ne:
  case Opcode::F64Eq:
  case Opcode::F64Ne:
  case Opcode::I64And:
  case Opcode::I64Or:
  case Opcode::I64Xor:
  case Opcode::I64Eq:
  case Opcode::I64Ne: return true;
  default: return false;
  }
}

// The compare with swapped operands: a < b == b > a.
std::optional<Opcode> SwapCmp(Opcode op) {
  switch (op) {
  case Opcode::I32LtS: return Opcode::I32GtS;
  case Opcode::I32LtU: return Opcode::I32GtU;
  case Opcode::I32GtS: return Opcode::I32LtS;
  case Opcode::I32GtU: return Opcode::I32LtU;
  case Opcode::I32LeS: return Opcode::I32GeS;
  case Opcode::I32LeU: return Opcode::I32GeU;
  case Opcode::I32GeS: return Opcode::I32LeS;
  case Opcode::I32GeU: return Opcode::I32LeU;
  case Opcode::I64LtS: return Opcode::I64GtS;
  case Opcode::I64LtU: return Opcode::I64GtU;
  case Opcode::I64GtS: return Opcode::I64LtS;
  case Opcode::I64GtU: return Opcode::I64LtU;
  case Opcode::I64LeS: return Opcode::I64GeS;
  case Opcode::I64LeU: return Opcode::I64GeU;
  case Opcode::I64GeS: return Opcode::I64LeS;
  case Opcode::I64GeU: return Opcode::I64LeU;
  case Opcode::F32Lt: return Opcode::F32Gt;
  case Opcode::F32Gt: return Opcode::F32Lt;
  case Opcode::F32Le: return Opcode::F32Ge;
  case Opcode::F32Ge: return Opcode::F32Le;
  case Opcode::F64Lt: return Opcode::F64Gt;
  case Opcode::F64Gt: return Opcode::F64Lt;
  case Opcode::F64Le: return Opcode::F64Ge;
  case Opcode::F64Ge: return Opcode::F64Le;
  default: return std::nullopt;
  }
}

std::optional<IOp> LoadOp(Opcode op) {
  switch (op) {
  case Opcode::F32Load: return IOp::I32Load;
  case Opcode::F64Load: return IOp::I64Load;
#define WEFT_CASE_LOAD(name, m, r)                                             \
  case Opcode::name: return IOp::name;
    WEFT_INTERP_LOADS(WEFT_CASE_LOAD)
#undef WEFT_CASE_LOAD
  default: return std::nullopt;
  }
}

std::optional<IOp> StoreOp(Opcode op) {
  switch (op) {
  case Opcode::F32Store: return IOp::I32Store;
  case Opcode::F64Store: return IOp::I64Store;
#define WEFT_CASE_STORE(name, r, m)                                            \
  case Opcode::name: return IOp::name;
    WEFT_INTERP_STORES(WEFT_CASE_STORE)
#undef WEFT_CASE_STORE
  default: return std::nullopt;
  }
}

bool IsReinterpret(Opcode op) {
  return op == Opcode::I32ReinterpretF32 || op == Opcode::I64ReinterpretF64 ||
         op == Opcode::F32ReinterpretI32 || op == Opcode::F64ReinterpretI64;
}

} // namespace weft::interp
