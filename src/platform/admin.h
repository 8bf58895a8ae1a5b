// `weft serve --admin-listen HOST:PORT`: the admin API (docs/admin-api.md)
// on its own listener and thread, every request authenticated with the
// bearer token of WEFT_ADMIN_TOKEN:
//   GET    /v1/functions  the current version's functions (JSON)
//   PUT    /v1/app        deploy a new version: a tar archive holding
//   POST   /v1/app        weft.toml and its modules
//   DELETE /v1/app        remove the app (every route 404 until a deploy)
// A deploy is unpacked into <data-dir>/apps/<n>/ and loaded through
// AppHost::Reload, exactly like the app at start-up; a version that fails
// answers 400 with the error and the current one keeps serving.
// Under `--cluster` (src/cluster, docs/cluster.md) a deploy is checked
// here, then stored once for every node through ClusterControl, and:
//   GET    /v1/cluster                 the cluster's live nodes (JSON)
//   POST   /v1/app/rollback?version=N  make stored version N current
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "platform/manifest.h"
#include "platform/reload.h"
#include "platform/telemetry.h"

namespace weft::platform {

// What the admin API asks of the cluster (implemented by src/cluster, a
// layer above this one). Each call answers with an HTTP status and a JSON
// body.
class ClusterControl {
public:
  struct Reply {
    unsigned status = 200;
    nlohmann::json body;
  };
  virtual ~ClusterControl() = default;
  // Stores `archive` (already checked to load here) as the cluster's next
  // version, then loads it on this node like every other node does.
  virtual Reply Deploy(std::string_view archive) = 0;
  // Makes stored version `version` the cluster's current one.
  virtual Reply Rollback(uint64_t version) = 0;
  // GET /v1/cluster.
  virtual Reply Status() = 0;
};

struct AdminOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0; // 0: any free port (logged)
  std::string token; // required, non-empty
  std::filesystem::path data_dir;
  size_t max_upload_bytes = 256u << 20; // beyond: 413
  ClusterControl* cluster = nullptr;    // set under --cluster
};

class AdminServer {
public:
  AdminServer(AppHost& host, AdminOptions options, const Logger& logger);
  // Stops accepting and joins the admin thread (a deploy in progress
  // finishes first).
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and starts serving; logs "admin listening" with the address
  // (HOST:PORT). False with `error` set when it cannot listen.
  bool Start(std::string& error);
  // The bound port (after Start).
  uint16_t port() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Unpacks a tar archive (ustar, with GNU long names and POSIX pax "path"
// records) into the existing folder `dir`. Only regular files and folders;
// every entry name must stay inside `dir` (no absolute names, no ".."
// component; links and devices are refused). False with `error` naming
// the entry.
bool ExtractTar(std::string_view archive, const std::filesystem::path& dir,
                std::string& error);

// Whether every module and `files` folder of `m` lies inside `dir` (a
// deployed archive's folder); false with `error` naming the first outside.
bool ManifestContained(const Manifest& m, const std::filesystem::path& dir,
                       std::string& error);

// Whether `a` and `b` are equal, in time that does not depend on where
// they differ (nor on their lengths).
bool SecretEquals(std::string_view a, std::string_view b);

} // namespace weft::platform
