// Sizes, alignments and flat types (CanonicalABI.md: alignment, elem_size,
// flatten_type), computed once per arena, and the core function types of
// `canon lift` / `canon lower` (flatten_functype).
#include <algorithm>

#include "component/abi_internal.h"

namespace weft::component {

using abi::AlignTo;

namespace {

constexpr uint8_t kFlatSaturated = kMaxFlatParams + 1;
constexpr uint64_t kTooBig = 0xffffffffu;

weft::ValType Join(weft::ValType a, weft::ValType b) {
  if (a == b) return a;
  if ((a == weft::ValType::I32 && b == weft::ValType::F32) ||
      (a == weft::ValType::F32 && b == weft::ValType::I32))
    return weft::ValType::I32;
  return weft::ValType::I64;
}

// Appends `src`'s flat types to `dst` (saturating at 17).
void AppendFlat(AbiLayout& dst, const AbiLayout& src) {
  const uint32_t total = dst.flat_count + src.flat_count;
  if (total > kMaxFlatParams) {
    dst.flat_count = kFlatSaturated;
    return;
  }
  std::copy_n(src.flat, src.flat_count, dst.flat + dst.flat_count);
  dst.flat_count = static_cast<uint8_t>(total);
}

void SetFlat(AbiLayout& l, std::initializer_list<weft::ValType> ts) {
  l.flat_count = 0;
  for (weft::ValType t : ts)
    l.flat[l.flat_count++] = t;
}

uint32_t SatAdd(uint64_t a, uint64_t b) {
  return static_cast<uint32_t>(std::min(a + b, uint64_t{0xffffffffu}));
}

class Builder {
public:
  Builder(const TypeArena& arena, std::vector<AbiLayout>& out)
      : a_(arena), out_(out) {}

  AbiLayout Compute(TypeId id) {
    AbiLayout l;
    const ValType& t = a_.vals[id];
    id_ = id;
    if (abi::IsScalar(t.kind)) {
      const abi::ScalarInfo& s = abi::Scalar(t.kind);
      l.size = l.align = s.size;
      SetFlat(l, {s.flat});
      l.depth = 1;
      return l;
    }
    switch (t.kind) {
    case ValKind::String:
      l.size = 8;
      l.align = 4;
      SetFlat(l, {weft::ValType::I32, weft::ValType::I32});
      l.depth = 1;
      return l;
    case ValKind::ErrorContext:
    case ValKind::Own:
    case ValKind::Borrow:
    case ValKind::Stream:
    case ValKind::Future:
    case ValKind::Flags: {
      l.size = l.align = 4;
      if (t.kind == ValKind::Flags) {
        const size_t n = t.labels.size();
        if (n == 0 || n > 32) return Invalid();
        l.size = l.align = n <= 8 ? 1 : n <= 16 ? 2 : 4;
      }
      SetFlat(l, {weft::ValType::I32});
      l.depth = 1;
      return l;
    }
    case ValKind::List: {
      const AbiLayout* e = Child(t.elem);
      if (!e) return Invalid();
      l.depth = static_cast<uint8_t>(e->depth + 1);
      if (t.fixed_length) {
        const uint64_t n = *t.fixed_length;
        const uint64_t size = n * e->size;
        if (e->size == kTooBig || size >= kTooBig) return Invalid();
        l.size = static_cast<uint32_t>(size);
        l.align = e->align;
        l.values = SatAdd(1, n * e->values);
        for (uint64_t i = 0; i < n && l.flat_count <= kMaxFlatParams; ++i)
          AppendFlat(l, *e);
      } else {
        l.size = 8;
        l.align = 4;
        SetFlat(l, {weft::ValType::I32, weft::ValType::I32});
      }
      return Checked(l);
    }
    case ValKind::Record:
    case ValKind::Tuple: {
      const uint32_t n = abi::MemberCount(t);
      if (n == 0) return Invalid();
      uint64_t off = 0;
      for (uint32_t i = 0; i < n; ++i) {
        const AbiLayout* m = Child(abi::MemberType(t, i));
        if (!m) return Invalid();
        off = AlignTo(off, m->align) + m->size;
        l.align = std::max(l.align, m->align);
        l.depth = std::max<uint8_t>(l.depth, m->depth);
        l.values = SatAdd(l.values, m->values);
        AppendFlat(l, *m);
      }
      off = AlignTo(off, l.align);
      if (off >= kTooBig) return Invalid();
      l.size = static_cast<uint32_t>(off);
      l.depth = static_cast<uint8_t>(l.depth + 1);
      return Checked(l);
    }
    case ValKind::Variant:
    case ValKind::Enum:
    case ValKind::Option:
    case ValKind::Result: {
      const uint32_t n = abi::CaseCount(t);
      if (n == 0) return Invalid();
      l.disc_size = n <= 256 ? 1 : n <= 65536 ? 2 : 4;
      uint8_t case_align = 1;
      uint64_t case_size = 0;
      uint32_t case_values = 0;
      AbiLayout payload; // the joined flat types of the payloads
      for (uint32_t i = 0; i < n; ++i) {
        const std::optional<TypeId> c = abi::CasePayload(t, i);
        if (!c) continue;
        const AbiLayout* p = Child(*c);
        if (!p) return Invalid();
        case_align = std::max(case_align, p->align);
        case_size = std::max<uint64_t>(case_size, p->size);
        case_values = std::max(case_values, p->values);
        l.depth = std::max<uint8_t>(l.depth, p->depth);
        if (payload.flat_count > kMaxFlatParams ||
            p->flat_count > kMaxFlatParams) {
          payload.flat_count = kFlatSaturated;
          continue;
        }
        for (uint8_t k = 0; k < p->flat_count; ++k) {
          if (k < payload.flat_count)
            payload.flat[k] = Join(payload.flat[k], p->flat[k]);
          else
            payload.flat[k] = p->flat[k];
        }
        payload.flat_count = std::max(payload.flat_count, p->flat_count);
      }
      l.align = std::max(l.disc_size, case_align);
      l.payload = static_cast<uint32_t>(AlignTo(l.disc_size, case_align));
      const uint64_t size = AlignTo(l.payload + case_size, l.align);
      if (size >= kTooBig) return Invalid();
      l.size = static_cast<uint32_t>(size);
      l.values = SatAdd(1, case_values);
      SetFlat(l, {weft::ValType::I32});
      AppendFlat(l, payload);
      l.depth = static_cast<uint8_t>(l.depth + 1);
      return Checked(l);
    }
    default: return Invalid();
    }
  }

private:
  // A child's layout: only smaller ids (types are built bottom-up) that
  // are themselves valid.
  const AbiLayout* Child(TypeId c) const {
    if (c >= id_ || !out_[c].valid) return nullptr;
    return &out_[c];
  }
  static AbiLayout Invalid() {
    AbiLayout l;
    l.valid = false;
    l.size = static_cast<uint32_t>(kTooBig);
    l.flat_count = kFlatSaturated;
    return l;
  }
  static AbiLayout Checked(AbiLayout l) {
    if (l.depth > kMaxTypeDepth) return Invalid();
    return l;
  }

  const TypeArena& a_;
  std::vector<AbiLayout>& out_;
  TypeId id_ = 0;
};

// The flat types of a list of types, saturating at 17.
AbiLayout FlattenAll(const AbiLayouts& layouts, const FuncType& f,
                     bool params) {
  AbiLayout all;
  if (params) {
    for (const Field& p : f.params)
      AppendFlat(all, p.type < layouts.size() ? layouts[p.type] : AbiLayout{});
  } else {
    for (TypeId r : f.results)
      AppendFlat(all, r < layouts.size() ? layouts[r] : AbiLayout{});
  }
  return all;
}

} // namespace

AbiLayouts::AbiLayouts(const TypeArena& arena) : layouts_(arena.vals.size()) {
  Builder b(arena, layouts_);
  for (TypeId id = 0; id < layouts_.size(); ++id)
    layouts_[id] = b.Compute(id);
}

weft::FuncType CoreFuncType(const AbiLayouts& layouts, const FuncType& f,
                            bool lower) {
  weft::FuncType core;
  const AbiLayout params = FlattenAll(layouts, f, true);
  const AbiLayout results = FlattenAll(layouts, f, false);
  if (params.flat_count > kMaxFlatParams)
    core.params = {weft::ValType::I32};
  else
    core.params.assign(params.flat, params.flat + params.flat_count);
  if (results.flat_count > kMaxFlatResults) {
    if (lower)
      core.params.push_back(weft::ValType::I32);
    else
      core.results = {weft::ValType::I32};
  } else {
    core.results.assign(results.flat, results.flat + results.flat_count);
  }
  return core;
}

weft::FuncType CoreFuncType(const TypeArena& types, const FuncType& f,
                            bool lower) {
  return CoreFuncType(AbiLayouts(types), f, lower);
}

} // namespace weft::component
