// Component binary decoder (Binary.md, layer 1, version 0x0d): bytes -> the
// AST of ast.h. Encoding rules only; validate.cpp resolves indices/types.
//
// Every read is bounded by the end of the enclosing section (or nested
// component); every count is checked against the bytes left before any
// allocation proportional to it, so a hostile count costs nothing.
#include <cstring>
#include <string>
#include <utility>

#include "component/binary.h"
#include "component/binary_names.h"
#include "wasm/decode_internal.h"
#include "wasm/leb128.h"

namespace weft::component {

const char* SortName(Sort s) {
  switch (s) {
  case Sort::CoreFunc: return "core func";
  case Sort::CoreTable: return "core table";
  case Sort::CoreMemory: return "core memory";
  case Sort::CoreGlobal: return "core global";
  case Sort::CoreType: return "core type";
  case Sort::CoreModule: return "core module";
  case Sort::CoreInstance: return "core instance";
  case Sort::Func: return "func";
  case Sort::Value: return "value";
  case Sort::Type: return "type";
  case Sort::Component: return "component";
  case Sort::Instance: return "instance";
  }
  return "?";
}

namespace {
const uint8_t kPreamble[8] = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};
}

bool IsComponentBinary(std::span<const uint8_t> bytes) {
  return bytes.size() >= 8 && std::memcmp(bytes.data(), kPreamble, 8) == 0;
}

namespace {

constexpr const char* kPrefix = "component: ";

// Reads one component's bytes. `base` is the first byte of the root
// component, so offsets in errors are absolute.
class Reader {
public:
  Reader(const uint8_t* base, const uint8_t* begin, const uint8_t* end)
      : base_(base), p_(begin), end_(end) {}

  uint64_t Offset() const { return static_cast<uint64_t>(p_ - base_); }
  size_t Remaining() const { return static_cast<size_t>(end_ - p_); }
  bool AtEnd() const { return p_ >= end_; }
  const uint8_t* Ptr() const { return p_; }
  const uint8_t* End() const { return end_; }
  void SetEnd(const uint8_t* end) { end_ = end; }
  void SetPtr(const uint8_t* p) { p_ = p; }

  bool Fail(const std::string& message, uint64_t offset) {
    if (!failed_) {
      failed_ = true;
      error_.message = kPrefix + message;
      error_.offset = offset;
    }
    return false;
  }
  bool Fail(const std::string& message) { return Fail(message, Offset()); }
  bool failed() const { return failed_; }
  Error TakeError() { return std::move(error_); }

  bool U8(uint8_t* out) {
    if (p_ >= end_) return Fail("unexpected end");
    *out = *p_++;
    return true;
  }
  bool Peek(uint8_t* out) {
    if (p_ >= end_) return Fail("unexpected end");
    *out = *p_;
    return true;
  }
  bool U32(uint32_t* out) {
    uint64_t v = 0;
    const uint8_t* start = p_;
    LebError e = ReadUleb(&p_, end_, 32, &v);
    if (e != LebError::None) return FailLeb(e, start);
    *out = static_cast<uint32_t>(v);
    return true;
  }
  bool S33(int64_t* out) {
    const uint8_t* start = p_;
    LebError e = ReadSleb(&p_, end_, 33, out);
    if (e != LebError::None) return FailLeb(e, start);
    return true;
  }
  // A vector count: refused when above `limit` or when more entries than
  // bytes remain (each entry takes at least `min_entry` bytes).
  bool Count(uint32_t* out, uint32_t limit, const char* what,
             size_t min_entry = 1) {
    uint64_t at = Offset();
    if (!U32(out)) return false;
    if (static_cast<uint64_t>(*out) * min_entry > Remaining()) {
      return Fail(std::string(what) + " count " + std::to_string(*out) +
                      " exceeds the " + std::to_string(Remaining()) +
                      " bytes left",
                  at);
    }
    if (*out > limit) {
      return Fail(std::string(what) + " count " + std::to_string(*out) +
                      " exceeds the limit of " + std::to_string(limit),
                  at);
    }
    return true;
  }
  bool Bytes(size_t n, const uint8_t** out) {
    if (n > Remaining()) return Fail("unexpected end");
    *out = p_;
    p_ += n;
    return true;
  }
  // A length-prefixed UTF-8 string.
  bool Name(std::string* out, uint32_t max_bytes) {
    uint64_t at = Offset();
    uint32_t len = 0;
    if (!U32(&len)) return false;
    if (len > max_bytes) {
      return Fail("name of " + std::to_string(len) +
                      " bytes exceeds the limit of " +
                      std::to_string(max_bytes),
                  at);
    }
    if (len > Remaining()) {
      return Fail("name length " + std::to_string(len) + " exceeds the " +
                      std::to_string(Remaining()) + " bytes left",
                  at);
    }
    if (!decode::IsValidUtf8(p_, len)) return Fail("malformed UTF-8 name", at);
    out->assign(reinterpret_cast<const char*>(p_), len);
    p_ += len;
    return true;
  }

private:
  bool FailLeb(LebError e, const uint8_t* start) {
    uint64_t at = static_cast<uint64_t>(start - base_);
    switch (e) {
    case LebError::Truncated: return Fail("unexpected end", at);
    case LebError::TooLong: return Fail("integer representation too long", at);
    case LebError::TooLarge: return Fail("integer too large", at);
    case LebError::None: break;
    }
    return Fail("malformed integer", at);
  }

  const uint8_t* base_;
  const uint8_t* p_;
  const uint8_t* end_;
  bool failed_ = false;
  Error error_;
};

std::string Hex(uint32_t v) {
  static const char* kDigits = "0123456789abcdef";
  std::string s = "0x";
  if (v >= 256) return "0x" + std::to_string(v);
  s += kDigits[(v >> 4) & 15];
  s += kDigits[v & 15];
  return s;
}

class Decoder {
public:
  Decoder(Reader& r, const ComponentLimits& limits) : r_(r), limits_(limits) {}

  bool DecodeComponentBody(Component* out, uint32_t depth);

private:
  bool Enter(uint32_t depth) {
    if (depth > limits_.max_nesting) {
      return r_.Fail("nesting deeper than the limit of " +
                     std::to_string(limits_.max_nesting));
    }
    return true;
  }
  bool Label(std::string* out);
  bool ExternNameAttrs(ExternName* out);
  bool CoreSort(Sort* out);
  bool SortByte(Sort* out);
  bool CoreValType(weft::ValType* out);
  bool CoreLimits(weft::Limits* out, bool memory);
  bool CoreFuncType(weft::FuncType* out);
  bool CoreImportDesc(weft::Import* item);
  bool CoreType(CoreTypeDef* out, uint32_t depth, bool in_module_type);
  bool ValTypeRef(TypeRef* out);
  bool OptValType(std::optional<TypeRef>* out);
  bool DefValTypeBody(uint8_t op, DefValType* out);
  bool Type(TypeDef* out, uint32_t depth);
  bool Decls(TypeDef* out, uint32_t depth, bool component);
  bool ExternDescR(ExternDesc* out);
  bool Alias(AliasDef* out);
  bool CoreInstance(CoreInstanceDef* out);
  bool Instance(InstanceDef* out);
  bool Opts(std::vector<CanonOpt>* out);
  bool ResultList(std::vector<FieldDef>* out);
  bool Canon(CanonDef* out);
  bool Start(StartDef* out);
  bool ExportR(ExportDef* out);

  // Counts one more definition or declaration against the total limit.
  bool Entry() {
    if (++entries_ > limits_.max_total_entries) {
      return r_.Fail("more than " + std::to_string(limits_.max_total_entries) +
                     " definitions and declarations in all");
    }
    return true;
  }

  Reader& r_;
  const ComponentLimits& limits_;
  uint64_t entries_ = 0;
};

bool Decoder::Label(std::string* out) {
  uint64_t at = r_.Offset();
  if (!r_.Name(out, limits_.max_name_bytes)) return false;
  if (!names::IsLabel(*out)) {
    return r_.Fail("invalid label \"" + *out + "\" (not kebab-case)", at);
  }
  return true;
}

bool Decoder::ExternNameAttrs(ExternName* out) {
  uint8_t form = 0;
  uint64_t at = r_.Offset();
  if (!r_.U8(&form)) return false;
  if (form > 0x02) {
    return r_.Fail("unknown name form " + Hex(form), at);
  }
  uint64_t name_at = r_.Offset();
  if (!r_.Name(&out->name, limits_.max_name_bytes)) return false;
  std::string why = names::CheckExternName(out->name);
  if (!why.empty()) {
    return r_.Fail("invalid name \"" + out->name + "\": " + why, name_at);
  }
  if (form != 0x02) return true;
  uint32_t n = 0;
  if (!r_.Count(&n, limits_.max_type_size, "name attribute")) return false;
  bool seen[3] = {false, false, false};
  for (uint32_t i = 0; i < n; ++i) {
    uint8_t kind = 0;
    uint64_t kind_at = r_.Offset();
    if (!r_.U8(&kind)) return false;
    if (kind > 0x02) {
      return r_.Fail("unknown name attribute " + Hex(kind), kind_at);
    }
    if (seen[kind]) return r_.Fail("duplicate name attribute", kind_at);
    seen[kind] = true;
    std::string value;
    if (!r_.Name(&value, limits_.max_name_bytes)) return false;
    if (kind == 0x00) {
      out->implements = std::move(value);
    } else if (kind == 0x01) {
      out->version_suffix = std::move(value);
    }
  }
  return true;
}

bool Decoder::CoreSort(Sort* out) {
  uint8_t b = 0;
  uint64_t at = r_.Offset();
  if (!r_.U8(&b)) return false;
  switch (b) {
  case 0x00: *out = Sort::CoreFunc; return true;
  case 0x01: *out = Sort::CoreTable; return true;
  case 0x02: *out = Sort::CoreMemory; return true;
  case 0x03: *out = Sort::CoreGlobal; return true;
  case 0x04: return r_.Fail("core tag sort not supported", at);
  case 0x10: *out = Sort::CoreType; return true;
  case 0x11: *out = Sort::CoreModule; return true;
  case 0x12: *out = Sort::CoreInstance; return true;
  default: return r_.Fail("unknown core sort " + Hex(b), at);
  }
}

bool Decoder::SortByte(Sort* out) {
  uint8_t b = 0;
  uint64_t at = r_.Offset();
  if (!r_.U8(&b)) return false;
  switch (b) {
  case 0x00: return CoreSort(out);
  case 0x01: *out = Sort::Func; return true;
  case 0x02: *out = Sort::Value; return true;
  case 0x03: *out = Sort::Type; return true;
  case 0x04: *out = Sort::Component; return true;
  case 0x05: *out = Sort::Instance; return true;
  default: return r_.Fail("unknown sort " + Hex(b), at);
  }
}

bool Decoder::CoreValType(weft::ValType* out) {
  uint8_t b = 0;
  uint64_t at = r_.Offset();
  if (!r_.U8(&b)) return false;
  if (!IsValTypeByte(b)) {
    return r_.Fail("malformed core value type " + Hex(b), at);
  }
  *out = static_cast<weft::ValType>(b);
  return true;
}

bool Decoder::CoreLimits(weft::Limits* out, bool memory) {
  uint8_t flags = 0;
  uint64_t at = r_.Offset();
  if (!r_.U8(&flags)) return false;
  if (flags > 0x01) {
    return r_.Fail(std::string(memory ? "memory" : "table") + " limits flags " +
                       Hex(flags) + " not supported",
                   at);
  }
  uint32_t v = 0;
  if (!r_.U32(&v)) return false;
  out->min = v;
  if (flags & 1) {
    if (!r_.U32(&v)) return false;
    out->max = v;
  }
  return true;
}

bool Decoder::CoreFuncType(weft::FuncType* out) {
  uint32_t n = 0;
  if (!r_.Count(&n, limits_.max_type_size, "core param")) return false;
  out->params.resize(n);
  for (auto& t : out->params)
    if (!CoreValType(&t)) return false;
  if (!r_.Count(&n, limits_.max_type_size, "core result")) return false;
  out->results.resize(n);
  for (auto& t : out->results)
    if (!CoreValType(&t)) return false;
  return true;
}

bool Decoder::CoreImportDesc(weft::Import* item) {
  uint8_t kind = 0;
  uint64_t at = r_.Offset();
  if (!r_.U8(&kind)) return false;
  switch (kind) {
  case 0x00: item->kind = ExternKind::Func; return r_.U32(&item->func_type);
  case 0x01: {
    item->kind = ExternKind::Table;
    uint8_t rt = 0;
    uint64_t rt_at = r_.Offset();
    if (!r_.U8(&rt)) return false;
    if (rt != 0x70 && rt != 0x6f) {
      return r_.Fail("malformed reference type " + Hex(rt), rt_at);
    }
    item->table.elem = static_cast<weft::ValType>(rt);
    return CoreLimits(&item->table.limits, false);
  }
  case 0x02:
    item->kind = ExternKind::Memory;
    return CoreLimits(&item->memory.limits, true);
  case 0x03: {
    item->kind = ExternKind::Global;
    if (!CoreValType(&item->global.type)) return false;
    uint8_t mut = 0;
    uint64_t mut_at = r_.Offset();
    if (!r_.U8(&mut)) return false;
    if (mut > 1) return r_.Fail("malformed mutability " + Hex(mut), mut_at);
    item->global.mut = mut == 1;
    return true;
  }
  case 0x04: return r_.Fail("core tag imports not supported", at);
  default: return r_.Fail("unknown core extern kind " + Hex(kind), at);
  }
}

bool Decoder::CoreType(CoreTypeDef* out, uint32_t depth, bool in_module_type) {
  if (!Enter(depth)) return false;
  out->offset = r_.Offset();
  uint8_t op = 0;
  if (!r_.U8(&op)) return false;
  if (op == 0x60) {
    out->kind = CoreTypeDef::Kind::Func;
    return CoreFuncType(&out->func);
  }
  if (op == 0x50) {
    if (in_module_type) {
      return r_.Fail("module type inside a module type", out->offset);
    }
    out->kind = CoreTypeDef::Kind::Module;
    uint32_t n = 0;
    if (!r_.Count(&n, limits_.max_definitions, "module type declaration")) {
      return false;
    }
    out->decls.resize(n);
    for (CoreModuleDecl& d : out->decls) {
      if (!Entry()) return false;
      uint8_t k = 0;
      uint64_t at = r_.Offset();
      if (!r_.U8(&k)) return false;
      switch (k) {
      case 0x00:
        d.kind = CoreModuleDecl::Kind::Import;
        if (!r_.Name(&d.item.module, limits_.max_name_bytes) ||
            !r_.Name(&d.item.name, limits_.max_name_bytes) ||
            !CoreImportDesc(&d.item)) {
          return false;
        }
        break;
      case 0x01: {
        d.kind = CoreModuleDecl::Kind::Type;
        CoreTypeDef inner;
        if (!CoreType(&inner, depth + 1, true)) return false;
        d.type = std::move(inner.func);
        break;
      }
      case 0x02: {
        d.kind = CoreModuleDecl::Kind::OuterAlias;
        uint8_t sort = 0, outer = 0;
        uint64_t sort_at = r_.Offset();
        if (!r_.U8(&sort) || !r_.U8(&outer)) return false;
        if (sort != 0x10 || outer != 0x01) {
          return r_.Fail("module type alias must be an outer type alias",
                         sort_at);
        }
        if (!r_.U32(&d.outer_count) || !r_.U32(&d.outer_index)) return false;
        break;
      }
      case 0x03:
        d.kind = CoreModuleDecl::Kind::Export;
        if (!r_.Name(&d.item.name, limits_.max_name_bytes) ||
            !CoreImportDesc(&d.item)) {
          return false;
        }
        break;
      default: return r_.Fail("unknown module type declaration " + Hex(k), at);
      }
    }
    return true;
  }
  if (op == 0x4e || op == 0x4f || op == 0x5e || op == 0x5f || op == 0x00) {
    return r_.Fail("core GC types (" + Hex(op) + ") not supported",
                   out->offset);
  }
  return r_.Fail("unknown core type " + Hex(op), out->offset);
}

// primvaltype byte -> ValKind.
bool PrimFromByte(uint8_t b, ValKind* out) {
  if (b >= 0x73 && b <= 0x7f) {
    *out = static_cast<ValKind>(0x7f - b); // 0x7f bool ... 0x73 string
    return true;
  }
  if (b == 0x64) {
    *out = ValKind::ErrorContext;
    return true;
  }
  return false;
}

bool Decoder::ValTypeRef(TypeRef* out) {
  uint64_t at = r_.Offset();
  int64_t v = 0;
  if (!r_.S33(&v)) return false;
  if (v >= 0) {
    if (v > UINT32_MAX) return r_.Fail("type index too large", at);
    out->is_index = true;
    out->index = static_cast<uint32_t>(v);
    return true;
  }
  // A negative single-byte SLEB is a primitive's opcode.
  if (v < -64 || r_.Offset() - at != 1 ||
      !PrimFromByte(static_cast<uint8_t>(v & 0x7f), &out->prim)) {
    return r_.Fail("malformed value type", at);
  }
  out->is_index = false;
  return true;
}

bool Decoder::OptValType(std::optional<TypeRef>* out) {
  uint8_t b = 0;
  uint64_t at = r_.Offset();
  if (!r_.U8(&b)) return false;
  if (b == 0x00) {
    out->reset();
    return true;
  }
  if (b != 0x01) return r_.Fail("malformed optional type " + Hex(b), at);
  TypeRef t;
  if (!ValTypeRef(&t)) return false;
  *out = t;
  return true;
}

bool Decoder::DefValTypeBody(uint8_t op, DefValType* out) {
  uint64_t at = r_.Offset() - 1;
  if (PrimFromByte(op, &out->kind)) return true;
  uint32_t n = 0;
  switch (op) {
  case 0x72: // record
    out->kind = ValKind::Record;
    if (!r_.Count(&n, limits_.max_type_size, "record field")) return false;
    if (n == 0) return r_.Fail("record type must have at least one field", at);
    out->fields.resize(n);
    for (FieldDef& f : out->fields)
      if (!Label(&f.name) || !ValTypeRef(&f.type)) return false;
    return true;
  case 0x71: // variant
    out->kind = ValKind::Variant;
    if (!r_.Count(&n, limits_.max_type_size, "variant case")) return false;
    if (n == 0) return r_.Fail("variant type must have at least one case", at);
    out->cases.resize(n);
    for (CaseDef& c : out->cases) {
      if (!Label(&c.name) || !OptValType(&c.type)) return false;
      uint8_t refines = 0;
      uint64_t ref_at = r_.Offset();
      if (!r_.U8(&refines)) return false;
      if (refines != 0x00) {
        return r_.Fail("variant case refines is not supported", ref_at);
      }
    }
    return true;
  case 0x70: // list
    out->kind = ValKind::List;
    return ValTypeRef(&out->elem);
  case 0x67: { // fixed-length list
    out->kind = ValKind::List;
    uint32_t len = 0;
    if (!ValTypeRef(&out->elem) || !r_.U32(&len)) return false;
    out->fixed_length = len;
    return true;
  }
  case 0x6f: // tuple
    out->kind = ValKind::Tuple;
    if (!r_.Count(&n, limits_.max_type_size, "tuple element")) return false;
    if (n == 0) return r_.Fail("tuple type must have at least one type", at);
    out->elems.resize(n);
    for (TypeRef& t : out->elems)
      if (!ValTypeRef(&t)) return false;
    return true;
  case 0x6e: // flags
  case 0x6d: // enum
    out->kind = op == 0x6e ? ValKind::Flags : ValKind::Enum;
    if (!r_.Count(&n, limits_.max_type_size,
                  op == 0x6e ? "flags label" : "enum case")) {
      return false;
    }
    if (n == 0) {
      return r_.Fail(std::string(op == 0x6e ? "flags" : "enum") +
                         " type must have at least one label",
                     at);
    }
    out->labels.resize(n);
    for (std::string& l : out->labels)
      if (!Label(&l)) return false;
    return true;
  case 0x6b: // option
    out->kind = ValKind::Option;
    return ValTypeRef(&out->elem);
  case 0x6a: // result
    out->kind = ValKind::Result;
    return OptValType(&out->ok) && OptValType(&out->err);
  case 0x69: // own
  case 0x68: // borrow
    out->kind = op == 0x69 ? ValKind::Own : ValKind::Borrow;
    return r_.U32(&out->resource);
  case 0x66:   // stream
  case 0x65: { // future
    out->kind = op == 0x66 ? ValKind::Stream : ValKind::Future;
    std::optional<TypeRef> t;
    if (!OptValType(&t)) return false;
    out->has_elem = t.has_value();
    if (t) out->elem = *t;
    return true;
  }
  case 0x63: return r_.Fail("map types are not supported yet", at);
  default: return r_.Fail("unknown type " + Hex(op), at);
  }
}

bool Decoder::ResultList(std::vector<FieldDef>* out) {
  uint8_t b = 0;
  uint64_t at = r_.Offset();
  if (!r_.U8(&b)) return false;
  if (b == 0x00) {
    FieldDef f;
    if (!ValTypeRef(&f.type)) return false;
    out->push_back(std::move(f));
    return true;
  }
  if (b == 0x01) {
    uint8_t zero = 0;
    uint64_t zat = r_.Offset();
    if (!r_.U8(&zero)) return false;
    if (zero != 0x00) {
      return r_.Fail("named function results are not supported", zat);
    }
    return true;
  }
  return r_.Fail("malformed result list " + Hex(b), at);
}

bool Decoder::ExternDescR(ExternDesc* out) {
  uint8_t k = 0;
  uint64_t at = r_.Offset();
  if (!r_.U8(&k)) return false;
  switch (k) {
  case 0x00: {
    uint8_t m = 0;
    uint64_t mat = r_.Offset();
    if (!r_.U8(&m)) return false;
    if (m != 0x11) return r_.Fail("malformed core module type", mat);
    out->sort = Sort::CoreModule;
    return r_.U32(&out->index);
  }
  case 0x01: out->sort = Sort::Func; return r_.U32(&out->index);
  case 0x02: {
    out->sort = Sort::Value;
    uint8_t b = 0;
    uint64_t bat = r_.Offset();
    if (!r_.U8(&b)) return false;
    if (b == 0x00) return r_.U32(&out->index);
    if (b == 0x01) return ValTypeRef(&out->value);
    return r_.Fail("malformed value bound " + Hex(b), bat);
  }
  case 0x03: {
    out->sort = Sort::Type;
    uint8_t b = 0;
    uint64_t bat = r_.Offset();
    if (!r_.U8(&b)) return false;
    if (b == 0x00) return r_.U32(&out->index);
    if (b == 0x01) {
      out->sub_resource = true;
      return true;
    }
    return r_.Fail("malformed type bound " + Hex(b), bat);
  }
  case 0x04: out->sort = Sort::Component; return r_.U32(&out->index);
  case 0x05: out->sort = Sort::Instance; return r_.U32(&out->index);
  default: return r_.Fail("unknown extern type " + Hex(k), at);
  }
}

bool Decoder::Alias(AliasDef* out) {
  if (!SortByte(&out->sort)) return false;
  uint8_t k = 0;
  uint64_t at = r_.Offset();
  if (!r_.U8(&k)) return false;
  switch (k) {
  case 0x00:
    out->kind = AliasDef::Kind::InstanceExport;
    return r_.U32(&out->instance) &&
           r_.Name(&out->name, limits_.max_name_bytes);
  case 0x01:
    out->kind = AliasDef::Kind::CoreInstanceExport;
    return r_.U32(&out->instance) &&
           r_.Name(&out->name, limits_.max_name_bytes);
  case 0x02:
    out->kind = AliasDef::Kind::Outer;
    return r_.U32(&out->outer_count) && r_.U32(&out->outer_index);
  default: return r_.Fail("unknown alias kind " + Hex(k), at);
  }
}

bool Decoder::Decls(TypeDef* out, uint32_t depth, bool component) {
  uint32_t n = 0;
  if (!r_.Count(&n, limits_.max_definitions,
                component ? "component type declaration"
                          : "instance type declaration")) {
    return false;
  }
  out->decls.resize(n);
  for (TypeDecl& d : out->decls) {
    if (!Entry()) return false;
    uint8_t k = 0;
    uint64_t at = r_.Offset();
    if (!r_.U8(&k)) return false;
    switch (k) {
    case 0x00: {
      d.kind = TypeDecl::Kind::CoreType;
      auto ct = std::make_shared<CoreTypeDef>();
      if (!CoreType(ct.get(), depth + 1, false)) return false;
      d.core_type = std::move(ct);
      break;
    }
    case 0x01: {
      d.kind = TypeDecl::Kind::Type;
      auto t = std::make_shared<TypeDef>();
      if (!Type(t.get(), depth + 1)) return false;
      d.type = std::move(t);
      break;
    }
    case 0x02:
      d.kind = TypeDecl::Kind::Alias;
      if (!Alias(&d.alias)) return false;
      break;
    case 0x03:
      if (!component) {
        return r_.Fail("import declaration in an instance type", at);
      }
      d.kind = TypeDecl::Kind::Import;
      if (!ExternNameAttrs(&d.import.name) || !ExternDescR(&d.import.desc)) {
        return false;
      }
      break;
    case 0x04:
      d.kind = TypeDecl::Kind::Export;
      if (!ExternNameAttrs(&d.export_.name) || !ExternDescR(&d.export_.desc)) {
        return false;
      }
      break;
    default:
      return r_.Fail(std::string("unknown ") +
                         (component ? "component" : "instance") +
                         " type declaration " + Hex(k),
                     at);
    }
  }
  return true;
}

bool Decoder::Type(TypeDef* out, uint32_t depth) {
  if (!Enter(depth)) return false;
  out->offset = r_.Offset();
  uint8_t op = 0;
  if (!r_.U8(&op)) return false;
  switch (op) {
  case 0x40:
  case 0x43: {
    out->kind = TypeDef::Kind::Func;
    out->func.async = op == 0x43;
    uint32_t n = 0;
    if (!r_.Count(&n, limits_.max_type_size, "param")) return false;
    out->func.params.resize(n);
    for (FieldDef& f : out->func.params)
      if (!Label(&f.name) || !ValTypeRef(&f.type)) return false;
    return ResultList(&out->func.results);
  }
  case 0x41:
    out->kind = TypeDef::Kind::Component;
    return Decls(out, depth, true);
  case 0x42:
    out->kind = TypeDef::Kind::Instance;
    return Decls(out, depth, false);
  case 0x3f: {
    out->kind = TypeDef::Kind::Resource;
    if (!CoreValType(&out->resource.rep)) return false;
    uint8_t b = 0;
    uint64_t at = r_.Offset();
    if (!r_.U8(&b)) return false;
    if (b == 0x01) {
      uint32_t f = 0;
      if (!r_.U32(&f)) return false;
      out->resource.dtor = f;
    } else if (b != 0x00) {
      return r_.Fail("malformed resource destructor " + Hex(b), at);
    }
    return true;
  }
  default: out->kind = TypeDef::Kind::Val; return DefValTypeBody(op, &out->val);
  }
}

bool Decoder::CoreInstance(CoreInstanceDef* out) {
  uint8_t k = 0;
  uint64_t at = r_.Offset();
  if (!r_.U8(&k)) return false;
  uint32_t n = 0;
  if (k == 0x00) {
    out->kind = CoreInstanceDef::Kind::Instantiate;
    if (!r_.U32(&out->module)) return false;
    if (!r_.Count(&n, limits_.max_definitions, "instantiate argument")) {
      return false;
    }
    out->args.resize(n);
    for (auto& a : out->args) {
      if (!r_.Name(&a.name, limits_.max_name_bytes)) return false;
      uint8_t sort = 0;
      uint64_t sat = r_.Offset();
      if (!r_.U8(&sort)) return false;
      if (sort != 0x12) {
        return r_.Fail("core instantiate argument must be an instance", sat);
      }
      if (!r_.U32(&a.instance)) return false;
    }
    return true;
  }
  if (k == 0x01) {
    out->kind = CoreInstanceDef::Kind::FromExports;
    if (!r_.Count(&n, limits_.max_definitions, "core instance export")) {
      return false;
    }
    out->exports.resize(n);
    for (auto& e : out->exports) {
      if (!r_.Name(&e.name, limits_.max_name_bytes) || !CoreSort(&e.sort) ||
          !r_.U32(&e.index)) {
        return false;
      }
    }
    return true;
  }
  return r_.Fail("unknown core instance kind " + Hex(k), at);
}

bool Decoder::Instance(InstanceDef* out) {
  uint8_t k = 0;
  uint64_t at = r_.Offset();
  if (!r_.U8(&k)) return false;
  uint32_t n = 0;
  if (k == 0x00) {
    out->kind = InstanceDef::Kind::Instantiate;
    if (!r_.U32(&out->component)) return false;
    if (!r_.Count(&n, limits_.max_definitions, "instantiate argument")) {
      return false;
    }
    out->args.resize(n);
    for (auto& a : out->args) {
      if (!r_.Name(&a.name, limits_.max_name_bytes) || !SortByte(&a.sort) ||
          !r_.U32(&a.index)) {
        return false;
      }
    }
    return true;
  }
  if (k == 0x01) {
    out->kind = InstanceDef::Kind::FromExports;
    if (!r_.Count(&n, limits_.max_definitions, "instance export")) {
      return false;
    }
    out->exports.resize(n);
    for (ExportDef& e : out->exports) {
      if (!ExternNameAttrs(&e.name) || !SortByte(&e.sort) ||
          !r_.U32(&e.index)) {
        return false;
      }
    }
    return true;
  }
  return r_.Fail("unknown instance kind " + Hex(k), at);
}

bool Decoder::Opts(std::vector<CanonOpt>* out) {
  uint32_t n = 0;
  if (!r_.Count(&n, limits_.max_type_size, "canon option")) return false;
  out->resize(n);
  for (CanonOpt& o : *out) {
    uint8_t k = 0;
    uint64_t at = r_.Offset();
    if (!r_.U8(&k)) return false;
    switch (k) {
    case 0x00:
    case 0x01:
    case 0x02:
      o.kind = CanonOpt::Kind::StringEncoding;
      o.encoding = static_cast<StringEncoding>(k);
      break;
    case 0x03:
      o.kind = CanonOpt::Kind::Memory;
      if (!r_.U32(&o.index)) return false;
      break;
    case 0x04:
      o.kind = CanonOpt::Kind::Realloc;
      if (!r_.U32(&o.index)) return false;
      break;
    case 0x05:
      o.kind = CanonOpt::Kind::PostReturn;
      if (!r_.U32(&o.index)) return false;
      break;
    case 0x06: o.kind = CanonOpt::Kind::Async; break;
    case 0x07:
      o.kind = CanonOpt::Kind::Callback;
      if (!r_.U32(&o.index)) return false;
      break;
    default: return r_.Fail("unknown canon option " + Hex(k), at);
    }
  }
  return true;
}

bool Decoder::Canon(CanonDef* out) {
  uint8_t op = 0;
  uint64_t at = r_.Offset();
  if (!r_.U8(&op)) return false;
  out->opcode = op;
  auto zero_sort = [&]() {
    uint8_t b = 0;
    uint64_t bat = r_.Offset();
    if (!r_.U8(&b)) return false;
    if (b != 0x00) return r_.Fail("malformed canon function sort", bat);
    return true;
  };
  auto flag = [&](const char* what) {
    uint8_t b = 0;
    uint64_t bat = r_.Offset();
    if (!r_.U8(&b)) return false;
    if (b > 1) return r_.Fail(std::string("malformed ") + what + " flag", bat);
    return true;
  };
  uint32_t ignored = 0;
  weft::ValType core_type = weft::ValType::I32;
  std::vector<FieldDef> results;
  switch (op) {
  case 0x00:
    out->kind = CanonDef::Kind::Lift;
    return zero_sort() && r_.U32(&out->func) && Opts(&out->opts) &&
           r_.U32(&out->type);
  case 0x01:
    out->kind = CanonDef::Kind::Lower;
    return zero_sort() && r_.U32(&out->func) && Opts(&out->opts);
  case 0x02: out->kind = CanonDef::Kind::ResourceNew; return r_.U32(&out->type);
  case 0x03:
    out->kind = CanonDef::Kind::ResourceDrop;
    return r_.U32(&out->type);
  case 0x07: // resource.drop async (an earlier 0.3 encoding)
    out->kind = CanonDef::Kind::ResourceDrop;
    out->async = true;
    return r_.U32(&out->type);
  case 0x04: out->kind = CanonDef::Kind::ResourceRep; return r_.U32(&out->type);
  default: break;
  }
  out->kind = CanonDef::Kind::Other;
  switch (op) {
  case 0x05: // task.cancel
  case 0x08: // backpressure.set (removed; no immediates)
  case 0x0d: // subtask.drop
  case 0x1e: // error-context.drop
  case 0x1f: // waitable-set.new
  case 0x22: // waitable-set.drop
  case 0x23: // waitable.join
  case 0x24: // backpressure.inc
  case 0x25: // backpressure.dec
  case 0x26: // thread.index
  case 0x28: // thread.resume-later
    return true;
  case 0x09: // task.return
    return ResultList(&results) && Opts(&out->opts);
  case 0x0a: // context.get
  case 0x0b: // context.set
    return CoreValType(&core_type) && r_.U32(&out->type);
  case 0x06: // subtask.cancel async?
  case 0x0c: // thread.yield cancel?
  case 0x29:
  case 0x2a:
  case 0x2b:
  case 0x2c:
  case 0x2d:
  case 0x42: // thread.available-parallelism shared?
    return flag("async/cancel");
  case 0x0e:
  case 0x13:
  case 0x14:
  case 0x15:
  case 0x1a:
  case 0x1b: return r_.U32(&out->type);
  case 0x0f:
  case 0x10:
  case 0x16:
  case 0x17: return r_.U32(&out->type) && Opts(&out->opts);
  case 0x11:
  case 0x12:
  case 0x18:
  case 0x19: return r_.U32(&out->type) && flag("async");
  case 0x1c:
  case 0x1d: return Opts(&out->opts);
  case 0x20:
  case 0x21: return flag("cancel") && r_.U32(&ignored);
  case 0x27: return r_.U32(&out->type) && r_.U32(&ignored);
  case 0x40: return flag("shared") && r_.U32(&out->type);
  case 0x41: return flag("shared") && r_.U32(&out->type) && r_.U32(&ignored);
  default: return r_.Fail("unknown canon opcode " + Hex(op), at);
  }
}

bool Decoder::Start(StartDef* out) {
  uint32_t n = 0;
  if (!r_.U32(&out->func)) return false;
  if (!r_.Count(&n, limits_.max_type_size, "start argument")) return false;
  out->args.resize(n);
  for (uint32_t& a : out->args)
    if (!r_.U32(&a)) return false;
  return r_.U32(&out->results);
}

bool Decoder::ExportR(ExportDef* out) {
  if (!ExternNameAttrs(&out->name) || !SortByte(&out->sort) ||
      !r_.U32(&out->index)) {
    return false;
  }
  uint8_t b = 0;
  uint64_t at = r_.Offset();
  if (!r_.U8(&b)) return false;
  if (b == 0x00) return true;
  if (b != 0x01) return r_.Fail("malformed export type " + Hex(b), at);
  ExternDesc d;
  if (!ExternDescR(&d)) return false;
  out->ascribed = d;
  return true;
}

// The preamble has been read. Reads sections up to the reader's end.
bool Decoder::DecodeComponentBody(Component* out, uint32_t depth) {
  if (!Enter(depth)) return false;
  const uint8_t* component_end = r_.End();
  while (!r_.AtEnd()) {
    uint64_t section_at = r_.Offset();
    uint8_t id = 0;
    uint32_t size = 0;
    if (!r_.U8(&id)) return false;
    uint64_t size_at = r_.Offset();
    if (!r_.U32(&size)) return false;
    if (size > r_.Remaining()) {
      return r_.Fail("section size " + std::to_string(size) + " exceeds the " +
                         std::to_string(r_.Remaining()) + " bytes left",
                     size_at);
    }
    const uint8_t* section_end = r_.Ptr() + size;
    r_.SetEnd(section_end);
    auto add = [&](Definition::Kind kind) -> Definition& {
      Definition& d = out->definitions.emplace_back();
      d.kind = kind;
      d.offset = r_.Offset();
      return d;
    };
    // A vec(...) section: count, then entries.
    auto vec = [&](const char* what, auto&& entry) {
      uint32_t n = 0;
      if (!r_.Count(&n, limits_.max_definitions, what)) return false;
      for (uint32_t i = 0; i < n; ++i)
        if (!Entry() || !entry()) return false;
      return true;
    };
    bool ok = true;
    switch (id) {
    case 0: { // custom
      std::string name;
      ok = r_.Name(&name, limits_.max_name_bytes);
      if (ok) r_.SetPtr(section_end);
      break;
    }
    case 1: { // core module
      if (!Entry()) return false;
      Definition& d = add(Definition::Kind::CoreModule);
      d.core_module.offset = r_.Offset();
      d.core_module.bytes = {r_.Ptr(), size};
      static const uint8_t kCore[8] = {0x00, 0x61, 0x73, 0x6d,
                                       0x01, 0x00, 0x00, 0x00};
      if (size < 8 || std::memcmp(r_.Ptr(), kCore, 8) != 0) {
        ok = r_.Fail("core module section does not start with a core "
                     "module preamble");
        break;
      }
      r_.SetPtr(section_end);
      break;
    }
    case 2:
      ok = vec("core instance", [&] {
        return CoreInstance(&add(Definition::Kind::CoreInstance).core_instance);
      });
      break;
    case 3:
      ok = vec("core type", [&] {
        auto t = std::make_shared<CoreTypeDef>();
        Definition& d = add(Definition::Kind::CoreType);
        if (!CoreType(t.get(), depth + 1, false)) return false;
        d.core_type = std::move(t);
        return true;
      });
      break;
    case 4: { // nested component
      if (!Entry()) return false;
      Definition& d = add(Definition::Kind::Component);
      if (size < 8 || std::memcmp(r_.Ptr(), kPreamble, 8) != 0) {
        ok = r_.Fail("component section does not start with a component "
                     "preamble");
        break;
      }
      auto nested = std::make_shared<Component>();
      nested->offset = r_.Offset();
      r_.SetPtr(r_.Ptr() + 8);
      ok = DecodeComponentBody(nested.get(), depth + 1);
      d.component = std::move(nested);
      r_.SetEnd(section_end);
      break;
    }
    case 5:
      ok = vec("instance", [&] {
        return Instance(&add(Definition::Kind::Instance).instance);
      });
      break;
    case 6:
      ok = vec("alias",
               [&] { return Alias(&add(Definition::Kind::Alias).alias); });
      break;
    case 7:
      ok = vec("type", [&] {
        auto t = std::make_shared<TypeDef>();
        Definition& d = add(Definition::Kind::Type);
        if (!Type(t.get(), depth + 1)) return false;
        d.type = std::move(t);
        return true;
      });
      break;
    case 8:
      ok = vec("canon",
               [&] { return Canon(&add(Definition::Kind::Canon).canon); });
      break;
    case 9: ok = Entry() && Start(&add(Definition::Kind::Start).start); break;
    case 10:
      ok = vec("import", [&] {
        Definition& d = add(Definition::Kind::Import);
        return ExternNameAttrs(&d.import.name) && ExternDescR(&d.import.desc);
      });
      break;
    case 11:
      ok = vec("export",
               [&] { return ExportR(&add(Definition::Kind::Export).export_); });
      break;
    case 12:
      ok = r_.Fail("value sections are not supported", section_at);
      break;
    default:
      ok = r_.Fail("unknown section id " + std::to_string(id), section_at);
      break;
    }
    if (!ok) return false;
    if (r_.Ptr() != section_end) {
      return r_.Fail("section " + std::to_string(id) + " size mismatch: " +
                         std::to_string(section_end - r_.Ptr()) +
                         " bytes left unread",
                     r_.Offset());
    }
    r_.SetEnd(component_end);
  }
  return true;
}

} // namespace

Result<std::shared_ptr<const DecodedComponent>>
DecodeComponent(std::span<const uint8_t> bytes, const ComponentLimits& limits) {
  if (bytes.size() > limits.max_component_bytes) {
    return Error{"component: " + std::to_string(bytes.size()) +
                     " bytes exceeds the limit of " +
                     std::to_string(limits.max_component_bytes),
                 kNoOffset, ""};
  }
  auto decoded = std::make_shared<DecodedComponent>();
  decoded->bytes.assign(bytes.begin(), bytes.end());
  const uint8_t* begin = decoded->bytes.data();
  const uint8_t* end = begin + decoded->bytes.size();
  if (decoded->bytes.size() < 8 || std::memcmp(begin, "\0asm", 4) != 0) {
    return Error{"component: missing the \\0asm magic", 0, ""};
  }
  if (begin[4] != 0x0d || begin[5] != 0x00) {
    return Error{"component: unsupported version " + std::to_string(begin[4]) +
                     " (weft reads component binaries of version 13)",
                 4, ""};
  }
  if (begin[6] != 0x01 || begin[7] != 0x00) {
    return Error{"component: layer is not 1 (not a component)", 6, ""};
  }
  Reader r(begin, begin + 8, end);
  Decoder d(r, limits);
  decoded->root.offset = 0;
  if (!d.DecodeComponentBody(&decoded->root, 0)) return r.TakeError();
  return std::shared_ptr<const DecodedComponent>(std::move(decoded));
}

} // namespace weft::component
