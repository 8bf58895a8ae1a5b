// The canonical ABI against a real guest (a core module with its memory and
// realloc, assembled by wat2wasm): flattening limits, every value type
// lowered then lifted (flat and through memory, as parameters and as
// results, in all three string encodings), hand-placed memory bytes lifted
// to the expected values, and each guest violation trapping with its
// message.
#include <gtest/gtest.h>

#include <cstring>

#include "component/abi.h"
#include "component/value.h"
#include "component_abi_helper.h"

namespace weft::component {
namespace {

using test::Same;
using VT = weft::ValType;

class ComponentAbi : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_NE(g.instance, nullptr); }

  Site MakeSite(const FuncType& f, StringEncoding enc = StringEncoding::Utf8) {
    Site s;
    s.store = &store;
    s.types = &T.a;
    s.type = &f;
    s.opts.encoding = enc;
    s.opts.memory = g.memory;
    s.opts.realloc = g.realloc;
    s.instance = &inst;
    s.resources = &rts;
    return s;
  }
  uint8_t* Mem() { return g.memory->data(); }
  void Put(uint32_t at, const std::string& bytes) {
    std::memcpy(Mem() + at, bytes.data(), bytes.size());
  }
  void Put32(uint32_t at, uint32_t v) { std::memcpy(Mem() + at, &v, 4); }
  uint32_t GuestAlloc(uint32_t align, uint32_t size) {
    const Value args[] = {Value::I32(0), Value::I32(0), Value::I32(align),
                          Value::I32(size)};
    return store.Call(g.realloc, args).results.at(0).i32;
  }
  FuncInst*
  HostCore(const FuncType& f, bool lower,
           std::function<void(std::span<const Value>, std::span<Value>)> fn) {
    return store.CreateHostFunc(
        CoreFuncType(T.a, f, lower),
        [fn](Store&, std::span<const Value> a,
             std::span<Value> r) -> std::optional<Trap> {
          fn(a, r);
          return std::nullopt;
        });
  }

  // Lifts `core` (a guest's core arguments) as a lowered call of `f`;
  // the lifted arguments, or the trap's message in `trap`.
  std::vector<Val> Lift(const FuncType& f, std::vector<Value> core,
                        StringEncoding enc = StringEncoding::Utf8) {
    Site site = MakeSite(f, enc);
    std::vector<Val> got;
    std::vector<Value> results(CoreFuncType(T.a, f, true).results.size());
    auto t = CallLowered(site, core, results,
                         [&](std::span<const Val> a, std::vector<Val>&) {
                           got.assign(a.begin(), a.end());
                           return std::optional<Trap>();
                         });
    trap = t ? t->message : "";
    return got;
  }
  std::vector<Val> LiftOne(TypeId t, std::vector<Value> core,
                           StringEncoding enc = StringEncoding::Utf8) {
    FuncType f;
    f.params = {{"x", t}};
    return Lift(f, std::move(core), enc);
  }

  // `v` as the parameter of a lifted call (lowered into the guest), its
  // core values lifted back as a lowered call. With `memory`, 16 more u64
  // parameters push the parameters through memory.
  std::optional<Val> ParamRoundTrip(TypeId t, const Val& v, StringEncoding enc,
                                    bool memory) {
    FuncType f;
    f.params = {{"x", t}};
    std::vector<Val> args = {v};
    if (memory)
      for (int i = 0; i < 16; ++i) {
        f.params.push_back({"p" + std::to_string(i), T.P(ValKind::U64)});
        args.push_back(Val::U64(1000 + i));
      }
    std::vector<Value> flat;
    FuncInst* core = HostCore(
        f, false, [&](auto a, auto) { flat.assign(a.begin(), a.end()); });
    Site site = MakeSite(f, enc);
    std::vector<Val> results;
    if (auto tr = CallLifted(site, core, args, results)) {
      trap = tr->message;
      return std::nullopt;
    }
    EXPECT_EQ(flat.size(),
              memory ? 1u : CoreFuncType(T.a, f, false).params.size());
    std::vector<Val> back = Lift(f, flat, enc);
    if (!trap.empty()) return std::nullopt;
    for (size_t i = 1; i < back.size(); ++i)
      EXPECT_EQ(back[i].u, 1000u + i - 1);
    return back.at(0);
  }

  // `v` as the result of a lowered call (lowered into the guest, flat or
  // through the out-pointer), lifted back as the result of a lifted call.
  std::optional<Val> ResultRoundTrip(TypeId t, const Val& v,
                                     StringEncoding enc) {
    FuncType f;
    f.results = {t};
    const AbiLayouts lay(T.a);
    const bool memory = lay[t].flat_count > 1;
    std::vector<Value> core_args, core_results(memory ? 0 : 1);
    uint32_t out = 0;
    if (memory) {
      out = GuestAlloc(lay[t].align, lay[t].size);
      core_args.push_back(Value::I32(out));
    }
    Site site = MakeSite(f, enc);
    auto tr = CallLowered(site, core_args, core_results,
                          [&](std::span<const Val>, std::vector<Val>& r) {
                            r.push_back(v);
                            return std::optional<Trap>();
                          });
    if (tr) {
      trap = tr->message;
      return std::nullopt;
    }
    FuncInst* core = HostCore(f, false, [&](auto, auto r) {
      r[0] = memory ? Value::I32(out) : core_results[0];
    });
    std::vector<Val> results;
    if (auto t2 = CallLifted(site, core, {}, results)) {
      trap = t2->message;
      return std::nullopt;
    }
    return results.at(0);
  }

  Engine engine;
  Store store{engine};
  test::Guest g = test::MakeGuest(store);
  test::Types T;
  InstanceState inst;
  std::vector<ResourceType*> rts;
  std::string trap;
};

// --- flattening -------------------------------------------------------------

TEST_F(ComponentAbi, CoreFuncTypeFlatteningLimits) {
  const TypeId u32 = T.P(ValKind::U32), str = T.P(ValKind::String);
  FuncType f;
  for (int i = 0; i < 16; ++i)
    f.params.push_back({"p", u32});
  EXPECT_EQ(CoreFuncType(T.a, f, true).params,
            std::vector<VT>(16, VT::I32)); // 16 flat params stay flat
  f.params.push_back({"p", u32});
  EXPECT_EQ(CoreFuncType(T.a, f, true).params, std::vector<VT>{VT::I32});
  EXPECT_EQ(CoreFuncType(T.a, f, false).params, std::vector<VT>{VT::I32});

  FuncType g1; // one flat result stays a result
  g1.results = {T.P(ValKind::F64)};
  EXPECT_EQ(CoreFuncType(T.a, g1, true).results, std::vector<VT>{VT::F64});
  EXPECT_TRUE(CoreFuncType(T.a, g1, true).params.empty());
  FuncType g2; // two (a string): an out-pointer when lowering, a pointer
  g2.params = {{"s", str}}; // returned when lifting
  g2.results = {str};
  weft::FuncType lower = CoreFuncType(T.a, g2, true);
  EXPECT_EQ(lower.params, (std::vector<VT>{VT::I32, VT::I32, VT::I32}));
  EXPECT_TRUE(lower.results.empty());
  weft::FuncType lift = CoreFuncType(T.a, g2, false);
  EXPECT_EQ(lift.params, (std::vector<VT>{VT::I32, VT::I32}));
  EXPECT_EQ(lift.results, std::vector<VT>{VT::I32});
}

TEST_F(ComponentAbi, VariantsJoinTheirPayloadsFlatTypes) {
  const TypeId s32 = T.P(ValKind::S32), f32 = T.P(ValKind::F32),
               s64 = T.P(ValKind::S64), f64 = T.P(ValKind::F64),
               str = T.P(ValKind::String);
  struct Row {
    TypeId type;
    std::vector<VT> flat;
  } rows[] = {
      {T.Variant({s32, f32}), {VT::I32, VT::I32}},
      {T.Variant({f32, f32}), {VT::I32, VT::F32}},
      {T.Variant({f32, s64}), {VT::I32, VT::I64}},
      {T.Variant({f64, f32}), {VT::I32, VT::I64}},
      {T.Variant({std::nullopt, f64}), {VT::I32, VT::F64}},
      {T.Variant({str, T.Tuple({f32, f32, f32})}),
       {VT::I32, VT::I32, VT::I32, VT::F32}},
      {T.Option(T.P(ValKind::U8)), {VT::I32, VT::I32}},
      {T.Result(std::nullopt, std::nullopt), {VT::I32}},
      {T.Labels(ValKind::Enum, 300), {VT::I32}},
      {T.Labels(ValKind::Flags, 32), {VT::I32}},
      {T.Record({T.P(ValKind::U8), str, f64}),
       {VT::I32, VT::I32, VT::I32, VT::F64}},
  };
  for (const Row& r : rows) {
    FuncType f;
    f.params = {{"x", r.type}};
    EXPECT_EQ(CoreFuncType(T.a, f, true).params, r.flat)
        << TypeToString(T.a, r.type);
  }
}

TEST_F(ComponentAbi, SizesAndAlignmentsFollowTheSpec) {
  const TypeId u8 = T.P(ValKind::U8), u16 = T.P(ValKind::U16),
               u32 = T.P(ValKind::U32), u64 = T.P(ValKind::U64),
               str = T.P(ValKind::String);
  struct Row {
    TypeId type;
    uint32_t size, align;
  } rows[] = {
      {T.Record({u8, u32, u16}), 12, 4},
      {T.Record({u8, u64}), 16, 8},
      {T.Tuple({u8, u8, u16}), 4, 2},
      {str, 8, 4},
      {T.List(u64), 8, 4},
      {T.Option(u64), 16, 8},
      {T.Result(u8, u16), 4, 2},
      {T.Labels(ValKind::Enum, 257), 2, 2},
      {T.Labels(ValKind::Flags, 9), 2, 2},
      {T.Labels(ValKind::Flags, 17), 4, 4},
      {T.Variant({std::nullopt, str}), 12, 4},
  };
  const AbiLayouts lay(T.a);
  for (const Row& r : rows) {
    EXPECT_EQ(lay[r.type].size, r.size) << TypeToString(T.a, r.type);
    EXPECT_EQ(lay[r.type].align, r.align) << TypeToString(T.a, r.type);
  }
}

// --- round trips ------------------------------------------------------------

struct Sample {
  std::string name;
  TypeId type;
  Val v;
};

std::vector<Sample> Samples(test::Types& T) {
  const TypeId u8 = T.P(ValKind::U8), s8 = T.P(ValKind::S8),
               u16 = T.P(ValKind::U16), s16 = T.P(ValKind::S16),
               u32 = T.P(ValKind::U32), s32 = T.P(ValKind::S32),
               u64 = T.P(ValKind::U64), s64 = T.P(ValKind::S64),
               f32 = T.P(ValKind::F32), f64 = T.P(ValKind::F64),
               ch = T.P(ValKind::Char), str = T.P(ValKind::String),
               b = T.P(ValKind::Bool);
  auto I = [](ValKind k, uint64_t u) { return Val::Of(k, u); };
  auto S = [](const char* s) { return Val::Str(s); };
  std::vector<Sample> v = {
      {"bool", b, Val::Bool(true)},
      {"bool false", b, Val::Bool(false)},
      {"s8", s8, I(ValKind::S8, static_cast<uint64_t>(-128))},
      {"u8", u8, I(ValKind::U8, 255)},
      {"s16", s16, I(ValKind::S16, static_cast<uint64_t>(-2))},
      {"u16", u16, I(ValKind::U16, 65535)},
      {"s32", s32, Val::S32(INT32_MIN)},
      {"u32", u32, Val::U32(UINT32_MAX)},
      {"s64", s64, Val::S64(INT64_MIN)},
      {"u64", u64, Val::U64(UINT64_MAX)},
      {"f32", f32, I(ValKind::F32, 0xc0490fdb)},
      {"f64", f64, I(ValKind::F64, 0x400921fb54442d18)},
      {"char", ch, I(ValKind::Char, 0x1f600)},
      {"string empty", str, S("")},
      {"string ascii", str, S("hello")},
      {"string latin1", str, S("h\xc3\xa9llo w\xc3\xb6rld \xc3\xbf")},
      {"string bmp", str, S("\xe6\x97\xa5\xe6\x9c\xac caf\xc3\xa9")},
      {"string astral", str,
       S("a\xf0\x9f\x98\x80"
         "b")},
      {"list<u32>", T.List(u32), Val::Record({})},
      {"list<u8> bytes", T.List(u8),
       Val::Bytes(std::string("\0\xff"
                              "abc",
                              5))},
      {"list<s8> bytes", T.List(s8), Val::Bytes("\x80\x7f")},
      {"list<u8> empty", T.List(u8), Val::Bytes("")},
      {"list<string>", T.List(str), Val::Record({})},
      {"list<list<u16>>", T.List(T.List(u16)), Val::Record({})},
      {"record", T.Record({u8, str, f64, T.List(u8)}), Val::Record({})},
      {"tuple", T.Tuple({s16, ch, b}), Val::Tuple({})},
      {"variant i32/f32 as f32", T.Variant({s32, f32}),
       Val::VariantCase(1, I(ValKind::F32, 0x3fc00000))},
      {"variant f32/s64 as f32", T.Variant({f32, s64}),
       Val::VariantCase(0, I(ValKind::F32, 0xbf800000))},
      {"variant f64/s32 as s32", T.Variant({f64, s32}),
       Val::VariantCase(1, Val::S32(-5))},
      {"variant string/none", T.Variant({str, std::nullopt, u64}),
       Val::VariantCase(0, S("payload"))},
      {"variant none case", T.Variant({str, std::nullopt, u64}),
       Val::VariantCase(1)},
      {"enum", T.Labels(ValKind::Enum, 300), Val::EnumCase(299)},
      {"option some", T.Option(str), Val::Some(S("x"))},
      {"option none", T.Option(str), Val::None()},
      {"result ok", T.Result(u32, str), Val::Ok(Val::U32(7))},
      {"result err", T.Result(u32, str), Val::Err(S("bad"))},
      {"result ok()", T.Result(std::nullopt, std::nullopt), Val::Ok()},
      {"flags 3", T.Labels(ValKind::Flags, 3), I(ValKind::Flags, 5)},
      {"flags 32", T.Labels(ValKind::Flags, 32), I(ValKind::Flags, 0x80000001)},
  };
  // Fill the compound samples.
  for (Sample& s : v) {
    const ValType& t = T.a.vals[s.type];
    if (s.name == "list<u32>") {
      s.v = Val::Bytes("");
      s.v.s.clear();
      for (uint32_t i : {1u, 2u, 0xffffffffu})
        s.v.items.push_back(Val::U32(i));
    } else if (s.name == "list<string>") {
      s.v = Val::Of(ValKind::List, 0);
      for (const char* x : {"a", "", "\xc3\xbc\xe2\x82\xac"})
        s.v.items.push_back(S(x));
    } else if (s.name == "list<list<u16>>") {
      s.v = Val::Of(ValKind::List, 0);
      for (int n : {0, 2, 3}) {
        Val inner = Val::Of(ValKind::List, 0);
        for (int i = 0; i < n; ++i)
          inner.items.push_back(I(ValKind::U16, 100 + i));
        s.v.items.push_back(inner);
      }
    } else if (s.name == "record") {
      s.v =
          Val::Record({I(ValKind::U8, 9), S("field"),
                       I(ValKind::F64, 0x3ff0000000000000), Val::Bytes("xyz")});
    } else if (s.name == "tuple") {
      s.v = Val::Tuple({I(ValKind::S16, static_cast<uint64_t>(-300)),
                        I(ValKind::Char, 'z'), Val::Bool(true)});
    }
    (void)t;
  }
  return v;
}

TEST_F(ComponentAbi, EveryTypeRoundTripsInEveryEncodingAndPath) {
  const std::vector<Sample> samples = Samples(T);
  for (StringEncoding enc : {StringEncoding::Utf8, StringEncoding::Utf16,
                             StringEncoding::Latin1Utf16}) {
    for (const Sample& s : samples) {
      for (int path = 0; path < 3; ++path) {
        trap.clear();
        std::optional<Val> back =
            path == 2 ? ResultRoundTrip(s.type, s.v, enc)
                      : ParamRoundTrip(s.type, s.v, enc, path == 1);
        const char* how[] = {"flat param", "param in memory", "result"};
        ASSERT_TRUE(back) << s.name << " (" << how[path] << ", encoding "
                          << static_cast<int>(enc) << "): " << trap;
        EXPECT_TRUE(Same(*back, s.v))
            << s.name << " (" << how[path] << ", encoding "
            << static_cast<int>(enc) << "): got "
            << ValToString(T.a, s.type, *back) << ", want "
            << ValToString(T.a, s.type, s.v);
      }
    }
  }
}

TEST_F(ComponentAbi, NaNsAreCanonicalisedBothWays) {
  const TypeId f32 = T.P(ValKind::F32), f64 = T.P(ValKind::F64);
  // Lift: a signalling NaN with payload from the guest.
  std::vector<Val> v = LiftOne(f32, {Value::F32Bits(0xff800001)});
  ASSERT_EQ(trap, "");
  EXPECT_EQ(v[0].u, 0x7fc00000u);
  v = LiftOne(f64, {Value::F64Bits(0xfff0000000000123)});
  EXPECT_EQ(v[0].u, 0x7ff8000000000000u);
  // Lower: a NaN with payload from the host.
  std::optional<Val> back =
      ParamRoundTrip(f64, Val::Of(ValKind::F64, 0x7ff4000000000001),
                     StringEncoding::Utf8, false);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->u, 0x7ff8000000000000u);
  // Inside a variant joined to i64 the f32 NaN is canonical too.
  back = ParamRoundTrip(T.Variant({f32, T.P(ValKind::S64)}),
                        Val::VariantCase(0, Val::Of(ValKind::F32, 0x7f800002)),
                        StringEncoding::Utf8, false);
  ASSERT_TRUE(back) << trap;
  EXPECT_EQ(back->items.at(0).u, 0x7fc00000u);
  // Infinities and ordinary numbers pass unchanged.
  v = LiftOne(f32, {Value::F32Bits(0x7f800000)});
  EXPECT_EQ(v[0].u, 0x7f800000u);
}

// --- lifting hand-placed memory ---------------------------------------------

TEST_F(ComponentAbi, LiftsHandPlacedStringsInEachEncoding) {
  const TypeId str = T.P(ValKind::String);
  Put(100, "h\xc3\xa9!");
  EXPECT_EQ(LiftOne(str, {Value::I32(100), Value::I32(4)})[0].s, "h\xc3\xa9!");
  Put(200, std::string("h\0\xe9\0=\xd8\x00\xde", 8)); // h é U+1F600
  EXPECT_EQ(
      LiftOne(str, {Value::I32(200), Value::I32(4)}, StringEncoding::Utf16)[0]
          .s,
      "h\xc3\xa9\xf0\x9f\x98\x80");
  Put(300, "caf\xe9"); // Latin-1
  EXPECT_EQ(LiftOne(str, {Value::I32(300), Value::I32(4)},
                    StringEncoding::Latin1Utf16)[0]
                .s,
            "caf\xc3\xa9");
  // The tag bit selects UTF-16 for latin1+utf16.
  EXPECT_EQ(LiftOne(str, {Value::I32(200), Value::I32(0x80000002)},
                    StringEncoding::Latin1Utf16)[0]
                .s,
            "h\xc3\xa9");
}

TEST_F(ComponentAbi, LowersStringsWithTheSpecsAllocations) {
  const TypeId str = T.P(ValKind::String);
  struct Row {
    StringEncoding enc;
    std::string s;
    uint32_t units;    // tagged code units the guest gets
    std::string bytes; // what it finds in memory
    uint32_t reallocs; // calls of realloc
  } rows[] = {
      {StringEncoding::Utf8, "h\xc3\xa9", 3, "h\xc3\xa9", 1},
      // utf16: 2*n bytes, then shrunk to what the text needs
      {StringEncoding::Utf16, "h\xc3\xa9", 2, std::string("h\0\xe9\0", 4), 2},
      // latin1+utf16, all Latin-1: n bytes, shrunk to the Latin-1 length
      {StringEncoding::Latin1Utf16, "h\xc3\xa9", 2, "h\xe9", 2},
      {StringEncoding::Latin1Utf16, "hi", 2, "hi", 1},
      // not Latin-1: inflated to UTF-16 (grow to 2n, then shrink)
      {StringEncoding::Latin1Utf16, "\xc3\xa9\xe2\x82\xac", 0x80000002u,
       std::string("\xe9\0\xac\x20", 4), 3},
  };
  for (const Row& r : rows) {
    FuncType f;
    f.params = {{"s", str}};
    std::vector<Value> flat;
    FuncInst* core = HostCore(
        f, false, [&](auto a, auto) { flat.assign(a.begin(), a.end()); });
    Site site = MakeSite(f, r.enc);
    const uint32_t calls = g.Global("calls");
    std::vector<Val> results;
    const Val arg = Val::Str(r.s);
    ASSERT_FALSE(CallLifted(site, core, std::span(&arg, 1), results));
    ASSERT_EQ(flat.size(), 2u);
    EXPECT_EQ(flat[1].i32, r.units) << r.s;
    EXPECT_EQ(std::string(reinterpret_cast<char*>(Mem()) + flat[0].i32,
                          r.bytes.size()),
              r.bytes);
    EXPECT_EQ(g.Global("calls") - calls, r.reallocs) << r.s;
  }
}

TEST_F(ComponentAbi, LiftsHandPlacedCompoundValues) {
  const TypeId u8 = T.P(ValKind::U8), u16 = T.P(ValKind::U16),
               u32 = T.P(ValKind::U32), str = T.P(ValKind::String);
  // list<record{u8, u32, u16}>: 12 bytes per element, fields at 0, 4, 8.
  const TypeId rec = T.Record({u8, u32, u16});
  Put(400, std::string("\x07\0\0\0\x01\x02\x03\x04\x05\x06\0\0"
                       "\x08\0\0\0\xff\xff\xff\xff\x09\0\0\0",
                       24));
  std::vector<Val> v = LiftOne(T.List(rec), {Value::I32(400), Value::I32(2)});
  ASSERT_EQ(trap, "");
  ASSERT_EQ(v[0].items.size(), 2u);
  EXPECT_EQ(v[0].items[0].items[0].u, 7u);
  EXPECT_EQ(v[0].items[0].items[1].u, 0x04030201u);
  EXPECT_EQ(v[0].items[0].items[2].u, 0x0605u);
  EXPECT_EQ(v[0].items[1].items[1].u, 0xffffffffu);
  // option<string> in memory (through 17 params): disc byte, payload at 4.
  FuncType f;
  f.params = {{"o", T.Option(str)}};
  for (int i = 0; i < 16; ++i)
    f.params.push_back({"p", u8});
  Put(500, "abc");
  Put(512, std::string("\x01\0\0\0", 4));
  Put32(516, 500);
  Put32(520, 3);
  v = Lift(f, {Value::I32(512)});
  ASSERT_EQ(trap, "");
  EXPECT_EQ(v[0].u, 1u);
  EXPECT_EQ(v[0].items.at(0).s, "abc");
  // bool is any non-zero byte (convert_int_to_bool); flags ignore the bits
  // past their labels (unpack_flags_from_int reads only the labels).
  EXPECT_EQ(LiftOne(T.P(ValKind::Bool), {Value::I32(2)})[0].u, 1u);
  EXPECT_EQ(LiftOne(T.Labels(ValKind::Flags, 3), {Value::I32(0xff)})[0].u, 7u);
  // Integers wider than their type are truncated (lift_flat_unsigned/signed).
  EXPECT_EQ(LiftOne(T.P(ValKind::S8), {Value::I32(0x1ff)})[0].u, ~uint64_t{0});
}

// --- violations -------------------------------------------------------------

TEST_F(ComponentAbi, GuestViolationsTrapWithTheirReason) {
  const TypeId str = T.P(ValKind::String), u32 = T.P(ValKind::U32),
               u64 = T.P(ValKind::U64), ch = T.P(ValKind::Char);
  Put(100, "\xc0\x80");                       // overlong NUL
  Put(110, std::string("a\0\x00\xd8z\0", 6)); // lone high surrogate
  Put(120, std::string("\x00\xdc", 2));       // lone low surrogate
  Put(130, "\xe6\x97");                       // 3-byte sequence cut short
  Put32(200, 7);                              // variant disc 7 of 3
  struct Row {
    const char* name;
    TypeId type;
    std::vector<Value> core;
    StringEncoding enc;
    const char* message;
  } rows[] = {
      {"string past the end",
       str,
       {Value::I32(65530), Value::I32(10)},
       StringEncoding::Utf8,
       "out of bounds"},
      {"string ptr+len overflows",
       str,
       {Value::I32(0xfffffff0), Value::I32(0x20)},
       StringEncoding::Utf8,
       "out of bounds"},
      {"string too long",
       str,
       {Value::I32(0), Value::I32(1u << 28)},
       StringEncoding::Utf8,
       "longer than the limit"},
      {"utf16 string too long",
       str,
       {Value::I32(0), Value::I32(1u << 27)},
       StringEncoding::Utf16,
       "longer than the limit"},
      {"invalid utf-8",
       str,
       {Value::I32(100), Value::I32(2)},
       StringEncoding::Utf8,
       "not valid UTF-8"},
      {"utf-8 cut short",
       str,
       {Value::I32(130), Value::I32(2)},
       StringEncoding::Utf8,
       "not valid UTF-8 (byte 0)"},
      {"unpaired high surrogate",
       str,
       {Value::I32(110), Value::I32(3)},
       StringEncoding::Utf16,
       "unpaired UTF-16 surrogate"},
      {"unpaired low surrogate",
       str,
       {Value::I32(120), Value::I32(1)},
       StringEncoding::Utf16,
       "unpaired UTF-16 surrogate"},
      {"misaligned utf16 string",
       str,
       {Value::I32(101), Value::I32(1)},
       StringEncoding::Utf16,
       "not 2-byte aligned"},
      {"misaligned list",
       T.List(u32),
       {Value::I32(2), Value::I32(1)},
       StringEncoding::Utf8,
       "not 4-byte aligned"},
      {"list past the end",
       T.List(u32),
       {Value::I32(65532), Value::I32(2)},
       StringEncoding::Utf8,
       "out of bounds"},
      {"list len*size too long",
       T.List(u64),
       {Value::I32(8), Value::I32(0x20000000)},
       StringEncoding::Utf8,
       "longer than the limit"},
      {"char surrogate",
       ch,
       {Value::I32(0xd800)},
       StringEncoding::Utf8,
       "not a Unicode scalar value"},
      {"char too big",
       ch,
       {Value::I32(0x110000)},
       StringEncoding::Utf8,
       "not a Unicode scalar value"},
      {"flat discriminant",
       T.Variant({u32, std::nullopt}),
       {Value::I32(2), Value::I32(0)},
       StringEncoding::Utf8,
       "out of range"},
      {"enum discriminant",
       T.Labels(ValKind::Enum, 2),
       {Value::I32(2)},
       StringEncoding::Utf8,
       "out of range"},
      {"option discriminant",
       T.Option(u32),
       {Value::I32(2), Value::I32(0)},
       StringEncoding::Utf8,
       "out of range"},
      {"memory discriminant",
       T.List(T.Variant({u32, str, std::nullopt})),
       {Value::I32(200), Value::I32(1)},
       StringEncoding::Utf8,
       "out of range"},
  };
  for (const Row& r : rows) {
    trap.clear();
    LiftOne(r.type, r.core, r.enc);
    EXPECT_NE(trap, "") << r.name;
    EXPECT_NE(trap.find(r.message), std::string::npos)
        << r.name << ": " << trap;
  }
}

// A small guest cannot make the host allocate without bound by aliasing:
// one 512 KiB string referenced 100 times, or 2M+ one-byte records.
TEST_F(ComponentAbi, AliasedDataIsBoundedPerCall) {
  ASSERT_TRUE(g.memory->Grow(40));
  const TypeId str = T.P(ValKind::String);
  std::memset(Mem(), 'a', 512 * 1024);
  const uint32_t list = 600 * 1024;
  for (uint32_t i = 0; i < 100; ++i) {
    Put32(list + 8 * i, 0);
    Put32(list + 8 * i + 4, 512 * 1024);
  }
  std::vector<Val> v = LiftOne(T.List(str), {Value::I32(list), Value::I32(10)});
  ASSERT_EQ(trap, "");
  EXPECT_EQ(v[0].items.size(), 10u); // 5 MiB: within the limit
  LiftOne(T.List(str), {Value::I32(list), Value::I32(100)});
  EXPECT_NE(trap.find("more string and byte-list data than its limit"),
            std::string::npos)
      << trap;
  const TypeId rec = T.Record({T.P(ValKind::Bool)});
  LiftOne(T.List(rec), {Value::I32(0), Value::I32((1u << 21) + 1)});
  EXPECT_NE(trap.find("more values than the call's limit"), std::string::npos)
      << trap;
}

TEST_F(ComponentAbi, ParameterAndResultPointersAreChecked) {
  FuncType f;
  for (int i = 0; i < 17; ++i)
    f.params.push_back({"p", T.P(ValKind::U64)});
  Lift(f, {Value::I32(4)});
  EXPECT_NE(trap.find("parameters pointer 4 is not 8-byte aligned"),
            std::string::npos)
      << trap;
  Lift(f, {Value::I32(65536 - 64)});
  EXPECT_NE(trap.find("out of bounds"), std::string::npos) << trap;
  // A lowered call's out-pointer for a string result.
  FuncType r;
  r.results = {T.P(ValKind::String)};
  Site site = MakeSite(r);
  std::vector<Value> none;
  const Value out[] = {Value::I32(65535)};
  auto t = CallLowered(site, out, none,
                       [](std::span<const Val>, std::vector<Val>& res) {
                         res.push_back(Val::Str("x"));
                         return std::optional<Trap>();
                       });
  ASSERT_TRUE(t);
  EXPECT_NE(t->message.find("results pointer 65535 is not 4-byte aligned"),
            std::string::npos)
      << t->message;
  // A lifted call's returned result pointer.
  FuncInst* core =
      HostCore(r, false, [](auto, auto res) { res[0] = Value::I32(70000); });
  std::vector<Val> results;
  t = CallLifted(site, core, {}, results);
  ASSERT_TRUE(t);
  EXPECT_NE(t->message.find("out of bounds"), std::string::npos) << t->message;
}

TEST_F(ComponentAbi, CoreFunctionOfTheWrongTypeTraps) {
  FuncType f;
  f.results = {T.P(ValKind::U32)};
  FuncType none; // a core function without the u32 result
  FuncInst* core = HostCore(none, false, [](auto, auto) {});
  Site site = MakeSite(f);
  std::vector<Val> results;
  auto t = CallLifted(site, core, {}, results);
  ASSERT_TRUE(t);
  EXPECT_NE(t->message.find("the core function returns 0 values, the lifted "
                            "type needs 1"),
            std::string::npos)
      << t->message;
  EXPECT_TRUE(inst.may_enter);
  // Too few core arguments for a lowered call.
  FuncType g2;
  g2.params = {{"s", T.P(ValKind::String)}};
  Lift(g2, {Value::I32(0)});
  EXPECT_NE(trap.find("do not match the lowered function's type"),
            std::string::npos)
      << trap;
}

TEST_F(ComponentAbi, BadReallocResultsTrap) {
  const TypeId str = T.P(ValKind::String);
  FuncType f;
  f.params = {{"s", str}};
  uint32_t answer = 0;
  FuncInst* bad = store.CreateHostFunc(
      weft::FuncType{{VT::I32, VT::I32, VT::I32, VT::I32}, {VT::I32}},
      [&](Store&, std::span<const Value>, std::span<Value> r) {
        r[0] = Value::I32(answer);
        return std::optional<Trap>();
      });
  FuncInst* core = HostCore(f, false, [](auto, auto) {});
  struct Row {
    StringEncoding enc;
    uint32_t answer;
    const char* message;
  } rows[] = {
      {StringEncoding::Utf16, 3, "realloc returned 3, not 2-byte aligned"},
      {StringEncoding::Utf8, 65534, "out of bounds of memory"},
      {StringEncoding::Utf8, 0xffffffff, "out of bounds of memory"},
  };
  for (const Row& r : rows) {
    answer = r.answer;
    Site site = MakeSite(f, r.enc);
    site.opts.realloc = bad;
    const Val arg = Val::Str("hello");
    std::vector<Val> results;
    auto t = CallLifted(site, core, std::span(&arg, 1), results);
    ASSERT_TRUE(t);
    EXPECT_NE(t->message.find(r.message), std::string::npos) << t->message;
    EXPECT_TRUE(inst.may_enter); // the instance may be called again
    EXPECT_TRUE(inst.tasks.empty());
  }
}

TEST_F(ComponentAbi, ReallocMayNotCallOut) {
  // A realloc that calls an import (a lowered function) traps: may_leave.
  FuncType imp;
  FuncType f;
  f.params = {{"s", T.P(ValKind::String)}};
  FuncInst* calling = store.CreateHostFunc(
      weft::FuncType{{VT::I32, VT::I32, VT::I32, VT::I32}, {VT::I32}},
      [&](Store&, std::span<const Value>, std::span<Value>) {
        Site s = MakeSite(imp);
        return CallLowered(s, {}, {},
                           [](std::span<const Val>, std::vector<Val>&) {
                             return std::optional<Trap>();
                           });
      });
  Site site = MakeSite(f);
  site.opts.realloc = calling;
  FuncInst* core = HostCore(f, false, [](auto, auto) {});
  const Val arg = Val::Str("x");
  std::vector<Val> results;
  auto t = CallLifted(site, core, std::span(&arg, 1), results);
  ASSERT_TRUE(t);
  EXPECT_NE(t->message.find("may not leave"), std::string::npos) << t->message;
  EXPECT_TRUE(inst.may_leave);
}

TEST_F(ComponentAbi, ReentranceTraps) {
  FuncType f;
  Site site = MakeSite(f);
  std::optional<Trap> inner;
  FuncInst* core = HostCore(f, false, [&](auto, auto) {
    std::vector<Val> r;
    inner = CallLifted(
        site,
        store.CreateHostFunc(
            {}, [](auto&, auto, auto) { return std::optional<Trap>(); }),
        {}, r);
  });
  std::vector<Val> results;
  EXPECT_FALSE(CallLifted(site, core, {}, results));
  ASSERT_TRUE(inner);
  EXPECT_NE(inner->message.find("re-entrance"), std::string::npos);
  EXPECT_TRUE(inst.may_enter);
  EXPECT_FALSE(CallLifted(site, core, {}, results)); // and again after
}

TEST_F(ComponentAbi, PostReturnRunsAfterTheResultsAreLifted) {
  FuncType f;
  f.results = {T.P(ValKind::String)};
  Site site = MakeSite(f);
  site.opts.post_return = g.post;
  Put(600, "done");
  Put32(608, 600);
  Put32(612, 4);
  FuncInst* core =
      HostCore(f, false, [](auto, auto r) { r[0] = Value::I32(608); });
  std::vector<Val> results;
  ASSERT_FALSE(CallLifted(site, core, {}, results));
  EXPECT_EQ(results.at(0).s, "done");
  EXPECT_EQ(g.Global("post_calls"), 1u);
}

TEST_F(ComponentAbi, HostValuesOfTheWrongShapeTrap) {
  const TypeId rec = T.Record({T.P(ValKind::U8), T.P(ValKind::U8)});
  ParamRoundTrip(rec, Val::Record({Val::U8(1)}), StringEncoding::Utf8, false);
  EXPECT_NE(trap.find("1 values for record"), std::string::npos) << trap;
  ParamRoundTrip(T.P(ValKind::U32), Val::Str("x"), StringEncoding::Utf8, false);
  EXPECT_NE(trap.find("a string value where a u32 is expected"),
            std::string::npos)
      << trap;
  ParamRoundTrip(T.Option(T.P(ValKind::U8)), Val::Of(ValKind::Option, 1),
                 StringEncoding::Utf8, false);
  EXPECT_NE(trap.find("no payload"), std::string::npos) << trap;
  ParamRoundTrip(T.P(ValKind::Char), Val::Of(ValKind::Char, 0xdfff),
                 StringEncoding::Utf8, false);
  EXPECT_NE(trap.find("not a Unicode scalar value"), std::string::npos);
  ParamRoundTrip(T.P(ValKind::String), Val::Str("\xff"), StringEncoding::Utf16,
                 false);
  EXPECT_NE(trap.find("not valid UTF-8"), std::string::npos) << trap;
}

// Guest code on both sides of the boundary: the guest calls an import
// `log: func(msg: string, n: list<u32>)` (a lowered host function of the
// core type CoreFuncType gives) and exports `sum: func(s: string) -> u32`
// (its core code reads the string the ABI lowered through its realloc).
TEST_F(ComponentAbi, RealGuestCodeCallsAnImportAndIsCalled) {
  FuncType log;
  log.params = {{"msg", T.P(ValKind::String)},
                {"n", T.List(T.P(ValKind::U32))}};
  FuncType sum;
  sum.params = {{"s", T.P(ValKind::String)}};
  sum.results = {T.P(ValKind::U32)};
  ASSERT_EQ(CoreFuncType(T.a, log, true).ToString(),
            "(i32, i32, i32, i32) -> ()");
  std::vector<Val> logged;
  Site log_site;
  FuncInst* log_core = store.CreateHostFunc(
      CoreFuncType(T.a, log, true),
      [&](Store&, std::span<const Value> a, std::span<Value> r) {
        return CallLowered(log_site, a, r,
                           [&](std::span<const Val> args, std::vector<Val>&) {
                             logged.assign(args.begin(), args.end());
                             return std::optional<Trap>();
                           });
      });
  Instance* m = weft::test::Instantiate(store, R"((module
    (import "env" "log" (func $log (param i32 i32 i32 i32)))
    (memory (export "mem") 1)
    (data (i32.const 16) "hi \c3\a9")
    (data (i32.const 32) "\01\00\00\00\02\00\00\00")
    (global $bump (mut i32) (i32.const 4096))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (global.get $bump))
      (global.set $bump (i32.add (global.get $bump) (local.get 3)))
      (local.get $p))
    (func (export "run") (call $log (i32.const 16) (i32.const 5)
                                    (i32.const 32) (i32.const 2)))
    (func (export "sum") (param $p i32) (param $n i32) (result i32)
      (local $s i32)
      (block $done (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
      (local.get $s)))
  )",
                                        {Extern{ExternKind::Func, log_core}});
  ASSERT_NE(m, nullptr);
  g.memory = m->GetExport("mem")->memory();
  g.realloc = m->GetExport("realloc")->func();
  log_site = MakeSite(log);
  CallResult run = store.Call(m->GetExport("run")->func(), {});
  ASSERT_FALSE(run.trap) << run.trap->message;
  ASSERT_EQ(logged.size(), 2u);
  EXPECT_EQ(logged[0].s, "hi \xc3\xa9");
  ASSERT_EQ(logged[1].items.size(), 2u);
  EXPECT_EQ(logged[1].items[1].u, 2u);

  Site sum_site = MakeSite(sum);
  const Val arg = Val::Str("abc");
  std::vector<Val> results;
  ASSERT_FALSE(CallLifted(sum_site, m->GetExport("sum")->func(),
                          std::span(&arg, 1), results));
  EXPECT_EQ(results.at(0).u, 97u + 98u + 99u);
}

} // namespace
} // namespace weft::component
