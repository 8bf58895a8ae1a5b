#include "component/binary_names.h"

namespace weft::component::names {
namespace {

bool Lower(char c) { return c >= 'a' && c <= 'z'; }
bool Upper(char c) { return c >= 'A' && c <= 'Z'; }
bool Digit(char c) { return c >= '0' && c <= '9'; }

// One fragment of a label: all [0-9a-z] or all [0-9A-Z], not empty; the
// first fragment starts with a letter.
bool IsFragment(std::string_view f, bool first) {
  if (f.empty()) return false;
  if (first && !Lower(f[0]) && !Upper(f[0])) return false;
  bool lower = false, upper = false;
  for (char c : f) {
    if (Lower(c))
      lower = true;
    else if (Upper(c))
      upper = true;
    else if (!Digit(c))
      return false;
  }
  return !(lower && upper);
}

// words ::= first-word ('-' word)*: lowercase only.
bool IsWords(std::string_view s) {
  if (s.empty() || !Lower(s[0])) return false;
  size_t start = 0;
  while (true) {
    size_t dash = s.find('-', start);
    std::string_view w =
        s.substr(start, dash == std::string_view::npos ? std::string_view::npos
                                                       : dash - start);
    if (w.empty()) return false;
    for (char c : w)
      if (!Lower(c) && !Digit(c)) return false;
    if (dash == std::string_view::npos) return true;
    start = dash + 1;
  }
}

bool IsNumeric(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!Digit(c)) return false;
  return s.size() == 1 || s[0] != '0';
}

// Dot-separated identifiers of [0-9A-Za-z-]; numeric ones without leading
// zeros when `numeric_rule`.
bool IsIdents(std::string_view s, bool numeric_rule) {
  if (s.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view id =
        s.substr(start, dot == std::string_view::npos ? std::string_view::npos
                                                      : dot - start);
    if (id.empty()) return false;
    bool all_digits = true;
    for (char c : id) {
      if (Digit(c)) continue;
      all_digits = false;
      if (!Lower(c) && !Upper(c) && c != '-') return false;
    }
    if (numeric_rule && all_digits && id.size() > 1 && id[0] == '0')
      return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

} // namespace

bool IsLabel(std::string_view s) {
  if (s.empty()) return false;
  size_t start = 0;
  bool first = true;
  while (true) {
    size_t dash = s.find('-', start);
    std::string_view f =
        s.substr(start, dash == std::string_view::npos ? std::string_view::npos
                                                       : dash - start);
    if (!IsFragment(f, first)) return false;
    if (dash == std::string_view::npos) return true;
    start = dash + 1;
    first = false;
  }
}

bool IsSemver(std::string_view s) {
  size_t plus = s.find('+');
  if (plus != std::string_view::npos) {
    if (!IsIdents(s.substr(plus + 1), false)) return false;
    s = s.substr(0, plus);
  }
  size_t dash = s.find('-');
  if (dash != std::string_view::npos) {
    if (!IsIdents(s.substr(dash + 1), true)) return false;
    s = s.substr(0, dash);
  }
  size_t d1 = s.find('.');
  if (d1 == std::string_view::npos) return false;
  size_t d2 = s.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return false;
  return IsNumeric(s.substr(0, d1)) &&
         IsNumeric(s.substr(d1 + 1, d2 - d1 - 1)) &&
         IsNumeric(s.substr(d2 + 1));
}

std::string CheckExternName(std::string_view s) {
  if (IsInterfaceName(s)) {
    // ns:pkg/iface@version
    size_t colon = s.find(':');
    if (!IsWords(s.substr(0, colon))) return "bad namespace";
    std::string_view rest = s.substr(colon + 1);
    size_t at = rest.find('@');
    std::string_view path = rest.substr(0, at);
    if (at != std::string_view::npos && !IsSemver(rest.substr(at + 1))) {
      return "bad version";
    }
    size_t slash = path.find('/');
    if (slash == std::string_view::npos) return "missing /interface";
    if (!IsWords(path.substr(0, slash))) return "bad package name";
    if (!IsLabel(path.substr(slash + 1))) return "bad interface name";
    return "";
  }
  auto two_labels = [](std::string_view rest) {
    size_t dot = rest.find('.');
    return dot != std::string_view::npos && IsLabel(rest.substr(0, dot)) &&
           IsLabel(rest.substr(dot + 1));
  };
  if (s.starts_with("[constructor]")) {
    return IsLabel(s.substr(13)) ? "" : "bad [constructor] name";
  }
  if (s.starts_with("[method]")) {
    return two_labels(s.substr(8)) ? "" : "bad [method] name";
  }
  if (s.starts_with("[static]")) {
    return two_labels(s.substr(8)) ? "" : "bad [static] name";
  }
  return IsLabel(s) ? "" : "not a kebab-case label";
}

} // namespace weft::component::names
