#include "platform/watch.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace weft::platform {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kDirEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                                IN_CREATE | IN_DELETE | IN_ATTRIB;

// The folder (absolute, symlinks resolved where they exist) and name of
// `file`.
std::pair<fs::path, std::string> Split(const fs::path& file) {
  std::error_code ec;
  fs::path abs = fs::absolute(file, ec);
  if (ec) abs = file;
  fs::path dir = fs::weakly_canonical(abs.parent_path(), ec);
  if (ec) dir = abs.parent_path();
  return {dir, abs.filename().string()};
}

} // namespace

AppWatcher::AppWatcher(AppHost& host, const Logger& logger,
                       std::chrono::milliseconds debounce)
    : host_(host), logger_(logger), debounce_(debounce) {}

AppWatcher::~AppWatcher() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!::write(stop_, &one, sizeof one);
    thread_.join();
  }
  if (inotify_ >= 0) ::close(inotify_);
  if (stop_ >= 0) ::close(stop_);
}

bool AppWatcher::Start(std::string& error) {
  inotify_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  stop_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (inotify_ < 0 || stop_ < 0) {
    error = std::string("--watch: inotify: ") + std::strerror(errno);
    return false;
  }
  Rewatch();
  if (dirs_.empty()) {
    error = "--watch: cannot watch the folder of " + manifest_.string() + ": " +
            std::strerror(errno);
    return false;
  }
  size_t files = 0;
  for (const auto& [dir, names] : files_)
    files += names.size();
  logger_.Log("info", "watching",
              {{"manifest", manifest_.string()},
               {"files", files},
               {"folders", dirs_.size()}});
  thread_ = std::thread([this] { Run(); });
  return true;
}

void AppWatcher::Rewatch() {
  watched_generation_ = host_.generation();
  // The current version's manifest; after an admin DELETE (no version),
  // the one watched before.
  const AppVersionInfo info = host_.info();
  if (!info.manifest.empty()) manifest_ = info.manifest;
  std::map<fs::path, std::set<std::string>> want;
  auto add = [&](const fs::path& file) {
    auto [dir, name] = Split(file);
    want[dir].insert(name);
  };
  add(manifest_);
  if (std::shared_ptr<App> app = host_.Current())
    for (const auto& fn : app->functions)
      add(fn->spec.module);
  // Folders watched already keep their watch (removing and adding it
  // again would lose the events in between).
  for (auto it = dirs_.begin(); it != dirs_.end();) {
    if (want.count(it->second)) {
      ++it;
      continue;
    }
    ::inotify_rm_watch(inotify_, it->first);
    files_.erase(it->second);
    it = dirs_.erase(it);
  }
  for (const auto& [dir, names] : want) {
    files_[dir] = names;
    int wd = ::inotify_add_watch(inotify_, dir.c_str(), kDirEvents);
    if (wd < 0) continue; // a folder that does not exist (yet)
    dirs_[wd] = dir;
  }
}

void AppWatcher::Run() {
  alignas(inotify_event) char buf[16384];
  bool pending = false;
  Clock::time_point first{}, last{};
  for (;;) {
    int timeout_ms = 1000; // also: notice a version installed by others
    if (pending) {
      const auto due =
          std::min(last + debounce_, first + std::chrono::seconds(2));
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      due - Clock::now())
                      .count();
      timeout_ms = left < 0 ? 0 : static_cast<int>(left);
    }
    pollfd fds[2] = {{inotify_, POLLIN, 0}, {stop_, POLLIN, 0}};
    int n = ::poll(fds, 2, timeout_ms);
    if (n < 0 && errno != EINTR) return;
    if (fds[1].revents) return;
    if (n > 0 && fds[0].revents) {
      for (;;) {
        ssize_t len = ::read(inotify_, buf, sizeof buf);
        if (len <= 0) break;
        for (ssize_t off = 0; off < len;) {
          const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
          off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
          auto dir = dirs_.find(ev->wd);
          if (dir == dirs_.end() || ev->len == 0) continue;
          const std::set<std::string>& names = files_[dir->second];
          if (!names.count(ev->name)) continue; // another file in the folder
          const auto now = Clock::now();
          if (!pending) first = now;
          pending = true;
          last = now;
        }
      }
    }
    const auto now = Clock::now();
    if (pending &&
        (now >= last + debounce_ || now >= first + std::chrono::seconds(2))) {
      pending = false;
      std::string error;
      host_.Reload(manifest_, "watch", error); // logs either way
      // The new version may use other modules (or the refused one named
      // a folder we do not watch yet: keep the old set plus the manifest).
      Rewatch();
    } else if (host_.generation() != watched_generation_) {
      Rewatch(); // a version deployed through the admin API
    }
  }
}

} // namespace weft::platform
