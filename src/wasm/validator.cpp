// Module-level validation: index spaces, limits, constant expressions,
// segments, start function and exports. Function bodies are checked by
// func_validator.cpp. The order of the checks follows the spec's reference
// interpreter so the first error reported is the one the spec tests expect.
#include "wasm/validator.h"

#include <string_view>
#include <unordered_set>

#include "wasm/func_validator.h"

namespace weft {
namespace {

using validation::ModuleContext;
using validation::UnknownIndex;

Error MakeError(std::string message, std::string context,
                uint64_t offset = kNoOffset) {
  Error e;
  e.message = std::move(message);
  e.offset = offset;
  e.context = std::move(context);
  return e;
}

std::string Numbered(const char* what, size_t index) {
  return std::string(what) + " " + std::to_string(index);
}

Status CheckLimits(const Limits& limits, uint64_t range, const char* too_large,
                   const std::string& context) {
  if (limits.min > range) return MakeError(too_large, context);
  if (limits.max) {
    if (*limits.max > range) return MakeError(too_large, context);
    if (limits.min > *limits.max)
      return MakeError("size minimum must not be greater than maximum",
                       context);
  }
  return {};
}

Status CheckTableType(const TableType& t, const std::string& context) {
  if (!IsRefType(t.elem))
    return MakeError("table element type must be a reference type", context);
  return CheckLimits(t.limits, 0xFFFFFFFFull,
                     "table size must be at most 2^32-1", context);
}

Status CheckMemoryType(const MemoryType& t, const std::string& context) {
  return CheckLimits(t.limits, kMaxPages,
                     "memory size must be at most 65536 pages (4GiB)", context);
}

// A constant expression: only constants, ref.null, ref.func and global.get
// of an imported immutable global, and it must produce exactly `expected`.
Status CheckConstExpr(const ModuleContext& ctx, const ConstExpr& expr,
                      ValType expected, const std::string& context) {
  std::vector<ValType> stack;
  for (size_t i = 0; i < expr.code.size(); ++i) {
    const Instr& in = expr.code[i];
    auto fail = [&](std::string msg) {
      return MakeError(std::move(msg), context, in.offset);
    };
    switch (in.op) {
    case Opcode::I32Const: stack.push_back(ValType::I32); break;
    case Opcode::I64Const: stack.push_back(ValType::I64); break;
    case Opcode::F32Const: stack.push_back(ValType::F32); break;
    case Opcode::F64Const: stack.push_back(ValType::F64); break;
    case Opcode::V128Const: stack.push_back(ValType::V128); break;
    case Opcode::RefNull:
      if (!IsRefType(static_cast<ValType>(in.a)))
        return fail("malformed reference type");
      stack.push_back(static_cast<ValType>(in.a));
      break;
    case Opcode::RefFunc:
      if (in.a >= ctx.func_types.size())
        return fail(UnknownIndex("function", in.a));
      stack.push_back(ValType::FuncRef);
      break;
    case Opcode::GlobalGet:
      // Only imported globals are visible to constant expressions in 2.0.
      if (in.a >= ctx.num_imported_globals)
        return fail(UnknownIndex("global", in.a));
      if (ctx.globals[in.a].mut)
        return fail("constant expression required: global.get of a mutable "
                    "global");
      stack.push_back(ctx.globals[in.a].type);
      break;
    case Opcode::End:
      if (i + 1 != expr.code.size())
        return fail("constant expression required: code after end");
      break;
    default:
      return fail(std::string("constant expression required: ") +
                  OpcodeName(in.op) + " is not constant");
    }
  }
  if (stack.size() != 1 || stack[0] != expected) {
    std::string got;
    for (ValType t : stack)
      got += std::string(got.empty() ? "" : " ") + ValTypeName(t);
    return MakeError(std::string("type mismatch: constant expression must "
                                 "produce ") +
                         ValTypeName(expected) + ", got [" + got + "]",
                     context,
                     expr.code.empty() ? kNoOffset : expr.code.back().offset);
  }
  return {};
}

// C.refs: the functions named by ref.func outside of function bodies (in
// globals and segments) or exported; only these may be ref.func'ed in code.
void CollectDeclaredFuncs(const Module& m, std::vector<bool>* declared) {
  auto scan = [&](const ConstExpr& e) {
    for (const Instr& in : e.code)
      if (in.op == Opcode::RefFunc && in.a < declared->size())
        (*declared)[in.a] = true;
  };
  for (const Global& g : m.globals)
    scan(g.init);
  for (const ElemSegment& seg : m.elems) {
    scan(seg.offset);
    for (const ConstExpr& e : seg.init)
      scan(e);
  }
  for (const DataSegment& seg : m.datas)
    scan(seg.offset);
  for (const Export& ex : m.exports)
    if (ex.kind == ExternKind::Func && ex.index < declared->size())
      (*declared)[ex.index] = true;
}

Status CheckImports(const Module& m) {
  for (size_t i = 0; i < m.imports.size(); ++i) {
    const Import& imp = m.imports[i];
    std::string context = Numbered("import", i);
    switch (imp.kind) {
    case ExternKind::Func:
      if (imp.func_type >= m.types.size())
        return MakeError(UnknownIndex("type", imp.func_type), context);
      break;
    case ExternKind::Table: WEFT_TRY(CheckTableType(imp.table, context)); break;
    case ExternKind::Memory:
      WEFT_TRY(CheckMemoryType(imp.memory, context));
      break;
    case ExternKind::Global: break;
    }
  }
  return {};
}

// Builds the flattened context; the imports' and functions' type indices
// must already be known to be in range.
ModuleContext BuildContext(const Module& m) {
  ModuleContext ctx;
  ctx.module = &m;
  for (const Import& imp : m.imports) {
    switch (imp.kind) {
    case ExternKind::Func: ctx.func_types.push_back(imp.func_type); break;
    case ExternKind::Table: ctx.tables.push_back(imp.table); break;
    case ExternKind::Memory: ++ctx.num_memories; break;
    case ExternKind::Global: ctx.globals.push_back(imp.global); break;
    }
  }
  ctx.num_imported_globals = static_cast<uint32_t>(ctx.globals.size());
  for (const Function& f : m.functions)
    ctx.func_types.push_back(f.type_index);
  for (const TableType& t : m.tables)
    ctx.tables.push_back(t);
  ctx.num_memories += static_cast<uint32_t>(m.memories.size());
  for (const Global& g : m.globals)
    ctx.globals.push_back(g.type);
  ctx.declared_funcs.assign(ctx.func_types.size(), false);
  CollectDeclaredFuncs(m, &ctx.declared_funcs);
  return ctx;
}

Status CheckElems(const ModuleContext& ctx) {
  const Module& m = *ctx.module;
  for (size_t i = 0; i < m.elems.size(); ++i) {
    const ElemSegment& seg = m.elems[i];
    std::string context = Numbered("elem segment", i);
    if (!IsRefType(seg.type))
      return MakeError("element segment type must be a reference type",
                       context);
    for (const ConstExpr& e : seg.init)
      WEFT_TRY(CheckConstExpr(ctx, e, seg.type, context));
    if (seg.mode != SegmentMode::Active) continue;
    if (seg.table >= ctx.tables.size())
      return MakeError(UnknownIndex("table", seg.table), context);
    WEFT_TRY(CheckConstExpr(ctx, seg.offset, ValType::I32, context));
    if (ctx.tables[seg.table].elem != seg.type)
      return MakeError(std::string("type mismatch: ") + ValTypeName(seg.type) +
                           " segment for a " +
                           ValTypeName(ctx.tables[seg.table].elem) + " table",
                       context);
  }
  return {};
}

Status CheckDatas(const ModuleContext& ctx) {
  const Module& m = *ctx.module;
  for (size_t i = 0; i < m.datas.size(); ++i) {
    const DataSegment& seg = m.datas[i];
    if (seg.mode != SegmentMode::Active) continue;
    std::string context = Numbered("data segment", i);
    if (seg.memory >= ctx.num_memories)
      return MakeError(UnknownIndex("memory", seg.memory), context);
    WEFT_TRY(CheckConstExpr(ctx, seg.offset, ValType::I32, context));
  }
  return {};
}

Status CheckExports(const ModuleContext& ctx) {
  const Module& m = *ctx.module;
  std::unordered_set<std::string_view> names;
  for (size_t i = 0; i < m.exports.size(); ++i) {
    const Export& ex = m.exports[i];
    std::string context = "export \"" + ex.name + "\"";
    size_t count = 0;
    const char* what = "";
    switch (ex.kind) {
    case ExternKind::Func:
      count = ctx.func_types.size();
      what = "function";
      break;
    case ExternKind::Table:
      count = ctx.tables.size();
      what = "table";
      break;
    case ExternKind::Memory:
      count = ctx.num_memories;
      what = "memory";
      break;
    case ExternKind::Global:
      count = ctx.globals.size();
      what = "global";
      break;
    }
    if (ex.index >= count)
      return MakeError(UnknownIndex(what, ex.index), context);
    if (!names.insert(ex.name).second)
      return MakeError("duplicate export name \"" + ex.name + "\"", context);
  }
  return {};
}

} // namespace

Status Validate(const Module& m) {
  WEFT_TRY(CheckImports(m));
  for (size_t i = 0; i < m.functions.size(); ++i) {
    uint32_t type_index = m.functions[i].type_index;
    if (type_index >= m.types.size())
      return MakeError(UnknownIndex("type", type_index),
                       Numbered("function", m.num_imported_funcs + i));
  }
  const ModuleContext ctx = BuildContext(m);

  for (size_t i = 0; i < m.globals.size(); ++i)
    WEFT_TRY(CheckConstExpr(ctx, m.globals[i].init, m.globals[i].type.type,
                            Numbered("global", m.num_imported_globals + i)));
  for (size_t i = 0; i < m.tables.size(); ++i)
    WEFT_TRY(CheckTableType(m.tables[i],
                            Numbered("table", m.num_imported_tables + i)));
  for (size_t i = 0; i < m.memories.size(); ++i)
    WEFT_TRY(CheckMemoryType(m.memories[i],
                             Numbered("memory", m.num_imported_memories + i)));
  WEFT_TRY(CheckElems(ctx));
  WEFT_TRY(CheckDatas(ctx));

  for (size_t i = 0; i < m.functions.size(); ++i)
    WEFT_TRY(validation::ValidateFunction(
        ctx, static_cast<uint32_t>(m.num_imported_funcs + i), m.functions[i]));

  if (m.start) {
    if (*m.start >= ctx.func_types.size())
      return MakeError(UnknownIndex("function", *m.start), "start section");
    const FuncType& ft = ctx.FuncTypeOf(*m.start);
    if (!ft.params.empty() || !ft.results.empty())
      return MakeError("start function must have type [] -> [], not " +
                           ft.ToString(),
                       "start section");
  }
  WEFT_TRY(CheckExports(ctx));
  if (ctx.num_memories > 1)
    return MakeError("multiple memories are not allowed in WebAssembly 2.0",
                     "memory section");
  return {};
}

} // namespace weft
