// Compiled components (`weft compile X.component.wasm` -> X.component.cwasm):
// the component itself plus one artifact (native/artifact.h) per core
// module, so `weft run` loads every core module's code without LLVM.
//
// Layout (little-endian):
//   0  magic "\0WEFTCMP"      8 u32 format (1)      12 u32 core module count
//   16 u64 component size, then the component's bytes, padded to 8
//   then per core module (in binary order, nested components included):
//      u64 artifact size, then the artifact, padded to 8
// Each artifact carries the SHA-256 of its core module, checked against the
// component's own core module when loaded; each has its own checksum.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "component/linker.h"
#include "runtime/runtime.h"
#include "wasm/result.h"

namespace weft::cli {

bool IsComponentArtifact(std::span<const uint8_t> bytes);

Result<std::vector<uint8_t>>
WriteComponentArtifact(std::span<const uint8_t> component,
                       const std::vector<std::vector<uint8_t>>& artifacts);

struct ComponentArtifact {
  std::span<const uint8_t> component;
  std::vector<std::span<const uint8_t>> artifacts;
};
// Parses the container (sizes within the file; nothing else checked).
Result<ComponentArtifact> ReadComponentArtifact(std::span<const uint8_t> bytes);

// A CompileCoreFn that loads each core module's code from `artifact`
// (matched by the module's SHA-256), refusing a module it has no code for.
component::CompileCoreFn LoadFromComponentArtifact(const ComponentArtifact& a);

} // namespace weft::cli
