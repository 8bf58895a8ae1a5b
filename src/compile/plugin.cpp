#include "compile/plugin.h"

#include "compile/compile.h"

namespace {

weft::Result<std::shared_ptr<const weft::CompiledModule>>
Compile(const weft::Engine& engine, std::span<const uint8_t> bytes) {
  return weft::CompileModuleNative(engine, bytes);
}

const weft::CompilePluginApi kApi{weft::kCompilePluginAbi, &Compile,
                                  &weft::IsUnsupportedError};

} // namespace

extern "C" __attribute__((visibility("default"))) const weft::CompilePluginApi*
weft_compile_plugin_api() {
  return &kApi;
}
