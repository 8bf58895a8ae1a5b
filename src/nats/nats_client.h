// A NATS connection with its JetStream context (libnats 3.4, the C
// client), for the cluster control plane (src/cluster) and the JetStream
// KV backend. Owns a natsConnection and a jsCtx; never gives up: a failed
// first connect is retried in the background (the caller goes on without
// NATS and sees connected() turn true later), and a lost connection is
// reconnected forever. Every disconnect and reconnect is logged and
// counted for /metrics.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wasm/result.h"

// libnats' opaque handles (nats/nats.h), so that users of this header need
// not include it.
struct __natsConnection;
struct __jsCtx;
struct __kvStore;
typedef struct __natsConnection natsConnection;
typedef struct __jsCtx jsCtx;
typedef struct __kvStore kvStore;

namespace weft::nats {

struct ConnectOptions {
  // nats://host:port or tls://host:port, optionally with user:password@ or
  // token@ in the URL (libnats reads them from there).
  std::vector<std::string> urls;
  std::string user, password; // both or neither
  std::string token;
  std::string creds_file; // a .creds file (user JWT and NKey seed)
  std::string name;       // connection name, shown by the server
  std::chrono::milliseconds reconnect_wait{500};
  // Each JetStream API request (bucket lookups, KV get/put) waits at most
  // this long: a call while NATS is unreachable fails after it.
  std::chrono::milliseconds request_timeout{2000};
};

// "nats://a:4222,nats://b:4222" -> its URLs; an error for an empty list or
// a URL whose scheme is not nats:// or tls://.
Result<std::vector<std::string>> ParseUrls(std::string_view list);

// Where log records go: level ("info", "warn", "error"), message, and the
// server URL when there is one.
using LogSink = std::function<void(std::string_view level, std::string_view msg,
                                   std::string_view url)>;

class Connection {
public:
  // Starts connecting. Fails only for options libnats refuses (a bad URL,
  // an unreadable .creds file); an unreachable server is not an error.
  static Result<std::unique_ptr<Connection>> Open(const ConnectOptions& options,
                                                  LogSink log);
  ~Connection(); // closes the connection and waits for its callbacks
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  natsConnection* nc() const { return nc_; }
  jsCtx* js() const { return js_; }

  bool connected() const;
  // Successful reconnects after a connection was lost, and failed first
  // connects still being retried.
  uint64_t reconnects() const {
    return reconnects_.load(std::memory_order_relaxed);
  }
  uint64_t disconnects() const {
    return disconnects_.load(std::memory_order_relaxed);
  }
  // weft_nats_connected and weft_nats_reconnects_total (Prometheus text).
  std::string RenderMetrics() const;

private:
  Connection() = default;
  static void OnConnected(natsConnection* nc, void* self);
  static void OnDisconnected(natsConnection* nc, void* self);
  static void OnReconnected(natsConnection* nc, void* self);
  static void OnClosed(natsConnection* nc, void* self);
  std::string Url() const;

  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  LogSink log_;
  std::atomic<uint64_t> reconnects_{0}, disconnects_{0};
  std::atomic<bool> closed_{false};
};

// A JetStream key-value bucket: created when it does not exist (with
// `ttl`, 0 for none, and `history` revisions per key), bound otherwise.
struct BucketOptions {
  std::string name; // letters, digits, '-' and '_'
  std::chrono::milliseconds ttl{0};
  uint8_t history = 1;
  int replicas = 1;
  int32_t max_value_size = -1; // -1: the server's limit
};

class Bucket {
public:
  Bucket() = default;
  explicit Bucket(kvStore* kv) : kv_(kv) {}
  ~Bucket();
  Bucket(Bucket&& o) noexcept : kv_(o.kv_) { o.kv_ = nullptr; }
  Bucket& operator=(Bucket&& o) noexcept;
  Bucket(const Bucket&) = delete;
  Bucket& operator=(const Bucket&) = delete;
  kvStore* get() const { return kv_; }
  explicit operator bool() const { return kv_ != nullptr; }

  // One entry: its value and revision. nullopt-like: found false when the
  // key has no value (never set, deleted or expired).
  struct Entry {
    bool found = false;
    std::string value;
    uint64_t revision = 0;
  };
  Result<Entry> Get(const std::string& key) const;
  Result<uint64_t> Put(const std::string& key, std::string_view value) const;
  // Writes only when the key's last revision is `last` (0: the key must
  // not exist); an error otherwise.
  Result<uint64_t> Update(const std::string& key, std::string_view value,
                          uint64_t last) const;
  Status Delete(const std::string& key) const;
  // Every key with a value.
  Result<std::vector<std::string>> Keys() const;

private:
  kvStore* kv_ = nullptr;
};

Result<Bucket> OpenBucket(const Connection& c, const BucketOptions& options);

// "nats: <what>: <libnats' status text and last error>".
Error NatsError(std::string_view what, int status);

} // namespace weft::nats
