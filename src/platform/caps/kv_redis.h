// KV stores on a Redis server (hiredis, the blocking client).
//
// A store is two Redis keys with the store's name as hash tag:
//   <prefix>{<store>}       a hash: field = the weft key, value = the value
//   <prefix>{<store>}:keys  a sorted set of the same keys (all with score 0),
//                           for prefix listing in byte order (ZRANGEBYLEX)
// Set and Delete change both in one MULTI/EXEC, so a reader never sees a
// key listed without its value or the other way round. Semantics and
// limits: docs/kv.md ("Redis").
//
// Connections: hiredis contexts are not thread-safe, so each call takes one
// from a pool of idle connections (or opens a new one) and gives it back.
// Every connection has connect and command timeouts. When the server cannot
// be reached the backend "opens its circuit": calls return kUnavailable at
// once, without touching the network, until a backoff has passed (100 ms,
// doubling up to 5 s); then one call tries to reconnect while the others
// still fail fast.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "platform/caps/caps.h"

namespace weft::caps {

struct RedisKvOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::string user;     // Redis 6 ACL user; empty: AUTH with the password
  std::string password; // empty: no AUTH
  int db = 0;           // SELECT db when not 0
  std::string key_prefix = "weft:kv:";
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds command_timeout{1000};
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5000};
  size_t max_idle = 32; // idle connections kept for reuse
  KvEventSink events;   // may be empty
};

class RedisPool;

class RedisKvBackend final : public KvBackend {
public:
  explicit RedisKvBackend(RedisKvOptions options);
  ~RedisKvBackend() override;
  Result<std::shared_ptr<KvStore>> Open(std::string_view name) override;

private:
  std::shared_ptr<RedisPool> pool_;
  std::string prefix_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<KvStore>, std::less<>> open_;
};

} // namespace weft::caps
