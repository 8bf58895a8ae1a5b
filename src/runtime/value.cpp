// Values, traps, and the slot encoding tiers use for frames.
#include <cstring>

#include "runtime/store_impl.h"

namespace weft {

Value Value::F32(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return F32Bits(bits);
}

Value Value::F64(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  return F64Bits(bits);
}

Value Value::Default(ValType t) {
  Value v;
  v.type = t;
  return v; // the union is zeroed by Value()
}

const char* TrapKindMessage(TrapKind kind) {
  switch (kind) {
  case TrapKind::Unreachable: return "unreachable";
  case TrapKind::MemoryOutOfBounds: return "out of bounds memory access";
  case TrapKind::TableOutOfBounds: return "out of bounds table access";
  case TrapKind::UndefinedElement: return "undefined element";
  case TrapKind::UninitializedElement: return "uninitialized element";
  case TrapKind::IndirectCallTypeMismatch: return "indirect call type mismatch";
  case TrapKind::IntegerDivideByZero: return "integer divide by zero";
  case TrapKind::IntegerOverflow: return "integer overflow";
  case TrapKind::InvalidConversion: return "invalid conversion to integer";
  case TrapKind::CallStackExhausted: return "call stack exhausted";
  case TrapKind::Interrupted: return "interrupted";
  case TrapKind::Host: return "host trap";
  case TrapKind::Exit: return "exit";
  }
  return "trap";
}

uint32_t SlotCount(const std::vector<ValType>& types) {
  uint32_t n = 0;
  for (ValType t : types)
    n += SlotCount(t);
  return n;
}

void ValueToSlots(const Value& v, uint64_t* slots) {
  switch (v.type) {
  case ValType::I32:
  case ValType::F32: slots[0] = v.i32; break;
  case ValType::I64:
  case ValType::F64: slots[0] = v.i64; break;
  case ValType::V128: std::memcpy(slots, v.v128.bytes, 16); break;
  case ValType::FuncRef:
  case ValType::ExternRef: slots[0] = reinterpret_cast<uintptr_t>(v.ref); break;
  }
}

Value SlotsToValue(ValType t, const uint64_t* slots) {
  Value v;
  v.type = t;
  switch (t) {
  case ValType::I32:
  case ValType::F32: v.i32 = static_cast<uint32_t>(slots[0]); break;
  case ValType::I64:
  case ValType::F64: v.i64 = slots[0]; break;
  case ValType::V128: std::memcpy(v.v128.bytes, slots, 16); break;
  case ValType::FuncRef:
  case ValType::ExternRef:
    v.ref = reinterpret_cast<Ref>(static_cast<uintptr_t>(slots[0]));
    break;
  }
  return v;
}

Value GlobalImpl::Get() const {
  Value v;
  v.type = type_.type;
  std::memcpy(v.v128.bytes, cell.v128.bytes, 16);
  return v;
}

void GlobalImpl::Set(const Value& v) {
  std::memcpy(cell.v128.bytes, v.v128.bytes, 16);
  if (v.type == ValType::I32 || v.type == ValType::F32)
    cell.i64 = v.i32; // keep the upper half zero
}

TableType TableImpl::type() const {
  TableType t;
  t.elem = elem_type;
  t.limits.min = elems.size();
  t.limits.max = max;
  return t;
}

std::optional<uint64_t> TableImpl::Grow(uint64_t delta, Ref init) {
  const uint64_t old = elems.size();
  const uint64_t limit = max.value_or(0xFFFFFFFFull);
  if (delta > limit || old + delta > limit) return std::nullopt;
  // Keep a hostile guest from exhausting host memory with one instruction.
  if (old + delta > (1ull << 28)) return std::nullopt;
  elems.resize(old + delta, init);
  return old;
}

} // namespace weft
