// Instantiation, in the spec's order: check imports, allocate functions,
// globals, tables and memories, evaluate element segments, apply active
// element then data segments one by one (an out-of-bounds segment traps and
// the writes of earlier ones stay), then run the start function.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "runtime/store_impl.h"

namespace weft {
namespace {

// Data below this size is copied at instantiation rather than mapped: a
// mapping costs a few microseconds of its own.
constexpr uint64_t kImageMinBytes = 64 * 1024;

// Limits subtyping: `actual` (the provided entity's current limits) must be
// within `declared` (what the importing module asks for).
bool LimitsMatch(const Limits& actual, const Limits& declared) {
  if (actual.min < declared.min) return false;
  if (declared.max) {
    if (!actual.max) return false;
    if (*actual.max > *declared.max) return false;
  }
  return true;
}

Error LinkError(const std::string& what, const Import& imp) {
  Error e;
  e.message = what;
  e.context = "import \"" + imp.module + "\" \"" + imp.name + "\"";
  return e;
}

// Evaluates a constant expression. Validation guarantees its shape.
Value EvalConst(const ConstExpr& expr, const InstanceImpl& inst) {
  // The usual shape, one instruction then End, without a stack.
  if (expr.code.size() == 2) {
    const Instr& in = expr.code[0];
    switch (in.op) {
    case Opcode::I32Const: return Value::I32(static_cast<uint32_t>(in.b));
    case Opcode::I64Const: return Value::I64(in.b);
    case Opcode::RefFunc:
      return Value::RefOf(ValType::FuncRef, FuncToRef(inst.funcs[in.a]));
    case Opcode::RefNull:
      return Value::RefOf(static_cast<ValType>(in.a), nullptr);
    case Opcode::GlobalGet: return inst.globals[in.a]->Get();
    default: break;
    }
  }
  std::vector<Value> stack;
  for (const Instr& in : expr.code) {
    switch (in.op) {
    case Opcode::I32Const:
      stack.push_back(Value::I32(static_cast<uint32_t>(in.b)));
      break;
    case Opcode::I64Const: stack.push_back(Value::I64(in.b)); break;
    case Opcode::F32Const:
      stack.push_back(Value::F32Bits(static_cast<uint32_t>(in.b)));
      break;
    case Opcode::F64Const: stack.push_back(Value::F64Bits(in.b)); break;
    case Opcode::V128Const:
      stack.push_back(Value::Vec(expr.v128_consts.at(in.a)));
      break;
    case Opcode::RefNull:
      stack.push_back(Value::RefOf(static_cast<ValType>(in.a), nullptr));
      break;
    case Opcode::RefFunc:
      stack.push_back(
          Value::RefOf(ValType::FuncRef, FuncToRef(inst.funcs[in.a])));
      break;
    case Opcode::GlobalGet: stack.push_back(inst.globals[in.a]->Get()); break;
    // Extended constant expressions.
    case Opcode::I32Add:
    case Opcode::I32Sub:
    case Opcode::I32Mul:
    case Opcode::I64Add:
    case Opcode::I64Sub:
    case Opcode::I64Mul: {
      Value b = stack.back();
      stack.pop_back();
      Value& a = stack.back();
      switch (in.op) {
      case Opcode::I32Add: a.i32 += b.i32; break;
      case Opcode::I32Sub: a.i32 -= b.i32; break;
      case Opcode::I32Mul: a.i32 *= b.i32; break;
      case Opcode::I64Add: a.i64 += b.i64; break;
      case Opcode::I64Sub: a.i64 -= b.i64; break;
      default: a.i64 *= b.i64; break;
      }
      break;
    }
    default: break; // End
    }
  }
  return stack.empty() ? Value() : stack.back();
}

// The offset of an active data segment, if it is a constant.
std::optional<uint64_t> ConstOffset(const ConstExpr& e) {
  if (e.code.size() != 2 || e.code[0].op != Opcode::I32Const)
    return std::nullopt;
  return static_cast<uint32_t>(e.code[0].b);
}

// Builds the module's memory image: its defined memory 0 with every active
// segment applied. Null when that is not equivalent to applying the segments
// at instantiation (see TierModule::image) or there is nothing to map.
std::unique_ptr<MemoryImage> BuildImage(const Module& m) {
  if (m.num_imported_memories != 0 || m.memories.empty()) return nullptr;
  const uint64_t bytes = m.memories[0].limits.min * kPageSize;
  uint64_t end = 0;
  for (const DataSegment& seg : m.datas) {
    if (seg.mode != SegmentMode::Active) continue;
    const auto offset = ConstOffset(seg.offset);
    if (seg.memory != 0 || !offset || *offset + seg.bytes.size() > bytes)
      return nullptr;
    end = std::max<uint64_t>(end, *offset + seg.bytes.size());
  }
  // Small images are not worth a mapping of their own.
  if (end < kImageMinBytes) return nullptr;
  const auto host_page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  auto image = std::make_unique<MemoryImage>();
  image->size = (end + host_page - 1) / host_page * host_page;
  image->fd = memfd_create("weft-memory-image", MFD_CLOEXEC);
  if (image->fd < 0 ||
      ftruncate(image->fd, static_cast<off_t>(image->size)) != 0)
    return nullptr;
  for (const DataSegment& seg : m.datas) {
    if (seg.mode != SegmentMode::Active || seg.bytes.empty()) continue;
    const uint64_t offset = *ConstOffset(seg.offset);
    size_t done = 0;
    while (done < seg.bytes.size()) {
      const ssize_t n =
          pwrite(image->fd, seg.bytes.data() + done, seg.bytes.size() - done,
                 static_cast<off_t>(offset + done));
      if (n <= 0) return nullptr;
      done += static_cast<size_t>(n);
    }
  }
  return image;
}

const MemoryImage* ModuleImage(const TierModule& tier) {
  std::call_once(tier.image_once,
                 [&] { tier.image = BuildImage(tier.module()); });
  return tier.image.get();
}

} // namespace

std::optional<Extern> InstanceImpl::GetExport(std::string_view name) const {
  auto it = exports.find(name);
  if (it == exports.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, Extern>> InstanceImpl::Exports() const {
  return {exports.begin(), exports.end()};
}

InstantiateResult
Store::Instantiate(std::shared_ptr<const CompiledModule> module,
                   std::span<const Extern> imports) {
  InstantiateResult result;
  Impl& s = *impl_;
  const auto* tier = static_cast<const TierModule*>(module.get());
  const Module& m = module->module();

  // 1. Imports: kinds and types.
  if (imports.size() != m.imports.size()) {
    Error e;
    e.message = "unknown import";
    e.context = "expected " + std::to_string(m.imports.size()) +
                " imports, got " + std::to_string(imports.size());
    result.link_error = e;
    return result;
  }
  for (size_t i = 0; i < imports.size(); ++i) {
    const Import& imp = m.imports[i];
    const Extern& ext = imports[i];
    if (ext.ptr == nullptr) {
      result.link_error = LinkError("unknown import", imp);
      return result;
    }
    bool ok = ext.kind == imp.kind;
    if (ok) {
      switch (imp.kind) {
      case ExternKind::Func:
        ok =
            AsImpl(ext.func())->type_id == s.InternType(m.types[imp.func_type]);
        break;
      case ExternKind::Table: {
        TableType t = ext.table()->type();
        ok =
            t.elem == imp.table.elem && LimitsMatch(t.limits, imp.table.limits);
        break;
      }
      case ExternKind::Memory:
        ok = LimitsMatch(ext.memory()->type().limits, imp.memory.limits);
        break;
      case ExternKind::Global: {
        GlobalType g = ext.global()->type();
        ok = g.type == imp.global.type && g.mut == imp.global.mut;
        break;
      }
      }
    }
    if (!ok) {
      result.link_error = LinkError("incompatible import type", imp);
      return result;
    }
  }

  // 2. Allocation.
  bool image_used = false;
  InstanceImpl& inst = *s.NewInstance();
  inst.module = module;
  inst.tier = tier;
  inst.type_ids.reserve(m.types.size());
  for (const FuncType& t : m.types)
    inst.type_ids.push_back(s.InternType(t));
  for (size_t i = 0; i < imports.size(); ++i) {
    const Extern& ext = imports[i];
    switch (ext.kind) {
    case ExternKind::Func: inst.funcs.push_back(AsImpl(ext.func())); break;
    case ExternKind::Table:
      inst.tables.push_back(static_cast<TableImpl*>(ext.table()));
      break;
    case ExternKind::Memory:
      inst.memories.push_back(static_cast<MemoryImpl*>(ext.memory()));
      break;
    case ExternKind::Global:
      inst.globals.push_back(static_cast<GlobalImpl*>(ext.global()));
      break;
    }
  }
  for (uint32_t i = 0; i < m.functions.size(); ++i) {
    FuncInstImpl* f = s.NewFunc();
    const FuncType& type = m.types[m.functions[i].type_index];
    f->type_ = type;
    f->type_id = inst.type_ids[m.functions[i].type_index];
    f->instance = &inst;
    f->tier = tier;
    f->tier_kind = tier->kind;
    f->code = tier->FunctionCode(i);
    f->defined_index = i;
    f->param_slots = SlotCount(type.params);
    f->result_slots = SlotCount(type.results);
    inst.funcs.push_back(f);
  }
  for (const Global& g : m.globals) {
    GlobalImpl& gi = s.globals.emplace_back();
    gi.type_ = g.type;
    gi.Set(EvalConst(g.init, inst));
    inst.globals.push_back(&gi);
  }
  for (const TableType& t : m.tables) {
    TableImpl& ti = s.tables.emplace_back();
    ti.elem_type = t.elem;
    ti.max = t.limits.max;
    ti.elems.assign(t.limits.min, nullptr);
    inst.tables.push_back(&ti);
  }
  const std::optional<uint64_t> cap = s.engine.config().max_memory_bytes;
  for (const MemoryType& t : m.memories) {
    if (cap && t.limits.min > *cap / kPageSize) {
      Error e;
      e.message = "memory " + std::to_string(inst.memories.size()) +
                  ": initial size of " +
                  std::to_string(t.limits.min * kPageSize) +
                  " bytes exceeds the memory limit of " +
                  std::to_string(*cap / kPageSize * kPageSize) + " bytes";
      result.link_error = e;
      return result;
    }
    const MemoryImage* image =
        inst.memories.empty() ? ModuleImage(*tier) : nullptr;
    auto mem = MemoryImpl::Create(t, cap, image, s.memory_pool);
    if (mem && image) image_used = true;
    if (!mem) {
      Error e;
      e.message = "cannot allocate memory";
      result.link_error = e;
      return result;
    }
    inst.memories.push_back(mem.get());
    s.memories.push_back(std::move(mem));
  }
  inst.mem0 = inst.memories.empty() ? EmptyMemory() : inst.memories[0];
  inst.image_used = image_used;

  // Segments: element expressions are evaluated now; data bytes are borrowed
  // from the module, which the instance keeps alive.
  inst.elems.resize(m.elems.size());
  for (size_t i = 0; i < m.elems.size(); ++i) {
    auto& refs = inst.elems[i].refs;
    refs.reserve(m.elems[i].init.size());
    for (const ConstExpr& e : m.elems[i].init)
      refs.push_back(EvalConst(e, inst).ref);
  }
  inst.datas.resize(m.datas.size());
  for (size_t i = 0; i < m.datas.size(); ++i) {
    inst.datas[i].bytes = m.datas[i].bytes.data();
    inst.datas[i].size = m.datas[i].bytes.size();
  }
  for (const Export& ex : m.exports) {
    Extern e;
    e.kind = ex.kind;
    switch (ex.kind) {
    case ExternKind::Func:
      e.ptr = static_cast<FuncInst*>(inst.funcs[ex.index]);
      break;
    case ExternKind::Table:
      e.ptr = static_cast<TableInst*>(inst.tables[ex.index]);
      break;
    case ExternKind::Memory:
      e.ptr = static_cast<MemoryInst*>(inst.memories[ex.index]);
      break;
    case ExternKind::Global:
      e.ptr = static_cast<GlobalInst*>(inst.globals[ex.index]);
      break;
    }
    inst.exports.emplace(ex.name, e);
  }

  // 3. Active and declarative element segments, in order.
  for (size_t i = 0; i < m.elems.size(); ++i) {
    const ElemSegment& seg = m.elems[i];
    if (seg.mode == SegmentMode::Passive) continue;
    if (seg.mode == SegmentMode::Active) {
      const uint64_t offset = EvalConst(seg.offset, inst).i32;
      TableImpl* t = inst.tables[seg.table];
      const auto& refs = inst.elems[i].refs;
      if (offset + refs.size() > t->elems.size()) {
        result.trap = Trap::Of(TrapKind::TableOutOfBounds);
        return result;
      }
      std::copy(refs.begin(), refs.end(), t->elems.begin() + offset);
    }
    inst.elems[i].refs.clear();
    inst.elems[i].refs.shrink_to_fit();
  }
  // 4. Active data segments, in order (already in place when the memory
  // started from the module's image).
  for (size_t i = 0; i < m.datas.size(); ++i) {
    const DataSegment& seg = m.datas[i];
    if (seg.mode != SegmentMode::Active) continue;
    if (image_used) {
      inst.datas[i] = DataInst{};
      continue;
    }
    const uint64_t offset = EvalConst(seg.offset, inst).i32;
    MemoryImpl* mem = inst.memories[seg.memory];
    if (offset + seg.bytes.size() > mem->size) {
      result.trap = Trap::Of(TrapKind::MemoryOutOfBounds);
      return result;
    }
    if (!seg.bytes.empty())
      std::memcpy(mem->base + offset, seg.bytes.data(), seg.bytes.size());
    inst.datas[i] = DataInst{};
  }
  // 5. Start.
  if (m.start) {
    CallResult r = Call(inst.funcs[*m.start], {});
    if (r.trap) {
      result.trap = r.trap;
      return result;
    }
  }
  result.instance = &inst;
  return result;
}

bool Store::ResetInstance(Instance* instance) {
  if (instance == nullptr) return false;
  auto& inst = *static_cast<InstanceImpl*>(instance);
  const Module& m = inst.module->module();
  if (m.num_imported_tables || m.num_imported_memories ||
      m.num_imported_globals)
    return false;
  // The same steps as instantiation, on the entities it allocated:
  // memories (size and bytes), globals in order, tables, then element and
  // data segments in order. Each step succeeded at instantiation with the
  // same sizes and offsets, so none can fail here but a memory reset.
  for (size_t i = 0; i < m.memories.size(); ++i)
    if (!inst.memories[i]->Reset(m.memories[i].limits.min * kPageSize))
      return false;
  for (size_t i = 0; i < m.globals.size(); ++i)
    inst.globals[i]->Set(EvalConst(m.globals[i].init, inst));
  for (size_t i = 0; i < m.tables.size(); ++i)
    inst.tables[i]->elems.assign(m.tables[i].limits.min, nullptr);
  for (size_t i = 0; i < m.elems.size(); ++i) {
    const ElemSegment& seg = m.elems[i];
    auto& refs = inst.elems[i].refs;
    refs.clear();
    if (seg.mode == SegmentMode::Passive) {
      for (const ConstExpr& e : seg.init)
        refs.push_back(EvalConst(e, inst).ref);
      continue;
    }
    if (seg.mode != SegmentMode::Active) continue; // declarative: dropped
    const uint64_t offset = EvalConst(seg.offset, inst).i32;
    TableImpl* t = inst.tables[seg.table];
    if (offset + seg.init.size() > t->elems.size()) return false;
    for (size_t k = 0; k < seg.init.size(); ++k)
      t->elems[offset + k] = EvalConst(seg.init[k], inst).ref;
  }
  for (size_t i = 0; i < m.datas.size(); ++i) {
    const DataSegment& seg = m.datas[i];
    if (seg.mode == SegmentMode::Passive) {
      inst.datas[i].bytes = seg.bytes.data();
      inst.datas[i].size = seg.bytes.size();
      continue;
    }
    inst.datas[i] = DataInst{};
    if (inst.image_used) continue; // the memory reset brought the image back
    const uint64_t offset = EvalConst(seg.offset, inst).i32;
    MemoryImpl* mem = inst.memories[seg.memory];
    if (offset + seg.bytes.size() > mem->size) return false;
    if (!seg.bytes.empty())
      std::memcpy(mem->base + offset, seg.bytes.data(), seg.bytes.size());
  }
  return true;
}

} // namespace weft
