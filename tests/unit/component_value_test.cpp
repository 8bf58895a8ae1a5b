// The text form of component values (`weft run --invoke`): every type
// parses and prints back the same, and bad text is refused with a column.
#include "component/value.h"

#include <gtest/gtest.h>

namespace weft::component {
namespace {

class ComponentValueText : public ::testing::Test {
protected:
  TypeId Make(ValType t) { return a.AddVal(std::move(t)); }
  TypeId List(TypeId e) {
    ValType t;
    t.kind = ValKind::List;
    t.elem = e;
    return Make(t);
  }
  TypeId Option(TypeId e) {
    ValType t;
    t.kind = ValKind::Option;
    t.elem = e;
    return Make(t);
  }
  TypeId Labels(ValKind k, std::vector<std::string> labels) {
    ValType t;
    t.kind = k;
    t.labels = std::move(labels);
    return Make(t);
  }
  // Parses `text` as `type` and prints it again.
  std::string RoundTrip(TypeId type, std::string_view text) {
    Result<Val> v = ParseVal(a, type, text);
    if (!v) return "error: " + v.error().message;
    return ValToString(a, type, *v);
  }
  TypeArena a;
};

TEST_F(ComponentValueText, ScalarsRoundTrip) {
  struct Case {
    ValKind kind;
    const char* in;
    const char* out;
  } cases[] = {
      {ValKind::Bool, "true", "true"},
      {ValKind::Bool, "false", "false"},
      {ValKind::U8, "255", "255"},
      {ValKind::S8, "-128", "-128"},
      {ValKind::U16, "0xffff", "65535"},
      {ValKind::S32, "-2147483648", "-2147483648"},
      {ValKind::U32, "4_000_000_000", "4000000000"},
      {ValKind::S64, "-9223372036854775808", "-9223372036854775808"},
      {ValKind::U64, "18446744073709551615", "18446744073709551615"},
      {ValKind::F32, "1.5", "1.5"},
      {ValKind::F32, "0.1", "0.1"},
      {ValKind::F64, "0.1", "0.1"},
      {ValKind::F64, "-inf", "-inf"},
      {ValKind::F64, "nan", "nan"},
      {ValKind::F64, "3", "3.0"},
      {ValKind::Char, "'x'", "'x'"},
      {ValKind::Char, "'\\u{1F600}'", "'\xF0\x9F\x98\x80'"},
      {ValKind::String, "\"a\\nb\\\"c\"", "\"a\\nb\\\"c\""},
      {ValKind::String, "\"\\u{e9}\"", "\"\xC3\xA9\""},
  };
  for (const Case& c : cases)
    EXPECT_EQ(RoundTrip(a.Prim(c.kind), c.in), c.out) << c.in;
}

TEST_F(ComponentValueText, IntegersOutOfRangeAreRefused) {
  for (auto [kind, text] : std::vector<std::pair<ValKind, const char*>>{
           {ValKind::U8, "256"},
           {ValKind::S8, "128"},
           {ValKind::S8, "-129"},
           {ValKind::U32, "-1"},
           {ValKind::U64, "18446744073709551616"},
           {ValKind::S32, "1.5"},
           {ValKind::U32, "abc"}}) {
    Result<Val> v = ParseVal(a, a.Prim(kind), text);
    EXPECT_FALSE(v.ok()) << text;
  }
  Result<Val> v = ParseVal(a, a.Prim(ValKind::U8), "300");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().message, "`300` is out of range for u8 at column 1");
}

TEST_F(ComponentValueText, CompoundTypesRoundTrip) {
  TypeId u32 = a.Prim(ValKind::U32), str = a.Prim(ValKind::String);
  EXPECT_EQ(RoundTrip(List(u32), "[1, 2,3]"), "[1, 2, 3]");
  EXPECT_EQ(RoundTrip(List(u32), "[ ]"), "[]");
  EXPECT_EQ(RoundTrip(List(a.Prim(ValKind::U8)), "[0, 255, 10]"),
            "[0, 255, 10]");
  ValType rec;
  rec.kind = ValKind::Record;
  rec.fields = {{"a", u32}, {"name", str}};
  TypeId r = Make(rec);
  EXPECT_EQ(RoundTrip(r, "{name: \"x\", a: 1}"), "{a: 1, name: \"x\"}");
  ValType tup;
  tup.kind = ValKind::Tuple;
  tup.elems = {u32, str};
  EXPECT_EQ(RoundTrip(Make(tup), "(1, \"a\")"), "(1, \"a\")");
  EXPECT_EQ(RoundTrip(Option(u32), "some(3)"), "some(3)");
  EXPECT_EQ(RoundTrip(Option(u32), "none"), "none");
  EXPECT_EQ(RoundTrip(Option(Option(u32)), "some(none)"), "some(none)");
  ValType res;
  res.kind = ValKind::Result;
  res.ok = u32;
  res.err = str;
  TypeId rt = Make(res);
  EXPECT_EQ(RoundTrip(rt, "ok(1)"), "ok(1)");
  EXPECT_EQ(RoundTrip(rt, "err(\"e\")"), "err(\"e\")");
  ValType bare;
  bare.kind = ValKind::Result;
  EXPECT_EQ(RoundTrip(Make(bare), "ok"), "ok");
  EXPECT_EQ(RoundTrip(Labels(ValKind::Enum, {"red", "green"}), "green"),
            "green");
  EXPECT_EQ(RoundTrip(Labels(ValKind::Flags, {"read", "write", "exec"}),
                      "{exec, read}"),
            "{read, exec}");
  ValType var;
  var.kind = ValKind::Variant;
  var.cases = {{"circle", a.Prim(ValKind::F64)}, {"none", std::nullopt}};
  TypeId vt = Make(var);
  EXPECT_EQ(RoundTrip(vt, "circle(2)"), "circle(2.0)");
  EXPECT_EQ(RoundTrip(vt, "none"), "none");
}

TEST_F(ComponentValueText, MistakesNameWhatAndWhere) {
  TypeId u32 = a.Prim(ValKind::U32);
  ValType rec;
  rec.kind = ValKind::Record;
  rec.fields = {{"a", u32}, {"b", u32}};
  TypeId r = Make(rec);
  struct Case {
    TypeId type;
    const char* text;
    const char* error;
  } cases[] = {
      {List(u32), "[1, 2", "expected `]` at column 6"},
      {r, "{a: 1}", "missing field `b` at column 7"},
      {r, "{a: 1, c: 2}", "no field `c` at column 9"},
      {r, "{a: 1, a: 2}", "field `a` given twice at column 9"},
      {Option(u32), "maybe(1)", "expected `some(...)` or `none` at column 6"},
      {a.Prim(ValKind::String), "\"abc", "unterminated literal at column 5"},
      {a.Prim(ValKind::Char), "'ab'",
       "a char holds one code point at column 5"},
      {u32, "1 2", "unexpected `2` after the value at column 3"},
  };
  for (const Case& c : cases) {
    Result<Val> v = ParseVal(a, c.type, c.text);
    ASSERT_FALSE(v.ok()) << c.text;
    EXPECT_EQ(v.error().message, c.error) << c.text;
  }
  ValType own;
  own.kind = ValKind::Own;
  EXPECT_FALSE(ParseVal(a, Make(own), "1").ok());
}

TEST_F(ComponentValueText, DeepNestingIsRefusedNotOverflowed) {
  TypeId t = a.Prim(ValKind::U32);
  for (int i = 0; i < 150; ++i)
    t = Option(t);
  std::string text;
  for (int i = 0; i < 150; ++i)
    text += "some(";
  text += "1";
  text += std::string(150, ')');
  Result<Val> v = ParseVal(a, t, text);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("nested too deeply"), std::string::npos);
}

} // namespace
} // namespace weft::component
