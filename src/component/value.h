// A dynamic component-model value: what the canonical ABI lifts out of a
// guest and lowers into one, and what host functions (WASI 0.2 and the
// platform's interfaces) take and return. One struct for every type, so
// host code is plain C++ and the ABI is a single table-driven walk.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "component/types.h"
#include "wasm/result.h"

namespace weft::component {

struct ResourceType; // abi.h

struct Val {
  ValKind kind = ValKind::Bool;
  // Bool: 0/1. S8..S64: the value sign-extended to 64 bits; U8..U64:
  // zero-extended. F32/F64: the IEEE bits (F32 in the low 32). Char: the
  // code point. Enum/Variant: the case index. Option: 0 none, 1 some.
  // Result: 0 ok, 1 error. Flags: bit i = label i. Own/Borrow: the
  // resource's representation (`rep`), see `resource`.
  uint64_t u = 0;
  // String: UTF-8 (whatever encoding the guest used). A list<u8> or
  // list<s8> keeps its bytes here too, with `items` empty: byte buffers
  // (stream reads and writes, HTTP bodies) are the common case and must not
  // cost a Val per byte.
  std::string s;
  // List (other than u8/s8) elements, Record fields and Tuple elements in
  // order; Variant/Option/Result: the payload, when the case has one.
  std::vector<Val> items;
  // Own/Borrow: the runtime resource type of the handle.
  ResourceType* resource = nullptr;

  static Val Bool(bool b) { return Of(ValKind::Bool, b ? 1 : 0); }
  static Val U32(uint32_t v) { return Of(ValKind::U32, v); }
  static Val S32(int32_t v) {
    return Of(ValKind::S32, static_cast<uint64_t>(static_cast<int64_t>(v)));
  }
  static Val U64(uint64_t v) { return Of(ValKind::U64, v); }
  static Val S64(int64_t v) {
    return Of(ValKind::S64, static_cast<uint64_t>(v));
  }
  static Val U8(uint8_t v) { return Of(ValKind::U8, v); }
  static Val Str(std::string v) {
    Val r = Of(ValKind::String, 0);
    r.s = std::move(v);
    return r;
  }
  static Val Bytes(std::string v) { // list<u8>
    Val r = Of(ValKind::List, 0);
    r.s = std::move(v);
    return r;
  }
  static Val EnumCase(uint32_t i) { return Of(ValKind::Enum, i); }
  static Val None() { return Of(ValKind::Option, 0); }
  static Val Some(Val v) {
    Val r = Of(ValKind::Option, 1);
    r.items.push_back(std::move(v));
    return r;
  }
  static Val Ok() { return Of(ValKind::Result, 0); }
  static Val Ok(Val v) {
    Val r = Of(ValKind::Result, 0);
    r.items.push_back(std::move(v));
    return r;
  }
  static Val Err() { return Of(ValKind::Result, 1); }
  static Val Err(Val v) {
    Val r = Of(ValKind::Result, 1);
    r.items.push_back(std::move(v));
    return r;
  }
  static Val Record(std::vector<Val> fields) {
    Val r = Of(ValKind::Record, 0);
    r.items = std::move(fields);
    return r;
  }
  static Val Tuple(std::vector<Val> elems) {
    Val r = Of(ValKind::Tuple, 0);
    r.items = std::move(elems);
    return r;
  }
  static Val VariantCase(uint32_t i) { return Of(ValKind::Variant, i); }
  static Val VariantCase(uint32_t i, Val payload) {
    Val r = Of(ValKind::Variant, i);
    r.items.push_back(std::move(payload));
    return r;
  }
  static Val Own(ResourceType* t, uint32_t rep) {
    Val r = Of(ValKind::Own, rep);
    r.resource = t;
    return r;
  }
  static Val Of(ValKind k, uint64_t u) {
    Val r;
    r.kind = k;
    r.u = u;
    return r;
  }
};

// The WIT-like text form used by `weft run --invoke` and in tests:
// 42, -1, 1.5, true, 'x', "a\nb", [1, 2], (1, "a"), {a: 1, b: "x"},
// some(3), none, ok(1), err("e"), ok, red (an enum case or a payload-free
// variant case), circle(2.0), {read, write} (flags).
std::string ValToString(const TypeArena& arena, TypeId type, const Val& v);
// Parses that text form as a value of `type`; errors say what was expected
// where ("expected `,` or `]` at column 7"). Resources cannot be written.
Result<Val> ParseVal(const TypeArena& arena, TypeId type,
                     std::string_view text);

} // namespace weft::component
