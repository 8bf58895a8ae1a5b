// The spec-script runner: executes WebAssembly spec tests in wabt's
// spec-JSON form (wast2json output) against the embedding API in
// runtime/runtime.h. It only needs a way to compile bytes, so any tier that
// implements the API (the interpreter today, a compiled tier later) can
// reuse it by passing its own compile function.
//
// Counting: every command of type assert_* or action is counted as passed,
// failed or skipped (assert_malformed / assert_invalid with module_type
// "text" test the text parser and are skipped). A `module` or `register`
// command that fails is reported and counted as failed, since everything
// after it would run against the wrong module; when it succeeds it is not
// counted.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "runtime/runtime.h"

namespace weft::cli {

struct WastCounts {
  uint64_t passed = 0;
  uint64_t failed = 0;
  uint64_t skipped = 0;
  // assert_invalid / assert_malformed / assert_unlinkable that failed as
  // required but with a message that does not contain the expected text.
  // Counted as passed; reported only in verbose mode.
  uint64_t message_mismatches = 0;

  WastCounts& operator+=(const WastCounts& o) {
    passed += o.passed;
    failed += o.failed;
    skipped += o.skipped;
    message_mismatches += o.message_mismatches;
    return *this;
  }
  // "N passed, M failed" plus ", K skipped" when K > 0.
  std::string Summary() const;
};

using WastCompileFn =
    std::function<Result<std::shared_ptr<const CompiledModule>>(
        std::span<const uint8_t> bytes)>;

struct WastOptions {
  // Print every command and its outcome (not only failures), the output of
  // the spectest print functions, and message mismatches.
  bool verbose = false;
  // Execution tier for WastCommand: "interp", "compiled" or "auto".
  std::string tier = "interp";
};

class WastRunner {
public:
  // `engine` must outlive the runner. `compile` turns module bytes into a
  // CompiledModule for `engine`; WastRunner(engine) uses CompileModule.
  WastRunner(const Engine& engine, WastCompileFn compile,
             WastOptions options = {});
  explicit WastRunner(const Engine& engine, WastOptions options = {});

  // Runs one script file; the .wasm files it names are read from the same
  // folder. Failures (and in verbose mode every command) are written to
  // `out`. A file that cannot be read or parsed counts as one failure.
  // Every script runs in a fresh Store.
  WastCounts RunFile(const std::filesystem::path& json_path, std::ostream& out);

  // Same for a script given as JSON text; `base_dir` is where its modules
  // are, `display_name` prefixes messages when the script names no source.
  WastCounts RunText(std::string_view json_text,
                     const std::filesystem::path& base_dir,
                     std::string_view display_name, std::ostream& out);

private:
  const Engine& engine_;
  WastCompileFn compile_;
  WastOptions options_;
};

// `weft wast PATH`: a script file, or a folder whose *.json files (found
// recursively, run in sorted order) are all run. Prints failures, a summary
// line per failing file (folder mode), and finally the totals line
// "N passed, M failed[, K skipped]". Returns 0 only when nothing failed.
int WastCommand(const std::string& path, const WastOptions& options);

} // namespace weft::cli
