// Conformance of the validator against the spec testsuite: every binary
// module the scripts instantiate (or expect to fail only at link or
// instantiation time) must decode and validate, and every binary
// `assert_invalid` module must decode but fail validation with a message that
// contains the script's expected text.
#include "wasm/decoder.h"
#include "wasm/validator.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace weft {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> LoadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// json/core/<name>/<name>.json for every core script, sorted.
std::vector<fs::path> CoreScripts() {
  std::vector<fs::path> out;
  const fs::path core = fs::path(WEFT_SPEC_DIR) / "json" / "core";
  if (!fs::is_directory(core)) return out;
  for (const fs::directory_entry& dir : fs::directory_iterator(core)) {
    const fs::path json =
        dir.path() / (dir.path().filename().string() + ".json");
    if (dir.is_directory() && fs::exists(json)) out.push_back(json);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool IsBinaryModuleFile(const nlohmann::json& cmd) {
  if (!cmd.contains("filename")) return false;
  const std::string file = cmd["filename"];
  return file.size() > 5 && file.compare(file.size() - 5, 5, ".wasm") == 0;
}

// assert_invalid commands whose expected text cannot be checked against the
// binary wast2json produced; they must still be rejected.
struct MessageSkip {
  const char* where;
  const char* reason;
};
constexpr MessageSkip kMessageSkips[] = {
    {"select.json:324",
     "wast2json encodes `select (result)` as the untyped 0x1B select, "
     "byte-identical to select.json:319 which expects \"type mismatch\""},
};

bool MessageSkipped(const std::string& where) {
  for (const MessageSkip& skip : kMessageSkips)
    if (where == skip.where) return true;
  return false;
}

struct Tally {
  int valid_checked = 0;
  int invalid_checked = 0;
  std::vector<std::string> decode_failures; // decoder rejected a good module
  std::vector<std::string> rejected_valid;  // validator rejected a valid one
  std::vector<std::string> accepted_invalid;
  std::vector<std::string> wrong_message;
};

void CheckScript(const fs::path& script, Tally* t) {
  std::ifstream in(script);
  const nlohmann::json doc = nlohmann::json::parse(in);
  for (const nlohmann::json& cmd : doc["commands"]) {
    const std::string type = cmd["type"];
    const bool must_validate = type == "module" ||
                               type == "assert_unlinkable" ||
                               type == "assert_uninstantiable";
    const bool must_fail = type == "assert_invalid";
    if ((!must_validate && !must_fail) || !IsBinaryModuleFile(cmd)) continue;

    const std::string where = script.filename().string() + ":" +
                              std::to_string(cmd["line"].get<int>());
    const std::vector<uint8_t> bytes =
        LoadBytes(script.parent_path() / cmd["filename"].get<std::string>());
    Result<Module> module = Decode(bytes);
    if (!module.ok()) {
      t->decode_failures.push_back(where + ": " + module.error().Describe());
      continue;
    }
    const Status status = Validate(*module);
    if (must_validate) {
      ++t->valid_checked;
      if (!status.ok())
        t->rejected_valid.push_back(where + ": " + status.error().Describe());
      continue;
    }
    ++t->invalid_checked;
    const std::string expected = cmd["text"];
    if (status.ok()) {
      t->accepted_invalid.push_back(where + ": expected \"" + expected + "\"");
    } else if (status.error().message.find(expected) == std::string::npos &&
               !MessageSkipped(where)) {
      t->wrong_message.push_back(where + ": expected \"" + expected +
                                 "\", got \"" + status.error().Describe() +
                                 "\"");
    }
  }
}

std::string Listing(const std::vector<std::string>& items) {
  std::string s;
  const size_t shown = std::min<size_t>(items.size(), 40);
  for (size_t i = 0; i < shown; ++i)
    s += "  " + items[i] + "\n";
  if (shown < items.size())
    s += "  ... and " + std::to_string(items.size() - shown) + " more\n";
  return s;
}

TEST(ValidatorSpec, CoreSuite) {
  const std::vector<fs::path> scripts = CoreScripts();
  if (scripts.empty()) GTEST_SKIP() << "no spec testsuite at " << WEFT_SPEC_DIR;

  Tally t;
  for (const fs::path& script : scripts)
    CheckScript(script, &t);

  // The suite at commit 3a04b2c has about 1,700 such modules and 2,144
  // binary assert_invalid commands; make sure the walk really saw them.
  EXPECT_GT(t.valid_checked + static_cast<int>(t.rejected_valid.size()), 1500);
  EXPECT_GT(t.invalid_checked, 2000);

  EXPECT_TRUE(t.decode_failures.empty())
      << t.decode_failures.size()
      << " module(s) failed to decode (decoder issue):\n"
      << Listing(t.decode_failures);
  EXPECT_TRUE(t.rejected_valid.empty())
      << t.rejected_valid.size() << " valid module(s) rejected:\n"
      << Listing(t.rejected_valid);
  EXPECT_TRUE(t.accepted_invalid.empty())
      << t.accepted_invalid.size() << " invalid module(s) accepted:\n"
      << Listing(t.accepted_invalid);
  EXPECT_TRUE(t.wrong_message.empty())
      << t.wrong_message.size() << " invalid module(s) with another message:\n"
      << Listing(t.wrong_message);
}

} // namespace
} // namespace weft
