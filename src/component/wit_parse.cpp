// WIT text -> syntax tree (wit_internal.h): a lexer that tracks line and
// column (in code points) and collects doc comments, and a recursive
// descent parser over the grammar of the spec's WIT.md. Every error names
// the file, line and column of the token it is about.
#include <array>
#include <cstring>

#include "component/wit_internal.h"

namespace weft::component::wit::detail {

Error MakeError(std::string_view file, Pos pos, std::string_view message) {
  Error e;
  e.message = std::string(file) + ":" + std::to_string(pos.line) + ":" +
              std::to_string(pos.col) + ": error: " + std::string(message);
  return e;
}

std::string AstPath::Text() const {
  if (!qualified) return name;
  std::string s = ns + ":" + pkg + "/" + name;
  if (version) s += "@" + version->ToString();
  return s;
}

namespace {

constexpr std::array<std::string_view, 42> kKeywords = {
    "as",     "async",  "bool",   "borrow",  "char",      "constructor",
    "enum",   "export", "f32",    "f64",     "flags",     "from",
    "func",   "future", "import", "include", "interface", "list",
    "map",    "option", "own",    "package", "record",    "resource",
    "result", "s16",    "s32",    "s64",     "s8",        "static",
    "stream", "string", "tuple",  "type",    "u16",       "u32",
    "u64",    "u8",     "use",    "variant", "with",      "world"};

bool IsKeyword(std::string_view s) {
  for (std::string_view k : kKeywords)
    if (s == k) return true;
  return false;
}

std::optional<ValKind> PrimKind(std::string_view s) {
  static constexpr std::pair<const char*, ValKind> kPrims[] = {
      {"bool", ValKind::Bool},    {"s8", ValKind::S8},
      {"u8", ValKind::U8},        {"s16", ValKind::S16},
      {"u16", ValKind::U16},      {"s32", ValKind::S32},
      {"u32", ValKind::U32},      {"s64", ValKind::S64},
      {"u64", ValKind::U64},      {"f32", ValKind::F32},
      {"f64", ValKind::F64},      {"char", ValKind::Char},
      {"string", ValKind::String}};
  for (auto& [n, k] : kPrims)
    if (s == n) return k;
  if (s == "error-context") return ValKind::ErrorContext;
  return std::nullopt;
}

// A kebab-case label: words of [a-z0-9] or of [A-Z0-9], each starting with
// a letter, joined by single '-'.
bool IsKebab(std::string_view s) {
  if (s.empty()) return false;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find('-', i);
    if (j == std::string_view::npos) j = s.size();
    std::string_view w = s.substr(i, j - i);
    if (w.empty()) return false;
    bool lower = w[0] >= 'a' && w[0] <= 'z';
    bool upper = w[0] >= 'A' && w[0] <= 'Z';
    if (!lower && !upper) return false;
    for (char c : w) {
      bool digit = c >= '0' && c <= '9';
      if (digit) continue;
      if (lower && !(c >= 'a' && c <= 'z')) return false;
      if (upper && !(c >= 'A' && c <= 'Z')) return false;
    }
    i = j + 1;
    if (j == s.size()) break;
  }
  return true;
}

struct Token {
  enum class Kind : uint8_t { End, Ident, Int, Punct, String };
  Kind kind = Kind::End;
  std::string text;         // Ident: without a leading '%'
  bool explicit_id = false; // written with '%' (never a keyword)
  bool keyword = false;     // a bare keyword (decided once, when lexed)
  Pos pos;
  size_t begin = 0, end = 0; // byte offsets
  std::string docs;          // doc comments just before the token

  bool Is(std::string_view p) const { return kind == Kind::Punct && text == p; }
  bool IsKw(std::string_view k) const {
    return kind == Kind::Ident && keyword && text == k;
  }
  std::string Describe() const {
    switch (kind) {
    case Kind::End: return "end of file";
    case Kind::Ident: return (keyword ? "keyword `" : "`") + text + "`";
    case Kind::Int: return "integer `" + text + "`";
    case Kind::Punct: return "`" + text + "`";
    case Kind::String: return "string literal";
    }
    return "token";
  }
};

class Lexer {
public:
  Lexer(std::string_view text, std::string_view file)
      : text_(text), file_(file) {}

  const std::string& file() const { return file_; }

  // Checks the whole text once: UTF-8, and no control codes other than
  // newline, carriage return and tab, no bidirectional overrides.
  Result<bool> CheckText() const {
    Pos p;
    size_t i = 0;
    while (i < text_.size()) {
      auto c = static_cast<unsigned char>(text_[i]);
      uint32_t cp = 0;
      size_t len = 1;
      if (c < 0x80) {
        cp = c;
      } else if ((c & 0xE0) == 0xC0) {
        cp = c & 0x1F, len = 2;
      } else if ((c & 0xF0) == 0xE0) {
        cp = c & 0x0F, len = 3;
      } else if ((c & 0xF8) == 0xF0) {
        cp = c & 0x07, len = 4;
      } else {
        return MakeError(file_, p, "invalid UTF-8");
      }
      if (i + len > text_.size()) return MakeError(file_, p, "invalid UTF-8");
      for (size_t k = 1; k < len; ++k) {
        auto d = static_cast<unsigned char>(text_[i + k]);
        if ((d & 0xC0) != 0x80) return MakeError(file_, p, "invalid UTF-8");
        cp = (cp << 6) | (d & 0x3F);
      }
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return MakeError(file_, p, "invalid UTF-8");
      bool control = (cp < 0x20 && cp != '\n' && cp != '\r' && cp != '\t') ||
                     (cp >= 0x7F && cp <= 0x9F);
      bool bidi = (cp >= 0x202A && cp <= 0x202E) ||
                  (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
                  cp == 0x200F || cp == 0x061C;
      if (control || bidi) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "U+%04X", cp);
        return MakeError(file_, p,
                         std::string(control ? "control character "
                                             : "bidirectional override ") +
                             buf + " is not allowed");
      }
      if (cp == '\n') {
        ++p.line;
        p.col = 1;
      } else {
        ++p.col;
      }
      i += len;
    }
    return true;
  }

  // The next token, from byte `at` (with `pos`).
  Result<Token> Scan(size_t& at, Pos& pos) const {
    std::string docs;
    WEFT_TRY(SkipTrivia(at, pos, docs));
    Token t;
    t.docs = std::move(docs);
    t.pos = pos;
    t.begin = at;
    if (at >= text_.size()) {
      t.kind = Token::Kind::End;
      t.end = at;
      return t;
    }
    char c = text_[at];
    auto ident_char = [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
             (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
    };
    auto letter = [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
    };
    if (c == '%' || letter(c)) {
      size_t start = at;
      if (c == '%') {
        t.explicit_id = true;
        ++at;
        if (at >= text_.size() || !letter(text_[at]))
          return MakeError(file_, pos, "expected an identifier after `%`");
      }
      size_t word = at;
      while (at < text_.size() && ident_char(text_[at]))
        ++at;
      t.kind = Token::Kind::Ident;
      t.text = std::string(text_.substr(word, at - word));
      pos.col += static_cast<uint32_t>(at - start);
      t.end = at;
      t.keyword = !t.explicit_id && IsKeyword(t.text);
      if (!IsKebab(t.text))
        return MakeError(file_, t.pos,
                         "`" + t.text +
                             "` is not a valid identifier (kebab-case words "
                             "of lowercase or uppercase letters and digits)");
      return t;
    }
    if (c >= '0' && c <= '9') {
      size_t start = at;
      while (at < text_.size() && text_[at] >= '0' && text_[at] <= '9')
        ++at;
      t.kind = Token::Kind::Int;
      t.text = std::string(text_.substr(start, at - start));
      pos.col += static_cast<uint32_t>(at - start);
      t.end = at;
      return t;
    }
    if (c == '-' && at + 1 < text_.size() && text_[at + 1] == '>') {
      t.kind = Token::Kind::Punct;
      t.text = "->";
      at += 2;
      pos.col += 2;
      t.end = at;
      return t;
    }
    if (std::strchr("=,:;(){}<>*/.@_", c) != nullptr) {
      if (c == '_' && at + 1 < text_.size() && ident_char(text_[at + 1]))
        return MakeError(file_, pos, "identifiers may not start with `_`");
      t.kind = Token::Kind::Punct;
      t.text = std::string(1, c);
      ++at;
      ++pos.col;
      t.end = at;
      return t;
    }
    if (c == '"') {
      size_t start = at++;
      while (at < text_.size() && text_[at] != '"' && text_[at] != '\n') {
        if (text_[at] == '\\' && at + 1 < text_.size()) ++at;
        ++at;
      }
      if (at >= text_.size() || text_[at] != '"')
        return MakeError(file_, pos, "unterminated string literal");
      ++at;
      t.kind = Token::Kind::String;
      t.text = std::string(text_.substr(start + 1, at - start - 2));
      pos.col += CodePoints(start, at);
      t.end = at;
      return t;
    }
    std::string shown = (static_cast<unsigned char>(c) < 0x80)
                            ? std::string(1, c)
                            : std::string("non-ASCII character");
    return MakeError(file_, pos, "unexpected character `" + shown + "`");
  }

  // A semver at `at` (after whitespace): digits.digits.digits, then
  // optional -pre and +build parts, stopping before a '.' that does not
  // start another identifier (so `@0.2.12.{a}` ends before ".{").
  Result<SemVer> ScanVersion(size_t& at, Pos& pos) const {
    std::string docs;
    WEFT_TRY(SkipTrivia(at, pos, docs));
    Pos start_pos = pos;
    size_t start = at;
    auto digit = [&](size_t k) {
      return k < text_.size() && text_[k] >= '0' && text_[k] <= '9';
    };
    auto idch = [&](size_t k) {
      if (k >= text_.size()) return false;
      char ch = text_[k];
      return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
             (ch >= '0' && ch <= '9') || ch == '-';
    };
    for (int part = 0; part < 3; ++part) {
      if (part > 0) {
        if (at < text_.size() && text_[at] == '.' && digit(at + 1))
          ++at;
        else
          break;
      }
      while (digit(at))
        ++at;
    }
    for (char sep : {'-', '+'}) {
      if (at < text_.size() && text_[at] == sep && idch(at + 1)) {
        ++at;
        while (true) {
          while (idch(at))
            ++at;
          if (at < text_.size() && text_[at] == '.' && idch(at + 1))
            ++at;
          else
            break;
        }
      }
    }
    std::string_view s = text_.substr(start, at - start);
    pos.col += static_cast<uint32_t>(at - start);
    auto v = SemVer::Parse(s);
    if (!v) {
      size_t end = at;
      while (end < text_.size() && !std::strchr(" \t\r\n;{}(),", text_[end]))
        ++end;
      return MakeError(file_, start_pos,
                       "invalid version `" +
                           std::string(text_.substr(start, end - start)) +
                           "` (expected semver such as 0.2.12)");
    }
    return *v;
  }

private:
  uint32_t CodePoints(size_t from, size_t to) const {
    uint32_t n = 0;
    for (size_t i = from; i < to; ++i)
      if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++n;
    return n;
  }

  // Advances over `len` bytes that contain no newline.
  void Advance(size_t& at, Pos& pos, size_t len) const {
    pos.col += CodePoints(at, at + len);
    at += len;
  }

  Result<bool> SkipTrivia(size_t& at, Pos& pos, std::string& docs) const {
    while (at < text_.size()) {
      char c = text_[at];
      if (c == '\n') {
        ++at;
        ++pos.line;
        pos.col = 1;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++at;
        ++pos.col;
      } else if (c == '/' && at + 1 < text_.size() && text_[at + 1] == '/') {
        size_t end = text_.find('\n', at);
        if (end == std::string_view::npos) end = text_.size();
        std::string_view line = text_.substr(at, end - at);
        if (line.starts_with("///") && !line.starts_with("////")) {
          std::string_view d = line.substr(3);
          if (d.starts_with(" ")) d.remove_prefix(1);
          docs += d;
          docs += '\n';
        }
        Advance(at, pos, end - at);
      } else if (c == '/' && at + 1 < text_.size() && text_[at + 1] == '*') {
        Pos start = pos;
        size_t begin = at;
        int depth = 0;
        while (true) {
          if (at >= text_.size())
            return MakeError(file_, start, "unterminated block comment");
          if (text_.compare(at, 2, "/*") == 0) {
            ++depth;
            Advance(at, pos, 2);
          } else if (text_.compare(at, 2, "*/") == 0) {
            Advance(at, pos, 2);
            if (--depth == 0) break;
          } else if (text_[at] == '\n') {
            ++at;
            ++pos.line;
            pos.col = 1;
          } else {
            Advance(at, pos, 1);
          }
        }
        std::string_view body = text_.substr(begin, at - begin);
        if (body.starts_with("/**") && body != "/**/" &&
            !body.starts_with("/***")) {
          std::string_view d = body.substr(3, body.size() - 5);
          docs += d;
          docs += '\n';
        }
      } else {
        break;
      }
    }
    return true;
  }

  std::string_view text_;
  std::string file_;
};

constexpr int kMaxTypeDepth = 64;

class Parser {
public:
  Parser(std::string_view text, std::string_view file) : lex_(text, file) {}

  Result<AstFile> File() {
    WEFT_TRY(lex_.CheckText());
    AstFile f;
    f.name = lex_.file();
    f.packages.emplace_back();
    WEFT_TRY(Fill());
    // `package x:y;` first, unless it opens a nested block.
    if (Peek().IsKw("package")) {
      std::string docs = Peek().docs;
      auto pkg = PackageDecl();
      if (!pkg.ok()) return pkg.error();
      if (Peek().Is(";")) {
        WEFT_TRY(Skip());
        f.packages[0] = std::move(*pkg);
        f.packages[0].docs = docs;
      } else {
        WEFT_TRY(NestedBody(*pkg));
        pkg->docs = docs;
        f.packages.push_back(std::move(*pkg));
      }
    }
    while (Peek().kind != Token::Kind::End) {
      if (Peek().IsKw("package")) {
        std::string docs = Peek().docs;
        auto pkg = PackageDecl();
        if (!pkg.ok()) return pkg.error();
        if (Peek().Is(";"))
          return Err(Peek().pos,
                     "the `package` declaration must come first in a file");
        WEFT_TRY(NestedBody(*pkg));
        pkg->docs = docs;
        f.packages.push_back(std::move(*pkg));
        continue;
      }
      WEFT_TRY(PackageItem(f.packages[0]));
    }
    return f;
  }

private:
  // --- tokens ---
  Result<bool> Fill() {
    auto t = lex_.Scan(at_, pos_);
    if (!t.ok()) return t.error();
    tok_ = std::move(*t);
    return true;
  }
  const Token& Peek() const { return tok_; }
  Result<Token> Next() {
    Token t = std::move(tok_);
    WEFT_TRY(Fill());
    return t;
  }
  Error Err(Pos p, std::string_view msg) const {
    return MakeError(lex_.file(), p, msg);
  }
  Error Unexpected(std::string_view wanted) const {
    return Err(Peek().pos, "expected " + std::string(wanted) + ", found " +
                               Peek().Describe());
  }
  // Moves past the current token.
  Result<bool> Skip() { return Fill(); }
  Result<bool> Expect(std::string_view punct) {
    if (!Peek().Is(punct)) return Unexpected("`" + std::string(punct) + "`");
    return Skip();
  }
  Result<bool> ExpectKw(std::string_view kw) {
    if (!Peek().IsKw(kw)) return Unexpected("`" + std::string(kw) + "`");
    return Skip();
  }
  // An identifier that is not a keyword (unless written with '%').
  Result<Token> Id(std::string_view what = "an identifier") {
    if (Peek().kind != Token::Kind::Ident || Peek().keyword)
      return Unexpected(what);
    return Next();
  }
  // A version right after '@' (the lexer rescans from the peeked token).
  Result<SemVer> Version() {
    at_ = tok_.begin;
    pos_ = tok_.pos;
    auto v = lex_.ScanVersion(at_, pos_);
    if (!v.ok()) return v.error();
    WEFT_TRY(Fill());
    return *v;
  }

  // --- packages ---
  Result<AstPackage> PackageDecl() {
    AstPackage p;
    p.declared = true;
    p.pos = Peek().pos;
    WEFT_TRY(ExpectKw("package"));
    auto ns = Id("a package namespace");
    if (!ns.ok()) return ns.error();
    WEFT_TRY(Expect(":"));
    auto name = Id("a package name");
    if (!name.ok()) return name.error();
    if (Peek().Is(":") || Peek().Is("/"))
      return Err(Peek().pos, "nested namespaces and packages (`a:b:c`, "
                             "`a:b/c`) are not supported");
    p.ns = ns->text;
    p.name = name->text;
    if (Peek().Is("@")) {
      WEFT_TRY(Skip());
      auto v = Version();
      if (!v.ok()) return v.error();
      p.version = *v;
    }
    return p;
  }

  Result<bool> NestedBody(AstPackage& pkg) {
    WEFT_TRY(Expect("{"));
    while (!Peek().Is("}")) {
      if (Peek().kind == Token::Kind::End) return Unexpected("`}`");
      if (Peek().IsKw("package"))
        return Err(Peek().pos, "packages cannot be nested in packages");
      WEFT_TRY(PackageItem(pkg));
    }
    WEFT_TRY(Skip());
    return true;
  }

  Result<bool> PackageItem(AstPackage& pkg) {
    std::string docs = Peek().docs;
    auto gate = Gates();
    if (!gate.ok()) return gate.error();
    if (Peek().IsKw("use")) {
      if (gate->any) return Err(gate->pos, "a top-level `use` cannot be gated");
      AstTopUse u;
      u.pos = Peek().pos;
      WEFT_TRY(Skip());
      auto path = Path();
      if (!path.ok()) return path.error();
      u.path = std::move(*path);
      if (Peek().Is("."))
        return Err(Peek().pos, "a top-level `use` names an interface; "
                               "`use iface.{...}` belongs in an interface");
      u.as = u.path.name;
      if (Peek().IsKw("as")) {
        WEFT_TRY(Skip());
        auto as = Id();
        if (!as.ok()) return as.error();
        u.as = as->text;
      }
      WEFT_TRY(Expect(";"));
      pkg.uses.push_back(std::move(u));
      return true;
    }
    if (Peek().IsKw("interface")) {
      AstInterface i;
      i.docs = docs;
      i.gate = *gate;
      i.pos = Peek().pos;
      WEFT_TRY(Skip());
      auto name = Id("an interface name");
      if (!name.ok()) return name.error();
      i.name = name->text;
      i.pos = name->pos;
      WEFT_TRY(InterfaceBody(i));
      pkg.interfaces.push_back(std::move(i));
      return true;
    }
    if (Peek().IsKw("world")) {
      AstWorld w;
      w.docs = docs;
      w.gate = *gate;
      WEFT_TRY(Skip());
      auto name = Id("a world name");
      if (!name.ok()) return name.error();
      w.name = name->text;
      w.pos = name->pos;
      WEFT_TRY(WorldBody(w));
      pkg.worlds.push_back(std::move(w));
      return true;
    }
    return Unexpected("`interface`, `world`, `use` or `package`");
  }

  // --- attributes ---
  Result<AstGate> Gates() {
    AstGate g;
    g.pos = Peek().pos;
    while (Peek().Is("@")) {
      Pos at = Peek().pos;
      WEFT_TRY(Skip());
      if (Peek().kind != Token::Kind::Ident)
        return Unexpected("an attribute name");
      auto name = Next();
      if (!name.ok()) return name.error();
      const std::string& n = name->text;
      WEFT_TRY(Expect("("));
      if (n == "since" || n == "deprecated") {
        if (!(Peek().kind == Token::Kind::Ident && Peek().text == "version"))
          return Unexpected("`version`");
        WEFT_TRY(Skip());
        WEFT_TRY(Expect("="));
        auto v = Version();
        if (!v.ok()) return v.error();
        auto& slot = n == "since" ? g.gate.since : g.gate.deprecated;
        if (slot) return Err(at, "duplicate `@" + n + "` attribute");
        slot = *v;
      } else if (n == "unstable") {
        if (!(Peek().kind == Token::Kind::Ident && Peek().text == "feature"))
          return Unexpected("`feature`");
        WEFT_TRY(Skip());
        WEFT_TRY(Expect("="));
        auto f = Id("a feature name");
        if (!f.ok()) return f.error();
        if (!g.gate.unstable.empty())
          return Err(at, "duplicate `@unstable` attribute");
        g.gate.unstable = f->text;
      } else if (n == "external-id") {
        if (Peek().kind != Token::Kind::String)
          return Unexpected("a string literal");
        WEFT_TRY(Skip());
      } else {
        return Err(name->pos, "unknown attribute `@" + n + "`");
      }
      WEFT_TRY(Expect(")"));
      g.any = true;
    }
    if (g.gate.since && !g.gate.unstable.empty())
      return Err(g.pos, "an item is either `@since` or `@unstable`, not both");
    return g;
  }

  // --- paths ---
  Result<AstPath> Path() {
    AstPath p;
    p.pos = Peek().pos;
    auto first = Id("an interface name");
    if (!first.ok()) return first.error();
    if (!Peek().Is(":")) {
      p.name = first->text;
      return p;
    }
    WEFT_TRY(Skip());
    auto pkg = Id("a package name");
    if (!pkg.ok()) return pkg.error();
    if (Peek().Is(":"))
      return Err(Peek().pos, "nested namespaces are not supported");
    WEFT_TRY(Expect("/"));
    auto name = Id("an interface name");
    if (!name.ok()) return name.error();
    if (Peek().Is("/"))
      return Err(Peek().pos, "nested packages are not supported");
    p.qualified = true;
    p.ns = first->text;
    p.pkg = pkg->text;
    p.name = name->text;
    if (Peek().Is("@")) {
      WEFT_TRY(Skip());
      auto v = Version();
      if (!v.ok()) return v.error();
      p.version = *v;
    }
    return p;
  }

  // --- interfaces ---
  Result<bool> InterfaceBody(AstInterface& iface) {
    WEFT_TRY(Expect("{"));
    while (!Peek().Is("}")) {
      if (Peek().kind == Token::Kind::End) return Unexpected("`}`");
      AstItem item;
      WEFT_TRY(InterfaceItem(item, /*allow_func=*/true));
      iface.items.push_back(std::move(item));
    }
    WEFT_TRY(Skip());
    return true;
  }

  bool AtTypedef() const {
    const Token& t = Peek();
    return t.IsKw("use") || t.IsKw("type") || t.IsKw("record") ||
           t.IsKw("variant") || t.IsKw("enum") || t.IsKw("flags") ||
           t.IsKw("resource");
  }

  Result<bool> InterfaceItem(AstItem& item, bool allow_func) {
    item.docs = Peek().docs;
    auto gate = Gates();
    if (!gate.ok()) return gate.error();
    item.gate = *gate;
    item.pos = Peek().pos;
    const Token& t = Peek();
    if (t.IsKw("use")) {
      item.kind = AstItem::Kind::Use;
      WEFT_TRY(Skip());
      auto path = Path();
      if (!path.ok()) return path.error();
      item.path = std::move(*path);
      WEFT_TRY(Expect("."));
      WEFT_TRY(Expect("{"));
      while (true) {
        AstUseName n;
        n.pos = Peek().pos;
        auto id = Id("a type name");
        if (!id.ok()) return id.error();
        n.name = id->text;
        if (Peek().IsKw("as")) {
          WEFT_TRY(Skip());
          auto as = Id();
          if (!as.ok()) return as.error();
          n.as = as->text;
        }
        item.names.push_back(std::move(n));
        if (Peek().Is(",")) {
          WEFT_TRY(Skip());
          if (Peek().Is("}")) break;
          continue;
        }
        break;
      }
      WEFT_TRY(Expect("}"));
      WEFT_TRY(Expect(";"));
      return true;
    }
    if (t.IsKw("type")) {
      item.kind = AstItem::Kind::Alias;
      WEFT_TRY(Skip());
      WEFT_TRY(ItemName(item));
      WEFT_TRY(Expect("="));
      auto ty = Type(0);
      if (!ty.ok()) return ty.error();
      item.alias = std::move(*ty);
      WEFT_TRY(Expect(";"));
      return true;
    }
    if (t.IsKw("record")) {
      item.kind = AstItem::Kind::Record;
      WEFT_TRY(Skip());
      WEFT_TRY(ItemName(item));
      WEFT_TRY(Expect("{"));
      while (!Peek().Is("}")) {
        AstParam f;
        f.pos = Peek().pos;
        auto id = Id("a field name");
        if (!id.ok()) return id.error();
        f.name = id->text;
        WEFT_TRY(Expect(":"));
        auto ty = Type(0);
        if (!ty.ok()) return ty.error();
        f.type = std::move(*ty);
        item.fields.push_back(std::move(f));
        if (!Peek().Is(",")) break;
        WEFT_TRY(Skip());
      }
      WEFT_TRY(Expect("}"));
      return true;
    }
    if (t.IsKw("variant") || t.IsKw("enum") || t.IsKw("flags")) {
      item.kind = t.IsKw("variant") ? AstItem::Kind::Variant
                  : t.IsKw("enum")  ? AstItem::Kind::Enum
                                    : AstItem::Kind::Flags;
      WEFT_TRY(Skip());
      WEFT_TRY(ItemName(item));
      WEFT_TRY(Expect("{"));
      while (!Peek().Is("}")) {
        AstCase c;
        c.pos = Peek().pos;
        auto id = Id("a case name");
        if (!id.ok()) return id.error();
        c.name = id->text;
        if (item.kind == AstItem::Kind::Variant && Peek().Is("(")) {
          WEFT_TRY(Skip());
          auto ty = Type(0);
          if (!ty.ok()) return ty.error();
          c.type = std::move(*ty);
          WEFT_TRY(Expect(")"));
        }
        item.cases.push_back(std::move(c));
        if (!Peek().Is(",")) break;
        WEFT_TRY(Skip());
      }
      WEFT_TRY(Expect("}"));
      return true;
    }
    if (t.IsKw("resource")) {
      item.kind = AstItem::Kind::Resource;
      WEFT_TRY(Skip());
      WEFT_TRY(ItemName(item));
      if (Peek().Is(";")) {
        WEFT_TRY(Skip());
        return true;
      }
      WEFT_TRY(Expect("{"));
      while (!Peek().Is("}")) {
        if (Peek().kind == Token::Kind::End) return Unexpected("`}`");
        AstResourceFunc m;
        m.docs = Peek().docs;
        auto g = Gates();
        if (!g.ok()) return g.error();
        m.gate = *g;
        m.pos = Peek().pos;
        if (Peek().IsKw("constructor")) {
          m.kind = AstResourceFunc::Kind::Constructor;
          WEFT_TRY(Skip());
          m.func.pos = m.pos;
          WEFT_TRY(Params(m.func));
          if (Peek().Is("->")) {
            WEFT_TRY(Skip());
            auto ty = Type(0);
            if (!ty.ok()) return ty.error();
            m.func.result = std::move(*ty);
          }
        } else {
          auto id = Id("a method name or `constructor`");
          if (!id.ok()) return id.error();
          m.name = id->text;
          WEFT_TRY(Expect(":"));
          if (Peek().IsKw("static")) {
            m.kind = AstResourceFunc::Kind::Static;
            WEFT_TRY(Skip());
          }
          WEFT_TRY(FuncType(m.func));
        }
        WEFT_TRY(Expect(";"));
        item.methods.push_back(std::move(m));
      }
      WEFT_TRY(Skip());
      return true;
    }
    if (allow_func && t.kind == Token::Kind::Ident && !t.keyword) {
      item.kind = AstItem::Kind::Func;
      auto id = Next();
      if (!id.ok()) return id.error();
      item.name = id->text;
      WEFT_TRY(Expect(":"));
      WEFT_TRY(FuncType(item.func));
      WEFT_TRY(Expect(";"));
      return true;
    }
    return Unexpected(allow_func ? "a type definition, `use` or a function"
                                 : "a type definition or `use`");
  }

  Result<bool> ItemName(AstItem& item) {
    auto id = Id("a type name");
    if (!id.ok()) return id.error();
    item.name = id->text;
    item.pos = id->pos;
    return true;
  }

  Result<bool> FuncType(AstFunc& f) {
    f.pos = Peek().pos;
    if (Peek().IsKw("async")) {
      f.async = true;
      WEFT_TRY(Skip());
    }
    WEFT_TRY(ExpectKw("func"));
    WEFT_TRY(Params(f));
    if (Peek().Is("->")) {
      WEFT_TRY(Skip());
      if (Peek().Is("("))
        return Err(Peek().pos, "named or multiple results are not supported; "
                               "return one type");
      auto ty = Type(0);
      if (!ty.ok()) return ty.error();
      f.result = std::move(*ty);
    }
    return true;
  }

  Result<bool> Params(AstFunc& f) {
    WEFT_TRY(Expect("("));
    while (!Peek().Is(")")) {
      AstParam p;
      p.pos = Peek().pos;
      auto id = Id("a parameter name");
      if (!id.ok()) return id.error();
      p.name = id->text;
      WEFT_TRY(Expect(":"));
      auto ty = Type(0);
      if (!ty.ok()) return ty.error();
      p.type = std::move(*ty);
      f.params.push_back(std::move(p));
      if (!Peek().Is(",")) break;
      WEFT_TRY(Skip());
    }
    WEFT_TRY(Expect(")"));
    return true;
  }

  // --- types ---
  Result<AstType> Type(int depth) {
    if (depth > kMaxTypeDepth) return Err(Peek().pos, "type nested too deeply");
    AstType t;
    t.pos = Peek().pos;
    const Token& tok = Peek();
    if (tok.kind != Token::Kind::Ident) return Unexpected("a type");
    if (!tok.keyword) {
      if (auto k = PrimKind(tok.text);
          k && !tok.explicit_id && *k == ValKind::ErrorContext) {
        t.kind = AstType::Kind::Prim;
        t.prim = *k;
        WEFT_TRY(Skip());
        return t;
      }
      t.kind = AstType::Kind::Named;
      t.name = tok.text;
      WEFT_TRY(Skip());
      return t;
    }
    if (auto k = PrimKind(tok.text)) {
      t.kind = AstType::Kind::Prim;
      t.prim = *k;
      WEFT_TRY(Skip());
      return t;
    }
    std::string kw = tok.text;
    WEFT_TRY(Skip());
    auto arg = [&]() -> Result<bool> {
      auto a = Type(depth + 1);
      if (!a.ok()) return a.error();
      t.args.push_back(std::move(*a));
      return true;
    };
    if (kw == "list") {
      t.kind = AstType::Kind::List;
      WEFT_TRY(Expect("<"));
      WEFT_TRY(arg());
      if (Peek().Is(",")) {
        WEFT_TRY(Skip());
        if (Peek().kind != Token::Kind::Int) return Unexpected("a list length");
        auto n = Next();
        if (!n.ok()) return n.error();
        if (n->text.size() > 9 || n->text[0] == '0')
          return Err(n->pos, "a fixed list length must be 1 to 999999999");
        t.fixed_length = static_cast<uint32_t>(std::stoul(n->text));
      }
      WEFT_TRY(Expect(">"));
      return t;
    }
    if (kw == "option" || kw == "future" || kw == "stream") {
      t.kind = kw == "option"   ? AstType::Kind::Option
               : kw == "future" ? AstType::Kind::Future
                                : AstType::Kind::Stream;
      if (kw != "option" && !Peek().Is("<")) return t;
      WEFT_TRY(Expect("<"));
      WEFT_TRY(arg());
      WEFT_TRY(Expect(">"));
      return t;
    }
    if (kw == "tuple") {
      t.kind = AstType::Kind::Tuple;
      WEFT_TRY(Expect("<"));
      while (true) {
        WEFT_TRY(arg());
        if (!Peek().Is(",")) break;
        WEFT_TRY(Skip());
        if (Peek().Is(">")) break;
      }
      WEFT_TRY(Expect(">"));
      return t;
    }
    if (kw == "result") {
      t.kind = AstType::Kind::Result;
      if (!Peek().Is("<")) return t;
      WEFT_TRY(Skip());
      if (Peek().Is("_")) {
        WEFT_TRY(Skip());
        WEFT_TRY(Expect(","));
        t.has_err = true;
        WEFT_TRY(arg());
      } else {
        t.has_ok = true;
        WEFT_TRY(arg());
        if (Peek().Is(",")) {
          WEFT_TRY(Skip());
          if (Peek().Is("_"))
            return Err(Peek().pos, "`_` may only stand for the ok type; write "
                                   "`result<T>` for no error type");
          t.has_err = true;
          WEFT_TRY(arg());
        }
      }
      WEFT_TRY(Expect(">"));
      return t;
    }
    if (kw == "map") {
      t.kind = AstType::Kind::Map;
      WEFT_TRY(Expect("<"));
      WEFT_TRY(arg());
      WEFT_TRY(Expect(","));
      WEFT_TRY(arg());
      WEFT_TRY(Expect(">"));
      return t;
    }
    if (kw == "borrow" || kw == "own") {
      t.kind = kw == "borrow" ? AstType::Kind::Borrow : AstType::Kind::Own;
      WEFT_TRY(Expect("<"));
      auto id = Id("a resource name");
      if (!id.ok()) return id.error();
      t.name = id->text;
      WEFT_TRY(Expect(">"));
      return t;
    }
    return Err(t.pos, "expected a type, found keyword `" + kw + "`");
  }

  // --- worlds ---
  Result<bool> WorldBody(AstWorld& w) {
    WEFT_TRY(Expect("{"));
    while (!Peek().Is("}")) {
      if (Peek().kind == Token::Kind::End) return Unexpected("`}`");
      AstWorldItem item;
      WEFT_TRY(WorldItem(item));
      w.items.push_back(std::move(item));
    }
    WEFT_TRY(Skip());
    return true;
  }

  Result<bool> WorldItem(AstWorldItem& item) {
    item.docs = Peek().docs;
    if (AtTypedef() || Peek().Is("@")) {
      // Gates are parsed once, by whichever item follows them.
      auto gate = Gates();
      if (!gate.ok()) return gate.error();
      item.gate = *gate;
      if (AtTypedef()) {
        item.kind = AstWorldItem::Kind::Type;
        item.pos = Peek().pos;
        WEFT_TRY(InterfaceItem(item.type, /*allow_func=*/false));
        item.type.gate = item.gate;
        item.type.docs = item.docs;
        return true;
      }
    }
    item.pos = Peek().pos;
    if (Peek().IsKw("include")) {
      item.kind = AstWorldItem::Kind::Include;
      WEFT_TRY(Skip());
      auto path = Path();
      if (!path.ok()) return path.error();
      item.path = std::move(*path);
      if (Peek().IsKw("with")) {
        WEFT_TRY(Skip());
        WEFT_TRY(Expect("{"));
        while (!Peek().Is("}")) {
          AstUseName n;
          n.pos = Peek().pos;
          auto from = Id();
          if (!from.ok()) return from.error();
          WEFT_TRY(ExpectKw("as"));
          auto to = Id();
          if (!to.ok()) return to.error();
          n.name = from->text;
          n.as = to->text;
          item.with.push_back(std::move(n));
          if (!Peek().Is(",")) break;
          WEFT_TRY(Skip());
        }
        WEFT_TRY(Expect("}"));
      }
      WEFT_TRY(Expect(";"));
      return true;
    }
    if (!Peek().IsKw("import") && !Peek().IsKw("export"))
      return Unexpected("`import`, `export`, `include`, `use` or a type");
    item.kind = Peek().IsKw("import") ? AstWorldItem::Kind::Import
                                      : AstWorldItem::Kind::Export;
    WEFT_TRY(Skip());
    Token first = tok_;
    auto id = Id("an import or export name");
    if (!id.ok()) return id.error();
    if (Peek().Is(":")) {
      Token colon = tok_;
      bool tight = colon.begin == id->end;
      WEFT_TRY(Skip());
      bool tight_after =
          tight && tok_.begin == colon.end && tok_.kind == Token::Kind::Ident;
      if (tight_after && !tok_.IsKw("func") && !tok_.IsKw("interface") &&
          !tok_.IsKw("async")) {
        // `ns:pkg/iface`: an interface by its package path.
        item.ext = AstWorldItem::Extern::Path;
        item.path.pos = first.pos;
        item.path.qualified = true;
        item.path.ns = id->text;
        auto pkg = Id("a package name");
        if (!pkg.ok()) return pkg.error();
        item.path.pkg = pkg->text;
        WEFT_TRY(Expect("/"));
        auto name = Id("an interface name");
        if (!name.ok()) return name.error();
        item.path.name = name->text;
        if (Peek().Is("@")) {
          WEFT_TRY(Skip());
          auto v = Version();
          if (!v.ok()) return v.error();
          item.path.version = *v;
        }
        WEFT_TRY(Expect(";"));
        return true;
      }
      item.name = id->text;
      if (Peek().IsKw("func") || Peek().IsKw("async")) {
        item.ext = AstWorldItem::Extern::Func;
        WEFT_TRY(FuncType(item.func));
        WEFT_TRY(Expect(";"));
        return true;
      }
      if (Peek().IsKw("interface")) {
        item.ext = AstWorldItem::Extern::Inline;
        item.inline_iface.pos = Peek().pos;
        WEFT_TRY(Skip());
        WEFT_TRY(InterfaceBody(item.inline_iface));
        return true;
      }
      item.ext = AstWorldItem::Extern::Path;
      auto path = Path();
      if (!path.ok()) return path.error();
      item.path = std::move(*path);
      WEFT_TRY(Expect(";"));
      return true;
    }
    item.ext = AstWorldItem::Extern::Path;
    item.path.pos = id->pos;
    item.path.name = id->text;
    WEFT_TRY(Expect(";"));
    return true;
  }

  Lexer lex_;
  size_t at_ = 0;
  Pos pos_;
  Token tok_;
};

} // namespace

Result<AstFile> ParseFile(std::string_view text, std::string_view file_name) {
  Parser p(text, file_name);
  return p.File();
}

} // namespace weft::component::wit::detail
