#include "wasip2/wit.h"

namespace weft::component {
// Provided by the wit helper (src/component/wit*.cpp); declared here until
// its header lands.
Result<bool> AddWasi02Wit(HostLinker& linker);
} // namespace weft::component

namespace weft::wasip2 {

Result<bool> LoadWasiP2Wit(component::HostLinker& linker) {
  return component::AddWasi02Wit(linker);
}

} // namespace weft::wasip2
