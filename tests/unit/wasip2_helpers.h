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

// Whether `v` has the shape of WIT type `t` (what the canonical ABI needs
// to lower it); `why` says where it does not.
inline bool ValMatches(const weft::component::TypeArena& a,
                       weft::component::TypeId t, const Val& v,
                       std::string* why) {
  const auto& ty = a.vals.at(t);
  auto fail = [&](const std::string& m) {
    *why = std::string(weft::component::ValKindName(ty.kind)) + ": " + m;
    return false;
  };
  if (v.kind != ty.kind)
    return fail(std::string("got a ") + weft::component::ValKindName(v.kind));
  switch (ty.kind) {
  case ValKind::List: {
    const ValKind ek = a.vals.at(ty.elem).kind;
    if (ek == ValKind::U8 || ek == ValKind::S8) {
      if (!v.items.empty()) return fail("byte list with items");
      return true;
    }
    for (const Val& e : v.items)
      if (!ValMatches(a, ty.elem, e, why)) return false;
    return true;
  }
  case ValKind::Record:
    if (v.items.size() != ty.fields.size()) return fail("field count");
    for (size_t i = 0; i < ty.fields.size(); ++i)
      if (!ValMatches(a, ty.fields[i].type, v.items[i], why)) return false;
    return true;
  case ValKind::Tuple:
    if (v.items.size() != ty.elems.size()) return fail("element count");
    for (size_t i = 0; i < ty.elems.size(); ++i)
      if (!ValMatches(a, ty.elems[i], v.items[i], why)) return false;
    return true;
  case ValKind::Variant: {
    if (v.u >= ty.cases.size()) return fail("case index");
    const auto& c = ty.cases[v.u];
    if (c.type.has_value() != !v.items.empty()) return fail("payload");
    return !c.type || ValMatches(a, *c.type, v.items[0], why);
  }
  case ValKind::Enum: return v.u < ty.labels.size() ? true : fail("case index");
  case ValKind::Flags:
    return ty.labels.size() >= 64 || v.u < (1ull << ty.labels.size())
               ? true
               : fail("unknown flag bits");
  case ValKind::Option:
    if (v.u > 1 || (v.u == 1) != (v.items.size() == 1)) return fail("payload");
    return v.u == 0 || ValMatches(a, ty.elem, v.items[0], why);
  case ValKind::Result: {
    if (v.u > 1) return fail("case");
    const auto& side = v.u == 0 ? ty.ok : ty.err;
    if (side.has_value() != (v.items.size() == 1)) return fail("payload");
    return !side || ValMatches(a, *side, v.items[0], why);
  }
  default: return true;
  }
}

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
  // Every argument is checked against the WIT parameter types (a test's
  // mistake) unless `check_args` is false, and every result against the
  // result type (the host's mistake).
  P2Result Call(const std::string& fn, std::vector<Val> args,
                bool check_args = true) {
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
    const weft::component::FuncType* ft = nullptr;
    for (const auto& e : iface->type.exports)
      if (e.name == it->first &&
          e.type.kind == weft::component::ExternType::Kind::Func)
        ft = &linker_.types().funcs.at(e.type.id);
    EXPECT_NE(ft, nullptr) << fn;
    if (!ft) return r;
    std::string why;
    if (check_args) {
      EXPECT_EQ(args.size(), ft->params.size()) << fn;
      for (size_t i = 0; i < args.size() && i < ft->params.size(); ++i)
        EXPECT_TRUE(
            ValMatches(linker_.types(), ft->params[i].type, args[i], &why))
            << fn << " argument " << i << ": " << why;
    }
    weft::component::HostCall call{store_, data_};
    r.trap = it->second(call, args, r.results);
    if (!r.trap) {
      EXPECT_EQ(r.results.size(), ft->results.size()) << fn;
      for (size_t i = 0; i < r.results.size() && i < ft->results.size(); ++i)
        EXPECT_TRUE(
            ValMatches(linker_.types(), ft->results[i], r.results[i], &why))
            << fn << " result: " << why;
    }
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
