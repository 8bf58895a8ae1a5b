// Conformance of the decoder against the spec testsuite's binary modules:
// every `module` (and every module that is only unlinkable or
// uninstantiable) decodes, every binary `assert_malformed` fails with the
// expected message.
#include "wasm/decoder.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace weft {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<fs::path> SpecScripts() {
  std::vector<fs::path> scripts;
  fs::path core = fs::path(WEFT_SPEC_DIR) / "json" / "core";
  if (!fs::is_directory(core)) return scripts;
  for (const auto& dir : fs::directory_iterator(core)) {
    if (!dir.is_directory()) continue;
    fs::path json = dir.path() / (dir.path().filename().string() + ".json");
    if (fs::exists(json)) scripts.push_back(json);
  }
  std::sort(scripts.begin(), scripts.end());
  return scripts;
}

TEST(DecoderSpec, CoreBinaryModules) {
  std::vector<fs::path> scripts = SpecScripts();
  if (scripts.empty()) GTEST_SKIP() << "no spec testsuite at " << WEFT_SPEC_DIR;

  int modules = 0, malformed = 0, other_valid = 0, invalid = 0;
  int invalid_rejected = 0;
  std::vector<std::string> failures;
  for (const fs::path& script : scripts) {
    std::ifstream in(script);
    nlohmann::json doc = nlohmann::json::parse(in);
    for (const nlohmann::json& cmd : doc["commands"]) {
      const std::string type = cmd["type"];
      if (!cmd.contains("filename")) continue;
      const std::string file = cmd["filename"];
      if (file.size() < 5 || file.substr(file.size() - 5) != ".wasm") continue;
      const std::string where =
          script.filename().string() + ":" + std::to_string(int(cmd["line"]));
      std::vector<uint8_t> bytes = ReadFile(script.parent_path() / file);
      Result<Module> m = Decode(bytes);

      if (type == "module" || type == "assert_unlinkable" ||
          type == "assert_uninstantiable") {
        (type == "module" ? modules : other_valid)++;
        if (!m.ok()) {
          failures.push_back(where + " " + type +
                             " failed to decode: " + m.error().Describe());
        }
      } else if (type == "assert_malformed") {
        ++malformed;
        const std::string expected = cmd["text"];
        if (m.ok()) {
          failures.push_back(where + " malformed module decoded (expected \"" +
                             expected + "\")");
        } else if (m.error().message.find(expected) == std::string::npos) {
          failures.push_back(where + " expected \"" + expected + "\", got \"" +
                             m.error().Describe() + "\"");
        }
      } else if (type == "assert_invalid") {
        ++invalid;
        if (!m.ok()) ++invalid_rejected;
      }
    }
  }
  std::cout << "decoded " << modules << " modules and " << other_valid
            << " unlinkable/uninstantiable ones; rejected " << malformed
            << " malformed; " << invalid_rejected << " of " << invalid
            << " invalid modules already fail to decode\n";
  EXPECT_GT(modules, 1000);
  EXPECT_GT(malformed, 700);
  for (size_t i = 0; i < failures.size() && i < 60; ++i) {
    ADD_FAILURE() << failures[i];
  }
  EXPECT_EQ(failures.size(), 0u);
}

} // namespace
} // namespace weft
