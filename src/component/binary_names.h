// Internal to the component layer: the syntax of component-model names
// (Explainer.md, "Import and Export Definitions"), shared by the decoder and
// the validator. Each returns an empty string when the name is valid, or why
// it is not.
#pragma once

#include <string>
#include <string_view>

namespace weft::component::names {

// label ::= first-fragment ('-' fragment)*: kebab-case, each fragment all
// lowercase (`[a-z][0-9a-z]*`) or all uppercase, the first starting with a
// letter.
bool IsLabel(std::string_view s);

// semver 2.0.0: MAJOR.MINOR.PATCH, optional -prerelease and +build, no
// leading zeros in numeric parts.
bool IsSemver(std::string_view s);

// An import/export name: a plain name (label, "[constructor]r",
// "[method]r.m", "[static]r.m") or an interface name
// ("ns:pkg/iface@1.2.3"). Returns "" when valid, else the reason.
std::string CheckExternName(std::string_view s);

// True when the name is an interface name (has a ':').
inline bool IsInterfaceName(std::string_view s) {
  return s.find(':') != std::string_view::npos;
}

} // namespace weft::component::names
