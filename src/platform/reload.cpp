#include "platform/reload.h"

#include <string_view>
#include <unordered_map>

#include <openssl/evp.h>

#include <fstream>
#include <iterator>

extern char** environ;

namespace weft::platform {
namespace {

std::vector<std::string> ModuleHashes(const App& app) {
  std::vector<std::string> out;
  for (const auto& fn : app.functions) {
    std::ifstream in(fn->spec.module, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    out.push_back(in || in.eof() ? Sha256Hex(bytes.data(), bytes.size())
                                 : std::string());
  }
  return out;
}

} // namespace

std::string Sha256Hex(const void* bytes, size_t size) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes, size, md, &len, EVP_sha256(), nullptr) != 1) return {};
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::vector<std::string> SecretValues(const App& app) {
  std::vector<std::string> out;
  const auto values = caps::ResolveVariables(app.manifest.variables, environ);
  for (const std::string& name : app.manifest.secret_variables)
    if (auto it = values.find(name); it != values.end() && !it->second.empty())
      out.push_back(it->second);
  return out;
}

AppHost::AppHost(std::unique_ptr<App> initial, Loader loader, Logger& logger)
    : loader_(std::move(loader)), logger_(logger) {
  info_.number = 1;
  info_.source = "start";
  info_.manifest = initial->manifest.path;
  info_.sha256 = ModuleHashes(*initial);
  logger_.AddSecrets(SecretValues(*initial));
  app_.store(std::shared_ptr<App>(std::move(initial)),
             std::memory_order_release);
}

void AppHost::Attach(Metrics* metrics) {
  std::lock_guard<std::mutex> g(mu_);
  {
    std::lock_guard<std::mutex> m(metrics_mu_);
    metrics_ = metrics;
  }
  if (!metrics_) return;
  if (std::shared_ptr<App> app = Current())
    for (auto& fn : app->functions)
      fn->metrics_slot = metrics_->Slot(fn->spec.name);
}

void AppHost::Install(std::shared_ptr<App> app, AppVersionInfo info) {
  // Under mu_. The slots are set before the version is published: a
  // request that sees the new version sees its slots.
  if (app && metrics_)
    for (auto& fn : app->functions)
      fn->metrics_slot = metrics_->Slot(fn->spec.name);
  // A function that stays (by name) keeps counting its requests in flight
  // in one counter: those still running on the old version count against
  // the new version's max_concurrency.
  if (std::shared_ptr<App> old = Current(); app && old) {
    std::unordered_map<std::string_view, const Function*> by_name;
    for (const auto& prev : old->functions)
      by_name.emplace(prev->spec.name, prev.get());
    for (auto& fn : app->functions)
      if (auto it = by_name.find(fn->spec.name); it != by_name.end())
        fn->inflight = it->second->inflight;
  }
  info_ = std::move(info);
  app_.store(std::move(app), std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

bool AppHost::Reload(const std::filesystem::path& manifest,
                     const std::string& source, std::string& error) {
  std::lock_guard<std::mutex> g(mu_);
  error.clear();
  std::unique_ptr<App> app = loader_(manifest, error);
  if (!app) {
    if (error.empty()) error = manifest.string() + ": error: cannot load";
    reloads_error_.fetch_add(1, std::memory_order_relaxed);
    logger_.Log("error", "reload refused: " + error,
                {{"source", source}, {"manifest", manifest.string()}});
    return false;
  }
  // Secrets of the new version are redacted before any of its requests
  // can log.
  logger_.AddSecrets(SecretValues(*app));
  AppVersionInfo info;
  info.number = next_number_++;
  info.source = source;
  info.manifest = app->manifest.path;
  info.sha256 = ModuleHashes(*app);
  const std::string name = app->manifest.app_name;
  const size_t functions = app->functions.size();
  const uint64_t number = info.number;
  Install(std::shared_ptr<App>(std::move(app)), std::move(info));
  reloads_ok_.fetch_add(1, std::memory_order_relaxed);
  logger_.Log("info", "reloaded",
              {{"source", source},
               {"manifest", manifest.string()},
               {"app", name},
               {"functions", functions},
               {"version", number}});
  return true;
}

bool AppHost::Check(const std::filesystem::path& manifest, std::string& error) {
  error.clear();
  std::unique_ptr<App> app = loader_(manifest, error);
  if (!app && error.empty()) error = manifest.string() + ": error: cannot load";
  return app != nullptr;
}

uint64_t AppHost::RequestsTotal() const {
  std::lock_guard<std::mutex> g(metrics_mu_);
  return metrics_ ? metrics_->RequestsTotal() : 0;
}

int64_t AppHost::InstancesLive() const {
  std::lock_guard<std::mutex> g(metrics_mu_);
  return metrics_ ? metrics_->instances_live.Sum() : 0;
}

void AppHost::Remove(const std::string& source) {
  std::lock_guard<std::mutex> g(mu_);
  Install(nullptr, AppVersionInfo{});
  logger_.Log("info", "app removed", {{"source", source}});
}

AppVersionInfo AppHost::info() const {
  std::lock_guard<std::mutex> g(mu_);
  return info_;
}

std::string AppHost::RenderMetrics() const {
  return "# HELP weft_reloads_total App reloads (--watch, admin deploys) by "
         "result (error: the new version was refused, the old one kept "
         "serving).\n# TYPE weft_reloads_total counter\n"
         "weft_reloads_total{result=\"ok\"} " +
         std::to_string(reloads_ok_.load(std::memory_order_relaxed)) +
         "\nweft_reloads_total{result=\"error\"} " +
         std::to_string(reloads_error_.load(std::memory_order_relaxed)) + "\n" +
         (extra_metrics_ ? extra_metrics_() : std::string());
}

} // namespace weft::platform
