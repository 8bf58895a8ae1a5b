// Runtime internals shared by the runtime and the execution tiers. The
// embedding API (runtime.h) exposes only abstract classes; the concrete
// entities below are what tiers read on their hot paths (memory base and
// size, table elements, global storage), so their layout is plain data.
//
// A tier plugs in through TierModule: CompileModule returns one, and the
// runtime calls TierModule::Invoke to run a guest function. The runtime
// never includes a tier's headers.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/runtime.h"

namespace weft {

class InstanceImpl;
class FuncInstImpl;

// A module's initial memory contents (its active data segments applied to
// zeroed memory), kept in a memfd so every instance maps it copy-on-write
// instead of copying the bytes: instantiation then costs one mmap, and a
// page is copied only when an instance writes it.
struct MemoryImage {
  MemoryImage() = default;
  MemoryImage(const MemoryImage&) = delete;
  MemoryImage& operator=(const MemoryImage&) = delete;
  ~MemoryImage();
  int fd = -1;
  uint64_t size = 0; // bytes, a multiple of the host page size
  // Unique in the process (never reused, unlike the address): tells a
  // pooled memory slot whether this image is already mapped in it.
  const uint64_t id = NextId();

private:
  static uint64_t NextId();
};

class MemoryImpl;

// Memory reservations (slots) kept for reuse by the memories of Stores made
// one after another on one thread (a server worker): a memory takes a slot
// instead of mapping a new 8 GiB reservation, and its destruction resets the
// slot and gives it back instead of unmapping it (unmapping costs TLB
// shoot-downs to every core running the process and the mmap lock). Reset:
// madvise(MADV_DONTNEED) of the committed range (anonymous pages read as
// zero again, the pages of a copy-on-write image as the image again), so a
// reused slot holds nothing of the memory before it. Not thread-safe: one
// thread at a time, like a Store; it must outlive every Store using it
// (Store::Impl::memory_pool).
class MemorySlotPool {
public:
  // Keeps at most `max_slots` free slots (beyond, a released slot is
  // unmapped).
  explicit MemorySlotPool(size_t max_slots = 16);
  ~MemorySlotPool();
  MemorySlotPool(const MemorySlotPool&) = delete;
  MemorySlotPool& operator=(const MemorySlotPool&) = delete;

  size_t free_slots() const { return free_.size(); }
  // Slots taken (held by a live memory) and reused since creation.
  uint64_t reuses() const { return reuses_; }

private:
  friend class MemoryImpl;
  struct Slot {
    uint8_t* base = nullptr;
    uint64_t rw_bytes = 0;   // [0, rw_bytes) is read-write, beyond PROT_NONE
    uint64_t image_id = 0;   // MemoryImage::id mapped at 0, 0: none
    uint64_t image_size = 0; // bytes of that mapping
  };
  // A slot with [0, bytes) read-write, zeroed or holding `image`; nullopt
  // when the pool is empty or the slot cannot be set up (then unmapped).
  std::optional<Slot> Take(uint64_t bytes, const MemoryImage* image);
  void Give(Slot slot);
  std::vector<Slot> free_;
  size_t max_;
  uint64_t reuses_ = 0;
};

// Process-wide: bytes of linear memory committed (read-write) in live
// memories, and slots kept by every MemorySlotPool.
uint64_t LinearMemoryBytesInUse();
uint64_t PooledMemorySlots();

// What a tier must provide for the code it compiled.
class TierModule : public CompiledModule {
public:
  // Runs guest function `f` (f->tier() == this) with `args`, writing
  // `results`. Returns a trap if the call traps.
  virtual std::optional<Trap> Invoke(Store& store, FuncInstImpl* f,
                                     std::span<const Value> args,
                                     std::span<Value> results) const = 0;
  // Opaque per-function handle the tier wants stored in each FuncInst for a
  // function it defines (e.g. the interpreter's lowered code).
  virtual const void* FunctionCode(uint32_t defined_index) const = 0;
  // Which tier this is (copied into each FuncInst so a tier can recognize
  // its own functions on calls). 0 is reserved for host functions.
  uint8_t kind = 0;

  // Built by the first instantiation (see MemoryImage); null when the data
  // cannot be preapplied: an imported memory, a segment offset that is not
  // a constant, or a segment out of bounds (which must trap in order).
  mutable std::once_flag image_once;
  mutable std::unique_ptr<MemoryImage> image;
};

// 16 bytes of storage for a global, a table-independent value cell.
union Cell {
  uint32_t i32;
  uint64_t i64;
  Ref ref;
  V128 v128;
  Cell() : v128() {}
};

class FuncInstImpl final : public FuncInst {
public:
  const FuncType& type() const override { return type_; }

  FuncType type_;
  uint32_t type_id = 0;             // canonical id in the Store
  InstanceImpl* instance = nullptr; // null for host functions
  const TierModule* tier = nullptr; // null for host functions
  const void* code = nullptr;       // tier's handle (TierModule::FunctionCode)
  uint32_t defined_index = 0;       // index among the module's own functions
  uint8_t tier_kind = 0;            // TierModule::kind; 0 for host functions
  HostFunc host;                    // host functions only
  // Slots (8-byte cells) taken by the params / results; v128 takes two.
  uint32_t param_slots = 0;
  uint32_t result_slots = 0;
  // Compiled tier: the internal-convention code and the VMCtx it runs
  // with, once its instance has a context in this Store (src/native/
  // vmctx.h); null otherwise. Generated call_indirect calls it directly.
  const void* native_fn = nullptr;
  void* native_ctx = nullptr;

  bool is_host() const { return tier == nullptr; }
};

inline FuncInstImpl* AsImpl(FuncInst* f) {
  return static_cast<FuncInstImpl*>(f);
}
// Funcref values are FuncInst pointers.
inline Ref FuncToRef(FuncInstImpl* f) {
  return static_cast<void*>(static_cast<FuncInst*>(f));
}
inline FuncInstImpl* RefToFunc(Ref r) {
  return static_cast<FuncInstImpl*>(static_cast<FuncInst*>(r));
}

class MemoryImpl final : public MemoryInst {
public:
  // Reserves address space for the largest size the type allows (plus a
  // guard region), commits `limits.min` pages. `cap_bytes` (the engine's
  // max_memory_bytes) bounds the size on top of the type's maximum. The
  // memory starts zeroed, or with `image` mapped copy-on-write at 0. Returns
  // null on failure, including an initial size above the cap.
  // With `pool`, the reservation is taken from (and given back to) it.
  static std::unique_ptr<MemoryImpl>
  Create(const MemoryType& type,
         std::optional<uint64_t> cap_bytes = std::nullopt,
         const MemoryImage* image = nullptr, MemorySlotPool* pool = nullptr);
  ~MemoryImpl() override;

  MemoryType type() const override;
  uint8_t* data() override { return base; }
  uint64_t size_bytes() const override { return size; }
  std::optional<uint64_t> Grow(uint64_t delta_pages) override;
  // Back to `bytes` (at most the current size) with the contents it was
  // created with: zeroes, or its image (Store::ResetInstance).
  bool Reset(uint64_t bytes);

  // Hot fields, read directly by the tiers. `base` never moves.
  uint8_t* base = nullptr;
  uint64_t size = 0; // bytes
  std::optional<uint64_t> max_pages;

  // Most pages this memory may hold: the type's maximum, the spec's limit
  // and the engine's max_memory_bytes, whichever is smallest.
  uint64_t page_limit() const { return page_limit_; }
  // Bytes of address space reserved at base (8 GiB unless the host refused).
  uint64_t reserved_bytes() const { return reserved_; }

private:
  MemoryImpl() = default;
  uint64_t reserved_ = 0; // bytes of address space reserved at base
  uint64_t page_limit_ = 0;
  MemorySlotPool* pool_ = nullptr; // gets the reservation back, if set
  uint64_t image_id_ = 0;          // the image mapped at base (pool only)
  uint64_t image_size_ = 0;
};

class TableImpl final : public TableInst {
public:
  TableType type() const override;
  uint64_t size() const override { return elems.size(); }
  Ref Get(uint64_t index) const override { return elems[index]; }
  void Set(uint64_t index, Ref value) override { elems[index] = value; }
  // Returns the old size, or nullopt if the table would exceed its maximum.
  std::optional<uint64_t> Grow(uint64_t delta, Ref init);

  ValType elem_type = ValType::FuncRef;
  std::optional<uint64_t> max;
  std::vector<Ref> elems;
};

class GlobalImpl final : public GlobalInst {
public:
  GlobalType type() const override { return type_; }
  Value Get() const override;
  void Set(const Value& v) override;

  GlobalType type_;
  Cell cell;
};

// A data or element segment's run-time instance; dropped segments are empty.
struct DataInst {
  const uint8_t* bytes = nullptr;
  uint64_t size = 0;
};
struct ElemInst {
  std::vector<Ref> refs;
};

class InstanceImpl final : public Instance {
public:
  std::optional<Extern> GetExport(std::string_view name) const override;
  const CompiledModule& compiled() const override { return *module; }
  std::vector<std::pair<std::string, Extern>> Exports() const override;

  std::shared_ptr<const CompiledModule> module;
  const TierModule* tier = nullptr;
  // Index spaces (imports first), plus per-instance segment state.
  std::vector<FuncInstImpl*> funcs;
  std::vector<TableImpl*> tables;
  std::vector<MemoryImpl*> memories;
  std::vector<GlobalImpl*> globals;
  std::vector<uint32_t> type_ids; // module type index -> Store type id
  std::vector<ElemInst> elems;
  std::vector<DataInst> datas;
  // Memory 0, or an empty placeholder so tiers need no null check.
  MemoryImpl* mem0 = nullptr;
  // Memory 0 started from the module's MemoryImage (its active data
  // segments are in the image, not copied).
  bool image_used = false;
  std::map<std::string, Extern, std::less<>> exports;
};

// State an execution tier keeps per Store (its stacks). Owned by the Store.
class TierState {
public:
  virtual ~TierState() = default;
};

struct Store::Impl {
  explicit Impl(const Engine& e) : engine(e) {}

  uint32_t InternType(const FuncType& type);
  const FuncType& TypeOf(uint32_t id) const { return *types[id]; }

  FuncInstImpl* NewFunc();
  InstanceImpl* NewInstance();

  const Engine& engine;
  std::atomic<bool> interrupt{false};
  // Depth of nested Store::Call (host -> guest re-entry), so a runaway
  // host/guest ping-pong cannot overflow the native stack.
  uint32_t call_nesting = 0;
  // The instance whose code called the currently running host function.
  Instance* caller = nullptr;
  std::unique_ptr<TierState> tier_state;
  // The compiled tier's per-Store state (src/compile), separate from the
  // interpreter's so both tiers can run in one Store.
  std::unique_ptr<TierState> compiled_state;
  // Where this Store's memories take their reservations (null: mapped and
  // unmapped per memory). Set by the embedder before instantiating.
  MemorySlotPool* memory_pool = nullptr;

  std::deque<std::unique_ptr<FuncType>> types;
  std::map<std::pair<std::vector<ValType>, std::vector<ValType>>, uint32_t>
      type_ids;
  std::deque<FuncInstImpl> funcs;
  std::deque<std::unique_ptr<MemoryImpl>> memories;
  std::deque<TableImpl> tables;
  std::deque<GlobalImpl> globals;
  std::deque<InstanceImpl> instances;
};

// Slots taken by a value of type t in tier frames (v128 takes two).
inline uint32_t SlotCount(ValType t) { return t == ValType::V128 ? 2 : 1; }
uint32_t SlotCount(const std::vector<ValType>& types);

// Converts between Values and 8-byte slots.
void ValueToSlots(const Value& v, uint64_t* slots);
Value SlotsToValue(ValType t, const uint64_t* slots);

FuncInstImpl* MakeHostFunc(Store::Impl& s, const FuncType& type, HostFunc fn);

// An empty memory used as mem0 by instances without one.
MemoryImpl* EmptyMemory();

// Maximum nesting of Store::Call re-entry before "call stack exhausted".
inline constexpr uint32_t kMaxCallNesting = 200;

} // namespace weft
