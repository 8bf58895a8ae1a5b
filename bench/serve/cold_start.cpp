// Cold-start benchmark of `weft serve` (issue 4):
//
//   weft_bench_cold_start instance APP_DIR [ITERS]
//     Loads APP_DIR/weft.toml (its first function, e.g. examples/hello),
//     compiles it once, then times ITERS rounds of what the server does to
//     get a fresh instance for a request: WasiContext (stdio in memory) +
//     Store + binding the imports + Instantiate. Prints one line per
//     variant, in µs per instance:
//       instance_us      WasiContext + Store + bind + Instantiate
//       instantiate_us   the same without stdio
//       start_call_us    only Call(_start) of a ready instance (the guest)
//       request_us       InvokeFunction: the whole guest side of a request
//                        (instance + _start + CGI parse), no HTTP, the
//                        instance made on the request path
//       request_pooled_us  the same with the worker's ready instance
//                        (made by PrepareInstances, untimed)
//       prepare_off_path_us  PrepareInstances after each request (what
//                        the server does once the response is sent: the
//                        used instance reset in place for the next)
//
//   weft_bench_cold_start pooled APP_DIR [ITERS]
//     Only the last two lines of `instance` (for profiling the ready
//     instance's cycle alone).
//
//   weft_bench_cold_start first-request WEFT_BINARY WASM N [PORT]
//     Generates an app of N copies of WASM (routes /f0 ... /f<N-1>) in a
//     temporary directory, starts `WEFT_BINARY serve` on it, and requests
//     every function once (a new connection per request, so each is a
//     first request of a function never called before, its code compiled
//     at start-up), then once more (warm). Prints the median, p99 and max
//     of both, in µs. Fails if any response is not 200.
//
//   weft_bench_cold_start code-rss WASM N
//     Compiles WASM N times (one Engine each, as LoadApp does) and prints
//     the resident memory per compiled copy: the "code" part of a deployed
//     function, for bench/serve/density.sh.
//
// Build target: weft_bench_cold_start (bench/CMakeLists.txt).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "platform/app.h"
#include "platform/caps/caps.h"
#include "platform/manifest.h"
#include "platform/telemetry.h"
#include "wasi/wasi.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace weft;
using namespace weft::platform;

namespace {

double Us(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "cold_start: %s\n", what.c_str());
  std::exit(1);
}

bool Bind(Store& store, WasiContext& wasi, const Module& m,
          std::vector<Extern>& out) {
  out.clear();
  for (const Import& imp : m.imports) {
    if (auto w = caps::ResolveWeftImport(store, m, imp)) {
      if (!*w) return false;
      out.push_back(**w);
      continue;
    }
    auto r = ResolveWasiImport(store, wasi, m, imp);
    if (!r || !*r) return false;
    out.push_back(**r);
  }
  return true;
}

int InstanceBench(const std::string& dir, int iters, bool pooled_only) {
  std::string error;
  auto manifest = LoadManifest(fs::path(dir) / "weft.toml", error);
  if (!manifest) Die(error);
  const fs::path data = fs::temp_directory_path() / "weft-cold-start-data";
  fs::create_directories(data);
  auto app = LoadApp(
      std::move(*manifest), data.string(),
      [](const std::string&, std::vector<uint8_t>&, std::string& e) {
        e = "text modules are not supported by this benchmark";
        return false;
      },
      error);
  if (!app) Die(error);
  platform::Function& fn = *app->functions.at(0);
  const Module& mod = fn.compiled->module();
  std::vector<Extern> imports;

  auto full = [&](bool with_wasi) {
    std::unique_ptr<WasiContext> ctx;
    WasiConfig cfg;
    cfg.args = {fn.spec.name};
    cfg.preopens = fn.spec.files;
    // As the server makes it: stdio in memory.
    if (with_wasi)
      cfg.memory_stdio = true;
    else
      cfg.stdin_fd = cfg.stdout_fd = cfg.stderr_fd = -1;
    auto c = WasiContext::Create(cfg);
    if (!c) Die(c.error().message);
    ctx = std::move(*c);
    Store store(*fn.engine);
    if (!Bind(store, *ctx, mod, imports)) Die("cannot bind imports");
    InstantiateResult inst = store.Instantiate(fn.compiled, imports);
    if (!inst.instance) Die("instantiate failed");
  };

  auto time = [&](const char* name, auto&& body) {
    for (int i = 0; i < iters / 10 + 1; ++i)
      body(); // warm up
    auto t0 = Clock::now();
    for (int i = 0; i < iters; ++i)
      body();
    std::printf("%s=%.2f\n", name, Us(Clock::now() - t0) / iters);
  };
  if (!pooled_only) time("instance_us", [&] { full(true); });
  if (!pooled_only) time("instantiate_us", [&] { full(false); });

  // Only the guest's own run: Call(_start) on an instance made untimed.
  if (!pooled_only) {
    double call = 0;
    for (int i = 0; i < iters; ++i) {
      WasiConfig cfg;
      cfg.args = {fn.spec.name};
      cfg.memory_stdio = true;
      auto ctx = WasiContext::Create(cfg);
      if (!ctx) Die(ctx.error().message);
      Store store(*fn.engine);
      if (!Bind(store, **ctx, mod, imports)) Die("cannot bind imports");
      InstantiateResult inst = store.Instantiate(fn.compiled, imports);
      if (!inst.instance) Die("instantiate failed");
      FuncInst* start = inst.instance->GetExport("_start")->func();
      auto t0 = Clock::now();
      CallResult r = store.Call(start, {});
      call += Us(Clock::now() - t0);
      if (WasiExitStatus(r) != 0) Die("_start failed");
    }
    std::printf("start_call_us=%.2f\n", call / iters);
  }

  Metrics metrics(1, {fn.spec.name});
  Logger logger(true);
  InterruptClock clock(1);
  WorkerContext w;
  w.app = app.get();
  w.metrics = &metrics;
  w.logger = &logger;
  w.clock = &clock;
  WagiRequest req;
  req.method = "GET";
  req.target = req.path = fn.spec.route.path;
  req.server_name = "127.0.0.1";
  req.server_port = "3000";
  req.remote_addr = "127.0.0.1";
  req.request_id = "bench";
  auto invoke = [&] {
    WagiResponse r = InvokeFunction(w, fn, req);
    if (r.status != 200 || r.body != "hello from weft\n")
      Die("status " + std::to_string(r.status) + ": " + r.body);
  };
  // No ready instance: the instance is made on the request path.
  if (!pooled_only)
    time("request_us", [&] {
      invoke();
      w.to_prepare.clear();
      w.to_reset.clear(); // the used instance destroyed on the path too
      w.retired.clear();
    });
  // With the worker's ready instance (PrepareInstances, what the server
  // runs after each response, outside the timed part).
  double on_path = 0, off_path = 0;
  PrepareInstances(w);
  for (int i = 0; i < iters; ++i) {
    auto t0 = Clock::now();
    invoke();
    auto t1 = Clock::now();
    PrepareInstances(w);
    auto t2 = Clock::now();
    on_path += Us(t1 - t0);
    off_path += Us(t2 - t1);
  }
  std::printf("request_pooled_us=%.2f\n", on_path / iters);
  std::printf("prepare_off_path_us=%.2f\n", off_path / iters);
  return 0;
}

// One HTTP/1.1 GET on a new connection; returns the status, or -1.
int Get(uint16_t port, const std::string& path) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  int one = 1;
  ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(s);
    return -1;
  }
  const std::string q = "GET " + path +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: "
                        "close\r\n\r\n";
  if (::write(s, q.data(), q.size()) != static_cast<ssize_t>(q.size())) {
    ::close(s);
    return -1;
  }
  std::string resp;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(s, buf, sizeof buf);
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  ::close(s);
  if (resp.size() < 12 || resp.compare(0, 9, "HTTP/1.1 ") != 0) return -1;
  return std::atoi(resp.c_str() + 9);
}

void Report(const char* name, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double p) {
    return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
  };
  std::printf("%s_us median=%.1f p99=%.1f max=%.1f n=%zu\n", name, at(0.5),
              at(0.99), v.back(), v.size());
}

int FirstRequestBench(const std::string& weft, const std::string& wasm, int n,
                      uint16_t port) {
  const fs::path dir = fs::temp_directory_path() /
                       ("weft-cold-start-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (int i = 0; i < n; ++i) // distinct files: nothing shared by path
    fs::copy_file(wasm, dir / ("f" + std::to_string(i) + ".wasm"),
                  fs::copy_options::overwrite_existing);
  {
    std::ofstream m(dir / "weft.toml");
    m << "[app]\nname = \"cold\"\n";
    for (int i = 0; i < n; ++i)
      m << "\n[[function]]\nname = \"f" << i << "\"\nroute = \"/f" << i
        << "\"\nmodule = \"f" << i << ".wasm\"\nmemory_limit = \"16MiB\"\n";
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 2);
    const std::string listen = "127.0.0.1:" + std::to_string(port);
    ::execl(weft.c_str(), weft.c_str(), "serve", dir.c_str(), "--listen",
            listen.c_str(), "--data-dir", dir.c_str(),
            static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait until it answers (compiling N modules first).
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  while (Get(port, "/healthz") != 200) {
    if (Clock::now() > deadline) {
      ::kill(pid, SIGTERM);
      Die("server did not start");
    }
    ::usleep(20000);
  }
  std::vector<double> first, warm;
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < n; ++i) {
      auto t0 = Clock::now();
      int status = Get(port, "/f" + std::to_string(i));
      double us = Us(Clock::now() - t0);
      if (status != 200) {
        ::kill(pid, SIGTERM);
        Die("/f" + std::to_string(i) + ": status " + std::to_string(status));
      }
      (round == 0 ? first : warm).push_back(us);
    }
  ::kill(pid, SIGTERM);
  int st = 0;
  ::waitpid(pid, &st, 0);
  fs::remove_all(dir);
  Report("first_request", first);
  Report("second_request", warm);
  return 0;
}

long RssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

// The resident memory of a function's compiled code: N compilations of
// WASM, each with its own Engine, as LoadApp does.
int CodeRss(const std::string& wasm, int n) {
  std::ifstream in(wasm, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  std::vector<std::unique_ptr<Engine>> engines;
  std::vector<std::shared_ptr<const CompiledModule>> code;
  const long before = RssKb();
  for (int i = 0; i < n; ++i) {
    engines.push_back(std::make_unique<Engine>());
    auto c = CompileModule(*engines.back(), bytes);
    if (!c) Die(c.error().message);
    code.push_back(*c);
  }
  std::printf("code_rss_kb_per_function=%.1f\n",
              static_cast<double>(RssKb() - before) / n);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if ((mode == "instance" || mode == "pooled") && argc >= 3)
    return InstanceBench(argv[2], argc > 3 ? std::atoi(argv[3]) : 20000,
                         mode == "pooled");
  if (mode == "code-rss" && argc >= 4)
    return CodeRss(argv[2], std::atoi(argv[3]));
  if (mode == "first-request" && argc >= 5)
    return FirstRequestBench(
        argv[2], argv[3], std::atoi(argv[4]),
        static_cast<uint16_t>(argc > 5 ? std::atoi(argv[5]) : 18431));
  std::fprintf(stderr,
               "usage: %s instance|pooled APP_DIR [ITERS]\n"
               "       %s first-request WEFT WASM N [PORT]\n"
               "       %s code-rss WASM N\n",
               argv[0], argv[0], argv[0]);
  return 2;
}
