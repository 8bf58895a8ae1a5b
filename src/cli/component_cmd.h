// `weft validate`, `weft run` and `weft compile` for components (WASI 0.2
// `wasi:cli/command` programs, and any component through --invoke). The
// module commands (run_cmd.h, compile_cmd.h) hand a file over when its
// preamble says it is a component.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cli/run_cmd.h"
#include "wasm/result.h"

namespace weft::cli {

// Decodes, validates and checks the imports against the WASI 0.2 host.
// Prints nothing and returns 0 when valid; else "<path>: error: ..." and 1.
int ValidateComponentCommand(const std::string& path,
                             std::span<const uint8_t> bytes);

// Runs `wasi:cli/run#run` (no --invoke) or the export named by --invoke
// with WIT-typed arguments in the text form of component/value.h; results
// are printed in that form, one per line. Exit status: the guest's `exit`
// (0 for `run` returning ok, 1 for err), 134 for a trap, 1 for an invalid
// component or a link error.
int RunComponentCommand(const RunOptions& options, std::vector<uint8_t> bytes);

// The core modules of a valid component, nested ones included, in binary
// order (what `weft compile` compiles).
Result<std::vector<std::vector<uint8_t>>>
ComponentCoreModules(std::span<const uint8_t> bytes);

// `weft compile --cache` of a component: each core module into the cache.
int CompileComponentIntoCache(const std::string& path,
                              std::span<const uint8_t> bytes);

} // namespace weft::cli
