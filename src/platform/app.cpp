#include "platform/app.h"

#include <sys/resource.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "platform/caps/ascii.h"
#include "runtime/sharded_counter.h"
#include "runtime/store_impl.h"
#include "wasi/wasi.h"
#include "wasi/wasi_internal.h"

extern char** environ;

namespace weft::platform {
namespace {

std::string Where(const Manifest& m, uint32_t line) {
  return m.path.string() + (line ? ":" + std::to_string(line) : "") +
         ": error: ";
}

bool ReadWhole(const std::filesystem::path& path, std::vector<uint8_t>& out,
               std::string& error) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    error = "module " + path.string() + " does not exist or is not a file";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read module " + path.string() + ": " + std::strerror(errno);
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in),
             std::istreambuf_iterator<char>());
  return true;
}

const FuncType* ExportedFuncType(const Module& m, const std::string& name) {
  for (const Export& e : m.exports) {
    if (e.name != name || e.kind != ExternKind::Func) continue;
    uint32_t idx = e.index;
    for (const Import& imp : m.imports) {
      if (imp.kind != ExternKind::Func) continue;
      if (idx == 0) return &m.types[imp.func_type];
      --idx;
    }
    if (idx < m.functions.size()) return &m.types[m.functions[idx].type_index];
  }
  return nullptr;
}

// Binds every import: weft capabilities first, then WASI. An error names
// the import.
Result<std::vector<Extern>> BindImports(Store& store, WasiContext& wasi,
                                        const Module& module) {
  std::vector<Extern> out;
  out.reserve(module.imports.size());
  for (const Import& imp : module.imports) {
    if (auto weft = caps::ResolveWeftImport(store, module, imp)) {
      if (!*weft) return weft->error();
      out.push_back(**weft);
      continue;
    }
    auto w = ResolveWasiImport(store, wasi, module, imp);
    if (!w) return w.error();
    if (!*w)
      return Error{"unknown import \"" + imp.module + "\" \"" + imp.name +
                       "\": weft serve provides " + kWasiModuleName +
                       " and weft functions only",
                   kNoOffset, ""};
    out.push_back(**w);
  }
  return out;
}

WagiResponse TextResponse(int status, std::string body) {
  WagiResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

std::string TrapReason(const Trap& t) {
  return t.message.empty() ? TrapKindMessage(t.kind) : t.message;
}

std::string ToLower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

} // namespace

Function* App::Match(const std::string& path) const {
  for (const auto& f : functions)
    if (f->spec.route.Matches(path)) return f.get();
  return nullptr;
}

std::unique_ptr<App> LoadApp(Manifest manifest, const std::string& data_dir,
                             const WatConverter& wat, std::string& error,
                             const ModuleCompiler& compile,
                             std::shared_ptr<caps::KvBackend> kv_backend) {
  auto app = std::make_unique<App>();
  app->manifest = std::move(manifest);
  const Manifest& m = app->manifest;
  const auto variables = caps::ResolveVariables(m.variables, environ);
  app->kv_backend = kv_backend
                        ? std::move(kv_backend)
                        : std::make_shared<caps::SqliteKvBackend>(data_dir);
  app->kv = std::make_unique<caps::KvService>(app->kv_backend.get());
  for (const FunctionSpec& spec : m.functions) {
    const std::string where =
        Where(m, spec.module_line) + "function \"" + spec.name + "\": ";
    auto fn = std::make_unique<Function>();
    fn->spec = spec;
    fn->index = app->functions.size();
    fn->metrics_slot = fn->index;
    EngineConfig config;
    config.max_memory_bytes = spec.memory_limit;
    fn->engine = std::make_unique<Engine>(config);
    std::vector<uint8_t> bytes;
    std::string why;
    if (!ReadWhole(spec.module, bytes, why)) {
      error = where + why;
      return nullptr;
    }
    const bool text =
        spec.module.extension() == ".wat" || (!bytes.empty() && bytes[0] != 0);
    if (text && !wat(spec.module.string(), bytes, why)) {
      error = where + "invalid module " + spec.module.string() + ":\n" + why;
      return nullptr;
    }
    auto compiled =
        compile ? compile(*fn, bytes) : CompileModule(*fn->engine, bytes);
    if (!compiled) {
      error = where + "invalid module " + spec.module.string() + ": " +
              compiled.error().message;
      if (compiled.error().offset != kNoOffset)
        error += " at offset " + std::to_string(compiled.error().offset);
      return nullptr;
    }
    fn->compiled = *compiled;
    const Module& mod = fn->compiled->module();
    const FuncType* start = ExportedFuncType(mod, "_start");
    if (!start || !start->params.empty() || !start->results.empty()) {
      error = where + spec.module.string() +
              " does not export \"_start\" as a function of no arguments "
              "and no results (a WASI command)";
      return nullptr;
    }
    {
      WasiConfig probe;
      probe.stdin_fd = probe.stdout_fd = probe.stderr_fd = -1;
      probe.preopens = spec.files;
      auto ctx = WasiContext::Create(probe);
      if (!ctx) {
        error = where + ctx.error().message;
        return nullptr;
      }
      Store store(*fn->engine);
      auto imports = BindImports(store, **ctx, mod);
      if (!imports) {
        error = where + spec.module.string() + ": " + imports.error().message;
        return nullptr;
      }
    }
    fn->grants.function = spec.name;
    fn->grants.kv_stores = spec.kv;
    fn->grants.allowed_outbound_hosts = spec.allowed_outbound_hosts;
    fn->grants.variables = variables;
    app->functions.push_back(std::move(fn));
  }
  return app;
}

namespace {

// Whether `entry` ("KEY=value") has the key `k`.
bool HasKey(const std::string& entry, std::string_view k) {
  return entry.size() > k.size() && entry[k.size()] == '=' &&
         entry.compare(0, k.size(), k) == 0;
}

void Put(std::vector<std::string>& env, std::string_view k,
         std::string_view v) {
  std::string& e = env.emplace_back();
  e.reserve(k.size() + 1 + v.size());
  e.append(k);
  e += '=';
  e.append(v);
}

} // namespace

bool WagiEnv(const Function& fn, const WagiRequest& req,
             std::vector<std::string>& env, std::string& error) {
  env.clear();
  env.reserve(fn.spec.env.size() + 18 + req.headers.size());
  for (const auto& [k, v] : fn.spec.env) {
    if (k.empty() || k.find('=') != std::string::npos) {
      error = "invalid environment variable name \"" + k + "\"";
      return false;
    }
    Put(env, k, v);
  }
  const size_t manifest_vars = env.size();
  const Route& route = fn.spec.route;
  std::string_view path_info;
  if (route.prefix && req.path.size() > route.path.size())
    path_info = std::string_view(req.path).substr(route.path.size());
  std::string_view content_type, host = req.server_name;
  for (const auto& [name, value] : req.headers) {
    if (caps::IEquals(name, "content-type")) content_type = value;
    if (caps::IEquals(name, "host")) host = value;
  }
  // A request variable replaces a manifest one of the same name.
  auto set = [&](std::string_view k, std::string_view v) {
    for (size_t i = 0; i < manifest_vars; ++i)
      if (HasKey(env[i], k)) {
        env[i].resize(k.size() + 1);
        env[i].append(v);
        return;
      }
    Put(env, k, v);
  };
  char length[24];
  std::snprintf(length, sizeof length, "%zu", req.body.size());
  std::string full_url = "http://";
  full_url.append(host);
  full_url += req.target;
  set("REQUEST_METHOD", req.method);
  set("SCRIPT_NAME", route.path);
  set("PATH_INFO", path_info);
  set("PATH_TRANSLATED", path_info);
  set("QUERY_STRING", req.query);
  set("CONTENT_TYPE", content_type);
  set("CONTENT_LENGTH", length);
  set("SERVER_NAME", req.server_name);
  set("SERVER_PORT", req.server_port);
  set("SERVER_PROTOCOL", req.protocol);
  set("SERVER_SOFTWARE", "weft");
  set("GATEWAY_INTERFACE", "CGI/1.1");
  set("REMOTE_ADDR", req.remote_addr);
  set("REMOTE_HOST", req.remote_addr);
  set("X_MATCHED_ROUTE", route.text);
  set("X_FULL_URL", full_url);
  set("X_RAW_PATH_INFO", path_info);
  set("X_REQUEST_ID", req.request_id);
  std::string k;
  for (const auto& [name, value] : req.headers) {
    if (caps::IEquals(name, "content-type") ||
        caps::IEquals(name, "content-length"))
      continue;
    k.assign("HTTP_");
    for (char c : name)
      k += c == '-'
               ? '_'
               : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    // Repeated headers are joined with ", " (RFC 9110 field lists).
    bool merged = false;
    for (std::string& e : env)
      if (HasKey(e, k)) {
        e += ", ";
        e += value;
        merged = true;
        break;
      }
    if (!merged) Put(env, k, value);
  }
  for (const std::string& e : env)
    if (e.find('\0') != std::string::npos) {
      error = "invalid environment variable \"" +
              e.substr(0, std::min<size_t>(e.find('='), 100)) +
              "\" (a NUL byte)";
      return false;
    }
  return true;
}

std::optional<WagiResponse> ParseCgiOutput(const std::string& out,
                                           std::string& error) {
  size_t end = std::string::npos, body = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] != '\n') continue;
    if (i + 1 < out.size() && out[i + 1] == '\n') {
      end = i;
      body = i + 2;
      break;
    }
    if (i + 2 < out.size() && out[i + 1] == '\r' && out[i + 2] == '\n') {
      end = i;
      body = i + 3;
      break;
    }
  }
  if (out.empty()) {
    error = "the guest wrote nothing to stdout (expected CGI headers, a "
            "blank line and the body)";
    return std::nullopt;
  }
  if (end == std::string::npos) {
    error = "no blank line after the CGI headers in the guest's output";
    return std::nullopt;
  }
  WagiResponse r;
  bool have_status = false, have_location = false;
  size_t pos = 0;
  const std::string head = out.substr(0, end + 1);
  while (pos < head.size()) {
    size_t nl = head.find('\n', pos);
    std::string line = head.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      error = "malformed CGI header line \"" + line.substr(0, 100) + "\"";
      return std::nullopt;
    }
    std::string name = line.substr(0, colon);
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.erase(0, 1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
      value.pop_back();
    for (char c : name + value)
      if (c == '\r' || c == '\n' || c == '\0') {
        error = "control character in CGI header \"" + name + "\"";
        return std::nullopt;
      }
    // The server writes the header as it is: its name must be an HTTP
    // token (RFC 9110, 5.6.2).
    for (char c : name)
      if (!(std::isalnum(static_cast<unsigned char>(c)) ||
            std::strchr("!#$%&'*+-.^_`|~", c) != nullptr)) {
        error = "invalid CGI header name \"" + name.substr(0, 100) + "\"";
        return std::nullopt;
      }
    std::string lower = ToLower(name);
    if (lower == "status") {
      int code = 0;
      size_t i = 0;
      while (i < value.size() && i < 3 &&
             std::isdigit(static_cast<unsigned char>(value[i])))
        code = code * 10 + (value[i++] - '0');
      if (i != 3 || code < 100 || code > 599) {
        error = "invalid CGI Status \"" + value + "\"";
        return std::nullopt;
      }
      r.status = code;
      have_status = true;
      continue;
    }
    if (lower == "location") have_location = true;
    // The server frames the response itself.
    if (lower == "content-length" || lower == "transfer-encoding" ||
        lower == "connection")
      continue;
    r.headers.emplace_back(std::move(name), std::move(value));
  }
  if (have_location && !have_status) r.status = 302;
  r.body = out.substr(body);
  return r;
}

InterruptClock::InterruptClock(size_t slots)
    : slots_(new Slot[slots]), n_(slots), thread_([this] { Run(); }) {}

InterruptClock::~InterruptClock() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void InterruptClock::Arm(size_t slot, Store* store,
                         std::chrono::steady_clock::time_point deadline) {
  Slot& s = slots_[slot];
  {
    std::lock_guard<std::mutex> g(s.mu);
    s.store = store;
    s.deadline = deadline;
    s.expired = false;
  }
  if (sleeping_.load(std::memory_order_seq_cst)) {
    std::lock_guard<std::mutex> g(mu_);
    wake_ = true;
    cv_.notify_one();
  }
}

bool InterruptClock::Disarm(size_t slot) {
  Slot& s = slots_[slot];
  std::lock_guard<std::mutex> g(s.mu);
  s.store = nullptr;
  return s.expired;
}

void InterruptClock::Run() {
  // A tick of 2 ms while guests run: timeouts are honoured to within a few
  // ms. After 50 ticks (100 ms) without an armed slot, sleep until Arm.
  constexpr int kIdleTicks = 50;
  int idle = 0;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(2));
    const auto now = std::chrono::steady_clock::now();
    bool armed = false;
    for (size_t i = 0; i < n_; ++i) {
      Slot& s = slots_[i];
      std::lock_guard<std::mutex> g(s.mu);
      if (!s.store) continue;
      armed = true;
      if (now >= s.deadline) {
        s.expired = true;
        s.store->Interrupt();
      }
    }
    idle = armed ? 0 : idle + 1;
    if (idle < kIdleTicks || stop_) continue;
    sleeping_.store(true, std::memory_order_seq_cst);
    // Armed since the scan above? Then Arm may have missed the flag.
    bool any = false;
    for (size_t i = 0; i < n_ && !any; ++i) {
      std::lock_guard<std::mutex> g(slots_[i].mu);
      any = slots_[i].store != nullptr;
    }
    if (!any) {
      cv_.wait(lock, [&] { return stop_ || wake_; });
      wake_ = false;
    }
    sleeping_.store(false, std::memory_order_seq_cst);
    idle = 0;
  }
}

struct WorkerLocal {
  MemorySlotPool pool{kPooledSlotsPerWorker};
};

struct ReadyInstance {
  // First, so destroyed last: the Store's memory goes back to local->pool.
  std::shared_ptr<WorkerLocal> local;
  std::unique_ptr<WasiContext> ctx; // in-memory stdio
  std::unique_ptr<Store> store;     // destroyed before ctx (its imports use it)
  std::vector<Extern> imports;
  Instance* instance = nullptr; // null: instantiate on the request path
  // The code it was made from (Function::Code() at the time): an instance
  // of the interpreter's code is not reused once the compiled code is in.
  std::shared_ptr<const CompiledModule> code;
  size_t function = 0;  // Function::index
  size_t fds = 0;       // host fds it holds (its preopened directories)
  bool counted = false; // in g_ready_* (kept in a WorkerContext)
  ~ReadyInstance() {
    store.reset();
    ctx.reset();
  }
};

namespace {

// Counted on every request by every worker thread: sharded.
ShardedCounter g_instances_made;
ShardedCounter g_instances_reset;

// WASI context with in-memory stdio (no environment yet: WAGI's comes with
// the request) + Store (its memory from the worker's pool) + bound imports,
// and the instance when `instantiate`.
ReadyInstancePtr MakeReady(WorkerContext& w, const Function& fn,
                           bool instantiate, std::string& error) {
  ReadyInstancePtr r(new ReadyInstance);
  if (!w.local) w.local = std::make_shared<WorkerLocal>(); // on first use
  r->local = w.local;
  r->function = fn.index;
  r->fds = fn.spec.files.size();
  WasiConfig cfg;
  cfg.args = {fn.spec.name};
  cfg.preopens = fn.spec.files;
  cfg.memory_stdio = true;
  cfg.stdout_limit = fn.spec.max_response_size;
  cfg.stderr_limit = fn.spec.max_log_size;
  cfg.stdout_limit_ends_guest = true;
  auto ctx = WasiContext::Create(cfg);
  if (!ctx) {
    error = ctx.error().message;
    return nullptr;
  }
  r->ctx = std::move(*ctx);
  r->store = std::make_unique<Store>(*fn.engine);
  r->store->impl().memory_pool = &r->local->pool;
  r->code = fn.Code();
  const auto& code = r->code;
  auto imports = BindImports(*r->store, *r->ctx, code->module());
  if (!imports) {
    error = imports.error().message;
    return nullptr;
  }
  r->imports = std::move(*imports);
  if (instantiate) {
    InstantiateResult inst = r->store->Instantiate(code, r->imports);
    if (!inst.instance) {
      error = inst.link_error ? inst.link_error->message
              : inst.trap     ? TrapReason(*inst.trap)
                              : "instantiation failed";
      return nullptr;
    }
    r->instance = inst.instance;
  }
  g_instances_made.Add(1);
  return r;
}

} // namespace

namespace {

// Ready instances in the whole process, and the host fds they hold (their
// preopened directories; stdio is in memory). Together they may use a
// quarter of RLIMIT_NOFILE, leaving the rest to connections.
ShardedCounter g_ready_instances;
std::atomic<size_t> g_ready_fds{0};

size_t MaxReadyFds() {
  static const size_t max = [] {
    struct rlimit rl {};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
      return size_t{16384};
    return static_cast<size_t>(rl.rlim_cur) / 4;
  }();
  return max;
}

// Makes `r` the worker's ready instance of its function (false: no room;
// the caller destroys it).
bool KeepReady(WorkerContext& w, ReadyInstancePtr& r) {
  const size_t i = r->function;
  if (i >= w.ready.size() || w.ready[i] ||
      w.ready_count >= kMaxReadyPerWorker ||
      g_ready_fds.load(std::memory_order_relaxed) + r->fds > MaxReadyFds())
    return false;
  r->counted = true;
  g_ready_instances.Add(1);
  if (r->fds) g_ready_fds.fetch_add(r->fds, std::memory_order_relaxed);
  ++w.ready_count;
  w.ready[i] = std::move(r);
  return true;
}

// Takes the worker's ready instance of function `i` (null if none).
ReadyInstancePtr TakeReady(WorkerContext& w, size_t i) {
  if (i >= w.ready.size() || !w.ready[i]) return nullptr;
  ReadyInstancePtr r = std::move(w.ready[i]);
  --w.ready_count;
  r->counted = false;
  g_ready_instances.Add(-1);
  if (r->fds) g_ready_fds.fetch_sub(r->fds, std::memory_order_relaxed);
  return r;
}

} // namespace

size_t ReadyInstanceCount() {
  return static_cast<size_t>(g_ready_instances.Sum());
}

uint64_t InstancesMadeTotal() {
  return static_cast<uint64_t>(g_instances_made.Sum());
}

uint64_t InstancesResetTotal() {
  return static_cast<uint64_t>(g_instances_reset.Sum());
}

void ReadyInstanceDeleter::operator()(ReadyInstance* r) const {
  if (r->counted) {
    g_ready_instances.Add(-1);
    if (r->fds) g_ready_fds.fetch_sub(r->fds, std::memory_order_relaxed);
  }
  delete r;
}

void UseApp(WorkerContext& w, std::shared_ptr<App> app) {
  w.ready.clear(); // the deleter leaves g_ready_instances
  w.ready_count = 0;
  w.to_prepare.clear();
  w.to_reset.clear();
  w.retired.clear();
  w.app_ref = std::move(app);
  w.app = w.app_ref.get();
  w.app_generation = 0;
  if (w.app) w.ready.resize(w.app->functions.size());
}

void PrepareInstances(WorkerContext& w) {
  w.retired.clear();
  // Instances that served a request and ended cleanly: reset in place (a
  // fresh instance's state, without building one).
  for (ReadyInstancePtr& r : w.to_reset) {
    const Function& fn = *w.app->functions[r->function];
    if (r->code != fn.Code() || !r->ctx->Reset() ||
        !r->store->ResetInstance(r->instance))
      continue; // destroyed below; a new one is made
    g_instances_reset.Add(1);
    KeepReady(w, r);
  }
  w.to_reset.clear(); // those not kept
  std::vector<size_t> todo;
  todo.swap(w.to_prepare);
  for (size_t i : todo) {
    if (w.ready_count >= kMaxReadyPerWorker) return;
    if (i >= w.ready.size() || w.ready[i]) continue;
    const Function& fn = *w.app->functions[i];
    // A start function is guest code: it runs on the request path, under
    // the request's deadline.
    const bool instantiate = !fn.compiled->module().start.has_value();
    std::string ignored; // the request path reports the error
    ReadyInstancePtr r = MakeReady(w, fn, instantiate, ignored);
    if (!r && instantiate) r = MakeReady(w, fn, false, ignored);
    if (r) KeepReady(w, r);
  }
}

WagiResponse InvokeFunction(WorkerContext& w, Function& fn,
                            const WagiRequest& req) {
  FunctionCounters& counters = w.metrics->At(w.index, fn.metrics_slot);
  const Logger& log = *w.logger;
  auto fields = [&]() {
    return nlohmann::json{{"function", fn.spec.name},
                          {"request_id", req.request_id}};
  };
  auto internal = [&](const std::string& what) {
    nlohmann::json f = fields();
    f["error"] = what;
    log.Log("error", "request failed", f);
    return TextResponse(500, "500 Internal Server Error (request " +
                                 req.request_id + ")\n");
  };

  struct Inflight {
    Function& fn;
    ~Inflight() { fn.inflight->fetch_sub(1, std::memory_order_relaxed); }
  };
  const uint32_t now_inflight =
      fn.inflight->fetch_add(1, std::memory_order_relaxed) + 1;
  Inflight inflight_guard{fn};
  if (fn.spec.max_concurrency && now_inflight > fn.spec.max_concurrency) {
    WagiResponse r = TextResponse(503, "503 Service Unavailable: function \"" +
                                           fn.spec.name + "\" is busy\n");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }

  // The worker's ready instance of `fn` (made or reset after its previous
  // request here), else one made now; either way in a fresh instance's
  // state.
  if (w.ready.size() < w.app->functions.size())
    w.ready.resize(w.app->functions.size());
  ReadyInstancePtr ready = TakeReady(w, fn.index);
  // Made from the interpreter's code while the compiled code was not ready:
  // not used once it is.
  if (ready && ready->code != fn.Code()) w.retired.push_back(std::move(ready));
  w.to_prepare.push_back(fn.index);
  if (!ready) {
    std::string why;
    ready = MakeReady(w, fn, false, why);
    if (!ready) return internal(why);
  }
  // After the response is on its way (PrepareInstances): reset in place
  // when the guest ended cleanly (to_reset), else destroyed (retired):
  // tearing down a Store costs as much as making it.
  bool reusable = false;
  struct Retire {
    WorkerContext& w;
    ReadyInstancePtr& r;
    bool& reusable;
    ~Retire() {
      if (r) (reusable ? w.to_reset : w.retired).push_back(std::move(r));
    }
  } retire{w, ready, reusable};
  WasiContext& ctx = *ready->ctx;
  *ctx.MemoryStdio(0) = req.body;
  {
    std::string why;
    if (!WagiEnv(fn, req, ctx.impl().env, why)) return internal("wasi: " + why);
  }

  std::optional<Trap> trap;
  std::optional<int> exit_status;
  bool expired = false;
  std::string link_error;
  {
    Store& store = *ready->store;
    caps::RequestCaps rc;
    rc.grants = &fn.grants;
    rc.request_id = req.request_id;
    rc.kv = w.app->kv.get();
    rc.log = [&](caps::LogLevel level, std::string_view message) {
      nlohmann::json f = fields();
      f["source"] = "guest";
      log.Log(caps::LogLevelName(level), message, f);
    };
    caps::ScopedRequestCaps scope(&rc);
    w.metrics->instances_live.Add(1);
    w.clock->Arm(w.index, &store,
                 std::chrono::steady_clock::now() + fn.spec.timeout);
    InstantiateResult inst;
    inst.instance = ready->instance;
    if (!inst.instance) inst = store.Instantiate(ready->code, ready->imports);
    // An instance whose module has a start function is not reset (the
    // start function would have to run again, under the next deadline).
    if (!ready->code->module().start) ready->instance = inst.instance;
    if (inst.link_error) {
      link_error = inst.link_error->message;
    } else if (inst.trap) {
      trap = inst.trap;
    } else {
      std::optional<Extern> start = inst.instance->GetExport("_start");
      CallResult result = store.Call(start ? start->func() : nullptr, {});
      exit_status = WasiExitStatus(result);
      if (!exit_status) trap = result.trap;
    }
    expired = w.clock->Disarm(w.index);
    w.metrics->instances_live.Add(-1);
  }
  if (trap && trap->kind == TrapKind::Exit) {
    exit_status = static_cast<int>(std::min<uint32_t>(trap->exit_code, 255));
    trap.reset();
  }
  const bool stdout_capped = ctx.OutputLimitReached(1);
  const bool stderr_capped = ctx.OutputLimitReached(2);
  // Reset and reused only after a clean end: returned or exited, in time,
  // within its output limit (a trap may have left a host call half done).
  reusable = ready->instance && link_error.empty() && !trap && !expired &&
             !stdout_capped;

  // Guest stderr: one log record per line.
  const std::string& errtext = *ctx.MemoryStdio(2);
  size_t pos = 0;
  while (pos < errtext.size()) {
    size_t nl = errtext.find('\n', pos);
    if (nl == std::string::npos) nl = errtext.size();
    std::string line = errtext.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    nlohmann::json f = fields();
    f["source"] = "guest";
    f["stream"] = "stderr";
    log.Log("info", line, f);
  }
  auto truncated = [&](size_t stream, const char* key, uint64_t limit) {
    counters.output_truncated[stream].fetch_add(1, std::memory_order_relaxed);
    nlohmann::json f = fields();
    f["stream"] = stream ? "stderr" : "stdout";
    f[key] = limit;
    log.Log(stream ? "warn" : "error",
            stream ? "guest stderr truncated at max_log_size"
                   : "guest output exceeded max_response_size",
            f);
  };
  if (stderr_capped) truncated(1, "max_log_size", fn.spec.max_log_size);
  if (!link_error.empty()) return internal(link_error);
  if (stdout_capped &&
      !(trap && trap->kind == TrapKind::Interrupted && expired)) {
    truncated(0, "max_response_size", fn.spec.max_response_size);
    return TextResponse(500, "500 Internal Server Error: response larger "
                             "than max_response_size (request " +
                                 req.request_id + ")\n");
  }
  if (trap) {
    if (trap->kind == TrapKind::Interrupted && expired) {
      counters.timeouts.fetch_add(1, std::memory_order_relaxed);
      nlohmann::json f = fields();
      f["timeout_ms"] =
          std::chrono::duration_cast<std::chrono::milliseconds>(fn.spec.timeout)
              .count();
      log.Log("error", "guest timed out", f);
      return TextResponse(504, "504 Gateway Timeout (request " +
                                   req.request_id + ")\n");
    }
    counters.traps[static_cast<size_t>(trap->kind) % kTrapKinds].fetch_add(
        1, std::memory_order_relaxed);
    nlohmann::json f = fields();
    f["trap"] = TrapReason(*trap);
    f["trap_kind"] = TrapKindMessage(trap->kind);
    log.Log("error", "guest trapped", f);
    return TextResponse(500, "500 Internal Server Error (request " +
                                 req.request_id + ")\n");
  }
  if (exit_status && *exit_status != 0)
    return internal("guest exited with status " + std::to_string(*exit_status));
  std::string why;
  std::optional<WagiResponse> r = ParseCgiOutput(*ctx.MemoryStdio(1), why);
  if (!r) return internal(why);
  return std::move(*r);
}

} // namespace weft::platform
