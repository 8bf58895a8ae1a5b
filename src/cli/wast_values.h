// Values in wabt's spec-JSON: arguments, expected results and how a result
// is matched against an expectation. Internal to the spec runner.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/runtime.h"

namespace weft::cli::wast {

enum class NanKind : uint8_t {
  None,       // an exact value
  Canonical,  // only the quiet bit set in the payload, either sign
  Arithmetic, // the quiet bit set, any other payload bits, either sign
};

struct Expected {
  ValType type = ValType::I32;
  Value value;                 // the exact value (when not a pattern)
  NanKind nan = NanKind::None; // f32/f64 patterns
  bool any_ref = false;        // any non-null reference of `type`
  std::string lane_type;       // v128: "i8", "i16", "i32", "i64", "f32", "f64"
  std::vector<NanKind> lane_nan; // v128: per-lane patterns (float lanes)
};

// The host reference standing for `(ref.extern n)` in a script: unique per
// n and never null.
inline Ref ExternRefFor(uint64_t n) {
  return reinterpret_cast<Ref>(static_cast<uintptr_t>(n) + 1);
}

// {"type": "i32", "value": "42"} and friends as an argument. Returns false
// with `error` set when the value is malformed or not usable as an argument.
bool ParseArg(const nlohmann::json& j, Value& out, std::string& error);

// The same for an expected result, where NaN patterns are allowed.
bool ParseExpected(const nlohmann::json& j, Expected& out, std::string& error);

bool Matches(const Expected& expected, const Value& got);

// "i32 42", "f32 nan:canonical", "v128 i32x4 1 2 3 4", "funcref (non-null)".
std::string DescribeExpected(const Expected& expected);

// A result for a diagnostic; a v128 is shown in the lane shape of `shape`
// when given (so it lines up with the expectation).
std::string DescribeGot(const Value& got, const Expected* shape = nullptr);

} // namespace weft::cli::wast
