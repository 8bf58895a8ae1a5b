// Our own linker/loader for the compiled tier's code, in two halves:
//
// PrelinkObjects (when an artifact is written, or before an in-process
// load): links the ELF x86-64 relocatable objects LLVM emits for one module
// (one per partition, see compile.h) into one position-independent image,
// the way `ld` would but for exactly this kind of code:
//  - the allocated sections are laid out as code | read-only data + GOT |
//    writable data, each part a multiple of 4 KiB;
//  - symbols resolve against every object of the set first (calls between
//    partitions), then against a name table (RuntimeSymbols: the weft_rt_*
//    helpers and the few libc/libm functions LLVM may call);
//  - the relocations LLVM emits for position-independent x86-64 code are
//    applied (64, PC32, PLT32, PC64, GOTPCREL, GOTPCRELX, REX_GOTPCRELX,
//    GOTPCREL64, GOTPC32/64, GOTOFF64). A reference to a runtime symbol
//    goes through a 16-byte stub `jmp *[rip]; .quad addr` (calls) or an
//    8-byte GOT slot, one per symbol, both inside the image: what is left
//    is a short list of fixups (write the address of runtime symbol N here;
//    add the load address here).
// Every offset, index and size read from an object is checked first: a
// damaged object is an Error, never a wild write. .eh_frame is not loaded
// (nothing unwinds through generated code).
//
// LoadImage (every run): one mapping of the image (from the artifact file,
// copy-on-write, or a copy), the fixups (addresses of this process's helpers),
// then code read+execute and read-only data read-only. No symbol lookup, no
// relocation processing.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace weft::native {

struct ExternalSymbol {
  const char* name;
  void* addr;
};

// The helpers and libc/libm functions compiled code may reference.
std::span<const ExternalSymbol> RuntimeSymbols();

struct Image {
  static constexpr uint64_t kPage = 4096;
  enum FixupKind : uint32_t { kRelative = 0, kSymbol = 1 };
  struct Fixup {
    uint64_t offset; // of a 64-bit value in the image
    uint32_t kind;   // kRelative: += load address; kSymbol: += symbol address
    uint32_t symbol; // index in `externals`
  };
  std::vector<uint8_t> bytes; // code | read-only | writable
  uint64_t text_size = 0, ro_size = 0;
  std::vector<Fixup> fixups;
  std::vector<std::string> externals;
  std::vector<uint64_t> entries; // offset of e<i> per defined function
  size_t relocations = 0, stubs = 0, got_slots = 0; // statistics
};

// Links `objects` into an image whose entries are e0 .. e<num_entries-1>.
// Undefined symbols must be in `externals` (by name).
Result<Image> PrelinkObjects(std::span<const std::span<const uint8_t>> objects,
                             size_t num_entries,
                             std::span<const ExternalSymbol> externals);

// An image as stored in an artifact, and back (checked: sizes, fixups,
// entries; a damaged blob is an Error).
// `at` is the blob's offset in the file it goes into: the image bytes are
// placed at a multiple of 4 KiB there, so a loader can map them from the
// file instead of copying them.
std::vector<uint8_t> SerializeImage(const Image& image, uint64_t at = 0);
struct ImageView {
  std::span<const uint8_t> bytes;
  uint64_t text_size = 0, ro_size = 0;
  std::vector<Image::Fixup> fixups;
  std::vector<std::string> externals;
  std::vector<uint64_t> entries;
};
Result<ImageView> ParseImage(std::span<const uint8_t> blob);
ImageView ViewOf(const Image& image);

// The linked code of one module: owns the mapping.
class LoadedCode {
public:
  LoadedCode() = default;
  LoadedCode(const LoadedCode&) = delete;
  LoadedCode& operator=(const LoadedCode&) = delete;
  ~LoadedCode();

  uint8_t* base = nullptr;
  size_t size = 0;
};

// Where an image's bytes are in a file, when they are page-aligned there:
// LoadImage then maps them copy-on-write from the file (no copy; only the
// pages the fixups write become private, the code pages stay shared with
// the page cache and every other process running the same artifact).
struct ImageFile {
  int fd = -1;
  uint64_t offset = 0;
};

// Maps an image (see above); `entries` receives the address of each entry.
Result<std::shared_ptr<LoadedCode>> LoadImage(const ImageView& image,
                                              std::vector<void*>& entries,
                                              const ImageFile* file = nullptr);

// The compiled tier's CompiledModule for `module` from its image.
Result<std::shared_ptr<const CompiledModule>>
LoadNativeModule(Module module, const ImageView& image,
                 const ImageFile* file = nullptr);
// From objects: PrelinkObjects with RuntimeSymbols, then the above.
Result<std::shared_ptr<const CompiledModule>>
LoadNativeModule(Module module,
                 std::span<const std::span<const uint8_t>> objects);

} // namespace weft::native
