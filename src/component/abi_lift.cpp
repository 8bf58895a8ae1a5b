// Lifting: component values out of a guest's flat core values (lift_flat)
// and out of its memory (load), with every check of CanonicalABI.md.
#include "component/abi_internal.h"

namespace weft::component::abi {

namespace {

constexpr uint32_t kF32CanonicalNan = 0x7fc00000u;
constexpr uint64_t kF64CanonicalNan = 0x7ff8000000000000u;

void AppendUtf8(std::string& s, uint32_t cp) {
  if (cp < 0x80) {
    s.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    s.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    s.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    s.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// The offset of the first byte that does not start a well-formed UTF-8
// sequence (overlong forms, surrogates and code points past U+10FFFF are
// ill-formed), or n.
size_t Utf8ValidPrefix(const uint8_t* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, s + i, 8);
      if ((w & 0x8080808080808080u) == 0) {
        i += 8;
        continue;
      }
    }
    const uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return i;
    i += len;
  }
  return n;
}

bool LiftScalar(Cx& cx, ValKind k, uint64_t bits, Val& out) {
  out.kind = k;
  switch (k) {
  case ValKind::Bool: out.u = bits != 0; return true;
  case ValKind::F32:
    bits &= 0xffffffffu;
    if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0)
      bits = kF32CanonicalNan;
    out.u = bits;
    return true;
  case ValKind::F64:
    if ((bits & 0x7ff0000000000000u) == 0x7ff0000000000000u &&
        (bits & 0x000fffffffffffffu) != 0)
      bits = kF64CanonicalNan;
    out.u = bits;
    return true;
  case ValKind::Char: {
    const uint32_t cp = static_cast<uint32_t>(bits);
    if (cp >= 0x110000 || (cp >= 0xd800 && cp <= 0xdfff))
      return cx.Fail("char " + std::to_string(cp) +
                     " is not a Unicode scalar value");
    out.u = cp;
    return true;
  }
  default: { // integers: truncated to their width, sign-extended if signed
    const ScalarInfo& s = Scalar(k);
    const unsigned width = s.size * 8u;
    if (width < 64) {
      bits &= (uint64_t{1} << width) - 1;
      if (s.is_signed && (bits >> (width - 1)) != 0)
        bits |= ~uint64_t{0} << width;
    }
    out.u = bits;
    return true;
  }
  }
}

bool ChargeBytes(Cx& cx, uint64_t n) {
  if (n > cx.bytes_left)
    return cx.Fail("the call lifts more string and byte-list data than "
                   "its limit");
  cx.bytes_left -= n;
  return true;
}

bool LiftString(Cx& cx, uint32_t ptr, uint32_t tagged, Val& out) {
  constexpr uint32_t kTag = 1u << 31;
  uint64_t bytes = tagged;
  uint32_t align = 1;
  enum { kUtf8, kUtf16, kLatin1 } form = kUtf8;
  switch (cx.opts.encoding) {
  case StringEncoding::Utf8: break;
  case StringEncoding::Utf16:
    align = 2, bytes = 2 * uint64_t{tagged}, form = kUtf16;
    break;
  case StringEncoding::Latin1Utf16:
    align = 2;
    if (tagged & kTag)
      bytes = 2 * uint64_t{tagged ^ kTag}, form = kUtf16;
    else
      form = kLatin1;
    break;
  }
  if (bytes > kMaxStringBytes)
    return cx.Fail("string of " + std::to_string(bytes) +
                   " bytes is longer than the limit of " +
                   std::to_string(kMaxStringBytes));
  if (!cx.CheckRange(ptr, bytes, align, "string")) return false;
  if (!ChargeBytes(cx, form == kUtf8 ? bytes : bytes * 2)) return false;
  out.kind = ValKind::String;
  const uint8_t* p = cx.mem + ptr;
  if (form == kUtf8) {
    const size_t ok = Utf8ValidPrefix(p, bytes);
    if (ok != bytes)
      return cx.Fail("string at " + std::to_string(ptr) +
                     " is not valid UTF-8 (byte " + std::to_string(ok) + ")");
    out.s.assign(reinterpret_cast<const char*>(p), bytes);
    return true;
  }
  out.s.clear();
  if (form == kLatin1) {
    out.s.reserve(bytes);
    for (uint64_t i = 0; i < bytes; ++i)
      AppendUtf8(out.s, p[i]);
    return true;
  }
  const uint64_t units = bytes / 2;
  out.s.reserve(units);
  for (uint64_t i = 0; i < units; ++i) {
    uint32_t u = p[2 * i] | (uint32_t{p[2 * i + 1]} << 8);
    if (u >= 0xd800 && u <= 0xdfff) {
      uint32_t lo = 0;
      if (u <= 0xdbff && i + 1 < units)
        lo = p[2 * i + 2] | (uint32_t{p[2 * i + 3]} << 8);
      if (lo < 0xdc00 || lo > 0xdfff)
        return cx.Fail("string at " + std::to_string(ptr) +
                       " has an unpaired UTF-16 surrogate at code unit " +
                       std::to_string(i));
      u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
      ++i;
    }
    AppendUtf8(out.s, u);
  }
  return true;
}

bool LiftList(Cx& cx, uint32_t ptr, uint32_t len, TypeId elem, Val& out) {
  const AbiLayout& el = cx.lay[elem];
  const uint64_t bytes = uint64_t{len} * el.size;
  if (bytes > kMaxListBytes)
    return cx.Fail("list of " + std::to_string(len) + " elements (" +
                   std::to_string(bytes) + " bytes) is longer than the limit");
  if (!cx.CheckRange(ptr, bytes, el.align, "list")) return false;
  out.kind = ValKind::List;
  if (IsByteElem(cx.types, elem)) {
    if (!ChargeBytes(cx, len)) return false;
    out.s.assign(reinterpret_cast<const char*>(cx.mem + ptr), len);
    return true;
  }
  const uint64_t values = uint64_t{len} * el.values;
  if (values > cx.values_left)
    return cx.Fail("list of " + std::to_string(len) +
                   " elements makes more values than the call's limit");
  cx.values_left -= values;
  out.items.resize(len);
  for (uint32_t i = 0; i < len; ++i)
    if (!LoadVal(cx, ptr + i * el.size, elem, out.items[i])) return false;
  return true;
}

bool LiftHandle(Cx& cx, const ValType& t, uint32_t index, Val& out) {
  ResourceType* rt = cx.Resource(t);
  if (!rt) return false;
  HandleElem* h = cx.inst.handles.Get(index);
  const char* want = t.kind == ValKind::Own ? "own" : "borrow";
  if (!h)
    return cx.Fail(std::string(want) + "<" + rt->name + ">: unknown handle " +
                   std::to_string(index));
  if (h->type != rt)
    return cx.Fail(std::string(want) + "<" + rt->name + ">: handle " +
                   std::to_string(index) + " is a '" +
                   (h->type ? h->type->name : "?") + "'");
  out.kind = t.kind;
  out.u = h->rep;
  out.resource = rt;
  if (t.kind == ValKind::Own) {
    if (!h->own)
      return cx.Fail("own<" + rt->name + ">: handle " + std::to_string(index) +
                     " is a borrow");
    if (h->lend_count != 0)
      return cx.Fail("own<" + rt->name + ">: handle " + std::to_string(index) +
                     " is lent out to a call in progress and cannot be moved");
    cx.inst.handles.Remove(index);
    return true;
  }
  if (!cx.lends)
    return cx.Fail("borrow<" + rt->name + "> cannot be lifted here");
  ++h->lend_count;
  cx.lends->Add(index);
  return true;
}

bool CheckCase(Cx& cx, uint64_t disc, uint32_t n, TypeId t) {
  if (disc < n) return true;
  return cx.Fail("case " + std::to_string(disc) + " of " + cx.TypeName(t) +
                 " is out of range (" + std::to_string(n) + " cases)");
}

uint64_t FlagsMask(const ValType& t) {
  const size_t n = t.labels.size();
  return n >= 32 ? 0xffffffffu : (uint64_t{1} << n) - 1;
}

bool CheckValid(Cx& cx, TypeId t) {
  if (t < cx.lay.size() && cx.lay[t].valid) return true;
  return cx.Fail("type " + std::to_string(t) +
                 " is malformed or nests too deep for the canonical ABI");
}

} // namespace

bool LiftFlat(Cx& cx, FlatIn& in, TypeId id, Val& out) {
  const ValType& t = cx.types.vals[id];
  uint64_t a = 0, b = 0;
  if (IsScalar(t.kind))
    return in.Next(cx, Scalar(t.kind).flat, &a) &&
           LiftScalar(cx, t.kind, a, out);
  constexpr weft::ValType I32 = weft::ValType::I32;
  switch (t.kind) {
  case ValKind::String:
    return in.Next(cx, I32, &a) && in.Next(cx, I32, &b) &&
           LiftString(cx, static_cast<uint32_t>(a), static_cast<uint32_t>(b),
                      out);
  case ValKind::List:
    if (t.fixed_length) {
      out.kind = ValKind::List;
      out.items.resize(*t.fixed_length);
      for (Val& e : out.items)
        if (!LiftFlat(cx, in, t.elem, e)) return false;
      return true;
    }
    return in.Next(cx, I32, &a) && in.Next(cx, I32, &b) &&
           LiftList(cx, static_cast<uint32_t>(a), static_cast<uint32_t>(b),
                    t.elem, out);
  case ValKind::Record:
  case ValKind::Tuple: {
    const uint32_t n = MemberCount(t);
    out.kind = t.kind;
    out.items.resize(n);
    for (uint32_t i = 0; i < n; ++i)
      if (!LiftFlat(cx, in, MemberType(t, i), out.items[i])) return false;
    return true;
  }
  case ValKind::Variant:
  case ValKind::Enum:
  case ValKind::Option:
  case ValKind::Result: {
    if (!in.Next(cx, I32, &a) || !CheckCase(cx, a, CaseCount(t), id))
      return false;
    out.kind = t.kind;
    out.u = a;
    const size_t end = in.pos + cx.lay[id].flat_count - 1;
    if (std::optional<TypeId> p = CasePayload(t, static_cast<uint32_t>(a))) {
      out.items.resize(1);
      if (!LiftFlat(cx, in, *p, out.items[0])) return false;
    }
    in.pos = end; // the joined slots the case does not use
    return true;
  }
  case ValKind::Flags:
    if (!in.Next(cx, I32, &a)) return false;
    out.kind = ValKind::Flags;
    out.u = a & FlagsMask(t); // bits past the labels are ignored
    return true;
  case ValKind::Own:
  case ValKind::Borrow:
    return in.Next(cx, I32, &a) &&
           LiftHandle(cx, t, static_cast<uint32_t>(a), out);
  default:
    return cx.Fail(std::string(ValKindName(t.kind)) +
                   " values are not supported (WASI 0.3)");
  }
}

bool LoadVal(Cx& cx, uint32_t ptr, TypeId id, Val& out) {
  const ValType& t = cx.types.vals[id];
  if (IsScalar(t.kind))
    return LiftScalar(cx, t.kind, cx.LoadBits(ptr, Scalar(t.kind).size), out);
  const AbiLayout& l = cx.lay[id];
  switch (t.kind) {
  case ValKind::String:
    return LiftString(cx, cx.Load32(ptr), cx.Load32(ptr + 4), out);
  case ValKind::List:
    if (t.fixed_length) {
      const uint32_t esize = cx.lay[t.elem].size;
      out.kind = ValKind::List;
      out.items.resize(*t.fixed_length);
      for (size_t i = 0; i < out.items.size(); ++i)
        if (!LoadVal(cx, ptr + static_cast<uint32_t>(i) * esize, t.elem,
                     out.items[i]))
          return false;
      return true;
    }
    return LiftList(cx, cx.Load32(ptr), cx.Load32(ptr + 4), t.elem, out);
  case ValKind::Record:
  case ValKind::Tuple: {
    const uint32_t n = MemberCount(t);
    out.kind = t.kind;
    out.items.resize(n);
    uint32_t off = 0;
    for (uint32_t i = 0; i < n; ++i) {
      const TypeId m = MemberType(t, i);
      off = static_cast<uint32_t>(AlignTo(off, cx.lay[m].align));
      if (!LoadVal(cx, ptr + off, m, out.items[i])) return false;
      off += cx.lay[m].size;
    }
    return true;
  }
  case ValKind::Variant:
  case ValKind::Enum:
  case ValKind::Option:
  case ValKind::Result: {
    const uint64_t disc = cx.LoadBits(ptr, l.disc_size);
    if (!CheckCase(cx, disc, CaseCount(t), id)) return false;
    out.kind = t.kind;
    out.u = disc;
    if (std::optional<TypeId> p = CasePayload(t, static_cast<uint32_t>(disc))) {
      out.items.resize(1);
      return LoadVal(cx, ptr + l.payload, *p, out.items[0]);
    }
    return true;
  }
  case ValKind::Flags:
    out.kind = ValKind::Flags;
    out.u = cx.LoadBits(ptr, l.size) & FlagsMask(t);
    return true;
  case ValKind::Own:
  case ValKind::Borrow: return LiftHandle(cx, t, cx.Load32(ptr), out);
  default:
    return cx.Fail(std::string(ValKindName(t.kind)) +
                   " values are not supported (WASI 0.3)");
  }
}

// Exposed for abi_call.cpp.
bool CheckTypeValid(Cx& cx, TypeId t) { return CheckValid(cx, t); }

} // namespace weft::component::abi
