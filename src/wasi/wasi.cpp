// WasiContext creation and the binding of wasi_snapshot_preview1 imports to
// typed host functions.
#include "wasi/wasi.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string_view>
#include <type_traits>
#include <unistd.h>

#include "wasi/wasi_internal.h"

namespace weft {

using wasi::Errno;
using wasi::FdEntry;
using wasi::FileType;
using wasi::Rights;
using wasi::UniqueFd;
using wasi::WasiCall;

namespace {

Error WasiError(std::string message) {
  Error e;
  e.message = std::move(message);
  return e;
}

// Type deduction for handlers: uint32_t -> i32, uint64_t -> i64.
template <typename T> constexpr ValType WasmType() {
  static_assert(std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t>);
  return std::is_same_v<T, uint32_t> ? ValType::I32 : ValType::I64;
}
template <typename T> T ArgAs(const Value& v) {
  if constexpr (std::is_same_v<T, uint32_t>)
    return v.i32;
  else
    return v.i64;
}

template <typename R, typename... A>
FuncType HandlerType(R (*)(WasiCall&, A...)) {
  FuncType t;
  t.params = {WasmType<A>()...};
  if constexpr (!std::is_void_v<R>) t.results = {ValType::I32};
  return t;
}

template <auto F, typename R, typename... A>
HostFunc MakeHostFunc(WasiContext::Impl* ctx, R (*)(WasiCall&, A...)) {
  return [ctx](Store& store, std::span<const Value> args,
               std::span<Value> results) -> std::optional<Trap> {
    WasiCall call(*ctx, store);
    [&]<size_t... I>(std::index_sequence<I...>) {
      if constexpr (std::is_void_v<R>) {
        F(call, ArgAs<A>(args[I])...);
      } else {
        results[0] = Value::I32(static_cast<uint32_t>(
            static_cast<uint16_t>(F(call, ArgAs<A>(args[I])...))));
      }
    }
    (std::index_sequence_for<A...>{});
    return std::move(call.trap);
  };
}

struct WasiFunction {
  std::string_view name;
  FuncType (*type)();
  HostFunc (*make)(WasiContext::Impl*);
};

const WasiFunction kFunctions[] = {
#define WASI_FUNCTION(name, handler)                                           \
  {#name, [] { return HandlerType(&wasi::handler); },                          \
   [](WasiContext::Impl* c) {                                                  \
     return MakeHostFunc<&wasi::handler>(c, &wasi::handler);                   \
   }},
#include "wasi/wasi_functions.def"
#undef WASI_FUNCTION
};

const WasiFunction* FindFunction(std::string_view name) {
  for (const WasiFunction& f : kFunctions)
    if (f.name == name) return &f;
  return nullptr;
}

// A guest stdio fd backed by a duplicate of `host_fd`.
Result<std::unique_ptr<FdEntry>> StdioEntry(int host_fd, bool readable) {
  int dup = ::fcntl(host_fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0)
    return WasiError("wasi: cannot duplicate host fd " +
                     std::to_string(host_fd) + ": " + std::strerror(errno));
  auto e = std::make_unique<FdEntry>();
  e->host.reset(dup);
  struct stat st;
  e->type = ::fstat(dup, &st) == 0 ? wasi::FileTypeFromMode(st.st_mode)
                                   : FileType::kUnknown;
  Rights r = wasi::RightsForType(e->type);
  if (e->type == FileType::kDirectory) r = wasi::rights::kStream;
  // Keep only the direction the stream is used in.
  // stdin may be a host file: the guest reads it but never changes it.
  r &= readable ? ~(wasi::right::kFdWrite | wasi::rights::kMutating)
                : ~wasi::right::kFdRead;
  // The duplicate shares the host's open file description: changing its
  // flags (O_NONBLOCK, O_APPEND) would change the host's own fd.
  r &= ~wasi::right::kFdFdstatSetFlags;
  e->base = r;
  e->inheriting = 0;
  return e;
}

} // namespace

WasiContext::WasiContext() = default;
WasiContext::~WasiContext() = default;

namespace {

// A guest stdio fd backed by an in-memory stream: a pipe in one direction.
std::unique_ptr<FdEntry> MemoryStdioEntry(wasi::MemStream* stream,
                                          bool readable) {
  auto e = std::make_unique<FdEntry>();
  e->mem = stream;
  e->type = FileType::kUnknown; // what a pipe reports
  e->base = wasi::rights::kStream & ~wasi::right::kFdFdstatSetFlags &
            (readable ? ~wasi::right::kFdWrite : ~wasi::right::kFdRead);
  e->inheriting = 0;
  return e;
}

// Fills the (empty) fd table from impl.config: stdio as 0-2, the preopens
// from 3 on.
Status BuildFdTable(WasiContext::Impl& impl) {
  const WasiConfig& config = impl.config;
  const int stdio[3] = {config.stdin_fd, config.stdout_fd, config.stderr_fd};
  for (uint32_t i = 0; i < 3; ++i) {
    std::unique_ptr<FdEntry> entry;
    if (config.memory_stdio) {
      entry = MemoryStdioEntry(&impl.mem_stdio[i], i == 0);
    } else {
      if (stdio[i] < 0) continue;
      auto e = StdioEntry(stdio[i], i == 0);
      if (!e) return e.error();
      entry = std::move(*e);
    }
    if (impl.stdio_budget[i]) {
      entry->budget = impl.stdio_budget[i];
      entry->base &=
          ~(wasi::right::kFdAllocate | wasi::right::kFdFilestatSetSize);
    }
    impl.fds.Place(i, std::move(entry));
  }
  uint32_t next = 3;
  for (const WasiPreopen& p : config.preopens) {
    int fd = ::open(p.host_path.c_str(),
                    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
      return WasiError("wasi: cannot open preopen directory \"" + p.host_path +
                       "\": " + std::strerror(errno));
    auto e = std::make_unique<FdEntry>();
    e->host.reset(fd);
    e->type = FileType::kDirectory;
    e->base = wasi::rights::kDirectory;
    e->inheriting = wasi::rights::kDirectory | wasi::rights::kRegularFile;
    if (p.read_only) {
      e->base &= ~wasi::rights::kMutating;
      e->inheriting &= ~wasi::rights::kMutating;
    }
    e->preopen = true;
    e->preopen_name = p.guest_path;
    impl.fds.Place(next++, std::move(e));
  }
  return {};
}

// Output limits back to their configured size, in-memory stdio emptied.
void ResetStreams(WasiContext::Impl& impl) {
  for (auto& b : impl.stdio_budget)
    if (b) {
      b->left = b->limit;
      b->reached = false;
    }
  for (auto& m : impl.mem_stdio) {
    m.data.clear();
    m.pos = 0;
  }
}

} // namespace

Result<std::unique_ptr<WasiContext>>
WasiContext::Create(const WasiConfig& config) {
  std::unique_ptr<WasiContext> ctx(new WasiContext());
  ctx->impl_ = std::make_unique<Impl>(
      config.max_fds, config.force_path_walk ? wasi::PathBackend::kWalk
                                             : wasi::PathBackend::kAuto);
  Impl& impl = *ctx->impl_;
  impl.config = config;
  impl.config.env.clear(); // kept in impl.env
  impl.args = config.args;
  for (const auto& [k, v] : config.env) {
    if (k.empty() || k.find('=') != std::string::npos ||
        k.find('\0') != std::string::npos || v.find('\0') != std::string::npos)
      return WasiError("wasi: invalid environment variable name \"" + k + "\"");
    impl.env.push_back(k + "=" + v);
  }
  for (const std::string& a : impl.args)
    if (a.find('\0') != std::string::npos)
      return WasiError("wasi: argument contains a NUL byte");
  for (int i = 1; i < 3; ++i) {
    uint64_t limit = i == 1 ? config.stdout_limit : config.stderr_limit;
    if (limit == 0 && config.memory_stdio) limit = kDefaultMemoryOutputLimit;
    if (limit == 0) continue;
    impl.stdio_budget[i] = std::make_shared<wasi::OutputBudget>();
    impl.stdio_budget[i]->left = impl.stdio_budget[i]->limit = limit;
    impl.stdio_budget[i]->ends_guest = i == 1 && config.stdout_limit_ends_guest;
  }
  if (Status st = BuildFdTable(impl); !st) return st.error();
  return ctx;
}

std::string* WasiContext::MemoryStdio(int stdio_fd) {
  if (!impl_->config.memory_stdio || stdio_fd < 0 || stdio_fd > 2)
    return nullptr;
  return &impl_->mem_stdio[stdio_fd].data;
}

Status WasiContext::Reset() {
  Impl& impl = *impl_;
  impl.env.clear();
  ResetStreams(impl);
  if (!impl.fds.touched()) return {};
  impl.fds.Clear();
  return BuildFdTable(impl);
}

bool WasiContext::OutputLimitReached(int stdio_fd) const {
  if (stdio_fd < 0 || stdio_fd > 2) return false;
  const auto& b = impl_->stdio_budget[stdio_fd];
  return b && b->reached;
}

Result<std::optional<Extern>> ResolveWasiImport(Store& store, WasiContext& ctx,
                                                const Module& module,
                                                const Import& import) {
  if (import.module != kWasiModuleName) return std::optional<Extern>();
  const std::string qualified =
      std::string(kWasiModuleName) + "." + import.name;
  const WasiFunction* f = FindFunction(import.name);
  if (!f || import.kind != ExternKind::Func)
    return WasiError("unknown import " + qualified);
  FuncType want = f->type();
  if (import.func_type >= module.types.size() ||
      !(module.types[import.func_type] == want)) {
    std::string got = import.func_type < module.types.size()
                          ? module.types[import.func_type].ToString()
                          : "?";
    return WasiError("incompatible import type for " + qualified +
                     ": expected " + want.ToString() + ", got " + got);
  }
  Extern ext;
  ext.kind = ExternKind::Func;
  ext.ptr = store.CreateHostFunc(want, f->make(&ctx.impl()));
  return std::optional<Extern>(ext);
}

Result<std::vector<Extern>> BindWasiImports(Store& store, WasiContext& ctx,
                                            const Module& module) {
  std::vector<Extern> out;
  out.reserve(module.imports.size());
  for (const Import& imp : module.imports) {
    auto r = ResolveWasiImport(store, ctx, module, imp);
    if (!r) return r.error();
    if (!*r) return WasiError("unknown import " + imp.module + "." + imp.name);
    out.push_back(**r);
  }
  return out;
}

std::optional<int> WasiExitStatus(const CallResult& result) {
  if (!result.trap) return 0;
  if (result.trap->kind != TrapKind::Exit) return std::nullopt;
  return result.trap->exit_code > 255
             ? 255
             : static_cast<int>(result.trap->exit_code);
}

namespace wasi {

const GuestMemory& WasiCall::mem() {
  if (!mem_) {
    mem_.emplace();
    if (Instance* inst = store_.CallerInstance()) {
      std::optional<Extern> m = inst->GetExport("memory");
      if (m && m->kind == ExternKind::Memory) {
        MemoryInst* mi = m->memory();
        mem_.emplace(mi->data(), mi->size_bytes());
      }
    }
  }
  return *mem_;
}

} // namespace wasi
} // namespace weft
