// Adapters for wasi:io (error, poll, streams), wasi:clocks and
// wasi:random, and the machinery every adapter row shares.
#include <string>

#include "wasip2/bind.h"

namespace weft::wasip2 {

HostFn MakeHostFn(const FuncRow& row) {
  return [row](HostCall& call, std::span<const Val> args,
               std::vector<Val>& results) -> std::optional<Trap> {
    WasiP2Context* ctx = call.data.Get<WasiP2Context>();
    if (!ctx)
      return Trap{TrapKind::Host,
                  std::string(row.interface) + "#" + std::string(row.name) +
                      ": the instance has no WASI 0.2 context",
                  0};
    if (args.size() != row.arity)
      return Trap{TrapKind::Host,
                  std::string(row.name) + ": expected " +
                      std::to_string(row.arity) + " arguments, got " +
                      std::to_string(args.size()),
                  0};
    return row.fn(*ctx, call, args, results);
  };
}

HostDropFn MakeDropFn(const DropRow& row) {
  const ObjKind kind = row.kind;
  return [kind](component::HostData& data, uint32_t rep) {
    if (WasiP2Context* ctx = data.Get<WasiP2Context>()) ctx->Drop(rep, kind);
  };
}

std::optional<Trap> StreamResult(WasiP2Context& ctx, const Failure* failure,
                                 std::optional<Val> ok,
                                 std::vector<Val>& results) {
  if (!failure) {
    results.push_back(ok ? Val::Ok(std::move(*ok)) : Val::Ok());
    return std::nullopt;
  }
  switch (failure->kind) {
  case Failure::Kind::kTrap: return failure->trap;
  case Failure::Kind::kClosed:
    results.push_back(Val::Err(Val::VariantCase(1)));
    return std::nullopt;
  case Failure::Kind::kFailed: {
    Outcome<uint32_t> err = ctx.NewError(*failure);
    if (!err.ok()) return err.failure().trap;
    results.push_back(Val::Err(Val::VariantCase(0, OwnRep(err.value()))));
    return std::nullopt;
  }
  }
  return std::nullopt;
}

std::optional<Trap> FsResult(const Failure* failure, std::optional<Val> ok,
                             std::vector<Val>& results) {
  if (!failure) {
    results.push_back(ok ? Val::Ok(std::move(*ok)) : Val::Ok());
    return std::nullopt;
  }
  if (failure->kind == Failure::Kind::kTrap) return failure->trap;
  const FsError code =
      failure->kind == Failure::Kind::kClosed ? FsError::kIo : failure->code;
  results.push_back(Val::Err(Val::EnumCase(static_cast<uint32_t>(code))));
  return std::nullopt;
}

Val DatetimeVal(const Datetime& d) {
  return Val::Record({Val::U64(d.seconds), Val::U32(d.nanoseconds)});
}

namespace {

using Args = std::span<const Val>;
using Results = std::vector<Val>;

// A new resource as the function's result (a failure to make one traps).
std::optional<Trap> Resource(Outcome<uint32_t> o, Results& r) {
  if (!o.ok()) {
    if (o.failure().trap) return o.failure().trap;
    return Trap{TrapKind::Host, "wasi: " + o.failure().message, 0};
  }
  r.push_back(OwnRep(o.value()));
  return std::nullopt;
}

template <typename T, typename F>
std::optional<Trap> Stream(WasiP2Context& ctx, Outcome<T> o, Results& r,
                           F make) {
  if (!o.ok()) return StreamResult(ctx, &o.failure(), std::nullopt, r);
  return StreamResult(ctx, nullptr, make(o.value()), r);
}

std::optional<Val> NoPayload(const Unit&) { return std::nullopt; }
std::optional<Val> BytesPayload(std::string& s) {
  return Val::Bytes(std::move(s));
}
std::optional<Val> U64Payload(uint64_t n) { return Val::U64(n); }

// --- wasi:io/error, poll
// -----------------------------------------------------------

std::optional<Trap> ErrorToDebugString(WasiP2Context& ctx, HostCall&, Args a,
                                       Results& r) {
  std::optional<Trap> t;
  auto* e = Self<ErrorObj>(ctx, a[0], &t);
  if (!e) return t;
  r.push_back(Val::Str(e->message));
  return std::nullopt;
}

std::optional<Trap> PollableReady(WasiP2Context& ctx, HostCall&, Args a,
                                  Results& r) {
  std::optional<Trap> t;
  auto* p = Self<PollableObj>(ctx, a[0], &t);
  if (!p) return t;
  r.push_back(Val::Bool(ctx.PollableReady(*p)));
  return std::nullopt;
}

std::optional<Trap> PollableBlock(WasiP2Context& ctx, HostCall& c, Args a,
                                  Results&) {
  std::optional<Trap> t;
  auto* p = Self<PollableObj>(ctx, a[0], &t);
  if (!p) return t;
  return ctx.Block(c.store, *p);
}

std::optional<Trap> PollList(WasiP2Context& ctx, HostCall& c, Args a,
                             Results& r) {
  std::vector<uint32_t> reps;
  reps.reserve(a[0].items.size());
  for (const Val& v : a[0].items)
    reps.push_back(Rep(v));
  Outcome<std::vector<uint32_t>> o = ctx.Poll(c.store, reps);
  if (!o.ok()) return o.failure().trap;
  Val list = Val::Of(ValKind::List, 0);
  for (uint32_t i : o.value())
    list.items.push_back(Val::U32(i));
  r.push_back(std::move(list));
  return std::nullopt;
}

// --- wasi:io/streams
// ------------------------------------------------------------------

std::optional<Trap> InRead(WasiP2Context& ctx, HostCall&, Args a, Results& r) {
  std::optional<Trap> t;
  auto* s = Self<InputStreamObj>(ctx, a[0], &t);
  if (!s) return t;
  return Stream(ctx, ctx.Read(*s, a[1].u), r, BytesPayload);
}

std::optional<Trap> InBlockingRead(WasiP2Context& ctx, HostCall& c, Args a,
                                   Results& r) {
  std::optional<Trap> t;
  auto* s = Self<InputStreamObj>(ctx, a[0], &t);
  if (!s) return t;
  return Stream(ctx, ctx.BlockingRead(c.store, *s, a[1].u), r, BytesPayload);
}

std::optional<Trap> InSkip(WasiP2Context& ctx, HostCall&, Args a, Results& r) {
  std::optional<Trap> t;
  auto* s = Self<InputStreamObj>(ctx, a[0], &t);
  if (!s) return t;
  return Stream(ctx, ctx.Skip(*s, a[1].u), r, U64Payload);
}

std::optional<Trap> InBlockingSkip(WasiP2Context& ctx, HostCall& c, Args a,
                                   Results& r) {
  std::optional<Trap> t;
  auto* s = Self<InputStreamObj>(ctx, a[0], &t);
  if (!s) return t;
  return Stream(ctx, ctx.BlockingSkip(c.store, *s, a[1].u), r, U64Payload);
}

std::optional<Trap> InSubscribe(WasiP2Context& ctx, HostCall&, Args a,
                                Results& r) {
  std::optional<Trap> t;
  auto* s = Self<InputStreamObj>(ctx, a[0], &t);
  if (!s) return t;
  return Resource(ctx.SubscribeInput(*s), r);
}

std::optional<Trap> OutCheckWrite(WasiP2Context& ctx, HostCall&, Args a,
                                  Results& r) {
  std::optional<Trap> t;
  auto* s = Self<OutputStreamObj>(ctx, a[0], &t);
  if (!s) return t;
  return Stream(ctx, ctx.CheckWrite(*s), r, U64Payload);
}

std::optional<Trap> OutWrite(WasiP2Context& ctx, HostCall& c, Args a,
                             Results& r) {
  std::optional<Trap> t;
  auto* s = Self<OutputStreamObj>(ctx, a[0], &t);
  if (!s) return t;
  return Stream(ctx, ctx.Write(c.store, *s, a[1].s), r, NoPayload);
}

std::optional<Trap> OutFlush(WasiP2Context& ctx, HostCall&, Args a,
                             Results& r) {
  std::optional<Trap> t;
  auto* s = Self<OutputStreamObj>(ctx, a[0], &t);
  if (!s) return t;
  return Stream(ctx, ctx.Flush(*s), r, NoPayload);
}

std::optional<Trap> OutWriteZeroes(WasiP2Context& ctx, HostCall& c, Args a,
                                   Results& r) {
  std::optional<Trap> t;
  auto* s = Self<OutputStreamObj>(ctx, a[0], &t);
  if (!s) return t;
  return Stream(ctx, ctx.WriteZeroes(c.store, *s, a[1].u), r, NoPayload);
}

std::optional<Trap> OutSplice(WasiP2Context& ctx, HostCall& c, Args a,
                              Results& r, bool blocking) {
  std::optional<Trap> t;
  auto* dst = Self<OutputStreamObj>(ctx, a[0], &t);
  if (!dst) return t;
  auto* src = Self<InputStreamObj>(ctx, a[1], &t);
  if (!src) return t;
  return Stream(ctx, ctx.Splice(c.store, *dst, *src, a[2].u, blocking), r,
                U64Payload);
}

std::optional<Trap> OutSubscribe(WasiP2Context& ctx, HostCall&, Args a,
                                 Results& r) {
  std::optional<Trap> t;
  auto* s = Self<OutputStreamObj>(ctx, a[0], &t);
  if (!s) return t;
  return Resource(ctx.SubscribeOutput(*s), r);
}

// --- wasi:clocks, wasi:random
// ------------------------------------------------------------

std::optional<Trap> MonoNow(WasiP2Context&, HostCall&, Args, Results& r) {
  r.push_back(Val::U64(WasiP2Context::MonotonicNow()));
  return std::nullopt;
}
std::optional<Trap> MonoResolution(WasiP2Context&, HostCall&, Args,
                                   Results& r) {
  r.push_back(Val::U64(WasiP2Context::MonotonicResolution()));
  return std::nullopt;
}
std::optional<Trap> WallNow(WasiP2Context&, HostCall&, Args, Results& r) {
  r.push_back(DatetimeVal(WasiP2Context::WallNow()));
  return std::nullopt;
}
std::optional<Trap> WallResolution(WasiP2Context&, HostCall&, Args,
                                   Results& r) {
  r.push_back(DatetimeVal(WasiP2Context::WallResolution()));
  return std::nullopt;
}

std::optional<Trap> RandomBytes(WasiP2Context& ctx, HostCall&, Args a,
                                Results& r) {
  Outcome<std::string> o = ctx.RandomBytes(a[0].u);
  if (!o.ok()) return o.failure().trap;
  r.push_back(Val::Bytes(std::move(o.value())));
  return std::nullopt;
}
std::optional<Trap> RandomU64(WasiP2Context& ctx, HostCall&, Args, Results& r) {
  r.push_back(Val::U64(ctx.RandomU64()));
  return std::nullopt;
}
std::optional<Trap> InsecureSeed(WasiP2Context& ctx, HostCall&, Args,
                                 Results& r) {
  auto [a, b] = ctx.InsecureSeed();
  r.push_back(Val::Tuple({Val::U64(a), Val::U64(b)}));
  return std::nullopt;
}

} // namespace

void AppendIoRows(std::vector<FuncRow>& f, std::vector<DropRow>& d) {
  const std::string_view err = "wasi:io/error", poll = "wasi:io/poll",
                         st = "wasi:io/streams";
  f.push_back({err, "[method]error.to-debug-string", 1, ErrorToDebugString});
  f.push_back({poll, "[method]pollable.ready", 1, PollableReady});
  f.push_back({poll, "[method]pollable.block", 1, PollableBlock});
  f.push_back({poll, "poll", 1, PollList});
  f.push_back({st, "[method]input-stream.read", 2, InRead});
  f.push_back({st, "[method]input-stream.blocking-read", 2, InBlockingRead});
  f.push_back({st, "[method]input-stream.skip", 2, InSkip});
  f.push_back({st, "[method]input-stream.blocking-skip", 2, InBlockingSkip});
  f.push_back({st, "[method]input-stream.subscribe", 1, InSubscribe});
  f.push_back({st, "[method]output-stream.check-write", 1, OutCheckWrite});
  f.push_back({st, "[method]output-stream.write", 2, OutWrite});
  // Nothing is buffered, so the blocking variants are the plain ones.
  f.push_back(
      {st, "[method]output-stream.blocking-write-and-flush", 2, OutWrite});
  f.push_back({st, "[method]output-stream.flush", 1, OutFlush});
  f.push_back({st, "[method]output-stream.blocking-flush", 1, OutFlush});
  f.push_back({st, "[method]output-stream.subscribe", 1, OutSubscribe});
  f.push_back({st, "[method]output-stream.write-zeroes", 2, OutWriteZeroes});
  f.push_back({st, "[method]output-stream.blocking-write-zeroes-and-flush", 2,
               OutWriteZeroes});
  f.push_back({st, "[method]output-stream.splice", 3,
               [](WasiP2Context& ctx, HostCall& c, Args a, Results& r) {
                 return OutSplice(ctx, c, a, r, false);
               }});
  f.push_back({st, "[method]output-stream.blocking-splice", 3,
               [](WasiP2Context& ctx, HostCall& c, Args a, Results& r) {
                 return OutSplice(ctx, c, a, r, true);
               }});
  d.push_back({err, "error", ObjKind::kError});
  d.push_back({poll, "pollable", ObjKind::kPollable});
  d.push_back({st, "input-stream", ObjKind::kInputStream});
  d.push_back({st, "output-stream", ObjKind::kOutputStream});

  const std::string_view mono = "wasi:clocks/monotonic-clock",
                         wall = "wasi:clocks/wall-clock";
  f.push_back({mono, "now", 0, MonoNow});
  f.push_back({mono, "resolution", 0, MonoResolution});
  f.push_back({mono, "subscribe-instant", 1,
               [](WasiP2Context& ctx, HostCall&, Args a, Results& r) {
                 return Resource(ctx.SubscribeInstant(a[0].u), r);
               }});
  f.push_back({mono, "subscribe-duration", 1,
               [](WasiP2Context& ctx, HostCall&, Args a, Results& r) {
                 return Resource(ctx.SubscribeDuration(a[0].u), r);
               }});
  f.push_back({wall, "now", 0, WallNow});
  f.push_back({wall, "resolution", 0, WallResolution});

  // The insecure variants share the secure source: the kernel's CSPRNG is
  // fast enough, and never worse than asked for.
  f.push_back({"wasi:random/random", "get-random-bytes", 1, RandomBytes});
  f.push_back({"wasi:random/random", "get-random-u64", 0, RandomU64});
  f.push_back(
      {"wasi:random/insecure", "get-insecure-random-bytes", 1, RandomBytes});
  f.push_back(
      {"wasi:random/insecure", "get-insecure-random-u64", 0, RandomU64});
  f.push_back({"wasi:random/insecure-seed", "insecure-seed", 0, InsecureSeed});
}

} // namespace weft::wasip2
