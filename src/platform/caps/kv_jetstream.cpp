// JetStreamKvBackend: see kv_jetstream.h for the bucket and key mapping and
// the connection policy.
#include "platform/caps/kv_jetstream.h"

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <mutex>

namespace weft::caps {

namespace {

using Clock = std::chrono::steady_clock;

// How long one JetStream request waits before the call checks the
// connection and asks again (see WithBucket).
constexpr std::chrono::milliseconds kSlice{200};

Error NatsError(const std::string& what, natsStatus s) {
  Error e;
  e.message = "kv: " + what + ": " + natsStatus_GetText(s);
  const char* detail = nats_GetLastError(nullptr);
  if (detail && *detail && std::string_view(detail) != natsStatus_GetText(s))
    e.message += " (" + std::string(detail) + ")";
  return e;
}

bool SafeKeyByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '/';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1; // lower case is not canonical
}

// Statuses that mean "the server cannot be reached now".
bool Unreachable(natsStatus s) {
  switch (s) {
  case NATS_TIMEOUT:
  case NATS_NO_RESPONDERS:
  case NATS_CONNECTION_CLOSED:
  case NATS_CONNECTION_DISCONNECTED:
  case NATS_NO_SERVER:
  case NATS_STALE_CONNECTION:
  case NATS_NOT_YET_CONNECTED:
  case NATS_IO_ERROR: return true;
  default: return false;
  }
}

CapStatus MapStatus(natsStatus s) {
  if (s == NATS_OK) return CapStatus::kOk;
  if (s == NATS_MAX_PAYLOAD) return CapStatus::kTooLarge;
  return Unreachable(s) ? CapStatus::kUnavailable : CapStatus::kIo;
}

struct KvStoreFree {
  void operator()(kvStore* kv) const { kvStore_Destroy(kv); }
};

} // namespace

std::string EncodeNatsKey(std::string_view key) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(key.size());
  for (char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    if (SafeKeyByte(c)) {
      out += ch;
    } else {
      out += '=';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> DecodeNatsKey(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    const auto c = static_cast<unsigned char>(encoded[i]);
    if (SafeKeyByte(c)) {
      out += static_cast<char>(c);
      continue;
    }
    if (c != '=' || i + 2 >= encoded.size()) return std::nullopt;
    const int hi = HexValue(encoded[i + 1]), lo = HexValue(encoded[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    const auto byte = static_cast<unsigned char>(hi * 16 + lo);
    // Only the one spelling EncodeNatsKey writes: a safe byte or NUL
    // escaped is another name for the same key, or no weft key at all.
    if (byte == 0 || SafeKeyByte(byte)) return std::nullopt;
    out += static_cast<char>(byte);
    i += 2;
  }
  return out;
}

// What the backend and its stores share: the connection (owned or not),
// the JetStream context and the options.
class JetStreamShared {
public:
  JetStreamShared(natsConnection* nc, bool owns, jsCtx* js,
                  JetStreamKvOptions o)
      : nc_(nc), owns_(owns), js_(js), o_(std::move(o)) {}
  ~JetStreamShared() {
    jsCtx_Destroy(js_);
    if (owns_) {
      natsConnection_Close(nc_);
      natsConnection_Destroy(nc_);
    }
  }

  // Whether calls may go out now; logs changes of state (once each).
  bool Connected() {
    const bool up = natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
    const bool was_up = up_.exchange(up);
    if (up != was_up && o_.events) {
      if (up)
        o_.events("info", "kv: NATS reachable again");
      else
        o_.events("warn",
                  "kv: NATS unreachable (not connected); KV calls fail with "
                  "WEFT_ERR_UNAVAILABLE until it reconnects");
    }
    return up;
  }

  // Whether a call may go out now: connected, and not inside the backoff
  // after calls went unanswered (a server that accepts but does not answer,
  // e.g. stopped or overloaded: libnats notices that only after missed
  // pings). Past the backoff one call probes, the others still fail fast.
  bool MayCall() {
    if (!Connected()) return false;
    std::lock_guard lock(mu_);
    if (!silent_) return true;
    const auto now = Clock::now();
    if (now < retry_at_) return false;
    retry_at_ = now + backoff_;
    return true;
  }

  // A call got no answer within its whole timeout.
  void Unanswered() {
    bool first;
    {
      std::lock_guard lock(mu_);
      first = !silent_;
      backoff_ = first ? kBackoffMin : std::min(backoff_ * 2, kBackoffMax);
      silent_ = true;
      retry_at_ = Clock::now() + backoff_;
    }
    if (first && o_.events)
      o_.events("warn", "kv: NATS does not answer within " +
                            std::to_string(o_.timeout.count()) +
                            " ms; KV calls fail with WEFT_ERR_UNAVAILABLE, "
                            "retrying now and then");
  }

  // A call got an answer (any: found, not found, refused).
  void Answered() {
    bool was_silent;
    {
      std::lock_guard lock(mu_);
      was_silent = silent_;
      silent_ = false;
    }
    if (was_silent && o_.events) o_.events("info", "kv: NATS answers again");
  }

  // The value size the connected server accepts in one message.
  int64_t MaxPayload() { return natsConnection_GetMaxPayload(nc_); }

  jsCtx* js() const { return js_; }
  const JetStreamKvOptions& options() const { return o_; }

private:
  natsConnection* nc_;
  const bool owns_;
  jsCtx* js_;
  const JetStreamKvOptions o_;
  std::atomic<bool> up_{true};
  static constexpr std::chrono::milliseconds kBackoffMin{250},
      kBackoffMax{5000};
  std::mutex mu_;
  bool silent_ = false; // the last call went unanswered
  Clock::time_point retry_at_;
  std::chrono::milliseconds backoff_{kBackoffMin};
};

namespace {

class JetStreamStore final : public KvStore {
public:
  JetStreamStore(std::shared_ptr<JetStreamShared> shared, std::string bucket)
      : sh_(std::move(shared)), bucket_(std::move(bucket)) {}

  CapStatus Get(std::string_view key, std::string* value) override {
    const std::string k = EncodeNatsKey(key);
    return WithBucket([&](kvStore* kv) {
      kvEntry* e = nullptr;
      natsStatus s = kvStore_Get(&e, kv, k.c_str());
      if (s == NATS_NOT_FOUND) return CapStatus::kNotFound;
      if (s != NATS_OK) return FromNats(s);
      const void* data = kvEntry_Value(e);
      const int len = kvEntry_ValueLen(e);
      value->assign(static_cast<const char*>(data ? data : ""),
                    static_cast<size_t>(len > 0 ? len : 0));
      kvEntry_Destroy(e);
      return CapStatus::kOk;
    });
  }

  CapStatus Set(std::string_view key, std::string_view value) override {
    const std::string k = EncodeNatsKey(key);
    return WithBucket([&](kvStore* kv) {
      // One message holds the value (no headers on a plain put): a server
      // with a max_payload below it refuses it, so say so before sending.
      const int64_t max = sh_->MaxPayload();
      if (max > 0 && static_cast<int64_t>(value.size()) > max)
        return CapStatus::kTooLarge;
      return FromNats(kvStore_Put(nullptr, kv, k.c_str(), value.data(),
                                  static_cast<int>(value.size())));
    });
  }

  CapStatus Delete(std::string_view key) override {
    const std::string k = EncodeNatsKey(key);
    return WithBucket(
        [&](kvStore* kv) { return FromNats(kvStore_Delete(kv, k.c_str())); });
  }

  CapStatus ListKeys(std::string_view prefix,
                     std::vector<std::string>* keys) override {
    return WithBucket([&](kvStore* kv) { return List(kv, prefix, keys); });
  }

private:
  // A natsStatus as the call's result, remembered for WithBucket.
  CapStatus FromNats(natsStatus s) {
    last_ = s;
    return MapStatus(s);
  }

  // Lists with a watcher on every key (headers only, deletes skipped),
  // read until its "initial values done" marker, within list_timeout.
  // (kvStore_Keys would do it, but its deadline shrinks faster than time
  // passes with many keys.)
  CapStatus List(kvStore* kv, std::string_view prefix,
                 std::vector<std::string>* keys) {
    kvWatchOptions wo;
    kvWatchOptions_Init(&wo);
    wo.IgnoreDeletes = true;
    wo.MetaOnly = true;
    kvWatcher* w = nullptr;
    natsStatus s = kvStore_WatchAll(&w, kv, &wo);
    if (s != NATS_OK) return FromNats(s);
    const auto deadline = Clock::now() + sh_->options().list_timeout;
    std::vector<std::string> found;
    CapStatus status = CapStatus::kOk;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - Clock::now());
      if (left.count() <= 0 || !sh_->Connected()) {
        status = CapStatus::kUnavailable;
        break;
      }
      kvEntry* e = nullptr;
      s = kvWatcher_Next(&e, w, std::min(left, kSlice).count());
      if (s == NATS_TIMEOUT) continue; // checks the connection, then waits on
      if (s != NATS_OK) {
        status = FromNats(s);
        break;
      }
      if (!e) break; // all keys seen
      if (auto key = DecodeNatsKey(kvEntry_Key(e));
          key && key->compare(0, prefix.size(), prefix) == 0)
        found.push_back(std::move(*key));
      kvEntry_Destroy(e);
    }
    kvWatcher_Destroy(w);
    if (status != CapStatus::kOk) return status;
    std::sort(found.begin(), found.end());
    found.erase(std::unique(found.begin(), found.end()), found.end());
    *keys = std::move(found);
    return CapStatus::kOk;
  }

  // Runs `fn` on the bucket, creating it (or binding to it) first. A
  // JetStream request waits one slice (kSlice) for its answer; without one
  // it is asked again while the connection is up and the call's timeout has
  // not passed (every call here is idempotent), so a server that dies while
  // a request is out is noticed within a slice, not a whole timeout. Binds
  // again once when no stream answered although connected (the bucket may
  // have been deleted).
  template <typename Fn> CapStatus WithBucket(Fn&& fn) {
    const auto deadline = Clock::now() + sh_->options().timeout;
    bool rebound = false;
    if (!sh_->MayCall()) return CapStatus::kUnavailable;
    for (;;) {
      if (!sh_->Connected()) return CapStatus::kUnavailable;
      std::shared_ptr<kvStore> kv;
      last_ = NATS_OK;
      CapStatus s = Bind(&kv);
      if (s == CapStatus::kOk) {
        last_ = NATS_OK;
        s = fn(kv.get());
      }
      if (last_ == NATS_TIMEOUT && Clock::now() < deadline) continue;
      if (last_ == NATS_NO_RESPONDERS && kv && !rebound && sh_->Connected()) {
        rebound = true;
        std::lock_guard lock(mu_);
        if (kv_ == kv) kv_.reset();
        continue;
      }
      if (last_ == NATS_TIMEOUT)
        sh_->Unanswered();
      else if (s != CapStatus::kUnavailable)
        sh_->Answered();
      return s;
    }
  }

  CapStatus Bind(std::shared_ptr<kvStore>* out) {
    std::lock_guard lock(mu_);
    if (!kv_) {
      kvConfig cfg;
      kvConfig_Init(&cfg);
      cfg.Bucket = bucket_.c_str();
      cfg.History = 1;
      cfg.Replicas = sh_->options().replicas;
      cfg.StorageType =
          sh_->options().memory_storage ? js_MemoryStorage : js_FileStorage;
      kvStore* kv = nullptr;
      natsStatus s = js_CreateKeyValue(&kv, sh_->js(), &cfg);
      if (s != NATS_OK && !Unreachable(s) &&
          js_KeyValue(&kv, sh_->js(), bucket_.c_str()) == NATS_OK) {
        // The bucket exists with other settings (replicas, storage): use it
        // as it is rather than refuse every call.
        if (sh_->options().events)
          sh_->options().events(
              "warn", NatsError("bucket " + bucket_ +
                                    " exists with other settings, used as "
                                    "it is",
                                s)
                          .message);
        s = NATS_OK;
      }
      if (s != NATS_OK) {
        const std::string why =
            NatsError("bucket " + bucket_ + " cannot be created", s).message;
        if (why != bind_error_ && sh_->options().events)
          sh_->options().events("warn", why);
        bind_error_ = why;
        return FromNats(s);
      }
      bind_error_.clear();
      kv_.reset(kv, KvStoreFree());
    }
    *out = kv_;
    return CapStatus::kOk;
  }

  std::shared_ptr<JetStreamShared> sh_;
  const std::string bucket_;
  std::mutex mu_;
  std::shared_ptr<kvStore> kv_;         // bound lazily
  std::string bind_error_;              // the last one logged
  static thread_local natsStatus last_; // of this thread's current call
};

thread_local natsStatus JetStreamStore::last_ = NATS_OK;

Result<jsCtx*> NewJsContext(natsConnection* nc,
                            const JetStreamKvOptions& options) {
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = std::min(options.timeout, kSlice).count();
  jsCtx* js = nullptr;
  natsStatus s = natsConnection_JetStream(&js, nc, &jo);
  if (s != NATS_OK) return NatsError("cannot set up JetStream", s);
  return js;
}

void NoteConnected(natsConnection*, void*) {}

} // namespace

JetStreamKvBackend::JetStreamKvBackend(std::shared_ptr<JetStreamShared> shared)
    : shared_(std::move(shared)) {}

JetStreamKvBackend::~JetStreamKvBackend() = default;

Result<std::unique_ptr<JetStreamKvBackend>>
JetStreamKvBackend::Create(natsConnection* nc, JetStreamKvOptions options) {
  if (!nc) {
    Error e;
    e.message = "kv: no NATS connection";
    return e;
  }
  auto js = NewJsContext(nc, options);
  if (!js) return js.error();
  return std::make_unique<JetStreamKvBackend>(
      std::make_shared<JetStreamShared>(nc, false, *js, std::move(options)));
}

Result<std::shared_ptr<KvStore>>
JetStreamKvBackend::Open(std::string_view name) {
  if (!ValidStoreName(name)) {
    Error e;
    e.message = "kv: invalid store name \"" + std::string(name) + "\"";
    return e;
  }
  std::lock_guard lock(mu_);
  if (auto it = open_.find(name); it != open_.end()) return it->second;
  auto store = std::make_shared<JetStreamStore>(
      shared_, shared_->options().bucket_prefix + std::string(name));
  open_.emplace(std::string(name), store);
  return std::shared_ptr<KvStore>(store);
}

Result<std::unique_ptr<KvBackend>>
ConnectJetStreamKv(const std::string& url, JetStreamKvOptions options) {
  natsOptions* no = nullptr;
  natsStatus s = natsOptions_Create(&no);
  if (s == NATS_OK) s = natsOptions_SetURL(no, url.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(no, options.timeout.count());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(no, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(no, 250);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(no, 5000);
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(no, 2);
  // Connect in the background when no server answers now.
  if (s == NATS_OK)
    s = natsOptions_SetRetryOnFailedConnect(no, true, NoteConnected, nullptr);
  if (s != NATS_OK) {
    natsOptions_Destroy(no);
    return NatsError("bad NATS options for " + url, s);
  }
  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, no);
  natsOptions_Destroy(no);
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED)
    return NatsError("cannot connect to " + url, s);
  auto js = NewJsContext(nc, options);
  if (!js) {
    natsConnection_Destroy(nc);
    return js.error();
  }
  return std::unique_ptr<KvBackend>(std::make_unique<JetStreamKvBackend>(
      std::make_shared<JetStreamShared>(nc, true, *js, std::move(options))));
}

} // namespace weft::caps
