// The module decoder: header, section order, and every section's contents.
// Instruction sequences are in decode_code.cpp, the byte reader in
// decode_reader.cpp; see decode_internal.h for the error model.
#include "wasm/decoder.h"

#include <algorithm>
#include <cstdint>

#include "wasm/decode_internal.h"

namespace weft {
namespace {

using decode::CodeSink;
using decode::Reader;

enum SectionId : uint8_t {
  kCustom = 0,
  kType = 1,
  kImport = 2,
  kFunction = 3,
  kTable = 4,
  kMemory = 5,
  kGlobal = 6,
  kExport = 7,
  kStart = 8,
  kElem = 9,
  kCode = 10,
  kData = 11,
  kDataCount = 12,
};

constexpr const char* kSectionNames[] = {
    "custom section",    "type section",   "import section",
    "function section",  "table section",  "memory section",
    "global section",    "export section", "start section",
    "element section",   "code section",   "data section",
    "data count section"};

// Position of a section in the required order; the data count section sits
// between the element and code sections.
int SectionRank(uint8_t id) {
  if (id == kDataCount) return 10;
  if (id >= kCode) return id + 1;
  return id;
}

class ModuleDecoder {
public:
  ModuleDecoder(std::span<const uint8_t> bytes, const DecodeLimits& limits)
      : r_(bytes.data(), bytes.data() + bytes.size()), limits_(limits),
        size_(bytes.size()) {}

  Result<Module> Run();

private:
  bool Header();
  bool Section(uint8_t id, uint32_t start, uint32_t size);
  bool Custom(uint32_t end);
  bool Types();
  bool Imports();
  bool Functions();
  bool Tables();
  bool Memories();
  bool Globals();
  bool Exports();
  bool Start();
  bool Elems();
  bool DataCount();
  bool Code();
  bool Datas();
  bool FinalChecks();

  bool ReadLimits(Limits* out);
  bool ReadTableType(TableType* out);
  bool ReadGlobalType(GlobalType* out);
  bool ReadConstExpr(ConstExpr* out);
  bool ReadFuncIndexExprs(std::vector<ConstExpr>* out);
  bool ReadElemSegment(ElemSegment* out);
  bool ReadDataSegment(DataSegment* out);
  bool ReadFunctionBody(Function* f);

  Reader r_;
  const DecodeLimits& limits_;
  size_t size_;
  Module m_;
  std::vector<uint32_t> func_types_; // from the function section
  bool code_uses_data_ = false;
};

Result<Module> ModuleDecoder::Run() {
  // Offsets are 32-bit throughout the IR.
  const uint64_t max_bytes =
      std::min<uint64_t>(limits_.max_module_bytes, UINT32_MAX);
  if (size_ > max_bytes) {
    return Error{"module is larger than the limit of " +
                     std::to_string(max_bytes) + " bytes",
                 0, ""};
  }
  if (!Header()) return r_.TakeError();
  int last_rank = 0;
  while (!r_.AtEnd()) {
    const uint32_t start = r_.Offset();
    uint8_t id = 0;
    r_.SetContext(nullptr);
    r_.SetInSection(false);
    if (!r_.ReadU8(&id)) return r_.TakeError();
    if (id > kDataCount) {
      r_.Fail("malformed section id", start);
      return r_.TakeError();
    }
    if (id != kCustom) {
      // Out of order or repeated: the reference decoder stops at the last
      // section it can accept, so this is content after the last section.
      int rank = SectionRank(id);
      if (rank <= last_rank) {
        r_.Fail(std::string("unexpected content after last section (") +
                    kSectionNames[id] + " out of order or repeated)",
                start);
        return r_.TakeError();
      }
      last_rank = rank;
    }
    uint32_t size = 0;
    if (!r_.ReadLength(&size)) return r_.TakeError();
    r_.SetContext(kSectionNames[id]);
    r_.SetInSection(true);
    if (!Section(id, r_.Offset(), size)) return r_.TakeError();
  }
  r_.SetContext(nullptr);
  if (!FinalChecks()) return r_.TakeError();
  return std::move(m_);
}

bool ModuleDecoder::Header() {
  uint32_t magic = 0, version = 0;
  if (!r_.ReadFixed32(&magic)) return false;
  if (magic != 0x6D736100u) return r_.Fail("magic header not detected", 0);
  if (!r_.ReadFixed32(&version)) return false;
  if (version != 1) return r_.Fail("unknown binary version", 4);
  return true;
}

bool ModuleDecoder::Section(uint8_t id, uint32_t start, uint32_t size) {
  const uint32_t end = start + size; // ReadLength checked it is in bounds
  bool ok = false;
  switch (id) {
  case kCustom: return Custom(end);
  case kType: ok = Types(); break;
  case kImport: ok = Imports(); break;
  case kFunction: ok = Functions(); break;
  case kTable: ok = Tables(); break;
  case kMemory: ok = Memories(); break;
  case kGlobal: ok = Globals(); break;
  case kExport: ok = Exports(); break;
  case kStart: ok = Start(); break;
  case kElem: ok = Elems(); break;
  case kDataCount: ok = DataCount(); break;
  case kCode: ok = Code(); break;
  case kData: ok = Datas(); break;
  }
  if (!ok) return false;
  if (r_.Offset() != end) {
    r_.SetItem(nullptr, 0);
    return r_.Fail("section size mismatch", std::min(r_.Offset(), end));
  }
  return true;
}

bool ModuleDecoder::Custom(uint32_t end) {
  CustomSection c;
  if (!r_.ReadName(&c.name)) return false;
  // A name running past the section's end is a truncated section.
  if (r_.Offset() > end)
    return r_.Fail("unexpected end of section or function", end);
  c.offset = r_.Offset();
  c.size = end - c.offset;
  r_.Seek(end);
  m_.customs.push_back(std::move(c));
  return true;
}

bool ModuleDecoder::Types() {
  uint32_t count = 0;
  if (!r_.ReadCount(&count, limits_.max_types, "type count")) return false;
  for (uint32_t i = 0; i < count; ++i) {
    r_.SetItem("type", i);
    uint32_t at = r_.Offset();
    uint8_t form = 0; // a one-byte signed LEB128 in the grammar
    if (!r_.ReadU8(&form)) return false;
    if (form & 0x80) return r_.Fail("integer representation too long", at);
    if (form != 0x60) return r_.Fail("malformed function type", at);
    FuncType ft;
    for (std::vector<ValType>* list : {&ft.params, &ft.results}) {
      uint32_t n = 0;
      if (!r_.ReadLength(&n)) return false;
      for (uint32_t k = 0; k < n; ++k) {
        ValType t;
        if (!r_.ReadValType(&t)) return false;
        list->push_back(t);
      }
    }
    m_.types.push_back(std::move(ft));
  }
  return true;
}

bool ModuleDecoder::ReadLimits(Limits* out) {
  // The flag is a 1-bit unsigned LEB128 in 2.0: 2 and up are "integer too
  // large", a continuation bit "integer representation too long".
  uint32_t at = r_.Offset();
  uint8_t flag = 0;
  if (!r_.ReadU8(&flag)) return false;
  if (flag & 0x80) return r_.Fail("integer representation too long", at);
  if (flag > 1) return r_.Fail("integer too large", at);
  uint32_t min = 0;
  if (!r_.ReadU32(&min)) return false;
  out->min = min;
  out->max.reset();
  if (flag == 1) {
    uint32_t max = 0;
    if (!r_.ReadU32(&max)) return false;
    out->max = max;
  }
  return true;
}

bool ModuleDecoder::ReadTableType(TableType* out) {
  return r_.ReadRefType(&out->elem) && ReadLimits(&out->limits);
}

bool ModuleDecoder::ReadGlobalType(GlobalType* out) {
  if (!r_.ReadValType(&out->type)) return false;
  uint32_t at = r_.Offset();
  uint8_t mut = 0;
  if (!r_.ReadU8(&mut)) return false;
  if (mut > 1) return r_.Fail("malformed mutability", at);
  out->mut = mut == 1;
  return true;
}

bool ModuleDecoder::Imports() {
  uint32_t count = 0;
  if (!r_.ReadLength(&count)) return false;
  for (uint32_t i = 0; i < count; ++i) {
    r_.SetItem("import", i);
    Import imp;
    if (!r_.ReadName(&imp.module) || !r_.ReadName(&imp.name)) return false;
    uint32_t at = r_.Offset();
    uint8_t kind = 0;
    if (!r_.ReadU8(&kind)) return false;
    switch (kind) {
    case 0:
      imp.kind = ExternKind::Func;
      if (!r_.ReadU32(&imp.func_type)) return false;
      ++m_.num_imported_funcs;
      break;
    case 1:
      imp.kind = ExternKind::Table;
      if (!ReadTableType(&imp.table)) return false;
      ++m_.num_imported_tables;
      break;
    case 2:
      imp.kind = ExternKind::Memory;
      if (!ReadLimits(&imp.memory.limits)) return false;
      ++m_.num_imported_memories;
      break;
    case 3:
      imp.kind = ExternKind::Global;
      if (!ReadGlobalType(&imp.global)) return false;
      ++m_.num_imported_globals;
      break;
    default: return r_.Fail("malformed import kind", at);
    }
    m_.imports.push_back(std::move(imp));
  }
  return true;
}

bool ModuleDecoder::Functions() {
  uint32_t count = 0;
  if (!r_.ReadCount(&count, limits_.max_functions, "function count")) {
    return false;
  }
  func_types_.reserve(count); // bounded by the module's size and the limit
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t type = 0;
    if (!r_.ReadU32(&type)) return false;
    func_types_.push_back(type);
  }
  return true;
}

bool ModuleDecoder::Tables() {
  uint32_t count = 0;
  if (!r_.ReadLength(&count)) return false;
  for (uint32_t i = 0; i < count; ++i) {
    r_.SetItem("table", i);
    TableType t;
    if (!ReadTableType(&t)) return false;
    m_.tables.push_back(t);
  }
  return true;
}

bool ModuleDecoder::Memories() {
  uint32_t count = 0;
  if (!r_.ReadLength(&count)) return false;
  for (uint32_t i = 0; i < count; ++i) {
    r_.SetItem("memory", i);
    MemoryType t;
    if (!ReadLimits(&t.limits)) return false;
    m_.memories.push_back(t);
  }
  return true;
}

bool ModuleDecoder::ReadConstExpr(ConstExpr* out) {
  CodeSink sink{&out->code, &out->br_targets, &out->v128_consts};
  return decode::DecodeInstrs(r_, sink, limits_);
}

bool ModuleDecoder::Globals() {
  uint32_t count = 0;
  if (!r_.ReadLength(&count)) return false;
  for (uint32_t i = 0; i < count; ++i) {
    r_.SetItem("global", m_.num_imported_globals + i);
    Global g;
    if (!ReadGlobalType(&g.type) || !ReadConstExpr(&g.init)) return false;
    m_.globals.push_back(std::move(g));
  }
  return true;
}

bool ModuleDecoder::Exports() {
  uint32_t count = 0;
  if (!r_.ReadLength(&count)) return false;
  for (uint32_t i = 0; i < count; ++i) {
    r_.SetItem("export", i);
    Export e;
    if (!r_.ReadName(&e.name)) return false;
    uint32_t at = r_.Offset();
    uint8_t kind = 0;
    if (!r_.ReadU8(&kind)) return false;
    if (kind > 3) return r_.Fail("malformed export kind", at);
    e.kind = static_cast<ExternKind>(kind);
    if (!r_.ReadU32(&e.index)) return false;
    m_.exports.push_back(std::move(e));
  }
  return true;
}

bool ModuleDecoder::Start() {
  uint32_t index = 0;
  if (!r_.ReadU32(&index)) return false;
  m_.start = index;
  return true;
}

// A vector of function indices, each becoming `ref.func i; end`.
bool ModuleDecoder::ReadFuncIndexExprs(std::vector<ConstExpr>* out) {
  uint32_t count = 0;
  if (!r_.ReadCount(&count, limits_.max_table_init, "element count")) {
    return false;
  }
  for (uint32_t i = 0; i < count; ++i) {
    Instr ref;
    ref.op = Opcode::RefFunc;
    ref.offset = r_.Offset();
    if (!r_.ReadU32(&ref.a)) return false;
    Instr end;
    end.op = Opcode::End;
    end.offset = ref.offset;
    ConstExpr e;
    e.code = {ref, end};
    out->push_back(std::move(e));
  }
  return true;
}

bool ModuleDecoder::ReadElemSegment(ElemSegment* out) {
  uint32_t at = r_.Offset();
  uint32_t flags = 0;
  if (!r_.ReadU32(&flags)) return false;
  if (flags > 7) return r_.Fail("malformed elements segment kind", at);
  // Bit 0: passive or declarative; bit 1: explicit table index (active) or
  // declarative; bit 2: element expressions instead of function indices.
  const bool active = (flags & 1) == 0;
  const bool uses_exprs = (flags & 4) != 0;
  out->mode = active        ? SegmentMode::Active
              : (flags & 2) ? SegmentMode::Declarative
                            : SegmentMode::Passive;
  out->table = 0;
  out->type = ValType::FuncRef;
  if (active) {
    if ((flags & 2) && !r_.ReadU32(&out->table)) return false;
    if (!ReadConstExpr(&out->offset)) return false;
  }
  // Flags 0 and 4 carry no element type: funcref.
  if (flags != 0 && flags != 4) {
    if (uses_exprs) {
      if (!r_.ReadRefType(&out->type)) return false;
    } else {
      uint32_t kind_at = r_.Offset();
      uint8_t kind = 0;
      if (!r_.ReadU8(&kind)) return false;
      if (kind != 0) return r_.Fail("malformed element kind", kind_at);
    }
  }
  if (!uses_exprs) return ReadFuncIndexExprs(&out->init);
  uint32_t count = 0;
  if (!r_.ReadCount(&count, limits_.max_table_init, "element count")) {
    return false;
  }
  for (uint32_t i = 0; i < count; ++i) {
    ConstExpr e;
    if (!ReadConstExpr(&e)) return false;
    out->init.push_back(std::move(e));
  }
  return true;
}

bool ModuleDecoder::Elems() {
  uint32_t count = 0;
  if (!r_.ReadLength(&count)) return false;
  for (uint32_t i = 0; i < count; ++i) {
    r_.SetItem("segment", i);
    ElemSegment seg;
    if (!ReadElemSegment(&seg)) return false;
    m_.elems.push_back(std::move(seg));
  }
  return true;
}

bool ModuleDecoder::DataCount() {
  uint32_t n = 0;
  if (!r_.ReadU32(&n)) return false;
  m_.data_count = n;
  return true;
}

bool ModuleDecoder::ReadFunctionBody(Function* f) {
  f->body_offset = r_.Offset();
  uint32_t size = 0;
  if (!r_.ReadLength(&size)) return false;
  const uint32_t start = r_.Offset();
  f->body_size = size;

  uint32_t groups = 0;
  if (!r_.ReadLength(&groups)) return false;
  uint32_t locals_at = r_.Offset();
  uint64_t total = 0;
  struct Group {
    uint32_t n;
    ValType t;
  };
  std::vector<Group> decls;
  for (uint32_t i = 0; i < groups; ++i) {
    Group g;
    if (!r_.ReadU32(&g.n) || !r_.ReadValType(&g.t)) return false;
    total += g.n;
    decls.push_back(g);
  }
  if (total > limits_.max_locals) {
    return r_.Fail("too many locals (" + std::to_string(total) +
                       " declared, the limit is " +
                       std::to_string(limits_.max_locals) + ")",
                   locals_at);
  }
  f->locals.reserve(total);
  for (const Group& g : decls)
    f->locals.insert(f->locals.end(), g.n, g.t);

  CodeSink sink{&f->code, &f->br_targets, &f->v128_consts};
  if (!decode::DecodeInstrs(r_, sink, limits_)) return false;
  if (sink.uses_data_index) code_uses_data_ = true;
  if (r_.Offset() != start + size) {
    return r_.Fail("section size mismatch (function body size)",
                   std::min(r_.Offset(), start + size));
  }
  return true;
}

bool ModuleDecoder::Code() {
  uint32_t count = 0;
  if (!r_.ReadCount(&count, limits_.max_functions, "function body count")) {
    return false;
  }
  // Each body takes at least 3 bytes (size, local groups, end).
  m_.functions.reserve(
      std::min({size_t{count}, func_types_.size(), r_.Remaining() / 3}));
  for (uint32_t i = 0; i < count; ++i) {
    r_.SetItem("function", m_.num_imported_funcs + i);
    Function f;
    if (i < func_types_.size()) f.type_index = func_types_[i];
    if (!ReadFunctionBody(&f)) return false;
    m_.functions.push_back(std::move(f));
  }
  return true;
}

bool ModuleDecoder::ReadDataSegment(DataSegment* out) {
  uint32_t at = r_.Offset();
  uint32_t flags = 0;
  if (!r_.ReadU32(&flags)) return false;
  switch (flags) {
  case 0:
    out->mode = SegmentMode::Active;
    if (!ReadConstExpr(&out->offset)) return false;
    break;
  case 1: out->mode = SegmentMode::Passive; break;
  case 2:
    out->mode = SegmentMode::Active;
    if (!r_.ReadU32(&out->memory) || !ReadConstExpr(&out->offset)) {
      return false;
    }
    break;
  default: return r_.Fail("malformed data segment kind", at);
  }
  uint32_t n = 0;
  const uint8_t* bytes = nullptr;
  if (!r_.ReadLength(&n) || !r_.ReadBytes(n, &bytes)) return false;
  out->bytes.assign(bytes, bytes + n);
  return true;
}

bool ModuleDecoder::Datas() {
  uint32_t count = 0;
  if (!r_.ReadLength(&count)) return false;
  for (uint32_t i = 0; i < count; ++i) {
    r_.SetItem("segment", i);
    DataSegment seg;
    if (!ReadDataSegment(&seg)) return false;
    m_.datas.push_back(std::move(seg));
  }
  return true;
}

bool ModuleDecoder::FinalChecks() {
  const uint32_t end = static_cast<uint32_t>(size_);
  if (func_types_.size() != m_.functions.size()) {
    return r_.Fail("function and code section have inconsistent lengths (" +
                       std::to_string(func_types_.size()) + " functions, " +
                       std::to_string(m_.functions.size()) + " bodies)",
                   end);
  }
  if (m_.data_count && *m_.data_count != m_.datas.size()) {
    return r_.Fail("data count and data section have inconsistent lengths",
                   end);
  }
  if (!m_.data_count && code_uses_data_ && !m_.datas.empty()) {
    return r_.Fail("data count section required", end);
  }
  return true;
}

} // namespace

Result<Module> Decode(std::span<const uint8_t> bytes,
                      const DecodeLimits& limits) {
  ModuleDecoder decoder(bytes, limits);
  return decoder.Run();
}

} // namespace weft
