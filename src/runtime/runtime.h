// The embedding API of the runtime: compile a module, create a store,
// instantiate, call. The CLI, the spec-test runner and (later) the platform
// use only this header.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wasm/module.h"
#include "wasm/result.h"
#include "wasm/types.h"

namespace weft {

class Store;
class Instance;
class FuncInst;
class TableInst;
class MemoryInst;
class GlobalInst;
class CompiledModule;

// A reference value. nullptr is the null reference. A funcref points to a
// FuncInst; an externref is an opaque pointer-sized value chosen by the host.
using Ref = void*;

struct Value {
  ValType type = ValType::I32;
  union {
    uint32_t i32;
    uint64_t i64;
    uint32_t f32; // IEEE bits
    uint64_t f64; // IEEE bits
    V128 v128;
    Ref ref;
  };
  Value() : v128() {}
  static Value I32(uint32_t v) {
    Value r;
    r.type = ValType::I32;
    r.i32 = v;
    return r;
  }
  static Value I64(uint64_t v) {
    Value r;
    r.type = ValType::I64;
    r.i64 = v;
    return r;
  }
  static Value F32Bits(uint32_t v) {
    Value r;
    r.type = ValType::F32;
    r.f32 = v;
    return r;
  }
  static Value F64Bits(uint64_t v) {
    Value r;
    r.type = ValType::F64;
    r.f64 = v;
    return r;
  }
  static Value F32(float f);
  static Value F64(double d);
  static Value Vec(const V128& v) {
    Value r;
    r.type = ValType::V128;
    r.v128 = v;
    return r;
  }
  static Value RefOf(ValType t, Ref p) {
    Value r;
    r.type = t;
    r.ref = p;
    return r;
  }
  // The type's default (zero / null).
  static Value Default(ValType t);
};

// Traps, with the spec's wording as their message.
enum class TrapKind : uint8_t {
  Unreachable,              // "unreachable"
  MemoryOutOfBounds,        // "out of bounds memory access"
  TableOutOfBounds,         // "out of bounds table access"
  UndefinedElement,         // "undefined element"
  UninitializedElement,     // "uninitialized element"
  IndirectCallTypeMismatch, // "indirect call type mismatch"
  IntegerDivideByZero,      // "integer divide by zero"
  IntegerOverflow,          // "integer overflow"
  InvalidConversion,        // "invalid conversion to integer"
  CallStackExhausted,       // "call stack exhausted"
  Interrupted,              // "interrupted" (timeout / epoch deadline)
  Host,                     // raised by a host function; message says what
  Exit,                     // the guest asked to exit (WASI proc_exit);
                            // not an error: Trap::exit_code holds the status
};
const char* TrapKindMessage(TrapKind kind);

struct Trap {
  TrapKind kind = TrapKind::Unreachable;
  std::string message;    // for Host traps; otherwise TrapKindMessage(kind)
  uint32_t exit_code = 0; // for TrapKind::Exit
  static Trap Of(TrapKind k) { return Trap{k, TrapKindMessage(k), 0}; }
  static Trap ExitWith(uint32_t code) {
    return Trap{TrapKind::Exit, "exit", code};
  }
};

// An entity that can be imported or exported.
struct Extern {
  ExternKind kind = ExternKind::Func;
  void* ptr = nullptr; // FuncInst*, TableInst*, MemoryInst* or GlobalInst*
  FuncInst* func() const { return static_cast<FuncInst*>(ptr); }
  TableInst* table() const { return static_cast<TableInst*>(ptr); }
  MemoryInst* memory() const { return static_cast<MemoryInst*>(ptr); }
  GlobalInst* global() const { return static_cast<GlobalInst*>(ptr); }
};

// Host functions return nullopt on success (results filled in), or a trap.
using HostFunc = std::function<std::optional<Trap>(
    Store& store, std::span<const Value> args, std::span<Value> results)>;

struct EngineConfig {
  // Guest call depth at which "call stack exhausted" traps. The interpreter
  // keeps guest frames on its own stack, so this bounds its size, not the
  // native stack.
  uint32_t max_call_depth = 20000;
  // Size of the interpreter's value stack, in bytes.
  uint64_t value_stack_bytes = 8u << 20;
  // Most bytes any one linear memory may hold (rounded down to whole 64 KiB
  // pages), on top of the module's own maximum: memory.grow past it returns
  // -1, a module whose initial memory is larger fails to instantiate, and
  // Store::CreateMemory returns null for such a type. nullopt: only the
  // spec's limits (4 GiB for a 32-bit memory).
  std::optional<uint64_t> max_memory_bytes;
};

class Engine {
public:
  explicit Engine(EngineConfig config = {}) : config_(config) {}
  const EngineConfig& config() const { return config_; }

private:
  EngineConfig config_;
};

// Decoded, validated and lowered code: immutable, shared by every instance.
class CompiledModule {
public:
  virtual ~CompiledModule() = default;
  virtual const Module& module() const = 0;
};

// Decode + validate + lower. Errors carry the byte offset.
Result<std::shared_ptr<const CompiledModule>>
CompileModule(const Engine& engine, std::span<const uint8_t> bytes);

// Validate + lower an already decoded module.
Result<std::shared_ptr<const CompiledModule>>
CompileModule(const Engine& engine, Module module);

class FuncInst {
public:
  virtual ~FuncInst() = default;
  virtual const FuncType& type() const = 0;
};

class GlobalInst {
public:
  virtual ~GlobalInst() = default;
  virtual GlobalType type() const = 0;
  virtual Value Get() const = 0;
  virtual void Set(const Value& v) = 0;
};

class MemoryInst {
public:
  virtual ~MemoryInst() = default;
  virtual MemoryType type() const = 0; // current size as limits.min
  virtual uint8_t* data() = 0;
  virtual uint64_t size_bytes() const = 0;
  // Returns the old size in pages, or nullopt if the grow fails.
  virtual std::optional<uint64_t> Grow(uint64_t delta_pages) = 0;
};

class TableInst {
public:
  virtual ~TableInst() = default;
  virtual TableType type() const = 0; // current size as limits.min
  virtual uint64_t size() const = 0;
  virtual Ref Get(uint64_t index) const = 0; // caller checks bounds
  virtual void Set(uint64_t index, Ref value) = 0;
};

class Instance {
public:
  virtual ~Instance() = default;
  virtual std::optional<Extern> GetExport(std::string_view name) const = 0;
  virtual const CompiledModule& compiled() const = 0;
  // Every export, sorted by name.
  virtual std::vector<std::pair<std::string, Extern>> Exports() const = 0;
};

struct InstantiateResult {
  Instance* instance = nullptr; // owned by the Store; null on failure
  std::optional<Error>
      link_error;           // "unknown import", "incompatible import type"
  std::optional<Trap> trap; // trap while initializing or in start
};

struct CallResult {
  std::vector<Value> results;
  std::optional<Trap> trap;
};

// Owns every runtime entity it creates; they live as long as the Store.
// A Store is used by one thread at a time.
class Store {
public:
  explicit Store(const Engine& engine);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const Engine& engine() const;

  FuncInst* CreateHostFunc(const FuncType& type, HostFunc fn);
  TableInst* CreateTable(const TableType& type, Ref init = nullptr);
  // Null when the memory cannot be created (its initial size exceeds
  // EngineConfig::max_memory_bytes, or the host is out of address space).
  MemoryInst* CreateMemory(const MemoryType& type);
  GlobalInst* CreateGlobal(const GlobalType& type, const Value& init);

  // `imports` are in the order of module.imports. Type-checks each import
  // (with the spec's limits subtyping), then allocates, initializes
  // segments, and runs the start function.
  InstantiateResult Instantiate(std::shared_ptr<const CompiledModule> module,
                                std::span<const Extern> imports);

  // Puts `instance` (made by this Store's Instantiate, successfully) back
  // in the state instantiation gave it before its start function ran: its
  // memories' size and every byte, its tables, globals and segments, as the
  // module defines them. Much cheaper than instantiating again (nothing is
  // allocated; the memory keeps its reservation and resets only the pages
  // the guest touched). Does not run the start function. Only for an
  // instance that imports nothing but functions (its state is then all its
  // own); returns false for any other, or when a memory cannot be reset:
  // then the instance must not be used again.
  bool ResetInstance(Instance* instance);

  // Calls a function (guest or host). Argument count/types must match.
  CallResult Call(FuncInst* func, std::span<const Value> args);
  // The same, with the results written into `results` (exactly as many as
  // the function has): no allocation, for calls on a hot path (the
  // canonical ABI's realloc and post-return).
  std::optional<Trap> Call(FuncInst* func, std::span<const Value> args,
                           std::span<Value> results);

  // May be called from another thread or a signal handler: the running
  // guest traps with TrapKind::Interrupted at its next loop back-edge or
  // function entry. The flag is cleared when the next Call starts.
  void Interrupt();
  // Whether Interrupt() was called since the current outermost Call
  // started. Host functions that block (WASI poll_oneoff) poll it and
  // return early, so an interrupt is honoured during host waits too.
  bool interrupted() const;

  // While a host function runs: the instance whose code called it (null
  // when the host function was called directly through Call). Lets host
  // functions such as WASI find the caller's memory.
  Instance* CallerInstance() const;

  struct Impl;
  Impl& impl() { return *impl_; }

private:
  std::unique_ptr<Impl> impl_;
};

} // namespace weft
