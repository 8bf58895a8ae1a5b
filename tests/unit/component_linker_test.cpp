// The component linker on real components built by the pinned jco at build
// time (tests/components): every WIT type across the boundary both ways
// (everytype.c, hand-written canonical ABI), a resource created, used and
// dropped with its destructor observed, a component written against the
// ABI directly (direct.c) on small host functions defined here, the
// preview1 C commands adapted by `jco new --wasi-command` on the WASI 0.2
// host (wasip2) printing what `jco run` prints, and link errors (a missing
// interface, a wrong function type, 0.3 vs 0.2). Every test runs on both
// tiers: the interpreter and the compiled tier.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "compile/compile.h"
#include "component/abi.h"
#include "component/binary.h"
#include "component/linker.h"
#include "component/wit.h"
#include "wasip2/context.h"
#include "wasip2/wasip2.h"

namespace weft::component {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> ReadBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in),
                              std::istreambuf_iterator<char>());
}
std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

fs::path Fixture(const std::string& name) {
  return fs::path(WEFT_COMPONENTS_DIR) / name;
}

std::shared_ptr<const ValidatedComponent> Load(const std::string& name) {
  std::vector<uint8_t> bytes = ReadBytes(Fixture(name));
  EXPECT_FALSE(bytes.empty()) << name << " was not built";
  auto d = DecodeComponent(bytes);
  EXPECT_TRUE(d.ok()) << name << ": " << d.error().Describe();
  if (!d) return nullptr;
  auto v = ValidateComponent(*d);
  EXPECT_TRUE(v.ok()) << name << ": " << v.error().Describe();
  if (!v) return nullptr;
  return *v;
}

enum class Tier { Interp, Compiled };

// Compiles core modules on `tier`, each distinct module once per process
// (as the compile cache would).
CompileCoreFn CompilerFor(const Engine& engine, Tier tier) {
  return [&engine, tier](std::span<const uint8_t> bytes)
             -> Result<std::shared_ptr<const CompiledModule>> {
    static std::mutex mu;
    static std::map<std::pair<int, std::string>,
                    std::shared_ptr<const CompiledModule>>
        cache;
    std::lock_guard<std::mutex> lock(mu);
    std::pair<int, std::string> key{static_cast<int>(tier),
                                    std::string(bytes.begin(), bytes.end())};
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    Result<std::shared_ptr<const CompiledModule>> r =
        tier == Tier::Interp ? CompileModule(engine, bytes)
                             : CompileModuleNative(engine, bytes);
    if (r) cache[key] = *r;
    return r;
  };
}

class LinkerTest : public ::testing::TestWithParam<Tier> {
protected:
  Engine engine_;
  Store store_{engine_};
  HostData data_;
  CompileCoreFn compile_ = CompilerFor(engine_, GetParam());

  ComponentInstantiateResult
  Instantiate(const std::shared_ptr<const ValidatedComponent>& c,
              const HostLinker& host) {
    return InstantiateComponent(store_, c, host, data_, compile_);
  }
};

// ------------------------------------------------------------ everytype

// The host side of everytype's `host` interface, recording what it saw.
struct HostLog {
  std::vector<std::string> logged;
  std::vector<std::vector<uint32_t>> doubled;
};

class EveryTypeTest : public LinkerTest {
protected:
  void SetUp() override {
    auto c = Load("everytype.component.wasm");
    ASSERT_TRUE(c);
    std::string wit = ReadText(fs::path(WEFT_COMPONENTS_SOURCE_DIR) /
                               "everytype" / "world.wit");
    auto added = host_.AddWit(wit, "world.wit");
    ASSERT_TRUE(added.ok()) << added.error().Describe();
    const char* iface = "weft:everytype/host";
    HostLog* log = &log_;
    ASSERT_TRUE(host_
                    .Define(iface, "log",
                            [log](HostCall&, std::span<const Val> args,
                                  std::vector<Val>&) -> std::optional<Trap> {
                              log->logged.push_back(args[0].s);
                              return std::nullopt;
                            })
                    .ok());
    ASSERT_TRUE(
        host_
            .Define(iface, "double-all",
                    [log](HostCall&, std::span<const Val> args,
                          std::vector<Val>& results) -> std::optional<Trap> {
                      std::vector<uint32_t> in;
                      Val out = Val::Of(ValKind::List, 0);
                      for (const Val& v : args[0].items) {
                        in.push_back(static_cast<uint32_t>(v.u));
                        out.items.push_back(
                            Val::U32(static_cast<uint32_t>(v.u * 2)));
                      }
                      log->doubled.push_back(in);
                      results.push_back(std::move(out));
                      return std::nullopt;
                    })
            .ok());
    ASSERT_TRUE(
        host_
            .Define(iface, "lookup",
                    [](HostCall&, std::span<const Val> args,
                       std::vector<Val>& results) -> std::optional<Trap> {
                      for (const Val& e : args[0].items) {
                        if (e.items[0].s == args[1].s) {
                          results.push_back(Val::Some(
                              Val::U32(static_cast<uint32_t>(e.items[1].u))));
                          return std::nullopt;
                        }
                      }
                      results.push_back(Val::None());
                      return std::nullopt;
                    })
            .ok());
    auto r = Instantiate(c, host_);
    ASSERT_FALSE(r.link_error) << r.link_error->Describe();
    ASSERT_FALSE(r.trap) << r.trap->message;
    inst_ = std::move(r.instance);
    component_ = c;
  }

  // Calls `name` (a short name) and returns its one result.
  Val Call1(const std::string& name, std::vector<Val> args) {
    auto f = inst_->FindFunc(name);
    EXPECT_TRUE(f) << "no export " << name;
    if (!f) return {};
    std::vector<Val> results;
    auto t = inst_->Call(*f, args, results);
    EXPECT_FALSE(t) << name << ": " << t->message;
    EXPECT_EQ(results.size(), 1u) << name;
    return results.empty() ? Val{} : results[0];
  }
  // The text form of `name`'s result (value.h), e.g. "{x: 1, y: 2}".
  std::string Text(const std::string& name, std::vector<Val> args) {
    auto f = inst_->FindFunc(name);
    Val v = Call1(name, std::move(args));
    if (!f || f->type->results.empty()) return "?";
    return ValToString(*f->types, f->type->results[0], v);
  }

  HostLinker host_;
  HostLog log_;
  std::shared_ptr<const ValidatedComponent> component_;
  std::unique_ptr<ComponentInstance> inst_;
};

TEST_P(EveryTypeTest, ExportsEveryFunctionByItsFullName) {
  std::vector<std::string> names;
  for (const ExportedFunc& f : inst_->ExportedFuncs())
    names.push_back(f.name);
  for (const char* want : {"add", "call-host", "weft:everytype/api#greet",
                           "weft:everytype/api#[constructor]counter",
                           "weft:everytype/api#[method]counter.increment",
                           "weft:everytype/api#sum-many"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
  EXPECT_TRUE(inst_->FindFunc("weft:everytype/api#not"));
  EXPECT_TRUE(inst_->FindFunc("not"));
  EXPECT_FALSE(inst_->FindFunc("no-such-function"));
}

TEST_P(EveryTypeTest, Scalars) {
  EXPECT_EQ(Call1("add", {Val::U32(40), Val::U32(2)}).u, 42u);
  EXPECT_EQ(Call1("add", {Val::U32(0xffffffff), Val::U32(2)}).u, 1u);
  EXPECT_EQ(Call1("not", {Val::Bool(true)}).u, 0u);
  EXPECT_EQ(Call1("not", {Val::Bool(false)}).u, 1u);
  EXPECT_EQ(Text("neg-s8", {Val::Of(ValKind::S8, static_cast<uint64_t>(-5))}),
            "5");
  EXPECT_EQ(Text("neg-s8", {Val::Of(ValKind::S8, 100)}), "-100");
  // -(-128) wraps to -128 in s8.
  EXPECT_EQ(Text("neg-s8", {Val::Of(ValKind::S8, static_cast<uint64_t>(-128))}),
            "-128");
  EXPECT_EQ(Text("inc-u8", {Val::U8(255)}), "0");
  EXPECT_EQ(Text("inc-u8", {Val::U8(41)}), "42");
  EXPECT_EQ(
      Text("neg-s16", {Val::Of(ValKind::S16, static_cast<uint64_t>(-300))}),
      "300");
  EXPECT_EQ(Text("inc-u16", {Val::Of(ValKind::U16, 65535)}), "0");
  EXPECT_EQ(Text("neg-s32", {Val::S32(123456)}), "-123456");
  EXPECT_EQ(Text("inc-u32", {Val::U32(4000000000u)}), "4000000001");
  EXPECT_EQ(Text("neg-s64", {Val::S64(-9000000000000LL)}), "9000000000000");
  EXPECT_EQ(Text("inc-u64", {Val::U64(18446744073709551615ull)}), "0");
  EXPECT_EQ(Text("inc-u64", {Val::U64(1ull << 40)}), "1099511627777");
}

TEST_P(EveryTypeTest, EightIntegersThroughTheReturnArea) {
  EXPECT_EQ(
      Text("ints", {Val::Of(ValKind::S8, static_cast<uint64_t>(-1)),
                    Val::U8(254), Val::Of(ValKind::S16, 1000),
                    Val::Of(ValKind::U16, 65534), Val::S32(-7),
                    Val::U32(4294967294u), Val::S64(1LL << 62), Val::U64(41)}),
      "(1, 255, -1000, 65535, 7, 4294967295, -4611686018427387904, 42)");
}

Val F32(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return Val::Of(ValKind::F32, b);
}
Val F64(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return Val::Of(ValKind::F64, b);
}
double AsF64(const Val& v) {
  double d;
  std::memcpy(&d, &v.u, 8);
  return d;
}

TEST_P(EveryTypeTest, FloatsAndChars) {
  Val r = Call1("mul-f32", {F32(1.5f), F32(-4.0f)});
  float f;
  uint32_t bits = static_cast<uint32_t>(r.u);
  std::memcpy(&f, &bits, 4);
  EXPECT_EQ(f, -6.0f);
  EXPECT_EQ(AsF64(Call1("mul-f64", {F64(0.1), F64(3.0)})), 0.1 * 3.0);
  // NaN crosses as a NaN (canonicalised or not, still a NaN).
  EXPECT_TRUE(std::isnan(AsF64(Call1("mul-f64", {F64(NAN), F64(2.0)}))));
  EXPECT_EQ(Call1("next-char", {Val::Of(ValKind::Char, 'a')}).u,
            static_cast<uint64_t>('b'));
  EXPECT_EQ(Call1("next-char", {Val::Of(ValKind::Char, 0xD7FF)}).u, 0xE000u);
  EXPECT_EQ(Call1("next-char", {Val::Of(ValKind::Char, 0x1F600)}).u, 0x1F601u);
}

TEST_P(EveryTypeTest, StringsAndLists) {
  EXPECT_EQ(Call1("greet", {Val::Str("weft")}).s, "hello, weft!");
  EXPECT_EQ(Call1("greet", {Val::Str("")}).s, "hello, !");
  EXPECT_EQ(Call1("count-chars", {Val::Str("h\xC3\xA9llo \xF0\x9F\x98\x80")}).u,
            7u);
  Val l = Val::Of(ValKind::List, 0);
  for (uint32_t i = 1; i <= 5; i++)
    l.items.push_back(Val::U32(i * 10));
  EXPECT_EQ(Text("reverse", {l}), "[50, 40, 30, 20, 10]");
  EXPECT_EQ(Text("reverse", {Val::Of(ValKind::List, 0)}), "[]");
  Val parts = Val::Of(ValKind::List, 0);
  for (const char* p : {"a", "bc", "", "d\xC3\xA9"})
    parts.items.push_back(Val::Str(p));
  EXPECT_EQ(Call1("join", {parts, Val::Str(", ")}).s, "a, bc, , d\xC3\xA9");
  EXPECT_EQ(Text("points", {Val::U32(4)}),
            "[{x: 0, y: 0}, {x: 1, y: 1}, {x: 2, y: 4}, {x: 3, y: 9}]");
  // Many calls: the guest's heap is reset by post-return; without it the
  // 1 MiB heap would run out.
  std::string big(20000, 'x');
  for (int i = 0; i < 100; i++)
    ASSERT_EQ(Call1("greet", {Val::Str(big)}).s.size(), big.size() + 8);
}

TEST_P(EveryTypeTest, RecordsTuplesVariantsEnumsOptionsResultsFlags) {
  Val p = Val::Record({Val::S32(3), Val::S32(-4)});
  EXPECT_EQ(Text("move-point", {p, Val::S32(10), Val::S32(20)}),
            "{x: 13, y: 16}");
  EXPECT_EQ(Text("swap", {Val::Tuple({Val::U32(7), Val::Str("seven")})}),
            "(\"seven\", 7)");
  Val circle = Val::VariantCase(0, F64(2.0));
  Val rect = Val::VariantCase(1, Val::Record({Val::S32(-3), Val::S32(5)}));
  Val nothing = Val::VariantCase(2);
  EXPECT_EQ(AsF64(Call1("area", {circle})), 12.0);
  EXPECT_EQ(AsF64(Call1("area", {rect})), 15.0);
  EXPECT_EQ(AsF64(Call1("area", {nothing})), 0.0);
  EXPECT_EQ(Text("scale", {circle, F64(1.5)}), "circle(3.0)");
  EXPECT_EQ(Text("scale", {rect, F64(2.0)}), "rect({x: -6, y: 10})");
  EXPECT_EQ(Text("scale", {nothing, F64(2.0)}), "nothing");
  EXPECT_EQ(Text("next-color", {Val::EnumCase(0)}), "green");
  EXPECT_EQ(Text("next-color", {Val::EnumCase(2)}), "red");
  EXPECT_EQ(Text("half", {Val::Some(Val::U32(10))}), "some(5)");
  EXPECT_EQ(Text("half", {Val::Some(Val::U32(7))}), "none");
  EXPECT_EQ(Text("half", {Val::None()}), "none");
  EXPECT_EQ(Text("parse-u32", {Val::Str("12345")}), "ok(12345)");
  EXPECT_EQ(Text("parse-u32", {Val::Str("12a")}), "err(\"not a digit: 12a\")");
  EXPECT_EQ(Text("parse-u32", {Val::Str("")}), "err(\"empty\")");
  EXPECT_EQ(Text("parse-u32", {Val::Str("4294967296")}),
            "err(\"too large: 4294967296\")");
  EXPECT_EQ(Text("toggle", {Val::Of(ValKind::Flags, 0b101)}), "{write}");
  EXPECT_EQ(Text("toggle", {Val::Of(ValKind::Flags, 0)}),
            "{read, write, exec}");
}

TEST_P(EveryTypeTest, SeventeenParamsGoThroughMemory) {
  std::vector<Val> args;
  uint64_t want = 0;
  for (uint32_t i = 0; i < 17; i++) {
    args.push_back(Val::U32(1000 + i));
    want += uint64_t{1000 + i} * (i + 1);
  }
  EXPECT_EQ(Call1("sum-many", args).u, want);
}

TEST_P(EveryTypeTest, ResourceCreatedUsedAndDropped) {
  EXPECT_EQ(Call1("live-counters", {}).u, 0u);
  Val c = Call1("[constructor]counter", {Val::U32(5)});
  ASSERT_EQ(c.kind, ValKind::Own);
  ASSERT_NE(c.resource, nullptr);
  EXPECT_EQ(c.resource->name, "counter");
  Val d = Call1("[constructor]counter", {Val::U32(100)});
  EXPECT_EQ(Call1("live-counters", {}).u, 2u);
  Val borrow = c;
  borrow.kind = ValKind::Borrow;
  EXPECT_EQ(Call1("[method]counter.increment", {borrow, Val::U32(3)}).u, 8u);
  EXPECT_EQ(Call1("[method]counter.increment", {borrow, Val::U32(4)}).u, 12u);
  EXPECT_EQ(Call1("[method]counter.get", {borrow}).u, 12u);
  Val borrow_d = d;
  borrow_d.kind = ValKind::Borrow;
  EXPECT_EQ(Call1("[method]counter.get", {borrow_d}).u, 100u);
  // consume takes ownership and drops it: the guest's dtor runs.
  EXPECT_EQ(Call1("consume", {c}).u, 12u);
  EXPECT_EQ(Call1("live-counters", {}).u, 1u);
  EXPECT_EQ(Call1("consume", {d}).u, 100u);
  EXPECT_EQ(Call1("live-counters", {}).u, 0u);
}

TEST_P(EveryTypeTest, TheHostDropsAnOwnHandleItHolds) {
  Val c = Call1("[constructor]counter", {Val::U32(1)});
  Val d = Call1("[constructor]counter", {Val::U32(2)});
  EXPECT_EQ(Call1("live-counters", {}).u, 2u);
  EXPECT_FALSE(inst_->DropResource(c));
  EXPECT_EQ(Call1("live-counters", {}).u, 1u);
  // Not an own handle, or not one of this instance's resources: refused.
  auto t = inst_->DropResource(Val::U32(1));
  ASSERT_TRUE(t);
  EXPECT_NE(t->message.find("not an own handle"), std::string::npos);
  ResourceType stranger;
  t = inst_->DropResource(Val::Own(&stranger, 1));
  ASSERT_TRUE(t);
  EXPECT_NE(t->message.find("not a resource of this component instance"),
            std::string::npos);
  EXPECT_EQ(Call1("live-counters", {}).u, 1u);
  EXPECT_FALSE(inst_->DropResource(d));
  EXPECT_EQ(Call1("live-counters", {}).u, 0u);
}

TEST_P(EveryTypeTest, AHostFunctionCannotReenterItsCaller) {
  // A second instance whose `log` calls back into that instance.
  HostLinker host;
  ASSERT_TRUE(host.AddWit(ReadText(fs::path(WEFT_COMPONENTS_SOURCE_DIR) /
                                   "everytype" / "world.wit"),
                          "world.wit")
                  .ok());
  ComponentInstance* self = nullptr;
  std::optional<Trap> inner;
  ASSERT_TRUE(host.Define("weft:everytype/host", "log",
                          [&](HostCall&, std::span<const Val>,
                              std::vector<Val>&) -> std::optional<Trap> {
                            auto add = self->FindFunc("add");
                            std::vector<Val> r;
                            inner = self->Call(
                                *add,
                                std::vector<Val>{Val::U32(1), Val::U32(2)}, r);
                            return std::nullopt;
                          })
                  .ok());
  for (const char* f : {"double-all", "lookup"}) {
    ASSERT_TRUE(
        host.Define("weft:everytype/host", f,
                    [f](HostCall&, std::span<const Val>,
                        std::vector<Val>& results) -> std::optional<Trap> {
                      results.push_back(std::string(f) == "lookup"
                                            ? Val::None()
                                            : Val::Of(ValKind::List, 0));
                      return std::nullopt;
                    })
            .ok());
  }
  auto r = Instantiate(component_, host);
  ASSERT_FALSE(r.link_error) << r.link_error->Describe();
  self = r.instance.get();
  auto call_host = self->FindFunc("call-host");
  std::vector<Val> results;
  auto t = self->Call(
      *call_host, std::vector<Val>{Val::Str("x"), Val::Of(ValKind::List, 0)},
      results);
  ASSERT_FALSE(t) << t->message;
  EXPECT_EQ(results[0].u, 1000u); // nothing doubled, "b" not found
  ASSERT_TRUE(inner);
  EXPECT_NE(inner->message.find("may not be entered while a call into it"),
            std::string::npos)
      << inner->message;
  // The refusal did not harm the instance.
  auto add = self->FindFunc("add");
  t = self->Call(*add, std::vector<Val>{Val::U32(2), Val::U32(3)}, results);
  ASSERT_FALSE(t) << t->message;
  EXPECT_EQ(results[0].u, 5u);
}

TEST_P(EveryTypeTest, EveryCoreModuleGoesThroughTheCompileFunction) {
  size_t modules = 0;
  for (const Scope& sc : component_->scopes)
    for (const Definition& d : sc.component->definitions)
      modules += d.kind == Definition::Kind::CoreModule;
  ASSERT_GE(modules, 3u); // main, the shim and the fixup
  size_t calls = 0;
  CompileCoreFn counting = [&](std::span<const uint8_t> bytes) {
    ++calls;
    return compile_(bytes);
  };
  auto r = InstantiateComponent(store_, component_, host_, data_, counting);
  ASSERT_FALSE(r.link_error) << r.link_error->Describe();
  EXPECT_EQ(calls, modules);
}

TEST_P(EveryTypeTest, CallsTheHostWithEveryDirection) {
  Val l = Val::Of(ValKind::List, 0);
  for (uint32_t v : {1u, 2u, 3u})
    l.items.push_back(Val::U32(v));
  // sum(2, 4, 6) + lookup("b") = 12 + 2.
  EXPECT_EQ(Call1("call-host", {Val::Str("hi \xE2\x9C\x93"), l}).u, 14u);
  ASSERT_EQ(log_.logged.size(), 1u);
  EXPECT_EQ(log_.logged[0], "hi \xE2\x9C\x93");
  ASSERT_EQ(log_.doubled.size(), 1u);
  EXPECT_EQ(log_.doubled[0], (std::vector<uint32_t>{1, 2, 3}));
}

TEST_P(EveryTypeTest, AGuestTrapEndsTheCallAndPoisonsTheInstance) {
  // A borrow of a counter that does not exist: the guest's slot() traps.
  Val bogus = Val::Own(nullptr, 63);
  auto c = Call1("[constructor]counter", {Val::U32(1)});
  bogus.resource = c.resource;
  bogus.kind = ValKind::Borrow;
  auto f = inst_->FindFunc("[method]counter.get");
  ASSERT_TRUE(f);
  std::vector<Val> results;
  auto t = inst_->Call(*f, std::vector<Val>{bogus}, results);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, TrapKind::Unreachable);
  auto g = inst_->FindFunc("add");
  t = inst_->Call(*g, std::vector<Val>{Val::U32(1), Val::U32(2)}, results);
  ASSERT_TRUE(t);
  EXPECT_NE(t->message.find("may not be entered again"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Tiers, EveryTypeTest,
                         ::testing::Values(Tier::Interp, Tier::Compiled));

// ------------------------------------------------------------ link errors

class LinkErrorTest : public LinkerTest {};

// The everytype world's host interface, with `body` replacing it.
std::string HostWit(const std::string& version, const std::string& body) {
  return "package weft:everytype" + version + ";\ninterface host {\n" + body +
         "\n}\n";
}
const char* kHostBody =
    "record entry { key: string, value: u32 }\n"
    "log: func(msg: string);\n"
    "double-all: func(l: list<u32>) -> list<u32>;\n"
    "lookup: func(entries: list<entry>, key: string) -> option<u32>;";

void DefineAll(HostLinker& h, const std::string& iface) {
  for (const char* f : {"log", "double-all", "lookup"}) {
    (void)h.Define(iface, f,
                   [](HostCall&, std::span<const Val>, std::vector<Val>&)
                       -> std::optional<Trap> { return std::nullopt; });
  }
}

TEST_P(LinkErrorTest, MissingInterface) {
  auto c = Load("everytype.component.wasm");
  ASSERT_TRUE(c);
  HostLinker host;
  auto r = Instantiate(c, host);
  ASSERT_TRUE(r.link_error);
  EXPECT_FALSE(r.instance);
  EXPECT_EQ(r.link_error->message,
            "import `weft:everytype/host`: interface not provided by the host");
  auto e = CheckImports(*c, host);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, r.link_error->message);
}

TEST_P(LinkErrorTest, WrongFunctionType) {
  auto c = Load("everytype.component.wasm");
  ASSERT_TRUE(c);
  HostLinker host;
  std::string body = kHostBody;
  body.replace(body.find("list<u32>) -> list<u32>"), 23,
               "list<u32>) -> list<u64>");
  ASSERT_TRUE(host.AddWit(HostWit("", body), "h.wit").ok());
  DefineAll(host, "weft:everytype/host");
  auto r = Instantiate(c, host);
  ASSERT_TRUE(r.link_error);
  EXPECT_EQ(r.link_error->message,
            "import `weft:everytype/host`: function `double-all` has type "
            "func(l: list<u32>) -> list<u32> but the host provides "
            "func(l: list<u32>) -> list<u64>")
      << r.link_error->message;
}

TEST_P(LinkErrorTest, MissingHostFunction) {
  auto c = Load("everytype.component.wasm");
  ASSERT_TRUE(c);
  HostLinker host;
  ASSERT_TRUE(host.AddWit(HostWit("", kHostBody), "h.wit").ok());
  // Only two of the three are implemented.
  for (const char* f : {"log", "lookup"}) {
    ASSERT_TRUE(host.Define("weft:everytype/host", f,
                            [](HostCall&, std::span<const Val>,
                               std::vector<Val>&) -> std::optional<Trap> {
                              return std::nullopt;
                            })
                    .ok());
  }
  auto e = CheckImports(*c, host);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("function `double-all` not provided by the host"),
            std::string::npos)
      << e->message;
  // With it, the imports check.
  DefineAll(host, "weft:everytype/host");
  EXPECT_FALSE(CheckImports(*c, host));
}

TEST_P(LinkErrorTest, SemverWithinZeroTwoOnly) {
  // direct.c imports wasi:*@0.2.12: a 0.2.3 host satisfies it, 0.3.0 not.
  auto c = Load("direct.component.wasm");
  ASSERT_TRUE(c);
  auto wasi = [](HostLinker& h, const std::string& version) {
    std::string v = "@" + version;
    EXPECT_TRUE(h.AddWit("package wasi:io" + v +
                             ";\ninterface error { resource error; }\n"
                             "interface streams {\n use error.{error};\n"
                             " variant stream-error { last-operation-failed("
                             "error), closed }\n resource output-stream {\n"
                             "  blocking-write-and-flush: func(contents: "
                             "list<u8>) -> result<_, stream-error>;\n }\n}\n",
                         "io.wit")
                    .ok());
    EXPECT_TRUE(h.AddWit("package wasi:cli" + v +
                             ";\ninterface stdout {\n use wasi:io/streams" + v +
                             ".{output-stream};\n get-stdout: func() -> "
                             "output-stream;\n}\ninterface environment {\n"
                             " get-arguments: func() -> list<string>;\n}\n",
                         "cli.wit")
                    .ok());
    auto none = [](HostCall&, std::span<const Val>,
                   std::vector<Val>&) -> std::optional<Trap> {
      return std::nullopt;
    };
    EXPECT_TRUE(h.Define("wasi:io/streams" + v,
                         "[method]output-stream.blocking-write-and-flush", none)
                    .ok());
    EXPECT_TRUE(h.Define("wasi:cli/stdout" + v, "get-stdout", none).ok());
    EXPECT_TRUE(
        h.Define("wasi:cli/environment" + v, "get-arguments", none).ok());
    EXPECT_TRUE(h.DefineDrop("wasi:io/streams" + v, "output-stream",
                             [](HostData&, uint32_t) {})
                    .ok());
  };
  HostLinker ok;
  wasi(ok, "0.2.3");
  EXPECT_FALSE(CheckImports(*c, ok));
  HostLinker bad;
  wasi(bad, "0.3.0");
  auto e = CheckImports(*c, bad);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("interface not provided by the host (the host "
                            "has wasi:"),
            std::string::npos)
      << e->message;
  EXPECT_NE(e->message.find("@0.3.0)"), std::string::npos) << e->message;
  auto r = Instantiate(c, bad);
  EXPECT_TRUE(r.link_error);
  EXPECT_FALSE(r.instance);
}

INSTANTIATE_TEST_SUITE_P(Tiers, LinkErrorTest,
                         ::testing::Values(Tier::Interp, Tier::Compiled));

// ------------------------------------------------------------ direct.c

struct FakeStdout {
  std::string bytes;
  std::vector<uint32_t> dropped;
};

class DirectTest : public LinkerTest {};

TEST_P(DirectTest, RunsOnHostFunctionsDefinedHere) {
  auto c = Load("direct.component.wasm");
  ASSERT_TRUE(c);
  HostLinker host;
  ASSERT_TRUE(AddWasi02Wit(host).ok());
  auto out = std::make_shared<FakeStdout>();
  ASSERT_TRUE(host.Define("wasi:cli/stdout@0.2.12", "get-stdout",
                          [](HostCall&, std::span<const Val>,
                             std::vector<Val>& results) -> std::optional<Trap> {
                            results.push_back(Val::Own(nullptr, 77));
                            return std::nullopt;
                          })
                  .ok());
  ASSERT_TRUE(
      host.Define("wasi:io/streams@0.2.12",
                  "[method]output-stream.blocking-write-and-flush",
                  [out](HostCall&, std::span<const Val> args,
                        std::vector<Val>& results) -> std::optional<Trap> {
                    EXPECT_EQ(args[0].u, 77u); // the rep
                    out->bytes += args[1].s;
                    results.push_back(Val::Ok());
                    return std::nullopt;
                  })
          .ok());
  ASSERT_TRUE(host.DefineDrop("wasi:io/streams@0.2.12", "output-stream",
                              [out](HostData&, uint32_t rep) {
                                out->dropped.push_back(rep);
                              })
                  .ok());
  ASSERT_TRUE(
      host.Define("wasi:cli/environment@0.2.12", "get-arguments",
                  [](HostCall&, std::span<const Val>,
                     std::vector<Val>& results) -> std::optional<Trap> {
                    Val l = Val::Of(ValKind::List, 0);
                    for (const char* a : {"direct", "one", "tw\xC3\xB6"})
                      l.items.push_back(Val::Str(a));
                    results.push_back(std::move(l));
                    return std::nullopt;
                  })
          .ok());
  auto r = Instantiate(c, host);
  ASSERT_FALSE(r.link_error) << r.link_error->Describe();
  auto run = r.instance->FindFunc("wasi:cli/run#run");
  ASSERT_TRUE(run);
  EXPECT_EQ(run->name, "wasi:cli/run@0.2.12#run");
  std::vector<Val> results;
  auto t = r.instance->Call(*run, {}, results);
  ASSERT_FALSE(t) << t->message;
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].kind, ValKind::Result);
  EXPECT_EQ(results[0].u, 0u); // ok
  EXPECT_EQ(out->bytes, "direct: one tw\xC3\xB6\n");
  EXPECT_EQ(out->dropped, (std::vector<uint32_t>{77}));
}

INSTANTIATE_TEST_SUITE_P(Tiers, DirectTest,
                         ::testing::Values(Tier::Interp, Tier::Compiled));

// ------------------------------------------------------------ nested.wat

class NestedTest : public LinkerTest {};

TEST_P(NestedTest, ALoweredImportCallsAnotherComponentsLift) {
  auto c = Load("nested.component.wasm");
  ASSERT_TRUE(c);
  HostLinker host;
  EXPECT_FALSE(CheckImports(*c, host)); // it imports nothing
  auto r = Instantiate(c, host);
  ASSERT_FALSE(r.link_error) << r.link_error->Describe();
  auto run = r.instance->FindFunc("run");
  ASSERT_TRUE(run);
  std::vector<Val> results;
  auto t = r.instance->Call(*run, std::vector<Val>{Val::U32(5)}, results);
  ASSERT_FALSE(t) << t->message;
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].u, 5u * 4 + 'A');
  // The callee's lift, exported again at the top.
  auto upper = r.instance->FindFunc("upper");
  ASSERT_TRUE(upper);
  t = r.instance->Call(*upper, std::vector<Val>{Val::Str("xyz")}, results);
  ASSERT_FALSE(t) << t->message;
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].s, "XYZ");
  // A second instance in the same store is independent of the first.
  auto r2 = Instantiate(c, host);
  ASSERT_FALSE(r2.link_error) << r2.link_error->Describe();
  auto run2 = r2.instance->FindFunc("run");
  t = r2.instance->Call(*run2, std::vector<Val>{Val::U32(1)}, results);
  ASSERT_FALSE(t) << t->message;
  EXPECT_EQ(results[0].u, 4u + 'A');
}

TEST_P(NestedTest, AResourceDefinedByOneComponentIsUsedAndDroppedByAnother) {
  auto c = Load("resources.component.wasm");
  ASSERT_TRUE(c);
  HostLinker host;
  auto r = Instantiate(c, host);
  ASSERT_FALSE(r.link_error) << r.link_error->Describe();
  std::vector<Val> results;
  auto run = r.instance->FindFunc("run");
  ASSERT_TRUE(run);
  auto t = r.instance->Call(*run, {}, results);
  ASSERT_FALSE(t) << t->message;
  ASSERT_EQ(results.size(), 1u);
  // get(7) = 70, one live before the drop, none after: the destructor in
  // the defining component ran when the other dropped its handle.
  EXPECT_EQ(results[0].u, 1070u);
  auto live = r.instance->FindFunc("live");
  ASSERT_TRUE(live);
  t = r.instance->Call(*live, {}, results);
  ASSERT_FALSE(t) << t->message;
  EXPECT_EQ(results[0].u, 0u);
}

// `jco parse` of component text, validated; null (and a failure) on error.
std::shared_ptr<const ValidatedComponent> FromWat(const std::string& wat) {
  static int n = 0;
  fs::path base =
      fs::temp_directory_path() /
      ("weft-linker-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
  fs::path in = base.string() + ".wat", out = base.string() + ".wasm";
  {
    std::ofstream f(in);
    f << wat;
  }
  std::string cmd = "'" + std::string(WEFT_NODE) + "' '" + WEFT_JCO_JS +
                    "' parse '" + in.string() + "' -o '" + out.string() +
                    "' >/dev/null 2>&1";
  int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << "jco parse failed:\n" << wat;
  std::vector<uint8_t> bytes = ReadBytes(out);
  fs::remove(in);
  fs::remove(out);
  auto d = DecodeComponent(bytes);
  EXPECT_TRUE(d.ok()) << d.error().Describe();
  if (!d) return nullptr;
  auto v = ValidateComponent(*d);
  EXPECT_TRUE(v.ok()) << v.error().Describe();
  if (!v) return nullptr;
  return *v;
}

TEST_P(NestedTest, ATrapInACoreStartFunctionIsReported) {
  auto c = FromWat(R"((component
    (core module $m (func $s unreachable) (start $s))
    (core instance (instantiate $m))))");
  ASSERT_TRUE(c);
  HostLinker host;
  auto r = Instantiate(c, host);
  EXPECT_FALSE(r.link_error);
  EXPECT_FALSE(r.instance);
  ASSERT_TRUE(r.trap);
  EXPECT_EQ(r.trap->kind, TrapKind::Unreachable);
}

TEST_P(NestedTest, ACoreModuleTheTierRefusesIsALinkError) {
  // Valid, so the validator accepts it; the compile function refuses it
  // (as a tier would a module it cannot compile).
  auto c = FromWat(R"((component (core module $m (func (export "f")))
    (core instance (instantiate $m))))");
  ASSERT_TRUE(c);
  HostLinker host;
  CompileCoreFn refuse = [](std::span<const uint8_t>)
      -> Result<std::shared_ptr<const CompiledModule>> {
    return Error{"not today", kNoOffset, ""};
  };
  auto r = InstantiateComponent(store_, c, host, data_, refuse);
  ASSERT_TRUE(r.link_error);
  EXPECT_EQ(r.link_error->message, "core module 0: not today");
}

TEST_P(NestedTest, AFunctionImportOfTheRootIsRefusedClearly) {
  auto c = FromWat(R"((component (import "f" (func))))");
  ASSERT_TRUE(c);
  HostLinker host;
  auto e = CheckImports(*c, host);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message,
            "import `f`: a function import; the host provides interfaces "
            "(instances) only");
}

TEST_P(NestedTest, ExponentialInstantiationIsRefused) {
  // c0 has one core instance; each c(i+1) instantiates c(i) twice: 2^24
  // instances if nothing stopped it.
  std::string wat = "(component\n(component $c0 (core module $m) "
                    "(core instance (instantiate $m)))\n";
  for (int i = 1; i <= 24; i++) {
    std::string prev = "$c" + std::to_string(i - 1);
    wat += "(component $c" + std::to_string(i) + " (alias outer 1 " + prev +
           " (component $p)) (instance (instantiate $p)) (instance "
           "(instantiate $p)))\n";
  }
  wat += "(instance (instantiate $c24)))";
  auto c = FromWat(wat);
  ASSERT_TRUE(c);
  HostLinker host;
  auto r = Instantiate(c, host);
  ASSERT_TRUE(r.link_error);
  EXPECT_FALSE(r.instance);
  EXPECT_EQ(r.link_error->message,
            "the component makes more than 10000 component and core "
            "instances");
}

INSTANTIATE_TEST_SUITE_P(Tiers, NestedTest,
                         ::testing::Values(Tier::Interp, Tier::Compiled));

// ------------------------------------------------ on the WASI 0.2 host

// Runs `jco run` (the reference host) on a fixture; its stdout and exit
// status.
struct JcoRun {
  std::string out;
  int status = -1;
};
JcoRun RunJcoUncached(const std::string& component, const std::string& args,
                      const std::string& stdin_text) {
  fs::path in = fs::temp_directory_path() /
                ("weft-linker-stdin-" + std::to_string(::getpid()));
  {
    std::ofstream f(in, std::ios::binary);
    f << stdin_text;
  }
  std::string cmd = "cd '" + fs::temp_directory_path().string() +
                    "' && GREETING=hi '" + std::string(WEFT_NODE) + "' '" +
                    WEFT_JCO_JS + "' run '" + Fixture(component).string() +
                    "' " + args + " <'" + in.string() + "' 2>/dev/null";
  JcoRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  fs::remove(in);
  return r;
}

// The same run on both tiers asks jco once.
JcoRun RunJco(const std::string& component, const std::string& args,
              const std::string& stdin_text = "") {
  static std::map<std::string, JcoRun> runs;
  std::string key = component + '\0' + args + '\0' + stdin_text;
  auto it = runs.find(key);
  if (it == runs.end())
    it = runs.emplace(key, RunJcoUncached(component, args, stdin_text)).first;
  return it->second;
}

struct WeftRun {
  std::string out, err;
  int status = -1; // the exit status the CLI would give
  std::optional<Trap> trap;
};

class CommandTest : public LinkerTest {
protected:
  WeftRun Run(const std::string& component, std::vector<std::string> args,
              const std::string& stdin_text = "",
              std::vector<WasiPreopen> preopens = {}) {
    WeftRun out;
    auto c = Load(component);
    if (!c) return out;
    HostLinker host;
    auto added = wasip2::AddWasiP2(host);
    EXPECT_TRUE(added.ok()) << added.error().Describe();
    wasip2::WasiP2Options opts;
    opts.config.args = std::move(args);
    opts.config.env = {{"GREETING", "hi"}};
    opts.config.memory_stdio = true;
    opts.config.preopens = std::move(preopens);
    auto ctx = wasip2::WasiP2Context::Create(opts);
    EXPECT_TRUE(ctx.ok()) << ctx.error().Describe();
    if (!ctx) return out;
    *(*ctx)->MemoryStdio(0) = stdin_text;
    data_.Set(*ctx);
    auto r = Instantiate(c, host);
    EXPECT_FALSE(r.link_error) << r.link_error->Describe();
    if (!r.instance) return out;
    auto run = r.instance->FindFunc("wasi:cli/run#run");
    EXPECT_TRUE(run);
    if (!run) return out;
    std::vector<Val> results;
    out.trap = r.instance->Call(*run, {}, results);
    if (!out.trap) {
      EXPECT_EQ(results.size(), 1u);
      out.status = !results.empty() && results[0].u == 0 ? 0 : 1;
    } else if (out.trap->kind == TrapKind::Exit) {
      out.status = static_cast<int>(out.trap->exit_code);
      out.trap.reset();
    } else {
      out.status = 1; // jco run's status for a trap
    }
    out.out = *(*ctx)->MemoryStdio(1);
    out.err = *(*ctx)->MemoryStdio(2);
    return out;
  }
};

TEST_P(CommandTest, HelloPrintsWhatJcoRunPrints) {
  WeftRun w = Run("hello.component.wasm", {"hello", "first", "sécond"});
  EXPECT_FALSE(w.trap) << w.trap->message;
  JcoRun j = RunJco("hello.component.wasm", "first sécond");
  EXPECT_EQ(w.out, j.out);
  EXPECT_EQ(w.status, j.status);
  EXPECT_NE(w.out.find("arg 2: sécond\nGREETING=hi\n"), std::string::npos)
      << w.out;
  EXPECT_EQ(w.err, "to stderr\n");
}

TEST_P(CommandTest, ExitStatusAsJcoRunGivesIt) {
  // main returns 3: the adapter calls wasi:cli/exit with err, status 1.
  WeftRun w = Run("hello.component.wasm", {"hello", "3"});
  JcoRun j = RunJco("hello.component.wasm", "3");
  EXPECT_EQ(w.out, j.out);
  EXPECT_EQ(w.status, j.status);
  EXPECT_NE(w.status, 0);
}

TEST_P(CommandTest, StdinToStdout) {
  std::string text = "hello, stdin\nline two\n";
  WeftRun w = Run("cat.component.wasm", {"cat"}, text);
  EXPECT_FALSE(w.trap) << w.trap->message;
  EXPECT_EQ(w.out, "HELLO, STDIN\nLINE TWO\n");
  EXPECT_EQ(w.err, std::to_string(text.size()) + " bytes\n");
  JcoRun j = RunJco("cat.component.wasm", "", text);
  EXPECT_EQ(w.out, j.out);
}

TEST_P(CommandTest, CopiesAFileThroughAPreopen) {
  fs::path dir = fs::temp_directory_path() /
                 ("weft-linker-copy-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string content(100000, '\0');
  for (size_t i = 0; i < content.size(); i++)
    content[i] = static_cast<char>(i * 7 + 3);
  {
    std::ofstream f(dir / "in.bin", std::ios::binary);
    f << content;
  }
  WeftRun w =
      Run("copy.component.wasm", {"copy", "/data/in.bin", "/data/out.bin"}, "",
          {{dir.string(), "/data", false}});
  EXPECT_FALSE(w.trap) << w.trap->message;
  EXPECT_EQ(w.status, 0) << w.err;
  EXPECT_EQ(w.out, "copied 100000 bytes\n");
  EXPECT_EQ(ReadText(dir / "out.bin"), content);
  // Outside the preopen: refused.
  WeftRun bad = Run("copy.component.wasm",
                    {"copy", "/data/in.bin", "/data/../escape.bin"}, "",
                    {{dir.string(), "/data", false}});
  EXPECT_NE(bad.status, 0);
  EXPECT_FALSE(fs::exists(dir.parent_path() / "escape.bin"));
  fs::remove_all(dir);
}

TEST_P(CommandTest, ATrapEndsTheRunAfterItsOutput) {
  WeftRun w = Run("trap.component.wasm", {"trap"});
  ASSERT_TRUE(w.trap);
  EXPECT_EQ(w.trap->kind, TrapKind::Unreachable);
  JcoRun j = RunJco("trap.component.wasm", "");
  EXPECT_EQ(w.out, "before the trap\n");
  EXPECT_EQ(w.out, j.out);
  EXPECT_EQ(w.status, j.status);
}

TEST_P(CommandTest, DirectComponentOnTheWasiHost) {
  WeftRun w = Run("direct.component.wasm", {"direct", "a", "b"});
  EXPECT_FALSE(w.trap) << w.trap->message;
  JcoRun j = RunJco("direct.component.wasm", "a b");
  EXPECT_EQ(w.out, "direct: a b\n");
  EXPECT_EQ(w.out, j.out);
  EXPECT_EQ(w.status, j.status);
  // No argument: run returns err.
  EXPECT_EQ(Run("direct.component.wasm", {"direct"}).status, 1);
}

INSTANTIATE_TEST_SUITE_P(Tiers, CommandTest,
                         ::testing::Values(Tier::Interp, Tier::Compiled));

} // namespace
} // namespace weft::component
