// Lowering: validated function bodies -> the slot-machine code of code.h.
//
// The lowering tracks a virtual operand stack whose entries are either a
// temporary in its canonical slot (stack position), a reference to another
// slot (a local, read lazily), a constant, or "slot + constant" (an i32
// address computation). Local reads and constants cost no instruction: the
// consumer names the local's slot or takes the constant as an immediate.
// Lazy entries are materialized into their canonical slots before anything
// could change what they refer to (local.set / local.tee of that local), at
// block boundaries, and where a call needs its arguments contiguous.
//
// Peephole fusions on the instruction just emitted (never across a label):
// - a value stored by local.set/tee is written straight into the local by
//   retargeting its producer;
// - compare (or eqz, or an eqz of a compare) + br_if / if -> one
//   compare-and-branch; a preceding add to the compared local joins it
//   (a loop's increment and test);
// - slot + constant folds into a load/store's effective address;
// - a load feeding arithmetic becomes its memory operand (_M), arithmetic
//   feeding a store stores directly (_S), both on one address is a
//   read-modify-write (_MS).
#include <cstring>
#include <map>

#include "interp/interp_module.h"
#include "interp/lower_ops.h"

namespace weft::interp {
namespace {

constexpr size_t kNone = ~size_t{0};

// Temp: in its canonical slot. Slot: lives in `slot` (a local). Const: the
// bits `k`. AddK: the i32 value slot + k, where `slot` is a local or the
// entry's own canonical slot (an address computation, folded into the
// memory access that consumes it).
enum class Loc : uint8_t { Temp, Slot, Const, AddK };

struct Entry {
  ValType type = ValType::I32;
  Loc loc = Loc::Temp;
  uint32_t canon = 0;      // canonical slot (its stack position)
  uint32_t slot = 0;       // Loc::Slot / AddK: where the value lives
  uint64_t k = 0;          // Loc::Const: the bits; AddK: the addend
  size_t producer = kNone; // Loc::Temp: offset of the instruction writing it
};

// A branch field to patch: the branch record's offset and the absolute byte
// offset of its int32 displacement.
struct Fixup {
  size_t instr;
  size_t field;
};

struct Ctrl {
  Opcode op = Opcode::Nop; // Block, Loop, If; Nop for the function body
  std::vector<ValType> params, results;
  size_t height = 0;               // operand entries below the params
  uint32_t slot_height = 0;        // canonical slot of the first param / result
  size_t label = kNone;            // loop: code offset of its start
  std::vector<Fixup> fixups;       // forward branches to the end
  std::optional<Fixup> else_fixup; // if: the branch taken when false
  uint32_t else_index = 0, end_index = 0;
  bool unreachable = false;
  bool in_else = false;
  bool has_hidden = false; // if: params saved in hidden slots for the else
  uint32_t hidden = 0;
};

// The last compare emitted, for compare-and-branch fusion.
struct CmpInfo {
  size_t off = kNone; // the compare
  size_t end = kNone; // the last instruction of the group (an i32.eqz
                      // applied to the compare's result extends it)
  Opcode op = Opcode::Nop;
  uint32_t a = 0, b = 0;
  uint64_t k = 0;
  bool is_k = false;
  bool negated = false; // the group computes !(a op b)
};

// The last integer add emitted, for fusing it into a compare-and-branch
// that tests its result (a loop's increment and test).
struct AddInfo {
  size_t off = kNone, size = 0;
  bool is64 = false, is_k = false;
  uint32_t d = 0, a = 0, b = 0;
  uint64_t k = 0;
};

// The last arithmetic emitted that has memory-operand / store forms, for
// fusing it into the store of its result.
struct BinInfo {
  size_t off = kNone;
  Opcode op = Opcode::Nop;
  bool mem = false;      // the _M form: b was loaded from addr
  uint32_t a = 0, b = 0; // operand slots (b unused when mem)
  uint32_t addr = 0, offset = 0, add = 0;
};

// The last plain load emitted, for fusing it into its consumer.
struct LoadInfo {
  size_t off = kNone;
  IOp op = IOp::I32Load;
  uint32_t addr = 0, offset = 0, add = 0;
};

// A branch condition, ready to emit.
struct Cond {
  enum Kind { Slot, Const, Fused } kind = Slot;
  uint32_t slot = 0;          // Slot
  uint64_t k = 0;             // Const
  CmpInfo cmp;                // Fused
  std::optional<AddInfo> add; // Fused: an add to perform before the test
};

class Lowerer {
public:
  Lowerer(const Module& m, uint32_t index, const std::vector<CompiledFunc>& all,
          CompiledFunc& out)
      : m_(m), fn_(m.functions[index]), type_(m.types[fn_.type_index]),
        all_(all), out_(out), handlers_(HandlerTable()) {}

  Status Run();

private:
  // --- emission
  // ---------------------------------------------------------------
  size_t Here() const { return code_.size() * 8; }
  uint8_t* Bytes() { return reinterpret_cast<uint8_t*>(code_.data()); }

  template <typename S> size_t Emit(IOp op, S s) {
    static_assert(sizeof(S) % 8 == 0);
    s.h = handlers_[static_cast<size_t>(op)];
    const size_t off = Here();
    code_.resize(code_.size() + sizeof(S) / 8);
    std::memcpy(Bytes() + off, &s, sizeof(S));
    last_ = off;
    if constexpr (requires { s.x; }) last_dst_ = off + offsetof(S, x);
    if constexpr (std::is_same_v<S, In2K>) {
      if (op == IOp::I32Add_K || op == IOp::I64Add_K)
        add_ = AddInfo{off, sizeof(S), op == IOp::I64Add_K, true, s.x, s.y,
                       0,   s.k};
    } else if constexpr (std::is_same_v<S, In4>) {
      if (op == IOp::I32Add || op == IOp::I64Add)
        add_ =
            AddInfo{off, sizeof(S), op == IOp::I64Add, false, s.x, s.y, s.z, 0};
    }
    return off;
  }
  // A label is bound here: nothing may be fused across it.
  void BindLabel() {
    last_ = kNone;
    label_pos_ = Here();
  }
  void Patch(const Fixup& f, size_t target) {
    const auto rel = static_cast<int32_t>(static_cast<int64_t>(target) -
                                          static_cast<int64_t>(f.instr));
    std::memcpy(Bytes() + f.field, &rel, 4);
  }
  // Redirects the destination of the last instruction.
  void PatchDst(uint32_t slot) {
    std::memcpy(Bytes() + last_dst_, &slot, 4);
    if (add_.off == last_) add_.d = slot;
  }

  // --- virtual stack
  // ----------------------------------------------------------
  Entry& Push(ValType t) {
    Entry e;
    e.type = t;
    e.canon = top_;
    top_ += SlotCount(t);
    max_ = std::max(max_, top_);
    vs_.push_back(e);
    return vs_.back();
  }
  void PushResult(ValType t, size_t producer) { Push(t).producer = producer; }
  void PushSlot(ValType t, uint32_t slot) {
    Entry& e = Push(t);
    e.loc = Loc::Slot;
    e.slot = slot;
  }
  void PushConst(ValType t, uint64_t k) {
    Entry& e = Push(t);
    e.loc = Loc::Const;
    e.k = k;
  }
  Entry Pop() {
    Entry e = vs_.back();
    vs_.pop_back();
    top_ = e.canon;
    return e;
  }
  // A slot holding e's value (constants are written to their canonical slot).
  uint32_t Use(const Entry& e) {
    switch (e.loc) {
    case Loc::Temp: return e.canon;
    case Loc::Slot: return e.slot;
    case Loc::Const:
      Emit(IOp::Const, In2K{nullptr, e.canon, 0, e.k});
      return e.canon;
    case Loc::AddK:
      Emit(IOp::I32Add_K, In2K{nullptr, e.canon, e.slot, e.k});
      return e.canon;
    }
    return e.canon;
  }
  void EmitMove(uint32_t dst, const Entry& e) {
    if (e.loc == Loc::Const) {
      Emit(IOp::Const, In2K{nullptr, dst, 0, e.k});
      return;
    }
    if (e.loc == Loc::AddK) {
      Emit(IOp::I32Add_K, In2K{nullptr, dst, e.slot, e.k});
      return;
    }
    const uint32_t src = e.loc == Loc::Slot ? e.slot : e.canon;
    if (src == dst) return;
    Emit(e.type == ValType::V128 ? IOp::Copy2 : IOp::Copy1,
         In2{nullptr, dst, src});
  }
  void Materialize(size_t i) {
    Entry& e = vs_[i];
    if (e.loc == Loc::Temp) return;
    EmitMove(e.canon, e);
    e.loc = Loc::Temp;
    e.producer = kNone;
  }
  void MaterializeAll() {
    for (size_t i = 0; i < vs_.size(); ++i)
      Materialize(i);
  }
  void MaterializeTop(size_t n) {
    for (size_t i = vs_.size() - n; i < vs_.size(); ++i)
      Materialize(i);
  }
  // Before `slot` is written: entries that read it lazily take a copy.
  void InvalidateSlot(uint32_t slot) {
    for (size_t i = 0; i < vs_.size(); ++i)
      if ((vs_[i].loc == Loc::Slot || vs_[i].loc == Loc::AddK) &&
          vs_[i].slot == slot)
        Materialize(i);
  }
  // The address operand of a scalar load/store: a slot plus an addend.
  std::pair<uint32_t, uint32_t> Address(const Entry& a) {
    if (a.loc == Loc::AddK) return {a.slot, static_cast<uint32_t>(a.k)};
    if (a.loc == Loc::Const && zero_slot_ != kNoSlot)
      return {zero_slot_, static_cast<uint32_t>(a.k)};
    return {Use(a), 0};
  }
  bool IsFresh(const Entry& e) const {
    return e.loc == Loc::Temp && e.producer != kNone && e.producer == last_;
  }

  // --- control
  // ----------------------------------------------------------------
  void BlockSig(const BlockType& bt, std::vector<ValType>& params,
                std::vector<ValType>& results) const {
    switch (bt.kind) {
    case BlockType::Kind::Empty: break;
    case BlockType::Kind::Value: results.push_back(bt.value); break;
    case BlockType::Kind::TypeIndex:
      params = m_.types[bt.type_index].params;
      results = m_.types[bt.type_index].results;
      break;
    }
  }
  Ctrl& Target(uint32_t depth) { return ctrl_[ctrl_.size() - 1 - depth]; }
  bool IsFunc(const Ctrl& c) const { return &c == &ctrl_[0]; }
  static const std::vector<ValType>& LabelTypes(const Ctrl& c) {
    return c.op == Opcode::Loop ? c.params : c.results;
  }
  bool NeedMoves(const Ctrl& c) const {
    const auto& ts = LabelTypes(c);
    uint32_t dst = c.slot_height;
    for (size_t i = 0; i < ts.size(); ++i) {
      const Entry& e = vs_[vs_.size() - ts.size() + i];
      if (e.loc != Loc::Temp || e.canon != dst) return true;
      dst += SlotCount(ts[i]);
    }
    return false;
  }
  // Copies the label's values into the target's slots. Does not change the
  // virtual stack (the moves may sit on one path of a conditional branch).
  // Destinations are at or below each source's canonical slot, so copying
  // in order never overwrites a source still to be read.
  void EmitMoves(const Ctrl& c) {
    const auto& ts = LabelTypes(c);
    uint32_t dst = c.slot_height;
    for (size_t i = 0; i < ts.size(); ++i) {
      EmitMove(dst, vs_[vs_.size() - ts.size() + i]);
      dst += SlotCount(ts[i]);
    }
  }
  void AddTarget(const Fixup& f, Ctrl& t) {
    if (t.op == Opcode::Loop)
      Patch(f, t.label);
    else
      t.fixups.push_back(f);
  }
  void EmitBr(Ctrl& t) {
    const size_t off = Emit(IOp::Br, In2{});
    AddTarget({off, off + 8}, t);
  }
  // Results to fp[0...], then return. Leaves the virtual stack unchanged.
  void EmitReturn() {
    const auto& rs = type_.results;
    const size_t n = rs.size();
    if (n == 0) {
      Emit(IOp::Ret, In0{});
      return;
    }
    if (n == 1) {
      const Entry& e = vs_.back();
      if (e.loc == Loc::Const || e.loc == Loc::AddK) {
        EmitMove(0, e);
        Emit(IOp::Ret, In0{});
        return;
      }
      const uint32_t src = e.loc == Loc::Slot ? e.slot : e.canon;
      if (src == 0)
        Emit(IOp::Ret, In0{});
      else
        Emit(rs[0] == ValType::V128 ? IOp::Ret2 : IOp::Ret1,
             In2{nullptr, src, 0});
      return;
    }
    // Several results: locals they read could be overwritten by the copies
    // into fp[0...], so first copy those to their canonical temporaries.
    std::vector<Entry> es(vs_.end() - static_cast<ptrdiff_t>(n), vs_.end());
    for (Entry& e : es) {
      if (e.loc != Loc::Slot && e.loc != Loc::AddK) continue;
      EmitMove(e.canon, e);
      e.loc = Loc::Temp;
    }
    uint32_t dst = 0;
    for (size_t i = 0; i < n; ++i) {
      EmitMove(dst, es[i]);
      dst += SlotCount(rs[i]);
    }
    Emit(IOp::Ret, In0{});
  }
  // The remaining code of the current block is unreachable: skip to its
  // else or end.
  void SetUnreachable() {
    Ctrl& c = ctrl_.back();
    c.unreachable = true;
    vs_.resize(c.height);
    top_ = c.slot_height;
    next_ = (c.op == Opcode::If && !c.in_else && c.else_index != 0)
                ? c.else_index
                : c.end_index;
  }

  Cond TakeCond(const Entry& c) {
    Cond cond;
    if (IsFresh(c) && cmp_.end == last_ && last_ != kNone) {
      // Fuse: drop the compare and branch on its operands instead.
      code_.resize(cmp_.off / 8);
      last_ = kNone;
      cond.kind = Cond::Fused;
      cond.cmp = cmp_;
      cmp_.off = cmp_.end = kNone;
      TakeAdd(cond);
      return cond;
    }
    if (c.loc == Loc::Const) {
      cond.kind = Cond::Const;
      cond.k = c.k;
      return cond;
    }
    cond.slot = Use(c);
    // Branching on the result of an i32 add just emitted (a count-down
    // loop): the add moves into an add-and-branch against zero.
    const AddInfo& ad = add_;
    if (ad.off != kNone && ad.off == last_ && !ad.is64 && ad.d == cond.slot &&
        label_pos_ <= ad.off) {
      code_.resize(ad.off / 8);
      last_ = kNone;
      cond.kind = Cond::Fused;
      cond.cmp = CmpInfo{};
      cond.cmp.op = Opcode::I32Ne;
      cond.cmp.a = ad.d;
      cond.cmp.is_k = true;
      cond.add = ad;
      add_.off = kNone;
    }
    return cond;
  }
  // If the compare tests the result of an add emitted just before it, the
  // add moves into the branch too (no label may sit between them).
  void TakeAdd(Cond& cond) {
    CmpInfo& f = cond.cmp;
    const AddInfo& ad = add_;
    if (f.op == Opcode::I32Eqz || f.op == Opcode::I64Eqz || IsFloatCmp(f.op))
      return;
    if (ad.off == kNone || ad.off + ad.size != f.off || label_pos_ > ad.off)
      return;
    if (ad.is64 != Is64Cmp(f.op)) return;
    if (ad.is_k && static_cast<uint64_t>(static_cast<int32_t>(ad.k)) != ad.k &&
        (ad.is64 || static_cast<uint32_t>(ad.k) != ad.k))
      return;
    if (f.a != ad.d) {
      if (f.is_k || f.b != ad.d) return;
      auto swapped = SwapCmp(f.op);
      if (!swapped && f.op != Opcode::I32Eq && f.op != Opcode::I32Ne &&
          f.op != Opcode::I64Eq && f.op != Opcode::I64Ne)
        return;
      if (swapped) f.op = *swapped;
      std::swap(f.a, f.b);
    }
    code_.resize(ad.off / 8);
    cond.add = ad;
    add_.off = kNone;
  }
  // Emits a branch taken when the condition is `sense`. Returns its fixup,
  // or nullopt when it can never be taken.
  std::optional<Fixup> EmitCondBr(const Cond& c, bool sense) {
    size_t off;
    if (c.kind == Cond::Fused && c.cmp.negated) sense = !sense;
    switch (c.kind) {
    case Cond::Const:
      if ((static_cast<uint32_t>(c.k) != 0) != sense) return std::nullopt;
      off = Emit(IOp::Br, In2{});
      break;
    case Cond::Slot:
      off = Emit(sense ? IOp::BrIfNz32 : IOp::BrIfZ32, In2{nullptr, 0, c.slot});
      break;
    case Cond::Fused: {
      const CmpInfo& f = c.cmp;
      if (f.op == Opcode::I32Eqz || f.op == Opcode::I64Eqz) {
        const bool is64 = f.op == Opcode::I64Eqz;
        const IOp op = sense ? (is64 ? IOp::BrIfZ64 : IOp::BrIfZ32)
                             : (is64 ? IOp::BrIfNz64 : IOp::BrIfNz32);
        off = Emit(op, In2{nullptr, 0, f.a});
        break;
      }
      if (IsFloatCmp(f.op)) {
        const IOp iop = BrIfFloatCmp(f.op, sense, f.is_k);
        if (f.is_k)
          off = Emit(iop, In2K{nullptr, 0, f.a, f.k});
        else
          off = Emit(iop, In4{nullptr, 0, f.a, f.b, 0});
        break;
      }
      const Opcode op = sense ? f.op : NegateCmp(f.op);
      if (c.add) {
        const AddInfo& ad = *c.add;
        const IOp iop = AddBrCmp(op, ad.is_k, f.is_k);
        const uint32_t b = ad.is_k ? static_cast<uint32_t>(ad.k) : ad.b;
        if (f.is_k)
          off = Emit(iop, In4K{nullptr, 0, ad.d, ad.a, b, f.k});
        else
          off = Emit(iop, In6{nullptr, 0, ad.d, ad.a, b, f.b, 0});
        break;
      }
      if (f.is_k)
        off = Emit(BrIfCmpK(op), In2K{nullptr, 0, f.a, f.k});
      else
        off = Emit(BrIfCmp(op), In4{nullptr, 0, f.a, f.b, 0});
      break;
    }
    default: return std::nullopt;
    }
    return Fixup{off, off + 8};
  }

  // --- instructions -------------------------------------------------------
  Status Lower(const Instr& in);
  void LowerBlock(const Instr& in);
  void LowerIf(const Instr& in);
  void LowerElse();
  void LowerEnd();
  void LowerBrIf(uint32_t depth);
  void LowerBrTable(const Instr& in);
  void LowerCall(uint32_t func);
  void LowerCallIndirect(uint32_t type_index, uint32_t table);
  void LowerLocalSet(uint32_t index, bool tee);
  void LowerBinary(Opcode op, IOp iop, ValType result);
  Status LowerSimd(const Instr& in);

  const Module& m_;
  const Function& fn_;
  const FuncType& type_;
  const std::vector<CompiledFunc>& all_;
  CompiledFunc& out_;
  const Handler* handlers_;

  std::vector<uint64_t> code_;
  size_t last_ = kNone; // offset of the last instruction, if no label since
  size_t last_dst_ = 0; // offset of its field x (the destination slot)
  CmpInfo cmp_;
  LoadInfo load_;
  AddInfo add_;
  BinInfo bin_;
  size_t label_pos_ = 0; // offset of the last label bound
  std::vector<Entry> vs_;
  uint32_t top_ = 0, max_ = 0;
  std::vector<Ctrl> ctrl_;
  std::vector<uint32_t> local_slot_;
  std::vector<ValType> local_type_;
  uint32_t next_hidden_ = 0;
  static constexpr uint32_t kNoSlot = ~0u;
  uint32_t zero_slot_ = kNoSlot; // a local that stays 0, for constant addresses
  size_t next_ = 0;              // index of the next instruction to lower
};

Status Lowerer::Run() {
  // Frame layout: params, locals, hidden slots, temporaries.
  uint32_t slot = 0;
  for (ValType t : type_.params) {
    local_slot_.push_back(slot);
    local_type_.push_back(t);
    slot += SlotCount(t);
  }
  out_.param_slots = slot;
  for (ValType t : fn_.locals) {
    local_slot_.push_back(slot);
    local_type_.push_back(t);
    slot += SlotCount(t);
  }
  for (const Instr& in : fn_.code) {
    if (LoadOp(in.op) || StoreOp(in.op)) {
      zero_slot_ = slot++; // zeroed on entry with the locals, never written
      break;
    }
  }
  out_.local_slots = slot - out_.param_slots;
  next_hidden_ = slot;
  for (const Instr& in : fn_.code) {
    if (in.op != Opcode::If || in.else_index == 0 ||
        in.block.kind != BlockType::Kind::TypeIndex)
      continue;
    slot += SlotCount(m_.types[in.block.type_index].params);
  }
  top_ = max_ = slot;
  out_.type_index = fn_.type_index;

  Ctrl body;
  body.op = Opcode::Nop;
  body.results = type_.results;
  body.slot_height = top_;
  body.end_index = static_cast<uint32_t>(fn_.code.size() - 1);
  ctrl_.push_back(std::move(body));

  const size_t n = fn_.code.size();
  for (size_t i = 0; i < n && !ctrl_.empty(); i = next_) {
    next_ = i + 1;
    WEFT_TRY(Lower(fn_.code[i]));
  }
  if (!ctrl_.empty()) {
    Error e;
    e.message = "lowering: function body does not end";
    return e;
  }
  out_.frame_slots = max_ + 2; // slack: a v128 result may sit at the top
  out_.storage = std::move(code_);
  out_.code = reinterpret_cast<const uint8_t*>(out_.storage.data());
  return {};
}

void Lowerer::LowerBlock(const Instr& in) {
  Ctrl c;
  c.op = in.op;
  BlockSig(in.block, c.params, c.results);
  MaterializeAll();
  c.height = vs_.size() - c.params.size();
  c.slot_height = c.params.empty() ? top_ : vs_[c.height].canon;
  c.end_index = in.end_index;
  if (in.op == Opcode::Loop) {
    BindLabel();
    c.label = Here();
  }
  ctrl_.push_back(std::move(c));
}

void Lowerer::LowerIf(const Instr& in) {
  const Entry ce = Pop();
  const Cond cond = TakeCond(ce);
  Ctrl c;
  c.op = Opcode::If;
  BlockSig(in.block, c.params, c.results);
  MaterializeAll();
  c.height = vs_.size() - c.params.size();
  c.slot_height = c.params.empty() ? top_ : vs_[c.height].canon;
  c.end_index = in.end_index;
  c.else_index = in.else_index;
  if (in.else_index != 0 && !c.params.empty()) {
    // The then-arm consumes the params from their slots; keep a copy for
    // the else-arm.
    c.has_hidden = true;
    c.hidden = next_hidden_;
    for (size_t i = c.height; i < vs_.size(); ++i) {
      EmitMove(next_hidden_, vs_[i]);
      next_hidden_ += SlotCount(vs_[i].type);
    }
  }
  c.else_fixup = EmitCondBr(cond, false);
  ctrl_.push_back(std::move(c));
}

void Lowerer::LowerElse() {
  Ctrl& c = ctrl_.back();
  if (!c.unreachable) {
    MaterializeTop(c.results.size());
    const size_t off = Emit(IOp::Br, In2{});
    c.fixups.push_back({off, off + 8});
  }
  if (c.else_fixup) {
    Patch(*c.else_fixup, Here());
    c.else_fixup.reset();
  }
  BindLabel();
  vs_.resize(c.height);
  top_ = c.slot_height;
  uint32_t h = c.hidden;
  for (ValType t : c.params) {
    if (c.has_hidden) {
      PushSlot(t, h);
      h += SlotCount(t);
    } else {
      Push(t);
    }
  }
  c.unreachable = false;
  c.in_else = true;
}

void Lowerer::LowerEnd() {
  Ctrl& c = ctrl_.back();
  if (ctrl_.size() == 1) {
    if (!c.unreachable) EmitReturn();
    ctrl_.pop_back();
    return;
  }
  if (!c.unreachable) MaterializeTop(c.results.size());
  if (c.else_fixup) Patch(*c.else_fixup, Here());
  for (const Fixup& f : c.fixups)
    Patch(f, Here());
  BindLabel();
  vs_.resize(c.height);
  top_ = c.slot_height;
  std::vector<ValType> results = std::move(c.results);
  ctrl_.pop_back();
  for (ValType t : results)
    Push(t);
}

void Lowerer::LowerBrIf(uint32_t depth) {
  const Entry ce = Pop();
  const Cond cond = TakeCond(ce);
  Ctrl& t = Target(depth);
  if (!IsFunc(t) && !NeedMoves(t)) {
    if (auto f = EmitCondBr(cond, true)) AddTarget(*f, t);
    return;
  }
  const auto skip = EmitCondBr(cond, false);
  if (IsFunc(t)) {
    EmitReturn();
  } else {
    EmitMoves(t);
    EmitBr(t);
  }
  if (skip) Patch(*skip, Here());
  BindLabel();
}

void Lowerer::LowerBrTable(const Instr& in) {
  const Entry ie = Pop();
  const uint32_t s = Use(ie);
  const uint32_t n = in.c;
  const size_t words = 2 + (4 * (n + 1) + 7) / 8;
  const size_t off = Here();
  code_.resize(code_.size() + words);
  In2 head{handlers_[static_cast<size_t>(IOp::BrTable)], s, n};
  std::memcpy(Bytes() + off, &head, sizeof(head));
  last_ = off;
  std::map<uint32_t, size_t> trampolines;           // depth -> code offset
  std::vector<std::pair<size_t, uint32_t>> pending; // field, depth
  for (uint32_t j = 0; j <= n; ++j) {
    const uint32_t depth = fn_.br_targets[in.a + j];
    Ctrl& t = Target(depth);
    const Fixup f{off, off + sizeof(In2) + 4 * static_cast<size_t>(j)};
    if (!IsFunc(t) && !NeedMoves(t))
      AddTarget(f, t);
    else
      pending.push_back({f.field, depth});
  }
  for (const auto& [field, depth] : pending) {
    auto it = trampolines.find(depth);
    if (it == trampolines.end()) {
      const size_t here = Here();
      Ctrl& t = Target(depth);
      if (IsFunc(t)) {
        EmitReturn();
      } else {
        EmitMoves(t);
        EmitBr(t);
      }
      it = trampolines.emplace(depth, here).first;
    }
    Patch({off, field}, it->second);
  }
  SetUnreachable();
}

void Lowerer::LowerCall(uint32_t func) {
  const FuncType& ft = m_.types[m_.FuncTypeIndex(func)];
  const size_t np = ft.params.size();
  MaterializeTop(np);
  const uint32_t arg = np ? vs_[vs_.size() - np].canon : top_;
  for (size_t i = 0; i < np; ++i)
    Pop();
  if (func < m_.num_imported_funcs)
    Emit(IOp::CallImport, In2{nullptr, func, arg});
  else
    Emit(IOp::Call,
         InP4{nullptr, &all_[func - m_.num_imported_funcs], arg, 0, 0, 0});
  for (ValType t : ft.results)
    Push(t);
}

void Lowerer::LowerCallIndirect(uint32_t type_index, uint32_t table) {
  const FuncType& ft = m_.types[type_index];
  const size_t np = ft.params.size();
  const Entry ie = Pop();
  MaterializeTop(np);
  const uint32_t es = Use(ie);
  const uint32_t arg = np ? vs_[vs_.size() - np].canon : top_;
  for (size_t i = 0; i < np; ++i)
    Pop();
  Emit(IOp::CallIndirect, In4{nullptr, type_index, table, arg, es});
  for (ValType t : ft.results)
    Push(t);
}

void Lowerer::LowerLocalSet(uint32_t index, bool tee) {
  const Entry v = Pop();
  const uint32_t ls = local_slot_[index];
  const ValType lt = local_type_[index];
  if (!(v.loc == Loc::Slot && v.slot == ls)) {
    InvalidateSlot(ls);
    if (IsFresh(v))
      PatchDst(ls); // the producer writes the local directly
    else
      EmitMove(ls, v);
  }
  if (!tee) return;
  if (v.loc == Loc::Const)
    PushConst(lt, v.k);
  else
    PushSlot(lt, ls);
}

void Lowerer::LowerBinary(Opcode op, IOp iop, ValType result) {
  const Entry b = Pop();
  const Entry a = Pop();
  // i32.add / i32.sub of a constant stays lazy (an AddK entry) when its
  // other operand is a local or sits in the result's own slot.
  if ((op == Opcode::I32Add || op == Opcode::I32Sub) && b.loc == Loc::Const) {
    const uint32_t k =
        static_cast<uint32_t>(op == Opcode::I32Add ? b.k : 0u - b.k);
    if (a.loc == Loc::Slot || a.loc == Loc::AddK ||
        (a.loc == Loc::Temp && a.canon == top_)) {
      Entry& e = Push(ValType::I32);
      e.loc = Loc::AddK;
      e.slot = a.loc == Loc::Temp ? a.canon : a.slot;
      e.k = a.loc == Loc::AddK ? static_cast<uint32_t>(a.k + k) : k;
      return;
    }
  }
  if (op == Opcode::I32Add && a.loc == Loc::Const &&
      (b.loc == Loc::Slot || b.loc == Loc::AddK)) {
    Entry& e = Push(ValType::I32);
    e.loc = Loc::AddK;
    e.slot = b.slot;
    e.k = static_cast<uint32_t>(b.loc == Loc::AddK ? b.k + a.k : a.k);
    return;
  }
  // A load feeding this operator becomes its memory operand.
  if (auto mop = BinaryOpM(op);
      mop && load_.off != kNone && load_.off == last_) {
    const bool wide = result == ValType::I64 || result == ValType::F64;
    if (load_.op == (wide ? IOp::I64Load : IOp::I32Load)) {
      const Entry* other = nullptr;
      if (IsFresh(b))
        other = &a;
      else if (IsFresh(a) && IsCommutative(op) && b.loc != Loc::Const)
        other = &b;
      if (other != nullptr) {
        const LoadInfo l = load_;
        code_.resize(l.off / 8);
        last_ = kNone;
        load_.off = kNone;
        const uint32_t so = Use(*other);
        const size_t off =
            Emit(*mop, In6{nullptr, top_, so, l.addr, l.offset, l.add, 0});
        bin_ = BinInfo{off, op, true, so, 0, l.addr, l.offset, l.add};
        PushResult(result, off);
        return;
      }
    }
  }
  const auto kop = BinaryOpK(op);
  const auto krop = BinaryOpKR(op);
  CmpInfo cmp;
  cmp.op = op;
  size_t off;
  if (kop && b.loc == Loc::Const) {
    cmp.a = Use(a);
    cmp.k = b.k;
    cmp.is_k = true;
    off = Emit(*kop, In2K{nullptr, top_, cmp.a, b.k});
  } else if (kop && a.loc == Loc::Const && (IsCommutative(op) || SwapCmp(op))) {
    if (auto swapped = SwapCmp(op)) cmp.op = *swapped;
    cmp.a = Use(b);
    cmp.k = a.k;
    cmp.is_k = true;
    off = Emit(*BinaryOpK(cmp.op), In2K{nullptr, top_, cmp.a, a.k});
  } else if (krop && a.loc == Loc::Const && b.loc != Loc::Const) {
    off = Emit(*krop, In2K{nullptr, top_, Use(b), a.k});
  } else {
    cmp.a = Use(a);
    cmp.b = Use(b);
    off = Emit(iop, In4{nullptr, top_, cmp.a, cmp.b, 0});
    if (BinaryOpM(op)) bin_ = BinInfo{off, op, false, cmp.a, cmp.b, 0, 0, 0};
  }
  if (IsFusableCmp(cmp.op)) {
    cmp.off = cmp.end = off;
    cmp_ = cmp;
  }
  PushResult(result, off);
}

Status Lowerer::Lower(const Instr& in) {
  const Opcode op = in.op;
  switch (op) {
  case Opcode::Nop: return {};
  case Opcode::Unreachable:
    Emit(IOp::Unreachable, In0{});
    SetUnreachable();
    return {};
  case Opcode::Block:
  case Opcode::Loop: LowerBlock(in); return {};
  case Opcode::If: LowerIf(in); return {};
  case Opcode::Else: LowerElse(); return {};
  case Opcode::End: LowerEnd(); return {};
  case Opcode::Br: {
    Ctrl& t = Target(in.a);
    if (IsFunc(t)) {
      EmitReturn();
    } else {
      EmitMoves(t);
      EmitBr(t);
    }
    SetUnreachable();
    return {};
  }
  case Opcode::BrIf: LowerBrIf(in.a); return {};
  case Opcode::BrTable: LowerBrTable(in); return {};
  case Opcode::Return:
    EmitReturn();
    SetUnreachable();
    return {};
  case Opcode::Call: LowerCall(in.a); return {};
  case Opcode::CallIndirect: LowerCallIndirect(in.a, in.c); return {};
  case Opcode::Drop: Pop(); return {};
  case Opcode::Select:
  case Opcode::SelectT: {
    const Entry c = Pop();
    const Entry b = Pop();
    const Entry a = Pop();
    const uint32_t sa = Use(a), sb = Use(b), sc = Use(c);
    const size_t off =
        Emit(a.type == ValType::V128 ? IOp::Select2 : IOp::Select1,
             In4{nullptr, top_, sa, sb, sc});
    PushResult(a.type, off);
    return {};
  }
  case Opcode::LocalGet:
    PushSlot(local_type_[in.a], local_slot_[in.a]);
    return {};
  case Opcode::LocalSet: LowerLocalSet(in.a, false); return {};
  case Opcode::LocalTee: LowerLocalSet(in.a, true); return {};
  case Opcode::GlobalGet: {
    const ValType t = m_.GetGlobalType(in.a).type;
    const size_t off =
        Emit(t == ValType::V128 ? IOp::GlobalGet2 : IOp::GlobalGet1,
             In2{nullptr, top_, in.a});
    PushResult(t, off);
    return {};
  }
  case Opcode::GlobalSet: {
    const Entry v = Pop();
    const uint32_t s = Use(v);
    Emit(v.type == ValType::V128 ? IOp::GlobalSet2 : IOp::GlobalSet1,
         In2{nullptr, s, in.a});
    return {};
  }
  case Opcode::TableGet: {
    const Entry i = Pop();
    const uint32_t si = Use(i);
    const size_t off = Emit(IOp::TableGet, In4{nullptr, top_, in.a, si, 0});
    PushResult(m_.GetTableType(in.a).elem, off);
    return {};
  }
  case Opcode::TableSet: {
    const Entry v = Pop();
    const Entry i = Pop();
    const uint32_t si = Use(i), sv = Use(v);
    Emit(IOp::TableSet, In4{nullptr, in.a, si, sv, 0});
    return {};
  }
  case Opcode::TableSize:
    PushResult(ValType::I32, Emit(IOp::TableSize, In2{nullptr, top_, in.a}));
    return {};
  case Opcode::TableGrow: {
    const Entry n = Pop();
    const Entry init = Pop();
    const uint32_t si = Use(init), sn = Use(n);
    PushResult(ValType::I32,
               Emit(IOp::TableGrow, In4{nullptr, top_, in.a, si, sn}));
    return {};
  }
  case Opcode::TableFill: {
    const Entry n = Pop();
    const Entry v = Pop();
    const Entry i = Pop();
    const uint32_t si = Use(i), sv = Use(v), sn = Use(n);
    Emit(IOp::TableFill, In4{nullptr, in.a, si, sv, sn});
    return {};
  }
  case Opcode::TableCopy:
  case Opcode::TableInit: {
    const Entry n = Pop();
    const Entry s = Pop();
    const Entry d = Pop();
    const uint32_t sd = Use(d), ss = Use(s), sn = Use(n);
    if (op == Opcode::TableCopy)
      Emit(IOp::TableCopy, In6{nullptr, in.a, in.c, sd, ss, sn, 0});
    else
      Emit(IOp::TableInit, In6{nullptr, in.c, in.a, sd, ss, sn, 0});
    return {};
  }
  case Opcode::ElemDrop: Emit(IOp::ElemDrop, In2{nullptr, in.a, 0}); return {};
  case Opcode::MemorySize:
    PushResult(ValType::I32, Emit(IOp::MemorySize, In2{nullptr, top_, 0}));
    return {};
  case Opcode::MemoryGrow: {
    const Entry n = Pop();
    const uint32_t sn = Use(n);
    PushResult(ValType::I32, Emit(IOp::MemoryGrow, In2{nullptr, top_, sn}));
    return {};
  }
  case Opcode::MemoryInit:
  case Opcode::MemoryCopy:
  case Opcode::MemoryFill: {
    const Entry n = Pop();
    const Entry s = Pop();
    const Entry d = Pop();
    const uint32_t sd = Use(d), ss = Use(s), sn = Use(n);
    if (op == Opcode::MemoryInit)
      Emit(IOp::MemoryInit, In4{nullptr, in.a, sd, ss, sn});
    else
      Emit(op == Opcode::MemoryCopy ? IOp::MemoryCopy : IOp::MemoryFill,
           In4{nullptr, sd, ss, sn, 0});
    return {};
  }
  case Opcode::DataDrop: Emit(IOp::DataDrop, In2{nullptr, in.a, 0}); return {};
  case Opcode::I32Const:
    PushConst(ValType::I32, static_cast<uint32_t>(in.b));
    return {};
  case Opcode::I64Const: PushConst(ValType::I64, in.b); return {};
  case Opcode::F32Const:
    PushConst(ValType::F32, static_cast<uint32_t>(in.b));
    return {};
  case Opcode::F64Const: PushConst(ValType::F64, in.b); return {};
  case Opcode::RefNull: PushConst(static_cast<ValType>(in.a), 0); return {};
  case Opcode::RefIsNull: {
    const Entry a = Pop();
    const uint32_t sa = Use(a);
    PushResult(ValType::I32, Emit(IOp::I64Eqz, In2{nullptr, top_, sa}));
    return {};
  }
  case Opcode::RefFunc:
    PushResult(ValType::FuncRef, Emit(IOp::RefFunc, In2{nullptr, top_, in.a}));
    return {};
  default: break;
  }

  const OpcodeInfo& info = GetOpcodeInfo(op);
  if (info.prefix == 0xFD) return LowerSimd(in);
  if (IsReinterpret(op)) {
    vs_.back().type = info.sig.result;
    return {};
  }
  if (auto lop = LoadOp(op)) {
    const Entry a = Pop();
    const auto [sa, add] = Address(a);
    const auto offset = static_cast<uint32_t>(in.b);
    const size_t off = Emit(*lop, In4{nullptr, top_, sa, offset, add});
    load_ = LoadInfo{off, *lop, sa, offset, add};
    PushResult(info.sig.result, off);
    return {};
  }
  if (auto sop = StoreOp(op)) {
    const Entry v = Pop();
    const Entry a = Pop();
    const auto [sa, add] = Address(a);
    const auto offset = static_cast<uint32_t>(in.b);
    const BinInfo b = bin_;
    if (IsFresh(v) && b.off == last_ && last_ != kNone &&
        StoreWidth(*sop) == ArithWidth(b.op) &&
        (!b.mem || (b.addr == sa && b.offset == offset && b.add == add))) {
      // Store the result of the arithmetic just emitted directly; when that
      // arithmetic read the same location, it is a read-modify-write.
      code_.resize(b.off / 8);
      last_ = kNone;
      bin_.off = kNone;
      if (b.mem)
        Emit(*BinaryOpMS(b.op), In4{nullptr, b.a, sa, offset, add});
      else
        Emit(*BinaryOpS(b.op), In6{nullptr, b.a, b.b, sa, offset, add, 0});
      return {};
    }
    if (v.loc == Loc::Const)
      Emit(*StoreOpK(op),
           In4K{nullptr, 0, sa, static_cast<uint32_t>(in.b), add, v.k});
    else
      Emit(*sop, In4{nullptr, Use(v), sa, static_cast<uint32_t>(in.b), add});
    return {};
  }
  if (auto uop = UnaryOp(op)) {
    const Entry a = Pop();
    const uint32_t sa = Use(a);
    const bool negates_cmp = op == Opcode::I32Eqz && IsFresh(a) &&
                             cmp_.end == last_ && last_ != kNone;
    const size_t off = Emit(*uop, In2{nullptr, top_, sa});
    if (negates_cmp) {
      cmp_.end = off;
      cmp_.negated = !cmp_.negated;
    } else if (op == Opcode::I32Eqz || op == Opcode::I64Eqz) {
      cmp_ = CmpInfo{};
      cmp_.off = cmp_.end = off;
      cmp_.op = op;
      cmp_.a = sa;
    }
    PushResult(info.sig.result, off);
    return {};
  }
  if (auto bop = BinaryOp(op)) {
    LowerBinary(op, *bop, info.sig.result);
    return {};
  }
  Error e;
  e.message = std::string("lowering: unsupported instruction ") + info.name;
  e.offset = in.offset;
  return e;
}

Status Lowerer::LowerSimd(const Instr& in) {
  const Opcode op = in.op;
  const OpcodeInfo& info = GetOpcodeInfo(op);
  const auto offset = static_cast<uint32_t>(in.b);
  if (op == Opcode::V128Const) {
    InV v{};
    v.x = top_;
    std::memcpy(v.bytes, fn_.v128_consts[in.a].bytes, 16);
    PushResult(ValType::V128, Emit(IOp::Const128, v));
    return {};
  }
  if (op == Opcode::I8x16Shuffle) {
    const Entry b = Pop();
    const Entry a = Pop();
    InV v{};
    v.y = Use(a);
    v.z = Use(b);
    v.x = top_;
    std::memcpy(v.bytes, fn_.v128_consts[in.a].bytes, 16);
    PushResult(ValType::V128, Emit(IOp::SimdShuffle, v));
    return {};
  }
  if (op == Opcode::V128Store) {
    const Entry v = Pop();
    const Entry a = Pop();
    const uint32_t sa = Use(a), sv = Use(v);
    Emit(IOp::V128Store, In4{nullptr, sv, sa, offset, 0});
    return {};
  }
  const void* f = SimdFunction(op);
  if (f == nullptr) {
    Error e;
    e.message =
        std::string("lowering: no SIMD implementation for ") + info.name;
    e.offset = in.offset;
    return e;
  }
  const OpSignature& sig = info.sig;
  auto is64 = [](ValType t) { return t == ValType::I64 || t == ValType::F64; };
  switch (info.imm) {
  case ImmKind::MemArg: {
    const Entry a = Pop();
    const uint32_t sa = Use(a);
    PushResult(ValType::V128,
               Emit(IOp::SimdLoad,
                    InP4{nullptr, f, top_, sa, offset, info.mem_bytes}));
    return {};
  }
  case ImmKind::MemArgLane: {
    const Entry v = Pop();
    const Entry a = Pop();
    const uint32_t sa = Use(a), sv = Use(v);
    if (sig.num_results)
      PushResult(ValType::V128,
                 Emit(IOp::SimdLoadLane, InP6{nullptr, f, top_, sa, offset, sv,
                                              in.lane, info.mem_bytes}));
    else
      Emit(IOp::SimdStoreLane,
           InP6{nullptr, f, sv, sa, offset, 0, in.lane, info.mem_bytes});
    return {};
  }
  case ImmKind::Lane:
    if (sig.num_params == 1) {
      const Entry a = Pop();
      const uint32_t sa = Use(a);
      const IOp iop =
          is64(sig.result) ? IOp::SimdExtract64 : IOp::SimdExtract32;
      PushResult(sig.result, Emit(iop, InP4{nullptr, f, top_, sa, in.lane, 0}));
    } else {
      const Entry b = Pop();
      const Entry a = Pop();
      const uint32_t sa = Use(a), sb = Use(b);
      const IOp iop =
          is64(sig.params[1]) ? IOp::SimdReplace64 : IOp::SimdReplace32;
      PushResult(ValType::V128,
                 Emit(iop, InP4{nullptr, f, top_, sa, sb, in.lane}));
    }
    return {};
  default: break;
  }
  IOp iop;
  if (sig.num_params == 1 && sig.params[0] == ValType::V128) {
    iop = sig.result == ValType::V128 ? IOp::SimdV : IOp::SimdIV;
  } else if (sig.num_params == 1) {
    iop = is64(sig.params[0]) ? IOp::SimdSplat64 : IOp::SimdSplat32;
  } else if (sig.num_params == 2) {
    iop = sig.params[1] == ValType::V128 ? IOp::SimdVV : IOp::SimdShift;
  } else {
    iop = IOp::SimdVVV;
  }
  uint32_t s[3] = {};
  Entry e[3];
  for (int i = sig.num_params - 1; i >= 0; --i)
    e[i] = Pop();
  for (int i = 0; i < sig.num_params; ++i)
    s[i] = Use(e[i]);
  PushResult(sig.result, Emit(iop, InP4{nullptr, f, top_, s[0], s[1], s[2]}));
  return {};
}

} // namespace

Status LowerFunction(const Module& m, uint32_t index,
                     const std::vector<CompiledFunc>& all, CompiledFunc& out) {
  Lowerer l(m, index, all, out);
  return l.Run();
}

} // namespace weft::interp
