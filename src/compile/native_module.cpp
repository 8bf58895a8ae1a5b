// CompileModuleNative: compile (jit.cpp) and link in-process with our own
// loader (src/native/loader.h), the path of tests and of embedders that
// link LLVM. Not part of the plugin weft-llvm.so, which only compiles.
#include "compile/compile.h"
#include "native/loader.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

namespace weft {

Result<std::shared_ptr<const CompiledModule>>
CompileModuleNative(const Engine& engine, std::span<const uint8_t> bytes) {
  auto decoded = Decode(bytes);
  if (!decoded.ok()) return decoded.error();
  return CompileModuleNative(engine, std::move(decoded).value());
}

Result<std::shared_ptr<const CompiledModule>>
CompileModuleNative(const Engine& engine, Module module) {
  return CompileModuleNative(engine, std::move(module), {});
}

Result<std::shared_ptr<const CompiledModule>>
CompileModuleNative(const Engine& engine, Module module,
                    const NativeCompileOptions& options) {
  (void)engine;
  WEFT_TRY(Validate(module));
  auto code = CompileToObjects(module, options);
  if (!code) return code.error();
  std::vector<std::span<const uint8_t>> objects(code->objects.begin(),
                                                code->objects.end());
  return native::LoadNativeModule(std::move(module), objects);
}

} // namespace weft
