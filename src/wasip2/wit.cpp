#include "wasip2/wit.h"

#include "component/wit.h"

namespace weft::wasip2 {

Result<bool> LoadWasiP2Wit(component::HostLinker& linker) {
  return component::AddWasi02Wit(linker);
}

} // namespace weft::wasip2
