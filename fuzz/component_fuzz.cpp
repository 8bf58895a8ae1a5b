// libFuzzer target: decode + validate arbitrary bytes as a component. Any
// crash, sanitizer report, leak or unbounded allocation here is a bug: bad
// input must only ever produce an Error. Seeds: fuzz/component_seeds/.
#include <cstddef>
#include <cstdint>
#include <span>

#include "component/binary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded =
      weft::component::DecodeComponent(std::span<const uint8_t>(data, size));
  if (decoded.ok()) (void)weft::component::ValidateComponent(decoded.value());
  return 0;
}
