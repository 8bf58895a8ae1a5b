// Our own loader for the compiled tier's code: links the ELF x86-64
// relocatable objects LLVM emits for one module (one per partition, see
// compile.h) into one private mapping of the process, the way `ld` and
// `ld.so` would but for exactly this kind of code, with no dynamic linker
// and no LLVM involved:
//  - the allocated sections are copied into one anonymous mapping: code,
//    then read-only data, then writable data (each page-aligned);
//  - symbols are resolved against every object of the set first (calls
//    between partitions), then against a name table (the weft_rt_* helpers
//    and the few libc/libm functions LLVM may call: memcpy, fmod, ...);
//  - the relocations LLVM emits for position-independent x86-64 code are
//    applied (64, PC32, PLT32, GOTPCREL[X], REX_GOTPCRELX, PC64, 32/32S,
//    GOTPC32/64, GOTOFF64); a call or PC-relative reference to a far symbol
//    (the helpers live in the weft executable, gigabytes away) goes through
//    a 16-byte stub `jmp *[rip]` in the mapping, a GOT reference through an
//    8-byte slot in its read-only part, both within +-2 GiB of the code;
//  - then code becomes read+execute, read-only data read-only.
// Every offset, index and size read from an object is checked against the
// object first: a damaged object is an Error, never a wild write. .eh_frame
// is not loaded (nothing unwinds through generated code).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/runtime.h"

namespace weft::native {

struct ExternalSymbol {
  const char* name;
  void* addr;
};

// The linked code of one module: owns the mapping.
class LoadedCode {
public:
  LoadedCode() = default;
  LoadedCode(const LoadedCode&) = delete;
  LoadedCode& operator=(const LoadedCode&) = delete;
  ~LoadedCode();

  uint8_t* base = nullptr;
  size_t size = 0;
  size_t relocations = 0; // applied
  size_t stubs = 0;
  size_t got_slots = 0;
};

struct LinkedObjects {
  std::shared_ptr<LoadedCode> code;
  // Global symbols defined by the objects. The keys point into the objects'
  // bytes: valid only while those are.
  std::unordered_map<std::string_view, uintptr_t> symbols;
};

// Links `objects` (resolving what they leave undefined in `externals`).
Result<LinkedObjects>
LinkObjects(std::span<const std::span<const uint8_t>> objects,
            std::span<const ExternalSymbol> externals);

// The helpers and libc/libm functions compiled code may reference.
std::span<const ExternalSymbol> RuntimeSymbols();

// The compiled tier's CompiledModule for `module` from its objects: links
// them and finds the entry `e<i>` of every defined function.
Result<std::shared_ptr<const CompiledModule>>
LoadNativeModule(Module module,
                 std::span<const std::span<const uint8_t>> objects);

} // namespace weft::native
