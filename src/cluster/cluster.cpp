#include "cluster/cluster.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/manifest.h"

namespace weft::cluster {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// JetStream's default max_payload is 1 MiB per message; an app archive is
// stored in chunks well below it.
constexpr size_t kChunkBytes = 512 * 1024;
// Stored versions kept for rollbacks; older ones are deleted by deploys.
constexpr uint64_t kKeptVersions = 10;
// Version folders kept on disk besides the one serving.
constexpr size_t kKeptDirs = 3;
// The largest archive a node reassembles (the admin API's upload limit).
constexpr size_t kMaxArchiveBytes = 256u << 20;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t ResidentBytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

std::string MetaKey(uint64_t v) { return "v." + std::to_string(v) + ".meta"; }
std::string ChunkKey(uint64_t v, size_t i) {
  return "v." + std::to_string(v) + ".chunk." + std::to_string(i);
}

std::optional<uint64_t> ParseNumber(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string DefaultNodeName() {
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = 0;
  return std::string(*host ? host : "node") + "-" + std::to_string(::getpid());
}

} // namespace

std::string SafeName(std::string_view name) {
  std::string out;
  for (char c : name)
    out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'
               ? c
               : '_';
  return out.empty() ? "_" : out;
}

struct Node::Impl {
  platform::AppHost& host;
  ClusterOptions options;
  const platform::Logger& logger;
  std::string node_key;
  std::unique_ptr<nats::Connection> conn;

  // Bound lazily once NATS answers; dropped after an error so that the
  // next round binds (or creates) them again, e.g. after the NATS server
  // came back without its storage.
  mutable std::mutex buckets_mu;
  std::shared_ptr<nats::Bucket> app_bucket, nodes_bucket;
  std::string last_bucket_error;

  std::mutex apply_mu; // one version loads at a time
  mutable std::mutex state_mu;
  uint64_t loaded = 0;  // the cluster version serving here (0: the local app)
  uint64_t current = 0; // the cluster's current version, as last read
  uint64_t failed = 0;  // the last version that did not load here
  std::string failed_error;
  std::string http_address;
  json nodes = json::array();

  // Requests/s between two heartbeats.
  uint64_t last_requests = 0;
  Clock::time_point last_beat{};
  double rate = 0;
  const int64_t started_ms = NowMs();

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;
  std::thread thread;

  Impl(platform::AppHost& h, ClusterOptions o, const platform::Logger& l)
      : host(h), options(std::move(o)), logger(l) {
    if (options.node_name.empty()) options.node_name = DefaultNodeName();
    node_key = SafeName(options.node_name);
  }

  fs::path VersionsDir() const {
    return options.data_dir / "cluster" / SafeName(options.cluster_name);
  }

  // The version this node served last, kept across restarts: a node that
  // starts while NATS is down serves it instead of its start-up app.
  void RememberLoaded(uint64_t v) {
    const fs::path tmp = VersionsDir() / "loaded.tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << v << "\n";
      if (!out) return;
    }
    std::error_code ec;
    fs::rename(tmp, VersionsDir() / "loaded", ec);
  }
  void LoadRemembered() {
    std::ifstream in(VersionsDir() / "loaded");
    uint64_t v = 0;
    if (!(in >> v) || v == 0) return;
    const fs::path manifest = VersionsDir() / std::to_string(v) / "weft.toml";
    std::error_code ec;
    if (!fs::is_regular_file(manifest, ec)) return;
    std::string error;
    if (host.Reload(manifest, "cluster", error)) {
      std::lock_guard<std::mutex> s(state_mu);
      loaded = v;
      logger.Log("info", "cluster: serving the version loaded last",
                 {{"version", v}});
    }
  }

  std::string BucketName(std::string_view what) const {
    return "weft-" + SafeName(options.cluster_name) + "-" + std::string(what);
  }

  std::shared_ptr<nats::Bucket> AppBucket() const {
    std::lock_guard<std::mutex> g(buckets_mu);
    return app_bucket;
  }
  std::shared_ptr<nats::Bucket> NodesBucket() const {
    std::lock_guard<std::mutex> g(buckets_mu);
    return nodes_bucket;
  }
  void DropBuckets() {
    std::lock_guard<std::mutex> g(buckets_mu);
    app_bucket.reset();
    nodes_bucket.reset();
  }

  void EnsureBuckets() {
    if (!conn->connected()) return;
    std::lock_guard<std::mutex> g(buckets_mu);
    auto open = [&](std::shared_ptr<nats::Bucket>& b,
                    const nats::BucketOptions& o) {
      if (b) return;
      Result<nats::Bucket> r = nats::OpenBucket(*conn, o);
      if (!r) {
        if (r.error().message != last_bucket_error)
          logger.Log("warn", "cluster: cannot open a bucket",
                     {{"bucket", o.name}, {"error", r.error().message}});
        last_bucket_error = r.error().message;
        return;
      }
      b = std::make_shared<nats::Bucket>(std::move(*r));
      last_bucket_error.clear();
    };
    nats::BucketOptions nodes_opts;
    nodes_opts.name = BucketName("nodes");
    nodes_opts.ttl = options.ttl;
    open(nodes_bucket, nodes_opts);
    nats::BucketOptions app_opts;
    app_opts.name = BucketName("app");
    open(app_bucket, app_opts);
  }

  // ---- versions ----------------------------------------------------------

  struct Fetched {
    std::string archive;
    std::string error;
    bool missing = false; // the version is not stored (not transient)
  };

  Fetched Fetch(const nats::Bucket& b, uint64_t v) {
    Fetched out;
    Result<nats::Bucket::Entry> meta = b.Get(MetaKey(v));
    if (!meta) {
      out.error = meta.error().message;
      return out;
    }
    if (!meta->found) {
      out.missing = true;
      out.error = "version " + std::to_string(v) + " is not stored";
      return out;
    }
    json m = json::parse(meta->value, nullptr, false);
    if (!m.is_object() || !m["chunks"].is_number_unsigned() ||
        !m["size"].is_number_unsigned() || !m["sha256"].is_string()) {
      out.missing = true;
      out.error = "version " + std::to_string(v) + ": malformed metadata";
      return out;
    }
    const size_t chunks = m["chunks"].get<size_t>();
    const size_t size = m["size"].get<size_t>();
    if (size > kMaxArchiveBytes ||
        chunks != (size + kChunkBytes - 1) / kChunkBytes + (size == 0)) {
      out.missing = true;
      out.error = "version " + std::to_string(v) + ": malformed metadata";
      return out;
    }
    for (size_t i = 0; i < chunks; ++i) {
      Result<nats::Bucket::Entry> c = b.Get(ChunkKey(v, i));
      if (!c || !c->found) {
        out.error = c ? "version " + std::to_string(v) + ": chunk " +
                            std::to_string(i) + " is missing"
                      : c.error().message;
        out.missing = c.ok();
        out.archive.clear();
        return out;
      }
      out.archive += c->value;
      if (out.archive.size() > size) break;
    }
    if (out.archive.size() != size ||
        platform::Sha256Hex(out.archive.data(), out.archive.size()) !=
            m["sha256"].get<std::string>()) {
      out.missing = true;
      out.error = "version " + std::to_string(v) +
                  ": stored archive does not match its SHA-256";
      out.archive.clear();
    }
    return out;
  }

  struct Applied {
    bool ok = false;
    bool transient = false; // NATS failed; try again later
    std::string error;
  };

  // Loads cluster version `v` here through AppHost::Reload; on failure the
  // version serving stays and the reason goes into the heartbeat.
  Applied Apply(uint64_t v) {
    std::lock_guard<std::mutex> g(apply_mu);
    {
      std::lock_guard<std::mutex> s(state_mu);
      if (loaded == v) return {true, false, ""};
    }
    Applied out;
    std::shared_ptr<nats::Bucket> b = AppBucket();
    if (!b) return {false, true, "NATS is not connected"};
    Fetched f = Fetch(*b, v);
    if (!f.error.empty() && !f.missing) return {false, true, f.error};
    out.error = f.error;
    const fs::path dir = VersionsDir() / std::to_string(v);
    std::error_code ec;
    if (out.error.empty()) {
      fs::remove_all(dir, ec);
      fs::create_directories(dir, ec);
      if (ec) out.error = "cannot create " + dir.string() + ": " + ec.message();
    }
    const fs::path manifest = dir / "weft.toml";
    if (out.error.empty() && platform::ExtractTar(f.archive, dir, out.error)) {
      std::optional<platform::Manifest> m =
          platform::LoadManifest(manifest, out.error);
      if (m && platform::ManifestContained(*m, dir, out.error))
        out.ok = host.Reload(manifest, "cluster", out.error);
    }
    std::lock_guard<std::mutex> s(state_mu);
    if (out.ok) {
      loaded = v;
      failed = 0;
      failed_error.clear();
      logger.Log("info", "cluster: version loaded", {{"version", v}});
      RememberLoaded(v);
      PruneDirs(dir.parent_path(), v);
    } else {
      failed = v;
      failed_error = out.error;
      fs::remove_all(dir, ec);
      logger.Log("error", "cluster: version refused, the old one serves on",
                 {{"version", v}, {"error", out.error}});
    }
    return out;
  }

  // Version folders but the kKeptDirs newest and the one serving.
  void PruneDirs(const fs::path& parent, uint64_t serving) {
    std::vector<uint64_t> versions;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(parent, ec))
      if (auto v = ParseNumber(e.path().filename().string()))
        versions.push_back(*v);
    std::sort(versions.rbegin(), versions.rend());
    for (size_t i = kKeptDirs; i < versions.size(); ++i)
      if (versions[i] != serving)
        fs::remove_all(parent / std::to_string(versions[i]), ec);
  }

  void CheckCurrent() {
    std::shared_ptr<nats::Bucket> b = AppBucket();
    if (!b) return;
    Result<nats::Bucket::Entry> e = b->Get("current");
    if (!e) {
      DropBuckets();
      return;
    }
    if (!e->found) return;
    json c = json::parse(e->value, nullptr, false);
    if (!c.is_object() || !c["version"].is_number_unsigned()) return;
    const uint64_t v = c["version"].get<uint64_t>();
    {
      std::lock_guard<std::mutex> s(state_mu);
      current = v;
      if (v == loaded || v == failed) return;
    }
    Apply(v);
  }

  // ---- heartbeats ----------------------------------------------------------

  json Heartbeat() {
    const Clock::time_point now = Clock::now();
    const uint64_t requests = host.RequestsTotal();
    if (last_beat != Clock::time_point{}) {
      const double secs =
          std::chrono::duration<double>(now - last_beat).count();
      if (secs > 0) rate = static_cast<double>(requests - last_requests) / secs;
    }
    last_requests = requests;
    last_beat = now;
    json hb;
    std::lock_guard<std::mutex> s(state_mu);
    hb["name"] = options.node_name;
    hb["http"] = http_address;
    hb["admin"] = options.admin_address;
    hb["app_version"] = loaded;
    hb["app_error"] =
        failed ? json{{"version", failed}, {"error", failed_error}} : json();
    hb["requests_per_second"] = rate;
    hb["requests_total"] = requests;
    hb["instances"] = host.InstancesLive();
    hb["memory_bytes"] = ResidentBytes();
    hb["time_ms"] = NowMs();
    hb["started_ms"] = started_ms;
    return hb;
  }

  void Beat() {
    std::shared_ptr<nats::Bucket> b = NodesBucket();
    if (!b) return;
    bool listening;
    {
      std::lock_guard<std::mutex> s(state_mu);
      listening = !http_address.empty();
    }
    // Listed once it serves HTTP (the balancer may send traffic then).
    if (listening && !b->Put(node_key, Heartbeat().dump())) {
      DropBuckets();
      return;
    }
    Result<std::vector<std::string>> keys = b->Keys();
    if (!keys) return;
    json list = json::array();
    const int64_t now = NowMs();
    for (const std::string& k : *keys) {
      Result<nats::Bucket::Entry> e = b->Get(k);
      if (!e || !e->found) continue;
      json hb = json::parse(e->value, nullptr, false);
      if (!hb.is_object() || !hb["time_ms"].is_number_integer()) continue;
      // The bucket's TTL removes a silent node's entry; until the server
      // does, its age says it is gone.
      if (now - hb["time_ms"].get<int64_t>() > options.ttl.count()) continue;
      hb["last_heartbeat_ms_ago"] = now - hb["time_ms"].get<int64_t>();
      list.push_back(std::move(hb));
    }
    std::sort(list.begin(), list.end(), [](const json& a, const json& b) {
      return a.value("name", "") < b.value("name", "");
    });
    std::lock_guard<std::mutex> s(state_mu);
    nodes = std::move(list);
  }

  void Run() {
    Clock::time_point next_beat = Clock::now();
    std::unique_lock<std::mutex> lk(stop_mu);
    while (!stopping) {
      lk.unlock();
      EnsureBuckets();
      CheckCurrent();
      if (Clock::now() >= next_beat) {
        Beat();
        next_beat = Clock::now() + options.heartbeat;
      }
      lk.lock();
      stop_cv.wait_for(lk, options.poll, [&] { return stopping; });
    }
  }
};

Node::Node(platform::AppHost& host, ClusterOptions options,
           const platform::Logger& logger)
    : impl_(std::make_unique<Impl>(host, std::move(options), logger)) {}

Node::~Node() {
  if (impl_->thread.joinable()) {
    {
      std::lock_guard<std::mutex> g(impl_->stop_mu);
      impl_->stopping = true;
    }
    impl_->stop_cv.notify_all();
    impl_->thread.join();
  }
  // Leaves at once rather than after the TTL.
  if (auto b = impl_->NodesBucket(); b && impl_->conn->connected())
    (void)b->Delete(impl_->node_key);
  impl_->DropBuckets();
}

bool Node::Start(std::string& error) {
  if (impl_->options.nats.name.empty())
    impl_->options.nats.name = "weft " + impl_->options.node_name;
  const platform::Logger& logger = impl_->logger;
  Result<std::unique_ptr<nats::Connection>> c = nats::Connection::Open(
      impl_->options.nats,
      [&logger](std::string_view level, std::string_view msg,
                std::string_view url) {
        json fields = json::object();
        if (!url.empty()) fields["url"] = std::string(url);
        logger.Log(level, msg, fields);
      });
  if (!c) {
    error = c.error().message;
    return false;
  }
  impl_->conn = std::move(*c);
  impl_->LoadRemembered();
  logger.Log("info", "cluster: joining",
             {{"cluster", impl_->options.cluster_name},
              {"node", impl_->options.node_name}});
  impl_->thread = std::thread([this] { impl_->Run(); });
  return true;
}

void Node::SetHttpAddress(const std::string& address) {
  std::lock_guard<std::mutex> s(impl_->state_mu);
  impl_->http_address = address;
}

void Node::SetAdminAddress(const std::string& address) {
  std::lock_guard<std::mutex> s(impl_->state_mu);
  impl_->options.admin_address = address;
}

Node::Reply Node::Deploy(std::string_view archive) {
  Impl& m = *impl_;
  m.EnsureBuckets();
  std::shared_ptr<nats::Bucket> b = m.AppBucket();
  if (!b)
    return {503,
            {{"error", "NATS is not reachable: the deploy is not stored "
                       "(this node keeps serving its version)"}}};
  // The next version number: compare-and-set on "latest", so two deploys
  // through two nodes never get the same number.
  uint64_t v = 0;
  std::string error = "too many concurrent deploys";
  for (int tries = 0; tries < 50 && v == 0; ++tries) {
    Result<nats::Bucket::Entry> e = b->Get("latest");
    if (!e) return {503, {{"error", e.error().message}}};
    uint64_t n = 0;
    if (e->found) n = ParseNumber(e->value).value_or(0);
    if (b->Update("latest", std::to_string(n + 1), e->found ? e->revision : 0))
      v = n + 1;
  }
  if (v == 0) return {503, {{"error", error}}};
  size_t chunks = 0;
  for (size_t off = 0; off < archive.size() || chunks == 0;
       off += kChunkBytes, ++chunks) {
    Result<uint64_t> r =
        b->Put(ChunkKey(v, chunks), archive.substr(off, kChunkBytes));
    if (!r) return {503, {{"error", r.error().message}}};
  }
  json meta = {{"size", archive.size()},
               {"chunks", chunks},
               {"sha256", platform::Sha256Hex(archive.data(), archive.size())},
               {"node", m.options.node_name},
               {"time_ms", NowMs()}};
  if (Result<uint64_t> r = b->Put(MetaKey(v), meta.dump()); !r)
    return {503, {{"error", r.error().message}}};
  json cur = {
      {"version", v}, {"node", m.options.node_name}, {"time_ms", NowMs()}};
  if (Result<uint64_t> r = b->Put("current", cur.dump()); !r)
    return {503, {{"error", r.error().message}}};
  m.logger.Log("info", "cluster: version stored",
               {{"version", v}, {"bytes", archive.size()}, {"chunks", chunks}});
  // The version that falls out of the kept window (its chunks first).
  if (v > kKeptVersions) {
    const uint64_t old = v - kKeptVersions;
    Result<nats::Bucket::Entry> om = b->Get(MetaKey(old));
    if (om && om->found) {
      json j = json::parse(om->value, nullptr, false);
      const size_t n = j.is_object() ? j.value("chunks", size_t{0}) : 0;
      (void)b->Delete(MetaKey(old));
      for (size_t i = 0; i < n; ++i)
        (void)b->Delete(ChunkKey(old, i));
    }
  }
  Impl::Applied a = m.Apply(v);
  json body = {{"version", v}, {"loaded", a.ok}};
  if (!a.ok) body["error"] = a.error;
  {
    std::lock_guard<std::mutex> s(m.state_mu);
    m.current = v;
  }
  return {200, body};
}

Node::Reply Node::Rollback(uint64_t version) {
  Impl& m = *impl_;
  m.EnsureBuckets();
  std::shared_ptr<nats::Bucket> b = m.AppBucket();
  if (!b) return {503, {{"error", "NATS is not reachable"}}};
  Result<nats::Bucket::Entry> meta = b->Get(MetaKey(version));
  if (!meta) return {503, {{"error", meta.error().message}}};
  if (!meta->found)
    return {404,
            {{"error", "version " + std::to_string(version) +
                           " is not stored (the cluster keeps the last " +
                           std::to_string(kKeptVersions) + ")"}}};
  json cur = {{"version", version},
              {"node", m.options.node_name},
              {"rollback", true},
              {"time_ms", NowMs()}};
  if (Result<uint64_t> r = b->Put("current", cur.dump()); !r)
    return {503, {{"error", r.error().message}}};
  m.logger.Log("info", "cluster: rollback", {{"version", version}});
  Impl::Applied a = m.Apply(version);
  {
    std::lock_guard<std::mutex> s(m.state_mu);
    m.current = version;
  }
  json body = {{"version", version}, {"loaded", a.ok}};
  if (!a.ok) body["error"] = a.error;
  return {200, body};
}

Node::Reply Node::Status() {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> s(m.state_mu);
  return {200,
          {{"cluster", m.options.cluster_name},
           {"node", m.options.node_name},
           {"nats_connected", m.conn && m.conn->connected()},
           {"app_version", m.current},
           {"nodes", m.nodes}}};
}

std::string Node::RenderMetrics() const {
  const Impl& m = *impl_;
  size_t nodes = 0;
  uint64_t loaded = 0;
  {
    std::lock_guard<std::mutex> s(m.state_mu);
    nodes = m.nodes.size();
    loaded = m.loaded;
  }
  return "# HELP weft_cluster_nodes Live nodes of the cluster (fresh "
         "heartbeats).\n# TYPE weft_cluster_nodes gauge\nweft_cluster_nodes " +
         std::to_string(nodes) +
         "\n# HELP weft_cluster_app_version The cluster version of the app "
         "this node serves (0: the app it started with).\n"
         "# TYPE weft_cluster_app_version gauge\nweft_cluster_app_version " +
         std::to_string(loaded) + "\n" +
         (m.conn ? m.conn->RenderMetrics() : std::string());
}

} // namespace weft::cluster
