// WebAssembly 2.0 SIMD -> LLVM IR (see translate_simd.h). Generic vector IR
// and target-independent intrinsics only (llvm.smin, llvm.sadd.sat,
// llvm.fptosi.sat...), which the x86-64 backend lowers to SSE/AVX
// instructions of the host CPU. src/interp/simd*.h is the semantic
// reference; float results that LLVM could fold from a constant operand
// are quieted like the scalar code does (translate.cpp, Quiet).
#include "compile/translate_simd.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <llvm/IR/Constants.h>
#include <llvm/IR/Intrinsics.h>
#pragma GCC diagnostic pop

namespace weft::jit {

using llvm::Type;
using llvm::Value;

llvm::Type* V128Type(llvm::LLVMContext& c) {
  return llvm::FixedVectorType::get(Type::getInt64Ty(c), 2);
}

namespace {

// Lane shapes.
enum Shape { I8x16, I16x8, I32x4, I64x2, F32x4, F64x2 };

class Simd {
public:
  explicit Simd(SimdEnv& e) : e_(e), b_(e.b), C_(e.b.getContext()) {}
  bool Run(const Instr& in);

private:
  Type* Lane(Shape s) {
    switch (s) {
    case I8x16: return b_.getInt8Ty();
    case I16x8: return b_.getInt16Ty();
    case I32x4: return b_.getInt32Ty();
    case I64x2: return b_.getInt64Ty();
    case F32x4: return b_.getFloatTy();
    default: return b_.getDoubleTy();
    }
  }
  static unsigned Lanes(Shape s) {
    switch (s) {
    case I8x16: return 16;
    case I16x8: return 8;
    case I32x4:
    case F32x4: return 4;
    default: return 2;
    }
  }
  llvm::FixedVectorType* Vec(Shape s) {
    return llvm::FixedVectorType::get(Lane(s), Lanes(s));
  }
  // The integer shape of a float shape's lanes (comparison results).
  static Shape IntOf(Shape s) {
    return s == F32x4 ? I32x4 : s == F64x2 ? I64x2 : s;
  }
  Value* Pop(Shape s) {
    Value* v = e_.stack.back();
    e_.stack.pop_back();
    return b_.CreateBitCast(v, Vec(s));
  }
  Value* PopScalar() {
    Value* v = e_.stack.back();
    e_.stack.pop_back();
    return v;
  }
  void Push(Value* v) {
    Type* t = V128Type(C_);
    e_.stack.push_back(v->getType() == t ? v : b_.CreateBitCast(v, t));
  }
  void PushScalar(Value* v) { e_.stack.push_back(v); }
  Value* Intr(llvm::Intrinsic::ID id, std::vector<Type*> tys,
              std::vector<Value*> args) {
    return b_.CreateIntrinsic(id, tys, args);
  }
  Value* Mask(std::vector<int> m, Value* x, Value* y = nullptr) {
    if (y == nullptr) return b_.CreateShuffleVector(x, m);
    return b_.CreateShuffleVector(x, y, m);
  }
  static std::vector<int> Range(int from, int n, int step = 1) {
    std::vector<int> m;
    for (int i = 0; i < n; ++i)
      m.push_back(from + i * step);
    return m;
  }
  // A NaN result LLVM might have folded from a signaling NaN operand
  // (x*1, x-0, conversions) becomes the canonical quiet NaN.
  Value* Quiet(Value* r, Value* x = nullptr, Value* y = nullptr) {
    if (x && !llvm::isa<llvm::Constant>(x) && !llvm::isa<llvm::Constant>(y))
      return r;
    return b_.CreateSelect(b_.CreateFCmpUNO(r, r),
                           llvm::ConstantFP::getQNaN(r->getType()), r);
  }

  template <typename F> void Un(Shape s, F f) { Push(f(Pop(s))); }
  template <typename F> void Bin(Shape s, F f) {
    Value* y = Pop(s);
    Value* x = Pop(s);
    Push(f(x, y));
  }
  void ICmp(Shape s, llvm::CmpInst::Predicate p) {
    Bin(s, [&](Value* x, Value* y) {
      return b_.CreateSExt(b_.CreateICmp(p, x, y), Vec(s));
    });
  }
  void FCmp(Shape s, llvm::CmpInst::Predicate p) {
    Bin(s, [&](Value* x, Value* y) {
      return b_.CreateSExt(b_.CreateFCmp(p, x, y), Vec(IntOf(s)));
    });
  }
  void IntrBin(Shape s, llvm::Intrinsic::ID id) {
    Bin(s, [&](Value* x, Value* y) { return Intr(id, {Vec(s)}, {x, y}); });
  }
  void IntrUn(Shape s, llvm::Intrinsic::ID id) {
    Un(s, [&](Value* x) { return Intr(id, {Vec(s)}, {x}); });
  }
  void Shift(Shape s, llvm::Instruction::BinaryOps op) {
    Value* n = PopScalar();
    Value* x = Pop(s);
    const unsigned bits = Lane(s)->getIntegerBitWidth();
    n = b_.CreateAnd(n, b_.getInt32(bits - 1));
    n = b_.CreateZExtOrTrunc(n, Lane(s));
    Push(b_.CreateBinOp(op, x, b_.CreateVectorSplat(Lanes(s), n)));
  }
  // The low or high half of `x`'s lanes, extended to twice the width.
  Value* Extend(Shape s, Value* x, bool high, bool sign) {
    const int n = static_cast<int>(Lanes(s)) / 2;
    Value* half = Mask(Range(high ? n : 0, n), x);
    Type* wide = llvm::FixedVectorType::get(
        b_.getIntNTy(Lane(s)->getIntegerBitWidth() * 2), n);
    return sign ? b_.CreateSExt(half, wide) : b_.CreateZExt(half, wide);
  }
  void ExtendOp(Shape s, bool high, bool sign) {
    Push(Extend(s, Pop(s), high, sign));
  }
  void ExtMul(Shape s, bool high, bool sign) {
    Value* y = Pop(s);
    Value* x = Pop(s);
    Push(b_.CreateMul(Extend(s, x, high, sign), Extend(s, y, high, sign)));
  }
  void ExtAddPairwise(Shape s, bool sign) {
    Value* x = Pop(s);
    const int n = static_cast<int>(Lanes(s)) / 2;
    Type* wide = llvm::FixedVectorType::get(
        b_.getIntNTy(Lane(s)->getIntegerBitWidth() * 2), n);
    auto ext = [&](Value* v) {
      return sign ? b_.CreateSExt(v, wide) : b_.CreateZExt(v, wide);
    };
    Push(b_.CreateAdd(ext(Mask(Range(0, n, 2), x)),
                      ext(Mask(Range(1, n, 2), x))));
  }
  // Both inputs' lanes (signed) clamped to [lo, hi] and truncated.
  void Narrow(Shape s, int64_t lo, int64_t hi) {
    Value* y = Pop(s);
    Value* x = Pop(s);
    const int n = static_cast<int>(Lanes(s));
    Value* all = Mask(Range(0, 2 * n), x, y);
    Type* wt = all->getType();
    all = Intr(llvm::Intrinsic::smax, {wt},
               {all, llvm::ConstantInt::get(wt, lo, true)});
    all = Intr(llvm::Intrinsic::smin, {wt},
               {all, llvm::ConstantInt::get(wt, hi, true)});
    Push(b_.CreateTrunc(
        all, llvm::FixedVectorType::get(
                 b_.getIntNTy(Lane(s)->getIntegerBitWidth() / 2), 2 * n)));
  }
  void AllTrue(Shape s) {
    Value* x = Pop(s);
    Value* nz = b_.CreateICmpNE(x, llvm::Constant::getNullValue(Vec(s)));
    PushScalar(b_.CreateZExt(b_.CreateAndReduce(nz), b_.getInt32Ty()));
  }
  void Bitmask(Shape s) {
    Value* x = Pop(s);
    Value* neg = b_.CreateICmpSLT(x, llvm::Constant::getNullValue(Vec(s)));
    Value* bits = b_.CreateBitCast(neg, b_.getIntNTy(Lanes(s)));
    PushScalar(b_.CreateZExt(bits, b_.getInt32Ty()));
  }
  void FMinMax(Shape s, bool is_min) {
    Bin(s, [&](Value* x, Value* y) {
      Value* r =
          Intr(is_min ? llvm::Intrinsic::minimum : llvm::Intrinsic::maximum,
               {Vec(s)}, {x, y});
      return b_.CreateSelect(b_.CreateFCmpUNO(x, y),
                             llvm::ConstantFP::getQNaN(Vec(s)), r);
    });
  }
  // pmin: y < x ? y : x; pmax: x < y ? y : x (an operand, bit for bit).
  void PMinMax(Shape s, bool is_min) {
    Bin(s, [&](Value* x, Value* y) {
      Value* c = is_min ? b_.CreateFCmpOLT(y, x) : b_.CreateFCmpOLT(x, y);
      return b_.CreateSelect(c, y, x);
    });
  }

  // --- memory ---
  llvm::LoadInst* Load(Type* t, Value* p) {
    llvm::LoadInst* l = b_.CreateAlignedLoad(t, p, llvm::MaybeAlign(1));
    if (e_.value_dropped) l->setVolatile(true);
    return l;
  }
  void LoadExtend(const Instr& in, Shape narrow, bool sign) {
    Value* p = e_.addr(in, 8);
    const unsigned n = Lanes(narrow) / 2;
    Value* v = Load(llvm::FixedVectorType::get(Lane(narrow), n), p);
    Type* wide = llvm::FixedVectorType::get(
        b_.getIntNTy(Lane(narrow)->getIntegerBitWidth() * 2), n);
    Push(sign ? b_.CreateSExt(v, wide) : b_.CreateZExt(v, wide));
  }
  void LoadSplat(const Instr& in, Shape s) {
    const unsigned bytes = Lane(s)->getIntegerBitWidth() / 8;
    Value* p = e_.addr(in, bytes);
    Push(b_.CreateVectorSplat(Lanes(s), Load(Lane(s), p)));
  }
  void LoadZero(const Instr& in, Shape s) {
    const unsigned bytes = Lane(s)->getIntegerBitWidth() / 8;
    Value* p = e_.addr(in, bytes);
    Push(b_.CreateInsertElement(llvm::Constant::getNullValue(Vec(s)),
                                Load(Lane(s), p), uint64_t{0}));
  }
  void LoadLane(const Instr& in, Shape s) {
    Value* v = Pop(s);
    Value* p = e_.addr(in, Lane(s)->getIntegerBitWidth() / 8);
    Push(b_.CreateInsertElement(v, Load(Lane(s), p), uint64_t{in.lane}));
  }
  void StoreLane(const Instr& in, Shape s) {
    Value* v = Pop(s);
    Value* p = e_.addr(in, Lane(s)->getIntegerBitWidth() / 8);
    b_.CreateAlignedStore(b_.CreateExtractElement(v, uint64_t{in.lane}), p,
                          llvm::MaybeAlign(1));
  }

  // --- lanes ---
  void Splat(Shape s) {
    Value* x = PopScalar();
    if (x->getType() != Lane(s)) x = b_.CreateTrunc(x, Lane(s));
    Push(b_.CreateVectorSplat(Lanes(s), x));
  }
  void Extract(const Instr& in, Shape s, int sign) {
    Value* v = Pop(s);
    Value* x = b_.CreateExtractElement(v, uint64_t{in.lane});
    if (sign > 0) x = b_.CreateSExt(x, b_.getInt32Ty());
    if (sign == 0) x = b_.CreateZExt(x, b_.getInt32Ty());
    PushScalar(x);
  }
  void Replace(const Instr& in, Shape s) {
    Value* x = PopScalar();
    Value* v = Pop(s);
    if (x->getType() != Lane(s)) x = b_.CreateTrunc(x, Lane(s));
    Push(b_.CreateInsertElement(v, x, uint64_t{in.lane}));
  }
  void Swizzle() {
    Value* idx = Pop(I8x16);
    Value* a = Pop(I8x16);
    Value* r = llvm::Constant::getNullValue(Vec(I8x16));
    for (unsigned i = 0; i < 16; ++i) {
      Value* k = b_.CreateExtractElement(idx, uint64_t{i});
      Value* lane = b_.CreateExtractElement(a, b_.CreateAnd(k, b_.getInt8(15)));
      Value* in_range = b_.CreateICmpULT(k, b_.getInt8(16));
      r = b_.CreateInsertElement(
          r, b_.CreateSelect(in_range, lane, b_.getInt8(0)), uint64_t{i});
    }
    Push(r);
  }

  SimdEnv& e_;
  llvm::IRBuilder<>& b_;
  llvm::LLVMContext& C_;
};

bool Simd::Run(const Instr& in) {
  using O = Opcode;
  using llvm::CmpInst;
  using llvm::Instruction;
  namespace I = llvm::Intrinsic;
  switch (in.op) {
  // --- memory --------------------------------------------------------------
  case O::V128Load: {
    Value* p = e_.addr(in, 16);
    Push(Load(V128Type(C_), p));
    break;
  }
  case O::V128Load8x8S: LoadExtend(in, I8x16, true); break;
  case O::V128Load8x8U: LoadExtend(in, I8x16, false); break;
  case O::V128Load16x4S: LoadExtend(in, I16x8, true); break;
  case O::V128Load16x4U: LoadExtend(in, I16x8, false); break;
  case O::V128Load32x2S: LoadExtend(in, I32x4, true); break;
  case O::V128Load32x2U: LoadExtend(in, I32x4, false); break;
  case O::V128Load8Splat: LoadSplat(in, I8x16); break;
  case O::V128Load16Splat: LoadSplat(in, I16x8); break;
  case O::V128Load32Splat: LoadSplat(in, I32x4); break;
  case O::V128Load64Splat: LoadSplat(in, I64x2); break;
  case O::V128Load32Zero: LoadZero(in, I32x4); break;
  case O::V128Load64Zero: LoadZero(in, I64x2); break;
  case O::V128Load8Lane: LoadLane(in, I8x16); break;
  case O::V128Load16Lane: LoadLane(in, I16x8); break;
  case O::V128Load32Lane: LoadLane(in, I32x4); break;
  case O::V128Load64Lane: LoadLane(in, I64x2); break;
  case O::V128Store: {
    Value* v = Pop(I64x2);
    Value* p = e_.addr(in, 16);
    b_.CreateAlignedStore(v, p, llvm::MaybeAlign(1));
    break;
  }
  case O::V128Store8Lane: StoreLane(in, I8x16); break;
  case O::V128Store16Lane: StoreLane(in, I16x8); break;
  case O::V128Store32Lane: StoreLane(in, I32x4); break;
  case O::V128Store64Lane: StoreLane(in, I64x2); break;
  // --- constants, shuffles, lanes -----------------------------------------
  case O::V128Const: {
    const V128& v = e_.fn.v128_consts.at(in.a);
    Push(llvm::ConstantDataVector::get(C_,
                                       llvm::ArrayRef<uint8_t>(v.bytes, 16)));
    break;
  }
  case O::I8x16Shuffle: {
    const V128& m = e_.fn.v128_consts.at(in.a);
    Value* y = Pop(I8x16);
    Value* x = Pop(I8x16);
    std::vector<int> mask(m.bytes, m.bytes + 16);
    Push(Mask(mask, x, y));
    break;
  }
  case O::I8x16Swizzle: Swizzle(); break;
  case O::I8x16Splat: Splat(I8x16); break;
  case O::I16x8Splat: Splat(I16x8); break;
  case O::I32x4Splat: Splat(I32x4); break;
  case O::I64x2Splat: Splat(I64x2); break;
  case O::F32x4Splat: Splat(F32x4); break;
  case O::F64x2Splat: Splat(F64x2); break;
  case O::I8x16ExtractLaneS: Extract(in, I8x16, 1); break;
  case O::I8x16ExtractLaneU: Extract(in, I8x16, 0); break;
  case O::I16x8ExtractLaneS: Extract(in, I16x8, 1); break;
  case O::I16x8ExtractLaneU: Extract(in, I16x8, 0); break;
  case O::I32x4ExtractLane: Extract(in, I32x4, -1); break;
  case O::I64x2ExtractLane: Extract(in, I64x2, -1); break;
  case O::F32x4ExtractLane: Extract(in, F32x4, -1); break;
  case O::F64x2ExtractLane: Extract(in, F64x2, -1); break;
  case O::I8x16ReplaceLane: Replace(in, I8x16); break;
  case O::I16x8ReplaceLane: Replace(in, I16x8); break;
  case O::I32x4ReplaceLane: Replace(in, I32x4); break;
  case O::I64x2ReplaceLane: Replace(in, I64x2); break;
  case O::F32x4ReplaceLane: Replace(in, F32x4); break;
  case O::F64x2ReplaceLane:
    Replace(in, F64x2);
    break;
    // --- comparisons ---------------------------------------------------------
#define ICMPS(S, P)                                                            \
  case O::S##Eq: ICmp(S, CmpInst::ICMP_EQ); break;                             \
  case O::S##Ne: ICmp(S, CmpInst::ICMP_NE); break;                             \
  case O::S##LtS: ICmp(S, CmpInst::ICMP_SLT); break;                           \
  case O::S##GtS: ICmp(S, CmpInst::ICMP_SGT); break;                           \
  case O::S##LeS: ICmp(S, CmpInst::ICMP_SLE); break;                           \
  case O::S##GeS:                                                              \
    ICmp(S, CmpInst::ICMP_SGE);                                                \
    break;
#define ICMPU(S)                                                               \
  case O::S##LtU: ICmp(S, CmpInst::ICMP_ULT); break;                           \
  case O::S##GtU: ICmp(S, CmpInst::ICMP_UGT); break;                           \
  case O::S##LeU: ICmp(S, CmpInst::ICMP_ULE); break;                           \
  case O::S##GeU: ICmp(S, CmpInst::ICMP_UGE); break;
    ICMPS(I8x16, 0)
    ICMPU(I8x16)
    ICMPS(I16x8, 0)
    ICMPU(I16x8)
    ICMPS(I32x4, 0)
    ICMPU(I32x4)
    ICMPS(I64x2, 0)
#undef ICMPS
#undef ICMPU
#define FCMPS(S)                                                               \
  case O::S##Eq: FCmp(S, CmpInst::FCMP_OEQ); break;                            \
  case O::S##Ne: FCmp(S, CmpInst::FCMP_UNE); break;                            \
  case O::S##Lt: FCmp(S, CmpInst::FCMP_OLT); break;                            \
  case O::S##Gt: FCmp(S, CmpInst::FCMP_OGT); break;                            \
  case O::S##Le: FCmp(S, CmpInst::FCMP_OLE); break;                            \
  case O::S##Ge: FCmp(S, CmpInst::FCMP_OGE); break;
    FCMPS(F32x4)
    FCMPS(F64x2)
#undef FCMPS
  // --- bitwise -------------------------------------------------------------
  case O::V128Not: Un(I64x2, [&](Value* x) { return b_.CreateNot(x); }); break;
  case O::V128And:
    Bin(I64x2, [&](Value* x, Value* y) { return b_.CreateAnd(x, y); });
    break;
  case O::V128AndNot:
    Bin(I64x2,
        [&](Value* x, Value* y) { return b_.CreateAnd(x, b_.CreateNot(y)); });
    break;
  case O::V128Or:
    Bin(I64x2, [&](Value* x, Value* y) { return b_.CreateOr(x, y); });
    break;
  case O::V128Xor:
    Bin(I64x2, [&](Value* x, Value* y) { return b_.CreateXor(x, y); });
    break;
  case O::V128Bitselect: {
    Value* c = Pop(I64x2);
    Value* y = Pop(I64x2);
    Value* x = Pop(I64x2);
    Push(b_.CreateOr(b_.CreateAnd(x, c), b_.CreateAnd(y, b_.CreateNot(c))));
    break;
  }
  case O::V128AnyTrue: {
    Value* x = b_.CreateBitCast(Pop(I64x2), b_.getInt128Ty());
    PushScalar(
        b_.CreateZExt(b_.CreateICmpNE(x, b_.getIntN(128, 0)), b_.getInt32Ty()));
    break;
  }
  // --- integer arithmetic --------------------------------------------------
#define IARITH(S)                                                              \
  case O::S##Add:                                                              \
    Bin(S, [&](Value* x, Value* y) { return b_.CreateAdd(x, y); });            \
    break;                                                                     \
  case O::S##Sub:                                                              \
    Bin(S, [&](Value* x, Value* y) { return b_.CreateSub(x, y); });            \
    break;                                                                     \
  case O::S##Neg: Un(S, [&](Value* x) { return b_.CreateNeg(x); }); break;     \
  case O::S##Abs:                                                              \
    Un(S, [&](Value* x) {                                                      \
      return Intr(I::abs, {Vec(S)}, {x, b_.getFalse()});                       \
    });                                                                        \
    break;                                                                     \
  case O::S##AllTrue: AllTrue(S); break;                                       \
  case O::S##Bitmask: Bitmask(S); break;                                       \
  case O::S##Shl: Shift(S, Instruction::Shl); break;                           \
  case O::S##ShrS: Shift(S, Instruction::AShr); break;                         \
  case O::S##ShrU: Shift(S, Instruction::LShr); break;
    IARITH(I8x16)
    IARITH(I16x8)
    IARITH(I32x4)
    IARITH(I64x2)
#undef IARITH
#define IMINMAX(S)                                                             \
  case O::S##MinS: IntrBin(S, I::smin); break;                                 \
  case O::S##MinU: IntrBin(S, I::umin); break;                                 \
  case O::S##MaxS: IntrBin(S, I::smax); break;                                 \
  case O::S##MaxU: IntrBin(S, I::umax); break;
    IMINMAX(I8x16)
    IMINMAX(I16x8)
    IMINMAX(I32x4)
#undef IMINMAX
#define ISAT(S)                                                                \
  case O::S##AddSatS: IntrBin(S, I::sadd_sat); break;                          \
  case O::S##AddSatU: IntrBin(S, I::uadd_sat); break;                          \
  case O::S##SubSatS: IntrBin(S, I::ssub_sat); break;                          \
  case O::S##SubSatU: IntrBin(S, I::usub_sat); break;                          \
  case O::S##AvgrU:                                                            \
    Bin(S, [&](Value* x, Value* y) {                                           \
      Type* w = llvm::FixedVectorType::get(                                    \
          b_.getIntNTy(Lane(S)->getIntegerBitWidth() * 2), Lanes(S));          \
      Value* sum = b_.CreateAdd(b_.CreateZExt(x, w), b_.CreateZExt(y, w));     \
      sum = b_.CreateAdd(sum, llvm::ConstantInt::get(w, 1));                   \
      return b_.CreateTrunc(b_.CreateLShr(sum, 1), Vec(S));                    \
    });                                                                        \
    break;
    ISAT(I8x16)
    ISAT(I16x8)
#undef ISAT
  case O::I16x8Mul:
  case O::I32x4Mul:
  case O::I64x2Mul: {
    Shape s = in.op == O::I16x8Mul   ? I16x8
              : in.op == O::I32x4Mul ? I32x4
                                     : I64x2;
    Bin(s, [&](Value* x, Value* y) { return b_.CreateMul(x, y); });
    break;
  }
  case O::I8x16Popcnt: IntrUn(I8x16, I::ctpop); break;
  case O::I16x8Q15mulrSatS:
    Bin(I16x8, [&](Value* x, Value* y) {
      Type* w = llvm::FixedVectorType::get(b_.getInt32Ty(), 8);
      Value* p = b_.CreateMul(b_.CreateSExt(x, w), b_.CreateSExt(y, w));
      p = b_.CreateAShr(b_.CreateAdd(p, llvm::ConstantInt::get(w, 0x4000)), 15);
      p = Intr(I::smin, {w}, {p, llvm::ConstantInt::get(w, 0x7FFF)});
      return b_.CreateTrunc(p, Vec(I16x8));
    });
    break;
  case O::I32x4DotI16x8S:
    Bin(I16x8, [&](Value* x, Value* y) {
      Type* w = llvm::FixedVectorType::get(b_.getInt32Ty(), 8);
      Value* p = b_.CreateMul(b_.CreateSExt(x, w), b_.CreateSExt(y, w));
      return b_.CreateAdd(Mask(Range(0, 4, 2), p), Mask(Range(1, 4, 2), p));
    });
    break;
  case O::I8x16NarrowI16x8S: Narrow(I16x8, -128, 127); break;
  case O::I8x16NarrowI16x8U: Narrow(I16x8, 0, 255); break;
  case O::I16x8NarrowI32x4S: Narrow(I32x4, -32768, 32767); break;
  case O::I16x8NarrowI32x4U: Narrow(I32x4, 0, 65535); break;
#define EXT(Op, S, high, sign)                                                 \
  case O::Op: ExtendOp(S, high, sign); break;
    EXT(I16x8ExtendLowI8x16S, I8x16, false, true)
    EXT(I16x8ExtendHighI8x16S, I8x16, true, true)
    EXT(I16x8ExtendLowI8x16U, I8x16, false, false)
    EXT(I16x8ExtendHighI8x16U, I8x16, true, false)
    EXT(I32x4ExtendLowI16x8S, I16x8, false, true)
    EXT(I32x4ExtendHighI16x8S, I16x8, true, true)
    EXT(I32x4ExtendLowI16x8U, I16x8, false, false)
    EXT(I32x4ExtendHighI16x8U, I16x8, true, false)
    EXT(I64x2ExtendLowI32x4S, I32x4, false, true)
    EXT(I64x2ExtendHighI32x4S, I32x4, true, true)
    EXT(I64x2ExtendLowI32x4U, I32x4, false, false)
    EXT(I64x2ExtendHighI32x4U, I32x4, true, false)
#undef EXT
#define EXTMUL(Op, S, high, sign)                                              \
  case O::Op: ExtMul(S, high, sign); break;
    EXTMUL(I16x8ExtmulLowI8x16S, I8x16, false, true)
    EXTMUL(I16x8ExtmulHighI8x16S, I8x16, true, true)
    EXTMUL(I16x8ExtmulLowI8x16U, I8x16, false, false)
    EXTMUL(I16x8ExtmulHighI8x16U, I8x16, true, false)
    EXTMUL(I32x4ExtmulLowI16x8S, I16x8, false, true)
    EXTMUL(I32x4ExtmulHighI16x8S, I16x8, true, true)
    EXTMUL(I32x4ExtmulLowI16x8U, I16x8, false, false)
    EXTMUL(I32x4ExtmulHighI16x8U, I16x8, true, false)
    EXTMUL(I64x2ExtmulLowI32x4S, I32x4, false, true)
    EXTMUL(I64x2ExtmulHighI32x4S, I32x4, true, true)
    EXTMUL(I64x2ExtmulLowI32x4U, I32x4, false, false)
    EXTMUL(I64x2ExtmulHighI32x4U, I32x4, true, false)
#undef EXTMUL
  case O::I16x8ExtaddPairwiseI8x16S: ExtAddPairwise(I8x16, true); break;
  case O::I16x8ExtaddPairwiseI8x16U: ExtAddPairwise(I8x16, false); break;
  case O::I32x4ExtaddPairwiseI16x8S: ExtAddPairwise(I16x8, true); break;
  case O::I32x4ExtaddPairwiseI16x8U:
    ExtAddPairwise(I16x8, false);
    break;
    // --- float arithmetic ----------------------------------------------------
#define FARITH(S)                                                              \
  case O::S##Abs: IntrUn(S, I::fabs); break;                                   \
  case O::S##Neg: Un(S, [&](Value* x) { return b_.CreateFNeg(x); }); break;    \
  case O::S##Sqrt: IntrUn(S, I::sqrt); break;                                  \
  case O::S##Ceil: IntrUn(S, I::ceil); break;                                  \
  case O::S##Floor: IntrUn(S, I::floor); break;                                \
  case O::S##Trunc: IntrUn(S, I::trunc); break;                                \
  case O::S##Nearest: IntrUn(S, I::roundeven); break;                          \
  case O::S##Add:                                                              \
    Bin(S,                                                                     \
        [&](Value* x, Value* y) { return Quiet(b_.CreateFAdd(x, y), x, y); }); \
    break;                                                                     \
  case O::S##Sub:                                                              \
    Bin(S,                                                                     \
        [&](Value* x, Value* y) { return Quiet(b_.CreateFSub(x, y), x, y); }); \
    break;                                                                     \
  case O::S##Mul:                                                              \
    Bin(S,                                                                     \
        [&](Value* x, Value* y) { return Quiet(b_.CreateFMul(x, y), x, y); }); \
    break;                                                                     \
  case O::S##Div:                                                              \
    Bin(S,                                                                     \
        [&](Value* x, Value* y) { return Quiet(b_.CreateFDiv(x, y), x, y); }); \
    break;                                                                     \
  case O::S##Min: FMinMax(S, true); break;                                     \
  case O::S##Max: FMinMax(S, false); break;                                    \
  case O::S##Pmin: PMinMax(S, true); break;                                    \
  case O::S##Pmax: PMinMax(S, false); break;
    FARITH(F32x4)
    FARITH(F64x2)
#undef FARITH
  // --- conversions ---------------------------------------------------------
  case O::I32x4TruncSatF32x4S:
    Un(F32x4, [&](Value* x) {
      return Intr(I::fptosi_sat, {Vec(I32x4), Vec(F32x4)}, {x});
    });
    break;
  case O::I32x4TruncSatF32x4U:
    Un(F32x4, [&](Value* x) {
      return Intr(I::fptoui_sat, {Vec(I32x4), Vec(F32x4)}, {x});
    });
    break;
  case O::F32x4ConvertI32x4S:
    Un(I32x4, [&](Value* x) { return b_.CreateSIToFP(x, Vec(F32x4)); });
    break;
  case O::F32x4ConvertI32x4U:
    Un(I32x4, [&](Value* x) { return b_.CreateUIToFP(x, Vec(F32x4)); });
    break;
  case O::I32x4TruncSatF64x2SZero:
  case O::I32x4TruncSatF64x2UZero:
    Un(F64x2, [&](Value* x) {
      Type* v2 = llvm::FixedVectorType::get(b_.getInt32Ty(), 2);
      Value* r = Intr(in.op == O::I32x4TruncSatF64x2SZero ? I::fptosi_sat
                                                          : I::fptoui_sat,
                      {v2, Vec(F64x2)}, {x});
      return Mask(Range(0, 4), r, llvm::Constant::getNullValue(v2));
    });
    break;
  case O::F64x2ConvertLowI32x4S:
  case O::F64x2ConvertLowI32x4U:
    Un(I32x4, [&](Value* x) {
      Value* lo = Mask(Range(0, 2), x);
      return in.op == O::F64x2ConvertLowI32x4S
                 ? b_.CreateSIToFP(lo, Vec(F64x2))
                 : b_.CreateUIToFP(lo, Vec(F64x2));
    });
    break;
  case O::F32x4DemoteF64x2Zero:
    Un(F64x2, [&](Value* x) {
      Type* v2 = llvm::FixedVectorType::get(b_.getFloatTy(), 2);
      Value* r = Quiet(b_.CreateFPTrunc(x, v2));
      return Mask(Range(0, 4), r, llvm::Constant::getNullValue(v2));
    });
    break;
  case O::F64x2PromoteLowF32x4:
    Un(F32x4, [&](Value* x) {
      return Quiet(b_.CreateFPExt(Mask(Range(0, 2), x), Vec(F64x2)));
    });
    break;
  default: return false;
  }
  return true;
}

} // namespace

bool TranslateSimd(SimdEnv& env, const Instr& in) {
  Simd s(env);
  return s.Run(in);
}

} // namespace weft::jit
