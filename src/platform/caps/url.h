// Minimal absolute-URL parsing for outbound HTTP and its allow-list:
// scheme://host[:port][/path?query]. No userinfo, no IPv6 literals yet.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace weft::caps {

struct Url {
  std::string scheme; // lower-case
  std::string host;   // lower-case
  uint16_t port = 0;  // filled in from the scheme when absent
  std::string target; // path + query, "/" when empty
};

// False for anything not of the form above (including "user@host" and
// ports outside 1..65535).
bool ParseUrl(std::string_view text, Url* out);

} // namespace weft::caps
