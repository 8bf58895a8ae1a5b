// `weft validate` and `weft run`: the commands that take one module file.
#pragma once

#include <string>
#include <vector>

namespace weft::cli {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1; // invalid module, link error, trap, ...
inline constexpr int kExitUsage = 2; // bad command line

// Decodes and validates `path`. Prints nothing and returns 0 when valid;
// otherwise prints "<path>: error: <what> at offset <n>" to stderr, returns 1.
int ValidateCommand(const std::string& path);

struct RunOptions {
  std::string module_path;
  std::string invoke;            // export to call; empty: "_start"
  std::vector<std::string> args; // parsed by the export's parameter types
};

// Compiles and instantiates the module with no imports, calls the export and
// prints each result on its own line to stdout. Errors go to stderr; a trap
// prints "error: trap: <reason>" and returns 1.
int RunCommand(const RunOptions& options);

} // namespace weft::cli
