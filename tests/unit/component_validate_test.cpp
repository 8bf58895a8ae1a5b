// Component validation (src/component/validate.cpp): real components made
// by jco validate and their DefInfo carries the resolved types the linker
// needs; every kind of invalid component is refused with its error.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "component/abi.h"
#include "component/binary.h"
#include "component_wat.h"

namespace weft::component {
namespace {

using namespace weft::component::testing;

Result<std::shared_ptr<const ValidatedComponent>>
DecodeAndValidate(const std::vector<uint8_t>& bytes) {
  auto d = DecodeComponent(std::span<const uint8_t>(bytes));
  if (!d.ok()) return d.error();
  return ValidateComponent(d.value());
}

// The validation error of a component, or "(valid)".
std::string ValidationError(const std::vector<uint8_t>& bytes) {
  if (bytes.empty()) return "(jco parse failed)";
  auto d = DecodeComponent(std::span<const uint8_t>(bytes));
  if (!d.ok()) return "decode: " + d.error().Describe();
  auto v = ValidateComponent(d.value());
  if (v.ok()) return "(valid)";
  return v.error().message;
}

const NamedExtern* Find(const std::vector<NamedExtern>& v,
                        const std::string& name) {
  for (const NamedExtern& e : v)
    if (e.name == name) return &e;
  return nullptr;
}

TEST(ComponentValidate, HelloCommandFromJcoValidates) {
  const std::vector<uint8_t>& bytes = HelloComponent();
  ASSERT_FALSE(bytes.empty());
  auto r = DecodeAndValidate(bytes);
  ASSERT_TRUE(r.ok()) << r.error().Describe();
  const ValidatedComponent& v = *r.value();
  const ComponentType& t = v.type();
  const NamedExtern* run = Find(t.exports, "wasi:cli/run@0.2.12");
  ASSERT_NE(run, nullptr);
  ASSERT_EQ(run->type.kind, ExternType::Kind::Instance);
  const InstanceType& run_it = v.types.instances[run->type.id];
  const NamedExtern* run_fn = Find(run_it.exports, "run");
  ASSERT_NE(run_fn, nullptr);
  ASSERT_EQ(run_fn->type.kind, ExternType::Kind::Func);
  EXPECT_EQ(FuncTypeToString(v.types, v.types.funcs[run_fn->type.id]),
            "func() -> result");

  const NamedExtern* streams = Find(t.imports, "wasi:io/streams@0.2.12");
  ASSERT_NE(streams, nullptr);
  ASSERT_EQ(streams->type.kind, ExternType::Kind::Instance);
  const InstanceType& st = v.types.instances[streams->type.id];
  const NamedExtern* os = Find(st.exports, "output-stream");
  ASSERT_NE(os, nullptr);
  EXPECT_TRUE(os->type.resource);
  const NamedExtern* write =
      Find(st.exports, "[method]output-stream.blocking-write-and-flush");
  ASSERT_NE(write, nullptr);
  const FuncType& wf = v.types.funcs[write->type.id];
  ASSERT_EQ(wf.params.size(), 2u);
  const ValType& self = v.types.vals[wf.params[0].type];
  EXPECT_EQ(self.kind, ValKind::Borrow);
  // borrow<output-stream> names the resource of the same import.
  EXPECT_EQ(self.resource, os->type.id);

  // Every canon lower of the adapter got the flattened core type that the
  // core instantiation then checked against the adapter's imports, e.g.
  // blocking-write-and-flush: (borrow, list<u8>) -> result<_, stream-error>
  // spills its 2 flat results: (i32 i32 i32 i32) -> ().
  const Scope& root = v.scopes[0];
  ASSERT_EQ(root.defs.size(), root.component->definitions.size());
  size_t lowers = 0;
  bool saw_write = false;
  for (size_t i = 0; i < root.defs.size(); ++i) {
    const Definition& d = root.component->definitions[i];
    if (d.kind != Definition::Kind::Canon ||
        d.canon.kind != CanonDef::Kind::Lower) {
      continue;
    }
    ++lowers;
    const FuncType& ft = v.types.funcs[root.defs[i].func_type];
    if (ft.params.size() == 2 &&
        v.types.vals[ft.params[0].type].kind == ValKind::Borrow &&
        v.types.vals[ft.params[1].type].kind == ValKind::List) {
      saw_write = true;
      EXPECT_EQ(root.defs[i].core_type.ToString(),
                "(i32, i32, i32, i32) -> ()");
    }
  }
  EXPECT_GT(lowers, 10u);
  EXPECT_TRUE(saw_write);
  // The core modules come decoded and validated.
  for (size_t i = 0; i < root.defs.size(); ++i) {
    if (root.component->definitions[i].kind == Definition::Kind::CoreModule) {
      EXPECT_TRUE(root.defs[i].core_module);
    }
  }
}

TEST(ComponentValidate, EverySectionComponentValidatesWithDefInfo) {
  std::vector<uint8_t> bytes = WatToComponent(kEverySectionWat);
  ASSERT_FALSE(bytes.empty());
  auto r = DecodeAndValidate(bytes);
  ASSERT_TRUE(r.ok()) << r.error().Describe();
  const ValidatedComponent& v = *r.value();
  const Scope& root = v.scopes[0];
  ASSERT_EQ(v.scopes.size(), 2u);
  EXPECT_EQ(v.scopes[1].parent, 0u);
  uint32_t resource = ~0u;
  for (size_t i = 0; i < root.defs.size(); ++i) {
    const Definition& d = root.component->definitions[i];
    const DefInfo& info = root.defs[i];
    if (d.kind == Definition::Kind::Type &&
        d.type->kind == TypeDef::Kind::Resource) {
      resource = info.resource;
      EXPECT_TRUE(info.type.resource);
      EXPECT_TRUE(v.types.resources[resource].defined);
    }
    if (d.kind == Definition::Kind::Canon) {
      switch (d.canon.kind) {
      case CanonDef::Kind::ResourceNew:
        EXPECT_EQ(info.resource, resource);
        EXPECT_EQ(info.core_type.ToString(), "(i32) -> (i32)");
        break;
      case CanonDef::Kind::ResourceDrop:
        EXPECT_EQ(info.resource, resource);
        EXPECT_EQ(info.core_type.ToString(), "(i32) -> ()");
        break;
      case CanonDef::Kind::Lift:
        EXPECT_EQ(FuncTypeToString(v.types, v.types.funcs[info.func_type]),
                  "func(x: string)");
        EXPECT_EQ(info.core_type.ToString(), "(i32, i32) -> ()");
        EXPECT_EQ(info.type.kind, ExternType::Kind::Func);
        break;
      case CanonDef::Kind::Lower:
        // The imported instance's f: (param "x" (own rr)).
        EXPECT_EQ(info.core_type.ToString(), "(i32) -> ()");
        break;
      default: break;
      }
    }
    if (d.kind == Definition::Kind::Component) {
      EXPECT_EQ(info.scope, 1u);
      EXPECT_EQ(info.type.kind, ExternType::Kind::Component);
    }
    if (d.kind == Definition::Kind::Import) {
      EXPECT_EQ(info.type.kind, d.import.desc.sort == Sort::Func
                                    ? ExternType::Kind::Func
                                    : ExternType::Kind::Instance);
    }
  }
  ASSERT_NE(resource, ~0u);
  const NamedExtern* h = Find(v.type().exports, "h");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->type.kind, ExternType::Kind::Func);
  const Scope& inner = v.scopes[1];
  ASSERT_EQ(inner.type.imports.size(), 1u);
  EXPECT_EQ(inner.type.imports[0].name, "x");
}

TEST(ComponentValidate, NestedInstantiationBindsResources) {
  auto r = DecodeAndValidate(ReadBytes(
      std::string(WEFT_FUZZ_DIR) + "/component_seeds/nested_resource.wasm"));
  ASSERT_TRUE(r.ok()) << r.error().Describe();
  const ValidatedComponent& v = *r.value();
  const NamedExtern* rr = Find(v.type().exports, "rr");
  const NamedExtern* make = Find(v.type().exports, "make");
  ASSERT_NE(rr, nullptr);
  ASSERT_NE(make, nullptr);
  ASSERT_TRUE(rr->type.resource);
  EXPECT_EQ(v.types.resources[rr->type.id].name, "rr");
  // make2 of the inner instance returns own<r>, with r bound to rr.
  const FuncType& f = v.types.funcs[make->type.id];
  ASSERT_EQ(f.results.size(), 1u);
  const ValType& own = v.types.vals[f.results[0]];
  EXPECT_EQ(own.kind, ValKind::Own);
  EXPECT_EQ(own.resource, rr->type.id);
}

TEST(ComponentValidate, FuzzSeedsValidate) {
  // The seeds of fuzz/component_fuzz.cpp are valid components, so the
  // fuzzer starts from inputs that reach deep into validation.
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(
           std::string(WEFT_FUZZ_DIR) + "/component_seeds")) {
    auto r = DecodeAndValidate(ReadBytes(e.path()));
    EXPECT_TRUE(r.ok()) << e.path() << ": " << r.error().Describe();
    ++n;
  }
  EXPECT_GE(n, 4u);
}

struct Invalid {
  const char* what;
  const char* wat;
  const char* error; // Error::message
};

TEST(ComponentValidate, InvalidComponentsGiveTheirErrors) {
  std::vector<Invalid> cases = {
      {"core instantiate argument without the import",
       R"((component
  (core module $m (import "env" "f" (func (param i32))))
  (core module $e (func (export "g") (param i32)))
  (core instance $ei (instantiate $e))
  (core instance (instantiate $m (with "env" (instance $ei)))))
)",
       "component: core instantiate of core module 0: argument \"env\" has "
       "no export \"f\""},
      {"core instantiate argument of the wrong core type",
       R"((component
  (core module $m (import "env" "f" (func (param i32))))
  (core module $e (func (export "f") (param i32 i32)))
  (core instance $ei (instantiate $e))
  (core instance (instantiate $m (with "env" (instance $ei)))))
)",
       "component: core instantiate of core module 0: import \"env\" \"f\" "
       "needs func (i32) -> (), found func (i32, i32) -> ()"},
      {"core instantiate without an argument",
       R"((component
  (core module $m (import "env" "f" (func (param i32))))
  (core instance (instantiate $m)))
)",
       "component: core instantiate of core module 0: missing argument "
       "\"env\""},
      {"canon lift with the wrong core type",
       R"((component
  (core module $m (func (export "f") (param i32)))
  (core instance $i (instantiate $m))
  (func (param "a" u64) (canon lift (core func $i "f"))))
)",
       "component: canon lift of func(a: u64): core func 0 has type (i32) -> "
       "(), expected (i64) -> ()"},
      {"canon lift of a string without memory",
       R"((component
  (core module $m (func (export "f") (param i32 i32)))
  (core instance $i (instantiate $m))
  (func (param "a" string) (canon lift (core func $i "f"))))
)",
       "component: canon lift of func(a: string) requires a memory option"},
      {"canon lift of a string param without realloc",
       R"((component
  (core module $m (func (export "f") (param i32 i32)) (memory (export "mem") 1))
  (core instance $i (instantiate $m))
  (func (param "a" string) (canon lift (core func $i "f") (memory (core memory $i "mem")))))
)",
       "component: canon lift of func(a: string) requires a realloc option"},
      {"canon lower of a string result without realloc",
       R"((component
  (import "get" (func $get (result string)))
  (core module $m (memory (export "mem") 1))
  (core instance $i (instantiate $m))
  (core func (canon lower (func $get) (memory (core memory $i "mem")))))
)",
       "component: canon lower of func() -> string requires a realloc option"},
      {"realloc of the wrong type",
       R"((component
  (import "get" (func $get (result string)))
  (core module $m (memory (export "mem") 1) (func (export "r") (param i32) (result i32) i32.const 0))
  (core instance $i (instantiate $m))
  (core func (canon lower (func $get) (memory (core memory $i "mem")) (realloc (core func $i "r")))))
)",
       "component: canon option realloc has type (i32) -> (i32), expected "
       "(i32, i32, i32, i32) -> (i32)"},
      {"a canon option twice",
       R"((component
  (import "get" (func $get (result u32)))
  (core func (canon lower (func $get) string-encoding=utf8 string-encoding=utf16)))
)",
       "component: canon option string-encoding given twice"},
      {"post-return on lower",
       R"((component
  (import "get" (func $get (result u32)))
  (core module $m (func (export "p") (param i32)))
  (core instance $i (instantiate $m))
  (core func (canon lower (func $get) (post-return (core func $i "p")))))
)",
       "component: post-return is only allowed on canon lift"},
      {"instantiate argument of the wrong type",
       R"((component
  (component $c (import "x" (func)))
  (import "f" (func $f (param "a" u32)))
  (instance (instantiate $c (with "x" (func $f)))))
)",
       "component: instantiate argument \"x\": expected func type func(), "
       "found func(a: u32)"},
      {"instantiate argument of the wrong sort",
       R"((component
  (component $c (import "x" (func)))
  (type $t u32)
  (instance (instantiate $c (with "x" (type $t)))))
)",
       "component: instantiate argument \"x\": expected a func, found a type"},
      {"instantiate without an argument",
       R"((component
  (component $c (import "x" (func)))
  (instance (instantiate $c)))
)",
       "component: instantiate of component 0: missing argument \"x\""},
      {"instance argument missing an export",
       R"((component
  (component $c (import "i" (instance (export "f" (func)))))
  (import "j" (instance $j (export "g" (func))))
  (instance (instantiate $c (with "i" (instance $j)))))
)",
       "component: instantiate argument \"i\": missing export \"f\""},
      {"alias of a missing export",
       R"((component
  (import "i" (instance $i (export "f" (func))))
  (alias export $i "nope" (func)))
)",
       "component: alias: instance 0 has no export \"nope\""},
      {"alias of an export of another sort",
       R"((component
  (import "i" (instance $i (export "f" (func))))
  (alias export $i "f" (instance)))
)",
       "component: alias: export \"f\" of instance 0 is a func, not a "
       "instance"},
      {"core alias of a missing export",
       R"((component
  (core module $m)
  (core instance $i (instantiate $m))
  (alias core export $i "mem" (core memory)))
)",
       "component: alias: core instance 0 has no export \"mem\""},
      {"duplicate import names",
       R"((component
  (import "a" (func))
  (import "a" (func)))
)",
       "component: duplicate import \"a\""},
      {"duplicate export names",
       R"((component
  (import "a" (func $a))
  (export "b" (func $a))
  (export "b" (func $a)))
)",
       "component: duplicate export \"b\""},
      {"own of a non-resource",
       R"((component
  (type $t u32)
  (type (own $t)))
)",
       "component: own of type 0, a value type, not a resource type"},
      {"resource.new of an imported resource",
       R"((component
  (import "r" (type $r (sub resource)))
  (core func (canon resource.new $r)))
)",
       "component: resource.new of resource type 0, which is not defined by "
       "this component"},
      {"resource destructor of the wrong type",
       R"((component
  (core module $m (func (export "d") (param i32 i32)))
  (core instance $i (instantiate $m))
  (alias core export $i "d" (core func $d))
  (type (resource (rep i32) (dtor (core func $d)))))
)",
       "component: resource destructor has type (i32, i32) -> (), expected "
       "(i32) -> ()"},
      {"borrow in a function result",
       R"((component
  (type $r (resource (rep i32)))
  (type $b (borrow $r))
  (type (func (result $b))))
)",
       "component: function result type contains a borrow"},
      {"export ascription mismatch",
       R"((component
  (import "f" (func $f (param "a" u32)))
  (export "g" (func $f) (func (param "a" u64))))
)",
       "component: export \"g\": expected func type func(a: u64), found "
       "func(a: u32)"},
      {"type index out of bounds",
       R"((component
  (type (list 5)))
)",
       "component: type index 5 out of bounds (0 types)"},
      {"async built-in",
       R"((component
  (core func (canon waitable-set.new)))
)",
       "component: canon built-in 0x1f (component-model async/threads) is "
       "not supported yet"},
      {"outer alias of a resource across a component",
       R"((component
  (type $r (resource (rep i32)))
  (component
    (alias outer 1 $r (type))))
)",
       "component: outer alias of type 0 refers to a resource across a "
       "component boundary"},
      {"resource type inside an instance type",
       R"((component
  (type (instance (type (resource (rep i32))))))
)",
       "component: resource type definitions are not allowed in component or "
       "instance types"},
      {"method without a preceding resource",
       R"((component
  (import "[method]r.m" (func (param "self" u32))))
)",
       "component: \"[method]r.m\": no preceding resource import \"r\""},
      {"method whose self is not a borrow",
       R"((component
  (import "r" (type $r (sub resource)))
  (import "[method]r.m" (func (param "self" u32))))
)",
       "component: \"[method]r.m\": a method's first parameter must be self: "
       "borrow<r>"},
      {"constructor returning something else",
       R"((component
  (import "r" (type $r (sub resource)))
  (import "[constructor]r" (func (result u32))))
)",
       "component: \"[constructor]r\": a constructor must return own<r> or "
       "result<own<r>, _>"},
      {"annotated name on an instance",
       R"((component
  (import "r" (type $r (sub resource)))
  (import "[static]r.m" (instance)))
)",
       "component: \"[static]r.m\": [static] names are only allowed on "
       "functions"},
      {"imported core module instantiated with the wrong core type",
       R"((component
  (core type $f (func (param i32)))
  (core type (module (alias outer 1 $f (type)) (import "a" "b" (func (type 0)))))
  (import "m" (core module $m (type 1)))
  (core module $e (func (export "b") (param i64)))
  (core instance $ei (instantiate $e))
  (core instance (instantiate $m (with "a" (instance $ei)))))
)",
       "component: core instantiate of core module 0: import \"a\" \"b\" "
       "needs func (i32) -> (), found func (i64) -> ()"},
      {"duplicate record field",
       R"((component
  (type (record (field "a" u32) (field "a" u8))))
)",
       "component: duplicate record field \"a\""},
  };
  std::vector<std::string> wats;
  for (const Invalid& c : cases)
    wats.push_back(c.wat);
  std::vector<std::vector<uint8_t>> bytes = WatsToComponents(wats);
  ASSERT_EQ(bytes.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(ValidationError(bytes[i]), cases[i].error) << cases[i].what;
  }
}

TEST(ComponentValidate, ValidCounterpartsOfTheInvalidOnesPass) {
  // The same shapes, made right, validate: so each error above is caused
  // by the one thing wrong, not by the test's scaffolding.
  std::vector<std::string> wats = {
      R"((component
  (core type $f (func (param i32)))
  (core type (module (alias outer 1 $f (type)) (import "a" "b" (func (type 0)))))
  (import "m" (core module $m (type 1)))
  (core module $e (func (export "b") (param i32)))
  (core instance $ei (instantiate $e))
  (core instance (instantiate $m (with "a" (instance $ei)))))
)",
      R"((component
  (import "r" (type $r (sub resource)))
  (type $b (borrow $r))
  (type $o (own $r))
  (type $res (result $o (error string)))
  (import "[method]r.m" (func (param "self" $b)))
  (import "[constructor]r" (func (result $res)))
  (import "[static]r.s" (func)))
)",
      R"((component
  (core module $m (import "env" "f" (func (param i32))))
  (core module $e (func (export "f") (param i32)))
  (core instance $ei (instantiate $e))
  (core instance (instantiate $m (with "env" (instance $ei)))))
)",
      R"((component
  (core module $m (func (export "f") (param i64)))
  (core instance $i (instantiate $m))
  (func (param "a" u64) (canon lift (core func $i "f"))))
)",
      R"((component
  (import "get" (func $get (result string)))
  (core module $m (memory (export "mem") 1) (func (export "r") (param i32 i32 i32 i32) (result i32) i32.const 0))
  (core instance $i (instantiate $m))
  (core func (canon lower (func $get) (memory (core memory $i "mem")) (realloc (core func $i "r")))))
)",
      R"((component
  (component $c (import "x" (func (param "a" u32))))
  (import "f" (func $f (param "a" u32)))
  (instance (instantiate $c (with "x" (func $f)))))
)",
      R"((component
  (component $c (import "i" (instance (export "f" (func)))))
  (import "j" (instance $j (export "f" (func)) (export "g" (func))))
  (instance (instantiate $c (with "i" (instance $j)))))
)",
      R"((component
  (core module $m (func (export "d") (param i32)))
  (core instance $i (instantiate $m))
  (alias core export $i "d" (core func $d))
  (type $r (resource (rep i32) (dtor (core func $d))))
  (core func (canon resource.new $r))
  (core func (canon resource.rep $r)))
)"};
  std::vector<std::vector<uint8_t>> bytes = WatsToComponents(wats);
  ASSERT_EQ(bytes.size(), wats.size());
  for (size_t i = 0; i < wats.size(); ++i) {
    EXPECT_EQ(ValidationError(bytes[i]), "(valid)") << wats[i];
  }
}

TEST(ComponentValidate, BrokenCoreModuleNamesTheComponentOffset) {
  // A core module whose function returns nothing but declares an i32
  // result: invalid, found by the core validator.
  std::vector<uint8_t> module = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00,
                                 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01,
                                 0x7f, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x04,
                                 0x01, 0x02, 0x00, 0x0b};
  std::vector<uint8_t> bytes = Cat({Preamble(), Section(1, module)});
  auto r = DecodeAndValidate(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("component: core module at offset 10: ", 0),
            0u)
      << r.error().message;
  EXPECT_GT(r.error().offset, 10u);
  EXPECT_LT(r.error().offset, bytes.size());
  // Truncated inside the module: the core decoder's error, offset within the
  // component.
  std::vector<uint8_t> cut(module.begin(), module.end() - 3);
  auto t = DecodeAndValidate(Cat({Preamble(), Section(1, cut)}));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message.rfind("component: core module at offset 10: ", 0),
            0u)
      << t.error().message;
}

TEST(ComponentValidate, SectionOrder) {
  // A component's sections may come in any order and repeat (Binary.md:
  // `section*`), but each definition only sees what precedes it: an export
  // section before the import it names is an index error.
  std::vector<uint8_t> type = Section(7, {0x01, 0x40, 0x00, 0x01, 0x00});
  std::vector<uint8_t> import =
      Section(10, Cat({{0x01, 0x00}, Str("f"), {0x01, 0x00}}));
  std::vector<uint8_t> exp =
      Section(11, Cat({{0x01, 0x00}, Str("g"), {0x01, 0x00, 0x00}}));
  auto ok = DecodeAndValidate(Cat({Preamble(), type, import, exp, type}));
  ASSERT_TRUE(ok.ok()) << ok.error().Describe();
  EXPECT_EQ(ok.value()->type().exports.size(), 1u);
  auto bad = DecodeAndValidate(Cat({Preamble(), type, exp, import}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().Describe(),
            "component: func index 0 out of bounds (0) at offset 18");
  // Inside an embedded core module the core order rules hold: a function
  // section after the code section is refused by the core decoder, and
  // the error names the offset in the component.
  std::vector<uint8_t> module = {
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
      0x00, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, 0x03, 0x02, 0x01, 0x00};
  auto core = DecodeAndValidate(Cat({Preamble(), Section(1, module)}));
  ASSERT_FALSE(core.ok());
  EXPECT_EQ(
      core.error().message.rfind("component: core module at offset 10: ", 0),
      0u)
      << core.error().message;
  EXPECT_GE(core.error().offset, 10u + 14u);
}

TEST(ComponentValidate, ImplementsAttribute) {
  // (import "a" (implements "wasi:io/streams@0.2.12") (instance ...)):
  // the 0x02 name form with its attribute (Binary.md, nameattributes).
  auto import = [](const std::string& name, const std::string& implements,
                   uint8_t sort) {
    std::vector<uint8_t> desc = sort == 0x05 ? std::vector<uint8_t>{0x05, 0x00}
                                             : std::vector<uint8_t>{0x01, 0x01};
    std::vector<uint8_t> types = Section(
        7, {0x02, 0x42, 0x00, 0x40, 0x00, 0x01, 0x00}); // instance, func
    return Cat({Preamble(), types,
                Section(10, Cat({{0x01, 0x02},
                                 Str(name),
                                 {0x01, 0x00},
                                 Str(implements),
                                 desc}))});
  };
  auto ok = DecodeAndValidate(import("a", "wasi:io/streams@0.2.12", 0x05));
  ASSERT_TRUE(ok.ok()) << ok.error().Describe();
  EXPECT_EQ(ok.value()
                ->scopes[0]
                .component->definitions.back()
                .import.name.implements,
            "wasi:io/streams@0.2.12");
  auto on_func = DecodeAndValidate(import("a", "wasi:io/streams@0.2.12", 0x01));
  ASSERT_FALSE(on_func.ok());
  EXPECT_EQ(on_func.error().message,
            "component: \"a\": (implements) is only allowed on instances");
  auto iface = DecodeAndValidate(
      import("wasi:io/poll@0.2.12", "wasi:io/streams@0.2.12", 0x05));
  ASSERT_FALSE(iface.ok());
  EXPECT_EQ(iface.error().message,
            "component: \"wasi:io/poll@0.2.12\": (implements) needs a plain "
            "name, not an interface name");
  auto bad = DecodeAndValidate(import("a", "streams", 0x05));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "component: \"a\": (implements \"streams\") is not an interface "
            "name");
}

TEST(ComponentValidate, DeepTypeNestingIsRefusedNotOverflowed) {
  // 5000 types, each an option of the previous: refused at the nesting
  // limit (100) instead of recursing 5000 deep in flattening or equality.
  std::vector<uint8_t> types = Leb(5000);
  types.push_back(0x79); // u32
  for (uint32_t i = 1; i < 5000; ++i) {
    types.push_back(0x6b);
    std::vector<uint8_t> idx = Leb(i - 1);
    // A type index is an s33: values 64..127 need two bytes.
    if ((idx.back() & 0x40) != 0) {
      idx.back() |= 0x80;
      idx.push_back(0x00);
    }
    types.insert(types.end(), idx.begin(), idx.end());
  }
  auto r = DecodeAndValidate(Cat({Preamble(), Section(7, types)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "component: type nesting deeper than the limit of 100");
}

} // namespace
} // namespace weft::component

namespace weft::component {
namespace {

TEST(ComponentValidate, ExponentialTypesAreRefused) {
  // t0 = u8, t(i) = tuple<t(i-1), t(i-1)>: 60 small definitions whose
  // written-out size is 2^60. Refused as too large, instead of taking
  // forever in equality, flattening or printing.
  std::vector<uint8_t> types = Leb(60);
  types.push_back(0x7d);
  for (uint32_t i = 1; i < 60; ++i) {
    types.insert(types.end(), {0x6f, 0x02, uint8_t(i - 1), uint8_t(i - 1)});
  }
  auto r = DecodeAndValidate(Cat({Preamble(), Section(7, types)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("component: type too large (", 0), 0u)
      << r.error().message;
}

TEST(ComponentValidate, QuadraticWorkIsRefused) {
  // An instance type with 5000 abstract resources imported 300 times:
  // each import gets its own resources, 1.5M copies in all. Refused by the
  // work budget instead of growing the arena without bound.
  std::vector<uint8_t> decls = Leb(5000);
  for (int i = 0; i < 5000; ++i) {
    std::vector<uint8_t> d =
        Cat({{0x04, 0x00}, Str("a" + std::to_string(i)), {0x03, 0x01}});
    decls.insert(decls.end(), d.begin(), d.end());
  }
  std::vector<uint8_t> type = Cat({{0x01, 0x42}, decls});
  std::vector<uint8_t> imports = Leb(300);
  for (int i = 0; i < 300; ++i) {
    std::vector<uint8_t> d =
        Cat({{0x00}, Str("i" + std::to_string(i)), {0x05, 0x00}});
    imports.insert(imports.end(), d.begin(), d.end());
  }
  auto r = DecodeAndValidate(
      Cat({Preamble(), Section(7, type), Section(10, imports)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "component: component too costly to validate (work budget "
            "exceeded)");
  // 50 imports of it are fine.
  std::vector<uint8_t> few = Leb(50);
  for (int i = 0; i < 50; ++i) {
    std::vector<uint8_t> d =
        Cat({{0x00}, Str("i" + std::to_string(i)), {0x05, 0x00}});
    few.insert(few.end(), d.begin(), d.end());
  }
  auto ok =
      DecodeAndValidate(Cat({Preamble(), Section(7, type), Section(10, few)}));
  EXPECT_TRUE(ok.ok()) << ok.error().Describe();
}

} // namespace
} // namespace weft::component

namespace weft::component {
namespace {

TEST(ComponentValidate, CanonicalAbiLibraryWithAResourceValidates) {
  const std::vector<uint8_t>& bytes = LibComponent();
  ASSERT_FALSE(bytes.empty());
  auto r = DecodeAndValidate(bytes);
  ASSERT_TRUE(r.ok()) << r.error().Describe();
  const ValidatedComponent& v = *r.value();
  const NamedExtern* host = Find(v.type().imports, "weft:test/host@0.1.0");
  ASSERT_NE(host, nullptr);
  const NamedExtern* api = Find(v.type().exports, "weft:test/api@0.1.0");
  ASSERT_NE(api, nullptr);
  ASSERT_EQ(api->type.kind, ExternType::Kind::Instance);
  const InstanceType& it = v.types.instances[api->type.id];
  const NamedExtern* counter = Find(it.exports, "counter");
  ASSERT_NE(counter, nullptr);
  ASSERT_TRUE(counter->type.resource);
  // The exported resource is the one the root component defines (through
  // the nested component wit-component wraps exports in).
  const ResourceDecl& res = v.types.resources[counter->type.id];
  EXPECT_TRUE(res.defined);
  EXPECT_EQ(res.scope, 0u);
  EXPECT_TRUE(res.dtor.has_value());
  const NamedExtern* ctor = Find(it.exports, "[constructor]counter");
  ASSERT_NE(ctor, nullptr);
  const FuncType& cf = v.types.funcs[ctor->type.id];
  ASSERT_EQ(cf.results.size(), 1u);
  EXPECT_EQ(v.types.vals[cf.results[0]].kind, ValKind::Own);
  EXPECT_EQ(v.types.vals[cf.results[0]].resource, counter->type.id);
  const NamedExtern* inc = Find(it.exports, "[method]counter.inc");
  ASSERT_NE(inc, nullptr);
  EXPECT_EQ(FuncTypeToString(v.types, v.types.funcs[inc->type.id]),
            "func(self: borrow<counter>, by: u32) -> u32");
  // Lifts carry the flattened core type: `many` spills its 17 params to a
  // pointer and its tuple result to a return pointer; `maybe` takes
  // option<string> as 3 flat values.
  const Scope& root = v.scopes[0];
  bool saw_many = false, saw_maybe = false, saw_new = false;
  for (size_t i = 0; i < root.defs.size(); ++i) {
    const Definition& d = root.component->definitions[i];
    if (d.kind != Definition::Kind::Canon) continue;
    const DefInfo& info = root.defs[i];
    if (d.canon.kind == CanonDef::Kind::ResourceNew) {
      saw_new = true;
      EXPECT_EQ(info.resource, counter->type.id);
    }
    if (d.canon.kind != CanonDef::Kind::Lift) continue;
    const FuncType& ft = v.types.funcs[info.func_type];
    if (ft.params.size() == 17) {
      saw_many = true;
      EXPECT_EQ(info.core_type.ToString(), "(i32) -> (i32)");
    }
    if (ft.params.size() == 1 &&
        v.types.vals[ft.params[0].type].kind == ValKind::Option) {
      saw_maybe = true;
      EXPECT_EQ(info.core_type.ToString(), "(i32, i32, i32) -> (i32)");
    }
  }
  EXPECT_TRUE(saw_many);
  EXPECT_TRUE(saw_maybe);
  EXPECT_TRUE(saw_new);
}

} // namespace
} // namespace weft::component

namespace weft::component {
namespace {

// The validator's flattening (validate.cpp) and the canonical ABI's
// (abi.cpp, CoreFuncType) are written independently; on real components
// they agree for every canon lift and lower.
TEST(ComponentValidate, FlatteningAgreesWithTheAbi) {
  std::vector<std::vector<uint8_t>> components = {
      HelloComponent(), LibComponent(), WatToComponent(kEverySectionWat)};
  size_t checked = 0;
  for (const auto& bytes : components) {
    ASSERT_FALSE(bytes.empty());
    auto r = DecodeAndValidate(bytes);
    ASSERT_TRUE(r.ok()) << r.error().Describe();
    const ValidatedComponent& v = *r.value();
    for (const Scope& s : v.scopes) {
      for (size_t i = 0; i < s.defs.size(); ++i) {
        const Definition& d = s.component->definitions[i];
        if (d.kind != Definition::Kind::Canon) continue;
        bool lower = d.canon.kind == CanonDef::Kind::Lower;
        if (!lower && d.canon.kind != CanonDef::Kind::Lift) continue;
        const FuncType& ft = v.types.funcs[s.defs[i].func_type];
        EXPECT_EQ(s.defs[i].core_type.ToString(),
                  CoreFuncType(v.types, ft, lower).ToString())
            << FuncTypeToString(v.types, ft);
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 25u);
}

} // namespace
} // namespace weft::component
