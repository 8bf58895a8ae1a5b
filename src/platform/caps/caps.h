// Capabilities a guest reaches through host imports in module "weft": KV
// storage, configuration variables, outbound HTTP and logging. The guest
// side is sdk/c/weft.h; the status codes below are the same numbers.
//
// How the server uses it (per request, on the worker thread that runs it):
//   SqliteKvBackend backend(data_dir);            // once per server
//   KvService kv(&backend);                       // once per server
//   FunctionGrants grants = ...;                  // once per function
//   // when binding imports (the pool's instances, once per instance):
//   for (const Import& imp : module.imports) {
//     if (auto r = ResolveWeftImport(store, module, imp)) { ...**r or error }
//     else ResolveWasiImport(...);
//   }
//   // per request, around store.Call(_start):
//   RequestCaps caps{&grants, request_id, &kv, log_fn};
//   ScopedRequestCaps scope(&caps);
//   store.Call(start, {});
//
// The host functions find their grants through CurrentRequestCaps() (a
// thread_local set by ScopedRequestCaps) at call time, so imports bound
// once can serve any number of requests. Called with no current
// RequestCaps, every weft import returns kUnavailable.
//
// Guest pointers: every (ptr, len) is checked against the caller's exported
// "memory"; a range outside it returns kFault (never a trap, never a host
// access outside the guest's memory). Outputs are written only on success
// (or, for kBufferTooSmall, only the needed length).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/runtime.h"
#include "wasm/module.h"
#include "wasm/result.h"

namespace weft::caps {

inline constexpr const char* kWeftModuleName = "weft";

// Status codes returned (as i32) by every weft import. Mirrored in
// sdk/c/weft.h as WEFT_OK / WEFT_ERR_*.
enum class CapStatus : int32_t {
  kOk = 0,
  kNotFound = -1,        // no such key / variable
  kBufferTooSmall = -2,  // *len_out holds the size needed
  kForbidden = -3,       // store not granted, host not in allowed list
  kInvalid = -4,         // bad name/key/handle/url/method/level
  kTooLarge = -5,        // value > kMaxValueBytes, response > limit
  kFault = -6,           // a guest pointer/length outside memory
  kUnsupported = -7,     // an operation weft does not offer
  kIo = -8,              // backend or network failure
  kTimeout = -9,         // outbound request timed out
  kUnavailable = -10,    // no request context / capability not configured
  kTooManyHandles = -11, // more than kMaxKvHandles stores open in a request
  kTls = -12             // outbound TLS failed: handshake, certificate, name
};

// ---- grants -----------------------------------------------------------

// What one function may use; built by the server from the manifest.
struct FunctionGrants {
  std::string function;                            // for logs
  std::vector<std::string> kv_stores;              // manifest `kv`
  std::vector<std::string> allowed_outbound_hosts; // "http://host:port"
  std::map<std::string, std::string> variables;    // resolved values
};

// Manifest [variables] defaults, each overridden by the server's
// environment variable WEFT_VAR_<NAME> (NAME upper-cased, '-' -> '_') when
// set. Only declared variables exist: WEFT_VAR_X for an undeclared x is
// ignored. `environ` is a NULL-terminated "K=V" array (like ::environ).
std::map<std::string, std::string>
ResolveVariables(const std::map<std::string, std::string>& defaults,
                 const char* const* environ);
// Same with the environment given as a map.
std::map<std::string, std::string>
ResolveVariables(const std::map<std::string, std::string>& defaults,
                 const std::map<std::string, std::string>& env);

// ---- KV ------------------------------------------------------------------

// Limits every backend enforces (KvService checks them before the backend
// sees a call): keys are 1..256 bytes with no NUL byte, values 0..1 MiB.
// Store names are 1..64 chars of [A-Za-z0-9_-].
inline constexpr size_t kMaxKeyBytes = 256;
inline constexpr size_t kMaxValueBytes = 1u << 20;
inline constexpr size_t kMaxStoreNameBytes = 64;
inline constexpr size_t kMaxKvHandles = 16; // open stores per request

bool ValidStoreName(std::string_view name);
bool ValidKey(std::string_view key);
// The smallest string above every string that starts with `prefix`
// (backends list a prefix as the range [prefix, end)), or nullopt when
// there is none: an empty prefix or one of 0xff bytes only.
std::optional<std::string> KvPrefixEnd(std::string_view prefix);

// One open store. Methods return kOk, kNotFound (Get only), kIo (the
// backend failed or refused the call), kUnavailable (a networked backend
// cannot be reached now: returned at once while it is known to be down,
// else once the backend's timeouts have passed) or kTooLarge (Set of
// a value above the backend's own limit, when that is below
// kMaxValueBytes). Delete of a missing key is kOk. ListKeys returns keys
// with the prefix in byte order. Implementations are safe to call from
// several threads at once. Each backend's semantics: docs/kv.md.
// (Backends: SqliteKvBackend here, RedisKvBackend in kv_redis.h,
// JetStreamKvBackend in kv_jetstream.h, chosen by MakeKvBackend in
// kv_backend.h.)
class KvStore {
public:
  virtual ~KvStore() = default;
  virtual CapStatus Get(std::string_view key, std::string* value) = 0;
  virtual CapStatus Set(std::string_view key, std::string_view value) = 0;
  virtual CapStatus Delete(std::string_view key) = 0;
  virtual CapStatus ListKeys(std::string_view prefix,
                             std::vector<std::string>* keys) = 0;
};

// Receives a networked backend's messages for the server's log (level
// "warn" when a server becomes unreachable, "info" when it is back); called
// from any thread, once per change of state.
using KvEventSink =
    std::function<void(std::string_view level, const std::string& message)>;

// A place stores live (SQLite files, a Redis server, NATS JetStream KV
// buckets). Open creates the store on first use and may return the same
// object for the same name; networked backends do not touch the network in
// Open (the first call on the store does). Thread-safe.
class KvBackend {
public:
  virtual ~KvBackend() = default;
  virtual Result<std::shared_ptr<KvStore>> Open(std::string_view name) = 0;
};

// Each store is <data_dir>/<name>.sqlite (WAL mode), created on first
// open; the directory is created when missing. Stores stay open for the
// backend's lifetime; one connection per store, serialized by a mutex.
class SqliteKvBackend final : public KvBackend {
public:
  explicit SqliteKvBackend(std::filesystem::path data_dir);
  ~SqliteKvBackend() override;
  Result<std::shared_ptr<KvStore>> Open(std::string_view name) override;
  const std::filesystem::path& data_dir() const { return dir_; }

private:
  std::filesystem::path dir_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<KvStore>, std::less<>> open_;
};

// The backend plus the grant check and the limits: Open succeeds only for
// stores listed in grants.kv_stores (else kForbidden), names must be valid
// (else kInvalid); failures of the backend are kIo.
class KvService {
public:
  explicit KvService(KvBackend* backend) : backend_(backend) {}
  CapStatus Open(const FunctionGrants& grants, std::string_view name,
                 std::shared_ptr<KvStore>* out);
  // Limit-checked access (kInvalid for a bad key, kTooLarge for a value).
  static CapStatus Get(KvStore& s, std::string_view key, std::string* value);
  static CapStatus Set(KvStore& s, std::string_view key,
                       std::string_view value);
  static CapStatus Delete(KvStore& s, std::string_view key);
  static CapStatus ListKeys(KvStore& s, std::string_view prefix,
                            std::vector<std::string>* keys);

private:
  KvBackend* backend_;
};

// ---- outbound HTTP -------------------------------------------------------

// True when `url` is allowed by one of `allowed` ("scheme://host[:port]",
// optionally with a path prefix). Scheme and host compare
// case-insensitively, the default port is filled in (http:80, https:443),
// and the match is on whole origins: "http://a.com" does not allow
// "http://a.com.evil.net".
bool OutboundAllowed(const std::vector<std::string>& allowed,
                     std::string_view url);

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct OutboundHttpOptions {
  std::chrono::milliseconds timeout{10000}; // connect + whole exchange
  size_t max_response_bytes = 16u << 20;    // body; beyond -> kTooLarge
};

// An HTTP/1.1 client (Boost.Asio, Connection: close) for http:// and
// https:// URLs. https:// verifies the server's certificate against the
// system trust store plus the extra CA file of SetOutboundCaFile, sends SNI
// and checks that the certificate names the host; a certificate that fails
// (untrusted, expired, another name), a failed handshake (a peer that does
// not speak TLS, no common protocol version or cipher) or any other TLS
// protocol error is kTls. Failures below TLS (refused, reset, no route,
// name not resolved) are kIo.
// `headers` are sent as given ("Host", "Content-Length" and "Connection"
// are set by the client). Handles Content-Length, chunked and read-to-close
// bodies. Does not check grants.
CapStatus
HttpFetch(std::string_view method, std::string_view url,
          const std::vector<std::pair<std::string, std::string>>& headers,
          std::string_view body, const OutboundHttpOptions& options,
          HttpResponse* out);

// Trust anchors for https:// besides the system store (`weft serve
// --outbound-ca FILE`): a PEM file of CA certificates, process-wide, for
// every request from now on. An empty path goes back to the system store
// alone. False with `error` set when the file cannot be loaded (the
// previous setting stays).
bool SetOutboundCaFile(const std::string& path, std::string& error);

// ---- the per-request context ---------------------------------------------

enum class LogLevel : uint32_t { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
const char* LogLevelName(LogLevel level);

struct RequestCaps {
  const FunctionGrants* grants = nullptr; // required
  std::string request_id;
  KvService* kv = nullptr; // null: kv_open returns kUnavailable
  // Receives the guest's log(level, msg) calls (msg without trailing
  // newline). Null: log records are dropped.
  std::function<void(LogLevel level, std::string_view message)> log;
  OutboundHttpOptions http;

  // Filled by kv_open during the request: handle h is kv_handles[h - 1].
  std::vector<std::shared_ptr<KvStore>> kv_handles;
};

// The RequestCaps of the request running on this thread, or null.
RequestCaps* CurrentRequestCaps();

// Sets CurrentRequestCaps() for its lifetime, restoring the previous one.
class ScopedRequestCaps {
public:
  explicit ScopedRequestCaps(RequestCaps* caps);
  ~ScopedRequestCaps();
  ScopedRequestCaps(const ScopedRequestCaps&) = delete;
  ScopedRequestCaps& operator=(const ScopedRequestCaps&) = delete;

private:
  RequestCaps* prev_;
};

// ---- imports ---------------------------------------------------------------

// For an import of module "weft": a host function (created in `store`)
// implementing it, or an Error "unknown import weft.X" / "incompatible
// import type for weft.X: expected ..., got ...". nullopt for imports of
// any other module. `module` gives the import's function type.
std::optional<Result<Extern>>
ResolveWeftImport(Store& store, const Module& module, const Import& import);

} // namespace weft::caps
