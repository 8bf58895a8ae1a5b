// Where the WASI 0.2 WIT comes from: the wit helper's embedded copy
// (AddWasi02Wit), behind one call so AddWasiP2 does not depend on how it is
// embedded.
#pragma once

#include "component/host.h"
#include "wasm/result.h"

namespace weft::wasip2 {

Result<bool> LoadWasiP2Wit(component::HostLinker& linker);

} // namespace weft::wasip2
