// Function-body validation: the operand-stack / control-stack algorithm of
// the spec's validation appendix, driven by the opcode table's signatures
// for every instruction that is not typed by hand below.
#include "wasm/func_validator.h"

#include "wasm/opcode.h"

namespace weft::validation {

std::string UnknownIndex(const char* what, uint64_t index) {
  return std::string("unknown ") + what + " " + std::to_string(index);
}

namespace {

// The operand type of unreachable code, which matches every value type.
constexpr ValType kUnknown = static_cast<ValType>(0);

const char* TypeName(ValType t) {
  return t == kUnknown ? "unknown" : ValTypeName(t);
}

// A result type [t*], viewed without copying: a FuncType's vector, a single
// value type held inline, or empty.
class TypeList {
public:
  TypeList() = default;
  explicit TypeList(const std::vector<ValType>* v) : vec_(v) {}
  explicit TypeList(ValType t) : single_(t), size_(1) {}

  size_t size() const { return vec_ ? vec_->size() : size_; }
  ValType operator[](size_t i) const { return vec_ ? (*vec_)[i] : single_; }
  bool operator==(const TypeList& o) const {
    if (size() != o.size()) return false;
    for (size_t i = 0; i < size(); ++i)
      if ((*this)[i] != o[i]) return false;
    return true;
  }

private:
  const std::vector<ValType>* vec_ = nullptr;
  ValType single_ = kUnknown;
  size_t size_ = 0;
};

struct Frame {
  Opcode op = Opcode::Block; // Block (also the function body), Loop, If, Else
  TypeList params;
  TypeList results;
  size_t height = 0;
  bool unreachable = false;

  // What a branch to this frame's label carries.
  const TypeList& LabelTypes() const {
    return op == Opcode::Loop ? params : results;
  }
};

// Number of lanes addressed by a lane-indexed SIMD instruction.
unsigned LaneCount(Opcode op, const OpcodeInfo& info) {
  if (info.imm == ImmKind::MemArgLane) return 16 / info.mem_bytes;
  switch (op) {
  case Opcode::I8x16ExtractLaneS:
  case Opcode::I8x16ExtractLaneU:
  case Opcode::I8x16ReplaceLane: return 16;
  case Opcode::I16x8ExtractLaneS:
  case Opcode::I16x8ExtractLaneU:
  case Opcode::I16x8ReplaceLane: return 8;
  case Opcode::I32x4ExtractLane:
  case Opcode::I32x4ReplaceLane:
  case Opcode::F32x4ExtractLane:
  case Opcode::F32x4ReplaceLane: return 4;
  default: return 2; // i64x2 / f64x2
  }
}

class FuncValidator {
public:
  FuncValidator(const ModuleContext& ctx, uint32_t func_index,
                const Function& func)
      : ctx_(ctx), m_(*ctx.module), func_index_(func_index), func_(func),
        type_(m_.types[func.type_index]) {}

  Status Run();

private:
  Error Fail(std::string message) const;
  Error Mismatch(ValType expected, const char* got) const;

  // Operand stack.
  void Push(ValType t) { vals_.push_back(t); }
  void PushList(const TypeList& types) {
    for (size_t i = 0; i < types.size(); ++i)
      vals_.push_back(types[i]);
  }
  Status Pop(ValType expected, ValType* actual = nullptr);
  Status PopAny(ValType* actual) { return Pop(kUnknown, actual); }
  Status PopList(const TypeList& types);
  Status PopAndRepush(const TypeList& types);

  // Control stack.
  void PushCtrl(Opcode op, TypeList params, TypeList results);
  Status PopCtrl(Frame* frame);
  void SetUnreachable();
  Status LabelTypes(uint32_t depth, TypeList* types) const;
  Status BlockSignature(const BlockType& bt, TypeList* params,
                        TypeList* results) const;

  // Immediate checks.
  Status CheckTable(uint32_t index) const;
  Status CheckMemory(uint32_t index) const;
  Status CheckAlign(uint32_t log2_align, unsigned natural) const;
  Status CheckElem(uint32_t index) const;
  Status CheckData(uint32_t index) const;
  Status CheckImmediates(const Instr& in, const OpcodeInfo& info) const;

  Status Step(const Instr& in);
  Status StepControl(const Instr& in);
  Status StepVariable(const Instr& in);
  Status StepReference(const Instr& in);
  Status StepFixed(const Instr& in, const OpcodeInfo& info);

  uint32_t NumLocals() const {
    return static_cast<uint32_t>(type_.params.size() + func_.locals.size());
  }
  ValType LocalType(uint32_t i) const {
    return i < type_.params.size() ? type_.params[i]
                                   : func_.locals[i - type_.params.size()];
  }

  const ModuleContext& ctx_;
  const Module& m_;
  uint32_t func_index_;
  const Function& func_;
  const FuncType& type_;
  const Instr* cur_ = nullptr;
  std::vector<ValType> vals_;
  std::vector<Frame> ctrls_;
  std::vector<ValType> scratch_;
};

Error FuncValidator::Fail(std::string message) const {
  Error e;
  e.message = std::move(message);
  e.offset = cur_ ? cur_->offset : func_.body_offset;
  e.context = "function " + std::to_string(func_index_);
  return e;
}

Error FuncValidator::Mismatch(ValType expected, const char* got) const {
  std::string msg = "type mismatch";
  if (cur_) msg += std::string(" in ") + OpcodeName(cur_->op);
  msg += ": expected ";
  msg += expected == kUnknown ? "a value" : ValTypeName(expected);
  msg += ", got ";
  msg += got;
  return Fail(std::move(msg));
}

Status FuncValidator::Pop(ValType expected, ValType* actual) {
  const Frame& f = ctrls_.back();
  ValType got = kUnknown;
  if (vals_.size() == f.height) {
    if (!f.unreachable) return Mismatch(expected, "an empty stack");
  } else {
    got = vals_.back();
    vals_.pop_back();
  }
  if (got != expected && got != kUnknown && expected != kUnknown)
    return Mismatch(expected, TypeName(got));
  if (actual) *actual = got;
  return {};
}

Status FuncValidator::PopList(const TypeList& types) {
  for (size_t i = types.size(); i-- > 0;)
    WEFT_TRY(Pop(types[i]));
  return {};
}

// pop_vals then push_vals of what was popped: checks the operands against
// `types` while keeping their (possibly more precise) actual types.
Status FuncValidator::PopAndRepush(const TypeList& types) {
  scratch_.resize(types.size());
  for (size_t i = types.size(); i-- > 0;)
    WEFT_TRY(Pop(types[i], &scratch_[i]));
  for (ValType t : scratch_)
    Push(t);
  return {};
}

void FuncValidator::PushCtrl(Opcode op, TypeList params, TypeList results) {
  Frame f;
  f.op = op;
  f.params = params;
  f.results = results;
  f.height = vals_.size();
  ctrls_.push_back(f);
  PushList(params);
}

Status FuncValidator::PopCtrl(Frame* frame) {
  WEFT_TRY(PopList(ctrls_.back().results));
  if (vals_.size() != ctrls_.back().height)
    return Fail("type mismatch: " +
                std::to_string(vals_.size() - ctrls_.back().height) +
                " extra value(s) on the stack at the end of the block");
  *frame = ctrls_.back();
  ctrls_.pop_back();
  return {};
}

void FuncValidator::SetUnreachable() {
  vals_.resize(ctrls_.back().height);
  ctrls_.back().unreachable = true;
}

Status FuncValidator::LabelTypes(uint32_t depth, TypeList* types) const {
  if (depth >= ctrls_.size()) return Fail(UnknownIndex("label", depth));
  *types = ctrls_[ctrls_.size() - 1 - depth].LabelTypes();
  return {};
}

Status FuncValidator::BlockSignature(const BlockType& bt, TypeList* params,
                                     TypeList* results) const {
  switch (bt.kind) {
  case BlockType::Kind::Empty: break;
  case BlockType::Kind::Value: *results = TypeList(bt.value); break;
  case BlockType::Kind::TypeIndex: {
    if (bt.type_index >= m_.types.size())
      return Fail(UnknownIndex("type", bt.type_index));
    const FuncType& ft = m_.types[bt.type_index];
    *params = TypeList(&ft.params);
    *results = TypeList(&ft.results);
    break;
  }
  }
  return {};
}

Status FuncValidator::CheckTable(uint32_t index) const {
  if (index >= ctx_.tables.size()) return Fail(UnknownIndex("table", index));
  return {};
}

Status FuncValidator::CheckMemory(uint32_t index) const {
  if (index >= ctx_.num_memories) return Fail(UnknownIndex("memory", index));
  return {};
}

Status FuncValidator::CheckAlign(uint32_t log2_align, unsigned natural) const {
  if (log2_align >= 32 || (uint64_t{1} << log2_align) > natural)
    return Fail("alignment must not be larger than natural (2^" +
                std::to_string(log2_align) + " > " + std::to_string(natural) +
                ")");
  return {};
}

Status FuncValidator::CheckElem(uint32_t index) const {
  if (index >= m_.elems.size())
    return Fail(UnknownIndex("elem segment", index));
  return {};
}

// Data indices in code need the data count section (a binary-format rule
// that the decoder may also enforce) and a segment in range.
Status FuncValidator::CheckData(uint32_t index) const {
  if (!m_.data_count && !m_.datas.empty())
    return Fail("data count section required");
  if (index >= m_.datas.size())
    return Fail(UnknownIndex("data segment", index));
  return {};
}

// Immediates of instructions whose operand types come from the table.
Status FuncValidator::CheckImmediates(const Instr& in,
                                      const OpcodeInfo& info) const {
  switch (info.imm) {
  case ImmKind::MemArg:
    WEFT_TRY(CheckMemory(in.c));
    return CheckAlign(in.a, info.mem_bytes);
  case ImmKind::MemArgLane:
    WEFT_TRY(CheckMemory(0));
    WEFT_TRY(CheckAlign(in.a, info.mem_bytes));
    if (in.lane >= LaneCount(in.op, info))
      return Fail("invalid lane index " + std::to_string(in.lane));
    return {};
  case ImmKind::Lane:
    if (in.lane >= LaneCount(in.op, info))
      return Fail("invalid lane index " + std::to_string(in.lane));
    return {};
  case ImmKind::Shuffle:
    if (in.a >= func_.v128_consts.size())
      return Fail("shuffle mask index out of range");
    for (uint8_t lane : func_.v128_consts[in.a].bytes)
      if (lane >= 32) return Fail("invalid lane index " + std::to_string(lane));
    return {};
  case ImmKind::V128:
    if (in.a >= func_.v128_consts.size())
      return Fail("v128 constant index out of range");
    return {};
  case ImmKind::Memory: return CheckMemory(in.a);
  case ImmKind::MemCopy: WEFT_TRY(CheckMemory(in.a)); return CheckMemory(in.c);
  case ImmKind::MemInit: WEFT_TRY(CheckMemory(in.c)); return CheckData(in.a);
  case ImmKind::Data: return CheckData(in.a);
  case ImmKind::Elem: return CheckElem(in.a);
  case ImmKind::Table: return CheckTable(in.a);
  case ImmKind::TableInit:
    WEFT_TRY(CheckTable(in.c));
    WEFT_TRY(CheckElem(in.a));
    if (ctx_.tables[in.c].elem != m_.elems[in.a].type)
      return Fail(std::string("type mismatch: table.init of ") +
                  ValTypeName(m_.elems[in.a].type) + " segment into " +
                  ValTypeName(ctx_.tables[in.c].elem) + " table");
    return {};
  case ImmKind::TableCopy:
    WEFT_TRY(CheckTable(in.a));
    WEFT_TRY(CheckTable(in.c));
    if (ctx_.tables[in.a].elem != ctx_.tables[in.c].elem)
      return Fail(std::string("type mismatch: table.copy from ") +
                  ValTypeName(ctx_.tables[in.c].elem) + " table to " +
                  ValTypeName(ctx_.tables[in.a].elem) + " table");
    return {};
  default: return {};
  }
}

Status FuncValidator::StepControl(const Instr& in) {
  switch (in.op) {
  case Opcode::Unreachable: SetUnreachable(); return {};
  case Opcode::Block:
  case Opcode::Loop:
  case Opcode::If: {
    TypeList params, results;
    WEFT_TRY(BlockSignature(in.block, &params, &results));
    if (in.op == Opcode::If) WEFT_TRY(Pop(ValType::I32));
    WEFT_TRY(PopList(params));
    PushCtrl(in.op, params, results);
    return {};
  }
  case Opcode::Else: {
    if (ctrls_.back().op != Opcode::If) return Fail("else without matching if");
    Frame f;
    WEFT_TRY(PopCtrl(&f));
    PushCtrl(Opcode::Else, f.params, f.results);
    return {};
  }
  case Opcode::End: {
    Frame f;
    WEFT_TRY(PopCtrl(&f));
    if (f.op == Opcode::If) {
      // An if without else has an empty else branch, which must turn the
      // block's parameters into its results.
      PushCtrl(Opcode::Else, f.params, f.results);
      WEFT_TRY(PopCtrl(&f));
    }
    PushList(f.results);
    return {};
  }
  case Opcode::Br: {
    TypeList types;
    WEFT_TRY(LabelTypes(in.a, &types));
    WEFT_TRY(PopList(types));
    SetUnreachable();
    return {};
  }
  case Opcode::BrIf: {
    TypeList types;
    WEFT_TRY(LabelTypes(in.a, &types));
    WEFT_TRY(Pop(ValType::I32));
    WEFT_TRY(PopList(types));
    PushList(types);
    return {};
  }
  case Opcode::BrTable: {
    const std::vector<uint32_t>& targets = func_.br_targets;
    if (uint64_t{in.a} + in.c >= targets.size())
      return Fail("br_table target list out of range");
    WEFT_TRY(Pop(ValType::I32));
    TypeList default_types;
    WEFT_TRY(LabelTypes(targets[in.a + in.c], &default_types));
    for (uint32_t i = 0; i < in.c; ++i) {
      TypeList types;
      WEFT_TRY(LabelTypes(targets[in.a + i], &types));
      if (types.size() != default_types.size())
        return Fail("type mismatch: br_table targets have different arities (" +
                    std::to_string(types.size()) + " vs " +
                    std::to_string(default_types.size()) + ")");
      WEFT_TRY(PopAndRepush(types));
    }
    WEFT_TRY(PopList(default_types));
    SetUnreachable();
    return {};
  }
  case Opcode::Return:
    WEFT_TRY(PopList(ctrls_.front().results));
    SetUnreachable();
    return {};
  case Opcode::Call: {
    if (in.a >= ctx_.func_types.size())
      return Fail(UnknownIndex("function", in.a));
    const FuncType& ft = ctx_.FuncTypeOf(in.a);
    WEFT_TRY(PopList(TypeList(&ft.params)));
    PushList(TypeList(&ft.results));
    return {};
  }
  case Opcode::CallIndirect: {
    WEFT_TRY(CheckTable(in.c));
    if (in.a >= m_.types.size()) return Fail(UnknownIndex("type", in.a));
    if (ctx_.tables[in.c].elem != ValType::FuncRef)
      return Fail("type mismatch: call_indirect on a table of " +
                  std::string(ValTypeName(ctx_.tables[in.c].elem)));
    const FuncType& ft = m_.types[in.a];
    WEFT_TRY(Pop(ValType::I32));
    WEFT_TRY(PopList(TypeList(&ft.params)));
    PushList(TypeList(&ft.results));
    return {};
  }
  default: return Fail("unexpected control instruction");
  }
}

Status FuncValidator::StepVariable(const Instr& in) {
  switch (in.op) {
  case Opcode::LocalGet:
  case Opcode::LocalSet:
  case Opcode::LocalTee: {
    if (in.a >= NumLocals()) return Fail(UnknownIndex("local", in.a));
    ValType t = LocalType(in.a);
    if (in.op != Opcode::LocalGet) WEFT_TRY(Pop(t));
    if (in.op != Opcode::LocalSet) Push(t);
    return {};
  }
  case Opcode::GlobalGet:
    if (in.a >= ctx_.globals.size()) return Fail(UnknownIndex("global", in.a));
    Push(ctx_.globals[in.a].type);
    return {};
  case Opcode::GlobalSet: {
    if (in.a >= ctx_.globals.size()) return Fail(UnknownIndex("global", in.a));
    const GlobalType& g = ctx_.globals[in.a];
    if (!g.mut)
      return Fail("global is immutable: global.set " + std::to_string(in.a));
    return Pop(g.type);
  }
  default: return Fail("unexpected variable instruction");
  }
}

Status FuncValidator::StepReference(const Instr& in) {
  switch (in.op) {
  case Opcode::Drop: return PopAny(nullptr);
  case Opcode::Select: {
    ValType t1 = kUnknown, t2 = kUnknown;
    WEFT_TRY(Pop(ValType::I32));
    WEFT_TRY(PopAny(&t1));
    WEFT_TRY(PopAny(&t2));
    if (IsRefType(t1) || IsRefType(t2))
      return Fail("type mismatch: select without a type annotation needs "
                  "numeric or vector operands");
    if (t1 != t2 && t1 != kUnknown && t2 != kUnknown)
      return Fail(std::string("type mismatch in select: operands are ") +
                  TypeName(t2) + " and " + TypeName(t1));
    Push(t1 == kUnknown ? t2 : t1);
    return {};
  }
  case Opcode::SelectT: {
    if (in.c != 1) return Fail("invalid result arity for select");
    if (!IsValTypeByte(static_cast<uint8_t>(in.a)))
      return Fail("invalid value type in select");
    ValType t = static_cast<ValType>(in.a);
    WEFT_TRY(Pop(ValType::I32));
    WEFT_TRY(Pop(t));
    WEFT_TRY(Pop(t));
    Push(t);
    return {};
  }
  case Opcode::TableGet:
    WEFT_TRY(CheckTable(in.a));
    WEFT_TRY(Pop(ValType::I32));
    Push(ctx_.tables[in.a].elem);
    return {};
  case Opcode::TableSet:
    WEFT_TRY(CheckTable(in.a));
    WEFT_TRY(Pop(ctx_.tables[in.a].elem));
    return Pop(ValType::I32);
  case Opcode::TableGrow:
    WEFT_TRY(CheckTable(in.a));
    WEFT_TRY(Pop(ValType::I32));
    WEFT_TRY(Pop(ctx_.tables[in.a].elem));
    Push(ValType::I32);
    return {};
  case Opcode::TableFill:
    WEFT_TRY(CheckTable(in.a));
    WEFT_TRY(Pop(ValType::I32));
    WEFT_TRY(Pop(ctx_.tables[in.a].elem));
    return Pop(ValType::I32);
  case Opcode::RefNull: {
    ValType t = static_cast<ValType>(in.a);
    if (!IsRefType(t)) return Fail("malformed reference type");
    Push(t);
    return {};
  }
  case Opcode::RefIsNull: {
    ValType t = kUnknown;
    WEFT_TRY(PopAny(&t));
    if (t != kUnknown && !IsRefType(t))
      return Fail(std::string("type mismatch in ref.is_null: expected a "
                              "reference, got ") +
                  TypeName(t));
    Push(ValType::I32);
    return {};
  }
  case Opcode::RefFunc:
    if (in.a >= ctx_.func_types.size())
      return Fail(UnknownIndex("function", in.a));
    if (!ctx_.declared_funcs[in.a])
      return Fail("undeclared function reference: function " +
                  std::to_string(in.a) +
                  " is not in an element segment, export or global");
    Push(ValType::FuncRef);
    return {};
  default: return Fail("unexpected reference instruction");
  }
}

Status FuncValidator::StepFixed(const Instr& in, const OpcodeInfo& info) {
  WEFT_TRY(CheckImmediates(in, info));
  const OpSignature& sig = info.sig;
  for (unsigned i = sig.num_params; i-- > 0;)
    WEFT_TRY(Pop(sig.params[i]));
  if (sig.num_results) Push(sig.result);
  return {};
}

Status FuncValidator::Step(const Instr& in) {
  const OpcodeInfo& info = GetOpcodeInfo(in.op);
  if (!info.sig.special) return StepFixed(in, info);
  switch (in.op) {
  case Opcode::LocalGet:
  case Opcode::LocalSet:
  case Opcode::LocalTee:
  case Opcode::GlobalGet:
  case Opcode::GlobalSet: return StepVariable(in);
  case Opcode::Drop:
  case Opcode::Select:
  case Opcode::SelectT:
  case Opcode::TableGet:
  case Opcode::TableSet:
  case Opcode::TableGrow:
  case Opcode::TableFill:
  case Opcode::RefNull:
  case Opcode::RefIsNull:
  case Opcode::RefFunc: return StepReference(in);
  default: return StepControl(in);
  }
}

Status FuncValidator::Run() {
  PushCtrl(Opcode::Block, TypeList(), TypeList(&type_.results));
  for (const Instr& in : func_.code) {
    cur_ = &in;
    if (ctrls_.empty())
      return Fail("operators remaining after end of function");
    WEFT_TRY(Step(in));
  }
  if (!ctrls_.empty()) {
    cur_ = nullptr;
    return Fail("function body must end with end");
  }
  return {};
}

} // namespace

Status ValidateFunction(const ModuleContext& ctx, uint32_t func_index,
                        const Function& func) {
  FuncValidator v(ctx, func_index, func);
  return v.Run();
}

} // namespace weft::validation
