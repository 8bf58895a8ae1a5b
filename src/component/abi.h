// The canonical ABI (the component model's CanonicalABI.md): how component
// values cross into and out of core WebAssembly — flattening, lifting and
// lowering of every value type, strings in three encodings, realloc and
// post-return, and resource handles with per-instance handle tables.
//
// Sizes, alignments and flat types come from an AbiLayouts computed once
// per TypeArena (the linker keeps one per arena and points Site::layouts at
// it); a lift or lower is then one walk over the type tree with no other
// per-call allocation than the Vals themselves.
//
// Every violation by a guest (a pointer or length out of bounds, a
// misaligned pointer, invalid UTF-8/UTF-16, an out-of-range discriminant or
// char, a dropped or foreign handle, a borrow still lent when a call
// returns, entering an instance that may not be entered) is a Trap with
// kind Host and a message that says what, for that one call. Nothing here
// aborts or allocates without bound on a guest's word: lengths are checked
// against memory before anything is copied.
//
// 0.3 (async): InstanceState is where the waitables table, the task list
// and backpressure will live; CanonOptions already carries `async` and
// `callback`; ValKind has Stream/Future/ErrorContext. See docs/components.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "component/ast.h"
#include "component/types.h"
#include "component/value.h"
#include "runtime/runtime.h"

namespace weft::component {

struct InstanceState;

// The specification's limits.
inline constexpr uint32_t kMaxFlatParams = 16;
inline constexpr uint32_t kMaxFlatResults = 1;
inline constexpr uint32_t kMaxStringBytes = (1u << 28) - 1;
inline constexpr uint32_t kMaxListBytes = (1u << 28) - 1;
// weft's own bounds on what one call may lift out of a guest, so a small
// guest cannot make the host allocate without bound by aliasing one string
// or list many times: at most kMaxLiftValues values, and at most
// max(kMinLiftBytes, 2 x its memory size), capped at kMaxLiftBytes, bytes
// of strings and byte lists.
inline constexpr uint32_t kMaxLiftValues = 1u << 21;
inline constexpr uint64_t kMinLiftBytes = 16u << 20;
inline constexpr uint64_t kMaxLiftBytes = 1u << 30;
// Types nested deeper than this are refused at the call (the walk is
// recursive over the type).
inline constexpr uint32_t kMaxTypeDepth = 100;

// The canonical ABI's view of one type: elem_size, alignment and the flat
// core types (the spec's flatten_type, variants joined).
struct AbiLayout {
  uint32_t size = 0;      // elem_size; UINT32_MAX when it does not fit
  uint32_t payload = 0;   // variants: the payload's offset
  uint32_t values = 1;    // Vals one value makes at most (a list counts 1)
  uint8_t align = 1;      // alignment
  uint8_t disc_size = 0;  // variants: the discriminant's bytes (1, 2, 4)
  uint8_t depth = 0;      // nesting depth (a primitive is 1)
  uint8_t flat_count = 0; // number of flat values, saturated at 17
  bool valid = true;      // false: malformed or too deep; calls trap
  weft::ValType flat[kMaxFlatParams] = {}; // when flat_count <= 16
};

// AbiLayout of every type in an arena (types refer only to smaller ids).
class AbiLayouts {
public:
  explicit AbiLayouts(const TypeArena& arena);
  const AbiLayout& operator[](TypeId id) const { return layouts_[id]; }
  size_t size() const { return layouts_.size(); }

private:
  std::vector<AbiLayout> layouts_;
};

// A resource type at run time: one per host resource per component
// instance that imports it, and one per `(type (resource ...))` definition
// per instantiation.
struct ResourceType {
  std::string name;
  // Host resources: frees the host's object when the guest drops its last
  // own handle (canon resource.drop of an own handle). May be empty.
  std::function<void(uint32_t rep)> host_drop;
  // Guest-defined resources: the instance that defined the type (the only
  // one that may call resource.new/rep on it) and its destructor (may be
  // null), called with the rep on drop.
  InstanceState* owner = nullptr;
  FuncInst* dtor = nullptr;
};

struct HandleElem {
  ResourceType* type = nullptr;
  uint32_t rep = 0;
  bool own = false;
  // own: how many borrow handles are currently lent out of it (it may not
  // be dropped or moved while > 0). borrow: the call scope it belongs to.
  uint32_t lend_count = 0;
  uint32_t scope = 0;
  // Unused by the ABI (lends are returned by the call that took them).
  uint32_t lent_from = 0;
};

// One per component instance (the spec's per-instance handle table). Index
// 0 is never valid; freed slots are reused. At most `kMaxHandles` live
// handles, so a guest cannot make the host allocate without bound.
class HandleTable {
public:
  static constexpr uint32_t kMaxHandles = 1u << 20;
  // nullopt when full.
  std::optional<uint32_t> Add(const HandleElem& e);
  // Null when `index` is not a live handle.
  HandleElem* Get(uint32_t index);
  // Removes and returns the element; nullopt when not live.
  std::optional<HandleElem> Remove(uint32_t index);
  uint32_t live() const { return live_; }
  // One past the highest index ever handed out (for scans).
  uint32_t end() const { return static_cast<uint32_t>(elems_.size()) + 1; }

private:
  std::vector<HandleElem> elems_; // elems_[i-1] is handle i
  std::vector<uint32_t> free_;
  std::vector<bool> used_;
  uint32_t live_ = 0;
};

// A call into an instance in progress (the spec's Task, synchronous part):
// the borrow handles lowered into the instance for it (HandleElem::scope ==
// scope) must all be dropped before it returns.
struct TaskFrame {
  uint32_t scope = 0;
  uint32_t borrows = 0;
};

// A component instance's run-time state that the ABI needs.
struct InstanceState {
  HandleTable handles;
  // The spec's may_leave (false while the instance runs post-return or a
  // realloc called by the ABI) and may_enter (false while a synchronous
  // call into it is in progress: re-entrance traps).
  bool may_leave = true;
  bool may_enter = true;
  // The calls into this instance in progress, innermost last, and the next
  // borrow scope id.
  std::vector<TaskFrame> tasks;
  uint32_t next_scope = 1;
  // 0.3 will add: waitables, tasks, backpressure (docs/components.md).
};

struct CanonOptions {
  StringEncoding encoding = StringEncoding::Utf8;
  MemoryInst* memory = nullptr; // required once a value needs memory
  FuncInst* realloc = nullptr;  // required to lower strings/lists into it
  FuncInst* post_return = nullptr;
  bool async = false;           // 0.3; refused today
  FuncInst* callback = nullptr; // 0.3
};

// Everything a lift or lower at one `canon` site needs.
struct Site {
  Store* store = nullptr;
  const TypeArena* types = nullptr; // the arena `type` is in
  const FuncType* type = nullptr;
  CanonOptions opts;
  InstanceState* instance = nullptr; // the guest side of this site
  // The run-time type of each of `types`' resources, as bound for this
  // instance (index = TypeArena::resources index); entries a site never
  // meets may be null.
  const std::vector<ResourceType*>* resources = nullptr;
  // The layouts of `types` (built once by whoever owns the arena); null:
  // computed for each call (slow; tests and one-off calls).
  const AbiLayouts* layouts = nullptr;
};

// The core function type a `canon lower` of `f` has (the import side), or
// the one a `canon lift`'s core function must have (the export side): at
// most 16 flat params (else one i32 pointer to them in memory), at most one
// flat result (else an out-pointer param when lowering, an i32 result
// pointing to them when lifting).
weft::FuncType CoreFuncType(const TypeArena& types, const FuncType& f,
                            bool lower);
weft::FuncType CoreFuncType(const AbiLayouts& layouts, const FuncType& f,
                            bool lower);

// The callee of a lowered call: takes lifted arguments, fills results.
using Callee = std::function<std::optional<Trap>(std::span<const Val> args,
                                                 std::vector<Val>& results)>;

// canon lower: a guest's core code called the core function that stands
// for `callee` (a host function, or another component's lifted function).
// Lifts `core_args` from the guest, calls `callee`, lowers its results into
// `core_results` (or memory). Borrow handles lent for the call are checked
// and released when it returns.
std::optional<Trap> CallLowered(const Site& site,
                                std::span<const Value> core_args,
                                std::span<Value> core_results,
                                const Callee& callee);

// canon lift: calls the guest's core function `core_func` (which has the
// type CoreFuncType(..., lower=false)) with `args` lowered into the guest
// (strings and lists through its realloc), lifts its results into
// `results`, then runs post-return. Traps if the instance may not be
// entered (re-entrance).
std::optional<Trap> CallLifted(const Site& site, FuncInst* core_func,
                               std::span<const Val> args,
                               std::vector<Val>& results);

// canon resource.new / resource.drop / resource.rep for `type`, called by
// `instance`'s core code.
std::optional<Trap> ResourceNew(InstanceState& instance, ResourceType* type,
                                uint32_t rep, uint32_t* handle);
std::optional<Trap> ResourceDrop(Store& store, InstanceState& instance,
                                 ResourceType* type, uint32_t handle);
std::optional<Trap> ResourceRep(InstanceState& instance, ResourceType* type,
                                uint32_t handle, uint32_t* rep);

} // namespace weft::component
