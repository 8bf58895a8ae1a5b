// A loaded app: the manifest's functions compiled once (immutable, shared by
// every worker) and the code that serves one request with a fresh instance
// through WAGI (docs/guest-abi.md). No HTTP library here; http_server.cpp
// turns sockets into WagiRequests.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "platform/caps/caps.h"
#include "platform/manifest.h"
#include "platform/telemetry.h"
#include "runtime/runtime.h"

namespace weft::platform {

// Turns a text-format module into binary (the CLI links wabt; the platform
// library does not). Returns false with `error` set on failure.
using WatConverter = std::function<bool(
    const std::string& path, std::vector<uint8_t>& bytes, std::string& error)>;

struct Function {
  FunctionSpec spec;
  size_t index = 0;
  // One Engine per function: EngineConfig::max_memory_bytes is the
  // function's memory_limit.
  std::unique_ptr<Engine> engine;
  std::shared_ptr<const CompiledModule> compiled;
  // The compiled tier's code once it is ready, when `compiled` is the
  // interpreter's while it compiles in the background (weft serve --tier
  // auto; see ModuleCompiler). New instances use Code().
  struct Upgrade {
    std::atomic<std::shared_ptr<const CompiledModule>> code;
  };
  std::shared_ptr<Upgrade> upgrade = std::make_shared<Upgrade>();
  std::shared_ptr<const CompiledModule> Code() const {
    auto c = upgrade->code.load();
    return c ? c : compiled;
  }
  caps::FunctionGrants grants;
  // Requests of this function running now, shared with the function of
  // the same name in the versions before and after a reload (AppHost), so
  // max_concurrency holds across a reload.
  std::shared_ptr<std::atomic<uint32_t>> inflight =
      std::make_shared<std::atomic<uint32_t>>(0);
  // Its counters in the server's Metrics: `index` for the app the server
  // started with, the slot of its name for an app loaded later (reload).
  size_t metrics_slot = 0;
};

struct App {
  Manifest manifest;
  std::vector<std::unique_ptr<Function>> functions;
  // The server's (shared by every version of the app, see LoadApp), or a
  // SqliteKvBackend of the app's own in the data folder.
  std::shared_ptr<caps::KvBackend> kv_backend;
  std::unique_ptr<caps::KvService> kv;
  // The function whose route matches `path`, or null.
  Function* Match(const std::string& path) const;
};

// Compiles a function's module (binary format) in place of CompileModule:
// the CLI's compiled tier and cache (the platform does not link LLVM). It
// may return the interpreter's code and later store the compiled code into
// `fn.upgrade` (kept alive by the compiler as long as it needs it).
using ModuleCompiler =
    std::function<Result<std::shared_ptr<const CompiledModule>>(
        Function& fn, std::span<const uint8_t> bytes)>;

// Compiles every module (with `compile` when set) and checks that its
// imports can be bound (WASI and the weft capabilities) and that it exports
// `_start: [] -> []`. Errors are
// "<manifest>:<line>: error: function "<name>": <what>". KV stores live in
// `kv_backend` when given (`weft serve --kv-backend`), else in SQLite files
// in `data_dir`.
std::unique_ptr<App> LoadApp(Manifest manifest, const std::string& data_dir,
                             const WatConverter& wat, std::string& error,
                             const ModuleCompiler& compile = {},
                             std::shared_ptr<caps::KvBackend> kv_backend = {});

struct WagiRequest {
  std::string method;
  std::string target; // as received: path[?query]
  std::string path;   // without the query
  std::string query;
  std::string protocol = "HTTP/1.1";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string server_name; // from Host, else the listen address
  std::string server_port;
  std::string remote_addr;
  std::string request_id;
};

struct WagiResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// The WAGI environment of one request (docs/guest-abi.md) as "KEY=value"
// strings into `env` (replacing what it held): the manifest's env first,
// the request's variables after (they win on a clash), repeated headers
// joined with ", ". False with `error` set when a variable cannot be
// passed (a NUL byte, or "=" in a name).
bool WagiEnv(const Function& fn, const WagiRequest& req,
             std::vector<std::string>& env, std::string& error);

// Parses a guest's stdout: CGI header lines, a blank line, the body.
// nullopt with `error` set when it is malformed.
std::optional<WagiResponse> ParseCgiOutput(const std::string& out,
                                           std::string& error);

// Interrupts guests that run past their deadline: one thread for the
// whole server, one slot per worker. A worker arms its slot around guest
// code; the clock calls Store::Interrupt() (again every tick, so an
// interrupt cleared by the start of the next Call is set again) once the
// deadline passes. Holding the slot's mutex while interrupting keeps the
// Store alive: Disarm waits for it.
class InterruptClock {
public:
  explicit InterruptClock(size_t slots);
  ~InterruptClock();
  void Arm(size_t slot, Store* store, std::chrono::steady_clock::time_point);
  // Returns whether the deadline passed while armed.
  bool Disarm(size_t slot);

private:
  struct Slot {
    std::mutex mu;
    Store* store = nullptr;
    std::chrono::steady_clock::time_point deadline;
    bool expired = false;
  };
  void Run();
  std::unique_ptr<Slot[]> slots_;
  size_t n_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  // Idle (no slot armed for kIdleTicks ticks): the clock waits without a
  // timeout until Arm wakes it, so an idle server does not wake 500 times
  // a second. `sleeping_` and the slots are checked Dekker-style (seq_cst
  // flag, slot under its mutex): an Arm that the clock did not see is
  // seen to need a wake-up.
  std::atomic<bool> sleeping_{false};
  bool wake_ = false; // under mu_
  std::thread thread_;
};

// An instance made ready for one request: its WASI context (stdio in
// memory), its Store with the imports bound and (unless the module has a
// start function, which must run under the request's deadline) the module
// instantiated, its memory in a slot of the worker's pool. After a request
// that ended cleanly it is reset in place (Store::ResetInstance,
// WasiContext::Reset: every byte, size and value back to a fresh
// instance's) off the request path and serves the next request; after a
// trap, a timeout or output past its limit it is destroyed and a new one
// made. Either way no request sees anything of an earlier one.
struct ReadyInstance;
struct ReadyInstanceDeleter {
  void operator()(ReadyInstance* r) const;
};
using ReadyInstancePtr = std::unique_ptr<ReadyInstance, ReadyInstanceDeleter>;

// Most ready instances one worker keeps (each holds its memory's pages and
// an 8 GiB address-space reservation); functions beyond it are
// instantiated on the request path. The fds of their preopened directories
// stay within a quarter of RLIMIT_NOFILE.
inline constexpr size_t kMaxReadyPerWorker = 256;
// Free memory slots (reset reservations) one worker keeps for reuse.
inline constexpr size_t kPooledSlotsPerWorker = 16;

// What one WorkerContext's instances share (app.cpp): the pool of memory
// slots its instances' memories take and give back.
struct WorkerLocal;

// Ready instances in the whole process.
size_t ReadyInstanceCount();
// Instances made (store, imports, instantiation) and instances reset in
// place for another request, since the process started.
uint64_t InstancesMadeTotal();
uint64_t InstancesResetTotal();

// Per-worker state for running guests.
struct WorkerContext {
  size_t index = 0;
  App* app = nullptr;
  // Keeps `app` alive while this worker holds instances of its functions
  // (the server can switch to a new app version at any time: UseApp).
  std::shared_ptr<App> app_ref;
  // AppHost::generation() when `app` was taken from it (0: not taken from
  // it, or let go since).
  uint64_t app_generation = 0;
  Metrics* metrics = nullptr;
  const Logger* logger = nullptr;
  InterruptClock* clock = nullptr;
  // The next instance of each function (by Function::index) on this
  // worker, made by PrepareInstances after the function's previous
  // request; null until the function is first called here.
  std::vector<ReadyInstancePtr> ready;
  size_t ready_count = 0;
  std::vector<size_t> to_prepare;         // functions whose instance was taken
  std::vector<ReadyInstancePtr> to_reset; // used cleanly; reset off the path
  std::vector<ReadyInstancePtr> retired;  // used; destroyed off the path
  // Made on first use; each instance of this worker holds a reference
  // (the memory slot pool must outlive their memories).
  std::shared_ptr<WorkerLocal> local;
};

// Points `w` at `app` (a reloaded version): the ready instances of the
// previous app are destroyed first (no request of the new version ever
// gets an instance of the old), then `app` is kept alive in w.app_ref.
void UseApp(WorkerContext& w, std::shared_ptr<App> app);

// Resets the instances used cleanly since the last call (destroys the
// others) and makes a ready one for every function InvokeFunction took one
// from and could not give back (off the request path: the server calls it
// once the response is on its way).
void PrepareInstances(WorkerContext& w);

// Runs `fn` for one request in a fresh instance (the worker's ready one,
// else one made now; never one that served a request before) and builds the
// HTTP response: the guest's CGI output; 500 on a trap, a non-zero exit or
// malformed output; 504 when it ran past its timeout; 503 (Retry-After: 1) past
// max_concurrency. Records traps and timeouts in the worker's counters and logs
// them.
WagiResponse InvokeFunction(WorkerContext& w, Function& fn,
                            const WagiRequest& req);

} // namespace weft::platform
