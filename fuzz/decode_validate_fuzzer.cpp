// libFuzzer target: decode + validate arbitrary bytes. Any crash, sanitizer
// report, leak or unbounded allocation here is a bug: bad input must only
// ever produce an Error.
#include <cstddef>
#include <cstdint>
#include <span>

#include "wasm/decoder.h"
#include "wasm/validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  weft::Result<weft::Module> module =
      weft::Decode(std::span<const uint8_t>(data, size));
  if (module.ok()) (void)weft::Validate(module.value());
  return 0;
}
