#include "cli/component_artifact.h"

#include <cstring>
#include <optional>

#include "cli/tier.h"
#include "native/artifact.h"
#include "native/sha256.h"

namespace weft::cli {
namespace {

constexpr char kMagic[8] = {'\0', 'W', 'E', 'F', 'T', 'C', 'M', 'P'};
constexpr uint32_t kFormat = 1;

void PutU32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutU64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutBlob(std::vector<uint8_t>& out, std::span<const uint8_t> b) {
  PutU64(out, b.size());
  out.insert(out.end(), b.begin(), b.end());
  while (out.size() % 8)
    out.push_back(0);
}

Error Bad(const std::string& what) {
  return Error{"invalid compiled component: " + what, kNoOffset, {}};
}

} // namespace

bool IsComponentArtifact(std::span<const uint8_t> bytes) {
  return bytes.size() >= 8 && std::memcmp(bytes.data(), kMagic, 8) == 0;
}

Result<std::vector<uint8_t>>
WriteComponentArtifact(std::span<const uint8_t> component,
                       const std::vector<std::vector<uint8_t>>& artifacts) {
  std::vector<uint8_t> out(kMagic, kMagic + 8);
  PutU32(out, kFormat);
  PutU32(out, static_cast<uint32_t>(artifacts.size()));
  PutBlob(out, component);
  for (const auto& a : artifacts)
    PutBlob(out, a);
  return out;
}

Result<ComponentArtifact>
ReadComponentArtifact(std::span<const uint8_t> bytes) {
  if (!IsComponentArtifact(bytes)) return Bad("no weft component header");
  if (bytes.size() < 16) return Bad("truncated");
  auto u32 = [&](size_t at) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v |= uint32_t{bytes[at + i]} << (8 * i);
    return v;
  };
  if (u32(8) != kFormat)
    return Bad("format " + std::to_string(u32(8)) + " (this weft reads " +
               std::to_string(kFormat) + "; compile it again)");
  const uint32_t count = u32(12);
  size_t pos = 16;
  auto blob = [&](std::span<const uint8_t>& out) -> bool {
    if (bytes.size() - pos < 8) return false;
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i)
      n |= uint64_t{bytes[pos + i]} << (8 * i);
    pos += 8;
    if (n > bytes.size() - pos) return false;
    out = bytes.subspan(pos, n);
    pos += n;
    pos += (8 - pos % 8) % 8;
    if (pos > bytes.size()) pos = bytes.size();
    return true;
  };
  ComponentArtifact a;
  if (!blob(a.component)) return Bad("truncated");
  // Each artifact takes at least 8 bytes: a count past that is a lie.
  if (count > (bytes.size() - pos) / 8) return Bad("truncated");
  for (uint32_t i = 0; i < count; ++i) {
    std::span<const uint8_t> s;
    if (!blob(s)) return Bad("truncated");
    a.artifacts.push_back(s);
  }
  if (pos != bytes.size()) return Bad("trailing bytes");
  return a;
}

component::CompileCoreFn LoadFromComponentArtifact(const ComponentArtifact& a) {
  return [a](std::span<const uint8_t> core)
             -> Result<std::shared_ptr<const CompiledModule>> {
    const native::Sha256Digest want = native::Sha256Of(core);
    std::optional<Error> first;
    for (std::span<const uint8_t> art : a.artifacts) {
      auto info = native::ReadArtifact(art, nullptr);
      if (!info) {
        // A damaged or foreign artifact: say why, not just "missing".
        if (!first) first = info.error();
        continue;
      }
      if (info->wasm_sha == want) return LoadArtifactBytes(art);
    }
    if (first) return *first;
    return Bad("no compiled code for one of its core modules");
  };
}

} // namespace weft::cli
