// Small ASCII helpers for HTTP field names (case-insensitive by RFC 9110),
// shared by the outbound client and the WAGI mapping.
#pragma once

#include <cctype>
#include <string_view>

namespace weft::caps {

// Whether `a` and `b` are equal ignoring ASCII case.
inline bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

} // namespace weft::caps
