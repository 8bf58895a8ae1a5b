// The text form of component values (`weft run --invoke`, tests): a
// printer and a recursive-descent parser driven by the value's type.
#include "component/value.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace weft::component {
namespace {

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Escapes `s` (UTF-8) between `quote`s: control characters, the quote and
// the backslash are escaped; everything else is kept.
void AppendQuoted(std::string& out, std::string_view s, char quote) {
  out += quote;
  for (unsigned char c : s) {
    switch (c) {
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    case '\r': out += "\\r"; break;
    case '\\': out += "\\\\"; break;
    default:
      if (c == static_cast<unsigned char>(quote)) {
        out += '\\';
        out += quote;
      } else if (c < 0x20 || c == 0x7F) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "\\u{%x}", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  out += quote;
}

std::string FloatText(double d, bool is_f32) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char buf[64];
  // The shortest text that reads back to the same value.
  for (int prec = is_f32 ? 6 : 15; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, d);
    double back = std::strtod(buf, nullptr);
    if (is_f32 ? static_cast<float>(back) == static_cast<float>(d) : back == d)
      break;
  }
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

void Print(const TypeArena& arena, TypeId type, const Val& v, std::string& out,
           uint32_t depth) {
  if (type >= arena.vals.size() || depth > 200) {
    out += "?";
    return;
  }
  const ValType& t = arena.vals[type];
  auto items = [&](size_t i) -> const Val* {
    return i < v.items.size() ? &v.items[i] : nullptr;
  };
  auto sub = [&](TypeId ty, const Val* x) {
    if (x)
      Print(arena, ty, *x, out, depth + 1);
    else
      out += "?";
  };
  switch (t.kind) {
  case ValKind::Bool: out += v.u ? "true" : "false"; return;
  case ValKind::S8:
  case ValKind::S16:
  case ValKind::S32:
  case ValKind::S64: out += std::to_string(static_cast<int64_t>(v.u)); return;
  case ValKind::U8:
  case ValKind::U16:
  case ValKind::U32:
  case ValKind::U64: out += std::to_string(v.u); return;
  case ValKind::F32: {
    float f;
    uint32_t bits = static_cast<uint32_t>(v.u);
    std::memcpy(&f, &bits, 4);
    out += FloatText(f, true);
    return;
  }
  case ValKind::F64: {
    double d;
    std::memcpy(&d, &v.u, 8);
    out += FloatText(d, false);
    return;
  }
  case ValKind::Char: {
    std::string c;
    AppendUtf8(c, static_cast<uint32_t>(v.u));
    AppendQuoted(out, c, '\'');
    return;
  }
  case ValKind::String: AppendQuoted(out, v.s, '"'); return;
  case ValKind::List: {
    out += "[";
    const ValKind ek =
        t.elem < arena.vals.size() ? arena.vals[t.elem].kind : ValKind::Bool;
    if (ek == ValKind::U8 || ek == ValKind::S8) {
      for (size_t i = 0; i < v.s.size(); ++i) {
        if (i) out += ", ";
        uint8_t b = static_cast<uint8_t>(v.s[i]);
        out += ek == ValKind::U8 ? std::to_string(b)
                                 : std::to_string(static_cast<int8_t>(b));
      }
    } else {
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ", ";
        sub(t.elem, &v.items[i]);
      }
    }
    out += "]";
    return;
  }
  case ValKind::Record:
    out += "{";
    for (size_t i = 0; i < t.fields.size(); ++i) {
      out += i ? ", " : "";
      out += t.fields[i].name + ": ";
      sub(t.fields[i].type, items(i));
    }
    out += "}";
    return;
  case ValKind::Tuple:
    out += "(";
    for (size_t i = 0; i < t.elems.size(); ++i) {
      if (i) out += ", ";
      sub(t.elems[i], items(i));
    }
    out += ")";
    return;
  case ValKind::Variant:
    if (v.u >= t.cases.size()) {
      out += "?";
      return;
    }
    out += t.cases[v.u].name;
    if (t.cases[v.u].type) {
      out += "(";
      sub(*t.cases[v.u].type, items(0));
      out += ")";
    }
    return;
  case ValKind::Enum:
    out += v.u < t.labels.size() ? t.labels[v.u] : "?";
    return;
  case ValKind::Option:
    if (!v.u) {
      out += "none";
      return;
    }
    out += "some(";
    sub(t.elem, items(0));
    out += ")";
    return;
  case ValKind::Result: {
    const std::optional<TypeId>& payload = v.u ? t.err : t.ok;
    out += v.u ? "err" : "ok";
    if (payload) {
      out += "(";
      sub(*payload, items(0));
      out += ")";
    }
    return;
  }
  case ValKind::Flags: {
    out += "{";
    bool first = true;
    for (size_t i = 0; i < t.labels.size() && i < 64; ++i) {
      if (!((v.u >> i) & 1)) continue;
      out += first ? "" : ", ";
      out += t.labels[i];
      first = false;
    }
    out += "}";
    return;
  }
  case ValKind::Own:
  case ValKind::Borrow:
    out += ValKindName(t.kind);
    out += "<" + std::to_string(v.u) + ">";
    return;
  default: out += ValKindName(t.kind); return;
  }
}

class Parser {
public:
  Parser(const TypeArena& arena, std::string_view text)
      : arena_(arena), text_(text) {}

  Result<Val> Top(TypeId type) {
    Val v;
    if (!Parse(type, v, 0)) return Fail();
    Skip();
    if (pos_ != text_.size()) {
      ErrAt(pos_,
            "unexpected `" + std::string(1, text_[pos_]) + "` after the value");
      return Fail();
    }
    return v;
  }

private:
  Error Fail() const {
    return Error{
        error_ + " at column " + std::to_string(error_pos_ + 1), kNoOffset, {}};
  }
  bool Err(std::string msg) { return ErrAt(pos_, std::move(msg)); }
  bool ErrAt(size_t at, std::string msg) {
    if (error_.empty()) {
      error_ = std::move(msg);
      error_pos_ = at;
    }
    return false;
  }
  void Skip() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n'))
      ++pos_;
  }
  bool Eat(char c) {
    Skip();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Expect(char c) {
    if (Eat(c)) return true;
    return Err(std::string("expected `") + c + "`");
  }
  // A kebab-case word (labels, keywords).
  std::string Word() {
    Skip();
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
            text_[pos_] == '-' || text_[pos_] == '_' || text_[pos_] == '%'))
      ++pos_;
    std::string w(text_.substr(start, pos_ - start));
    if (!w.empty() && w[0] == '%') w.erase(0, 1); // WIT's %keyword escape
    return w;
  }
  // A number token: sign, digits, hex, '.', exponent, or nan/inf.
  std::string Number() {
    Skip();
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
            text_[pos_] == '-' || text_[pos_] == '+' || text_[pos_] == '.' ||
            text_[pos_] == '_'))
      ++pos_;
    std::string n;
    for (char c : text_.substr(start, pos_ - start))
      if (c != '_') n += c;
    return n;
  }

  bool Int(ValKind k, Val& v) {
    Skip();
    const size_t at = pos_;
    auto Err = [&](std::string msg) { return ErrAt(at, std::move(msg)); };
    std::string n = Number();
    if (n.empty()) return Err(std::string("expected a ") + ValKindName(k));
    const bool is_signed = k == ValKind::S8 || k == ValKind::S16 ||
                           k == ValKind::S32 || k == ValKind::S64;
    const int bits = k == ValKind::S8 || k == ValKind::U8     ? 8
                     : k == ValKind::S16 || k == ValKind::U16 ? 16
                     : k == ValKind::S32 || k == ValKind::U32 ? 32
                                                              : 64;
    bool neg = !n.empty() && n[0] == '-';
    std::string digits = neg || (!n.empty() && n[0] == '+') ? n.substr(1) : n;
    int base = 10;
    if (digits.size() > 2 && digits[0] == '0' &&
        (digits[1] == 'x' || digits[1] == 'X')) {
      base = 16;
      digits = digits.substr(2);
    }
    if (digits.empty() || digits.find_first_of("+-") != std::string::npos)
      return Err("`" + n + "` is not a " + ValKindName(k));
    errno = 0;
    char* end = nullptr;
    unsigned long long mag = std::strtoull(digits.c_str(), &end, base);
    if (*end != '\0' || errno == ERANGE)
      return Err("`" + n + "` is not a " + ValKindName(k));
    if (is_signed) {
      const unsigned long long limit = 1ull << (bits - 1);
      if (neg ? mag > limit : mag >= limit)
        return Err("`" + n + "` is out of range for " + ValKindName(k));
      v.u =
          neg ? static_cast<uint64_t>(-static_cast<int64_t>(mag - 1) - 1) : mag;
    } else {
      if (neg && mag != 0)
        return Err("`" + n + "` is out of range for " + ValKindName(k));
      if (bits < 64 && mag >> bits)
        return Err("`" + n + "` is out of range for " + ValKindName(k));
      v.u = mag;
    }
    return true;
  }

  bool Float(ValKind k, Val& v) {
    std::string n = Number();
    double d;
    if (n == "nan")
      d = std::numeric_limits<double>::quiet_NaN();
    else if (n == "inf" || n == "+inf")
      d = INFINITY;
    else if (n == "-inf")
      d = -INFINITY;
    else {
      char* end = nullptr;
      d = n.empty() ? 0 : std::strtod(n.c_str(), &end);
      if (n.empty() || *end != '\0')
        return Err(std::string("expected a ") + ValKindName(k));
    }
    if (k == ValKind::F32) {
      float f = static_cast<float>(d);
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      v.u = bits;
    } else {
      std::memcpy(&v.u, &d, 8);
    }
    return true;
  }

  // A quoted string or char (quote already checked); UTF-8 out.
  bool Quoted(char quote, std::string& out) {
    ++pos_; // the opening quote
    while (true) {
      if (pos_ >= text_.size()) return Err("unterminated literal");
      char c = text_[pos_++];
      if (c == quote) return true;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) return Err("unterminated literal");
      char e = text_[pos_++];
      switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case '\'': out += '\''; break;
      case 'u': {
        if (pos_ >= text_.size() || text_[pos_] != '{')
          return Err("expected `{` after \\u");
        size_t close = text_.find('}', pos_);
        if (close == std::string_view::npos) return Err("unterminated \\u{");
        std::string hex(text_.substr(pos_ + 1, close - pos_ - 1));
        char* end = nullptr;
        unsigned long cp = std::strtoul(hex.c_str(), &end, 16);
        if (hex.empty() || *end != '\0' || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
          return Err("bad \\u{" + hex + "} escape");
        AppendUtf8(out, static_cast<uint32_t>(cp));
        pos_ = close + 1;
        break;
      }
      default: return Err(std::string("unknown escape \\") + e);
      }
    }
  }

  // Decodes one UTF-8 code point of `s`, which must hold exactly one.
  static bool OneCodePoint(const std::string& s, uint32_t& cp) {
    if (s.empty()) return false;
    unsigned char c = static_cast<unsigned char>(s[0]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    if (s.size() != len) return false;
    cp = len == 1 ? c : c & (0x7F >> len);
    for (size_t i = 1; i < len; ++i)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
    return true;
  }

  bool Payload(const std::optional<TypeId>& type, Val& v, uint32_t depth) {
    if (!type) {
      Skip();
      if (pos_ < text_.size() && text_[pos_] == '(')
        return Err("this case has no payload");
      return true;
    }
    if (!Expect('(')) return false;
    v.items.emplace_back();
    if (!Parse(*type, v.items.back(), depth + 1)) return false;
    return Expect(')');
  }

  bool Parse(TypeId type, Val& v, uint32_t depth) {
    if (depth > 100) return Err("value nested too deeply");
    if (type >= arena_.vals.size()) return Err("bad type");
    const ValType& t = arena_.vals[type];
    v = Val::Of(t.kind, 0);
    Skip();
    switch (t.kind) {
    case ValKind::Bool: {
      std::string w = Word();
      if (w == "true")
        v.u = 1;
      else if (w != "false")
        return Err("expected `true` or `false`");
      return true;
    }
    case ValKind::S8:
    case ValKind::U8:
    case ValKind::S16:
    case ValKind::U16:
    case ValKind::S32:
    case ValKind::U32:
    case ValKind::S64:
    case ValKind::U64: return Int(t.kind, v);
    case ValKind::F32:
    case ValKind::F64: return Float(t.kind, v);
    case ValKind::Char: {
      if (pos_ >= text_.size() || text_[pos_] != '\'')
        return Err("expected a char like 'x'");
      std::string s;
      uint32_t cp = 0;
      if (!Quoted('\'', s)) return false;
      if (!OneCodePoint(s, cp)) return Err("a char holds one code point");
      v.u = cp;
      return true;
    }
    case ValKind::String:
      if (pos_ >= text_.size() || text_[pos_] != '"')
        return Err("expected a string like \"abc\"");
      return Quoted('"', v.s);
    case ValKind::List: {
      if (!Expect('[')) return false;
      const ValKind ek = arena_.vals[t.elem].kind;
      const bool bytes = ek == ValKind::U8 || ek == ValKind::S8;
      if (Eat(']')) return true;
      do {
        Val e;
        if (!Parse(t.elem, e, depth + 1)) return false;
        if (bytes)
          v.s += static_cast<char>(e.u & 0xFF);
        else
          v.items.push_back(std::move(e));
      } while (Eat(','));
      if (!Expect(']')) return false;
      size_t n = bytes ? v.s.size() : v.items.size();
      if (t.fixed_length && n != *t.fixed_length)
        return Err("this list has exactly " + std::to_string(*t.fixed_length) +
                   " elements");
      return true;
    }
    case ValKind::Tuple:
      if (!Expect('(')) return false;
      for (size_t i = 0; i < t.elems.size(); ++i) {
        if (i && !Expect(',')) return false;
        v.items.emplace_back();
        if (!Parse(t.elems[i], v.items.back(), depth + 1)) return false;
      }
      return Expect(')');
    case ValKind::Record: {
      if (!Expect('{')) return false;
      std::vector<bool> seen(t.fields.size());
      v.items.resize(t.fields.size());
      if (!Eat('}')) {
        do {
          std::string name = Word();
          size_t i = 0;
          while (i < t.fields.size() && t.fields[i].name != name)
            ++i;
          if (i == t.fields.size()) return Err("no field `" + name + "`");
          if (seen[i]) return Err("field `" + name + "` given twice");
          seen[i] = true;
          if (!Expect(':')) return false;
          if (!Parse(t.fields[i].type, v.items[i], depth + 1)) return false;
        } while (Eat(','));
        if (!Expect('}')) return false;
      }
      for (size_t i = 0; i < t.fields.size(); ++i)
        if (!seen[i]) return Err("missing field `" + t.fields[i].name + "`");
      return true;
    }
    case ValKind::Variant: {
      std::string name = Word();
      for (size_t i = 0; i < t.cases.size(); ++i) {
        if (t.cases[i].name == name) {
          v.u = i;
          return Payload(t.cases[i].type, v, depth);
        }
      }
      return Err("no case `" + name + "`");
    }
    case ValKind::Enum: {
      std::string name = Word();
      for (size_t i = 0; i < t.labels.size(); ++i) {
        if (t.labels[i] == name) {
          v.u = i;
          return true;
        }
      }
      return Err("no case `" + name + "`");
    }
    case ValKind::Option: {
      std::string w = Word();
      if (w == "none") return true;
      if (w != "some") return Err("expected `some(...)` or `none`");
      v.u = 1;
      return Payload(t.elem, v, depth);
    }
    case ValKind::Result: {
      std::string w = Word();
      if (w != "ok" && w != "err") return Err("expected `ok` or `err`");
      v.u = w == "err";
      return Payload(v.u ? t.err : t.ok, v, depth);
    }
    case ValKind::Flags:
      if (!Expect('{')) return false;
      if (Eat('}')) return true;
      do {
        std::string name = Word();
        size_t i = 0;
        while (i < t.labels.size() && t.labels[i] != name)
          ++i;
        if (i == t.labels.size() || i >= 64)
          return Err("no flag `" + name + "`");
        v.u |= uint64_t{1} << i;
      } while (Eat(','));
      return Expect('}');
    default:
      return Err(std::string("a ") + ValKindName(t.kind) +
                 " cannot be written as text");
    }
  }

  const TypeArena& arena_;
  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
  size_t error_pos_ = 0;
};

} // namespace

std::string ValToString(const TypeArena& arena, TypeId type, const Val& v) {
  std::string out;
  Print(arena, type, v, out, 0);
  return out;
}

Result<Val> ParseVal(const TypeArena& arena, TypeId type,
                     std::string_view text) {
  return Parser(arena, text).Top(type);
}

} // namespace weft::component
