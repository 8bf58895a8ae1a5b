// The plain-instruction cases of the spec testsuite's simd_*.json scripts,
// replayed directly on the functions of interp/simd.h.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "simd_contract.h"

namespace weft {
namespace {

// Every assert_return whose invoked export is named like a plain SIMD
// instruction (the scripts export `(func (export "i8x16.add") ...)` that just
// apply it to their parameters) is replayed directly on the simd functions.

V128 ParseV128(const nlohmann::json& j) {
  std::string lane = j.at("lane_type").get<std::string>();
  const nlohmann::json& values = j.at("value");
  unsigned width = lane == "i8"                     ? 1
                   : lane == "i16"                  ? 2
                   : lane == "i32" || lane == "f32" ? 4
                                                    : 8;
  V128 r;
  for (unsigned i = 0; i < 16 / width; ++i) {
    uint64_t x = std::stoull(values.at(i).get<std::string>());
    std::memcpy(r.bytes + i * width, &x, width); // little-endian host
  }
  return r;
}

// Checks actual against one expected v128, lane by lane for NaN patterns.
bool MatchV128(const nlohmann::json& j, const V128& actual) {
  std::string lane = j.at("lane_type").get<std::string>();
  const nlohmann::json& values = j.at("value");
  bool has_nan_pattern = false;
  for (const auto& v : values)
    if (v.get<std::string>().starts_with("nan:")) has_nan_pattern = true;
  if (!has_nan_pattern) return ParseV128(j) == actual;
  unsigned width = lane == "f32" ? 4 : 8;
  for (unsigned i = 0; i < 16 / width; ++i) {
    std::string s = values.at(i).get<std::string>();
    uint64_t bits = 0;
    std::memcpy(&bits, actual.bytes + i * width, width);
    uint64_t quiet = width == 4 ? 0x7FC00000 : 0x7FF8000000000000;
    uint64_t abs_mask = width == 4 ? 0x7FFFFFFF : 0x7FFFFFFFFFFFFFFF;
    if (s == "nan:canonical") {
      if ((bits & abs_mask) != quiet) return false;
    } else if (s == "nan:arithmetic") {
      if ((bits & quiet) != quiet) return false;
    } else if (bits != std::stoull(s)) {
      return false;
    }
  }
  return true;
}

// The instruction an export of a spec script applies. Most scripts name the
// export after the instruction; these ones use shorter names.
std::string InstructionOf(const std::string& script, const std::string& field) {
  if (field == "v8x16_swizzle") return "i8x16.swizzle";
  if (field.ends_with(".any_true")) return "v128.any_true"; // i16x8.any_true
  if (script == "simd_bitwise") return "v128." + field;     // "and"
  if (script.ends_with("_cmp") && field.find('.') == std::string::npos)
    return script.substr(5, 5) + "." + field; // simd_i32x4_cmp: "eq"
  return field;
}

TEST(Simd, SpecScripts) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(WEFT_SPEC_DIR) / "json" / "core";
  if (!fs::exists(dir)) GTEST_SKIP() << "no spec testsuite at " << dir;
  const auto invokers = simd::contract::PlainInvokers();
  ASSERT_GT(invokers.size(), 150u);

  unsigned checked = 0;
  std::map<std::string, unsigned> per_op;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with("simd_")) continue;
    std::ifstream in(entry.path() / (name + ".json"));
    if (!in) continue;
    nlohmann::json script = nlohmann::json::parse(in);
    for (const auto& cmd : script.at("commands")) {
      if (cmd.at("type") != "assert_return") continue;
      const auto& action = cmd.at("action");
      if (action.at("type") != "invoke") continue;
      auto it = invokers.find(
          InstructionOf(name, action.at("field").get<std::string>()));
      if (it == invokers.end()) continue;

      std::vector<simd::contract::Arg> args;
      for (const auto& a : action.at("args")) {
        simd::contract::Arg arg;
        if (a.at("type") == "v128") {
          arg.is_v128 = true;
          arg.v = ParseV128(a);
        } else {
          arg.n = std::stoull(a.at("value").get<std::string>());
        }
        args.push_back(arg);
      }
      std::optional<simd::contract::Out> out = it->second(args);
      if (!out) continue; // same name, other parameter types
      const auto& expected = cmd.at("expected");
      ASSERT_EQ(expected.size(), 1u);
      const auto& e = expected[0];
      std::string where =
          name + ":" + std::to_string(cmd.at("line").get<int>());
      if (out->is_v128) {
        ASSERT_EQ(e.at("type"), "v128") << where;
        EXPECT_TRUE(MatchV128(e, out->v))
            << where << " " << it->first << " got "
            << testing::PrintToString(out->v);
      } else {
        ASSERT_EQ(e.at("type"), "i32") << where;
        EXPECT_EQ(out->n, std::stoull(e.at("value").get<std::string>()))
            << where << " " << it->first;
      }
      ++checked;
      ++per_op[it->first];
    }
  }
  // The scripts cover every plain instruction, thousands of cases in all.
  EXPECT_GT(checked, 20000u);
  for (const auto& [text, fn] : invokers)
    EXPECT_TRUE(per_op.count(text)) << text << " not covered by the scripts";
}

} // namespace
} // namespace weft
