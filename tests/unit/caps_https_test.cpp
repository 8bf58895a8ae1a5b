// Outbound HTTPS (caps::HttpFetch over Boost.Asio SSL) against a real TLS
// upstream on 127.0.0.1 whose certificates the test makes with the openssl
// command: a CA the client trusts only through SetOutboundCaFile, SNI,
// host name verification; untrusted or misnamed certificates and a peer
// that does not speak TLS are kTls (WEFT_ERR_TLS), a refused connection
// kIo, never a crash. Then the same through `weft serve --outbound-ca`
// and a guest calling the weft http_request import.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <regex>
#include <string>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "platform/caps/caps.h"
#include "serve_helper.h"
#include "wagi_wat.h"

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using weft::caps::CapStatus;
using namespace weft_serve_test;

// Runs `cmd` quietly; true when it exits 0.
bool Sh(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

// A CA, and two server certificates it signs: "good" for localhost and
// 127.0.0.1, "other" for other.example only.
struct Certs {
  fs::path dir;
  bool ok = false;
  explicit Certs(const fs::path& d) : dir(d) {
    fs::create_directories(dir);
    const std::string o = "cd " + dir.string() + " && openssl ";
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1";
    ok = Sh(o + "req -x509" + ec +
            " -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=weft test "
            "CA'");
    for (const auto& [name, san] : {std::pair<std::string, std::string>{
                                        "good", "DNS:localhost,IP:127.0.0.1"},
                                    {"other", "DNS:other.example"}}) {
      std::ofstream(dir / (name + ".ext"))
          << "subjectAltName=" << san << "\nbasicConstraints=CA:FALSE\n";
      ok = ok &&
           Sh(o + "req" + ec + " -nodes -keyout " + name + ".key -out " + name +
              ".csr -subj '/CN=" + name + "'") &&
           Sh(o + "x509 -req -in " + name + ".csr -CA ca.pem -CAkey ca.key " +
              "-CAcreateserial -days 2 -out " + name + ".pem -extfile " + name +
              ".ext");
    }
  }
};

// A server on 127.0.0.1 (an ephemeral port) that hands each accepted
// connection, one at a time, to `serve` on its own thread.
class Upstream {
public:
  explicit Upstream(std::function<void(tcp::socket)> serve)
      : acceptor_(ioc_), serve_(std::move(serve)) {
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Run(); });
  }
  ~Upstream() {
    stop_ = true;
    // Wake the blocking accept.
    tcp::socket s(ioc_);
    boost::system::error_code ec;
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    thread_.join();
  }
  int port() const { return port_; }

private:
  void Run() {
    while (!stop_) {
      tcp::socket sock(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stop_) continue;
      serve_(std::move(sock));
    }
  }
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::function<void(tcp::socket)> serve_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A TLS upstream: answers every request with a body naming the request
// line and the SNI it got, then closes.
class TlsUpstream {
public:
  TlsUpstream(const fs::path& cert, const fs::path& key)
      : ctx_(Context(cert, key)),
        server_([this](tcp::socket sock) { Serve(std::move(sock)); }) {}
  int port() const { return server_.port(); }

private:
  static ssl::context Context(const fs::path& cert, const fs::path& key) {
    ssl::context ctx(ssl::context::tls_server);
    ctx.use_certificate_chain_file(cert.string());
    ctx.use_private_key_file(key.string(), ssl::context::pem);
    return ctx;
  }
  void Serve(tcp::socket sock) {
    boost::system::error_code ec;
    ssl::stream<tcp::socket> tls(std::move(sock), ctx_);
    tls.handshake(ssl::stream_base::server, ec);
    if (ec) return;
    const char* sni =
        SSL_get_servername(tls.native_handle(), TLSEXT_NAMETYPE_host_name);
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos) {
      size_t n = tls.read_some(asio::buffer(buf), ec);
      if (ec) break;
      req.append(buf, n);
    }
    const std::string body = "hello over tls [" +
                             req.substr(0, req.find("\r\n")) +
                             "] sni=" + (sni ? sni : "-");
    const std::string resp =
        "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n\r\n" + body;
    asio::write(tls, asio::buffer(resp), ec);
    tls.shutdown(ec);
  }
  ssl::context ctx_;
  Upstream server_; // last: its thread stops before ctx_ goes
};

// A plain (not TLS) HTTP server: answers each connection with a 400 as
// soon as it has read something, then closes.
void AnswerBadRequest(tcp::socket sock) {
  boost::system::error_code ec;
  char buf[4096];
  sock.read_some(asio::buffer(buf), ec);
  asio::write(sock,
              asio::buffer(std::string("HTTP/1.1 400 Bad Request\r\n"
                                       "Content-Length: 0\r\n\r\n")),
              ec);
  sock.shutdown(tcp::socket::shutdown_send, ec);
  sock.read_some(asio::buffer(buf), ec); // until the client closes
}

class CapsHttpsTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (!Sh("openssl version")) GTEST_SKIP() << "no openssl command";
    dir_ = fs::temp_directory_path() /
           ("weft-https-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    certs_ = std::make_unique<Certs>(dir_ / "certs");
    ASSERT_TRUE(certs_->ok) << "openssl could not make the test certificates";
  }
  void TearDown() override {
    std::string error;
    weft::caps::SetOutboundCaFile("", error);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  CapStatus Get(const std::string& url, weft::caps::HttpResponse* out) {
    weft::caps::OutboundHttpOptions options;
    options.timeout = std::chrono::milliseconds(5000);
    return weft::caps::HttpFetch("GET", url, {}, "", options, out);
  }
  fs::path dir_;
  std::unique_ptr<Certs> certs_;
};

TEST_F(CapsHttpsTest, TrustedCaAnswers) {
  TlsUpstream up(certs_->dir / "good.pem", certs_->dir / "good.key");
  std::string error;
  ASSERT_TRUE(
      weft::caps::SetOutboundCaFile((certs_->dir / "ca.pem").string(), error))
      << error;
  weft::caps::HttpResponse r;
  const std::string port = std::to_string(up.port());
  ASSERT_EQ(Get("https://localhost:" + port + "/path?q=1", &r), CapStatus::kOk);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello over tls [GET /path?q=1 HTTP/1.1] sni=localhost");
  // By address: the certificate's IP entry; no SNI (never an address).
  ASSERT_EQ(Get("https://127.0.0.1:" + port + "/", &r), CapStatus::kOk);
  EXPECT_EQ(r.body, "hello over tls [GET / HTTP/1.1] sni=-");
}

TEST_F(CapsHttpsTest, TlsFailuresAreTheirOwnCode) {
  TlsUpstream good(certs_->dir / "good.pem", certs_->dir / "good.key");
  TlsUpstream other(certs_->dir / "other.pem", certs_->dir / "other.key");
  weft::caps::HttpResponse r;
  // The system store alone does not trust the test CA.
  EXPECT_EQ(Get("https://localhost:" + std::to_string(good.port()) + "/", &r),
            CapStatus::kTls);
  std::string error;
  ASSERT_TRUE(
      weft::caps::SetOutboundCaFile((certs_->dir / "ca.pem").string(), error));
  // Trusted, but for another name.
  EXPECT_EQ(Get("https://localhost:" + std::to_string(other.port()) + "/", &r),
            CapStatus::kTls);
  // TLS to a server that speaks plain HTTP: a TLS protocol error.
  {
    Upstream plain(AnswerBadRequest);
    EXPECT_EQ(
        Get("https://localhost:" + std::to_string(plain.port()) + "/", &r),
        CapStatus::kTls);
  }
  // Plain HTTP to a TLS port: no crash, an error. The TLS server sends no
  // alert for it (OpenSSL just drops the connection), so the client sees
  // a connection reset like any other: kIo, not kTls.
  EXPECT_EQ(Get("http://localhost:" + std::to_string(good.port()) + "/", &r),
            CapStatus::kIo);
  // And the good one still works after all that.
  EXPECT_EQ(Get("https://localhost:" + std::to_string(good.port()) + "/", &r),
            CapStatus::kOk);
  // A CA file that is not there is refused; the setting stays.
  EXPECT_FALSE(
      weft::caps::SetOutboundCaFile((dir_ / "nope.pem").string(), error));
  EXPECT_NE(error.find("nope.pem"), std::string::npos) << error;
  EXPECT_EQ(Get("https://localhost:" + std::to_string(good.port()) + "/", &r),
            CapStatus::kOk);
}

// Failures under TLS stay kIo: nobody listening (refused).
TEST_F(CapsHttpsTest, RefusedIsIo) {
  asio::io_context ioc;
  int port = 0;
  {
    tcp::acceptor closed(ioc,
                         tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = closed.local_endpoint().port();
  } // closed: connecting is refused
  weft::caps::HttpResponse r;
  EXPECT_EQ(Get("https://localhost:" + std::to_string(port) + "/", &r),
            CapStatus::kIo);
  EXPECT_EQ(Get("https://127.0.0.1:" + std::to_string(port) + "/", &r),
            CapStatus::kIo);
}

// Every WEFT_ERR_* code of the C SDK is the host's CapStatus of that name,
// and every CapStatus is in the SDK.
TEST(CapsSdk, StatusCodesMatchTheSdkHeader) {
  // From the source tree (not __FILE__, which a compiler cache may make
  // relative to the build folder).
  const fs::path header = fs::path(WEFT_SOURCE_DIR) / "sdk" / "c" / "weft.h";
  const std::string text = ReadAll(header);
  ASSERT_FALSE(text.empty()) << header;
  const std::vector<std::pair<std::string, CapStatus>> host = {
      {"NOT_FOUND", CapStatus::kNotFound},
      {"BUFFER_TOO_SMALL", CapStatus::kBufferTooSmall},
      {"FORBIDDEN", CapStatus::kForbidden},
      {"INVALID", CapStatus::kInvalid},
      {"TOO_LARGE", CapStatus::kTooLarge},
      {"FAULT", CapStatus::kFault},
      {"UNSUPPORTED", CapStatus::kUnsupported},
      {"IO", CapStatus::kIo},
      {"TIMEOUT", CapStatus::kTimeout},
      {"UNAVAILABLE", CapStatus::kUnavailable},
      {"TOO_MANY_HANDLES", CapStatus::kTooManyHandles},
      {"TLS", CapStatus::kTls}};
  std::regex define(R"(#define WEFT_ERR_(\w+) \((-\d+)\))");
  size_t found = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), define);
       it != std::sregex_iterator(); ++it) {
    ++found;
    const std::string name = (*it)[1];
    auto h = std::find_if(host.begin(), host.end(),
                          [&](const auto& p) { return p.first == name; });
    ASSERT_NE(h, host.end()) << "WEFT_ERR_" << name << " has no CapStatus";
    EXPECT_EQ(std::stoi((*it)[2]), static_cast<int>(h->second))
        << "WEFT_ERR_" << name;
  }
  EXPECT_EQ(found, host.size());
}

// A peer that accepts the connection and never answers the handshake:
// the request's deadline ends it (kTimeout), on time.
TEST_F(CapsHttpsTest, SilentPeerTimesOut) {
  asio::io_context ioc;
  tcp::acceptor silent(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                          0)); // listens; never accepts
  weft::caps::OutboundHttpOptions options;
  options.timeout = std::chrono::milliseconds(300);
  weft::caps::HttpResponse r;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(weft::caps::HttpFetch(
                "GET",
                "https://localhost:" +
                    std::to_string(silent.local_endpoint().port()) + "/",
                {}, "", options, &r),
            CapStatus::kTimeout);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::milliseconds(2000));
}

// A guest fetching https:// through the real server: 200 and the body
// with --outbound-ca, the error code (WEFT_ERR_TLS, -12) without it.
TEST_F(CapsHttpsTest, GuestThroughServer) {
  TlsUpstream up(certs_->dir / "good.pem", certs_->dir / "good.key");
  const std::string url =
      "https://localhost:" + std::to_string(up.port()) + "/from-guest";
  // Answers "rc=0\n<body>" or "rc=-NN\n" (two digits).
  const std::string wat =
      R"((module
  (import "weft" "http_request" (func $http (param i32 i32 i32 i32 i32 i32
                                  i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "GET")
  (data (i32.const 200) )" +
      WatString(url) + R"()
  (data (i32.const 600) "Content-Type: text/plain\0a\0arc=")
  (data (i32.const 700) "0\0a-")
  (func (export "_start") (local $rc i32)
    (local.set $rc (call $http (i32.const 100) (i32.const 3)
      (i32.const 200) (i32.const )" +
      std::to_string(url.size()) + R"()
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (i32.const 4096) (i32.const 8192) (i32.const 900) (i32.const 904)))
    (i32.store (i32.const 3000) (i32.const 600))
    (i32.store (i32.const 3004) (i32.const 29))
    (if (i32.eqz (local.get $rc))
      (then
        (i32.store (i32.const 3008) (i32.const 700))
        (i32.store (i32.const 3012) (i32.const 2))
        (i32.store (i32.const 3016) (i32.const 4096))
        (i32.store (i32.const 3020) (i32.load (i32.const 904))))
      (else
        (i32.store8 (i32.const 800) (i32.const 45))
        (i32.store8 (i32.const 801) (i32.add (i32.const 48)
          (i32.div_u (i32.sub (i32.const 0) (local.get $rc)) (i32.const 10))))
        (i32.store8 (i32.const 802) (i32.add (i32.const 48)
          (i32.rem_u (i32.sub (i32.const 0) (local.get $rc)) (i32.const 10))))
        (i32.store8 (i32.const 803) (i32.const 10))
        (i32.store (i32.const 3008) (i32.const 800))
        (i32.store (i32.const 3012) (i32.const 4))
        (i32.store (i32.const 3016) (i32.const 0))
        (i32.store (i32.const 3020) (i32.const 0))))
    (drop (call $w (i32.const 1) (i32.const 3000) (i32.const 3)
                   (i32.const 3500)))))
)";
  const fs::path app = dir_ / "app";
  fs::create_directories(app);
  ReplaceFile(app / "fetch.wat", wat);
  const std::string manifest =
      "[app]\nname = \"h\"\n[[function]]\nname = \"fetch\"\n"
      "route = \"/fetch\"\nmodule = \"fetch.wat\"\n"
      "allowed_outbound_hosts = [\"https://localhost:" +
      std::to_string(up.port()) + "\"]\n";
  {
    Server s(app, manifest,
             {"--outbound-ca", (certs_->dir / "ca.pem").string()});
    ASSERT_GT(s.port(), 0) << s.log();
    Response r = Request(s.port(), "GET", "/fetch");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "rc=0\nhello over tls [GET /from-guest HTTP/1.1] "
                      "sni=localhost");
    EXPECT_EQ(s.Stop(SIGTERM), 0);
  }
  {
    Server s(app, manifest);
    ASSERT_GT(s.port(), 0) << s.log();
    Response r = Request(s.port(), "GET", "/fetch");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "rc=-12\n");
    EXPECT_EQ(s.Stop(SIGTERM), 0);
  }
  {
    Server s(app, manifest, {"--outbound-ca", (dir_ / "missing.pem").string()});
    EXPECT_EQ(s.port(), 0);
    EXPECT_EQ(s.exit_status(), 1);
    EXPECT_NE(s.log().find("--outbound-ca: cannot load CA file"),
              std::string::npos)
        << s.log();
  }
}

} // namespace
