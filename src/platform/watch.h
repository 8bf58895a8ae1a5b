// `weft serve --watch`: reloads the app when its manifest or one of its
// modules changes. Watches (inotify) the folders holding the current
// version's manifest and modules, so a file replaced by rename (what most
// editors and build tools do: write a temporary file, rename it over the
// old one) is seen as well as one rewritten in place. Changes are
// debounced: the reload starts once no relevant event has arrived for
// `debounce` (at most 2 s after the first). The reload itself is
// AppHost::Reload: a version that fails to load is refused and logged, the
// old one keeps serving.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "platform/reload.h"
#include "platform/telemetry.h"

namespace weft::platform {

class AppWatcher {
public:
  AppWatcher(
      AppHost& host, const Logger& logger,
      std::chrono::milliseconds debounce = std::chrono::milliseconds(200));
  // Stops and joins the watching thread.
  ~AppWatcher();
  AppWatcher(const AppWatcher&) = delete;
  AppWatcher& operator=(const AppWatcher&) = delete;

  // Starts watching; false with `error` set when inotify is unavailable.
  bool Start(std::string& error);

private:
  void Run();
  // Watches the folders of the current version's files.
  void Rewatch();

  AppHost& host_;
  const Logger& logger_;
  std::chrono::milliseconds debounce_;
  int inotify_ = -1;
  int stop_ = -1; // eventfd: the destructor's wake-up
  std::filesystem::path manifest_;
  std::map<int, std::filesystem::path> dirs_;                    // wd -> folder
  std::map<std::filesystem::path, std::set<std::string>> files_; // per folder
  uint64_t watched_generation_ = 0;
  std::thread thread_;
};

} // namespace weft::platform
