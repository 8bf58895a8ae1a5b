// Compiled-module artifacts (`.cwasm`, and the entries of the compile
// cache): the native code of one module plus what it takes to check it and
// to instantiate it without the original module or LLVM.
//
// Layout (little-endian; docs/compiled-tier.md, "Artifacts"):
//   0  magic "\0WEFTAOT"
//   8  u32 format version (kArtifactFormat)   12 u32 0
//   16 u64 file size                           24 u64 checksum of [32, size)
//   32 fields, each a u64 length + bytes padded to 8, in this order:
//      weft version (with the build id of the executable), target triple,
//      CPU name, CPU features (LLVM's names), host CPUID words
//      (native/cpu.h), compile options, SHA-256 of the wasm module, the
//      metadata module, the code image (native/loader.h: the objects
//      prelinked into one position-independent image + its fixups).
// The metadata module is the wasm module with every custom section dropped
// and every function body replaced by `unreachable`: enough to instantiate
// (types, imports, tables, memories, globals, exports, segments) and cheap
// to decode and validate. The checksum is a fast 64-bit hash (not a MAC:
// an artifact is native code, trusted like a shared library).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "native/cpu.h"
#include "native/sha256.h"
#include "runtime/runtime.h"

namespace weft::native {

inline constexpr uint32_t kArtifactFormat = 2;
// Starts with NUL like a binary module, so nothing takes it for the text
// format.
inline constexpr char kArtifactMagic[8] = {'\0', 'W', 'E', 'F',
                                           'T',  'A', 'O', 'T'};

// What the compiler produced for one module (compile.h).
struct NativeCode {
  std::string triple, cpu, cpu_features; // as LLVM names them
  std::vector<std::vector<uint8_t>> objects;
};

// WEFT_VERSION plus the GNU build id of the executable holding this code:
// compiled code is only ever run by the build that can have made it.
const std::string& WeftBuildVersion();

// Whether `bytes` starts with the artifact magic (a .cwasm, not a module).
bool IsArtifact(std::span<const uint8_t> bytes);

// The metadata module of a valid `wasm` module (see above).
Result<std::vector<uint8_t>> MetaModule(std::span<const uint8_t> wasm);

Result<std::vector<uint8_t>> WriteArtifact(std::span<const uint8_t> wasm,
                                           const Sha256Digest& wasm_sha,
                                           const NativeCode& code,
                                           const std::string& options);

struct ArtifactInfo {
  std::string weft_version, triple, cpu, cpu_features, options;
  CpuFeatures built_on;
  Sha256Digest wasm_sha{};
  std::span<const uint8_t> meta;
  std::span<const uint8_t> image; // SerializeImage's blob
};

// Parses and checks an artifact: magic, format, size, checksum, weft
// version, CPU and (unless `options` is null) compile options. Errors start
// with "invalid compiled module: " and say what to do.
Result<ArtifactInfo> ReadArtifact(std::span<const uint8_t> bytes,
                                  const std::string* options);

// ReadArtifact, then decode + validate the metadata module and map the
// image (loader.h). Nothing is executed before every check passed. With
// `fd` (the open artifact file, of which `bytes` is the whole content), the
// code is mapped from the file instead of copied.
Result<std::shared_ptr<const CompiledModule>>
LoadArtifact(std::span<const uint8_t> bytes, const std::string* options,
             int fd = -1);

// Opens, maps and loads an artifact file (the compile cache, `weft run
// FILE.cwasm`). Errors name no path (callers add it).
Result<std::shared_ptr<const CompiledModule>>
LoadArtifactFile(const std::string& path, const std::string* options);

// The checksum stored at offset 24.
uint64_t Checksum64(std::span<const uint8_t> bytes);

} // namespace weft::native
