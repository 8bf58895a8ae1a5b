// Resolved component types: primitives made once, structural equality
// across arenas (names, order and resources matter), and their text form.
#include "component/types.h"

#include <gtest/gtest.h>

namespace weft::component {
namespace {

TypeId Record(TypeArena& a, std::vector<Field> fields) {
  ValType t;
  t.kind = ValKind::Record;
  t.fields = std::move(fields);
  return a.AddVal(std::move(t));
}

TypeId ListOf(TypeArena& a, TypeId elem) {
  ValType t;
  t.kind = ValKind::List;
  t.elem = elem;
  return a.AddVal(std::move(t));
}

TypeId OwnOf(TypeArena& a, uint32_t resource) {
  ValType t;
  t.kind = ValKind::Own;
  t.resource = resource;
  return a.AddVal(std::move(t));
}

TEST(ComponentTypes, PrimitiveIsMadeOncePerArena) {
  TypeArena a;
  TypeId u32 = a.Prim(ValKind::U32);
  EXPECT_EQ(a.Prim(ValKind::U32), u32);
  EXPECT_NE(a.Prim(ValKind::S32), u32);
  EXPECT_EQ(a.vals.size(), 2u);
}

TEST(ComponentTypes, RecordsAreEqualAcrossArenasByNameTypeAndOrder) {
  TypeArena a, b;
  TypeId ra = Record(
      a, {{"x", a.Prim(ValKind::U32)}, {"name", a.Prim(ValKind::String)}});
  b.Prim(ValKind::Bool); // different ids in b
  TypeId rb = Record(
      b, {{"x", b.Prim(ValKind::U32)}, {"name", b.Prim(ValKind::String)}});
  EXPECT_TRUE(ValTypesEqual(a, ra, b, rb));
  TypeId renamed = Record(
      b, {{"y", b.Prim(ValKind::U32)}, {"name", b.Prim(ValKind::String)}});
  EXPECT_FALSE(ValTypesEqual(a, ra, b, renamed));
  TypeId swapped = Record(
      b, {{"name", b.Prim(ValKind::String)}, {"x", b.Prim(ValKind::U32)}});
  EXPECT_FALSE(ValTypesEqual(a, ra, b, swapped));
  TypeId wider = Record(
      b, {{"x", b.Prim(ValKind::U64)}, {"name", b.Prim(ValKind::String)}});
  EXPECT_FALSE(ValTypesEqual(a, ra, b, wider));
}

TEST(ComponentTypes, ResourcesNeedTheCallerToSayWhichAreEqual) {
  TypeArena a, b;
  a.resources.push_back({"stream", false, std::nullopt, 0});
  b.resources.push_back({"other", false, std::nullopt, 0});
  b.resources.push_back({"stream", false, std::nullopt, 0});
  TypeId oa = OwnOf(a, 0);
  TypeId ob = OwnOf(b, 1);
  // Different arenas and no mapping: not equal.
  EXPECT_FALSE(ValTypesEqual(a, oa, b, ob));
  // A mapping a.0 -> b.1.
  auto map = [](const void*, uint32_t x, uint32_t y) {
    return x == 0 && y == 1;
  };
  EXPECT_TRUE(ValTypesEqual(a, oa, b, ob, map));
  EXPECT_FALSE(ValTypesEqual(a, oa, b, OwnOf(b, 0), map));
  // own and borrow of the same resource differ.
  ValType borrow;
  borrow.kind = ValKind::Borrow;
  borrow.resource = 1;
  EXPECT_FALSE(ValTypesEqual(a, oa, b, b.AddVal(borrow), map));
}

TEST(ComponentTypes, FuncTypesCompareParamNamesAndResults) {
  TypeArena a;
  FuncType f{{{"s", a.Prim(ValKind::String)}}, {a.Prim(ValKind::U32)}};
  FuncType g = f;
  EXPECT_TRUE(FuncTypesEqual(a, f, a, g));
  g.params[0].name = "t";
  EXPECT_FALSE(FuncTypesEqual(a, f, a, g));
  g = f;
  g.results.clear();
  EXPECT_FALSE(FuncTypesEqual(a, f, a, g));
}

TEST(ComponentTypes, TextFormReadsLikeWit) {
  TypeArena a;
  a.resources.push_back({"output-stream", false, std::nullopt, 0});
  ValType tuple;
  tuple.kind = ValKind::Tuple;
  tuple.elems = {a.Prim(ValKind::String), a.Prim(ValKind::U32)};
  TypeId list = ListOf(a, a.AddVal(tuple));
  EXPECT_EQ(TypeToString(a, list), "list<tuple<string, u32>>");
  ValType result;
  result.kind = ValKind::Result;
  result.err = OwnOf(a, 0);
  EXPECT_EQ(TypeToString(a, a.AddVal(result)), "result<_, own<output-stream>>");
  FuncType f{{{"s", a.Prim(ValKind::String)}}, {list}};
  EXPECT_EQ(FuncTypeToString(a, f),
            "func(s: string) -> list<tuple<string, u32>>");
}

} // namespace
} // namespace weft::component
