// The thin adapters between Vals and WasiP2Context: one row per WIT
// function or resource drop, collected by AddWasiP2 (wasip2.cpp) and
// Defined on the HostLinker. Each row names its interface without the
// version ("wasi:io/streams"); AddWasiP2 adds the version of the WIT it
// loaded.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "component/host.h"
#include "wasip2/context.h"

namespace weft::wasip2 {

using component::HostCall;
using component::HostDropFn;
using component::HostFn;
using component::Val;
using component::ValKind;

// What an adapter does with a call: `args` already checked to have the
// row's arity, `ctx` the instance's context.
using Adapter = std::optional<Trap> (*)(WasiP2Context& ctx, HostCall& call,
                                        std::span<const Val> args,
                                        std::vector<Val>& results);

struct FuncRow {
  std::string_view interface; // "wasi:io/streams"
  std::string_view name;      // "[method]output-stream.write"
  uint32_t arity;             // the WIT function's parameter count
  Adapter fn;
  // Behind an @unstable gate in the WIT: skipped when the WIT loaded
  // lacks it (wasi:sockets/network.network-error-code).
  bool optional = false;
};

struct DropRow {
  std::string_view interface;
  std::string_view resource; // "output-stream"
  ObjKind kind;              // what its reps are; the drop frees that
};

// io, clocks, random, cli (bind_io.cpp); filesystem (bind_fs.cpp);
// sockets' few hand-written functions (bind_sockets.cpp).
void AppendIoRows(std::vector<FuncRow>& funcs, std::vector<DropRow>& drops);
void AppendCliRows(std::vector<FuncRow>& funcs, std::vector<DropRow>& drops);
void AppendFsRows(std::vector<FuncRow>& funcs, std::vector<DropRow>& drops);
void AppendSocketRows(std::vector<FuncRow>& funcs, std::vector<DropRow>& drops);

// The HostFn of a row: finds the context (a trap without one), checks the
// arity, calls the adapter.
HostFn MakeHostFn(const FuncRow& row);
// The HostDropFn of a drop row (a dropped rep of another kind is ignored:
// the ABI only hands back reps it was given).
HostDropFn MakeDropFn(const DropRow& row);
// Every function of wasi:sockets that has no row fails with access-denied
// (its result is result<_, error-code>) or traps (it has none): built from
// the function's WIT type.
HostFn DeniedSocketFn(std::string name, bool returns_result);

// --- helpers shared by the adapters
// ---------------------------------------------
inline uint32_t Rep(const Val& v) { return static_cast<uint32_t>(v.u); }
inline Val OwnRep(uint32_t rep) { return Val::Own(nullptr, rep); }
// A resource the guest passed: its object, or a trap in `*trap`.
template <typename T>
T* Self(WasiP2Context& ctx, const Val& v, std::optional<Trap>* trap) {
  T* o = ctx.Get<T>(Rep(v));
  if (!o) *trap = WasiP2Context::BadRep(T::kKind, Rep(v));
  return o;
}
// result<T, stream-error> from an outcome; `ok` makes the payload (null:
// result<_, stream-error>). Returns a trap when the outcome is one.
std::optional<Trap> StreamResult(WasiP2Context& ctx, const Failure* failure,
                                 std::optional<Val> ok,
                                 std::vector<Val>& results);
// result<T, error-code> likewise.
std::optional<Trap> FsResult(const Failure* failure, std::optional<Val> ok,
                             std::vector<Val>& results);
Val DatetimeVal(const Datetime& d);

} // namespace weft::wasip2
