// `weft run --timeout`: a timer thread that interrupts the guest when the
// time is up, and ends the process if the guest cannot be interrupted.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/runtime.h"

namespace weft::cli {

class Watchdog {
public:
  // How long the guest has to notice Store::Interrupt() before the process
  // is ended from the timer thread.
  static constexpr std::chrono::milliseconds kGrace{100};

  // Starts the timer. When `timeout` passes before Stop(), calls
  // store.Interrupt() (repeatedly during the grace period, so a flag
  // cleared by a Call that was just starting is set again). The guest then
  // traps with "interrupted" at its next loop back-edge or function entry.
  // (poll_oneoff waits in short slices and traps too.) A guest blocked in
  // a host call that cannot be interrupted (fd_read on a terminal or
  // pipe) never gets there: after kGrace the timer thread
  // writes `hard_message` + "\n" to stderr and calls _exit(hard_exit_code).
  Watchdog(Store& store, std::chrono::nanoseconds timeout,
           std::string hard_message, int hard_exit_code);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Stops the timer (idempotent). After it returns the process is not ended
  // by the watchdog.
  void Stop();

  // Whether the timeout expired (the interrupt was requested).
  bool expired() const;

private:
  void Run();

  Store& store_;
  const std::chrono::steady_clock::time_point deadline_;
  const std::string hard_message_;
  const int hard_exit_code_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  bool expired_ = false;
  std::thread thread_;
};

} // namespace weft::cli
