// The "weft" host imports: typed handlers bound to host functions the way
// the WASI layer binds its own (signature deduced from the C++ handler),
// guest memory reached through wasi::GuestMemory's bounds checks.
#include <type_traits>
#include <utility>

#include "platform/caps/caps.h"
#include "platform/caps/url.h"
#include "wasi/guest_memory.h"

namespace weft::caps {

namespace {

using wasi::GuestMemory;

// What one host call sees: the store (for the caller's memory) and the
// current request's capabilities.
class CapCall {
public:
  explicit CapCall(Store& store) : store_(store) {}
  RequestCaps* caps() const {
    RequestCaps* c = CurrentRequestCaps();
    return c && c->grants ? c : nullptr;
  }
  // The caller's "memory" export; empty (every access faults) when absent.
  const GuestMemory& mem() {
    if (!mem_) {
      mem_.emplace();
      if (Instance* inst = store_.CallerInstance()) {
        std::optional<Extern> m = inst->GetExport("memory");
        if (m && m->kind == ExternKind::Memory)
          mem_.emplace(m->memory()->data(), m->memory()->size_bytes());
      }
    }
    return *mem_;
  }

private:
  Store& store_;
  std::optional<GuestMemory> mem_;
};

// Writes `data` to the guest buffer (buf, cap) and its length to len_out,
// or only the needed length with kBufferTooSmall. The caller has checked
// both ranges.
CapStatus PutOutput(const GuestMemory& m, std::string_view data, uint32_t buf,
                    uint32_t cap, uint32_t len_out) {
  if (data.size() > UINT32_MAX) return CapStatus::kTooLarge;
  m.Store<uint32_t>(len_out, static_cast<uint32_t>(data.size()));
  if (data.size() > cap) return CapStatus::kBufferTooSmall;
  m.Write(buf, data.data(), data.size());
  return CapStatus::kOk;
}

bool OutputRanges(const GuestMemory& m, uint32_t buf, uint32_t cap,
                  uint32_t len_out) {
  return m.Contains(buf, cap) && m.Contains(len_out, 4);
}

CapStatus Handle(RequestCaps& caps, uint32_t handle, KvStore** out) {
  if (handle == 0 || handle > caps.kv_handles.size())
    return CapStatus::kInvalid;
  *out = caps.kv_handles[handle - 1].get();
  return CapStatus::kOk;
}

// ---- handlers, one per weft_functions.def row -----------------------------

CapStatus KvOpen(CapCall& c, uint32_t name_ptr, uint32_t name_len,
                 uint32_t handle_out) {
  RequestCaps* caps = c.caps();
  if (!caps) return CapStatus::kUnavailable;
  std::string_view name;
  if (!c.mem().String(name_ptr, name_len, &name) ||
      !c.mem().Contains(handle_out, 4))
    return CapStatus::kFault;
  if (!caps->kv) return CapStatus::kUnavailable;
  // The same store opened twice in a request gets the same handle.
  std::shared_ptr<KvStore> store;
  if (CapStatus s = caps->kv->Open(*caps->grants, name, &store);
      s != CapStatus::kOk)
    return s;
  uint32_t handle = 0;
  for (size_t i = 0; i < caps->kv_handles.size(); ++i)
    if (caps->kv_handles[i] == store) handle = static_cast<uint32_t>(i + 1);
  if (handle == 0) {
    if (caps->kv_handles.size() >= kMaxKvHandles)
      return CapStatus::kTooManyHandles;
    caps->kv_handles.push_back(std::move(store));
    handle = static_cast<uint32_t>(caps->kv_handles.size());
  }
  c.mem().Store<uint32_t>(handle_out, handle);
  return CapStatus::kOk;
}

CapStatus KvGet(CapCall& c, uint32_t handle, uint32_t key_ptr, uint32_t key_len,
                uint32_t buf, uint32_t cap, uint32_t len_out) {
  RequestCaps* caps = c.caps();
  if (!caps) return CapStatus::kUnavailable;
  std::string_view key;
  if (!c.mem().String(key_ptr, key_len, &key) ||
      !OutputRanges(c.mem(), buf, cap, len_out))
    return CapStatus::kFault;
  KvStore* store;
  if (CapStatus s = Handle(*caps, handle, &store); s != CapStatus::kOk)
    return s;
  std::string value;
  if (CapStatus s = KvService::Get(*store, key, &value); s != CapStatus::kOk)
    return s;
  return PutOutput(c.mem(), value, buf, cap, len_out);
}

CapStatus KvSet(CapCall& c, uint32_t handle, uint32_t key_ptr, uint32_t key_len,
                uint32_t value_ptr, uint32_t value_len) {
  RequestCaps* caps = c.caps();
  if (!caps) return CapStatus::kUnavailable;
  std::string_view key, value;
  if (!c.mem().String(key_ptr, key_len, &key) ||
      !c.mem().String(value_ptr, value_len, &value))
    return CapStatus::kFault;
  KvStore* store;
  if (CapStatus s = Handle(*caps, handle, &store); s != CapStatus::kOk)
    return s;
  // Copy out of guest memory first: the backend must not read memory that
  // another call could change (and SQLite binds it as SQLITE_STATIC).
  return KvService::Set(*store, std::string(key), std::string(value));
}

CapStatus KvDelete(CapCall& c, uint32_t handle, uint32_t key_ptr,
                   uint32_t key_len) {
  RequestCaps* caps = c.caps();
  if (!caps) return CapStatus::kUnavailable;
  std::string_view key;
  if (!c.mem().String(key_ptr, key_len, &key)) return CapStatus::kFault;
  KvStore* store;
  if (CapStatus s = Handle(*caps, handle, &store); s != CapStatus::kOk)
    return s;
  return KvService::Delete(*store, std::string(key));
}

// Keys with the prefix, in byte order, each followed by a NUL byte.
CapStatus KvList(CapCall& c, uint32_t handle, uint32_t prefix_ptr,
                 uint32_t prefix_len, uint32_t buf, uint32_t cap,
                 uint32_t len_out) {
  RequestCaps* caps = c.caps();
  if (!caps) return CapStatus::kUnavailable;
  std::string_view prefix;
  if (!c.mem().String(prefix_ptr, prefix_len, &prefix) ||
      !OutputRanges(c.mem(), buf, cap, len_out))
    return CapStatus::kFault;
  KvStore* store;
  if (CapStatus s = Handle(*caps, handle, &store); s != CapStatus::kOk)
    return s;
  std::vector<std::string> keys;
  if (CapStatus s = KvService::ListKeys(*store, std::string(prefix), &keys);
      s != CapStatus::kOk)
    return s;
  std::string joined;
  for (const std::string& k : keys) {
    joined += k;
    joined += '\0';
  }
  return PutOutput(c.mem(), joined, buf, cap, len_out);
}

CapStatus ConfigGet(CapCall& c, uint32_t name_ptr, uint32_t name_len,
                    uint32_t buf, uint32_t cap, uint32_t len_out) {
  RequestCaps* caps = c.caps();
  if (!caps) return CapStatus::kUnavailable;
  std::string_view name;
  if (!c.mem().String(name_ptr, name_len, &name) ||
      !OutputRanges(c.mem(), buf, cap, len_out))
    return CapStatus::kFault;
  auto it = caps->grants->variables.find(std::string(name));
  if (it == caps->grants->variables.end()) return CapStatus::kNotFound;
  return PutOutput(c.mem(), it->second, buf, cap, len_out);
}

// headers: "Name: value" lines separated by "\n" (a "\r" before it is
// dropped); empty lines are skipped.
bool ParseHeaders(std::string_view text,
                  std::vector<std::pair<std::string, std::string>>* out) {
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view()
                                         : text.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    out->emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return true;
}

CapStatus HttpRequest(CapCall& c, uint32_t method_ptr, uint32_t method_len,
                      uint32_t url_ptr, uint32_t url_len, uint32_t headers_ptr,
                      uint32_t headers_len, uint32_t body_ptr,
                      uint32_t body_len, uint32_t buf, uint32_t cap,
                      uint32_t status_out, uint32_t len_out) {
  RequestCaps* caps = c.caps();
  if (!caps) return CapStatus::kUnavailable;
  const GuestMemory& m = c.mem();
  std::string_view method, url, headers_text, body;
  if (!m.String(method_ptr, method_len, &method) ||
      !m.String(url_ptr, url_len, &url) ||
      !m.String(headers_ptr, headers_len, &headers_text) ||
      !m.String(body_ptr, body_len, &body) ||
      !OutputRanges(m, buf, cap, len_out) || !m.Contains(status_out, 4))
    return CapStatus::kFault;
  Url parsed;
  if (!ParseUrl(url, &parsed)) return CapStatus::kInvalid;
  if (!OutboundAllowed(caps->grants->allowed_outbound_hosts, url))
    return CapStatus::kForbidden;
  std::vector<std::pair<std::string, std::string>> headers;
  if (!ParseHeaders(headers_text, &headers)) return CapStatus::kInvalid;
  HttpResponse resp;
  if (CapStatus s = HttpFetch(method, url, headers, body, caps->http, &resp);
      s != CapStatus::kOk)
    return s;
  // The guest is suspended while this runs, so `m` is still its memory.
  m.Store<uint32_t>(status_out, static_cast<uint32_t>(resp.status));
  return PutOutput(m, resp.body, buf, cap, len_out);
}

CapStatus Log(CapCall& c, uint32_t level, uint32_t ptr, uint32_t len) {
  RequestCaps* caps = c.caps();
  if (!caps) return CapStatus::kUnavailable;
  std::string_view msg;
  if (!c.mem().String(ptr, len, &msg)) return CapStatus::kFault;
  if (level > static_cast<uint32_t>(LogLevel::kError))
    return CapStatus::kInvalid;
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r'))
    msg.remove_suffix(1);
  if (caps->log) caps->log(static_cast<LogLevel>(level), msg);
  return CapStatus::kOk;
}

// ---- binding ----------------------------------------------------------------

template <typename... A> FuncType HandlerType(CapStatus (*)(CapCall&, A...)) {
  static_assert((std::is_same_v<A, uint32_t> && ...));
  FuncType t;
  t.params = {(static_cast<void>(sizeof(A)), ValType::I32)...};
  t.results = {ValType::I32};
  return t;
}

template <auto F, typename... A>
HostFunc MakeHostFunc(CapStatus (*)(CapCall&, A...)) {
  return [](Store& store, std::span<const Value> args,
            std::span<Value> results) -> std::optional<Trap> {
    CapCall call(store);
    [&]<size_t... I>(std::index_sequence<I...>) {
      results[0] = Value::I32(
          static_cast<uint32_t>(static_cast<int32_t>(F(call, args[I].i32...))));
    }
    (std::index_sequence_for<A...>{});
    return std::nullopt;
  };
}

struct WeftFunction {
  std::string_view name;
  FuncType (*type)();
  HostFunc (*make)();
};

const WeftFunction kFunctions[] = {
#define WEFT_FUNCTION(name, handler)                                           \
  {#name, [] { return HandlerType(&handler); },                                \
   [] { return MakeHostFunc<&handler>(&handler); }},
#include "platform/caps/weft_functions.def"
#undef WEFT_FUNCTION
};

Error ImportError(std::string message) {
  Error e;
  e.message = std::move(message);
  return e;
}

} // namespace

std::optional<Result<Extern>>
ResolveWeftImport(Store& store, const Module& module, const Import& import) {
  if (import.module != kWeftModuleName) return std::nullopt;
  const std::string qualified =
      std::string(kWeftModuleName) + "." + import.name;
  const WeftFunction* f = nullptr;
  for (const WeftFunction& w : kFunctions)
    if (w.name == import.name) f = &w;
  if (!f || import.kind != ExternKind::Func)
    return Result<Extern>(ImportError("unknown import " + qualified));
  FuncType want = f->type();
  if (import.func_type >= module.types.size() ||
      !(module.types[import.func_type] == want)) {
    std::string got = import.func_type < module.types.size()
                          ? module.types[import.func_type].ToString()
                          : "?";
    return Result<Extern>(ImportError("incompatible import type for " +
                                      qualified + ": expected " +
                                      want.ToString() + ", got " + got));
  }
  Extern ext;
  ext.kind = ExternKind::Func;
  ext.ptr = store.CreateHostFunc(want, f->make());
  return Result<Extern>(ext);
}

} // namespace weft::caps
