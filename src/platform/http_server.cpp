// The only translation unit that includes Boost.Beast (it is slow to
// compile): keep HTTP parsing and socket handling here, everything about
// guests in app.cpp.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_set>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "platform/reload.h"
#include "platform/server.h"

namespace weft::platform {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

class Session;

// The watcher thread's wake-up: it ticks every kTakeOverAfter while guests
// run, and after 100 idle ticks waits until a worker starts a guest
// (Worker::BeginInline calls Wake), so an idle server does not wake 1,000
// times a second. `sleeping` and each worker's inline_running are checked
// Dekker-style (seq_cst flag, the other under own_mu), so a guest the
// watcher did not see is seen to need a wake-up.
struct Watch {
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false; // under mu
  bool wake = false; // under mu
  std::atomic<bool> sleeping{false};
  void Wake() {
    if (!sleeping.load(std::memory_order_seq_cst)) return;
    std::lock_guard<std::mutex> g(mu);
    wake = true;
    cv.notify_one();
  }
};

// A worker: one io_context serving its connections, and 1 + guest_threads
// threads that take turns owning it. The owner runs the connections'
// handlers and the guests they call, inline (no hand-off to another thread
// and back: the common short guest costs no context switch). A guest that
// runs longer than kTakeOverAfter (it spins, or waits in a host call) keeps
// its thread, but the I/O does not wait for it: the watcher thread hands
// ownership to an idle thread of the worker, which goes on serving the
// other connections; the slow guest's response is posted to the new owner
// and its thread becomes idle. So a hanging guest delays the others for at
// most ~2 ms, and up to guest_threads guests may hang at once per worker.
// Each thread has its own WorkerContext (ready instances, memory slots,
// interrupt-clock slot, metrics shard).
struct Worker {
  size_t index = 0;
  // Default concurrency hint: several threads may be inside run_one (the
  // owner, and a former owner finishing the handler of a slow guest).
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>>
      guard;
  std::optional<asio::steady_timer> idle_timer;
  // A former owner may end a session (its last handler) while the new
  // owner starts another: the set is guarded.
  std::mutex sessions_mu;
  std::unordered_set<Session*> sessions;
  // Read and written by whichever of the worker's threads runs handlers
  // (the owner and a former owner finishing a slow guest's handler).
  std::atomic<bool> draining{false};
  std::atomic<uint64_t> next_request{0};
  std::vector<WorkerContext> ctx; // one per thread; [0] owns at first
  std::vector<std::thread> threads;

  // Ownership of the I/O, under own_mu.
  std::mutex own_mu;
  std::condition_variable own_cv;
  bool inline_running = false; // the owner is running a guest
  bool taken = false;          // ... and ownership was handed on meanwhile
  Clock::time_point inline_since;
  bool need_owner = false; // an idle thread should take ownership
  size_t idle = 0;         // threads waiting for ownership
  bool stopped = false;    // the io_context ran out of work: exit

  Watch* watch = nullptr;

  void BeginInline() {
    {
      std::lock_guard<std::mutex> g(own_mu);
      inline_running = true;
      taken = false;
      inline_since = Clock::now();
    }
    watch->Wake();
  }
  bool InlineRunning() {
    std::lock_guard<std::mutex> g(own_mu);
    return inline_running;
  }
  // Whether ownership was handed on while the guest ran.
  bool EndInline() {
    std::lock_guard<std::mutex> g(own_mu);
    inline_running = false;
    return taken;
  }
  // Called by the watcher: hands the I/O on when the owner's guest has run
  // for `after` and an idle thread can take it. Returns whether a guest is
  // running inline.
  bool MaybeTakeOver(Clock::time_point now, Clock::duration after) {
    std::lock_guard<std::mutex> g(own_mu);
    if (!inline_running) return false;
    if (taken || idle == 0 || now - inline_since < after) return true;
    taken = true;
    need_owner = true;
    own_cv.notify_one();
    return true;
  }
};

// The calling thread's context and whether it owns its worker's I/O (set
// by RunWorkerThread); references a former owner must not drop itself (a
// Session is destroyed by its worker's owner only).
thread_local WorkerContext* t_ctx = nullptr;
thread_local bool t_owner = false;
thread_local std::vector<std::shared_ptr<void>> t_hold;

// A guest running this long on the owner hands the worker's I/O on.
constexpr auto kTakeOverAfter = std::chrono::milliseconds(1);

struct Shared {
  AppHost* host = nullptr;
  const ServeOptions* options = nullptr;
  const Logger* logger = nullptr;
  Metrics* metrics = nullptr;
  std::string id_prefix;
  std::string server_name;
  std::string server_port;
};

// One connection. HTTP/1.1 with keep-alive and pipelining: bytes are read
// into `buffer_` and fed to Beast's request parser (eager, so a body that
// came with the header is parsed in the same call); a response is written
// as one buffer we serialize ourselves, first with a direct non-blocking
// send (the usual small response leaves at once, with no reactor round
// trip), the rest, if any, asynchronously. Timeouts are one lazy timer per
// connection: moving `deadline_` costs nothing per request, and the timer,
// when it fires early, re-arms itself for the current deadline.
class Session : public std::enable_shared_from_this<Session> {
public:
  Session(tcp::socket socket, Worker& worker, Shared& shared)
      : socket_(std::move(socket)), timer_(socket_.get_executor()),
        worker_(worker), shared_(shared) {
    {
      std::lock_guard<std::mutex> g(worker_.sessions_mu);
      worker_.sessions.insert(this);
    }
    shared_.metrics->connections_open.fetch_add(1, std::memory_order_relaxed);
    beast::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
    socket_.non_blocking(true, ec);
  }
  ~Session() {
    {
      std::lock_guard<std::mutex> g(worker_.sessions_mu);
      worker_.sessions.erase(this);
    }
    shared_.metrics->connections_open.fetch_sub(1, std::memory_order_relaxed);
  }

  void Start() {
    SetDeadline();
    ArmTimer();
    Read();
  }

  // Drain: a connection waiting for a request is closed now; one running a
  // guest or writing a response closes after it.
  void StopIfIdle() {
    if (state_ == State::kReading) Close();
  }

private:
  enum class State { kReading, kRunning, kWriting };

  void SetDeadline() {
    deadline_ = Clock::now() + shared_.options->request_timeout;
  }
  void ArmTimer() {
    timer_.expires_at(deadline_);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      self->OnTimer(ec);
    });
  }
  void OnTimer(beast::error_code ec) {
    if (ec || closed_) return;
    // A guest's own timeout bounds a request that is running.
    if (state_ == State::kRunning) SetDeadline();
    if (Clock::now() < deadline_) return ArmTimer();
    if (state_ == State::kWriting) return Close(); // the client stopped reading
    // Waiting for a request: the pending read ends with operation_aborted
    // and OnReadSome answers 408 or closes.
    timed_out_ = true;
    beast::error_code ignored;
    socket_.cancel(ignored);
  }

  // Starts on the next request (its bytes may already be in buffer_).
  void Read() {
    if (worker_.draining) return Close();
    state_ = State::kReading;
    SetDeadline();
    parser_.emplace();
    parser_->eager(false); // until the header is done (Parse)
    parser_->header_limit(
        static_cast<uint32_t>(shared_.options->max_header_bytes));
    parser_->body_limit(shared_.options->max_body_bytes);
    continue_sent_ = false;
    header_bytes_ = 0;
    Parse();
  }

  void Parse() {
    beast::error_code ec;
    while (buffer_.size() > 0 && !parser_->is_done()) {
      const bool in_header = !parser_->is_header_done();
      const size_t n = parser_->put(buffer_.data(), ec);
      buffer_.consume(n);
      // Beast checks its header limit per put: the header fields it
      // already consumed from earlier reads do not count. The limit is
      // on the whole header, so count them here (the parser is not eager
      // until the header is done, so `n` is header bytes only).
      if (in_header) {
        header_bytes_ += n;
        const size_t pending = parser_->is_header_done() ? 0 : buffer_.size();
        if (header_bytes_ + pending > shared_.options->max_header_bytes)
          return OnRequest(http::error::header_limit);
        if (parser_->is_header_done()) parser_->eager(true);
      }
      if (ec == http::error::need_more) {
        ec = {};
        break;
      }
      if (ec) return OnRequest(ec);
      if (n == 0) break;
    }
    if (parser_->is_done()) return OnRequest({});
    // In the body the parser consumes all it is given but a partial chunk
    // line: more than kMaxUnparsed left over is a chunk line no client
    // sends (a header's own limit is checked above). Without this bound a
    // client could grow the buffer until the request timeout.
    if (parser_->is_header_done() && buffer_.size() > kMaxUnparsed)
      return OnRequest(http::error::bad_chunk);
    // "Expect: 100-continue": the interim response, then the body.
    if (parser_->is_header_done() && !continue_sent_ &&
        beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      continue_sent_ = true;
      out_ = "HTTP/1.1 100 Continue\r\n\r\n";
      return Send([this] {
        state_ = State::kReading;
        ReadSome();
      });
    }
    ReadSome();
  }

  void ReadSome() {
    socket_.async_read_some(
        buffer_.prepare(kReadChunk),
        [self = shared_from_this()](beast::error_code ec, size_t n) {
          self->buffer_.commit(n);
          self->OnReadSome(ec);
        });
  }

  void OnReadSome(beast::error_code ec) {
    if (closed_) return;
    const bool started = parser_->got_some() || buffer_.size() > 0;
    if (timed_out_) {
      // A client that started a request and did not finish it gets 408;
      // an idle keep-alive connection is simply closed.
      timed_out_ = false;
      if (started) return Fail(408, "408 Request Timeout\n");
      return Close();
    }
    if (ec) {
      // The client went away, or sent half a request and closed.
      if (!started || ec != asio::error::eof || worker_.draining)
        return Close();
      return Fail(400, "400 Bad Request\n");
    }
    Parse();
  }

  void OnRequest(beast::error_code ec) {
    if (ec == http::error::body_limit)
      return Fail(413, "413 Content Too Large\n");
    if (ec == http::error::header_limit)
      return Fail(431, "431 Request Header Fields Too Large\n");
    if (ec) {
      if (worker_.draining) return Close();
      return Fail(400, "400 Bad Request\n");
    }
    Handle();
  }

  // "<server prefix>-<worker>-<n>", unique in the server's life.
  std::string NextRequestId() {
    char worker[24], n[24];
    const auto w_end =
        std::to_chars(worker, worker + sizeof worker, worker_.index).ptr;
    const auto n_end =
        std::to_chars(n, n + sizeof n, worker_.next_request.fetch_add(1) + 1)
            .ptr;
    std::string id;
    id.reserve(shared_.id_prefix.size() + 2 + sizeof worker + sizeof n);
    id += shared_.id_prefix;
    id += '-';
    id.append(worker, w_end);
    id += '-';
    id.append(n, n_end);
    return id;
  }

  void Handle() {
    const auto t0 = Clock::now();
    auto& req = parser_->get();
    std::string request_id = NextRequestId();
    std::string target(req.target());
    const size_t q = target.find('?');
    std::string path = target.substr(0, q);
    std::string query =
        q == std::string::npos ? std::string() : target.substr(q + 1);
    std::string method(req.method_string());
    // The app version serving this request: this thread's, pinned by its
    // WorkerContext (only this thread replaces it), and replaced when a
    // reload has bumped the host's generation since. One atomic load per
    // request, no lock and no shared reference count.
    WorkerContext& ctx = *t_ctx;
    if (const uint64_t gen = shared_.host->generation();
        ctx.app_generation != gen) {
      UseApp(ctx, shared_.host->Current());
      ctx.app_generation = gen;
    }
    App* const app = ctx.app;
    size_t fidx = shared_.metrics->no_function();
    std::string fname;
    WagiResponse resp;
    if (path == "/healthz" &&
        (req.method() == http::verb::get || req.method() == http::verb::head)) {
      resp.headers.emplace_back("Content-Type", "text/plain");
      resp.body = "ok\n";
    } else if (path == "/metrics" && req.method() == http::verb::get) {
      resp.headers.emplace_back("Content-Type",
                                "text/plain; version=0.0.4; charset=utf-8");
      resp.body = shared_.metrics->Render() + shared_.host->RenderMetrics();
    } else if (Function* fn = app ? app->Match(path) : nullptr) {
      fidx = fn->metrics_slot;
      fname = fn->spec.name;
      WagiRequest w;
      w.method = method;
      w.target = std::move(target);
      w.path = path;
      w.query = std::move(query);
      w.protocol = req.version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
      for (const auto& field : req)
        w.headers.emplace_back(std::string(field.name_string()),
                               std::string(field.value()));
      w.body = std::move(req.body());
      w.server_name = shared_.server_name;
      w.server_port = shared_.server_port;
      w.remote_addr = remote_;
      w.request_id = request_id;
      // The guest runs here, on the worker's owner thread; if it is slow,
      // another thread takes the I/O over meanwhile (Worker), and the
      // response goes to that one.
      state_ = State::kRunning;
      worker_.BeginInline();
      WagiResponse r = InvokeFunction(ctx, *fn, w);
      if (!worker_.EndInline()) {
        Finish(r, t0, fidx, fname, method, path, request_id);
      } else {
        t_owner = false;
        t_hold.push_back(shared_from_this());
        asio::post(worker_.ioc,
                   [self = shared_from_this(), r = std::move(r), t0, fidx,
                    fname = std::move(fname), method = std::move(method),
                    path = std::move(path),
                    request_id = std::move(request_id)]() mutable {
                     self->Finish(r, t0, fidx, fname, method, path, request_id);
                   });
      }
      // The next instance of the function, made (or this one reset) once
      // the response is on its way.
      if (!ctx.to_prepare.empty() || !ctx.to_reset.empty())
        PrepareInstances(ctx);
      return;
    } else {
      resp.status = 404;
      resp.headers.emplace_back("Content-Type", "text/plain");
      resp.body = "404 Not Found\n";
    }
    Finish(resp, t0, fidx, fname, method, path, request_id);
  }

  void Finish(WagiResponse& resp, Clock::time_point t0, size_t fidx,
              const std::string& fname, const std::string& method,
              const std::string& path, const std::string& request_id) {
    if (closed_) return;
    auto& req = parser_->get();
    const bool keep_alive = req.keep_alive() && !worker_.draining;
    const bool head = req.method() == http::verb::head;
    const size_t bytes = resp.body.size();
    Respond(resp, req.version(), keep_alive, head, request_id);
    const uint64_t ns = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0)
            .count());
    shared_.metrics->Request(worker_.index, fidx, resp.status, ns);
    if (shared_.options->access_log) {
      AccessRecord rec;
      rec.request_id = request_id;
      rec.function = fname;
      rec.method = method;
      rec.path = path;
      rec.status = resp.status;
      rec.duration_ns = ns;
      rec.bytes = bytes;
      rec.remote = remote_;
      shared_.logger->AccessRequest(rec);
    }
    SendResponse();
  }

  // Serializes the response into out_: the status line, our headers and
  // the guest's (ParseCgiOutput refused any with CR, LF or NUL, and any
  // framing header), Content-Length, then the body unless `head`.
  void Respond(WagiResponse& r, unsigned version, bool keep_alive, bool head,
               const std::string& request_id) {
    keep_alive_ = keep_alive;
    out_.clear();
    out_ += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out_ += std::to_string(r.status);
    out_ += ' ';
    const auto reason =
        http::obsolete_reason(static_cast<http::status>(r.status));
    out_.append(reason.data(), reason.size());
    out_ += "\r\nServer: weft\r\n";
    for (const auto& [k, v] : r.headers) {
      if (beast::iequals(k, "X-Request-Id")) continue; // ours
      out_ += k;
      out_ += ": ";
      out_ += v;
      out_ += "\r\n";
    }
    out_ += "X-Request-Id: ";
    out_ += request_id;
    out_ += "\r\n";
    // No body and no length for 1xx, 204 and 304 (RFC 9110, 8.6).
    const bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
    if (!bodiless) {
      out_ += "Content-Length: ";
      out_ += std::to_string(r.body.size());
      out_ += "\r\n";
    }
    if (!keep_alive && version != 10) out_ += "Connection: close\r\n";
    if (keep_alive && version == 10) out_ += "Connection: keep-alive\r\n";
    out_ += "\r\n";
    if (!head && !bodiless) out_ += r.body;
  }

  void Fail(int status, const std::string& body) {
    WagiResponse r;
    r.status = status;
    r.headers.emplace_back("Content-Type", "text/plain");
    r.body = body;
    const std::string id = NextRequestId();
    Respond(r, 11, false, false, id);
    shared_.metrics->Request(worker_.index, shared_.metrics->no_function(),
                             status, 0);
    nlohmann::json f{
        {"request_id", id}, {"status", status}, {"remote", remote_}};
    shared_.logger->Log("warn", "rejected request", f);
    SendResponse();
  }

  // After the response: the next request on this connection, or close.
  void SendResponse() {
    Send([this] {
      if (!keep_alive_ || worker_.draining) return Close();
      if (buffer_.size() == 0) return Read();
      // Pipelined bytes: parse them from the io_context, not from inside
      // this call (no recursion through a run of pipelined requests).
      asio::post(socket_.get_executor(),
                 [self = shared_from_this()] { self->Read(); });
    });
  }

  // Writes out_, then runs `next` (which must not outlive the session: it
  // runs while a handler holds it).
  template <class Next> void Send(Next next) {
    state_ = State::kWriting;
    SetDeadline();
    beast::error_code ec;
    const size_t done = socket_.write_some(asio::buffer(out_), ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again)
      return Close();
    if (!ec && done == out_.size()) return next();
    const size_t from = ec ? 0 : done;
    asio::async_write(
        socket_, asio::buffer(out_.data() + from, out_.size() - from),
        [self = shared_from_this(), next](beast::error_code wec, size_t) {
          if (self->closed_) return;
          if (wec) return self->Close();
          next();
        });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    socket_.close(ec);
  }

  static constexpr size_t kReadChunk = 16 * 1024;
  static constexpr size_t kMaxUnparsed = 64 * 1024;

  tcp::socket socket_;
  asio::steady_timer timer_;
  Clock::time_point deadline_;
  State state_ = State::kReading;
  bool timed_out_ = false;
  bool closed_ = false;
  bool continue_sent_ = false;
  size_t header_bytes_ = 0; // of this request's header, consumed so far
  bool keep_alive_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string out_;
  Worker& worker_;
  Shared& shared_;
  std::string remote_;
};

// The loop of each of a worker's threads: wait to own the I/O, then run
// handlers until ownership is handed on (a slow guest) or the io_context
// runs out of work (drained).
void RunWorkerThread(Worker& w, size_t k, const AppHost& host) {
  t_ctx = &w.ctx[k];
  t_owner = k == 0;
  for (;;) {
    if (!t_owner) {
      std::unique_lock<std::mutex> lock(w.own_mu);
      ++w.idle;
      for (;;) {
        if (w.stopped) return;
        if (w.need_owner) {
          w.need_owner = false;
          --w.idle;
          t_owner = true;
          break;
        }
        if (w.own_cv.wait_for(lock, std::chrono::seconds(1)) ==
            std::cv_status::timeout) {
          // Idle: let go of an app version that is no longer current (its
          // ready instances and, once nothing else holds it, the version).
          lock.unlock();
          WorkerContext& ctx = *t_ctx;
          if (ctx.app_ref && ctx.app_ref != host.Current())
            UseApp(ctx, nullptr);
          lock.lock();
        }
      }
    }
    while (t_owner) {
      if (w.ioc.run_one() == 0) {
        std::lock_guard<std::mutex> g(w.own_mu);
        w.stopped = true;
        w.own_cv.notify_all();
        return;
      }
      if (!t_owner && !t_hold.empty()) {
        // Dropped by the new owner.
        asio::post(w.ioc, [hold = std::move(t_hold)] {});
        t_hold.clear();
      }
    }
  }
}

// The owner's context lets go of a replaced app version when the worker
// has been idle for a second (the idle threads do it themselves).
void ArmIdleTimer(Worker& w, const AppHost& host) {
  w.idle_timer->expires_after(std::chrono::seconds(1));
  w.idle_timer->async_wait([&w, &host](beast::error_code ec) {
    if (ec || w.draining) return;
    WorkerContext& ctx = *t_ctx;
    if (ctx.app_ref && ctx.app_ref != host.Current()) UseApp(ctx, nullptr);
    ArmIdleTimer(w, host);
  });
}

} // namespace

int Serve(AppHost& host, const ServeOptions& options, const Logger& logger) {
  // The generation first: a reload in between only costs the workers one
  // extra UseApp on their first request.
  const uint64_t generation = host.generation();
  std::shared_ptr<App> app = host.Current();
  size_t n = options.workers;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::string> names;
  for (const auto& f : app->functions)
    names.push_back(f->spec.name);
  // Guest threads per worker: a few guests may block (spin to their
  // timeout, wait on a host call) without delaying the worker's others.
  const size_t guest_threads = std::max<size_t>(1, options.guest_threads);
  // Shards and clock slots: the I/O workers', then every guest thread's.
  Metrics metrics(n + n * guest_threads, names);
  InterruptClock clock(n + n * guest_threads);
  host.Attach(&metrics);
  struct Detach {
    AppHost& host;
    ~Detach() { host.Attach(nullptr); }
  } detach{host};

  Shared shared;
  shared.host = &host;
  shared.options = &options;
  shared.logger = &logger;
  shared.metrics = &metrics;
  {
    std::random_device rd;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", rd());
    shared.id_prefix = buf;
  }

  asio::io_context main_ioc{1};
  tcp::acceptor acceptor(main_ioc);
  beast::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) {
    logger.Log("error", "invalid listen address",
               {{"address", options.host}, {"error", ec.message()}});
    return 1;
  }
  tcp::endpoint ep(address, options.port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    logger.Log("error", "cannot listen",
               {{"address", options.host + ":" + std::to_string(options.port)},
                {"error", ec.message()}});
    return 1;
  }
  const uint16_t port = acceptor.local_endpoint().port();
  shared.server_name = options.host;
  shared.server_port = std::to_string(port);

  Watch watch;
  std::vector<std::unique_ptr<Worker>> workers;
  for (size_t i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->index = i;
    w->watch = &watch;
    w->guard.emplace(w->ioc.get_executor());
    w->idle_timer.emplace(w->ioc);
    // Thread 0's context uses the worker's shard and clock slot, the
    // others the guest threads' ones.
    w->ctx.resize(1 + guest_threads);
    for (size_t k = 0; k < w->ctx.size(); ++k) {
      WorkerContext& g = w->ctx[k];
      g.index = k == 0 ? i : n + i * guest_threads + (k - 1);
      UseApp(g, app);
      g.app_generation = generation;
      g.metrics = &metrics;
      g.logger = &logger;
      g.clock = &clock;
    }
    ArmIdleTimer(*w, host);
    workers.push_back(std::move(w));
  }
  // Signals are handled on the main io_context; the workers block them.
  asio::signal_set signals(main_ioc, SIGINT, SIGTERM);
  {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &set, &old);
    for (auto& w : workers)
      for (size_t k = 0; k < w->ctx.size(); ++k)
        w->threads.emplace_back(
            [&wk = *w, k, &host] { RunWorkerThread(wk, k, host); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  // Hands a worker's I/O on when its owner runs a slow guest.
  std::thread watcher([&] {
    constexpr int kIdleTicks = 100;
    int idle = 0;
    std::unique_lock<std::mutex> lock(watch.mu);
    for (;;) {
      if (watch.cv.wait_for(lock, kTakeOverAfter, [&] { return watch.stop; }))
        return;
      bool running = false;
      for (auto& w : workers)
        running |= w->MaybeTakeOver(Clock::now(), kTakeOverAfter);
      idle = running ? 0 : idle + 1;
      if (idle < kIdleTicks) continue;
      watch.sleeping.store(true, std::memory_order_seq_cst);
      bool any = false;
      for (auto& w : workers)
        any = any || w->InlineRunning();
      if (!any) {
        watch.cv.wait(lock, [&] { return watch.stop || watch.wake; });
        watch.wake = false;
        if (watch.stop) return;
      }
      watch.sleeping.store(false, std::memory_order_seq_cst);
      idle = 0;
    }
  });

  size_t next = 0;
  std::function<void()> accept = [&] {
    Worker& w = *workers[next];
    next = (next + 1) % workers.size();
    acceptor.async_accept(
        w.ioc, [&](beast::error_code aec, tcp::socket socket) {
          if (aec == asio::error::operation_aborted || !acceptor.is_open())
            return;
          if (!aec) {
            if (metrics.connections_open.load(std::memory_order_relaxed) >=
                static_cast<int64_t>(options.max_connections)) {
              beast::error_code ignored;
              socket.close(ignored);
            } else {
              socket.set_option(tcp::no_delay(true), aec);
              asio::post(w.ioc, [&w, &shared, s = std::move(socket)]() mutable {
                std::make_shared<Session>(std::move(s), w, shared)->Start();
              });
            }
          }
          accept();
        });
  };
  accept();

  signals.async_wait([&](beast::error_code, int sig) {
    logger.Log("info", "draining", {{"signal", sig}});
    beast::error_code ignored;
    acceptor.close(ignored);
    for (auto& w : workers)
      asio::post(w->ioc, [&wk = *w] {
        wk.draining = true;
        wk.idle_timer->cancel();
        // Under the lock: no session is destroyed meanwhile.
        std::lock_guard<std::mutex> g(wk.sessions_mu);
        std::vector<Session*> all(wk.sessions.begin(), wk.sessions.end());
        for (Session* s : all)
          s->StopIfIdle();
        wk.guard.reset();
      });
  });

  if (options.on_listening)
    options.on_listening(options.host + ":" + std::to_string(port));
  logger.Log(
      "info", "listening",
      {{"address", "http://" + options.host + ":" + std::to_string(port)},
       {"app", app->manifest.app_name},
       {"functions", app->functions.size()},
       {"workers", n}});
  app.reset(); // the version may be replaced; requests pin their own
  // The access log's buffer is written at least every 100 ms.
  asio::steady_timer flush_timer(main_ioc);
  std::function<void()> arm_flush = [&] {
    flush_timer.expires_after(std::chrono::milliseconds(100));
    flush_timer.async_wait([&](beast::error_code fec) {
      logger.Flush();
      if (!fec && acceptor.is_open()) arm_flush();
    });
  };
  arm_flush();
  main_ioc.run();
  for (auto& w : workers)
    for (std::thread& t : w->threads)
      t.join();
  {
    std::lock_guard<std::mutex> g(watch.mu);
    watch.stop = true;
  }
  watch.cv.notify_all();
  watcher.join();
  logger.Log("info", "stopped", nlohmann::json::object());
  return 0;
}

} // namespace weft::platform
