// Validator: checks a decoded Module against the spec's validation rules.
// Every module the spec calls invalid is rejected with the first error
// found; nothing valid is rejected.
#pragma once

#include "wasm/module.h"
#include "wasm/result.h"

namespace weft {

Status Validate(const Module& module);

} // namespace weft
