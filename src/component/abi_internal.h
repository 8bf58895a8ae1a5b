// What the canonical ABI's source files share: the per-call context (Cx),
// the flat value cursors, the type helpers that despecialize tuple, enum,
// option and result (the spec's `despecialize`) without building new
// types, and the two walks (lift: abi_lift.cpp, lower: abi_lower.cpp).
#pragma once

#include <bit>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "component/abi.h"

namespace weft::component::abi {

static_assert(std::endian::native == std::endian::little,
              "the canonical ABI's memory is little-endian");

inline uint64_t AlignTo(uint64_t p, uint64_t a) { return (p + a - 1) / a * a; }

// Primitive scalars (bool .. char): bytes in memory, signedness, flat type.
struct ScalarInfo {
  uint8_t size;
  bool is_signed;
  weft::ValType flat;
};
inline bool IsScalar(ValKind k) { return k <= ValKind::Char; }
inline const ScalarInfo& Scalar(ValKind k) {
  static constexpr ScalarInfo kTable[] = {
      {1, false, weft::ValType::I32}, // bool
      {1, true, weft::ValType::I32},  // s8
      {1, false, weft::ValType::I32}, // u8
      {2, true, weft::ValType::I32},  // s16
      {2, false, weft::ValType::I32}, // u16
      {4, true, weft::ValType::I32},  // s32
      {4, false, weft::ValType::I32}, // u32
      {8, true, weft::ValType::I64},  // s64
      {8, false, weft::ValType::I64}, // u64
      {4, false, weft::ValType::F32}, // f32
      {8, false, weft::ValType::F64}, // f64
      {4, false, weft::ValType::I32}, // char
  };
  return kTable[static_cast<int>(k)];
}

// Variant-like types (variant, enum, option, result): case count and the
// payload type of case i.
inline bool IsVariantLike(ValKind k) {
  return k == ValKind::Variant || k == ValKind::Enum || k == ValKind::Option ||
         k == ValKind::Result;
}
inline uint32_t CaseCount(const ValType& t) {
  switch (t.kind) {
  case ValKind::Variant: return static_cast<uint32_t>(t.cases.size());
  case ValKind::Enum: return static_cast<uint32_t>(t.labels.size());
  default: return 2; // option, result
  }
}
inline std::optional<TypeId> CasePayload(const ValType& t, uint32_t i) {
  switch (t.kind) {
  case ValKind::Variant: return t.cases[i].type;
  case ValKind::Option:
    if (i == 1) return t.elem;
    return std::nullopt;
  case ValKind::Result: return i == 0 ? t.ok : t.err;
  default: return std::nullopt;
  }
}
// Record-like types (record, tuple): member count and types.
inline uint32_t MemberCount(const ValType& t) {
  return static_cast<uint32_t>(t.kind == ValKind::Record ? t.fields.size()
                                                         : t.elems.size());
}
inline TypeId MemberType(const ValType& t, uint32_t i) {
  return t.kind == ValKind::Record ? t.fields[i].type : t.elems[i];
}
// list<u8> and list<s8> keep their bytes in Val::s.
inline bool IsByteElem(const TypeArena& a, TypeId elem) {
  ValKind k = a.vals[elem].kind;
  return k == ValKind::U8 || k == ValKind::S8;
}

// Handles borrowed from the caller for the call in progress (canon lower),
// returned when it ends. Inline for the common few.
class Lends {
public:
  void Add(uint32_t index) {
    if (n_ < kInline)
      inline_[n_++] = index;
    else
      more_.push_back(index);
  }
  void Release(HandleTable& table) {
    for (uint32_t i = 0; i < n_; ++i)
      Return(table, inline_[i]);
    for (uint32_t index : more_)
      Return(table, index);
    n_ = 0;
    more_.clear();
  }

private:
  static void Return(HandleTable& table, uint32_t index) {
    if (HandleElem* h = table.Get(index); h && h->lend_count > 0)
      --h->lend_count;
  }
  static constexpr uint32_t kInline = 8;
  uint32_t inline_[kInline];
  uint32_t n_ = 0;
  std::vector<uint32_t> more_;
};

// One lift or lower at a canon site.
struct Cx {
  Cx(Store& s, const TypeArena& t, const AbiLayouts& l, const CanonOptions& o,
     InstanceState& i, const std::vector<ResourceType*>* r)
      : store(s), types(t), lay(l), opts(o), inst(i), resources(r) {}
  Store& store;
  const TypeArena& types;
  const AbiLayouts& lay;
  const CanonOptions& opts;
  InstanceState& inst;
  const std::vector<ResourceType*>* resources;
  // The guest's memory as of the last call into the guest (realloc may
  // grow and move it): refreshed by Refresh().
  uint8_t* mem = nullptr;
  uint64_t mem_size = 0;
  std::optional<Trap> trap;
  // Lifting: budgets, and where borrowed handles are recorded (null: no
  // borrow may be lifted here, i.e. in results).
  uint64_t values_left = kMaxLiftValues;
  uint64_t bytes_left = kMaxLiftBytes;
  Lends* lends = nullptr;
  // Lowering: the task (index in inst.tasks) borrows are lent to; -1: no
  // borrow may be lowered here.
  int task = -1;

  void Refresh() {
    if (opts.memory) {
      mem = opts.memory->data();
      mem_size = opts.memory->size_bytes();
    }
  }
  void SetLiftBudget() {
    uint64_t b = 2 * mem_size;
    if (b < kMinLiftBytes) b = kMinLiftBytes;
    bytes_left = b < kMaxLiftBytes ? b : kMaxLiftBytes;
  }
  bool Fail(std::string message) {
    if (!trap) trap = Trap{TrapKind::Host, std::move(message), 0};
    return false;
  }
  // Whether [ptr, ptr+len) is in memory and ptr is aligned; else a trap
  // naming `what`.
  bool CheckRange(uint64_t ptr, uint64_t len, uint64_t align, const char* what);
  // The spec's realloc(old, old_size, align, new_size), with may_leave
  // cleared during the call and the result checked (aligned, in bounds).
  bool Realloc(uint32_t old, uint32_t old_size, uint32_t align,
               uint32_t new_size, uint32_t* ptr);
  bool Allocate(uint32_t align, uint32_t size, uint32_t* ptr) {
    return Realloc(0, 0, align, size, ptr);
  }
  uint64_t LoadBits(uint32_t ptr, uint32_t n) const {
    uint64_t v = 0;
    std::memcpy(&v, mem + ptr, n);
    return v;
  }
  void StoreBits(uint32_t ptr, uint64_t v, uint32_t n) {
    std::memcpy(mem + ptr, &v, n);
  }
  uint32_t Load32(uint32_t ptr) const {
    return static_cast<uint32_t>(LoadBits(ptr, 4));
  }
  // The run-time type of own/borrow type `t` at this site.
  ResourceType* Resource(const ValType& t);
  std::string TypeName(TypeId t) const { return TypeToString(types, t); }
};

// Core values read in order, each coerced to the type the walk wants (the
// spec's CoreValueIter plus lift_flat_variant's coercions: a value of a
// joined variant slot is read through its bits).
struct FlatIn {
  const Value* v;
  size_t n;
  size_t pos = 0;
  bool Next(Cx& cx, weft::ValType want, uint64_t* bits) {
    if (pos >= n) return cx.Fail("too few core values for the type");
    const Value& x = v[pos++];
    uint64_t b = (x.type == weft::ValType::I64 || x.type == weft::ValType::F64)
                     ? x.i64
                     : x.i32;
    if (want == weft::ValType::I32 || want == weft::ValType::F32)
      b &= 0xffffffffu;
    *bits = b;
    return true;
  }
};

// Core values written in order into slots of known types (`types`), so a
// variant payload lands in its joined slot types with the spec's
// coercions (f32 bits in an i32, i32/f32/f64 bits in an i64).
struct FlatOut {
  Value* v;
  const weft::ValType* types;
  size_t n;
  size_t pos = 0;
  bool Put(Cx& cx, uint64_t bits) {
    if (pos >= n) return cx.Fail("too many core values for the type");
    const weft::ValType t = types[pos];
    Value& x = v[pos++];
    x.type = t;
    if (t == weft::ValType::I32 || t == weft::ValType::F32)
      x.i32 = static_cast<uint32_t>(bits);
    else
      x.i64 = bits;
    return true;
  }
};

// The walks. `ptr` arguments have been checked to hold the whole type.
bool LiftFlat(Cx& cx, FlatIn& in, TypeId t, Val& out);
bool LoadVal(Cx& cx, uint32_t ptr, TypeId t, Val& out);
bool LowerFlat(Cx& cx, const Val& v, TypeId t, FlatOut& out);
bool StoreVal(Cx& cx, const Val& v, TypeId t, uint32_t ptr);
// Whether `t` has a valid layout (else a trap).
bool CheckTypeValid(Cx& cx, TypeId t);

} // namespace weft::component::abi
