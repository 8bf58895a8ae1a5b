#!/usr/bin/env bash
# The second of the README's two commands: install what is missing, build,
# and run every test (unit tests and the WebAssembly spec testsuite).
# CTest prints its summary ("100% tests passed, 0 tests failed out of N").
set -euo pipefail
cd "$(dirname "$0")"
tools/install-deps.sh
tools/build.sh "$@"
BUILD_DIR="${WEFT_BUILD_DIR:-build}"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)"
