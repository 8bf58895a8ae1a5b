#include "compile/plugin.h"

namespace {

weft::Result<weft::native::NativeCode>
Compile(std::span<const uint8_t> bytes,
        const weft::NativeCompileOptions& options) {
  return weft::CompileToObjects(bytes, options);
}

const weft::CompilePluginApi kApi{weft::kCompilePluginAbi, &Compile,
                                  &weft::IsUnsupportedError};

} // namespace

extern "C" __attribute__((visibility("default"))) const weft::CompilePluginApi*
weft_compile_plugin_api() {
  return &kApi;
}
