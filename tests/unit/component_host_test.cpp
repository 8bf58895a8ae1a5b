// The host linker: semver parsing and compatibility, interface names, WIT
// loaded into host interfaces (the WASI 0.2.12 set), Resolve picking the
// highest compatible version, Define/DefineDrop checked against the WIT.
#include "component/host.h"

#include <gtest/gtest.h>

#include "component/wit.h"

namespace weft::component {
namespace {

SemVer V(std::string_view s) {
  auto v = SemVer::Parse(s);
  EXPECT_TRUE(v.has_value()) << s;
  return v.value_or(SemVer{});
}

TEST(SemVer, ParsesFullVersions) {
  SemVer v = V("0.2.12");
  EXPECT_EQ(v.major, 0u);
  EXPECT_EQ(v.minor, 2u);
  EXPECT_EQ(v.patch, 12u);
  EXPECT_TRUE(v.pre.empty());
  EXPECT_EQ(v.ToString(), "0.2.12");
  SemVer p = V("0.3.0-rc-2025-09-16");
  EXPECT_EQ(p.pre, "rc-2025-09-16");
  EXPECT_EQ(p.ToString(), "0.3.0-rc-2025-09-16");
  EXPECT_EQ(V("1.0.0-alpha.1+build.5").ToString(), "1.0.0-alpha.1");
  EXPECT_EQ(V("4294967295.0.0").major, 4294967295u);
}

TEST(SemVer, RefusesMalformedVersions) {
  for (const char* s :
       {"", "1", "1.2", "1.2.", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03",
        "a.b.c", "1.2.3-", "1.2.3-01", "1.2.3-a..b", "1.2.3+", "1.2.3 ",
        "-1.2.3", "4294967296.0.0", "1.2.3-a_b", "99999999999.0.0"})
    EXPECT_FALSE(SemVer::Parse(s).has_value()) << s;
}

TEST(SemVer, Compatibility) {
  auto ok = [](const char* want, const char* host) {
    return SemVerCompatible(V(want), V(host));
  };
  EXPECT_TRUE(ok("0.2.10", "0.2.12"));
  EXPECT_TRUE(ok("0.2.12", "0.2.10"));
  EXPECT_TRUE(ok("0.2.0", "0.2.12"));
  EXPECT_FALSE(ok("0.2.12", "0.3.0"));
  EXPECT_FALSE(ok("0.3.0", "0.2.12"));
  EXPECT_TRUE(ok("1.2.0", "1.5.3"));
  EXPECT_TRUE(ok("1.0.0", "1.9.0"));
  EXPECT_FALSE(ok("1.2.0", "2.0.0"));
  EXPECT_TRUE(ok("0.0.3", "0.0.3"));
  EXPECT_FALSE(ok("0.0.3", "0.0.4"));
  // Pre-release tags match only themselves.
  EXPECT_TRUE(ok("0.3.0-rc-2025-09-16", "0.3.0-rc-2025-09-16"));
  EXPECT_FALSE(ok("0.3.0-rc-2025-09-16", "0.3.0-rc-2025-08-15"));
  EXPECT_FALSE(ok("0.3.0-rc-2025-09-16", "0.3.0"));
  EXPECT_FALSE(ok("0.3.0", "0.3.0-rc-2025-09-16"));
  EXPECT_FALSE(ok("1.0.0-draft", "1.0.1-draft"));
}

TEST(InterfaceName, ParsesQualifiedAndPlainNames) {
  auto n = InterfaceName::Parse("wasi:io/streams@0.2.12");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->ns, "wasi");
  EXPECT_EQ(n->package, "io");
  EXPECT_EQ(n->interface, "streams");
  ASSERT_TRUE(n->version);
  EXPECT_EQ(n->version->ToString(), "0.2.12");
  EXPECT_EQ(n->Unversioned(), "wasi:io/streams");
  auto u = InterfaceName::Parse("local:demo/host");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->version);
  auto plain = InterfaceName::Parse("run");
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->ns.empty());
  EXPECT_EQ(plain->interface, "run");
  EXPECT_EQ(plain->Unversioned(), "run");
  for (const char* bad :
       {"", "wasi:io", "wasi:io/", ":io/streams", "wasi:/streams",
        "wasi:io/streams@", "wasi:io/streams@0.2", "Wasi_x:io/streams",
        "wasi:io/str eams", "wasi:io/streams@0.2.12@1.0.0", "a-", "-a",
        "wasi:io/a/b"})
    EXPECT_FALSE(InterfaceName::Parse(bad).has_value()) << bad;
}

TEST(HostLinker, LoadsEveryWasiInterface) {
  HostLinker l;
  auto r = AddWasi02Wit(l);
  ASSERT_TRUE(r.ok()) << r.error().message;
  std::set<std::string> names;
  for (const HostInterface* hi : l.Interfaces())
    names.insert(hi->name.Unversioned() + "@" + hi->name.version->ToString());
  for (const char* n : {"wasi:io/streams@0.2.12",
                        "wasi:io/poll@0.2.12",
                        "wasi:io/error@0.2.12",
                        "wasi:clocks/monotonic-clock@0.2.12",
                        "wasi:clocks/wall-clock@0.2.12",
                        "wasi:random/random@0.2.12",
                        "wasi:random/insecure@0.2.12",
                        "wasi:random/insecure-seed@0.2.12",
                        "wasi:cli/environment@0.2.12",
                        "wasi:cli/exit@0.2.12",
                        "wasi:cli/run@0.2.12",
                        "wasi:cli/stdout@0.2.12",
                        "wasi:cli/terminal-stderr@0.2.12",
                        "wasi:filesystem/types@0.2.12",
                        "wasi:filesystem/preopens@0.2.12",
                        "wasi:sockets/tcp@0.2.12",
                        "wasi:sockets/network@0.2.12",
                        "wasi:http/types@0.2.12",
                        "wasi:http/outgoing-handler@0.2.12",
                        "wasi:http/incoming-handler@0.2.12"})
    EXPECT_TRUE(names.count(n)) << n;
  EXPECT_FALSE(names.count("wasi:clocks/timezone@0.2.12")); // @unstable
  // The instance type of stdout: the resource and the function, with the
  // resource index wasi:io/streams defines.
  const HostInterface* out = l.Resolve("wasi:cli/stdout@0.2.12");
  const HostInterface* streams = l.Resolve("wasi:io/streams@0.2.12");
  ASSERT_TRUE(out && streams);
  ASSERT_EQ(out->type.exports.size(), 2u);
  EXPECT_EQ(out->type.exports[0].name, "output-stream");
  EXPECT_TRUE(out->type.exports[0].type.resource);
  EXPECT_EQ(out->type.exports[1].name, "get-stdout");
  ASSERT_EQ(out->type.exports[1].type.kind, ExternType::Kind::Func);
  const FuncType& f = l.types().funcs[out->type.exports[1].type.id];
  ASSERT_EQ(f.results.size(), 1u);
  const ValType& own = l.types().vals[f.results[0]];
  EXPECT_EQ(own.kind, ValKind::Own);
  uint32_t res = ~0u;
  for (const NamedExtern& e : streams->type.exports)
    if (e.name == "output-stream") res = e.type.id;
  EXPECT_EQ(own.resource, res);
  EXPECT_EQ(out->type.exports[0].type.id, res);
  EXPECT_EQ(l.types().resources[res].name, "output-stream");
}

const char* kOld =
    "package my:kv@0.2.3;\ninterface store { get: func(k: string) "
    "-> option<string>; }";
const char* kNew =
    "package my:kv@0.2.9;\ninterface store { get: func(k: string) "
    "-> option<string>; }";
const char* kNext = "package my:kv@0.3.0;\ninterface store { get: func(k: "
                    "string) -> option<string>; }";

TEST(HostLinker, ResolvePicksTheHighestCompatibleVersion) {
  HostLinker l;
  ASSERT_TRUE(l.AddWit(kNew, "new.wit").ok());
  ASSERT_TRUE(l.AddWit(kOld, "old.wit").ok());
  ASSERT_TRUE(l.AddWit(kNext, "next.wit").ok());
  auto ver = [&](const char* import) -> std::string {
    const HostInterface* hi = l.Resolve(import);
    return hi ? hi->name.version->ToString() : "none";
  };
  EXPECT_EQ(ver("my:kv/store@0.2.0"), "0.2.9");
  EXPECT_EQ(ver("my:kv/store@0.2.3"), "0.2.9");
  EXPECT_EQ(ver("my:kv/store@0.2.12"), "0.2.9");
  EXPECT_EQ(ver("my:kv/store@0.3.1"), "0.3.0");
  EXPECT_EQ(ver("my:kv/store@0.4.0"), "none");
  EXPECT_EQ(ver("my:kv/store@1.0.0"), "none");
  EXPECT_EQ(ver("my:kv/store"), "none"); // no unversioned host package
  EXPECT_EQ(ver("my:kv/other@0.2.3"), "none");
  EXPECT_EQ(ver("my:kvs/store@0.2.3"), "none");
  EXPECT_EQ(ver("not a name"), "none");
  EXPECT_EQ(ver("store"), "none");
  // The same package and version twice is refused.
  auto again = l.AddWit(kOld, "again.wit");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message,
            "again.wit:1:1: error: package `my:kv@0.2.3` is already defined");
  // An unversioned host package answers unversioned imports only.
  ASSERT_TRUE(l.AddWit("package my:kv; interface store {}", "u.wit").ok());
  EXPECT_TRUE(l.Resolve("my:kv/store"));
  EXPECT_FALSE(l.Resolve("my:kv/store")->name.version);
  // WASI: 0.2.x imports all land on 0.2.12.
  ASSERT_TRUE(AddWasi02Wit(l).ok());
  EXPECT_EQ(ver("wasi:http/types@0.2.10"), "0.2.12");
  EXPECT_EQ(ver("wasi:io/streams@0.2.0"), "0.2.12");
  EXPECT_EQ(ver("wasi:io/streams@0.3.0"), "none");
}

TEST(HostLinker, DefineChecksTheWit) {
  HostLinker l;
  ASSERT_TRUE(AddWasi02Wit(l).ok());
  HostFn fn = [](HostCall&, std::span<const Val>, std::vector<Val>&) {
    return std::optional<Trap>();
  };
  EXPECT_TRUE(l.Define("wasi:cli/stdout@0.2.12", "get-stdout", fn).ok());
  EXPECT_TRUE(l.Define("wasi:io/streams@0.2.12",
                       "[method]output-stream.blocking-write-and-flush", fn)
                  .ok());
  auto unknown = l.Define("wasi:cli/stdout@0.2.12", "get-stdin", fn);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message,
            "interface `wasi:cli/stdout@0.2.12` has no function `get-stdin`");
  // A type is not a function.
  EXPECT_FALSE(l.Define("wasi:cli/stdout@0.2.12", "output-stream", fn).ok());
  auto no_iface = l.Define("wasi:cli/stdout@0.2.11", "get-stdout", fn);
  ASSERT_FALSE(no_iface.ok());
  EXPECT_EQ(no_iface.error().message,
            "no WIT interface `wasi:cli/stdout@0.2.11` has been added");
  const HostInterface* out = l.Resolve("wasi:cli/stdout@0.2.12");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->funcs.size(), 1u);
  EXPECT_TRUE(out->funcs.count("get-stdout"));

  HostDropFn drop = [](HostData&, uint32_t) {};
  EXPECT_TRUE(
      l.DefineDrop("wasi:io/streams@0.2.12", "output-stream", drop).ok());
  EXPECT_EQ(l.Resolve("wasi:io/streams@0.2.12")->drops.count("output-stream"),
            1u);
  auto used = l.DefineDrop("wasi:cli/stdout@0.2.12", "output-stream", drop);
  ASSERT_FALSE(used.ok());
  EXPECT_EQ(used.error().message,
            "resource `output-stream` of `wasi:cli/stdout@0.2.12` is defined "
            "by `wasi:io/streams@0.2.12`: define its drop there");
  EXPECT_FALSE(
      l.DefineDrop("wasi:io/streams@0.2.12", "stream-error", drop).ok());
}

TEST(HostLinker, BadWitIsAnErrorAndChangesNothing) {
  HostLinker l;
  auto r = l.AddWit("package a:b;\ninterface i { f: func() -> x; }", "bad.wit");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "bad.wit:2:28: error: type `x` is not defined");
  EXPECT_TRUE(l.Interfaces().empty());
  EXPECT_TRUE(l.types().funcs.empty());
}

} // namespace
} // namespace weft::component
