// The compiled tier's CompiledModule: the code of every defined function
// (its entry, see vmctx.h) plus what keeps that code alive (the mapping
// made by our loader, loader.h).
#pragma once

#include <memory>
#include <vector>

#include "compile/compile.h"
#include "native/vmctx.h"

namespace weft::jit {

class JitModule final : public TierModule {
public:
  JitModule() { kind = kCompiledTier; }
  const Module& module() const override { return mod; }
  std::optional<Trap> Invoke(Store& store, FuncInstImpl* f,
                             std::span<const Value> args,
                             std::span<Value> results) const override;
  const void* FunctionCode(uint32_t defined_index) const override {
    return reinterpret_cast<const void*>(entries[defined_index]);
  }

  Module mod;
  std::vector<EntryFn> entries;    // per defined function
  std::shared_ptr<void> keepalive; // the LoadedCode owning the code
};

} // namespace weft::jit
