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
// instead: nothing to do when it is there already; when another process is
// compiling it, waits for that one and compiles it itself only if no entry
// was stored. Returns when the code is in the cache: exit 0, or 1 with
// "FILE: error: ..." on stderr.
int CompileCommand(const CompileArgs& args);

} // namespace weft::cli
