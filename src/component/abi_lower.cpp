// Lowering: component values into a guest's flat core values (lower_flat)
// and into its memory (store), strings transcoded with the spec's
// allocation sequence through realloc. Values come from the host or from
// another guest's lift; their shape is checked against the type (a host bug
// traps the call, it never reads out of bounds).
#include "component/abi_internal.h"

namespace weft::component::abi {

namespace {

constexpr uint32_t kF32CanonicalNan = 0x7fc00000u;
constexpr uint64_t kF64CanonicalNan = 0x7ff8000000000000u;
constexpr uint32_t kUtf16Tag = 1u << 31;

bool KindMismatch(Cx& cx, const Val& v, TypeId t) {
  return cx.Fail("a " + std::string(ValKindName(v.kind)) + " value where a " +
                 cx.TypeName(t) + " is expected");
}

// The value's bits: integers sign- or zero-extended from their width
// (whatever the high bits of Val::u held), floats with NaN canonicalised
// (the spec's deterministic profile), chars checked.
bool ScalarBits(Cx& cx, ValKind k, const Val& v, TypeId t, uint64_t* bits) {
  if (v.kind != k) return KindMismatch(cx, v, t);
  uint64_t b = v.u;
  switch (k) {
  case ValKind::Bool: b = b != 0; break;
  case ValKind::F32:
    b &= 0xffffffffu;
    if ((b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0)
      b = kF32CanonicalNan;
    break;
  case ValKind::F64:
    if ((b & 0x7ff0000000000000u) == 0x7ff0000000000000u &&
        (b & 0x000fffffffffffffu) != 0)
      b = kF64CanonicalNan;
    break;
  case ValKind::Char:
    if (b >= 0x110000 || (b >= 0xd800 && b <= 0xdfff))
      return cx.Fail("char " + std::to_string(b) +
                     " is not a Unicode scalar value");
    break;
  default: {
    const ScalarInfo& s = Scalar(k);
    const unsigned width = s.size * 8u;
    if (width < 64) {
      b &= (uint64_t{1} << width) - 1;
      if (s.is_signed && (b >> (width - 1)) != 0) b |= ~uint64_t{0} << width;
    }
  }
  }
  *bits = b;
  return true;
}

// Decodes one code point of well-formed UTF-8 at s[*i]; false if it is not.
bool NextCodePoint(const std::string& s, size_t* i, uint32_t* cp) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  const uint8_t c = p[*i];
  if (c < 0x80) {
    *cp = c;
    ++*i;
    return true;
  }
  size_t len;
  uint32_t v;
  if ((c & 0xe0) == 0xc0)
    len = 2, v = c & 0x1f;
  else if ((c & 0xf0) == 0xe0)
    len = 3, v = c & 0x0f;
  else if ((c & 0xf8) == 0xf0)
    len = 4, v = c & 0x07;
  else
    return false;
  if (*i + len > n) return false;
  for (size_t k = 1; k < len; ++k) {
    if ((p[*i + k] & 0xc0) != 0x80) return false;
    v = (v << 6) | (p[*i + k] & 0x3f);
  }
  if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) ||
      (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
      (v >= 0xd800 && v <= 0xdfff))
    return false;
  *cp = v;
  *i += len;
  return true;
}

bool BadUtf8(Cx& cx) { return cx.Fail("string to pass is not valid UTF-8"); }

// Writes s[from..] as UTF-16LE at ptr + 2*units; returns the total units.
bool EncodeUtf16(Cx& cx, const std::string& s, size_t from, uint32_t ptr,
                 uint64_t* units) {
  uint64_t u = *units;
  for (size_t i = from; i < s.size();) {
    uint32_t cp;
    if (!NextCodePoint(s, &i, &cp)) return BadUtf8(cx);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      cx.StoreBits(ptr + 2 * u++, 0xd800 + (cp >> 10), 2);
      cx.StoreBits(ptr + 2 * u++, 0xdc00 + (cp & 0x3ff), 2);
    } else {
      cx.StoreBits(ptr + 2 * u++, cp, 2);
    }
  }
  *units = u;
  return true;
}

// store_string_into_range for a UTF-8 source (what a Val holds), into
// the site's encoding: (ptr, tagged code units).
bool LowerString(Cx& cx, const std::string& s, uint32_t* ptr_out,
                 uint32_t* units_out) {
  if (s.size() > kMaxStringBytes)
    return cx.Fail("string of " + std::to_string(s.size()) +
                   " bytes is longer than the limit of " +
                   std::to_string(kMaxStringBytes));
  const auto n = static_cast<uint32_t>(s.size());
  uint32_t ptr = 0;
  switch (cx.opts.encoding) {
  case StringEncoding::Utf8:
    if (!cx.Allocate(1, n, &ptr)) return false;
    if (n) std::memcpy(cx.mem + ptr, s.data(), n);
    *ptr_out = ptr;
    *units_out = n;
    return true;
  case StringEncoding::Utf16: { // store_utf8_to_utf16
    const uint32_t worst = 2 * n;
    if (!cx.Allocate(2, worst, &ptr)) return false;
    uint64_t units = 0;
    if (!EncodeUtf16(cx, s, 0, ptr, &units)) return false;
    if (2 * units < worst &&
        !cx.Realloc(ptr, worst, 2, static_cast<uint32_t>(2 * units), &ptr))
      return false;
    *ptr_out = ptr;
    *units_out = static_cast<uint32_t>(units);
    return true;
  }
  case StringEncoding::Latin1Utf16: { // store_string_to_latin1_or_utf16
    if (!cx.Allocate(2, n, &ptr)) return false;
    uint32_t latin1 = 0;
    for (size_t i = 0; i < s.size();) {
      const size_t at = i;
      uint32_t cp;
      if (!NextCodePoint(s, &i, &cp)) return BadUtf8(cx);
      if (cp < 0x100) {
        cx.mem[ptr + latin1++] = static_cast<uint8_t>(cp);
        continue;
      }
      // Not Latin-1: inflate what was written to UTF-16 and go on so.
      const uint32_t worst = 2 * n;
      if (!cx.Realloc(ptr, n, 2, worst, &ptr)) return false;
      for (uint32_t j = latin1; j-- > 0;)
        cx.StoreBits(ptr + 2 * j, cx.mem[ptr + j], 2);
      uint64_t units = latin1;
      if (!EncodeUtf16(cx, s, at, ptr, &units)) return false;
      if (2 * units < worst &&
          !cx.Realloc(ptr, worst, 2, static_cast<uint32_t>(2 * units), &ptr))
        return false;
      *ptr_out = ptr;
      *units_out = static_cast<uint32_t>(units) | kUtf16Tag;
      return true;
    }
    if (latin1 < n && !cx.Realloc(ptr, n, 2, latin1, &ptr)) return false;
    *ptr_out = ptr;
    *units_out = latin1;
    return true;
  }
  }
  return cx.Fail("unknown string encoding");
}

bool LowerList(Cx& cx, const Val& v, TypeId elem, uint32_t* ptr_out,
               uint32_t* len_out) {
  const AbiLayout& el = cx.lay[elem];
  const bool bytes = IsByteElem(cx.types, elem) && v.items.empty();
  const uint64_t n = bytes ? v.s.size() : v.items.size();
  const uint64_t size = n * el.size;
  if (size > kMaxListBytes)
    return cx.Fail("list of " + std::to_string(n) +
                   " elements is longer than the limit");
  uint32_t ptr = 0;
  if (!cx.Allocate(el.align, static_cast<uint32_t>(size), &ptr)) return false;
  if (bytes) {
    if (n) std::memcpy(cx.mem + ptr, v.s.data(), n);
  } else {
    for (uint64_t i = 0; i < n; ++i)
      if (!StoreVal(cx, v.items[i], elem,
                    ptr + static_cast<uint32_t>(i) * el.size))
        return false;
  }
  *ptr_out = ptr;
  *len_out = static_cast<uint32_t>(n);
  return true;
}

bool LowerHandle(Cx& cx, const ValType& t, TypeId id, const Val& v,
                 uint32_t* out) {
  if (v.kind != t.kind) return KindMismatch(cx, v, id);
  ResourceType* rt = cx.Resource(t);
  if (!rt) return false;
  if (v.resource && v.resource != rt)
    return cx.Fail("a handle of resource '" + v.resource->name + "' where a " +
                   cx.TypeName(id) + " of '" + rt->name + "' is expected");
  const auto rep = static_cast<uint32_t>(v.u);
  HandleElem e;
  e.type = rt;
  e.rep = rep;
  if (t.kind == ValKind::Own) {
    e.own = true;
  } else {
    if (cx.task < 0)
      return cx.Fail("borrow<" + rt->name + "> cannot be lowered here");
    if (rt->owner == &cx.inst) { // lent to the instance that defines it
      *out = rep;
      return true;
    }
    TaskFrame& task = cx.inst.tasks[static_cast<size_t>(cx.task)];
    e.scope = task.scope;
    ++task.borrows;
  }
  std::optional<uint32_t> index = cx.inst.handles.Add(e);
  if (!index) {
    if (!e.own) --cx.inst.tasks[static_cast<size_t>(cx.task)].borrows;
    return cx.Fail("handle table is full (" +
                   std::to_string(HandleTable::kMaxHandles) + " handles)");
  }
  *out = *index;
  return true;
}

bool CheckCase(Cx& cx, const Val& v, const ValType& t, TypeId id,
               std::optional<TypeId>* payload) {
  if (v.kind != t.kind) return KindMismatch(cx, v, id);
  if (v.u >= CaseCount(t))
    return cx.Fail("case " + std::to_string(v.u) + " of " + cx.TypeName(id) +
                   " is out of range");
  *payload = CasePayload(t, static_cast<uint32_t>(v.u));
  if (*payload && v.items.empty())
    return cx.Fail("case " + std::to_string(v.u) + " of " + cx.TypeName(id) +
                   " has no payload value");
  return true;
}

bool CheckMembers(Cx& cx, const Val& v, const ValType& t, TypeId id) {
  if (v.kind != t.kind) return KindMismatch(cx, v, id);
  if (v.items.size() != MemberCount(t))
    return cx.Fail(std::to_string(v.items.size()) + " values for " +
                   cx.TypeName(id) + " (" + std::to_string(MemberCount(t)) +
                   " expected)");
  return true;
}

uint64_t FlagsMask(const ValType& t) {
  const size_t n = t.labels.size();
  return n >= 32 ? 0xffffffffu : (uint64_t{1} << n) - 1;
}

bool Unsupported(Cx& cx, ValKind k) {
  return cx.Fail(std::string(ValKindName(k)) +
                 " values are not supported (WASI 0.3)");
}

} // namespace

bool LowerFlat(Cx& cx, const Val& v, TypeId id, FlatOut& out) {
  const ValType& t = cx.types.vals[id];
  uint64_t bits = 0;
  if (IsScalar(t.kind))
    return ScalarBits(cx, t.kind, v, id, &bits) && out.Put(cx, bits);
  uint32_t a = 0, b = 0;
  switch (t.kind) {
  case ValKind::String:
    if (v.kind != ValKind::String) return KindMismatch(cx, v, id);
    return LowerString(cx, v.s, &a, &b) && out.Put(cx, a) && out.Put(cx, b);
  case ValKind::List:
    if (v.kind != ValKind::List) return KindMismatch(cx, v, id);
    if (t.fixed_length) {
      if (v.items.size() != *t.fixed_length)
        return cx.Fail(std::to_string(v.items.size()) + " elements for " +
                       cx.TypeName(id));
      for (const Val& e : v.items)
        if (!LowerFlat(cx, e, t.elem, out)) return false;
      return true;
    }
    return LowerList(cx, v, t.elem, &a, &b) && out.Put(cx, a) && out.Put(cx, b);
  case ValKind::Record:
  case ValKind::Tuple: {
    if (!CheckMembers(cx, v, t, id)) return false;
    for (uint32_t i = 0; i < v.items.size(); ++i)
      if (!LowerFlat(cx, v.items[i], MemberType(t, i), out)) return false;
    return true;
  }
  case ValKind::Variant:
  case ValKind::Enum:
  case ValKind::Option:
  case ValKind::Result: {
    std::optional<TypeId> payload;
    if (!CheckCase(cx, v, t, id, &payload) || !out.Put(cx, v.u)) return false;
    const size_t end = out.pos + cx.lay[id].flat_count - 1;
    if (payload && !LowerFlat(cx, v.items[0], *payload, out)) return false;
    while (out.pos < end) // zeros in the joined slots the case leaves
      if (!out.Put(cx, 0)) return false;
    return true;
  }
  case ValKind::Flags:
    if (v.kind != ValKind::Flags) return KindMismatch(cx, v, id);
    return out.Put(cx, v.u & FlagsMask(t));
  case ValKind::Own:
  case ValKind::Borrow: return LowerHandle(cx, t, id, v, &a) && out.Put(cx, a);
  default: return Unsupported(cx, t.kind);
  }
}

bool StoreVal(Cx& cx, const Val& v, TypeId id, uint32_t ptr) {
  const ValType& t = cx.types.vals[id];
  uint64_t bits = 0;
  if (IsScalar(t.kind)) {
    if (!ScalarBits(cx, t.kind, v, id, &bits)) return false;
    cx.StoreBits(ptr, bits, Scalar(t.kind).size);
    return true;
  }
  const AbiLayout& l = cx.lay[id];
  uint32_t a = 0, b = 0;
  switch (t.kind) {
  case ValKind::String:
    if (v.kind != ValKind::String) return KindMismatch(cx, v, id);
    if (!LowerString(cx, v.s, &a, &b)) return false;
    break;
  case ValKind::List:
    if (v.kind != ValKind::List) return KindMismatch(cx, v, id);
    if (t.fixed_length) {
      if (v.items.size() != *t.fixed_length)
        return cx.Fail(std::to_string(v.items.size()) + " elements for " +
                       cx.TypeName(id));
      const uint32_t esize = cx.lay[t.elem].size;
      for (size_t i = 0; i < v.items.size(); ++i)
        if (!StoreVal(cx, v.items[i], t.elem,
                      ptr + static_cast<uint32_t>(i) * esize))
          return false;
      return true;
    }
    if (!LowerList(cx, v, t.elem, &a, &b)) return false;
    break;
  case ValKind::Record:
  case ValKind::Tuple: {
    if (!CheckMembers(cx, v, t, id)) return false;
    uint32_t off = 0;
    for (uint32_t i = 0; i < v.items.size(); ++i) {
      const TypeId m = MemberType(t, i);
      off = static_cast<uint32_t>(AlignTo(off, cx.lay[m].align));
      if (!StoreVal(cx, v.items[i], m, ptr + off)) return false;
      off += cx.lay[m].size;
    }
    return true;
  }
  case ValKind::Variant:
  case ValKind::Enum:
  case ValKind::Option:
  case ValKind::Result: {
    std::optional<TypeId> payload;
    if (!CheckCase(cx, v, t, id, &payload)) return false;
    cx.StoreBits(ptr, v.u, l.disc_size);
    return !payload || StoreVal(cx, v.items[0], *payload, ptr + l.payload);
  }
  case ValKind::Flags:
    if (v.kind != ValKind::Flags) return KindMismatch(cx, v, id);
    cx.StoreBits(ptr, v.u & FlagsMask(t), l.size);
    return true;
  case ValKind::Own:
  case ValKind::Borrow:
    if (!LowerHandle(cx, t, id, v, &a)) return false;
    cx.StoreBits(ptr, a, 4);
    return true;
  default: return Unsupported(cx, t.kind);
  }
  // string or list: (ptr, length) at ptr; memory may have moved (realloc)
  cx.StoreBits(ptr, a, 4);
  cx.StoreBits(ptr + 4, b, 4);
  return true;
}

} // namespace weft::component::abi
