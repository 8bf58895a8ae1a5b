// Core WebAssembly types shared by every layer.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace weft {

// Value types, with their binary encodings as enumerator values.
enum class ValType : uint8_t {
  I32 = 0x7F,
  I64 = 0x7E,
  F32 = 0x7D,
  F64 = 0x7C,
  V128 = 0x7B,
  FuncRef = 0x70,
  ExternRef = 0x6F,
};

inline bool IsRefType(ValType t) {
  return t == ValType::FuncRef || t == ValType::ExternRef;
}
inline bool IsValTypeByte(uint8_t b) {
  return b == 0x7F || b == 0x7E || b == 0x7D || b == 0x7C || b == 0x7B ||
         b == 0x70 || b == 0x6F;
}
const char* ValTypeName(ValType t); // "i32", "funcref", ...

// A 128-bit vector, little-endian lane order as in linear memory.
struct V128 {
  uint8_t bytes[16] = {};
  bool operator==(const V128& o) const {
    return std::memcmp(bytes, o.bytes, 16) == 0;
  }
  template <typename L> L Lane(unsigned i) const {
    L v;
    std::memcpy(&v, bytes + i * sizeof(L), sizeof(L));
    return v;
  }
  template <typename L> void SetLane(unsigned i, L v) {
    std::memcpy(bytes + i * sizeof(L), &v, sizeof(L));
  }
};

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType& o) const {
    return params == o.params && results == o.results;
  }
  std::string ToString() const; // "(i32, i64) -> (f32)"
};

struct Limits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
};

struct TableType {
  ValType elem = ValType::FuncRef;
  Limits limits;
};

struct MemoryType {
  Limits limits; // in 64 KiB pages
};

struct GlobalType {
  ValType type = ValType::I32;
  bool mut = false;
};

enum class ExternKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3 };
const char* ExternKindName(ExternKind k); // "func", "table", ...

inline constexpr uint64_t kPageSize = 65536;
inline constexpr uint64_t kMaxPages = 65536; // 4 GiB for a 32-bit memory

} // namespace weft
