// The opcode table's view of interp/simd.h, shared by the SIMD unit tests:
// a compile-time check that every 0xFD row except v128.const has a function
// of the right name and signature, and a table of the rows callable with
// plain values, by text name.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "interp/simd.h"
#include "wasm/opcode.h"

// --- the contract ------------------------------------------------------------
// Every row of the opcode table gets a stand-in at global scope. Name lookup
// from inside weft::simd finds the simd function first and the stand-in only
// when simd has no function of that name, so `&Name` below is the real
// function for every implemented row and `const NotInSimd*` otherwise.
namespace {
struct NotInSimd {};
#define WEFT_OP(name, text, prefix, code, imm, sig, mem)                       \
  [[maybe_unused]] constexpr NotInSimd name{};
#include "wasm/opcodes.def"
#undef WEFT_OP
} // namespace

namespace weft::simd::contract {

enum class Shape {
  Other,
  Unary,
  Binary,
  Ternary,
  Test,
  Shift,
  Splat32,
  Splat64,
  Extract32,
  Extract64,
  Replace32,
  Replace64,
  Shuffle,
  Load,
  Store,
  LoadLane,
  StoreLane,
};

// The function shape a row must have, from its immediate and sig column.
constexpr Shape ShapeOf(ImmKind imm, std::string_view sig) {
  switch (imm) {
  case ImmKind::MemArg: return sig == "_IV" ? Shape::Store : Shape::Load;
  case ImmKind::MemArgLane:
    return sig == "_IV" ? Shape::StoreLane : Shape::LoadLane;
  case ImmKind::Shuffle: return Shape::Shuffle;
  case ImmKind::Lane:
    if (sig == "I_V" || sig == "F_V") return Shape::Extract32;
    if (sig == "L_V" || sig == "D_V") return Shape::Extract64;
    if (sig == "V_VI" || sig == "V_VF") return Shape::Replace32;
    if (sig == "V_VL" || sig == "V_VD") return Shape::Replace64;
    return Shape::Other;
  case ImmKind::None:
    if (sig == "V_V") return Shape::Unary;
    if (sig == "V_VV") return Shape::Binary;
    if (sig == "V_VVV") return Shape::Ternary;
    if (sig == "I_V") return Shape::Test;
    if (sig == "V_VI") return Shape::Shift;
    if (sig == "V_I" || sig == "V_F") return Shape::Splat32;
    if (sig == "V_L" || sig == "V_D") return Shape::Splat64;
    return Shape::Other;
  default: return Shape::Other;
  }
}

template <Shape> struct FnOf { using type = void; };
// clang-format off
template <> struct FnOf<Shape::Unary> { using type = V128 (*)(V128); };
template <> struct FnOf<Shape::Binary> { using type = V128 (*)(V128, V128); };
template <> struct FnOf<Shape::Ternary> { using type = V128 (*)(V128, V128, V128); };
template <> struct FnOf<Shape::Test> { using type = uint32_t (*)(V128); };
template <> struct FnOf<Shape::Shift> { using type = V128 (*)(V128, uint32_t); };
template <> struct FnOf<Shape::Splat32> { using type = V128 (*)(uint32_t); };
template <> struct FnOf<Shape::Splat64> { using type = V128 (*)(uint64_t); };
template <> struct FnOf<Shape::Extract32> { using type = uint32_t (*)(V128, unsigned); };
template <> struct FnOf<Shape::Extract64> { using type = uint64_t (*)(V128, unsigned); };
template <> struct FnOf<Shape::Replace32> { using type = V128 (*)(V128, unsigned, uint32_t); };
template <> struct FnOf<Shape::Replace64> { using type = V128 (*)(V128, unsigned, uint64_t); };
template <> struct FnOf<Shape::Shuffle> { using type = V128 (*)(V128, V128, const V128&); };
template <> struct FnOf<Shape::Load> { using type = V128 (*)(const uint8_t*); };
template <> struct FnOf<Shape::Store> { using type = void (*)(uint8_t*, V128); };
template <> struct FnOf<Shape::LoadLane> { using type = V128 (*)(const uint8_t*, V128, unsigned); };
template <> struct FnOf<Shape::StoreLane> { using type = void (*)(uint8_t*, V128, unsigned); };
// clang-format on

constexpr bool IsSimdFunctionRow(unsigned prefix, unsigned code) {
  return prefix == 0xFD && code != 0x0C; // all of 0xFD but v128.const
}

#define WEFT_OP(name, text, prefix, code, imm, sig, mem)                       \
  static_assert(!IsSimdFunctionRow(prefix, code) ||                            \
                    std::is_same_v<decltype(&name),                            \
                                   FnOf<ShapeOf(ImmKind::imm, sig)>::type>,    \
                "simd::" #name " is missing or has the wrong signature");
#include "wasm/opcodes.def"
#undef WEFT_OP

// For the spec-script test: the rows callable with plain values, by text name.
struct Arg {
  bool is_v128 = false;
  V128 v;
  uint64_t n = 0;
};
struct Out {
  bool is_v128 = false;
  V128 v;
  uint32_t n = 0;
};
using Invoker = std::function<std::optional<Out>(const std::vector<Arg>&)>;

inline bool Vecs(const std::vector<Arg>& a, size_t count) {
  if (a.size() != count) return false;
  for (const Arg& x : a)
    if (!x.is_v128) return false;
  return true;
}
inline Invoker Wrap(V128 (*f)(V128)) {
  return [f](const std::vector<Arg>& a) -> std::optional<Out> {
    if (!Vecs(a, 1)) return std::nullopt;
    return Out{true, f(a[0].v), 0};
  };
}
inline Invoker Wrap(V128 (*f)(V128, V128)) {
  return [f](const std::vector<Arg>& a) -> std::optional<Out> {
    if (!Vecs(a, 2)) return std::nullopt;
    return Out{true, f(a[0].v, a[1].v), 0};
  };
}
inline Invoker Wrap(V128 (*f)(V128, V128, V128)) {
  return [f](const std::vector<Arg>& a) -> std::optional<Out> {
    if (!Vecs(a, 3)) return std::nullopt;
    return Out{true, f(a[0].v, a[1].v, a[2].v), 0};
  };
}
inline Invoker Wrap(uint32_t (*f)(V128)) {
  return [f](const std::vector<Arg>& a) -> std::optional<Out> {
    if (!Vecs(a, 1)) return std::nullopt;
    return Out{false, {}, f(a[0].v)};
  };
}
inline Invoker Wrap(V128 (*f)(V128, uint32_t)) {
  return [f](const std::vector<Arg>& a) -> std::optional<Out> {
    if (a.size() != 2 || !a[0].is_v128 || a[1].is_v128) return std::nullopt;
    return Out{true, f(a[0].v, static_cast<uint32_t>(a[1].n)), 0};
  };
}
inline Invoker Wrap(V128 (*f)(uint32_t)) {
  return [f](const std::vector<Arg>& a) -> std::optional<Out> {
    if (a.size() != 1 || a[0].is_v128) return std::nullopt;
    return Out{true, f(static_cast<uint32_t>(a[0].n)), 0};
  };
}
inline Invoker Wrap(V128 (*f)(uint64_t)) {
  return [f](const std::vector<Arg>& a) -> std::optional<Out> {
    if (a.size() != 1 || a[0].is_v128) return std::nullopt;
    return Out{true, f(a[0].n), 0};
  };
}
template <typename T> Invoker Wrap(T) { return nullptr; }

inline std::map<std::string, Invoker> PlainInvokers() {
  std::map<std::string, Invoker> m;
#define WEFT_OP(name, text, prefix, code, imm, sig, mem)                       \
  if (IsSimdFunctionRow(prefix, code) && ImmKind::imm == ImmKind::None) {      \
    if (Invoker f = Wrap(&name)) m[text] = f;                                  \
  }
#include "wasm/opcodes.def"
#undef WEFT_OP
  return m;
}

} // namespace weft::simd::contract

namespace weft {
inline void PrintTo(const V128& v, std::ostream* os) {
  static const char kHex[] = "0123456789abcdef";
  *os << "v128[";
  for (unsigned i = 0; i < 16; ++i)
    *os << (i ? " " : "") << kHex[v.bytes[i] >> 4] << kHex[v.bytes[i] & 15];
  *os << "]";
}
} // namespace weft
