// Linear memory: one reservation of address space per memory, committed page
// by page as the memory grows, so the base never moves and tiers may cache it.
#include <sys/mman.h>
#include <unistd.h>

#include "runtime/store_impl.h"

namespace weft {
namespace {

// 4 GiB of addressable memory plus 4 GiB of guard: any 32-bit address plus
// any 32-bit offset stays inside the reservation, so a compiled tier may
// rely on the guard instead of explicit checks. Costs address space only.
constexpr uint64_t kReserveBytes = 8ull << 30;

} // namespace

MemoryImage::~MemoryImage() {
  if (fd >= 0) close(fd);
}

std::unique_ptr<MemoryImpl> MemoryImpl::Create(const MemoryType& type,
                                               std::optional<uint64_t> cap,
                                               const MemoryImage* image) {
  std::unique_ptr<MemoryImpl> m(new MemoryImpl());
  m->max_pages = type.limits.max;
  uint64_t max_pages = std::min(type.limits.max.value_or(kMaxPages), kMaxPages);
  if (cap) max_pages = std::min(max_pages, *cap / kPageSize);
  m->page_limit_ = max_pages;
  if (type.limits.min > max_pages) return nullptr;
  uint64_t reserve = kReserveBytes;
  void* p = mmap(nullptr, reserve, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    // Address space is limited (ulimit -v): reserve only what may be used.
    reserve = std::max<uint64_t>(max_pages * kPageSize, kPageSize);
    p = mmap(nullptr, reserve, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return nullptr;
  }
  m->base = static_cast<uint8_t*>(p);
  m->reserved_ = reserve;
  const uint64_t bytes = type.limits.min * kPageSize;
  uint64_t mapped = 0;
  if (image != nullptr && image->size <= bytes) {
    void* q = mmap(m->base, image->size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_FIXED, image->fd, 0);
    if (q == MAP_FAILED) return nullptr;
    mapped = image->size;
  }
  if (bytes > mapped &&
      mprotect(m->base + mapped, bytes - mapped, PROT_READ | PROT_WRITE) != 0)
    return nullptr;
  m->size = bytes;
  return m;
}

MemoryImpl::~MemoryImpl() {
  if (base != nullptr && reserved_ != 0) munmap(base, reserved_);
}

MemoryType MemoryImpl::type() const {
  MemoryType t;
  t.limits.min = size / kPageSize;
  t.limits.max = max_pages;
  return t;
}

std::optional<uint64_t> MemoryImpl::Grow(uint64_t delta_pages) {
  const uint64_t old_pages = size / kPageSize;
  const uint64_t limit = page_limit_;
  if (delta_pages > limit || old_pages + delta_pages > limit)
    return std::nullopt;
  if (delta_pages == 0) return old_pages;
  const uint64_t new_size = (old_pages + delta_pages) * kPageSize;
  if (new_size > reserved_) return std::nullopt;
  if (mprotect(base + size, new_size - size, PROT_READ | PROT_WRITE) != 0)
    return std::nullopt;
  size = new_size;
  return old_pages;
}

MemoryImpl* EmptyMemory() {
  static MemoryImpl* empty = [] {
    MemoryType t;
    t.limits.max = 0;
    return MemoryImpl::Create(t).release();
  }();
  return empty;
}

} // namespace weft
