#include "cli/serve_cmd.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/run_cmd.h"
#include "cli/tier.h"
#include "cli/wat.h"
#include "native/artifact.h"
#include "platform/admin.h"
#include "platform/app.h"
#include "platform/caps/caps.h"
#include "platform/caps/kv_backend.h"
#include "platform/manifest.h"
#include "platform/reload.h"
#include "platform/server.h"
#include "platform/telemetry.h"
#include "platform/watch.h"

namespace weft::cli {

namespace {

// "HOST:PORT" ("[::1]:80" for IPv6); false after printing why.
bool ParseHostPort(const std::string& flag, const std::string& l,
                   std::string& host, uint16_t& port) {
  size_t colon = l.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == l.size()) {
    std::cerr << "error: weft serve: " << flag << " wants HOST:PORT, got \""
              << l << "\"\n";
    return false;
  }
  host = l.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned long p = 0;
  try {
    size_t used = 0;
    p = std::stoul(l.substr(colon + 1), &used);
    if (used != l.size() - colon - 1 || p > 65535) throw 0;
  } catch (...) {
    std::cerr << "error: weft serve: " << flag << ": invalid port in \"" << l
              << "\"\n";
    return false;
  }
  port = static_cast<uint16_t>(p);
  return true;
}

// The compile cache's messages as records of the server's log, tagged
// with the module and, when given, the function.
CacheLogSink CacheLogTo(const platform::Logger& logger, std::string function) {
  return [&logger, function = std::move(function)](std::string_view level,
                                                   const std::string& msg,
                                                   const std::string& module) {
    nlohmann::json fields = nlohmann::json::object();
    if (!function.empty()) fields["function"] = function;
    if (!module.empty()) fields["module"] = module;
    logger.Log(level, "cache: " + msg, fields);
  };
}

} // namespace

int ServeCommand(const ServeArgs& args) {
  namespace fs = std::filesystem;
  platform::ServeOptions options;
  options.workers = args.workers;
  options.access_log = !args.no_access_log;
  if (!ParseHostPort("--listen", args.listen, options.host, options.port))
    return kExitUsage;
  platform::AdminOptions admin_options;
  if (!args.admin_listen.empty()) {
    if (!ParseHostPort("--admin-listen", args.admin_listen, admin_options.host,
                       admin_options.port))
      return kExitUsage;
    const char* token = std::getenv("WEFT_ADMIN_TOKEN");
    if (!token || !*token) {
      std::cerr << "error: weft serve: --admin-listen needs the admin API's "
                   "bearer token in the environment variable "
                   "WEFT_ADMIN_TOKEN\n";
      return kExitUsage;
    }
    admin_options.token = token;
    admin_options.data_dir = args.data_dir;
  }

  if (!args.request_timeout.empty()) {
    auto t = platform::ParseTimeSpan(args.request_timeout);
    if (!t || *t < std::chrono::milliseconds(1)) {
      std::cerr << "error: weft serve: --request-timeout: not a duration like "
                   "\"10s\" or \"500ms\": \""
                << args.request_timeout << "\"\n";
      return kExitUsage;
    }
    options.request_timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(*t);
  }

  fs::path manifest_path =
      args.app.empty() ? fs::path(".") : fs::path(args.app);
  std::error_code ec;
  if (fs::is_directory(manifest_path, ec)) manifest_path /= "weft.toml";
  if (!fs::exists(manifest_path, ec)) {
    std::cerr << manifest_path.string()
              << ": error: no such manifest (weft serve takes an app "
                 "folder holding weft.toml, or the manifest file)\n";
    return kExitError;
  }
  platform::WatConverter wat = [](const std::string& path,
                                  std::vector<uint8_t>& bytes,
                                  std::string& why) {
    WatResult r = WatToWasm(path, bytes);
    if (!r.errors.empty()) {
      why.clear();
      for (const std::string& line : r.errors)
        why += (why.empty() ? "" : "\n") + line;
      return false;
    }
    bytes = std::move(r.wasm);
    return true;
  };
  // Modules: .cwasm artifacts as they are; others through the compile
  // cache on the compiled/auto tiers, auto compiling in the background and
  // switching new instances to the compiled code once it is ready.
  const std::optional<Tier> tier = ParseTier(args.tier);
  if (!tier) {
    std::cerr << "error: weft serve: unknown tier \"" << args.tier
              << "\" (interp, compiled, auto)\n";
    return kExitUsage;
  }
  // Declared before everything that logs through it (the background
  // compiler's thread among them), so it is destroyed last.
  platform::Logger logger(!::isatty(2));
  const CacheSettings cache = CacheFromEnv(CacheLogTo(logger, ""));
  auto background = std::make_shared<BackgroundCompiler>(cache);
  platform::ModuleCompiler compile = [tier = *tier, cache, background,
                                      &logger](platform::Function& fn,
                                               std::span<const uint8_t> bytes)
      -> Result<std::shared_ptr<const CompiledModule>> {
    if (native::IsArtifact(bytes)) return LoadArtifactBytes(bytes);
    const std::string label = fn.spec.module.string();
    auto upgrade = fn.upgrade;
    CacheSettings fn_cache = cache;
    fn_cache.sink = CacheLogTo(logger, fn.spec.name);
    return CompileCached(
        *fn.engine, bytes, tier, label, fn_cache, [&](const std::string&) {
          background->Submit(
              std::vector<uint8_t>(bytes.begin(), bytes.end()), label,
              [upgrade](std::shared_ptr<const CompiledModule> code) {
                upgrade->code.store(std::move(code));
              },
              fn_cache.sink);
        });
  };
  // KV stores: one backend for the server's lifetime, shared by every
  // version of the app.
  auto kv_backend = caps::MakeKvBackend(
      args.kv_backend, args.data_dir,
      [&logger](std::string_view level, const std::string& message) {
        logger.Log(level, message, nlohmann::json::object());
      });
  if (!kv_backend) {
    std::cerr << "error: weft serve: --kv-backend: "
              << kv_backend.error().message << "\n";
    return kExitUsage;
  }
  // The one way an app is loaded: at start-up, and for every reload.
  const std::string data_dir = args.data_dir;
  platform::AppHost::Loader load =
      [wat, data_dir, compile,
       kv = *kv_backend](const fs::path& path,
                         std::string& why) -> std::unique_ptr<platform::App> {
    auto manifest = platform::LoadManifest(path, why);
    if (!manifest) return nullptr;
    return platform::LoadApp(std::move(*manifest), data_dir, wat, why, compile,
                             kv);
  };
  std::string error;
  if (!args.outbound_ca.empty() &&
      !caps::SetOutboundCaFile(args.outbound_ca, error)) {
    std::cerr << "error: weft serve: --outbound-ca: " << error << "\n";
    return kExitError;
  }
  auto app = load(manifest_path, error);
  if (!app) {
    std::cerr << error << "\n";
    return kExitError;
  }
  platform::AppHost host(std::move(app), load, logger);
  std::unique_ptr<platform::AppWatcher> watcher;
  if (args.watch) {
    watcher = std::make_unique<platform::AppWatcher>(host, logger);
    if (!watcher->Start(error)) {
      std::cerr << "error: weft serve: " << error << "\n";
      return kExitError;
    }
  }
  std::unique_ptr<platform::AdminServer> admin;
  if (!args.admin_listen.empty()) {
    admin = std::make_unique<platform::AdminServer>(
        host, std::move(admin_options), logger);
    if (!admin->Start(error)) {
      std::cerr << "error: weft serve: " << error << "\n";
      return kExitError;
    }
  }
  const int status = platform::Serve(host, options, logger);
  admin.reset();
  watcher.reset();
  return status;
}

} // namespace weft::cli
