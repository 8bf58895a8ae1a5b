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
    auto added = weft::wasip2::AddWasiP2(linker_);
    EXPECT_TRUE(added.ok()) << (added.ok() ? "" : added.error().message);
  }

  // `fn` is "wasi:io/streams#[method]output-stream.write".
  // `fn` is "wasi:io/streams#[method]output-stream.write": resolved as a
  // guest's import of that interface at version 0.2.0 would be.
  P2Result Call(const std::string& fn, std::vector<Val> args) {
    P2Result r;
    const size_t hash = fn.find('#');
    const weft::component::HostInterface* iface =
        linker_.Resolve(fn.substr(0, hash) + "@0.2.0");
    if (!iface) {
      ADD_FAILURE() << "no host interface for " << fn;
      return r;
    }
    auto it = iface->funcs.find(fn.substr(hash + 1));
    if (it == iface->funcs.end()) {
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
  // `resource` is "wasi:io/streams#output-stream".
  void Drop(const std::string& resource, uint32_t rep) {
    const size_t hash = resource.find('#');
    const weft::component::HostInterface* iface =
        linker_.Resolve(resource.substr(0, hash) + "@0.2.0");
    ASSERT_NE(iface, nullptr) << resource;
    auto it = iface->drops.find(resource.substr(hash + 1));
    ASSERT_NE(it, iface->drops.end()) << resource;
    it->second(data_, rep);
  }

  weft::wasip2::WasiP2Context& ctx() { return *ctx_; }
  weft::Store& store() { return store_; }
  const weft::component::HostLinker& linker() const { return linker_; }

private:
  weft::Engine engine_;
  weft::Store store_;
  std::shared_ptr<weft::wasip2::WasiP2Context> ctx_;
  weft::component::HostData data_;
  weft::component::HostLinker linker_;
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
