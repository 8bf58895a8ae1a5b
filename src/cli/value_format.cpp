#include "cli/value_format.h"

#include <charconv>
#include <cstring>

namespace weft::cli {
namespace {

bool ConsumePrefix(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// Unsigned magnitude in decimal or 0x hex; the whole text must be used.
std::optional<uint64_t> ParseMagnitude(std::string_view s) {
  int base = 10;
  if (ConsumePrefix(s, "0x") || ConsumePrefix(s, "0X")) base = 16;
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Float parsing through the IEEE bits of F (float or double) with unsigned
// integer type U of the same width.
template <typename F, typename U>
std::optional<U> ParseFloatBits(std::string_view s) {
  constexpr unsigned kBits = sizeof(U) * 8;
  constexpr unsigned kMantBits = kBits == 32 ? 23 : 52;
  constexpr U kSign = U{1} << (kBits - 1);
  constexpr U kExpMask = ((U{1} << (kBits - 1 - kMantBits)) - 1) << kMantBits;
  constexpr U kMantMask = (U{1} << kMantBits) - 1;
  constexpr U kQuiet = U{1} << (kMantBits - 1);

  bool negative = false;
  if (ConsumePrefix(s, "-"))
    negative = true;
  else
    ConsumePrefix(s, "+");
  U bits;
  if (s == "nan") {
    bits = kExpMask | kQuiet;
  } else if (ConsumePrefix(s, "nan:")) {
    auto payload = ParseMagnitude(s);
    if (!payload || *payload == 0 || *payload > kMantMask) return std::nullopt;
    bits = kExpMask | static_cast<U>(*payload);
  } else if (s == "inf" || s == "infinity") {
    bits = kExpMask;
  } else {
    auto fmt = std::chars_format::general;
    if (ConsumePrefix(s, "0x") || ConsumePrefix(s, "0X"))
      fmt = std::chars_format::hex;
    if (s.empty() || s[0] == '-' || s[0] == '+') return std::nullopt;
    F f{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), f, fmt);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    std::memcpy(&bits, &f, sizeof(bits));
  }
  if (negative) bits |= kSign;
  return bits;
}

template <typename F, typename U> std::string FormatFloatBits(U bits) {
  constexpr unsigned kBits = sizeof(U) * 8;
  constexpr unsigned kMantBits = kBits == 32 ? 23 : 52;
  constexpr U kSign = U{1} << (kBits - 1);
  constexpr U kExpMask = ((U{1} << (kBits - 1 - kMantBits)) - 1) << kMantBits;
  constexpr U kMantMask = (U{1} << kMantBits) - 1;
  constexpr U kQuiet = U{1} << (kMantBits - 1);

  if ((bits & kExpMask) == kExpMask && (bits & kMantMask) != 0) {
    std::string s = (bits & kSign) ? "-nan" : "nan";
    U payload = bits & kMantMask;
    if (payload != kQuiet) {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof(buf), payload, 16);
      s += ":0x" + std::string(buf, r.ptr);
    }
    return s;
  }
  F f;
  std::memcpy(&f, &bits, sizeof(f));
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), f);
  return std::string(buf, r.ptr);
}

std::string Hex(uint64_t v, int digits) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s(digits, '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4)
    s[i] = kDigits[v & 15];
  return s;
}

} // namespace

std::optional<uint64_t> ParseInteger(std::string_view text, unsigned bits) {
  bool negative = false;
  if (ConsumePrefix(text, "-"))
    negative = true;
  else
    ConsumePrefix(text, "+");
  auto mag = ParseMagnitude(text);
  if (!mag) return std::nullopt;
  const uint64_t umax = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  const uint64_t neg_limit = uint64_t{1} << (bits - 1);
  if (negative) {
    if (*mag > neg_limit) return std::nullopt;
    return (uint64_t{0} - *mag) & umax;
  }
  if (*mag > umax) return std::nullopt;
  return *mag;
}

std::optional<Value> ParseValue(ValType type, std::string_view text) {
  switch (type) {
  case ValType::I32:
    if (auto v = ParseInteger(text, 32))
      return Value::I32(static_cast<uint32_t>(*v));
    return std::nullopt;
  case ValType::I64:
    if (auto v = ParseInteger(text, 64)) return Value::I64(*v);
    return std::nullopt;
  case ValType::F32:
    if (auto b = ParseFloatBits<float, uint32_t>(text))
      return Value::F32Bits(*b);
    return std::nullopt;
  case ValType::F64:
    if (auto b = ParseFloatBits<double, uint64_t>(text))
      return Value::F64Bits(*b);
    return std::nullopt;
  case ValType::V128: {
    if (!ConsumePrefix(text, "0x") && !ConsumePrefix(text, "0X"))
      return std::nullopt;
    if (text.size() != 32) return std::nullopt;
    V128 v;
    for (int i = 0; i < 16; ++i) {
      // Byte 15 is written first: the text is one big-endian 128-bit number.
      std::string_view pair = text.substr(static_cast<size_t>(i) * 2, 2);
      uint8_t byte = 0;
      auto [end, ec] = std::from_chars(pair.data(), pair.data() + 2, byte, 16);
      if (ec != std::errc() || end != pair.data() + 2) return std::nullopt;
      v.bytes[15 - i] = byte;
    }
    return Value::Vec(v);
  }
  case ValType::FuncRef:
  case ValType::ExternRef:
    if (text == "null") return Value::RefOf(type, nullptr);
    return std::nullopt;
  }
  return std::nullopt;
}

std::string FormatValue(const Value& v) {
  switch (v.type) {
  case ValType::I32: return std::to_string(static_cast<int32_t>(v.i32));
  case ValType::I64: return std::to_string(static_cast<int64_t>(v.i64));
  case ValType::F32: return FormatFloatBits<float, uint32_t>(v.f32);
  case ValType::F64: return FormatFloatBits<double, uint64_t>(v.f64);
  case ValType::V128: {
    std::string s = "0x";
    for (int i = 15; i >= 0; --i)
      s += Hex(v.v128.bytes[i], 2);
    return s;
  }
  case ValType::FuncRef:
  case ValType::ExternRef: return v.ref == nullptr ? "null" : "ref";
  }
  return "?";
}

std::string DescribeValue(const Value& v) {
  std::string s = std::string(ValTypeName(v.type)) + " " + FormatValue(v);
  if (v.type == ValType::F32) s += " (0x" + Hex(v.f32, 8) + ")";
  if (v.type == ValType::F64) s += " (0x" + Hex(v.f64, 16) + ")";
  return s;
}

} // namespace weft::cli
