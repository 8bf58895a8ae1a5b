// Bounds-checked access to the calling instance's linear memory. Every guest
// pointer and length goes through here: a range that does not lie entirely
// inside the memory is refused (the caller returns errno `fault`), so a
// guest can never make the host read or write outside its own memory.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace weft::wasi {

static_assert(std::endian::native == std::endian::little,
              "guest memory is little-endian; a big-endian host needs swaps");

class GuestMemory {
public:
  GuestMemory() = default;
  GuestMemory(uint8_t* base, uint64_t size) : base_(base), size_(size) {}

  uint64_t size() const { return size_; }

  // True when [ptr, ptr+len) lies inside the memory (64-bit math: no wrap).
  bool Contains(uint32_t ptr, uint64_t len) const {
    return base_ != nullptr && uint64_t{ptr} <= size_ &&
           len <= size_ - uint64_t{ptr};
  }
  // Host pointer to a checked range, or nullptr. A zero-length range at the
  // end of memory is valid.
  uint8_t* Span(uint32_t ptr, uint64_t len) const {
    return Contains(ptr, len) ? base_ + ptr : nullptr;
  }

  template <typename T> bool Load(uint32_t ptr, T* out) const {
    const uint8_t* p = Span(ptr, sizeof(T));
    if (!p) return false;
    std::memcpy(out, p, sizeof(T));
    return true;
  }
  template <typename T> bool Store(uint32_t ptr, T value) const {
    uint8_t* p = Span(ptr, sizeof(T));
    if (!p) return false;
    std::memcpy(p, &value, sizeof(T));
    return true;
  }
  // Copies bytes into guest memory.
  bool Write(uint32_t ptr, const void* src, uint64_t len) const {
    uint8_t* p = Span(ptr, len);
    if (!p) return false;
    if (len) std::memcpy(p, src, len);
    return true;
  }
  // A guest string given as (ptr, len); not NUL-terminated.
  bool String(uint32_t ptr, uint32_t len, std::string_view* out) const {
    const uint8_t* p = Span(ptr, len);
    if (!p) return false;
    *out = std::string_view(reinterpret_cast<const char*>(p), len);
    return true;
  }

private:
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
};

} // namespace weft::wasi
