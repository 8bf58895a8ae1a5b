#!/usr/bin/env bash
# Configures and builds weft into $WEFT_BUILD_DIR (default: build).
# Extra arguments go to CMake's configure step (e.g. -DWEFT_SANITIZE=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${WEFT_BUILD_DIR:-build}"
JOBS="${WEFT_JOBS:-$(nproc)}"
cmake -S . -B "$BUILD_DIR" -G Ninja "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
