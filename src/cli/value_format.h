// Text forms of Wasm values for the command line: parsing `weft run`
// arguments and printing results. Shared by `run` and the spec runner's
// diagnostics so both show values the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/runtime.h"

namespace weft::cli {

// Parses one command-line argument as a value of type `type`:
//   i32/i64  decimal, signed or unsigned ("-1" == "4294967295" for i32),
//            or 0x-prefixed hex
//   f32/f64  decimal floats, "nan", "-nan", "inf", "-inf", "-0",
//            "nan:0x<payload>" for a specific NaN
//   v128     "0x" + 32 hex digits, the vector read as one 128-bit integer
//            (lane 0 is the least significant end)
//   refs     only "null"
// Returns nullopt when the text is not a value of that type.
std::optional<Value> ParseValue(ValType type, std::string_view text);

// The printed form of a result (see ParseValue): integers as signed decimal,
// floats in the shortest form that reads back to the same bits ("3.5",
// "0.1", "-0", "inf", "nan", "-nan", "nan:0x200000" for a non-canonical
// NaN), v128 as "0x" + 32 hex digits, refs as "null" or "ref".
std::string FormatValue(const Value& v);

// FormatValue plus the type and, for floats, the raw bits: "i32 -1",
// "f32 3.5 (0x40600000)". For diagnostics where the exact bits matter.
std::string DescribeValue(const Value& v);

// Integer text helpers shared with the spec runner: decimal (optionally
// signed) or 0x hex, checked against `bits` (32 or 64): a value is
// accepted when it fits either as unsigned or as two's-complement signed.
std::optional<uint64_t> ParseInteger(std::string_view text, unsigned bits);

} // namespace weft::cli
