// Internal to the component linker: matching a component's imports against
// a HostLinker (linker_imports.cpp), shared by InstantiateComponent and
// CheckImports.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "component/binary.h"
#include "component/host.h"

namespace weft::component::linking {

// How one root import is satisfied by the host.
struct HostImport {
  uint32_t def = 0; // index in the root scope's definitions
  const HostInterface* iface = nullptr;
};

struct HostBindings {
  std::vector<HostImport> imports;
  // Each of the component's resource types (TypeArena::resources of the
  // component) that an import binds to a host resource -> the host's
  // resource (the host arena's index).
  std::map<uint32_t, uint32_t> resources;
};

// Resolves every import of the root component by interface name (semver
// within 0.2.x) and checks the type of every function, value type and
// resource its instance type names against the host's WIT. The first
// mismatch is the error: "import `wasi:io/streams@0.2.12`: function
// `[method]output-stream.write` has type (...) but the host provides (...)".
Result<HostBindings> BindHostImports(const ValidatedComponent& component,
                                     const HostLinker& host);

} // namespace weft::component::linking
