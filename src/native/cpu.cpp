#include "native/cpu.h"

#include <cpuid.h>

#include <cstdio>
#include <cstring>

namespace weft::native {
namespace {

// Each CPUID is a VM exit under a hypervisor (microseconds each), and this
// runs at every start-up: every leaf is asked once, with the raw
// instruction once the maximum leaves are known (__get_cpuid would ask
// for the maximum again each time).
CpuFeatures ReadCpu() {
  CpuFeatures c;
  unsigned a = 0, b = 0, cx = 0, d = 0;
  if (__get_cpuid_max(0, nullptr) == 0) return c;
  __cpuid(0, a, b, cx, d);
  const unsigned max_leaf = a;
  c.words[0] = b; // "Genu" "ineI" "ntel": EBX, EDX, ECX
  c.words[1] = d;
  c.words[2] = cx;
  if (max_leaf >= 1) {
    __cpuid(1, a, b, cx, d);
    c.words[3] = cx;
    c.words[4] = d;
  }
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, cx, d);
    c.words[5] = b;
    c.words[6] = cx;
    c.words[7] = d;
    const unsigned sub = a;
    if (sub >= 1) {
      __cpuid_count(7, 1, a, b, cx, d);
      c.words[8] = a;
    }
  }
  if (__get_cpuid_max(0x80000000u, nullptr) >= 0x80000001u) {
    __cpuid(0x80000001u, a, b, cx, d);
    c.words[9] = cx;
    c.words[10] = d;
  }
  if (c.words[3] & (1u << 27)) { // OSXSAVE: XGETBV is available
    uint32_t lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    c.words[11] = lo;
  }
  return c;
}

} // namespace

const CpuFeatures& HostCpu() {
  static const CpuFeatures c = ReadCpu();
  return c;
}

bool CpuCompatible(const CpuFeatures& built, const CpuFeatures& host) {
  for (int i = 0; i < 3; ++i)
    if (built.words[i] != host.words[i]) return false;
  for (size_t i = 3; i < built.words.size(); ++i)
    if ((built.words[i] & ~host.words[i]) != 0) return false;
  return true;
}

std::string CpuFeaturesText(const CpuFeatures& c) {
  char vendor[13];
  std::memcpy(vendor, &c.words[0], 4);
  std::memcpy(vendor + 4, &c.words[1], 4);
  std::memcpy(vendor + 8, &c.words[2], 4);
  vendor[12] = 0;
  for (char& ch : vendor)
    if (ch != 0 && (ch < 32 || ch > 126)) ch = '?';
  std::string s = vendor;
  for (size_t i = 3; i < c.words.size(); ++i) {
    char w[10];
    std::snprintf(w, sizeof w, "%c%08x", i == 3 ? ' ' : ':', c.words[i]);
    s += w;
  }
  return s;
}

} // namespace weft::native
