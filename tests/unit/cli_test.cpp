// End-to-end tests of the `weft` command: runs the built binary on small
// modules assembled with wat2wasm into a temporary folder, and checks the
// exact output lines and exit codes the CLI promises.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;

constexpr const char* kWat2Wasm = "/usr/bin/wat2wasm";

struct Output {
  int code = -1;
  std::string out;
  std::string err;
};

std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteText(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// Runs `program args...` with stdout and stderr captured into files in `dir`.
Output Spawn(const fs::path& dir, const std::string& program,
             const std::vector<std::string>& args) {
  const fs::path out_path = dir / "stdout.txt";
  const fs::path err_path = dir / "stderr.txt";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> all = {program};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  Output result;
  int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(),
                       environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    result.err = "posix_spawn failed";
    return result;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.code =
      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadText(out_path);
  result.err = ReadText(err_path);
  return result;
}

const char* kArithWat = R"((module
  (func (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add)
  (func (export "add64") (param i64 i64) (result i64)
    local.get 0 local.get 1 i64.add)
  (func (export "mulf") (param f32 f32) (result f32)
    local.get 0 local.get 1 f32.mul)
  (func (export "divd") (param f64 f64) (result f64)
    local.get 0 local.get 1 f64.div)
  (func (export "two") (result i32 f64) i32.const -7 f64.const 0.1)
  (func (export "vec") (result v128) v128.const i32x4 1 2 3 4)
  (func (export "nullref") (result externref) ref.null extern)
  (func (export "boom") (result i32) unreachable)
  (func (export "div") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.div_s)
  (func (export "nanf") (result f32) f32.const nan)
  (func (export "rec") (result i32) call 10)
  (func (export "id") (param externref) (result externref) local.get 0)
  (global (export "g") i32 (i32.const 1))
))";

class CliTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/weft_cli_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void SetUp() override {
    if (!fs::exists(kWat2Wasm)) GTEST_SKIP() << "wat2wasm not installed";
  }

  // Assembles `wat` into dir_/name.wasm; `extra` are wat2wasm flags.
  static fs::path Wasm(const std::string& name, const std::string& wat,
                       std::vector<std::string> extra = {}) {
    const fs::path wat_path = dir_ / (name + ".wat");
    const fs::path wasm_path = dir_ / (name + ".wasm");
    WriteText(wat_path, wat);
    std::vector<std::string> args = {wat_path.string(), "-o",
                                     wasm_path.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    Output o = Spawn(dir_, kWat2Wasm, args);
    EXPECT_EQ(o.code, 0) << o.err;
    return wasm_path;
  }

  static Output Weft(const std::vector<std::string>& args) {
    return Spawn(dir_, WEFT_BINARY, args);
  }

  static fs::path dir_;
};

fs::path CliTest::dir_;

// --- validate ---------------------------------------------------------------

TEST_F(CliTest, ValidateValidModulePrintsNothing) {
  fs::path m = Wasm("valid", kArithWat);
  Output o = Weft({"validate", m.string()});
  EXPECT_EQ(o.code, 0);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, "");
}

TEST_F(CliTest, ValidateInvalidModule) {
  // A function declared to return i32 with an empty body.
  fs::path m = Wasm("invalid", "(module (func (result i32)))", {"--no-check"});
  Output o = Weft({"validate", m.string()});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.out, "");
  std::regex line(std::regex_replace(m.string(), std::regex("[.]"), "[.]") +
                  ": error: type mismatch[^\n]* at offset [0-9]+\n");
  EXPECT_TRUE(std::regex_match(o.err, line)) << o.err;
}

TEST_F(CliTest, ValidateTruncatedModule) {
  const fs::path m = dir_ / "truncated.wasm";
  WriteText(m, std::string("\0asm\1\0\0\0\1", 9));
  Output o = Weft({"validate", m.string()});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.out, "");
  // The section id is byte 8; its size is missing at offset 9.
  std::regex line(std::regex_replace(m.string(), std::regex("[.]"), "[.]") +
                  ": error: unexpected end[^\n]* at offset 9\n");
  EXPECT_TRUE(std::regex_match(o.err, line)) << o.err;
}

TEST_F(CliTest, ValidateBadMagic) {
  const fs::path m = dir_ / "badmagic.wasm";
  WriteText(m, std::string("\0asx\1\0\0\0", 8));
  Output o = Weft({"validate", m.string()});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.err.rfind(m.string() + ": error: ", 0), 0u) << o.err;
  EXPECT_NE(o.err.find(" at offset 0\n"), std::string::npos) << o.err;
}

TEST_F(CliTest, ValidateMissingFile) {
  Output o = Weft({"validate", (dir_ / "nope.wasm").string()});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.err,
            (dir_ / "nope.wasm").string() +
                ": error: cannot read file: No such file or directory\n");
}

// --- run --------------------------------------------------------------------

TEST_F(CliTest, RunI32AndI64) {
  fs::path m = Wasm("arith", kArithWat);
  Output o = Weft({"run", "--invoke", "add", m.string(), "1", "2"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "3\n");
  EXPECT_EQ(o.err, "");

  // Signed and unsigned spellings; results print as signed.
  o = Weft({"run", "--invoke", "add", m.string(), "-1", "4294967295"});
  EXPECT_EQ(o.out, "-2\n");
  o = Weft(
      {"run", "--invoke", "add64", m.string(), "9223372036854775807", "1"});
  EXPECT_EQ(o.out, "-9223372036854775808\n");
}

TEST_F(CliTest, RunFloats) {
  fs::path m = Wasm("arith", kArithWat);
  Output o = Weft({"run", "--invoke", "mulf", m.string(), "0.1", "1"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "0.1\n");
  o = Weft({"run", "--invoke", "mulf", m.string(), "1.75", "2"});
  EXPECT_EQ(o.out, "3.5\n");
  o = Weft({"run", "--invoke", "mulf", m.string(), "-0", "1"});
  EXPECT_EQ(o.out, "-0\n");
  o = Weft({"run", "--invoke", "divd", m.string(), "1", "3"});
  EXPECT_EQ(o.out, "0.3333333333333333\n");
  o = Weft({"run", "--invoke", "divd", m.string(), "-1", "0"});
  EXPECT_EQ(o.out, "-inf\n");
  o = Weft({"run", "--invoke", "divd", m.string(), "inf", "2"});
  EXPECT_EQ(o.out, "inf\n");
  o = Weft({"run", "--invoke", "nanf", m.string()});
  EXPECT_EQ(o.out, "nan\n");
}

TEST_F(CliTest, RunMultipleResultsVectorsAndRefs) {
  fs::path m = Wasm("arith", kArithWat);
  Output o = Weft({"run", "--invoke", "two", m.string()});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "-7\n0.1\n");
  o = Weft({"run", "--invoke", "vec", m.string()});
  EXPECT_EQ(o.out, "0x00000004000000030000000200000001\n");
  o = Weft({"run", "--invoke", "nullref", m.string()});
  EXPECT_EQ(o.out, "null\n");
}

TEST_F(CliTest, RunTrap) {
  fs::path m = Wasm("arith", kArithWat);
  Output o = Weft({"run", "--invoke", "boom", m.string()});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, "error: trap: unreachable\n");
  o = Weft({"run", "--invoke", "div", m.string(), "1", "0"});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.err, "error: trap: integer divide by zero\n");
  o = Weft({"run", "--invoke", "rec", m.string()});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.err, "error: trap: call stack exhausted\n");
}

TEST_F(CliTest, RunBadArguments) {
  fs::path m = Wasm("arith", kArithWat);
  Output o = Weft({"run", "--invoke", "add", m.string(), "1"});
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("takes 2 argument(s) (i32, i32) but 1 were given"),
            std::string::npos)
      << o.err;
  o = Weft({"run", "--invoke", "add", m.string(), "1", "4294967296"});
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("is not a valid i32"), std::string::npos) << o.err;
  // Everything after the module belongs to the guest, options included:
  // --foo reaches the argument parser instead of weft's option parser.
  o = Weft({"run", "--invoke", "add", m.string(), "--foo", "1"});
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("argument 1 (\"--foo\") is not a valid i32"),
            std::string::npos)
      << o.err;
  o = Weft({"run", "--invoke", "missing", m.string()});
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("no export named \"missing\""), std::string::npos);
  o = Weft({"run", "--invoke", "g", m.string()});
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("not a function"), std::string::npos);
}

TEST_F(CliTest, RunStart) {
  fs::path with = Wasm("start", "(module (func (export \"_start\")))");
  Output o = Weft({"run", with.string()});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "");
  fs::path without = Wasm("arith", kArithWat);
  o = Weft({"run", without.string()});
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("no \"_start\" export"), std::string::npos) << o.err;
}

TEST_F(CliTest, RunWithImportsIsALinkError) {
  fs::path m = Wasm("imports", "(module (import \"env\" \"f\" (func)))");
  Output o = Weft({"run", m.string()});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(
      o.err.rfind(m.string() + ": error: unknown import \"env\" \"f\"", 0), 0u)
      << o.err;
}

TEST_F(CliTest, RunInvalidModule) {
  fs::path m = Wasm("invalid", "(module (func (result i32)))", {"--no-check"});
  Output o = Weft({"run", m.string()});
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find(": error: type mismatch"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find(" at offset "), std::string::npos) << o.err;
}

// --- usage ------------------------------------------------------------------

TEST_F(CliTest, VersionHelpAndUsage) {
  Output o = Weft({"--version"});
  EXPECT_EQ(o.code, 0);
  EXPECT_TRUE(
      std::regex_match(o.out, std::regex("weft [0-9]+[.][0-9]+[.][0-9]+\n")))
      << o.out;
  o = Weft({"--help"});
  EXPECT_EQ(o.code, 0);
  for (const char* cmd : {"validate", "run", "wast"})
    EXPECT_NE(o.out.find(cmd), std::string::npos) << cmd;
  o = Weft({});
  EXPECT_EQ(o.code, 2);
  o = Weft({"run"});
  EXPECT_EQ(o.code, 2);
  o = Weft({"run", "--bogus", "x.wasm"});
  EXPECT_EQ(o.code, 2);
  o = Weft({"frobnicate"});
  EXPECT_EQ(o.code, 2);
}

// --- wast -------------------------------------------------------------------

// A script exercising every command type; line 7 fails on purpose.
std::string Script(const std::string& source) {
  return R"({"source_filename": ")" + source + R"(",
 "commands": [
  {"type": "module", "line": 1, "name": "$m", "filename": "arith.wasm"},
  {"type": "assert_return", "line": 6, "action": {"type": "invoke", "field": "add", "args": [{"type": "i32", "value": "1"}, {"type": "i32", "value": "2"}]}, "expected": [{"type": "i32", "value": "3"}]},
  {"type": "assert_return", "line": 7, "action": {"type": "invoke", "module": "$m", "field": "add", "args": [{"type": "i32", "value": "1"}, {"type": "i32", "value": "2"}]}, "expected": [{"type": "i32", "value": "4"}]},
  {"type": "assert_return", "line": 8, "action": {"type": "invoke", "field": "add", "args": [{"type": "i32", "value": "4294967295"}, {"type": "i32", "value": "4294967295"}]}, "expected": [{"type": "i32", "value": "4294967294"}]},
  {"type": "assert_return", "line": 9, "action": {"type": "invoke", "field": "nanf", "args": []}, "expected": [{"type": "f32", "value": "nan:canonical"}]},
  {"type": "assert_return", "line": 10, "action": {"type": "invoke", "field": "mulf", "args": [{"type": "f32", "value": "1071644672"}, {"type": "f32", "value": "1073741824"}]}, "expected": [{"type": "f32", "value": "1080033280"}]},
  {"type": "assert_return", "line": 11, "action": {"type": "invoke", "field": "two", "args": []}, "expected": [{"type": "i32", "value": "4294967289"}, {"type": "f64", "value": "4591870180066957722"}]},
  {"type": "assert_return", "line": 12, "action": {"type": "invoke", "field": "vec", "args": []}, "expected": [{"type": "v128", "lane_type": "i32", "value": ["1", "2", "3", "4"]}]},
  {"type": "assert_return", "line": 13, "action": {"type": "invoke", "field": "id", "args": [{"type": "externref", "value": "7"}]}, "expected": [{"type": "externref", "value": "7"}]},
  {"type": "assert_return", "line": 14, "action": {"type": "invoke", "field": "nullref", "args": []}, "expected": [{"type": "externref", "value": "null"}]},
  {"type": "assert_return", "line": 15, "action": {"type": "get", "field": "g"}, "expected": [{"type": "i32", "value": "1"}]},
  {"type": "action", "line": 16, "action": {"type": "invoke", "field": "add", "args": [{"type": "i32", "value": "0"}, {"type": "i32", "value": "0"}]}, "expected": [{"type": "i32"}]},
  {"type": "assert_trap", "line": 17, "action": {"type": "invoke", "field": "boom", "args": []}, "text": "unreachable", "expected": [{"type": "i32"}]},
  {"type": "assert_trap", "line": 18, "action": {"type": "invoke", "field": "div", "args": [{"type": "i32", "value": "1"}, {"type": "i32", "value": "0"}]}, "text": "integer divide by zero", "expected": [{"type": "i32"}]},
  {"type": "assert_exhaustion", "line": 19, "action": {"type": "invoke", "field": "rec", "args": []}, "text": "call stack exhausted", "expected": [{"type": "i32"}]},
  {"type": "assert_invalid", "line": 20, "filename": "invalid.wasm", "text": "type mismatch", "module_type": "binary"},
  {"type": "assert_malformed", "line": 21, "filename": "x.wat", "text": "unexpected token", "module_type": "text"},
  {"type": "register", "line": 22, "name": "$m", "as": "arith"},
  {"type": "module", "line": 23, "filename": "user.wasm"},
  {"type": "assert_return", "line": 24, "action": {"type": "invoke", "field": "add3", "args": [{"type": "i32", "value": "1"}, {"type": "i32", "value": "2"}]}, "expected": [{"type": "i32", "value": "669"}]},
  {"type": "assert_unlinkable", "line": 25, "filename": "unlinkable.wasm", "text": "unknown import", "module_type": "binary"},
  {"type": "assert_uninstantiable", "line": 26, "filename": "starttrap.wasm", "text": "unreachable", "module_type": "binary"}
 ]})";
}

// Passing commands in Script(): all assert_* and action except line 7 and the
// skipped text-format one.
constexpr int kScriptPassed = 17;

class WastTest : public CliTest {
protected:
  void SetUp() override {
    CliTest::SetUp();
    if (IsSkipped()) return;
    Wasm("arith", kArithWat);
    Wasm("invalid", "(module (func (result i32)))", {"--no-check"});
    // Uses the registered module and the spectest imports: 1+2+666 + a call
    // to spectest.print_i32.
    Wasm("user", R"((module
      (import "arith" "add" (func $add (param i32 i32) (result i32)))
      (import "spectest" "global_i32" (global $g i32))
      (import "spectest" "print_i32" (func $print (param i32)))
      (import "spectest" "memory" (memory 1))
      (import "spectest" "table" (table 10 funcref))
      (func (export "add3") (param i32 i32) (result i32)
        (call $print (local.get 0))
        (call $add (call $add (local.get 0) (local.get 1)) (global.get $g)))))");
    Wasm("unlinkable", R"((module (import "arith" "nope" (func))))");
    Wasm("starttrap", R"((module (func $f unreachable) (start $f)))");
  }
};

TEST_F(WastTest, ReportsFailuresAndTotals) {
  fs::path script = dir_ / "script.json";
  WriteText(script, Script("script.wast"));
  Output o = Weft({"wast", script.string()});
  EXPECT_EQ(o.code, 1) << o.out << o.err;
  const std::string totals =
      std::to_string(kScriptPassed) + " passed, 1 failed, 1 skipped\n";
  EXPECT_EQ(o.out, "script.wast:7: assert_return $m.add(i32 1, i32 2): FAILED: "
                   "expected (i32 4), got (i32 3)\n" +
                       totals);
}

TEST_F(WastTest, AllPassingScriptExitsZero) {
  std::string text = Script("ok.wast");
  // Turn the failing expectation into a passing one.
  const std::string bad = R"("expected": [{"type": "i32", "value": "4"}])";
  text.replace(text.find(bad), bad.size(),
               R"("expected": [{"type": "i32", "value": "3"}])");
  fs::path script = dir_ / "ok.json";
  WriteText(script, text);
  Output o = Weft({"wast", script.string()});
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_EQ(o.out, std::to_string(kScriptPassed + 1) +
                       " passed, 0 failed, 1 skipped\n");

  // Verbose mode lists every command and what spectest.print_i32 printed.
  o = Weft({"wast", "--verbose", script.string()});
  EXPECT_EQ(o.code, 0);
  EXPECT_NE(o.out.find("ok.wast:6: assert_return add(i32 1, i32 2): ok\n"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("spectest.print_i32(i32 1)\n"), std::string::npos);
  EXPECT_NE(o.out.find("ok.wast:21: assert_malformed x.wat: skipped\n"),
            std::string::npos);
}

TEST_F(WastTest, TrapMessageMismatchFails) {
  const std::string text = R"({"source_filename": "t.wast", "commands": [
  {"type": "module", "line": 1, "filename": "arith.wasm"},
  {"type": "assert_trap", "line": 2, "action": {"type": "invoke", "field": "boom", "args": []}, "text": "integer overflow", "expected": []},
  {"type": "assert_trap", "line": 3, "action": {"type": "invoke", "field": "add", "args": [{"type": "i32", "value": "1"}, {"type": "i32", "value": "1"}]}, "text": "unreachable", "expected": []}]})";
  fs::path script = dir_ / "traps.json";
  WriteText(script, text);
  Output o = Weft({"wast", script.string()});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.out,
            "t.wast:2: assert_trap boom(): FAILED: expected trap \"integer "
            "overflow\", got trap \"unreachable\"\n"
            "t.wast:3: assert_trap add(i32 1, i32 1): FAILED: expected trap "
            "\"unreachable\", got (i32 2)\n"
            "0 passed, 2 failed\n");
}

TEST_F(WastTest, TrapTextMayAddDetailAfterOurs) {
  Wasm("table", R"((module (type $t (func (result i32))) (table 3 funcref)
    (func (export "call") (param i32) (result i32)
      (call_indirect (type $t) (local.get 0)))))");
  const std::string cmd =
      R"({"type": "assert_trap", "line": LINE, "action": {"type": "invoke", "field": "call", "args": [{"type": "i32", "value": "2"}]}, "text": "TEXT", "expected": [{"type": "i32"}]})";
  auto trap = [&](int line, const std::string& text) {
    std::string c = cmd;
    c.replace(c.find("LINE"), 4, std::to_string(line));
    c.replace(c.find("TEXT"), 4, text);
    return c;
  };
  const std::string text =
      R"({"source_filename": "u.wast", "commands": [
  {"type": "module", "line": 1, "filename": "table.wasm"},)" +
      trap(2, "uninitialized element 2") + ",\n" + trap(3, "uninitialized") +
      ",\n" + trap(4, "uninitialized elements") + "]}";
  fs::path script = dir_ / "detail.json";
  WriteText(script, text);
  Output o = Weft({"wast", script.string()});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.out, "u.wast:4: assert_trap call(i32 2): FAILED: expected trap "
                   "\"uninitialized elements\", got trap \"uninitialized "
                   "element\"\n2 passed, 1 failed\n");
}

TEST_F(WastTest, DirectoryRunsEveryScript) {
  const fs::path tree = dir_ / "tree";
  fs::create_directories(tree / "sub");
  for (const char* f : {"arith", "invalid", "user", "unlinkable", "starttrap"})
    fs::copy_file(dir_ / (std::string(f) + ".wasm"),
                  tree / "sub" / (std::string(f) + ".wasm"),
                  fs::copy_options::overwrite_existing);
  WriteText(tree / "sub" / "b.json", Script("b.wast"));
  const std::string one = R"({"source_filename": "a.wast", "commands": [
  {"type": "module", "line": 1, "filename": "arith.wasm"},
  {"type": "assert_return", "line": 2, "action": {"type": "invoke", "field": "add", "args": [{"type": "i32", "value": "2"}, {"type": "i32", "value": "2"}]}, "expected": [{"type": "i32", "value": "4"}]}]})";
  fs::copy_file(dir_ / "arith.wasm", tree / "arith.wasm",
                fs::copy_options::overwrite_existing);
  WriteText(tree / "a.json", one);
  Output o = Weft({"wast", tree.string()});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.out, "b.wast:7: assert_return $m.add(i32 1, i32 2): FAILED: "
                   "expected (i32 4), got (i32 3)\n" +
                       (tree / "sub" / "b.json").string() + ": " +
                       std::to_string(kScriptPassed) +
                       " passed, 1 failed, 1 skipped\n" +
                       std::to_string(kScriptPassed + 1) +
                       " passed, 1 failed, 1 skipped\n");
}

TEST_F(WastTest, MissingModuleFileFails) {
  const std::string text = R"({"source_filename": "m.wast", "commands": [
  {"type": "module", "line": 1, "filename": "absent.wasm"},
  {"type": "assert_return", "line": 2, "action": {"type": "invoke", "field": "add", "args": []}, "expected": []}]})";
  fs::path script = dir_ / "missing.json";
  WriteText(script, text);
  Output o = Weft({"wast", script.string()});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.out,
            "m.wast:1: module absent.wasm: FAILED: absent.wasm: cannot read "
            "file: No such file or directory\n"
            "m.wast:2: assert_return add(): FAILED: no module is "
            "instantiated\n"
            "0 passed, 2 failed\n");
}

} // namespace
