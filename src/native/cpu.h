// The host CPU as far as compiled code cares: the vendor and the CPUID
// feature words (plus the OS-enabled register state, XCR0), read without
// LLVM. An artifact records the words of the machine that compiled it; it
// runs only where every one of its feature bits is present.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace weft::native {

struct CpuFeatures {
  // 0-2 vendor string; 3 leaf 1 ECX; 4 leaf 1 EDX; 5-7 leaf 7.0 EBX/ECX/EDX;
  // 8 leaf 7.1 EAX; 9-10 leaf 0x80000001 ECX/EDX; 11 XCR0 low.
  std::array<uint32_t, 12> words{};
  bool operator==(const CpuFeatures&) const = default;
};

// Read once per process.
const CpuFeatures& HostCpu();

// Code compiled on `built` runs on `host`: same vendor, and no feature bit
// of `built` missing on `host`.
bool CpuCompatible(const CpuFeatures& built, const CpuFeatures& host);

// "GenuineIntel 7ffafbff:bfebfbff:..." (for messages and keys).
std::string CpuFeaturesText(const CpuFeatures& c);

} // namespace weft::native
