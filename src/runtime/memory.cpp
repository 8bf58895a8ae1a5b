// Linear memory: one reservation of address space per memory, committed page
// by page as the memory grows, so the base never moves and tiers may cache it.
// Reservations may come from a MemorySlotPool and go back to it, reset.
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <vector>

#include "runtime/sharded_counter.h"
#include "runtime/store_impl.h"

namespace weft {
namespace {

// 4 GiB of addressable memory plus 4 GiB of guard: any 32-bit address plus
// any 32-bit offset stays inside the reservation, so a compiled tier may
// rely on the guard instead of explicit checks. Costs address space only.
constexpr uint64_t kReserveBytes = 8ull << 30;

// A released memory of at most this many committed bytes, without an image,
// is reset by zeroing the pages it touched rather than dropping them: no
// TLB shoot-down to the other cores, no page faults when it is reused. Its
// touched pages stay resident while pooled, hence the second bound.
constexpr uint64_t kZeroScanMaxBytes = 16ull << 20;
constexpr uint64_t kZeroResidentMaxBytes = 128ull << 10;

ShardedCounter g_bytes_in_use; // every memory grow/reset on every thread
std::atomic<uint64_t> g_pooled_slots{0};

uint8_t* Reserve(uint64_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
}

// Maps `image` copy-on-write at base and makes [0, bytes) read-write, the
// rest of [0, rw_now) inaccessible. `rw_now`: bytes read-write before.
bool Commit(uint8_t* base, uint64_t bytes, uint64_t rw_now,
            const MemoryImage* image) {
  uint64_t mapped = 0;
  if (image != nullptr) {
    void* q = mmap(base, image->size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_FIXED, image->fd, 0);
    if (q == MAP_FAILED) return false;
    mapped = image->size;
  }
  const uint64_t from = std::max(mapped, std::min(rw_now, bytes));
  if (bytes > from &&
      mprotect(base + from, bytes - from, PROT_READ | PROT_WRITE) != 0)
    return false;
  if (rw_now > bytes && mprotect(base + bytes, rw_now - bytes, PROT_NONE) != 0)
    return false;
  return true;
}

} // namespace

uint64_t MemoryImage::NextId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

MemoryImage::~MemoryImage() {
  if (fd >= 0) close(fd);
}

uint64_t LinearMemoryBytesInUse() {
  return static_cast<uint64_t>(g_bytes_in_use.Sum());
}

uint64_t PooledMemorySlots() {
  return g_pooled_slots.load(std::memory_order_relaxed);
}

MemorySlotPool::MemorySlotPool(size_t max_slots) : max_(max_slots) {}

MemorySlotPool::~MemorySlotPool() {
  for (const Slot& s : free_)
    munmap(s.base, kReserveBytes);
  g_pooled_slots.fetch_sub(free_.size(), std::memory_order_relaxed);
}

std::optional<MemorySlotPool::Slot>
MemorySlotPool::Take(uint64_t bytes, const MemoryImage* image) {
  if (free_.empty()) return std::nullopt;
  Slot s = free_.back();
  free_.pop_back();
  g_pooled_slots.fetch_sub(1, std::memory_order_relaxed);
  const uint64_t want_id = image ? image->id : 0;
  bool ok = true;
  if (s.image_id != want_id) {
    if (s.image_id != 0) {
      // Another image (or none wanted): back to a clean anonymous range.
      void* q =
          mmap(s.base, s.rw_bytes, PROT_NONE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
      ok = q != MAP_FAILED;
      s.rw_bytes = 0;
    }
    ok = ok && Commit(s.base, bytes, s.rw_bytes, image);
    s.image_id = want_id;
    s.image_size = image ? image->size : 0;
  } else {
    ok = Commit(s.base, bytes, s.rw_bytes, nullptr);
  }
  if (!ok) {
    munmap(s.base, kReserveBytes);
    return std::nullopt;
  }
  s.rw_bytes = bytes;
  ++reuses_;
  return s;
}

// Whether the host has swap configured (then a page mincore reports as
// absent may be in swap rather than never touched). Asked at most once a
// second: sysinfo is a system call, and this is on every reset.
static bool SwapMayBeUsed() {
  static std::atomic<int64_t> checked_at{INT64_MIN};
  static std::atomic<bool> swap{true};
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  const int64_t now = ts.tv_sec;
  if (checked_at.load(std::memory_order_relaxed) != now) {
    struct sysinfo si {};
    swap.store(sysinfo(&si) != 0 || si.totalswap != 0,
               std::memory_order_relaxed);
    checked_at.store(now, std::memory_order_relaxed);
  }
  return swap.load(std::memory_order_relaxed);
}

// Zeroes the resident pages of [base, base + bytes) (anonymous memory) if
// they are few; false when they are not, or when a page may be in swap
// (mincore does not see it, so it would keep its contents).
static bool ZeroTouchedPages(uint8_t* base, uint64_t bytes) {
  if (bytes == 0) return true;
  if (bytes > kZeroScanMaxBytes || SwapMayBeUsed()) return false;
  static const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t pages = (bytes + page - 1) / page;
  thread_local std::vector<unsigned char> vec;
  vec.resize(pages);
  if (mincore(base, bytes, vec.data()) != 0) return false;
  uint64_t resident = 0;
  for (unsigned char v : vec)
    resident += v & 1;
  if (resident * page > kZeroResidentMaxBytes) return false;
  for (uint64_t i = 0; i < pages;) {
    if (!(vec[i] & 1)) {
      ++i;
      continue;
    }
    uint64_t j = i;
    while (j < pages && (vec[j] & 1))
      ++j;
    std::memset(base + i * page, 0, std::min(j * page, bytes) - i * page);
    i = j;
  }
  return true;
}

void MemorySlotPool::Give(Slot s) {
  // Resets every page the memory touched: anonymous pages read as zero
  // again (zeroed when few, else dropped), the image's as the image (its
  // copy-on-write copies dropped).
  if (free_.size() < max_ && s.image_id == 0 &&
      ZeroTouchedPages(s.base, s.rw_bytes)) {
    free_.push_back(s);
    g_pooled_slots.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (free_.size() >= max_ ||
      (s.rw_bytes != 0 && madvise(s.base, s.rw_bytes, MADV_DONTNEED) != 0)) {
    munmap(s.base, kReserveBytes);
    return;
  }
  free_.push_back(s);
  g_pooled_slots.fetch_add(1, std::memory_order_relaxed);
}

std::unique_ptr<MemoryImpl> MemoryImpl::Create(const MemoryType& type,
                                               std::optional<uint64_t> cap,
                                               const MemoryImage* image,
                                               MemorySlotPool* pool) {
  std::unique_ptr<MemoryImpl> m(new MemoryImpl());
  m->max_pages = type.limits.max;
  uint64_t max_pages = std::min(type.limits.max.value_or(kMaxPages), kMaxPages);
  if (cap) max_pages = std::min(max_pages, *cap / kPageSize);
  m->page_limit_ = max_pages;
  if (type.limits.min > max_pages) return nullptr;
  const uint64_t bytes = type.limits.min * kPageSize;
  if (image != nullptr && image->size > bytes) image = nullptr;
  if (pool != nullptr) {
    if (auto slot = pool->Take(bytes, image)) {
      m->base = slot->base;
      m->reserved_ = kReserveBytes;
      m->pool_ = pool;
      m->image_id_ = slot->image_id;
      m->image_size_ = slot->image_size;
      m->size = bytes;
      g_bytes_in_use.Add(static_cast<int64_t>(bytes));
      return m;
    }
  }
  uint64_t reserve = kReserveBytes;
  uint8_t* p = Reserve(reserve);
  if (p == nullptr) {
    // Address space is limited (ulimit -v): reserve only what may be used.
    reserve = std::max<uint64_t>(max_pages * kPageSize, kPageSize);
    p = Reserve(reserve);
    if (p == nullptr) return nullptr;
  }
  m->base = p;
  m->reserved_ = reserve;
  // Only full-size reservations go back to a pool.
  if (reserve == kReserveBytes) m->pool_ = pool;
  if (!Commit(m->base, bytes, 0, image)) return nullptr;
  if (image != nullptr) {
    m->image_id_ = image->id;
    m->image_size_ = image->size;
  }
  m->size = bytes;
  g_bytes_in_use.Add(static_cast<int64_t>(bytes));
  return m;
}

MemoryImpl::~MemoryImpl() {
  if (base == nullptr || reserved_ == 0) return;
  g_bytes_in_use.Add(-static_cast<int64_t>(size));
  if (pool_ != nullptr) {
    pool_->Give({base, size, image_id_, image_size_});
    return;
  }
  munmap(base, reserved_);
}

bool MemoryImpl::Reset(uint64_t bytes) {
  if (base == nullptr || reserved_ == 0 || bytes > size) return false;
  // Contents: an image's pages come back from the image (the private
  // copies are dropped), anonymous pages as zero.
  if (size != 0 && (image_id_ != 0 || !ZeroTouchedPages(base, size)) &&
      madvise(base, size, MADV_DONTNEED) != 0)
    return false;
  if (size > bytes) {
    if (mprotect(base + bytes, size - bytes, PROT_NONE) != 0) return false;
    g_bytes_in_use.Add(-static_cast<int64_t>(size - bytes));
    size = bytes;
  }
  return true;
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
  g_bytes_in_use.Add(static_cast<int64_t>(new_size - size));
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
