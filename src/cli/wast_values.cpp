#include "cli/wast_values.h"

#include <optional>

#include "cli/value_format.h"

namespace weft::cli::wast {
namespace {

using nlohmann::json;

std::optional<ValType> ValTypeFromName(const std::string& name) {
  if (name == "i32") return ValType::I32;
  if (name == "i64") return ValType::I64;
  if (name == "f32") return ValType::F32;
  if (name == "f64") return ValType::F64;
  if (name == "v128") return ValType::V128;
  if (name == "funcref") return ValType::FuncRef;
  if (name == "externref") return ValType::ExternRef;
  return std::nullopt;
}

struct LaneShape {
  unsigned bits = 0; // 0: unknown lane type
  bool is_float = false;
  unsigned count() const { return 128 / bits; }
};

LaneShape ShapeOf(const std::string& lane_type) {
  if (lane_type == "i8") return {8, false};
  if (lane_type == "i16") return {16, false};
  if (lane_type == "i32") return {32, false};
  if (lane_type == "i64") return {64, false};
  if (lane_type == "f32") return {32, true};
  if (lane_type == "f64") return {64, true};
  return {};
}

std::optional<NanKind> NanPattern(const std::string& text) {
  if (text == "nan:canonical") return NanKind::Canonical;
  if (text == "nan:arithmetic") return NanKind::Arithmetic;
  return std::nullopt;
}

uint64_t LaneBits(const V128& v, unsigned bits, unsigned i) {
  switch (bits) {
  case 8: return v.Lane<uint8_t>(i);
  case 16: return v.Lane<uint16_t>(i);
  case 32: return v.Lane<uint32_t>(i);
  default: return v.Lane<uint64_t>(i);
  }
}

void SetLaneBits(V128& v, unsigned bits, unsigned i, uint64_t x) {
  switch (bits) {
  case 8: v.SetLane<uint8_t>(i, static_cast<uint8_t>(x)); break;
  case 16: v.SetLane<uint16_t>(i, static_cast<uint16_t>(x)); break;
  case 32: v.SetLane<uint32_t>(i, static_cast<uint32_t>(x)); break;
  default: v.SetLane<uint64_t>(i, x); break;
  }
}

bool NanMatches(NanKind kind, uint64_t bits, unsigned width) {
  const uint64_t exp_quiet =
      width == 32 ? 0x7FC00000ull : 0x7FF8000000000000ull; // exponent + quiet
  const uint64_t abs_mask = width == 32 ? 0x7FFFFFFFull : ~(1ull << 63);
  if (kind == NanKind::Canonical) return (bits & abs_mask) == exp_quiet;
  return (bits & exp_quiet) == exp_quiet;
}

std::string NanText(NanKind kind) {
  return kind == NanKind::Canonical ? "nan:canonical" : "nan:arithmetic";
}

// "i32x4 1 2 3 4"; float lanes printed as floats, patterns by name.
std::string FormatLanes(const V128& v, const std::string& lane_type,
                        const std::vector<NanKind>* patterns) {
  LaneShape shape = ShapeOf(lane_type);
  std::string s = lane_type + "x" + std::to_string(shape.count());
  for (unsigned i = 0; i < shape.count(); ++i) {
    s += " ";
    if (patterns && i < patterns->size() && (*patterns)[i] != NanKind::None) {
      s += NanText((*patterns)[i]);
      continue;
    }
    uint64_t bits = LaneBits(v, shape.bits, i);
    if (shape.is_float) {
      s += FormatValue(shape.bits == 32
                           ? Value::F32Bits(static_cast<uint32_t>(bits))
                           : Value::F64Bits(bits));
    } else {
      // Signed decimal of the lane's width.
      int64_t sv =
          static_cast<int64_t>(bits << (64 - shape.bits)) >> (64 - shape.bits);
      s += std::to_string(sv);
    }
  }
  return s;
}

// Parses a v128 {"lane_type", "value": [...]}; `patterns` (may be null)
// receives per-lane NaN patterns, which are rejected when null.
bool ParseV128(const json& j, V128& out, std::vector<NanKind>* patterns,
               std::string& lane_type, std::string& error) {
  if (!j.contains("lane_type") || !j["lane_type"].is_string()) {
    error = "v128 value without lane_type";
    return false;
  }
  lane_type = j["lane_type"].get<std::string>();
  LaneShape shape = ShapeOf(lane_type);
  if (shape.bits == 0) {
    error = "unknown lane_type \"" + lane_type + "\"";
    return false;
  }
  const json& lanes = j.contains("value") ? j["value"] : json();
  if (!lanes.is_array() || lanes.size() != shape.count()) {
    error = "v128 value needs " + std::to_string(shape.count()) + " lanes";
    return false;
  }
  if (patterns) patterns->assign(shape.count(), NanKind::None);
  for (unsigned i = 0; i < shape.count(); ++i) {
    if (!lanes[i].is_string()) {
      error = "v128 lane is not a string";
      return false;
    }
    std::string text = lanes[i].get<std::string>();
    if (auto nan = NanPattern(text); nan && shape.is_float && patterns) {
      (*patterns)[i] = *nan;
      continue;
    }
    std::optional<uint64_t> bits = ParseInteger(text, shape.bits);
    if (!bits) {
      error = "bad " + lane_type + " lane \"" + text + "\"";
      return false;
    }
    SetLaneBits(out, shape.bits, i, *bits);
  }
  return true;
}

// The shared part of ParseArg / ParseExpected. `expected` is null for args.
bool ParseValueJson(const json& j, Value& out, Expected* expected,
                    std::string& error) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    error = "value without a type: " + j.dump();
    return false;
  }
  std::string type_name = j["type"].get<std::string>();
  std::optional<ValType> type = ValTypeFromName(type_name);
  if (!type) {
    error = "unsupported value type \"" + type_name + "\"";
    return false;
  }
  if (expected) expected->type = *type;
  out = Value::Default(*type);

  if (*type == ValType::V128) {
    V128 v;
    std::string lane_type;
    if (!ParseV128(j, v, expected ? &expected->lane_nan : nullptr, lane_type,
                   error))
      return false;
    if (expected) expected->lane_type = lane_type;
    out = Value::Vec(v);
    return true;
  }

  const bool has_value = j.contains("value") && j["value"].is_string();
  const std::string text = has_value ? j["value"].get<std::string>() : "";
  if (IsRefType(*type)) {
    if (has_value && text == "null") {
      out = Value::RefOf(*type, nullptr);
      return true;
    }
    std::optional<uint64_t> n;
    if (has_value) {
      n = ParseInteger(text, 64);
      if (!n) {
        error = "bad " + type_name + " value \"" + text + "\"";
        return false;
      }
    }
    if (*type == ValType::ExternRef && n) {
      out = Value::RefOf(*type, ExternRefFor(*n));
      return true;
    }
    // A funcref with an index, or a reference without a value: only
    // meaningful as an expectation ("some non-null reference").
    if (!expected) {
      error = "cannot pass " + j.dump() + " as an argument";
      return false;
    }
    expected->any_ref = true;
    return true;
  }

  if (!has_value) {
    error = "value without a value: " + j.dump();
    return false;
  }
  if (auto nan = NanPattern(text)) {
    if (!expected || (*type != ValType::F32 && *type != ValType::F64)) {
      error = "NaN pattern \"" + text + "\" not allowed here";
      return false;
    }
    expected->nan = *nan;
    return true;
  }
  const unsigned bits =
      (*type == ValType::I32 || *type == ValType::F32) ? 32 : 64;
  std::optional<uint64_t> v = ParseInteger(text, bits);
  if (!v) {
    error = "bad " + type_name + " value \"" + text + "\"";
    return false;
  }
  switch (*type) {
  case ValType::I32: out = Value::I32(static_cast<uint32_t>(*v)); break;
  case ValType::I64: out = Value::I64(*v); break;
  case ValType::F32: out = Value::F32Bits(static_cast<uint32_t>(*v)); break;
  default: out = Value::F64Bits(*v); break;
  }
  return true;
}

} // namespace

bool ParseArg(const json& j, Value& out, std::string& error) {
  return ParseValueJson(j, out, nullptr, error);
}

bool ParseExpected(const json& j, Expected& out, std::string& error) {
  out = Expected{};
  return ParseValueJson(j, out.value, &out, error);
}

bool Matches(const Expected& e, const Value& got) {
  if (got.type != e.type) return false;
  switch (e.type) {
  case ValType::I32: return got.i32 == e.value.i32;
  case ValType::I64: return got.i64 == e.value.i64;
  case ValType::F32:
    if (e.nan != NanKind::None) return NanMatches(e.nan, got.f32, 32);
    return got.f32 == e.value.f32;
  case ValType::F64:
    if (e.nan != NanKind::None) return NanMatches(e.nan, got.f64, 64);
    return got.f64 == e.value.f64;
  case ValType::V128: {
    LaneShape shape = ShapeOf(e.lane_type);
    for (unsigned i = 0; i < shape.count(); ++i) {
      uint64_t g = LaneBits(got.v128, shape.bits, i);
      NanKind k = i < e.lane_nan.size() ? e.lane_nan[i] : NanKind::None;
      if (k != NanKind::None) {
        if (!NanMatches(k, g, shape.bits)) return false;
      } else if (g != LaneBits(e.value.v128, shape.bits, i)) {
        return false;
      }
    }
    return true;
  }
  case ValType::FuncRef:
  case ValType::ExternRef:
    if (e.any_ref) return got.ref != nullptr;
    return got.ref == e.value.ref;
  }
  return false;
}

std::string DescribeExpected(const Expected& e) {
  std::string type = ValTypeName(e.type);
  if (e.nan != NanKind::None) return type + " " + NanText(e.nan);
  if (e.type == ValType::V128)
    return type + " " + FormatLanes(e.value.v128, e.lane_type, &e.lane_nan);
  if (IsRefType(e.type)) {
    if (e.any_ref) return type + " (non-null)";
    if (e.value.ref == nullptr) return type + " null";
    if (e.type == ValType::ExternRef)
      return type + " " +
             std::to_string(reinterpret_cast<uintptr_t>(e.value.ref) - 1);
  }
  return DescribeValue(e.value);
}

std::string DescribeGot(const Value& got, const Expected* shape) {
  if (got.type == ValType::V128) {
    std::string lanes = shape && shape->type == ValType::V128
                            ? shape->lane_type
                            : std::string("i32");
    return "v128 " + FormatLanes(got.v128, lanes, nullptr);
  }
  if (got.type == ValType::ExternRef && got.ref != nullptr) {
    // Show host references made by ExternRefFor by their number.
    return "externref " +
           std::to_string(reinterpret_cast<uintptr_t>(got.ref) - 1);
  }
  return DescribeValue(got);
}

} // namespace weft::cli::wast
