// The scalar operator tables of the interpreter: one row per WebAssembly
// operator that lowers to a plain "dst <- f(src...)" instruction. The
// lowering uses the names (the wasm Opcode and the internal op share them);
// the executor expands the expressions into handlers. Operand and result
// types: u32 s32 u64 s64 f32 f64 (floats are read from and written to slots
// as IEEE bits). Expressions see the operands as `a` and `b`.
#pragma once

// Unary: X(Name, TA, TR, expr)
#define WEFT_INTERP_UNOPS(X)                                                   \
  X(I32Eqz, u32, u32, a == 0)                                                  \
  X(I64Eqz, u64, u32, a == 0)                                                  \
  X(I32Clz, u32, u32, std::countl_zero(a))                                     \
  X(I32Ctz, u32, u32, std::countr_zero(a))                                     \
  X(I32Popcnt, u32, u32, std::popcount(a))                                     \
  X(I64Clz, u64, u64, std::countl_zero(a))                                     \
  X(I64Ctz, u64, u64, std::countr_zero(a))                                     \
  X(I64Popcnt, u64, u64, std::popcount(a))                                     \
  X(F32Abs, u32, u32, a & 0x7FFFFFFFu)                                         \
  X(F32Neg, u32, u32, a ^ 0x80000000u)                                         \
  X(F32Ceil, f32, f32, WasmCeil(a))                                            \
  X(F32Floor, f32, f32, WasmFloor(a))                                          \
  X(F32Trunc, f32, f32, WasmTrunc(a))                                          \
  X(F32Nearest, f32, f32, WasmNearest(a))                                      \
  X(F32Sqrt, f32, f32, std::sqrt(a))                                           \
  X(F64Abs, u64, u64, a & 0x7FFFFFFFFFFFFFFFull)                               \
  X(F64Neg, u64, u64, a ^ 0x8000000000000000ull)                               \
  X(F64Ceil, f64, f64, WasmCeil(a))                                            \
  X(F64Floor, f64, f64, WasmFloor(a))                                          \
  X(F64Trunc, f64, f64, WasmTrunc(a))                                          \
  X(F64Nearest, f64, f64, WasmNearest(a))                                      \
  X(F64Sqrt, f64, f64, std::sqrt(a))                                           \
  X(I32WrapI64, u64, u32, static_cast<u32>(a))                                 \
  X(I64ExtendI32S, s32, s64, a)                                                \
  X(I64ExtendI32U, u32, u64, a)                                                \
  X(F32ConvertI32S, s32, f32, static_cast<f32>(a))                             \
  X(F32ConvertI32U, u32, f32, static_cast<f32>(a))                             \
  X(F32ConvertI64S, s64, f32, static_cast<f32>(a))                             \
  X(F32ConvertI64U, u64, f32, static_cast<f32>(a))                             \
  X(F32DemoteF64, f64, f32, static_cast<f32>(a))                               \
  X(F64ConvertI32S, s32, f64, static_cast<f64>(a))                             \
  X(F64ConvertI32U, u32, f64, static_cast<f64>(a))                             \
  X(F64ConvertI64S, s64, f64, static_cast<f64>(a))                             \
  X(F64ConvertI64U, u64, f64, static_cast<f64>(a))                             \
  X(F64PromoteF32, f32, f64, static_cast<f64>(a))                              \
  X(I32Extend8S, u32, u32, static_cast<s32>(static_cast<int8_t>(a)))           \
  X(I32Extend16S, u32, u32, static_cast<s32>(static_cast<int16_t>(a)))         \
  X(I64Extend8S, u64, u64, static_cast<s64>(static_cast<int8_t>(a)))           \
  X(I64Extend16S, u64, u64, static_cast<s64>(static_cast<int16_t>(a)))         \
  X(I64Extend32S, u64, u64, static_cast<s64>(static_cast<int32_t>(a)))         \
  X(I32TruncSatF32S, f32, s32, TruncSat<int32_t>(a))                           \
  X(I32TruncSatF32U, f32, u32, TruncSat<uint32_t>(a))                          \
  X(I32TruncSatF64S, f64, s32, TruncSat<int32_t>(a))                           \
  X(I32TruncSatF64U, f64, u32, TruncSat<uint32_t>(a))                          \
  X(I64TruncSatF32S, f32, s64, TruncSat<int64_t>(a))                           \
  X(I64TruncSatF32U, f32, u64, TruncSat<uint64_t>(a))                          \
  X(I64TruncSatF64S, f64, s64, TruncSat<int64_t>(a))                           \
  X(I64TruncSatF64U, f64, u64, TruncSat<uint64_t>(a))

// Unary operators that may trap: X(Name, TA, TR, I) truncate to integer I.
#define WEFT_INTERP_TRUNCS(X)                                                  \
  X(I32TruncF32S, f32, s32, int32_t)                                           \
  X(I32TruncF32U, f32, u32, uint32_t)                                          \
  X(I32TruncF64S, f64, s32, int32_t)                                           \
  X(I32TruncF64U, f64, u32, uint32_t)                                          \
  X(I64TruncF32S, f32, s64, int64_t)                                           \
  X(I64TruncF32U, f32, u64, uint64_t)                                          \
  X(I64TruncF64S, f64, s64, int64_t)                                           \
  X(I64TruncF64U, f64, u64, uint64_t)

// Binary: X(Name, K, M, TA, TR, expr). K is `K` when the op also has a
// variant whose second operand is an immediate (Name_K), `R` when it has
// that and one whose first operand is an immediate (Name_KR: k - x, k / x,
// 1 << x), `_` otherwise. M is `M` when the op has a variant whose second
// operand is loaded from memory (Name_M: a load fused into its consumer),
// `_` otherwise. Both operands have type TA.
#define WEFT_INTERP_BINOPS(X)                                                  \
  X(I32Eq, K, _, u32, u32, a == b)                                             \
  X(I32Ne, K, _, u32, u32, a != b)                                             \
  X(I32LtS, K, _, s32, u32, a < b)                                             \
  X(I32LtU, K, _, u32, u32, a < b)                                             \
  X(I32GtS, K, _, s32, u32, a > b)                                             \
  X(I32GtU, K, _, u32, u32, a > b)                                             \
  X(I32LeS, K, _, s32, u32, a <= b)                                            \
  X(I32LeU, K, _, u32, u32, a <= b)                                            \
  X(I32GeS, K, _, s32, u32, a >= b)                                            \
  X(I32GeU, K, _, u32, u32, a >= b)                                            \
  X(I64Eq, K, _, u64, u32, a == b)                                             \
  X(I64Ne, K, _, u64, u32, a != b)                                             \
  X(I64LtS, K, _, s64, u32, a < b)                                             \
  X(I64LtU, K, _, u64, u32, a < b)                                             \
  X(I64GtS, K, _, s64, u32, a > b)                                             \
  X(I64GtU, K, _, u64, u32, a > b)                                             \
  X(I64LeS, K, _, s64, u32, a <= b)                                            \
  X(I64LeU, K, _, u64, u32, a <= b)                                            \
  X(I64GeS, K, _, s64, u32, a >= b)                                            \
  X(I64GeU, K, _, u64, u32, a >= b)                                            \
  X(F32Eq, K, _, f32, u32, a == b)                                             \
  X(F32Ne, K, _, f32, u32, a != b)                                             \
  X(F32Lt, K, _, f32, u32, a < b)                                              \
  X(F32Gt, K, _, f32, u32, a > b)                                              \
  X(F32Le, K, _, f32, u32, a <= b)                                             \
  X(F32Ge, K, _, f32, u32, a >= b)                                             \
  X(F64Eq, K, _, f64, u32, a == b)                                             \
  X(F64Ne, K, _, f64, u32, a != b)                                             \
  X(F64Lt, K, _, f64, u32, a < b)                                              \
  X(F64Gt, K, _, f64, u32, a > b)                                              \
  X(F64Le, K, _, f64, u32, a <= b)                                             \
  X(F64Ge, K, _, f64, u32, a >= b)                                             \
  X(I32Add, K, M, u32, u32, a + b)                                             \
  X(I32Sub, R, M, u32, u32, a - b)                                             \
  X(I32Mul, K, M, u32, u32, a* b)                                              \
  X(I32And, K, M, u32, u32, a& b)                                              \
  X(I32Or, K, M, u32, u32, a | b)                                              \
  X(I32Xor, K, M, u32, u32, a ^ b)                                             \
  X(I32Shl, R, _, u32, u32, a << (b & 31))                                     \
  X(I32ShrS, K, _, s32, s32, a >> (b & 31))                                    \
  X(I32ShrU, K, _, u32, u32, a >> (b & 31))                                    \
  X(I32Rotl, K, _, u32, u32, Rotl32(a, b))                                     \
  X(I32Rotr, K, _, u32, u32, Rotr32(a, b))                                     \
  X(I64Add, K, M, u64, u64, a + b)                                             \
  X(I64Sub, R, M, u64, u64, a - b)                                             \
  X(I64Mul, K, M, u64, u64, a* b)                                              \
  X(I64And, K, M, u64, u64, a& b)                                              \
  X(I64Or, K, M, u64, u64, a | b)                                              \
  X(I64Xor, K, M, u64, u64, a ^ b)                                             \
  X(I64Shl, R, _, u64, u64, a << (b & 63))                                     \
  X(I64ShrS, K, _, s64, s64, a >> (b & 63))                                    \
  X(I64ShrU, K, _, u64, u64, a >> (b & 63))                                    \
  X(I64Rotl, K, _, u64, u64, Rotl64(a, b))                                     \
  X(I64Rotr, K, _, u64, u64, Rotr64(a, b))                                     \
  X(F32Add, K, M, f32, f32, a + b)                                             \
  X(F32Sub, R, M, f32, f32, a - b)                                             \
  X(F32Mul, K, M, f32, f32, a* b)                                              \
  X(F32Div, R, M, f32, f32, a / b)                                             \
  X(F32Min, _, _, f32, f32, WasmMin(a, b))                                     \
  X(F32Max, _, _, f32, f32, WasmMax(a, b))                                     \
  X(F32Copysign, _, _, u32, u32, F32Copysign(a, b))                            \
  X(F64Add, K, M, f64, f64, a + b)                                             \
  X(F64Sub, R, M, f64, f64, a - b)                                             \
  X(F64Mul, K, M, f64, f64, a* b)                                              \
  X(F64Div, R, M, f64, f64, a / b)                                             \
  X(F64Min, _, _, f64, f64, WasmMin(a, b))                                     \
  X(F64Max, _, _, f64, f64, WasmMax(a, b))                                     \
  X(F64Copysign, _, _, u64, u64, F64Copysign(a, b))

// Integer division and remainder (they trap): X(Name, T, kind) where kind
// is Div or Rem and T the signed or unsigned operand type.
#define WEFT_INTERP_DIVS(X)                                                    \
  X(I32DivS, s32, DivS)                                                        \
  X(I32DivU, u32, DivU)                                                        \
  X(I32RemS, s32, RemS)                                                        \
  X(I32RemU, u32, RemU)                                                        \
  X(I64DivS, s64, DivS)                                                        \
  X(I64DivU, u64, DivU)                                                        \
  X(I64RemS, s64, RemS)                                                        \
  X(I64RemU, u64, RemU)

// Integer comparisons that fuse with a following br_if / if into one
// compare-and-branch: X(Name, TA, op, Negated).
#define WEFT_INTERP_CMPS(X)                                                    \
  X(I32Eq, u32, ==, I32Ne)                                                     \
  X(I32Ne, u32, !=, I32Eq)                                                     \
  X(I32LtS, s32, <, I32GeS)                                                    \
  X(I32LtU, u32, <, I32GeU)                                                    \
  X(I32GtS, s32, >, I32LeS)                                                    \
  X(I32GtU, u32, >, I32LeU)                                                    \
  X(I32LeS, s32, <=, I32GtS)                                                   \
  X(I32LeU, u32, <=, I32GtU)                                                   \
  X(I32GeS, s32, >=, I32LtS)                                                   \
  X(I32GeU, u32, >=, I32LtU)                                                   \
  X(I64Eq, u64, ==, I64Ne)                                                     \
  X(I64Ne, u64, !=, I64Eq)                                                     \
  X(I64LtS, s64, <, I64GeS)                                                    \
  X(I64LtU, u64, <, I64GeU)                                                    \
  X(I64GtS, s64, >, I64LeS)                                                    \
  X(I64GtU, u64, >, I64LeU)                                                    \
  X(I64LeS, s64, <=, I64GtS)                                                   \
  X(I64LeU, u64, <=, I64GtU)                                                   \
  X(I64GeS, s64, >=, I64LtS)                                                   \
  X(I64GeU, u64, >=, I64LtU)

// Float comparisons that fuse with a following br_if / if. They cannot be
// negated (NaN), so each gets a branch-if-true and a branch-if-false form:
// X(Name, TA, op).
#define WEFT_INTERP_FCMPS(X)                                                   \
  X(F32Eq, f32, ==)                                                            \
  X(F32Ne, f32, !=)                                                            \
  X(F32Lt, f32, <)                                                             \
  X(F32Gt, f32, >)                                                             \
  X(F32Le, f32, <=)                                                            \
  X(F32Ge, f32, >=)                                                            \
  X(F64Eq, f64, ==)                                                            \
  X(F64Ne, f64, !=)                                                            \
  X(F64Lt, f64, <)                                                             \
  X(F64Gt, f64, >)                                                             \
  X(F64Le, f64, <=)                                                            \
  X(F64Ge, f64, >=)

// Loads: X(Name, memory type M, slot type R); stores: X(Name, slot type, M).
// The effective address is (u32)(addr + w) + offset: `w` folds an i32.add
// of a constant into the access without changing wrap-around semantics.
#define WEFT_INTERP_LOADS(X)                                                   \
  X(I32Load, uint32_t, u32)                                                    \
  X(I64Load, uint64_t, u64)                                                    \
  X(I32Load8S, int8_t, s32)                                                    \
  X(I32Load8U, uint8_t, u32)                                                   \
  X(I32Load16S, int16_t, s32)                                                  \
  X(I32Load16U, uint16_t, u32)                                                 \
  X(I64Load8S, int8_t, s64)                                                    \
  X(I64Load8U, uint8_t, u64)                                                   \
  X(I64Load16S, int16_t, s64)                                                  \
  X(I64Load16U, uint16_t, u64)                                                 \
  X(I64Load32S, int32_t, s64)                                                  \
  X(I64Load32U, uint32_t, u64)

#define WEFT_INTERP_STORES(X)                                                  \
  X(I32Store, u32, uint32_t)                                                   \
  X(I64Store, u64, uint64_t)                                                   \
  X(I32Store8, u32, uint8_t)                                                   \
  X(I32Store16, u32, uint16_t)                                                 \
  X(I64Store8, u64, uint8_t)                                                   \
  X(I64Store16, u64, uint16_t)                                                 \
  X(I64Store32, u64, uint32_t)
