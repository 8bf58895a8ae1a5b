// The WIT parser and resolver: the WASI 0.2.12 packages parse whole and
// yield their real signatures; the language's features (use across
// packages, renames, resources, gates, worlds, include, nested packages);
// malformed WIT with its error text and position.
#include "component/wit.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace weft::component::wit {
namespace {

const Function* Func(const Interface& i, std::string_view name) {
  for (const Function& f : i.funcs)
    if (f.name == name) return &f;
  return nullptr;
}

const TypeDef* Type(const Interface& i, std::string_view name) {
  for (const TypeDef& t : i.types)
    if (t.name == name) return &t;
  return nullptr;
}

// "name: func(...) -> ..." of a function of `iface`, or "" if absent.
std::string Sig(const Resolve& r, std::string_view iface,
                std::string_view func) {
  const Interface* i = r.FindInterface(iface);
  if (!i) return "no interface " + std::string(iface);
  const Function* f = Func(*i, func);
  if (!f) return "no function " + std::string(func);
  return std::string(func) + ": " + r.FuncText(r.arena().funcs[f->type]);
}

Resolve Wasi() {
  Resolve r;
  std::vector<SourceFile> files;
  for (const EmbeddedWit& f : Wasi02WitFiles())
    files.push_back(SourceFile{f.text, f.name});
  auto added = r.Add(files);
  EXPECT_TRUE(added.ok()) << added.error().message;
  return r;
}

TEST(Wit, EmbeddedWasiFilesAreTheSevenPackages) {
  auto files = Wasi02WitFiles();
  ASSERT_EQ(files.size(), 7u);
  EXPECT_STREQ(files[0].name, "wasi-0.2/io.wit");
  EXPECT_TRUE(files[0].text.starts_with("package wasi:io@0.2.12;"));
  for (const EmbeddedWit& f : files)
    EXPECT_GT(f.text.size(), 100u) << f.name;
}

TEST(Wit, EveryWasiPackageParsesAndResolves) {
  Resolve r = Wasi();
  std::vector<std::string> names;
  for (const Package& p : r.packages())
    names.push_back(p.Name());
  EXPECT_EQ(names,
            (std::vector<std::string>{
                "wasi:io@0.2.12", "wasi:clocks@0.2.12", "wasi:random@0.2.12",
                "wasi:filesystem@0.2.12", "wasi:sockets@0.2.12",
                "wasi:cli@0.2.12", "wasi:http@0.2.12"}));
  // A few counts from the files themselves.
  EXPECT_EQ(r.packages()[0].interfaces.size(), 3u); // error, poll, streams
  EXPECT_EQ(r.packages()[5].interfaces.size(), 11u);
  for (const Interface& i : r.interfaces())
    EXPECT_EQ(i.type.exports.size(), i.types.size() + i.funcs.size());
}

TEST(Wit, OutputStreamWriteHasItsRealSignature) {
  Resolve r = Wasi();
  EXPECT_EQ(Sig(r, "wasi:io/streams@0.2.12", "[method]output-stream.write"),
            "[method]output-stream.write: func(self: borrow<output-stream>, "
            "contents: list<u8>) -> result<_, stream-error>");
  EXPECT_EQ(Sig(r, "wasi:io/streams@0.2.12", "[method]input-stream.read"),
            "[method]input-stream.read: func(self: borrow<input-stream>, len: "
            "u64) -> result<list<u8>, stream-error>");
  EXPECT_EQ(Sig(r, "wasi:io/poll@0.2.12", "poll"),
            "poll: func(in: list<borrow<pollable>>) -> list<u32>");
  EXPECT_EQ(Sig(r, "wasi:io/streams@0.2.12", "[method]output-stream.subscribe"),
            "[method]output-stream.subscribe: func(self: borrow<output-stream>)"
            " -> pollable");
}

TEST(Wit, StreamErrorIsAVariantOverTheErrorResource) {
  Resolve r = Wasi();
  const Interface* streams = r.FindInterface("wasi:io/streams@0.2.12");
  const Interface* error = r.FindInterface("wasi:io/error@0.2.12");
  ASSERT_TRUE(streams && error);
  const TypeDef* se = Type(*streams, "stream-error");
  ASSERT_TRUE(se);
  ASSERT_FALSE(se->type.resource);
  const ValType& v = r.arena().vals[se->type.id];
  ASSERT_EQ(v.kind, ValKind::Variant);
  ASSERT_EQ(v.cases.size(), 2u);
  EXPECT_EQ(v.cases[0].name, "last-operation-failed");
  ASSERT_TRUE(v.cases[0].type);
  const ValType& payload = r.arena().vals[*v.cases[0].type];
  EXPECT_EQ(payload.kind, ValKind::Own);
  const TypeDef* err = Type(*error, "error");
  ASSERT_TRUE(err && err->type.resource);
  EXPECT_EQ(payload.resource, err->type.id);
  // The `use`d `error` in streams is that resource, not a copy.
  const TypeDef* used = Type(*streams, "error");
  ASSERT_TRUE(used);
  EXPECT_EQ(used->type.id, err->type.id);
  EXPECT_TRUE(used->used_from.has_value());
  EXPECT_EQ(v.cases[1].name, "closed");
  EXPECT_FALSE(v.cases[1].type);
  EXPECT_EQ(r.arena().resources[err->type.id].name, "error");
  EXPECT_EQ(r.ResourceOwner(err->type.id),
            std::optional<uint32_t>(r.packages()[0].interfaces.at("error")));
}

TEST(Wit, DescriptorFlagsIsFlags) {
  Resolve r = Wasi();
  const Interface* t = r.FindInterface("wasi:filesystem/types@0.2.12");
  ASSERT_TRUE(t);
  const TypeDef* df = Type(*t, "descriptor-flags");
  ASSERT_TRUE(df);
  const ValType& v = r.arena().vals[df->type.id];
  ASSERT_EQ(v.kind, ValKind::Flags);
  EXPECT_EQ(v.labels.front(), "read");
  EXPECT_EQ(v.labels.size(), 6u);
  EXPECT_EQ(Sig(r, "wasi:filesystem/types@0.2.12", "[method]descriptor.stat"),
            "[method]descriptor.stat: func(self: borrow<descriptor>) -> "
            "result<descriptor-stat, error-code>");
  // datetime comes from wasi:clocks by `use`.
  const TypeDef* dt = Type(*t, "datetime");
  ASSERT_TRUE(dt && dt->used_from);
  EXPECT_EQ(r.InterfaceName(*dt->used_from), "wasi:clocks/wall-clock@0.2.12");
}

TEST(Wit, StdoutReturnsTheSameOutputStreamResource) {
  Resolve r = Wasi();
  const Interface* out = r.FindInterface("wasi:cli/stdout@0.2.12");
  const Interface* streams = r.FindInterface("wasi:io/streams@0.2.12");
  ASSERT_TRUE(out && streams);
  const Function* f = Func(*out, "get-stdout");
  ASSERT_TRUE(f);
  const FuncType& ft = r.arena().funcs[f->type];
  ASSERT_TRUE(ft.params.empty());
  ASSERT_EQ(ft.results.size(), 1u);
  const ValType& res = r.arena().vals[ft.results[0]];
  EXPECT_EQ(res.kind, ValKind::Own);
  const TypeDef* os = Type(*streams, "output-stream");
  ASSERT_TRUE(os && os->type.resource);
  EXPECT_EQ(res.resource, os->type.id);
  // And the instance type exports it as a resource.
  bool exported = false;
  for (const NamedExtern& e : out->type.exports)
    if (e.name == "output-stream")
      exported = e.type.kind == ExternType::Kind::Type && e.type.resource &&
                 e.type.id == os->type.id;
  EXPECT_TRUE(exported);
  EXPECT_EQ(out->uses,
            std::vector<uint32_t>{r.packages()[0].interfaces.at("streams")});
}

TEST(Wit, ResourceConstructorsMethodsAndStatics) {
  Resolve r = Wasi();
  const char* http = "wasi:http/types@0.2.12";
  EXPECT_EQ(Sig(r, http, "[constructor]fields"),
            "[constructor]fields: func() -> fields");
  EXPECT_EQ(Sig(r, http, "[constructor]outgoing-response"),
            "[constructor]outgoing-response: func(headers: fields) -> "
            "outgoing-response");
  EXPECT_EQ(Sig(r, http, "[static]outgoing-body.finish"),
            "[static]outgoing-body.finish: func(this: outgoing-body, "
            "trailers: option<fields>) -> result<_, error-code>");
  // (`headers` and `trailers` are aliases of the resource `fields`: the
  // same resource, so they print as it.)
  EXPECT_EQ(Sig(r, http, "[method]incoming-body.stream"),
            "[method]incoming-body.stream: func(self: borrow<incoming-body>) "
            "-> result<input-stream>");
  EXPECT_EQ(Sig(r, http, "[method]future-trailers.get"),
            "[method]future-trailers.get: func(self: borrow<future-trailers>) "
            "-> option<result<result<option<fields>, error-code>>>");
  // `use wasi:io/error@0.2.12.{error as io-error}`: renamed, same resource.
  const Interface* t = r.FindInterface(http);
  const Interface* e = r.FindInterface("wasi:io/error@0.2.12");
  ASSERT_TRUE(t && e);
  const TypeDef* ioe = Type(*t, "io-error");
  ASSERT_TRUE(ioe);
  EXPECT_EQ(ioe->type.id, Type(*e, "error")->type.id);
  EXPECT_EQ(Type(*t, "error"), nullptr);
  // `type headers = fields`: an alias of a resource is that resource.
  const TypeDef* headers = Type(*t, "headers");
  ASSERT_TRUE(headers && headers->type.resource);
  EXPECT_EQ(headers->type.id, Type(*t, "fields")->type.id);
}

TEST(Wit, UnstableItemsAreLeftOutUnlessEnabled) {
  Resolve r = Wasi();
  EXPECT_EQ(r.FindInterface("wasi:clocks/timezone@0.2.12"), nullptr);
  const Interface* net = r.FindInterface("wasi:sockets/network@0.2.12");
  ASSERT_TRUE(net);
  EXPECT_EQ(Func(*net, "network-error-code"), nullptr);
  EXPECT_EQ(Type(*net, "error"), nullptr);
  const Interface* t = r.FindInterface("wasi:http/types@0.2.12");
  EXPECT_EQ(Func(*t, "[method]response-outparam.send-informational"), nullptr);

  Options o;
  o.features = {"clocks-timezone", "network-error-code"};
  Resolve all(o);
  std::vector<SourceFile> files;
  for (const EmbeddedWit& f : Wasi02WitFiles())
    files.push_back(SourceFile{f.text, f.name});
  ASSERT_TRUE(all.Add(files).ok());
  const Interface* tz = all.FindInterface("wasi:clocks/timezone@0.2.12");
  ASSERT_TRUE(tz);
  EXPECT_EQ(tz->gate.unstable, "clocks-timezone");
  EXPECT_EQ(Sig(all, "wasi:clocks/timezone@0.2.12", "display"),
            "display: func(when: datetime) -> timezone-display");
  EXPECT_NE(Func(*all.FindInterface("wasi:sockets/network@0.2.12"),
                 "network-error-code"),
            nullptr);
  const World* imports = all.FindWorld("wasi:clocks/imports@0.2.12");
  ASSERT_TRUE(imports);
  EXPECT_EQ(imports->imports.size(), 4u); // + wasi:io/poll, timezone
}

std::vector<std::string> Names(const std::vector<WorldItem>& items) {
  std::vector<std::string> v;
  for (const WorldItem& i : items)
    v.push_back(i.name);
  return v;
}

TEST(Wit, WorldsIncludeAndImportWhatTheyUse) {
  Resolve r = Wasi();
  const World* cmd = r.FindWorld("wasi:cli/command@0.2.12");
  ASSERT_TRUE(cmd);
  EXPECT_EQ(Names(cmd->exports),
            std::vector<std::string>{"wasi:cli/run@0.2.12"});
  auto imports = Names(cmd->imports);
  auto pos = [&](std::string_view n) {
    return std::find(imports.begin(), imports.end(), n) - imports.begin();
  };
  for (const char* n :
       {"wasi:io/poll@0.2.12", "wasi:io/error@0.2.12", "wasi:io/streams@0.2.12",
        "wasi:clocks/monotonic-clock@0.2.12", "wasi:filesystem/types@0.2.12",
        "wasi:sockets/tcp@0.2.12", "wasi:random/insecure-seed@0.2.12",
        "wasi:cli/stdout@0.2.12", "wasi:cli/terminal-stderr@0.2.12"})
    EXPECT_LT(pos(n), static_cast<long>(imports.size())) << n;
  // Every interface once, and what one uses before it.
  std::set<std::string> unique(imports.begin(), imports.end());
  EXPECT_EQ(unique.size(), imports.size());
  EXPECT_LT(pos("wasi:io/error@0.2.12"), pos("wasi:io/streams@0.2.12"));
  EXPECT_LT(pos("wasi:io/streams@0.2.12"), pos("wasi:cli/stdout@0.2.12"));
  EXPECT_LT(pos("wasi:cli/terminal-output@0.2.12"),
            pos("wasi:cli/terminal-stdout@0.2.12"));
  // The component type mirrors the items.
  const ComponentType& ct = r.arena().components[cmd->component];
  EXPECT_EQ(ct.imports.size(), cmd->imports.size());
  EXPECT_EQ(ct.imports[0].type.kind, ExternType::Kind::Instance);

  const World* proxy = r.FindWorld("wasi:http/proxy@0.2.12");
  ASSERT_TRUE(proxy);
  EXPECT_EQ(Names(proxy->exports),
            std::vector<std::string>{"wasi:http/incoming-handler@0.2.12"});
  auto pi = Names(proxy->imports);
  // incoming-handler uses types, an import though only exports name it.
  EXPECT_NE(std::find(pi.begin(), pi.end(), "wasi:http/types@0.2.12"),
            pi.end());
}

TEST(Wit, LanguageFeatures) {
  const char* dep = R"(
package my:dep@1.0.0;
interface shared {
  record point { x: s32, y: s32 }
  resource thing;
}
)";
  const char* main = R"(
/// The demo package.
package local:demo;

use my:dep/shared@1.0.0 as sh;

interface api {
  use sh.{point, thing as item};
  use types.{size};
  /// Moves a point.
  move: func(p: point, by: size) -> point;
  take: func(t: item) -> borrow<item>;
  fixed: func() -> list<u8, 4>;
  named: func() -> tuple<string, option<u64>, result, result<s8>, result<_, bool>>;
  async-one: async func(s: stream<u8>, f: future) -> future<string>;
  dict: func(m: map<string, u32>) -> bool;
  %variant: func(%enum: s32);
  resource blob {
    constructor(init: list<u8>) -> result<blob, string>;
    %read: func(n: u32) -> list<u8>;
    merge: static func(lhs: borrow<blob>, rhs: borrow<blob>) -> blob;
  }
}

interface types {
  type size = u32;
  enum color { red, GREEN-B2 }
  flags perms { r, w }
  variant v { a, b(size) }
}

world w {
  import api;
  use types.{color};
  type id = u64;
  import log: func(msg: string, c: color, i: id);
  export run: func() -> result;
  export inline: interface {
    use api.{blob};
    get: func() -> blob;
  }
  export named: types;
}

world w2 {
  include w with { log as log2 };
  export extra: func();
}
)";
  Resolve r;
  ASSERT_TRUE(r.AddFile(dep, "dep.wit").ok());
  auto added = r.AddFile(main, "main.wit");
  ASSERT_TRUE(added.ok()) << added.error().message;
  const Package& p = r.packages()[added->at(0)];
  EXPECT_EQ(p.Name(), "local:demo");
  EXPECT_EQ(p.docs, "The demo package.\n");
  const Interface* api = r.FindInterface("local:demo/api");
  ASSERT_TRUE(api);
  EXPECT_EQ(Sig(r, "local:demo/api", "move"),
            "move: func(p: point, by: size) -> point");
  EXPECT_EQ(Func(*api, "move")->docs, "Moves a point.\n");
  EXPECT_EQ(Sig(r, "local:demo/api", "take"),
            "take: func(t: thing) -> borrow<thing>");
  EXPECT_EQ(Sig(r, "local:demo/api", "fixed"), "fixed: func() -> list<u8, 4>");
  EXPECT_EQ(Sig(r, "local:demo/api", "named"),
            "named: func() -> tuple<string, option<u64>, result, result<s8>, "
            "result<_, bool>>");
  EXPECT_EQ(Sig(r, "local:demo/api", "async-one"),
            "async-one: async func(s: stream<u8>, f: future) -> "
            "future<string>");
  EXPECT_EQ(Sig(r, "local:demo/api", "dict"),
            "dict: func(m: list<tuple<string, u32>>) -> bool");
  EXPECT_EQ(Sig(r, "local:demo/api", "variant"), "variant: func(enum: s32)");
  EXPECT_EQ(Sig(r, "local:demo/api", "[constructor]blob"),
            "[constructor]blob: func(init: list<u8>) -> result<blob, string>");
  EXPECT_EQ(Sig(r, "local:demo/api", "[method]blob.read"),
            "[method]blob.read: func(self: borrow<blob>, n: u32) -> list<u8>");
  EXPECT_EQ(Sig(r, "local:demo/api", "[static]blob.merge"),
            "[static]blob.merge: func(lhs: borrow<blob>, rhs: borrow<blob>) "
            "-> blob");
  // The record comes from the other package: the same type.
  const Interface* shared = r.FindInterface("my:dep/shared@1.0.0");
  ASSERT_TRUE(shared);
  EXPECT_EQ(Type(*api, "point")->type.id, Type(*shared, "point")->type.id);
  EXPECT_EQ(Type(*api, "item")->type.id, Type(*shared, "thing")->type.id);
  // The alias of a primitive is a named u32.
  const Interface* types = r.FindInterface("local:demo/types");
  const ValType& size = r.arena().vals[Type(*types, "size")->type.id];
  EXPECT_EQ(size.kind, ValKind::U32);
  EXPECT_EQ(r.arena().vals[Type(*types, "color")->type.id].labels,
            (std::vector<std::string>{"red", "GREEN-B2"}));

  const World* w = r.FindWorld("local:demo/w");
  ASSERT_TRUE(w);
  EXPECT_EQ(Names(w->imports),
            (std::vector<std::string>{"local:demo/types", "color", "id",
                                      "my:dep/shared@1.0.0", "local:demo/api",
                                      "log"}));
  EXPECT_EQ(Names(w->exports),
            (std::vector<std::string>{"run", "inline", "named"}));
  const Interface& inl = r.interfaces()[w->exports[1].index];
  EXPECT_TRUE(inl.name.empty());
  EXPECT_EQ(r.FuncText(r.arena().funcs[Func(inl, "get")->type]),
            "func() -> blob");
  const World* w2 = r.FindWorld("local:demo/w2");
  ASSERT_TRUE(w2);
  auto i2 = Names(w2->imports);
  EXPECT_NE(std::find(i2.begin(), i2.end(), "log2"), i2.end());
  EXPECT_EQ(std::find(i2.begin(), i2.end(), "log"), i2.end());
  EXPECT_EQ(Names(w2->exports),
            (std::vector<std::string>{"run", "inline", "named", "extra"}));
}

TEST(Wit, NestedPackagesAndFilesOfOnePackage) {
  const char* nested = R"(
package local:root;
interface main { use local:inner/i.{t}; f: func() -> t; }
package local:inner {
  interface i { type t = string; }
}
)";
  Resolve r;
  auto a = r.AddFile(nested, "nested.wit");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->size(), 2u);
  EXPECT_EQ(Sig(r, "local:root/main", "f"), "f: func() -> t");

  // Two files of one package; the second has no `package` line and is
  // used by the first before it is seen.
  std::vector<SourceFile> files = {
      {"package local:split@0.1.0;\ninterface a { use b.{x}; g: func(v: x); }",
       "a.wit"},
      {"interface b { record x { f: bool } }", "b.wit"}};
  auto s = r.Add(files);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(Sig(r, "local:split/a@0.1.0", "g"), "g: func(v: x)");
}

TEST(Wit, SinceAndDeprecatedAreRecorded) {
  const char* src = R"(
package local:g@0.2.2;
/// Line one.
/// Line two.
@since(version = 0.2.0)
interface foo {
  /** A block doc. */
  @since(version = 0.2.0)
  resource r;
  // not a doc
  //// not a doc either
  @since(version = 0.2.0)
  type bh = borrow<r>;
  @since(version = 0.2.0)
  type n = u64;
  @since(version = 0.2.1)
  h: func(x: bh, y: n, z: borrow<r>) -> option<n>;
  @since(version = 0.2.1)
  b: func();
  @since(version = 0.2.0)
  @deprecated(version = 0.2.2)
  e: func();
  @unstable(feature = fancy)
  d: func();
}
)";
  Resolve r;
  auto added = r.AddFile(src, "g.wit");
  ASSERT_TRUE(added.ok()) << added.error().message;
  const Interface* foo = r.FindInterface("local:g/foo@0.2.2");
  ASSERT_TRUE(foo);
  EXPECT_EQ(foo->gate.since->ToString(), "0.2.0");
  EXPECT_EQ(foo->docs, "Line one.\nLine two.\n");
  EXPECT_EQ(Type(*foo, "r")->docs, " A block doc. \n");
  EXPECT_EQ(Type(*foo, "bh")->docs, "");
  // Aliases of shared types (a handle, a primitive) get their own name;
  // the type is still structurally the same.
  EXPECT_EQ(Sig(r, "local:g/foo@0.2.2", "h"),
            "h: func(x: bh, y: n, z: borrow<r>) -> option<n>");
  const TypeArena& t = r.arena();
  const FuncType& h = t.funcs[Func(*foo, "h")->type];
  EXPECT_NE(h.params[0].type, h.params[2].type);
  EXPECT_TRUE(ValTypesEqual(t, h.params[0].type, t, h.params[2].type));
  EXPECT_EQ(Func(*foo, "b")->gate.since->ToString(), "0.2.1");
  EXPECT_EQ(Func(*foo, "e")->gate.deprecated->ToString(), "0.2.2");
  EXPECT_EQ(Func(*foo, "d"), nullptr);
  EXPECT_EQ(foo->funcs.size(), 3u);
}

TEST(Wit, AFailedAddChangesNothing) {
  Resolve r;
  ASSERT_TRUE(
      r.AddFile("package a:b; interface i { type t = u8; }", "1.wit").ok());
  size_t vals = r.arena().vals.size();
  auto bad = r.AddFile(
      "package a:c; interface j { type u = list<u8>; f: func() -> nope; }",
      "2.wit");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(r.packages().size(), 1u);
  EXPECT_EQ(r.interfaces().size(), 1u);
  EXPECT_EQ(r.arena().vals.size(), vals);
  // And the same package name is refused a second time.
  auto again = r.AddFile("package a:b; interface k { }", "3.wit");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message,
            "3.wit:1:1: error: package `a:b` is already defined");
}

struct BadCase {
  const char* text;
  const char* error;
};

TEST(Wit, MalformedWitIsRefusedWithPosition) {
  const BadCase cases[] = {
      {"interface i {}", "t.wit:1:1: error: missing `package` declaration "
                         "(e.g. `package local:demo;`)"},
      {"package a:b;\ninterface i {\n  f: func() -> nope;\n}",
       "t.wit:3:16: error: type `nope` is not defined"},
      {"package a:b;\ninterface i { type t = u32; type t = u64; }",
       "t.wit:2:34: error: `t` is defined more than once"},
      {"package a:b;\ninterface i { type foo = foo; }",
       "t.wit:2:20: error: type `foo` refers to itself"},
      {"package a:b;\ninterface i {\n  record r1 { a: r2 }\n  record r2 { "
       "a: r1 }\n}",
       "t.wit:3:10: error: type `r1` refers to itself"},
      {"package a:b;\ninterface i { use j.{t}; }\ninterface j { use i.{u}; }",
       "t.wit:3:19: error: interface `i` depends on itself (through `use`)"},
      {"package a:b;\ninterface i { f: func(x: u32, x: u8); }",
       "t.wit:2:31: error: duplicate parameter `x`"},
      {"package a:b;\ninterface i { record r { } }",
       "t.wit:2:22: error: record `r` has no fields"},
      {"package a:b;\ninterface i { type T = u8; type t = u8; }",
       "t.wit:2:33: error: `t` is defined more than once"},
      {"package a:b;\ninterface i { f: func(); F: func(); }",
       "t.wit:2:26: error: `F` is defined more than once"},
      {"package a:b;\ninterface i { record r { a: u8, A: u8 } }",
       "t.wit:2:33: error: duplicate field `A`"},
      {"package a:b;\nworld w { import f: func(); import F: func(); }",
       "t.wit:2:29: error: import `F` is defined more than once"},
      {"package a:b;\nworld w { import f: func(); export f: func(); }",
       ""}, // imports and exports are separate scopes
      {"package a:b;\ninterface i { enum e { a, a } }",
       "t.wit:2:27: error: duplicate case `a`"},
      {"package a:b;\ninterface i { f: func() -> borrow<u32>; }",
       "t.wit:2:35: error: expected a resource name, found keyword `u32`"},
      {"package a:b;\ninterface i { type t = u8; f: func() -> borrow<t>; }",
       "t.wit:2:41: error: borrow<t> needs a resource; `t` is not one"},
      {"package a:b;\ninterface i { resource r { constructor(); "
       "constructor(); } }",
       "t.wit:2:43: error: resource `r` has more than one constructor"},
      {"package a:b;\ninterface i { resource r { constructor() -> u32; } }",
       "t.wit:2:45: error: a constructor of `r` returns `r` or `result<r, "
       "E>`"},
      {"package a:b;\ninterface i { use wasi:io/streams@0.2.12.{x}; }",
       "t.wit:2:19: error: package `wasi:io@0.2.12` is not known"},
      {"package a:b;\ninterface i { use j.{t}; }",
       "t.wit:2:19: error: interface `j` is not defined in package `a:b`"},
      {"package a:b;\ninterface i {}\ninterface j { use i.{t}; }",
       "t.wit:3:22: error: type `t` is not defined in interface `i`"},
      {"package a:b@1.0;", "t.wit:1:13: error: invalid version `1.0` "
                           "(expected semver such as 0.2.12)"},
      {"package a:b;\ninterface i { Foo_bar: func(); }",
       "t.wit:2:15: error: `Foo_bar` is not a valid identifier (kebab-case "
       "words of lowercase or uppercase letters and digits)"},
      {"package a:b;\ninterface i { fOo: func(); }",
       "t.wit:2:15: error: `fOo` is not a valid identifier (kebab-case words "
       "of lowercase or uppercase letters and digits)"},
      {"package a:b;\ninterface i { record: func(); }",
       "t.wit:2:21: error: expected a type name, found `:`"},
      {"package a:b;\ninterface i { f: func() }",
       "t.wit:2:25: error: expected `;`, found `}`"},
      {"package a:b;\ninterface i { f: func(); ", "t.wit:2:26: error: expected "
                                                  "`}`, found end of file"},
      {"package a:b;\n/* open", "t.wit:2:1: error: unterminated block comment"},
      {"package a:b;\ninterface i { f: func() -> result<u8, _>; }",
       "t.wit:2:39: error: `_` may only stand for the ok type; write "
       "`result<T>` for no error type"},
      {"package a:b;\ninterface i { f: func() -> (a: u8); }",
       "t.wit:2:28: error: named or multiple results are not supported; "
       "return one type"},
      {"package a:b;\n@since(version = 1.0.0)\ninterface i {}",
       "t.wit:2:1: error: feature gates need a versioned package (`package "
       "a:b@x.y.z;`)"},
      {"package a:b@1.0.0;\n@since(version = 1.0.0) @unstable(feature = x)\n"
       "interface i {}",
       "t.wit:2:1: error: an item is either `@since` or `@unstable`, not "
       "both"},
      {"package a:b@1.0.0;\n@stable(version = 1.0.0)\ninterface i {}",
       "t.wit:2:2: error: unknown attribute `@stable`"},
      {"package a:b;\nworld w { import a:b; }",
       "t.wit:2:21: error: expected `/`, found `;`"},
      {"package a:b;\ninterface i {}\nworld w { import i; import i; }",
       ""}, // an interface imported twice is one import
      {"package a:b;\nworld w { import f: func(); import f: func(); }",
       "t.wit:2:29: error: import `f` is defined more than once"},
      {"package a:b;\nworld w { include w; }",
       "t.wit:2:19: error: world `w` includes itself"},
      {"package a:b;\nworld v { import f: func(); }\nworld w { import f: "
       "func(); include v; }",
       "t.wit:3:29: error: import `f` is defined more than once (rename it "
       "with `include ... with { a as b }`)"},
      {"package a:b;\nworld v { }\nworld w { include v with { x as y }; }",
       "t.wit:3:28: error: `x` is not an import or export of world `v`"},
      {"package a:b;\ninterface i { f: func(m: map<f32, u8>); }",
       "t.wit:2:30: error: a map key is an integer, char, bool or string"},
      {"package a:b;\ninterface i { type t = list<u8, 0>; }",
       "t.wit:2:33: error: a fixed list length must be 1 to 999999999"},
      {"package a:b;\ninterface i { type t = \x01; }",
       "t.wit:2:24: error: control character U+0001 is not allowed"},
      {"package a:b;\ninterface i { type t = \xE2\x80\xAEu8; }",
       "t.wit:2:24: error: bidirectional override U+202E is not allowed"},
      {"package a:b;\ninterface i { type t = \xff; }",
       "t.wit:2:24: error: invalid UTF-8"},
      {"package a:b;\ninterface \xC3\xA9 {}",
       "t.wit:2:11: error: unexpected character `non-ASCII character`"},
      {"package a:b;\ninterface i { type t = list<list<list<list<list<list<"
       "list<list<list<list<list<list<list<list<list<list<list<list<list<"
       "list<list<list<list<list<list<list<list<list<list<list<list<list<"
       "list<list<list<list<list<list<list<list<list<list<list<list<list<"
       "list<list<list<list<list<list<list<list<list<list<list<list<list<"
       "list<list<list<list<list<list<list<list<u8",
       "t.wit:2:349: error: type nested too deeply"},
      {"package a:b:c;", "t.wit:1:12: error: nested namespaces and packages "
                         "(`a:b:c`, `a:b/c`) are not supported"},
      {"package a:b;\npackage c:d;",
       "t.wit:2:12: error: the `package` declaration must come first in a "
       "file"},
  };
  for (const BadCase& c : cases) {
    Resolve r;
    auto res = r.AddFile(c.text, "t.wit");
    if (c.error[0] == '\0') {
      EXPECT_TRUE(res.ok()) << c.text << "\n" << res.error().message;
      continue;
    }
    ASSERT_FALSE(res.ok()) << c.text;
    EXPECT_EQ(res.error().message, c.error) << c.text;
  }
}

TEST(Wit, LongChainsAreBoundedNotACrash) {
  // Hostile depth: aliases and `use` chains of 100 resolve; of 5000 they are
  // an error, not a stack overflow.
  auto aliases = [](int n) {
    std::string s = "package a:b;\ninterface i {\n";
    for (int k = 0; k < n; ++k)
      s += "  type t" + std::to_string(k) + " = t" + std::to_string(k + 1) +
           ";\n";
    s += "  type t" + std::to_string(n) + " = u8;\n}\n";
    return s;
  };
  auto uses = [](int n) {
    std::string s = "package a:c;\n";
    for (int k = 0; k < n; ++k)
      s += "interface i" + std::to_string(k) + " { use i" +
           std::to_string(k + 1) + ".{t}; }\n";
    s += "interface i" + std::to_string(n) + " { type t = u8; }\n";
    return s;
  };
  for (int n : {100, 5000}) {
    Resolve r;
    auto a = r.AddFile(aliases(n), "a.wit");
    auto u = r.AddFile(uses(n), "u.wit");
    if (n == 100) {
      EXPECT_TRUE(a.ok()) << a.error().message;
      EXPECT_TRUE(u.ok()) << u.error().message;
      continue;
    }
    ASSERT_FALSE(a.ok());
    ASSERT_FALSE(u.ok());
    EXPECT_NE(a.error().message.find("error: definitions nested too deeply"),
              std::string::npos)
        << a.error().message;
    EXPECT_NE(u.error().message.find("error: definitions nested too deeply"),
              std::string::npos)
        << u.error().message;
  }
}

// Resources of two Resolves are the same when their names and defining
// interfaces are.
struct TwoResolves {
  const Resolve* a;
  const Resolve* b;
};
bool SameResource(const void* ctx, uint32_t x, uint32_t y) {
  auto* t = static_cast<const TwoResolves*>(ctx);
  auto ox = t->a->ResourceOwner(x), oy = t->b->ResourceOwner(y);
  return t->a->arena().resources[x].name == t->b->arena().resources[y].name &&
         ox && oy && t->a->InterfaceName(*ox) == t->b->InterfaceName(*oy);
}

TEST(Wit, PrintedPackagesParseBackToTheSameTypes) {
  Options all;
  all.all_features = true;
  Resolve a(all);
  std::vector<SourceFile> files;
  for (const EmbeddedWit& f : Wasi02WitFiles())
    files.push_back(SourceFile{f.text, f.name});
  ASSERT_TRUE(a.Add(files).ok());
  std::vector<std::string> texts;
  for (uint32_t p = 0; p < a.packages().size(); ++p)
    texts.push_back(a.PackageText(p));
  std::vector<SourceFile> printed;
  for (size_t k = 0; k < texts.size(); ++k)
    printed.push_back(SourceFile{texts[k], a.packages()[k].name});
  Resolve b(all);
  auto added = b.Add(printed);
  ASSERT_TRUE(added.ok()) << added.error().message;
  TwoResolves ctx{&a, &b};
  size_t funcs = 0;
  for (uint32_t k = 0; k < a.interfaces().size(); ++k) {
    std::string name = a.InterfaceName(k);
    if (name.empty()) continue;
    const Interface& x = a.interfaces()[k];
    const Interface* y = b.FindInterface(name);
    ASSERT_TRUE(y) << name;
    ASSERT_EQ(x.types.size(), y->types.size()) << name;
    for (size_t t = 0; t < x.types.size(); ++t) {
      const TypeDef* u = Type(*y, x.types[t].name);
      ASSERT_TRUE(u) << name << " " << x.types[t].name;
      EXPECT_EQ(x.types[t].type.resource, u->type.resource);
      EXPECT_EQ(x.types[t].used_from.has_value(), u->used_from.has_value());
      EXPECT_EQ(x.types[t].gate.unstable, u->gate.unstable);
      if (!x.types[t].type.resource) {
        EXPECT_TRUE(ValTypesEqual(a.arena(), x.types[t].type.id, b.arena(),
                                  u->type.id, SameResource, &ctx))
            << name << " " << x.types[t].name;
      }
    }
    ASSERT_EQ(x.funcs.size(), y->funcs.size()) << name;
    for (const Function& f : x.funcs) {
      const Function* g = Func(*y, f.name);
      ASSERT_TRUE(g) << name << " " << f.name;
      EXPECT_TRUE(FuncTypesEqual(a.arena(), a.arena().funcs[f.type], b.arena(),
                                 b.arena().funcs[g->type], SameResource, &ctx))
          << name << " " << f.name;
      EXPECT_EQ(f.gate.unstable, g->gate.unstable) << f.name;
      ++funcs;
    }
  }
  EXPECT_GT(funcs, 170u);
  for (const World& w : a.worlds()) {
    std::string wname = a.packages()[w.package].Name();
    wname.insert(wname.find('@'), "/" + w.name);
    const World* v = b.FindWorld(wname);
    ASSERT_TRUE(v) << wname;
    EXPECT_EQ(Names(w.imports), Names(v->imports)) << wname;
    EXPECT_EQ(Names(w.exports), Names(v->exports)) << wname;
  }
  // And printing is stable: the second print is the first.
  for (uint32_t p = 0; p < b.packages().size(); ++p)
    EXPECT_EQ(b.PackageText(p), texts[p]);
}

TEST(Wit, PrintedLanguageFeaturesParseBack) {
  const char* src = R"(package local:p@1.0.0;
interface types {
  /// A size.
  @since(version = 1.0.0)
  type size = u32;
  type bytes = list<u8>;
  resource r {
    constructor(x: size) -> result<r, string>;
    %type: func() -> borrow<r>;
    make: static func() -> r;
  }
  resource plain;
  type also-r = r;
}
interface user {
  use types.{size as sz, r, bytes};
  f: async func(a: sz, b: option<bytes>) -> stream<r>;
}
world w {
  use types.{size};
  record pt { x: size }
  import user;
  import other: types;
  export run: func(p: pt) -> result<_, string>;
  export inl: interface { g: func(); }
}
)";
  Resolve a;
  auto added = a.AddFile(src, "p.wit");
  ASSERT_TRUE(added.ok()) << added.error().message;
  std::string text = a.PackageText(added->at(0));
  Resolve b;
  auto again = b.AddFile(text, "printed.wit");
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << text;
  EXPECT_EQ(b.PackageText(again->at(0)), text);
  EXPECT_NE(text.find("  /// A size.\n  @since(version = 1.0.0)\n  type size "
                      "= u32;\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("use local:p/types@1.0.0.{size as sz, r, bytes};"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    %type: func() -> borrow<r>;"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  import other: local:p/types@1.0.0;"),
            std::string::npos)
      << text;
  EXPECT_EQ(Sig(b, "local:p/user@1.0.0", "f"),
            "f: async func(a: size, b: option<bytes>) -> stream<r>");
  EXPECT_EQ(Sig(b, "local:p/types@1.0.0", "[constructor]r"),
            "[constructor]r: func(x: size) -> result<r, string>");
}

// --- jco (wasm-tools) agrees -------------------------------------------
//
// A component built by jco from a WIT world, printed back by `jco wit`
// (wasm-tools' decoder): what our parser makes of jco's text must be the
// world we parsed from the source.

class JcoWit : public ::testing::Test {
protected:
  void SetUp() override {
    std::string nm = std::string(WEFT_SOURCE_DIR) +
                     "/tools/component-toolchain/node_modules";
    jco_ = nm + "/@bytecodealliance/jco/dist/jco.js";
    if (!std::filesystem::exists(jco_) ||
        std::system("node --version >/dev/null 2>&1") != 0)
      GTEST_SKIP() << "jco or node not installed (tools/install-deps.sh)";
    char tmpl[] = "/tmp/weft-wit-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // jco's wasm tools start with no preopened directories; give them `/`
    // (COMPONENT-TOOLCHAIN.md, pitfall 1).
    std::ofstream pre(dir_ + "/preopen.mjs");
    for (const char* shim :
         {"/@bytecodealliance/preview2-shim",
          "/@bytecodealliance/jco/node_modules/@bytecodealliance/preview2-shim",
          "/@bytecodealliance/jco-transpile/node_modules/@bytecodealliance/"
          "preview2-shim"})
      pre << "try { (await import('" << nm << shim
          << "/dist/nodejs/filesystem.js'))._setPreopens({'/': '/'}); } "
             "catch (e) {}\n";
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Runs jco with `args`; its output (stdout and stderr) in `out`.
  bool Jco(const std::string& args, std::string& out) {
    std::string cmd = "cd '" + dir_ + "' && node --import ./preopen.mjs '" +
                      jco_ + "' " + args + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return false;
    char buf[4096];
    size_t n;
    out.clear();
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
      out.append(buf, n);
    int st = ::pclose(p);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
  }

  void Write(const std::string& name, std::string_view text) {
    std::ofstream(dir_ + "/" + name) << text;
  }

  std::string jco_, dir_;
};

TEST_F(JcoWit, WorldPrintedByJcoIsTheWorldWeParsed) {
  const char* src = R"(package test:shapes@1.2.3;

interface geo {
  record point { x: f64, y: f64 }
  variant shape { circle(f64), rect(tuple<f64, f64>), none }
  flags perms { read, write, exec }
  resource canvas {
    constructor(w: u32, h: u32);
    draw: func(s: shape, at: point) -> result<_, string>;
    count: static func() -> u64;
  }
  area: func(s: shape, p: perms) -> f64;
}

interface user {
  use geo.{canvas, point as pt};
  paint: func(c: borrow<canvas>, at: list<pt>) -> option<canvas>;
}

world shapes {
  import user;
  type id = u32;
  record pair { a: id, b: option<list<string>> }
  enum color { red, green }
  import log: func(msg: string, c: color);
  export run: func(p: pair) -> result<u32, color>;
  export api: interface {
    use geo.{point, shape};
    mid: func(a: point, b: point) -> tuple<point, shape>;
  }
}
)";
  Write("shapes.wit", src);
  std::string out;
  ASSERT_TRUE(
      Jco("embed --dummy --wit '" + dir_ + "/shapes.wit' -o e.wasm", out))
      << out;
  ASSERT_TRUE(Jco("new e.wasm -o c.wasm", out)) << out;
  std::string printed;
  ASSERT_TRUE(Jco("wit c.wasm", printed)) << printed;

  Resolve r;
  auto a = r.AddFile(src, "shapes.wit");
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto b = r.AddFile(printed, "jco.wit");
  ASSERT_TRUE(b.ok()) << b.error().message << "\n" << printed;
  const World* ours = r.FindWorld("test:shapes/shapes@1.2.3");
  const World* theirs = nullptr;
  for (const World& w : r.worlds())
    if (r.packages()[w.package].Name() == "root:component") theirs = &w;
  ASSERT_TRUE(ours && theirs) << printed;

  auto compare = [&](const std::vector<WorldItem>& x,
                     const std::vector<WorldItem>& y, const char* what) {
    std::map<std::string, const WorldItem*> by_name;
    for (const WorldItem& i : y)
      by_name[i.name] = &i;
    EXPECT_EQ(x.size(), y.size()) << what << "\n" << printed;
    for (const WorldItem& i : x) {
      auto it = by_name.find(i.name);
      ASSERT_NE(it, by_name.end()) << what << " " << i.name << "\n" << printed;
      const WorldItem& j = *it->second;
      ASSERT_EQ(i.kind, j.kind) << i.name;
      const TypeArena& t = r.arena();
      switch (i.kind) {
      case WorldItem::Kind::Func:
        EXPECT_TRUE(FuncTypesEqual(t, t.funcs[i.index], t, t.funcs[j.index]))
            << i.name << ": " << r.FuncText(t.funcs[i.index]) << " vs "
            << r.FuncText(t.funcs[j.index]);
        break;
      case WorldItem::Kind::Type:
        EXPECT_EQ(i.type.resource, j.type.resource) << i.name;
        if (!i.type.resource) {
          EXPECT_TRUE(ValTypesEqual(t, i.type.id, t, j.type.id)) << i.name;
        }
        break;
      case WorldItem::Kind::Interface: {
        const Interface& p = r.interfaces()[i.index];
        const Interface& q = r.interfaces()[j.index];
        if (!p.name.empty()) {
          // A package's interface: the very same one.
          EXPECT_EQ(i.index, j.index) << i.name;
          break;
        }
        ASSERT_EQ(p.funcs.size(), q.funcs.size()) << i.name;
        for (size_t k = 0; k < p.funcs.size(); ++k) {
          EXPECT_EQ(p.funcs[k].name, q.funcs[k].name);
          EXPECT_TRUE(FuncTypesEqual(t, t.funcs[p.funcs[k].type], t,
                                     t.funcs[q.funcs[k].type]))
              << p.funcs[k].name;
        }
        break;
      }
      }
    }
  };
  compare(ours->imports, theirs->imports, "imports");
  compare(ours->exports, theirs->exports, "exports");
  // The transitive import jco made explicit is the one we derived.
  std::vector<std::string> names;
  for (const WorldItem& i : ours->imports)
    names.push_back(i.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "test:shapes/geo@1.2.3"),
            names.end());
}

TEST_F(JcoWit, WasiCommandComponentImportsResolveOnTheHost) {
  if (std::system("clang-19 --version >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "clang-19 not installed";
  Write("hello.c", "#include <stdio.h>\n#include <time.h>\nint main(void) {"
                   " printf(\"%ld\\n\", (long)time(0)); return 0; }\n");
  std::string cmd = "clang-19 --target=wasm32-wasi --sysroot=/usr -O2 '" +
                    dir_ + "/hello.c' -o '" + dir_ + "/hello.wasm'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string out, printed;
  ASSERT_TRUE(Jco("new hello.wasm --wasi-command -o hello.component.wasm", out))
      << out;
  ASSERT_TRUE(Jco("wit hello.component.wasm", printed)) << printed;

  HostLinker host;
  ASSERT_TRUE(AddWasi02Wit(host).ok());
  auto added = host.AddWit(printed, "hello.wit");
  ASSERT_TRUE(added.ok()) << added.error().message << "\n" << printed;
  const World* root = nullptr;
  for (const World& w : host.wit().worlds())
    if (host.wit().packages()[w.package].Name() == "root:component") root = &w;
  ASSERT_TRUE(root);
  ASSERT_GE(root->imports.size(), 8u) << printed;
  for (const WorldItem& i : root->imports) {
    ASSERT_EQ(i.kind, WorldItem::Kind::Interface) << i.name;
    const HostInterface* hi = host.Resolve(i.name);
    ASSERT_TRUE(hi) << i.name;
    // The host's interface is the one the component's WIT names.
    EXPECT_EQ(hi->type.exports.size(),
              host.wit().interfaces()[i.index].type.exports.size());
  }
  ASSERT_EQ(root->exports.size(), 1u);
  EXPECT_EQ(root->exports[0].name, "wasi:cli/run@0.2.12");
  EXPECT_TRUE(host.Resolve(root->exports[0].name));
  // Our text of the world is jco's, line for line (blank lines aside),
  // plus the interfaces the full WASI WIT makes transitive imports: jco's
  // world comes from the component, whose wasi:io/streams has only the
  // functions it imports, none of them using wasi:io/poll's pollable.
  auto lines = [](const std::string& t) {
    std::vector<std::string> v;
    std::istringstream in(t);
    for (std::string l; std::getline(in, l);)
      if (!l.empty()) v.push_back(l);
    return v;
  };
  std::vector<std::string> ours = lines(host.wit().PackageText(root->package));
  std::vector<std::string> extra;
  std::vector<std::string> theirs = lines(printed);
  size_t k = 0;
  for (const std::string& l : ours) {
    if (k < theirs.size() && l == theirs[k])
      ++k;
    else
      extra.push_back(l);
  }
  EXPECT_EQ(k, theirs.size()) << printed;
  EXPECT_EQ(extra, std::vector<std::string>{"  import wasi:io/poll@0.2.12;"});
}

} // namespace
} // namespace weft::component::wit
