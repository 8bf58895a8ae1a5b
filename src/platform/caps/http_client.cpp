// A small blocking HTTP/1.1 client for the guests' outbound requests:
// one connection per request (Connection: close), a deadline covering
// resolve + connect + TLS handshake + the whole exchange, and a cap on the
// body size. https:// goes through Boost.Asio SSL (OpenSSL): certificates
// are verified against the system trust store plus an optional extra CA
// file (SetOutboundCaFile, `weft serve --outbound-ca`), with SNI and
// host name verification. TLS failures are kTls, those of the connection
// under it kIo.
#include <cctype>
#include <cerrno>
#include <mutex>
#include <optional>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <openssl/ssl.h>

#include "platform/caps/ascii.h"
#include "platform/caps/caps.h"
#include "platform/caps/url.h"

namespace weft::caps {

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// ---- TLS configuration (process-wide) ------------------------------------

struct TlsConfig {
  std::mutex mu;
  std::string ca_file;                   // extra trust anchors, or ""
  std::shared_ptr<ssl::context> context; // built on first use
};

TlsConfig& Tls() {
  static TlsConfig config;
  return config;
}

std::shared_ptr<ssl::context> MakeContext(const std::string& ca_file,
                                          std::string& error) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1,
                   ec);
  ctx->set_default_verify_paths(ec); // the system trust store
  if (ec) {
    error = "cannot load the system trust store: " + ec.message();
    return nullptr;
  }
  if (!ca_file.empty()) {
    ctx->load_verify_file(ca_file, ec);
    if (ec) {
      error = "cannot load CA file " + ca_file + ": " + ec.message();
      return nullptr;
    }
  }
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

std::shared_ptr<ssl::context> Context() {
  TlsConfig& t = Tls();
  std::lock_guard<std::mutex> g(t.mu);
  if (!t.context) {
    std::string ignored;
    t.context = MakeContext(t.ca_file, ignored);
  }
  return t.context;
}

// ---- transport -----------------------------------------------------------

// A failed operation's status: TLS errors (OpenSSL's, and a peer that
// closes in the middle of the TLS protocol) are kTls; socket errors
// (refused, reset) and anything else are kIo.
CapStatus FailureOf(const boost::system::error_code& ec) {
  if (ec.category() == asio::error::get_ssl_category() ||
      ec.category() == ssl::error::get_stream_category())
    return CapStatus::kTls;
  return CapStatus::kIo;
}

// One exchange over plain TCP or TLS, every step bounded by the deadline.
class Connection {
public:
  explicit Connection(Clock::time_point deadline)
      : deadline_(deadline), resolver_(ioc_), socket_(ioc_) {}

  CapStatus Open(const Url& url) {
    tcp::resolver::results_type endpoints;
    boost::system::error_code ec;
    if (!Wait([&](auto done) {
          resolver_.async_resolve(url.host, std::to_string(url.port),
                                  [&, done](auto e, auto results) {
                                    ec = e;
                                    endpoints = results;
                                    done();
                                  });
        }))
      return CapStatus::kTimeout;
    if (ec) return CapStatus::kIo;
    if (!Wait([&](auto done) {
          asio::async_connect(socket_, endpoints, [&, done](auto e, auto) {
            ec = e;
            done();
          });
        }))
      return CapStatus::kTimeout;
    if (ec) return CapStatus::kIo;
    if (url.scheme != "https") return CapStatus::kOk;

    std::shared_ptr<ssl::context> ctx = Context();
    if (!ctx) return CapStatus::kTls; // no trust store
    ctx_ = ctx;
    tls_.emplace(socket_, *ctx_);
    boost::system::error_code ip_ec;
    asio::ip::make_address(url.host, ip_ec);
    // SNI carries host names only (RFC 6066), never an address.
    if (ip_ec &&
        !SSL_set_tlsext_host_name(tls_->native_handle(), url.host.c_str()))
      return CapStatus::kTls;
    // The certificate must name the host (a DNS name, or the address).
    tls_->set_verify_mode(ssl::verify_peer);
    tls_->set_verify_callback(ssl::host_name_verification(url.host));
    if (!Wait([&](auto done) {
          tls_->async_handshake(ssl::stream_base::client, [&, done](auto e) {
            ec = e;
            done();
          });
        }))
      return CapStatus::kTimeout;
    return ec ? FailureOf(ec) : CapStatus::kOk;
  }

  CapStatus Send(std::string_view data) {
    boost::system::error_code ec;
    bool ok = Wait([&](auto done) {
      auto handler = [&, done](auto e, size_t) {
        ec = e;
        done();
      };
      if (tls_)
        asio::async_write(*tls_, asio::buffer(data.data(), data.size()),
                          handler);
      else
        asio::async_write(socket_, asio::buffer(data.data(), data.size()),
                          handler);
    });
    if (!ok) return CapStatus::kTimeout;
    return ec ? FailureOf(ec) : CapStatus::kOk;
  }

  // Everything until the peer closes, within the deadline and `limit`.
  CapStatus ReadAll(size_t limit, std::string* out) {
    char buf[16384];
    for (;;) {
      boost::system::error_code ec;
      size_t n = 0;
      bool ok = Wait([&](auto done) {
        auto handler = [&, done](auto e, size_t got) {
          ec = e;
          n = got;
          done();
        };
        if (tls_)
          tls_->async_read_some(asio::buffer(buf), handler);
        else
          socket_.async_read_some(asio::buffer(buf), handler);
      });
      if (!ok) return CapStatus::kTimeout;
      out->append(buf, n);
      if (out->size() > limit) return CapStatus::kTooLarge;
      // A TLS peer that closes without close_notify ends the body too: the
      // response's own framing (Content-Length, chunked) is checked after.
      if (ec == asio::error::eof || ec == ssl::error::stream_truncated)
        return CapStatus::kOk;
      if (ec) return FailureOf(ec);
    }
  }

private:
  // Starts an operation (`start(done)`; its handler calls done()) and runs
  // the io_context until it completes or the deadline passes (then
  // everything is cancelled and false returned).
  template <typename Start> bool Wait(Start start) {
    bool finished = false;
    start([&finished] { finished = true; });
    ioc_.restart();
    // run_one_until returns 0 at the deadline (or with no work left).
    while (!finished && ioc_.run_one_until(deadline_) > 0) {
    }
    if (finished) return true;
    boost::system::error_code ignored;
    resolver_.cancel();
    socket_.close(ignored);
    ioc_.restart();
    ioc_.run(); // the cancelled handlers
    return false;
  }

  Clock::time_point deadline_;
  asio::io_context ioc_{1};
  tcp::resolver resolver_;
  tcp::socket socket_;
  std::shared_ptr<ssl::context> ctx_;
  std::optional<ssl::stream<tcp::socket&>> tls_;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool ValidToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos)
      return false;
  return true;
}

bool ValidHeaderValue(std::string_view s) {
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

// Decodes a chunked body; false when malformed or truncated.
bool Dechunk(std::string_view in, std::string* out) {
  for (;;) {
    size_t eol = in.find("\r\n");
    if (eol == std::string_view::npos) return false;
    std::string_view line = in.substr(0, eol);
    line = line.substr(0, line.find(';'));
    line = Trim(line);
    if (line.empty() || line.size() > 15) return false;
    size_t size = 0;
    for (char c : line) {
      int d =
          std::isdigit(static_cast<unsigned char>(c))
              ? c - '0'
              : (std::isxdigit(static_cast<unsigned char>(c))
                     ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                     : -1);
      if (d < 0) return false;
      size = size * 16 + static_cast<size_t>(d);
    }
    in.remove_prefix(eol + 2);
    if (size == 0) return true; // trailers ignored
    if (in.size() < size + 2) return false;
    out->append(in.substr(0, size));
    in.remove_prefix(size + 2);
  }
}

} // namespace

CapStatus
HttpFetch(std::string_view method, std::string_view url_text,
          const std::vector<std::pair<std::string, std::string>>& headers,
          std::string_view body, const OutboundHttpOptions& options,
          HttpResponse* out) {
  Url url;
  if (!ParseUrl(url_text, &url) || !ValidToken(method))
    return CapStatus::kInvalid;
  if (url.scheme != "http" && url.scheme != "https") return CapStatus::kInvalid;

  std::string req;
  req.reserve(256 + body.size());
  req.append(method).append(" ").append(url.target).append(" HTTP/1.1\r\n");
  req.append("Host: ").append(url.host);
  if (url.port != (url.scheme == "https" ? 443 : 80))
    req.append(":").append(std::to_string(url.port));
  req.append("\r\nConnection: close\r\n");
  for (const auto& [name, value] : headers) {
    if (!ValidToken(name) || !ValidHeaderValue(value))
      return CapStatus::kInvalid;
    if (IEquals(name, "host") || IEquals(name, "content-length") ||
        IEquals(name, "connection") || IEquals(name, "transfer-encoding"))
      continue;
    req.append(name).append(": ").append(value).append("\r\n");
  }
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
    req.append("Content-Length: ")
        .append(std::to_string(body.size()))
        .append("\r\n");
  req.append("\r\n").append(body);

  Connection conn(Clock::now() + options.timeout);
  if (CapStatus s = conn.Open(url); s != CapStatus::kOk) return s;
  if (CapStatus s = conn.Send(req); s != CapStatus::kOk) return s;
  std::string raw;
  // Headers are bounded at 64 KiB on top of the body limit.
  if (CapStatus s = conn.ReadAll(options.max_response_bytes + 65536, &raw);
      s != CapStatus::kOk)
    return s;

  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return CapStatus::kIo;
  std::string_view head(raw.data(), head_end);
  std::string_view rest(raw.data() + head_end + 4, raw.size() - head_end - 4);

  HttpResponse resp;
  size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12)
    return CapStatus::kIo;
  int code = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(status_line[i])))
      return CapStatus::kIo;
    code = code * 10 + (status_line[i] - '0');
  }
  resp.status = code;
  bool chunked = false;
  std::optional<size_t> content_length;
  std::string_view lines =
      eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  while (!lines.empty()) {
    size_t e = lines.find("\r\n");
    std::string_view line = lines.substr(0, e);
    lines =
        e == std::string_view::npos ? std::string_view() : lines.substr(e + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return CapStatus::kIo;
    std::string_view name = line.substr(0, colon);
    std::string_view value = Trim(line.substr(colon + 1));
    if (IEquals(name, "transfer-encoding") &&
        value.find("chunked") != std::string_view::npos)
      chunked = true;
    if (IEquals(name, "content-length")) {
      size_t n = 0;
      for (char c : value) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || n > (1ull << 40))
          return CapStatus::kIo;
        n = n * 10 + static_cast<size_t>(c - '0');
      }
      content_length = n;
    }
    resp.headers.emplace_back(std::string(name), std::string(value));
  }
  if (chunked) {
    if (!Dechunk(rest, &resp.body)) return CapStatus::kIo;
  } else if (content_length) {
    if (rest.size() < *content_length) return CapStatus::kIo;
    resp.body.assign(rest.substr(0, *content_length));
  } else {
    resp.body.assign(rest);
  }
  if (method == "HEAD" || code == 204 || code == 304) resp.body.clear();
  if (resp.body.size() > options.max_response_bytes)
    return CapStatus::kTooLarge;
  *out = std::move(resp);
  return CapStatus::kOk;
}

bool SetOutboundCaFile(const std::string& path, std::string& error) {
  std::shared_ptr<ssl::context> ctx = MakeContext(path, error);
  if (!ctx) return false;
  TlsConfig& t = Tls();
  std::lock_guard<std::mutex> g(t.mu);
  t.ca_file = path;
  t.context = std::move(ctx);
  return true;
}

} // namespace weft::caps
