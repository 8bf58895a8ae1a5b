// `weft serve`: load an app's manifest and serve its functions over HTTP.
#pragma once

#include <cstddef>
#include <string>

namespace weft::cli {

struct ServeArgs {
  std::string app;                       // APP_DIR or .../weft.toml
  std::string listen = "127.0.0.1:3000"; // HOST:PORT, port 0: ephemeral
  std::string data_dir = ".weft/data";   // KV stores (SQLite files)
  size_t workers = 0;                    // 0: one per core
  std::string request_timeout;           // "10s", "500ms"; empty: the default
  bool watch = false;         // reload when the manifest or a module changes
  bool no_access_log = false; // no log record per request
  std::string admin_listen;   // HOST:PORT of the admin API; empty: off
  std::string outbound_ca;    // extra CA file (PEM) for outbound https://
  std::string tier = "auto";  // interp, compiled, auto (see tier.h)
  std::string kv_backend;     // empty: SQLite in data_dir (caps/kv_backend.h)
};

// Returns 0 after a clean shutdown (SIGINT/SIGTERM), 1 when the app cannot
// be loaded (the message names the manifest file and line) or the address
// cannot be bound, 2 for a bad --listen.
int ServeCommand(const ServeArgs& args);

} // namespace weft::cli
