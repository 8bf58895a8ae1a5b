#include "cli/watchdog.h"

#include <unistd.h>

#include <algorithm>

namespace weft::cli {

Watchdog::Watchdog(Store& store, std::chrono::nanoseconds timeout,
                   std::string hard_message, int hard_exit_code)
    : store_(store),
      deadline_(std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    timeout)),
      hard_message_(std::move(hard_message) + "\n"),
      hard_exit_code_(hard_exit_code), thread_([this] { Run(); }) {}

Watchdog::~Watchdog() { Stop(); }

void Watchdog::Stop() {
  {
    // Taking the lock waits out a timer thread that is ending the process.
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Watchdog::expired() const {
  std::lock_guard<std::mutex> lock(mu_);
  return expired_;
}

void Watchdog::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  if (cv_.wait_until(lock, deadline_, [this] { return stopped_; })) return;
  expired_ = true;
  const auto hard = std::chrono::steady_clock::now() + kGrace;
  for (;;) {
    store_.Interrupt();
    const auto next = std::min(
        std::chrono::steady_clock::now() + std::chrono::milliseconds(10), hard);
    if (cv_.wait_until(lock, next, [this] { return stopped_; })) return;
    if (std::chrono::steady_clock::now() >= hard) break;
  }
  // The guest is stuck where no interrupt reaches it. The lock is held, so
  // the main thread cannot report anything else meanwhile; end the process
  // without running destructors (another thread is inside the Store).
  const char* p = hard_message_.data();
  size_t left = hard_message_.size();
  while (left > 0) {
    const ssize_t n = ::write(2, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
  ::_exit(hard_exit_code_);
}

} // namespace weft::cli
