// Opcode -> internal operation tables used by the lowering, generated from
// the operator tables in ops.h and code.h.
#pragma once

#include <optional>

#include "interp/code.h"

namespace weft::interp {

// The internal op for a wasm operator, by form: plain (slot operands), _K
// (second operand an immediate), _KR (first operand an immediate), _M
// (second operand loaded from memory), _S (result stored to memory), _MS
// (read-modify-write). nullopt when the operator has no such form.
std::optional<IOp> UnaryOp(Opcode op);
std::optional<IOp> BinaryOp(Opcode op);
std::optional<IOp> BinaryOpK(Opcode op);
std::optional<IOp> BinaryOpKR(Opcode op);
std::optional<IOp> BinaryOpM(Opcode op);
std::optional<IOp> BinaryOpS(Opcode op);
std::optional<IOp> BinaryOpMS(Opcode op);
// Bytes written by a plain i32/i64 store (0 for others); bytes of an
// arithmetic operator's result.
unsigned StoreWidth(IOp op);
unsigned ArithWidth(Opcode op);
std::optional<IOp> StoreOpK(Opcode op);
// Compares that fuse with br_if / if, and their branch forms.
bool IsFusableCmp(Opcode op);
Opcode NegateCmp(Opcode op);
IOp BrIfCmp(Opcode op);
IOp BrIfCmpK(Opcode op);
IOp AddBrCmp(Opcode op, bool add_k, bool limit_k);
bool Is64Cmp(Opcode op);
bool IsFloatCmp(Opcode op);
IOp BrIfFloatCmp(Opcode op, bool sense, bool is_k);
bool IsCommutative(Opcode op);
// The compare with its operands swapped (a < b is b > a).
std::optional<Opcode> SwapCmp(Opcode op);
// Scalar loads and stores (f32/f64 use the i32/i64 forms: bits are bits).
std::optional<IOp> LoadOp(Opcode op);
std::optional<IOp> StoreOp(Opcode op);
bool IsReinterpret(Opcode op);

} // namespace weft::interp
