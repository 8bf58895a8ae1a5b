// `weft serve`'s HTTP/1.1 server (Boost.Beast): N workers, each with its
// own io_context running its connections and the guests they call (on the
// same thread; a slow guest's thread hands the I/O to a spare thread of the
// worker); one acceptor hands new connections to the workers in turn.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "platform/app.h"
#include "platform/reload.h"
#include "platform/telemetry.h"

namespace weft::platform {

struct ServeOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 3000; // 0: an ephemeral port (printed when listening)
  size_t workers = 0;   // 0: one per core
  // Spare threads per worker: a guest that runs past ~1 ms keeps its
  // thread while a spare one takes the worker's I/O over, so up to this
  // many guests stuck until their timeout delay no other request.
  size_t guest_threads = 4;
  size_t max_connections = 10000;
  size_t max_header_bytes = 16 * 1024;      // beyond: 431
  size_t max_body_bytes = 16 * 1024 * 1024; // beyond: 413
  // A request must arrive whole within this time from its first byte
  // (else 408); an idle keep-alive connection is closed after it.
  std::chrono::milliseconds request_timeout{10000};
  // One log record per request (buffered, see Logger::Access).
  bool access_log = true;
  // Called once the socket is bound, with "HOST:PORT" (the cluster's
  // heartbeat advertises it).
  std::function<void(const std::string& address)> on_listening;
};

// Serves `host`'s current app (a new version replaces it while serving,
// see reload.h) until SIGINT or SIGTERM, then stops accepting, lets the
// requests in flight finish, and returns 0. Logs
// "listening" with address "http://HOST:PORT" once the socket is bound.
// Returns 1 (after logging why) when it cannot listen.
int Serve(AppHost& host, const ServeOptions& options, const Logger& logger);

} // namespace weft::platform
