// Calls WASI 0.2 host functions the way a guest's lowered call does: with
// Vals, through the HostFns that AddWasiP2 defines, on a real context in a
// real Store.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "component/host.h"
#include "runtime/runtime.h"
#include "wasip2/bind.h"
#include "wasip2/context.h"
#include "wasip2/wasip2.h"

namespace weft_test {

using weft::Trap;
using weft::TrapKind;
using weft::component::Val;
using weft::component::ValKind;

struct P2Result {
  std::optional<Trap> trap;
  std::vector<Val> results;
};

class P2Host {
public:
  explicit P2Host(const weft::wasip2::WasiP2Options& options)
      : store_(engine_) {
    auto ctx = weft::wasip2::WasiP2Context::Create(options);
    EXPECT_TRUE(ctx.ok()) << (ctx.ok() ? "" : ctx.error().message);
    if (ctx.ok()) ctx_ = *ctx;
    data_.Set(ctx_);
    std::vector<weft::wasip2::FuncRow> funcs;
    std::vector<weft::wasip2::DropRow> drops;
    weft::wasip2::AppendIoRows(funcs, drops);
    weft::wasip2::AppendCliRows(funcs, drops);
    weft::wasip2::AppendFsRows(funcs, drops);
    weft::wasip2::AppendSocketRows(funcs, drops);
    for (const auto& f : funcs)
      fns_[std::string(f.interface) + "#" + std::string(f.name)] =
          weft::wasip2::MakeHostFn(f);
    for (const auto& d : drops)
      drops_[std::string(d.interface) + "#" + std::string(d.resource)] =
          weft::wasip2::MakeDropFn(d);
  }

  // `fn` is "wasi:io/streams#[method]output-stream.write".
  P2Result Call(const std::string& fn, std::vector<Val> args) {
    P2Result r;
    auto it = fns_.find(fn);
    if (it == fns_.end()) {
      ADD_FAILURE() << "no host function " << fn;
      return r;
    }
    weft::component::HostCall call{store_, data_};
    r.trap = it->second(call, args, r.results);
    return r;
  }
  // The single result of a call that must not trap.
  Val Ok(const std::string& fn, std::vector<Val> args) {
    P2Result r = Call(fn, std::move(args));
    EXPECT_FALSE(r.trap) << fn << " trapped: " << r.trap->message;
    EXPECT_LE(r.results.size(), 1u);
    return r.results.empty() ? Val() : r.results[0];
  }
  void Drop(const std::string& resource, uint32_t rep) {
    auto it = drops_.find(resource);
    ASSERT_NE(it, drops_.end()) << resource;
    it->second(data_, rep);
  }

  weft::wasip2::WasiP2Context& ctx() { return *ctx_; }
  weft::Store& store() { return store_; }

private:
  weft::Engine engine_;
  weft::Store store_;
  std::shared_ptr<weft::wasip2::WasiP2Context> ctx_;
  weft::component::HostData data_;
  std::map<std::string, weft::component::HostFn> fns_;
  std::map<std::string, weft::component::HostDropFn> drops_;
};

inline Val Borrow(uint32_t rep) { return Val::Of(ValKind::Borrow, rep); }
inline Val Borrow(const Val& own) {
  return Borrow(static_cast<uint32_t>(own.u));
}
inline Val Flags(uint32_t bits) { return Val::Of(ValKind::Flags, bits); }

// result<T, E>: whether it is ok, and the payload.
inline bool IsOk(const Val& v) { return v.kind == ValKind::Result && v.u == 0; }
inline const Val& Payload(const Val& v) {
  static const Val none;
  return v.items.empty() ? none : v.items[0];
}

} // namespace weft_test
