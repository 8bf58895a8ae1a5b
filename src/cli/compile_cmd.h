// `weft compile`: a module -> an artifact (.cwasm) or a cache entry.
#pragma once

#include <string>

namespace weft::cli {

struct CompileArgs {
  std::string input;  // .wasm or .wat
  std::string output; // empty: the input's name with .cwasm
  bool into_cache = false;
};

// Compiles with the plugin (progress on a terminal for large modules) and
// writes the artifact atomically. --cache stores it into the compile cache
// instead (silently skipped when another process is compiling it, or it is
// there already). Exit 0, or 1 with "FILE: error: ..." on stderr.
int CompileCommand(const CompileArgs& args);

} // namespace weft::cli
