// The app a running server serves, replaced while it serves (`weft serve
// --watch`, the admin API's deploys): requests pin the version current
// when they arrive (a shared_ptr), so a request in flight finishes on the
// version it started with, and the old version is freed once its last
// request is done and every guest thread that ran it has served a request
// of a newer version (a guest thread keeps the version of its last request,
// with its ready instances, until its next request: UseApp). A new version is
// loaded and checked exactly like the one at start-up; a version that fails to
// load is refused and the current one keeps serving.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "platform/app.h"
#include "platform/telemetry.h"

namespace weft::platform {

// What the admin API lists about the current version.
struct AppVersionInfo {
  uint64_t number = 0;             // 1 for the app the server started with
  std::string source;              // "start", "watch", "admin"
  std::filesystem::path manifest;  // the weft.toml it was loaded from
  std::vector<std::string> sha256; // of each function's module file
};

class AppHost {
public:
  // Loads `manifest` exactly as `weft serve` does at start-up (manifest
  // checks, every module compiled and its imports bound); null with
  // `error` set ("<manifest>:<line>: error: ...") on failure.
  using Loader = std::function<std::unique_ptr<App>(
      const std::filesystem::path& manifest, std::string& error)>;

  // `logger` is told every version's secret values (Logger::AddSecrets).
  AppHost(std::unique_ptr<App> initial, Loader loader, Logger& logger);

  // The version serving new requests; null after Remove().
  std::shared_ptr<App> Current() const {
    return app_.load(std::memory_order_acquire);
  }
  // Bumped by every successful Reload and by Remove.
  uint64_t generation() const {
    return generation_.load(std::memory_order_acquire);
  }

  // Called by Serve once its metrics exist (null when it stops): new
  // versions' functions get their metrics slots by name.
  void Attach(Metrics* metrics);

  // Loads the app at `manifest` and, when it loads, makes it current.
  // Logs "reloaded" (info) or "reload refused: <error>" (error) and
  // counts the attempt in weft_reloads_total{result="ok"|"error"}.
  // `source` labels the log line. Returns false with `error` set when the
  // new version was refused (the current one is untouched). Serialized:
  // one reload at a time.
  bool Reload(const std::filesystem::path& manifest, const std::string& source,
              std::string& error);

  // Loads the app at `manifest` exactly as Reload would, without making it
  // current: false with `error` set when Reload would refuse it (the
  // cluster checks a deploy before storing it for every node).
  bool Check(const std::filesystem::path& manifest, std::string& error);

  // No app: every route answers 404 until the next successful Reload.
  void Remove(const std::string& source);

  // The current version's details; number 0 (and no manifest) after
  // Remove().
  AppVersionInfo info() const;

  // weft_reloads_total lines for GET /metrics, then extra_metrics()'s.
  std::string RenderMetrics() const;
  // More /metrics text (the cluster's gauges); set before Serve starts.
  void SetExtraMetrics(std::function<std::string()> render) {
    extra_metrics_ = std::move(render);
  }
  // Requests served so far and guest instances running now, from the
  // attached Metrics (0 before Serve attaches them).
  uint64_t RequestsTotal() const;
  int64_t InstancesLive() const;

private:
  void Install(std::shared_ptr<App> app, AppVersionInfo info);

  Loader loader_;
  Logger& logger_;
  std::atomic<std::shared_ptr<App>> app_;
  std::atomic<uint64_t> generation_{1};
  mutable std::mutex mu_; // serializes Reload/Remove/Attach; guards below
  Metrics* metrics_ = nullptr;
  AppVersionInfo info_;
  uint64_t next_number_ = 2;
  std::atomic<uint64_t> reloads_ok_{0}, reloads_error_{0};
  std::function<std::string()> extra_metrics_;
  // Guards metrics_ for RequestsTotal/InstancesLive, which must not wait
  // for mu_ (held while a new version compiles). Attach takes both.
  mutable std::mutex metrics_mu_;
};

// SHA-256 of `bytes` as 64 lower-case hex digits.
std::string Sha256Hex(const void* bytes, size_t size);

// The values of the app's secret variables ([variables] entries with
// secret = true) as the server resolves them (WEFT_VAR_ overrides
// included): what the logger must never print.
std::vector<std::string> SecretValues(const App& app);

} // namespace weft::platform
