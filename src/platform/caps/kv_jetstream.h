// KV stores in NATS JetStream key-value buckets (libnats).
//
// Each weft store is one bucket, <bucket_prefix><store> (store names are
// [A-Za-z0-9_-], which bucket names allow as they are), created on first
// use with history 1. One bucket per store rather than one bucket with key
// prefixes: a store's keys are listed without reading other stores', each
// store has its own limits (replicas, max bytes) and can be dropped or
// inspected with `nats kv` alone; the price is one stream per store on the
// server. Semantics and limits: docs/kv.md ("NATS JetStream").
//
// Keys: NATS allows only [A-Za-z0-9_/=.-] and no empty dot-separated token;
// ours are any bytes but NUL. EncodeNatsKey maps them reversibly: bytes in
// [A-Za-z0-9_/-] stay, every other byte (dots too) becomes "=XX" (two
// upper-case hex digits). Encoded keys never contain a dot, so every weft
// key is one token and a 256-byte key is at most 768 characters.
//
// Connection: the backend borrows a connected natsConnection (the cluster
// layer's under --cluster) or owns one it made (ConnectJetStreamKv, for
// `--kv-backend nats://`). While the connection is not CONNECTED every call
// returns kUnavailable at once; libnats reconnects by itself.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "platform/caps/caps.h"

typedef struct __natsConnection natsConnection;

namespace weft::caps {

struct JetStreamKvOptions {
  std::string bucket_prefix = "weft_kv_";
  int replicas = 1;            // of buckets this backend creates
  bool memory_storage = false; // default: file storage
  // One call (get, put, delete, creating the bucket): its requests wait
  // 200 ms each for an answer and are repeated while the connection is up,
  // until this much time has passed (so a call may take up to it plus
  // 200 ms). Also the connect timeout of ConnectJetStreamKv.
  std::chrono::milliseconds timeout{1000};
  // A whole ListKeys (it reads every key of the bucket).
  std::chrono::milliseconds list_timeout{5000};
  KvEventSink events; // may be empty
};

class JetStreamShared;

class JetStreamKvBackend final : public KvBackend {
public:
  // `nc` is borrowed: it must outlive the backend and every store it
  // opened. Fails when JetStream cannot be set up on it.
  static Result<std::unique_ptr<JetStreamKvBackend>>
  Create(natsConnection* nc, JetStreamKvOptions options);
  ~JetStreamKvBackend() override;
  Result<std::shared_ptr<KvStore>> Open(std::string_view name) override;

  // Used by ConnectJetStreamKv: the backend owns `nc` and closes it last.
  explicit JetStreamKvBackend(std::shared_ptr<JetStreamShared> shared);

private:
  std::shared_ptr<JetStreamShared> shared_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<KvStore>, std::less<>> open_;
};

// A backend on its own connection to `url` ("nats://host:port", several
// separated by commas, "tls://..." and "nats://user:pass@host:port" as
// libnats reads them). Returns at once even when no server answers yet:
// it keeps connecting in the background (reconnect wait 250 ms, forever)
// and calls fail with kUnavailable meanwhile.
Result<std::unique_ptr<KvBackend>>
ConnectJetStreamKv(const std::string& url, JetStreamKvOptions options);

std::string EncodeNatsKey(std::string_view key);
// nullopt for a string EncodeNatsKey cannot have produced.
std::optional<std::string> DecodeNatsKey(std::string_view encoded);

} // namespace weft::caps
