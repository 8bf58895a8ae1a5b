// AddWasiP2 on a HostLinker with the embedded WASI 0.2 WIT: every function
// and resource of io, clocks, random, cli, filesystem and sockets is
// defined (so any component importing them links), older 0.2 patch
// versions resolve to it, and wasi:sockets denies everything.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "wasip2_helpers.h"

namespace weft_test {
namespace {

using weft::wasip2::WasiP2Options;

TEST(WasiP2Link, EveryFunctionAndResourceDropIsDefined) {
  P2Host h(WasiP2Options{});
  const auto& types = h.linker().types();
  const std::set<std::string> packages = {"io",  "clocks",     "random",
                                          "cli", "filesystem", "sockets"};
  std::set<std::string> drops, resources;
  size_t funcs = 0, interfaces = 0;
  for (const auto* iface : h.linker().Interfaces()) {
    if (iface->name.ns != "wasi" || !packages.count(iface->name.package))
      continue;
    if (iface->name.Unversioned() == "wasi:cli/run") continue; // the guest's
    ++interfaces;
    for (const auto& [name, fn] : iface->drops)
      drops.insert(name);
    for (const auto& e : iface->type.exports) {
      using Kind = weft::component::ExternType::Kind;
      if (e.type.kind == Kind::Func) {
        ++funcs;
        EXPECT_TRUE(iface->funcs.count(e.name))
            << iface->name.Unversioned() << "#" << e.name << " is not defined";
      } else if (e.type.kind == Kind::Type && e.type.resource) {
        resources.insert(types.resources.at(e.type.id).name);
      }
    }
  }
  EXPECT_GE(interfaces, 25u);
  EXPECT_GE(funcs, 120u);
  for (const std::string& r : resources)
    EXPECT_TRUE(drops.count(r)) << "no drop for resource " << r;
  EXPECT_TRUE(resources.count("descriptor"));
  EXPECT_TRUE(resources.count("tcp-socket"));
}

TEST(WasiP2Link, OlderPatchVersionsResolveToTheHost) {
  P2Host h(WasiP2Options{});
  for (const char* name :
       {"wasi:io/streams@0.2.0", "wasi:io/streams@0.2.10",
        "wasi:filesystem/types@0.2.3", "wasi:cli/terminal-stdout@0.2.12",
        "wasi:sockets/tcp@0.2.0", "wasi:clocks/monotonic-clock@0.2.1"}) {
    const auto* iface = h.linker().Resolve(name);
    ASSERT_NE(iface, nullptr) << name;
    EXPECT_FALSE(iface->funcs.empty()) << name;
  }
  EXPECT_EQ(h.linker().Resolve("wasi:io/streams@0.3.0"), nullptr);
}

TEST(WasiP2Link, SocketsAreDenied) {
  P2Host h(WasiP2Options{});
  Val net = h.Ok("wasi:sockets/instance-network#instance-network", {});
  ASSERT_EQ(net.kind, ValKind::Own);
  auto denied = [](const Val& r) {
    return r.kind == ValKind::Result && r.u == 1 && Payload(r).u == 1;
  };
  // access-denied is case 1 of wasi:sockets/network.error-code
  EXPECT_TRUE(denied(h.Ok("wasi:sockets/tcp-create-socket#create-tcp-socket",
                          {Val::EnumCase(0)})));
  EXPECT_TRUE(denied(h.Ok("wasi:sockets/udp-create-socket#create-udp-socket",
                          {Val::EnumCase(1)})));
  EXPECT_TRUE(denied(h.Ok("wasi:sockets/ip-name-lookup#resolve-addresses",
                          {Borrow(net), Val::Str("localhost")})));
  // Methods of sockets that can never exist: denied or a trap, no crash.
  EXPECT_TRUE(denied(
      h.Ok("wasi:sockets/tcp#[method]tcp-socket.start-listen", {Borrow(7)})));
  P2Result r =
      h.Call("wasi:sockets/tcp#[method]tcp-socket.is-listening", {Borrow(7)});
  ASSERT_TRUE(r.trap);
  EXPECT_NE(r.trap->message.find("not granted"), std::string::npos);
  h.Drop("wasi:sockets/network#network", static_cast<uint32_t>(net.u));
  EXPECT_EQ(h.ctx().live(), 0u);
}

TEST(WasiP2Link, AnInstanceWithoutAContextTraps) {
  weft::component::HostLinker linker;
  ASSERT_TRUE(weft::wasip2::AddWasiP2(linker).ok());
  const auto* iface = linker.Resolve("wasi:cli/stdout@0.2.0");
  ASSERT_NE(iface, nullptr);
  weft::Engine engine;
  weft::Store store(engine);
  weft::component::HostData data; // no WasiP2Context set
  weft::component::HostCall call{store, data};
  std::vector<Val> results;
  auto t = iface->funcs.at("get-stdout")(call, {}, results);
  ASSERT_TRUE(t);
  EXPECT_NE(t->message.find("no WASI 0.2 context"), std::string::npos);
}

} // namespace
} // namespace weft_test
