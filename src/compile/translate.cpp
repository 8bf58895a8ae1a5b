// Wasm -> LLVM IR. One llvm::Function per defined wasm function, in the
// internal calling convention of vmctx.h, plus an entry wrapper.
//
// Locals are allocas (mem2reg makes them SSA); the operand stack is a
// compile-time vector of llvm::Value*; each block/if has an end block with
// one phi per result, each loop a header with one phi per parameter, so a
// branch adds its values as incoming edges. Code after br/return/
// unreachable is skipped up to the end of its block.
#include "compile/translate.h"

#include <sys/resource.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <string>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <llvm/Analysis/AssumptionCache.h>
#include <llvm/Analysis/LoopInfo.h>
#include <llvm/Analysis/ScalarEvolution.h>
#include <llvm/Analysis/ScalarEvolutionExpressions.h>
#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/IR/Dominators.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/TargetParser/Triple.h>
#include <llvm/Transforms/Utils/PromoteMemToReg.h>
#pragma GCC diagnostic pop

#include "compile/compile.h"
#include "compile/translate_simd.h"
#include "native/vmctx.h"
#include "runtime/runtime.h"

namespace weft::jit {

using llvm::BasicBlock;
using llvm::PHINode;
using llvm::Type;
using llvm::Value;

Status CheckSupported(const Module& m) {
  // Everything of WebAssembly 2.0 is compiled but multiple memories (a
  // proposal the decoder accepts); the mechanism stays for what comes next.
  if (m.NumMemories() > 1)
    return Error{
        std::string(kUnsupportedPrefix) + "multiple memories", kNoOffset, {}};
  return {};
}

namespace {

// Leaf functions up to this size skip the stack check (see Run).
constexpr size_t kLeafMaxLocals = 64;
constexpr size_t kLeafMaxInstrs = 2000;

// Slot index of value k of `types` (a v128 takes two slots). The plugin
// does not link the runtime: only its inline SlotCount(ValType) is used.
uint32_t SlotOffset(const std::vector<ValType>& types, size_t k) {
  uint32_t off = 0;
  for (size_t i = 0; i < k; ++i)
    off += SlotCount(types[i]);
  return off;
}

class ModuleTranslator;

class FuncTranslator {
public:
  FuncTranslator(ModuleTranslator& mt, uint32_t def_index);
  void Run();

private:
  struct Ctl {
    enum Kind { Block, Loop, If, Func } kind;
    BasicBlock* header = nullptr; // loop
    BasicBlock* end = nullptr;
    BasicBlock* else_bb = nullptr; // if
    std::vector<PHINode*> header_phis, end_phis;
    size_t height = 0;
    std::vector<Value*> if_params;
    bool else_seen = false;
  };

  Type* T(ValType t);
  void BlockSig(const BlockType& bt, std::vector<ValType>& params,
                std::vector<ValType>& results);
  Value* Pop() {
    Value* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  void Push(Value* v) { stack_.push_back(v); }
  BasicBlock* NewBB(const char* name) {
    return BasicBlock::Create(C_, name, F_);
  }
  BasicBlock* TrapBB(TrapKind k);
  void TrapIf(Value* cond, TrapKind k);
  void CheckInterrupt(bool loop_header = false);
  void CheckStack();
  void Branch(uint32_t depth);      // adds incoming, emits br
  void AddIncoming(uint32_t depth); // from the current block
  BasicBlock* Target(uint32_t depth);
  void EndFrame();
  // Pops the address of memory access `in` of `bytes` bytes.
  Value* Addr(const Instr& in, unsigned bytes);
  // A load of a VMCtx field (or of an array it points to) that stays the
  // same while code runs: marked invariant so LLVM can hoist and merge it.
  Value* CtxField(unsigned offset, Type* t);
  Value* Invariant(llvm::LoadInst* l);
  // The fast path of call_indirect / an import call: the checks, then the
  // callee's internal function and context (see vmctx.h). Leaves the
  // builder in the block that calls; `slow` is where checks fail to.
  void IndirectTarget(uint32_t table, uint32_t type_index, Value* elem,
                      BasicBlock* slow, Value*& fn, Value*& fctx);
  void Op(const Instr& in, size_t index);
  void Call(const FuncType& type, Value* callee_fn, uint32_t func_index,
            bool direct, Value* table_elem, uint32_t table,
            uint32_t type_index);
  Value* Helper(const char* name, Type* ret, std::vector<Value*> args);
  Value* Intr(llvm::Intrinsic::ID id, std::vector<Type*> tys,
              std::vector<Value*> args) {
    return b_.CreateIntrinsic(id, tys, args);
  }
  Value* I32(uint64_t v) { return b_.getInt32(static_cast<uint32_t>(v)); }
  Value* Bool(Value* i1) { return b_.CreateZExt(i1, b_.getInt32Ty()); }
  // An i32 condition as i1: the comparison itself when the value is one
  // (Bool), so SCEV sees loop exit conditions before any optimization.
  Value* Truth(Value* v) {
    if (auto* z = llvm::dyn_cast<llvm::ZExtInst>(v))
      if (z->getSrcTy()->isIntegerTy(1)) return z->getOperand(0);
    return b_.CreateICmpNE(v, b_.getInt32(0));
  }
  // LLVM folds x-0, x*1, x/1, promote(demote(x))... to x, which passes a
  // signaling NaN through where the spec wants an arithmetic NaN. Where a
  // fold is possible (a constant operand; conversions), a NaN result is
  // replaced by the canonical quiet NaN.
  Value* Quiet(Value* r, Value* x = nullptr, Value* y = nullptr) {
    if (x && !llvm::isa<llvm::Constant>(x) && !llvm::isa<llvm::Constant>(y))
      return r;
    return b_.CreateSelect(b_.CreateFCmpUNO(r, r),
                           llvm::ConstantFP::getQNaN(r->getType()), r);
  }
  Value* TruncChecked(Value* x, bool is_signed, unsigned bits);
  Value* DivRem(const Instr& in);

  ModuleTranslator& mt_;
  const Module& m_;
  llvm::LLVMContext& C_;
  llvm::IRBuilder<> b_;
  const Function& fn_;
  const FuncType& type_;
  llvm::Function* F_;
  Value* ctx_ = nullptr;
  Value* mem_base_ = nullptr;
  Value* globals_ = nullptr;
  llvm::AllocaInst* slots_ = nullptr;
  std::vector<llvm::AllocaInst*> locals_;
  std::vector<ValType> local_types_;
  std::vector<Value*> stack_;
  std::vector<Ctl> ctl_;
  std::array<BasicBlock*, 16> traps_{};
  bool dead_ = false;
  int skip_ = 0;
};

class ModuleTranslator {
public:
  ModuleTranslator(const Module& m, llvm::LLVMContext& c,
                   const TranslateOptions& o)
      : m(m), C(c), options(o), lm(std::make_unique<llvm::Module>("wasm", c)) {}

  Type* T(ValType t) {
    switch (t) {
    case ValType::I32: return Type::getInt32Ty(C);
    case ValType::I64: return Type::getInt64Ty(C);
    case ValType::F32: return Type::getFloatTy(C);
    case ValType::F64: return Type::getDoubleTy(C);
    case ValType::V128: return V128Type(C);
    default: return llvm::PointerType::get(C, 0);
    }
  }
  Type* RetType(const FuncType& t) {
    if (t.results.empty()) return Type::getVoidTy(C);
    if (t.results.size() == 1) return T(t.results[0]);
    std::vector<Type*> f;
    for (ValType v : t.results)
      f.push_back(T(v));
    return llvm::StructType::get(C, f);
  }
  llvm::FunctionType* FnType(const FuncType& t) {
    std::vector<Type*> ps{llvm::PointerType::get(C, 0)};
    for (ValType v : t.params)
      ps.push_back(T(v));
    return llvm::FunctionType::get(RetType(t), ps, false);
  }

  std::unique_ptr<llvm::Module> Run() {
    const uint32_t nimp = m.num_imported_funcs;
    for (uint32_t i = 0; i < m.functions.size(); ++i) {
      const FuncType& t = m.types[m.functions[i].type_index];
      auto* f =
          llvm::Function::Create(FnType(t), llvm::GlobalValue::InternalLinkage,
                                 "f" + std::to_string(i + nimp), *lm);
      f->addFnAttr(llvm::Attribute::NoUnwind);
      // The context is never null, readable for kCtxHotBytes, and its hot
      // fields do not change while code runs (see CtxField): LLVM may hoist
      // their loads out of loops.
      f->addParamAttr(0, llvm::Attribute::NonNull);
      f->addParamAttr(0, llvm::Attribute::NoUndef);
      f->addParamAttr(
          0, llvm::Attribute::getWithDereferenceableBytes(C, kCtxHotBytes));
      f->addParamAttr(0, llvm::Attribute::getWithAlignment(C, llvm::Align(8)));
      funcs.push_back(f);
    }
    for (uint32_t i = 0; i < m.functions.size(); ++i) {
      FuncTranslator ft(*this, i);
      ft.Run();
      ElideBoundedLoopChecks(*funcs[i]);
    }
    for (uint32_t i = 0; i < m.functions.size(); ++i)
      Entry(i);
    return std::move(lm);
  }

  void Entry(uint32_t i) {
    const FuncType& t = m.types[m.functions[i].type_index];
    Type* ptr = llvm::PointerType::get(C, 0);
    auto* ft = llvm::FunctionType::get(Type::getVoidTy(C), {ptr, ptr}, false);
    auto* e = llvm::Function::Create(ft, llvm::GlobalValue::ExternalLinkage,
                                     "e" + std::to_string(i), *lm);
    e->addFnAttr(llvm::Attribute::NoUnwind);
    llvm::IRBuilder<> b(BasicBlock::Create(C, "entry", e));
    Value* ctx = e->getArg(0);
    Value* slots = e->getArg(1);
    // A null context asks for the internal function's address (vmctx.h).
    BasicBlock* query = BasicBlock::Create(C, "query", e);
    BasicBlock* run = BasicBlock::Create(C, "run", e);
    b.CreateCondBr(b.CreateIsNull(ctx), query, run);
    b.SetInsertPoint(query);
    b.CreateStore(funcs[i], slots);
    b.CreateStore(b.getInt64(options.explicit_bounds ? kCodeExplicitBounds : 0),
                  b.CreateConstGEP1_64(b.getInt64Ty(), slots, 1));
    b.CreateRetVoid();
    b.SetInsertPoint(run);
    std::vector<Value*> args{ctx};
    uint32_t slot = 0;
    for (ValType p : t.params) {
      args.push_back(LoadSlot(b, p, slots, slot));
      slot += SlotCount(p);
    }
    llvm::CallInst* r = b.CreateCall(funcs[i], args);
    slot = 0;
    for (size_t k = 0; k < t.results.size(); ++k) {
      Value* v = t.results.size() == 1
                     ? static_cast<Value*>(r)
                     : b.CreateExtractValue(r, {static_cast<unsigned>(k)});
      StoreSlot(b, v, t.results[k],
                b.CreateConstGEP1_64(b.getInt64Ty(), slots, slot));
      slot += SlotCount(t.results[k]);
    }
    b.CreateRetVoid();
  }

  // Slots hold i32/f32 zero-extended (runtime ValueToSlots does the same);
  // a v128 takes two slots (SlotCount). Global cells use the same layout.
  void StoreSlot(llvm::IRBuilder<>& b, Value* v, ValType t, Value* p) {
    if (t == ValType::I32) v = b.CreateZExt(v, b.getInt64Ty());
    if (t == ValType::F32)
      v = b.CreateZExt(b.CreateBitCast(v, b.getInt32Ty()), b.getInt64Ty());
    b.CreateAlignedStore(v, p, llvm::Align(8));
  }
  Value* LoadSlot(llvm::IRBuilder<>& b, ValType t, Value* slots,
                  uint32_t slot) {
    return b.CreateAlignedLoad(
        T(t), b.CreateConstGEP1_64(b.getInt64Ty(), slots, slot),
        llvm::Align(8));
  }

  llvm::Function* HelperFn(const char* name, Type* ret,
                           const std::vector<Value*>& args) {
    if (auto* f = lm->getFunction(name)) return f;
    std::vector<Type*> ps;
    for (Value* a : args)
      ps.push_back(a->getType());
    auto* f =
        llvm::Function::Create(llvm::FunctionType::get(ret, ps, false),
                               llvm::GlobalValue::ExternalLinkage, name, *lm);
    f->addFnAttr(llvm::Attribute::NoUnwind);
    if (std::string_view(name) == "weft_rt_trap") {
      f->addFnAttr(llvm::Attribute::NoReturn);
      f->addFnAttr(llvm::Attribute::Cold);
    }
    return f;
  }

  // The interruption check of a loop stops LLVM's vectorizer (a second
  // exit). An innermost loop without calls whose trip count SCEV bounds by
  // a constant <= 2^32 ends on its own; its check is removed (the
  // enclosing loop's and every function entry's stay). Runs mem2reg first so
  // SCEV sees the induction variables. A call (a helper like memory.fill
  // included) may take long per iteration: such loops keep their check.
  static bool HasCall(const llvm::Loop& l) {
    for (BasicBlock* bb : l.blocks())
      for (llvm::Instruction& in : *bb)
        if (auto* c = llvm::dyn_cast<llvm::CallInst>(&in))
          if (!llvm::isa<llvm::IntrinsicInst>(c)) return true;
    return false;
  }

  void ElideBoundedLoopChecks(llvm::Function& f) {
    auto checks = std::move(loop_checks);
    loop_checks.clear();
    if (checks.empty()) return;
    llvm::DominatorTree dt(f);
    std::vector<llvm::AllocaInst*> allocas;
    for (llvm::Instruction& in : f.getEntryBlock())
      if (auto* a = llvm::dyn_cast<llvm::AllocaInst>(&in))
        if (llvm::isAllocaPromotable(a)) allocas.push_back(a);
    if (!allocas.empty()) llvm::PromoteMemToReg(allocas, dt);
    llvm::AssumptionCache ac(f);
    llvm::LoopInfo li(dt);
    llvm::TargetLibraryInfoImpl tlii{llvm::Triple()};
    llvm::TargetLibraryInfo tli(tlii);
    llvm::ScalarEvolution se(f, tli, ac, dt, li);
    std::vector<std::pair<llvm::LoadInst*, llvm::BranchInst*>> bounded;
    for (auto [flag, br] : checks) {
      BasicBlock* header = br->getParent();
      llvm::Loop* l = li.getLoopFor(header);
      if (l == nullptr || l->getHeader() != header || !l->isInnermost())
        continue;
      BasicBlock* latch = l->getLoopLatch();
      if (latch == nullptr || HasCall(*l)) continue;
      llvm::SmallVector<BasicBlock*, 4> exiting;
      l->getExitingBlocks(exiting);
      for (BasicBlock* e : exiting) {
        if (e == header || !dt.dominates(e, latch)) continue;
        const llvm::SCEV* n =
            se.getExitCount(l, e, llvm::ScalarEvolution::ConstantMaximum);
        auto* c = llvm::dyn_cast<llvm::SCEVConstant>(n);
        if (c != nullptr && c->getAPInt().getActiveBits() <= 32) {
          bounded.push_back({flag, br});
          break;
        }
      }
    }
    for (auto [flag, br] : bounded) {
      BasicBlock* ok = br->getSuccessor(1);
      br->getSuccessor(0)->removePredecessor(br->getParent());
      llvm::BranchInst::Create(ok, br);
      auto* cond = llvm::cast<llvm::Instruction>(br->getCondition());
      br->eraseFromParent();
      cond->eraseFromParent();
      flag->eraseFromParent();
    }
  }

  const Module& m;
  llvm::LLVMContext& C;
  TranslateOptions options;
  std::unique_ptr<llvm::Module> lm;
  std::vector<llvm::Function*> funcs; // by defined index
  // (flag load, branch) of each loop header's interruption check in the
  // function being translated.
  std::vector<std::pair<llvm::LoadInst*, llvm::BranchInst*>> loop_checks;
};

FuncTranslator::FuncTranslator(ModuleTranslator& mt, uint32_t def_index)
    : mt_(mt), m_(mt.m), C_(mt.C), b_(mt.C), fn_(m_.functions[def_index]),
      type_(m_.types[fn_.type_index]), F_(mt.funcs[def_index]) {}

Type* FuncTranslator::T(ValType t) { return mt_.T(t); }

void FuncTranslator::BlockSig(const BlockType& bt, std::vector<ValType>& params,
                              std::vector<ValType>& results) {
  params.clear();
  results.clear();
  if (bt.kind == BlockType::Kind::Value) results.push_back(bt.value);
  if (bt.kind == BlockType::Kind::TypeIndex) {
    params = m_.types[bt.type_index].params;
    results = m_.types[bt.type_index].results;
  }
}

Value* FuncTranslator::Helper(const char* name, Type* ret,
                              std::vector<Value*> args) {
  args.insert(args.begin(), ctx_);
  llvm::Function* f = mt_.HelperFn(name, ret, args);
  return b_.CreateCall(f, args);
}

BasicBlock* FuncTranslator::TrapBB(TrapKind k) {
  auto& bb = traps_[static_cast<size_t>(k)];
  if (!bb) {
    bb = NewBB("trap");
    llvm::IRBuilder<> tb(bb);
    llvm::Function* f =
        mt_.HelperFn("weft_rt_trap", tb.getVoidTy(), {ctx_, tb.getInt32(0)});
    tb.CreateCall(f, {ctx_, tb.getInt32(static_cast<uint32_t>(k))});
    tb.CreateUnreachable();
  }
  return bb;
}

void FuncTranslator::TrapIf(Value* cond, TrapKind k) {
  BasicBlock* cont = NewBB("ok");
  llvm::MDBuilder md(C_);
  b_.CreateCondBr(cond, TrapBB(k), cont, md.createBranchWeights(1, 1 << 20));
  b_.SetInsertPoint(cont);
}

Value* FuncTranslator::CtxField(unsigned offset, Type* t) {
  return Invariant(
      b_.CreateLoad(t, b_.CreateConstGEP1_64(b_.getInt8Ty(), ctx_, offset)));
}

Value* FuncTranslator::Invariant(llvm::LoadInst* l) {
  l->setMetadata(llvm::LLVMContext::MD_invariant_load,
                 llvm::MDNode::get(C_, {}));
  return l;
}

void FuncTranslator::CheckInterrupt(bool loop_header) {
  // Measurement switch (docs/compiled-tier.md): no interruption checks.
  static const bool off = [] {
    const char* e = std::getenv("WEFT_NO_INTERRUPT_CHECKS");
    return e != nullptr && *e == '1';
  }();
  if (off) return;
  Value* flag_ptr = CtxField(kCtxInterrupt, b_.getPtrTy());
  auto* flag = b_.CreateLoad(b_.getInt8Ty(), flag_ptr);
  flag->setAtomic(llvm::AtomicOrdering::Monotonic);
  flag->setAlignment(llvm::Align(1));
  TrapIf(b_.CreateICmpNE(flag, b_.getInt8(0)), TrapKind::Interrupted);
  if (loop_header) {
    BasicBlock* bb = b_.GetInsertBlock()->getSinglePredecessor();
    mt_.loop_checks.push_back(
        {flag, llvm::cast<llvm::BranchInst>(bb->getTerminator())});
  }
}

void FuncTranslator::CheckStack() {
  llvm::Metadata* name = llvm::MDString::get(C_, "rsp");
  Value* reg = llvm::MetadataAsValue::get(C_, llvm::MDNode::get(C_, {name}));
  Value* sp = Intr(llvm::Intrinsic::read_register, {b_.getInt64Ty()}, {reg});
  Value* limit = CtxField(kCtxStackLimit, b_.getInt64Ty());
  TrapIf(b_.CreateICmpULT(sp, limit), TrapKind::CallStackExhausted);
}

BasicBlock* FuncTranslator::Target(uint32_t depth) {
  Ctl& c = ctl_[ctl_.size() - 1 - depth];
  return c.kind == Ctl::Loop ? c.header : c.end;
}

void FuncTranslator::AddIncoming(uint32_t depth) {
  Ctl& c = ctl_[ctl_.size() - 1 - depth];
  auto& phis = c.kind == Ctl::Loop ? c.header_phis : c.end_phis;
  BasicBlock* from = b_.GetInsertBlock();
  const size_t n = phis.size();
  for (size_t i = 0; i < n; ++i)
    phis[i]->addIncoming(stack_[stack_.size() - n + i], from);
}

void FuncTranslator::Branch(uint32_t depth) {
  AddIncoming(depth);
  b_.CreateBr(Target(depth));
}

void FuncTranslator::EndFrame() {
  Ctl c = std::move(ctl_.back());
  if (!dead_) {
    // Falling off the end (for a loop too: its branch target is the header,
    // but the fallthrough goes to the end).
    BasicBlock* from = b_.GetInsertBlock();
    const size_t n = c.end_phis.size();
    for (size_t i = 0; i < n; ++i)
      c.end_phis[i]->addIncoming(stack_[stack_.size() - n + i], from);
    b_.CreateBr(c.end);
  }
  if (c.kind == Ctl::If && !c.else_seen) {
    b_.SetInsertPoint(c.else_bb);
    for (size_t i = 0; i < c.end_phis.size(); ++i)
      c.end_phis[i]->addIncoming(c.if_params[i], c.else_bb);
    b_.CreateBr(c.end);
  }
  ctl_.pop_back();
  stack_.resize(c.height);
  b_.SetInsertPoint(c.end);
  for (PHINode* p : c.end_phis)
    Push(p);
  dead_ = false;
  if (c.kind == Ctl::Func) {
    if (type_.results.empty()) {
      b_.CreateRetVoid();
    } else if (type_.results.size() == 1) {
      b_.CreateRet(stack_.back());
    } else {
      Value* agg = llvm::UndefValue::get(F_->getReturnType());
      for (size_t i = 0; i < type_.results.size(); ++i)
        agg = b_.CreateInsertValue(agg, stack_[i], {static_cast<unsigned>(i)});
      b_.CreateRet(agg);
    }
  }
}

Value* FuncTranslator::Addr(const Instr& in, unsigned bytes) {
  Value* a = b_.CreateZExt(Pop(), b_.getInt64Ty());
  if (in.b != 0) a = b_.CreateAdd(a, b_.getInt64(in.b));
  if (mt_.options.explicit_bounds) {
    // addr + offset + bytes < 2^33: no overflow in 64 bits.
    Value* end = b_.CreateAdd(a, b_.getInt64(bytes));
    Value* size =
        b_.CreateLoad(b_.getInt64Ty(), CtxField(kCtxMemSize, b_.getPtrTy()));
    TrapIf(b_.CreateICmpUGT(end, size), TrapKind::MemoryOutOfBounds);
  }
  return b_.CreateGEP(b_.getInt8Ty(), mem_base_, a);
}

void FuncTranslator::Run() {
  BasicBlock* entry = NewBB("entry");
  b_.SetInsertPoint(entry);
  ctx_ = F_->getArg(0);
  // Locals.
  local_types_ = type_.params;
  local_types_.insert(local_types_.end(), fn_.locals.begin(), fn_.locals.end());
  for (size_t i = 0; i < local_types_.size(); ++i) {
    Type* t = T(local_types_[i]);
    auto* a = b_.CreateAlloca(t);
    locals_.push_back(a);
    b_.CreateStore(i < type_.params.size()
                       ? static_cast<Value*>(F_->getArg(i + 1))
                       : llvm::Constant::getNullValue(t),
                   a);
  }
  // One slot buffer for calls that go through the runtime.
  size_t nslots = 1;
  for (const Instr& in : fn_.code) {
    const FuncType* t = nullptr;
    if (in.op == Opcode::Call && in.a < m_.num_imported_funcs)
      t = &m_.types[m_.FuncTypeIndex(in.a)];
    if (in.op == Opcode::CallIndirect) t = &m_.types[in.a];
    if (t)
      nslots =
          std::max<size_t>({nslots, SlotOffset(t->params, t->params.size()),
                            SlotOffset(t->results, t->results.size())});
  }
  slots_ = b_.CreateAlloca(b_.getInt64Ty(), b_.getInt32(nslots));
  mem_base_ = CtxField(kCtxMemBase, b_.getPtrTy());
  globals_ = CtxField(kCtxGlobals, b_.getPtrTy());
  // A function without calls runs in bounded time between its loop
  // headers' checks and cannot recurse: it needs no interruption check at
  // entry, and when small (bounded frame, within the stack reserve below
  // the limit) no stack check either. Small leaf functions are the common
  // target of call_indirect.
  bool leaf = true;
  for (const Instr& in : fn_.code)
    if (in.op == Opcode::Call || in.op == Opcode::CallIndirect) leaf = false;
  if (!leaf || local_types_.size() > kLeafMaxLocals ||
      fn_.code.size() > kLeafMaxInstrs)
    CheckStack();
  if (!leaf) CheckInterrupt();

  Ctl f;
  f.kind = Ctl::Func;
  f.end = NewBB("return");
  {
    llvm::IRBuilder<> pb(f.end);
    for (ValType r : type_.results)
      f.end_phis.push_back(pb.CreatePHI(T(r), 2));
  }
  ctl_.push_back(std::move(f));

  for (size_t i = 0; i < fn_.code.size(); ++i) {
    const Instr& in = fn_.code[i];
    if (dead_) {
      switch (in.op) {
      case Opcode::Block:
      case Opcode::Loop:
      case Opcode::If: ++skip_; continue;
      case Opcode::End:
        if (skip_ > 0) {
          --skip_;
          continue;
        }
        break;
      case Opcode::Else:
        if (skip_ > 0) continue;
        break;
      default: continue;
      }
    }
    Op(in, i);
  }
}

Value* FuncTranslator::TruncChecked(Value* x, bool is_signed, unsigned bits) {
  const bool is_f32 = x->getType()->isFloatTy();
  TrapIf(b_.CreateFCmpUNO(x, x), TrapKind::InvalidConversion);
  double lo, hi;
  bool lo_inclusive;
  if (is_signed) {
    hi = std::ldexp(1.0, bits - 1);
    lo = -hi;
    lo_inclusive = true;
    if (bits == 32 && !is_f32) {
      lo = -2147483649.0;
      lo_inclusive = false;
    }
  } else {
    hi = std::ldexp(1.0, bits);
    lo = -1.0;
    lo_inclusive = false;
  }
  Type* ft = x->getType();
  Value* lo_ok = lo_inclusive
                     ? b_.CreateFCmpOGE(x, llvm::ConstantFP::get(ft, lo))
                     : b_.CreateFCmpOGT(x, llvm::ConstantFP::get(ft, lo));
  Value* hi_ok = b_.CreateFCmpOLT(x, llvm::ConstantFP::get(ft, hi));
  TrapIf(b_.CreateNot(b_.CreateAnd(lo_ok, hi_ok)), TrapKind::IntegerOverflow);
  Type* it = b_.getIntNTy(bits);
  return is_signed ? b_.CreateFPToSI(x, it) : b_.CreateFPToUI(x, it);
}

Value* FuncTranslator::DivRem(const Instr& in) {
  Value* y = Pop();
  Value* x = Pop();
  Type* t = x->getType();
  const unsigned bits = t->getIntegerBitWidth();
  Value* zero = llvm::ConstantInt::get(t, 0);
  TrapIf(b_.CreateICmpEQ(y, zero), TrapKind::IntegerDivideByZero);
  Value* min = llvm::ConstantInt::get(t, llvm::APInt::getSignedMinValue(bits));
  Value* m1 = llvm::ConstantInt::get(t, -1, true);
  switch (in.op) {
  case Opcode::I32DivS:
  case Opcode::I64DivS:
    TrapIf(b_.CreateAnd(b_.CreateICmpEQ(x, min), b_.CreateICmpEQ(y, m1)),
           TrapKind::IntegerOverflow);
    return b_.CreateSDiv(x, y);
  case Opcode::I32DivU:
  case Opcode::I64DivU: return b_.CreateUDiv(x, y);
  case Opcode::I32RemS:
  case Opcode::I64RemS: {
    // x rem -1 is 0; avoid srem(MIN, -1), which is undefined in LLVM.
    Value* is_m1 = b_.CreateICmpEQ(y, m1);
    Value* safe = b_.CreateSelect(is_m1, llvm::ConstantInt::get(t, 1), y);
    return b_.CreateSelect(is_m1, zero, b_.CreateSRem(x, safe));
  }
  default: return b_.CreateURem(x, y);
  }
}

void FuncTranslator::IndirectTarget(uint32_t table, uint32_t type_index,
                                    Value* elem, BasicBlock* slow, Value*& fn,
                                    Value*& fctx) {
  llvm::MDBuilder md(C_);
  auto* weights = md.createBranchWeights(1 << 20, 1);
  Type* ptr = b_.getPtrTy();
  Value* views = CtxField(kCtxTables, ptr);
  Value* view =
      Invariant(b_.CreateLoad(ptr, b_.CreateConstGEP1_64(ptr, views, table)));
  // The element vector may be reallocated (table.grow): begin/end are
  // read at every call.
  Value* begin = b_.CreateLoad(ptr, view);
  Value* end = b_.CreateLoad(ptr, b_.CreateConstGEP1_64(ptr, view, 1));
  Value* size =
      b_.CreateLShr(b_.CreateSub(b_.CreatePtrToInt(end, b_.getInt64Ty()),
                                 b_.CreatePtrToInt(begin, b_.getInt64Ty())),
                    3);
  Value* idx = b_.CreateZExt(elem, b_.getInt64Ty());
  BasicBlock* in_bounds = NewBB("ci.inbounds");
  b_.CreateCondBr(b_.CreateICmpULT(idx, size), in_bounds, slow, weights);
  b_.SetInsertPoint(in_bounds);
  Value* f = b_.CreateLoad(ptr, b_.CreateGEP(ptr, begin, idx));
  BasicBlock* non_null = NewBB("ci.nonnull");
  b_.CreateCondBr(b_.CreateIsNotNull(f), non_null, slow, weights);
  b_.SetInsertPoint(non_null);
  Value* id = b_.CreateLoad(
      b_.getInt32Ty(), b_.CreateConstGEP1_64(b_.getInt8Ty(), f, kFuncTypeId));
  Value* ids = CtxField(kCtxTypeIds, ptr);
  Value* want = Invariant(
      b_.CreateLoad(b_.getInt32Ty(),
                    b_.CreateConstGEP1_64(b_.getInt32Ty(), ids, type_index)));
  fn = b_.CreateLoad(ptr,
                     b_.CreateConstGEP1_64(b_.getInt8Ty(), f, kFuncNativeFn));
  fctx = b_.CreateLoad(
      ptr, b_.CreateConstGEP1_64(b_.getInt8Ty(), f, kFuncNativeCtx));
  BasicBlock* call = NewBB("ci.call");
  b_.CreateCondBr(
      b_.CreateAnd(b_.CreateICmpEQ(id, want), b_.CreateIsNotNull(fn)), call,
      slow, weights);
  b_.SetInsertPoint(call);
}

void FuncTranslator::Call(const FuncType& type, Value* callee_fn,
                          uint32_t func_index, bool direct, Value* table_elem,
                          uint32_t table, uint32_t type_index) {
  const size_t np = type.params.size();
  const size_t nr = type.results.size();
  std::vector<Value*> args(stack_.end() - np, stack_.end());
  stack_.resize(stack_.size() - np);
  // Pushes the results of an internal-convention call.
  auto results_of = [&](llvm::CallInst* r, std::vector<Value*>& out) {
    // Keep guest recursion real recursion: the prologue's stack check must
    // see it (no tail-recursion elimination into an endless loop).
    r->setTailCallKind(llvm::CallInst::TCK_NoTail);
    if (nr == 1)
      out.push_back(r);
    else
      for (size_t k = 0; k < nr; ++k)
        out.push_back(b_.CreateExtractValue(r, {static_cast<unsigned>(k)}));
  };
  std::vector<Value*> fast_results, slow_results;
  if (direct) {
    args.insert(args.begin(), ctx_);
    results_of(b_.CreateCall(llvm::cast<llvm::Function>(callee_fn), args),
               fast_results);
    for (Value* v : fast_results)
      Push(v);
    return;
  }
  // Fast path: the callee's internal function, called directly.
  BasicBlock* slow = NewBB("call.slow");
  BasicBlock* join = NewBB("call.join");
  Value* fn = nullptr;
  Value* fctx = nullptr;
  if (table_elem) {
    IndirectTarget(table, type_index, table_elem, slow, fn, fctx);
  } else {
    Type* ptr = b_.getPtrTy();
    Value* funcs = CtxField(kCtxFuncs, ptr);
    Value* f = Invariant(
        b_.CreateLoad(ptr, b_.CreateConstGEP1_64(ptr, funcs, func_index)));
    // Imports do not change: these are invariant once set, but may still
    // be null (then set by the slow path).
    fn = b_.CreateLoad(ptr,
                       b_.CreateConstGEP1_64(b_.getInt8Ty(), f, kFuncNativeFn));
    fctx = b_.CreateLoad(
        ptr, b_.CreateConstGEP1_64(b_.getInt8Ty(), f, kFuncNativeCtx));
    BasicBlock* call = NewBB("call.direct");
    llvm::MDBuilder md(C_);
    b_.CreateCondBr(b_.CreateIsNotNull(fn), call, slow,
                    md.createBranchWeights(1 << 20, 1));
    b_.SetInsertPoint(call);
  }
  {
    std::vector<Value*> cargs{fctx};
    cargs.insert(cargs.end(), args.begin(), args.end());
    results_of(b_.CreateCall(mt_.FnType(type), fn, cargs), fast_results);
    b_.CreateBr(join);
  }
  BasicBlock* fast_end = b_.GetInsertBlock();
  // Slow path: args through the slot buffer and a helper, which does every
  // check again and traps with the interpreter's wording.
  b_.SetInsertPoint(slow);
  for (size_t k = 0; k < np; ++k)
    mt_.StoreSlot(b_, args[k], type.params[k],
                  b_.CreateConstGEP1_64(b_.getInt64Ty(), slots_,
                                        SlotOffset(type.params, k)));
  if (table_elem)
    Helper("weft_rt_call_indirect", b_.getVoidTy(),
           {I32(table), I32(type_index), table_elem, slots_});
  else
    Helper("weft_rt_call", b_.getVoidTy(), {I32(func_index), slots_});
  for (size_t k = 0; k < nr; ++k)
    slow_results.push_back(
        mt_.LoadSlot(b_, type.results[k], slots_, SlotOffset(type.results, k)));
  b_.CreateBr(join);
  BasicBlock* slow_end = b_.GetInsertBlock();
  b_.SetInsertPoint(join);
  for (size_t k = 0; k < nr; ++k) {
    PHINode* phi = b_.CreatePHI(T(type.results[k]), 2);
    phi->addIncoming(fast_results[k], fast_end);
    phi->addIncoming(slow_results[k], slow_end);
    Push(phi);
  }
}

void FuncTranslator::Op(const Instr& in, size_t index) {
  using O = Opcode;
  auto bin = [&](auto f) {
    Value* y = Pop();
    Value* x = Pop();
    Push(f(x, y));
  };
  auto un = [&](auto f) { Push(f(Pop())); };
  auto i32 = b_.getInt32Ty();
  auto i64 = b_.getInt64Ty();
  auto f32 = b_.getFloatTy();
  auto f64 = b_.getDoubleTy();
  auto load = [&](Type* mt, Type* rt, bool sign) {
    Value* p = Addr(in, mt->getPrimitiveSizeInBits() / 8);
    auto* l = b_.CreateAlignedLoad(mt, p, llvm::MaybeAlign(1));
    // A load whose value is dropped must still trap when out of bounds.
    if (index + 1 < fn_.code.size() && fn_.code[index + 1].op == O::Drop)
      l->setVolatile(true);
    Value* v = l;
    if (mt != rt) v = sign ? b_.CreateSExt(v, rt) : b_.CreateZExt(v, rt);
    Push(v);
  };
  auto store = [&](Type* mt) {
    Value* v = Pop();
    Value* p = Addr(in, mt->getPrimitiveSizeInBits() / 8);
    if (v->getType() != mt) v = b_.CreateTrunc(v, mt);
    b_.CreateAlignedStore(v, p, llvm::MaybeAlign(1));
  };
  auto shift_mask = [&](Value* y) {
    return b_.CreateAnd(
        y, llvm::ConstantInt::get(y->getType(),
                                  y->getType()->getIntegerBitWidth() - 1));
  };
  auto fconst = [&](Type* t, uint64_t bits) -> Value* {
    if (t == f32)
      return llvm::ConstantFP::get(
          C_,
          llvm::APFloat(llvm::APFloat::IEEEsingle(), llvm::APInt(32, bits)));
    return llvm::ConstantFP::get(
        C_, llvm::APFloat(llvm::APFloat::IEEEdouble(), llvm::APInt(64, bits)));
  };
  auto sat = [&](bool s, Type* rt) {
    Value* x = Pop();
    Push(Intr(s ? llvm::Intrinsic::fptosi_sat : llvm::Intrinsic::fptoui_sat,
              {rt, x->getType()}, {x}));
  };

  switch (in.op) {
  // --- control -------------------------------------------------------------
  case O::Unreachable:
    b_.CreateBr(TrapBB(TrapKind::Unreachable));
    dead_ = true;
    break;
  case O::Nop: break;
  case O::Block:
  case O::Loop:
  case O::If: {
    std::vector<ValType> params, results;
    BlockSig(in.block, params, results);
    Ctl c;
    c.kind = in.op == O::Block  ? Ctl::Block
             : in.op == O::Loop ? Ctl::Loop
                                : Ctl::If;
    Value* cond = in.op == O::If ? Pop() : nullptr;
    c.height = stack_.size() - params.size();
    c.end = NewBB("end");
    {
      llvm::IRBuilder<> pb(c.end);
      for (ValType r : results)
        c.end_phis.push_back(pb.CreatePHI(T(r), 2));
    }
    if (in.op == O::Loop) {
      c.header = NewBB("loop");
      llvm::IRBuilder<> pb(c.header);
      for (ValType p : params)
        c.header_phis.push_back(pb.CreatePHI(T(p), 2));
      BasicBlock* from = b_.GetInsertBlock();
      for (size_t k = 0; k < params.size(); ++k)
        c.header_phis[k]->addIncoming(stack_[c.height + k], from);
      b_.CreateBr(c.header);
      stack_.resize(c.height);
      b_.SetInsertPoint(c.header);
      for (PHINode* p : c.header_phis)
        Push(p);
      ctl_.push_back(std::move(c));
      CheckInterrupt(true);
      break;
    }
    if (in.op == O::If) {
      c.if_params.assign(stack_.begin() + c.height, stack_.end());
      BasicBlock* then_bb = NewBB("then");
      c.else_bb = NewBB("else");
      b_.CreateCondBr(Truth(cond), then_bb, c.else_bb);
      b_.SetInsertPoint(then_bb);
    }
    ctl_.push_back(std::move(c));
    break;
  }
  case O::Else: {
    Ctl& c = ctl_.back();
    if (!dead_) Branch(0);
    c.else_seen = true;
    b_.SetInsertPoint(c.else_bb);
    stack_.resize(c.height);
    for (Value* v : c.if_params)
      Push(v);
    dead_ = false;
    break;
  }
  case O::End: EndFrame(); break;
  case O::Br:
    Branch(in.a);
    dead_ = true;
    break;
  case O::BrIf: {
    Value* cond = Truth(Pop());
    BasicBlock* cont = NewBB("cont");
    AddIncoming(in.a);
    b_.CreateCondBr(cond, Target(in.a), cont);
    b_.SetInsertPoint(cont);
    break;
  }
  case O::BrTable: {
    Value* idx = Pop();
    const uint32_t* t = fn_.br_targets.data() + in.a;
    const uint32_t n = in.c;
    auto* sw = b_.CreateSwitch(idx, Target(t[n]), n);
    AddIncoming(t[n]);
    for (uint32_t k = 0; k < n; ++k) {
      sw->addCase(b_.getInt32(k), Target(t[k]));
      AddIncoming(t[k]);
    }
    dead_ = true;
    break;
  }
  case O::Return:
    Branch(static_cast<uint32_t>(ctl_.size() - 1));
    dead_ = true;
    break;
  case O::Call: {
    const FuncType& t = m_.types[m_.FuncTypeIndex(in.a)];
    if (in.a >= m_.num_imported_funcs)
      Call(t, mt_.funcs[in.a - m_.num_imported_funcs], in.a, true, nullptr, 0,
           0);
    else
      Call(t, nullptr, in.a, false, nullptr, 0, 0);
    break;
  }
  case O::CallIndirect: {
    Value* elem = Pop();
    Call(m_.types[in.a], nullptr, 0, false, elem, in.c, in.a);
    break;
  }
  // --- parametric / variables ----------------------------------------------
  case O::Drop: Pop(); break;
  case O::Select:
  case O::SelectT: {
    Value* c = Pop();
    Value* y = Pop();
    Value* x = Pop();
    Push(b_.CreateSelect(Truth(c), x, y));
    break;
  }
  case O::LocalGet:
    Push(b_.CreateLoad(T(local_types_[in.a]), locals_[in.a]));
    break;
  case O::LocalSet: b_.CreateStore(Pop(), locals_[in.a]); break;
  case O::LocalTee: b_.CreateStore(stack_.back(), locals_[in.a]); break;
  case O::GlobalGet: {
    Value* cell = Invariant(b_.CreateLoad(
        b_.getPtrTy(), b_.CreateConstGEP1_64(b_.getPtrTy(), globals_, in.a)));
    Push(b_.CreateAlignedLoad(T(m_.GetGlobalType(in.a).type), cell,
                              llvm::Align(8)));
    break;
  }
  case O::GlobalSet: {
    Value* cell = Invariant(b_.CreateLoad(
        b_.getPtrTy(), b_.CreateConstGEP1_64(b_.getPtrTy(), globals_, in.a)));
    mt_.StoreSlot(b_, Pop(), m_.GetGlobalType(in.a).type, cell);
    break;
  }
  // --- tables / references -------------------------------------------------
  case O::TableGet: {
    Value* i = Pop();
    Push(Helper("weft_rt_table_get", b_.getPtrTy(), {I32(in.a), i}));
    break;
  }
  case O::TableSet: {
    Value* v = Pop();
    Value* i = Pop();
    Helper("weft_rt_table_set", b_.getVoidTy(), {I32(in.a), i, v});
    break;
  }
  case O::TableSize:
    Push(Helper("weft_rt_table_size", i32, {I32(in.a)}));
    break;
  case O::TableGrow: {
    Value* n = Pop();
    Value* v = Pop();
    Push(Helper("weft_rt_table_grow", i32, {I32(in.a), v, n}));
    break;
  }
  case O::TableFill: {
    Value* n = Pop();
    Value* v = Pop();
    Value* i = Pop();
    Helper("weft_rt_table_fill", b_.getVoidTy(), {I32(in.a), i, v, n});
    break;
  }
  case O::TableCopy: {
    Value* n = Pop();
    Value* s = Pop();
    Value* d = Pop();
    Helper("weft_rt_table_copy", b_.getVoidTy(),
           {I32(in.a), I32(in.c), d, s, n});
    break;
  }
  case O::TableInit: {
    Value* n = Pop();
    Value* s = Pop();
    Value* d = Pop();
    Helper("weft_rt_table_init", b_.getVoidTy(),
           {I32(in.c), I32(in.a), d, s, n});
    break;
  }
  case O::ElemDrop:
    Helper("weft_rt_elem_drop", b_.getVoidTy(), {I32(in.a)});
    break;
  case O::RefNull: Push(llvm::ConstantPointerNull::get(b_.getPtrTy())); break;
  case O::RefIsNull: Push(Bool(b_.CreateIsNull(Pop()))); break;
  case O::RefFunc:
    Push(Helper("weft_rt_ref_func", b_.getPtrTy(), {I32(in.a)}));
    break;
  // --- memory --------------------------------------------------------------
  case O::I32Load: load(i32, i32, false); break;
  case O::I64Load: load(i64, i64, false); break;
  case O::F32Load: load(f32, f32, false); break;
  case O::F64Load: load(f64, f64, false); break;
  case O::I32Load8S: load(b_.getInt8Ty(), i32, true); break;
  case O::I32Load8U: load(b_.getInt8Ty(), i32, false); break;
  case O::I32Load16S: load(b_.getInt16Ty(), i32, true); break;
  case O::I32Load16U: load(b_.getInt16Ty(), i32, false); break;
  case O::I64Load8S: load(b_.getInt8Ty(), i64, true); break;
  case O::I64Load8U: load(b_.getInt8Ty(), i64, false); break;
  case O::I64Load16S: load(b_.getInt16Ty(), i64, true); break;
  case O::I64Load16U: load(b_.getInt16Ty(), i64, false); break;
  case O::I64Load32S: load(i32, i64, true); break;
  case O::I64Load32U: load(i32, i64, false); break;
  case O::I32Store: store(i32); break;
  case O::I64Store: store(i64); break;
  case O::F32Store: store(f32); break;
  case O::F64Store: store(f64); break;
  case O::I32Store8:
  case O::I64Store8: store(b_.getInt8Ty()); break;
  case O::I32Store16:
  case O::I64Store16: store(b_.getInt16Ty()); break;
  case O::I64Store32: store(i32); break;
  case O::MemorySize: {
    Value* sz = b_.CreateLoad(i64, CtxField(kCtxMemSize, b_.getPtrTy()));
    Push(b_.CreateTrunc(b_.CreateLShr(sz, 16), i32));
    break;
  }
  case O::MemoryGrow: {
    Value* d = Pop();
    Push(Helper("weft_rt_memory_grow", i32, {d}));
    break;
  }
  case O::MemoryInit: {
    Value* n = Pop();
    Value* s = Pop();
    Value* d = Pop();
    Helper("weft_rt_memory_init", b_.getVoidTy(), {I32(in.a), d, s, n});
    break;
  }
  case O::DataDrop:
    Helper("weft_rt_data_drop", b_.getVoidTy(), {I32(in.a)});
    break;
  case O::MemoryCopy: {
    Value* n = Pop();
    Value* s = Pop();
    Value* d = Pop();
    Helper("weft_rt_memory_copy", b_.getVoidTy(), {d, s, n});
    break;
  }
  case O::MemoryFill: {
    Value* n = Pop();
    Value* v = Pop();
    Value* d = Pop();
    Helper("weft_rt_memory_fill", b_.getVoidTy(), {d, v, n});
    break;
  }
  // --- constants -----------------------------------------------------------
  case O::I32Const: Push(b_.getInt32(static_cast<uint32_t>(in.b))); break;
  case O::I64Const: Push(b_.getInt64(in.b)); break;
  case O::F32Const: Push(fconst(f32, in.b)); break;
  case O::F64Const: Push(fconst(f64, in.b)); break;
  // --- comparisons ---------------------------------------------------------
  case O::I32Eqz:
  case O::I64Eqz: {
    Value* x = Pop();
    Push(Bool(b_.CreateICmpEQ(x, llvm::ConstantInt::get(x->getType(), 0))));
    break;
  }
#define ICMP(a, b, P)                                                          \
  case O::a:                                                                   \
  case O::b:                                                                   \
    bin([&](Value* x, Value* y) {                                              \
      return Bool(b_.CreateICmp(llvm::CmpInst::P, x, y));                      \
    });                                                                        \
    break;
    ICMP(I32Eq, I64Eq, ICMP_EQ)
    ICMP(I32Ne, I64Ne, ICMP_NE)
    ICMP(I32LtS, I64LtS, ICMP_SLT)
    ICMP(I32LtU, I64LtU, ICMP_ULT)
    ICMP(I32GtS, I64GtS, ICMP_SGT)
    ICMP(I32GtU, I64GtU, ICMP_UGT)
    ICMP(I32LeS, I64LeS, ICMP_SLE)
    ICMP(I32LeU, I64LeU, ICMP_ULE)
    ICMP(I32GeS, I64GeS, ICMP_SGE)
    ICMP(I32GeU, I64GeU, ICMP_UGE)
#undef ICMP
#define FCMP(a, b, P)                                                          \
  case O::a:                                                                   \
  case O::b:                                                                   \
    bin([&](Value* x, Value* y) {                                              \
      return Bool(b_.CreateFCmp(llvm::CmpInst::P, x, y));                      \
    });                                                                        \
    break;
    FCMP(F32Eq, F64Eq, FCMP_OEQ)
    FCMP(F32Ne, F64Ne, FCMP_UNE)
    FCMP(F32Lt, F64Lt, FCMP_OLT)
    FCMP(F32Gt, F64Gt, FCMP_OGT)
    FCMP(F32Le, F64Le, FCMP_OLE)
    FCMP(F32Ge, F64Ge, FCMP_OGE)
#undef FCMP
    // --- integer arithmetic --------------------------------------------------
#define IUN(a, b, expr)                                                        \
  case O::a:                                                                   \
  case O::b: un([&](Value* x) -> Value* { return expr; }); break;
    IUN(I32Clz, I64Clz,
        Intr(llvm::Intrinsic::ctlz, {x->getType()}, {x, b_.getFalse()}))
    IUN(I32Ctz, I64Ctz,
        Intr(llvm::Intrinsic::cttz, {x->getType()}, {x, b_.getFalse()}))
    IUN(I32Popcnt, I64Popcnt, Intr(llvm::Intrinsic::ctpop, {x->getType()}, {x}))
#undef IUN
#define IBIN(a, b, expr)                                                       \
  case O::a:                                                                   \
  case O::b: bin([&](Value* x, Value* y) -> Value* { return expr; }); break;
    IBIN(I32Add, I64Add, b_.CreateAdd(x, y))
    IBIN(I32Sub, I64Sub, b_.CreateSub(x, y))
    IBIN(I32Mul, I64Mul, b_.CreateMul(x, y))
    IBIN(I32And, I64And, b_.CreateAnd(x, y))
    IBIN(I32Or, I64Or, b_.CreateOr(x, y))
    IBIN(I32Xor, I64Xor, b_.CreateXor(x, y))
    IBIN(I32Shl, I64Shl, b_.CreateShl(x, shift_mask(y)))
    IBIN(I32ShrS, I64ShrS, b_.CreateAShr(x, shift_mask(y)))
    IBIN(I32ShrU, I64ShrU, b_.CreateLShr(x, shift_mask(y)))
    IBIN(I32Rotl, I64Rotl,
         Intr(llvm::Intrinsic::fshl, {x->getType()}, {x, x, y}))
    IBIN(I32Rotr, I64Rotr,
         Intr(llvm::Intrinsic::fshr, {x->getType()}, {x, x, y}))
#undef IBIN
  case O::I32DivS:
  case O::I32DivU:
  case O::I32RemS:
  case O::I32RemU:
  case O::I64DivS:
  case O::I64DivU:
  case O::I64RemS:
  case O::I64RemU:
    Push(DivRem(in));
    break;
    // --- float arithmetic ----------------------------------------------------
#define FUN(a, b, expr)                                                        \
  case O::a:                                                                   \
  case O::b:                                                                   \
    un([&](Value* x) -> Value* { return expr; });                              \
    break;
#define FINTR(id) Intr(llvm::Intrinsic::id, {x->getType()}, {x})
    FUN(F32Abs, F64Abs, FINTR(fabs))
    FUN(F32Neg, F64Neg, b_.CreateFNeg(x))
    FUN(F32Ceil, F64Ceil, FINTR(ceil))
    FUN(F32Floor, F64Floor, FINTR(floor))
    FUN(F32Trunc, F64Trunc, FINTR(trunc))
    FUN(F32Nearest, F64Nearest, FINTR(roundeven))
    FUN(F32Sqrt, F64Sqrt, FINTR(sqrt))
#undef FINTR
#undef FUN
#define FBIN(a, b, expr)                                                       \
  case O::a:                                                                   \
  case O::b: bin([&](Value* x, Value* y) -> Value* { return expr; }); break;
    FBIN(F32Add, F64Add, Quiet(b_.CreateFAdd(x, y), x, y))
    FBIN(F32Sub, F64Sub, Quiet(b_.CreateFSub(x, y), x, y))
    FBIN(F32Mul, F64Mul, Quiet(b_.CreateFMul(x, y), x, y))
    FBIN(F32Div, F64Div, Quiet(b_.CreateFDiv(x, y), x, y))
    // A NaN result must be an arithmetic (quiet) NaN; x86's min/max pass a
    // signaling NaN through.
    FBIN(F32Min, F64Min,
         b_.CreateSelect(
             b_.CreateFCmpUNO(x, y), llvm::ConstantFP::getQNaN(x->getType()),
             Intr(llvm::Intrinsic::minimum, {x->getType()}, {x, y})))
    FBIN(F32Max, F64Max,
         b_.CreateSelect(
             b_.CreateFCmpUNO(x, y), llvm::ConstantFP::getQNaN(x->getType()),
             Intr(llvm::Intrinsic::maximum, {x->getType()}, {x, y})))
    FBIN(F32Copysign, F64Copysign,
         Intr(llvm::Intrinsic::copysign, {x->getType()}, {x, y}))
#undef FBIN
  // --- conversions ---------------------------------------------------------
  case O::I32WrapI64: Push(b_.CreateTrunc(Pop(), i32)); break;
  case O::I32TruncF32S:
  case O::I32TruncF64S: Push(TruncChecked(Pop(), true, 32)); break;
  case O::I32TruncF32U:
  case O::I32TruncF64U: Push(TruncChecked(Pop(), false, 32)); break;
  case O::I64TruncF32S:
  case O::I64TruncF64S: Push(TruncChecked(Pop(), true, 64)); break;
  case O::I64TruncF32U:
  case O::I64TruncF64U: Push(TruncChecked(Pop(), false, 64)); break;
  case O::I64ExtendI32S: Push(b_.CreateSExt(Pop(), i64)); break;
  case O::I64ExtendI32U: Push(b_.CreateZExt(Pop(), i64)); break;
  case O::F32ConvertI32S:
  case O::F32ConvertI64S: Push(b_.CreateSIToFP(Pop(), f32)); break;
  case O::F32ConvertI32U:
  case O::F32ConvertI64U: Push(b_.CreateUIToFP(Pop(), f32)); break;
  case O::F64ConvertI32S:
  case O::F64ConvertI64S: Push(b_.CreateSIToFP(Pop(), f64)); break;
  case O::F64ConvertI32U:
  case O::F64ConvertI64U: Push(b_.CreateUIToFP(Pop(), f64)); break;
  case O::F32DemoteF64: Push(Quiet(b_.CreateFPTrunc(Pop(), f32))); break;
  case O::F64PromoteF32: Push(Quiet(b_.CreateFPExt(Pop(), f64))); break;
  case O::I32ReinterpretF32: Push(b_.CreateBitCast(Pop(), i32)); break;
  case O::I64ReinterpretF64: Push(b_.CreateBitCast(Pop(), i64)); break;
  case O::F32ReinterpretI32: Push(b_.CreateBitCast(Pop(), f32)); break;
  case O::F64ReinterpretI64: Push(b_.CreateBitCast(Pop(), f64)); break;
  case O::I32Extend8S:
    Push(b_.CreateSExt(b_.CreateTrunc(Pop(), b_.getInt8Ty()), i32));
    break;
  case O::I32Extend16S:
    Push(b_.CreateSExt(b_.CreateTrunc(Pop(), b_.getInt16Ty()), i32));
    break;
  case O::I64Extend8S:
    Push(b_.CreateSExt(b_.CreateTrunc(Pop(), b_.getInt8Ty()), i64));
    break;
  case O::I64Extend16S:
    Push(b_.CreateSExt(b_.CreateTrunc(Pop(), b_.getInt16Ty()), i64));
    break;
  case O::I64Extend32S:
    Push(b_.CreateSExt(b_.CreateTrunc(Pop(), i32), i64));
    break;
  case O::I32TruncSatF32S:
  case O::I32TruncSatF64S: sat(true, i32); break;
  case O::I32TruncSatF32U:
  case O::I32TruncSatF64U: sat(false, i32); break;
  case O::I64TruncSatF32S:
  case O::I64TruncSatF64S: sat(true, i64); break;
  case O::I64TruncSatF32U:
  case O::I64TruncSatF64U: sat(false, i64); break;
  default: {
    SimdEnv env{
        b_, stack_, fn_,
        [this](const Instr& i, unsigned bytes) { return Addr(i, bytes); },
        index + 1 < fn_.code.size() && fn_.code[index + 1].op == O::Drop};
    if (TranslateSimd(env, in)) break;
    // CheckSupported rejected everything else before translation.
    b_.CreateBr(TrapBB(TrapKind::Unreachable));
    dead_ = true;
    break;
  }
  }
}

} // namespace

TranslateOptions DefaultTranslateOptions() {
  TranslateOptions o;
  const char* e = std::getenv("WEFT_BOUNDS_CHECKS");
  const std::string_view mode = e != nullptr ? e : "";
  if (mode == "explicit") {
    o.explicit_bounds = true;
  } else if (mode != "guard") {
    // The runtime reserves 8 GiB per memory; under a smaller address-space
    // limit most reservations fail and guard-page code could not run.
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (64ull << 30))
      o.explicit_bounds = true;
  }
  return o;
}

std::unique_ptr<llvm::Module> Translate(const Module& m, llvm::LLVMContext& c,
                                        const TranslateOptions& options) {
  ModuleTranslator mt(m, c, options);
  return mt.Run();
}

std::unique_ptr<llvm::Module> Translate(const Module& m, llvm::LLVMContext& c) {
  return Translate(m, c, DefaultTranslateOptions());
}

} // namespace weft::jit
