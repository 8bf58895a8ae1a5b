// The app manifest (weft.toml): which functions an app has, where they are
// routed and what each may use. docs/manifest.md describes the format.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "wasi/wasi.h"

namespace weft::platform {

// A route: "/hello" matches that path only; "/api/..." matches "/api" and
// every path below it ("/api/x", "/api/x/y"), not "/apix".
struct Route {
  std::string text; // as written in the manifest
  std::string path; // "/hello", or the prefix "/api" for "/api/..."
  bool prefix = false;
  // Whether `request_path` (no query) is matched.
  bool Matches(const std::string& request_path) const;
};

struct FunctionSpec {
  std::string name;
  Route route;
  std::filesystem::path module; // resolved against the manifest's folder
  std::map<std::string, std::string> env;
  std::vector<WasiPreopen> files; // read-only
  std::vector<std::string> kv;
  std::vector<std::string> allowed_outbound_hosts;
  std::optional<uint64_t> memory_limit; // bytes
  std::chrono::nanoseconds timeout = std::chrono::seconds(30);
  uint32_t max_concurrency = 0;             // 0: no limit of its own
  uint64_t max_response_size = 16ull << 20; // bytes of guest stdout
  uint64_t max_log_size = 64ull << 10;      // bytes of guest stderr
  uint32_t line = 0; // where the [[function]] table starts, for messages
  uint32_t module_line = 0;
};

struct Manifest {
  std::filesystem::path path; // the weft.toml file
  std::string app_name;
  std::vector<FunctionSpec> functions;
  std::map<std::string, std::string> variables; // [variables] defaults
  // [variables] declared with secret = true: their values are never
  // logged (the server's logger redacts them) nor listed.
  std::set<std::string> secret_variables;
};

// Reads and checks a manifest. On failure returns nullopt and sets `error`
// to "<file>:<line>:<column>: error: <what>" (the position of the offending
// key or value). Checks: TOML syntax, unknown keys, types, required keys,
// route syntax, overlapping routes, duplicate names, sizes and durations,
// env names, `files` host directories that exist. Modules are not read here
// (see LoadApp).
std::optional<Manifest> LoadManifest(const std::filesystem::path& path,
                                     std::string& error);

// "32MiB", "65536", "1GiB" (binary units K/M/G with optional B/iB).
std::optional<uint64_t> ParseByteSize(const std::string& text);
// "500ms", "2s", "1.5s", "1m", "250us".
std::optional<std::chrono::nanoseconds> ParseTimeSpan(const std::string& text);

} // namespace weft::platform
