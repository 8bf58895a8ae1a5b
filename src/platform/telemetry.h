// What `weft serve` tells its operator: log lines on stderr (one JSON
// object per line when stderr is not a terminal, a readable line when it
// is) and the counters behind GET /metrics (Prometheus text format).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/sharded_counter.h"

namespace weft::platform {

// One access-log record (Logger::AccessRequest).
struct AccessRecord {
  std::string_view request_id;
  std::string_view function; // empty: no function matched
  std::string_view method;
  std::string_view path;
  int status = 0;
  uint64_t duration_ns = 0;
  uint64_t bytes = 0;
  std::string_view remote;
};

// Nothing here takes a lock shared between the server's threads on the
// request path: each thread appends to its own buffer (a shard, locked only
// by its thread and by Flush), and reads the secrets through a per-thread
// snapshot refreshed when they change.
class Logger {
public:
  // json: one JSON object per line; otherwise "time level message k=v".
  explicit Logger(bool json);
  ~Logger();
  bool json() const { return json_; }
  // Writes one record with a single write(2) call (lines from several
  // threads do not interleave), after what the calling thread's access
  // buffer holds (its records stay in order). `fields` is an object;
  // "time", "level" and "msg" are added.
  void Log(std::string_view level, std::string_view msg,
           const nlohmann::json& fields) const;
  // The same record for the access log (one per request): kept in the
  // calling thread's buffer, written when it holds 16 KiB, by Flush() (the
  // server calls it every 100 ms and when it stops) and before any Log
  // record of the thread: one write(2) per many requests instead of one
  // each.
  void Access(std::string_view level, std::string_view msg,
              const nlohmann::json& fields) const;
  // The access record of one request: the fields of AccessRecord plus
  // time, level "info" and msg "request" (JSON), or "METHOD path -> status"
  // (readable). In JSON it is written straight into the buffer, without
  // building a json object: this runs once per request.
  void AccessRequest(const AccessRecord& r) const;
  // Writes every thread's buffered access records.
  void Flush() const;
  // Values never to print (the app's secret variables): from now on every
  // occurrence in a record's message or string fields is written as
  // "[redacted]". Only added to, never removed (a request of an older app
  // version may still log). Thread-safe.
  void AddSecrets(const std::vector<std::string>& values);

private:
  struct Shard;
  Shard& LocalShard() const;
  // The secrets as this thread last saw them (null when there are none).
  const std::vector<std::string>* Secrets() const;
  void Buffer(std::string_view line) const;
  std::string Format(std::string_view level, std::string_view msg,
                     const nlohmann::json& fields) const;
  bool json_;
  const uint64_t id_ = NextId(); // tells thread-local caches apart
  static uint64_t NextId();
  mutable std::mutex shards_mu_; // guards the list (a thread's first record)
  mutable std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<uint64_t> secrets_version_{0}; // bumped by AddSecrets
  mutable std::mutex secrets_mu_;
  std::vector<std::string> secrets_;
};

// Histogram bucket upper bounds of the request latency, in seconds.
inline constexpr std::array<double, 14> kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
inline constexpr size_t kTrapKinds = 16;
inline constexpr size_t kStatusSlots = 12;

// Requests by status, sparse (a function answers few distinct statuses; a
// 600-slot array per function and worker was most of a deployed function's
// memory): slot i counts status code[i], a slot's code is claimed on its
// first request (compare-and-swap, so any thread may count). A status that
// finds every slot taken counts in `other` (status="other").
struct StatusCounts {
  std::array<std::atomic<uint16_t>, kStatusSlots> code{};
  std::array<std::atomic<uint64_t>, kStatusSlots> count{};
  std::atomic<uint64_t> other{0};
  void Add(int status);
};

// The counters of one function on one worker. Only that worker writes them
// (relaxed atomics); a scrape sums every worker's.
struct FunctionCounters {
  StatusCounts by_status;
  std::array<std::atomic<uint64_t>, kLatencyBuckets.size() + 1> latency{};
  std::atomic<uint64_t> latency_sum_ns{0};
  std::array<std::atomic<uint64_t>, kTrapKinds> traps{};
  std::atomic<uint64_t> timeouts{0};
  // Requests whose guest wrote past max_response_size (stdout, [0]) or
  // max_log_size (stderr, [1]).
  std::array<std::atomic<uint64_t>, 2> output_truncated{};
};

class Metrics {
public:
  // Counters for `function_names` (slots 0..n-1) plus slot n
  // (no_function()) for requests that matched none (404, /healthz,
  // /metrics).
  Metrics(size_t workers, std::vector<std::string> function_names);
  FunctionCounters& At(size_t worker, size_t function) {
    return slots_[function].load(std::memory_order_acquire)[worker];
  }
  // The slot of function `name`: its own, else a new one (a reloaded app
  // brings new functions; a function that is gone keeps its slot and its
  // counts). When every slot is taken, no_function(). Thread-safe.
  size_t Slot(const std::string& name);
  size_t no_function() const { return no_function_; }
  void Request(size_t worker, size_t function, int status, uint64_t ns);
  ShardedCounter instances_live; // +1/-1 around every guest run
  std::atomic<int64_t> connections_open{0};
  // Prometheus text exposition format 0.0.4.
  std::string Render() const;
  // Every request counted so far, all functions and statuses (the cluster's
  // heartbeat derives requests/s from it).
  uint64_t RequestsTotal() const;

private:
  size_t workers_;
  size_t no_function_;
  size_t capacity_;
  mutable std::mutex mu_;          // guards names_ and allocating slots
  std::vector<std::string> names_; // by slot; names_[no_function_] is ""
  // Slot s: `workers_` counters, one per worker.
  std::unique_ptr<std::atomic<FunctionCounters*>[]> slots_;
  std::vector<std::unique_ptr<FunctionCounters[]>> blocks_;
};

} // namespace weft::platform
