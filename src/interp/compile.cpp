// CompileModule (decode, validate, lower) and the interpreter's entry from
// the host (InterpModule::Invoke).
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "interp/interp_module.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

namespace weft {

Result<std::shared_ptr<const CompiledModule>>
CompileModule(const Engine& engine, std::span<const uint8_t> bytes) {
  auto decoded = Decode(bytes);
  if (!decoded.ok()) return decoded.error();
  return CompileModule(engine, std::move(decoded).value());
}

Result<std::shared_ptr<const CompiledModule>>
CompileModule(const Engine& engine, Module module) {
  (void)engine;
  WEFT_TRY(Validate(module));
  auto im = std::make_shared<interp::InterpModule>();
  im->mod = std::move(module);
  im->funcs.resize(im->mod.functions.size());
  for (uint32_t i = 0; i < im->funcs.size(); ++i)
    WEFT_TRY(interp::LowerFunction(im->mod, i, im->funcs, im->funcs[i]));
  // Debugging aid: WEFT_DUMP_LOWERED=1 prints the lowered code.
  if (const char* dump = std::getenv("WEFT_DUMP_LOWERED");
      dump && *dump == '1') {
    for (uint32_t i = 0; i < im->funcs.size(); ++i)
      std::fprintf(stderr, "func %u\n%s", i + im->mod.num_imported_funcs,
                   interp::Disassemble(im->funcs[i]).c_str());
  }
  return std::shared_ptr<const CompiledModule>(std::move(im));
}

namespace interp {
namespace {

ExecState& GetState(Store& store) {
  Store::Impl& s = store.impl();
  if (!s.tier_state) {
    auto st = std::make_unique<ExecState>();
    const EngineConfig& cfg = s.engine.config();
    const uint64_t slots = std::max<uint64_t>(cfg.value_stack_bytes / 8, 1024);
    st->stack.reset(new uint64_t[slots]);
    st->stack_end = st->stack.get() + slots;
    st->sp = st->stack.get();
    const uint64_t frames = std::max<uint32_t>(cfg.max_call_depth, 1) + 1;
    st->frames.reset(new Frame[frames]);
    st->frames_end = st->frames.get() + frames;
    st->fr = st->frames.get();
    s.tier_state = std::move(st);
  }
  return static_cast<ExecState&>(*s.tier_state);
}

} // namespace

std::optional<Trap> InterpModule::Invoke(Store& store, FuncInstImpl* f,
                                         std::span<const Value> args,
                                         std::span<Value> results) const {
  ExecState& st = GetState(store);
  uint64_t* fp = st.sp;
  if (fp + std::max(f->param_slots, f->result_slots) > st.stack_end)
    return Trap::Of(TrapKind::CallStackExhausted);
  uint64_t* p = fp;
  for (const Value& v : args) {
    ValueToSlots(v, p);
    p += SlotCount(v.type);
  }
  Frame* saved_fr = st.fr;
  uint64_t* saved_sp = st.sp;
  std::optional<Trap> trap = Execute(store, st, f, fp);
  st.fr = saved_fr;
  st.sp = saved_sp;
  if (trap) return trap;
  const FuncType& type = f->type();
  const uint64_t* q = fp;
  for (size_t i = 0; i < results.size(); ++i) {
    results[i] = SlotsToValue(type.results[i], q);
    q += SlotCount(type.results[i]);
  }
  return std::nullopt;
}

} // namespace interp
} // namespace weft
