// The component binary decoder (src/component/binary.cpp): real components
// made by jco decode into the AST the binary describes, and malformed input
// of every kind is an error naming what is wrong and where, never a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "component/binary.h"
#include "component_wat.h"

namespace weft::component {
namespace {

using namespace weft::component::testing;

Result<std::shared_ptr<const DecodedComponent>>
Decode(const std::vector<uint8_t>& bytes, const ComponentLimits& limits = {}) {
  return DecodeComponent(std::span<const uint8_t>(bytes), limits);
}

std::string DecodeError(const std::vector<uint8_t>& bytes,
                        const ComponentLimits& limits = {}) {
  auto r = Decode(bytes, limits);
  if (r.ok()) return "(decoded)";
  return r.error().Describe();
}

std::vector<const Definition*> OfKind(const Component& c,
                                      Definition::Kind kind) {
  std::vector<const Definition*> out;
  for (const Definition& d : c.definitions)
    if (d.kind == kind) out.push_back(&d);
  return out;
}

TEST(ComponentBinary, PreambleIsRecognised) {
  std::vector<uint8_t> p = Preamble();
  EXPECT_TRUE(IsComponentBinary(p));
  std::vector<uint8_t> core = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  EXPECT_FALSE(IsComponentBinary(core));
  EXPECT_FALSE(IsComponentBinary(std::vector<uint8_t>(p.begin(), p.end() - 1)));
  auto empty = Decode(p);
  ASSERT_TRUE(empty.ok()) << empty.error().Describe();
  EXPECT_TRUE(empty.value()->root.definitions.empty());
}

TEST(ComponentBinary, HelloCommandFromJcoDecodes) {
  const std::vector<uint8_t>& bytes = HelloComponent();
  ASSERT_FALSE(bytes.empty());
  auto r = Decode(bytes);
  ASSERT_TRUE(r.ok()) << r.error().Describe();
  const Component& root = r.value()->root;
  std::vector<std::string> imports;
  for (const Definition* d : OfKind(root, Definition::Kind::Import)) {
    imports.push_back(d->import.name.name);
    EXPECT_EQ(d->import.desc.sort, Sort::Instance) << d->import.name.name;
  }
  EXPECT_NE(std::find(imports.begin(), imports.end(), "wasi:cli/stdout@0.2.12"),
            imports.end());
  EXPECT_NE(std::find(imports.begin(), imports.end(), "wasi:io/streams@0.2.12"),
            imports.end());
  auto exports = OfKind(root, Definition::Kind::Export);
  ASSERT_FALSE(exports.empty());
  EXPECT_EQ(exports.back()->export_.name.name, "wasi:cli/run@0.2.12");
  EXPECT_EQ(exports.back()->export_.sort, Sort::Instance);
  // The preview1 program, the adapter and the glue (shim/fixup) modules;
  // each span is a core module inside the owned copy.
  auto modules = OfKind(root, Definition::Kind::CoreModule);
  EXPECT_GE(modules.size(), 3u);
  for (const Definition* m : modules) {
    ASSERT_GE(m->core_module.bytes.size(), 8u);
    EXPECT_EQ(m->core_module.bytes[0], 0x00);
    EXPECT_EQ(m->core_module.bytes[4], 0x01);
    EXPECT_EQ(m->core_module.bytes.data(),
              r.value()->bytes.data() + m->core_module.offset);
  }
  EXPECT_FALSE(OfKind(root, Definition::Kind::Canon).empty());
  EXPECT_FALSE(OfKind(root, Definition::Kind::CoreInstance).empty());
  EXPECT_FALSE(OfKind(root, Definition::Kind::Alias).empty());
}

TEST(ComponentBinary, EverySectionDecodesIntoItsAst) {
  std::vector<uint8_t> bytes = WatToComponent(kEverySectionWat);
  ASSERT_FALSE(bytes.empty());
  auto r = Decode(bytes);
  ASSERT_TRUE(r.ok()) << r.error().Describe();
  const Component& c = r.value()->root;

  auto core_types = OfKind(c, Definition::Kind::CoreType);
  ASSERT_EQ(core_types.size(), 2u);
  EXPECT_EQ(core_types[0]->core_type->kind, CoreTypeDef::Kind::Func);
  EXPECT_EQ(core_types[0]->core_type->func.ToString(), "(i32) -> (i64)");
  ASSERT_EQ(core_types[1]->core_type->kind, CoreTypeDef::Kind::Module);
  ASSERT_EQ(core_types[1]->core_type->decls.size(), 3u);
  EXPECT_EQ(core_types[1]->core_type->decls[0].kind,
            CoreModuleDecl::Kind::Type);
  EXPECT_EQ(core_types[1]->core_type->decls[1].item.module, "a");
  EXPECT_EQ(core_types[1]->core_type->decls[2].kind,
            CoreModuleDecl::Kind::Export);
  EXPECT_EQ(core_types[1]->core_type->decls[2].item.kind, ExternKind::Memory);

  auto types = OfKind(c, Definition::Kind::Type);
  ASSERT_GE(types.size(), 13u);
  const DefValType& rec = types[0]->type->val;
  EXPECT_EQ(rec.kind, ValKind::Record);
  ASSERT_EQ(rec.fields.size(), 2u);
  EXPECT_EQ(rec.fields[1].name, "b-c");
  EXPECT_FALSE(rec.fields[1].type.is_index);
  EXPECT_EQ(rec.fields[1].type.prim, ValKind::String);
  const DefValType& var = types[1]->type->val;
  EXPECT_EQ(var.kind, ValKind::Variant);
  ASSERT_EQ(var.cases.size(), 2u);
  EXPECT_TRUE(var.cases[0].type.has_value());
  EXPECT_FALSE(var.cases[1].type.has_value());
  EXPECT_EQ(types[2]->type->val.kind, ValKind::List);
  EXPECT_TRUE(types[2]->type->val.elem.is_index);
  EXPECT_EQ(types[2]->type->val.elem.index, 0u);
  EXPECT_EQ(types[3]->type->val.kind, ValKind::Tuple);
  EXPECT_EQ(types[3]->type->val.elems.size(), 2u);
  EXPECT_EQ(types[4]->type->val.kind, ValKind::Flags);
  EXPECT_EQ(types[5]->type->val.kind, ValKind::Enum);
  EXPECT_EQ(types[5]->type->val.labels[1], "q");
  EXPECT_EQ(types[6]->type->val.kind, ValKind::Option);
  EXPECT_EQ(types[6]->type->val.elem.prim, ValKind::F64);
  EXPECT_EQ(types[7]->type->val.kind, ValKind::Result);
  EXPECT_TRUE(types[7]->type->val.ok.has_value());
  EXPECT_TRUE(types[7]->type->val.err.has_value());
  EXPECT_FALSE(types[8]->type->val.ok.has_value());
  const TypeDef& fn = *types[9]->type;
  EXPECT_EQ(fn.kind, TypeDef::Kind::Func);
  ASSERT_EQ(fn.func.params.size(), 1u);
  EXPECT_EQ(fn.func.params[0].name, "p");
  ASSERT_EQ(fn.func.results.size(), 1u);
  const TypeDef& it = *types[10]->type;
  ASSERT_EQ(it.kind, TypeDef::Kind::Instance);
  ASSERT_EQ(it.decls.size(), 5u);
  EXPECT_EQ(it.decls[0].kind, TypeDecl::Kind::Export);
  EXPECT_TRUE(it.decls[0].export_.desc.sub_resource);
  EXPECT_EQ(it.decls[1].kind, TypeDecl::Kind::Alias);
  EXPECT_EQ(it.decls[1].alias.kind, AliasDef::Kind::Outer);
  EXPECT_EQ(it.decls[1].alias.outer_count, 1u);
  EXPECT_EQ(it.decls[2].type->val.kind, ValKind::Own);
  const TypeDef& ct = *types[11]->type;
  ASSERT_EQ(ct.kind, TypeDef::Kind::Component);
  bool has_import = false;
  for (const TypeDecl& d : ct.decls)
    if (d.kind == TypeDecl::Kind::Import) {
      has_import = true;
      EXPECT_EQ(d.import.name.name, "wasi:io/streams@0.2.12");
    }
  EXPECT_TRUE(has_import);
  const TypeDef* resource = nullptr;
  for (const Definition* t : types)
    if (t->type->kind == TypeDef::Kind::Resource) resource = t->type.get();
  ASSERT_NE(resource, nullptr);
  EXPECT_EQ(resource->resource.rep, weft::ValType::I32);
  EXPECT_FALSE(resource->resource.dtor.has_value());

  auto imports = OfKind(c, Definition::Kind::Import);
  ASSERT_EQ(imports.size(), 2u);
  EXPECT_EQ(imports[0]->import.name.name, "imp");
  EXPECT_EQ(imports[0]->import.desc.sort, Sort::Func);
  EXPECT_EQ(imports[0]->import.desc.index, 9u);
  EXPECT_EQ(imports[1]->import.desc.sort, Sort::Instance);

  auto aliases = OfKind(c, Definition::Kind::Alias);
  ASSERT_GE(aliases.size(), 3u);
  EXPECT_EQ(aliases[0]->alias.kind, AliasDef::Kind::InstanceExport);
  EXPECT_EQ(aliases[0]->alias.name, "f");
  EXPECT_EQ(aliases[0]->alias.sort, Sort::Func);
  EXPECT_EQ(aliases[1]->alias.sort, Sort::Type);
  bool core_export = false;
  for (const Definition* a : aliases)
    if (a->alias.kind == AliasDef::Kind::CoreInstanceExport &&
        a->alias.name == "mem") {
      core_export = true;
      EXPECT_EQ(a->alias.sort, Sort::CoreMemory);
    }
  EXPECT_TRUE(core_export);

  auto canons = OfKind(c, Definition::Kind::Canon);
  std::vector<CanonDef::Kind> kinds;
  for (const Definition* d : canons)
    kinds.push_back(d->canon.kind);
  EXPECT_EQ(kinds, (std::vector<CanonDef::Kind>{
                       CanonDef::Kind::ResourceDrop,
                       CanonDef::Kind::ResourceNew, CanonDef::Kind::ResourceRep,
                       CanonDef::Kind::Lower, CanonDef::Kind::Lift}));
  const CanonDef& lower = canons[3]->canon;
  ASSERT_EQ(lower.opts.size(), 2u);
  EXPECT_EQ(lower.opts[0].kind, CanonOpt::Kind::Memory);
  EXPECT_EQ(lower.opts[1].kind, CanonOpt::Kind::StringEncoding);
  EXPECT_EQ(lower.opts[1].encoding, StringEncoding::Utf16);
  const CanonDef& lift = canons[4]->canon;
  EXPECT_EQ(lift.type, 14u);
  ASSERT_EQ(lift.opts.size(), 2u);
  EXPECT_EQ(lift.opts[1].kind, CanonOpt::Kind::Realloc);

  auto core_instances = OfKind(c, Definition::Kind::CoreInstance);
  ASSERT_EQ(core_instances.size(), 2u);
  EXPECT_EQ(core_instances[0]->core_instance.kind,
            CoreInstanceDef::Kind::FromExports);
  EXPECT_EQ(core_instances[0]->core_instance.exports[0].name, "dtor");
  EXPECT_EQ(core_instances[1]->core_instance.kind,
            CoreInstanceDef::Kind::Instantiate);
  EXPECT_EQ(core_instances[1]->core_instance.args[0].name, "env");

  auto nested = OfKind(c, Definition::Kind::Component);
  ASSERT_EQ(nested.size(), 1u);
  ASSERT_TRUE(nested[0]->component);
  auto inner_imports = OfKind(*nested[0]->component, Definition::Kind::Import);
  ASSERT_EQ(inner_imports.size(), 1u);
  EXPECT_EQ(inner_imports[0]->import.name.name, "x");

  auto instances = OfKind(c, Definition::Kind::Instance);
  ASSERT_EQ(instances.size(), 2u);
  EXPECT_EQ(instances[0]->instance.kind, InstanceDef::Kind::Instantiate);
  ASSERT_EQ(instances[0]->instance.args.size(), 1u);
  EXPECT_EQ(instances[0]->instance.args[0].name, "x");
  EXPECT_EQ(instances[1]->instance.kind, InstanceDef::Kind::FromExports);
  EXPECT_EQ(instances[1]->instance.exports[0].name.name, "g2");

  auto exports = OfKind(c, Definition::Kind::Export);
  ASSERT_EQ(exports.size(), 2u);
  EXPECT_FALSE(exports[0]->export_.ascribed.has_value());
  ASSERT_TRUE(exports[1]->export_.ascribed.has_value());
  EXPECT_EQ(exports[1]->export_.ascribed->sort, Sort::Func);
}

TEST(ComponentBinary, AsyncBuiltinsDecodeToOther) {
  // task.return (0x09) with a result list and options, then
  // waitable-set.new (0x1f) and context.get i32 0 (0x0a).
  std::vector<uint8_t> bytes =
      Cat({Preamble(),
           Section(8, {0x03, 0x09, 0x01, 0x00, 0x00, 0x1f, 0x0a, 0x7f, 0x00})});
  auto r = Decode(bytes);
  ASSERT_TRUE(r.ok()) << r.error().Describe();
  const auto& defs = r.value()->root.definitions;
  ASSERT_EQ(defs.size(), 3u);
  EXPECT_EQ(defs[0].canon.kind, CanonDef::Kind::Other);
  EXPECT_EQ(defs[0].canon.opcode, 0x09u);
  EXPECT_EQ(defs[1].canon.opcode, 0x1fu);
  EXPECT_EQ(defs[2].canon.opcode, 0x0au);
}

TEST(ComponentBinary, NameAttributesCarryVersionSuffixAndImplements) {
  // import (0x02 form) "wasi:io/streams@0.2" with (versionsuffix ".12")
  // and (implements "wasi:io/streams@0.2.12"): func type 0.
  std::vector<uint8_t> imp = Cat({{0x01, 0x02},
                                  Str("wasi:io/streams@0.2.1"),
                                  {0x02, 0x01},
                                  Str(".2"),
                                  {0x00},
                                  Str("wasi:io/streams@0.2.12"),
                                  {0x01, 0x00}});
  auto r = Decode(Cat({Preamble(), Section(10, imp)}));
  ASSERT_TRUE(r.ok()) << r.error().Describe();
  const ExternName& n = r.value()->root.definitions[0].import.name;
  EXPECT_EQ(n.name, "wasi:io/streams@0.2.1");
  EXPECT_EQ(n.version_suffix, ".2");
  EXPECT_EQ(n.implements, "wasi:io/streams@0.2.12");
}

// Every prefix of a real component is an error (never a crash), except the
// prefixes that end exactly at a section boundary, which are components.
void ExpectEveryTruncationFails(const std::vector<uint8_t>& bytes,
                                size_t stride) {
  std::vector<size_t> boundaries;
  {
    size_t p = 8;
    while (p < bytes.size()) {
      size_t q = p + 1;
      uint64_t size = 0;
      unsigned shift = 0;
      while (bytes[q] & 0x80)
        size |= uint64_t(bytes[q++] & 0x7f) << shift, shift += 7;
      size |= uint64_t(bytes[q++]) << shift;
      p = q + size;
      boundaries.push_back(p);
    }
  }
  size_t errors = 0;
  for (size_t n = 0; n < bytes.size(); n += (n < 4096 ? 1 : stride)) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + n);
    auto r = Decode(prefix);
    bool boundary = n == 8 || std::find(boundaries.begin(), boundaries.end(),
                                        n) != boundaries.end();
    if (boundary) {
      EXPECT_TRUE(r.ok()) << n << ": " << r.error().Describe();
    } else {
      ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
      EXPECT_EQ(r.error().message.rfind("component: ", 0), 0u)
          << r.error().message;
      ++errors;
    }
  }
  EXPECT_GT(errors, 0u);
}

TEST(ComponentBinary, EveryTruncationOfASmallComponentIsAnError) {
  std::vector<uint8_t> bytes = WatToComponent(kEverySectionWat);
  ASSERT_FALSE(bytes.empty());
  ExpectEveryTruncationFails(bytes, 1);
}

TEST(ComponentBinary, TruncationsOfTheHelloCommandAreErrors) {
  const std::vector<uint8_t>& bytes = HelloComponent();
  ASSERT_FALSE(bytes.empty());
  // Every byte of the first 4 KiB, then every 61st.
  ExpectEveryTruncationFails(bytes, 61);
}

struct Malformed {
  const char* what;
  std::vector<uint8_t> bytes;
  const char* error; // Error::Describe()
};

TEST(ComponentBinary, MalformedInputsGiveTheirErrors) {
  std::vector<uint8_t> p = Preamble();
  std::vector<Malformed> cases = {
      {"no magic",
       {0x01, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00},
       "component: missing the \\0asm magic at offset 0"},
      {"short",
       {0x00, 0x61, 0x73},
       "component: missing the \\0asm magic at offset 0"},
      {"core module",
       {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00},
       "component: unsupported version 1 (weft reads component binaries of "
       "version 13) at offset 4"},
      {"old version",
       {0x00, 0x61, 0x73, 0x6d, 0x0c, 0x00, 0x01, 0x00},
       "component: unsupported version 12 (weft reads component binaries of "
       "version 13) at offset 4"},
      {"layer",
       {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x02, 0x00},
       "component: layer is not 1 (not a component) at offset 6"},
      {"unknown section", Cat({p, Section(7, {0x00}), {13, 0x00}}),
       "component: unknown section id 13 at offset 11"},
      {"value section", Cat({p, {12, 0x00}}),
       "component: value sections are not supported at offset 8"},
      {"section larger than the rest", Cat({p, {7, 0x05, 0x00}}),
       "component: section size 5 exceeds the 1 bytes left at offset 9"},
      {"section size mismatch", Cat({p, Section(7, {0x00, 0x00})}),
       "component: section 7 size mismatch: 1 bytes left unread at offset 11"},
      {"absurd count",
       Cat({p, Section(
                   7, Cat({Leb(0xffffffff), std::vector<uint8_t>(10, 0x7f)}))}),
       "component: type count 4294967295 exceeds the 10 bytes left at offset "
       "10"},
      {"record field count",
       Cat({p, Section(7, Cat({{0x01, 0x72},
                               Leb(100001),
                               std::vector<uint8_t>(100001 * 2, 0x00)}))}),
       "component: record field count 100001 exceeds the limit of 100000 at "
       "offset 14"},
      {"LEB too long",
       Cat({p, Section(7, {0x80, 0x80, 0x80, 0x80, 0x80, 0x00})}),
       "component: integer representation too long at offset 10"},
      {"LEB too large", Cat({p, Section(7, {0xff, 0xff, 0xff, 0xff, 0x7f})}),
       "component: integer too large at offset 10"},
      {"LEB truncated", Cat({p, Section(7, {0x01, 0x70, 0x80})}),
       "component: unexpected end at offset 12"},
      {"unknown type opcode", Cat({p, Section(7, {0x01, 0x50})}),
       "component: unknown type 0x50 at offset 11"},
      {"empty record", Cat({p, Section(7, {0x01, 0x72, 0x00})}),
       "component: record type must have at least one field at offset 11"},
      {"bad label",
       Cat({p,
            Section(7, Cat({{0x01, 0x72, 0x01}, Str("Bad_Field"), {0x79}}))}),
       "component: invalid label \"Bad_Field\" (not kebab-case) at offset 13"},
      {"mixed-case label",
       Cat({p, Section(7, Cat({{0x01, 0x6d, 0x01}, Str("camelCase")}))}),
       "component: invalid label \"camelCase\" (not kebab-case) at offset 13"},
      {"bad import name",
       Cat({p,
            Section(10, Cat({{0x01, 0x00}, Str("no spaces"), {0x01, 0x00}}))}),
       "component: invalid name \"no spaces\": not a kebab-case label at "
       "offset 12"},
      {"bad interface version",
       Cat({p, Section(10, Cat({{0x01, 0x00},
                                Str("wasi:io/streams@0.2"),
                                {0x01, 0x00}}))}),
       "component: invalid name \"wasi:io/streams@0.2\": bad version at offset "
       "12"},
      {"interface without /",
       Cat({p, Section(10, Cat({{0x01, 0x00}, Str("wasi:io"), {0x05, 0x00}}))}),
       "component: invalid name \"wasi:io\": missing /interface at offset 12"},
      {"bad method name",
       Cat({p,
            Section(10,
                    Cat({{0x01, 0x00}, Str("[method]stream"), {0x01, 0x00}}))}),
       "component: invalid name \"[method]stream\": bad [method] name at "
       "offset 12"},
      {"name not UTF-8",
       Cat({p, Section(10, {0x01, 0x00, 0x02, 0xc3, 0x28, 0x01, 0x00})}),
       "component: malformed UTF-8 name at offset 12"},
      {"name longer than the section",
       Cat({p, Section(10, {0x01, 0x00, 0x7f, 0x61})}),
       "component: name length 127 exceeds the 1 bytes left at offset 12"},
      {"unknown extern type",
       Cat({p, Section(10, Cat({{0x01, 0x00}, Str("x"), {0x07, 0x00}}))}),
       "component: unknown extern type 0x07 at offset 14"},
      {"unknown sort",
       Cat({p, Section(11, Cat({{0x01, 0x00}, Str("x"), {0x09, 0x00, 0x00}}))}),
       "component: unknown sort 0x09 at offset 14"},
      {"unknown canon", Cat({p, Section(8, {0x01, 0x3f})}),
       "component: unknown canon opcode 0x3f at offset 11"},
      {"unknown canon option",
       Cat({p, Section(8, {0x01, 0x01, 0x00, 0x00, 0x01, 0x09})}),
       "component: unknown canon option 0x09 at offset 15"},
      {"named results", Cat({p, Section(7, {0x01, 0x40, 0x00, 0x01, 0x01})}),
       "component: named function results are not supported at offset 14"},
      {"bad primitive encoding", Cat({p, Section(7, {0x01, 0x70, 0xff, 0x7f})}),
       "component: malformed value type at offset 12"},
      {"core module section without a module",
       Cat({p, Section(1, {0x00, 0x61, 0x73, 0x6d})}),
       "component: core module section does not start with a core module "
       "preamble at offset 10"},
      {"nested component bad preamble",
       Cat({p, Section(4, {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00})}),
       "component: component section does not start with a component "
       "preamble at offset 10"},
      {"core GC type", Cat({p, Section(3, {0x01, 0x5f, 0x00})}),
       "component: core GC types (0x5f) not supported at offset 11"},
      {"module type in a module type",
       Cat({p, Section(3, {0x01, 0x50, 0x01, 0x01, 0x50, 0x00})}),
       "component: module type inside a module type at offset 14"},
      {"bad core value type",
       Cat({p, Section(3, {0x01, 0x60, 0x01, 0x40, 0x00})}),
       "component: malformed core value type 0x40 at offset 13"},
      {"duplicate name attribute",
       Cat({p, Section(10, Cat({{0x01, 0x02},
                                Str("a"),
                                {0x02, 0x01},
                                Str("x"),
                                {0x01},
                                Str("y"),
                                {0x01, 0x00}}))}),
       "component: duplicate name attribute at offset 18"},
  };
  for (const Malformed& m : cases) {
    EXPECT_EQ(DecodeError(m.bytes), m.error) << m.what;
  }
}

TEST(ComponentBinary, NestingDeeperThanTheLimitIsRefused) {
  // option<option<...>> cannot nest in the binary (types refer by index),
  // but instance types inside component types can: 200 levels of
  // (type (component (type (component ...)))).
  std::vector<uint8_t> t = {0x42, 0x00};
  for (int i = 0; i < 200; ++i)
    t = Cat({{0x41, 0x01, 0x01}, t});
  std::vector<uint8_t> bytes = Cat({Preamble(), Section(7, Cat({{0x01}, t}))});
  std::string e = DecodeError(bytes);
  EXPECT_NE(e.find("component: nesting deeper than the limit of 100"),
            std::string::npos)
      << e;
  ComponentLimits deep;
  deep.max_nesting = 300;
  EXPECT_TRUE(Decode(bytes, deep).ok());
}

TEST(ComponentBinary, NestedComponentsDecodeWithAbsoluteOffsets) {
  // component { component { unknown section 13 } }
  std::vector<uint8_t> inner = Cat({Preamble(), {13, 0x00}});
  std::vector<uint8_t> bytes = Cat({Preamble(), Section(4, inner)});
  // The inner section id sits at 8 (outer preamble) + 2 (id, size) + 8.
  EXPECT_EQ(DecodeError(bytes),
            "component: unknown section id 13 at offset 18");
  std::vector<uint8_t> ok = Cat({Preamble(), Section(4, Preamble())});
  auto r = Decode(ok);
  ASSERT_TRUE(r.ok()) << r.error().Describe();
  ASSERT_EQ(r.value()->root.definitions.size(), 1u);
  EXPECT_EQ(r.value()->root.definitions[0].component->offset, 10u);
}

TEST(ComponentBinary, CountsAboveTheLimitsAreRefused) {
  ComponentLimits small;
  small.max_definitions = 5;
  std::vector<uint8_t> six =
      Cat({Preamble(), Section(7, {0x06, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f})});
  EXPECT_EQ(DecodeError(six, small),
            "component: type count 6 exceeds the limit of 5 at offset 10");
  EXPECT_TRUE(Decode(six).ok());
  small.max_name_bytes = 3;
  std::vector<uint8_t> name =
      Cat({Preamble(),
           Section(10, Cat({{0x01, 0x00}, Str("four"), {0x01, 0x00}}))});
  EXPECT_EQ(DecodeError(name, small),
            "component: name of 4 bytes exceeds the limit of 3 at offset 12");
}

TEST(ComponentBinary, TotalEntriesAreLimited) {
  // Two sections of 3 definitions and a type with 3 declarations: 10 in all
  // (each decoded definition is hundreds of bytes, from 2 bytes of input).
  std::vector<uint8_t> three = Section(7, {0x03, 0x7f, 0x7f, 0x7f});
  std::vector<uint8_t> decls =
      Section(7, {0x01, 0x42, 0x03, 0x01, 0x7f, 0x01, 0x7f, 0x01, 0x7f});
  std::vector<uint8_t> bytes = Cat({Preamble(), three, three, decls});
  ComponentLimits limits;
  limits.max_total_entries = 10;
  auto ok = Decode(bytes, limits);
  EXPECT_TRUE(ok.ok()) << ok.error().Describe();
  limits.max_total_entries = 9;
  // The third declaration, at offset 29, is the tenth entry.
  EXPECT_EQ(DecodeError(bytes, limits),
            "component: more than 9 definitions and declarations in all at "
            "offset 29");
}

TEST(ComponentBinary, ComponentLargerThanTheLimitIsRefused) {
  ComponentLimits small;
  small.max_component_bytes = 16;
  std::vector<uint8_t> bytes = Cat(
      {Preamble(), Section(0, Cat({Str("x"), std::vector<uint8_t>(20, 0)}))});
  EXPECT_EQ(DecodeError(bytes, small),
            "component: 32 bytes exceeds the limit of 16");
  EXPECT_TRUE(Decode(bytes).ok());
}

TEST(ComponentBinary, FuzzSeedsDecode) {
  // The seeds committed for fuzz/component_fuzz.cpp are real components.
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(
           std::string(WEFT_FUZZ_DIR) + "/component_seeds")) {
    auto r = Decode(ReadBytes(e.path()));
    EXPECT_TRUE(r.ok()) << e.path() << ": " << r.error().Describe();
    ++n;
  }
  EXPECT_GE(n, 3u);
}

} // namespace
} // namespace weft::component
