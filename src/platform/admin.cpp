#include "platform/admin.h"

#include <openssl/crypto.h>
#include <signal.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <fstream>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "platform/http_body.h"
#include "platform/manifest.h"

namespace weft::platform {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

// ---- tar -----------------------------------------------------------------

std::string_view CString(std::string_view field) {
  size_t nul = field.find('\0');
  return nul == std::string_view::npos ? field : field.substr(0, nul);
}

std::optional<uint64_t> Octal(std::string_view field) {
  field = CString(field);
  while (!field.empty() && (field.front() == ' '))
    field.remove_prefix(1);
  while (!field.empty() && (field.back() == ' '))
    field.remove_suffix(1);
  if (field.empty()) return 0;
  uint64_t v = 0;
  for (char c : field) {
    if (c < '0' || c > '7' || v > (UINT64_MAX >> 3)) return std::nullopt;
    v = v * 8 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// `name` as a path below the archive's root, or nullopt when it would
// leave it. "" for the root itself ("./").
std::optional<fs::path> SafeRelative(std::string_view name) {
  if (name.empty() || name.front() == '/') return std::nullopt;
  fs::path out;
  while (!name.empty()) {
    size_t slash = name.find('/');
    std::string_view part = name.substr(0, slash);
    name = slash == std::string_view::npos ? std::string_view()
                                           : name.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") return std::nullopt;
    out /= std::string(part);
  }
  return out;
}

// POSIX pax extended header records: "LEN key=value\n"...; the "path".
std::optional<std::string> PaxPath(std::string_view data) {
  std::optional<std::string> path;
  while (!data.empty()) {
    size_t len = 0;
    auto [p, ec] = std::from_chars(data.data(), data.data() + data.size(), len);
    if (ec != std::errc() || len == 0 || len > data.size() || *p != ' ')
      return path;
    std::string_view rec = data.substr(0, len);
    data.remove_prefix(len);
    rec.remove_prefix(static_cast<size_t>(p - rec.data()) + 1);
    if (!rec.empty() && rec.back() == '\n') rec.remove_suffix(1);
    size_t eq = rec.find('=');
    if (eq != std::string_view::npos && rec.substr(0, eq) == "path")
      path = std::string(rec.substr(eq + 1));
  }
  return path;
}

// ---- HTTP ----------------------------------------------------------------

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

Response Json(unsigned status, const nlohmann::json& body) {
  Response r;
  r.result(status);
  r.set(http::field::content_type, "application/json");
  r.body() =
      body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

Response Error(unsigned status, const std::string& message) {
  return Json(status, {{"error", message}});
}

} // namespace

bool SecretEquals(std::string_view a, std::string_view b) {
  // Digests first: equal lengths, and no early exit on the first byte
  // that differs.
  const std::string da = Sha256Hex(a.data(), a.size());
  const std::string db = Sha256Hex(b.data(), b.size());
  return !da.empty() && da.size() == db.size() &&
         CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

bool ManifestContained(const Manifest& m, const fs::path& dir,
                       std::string& error) {
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(dir, ec);
  auto inside = [&](const fs::path& p) {
    fs::path c = fs::weakly_canonical(p, ec);
    auto [r, _] = std::mismatch(root.begin(), root.end(), c.begin(), c.end());
    return !ec && r == root.end();
  };
  for (const FunctionSpec& f : m.functions) {
    if (!inside(f.module)) {
      error = m.path.string() + ": error: function \"" + f.name +
              "\": module " + f.module.string() +
              " is outside the deployed archive";
      return false;
    }
    for (const WasiPreopen& p : f.files)
      if (!inside(p.host_path)) {
        error = m.path.string() + ": error: function \"" + f.name +
                "\": files host " + p.host_path +
                " is outside the deployed archive";
        return false;
      }
  }
  return true;
}

bool ExtractTar(std::string_view tar, const fs::path& dir, std::string& error) {
  std::optional<std::string> long_name;
  size_t off = 0;
  bool ended = false;
  while (off + 512 <= tar.size()) {
    std::string_view h = tar.substr(off, 512);
    if (h.find_first_not_of('\0') == std::string_view::npos) {
      ended = true;
      break;
    }
    // Header checksum: the bytes summed with the checksum field as spaces.
    unsigned sum = 0;
    for (size_t i = 0; i < 512; ++i)
      sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    std::optional<uint64_t> want = Octal(h.substr(148, 8));
    std::optional<uint64_t> size = Octal(h.substr(124, 12));
    if (!want || *want != sum || !size) {
      error = "not a tar archive (bad header at offset " + std::to_string(off) +
              ")";
      return false;
    }
    std::string name(CString(h.substr(0, 100)));
    if (h.substr(257, 5) == "ustar") {
      std::string_view prefix = CString(h.substr(345, 155));
      if (!prefix.empty()) name = std::string(prefix) + "/" + name;
    }
    const char type = h[156];
    const size_t data = off + 512;
    if (*size > tar.size() - data) {
      error = "tar archive truncated in entry \"" + name + "\"";
      return false;
    }
    std::string_view body = tar.substr(data, static_cast<size_t>(*size));
    off = data + ((static_cast<size_t>(*size) + 511) / 512) * 512;
    if (type == 'L') { // GNU: the next entry's long name
      long_name = std::string(CString(body));
      continue;
    }
    if (type == 'x') { // pax: the next entry's attributes
      if (auto p = PaxPath(body)) long_name = *p;
      continue;
    }
    if (type == 'g') continue; // pax global attributes
    if (long_name) {
      name = *long_name;
      long_name.reset();
    }
    std::optional<fs::path> rel = SafeRelative(name);
    if (!rel) {
      error = "archive entry \"" + name +
              "\" refused: names must stay inside the archive (no absolute "
              "path, no \"..\")";
      return false;
    }
    std::error_code ec;
    if (type == '5') {
      fs::create_directories(dir / *rel, ec);
      if (ec) {
        error = "archive entry \"" + name + "\": " + ec.message();
        return false;
      }
      continue;
    }
    if (type != '0' && type != '\0' && type != '7') {
      error = "archive entry \"" + name +
              "\" refused: only regular files and folders are allowed "
              "(links and devices are not)";
      return false;
    }
    if (rel->empty()) {
      error = "archive entry \"" + name + "\" has no file name";
      return false;
    }
    fs::create_directories((dir / *rel).parent_path(), ec);
    std::ofstream out(dir / *rel, std::ios::binary | std::ios::trunc);
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    out.close();
    if (ec || !out) {
      error = "archive entry \"" + name + "\": cannot write " +
              (dir / *rel).string();
      return false;
    }
  }
  if (!ended && off < tar.size()) {
    error = "not a tar archive (truncated header)";
    return false;
  }
  if (off == 0 && !ended) {
    error = "empty archive";
    return false;
  }
  return true;
}

struct AdminServer::Impl {
  AppHost& host;
  AdminOptions options;
  const Logger& logger;
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread thread;

  Impl(AppHost& h, AdminOptions o, const Logger& l)
      : host(h), options(std::move(o)), logger(l) {}

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) std::make_shared<Session>(*this, std::move(socket))->Start();
      Accept();
    });
  }

  bool Authorized(const Request& req) const {
    std::string_view auth = req[http::field::authorization];
    constexpr std::string_view kScheme = "bearer ";
    if (auth.size() <= kScheme.size() ||
        !beast::iequals(auth.substr(0, kScheme.size()), kScheme))
      return false;
    return SecretEquals(auth.substr(kScheme.size()), options.token);
  }

  nlohmann::json Functions() const {
    const std::shared_ptr<App> app = host.Current();
    const AppVersionInfo info = host.info();
    nlohmann::json out;
    out["app"] = app ? nlohmann::json(app->manifest.app_name) : nullptr;
    out["version"] = info.number;
    out["source"] = info.source;
    out["manifest"] = info.manifest.string();
    out["functions"] = nlohmann::json::array();
    if (!app) return out;
    for (size_t i = 0; i < app->functions.size(); ++i) {
      const FunctionSpec& s = app->functions[i]->spec;
      nlohmann::json limits;
      limits["memory_limit"] =
          s.memory_limit ? nlohmann::json(*s.memory_limit) : nullptr;
      limits["timeout_ms"] =
          std::chrono::duration<double, std::milli>(s.timeout).count();
      limits["max_concurrency"] =
          s.max_concurrency ? nlohmann::json(s.max_concurrency) : nullptr;
      limits["max_response_size"] = s.max_response_size;
      limits["max_log_size"] = s.max_log_size;
      // Never the env values nor [variables]: they may hold secrets.
      out["functions"].push_back(
          {{"name", s.name},
           {"route", s.route.text},
           {"module", s.module.string()},
           {"module_sha256", i < info.sha256.size() ? info.sha256[i] : ""},
           {"kv", s.kv},
           {"allowed_outbound_hosts", s.allowed_outbound_hosts},
           {"limits", limits}});
    }
    return out;
  }

  // A new folder <data-dir>/apps/<n> (n one more than any there).
  bool NewVersionDir(fs::path& dir, std::string& error) {
    const fs::path apps = options.data_dir / "apps";
    std::error_code ec;
    fs::create_directories(apps, ec);
    if (ec) {
      error = "cannot create " + apps.string() + ": " + ec.message();
      return false;
    }
    uint64_t next = 1;
    for (const auto& e : fs::directory_iterator(apps, ec)) {
      const std::string n = e.path().filename().string();
      uint64_t v = 0;
      auto [p, err] = std::from_chars(n.data(), n.data() + n.size(), v);
      if (err == std::errc() && p == n.data() + n.size() && v >= next)
        next = v + 1;
    }
    for (int tries = 0; tries < 100; ++tries, ++next) {
      dir = apps / std::to_string(next);
      if (fs::create_directory(dir, ec)) return true;
    }
    error = "cannot create a version folder under " + apps.string();
    return false;
  }

  // Deleted after each successful deploy: version folders older than the
  // kKeptVersions newest (the one just deployed among them). An older
  // version can still have a request in flight only if deploys come faster
  // than its requests finish; its modules are loaded already and open
  // files stay readable after the unlink.
  static constexpr size_t kKeptVersions = 3;
  void PruneVersions(const fs::path& current) {
    const fs::path apps = options.data_dir / "apps";
    std::vector<std::pair<uint64_t, fs::path>> versions;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(apps, ec)) {
      const std::string n = e.path().filename().string();
      uint64_t v = 0;
      auto [p, err] = std::from_chars(n.data(), n.data() + n.size(), v);
      if (err == std::errc() && p == n.data() + n.size())
        versions.emplace_back(v, e.path());
    }
    if (versions.size() <= kKeptVersions) return;
    std::sort(versions.begin(), versions.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t i = kKeptVersions; i < versions.size(); ++i) {
      if (versions[i].second == current) continue;
      fs::remove_all(versions[i].second, ec);
      if (ec)
        logger.Log("warn", "cannot delete an old app version",
                   {{"directory", versions[i].second.string()},
                    {"error", ec.message()}});
    }
  }

  Response Deploy(const Request& req) {
    fs::path dir;
    std::string error;
    if (!NewVersionDir(dir, error)) return Error(500, error);
    auto refuse = [&](unsigned status, const std::string& why) {
      std::error_code ec;
      fs::remove_all(dir, ec);
      logger.Log("warn", "deploy refused", {{"error", why}});
      return Error(status, why);
    };
    if (!ExtractTar(req.body(), dir, error)) return refuse(400, error);
    const fs::path manifest = dir / "weft.toml";
    if (!fs::is_regular_file(manifest))
      return refuse(400, "the archive has no weft.toml at its top");
    {
      std::optional<Manifest> m = LoadManifest(manifest, error);
      if (!m) return refuse(400, error);
      if (!ManifestContained(*m, dir, error)) return refuse(400, error);
    }
    if (options.cluster) {
      // Checked here (loaded, not installed), then stored for every node;
      // this node loads it from the cluster like the others.
      if (!host.Check(manifest, error)) return refuse(400, error);
      std::error_code ec;
      fs::remove_all(dir, ec);
      ClusterControl::Reply r = options.cluster->Deploy(req.body());
      return Json(r.status, r.body);
    }
    if (!host.Reload(manifest, "admin", error)) return refuse(400, error);
    PruneVersions(dir);
    const AppVersionInfo info = host.info();
    const std::shared_ptr<App> app = host.Current();
    return Json(200, {{"version", info.number},
                      {"app", app ? app->manifest.app_name : ""},
                      {"functions", app ? app->functions.size() : 0},
                      {"directory", dir.string()}});
  }

  // The cluster's endpoints; 404 without --cluster.
  Response Cluster(const Request& req, std::string_view path,
                   std::string_view target) {
    if (!options.cluster)
      return Error(404, "not in a cluster (weft serve --cluster)");
    const bool status = path == "/v1/cluster";
    const http::verb want = status ? http::verb::get : http::verb::post;
    if (req.method() != want) {
      Response r = Error(405, "method not allowed");
      r.set(http::field::allow, status ? "GET" : "POST");
      return r;
    }
    ClusterControl::Reply reply;
    if (status) {
      reply = options.cluster->Status();
    } else {
      // ?version=N
      const size_t q = target.find("version=");
      uint64_t version = 0;
      std::string_view digits =
          q == std::string_view::npos ? "" : target.substr(q + 8);
      digits = digits.substr(0, digits.find('&'));
      auto [p, err] = std::from_chars(digits.data(),
                                      digits.data() + digits.size(), version);
      if (digits.empty() || err != std::errc() ||
          p != digits.data() + digits.size() || version == 0)
        return Error(400, "rollback wants ?version=N (N >= 1)");
      reply = options.cluster->Rollback(version);
    }
    return Json(reply.status, reply.body);
  }

  Response Unauthorized() const {
    Response r = Error(401, "missing or wrong bearer token");
    r.set(http::field::www_authenticate, "Bearer realm=\"weft-admin\"");
    return r;
  }

  Response Handle(const Request& req) {
    if (!Authorized(req)) return Unauthorized();
    const std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    if (path == "/v1/functions") {
      if (req.method() != http::verb::get) {
        Response r = Error(405, "method not allowed");
        r.set(http::field::allow, "GET");
        return r;
      }
      return Json(200, Functions());
    }
    if (path == "/v1/cluster" || path == "/v1/app/rollback")
      return Cluster(req, path, target);
    if (path == "/v1/app") {
      if (req.method() == http::verb::put || req.method() == http::verb::post)
        return Deploy(req);
      if (req.method() == http::verb::delete_) {
        const bool had = host.Current() != nullptr;
        host.Remove("admin");
        return Json(200, {{"removed", had}});
      }
      Response r = Error(405, "method not allowed");
      r.set(http::field::allow, "PUT, POST, DELETE");
      return r;
    }
    return Error(404, "no such endpoint (see docs/admin-api.md)");
  }

  class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(Impl& impl, tcp::socket socket)
        : impl_(impl), stream_(std::move(socket)) {}
    void Start() {
      parser_.emplace();
      parser_->body_limit(impl_.options.max_upload_bytes);
      stream_.expires_after(std::chrono::seconds(60));
      http::async_read_header(
          stream_, buffer_, *parser_,
          [self = shared_from_this()](beast::error_code ec, size_t) {
            self->OnHeader(ec);
          });
    }

  private:
    void OnHeader(beast::error_code ec) {
      if (ec) return OnRead(ec);
      // The token is checked on the header: a client without it gets 401
      // before any of its body (up to max_upload_bytes) is read.
      if (!impl_.Authorized(parser_->get())) {
        res_ = impl_.Unauthorized();
        return Write();
      }
      ReadBodyAfterHeader(stream_, buffer_, *parser_, cont_,
                          [self = shared_from_this()](beast::error_code e) {
                            self->OnRead(e);
                          });
    }
    void OnRead(beast::error_code ec) {
      if (ec == http::error::body_limit) {
        res_ = Error(413, "upload larger than " +
                              std::to_string(impl_.options.max_upload_bytes) +
                              " bytes");
      } else if (ec == http::error::end_of_stream) {
        return Close();
      } else if (ec) {
        if (ec == asio::error::operation_aborted ||
            ec == beast::error::timeout || ec == asio::error::eof)
          return Close();
        res_ = Error(400, "bad request");
      } else {
        res_ = impl_.Handle(parser_->get());
        const auto& req = parser_->get();
        impl_.logger.Log("info", "admin request",
                         {{"method", std::string(req.method_string())},
                          {"path", std::string(req.target())},
                          {"status", res_.result_int()}});
      }
      Write();
    }
    void Write() {
      res_.version(11);
      res_.set(http::field::server, "weft");
      res_.keep_alive(false);
      res_.prepare_payload();
      stream_.expires_after(std::chrono::seconds(60));
      http::async_write(stream_, res_,
                        [self = shared_from_this()](beast::error_code, size_t) {
                          self->Close();
                        });
    }
    void Close() {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream_.socket().close(ec);
    }

    Impl& impl_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    Response res_;
    http::response<http::empty_body> cont_;
  };
};

AdminServer::AdminServer(AppHost& host, AdminOptions options,
                         const Logger& logger)
    : impl_(std::make_unique<Impl>(host, std::move(options), logger)) {}

AdminServer::~AdminServer() {
  if (impl_->thread.joinable()) {
    asio::post(impl_->ioc, [this] {
      beast::error_code ec;
      impl_->acceptor.close(ec);
      impl_->ioc.stop();
    });
    impl_->thread.join();
  }
}

uint16_t AdminServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.is_open() ? impl_->acceptor.local_endpoint(ec).port()
                                   : 0;
}

bool AdminServer::Start(std::string& error) {
  if (impl_->options.token.empty()) {
    error = "the admin API needs a bearer token in WEFT_ADMIN_TOKEN";
    return false;
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->options.host, ec);
  if (ec) {
    error = "--admin-listen: invalid address \"" + impl_->options.host + "\"";
    return false;
  }
  tcp::endpoint ep(address, impl_->options.port);
  tcp::acceptor& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = "--admin-listen: cannot listen on " + impl_->options.host + ":" +
            std::to_string(impl_->options.port) + ": " + ec.message();
    return false;
  }
  const uint16_t port = a.local_endpoint().port();
  impl_->logger.Log(
      "info", "admin listening",
      {{"address", impl_->options.host + ":" + std::to_string(port)}});
  impl_->Accept();
  impl_->thread = std::thread([this] {
    // Signals are for the main server's thread.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    impl_->ioc.run();
  });
  return true;
}

} // namespace weft::platform
