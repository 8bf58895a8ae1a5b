#include "nats/nats_client.h"

#include <nats/nats.h>

#include <cstring>

namespace weft::nats {

namespace {

Error Fail(std::string message) {
  Error e;
  e.message = std::move(message);
  return e;
}

} // namespace

Error NatsError(std::string_view what, int status) {
  std::string msg = "nats: " + std::string(what) + ": " +
                    natsStatus_GetText(static_cast<natsStatus>(status));
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  if (text && *text && std::strstr(msg.c_str(), text) == nullptr)
    msg += std::string(" (") + text + ")";
  return Fail(std::move(msg));
}

Result<std::vector<std::string>> ParseUrls(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view url = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view()
                                           : list.substr(comma + 1);
    while (!url.empty() && url.front() == ' ')
      url.remove_prefix(1);
    while (!url.empty() && url.back() == ' ')
      url.remove_suffix(1);
    if (url.empty()) continue;
    if (!url.starts_with("nats://") && !url.starts_with("tls://"))
      return Fail("NATS URL \"" + std::string(url) +
                  "\" must start with nats:// or tls://");
    out.emplace_back(url);
  }
  if (out.empty()) return Fail("no NATS URL given");
  return out;
}

namespace {

// Frees a natsOptions on every path out of Open.
struct OptionsGuard {
  natsOptions* o = nullptr;
  ~OptionsGuard() {
    if (o) natsOptions_Destroy(o);
  }
};

} // namespace

Result<std::unique_ptr<Connection>>
Connection::Open(const ConnectOptions& options, LogSink log) {
  if (options.urls.empty()) return Fail("nats: no server URL");
  std::unique_ptr<Connection> c(new Connection());
  c->log_ = std::move(log);
  OptionsGuard g;
  natsStatus s = natsOptions_Create(&g.o);
  if (s != NATS_OK) return NatsError("options", s);
  std::vector<const char*> urls;
  bool tls = false;
  for (const std::string& u : options.urls) {
    urls.push_back(u.c_str());
    tls = tls || u.starts_with("tls://");
  }
  s = natsOptions_SetServers(g.o, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK && tls) s = natsOptions_SetSecure(g.o, true);
  if (s == NATS_OK && !options.user.empty())
    s = natsOptions_SetUserInfo(g.o, options.user.c_str(),
                                options.password.c_str());
  if (s == NATS_OK && !options.token.empty())
    s = natsOptions_SetToken(g.o, options.token.c_str());
  if (s == NATS_OK && !options.creds_file.empty())
    s = natsOptions_SetUserCredentialsFromFiles(g.o, options.creds_file.c_str(),
                                                nullptr);
  if (s == NATS_OK && !options.name.empty())
    s = natsOptions_SetName(g.o, options.name.c_str());
  // Forever: a node outlives any NATS outage.
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(g.o, -1);
  if (s == NATS_OK)
    s = natsOptions_SetReconnectWait(g.o, options.reconnect_wait.count());
  if (s == NATS_OK) s = natsOptions_SetTimeout(g.o, 2000);
  if (s == NATS_OK)
    s = natsOptions_SetRetryOnFailedConnect(g.o, true, &Connection::OnConnected,
                                            c.get());
  if (s == NATS_OK)
    s = natsOptions_SetDisconnectedCB(g.o, &Connection::OnDisconnected,
                                      c.get());
  if (s == NATS_OK)
    s = natsOptions_SetReconnectedCB(g.o, &Connection::OnReconnected, c.get());
  if (s == NATS_OK)
    s = natsOptions_SetClosedCB(g.o, &Connection::OnClosed, c.get());
  if (s != NATS_OK) return NatsError("options", s);

  s = natsConnection_Connect(&c->nc_, g.o);
  if (s == NATS_NOT_YET_CONNECTED) {
    if (c->log_)
      c->log_("warn", "nats: not reachable yet, retrying in the background",
              options.urls.front());
  } else if (s != NATS_OK) {
    return NatsError("connect", s);
  } else if (c->log_) {
    c->log_("info", "nats: connected", c->Url());
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = options.request_timeout.count();
  s = natsConnection_JetStream(&c->js_, c->nc_, &jo);
  if (s != NATS_OK) return NatsError("jetstream context", s);
  return c;
}

Connection::~Connection() {
  if (js_) jsCtx_Destroy(js_);
  if (nc_) {
    // Close, then Destroy: the closed callback has run once Close returns
    // for a connected connection; for one still retrying, Destroy stops it.
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
  }
}

bool Connection::connected() const {
  return nc_ && natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

std::string Connection::Url() const {
  char buf[256] = {0};
  if (nc_ && natsConnection_GetConnectedUrl(nc_, buf, sizeof buf) == NATS_OK)
    return buf;
  return {};
}

void Connection::OnConnected(natsConnection*, void* self) {
  auto* c = static_cast<Connection*>(self);
  if (c->log_) c->log_("info", "nats: connected", c->Url());
}

void Connection::OnDisconnected(natsConnection*, void* self) {
  auto* c = static_cast<Connection*>(self);
  if (c->closed_.load()) return;
  c->disconnects_.fetch_add(1, std::memory_order_relaxed);
  if (c->log_) c->log_("warn", "nats: disconnected, reconnecting", "");
}

void Connection::OnReconnected(natsConnection*, void* self) {
  auto* c = static_cast<Connection*>(self);
  c->reconnects_.fetch_add(1, std::memory_order_relaxed);
  if (c->log_) c->log_("info", "nats: reconnected", c->Url());
}

void Connection::OnClosed(natsConnection*, void* self) {
  static_cast<Connection*>(self)->closed_.store(true);
}

std::string Connection::RenderMetrics() const {
  return "# HELP weft_nats_connected Whether the node is connected to a NATS "
         "server (1) or not (0).\n# TYPE weft_nats_connected gauge\n"
         "weft_nats_connected " +
         std::to_string(connected() ? 1 : 0) +
         "\n# HELP weft_nats_reconnects_total Reconnects to NATS after a lost "
         "connection.\n# TYPE weft_nats_reconnects_total counter\n"
         "weft_nats_reconnects_total " +
         std::to_string(reconnects()) +
         "\n# HELP weft_nats_disconnects_total Connections to NATS lost.\n"
         "# TYPE weft_nats_disconnects_total counter\n"
         "weft_nats_disconnects_total " +
         std::to_string(disconnects()) + "\n";
}

// ---- Bucket ----------------------------------------------------------------

Bucket::~Bucket() {
  if (kv_) kvStore_Destroy(kv_);
}

Bucket& Bucket::operator=(Bucket&& o) noexcept {
  if (this != &o) {
    if (kv_) kvStore_Destroy(kv_);
    kv_ = o.kv_;
    o.kv_ = nullptr;
  }
  return *this;
}

Result<Bucket::Entry> Bucket::Get(const std::string& key) const {
  kvEntry* e = nullptr;
  natsStatus s = kvStore_Get(&e, kv_, key.c_str());
  Entry out;
  if (s == NATS_NOT_FOUND) return out;
  if (s != NATS_OK) return NatsError("kv get " + key, s);
  out.found = true;
  out.value.assign(static_cast<const char*>(kvEntry_Value(e)),
                   static_cast<size_t>(kvEntry_ValueLen(e)));
  out.revision = kvEntry_Revision(e);
  kvEntry_Destroy(e);
  return out;
}

Result<uint64_t> Bucket::Put(const std::string& key,
                             std::string_view value) const {
  uint64_t rev = 0;
  natsStatus s = kvStore_Put(&rev, kv_, key.c_str(), value.data(),
                             static_cast<int>(value.size()));
  if (s != NATS_OK) return NatsError("kv put " + key, s);
  return rev;
}

Result<uint64_t> Bucket::Update(const std::string& key, std::string_view value,
                                uint64_t last) const {
  uint64_t rev = 0;
  natsStatus s = last == 0
                     ? kvStore_Create(&rev, kv_, key.c_str(), value.data(),
                                      static_cast<int>(value.size()))
                     : kvStore_Update(&rev, kv_, key.c_str(), value.data(),
                                      static_cast<int>(value.size()), last);
  if (s != NATS_OK) return NatsError("kv update " + key, s);
  return rev;
}

Status Bucket::Delete(const std::string& key) const {
  natsStatus s = kvStore_Delete(kv_, key.c_str());
  if (s != NATS_OK) return NatsError("kv delete " + key, s);
  return {};
}

Result<std::vector<std::string>> Bucket::Keys() const {
  kvKeysList list{};
  natsStatus s = kvStore_Keys(&list, kv_, nullptr);
  std::vector<std::string> out;
  if (s == NATS_NOT_FOUND) return out; // an empty bucket
  if (s != NATS_OK) return NatsError("kv keys", s);
  for (int i = 0; i < list.Count; ++i)
    out.emplace_back(list.Keys[i]);
  kvKeysList_Destroy(&list);
  return out;
}

Result<Bucket> OpenBucket(const Connection& c, const BucketOptions& options) {
  if (!c.js()) return Fail("nats: no JetStream context");
  kvStore* kv = nullptr;
  natsStatus s = js_KeyValue(&kv, c.js(), options.name.c_str());
  if (s == NATS_OK) return Bucket(kv);
  if (s != NATS_NOT_FOUND) return NatsError("kv bucket " + options.name, s);
  kvConfig cfg;
  kvConfig_Init(&cfg);
  cfg.Bucket = options.name.c_str();
  cfg.History = options.history;
  // JetStream's max_age, in nanoseconds (libnats passes it on as is).
  cfg.TTL = std::chrono::nanoseconds(options.ttl).count();
  cfg.Replicas = options.replicas;
  cfg.MaxValueSize = options.max_value_size;
  s = js_CreateKeyValue(&kv, c.js(), &cfg);
  if (s != NATS_OK) return NatsError("create kv bucket " + options.name, s);
  return Bucket(kv);
}

} // namespace weft::nats
